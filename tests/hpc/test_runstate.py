"""runstate: how job.sh (re)starts a run, read from its run file."""
from __future__ import annotations

import subprocess
import sys

from emergent_py.hpc.runstate import run_state
from emergent_py.results import RunWriter


def test_states(tmp_path, model):
    path = tmp_path / "run.h5"
    assert run_state(str(path)) == ("fresh", 0)
    w = RunWriter(path, model)
    w.append_epoch({"epoch": 0, "avg_sse": 1.0})
    w.append_epoch({"epoch": 1, "avg_sse": 0.5})
    w.close(complete=False)                              # stopped before any checkpoint
    assert run_state(str(path)) == ("restart", 0)           # no checkpointed epoch to keep
    w = RunWriter(path, model, mode="a")
    w.append_epoch({"epoch": 2, "avg_sse": 0.25})
    w.write_checkpoint({"epoch": 3, "x": [1.0, 2.0]})
    w.close(complete=False)
    assert run_state(str(path)) == ("resume", 3)
    w = RunWriter(path, model, mode="a")                     # rows after the checkpoint: a resume
    w.append_epoch({"epoch": 3, "avg_sse": 0.1})             # runs them again, so no progress
    w.close(complete=False)
    assert run_state(str(path)) == ("resume", 3)
    w = RunWriter(path, model, mode="a")
    w.append_epoch({"epoch": 3, "avg_sse": 0.0})
    w.close(complete=True)
    assert run_state(str(path)) == ("complete", 4)
    (tmp_path / "junk.h5").write_text("not hdf5")
    assert run_state(str(tmp_path / "junk.h5")) == ("restart", 0)
    out = subprocess.run([sys.executable, "-m", "emergent_py.hpc.runstate", str(path)],
                         capture_output=True, text=True, check=True).stdout
    assert out == "complete 4\n"
