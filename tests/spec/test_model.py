"""Network, sheets, patterns, run plan, Model validation and canonical JSON."""
import json
from pathlib import Path

import numpy as np
import pytest

from emergent_py import (Full, Model, Network, OneToOne, Patterns, RunPlan, Sel, Sheet, SpecError,
                         UniformRandom, load_model)

REPO = Path(__file__).resolve().parents[2]
PROJECTS = sorted(p for p in (REPO / "projects").iterdir() if (p / "model.py").is_file())


def small_net():
    net = Network("Assoc")
    inp = net.layer("Input", (2, 3), kind="input")
    hid = net.layer("Hidden", (4, 4), cls="Deep")
    out = net.layer("Output", (2, 3), kind="target")
    net.connect(inp, hid, Full())
    net.connect(hid, out, Full())
    net.connect(out, hid, Full(), cls="TopDown")
    return net


def pats(n=4, **shapes):
    shapes = shapes or {"Input": (2, 3), "Output": (2, 3)}
    return Patterns.random(n, shapes, pct_on=0.34, seed=3)


# --------------------------------------------------------------------------- resolution

def test_later_entries_and_sheets_override_earlier():
    base = Sheet({"Layer": {"lay_inhib.gi": 1.8, "act.gain": 80},
                  "#Output": {"lay_inhib.gi": 1.4},
                  ".TopDown": {"wt_scale.rel": 0.2}}, name="Base")
    extra = Sheet([Sel("Layer", {"lay_inhib.gi": 2.0}, doc="more inhibition"),
                   Sel("Prjn#Hidden->Output", {"lrate": 0.01})], name="Extra")
    m = Model(small_net(), [base, extra], pats())
    assert m.layer_params["Output"].layer.lay_inhib.gi == 2.0      # Extra wins over #Output
    assert m.layer_params["Hidden"].unit.act.gain == 80.0
    assert m.layer_params["Input"].unit.act.gain == 80.0
    assert m.prjn_params["Output->Hidden"].con.wt_scale.rel == 0.2
    assert m.prjn_params["Input->Hidden"].con.wt_scale.rel == 1.0
    assert m.prjn_params["Hidden->Output"].con.lrate == 0.01
    assert m.prjn_params["Input->Hidden"].con.lrate == 0.04
    src = m.layer_params["Output"].sources
    assert src["lay_inhib.gi"].startswith("Extra[0] Layer")
    assert src["act.gain"].startswith("Base[0] Layer")
    assert "lrate" not in m.prjn_params["Input->Hidden"].sources


def test_sources_name_file_and_line():
    sheet = Sheet({"Layer": {"lay_inhib.gi": 1.9},
                   "#Output": {"lay_inhib.gi": 1.4}})
    m = Model(small_net(), sheet, pats())
    me = Path(__file__).name
    line = next(i for i, l in enumerate(Path(__file__).read_text().splitlines(), 1)
                if '"#Output": {"lay_inhib.gi": 1.4}})' in l)
    source = m.layer_params["Output"].sources["lay_inhib.gi"]
    assert source.startswith("Base[1] #Output (") and source.endswith(f"{me}:{line})")


def test_bias_and_network_members():
    m = Model(small_net(), Sheet({"Layer": {"bias.learn": True, "bias.lrate": 0.01},
                                  "Network": {"stats.cnt_err_tol": 1}}), pats())
    assert m.layer_params["Hidden"].bias.learn is True
    assert m.layer_params["Hidden"].bias.lrate == 0.01
    assert m.network_params.network.stats.cnt_err_tol == 1.0


# --------------------------------------------------------------------------- bad input

def test_unknown_parameter_names_selector_name_and_suggestions():
    with pytest.raises(SpecError) as e:
        Sheet({"#Hidden": {"act.gian": 1.0}})
    msg = str(e.value)
    assert "selector '#Hidden'" in msg and "unknown parameter 'act.gian'" in msg
    assert "Did you mean 'act.gain'" in msg
    with pytest.raises(SpecError, match=r"unknown parameter 'g_bar\.ll'.*'g_bar\.l'"):
        Sheet({"Layer": {"g_bar.ll": 0.1}})


def test_layer_parameter_on_projection_selector_is_rejected():
    with pytest.raises(SpecError, match=r"selector 'Prjn': unknown parameter 'lay_inhib\.gi'"):
        Sheet({"Prjn": {"lay_inhib.gi": 1.0}})


