"""Run files: round trip, modes, provenance, resume, and a real SIGKILL of a writing process."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import synthetic_engine as se
from emergent_py.errors import FormatError
from emergent_py.results import RunFile, RunWriter

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def model():
    return se.model()


def check_run(r: RunFile, n_epochs: int, first: int = 0, killed: bool = False) -> None:
    """Every value in the file equals what the synthetic engine produced. ``killed``: a kill
    between the commits of one epoch's levels leaves its cycle (and trial) rows counted without
    its epoch row (the writer counts finer levels first, docs/runfile.md "Crash safety"); they
    must then be exactly the engine's rows of that epoch."""
    assert len(r.epochs) == n_epochs - first
    assert r.epochs["epoch"].tolist() == list(range(first, n_epochs))
    for i, e in enumerate(range(first, n_epochs)):
        for k, v in se.epoch_row(e).items():
            assert r.epochs[k][i] == v and r.epochs[k].dtype == np.asarray(v).dtype, (k, e)

    def rows(level_rows, n_stored):
        done = [row for e in range(first, n_epochs) for row in level_rows(e)]
        ahead = killed and n_stored > len(done)       # the killed epoch's rows, counted first
        return done + (level_rows(n_epochs) if ahead else []), ahead

    trials, trials_ahead = rows(se.trial_rows, len(r.trials))
    assert len(r.trials) == len(trials)
    for i, row in enumerate(trials):
        for k, v in row.items():
            np.testing.assert_array_equal(r.trials[k][i], v, err_msg=f"{k} {i}")
    assert r.trials["trial_name"].dtype.kind == "U" and r.trials["Output_act"].shape[1:] == (5, 5)
    cycles, cycles_ahead = rows(se.cycle_rows, len(r.cycles))
    assert cycles_ahead or not trials_ahead          # finer levels are counted first
    assert len(r.cycles) == len(cycles)
    np.testing.assert_array_equal(r.cycles["Hidden_act"], np.array([c["Hidden_act"] for c in cycles]))


