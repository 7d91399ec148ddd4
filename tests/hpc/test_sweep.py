"""Sweeps and seeds: parsing, the run list, and the sweep sheet each run's model gets."""
from __future__ import annotations

import pytest

from emergent_py.errors import SubmitError
from emergent_py.hpc.sweep import expand, parse_seeds, parse_sweep, point_model


def test_parse_forms():
    p = parse_sweep("lay_inhib.gi=1.6,1.8,2.0")
    assert (p.selector, p.path, p.values) == ("Layer", "lay_inhib.gi", (1.6, 1.8, 2.0))
    p = parse_sweep("#Output:lay_inhib.gi=1.4,1.6")
    assert (p.selector, p.key) == ("#Output", "#Output:lay_inhib.gi")
    assert parse_sweep("wt_scale.rel=0.1,0.2").selector == "Prjn"


@pytest.mark.parametrize("text,match", [
    ("lay_inhib.gi", "write \\[SELECTOR:\\]path=v1"),
    ("lay_inhib.gi=", "no values"),
    ("lay_inhib.gx=1", "no layer, projection or network parameter 'lay_inhib.gx'"),
    ("Layer:lay_inhib.gi=1,1", "listed twice"),
    ("Bogus Sel:lay_inhib.gi=1", "selector"),
])
def test_parse_errors(text, match):
    with pytest.raises(SubmitError, match=match):
        parse_sweep(text)


def test_seeds():
    assert parse_seeds(None, 42) == [42]
    assert parse_seeds("3", 42) == [42, 43, 44]
    assert parse_seeds("1,5,9", 42) == [1, 5, 9]
    with pytest.raises(SubmitError, match="distinct"):
        parse_seeds("1,1", 0)
    with pytest.raises(SubmitError, match="a count"):
        parse_seeds("x", 0)


def test_expand_is_the_product_first_parameter_slowest():
    pts = expand([parse_sweep("lay_inhib.gi=1.6,1.8"), parse_sweep("#Output:lay_inhib.gi=1.2,1.4")], [7, 8])
    assert len(pts) == 8 and [p.index for p in pts] == list(range(8))
    assert pts[0].values == {"Layer:lay_inhib.gi": 1.6, "#Output:lay_inhib.gi": 1.2} and pts[0].seed == 7
    assert pts[1].seed == 8 and pts[2].values["#Output:lay_inhib.gi"] == 1.4
    assert pts[7].values == {"Layer:lay_inhib.gi": 1.8, "#Output:lay_inhib.gi": 1.4} and pts[7].dir == "runs/007"


def test_point_model_appends_a_sweep_sheet_and_sets_the_seed(model):
    pt = expand([parse_sweep("lay_inhib.gi=2.2"), parse_sweep("#Output:lay_inhib.gi=1.1")], [5])[0]
    m = point_model(model, pt)
    assert [s.name for s in m.sheets] == [s.name for s in model.sheets] + ["sweep"]
    assert m.plan.seed == 5 and model.plan.seed == 42
    # the base sheet sets Layer 1.8 and #Output 1.4; the sweep sheet comes later and wins
    assert m.layer_params["Hidden"].layer.lay_inhib.gi == 2.2
    assert m.layer_params["Output"].layer.lay_inhib.gi == 1.1
    assert model.layer_params["Hidden"].layer.lay_inhib.gi == 1.8
    again = type(m).from_json(m.to_json())
    assert again == m
