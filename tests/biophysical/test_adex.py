"""biophysical.adex: analytic rheobase, Brette-Gerstner step responses, Naud spike counts.

Reference numbers: biophysical.md b.1 (Touboul & Brette 2008 formulas; spike times and counts
reproduced there by Brian2 numpy and cython targets and two numpy integrators, forward Euler,
dt 0.1 ms).
"""
import dataclasses

import numpy as np
import pytest

from emergent_py.biophysical import adex
from emergent_py.biophysical.adex import BRETTE_GERSTNER_2005 as BG
from emergent_py.errors import SpecError

#: the cell as Brian2's example and the reference runs use it: V cut at V_T + 5 Delta_T = -40.4 mV
BG_CUT = dataclasses.replace(BG, V_peak=BG.V_T + 5 * BG.delta_T)


def test_brette_gerstner_bifurcation_is_hopf_near_627_pA():
    b = adex.bifurcation(BG)
    assert b.kind == "Andronov-Hopf"                 # a/g_L = .133 > tau_m/tau_w = .065
    assert b.I_SN == pytest.approx(627.3, abs=0.05)
    assert b.I_H == pytest.approx(627.2, abs=0.05)
    assert b.rheobase == b.I_H


def test_saddle_node_cell():
    """With tau_w long enough that a/g_L < tau_m/tau_w the onset is the saddle-node current."""
    cell = dataclasses.replace(BG, tau_w=30.0, a=0.5)
    b = adex.bifurcation(cell)
    assert b.kind == "saddle-node" and np.isnan(b.I_H)
    g, a = cell.g_L, cell.a
    assert b.rheobase == pytest.approx((g + a) * (cell.V_T - cell.E_L - 2 + 2 * np.log(1 + a / g)))


def test_simulated_rheobase_between_625_and_630_pA():
    """3 s runs: 600/620/625 pA fire one transient spike and stop; 630 pA and up keep firing."""
    currents = np.array([600.0, 620.0, 625.0, 630.0, 640.0, 660.0])
    run = adex.simulate(BG_CUT, currents, t_stop=3000.0, dt=0.1)
    late = np.array([np.count_nonzero(s >= 1000.0) for s in run.spikes])
    assert list(run.counts[:3]) == [1, 1, 1]
    assert list(late[:3]) == [0, 0, 0]
    assert list(late[3:]) == [4, 6, 10]                  # spikes in 1-3 s (biophysical.md b.1)
    onset = adex.sustained_onset(BG, np.arange(620.0, 640.1, 2.5))
    assert 625.0 < onset <= 630.0
    assert onset >= adex.bifurcation(BG).rheobase


BG_STEPS = {   # I (pA): first spike times (ms), current on 20-120 ms, V_cut -40.4 mV
    500: [], 600: [69.4], 650: [51.6], 700: [44.6, 83.3], 800: [37.7, 60.6, 91.5],
    1000: [31.8, 45.5, 61.4, 80.1], 1500: [26.6, 33.8, 41.6, 50.0]}
BG_COUNTS = {500: 0, 600: 1, 650: 1, 700: 2, 800: 3, 1000: 5, 1500: 10}


def test_brette_gerstner_step_currents_match_the_reference_spike_times():
    cell = BG_CUT
    amps = np.array(list(BG_STEPS), float)
    run = adex.simulate(cell, adex.step_current(amps, 20.0, 120.0), t_stop=140.0, dt=0.1)
    for amp, spikes in zip(BG_STEPS, run.spikes):
        assert len(spikes) == BG_COUNTS[amp], amp
        ref = BG_STEPS[amp]
        np.testing.assert_allclose(spikes[:len(ref)], ref, atol=0.051, err_msg=f"{amp} pA")
    isi = np.diff(run.spikes[list(BG_STEPS).index(1000)])
    assert isi[0] == pytest.approx(13.7, abs=0.051) and isi[-1] == pytest.approx(22.0, abs=0.051)


NAUD_COUNTS = {"tonic": 60, "adapting": 12, "initial_burst": 12, "regular_bursting": 11,
               "delayed_accelerating": 45, "delayed_regular_bursting": 32, "transient": 1,
               "irregular": 33}


