"""Initial weights (leabra.md 10.1): seeded random draws with symmetrization, or given arrays."""
from __future__ import annotations

import numpy as np

from ..errors import BackendError
from .learn import sig_inv


def draw_weights(p, rng: np.random.Generator) -> np.ndarray:
    """Effective weights of projection ``p`` drawn from its con spec's ``rnd``, shape (n_send, n_recv).

    UNIFORM: ``mean + var*2*(U - 0.5)`` with U a double in [0, 1), clipped to the weight limits;
    var 0 (or type NONE) draws nothing: every weight is ``mean``. Where the projection's pattern
    sets the weights (emergent-prjns.md 1.7), its value replaces the draw (plus the draw's
    deviation from ``mean`` with ``add_rnd_var``), clipped the same way."""
    rnd, lim = p.con.rnd, p.con.wt_limits
    shape = p.wt.shape
    if rnd.var == 0 or rnd.type == "NONE":
        w = np.full(shape, rnd.mean, dtype=np.float64)
    else:
        w = rnd.mean + rnd.var * 2.0 * (rng.random(shape) - 0.5)
    v = p.spec_values()
    if v is not None:
        set_here = ~np.isnan(v)
        v = np.where(set_here, v, 0.0)
        w = np.where(set_here, v + (w - rnd.mean) if p.spec.pattern.add_rnd_var else v, w)
    lo = lim.min if lim.type in ("GT_MIN", "MIN_MAX") else None
    hi = lim.max if lim.type in ("LT_MAX", "MIN_MAX") else None
    if lo is not None or hi is not None:
        w = np.clip(w, lo, hi)
    return w.astype(p.dtype)


def symmetrize(net) -> None:
    """Copy each projection's weights into its reciprocal (both specs sym): the one whose
    sending layer comes first in layer order wins (leabra.md 10.1 step 3)."""
    seen = set()
    for p in net.prjn_list:
        for q in net.prjn_list:
            if q is p or q.send is not p.recv or q.recv is not p.send or (q.name, p.name) in seen:
                continue
            seen.add((p.name, q.name))
            if not (p.con.wt_limits.sym and q.con.wt_limits.sym):
                continue
            first, second = (p, q) if p.send.index <= q.send.index else (q, p)
            w = first.wt.T
            both = np.ones_like(w, dtype=bool)
            if first.mask is not None:
                both &= first.mask.T
            if second.mask is not None:
                both &= second.mask
            np.copyto(second.wt, w, where=both)


def init_weights(net, weights: dict | None = None) -> None:
    """Draw or load all weights of ``net``; bias weights from ``weights['<layer>.bias']`` or 0.

    ``net.rng`` (the run's one seeded stream) draws the initial weights and then every epoch's
    trial order. A given weight is still drawn, and the draw discarded, so that the stream is
    where the plain run has it: the same seed gives the same trial orders with or without given
    weights (with the model's own initial weights, the same run bitwise)."""
    weights = dict(weights or {})
    loaded = set()
    for p in net.prjn_list:
        drawn = draw_weights(p, net.rng)
        if p.name in weights:
            w = np.asarray(weights.pop(p.name), dtype=p.dtype)
            if w.shape != (p.recv.n, p.send.n):
                raise BackendError(f"initial weights for projection '{p.name}': shape {w.shape}, "
                                   f"expected (n_recv, n_send) = {(p.recv.n, p.send.n)}")
            w = np.ascontiguousarray(w.T)
            loaded.add(p.name)
        else:
            w = drawn
        if p.mask is not None:
            w = np.where(p.mask, w, p.dtype(0))
        p.wt[...] = w
    if not loaded:       # given weights are used exactly as given
        symmetrize(net)
    for p in net.prjn_list:
        p.fwt[...] = sig_inv(p.wt, p.cc.sig_gain, p.cc.sig_off)
        if p.mask is not None:
            p.fwt *= p.mask
        p.dwt[...] = 0
        p.moment[...] = 0
        p.dwnorm[...] = 0
        p.wb_inc[...] = 1
        p.wb_dec[...] = 1
    bias = net.units["bias_wt"]
    bias[:] = 0
    for l in net.lay_list:
        key = f"{l.name}.bias"
        rnd = net.model.layer_params[l.name].bias.rnd
        random_bias = rnd.var != 0 and rnd.type != "NONE"
        draw = net.rng.random(l.n) if random_bias else None    # drawn even when given (see above)
        if key in weights:
            b = np.asarray(weights.pop(key), dtype=net.dtype).reshape(-1)
            if b.shape != (l.n,):
                raise BackendError(f"bias weights for layer '{l.name}': {b.size} values, layer has {l.n} units")
            bias[l.slice] = b
        else:
            if random_bias:
                bias[l.slice] = rnd.mean + rnd.var * 2.0 * (draw - 0.5)
            else:
                bias[l.slice] = rnd.mean
    net.units["bias_fwt"][:] = bias
    net.units["bias_dwt"][:] = 0
    if weights:
        raise BackendError(f"initial weights: unknown keys {sorted(weights)} (use projection names "
                           f"{', '.join(net.projections)} or '<layer>.bias')")
