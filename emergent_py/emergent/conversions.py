"""Load-time conversions: what emergent 8.6.1 changes in a project saved by an older version
when it loads it (leabra.md 14.1), so that an imported project runs as emergent 8.6.1 runs it.

An import keeps the values the project stores and the 8.6 code defaults for the members it
lacks; for an older project that is not what emergent runs. Each :class:`Conversion` names the
versions it applies to (projects saved before ``before``), the objects it touches and its rule.
:func:`conversion_sheet` returns the conversions that ran as a Sheet named
:data:`SHEET_NAME`, applied after the project's own sheet: the model records them (its sheets
go into its JSON, run files and job folders), and ``emergent-py show`` lists them and gives each
converted value this sheet as its source.

The table holds every conversion leabra.md documents; a conversion emergent applies that the
spec does not document is not known here (see docs/emergent.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..spec.fields import get_path
from ..spec.params import ConSpec
from ..spec.sheet import Sel, Sheet

#: name of the sheet holding the conversions that ran
SHEET_NAME = "emergent-conversions"


def parse_version(text: str) -> tuple[int, ...]:
    """``"8.5.0.0"`` -> ``(8, 5, 0, 0)``; ``""`` (a file without a code version: ta_Dump v1/v2,
    emergent 7 and older) -> ``()``, older than every version."""
    m = re.match(r"\s*(\d+(?:\.\d+)*)", text or "")
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


@dataclass(frozen=True)
class Conversion:
    """One load-time conversion of emergent 8.6.1.

    ``rule(params)`` gets an object's parameters as imported (``{path: value}``, the project's
    values; a path it lacks is the 8.6 code default) and returns the values emergent sets."""
    name: str
    before: tuple[int, ...]          # applies to projects saved by a version < before
    objects: str                     # "Prjn": every projection's con spec
    what: str                        # one line for `show` and the docs
    rule: Callable[[Callable[[str], Any]], dict[str, Any]]

    def applies(self, version: str) -> bool:
        return parse_version(version) < self.before


def _dwt_norm_from_momentum(value: Callable[[str], Any]) -> dict[str, Any]:
    # 8.5.0-8.5.2 normalized weight changes inside momentum (momentum.on) and had no dwt_norm;
    # 8.6 keeps the product of the learning-rate compensations (momentum 0.1 x dwt_norm 0.1 =
    # the old lrate_comp 0.01) with a per-synapse (SYN) running maximum, as the old dwavg was
    if value("momentum.on"):
        return {"dwt_norm.on": True, "dwt_norm.level": "SYN", "dwt_norm.lr_comp": 0.1}
    return {"dwt_norm.on": False}


CONVERSIONS: tuple[Conversion, ...] = (
    Conversion("dwt_norm_from_momentum", (8, 5, 6), "Prjn",
               "before 8.5.6, momentum on -> dwt_norm on at level SYN with lr_comp 0.1, "
               "momentum off -> dwt_norm off",
               _dwt_norm_from_momentum),
)


def conversions_for(version: str) -> list[Conversion]:
    """The conversions emergent 8.6.1 applies to a project saved by ``version``."""
    return [c for c in CONVERSIONS if c.applies(version)]


def conversion_sheet(version: str, entries: Mapping[str, Mapping[str, Any]], lines: Mapping[str, int],
                     network, origin: str = "") -> Sheet | None:
    """The conversions that run for a project saved by ``version``, as a Sheet (None if none).

    ``entries``: the import's selector -> parameters (``"#Input->Hidden": {...}``, the values the
    project stores); ``lines``: selector -> the line of its object in the project (for ``show``);
    ``network``: the imported spec Network; ``origin``: ``"file:1"``."""
    convs = [c for c in conversions_for(version) if c.objects == "Prjn"]
    saved = version or "a version without a code version"
    sels = []
    for name in (network.projections if convs else ()):
        params = entries.get(f"#{name}", {})

        def value(path: str, params=params) -> Any:
            return params[path] if path in params else get_path(ConSpec(), path)
        for c in convs:
            changes = c.rule(value)
            if changes:
                sels.append(Sel(f"#{name}", changes, doc=f"{c.name}, project saved by {saved}: {c.what}",
                                line=lines.get(f"#{name}", 0)))
    return Sheet(sels, name=SHEET_NAME, _origin=origin) if sels else None


def conversions_run(model) -> list[str]:
    """One line per conversion entry a model carries (its :data:`SHEET_NAME` sheet):
    ``"#Input->Hidden: dwt_norm.on=False (dwt_norm_from_momentum, project saved by 8.5.0.0: ...)"``."""
    return [describe(s) for sheet in model.sheets if sheet.name == SHEET_NAME for s in sheet]


def describe(sel: Sel) -> str:
    return f"{sel.sel}: " + ", ".join(f"{k}={v}" for k, v in sel.params.items()) + f" ({sel.doc})"
