"""Machinery for parameter records: one frozen dataclass per emergent spec member.

A field's default, one-line doc, range, unit and (for enums) choices live in one place, the
``param(...)`` call. Derived values (``dt.vm_dt`` from ``dt.vm_tau``, ...) are declared with
``derived(...)``, computed in ``_derive`` after every construction (so also after
``dataclasses.replace``) and are never constructor arguments nor serialized.

Emergent member names that are Python keywords (``act_misc.lambda``) get a trailing underscore
on the Python side (``lambda_``); dotted paths always use emergent's name.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import field, fields
from typing import Any, ClassVar, Iterator

from ..errors import SpecError, did_you_mean

_KINDS = (bool, int, float, str)


def param(default: Any, doc: str, *, min: float | None = None, max: float | None = None,
          unit: str | None = None, choices: tuple[str, ...] | None = None) -> Any:
    """Declare a settable parameter (a leaf value: bool, int, float or enum string)."""
    kind = type(default)
    if kind not in _KINDS:
        raise TypeError(f"param default must be bool/int/float/str, got {default!r}")
    if kind is str and not choices:
        raise TypeError("an enum parameter needs choices=")
    return field(default=default, metadata={
        "doc": doc, "min": min, "max": max, "unit": unit, "choices": choices, "kind": kind})


def group(cls: type, doc: str) -> Any:
    """Declare a nested parameter group (e.g. ``act`` inside the unit spec)."""
    return field(default_factory=cls, metadata={"doc": doc, "group": cls})


def derived(doc: str) -> Any:
    """Declare a value computed from the parameters; read-only, never saved."""
    return field(init=False, default=None, repr=False, compare=False,
                 metadata={"doc": doc, "derived": True})


def emergent_name(f: dataclasses.Field) -> str:
    return f.name[:-1] if f.name.endswith("_") else f.name


@dataclasses.dataclass(frozen=True, kw_only=True)
class ParamGroup:
    """Base of every parameter record.

    Subclasses declare fields with :func:`param`, :func:`group` or :func:`derived` and may
    override ``_derive`` (returning a dict of derived values). Construction checks the type and
    range of every leaf and raises :class:`SpecError` naming the member.
    """

    EMERGENT_TYPE: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            meta = f.metadata
            if meta.get("derived"):
                continue
            value = getattr(self, f.name)
            if "group" in meta:
                if not isinstance(value, meta["group"]):
                    raise SpecError(f"{type(self).__name__}.{emergent_name(f)}: expected a "
                                    f"{meta['group'].__name__}, got {value!r}")
                continue
            object.__setattr__(self, f.name, check_value(type(self).__name__ + "." + emergent_name(f),
                                                         meta, value))
        for name, value in self._derive().items():
            object.__setattr__(self, name, value)

    def _derive(self) -> dict[str, Any]:
        return {}


def check_value(where: str, meta: dict, value: Any) -> Any:
    """Coerce and check one leaf value against its field metadata; return the stored value."""
    kind = meta["kind"]
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise SpecError(f"{where}: expected true/false, got {value!r}")
    if kind is str:
        choices = meta["choices"]
        if isinstance(value, str) and value.upper() in choices:
            return value.upper()
        raise SpecError(f"{where}: {value!r} is not one of {', '.join(choices)}."
                        + (did_you_mean(str(value).upper(), choices) if isinstance(value, str) else ""))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{where}: expected a number, got {value!r}")
    if kind is int:
        if isinstance(value, float):
            if not value.is_integer():
                raise SpecError(f"{where}: expected a whole number, got {value!r}")
            value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise SpecError(f"{where}: expected a finite number, got {value!r}")
    lo, hi = meta["min"], meta["max"]
    if lo is not None and value < lo:
        raise SpecError(f"{where}: {value!r} is below its minimum {lo}")
    if hi is not None and value > hi:
        raise SpecError(f"{where}: {value!r} is above its maximum {hi}")
    return value


# ---------------------------------------------------------------------------------------------
# dotted paths ("act.gain") over a record tree

def leaf_fields(cls: type, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field]]:
    """Yield ``(dotted_path, field)`` for every settable leaf of a record class, in declaration order."""
    for f in fields(cls):
        if f.metadata.get("derived"):
            continue
        path = prefix + emergent_name(f)
        if "group" in f.metadata:
            yield from leaf_fields(f.metadata["group"], path + ".")
        else:
            yield path, f


def derived_fields(cls: type, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field]]:
    for f in fields(cls):
        path = prefix + emergent_name(f)
        if f.metadata.get("derived"):
            yield path, f
        elif "group" in f.metadata:
            yield from derived_fields(f.metadata["group"], path + ".")


def _field_by_name(cls: type, name: str) -> dataclasses.Field | None:
    for f in fields(cls):
        if emergent_name(f) == name and not f.metadata.get("derived"):
            return f
    return None


def find_leaf(cls: type, path: str) -> dataclasses.Field | None:
    """Return the leaf field for ``path`` in record class ``cls``, or None if there is none."""
    parts = path.split(".")
    for i, part in enumerate(parts):
        f = _field_by_name(cls, part)
        if f is None:
            return None
        if "group" in f.metadata:
            cls = f.metadata["group"]
            if i == len(parts) - 1:
                return None          # names a group, not a value
        elif i != len(parts) - 1:
            return None
        else:
            return f
    return None


def get_path(obj: ParamGroup, path: str) -> Any:
    for part in path.split("."):
        f = _field_by_name(type(obj), part)
        obj = getattr(obj, f.name)
    return obj


def with_path(obj: ParamGroup, path: str, value: Any) -> ParamGroup:
    """Return a copy of ``obj`` with the leaf at ``path`` set to ``value`` (checked)."""
    head, _, rest = path.partition(".")
    f = _field_by_name(type(obj), head)
    if rest:
        return dataclasses.replace(obj, **{f.name: with_path(getattr(obj, f.name), rest, value)})
    return dataclasses.replace(obj, **{f.name: value})


def to_dict(obj: ParamGroup) -> dict[str, Any]:
    """Nested dict of emergent member names -> values (derived values left out)."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        if f.metadata.get("derived"):
            continue
        value = getattr(obj, f.name)
        out[emergent_name(f)] = to_dict(value) if "group" in f.metadata else value
    return out


def from_dict(cls: type, data: dict[str, Any], where: str = "") -> ParamGroup:
    """Inverse of :func:`to_dict`; unknown keys are errors naming the closest valid member."""
    kwargs = {}
    where = where or cls.__name__
    for key, value in data.items():
        f = _field_by_name(cls, key)
        if f is None:
            names = [emergent_name(g) for g in fields(cls) if not g.metadata.get("derived")]
            raise SpecError(f"{where}: unknown member '{key}'.{did_you_mean(key, names)}")
        if "group" in f.metadata:
            if not isinstance(value, dict):
                raise SpecError(f"{where}.{key}: expected a group of values, got {value!r}")
            value = from_dict(f.metadata["group"], value, f"{where}.{key}")
        kwargs[f.name] = value
    return cls(**kwargs)