def test_round_trip(tmp_path, model, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    monkeypatch.setenv("SLURM_CLUSTER_NAME", "testcluster")
    path = tmp_path / "run.h5"
    se.run(str(path), 4)
    with RunFile(path) as r:
        assert r.complete and r.status == "complete" and r.engine == "native"
        check_run(r, 4)
        assert r.model == model and r.model_json == model.to_json()
        assert r.weight_epochs == [0, 1, 2, 3]
        for e in (0, 3):
            w = r.weights(e)
            assert list(w) == ["Input->Hidden", "Hidden->Output"]
            for k, v in se.weights(e).items():
                assert w[k].dtype == np.float32 and np.array_equal(w[k], v)
        ck = r.checkpoint()
        want = se.checkpoint(3)
        assert ck["position"] == {"epoch": 4, "trial": 0} and ck["note"] == "after epoch 3"
        assert ck["rng"] == want["rng"]                    # includes PCG64's 128-bit integers
        assert ck["names"].tolist() == se.NAMES
        gen = np.random.default_rng()
        gen.bit_generator.state = ck["rng"]
        assert gen.random() == np.random.default_rng(3).random()
        p = r.provenance
        assert p["seed"] == model.plan.seed and p["mpi_size"] == 1 and p["engine"] == "native"
        assert (p["slurm_job_id"], p["slurm_array_task_id"], p["slurm_cluster"]) == ("4242", "3", "testcluster")
        assert p["numpy_version"] == np.__version__ and p["h5py_version"] == h5py.__version__
        assert len(p["git_commit"]) == 40 and isinstance(p["git_dirty"], bool)
        assert p["start_time"] <= p["end_time"] and p["command_line"]
        assert r.attrs["model_name"] == model.name
    # plain h5py sees the documented layout; the finished file's logs are compressed
    with h5py.File(path, "r") as f:
        assert f["epoch/avg_sse"].compression == "gzip" and f["epoch/avg_sse"].chunks
        assert f["epoch"].attrs["n_rows"] == 4
        assert f["weights/epoch_000002/prjn/Input->Hidden"].shape == (25, 25)


def test_modes(tmp_path, model):
    path = tmp_path / "run.h5"
    se.run(str(path), 2)
    with pytest.raises(FileExistsError, match="mode='w' to overwrite"):
        RunWriter(path, model)
    with pytest.raises(ValueError, match="must be one of w, w-, x, a, r\\+"):
        RunWriter(path, model, mode="r")
    with pytest.raises(FileNotFoundError):
        RunWriter(tmp_path / "none.h5", model, mode="r+")
    se.run(str(path), 1, mode="w")                       # overwrite
    assert len(RunFile(path).epochs) == 1
    se.run(str(path), 3, mode="a", start=1)              # continue
    with RunFile(path) as r:
        check_run(r, 3)
        assert r.complete and "resumed" in r.provenance


def test_resume_checks_model(tmp_path, model):
    path = tmp_path / "run.h5"
    se.run(str(path), 1)
    other = type(model).from_dict({**model.to_dict(), "plan": {**model.to_dict()["plan"], "epochs": 7}})
    with pytest.raises(FormatError, match=f"different model: plan.epochs: existing {model.plan.epochs} vs new 7"):
        RunWriter(path, other, mode="a")
    with pytest.raises(FormatError, match="existing engine 'native' vs new 'emergent'"):
        RunWriter(path, model, engine="emergent", mode="a")


def test_exception_marks_incomplete(tmp_path, model):
    path = tmp_path / "run.h5"
    with pytest.raises(RuntimeError):
        with RunWriter(path, model) as w:
            w.append_trials(se.trial_rows(0))
            w.append_epoch(se.epoch_row(0))
            raise RuntimeError("engine failed")
    with RunFile(path) as r:
        assert not r.complete and r.status == "incomplete" and len(r.epochs) == 1


def test_columns_may_appear_and_be_missing(tmp_path):
    path = tmp_path / "run.h5"
    with RunWriter(path, None, engine="emergent", engine_version="8.6.1") as w:
        w.append_epoch({"epoch": 0, "avg_sse": 1.5, "trial_name": "a"})
        w.append_epoch({"epoch": 1, "extra": np.float32(2)})
        with pytest.raises(FormatError, match="epoch row 2 lacks column 'epoch'"):
            w.append_epoch({"avg_sse": 1.0})
        with pytest.raises(FormatError, match="column 'avg_sse'.*cannot store"):
            w.append_epoch({"epoch": 2, "avg_sse": "x"})
    with RunFile(path) as r:
        assert r.model is None and r.label == "run.h5 (emergent 8.6.1)"
        e = r.epochs
        assert e.columns == ["epoch", "avg_sse", "trial_name", "extra"]
        assert np.isnan(e["avg_sse"][1]) and e["trial_name"].tolist() == ["a", ""]
        assert np.isnan(e["extra"][0]) and e["extra"][1] == 2 and e["extra"].dtype == np.float32
        assert len(e) == 2                                   # failed appends added no rows


def test_not_a_run_file(tmp_path):
    p = tmp_path / "x.h5"
    with h5py.File(p, "w") as f:
        f["a"] = 1
    with pytest.raises(FormatError, match="not an emergent_py run file"):
        RunFile(p)
    (tmp_path / "t.h5").write_text("hello")
    with pytest.raises(FormatError, match="not an HDF5 file"):
        RunFile(tmp_path / "t.h5")


def _start(path: Path, sleep: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(HERE / "synthetic_engine.py"), str(path), "100000", str(sleep)],
                            stdout=subprocess.PIPE, text=True, env=env)


