"""The package's exception hierarchy.

Every error a user can cause derives from :class:`EmergentPyError`; the CLI turns those into a
one-line message and exit code 2, never a traceback. Messages name the object, the field, the
bad value, what was expected and, where we can guess, the fix.
"""
from __future__ import annotations

import difflib
from typing import Iterable


#: exit status of the CLI for an error the user caused (one line on stderr, no traceback)
USAGE_EXIT = 2
#: exit status of a run stopped by a signal at a checkpoint, to be continued with --resume
#: (EX_TEMPFAIL from sysexits.h); job scripts requeue on it (hpc/render.py)
RESUME_EXIT = 75


class EmergentPyError(Exception):
    """Base class of every error caused by user input (specs, files, requests)."""


class SpecError(EmergentPyError, ValueError):
    """A model spec (network, parameters, patterns, run plan) is invalid."""


class FormatError(EmergentPyError, ValueError):
    """A file (.dat, .wts, .proj, run file) could not be parsed; the message names file and line."""


class BackendError(EmergentPyError, RuntimeError):
    """An engine (native core, emergent) cannot run a spec, or failed while running it."""


class OutputError(EmergentPyError, OSError):
    """An output file cannot be written (disk full, read-only folder, another writer holds it);
    the message names the file and says what is left intact."""


class SubmitError(EmergentPyError, RuntimeError):
    """A cluster request is invalid for its site, or the scheduler refused it."""


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ``" Did you mean 'a', 'b'?"`` for the closest choices, or ``""`` when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=n, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + ", ".join(f"'{c}'" for c in close) + "?"
