"""emergent-py collect FOLDER: the runs' final stats, one row per sweep point."""
from __future__ import annotations

import csv
import io
import math
import os
import sys

from ..fileio import OVERWRITE_HELP, refuse_existing
from ..hpc.jobfolder import load_job, write_atomic
from ..hpc.track import collect
from . import _nsg

NAME = "collect"
ORDER = 42
HELP = "gather a job folder's run files into one table of final stats per sweep point"
DESCRIPTION = HELP + """.

Each row is a sweep point: its swept values, how many runs (seeds) it has and how many finished,
and each final-epoch stat averaged over the finished seeds.

With -o, every run of one or more job folders (or run files) goes into one long-form table (sweep
values, seed, status, epoch, every epoch-log column; sweep.csv) and a per-point summary
(sweep.summary.csv: runs complete/incomplete/failed, epochs to --criterion and each final value
with n, mean, std, sem, median); .h5 holds both. Needs pandas: pip install 'ldlc-emergent[analysis]'.

example:
  emergent-py collect jobs/RandomAssoc-20260101-120000 -o sweep.csv"""


def add_arguments(p) -> None:
    p.add_argument("folder", metavar="FOLDER", nargs="+",
                   help="job folder written by `emergent-py submit` (with -o: several, or run files)")
    p.add_argument("--csv", metavar="PATH", help="also write the table as CSV (default: none)")
    p.add_argument("-o", "--output", metavar="TABLE.csv|.h5", default=None,
                   help="write the long-form runs table and the per-point summary (default: none)")
    p.add_argument("--criterion", metavar="COLUMN<=VALUE", default="cnt_err<=0",
                   help="with -o: what 'epochs to criterion' means; default cnt_err<=0")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.6g}"
    return str(v)


def run(args) -> int:
    if args.output:
        return _tables(args)
    refuse_existing([args.csv], args.overwrite, option="--csv")
    if len(args.folder) > 1:
        from ..errors import SubmitError
        raise SubmitError("several folders need -o TABLE.csv (the long-form table of every run)")
    job = load_job(args.folder[0])
    _nsg.fetch(job)              # an NSG job: download and unpack its run files first
    header, rows = collect(job)
    table = [header] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
    if args.csv:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header] + rows)
        from pathlib import Path
        write_atomic(Path(args.csv), buf.getvalue())
        print(f"wrote {args.csv}", file=sys.stderr)
    return 0


def _tables(args) -> int:
    """-o: the long-form table of every run and the per-point summary (results/analysis.py)."""
    from ..hpc.tables import records
    from ..results.analysis import Criterion, collect_runs, summarize, write_tables
    crit = Criterion.parse(args.criterion)
    if not args.output.lower().endswith((".csv", ".h5", ".hdf5")):
        from ..errors import FormatError
        raise FormatError(f"-o {args.output}: write .csv (the runs table + X.summary.csv) or .h5")
    stem, ext = os.path.splitext(args.output)
    refuse_existing([args.output] + ([stem + ".summary.csv"] if ext.lower() == ".csv" else []), args.overwrite)
    for folder in args.folder:           # NSG job folders: download and unpack their run files first
        if os.path.isdir(folder):
            _nsg.fetch(load_job(folder))
    long = collect_runs(records(args.folder))
    summary = summarize(long, crit)
    shown = [c for c in summary.columns if not c.startswith(("epochs_to_criterion", "final_"))]
    shown += [f"{v}_{s}" for v in ("epochs_to_criterion", f"final_{crit.column}")
              for s in ("mean", "std", "median") if f"{v}_{s}" in summary]
    print(f"criterion {crit}; all columns in the summary file")
    print(summary[shown].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for path in write_tables(long, summary, args.output):
        print(f"wrote {path}", file=sys.stderr)
    return 0
