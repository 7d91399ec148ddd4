"""Error statistics per trial and epoch (leabra.md 11), with emergent's stat names."""
from __future__ import annotations

import numpy as np


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
    ``<Layer>_lay_sse`` etc. for every compared (target/output) layer."""
    u = net.units
    nspec = net.model.network_params.network
    row: dict = {}
    sses, coss, norms = [], [], []
    for l in net.lay_list:
        if not net.is_comp[l.index]:
            continue
        sse, cos, norm = layer_errors(u["act_m"][l.slice], u["targ"][l.slice], float(net.sse_tol[l.index]),
                                      nspec.lstats.on_errs, nspec.lstats.off_errs)
        if nspec.stats.sse_unit_avg:
            sse /= l.n
        if nspec.stats.sse_sqrt:
            sse = float(np.sqrt(sse))
        row[f"{l.name}_lay_sse"] = sse
        row[f"{l.name}_lay_cos_err"] = cos
        row[f"{l.name}_lay_norm_err"] = norm
        sses.append(sse)
        coss.append(cos)
        norms.append(norm)
    sse = float(sum(sses))
    row["sse"] = sse
    row["cnt_err"] = int(sse > nspec.stats.cnt_err_tol)
    row["cos_err"] = float(np.mean(coss)) if coss else 0.0
    row["norm_err"] = float(np.mean(norms)) if norms else 0.0
    for l in net.lay_list:
        row[f"{l.name}_cos_diff"] = float(net.lay["cos_diff"][l.index])
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
