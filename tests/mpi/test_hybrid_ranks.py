"""Hybrid runs: `run --np R --threads T` starts R MPI ranks of T threads each (leabra/threads.py,
parallel.launcher_command); threads change no bit of the run."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from mpi_support import TINY, _need_mpi
from emergent_py.leabra import parallel, threads


@pytest.mark.mpi
def test_two_ranks_of_two_threads_equal_two_ranks_of_one(tmp_path):
    """--np 2 --threads 2 (every thread used: the work-size rule off) writes the run of
    --np 2: the same trial rows and weights bit for bit; provenance says 2 threads, 2 ranks."""
    from emergent_py.results import RunFile
    _need_mpi()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env[threads.MIN_SYNAPSES_ENV] = "0"
    cmd = [sys.executable, "-m", "emergent_py", "run", str(TINY), "--np", "2", "--epochs", "3", "-q", "--record", "trial"]
    for name, extra in (("one.h5", []), ("two.h5", ["--threads", "2"])):
        res = subprocess.run([*cmd, *extra, "-o", name], capture_output=True, text=True, timeout=300,
                             cwd=tmp_path, env=env)
        assert res.returncode == 0, res.stderr
    with RunFile(tmp_path / "one.h5") as a, RunFile(tmp_path / "two.h5") as b:
        assert (a.provenance["threads"], b.provenance["threads"]) == (1, 2)
        assert b.provenance["mpi_size"] == 2 and b.provenance["threads_requested"] == 2
        assert "threads_note" not in b.provenance
        np.testing.assert_array_equal(np.asarray(a.trials["sse"]), np.asarray(b.trials["sse"]))
        for name, w in a.weights().items():
            assert w.tobytes() == b.weights()[name].tobytes(), name


def test_hybrid_launcher_gives_every_rank_its_cores(tmp_path, monkeypatch):
    """srun gets --cpus-per-task (a step does not inherit the job's); mpirun maps T cores per
    rank where R x T cores exist, else leaves the threads unbound (never R ranks' threads
    crowded onto one core each)."""
    import stat
    f = tmp_path / "mpirun"
    f.write_text("#!/bin/sh\necho 'mpirun (Open MPI) 4.1.4'\n")
    f.chmod(f.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "srun").write_text("#!/bin/sh\n")
    (tmp_path / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    prog = ["python", "-m", "emergent_py", "run", "X"]
    assert parallel.launcher_command(2, prog, {"SLURM_JOB_ID": "3"}, threads=8) == \
        ["srun", "--mpi=pmix", "-n", "2", "--cpus-per-task=8", *prog]
    assert parallel.launcher_command(2, prog, {"SLURM_JOB_ID": "3"}) == ["srun", "--mpi=pmix", "-n", "2", *prog]
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert parallel.launcher_command(2, prog, {}, threads=8) == \
        [str(f), "-np", "2", "--map-by", "slot:PE=8", *prog]
    assert parallel.launcher_command(2, prog, {}, threads=16) == \
        [str(f), "-np", "2", "--oversubscribe", "--bind-to", "none", *prog]
