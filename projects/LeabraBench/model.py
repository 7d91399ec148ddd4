"""The emergent Leabra benchmark network (leabra_bench.proj) as a runnable project.

Five layers of N units each -- Input, Hidden_0, Hidden_1, Hidden_2, Output (names as in
emergent's ``leabra_bench.proj``) -- joined by 7 full projections: 4 forward
(Input->Hidden_0->Hidden_1->Hidden_2->Output) and 3 back (Hidden_1->Hidden_0,
Hidden_2->Hidden_1, Output->Hidden_2, class ``Back``). Every layer is laid out as the closest
square (emergent's ``SetNUnits``), and the patterns are random with ``N // 6`` units on in both
Input and Output (the bench's ``MakeRndInputData``:
``taDataGen::PermutedBinary(input_data, "", input_size / 6, 1, 0)``, C++ integer division).

The network, parameters and patterns are defined once, in the package
(:func:`emergent_py.leabra.bench.bench_model`, which ``emergent-py bench`` times); this project
adds the run plan so that ``emergent-py run projects/LeabraBench`` trains it.
"""
from __future__ import annotations

from emergent_py import RunPlan, SpecError
from emergent_py.leabra.bench import SIZES, bench_model


def n_units_of(size: str | int) -> int:
    """Units per layer for a size name (SMALL 25, MEDIUM 100, LARGE 625, HUGE 1024;
    case-insensitive) or a positive int >= 6."""
    if isinstance(size, int) and not isinstance(size, bool):
        if size < 6:
            raise SpecError(f"LeabraBench: size={size} must be >= 6 units (N // 6 units are on)")
        return size
    if isinstance(size, str) and size.upper() in SIZES:
        return SIZES[size.upper()]
    raise SpecError(f"LeabraBench: size={size!r} is not one of {', '.join(SIZES)} or an int >= 6")


def build(size: str | int = "MEDIUM", n_patterns: int = 10, epochs: int = 100, seed: int = 0):
    """The benchmark model: (network, params, patterns, plan).

    Parameters
    ----------
    size : "SMALL" (25), "MEDIUM" (100), "LARGE" (625), "HUGE" (1024) or an int, units per layer
    n_patterns : trials per epoch (the bench's ``n_patterns`` argument, default 10)
    epochs : epochs to run; the bench never stops early (``stop_cnt_err=None``)
    seed : weight and trial-order seed; the patterns use seed + 1
    """
    model = bench_model(n_units_of(size), n_patterns=n_patterns, seed=seed)
    plan = RunPlan(epochs=epochs, stop_cnt_err=None, order="permuted", seed=seed)
    return model.network, model.sheets, model.patterns, plan
