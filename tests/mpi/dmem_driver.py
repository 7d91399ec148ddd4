"""Run under mpirun by the MPI tests: a DmemRun of SPEC, saving what the tests check.

    mpirun -np N python dmem_driver.py SPEC OUT.npz [--wt-update M] [--small-batch-n K]
        [--epochs E] [--fail raise|perturb|none] [--fail-rank R] [--fail-epoch E] [--pid-dir D]

Rank 0 writes OUT.npz: ``init/<prjn>`` and ``final/<prjn>`` weights (n_recv, n_send), ``epochs``
(JSON of the epoch rows), ``trials`` (JSON of the trial rows), ``size`` and the Allreduce count.
``--fail raise`` raises on rank R after epoch E; ``perturb`` changes one weight on rank R after
epoch E (the checksum must catch it); ``--pid-dir`` makes every rank write ``<rank>.pid`` and
rank 0 write ``epoch.<n>`` files, for the kill test.
"""
import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from emergent_py.leabra.parallel import DmemRun, ranks
from emergent_py.spec import Model, load_model


class Fault:
    def __init__(self, args, dmem, run_ref):
        self.args, self.dmem, self.run_ref = args, dmem, run_ref

    def on_epoch(self, row):
        a, rank = self.args, self.dmem.rank
        if a.pid_dir and rank == 0:
            Path(a.pid_dir, f"epoch.{row['epoch']}").write_text("done")
        if row["epoch"] != a.fail_epoch or rank != a.fail_rank:
            return
        if a.fail == "raise":
            raise RuntimeError(f"injected failure on rank {rank} after epoch {row['epoch']}")
        if a.fail == "perturb":
            self.run_ref[0].net.prjn_list[0].wt[0, 0] += np.float32(0.01)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("spec")
    p.add_argument("out")
    p.add_argument("--wt-update", default=None)
    p.add_argument("--small-batch-n", type=int, default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--fail", default="none", choices=("none", "raise", "perturb"))
    p.add_argument("--fail-rank", type=int, default=1)
    p.add_argument("--fail-epoch", type=int, default=0)
    p.add_argument("--pid-dir", default=None)
    a = p.parse_args()
    with ranks() as dmem:
        if dmem is None:
            sys.exit("dmem_driver.py must run under mpirun with more than one rank")
        if a.pid_dir:
            Path(a.pid_dir, f"{dmem.rank}.pid").write_text(str(os.getpid()))
        model = load_model(a.spec)
        changes = {k: v for k, v in (("wt_update", a.wt_update), ("small_batch_n", a.small_batch_n),
                                     ("epochs", a.epochs)) if v is not None}
        if changes:
            import dataclasses
            model = Model(model.network, model.sheets, model.patterns, dataclasses.replace(model.plan, **changes))
        ref = []
        run = DmemRun(model, dmem, observer=Fault(a, dmem, ref))
        ref.append(run)
        init = {f"init/{q.name}": q.var("wt") for q in run.net.prjn_list}
        run.run()
        if dmem.rank == 0:
            final = {f"final/{q.name}": q.var("wt") for q in run.net.prjn_list}
            np.savez(a.out, **init, **final, epochs=json.dumps(run.log.epochs),
                     trials=json.dumps(run.log.trials), size=dmem.size, n_allreduce=dmem.n_allreduce)


if __name__ == "__main__":
    main()
