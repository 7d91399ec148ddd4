"""`emergent-py run --np 2 -o`: checkpoints with every rank's own state, --resume, stop signals and
set-up errors, with real ``mpirun -np 2`` started by the package's launcher.

The reference is one uninterrupted 2-rank run of EPOCHS epochs; an interrupted run continued with
--resume must equal it: the same epoch rows, each trial row once, the same final weights. Two
ranks sum their weight changes as a + b = b + a, so the equality is bitwise.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mpi_support import TINY, _need_mpi, frozen, rank_pids
from emergent_py.commands.run import RESUME_EXIT
from emergent_py.results import RunFile

pytestmark = pytest.mark.mpi

EPOCHS = 30
POSITIONS = 6          # tiny model: 5 patterns on 2 ranks -> 6 trial positions per epoch
#: text that only Open MPI's banners contain (MPI_Abort's, or a rank's non-zero exit status)
BANNER_TEXT = ("MPI_ABORT", "-----", "Primary job", "mpirun detected")


def cli(*args, cwd, **kw) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}   # mpirun, not srun
    return subprocess.Popen([sys.executable, "-m", "emergent_py", "run", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def finish(p: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted 2-rank run file."""
    _need_mpi()
    d = tmp_path_factory.mktemp("ref")
    rc, _, err = finish(cli(TINY, "--np", 2, "--epochs", EPOCHS, "-q", "-o", "ref.h5", cwd=d))
    assert rc == 0, err
    return d / "ref.h5"


def assert_same_run(got_path, want_path) -> None:
    with RunFile(got_path) as got, RunFile(want_path) as want:
        assert got.complete and got.provenance["mpi_size"] == 2
        assert got.epochs["epoch"].tolist() == list(range(EPOCHS))
        for col in ("avg_sse", "cnt_err", "pct_err", "avg_cos_err"):
            assert got.epochs[col].tobytes() == want.epochs[col].tobytes(), col
        # every (epoch, position) once: nothing logged twice around the stop, nothing lost
        pairs = list(zip(got.trials["epoch"].tolist(), got.trials["trial"].tolist()))
        assert pairs == [(e, t) for e in range(EPOCHS) for t in range(POSITIONS)]
        assert got.trials["sse"].tobytes() == want.trials["sse"].tobytes()
        gw, ww = got.weights(), want.weights()
        assert gw.keys() == ww.keys()
        for name in ww:
            np.testing.assert_array_equal(gw[name], ww[name], err_msg=name)


def test_resume_equals_the_uninterrupted_run(reference, tmp_path):
    """8 epochs, then --resume to EPOCHS: equal to the uninterrupted run. The checkpoint holds
    rank 1's own unit state, and resuming without it (rank 1 given rank 0's) gives other weights."""
    rc, _, err = finish(cli(TINY, "--np", 2, "--epochs", 8, "-q", "-o", "run.h5", cwd=tmp_path))
    assert rc == 0, err
    with RunFile(tmp_path / "run.h5") as rf:
        ck = rf.checkpoint()
    assert ck["mpi_size"] == 2 and set(ck["ranks"]) == {"1"}
    rank1 = ck["ranks"]["1"]["arrays"]
    # per-rank state (each rank saw other trials) is stored; the common weights are not repeated
    assert {"units|avg_l", "units|act_avg", "lay|acts_p_avg"} <= set(rank1)
    assert not any(k.endswith(("|wt", "|fwt")) for k in rank1)
    assert not np.array_equal(rank1["units|avg_l"], ck["arrays"]["units|avg_l"])
    shutil.copy(tmp_path / "run.h5", tmp_path / "lost.h5")

    rc, _, err = finish(cli(TINY, "--np", 2, "--epochs", EPOCHS, "-q", "-o", "run.h5", "--resume", cwd=tmp_path))
    assert rc == 0, err
    assert_same_run(tmp_path / "run.h5", reference)

    import h5py        # negative control: drop rank 1's own state from the checkpoint
    with h5py.File(tmp_path / "lost.h5", "r+") as f:
        slot = f["checkpoint"][f["checkpoint"].attrs["current"]]
        for name in list(slot["ranks/1/arrays"]):
            del slot["ranks/1/arrays"][name]
    rc, _, err = finish(cli(TINY, "--np", 2, "--epochs", EPOCHS, "-q", "-o", "lost.h5", "--resume", cwd=tmp_path))
    assert rc == 0, err
    with RunFile(tmp_path / "lost.h5") as lost, RunFile(reference) as want:
        assert any(not np.array_equal(w, lost.weights()[k]) for k, w in want.weights().items())


