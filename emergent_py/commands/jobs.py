"""emergent-py jobs [FOLDER...]: each run's SLURM state, exit code and run-file completeness."""
from __future__ import annotations

import json
import time
from pathlib import Path

from ..errors import SubmitError
from ..hpc.jobfolder import MANIFEST, load_job
from ..hpc.track import format_status, job_status, status_dict, summary_line
from . import _nsg

NAME = "jobs"
ORDER = 41
HELP = "show the state of submitted jobs, run by run"
DESCRIPTION = HELP + """.

One squeue call per poll covers every job shown (sacct, or `sacct -c` without an accounting
database, for jobs the controller has forgotten). FAILED and TIMEOUT runs show their exit code
and the path of their batch log; 'run file' says whether each run's HDF5 file is complete.
Without SLURM (a job folder copied off the cluster) the states come from the folder itself: the
exit status the job script recorded, else the run file (complete, STOPPED at a checkpoint,
UNFINISHED: never closed). Without FOLDER: every job folder under ./jobs."""


def add_arguments(p) -> None:
    p.add_argument("folders", nargs="*", metavar="FOLDER", help="job folders (default: ./jobs/*)")
    p.add_argument("--watch", type=float, metavar="S", help="poll every S seconds until all runs end "
                   "(NSG jobs: their status is asked at most once per 60 s); default: once")
    p.add_argument("--cancel", action="store_true", help="cancel the given NSG jobs (docs/nsg.md)")
    p.add_argument("--summary", action="store_true", help="one line per submission (default: a table of its runs)")
    p.add_argument("--json", action="store_true", help="print the status as JSON (default: text)")


def run(args) -> int:
    folders = [Path(f) for f in args.folders] or sorted(p.parent for p in Path("jobs").glob(f"*/{MANIFEST}"))
    if not folders:
        raise SubmitError("no job folders given and none under ./jobs")
    jobs = [load_job(f) for f in folders]
    jobs, nsg_jobs = _nsg.split(jobs)           # NSG jobs (--nsg) are tracked through NSG-R
    if args.cancel:
        return _nsg.cancel(jobs, nsg_jobs)
    while True:
        status = job_status(jobs) if jobs else {}
        nsg_texts, nsg_running = _nsg.status_texts(nsg_jobs)
        if args.json:
            print(json.dumps([status_dict(j, status[j.folder]) for j in jobs], indent=1), flush=True)
        elif args.summary:
            print("\n".join([summary_line(j, status[j.folder]) for j in jobs] + nsg_texts), flush=True)
        else:
            print("\n\n".join([format_status(j, status[j.folder]) for j in jobs] + nsg_texts), flush=True)
        running = nsg_running or any(s.state in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED",
                                                 "SUSPENDED") for rows in status.values() for s in rows)
        if not args.watch or not running:
            return 0
        time.sleep(args.watch)
        print()
