"""Helpers shared by the MPI tests (a module of its own: test files cannot import from
``conftest``, whose module name other test folders' conftest files share)."""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"
TINY = HERE / "tiny_model.py"
DRIVER = HERE / "dmem_driver.py"
#: a rank that dies must end the job within this many seconds (the issue's bound)
ABORT_BOUND_S = 30


def _need_mpi() -> None:
    missing = [what for what, ok in (("mpirun", shutil.which("mpirun") is not None),
                                     ("mpi4py", importlib.util.find_spec("mpi4py") is not None)) if not ok]
    if missing:
        msg = f"MPI tests need {' and '.join(missing)} (apt-get install openmpi-bin libopenmpi-dev; pip install mpi4py)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


def driver(*args: str) -> list[str]:
    return [sys.executable, str(DRIVER), *map(str, args)]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc), children first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(0), [])
        out += kids
        todo += kids
    return out


def rank_pids(launcher_pid: int) -> dict[int, int]:
    """MPI rank -> pid of the ranks started (directly or not) by ``launcher_pid``, from the
    ``OMPI_COMM_WORLD_RANK`` in their environment."""
    ranks = {}
    for pid in descendants(launcher_pid):
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for var in env:
            if var.startswith(b"OMPI_COMM_WORLD_RANK="):
                ranks[int(var.split(b"=", 1)[1])] = pid
    return ranks
