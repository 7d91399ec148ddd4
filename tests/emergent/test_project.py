"""Import of real emergent 8.x projects into foundation Models (values from the projects)."""
from __future__ import annotations

import numpy as np
import pytest

from emergent_py import Patterns
from emergent_py.emergent.project import import_project, load_project
from emergent_py.errors import FormatError, SpecError
from emergent_py.spec import Full, OneToOne
from emergent_py.spec.sheet import valid_paths


def test_leabrastd_template(reference):
    r = import_project(reference / "proj_templates/LeabraStd.proj")
    m = r.model
    assert r.version == "8.5.6.0" and r.table == "StdInputData"
    assert [(l.name, l.shape, l.kind.value) for l in m.network.layers.values()] == [
        ("Input", (5, 5), "INPUT"), ("Hidden", (5, 5), "HIDDEN"), ("Output", (5, 5), "TARGET")]
    # emergent keeps projections per receiving layer: Hidden's two, then Output's
    assert [(p.name, p.pattern) for p in m.network.projections.values()] == [
        ("Input->Hidden", Full()), ("Output->Hidden", Full()), ("Hidden->Output", Full())]
    hid = m.layer_params["Hidden"]
    # template values, not the code defaults (ss_tau code default 4, targ_init 0.15, lr_comp 0.15)
    assert hid.unit.act_avg.ss_tau == 2.0 and hid.unit.e_rev.k == 0.1
    assert hid.layer.avg_act.targ_init == 0.2
    assert hid.bias.learn is False and hid.bias.rnd.var == 0.0
    top = m.prjn_params["Output->Hidden"].con        # TopDownCons: unique wt_scale, feedback
    assert top.wt_scale.rel == 0.2 and top.feedback is True
    assert top.rule.rule == "DELTA_FF_FB" and top.dwt_norm.lr_comp == 0.2
    assert m.prjn_params["Input->Hidden"].con.wt_scale.rel == 1.0
    assert m.patterns.names == ["checks", "mitvert", "midhoriz", "rdiag", "ldiag", "random"]
    np.testing.assert_array_equal(m.patterns["Input"][0], [[1, 0, 0, 0, 1], [0, 0, 0, 0, 0],
                                                          [0, 0, 1, 0, 0], [0, 0, 0, 0, 0], [1, 0, 0, 0, 1]])
    p = m.plan
    assert (p.epochs, p.stop_cnt_err, p.stop_n_under, p.order, p.wt_update) == (500, 0, 2, "permuted", "on_line")
    sheet = m.sheets[0]
    assert [s.sel for s in sheet][:2] == ["Network", "#Input"]
    # every unit/layer/bias member the project stores (LeabraStd stores them all)
    assert sorted(sheet.sels[1].params) == sorted(valid_paths("Layer"))


def test_stdassoc_run_project_is_sequential(reference):
    m = load_project(reference / "runs/stdassoc/LeabraStd.proj")
    assert m.plan.order == "sequential"
    assert m.patterns == load_project(reference / "proj_templates/LeabraStd.proj").patterns


def test_basic_leabra_test_inheritance_and_one_to_one(reference):
    m = load_project(reference / "projects/basic_leabra_test.proj")
    assert {p.pattern for p in m.network.projections.values()} == {OneToOne()}
    assert m.network.layers["Input"].shape == (1, 4)
    assert m.patterns.n == 4 and m.plan.order == "sequential"      # row_indexes: 4 of 14 rows
    # the parent con spec's unique wt_limits (sym=0) and rnd var=0 reach the TopDown child
    for name in m.network.projections:
        con = m.prjn_params[name].con
        assert con.wt_limits.sym is False and con.rnd.var == 0.0


def test_err_driven_hidden_uses_the_programs_table(reference):
    r = import_project(reference / "projects/err_driven_hidden.proj")
    assert r.table == "ImpossibleEnv" and r.model.patterns.n == 4   # LeabraTrain: switch(env_type)
    assert r.model.plan.stop_n_under == 5
    assert r.model.network.layers["Output"].shape == (1, 2)
    # an 8.5.0 project lacks members newer versions have: listed, left at the code default
    assert "avg_l_mod.mod" in r.missing["#Hidden"]


