"""The MPI helpers that need no MPI: trial split, plan, world detection, launcher, relaunch argv,
and that a serial run never imports mpi4py."""
from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from mpi_support import TINY
from emergent_py.commands import run as run_cmd
from emergent_py.errors import BackendError
from emergent_py.leabra import parallel
from emergent_py.spec import RunPlan


def test_rank_positions_round_up_and_wrap_around():
    order = np.array([4, 2, 0, 3, 1])
    # 2 ranks: 6 positions, the 6th wraps to order[0]
    assert parallel.rank_positions(order, 0, 2).tolist() == [4, 0, 1]
    assert parallel.rank_positions(order, 1, 2).tolist() == [2, 3, 4]
    # 3 ranks: 6 positions as well; 4 ranks: 8 positions (3 wrap)
    assert [parallel.rank_positions(order, r, 3).tolist() for r in range(3)] == [[4, 3], [2, 1], [0, 4]]
    assert [parallel.rank_positions(order, r, 4).tolist() for r in range(4)] == [[4, 1], [2, 4], [0, 2], [3, 0]]
    # an even split: each pattern exactly once
    assert sorted(np.concatenate([parallel.rank_positions(order[:4], r, 2) for r in range(2)]).tolist()) == [0, 2, 3, 4]


def test_dmem_plan_small_batch_per_rank():
    assert parallel.dmem_plan(RunPlan(wt_update="on_line", small_batch_n=10), 2) == \
        RunPlan(wt_update="small_batch", small_batch_n=5)
    assert parallel.dmem_plan(RunPlan(wt_update="small_batch", small_batch_n=4), 3).small_batch_n == 1
    assert parallel.dmem_plan(RunPlan(wt_update="small_batch", small_batch_n=2), 4).small_batch_n == 1
    assert parallel.dmem_plan(RunPlan(wt_update="batch"), 4) == RunPlan(wt_update="batch")
    assert parallel.dmem_plan(RunPlan(wt_update="on_line"), 1) == RunPlan(wt_update="on_line")


@pytest.mark.parametrize("env, size", [
    ({}, 1),
    ({"OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "2", "PMIX_RANK": "2"}, 4),
    ({"PMI_SIZE": "3", "PMI_RANK": "0"}, 3),
    ({"SLURM_JOB_ID": "7", "SLURM_STEP_NUM_TASKS": "3", "SLURM_PROCID": "1", "PMIX_RANK": "1"}, 3),  # srun --mpi=pmix
    ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "4"}, 1),             # the batch script itself: one process
    ({"SLURM_JOB_ID": "7", "SLURM_STEP_NUM_TASKS": "1", "SLURM_PROCID": "0"}, 1),
])
def test_world_size_from_env(env, size):
    assert parallel.world_size_from_env(env) == size


def test_srun_without_mpi_is_an_error():
    with pytest.raises(BackendError, match=r"srun --mpi=pmix"):
        parallel.world_size_from_env({"SLURM_JOB_ID": "7", "SLURM_STEP_NUM_TASKS": "2", "SLURM_PROCID": "0"})


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    """A PATH holding only fake mpirun (answering --version as Open MPI) and srun."""
    for name, text in (("mpirun", "echo 'mpirun (Open MPI) 4.1.4'"), ("srun", "true")):
        f = tmp_path / name
        f.write_text(f"#!/bin/sh\n{text}\n")
        f.chmod(f.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))
    return tmp_path


def test_launcher_command(fake_bin):
    prog = ["python", "-m", "emergent_py", "run", "X"]
    assert parallel.launcher_command(2, prog, {}) == [str(fake_bin / "mpirun"), "-np", "2", *prog]
    many = (os.cpu_count() or 1) + 1
    assert parallel.launcher_command(many, prog, {})[:4] == [str(fake_bin / "mpirun"), "-np", str(many), "--oversubscribe"]
    assert parallel.launcher_command(4, prog, {"SLURM_JOB_ID": "12"}) == ["srun", "--mpi=pmix", "-n", "4", *prog]
    with pytest.raises(BackendError, match="must be >= 1"):
        parallel.launcher_command(0, prog, {})


def test_launcher_without_mpirun_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendError, match="apt-get install openmpi-bin"):
        parallel.launcher_command(2, ["x"], {})


def test_launch_without_mpi4py_names_the_fix(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mpi4py" else real(name, *a))
    with pytest.raises(BackendError, match="pip install mpi4py"):
        parallel.launch(2, ["x"], {})


def test_launch_environ():
    env = parallel.launch_environ({"OPENBLAS_NUM_THREADS": "3"})
    assert env["OMP_NUM_THREADS"] == "1" and env["OPENBLAS_NUM_THREADS"] == "3"
    if os.geteuid() == 0:
        assert env["OMPI_ALLOW_RUN_AS_ROOT"] == env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] == "1"


def test_relaunch_argv_round_trips_the_run_command():
    p = argparse.ArgumentParser()
    run_cmd.add_arguments(p)
    args = p.parse_args(["projects/RandomAssoc", "--np", "2", "--epochs", "3", "-q", "-o", "out.h5",
                         "--record", "trial"])
    argv = parallel.argv_from_args(args, run_cmd.add_arguments, drop=("np",))
    assert "--np" not in argv and argv[0] == "projects/RandomAssoc"
    again = vars(p.parse_args(argv))
    assert again == {**vars(args), "np": 1}


