"""Collecting a model's errors instead of stopping at the first (``emergent-py validate``).

A model file is Python: its ``build()`` runs top to bottom, and an error raised in it stops it.
For the errors that need not stop it (an unknown parameter in a sheet entry, a selector that
matches nothing) the spec code calls :func:`problem`: outside :func:`collecting` that raises as
before; inside, the error is recorded, the faulty entry is left out and the model is built on,
so that ``validate`` can report every such error at once, each with its file:line.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

from ..errors import SpecError

_found: contextvars.ContextVar[list | None] = contextvars.ContextVar("emergent_py_spec_problems", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[list[str]]:
    """Within the block, :func:`problem` records instead of raising; yields the list of messages."""
    found: list[str] = []
    token = _found.set(found)
    try:
        yield found
    finally:
        _found.reset(token)


def problem(message: str) -> None:
    """Raise ``SpecError(message)``, or record it when collecting (the caller then skips the item)."""
    found = _found.get()
    if found is None:
        raise SpecError(message)
    if message not in found:
        found.append(message)
