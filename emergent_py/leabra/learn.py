"""Learning: XCAL check-mark, dWt (XCAL_CHL, DELTA_FF_FB), dwt_norm, momentum, weight update
with soft bounding and sigmoidal contrast enhancement, weight balance (leabra.md 9).

Functions work on a projection's dense synapse matrices, shape ``(n_send, n_recv)`` (sender
major, as emergent owns connections by the sender), in the working dtype.
"""
from __future__ import annotations

import numpy as np

from ..spec.params import ConSpec
from .sums import seq_sum


def xcal(x, th, d_thr, d_rev, d_rev_ratio):
    """XCAL check-mark f(x, th) (leabra.md 9.2): 0 below d_thr, x - th above th*d_rev, else x*d_rev_ratio."""
    out = np.subtract(x, th)
    np.multiply(x, d_rev_ratio, out=out, where=~(x > th * d_rev))
    np.copyto(out, x.dtype.type(0), where=x < d_thr)
    return out


def powf(x, p, out=None, work64=None):
    """``x ** p`` rounded as a correctly rounded float32 ``powf`` would be, fast.

    numpy's float32 power is a slow scalar loop; for float32 input this evaluates in float64
    (integer p: binary powering by repeated multiplication, else exp(p*log(x))) and rounds once
    to float32. float64 input uses numpy's power directly. ``work64``: optional two float64
    scratch arrays of x's shape (no temporaries then). (Widening and rounding are separate
    copies: numpy's mixed-dtype loops are several times slower than a cast copy plus a float64
    loop.)"""
    if x.dtype != np.float32:
        return np.power(x, p, out=out)
    if out is None:
        out = np.empty(x.shape, np.float32)
    if work64 is None:
        work64 = (np.empty(x.shape, np.float64), np.empty(x.shape, np.float64))
    other = {id(work64[0]): work64[1], id(work64[1]): work64[0]}
    base = work64[1]
    np.copyto(base, x)                                  # exact widening
    pf = float(p)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if pf.is_integer() and 1 <= pf <= 16:
            n, acc = int(pf), None
            while n:
                if n & 1:
                    if acc is None:
                        acc = base                      # base moves on at its next squaring
                    else:
                        np.multiply(acc, base, out=acc)
                n >>= 1
                if n:
                    dst = other[id(base)] if base is acc else base
                    np.multiply(base, base, out=dst)
                    base = dst
            r = acc
        else:
            r = np.log(base, out=base)
            r *= pf
            np.exp(r, out=r)
    np.copyto(out, r, casting="same_kind")              # one rounding to float32
    return out


def select_into(out, cond, a, b, mask, tmp):
    """``out = a where cond else b``, bit for bit, without a branch per element (numpy's masked
    loops -- ``where=`` arguments, ``copyto(..., where=)`` -- are ~4x slower than this on
    irregular masks, e.g. the signs of weight changes; on mostly-True masks copyto wins). ``a, b, out``: float arrays of one shape (out may be a or b); ``cond``:
    bool; ``mask, tmp``: integer scratch of the floats' width."""
    ai, bi, oi = (v.view(mask.dtype) for v in (a, b, out))
    np.copyto(mask, cond)
    np.negative(mask, out=mask)                         # all bits set where cond
    np.bitwise_xor(ai, bi, out=tmp)
    np.bitwise_and(tmp, mask, out=tmp)
    np.bitwise_xor(bi, tmp, out=oi)                     # b ^ ((a ^ b) & mask)
    return out


def zero_where(out, cond, mask):
    """``out[cond] = +0.0`` in place, bit for bit, branch-free (see :func:`select_into`)."""
    np.copyto(mask, cond)
    np.subtract(mask, 1, out=mask)                      # 0 where cond, all bits set elsewhere
    oi = out.view(mask.dtype)
    np.bitwise_and(oi, mask, out=oi)
    return out


