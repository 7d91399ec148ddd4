"""Where each run of a job folder stands, from one ``squeue`` call per poll (plus ``sacct`` for
jobs the controller has forgotten), and the runs' final stats gathered into one table.
"""
from __future__ import annotations

import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SubmitError
from . import slurm
from .jobfolder import Job


@dataclass(frozen=True)
class RunStatus:
    """One run: the SLURM job (or array task) that ran it last, its state and exit code, and
    whether its run file is complete."""
    index: int
    job_id: str | None
    state: str
    exit_code: int | None
    signal: int              # the signal that ended the job (TIMEOUT, CANCELLED: 15), else 0
    run_file: str            # complete | incomplete | missing | unreadable: <why>
    sweep: dict
    seed: int
    log: str | None = None   # the batch log of a run that failed (its path in the job folder)


def read_run_file(path: Path):
    """Open a run file with the results package's reader (``emergent_py.results.RunFile``)."""
    try:
        from ..results import RunFile
    except ImportError as e:               # the results package is part of the same project
        raise SubmitError(f"cannot read run files: emergent_py.results is missing ({e})") from e
    return RunFile(path)


def run_file_status(path: Path) -> str:
    if not path.exists():
        return "missing"
    try:
        rf = read_run_file(path)
    except SubmitError:
        raise
    except Exception as e:   # noqa: BLE001 - a file another process is writing fails in many ways
        return f"unreadable: {e}"
    try:
        return "complete" if rf.complete else "incomplete"
    finally:
        rf.close()


def run_job_ids(job: Job) -> list[str | None]:
    """The SLURM id that ran (or will run) each run last: ``ID`` or ``ID_TASK`` for array tasks.

    Self-resubmitted jobs (``resubmits``) replace the original for the runs they cover.
    """
    if job.job_id is None:
        return [None] * len(job.runs)
    per_task = (job.manifest.get("packing") or {}).get("per_node", 1) \
        if (job.manifest.get("packing") or {}).get("mode") == "array" else 1    # packed array tasks
    ids: list[str | None] = [f"{job.job_id}_{r['index'] // per_task}" if job.manifest["array"] else job.job_id
                             for r in job.runs]
    for new_id, task in job.resubmits():
        for i, r in enumerate(job.runs):
            if task is None:
                ids[i] = new_id
            elif r["index"] == task:
                ids[i] = f"{new_id}_{task}"
    return ids


_ARRAY = re.compile(r"^(\d+)_\[([^\]]+)\]$")


def _expand(states: dict[str, slurm.JobState]) -> dict[str, slurm.JobState]:
    """Split squeue's pending-array lines (``123_[0-4%2]``) into one entry per task."""
    out = {}
    for key, st in states.items():
        m = _ARRAY.match(key)
        if not m:
            out[key] = st
            continue
        for part in m[2].split("%")[0].split(","):
            lo, _, hi = part.partition("-")
            for t in range(int(lo), int(hi or lo) + 1):
                out[f"{m[1]}_{t}"] = slurm.JobState(f"{m[1]}_{t}", st.state, st.exit_code, st.signal, st.reason)
    return out


