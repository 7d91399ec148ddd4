"""`emergent-py run -o`: a stop signal (a cluster's time-limit warning) ends the run at the next
checkpoint with exit status 75, and --resume finishes it bitwise equal to an uninterrupted run."""
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from emergent_py import RunPlan
from emergent_py.commands.run import RESUME_EXIT
from emergent_py.results import RunFile
from test_run import small_model

REPO = Path(__file__).resolve().parents[2]


def cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "emergent_py", "run", *map(str, args)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.parametrize("signum", [signal.SIGUSR1, signal.SIGTERM])
def test_stop_signal_ends_at_a_checkpoint_and_resume_matches(tmp_path, signum):
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
    assert p.returncode == RESUME_EXIT, err
    assert f"stopped by {signal.Signals(signum).name} at the checkpoint after epoch" in err and "--resume" in err
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
