"""Run C++ emergent headless on a project and judge the run from its outputs.

emergent exits 0 on errors and can hang (emergent-formats.md 4.4 and 7.1), so a run is judged
only from what it leaves behind, never from the exit code:

* no ``***ERROR``, ``***CHECK ERROR`` or ``Quitting non-interactive job on error`` line in its
  output;
* it finished within the timeout (a truncated project or a startup program that fails to
  initialise makes emergent wait forever);
* the epoch log ``<name><tag>.epc.dat`` exists, and its last epoch is the last one asked for, or
  the project's stop criterion was met;
* the final weights ``<name><tag>.<BB>_<EEEE>.wts.gz`` exist (``save_final_wts=true``; BB is
  the batch, EEEE the epoch).

The command line is ``emergent -nogui -ni -p X.proj n_batches=1 n_threads=1 epochs=N tag=T
save_final_wts=true``: settings and paths are always ``name=value`` (emergent aborts on startup
arguments nobody reads, including option-style spellings). The project is parsed first, so a
truncated or corrupted file is a FormatError before emergent is started.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from ..errors import BackendError, SpecError
from .dump import Dump, read_project

ERROR_MARKERS = ("***ERROR", "***CHECK ERROR", "Quitting non-interactive job on error")
_VERSION = re.compile(r"Running emergent version:\s*(?P<version>\S+)(?:\s+svn rev:\s*(?P<rev>\S+))?")
EMERGENT_ENV = "EMERGENT"


@dataclass
class EmergentRun:
    """What a headless emergent run did. ``ok`` is judged from the outputs (module docstring)."""
    command: list[str]
    project: Path
    name: str                         # the project's internal name: it names the output files
    tag: str                          # as it appears in the output file names
    out_dir: Path
    returncode: int | None = None
    timed_out: bool = False
    seconds: float = 0.0
    output: str = ""                  # stdout and stderr together
    errors: list[str] = field(default_factory=list)
    epc: Path | None = None
    trl: Path | None = None
    wts: list[Path] = field(default_factory=list)
    args_file: Path | None = None
    version: str = ""                 # emergent's version (its banner, else the project header)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def base(self) -> str:
        return f"{self.name}{self.tag}"


def find_emergent(explicit: str | os.PathLike | None = None) -> str:
    """The emergent executable: ``explicit``, then ``$EMERGENT``, then ``emergent`` on PATH."""
    looked = []
    for cand in (explicit, os.environ.get(EMERGENT_ENV), "emergent"):
        if not cand:
            continue
        found = shutil.which(str(cand))
        if found:
            return found
        looked.append(str(cand))
    raise BackendError(f"no emergent executable found (looked for: {', '.join(looked)}); pass "
                       f"--emergent PATH or set ${EMERGENT_ENV}")


def emergent_command(exe: str, project: Path, *, tag: str, epochs: int | None = None,
                     n_threads: int = 1, extra: Mapping[str, object] | None = None) -> list[str]:
    """The headless command line. Every setting is ``name=value``; paths are absolute because
    emergent changes its working directory to the project's folder."""
    cmd = [exe, "-nogui", "-ni", "-p", str(project.resolve()), "n_batches=1",
           f"n_threads={int(n_threads)}", f"tag={tag}", "save_final_wts=true"]
    if epochs is not None:
        cmd.append(f"epochs={int(epochs)}")
    for key, value in (extra or {}).items():
        if not re.fullmatch(r"[A-Za-z_]\w*", str(key)):
            raise SpecError(f"emergent argument name {key!r}: emergent takes name=value arguments "
                            "with identifier names")
        if isinstance(value, bool):
            value = "true" if value else "false"
        cmd.append(f"{key}={value}")
    return cmd


def output_dir(project: Path, log_dir: str | None = None) -> Path:
    """Where emergent writes: the project's folder (plus log_dir); ClusterRun's ``models`` ->
    ``../results`` layout is honoured (emergent-formats.md 4.3)."""
    folder = project.resolve().parent
    if folder.name == "models" and (folder.parent / "results").is_dir():
        return folder.parent / "results"
    return folder / log_dir if log_dir else folder