#: states of a run that ended badly: `jobs` shows where its batch log is
FAILED_STATES = ("FAILED", "TIMEOUT", "CANCELLED", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE")


def state_from_files(exit_code: int | None, run_file: str) -> str:
    """A run's state without a scheduler (a job folder copied off the cluster): from the exit
    status the job script recorded, else from its run file."""
    if exit_code is not None:
        return "COMPLETED" if exit_code == 0 else "FAILED"
    return {"complete": "COMPLETED", "incomplete": "STOPPED", "missing": "NOT STARTED"}.get(
        run_file, "UNFINISHED")          # a run file never closed: still running, or killed


def log_path(job: Job, job_id: str | None) -> str | None:
    """The batch log of SLURM job (or array task) ``job_id`` in the job folder (``logs/ID.out``)."""
    return None if job_id is None else str(job.folder / "logs" / f"{job_id}.out")


def job_status(jobs: list[Job], use_slurm: bool | None = None) -> dict[Path, list[RunStatus]]:
    """Status of every run of every job, with one ``squeue`` call (and at most one ``sacct``).
    Without SLURM (``use_slurm`` False; default: whether ``squeue`` is on PATH), or for jobs it
    does not know (a folder copied from another cluster), the states come from the job folder
    alone (:func:`state_from_files`)."""
    if use_slurm is None:
        use_slurm = shutil.which("squeue") is not None
    ids = {folder_job.folder: run_job_ids(folder_job) for folder_job in jobs}
    wanted = sorted({i.split("_")[0] for lst in ids.values() for i in lst if i}) if use_slurm else []
    states = _expand(slurm.squeue(wanted)) if wanted else {}
    missing = sorted({i.split("_")[0] for lst in ids.values() for i in lst
                      if i and i not in states and i.split("_")[0] not in states}) if use_slurm else []
    if missing:
        states.update(slurm.sacct(missing))
    out = {}
    for job in jobs:
        rows = []
        for r, jid in zip(job.runs, ids[job.folder]):
            st = states.get(jid) if jid else None
            if st is None and jid and "_" in jid:          # array task of a finished, collapsed job
                st = states.get(jid.split("_")[0])
            run_dir = job.folder / r["dir"]
            code_file = run_dir / "exit_code"
            code = int(code_file.read_text().strip()) if code_file.is_file() else None
            sig = 0
            file_state = run_file_status(run_dir / "run.h5")
            if st is None:
                # unknown to the scheduler (none here, or a folder copied from another cluster)
                state = "NOT SUBMITTED" if jid is None else state_from_files(code, file_state)
            else:
                state, sig = st.state, st.signal
                if code is None and st.finished:
                    code = st.exit_code
            failed = state in FAILED_STATES or code not in (None, 0)
            rows.append(RunStatus(r["index"], jid, state, code, sig, file_state, r["sweep"], r["seed"],
                                  log_path(job, jid) if failed else None))
        out[job.folder] = rows
    return out


def format_status(job: Job, rows: list[RunStatus]) -> str:
    lines = [f"{job.folder}  ({job.manifest['name']!r} on {job.manifest['cluster']}, job "
             f"{job.job_id or 'not submitted'})"]
    header = ("run", "job", "state", "exit", "run file", "point")
    table = [header] + [(str(s.index), s.job_id or "-", s.state,
                         ("-" if s.exit_code is None else str(s.exit_code)) + (f" (signal {s.signal})" if s.signal else ""),
                         s.run_file,
                         " ".join([f"{k}={v}" for k, v in s.sweep.items()] + [f"seed={s.seed}"]))
                        for s in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    counts: dict[str, int] = {}
    for s in rows:
        counts[s.state] = counts.get(s.state, 0) + 1
    done = sum(s.run_file == "complete" for s in rows)
    lines.append("  " + ", ".join(f"{n} {k}" for k, n in counts.items()) + f"; {done}/{len(rows)} run files complete")
    lines += [f"  run {s.index} failed: log {s.log}" + ("" if Path(s.log).exists() else " (not in this folder)")
              for s in rows if s.log]
    return "\n".join(lines)


def summary_line(job: Job, rows: list[RunStatus]) -> str:
    """One line for a submission: folder, name, site, job id, the runs' states, run files."""
    counts: dict[str, int] = {}
    for s in rows:
        counts[s.state] = counts.get(s.state, 0) + 1
    done = sum(s.run_file == "complete" for s in rows)
    failed = sum(s.log is not None for s in rows)
    return (f"{job.folder}  {job.manifest['name']} on {job.manifest['cluster']}, job {job.job_id or 'not submitted'}: "
            f"{len(rows)} run(s): " + ", ".join(f"{n} {k}" for k, n in counts.items())
            + f"; {done}/{len(rows)} run files complete" + (f"; {failed} failed (see their logs)" if failed else ""))


def status_dict(job: Job, rows: list[RunStatus]) -> dict:
    """A job's status as JSON-ready data (``jobs --json``)."""
    import dataclasses
    return {"folder": str(job.folder), "name": job.manifest["name"], "cluster": job.manifest["cluster"],
            "job_id": job.job_id, "runs": [dataclasses.asdict(s) for s in rows]}


def final_stats(path: Path) -> dict[str, Any]:
    """The last epoch's value of every column of a complete run file, plus ``epochs`` run."""
    rf = read_run_file(path)
    try:
        if not rf.complete:
            raise SubmitError(f"{path}: run file is not complete")
        cols = rf.epochs
        out: dict[str, Any] = {"epochs": len(cols)}
        for name, values in cols.items():
            if len(values) and np.ndim(values[-1]) == 0:
                v = values[-1]
                out[name] = v.item() if hasattr(v, "item") else v
        return out
    finally:
        rf.close()


def collect(job: Job) -> tuple[list[str], list[list[Any]]]:
    """One row per sweep point: its values, how many seeds finished, and the mean (over seeds) of
    each final stat; runs whose file is missing or incomplete are counted, not averaged.

    Returns
    -------
    header : column names (sweep keys, ``n_runs``, ``n_complete``, then each stat)
    rows : one list per sweep point, in run order
    """
    points: dict[str, dict] = {}
    for r in job.runs:
        key = repr(sorted(r["sweep"].items()))
        p = points.setdefault(key, {"sweep": r["sweep"], "runs": 0, "stats": []})
        p["runs"] += 1
        path = job.run_file(r["index"])
        if run_file_status(path) == "complete":
            p["stats"].append(final_stats(path))
    sweep_keys = list(job.runs[0]["sweep"]) if job.runs else []
    stat_names: list[str] = []
    for p in points.values():
        for s in p["stats"]:
            stat_names += [k for k, v in s.items() if k not in stat_names and _numeric(v)]
    header = sweep_keys + ["n_runs", "n_complete"] + stat_names
    rows = []
    for p in points.values():
        row: list[Any] = [p["sweep"][k] for k in sweep_keys] + [p["runs"], len(p["stats"])]
        for name in stat_names:
            vals = [float(s[name]) for s in p["stats"] if name in s]
            row.append(sum(vals) / len(vals) if vals else math.nan)
        rows.append(row)
    return header, rows


def _numeric(v: Any) -> bool:
    return isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
