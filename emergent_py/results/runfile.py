"""Run files: one HDF5 file per run, written incrementally, readable with plain h5py.

The code is split by concern; this module re-exports the public names (as does
``emergent_py.results``):

* ``runlayout``: the layout of a run file (groups, attributes, ``SCHEMA``, ``LEVELS``) and the
  h5py helpers the writer and reader share;
* ``runwriter``: :class:`RunWriter` (skeleton, log rows, weight snapshots, checkpoints, crash
  safety, resume, compression on close);
* ``runcheckpoint``: ``RUN.h5.ckpt``, the checkpoint of a run while it is written;
* ``runreader``: :class:`RunFile` (reading, also a run still being written or killed).

The layout is described for users of plain h5py/pandas in ``docs/runfile.md``.

API for engines::

    with RunWriter("run.h5", model, engine="native") as run:      # mode "w-": never clobbers
        for epoch in range(n):
            run.append_trials([{"epoch": epoch, "trial": t, "trial_name": name, "sse": sse}, ...])
            run.append_epoch({"epoch": epoch, "avg_sse": ..., "cnt_err": ..., "pct_err": ...})
            run.write_weights(epoch, {"Input->Hidden": w}, biases={"Hidden": b})   # optional
            run.write_checkpoint({"weights": {...}, "rng": rng.bit_generator.state, "epoch": epoch})
    # leaving the block normally closes with complete=True; an exception closes with complete=False

    r = RunFile("run.h5"); r.epochs["avg_sse"]; r.complete; r.model; r.checkpoint(); r.weights(5)

Modes are h5py's letters: ``w-``/``x`` create (fail if the file exists; the default), ``w``
truncate, ``a`` / ``r+`` continue an existing run (resume; the stored model must match).
"""
from .runlayout import LEVELS, SCHEMA, SCHEMA_VERSION
from .runreader import RunFile
from .runwriter import WRITE_MODES, RunWriter

__all__ = ["RunWriter", "RunFile", "LEVELS", "SCHEMA", "SCHEMA_VERSION", "WRITE_MODES"]
