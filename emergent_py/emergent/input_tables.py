"""The input table of an emergent project: which DataTable the project trains on, and its rows.

Which table (:func:`select_table`):

1. the one the caller names (``table=``, CLI ``--table NAME``);
2. else the one the project's own programs select, where a program variable the import can read
   decides it: LeabraTrain's ``input_data`` as saved (LeabraBatch passes its own ``input_data``
   to LeabraTrain; when the two differ, both are candidates), then LeabraTrain's assignments to
   ``input_data`` before it runs, e.g. err_driven_hidden.proj's
   ``switch(env_type) case IMPOSSIBLE: input_data = input_data_gp["ImpossibleEnv"]`` with the
   saved ``env_type`` (:class:`~emergent_py.emergent.programs.Follower`);
3. else ``.data.gp[0][0]`` (the standard programs' default).

:class:`TableChoice` says how the table was chosen and which tables could be meant (every table
with a column for each input and target layer); a choice the programs do not settle while
several tables fit is a warning that names them.

Rows (:func:`table_patterns`): a table's saved rows (``SAVE_ROWS``), or the ``.dat``/``.dtbl``
file it auto-loads. ``row_indexes`` is emergent's index of the table's valid rows, in order: only
those rows are patterns (basic_leabra_test.proj stores 14 rows of which 4 are valid).
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FormatError, SpecError, did_you_mean
from ..spec.patterns import Patterns
from .dump import Array, Block, Data, Dump, read_project, split_items, unquote
from .programs import Follower, find_program, find_program_var, object_of


@dataclass
class TableChoice:
    """The input table an import uses and why."""
    table: Block
    how: str                                            # one line: how it was chosen
    candidates: list[str] = field(default_factory=list)  # tables with every pattern layer's column
    warning: str = ""                                   # set when another table could be meant
    settled: bool = False           # named by the caller or selected by the program's own code


def tables(group: Block):
    """Every DataTable in a group and its subgroups, in order."""
    for t in group.elements:
        if t.type.endswith("DataTable") or t.get("data") is not None:
            yield t
    for g in group.subgroups:
        yield from tables(g)


def column_for(layer: str, columns) -> str | None:
    """The input column emergent's ApplyInputs gives ``layer``: the one of the same name, else
    the one whose name matches ignoring case and '_' (its CamelCase/snake_case-insensitive
    AutoConfig, emergent-formats.md 1.9), if exactly one does."""
    if layer in columns:
        return layer
    key = layer.replace("_", "").lower()
    hits = [c for c in columns if c.replace("_", "").lower() == key]
    return hits[0] if len(hits) == 1 else None


def column_names(tbl: Block) -> list[str]:
    cols = tbl.get("data")
    return [c.name or "" for c in (cols.elements if isinstance(cols, Block) else [])]


def select_table(dump: Dump, where: str, layers: list[str], name: str | None = None) -> TableChoice:
    """The input table of a project (see the module doc). ``layers``: the input/target layers
    whose patterns the table holds; ``where``: the project file, for messages."""
    data = dump.try_find(".data")
    every = list(tables(data)) if data is not None else []
    fits = [t.name or "" for t in every if all(column_for(l, column_names(t)) for l in layers)]
    if name is not None:
        for t in every:
            if t.name == name:
                return TableChoice(t, "asked for (--table, table=)", fits, settled=True)
        raise SpecError(f"{where}: no data table named '{name}'."
                        + (did_you_mean(name, [t.name or "" for t in every])
                           or f" Tables: {', '.join(t.name or '?' for t in every) or 'none'}"))
    choice = _programs_choice(dump, where, fits)
    if choice is None:
        tbl = dump.try_find(".data.gp[0][0]")
        if tbl is None:
            raise SpecError(f"{where}: no input data table (.data.gp[0][0] is missing and no "
                            "LeabraTrain input_data names one); give its input patterns: "
                            "--patterns FILE.dat (load_project(..., patterns=))")
        choice = TableChoice(tbl, ".data.gp[0][0] (no LeabraTrain input_data names a table)", fits)
    if not choice.warning and len(fits) > 1 and not choice.settled:
        others = [n for n in fits if n != choice.table.name]
        choice.warning = (f"{where}: {len(fits)} tables could be the input ({', '.join(fits)}); using "
                          f"'{choice.table.name}', {choice.how}; --table NAME (table=) picks another "
                          f"({', '.join(others)})")
    if choice.warning:
        warnings.warn(choice.warning, stacklevel=3)
    return choice


def _programs_choice(dump: Dump, where: str, fits: list[str]) -> TableChoice | None:
    train = find_program(dump, "LeabraTrain")
    saved: list[tuple[str, Block]] = []
    for prog_name in ("LeabraTrain", "LeabraBatch", "LeabraStartup"):
        prog = find_program(dump, prog_name)
        tbl = object_of(dump, find_program_var(prog, "input_data")) if prog is not None else None
        if tbl is not None:
            saved.append((prog_name, tbl))
    if not saved:
        return None
    prog_name, tbl = saved[0]
    how = f"the saved input_data of {prog_name}"
    warning = ""
    differ = [(n, t) for n, t in saved[1:] if t is not tbl]
    if train is not None:
        found = Follower(dump, train, "input_data").follow()
        if found.unfollowed:
            warning = (f"{where}: LeabraTrain sets input_data at run time in a way the import cannot "
                       f"follow ({'; '.join(found.unfollowed)}); using '{(found.target or tbl).name}'"
                       f"; --table NAME (table=) picks another (candidates: {', '.join(fits)})")
        if found.target is not None:
            opts = sorted({o.name or "?" for o in found.options} - {found.target.name})
            how = (f"LeabraTrain selects it: {'; '.join(found.steps)}"
                   + (f" (the other cases: {', '.join(opts)})" if opts else ""))
            return TableChoice(found.target, how, fits, warning, settled=not warning)
    if differ and not warning:
        warning = (f"{where}: LeabraTrain's saved input_data is '{tbl.name}' but "
                   + ", ".join(f"{n}'s is '{t.name}'" for n, t in differ)
                   + f" (passed to LeabraTrain when {differ[0][0]} runs it); using '{tbl.name}'; "
                   "--table NAME (table=) picks another")
    return TableChoice(tbl, how, fits, warning)


# ----------------------------------------------------------------------------------- rows

def table_patterns(tbl: Block, layers: list[str], where: str, base: Path) -> Patterns:
    """The patterns of ``layers`` in a table: its valid saved rows (``row_indexes``), or the
    ``.dat``/``.dtbl`` it auto-loads (``base``: the project's folder, for relative names)."""
    where = f"{where}:{tbl.line} table '{tbl.name}'"
    cols = tbl.get("data")
    columns = {c.name: c for c in (cols.elements if isinstance(cols, Block) else [])}
    has_rows = "SAVE_ROWS" in tbl.value("data_flags", "")
    auto = tbl.value("auto_load", "") == "AUTO_LOAD" and tbl.value("auto_load_file", "")
    if auto and not has_rows:
        file = Path(tbl.value("auto_load_file"))
        file = file if file.is_absolute() else base / file
        if file.suffix == ".dtbl" or file.name.endswith(".dtbl.gz"):
            return table_patterns(read_project(file).value_root, layers, str(file), file.parent)
        if not file.is_file():
            raise SpecError(f"{where}: auto-loads {file}, which does not exist")
        return Patterns.from_dat(str(file), [c for c in layers if c in columns] or None)
    data: dict[str, np.ndarray] = {}
    names = None
    n_rows = None
    for lname in layers:
        col = columns.get(column_for(lname, columns) or "")
        if col is None:
            continue
        arr = column_rows(col)
        if arr is None:
            continue
        data[lname] = arr
        n_rows = arr.shape[0]
    name_col = columns.get("Name")
    if name_col is not None:
        rows = column_items(name_col)
        if rows is not None and (n_rows is None or len(rows[1]) == n_rows):
            names = [unquote(s) for s in rows[1]]
    if not data or not n_rows:
        raise SpecError(f"{where} holds no saved rows for the input layers "
                        f"({', '.join(layers)}) and auto-loads no file (the project "
                        "may generate its inputs at run time); give its input patterns: "
                        "--patterns FILE.dat (load_project(..., patterns=): a Patterns or a .dat)")
    valid = row_indexes(tbl, n_rows, where)
    if valid is not None:
        data = {k: v[valid] for k, v in data.items()}
        names = None if names is None else [names[i] for i in valid]
        if not len(valid):
            raise SpecError(f"{where}: row_indexes lists no valid row (the table is empty)")
    return Patterns(data, names)


def row_indexes(tbl: Block, n_rows: int, where: str) -> np.ndarray | None:
    """emergent's index of a table's valid rows (``row_indexes { [n] 0;1;..; }``), or None when
    the table stores none (then every saved row is valid)."""
    found = column_items(tbl, "row_indexes")
    if found is None:
        return None
    try:
        idx = np.array([int(v) for v in found[1]], dtype=np.int64)
    except ValueError as e:
        raise FormatError(f"{where}: row_indexes: an index is not an integer ({e})") from None
    if idx.size and (idx.min() < 0 or idx.max() >= n_rows):
        raise FormatError(f"{where}: row_indexes names row {int(idx.max() if idx.max() >= n_rows else idx.min())}"
                          f" but the table stores {n_rows} rows")
    return idx


def column_items(col: Block, member: str = "ar") -> tuple[tuple[int, ...], list[str]] | None:
    """(dims, raw items) of a column's saved rows: ``ar { name="ar"; [dims] v;v; };`` (v3) or
    ``ar{ [dims] v;v; };`` (v2 .dtbl files); ``member="row_indexes"`` reads a table's index."""
    ar = col.get(member)
    if isinstance(ar, Array):
        m = re.match(r"\s*\[([\d ]*)\]", ar.body)
        if not m:
            return None
        return tuple(int(d) for d in m.group(1).split()), split_items(ar.body[m.end():])
    if not isinstance(ar, Block):
        return None
    data = next((c for c in ar.kids if isinstance(c, Data)), None)
    return None if data is None else (data.dims, data.items)


def column_rows(col: Block) -> np.ndarray | None:
    """A matrix column's saved rows as (n_rows, *reversed cell geometry) float32 (C order)."""
    found = column_items(col)
    if found is None:
        return None
    dims, items = found
    if not dims or dims[-1] == 0:
        return None
    try:
        flat = np.array([float(v) for v in items], dtype=np.float32)
    except ValueError as e:
        raise FormatError(f"{col.location}: column '{col.name}': a value is not a number ({e})") from None
    if flat.size != int(np.prod(dims)):
        raise FormatError(f"{col.location}: column '{col.name}': geometry {list(dims)} needs "
                          f"{int(np.prod(dims))} values, found {flat.size}")
    return flat.reshape(tuple(reversed(dims)))
