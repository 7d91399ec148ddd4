"""Parameter sweeps and seed replicas: from ``--sweep`` / ``--seeds`` to one model per run.

A sweep parameter is written ``path=v1,v2,...`` (the selector is then ``Layer``, ``Prjn`` or
``Network``, whichever owns ``path``) or ``SELECTOR:path=v1,v2`` (e.g.
``#Output:lay_inhib.gi=1.4,1.6``). The runs are the cartesian product of all sweep parameters (first
parameter slowest) times the seeds. A run's model is the base model with one extra sheet named
``sweep`` appended after the model's own sheets (so it wins), and ``RunPlan.seed`` replaced.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from typing import Any

from ..errors import SpecError, SubmitError
from ..spec import Model, RunPlan, Sel, Sheet
from ..spec.sheet import route

SWEEP_SHEET = "sweep"


@dataclass(frozen=True)
class SweepParam:
    """One swept parameter: ``selector`` (e.g. ``Layer``, ``#Output``), dotted ``path``, ``values``."""
    selector: str
    path: str
    values: tuple[Any, ...]

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
    raise SubmitError(f"--sweep: no layer, projection or network parameter '{path}' "
                      "(run `emergent-py params` for the names)")


def parse_sweep(text: str) -> SweepParam:
    """Parse ``[SELECTOR:]path=v1,v2,...``.

    Raises
    ------
    SubmitError
        on a missing ``=``, an empty value list, or an unknown parameter.
    """
    head, eq, vals = text.partition("=")
    if not eq or not head.strip():
        raise SubmitError(f"--sweep {text!r}: write [SELECTOR:]path=v1,v2,... "
                          "(e.g. lay_inhib.gi=1.6,1.8 or '#Output:lay_inhib.gi=1.4,1.6')")
    sel, colon, path = head.strip().rpartition(":")
    path = path.strip()
    sel = sel.strip() if colon else _owner(path)
    values = tuple(_value(v) for v in vals.split(",") if v.strip())
    if not values:
        raise SubmitError(f"--sweep {text!r}: no values after '='")
    if len(set(map(repr, values))) != len(values):
        raise SubmitError(f"--sweep {text!r}: a value is listed twice")
    try:
        for v in values:
            Sel(sel, {path: v})                     # checks selector, parameter name and value
    except SpecError as e:
        raise SubmitError(f"--sweep {text!r}: {e}") from e
    return SweepParam(sel, path, values)


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


def expand(params: list[SweepParam], seeds: list[int]) -> list[RunPoint]:
    """Every run: the product of all sweep values (first parameter slowest) times the seeds."""
    keys = [p.key for p in params]
    if len(set(keys)) != len(keys):
        raise SubmitError(f"--sweep: a parameter is swept twice ({', '.join(keys)})")
    combos = itertools.product(*(p.values for p in params), seeds)
    return [RunPoint(i, dict(zip(keys, combo[:-1])), combo[-1]) for i, combo in enumerate(combos)]


def point_model(model: Model, point: RunPoint) -> Model:
    """The base model with the point's sweep sheet appended and its seed set (validated anew)."""
    entries: dict[str, dict[str, Any]] = {}
    for key, value in point.values.items():
        sel, _, path = key.partition(":")
        entries.setdefault(sel, {})[path] = value
    sheets = list(model.sheets)
    if entries:
        doc = "swept by emergent-py submit: " + json.dumps(point.values, sort_keys=True)
        sheets.append(Sheet([Sel(s, p, doc=doc) for s, p in entries.items()], name=SWEEP_SHEET, _origin=""))
    plan: RunPlan = replace(model.plan, seed=point.seed)
    try:
        return Model(model.network, sheets, model.patterns, plan)
    except SpecError as e:
        raise SubmitError(f"sweep point {point.values}: {e}") from e
