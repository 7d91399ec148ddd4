"""MPI test fixtures: real mpirun + mpi4py; under CI their absence is a failure, not a skip."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emergent_py.leabra import parallel

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


@pytest.fixture
def mpirun():
    """``mpirun(n, program, timeout=..., cwd=...)`` -> CompletedProcess, started through the
    package's own launcher (the same flags and environment as ``emergent-py run --np``)."""
    _need_mpi()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}   # mpirun, not srun

    def run(n: int, program: list[str], timeout: float = 300, cwd=None) -> subprocess.CompletedProcess:
        cmd = parallel.launcher_command(n, program, env)
        return subprocess.run(cmd, env=parallel.launch_environ(env), capture_output=True, text=True,
                              timeout=timeout, cwd=cwd)
    return run


def driver(*args: str) -> list[str]:
    return [sys.executable, str(DRIVER), *map(str, args)]


@pytest.fixture
def salloc():
    """A local SLURM (partition `local`, as scripts/slurm/start.sh makes it) to run commands in an
    allocation; under CI its absence is a failure."""
    _need_mpi()
    why = None
    if shutil.which("salloc") is None or shutil.which("sinfo") is None:
        why = "no SLURM client (salloc/sinfo) on PATH"
    else:
        p = subprocess.run(["sinfo", "-h", "-p", "local", "-o", "%T"], capture_output=True, text=True, timeout=20)
        if p.returncode != 0 or not p.stdout.strip():
            why = f"sinfo failed: {(p.stderr or p.stdout).strip()[:200]}"
    if why:
        msg = f"no local SLURM ({why}); start one with scripts/slurm/start.sh"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)

    def run(n_tasks: int, program: list[str], timeout: float = 300, cwd=None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        return subprocess.run(["salloc", "-n", str(n_tasks), "-p", "local", *program], env=env,
                              capture_output=True, text=True, timeout=timeout, cwd=cwd)
    return run
