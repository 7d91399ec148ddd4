"""ScalarValLayerSpec in the native core (emergent-prjns.md section 4): the coding's worked examples
(4.5), emergent's fast exp, the clamp rule at quarter start (4.3), the readout and the sse (4.4),
on both kernels, and what is refused.

Expected values are the specification's numbers, or computed here from its formulas in plain
Python floats (never with the engine's own functions)."""
from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from emergent_py import BackendError, Full, Model, Network as SpecNet, Patterns, RunPlan, Sheet
from emergent_py.leabra import Network, Run
from emergent_py.leabra.scalar_val import ScalarCoding, decode, encode, expfast
from emergent_py.leabra.stats import trial_stats
from emergent_py.spec import ScalarValLayerSpec, UnitSpec
from emergent_py.spec.fields import with_path

SV = "ScalarValLayerSpec"
KERNELS = ("numpy", "c")


def spec_expfast(z: float) -> float:
    """emergent-prjns.md 4.2 in Python ints: k = int(2^20/ln2 * z + 1072693248 - 60801) as the
    high word of a double with a zero low word, then float32."""
    k = int((2 ** 20 / math.log(2)) * float(np.float32(z)) + 1072693248 - 60801)
    return float(np.float32(struct.unpack("<d", struct.pack("<q", k << 32))[0]))


def coding(n: int, **members) -> ScalarCoding:
    spec = ScalarValLayerSpec()
    for path, value in members.items():
        spec = with_path(spec, path.replace("__", "."), value)
    return ScalarCoding.build(spec, UnitSpec(), n)


# ------------------------------------------------------------------------------- the coding

def test_expfast_is_emergents_approximation_bit_for_bit():
    assert float(expfast(0.0)) == pytest.approx(0.97101, abs=5e-6)
    assert float(expfast(-1.0)) == pytest.approx(0.37483, abs=5e-6)
    assert float(expfast(-0.5)) == pytest.approx(0.61033, abs=5e-6)
    zs = np.float32([0, -1e-7, -0.01, -0.1, -0.4444444, -0.5, -1, -1.7777778, -4, -10, -44.4, -300, -700])
    got = expfast(zs)
    assert got.dtype == np.float32
    assert [float(g) for g in got] == [spec_expfast(z) for z in zs]
    assert float(expfast(-800.0)) == 0.0        # k < 0: emergent's value is <= 0, the threshold makes it 0


def test_localist_worked_examples():
    c = coding(3, unit_range__min=0.0, unit_range__max=1.0)           # the demo's SV1
    np.testing.assert_allclose(c.vals, [0, 0.5, 1])
    np.testing.assert_allclose(encode(c, [0.7])[0], [0, 0.6, 0.4], atol=1e-6)
    np.testing.assert_allclose(encode(c, [0.2])[0], [0.6, 0.4, 0], atol=1e-6)
    # hard clamp: act = (0, .6, .4); b = act/0.95 = (0, .6316, .4211); (0.5*.6316 + .4211)/1.0526
    act = np.clip(encode(c, [0.7]), 0, 0.95)
    b = [a / 0.95 for a in (0.0, 0.6, 0.4)]
    assert b == pytest.approx([0, 0.6316, 0.4211], abs=5e-5)
    assert float(decode(c, act)[0]) == pytest.approx((0.5 * b[1] + 1 * b[2]) / sum(b), abs=1e-6)
    assert float(decode(c, act)[0]) == pytest.approx(0.7, abs=1e-6)
    # the class-default range -0.5..1.5: v = (-0.5, 0.5, 1.5)
    c = coding(3)
    np.testing.assert_allclose(c.vals, [-0.5, 0.5, 1.5])
    np.testing.assert_allclose(encode(c, [0.25])[0], [0.25, 0.75, 0], atol=1e-6)


GAUSS_05 = [0, 0, 0, .1722, .6504, .9710, .6504, .1722, 0, 0, 0]


