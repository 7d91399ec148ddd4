"""emergent-py compare A.h5 B.h5: per-column differences of two runs and a verdict (exit 0/1)."""
from __future__ import annotations

NAME = "compare"
ORDER = 61
HELP = "compare two run files column by column (exit 0 within tolerance, 1 not)"
DESCRIPTION = HELP + """.

For every column both runs share: the max absolute and relative difference, the number of rows
over tolerance and the first one (epoch / trial / cycle), and a verdict. A value passes when
|a - b| <= atol + rtol * |b|; strings must be equal. Rows are matched by (batch, epoch[, trial[,
cycle]]); rows found in only one run fail the comparison unless --shared-rows-only. Wall-clock columns (epoch_time_*) are
skipped unless named with --column. --weights also compares the weight snapshots both runs
saved at the same epoch (per projection and bias layer). Works for native vs native and native vs emergent (import
emergent runs first with `emergent-py import`).

example:
  emergent-py compare native.h5 emergent.h5 --level trial --atol 1e-4 --rtol 1e-3"""


def add_arguments(p) -> None:
    p.add_argument("a", metavar="A.h5")
    p.add_argument("b", metavar="B.h5")
    p.add_argument("--level", choices=("epoch", "trial", "cycle"), default="epoch", help="log to compare")
    p.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance (default 1e-6)")
    p.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (default 1e-5)")
    p.add_argument("--column", action="append", metavar="NAME", help="compare only these columns (repeatable)")
    p.add_argument("--ignore", action="append", metavar="NAME", help="leave out these columns (repeatable)")
    p.add_argument("--shared-rows-only", action="store_true",
                   help="compare the rows both runs have; rows in one run only are listed, not failed")
    p.add_argument("--weights", action="store_true",
                   help="also compare the weight snapshots saved at the same epochs")


def run(args) -> int:
    from ..errors import FormatError
    from ..results.compare import compare_runs
    from ..results.runfile import RunFile
    with RunFile(args.a) as a, RunFile(args.b) as b:
        try:
            result = compare_runs(a, b, args.level, args.atol, args.rtol, args.column, args.ignore,
                                  weights=args.weights, shared_rows_only=args.shared_rows_only)
        except KeyError as e:
            raise FormatError(str(e.args[0])) from e
    print(result.report())
    return 0 if result.ok else 1
