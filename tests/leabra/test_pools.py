"""Pool-level (unit group) FFFB inhibition for 4-D layers (leabra.md 4.2)."""
from __future__ import annotations

import numpy as np

from emergent_py import Full, Model, Network as SpecNet, Patterns, RunPlan, Sheet
from emergent_py.leabra import Network
from emergent_py.leabra.inhib import fffb


def pooled_model(pool_on: bool = True) -> Model:
    net = SpecNet("Pools")
    net.layer("Input", (4, 4), kind="input")
    net.layer("Hidden", (2, 2, 3, 3))            # 4 pools of 9 units
    net.layer("Output", (2, 2), kind="target")
    net.connect("Input", "Hidden", Full())
    net.connect("Hidden", "Output", Full())
    sheet = Sheet({"#Hidden": {"unit_gp_inhib.on": pool_on, "unit_gp_inhib.gi": 2.0, "lay_inhib.gi": 1.0}})
    pats = Patterns.random(n=3, layers={"Input": (4, 4), "Output": (2, 2)}, pct_on=0.25, seed=4)
    return Model(net, sheet, pats, RunPlan(epochs=1, stop_cnt_err=None, seed=1))


def test_pool_inhibition_one_step_by_hand():
    net = Network(pooled_model())
    net.trial_init()
    net.apply_inputs(0)
    net.quarter_init()
    for _ in range(5):
        net.cycle()
    pool = net.pools[0]
    hid = net.layers["Hidden"]
    fbi_before, acts_before = pool["fbi"].copy(), pool["acts_avg"].copy()
    net.cycle()
    netin = hid.net.reshape(4, 9)
    p = {"gi": np.float32(2.0), "ff": np.float32(1), "fb": np.float32(1), "ff0": np.float32(0.1),
         "max_vs_avg": np.float32(0), "fb_dt": np.float32(1) / np.float32(1.4)}
    _, fbi, g_i = fffb(netin.mean(axis=1, dtype=np.float32), netin.max(axis=1), acts_before, fbi_before, p)
    want = np.maximum(g_i, hid.g_i)              # group g_i = max(pool, layer)
    np.testing.assert_allclose(pool["g_i"], want, rtol=1e-6)
    np.testing.assert_allclose(pool["fbi"], fbi, rtol=1e-6)
    np.testing.assert_allclose(hid.gc_i.reshape(4, 9), np.repeat(want[:, None], 9, axis=1), rtol=1e-6)
    assert len(np.unique(pool["g_i"])) > 1       # pools differ


def test_pools_off_use_layer_inhibition():
    net = Network(pooled_model(pool_on=False))
    assert net.pools == []
    net.trial(0)
    hid = net.layers["Hidden"]
    np.testing.assert_allclose(hid.gc_i, hid.g_i)
