"""biophysical.rate_code: emergent's NXX1 rate code vs its spiking unit (biophysical.md c).

Reference figures: biophysical.md c.3 (a numpy port of the 8.6 equations running the CCN neuron
protocol deterministically) and the analytic LIF rate of the CCN book's appendix.
"""
import numpy as np
import pytest

from emergent_py.biophysical import rate_code as rc
from emergent_py.leabra.act import noisy_xx1
from emergent_py.spec.params import ChanParams, UnitSpec

TABLE_C3 = {  # g_e: (spike act, rate act), gain 30, nvar .01, KNa on, read at cycle 159
    0.10: (0.000, 0.000), 0.15: (0.287, 0.098), 0.20: (0.437, 0.298), 0.25: (0.556, 0.540),
    0.30: (0.631, 0.702), 0.40: (0.794, 0.837), 0.50: (0.926, 0.889), 0.70: (1.000, 0.933)}


@pytest.fixture(scope="module")
def ccn():
    return rc.compare()


def test_ccn_protocol_reproduces_the_reference_table(ccn):
    for g, (spike, rate) in TABLE_C3.items():
        k = int(np.argmin(np.abs(ccn.g_e - g)))
        assert ccn.g_e[k] == pytest.approx(g)
        assert ccn.spike[k] == pytest.approx(spike, abs=0.0015), g
        assert ccn.rate[k] == pytest.approx(rate, abs=0.0015), g


def test_agreement_gain_30_with_adaptation(ccn):
    """Reference: mean |spike - rate| 0.054, max 0.186 over g_e > 0.15; tolerance +-0.005."""
    assert ccn.mean_gap == pytest.approx(0.054, abs=0.005)
    assert ccn.max_gap == pytest.approx(0.186, abs=0.005)
    assert ccn.mean_gap < 0.08 and ccn.max_gap < 0.25                  # c.4 regression bounds
    assert np.all(np.diff(ccn.spike) >= 0) and np.all(np.diff(ccn.rate) >= 0)
    assert ccn.rate.max() < 1.0
    # spike act is quantized by whole-cycle ISIs: act = 1000/(180 ISI), ISI 6 -> .926, 7 -> .794
    assert 1000 / 180 / 6 == pytest.approx(ccn.spike[np.isclose(ccn.g_e, 0.5)][0], abs=1e-3)


def test_agreement_without_adaptation_and_at_the_cpp_default_gain():
    off = rc.compare(kna=False)
    assert off.mean_gap == pytest.approx(0.092, abs=0.005) and off.max_gap == pytest.approx(0.239, abs=0.005)
    cpp = rc.compare(gain=100.0, nvar=0.005, kna=False)
    assert cpp.mean_gap == pytest.approx(0.158, abs=0.005) and cpp.max_gap == pytest.approx(0.449, abs=0.005)
    assert cpp.mean_gap > off.mean_gap


@pytest.mark.parametrize("g_l,e_l", [(0.1, 0.3), (0.3, 0.3), (0.2, 0.25)])
def test_threshold_identity(g_l, e_l):
    """Both are silent below g_e^Theta and both are active from g_e^Theta + 0.01 (c.4 rule 1)."""
    unit = UnitSpec(g_bar=ChanParams(e=1.0, l=g_l, i=1.0, k=1.0),
                    e_rev=ChanParams(e=1.0, l=e_l, i=0.25, k=0.25))
    theta = float(rc.g_e_threshold(unit))
    assert theta == pytest.approx(g_l * (e_l - 0.5) / (0.5 - 1.0))
    g = np.array([theta - 0.01, theta + 0.01, theta + 0.05])
    spk = rc.run_spiking(unit, g, n_cycles=400.0, v0=e_l)
    rate = rc.run_rate(unit, g, n_cycles=400.0, v0=e_l)
    assert spk.spikes[0].size == 0 and spk.spikes[1].size > 0 and spk.spikes[2].size > 0
    assert rate.act[-1, 0] < 1e-3 and rate.act[-1, 1] > 0.1 and rate.act[-1, 2] > rate.act[-1, 1]


def test_rate_code_settles_on_nxx1_of_the_conductance_above_threshold():
    """Without adaptation the rate act settles at NXX1(g_e - g_e^Theta) from the core."""
    unit = rc.ccn_neuron_unit()
    g = np.array([0.15, 0.3, 0.6])
    run = rc.run_rate(unit, g, n_cycles=200.0)
    want = noisy_xx1(g - rc.g_e_threshold(unit), unit.act, dtype=np.float64)
    np.testing.assert_allclose(run.act[-1], want, rtol=1e-9)


def test_spiking_unit_matches_the_closed_form_lif_rate():
    """ex off, no adaptation, dt.integ 0.01: f(g_e) within 0.3 % of the analytic rate (c.3)."""
    unit = rc.ccn_neuron_unit()
    g = np.array([0.13, 0.2, 0.3, 0.6])
    analytic = rc.lif_rate(unit, g)
    np.testing.assert_allclose(analytic, [39.6, 88.7, 130.5, 197.9], atol=0.05)
    run = rc.run_spiking(unit, g, n_cycles=110.0, dt_integ=0.01)
    measured = np.array([1000.0 / np.mean(np.diff(s)) for s in run.spikes])
    assert np.all([s.size >= 4 for s in run.spikes])
    np.testing.assert_allclose(measured, analytic, rtol=0.003)
    assert rc.lif_rate(unit, np.array([0.12]))[0] == 0.0          # V_inf == Theta: no firing


def test_refractory_period_caps_the_spiking_rate():
    unit = rc.ccn_neuron_unit()
    run = rc.run_spiking(unit, np.array([5.0]), n_cycles=100.0)
    assert np.diff(run.spikes[0]).min() == 4.0          # held for t_r = 3 cycles, spikes on the 4th
    assert run.act[-1, 0] == 1.0                         # 250 Hz reads as act 1 (clipped)


def test_report_and_plot(tmp_path, ccn):
    text = ccn.report()
    assert "mean |spike - rate| = 0.054" in text and text.count("\n") == len(ccn.g_e) + 2
    pytest.importorskip("matplotlib", reason="matplotlib (optional) draws the comparison")
    out = tmp_path / "rate_vs_spike.png"
    rc.plot([ccn], str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not list(tmp_path.glob("*.tmp.png"))
