"""MPI test fixtures: real mpirun + mpi4py; under CI their absence is a failure, not a skip."""
from __future__ import annotations

import os
import subprocess

import pytest

from emergent_py.leabra import parallel

from ci_support import missing, slurm_reachable
from mpi_support import _need_mpi


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


@pytest.fixture
def salloc():
    """A local SLURM (partition `local`, as scripts/slurm/start.sh makes it) to run commands in an
    allocation; under CI its absence is a failure."""
    _need_mpi()
    why = slurm_reachable()
    if why:
        missing(f"no local SLURM ({why}); start one with `sudo scripts/slurm/start.sh`")

    def run(n_tasks: int, program: list[str], timeout: float = 300, cwd=None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        return subprocess.run(["salloc", "-n", str(n_tasks), "-p", "local", *program], env=env,
                              capture_output=True, text=True, timeout=timeout, cwd=cwd)
    return run
