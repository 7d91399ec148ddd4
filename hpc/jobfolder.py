"""Job folders: everything one submission needs and produces, in one place.

Layout::

    FOLDER/manifest.json        what was asked (cluster, resources, runs, payload) and the job id
    FOLDER/job.sh               the rendered batch script (submitted from FOLDER)
    FOLDER/tasks.txt            TACC launcher job file (sites without job arrays only)
    FOLDER/runs/NNN/model.json  run NNN's model (sweep sheet appended, seed set)
    FOLDER/runs/NNN/run.h5      its run file, written by the payload
    FOLDER/runs/NNN/exit_code   its exit status, written by job.sh when the run ends for good
    FOLDER/logs/                SLURM's stdout/stderr of the job (array tasks: JOBID_TASK.out)
    FOLDER/resubmits            "JOBID TASK" lines of jobs that resubmitted themselves

NSG jobs (``cluster = "nsg"``, hpc/nsg.py) have no job.sh; they keep ``nsg_job.zip``,
``nsg_request.json`` and ``nsg_status.json`` instead, and the job id is NSG's job handle.

Every file is written under a temporary name and renamed when complete.
"""
from __future__ import annotations

import dataclasses

import datetime as _dt
import json
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import SubmitError
from ..fileio import atomic_write, describe
from ..spec import Model
from . import slurm
from .profile import Profile
from .render import ENGINE_CHECKPOINTS, ENGINE_PAYLOADS, MODEL_FILE, RUN_FILE, ScriptInputs, payload_command, render_job, render_tasks
from .request import ENGINES, Resources, check_request, check_text, check_texts
from .packing import job_resources, plan as plan_packing
from .sweep import RunPoint, point_model

MANIFEST = "manifest.json"
SCRIPT = "job.sh"
SCHEMA = "emergent_py.job"
SCHEMA_VERSION = 1


def write_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write ``text`` to ``path`` via a temporary file renamed into place."""
    atomic_write(path, text, mode)


def default_folder(model: Model, root: str | Path = "jobs") -> Path:
    """``jobs/<model name>-<UTC time>`` (the model name made file-safe)."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{re.sub(r'[^A-Za-z0-9._+-]', '_', model.name)}-{stamp}"


@dataclass(frozen=True)
class Job:
    """A job folder and its manifest (see the module docstring)."""
    folder: Path
    manifest: dict

    @property
    def runs(self) -> list[dict]:
        return self.manifest["runs"]

    @property
    def job_id(self) -> str | None:
        return self.manifest.get("job_id")

    def run_dir(self, index: int) -> Path:
        return self.folder / self.runs[index]["dir"]

    def run_file(self, index: int) -> Path:
        return self.run_dir(index) / RUN_FILE

    def resubmits(self) -> list[tuple[str, int | None]]:
        """``(job id, run index or None for all runs)`` of self-resubmitted jobs, oldest first."""
        path = self.folder / "resubmits"
        out = []
        if path.exists():
            for line in path.read_text().splitlines():
                parts = line.split()
                if parts and parts[0].isdigit():
                    out.append((parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None))
        return out


def load_job(folder: str | Path) -> Job:
    """Read a job folder's manifest; SubmitError when the folder is not a job folder."""
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SubmitError(f"{folder} is not a job folder (no {MANIFEST}; job folders are made by "
                          "`emergent-py submit`)") from None
    except json.JSONDecodeError as e:
        raise SubmitError(f"{path}: invalid JSON at line {e.lineno}: {e.msg}") from e
    except UnicodeDecodeError as e:
        raise SubmitError(f"{path}: not UTF-8 text (byte {e.start}) but {describe(path)}; expected "
                          "a job manifest (JSON written by `emergent-py submit`)") from None
    if data.get("schema") != SCHEMA or data.get("schema_version") != SCHEMA_VERSION:
        raise SubmitError(f"{path}: not an emergent_py job manifest (schema {data.get('schema')!r}, "
                          f"version {data.get('schema_version')!r})")
    return Job(folder, data)


