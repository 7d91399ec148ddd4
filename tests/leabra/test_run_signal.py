"""`emergent-py run -o`: a stop signal (a cluster's time-limit warning) ends the run at the next
checkpoint with exit status 75, and --resume finishes it bitwise equal to an uninterrupted run."""
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from emergent_py import RunPlan
from emergent_py.commands.run import INTERRUPT_EXIT, RESUME_EXIT
from emergent_py.results import RunFile
from test_run import small_model

REPO = Path(__file__).resolve().parents[2]


def cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "emergent_py", "run", *map(str, args)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.parametrize("signum, status", [(signal.SIGUSR1, RESUME_EXIT), (signal.SIGTERM, RESUME_EXIT),
                                            (signal.SIGINT, INTERRUPT_EXIT)])      # Ctrl-C: 130
def test_stop_signal_ends_at_a_checkpoint_and_resume_matches(tmp_path, signum, status):
    spec = tmp_path / "small.json"
    spec.write_text(small_model(RunPlan(epochs=40, stop_cnt_err=None, seed=3)).to_json())
    ref, out = tmp_path / "ref.h5", tmp_path / "run.h5"
    assert cli(spec, "-o", ref, "-q").wait(timeout=300) == 0
    p = cli(spec, "-o", out)
    for line in p.stderr:                       # wait until the run is under way
        if line.startswith("epoch    2"):
            break
    p.send_signal(signum)
    _, err = p.communicate(timeout=120)
    assert p.returncode == status, err
    assert f"stopped by {signal.Signals(signum).name} at the checkpoint after epoch" in err and "--resume" in err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    with RunFile(out) as rf:
        assert not rf.complete and rf.checkpoint() is not None
        n = len(rf.epochs)
        assert 3 <= n < 40 and rf.epochs["epoch"].tolist() == list(range(n))
    r = cli(spec, "-o", out, "--resume", "-q")
    assert r.wait(timeout=300) == 0, r.stderr.read()
    with RunFile(out) as got, RunFile(ref) as want:
        assert got.complete and len(got.epochs) == 40
        for col in ("epoch", "avg_sse", "cnt_err", "avg_cos_err"):
            assert got.epochs[col].tobytes() == want.epochs[col].tobytes(), col
        gw, ww = got.weights(), want.weights()
        assert gw.keys() == ww.keys() and all(gw[k].tobytes() == ww[k].tobytes() for k in ww)


def _killed_after_epoch(spec, out, epoch: int, *extra) -> None:
    p = cli(spec, "-o", out, "--progress-every", "1", *extra)     # (400 epochs: a line each)
    for line in p.stderr:
        if line.startswith(f"epoch {epoch:4d}"):
            break
    p.kill()                                    # SIGKILL: no checkpoint on the way out
    p.communicate(timeout=60)


def test_checkpoint_interval_bounds_the_work_a_crash_loses(tmp_path):
    """--checkpoint-every 0 checkpoints every epoch, so a killed run resumes; with the default
    (60 s) a run killed in its first seconds has logged epochs but no checkpoint yet, and
    --resume says to start it again."""
    spec = tmp_path / "small.json"
    spec.write_text(small_model(RunPlan(epochs=400, stop_cnt_err=None, seed=3)).to_json())
    every, default = tmp_path / "every.h5", tmp_path / "default.h5"
    _killed_after_epoch(spec, every, 3, "--checkpoint-every", "0")
    with RunFile(every) as rf:
        n, ck = len(rf.epochs), rf.checkpoint()
        assert not rf.complete and ck is not None and n >= 4
    r = cli(spec, "-o", every, "--resume", "--epochs", 12, "-q")
    assert r.wait(timeout=300) == 0, r.stderr.read()
    with RunFile(every) as rf:
        assert rf.epochs["epoch"].tolist() == list(range(12))      # each epoch once
    _killed_after_epoch(spec, default, 3)
    with RunFile(default) as rf:
        assert len(rf.epochs) >= 4 and rf.checkpoint() is None
    r = cli(spec, "-o", default, "--resume", "-q")
    assert r.wait(timeout=300) == 2
    err = r.stderr.read()
    assert "no checkpoint yet" in err and "--overwrite" in err, err


