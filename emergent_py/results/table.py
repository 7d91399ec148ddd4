"""A small column table: ordered columns of equal length, each a numpy array (no pandas needed)."""
from __future__ import annotations

from typing import Iterator, Mapping

import numpy as np

from ..errors import EmergentPyError, did_you_mean

PANDAS_HINT = "tables need pandas: pip install 'ldlc-emergent[analysis]'"


class PandasUnavailable(EmergentPyError, RuntimeError):
    """pandas (the ``analysis`` extra) is not installed."""


def pandas_module():
    """The pandas module, or :class:`PandasUnavailable` with the install hint."""
    try:
        import pandas
    except ImportError as e:
        raise PandasUnavailable(PANDAS_HINT) from e
    return pandas


class Table:
    """Columns in order, ``table[name]`` -> numpy array with one row per entry along axis 0.

    Scalar columns are 1-D; matrix columns are ``(n_rows, *shape)``. ``len(table)`` is the row
    count. ``table.to_pandas()`` builds a pandas DataFrame (pandas optional: the ``analysis`` extra).
    """

    def __init__(self, columns: Mapping[str, np.ndarray], where: str | None = None) -> None:
        self._data = {k: np.asarray(v) for k, v in columns.items()}
        self.where = where
        self.columns = list(self._data)
        lengths = {len(v) for v in self._data.values()}
        if len(lengths) > 1:
            raise ValueError(f"{where or 'table'}: columns of different lengths {sorted(lengths)}")

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._data[name]
        except KeyError:
            where = f"{self.where}: " if self.where else ""
            raise KeyError(f"{where}no column '{name}'." + did_you_mean(name, self.columns)) from None

    def get(self, name: str, default=None):
        return self._data.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(next(iter(self._data.values()))) if self._data else 0

    @property
    def n_rows(self) -> int:
        return len(self)

    def items(self):
        return self._data.items()

    def row(self, i: int) -> dict:
        """Row ``i`` as a dict column -> value."""
        return {k: v[i] for k, v in self._data.items()}

    def to_dict(self) -> dict[str, np.ndarray]:
        return dict(self._data)

    def to_pandas(self):
        """A pandas DataFrame of every column. Without matrix columns the column index is the
        plain names; with them it is a two-level MultiIndex ``(column, unit)``: a matrix column
        ``Hidden_act_m`` of cell shape (7, 7) gives ``("Hidden_act_m", 0) .. ("Hidden_act_m", 48)``
        (units in row-major order of the cell), a scalar column ``("avg_sse", "")``, so that
        ``df["avg_sse"]`` is still a Series and ``df["Hidden_act_m"]`` a units DataFrame."""
        pd = pandas_module()
        if all(v.ndim == 1 for v in self._data.values()):
            return pd.DataFrame(dict(self._data))
        keys, blocks = [], []
        for name, v in self._data.items():
            flat = v.reshape(len(v), -1) if v.ndim > 1 else v[:, None]
            keys += [(name, i) for i in range(flat.shape[1])] if v.ndim > 1 else [(name, "")]
            blocks.append(pd.DataFrame(flat))
        df = pd.concat(blocks, axis=1, ignore_index=True) if blocks else pd.DataFrame()
        df.columns = pd.MultiIndex.from_tuples(keys, names=["column", "unit"])
        return df

    def __repr__(self) -> str:
        where = f" {self.where}" if self.where else ""
        return f"{type(self).__name__}({len(self)} rows x {len(self.columns)} columns{where})"
