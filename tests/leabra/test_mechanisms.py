"""Each mechanism against values derived by hand from leabra.md (3.2 scaling, 4.2 FFFB,
9.2 XCAL table, 9.4-9.6 one dWt/norm/momentum/weight update, 9.6 SIGinv example)."""
from __future__ import annotations

import numpy as np
import pytest

from emergent_py import Full, Network as SpecNet, OneToOne, Patterns, RunPlan, Sheet, UniformRandom
from emergent_py.leabra import Network
from emergent_py.leabra.inhib import fffb
from emergent_py.leabra.learn import ConConsts, accumulate_dwt, apply_dwt, raw_dwt, sig, sig_inv, wt_balance, xcal
from emergent_py.spec import Model
from emergent_py.spec.params import ConSpec

f32 = np.float32

# refdata 1.4 XCalTestVals (C++ program TestLearn)
XCAL = [(0.01, 0.1, -0.089999996), (0.02, 0.1, -0.079999998), (0.03, 0.1, -0.07),
        (0.04, 0.1, -0.060000002), (0.05, 0.1, -0.050000001), (0.1, 0.1, 0), (0.2, 0.2, 0),
        (0.3, 0.2, 0.10000001), (0.4, 0.2, 0.2), (0.5, 0.2, 0.30000001), (0.6, 0.2, 0.40000004),
        (0.7, 0.3, 0.39999998), (0.8, 0.3, 0.5)]


def test_xcal_table():
    cc = ConConsts(ConSpec(), np.float32)
    x = np.array([r[0] for r in XCAL], dtype=f32)
    th = np.array([r[1] for r in XCAL], dtype=f32)
    got = xcal(x, th, cc.d_thr, cc.d_rev, cc.d_rev_ratio)
    np.testing.assert_allclose(got, [r[2] for r in XCAL], atol=1e-7)
    # below d_thr: no change
    assert xcal(np.array([5e-5], f32), f32(0.1), cc.d_thr, cc.d_rev, cc.d_rev_ratio)[0] == 0


def test_sig_inv_example_and_round_trip():
    assert sig_inv(np.array([0.15], f32), f32(6), f32(1))[0] == pytest.approx(0.42822415, abs=1e-7)
    w = np.array([0.0, 0.1, 0.5, 0.9, 1.0], f32)
    np.testing.assert_allclose(sig(sig_inv(w, f32(6), f32(1)), f32(6), f32(1)), w, atol=2e-7)


def test_fffb_one_step():
    p = {"gi": f32(1.8), "ff": f32(1), "fb": f32(1), "ff0": f32(0.1), "max_vs_avg": f32(0),
         "fb_dt": f32(1) / f32(1.4)}
    ffi, fbi, g_i = fffb(np.array([0.3], f32), np.array([0.5], f32), np.array([0.2], f32),
                         np.array([0.1], f32), p)
    assert ffi[0] == pytest.approx(0.2, abs=1e-7)                       # 1*(0.3 - 0.1)
    assert fbi[0] == pytest.approx(0.1 + (0.2 - 0.1) / 1.4, abs=1e-7)  # moves toward fb*acts_avg
    assert g_i[0] == pytest.approx(1.8 * (0.2 + 0.1 + 0.1 / 1.4), abs=1e-6)
    ffi, _, _ = fffb(np.array([0.05], f32), np.array([0.5], f32), np.zeros(1, f32), np.zeros(1, f32), p)
    assert ffi[0] == 0                                                   # below ff0


