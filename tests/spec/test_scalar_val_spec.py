"""ScalarValLayerSpec in the spec API: its members and defaults (emergent-prjns.md 4.1), the layer
type that carries them, selectors that only such layers take, and their one-value-per-group
input column."""
from __future__ import annotations

import numpy as np
import pytest

from emergent_py import Model, Network, Patterns, SpecError, Sheet
from emergent_py.spec import ScalarValLayerSpec
from emergent_py.spec.network import Layer

SV = "ScalarValLayerSpec"


def net_with(shape=(1, 3), kind="target") -> Network:
    net = Network("SVNet")
    net.layer("Input", (2, 2), kind="input")
    net.layer("Value", shape, kind=kind, spec_type=SV)
    net.connect("Input", "Value")
    return net


def pats(value_rows, n=2) -> Patterns:
    return Patterns({"Input": np.zeros((n, 2, 2)), "Value": value_rows})


def test_defaults_are_emergents():
    s = ScalarValLayerSpec()
    assert (s.scalar.rep, s.scalar.un_width, s.scalar.norm_width, s.scalar.clamp_pat) == ("LOCALIST", 0.3, False, False)
    assert (s.scalar.min_sum_act, s.scalar.clip_val, s.scalar.send_thr, s.scalar.init_nms) == (0.2, True, False, True)
    assert (s.unit_range.min, s.unit_range.max, s.unit_range.range, s.unit_range.scale) == (-0.5, 1.5, 2.0, 0.5)
    assert (s.avg_act_range.min, s.avg_act_range.max) == (0.1, 0.9)
    b = s.bias_val
    assert (b.un, b.un_shp, b.un_gain, b.wt, b.wt_gain, b.val) == ("NO_UN", "VAL", 1.0, "NO_WT", 1.0, 0.0)
    # gi 2.2 on both levels (set at construction for the default LOCALIST rep); the rest LeabraLayerSpec's
    assert (s.lay_inhib.gi, s.lay_inhib.on, s.unit_gp_inhib.gi, s.unit_gp_inhib.on) == (2.2, True, 2.2, False)
    assert s.clamp.hard and s.lay_inhib.ff == 1.0 and s.EMERGENT_TYPE == SV
    # val_range: unit_range, shrunk by un_width/2 at both ends for GAUSSIAN (the demo's SV2)
    assert (s.val_range.min, s.val_range.max) == (-0.5, 1.5)
    m = Model(net_with((1, 11)), Sheet({"#Value": {"scalar.rep": "GAUSSIAN"}}), pats([[[0.5]], [[0.3]]]))
    vr = m.layer_params["Value"].layer.val_range
    assert (vr.min, vr.max) == pytest.approx((-0.35, 1.35))
    m = Model(net_with((1, 11)), Sheet({"#Value": {"scalar.rep": "GAUSSIAN", "scalar.norm_width": True}}),
              pats([[[0.5]], [[0.3]]]))
    vr = m.layer_params["Value"].layer.val_range         # width 0.3 * range 2
    assert (vr.min, vr.max) == pytest.approx((-0.2, 1.2))


def test_the_layer_type_chooses_the_record_and_travels_in_json():
    m = Model(net_with(), Sheet({"#Value": {"scalar.rep": "AVG_ACT", "unit_range.min": 0.0}}),
              pats([[[1.0]], [[0.0]]]))
    assert type(m.layer_params["Value"].layer) is ScalarValLayerSpec
    assert type(m.layer_params["Input"].layer).__name__ == "LayerSpec"
    back = Model.from_json(m.to_json())
    assert back == m and back.network.layers["Value"].spec_type == SV
    assert back.layer_params["Value"].layer.scalar.rep == "AVG_ACT"
    # a plain layer's JSON has no spec_type (models written before it read and print the same)
    assert "spec_type" not in m.network.to_dict()["layers"][0]
    rows = dict((p, v) for p, v, _ in m.layer_params["Value"].rows("Layer"))
    assert rows["scalar.rep"] == "AVG_ACT" and rows["lay_inhib.gi"] == 2.2 and "scalar.rep" not in dict(
        (p, v) for p, v, _ in m.layer_params["Input"].rows("Layer"))


