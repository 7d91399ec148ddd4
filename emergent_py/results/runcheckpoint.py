"""The checkpoint of a run that is being written: ``RUN.h5.ckpt`` beside the run file.

Resuming needs the engine's state and the log rows that state has seen. While a run is
written they live in this small HDF5 file, which is replaced as a whole at every checkpoint
(written under a temporary name, fsynced, renamed), so a kill leaves the previous checkpoint or
the new one, never a mix; the run file itself is only appended to (docs/runfile.md, "Crash
safety"). When the writer closes (or a resume rewrites the run file), the checkpoint is copied
into the run file's ``/checkpoint`` and this file is removed, so a finished run file is complete
on its own.

Layout (the same as a run file's ``/checkpoint``)::

    /                   attrs: schema "emergent_py.checkpoint", run_id (the run file's)
    /checkpoint         attrs: current "a", time
    /checkpoint/a       the state tree (:mod:`.state`); attrs: log_rows (JSON rows per level)
"""
from __future__ import annotations

import contextlib
import json
import os
from typing import Any, Iterator, Mapping

from ..fileio import replace_durably, temp_name
from . import provenance as _prov
from .runlayout import _h5py, _open, _plain
from .state import write_tree

SUFFIX = ".ckpt"
SCHEMA = "emergent_py.checkpoint"


def checkpoint_path(path: str) -> str:
    """The checkpoint file of the run file ``path``."""
    return os.fspath(path) + SUFFIX


def write(path: str, run_id: str, state: Mapping[str, Any], log_rows: Mapping[str, int]) -> None:
    """Replace the checkpoint of run file ``path`` (atomically and durably)."""
    h5py = _h5py()
    target = checkpoint_path(path)
    tmp = temp_name(target)
    try:
        with h5py.File(tmp, "w", track_order=True) as f:
            f.attrs.update({"schema": SCHEMA, "run_id": run_id})
            write_slot(f, state, log_rows)
        replace_durably(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_slot(f, state: Mapping[str, Any], log_rows: Mapping[str, int], time: str | None = None) -> None:
    """``/checkpoint/a`` holding ``state`` in the open h5py file ``f``."""
    g = f.create_group("checkpoint", track_order=True)
    slot = g.create_group("a", track_order=True)
    write_tree(slot, state, "checkpoint")
    slot.attrs["log_rows"] = json.dumps(dict(log_rows))
    g.attrs.update({"current": "a", "time": time or _prov.now()})


def copy_slot(src_checkpoint, dst) -> None:
    """Copy the current slot of an open ``/checkpoint`` group into ``dst`` as ``/checkpoint/a``."""
    g = dst.create_group("checkpoint", track_order=True)
    src_checkpoint.file.copy(src_checkpoint[_plain(src_checkpoint.attrs["current"])], g, name="a")
    g.attrs.update({"current": "a", "time": _plain(src_checkpoint.attrs.get("time", ""))})


@contextlib.contextmanager
def current(run_file, path: str) -> Iterator[Any]:
    """The open ``/checkpoint`` group that holds the run's last checkpoint, or None: the
    checkpoint file beside ``path`` when there is one of this run (same ``run_id``), else the
    run file's own (``run_file``: the open h5py file)."""
    run_id = _plain(run_file.attrs.get("run_id"))
    side = checkpoint_path(path)
    if run_id and os.path.exists(side):
        try:
            f = _open(side, "r")
        except OSError:
            f = None                     # unreadable: cannot be ours (it is renamed in complete)
        if f is not None:
            try:
                g = f.get("checkpoint")
                if _plain(f.attrs.get("run_id")) == run_id and g is not None and "current" in g.attrs:
                    yield g
                    return
            finally:
                f.close()
    g = run_file.get("checkpoint")
    yield g if g is not None and "current" in g.attrs else None


def log_rows(checkpoint_group) -> dict[str, int]:
    """Rows per level that the checkpoint's state had seen."""
    slot = checkpoint_group[_plain(checkpoint_group.attrs["current"])]
    return json.loads(_plain(slot.attrs.get("log_rows", "{}")))
