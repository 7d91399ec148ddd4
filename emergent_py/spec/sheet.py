"""Ordered parameter sheets with CSS-like selectors, as in emergent's params system.

A :class:`Sheet` is an ordered list of :class:`Sel` entries; a model takes a list of sheets.
Entries are applied in order, sheet after sheet, so a later entry overrides an earlier one
(no specificity rules: order is the whole story, which keeps it predictable).

Selectors::

    Layer   Prjn   Network        every object of that type
    .Class                        layers or projections with that class label
    #Name                         the layer (or projection, e.g. '#Input->Hidden') of that name
    Layer.Class  Layer#Name  Prjn.Class  Prjn#Name    restricted to one type

Layer entries set unit-spec members (``act.gain``), layer-spec members (``lay_inhib.gi``) and,
with the prefix ``bias.``, bias-spec members; a layer's spec type (``Layer(spec_type=...)``)
adds its own members (``scalar.rep`` on ScalarValLayerSpec layers), which exist on those layers
only. Projection entries set con-spec members
(``wt_scale.rel``). The ``Network`` entry sets network members (``stats.cnt_err_tol``).
Every name is checked when the entry is built; a selector that matches nothing is an error when
the model is resolved.
"""
from __future__ import annotations

import inspect
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..errors import SpecError, did_you_mean
from .fields import check_value, find_leaf, leaf_fields
from .network import LAYER_SPECS
from .params import BiasSpec, ConSpec, LayerSpec, NetworkSpec, UnitSpec
from .problems import problem

_SEL = re.compile(r"^(?P<type>Layer|Prjn|Network)?(?:(?P<mark>[.#])(?P<name>[^\s.#]+))?$")

# Which record a path belongs to, per object type. Order matters only for error suggestions.
TARGETS: dict[str, list[tuple[str, str, type]]] = {
    "Layer": [("unit", "", UnitSpec), ("layer", "", LayerSpec), ("bias", "bias.", BiasSpec)],
    "Prjn": [("con", "", ConSpec)],
    "Network": [("network", "", NetworkSpec)],
}


def targets(obj_type: str, layer_spec: type | None = None) -> list[tuple[str, str, type]]:
    """The records of an object type; for a layer, with the record class of its spec type
    (``layer_spec``, default LayerSpec)."""
    if obj_type == "Layer" and layer_spec is not None:
        return [(r, p, layer_spec if r == "layer" else cls) for r, p, cls in TARGETS["Layer"]]
    return TARGETS[obj_type]


def valid_paths(obj_type: str, layer_spec: type | None = None) -> list[str]:
    return [prefix + p for _, prefix, cls in targets(obj_type, layer_spec) for p, _ in leaf_fields(cls)]


def route(obj_type: str, path: str, layer_spec: type | None = None) -> tuple[str, str, Any] | None:
    """Return ``(record, path_in_record, field)`` for a dotted path on an object type (a layer of
    spec type ``layer_spec``: LayerSpec by default), or None."""
    for record, prefix, cls in targets(obj_type, layer_spec):
        if prefix and not path.startswith(prefix):
            continue
        f = find_leaf(cls, path[len(prefix):])
        if f is not None:
            return record, path[len(prefix):], f
    return None


@dataclass(frozen=True)
class Sel:
    """One sheet entry: a selector, the values it sets, and why."""
    sel: str
    params: Mapping[str, Any]
    doc: str = ""
    line: int | None = field(default=None, compare=False)   # source line, for `show`

    def __post_init__(self) -> None:
        m = _SEL.match(self.sel) if isinstance(self.sel, str) else None
        if not m or not (m["type"] or m["mark"]):
            raise SpecError(f"selector {self.sel!r}: expected Layer, Prjn, Network, .Class, #Name "
                            "or Layer.Class / Layer#Name / Prjn.Class / Prjn#Name")
        if m["type"] == "Network" and m["mark"]:
            raise SpecError(f"selector {self.sel!r}: Network takes no class or name")
        if not isinstance(self.params, Mapping) or not self.params:
            raise SpecError(f"selector {self.sel!r}: params must be a non-empty mapping "
                            "of 'member.path' -> value")
        object.__setattr__(self, "params", dict(self.params))
        for path, value in self.params.items():
            self._check(path, value)

    @property
    def types(self) -> tuple[str, ...]:
        """The object types this selector can match."""
        m = _SEL.match(self.sel)
        return (m["type"],) if m["type"] else ("Layer", "Prjn")

    def _check(self, path: str, value: Any) -> None:
        if not isinstance(path, str):
            raise SpecError(f"selector '{self.sel}': parameter names are strings, got {path!r}")
        types = self.types
        # (a layer path may belong to one spec type only: resolving says which layers lack it)
        routes = {(t, spec): route(t, path, spec) for t in types
                  for spec in (LAYER_SPECS.values() if t == "Layer" else (None,))}
        hits = {t: r for t, r in routes.items() if r is not None}
        if not hits:
            choices = list(dict.fromkeys(p for t, spec in routes for p in valid_paths(t, spec)))
            raise SpecError(f"selector '{self.sel}': unknown parameter '{path}'."
                            + (did_you_mean(path, choices) or
                               f" Parameters of {'/'.join(types)} are e.g. {', '.join(choices[:4])}; "
                               "run `emergent-py params` for the full list."))
        for t, (record, sub, f) in hits.items():
            check_value(f"selector '{self.sel}': {path}", f.metadata, value)

    def matches(self, obj_type: str, name: str, classes: Iterable[str]) -> bool:
        m = _SEL.match(self.sel)
        if m["type"] and m["type"] != obj_type:
            return False
        if obj_type not in self.types:
            return False
        if m["mark"] == "#":
            return name == m["name"]
        if m["mark"] == ".":
            return m["name"] in classes
        return True


