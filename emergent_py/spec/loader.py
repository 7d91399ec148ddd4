"""Load a model from what a user points the CLI at.

SPEC may be: a Python file defining ``build()``; a folder holding ``model.py`` (a project under
``projects/``); a project name resolved under ``./projects/``; a canonical model ``.json``
(as stored in run files and job folders); or an emergent ``.proj`` (imported). ``build()`` returns a :class:`Model` or the tuple
``(network, params, patterns, plan)``.
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
import traceback
from pathlib import Path

from ..errors import EmergentPyError, SpecError, UserCodeError, reraise_naming_file
from ..fileio import read_bytes
from .model import Model


def spec_path(spec: str | os.PathLike) -> Path:
    """Resolve SPEC to a file: a .py/.json file, a folder's model.py, or projects/<name>."""
    p = Path(spec)
    candidates = [p, p / "model.py", Path("projects") / p / "model.py"]
    for c in candidates:
        if c.is_file():
            return c
    if p.is_dir():
        raise SpecError(f"{p}: folder has no model.py (a project folder needs a model.py with build())")
    raise SpecError(f"{spec}: no such model file or project folder "
                    f"(looked for {', '.join(str(c) for c in candidates)})")


def load_model(spec: str | os.PathLike, table: str | None = None,
               build_kwargs: dict | None = None, patterns: str | os.PathLike | None = None) -> Model:
    """Load and validate the model named by SPEC; errors name the file. ``table``: for an
    emergent ``.proj``, the name of the input DataTable to use instead of the one its programs
    select (CLI ``--table``); ``patterns``: for a ``.proj``, a ``.dat`` file of input patterns to
    use instead of its tables (CLI ``--patterns``). ``build_kwargs`` are passed to a model file's
    ``build()`` (a sweep over them: ``submit --sweep build:NAME=...``)."""
    path = spec_path(spec)
    is_proj = path.name.endswith((".proj", ".proj.gz"))
    if table is not None and not is_proj:
        raise SpecError(f"--table {table}: only an emergent .proj has data tables to choose from; "
                        f"{path} is not one")
    if patterns is not None and not is_proj:
        raise SpecError(f"--patterns {patterns}: only for an emergent .proj SPEC ({path} is not one); "
                        "a model file's build() loads its own patterns")
    if patterns is not None and table is not None:
        raise SpecError(f"--patterns {patterns} and --table {table}: the patterns come from one of them; "
                        "pass one")
    if patterns is not None and not os.path.isfile(patterns):
        raise SpecError(f"--patterns {patterns}: no such file")
    if build_kwargs and path.suffix != ".py":
        raise SpecError(f"{path}: build() arguments ({', '.join(build_kwargs)}) need a Python model "
                        "file with build(), not a .json or .proj model")
    if path.suffix == ".json":
        try:
            return Model.from_json(_json_text(path), where=str(path))
        except SpecError as e:        # e.g. a sheet's value check: name the file
            reraise_naming_file(e, path)
    if path.name.endswith((".proj", ".proj.gz")):      # an emergent project: import its network
        from ..emergent.project import load_project
        return load_project(path, table=table, patterns=patterns)
    if path.suffix != ".py":
        raise SpecError(f"{path}: a model is a .py file with build() or a .json model file")
    module = import_model_file(path)
    build = getattr(module, "build", None)
    if not callable(build):
        raise SpecError(f"{path}: defines no build() function (it must return a Model or "
                        "(network, params, patterns, plan))")
    if build_kwargs:
        check_build_kwargs(build, build_kwargs, path)
    try:
        result = build(**(build_kwargs or {}))
    except EmergentPyError as e:   # e.g. a bad pattern file: already one line; add the model line
        raise type(e)(_naming_model_line(path, e)) from e
    except Exception as e:  # user code failed: its file and line, not a traceback (cli --debug)
        raise user_code_error(path, e, "build()") from e
    return as_model(result, str(path))