def test_xcal_chl_norm_momentum_update_by_hand():
    cc = ConConsts(ConSpec(), np.float32)         # XCAL_CHL, norm lr_comp 0.15, momentum lr_comp 0.1
    a = lambda v: np.array([v], f32)
    s = {"su_avg_s_lrn": a(0.5), "ru_avg_s_lrn": a(0.5), "avg_m": a(0.3)}
    r = {"su_avg_s_lrn": a(0.4), "ru_avg_s_lrn": a(0.4), "avg_m": a(0.5), "avg_l": a(0.4), "avg_l_lrn": a(0.1)}
    d = raw_dwt(cc, s, r)
    # srs = 0.2, srm = 0.15: bcm = (0.2 - 0.4) * 0.1 = -0.02, err = 0.2 - 0.15 = 0.05
    assert d.shape == (1, 1) and d[0, 0] == pytest.approx(0.03, abs=1e-7)
    dwt, dwnorm, moment = (np.zeros((1, 1), f32) for _ in range(3))
    lrate_eff = cc.lrate * cc.mom_lr_comp                                  # 0.04 * 0.1
    accumulate_dwt(cc, d, dwt, dwnorm, moment, lrate_eff)
    # dwnorm = 0.03, norm = 0.15/0.03 = 5, moment = 0.03: dwt = 0.004 * 5 * 0.03
    assert dwnorm[0, 0] == pytest.approx(0.03, abs=1e-8)
    assert moment[0, 0] == pytest.approx(0.03, abs=1e-8)
    assert dwt[0, 0] == pytest.approx(0.0006, abs=1e-9)
    accumulate_dwt(cc, d, dwt, dwnorm, moment, lrate_eff)
    # moment = 0.9*0.03 + 0.03 = 0.057; dwnorm = max(0.999*0.03, 0.03) = 0.03
    assert moment[0, 0] == pytest.approx(0.057, rel=1e-6)
    assert dwt[0, 0] == pytest.approx(0.0006 + 0.004 * 5 * 0.057, rel=1e-6)
    wt = np.full((1, 1), 0.5, f32)
    fwt = sig_inv(wt, cc.sig_gain, cc.sig_off)
    apply_dwt(cc, wt, fwt, dwt, np.ones(1, f32), np.ones(1, f32))
    f_new = 0.5 + 0.00174 * (1 - 0.5)                                      # soft bound
    assert fwt[0, 0] == pytest.approx(f_new, abs=1e-7)
    assert wt[0, 0] == pytest.approx(1 / (1 + ((1 - f_new) / f_new) ** 6), abs=1e-7)
    assert dwt[0, 0] == 0


def _scaling_net(pattern, send_shape=(5, 5), recv_shape=(5, 5), targ_init=0.15):
    net = SpecNet("Scale")
    net.layer("S", send_shape, kind="input")
    net.layer("R", recv_shape)
    net.connect("S", "R", pattern)
    pats = Patterns({"S": np.zeros((1, *send_shape), np.float32)})
    m = Model(net, Sheet({"Layer": {"avg_act.targ_init": targ_init}}), pats, RunPlan(epochs=1))
    n = Network(m)
    n.quarter_init()
    return n.projections["S->R"]


def test_netin_scaling_worked_examples():
    # leabra.md 3.2: full from 25 units, savg 0.15: n_act = round(3.75) = 4 -> 1/4
    assert _scaling_net(Full()).scale_eff == pytest.approx(0.25)
    # partial, ncons 10: n_max 4, n_avg round(1.5) = 2, n_exp = min(2 + 2, 4) = 4 -> 1/4
    p = _scaling_net(UniformRandom(0.4, seed=3))
    assert p.ncons == 10 and p.scale_eff == pytest.approx(0.25)
    # one-to-one from 4 units, savg 0.2: ncons 1 != 4 -> n_exp 1 -> 1
    p = _scaling_net(OneToOne(), (1, 4), (1, 4), 0.2)
    assert p.ncons == 1 and p.scale_eff == pytest.approx(1.0)


def test_relative_scale_normalized(basic_model):
    """Hidden gets Fm_Input (rel 1) and Fm_Output (rel 0.2): scale_eff = rel / 1.2."""
    net = Network(basic_model)
    net.quarter_init()
    assert net.projections["Input->Hidden"].scale_eff == pytest.approx(1 / 1.2, rel=1e-6)
    assert net.projections["Output->Hidden"].scale_eff == pytest.approx(0.2 / 1.2, rel=1e-6)
    assert net.projections["Hidden->Output"].scale_eff == pytest.approx(1.0)


def test_use_ext_act_sets_sending_scale_from_the_pattern():
    """avg_act.use_ext_act (8.1): the input layer's expected activity is its pattern's mean
    (2 of 25 units on: 0.08), so a full projection from it gets sa = 1/round(0.08*25) = 1/2."""
    net = SpecNet("Ext")
    net.layer("S", (5, 5), kind="input")
    net.layer("R", (5, 5))
    net.connect("S", "R", Full())
    row = np.zeros((1, 5, 5), np.float32)
    row[0, 0, :2] = 1
    m = Model(net, Sheet({"#S": {"avg_act.use_ext_act": True}}), Patterns({"S": row}), RunPlan(epochs=1))
    n = Network(m)
    n.apply_inputs(0)
    n.quarter_init()
    assert n.lay["acts_p_avg_eff"][0] == pytest.approx(0.08)
    assert n.projections["S->R"].scale_eff == pytest.approx(0.5)


