"""MPI data-parallel training (emergent's dmem) with real ``mpirun -np 2``.

The reference for an N-rank run is the serial small-batch run with the same trial grouping,
written out here as plain loops: N network copies in one process (each keeps its own unit state,
as each rank does), every update sums the copies' weight changes in float32 and applies the sum
to every copy. With N = 1 that reference is exactly the core's serial :class:`Run`, which anchors
it to the serial semantics (``test_reference_with_one_copy_is_the_serial_run``).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mpi_support import ABORT_BOUND_S, TINY, driver
from emergent_py.leabra.network import Network
from emergent_py.leabra.run import Run
from emergent_py.leabra.stats import epoch_stats
from emergent_py.spec import Model, load_model


def with_plan(model: Model, **changes) -> Model:
    return Model(model.network, model.sheets, model.patterns, dataclasses.replace(model.plan, **changes))


def grouped_serial(model: Model, n_copies: int, epochs: int):
    """The serial small-batch run with the grouping of ``n_copies`` ranks (see module docstring).
    Returns (initial weights, final weights, epoch rows)."""
    plan = model.plan
    copies = [Network(model) for _ in range(n_copies)]
    init = {p.name: p.var("wt") for p in copies[0].prjn_list}
    rng = copies[0].rng                       # the order's RNG stream (same on every copy)
    per_copy = max(1, plan.small_batch_n // n_copies)
    size = copies[0].dwt_size()

    def update():
        total = np.zeros(size, dtype=np.float32)
        for c in copies:
            total += c.collect_dwts(np.empty(size, dtype=np.float32))
        for c in copies:
            c.set_dwts(total)
            c.compute_weights()

    n = model.patterns.n
    rows_out = []
    for epoch in range(epochs):
        order = rng.permutation(n)
        n_round = math.ceil(n / n_copies) * n_copies
        rows = []
        for k in range(n_round // n_copies):
            if plan.wt_update != "batch" and copies[0].total_trials and copies[0].total_trials % per_copy == 0:
                update()
            for r, c in enumerate(copies):
                rows.append(c.trial(int(order[(k * n_copies + r) % n])))
        if plan.wt_update == "batch":
            update()
        rows_out.append({"epoch": epoch, **epoch_stats(rows)})
    return init, {p.name: p.var("wt") for p in copies[0].prjn_list}, rows_out


def load_npz(path):
    d = np.load(path)
    init = {k[5:]: d[k] for k in d.files if k.startswith("init/")}
    final = {k[6:]: d[k] for k in d.files if k.startswith("final/")}
    return init, final, json.loads(str(d["epochs"])), json.loads(str(d["trials"])), int(d["size"]), int(d["n_allreduce"])


STAT_COLS = ("avg_sse", "sum_sse", "cnt_err", "pct_err", "avg_cos_err", "avg_norm_err")


def test_reference_with_one_copy_is_the_serial_run():
    """The grouped reference with one copy is the core's serial small_batch / batch run, exactly."""
    for mode in ("small_batch", "batch"):
        model = with_plan(load_model(str(TINY)), wt_update=mode)
        run = Run(model)
        run.run(3)
        _, final, rows = grouped_serial(model, 1, 3)
        for p in run.net.prjn_list:
            np.testing.assert_array_equal(p.var("wt"), final[p.name], err_msg=f"{mode} {p.name}")
        for mine, serial in zip(rows, run.log.epochs):
            assert {k: mine[k] for k in STAT_COLS} == {k: serial[k] for k in STAT_COLS}, mode


@pytest.mark.mpi
@pytest.mark.parametrize("mode", ["small_batch", "batch", "on_line"])
def test_two_ranks_equal_grouped_serial_run(mpirun, tmp_path, mode):
    """N=2 equals the serial small-batch run with the same grouping (on_line is forced to
    small_batch of small_batch_n trials in total, as in emergent). Initial weights depend on the
    seed only: the same as a serial Network's."""
    model = with_plan(load_model(str(TINY)), wt_update=mode)
    out = tmp_path / "dmem.npz"
    res = mpirun(2, driver(TINY, out, "--wt-update", mode, "--epochs", 3))
    assert res.returncode == 0, res.stderr
    init, final, epochs, trials, size, n_allreduce = load_npz(out)
    assert size == 2
    # 5 patterns -> 6 positions per epoch (one wraps around), 3 per rank
    assert len(trials) == 18 and [t["trial"] for t in trials[:6]] == list(range(6))
    assert [t["rank"] for t in trials] == [0, 1] * 9
    assert trials[5]["trial_name"] == trials[0]["trial_name"]
    # updates: small_batch_n 4 -> 2 trials per rank -> before rank trials 2, 4, 6, 8; batch: 1 per epoch
    assert n_allreduce == (3 if mode == "batch" else 4)

    serial_init = {p.name: p.var("wt") for p in Network(model).prjn_list}
    ref_init, ref_final, ref_rows = grouped_serial(model if mode != "on_line" else with_plan(model, wt_update="small_batch"), 2, 3)
    for name in serial_init:
        np.testing.assert_array_equal(init[name], serial_init[name], err_msg=f"initial {name}")
        np.testing.assert_array_equal(ref_init[name], serial_init[name])
        np.testing.assert_allclose(final[name], ref_final[name], rtol=1e-6, atol=1e-7, err_msg=f"final {name}")
        assert not np.array_equal(final[name], init[name]), f"{name} did not learn"
    for got, want in zip(epochs, ref_rows):
        for col in STAT_COLS:
            assert got[col] == pytest.approx(want[col], rel=1e-6, abs=1e-9), (got["epoch"], col)


