"""A hidden layer solves the impossible task (CCN textbook ch. 4, ``err_driven_hidden``).

The network and tasks are those of OReillyMunakataFrankEtAl2012_1 (the pattern associator),
with a 1 x 4 Hidden layer between Input and Output; this project's ``build()`` trains it on the
impossible task, which the two-layer network cannot learn.
"""
from __future__ import annotations

from pathlib import Path

from emergent_py.spec.loader import import_model_file

_PAT_ASSOC = Path(__file__).resolve().parent.parent / "OReillyMunakataFrankEtAl2012_1" / "model.py"


def _pat_assoc():
    """The sibling project's module (one definition of the tasks and the network)."""
    return import_model_file(_PAT_ASSOC)


def build(task: str = "impossible", epochs: int = 100, seed: int = 0):
    """(network, params, patterns, plan): Input -> Hidden <-> Output on ``task``."""
    return _pat_assoc().build(task=task, hidden=True, epochs=epochs, seed=seed)
