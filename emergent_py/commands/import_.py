"""emergent-py import RUN.epc.dat [--trial ...] [--cycle ...] [--wts ...] -o run.h5: an emergent run -> run file."""
from __future__ import annotations

from ..fileio import OVERWRITE_HELP, refuse_existing

NAME = "import"
ORDER = 60
HELP = "turn an emergent run's .dat logs and .wts weights into a run file (.h5)"
DESCRIPTION = HELP + """.

The run file has the same layout as a native run (engine = emergent), so `compare` and `plot`
work on both. Column names stay as emergent wrote them (avg_sse, cnt_err, pct_err, ...); each
weight file becomes a snapshot at its <Epoch>. A log whose last line is cut short (killed run)
is imported without that line and the run is marked incomplete.

example:
  emergent-py import LeabraStd_e5.epc.dat --trial LeabraStd_e5.trl.dat \\
      --wts LeabraStd_e5_bin.00_0005.wts.gz --emergent-version 8.6.1 -o e5.h5"""


def add_arguments(p) -> None:
    p.add_argument("epoch_log", metavar="RUN.epc.dat", help="emergent epoch log")
    p.add_argument("-o", "--output", required=True, metavar="RUN.h5", help="run file to write")
    p.add_argument("--trial", metavar="RUN.trl.dat", help="trial log")
    p.add_argument("--cycle", metavar="RUN.cyc.dat", help="cycle log")
    p.add_argument("--wts", metavar="W.wts[.gz]", action="append", default=[],
                   help="weight file (TEXT or BINARY, plain or gz); repeat for several")
    p.add_argument("--model", metavar="SPEC", help="model spec to store with the run (names projections)")
    p.add_argument("--emergent-version", metavar="V", help="emergent's version, e.g. 8.6.1")
    p.add_argument("--overwrite", "-f", "--force", dest="overwrite", action="store_true",
                   help=OVERWRITE_HELP + " (-f/--force: the old spelling)")


def run(args) -> int:
    from ..results.importer import import_emergent
    from ..results.runfile import RunFile
    refuse_existing([args.output], args.overwrite)
    model = None
    if args.model:
        from ..spec import load_model
        model = load_model(args.model)
    out = import_emergent(args.epoch_log, args.output, trial_dat=args.trial, cycle_dat=args.cycle,
                          wts=args.wts, model=model, engine_version=args.emergent_version,
                          mode="w" if args.overwrite else "w-")
    with RunFile(out) as r:
        parts = [f"{len(r.epochs)} epochs"]
        if len(r.trials):
            parts.append(f"{len(r.trials)} trials")
        if len(r.cycles):
            parts.append(f"{len(r.cycles)} cycle rows")
        if r.weight_epochs:
            parts.append(f"weights at epochs {', '.join(map(str, r.weight_epochs))}")
        print(f"wrote {out}: {', '.join(parts)}" + ("" if r.complete else " (incomplete: a log was cut short)"))
    return 0
