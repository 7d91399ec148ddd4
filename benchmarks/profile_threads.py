"""Where a trial's time goes, per thread, on the standard Leabra benchmark:
``python benchmarks/profile_threads.py [--size LARGE] [--threads 1,2] [--trials 40]``.

Builds the C kernel with ``-DKERNEL_PROFILE`` (its own cache entry: the ``CC`` command is part of
the build's key), runs the benchmark network (:func:`emergent_py.leabra.bench.bench_model`) for
each thread count in a fresh process, and prints per trial: the wall ms, and per thread the
microseconds spent in each phase of the cycles' tasks (kernel.c: A first senders, B net input,
C net stats + FFFB, D activation, E act stats), waiting for a phase to start, and a worker's
delay in joining a call; then the learning calls (dWt, weight update) and the Python steps
between the calls (everything else in the trial), timed around their calls, after the untimed
warm-up trials of ``bench --threads``. One thread is always measured first in the same
invocation: its column is the baseline of the ratios.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time

import numpy as np

PHASES = ("A first senders", "B net input", "C net stats+FFFB", "D activation", "E act stats",
          "waiting for B", "waiting for C", "waiting for D", "waiting for E", "joining late")


def child(units: int, threads: int, n_trials: int) -> dict:
    os.environ["CC"] = (os.environ.get("CC") or "cc") + " -DKERNEL_PROFILE"
    from emergent_py.leabra import kernel as K
    from emergent_py.leabra.bench import bench_model
    from emergent_py.leabra.bench_threads import warm_up
    from emergent_py.leabra.network import Network
    net = Network(bench_model(units), kernel="c", threads=threads)
    lib = K.load()
    lib.kernel_profile.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64]
    lib.kernel_profile.restype = None
    prof = np.zeros((net.threads, len(PHASES)), np.int64)
    calls = {"dWt": 0.0, "weight update": 0.0, "cycles": 0.0}
    kern = net.kernel

    def timed(name, fn):
        def call(*a, **k):
            t0 = time.perf_counter()
            r = fn(*a, **k)
            calls[name] += time.perf_counter() - t0
            return r
        return call
    row = warm_up(net, units)                                 # (untimed, as bench --threads)
    kern.compute_dwt, kern.apply_dwt, kern.run = (timed("dWt", kern.compute_dwt),
                                                  timed("weight update", kern.apply_dwt),
                                                  timed("cycles", kern.run))
    lib.kernel_profile(prof.ctypes.data, net.threads, 1)
    t = time.perf_counter()
    for i in range(n_trials):
        net.compute_weights()
        net.trial(row(i))
    wall = (time.perf_counter() - t) / n_trials * 1e3
    lib.kernel_profile(prof.ctypes.data, net.threads, 1)
    per = {k: v / n_trials * 1e3 for k, v in calls.items()}
    return {"threads": net.threads, "wall_ms": wall, "calls_ms": per,
            "python_ms": wall - sum(per.values()), "phases_us": (prof / n_trials / 1e3).tolist()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", default="LARGE", help="SMALL, MEDIUM, LARGE, HUGE or a unit count (default LARGE)")
    p.add_argument("--threads", default="1,2", help="thread counts (default 1,2; 1 is always measured)")
    p.add_argument("--trials", type=int, default=40)
    p.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print("RESULT " + json.dumps(child(*a.child)), flush=True)
        return 0
    from emergent_py.leabra.bench import SIZES
    units = SIZES.get(a.size.upper()) or int(a.size)
    counts = sorted({1, *(int(x) for x in a.threads.split(","))})
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", EMERGENT_PY_MIN_SYNAPSES_PER_THREAD="0")
    rows = []
    for t in counts:
        out = subprocess.run([sys.executable, __file__, "--child", str(units), str(t), str(a.trials)], env=env,
                             capture_output=True, text=True)
        line = [l for l in out.stdout.splitlines() if l.startswith("RESULT ")]
        if out.returncode or not line:
            print(out.stderr[-3000:], file=sys.stderr)
            return 1
        rows.append(json.loads(line[-1][7:]))
    load = os.getloadavg()[0]
    print(f"{a.size} ({units} units per layer), {a.trials} trials, load average {load:.2f}; per trial")
    head = f"{'':22s}" + "".join(f"{str(r['threads']) + ' thread(s)':>24s}" for r in rows)
    print(head)
    print(f"{'wall ms':22s}" + "".join(f"{r['wall_ms']:24.2f}" for r in rows))
    for name in ("cycles", "dWt", "weight update"):
        print(f"{name + ' ms':22s}" + "".join(f"{r['calls_ms'][name]:24.3f}" for r in rows))
    print(f"{'Python steps ms':22s}" + "".join(f"{r['python_ms']:24.3f}" for r in rows))
    print("inside the cycles, us per thread (the ratio: one thread's time / the slowest thread's):")
    base = rows[0]["phases_us"][0]
    for j, name in enumerate(PHASES):
        cells = []
        for r in rows:
            per = [th[j] for th in r["phases_us"]]
            txt = " ".join(f"{x:.0f}" for x in per)
            if r is not rows[0] and max(per) > 0 and base[j] > 0 and not name.startswith(("waiting", "joining")):
                txt += f" ({base[j] / max(per):.2f}x)"
            cells.append(f"{txt:>24s}")
        print(f"{name:22s}" + "".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