def _json_text(path: Path) -> str:
    """A model .json as text (gzip, a byte-order mark and other file kinds handled as by every
    reader: :func:`~emergent_py.fileio.read_bytes`)."""
    raw = read_bytes(path, "a model .json (UTF-8 text)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise SpecError(f"{path}:{line}: not UTF-8 text (byte {e.start}: 0x{raw[e.start]:02x}); "
                        "expected a model .json (UTF-8 text)") from None


def check_build_kwargs(build, kwargs: dict, path: Path) -> None:
    """Every name in ``kwargs`` must be a keyword argument of ``build`` (did-you-mean if not)."""
    import inspect
    from ..errors import did_you_mean
    params = inspect.signature(build).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    names = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    line = build.__code__.co_firstlineno
    for name in kwargs:
        if name not in names:
            raise SpecError(f"{path}:{line}: build() has no argument '{name}'."
                            + (did_you_mean(name, names) or
                               f" Its arguments: {', '.join(names) or 'none'}"))


def as_model(result: object, where: str) -> Model:
    if isinstance(result, Model):
        return result
    if isinstance(result, tuple) and len(result) in (3, 4):
        try:
            return Model(*result)
        except SpecError as e:
            raise SpecError(f"{where}: {e}") from e
    raise SpecError(f"{where}: build() returned {type(result).__name__}; expected a Model or "
                    "a tuple (network, params, patterns, plan)")


def import_model_file(path: str | os.PathLike):
    """Import a model file (e.g. ``projects/<name>/model.py``) as a module; errors name the file
    and line. Projects are folders, not a package: this is how one project reuses another's code."""
    path = Path(path)
    name = f"emergent_py_model_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except EmergentPyError as e:   # e.g. a bad pattern file: already one line; add the model line
        raise type(e)(_naming_model_line(path, e)) from e
    except Exception as e:  # a bug in the user's file: show where, not our internals
        raise user_code_error(path, e, "loading the model file") from e
    return module


def _naming_model_line(path: Path, e: BaseException) -> str:
    """The message of a package error raised inside the model file's code, after ``path:LINE``
    (:func:`_model_line`); only ``path`` where the message already names a line of the file
    (a sheet entry's own ``(model.py:11)``, which is more precise than the line of the call)."""
    if re.search(re.escape(str(path)) + r":\d+", str(e)):
        return f"{path}: {e}"
    return f"{_model_line(path, e)}: {e}"


def _model_line(path: Path, e: BaseException) -> str:
    """``path:LINE``: the last line of the model file in the traceback of ``e`` (``path`` alone
    when the file is not in it, e.g. a SyntaxError, which names its own line)."""
    want = os.path.abspath(path)
    frames = [f for f in traceback.extract_tb(e.__traceback__) if os.path.abspath(f.filename) == want]
    return f"{path}:{frames[-1].lineno}" if frames else str(path)


def _is_user_file(filename: str) -> bool:
    """Whether a traceback frame is the user's code (not Python's, an installed package's or ours)."""
    f = os.path.abspath(filename)
    ours = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    system = {os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return not (f.startswith(ours + os.sep) or filename.startswith("<")
                or any(f.startswith(p + os.sep) for p in system) or "site-packages" in f)


def user_code_error(path: Path, e: Exception, doing: str) -> UserCodeError:
    """One line for an exception raised by a model file's code: the file and line (of the model
    file; and of the raise when that is in another file of the user's), the exception's type and
    message. The traceback is the CLI's ``--debug``."""
    where = _model_line(path, e)
    if isinstance(e, SyntaxError) and e.filename:
        where = f"{e.filename}:{e.lineno}"
    user = [f for f in traceback.extract_tb(e.__traceback__) if _is_user_file(f.filename)]
    also = ""
    if user and os.path.abspath(user[-1].filename) != os.path.abspath(path):
        also = f" (raised at {user[-1].filename}:{user[-1].lineno} in {user[-1].name}())"
    return UserCodeError(f"{where}: {doing} raised {type(e).__name__}: {e}{also}")
