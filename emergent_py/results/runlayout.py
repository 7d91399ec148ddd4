"""The layout of a run file, and the h5py helpers that :mod:`.runwriter` and :mod:`.runreader` share.

Layout (full description for users in ``docs/runfile.md``)::

    /                 attrs: schema, schema_version, status ("running"|"complete"|"incomplete"),
                             complete (bool), engine, engine_version, model_name, created, ended
    /model            scalar string: canonical model JSON (absent when unknown)
    /provenance       attrs only: versions, git commit/dirty, host, seed, MPI size, SLURM ids, ...
    /epoch, /trial, /cycle
                      one dataset per column (emergent statistic names: epoch, avg_sse, ...),
                      1-D (or (n, *shape) for matrix columns); attrs ``columns`` (order) and
                      ``n_rows`` (rows that are complete). Finished: chunked, gzip, n_rows long;
                      while running: contiguous, longer (space for rows to come)
    /weights/epoch_000005/prjn/<projection>   float32 (n_recv, n_send)
    /weights/epoch_000005/bias/<layer>        float32 (n_units,)   (optional)
    /checkpoint/a                             the last checkpoint; attr ``current`` names it
    RUN.h5.ckpt (beside it)                   the checkpoint while running (.runcheckpoint)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import FormatError

SCHEMA = "emergent_py.run"
SCHEMA_VERSION = 2       # 2: fixed-length strings, run_id, RUN.h5.ckpt while running
LEVELS = ("epoch", "trial", "cycle")
_STR = None      # h5py.string_dtype("utf-8"), set on first use (h5py imported lazily)


def _h5py():
    global _STR
    import h5py
    if _STR is None:
        _STR = h5py.string_dtype("utf-8")
    return h5py


def _str_dtype():
    """h5py's UTF-8 string dtype (``_STR``; imports h5py on first use)."""
    _h5py()
    return _STR


def _open(path: str, mode: str):
    """h5py.File with creation-order tracking; readers skip HDF5's file lock so a running
    run (whose writer holds the lock) can be inspected."""
    h5py = _h5py()
    if mode == "r":
        try:
            return h5py.File(path, "r", locking=False)
        except TypeError:                     # h5py/HDF5 too old for the locking option
            return h5py.File(path, "r")
    return h5py.File(path, mode, track_order=True)


def _check_schema(path: str) -> None:
    with _open(path, "r") as f:
        schema = _plain(f.attrs.get("schema"))
    if schema != SCHEMA:
        raise FormatError(f"{path}: not an emergent_py run file (root attribute schema={schema!r}); "
                          f"expected '{SCHEMA}'")


def _plain(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v
