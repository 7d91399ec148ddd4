"""Helpers shared by the MPI tests (a module of its own: test files cannot import from
``conftest``, whose module name other test folders' conftest files share)."""
from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from ci_support import missing

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TINY = HERE / "tiny_model.py"
DRIVER = HERE / "dmem_driver.py"
#: a rank that dies must end the job within this many seconds (the issue's bound)
ABORT_BOUND_S = 30


def _need_mpi() -> None:
    lacking = [what for what, ok in (("mpirun", shutil.which("mpirun") is not None),
                                     ("mpi4py", importlib.util.find_spec("mpi4py") is not None)) if not ok]
    if lacking:
        missing(f"MPI tests need {' and '.join(lacking)} (apt-get install openmpi-bin libopenmpi-dev; "
                f"pip install mpi4py)")


def driver(*args: str) -> list[str]:
    return [sys.executable, str(DRIVER), *map(str, args)]


def rank_pids(cwd, n: int, timeout: float = 120) -> dict[int, int]:
    """MPI rank -> pid of the ``n`` ranks running in the folder ``cwd`` (one per test: tmp_path),
    started by mpirun or srun, found through /proc (Linux): the rank from ``OMPI_COMM_WORLD_RANK``
    or ``PMIX_RANK`` in their environment. Waits up to ``timeout`` seconds for all of them."""
    cwd = os.path.realpath(cwd)
    deadline = time.monotonic() + timeout
    while True:
        ranks = {}
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if os.readlink(proc / "cwd") != cwd:
                    continue
                env = dict(v.split(b"=", 1) for v in (proc / "environ").read_bytes().split(b"\0") if b"=" in v)
            except OSError:
                continue
            rank = env.get(b"OMPI_COMM_WORLD_RANK", env.get(b"PMIX_RANK"))
            if rank is not None:         # the launcher itself (mpirun, srun) has neither
                ranks[int(rank)] = int(proc.name)
        if len(ranks) == n:
            return ranks
        assert time.monotonic() < deadline, f"found ranks {ranks} in {cwd}, expected {n}"
        time.sleep(0.1)


@contextlib.contextmanager
def frozen(pids):
    """Stop the processes ``pids`` (SIGSTOP) for the block, then continue them: signals sent to
    them meanwhile wait, so a test knows at which point of the run they arrive."""
    pids = list(pids)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