def test_selector_matching_nothing_is_an_error():
    with pytest.raises(SpecError) as e:
        Model(small_net(), Sheet({"#Ouptut": {"lay_inhib.gi": 1.4}}), pats())
    msg = str(e.value)
    assert "selector '#Ouptut' matches nothing" in msg and "Did you mean '#Output'" in msg
    with pytest.raises(SpecError, match=r"'\.TopDwn' matches nothing.*'\.TopDown'"):
        Model(small_net(), Sheet({".TopDwn": {"wt_scale.rel": 0.2}}), pats())


def test_class_matching_a_layer_with_a_projection_parameter():
    # '.Deep' matches the Hidden layer; wt_scale.rel exists only on projections
    with pytest.raises(SpecError, match=r"'wt_scale\.rel' does not exist on layer 'Hidden'"):
        Model(small_net(), Sheet({".Deep": {"wt_scale.rel": 0.5}}), pats())


@pytest.mark.parametrize("sel", ["Layr", "#", "Layer.", "Network#X", "a b"])
def test_malformed_selectors(sel):
    with pytest.raises(SpecError, match="selector"):
        Sel(sel, {"act.gain": 1})


def test_duplicate_layer_name():
    net = Network("N")
    net.layer("Hidden", (2, 2))
    with pytest.raises(SpecError, match="duplicate layer name 'Hidden'"):
        net.layer("Hidden", (3, 3))


def test_projection_to_unknown_layer():
    net = small_net()
    with pytest.raises(SpecError, match=r"unknown receiving layer 'Hiden'.*Did you mean 'Hidden'"):
        net.connect("Input", "Hiden", Full())
    with pytest.raises(SpecError, match="unknown sending layer 'Nope'"):
        net.connect("Nope", "Hidden")


def test_bad_geometry_and_patterns_of_connectivity():
    net = Network("N")
    with pytest.raises(SpecError, match=r"Layer 'X': shape \(2, 0\)"):
        net.layer("X", (2, 0))
    with pytest.raises(SpecError, match="shape"):
        net.layer("Y", (2, 2, 2))
    with pytest.raises(SpecError, match="kind 'inptu'.*Did you mean 'input'"):
        net.layer("Z", (2, 2), kind="inptu")
    a, b = net.layer("A", (2, 2)), net.layer("B", (3, 3))
    with pytest.raises(SpecError, match="OneToOne needs layers of equal size, got 4 .A. and 9 .B."):
        net.connect(a, b, OneToOne())
    with pytest.raises(SpecError, match="p=1.5"):
        UniformRandom(1.5)


def test_pattern_shape_that_does_not_fit():
    bad = Patterns({"Input": np.zeros((4, 3, 2)), "Output": np.zeros((4, 2, 3))})
    with pytest.raises(SpecError, match=r"Patterns\['Input'\]: pattern shape \(3, 2\) does not fit layer 'Input' of shape \(2, 3\)"):
        Model(small_net(), None, bad)
    flat = Patterns({"Input": np.zeros((4, 6)), "Output": np.zeros((4, 6))})   # flat rows are fine
    assert Model(small_net(), None, flat).pattern_rows("Input").shape == (4, 6)


def test_target_layer_without_patterns():
    with pytest.raises(SpecError, match="Layer 'Output' is target but the patterns have no column for it"):
        Model(small_net(), None, pats(Input=(2, 3)))


def test_patterns_for_unknown_or_hidden_layers():
    with pytest.raises(SpecError, match=r"column 'Outptu' names no layer.*Did you mean 'Output'"):
        Model(small_net(), None, pats(Input=(2, 3), Outptu=(2, 3)))
    with pytest.raises(SpecError, match="layer 'Hidden' is hidden"):
        Model(small_net(), None, pats(Input=(2, 3), Output=(2, 3), Hidden=(4, 4)))


def test_patterns_validate_rows():
    with pytest.raises(SpecError, match="3 rows, but other layers have 4"):
        Patterns({"Input": np.zeros((4, 6)), "Output": np.zeros((3, 6))})
    with pytest.raises(SpecError, match="NaN"):
        Patterns({"Input": np.full((2, 6), np.nan)})