def wait_for_line(stream, prefix: str) -> None:
    for line in stream:
        if line.startswith(prefix):
            return
    raise AssertionError(f"no line starting with {prefix!r} before the end of the output")


@pytest.mark.parametrize("target, signum", [("launcher", signal.SIGTERM), ("rank 1", signal.SIGUSR1)])
def test_stop_signal_stops_every_rank_at_a_checkpoint(reference, tmp_path, target, signum):
    """A stop signal to the `--np` launcher (passed on to mpirun as SIGUSR1, which mpirun sends to
    every rank) or to one rank only (the ranks agree at the epoch's end): every rank stops after
    the same epoch, rank 0 has checkpointed, the command exits 75 without Open MPI banners, and
    --resume completes the run equal to the uninterrupted one. The ranks are frozen while the
    signal is sent, so it arrives a few epochs into the run however fast an epoch is."""
    p = cli(TINY, "--np", 2, "--epochs", EPOCHS, "-o", "run.h5", cwd=tmp_path)
    ranks = rank_pids(tmp_path, 2)
    wait_for_line(p.stderr, "epoch    0")                 # epoch 0 done (progress line)
    with frozen(ranks.values()):
        if target == "launcher":
            p.send_signal(signum)
            wait_for_line(p.stderr, "mpirun: Forwarding signal 10 to job")
        else:
            os.kill(ranks[1], signum)
    rc, _, err = finish(p, timeout=120)
    assert rc == RESUME_EXIT, err
    assert "stopped by SIGUSR1 at the checkpoint after epoch" in err
    assert "--np 2 -o run.h5 --resume" in err
    assert not any(text in err for text in BANNER_TEXT), err
    with RunFile(tmp_path / "run.h5") as rf:
        n = len(rf.epochs)
        assert not rf.complete and 1 <= n < EPOCHS
        assert len(rf.trials) == n * POSITIONS and rf.checkpoint()["mpi_size"] == 2
        assert int(rf.epochs["epoch"][-1]) == n - 1
    rc, _, err = finish(cli(TINY, "--np", 2, "--epochs", EPOCHS, "-q", "-o", "run.h5", "--resume", cwd=tmp_path))
    assert rc == 0, err
    assert_same_run(tmp_path / "run.h5", reference)


