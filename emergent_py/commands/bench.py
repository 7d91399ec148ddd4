"""emergent-py bench: the standard Leabra benchmark on the native core, with in-run baselines."""
from __future__ import annotations

import sys

from ..errors import SpecError

NAME = "bench"
ORDER = 21
HELP = "time the native core on emergent's standard Leabra benchmark (SMALL..HUGE)"
DESCRIPTION = HELP + """.

5 layers of N units, 7 full projections, 100 cycles per trial with learning. Prints CPU ms/trial
(process CPU time, all threads; wall ms beside it),
ns per synapse per trial, peak traced memory, a dense float32 matvec baseline measured in the
same run (x dense = native / dense), the trial's time without its learning ("cycles ms": dWt
and the weight update timed around their calls and taken out, leaving the 100 cycles, the work
the dense matvec stands in for; x dense beside it) and C++ emergent 8.6.1's one-thread ms/trial
(x C++).
For one-thread numbers set OPENBLAS_NUM_THREADS=1 (or OMP_NUM_THREADS=1) in the environment.
--kernel both times every size on the compiled C kernel and on the numpy steps."""

DEFAULT_TRIALS = {"SMALL": 40, "MEDIUM": 20, "LARGE": 6, "HUGE": 4}


def add_arguments(p) -> None:
    p.add_argument("--sizes", default="SMALL,MEDIUM,LARGE,HUGE",
                   help="comma-separated sizes (SMALL, MEDIUM, LARGE, HUGE) or unit counts")
    p.add_argument("--trials", type=int, default=None, help="timed trials per size (default by size)")
    p.add_argument("--kernel", choices=("auto", "c", "numpy", "both"), default="auto",
                   help="cycle implementation to time (default auto: the C kernel where it builds)")
    p.add_argument("--repeat", type=int, default=1,
                   help="measure each size N times and keep the fastest (for shared, noisy machines)")


def run(args) -> int:
    from ..leabra.bench import SIZES, bench_size, format_table
    rows = []
    for tok in args.sizes.split(","):
        tok = tok.strip().upper()
        if tok in SIZES:
            name, n = tok, SIZES[tok]
        elif tok.isdigit() and int(tok) >= 6:
            name, n = f"N{tok}", int(tok)
        else:
            raise SpecError(f"--sizes: '{tok}' is not one of {', '.join(SIZES)} or a unit count >= 6")
        trials = args.trials or DEFAULT_TRIALS.get(name, 5)
        if trials < 1:
            raise SpecError(f"--trials {trials}: must be >= 1")
        if args.repeat < 1:
            raise SpecError(f"--repeat {args.repeat}: must be >= 1")
        for kernel in (("c", "numpy") if args.kernel == "both" else (args.kernel,)):
            print(f"bench {name} ({n} units/layer, {trials} trials, kernel {kernel}, best of {args.repeat})...",
                  file=sys.stderr, flush=True)
            runs = [bench_size(name, n, trials, kernel) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["ms_per_trial"])
            best["dense_ms"] = min(r["dense_ms"] for r in runs)
            best["vs_dense"] = best["ms_per_trial"] / best["dense_ms"]
            best["cycles_ms"] = min(r["cycles_ms"] for r in runs)
            best["cycles_vs_dense"] = best["cycles_ms"] / best["dense_ms"]
            rows.append(best)
    print(format_table(rows))
    return 0
