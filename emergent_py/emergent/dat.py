"""emergent's native ``.dat`` data tables (logs, input patterns): read and write.

The format (emergent-formats.md section 2.1): a TAB-separated header line ``_H:`` whose fields carry
a type prefix (``$`` string, ``%`` float, ``#`` double, ``|`` int, ``@`` byte, ``^`` bool, ``&``
variant, ``*`` pointer; none = string), then one ``_D:`` line per row. A matrix column is one header
per cell, ``%Input[2:x,y]``; its first cell also carries the geometry, ``%Input[2:0,0]<2:5,5>``.

Cell index 0 varies fastest, so a column with geometry ``<n:d0,d1,...>`` is returned as a numpy
C-order array of shape ``(n_rows, d_{n-1}, ..., d1, d0)``: ``<2:X,Y>`` -> ``(n_rows, Y, X)`` and a
4-D layer ``<4:UX,UY,GX,GY>`` -> ``(n_rows, GY, GX, UY, UX)``; flattening a row gives emergent's flat
unit index. Reading then writing a table reproduces emergent's header order exactly.

Every parse error is a :class:`~emergent_py.errors.FormatError` naming file and line.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..fileio import atomic_write, read_bytes  # noqa: F401  (atomic_write re-exported for wts, dump)
from ..errors import FormatError, clip
from ..results.table import Table

#: type prefix -> (emergent type name, numpy dtype of the column)
TYPES: dict[str, tuple[str, np.dtype]] = {
    "$": ("String", np.dtype(str)),
    "%": ("float", np.dtype(np.float32)),
    "#": ("double", np.dtype(np.float64)),
    "|": ("int", np.dtype(np.int64)),
    "@": ("byte", np.dtype(np.uint8)),
    "^": ("bool", np.dtype(bool)),
    "&": ("Variant", np.dtype(str)),
    "*": ("void*", np.dtype(str)),
}
NUMERIC = "%#|@"
#: the field delimiters of emergent's SaveData (TAB is what its logs use), by the name emergent gives them
DELIMITERS = {"\t": "TAB", ",": "COMMA", " ": "SPACE"}

_HEADER = re.compile(r"^(?P<type>[$%#|@&*^]?)(?P<name>[^\[<\]>]+?)"
                     r"(?:\[(?P<nd>\d+):(?P<idx>\d+(?:,\d+)*)\])?"
                     r"(?:<(?P<gnd>\d+):(?P<geom>\d+(?:,\d+)*)>)?$")


@dataclass(frozen=True)
class DatColumn:
    """One logical column of a ``.dat`` table.

    Attributes
    ----------
    name : column name (without type prefix or cell index)
    type : emergent type prefix, one of ``TYPES`` (``"%"`` float, ...)
    geom : emergent cell geometry ``(d0, d1, ...)`` (x first), ``()`` for a scalar column
    """
    name: str
    type: str
    geom: tuple[int, ...] = ()

    @property
    def shape(self) -> tuple[int, ...]:
        """numpy shape of one row's cell block: the geometry reversed, ``()`` for scalars."""
        return tuple(reversed(self.geom))

    @property
    def dtype(self) -> np.dtype:
        return TYPES[self.type][1]


class DatTable(Table):
    """A parsed ``.dat`` table: columns in header order, one numpy array per column.

    ``table[name]`` is a 1-D array for a scalar column (float32 ``%``, float64 ``#``, int64 ``|``,
    uint8 ``@``, bool ``^``, str otherwise) and ``(n_rows, *shape)`` for a matrix column.
    ``table.info[name]`` is the :class:`DatColumn` (type prefix and geometry); ``.get``,
    ``len``, ``in`` and ``.columns`` work as on :class:`~emergent_py.results.table.Table`.
    """

    def __init__(self, columns: Mapping[str, np.ndarray], info: Mapping[str, DatColumn],
                 path: str | None = None) -> None:
        super().__init__(columns, where=path)
        self.info = dict(info)
        self.path = path
        self.dropped_partial_line = False     # set by read_dat(allow_partial_last=True)


