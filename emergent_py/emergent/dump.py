"""Reader and writer of emergent's ``ta_Dump`` text format (``.proj``, ``.dtbl``, ``.net``).

The format (``../shared/spec/emergent-formats.md`` section 1) is a dump of an object tree,
written twice: a *skeleton pass* (types, list sizes, nesting) and a *value pass* (every saved
member as ``name=value;``). It is parsed (:mod:`.dump_parse`) into a lossless tree
(:mod:`.dump_tree`): every node keeps the exact text it was read from (including the
whitespace in front of it), so an unchanged file is written back byte for byte, and an edited
one differs only where it was edited.

This module holds the document, :class:`Dump` (header, skeleton and value pass), with
:func:`read_dump` / :func:`write_atomic`, and the consistency checks on a whole document
(:func:`size_mismatches`, :func:`ref_problems`, :func:`is_a`). It re-exports the names of
:mod:`.dump_tree` (:class:`Block`, :class:`Member`, :func:`quote`, :func:`parse_ref` ...) and
:mod:`.dump_parse` (:func:`parse_nodes`), so callers import everything from here.

Paths (``.networks[0].specs[2].children[0]``, ``.data.gp[0][0]``) are resolved against the value
pass with :meth:`Dump.find`; object references in values are ``.path$$`` (first use),
``$.path$`` (later uses), ``.path$$<Type,name>`` (outside the root) or ``NULL``
(:func:`parse_ref`).
"""
from __future__ import annotations

import os
import re
from typing import Iterable, Iterator

from ..errors import FormatError
from .dump_parse import _OBJECT, _WS, _Parser, parse_inline_fields, parse_nodes  # noqa: F401
from .dump_tree import (Array, Block, Data, Link, Member, Node, NodeT, Ref, Variant,  # noqa: F401
                        format_float, format_ref, format_value, indent, parse_ref, quote,
                        split_items, unquote)

HEADER = re.compile(r"// ta_Dump File v(?P<fmt>[\d.]+)(?: -- code v(?P<code>[\d.]+)(?: rev(?P<rev>\d+))?)?")
_PATH_STEP = re.compile(r'\.(?P<name>\w+)|\[(?P<index>\d+)\]|\["(?P<key>(?:[^"\\]|\\.)*)"\]')


# ----------------------------------------------------------------------------------- document

