"""Which Python a cluster job runs, and whether it can import emergent_py.

On the real sites a job's ``python3`` after ``module load python`` is the centre's interpreter,
which does not have emergent_py: the package lives in a virtual environment made once on the
cluster (docs/hpc.md, "Installing on a cluster"). A site profile names that environment's
interpreter (``python = "$WORK/emergent_py-venv/bin/python"``: a ``$VAR`` at the start is
expanded by the job's shell), ``--python`` overrides it. :func:`check_python` checks the choice
when submitting, and the job script checks the import again before its first run, failing fast
with a clear message instead of failing every run.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

from ..errors import SubmitError
from .profile import Profile

#: a path that may start with one environment variable and holds nothing else the shell expands
_PATH_WITH_VAR = re.compile(r"^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)?[A-Za-z0-9_./+@%:=-]*$")
INSTALL_DOC = "docs/hpc.md, 'Installing on a cluster'"


def shell_word(python: str) -> str:
    """``python`` as one shell word: double-quoted when it is a path starting with ``$WORK`` or
    the like (so the job's shell expands the variable and nothing else), else shell-quoted."""
    if "$" in python and _PATH_WITH_VAR.match(python):
        return f'"{python}"'
    return shlex.quote(python)


def job_python(profile: Profile, python: str | None) -> str:
    """The interpreter the jobs run: ``--python``, else the profile's, else this one."""
    return python or profile.python or sys.executable


def check_python(profile: Profile, python: str | None, dry_run: bool) -> str | None:
    """Check the jobs' interpreter before anything is written; returns a note when it could not
    be checked here (a dry run away from the cluster), None when it was.

    Raises
    ------
    SubmitError
        when the profile's interpreter is a bare name (the site's own Python, without
        emergent_py), or when the interpreter exists here but cannot import emergent_py, or (a
        real submission) does not exist here.
    """
    chosen = job_python(profile, python)
    fix = (f"pass --python PATH (the interpreter of the virtual environment made by the one-time "
           f"install, {INSTALL_DOC})")
    if python is None and profile.python and "/" not in profile.python:
        raise SubmitError(f"cluster '{profile.name}': its profile runs '{profile.python}' after "
                          f"{'; '.join(profile.modules) or 'no module loads'}, the site's own Python, which does "
                          f"not have emergent_py; {fix}, or set python = in the profile")
    path = os.path.expandvars(chosen)
    if "$" in path or not os.path.exists(path):
        why = (f"{chosen} does not exist on this machine" + (f" ({path})" if path != chosen else ""))
        if dry_run:
            return f"not checked here: {why}; on the cluster the job stops at once if it cannot import emergent_py"
        raise SubmitError(f"--python {chosen}: {why}; do the one-time install ({INSTALL_DOC}) or {fix}")
    try:
        p = subprocess.run([path, "-c", "import emergent_py"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        raise SubmitError(f"--python {chosen}: cannot run it ({e}); {fix}") from None
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["no output"])[-1]
        raise SubmitError(f"--python {chosen}: cannot import emergent_py ({last}); install the package "
                          f"into its environment ({INSTALL_DOC}) or {fix}")
    return None
