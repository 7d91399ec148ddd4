"""One rule for components the tests need from the machine (emergent's reference files, MPI,
SLURM, Brian2): missing under CI (``CI=true``, where scripts/test.sh installs and starts them
all) is a failure; on a developer's machine it is a skip that names the component and the fix.

A module of its own, not conftest (test folders' conftest files share the module name)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def missing(msg: str, module_level: bool = False) -> None:
    """A needed component is missing: fail under CI, else skip with ``msg`` (say what and how to
    install or start it)."""
    if IN_CI:
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg, allow_module_level=module_level)


def slurm_reachable() -> str | None:
    """None when the local SLURM's `local` partition answers ``sinfo``, else why not."""
    if shutil.which("sinfo") is None or shutil.which("salloc") is None:
        return "no SLURM client (sinfo/salloc) on PATH"
    try:
        p = subprocess.run(["sinfo", "-h", "-p", "local", "-o", "%T"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "sinfo did not answer in 20 s"
    if p.returncode != 0 or not p.stdout.strip():
        return f"sinfo failed: {(p.stderr or p.stdout).strip()[:200]}"
    return None