@pytest.mark.slurm
def test_scancel_signal_stops_an_srun_started_run(salloc, reference, tmp_path):
    """Inside a SLURM allocation (`--np 2` starts the ranks with srun): `scancel --signal=USR1`
    reaches the job step's tasks, every rank stops at the same checkpoint, srun and the command
    return 75, and the run continues (here with mpirun) to equal the uninterrupted one."""
    name = f"dmem-stop-{os.getpid()}-{time.monotonic_ns()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    p = subprocess.Popen(["salloc", "-n", "2", "-p", "local", "-J", name, sys.executable, "-m", "emergent_py", "run",
                          str(TINY), "--np", "2", "--epochs", str(EPOCHS), "-o", "run.h5"], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ranks = rank_pids(tmp_path, 2)
        wait_for_line(p.stderr, "epoch    0")
        with frozen(ranks.values()):
            res = subprocess.run(["scancel", "--signal=USR1", "--name", name], capture_output=True, text=True, timeout=60)
            assert res.returncode == 0, res.stderr
            time.sleep(1.0)                   # slurmd delivers it to the tasks (pending while frozen)
        rc, _, err = finish(p, timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == RESUME_EXIT, err
    assert "stopped by SIGUSR1 at the checkpoint after epoch" in err and "MPI_ABORT" not in err
    rc, _, err = finish(cli(TINY, "--np", 2, "--epochs", EPOCHS, "-q", "-o", "run.h5", "--resume", cwd=tmp_path))
    assert rc == 0, err
    assert_same_run(tmp_path / "run.h5", reference)


def test_resume_on_another_number_of_ranks_is_one_line_error(reference, tmp_path):
    """A 2-rank checkpoint continues only on 2 ranks (and a serial one only serially): a one-line
    error naming both numbers, exit 2, the file untouched."""
    shutil.copy(reference, tmp_path / "two.h5")
    before = (tmp_path / "two.h5").read_bytes()
    rc, out, err = finish(cli(TINY, "-o", "two.h5", "--resume", "--epochs", EPOCHS + 2, cwd=tmp_path))
    assert rc == 2 and err.splitlines() == [
        "emergent-py run: error: --resume: two.h5 holds the checkpoint of a run on 2 MPI rank(s), but this run "
        "has 1; each rank's unit state and share of the trials depend on the number of ranks, so continue "
        "it with --np 2"], err
    assert (tmp_path / "two.h5").read_bytes() == before

    rc, _, err = finish(cli(TINY, "--epochs", 1, "-q", "-o", "one.h5", cwd=tmp_path))
    assert rc == 0, err
    rc, out, err = finish(cli(TINY, "--np", 2, "-o", "one.h5", "--resume", "--epochs", 3, cwd=tmp_path))
    assert rc == 2 and err.splitlines() == [
        "emergent-py run: error: --resume: one.h5 holds the checkpoint of a run on 1 MPI rank(s), but this run "
        "has 2; each rank's unit state and share of the trials depend on the number of ranks, so continue "
        "it without --np"], err


def test_setup_error_on_rank_0_is_one_line_without_abort(tmp_path):
    """An error only rank 0 meets before training (its -o file exists): one line, exit 2, no
    MPI_Abort banner, no other output."""
    _need_mpi()
    (tmp_path / "run.h5").write_bytes(b"not mine")
    t = time.monotonic()
    rc, out, err = finish(cli(TINY, "--np", 2, "-o", "run.h5", cwd=tmp_path), timeout=120)
    assert rc == 2 and out == "" and err.splitlines() == [
        "emergent-py run: error: -o run.h5: file exists; pass --overwrite or --resume"], err
    assert (tmp_path / "run.h5").read_bytes() == b"not mine"
    assert time.monotonic() - t < 60


BAD_SPEC = '''from emergent_py import Full, Network, Patterns, RunPlan, Sheet
def build():
    net = Network("Bad")
    net.layer("Input", (3, 3), kind="input")
    net.layer("Output", (3, 3), kind="target")
    net.connect("Input", "Output", Full())
    pats = Patterns.random(n=5, layers={"Input": (3, 3), "Output": (3, 3)}, pct_on=0.3, seed=3)
    return net, Sheet({"Layer": {"lay_inhib.gi": -1.0}}), pats, RunPlan(epochs=3)
'''


def test_bad_spec_on_every_rank_is_one_line_without_abort(mpirun, tmp_path):
    """Ranks started by mpirun directly, every rank meeting the same spec error: rank 0 prints it
    once, every rank exits 2 (mpirun returns 2), no MPI_Abort."""
    (tmp_path / "bad.py").write_text(BAD_SPEC)
    res = mpirun(2, [sys.executable, "-m", "emergent_py", "run", "bad.py", "-o", "run.h5"], timeout=120, cwd=tmp_path)
    errors = [l for l in res.stderr.splitlines() if "error" in l]
    assert res.returncode == 2, res.stderr
    assert errors == ["emergent-py run: error: bad.py: Base[0] Layer (bad.py:8): selector 'Layer': lay_inhib.gi: "
                      "-1.0 is below its minimum 0"]
    assert "MPI_ABORT" not in res.stderr and res.stdout == ""
    assert sorted(os.listdir(tmp_path)) == ["bad.py"]


def test_sigterm_without_output_ends_the_ranks_with_the_launcher(tmp_path):
    """Without -o there is no checkpoint to stop at: a SIGTERM to `emergent-py run --np 2` is
    passed on to mpirun, which ends the ranks; none outlives the command."""
    _need_mpi()
    p = cli(TINY, "--np", 2, "--epochs", 10 ** 6, "-q", cwd=tmp_path)
    try:
        ranks = rank_pids(tmp_path, 2)
        p.send_signal(signal.SIGTERM)
        rc, _, err = finish(p, timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc != 0 and "stopped by" not in err
    deadline = time.monotonic() + 30
    while any(os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z"
              for pid in ranks.values()):
        assert time.monotonic() < deadline, f"ranks {ranks} still running 30 s after the launcher ended"
        time.sleep(0.1)


def test_usage_error_under_mpirun_is_printed_once(mpirun, tmp_path):
    """`mpirun -np 2 python -m emergent_py run` with a bad option: every rank exits 2, only rank 0
    prints argparse's usage and error."""
    res = mpirun(2, [sys.executable, "-m", "emergent_py", "run", "x.py", "--epochs", "many"], timeout=120, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    errors = [l for l in res.stderr.splitlines() if "error:" in l]
    assert errors == ["emergent-py run: error: argument --epochs: invalid int value: 'many'"], res.stderr
    assert res.stderr.count("usage:") == 1 and "MPI_ABORT" not in res.stderr
