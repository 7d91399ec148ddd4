"""The native Leabra core (emergent 8.6 semantics, numpy, float32). Source: shared spec leabra.md.

* :class:`Network` (``network``): a model instantiated; ``cycle()``, ``quarter()``, ``trial(p)``,
  ``epoch()``; unit variables by emergent name (``net.layers["Hidden"].act``), synapse variables
  per projection (``net.projections["Input->Hidden"].var("wt")``).
* :class:`Run` / :class:`RunLog` (``run``): the training loop with emergent's statistics names,
  an observer hook and checkpoint/resume.
"""
from .network import Network
from .run import Run, RunLog

__all__ = ["Network", "Run", "RunLog"]
