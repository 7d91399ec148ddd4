"""Reader and writer of emergent's ``ta_Dump`` text format (``.proj``, ``.dtbl``, ``.net``).

The format (``../shared/spec/emergent-formats.md`` section 1) is a dump of an object tree,
written twice: a *skeleton pass* (types, list sizes, nesting) and a *value pass* (every saved
member as ``name=value;``). This module parses it into a lossless tree: every node keeps the
exact text it was read from (including the whitespace in front of it), so an unchanged file is
written back byte for byte, and an edited one differs only where it was edited.

Node kinds (all subclasses of :class:`Node`):

* :class:`Block` -- an object ``Type @path [= [N]] {...};`` (``kind="object"``) or a struct
  member ``name {...};`` (``kind="struct"``); ``inline`` blocks are written on one line
  (``lay_inhib {on=1: gi=1.8: };``) and their fields end with ``:``.
* :class:`Member` -- ``name=value;`` (or ``name=value:`` inside an inline block).
* :class:`Array` -- ``name{ a;b; };`` (``cell_geom{ 5;5; };``, ``unique{ wt_scale; };``).
* :class:`Data` -- ``[d0 d1 ... n] v;v;...`` inside a block (matrix and string column rows).
* :class:`Variant` -- ``name <type> <null>[=value];`` (``keygen 4 0=0;``).
* :class:`Link` -- ``Projection_List @. = [i] = Type .path;`` (a non-owning list entry).

Paths (``.networks[0].specs[2].children[0]``, ``.data.gp[0][0]``) are resolved against the value
pass with :meth:`Dump.find`; object references in values are ``.path$$`` (first use),
``$.path$`` (later uses), ``.path$$<Type,name>`` (outside the root) or ``NULL``
(:func:`parse_ref`).

Values stay text (``member.raw``) until asked for: :meth:`Member.value` decodes strings,
:func:`format_float` / :func:`quote` encode the way emergent writes them.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Union

from ..errors import FormatError

HEADER = re.compile(r"// ta_Dump File v(?P<fmt>[\d.]+)(?: -- code v(?P<code>[\d.]+)(?: rev(?P<rev>\d+))?)?")

_STRING = r'"(?:[^"\\]|\\[\s\S])*"'
_WS = re.compile(r"\s*")
_CLOSE = re.compile(r"\}[;:]")
_DATA = re.compile(r"\[(?P<dims>[\d ]*)\]")
_LINK = re.compile(r"(?P<type>[^\s{};=\"@]+) (?P<path>@[^\s{};=]*) = \[(?P<index>\d+)\] = "
                   r"(?P<eltype>[^\s;]+) (?P<target>[^;\n]*);")
_OBJECT = re.compile(r"(?P<type>[^\s{};=\"@]+) (?P<path>@[^\s{};=]*|\.[^\s{};=]*)"
                     r"(?: = \[(?P<size>\d+)\])? \{")
_MEMBER = re.compile(r"(?P<name>\w+)=(?P<raw>(?:" + _STRING + r'|[^;"\n])*);')
_STRUCT = re.compile(r"(?P<name>\w+) \{")
_ARRAY = re.compile(r"(?P<name>\w+)\{")
_VARIANT = re.compile(r"(?P<name>\w+) (?P<vtype>-?\d+) (?P<null>\d+)(?:=(?P<raw>" + _STRING
                      + r'|[^;"\n]*))?;')
_BLOCK_BODY = re.compile(r"[ \t]*(?:\r?\n|\}[;:])")     # after '{': a multi-line (or empty) body
_INLINE_FIELD = re.compile(r"(?P<pre>\s*)(?P<name>\w+)=")
_INLINE_VALUE = re.compile(_STRING + r"|(?:[^:\"{}]|:(?![\s}]))*")
_BRACES = re.compile(_STRING + r"|[{}]")
_PATH_STEP = re.compile(r'\.(?P<name>\w+)|\[(?P<index>\d+)\]|\["(?P<key>(?:[^"\\]|\\.)*)"\]')
_REF = re.compile(r"^(?:\$(?P<later>[^$]*)\$|(?P<first>[^$]*)\$\$(?:<(?P<hint>[^>]*)>)?)$")


# ----------------------------------------------------------------------------------- values

def quote(text: str) -> str:
    """Encode a string value as emergent writes it: ``"..."`` with ``\\`` and ``"`` escaped;
    the empty string is written as nothing (``desc=;``)."""
    if text == "":
        return ""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote(raw: str) -> str:
    """Decode a string value (``"a \\"b\\""`` -> ``a "b"``); bare text is returned as is."""
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        return re.sub(r"\\(.)", r"\1", raw[1:-1], flags=re.S)
    return raw


def format_float(x: float) -> str:
    """A float as emergent writes it: ``%.7g`` with a normalised exponent (``9.170947e-5``)."""
    text = "%.7g" % float(x)
    if "e" in text:
        mant, _, exp = text.partition("e")
        sign = exp[0] if exp[0] in "+-" else ""
        digits = exp.lstrip("+-").lstrip("0") or "0"
        text = f"{mant}e{sign}{digits}"
    return text


def format_value(value: object) -> str:
    """Encode a Python value for a ``name=value;`` line: bool -> 0/1, float -> %.7g,
    str -> as is (enum names, paths); use :func:`quote` for string members."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    return str(value)


@dataclass(frozen=True)
class Ref:
    """An object reference found in a value: ``path`` is relative to the root being loaded
    unless ``outside`` (then ``hint`` is ``"Type,name"``)."""
    path: str
    first: bool            # '.path$$' (defines the token) vs '$.path$' (a later use)
    hint: str = ""

    @property
    def outside(self) -> bool:
        return bool(self.hint)


def parse_ref(raw: str) -> Ref | None:
    """Parse ``.a[0]$$``, ``$.a[0]$``, ``.x$$<T,n>``; None for ``NULL``/empty and non-references."""
    m = _REF.match(raw.strip())
    if not m:
        return None
    if m["later"] is not None:
        return Ref(m["later"], first=False)
    return Ref(m["first"], first=True, hint=m["hint"] or "")


def format_ref(path: str) -> str:
    """A reference as a generator should write it: always the first-use form ``.path$$``."""
    return f"{path}$$"


# ----------------------------------------------------------------------------------- nodes

class Node:
    """Base of every tree node. ``pre`` is the whitespace written before the node, ``line`` the
    1-based line where the node starts in the file it was read from (0 for new nodes)."""
    __slots__ = ("pre", "line")

    def __init__(self, pre: str = "", line: int = 0) -> None:
        self.pre = pre
        self.line = line

    def text(self) -> str:
        raise NotImplementedError

    def render(self) -> str:
        return self.pre + self.text()


class Member(Node):
    """``name=raw;`` (``term`` is ``;``, or ``:`` inside an inline block)."""
    __slots__ = ("name", "raw", "term")

    def __init__(self, name: str, raw: str, term: str = ";", pre: str = "", line: int = 0) -> None:
        super().__init__(pre, line)
        self.name, self.raw, self.term = name, raw, term

    def text(self) -> str:
        return f"{self.name}={self.raw}{self.term}"

    @property
    def value(self) -> str:
        """The value with string quoting removed (numbers, enums and paths stay text)."""
        return unquote(self.raw)

    @property
    def ref(self) -> Ref | None:
        return parse_ref(self.raw)

    def __repr__(self) -> str:
        return f"Member({self.name}={self.raw[:40]})"


class Variant(Node):
    """``name vtype null[=raw];`` -- a Variant member (``keygen 4 0=0;``, ``cmp 0 1;``)."""
    __slots__ = ("name", "vtype", "null", "raw")

    def __init__(self, name: str, vtype: str, null: str, raw: str | None, pre: str = "",
                 line: int = 0) -> None:
        super().__init__(pre, line)
        self.name, self.vtype, self.null, self.raw = name, vtype, null, raw

    def text(self) -> str:
        value = "" if self.raw is None else "=" + self.raw
        return f"{self.name} {self.vtype} {self.null}{value};"

    @property
    def value(self) -> str | None:
        return None if self.raw is None else unquote(self.raw)


class Link(Node):
    """``ListType @path = [index] = ElType .target;`` -- a link (non-owning entry) in a list."""
    __slots__ = ("type", "path", "index", "eltype", "target")

    def __init__(self, type: str, path: str, index: int, eltype: str, target: str, pre: str = "",
                 line: int = 0) -> None:
        super().__init__(pre, line)
        self.type, self.path, self.index, self.eltype, self.target = type, path, index, eltype, target

    def text(self) -> str:
        return f"{self.type} {self.path} = [{self.index}] = {self.eltype} {self.target};"


class Array(Node):
    """``name{ item;item; };`` -- a simple array; ``items`` are the raw item texts."""
    __slots__ = ("name", "body", "_items")

    def __init__(self, name: str, body: str, pre: str = "", line: int = 0) -> None:
        super().__init__(pre, line)
        self.name, self.body, self._items = name, body, None

    def text(self) -> str:
        return f"{self.name}{{{self.body}}};"

    @property
    def items(self) -> list[str]:
        if self._items is None:
            self._items = split_items(self.body)
        return list(self._items)

    @items.setter
    def items(self, items: Iterable[str]) -> None:
        self._items = list(items)
        tail = self.body[len(self.body.rstrip()):] or "  "
        self.body = " " + "".join(f"{i};" for i in self._items) + tail


class Data(Node):
    """``[d0 ... n] v;v;...`` -- the rows of a matrix or string column (``ar``, ``dim_names``).

    ``dims`` is the geometry with the row count last; ``body`` the raw items, up to (and with
    the whitespace before) the ``};`` that closes the enclosing block."""
    __slots__ = ("dims", "body", "_items")

    def __init__(self, dims: tuple[int, ...], body: str, pre: str = "", line: int = 0) -> None:
        super().__init__(pre, line)
        self.dims, self.body, self._items = dims, body, None

    def text(self) -> str:
        return "[" + " ".join(map(str, self.dims)) + "]" + self.body

    @property
    def items(self) -> list[str]:
        if self._items is None:
            self._items = split_items(self.body)
        return list(self._items)


def split_items(body: str) -> list[str]:
    """Split ``a;"b;c";{x=1: };`` into raw items (strings and braces kept whole)."""
    items, start, depth, pos = [], 0, 0, 0
    for m in re.finditer(_STRING + r"|[{};]", body):
        tok = m.group()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif tok == ";" and depth == 0:
            items.append(body[start:m.start()].strip())
            start = m.end()
        pos = m.end()
    return items


class Block(Node):
    """An object (``Type @path [= [N]] {``) or a struct member (``name {``) with its children.

    ``head`` is the exact opening text, ``close_pre`` the whitespace before the closing
    ``tail`` (``};``, or ``}:`` for an inline block nested in another inline block)."""
    __slots__ = ("kind", "type", "path", "size", "name_", "head", "children", "close_pre",
                 "tail", "inline", "_body")

    def __init__(self, kind: str, head: str, *, type: str = "", path: str = "", size: int | None = None,
                 name: str = "", children: list[Node] | None = None, close_pre: str = "",
                 tail: str = "};", inline: bool = False, pre: str = "", line: int = 0) -> None:
        super().__init__(pre, line)
        self.kind, self.type, self.path, self.size, self.name_ = kind, type, path, size, name
        self.head, self.close_pre, self.tail, self.inline = head, close_pre, tail, inline
        self.children: list[Node] = children if children is not None else []
        self._body: str | None = None      # unparsed body of an inline block

    # -- construction of new blocks
    @classmethod
    def object(cls, type: str, path: str, size: int | None = None, children: list[Node] | None = None,
               inline: bool = False) -> "Block":
        b = cls("object", "", type=type, path=path, size=size, children=children, inline=inline)
        b.head = b._make_head()
        return b

    @classmethod
    def struct(cls, name: str, children: list[Node] | None = None, inline: bool = False) -> "Block":
        return cls("struct", f"{name} {{", name=name, children=children, inline=inline)

    def _make_head(self) -> str:
        if self.kind == "struct":
            return f"{self.name_} {{"
        size = "" if self.size is None else f" = [{self.size}]"
        return f"{self.type} {self.path}{size} {{"

    def set_size(self, n: int) -> None:
        """Set the ``= [N]`` list size of a skeleton object."""
        self.size = n
        self.head = self._make_head()

    def set_path(self, path: str) -> None:
        """Set the ``@path`` of an object (``@[3]`` to renumber a list element)."""
        self.path = path
        self.head = self._make_head()

    def clone(self) -> "Block":
        """A deep copy (re-parsed from this block's text)."""
        nodes = parse_nodes(self.render(), f"<copy of {self.label}>")
        blk = nodes[0]
        assert isinstance(blk, Block)
        blk.line = self.line
        return blk

    def set_depth(self, depth: int) -> None:
        """Re-indent this block as emergent does at nesting ``depth`` (one space per level, a
        tab per 8 levels); data bodies and multi-line strings are left alone."""
        def fix(pre: str, d: int) -> str:
            if "\n" not in pre:
                return pre
            blank = pre[:pre.rfind("\n") + 1]
            return blank + indent(d)
        self.pre = fix(self.pre, depth)
        self.close_pre = fix(self.close_pre, depth)
        for c in self.kids:
            if isinstance(c, Block):
                c.set_depth(depth + 1)
            else:      # rows of data sit at the indentation of the closing '};'
                c.pre = fix(c.pre, depth if isinstance(c, Data) else depth + 1)

    def remove(self, node: Node) -> None:
        self.kids.remove(node)

    def clear_elements(self) -> None:
        """Remove every list element, link and subgroup (keep the list's own members)."""
        self.children = [c for c in self.kids if not (isinstance(c, Link) or (
            isinstance(c, Block) and c.kind == "object"))]

    # -- text
    def text(self) -> str:
        if self._body is not None:
            return self.head + self._body + self.tail
        return self.head + "".join(c.render() for c in self.children) + self.close_pre + self.tail

    def _parse_inline(self) -> None:
        if self._body is not None:
            body, self._body = self._body, None
            self.children, self.close_pre = parse_inline_fields(body, self.line)

    @property
    def kids(self) -> list[Node]:
        self._parse_inline()
        return self.children

    # -- queries
    @property
    def label(self) -> str:
        """What the block is: ``Type @path`` for objects, the member name for structs."""
        return f"{self.type} {self.path}" if self.kind == "object" else self.name_

    @property
    def member_name(self) -> str:
        """For a struct: its member name; for an object at ``@.name``: ``name``."""
        if self.kind == "struct":
            return self.name_
        return self.path[2:] if self.path.startswith("@.") else ""

    @property
    def index(self) -> int | None:
        """The list index of an element ``@[i]``, else None."""
        m = re.fullmatch(r"@\[(\d+)\]", self.path) if self.kind == "object" else None
        return int(m.group(1)) if m else None

    @property
    def name(self) -> str | None:
        """The object's ``name`` member (decoded), or None."""
        m = self.get("name")
        return m.value if isinstance(m, Member) else None

    def get(self, name: str) -> Node | None:
        """The first child member, struct, array or variant called ``name``."""
        for c in self.kids:
            if isinstance(c, (Member, Array, Variant)) and c.name == name:
                return c
            if isinstance(c, Block) and c.kind == "struct" and c.name_ == name:
                return c
        return None

    def __getitem__(self, name: str) -> Node:
        node = self.get(name)
        if node is None:
            raise KeyError(f"{self.label} (line {self.line}) has no member '{name}'")
        return node

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def value(self, dotted: str, default: object = KeyError) -> str:
        """Decoded value of a member, following inline/struct members: ``value("lay_inhib.gi")``."""
        node: Node | None = self
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, Block) else None
        if isinstance(node, (Member, Variant)):
            return node.value
        if default is KeyError:
            raise KeyError(f"{self.label} (line {self.line}) has no value '{dotted}'")
        return default  # type: ignore[return-value]

    def members(self) -> Iterator[Node]:
        """Child members, structs, arrays and variants (no list elements)."""
        for c in self.kids:
            if not (isinstance(c, Block) and c.kind == "object") and not isinstance(c, Link):
                yield c

    @property
    def elements(self) -> list["Block"]:
        """List elements ``@[i]`` in order."""
        return [c for c in self.kids if isinstance(c, Block) and c.index is not None]

    @property
    def subgroups(self) -> list["Block"]:
        """Group subgroups ``@.gp[i]`` in order."""
        return [c for c in self.kids if isinstance(c, Block) and c.kind == "object"
                and c.path.startswith("@.gp[")]

    @property
    def links(self) -> list[Link]:
        return [c for c in self.kids if isinstance(c, Link)]

    def child(self, step: str) -> "Block | None":
        """The sub-object reached by one path step: ``name`` (struct or ``@.name`` object)."""
        for c in self.kids:
            if isinstance(c, Block) and c.member_name == step:
                return c
        return None

    def walk(self) -> Iterator[Node]:
        """This block and every node below it, depth first."""
        yield self
        for c in self.kids:
            if isinstance(c, Block):
                yield from c.walk()
            else:
                yield c

    # -- edits
    def set(self, name: str, raw: str) -> Member:
        """Set member ``name`` to the raw text ``raw`` (use :func:`quote`/:func:`format_value`);
        a missing member is appended."""
        node = self.get(name)
        if isinstance(node, Member):
            node.raw = raw
            return node
        if node is not None:
            raise TypeError(f"{self.label}: '{name}' is not a scalar member")
        m = Member(name, raw, ":" if self.inline else ";")
        self.append(m)
        return m

    def append(self, node: Node) -> Node:
        """Append a child, indented like its siblings."""
        kids = self.kids
        if not node.pre:
            node.pre = self._child_pre()
        kids.append(node)
        return node

    def _child_pre(self) -> str:
        if self.inline:
            return " " if self.children else ""
        for c in self.children:
            if "\n" in c.pre:
                return c.pre
        return "\n" + " " * (self.pre.count(" ") + 1)

    def replace(self, old: Node, new: Node) -> None:
        i = self.kids.index(old)
        new.pre = new.pre or old.pre
        self.children[i] = new

    def __repr__(self) -> str:
        return f"Block({self.label!r}, line {self.line}, {len(self.kids)} children)"


NodeT = Union[Block, Member, Variant, Link, Array, Data]


def indent(depth: int) -> str:
    """emergent's indentation at a nesting depth: a tab per 8 levels, then spaces."""
    return "\t" * (depth // 8) + " " * (depth % 8)


def parse_nodes(text: str, where: str = "<fragment>") -> list[Node]:
    """Parse a fragment of statements (``name=v;``, ``Type @[0] {...};`` ...) into nodes."""
    parser = _Parser(text + "};", where)
    holder = Block("struct", "<fragment>", line=1)
    end = parser.parse_body(0, holder)
    if end != len(parser.text):
        raise parser.error(end, "the end of the fragment")
    return holder.children


# ----------------------------------------------------------------------------------- parser

class _Parser:
    def __init__(self, text: str, where: str) -> None:
        self.text, self.where = text, where
        self._pos, self._line = 0, 1          # line numbers counted incrementally (parsing is forward)

    def line_of(self, pos: int) -> int:
        if pos < self._pos:
            return self.text.count("\n", 0, pos) + 1
        self._line += self.text.count("\n", self._pos, pos)
        self._pos = pos
        return self._line

    def error(self, pos: int, expected: str) -> FormatError:
        line = self.line_of(pos)
        found = self.text[pos:pos + 40].split("\n")[0]
        found = repr(found) if found else ("end of file" if pos >= len(self.text) else "end of line")
        if "\n" not in self.text[pos:] and "truncated" not in expected:
            found += " at the end of the file (the file is truncated)"
        return FormatError(f"{self.where}:{line}: expected {expected}, found {found}")

    def parse_body(self, pos: int, owner: Block) -> int:
        """Parse statements into ``owner.children`` until its closing ``};``; return the position
        after the closing text."""
        text = self.text
        children = owner.children
        while True:
            ws = _WS.match(text, pos)
            pre, pos = ws.group(), ws.end()
            if pos >= len(text):
                raise self.error(pos, f"'}};' closing '{owner.head}' opened at line {owner.line}"
                                 " (the file is truncated)")
            ch = text[pos]
            if ch == "}":
                m = _CLOSE.match(text, pos)
                if not m:
                    raise self.error(pos, "'};'")
                owner.close_pre, owner.tail = pre, m.group()
                return m.end()
            line = self.line_of(pos) if _TRACK_LINES else 0
            if ch == "[":
                m = _DATA.match(text, pos)
                if not m:
                    raise self.error(pos, "'[dims]' of array data")
                end = self.find_close(m.end(), owner)
                dims = tuple(int(d) for d in m["dims"].split())
                children.append(Data(dims, text[m.end():end], pre, line))
                pos = end
                continue
            m = _MEMBER.match(text, pos)
            if m:
                children.append(Member(m["name"], m["raw"], ";", pre, line))
                pos = m.end()
                continue
            m = _LINK.match(text, pos)
            if m:
                children.append(Link(m["type"], m["path"], int(m["index"]), m["eltype"], m["target"],
                                     pre, line))
                pos = m.end()
                continue
            m = _OBJECT.match(text, pos)
            if m:
                size = int(m["size"]) if m["size"] is not None else None
                blk = Block("object", m.group(), type=m["type"], path=m["path"], size=size,
                            pre=pre, line=line)
                pos = self.parse_block(m.end(), blk)
                children.append(blk)
                continue
            m = _STRUCT.match(text, pos)
            if m:
                blk = Block("struct", m.group(), name=m["name"], pre=pre, line=line)
                pos = self.parse_block(m.end(), blk)
                children.append(blk)
                continue
            m = _ARRAY.match(text, pos)
            if m:
                end = self.find_close(m.end(), None, want=m.group())
                if not text.startswith("};", end):
                    raise self.error(end, f"'}};' closing array '{m['name']}{{'")
                children.append(Array(m["name"], text[m.end():end], pre, line))
                pos = end + 2
                continue
            m = _VARIANT.match(text, pos)
            if m:
                children.append(Variant(m["name"], m["vtype"], m["null"], m["raw"], pre, line))
                pos = m.end()
                continue
            raise self.error(pos, "a member ('name=value;', 'name {', 'name{ ... };'), an object "
                             f"('Type @path {{') or '}};' inside '{owner.head}' (line {owner.line})")

    def parse_block(self, pos: int, blk: Block) -> int:
        """Parse what follows ``{``: a multi-line body or an inline ``k=v: ...`` body."""
        if _BLOCK_BODY.match(self.text, pos):
            return self.parse_body(pos, blk)
        end = self.find_close(pos, None, want=blk.head)
        tail = self.text[end:end + 2]
        if tail not in ("};", "}:"):
            raise self.error(end, f"'}};' closing inline '{blk.head}'")
        blk.inline, blk.tail, blk._body = True, tail, self.text[pos:end]
        return end + 2

    def find_close(self, pos: int, owner: Block | None, want: str = "") -> int:
        """Position of the '}' that closes the current level (strings and braces skipped)."""
        depth = 0
        for m in _BRACES.finditer(self.text, pos):
            tok = m.group()
            if tok == "{":
                depth += 1
            elif tok == "}":
                if depth == 0:
                    return m.start()
                depth -= 1
        what = owner.head if owner is not None else want
        raise self.error(len(self.text), f"'}}' closing '{what}' (the file is truncated)")


_TRACK_LINES = True


def parse_inline_fields(body: str, line: int = 0) -> tuple[list[Node], str]:
    """Parse an inline body ``k=v: k={...}: }`` into members/blocks; return (children, close_pre)."""
    children: list[Node] = []
    pos = 0
    while True:
        m = _INLINE_FIELD.match(body, pos)
        if not m:
            rest = body[pos:]
            if rest.strip():
                raise FormatError(f"line {line}: expected 'name=value:' in inline block, found {rest[:40]!r}")
            return children, rest
        pre, name, pos = m["pre"], m["name"], m.end()
        if body.startswith("{", pos):
            depth, end = 0, None
            for b in _BRACES.finditer(body, pos):
                if b.group() == "{":
                    depth += 1
                elif b.group() == "}":
                    depth -= 1
                    if depth == 0:
                        end = b.start()
                        break
            if end is None or body[end + 1:end + 2] not in (":", ";"):
                raise FormatError(f"line {line}: unclosed inline block '{name}={{'")
            sub, close_pre = parse_inline_fields(body[pos + 1:end], line)
            blk = Block("struct", f"{name}={{", name=name, children=sub, close_pre=close_pre,
                        tail=body[end:end + 2], inline=True, pre=pre, line=line)
            children.append(blk)
            pos = end + 2
            continue
        v = _INLINE_VALUE.match(body, pos)
        end = v.end()
        if body[end:end + 1] not in (":", ";"):
            raise FormatError(f"line {line}: expected ':' after inline value '{name}={v.group()[:30]}'")
        children.append(Member(name, v.group(), body[end], pre, line))
        pos = end + 1


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
            raise FormatError(f"{where}:1: expected the header '// ta_Dump File v3.0 -- code v8...' "
                              f"of an emergent dump file, found {first[:60]!r}")
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
        from .dat import read_bytes        # the package's one gunzip-aware reader
        data = read_bytes(str(path))
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
                # '.gp[i]' is one step: the subgroup object '@.gp[i]'
                g = re.match(r"\[(\d+)\]", path[m.end():]) if step == "gp" else None
                if g:
                    want = f"@.gp[{g.group(1)}]"
                    nxt = next((c for c in node.kids if isinstance(c, Block) and c.path == want), None)
                    pos = m.end() + g.end()
                else:
                    nxt = node.child(step)
                    pos = m.end()
            elif m["index"] is not None:
                want = f"@[{m['index']}]"
                nxt = next((c for c in node.kids if isinstance(c, Block) and c.path == want), None)
                pos = m.end()
            else:
                key = unquote('"' + m["key"] + '"')
                nxt = next((c for c in node.elements if c.name == key), None)
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
        for step in re.findall(r"\.gp\[\d+\]|\.\w+|\[\d+\]", path):
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


def size_mismatches(dump: Dump) -> list[str]:
    """Skeleton lists whose ``= [N]`` differs from the number of elements in the value pass."""
    out: list[str] = []
    skel = dump.skeleton_root
    if skel is None:
        return out

    def walk(node: Block, path: str) -> None:
        for c in node.kids:
            if not isinstance(c, Block) or c.kind != "object" or c.path.startswith("@*"):
                continue
            sub = path + c.path[1:]
            if c.size is not None:
                try:
                    n = len(dump.find(sub).elements)
                except KeyError:
                    n = None
                if n is not None and n != c.size:
                    out.append(f"line {c.line}: skeleton {c.type} {sub} = [{c.size}] but the value "
                               f"pass has {n} elements")
            walk(c, sub)
    walk(skel, "")
    return out


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


def write_atomic(path: str | os.PathLike, data: bytes, gz: bool = False) -> None:
    """Write ``data`` to a temporary name beside ``path`` and rename it when complete (the
    package's one atomic writer, :func:`emergent_py.emergent.dat.atomic_write`; it gzips
    ``.gz`` names)."""
    from .dat import atomic_write
    path = os.fspath(path)
    if gz and not path.endswith(".gz"):
        raise ValueError(f"{path}: gzip output needs a .gz name")
    atomic_write(path, data)
