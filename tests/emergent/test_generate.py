"""Spec -> emergent project (template splice) and back: checks on the real LeabraStd template."""
from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pytest

from emergent_py import Full, Network, OneToOne, Patterns, RunPlan, Sheet, UniformRandom
from emergent_py.cli import main
from emergent_py.emergent.dump import Block, Dump, parse_ref, ref_problems, size_mismatches
from emergent_py.emergent.generate import find_template, generate, native_initial_weights, write_project
from emergent_py.emergent.project import load_project
from emergent_py.errors import SpecError
from emergent_py.spec import Model, load_model

REPO = Path(__file__).resolve().parents[2]
PROJECTS = sorted(p.parent.name for p in (REPO / "projects").glob("*/model.py"))


@pytest.fixture
def template(reference):
    return reference / "proj_templates/LeabraStd.proj"


def structure(m: Model):
    """Layers, and each layer's receiving projections in order (what emergent stores)."""
    net = m.network
    return ([(l.name, l.shape, l.kind) for l in net.layers.values()],
            {l: [(p.send, p.pattern) for p in net.receiving(l)] for l in net.layers})


def assert_same_model(a: Model, b: Model) -> None:
    assert structure(a) == structure(b)
    assert a.patterns == b.patterns
    assert a.resolved_dict() == b.resolved_dict()
    pa, pb = a.plan.to_dict(), b.plan.to_dict()
    pa.pop("seed"), pb.pop("seed")           # emergent has its own seeds (see docs/emergent.md)
    assert pa == pb


@pytest.mark.parametrize("project", PROJECTS)
def test_every_project_round_trips(project, template, reference, tmp_path):
    model = load_model(REPO / "projects" / project)
    out = write_project(model, tmp_path / f"{project}.proj", template,
                        prototypes=[reference / "projects/basic_leabra_test.proj"])
    back = load_project(out)
    assert_same_model(model, back)
    assert Dump.read(out).value_root.name == project


@pytest.mark.parametrize("rel", ["proj_templates/LeabraStd.proj", "projects/basic_leabra_test.proj",
                                 "projects/err_driven_hidden.proj", "projects/leabra_bench.proj"])
def test_imported_reference_projects_regenerate(rel, template, reference, tmp_path):
    kw = {}
    if "bench" in rel:
        kw["patterns"] = Patterns.random(3, {"Input": (32, 32), "Output": (32, 32)}, seed=1)
    model = load_project(reference / rel, **kw)
    out = write_project(model, tmp_path / "re.proj", template,
                        prototypes=[reference / "projects/basic_leabra_test.proj"])
    assert_same_model(model, load_project(out))


def _allowed_lines(d: Dump) -> set[int]:
    """Template lines the splice may change: the network (both passes), the input table (both
    passes), the project name, the run-plan variables and loop, control-panel pointers."""
    text = d.text().splitlines()
    spans = []
    for blk in (d.skeleton_find(".networks"), d.find(".networks"), d.skeleton_find(".data.gp[0][0]"),
                d.find(".data.gp[0][0]")):
        n = blk.render().count("\n")
        spans.append((blk.line, blk.line + n))
    allowed = {ln for a, b in spans for ln in range(a, b + 1)}
    allowed.add(d.value_root.line + 1)              # name="..."
    for i, line in enumerate(text, 1):
        s = line.strip()
        if s.startswith(("int_val=", "real_val=", "order=", "code_string=\"Net Data Loop", "base=.networks")):
            allowed.add(i)
    return allowed


def test_untouched_template_parts_stay_byte_identical(template, tmp_path):
    model = load_model(REPO / "projects/RandomAssoc")
    out = write_project(model, tmp_path / "ra.proj", template, trial_log=False)
    a = template.read_text().splitlines()
    b = out.read_text().splitlines()
    allowed = _allowed_lines(Dump.read(template))
    changed = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            changed.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    assert changed and changed <= allowed, sorted(changed - allowed)[:10]


def test_generated_pointers_and_sizes(template, tmp_path):
    model = load_model(REPO / "projects/RandomAssoc")
    d = generate(model, template, name="RA").dump
    assert size_mismatches(d) == []
    base = Dump.read(template)
    assert sorted(ref_problems(d)) == sorted(ref_problems(base))      # only the template's own
    hid = d.find(".networks[0].layers[1]")
    assert hid.name == "Hidden" and hid.value("un_geom.x") == "7" and hid.value("layer_type") == "HIDDEN"
    unit = d.find(parse_ref(hid.value("unit_spec.spec")).path)
    assert unit.type == "LeabraUnitSpec"
    assert d.find(parse_ref(unit.value("bias_spec.spec")).path).type == "LeabraBiasSpec"
    assert d.skeleton_find(".networks[0].specs").size == len(d.find(".networks[0].specs").elements)
    # the ClusterRun control panel's lrate member still points at a LeabraConSpec
    cp = d.find(".ctrl_panels[0].mbrs[0]")
    assert d.find(parse_ref(cp.value("base")).path).type == "LeabraConSpec"
    # run plan numbers
    train = d.find('.programs.gp[0]["LeabraTrain"]')
    assert [v.value("int_val", None) for v in train["vars"].elements][:1] == ["50"]
    batch = d.find('.programs.gp[0]["LeabraBatch"]')
    assert next(v for v in batch["vars"].elements if v.name == "n_batches").value("int_val") == "1"
    assert d.find(".networks[0]").value("wt_save_fmt") == "BINARY"
    assert d.value_root.name == "RA"


