"""Float sums in emergent's order.

emergent sums a layer's values in a plain loop, one rounding per addition in float32. numpy's
``sum``/``mean``/``reduceat`` sum pairwise (eight running partial sums), which differs in the last
bit; through the network's float32 sensitivity that moved emergent's stdassoc run by up to 1e-5
in sse. ``np.add.accumulate`` is sequential by definition, so these use it.
"""
from __future__ import annotations

import numpy as np


def seq_sum(x: np.ndarray, dtype=None, axis: int = -1):
    """Sum of ``x`` along ``axis``, added in order (one rounding per addition in ``dtype``, x's by
    default); 0 for an empty axis."""
    x = np.asarray(x)
    if x.shape[axis] == 0:
        return np.sum(x, axis=axis, dtype=dtype)
    return np.add.accumulate(x, axis=axis, dtype=dtype).take(-1, axis=axis)


def segment_sums(x: np.ndarray, starts, stops, out: np.ndarray, work: np.ndarray) -> np.ndarray:
    """``out[i] = seq_sum(x[starts[i]:stops[i]])`` without temporaries (``work``: x's shape and
    dtype); segments must not be empty."""
    for i, (a, b) in enumerate(zip(starts, stops)):
        np.add.accumulate(x[a:b], out=work[a:b])
        out[i] = work[b - 1]
    return out
