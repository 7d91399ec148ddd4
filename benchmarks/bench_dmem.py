"""Speedup of MPI data parallelism (emergent's dmem, ``emergent-py run --np N``) on the standard
Leabra benchmark: ``python benchmarks/bench_dmem.py [--sizes MEDIUM,LARGE] [--np 2] [--repeat 2]``.

For every size it trains the benchmark network (:func:`emergent_py.leabra.bench.bench_model`,
10 random patterns, permuted order, small_batch of 10 trials in total, as emergent's default
``small_batch_n``) for the same number of trials on 1 rank and on N ranks, each started by the
package's own launcher (mpirun, one BLAS thread per rank), and prints per size: ms per trial for
1 and N ranks, the speedup, the share of the N-rank wall time spent inside the weight-change
Allreduce (waiting for the slower rank included) and the pure transfer time of one Allreduce
(measured after a barrier, in the same run). The baseline (1 rank) is measured in the same
invocation; repeats alternate 1 and N ranks so that a change in machine load hits both.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

SIZES = ("MEDIUM", "LARGE")
#: trials timed per run (after one warm-up epoch): enough for several updates of 10 trials
TRIALS = {"SMALL": 400, "MEDIUM": 200, "LARGE": 100, "HUGE": 40}
N_PATTERNS = 10


def child(size: str, n_trials: int) -> None:
    """One timed run (inside the launched ranks); rank 0 prints one JSON line."""
    from emergent_py.leabra import parallel
    from emergent_py.leabra.bench import SIZES as UNITS, bench_model
    from emergent_py.leabra.run import Run
    from emergent_py.spec import Model, RunPlan

    base = bench_model(UNITS[size], n_patterns=N_PATTERNS)
    model = Model(base.network, base.sheets, base.patterns,
                  RunPlan(epochs=10 ** 6, stop_cnt_err=None, order="permuted", wt_update="small_batch",
                          small_batch_n=10, seed=0))
    with parallel.ranks() as dmem:
        size_n = 1 if dmem is None else dmem.size
        run = Run(model) if dmem is None else parallel.DmemRun(model, dmem)
        trials_per_epoch = -(-N_PATTERNS // size_n) * size_n
        epochs = max(1, round(n_trials / trials_per_epoch))
        run.run(1)                                           # warm-up epoch (allocations, caches)
        if dmem is not None:
            dmem.comm.Barrier()
            ar0, n0 = dmem.allreduce_s, dmem.n_allreduce
        t = time.perf_counter()
        run.run(1 + epochs)
        if dmem is not None:
            dmem.comm.Barrier()
        wall = time.perf_counter() - t
        out = {"size": size, "np": size_n, "trials": epochs * trials_per_epoch, "wall_s": wall,
               "ms_per_trial": wall / (epochs * trials_per_epoch) * 1e3,
               "n_values": run.net.dwt_size()}
        if dmem is not None:
            from mpi4py import MPI
            out["allreduce_s"] = dmem.allreduce_s - ar0
            out["n_allreduce"] = dmem.n_allreduce - n0
            buf = np.zeros(run.net.dwt_size(), dtype=np.float32)
            pure = []
            for _ in range(5):                              # transfer alone: all ranks ready
                dmem.comm.Barrier()
                t = time.perf_counter()
                dmem.comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
                pure.append(time.perf_counter() - t)
            out["pure_allreduce_ms"] = float(np.median(pure)) * 1e3
            out["all_allreduce_s"] = dmem.allgather(out["allreduce_s"])
        if dmem is None or dmem.rank == 0:
            print("RESULT " + json.dumps(out), flush=True)


def launch(size: str, n: int, n_trials: int) -> dict:
    from emergent_py.leabra import parallel
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    prog = [sys.executable, os.path.abspath(__file__), "--child", size, "--trials", str(n_trials)]
    res = subprocess.run(parallel.launcher_command(n, prog, env), env=parallel.launch_environ(env),
                         capture_output=True, text=True)
    return _result(res.stdout, res.returncode, res.stderr, f"{size} on {n} rank(s)")


def _result(stdout: str, rc: int, stderr: str, what: str) -> dict:
    """A child's RESULT line, or exit with its error output."""
    lines = [l for l in stdout.splitlines() if l.startswith("RESULT ")]
    if rc != 0 or not lines:
        sys.exit(f"bench_dmem: {what} failed (exit {rc}):\n{stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def launch_pair(size: str, n_trials: int) -> list[dict]:
    """Two independent 1-rank runs at the same time (no MPI): what the machine itself allows
    when both cores compute (shared caches and memory bandwidth), the bound for N = 2."""
    from emergent_py.leabra import parallel
    prog = [sys.executable, os.path.abspath(__file__), "--child", size, "--trials", str(n_trials)]
    procs = [subprocess.Popen(prog, env=parallel.launch_environ(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate() for p in procs]
    return [_result(out, p.returncode, err, f"{size} as one of two 1-rank runs") for p, (out, err) in zip(procs, outs)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(SIZES), help="comma-separated sizes (default MEDIUM,LARGE)")
    p.add_argument("--np", type=int, default=2, help="ranks to compare with 1 rank (default 2)")
    p.add_argument("--repeat", type=int, default=2, help="alternating repeats; the best of each is reported")
    p.add_argument("--trials", type=int, default=None, help="trials timed per run (default per size)")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a.child, a.trials)
        return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench_dmem: {os.cpu_count()} cores, load average {load:.2f} at start, "
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; one BLAS thread per rank")
    head = (f"{'size':7s} {'values':>9s} {'trials':>6s} {'1 rank ms':>10s} {a.np} ranks ms".ljust(48)
            + f" {'speedup':>7s} {'in Allreduce':>12s} {'pure AR ms':>10s} {'n AR':>5s}")
    print(head)
    for size in [s.strip().upper() for s in a.sizes.split(",") if s.strip()]:
        n_trials = a.trials or TRIALS[size]
        ones, manys, pairs = [], [], []
        for _ in range(a.repeat):
            ones.append(launch(size, 1, n_trials))
            manys.append(launch(size, a.np, n_trials))
            if a.np == 2:
                pairs.append(max(r["ms_per_trial"] for r in launch_pair(size, n_trials)))
        one = min(ones, key=lambda r: r["ms_per_trial"])
        many = min(manys, key=lambda r: r["ms_per_trial"])
        share = 100 * many["allreduce_s"] / many["wall_s"]
        print(f"{size:7s} {many['n_values']:9d} {many['trials']:6d} {one['ms_per_trial']:10.1f} "
              f"{many['ms_per_trial']:10.1f}".ljust(48)
              + f" {one['ms_per_trial'] / many['ms_per_trial']:7.2f} {share:11.1f}% "
              f"{many['pure_allreduce_ms']:10.2f} {many['n_allreduce']:5d}")
        print(f"        all repeats, ms/trial: 1 rank {[round(r['ms_per_trial'], 1) for r in ones]}, "
              f"{a.np} ranks {[round(r['ms_per_trial'], 1) for r in manys]}; Allreduce s per rank "
              f"(best run) {[round(x, 3) for x in many['all_allreduce_s']]}", flush=True)
        if pairs:
            pair = min(pairs)
            print(f"        2 independent 1-rank runs at once: {pair:.1f} ms/trial each (slower of the two), so "
                  f"this machine allows at most {2 * one['ms_per_trial'] / pair:.2f}x for 2 ranks; "
                  f"dmem reaches {one['ms_per_trial'] / many['ms_per_trial'] / (2 * one['ms_per_trial'] / pair):.0%} "
                  f"of that (repeats {[round(x, 1) for x in pairs]})", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
