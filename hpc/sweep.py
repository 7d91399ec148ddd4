"""Parameter sweeps and seed replicas: from ``--sweep`` / ``--seeds`` to one model per run.

A sweep parameter is written ``path=v1,v2,...`` (the selector is then ``Layer``, ``Prjn`` or
``Network``, whichever owns ``path``) or ``SELECTOR:path=v1,v2`` (e.g.
``#Output:lay_inhib.gi=1.4,1.6``); ``build:NAME=v1,v2`` sweeps a keyword argument of the model
file's ``build()`` (e.g. ``build:n_hidden=25,49``). A value may be a range ``START:STOP:STEP``
(STOP included when a step lands on it: ``1.6:2.0:0.1`` is 1.6, 1.7, 1.8, 1.9, 2.0). The runs are
the cartesian product of all sweep parameters (first parameter slowest) times the seeds.

A run's model is the base model (built with the point's ``build:`` arguments) with one extra sheet
named ``sweep`` appended after the model's own sheets, and ``RunPlan.seed`` replaced. A swept
value applies at the priority its selector states: ``Layer:lay_inhib.gi`` sets the layers whose
value comes from a ``Layer`` entry (or the default), not a layer the model sets with a more
specific entry (``#Output``, ``.Class``); those keep their value, :func:`shadowed` names them
(submit warns before writing anything), and ``--sweep-override`` makes the swept value win
everywhere its selector matches.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from ..errors import SpecError, SubmitError, did_you_mean
from ..spec import Model, RunPlan, Sel, Sheet
from ..spec.model import source_label
from ..spec.sheet import route, valid_paths

SWEEP_SHEET = "sweep"
#: the doc of every entry of the sweep sheet: this prefix, then the point's values as JSON
#: (results/provenance.py reads them back; it cannot import this module)
SWEPT_DOC = "swept by emergent-py submit: "
#: the pseudo-selector of a sweep over a keyword argument of the model file's build()
BUILD = "build"
#: a range expanding to more values than this is almost certainly a typo in its step
MAX_RANGE_VALUES = 10000


@dataclass(frozen=True)
class SweepParam:
    """One swept parameter: ``selector`` (e.g. ``Layer``, ``#Output``), dotted ``path``, ``values``."""
    selector: str
    path: str
    values: tuple[Any, ...]
    override: bool = False      # --sweep-override: win over the model's more specific entries

    @property
    def key(self) -> str:
        """``SELECTOR:path``, the label used in manifests and the collected table."""
        return f"{self.selector}:{self.path}"


@dataclass(frozen=True)
class RunPoint:
    """One run of a job: its index (array task id), swept values (key -> value) and seed."""
    index: int
    values: dict[str, Any]
    seed: int
    #: keys of ``values`` swept with --sweep-override
    override: frozenset = field(default=frozenset(), compare=False)
    #: the model built with this point's ``build:`` arguments (None: the base model)
    base: Model | None = field(default=None, compare=False, repr=False)

    @property
    def dir(self) -> str:
        """The run's folder inside the job folder (``runs/007``)."""
        return f"runs/{self.index:03d}"


def _value(text: str) -> Any:
    """A sweep value as the sheet expects it: int, float, bool or (anything else) string."""
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    return t


def _owner(path: str) -> str:
    for obj_type in ("Layer", "Prjn", "Network"):
        if route(obj_type, path) is not None:
            return obj_type
    names = [p for t in ("Layer", "Prjn", "Network") for p in valid_paths(t)]
    guess = did_you_mean(path, names)
    build_hint = f" (a keyword argument of build() is swept as '{BUILD}:{path}=...')" if path.isidentifier() else ""
    raise SubmitError(f"--sweep: no layer, projection or network parameter '{path}'."
                      + (guess or " Run `emergent-py params` for the names.") + build_hint)


def _range(text: str, item: str) -> tuple[Any, ...]:
    """``START:STOP:STEP`` -> the values from START by STEP up to STOP (included when a step
    lands on it), exact in decimal (1.6:2.0:0.1 gives 1.7, not 1.7000000000000002)."""
    parts = [p.strip() for p in item.split(":")]
    try:
        if len(parts) != 3:
            raise InvalidOperation
        start, stop, step = (Decimal(p) for p in parts)
    except InvalidOperation:
        raise SubmitError(f"--sweep {text!r}: range '{item}': write START:STOP:STEP, e.g. 1.6:2.0:0.1") from None
    if step <= 0 or stop < start:
        raise SubmitError(f"--sweep {text!r}: range '{item}': needs STEP > 0 and STOP >= START")
    n = int((stop - start) / step) + 1
    if n > MAX_RANGE_VALUES:
        raise SubmitError(f"--sweep {text!r}: range '{item}' gives {n} values (more than "
                          f"{MAX_RANGE_VALUES}); check the step")
    as_int = all(d == d.to_integral_value() and "." not in p for d, p in zip((start, stop, step), parts))
    return tuple(int(start + k * step) if as_int else float(start + k * step) for k in range(n))


def _values(text: str, vals: str) -> tuple[Any, ...]:
    values: list[Any] = []
    for item in (v.strip() for v in vals.split(",")):
        if item:
            values.extend(_range(text, item) if ":" in item else (_value(item),))
    return tuple(values)


def parse_sweep(text: str, override: bool = False) -> SweepParam:
    """Parse ``[SELECTOR:]path=v1,v2,...`` or ``build:NAME=v1,v2,...`` (values or ranges
    ``START:STOP:STEP``); ``override``: the values win over the model's more specific entries.

    Raises
    ------
    SubmitError
        on a missing ``=``, an empty value list, a bad range, or an unknown parameter.
    """
    head, eq, vals = text.partition("=")
    if not eq or not head.strip():
        raise SubmitError(f"--sweep {text!r}: write [SELECTOR:]path=v1,v2,... or build:NAME=v1,v2,... "
                          "(e.g. lay_inhib.gi=1.6,1.8, '#Output:lay_inhib.gi=1.4:2.0:0.2' or build:n_hidden=25,49)")
    sel, colon, path = head.strip().rpartition(":")
    path = path.strip()
    sel = sel.strip() if colon else _owner(path)
    values = _values(text, vals)
    if not values:
        raise SubmitError(f"--sweep {text!r}: no values after '='")
    if len(set(map(repr, values))) != len(values):
        raise SubmitError(f"--sweep {text!r}: a value is listed twice")
    if sel == BUILD:
        if not path.isidentifier():
            raise SubmitError(f"--sweep {text!r}: '{path}' is not a keyword argument name")
        return SweepParam(sel, path, values, override)
    try:
        for v in values:
            Sel(sel, {path: v})                     # checks selector, parameter name and value
    except SpecError as e:
        raise SubmitError(f"--sweep {text!r}: {e}") from e
    return SweepParam(sel, path, values, override)


def parse_seeds(text: str | None, base_seed: int) -> list[int]:
    """``--seeds N`` -> N seeds from the model's seed up; ``--seeds 3,7,9`` -> those seeds."""
    if text is None:
        return [base_seed]
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise SubmitError(f"--seeds {text!r}: give a count (e.g. 5) or a list of seeds (e.g. 1,2,3)") from None
    if len(nums) == 1 and "," not in str(text):
        if nums[0] < 1:
            raise SubmitError(f"--seeds {text!r}: the count must be at least 1")
        return [base_seed + k for k in range(nums[0])]
    if any(n < 0 for n in nums) or len(set(nums)) != len(nums):
        raise SubmitError(f"--seeds {text!r}: seeds must be distinct integers >= 0")
    return nums


def expand(params: list[SweepParam], seeds: list[int],
           build: Callable[[dict], Model] | None = None) -> list[RunPoint]:
    """Every run: the product of all sweep values (first parameter slowest) times the seeds.
    ``build(kwargs)`` makes the model for a point's ``build:`` arguments (needed when swept;
    called once per combination of them)."""
    keys = [p.key for p in params]
    if len(set(keys)) != len(keys):
        raise SubmitError(f"--sweep: a parameter is swept twice ({', '.join(keys)})")
    build_keys = [p.key for p in params if p.selector == BUILD]
    if build_keys and build is None:
        raise SubmitError(f"--sweep {build_keys[0]}: sweeping build() arguments needs the model's "
                          "Python file as SPEC")
    override = frozenset(p.key for p in params if p.override)
    bases: dict[str, Model] = {}
    points = []
    for i, combo in enumerate(itertools.product(*(p.values for p in params), seeds)):
        values = dict(zip(keys, combo[:-1]))
        base = None
        if build_keys:
            kwargs = {k.partition(":")[2]: values[k] for k in build_keys}
            tag = json.dumps(kwargs, sort_keys=True)
            if tag not in bases:
                bases[tag] = build(kwargs)
            base = bases[tag]
        points.append(RunPoint(i, values, combo[-1], override, base))
    return points


def _rank(selector: str) -> int:
    """How specific a selector is: a type 0, a class 1, a name 2 (``Layer.X`` counts as a class)."""
    return 2 if "#" in selector else 1 if "." in selector else 0


def _objects(model: Model, selector: str, path: str):
    """``(obj_type, name, classes)`` of every object ``selector`` matches that has ``path``."""
    probe = Sel(selector, {path: _any_value(selector, path)}) if selector != "Network" else None
    net = model.network
    objs = ([("Layer", l.name, l.classes) for l in net.layers.values()]
            + [("Prjn", p.name, p.classes) for p in net.projections.values()])
    if probe is None:
        return [("Network", net.name, ())]
    return [o for o in objs if probe.matches(*o) and route(o[0], path) is not None]


def _any_value(selector: str, path: str) -> Any:
    types = ("Layer", "Prjn") if selector[:1] in ".#" else (selector.split(".")[0].split("#")[0],)
    for t in types:
        r = route(t, path)
        if r is not None:
            return r[2].default
    raise SubmitError(f"--sweep {selector}:{path}: no such parameter")


def _setter(model: Model, obj: tuple, path: str) -> tuple[str, Sel] | None:
    """The model's entry that sets ``path`` of ``obj`` last (label, entry), None: the default."""
    found = None
    for sheet in model.sheets:
        for i, sel in enumerate(sheet):
            if path in sel.params and sel.matches(*obj):
                found = (source_label(sheet, i, sel), sel)
    return found


@dataclass(frozen=True)
class Shadow:
    """An object a sweep's selector matches whose value the model sets with a more specific entry."""
    key: str           # the sweep's SELECTOR:path
    obj_type: str
    name: str
    source: str        # the model's entry, e.g. "Base[1] #Output (model.py:15)"
    value: Any

    def message(self) -> str:
        what = "layer" if self.obj_type == "Layer" else "projection"
        return (f"--sweep {self.key}: {what} {self.name} keeps its {self.key.partition(':')[2]} = "
                f"{self.value!r} from {self.source}, a more specific entry than {self.key.partition(':')[0]}; "
                f"sweep it there with '#{self.name}:{self.key.partition(':')[2]}=...', or pass "
                f"--sweep-override to let the swept values win everywhere")


def shadowed(model: Model, params: list[SweepParam]) -> list[Shadow]:
    """The objects each swept parameter leaves alone because the model sets them more
    specifically (not those another, as specific sweep parameter of the same path covers, nor
    any of a parameter swept with override)."""
    out = []
    for p in params:
        if p.selector == BUILD or p.override:
            continue
        covering = [q for q in params if q.path == p.path and q.selector != BUILD and q is not p
                    and _rank(q.selector) > _rank(p.selector)]
        for obj in _objects(model, p.selector, p.path):
            hit = _setter(model, obj, p.path)
            if hit is None or _rank(hit[1].sel) <= _rank(p.selector):
                continue
            if any(Sel(q.selector, {q.path: q.values[0]}).matches(*obj) for q in covering):
                continue
            out.append(Shadow(p.key, obj[0], obj[1], hit[0], hit[1].params[p.path]))
    return out


def _entries(model: Model, key: str, value: Any, override: bool) -> list[Sel]:
    """The sweep sheet's entries for one swept value: its own selector when nothing of the model
    is more specific (or with override), else one entry per object it may set."""
    sel, _, path = key.partition(":")
    param = SweepParam(sel, path, (value,), override)
    hidden = {(s.obj_type, s.name) for s in shadowed(model, [param])}
    if not hidden:
        return [Sel(sel, {path: value})]
    targets = [o for o in _objects(model, sel, path) if (o[0], o[1]) not in hidden]
    if not targets:
        raise SubmitError(f"--sweep {key}: every object it matches is set by a more specific entry "
                          f"of the model, so the sweep would change nothing; name them in the "
                          f"selector or pass --sweep-override")
    return [Sel(f"{t}#{name}", {path: value}) for t, name, _ in targets]


def point_model(model: Model, point: RunPoint) -> Model:
    """The point's base model with its sweep sheet appended and its seed set (validated anew).
    Entries go in order of their selector's specificity, so ``#Output:x`` wins over ``Layer:x``."""
    base = point.base if point.base is not None else model
    doc = SWEPT_DOC + json.dumps(point.values, sort_keys=True)
    swept = sorted((k for k in point.values if not k.startswith(BUILD + ":")),
                   key=lambda k: _rank(k.partition(":")[0]))
    entries: dict[str, dict[str, Any]] = {}
    for key in swept:
        for e in _entries(base, key, point.values[key], key in point.override):
            entries.setdefault(e.sel, {})[key.partition(":")[2]] = point.values[key]
    sheets = list(base.sheets)
    if entries:
        sheets.append(Sheet([Sel(s, p, doc=doc) for s, p in entries.items()], name=SWEEP_SHEET, _origin=""))
    plan: RunPlan = replace(base.plan, seed=point.seed)
    try:
        return Model(base.network, sheets, base.patterns, plan, base.notes)
    except SpecError as e:
        raise SubmitError(f"sweep point {point.values}: {e}") from e
