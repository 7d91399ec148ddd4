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

--kind chooses another figure (matplotlib; tables need pandas: pip install 'ldlc-emergent[analysis]'):
  seeds        runs grouped by sweep point: mean line, band (--band), seeds thin behind (job folders
               or run files; a job folder given to the default kind draws this)
  sweep        sweep value vs epochs to --criterion and vs the final --metric, every run a point
  overlay      two runs (native, emergent) on one axis and their |difference| (log), first
               divergence marked (--metric column, --level, --atol, --rtol as in compare)
  activations  every layer's act_m and act_p in its geometry for --trial of --epoch (run recorded
               with --record trial:LAYER,...; or --present: the pattern shown to the trained network)
  weights      receptive fields of --projection from the snapshot after --epoch (default: last)
  clusters     --layer activity per pattern (trained network of the run file): cluster plot,
               similarity matrix, PCA; --group-by SEP averages patterns named alike up to SEP

example:
  emergent-py plot native.h5 emergent.h5 -o curves.png
  emergent-py plot jobs/RandomAssoc-20260101-120000 -o seeds.png --band ci95
  emergent-py plot run.h5 --kind clusters --layer Hidden -o clusters.svg"""


def add_arguments(p) -> None:
    p.add_argument("runs", nargs="+", metavar="RUN.h5|JOB")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="image file (.png, .pdf, .svg)")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--metric", action="append", metavar="COLUMN",
                   help="epoch-log column to plot (repeatable; default: avg_sse/sse and pct_err)")
    p.add_argument("--title", help="figure title (default: the model name)")
    p.add_argument("--label", action="append", metavar="TEXT", help="legend label per run, in order")
    from ._plot_kinds import KINDS
    p.add_argument("--kind", choices=KINDS, default="curves", help="figure kind (see above); default curves")
    p.add_argument("--band", choices=("std", "ci95"), default="std",
                   help="seeds: band around the mean, +-1 std or the 95%% CI of the mean; default std")
    p.add_argument("--criterion", default="cnt_err<=0", metavar="COLUMN<=VALUE",
                   help="sweep: what 'epochs to criterion' means; default cnt_err<=0")
    p.add_argument("--level", choices=("epoch", "trial", "cycle"), default="trial",
                   help="overlay: log level compared; default trial")
    p.add_argument("--atol", type=float, default=0.0, help="overlay: absolute tolerance; default 0")
    p.add_argument("--rtol", type=float, default=1e-5, help="overlay: relative tolerance; default 1e-5")
    p.add_argument("--epoch", type=int, default=None,
                   help="activations: epoch of the trial; weights, clusters: the snapshot after this "
                        "epoch; default the last (clusters: the last checkpoint's full state)")
    p.add_argument("--trial", default="0", metavar="N|NAME", help="activations: trial position or name; default 0")
    p.add_argument("--present", action="store_true",
                   help="activations: present pattern --trial (row or name) once to the trained network "
                        "(last checkpoint, or the weights after --epoch) instead of reading the trial log; "
                        "default off")
    p.add_argument("--projection", metavar="SEND->RECV", help="weights: the projection (no default)")
    p.add_argument("--layer", help="clusters: the layer whose activity is analysed (no default)")
    p.add_argument("--var", default="act_m", help="clusters: unit variable; default act_m (minus phase)")
    p.add_argument("--group-by", metavar="SEP", default=None,
                   help="clusters: average patterns whose names agree up to SEP (e.g. _); default none")


def run(args) -> int:
    from ..errors import FormatError
    from ..results.plot import plot_runs
    refuse_existing([args.output], args.overwrite)
    from pathlib import Path
    from ._plot_kinds import plot_kind
    if args.kind == "curves" and any(Path(r).is_dir() for r in args.runs):
        args.kind = "seeds"                       # a job folder: its runs grouped by sweep point
    try:
        if args.kind != "curves":
            print(f"wrote {plot_kind(args)}")
            return 0
        out = plot_runs(args.runs, args.output, metrics=args.metric, title=args.title, labels=args.label)
    except (KeyError, ValueError) as e:
        raise FormatError(str(e.args[0]) if e.args else str(e)) from e
    print(f"wrote {out}")
    return 0