def test_second_ctrl_c_abandons_the_epoch_and_resume_matches(tmp_path, monkeypatch, capfd):
    """Ctrl-C twice: the running epoch is given up at the next trial, the file keeps its last
    checkpoint, exit 130 with the resume command; --resume then ends equal to the whole run.
    In-process, the two SIGINTs sent at fixed trials (a race-free stand-in for a terminal)."""
    import os
    from emergent_py.cli import main
    from emergent_py.leabra import run as runmod
    spec = tmp_path / "small.json"
    spec.write_text(small_model(RunPlan(epochs=5, stop_cnt_err=None, seed=3)).to_json())
    ref, out = tmp_path / "ref.h5", tmp_path / "run.h5"
    assert cli(spec, "-o", ref, "-q").wait(timeout=300) == 0
    trial = runmod.Run.trial

    def interrupted_trial(self):
        if self.epoch_n == 2 and self.trial_pos in (1, 3):     # Ctrl-C, then Ctrl-C again
            os.kill(os.getpid(), signal.SIGINT)
        return trial(self)
    monkeypatch.setattr(runmod.Run, "trial", interrupted_trial)
    try:
        assert main(["run", str(spec), "-o", str(out), "--checkpoint-every", "0", "-q"]) == INTERRUPT_EXIT
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    monkeypatch.undo()
    err = capfd.readouterr().err
    assert "Ctrl-C: stopping at the checkpoint after this epoch" in err and "abandoning this epoch" in err, err
    assert "interrupted during epoch 2; the run file keeps its last checkpoint; continue with: " in err, err
    with RunFile(out) as rf:
        assert rf.checkpoint_rows()["epoch"] == 2 and not rf.complete and len(rf.epochs) == 2
    assert main(["run", str(spec), "-o", str(out), "--resume", "-q"]) == 0
    with RunFile(out) as got, RunFile(ref) as want:
        assert got.complete and got.epochs["avg_sse"].tobytes() == want.epochs["avg_sse"].tobytes()
        assert got.trials["sse"].tobytes() == want.trials["sse"].tobytes()
        assert all(got.weights()[k].tobytes() == w.tobytes() for k, w in want.weights().items())


def test_resume_refuses_another_model_seed_or_precision(tmp_path):
    """--resume continues the run in the file: another architecture, --seed or --float64 is
    refused naming what differs (was: a numpy broadcast traceback, and --seed silently ignored)."""
    spec, other = tmp_path / "small.json", tmp_path / "other.json"
    spec.write_text(small_model(RunPlan(epochs=3, stop_cnt_err=None, seed=3)).to_json())
    bigger = small_model(RunPlan(epochs=3, stop_cnt_err=None, seed=3)).to_dict()
    bigger["network"]["layers"][1]["shape"] = [5, 5]
    from emergent_py.spec import Model
    other.write_text(Model.from_dict(bigger).to_json())
    out = tmp_path / "run.h5"
    assert cli(spec, "-o", out, "-q", "--epochs", 2, "--checkpoint-every", "0").wait(timeout=300) == 0
    before = out.read_bytes()
    for args, want in [((other,), "is a run of another model: network.layers[1].shape[0]: 4 in the file vs 5 in "),
                       ((spec, "--seed", 5), "--resume --seed 5: " + str(out) + " was run with seed 3"),
                       ((spec, "--float64"), "was run in float32, this run would be in float64")]:
        r = cli(*args, "-o", out, "--resume", "-q")
        _, err = r.communicate(timeout=300)
        assert r.returncode == 2 and want in err and "Traceback" not in err, err
    assert out.read_bytes() == before
    r = cli(spec, "-o", out, "--resume", "-q", "--seed", 3, "--epochs", 3)     # the same seed is fine
    assert r.wait(timeout=300) == 0, r.stderr.read()