def test_gaussian_worked_examples():
    c = coding(11, scalar__rep="GAUSSIAN")                 # the demo's SV2: -0.5..1.5, width 0.3
    np.testing.assert_allclose(c.vals, np.arange(11) * 0.2 - 0.5, atol=1e-6)
    pat = encode(c, [0.5])[0]
    np.testing.assert_allclose(pat, GAUSS_05, atol=5e-5)
    # every value is expfast(-((v_i - x)/0.3)^2); 3 units away it is expfast(-4) = 0.018 < 0.1: 0
    assert spec_expfast(-4.0) == pytest.approx(0.018, abs=1e-3)
    for i in (3, 4, 5):
        t = np.float32((np.float32(c.vals[i]) - np.float32(0.5)) / np.float32(0.3))
        assert float(pat[i]) == spec_expfast(-(t * t))
    # hard clamp clips the peak to 0.95; the readout is symmetric: 0.5
    act = np.clip(pat, 0, 0.95)
    assert act[5] == np.float32(0.95)
    assert float(decode(c, act)[0]) == pytest.approx(0.5, abs=1e-6)
    # x = 0.3: the same pattern one unit to the left (peak at unit 4)
    np.testing.assert_allclose(encode(c, [0.3])[0], GAUSS_05[1:] + [0], atol=5e-5)
    assert int(np.argmax(encode(c, [0.3])[0])) == 4


