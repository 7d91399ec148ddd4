"""Fixtures for the hpc tests: the local SLURM (scripts/slurm/start.sh) and a model."""
from __future__ import annotations

from pathlib import Path

import pytest

from ci_support import missing, slurm_reachable
from emergent_py.spec import load_model

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def model():
    return load_model(REPO / "projects" / "RandomAssoc")


@pytest.fixture(scope="session")
def slurm():
    """A reachable local SLURM with the `local` partition; under CI its absence is a failure."""
    why = slurm_reachable()
    if why:
        missing(f"no local SLURM ({why}); start one with `sudo scripts/slurm/start.sh`")
    return True

