"""Tables of many runs (collect -o), recording for them (--record trial:..., --snapshot-every),
provenance, and every figure kind, from small real runs of projects/RandomAssoc.

The tables' numbers are checked against values computed here by hand from the run files read
with plain h5py and the statistics module (not pandas)."""
from __future__ import annotations

import hashlib
import json
import math
import statistics
from pathlib import Path

import h5py
import numpy as np
import pytest

from ci_support import missing
from emergent_py.cli import main
from emergent_py.hpc.jobfolder import create_job
from emergent_py.hpc.profile import load_profile
from emergent_py.hpc.request import Resources
from emergent_py.hpc.sweep import expand, parse_sweep
from emergent_py.hpc.tables import records, to_pandas
from emergent_py.leabra import Run
from emergent_py.results import RunFile, RunWriter
from emergent_py.results.analysis import Criterion, collect_runs, per_run, summarize
from emergent_py.spec import load_model

try:
    import pandas as pd                # the analysis extra (scripts/test.sh installs it)
except ImportError:
    missing("pandas is not installed: pip install 'ldlc-emergent[analysis]'", module_level=True)
try:
    import matplotlib                  # noqa: F401  (the plot extra)
except ImportError:
    missing("matplotlib is not installed: pip install 'ldlc-emergent[plot]'", module_level=True)
REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "projects" / "RandomAssoc"
EPOCHS = 4


def _epoch_log(path) -> dict[str, np.ndarray]:
    """The epoch log by plain h5py: what the hand computations start from."""
    with h5py.File(path) as f:
        g = f["epoch"]
        n = int(g.attrs["n_rows"])
        return {c: g[c][:n] for c in json.loads(g.attrs["columns"])}


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """A 2-point x 2-seed RandomAssoc job folder run for real (4 epochs each, no SLURM), plus a
    third point whose one run failed (exit 1, no file) and whose other stopped incomplete."""
    model = load_model(PROJECT)
    folder = tmp_path_factory.mktemp("analysis") / "job"
    j = create_job(folder, model, load_profile("local"), Resources(time="5"),
                   expand([parse_sweep("lay_inhib.gi=1.6,1.8,2.2")], [1, 2]))
    for r in j.runs[:5]:
        d = j.run_dir(r["index"])
        rc = main(["run", str(d / "model.json"), "-o", str(d / "run.h5"), "-q", "--record", "epoch",
                   "--epochs", str(EPOCHS if r["index"] != 4 else 2)])
        (d / "exit_code").write_text(f"{rc}\n")
    RunWriter(j.run_file(4), mode="a").close(complete=False)     # as a run stopped at a checkpoint
    (j.run_dir(4) / "exit_code").write_text("75\n")
    (j.run_dir(5) / "exit_code").write_text("1\n")                # failed before writing a file
    return j


def test_long_table_has_every_run_and_epoch(job):
    df = to_pandas(job.folder)
    assert list(df.columns[:6]) == ["run", "Layer:lay_inhib.gi", "seed", "status", "epoch", "exit_code"]
    per = df.groupby("run").size().to_dict()
    assert per == {0: EPOCHS, 1: EPOCHS, 2: EPOCHS, 3: EPOCHS, 4: 2, 5: 1}    # the failed run: one row
    assert df[df.run == 5]["epoch"].isna().all() and (df[df.run == 5]["status"] == "failed").all()
    assert (df[df.run == 4]["status"] == "incomplete").all()
    for r in job.runs[:5]:
        log = _epoch_log(job.run_file(r["index"]))
        mine = df[df.run == r["index"]]
        assert (mine["Layer:lay_inhib.gi"] == r["sweep"]["Layer:lay_inhib.gi"]).all() and (mine["seed"] == r["seed"]).all()
        np.testing.assert_array_equal(mine["avg_sse"].to_numpy(), log["avg_sse"])
        np.testing.assert_array_equal(mine["cnt_err"].to_numpy(), log["cnt_err"])