def test_leabra_bench_generates_inputs_at_run_time(reference):
    with pytest.raises(SpecError, match=r"StdInputData' holds no saved rows .* --patterns FILE.dat"):
        load_project(reference / "projects/leabra_bench.proj")
    pats = Patterns.random(3, {"Input": (32, 32), "Output": (32, 32)}, seed=2)
    m = load_project(reference / "projects/leabra_bench.proj", patterns=pats)
    assert len(m.network.layers) == 5 and len(m.network.projections) == 7
    assert m.patterns is pats


def test_unsupported_projection_types_are_named(reference, tmp_path):
    from emergent_py.emergent.dump import Dump
    d = Dump.read(reference / "projects/projection_sampler.proj")
    for blk in (d.find(".networks[0].specs[3]"), d.skeleton_find(".networks[0].specs[3]")):
        blk.type = "PolarRndPrjnSpec"           # (its GaussRF specs import; a spec type that does not)
        blk.head = blk.head.replace("GaussRFPrjnSpec", "PolarRndPrjnSpec", 1)
    d.find(".networks[0].layers[1].projections[0]")["spec"].set("type", "PolarRndPrjnSpec")
    path = tmp_path / "sampler.proj"
    d.write(path)
    with pytest.raises(SpecError) as e:
        load_project(path)
    msg = str(e.value)
    assert ("projection Sender->HalfOvlp4x4 ('Fm_Sender', line 3587): projection spec "
            "'GaussRF_HalfOvlp4x4' is a PolarRndPrjnSpec, which the native core does not implement") in msg
    assert "Self->Self" not in msg                # GaussRFPrjnSpec is implemented
    # skipping it gets past the projections; this demo has no input table, which is named next
    with pytest.raises(SpecError, match=r"no input data table \(.data.gp\[0\]\[0\] is missing"):
        import_project(path, skip_unsupported=True)


def test_truncated_project_is_a_format_error(reference, tmp_path):
    src = (reference / "proj_templates/LeabraStd.proj").read_text()
    bad = tmp_path / "t.proj"
    bad.write_text(src[:len(src) // 2])
    with pytest.raises(FormatError, match=r"t.proj:\d+: expected"):
        load_project(bad)


def test_input_table_auto_loaded_from_a_dtbl(reference, tmp_path):
    from emergent_py.emergent.dump import Dump, quote
    d = Dump.read(reference / "proj_templates/LeabraStd.proj")
    tbl = d.find(".data.gp[0][0]")
    tbl.set("data_flags", "AUTO_CALC")
    tbl.set("auto_load", "AUTO_LOAD")
    tbl.set("auto_load_file", quote(str(reference / "data/SimpleLines5x5.dtbl")))
    path = tmp_path / "auto.proj"
    d.write(path)
    m = load_project(path)
    assert m.patterns.names == ["checks", "mitvert", "midhoriz", "rdiag", "ldiag", "random"]
    # SimpleLines5x5.dtbl's 'random' Output row differs from LeabraStd's own table
    assert m.patterns["Output"].shape == (6, 5, 5)
    np.testing.assert_array_equal(m.patterns["Input"][1][:, 2], [1, 1, 1, 1, 1])   # mitvert


def test_child_specs_inherit_all_but_unique_members(reference, tmp_path):
    """emergent copies a parent spec's members into its children on load, except the child's
    unique{...} ones; a hand-edited parent must therefore reach the child."""
    from emergent_py.emergent.dump import Dump
    d = Dump.read(reference / "proj_templates/LeabraStd.proj")
    parent = d.find(".networks[0].specs[2]")           # LeabraConSpec_0
    parent.set("lrate", "0.02")                         # TopDownCons does not list lrate as unique
    parent["wt_scale"].set("rel", "0.7")                # ... but does list wt_scale
    d.find(".networks[0].specs[0]")["lay_inhib"].set("gi", "2.1")   # Input_Output: only kwta unique
    d.write(tmp_path / "edited.proj")
    m = load_project(tmp_path / "edited.proj")
    top = m.prjn_params["Output->Hidden"].con
    assert top.lrate == 0.02 and top.wt_scale.rel == 0.2
    assert m.prjn_params["Input->Hidden"].con.wt_scale.rel == 0.7
    assert m.layer_params["Output"].layer.lay_inhib.gi == 2.1    # child Input_Output inherits
    assert m.layer_params["Input"].bias.lrate == 0.02            # LeabraBiasSpec_0: lrate not unique
