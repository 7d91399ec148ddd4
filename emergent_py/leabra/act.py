"""Rate-code activation: the noisy XX1 function (leabra.md 5.4).

This is the one implementation of emergent 8.6's closed-form NOISY_XX1; the native core, the
tests and ``emergent_py.biophysical``'s rate-code comparison all import it from here.
"""
from __future__ import annotations

import numpy as np

from ..spec.params import ActParams


def xx1(z: np.ndarray) -> np.ndarray:
    """X/(X+1) rate function."""
    return z / (z + 1)


def xx1_gain_cor(x: np.ndarray, act: ActParams, dtype=np.float32) -> np.ndarray:
    """XX1 with the gain reduced by up to ``gain_cor`` within ``gain_cor_range`` nvars of threshold."""
    x = np.asarray(x, dtype=dtype)
    gain, nvar = dtype(act.gain), dtype(act.nvar)
    rng, cor = dtype(act.gain_cor_range), dtype(act.gain_cor)
    c = (rng - x / nvar) / rng
    g = np.where(c < 0, gain, gain * (dtype(1) - cor * c))
    return xx1(g * x)


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
    x = np.asarray(x, dtype=dtype)
    sig_mult_eff = dtype(act.sig_mult_eff)
    sig_val_at_0 = dtype(act.sig_val_at_0)
    interp_range = dtype(act.interp_range)
    with np.errstate(over="ignore"):
        below = sig_mult_eff / (dtype(1) + np.exp(-x * dtype(act.sig_gain_nvar)))
    bridge = sig_val_at_0 + (x / interp_range) * dtype(act.interp_val)
    above = xx1_gain_cor(np.maximum(x, interp_range), act, dtype)
    return np.where(x < 0, below, np.where(x < interp_range, bridge, above)).astype(dtype, copy=False)