def test_summary_numbers_by_hand(job, tmp_path):
    long = to_pandas(job.folder)
    # a criterion the runs reach within 4 epochs: the median of all epoch-3 SSEs
    logs = {r["index"]: _epoch_log(job.run_file(r["index"])) for r in job.runs[:5]}
    threshold = float(np.median([logs[i]["avg_sse"][-1] for i in range(4)]))
    crit = Criterion("avg_sse", threshold)
    summary = summarize(long, crit)
    assert summary["Layer:lay_inhib.gi"].tolist() == [1.6, 1.8, 2.2]
    assert summary[["n_runs", "n_complete", "n_incomplete", "n_failed"]].values.tolist() == \
        [[2, 2, 0, 0], [2, 2, 0, 0], [2, 0, 1, 1]]
    for k, runs in enumerate(([0, 1], [2, 3])):
        row = summary.iloc[k]
        final = [float(logs[i]["avg_sse"][-1]) for i in runs]
        assert row["final_avg_sse_n"] == 2
        assert row["final_avg_sse_mean"] == pytest.approx(statistics.mean(final), rel=1e-12)
        assert row["final_avg_sse_std"] == pytest.approx(statistics.stdev(final), rel=1e-12)
        assert row["final_avg_sse_sem"] == pytest.approx(statistics.stdev(final) / math.sqrt(2), rel=1e-12)
        assert row["final_avg_sse_median"] == pytest.approx(statistics.median(final), rel=1e-12)
        reached = [int(np.flatnonzero(logs[i]["avg_sse"] <= threshold)[0]) + 1 for i in runs
                   if (logs[i]["avg_sse"] <= threshold).any()]
        assert row["n_reached"] == len(reached) and row["epochs_to_criterion_n"] == len(reached)
        if reached:
            assert row["epochs_to_criterion_mean"] == pytest.approx(statistics.mean(reached))
            assert row["epochs_to_criterion_median"] == pytest.approx(statistics.median(reached))
    assert sum(summary["n_reached"][:2]) >= 2          # the median threshold: at least half reach it
    # the incomplete run's last row is not a final value; its epochs to criterion would count
    bad = summary.iloc[2]
    assert bad["final_avg_sse_n"] == 0 and math.isnan(bad["final_avg_sse_mean"])
    runs = per_run(long, crit)
    assert runs.loc[runs.run == 4, "epochs"].item() == 2 and runs.loc[runs.run == 5, "epochs"].item() == 0


