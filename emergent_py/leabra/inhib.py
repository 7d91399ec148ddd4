"""FFFB inhibition (leabra.md 4.2): one formula for layers and pools."""
from __future__ import annotations

import numpy as np


def fffb(net_avg, net_max, acts_avg, fbi, p: dict):
    """One FFFB step for a vector of groups (layers or pools).

    Parameters
    ----------
    net_avg, net_max : (n_groups,) this cycle's net-input statistics
    acts_avg : (n_groups,) the previous cycle's average activation (stale at trial start, 4.4)
    fbi : (n_groups,) feedback inhibition state before this step (not modified)
    p : ``gi, ff, fb, ff0, max_vs_avg, fb_dt`` scalars or (n_groups,) arrays of the working dtype;
        optional ``mva_zero`` True when every max_vs_avg is 0

    Returns
    -------
    ffi, fbi_new, g_i : (n_groups,) arrays; ``g_i = gi * (ffi + fbi_new)`` (before adapt_gi)
    """
    mva = p["max_vs_avg"]
    # avg + 0 * (max - avg) is exactly avg: skip it for the default max_vs_avg 0
    ff_netin = net_avg if p.get("mva_zero", False) else net_avg + mva * (net_max - net_avg)
    ffi = np.where(ff_netin > p["ff0"], p["ff"] * (ff_netin - p["ff0"]), net_avg.dtype.type(0))
    fbi_new = fbi + p["fb_dt"] * (p["fb"] * acts_avg - fbi)
    return ffi, fbi_new, p["gi"] * (ffi + fbi_new)