@pytest.mark.mpi
def test_cli_np_2_only_rank_0_prints_and_writes(tmp_path):
    """`emergent-py run SPEC --np 2 -o` launches mpirun itself; rank 0 alone prints and writes
    the run file, which holds the global rows (6 trial positions per epoch from both ranks)."""
    from mpi_support import _need_mpi
    from emergent_py.results import RunFile
    _need_mpi()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    res = subprocess.run([sys.executable, "-m", "emergent_py", "run", str(TINY), "--np", "2", "--epochs", "2",
                          "--record", "trial", "-o", "run.h5"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    summary = [l for l in res.stdout.splitlines() if l.startswith("TinyDmem:")]
    assert len(summary) == 1 and "2 epochs" in summary[0], res.stdout
    assert len([l for l in res.stderr.splitlines() if l.startswith("epoch")]) == 2, res.stderr
    assert len([l for l in res.stderr.splitlines() if l.startswith("dmem: 2 ranks, 2 weight-change Allreduce")]) == 1
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]
    with RunFile(tmp_path / "run.h5") as rf:
        assert rf.complete and rf.provenance["mpi_size"] == 2
        assert list(rf.trials["trial"]) == [0, 1, 2, 3, 4, 5] * 2
        assert list(rf.trials["rank"]) == [0, 1] * 6              # position p ran on rank p % 2
        assert list(rf.trials["epoch"]) == [0] * 6 + [1] * 6
        sse = np.asarray(rf.trials["sse"], dtype=np.float64).reshape(2, 6)
        np.testing.assert_allclose(rf.epochs["avg_sse"], sse.mean(axis=1), rtol=1e-12)


@pytest.mark.mpi
def test_rank_that_raises_ends_the_job(mpirun, tmp_path):
    t = time.monotonic()
    res = mpirun(2, driver(TINY, tmp_path / "x.npz", "--fail", "raise", "--fail-rank", 1, "--fail-epoch", 0,
                           "--epochs", 50), timeout=ABORT_BOUND_S + 30)
    elapsed = time.monotonic() - t
    assert res.returncode != 0
    assert "rank 1 of 2: error: RuntimeError: injected failure on rank 1 after epoch 0" in res.stderr
    assert elapsed < ABORT_BOUND_S, f"job took {elapsed:.1f}s to end after a rank raised"
    assert not (tmp_path / "x.npz").exists()


@pytest.mark.mpi
def test_diverged_weights_stop_the_run(mpirun, tmp_path):
    """A rank whose weights differ after an epoch (here: one weight nudged) stops the run."""
    res = mpirun(2, driver(TINY, tmp_path / "x.npz", "--fail", "perturb", "--fail-rank", 1, "--fail-epoch", 0,
                           "--epochs", 50), timeout=ABORT_BOUND_S + 30)
    assert res.returncode == 2, res.stderr
    assert "after epoch 0 the ranks' weights differ" in res.stderr
    assert not (tmp_path / "x.npz").exists()


@pytest.mark.mpi
def test_killed_rank_ends_the_job(mpirun, tmp_path):
    """SIGKILL one rank mid-run: mpirun ends the job non-zero within the bound, no hang."""
    from emergent_py.leabra import parallel
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    cmd = parallel.launcher_command(2, driver(TINY, tmp_path / "x.npz", "--epochs", 500, "--pid-dir", tmp_path), env)
    proc = subprocess.Popen(cmd, env=parallel.launch_environ(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "epoch.0").exists():       # both ranks are inside the run loop
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the run did not finish epoch 0 in 120 s"
            time.sleep(0.1)
        pid = int((tmp_path / "1.pid").read_text())
        t = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=ABORT_BOUND_S + 30)
        elapsed = time.monotonic() - t
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert elapsed < ABORT_BOUND_S, f"job took {elapsed:.1f}s to end after a rank was killed"
    assert not (tmp_path / "x.npz").exists()


@pytest.mark.mpi
@pytest.mark.slurm
def test_np_inside_a_slurm_allocation_uses_srun(salloc, tmp_path):
    """Inside an allocation `--np 2` starts the ranks with `srun --mpi=pmix` (PMIx world, no
    OMPI_COMM_WORLD_SIZE); the run equals the mpirun-started one."""
    cmd = [sys.executable, "-m", "emergent_py", "run", str(TINY), "--np", "2", "--epochs", "2", "-q"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    res = subprocess.run([*cmd, "-o", "mpirun.h5"], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    res = salloc(2, [*cmd, "-o", "srun.h5"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "dmem: 2 ranks" in res.stderr
    from emergent_py.results import RunFile
    with RunFile(tmp_path / "mpirun.h5") as a, RunFile(tmp_path / "srun.h5") as b:
        assert b.complete and b.provenance["mpi_size"] == 2
        np.testing.assert_array_equal(a.epochs["avg_sse"], b.epochs["avg_sse"])
        for name, w in a.weights().items():
            np.testing.assert_array_equal(w, b.weights()[name])
    assert sorted(os.listdir(tmp_path)) == ["mpirun.h5", "srun.h5"]
