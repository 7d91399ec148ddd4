"""Write a run file: :class:`RunWriter` and its helpers (the file skeleton, appending log rows,
weight snapshots, checkpoints, the repack that compresses the logs on close).

Crash safety: trial and cycle rows are buffered in memory; :meth:`RunWriter.append_epoch`
writes them with the epoch row, updates ``n_rows`` and flushes. Between those calls the HDF5
library is not touched, so a process killed (even SIGKILL) at any other moment leaves the file
exactly as of the last flush: it opens, holds every completed epoch, and says ``complete=False``
(``status="running"``: the writer never closed it). Readers use ``n_rows``, so a kill inside the
short write window cannot expose half-appended rows either.

The log columns stay uncompressed while a run appends to them: a compressed chunk moves when it
is rewritten, so a kill during an append could damage rows that were already complete.
:meth:`RunWriter.close` rewrites them compressed (:func:`_repack`), and resuming a run first
rewrites them uncompressed again (docs/runfile.md).

Modes are h5py's letters: ``w-``/``x`` create (fail if the file exists; the default), ``w``
truncate, ``a`` / ``r+`` continue an existing run (resume; the stored model must match).
"""
from __future__ import annotations

import json
import math
import os
import shlex
import sys
from typing import Any, Iterable, Mapping

import numpy as np

from ..errors import FormatError
from ..fileio import temp_name
from . import provenance as _prov
from .runlayout import LEVELS, SCHEMA, SCHEMA_VERSION, _check_schema, _h5py, _open, _str_dtype
from .state import overwrite_tree, write_tree

WRITE_MODES = ("w", "w-", "x", "a", "r+")
_MISSING = object()      # a row without a value for a column


def _column_dtype(name: str, value: Any) -> tuple[np.dtype, tuple[int, ...]]:
    """(dtype, cell shape) of a new column from its first value."""
    if isinstance(value, (str, np.str_)):
        return _str_dtype(), ()
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(bool), ()
    if isinstance(value, (int, np.integer)):
        return (value.dtype if isinstance(value, np.integer) else np.dtype(np.int64)), ()
    if isinstance(value, (float, np.floating)):
        return (value.dtype if isinstance(value, np.floating) else np.dtype(np.float64)), ()
    arr = np.asarray(value)
    if arr.dtype.kind in "biuf" and arr.ndim >= 1:
        return arr.dtype, arr.shape
    if arr.dtype.kind in "US" and arr.ndim == 0:
        return _str_dtype(), ()
    raise FormatError(f"column '{name}': value {value!r} ({type(value).__name__}); expected a number, "
                      f"bool, string or numeric array")


def _fill(dtype: np.dtype):
    if dtype == _str_dtype():
        return ""
    return np.nan if np.dtype(dtype).kind == "f" else None