def test_random_patterns_have_exact_counts_and_depend_on_seed():
    p = Patterns.random(25, {"Input": (5, 5)}, pct_on=0.2, seed=1)
    assert p["Input"].shape == (25, 5, 5) and p["Input"].dtype == np.float32
    assert (p["Input"].reshape(25, -1).sum(axis=1) == 5).all()
    assert p == Patterns.random(25, {"Input": (5, 5)}, pct_on=0.2, seed=1)
    assert p != Patterns.random(25, {"Input": (5, 5)}, pct_on=0.2, seed=2)


@pytest.mark.parametrize("kw,msg", [({"epochs": 0}, "epochs=0"), ({"order": "permutted"}, "Did you mean 'permuted'"),
                                    ({"wt_update": "online"}, "wt_update='online'"), ({"seed": -1}, "seed=-1"),
                                    ({"stop_cnt_err": 1.5}, "stop_cnt_err")])
def test_run_plan_validation(kw, msg):
    with pytest.raises(SpecError, match=msg):
        RunPlan(**kw)


def test_run_plan_accepts_emergent_enum_names():
    assert RunPlan(order="SEQUENTIAL", wt_update="SMALL_BATCH").order == "sequential"


# --------------------------------------------------------------------------- canonical JSON

def test_json_round_trip_is_exact_and_deterministic():
    sheet = Sheet([Sel("Layer", {"lay_inhib.gi": 1.7, "act.gain": 80}, doc="why"),
                   Sel(".TopDown", {"wt_scale.rel": 0.2, "rnd.type": "uniform"})])
    m = Model(small_net(), sheet, pats(), RunPlan(epochs=7, order="sequential", seed=9))
    text = m.to_json()
    m2 = Model.from_json(text)
    assert m2 == m and m2.to_json() == text
    assert m2.patterns["Input"].dtype == np.float32
    data = json.loads(text)
    assert data["schema"] == "emergent_py.model" and data["schema_version"] == 1
    assert data["resolved"]["layers"]["Hidden"]["layer"]["lay_inhib"]["gi"] == 1.7
    assert data["resolved"]["projections"]["Output->Hidden"]["con"]["rnd"]["type"] == "UNIFORM"


def test_json_keeps_float32_patterns_exact():
    rows = np.random.default_rng(0).random((3, 6)).astype(np.float32)
    m = Model(small_net(), None, Patterns({"Input": rows, "Output": rows}))
    back = Model.from_json(m.to_json()).pattern_rows("Input")
    assert back.tobytes() == rows.tobytes()


def test_json_errors_are_clear():
    with pytest.raises(SpecError, match="invalid JSON at line 1"):
        Model.from_json("{nope")
    with pytest.raises(SpecError, match="not an emergent_py model"):
        Model.from_json('{"a": 1}')
    data = json.loads(Model(small_net(), None, pats()).to_json())
    data["schema_version"] = 99
    with pytest.raises(SpecError, match="schema_version 99 is not supported"):
        Model.from_dict(data)
    data["schema_version"] = 1
    data["resolved"]["layers"]["Hidden"]["layer"]["lay_inhib"]["gi"] = 9.0
    with pytest.raises(SpecError, match=r"layers\.Hidden\.layer\.lay_inhib\.gi: stored 9\.0, computed 1\.8"):
        Model.from_dict(data)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_every_project_round_trips(project):
    m = load_model(project)
    assert Model.from_json(m.to_json()) == m


# --------------------------------------------------------------------------- loader

def test_loader_errors_name_the_file(tmp_path):
    with pytest.raises(SpecError, match="no such model file or project folder"):
        load_model(tmp_path / "missing.py")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SpecError, match="folder has no model.py"):
        load_model(tmp_path / "empty")
    f = tmp_path / "nobuild.py"
    f.write_text("x = 1\n")
    with pytest.raises(SpecError, match="nobuild.py: defines no build"):
        load_model(f)
    f = tmp_path / "crash.py"
    f.write_text("import math\n\ndef build():\n    return 1\n\nraise RuntimeError('oops')\n")
    with pytest.raises(SpecError, match=r"crash.py:6: loading the model file raised RuntimeError: oops"):
        load_model(f)
    f = tmp_path / "wrong.py"
    f.write_text("def build():\n    return 42\n")
    with pytest.raises(SpecError, match="build\\(\\) returned int"):
        load_model(f)


def test_loader_reads_json_model(tmp_path):
    m = load_model(REPO / "projects" / "RandomAssoc")
    f = tmp_path / "m.json"
    f.write_text(m.to_json())
    assert load_model(f) == m
