"""Learning curves from run files (matplotlib is an optional extra: ``pip install 'ldlc-emergent[plot]'``).

One row of panels per statistic (default: the epoch SSE and the percent of trials in error),
one line per run. When the runs come from more than one engine (a native run and an emergent
import), each engine gets its own column of panels, side by side with shared axes, so the two
can be compared at a glance.
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from ..errors import EmergentPyError
from ..fileio import temp_name
from .runfile import RunFile

INSTALL_HINT = "plotting needs matplotlib: pip install 'ldlc-emergent[plot]'"
#: statistic -> candidate epoch-log column names, first found is used
DEFAULT_METRICS = {"SSE": ("avg_sse", "sse", "sum_sse"), "fraction in error": ("pct_err",),
                   "trials in error": ("cnt_err",)}


class PlotUnavailable(EmergentPyError, RuntimeError):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")               # files only; never needs a display
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise PlotUnavailable(INSTALL_HINT) from e
    return plt


def save_figure(fig, out: str | os.PathLike, dpi: int = 120, tight: bool = True) -> str:
    """Save ``fig`` to ``out`` (format from the extension: .png, .svg, .pdf, ...) under a
    temporary name renamed when complete, close it; return the path. ``tight`` trims empty
    margins (the image size then follows the content, not the figure size)."""
    plt = _pyplot()
    out = os.fspath(out)
    tmp = temp_name(out)
    ext = os.path.splitext(out)[1].lstrip(".") or "png"
    try:
        fig.savefig(tmp, dpi=dpi, format=ext, bbox_inches="tight" if tight else None)
        os.replace(tmp, out)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def _resumed_at(run: RunFile) -> list[int]:
    """Epochs done when each resume of the run started (its provenance's ``resumed`` list)."""
    import json
    return [int(r["epochs_done"]) for r in json.loads(run.provenance.get("resumed") or "[]") if "epochs_done" in r]


def _run_label(run: RunFile) -> str:
    """``run.h5 (native 0.1.0)``, with the sweep point and seed when the run has them
    (``lay_inhib.gi=1.8 seed 3``), so runs of a sweep are told apart."""
    import json
    point = json.loads(run.attrs.get("sweep") or "{}")
    seed = run.provenance.get("seed")
    parts = [f"{k.rpartition(':')[2]}={v}" for k, v in point.items()] + ([f"seed {seed}"] if seed is not None else [])
    return run.label + (": " + " ".join(parts) if point else "")


def _column(run: RunFile, candidates: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in run.epochs), None)


def plot_runs(paths: Sequence[str | os.PathLike], out: str | os.PathLike, metrics: Sequence[str] | None = None,
              title: str | None = None, labels: Sequence[str] | None = None, dpi: int = 120) -> str:
    """Draw learning curves of one or more run files into an image file.

    Parameters
    ----------
    paths : run files
    out : image file (``.png``, ``.pdf``, ``.svg``, ... by extension)
    metrics : epoch-log columns to plot (default: SSE ``avg_sse``/``sse`` and ``pct_err``;
        ``cnt_err`` when ``pct_err`` is missing)
    title : figure title (default: the model name(s))
    labels : legend labels per run (default: file name and engine)

    Returns
    -------
    The output path.
    """
    plt = _pyplot()
    runs = [RunFile(p) for p in paths]
    try:
        if labels is not None and len(labels) != len(runs):
            raise ValueError(f"{len(labels)} labels for {len(runs)} runs")
        if metrics:
            rows = [(m, (m,)) for m in metrics]
            for m in metrics:
                if not any(m in r.epochs for r in runs):
                    raise KeyError(f"no run has an epoch column '{m}'")
        else:
            rows = [(name, cands) for name, cands in DEFAULT_METRICS.items()
                    if any(_column(r, cands) for r in runs)]
            if any(n == "fraction in error" for n, _ in rows):
                rows = [r for r in rows if r[0] != "trials in error"]
            if not rows:
                raise KeyError("the runs have none of the epoch columns avg_sse, sse, pct_err, cnt_err; "
                               "name columns with --metric")
        engines = list(dict.fromkeys(r.engine for r in runs))
        fig, axes = plt.subplots(len(rows), len(engines), squeeze=False, sharex=True, sharey="row",
                                 figsize=(5.5 * len(engines), 2.8 * len(rows) + 0.6))
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        resumed_labelled = [False] * len(engines)
        for i, run in enumerate(runs):
            col = engines.index(run.engine)
            label = labels[i] if labels else _run_label(run)
            epochs = run.epochs
            x = epochs["epoch"] if "epoch" in epochs else np.arange(len(epochs))
            for row, (name, cands) in enumerate(rows):
                ax = axes[row][col]
                c = _column(run, cands)
                if c is None or not len(epochs):
                    continue
                style = "-" if run.complete else "--"
                ax.plot(x, epochs[c], style, marker="o" if len(x) <= 30 else None, ms=3, lw=1.5,
                        color=colors[i % len(colors)], label=label + ("" if run.complete else " [incomplete]"))
                for k in _resumed_at(run):             # the first epoch row the resumed run wrote
                    if k < len(x):
                        ax.plot([x[k]], [epochs[c][k]], marker="|", ms=12, mew=1.5, color="black", ls="none",
                                label="resumed here" if not resumed_labelled[col] and row == 0 else None)
                        resumed_labelled[col] = resumed_labelled[col] or row == 0
                ax.set_ylabel(c if metrics else f"{name} ({c})")
                ax.grid(True, alpha=0.3)
        from matplotlib.ticker import MaxNLocator
        for row in range(len(rows)):                 # y from 0 (errors are >= 0), headroom on top
            lo, hi = axes[row][0].get_ylim()
            lo = min(lo, 0.0) if lo < 0 else 0.0
            axes[row][0].set_ylim(lo, hi + 0.05 * (hi - lo))
        for ax in axes.ravel():
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for col, engine in enumerate(engines):
            if len(engines) > 1:                     # (one engine: the figure title alone)
                axes[0][col].set_title(f"{engine} engine")
            axes[-1][col].set_xlabel("epoch")
            axes[0][col].legend(fontsize=8, loc="best")
        names = list(dict.fromkeys(str(r.attrs.get("model_name") or "") for r in runs if r.attrs.get("model_name")))
        fig.suptitle(title or ("learning curves of " + ", ".join(names) if names else "learning curves"))
        fig.tight_layout()
        return save_figure(fig, out, dpi, tight=False)        # the figure size as laid out
    finally:
        for r in runs:
            r.close()
