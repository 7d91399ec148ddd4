"""Compare two runs column by column: max abs / rel difference, first row over tolerance, verdict.

Rows are matched by their position keys (``epoch``; ``epoch, trial``; ``epoch, trial, cycle``),
so a native run and an emergent import line up even when one has extra rows. A value is within
tolerance when ``|a - b| <= atol + rtol * |b|`` (numpy's ``isclose``; NaN equals NaN); string
columns must be equal. Rows present in only one run count as a failure, and so do shared
columns whose cells differ in number; matrix cells of one size in two geometries (emergent's
``(1, 4)`` for a 4x1 layer, the native core's flat ``(4,)``) are compared unit by unit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .runfile import LEVELS, RunFile
from .table import Table

KEYS = {"epoch": ("batch", "epoch"), "trial": ("batch", "epoch", "trial"),
        "cycle": ("batch", "epoch", "trial", "cycle")}
#: wall-clock columns that never reproduce (compared only when named with ``columns=``)
TIMING = ("epoch_time_tot", "epoch_time_usr", "epoch_time", "time_tot", "time_usr", "wall_time")


@dataclass
class ColumnDiff:
    """The comparison of one shared column."""
    name: str
    n: int                              # values compared (rows x cells)
    max_abs: float = 0.0
    max_rel: float = 0.0
    first_bad: dict | None = None       # position keys of the first row over tolerance
    n_bad: int = 0                      # rows over tolerance
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.n_bad == 0 and not self.note


@dataclass
class Comparison:
    """Result of :func:`compare_runs`."""
    a: str
    b: str
    level: str
    atol: float
    rtol: float
    keys: tuple[str, ...]
    n_a: int
    n_b: int
    n_shared: int
    columns: list[ColumnDiff] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unmatched_a: list[dict] = field(default_factory=list)
    unmatched_b: list[dict] = field(default_factory=list)
    weights: list[ColumnDiff] = field(default_factory=list)    # with compare_runs(weights=True)
    weight_note: str = ""
    shared_rows_only: bool = False      # rows found in one run only are reported, not failed

    @property
    def rows_match(self) -> bool:
        return self.shared_rows_only or (not self.unmatched_a and not self.unmatched_b)

    @property
    def ok(self) -> bool:
        return (self.rows_match and all(c.ok for c in self.columns + self.weights) and self.n_shared > 0
                and not self.weight_note)

    def report(self) -> str:
        """A plain-text report (what ``emergent-py compare`` prints)."""
        out = [f"compare {self.a}", f"   vs   {self.b}",
               f"level {self.level}, rows matched by ({', '.join(self.keys)}), atol {self.atol:g}, "
               f"rtol {self.rtol:g}",
               f"rows: {self.n_shared} shared (A {self.n_a}, B {self.n_b})"]
        for side, rows in (("A", self.unmatched_a), ("B", self.unmatched_b)):
            if rows:
                show = ", ".join(_pos(r) for r in rows[:5]) + (" ..." if len(rows) > 5 else "")
                out.append(f"  only in {side}: {len(rows)} rows ({show})"
                           + (" [not compared: --shared-rows-only]" if self.shared_rows_only else ""))
        for title, unit, diffs in (("column", "rows>tol", self.columns), ("weights", "vals>tol", self.weights)):
            if not diffs:
                continue
            w = max(12, *(len(c.name) for c in diffs))
            out.append("")
            out.append(f"{title:<{w}}  {'max_abs':>10}  {'max_rel':>10}  {unit:>8}  "
                       f"{'first over tolerance':<28}  verdict")
            for c in diffs:
                first = _pos(c.first_bad) if c.first_bad else "-"
                verdict = "ok" if c.ok else ("DIFF" if not c.note else c.note)
                out.append(f"{c.name:<{w}}  {c.max_abs:>10.3g}  {c.max_rel:>10.3g}  {c.n_bad:>8}  "
                           f"{first:<28}  {verdict}")
        if self.weight_note:
            out.append(f"weights: {self.weight_note}")
        for label, names in (("only in A", self.only_a), ("only in B", self.only_b),
                             ("not compared (wall-clock)", self.skipped)):
            if names:
                out.append(f"{label}: {', '.join(names)}")
        bad = [c.name for c in self.columns + self.weights if not c.ok]
        out.append("")
        if self.n_shared == 0:
            out.append("verdict: FAIL (no shared rows to compare)")
        elif self.ok:
            out.append(f"verdict: PASS ({len(self.columns)} columns within tolerance over {self.n_shared} rows)")
        else:
            why = []
            if bad:
                n = len(self.columns) + len(self.weights)
                why.append(f"{len(bad)} of {n} {'columns' if not self.weights else 'columns/weights'} exceed "
                           f"tolerance: {', '.join(bad[:8])}" + (" ..." if len(bad) > 8 else ""))
            if self.weight_note:
                why.append(self.weight_note)
            if not self.rows_match:
                why.append("row sets differ")
            out.append("verdict: FAIL (" + "; ".join(why) + ")")
        return "\n".join(out)


def _pos(keys: dict) -> str:
    return " ".join(f"{k} {v}" for k, v in keys.items())


def _key_rows(t: Table, keys: tuple[str, ...]) -> list[tuple]:
    return list(zip(*(t[k].tolist() for k in keys))) if keys else [(i,) for i in range(len(t))]


def compare_tables(a: Table, b: Table, level: str = "epoch", atol: float = 1e-6, rtol: float = 1e-5,
                   columns: list[str] | None = None, ignore: list[str] | None = None,
                   names: tuple[str, str] = ("A", "B"), shared_rows_only: bool = False) -> Comparison:
    """Compare two log tables of the same level (see module docs for the rules);
    ``shared_rows_only`` reports rows found in one table only without failing."""
    keys = tuple(k for k in KEYS[level] if k in a and k in b)
    if level != "epoch" and "epoch" not in keys:
        keys = ()                                     # no position keys: match rows by order
    rows_a, rows_b = _key_rows(a, keys), _key_rows(b, keys)
    index_b = {}
    for i, k in enumerate(rows_b):
        index_b.setdefault(k, i)
    index_a = set(rows_a)
    pairs = [(i, index_b[k]) for i, k in enumerate(rows_a) if k in index_b]
    ia = np.array([p[0] for p in pairs], dtype=np.int64)
    ib = np.array([p[1] for p in pairs], dtype=np.int64)
    keynames = keys or ("row",)
    cmp = Comparison(names[0], names[1], level, atol, rtol, keynames, len(a), len(b), len(pairs),
                     shared_rows_only=shared_rows_only)
    cmp.unmatched_a = [dict(zip(keynames, k)) for k in rows_a if k not in index_b]
    cmp.unmatched_b = [dict(zip(keynames, k)) for k in rows_b if k not in index_a]
    shared = [c for c in a.columns if c in b and c not in keys]
    if columns:
        missing = [c for c in columns if c not in shared]
        if missing:
            raise KeyError(f"columns not in both runs (or used as row keys): {', '.join(missing)}")
        shared = [c for c in shared if c in columns]
    else:
        cmp.skipped = [c for c in shared if c in TIMING]
        shared = [c for c in shared if c not in TIMING]
    shared = [c for c in shared if c not in (ignore or ())]
    cmp.only_a = [c for c in a.columns if c not in b]
    cmp.only_b = [c for c in b.columns if c not in a]
    for name in shared:
        va, vb = a[name][ia], b[name][ib]
        diff = ColumnDiff(name, int(va.size))
        if va.shape[1:] != vb.shape[1:]:
            if int(np.prod(va.shape[1:])) != int(np.prod(vb.shape[1:])):
                diff.note = f"shape {va.shape[1:]} vs {vb.shape[1:]}"
                cmp.columns.append(diff)
                continue
            # the same cells in another geometry: emergent logs a layer's units in its geometry
            # ((1, 4) for 4x1), the native core flat ((4,)); both list the units in unit order
            va, vb = va.reshape(len(pairs), -1), vb.reshape(len(pairs), -1)
        if va.dtype.kind in "USO" or vb.dtype.kind in "USO":
            bad_rows = (va.astype(str) != vb.astype(str)).reshape(len(pairs), -1).any(axis=1)
        else:
            over = _numeric_diff(diff, va, vb, atol, rtol)
            bad_rows = over.reshape(len(pairs), -1).any(axis=1)
        diff.n_bad = int(bad_rows.sum())
        if diff.n_bad:
            first = int(np.argmax(bad_rows))
            diff.first_bad = dict(zip(keynames, rows_a[ia[first]]))
        cmp.columns.append(diff)
    return cmp


def _numeric_diff(diff: ColumnDiff, va: np.ndarray, vb: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """Fill ``diff.max_abs``/``max_rel``; return the bool mask of values over tolerance."""
    fa, fb = va.astype(np.float64), vb.astype(np.float64)
    both_nan = np.isnan(fa) & np.isnan(fb)
    absd = np.where(both_nan, 0.0, np.abs(fa - fb))
    absd = np.where(np.isnan(absd), np.inf, absd)
    scale = np.maximum(np.abs(fa), np.abs(fb))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(absd == 0, 0.0, absd / scale)
    if absd.size:
        diff.max_abs, diff.max_rel = float(absd.max()), float(rel.max())
    return absd > atol + rtol * np.abs(np.where(np.isnan(fb), 0.0, fb))


def compare_weights(a: RunFile, b: RunFile, atol: float, rtol: float) -> tuple[list[ColumnDiff], str]:
    """Weight snapshots at the epochs both runs saved: one entry per projection (and bias
    layer) and epoch; ``first_bad`` gives the first (recv, send) unit index over tolerance."""
    epochs = sorted(set(a.weight_epochs) & set(b.weight_epochs))
    if not epochs:
        return [], (f"no weight snapshot at a common epoch (A: {a.weight_epochs or 'none'}, "
                    f"B: {b.weight_epochs or 'none'})")
    out: list[ColumnDiff] = []
    notes = []
    for epoch in epochs:
        for kind, wa, wb in (("", a.weights(epoch), b.weights(epoch)), ("bias ", a.biases(epoch), b.biases(epoch))):
            for name in [n for n in wa if n in wb]:
                diff = ColumnDiff(f"{kind}{name} @{epoch}", int(wa[name].size))
                if wa[name].shape != wb[name].shape:
                    diff.note = f"shape {wa[name].shape} vs {wb[name].shape}"
                else:
                    over = _numeric_diff(diff, wa[name], wb[name], atol, rtol)
                    diff.n_bad = int(over.sum())
                    if diff.n_bad:
                        idx = np.unravel_index(int(np.argmax(over)), over.shape)
                        diff.first_bad = dict(zip(("recv", "send") if not kind else ("unit",), map(int, idx)))
                out.append(diff)
            only = sorted(set(wa) ^ set(wb))
            if only and not kind:
                notes.append(f"epoch {epoch}: projections in one run only: {', '.join(only)}")
    return out, "; ".join(notes)


def compare_runs(a: RunFile, b: RunFile, level: str = "epoch", atol: float = 1e-6, rtol: float = 1e-5,
                 columns: list[str] | None = None, ignore: list[str] | None = None,
                 weights: bool = False, shared_rows_only: bool = False) -> Comparison:
    """Compare the ``level`` logs of two run files (native or emergent imports alike), and with
    ``weights=True`` also their weight snapshots at the epochs both saved."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r}; expected one of {', '.join(LEVELS)}")
    cmp = compare_tables(a.table(level), b.table(level), level, atol, rtol, columns, ignore,
                         names=(f"{a.path} ({a.engine_label})", f"{b.path} ({b.engine_label})"),
                         shared_rows_only=shared_rows_only)
    if weights:
        cmp.weights, cmp.weight_note = compare_weights(a, b, atol, rtol)
    return cmp
