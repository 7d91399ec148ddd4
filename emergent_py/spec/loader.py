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


def load_model(spec: str | os.PathLike, table: str | None = None) -> Model:
    """Load and validate the model named by SPEC; errors name the file. ``table``: for an
    emergent ``.proj``, the name of the input DataTable to use instead of the one its programs
    select (CLI ``--table``)."""
    path = spec_path(spec)
    if table is not None and not path.name.endswith((".proj", ".proj.gz")):
        raise SpecError(f"--table {table}: only an emergent .proj has data tables to choose from; "
                        f"{path} is not one")
    if path.suffix == ".json":
        return Model.from_json(path.read_text(encoding="utf-8"), where=str(path))
    if path.name.endswith((".proj", ".proj.gz")):      # an emergent project: import its network
        from ..emergent.project import load_project
        return load_project(path, table=table)
    if path.suffix != ".py":
        raise SpecError(f"{path}: a model is a .py file with build() or a .json model file")
    module = import_model_file(path)
    build = getattr(module, "build", None)
    if not callable(build):
        raise SpecError(f"{path}: defines no build() function (it must return a Model or "
                        "(network, params, patterns, plan))")
    try:
        result = build()
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from e
    return as_model(result, str(path))


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