# ----------------------------------------------------------------------------------------- reading
def _split(line: str, delim: str) -> list[str]:
    """Split a line at ``delim``, except inside a quoted string (which may hold spaces and commas,
    with ``\\`` and ``\"`` escaped) or a header's ``[n:i,j]`` / ``<n:d0,d1>`` (which hold commas)."""
    if delim == "\t" or ('"' not in line and "[" not in line):
        return line.split(delim)
    fields, start, i, n = [], 0, 0, len(line)
    quoted, depth = False, 0
    while i < n:
        c = line[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c in "[<":
            depth += 1
        elif c in "]>":
            depth = max(depth - 1, 0)
        elif c == delim and depth == 0:
            fields.append(line[start:i])
            start = i + 1
        i += 1
    fields.append(line[start:])
    return fields


def _delimiter(path: str, lineno: int, line: str) -> str:
    """The delimiter a native header line uses: the character after ``_H:``."""
    d = line[3:4]
    if d in DELIMITERS:
        return d
    raise FormatError(f"{path}:{lineno}: the header's delimiter after '_H:' is {d!r}; emergent's .dat "
                      f"files use TAB, COMMA or SPACE (SaveData's delimiter option)")


def _export_hint(first: str) -> str:
    """What a first line without ``_H:`` looks like, when it looks like a plain table export."""
    found = next((name for d, name in DELIMITERS.items() if d != " " and d in first), None)
    if not found or first.startswith("_"):
        return ""
    return (f"; its first line is {found}-separated without '_H:', a plain export rather than "
            f"emergent's native format (SaveData)")


def _other_delimiter(line: str, delim: str, n_fields: int) -> str | None:
    """The delimiter that would split ``line`` into ``n_fields`` fields, when it is not ``delim``."""
    for d, name in DELIMITERS.items():
        if d != delim and d in line:
            fields = _split(line, d)
            if fields[0] in ("_D:", ""):
                fields = fields[1:]
            if len(fields) == n_fields:
                return name
    return None


def _open_text(path: str) -> str:
    raw = read_bytes(path, "an emergent .dat table (text: a '_H:' header line, then '_D:' rows)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _parse_header(path: str, lineno: int, fields: list[str]) -> tuple[list[DatColumn], list[tuple[int, int]]]:
    """Decode header fields into columns and, per field, ``(column index, flat cell index)``."""
    columns: list[DatColumn] = []
    where: dict[str, int] = {}
    seen: dict[str, set] = {}
    cells: list[tuple[int, int]] = []
    for pos, text in enumerate(fields, start=1):
        m = _HEADER.match(text.strip())
        if not m:
            raise FormatError(f"{path}:{lineno}: header field {pos} '{clip(text)}' is not a column header; "
                              f"expected [type]name, [type]name[n:i,j,...] or [type]name[n:i,...]<n:d0,...>")
        typ = m["type"] or "$"
        name = m["name"]
        if m["idx"] is None:
            if m["geom"] is not None:
                raise FormatError(f"{path}:{lineno}: header field {pos} '{text}': geometry without a cell index")
            if name in where:
                raise FormatError(f"{path}:{lineno}: header field {pos}: column '{name}' appears twice")
            where[name] = len(columns)
            columns.append(DatColumn(name, typ))
            cells.append((where[name], 0))
            continue
        idx = tuple(int(v) for v in m["idx"].split(","))
        if int(m["nd"]) != len(idx):
            raise FormatError(f"{path}:{lineno}: header field {pos} '{text}': [{m['nd']}:...] declares "
                              f"{m['nd']} dims but gives {len(idx)} indices")
        if name not in where:
            if m["geom"] is None:
                raise FormatError(f"{path}:{lineno}: header field {pos} '{text}': the first cell of matrix "
                                  f"column '{name}' must carry its geometry, e.g. {text}<{len(idx)}:5,5>")
            geom = tuple(int(v) for v in m["geom"].split(","))
            if int(m["gnd"]) != len(geom) or len(geom) != len(idx) or min(geom) < 1:
                raise FormatError(f"{path}:{lineno}: header field {pos} '{text}': bad geometry "
                                  f"<{m['gnd']}:{m['geom']}> for a {len(idx)}-d cell index")
            where[name] = len(columns)
            columns.append(DatColumn(name, typ, geom))
            seen[name] = set()
        col = columns[where[name]]
        if not col.geom:
            raise FormatError(f"{path}:{lineno}: header field {pos} '{text}': '{name}' is already a scalar column")
        if col.type != typ:
            raise FormatError(f"{path}:{lineno}: header field {pos} '{text}': type '{typ}' differs from "
                              f"the column's first cell ('{col.type}')")
        if len(idx) != len(col.geom) or any(not 0 <= i < d for i, d in zip(idx, col.geom)):
            raise FormatError(f"{path}:{lineno}: header field {pos} '{text}': cell index outside the "
                              f"geometry <{len(col.geom)}:{','.join(map(str, col.geom))}>")
        flat = 0
        for i, d in zip(reversed(idx), reversed(col.geom)):
            flat = flat * d + i
        if flat in seen[name]:
            raise FormatError(f"{path}:{lineno}: header field {pos} '{text}': cell given twice")
        seen[name].add(flat)
        cells.append((where[name], flat))
    for name, got in seen.items():
        need = math.prod(columns[where[name]].geom)
        if len(got) != need:
            raise FormatError(f"{path}:{lineno}: matrix column '{name}' has {len(got)} of its {need} cells "
                              f"in the header")
    return columns, cells


def _unquote(path: str, lineno: int, text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        body = text[1:-1]
        if "\\" not in body:
            return body
        out, i = [], 0
        while i < len(body):
            c = body[i]
            if c == "\\" and i + 1 < len(body) and body[i + 1] in '\\"':
                out.append(body[i + 1])
                i += 2
            else:                     # emergent escapes only \\ and \"; keep e.g. a literal \n
                out.append(c)
                i += 1
        return "".join(out)
    if text.startswith('"'):
        raise FormatError(f"{path}:{lineno}: unterminated string {text[:40]!r}; expected a closing '\"'")
    return text


def _convert(path: str, column: DatColumn, values: np.ndarray, linenos: list[int], fields: np.ndarray):
    """Convert a (n_rows, n_cells) str array to the column's dtype; errors name the line."""
    typ = column.type
    try:
        if typ in "%#":
            return values.astype(np.float64).astype(column.dtype)
        if typ in "|@":
            return values.astype(np.int64).astype(column.dtype)
        if typ == "^":
            low = np.char.lower(values)
            ok = np.isin(low, ["0", "1", "true", "false"])
            if not ok.all():
                raise ValueError
            return (low == "1") | (low == "true")
    except (ValueError, OverflowError):
        kind = {"%": "a float", "#": "a float", "|": "an integer", "@": "an integer 0..255",
                "^": "a bool (0/1/true/false)"}[typ]
        for r in range(values.shape[0]):
            for c in range(values.shape[1]):
                v = values[r, c]
                try:
                    if typ in "%#":
                        float(v)
                    elif typ in "|@":
                        iv = int(v)
                        if typ == "@" and not 0 <= iv <= 255:
                            raise ValueError
                    else:
                        if v.lower() not in ("0", "1", "true", "false"):
                            raise ValueError
                except ValueError:
                    raise FormatError(f"{path}:{linenos[r]}: field {fields[c] + 1} (column '{column.name}'): "
                                      f"'{clip(v)}' is not {kind}") from None
        raise FormatError(f"{path}: column '{column.name}': values out of range for {kind}")
    return np.array(values, dtype=str)


def read_dat(path: str | os.PathLike, allow_partial_last: bool = False) -> DatTable:
    """Read an emergent native ``.dat`` table (plain or gzip).

    Parameters
    ----------
    path : the file
    allow_partial_last : if True, a last line that is cut short (a run killed mid-write: no
        trailing newline, which emergent writes after every row) is dropped instead of raising
        (even with all its fields: the last number may be cut, '0.5' -> '0.').

    Returns
    -------
    DatTable

    Raises
    ------
    FormatError
        with ``file:line``: no header, malformed header, wrong number of fields, a bad number,
        an unterminated string, or a second header that differs from the first.
    """
    path = os.fspath(path)
    text = _open_text(path)
    lines = text.split("\n")
    ends_with_newline = text.endswith("\n")
    if ends_with_newline:
        lines.pop()
    header_fields: list[str] | None = None
    header_line = 0
    dropped = False
    columns: list[DatColumn] = []
    cells: list[tuple[int, int]] = []
    rows: list[list[str]] = []
    linenos: list[int] = []
    delim = "\t"
    for lineno, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if header_fields is None and line.startswith("_H:"):
            delim = _delimiter(path, lineno, line)
        fields = _split(line, delim)
        if fields[0] == "_H:":
            if header_fields is None:
                header_fields, header_line = fields[1:], lineno
                columns, cells = _parse_header(path, lineno, header_fields)
            elif fields[1:] != header_fields:
                raise FormatError(f"{path}:{lineno}: a second header that differs from the one on line "
                                  f"{header_line}; expected one table per file")
            continue
        if header_fields is None:
            raise FormatError(f"{path}:{lineno}: data before the header; expected a first line starting "
                              f"'_H:' then TAB, COMMA or SPACE{_export_hint(line)}, found {clip(line)!r}")
        if lineno == len(lines) and not ends_with_newline and allow_partial_last:
            dropped = True         # emergent ends every row with a newline: this one was cut,
            break                  # maybe mid-number with all its fields ('0.5' -> '0.')
        if fields[0] == "_D:":
            fields = fields[1:]
        elif fields[0].startswith("_") and fields[0].endswith(":"):
            raise FormatError(f"{path}:{lineno}: unknown line marker '{clip(fields[0])}'; expected '_H:' or '_D:'")
        if len(fields) != len(header_fields):
            last = lineno == len(lines) and not ends_with_newline
            hint = " (the line is cut short: was the run killed?)" if last else ""
            other = _other_delimiter(line, delim, len(header_fields))
            if other:
                hint = (f"; this line is separated by {other}, the header by {DELIMITERS[delim]}: "
                        f"save the whole table with one delimiter")
            raise FormatError(f"{path}:{lineno}: {len(fields)} fields, expected {len(header_fields)} "
                              f"(one per header field of line {header_line}){hint}")
        rows.append(fields)
        linenos.append(lineno)
    if header_fields is None:
        raise FormatError(f"{path}:1: no header line; expected a line starting '_H:' then TAB, COMMA or "
                          f"SPACE (emergent native .dat)")
    if header_line == len(lines) and not ends_with_newline:
        raise FormatError(f"{path}:{header_line}: the file ends inside its header line (cut short?); "
                          "expected the header, a newline, then the '_D:' rows")

    n = len(rows)
    raw = np.array(rows, dtype=str).reshape(n, len(header_fields)) if n else np.empty((0, len(header_fields)), str)
    data: dict[str, np.ndarray] = {}
    by_col: dict[int, list[tuple[int, int]]] = {}
    for field_pos, (ci, flat) in enumerate(cells):
        by_col.setdefault(ci, []).append((flat, field_pos))
    for ci, col in enumerate(columns):
        order = [pos for _, pos in sorted(by_col[ci])]          # fields in flat-cell order
        block = raw[:, order]
        if col.type in NUMERIC + "^":
            values = _convert(path, col, block, linenos, np.array(order))
        else:
            values = np.array([[_unquote(path, linenos[r], v) for v in row] for r, row in enumerate(block)],
                              dtype=str).reshape(block.shape)
        data[col.name] = values.reshape((n, *col.shape)) if col.geom else values[:, 0]
    table = DatTable(data, {c.name: c for c in columns}, path)
    table.dropped_partial_line = dropped
    return table


# ----------------------------------------------------------------------------------------- writing
def _dtype_prefix(name: str, arr: np.ndarray) -> str:
    k = arr.dtype.kind
    if k == "f":
        return "#" if arr.dtype == np.float64 else "%"
    if k == "b":
        return "^"
    if arr.dtype == np.uint8:
        return "@"
    if k in "iu":
        return "|"
    if k in "US O":
        return "$"
    raise FormatError(f"write_dat: column '{name}' has dtype {arr.dtype}; expected numbers, bools or strings")


def _format(arr: np.ndarray, typ: str, digits: int | None) -> np.ndarray:
    """Text of each value of ``arr`` (any shape) as emergent writes type ``typ``."""
    if typ in "%#":
        dtype = np.float32 if typ == "%" else np.float64
        vals = np.asarray(arr, dtype=dtype)
        if digits is not None:
            return np.char.mod(f"%.{digits}g", vals.astype(np.float64))
        return vals.astype(str)                     # shortest round-trip repr (numpy Dragon4)
    if typ in "|@":
        return np.asarray(arr).astype(np.int64).astype(str)
    if typ == "^":
        return np.where(np.asarray(arr, dtype=bool), "1", "0")
    s = np.asarray(arr).astype(str)
    if s.size and (np.char.find(s, "\t") >= 0).any() | (np.char.find(s, "\n") >= 0).any():
        raise FormatError("write_dat: strings must not contain TAB or newline (emergent does not escape them)")
    s = np.char.replace(np.char.replace(s, "\\", "\\\\"), '"', '\\"')
    return np.char.add(np.char.add('"', s), '"')


def _trim_float(text: np.ndarray) -> np.ndarray:
    """'1.0' -> '1' (emergent's %g style) without touching other values."""
    return np.where(np.char.endswith(text, ".0"), np.char.rstrip(np.char.rstrip(text, "0"), "."), text)


def write_dat(path: str | os.PathLike, columns: Mapping[str, object] | DatTable,
              types: Mapping[str, str] | None = None, digits: int | None = None) -> None:
    """Write a table in emergent's native ``.dat`` format (what LoadData and auto_load read).

    Parameters
    ----------
    path : output file; gzip-compressed when it ends in ``.gz``. Written to a temporary name and
        renamed when complete.
    columns : mapping of column name -> array_like, in header order (or a :class:`DatTable`,
        whose types are kept). A 1-D array ``(n_rows,)`` is a scalar column; ``(n_rows, *shape)``
        is a matrix column with geometry ``reversed(shape)`` (numpy ``(Y, X)`` -> ``<2:X,Y>``).
    types : optional name -> type prefix (``"%"``, ``"#"``, ``"|"``, ``"@"``, ``"^"``, ``"$"``);
        default from the dtype (float32 ``%``, float64 ``#``, ints ``|``, uint8 ``@``, bool ``^``,
        str ``$``).
    digits : significant digits for floats; default None = shortest repr that round-trips
        (float32 for ``%``), 6 = emergent's own ``%g``.

    Raises
    ------
    FormatError
        columns of different lengths, unknown type prefix, strings holding TAB/newline.
    """
    path = os.fspath(path)
    if isinstance(columns, DatTable):
        types = {**{n: c.type for n, c in columns.info.items()}, **(types or {})}
        columns = {n: columns[n] for n in columns.columns}
    types = dict(types or {})
    if not columns:
        raise FormatError(f"write_dat({path}): no columns")
    headers: list[str] = []
    blocks: list[np.ndarray] = []
    n_rows = None
    for name, values in columns.items():
        if not isinstance(name, str) or not name or any(ch in name for ch in "\t[]<>"):
            raise FormatError(f"write_dat({path}): bad column name {name!r}")
        arr = np.asarray(values)
        if arr.ndim == 0:
            raise FormatError(f"write_dat({path}): column '{name}' is a scalar; expected (n_rows, ...)")
        if n_rows is None:
            n_rows = arr.shape[0]
        elif arr.shape[0] != n_rows:
            raise FormatError(f"write_dat({path}): column '{name}' has {arr.shape[0]} rows, others {n_rows}")
        typ = types.get(name) or _dtype_prefix(name, arr)
        if typ not in TYPES:
            raise FormatError(f"write_dat({path}): column '{name}': unknown type prefix '{typ}'; "
                              f"expected one of {' '.join(TYPES)}")
        text = _format(arr, typ, digits)
        if typ in "%#":
            text = _trim_float(text)
        if arr.ndim == 1:
            headers.append(typ + name)
            blocks.append(text.reshape(n_rows, 1))
            continue
        geom = tuple(reversed(arr.shape[1:]))
        n_cells = math.prod(geom)
        for flat in range(n_cells):
            idx, rest = [], flat
            for d in geom:
                idx.append(rest % d)
                rest //= d
            h = f"{typ}{name}[{len(geom)}:{','.join(map(str, idx))}]"
            if flat == 0:
                h += f"<{len(geom)}:{','.join(map(str, geom))}>"
            headers.append(h)
        blocks.append(text.reshape(n_rows, n_cells))
    body = np.concatenate(blocks, axis=1) if blocks else np.empty((n_rows, 0), str)
    out = ["_H:\t" + "\t".join(headers) + "\n"]
    out.extend("_D:\t" + "\t".join(row) + "\n" for row in body.tolist())
    atomic_write(path, "".join(out).encode("utf-8"))


