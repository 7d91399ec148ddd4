#!/usr/bin/env python
"""LeabraBench: time per trial of the benchmark network at each size (native core, one process;
process CPU time, wall clock beside it).

    python scripts/projects/leabra_bench.py [--sizes SMALL MEDIUM LARGE HUGE] [--epochs 2]

Prints ms/trial per size next to emergent 8.6's own figures (C++, 1 thread, -O2, 2-core VM:
SMALL 2.42, MEDIUM 9.58, LARGE 351, HUGE 825 ms/trial; shared/spec/emergent-formats.md).
Ratios, not absolute times, are comparable across machines.
"""
import argparse

from common import train

EMERGENT_MS = {"SMALL": 2.42, "MEDIUM": 9.58, "LARGE": 351.0, "HUGE": 825.0}

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--sizes", nargs="+", default=["SMALL", "MEDIUM", "LARGE", "HUGE"])
p.add_argument("--epochs", type=int, default=2, help="epochs of 10 trials per size (default 2)")
args = p.parse_args()
for size in args.sizes:
    r = train("LeabraBench", 0, args.epochs, size=size)
    ref = EMERGENT_MS.get(size.upper())
    ratio = f", {r.cpu_ms_per_trial / ref:.2f} x emergent's {ref} ms" if ref else ""
    print(f"{size:8s} {r.cpu_ms_per_trial:9.2f} CPU ms/trial (wall {r.ms_per_trial:.2f}; {r.n_trials} trials, "
          f"avg_sse {r.avg_sse[-1]:.3f}){ratio}", flush=True)
