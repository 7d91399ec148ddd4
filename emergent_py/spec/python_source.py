"""A model as a readable Python model file (``build()`` returning the same model).

Used by ``emergent-py import-proj PROJ -o model.py`` to move a model from an emergent project to
the spec API. The file holds the network (layers, projections, classes), one sheet with only the
values that differ from the emergent 8.6 code defaults (values every layer / every projection
shares in one ``Layer`` / ``Prjn`` entry, the rest per object), the run plan and the model's
notes. The patterns go to a ``.dat`` file beside it (exact float32), read back by
``Patterns.from_dat``. Loading the file gives a model with the same network, patterns, plan and
resolved parameters.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from .fields import get_path, leaf_fields
from .model import Model
from .network import DEFAULT_LAYER_SPEC, Full
from .sheet import TARGETS


def model_source(model: Model, patterns_file: str, doc: str = "") -> str:
    """Python source of a model file for ``model``; its patterns are read from ``patterns_file``
    (a name relative to the model file's folder)."""
    net = model.network
    out = [f'"""{_doc(doc or f"Model {model.name}.")}"""',
           "from pathlib import Path", "",
           "from emergent_py import Model, Network, Patterns, RunPlan, Sheet",
           "from emergent_py.spec import " + ", ".join(sorted(
               {type(p.pattern).__name__ for p in net.projections.values()} | {"Full"})), "",
           "HERE = Path(__file__).resolve().parent", "", "",
           "def build():",
           f"    net = Network({net.name!r})"]
    for lay in net.layers.values():
        cls = f", cls={lay.cls!r}" if lay.cls else ""
        if lay.spec_type != DEFAULT_LAYER_SPEC:
            cls += f", spec_type={lay.spec_type!r}"
        out.append(f"    net.layer({lay.name!r}, {lay.shape!r}, kind={lay.kind.value.lower()!r}{cls})")
    for p in net.projections.values():
        extra = (f", cls={p.cls!r}" if p.cls else "") + (
            f", name={p.name!r}" if p.name != f"{p.send}->{p.recv}" else "")
        out.append(f"    net.connect({p.send!r}, {p.recv!r}, {_pattern(p.pattern)}{extra})")
    out.append("    params = Sheet({")
    for sel, values in _entries(model):
        out.append(f"        {sel!r}: {{")
        out.extend(f"            {k!r}: {_value(v)}," for k, v in values.items())
        out.append("        },")
    out.append(f"    }}, name={model.sheets[0].name if model.sheets else 'Base'!r})")
    layers = [n for n in model.patterns.layers]
    out.append(f"    pats = Patterns.from_dat(str(HERE / {patterns_file!r}), {layers!r})")
    plan = model.plan.to_dict()
    out.append("    plan = RunPlan(" + ", ".join(f"{k}={_value(v)}" for k, v in plan.items()) + ")")
    if model.notes:
        out.append("    notes = [")
        out.extend(f"        {n!r}," for n in model.notes)
        out.append("    ]")
        out.append("    return Model(net, params, pats, plan, notes)")
    else:
        out.append("    return Model(net, params, pats, plan)")
    return "\n".join(out) + "\n"


def _entries(model: Model) -> list[tuple[str, dict[str, Any]]]:
    """Sheet entries that give every object its resolved values: shared values first."""
    entries: list[tuple[str, dict[str, Any]]] = []
    groups = (("Layer", model.layer_params, ""), ("Prjn", model.prjn_params, ""))
    for obj_type, resolved, _ in groups:
        changed = {name: _non_default(res, obj_type) for name, res in resolved.items()}
        if not changed:
            continue
        first = next(iter(changed.values()))
        common = {k: v for k, v in first.items()
                  if all(k in c and c[k] == v for c in changed.values())}
        if common:
            entries.append((obj_type, common))
        for name, values in changed.items():
            own = {k: v for k, v in values.items() if k not in common}
            if own:
                entries.append(("#" + name, own))
    net = _non_default(model.network_params, "Network")
    if net:
        entries.append(("Network", net))
    return entries


def _non_default(res, obj_type: str) -> dict[str, Any]:
    """The values that differ from the defaults of each record's own class (a ScalarVal layer's
    from ScalarValLayerSpec's: its gi 2.2 is a default there)."""
    out = {}
    for record, prefix, _ in TARGETS[obj_type]:
        got = res.records[record]
        cls = type(got)
        default = cls()
        for path, _ in leaf_fields(cls):
            a, b = get_path(got, path), get_path(default, path)
            if a != b:
                out[prefix + path] = a
    return out


def _pattern(pat) -> str:
    """The pattern's constructor call with the fields that differ from their defaults."""
    if isinstance(pat, Full):
        return "Full()"
    args = [f"{f.name}={getattr(pat, f.name)!r}" for f in dataclasses.fields(pat)
            if f.default is dataclasses.MISSING or getattr(pat, f.name) != f.default]
    return f"{type(pat).__name__}({', '.join(args)})"


def _value(v: Any) -> str:
    return repr(v)


def _doc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', "'''")
