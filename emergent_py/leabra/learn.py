"""Learning: XCAL check-mark, dWt (XCAL_CHL, DELTA_FF_FB), dwt_norm, momentum, weight update
with soft bounding and sigmoidal contrast enhancement, weight balance (leabra.md 9).

Functions work on a projection's dense synapse matrices, shape ``(n_send, n_recv)`` (sender
major, as emergent owns connections by the sender), in the working dtype.
"""
from __future__ import annotations

import numpy as np

from ..spec.params import ConSpec


def xcal(x, th, d_thr, d_rev, d_rev_ratio):
    """XCAL check-mark f(x, th) (leabra.md 9.2): 0 below d_thr, x - th above th*d_rev, else x*d_rev_ratio."""
    out = np.subtract(x, th)
    np.multiply(x, d_rev_ratio, out=out, where=~(x > th * d_rev))
    np.copyto(out, x.dtype.type(0), where=x < d_thr)
    return out


def powf(x, p, out=None):
    """``x ** p`` rounded as a correctly rounded float32 ``powf`` would be, fast.

    numpy's float32 power is a slow scalar loop; for float32 input this evaluates in float64
    (integer p: repeated multiplication, else exp(p*log(x))) and rounds once to float32.
    float64 input uses numpy's power directly."""
    if x.dtype != np.float32:
        return np.power(x, p, out=out)
    x64 = x.astype(np.float64)
    pf = float(p)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if pf.is_integer() and 1 <= pf <= 16:
            n, base, acc = int(pf), x64, None
            while n:
                if n & 1:
                    acc = base.copy() if acc is None else np.multiply(acc, base, out=acc)
                n >>= 1
                if n:
                    base = base * base
            r = acc
        else:
            r = np.log(x64)
            r *= pf
            np.exp(r, out=r)
    if out is None:
        return r.astype(np.float32)
    out[...] = r
    return out


