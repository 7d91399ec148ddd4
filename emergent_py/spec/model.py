"""A whole model: network + parameter sheets + patterns + run plan, validated and resolved.

:class:`Model` is what every engine consumes and what results files and job folders store (as
canonical JSON, :meth:`Model.to_json`). Construction validates everything once:

* every sheet entry matches at least one object, and every parameter it sets exists on each
  object it matches;
* patterns name existing non-hidden layers with fitting shapes (one value per coding group for
  a ScalarVal layer), and every input and target layer has patterns;
* a ScalarVal layer's groups have the units its coding needs.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..errors import SpecError, did_you_mean
from .fields import ParamGroup, get_path, leaf_fields, to_dict, with_path
from .network import LAYER_SPECS, LayerKind, Network
from .patterns import Patterns
from .runplan import RunPlan
from .problems import problem
from .scalar_val import check_scalar_val
from .sheet import Sel, Sheet, route, targets

SCHEMA = "emergent_py.model"
SCHEMA_VERSION = 1
DEFAULT = "default"


@dataclass
class Resolved:
    """The final parameter records of one object, with the source of every value set by a sheet."""
    records: dict[str, ParamGroup]
    sources: dict[str, str] = field(default_factory=dict)   # full path -> "sheet[i] sel (file:line)"

    def __getattr__(self, name: str) -> ParamGroup:
        try:
            return self.__dict__["records"][name]
        except KeyError:
            raise AttributeError(name) from None

    def _targets(self, obj_type: str) -> list[tuple[str, str, type]]:
        """The records with their own classes (a layer's spec type: LayerSpec or a subclass)."""
        return [(r, prefix, type(self.records[r])) for r, prefix, _ in targets(obj_type)]

    def value(self, path: str, obj_type: str) -> Any:
        record, sub, _ = route(obj_type, path, type(self.records["layer"]) if obj_type == "Layer" else None)
        return get_path(self.records[record], sub)

    def rows(self, obj_type: str) -> Iterable[tuple[str, Any, str]]:
        """``(path, value, source)`` for every leaf parameter."""
        for record, prefix, cls in self._targets(obj_type):
            for path, _ in leaf_fields(cls):
                full = prefix + path
                yield full, get_path(self.records[record], path), self.sources.get(full, DEFAULT)


def _fresh(obj_type: str, layer_spec: type | None = None) -> Resolved:
    return Resolved({record: cls() for record, _, cls in targets(obj_type, layer_spec)})


def source_label(sheet: Sheet, index: int, sel: Sel) -> str:
    where = ""
    if sheet.origin:
        file = sheet.origin.rpartition(":")[0]
        rel = os.path.relpath(file)
        file = rel if not rel.startswith("..") else file
        where = f" ({file}:{sel.line})" if sel.line else f" ({sheet.origin})"
    return f"{sheet.name}[{sheet.positions[index]}] {sel.sel}{where}"


def resolve(network: Network, sheets: list[Sheet]) -> tuple[dict[str, Resolved], dict[str, Resolved], Resolved]:
    """Apply the sheets in order; return resolved layers, projections and network records."""
    layers = {name: _fresh("Layer", lay.layer_spec) for name, lay in network.layers.items()}
    prjns = {name: _fresh("Prjn") for name in network.projections}
    net = _fresh("Network")
    objects = ([("Layer", l.name, l.classes, layers[l.name]) for l in network.layers.values()]
               + [("Prjn", p.name, p.classes, prjns[p.name]) for p in network.projections.values()]
               + [("Network", network.name, (), net)])
    for sheet in sheets:
        for i, sel in enumerate(sheet):
            label = source_label(sheet, i, sel)
            hit = [o for o in objects if sel.matches(o[0], o[1], o[2])]
            if not hit:
                problem(_no_match_message(network, sel, label))     # (validate: all of them at once)
                continue
            for obj_type, name, _, res in hit:
                spec = network.layers[name].layer_spec if obj_type == "Layer" else None
                for path, value in sel.params.items():
                    r = route(obj_type, path, spec)
                    if r is None:
                        raise SpecError(f"{label}: parameter '{path}' does not exist on "
                                        f"{'layer' if obj_type == 'Layer' else 'projection'} '{name}', "
                                        f"which this selector also matches{_spec_only(path, spec)}")
                    record, sub, _ = r
                    res.records[record] = with_path(res.records[record], sub, value)
                    res.sources[path] = label
    return layers, prjns, net


def _spec_only(path: str, spec: type | None) -> str:
    """`` (a LeabraLayerSpec layer; a member of ScalarValLayerSpec layers)`` for a layer path that
    exists on other spec types only."""
    if spec is None:
        return ""
    owners = [name for name, cls in LAYER_SPECS.items() if cls is not spec and route("Layer", path, cls)]
    return f" (a {spec.EMERGENT_TYPE} layer; a member of {', '.join(owners)} layers)" if owners else ""


def _no_match_message(network: Network, sel: Sel, label: str) -> str:
    objs = [*network.layers.values(), *network.projections.values()]
    classes = sorted({f".{c}" for o in objs for c in o.classes})
    key = sel.sel[4:] if sel.sel.startswith(("Prjn", "Layer")) and sel.sel[:5] != "Layer" else sel.sel
    key = sel.sel[5:] if sel.sel.startswith("Layer") else key
    guess = did_you_mean(key, [f"#{o.name}" for o in objs] + classes) if key else ""
    return (f"{label}: selector '{sel.sel}' matches nothing in network '{network.name}' "
            f"(layers: {', '.join(network.layers)}; classes: {', '.join(classes) or 'none'}).{guess}")


class Model:
    """A validated model ready for an engine.

    Parameters
    ----------
    network : Network
    params : a Sheet, a list of Sheets (applied in order) or None
    patterns : Patterns for every input and target layer
    plan : RunPlan (default ``RunPlan()``)
    notes : what a user must know about where the model came from, e.g. the layers and
        projections an import left out (stored with the model, so in every run file)
    """

    def __init__(self, network: Network, params: Sheet | list[Sheet] | None, patterns: Patterns,
                 plan: RunPlan | None = None, notes: Iterable[str] = ()) -> None:
        if not isinstance(network, Network):
            raise SpecError(f"Model: network must be a Network, got {type(network).__name__}")
        if not network.layers:
            raise SpecError(f"Network '{network.name}' has no layers")
        sheets = [] if params is None else [params] if isinstance(params, Sheet) else list(params)
        for s in sheets:
            if not isinstance(s, Sheet):
                raise SpecError(f"Model: params must be Sheet objects, got {type(s).__name__}")
        if not isinstance(patterns, Patterns):
            raise SpecError(f"Model: patterns must be Patterns, got {type(patterns).__name__}")
        plan = RunPlan() if plan is None else plan
        if not isinstance(plan, RunPlan):
            raise SpecError(f"Model: plan must be a RunPlan, got {type(plan).__name__}")
        self.network, self.sheets, self.patterns, self.plan = network, sheets, patterns, plan
        self.notes = [str(n) for n in notes]
        self._check_patterns()
        self.layer_params, self.prjn_params, self.network_params = resolve(network, sheets)
        for lay in network.layers.values():
            if lay.is_scalar_val:
                check_scalar_val(lay, self.layer_params[lay.name].layer)

    @property
    def name(self) -> str:
        return self.network.name

    def _check_patterns(self) -> None:
        net, pats = self.network, self.patterns
        for lname in pats.layers:
            if lname not in net.layers:
                raise SpecError(f"Patterns: column '{lname}' names no layer of network '{net.name}'."
                                + did_you_mean(lname, net.layers))
            lay = net.layers[lname]
            if lay.kind is LayerKind.HIDDEN:
                raise SpecError(f"Patterns: layer '{lname}' is hidden; only input, target and output "
                                "layers take patterns (set kind= on the layer)")
            shape, want = pats[lname].shape[1:], lay.input_shape
            if shape != want and not (len(shape) == 1 and shape[0] == math.prod(want)):
                if lay.is_scalar_val:
                    raise SpecError(f"Patterns['{lname}']: pattern shape {shape} does not fit "
                                    f"ScalarVal layer '{lname}' of shape {lay.shape}: its column holds "
                                    f"one value per coding group, shape {want} (or ({lay.n_groups},))")
                raise SpecError(f"Patterns['{lname}']: pattern shape {shape} does not fit layer "
                                f"'{lname}' of shape {lay.shape}")
        for lay in net.layers.values():
            if lay.kind is not LayerKind.HIDDEN and lay.name not in pats:
                raise SpecError(f"Layer '{lay.name}' is {lay.kind.value.lower()} but the patterns have "
                                f"no column for it (have: {', '.join(pats.layers)})")

    def pattern_rows(self, layer: str) -> np.ndarray:
        """Patterns of ``layer`` as a ``(n_trials, n_units)`` float32 array (``(n_trials,
        n_groups)`` for a ScalarVal layer: one value per coding group)."""
        arr = self.patterns[layer]
        return arr.reshape(arr.shape[0], -1)

    # -- equality and plain data
    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Model) and self.network == other.network
                and self.sheets == other.sheets and self.patterns == other.patterns
                and self.plan == other.plan)

    def __repr__(self) -> str:
        return (f"Model({self.name!r}: {len(self.network.layers)} layers, "
                f"{len(self.network.projections)} projections, {self.patterns.n} patterns)")

    def resolved_dict(self) -> dict:
        return {
            "layers": {n: {k: to_dict(v) for k, v in r.records.items()} for n, r in self.layer_params.items()},
            "projections": {n: {k: to_dict(v) for k, v in r.records.items()} for n, r in self.prjn_params.items()},
            "network": {k: to_dict(v) for k, v in self.network_params.records.items()},
        }

    def to_dict(self) -> dict:
        data = {
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
            "network": self.network.to_dict(),
            "sheets": [s.to_dict() for s in self.sheets],
            "patterns": self.patterns.to_dict(),
            "plan": self.plan.to_dict(),
            "resolved": self.resolved_dict(),
        }
        if self.notes:           # (absent when empty: a model's JSON text stays as it was)
            data["notes"] = list(self.notes)
        return data

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, fixed indentation, exact floats; same model -> same text."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=1, ensure_ascii=True,
                          allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict, where: str = "model JSON") -> "Model":
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise SpecError(f"{where}: not an emergent_py model (schema field is not '{SCHEMA}')")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise SpecError(f"{where}: schema_version {version!r} is not supported "
                            f"(this emergent_py reads version {SCHEMA_VERSION})")
        try:
            model = cls(Network.from_dict(data["network"]),
                        [Sheet.from_dict(s) for s in data["sheets"]],
                        Patterns.from_dict(data["patterns"]), RunPlan.from_dict(data["plan"]),
                        data.get("notes", ()))
        except KeyError as e:
            raise SpecError(f"{where}: missing field {e}") from e
        stored = data.get("resolved")
        if stored is not None and stored != model.resolved_dict():
            raise SpecError(f"{where}: its resolved parameters differ from what this version of "
                            f"emergent_py computes from its sheets ({_first_diff(stored, model.resolved_dict())}); "
                            "it was written with different defaults")
        return model

    @classmethod
    def from_json(cls, text: str, where: str = "model JSON") -> "Model":
        try:
            data = json.loads(text, object_pairs_hook=lambda pairs: _unique_keys(pairs, where))
        except json.JSONDecodeError as e:
            raise SpecError(f"{where}: invalid JSON at line {e.lineno}: {e.msg}") from e
        return cls.from_dict(data, where)


def _unique_keys(pairs: list[tuple[str, Any]], where: str) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice (json keeps the last one silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise SpecError(f"{where}: key {key!r} appears twice in one JSON object (keys: "
                            f"{', '.join(repr(k) for k, _ in pairs)[:200]}); keep one")
        out[key] = value
    return out


def _first_diff(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _first_diff(a.get(k), b.get(k), f"{path}.{k}" if path else k)
    return f"{path}: stored {a!r}, computed {b!r}"
