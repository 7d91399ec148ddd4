"""The standard Leabra benchmark (emergent's leabra_bench.proj) on the native core.

Five layers of N units (Input, Hidden_0..2, Output), 7 full projections (4 forward, 3 back),
100 cycles per trial with learning, random patterns with N // 6 units on. For every size the
benchmark also times, in the same process, a plain dense float32 matvec per projection per cycle
(7 x 100 matvecs per trial): the cost a non-delta implementation pays for net input alone.
"""
from __future__ import annotations

import math
import time
import tracemalloc

import numpy as np

from ..spec import Full, Model, Network as SpecNet, Patterns, RunPlan, Sheet
from .network import Network

SIZES = {"SMALL": 25, "MEDIUM": 100, "LARGE": 625, "HUGE": 1024}
#: C++ emergent 8.6.1, one thread, ms per trial (the issue's anchors)
EMERGENT_MS = {"SMALL": 2.4, "MEDIUM": 9.6, "LARGE": 351.0, "HUGE": 825.0}
LAYERS = ("Input", "Hidden_0", "Hidden_1", "Hidden_2", "Output")


def bench_model(n_units: int, n_patterns: int = 10, seed: int = 0) -> Model:
    """The benchmark network with ``n_units`` per layer (the bench project's stored values:
    ss_tau 2, g_bar.l 0.1, targ_init 0.2; back projections not scaled down)."""
    y = math.isqrt(n_units)
    while n_units % y:
        y -= 1
    shape = (y, n_units // y)
    net = SpecNet("LeabraBench")
    for name in LAYERS:
        net.layer(name, shape, kind={"Input": "input", "Output": "target"}.get(name, "hidden"))
    for s, r in zip(LAYERS, LAYERS[1:]):
        net.connect(s, r, Full())
    for s, r in zip(LAYERS[2:], LAYERS[1:-1]):
        net.connect(s, r, Full(), cls="Back")
    params = Sheet({"Layer": {"act_avg.ss_tau": 2.0, "g_bar.l": 0.1, "avg_act.targ_init": 0.2}})
    pats = Patterns.random(n=n_patterns, layers={"Input": shape, "Output": shape},
                           pct_on=(n_units // 6) / n_units, seed=seed + 1)
    return Model(net, params, pats, RunPlan(epochs=1, stop_cnt_err=None, order="permuted", seed=seed))


def dense_matvec_ms(net: Network, n_trials: int) -> float:
    """CPU ms per trial of 100 cycles x one dense float32 matvec per projection (same shapes)."""
    mats = [p.wt for p in net.prjn_list]
    vecs = [np.random.default_rng(0).random(m.shape[0], dtype=np.float32) for m in mats]
    outs = [np.zeros(m.shape[1], dtype=np.float32) for m in mats]
    t = time.process_time()
    for _ in range(n_trials * 100):
        for v, m, o in zip(vecs, mats, outs):
            np.dot(v, m, out=o)
    return (time.process_time() - t) / n_trials * 1e3


def bench_size(name: str, n_units: int, n_trials: int, kernel: str | None = None) -> dict:
    """Time ``n_trials`` training trials (after one warm-up trial) of the benchmark of one size,
    on the given cycle ``kernel`` (see :class:`Network`)."""
    tracemalloc.start()                   # peak memory: building + one trial, traced
    net = Network(bench_model(n_units), kernel=kernel)
    order = net.rng.permutation(net.model.patterns.n)
    net.trial(int(order[0]))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()                    # (tracing slows numpy; the timed trials run without it)
    # CPU time of the process (all threads): on a shared machine wall time mostly measures the
    # other jobs; wall time is reported beside it
    # learning's share, timed around its calls (dWt at the end of each trial, the weight update
    # at the start of the next): the rest is the 100 cycles, the work the dense matvec stands in for
    learning = [0.0]
    dwt = net.compute_dwt

    def timed_dwt(quarter: int = 3):
        t0 = time.process_time()
        dwt(quarter)
        learning[0] += time.process_time() - t0
    net.compute_dwt = timed_dwt
    t, w = time.process_time(), time.perf_counter()
    for i in range(n_trials):
        t0 = time.process_time()
        net.compute_weights()
        learning[0] += time.process_time() - t0
        net.trial(int(order[(i + 1) % len(order)]))
    ms = (time.process_time() - t) / n_trials * 1e3
    cycles = ms - learning[0] / n_trials * 1e3
    wall = (time.perf_counter() - w) / n_trials * 1e3
    n_syn = sum(p.n_syn for p in net.prjn_list)
    dense = dense_matvec_ms(net, max(1, n_trials // 2))
    return {"size": name, "kernel": net.kernel_name, "units": n_units, "synapses": n_syn, "trials": n_trials, "ms_per_trial": ms, "wall_ms": wall,
            "ns_per_syn_trial": ms * 1e6 / n_syn, "peak_mb": peak / 2 ** 20, "dense_ms": dense,
            "vs_dense": ms / dense, "cycles_ms": cycles, "cycles_vs_dense": cycles / dense,
            "emergent_ms": EMERGENT_MS.get(name),
            "vs_emergent": ms / EMERGENT_MS[name] if name in EMERGENT_MS else None}


def format_table(rows: list[dict]) -> str:
    head = (f"{'size':7s} {'kernel':6s} {'units':>5s} {'synapses':>9s} {'ms/trial':>9s} {'wall ms':>8s} {'ns/syn':>7s} {'peak MB':>8s} "
            f"{'dense ms':>9s} {'x dense':>7s} {'cycles ms':>9s} {'x dense':>7s} {'C++ ms':>7s} {'x C++':>6s}")
    lines = [head]
    for r in rows:
        cpp = f"{r['emergent_ms']:7.1f} {r['vs_emergent']:6.2f}" if r["emergent_ms"] else f"{'-':>7s} {'-':>6s}"
        lines.append(f"{r['size']:7s} {r['kernel']:6s} {r['units']:5d} {r['synapses']:9d} {r['ms_per_trial']:9.2f} {r['wall_ms']:8.1f} "
                     f"{r['ns_per_syn_trial']:7.2f} {r['peak_mb']:8.1f} {r['dense_ms']:9.2f} "
                     f"{r['vs_dense']:7.2f} {r['cycles_ms']:9.2f} {r['cycles_vs_dense']:7.2f} {cpp}")
    return "\n".join(lines)
