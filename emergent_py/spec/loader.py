"""Load a model from what a user points the CLI at.

SPEC may be: a Python file defining ``build()``; a folder holding ``model.py`` (a project under
``projects/``); a project name resolved under ``./projects/``; a canonical model ``.json``
(as stored in run files and job folders); or an emergent ``.proj`` (imported). ``build()`` returns a :class:`Model` or the tuple
``(network, params, patterns, plan)``.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from pathlib import Path

from ..errors import SpecError
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


def load_model(spec: str | os.PathLike, build_kwargs: dict | None = None) -> Model:
    """Load and validate the model named by SPEC; errors name the file. ``build_kwargs`` are
    passed to a model file's ``build()`` (a sweep over them: ``submit --sweep build:NAME=...``)."""
    path = spec_path(spec)
    if build_kwargs and path.suffix != ".py":
        raise SpecError(f"{path}: build() arguments ({', '.join(build_kwargs)}) need a Python model "
                        "file with build(), not a .json or .proj model")
    if path.suffix == ".json":
        return Model.from_json(path.read_text(encoding="utf-8"), where=str(path))
    if path.name.endswith((".proj", ".proj.gz")):      # an emergent project: import its network
        from ..emergent.project import load_project
        return load_project(path)
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
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from e
    return as_model(result, str(path))


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
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from e
    except Exception as e:  # a bug in the user's file: show where, not our internals
        tb = traceback.extract_tb(e.__traceback__)
        frames = [f for f in tb if f.filename == str(path)]
        line = f" line {frames[-1].lineno}" if frames else ""
        raise SpecError(f"{path}{line}: {type(e).__name__}: {e}") from e
    return module
