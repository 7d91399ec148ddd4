"""Rate-code unit equations: noisy XX1, currents, threshold conductance (leabra.md 5).

This is the one implementation of emergent 8.6's closed-form NOISY_XX1 (:func:`noisy_xx1`,
evaluated by :func:`nxx1_into` into preallocated buffers, which :func:`nxx1_eval` wraps); the
native core, the tests and ``emergent_py.biophysical``'s rate-code comparison all import it from
here. The other unit formulas (:func:`inet_from_g` and its buffered, channel-stacked form
:func:`inet_into`; :func:`g_e_thr`) live here too.

All constants are converted to the working dtype once (float32 by default, emergent's
arithmetic); per-unit constants may be arrays (one value per unit) where layers differ.
"""
from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np

from ..spec.params import ActParams


def const(v, dtype):
    """A constant for per-cycle numpy calls: ``(n,)`` per-unit arrays as they are, scalars as 0-d
    arrays of ``dtype``. Same values and the same float operations as a dtype scalar, but numpy
    dispatches a 0-d array of the operand's dtype about twice as fast as a Python float or a
    numpy scalar (measured: ~1.0 vs ~2.2 us per call on 100 floats)."""
    if isinstance(v, np.ndarray) and v.ndim:
        return v
    return np.asarray(v, dtype=dtype)


@dataclass(frozen=True)
class Nxx1Consts:
    """NXX1 constants in the working dtype: scalars, or ``(n_units,)`` arrays when layers differ."""
    gain: Any
    nvar: Any
    gain_cor_range: Any
    gain_cor: Any
    sig_gain_nvar: Any
    sig_mult_eff: Any
    sig_val_at_0: Any
    interp_range: Any
    interp_val: Any
    dtype: Any

    @property
    def neg_sig_gain_nvar(self):
        return -self.sig_gain_nvar

    def prepared(self, sl: slice | None = None) -> SimpleNamespace:
        """The constants as :func:`nxx1_into` takes them: 0-d arrays of the dtype (or the ``sl``
        slice of per-unit arrays), with ``neg_sig_gain_nvar`` and ``one`` precomputed."""
        f = self.dtype
        v = {k: const(x[sl] if sl is not None and isinstance(x, np.ndarray) else x, f)
             for k, x in self.__dict__.items() if k != "dtype"}
        return SimpleNamespace(**v, neg_sig_gain_nvar=const(-v["sig_gain_nvar"], f), one=const(1, f))

    @classmethod
    def build(cls, acts: Sequence[ActParams], sizes: Sequence[int] | None = None,
              dtype=np.float32) -> "Nxx1Consts":
        """Constants for units whose ``act`` params are ``acts[i]`` for ``sizes[i]`` units each."""
        names = [f for f in cls.__dataclass_fields__ if f != "dtype"]
        vals = {}
        for name in names:
            per = [getattr(a, name) for a in acts]
            if sizes is None or all(v == per[0] for v in per):
                vals[name] = dtype(per[0])
            else:
                vals[name] = np.repeat(np.asarray(per, dtype=dtype), sizes)
        return cls(dtype=dtype, **vals)


_LIBM_EXPF: Any = None


def _libm_expf():
    """The C library's ``expf`` through ctypes (False where there is none to load)."""
    global _LIBM_EXPF
    if _LIBM_EXPF is None:
        try:
            f = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6").expf
            f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
            _LIBM_EXPF = f
        except (OSError, AttributeError):
            _LIBM_EXPF = False
    return _LIBM_EXPF


def expf_into(x: np.ndarray, out: np.ndarray, work64: np.ndarray | None = None) -> np.ndarray:
    """``exp(x)`` into ``out`` as the C library's float32 ``expf`` computes it (emergent's, and
    the C kernel's): numpy's own float32 exp differs from glibc's in the last bit on about 40%
    of inputs. Evaluated in float64 and rounded once, which is glibc's result except where the
    exact value lies within ~0.002 ulp of a rounding midpoint (glibc's expf errs by up to 0.502
    ulp) or the result is subnormal; those few (~0.5%) are recomputed by ``expf`` itself.
    ``work64``: optional float64 scratch of x's shape."""
    if x.dtype != np.float32:
        return np.exp(x, out=out)
    w = np.empty(x.shape, np.float64) if work64 is None else work64
    np.copyto(w, x)
    np.exp(w, out=w)
    libm = _libm_expf()
    redo = []
    if libm:
        # float64 -> float32 rounding is decided by the low 29 mantissa bits; midpoint = 2^28
        low = (w.view(np.uint64) & np.uint64((1 << 29) - 1)).astype(np.int64)
        near = np.abs(low - (1 << 28)) < (1 << 21)
        near |= (w < 2.0 ** -126) & (w > 0)
        redo = np.flatnonzero(near)
        xs = x.flat[redo].tolist()          # (read before out, which may be x)
    np.copyto(out, w, casting="same_kind")
    if len(redo):
        out.flat[redo] = [libm(v) for v in xs]
    return out


