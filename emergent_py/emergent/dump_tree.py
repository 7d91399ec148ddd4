"""The node tree of emergent's ``ta_Dump`` text format, and the value codecs it is written with.

The tree is lossless: every node keeps the exact text it was read from (including the
whitespace in front of it), so an unchanged file is written back byte for byte, and an edited
one differs only where it was edited. It lives apart from the parser (:mod:`.dump_parse`) and
the document (:mod:`.dump`, which re-exports every name here) so each module holds one idea.

Node kinds (all subclasses of :class:`Node`):

* :class:`Block` -- an object ``Type @path [= [N]] {...};`` (``kind="object"``) or a struct
  member ``name {...};`` (``kind="struct"``); ``inline`` blocks are written on one line
  (``lay_inhib {on=1: gi=1.8: };``) and their fields end with ``:``.
* :class:`Member` -- ``name=value;`` (or ``name=value:`` inside an inline block).
* :class:`Array` -- ``name{ a;b; };`` (``cell_geom{ 5;5; };``, ``unique{ wt_scale; };``).
* :class:`Data` -- ``[d0 d1 ... n] v;v;...`` inside a block (matrix and string column rows).
* :class:`Variant` -- ``name <type> <null>[=value];`` (``keygen 4 0=0;``).
* :class:`Link` -- ``Projection_List @. = [i] = Type .path;`` (a non-owning list entry).

Object references in values are ``.path$$`` (first use), ``$.path$`` (later uses),
``.path$$<Type,name>`` (outside the root) or ``NULL`` (:func:`parse_ref`).

Values stay text (``member.raw``) until asked for: :meth:`Member.value` decodes strings,
:func:`format_float` / :func:`quote` encode the way emergent writes them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Union

_STRING = r'"(?:[^"\\]|\\[\s\S])*"'
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
    items, start, depth = [], 0, 0
    for m in re.finditer(_STRING + r"|[{};]", body):
        tok = m.group()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif tok == ";" and depth == 0:
            items.append(body[start:m.start()].strip())
            start = m.end()
    return items


class Block(Node):
    """An object (``Type @path [= [N]] {``) or a struct member (``name {``) with its children.

    ``head`` is the exact opening text, ``close_pre`` the whitespace before the closing
    ``tail`` (``};``, or ``}:`` for an inline block nested in another inline block)."""
    __slots__ = ("kind", "type", "path", "size", "name_", "head", "children", "close_pre",
                 "tail", "inline", "_body", "_where")

    def __init__(self, kind: str, head: str, *, type: str = "", path: str = "", size: int | None = None,
                 name: str = "", children: list[Node] | None = None, close_pre: str = "",
                 tail: str = "};", inline: bool = False, pre: str = "", line: int = 0) -> None:
        super().__init__(pre, line)
        self.kind, self.type, self.path, self.size, self.name_ = kind, type, path, size, name
        self.head, self.close_pre, self.tail, self.inline = head, close_pre, tail, inline
        self.children: list[Node] = children if children is not None else []
        self._body: str | None = None      # unparsed body of an inline block
        self._where = ""                   # the file it was read from (names its parse errors)

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
        from .dump_parse import parse_nodes    # late: the parser builds these nodes (an import cycle)
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
            from .dump_parse import parse_inline_fields    # late, as in clone()
            body, self._body = self._body, None
            self.children, self.close_pre = parse_inline_fields(body, self.line, self._where)

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
    def location(self) -> str:
        """``file:line`` of the block (``line N`` for a block not read from a file)."""
        return f"{self._where}:{self.line}" if self._where else f"line {self.line}"

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
    def key(self) -> str | None:
        """The name of a list element written by name, ``@["Name"]`` (8.0.x files), else None."""
        m = _KEYED.fullmatch(self.path) if self.kind == "object" else None
        return unquote('"' + m.group(1) + '"') if m else None

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
        """List elements ``@[i]`` (or ``@["Name"]``) in order."""
        return [c for c in self.kids if isinstance(c, Block) and (c.index is not None or c.key is not None)]

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


#: an element path written by name: ``@["Network_0"]``
_KEYED = re.compile(r'@\["((?:[^"\\]|\\.)*)"\]')

NodeT = Union[Block, Member, Variant, Link, Array, Data]


def indent(depth: int) -> str:
    """emergent's indentation at a nesting depth: a tab per 8 levels, then spaces."""
    return "\t" * (depth // 8) + " " * (depth % 8)