def sig(w, gain, off):
    """Contrast enhancement SIG(w) = 1/(1 + (off*(1-w)/w)^gain), 0 at w <= 0, 1 at w >= 1."""
    w = np.asarray(w)
    one = w.dtype.type(1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = one / (one + powf(off * (one - w) / w, gain))
    return np.where(w <= 0, w.dtype.type(0), np.where(w >= one, one, r))


def sig_inv(w, gain, off):
    """Inverse SIG: 1/(1 + ((1-w)/w)^(1/gain)/off), 0 at w <= 0, 1 at w >= 1."""
    w = np.asarray(w)
    one = w.dtype.type(1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = one / (one + powf((one - w) / w, one / gain) / off)
    return np.where(w <= 0, w.dtype.type(0), np.where(w >= one, one, r))


class ConConsts:
    """A con spec's learning constants in the working dtype (derived values computed in dtype,
    as emergent computes them in float)."""

    def __init__(self, con: ConSpec, dtype) -> None:
        f = dtype
        one = f(1)
        self.learn = con.learn
        self.rule = con.rule.rule
        self.feedback = con.feedback
        self.lrate = f(con.lrate)
        x = con.xcal
        self.m_lrn, self.d_thr, self.d_rev, self.lrn_thr = f(x.m_lrn), f(x.d_thr), f(x.d_rev), f(x.lrn_thr)
        self.d_rev_ratio = -(one - self.d_rev) / self.d_rev
        self.set_l_lrn, self.l_lrn = x.set_l_lrn, f(x.l_lrn)
        n = con.dwt_norm
        self.norm_on, self.norm_level = n.on, n.level
        self.norm_decay_dt_c = one - one / f(n.decay_tau)
        self.norm_min, self.norm_lr_comp = f(n.norm_min), f(n.lr_comp)
        m = con.momentum
        self.mom_on = m.on
        self.m_dt_c = one - one / f(m.m_tau)
        self.mom_lr_comp = f(m.lr_comp)
        s = con.wt_sig
        self.sig_gain, self.sig_off, self.soft_bound = f(s.gain), f(s.off), s.soft_bound
        lim = con.wt_limits
        self.wt_lo = f(lim.min) if lim.type in ("GT_MIN", "MIN_MAX") else None
        self.wt_hi = f(lim.max) if lim.type in ("LT_MAX", "MIN_MAX") else None
        self.wt_bal = con.wt_bal


def raw_dwt(cc: ConConsts, s: dict, r: dict):
    """Raw weight change d (leabra.md 9.4) for every synapse, shape (n_send, n_recv).

    ``s`` and ``r`` map unit variable names to the sending / receiving units' arrays."""
    su, ru = s["su_avg_s_lrn"], r["ru_avg_s_lrn"]
    srs = np.multiply.outer(su, ru)
    if cc.rule == "XCAL_CHL":
        srm = np.multiply.outer(s["avg_m"], r["avg_m"])
        bcm = xcal(srs, r["avg_l"], cc.d_thr, cc.d_rev, cc.d_rev_ratio)
        err = xcal(srs, srm, cc.d_thr, cc.d_rev, cc.d_rev_ratio)
    else:  # DELTA_FF_FB
        bcm = xcal(srs, np.multiply.outer(su, r["avg_l"]), cc.d_thr, cc.d_rev, cc.d_rev_ratio)
        if cc.feedback:
            err = np.multiply.outer(s["ru_avg_s_lrn"] - s["avg_m"], r["su_avg_s_lrn"])
        else:
            err = np.multiply.outer(su, ru - r["avg_m"])
    bcm *= cc.l_lrn if cc.set_l_lrn else r["avg_l_lrn"]
    if cc.m_lrn != 1:
        err *= cc.m_lrn
    bcm += err
    return bcm


def accumulate_dwt(cc: ConConsts, d, dwt, dwnorm, moment, lrate_eff, mask=None) -> None:
    """dwt_norm + momentum + learning rate (leabra.md 9.5), in place on the given rows.

    ``d``, ``dwt``, ``dwnorm``, ``moment``: (k, n_recv) for the k learning senders;
    ``lrate_eff``: scalar or (n_recv,) (cur_lrate x receiving layer lrate_mod [x momentum lr_comp]).
    ``mask``: connectivity (k, n_recv) bool or None (all connected). The arrays are copies of the
    projection rows; the caller writes them back."""
    if mask is not None:
        d = np.where(mask, d, d.dtype.type(0))
    if cc.norm_on:
        dwnorm *= cc.norm_decay_dt_c
        np.maximum(dwnorm, np.abs(d), out=dwnorm)
        # emergent uses norm 1 where dwnorm == 0; there d and moment are 0 too, so the step is 0
        # either way and the mask is not needed
        norm = np.maximum(dwnorm, cc.norm_min)
        np.divide(cc.norm_lr_comp, norm, out=norm)
    else:
        norm = None
    if cc.mom_on:
        moment *= cc.m_dt_c
        moment += d
        src = moment
    else:
        src = d
    if norm is None:
        step = src.copy()
    else:
        step = norm
        step *= src
    step *= lrate_eff
    dwt += step
    if cc.norm_on and cc.norm_level == "SEND_CONS":
        # the shared maximum takes effect for the next trial (leabra.md 9.5)
        dwnorm[...] = (dwnorm if mask is None else np.where(mask, dwnorm, 0)).max(axis=1, keepdims=True)
        if mask is not None:
            dwnorm *= mask


def sig_into(f, gain, off, out):
    """SIG of weights already within [0, 1] into ``out`` (in place, no masks): at f = 0 the ratio
    is +inf and SIG 0, at f = 1 it is 0 and SIG 1, as the bounded formula gives."""
    one = f.dtype.type(1)
    with np.errstate(divide="ignore", over="ignore"):
        np.subtract(one, f, out=out)
        if off != 1:
            out *= off
        np.divide(out, f, out=out)
        powf(out, gain, out=out)
    out += one
    np.divide(one, out, out=out)
    return out


def apply_dwt(cc: ConConsts, wt, fwt, dwt, wb_inc, wb_dec, scale=1) -> None:
    """Compute_Weights for one projection (leabra.md 9.6), in place; only synapses with dwt != 0.

    ``wt, fwt, dwt``: (n_send, n_recv); ``wb_inc, wb_dec``: (n_recv,) weight-balance factors."""
    nz = dwt != 0
    n_nz = np.count_nonzero(nz)
    if n_nz == 0:
        return
    one = dwt.dtype.type(1)
    inc_one = bool(np.all(wb_inc == 1))
    dec_one = bool(np.all(wb_dec == 1))
    if cc.soft_bound:
        fac = np.subtract(one, fwt)                       # wb_inc * (1 - fwt) where dwt > 0
        if not inc_one:
            fac *= wb_inc
        neg = fwt if dec_one else wb_dec * fwt            # wb_dec * fwt otherwise
        np.copyto(fac, neg, where=~(dwt > 0))
    else:
        fac = np.where(dwt > 0, wb_inc, wb_dec).astype(dwt.dtype)
    fac *= dwt
    fac += fwt                                            # fwt + dwt * fac
    bounded = cc.wt_lo is not None and cc.wt_hi is not None and cc.wt_lo >= 0 and cc.wt_hi <= 1
    if cc.wt_lo is not None:
        np.maximum(fac, cc.wt_lo, out=fac)
    if cc.wt_hi is not None:
        np.minimum(fac, cc.wt_hi, out=fac)
    new_w = sig_into(fac, cc.sig_gain, cc.sig_off, np.empty_like(fac)) if bounded else \
        sig(fac, cc.sig_gain, cc.sig_off)
    if scale != 1:
        new_w *= scale
    if n_nz == nz.size:
        fwt[...] = fac
        wt[...] = new_w
    else:
        np.copyto(fwt, fac, where=nz)
        np.copyto(wt, new_w, where=nz)
    dwt[...] = 0


def wt_balance(cc: ConConsts, wt, mask, wb_inc, wb_dec, act_avg) -> None:
    """Weight-balance factors per receiving unit (leabra.md 9.7), in place on (n_recv,) arrays."""
    b = cc.wt_bal
    dt = wt.dtype.type
    use = wt >= dt(b.avg_thr)
    if mask is not None:
        use &= mask
    cnt = use.sum(axis=0)
    tot = np.where(use, wt, dt(0)).sum(axis=0, dtype=wt.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(cnt > 0, tot / np.maximum(cnt, 1).astype(wt.dtype), dt(0)).astype(wt.dtype)
    one, two = dt(1), dt(2)
    lo = avg < dt(b.lo_thr)
    lo_avg = np.maximum(avg, dt(b.avg_thr))
    lo_dec = one / (one + dt(b.lo_gain) * (dt(b.lo_thr) - lo_avg))
    fact = np.where(avg > dt(b.hi_thr), dt(b.hi_gain) * (avg - dt(b.hi_thr)), dt(0))
    fact = fact + np.where(act_avg > dt(b.act_thr), dt(b.act_gain) * (act_avg - dt(b.act_thr)), dt(0))
    hi_inc = one / (one + fact)
    wb_dec[:] = np.where(lo, lo_dec, two - hi_inc)
    wb_inc[:] = np.where(lo, two - lo_dec, hi_inc)