class RunWriter:
    """Write one run into an HDF5 run file, epoch by epoch.

    Parameters
    ----------
    path : the ``.h5`` file
    model : :class:`~emergent_py.spec.Model` (its canonical JSON is stored), or None
    engine : ``"native"`` or ``"emergent"``
    engine_version : default: this package's version for ``native``
    mode : h5py mode letter, one of ``w-``/``x`` (default: create, fail if it exists), ``w``
        (overwrite), ``a``/``r+`` (continue an existing run file)
    seed : recorded in provenance; default ``model.plan.seed``
    mpi_size : recorded in provenance; default from the MPI launcher's environment
    project_dir : folder whose git commit/dirty state is recorded (default: current directory)
    extra : more provenance attributes (str/number/bool values)
    compression : HDF5 filter of the finished file's log columns and of weight snapshots
        (``"gzip"`` default, or None). Log columns stay uncompressed while the run is written
        (crash safety); :meth:`close` rewrites them compressed.

    Notes
    -----
    Contract for engines, in order: (1) construct (or use ``with``); (2) per epoch, any number
    of :meth:`append_trials` / :meth:`append_cycles`, then one :meth:`append_epoch`, which
    writes and flushes; (3) optional :meth:`write_weights` / :meth:`write_checkpoint` at epoch
    boundaries (each flushes); (4) :meth:`close` with ``complete=True`` when the run finished.
    Columns are fixed by the first row of each level; a later row may leave out a float or
    string column (stored as NaN / "") or add a new column (earlier rows are NaN / "").
    """

    def __init__(self, path: str | os.PathLike, model=None, engine: str = "native",
                 engine_version: str | None = None, mode: str = "w-", seed: int | None = None,
                 mpi_size: int | None = None, project_dir: str | None = None,
                 extra: Mapping[str, Any] | None = None, compression: str | None = "gzip") -> None:
        h5py = _h5py()
        self.path = os.fspath(path)
        if mode not in WRITE_MODES:
            raise ValueError(f"RunWriter({self.path!r}): invalid mode {mode!r}; must be one of "
                             f"{', '.join(WRITE_MODES)} ('r' is for RunFile)")
        if engine not in ("native", "emergent"):
            raise ValueError(f"RunWriter: engine={engine!r}; expected 'native' or 'emergent'")
        exists = FileExistsError(f"run file {self.path} exists; pass mode='w' to overwrite it or "
                                 f"mode='a' to continue it")
        if mode in ("w-", "x") and os.path.exists(self.path):
            raise exists
        if mode == "r+" and not os.path.exists(self.path):
            raise FileNotFoundError(f"run file {self.path} does not exist (mode 'r+' continues a run)")
        if engine_version is None and engine == "native":
            from .. import __version__
            engine_version = __version__
        self.compression = compression
        resume = mode in ("a", "r+") and os.path.exists(self.path)
        model_json = model.to_json() if model is not None else None
        if resume:
            _check_schema(self.path)
            _repack(self.path, None)        # appending needs uncompressed logs (see _repack)
        else:                               # build the skeleton under a temporary name, then rename
            tmp = temp_name(self.path)
            try:
                with h5py.File(tmp, "w", track_order=True) as f:
                    _create(f, model, model_json, engine, engine_version, seed, mpi_size, project_dir, extra)
                if mode in ("w-", "x") and os.path.exists(self.path):
                    raise exists
                os.replace(tmp, self.path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        self._f = _open(self.path, "r+")
        self._closed = False
        self._pending: dict[str, list[dict]] = {"trial": [], "cycle": []}
        if resume:
            self._resume(model_json, engine)
        self._n_rows = {level: int(self._f[level].attrs["n_rows"]) for level in LEVELS}
        self._f.flush()

    # -- set-up
    def _resume(self, model_json, engine) -> None:
        f = self._f
        stored = f["model"].asstr()[()] if "model" in f else None
        if model_json is not None and stored is not None and stored != model_json:
            where, old, new = _first_difference(json.loads(stored), json.loads(model_json))
            raise FormatError(f"{self.path}: continuing a run with a different model: {where or 'model'}: "
                              f"existing {_short(old)} vs new {_short(new)}; write a new run file instead")
        if f.attrs.get("engine") != engine:
            raise FormatError(f"{self.path}: existing engine {f.attrs.get('engine')!r} vs new {engine!r}")
        # Rows after the checkpoint's position would be logged twice once the run continues from
        # it (a kill between an epoch's row and its checkpoint): keep the rows the checkpoint saw.
        ck = f.get("checkpoint")
        slot = ck.attrs.get("current") if ck is not None else None
        kept = json.loads(ck[slot].attrs.get("log_rows", "{}")) if slot else {}
        for level in LEVELS:                      # and drop rows a killed writer left half-appended
            g = f[level]
            n = min(int(g.attrs["n_rows"]), int(kept.get(level, g.attrs["n_rows"])))
            g.attrs["n_rows"] = n
            for name in json.loads(g.attrs["columns"]):
                if g[name].shape[0] != n:
                    g[name].resize(n, axis=0)
        resumes = json.loads(f["provenance"].attrs.get("resumed", "[]"))
        resumes.append({"time": _prov.now(), "command_line": shlex.join(sys.argv),
                        "epochs_done": int(f["epoch"].attrs["n_rows"])})     # where plots mark it
        f["provenance"].attrs["resumed"] = json.dumps(resumes)
        f.attrs.update({"status": "running", "complete": False, "ended": ""})

    # -- logs
    def append_trials(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Queue trial-level rows (dicts column -> value); written by the next :meth:`append_epoch`."""
        self._check_open()
        self._pending["trial"].extend(dict(r) for r in rows)

    def append_cycles(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Queue cycle-level rows; written by the next :meth:`append_epoch`."""
        self._check_open()
        self._pending["cycle"].extend(dict(r) for r in rows)

    def append_epoch(self, row: Mapping[str, Any]) -> None:
        """Write the queued trial/cycle rows and this epoch row, then flush the file."""
        self._check_open()
        self._write_pending()
        self._append("epoch", [dict(row)])
        self._commit()

    def _write_pending(self) -> None:
        for level in ("cycle", "trial"):
            if self._pending[level]:
                self._append(level, self._pending[level])
                self._pending[level] = []

    def append_columns(self, level: str, columns: Mapping[str, Any]) -> None:
        """Queue-free bulk append of whole columns (name -> array with one entry per row) at
        ``level``; for importers. Call :meth:`flush` (or close) to commit them."""
        self._check_open()
        if level not in LEVELS:
            raise ValueError(f"level {level!r}; expected one of {', '.join(LEVELS)}")
        arrays = {}
        for name, values in columns.items():
            arr = np.asarray(values)
            arrays[name] = arr.astype(object) if arr.dtype.kind in "US" else arr
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) > 1:
            raise FormatError(f"{self.path}: {level} columns of different lengths {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        if n:
            self._write(level, n, lambda name: arrays[name] if name in arrays else None,
                        {name: arr[0] for name, arr in arrays.items()})

    def flush(self) -> None:
        """Commit appended rows (update ``n_rows``) and flush the file."""
        self._check_open()
        self._write_pending()
        self._commit()

    def _append(self, level: str, rows: list[dict]) -> None:
        firsts: dict[str, Any] = {}
        for row in rows:
            for name, value in row.items():
                firsts.setdefault(name, value)

        def column(name: str):
            if not any(name in row for row in rows):
                return None
            return [row.get(name, _MISSING) for row in rows]
        self._write(level, len(rows), column, firsts)

    def _write(self, level: str, n: int, column, firsts: Mapping[str, Any]) -> None:
        """Append ``n`` rows: ``column(name)`` gives a column's values (None when absent,
        ``_MISSING`` for a missing cell). Everything is converted before the file is touched."""
        g = self._f[level]
        columns: list[str] = json.loads(g.attrs["columns"])
        n_old = self._n_rows[level]
        layout = {name: (g[name].dtype, g[name].shape[1:]) for name in columns}
        new: list[str] = []
        for name, value in firsts.items():
            if name not in layout:
                if not isinstance(name, str) or not name or "/" in name or name == ".":
                    raise FormatError(f"{self.path}: bad column name {name!r} (a non-empty string without '/')")
                layout[name] = _column_dtype(name, value)
                if n_old and (_fill(layout[name][0]) is None or layout[name][1]):
                    raise FormatError(f"{self.path}: {level} column '{name}' ({np.dtype(layout[name][0])}) "
                                      f"first appears after {n_old} rows; only scalar float and string "
                                      f"columns can be back-filled")
                new.append(name)
        data = {}
        for name, (dtype, shape) in layout.items():
            fill = _fill(dtype)
            values = column(name)
            if values is None:
                values = [_MISSING] * n
            if isinstance(values, list) and any(v is _MISSING for v in values):
                if fill is None or shape:
                    i = next(i for i, v in enumerate(values) if v is _MISSING)
                    raise FormatError(f"{self.path}: {level} row {n_old + i} lacks column '{name}' "
                                      f"({np.dtype(dtype)}); give it in every row")
                values = [fill if v is _MISSING else v for v in values]
            try:
                if dtype == _str_dtype():
                    arr = np.array([str(v) for v in values], dtype=object)
                else:
                    arr = np.asarray(values, dtype=dtype)
                    if arr.shape[1:] != shape:
                        raise ValueError(f"cell shape {arr.shape[1:]} vs the column's {shape}")
            except (TypeError, ValueError) as e:
                raise FormatError(f"{self.path}: {level} column '{name}' ({np.dtype(dtype)}, cell shape "
                                  f"{shape}): cannot store {list(values[:3])!r}: {e}") from e
            data[name] = arr
        n_new = n_old + n
        for name in new:
            dtype, shape = layout[name]
            # uncompressed while running: a compressed chunk moves when rewritten, and HDF5 may
            # reuse its old space before the next flush, which a kill would leave corrupt
            ds = g.create_dataset(name, shape=(n_old, *shape), maxshape=(None, *shape), dtype=dtype,
                                  chunks=_chunks(dtype, shape))
            if n_old:
                ds[...] = _fill(dtype)
        for name, arr in data.items():
            ds = g[name]
            ds.resize(n_new, axis=0)
            ds[n_old:n_new] = arr
        g.attrs["columns"] = json.dumps(columns + new)
        self._n_rows[level] = n_new

    def _commit(self) -> None:
        """Flush the appended rows, then record the row counts and flush again: the file's
        consistent point. Until the second flush the on-disk ``n_rows`` still names the old rows."""
        self._f.flush()
        for level in LEVELS:
            self._f[level].attrs["n_rows"] = self._n_rows[level]
        self._f.flush()

    # -- weights and checkpoints
    def write_weights(self, epoch: int, weights: Mapping[str, np.ndarray],
                      biases: Mapping[str, np.ndarray] | None = None, attrs: Mapping[str, Any] | None = None) -> None:
        """Store a weight snapshot (float32 ``(n_recv, n_send)`` per projection name, optional
        float32 ``(n_units,)`` biases per layer, optional attributes such as its source) and flush."""
        self._check_open()
        g = self._f["weights"]
        name = f"epoch_{int(epoch):06d}"
        if name in g:                      # a repeated snapshot is replaced: unmark it first
            g[name].attrs["complete"] = False
            self._f.flush()
            del g[name]
        s = g.create_group(name)
        s.attrs.update(dict(attrs or {}))
        s.attrs["epoch"] = int(epoch)
        s.attrs["complete"] = False
        for group, arrays in (("prjn", weights), ("bias", biases or {})):
            sg = s.create_group(group, track_order=True)
            for key, arr in arrays.items():
                if "/" in key:
                    raise FormatError(f"{self.path}: weight name {key!r} must not contain '/'")
                sg.create_dataset(key, data=np.asarray(arr, dtype=np.float32), compression=self.compression)
        self._f.flush()
        s.attrs["complete"] = True
        self._f.flush()

    def write_checkpoint(self, state: Mapping[str, Any]) -> None:
        """Store the engine's full state (nested dict of arrays, scalars, strings, lists, None)
        so a run can resume; replaces the previous checkpoint atomically (two slots)."""
        self._check_open()
        g = self._f.require_group("checkpoint")
        slot = "b" if g.attrs.get("current") == "a" else "a"
        if not (slot in g and overwrite_tree(g[slot], state)):
            if slot in g:
                del g[slot]
            write_tree(g.create_group(slot, track_order=True), state, "checkpoint")
        g[slot].attrs["log_rows"] = json.dumps(self._n_rows)     # the rows this state has seen
        self._f.flush()
        g.attrs["current"] = slot
        g.attrs["time"] = _prov.now()
        self._f.flush()

    # -- closing
    def close(self, complete: bool = True) -> None:
        """Write queued rows, mark the run complete (or incomplete) with its end time, close."""
        if self._closed:
            return
        try:
            self._write_pending()
            self._commit()
            ended = _prov.now()
            self._f.attrs.update({"complete": bool(complete), "status": "complete" if complete else "incomplete",
                                  "ended": ended})
            self._f["provenance"].attrs["end_time"] = ended
            self._f.flush()
        finally:
            self._closed = True
            self._f.close()
        if self.compression:
            _repack(self.path, self.compression)

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"RunWriter({self.path!r}) is closed")

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(complete=exc_type is None)


def _create(f, model, model_json, engine, engine_version, seed, mpi_size, project_dir, extra) -> None:
    """Write the skeleton of a new run file into the open h5py file ``f``."""
    if seed is None and model is not None:
        seed = model.plan.seed
    prov = _prov.collect(engine, engine_version, seed=seed, mpi_size=mpi_size, project_dir=project_dir)
    for k, v in (extra or {}).items():
        prov[k] = v
    if model is not None and model.notes:      # e.g. what an import of an emergent project left out
        prov["model_notes"] = "\n".join(model.notes)
    f.attrs.update({"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "status": "running",
                    "complete": False, "engine": engine, "engine_version": engine_version or "",
                    "model_name": model.name if model is not None else "",
                    "created": prov["start_time"], "ended": ""})
    f.attrs.update(_prov.sweep_attrs(model))
    if model_json is not None:
        f.create_dataset("model", data=model_json, dtype=_str_dtype())
    g = f.create_group("provenance")
    for k, v in prov.items():
        g.attrs[k] = v
    for level in LEVELS:
        lg = f.create_group(level, track_order=True)
        lg.attrs["columns"] = json.dumps([])
        lg.attrs["n_rows"] = 0
    f.create_group("weights", track_order=True)


def _first_difference(a: Any, b: Any, where: str = "") -> tuple[str, Any, Any]:
    """The first path (``plan.epochs``, ``sheets[0]...``) where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if a.get(k, _MISSING) != b.get(k, _MISSING):
                return _first_difference(a.get(k, "(absent)"), b.get(k, "(absent)"), f"{where}.{k}" if where else k)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
    return where, a, b


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) or value == "(absent)" else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _chunks(dtype, shape: tuple[int, ...]) -> tuple[int, ...]:
    itemsize = 16 if dtype == _str_dtype() else np.dtype(dtype).itemsize
    return (max(1, min(4096, (1 << 16) // max(1, itemsize * math.prod(shape)))), *shape)


def _repack(path: str, compression: str | None) -> None:
    """Rewrite the log columns with ``compression`` (None: uncompressed, as appending needs),
    keeping only complete rows, into a temporary file renamed over ``path``. Weight snapshots
    and checkpoints are copied as they are. A no-op when the logs already use ``compression``."""
    h5py = _h5py()
    with _open(path, "r") as src:
        if all(src[lv][c].compression == compression for lv in LEVELS if lv in src
               for c in json.loads(src[lv].attrs["columns"])):
            return
        tmp = temp_name(path)
        try:
            with h5py.File(tmp, "w", track_order=True) as dst:
                dst.attrs.update(src.attrs)
                for name, obj in src.items():
                    if name not in LEVELS:
                        src.copy(obj, dst, name=name)
                        continue
                    g = dst.create_group(name, track_order=True)
                    g.attrs.update(obj.attrs)
                    n = int(obj.attrs["n_rows"])
                    for col in json.loads(obj.attrs["columns"]):
                        ds = obj[col]
                        g.create_dataset(col, data=ds[:n], dtype=ds.dtype, maxshape=(None, *ds.shape[1:]),
                                         chunks=_chunks(ds.dtype, ds.shape[1:]), compression=compression,
                                         shuffle=compression is not None)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
