"""Bias-weight learning timing (leabra.md 9.8, corrected): the bias dWt accumulates at the end of
every quarter, ``learn_qtr`` (here Q4 only) gates only the connections' dWt; the sum is applied
once at Compute_Weights (``bias_fwt += bias_dwt; bias_wt = bias_fwt``). Checked on both kernels
against the rule computed here from the units' avg_s / avg_m at each quarter's end."""
from __future__ import annotations

import numpy as np
import pytest

from emergent_py import Model, Sheet
from emergent_py.leabra import Network

f32 = np.float32
LRATE, THRESH = 0.04, 0.1


@pytest.fixture(params=["numpy", "c"])
def kernel(request):
    return request.param


def bias_model(basic_model) -> Model:
    sheet = Sheet({"Layer": {"bias.learn": True, "bias.lrate": LRATE, "bias.dwt_thresh": THRESH},
                   "Prjn": {"learn_qtr": "Q4"}})
    return Model(basic_model.network, basic_model.sheets + [sheet], basic_model.patterns, basic_model.plan)


def quarter_ends(net: Network, pattern: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(avg_s, avg_m) of every unit after the last cycle of each quarter of one trial."""
    n = net.model.network_params.network.times.quarter
    ends = []

    def grab(nt):
        if nt.cycle_n % n == 0:
            ends.append((nt.units["avg_s"].copy(), nt.units["avg_m"].copy()))
    net.trial(pattern, on_cycle=grab)
    return ends


def test_bias_dwt_accumulates_at_every_quarter_end(basic_model, kernel):
    net = Network(bias_model(basic_model), kernel=kernel)
    assert net.kernel_name == kernel
    for t in range(3):
        net.compute_weights()
        before = net.units["bias_fwt"].copy()
        ends = quarter_ends(net, t)
        assert len(ends) == 4
        want = np.zeros_like(before)
        early = 0                                   # changes made by quarters 0-2 (not learn_qtr)
        for q, (avg_s, avg_m) in enumerate(ends):
            d = avg_s - avg_m
            step = np.where(np.abs(d) >= f32(THRESH), f32(LRATE) * d, f32(0))
            want = (want + step).astype(f32)
            early += int(np.count_nonzero(step)) if q < 3 else 0
        assert early > 0, "the test network must change biases before the plus phase"
        np.testing.assert_array_equal(net.units["bias_dwt"], want)
        net.compute_weights()
        np.testing.assert_array_equal(net.units["bias_fwt"], (before + want).astype(f32))
        np.testing.assert_array_equal(net.units["bias_wt"], net.units["bias_fwt"])
        assert not net.units["bias_dwt"].any()


def test_bias_learning_is_bitwise_the_same_on_both_kernels(basic_model):
    model = bias_model(basic_model)
    nets = [Network(model, kernel=k) for k in ("numpy", "c")]
    for t in range(8):
        for n in nets:
            n.compute_weights()
            n.trial(t % model.patterns.n)
    a, b = nets
    assert a.units["bias_wt"].any()
    np.testing.assert_array_equal(a.units["bias_wt"], b.units["bias_wt"])
    np.testing.assert_array_equal(a.units["bias_dwt"], b.units["bias_dwt"])
    for pa, pb in zip(a.prjn_list, b.prjn_list):
        np.testing.assert_array_equal(pa.var("wt"), pb.var("wt"), err_msg=pa.name)
