"""Job folders as tables: each run of a job as a :class:`~emergent_py.results.analysis.RunRecord`
(its run file, sweep point, seed and exit status), and the job's long-form DataFrame.

>>> from emergent_py.hpc.tables import to_pandas
>>> df = to_pandas("jobs/RandomAssoc-20260101-120000")     # doctest: +SKIP
>>> df.groupby(["Layer:lay_inhib.gi", "epoch"])["avg_sse"].mean()   # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

from ..results.analysis import RunRecord, collect_runs, records_of_files
from .jobfolder import Job, load_job


def job_records(job: Job) -> list[RunRecord]:
    """One record per run of the job, in run order; ``exit_code`` from the run's ``exit_code``
    file (written by job.sh when the run ended for good), None while it has none."""
    out = []
    for r in job.runs:
        code_file = job.run_dir(r["index"]) / "exit_code"
        code = None
        if code_file.is_file():
            text = code_file.read_text().strip()
            code = int(text) if text.lstrip("-").isdigit() else None
        out.append(RunRecord(str(job.run_file(r["index"])), dict(r["sweep"]), r["seed"], r["index"], code,
                             str(job.folder)))
    return out


def to_pandas(folder: str | Path | Job):
    """The job folder's runs as one long-form DataFrame (``collect_runs``: every run, every epoch)."""
    job = folder if isinstance(folder, Job) else load_job(folder)
    return collect_runs(job_records(job))


def records(paths) -> list[RunRecord]:
    """Records of job folders (every run, in order) and run files (as given), numbered on."""
    out: list[RunRecord] = []
    for p in paths:
        found = job_records(load_job(p)) if Path(p).is_dir() else records_of_files([p])
        out += [RunRecord(r.path, r.sweep, r.seed, len(out) + i, r.exit_code, r.job) for i, r in enumerate(found)]
    return out
