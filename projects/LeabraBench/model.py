"""The emergent Leabra benchmark network (leabra_bench.proj), as a reusable builder.

Five layers of N units each -- Input, Hidden_0, Hidden_1, Hidden_2, Output (names as in
emergent's ``leabra_bench.proj``) -- joined by 7 full projections: 4 forward
(Input->Hidden_0->Hidden_1->Hidden_2->Output) and 3 back (Hidden_1->Hidden_0,
Hidden_2->Hidden_1, Output->Hidden_2). Every layer is laid out as the closest square (emergent's
``SetNUnits``), and the patterns are random with ``N // 6`` units on in both Input and Output
(the bench's ``MakeRndInputData``: ``taDataGen::PermutedBinary(input_data, "", input_size / 6, 1, 0)``,
integer division as in C++).

``build()`` (what ``emergent-py run projects/LeabraBench`` calls) gives the MEDIUM size;
benchmarks import :func:`build` or :func:`bench_network` and pass another size.
"""
from __future__ import annotations

import math

from emergent_py import Full, Network, Patterns, RunPlan, Sheet, SpecError

#: Units per layer for the benchmark's named sizes (leabra_bench.proj's ``n_units`` argument;
#: emergent's timing table: SMALL 25, MEDIUM 100, LARGE 625, HUGE 1024, GINORMOUS 2048).
SIZES = {"SMALL": 25, "MEDIUM": 100, "LARGE": 625, "HUGE": 1024}

LAYERS = ("Input", "Hidden_0", "Hidden_1", "Hidden_2", "Output")


def layer_shape(n_units: int) -> tuple[int, int]:
    """(Y, X) closest to a square that tiles ``n_units`` exactly (emergent's ``SetNUnits``).

    Returns the factor pair ``x * y == n_units`` with ``x >= y`` and ``x - y`` smallest.
    """
    y = math.isqrt(n_units)
    while n_units % y:
        y -= 1
    return (y, n_units // y)


def n_units_of(size: str | int) -> int:
    """Units per layer for a size name (case-insensitive) or a positive int."""
    if isinstance(size, int) and not isinstance(size, bool):
        if size < 6:
            raise SpecError(f"LeabraBench: size={size} must be >= 6 units (N // 6 units are on)")
        return size
    if isinstance(size, str) and size.upper() in SIZES:
        return SIZES[size.upper()]
    raise SpecError(f"LeabraBench: size={size!r} is not one of {', '.join(SIZES)} or an int >= 6")


def bench_network(n_units: int) -> Network:
    """The 5-layer, 7-projection benchmark network with ``n_units`` per layer."""
    shape = layer_shape(n_units)
    net = Network("LeabraBench")
    kinds = {"Input": "input", "Output": "target"}
    for name in LAYERS:
        net.layer(name, shape, kind=kinds.get(name, "hidden"))
    for send, recv in zip(LAYERS, LAYERS[1:]):          # 4 forward
        net.connect(send, recv, Full())
    for send, recv in zip(LAYERS[2:], LAYERS[1:-1]):    # 3 back: H1->H0, H2->H1, Output->H2
        net.connect(send, recv, Full(), cls="Back")
    return net


def bench_params() -> Sheet:
    """The values leabra_bench.proj (emergent 8.5.6) stores where they differ from 8.6 code defaults.

    All projections share one con spec in the bench (back projections are not scaled down).
    """
    return Sheet({
        "Layer": {"act_avg.ss_tau": 2.0, "g_bar.l": 0.1, "avg_act.targ_init": 0.2,
                  "lay_inhib.gi": 1.8},
    }, name="LeabraBench")


def bench_patterns(n_units: int, n_patterns: int = 10, seed: int = 1) -> Patterns:
    """``n_patterns`` random rows for Input and Output with ``n_units // 6`` units on each."""
    shape = layer_shape(n_units)
    n_on = n_units // 6
    return Patterns.random(n=n_patterns, layers={"Input": shape, "Output": shape},
                           pct_on=n_on / n_units, seed=seed)


def build(size: str | int = "MEDIUM", n_patterns: int = 10, epochs: int = 100, seed: int = 0):
    """The benchmark model: (network, params, patterns, plan).

    Parameters
    ----------
    size : "SMALL" (25), "MEDIUM" (100), "LARGE" (625), "HUGE" (1024) or an int, units per layer
    n_patterns : trials per epoch (the bench's ``n_patterns`` argument, default 10)
    epochs : epochs to run; the bench never stops early (``stop_cnt_err=None``)
    seed : weight and trial-order seed; the patterns use seed + 1
    """
    n = n_units_of(size)
    plan = RunPlan(epochs=epochs, stop_cnt_err=None, order="permuted", seed=seed)
    return bench_network(n), bench_params(), bench_patterns(n, n_patterns, seed + 1), plan