def test_avg_act_and_the_send_threshold():
    c = coding(3, scalar__rep="AVG_ACT", unit_range__min=0.0, unit_range__max=1.0,
               avg_act_range__max=1.0)                                   # the demo's SV3
    np.testing.assert_allclose(encode(c, [1.0])[0], [1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(encode(c, [0.0])[0], [0.1, 0.1, 0.1], atol=1e-7)   # 0.1 is not < 0.1
    # readout: val_range.min + (mean(b) - aa.min)/(aa.max - aa.min) * range, b = clip(act)/0.95
    assert float(decode(c, np.full((1, 3), 0.95))[0]) == pytest.approx(1.0, abs=1e-6)
    assert float(decode(c, np.full((1, 3), 0.1))[0]) == pytest.approx((0.1 / 0.95 - 0.1) / 0.9, abs=1e-6)
    c = coding(3, scalar__rep="AVG_ACT", unit_range__min=0.0, unit_range__max=1.0)
    np.testing.assert_allclose(encode(c, [0.5])[0], [0.5] * 3, atol=1e-6)        # 0.1 + 0.5*0.8
    np.testing.assert_allclose(encode(c, [0.0])[0], [0.1] * 3, atol=1e-7)
    # below opt_thresh.send (0.1) a unit is 0: LOCALIST x = 0.97 gives (0, 0.06, 0.94)
    c = coding(3, unit_range__min=0.0, unit_range__max=1.0)
    np.testing.assert_allclose(encode(c, [0.97])[0], [0, 0, 0.94], atol=1e-6)
    # send_thr: units below opt_thresh.send count 0 in the readout
    act = np.array([[0.05, 0.5, 0.5]], np.float32)
    assert float(decode(c, act)[0]) == pytest.approx((0.5 * 0.5 + 0.5) / (0.05 + 1.0), abs=1e-6)
    c = coding(3, unit_range__min=0.0, unit_range__max=1.0, scalar__send_thr=True)
    assert float(decode(c, act)[0]) == pytest.approx(0.75, abs=1e-6)
    # min_sum_act floors the denominator: one unit at 0.095 -> b = 0.1; 0.5*0.1/0.2 (without
    # send_thr: with it, 0.095 < opt_thresh.send counts 0)
    low = np.array([[0, 0.095, 0]], np.float32)
    assert float(decode(coding(3, unit_range__min=0.0, unit_range__max=1.0), low)[0]) == pytest.approx(0.25, abs=1e-6)
    assert float(decode(c, low)[0]) == 0.0


# ------------------------------------------------------------------------------- in a network

def sv_model(target: dict | None = None, values=(0.7, 0.2), kind="target", shape=(1, 3), extra=None,
             in_kind_values=None) -> Model:
    """Input (2x2) -> Hidden (3x3) -> Value, a ScalarVal layer (LOCALIST, 0..1 unless set)."""
    net = SpecNet("SVTest")
    net.layer("Input", (2, 2), kind="input")
    net.layer("Hidden", (3, 3))
    net.layer("Value", shape, kind=kind, spec_type=SV)
    net.connect("Input", "Hidden")
    net.connect("Hidden", "Value")
    n = len(values)
    groups = (1, 1) if len(shape) == 2 else (shape[0], shape[1], 1, 1)
    data = {"Input": np.tile(np.array([[1, 0], [0, 1]], np.float32), (n, 1, 1)),
            "Value": np.array(values, np.float32).reshape((n, *groups))}
    sheet = {"#Value": {"unit_range.min": 0.0, "unit_range.max": 1.0, **(target or {})}}
    sheets = [Sheet(sheet)] + ([Sheet(extra, name="extra")] if extra else [])
    return Model(net, sheets, Patterns(data), RunPlan(epochs=1, order="sequential", stop_cnt_err=None, seed=3))


def readout(act_eq, vals, min_sum=0.2) -> float:
    """4.4 in Python floats."""
    b = [min(max(float(a), 0.0), 0.95) / 0.95 for a in act_eq]
    return sum(v * x for v, x in zip(vals, b)) / max(sum(b), min_sum)


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_target_layer_runs_free_in_the_minus_phase_and_is_clamped_in_the_plus_phase(kernel):
    net = Network(sv_model(), kernel=kernel)
    sv = net.layers["Value"]
    net.trial_init()
    net.apply_inputs(0)
    assert list(sv.targ.ravel()) == [np.float32(0.7), 0, 0]          # the value goes to unit 0
    assert not sv.ext.any() and not sv.ext_orig.any()
    minus_vals = []
    for q in range(3):
        net.quarter_init()
        assert not net.hard_clamped[sv.index] and not sv.ext.any()   # minus phase: free, no ext
        net._cycles(25)
        assert float(sv.misc_1.ravel()[0]) == pytest.approx(readout(sv.act_eq.ravel(), (0, 0.5, 1)), abs=1e-6)
        net.quarter_final()
        minus_vals.append(float(sv.misc_1.ravel()[0]))
    assert float(sv.misc_2.ravel()[0]) == minus_vals[-1]            # the minus-phase value
    net.quarter_init()                                               # plus phase: the pattern of 0.7, clamped
    assert net.hard_clamped[sv.index]
    np.testing.assert_allclose(sv.ext.ravel(), [0, 0.6, 0.4], atol=1e-6)
    np.testing.assert_allclose(sv.act.ravel(), [0, 0.6, 0.4], atol=1e-6)
    np.testing.assert_array_equal(sv.act_eq, sv.act)
    assert float(sv.misc_1.ravel()[0]) == np.float32(0.7) and float(sv.ext_orig.ravel()[0]) == np.float32(0.7)
    net._cycles(25)
    assert float(sv.misc_1.ravel()[0]) == pytest.approx(0.7, abs=1e-6)   # the readout of the clamp
    assert float(sv.misc_2.ravel()[0]) == minus_vals[-1]
    net.quarter_final()
    stats = trial_stats(net)
    err = 0.7 - minus_vals[-1]
    assert stats["Value_lay_sse"] == pytest.approx(err * err if abs(err) >= 0.5 else 0.0, abs=1e-6)
    assert stats["Value_val"] == minus_vals[-1]
    assert stats["sse"] == stats["Value_lay_sse"]


@pytest.mark.parametrize("kernel", KERNELS)
def test_sse_uses_sse_tol_and_only_targets_in_val_range(kernel):
    # sse_tol 0: every error counts; the trial's sse is (targ - misc_2)^2 of unit 0
    net = Network(sv_model({"sse_tol": 0.0}), kernel=kernel)
    row = net.trial(0)
    val = float(net.layers["Value"].misc_2.ravel()[0])
    assert row["Value_val"] == val
    assert row["Value_lay_sse"] == pytest.approx((0.7 - val) ** 2, rel=1e-6) and row["Value_lay_sse"] > 0
    assert row["sse"] == row["Value_lay_sse"] and row["cnt_err"] == 1 and row["Value_lay_bin_err"] == 1
    # cos_err and norm_err of a ScalarVal layer are not specified: NaN, and so the network's
    assert math.isnan(row["Value_lay_cos_err"]) and math.isnan(row["Value_lay_norm_err"])
    assert math.isnan(row["cos_err"]) and math.isnan(row["norm_err"])
    # sse_tol 1: an error smaller than 1 counts 0
    row = Network(sv_model({"sse_tol": 1.0}), kernel=kernel).trial(0)
    assert row["Value_lay_sse"] == 0.0 and row["cnt_err"] == 0
    # a target outside val_range (0..1 for LOCALIST) is not counted, whatever the error
    net = Network(sv_model({"sse_tol": 0.0}, values=(1.2, -0.3)), kernel=kernel)
    for p in (0, 1):
        row = net.trial(p)
        assert row["Value_lay_sse"] == 0.0
    # ... and it is clipped to val_range before it is coded (clip_val): 1.2 is coded as 1
    net.trial_init()
    net.apply_inputs(0)
    for _ in range(3):
        net.quarter()
    net.quarter_init()
    np.testing.assert_allclose(net.layers["Value"].act.ravel(), [0, 0, 0.95], atol=1e-7)
    assert float(net.layers["Value"].misc_1.ravel()[0]) == 1.0


@pytest.mark.parametrize("kernel", KERNELS)
def test_an_input_layer_is_clamped_from_the_first_quarter(kernel):
    m = sv_model({"scalar.rep": "GAUSSIAN", "unit_range.min": -0.5, "unit_range.max": 1.5},
                 values=(0.5, 0.3), kind="input", shape=(1, 11))
    net = Network(m, kernel=kernel)
    sv = net.layers["Value"]
    net.trial_init()
    net.apply_inputs(0)
    assert float(sv.ext.ravel()[0]) == np.float32(0.5) and float(sv.ext_orig.ravel()[0]) == np.float32(0.5)
    net.quarter_init()
    np.testing.assert_allclose(sv.ext.ravel(), GAUSS_05, atol=5e-5)
    np.testing.assert_allclose(sv.act.ravel(), np.minimum(GAUSS_05, 0.95), atol=5e-5)
    net._cycles(25)
    assert float(sv.misc_1.ravel()[0]) == pytest.approx(0.5, abs=1e-6)
    net.quarter_final()
    net.quarter_init()                  # every quarter: x from ext_orig, not from the coded ext
    np.testing.assert_allclose(sv.ext.ravel(), GAUSS_05, atol=5e-5)
    row = net.trial(1)
    assert int(np.argmax(sv.act.ravel())) == 4 and row["Value_val"] == pytest.approx(0.3, abs=1e-6)
    assert "Value_lay_sse" not in row                       # an input layer is not compared


@pytest.mark.parametrize("kernel", KERNELS)
def test_soft_clamp_gives_the_pattern_as_net_input(kernel):
    m = sv_model({"clamp.hard": False, "clamp.gain": 0.5}, kind="input")
    net = Network(m, kernel=kernel)
    sv = net.layers["Value"]
    net.trial_init()
    net.apply_inputs(0)
    net.quarter_init()
    assert not net.hard_clamped[sv.index]
    np.testing.assert_allclose(sv.ext.ravel(), [0, 0.6, 0.4], atol=1e-6)
    np.testing.assert_allclose(net.net_ex[sv.slice], np.float32([0, 0.6, 0.4]) * np.float32(0.5), atol=1e-7)
    assert not sv.act.any()                                 # not clamped: it integrates the input
    net._cycles(25)
    assert sv.act.ravel()[1] > sv.act.ravel()[0] and sv.act.ravel()[2] > sv.act.ravel()[0]


@pytest.mark.parametrize("kernel", KERNELS)
def test_unit_groups_code_one_value_each(kernel):
    m = sv_model(values=((0.7, 0.2),), shape=(2, 1, 1, 3), kind="input", extra={"#Value": {"unit_gp_inhib.on": True}})
    assert m.pattern_rows("Value").shape == (1, 2)
    net = Network(m, kernel=kernel)
    sv = net.layers["Value"]
    net.trial_init()
    net.apply_inputs(0)
    assert list(sv.ext.ravel()) == [np.float32(0.7), 0, 0, np.float32(0.2), 0, 0]
    net.quarter_init()
    np.testing.assert_allclose(sv.act.reshape(2, 3), [[0, 0.6, 0.4], [0.6, 0.4, 0]], atol=1e-6)
    row = net.trial(0)
    np.testing.assert_allclose(row["Value_val"], [[0.7], [0.2]], atol=1e-6)
    np.testing.assert_allclose(sv.misc_1.reshape(2, 3)[:, 0], [0.7, 0.2], atol=1e-6)
    assert not sv.misc_1.reshape(2, 3)[:, 1:].any()         # only unit 0 of each group holds the value


def test_numpy_and_c_kernels_agree_bit_for_bit():
    """A GAUSSIAN target and a LOCALIST input ScalarVal layer, 2 trials with learning."""
    net = SpecNet("SVBoth")
    net.layer("Input", (2, 2), kind="input")
    net.layer("InVal", (1, 3), kind="input", spec_type=SV)
    net.layer("Hidden", (4, 4))
    net.layer("Value", (1, 11), kind="target", spec_type=SV)
    for s in ("Input", "InVal"):
        net.connect(s, "Hidden")
    net.connect("Hidden", "Value")
    net.connect("Value", "Hidden", cls="TopDown")
    pats = Patterns({"Input": np.float32([[[1, 0], [0, 1]], [[0, 1], [1, 0]]]),
                     "InVal": np.float32([[[0.25]], [[0.8]]]), "Value": np.float32([[[0.9]], [[0.15]]])})
    sheet = Sheet({"#InVal": {"unit_range.min": 0.0, "unit_range.max": 1.0},
                   "#Value": {"scalar.rep": "GAUSSIAN", "sse_tol": 0.0}, ".TopDown": {"wt_scale.rel": 0.3}})
    model = Model(net, sheet, pats, RunPlan(epochs=1, order="sequential", stop_cnt_err=None, seed=5))
    runs = {}
    for kernel in KERNELS:
        run = Run(model, net=Network(model, kernel=kernel), record="cycle:act,misc_1")
        rows = [run.trial() for _ in range(4)]
        runs[kernel] = (run, rows)
    (a, ra), (b, rb) = runs["numpy"], runs["c"]
    assert b.net.kernel_name == "c" and a.net.kernel_name == "numpy"
    for k, v in a.net.units.items():
        np.testing.assert_array_equal(v, b.net.units[k], err_msg=k)
    for x, y in zip(a.log.cycles, b.log.cycles):
        for k in x:
            np.testing.assert_array_equal(x[k], y[k], err_msg=k)
    for x, y in zip(ra, rb):
        assert x.keys() == y.keys()
        for k in x:
            assert x[k] == y[k] or (isinstance(x[k], float) and math.isnan(x[k]) and math.isnan(y[k])), k
    assert all(r["Value_lay_sse"] > 0 for r in ra)           # the target layer's errors count
    for p in a.net.prjn_list:
        np.testing.assert_array_equal(p.wt, b.net.projections[p.name].wt, err_msg=p.name)


@pytest.mark.parametrize("member, value, says", [
    ("scalar.clamp_pat", True, "scalar.clamp_pat = true"),
    ("bias_val.un", "BWT", "bias_val.un = 'BWT'"),
    ("bias_val.wt", "WT", "bias_val.wt = 'WT'"),
])
def test_what_the_core_does_not_implement_is_refused_by_name(member, value, says):
    with pytest.raises(BackendError, match=rf"ScalarVal layer 'Value': {says}.* is not supported by the native core"):
        Network(sv_model({member: value}), kernel="numpy")


def test_sse_unit_avg_with_a_compared_scalar_val_layer_is_refused():
    with pytest.raises(BackendError, match=r"ScalarVal layer 'Value': the network's stats\.sse_unit_avg = true"):
        Network(sv_model(extra={"Network": {"stats.sse_unit_avg": True}}), kernel="numpy")
    Network(sv_model(kind="input", extra={"Network": {"stats.sse_unit_avg": True}}), kernel="numpy")


def test_trial_input_as_a_dict_takes_one_value_per_group():
    net = Network(sv_model(), kernel="numpy")
    row = net.trial({"Input": np.eye(2, dtype=np.float32), "Value": [0.7]})
    assert np.isfinite(row["sse"])
    with pytest.raises(BackendError, match=r"trial input for ScalarVal layer 'Value': 3 values, it takes one "
                                           r"per coding group \(1\)"):
        net.trial({"Input": np.eye(2, dtype=np.float32), "Value": [0.7, 0, 0]})


def test_a_state_saved_before_the_new_unit_variables_loads_with_them_0():
    """Checkpoints written before ext_orig, misc_1, misc_2 and gi_self existed lack them; they
    were 0 then (no ScalarVal layer or self_fb could run), and load as 0."""
    from emergent_py.leabra.layer import LATER_UNIT_VARS
    net = Network(sv_model(kind="input"), kernel="numpy")
    net.trial(0)
    st = net.state_dict()
    for k in LATER_UNIT_VARS:
        del st[f"units/{k}"]
    other = Network(sv_model(kind="input"), kernel="numpy")
    other.units["misc_1"][:] = 5
    other.load_state_dict(st)
    for k in LATER_UNIT_VARS:
        assert not other.units[k].any(), k
    np.testing.assert_array_equal(other.units["act"], net.units["act"])
    del st["units/act"]                                # any other missing variable is an error
    with pytest.raises(KeyError):
        other.load_state_dict(st)
