"""``run --apply-pending`` / ``Run.weights(apply_pending=True)``: the final weights after the last
trial's pending weight change, as emergent's ``*_afterCW`` files hold them (emergent's ON_LINE
save lacks that change: ``*_noCW``), bit for bit, on both kernels; the run's state is untouched."""
from __future__ import annotations

import re

import numpy as np
import pytest

from emergent_py.cli import main
from emergent_py.emergent.wts import read_wts
from emergent_py.leabra import Run
from emergent_py.results import RunFile
from emergent_py.spec import load_model

BASIC = "projects/BasicLeabraTest"


@pytest.mark.parametrize("kernel", ["numpy", "c"])
def test_weights_with_the_pending_change_are_emergents_after_cw(reference, monkeypatch, kernel):
    monkeypatch.setenv("EMERGENT_PY_KERNEL", kernel)
    basic = reference / "runs" / "basic"
    no_cw = read_wts(basic / "basic_leabra_test_cyc.end_noCW.bin.wts")
    after = read_wts(basic / "basic_leabra_test_cyc.end_afterCW.bin.wts")
    run = Run(load_model(BASIC))
    assert run.net.kernel_name == kernel
    run.run(1)
    st = run.net.state_dict()
    w_after, _ = run.weights(apply_pending=True)
    w_now, _ = run.weights()
    differ = 0
    for p in run.net.prjn_list:
        np.testing.assert_array_equal(w_after[p.name], after.dense(p.recv.name, p.send.name), err_msg=p.name)
        np.testing.assert_array_equal(w_now[p.name], no_cw.dense(p.recv.name, p.send.name), err_msg=p.name)
        differ += int(np.count_nonzero(w_after[p.name] != w_now[p.name]))
    assert differ > 0
    for k, v in run.net.state_dict().items():          # the run itself goes on as before
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(v, st[k], err_msg=k)


def test_run_apply_pending_writes_after_cw_weights(reference, tmp_path, capsys):
    """LeabraStd, 5 epochs from emergent's initial weights: with --apply-pending the run file's
    final weights are emergent's e5_afterCW file bit for bit; without, they are not."""
    stdassoc = reference / "runs" / "stdassoc"
    init = stdassoc / "LeabraStd_init_bin.00_0000.wts.gz"
    em = tmp_path / "after.h5"
    assert main(["import", str(stdassoc / "LeabraStd_e5.epc.dat"), "--wts",
                 str(stdassoc / "LeabraStd_e5_afterCW.bin.wts.gz"), "-o", str(em)]) == 0
    runs = {}
    for flag in (True, False):
        out = runs[flag] = tmp_path / f"nat_{flag}.h5"
        args = ["run", str(stdassoc / "LeabraStd.proj"), "--weights", str(init), "--epochs", "5", "-q",
                "-o", str(out)] + ["--apply-pending"] * flag
        assert main(args) == 0
        with RunFile(out) as r:
            assert r.weight_epochs == [5]
    prjns = ("Input->Hidden", "Output->Hidden", "Hidden->Output")
    exact = {}
    for flag in (True, False):                 # (the epoch log holds 6 digits: --rtol 1e-5)
        capsys.readouterr()
        main(["compare", str(runs[flag]), str(em), "--weights", "--rtol", "1e-5"])
        out = capsys.readouterr().out
        exact[flag] = [p for p in prjns if re.search(rf"^{re.escape(p)} @5 +0 +0 +0 ", out, re.M)]
    assert exact[True] == list(prjns)          # max_abs 0: bit for bit
    assert exact[False] == []


def test_apply_pending_needs_an_output(capsys):
    assert main(["run", BASIC, "--epochs", "1", "-q", "--apply-pending"]) == 2
    assert "--apply-pending changes the final weights written to -o RUN.h5" in capsys.readouterr().err
