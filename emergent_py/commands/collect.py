"""emergent-py collect FOLDER: the runs' final stats, one row per sweep point."""
from __future__ import annotations

import csv
import io
import math
import sys

from ..fileio import OVERWRITE_HELP, refuse_existing
from ..hpc.jobfolder import load_job, write_atomic
from ..hpc.track import collect

NAME = "collect"
ORDER = 42
HELP = "gather a job folder's run files into one table of final stats per sweep point"
DESCRIPTION = HELP + """.

Each row is a sweep point: its swept values, how many runs (seeds) it has and how many finished,
and each final-epoch stat averaged over the finished seeds."""


def add_arguments(p) -> None:
    p.add_argument("folder", metavar="FOLDER", help="job folder written by `emergent-py submit`")
    p.add_argument("--csv", metavar="PATH", help="also write the table as CSV (default: none)")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.6g}"
    return str(v)


def run(args) -> int:
    refuse_existing([args.csv], args.overwrite, option="--csv")
    header, rows = collect(load_job(args.folder))
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
