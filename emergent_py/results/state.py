"""A nested engine state (dicts, lists, numpy arrays and scalars, strings, big ints) <-> HDF5 groups.

Used for run-file checkpoints. Each group has ``attrs["kind"]`` ``dict``/``list``/``tuple``;
each dataset's ``kind`` says how to turn it back into Python (documented in docs/runfile.md).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..errors import FormatError
from .runlayout import _str_dtype


def write_tree(g, value: Mapping[str, Any], where: str) -> None:
    g.attrs["kind"] = "dict"
    for key, v in value.items():
        if not isinstance(key, str) or not key or "/" in key:
            raise FormatError(f"{where}: key {key!r} must be a non-empty string without '/'")
        _write_item(g, key, v, f"{where}.{key}")


def _write_item(g, key: str, v: Any, where: str) -> None:
    if isinstance(v, Mapping):
        write_tree(g.create_group(key, track_order=True), v, where)
        return
    if isinstance(v, (list, tuple)):
        sub = g.create_group(key, track_order=True)
        sub.attrs["kind"] = "list" if isinstance(v, list) else "tuple"
        sub.attrs["length"] = len(v)
        for i, item in enumerate(v):
            _write_item(sub, str(i), item, f"{where}[{i}]")
        return
    if v is None:
        ds, kind = g.create_dataset(key, data=np.zeros(0, np.uint8)), "none"
    elif isinstance(v, (bool, np.bool_)) and not isinstance(v, np.ndarray):
        ds, kind = g.create_dataset(key, data=bool(v)), "bool"
    elif isinstance(v, int) and not isinstance(v, np.integer):
        if -(1 << 63) <= v < (1 << 63):
            ds, kind = g.create_dataset(key, data=np.int64(v)), "int"
        else:                                    # e.g. PCG64 128-bit state
            ds, kind = g.create_dataset(key, data=str(v), dtype=_str_dtype()), "bigint"
    elif isinstance(v, float):
        ds, kind = g.create_dataset(key, data=np.float64(v)), "float"
    elif isinstance(v, str):
        ds, kind = g.create_dataset(key, data=v, dtype=_str_dtype()), "str"
    elif isinstance(v, bytes):
        ds, kind = g.create_dataset(key, data=np.frombuffer(v, np.uint8)), "bytes"
    elif isinstance(v, np.generic):
        ds, kind = g.create_dataset(key, data=v), "npscalar"
    elif isinstance(v, np.ndarray):
        if v.dtype.kind in "US" or v.dtype == object:
            ds = g.create_dataset(key, data=np.asarray(v, dtype=str).astype(object), dtype=_str_dtype())
            kind = "strarray"
        elif v.dtype.kind in "biufc":
            ds, kind = g.create_dataset(key, data=v), "array"
        else:
            raise FormatError(f"{where}: array dtype {v.dtype} cannot be stored; use numbers, bools or strings")
    else:
        raise FormatError(f"{where}: {type(v).__name__} value cannot be stored in a checkpoint; use dicts, "
                          f"lists, numpy arrays/scalars, int, float, bool, str, bytes or None")
    ds.attrs["kind"] = kind


def read_tree(obj) -> Any:
    kind = obj.attrs.get("kind", "array")
    if kind == "dict":
        return {k: read_tree(obj[k]) for k in obj}
    if kind in ("list", "tuple"):
        items = [read_tree(obj[str(i)]) for i in range(int(obj.attrs["length"]))]
        return items if kind == "list" else tuple(items)
    if kind == "none":
        return None
    if kind == "bool":
        return bool(obj[()])
    if kind == "int":
        return int(obj[()])
    if kind == "bigint":
        return int(obj.asstr()[()])
    if kind == "float":
        return float(obj[()])
    if kind == "str":
        return obj.asstr()[()]
    if kind == "bytes":
        return obj[()].tobytes()
    if kind == "strarray":
        return np.array(obj.asstr()[()], dtype=str)
    return obj[()]                                   # npscalar / array keep their dtype
