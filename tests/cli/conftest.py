"""Fixtures of the CLI tests: a short run file of the README's example model."""
from __future__ import annotations

from pathlib import Path

import pytest

from emergent_py.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    """A 2-epoch native run of projects/RandomAssoc."""
    path = tmp_path_factory.mktemp("run") / "ra.h5"
    assert main(["run", str(EXAMPLE), "-q", "--epochs", "2", "-o", str(path)]) == 0
    return path
