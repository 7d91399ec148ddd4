"""Run results: HDF5 run files with provenance, emergent log/weight import, comparison, plots.

* :class:`RunWriter` / :class:`RunFile` (``runfile``): write a run incrementally, read it back.
* :func:`import_emergent` (``importer``): an emergent run's ``.dat`` logs and ``.wts`` files -> run file.
* :func:`compare_runs` (``compare``): per-column differences between two runs, with a verdict.
* :func:`plot_runs` (``plot``): learning curves (needs the optional matplotlib).

The file layout is documented for users of plain h5py/pandas in ``docs/runfile.md``.
"""
from .runfile import LEVELS, SCHEMA, SCHEMA_VERSION, RunFile, RunWriter
from .table import Table

__all__ = ["RunWriter", "RunFile", "Table", "LEVELS", "SCHEMA", "SCHEMA_VERSION"]