def nxx1_into(x: np.ndarray, c: SimpleNamespace, out: np.ndarray, work: np.ndarray,
              mask: np.ndarray, work64: np.ndarray | None = None) -> np.ndarray:
    """NOISY_XX1 of ``x`` into ``out`` with constants ``c`` (:meth:`Nxx1Consts.prepared`),
    without temporaries.

    ``x, out``: (n,) arrays of the constants' dtype; ``work``: (4, n) scratch of the dtype; ``mask``: (n,)
    bool scratch; ``work64``: optional (n,) float64 scratch for :func:`expf_into`. The three branches of leabra.md 5.4 are evaluated for every unit and selected
    with masks: ``x < 0``: sig_mult_eff / (1 + exp(-x*sig_gain_nvar)); ``0 <= x < interp_range``:
    the linear bridge; else XX1 with the gain reduced within gain_cor_range nvars of threshold.
    The corrected gain ``gain*(1 - gain_cor*max(cor, 0))`` is exactly ``gain`` where ``cor < 0``
    (``1 - gain_cor*0 == 1``), so it needs no branch. exp overflows (-> 0) far below threshold:
    call under ``np.errstate(over="ignore")``."""
    below, bridge, xm, g = work[0], work[1], work[2], work[3]
    one = c.one
    np.multiply(x, c.neg_sig_gain_nvar, out=below)            # -(x*a) == x*(-a) exactly
    expf_into(below, below, work64)
    np.add(below, one, out=below)
    np.divide(c.sig_mult_eff, below, out=below)
    np.divide(x, c.interp_range, out=bridge)
    np.multiply(bridge, c.interp_val, out=bridge)
    np.add(bridge, c.sig_val_at_0, out=bridge)
    # XX1gc(x) on max(x, interp_range) (the max only keeps the discarded lanes finite)
    np.maximum(x, c.interp_range, out=xm)
    np.divide(xm, c.nvar, out=g)                               # cor = (gcr - x/nvar)/gcr
    np.subtract(c.gain_cor_range, g, out=g)
    np.divide(g, c.gain_cor_range, out=g)
    np.maximum(g, 0, out=g)
    np.multiply(g, c.gain_cor, out=g)
    np.subtract(one, g, out=g)
    np.multiply(g, c.gain, out=g)                              # the corrected gain
    np.multiply(g, xm, out=xm)                                 # z = gain * x
    np.add(xm, one, out=out)
    np.divide(xm, out, out=out)                                # z / (z + 1)
    np.less(x, c.interp_range, out=mask)
    np.copyto(out, bridge, where=mask)
    np.less(x, 0, out=mask)
    np.copyto(out, below, where=mask)
    return out


def nxx1_eval(x: np.ndarray, c: Nxx1Consts) -> np.ndarray:
    """NOISY_XX1 of ``x`` (already in ``c.dtype``; any shape the constants broadcast to)."""
    x = np.asarray(x, dtype=c.dtype)
    out = np.empty_like(x)
    with np.errstate(over="ignore"):
        return nxx1_into(x, c.prepared(), out, np.empty((4,) + x.shape, dtype=c.dtype), np.empty(x.shape, dtype=bool))


def noisy_xx1(x: np.ndarray, act: ActParams, dtype=np.float32) -> np.ndarray:
    """emergent 8.6 NOISY_XX1 of ``x`` = (input - threshold).

    Parameters
    ----------
    x : array_like, any shape; the distance from threshold (v_m_eq - thr, or g_e - g_e_thr)
    act : the unit spec's ``act`` parameters (gain, nvar, sig_* and interp_* members)
    dtype : float32 (emergent's arithmetic, default) or float64

    Returns
    -------
    ndarray of ``dtype``, same shape as ``x``; values in [0, 1).
    """
    return nxx1_eval(np.asarray(x, dtype=dtype), Nxx1Consts.build([act], dtype=dtype))


def inet_from_g(v, g_e, g_l, g_i, e_e, e_l, e_i):
    """Net current ``g_e*(e_e - v) + g_l*(e_l - v) + g_i*(e_i - v)`` (leabra.md 5.1; g_k = 0).

    Summed left to right as emergent does; every argument a scalar or array of the working dtype.
    """
    return g_e * (e_e - v) + g_l * (e_l - v) + g_i * (e_i - v)


def inet_into(v, G, E, out, work):
    """:func:`inet_from_g` into ``out`` with the three channels stacked, the same
    operations: ``g_e*(e_e - v) + g_l*(e_l - v) + g_i*(e_i - v)`` summed left to right.

    ``G``: the conductances (g_e, g_l, g_i) and ``E`` the reversal potentials (e_e, e_l, e_i)
    stacked on axis 0, shaped to broadcast with ``v`` ((3, n) and (3, 1) for v (n,); (3, 1, n)
    and (3, 1, 1) for v (2, n)); ``work``: (3, *v.shape) scratch."""
    np.subtract(E, v, out=work)          # e_c - v for the three channels in one call
    np.multiply(G, work, out=work)       # g_c * (e_c - v)
    np.add(work[0], work[1], out=out)
    np.add(out, work[2], out=out)
    return out


def g_e_thr_consts(g_l, e_e, e_l, e_i, thr):
    """The g_i-independent parts of :func:`g_e_thr`: ``(e_i - thr, g_l*(e_l - thr), thr - e_e)``."""
    return e_i - thr, g_l * (e_l - thr), thr - e_e


def g_e_thr_from(g_i, consts):
    """:func:`g_e_thr` from :func:`g_e_thr_consts` (the same float operations, constants hoisted)."""
    c_i, c_l, c_d = consts
    return (g_i * c_i + c_l) / c_d


def g_e_thr(g_i, g_l, e_e, e_l, e_i, thr):
    """Excitatory conductance that puts v at ``thr`` given g_i and leak (leabra.md 5.3; g_k = 0):
    ``(g_i*(e_i - thr) + g_l*(e_l - thr)) / (thr - e_e)``."""
    return g_e_thr_from(g_i, g_e_thr_consts(g_l, e_e, e_l, e_i, thr))
