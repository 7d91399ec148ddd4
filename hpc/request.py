"""A resource request (partition, nodes, tasks, wall time, ...) checked against a site profile.

:func:`check_request` runs before anything is written: wall time over the partition's limit, too
many nodes or tasks, a missing required or a forbidden directive all raise :class:`SubmitError`
naming the value, the limit and the fix. It returns the ``#SBATCH`` directives to write.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import SubmitError
from .profile import Profile, format_time, parse_time

ENGINES = ("native", "emergent")
# sbatch values we write into #SBATCH lines: sbatch (not the shell) parses those lines, so we only
# let through characters that need no quoting there. Always fullmatch: "$" also matches before a
# final newline, which would let "value\n" end the header early (sbatch stops at a non-#SBATCH line).
_DIRECTIVE_VALUE = re.compile(r"[A-Za-z0-9_.,:@%=+/\-]+")
_OPTION_NAME = re.compile(r"[a-z][a-z0-9-]*")
# control characters (newline, CR, tab, escape, NUL, ...): no value written into a job file has them
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Directives the generated script sets itself; --sbatch may not override them.
# slurmctld checks time limits (and sends --signal warnings) every 30 s, and sends the warning
# once the time left is under the asked lead plus that period.
SIGNAL_SLACK_S = 30
OWN_DIRECTIVES = ("job-name", "partition", "nodes", "ntasks", "ntasks-per-node", "time", "account", "array", "output",
                  "error", "signal", "requeue", "open-mode", "mem", "gres", "cpus-per-task")


@dataclass(frozen=True)
class Resources:
    """What a job asks SLURM for.

    Parameters
    ----------
    partition : ``-p``; None -> the profile's default partition
    nodes : ``-N``
    ntasks : ``-n`` (total tasks); None -> 1
    time : ``-t``, ``[D-]HH:MM:SS`` or minutes
    account : ``-A``
    mem, gres : ``--mem`` / ``--gres`` (forbidden on TACC)
    np : MPI ranks of each run (``--np``); each run is launched with ``<launcher> -n np``
    throttle : at most this many array tasks at once (``--array=...%K``)
    signal_s : seconds before the wall-time limit that SLURM sends USR1 (``--signal=B:USR1@N``);
        None: no warning (payloads that cannot checkpoint)
    extra : more directives, ``(name, value)`` pairs (``--sbatch name=value``)
    threads : threads inside each task (``--threads``: ``--cpus-per-task``; hybrid with ``np``)
    """
    partition: str | None = None
    nodes: int = 1
    ntasks: int | None = None
    time: str = "01:00:00"
    account: str | None = None
    mem: str | None = None
    gres: str | None = None
    np: int = 1
    throttle: int | None = None
    signal_s: int | None = 120
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    threads: int = 1

    def to_dict(self) -> dict:
        return {"partition": self.partition, "nodes": self.nodes, "ntasks": self.ntasks,
                "time": self.time, "account": self.account, "mem": self.mem, "gres": self.gres,
                "np": self.np, "throttle": self.throttle, "signal_s": self.signal_s,
                "extra": [list(e) for e in self.extra], "threads": self.threads}


def parse_extra(items: list[str] | None) -> tuple[tuple[str, str], ...]:
    """``--sbatch name=value`` (or a bare flag ``name``) -> ``(name, value)`` pairs."""
    out = []
    for item in items or ():
        check_text("--sbatch", item)
        name, _, value = item.strip().lstrip("-").partition("=")
        if not _OPTION_NAME.fullmatch(name):
            raise SubmitError(f"--sbatch {item!r}: write a long sbatch option without dashes, "
                              "e.g. --sbatch mail-type=END")
        out.append((name, value))
    return tuple(out)


def _directive(name: str, value: str | int | None) -> str:
    if value is None or value == "":
        return f"#SBATCH --{name}"
    text = str(value)
    if not _DIRECTIVE_VALUE.fullmatch(text):
        raise SubmitError(f"--{name} {text!r}: only letters, digits and _.,:@%=+/- may appear in an "
                          "#SBATCH value (sbatch, not the shell, reads those lines)")
    return f"#SBATCH --{name}={text}"


def check_text(what: str, value) -> None:
    """Refuse a user value holding a control character (a newline, CR, tab, ...): every value
    of a request ends up on one line of a job file (an #SBATCH line, the quoted job name, the
    manifest), where a line break would end the header or change the script's lines."""
    if value is not None and _CONTROL.search(str(value)):
        char = _CONTROL.search(str(value)).group()
        raise SubmitError(f"{what} {str(value)!r}: holds the control character {char!r} (position "
                          f"{str(value).index(char)}); job files take one-line values without control characters")


