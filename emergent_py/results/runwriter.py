"""Write a run file: :class:`RunWriter` (the file skeleton, log rows, weight snapshots,
checkpoints, resume, the compressed file on close).

Crash safety (docs/runfile.md, "Crash safety"): no kill, at any instant, can leave a file that a
reader or a resume cannot use. Two kinds of writes only:

* **in place, data only.** While running, every log column is a contiguous dataset allocated
  (and filled) in advance for more rows than it holds. Appending rows writes their bytes into
  that space and then rewrites each level's ``n_rows`` attribute in place (same type and size,
  one object-header block); the HDF5 structure (groups, datasets, heaps, chunk indexes) is never
  changed in a file that is the only copy. Readers use ``[:n_rows]``.
* **a new copy, renamed over the old one.** Anything structural (the first rows of a level, a
  new column, more rows than allocated, a longer string, a weight snapshot, the status, closing,
  resuming) writes a complete new file under a temporary name, fsyncs it and renames it into
  place. A kill leaves the old file or the new one.

The checkpoint (engine state and the rows it has seen) goes to its own file beside the run
file, replaced atomically at each checkpoint (:mod:`.runcheckpoint`), and is folded into the run
file when the writer closes. Strings are fixed-length UTF-8 (no heap). One writer per file: a
second is refused by a lock (:class:`~emergent_py.fileio.FileLock`).

Modes are h5py's letters: ``w-``/``x`` create (fail if the file exists; the default), ``w``
truncate, ``a`` / ``r+`` continue an existing run (resume; the stored model must match).
"""
from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import shlex
import sys
import uuid
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..errors import FormatError, OutputError
from ..fileio import FileLock, FileLockedError, make_folder, remove_dead_temps, replace_durably, temp_name
from . import provenance as _prov
from . import runcheckpoint
from .runlayout import LEVELS, SCHEMA, SCHEMA_VERSION, _check_schema, _h5py, _open, _plain

WRITE_MODES = ("w", "w-", "x", "a", "r+")
_MISSING = object()      # a row without a value for a column
#: rows allocated for a level at least, and the factor by which its allocation grows
MIN_ROWS, GROWTH = 64, 2
#: bytes copied at a time when a column is copied into a new file
COPY_BYTES = 1 << 26


def _is_str(dtype) -> bool:
    return _h5py().check_string_dtype(np.dtype(dtype)) is not None


def _str_type(width: int) -> np.dtype:
    """Fixed-length UTF-8 string of ``width`` bytes (a power of two >= 16, so it rarely grows)."""
    return _h5py().string_dtype("utf-8", max(16, 1 << max(0, int(width) - 1).bit_length()))


def _encode(values, dtype) -> np.ndarray:
    return np.array([str(v).encode("utf-8") for v in values], dtype=dtype)


def _column_dtype(name: str, value: Any) -> tuple[np.dtype, tuple[int, ...]]:
    """(dtype, cell shape) of a new column from its first value."""
    if isinstance(value, (str, np.str_)):
        return _str_type(len(str(value).encode("utf-8"))), ()
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
        return _str_type(len(str(arr).encode("utf-8"))), ()
    raise FormatError(f"column '{name}': value {value!r} ({type(value).__name__}); expected a number, "
                      f"bool, string or numeric array")


def _fill(dtype):
    """The value of a missing cell: "" / NaN, or None when the column cannot have one."""
    if _is_str(dtype):
        return ""
    return np.nan if np.dtype(dtype).kind == "f" else None