def test_bad_spec_type_and_members_are_named():
    with pytest.raises(SpecError, match=r"Layer 'V': spec_type 'ScalarValLayer' is not one of "
                                        r"LeabraLayerSpec, ScalarValLayerSpec\. Did you mean 'ScalarValLayerSpec'"):
        Layer("V", (1, 3), "target", spec_type="ScalarValLayer")
    with pytest.raises(SpecError, match=r"parameter 'scalar\.rep' does not exist on layer 'Input', which this "
                                        r"selector also matches \(a LeabraLayerSpec layer; a member of "
                                        r"ScalarValLayerSpec layers\)"):
        Model(net_with(), Sheet({"Layer": {"scalar.rep": "GAUSSIAN"}}), pats([[[1.0]], [[0.0]]]))
    with pytest.raises(SpecError, match=r"unknown parameter 'scalar\.rpe'\. Did you mean 'scalar\.rep'"):
        Sheet({"#Value": {"scalar.rpe": "GAUSSIAN"}}, name="S")
    with pytest.raises(SpecError, match=r"'GAUS' is not one of LOCALIST, GAUSSIAN, AVG_ACT"):
        Model(net_with(), Sheet({"#Value": {"scalar.rep": "GAUS"}}), pats([[[1.0]], [[0.0]]]))


def test_the_input_column_is_one_value_per_coding_group():
    Model(net_with(), None, pats([[[0.7]], [[0.2]]]))               # (1, 1)
    Model(net_with(), None, pats([[0.7], [0.2]]))                   # flat (n_groups,)
    grouped = net_with((2, 3, 1, 4))                                # 2 x 3 groups of 4 units
    m = Model(grouped, Sheet({"#Value": {"unit_range.min": 0.0, "unit_range.max": 1.0}}),
              pats(np.zeros((2, 2, 3, 1, 1))))
    assert m.pattern_rows("Value").shape == (2, 6)
    with pytest.raises(SpecError, match=r"Patterns\['Value'\]: pattern shape \(1, 3\) does not fit ScalarVal "
                                        r"layer 'Value' of shape \(1, 3\): its column holds one value per "
                                        r"coding group, shape \(1, 1\) \(or \(1,\)\)"):
        Model(net_with(), None, pats(np.zeros((2, 1, 3))))
    with pytest.raises(SpecError, match=r"shape \(2, 3, 1, 1\) \(or \(6,\)\)"):
        Model(grouped, None, pats(np.zeros((2, 2, 3, 1, 4))))


def test_too_few_units_and_zero_ranges_are_refused():
    with pytest.raises(SpecError, match=r"ScalarVal layer 'Value': LOCALIST needs at least 2 units per coding "
                                        r"group, the layer has 1 \(emergent would resize it to 3"):
        Model(net_with((1, 1)), None, pats([[[0.7]], [[0.2]]]))
    with pytest.raises(SpecError, match=r"GAUSSIAN needs at least 2 units .* resize it to 11"):
        Model(net_with((2, 1, 1, 1)), Sheet({"#Value": {"scalar.rep": "GAUSSIAN"}}), pats(np.zeros((2, 2, 1, 1, 1))))
    Model(net_with((1, 1)), Sheet({"#Value": {"scalar.rep": "AVG_ACT"}}), pats([[[0.7]], [[0.2]]]))
    with pytest.raises(SpecError, match=r"unit_range\.max \(0\.0\) must be above unit_range\.min \(0\.0\)"):
        Model(net_with(), Sheet({"#Value": {"unit_range.min": 0.0, "unit_range.max": 0.0}}), pats([[[0.7]], [[0.2]]]))
    with pytest.raises(SpecError, match=r"GAUSSIAN needs scalar\.un_width > 0"):
        Model(net_with(), Sheet({"#Value": {"scalar.rep": "GAUSSIAN", "scalar.un_width": 0.0}}),
              pats([[[0.7]], [[0.2]]]))
