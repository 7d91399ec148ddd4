"""biophysical.analysis: spike extraction, rates, ISIs and the Naud pattern classifier."""
import numpy as np
import pytest

from emergent_py.biophysical import adex, analysis


@pytest.fixture(scope="module")
def naud_trains():
    cases = list(adex.NAUD_2008.values())
    out = {}
    for dt in (0.1, 0.05):
        run = adex.simulate([c.params for c in cases], [c.current for c in cases], t_stop=600.0, dt=dt)
        out[dt] = dict(zip(adex.NAUD_2008, run.spikes))
    return out


@pytest.mark.parametrize("name", list(adex.NAUD_2008))
@pytest.mark.parametrize("dt", [0.1, 0.05])
def test_each_naud_preset_is_classified_as_its_pattern(naud_trains, name, dt):
    got = analysis.classify(naud_trains[dt][name], t_stop=600.0)
    assert got.label == adex.NAUD_2008[name].pattern, str(got)


def test_classifier_features_of_the_signatures(naud_trains):
    f = {n: analysis.classify(s, 600.0) for n, s in naud_trains[0.1].items()}
    assert f["tonic"].late_cv < 0.01 and f["tonic"].late_isi == pytest.approx(9.9, abs=0.1)
    assert f["irregular"].late_cv > 0.4                     # chaotic: CV 0.5-0.6 (biophysical.md b.1)
    assert f["regular_bursting"].burst_gap > 10              # 5.8 ms within bursts, ~133 ms between
    assert f["delayed_accelerating"].latency > 2 * f["delayed_accelerating"].late_isi


def test_classifier_edge_cases():
    assert analysis.classify([], 100.0).label == "silent"
    assert analysis.classify([12.0, 20.0], 100.0).label == "transient"
    assert analysis.classify(np.arange(5.0, 100.0, 10.0), 100.0).label == "tonic"
    slowing = np.cumsum(np.linspace(5.0, 20.0, 12))
    assert analysis.classify(slowing, slowing[-1] + 5).label == "adapting"
    # the same tonic train shifted late reads as delayed
    assert analysis.classify(np.arange(60.0, 200.0, 10.0), 200.0).label == "delayed tonic"


def test_spike_times_interpolate_upward_crossings():
    t = np.arange(0.0, 10.0, 1.0)
    v = np.array([-70, -10, 10, 30, -60, -70, 20, -50, -70, -70], float)
    (s,) = analysis.spike_times(v, t, threshold=0.0)
    np.testing.assert_allclose(s, [1.5, 5 + 70 / 90])
    two = analysis.spike_times(np.stack([v, v - 100], axis=1), t)
    assert len(two) == 2 and two[1].size == 0


def test_rates_isis_and_indices():
    s = np.array([10.0, 20.0, 30.0, 45.0, 65.0])
    assert analysis.firing_rate(s, 0.0, 50.0) == pytest.approx(80.0)
    np.testing.assert_array_equal(analysis.firing_rate([s, s[:2]], 0.0, 100.0), [50.0, 20.0])
    np.testing.assert_array_equal(analysis.isi(s), [10, 10, 15, 20])
    assert analysis.cv([10.0, 10.0]) == 0.0
    assert analysis.adaptation_index(s) > 0 > analysis.adaptation_index(s[::-1] * -1)
    cur, rates = analysis.fi_curve([s, s[:1]], [1.0, 2.0], 0.0, 100.0)
    np.testing.assert_array_equal(rates, [50.0, 10.0])
    with pytest.raises(ValueError, match="empty window"):
        analysis.firing_rate(s, 5.0, 5.0)
