"""Render batch scripts from jinja2 templates (``hpc/templates/*.j2``).

Every value a template prints is shell-quoted (:func:`shlex.quote`) unless it is a :class:`Raw`
string, so a job name or path holding spaces, quotes, ``$(...)``, backticks or newlines reaches the
shell as one literal word. ``Raw`` is kept for text that is shell code by design and never comes
from the command line: checked ``#SBATCH`` lines, a profile's module and setup lines, its launcher,
and the payload command assembled by :func:`payload_command` (whose own values are quoted).
Undefined template variables are errors (StrictUndefined), never empty strings.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..errors import RESUME_EXIT, SubmitError
from .interpreter import shell_word
from .profile import Profile

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The engine's command for one run ({python}, {model}, {output}, {run_dir} are filled in already
# quoted, {resume} becomes --resume / --overwrite / nothing as the run file says (runstate.py);
# the rest is shell code) and whether it keeps checkpoints in its run file so a run stopped by
# the warning can continue (docs/hpc.md). C++ emergent cannot checkpoint, so its jobs get no
# warning signal: they run to the end or to TIMEOUT. The native core resumes MPI runs too: the
# launcher (srun) passes the warning on to every rank, and the ranks stop at the same epoch.
ENGINE_PAYLOADS = {
    "native": "{python} -m emergent_py run {model} -o {output} {resume}",
    "emergent": "{python} -m emergent_py emergent {model} --dir {run_dir}/emergent -o {output}",
}
ENGINE_CHECKPOINTS = {"native": True, "emergent": False}
RUN_FILE = "run.h5"
MODEL_FILE = "model.json"


class Raw(str):
    """Text printed into a script as is (shell code we wrote or a profile states)."""


def _finalize(value):
    if isinstance(value, Raw):
        return value
    if isinstance(value, bool) or value is None:
        raise SubmitError(f"template value {value!r} has no shell spelling")
    if isinstance(value, int):
        return str(value)
    return shlex.quote(str(value))


def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              undefined=jinja2.StrictUndefined, finalize=_finalize,
                              keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                              autoescape=False)


def payload_command(template: str, python: str) -> str:
    """Fill a payload template: ``{python}`` quoted, ``{model}``/``{output}``/``{run_dir}`` as
    quoted expansions of the script's ``$RUN_DIR``.

    Raises
    ------
    SubmitError
        when the template names another placeholder.
    """
    try:
        return template.format(python=shell_word(python), model=f'"$RUN_DIR/{MODEL_FILE}"',
                               output=f'"$RUN_DIR/{RUN_FILE}"', run_dir='"$RUN_DIR"',
                               resume='"${RESUME_ARGS[@]}"')
    except (KeyError, IndexError, ValueError) as e:
        raise SubmitError(f"payload command {template!r}: {e!r} is not one of the placeholders "
                          "{python}, {model}, {output}, {run_dir}, {resume}") from e


@dataclass(frozen=True)
class ScriptInputs:
    """What a job script is rendered from (besides the profile)."""
    directives: list[str]
    job_dir: str
    job_name: str
    n_runs: int
    np: int
    python: str
    payload: str          # from payload_command(); shell code with quoted values
    checkpoint: bool      # forward SLURM's USR1 warning to the payload and continue it later
    threads: int = 1      # threads per task: the profile's hybrid_flags and thread_env when > 1
    needs_package: bool = True    # the script checks that $PYTHON imports emergent_py first
    packing: object = None        # a packing.Packing: serial runs side by side on whole nodes


def render_job(profile: Profile, inputs: ScriptInputs) -> str:
    """The batch script ``job.sh`` for a job folder (array, single or TACC-launcher job)."""
    launcher_sweep = inputs.n_runs > 1 and profile.sweep == "launcher"
    packing = inputs.packing
    per_task = packing.per_node if packing is not None and packing.mode == "array" else 0
    serial = launcher_sweep or per_task       # a serial run beside others needs no MPI launcher
    flags = profile.hybrid_flags.format(threads=inputs.threads) if inputs.threads > 1 else ""
    run_line = inputs.payload if serial else " ".join(
        w for w in (profile.launcher, f"-n {inputs.np}", flags, inputs.payload) if w)
    thread_env = [Raw(shlex.quote(line.format(threads=inputs.threads)))
                  for line in profile.thread_env] if inputs.threads > 1 else []
    return environment().get_template("job.sh.j2").render(
        directives=[Raw(d) for d in inputs.directives],
        modules=[Raw(m) for m in profile.modules], setup=[Raw(s) for s in profile.setup],
        job_dir=inputs.job_dir, job_name=inputs.job_name, cluster=profile.name,
        python=Raw(shell_word(inputs.python)), needs_package=inputs.needs_package,
        n_runs=inputs.n_runs, run_line=Raw(run_line), launcher_sweep=launcher_sweep,
        resume=profile.resume, resume_exit=RESUME_EXIT, run_file=RUN_FILE, checkpoint=inputs.checkpoint,
        thread_env=thread_env, per_task=per_task,
        launcher_ppn=packing.per_node if packing is not None and packing.mode == "launcher" else 0)


def render_tasks(n_runs: int) -> str:
    """The TACC launcher's job file: one line per run, each running ``job.sh --run N``."""
    return environment().get_template("tasks.txt.j2").render(n_runs=n_runs)