def _h5fill(dtype):
    """HDF5 fill value of the space allocated for rows not written yet."""
    if _is_str(dtype):
        return None
    return np.nan if np.dtype(dtype).kind == "f" else 0


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
    compression : HDF5 filter of the finished file's log columns and weight snapshots
        (``"gzip"`` default, or None). While the run is written, nothing is compressed
        (crash safety); :meth:`close` writes the compressed file.

    Raises
    ------
    OutputError
        another process is writing ``path``, its folder cannot be written, or the disk is full
        (the existing file is left as it was).

    Notes
    -----
    Contract for engines, in order: (1) construct (or use ``with``); (2) per epoch, any number
    of :meth:`append_trials` / :meth:`append_cycles`, then one :meth:`append_epoch`, which
    writes and commits; (3) optional :meth:`write_weights` (queued: in the file from the next
    append, flush, checkpoint or close) / :meth:`write_checkpoint` at epoch boundaries;
    (4) :meth:`close` with ``complete=True`` when the run finished. Columns are fixed by the
    first row of each level; a later row may leave out a float or string column (stored as
    NaN / "") or add a new column (earlier rows are NaN / "").
    """

    def __init__(self, path: str | os.PathLike, model=None, engine: str = "native",
                 engine_version: str | None = None, mode: str = "w-", seed: int | None = None,
                 mpi_size: int | None = None, project_dir: str | None = None,
                 extra: Mapping[str, Any] | None = None, compression: str | None = "gzip") -> None:
        self.path = os.fspath(path)
        if mode not in WRITE_MODES:
            raise ValueError(f"RunWriter({self.path!r}): invalid mode {mode!r}; must be one of "
                             f"{', '.join(WRITE_MODES)} ('r' is for RunFile)")
        if engine not in ("native", "emergent"):
            raise ValueError(f"RunWriter: engine={engine!r}; expected 'native' or 'emergent'")
        if mode == "r+" and not os.path.exists(self.path):
            raise FileNotFoundError(f"run file {self.path} does not exist (mode 'r+' continues a run)")
        if engine_version is None and engine == "native":
            from .. import __version__
            engine_version = __version__
        self.compression = compression
        self._closed = True
        self._f = None
        self._pending: dict[str, list[dict]] = {"trial": [], "cycle": []}
        self._weights: dict[str, tuple[dict, dict, dict]] = {}     # queued snapshots
        self._lock = _acquire(self.path)
        try:
            for p in (self.path, runcheckpoint.checkpoint_path(self.path)):
                remove_dead_temps(p)                # left by a writer killed before its rename
            if mode in ("w-", "x") and os.path.exists(self.path):
                raise FileExistsError(f"run file {self.path} exists; pass mode='w' to overwrite it or "
                                      f"mode='a' to continue it")
            model_json = model.to_json() if model is not None else None
            if mode in ("a", "r+") and os.path.exists(self.path):
                self._resume(model_json, engine)
            else:
                self._new(model, model_json, engine, engine_version, seed, mpi_size, project_dir, extra)
        except BaseException:
            self._lock.release()
            raise
        self._closed = False

    # -- set-up
    def _new(self, model, model_json, engine, engine_version, seed, mpi_size, project_dir, extra) -> None:
        if seed is None and model is not None:
            seed = model.plan.seed
        prov = _prov.collect(engine, engine_version, seed=seed, mpi_size=mpi_size, project_dir=project_dir)
        prov.update(extra or {})
        if model is not None and model.notes:      # e.g. what an import of an emergent project left out
            prov["model_notes"] = "\n".join(model.notes)
        self._root = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "status": "running",
                      "complete": False, "engine": engine, "engine_version": engine_version or "",
                      "model_name": model.name if model is not None else "", "run_id": uuid.uuid4().hex,
                      "created": prov["start_time"], "ended": ""}
        self._root.update(_prov.sweep_attrs(model))      # the sweep point, as root attributes
        self._prov, self._model_json = prov, model_json
        self._layout: dict[str, dict[str, tuple[np.dtype, tuple]]] = {lv: {} for lv in LEVELS}
        self._rows = {lv: 0 for lv in LEVELS}          # rows written (committed or not)
        self._committed = dict(self._rows)             # rows counted by the file's n_rows
        self._cap = dict(self._rows)                   # rows allocated
        self._rebuild(None, "creating the run file")
        with contextlib.suppress(FileNotFoundError):   # an old run's checkpoint (other run_id)
            os.unlink(runcheckpoint.checkpoint_path(self.path))

    def _resume(self, model_json, engine) -> None:
        """Continue an existing run: check it read-only, then write the continued file as a new
        copy (rows after the checkpoint dropped, the checkpoint folded in) renamed over it: the
        only copy of a killed run is never written into."""
        try:
            _check_schema(self.path)
            src = _open(self.path, "r")
        except (OSError, KeyError) as e:
            raise FormatError(f"{self.path}: cannot be read as HDF5 ({e}); it was left as it is") from e
        try:
            with src:
                self._resume_from(src, model_json, engine)
        except (OSError, KeyError, ValueError, RuntimeError) as e:
            if isinstance(e, (OutputError, FormatError)):
                raise
            raise FormatError(f"{self.path}: damaged, cannot be continued ({type(e).__name__}: {e}); it was "
                              f"left as it is") from e
        with contextlib.suppress(FileNotFoundError):   # folded into the run file now
            os.unlink(runcheckpoint.checkpoint_path(self.path))

    def _resume_from(self, src, model_json, engine) -> None:
        """The body of :meth:`_resume` on the open existing file ``src``."""
        stored = src["model"].asstr()[()] if "model" in src else None
        if model_json is not None and stored is not None and stored != model_json:
            where, old, new = first_difference(json.loads(stored), json.loads(model_json))
            raise FormatError(f"{self.path}: continuing a run with a different model: {where or 'model'}: "
                              f"existing {short_value(old)} vs new {short_value(new)}; write a new run file instead")
        if _plain(src.attrs.get("engine")) != engine:
            raise FormatError(f"{self.path}: existing engine {_plain(src.attrs.get('engine'))!r} vs new {engine!r}")
        self._root = {k: _plain(v) for k, v in src.attrs.items()}
        self._root.setdefault("run_id", uuid.uuid4().hex)
        self._root.update({"schema_version": SCHEMA_VERSION, "status": "running", "complete": False, "ended": ""})
        self._prov = {k: _plain(v) for k, v in src["provenance"].attrs.items()}
        resumes = json.loads(self._prov.get("resumed", "[]"))
        resumes.append({"time": _prov.now(), "command_line": shlex.join(sys.argv)})
        self._prov["resumed"] = json.dumps(resumes)
        self._prov.pop("end_time", None)
        self._model_json = stored
        # Rows after the checkpoint's position would be logged twice once the run continues
        # from it (a kill between an epoch's row and its checkpoint): keep the rows it saw.
        with runcheckpoint.current(src, self.path) as ck:
            kept = runcheckpoint.log_rows(ck) if ck is not None else {}
            self._layout, self._rows = {}, {}
            for level in LEVELS:
                g = src[level]
                n = min(int(g.attrs["n_rows"]), int(kept.get(level, g.attrs["n_rows"])))
                self._rows[level] = n
                self._layout[level] = {name: self._stored_type(g[name], n)
                                       for name in json.loads(_plain(g.attrs["columns"]))}
            self._committed = dict(self._rows)
            resumes[-1]["epochs_done"] = self._rows["epoch"]     # where plots mark the resume
            self._prov["resumed"] = json.dumps(resumes)
            self._cap = {lv: self._rows[lv] and max(MIN_ROWS, GROWTH * self._rows[lv]) for lv in LEVELS}
            self._rebuild(src, "continuing the run", checkpoint=ck)

    @staticmethod
    def _stored_type(ds, n: int) -> tuple[np.dtype, tuple]:
        if not _is_str(ds.dtype):
            return ds.dtype, ds.shape[1:]
        if ds.dtype.kind == "S":
            return _str_type(ds.dtype.itemsize), ()
        longest = max((len(s.encode("utf-8")) for s in ds.asstr()[:n]), default=0)   # a v1 file's vlen
        return _str_type(longest), ()

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
        """Write the queued trial/cycle rows and this epoch row, then commit them."""
        self._check_open()
        self._write_rows({**self._pending, "epoch": [dict(row)]})
        self._pending = {"trial": [], "cycle": []}

    def append_columns(self, level: str, columns: Mapping[str, Any]) -> None:
        """Append whole columns (name -> array with one entry per row) at ``level`` and commit
        them; for importers."""
        self._check_open()
        if level not in LEVELS:
            raise ValueError(f"level {level!r}; expected one of {', '.join(LEVELS)}")
        arrays = {name: np.asarray(values) for name, values in columns.items()}
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) > 1:
            raise FormatError(f"{self.path}: {level} columns of different lengths {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        if n:
            firsts = {name: (str(a[0]) if a.dtype.kind in "USO" else a[0]) for name, a in arrays.items()}
            self._write({level: self._convert(level, n, lambda name: arrays.get(name), firsts)})

    def flush(self) -> None:
        """Write and commit queued rows and weight snapshots."""
        self._check_open()
        self._write_rows(self._pending)
        self._pending = {"trial": [], "cycle": []}

    def _write_rows(self, rows: Mapping[str, list[dict]]) -> None:
        converted = {level: self._convert_rows(level, r) for level, r in rows.items() if r}
        if converted or self._weights:
            self._write(converted)

    def _convert_rows(self, level: str, rows: list[dict]):
        firsts: dict[str, Any] = {}
        for row in rows:
            for name, value in row.items():
                firsts.setdefault(name, value)

        def column(name: str):
            if not any(name in row for row in rows):
                return None
            return [row.get(name, _MISSING) for row in rows]
        return self._convert(level, len(rows), column, firsts)

    def _convert(self, level: str, n: int, column: Callable, firsts: Mapping[str, Any]):
        """``(layout, arrays)`` of ``n`` new rows at ``level``: ``column(name)`` gives a column's
        values (None when absent, ``_MISSING`` for a missing cell). Touches no file."""
        n_old = self._rows[level]
        layout = dict(self._layout[level])
        for name, value in firsts.items():
            if name not in layout:
                if not isinstance(name, str) or not name or "/" in name or name == ".":
                    raise FormatError(f"{self.path}: bad column name {name!r} (a non-empty string without '/')")
                layout[name] = _column_dtype(name, value)
                if n_old and (_fill(layout[name][0]) is None or layout[name][1]):
                    raise FormatError(f"{self.path}: {level} column '{name}' ({np.dtype(layout[name][0])}) "
                                      f"first appears after {n_old} rows; only scalar float and string "
                                      f"columns can be back-filled")
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
                if _is_str(dtype):
                    if isinstance(values, np.ndarray) and values.dtype.kind not in "USO":
                        raise ValueError(f"{values.dtype} values")
                    longest = max(len(str(v).encode("utf-8")) for v in values)
                    if longest > np.dtype(dtype).itemsize:      # a longer string: a wider column
                        dtype = _str_type(longest)
                        layout[name] = (dtype, ())
                    arr = _encode(values, dtype)
                else:
                    arr = np.asarray(values, dtype=dtype)
                    if arr.shape[1:] != shape:
                        raise ValueError(f"cell shape {arr.shape[1:]} vs the column's {shape}")
            except (TypeError, ValueError) as e:
                raise FormatError(f"{self.path}: {level} column '{name}' ({np.dtype(dtype)}, cell shape "
                                  f"{shape}): cannot store {list(values[:3])!r}: {e}") from e
            data[name] = arr
        return layout, data

    def _write(self, converted: Mapping[str, tuple[dict, dict]]) -> None:
        """Write converted rows of several levels, then commit: a new copy of the file first when
        its structure must change (new columns, longer strings, more rows than allocated, queued
        weight snapshots), else in place."""
        layouts = {lv: converted[lv][0] if lv in converted else self._layout[lv] for lv in LEVELS}
        need = {lv: self._rows[lv] + (len(next(iter(converted[lv][1].values()), ())) if lv in converted else 0)
                for lv in LEVELS}
        if self._weights or any(layouts[lv] != self._layout[lv] or need[lv] > self._cap[lv] for lv in LEVELS):
            old = (self._layout, self._cap)
            self._layout = layouts
            self._cap = {lv: self._cap[lv] if need[lv] <= self._cap[lv] else max(MIN_ROWS, GROWTH * need[lv])
                         for lv in LEVELS}
            try:
                self._rebuild(self._f, "appending rows")
            except BaseException:
                self._layout, self._cap = old
                raise
        h5s = _h5py().h5s
        for level, (_, data) in converted.items():
            n_old = self._rows[level]
            n = len(next(iter(data.values())))
            for name, arr in data.items():      # h5py's low-level write: ds[a:b] = arr costs 10x more
                ds = self._ds[level][name]
                space = ds.get_space()
                space.select_hyperslab((n_old,) + (0,) * (arr.ndim - 1), arr.shape)
                ds.write(h5s.create_simple(arr.shape), space, np.ascontiguousarray(arr))
            self._rows[level] = n_old + n
        self._commit()

    def _commit(self) -> None:
        """Count the written rows: flush their bytes, then rewrite each level's ``n_rows`` in
        place and flush, finer levels first (a kill in between leaves an epoch's trials counted
        before its epoch row, never the other way round)."""
        self._f.flush()
        for level in ("cycle", "trial", "epoch"):
            if self._committed[level] != self._rows[level]:
                self._n_rows_attr[level].write(np.array(self._rows[level], dtype=np.int64))   # in place
                self._f.flush()
                self._committed[level] = self._rows[level]

    # -- weights and checkpoints
    def write_weights(self, epoch: int, weights: Mapping[str, np.ndarray],
                      biases: Mapping[str, np.ndarray] | None = None, attrs: Mapping[str, Any] | None = None) -> None:
        """Queue a weight snapshot (float32 ``(n_recv, n_send)`` per projection name, optional
        float32 ``(n_units,)`` biases per layer, optional attributes such as its source); it is
        written with the next :meth:`append_epoch`, :meth:`flush`, :meth:`write_checkpoint` or
        :meth:`close` (several queued snapshots cost one copy of the file)."""
        self._check_open()
        parts = {}
        for group, arrays in (("prjn", weights), ("bias", biases or {})):
            for key in arrays:
                if "/" in key:
                    raise FormatError(f"{self.path}: weight name {key!r} must not contain '/'")
            parts[group] = {k: np.array(v, dtype=np.float32) for k, v in arrays.items()}
        self._weights[f"epoch_{int(epoch):06d}"] = ({**dict(attrs or {}), "epoch": int(epoch)},
                                                   parts["prjn"], parts["bias"])

    def write_checkpoint(self, state: Mapping[str, Any]) -> None:
        """Store the engine's full state (nested dict of arrays, scalars, strings, lists, None)
        so a run can resume; replaces the previous checkpoint atomically (``RUN.h5.ckpt``)."""
        self._check_open()
        if self._weights:
            self._write({})
        _guarded(lambda: runcheckpoint.write(self.path, self._root["run_id"], state, self._committed),
                 self.path, "writing the checkpoint", self._status())

    # -- closing
    def close(self, complete: bool = True) -> None:
        """Write queued rows, mark the run complete (or incomplete) with its end time, and
        replace the file by its finished (compressed) copy, with the checkpoint folded in."""
        if self._closed:
            return
        self._closed = True
        try:
            if any(self._pending.values()):
                self._write_rows(self._pending)
            ended = _prov.now()
            self._root.update({"complete": bool(complete), "status": "complete" if complete else "incomplete",
                               "ended": ended})
            self._prov["end_time"] = ended
            with runcheckpoint.current(self._f, self.path) as ck:
                self._rebuild(self._f, "closing the run file", checkpoint=ck, final=True)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(runcheckpoint.checkpoint_path(self.path))
        finally:
            with contextlib.suppress(Exception):
                self._f.close()
            self._lock.release()

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"RunWriter({self.path!r}) is closed")

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(complete=exc_type is None)

    # -- the new copy
    def _status(self) -> str:
        return (f"{self.path} is unchanged: it holds {self._committed['epoch']} epoch(s) as of the last "
                f"one written")

    def _rebuild(self, src, what: str, checkpoint=None, final: bool = False) -> None:
        """Write the whole file anew under a temporary name and rename it over ``path``: the
        layout in ``self._layout`` with ``self._cap`` rows allocated per level (``final``: only
        the rows, chunked and compressed), the rows written so far copied from ``src`` (the
        open current file), its weight snapshots plus the queued ones, and its checkpoint (or
        ``checkpoint``, an open ``/checkpoint`` group). Then reopen it for appending."""
        h5py = _h5py()
        tmp = temp_name(self.path)

        def build() -> None:
            with h5py.File(tmp, "w", track_order=True) as dst:
                dst.attrs.update(self._root)
                if self._model_json is not None:
                    dst.create_dataset("model", data=self._model_json, dtype=h5py.string_dtype("utf-8"))
                prov = dst.create_group("provenance")
                for k, v in self._prov.items():
                    prov.attrs[k] = v
                for level in LEVELS:
                    self._copy_level(src, dst, level, final)
                w = dst.create_group("weights", track_order=True)
                if src is not None:
                    for name, snap in src["weights"].items():
                        if name not in self._weights and snap.attrs.get("complete", False):
                            src.copy(snap, w, name=name)
                comp = self.compression if final else None
                for name, (attrs, prjn, bias) in self._weights.items():
                    s = w.create_group(name)
                    s.attrs.update(attrs)
                    for group, arrays in (("prjn", prjn), ("bias", bias)):
                        sg = s.create_group(group, track_order=True)
                        for key, arr in arrays.items():
                            sg.create_dataset(key, data=arr, compression=comp)
                    s.attrs["complete"] = True
                if checkpoint is not None:
                    runcheckpoint.copy_slot(checkpoint, dst)
                elif src is not None and "checkpoint" in src and "current" in src["checkpoint"].attrs:
                    runcheckpoint.copy_slot(src["checkpoint"], dst)
            replace_durably(tmp, self.path)

        try:
            _guarded(build, self.path, what, self._status() if src is self._f and src is not None
                     else f"{self.path} is unchanged" if os.path.exists(self.path) else "no run file was written")
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self._weights = {}
        if src is not None and src is self._f:
            self._f.close()
        if final:
            self._f = None
            return
        self._f = _open(self.path, "r+")
        self._ds = {lv: {name: self._f[lv][name].id for name in self._layout[lv]} for lv in LEVELS}
        self._n_rows_attr = {lv: h5py.h5a.open(self._f[lv].id, b"n_rows") for lv in LEVELS}

    def _copy_level(self, src, dst, level: str, final: bool) -> None:
        g = dst.create_group(level, track_order=True)
        layout = self._layout[level]
        n = self._rows[level]
        g.attrs["columns"] = json.dumps(list(layout))
        g.attrs.create("n_rows", np.int64(self._committed[level] if not final else n), dtype=np.int64)
        h5py = _h5py()
        for name, (dtype, shape) in layout.items():
            if final:
                ds = g.create_dataset(name, shape=(n, *shape), maxshape=(None, *shape), dtype=dtype,
                                      chunks=_chunks(dtype, shape), compression=self.compression,
                                      shuffle=self.compression is not None, fillvalue=_h5fill(dtype))
            else:
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)    # the rows' space exists (and is
                dcpl.set_fill_time(h5py.h5d.FILL_TIME_ALLOC)      # written: no ENOSPC on append)
                ds = g.create_dataset(name, shape=(self._cap[level], *shape), dtype=dtype, dcpl=dcpl,
                                      fillvalue=_h5fill(dtype))
            if src is None or name not in src[level]:
                continue                                     # new column: the fill value
            old = src[level][name]
            step = max(1, COPY_BYTES // max(1, np.dtype(dtype).itemsize * math.prod(shape)))
            for a in range(0, min(n, old.shape[0]), step):
                b = min(n, a + step)
                if _is_str(dtype):
                    ds[a:b] = _encode(old.asstr()[a:b], dtype)
                else:
                    ds[a:b] = old[a:b]


def _acquire(path: str) -> FileLock:
    folder = os.path.dirname(os.path.abspath(path))
    make_folder(folder, f"for {path}")        # -o new/folder/run.h5 works (as for every output)
    try:
        return FileLock(path).acquire()
    except FileLockedError as e:
        raise OutputError(f"{path}: another process is writing this run file ({e}); wait for it to end "
                          f"or write to another file") from None
    except OSError as e:
        raise OutputError(_why(e, path, f"cannot write in {folder}", "")) from e


def _why(e: OSError, path: str, what: str, status: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        cause = f"no space left on the device of {folder} (or over quota)"
    elif e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        cause = (f"{folder} cannot be written ({e.strerror}): a run file is written beside its final name; "
                 f"choose a writable folder")
    else:
        cause = str(e)
    return f"{path}: {what} failed: {cause}" + (f"; {status}" if status else "")


def _guarded(fn: Callable[[], None], path: str, what: str, status: str) -> None:
    """Run ``fn``; an OSError becomes an :class:`OutputError` that says why and what is intact."""
    try:
        fn()
    except OSError as e:
        if isinstance(e, OutputError):
            raise
        raise OutputError(_why(e, path, what, status)) from e


def first_difference(a: Any, b: Any, where: str = "") -> tuple[str, Any, Any]:
    """The first path (``plan.epochs``, ``sheets[0]...``) where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if a.get(k, _MISSING) != b.get(k, _MISSING):
                return first_difference(a.get(k, "(absent)"), b.get(k, "(absent)"), f"{where}.{k}" if where else k)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{where}[{i}]")
    return where, a, b


def short_value(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) or value == "(absent)" else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _chunks(dtype, shape: tuple[int, ...]) -> tuple[int, ...]:
    itemsize = np.dtype(dtype).itemsize
    return (max(1, min(4096, (1 << 16) // max(1, itemsize * math.prod(shape)))), *shape)