class Dump:
    """A parsed ta_Dump file: the header line, the root blocks (skeleton and value pass), and
    whatever text follows them.

    >>> proj = Dump.read("LeabraStd.proj")                       # doctest: +SKIP
    >>> proj.find(".networks[0].layers[1]").name                  # doctest: +SKIP
    'Hidden'
    """

    def __init__(self, header: str, roots: list[Block], trailer: str = "", where: str = "") -> None:
        self.header, self.roots, self.trailer, self.where = header, roots, trailer, where

    # -- reading
    @classmethod
    def parse(cls, text: str, where: str = "<text>") -> "Dump":
        first, nl, _ = text.partition("\n")
        if not HEADER.match(first):
            binary = any(c < " " and c not in "\t\r" or "\udc80" <= c <= "\udcff" for c in first[:200])
            found = "binary data (not text)" if binary else repr(first[:60])
            raise FormatError(f"{where}:1: expected the header '// ta_Dump File v3.0 -- code v8...' "
                              f"of an emergent dump file, found {found}")
        parser = _Parser(text, where)
        pos = len(first)
        roots: list[Block] = []
        while True:
            ws = _WS.match(text, pos)
            if ws.end() >= len(text):
                return cls(first, roots, ws.group(), where)
            m = _OBJECT.match(text, ws.end())
            if not m or m["path"].startswith("@"):
                raise parser.error(ws.end(), "a root object 'Type .path {'")
            blk = Block("object", m.group(), type=m["type"], path=m["path"], pre=ws.group(),
                        line=parser.line_of(ws.end()))
            pos = parser.parse_block(m.end(), blk)
            roots.append(blk)

    @classmethod
    def read(cls, path: str | os.PathLike) -> "Dump":
        """Read a ``.proj``/``.dtbl`` (optionally gzipped); FormatError names file and line."""
        from ..fileio import read_bytes    # the package's one reader of input files
        data = read_bytes(str(path), "an emergent ta_Dump file (.proj, .dtbl: text starting "
                                     "'// ta_Dump File v3.0')")
        return cls.parse(data.decode("utf-8", "surrogateescape"), str(path))

    # -- writing
    def text(self) -> str:
        return self.header + "".join(r.render() for r in self.roots) + self.trailer

    def to_bytes(self) -> bytes:
        return self.text().encode("utf-8", "surrogateescape")

    def write(self, path: str | os.PathLike) -> None:
        """Write atomically: a temporary file in the same folder, renamed when complete."""
        write_atomic(path, self.to_bytes(), gz=str(path).endswith(".gz"))

    # -- structure
    @property
    def version(self) -> str:
        """The code version of the header (``8.5.6.0``), or '' for old files."""
        m = HEADER.match(self.header)
        return m["code"] or ""

    @property
    def value_root(self) -> Block:
        """The value pass (the last root block)."""
        if not self.roots:
            raise FormatError(f"{self.where}: the file holds no object")
        return self.roots[-1]

    @property
    def skeleton_root(self) -> Block | None:
        """The skeleton pass: the earlier root with the value pass's type and path (a plugin
        list ``taPluginBase_List .plugin_deps`` may come first), or None."""
        value = self.value_root
        for r in self.roots[:-1]:
            if r.type == value.type and r.path == value.path:
                return r
        return None

    def find(self, path: str, root: Block | None = None) -> Block:
        """The object or struct at ``path`` (``.networks[0].layers[1]``, ``.data.gp[0][0]``,
        ``.programs["LeabraTrain"]``), resolved in the value pass; KeyError names the step."""
        node = self.value_root if root is None else root
        path = path.strip()
        if path == ".":
            return node
        if path.startswith(node.path) and node.path.startswith("."):
            path = path[len(node.path):]       # an absolute path that names the root itself
        pos = 0
        while pos < len(path):
            m = _PATH_STEP.match(path, pos)
            if not m:
                raise KeyError(f"{self.where}: bad path {path!r} at {path[pos:]!r}")
            nxt: Block | None = None
            if m["name"] is not None:
                step = m["name"]
                # '.gp[i]' / '.gp["Name"]' is one step: the subgroup object '@.gp[i]'
                g = _PATH_STEP.match(path, m.end()) if step == "gp" else None
                if g and g["name"] is None:
                    nxt = _pick(node.subgroups, "@.gp", g)
                    pos = g.end()
                else:
                    nxt = node.child(step)
                    pos = m.end()
            else:
                nxt = _pick(node.elements, "@", m)
                pos = m.end()
            if nxt is None:
                raise KeyError(f"{self.where}: path {path!r}: no {m.group()!r} in "
                               f"{node.label} (line {node.line})")
            node = nxt
        return node

    def try_find(self, path: str) -> Block | None:
        try:
            return self.find(path)
        except KeyError:
            return None

    def skeleton_find(self, path: str) -> Block | None:
        """The skeleton-pass object for a value-pass path (``.networks[0].layers``), or None."""
        root = self.skeleton_root
        if root is None:
            return None
        node = root
        for step in re.findall(r'\.gp\[\d+\]|\.gp\["(?:[^"\\]|\\.)*"\]|\.\w+|\[\d+\]|\["(?:[^"\\]|\\.)*"\]', path):
            want = "@" + step
            nxt = next((c for c in node.kids if isinstance(c, Block) and c.path == want), None)
            if nxt is None and step.startswith("."):
                # deep member lists: '@.monitor.items' is one skeleton object
                nxt = next((c for c in node.kids if isinstance(c, Block)
                            and c.path.startswith(want + ".")), None)
            if nxt is None:
                return None
            node = nxt
        return node

    def paths(self, start: str = "") -> Iterator[tuple[str, Block]]:
        """``(path, block)`` for every addressable object and struct below ``start`` (one pass)."""
        def walk(node: Block, prefix: str) -> Iterator[tuple[str, Block]]:
            for c in node.kids:
                if not isinstance(c, Block) or c.inline:
                    continue
                if c.index is not None:
                    step = f"[{c.index}]"
                elif c.key is not None:
                    step = f"[{quote(c.key)}]"
                elif c.kind == "struct":
                    step = "." + c.name_
                elif c.path.startswith("@."):
                    step = c.path[1:]
                else:
                    continue
                yield prefix + step, c
                yield from walk(c, prefix + step)
        root = self.find(start) if start else self.value_root
        return walk(root, start)

    def path_of(self, target: Block) -> str:
        """The value-pass path of a block (``.networks[0].specs[1]``)."""
        for path, blk in self.paths():
            if blk is target:
                return path
        raise KeyError(f"{self.where}: block {target.label} is not in the value pass")

    def refs(self) -> Iterator[tuple[Block, Member, Ref]]:
        """Every object reference in the value pass: ``(owner, member, ref)``."""
        def walk(node: Block) -> Iterator[tuple[Block, Member, Ref]]:
            for c in node.kids:
                if isinstance(c, Member):
                    if "$" in c.raw:
                        r = parse_ref(c.raw)
                        if r is not None:
                            yield node, c, r
                elif isinstance(c, Block):
                    yield from walk(c)
        return walk(self.value_root)


def _pick(items: list[Block], prefix: str, step: re.Match) -> Block | None:
    """The element (or subgroup) a ``[i]`` / ``["Name"]`` path step names. Lists written by
    name (``@["Network_0"]``, ``@.gp["PBWM"]``, 8.0.x files) are also reached by position."""
    if step["index"] is not None:
        want = f"{prefix}[{step['index']}]"
        hit = next((c for c in items if c.path == want), None)
        i = int(step["index"])
        if hit is None and i < len(items) and not re.fullmatch(r"@(\.gp)?\[\d+\]", items[i].path):
            hit = items[i]
        return hit
    key = unquote('"' + step["key"] + '"')
    want = f"{prefix}[{quote(key)}]"
    return next((c for c in items if c.path == want), None) or next(
        (c for c in items if c.name == key), None)


def _size_disagreements(dump: Dump) -> Iterator[tuple[str, Block, Block | None, int | None]]:
    """``(path, skeleton list, value-pass list or None, its element count or None)`` for every
    skeleton list ``= [N]`` whose value pass does not hold elements ``@[0]`` .. ``@[N-1]``."""
    skel = dump.skeleton_root
    if skel is None:
        return

    def walk(node: Block, path: str) -> Iterator[tuple[str, Block, Block | None, int | None]]:
        for c in node.kids:
            if not isinstance(c, Block) or c.kind != "object" or c.path.startswith("@*"):
                continue
            sub = path + c.path[1:]
            if c.size is not None:
                try:
                    value = dump.find(sub)
                except KeyError:
                    value = None
                if value is not None:
                    elements = value.elements
                    if len(elements) != c.size or any(e.index is not None and e.index >= c.size
                                                      for e in elements):   # (@["Name"]: no index)
                        yield sub, c, value, len(elements)
            yield from walk(c, sub)
    yield from walk(skel, "")


def size_mismatches(dump: Dump) -> list[str]:
    """Skeleton lists whose ``= [N]`` differs from the number of elements in the value pass."""
    return [f"line {c.line}: skeleton {c.type} {path} = [{c.size}] but the value pass (line "
            f"{value.line}) has {n} elements" for path, c, value, n in _size_disagreements(dump)]


def check_list_sizes(dump: Dump) -> None:
    """Refuse a document whose skeleton and value pass disagree on a list's size: FormatError
    naming the file, both lines and the list. A value pass that holds none of a list's elements
    is emergent's own habit (units, docs, wizards are sized by the skeleton and built on load),
    so only a list the value pass does fill must match."""
    for path, c, value, n in _size_disagreements(dump):
        if n:
            indices = ", ".join(str(e.index if e.index is not None else f'"{e.key}"')
                                for e in value.elements[:6]) + (" ..." if n > 6 else "")
            raise FormatError(
                f"{dump.where}:{c.line}: list {path} ({c.type}): the skeleton pass says = [{c.size}] "
                f"(line {c.line}) but the value pass holds {n} elements (line {value.line}, indices "
                f"{indices}); the file is inconsistent (edited by hand?): make the '= [N]' of line "
                f"{c.line} match the elements, or re-save the project in emergent")


#: major emergent versions (header ``code vX...``) this reader knows. Others (a future 9.0, a
#: typo) are refused up front by :func:`check_version`; how 4.x-7.x files are read or refused
#: is decided after this check (extend it there).
KNOWN_CODE_MAJORS = (4, 5, 6, 7, 8)
#: ta_Dump stream formats (header ``ta_Dump File vN``): v3.0 since emergent 4, v1/v2 before
KNOWN_DUMP_FORMATS = (1, 2, 3)
SUPPORTED_VERSIONS = "emergent 8.x projects (header '// ta_Dump File v3.0 -- code v8...')"


def check_version(dump: Dump) -> None:
    """Refuse a header naming an emergent version or dump format this reader does not know,
    before anything else is read (a later error such as 'no network' would hide the cause)."""
    m = HEADER.match(dump.header)
    if m is None:          # (Dump.parse refuses these; a hand-built Dump may lack a header)
        raise FormatError(f"{dump.where}:1: no ta_Dump header; supported: {SUPPORTED_VERSIONS}")
    fmt, code = m["fmt"], m["code"]
    fmt_major = int(fmt.split(".")[0]) if fmt.split(".")[0].isdigit() else -1
    code_major = int(code.split(".")[0]) if code and code.split(".")[0].isdigit() else None
    if fmt_major not in KNOWN_DUMP_FORMATS:
        what = f"ta_Dump format v{fmt}"
    elif code is not None and code_major not in KNOWN_CODE_MAJORS:
        what = f"emergent code v{code}"
    else:
        return
    raise FormatError(f"{dump.where}:1: the header {dump.header.strip()[:80]!r} names {what}, a "
                      f"version this reader does not know; supported: {SUPPORTED_VERSIONS}. Save "
                      "the project in emergent 8.x (or check the header line for a typo)")


#: emergent types that stand in for a base type in pointers (subclass -> base)
BASE_TYPES = {"LeabraBiasSpec": "LeabraConSpec"}


def is_a(type_name: str, want: str) -> bool:
    """Whether an object of ``type_name`` may stand where ``want`` is expected (same type, a
    known subclass, or a name ending in it: ``LeabraLayer`` is a ``Layer``)."""
    t: str | None = type_name
    while t is not None:
        if t == want or t.endswith(want):
            return True
        t = BASE_TYPES.get(t)
    return False


def ref_problems(dump: Dump, known_unresolved: Iterable[str] = ()) -> list[str]:
    """References in the value pass that do not resolve, or point to an object of the wrong
    type (spec pointers ``{type=T: spec=P}``, links, projection ``from``, control-panel
    ``base`` + ``mbr=Class::member``). Paths in ``known_unresolved`` are not reported (members
    emergent creates but never saves, such as ``.networks[0].train_time``)."""
    skip = set(known_unresolved)
    out: list[str] = []
    for owner, member, ref in dump.refs():
        if ref.outside or ref.path in skip:
            continue
        target = dump.try_find(ref.path)
        if target is None:
            out.append(f"line {member.line or owner.line}: {owner.label}.{member.name} -> {ref.path} "
                       "does not exist")
            continue
        want = ""
        if member.name == "spec" and owner.inline:
            want = owner.value("type", "")
        elif member.name == "from" and owner.type.endswith("Prjn"):
            want = "Layer"
        elif member.name == "base" and "::" in owner.value("mbr", ""):
            want = owner.value("mbr").split("::")[0]
            if target.kind == "struct":
                want = ""
        if want and target.kind == "object" and not is_a(target.type, want):
            out.append(f"line {member.line or owner.line}: {owner.label}.{member.name} -> {ref.path} "
                       f"is a {target.type}, expected a {want}")
    for blk in dump.value_root.walk():
        if isinstance(blk, Block):
            for link in blk.links:
                target = dump.try_find(link.target)
                if target is None or target.type != link.eltype:
                    got = "nothing" if target is None else f"a {target.type}"
                    out.append(f"line {link.line}: link {link.target} points to {got}, expected a {link.eltype}")
    return out


def read_dump(path: str | os.PathLike) -> Dump:
    """Read a ta_Dump file (``.proj``, ``.dtbl``, gzipped or not)."""
    return Dump.read(path)


def read_project(path: str | os.PathLike, check=None) -> Dump:
    """Read a ta_Dump file to be imported or run: :func:`read_dump`, then refused (FormatError)
    when its header names an unknown version (:func:`check_version`) or its skeleton and value
    pass disagree on a list's size (:func:`check_list_sizes`) or an inline block does not parse
    (they are parsed on first use otherwise: a broken one that the importer does not read would
    pass). ``check(dump)``, if given, runs right after the header check (e.g. the importer's
    refusal of pre-8.0 projects, which must come before any complaint about their contents).
    (:func:`read_dump` alone reads any parseable file, e.g. to repair one.)"""
    dump = Dump.read(path)
    check_version(dump)
    if check is not None:
        check(dump)
    for root in dump.roots:
        for _ in root.walk():          # parses every inline block (FormatError: file and line)
            pass
    check_list_sizes(dump)
    return dump


def write_atomic(path: str | os.PathLike, data: bytes, gz: bool = False) -> None:
    """Write ``data`` to a temporary name beside ``path`` and rename it when complete (the
    package's one atomic writer, :func:`emergent_py.emergent.dat.atomic_write`; it gzips
    ``.gz`` names)."""
    from .dat import atomic_write
    path = os.fspath(path)
    if gz and not path.endswith(".gz"):
        raise ValueError(f"{path}: gzip output needs a .gz name")
    atomic_write(path, data)