def slurm_job_name(name: str) -> str:
    """The name SLURM shows: ``name`` with every character outside [A-Za-z0-9._+-] as ``_``.

    The full name (spaces, quotes, newlines and all) is kept in the manifest and, quoted, in the
    script; SLURM's copy is only a label, so it is made safe rather than quoted.
    """
    safe = re.sub(r"[^A-Za-z0-9._+-]", "_", name)[:64]
    return safe or "emergent-py"


def _tasks_directive(profile: Profile, ntasks: int, nodes: int) -> str:
    if profile.tasks == "ntasks":
        return _directive("ntasks", ntasks)
    if ntasks % nodes:
        raise SubmitError(f"-n {ntasks} tasks do not split evenly over -N {nodes} nodes, and "
                          f"'{profile.name}' takes --ntasks-per-node; use a multiple of {nodes}")
    return _directive("ntasks-per-node", ntasks // nodes)


def _check_threads(threads, ntasks: int, nodes: int, part, where: str) -> None:
    """``threads`` per task must fit the partition's nodes with the tasks SLURM places on each
    (``ntasks`` over ``nodes``, the fullest node counted): no node is oversubscribed."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise SubmitError(f"--threads {threads!r}: must be a whole number >= 1")
    cores = part.cores_per_node
    if threads > cores:
        raise SubmitError(f"--threads {threads} is more than the {cores} cores of one node on {where}; "
                          f"use --threads {cores} or fewer")
    per_node = -(-ntasks // nodes)
    if per_node * threads > cores:
        fit = cores // threads
        raise SubmitError(f"-n {ntasks} tasks of --threads {threads} on -N {nodes} node(s) put {per_node} tasks, "
                          f"{per_node * threads} cores, on a node of {cores} cores ({where}): that oversubscribes "
                          f"it; use -N {-(-ntasks // fit)} or --threads {cores // per_node}")


def check_texts(res: Resources, job_name: str) -> None:
    """Every user string of the request that reaches the job file, free of control characters
    (:func:`check_text`): checked before any of them is used (a partition name is looked up)."""
    for what, value in (("-J/--job-name", job_name), ("-p/--partition", res.partition), ("-t/--time", res.time),
                        ("-A/--account", res.account), ("--mem", res.mem), ("--gres", res.gres),
                        *(("--sbatch", f"{name}={value}") for name, value in res.extra)):
        check_text(what, value)


def check_request(profile: Profile, res: Resources, job_name: str, n_runs: int) -> list[str]:
    """Check ``res`` against ``profile`` and return the ``#SBATCH`` lines of the job.

    Parameters
    ----------
    profile : the site
    res : the request
    job_name : any text (made safe for SLURM by :func:`slurm_job_name`)
    n_runs : runs in the job; more than one is a job array (or a launcher job where
        the profile's ``sweep`` is ``launcher``)

    Raises
    ------
    SubmitError
        naming the value, the site's limit and the fix.
    """
    check_texts(res, job_name)
    part = profile.partition(res.partition)
    where = f"cluster '{profile.name}' partition '{part.name}'"
    seconds = parse_time(res.time, "-t/--time")
    if seconds <= 0:
        raise SubmitError("-t/--time must be longer than 0")
    if seconds > part.max_time:
        raise SubmitError(f"-t {res.time} ({format_time(seconds)}) is over the {format_time(part.max_time)} "
                          f"limit of {where}; ask for at most {format_time(part.max_time)} "
                          "(runs that need longer resume from checkpoints on requeue)")
    if not isinstance(res.nodes, int) or res.nodes < 1:
        raise SubmitError(f"-N {res.nodes!r}: must be a whole number >= 1")
    if res.nodes > part.max_nodes:
        raise SubmitError(f"-N {res.nodes} is more than the {part.max_nodes} node(s) one job may use on {where}")
    ntasks = 1 if res.ntasks is None else res.ntasks
    if not isinstance(ntasks, int) or ntasks < 1:
        raise SubmitError(f"-n {res.ntasks!r}: must be a whole number >= 1")
    if ntasks > res.nodes * part.cores_per_node:
        raise SubmitError(f"-n {ntasks} tasks do not fit on {res.nodes} node(s) of {part.cores_per_node} "
                          f"cores ({where}); use -N {-(-ntasks // part.cores_per_node)} or fewer tasks")
    if ntasks < res.nodes:
        raise SubmitError(f"-n {ntasks} is fewer tasks than -N {res.nodes} nodes")
    if not isinstance(res.np, int) or res.np < 1 or res.np > ntasks:
        raise SubmitError(f"--np {res.np} MPI ranks per run must be between 1 and the job's -n {ntasks}")
    _check_threads(res.threads, ntasks, res.nodes, part, where)
    launcher_sweep = n_runs > 1 and profile.sweep == "launcher"
    if launcher_sweep and res.np != 1:
        raise SubmitError(f"--np {res.np}: on '{profile.name}' sweeps run through TACC's launcher, "
                          "whose tasks are serial; use --np 1 (or submit each point separately)")
    if res.signal_s is not None and (res.signal_s < 1 or res.signal_s + SIGNAL_SLACK_S >= seconds):
        raise SubmitError(f"--signal {res.signal_s}: SLURM may send the checkpoint warning up to "
                          f"{SIGNAL_SLACK_S} s earlier than asked, so a {format_time(seconds)} job needs "
                          f"--signal below {seconds - SIGNAL_SLACK_S} (and >= 1) or the run is warned "
                          "before it has started")
    if res.throttle is not None and res.throttle < 1:
        raise SubmitError(f"--throttle {res.throttle}: must be >= 1")

    asked = {"account": res.account, "mem": res.mem, "gres": res.gres}
    asked.update(dict(res.extra))
    if n_runs > 1 and not launcher_sweep:
        asked["array"] = "array"
    for name, _ in res.extra:
        if name in OWN_DIRECTIVES or name in ("J", "p", "N", "n", "t", "A", "o", "e"):
            raise SubmitError(f"--sbatch {name}: set by emergent-py itself; use its own option "
                              "(-p, -N, -n, -t, -A, --mem, --gres, --throttle)")
    for name in profile.forbidden:
        if asked.get(name) is not None:
            raise SubmitError(f"--{name}, which '{profile.name}' does not accept (forbidden: "
                              f"{', '.join('--' + f for f in profile.forbidden)}); drop it")
    for name in profile.required:
        if asked.get(name) is None:
            hint = " (-A PROJECT)" if name == "account" else f" (--sbatch {name}=...)"
            raise SubmitError(f"'{profile.name}' requires --{name}{hint}")

    lines = [_directive("job-name", slurm_job_name(job_name)),
             _directive("partition", part.name),
             _directive("nodes", res.nodes),
             _tasks_directive(profile, ntasks, res.nodes),
             _directive("time", format_time(seconds))]
    if res.threads > 1:
        lines.append(_directive("cpus-per-task", res.threads))
    for name in ("account", "mem", "gres"):
        if asked[name] is not None:
            lines.append(_directive(name, asked[name]))
    if n_runs > 1 and not launcher_sweep:
        lines.append(_directive("array", f"0-{n_runs - 1}" + (f"%{res.throttle}" if res.throttle else "")))
        lines.append(_directive("output", "logs/%A_%a.out"))
    else:
        lines.append(_directive("output", "logs/%j.out"))
    if res.signal_s is not None:
        lines.append(_directive("signal", f"B:USR1@{res.signal_s}"))
    if res.signal_s is not None and profile.resume == "requeue":
        lines += [_directive("requeue", None), _directive("open-mode", "append")]
    for name, value in res.extra:
        lines.append(_directive(name, value))
    return lines