def test_buffered_xcal_chl_dwt_is_the_plain_formula_bit_for_bit():
    # the learning step works in preallocated scratch with fused zeroing; it must give exactly
    # d = f(srs, avg_l) * avg_l_lrn + f(srs, srm) with the table-checked f above (leabra.md 9.4)
    rng = np.random.default_rng(5)
    cc = ConConsts(ConSpec(), f32)
    s = {k: (rng.random(40, dtype=f32) * 0.6) for k in ("su_avg_s_lrn", "ru_avg_s_lrn", "avg_m")}
    s["su_avg_s_lrn"][:5] = 0                                   # srs below d_thr
    r = {k: (rng.random(30, dtype=f32) * 0.6) for k in ("su_avg_s_lrn", "ru_avg_s_lrn", "avg_m", "avg_l",
                                                         "avg_l_lrn")}
    srs = np.multiply.outer(s["su_avg_s_lrn"], r["ru_avg_s_lrn"])
    srm = np.multiply.outer(s["avg_m"], r["avg_m"])
    want = xcal(srs, r["avg_l"], cc.d_thr, cc.d_rev, cc.d_rev_ratio) * r["avg_l_lrn"] \
        + xcal(srs, srm, cc.d_thr, cc.d_rev, cc.d_rev_ratio)
    got = raw_dwt(cc, s, r)
    assert got.tobytes() == want.astype(f32).tobytes()
    assert (got == 0).sum() >= 5 * 30 and (got < 0).any() and (got > 0).any()


def test_select_into_and_zero_where_are_bitwise_np_where():
    from emergent_py.leabra.learn import select_into, zero_where
    rng = np.random.default_rng(2)
    a = rng.standard_normal(257).astype(f32)
    b = rng.standard_normal(257).astype(f32)
    a[:3] = (-0.0, np.nan, np.inf)
    cond = rng.random(257) < 0.4
    ib, it = np.empty(257, np.int32), np.empty(257, np.int32)
    out = select_into(np.empty_like(a), cond, a, b, ib, it)
    assert out.tobytes() == np.where(cond, a, b).tobytes()
    z = zero_where(a.copy(), cond, ib)
    assert z.tobytes() == np.where(cond, f32(0), a).tobytes()


def _wt_bal_by_hand(wt, act_avg, b):
    """leabra.md 9.7 for each receiving unit, its incoming synapses added one by one in float32."""
    f = np.float32
    inc, dec = [], []
    for r in range(wt.shape[1]):
        tot, cnt = f(0), 0
        for w in wt[:, r]:
            if w >= f(b.avg_thr):
                tot, cnt = f(tot + w), cnt + 1
        avg = f(tot / f(cnt)) if cnt else f(0)
        if avg < f(b.lo_thr):
            avg = max(avg, f(b.avg_thr))
            d = f(1) / (f(1) + f(b.lo_gain) * (f(b.lo_thr) - avg))
            dec.append(d), inc.append(f(2) - d)
        else:
            fact = f(b.hi_gain) * (avg - f(b.hi_thr)) if avg > f(b.hi_thr) else f(0)
            fact = fact + (f(b.act_gain) * (act_avg[r] - f(b.act_thr)) if act_avg[r] > f(b.act_thr) else f(0))
            i = f(1) / (f(1) + fact)
            inc.append(i), dec.append(f(2) - i)
    return np.array(inc, f), np.array(dec, f)


@pytest.mark.parametrize("n_recv", [1, 2, 3, 625])
def test_weight_balance_adds_each_receivers_synapses_in_order(n_recv):
    """The mean weight of a receiver's synapses (>= avg_thr) is a float32 sum in connection order,
    also for a projection into one unit, where numpy's sum along the senders is pairwise (its
    last bits differ from emergent's loop for 5000 senders)."""
    rng = np.random.default_rng(3)
    wt = (rng.random((5000, n_recv)) * 0.7 + 0.1).astype(np.float32)
    act_avg = np.resize(np.array([0.1, 0.3, 0.5], np.float32), n_recv)
    cc = ConConsts(ConSpec(), np.float32)
    inc, dec = np.ones(n_recv, np.float32), np.ones(n_recv, np.float32)
    wt_balance(cc, wt, None, inc, dec, act_avg)
    want_inc, want_dec = _wt_bal_by_hand(wt, act_avg, cc.wt_bal)
    assert inc.tobytes() == want_inc.tobytes() and dec.tobytes() == want_dec.tobytes()
    assert np.all(inc < 1) and np.all(dec > 1)      # mean above hi_thr 0.4: shrink increases
