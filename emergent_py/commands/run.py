"""emergent-py run SPEC: train a model on the native Leabra core (emergent 8.6 numerics)."""
from __future__ import annotations

import sys
import time

from ..leabra.run import RECORD_LEVELS, Run
from ..spec import load_model

NAME = "run"
ORDER = 20
HELP = "train a model on the native Leabra core"
DESCRIPTION = HELP + """.

Runs the model's plan (epochs, stop criterion, trial order, weight-update mode) in float32 as
emergent 8.6 computes it and prints one progress line per epoch on stderr
(epoch, sse, pct_err, elapsed) and a summary on stdout."""


def add_arguments(p) -> None:
    p.add_argument("spec", metavar="SPEC", help="model file, project folder or model .json")
    p.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the plan's)")
    p.add_argument("--seed", type=int, default=None, help="weight/order seed (default: the plan's)")
    p.add_argument("--record", choices=RECORD_LEVELS, default="epoch",
                   help="finest level of rows kept in memory (default epoch)")
    p.add_argument("--float64", action="store_true", help="float64 state and arithmetic (default float32)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def run(args) -> int:
    import numpy as np
    from ..errors import SpecError
    if args.epochs is not None and args.epochs < 1:
        raise SpecError(f"--epochs {args.epochs}: must be >= 1")
    if args.seed is not None and args.seed < 0:
        raise SpecError(f"--seed {args.seed}: must be >= 0")
    model = load_model(args.spec)
    t0 = time.perf_counter()
    r = Run(model, seed=args.seed, record=args.record, dtype=np.float64 if args.float64 else np.float32)

    def progress(row: dict) -> None:
        if not args.quiet:
            print(f"epoch {row['epoch']:4d}  sse {row['avg_sse']:9.4f}  pct_err {row['pct_err']:6.3f}  "
                  f"elapsed {time.perf_counter() - t0:8.2f}s", file=sys.stderr, flush=True)

    log = r.run(args.epochs, progress=progress)
    last = log.epochs[-1]
    why = "stop criterion reached" if r.stopped else "epoch limit"
    print(f"{model.name}: {len(log.epochs)} epochs ({why}), final avg_sse {last['avg_sse']:.4f}, "
          f"cnt_err {last['cnt_err']}, pct_err {last['pct_err']:.3f}, "
          f"{time.perf_counter() - t0:.2f}s")
    return 0
