"""Run results: HDF5 run files with provenance, emergent log/weight import, comparison, plots.

* :class:`RunWriter` / :class:`RunFile` (``runfile``, re-exported here): write a run
  incrementally, read it back.
* ``importer.import_emergent``: an emergent run's ``.dat`` logs and ``.wts`` files -> run file.
* ``compare.compare_runs``: per-column differences between two runs, with a verdict.
* ``plot.plot_runs``: learning curves (needs the optional matplotlib).

Only ``runfile`` and ``table`` are imported here: ``emergent.dat`` builds on ``table``, and the
importer builds on ``emergent.dat``, so importing it here would be circular.

The file layout is documented for users of plain h5py/pandas in ``docs/runfile.md``.
"""
from .runfile import LEVELS, SCHEMA, SCHEMA_VERSION, RunFile, RunWriter
from .table import Table

__all__ = ["RunWriter", "RunFile", "Table", "LEVELS", "SCHEMA", "SCHEMA_VERSION"]
