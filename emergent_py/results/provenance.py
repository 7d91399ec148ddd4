"""Where a run came from: package, project git state, host, library versions, cluster job, engine.

:func:`collect` returns a flat dict of JSON-able scalars that :class:`~emergent_py.results.RunWriter`
stores as attributes of ``/provenance``. The keys are documented in ``docs/runfile.md``.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import socket
import subprocess
import sys

#: environment variables recorded when present (key in the run file -> variable)
ENV_KEYS = {
    "slurm_job_id": "SLURM_JOB_ID",
    "slurm_array_job_id": "SLURM_ARRAY_JOB_ID",
    "slurm_array_task_id": "SLURM_ARRAY_TASK_ID",
    "slurm_cluster": "SLURM_CLUSTER_NAME",
    "slurm_job_name": "SLURM_JOB_NAME",
    "slurm_ntasks": "SLURM_NTASKS",
}


def now() -> str:
    """Current UTC time, ISO 8601 with seconds and a ``Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def git_state(folder: str) -> dict[str, object]:
    """``git_commit``, ``git_dirty`` (tracked files modified) and ``git_root`` of the repository
    holding ``folder``; empty when it is not in a git work tree or git is missing."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", folder, *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    try:
        root = git("rev-parse", "--show-toplevel")
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"git_commit": commit, "git_dirty": dirty, "git_root": root}


def mpi_size_from_env() -> int:
    """Ranks of this process's MPI world (1 without MPI); one rule, the launcher's (parallel.py).
    A task of a plain multi-task srun (no MPI) is a world of its own: 1 here, where the native
    core's refusal to train that way does not apply (e.g. `emergent-py import` in such a step)."""
    from ..errors import BackendError
    from ..leabra.parallel import world_size_from_env
    try:
        return world_size_from_env()
    except BackendError:
        return 1


def model_source(path: str | os.PathLike) -> dict[str, str]:
    """``model_file`` (absolute path), ``model_sha256`` and ``model_source`` (the text) of the
    model file a run was built from (``model.py``, or a model ``.json`` / ``.proj``)."""
    from ..fileio import file_sha256
    path = os.path.abspath(path)
    with open(path, "rb") as fh:
        data = fh.read()
    text = data.decode("utf-8", errors="replace") if not path.endswith(".gz") else ""
    return {"model_file": path, "model_sha256": file_sha256(path), "model_source": text}


def build_info() -> dict[str, str]:
    """``cpu_model``, ``compiler`` (the C kernel's compiler command and its first ``--version``
    line) and ``kernel_cflags`` (the flags the C kernel is built with; ``-march=native`` is
    dropped only where the compiler refuses it)."""
    from ..leabra import kernel
    cpu = next((ln.split(":", 1)[1].strip() for ln in kernel.cpu_identity().splitlines()
                if ln.startswith("model name")), platform.processor() or platform.machine())
    info = {"cpu_model": cpu, "kernel_cflags": " ".join(kernel.CFLAGS + kernel.NATIVE)}
    try:
        cc = kernel.compiler()
        version = subprocess.run(cc + ["--version"], capture_output=True, text=True, timeout=10).stdout
        info["compiler"] = shlex.join(cc) + (": " + version.splitlines()[0] if version.strip() else "")
    except Exception as e:  # noqa: BLE001 - no compiler is a fact to record, not an error here
        info["compiler"] = f"none ({e})"
    return info


def sweep_attrs(model) -> dict[str, object]:
    """The sweep point of a model made by ``submit --sweep`` (its ``sweep`` sheet), as root
    attributes of the run file: ``sweep`` (JSON ``{"SELECTOR:path": value}``) and one
    ``sweep.SELECTOR:path`` attribute per swept parameter; empty for a model without one."""
    import json
    # "sweep" is hpc.sweep.SWEEP_SHEET (results sits below hpc and cannot import it)
    sheet = next((s for s in (model.sheets if model is not None else ()) if s.name == "sweep"), None)
    if sheet is None:
        return {}
    # the point as it was swept (hpc.sweep.SWEPT_DOC + JSON in every entry's doc): one
    # unqualified value becomes several entries where the model sets layers more specifically
    prefix = "swept by emergent-py submit: "
    doc = sheet.sels[0].doc if sheet.sels else ""
    if doc.startswith(prefix):
        point = json.loads(doc[len(prefix):])
    else:
        point = {f"{e.sel}:{k}": v for e in sheet.sels for k, v in e.params.items()}
    return {"sweep": json.dumps(point, sort_keys=True), **{f"sweep.{k}": v for k, v in point.items()}}


def collect(engine: str, engine_version: str | None, seed: int | None = None, mpi_size: int | None = None,
            project_dir: str | None = None, argv: list[str] | None = None) -> dict[str, object]:
    """Provenance of the current process.

    Parameters
    ----------
    engine : ``"native"`` or ``"emergent"``
    engine_version : the engine's version (emergent's banner version, or the package version)
    seed : the run's seed (the model's ``plan.seed`` by default in RunWriter)
    mpi_size : number of MPI ranks; default from the MPI launcher's environment, else 1
    project_dir : folder whose git state is recorded (default: the current directory)
    argv : command line (default ``sys.argv``)
    """
    import h5py
    import numpy as np

    from .. import __version__
    info: dict[str, object] = {
        "package": "emergent_py",
        "package_version": __version__,
        "engine": engine,
        "engine_version": engine_version or "",
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "user": os.environ.get("USER", ""),
        "cwd": os.getcwd(),
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "h5py_version": h5py.__version__,
        "hdf5_version": h5py.version.hdf5_version,
        "mpi_size": int(mpi_size if mpi_size is not None else mpi_size_from_env()),
        "command_line": shlex.join(sys.argv if argv is None else argv),
        "start_time": now(),
    }
    if seed is not None:
        info["seed"] = int(seed)
    git = git_state(project_dir or os.getcwd())
    info.update(git or {"git_commit": "", "git_dirty": False, "git_root": ""})
    info.update(build_info())
    package_git = git_state(os.path.dirname(os.path.abspath(__file__)))
    if package_git:
        info["package_git_commit"] = package_git["git_commit"]
        info["package_git_dirty"] = package_git["git_dirty"]
    for key, var in ENV_KEYS.items():
        if os.environ.get(var):
            info[key] = os.environ[var]
    from ..leabra.threads import binding
    info.update(binding())           # the CPUs this process may run on, the launcher's binding
    return info
