"""Turn an emergent run (``.epc.dat`` / ``.trl.dat`` / ``.cyc.dat`` logs, ``.wts`` files) into a run file.

The result has the same layout as a native run (``engine="emergent"``), so ``compare`` and
``plot`` treat both alike. Column names are kept exactly as emergent wrote them (``avg_sse``,
``cnt_err``, ``pct_err``, ``Output_lay_sse``, ...); matrix columns become ``(n_rows, *shape)``
datasets. Weight files become weight snapshots at their ``<Epoch>``, projections named like the
model's (``--model``) or ``"Send->Recv"``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from ..emergent.dat import read_dat
from ..fileio import file_sha256, temp_name
from ..emergent.wts import read_wts
from ..errors import FormatError
from .runfile import RunWriter


def _args_file(epoch_dat: str) -> str | None:
    """``RUN.args`` beside ``RUN.epc.dat`` (LeabraStartup writes the command line there)."""
    name = os.path.basename(epoch_dat)
    for suffix in (".epc.dat", ".dat"):
        if name.endswith(suffix):
            cand = os.path.join(os.path.dirname(epoch_dat), name[: -len(suffix)] + ".args")
            return cand if os.path.isfile(cand) else None
    return None


def projection_names(model) -> dict[tuple[str, str], str]:
    """``(recv, send)`` -> projection name from a model (first projection wins for duplicates)."""
    names: dict[tuple[str, str], str] = {}
    if model is not None:
        for p in model.network.projections.values():
            names.setdefault((p.recv, p.send), p.name)
    return names


def import_emergent(epoch_dat: str | os.PathLike, out: str | os.PathLike, trial_dat: str | None = None,
                    cycle_dat: str | None = None, wts: Sequence[str] | Iterable[str] = (), model=None,
                    engine_version: str | None = None, mode: str = "w-") -> Path:
    """Import an emergent run into a run file.

    Parameters
    ----------
    epoch_dat : the epoch log (``RUN.epc.dat``)
    out : the run file to write (written under a temporary name, renamed when complete)
    trial_dat, cycle_dat : optional trial / cycle logs
    wts : weight files (TEXT or BINARY, plain or gz), one snapshot each at its ``<Epoch>``
    model : optional :class:`~emergent_py.spec.Model` stored with the run (names projections)
    engine_version : emergent's version, if known (e.g. ``"8.6.1"``)
    mode : ``"w-"`` (default: refuse to overwrite) or ``"w"``

    Returns
    -------
    Path of the run file. The run is marked complete unless a log ended in a cut-short line
    (a killed emergent run), which is dropped.

    Raises
    ------
    FormatError
        from the ``.dat`` / ``.wts`` parsers (``file:line``), or logs without an ``epoch`` column.
    """
    out = os.fspath(out)
    if mode not in ("w", "w-"):
        raise ValueError(f"import mode {mode!r}; expected 'w' or 'w-'")
    if mode == "w-" and os.path.exists(out):
        raise FileExistsError(f"{out} exists; remove it or use mode 'w' (--force) to overwrite it")
    sources = {"epoch": os.fspath(epoch_dat), "trial": trial_dat and os.fspath(trial_dat),
               "cycle": cycle_dat and os.fspath(cycle_dat)}
    tables = {level: read_dat(path, allow_partial_last=True) for level, path in sources.items() if path}
    if "epoch" not in tables["epoch"]:
        raise FormatError(f"{sources['epoch']}: no 'epoch' column; is this an epoch log (.epc.dat)?")
    weight_files = [(os.fspath(p), read_wts(p)) for p in wts]
    complete = not any(t.dropped_partial_line for t in tables.values())

    extra = {f"source_{level}_log": os.path.abspath(path) for level, path in sources.items() if path}
    extra.update({f"source_{level}_log_sha256": file_sha256(path) for level, path in sources.items() if path})
    if weight_files:
        extra["source_wts"] = "\n".join(os.path.abspath(p) for p, _ in weight_files)
    args = _args_file(sources["epoch"])
    if args:
        extra["emergent_args"] = Path(args).read_text(errors="replace").strip()
    tmp = temp_name(out) + ".h5"
    names = projection_names(model)
    try:
        with RunWriter(tmp, model, engine="emergent", engine_version=engine_version or "", mode="w",
                       seed=None, extra=extra) as w:
            for level in ("cycle", "trial", "epoch"):
                if level in tables:
                    w.append_columns(level, {c: tables[level][c] for c in tables[level].columns})
            w.flush()
            for path, wf in weight_files:
                weights, biases = {}, {}
                for recv, lay in wf.layers.items():
                    if lay.bias is not None:
                        biases[recv] = lay.bias
                    for key, prj in lay.recv.items():
                        if prj.send_layer not in wf.layers:
                            raise FormatError(f"{path}: layer '{recv}' receives from '{prj.send_layer}', "
                                              f"which the file does not contain")
                        name = names.get((recv, prj.send_layer), f"{prj.send_layer}->{recv}")
                        if key != prj.send_layer:
                            name += key[len(prj.send_layer):]
                        weights[name] = prj.dense(wf.layers[prj.send_layer].n_units)
                w.write_weights(wf.epoch, weights, biases,
                                attrs={"source": os.path.abspath(path), "fmt": wf.fmt, "network": wf.network})
            w.close(complete=complete)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return Path(out)
