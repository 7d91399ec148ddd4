"""Figures of many runs and of two engines (matplotlib: the ``plot`` extra; tables: pandas).

* :func:`learning_curves`: runs grouped by sweep point; per point a mean line with a band
  (``std``: +-1 standard deviation across runs, or ``ci95``: the 95% confidence interval of the
  mean, Student t), the seeds as thin lines behind it, legend labels from the sweep values.
* :func:`sweep_summary`: parameter value vs epochs to criterion and vs a final value, with
  every run as a point and the mean +- std.
* :func:`engine_overlay`: one column of two runs (native and emergent) on one axis, their
  |difference| below on a log scale, the first row over tolerance (``compare``'s first
  divergence) marked.

Every figure has one title, axis labels in words with units, no markers on long curves, and
marks where a resumed run continued. The input of the first two is the long-form table of
:func:`emergent_py.results.analysis.collect_runs`.
"""
from __future__ import annotations

import math
import os
import warnings
from typing import Sequence

import numpy as np

from ..errors import EmergentPyError
from .analysis import COMPLETE, Criterion, per_run, point_columns
from .plot import _pyplot, save_figure

#: column -> axis label in words (with the unit); other columns are labelled by their name
AXIS_LABELS = {
    "avg_sse": "SSE per trial (sum of squared errors, mean over the epoch)",
    "sum_sse": "SSE per epoch (sum of squared errors)",
    "sse": "SSE (sum of squared errors)",
    "cnt_err": "trials in error (count per epoch)",
    "pct_err": "fraction of trials in error",
    "pct_cor": "fraction of trials correct",
    "avg_cos_err": "cosine of output and target (mean per trial)",
    "avg_norm_err": "normalized error (mean per trial)",
    "epoch_time_tot": "time per epoch (s)",
    "epochs_to_criterion": "epochs to criterion",
}
BANDS = ("std", "ci95")
# two-sided 95% Student t quantiles for 1..30 degrees of freedom (no scipy needed); 1.96 beyond
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042)


def axis_label(column: str) -> str:
    return AXIS_LABELS.get(column, column)


def t95(df: int) -> float:
    """The two-sided 95% quantile of Student's t with ``df`` degrees of freedom (NaN for 0)."""
    return math.nan if df < 1 else (_T95[df - 1] if df <= len(_T95) else 1.96)


def param_name(key: str) -> str:
    """``Layer:lay_inhib.gi`` -> ``lay_inhib.gi`` (type selectors left out, others kept)."""
    sel, _, path = str(key).rpartition(":")
    return path if sel in ("Layer", "Prjn", "Network", "") else str(key)


def point_label(keys: Sequence[str], values: Sequence) -> str:
    """``lay_inhib.gi=1.8`` (a ``Layer``/``Prjn``/``Network`` selector is left out; others kept:
    ``#Output:lay_inhib.gi=1.4``); several parameters joined by ``, ``; "all runs" for none."""
    parts = [f"{param_name(k)}={v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool)
             else f"{param_name(k)}={v}" for k, v in zip(keys, values)]
    return ", ".join(parts) or "all runs"


def _points(long):
    keys = point_columns(long)
    if not keys:
        return keys, [((), long)]
    return keys, [((p if isinstance(p, tuple) else (p,)), g)
                  for p, g in long.groupby(keys, sort=True, dropna=False)]


def _run_curves(g, metric: str):
    """Per run of a point: (epochs, values, complete, resumed epochs)."""
    out = []
    for _, r in g[g["epoch"].notna()].groupby("run", sort=True):
        resumed = [int(x) for x in str(r["resumed_at"].iloc[0] or "").split()] if "resumed_at" in r else []
        out.append((r["epoch"].to_numpy(float), r[metric].to_numpy(float), r["status"].iloc[0] == COMPLETE,
                    resumed))
    return out