class Sheet:
    """An ordered, named list of selector entries.

    ``Sheet({"Layer": {"lay_inhib.gi": 1.8}, "#Output": {"lay_inhib.gi": 1.4}}, name="Base")``
    or ``Sheet([Sel("Layer", {...}, doc="why"), ...])``.
    """

    def __init__(self, entries: Mapping[str, Mapping[str, Any]] | Iterable[Sel], name: str = "Base",
                 _origin: str | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise SpecError(f"Sheet name must be a non-empty string, got {name!r}")
        self.name = name
        self.origin = _origin if _origin is not None else _caller_location()
        if isinstance(entries, Mapping):
            sels, self.positions = [], []      # positions: entries left out (validate) keep their numbers
            for i, (k, v) in enumerate(entries.items()):
                try:
                    sels.append(Sel(k, v))
                    self.positions.append(i)
                except SpecError as e:      # name the entry and its line, as a selector error does
                    problem(f"{name}[{i}] {k}{_where(self.origin, k)}: {e}")
        else:
            sels = list(entries)
            self.positions = list(range(len(sels)))
            for s in sels:
                if not isinstance(s, Sel):
                    raise SpecError(f"Sheet '{name}': entries must be Sel objects or a dict, got {s!r}")
        self.sels = [_with_line(s, self.origin) for s in sels]

    def __iter__(self):
        return iter(self.sels)

    def __len__(self) -> int:
        return len(self.sels)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sheet) and self.name == other.name and self.sels == other.sels

    def __repr__(self) -> str:
        return f"Sheet({self.name!r}, {len(self.sels)} entries)"

    def to_dict(self) -> dict:
        return {"name": self.name,
                "entries": [{"sel": s.sel, "params": dict(s.params), "doc": s.doc} for s in self.sels]}

    @classmethod
    def from_dict(cls, data: dict) -> "Sheet":
        try:
            return cls([Sel(e["sel"], e["params"], e.get("doc", "")) for e in data["entries"]],
                       name=data["name"], _origin="")
        except (KeyError, TypeError) as e:
            raise SpecError(f"sheet description is missing or has a malformed field: {e}") from e


def _caller_location() -> str:
    """'file.py:LINE' of the first frame outside this package: where the user built the sheet."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for frame in inspect.stack(context=0)[2:]:
        if not os.path.abspath(frame.filename).startswith(here):
            return f"{frame.filename}:{frame.lineno}"
    return ""


def _where(origin: str, selector: str) -> str:
    """``" (file.py:LINE)"`` of a selector's entry in the Sheet(...) call at ``origin`` ("" if unknown)."""
    line = _line_of(origin, selector)
    if line is None:
        return ""
    file = origin.rpartition(":")[0]
    rel = os.path.relpath(file)
    return f" ({rel if not rel.startswith('..') else file}:{line})"


def _line_of(origin: str, selector: str) -> int | None:
    """The first line at/after the Sheet(...) call at ``origin`` that names ``selector``."""
    if not origin:
        return None
    path, _, lineno = origin.rpartition(":")
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for i in range(max(int(lineno) - 1, 0), len(lines)):     # the call's first line, then on
        if f'"{selector}"' in lines[i] or f"'{selector}'" in lines[i]:
            return i + 1
    return None


def _with_line(sel: Sel, origin: str) -> Sel:
    """The entry with its source line (see :func:`_line_of`), when it has none yet."""
    if sel.line is not None or not origin:
        return sel
    line = _line_of(origin, sel.sel)
    return sel if line is None else Sel(sel.sel, sel.params, sel.doc, line=line)
