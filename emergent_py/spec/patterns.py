"""Input patterns: one array per layer, one row per trial (emergent's input data table)."""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..errors import SpecError, did_you_mean


class Patterns:
    """Trial patterns for input and target layers.

    Parameters
    ----------
    data : mapping of layer name -> array_like, shape ``(n_trials, *layer_shape)``
        (a flat ``(n_trials, n_units)`` array is accepted too); values are stored as float32.
    names : trial names, default ``p0, p1, ...`` (emergent's ``Name`` column)
    """

    def __init__(self, data: Mapping[str, object], names: Sequence[str] | None = None) -> None:
        if not isinstance(data, Mapping) or not data:
            raise SpecError("Patterns: data must be a non-empty mapping of layer name -> array")
        self._data: dict[str, np.ndarray] = {}
        n = None
        for layer, values in data.items():
            try:
                arr = np.array(values, dtype=np.float32)
            except (TypeError, ValueError) as e:
                raise SpecError(f"Patterns['{layer}']: not a numeric array ({e})") from e
            if arr.ndim < 2:
                raise SpecError(f"Patterns['{layer}']: shape {arr.shape} must be (n_trials, *layer_shape)")
            if not np.isfinite(arr).all():
                raise SpecError(f"Patterns['{layer}']: contains NaN or infinite values")
            if n is not None and arr.shape[0] != n:
                raise SpecError(f"Patterns['{layer}']: {arr.shape[0]} rows, but other layers have {n}")
            n = arr.shape[0]
            arr.setflags(write=False)
            self._data[layer] = arr
        if n == 0:
            raise SpecError("Patterns: no trials (0 rows)")
        if names is None:
            names = [f"p{i}" for i in range(n)]
        names = list(names)
        if len(names) != n or not all(isinstance(s, str) for s in names):
            raise SpecError(f"Patterns: names must be {n} strings, got {len(names)}")
        self.names = names

    # -- construction helpers
    @classmethod
    def random(cls, n: int, layers: Mapping[str, Sequence[int]], pct_on: float = 0.2,
               seed: int = 0, names: Sequence[str] | None = None) -> "Patterns":
        """Random binary patterns with exactly ``round(pct_on * n_units)`` units on per row
        (emergent's PermutedBinary), drawn from ``numpy.random.default_rng(seed)``."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise SpecError(f"Patterns.random: n={n!r} must be a positive int")
        if not 0 <= pct_on <= 1:
            raise SpecError(f"Patterns.random: pct_on={pct_on!r} must be in [0, 1]")
        rng = np.random.default_rng(seed)
        data = {}
        for layer, shape in layers.items():
            size = math.prod(shape)
            n_on = int(math.floor(pct_on * size + 0.5))
            rows = np.zeros((n, size), dtype=np.float32)
            for i in range(n):
                rows[i, rng.permutation(size)[:n_on]] = 1.0
            data[layer] = rows.reshape((n, *shape))
        return cls(data, names)

    @classmethod
    def from_dat(cls, path: str, layers: Iterable[str] | None = None) -> "Patterns":
        """Read patterns from an emergent ``.dat`` table: one matrix column per layer, trial
        names from the ``Name`` column if present."""
        from ..emergent.dat import read_dat   # the one .dat reader of the package
        table = read_dat(path)
        names = table.get("Name")
        cols = [c for c in table.columns if c != "Name"] if layers is None else list(layers)
        data = {}
        for c in cols:
            if c not in table.columns:
                raise SpecError(f"{path}: no column '{c}'." + did_you_mean(c, table.columns))
            values = np.asarray(table[c])
            if values.ndim >= 2:
                data[c] = values
        if not data:
            raise SpecError(f"{path}: no matrix columns to use as layer patterns")
        return cls(data, [str(s) for s in names] if names is not None else None)

    # -- access
    @property
    def n(self) -> int:
        return len(self.names)

    def __len__(self) -> int:
        return self.n

    @property
    def layers(self) -> list[str]:
        return list(self._data)

    def __getitem__(self, layer: str) -> np.ndarray:
        try:
            return self._data[layer]
        except KeyError:
            raise KeyError(f"no patterns for layer '{layer}'; have {', '.join(self._data)}") from None

    def __contains__(self, layer: str) -> bool:
        return layer in self._data

    def row(self, i: int) -> dict[str, np.ndarray]:
        return {k: v[i] for k, v in self._data.items()}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Patterns) and self.names == other.names
                and sorted(self.layers) == sorted(other.layers)
                and all(np.array_equal(self._data[k], other._data[k]) and
                        self._data[k].shape == other._data[k].shape for k in self._data))

    def __repr__(self) -> str:
        return f"Patterns({self.n} trials, layers {self.layers})"

    # -- plain data (float32 values are exact as Python floats)
    def to_dict(self) -> dict:
        return {"names": list(self.names),
                "layers": {k: {"shape": list(v.shape[1:]), "rows": v.reshape(v.shape[0], -1).tolist()}
                           for k, v in self._data.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Patterns":
        try:
            arrays = {k: np.array(v["rows"], dtype=np.float32).reshape((-1, *v["shape"]))
                      for k, v in data["layers"].items()}
            return cls(arrays, data["names"])
        except (KeyError, TypeError, ValueError) as e:
            raise SpecError(f"patterns description is missing or has a malformed field: {e}") from e