@pytest.mark.parametrize("sleep, kill_after, delay", [
    (0.2, 2, 0.05), (0.2, 3, 0.13), (0.2, 1, 0.17),      # mid-epoch: while the engine "computes"
    (0.0, 6, 0.0), (0.0, 12, 0.003),                      # no compute: the kill lands while writing
])
def test_sigkill_leaves_readable_incomplete_file(tmp_path, sleep, kill_after, delay):
    path = tmp_path / "killed.h5"
    proc = _start(path, sleep)
    try:
        for _ in range(kill_after):
            assert proc.stdout.readline().startswith("epoch"), "engine died early"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with RunFile(path) as r:
        assert not r.complete and r.status == "running"
        n = len(r.epochs)
        assert n >= kill_after
        check_run(r, n, killed=True)
        assert r.weight_epochs[-1] >= n - 2 and all(
            np.array_equal(r.weights(e)[k], v) for e in r.weight_epochs[-2:] for k, v in se.weights(e).items())
        ck = r.checkpoint()
        last = ck["position"]["epoch"] - 1
        assert last >= n - 2
        assert ck["rng"] == se.checkpoint(last)["rng"]
        assert all(np.array_equal(ck["weights"][k], v) for k, v in se.weights(last).items())
    # the killed run continues from its checkpoint (as an engine does: a kill between an epoch's
    # row and its checkpoint leaves one epoch more in the log, which the resume drops and redoes)
    se.run(str(path), n + 2, mode="a", start=ck["position"]["epoch"])
    with RunFile(path) as r:
        assert r.complete
        check_run(r, n + 2)


def test_read_while_the_writer_holds_the_file(tmp_path):
    """A paused writer still holds HDF5's lock; RunFile reads the last flushed state anyway."""
    path = tmp_path / "live.h5"
    proc = _start(path, 0.2)
    try:
        for _ in range(2):
            assert proc.stdout.readline().startswith("epoch")
        proc.send_signal(signal.SIGSTOP)
        with RunFile(path) as r:
            assert r.status == "running" and not r.complete
            n = len(r.epochs)
            assert n >= 2
            check_run(r, n)
        proc.send_signal(signal.SIGCONT)
        assert proc.stdout.readline().startswith("epoch")
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdout.close()


def test_resume_drops_rows_logged_after_the_checkpoint(tmp_path, model):
    # a run killed between an epoch's row and its checkpoint continues from the older
    # checkpoint: that epoch must not be logged twice
    path = tmp_path / "run.h5"
    w = RunWriter(path, model)
    for e in (0, 1):
        w.append_cycles(se.cycle_rows(e))
        w.append_trials(se.trial_rows(e))
        w.append_epoch(se.epoch_row(e))
        w.write_checkpoint({"epoch": e + 1})
    w.append_cycles(se.cycle_rows(2))
    w.append_trials(se.trial_rows(2))
    w.append_epoch(se.epoch_row(2))           # ... killed here, before its checkpoint
    w.close(complete=False)
    with RunFile(path) as r:
        assert len(r.epochs) == 3 and r.checkpoint()["epoch"] == 2
    with RunWriter(path, model, mode="a") as w:
        for e in (2, 3):                      # the engine redoes epoch 2 from the checkpoint
            w.append_cycles(se.cycle_rows(e))
            w.append_trials(se.trial_rows(e))
            w.append_epoch(se.epoch_row(e))
            w.write_checkpoint({"epoch": e + 1})
    with RunFile(path) as r:
        check_run(r, 4)


def test_provenance_mpi_size_from_the_launchers_environment(monkeypatch):
    """MPI ranks from the launcher's variables; a task of a plain multi-task srun (no MPI) is a
    world of one for provenance (the native core itself refuses to train that way)."""
    from emergent_py.leabra.parallel import WORLD_RANK_VARS, WORLD_SIZE_VARS
    from emergent_py.results.provenance import mpi_size_from_env
    for var in (*WORLD_SIZE_VARS, *WORLD_RANK_VARS, "SLURM_STEP_NUM_TASKS"):
        monkeypatch.delenv(var, raising=False)
    assert mpi_size_from_env() == 1
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "3")
    assert mpi_size_from_env() == 3
    monkeypatch.delenv("OMPI_COMM_WORLD_SIZE")
    monkeypatch.setenv("SLURM_STEP_NUM_TASKS", "4")
    assert mpi_size_from_env() == 1
    monkeypatch.setenv("PMIX_RANK", "2")
    assert mpi_size_from_env() == 4