def sig(w, gain, off):
    """Contrast enhancement SIG(w) = 1/(1 + (off*(1-w)/w)^gain), 0 at w <= 0, 1 at w >= 1."""
    w = np.asarray(w)
    one = w.dtype.type(1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = one / (one + sig_power(off * (one - w) / w, gain))
    return np.where(w <= 0, w.dtype.type(0), np.where(w >= one, one, r))


def sig_power(q, gain, out=None, tmp=None, work64=None):
    """``q ** gain`` inside SIG (leabra.md 9.6) as emergent evaluates it. For the default gain 6
    that is the product ``q*q*q*q*q*q`` in the working dtype, left to right (five roundings):
    measured against emergent 8.6.1, every weight of the basic run is then emergent's bit for bit
    after every trial, where a correctly rounded ``powf`` left 1-ulp differences, and the
    stdassoc run's per-trial statistics stop drifting from the second trial on (docs/core.md).
    Other gains: :func:`powf`. ``tmp``: optional scratch of q's shape and dtype, not ``q``."""
    if gain != 6:
        return powf(q, gain, out=out, work64=work64)
    if out is None:
        out = np.empty_like(q)
    t = np.empty_like(q) if tmp is None or tmp is q else tmp
    np.multiply(q, q, out=t)
    for _ in range(4):
        np.multiply(t, q, out=t)
    if out is not t:
        np.copyto(out, t)
    return out


def sig_inv(w, gain, off):
    """Inverse SIG: 1/(1 + ((1-w)/w)^(1/gain)/off), 0 at w <= 0, 1 at w >= 1."""
    w = np.asarray(w)
    one = w.dtype.type(1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = one / (one + powf((one - w) / w, one / gain) / off)
    return np.where(w <= 0, w.dtype.type(0), np.where(w >= one, one, r))


class Scratch:
    """Reusable scratch arrays for the learning steps of one network: ``size`` elements each
    (at least one block of synapses, see projection.SYN_BLOCK), viewed as (k, n_recv) blocks.
    Preallocated so that learning makes no large temporaries (no page faults, no allocator
    tuning needed)."""

    def __init__(self, size: int, dtype) -> None:
        self.size = size
        self._f = [np.empty(size, dtype) for _ in range(4)]
        self._b = [np.empty(size, bool) for _ in range(2)]
        ibits = np.dtype(f"i{np.dtype(dtype).itemsize}")
        self._i = [np.empty(size, ibits) for _ in range(2)]
        self._d = [np.empty(size, np.float64) for _ in range(2)]
        self._v = [np.empty(size, dtype) for _ in range(2)]
        self._views: dict = {}

    def vec(self, i: int, n: int) -> np.ndarray:
        """Scratch vector ``i`` (0 or 1) of length ``n``."""
        return self._v[i][:n]

    def block(self, shape):
        """(f0, f1, f2, f3, (b0, b1), (d0, d1), (v0, v1), (i0, i1)): views of ``shape``
        (v*: of shape[-1]; i*: integers of the float width, for :func:`select_into`)."""
        views = self._views.get(shape)
        if views is None:
            views = self._views[shape] = self._block(shape)
        return views

    def _block(self, shape):
        n = int(np.prod(shape))
        if n > self.size:
            raise ValueError(f"scratch of {self.size} elements is too small for a {shape} block")
        r = lambda a: a[:n].reshape(shape)
        m = shape[-1] if len(shape) else 1
        return (*(r(a) for a in self._f), tuple(r(a) for a in self._b), tuple(r(a) for a in self._d),
                tuple(a[:m] for a in self._v), tuple(r(a) for a in self._i))


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


def raw_dwt(cc: ConConsts, s: dict, r: dict, scratch: Scratch | None = None):
    """Raw weight change d (leabra.md 9.4) for every synapse, shape (n_send, n_recv).

    ``s`` and ``r`` map unit variable names to the sending / receiving units' arrays. With
    ``scratch`` the result is a view of it (valid until the scratch is used again)."""
    su, ru = s["su_avg_s_lrn"], r["ru_avg_s_lrn"]
    if cc.rule == "XCAL_CHL":
        return _xcal_chl_dwt(cc, su, ru, s["avg_m"], r, scratch or Scratch(len(su) * len(ru), su.dtype))
    # DELTA_FF_FB
    srs = np.multiply.outer(su, ru)
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


def _xcal_chl_dwt(cc: ConConsts, su, ru, s_avg_m, r: dict, scratch: Scratch):
    """XCAL_CHL d = f(srs, avg_l) * avg_l_lrn + f(srs, srm) * m_lrn into scratch, the same float
    operations as :func:`xcal` twice; the shared ``x < d_thr`` zeroing is applied once to the
    sum (0 * lrn + 0 is the same +0)."""
    srs, srm, bcm, tmp, (m, _), _, (thv, _), (ib, it) = scratch.block((len(su), len(ru)))
    np.multiply.outer(su, ru, out=srs)
    np.multiply.outer(s_avg_m, r["avg_m"], out=srm)
    avg_l = r["avg_l"]
    # x <= th*d_rev is xcal's not(x > th*d_rev) (both pick x*d_rev_ratio when x is NaN, and
    # th is an average or a product of averages, never NaN when learning runs)
    np.multiply(avg_l, cc.d_rev, out=thv)                   # bcm = f(srs, avg_l)
    np.less_equal(srs, thv, out=m)
    np.subtract(srs, avg_l, out=bcm)
    np.multiply(srs, cc.d_rev_ratio, out=tmp)
    np.copyto(bcm, tmp, where=m)        # (the mask is mostly True: faster than select_into here)
    np.multiply(srm, cc.d_rev, out=tmp)                     # err = f(srs, srm), into srm
    np.less_equal(srs, tmp, out=m)
    np.subtract(srs, srm, out=srm)
    np.multiply(srs, cc.d_rev_ratio, out=tmp)
    np.copyto(srm, tmp, where=m)
    if cc.set_l_lrn:
        bcm *= cc.l_lrn
    else:
        bcm *= r["avg_l_lrn"]
    if cc.m_lrn != 1:
        srm *= cc.m_lrn
    bcm += srm
    np.less(srs, cc.d_thr, out=m)
    zero_where(bcm, m, ib)
    return bcm


def accumulate_dwt(cc: ConConsts, d, dwt, dwnorm, moment, lrate_eff, mask=None,
                   scratch: Scratch | None = None) -> None:
    """dwt_norm + momentum + learning rate (leabra.md 9.5), in place on the given rows.

    ``d``, ``dwt``, ``dwnorm``, ``moment``: (k, n_recv) for the k learning senders;
    ``lrate_eff``: scalar or (n_recv,) (cur_lrate x receiving layer lrate_mod [x momentum lr_comp]).
    ``mask``: connectivity (k, n_recv) bool or None (all connected). The arrays are copies of the
    projection rows; the caller writes them back."""
    if mask is not None:
        d = np.where(mask, d, d.dtype.type(0))
    if scratch is None or scratch.size < d.size:
        scratch = Scratch(d.size, d.dtype)
    step = scratch.block(d.shape)[3]
    if cc.norm_on:
        dwnorm *= cc.norm_decay_dt_c
        np.maximum(dwnorm, np.absolute(d, out=step), out=dwnorm)
        # emergent uses norm 1 where dwnorm == 0; there d and moment are 0 too, so the step is 0
        # either way and the mask is not needed
        norm = np.maximum(dwnorm, cc.norm_min, out=step)
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
        np.copyto(step, src)
    else:
        step *= src
    step *= lrate_eff
    dwt += step
    if cc.norm_on and cc.norm_level == "SEND_CONS":
        # the shared maximum takes effect for the next trial (leabra.md 9.5)
        if mask is None:
            row_max = scratch.vec(0, d.shape[0])
            np.maximum.reduce(dwnorm, axis=1, out=row_max)
            dwnorm[...] = row_max[:, None]
        else:
            dwnorm[...] = np.where(mask, dwnorm, 0).max(axis=1, keepdims=True)
            dwnorm *= mask


def sig_into(f, gain, off, out, work64=None, tmp=None):
    """SIG of weights already within [0, 1] into ``out`` (in place, no masks): at f = 0 the ratio
    is +inf and SIG 0, at f = 1 it is 0 and SIG 1, as the bounded formula gives. ``work64``,
    ``tmp``: optional scratch for :func:`sig_power`."""
    one = f.dtype.type(1)
    with np.errstate(divide="ignore", over="ignore"):
        np.subtract(one, f, out=out)
        if off != 1:
            out *= off
        np.divide(out, f, out=out)
        sig_power(out, gain, out=out, tmp=tmp, work64=work64)
    out += one
    np.divide(one, out, out=out)
    return out


def apply_dwt(cc: ConConsts, wt, fwt, dwt, wb_inc, wb_dec, scale=1, scratch: Scratch | None = None) -> None:
    """Compute_Weights for one projection (leabra.md 9.6), in place; only synapses with dwt != 0.

    ``wt, fwt, dwt``: (n_send, n_recv); ``wb_inc, wb_dec``: (n_recv,) weight-balance factors;
    ``scratch``: optional :class:`Scratch` of at least dwt.size elements."""
    if scratch is None or scratch.size < dwt.size:
        scratch = Scratch(dwt.size, dwt.dtype)
    fac, neg, new_w, pw, (nz, m), work64, _, (ib, it) = scratch.block(dwt.shape)
    n_nz = np.count_nonzero(np.not_equal(dwt, 0, out=nz))  # (counting bools is fast, floats not)
    if n_nz == 0:
        return
    one = dwt.dtype.type(1)
    inc_one = bool(np.all(wb_inc == 1))
    dec_one = bool(np.all(wb_dec == 1))
    if cc.soft_bound:
        np.subtract(one, fwt, out=fac)                    # wb_inc * (1 - fwt) where dwt > 0
        if not inc_one:
            fac *= wb_inc
        if dec_one:                                       # wb_dec * fwt otherwise
            neg = fwt
        else:
            np.multiply(wb_dec, fwt, out=neg)
        np.less_equal(dwt, 0, out=m)      # not dwt > 0 (NaN dwt makes fac NaN either way)
        select_into(fac, m, neg, fac, ib, it)
    else:
        fac[...] = np.where(dwt > 0, wb_inc, wb_dec)
    fac *= dwt
    fac += fwt                                            # fwt + dwt * fac
    bounded = cc.wt_lo is not None and cc.wt_hi is not None and cc.wt_lo >= 0 and cc.wt_hi <= 1
    if cc.wt_lo is not None and cc.wt_hi is not None:
        np.clip(fac, cc.wt_lo, cc.wt_hi, out=fac)         # max(lo), then min(hi): one pass
    elif cc.wt_lo is not None:
        np.maximum(fac, cc.wt_lo, out=fac)
    elif cc.wt_hi is not None:
        np.minimum(fac, cc.wt_hi, out=fac)
    every = n_nz == dwt.size
    if bounded:
        # every synapse changes (the usual case): SIG straight into wt
        new_w = sig_into(fac, cc.sig_gain, cc.sig_off, wt if every and scale == 1 else new_w, work64, pw)
    else:
        new_w[...] = sig(fac, cc.sig_gain, cc.sig_off)
    if scale != 1:
        new_w *= scale
    if every:
        fwt[...] = fac
        if new_w is not wt:
            wt[...] = new_w
    else:
        np.copyto(fwt, fac, where=nz)
        np.copyto(wt, new_w, where=nz)
    dwt[...] = 0


def wt_bal_sums(wt, mask, avg_thr):
    """Per receiver (column): the sum of its weights >= ``avg_thr`` (connected ones only), added
    in connection order with one rounding per synapse, and their count."""
    use = wt >= avg_thr
    if mask is not None:
        use &= mask
    cnt = use.sum(axis=0)
    # numpy adds the rows of a C-ordered matrix one after another (and 3x faster than seq_sum),
    # but a single column pairwise
    kept = np.where(use, wt, wt.dtype.type(0))
    tot = kept.sum(axis=0, dtype=wt.dtype) if wt.shape[1] > 1 else seq_sum(kept, axis=0)
    return tot, cnt


def wt_balance(cc: ConConsts, wt, mask, wb_inc, wb_dec, act_avg, sums=None) -> None:
    """Weight-balance factors per receiving unit (leabra.md 9.7), in place on (n_recv,) arrays;
    ``sums``: (tot, cnt) of :func:`wt_bal_sums` computed elsewhere (the C kernel's threads)."""
    b = cc.wt_bal
    dt = wt.dtype.type
    tot, cnt = wt_bal_sums(wt, mask, dt(b.avg_thr)) if sums is None else sums
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