def test_sequential_plan_and_trial_log(template, reference):
    model = load_model(REPO / "projects/RandomAssoc")
    model = Model(model.network, model.sheets, model.patterns,
                  RunPlan(epochs=5, stop_cnt_err=None, order="sequential", wt_update="small_batch",
                          small_batch_n=5))
    d = generate(model, template, trial_log=True).dump
    epoch = d.find('.programs.gp[0]["LeabraEpoch"]')
    loop = next(b for b in epoch.walk() if getattr(b, "type", "") == "NetDataLoop")
    assert loop.value("order") == "SEQUENTIAL" and "(SEQUENTIAL)" in loop.value("code_string")
    start = d.find('.programs[0]')
    trl = trial_log_steps(start)
    assert len(trl) == 2
    assert trl and all("OFF" not in b.value("flags") for b in trl)
    assert d.find(".networks[0]").value("wt_update") == "SMALL_BATCH"
    # the same edits the reference run made by hand (runs/stdassoc/README.txt)
    ref = Dump.read(reference / "runs/stdassoc/LeabraStd.proj")
    rstart = ref.find(".programs[0]")
    assert [b.value("flags") for b in trl] == [b.value("flags") for b in trial_log_steps(rstart)]


def trial_log_steps(prog):
    return [b for b in prog.walk() if isinstance(b, Block) and b.kind == "object"
            and ("trl.dat" in b.value("code_string", "") or "Saving trial log" in b.value("code_string", ""))]


def test_parameter_the_template_lacks_is_an_error(template):
    m = load_model(REPO / "projects/RandomAssoc")
    bad = Model(m.network, [*m.sheets, Sheet({"Prjn": {"margin.on": True}})], m.patterns, m.plan)
    with pytest.raises(SpecError, match=r"parameter 'margin.on' = True cannot be written: the template's "
                                        r"LeabraConSpec has no member 'margin.on'"):
        generate(bad, template)


def test_projection_type_the_template_lacks_is_named(template, reference):
    net = Network("OneNet")
    net.layer("In", (2, 2), kind="input")
    net.layer("Out", (2, 2), kind="target")
    net.connect("In", "Out", OneToOne())
    pats = Patterns({"In": np.eye(4).reshape(4, 2, 2), "Out": np.eye(4).reshape(4, 2, 2)})
    m = Model(net, None, pats)
    with pytest.raises(SpecError, match=r"has no OneToOnePrjnSpec \(needed for projection 'In->Out'\)"):
        generate(m, template)
    d = generate(m, template, prototypes=[reference / "projects/basic_leabra_test.proj"]).dump
    prj = d.find(".networks[0].layers[1].projections[0]")
    assert prj.value("spec.type") == "OneToOnePrjnSpec"


def test_scalar_val_layers_are_refused_by_name(template, reference):
    """The writer does not write ScalarValLayerSpec layers: it says so, naming each, instead of
    writing a plain LeabraLayerSpec (a different model)."""
    net = Network("SVNet")
    net.layer("In", (2, 2), kind="input")
    net.layer("Val", (1, 3), kind="target", spec_type="ScalarValLayerSpec")
    net.layer("Val2", (1, 11), kind="target", spec_type="ScalarValLayerSpec")
    net.connect("In", "Val")
    net.connect("In", "Val2")
    pats = Patterns({"In": np.zeros((1, 2, 2)), "Val": [[[0.5]]], "Val2": [[[0.5]]]})
    with pytest.raises(SpecError, match=r"layers 'Val', 'Val2' are ScalarValLayerSpec layers, which the "
                                        r"project writer does not write"):
        generate(Model(net, None, pats), template,
                 prototypes=[reference / "cemer/demo/leabra/scalar_val_test.proj"])


def test_exact_float_patterns_and_4d_layers(template, tmp_path):
    net = Network("Pools")
    net.layer("In", (2, 3, 2, 2), kind="input")
    net.layer("Out", (3, 4), kind="target")
    net.connect("In", "Out", Full())
    rng = np.random.default_rng(0)
    pats = Patterns({"In": rng.random((3, 2, 3, 2, 2)), "Out": rng.random((3, 3, 4))}, ["a", "b c", 'q"t'])
    m = Model(net, None, pats)
    back = load_project(write_project(m, tmp_path / "pools.proj", template))
    assert_same_model(m, back)
    assert back.network.layers["In"].shape == (2, 3, 2, 2)