def _mean_band(curves, band: str):
    """Mean and band over the runs at each epoch; a complete run that stopped early (it met its
    stop criterion) counts at its last value after it stopped; an incomplete run only where it
    has rows. Returns epochs, mean, lo, hi, n."""
    if not curves:
        return (np.empty(0),) * 5
    last = int(max(c[0].max() for c in curves if len(c[0])))
    epochs = np.arange(last + 1, dtype=float)
    grid = np.full((len(curves), len(epochs)), np.nan)
    for i, (x, y, complete, _) in enumerate(curves):
        grid[i, x.astype(int)] = y
        if complete and len(x):
            grid[i, int(x.max()) + 1:] = y[-1]
    n = np.sum(~np.isnan(grid), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)        # epochs without any run: NaN
        mean = np.nanmean(grid, axis=0)
        std = np.array([np.std(col[~np.isnan(col)], ddof=1) if k > 1 else np.nan for col, k in zip(grid.T, n)])
        half = std if band == "std" else std / np.sqrt(n) * np.array([t95(int(k) - 1) for k in n])
    return epochs, mean, mean - half, mean + half, n


def _band_text(band: str) -> str:
    return "band: +-1 std across runs" if band == "std" else "band: 95% CI of the mean (Student t)"


def learning_curves(long, out: str | os.PathLike, metric: str = "avg_sse", band: str = "std",
                    title: str | None = None, dpi: int = 120) -> str:
    """Learning curves grouped by sweep point (module docstring); returns the output path."""
    if band not in BANDS:
        raise EmergentPyError(f"band {band!r}: use one of {', '.join(BANDS)}")
    if metric not in long.columns:
        raise EmergentPyError(f"no epoch column '{metric}' in the runs")
    plt = _pyplot()
    keys, points = _points(long)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    resumed_drawn = early = False
    for i, (values, g) in enumerate(points):
        color = colors[i % len(colors)]
        curves = _run_curves(g, metric)
        for x, y, complete, resumed in curves:
            ax.plot(x, y, "-" if complete else "--", color=color, lw=0.7, alpha=0.35, zorder=1)
            for e in resumed:                  # epochs done when resumed: the next row is epoch e
                if e < len(x):
                    ax.plot([x[e]], [y[e]], marker="|", ms=12, mew=1.5, color="black", zorder=4,
                            ls="none", label=None if resumed_drawn else "resumed here")
                    resumed_drawn = True
            early |= complete and len(x) and x.max() < max(c[0].max() for c in curves)
        epochs, mean, lo, hi, n = _mean_band(curves, band)
        n_runs = g["run"].nunique()
        n_incomplete = int((g.drop_duplicates("run")["status"] != COMPLETE).sum())
        label = f"{point_label(keys, values)}: mean of {n_runs} runs" + \
            (f" ({n_incomplete} not complete, dashed)" if n_incomplete else "")
        ax.plot(epochs, mean, "-", color=color, lw=2.2, zorder=3, label=label)
        ax.fill_between(epochs, lo, hi, color=color, alpha=0.18, lw=0, zorder=2)
    ax.fill_between([], [], [], color="gray", alpha=0.3, lw=0, label=_band_text(band))
    ax.plot([], [], "-", color="gray", lw=0.7, alpha=0.6, label="one run (seed)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(axis_label(metric))
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    if early:
        ax.text(0.01, 0.01, "runs that stopped at their criterion count at their last value",
                transform=ax.transAxes, fontsize=7, color="0.35", va="bottom")
    models = sorted({str(m) for m in long["model"] if m}) if "model" in long else []
    ax.set_title(title or f"learning curves{' of ' + ', '.join(models) if models else ''}: "
                          f"{axis_label(metric).split(' (')[0]} by sweep point")
    fig.tight_layout()
    return save_figure(fig, out, dpi)


def sweep_summary(long, out: str | os.PathLike, criterion: Criterion | None = None,
                  final: str = "avg_sse", title: str | None = None, dpi: int = 120) -> str:
    """Sweep point vs epochs to criterion (left) and vs the final ``final`` value (right): every
    run a point (runs that never reached the criterion drawn as x above the others), the mean
    +- std as a bar. One swept parameter gives a numeric axis; several, one tick per point."""
    crit = criterion or Criterion()
    plt = _pyplot()
    runs = per_run(long, crit)
    keys = point_columns(long)
    if f"final_{final}" not in runs:
        raise EmergentPyError(f"no epoch column '{final}' in the runs")
    pts = [((p[0] if isinstance(p, tuple) and len(p) == 1 else p), g)
           for p, g in runs.groupby(keys, sort=True, dropna=False)] if keys else [((), runs)]
    numeric = len(keys) == 1 and all(isinstance(p, (int, float)) and not isinstance(p, bool) for p, _ in pts)
    xs = [float(p) for p, _ in pts] if numeric else list(range(len(pts)))
    spread = (max(xs) - min(xs)) if len(xs) > 1 else 1.0
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    rng = np.random.default_rng(0)               # jitter only, for overlapping points
    for ax, col, ylabel in ((axes[0], "epochs_to_criterion", f"epochs to criterion ({crit})"),
                            (axes[1], f"final_{final}", f"final {axis_label(final).split(' (')[0]}")):
        top = np.nanmax(runs[col].to_numpy(float)) if runs[col].notna().any() else 1.0
        for x, (_, g) in zip(xs, pts):
            y = g[col].to_numpy(float)
            jit = rng.uniform(-0.02, 0.02, len(y)) * spread
            ok = ~np.isnan(y)
            ax.plot(x + jit[ok], y[ok], "o", ms=4, color="C0", alpha=0.6, ls="none")
            if col == "epochs_to_criterion" and (~ok).any():
                ax.plot(x + jit[~ok], np.full((~ok).sum(), top * 1.08), "x", ms=6, color="C3", ls="none")
                ax.annotate(f"{int((~ok).sum())} of {len(y)}", (x, top * 1.08), xytext=(0, 7),
                            textcoords="offset points", ha="center", fontsize=7, color="C3")
            if ok.any():
                m, s = y[ok].mean(), (y[ok].std(ddof=1) if ok.sum() > 1 else 0.0)
                ax.errorbar([x], [m], yerr=[s], fmt="_", ms=18, mew=2.5, color="black", capsize=5, zorder=3)
        ax.plot([], [], "o", color="C0", alpha=0.6, ls="none", label="one run (seed)")
        ax.errorbar([], [], yerr=[], fmt="_", color="black", capsize=5, label="mean +- std")
        if col == "epochs_to_criterion" and runs[col].isna().any():
            ax.plot([], [], "x", color="C3", ls="none", label="did not reach the criterion")
        ax.set_ylabel(ylabel)
        ax.set_xlabel(param_name(keys[0]) if numeric else "sweep point")
        if not numeric:
            ax.set_xticks(xs, [point_label(keys, p if isinstance(p, tuple) else (p,)) for p, _ in pts],
                          rotation=20, ha="right", fontsize=8)
        else:
            ax.set_xticks(xs)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    n = runs.groupby(keys).size() if keys else [len(runs)]
    fig.suptitle(title or f"sweep summary: {len(runs)} runs, {min(n)}-{max(n)} per point"
                 if min(n) != max(n) else title or f"sweep summary: {len(runs)} runs, {min(n)} per point")
    fig.tight_layout()
    return save_figure(fig, out, dpi)


def engine_overlay(a, b, out: str | os.PathLike, column: str, level: str = "trial",
                   atol: float = 1e-6, rtol: float = 1e-5, title: str | None = None, dpi: int = 120) -> str:
    """Two runs' ``column`` on one axis (rows matched by position as ``compare`` matches them),
    ``|a - b|`` below on a log scale (exact agreement drawn at the bottom edge and counted), and
    the first row over ``atol + rtol * |b|`` (``compare``'s first divergence) marked on both."""
    from .compare import KEYS, compare_tables
    from .runreader import RunFile
    plt = _pyplot()
    ra, rb = (x if isinstance(x, RunFile) else RunFile(x) for x in (a, b))
    try:
        ta, tb = ra.table(level), rb.table(level)
        for t, r in ((ta, ra), (tb, rb)):
            if column not in t:
                raise EmergentPyError(f"{r.path}: no {level} column '{column}'")
        cmp = compare_tables(ta, tb, level, atol, rtol, columns=[column])
        keys = [k for k in KEYS[level] if k in ta and k in tb and k != "batch"]
        index_b = {tuple(tb[k][i] for k in keys): i for i in range(len(tb))}
        pairs = [(i, index_b[key]) for i in range(len(ta))
                 if (key := tuple(ta[k][i] for k in keys)) in index_b]
        ia = np.array([p[0] for p in pairs], dtype=int)
        ib = np.array([p[1] for p in pairs], dtype=int)
        va, vb = ta[column][ia].astype(float), tb[column][ib].astype(float)
        x = np.arange(len(pairs))
        fig, (top, bot) = plt.subplots(2, 1, sharex=True, figsize=(8, 5.6), height_ratios=(3, 2))
        top.plot(x, va, "-", lw=1.6, color="C0", label=ra.label)
        top.plot(x, vb, "--", lw=1.2, color="C1", label=rb.label)
        diff = np.abs(va - vb)
        exact = diff == 0
        nonzero = diff[~exact & ~np.isnan(diff)]
        floor = nonzero.min() / 10 if nonzero.size else 1e-12
        bot.semilogy(x, np.where(exact, floor, diff), "-", lw=1.0, color="C2", label="|difference|")
        if exact.any():
            bot.plot(x[exact], np.full(exact.sum(), floor), "_", color="0.5", ls="none",
                     label=f"exactly equal ({int(exact.sum())} of {len(x)} rows)")
        tol = atol + rtol * np.abs(vb)
        if np.any(tol > 0):
            bot.semilogy(x, np.where(tol > 0, tol, np.nan), ":", color="0.3", lw=1.0,
                         label=f"tolerance: atol {atol:g} + rtol {rtol:g} x |{rb.engine} value|")
        diffcol = cmp.columns[0]
        if diffcol.first_bad:
            pos = tuple(diffcol.first_bad[k] for k in cmp.keys if k != "batch")
            where = [i for i in range(len(ia)) if tuple(ta[k][ia[i]] for k in keys) == pos]
            if where:
                for ax in (top, bot):
                    ax.axvline(where[0], color="C3", lw=1.2,
                               label="first divergence: " + ", ".join(f"{k} {v}" for k, v in diffcol.first_bad.items()
                                                                     if k != "batch") if ax is top else None)
        elif len(x):
            top.plot([], [], " ", label=f"no row over tolerance ({len(x)} rows)")
        if level != "epoch" and "epoch" in keys:          # light lines at epoch boundaries
            ep = ta["epoch"][ia]
            for i in np.flatnonzero(np.diff(ep) != 0) + 1:
                for ax in (top, bot):
                    ax.axvline(i - 0.5, color="0.85", lw=0.6, zorder=0)
        top.set_ylabel(axis_label(column))
        bot.set_ylabel(f"|difference| of {column} (log scale)")
        bot.set_xlabel(f"{level} (in order, across epochs)" if level != "epoch" else "epoch")
        top.legend(fontsize=8, loc="best")
        bot.legend(fontsize=7, loc="best")
        for ax in (top, bot):
            ax.grid(True, alpha=0.3)
        top.set_title(title or f"{column}: {ra.engine} vs {rb.engine}, {len(x)} {level}s; "
                               f"max |difference| {diffcol.max_abs:.3g}")
        fig.tight_layout()
        return save_figure(fig, out, dpi)
    finally:
        for r, given in ((ra, a), (rb, b)):
            if r is not given:
                r.close()