def test_serial_run_does_not_import_mpi4py():
    code = ("import sys; from emergent_py.cli import main; "
            f"rc = main(['run', {str(TINY)!r}, '--epochs', '1', '-q']); "
            "assert rc == 0; assert 'mpi4py' not in sys.modules, 'serial run imported mpi4py'")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def test_bad_np_is_a_one_line_error():
    res = subprocess.run([sys.executable, "-m", "emergent_py", "run", str(TINY), "--np", "0"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and res.stderr.strip() == "emergent-py run: error: --np 0: must be >= 1"


def test_weight_balance_on_unit_averages_is_refused():
    from emergent_py.spec import Model, Sheet, load_model
    base = load_model(str(TINY))
    parallel.check_distributable(base)                       # defaults: act_gain 0
    bad = Model(base.network, [*base.sheets, Sheet({"#Hidden->Output": {"wt_bal.act_gain": 0.5}})],
                base.patterns, base.plan)
    with pytest.raises(BackendError, match=r"projection 'Hidden->Output': wt_bal.act_gain = 0.5"):
        parallel.check_distributable(bad)


def test_rank_checkpoints_give_each_rank_its_own_state():
    """Rank r's state = rank 0's entries overlaid with ranks/<r>; the JSON part likewise."""
    w, a0, a1 = np.arange(4.0), np.zeros(3), np.ones(3)
    ck = {"arrays": {"prjn|A->B|wt": w, "units|avg_l": a0}, "json": '{"r": 0}', "mpi_size": 3,
          "ranks": {"1": {"arrays": {"units|avg_l": a1}, "json": '{"r": 1}'}, "2": {"arrays": {}}}}
    parts = parallel.rank_checkpoints(ck, 3, "run.h5")
    assert [p["json"] for p in parts] == ['{"r": 0}', '{"r": 1}', '{"r": 0}']
    assert [p["arrays"]["units|avg_l"] is x for p, x in zip(parts, (a0, a1, a0))] == [True] * 3
    assert all(p["arrays"]["prjn|A->B|wt"] is w for p in parts)
    serial = {"arrays": {"units|avg_l": a0}, "json": "{}"}
    assert parallel.rank_checkpoints(serial, 1) == [serial]


def test_rank_checkpoints_refuse_another_number_of_ranks():
    ck = {"arrays": {}, "json": "{}", "mpi_size": 2, "ranks": {"1": {"arrays": {}}}}
    with pytest.raises(BackendError, match=r"run.h5 holds the checkpoint of a run on 2 MPI rank\(s\), but this "
                                           r"run has 4; .* continue it with --np 2"):
        parallel.rank_checkpoints(ck, 4, "run.h5")
    with pytest.raises(BackendError, match=r"run on 1 MPI rank\(s\), but this run has 2; .* without --np"):
        parallel.rank_checkpoints({"arrays": {}, "json": "{}"}, 2, "run.h5")
    from emergent_py.errors import FormatError
    with pytest.raises(FormatError, match=r"lacks ranks/1"):
        parallel.rank_checkpoints({"arrays": {}, "json": "{}", "mpi_size": 2, "ranks": {}}, 2, "run.h5")


# Open MPI 4.1.4's stderr when both ranks of `mpirun -np 2` exit 75, then an MPI_Abort banner
RULE = "-" * 74
EXIT_BANNERS = f"""{RULE}
Primary job  terminated normally, but 1 process returned
a non-zero exit code. Per user-direction, the job has been aborted.
{RULE}
{RULE}
mpirun detected that one or more processes exited with non-zero status, thus causing
the job to be terminated. The first process to do so was:

  Process name: [[16618,1],0]
  Exit code:    75
{RULE}
"""
ABORT_BANNER = f"""{RULE}
MPI_ABORT was invoked on rank 1 in communicator MPI_COMM_WORLD
with errorcode 1.

NOTE: invoking MPI_ABORT causes Open MPI to kill all MPI processes.
You may or may not see output from other processes, depending on
exactly when Open MPI kills them.
{RULE}
"""


def test_relay_stderr_drops_only_the_banners_about_planned_exits():
    import io
    out = io.StringIO()
    text = "epoch    0  sse 1.0\nTiny: stopped by SIGUSR1\n" + EXIT_BANNERS + ABORT_BANNER + "last line\n"
    parallel.relay_stderr(io.StringIO(text), out)
    assert out.getvalue() == "epoch    0  sse 1.0\nTiny: stopped by SIGUSR1\n" + ABORT_BANNER + "last line\n"
    # a non-zero status that is not one of ours (a crash: 1) keeps mpirun's banner
    crash = EXIT_BANNERS.split(f"{RULE}\n{RULE}\n")[1].replace("Exit code:    75", "Exit code:    1")
    out = io.StringIO()
    parallel.relay_stderr(io.StringIO(f"{RULE}\n{crash}"), out)
    assert out.getvalue() == f"{RULE}\n{crash}"
    out = io.StringIO()                                # an unterminated block is passed on as it is
    parallel.relay_stderr(io.StringIO(f"{RULE}\nhalf a banner\n"), out)
    assert out.getvalue() == f"{RULE}\nhalf a banner\n"
