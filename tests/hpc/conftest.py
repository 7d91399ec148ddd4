"""Fixtures for the hpc tests: the local SLURM (scripts/slurm/start.sh) and a model."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from emergent_py.spec import load_model

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def model():
    return load_model(REPO / "projects" / "RandomAssoc")


def slurm_reachable() -> str | None:
    """None when sinfo answers, else why not."""
    if shutil.which("sinfo") is None:
        return "no SLURM client (sinfo) on PATH"
    try:
        p = subprocess.run(["sinfo", "-h", "-p", "local", "-o", "%T"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "sinfo did not answer in 20 s"
    if p.returncode != 0 or not p.stdout.strip():
        return f"sinfo failed: {(p.stderr or p.stdout).strip()[:200]}"
    return None


@pytest.fixture(scope="session")
def slurm():
    """A reachable local SLURM with the `local` partition; under CI its absence is a failure."""
    why = slurm_reachable()
    if why:
        msg = f"no local SLURM ({why}); start one with `sudo scripts/slurm/start.sh`"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return True

