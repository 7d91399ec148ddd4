"""Talking to SLURM: ``sbatch --parsable``, one ``squeue`` per poll, ``sacct`` for older jobs.

Everything here runs the SLURM client commands with argument lists (no shell) and turns their
failures into :class:`SubmitError` with the command's own message.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import SubmitError

FINISHED = ("COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "OUT_OF_MEMORY", "NODE_FAIL",
            "PREEMPTED", "BOOT_FAIL", "DEADLINE")
_PARSABLE = re.compile(r"^(\d+)(?:;\S+)?$")


def _run(cmd: list[str], cwd: str | Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    if shutil.which(cmd[0]) is None:
        raise SubmitError(f"'{cmd[0]}' not found on PATH: this machine has no SLURM client "
                          "(use --dry-run to only write the job folder)")
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise SubmitError(f"'{' '.join(cmd)}' did not answer within {timeout:.0f} s") from e


def parse_job_id(stdout: str) -> str:
    """The job id in ``sbatch --parsable`` output: the last line that is ``ID`` or ``ID;cluster``.

    Sites print banners (allocation balances, warnings) before it, so earlier lines are skipped.

    Raises
    ------
    SubmitError
        when no line holds a job id.
    """
    for line in reversed(stdout.strip().splitlines()):
        m = _PARSABLE.match(line.strip())
        if m:
            return m[1]
    raise SubmitError(f"sbatch printed no job id (output: {stdout.strip()[:300]!r})")


def sbatch(script: str, cwd: str | Path, extra: list[str] | None = None) -> str:
    """Submit ``script`` (a file name inside ``cwd``) and return its job id."""
    proc = _run(["sbatch", "--parsable", *(extra or []), script], cwd=cwd)
    if proc.returncode != 0:
        msg = (proc.stderr.strip() or proc.stdout.strip()).replace("\n", "; ")
        raise SubmitError(f"sbatch refused {Path(cwd) / script}: {msg}")
    return parse_job_id(proc.stdout)


@dataclass(frozen=True)
class JobState:
    """One SLURM job (or array task) as the scheduler reports it.

    ``job_id`` is ``ID`` for a plain job and ``ID_TASK`` for an array task; ``exit_code`` is the
    batch script's exit status (None while it runs), ``signal`` the signal that ended it (0 if none).
    """
    job_id: str
    state: str
    exit_code: int | None = None
    signal: int = 0
    reason: str = ""

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


def _exit(text: str) -> tuple[int | None, int]:
    """``sacct``'s ``CODE:SIGNAL`` -> (code, signal)."""
    code, _, sig = text.strip().partition(":")
    return (int(code) if code.isdigit() else None), (int(sig) if sig.isdigit() else 0)


def _wait_status(text: str) -> tuple[int | None, int]:
    """``squeue -O exit_code``'s raw wait status (exit 3 -> 768, SIGTERM -> 15) -> (code, signal)."""
    text = text.strip()
    if not text.isdigit():
        return None, 0
    raw = int(text)
    return raw >> 8, raw & 0x7F


SQUEUE_FORMAT = "JobArrayID:|,State:|,exit_code:|,Reason:"


def parse_squeue(stdout: str) -> dict[str, JobState]:
    """Lines of ``squeue -h -O SQUEUE_FORMAT`` -> ``{job id: JobState}``."""
    out = {}
    for line in stdout.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 3 or not parts[0]:
            continue
        state = parts[1].split()[0] if parts[1] else "UNKNOWN"
        code, sig = _wait_status(parts[2])
        finished = state in FINISHED
        out[parts[0]] = JobState(parts[0], state, code if finished else None, sig if finished else 0,
                                 parts[3] if len(parts) > 3 else "")
    return out


def squeue(job_ids: list[str]) -> dict[str, JobState]:
    """States of the given jobs (all their array tasks too) from one ``squeue -t all`` call.

    Jobs the controller has forgotten (older than its MinJobAge) are simply absent.
    """
    if not job_ids:
        return {}
    proc = _run(["squeue", "-h", "-t", "all", "-j", ",".join(job_ids), "-O", SQUEUE_FORMAT])
    if proc.returncode != 0:
        if "Invalid job id" in proc.stderr:
            return {}
        raise SubmitError(f"squeue failed: {proc.stderr.strip()}")
    return parse_squeue(proc.stdout)


def sacct(job_ids: list[str]) -> dict[str, JobState]:
    """Finished jobs from accounting: ``sacct`` where a database exists, else ``sacct -c`` (the
    completion log). Returns ``{}`` when neither knows them."""
    if not job_ids or shutil.which("sacct") is None:
        return {}
    args = ["-X", "-n", "-P", "-o", "JobID,State,ExitCode", "-j", ",".join(job_ids)]
    proc = _run(["sacct", *args])
    if proc.returncode != 0:            # "Slurm accounting storage is disabled"
        proc = _run(["sacct", "-c", *args])
        if proc.returncode != 0:
            return {}
    out = {}
    for line in proc.stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 3 or not parts[0] or "." in parts[0]:
            continue
        code, sig = _exit(parts[2])
        state = parts[1].split()[0]
        out[parts[0]] = JobState(parts[0], state, code, sig)
    return out
