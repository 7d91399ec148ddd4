"""Inhibitory projections (con spec inhib=true, leabra.md 3.2 and 4.5): their input goes to
gi_raw, gi_syn integrates it like net input, gc_i = group g_i + adapt_gi*gi_syn, and their
scales are normalized among the inhibitory projections only. The numpy steps run them (the C
kernel says so and is not used)."""
from __future__ import annotations

import numpy as np
import pytest

from emergent_py import Full, Model, Network, Patterns, RunPlan, Sheet
from emergent_py.errors import BackendError
from emergent_py.leabra.network import Network as NativeNet


def _model(inhib: bool) -> Model:
    net = Network("I")
    net.layer("In", (2, 2), kind="input")
    net.layer("Hid", (2, 2))
    net.layer("Out", (1, 2), kind="target")
    net.connect("In", "Hid", Full())
    net.connect("Hid", "Out", Full())
    if inhib:
        net.connect("In", "Hid", Full(), cls="Inhib", name="Inhib_In")
    pats = Patterns({"In": np.array([[[1, 0], [0, 1]]], np.float32),
                     "Out": np.array([[[1, 0]]], np.float32)})
    sheet = Sheet({"Prjn": {"rnd.var": 0.0, "rnd.mean": 0.5, "wt_limits.sym": False},
                   **({".Inhib": {"inhib": True, "rnd.mean": 0.3}} if inhib else {})})
    return Model(net, sheet, pats, RunPlan(epochs=1))


def test_gi_syn_integrates_the_inhibitory_input():
    net = NativeNet(_model(True), seed=1, kernel="numpy")
    plain = NativeNet(_model(False), seed=1, kernel="numpy")
    net.trial_init(), plain.trial_init()
    net.apply_inputs(0), plain.apply_inputs(0)
    net.quarter_init(), plain.quarter_init()
    exc, inh = net.projections["In->Hid"], net.projections["Inhib_In"]
    # each class normalizes its own rel: the excitatory scale is as without the inhibitory one
    assert exc.scale_eff == plain.projections["In->Hid"].scale_eff
    assert inh.scale_eff > 0
    net.cycle()
    hid = net.layers["Hid"]
    act_in = net.layers["In"].get("act").reshape(-1)             # hard clamped, sent on cycle 1
    f = np.float32
    gi_raw = f(inh.scale_eff) * (inh.var("wt") @ act_in).astype(f)
    np.testing.assert_allclose(hid.get("gi_raw").reshape(-1), gi_raw, rtol=1e-6)
    rate = f(1) / f(1.4)                                         # dt.integ * 1/net_tau
    np.testing.assert_allclose(hid.get("gi_syn").reshape(-1), rate * gi_raw, rtol=1e-6)
    # the activation step adds it to the layer's FFFB inhibition (adapt_gi = 1)
    net.cycle()
    g_i = net.lay["g_i"][hid.index]
    np.testing.assert_allclose(hid.get("gc_i").reshape(-1), g_i + hid.get("gi_syn").reshape(-1), rtol=1e-6)
    # (the other layers have no inhibitory input)
    assert not net.layers["Out"].get("gi_syn").any()


def test_inhibition_lowers_activity_and_trials_reset_gi_raw():
    net = NativeNet(_model(True), seed=1, kernel="numpy")
    plain = NativeNet(_model(False), seed=1, kernel="numpy")
    net.trial(0), plain.trial(0)
    assert net.layers["Hid"].get("act_m").sum() < plain.layers["Hid"].get("act_m").sum()
    net.trial_init()
    assert not net.units["gi_raw"].any() and not net.pending_gi.any()


def test_the_c_kernel_says_it_does_not_run_them():
    with pytest.raises(BackendError, match=r"kernel 'c': inhibitory projections \(inhib=true: Inhib_In\) "
                                           r"run on the numpy steps only"):
        NativeNet(_model(True), kernel="c")
    assert NativeNet(_model(True), kernel="auto").kernel_name == "numpy"
