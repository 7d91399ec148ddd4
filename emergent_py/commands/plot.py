"""emergent-py plot RUN.h5 [MORE.h5 ...] -o curves.png: learning curves, runs overlaid, engines side by side."""
from __future__ import annotations

from ..fileio import OVERWRITE_HELP, refuse_existing

NAME = "plot"
ORDER = 62
HELP = "plot learning curves (SSE and pct_err per epoch) of one or more run files"
DESCRIPTION = HELP + """.

Runs are overlaid; when they come from different engines (native and an emergent import) each
engine gets its own column, side by side with shared axes. Incomplete runs are drawn dashed.
Needs matplotlib: pip install 'ldlc-emergent[plot]'.

example:
  emergent-py plot native.h5 emergent.h5 -o curves.png"""


def add_arguments(p) -> None:
    p.add_argument("runs", nargs="+", metavar="RUN.h5")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="image file (.png, .pdf, .svg)")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--metric", action="append", metavar="COLUMN",
                   help="epoch-log column to plot (repeatable; default: avg_sse/sse and pct_err)")
    p.add_argument("--title", help="figure title (default: the model name)")
    p.add_argument("--label", action="append", metavar="TEXT", help="legend label per run, in order")


def run(args) -> int:
    from ..errors import FormatError
    from ..results.plot import plot_runs
    refuse_existing([args.output], args.overwrite)
    try:
        out = plot_runs(args.runs, args.output, metrics=args.metric, title=args.title, labels=args.label)
    except (KeyError, ValueError) as e:
        raise FormatError(str(e.args[0]) if e.args else str(e)) from e
    print(f"wrote {out}")
    return 0