def test_auto_loaded_dat_and_initial_weights(template, tmp_path):
    from emergent_py.emergent.wts import read_wts
    model = load_model(REPO / "projects/RandomAssoc")
    wts = native_initial_weights(model)
    out = write_project(model, tmp_path / "ra.proj", template, auto_load="ra.dat", init_weights=wts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ra.dat", "ra.proj", "ra_init.wts"]
    d = Dump.read(out)
    tbl = d.find(".data.gp[0][0]")
    assert (tbl.value("auto_load"), tbl.value("auto_load_file")) == ("AUTO_LOAD", "ra.dat")
    assert "SAVE_ROWS" not in tbl.value("data_flags")
    w = d.find(".networks[0].weights[0]")
    assert (w.type, w.value("load_file"), w.value("auto_init")) == ("Weights", "ra_init.wts", "1")
    assert d.skeleton_find(".networks[0].weights").size == 1
    back = load_project(out)
    assert back.patterns == model.patterns
    f = read_wts(tmp_path / "ra_init.wts")
    assert f.fmt == "BINARY" and list(f.layers) == ["Input", "Hidden", "Output"]
    # exactly the weights a native run of the model starts from (same seed: the plan's)
    from emergent_py.leabra.network import Network as NativeNetwork
    native = NativeNetwork(model)
    for p in native.prjn_list:
        np.testing.assert_array_equal(f.dense(p.recv.name, p.send.name), p.wt.T)
    assert f.layers["Hidden"].vars["acts_p_avg"] == pytest.approx(0.15)


def test_find_template_order(template, tmp_path, monkeypatch):
    monkeypatch.delenv("EMERGENT_TEMPLATES", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(SpecError, match=r"looked in: \$EMERGENT_TEMPLATES \(not set\); emergent on PATH \(not found\)"):
        find_template()
    # the share folder of an emergent on PATH
    prefix = tmp_path / "inst"
    (prefix / "bin").mkdir(parents=True)
    exe = prefix / "bin" / "emergent"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    share = prefix / "share" / "Emergent" / "proj_templates"
    share.mkdir(parents=True)
    (share / "LeabraStd.proj").symlink_to(template)
    monkeypatch.setenv("PATH", str(prefix / "bin"))
    assert find_template() == share / "LeabraStd.proj"
    monkeypatch.setenv("EMERGENT_TEMPLATES", str(template.parent))
    assert find_template() == template.parent / "LeabraStd.proj"
    assert find_template(template) == template
    with pytest.raises(SpecError, match="--template /no/such.proj: no such file"):
        find_template("/no/such.proj")


def test_cli_proj_writes_nothing_on_error(template, tmp_path, capsys):
    out = tmp_path / "x.proj"
    rc = main(["proj", str(REPO / "projects/RandomAssoc"), "-o", str(out), "--template", str(template)])
    assert rc == 0 and out.is_file()
    assert "project name 'x'" in capsys.readouterr().out
    bad = tmp_path / "bad.proj"
    rc = main(["proj", str(REPO / "projects/BasicLeabraTest"), "-o", str(bad), "--template", str(template)])
    err = capsys.readouterr().err
    assert rc == 2 and "OneToOnePrjnSpec" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.proj"]


def test_uniform_random_custom_names_and_plan(template, reference, tmp_path):
    net = Network("Rnd")
    net.layer("In", (4, 4), kind="input")
    net.layer("Hid", (3, 3))
    net.layer("Out", (2, 2), kind="output")
    net.connect("In", "Hid", UniformRandom(0.25, seed=7))
    net.connect("Hid", "Out", Full())
    net.connect("Hid", "Hid", Full(), name="SelfHid")
    pats = Patterns({"In": np.ones((2, 4, 4)), "Out": np.zeros((2, 2, 2))})
    m = Model(net, Sheet({"#SelfHid": {"wt_scale.rel": 0.3}}), pats,
              RunPlan(epochs=3, stop_cnt_err=None, order="random", wt_update="batch"))
    with pytest.raises(SpecError, match="has no UniformRndPrjnSpec"):
        generate(m, template)
    d = generate(m, template, prototypes=[reference / "projects/projection_sampler.proj"]).dump
    rnd = next(b for b in d.find(".networks[0].specs").elements if b.type == "UniformRndPrjnSpec")
    assert (rnd.type, rnd.value("p_con"), rnd.value("same_seed"), rnd.value("rndm_seed.rnd_seed")) == \
        ("UniformRndPrjnSpec", "0.25", "1", "7")
    train = d.find('.programs.gp[0]["LeabraTrain"]')
    assert next(v for v in train["vars"].elements if v.name == "err_stopcrit").value("real_val") == "-1"
    p = tmp_path / "rnd.proj"
    p.write_bytes(d.to_bytes())
    back = load_project(p)
    assert_same_model(m, back)            # incl. the custom projection name SelfHid
    assert back.prjn_params["SelfHid"].con.wt_scale.rel == 0.3