def test_collect_cli_writes_csv_and_h5(job, tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    assert main(["collect", str(job.folder), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "criterion cnt_err <= 0" in printed and "n_failed" in printed
    back = pd.read_csv(out)
    assert len(back) == 4 * EPOCHS + 2 + 1 and set(back["status"]) == {"complete", "incomplete", "failed"}
    summary = pd.read_csv(tmp_path / "sweep.summary.csv")
    assert summary["n_runs"].tolist() == [2, 2, 2]
    h5 = tmp_path / "sweep.h5"
    assert main(["collect", str(job.folder), "-o", str(h5)]) == 0
    with h5py.File(h5) as f:
        cols = json.loads(f["runs"].attrs["columns"])
        assert cols[:4] == ["run", "Layer:lay_inhib.gi", "seed", "status"]
        np.testing.assert_array_equal(f["runs/avg_sse"][:], back["avg_sse"].to_numpy())
        assert list(f["summary/n_complete"][:]) == [2, 2, 0]
    assert main(["collect", str(job.folder), "-o", str(tmp_path / "x.txt")]) == 2
    assert not (tmp_path / "x.txt").exists()
    assert main(["collect", str(job.folder), "-o", str(out), "--criterion", "cnt_err<"]) == 2
    # run files given directly: the sweep point comes from the file's own attributes
    long = collect_runs(records([job.run_file(0), job.run_file(2)]))
    assert long.drop_duplicates("run")["Layer:lay_inhib.gi"].tolist() == [1.6, 1.8]


def test_trial_record_snapshots_and_provenance(tmp_path):
    out = tmp_path / "ra.h5"
    assert main(["run", str(PROJECT), "-o", str(out), "-q", "--epochs", "5", "--snapshot-every", "2",
                 "--record", "trial:Hidden.act_m,Output"]) == 0
    model = load_model(PROJECT)
    # the same run in memory, with the network read after each trial
    ref = Run(model)
    acts, w_after_2 = [], None
    for e in range(5):
        for _ in range(model.patterns.n):
            ref.trial()
            acts.append((ref.net.layers["Hidden"].get("act_m"), ref.net.layers["Output"].get("act_p")))
        ref.epoch()
        if e == 1:
            w_after_2 = ref.weights()[0]
    with RunFile(out) as rf:
        t = rf.trials
        assert t["Hidden_act_m"].shape == (5 * 25, 7, 7) and t["Output_act_p"].shape == (125, 5, 5)
        assert "Output_act_m" in t and "Hidden_act_p" not in t
        np.testing.assert_array_equal(t["Hidden_act_m"], np.array([a for a, _ in acts]))
        np.testing.assert_array_equal(t["Output_act_p"], np.array([b for _, b in acts]))
        assert list(t["trial_name"]) == [r["trial_name"] for r in ref.log.trials]      # permuted order
        assert rf.weight_epochs == [0, 2, 4, 5]
        np.testing.assert_array_equal(rf.weights(2)["Input->Hidden"], w_after_2["Input->Hidden"])
        df = rf.to_pandas("trial")                         # matrix columns kept: (column, unit)
        assert df["Hidden_act_m"].shape == (125, 49) and df["sse"].shape == (125,)
        np.testing.assert_array_equal(df[("Hidden_act_m", 10)].to_numpy(), t["Hidden_act_m"].reshape(125, -1)[:, 10])
        p = rf.provenance
        text = (PROJECT / "model.py").read_text()
        assert p["model_sha256"] == hashlib.sha256(text.encode()).hexdigest() and p["model_source"] == text
        assert p["cpu_model"] and "-ffp-contract=off" in p["kernel_cflags"] and p["compiler"]
    with h5py.File(out) as f:
        assert f["weights/epoch_000002"].attrs["label"] == "after epoch 2"
    assert main(["run", str(PROJECT), "--record", "trial:Hiden.act_m"]) == 2
    with pytest.raises(SystemExit) as e:          # a variable is checked as the option is read
        main(["run", str(PROJECT), "--record", "trial:Hidden.actm"])
    assert e.value.code == 2


def test_sweep_point_is_a_root_attribute(job):
    with RunFile(job.run_file(3)) as rf:
        assert json.loads(rf.attrs["sweep"]) == {"Layer:lay_inhib.gi": 1.8}
        assert rf.attrs["sweep.Layer:lay_inhib.gi"] == 1.8 and rf.provenance["seed"] == 2


def _png_ok(path: Path, min_bytes: int = 15_000) -> None:
    assert path.is_file() and min_bytes < path.stat().st_size < 2_000_000, path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_figure_kind_from_real_runs(job, tmp_path, capsys):
    f = tmp_path
    assert main(["plot", str(job.folder), "-o", str(f / "seeds.png"), "--band", "ci95"]) == 0
    assert main(["plot", str(job.folder), "--kind", "sweep", "--criterion", "avg_sse<=3.6", "-o", str(f / "sweep.svg")]) == 0
    assert (f / "sweep.svg").read_text().lstrip().startswith("<?xml") and (f / "sweep.svg").stat().st_size > 20_000
    run = f / "trial.h5"
    assert main(["run", str(PROJECT), "-o", str(run), "-q", "--epochs", "3", "--record", "trial:Input,Hidden,Output"]) == 0
    assert main(["plot", str(run), "--kind", "activations", "--trial", "2", "-o", str(f / "acts.png")]) == 0
    assert main(["plot", str(run), "--kind", "weights", "--projection", "Input->Hidden", "-o", str(f / "rf.png")]) == 0
    assert main(["plot", str(job.run_file(0)), "--kind", "activations", "--present", "--trial", "p4",
                 "-o", str(f / "presented.png")]) == 0
    assert main(["plot", str(run), "--kind", "clusters", "--layer", "Hidden", "-o", str(f / "clusters.png")]) == 0
    # two runs of the same model as the two sides of an overlay (the emergent side: test below)
    assert main(["plot", str(job.run_file(0)), str(job.run_file(1)), "--kind", "overlay", "--level", "epoch",
                 "--metric", "avg_sse", "-o", str(f / "overlay.png")]) == 0
    for name in ("seeds", "acts", "presented", "rf", "clusters", "overlay"):
        _png_ok(f / f"{name}.png")
    capsys.readouterr()
    # clear errors, and no half-written file
    assert main(["plot", str(job.run_file(0)), "--kind", "activations", "-o", str(f / "no.png")]) == 2
    assert "no trial rows" in capsys.readouterr().err
    assert main(["plot", str(run), "--kind", "weights", "-o", str(f / "no.png")]) == 2
    assert main(["plot", str(run), "--kind", "clusters", "--layer", "Hiden", "-o", str(f / "no.png")]) == 2
    assert not (f / "no.png").exists()


def test_resumed_run_is_marked(tmp_path):
    out = tmp_path / "r.h5"
    assert main(["run", str(PROJECT), "-o", str(out), "-q", "--epochs", "3", "--record", "epoch"]) == 0
    assert main(["run", str(PROJECT), "-o", str(out), "-q", "--epochs", "6", "--record", "epoch", "--resume"]) == 0
    long = collect_runs(records([out]))
    assert long["resumed_at"].iloc[0] == "3" and len(long) == 6
    from emergent_py.results.figures import learning_curves
    fig_path = learning_curves(long, tmp_path / "r.png")
    _png_ok(Path(fig_path))
    assert main(["plot", str(out), "-o", str(tmp_path / "plain.png")]) == 0
    _png_ok(tmp_path / "plain.png")


def test_engine_overlay_on_emergents_stdassoc(reference, tmp_path):
    from emergent_py.results.compare import compare_runs
    folder = reference / "runs" / "stdassoc"
    em, nat = tmp_path / "em.h5", tmp_path / "nat.h5"
    assert main(["import", str(folder / "LeabraStd_e5.epc.dat"), "--trial", str(folder / "LeabraStd_e5.trl.dat"),
                 "-o", str(em)]) == 0
    assert main(["run", str(folder / "LeabraStd.proj"), "--weights", str(folder / "LeabraStd_init_bin.00_0000.wts.gz"),
                 "--epochs", "5", "-q", "-o", str(nat)]) == 0
    # with a tolerance below the log's 6 digits the first divergence is trial 0 (what gets marked)
    with RunFile(nat) as a, RunFile(em) as b:
        cmp = compare_runs(a, b, "trial", atol=0, rtol=1e-8, columns=["sse"])
    assert cmp.columns[0].first_bad == {"epoch": 0, "trial": 0}
    assert main(["plot", str(nat), str(em), "--kind", "overlay", "--metric", "sse", "--rtol", "1e-8",
                 "-o", str(tmp_path / "o2.png")]) == 0
    _png_ok(tmp_path / "o2.png")


def test_tables_without_pandas(job, monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert main(["collect", str(job.folder), "-o", "t.csv"]) == 2
    assert "pip install 'ldlc-emergent[analysis]'" in capsys.readouterr().err
