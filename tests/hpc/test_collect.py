"""collect: final stats per sweep point, averaged over the seeds whose run files are complete."""
from __future__ import annotations

import math

from emergent_py.cli import main
from emergent_py.hpc.jobfolder import create_job
from emergent_py.hpc.profile import load_profile
from emergent_py.hpc.request import Resources
from emergent_py.hpc.sweep import expand, parse_sweep
from emergent_py.hpc.track import collect
from emergent_py.results import RunWriter


def _run(path, model, sse_values, complete=True):
    w = RunWriter(path, model)
    for e, sse in enumerate(sse_values):
        w.append_epoch({"epoch": e, "avg_sse": sse, "cnt_err": int(sse * 10), "trial_name": f"e{e}"})
    w.close(complete=complete)


def test_collect_averages_complete_seeds(tmp_path, model, capsys):
    job = create_job(tmp_path / "j", model, load_profile("local"), Resources(time="5"),
                     expand([parse_sweep("lay_inhib.gi=1.6,1.8")], [1, 2, 3]))
    # point gi=1.6: seeds 1, 2 complete, seed 3 stopped early; point gi=1.8: only seed 1 ran
    _run(job.run_file(0), model, [0.9, 0.5, 0.25])
    _run(job.run_file(1), model, [0.9, 0.75])
    _run(job.run_file(2), model, [0.9], complete=False)
    _run(job.run_file(3), model, [0.5, 0.0])
    header, rows = collect(job)
    assert header == ["Layer:lay_inhib.gi", "n_runs", "n_complete", "epochs", "epoch", "avg_sse", "cnt_err"]
    assert rows[0] == [1.6, 3, 2, 2.5, 1.5, 0.5, 4.5]    # e.g. epochs: mean of 3 and 2; cnt_err: of 2 and 7
    assert rows[1] == [1.8, 3, 1, 2.0, 1.0, 0.0, 0.0]
    assert main(["collect", str(job.folder), "--csv", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "t.csv").read_text().splitlines()[1] == "1.6,3,2,2.5,1.5,0.5,4.5"
    assert capsys.readouterr().out.splitlines()[2].split() == ["1.8", "3", "1", "2", "1", "0", "0"]


def test_collect_without_finished_runs(tmp_path, model):
    job = create_job(tmp_path / "j", model, load_profile("local"), Resources(time="5"), expand([], [1]))
    header, rows = collect(job)
    assert header == ["n_runs", "n_complete"] and rows == [[1, 0]]
    assert not any(isinstance(v, float) and math.isnan(v) for v in rows[0])
