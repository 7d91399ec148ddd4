"""Threads inside one network on the standard Leabra benchmark (``emergent-py bench --threads``).

For every size and thread count T this times the benchmark network (:func:`bench.bench_model`,
training trials with learning, after untimed warm-up trials: :func:`warm_up_trials`) in a fresh
process on T threads, wall-clock ms per trial (and the process's CPU ms per trial, all threads:
waiting threads spin, so more than the work), and
measures in the same run what the machine itself allows: T independent one-thread runs started
side by side (shared caches, memory bandwidth, and on a shared machine the other users' load),
the bound being T x (one run's ms) / (the slowest of the T side-by-side runs' ms). Repeats
alternate all measurements so that a change in the machine's load hits each of them; the best
of each is reported, and beside it the median over the repeats of each repeat's own ratios (on
a noisy shared machine the best one-thread run is a luckier pick than the best T-thread run,
which needs T fast CPUs at once). Every run is a subprocess (``python -m emergent_py.leabra.bench_threads
--child ...``), so the one-thread baseline and the side-by-side runs start alike.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from ..errors import BackendError
from .threads import MIN_SYNAPSES_ENV, affinity_cpus, auto_threads, cpu_list

#: timed trials per run (after the warm-up)
TRIALS = {"SMALL": 60, "MEDIUM": 40, "LARGE": 24, "HUGE": 8}
#: every run first trains about this long untimed, the same number of trials at every thread
#: count (so every run times the same work): on the team's VM a thread on the second CPU ran
#: its first ~100 ms slower (LARGE at 2 threads: trials 1-2 took 25% longer than trials 6-8 with
#: about the same work; one thread showed 5%)
WARM_UP_MS = 300


def warm_up_trials(units: int) -> int:
    """Untimed trials before a run of the benchmark with ``units`` per layer: WARM_UP_MS over a
    trial's time as it scales with the synapses on the team's VM (about 1 ms + 7.5 ns each)."""
    est_ms = 1.0 + 7.5e-6 * 7 * units * units
    return max(1, min(300, round(WARM_UP_MS / est_ms)))


def warm_up(net, units: int):
    """Train ``net`` (the benchmark with ``units`` per layer) for its untimed warm-up trials;
    returns the next trial's pattern row as a function of the timed trial's index."""
    order = net.rng.permutation(net.model.patterns.n)
    warm = warm_up_trials(units)
    for k in range(warm):
        if k:
            net.compute_weights()
        net.trial(int(order[k % len(order)]))
    return lambda i: int(order[(warm + i) % len(order)])


def child(units: int, threads: int, n_trials: int) -> dict:
    """One timed run in this process: wall ms per trial on ``threads`` threads."""
    from .bench import bench_model
    from .network import Network
    net = Network(bench_model(units), kernel="c", threads=threads)
    row = warm_up(net, units)
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(n_trials):
        net.compute_weights()
        net.trial(row(i))
    wall = (time.perf_counter() - t) / n_trials * 1e3
    cpu = (time.process_time() - cpu) / n_trials * 1e3
    return {"units": units, "threads": net.threads, "threads_requested": threads, "note": net.threads_note,
            "synapses": sum(p.n_syn for p in net.prjn_list), "ms_per_trial": wall, "cpu_ms": cpu}


def _command(units: int, threads: int, n_trials: int) -> list[str]:
    return [sys.executable, "-m", "emergent_py.leabra.bench_threads", "--child", str(units), str(threads),
            str(n_trials)]


def _environ(force: bool) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")            # no BLAS threads spinning beside the kernel's
    if force:
        env[MIN_SYNAPSES_ENV] = "0"
    return env


def _results(procs: list[subprocess.Popen], what: str) -> list[dict]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate()
        lines = [l for l in stdout.splitlines() if l.startswith("RESULT ")]
        if p.returncode != 0 or not lines:
            raise BackendError(f"bench --threads: {what} failed (exit {p.returncode}):\n{stderr[-3000:]}")
        out.append(json.loads(lines[-1][len("RESULT "):]))
    return out


def run_once(units: int, threads: int, n_trials: int, force: bool) -> dict:
    proc = subprocess.Popen(_command(units, threads, n_trials), env=_environ(force), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    return _results([proc], f"{units} units on {threads} thread(s)")[0]


def side_by_side(units: int, copies: int, n_trials: int) -> float:
    """The slowest ms/trial of ``copies`` one-thread runs started together."""
    procs = [subprocess.Popen(_command(units, 1, n_trials), env=_environ(False), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(copies)]
    return max(r["ms_per_trial"] for r in _results(procs, f"{copies} one-thread runs side by side"))


def measure(sizes: list[tuple[str, int]], thread_counts: list[int], repeat: int, trials: int | None,
            force: bool, out=sys.stdout) -> list[dict]:
    """Time every size at every thread count (and the side-by-side bound), print the table."""
    cpus = affinity_cpus()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench --threads: {auto_threads()} CPUs for this process"
          + (f" ({cpu_list(cpus)})" if cpus else "")
          + f", load average {load:.2f} at start, {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; "
          f"wall ms per trial, best of {repeat} alternating repeats"
          + ("; every thread used however small the network" if force else ""), file=out, flush=True)
    print(f"{'size':7s} {'units':>5s} {'synapses':>9s} {'threads':>7s} {'used':>4s} {'ms/trial':>9s} "
          f"{'speedup':>7s} {'bound':>6s} {'of bound':>8s} {'CPU ms':>8s}", file=out, flush=True)
    rows = []
    for name, units in sizes:
        n = trials or TRIALS.get(name, 10)
        runs: dict[int, list[dict]] = {t: [] for t in thread_counts}
        bounds: dict[int, list[float]] = {t: [] for t in thread_counts if 1 < t <= len(cpus or [1])}
        for _ in range(repeat):
            for t in thread_counts:
                runs[t].append(run_once(units, t, n, force))
            for t in bounds:
                bounds[t].append(side_by_side(units, t, n))
        one = min(r["ms_per_trial"] for r in runs[1]) if 1 in runs else None
        for t in thread_counts:
            best = min(runs[t], key=lambda r: r["ms_per_trial"])
            row = dict(best, size=name, all_ms=[r["ms_per_trial"] for r in runs[t]])
            speed = one / best["ms_per_trial"] if one else None
            bound = t * one / min(bounds[t]) if one and t in bounds else None
            row.update(speedup=speed, bound=bound, side_by_side_ms=bounds.get(t))
            rows.append(row)
            print(f"{name:7s} {units:5d} {best['synapses']:9d} {t:7d} {best['threads']:4d} {best['ms_per_trial']:9.2f} "
                  + (f"{speed:7.2f} " if speed else f"{'-':>7s} ")
                  + (f"{bound:6.2f} {speed / bound:8.0%}" if bound else f"{'-':>6s} {'-':>8s}")
                  + f" {best['cpu_ms']:8.2f}"
                  + (f"   ({best['note'].split(':')[0]}: too small to split)" if best["note"] else ""),
                  file=out, flush=True)
        for t in thread_counts:       # each repeat's own ratios: its runs ran minutes apart at most
            if t == 1 or 1 not in runs:
                continue
            pair = [o["ms_per_trial"] / r["ms_per_trial"] for o, r in zip(runs[1], runs[t])]
            row = next(r for r in rows if r["size"] == name and r["threads_requested"] == t)
            row["median_speedup"] = statistics.median(pair)
            text = f"        median of the {repeat} repeats' own ratios at {t} threads: speedup {row['median_speedup']:.2f}"
            if t in bounds:
                own = [t * o["ms_per_trial"] / b for o, b in zip(runs[1], bounds[t])]
                row["median_bound"] = statistics.median(own)
                row["median_of_bound"] = statistics.median(x / y for x, y in zip(pair, own))
                text += f", bound {row['median_bound']:.2f}, of bound {row['median_of_bound']:.0%}"
            print(text, file=out, flush=True)
        print("        all repeats, ms/trial: " + ", ".join(
            f"{t} thread(s) {[round(r['ms_per_trial'], 2) for r in runs[t]]}" for t in thread_counts)
            + "".join(f"; {t} one-thread runs side by side {[round(x, 2) for x in b]}" for t, b in bounds.items()),
            file=out, flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} at end", file=out, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--child", nargs=3, type=int, metavar=("UNITS", "THREADS", "TRIALS"), required=True)
    a = p.parse_args(argv)
    print("RESULT " + json.dumps(child(*a.child)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
