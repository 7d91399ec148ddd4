"""Fixtures for the example projects under projects/ (imported by path: they are not a package)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from emergent_py.spec.loader import import_model_file
import pytest

PROJECTS = Path(__file__).resolve().parents[2] / "projects"


def load_project(name: str):
    """Import ``projects/<name>/model.py`` as a module."""
    path = PROJECTS / name / "model.py"
    return import_model_file(path)


@pytest.fixture
def project():
    """``project(name)`` -> the module of projects/<name>/model.py."""
    return load_project


@pytest.fixture
def proj_datatable():
    """``proj_datatable(text, table)``: see :func:`read_proj_datatable`."""
    return read_proj_datatable


def read_proj_datatable(text: str, table: str) -> dict[str, np.ndarray]:
    """Matrix columns of one DataTable in an emergent .proj dump: name -> (rows, *cell) float array.

    Reads the value pass (``DataTable @[i] { name="...";``): each ``float_Data`` column's
    ``cell_geom{ x;y; }`` and its ``ar { [dims] v;v;...; }`` values, emergent's x-fastest order.
    """
    start = re.search(r'DataTable @\[\d+\] \{\s*name="%s";' % re.escape(table), text)
    assert start, f"no DataTable {table} in the project"
    end = text.index("row_indexes", start.end())
    body = text[start.end():end]
    cols = {}
    for m in re.finditer(r'float_Data @\[\d+\] \{\s*name="(\w+)";.*?cell_geom\{ ([\d;]+)\s*\};'
                         r'.*?ar \{\s*name="ar";\s*\[([\d ]+)\]([^}]*)\}', body, re.S):
        name, geom, dims, values = m.groups()
        x, y = [int(v) for v in geom.strip(";").split(";")][:2]
        vals = [float(v) for v in values.replace("\n", "").strip().strip(";").split(";")]
        rows = int(dims.split()[-1])
        cols[name] = np.array(vals).reshape(rows, y, x)
    return cols