def create_job(folder: str | Path, model: Model, profile: Profile, res: Resources, points: list[RunPoint],
               *, job_name: str | None = None, engine: str = "native", payload: str | None = None,
               python: str | None = None, checkpoint: bool | None = None,
               runs_per_node: int | None = None) -> Job:
    """Check the request, then write the job folder (nothing is written if the check fails).

    Parameters
    ----------
    folder : the job folder; must not exist or be empty
    model : the base model; each point gets its sweep sheet and seed
    profile, res : the site and the request (checked by :func:`check_request`)
    points : the runs (:func:`emergent_py.hpc.sweep.expand`)
    job_name : any text; default the model's name
    engine : ``native`` or ``emergent`` (picks the default payload)
    payload : the run command with ``{python} {model} {output} {run_dir}`` placeholders;
        default ``ENGINE_PAYLOADS[engine]``
    python : interpreter of the jobs; default the profile's, else the one running this
    checkpoint : whether the payload keeps checkpoints in its run file (docs/hpc.md); default:
        the engine's for its own payload (native: yes, MPI runs too), True for a custom one. Without it the job gets no warning
        signal and is not requeued.
    runs_per_node : serial runs side by side on one node where the partition gives whole nodes
        (default: one per core; :mod:`.packing`)
    """
    if engine not in ENGINES:
        raise SubmitError(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if not points:
        raise SubmitError("no runs to submit")
    job_name = model.name if job_name is None else job_name
    for what, value in (("-o/--folder", str(folder)), ("--payload", payload), ("--python", python)):
        check_text(what, value)
    if checkpoint is None:
        checkpoint = ENGINE_CHECKPOINTS[engine] if payload is None else True
    if not checkpoint:
        res = replace(res, signal_s=None)
    check_texts(res, job_name)               # before the packing looks the partition up
    packing = plan_packing(profile, res, len(points), runs_per_node)
    if packing is not None:                   # the request becomes that of one packed job / task
        res = job_resources(res, packing)
        if packing.mode == "launcher":
            profile = dataclasses.replace(profile, sweep="launcher")
    n_jobs = packing.jobs if packing is not None and packing.mode == "array" else len(points)
    directives = check_request(profile, res, job_name, n_jobs)
    python = python or profile.python or sys.executable
    command = payload_command(payload or ENGINE_PAYLOADS[engine], python)
    if res.threads > 1 and payload is None and engine == "native":
        command += f" --threads {res.threads}"           # a custom payload passes its own
    folder = write_run_models(folder, model, points)
    inputs = ScriptInputs(directives=directives, job_dir=str(folder), job_name=job_name,
                          n_runs=len(points), np=res.np, python=python, payload=command,
                          checkpoint=checkpoint, threads=res.threads,
                          needs_package=payload is None or checkpoint, packing=packing)
    script = render_job(profile, inputs)
    write_atomic(folder / SCRIPT, script, mode=0o755)
    if len(points) > 1 and profile.sweep == "launcher":
        write_atomic(folder / "tasks.txt", render_tasks(len(points)))
    manifest = {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
        "name": job_name, "model": model.name, "cluster": profile.name,
        "profile": str(profile.path), "engine": engine, "python": python,
        "payload": payload or ENGINE_PAYLOADS[engine], "checkpoint": checkpoint,
        "resources": res.to_dict(), "directives": directives,
        "array": n_jobs > 1 and profile.sweep == "array",
        "packing": packing.to_dict() if packing is not None else None,
        "runs": run_entries(points),
        "job_id": None, "submitted": None,
    }
    write_manifest(folder, manifest)
    return Job(folder, manifest)


def write_run_models(folder: str | Path, model: Model, points: list[RunPoint]) -> Path:
    """Validate every point's model, then write ``runs/NNN/model.json`` (and ``logs/``) into a new
    or empty job folder; returns the folder's absolute path."""
    models = [point_model(model, p) for p in points]          # validates every point first
    folder = Path(folder).absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SubmitError(f"job folder {folder} already exists and is not empty; choose another "
                          "with -o/--folder")
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    for p, m in zip(points, models):
        run_dir = folder / p.dir
        run_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(run_dir / MODEL_FILE, m.to_json())
    return folder


def run_entries(points: list[RunPoint]) -> list[dict]:
    """The manifest's ``runs`` list."""
    return [{"index": p.index, "dir": p.dir, "sweep": p.values, "seed": p.seed} for p in points]


def write_manifest(folder: Path, manifest: dict) -> None:
    write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def submit_job(job: Job) -> Job:
    """``sbatch --parsable job.sh`` from the job folder; record the job id in the manifest."""
    if job.job_id is not None:
        raise SubmitError(f"{job.folder} was already submitted as job {job.job_id}")
    job_id = slurm.sbatch(SCRIPT, cwd=job.folder)
    return record_submission(job, job_id)


def record_submission(job: Job, job_id: str) -> Job:
    """Write the job id (SLURM's, or NSG's job handle) and the submission time into the manifest."""
    manifest = dict(job.manifest, job_id=job_id,
                    submitted=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    write_manifest(job.folder, manifest)
    return Job(job.folder, manifest)
