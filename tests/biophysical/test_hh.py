"""biophysical.hh: the squid axon's f-I curve (biophysical.md b.2; RK4 = NEURON 9.0.2 there)."""
import numpy as np
import pytest

from emergent_py.biophysical import analysis, hh

# I (uA/cm^2) -> spikes in 500 ms from rest; rate = spikes in 100-500 ms / 0.4 s
HH_FI = {2.0: (0, 0.0), 6.0: (2, 0.0), 6.5: (28, 55.0), 10.0: (35, 70.0), 50.0: (59, 117.5)}


@pytest.fixture(scope="module")
def fi_run():
    # dt 0.05 ms keeps this test near 1.5 s; the counts are those of RK4/NEURON at dt 0.01
    return hh.simulate(np.array(list(HH_FI)), t_stop=500.0, dt=0.05)


def test_hh_f_i_curve_matches_rk4_and_neuron_reference(fi_run):
    currents, rates = analysis.fi_curve(fi_run.spikes, list(HH_FI), 100.0, 500.0)
    for i, amp in enumerate(currents):
        count, rate = HH_FI[amp]
        assert fi_run.counts[i] == count, amp
        assert rates[i] == pytest.approx(rate), amp


def test_hh_is_class_2_no_slow_repetitive_firing(fi_run):
    """Below about 6.2 uA/cm^2 nothing repeats; just above it fires at >= 50 Hz at once."""
    _, rates = analysis.fi_curve(fi_run.spikes, list(HH_FI), 100.0, 500.0)
    assert rates[1] == 0.0 and rates[2] >= 50.0
    assert np.all(np.diff(rates) >= 0)


def test_rates_are_continuous_at_their_removable_singularities():
    a_m, _, _, _, a_n, _ = hh.rates(np.array([-40.0, -40.0 + 1e-6, -55.0, -55.0 - 1e-6]))
    assert a_m[0] == pytest.approx(1.0, rel=1e-9) and a_m[1] == pytest.approx(1.0, rel=1e-6)
    assert a_n[2] == pytest.approx(0.1, rel=1e-9) and a_n[3] == pytest.approx(0.1, rel=1e-6)


def test_rest_is_a_fixed_point_and_the_gates_start_there():
    run = hh.simulate(np.array([0.0]), t_stop=50.0, dt=0.05, record=True)
    assert run.counts[0] == 0
    assert np.abs(run.v[:, 0] - hh.HH_1952.V_rest).max() < 0.05     # E_L -54.387 sets rest at -65
    m, h, n = hh.steady_state(np.array(-65.0))
    assert (float(m), float(h), float(n)) == pytest.approx((0.0529, 0.5961, 0.3177), abs=1e-4)


def test_bistability_between_rest_and_the_limit_cycle():
    """At 7 uA/cm^2 (below the subcritical Hopf near 9.8) rest and repetitive firing coexist:
    one batch of two membranes, one started at the resting state under 7, one on the 10 cycle."""
    rest = hh.fixed_point(7.0)
    assert -65.0 < rest[0] < -55.0
    cycling = hh.simulate(np.array([10.0]), t_stop=106.0, dt=0.05)   # stops inside its 8th spike
    assert cycling.state[0][0] > -40.0
    start = [np.array([r, c[0]]) for r, c in zip(rest, cycling.state)]
    both = hh.simulate(np.array([7.0, 7.0]), t_stop=150.0, dt=0.05, state0=start)
    assert both.counts[0] == 0
    assert both.counts[1] >= 8                   # about 55 Hz for the whole run
    assert both.spikes[1][-1] > 130.0
