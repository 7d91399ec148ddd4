"""A deterministic, checkpointing run for the SLURM tests: the job-side contract of a payload,
writing a real run file (emergent_py.results.RunWriter), without the cost of Leabra training.

    python payload.py MODEL.json -o OUT.h5 [--steps N] [--step-s S] [--fail CODE]

It reads the model's seed and the Hidden layer's ``lay_inhib.gi`` (so sweep points differ), then
iterates ``x <- tanh(gi * x + noise)`` on a float64 vector split across MPI ranks (mpi4py when
launched by srun), one epoch row (``mean``, ``sumsq``) per step. It follows the contract job.sh
expects of any payload (emergent_py.errors.RESUME_EXIT):

* on SIGUSR1 it finishes the current step, stores a checkpoint in the run file (vector, step,
  RNG states, gathered on rank 0), closes it incomplete and exits 75;
* started again on a run file holding a checkpoint, it continues from it, so an interrupted and
  resumed run ends bitwise equal to an uninterrupted one.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

import numpy as np

from emergent_py.errors import RESUME_EXIT
from emergent_py.results import RunFile, RunWriter
from emergent_py.spec import Model

N = 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--step-s", type=float, default=0.0)
    ap.add_argument("--fail", type=int, default=0)
    a = ap.parse_args()

    comm = None
    if "PMIX_RANK" in os.environ or "OMPI_COMM_WORLD_SIZE" in os.environ:
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
    rank, size = (comm.Get_rank(), comm.Get_size()) if comm else (0, 1)
    warned = []
    signal.signal(signal.SIGUSR1, lambda *_: warned.append(time.time()))

    with open(a.model) as f:
        model = Model.from_json(f.read(), a.model)
    seed = model.plan.seed
    gi = model.layer_params["Hidden"].layer.lay_inhib.gi
    lo, hi = rank * N // size, (rank + 1) * N // size

    state = None
    if rank == 0 and os.path.exists(a.output):
        with RunFile(a.output) as rf:
            if rf.complete:
                print("run file already complete", flush=True)
                state = "done"
            else:
                state = rf.checkpoint()
    if comm is not None:
        state = comm.bcast(state, root=0)
    if state == "done":
        return 0
    if state is not None:
        step = int(state["step"])
        x = np.asarray(state["x"])[lo:hi].copy()
        rng = np.random.default_rng()
        rng.bit_generator.state = json.loads(state["rng"])[rank]
        print(f"rank {rank}: resuming at step {step}", flush=True)
    else:
        rng = np.random.default_rng([seed, rank])
        x, step = np.zeros(hi - lo), 0

    writer = None
    if rank == 0:
        writer = RunWriter(a.output, model, mode="a" if state is not None else "w", mpi_size=size)
    while step < a.steps:
        x = np.tanh(gi * x + rng.standard_normal(hi - lo))
        sums = np.array([x.sum(), (x * x).sum()])
        if comm is not None:
            sums = comm.allreduce(sums)
        step += 1
        if writer:
            writer.append_epoch({"epoch": step - 1, "mean": sums[0] / N, "sumsq": sums[1]})
        if a.fail and step == 1:
            print(f"failing on purpose with exit code {a.fail}", file=sys.stderr, flush=True)
            if writer:
                writer.close(complete=False)
            return a.fail
        time.sleep(a.step_s)
        stop = bool(warned)
        if comm is not None:
            stop = comm.allreduce(stop, op=MPI.LOR)
        if stop and step < a.steps:
            xs = comm.gather(x, root=0) if comm else [x]
            rngs = comm.gather(rng.bit_generator.state, root=0) if comm else [rng.bit_generator.state]
            if writer:
                writer.write_checkpoint({"x": np.concatenate(xs), "step": step, "rng": json.dumps(rngs)})
                writer.close(complete=False)
            print(f"rank {rank}: checkpointed at step {step}", flush=True)
            return RESUME_EXIT
    if writer:
        writer.close(complete=True)
    print(f"rank {rank} of {size}: done after {step} steps", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