def test_naud_patterns_spike_counts_in_one_batched_call():
    cases = list(adex.NAUD_2008.values())
    run = adex.simulate([c.params for c in cases], [c.current for c in cases], t_stop=600.0, dt=0.1)
    assert {c.name: int(n) for c, n in zip(cases, run.counts)} == NAUD_COUNTS
    by_name = dict(zip(adex.NAUD_2008, run.spikes))
    assert by_name["transient"][0] == pytest.approx(30.4, abs=0.051)
    assert by_name["delayed_accelerating"][0] == pytest.approx(33.8, abs=0.051)
    assert by_name["delayed_regular_bursting"][0] == pytest.approx(57.5, abs=0.051)
    np.testing.assert_allclose(np.diff(by_name["adapting"])[:3], [11.6, 14.7, 20.0], atol=0.051)
    np.testing.assert_allclose(np.diff(by_name["initial_burst"])[:2], [3.8, 7.7], atol=0.051)


def test_batch_equals_single_runs_and_records_traces():
    amps = np.array([700.0, 1000.0])
    batch = adex.simulate(BG, amps, t_stop=100.0, dt=0.1, record=True)
    for j, amp in enumerate(amps):
        single = adex.simulate(BG, amp, t_stop=100.0, dt=0.1, record=True)
        np.testing.assert_array_equal(single.spikes[0], batch.spikes[j])
        np.testing.assert_array_equal(single.v[:, 0], batch.v[:, j])
    assert batch.v.shape == (1000, 2) and batch.w.shape == (1000, 2)


def test_refractory_period_holds_v_and_bounds_the_rate():
    cell = dataclasses.replace(adex.EMERGENT_BIOPARAMS, t_ref=3.0)
    run = adex.simulate(cell, 50_000.0, t_stop=100.0, dt=0.1)       # 50 nA: fires as fast as allowed
    assert np.diff(run.spikes[0]).min() >= 3.0 - 1e-9


def test_conductance_input_fires_above_the_emergent_threshold():
    """g_e^Theta of the BioParams cell is 4 nS; the exp term lowers the onset to about 3.6 nS."""
    run = adex.simulate(adex.EMERGENT_BIOPARAMS, 0.0, g_e=np.array([3.0, 4.0, 6.0]), t_stop=1000.0)
    late = [np.count_nonzero(s > 500) for s in run.spikes]
    assert late[0] == 0 and late[1] > 0 and late[2] > late[1]


def test_mismatched_batch_is_an_error():
    with pytest.raises(SpecError, match="3 currents, 1 conductances and 2 parameter sets"):
        adex.simulate([BG, BG], [1.0, 2.0, 3.0], t_stop=10.0)
    with pytest.raises(SpecError, match="shorter than one step"):
        adex.simulate(BG, 1.0, t_stop=0.01, dt=0.1)


def test_integrating_in_emergent_units_gives_the_same_spike_trains():
    """The unit change is exact (biophysical.md a.4): the same equations on the normalized numbers
    (C 2.81, g_L .3, E_L .294, a .04, b .00805, I in 10 nA, t in ms) spike at the same times."""
    norm = adex.AdExParams(**BG_CUT.to_normalized())
    assert (norm.C, norm.g_L, norm.a, norm.b, norm.V_peak) == (2.81, 0.3, 0.04, 0.00805, 0.596)
    amps = np.array([700.0, 1000.0, 1500.0])                                   # pA
    bio = adex.simulate(BG_CUT, adex.step_current(amps, 20.0, 120.0), t_stop=140.0, dt=0.1)
    emergent = adex.simulate(norm, adex.step_current(amps * 1e-4, 20.0, 120.0), t_stop=140.0, dt=0.1)
    for a, b in zip(bio.spikes, emergent.spikes):
        assert a.size == b.size
        np.testing.assert_allclose(a, b, atol=0.1 + 1e-9)    # identical here; allow one step of rounding
    assert [len(s) for s in bio.spikes] == [2, 5, 10]
