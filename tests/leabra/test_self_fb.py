"""Self feedback inhibition (layer spec inhib_misc.self_fb, leabra.md 4.5): at the start of the
activation step ``gi_self += self_dt * (self_fb * act - gi_self)`` (act of the previous cycle),
``gc_i = group g_i + adapt_gi * (gi_syn + gi_self)``; trial decay scales gi_self like gi_syn
(10.3). The numpy steps run it (the C kernel says so and is not used). emergent's
scalar_val_test.proj uses it (its AVG_ACT layer SV3, self_fb 0.5)."""
from __future__ import annotations

import numpy as np
import pytest

from emergent_py import Full, Model, Network, Patterns, RunPlan, Sheet
from emergent_py.errors import BackendError
from emergent_py.leabra.network import Network as NativeNet


def _model(self_fb: float, tau: float = 1.4, inhib_prjn: bool = False) -> Model:
    net = Network("S")
    net.layer("In", (2, 2), kind="input")
    net.layer("Hid", (3, 3))
    net.layer("Out", (1, 2), kind="target")
    net.connect("In", "Hid", Full())
    net.connect("Hid", "Out", Full())
    if inhib_prjn:
        net.connect("In", "Hid", Full(), cls="Inhib", name="Inhib_In")
    pats = Patterns({"In": np.array([[[1, 0], [0, 1]]], np.float32), "Out": np.array([[[1, 0]]], np.float32)})
    sheet = {"#Hid": {"inhib_misc.self_fb": self_fb, "inhib_misc.self_tau": tau}}
    if inhib_prjn:
        sheet[".Inhib"] = {"inhib": True, "rnd.mean": 0.3}
    return Model(net, Sheet(sheet), pats, RunPlan(epochs=1))


def test_gi_self_follows_the_previous_cycles_act_and_adds_to_gc_i():
    net = NativeNet(_model(0.5, tau=2.0), seed=1, kernel="numpy")
    hid = net.layers["Hid"]
    net.trial_init()
    net.apply_inputs(0)
    net.quarter_init()
    f = np.float32
    dt, fb = f(1) / f(2.0), f(0.5)
    gi_self = np.zeros(9, f)
    for cyc in range(12):
        act_before = hid.get("act").reshape(-1).copy()
        net.cycle()
        gi_self = gi_self + dt * (fb * act_before - gi_self)
        np.testing.assert_array_equal(hid.get("gi_self").reshape(-1), gi_self, err_msg=f"cycle {cyc}")
        g_i = net.lay["g_i"][hid.index]
        np.testing.assert_array_equal(hid.get("gc_i").reshape(-1), g_i + gi_self, err_msg=f"cycle {cyc}")
    assert gi_self.max() > 0.01                         # the layer is active: it inhibits itself
    assert not net.layers["Out"].get("gi_self").any()   # (self_fb 0 elsewhere)
    # trial decay (decay.trial 1): gone at the next trial's start
    net.trial_init()
    assert not hid.get("gi_self").any()


def test_it_lowers_activity_and_self_fb_0_is_the_plain_network():
    on = NativeNet(_model(0.5), seed=1, kernel="numpy")
    off = NativeNet(_model(0.0), seed=1, kernel="numpy")
    ref = NativeNet(_model(0.0), seed=1, kernel="c")
    on.trial(0), off.trial(0), ref.trial(0)
    assert on.layers["Hid"].get("act_m").sum() < off.layers["Hid"].get("act_m").sum()
    np.testing.assert_array_equal(off.units["act"], ref.units["act"])


def test_with_inhibitory_projections_both_add():
    net = NativeNet(_model(0.5, inhib_prjn=True), seed=1, kernel="numpy")
    hid = net.layers["Hid"]
    net.trial_init()
    net.apply_inputs(0)
    net.quarter_init()
    for _ in range(5):
        net.cycle()
    g_i = net.lay["g_i"][hid.index]
    want = g_i + (hid.get("gi_syn").reshape(-1) + hid.get("gi_self").reshape(-1))
    np.testing.assert_array_equal(hid.get("gc_i").reshape(-1), want)
    assert hid.get("gi_syn").any() and hid.get("gi_self").any()


def test_the_c_kernel_says_it_does_not_run_it():
    with pytest.raises(BackendError, match=r"kernel 'c': inhib_misc\.self_fb \(layer Hid\) runs on the "
                                           r"numpy steps only"):
        NativeNet(_model(0.5), kernel="c")
    assert NativeNet(_model(0.5), kernel="auto").kernel_name == "numpy"
