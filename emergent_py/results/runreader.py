"""Read a run file: :class:`RunFile`, also for a run still being written or whose writer was
killed (it sees the file as of the writer's last flush, and only the rows counted in ``n_rows``)."""
from __future__ import annotations

import json
import os

import numpy as np

from ..errors import FormatError
from ..fileio import describe, unreadable
from .runlayout import LEVELS, SCHEMA, _h5py, _open, _plain
from . import runcheckpoint
from .state import read_tree
from .table import Table


class RunFile:
    """Read a run file (also one whose writer was killed).

    Parameters
    ----------
    path : the ``.h5`` file

    Attributes
    ----------
    attrs : root attributes (dict): status, complete, engine, engine_version, model_name, ...
    provenance : dict of the ``/provenance`` attributes
    complete : True only when the writer closed the run as complete
    status : ``"complete"``, ``"incomplete"`` (closed early) or ``"running"`` (never closed:
        still running, or killed)
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        try:
            self._f = _open(self.path, "r")
        except OSError as e:
            if not os.path.exists(self.path):
                raise FileNotFoundError(f"run file {self.path} does not exist") from e
            why = unreadable(self.path, "run file (.h5)")     # h5py's own text is an errno dump
            if why:
                raise FormatError(why) from None
            what = describe(self.path)
            what = ("not a readable HDF5 file (damaged or cut short)" if what.startswith("an HDF5 file")
                    else f"not an HDF5 file (no HDF5 signature: it is {what})")
            raise FormatError(f"{self.path}: {what}; a run file is written by `emergent-py run -o` "
                              "or `emergent-py import`") from None
        try:
            schema = _plain(self._f.attrs.get("schema"))
        except (OSError, KeyError) as e:
            self._f.close()
            raise FormatError(f"{self.path}: a damaged HDF5 file ({e})") from e
        if schema != SCHEMA:
            self._f.close()
            raise FormatError(f"{self.path}: not an emergent_py run file (root attribute schema={schema!r}); "
                              f"expected '{SCHEMA}' (make one with `emergent-py import` or a run -o)")
        self.attrs = {k: _plain(v) for k, v in self._f.attrs.items()}
        self.provenance = {k: _plain(v) for k, v in self._f["provenance"].attrs.items()}
        self._tables: dict[str, Table] = {}

    @property
    def complete(self) -> bool:
        return bool(self.attrs.get("complete", False))

    @property
    def status(self) -> str:
        return str(self.attrs.get("status", ""))

    @property
    def engine(self) -> str:
        return str(self.attrs.get("engine", ""))

    @property
    def engine_label(self) -> str:
        """Engine and version, e.g. ``native 0.1.0`` or ``emergent 8.6.1``."""
        version = self.attrs.get("engine_version") or ""
        return f"{self.engine} {version}".strip()

    @property
    def label(self) -> str:
        """Short description, e.g. ``run.h5 (native 0.1.0)``."""
        return f"{os.path.basename(self.path)} ({self.engine_label})"

    def table(self, level: str) -> Table:
        """The log of ``level`` (``epoch``, ``trial`` or ``cycle``) as a :class:`Table`; only
        rows the writer completed (``n_rows``)."""
        if level not in LEVELS:
            raise ValueError(f"level {level!r}; expected one of {', '.join(LEVELS)}")
        if level not in self._tables:
            g = self._f[level]
            n = int(g.attrs["n_rows"])
            cols = {}
            for name in json.loads(g.attrs["columns"]):
                ds = g[name]
                cols[name] = (np.array(ds.asstr()[:n], dtype=str) if ds.dtype.kind == "O" or
                              _h5py().check_string_dtype(ds.dtype) else ds[:n])
            self._tables[level] = Table(cols, f"{self.path}:/{level}")
        return self._tables[level]

    def to_pandas(self, level: str = "epoch"):
        """The ``level`` log as a pandas DataFrame (the ``analysis`` extra); matrix columns
        become a ``(column, unit)`` MultiIndex (:meth:`Table.to_pandas`), never dropped."""
        return self.table(level).to_pandas()

    @property
    def epochs(self) -> Table:
        return self.table("epoch")

    @property
    def trials(self) -> Table:
        return self.table("trial")

    @property
    def cycles(self) -> Table:
        return self.table("cycle")

    @property
    def model_json(self) -> str | None:
        return self._f["model"].asstr()[()] if "model" in self._f else None

    @property
    def model(self):
        """The :class:`~emergent_py.spec.Model` of the run, or None when the file has none."""
        text = self.model_json
        if text is None:
            return None
        from ..spec.model import Model
        return Model.from_json(text, where=f"{self.path}:/model")

    @property
    def weight_epochs(self) -> list[int]:
        """Epochs with a complete weight snapshot, ascending."""
        g = self._f["weights"]
        return sorted(int(g[k].attrs["epoch"]) for k in g if g[k].attrs.get("complete", False))

    def snapshot_epoch(self, epoch: int | None = None, none: str = "no weight snapshots") -> int:
        """The epoch of the snapshot "after epoch ``epoch``" (default: the last one); a
        FormatError naming the snapshots there are (``none``: the message when there is none)."""
        have = self.weight_epochs
        if not have:
            raise FormatError(f"{self.path}: {none}")
        epoch = have[-1] if epoch is None else int(epoch)
        if epoch not in have:
            raise FormatError(f"{self.path}: no weight snapshot after epoch {epoch}; have {have}")
        return epoch

    def weights(self, epoch: int | None = None) -> dict[str, np.ndarray]:
        """Projection name -> float32 ``(n_recv, n_send)`` of the snapshot at ``epoch`` (default: last)."""
        return self._snapshot(epoch, "prjn")

    def biases(self, epoch: int | None = None) -> dict[str, np.ndarray]:
        """Layer name -> float32 ``(n_units,)`` bias weights of the snapshot (empty if not stored)."""
        return self._snapshot(epoch, "bias")

    def _snapshot(self, epoch: int | None, part: str) -> dict[str, np.ndarray]:
        have = self.weight_epochs
        if epoch is None:
            if not have:
                raise KeyError(f"{self.path}: no weight snapshots")
            epoch = have[-1]
        if epoch not in have:
            raise KeyError(f"{self.path}: no weight snapshot for epoch {epoch}; have {have or 'none'}")
        g = self._f["weights"][f"epoch_{int(epoch):06d}"][part]
        return {k: g[k][()] for k in g}

    def checkpoint(self) -> dict | None:
        """The last complete checkpoint as the nested dict the engine wrote, or None. While a run
        is written (or after it was killed) that is ``RUN.h5.ckpt`` beside the file."""
        with runcheckpoint.current(self._f, self.path) as g:
            return None if g is None else read_tree(g[_plain(g.attrs["current"])])

    def checkpoint_rows(self) -> dict | None:
        """Log rows per level (``{"epoch": n, ...}``) that the last complete checkpoint had seen,
        read from its attributes alone (not the state), or None without a checkpoint: a run
        resumed from it continues after those rows."""
        with runcheckpoint.current(self._f, self.path) as g:
            return None if g is None else runcheckpoint.log_rows(g)

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> "RunFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"RunFile({self.path!r}: {self.label}, {self.status}, "
                f"{int(self._f['epoch'].attrs['n_rows'])} epochs)")
