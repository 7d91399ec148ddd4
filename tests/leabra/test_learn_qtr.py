"""learn_qtr (leabra.md 1.6 step 4): connection dWt is computed and accumulated at the end of
every quarter the con spec names (Q2|Q4: after quarters 2 and 4), on both kernels."""
from __future__ import annotations

import numpy as np
import pytest

from emergent_py import Full, Model, Network, Patterns, RunPlan, Sheet
from emergent_py.leabra.network import Network as NativeNet


def _model(learn_qtr: str, plain: bool = False) -> Model:
    net = Network("Q")
    net.layer("In", (3, 3), kind="input")
    net.layer("Hid", (3, 3))
    net.layer("Out", (2, 2), kind="target")
    net.connect("In", "Hid", Full())
    net.connect("Hid", "Out", Full())
    net.connect("Out", "Hid", Full(), cls="Top")
    pats = Patterns.random(2, {"In": (3, 3), "Out": (2, 2)}, pct_on=0.3, seed=4)
    prjn = {"learn_qtr": learn_qtr}
    if plain:               # dwt_norm and momentum carry state from one dWt to the next
        prjn.update({"dwt_norm.on": False, "momentum.on": False})
    sheet = Sheet({"Prjn": prjn, ".Top": {"wt_scale.rel": 0.2}})
    return Model(net, sheet, pats, RunPlan(epochs=1))


def _dwt(learn_qtr: str, kernel: str, plain: bool = False) -> dict:
    net = NativeNet(_model(learn_qtr, plain), seed=3, kernel=kernel)
    net.trial(0)
    return {name: p.var("dwt") for name, p in net.projections.items()}


@pytest.mark.parametrize("kernel", ["numpy", "c"])
def test_dwt_accumulates_over_the_learning_quarters(kernel):
    q4, q2, both, every, q1, q3 = (_dwt(q, kernel, plain=True)
                                   for q in ("Q4", "Q2", "Q2|Q4", "Q1|Q2|Q3|Q4", "Q1", "Q3"))
    for name in q4:
        assert np.any(q2[name] != 0) and np.any(q4[name] != 0) and np.any(q2[name] != q4[name])
        # a trial's activity does not depend on learning: the quarters' dWts just add up
        np.testing.assert_allclose(both[name], q2[name] + q4[name], rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(every[name], q1[name] + q2[name] + q3[name] + q4[name],
                                   rtol=1e-5, atol=1e-9)


def test_kernels_agree_on_q2_q4_with_dwt_norm_and_momentum():
    a, b, q4 = _dwt("Q2|Q4", "numpy"), _dwt("Q2|Q4", "c"), _dwt("Q4", "c")
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
        assert np.any(a[name] != q4[name])
