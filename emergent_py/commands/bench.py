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
--kernel both times every size on the compiled C kernel and on the numpy steps.
--threads 1,2 times every size on 1 and 2 threads inside the network instead (wall ms per trial,
each in a fresh process), the speedup over one thread, and the machine's bound measured in the
same run: T independent one-thread runs side by side (docs/core.md)."""

DEFAULT_TRIALS = {"SMALL": 40, "MEDIUM": 20, "LARGE": 6, "HUGE": 4}


def add_arguments(p) -> None:
    p.add_argument("--sizes", default="SMALL,MEDIUM,LARGE,HUGE",
                   help="comma-separated sizes (SMALL, MEDIUM, LARGE, HUGE) or unit counts")
    p.add_argument("--trials", type=int, default=None, help="timed trials per size (default by size)")
    p.add_argument("--kernel", choices=("auto", "c", "numpy", "both"), default="auto",
                   help="cycle implementation to time (default auto: the C kernel where it builds)")
    p.add_argument("--repeat", type=int, default=1,
                   help="measure each size N times and keep the fastest (for shared, noisy machines)")
    p.add_argument("--threads", default=None, metavar="T1,T2",
                   help="compare thread counts inside the network (e.g. 1,2; 1 is always measured) "
                        "with the side-by-side bound; default: off (the one-thread table above)")
    p.add_argument("--force-threads", action="store_true",
                   help="with --threads: use every thread even where the network is too small to pay "
                        "(default: small networks run on fewer, as runs do)")


def _sizes(text: str) -> list[tuple[str, int]]:
    from ..leabra.bench import SIZES
    out = []
    for tok in text.split(","):
        tok = tok.strip().upper()
        if tok in SIZES:
            out.append((tok, SIZES[tok]))
        elif tok.isdigit() and int(tok) >= 6:
            out.append((f"N{tok}", int(tok)))
        else:
            raise SpecError(f"--sizes: '{tok}' is not one of {', '.join(SIZES)} or a unit count >= 6")
    return out


def _run_threads(args) -> int:
    from ..leabra.bench_threads import measure
    counts = set()
    for tok in args.threads.split(","):
        if not tok.strip().isdigit() or int(tok) < 1:
            raise SpecError(f"--threads {args.threads}: give thread counts >= 1 separated by commas, e.g. 1,2")
        counts.add(int(tok))
    if args.kernel not in ("auto", "c"):
        raise SpecError(f"--threads with --kernel {args.kernel}: threads are the C kernel's (the numpy steps "
                        f"run on one thread)")
    if args.repeat < 1 or (args.trials is not None and args.trials < 1):
        raise SpecError("--repeat and --trials must be >= 1")
    measure(_sizes(args.sizes), sorted(counts | {1}), args.repeat, args.trials, args.force_threads)
    return 0


def run(args) -> int:
    from ..leabra.bench import bench_size, format_table
    if args.threads:
        return _run_threads(args)
    rows = []
    for name, n in _sizes(args.sizes):
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
