"""Unit equations against emergent 8.5.6's own tables (leabra-refdata.md 1.2, 1.3, 1.5)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from emergent_py.leabra import Network
from emergent_py.leabra.act import g_e_thr, noisy_xx1
from emergent_py.spec.params import ActParams

# refdata 1.2 XX1TestVals (C++ program TestAct)
XX1 = [(-0.05, 1.7735992e-14), (-0.04, 7.1552096e-12), (-0.03, 2.8866178e-09), (-0.02, 1.1645375e-06),
       (-0.01, 0.0004686492), (0, 0.094767615), (0.01, 0.47916666), (0.02, 0.65277773),
       (0.03, 0.74226803), (0.04, 0.79674792), (0.05, 0.83333331), (0.1, 0.90909094),
       (0.2, 0.95238096), (0.3, 0.96774197), (0.4, 0.97560978), (0.5, 0.98039216)]

# refdata 1.3 ActTestVals: geinc, net, I_net (C++ midpoint v_m), v_m_eq, act
ACT = [(0.01, 0.0071428572, -0.015221091, 0.3952381, 2.8884652e-29),
       (0.02, 0.023469388, -0.0047221333, 0.39376712, 3.2081581e-29),
       (0.03, 0.049562681, 0.010820583, 0.39718926, 1.1549084e-28),
       (0.04, 0.085589334, 0.030752223, 0.40693361, 3.2309231e-26),
       (0.05, 0.13159695, 0.053931765, 0.42410299, 9.5983243e-22),
       (0.1, 0.21617056, 0.093856573, 0.45430645, 7.1203744e-14),
       (0.2, 0.38319159, 0.0, 0.50831974, 0.29335475),
       (0.3, 0.64519763, 0.39380142, 0.59182489, 0.50222141)]


def test_nxx1_table():
    x = np.array([r[0] for r in XX1], dtype=np.float32)
    got = noisy_xx1(x, ActParams())
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [r[1] for r in XX1], rtol=1e-6, atol=1e-9)


def test_nxx1_float64_option_close():
    x = np.array([r[0] for r in XX1])
    got = noisy_xx1(x, ActParams(), dtype=np.float64)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [r[1] for r in XX1], rtol=1e-6, atol=1e-9)


def test_g_e_thr_example():
    # leabra.md 5.3: no inhibition, defaults: 0.2*(0.3-0.5)/(0.5-1) = 0.08
    f = np.float32
    assert g_e_thr(f(0), f(0.2), f(1), f(0.3), f(0.25), f(0.5)) == pytest.approx(0.08, abs=1e-7)


def test_single_unit_update_table(basic_model):
    """The C++ TestAct procedure on Hidden unit 0 through the network's own steps."""
    net = Network(basic_model)
    net.init_acts()
    net.quarter_init()                       # no inputs applied: nothing clamped
    h0 = net.layers["Hidden"].start
    for geinc, net_ref, inet_ref, vm_ref, act_ref in ACT:
        net.pending[h0] = geinc
        net.compute_netin_integ()
        net.lay["g_i"][:] = 0                # the program computes no inhibition
        net.compute_act()
        u = net.units
        assert u["net"][h0] == pytest.approx(net_ref, abs=1e-7, rel=1e-6)
        assert u["I_net"][h0] == pytest.approx(inet_ref, abs=1e-7, rel=1e-6)
        assert u["v_m_eq"][h0] == pytest.approx(vm_ref, abs=1e-7)
        assert u["act"][h0] == pytest.approx(act_ref, rel=1e-5, abs=1e-9)


def _proj_column(text: str, table: str, col: str) -> np.ndarray:
    start = text.index(f'name="{table}"')
    c = text.index(f'name="{col}"', start)
    m = re.compile(r"ar \{\s*name=\"ar\";\s*\[(\d+)\]\s*([^}]*)\}", re.S).search(text, c)
    vals = [float(v) for v in m.group(2).replace("\n", "").split(";") if v.strip()]
    assert len(vals) == int(m.group(1))
    return np.array(vals, dtype=np.float32)


def test_activation_graph_1001_points(reference):
    """refdata 1.5: Act = NXX1(Net - 0.5) at emergent's own (float-accumulated) Net values."""
    text = (reference / "projects" / "basic_leabra_test.proj").read_text(errors="replace")
    net_v = _proj_column(text, "LeabraUnitSpec_0_ActFmNetFun", "Net")
    act_v = _proj_column(text, "LeabraUnitSpec_0_ActFmNetFun", "Act")
    assert net_v.shape == (1001,) and net_v[500] == pytest.approx(0.4999971, abs=1e-7)
    got = noisy_xx1(net_v - np.float32(0.5), ActParams())
    assert np.max(np.abs(got - act_v)) <= 1e-6
