"""Tables of many runs (seeds, sweep points) with pandas (the ``analysis`` extra).

* :func:`collect_runs`: one long-form DataFrame of every run: ``run``, the sweep point's
  values (one column per swept parameter), ``seed``, ``status``, ``epoch`` and every epoch-log
  column. A run without rows (missing, unreadable, failed before its first epoch) keeps one row
  with ``epoch`` NaN, so it is counted, never dropped.
* :func:`per_run`: one row per run: status, epochs logged, epochs to criterion, final values.
* :func:`summarize`: one row per sweep point: how many runs it has, how many are complete,
  incomplete or failed, how many reached the criterion, and for the epochs to criterion and each
  final value ``n``, ``mean``, ``std`` (ddof 1), ``sem`` (std / sqrt(n)) and ``median``.

Criterion: the first epoch whose ``column <= value`` (default ``cnt_err <= 0``); "epochs to
criterion" counts epochs done, so a run whose epoch 0 meets it took 1. Final values are the
last epoch row of **complete** runs only (an incomplete run's last row is not its result);
epochs to criterion are taken from every run that reached it, complete or not.

A run is described by a :class:`RunRecord` (its file, sweep point, seed and, for job folders,
the exit status); ``emergent_py.hpc.tables`` makes them from job folders, :func:`records_of_files`
from plain run files (the sweep point read from the file's ``sweep`` attribute).
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import RESUME_EXIT, EmergentPyError, FormatError
from .runreader import RunFile
from .table import pandas_module

#: the statistics of :func:`summarize`, in column order
STATS = ("n", "mean", "std", "sem", "median")
#: run states counted by :func:`summarize` (``status`` column)
COMPLETE, INCOMPLETE, FAILED = "complete", "incomplete", "failed"


@dataclass(frozen=True)
class RunRecord:
    """One run of a table: its run file, sweep point (``{"Layer:lay_inhib.gi": 1.8}``), seed,
    index, and the exit status its job recorded (None when unknown)."""
    path: str
    sweep: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    index: int = 0
    exit_code: int | None = None
    job: str = ""


@dataclass(frozen=True)
class Criterion:
    """``column <= value``, e.g. ``cnt_err <= 0``."""
    column: str = "cnt_err"
    value: float = 0.0

    @classmethod
    def parse(cls, text: str) -> "Criterion":
        m = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\s*<=\s*([-+0-9.eE]+)\s*", text or "")
        try:
            return cls(m[1], float(m[2])) if m else _bad_criterion(text)
        except ValueError:
            return _bad_criterion(text)

    def __str__(self) -> str:
        return f"{self.column} <= {self.value:g}"


def _bad_criterion(text: str):
    raise EmergentPyError(f"criterion {text!r}: write COLUMN<=VALUE, e.g. cnt_err<=0 or avg_sse<=0.05")


def records_of_files(paths: Sequence[str | os.PathLike]) -> list[RunRecord]:
    """Run files as records: sweep point from the file's ``sweep`` attribute (set for runs of a
    ``submit --sweep`` job), seed from its provenance. Unreadable files become failed runs."""
    out = []
    for i, p in enumerate(paths):
        sweep, seed = {}, None
        try:
            with RunFile(p) as rf:
                sweep = json.loads(rf.attrs.get("sweep") or "{}")
                seed = rf.provenance.get("seed")
        except (OSError, EmergentPyError):
            pass
        out.append(RunRecord(os.fspath(p), sweep, None if seed is None else int(seed), i))
    return out


def _status(rec: RunRecord, rf: RunFile | None) -> str:
    if rec.exit_code == RESUME_EXIT and rf is not None:
        return INCOMPLETE                       # stopped at a checkpoint, to be resumed
    if rec.exit_code not in (None, 0):
        return FAILED
    if rf is None:
        return FAILED if rec.exit_code is not None else "missing"
    return COMPLETE if rf.complete else INCOMPLETE


def collect_runs(records: Sequence[RunRecord]):
    """The long-form DataFrame of every run (module docstring). A matrix column of the epoch
    log is spread over ``name[i]`` columns (units in row-major order) so that every value has a
    cell of its own."""
    pd = pandas_module()
    keys = list(dict.fromkeys(k for r in records for k in r.sweep))
    frames = []
    for rec in records:
        rf = None
        try:
            rf = RunFile(rec.path)
        except FileNotFoundError:
            pass
        except (OSError, EmergentPyError) as e:
            note = str(e)
            rf = None
        else:
            note = ""
        head = {"run": rec.index, **{k: rec.sweep.get(k) for k in keys}, "seed": rec.seed,
                "status": _status(rec, rf), "exit_code": rec.exit_code, "file": rec.path}
        if rf is None and not note:
            note = "no run file" if not os.path.exists(rec.path) else ""
        head["note"] = note
        head["model"] = str(rf.attrs.get("model_name") or "") if rf is not None else ""
        # epochs done when each resume started (where the curves mark it), "" if never resumed
        resumed = json.loads(rf.provenance.get("resumed") or "[]") if rf is not None else []
        head["resumed_at"] = " ".join(str(r["epochs_done"]) for r in resumed if "epochs_done" in r)
        try:
            table = rf.epochs if rf is not None else None
            cols = {}
            if table is not None:
                for name, v in table.items():
                    if v.ndim == 1:
                        cols[name] = v
                    else:
                        flat = v.reshape(len(v), -1)
                        cols.update({f"{name}[{i}]": flat[:, i] for i in range(flat.shape[1])})
            n = len(table) if table is not None else 0
        finally:
            if rf is not None:
                rf.close()
        if n == 0:
            frames.append(pd.DataFrame([{**head, "epoch": np.nan}]))
        else:
            body = pd.DataFrame(cols)
            if "epoch" not in body:
                body.insert(0, "epoch", np.arange(n))
            frames.append(pd.concat([pd.DataFrame([head] * n), body], axis=1))
    if not frames:
        raise EmergentPyError("no runs to collect")
    df = pd.concat(frames, ignore_index=True)
    front = ["run", *keys, "seed", "status", "epoch"]
    return df[front + [c for c in df.columns if c not in front]]


def point_columns(long) -> list[str]:
    """The sweep-point columns of a :func:`collect_runs` table (between ``run`` and ``seed``)."""
    cols = list(long.columns)
    return cols[cols.index("run") + 1: cols.index("seed")]


def _log_columns(long) -> list[str]:
    meta = {"run", "seed", "status", "exit_code", "file", "note", "model", "resumed_at", "epoch",
            *point_columns(long)}
    return [c for c in long.columns if c not in meta and long[c].dtype.kind in "biuf"]


def per_run(long, criterion: Criterion | None = None):
    """One row per run: ``run``, its point, ``seed``, ``status``, ``epochs`` (rows logged),
    ``epochs_to_criterion`` (NaN when not reached), ``reached``, and ``final_<column>`` (the last
    epoch's value; NaN unless the run is complete)."""
    pd = pandas_module()
    crit = criterion or Criterion()
    keys = point_columns(long)
    logs = _log_columns(long)
    rows = []
    for run, g in long.groupby("run", sort=True):
        g = g[g["epoch"].notna()]
        first = long[long["run"] == run].iloc[0]
        row = {"run": run, **{k: first[k] for k in keys}, "seed": first["seed"], "status": first["status"],
               "epochs": len(g)}
        reached = g[g[crit.column] <= crit.value] if crit.column in g and len(g) else g.iloc[:0]
        row["reached"] = bool(len(reached))
        row["epochs_to_criterion"] = float(reached["epoch"].iloc[0] + 1) if len(reached) else math.nan
        last = g.iloc[-1] if len(g) and first["status"] == COMPLETE else None
        for c in logs:
            row[f"final_{c}"] = float(last[c]) if last is not None else math.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    if crit.column not in long.columns and long["epoch"].notna().any():
        raise EmergentPyError(f"criterion {crit}: the runs have no epoch column '{crit.column}' "
                              f"(have {', '.join(logs)})")
    return out


def summarize(long, criterion: Criterion | None = None):
    """One row per sweep point (module docstring). Columns: the point's values, ``n_runs``,
    ``n_complete``, ``n_incomplete``, ``n_failed`` (failed or missing), ``n_reached``, then
    ``<stat>_<n|mean|std|sem|median>`` for ``epochs_to_criterion`` and each ``final_<column>``."""
    pd = pandas_module()
    runs = per_run(long, criterion)
    keys = point_columns(long)
    values = ["epochs_to_criterion"] + [c for c in runs.columns if c.startswith("final_")]
    groups = runs.groupby(keys, sort=False, dropna=False) if keys else [((), runs)]
    rows = []
    for point, g in groups:
        point = point if isinstance(point, tuple) else (point,)
        row = dict(zip(keys, point))
        status = g["status"]
        row.update(n_runs=len(g), n_complete=int((status == COMPLETE).sum()),
                   n_incomplete=int((status == INCOMPLETE).sum()),
                   n_failed=int(status.isin([FAILED, "missing"]).sum()), n_reached=int(g["reached"].sum()))
        for v in values:
            x = g[v].dropna()
            n = len(x)
            std = float(x.std(ddof=1)) if n > 1 else math.nan
            row.update({f"{v}_n": n, f"{v}_mean": float(x.mean()) if n else math.nan, f"{v}_std": std,
                        f"{v}_sem": std / math.sqrt(n) if n > 1 else math.nan,
                        f"{v}_median": float(x.median()) if n else math.nan})
        rows.append(row)
    return pd.DataFrame(rows)


def write_tables(long, summary, out: str | os.PathLike) -> list[str]:
    """Write the long table and the summary: ``X.csv`` -> ``X.csv`` + ``X.summary.csv``;
    ``X.h5`` -> groups ``/runs`` and ``/summary``, one dataset per column (strings UTF-8), the
    column order in each group's ``columns`` attribute (pandas' own HDF5 writer needs PyTables,
    which is not a dependency). Each file is written under a temporary name and renamed."""
    from ..fileio import atomic_output
    out = os.fspath(out)
    ext = os.path.splitext(out)[1].lower()
    if ext == ".csv":
        summary_path = out[: -len(ext)] + ".summary.csv"
        for df, path in ((long, out), (summary, summary_path)):
            with atomic_output(path) as tmp:
                df.to_csv(tmp, index=False)
        return [out, summary_path]
    if ext in (".h5", ".hdf5"):
        import h5py
        with atomic_output(out) as tmp:
            with h5py.File(tmp, "w") as f:
                for name, df in (("runs", long), ("summary", summary)):
                    g = f.create_group(name)
                    g.attrs["columns"] = json.dumps([str(c) for c in df.columns])
                    for c in df.columns:
                        col = df[c]
                        if col.dtype.kind in "biuf":
                            g.create_dataset(str(c), data=col.to_numpy())
                        else:
                            g.create_dataset(str(c), data=["" if v is None or (isinstance(v, float) and math.isnan(v))
                                                           else str(v) for v in col],
                                             dtype=h5py.string_dtype())
        return [out]
    raise FormatError(f"-o {out}: write .csv (the runs table + X.summary.csv) or .h5")
