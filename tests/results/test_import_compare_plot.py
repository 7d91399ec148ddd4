"""emergent import, run comparison and plots, through the API and the CLI, on real emergent 8.6.1 runs."""
import re
import shutil
import sys

import numpy as np
import pytest

import synthetic_engine as se
from emergent_py.cli import main
from emergent_py.emergent.dat import read_dat
from emergent_py.emergent.wts import read_wts
from emergent_py.errors import FormatError
from emergent_py.results import RunFile, RunWriter
from emergent_py.results.compare import compare_runs
from emergent_py.results.importer import import_emergent
from emergent_py.results.plot import INSTALL_HINT, PlotUnavailable, plot_runs


@pytest.fixture
def stdassoc(reference):
    return reference / "runs" / "stdassoc"


def test_import_stdassoc(stdassoc, tmp_path, capsys):
    out = tmp_path / "e5.h5"
    rc = main(["import", str(stdassoc / "LeabraStd_e5.epc.dat"), "--trial", str(stdassoc / "LeabraStd_e5.trl.dat"),
               "--wts", str(stdassoc / "LeabraStd_init_bin.00_0000.wts.gz"),
               "--wts", str(stdassoc / "LeabraStd_e5.00_0005.wts.gz"),
               "--model", "projects/RandomAssoc", "--emergent-version", "8.6.1", "-o", str(out)])
    assert rc == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}: 5 epochs, 30 trials, weights at epochs 0, 5"
    epc, trl = read_dat(stdassoc / "LeabraStd_e5.epc.dat"), read_dat(stdassoc / "LeabraStd_e5.trl.dat")
    with RunFile(out) as r:
        assert r.complete and r.engine == "emergent" and r.engine_label == "emergent 8.6.1"
        assert r.epochs.columns == epc.columns and r.trials.columns == trl.columns
        for c in epc.columns:
            np.testing.assert_array_equal(r.epochs[c], epc[c])
            assert r.epochs[c].dtype == epc[c].dtype
        assert r.epochs["avg_sse"][0] == np.float32(5.4326)
        assert r.trials["trial_name"].tolist()[:6] == ["checks", "mitvert", "midhoriz", "rdiag", "ldiag", "random"]
        init = read_wts(stdassoc / "LeabraStd_init_bin.00_0000.wts.gz")
        w0 = r.weights(0)
        assert sorted(w0) == ["Hidden->Output", "Input->Hidden", "Output->Hidden"]
        np.testing.assert_array_equal(w0["Input->Hidden"], init.dense("Hidden", "Input"))
        np.testing.assert_array_equal(r.biases(5)["Output"], read_wts(stdassoc / "LeabraStd_e5.00_0005.wts.gz")
                                      .layers["Output"].bias)
        assert r.model.name == "RandomAssoc"
        p = r.provenance
        assert "epochs=5 n_batches=1 tag=_e5" in p["emergent_args"]
        assert len(p["source_epoch_log_sha256"]) == 64
    assert main(["import", str(stdassoc / "LeabraStd_e5.epc.dat"), "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["import", str(stdassoc / "LeabraStd_e5.epc.dat"), "-o", str(out), "--force"]) == 0


def test_import_cycle_log_with_matrix_columns(reference, tmp_path):
    basic = reference / "runs" / "basic"
    out = import_emergent(basic / "basic_leabra_test_cyc5.epc.dat", tmp_path / "c.h5",
                          trial_dat=basic / "basic_leabra_test_cyc5.trl.dat",
                          cycle_dat=basic / "basic_leabra_test_cyc5.cyc.dat")
    cyc = read_dat(basic / "basic_leabra_test_cyc5.cyc.dat")
    with RunFile(out) as r:
        assert len(r.epochs) == 2 and len(r.trials) == 8 and len(r.cycles) == 800
        np.testing.assert_array_equal(r.cycles["Hidden_act"], cyc["Hidden_act"])
        assert r.trials["Hidden_Fm_Input_r_wt"].shape == (8, 1, 4, 1, 4)
        assert r.engine_label == "emergent"


def test_import_killed_emergent_log(stdassoc, tmp_path):
    src = (stdassoc / "LeabraStd_e5.epc.dat").read_text()
    cut = tmp_path / "killed.epc.dat"
    cut.write_text(src[: src.rindex("\t") - 3])           # the last row stops mid-number
    out = import_emergent(cut, tmp_path / "k.h5")
    with RunFile(out) as r:
        assert len(r.epochs) == 4 and not r.complete and r.status == "incomplete"


def test_import_malformed_is_one_line_with_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.epc.dat"
    bad.write_text("_H:\t|epoch\t%avg_sse\n_D:\t0\t1.5\n_D:\t1\tx1\n")
    assert main(["import", str(bad), "-o", str(tmp_path / "o.h5")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"emergent-py import: error: {bad}:3: field 2 (column 'avg_sse'): 'x1' is not a float"
    assert not list(tmp_path.glob("*.h5")) and not list(tmp_path.glob(".*tmp*"))


def test_compare_identical_emergent_runs(stdassoc, tmp_path, capsys):
    a = import_emergent(stdassoc / "LeabraStd_e5.epc.dat", tmp_path / "a.h5", stdassoc / "LeabraStd_e5.trl.dat")
    b = import_emergent(stdassoc / "LeabraStd_e5_repeat.epc.dat", tmp_path / "b.h5",
                        stdassoc / "LeabraStd_e5_repeat.trl.dat")
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "verdict: PASS (36 columns within tolerance over 5 rows)" in out
    assert "not compared (wall-clock): epoch_time_tot, epoch_time_usr" in out
    assert main(["compare", str(a), str(b), "--level", "trial"]) == 0
    # the wall-clock columns really differ between the two runs (README: only they do)
    assert main(["compare", str(a), str(b), "--column", "epoch_time_usr", "--column", "avg_sse"]) == 1
    out = capsys.readouterr().out
    assert "1 of 2 columns exceed tolerance: epoch_time_usr" in out
    assert re.search(r"epoch_time_usr +0\.01 +1 +3 +batch 0 epoch 2 +DIFF", out), out


def _native_copy_of(epc, path, perturb=None):
    """A 'native' run whose epoch rows are the emergent log's values (optionally perturbed)."""
    with RunWriter(path, None, engine="native") as w:
        for i in range(len(epc)):
            row = {c: epc[c][i] for c in ("batch", "epoch", "avg_sse", "cnt_err", "pct_err", "avg_cos_err")}
            if perturb:
                row = perturb(row)
            w.append_epoch(row)
    return path


def test_compare_native_vs_emergent(stdassoc, tmp_path, capsys):
    epc = read_dat(stdassoc / "LeabraStd_e5.epc.dat")
    em = import_emergent(stdassoc / "LeabraStd_e5.epc.dat", tmp_path / "em.h5")
    same = _native_copy_of(epc, tmp_path / "same.h5",
                           lambda r: {**r, "avg_sse": r["avg_sse"] + np.float32(2e-6) * (r["epoch"] == 2)})
    assert main(["compare", str(same), str(em), "--atol", "1e-5"]) == 0
    out = capsys.readouterr().out
    assert "(native " in out and "(emergent)" in out and "only in B:" in out and "verdict: PASS" in out

    def bump(r):
        return {**r, "avg_sse": r["avg_sse"] + np.float32(0.25) * (r["epoch"] >= 3)}
    off = _native_copy_of(epc, tmp_path / "off.h5", bump)
    with RunFile(off) as a, RunFile(em) as b:
        cmp = compare_runs(a, b, atol=1e-6, rtol=1e-5)
    assert not cmp.ok
    d = {c.name: c for c in cmp.columns}
    assert d["avg_sse"].first_bad == {"batch": 0, "epoch": 3} and d["avg_sse"].n_bad == 2
    assert abs(d["avg_sse"].max_abs - 0.25) < 1e-6
    assert d["cnt_err"].ok and d["pct_err"].ok
    assert main(["compare", str(off), str(em)]) == 1
    out = capsys.readouterr().out
    assert "verdict: FAIL (1 of 4 columns exceed tolerance: avg_sse)" in out
    assert main(["compare", str(off), str(em), "--atol", "0.3"]) == 0


def test_native_run_of_emergents_project_reproduces_emergents_run(stdassoc, tmp_path, capsys):
    """The cross-check from the command line: emergent's own LeabraStd.proj, run natively from
    emergent's initial weights, against emergent's imported logs and final weights: every shared
    trial column within 1e-5 relative (the logs' 6 digits) and every weight exactly."""
    em, nat = tmp_path / "em.h5", tmp_path / "nat.h5"
    init = stdassoc / "LeabraStd_init_bin.00_0000.wts.gz"
    assert main(["import", str(stdassoc / "LeabraStd_e5.epc.dat"), "--trial", str(stdassoc / "LeabraStd_e5.trl.dat"),
                 "--wts", str(stdassoc / "LeabraStd_e5_bin.00_0005.wts.gz"), "-o", str(em)]) == 0
    assert main(["run", str(stdassoc / "LeabraStd.proj"), "--weights", str(init), "--epochs", "5", "-q",
                 "-o", str(nat)]) == 0
    with RunFile(nat) as r:
        assert r.provenance["initial_weights"] == str(init)
        assert len(r.provenance["initial_weights_sha256"]) == 64
    capsys.readouterr()
    assert main(["compare", str(nat), str(em), "--level", "trial", "--atol", "0", "--rtol", "1e-5", "--weights"]) == 0
    out = capsys.readouterr().out
    assert "verdict: PASS (14 columns within tolerance over 30 rows)" in out
    for name in ("Hidden_avg_act_diff", "net_cos_diff", "Output_lay_bin_err"):
        assert re.search(rf"^{name} .* ok$", out, re.M), name
    for prjn in ("Input->Hidden", "Output->Hidden", "Hidden->Output"):     # max_abs 0: bit for bit
        assert re.search(rf"^{re.escape(prjn)} @5 +0 +0 +0 ", out, re.M), prjn
    # negative control: the same project from its own random weights
    other = tmp_path / "other.h5"
    assert main(["run", str(stdassoc / "LeabraStd.proj"), "--epochs", "5", "-q", "-o", str(other)]) == 0
    assert main(["compare", str(other), str(em), "--level", "trial", "--rtol", "1e-5"]) == 1


def test_run_weights_errors(stdassoc, reference, tmp_path, capsys):
    proj = str(stdassoc / "LeabraStd.proj")
    assert main(["run", proj, "--weights", str(tmp_path / "none.wts"), "-q"]) == 2
    assert "--weights" in capsys.readouterr().err
    basic = reference / "runs" / "basic" / "basic_leabra_test_init.end_noCW.bin.wts"
    assert main(["run", proj, "--weights", str(basic), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(basic) in err and "Input" in err and "units" in err and len(err.strip().splitlines()) == 1
    assert main(["run", proj, "--weights", str(basic), "-o", str(tmp_path / "r.h5"), "--resume"]) == 2
    assert "--resume" in capsys.readouterr().err


def test_compare_rows_nan_and_strings(tmp_path):
    def write(path, n, sse, names):
        with RunWriter(path, None, engine="native") as w:
            for e in range(n):
                w.append_epoch({"epoch": e, "avg_sse": sse[e], "trial_name": names[e]})
        return RunFile(path)
    a = write(tmp_path / "a.h5", 3, [np.nan, 1.0, 2.0], ["x", "y", "z"])
    b = write(tmp_path / "b.h5", 2, [np.nan, 1.0], ["x", "q"])
    c = write(tmp_path / "c.h5", 3, [1.0, 1.0, 2.0], ["x", "y", "z"])
    cmp = compare_runs(a, b)
    assert not cmp.ok and cmp.unmatched_a == [{"epoch": 2}] and cmp.unmatched_b == []
    d = {x.name: x for x in cmp.columns}
    assert d["avg_sse"].ok                                        # NaN equals NaN
    assert d["trial_name"].first_bad == {"epoch": 1}
    assert "only in A: 1 rows (epoch 2)" in cmp.report() and "row sets differ" in cmp.report()
    d = {x.name: x for x in compare_runs(a, c).columns}
    assert not d["avg_sse"].ok and d["avg_sse"].first_bad == {"epoch": 0} and d["avg_sse"].max_abs == np.inf


def test_plot_engines_side_by_side(stdassoc, tmp_path, capsys):
    plt = pytest.importorskip("matplotlib.pyplot")
    em = import_emergent(stdassoc / "LeabraStd_e5.epc.dat", tmp_path / "em.h5")
    nat = tmp_path / "nat.h5"
    se.run(str(nat), 4)
    capsys.readouterr()
    png = tmp_path / "curves.png"
    assert main(["plot", str(nat), str(em), "-o", str(png)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {png}"
    img = plt.imread(png)
    assert img.shape[:2] == (744, 1320)          # 2 engine columns x (SSE, pct_err) rows at 120 dpi
    assert img[..., :3].std() > 0.05              # something was drawn
    one = tmp_path / "one.png"
    plot_runs([nat], one, metrics=["avg_cos_err"])
    assert plt.imread(one).shape[:2] == (408, 660)
    assert main(["plot", str(nat), "-o", str(one), "--metric", "nope", "--overwrite"]) == 2
    assert "no run has an epoch column 'nope'" in capsys.readouterr().err


def test_plot_without_matplotlib(tmp_path, monkeypatch, capsys):
    nat = tmp_path / "nat.h5"
    se.run(str(nat), 1)
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotUnavailable, match="pip install 'ldlc-emergent\\[plot\\]'"):
        plot_runs([nat], tmp_path / "x.png")
    assert main(["plot", str(nat), "-o", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err.strip() == f"emergent-py plot: error: {INSTALL_HINT}"
    assert not (tmp_path / "x.png").exists()


def test_missing_or_foreign_run_file(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "nope.h5"), str(tmp_path / "nope.h5")]) == 2
    assert "does not exist" in capsys.readouterr().err
    shutil.copy(__file__, tmp_path / "x.h5")
    with pytest.raises(FormatError, match="not an HDF5 file"):
        RunFile(tmp_path / "x.h5")


def test_compare_weights_text_vs_binary(stdassoc, tmp_path, capsys):
    """The same emergent run imported with BINARY and with TEXT (6-digit) final weights."""
    epc = str(stdassoc / "LeabraStd_e5.epc.dat")
    a = import_emergent(epc, tmp_path / "bin.h5", wts=[stdassoc / "LeabraStd_e5_bin.00_0005.wts.gz"])
    b = import_emergent(epc, tmp_path / "txt.h5", wts=[stdassoc / "LeabraStd_e5.00_0005.wts.gz"])
    assert main(["compare", str(a), str(b), "--weights"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"Input->Hidden @5 +[0-9.e-]+ ", out) and "bias Hidden @5" in out
    with RunFile(a) as ra, RunFile(b) as rb:
        cmp = compare_runs(ra, rb, atol=0, rtol=0, weights=True)
    w = {d.name: d for d in cmp.weights}
    assert 0 < w["Input->Hidden @5"].max_abs <= 5.1e-7 and w["Input->Hidden @5"].n_bad > 0
    assert set(w["Input->Hidden @5"].first_bad) == {"recv", "send"}
    assert not cmp.ok
    c = import_emergent(epc, tmp_path / "none.h5")
    assert main(["compare", str(a), str(c), "--weights"]) == 1
    assert "no weight snapshot at a common epoch (A: [5], B: none)" in capsys.readouterr().out


def test_compare_cycle_logs_qtr_vs_cyc(reference, tmp_path, capsys):
    """README (runs/basic): the _qtr cycle log's 16 rows equal the _cyc rows at cycles 25/50/75/100."""
    basic = reference / "runs" / "basic"
    runs = {}
    for tag in ("cyc", "qtr"):
        runs[tag] = import_emergent(basic / f"basic_leabra_test_{tag}.epc.dat", tmp_path / f"{tag}.h5",
                                    cycle_dat=basic / f"basic_leabra_test_{tag}.cyc.dat")
    args = ["compare", str(runs["cyc"]), str(runs["qtr"]), "--level", "cycle", "--atol", "0", "--rtol", "0"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "rows: 16 shared (A 400, B 16)" in out and "only in A: 384 rows" in out
    assert "verdict: FAIL (row sets differ)" in out
    assert main(args + ["--shared-rows-only"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"verdict: PASS \(\d+ columns within tolerance over 16 rows\)", out)
    assert re.search(r"Hidden_act +0 +0 +0 +- +ok", out)
