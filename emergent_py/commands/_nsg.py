"""The NSG side of ``submit``, ``jobs`` and ``collect`` (the work is in hpc/nsg.py; docs/nsg.md)."""
from __future__ import annotations

import json
import sys

from ..errors import SubmitError
from ..hpc import nsg
from ..hpc.jobfolder import Job, default_folder
from ..hpc.nsg_package import ZIP_NAME
from ..hpc.track import run_job_ids

# submit's SLURM-only options: (attribute, its default, option name)
SLURM_ONLY = (("cluster", None, "--cluster"), ("partition", None, "-p/--partition"), ("account", None, "-A/--account"),
              ("mem", None, "--mem"), ("gres", None, "--gres"), ("sbatch", None, "--sbatch"),
              ("engine", "native", "--engine"), ("np", 1, "--np"), ("throttle", None, "--throttle"),
              ("python", None, "--python"), ("payload", None, "--payload"), ("no_checkpoint", False, "--no-checkpoint"))


def submit(args, model, points) -> int:
    """``submit --nsg``: the job folder and zip, then NSG-R's validate and submit."""
    given = [name for attr, default, name in SLURM_ONLY if getattr(args, attr, default) != default]
    if given:
        raise SubmitError(f"--nsg: {', '.join(given)} apply to SLURM clusters only; NSG takes --tool, -t, -n, "
                          "--sweep, --seeds, -J, -o, --dry-run")
    creds = None if args.dry_run else nsg.load_credentials()       # before anything is written
    url = creds.url if creds else nsg.configured_url()
    job = nsg.create_job(args.folder or default_folder(model), model, points, time_limit=args.time,
                         cores=1 if args.ntasks is None else args.ntasks, nodes=args.nodes, tool=args.tool or nsg.DEFAULT_TOOL,
                         job_name=args.job_name, url=url)
    info = job.manifest["nsg"]
    cost = (f"{len(points)} run(s) on {job.manifest['resources']['cores']} core(s) for up to "
            f"{job.manifest['resources']['time']}: at most {info['core_hours']:g} core-hours")
    if args.dry_run:
        request = json.loads((job.folder / nsg.REQUEST_FILE).read_text(encoding="utf-8"))
        sys.stdout.write(nsg.format_request(request))
        print(f"# dry run: wrote {job.folder / ZIP_NAME} and {nsg.REQUEST_FILE} ({cost}); nothing was sent. "
              f"curl commands for it are in {nsg.REQUEST_FILE}", file=sys.stderr)
        return 0
    try:
        job, status = nsg.submit(job, nsg.Client(creds))
    except SubmitError as e:
        raise SubmitError(f"{e} (the job folder {job.folder} was written, not submitted)") from None
    print(f"submitted NSG job {job.job_id} ({info['tool']}, stage {status.stage}): {cost}, in {job.folder}")
    return 0


def split(jobs: list[Job]) -> tuple[list[Job], list[Job]]:
    """(SLURM jobs, NSG jobs)."""
    return [j for j in jobs if not nsg.is_nsg(j)], [j for j in jobs if nsg.is_nsg(j)]


class _LazyClient:
    """One client for all the jobs shown, made (credentials read) only when a poll is due."""

    def __init__(self) -> None:
        self._client = None

    def __call__(self) -> nsg.Client:
        if self._client is None:
            self._client = nsg.Client(nsg.load_credentials())
        return self._client



def status_texts(jobs: list[Job]) -> tuple[list[str], bool]:
    """Each NSG job's block of ``jobs`` and whether any of them has not ended."""
    texts, running = [], False
    client = _LazyClient()
    for job in jobs:
        if job.job_id is None:
            texts.append(nsg.format_status(job, None, None))
            continue
        try:
            status, age = nsg.poll(job, client)
        except SubmitError as e:       # one job's failure does not hide the others
            last = nsg.cached_status(job)
            texts.append(nsg.format_status(job, *(last or (None, None))) + f"\n  status request failed: {e}")
            running = running or last is None or not last[0].terminal
            continue
        texts.append(nsg.format_status(job, status, age))
        running = running or not status.terminal
    return texts, running


def cancel(slurm_jobs: list[Job], nsg_jobs: list[Job]) -> int:
    """``jobs --cancel``: NSG jobs are cancelled; SLURM jobs get the scancel line to run."""
    if slurm_jobs:
        ids = sorted({i.split("_")[0] for j in slurm_jobs for i in run_job_ids(j) if i})
        raise SubmitError(f"--cancel cancels NSG jobs; {', '.join(str(j.folder) for j in slurm_jobs)} "
                          f"{'is a SLURM job' if len(slurm_jobs) == 1 else 'are SLURM jobs'}: "
                          + (f"scancel {' '.join(ids)}" if ids else "not submitted"))
    client = _LazyClient()
    for job in nsg_jobs:
        nsg.cancel(job, client())
        print(f"cancelled NSG job {job.job_id} ({job.folder})")
    return 0


def fetch(job: Job) -> None:
    """``collect`` of an NSG job folder: download and unpack its results first (no-op for SLURM
    folders and for results already collected)."""
    if not nsg.is_nsg(job):
        return
    for note in nsg.fetch_results(job, _LazyClient()):
        print(f"warning: {note}", file=sys.stderr)
