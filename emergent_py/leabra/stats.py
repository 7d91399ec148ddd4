"""Error statistics per trial and epoch (leabra.md 11), with emergent's stat names."""
from __future__ import annotations

import numpy as np

from .sums import seq_sum


def layer_errors(act_m: np.ndarray, targ: np.ndarray, sse_tol: float, on_errs=True, off_errs=True):
    """(sse, cos_err, norm_err) of one compared layer: minus-phase act vs targ (float64 sums)."""
    a = act_m.astype(np.float64)
    t = targ.astype(np.float64)
    e = t - a
    sse = float(np.sum(np.where(np.abs(e) >= sse_tol, e * e, 0.0)))
    dot = float(np.sum(t * a))
    den = float(np.sqrt(np.sum(a * a) * np.sum(t * t)))
    cos_err = dot / den if den != 0 else dot
    errs = np.zeros(a.shape, dtype=bool)
    if on_errs:
        errs |= (a > 0.5) & (t < 0.5)
    if off_errs:
        errs |= (a < 0.5) & (t > 0.5)
    k = float(np.sum(t > 0.5))
    if on_errs and off_errs:
        k *= 2
    norm_err = min(1.0, float(errs.sum()) / k) if k > 0 else 0.0
    return sse, cos_err, norm_err


def trial_stats(net) -> dict:
    """Trial statistics after the plus phase: network sse, cnt_err (0/1), cos_err, norm_err and
    ``<Layer>_lay_sse``, ``_lay_cos_err``, ``_lay_norm_err`` and ``_lay_bin_err`` (layer sse >
    cnt_err_tol) for every compared (target/output) layer; ``<Layer>_cos_diff``,
    ``<Layer>_avg_act_diff``, ``net_cos_diff`` and ``net_avg_act_diff`` as emergent logs them.

    A ScalarVal layer (scalar_val.py) gives its own sse (of its decoded values) and
    ``<Layer>_val``, its minus-phase value; its cos_err and norm_err, which the specification
    does not describe, are NaN, and so are the network's means over layers that include it."""
    u = net.units
    nspec = net.model.network_params.network
    row: dict = {}
    sses, coss, norms = [], [], []
    svs = net.scalar_vals
    for l in net.lay_list:
        if l.name in svs:
            row[f"{l.name}_val"] = svs.value(net, l.name)
        if not net.is_comp[l.index]:
            continue
        if l.name in svs:          # (sse_unit_avg, sse_sqrt: refused with such a layer)
            sse, cos, norm = svs.sse(net, l.name, float(net.sse_tol[l.index])), np.nan, np.nan
        else:
            sse, cos, norm = layer_errors(u["act_m"][l.slice], u["targ"][l.slice], float(net.sse_tol[l.index]),
                                          nspec.lstats.on_errs, nspec.lstats.off_errs)
            if nspec.stats.sse_unit_avg:
                sse /= l.n
            if nspec.stats.sse_sqrt:
                sse = float(np.sqrt(sse))
        row[f"{l.name}_lay_sse"] = sse
        row[f"{l.name}_lay_cos_err"] = cos
        row[f"{l.name}_lay_norm_err"] = norm
        row[f"{l.name}_lay_bin_err"] = int(sse > nspec.stats.cnt_err_tol)
        sses.append(sse)
        coss.append(cos)
        norms.append(norm)
    sse = float(sum(sses))
    row["sse"] = sse
    row["cnt_err"] = int(sse > nspec.stats.cnt_err_tol)
    row["cos_err"] = float(np.mean(coss)) if coss else 0.0
    row["norm_err"] = float(np.mean(norms)) if norms else 0.0
    # emergent's bookkeeping columns (leabra.md 11): cos_diff, and avg_act_diff = the float32
    # mean over units of act_p - act_m (summed in unit order, as emergent logs it); the net_
    # versions are means over the layers that are not compared (not target/output layers)
    f = net.dtype
    net_cos, net_diff = [], []
    for l in net.lay_list:
        cos_diff = float(net.lay["cos_diff"][l.index])
        avg_act_diff = float(seq_sum(u["act_p"][l.slice] - u["act_m"][l.slice]) / f(l.n))
        row[f"{l.name}_cos_diff"] = cos_diff
        row[f"{l.name}_avg_act_diff"] = avg_act_diff
        if not net.is_comp[l.index]:
            net_cos.append(cos_diff)
            net_diff.append(avg_act_diff)
    row["net_cos_diff"] = float(np.mean(net_cos)) if net_cos else 0.0
    row["net_avg_act_diff"] = float(np.mean(net_diff)) if net_diff else 0.0
    return row


def epoch_stats(trial_rows: list[dict]) -> dict:
    """Epoch statistics from the epoch's trial rows (emergent names)."""
    n = len(trial_rows)
    sse = np.array([r["sse"] for r in trial_rows], dtype=np.float64)
    cnt = int(sum(r["cnt_err"] for r in trial_rows))
    return {
        "avg_sse": float(sse.mean()) if n else 0.0,
        "sum_sse": float(sse.sum()),
        "cnt_err": cnt,
        "pct_err": cnt / n if n else 0.0,
        "pct_cor": 1 - cnt / n if n else 0.0,
        "avg_cos_err": float(np.mean([r["cos_err"] for r in trial_rows])) if n else 0.0,
        "avg_norm_err": float(np.mean([r["norm_err"] for r in trial_rows])) if n else 0.0,
    }