def run_emergent(project: str | os.PathLike, *, exe: str | None = None, epochs: int | None = None,
                 tag: str = "_run", timeout: float = 3600.0, n_threads: int = 1,
                 extra: Mapping[str, object] | None = None, check: bool = True) -> EmergentRun:
    """Run ``project`` headless and judge the result from its outputs.

    Parameters
    ----------
    project : the ``.proj`` to run (parsed first: a broken file never reaches emergent)
    exe : the emergent executable (default :func:`find_emergent`)
    epochs : ``epochs=`` (LeabraTrain max_epoch); default the project's own
    tag : ``tag=``, appended to the project name in every output file name
    timeout : seconds before the process group is killed (emergent can hang)
    extra : more ``name=value`` arguments (every one must be read by the project, or emergent aborts)
    check : raise BackendError when the run failed (else just return it with ``problems``)
    """
    project = Path(project)
    if not project.is_file():
        raise SpecError(f"{project}: no such project file")
    if not re.fullmatch(r"[\w.+-]*", tag):
        raise SpecError(f"tag {tag!r}: use letters, digits, '_', '.', '-' (it becomes part of file names)")
    dump = read_project(project)                  # FormatError (file:line) for a broken project
    name = dump.value_root.name or project.stem
    exe = find_emergent(exe)
    cmd = emergent_command(exe, project, tag=tag, epochs=epochs, n_threads=n_threads, extra=extra)
    log_dir = str((extra or {}).get("log_dir") or "") or None
    # with batch_start=B, LeabraStartup appends '.BB' to the tag of every output file
    batch_start = (extra or {}).get("batch_start")
    file_tag = tag if batch_start is None else f"{tag}.{int(batch_start):02d}"
    run = EmergentRun(cmd, project, name, file_tag, output_dir(project, log_dir))
    stop = _stop_rule(dump)
    want_epochs = epochs if epochs is not None else stop[2]
    # stale outputs of an earlier run with the same tag must not pass for this run's
    for old in _outputs(run):
        old.unlink()
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=str(project.resolve().parent), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        run.timed_out = True
        _kill_group(proc)
        out, _ = proc.communicate()
    except BaseException:            # Ctrl-C: the child runs in its own session; stop it too
        _kill_group(proc)
        raise
    run.seconds = time.monotonic() - t0
    run.returncode = proc.returncode
    run.output = out.decode("utf-8", "replace")
    judge(run, dump, want_epochs, stop, timeout)
    if check and not run.ok:
        raise BackendError(failure_message(run))
    return run


def judge(run: EmergentRun, dump: Dump, epochs: int | None, stop: tuple, timeout: float) -> None:
    """Fill in the run's outputs, version and problems (see the module docstring)."""
    run.errors = [line.strip() for line in run.output.splitlines()
                  if any(m in line for m in ERROR_MARKERS)]
    m = _VERSION.search(run.output)
    run.version = (m["version"] + (f" rev {m['rev']}" if m["rev"] else "")) if m else (dump.version or "")
    if run.timed_out:
        run.problems.append(f"emergent did not finish within {timeout:g} s and was killed "
                            "(it waits forever when its startup program fails or the project is truncated)")
    if run.errors:
        run.problems.append("emergent reported errors: " + " | ".join(run.errors[:5]))
    base = run.out_dir / run.base
    epc = Path(f"{base}.epc.dat")
    run.epc = epc if epc.is_file() else None
    trl = Path(f"{base}.trl.dat")
    run.trl = trl if trl.is_file() else None
    args = Path(f"{base}.args")
    run.args_file = args if args.is_file() else None
    run.wts = sorted(run.out_dir.glob(f"{_glob_escape(run.base)}.[0-9][0-9]_[0-9][0-9][0-9][0-9].wts*"))
    if run.epc is None:
        run.problems.append(f"no epoch log {epc}")
    else:
        run.problems.extend(_check_epochs(run.epc, epochs, stop))
    if not run.wts:
        run.problems.append(f"no final weights {base}.BB_EEEE.wts.gz")


def failure_message(run: EmergentRun) -> str:
    tail = " | ".join(line.strip() for line in run.output.strip().splitlines()[-4:])
    return (f"emergent run of {run.project} failed (exit code {run.returncode}, which emergent sets to 0 "
            f"even on errors): " + "; ".join(run.problems)
            + f". Command: {' '.join(run.command)}" + (f". Last output: {tail}" if tail else ""))


def _stop_rule(dump: Dump) -> tuple[float | None, int, int | None]:
    """(err_stopcrit, n_under_thr, max_epoch) saved in the project's LeabraTrain, if any."""
    from .programs import find_program, program_var
    train = find_program(dump, "LeabraTrain")
    if train is None:
        return None, 1, None
    crit, n_under, max_epoch = (program_var(train, v) for v in ("err_stopcrit", "n_under_thr", "max_epoch"))
    return (None if crit is None or float(crit) < 0 else float(crit),
            int(float(n_under)) if n_under is not None else 1,
            int(float(max_epoch)) if max_epoch is not None else None)


def _check_epochs(epc: Path, epochs: int | None, stop: tuple) -> list[str]:
    from .dat import read_dat
    try:
        table = read_dat(epc, allow_partial_last=True)
    except Exception as e:          # a corrupt log is a failed run, with the reason
        return [f"epoch log {epc} is unreadable: {e}"]
    if table.n_rows == 0 or "epoch" not in table:
        return [f"epoch log {epc} has no rows"]
    if epochs is None:
        return []
    last = int(table["epoch"][-1])
    if last >= epochs - 1:
        return []
    crit, n_under = stop[0], stop[1]
    if crit is not None and "cnt_err" in table:
        errs = list(table["cnt_err"][-n_under:])
        if len(errs) == n_under and all(float(e) <= crit for e in errs):
            return []
    return [f"epoch log {epc} ends at epoch {last}, but {epochs} epochs were asked for and the "
            "stop criterion was not met (the run was cut short)"]


def _outputs(run: EmergentRun) -> list[Path]:
    base = run.out_dir / run.base
    files = [Path(f"{base}{ext}") for ext in (".epc.dat", ".trl.dat", ".args")]
    files += list(run.out_dir.glob(f"{_glob_escape(run.base)}.[0-9][0-9]_[0-9][0-9][0-9][0-9].wts*"))
    return [f for f in files if f.is_file()]


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]])", r"[\1]", text)


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop the process group we started (emergent may have children, e.g. under mpirun)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue
