"""The package's exception hierarchy.

Every error a user can cause derives from :class:`EmergentPyError`; the CLI turns those into a
one-line message and exit code 2, never a traceback. Messages name the object, the field, the
bad value, what was expected and, where we can guess, the fix.
"""
from __future__ import annotations

import difflib
from typing import Iterable, NoReturn


#: exit status of the CLI for an error the user caused (one line on stderr, no traceback)
USAGE_EXIT = 2
#: exit status of a run stopped by a signal at a checkpoint, to be continued with --resume
#: (EX_TEMPFAIL from sysexits.h); job scripts requeue on it (hpc/render.py)
RESUME_EXIT = 75
#: exit status of the CLI for an unexpected exception, a bug of emergent-py (EX_SOFTWARE)
INTERNAL_EXIT = 70
#: exit status of a command whose output (stdout) was closed by its reader before it was all
#: written (``... | head``): 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe
BROKEN_PIPE_EXIT = 141


class EmergentPyError(Exception):
    """Base class of every error caused by user input (specs, files, requests)."""


class SpecError(EmergentPyError, ValueError):
    """A model spec (network, parameters, patterns, run plan) is invalid."""


class UserCodeError(SpecError):
    """An exception raised by the code of a model file (while importing it or in ``build()``),
    as one message naming the file and line; the CLI shows its traceback with ``--debug``."""


#: what the CLI adds to a :class:`UserCodeError`'s line without ``--debug``
DEBUG_HINT = " (emergent-py --debug ... shows the traceback)"


class FormatError(EmergentPyError, ValueError):
    """A file (.dat, .wts, .proj, run file) could not be parsed; the message names file and line."""


class BackendError(EmergentPyError, RuntimeError):
    """An engine (native core, emergent) cannot run a spec, or failed while running it."""


class OutputError(EmergentPyError, OSError):
    """An output file cannot be written (disk full, read-only folder, another writer holds it);
    the message names the file and says what is left intact."""


class SubmitError(EmergentPyError, RuntimeError):
    """A cluster request is invalid for its site, or the scheduler refused it."""


def reraise_naming_file(e: EmergentPyError, path: object) -> NoReturn:
    """Raise ``e`` again if its message names ``path``, else the same kind of error prefixed
    ``path: `` (for checks deep in the spec API, which do not know the file being read)."""
    if str(path) in str(e):
        raise e
    raise type(e)(f"{path}: {e}") from e


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ``" Did you mean 'a', 'b'?"`` for the closest choices, or ``""`` when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=n, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + ", ".join(f"'{c}'" for c in close) + "?"


def clip(text: str, n: int = 40) -> str:
    """Text quoted in a message: at most ``n`` characters (a huge line keeps the message readable)."""
    return text if len(text) <= n else text[:n] + "..."
