"""Load-time conversions of projects saved by older emergent versions (leabra.md 14.1: saved before
8.5.6, momentum.on -> dwt_norm on at SYN level with lr_comp 0.1, momentum off -> dwt_norm off),
on err_driven_hidden.proj, a CCN-textbook project saved by emergent 8.5.0 with momentum off."""
from __future__ import annotations

import numpy as np

from emergent_py.commands.show import format_model
from emergent_py.emergent.conversions import SHEET_NAME, conversions_for, conversions_run, parse_version
from emergent_py.emergent.project import import_project, load_project
from emergent_py.leabra import Network
from emergent_py.leabra.learn import raw_dwt
from emergent_py.spec import Model

ERR = "projects/err_driven_hidden.proj"


def test_versions_that_convert():
    assert parse_version("8.5.0.0") == (8, 5, 0, 0) and parse_version("") == ()
    names = lambda v: [c.name for c in conversions_for(v)]
    for old in ("8.5.0.0", "8.5.2.0", "8.5.5.0", "8.0.3.0", ""):
        assert names(old) == ["dwt_norm_from_momentum"], old
    for new in ("8.5.6.0", "8.6.1.0", "9.0.0.0"):
        assert names(new) == [], new


def test_8_5_0_project_with_momentum_off_loses_dwt_norm(reference):
    r = import_project(reference / ERR)
    assert r.version == "8.5.0.0"
    m = r.model
    assert len(r.conversions) == len(m.network.projections) == 3
    for name, p in m.prjn_params.items():
        assert p.con.momentum.on is False                     # as the project stores it
        assert p.con.dwt_norm.on is False                     # 8.6 default True, converted
        assert p.sources["dwt_norm.on"].startswith(f"{SHEET_NAME}[")
        assert "err_driven_hidden.proj:" in p.sources["dwt_norm.on"]
    assert r.conversions[0].startswith("#Input->Hidden: dwt_norm.on=False (dwt_norm_from_momentum, "
                                       "project saved by 8.5.0.0")
    # recorded in the model: kept through its JSON (run files, job folders) and shown by `show`
    again = Model.from_json(m.to_json())
    assert conversions_run(again) == conversions_run(m) == r.conversions
    text = format_model(m)
    assert "Load-time conversions" in text and "#Hidden->Output: dwt_norm.on=False" in text


def test_converted_project_learns_with_the_plain_rule(reference):
    """momentum and dwt_norm off (9.5): dwt = lrate * d for every synapse of a learning sender."""
    m = load_project(reference / ERR)
    net = Network(m)
    net.trial(0)
    u = net.units
    for p in net.prjn_list:
        ss, rs = p.send.slice, p.recv.slice
        s = {k: u[k][ss] for k in ("su_avg_s_lrn", "ru_avg_s_lrn", "avg_m")}
        r = {k: u[k][rs] for k in ("su_avg_s_lrn", "ru_avg_s_lrn", "avg_m", "avg_l", "avg_l_lrn")}
        want = p.cc.lrate * net.lay["lrate_mod"][p.recv.index] * raw_dwt(p.cc, s, r)
        learn = ~((u["avg_s"][ss] < p.cc.lrn_thr) & (u["avg_m"][ss] < p.cc.lrn_thr))
        want[~learn] = 0
        assert np.any(want != 0), p.name
        np.testing.assert_array_equal(p.dwt, want.astype(np.float32), err_msg=p.name)


def test_8_5_0_project_with_momentum_on_gets_syn_dwt_norm(reference, tmp_path):
    text = (reference / ERR).read_text()
    assert text.count("momentum {on=0:") == 3
    path = tmp_path / "momentum_on.proj"
    path.write_text(text.replace("momentum {on=0:", "momentum {on=1:"))
    m = load_project(path)
    for p in m.prjn_params.values():
        n = p.con.dwt_norm
        assert (p.con.momentum.on, n.on, n.level, n.lr_comp) == (True, True, "SYN", 0.1)
        assert p.con.momentum.m_tau == 20.0                   # the project's own value is kept


def test_8_5_6_project_is_not_converted(reference):
    r = import_project(reference / "projects/basic_leabra_test.proj")
    assert r.version == "8.5.6.0" and r.conversions == []
    assert [s.name for s in r.model.sheets] == ["emergent"]
