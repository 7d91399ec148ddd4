"""The parser of emergent's ``ta_Dump`` text format: text -> the lossless node tree of
:mod:`.dump_tree`.

It lives apart from the tree and from the document (:mod:`.dump`, which re-exports
:func:`parse_nodes` and :func:`parse_inline_fields`) so each module holds one idea. Bodies of
inline blocks (``lay_inhib {on=1: gi=1.8: };``) are kept as text and parsed on first access
(:func:`parse_inline_fields`, called by :attr:`~.dump_tree.Block.kids`). Every error is a
:class:`~emergent_py.errors.FormatError` naming the file and line, what was expected and what
was found.
"""
from __future__ import annotations

import re

from ..errors import FormatError
from .dump_tree import _STRING, Array, Block, Data, Link, Member, Node, Variant

_WS = re.compile(r"\s*")
_CLOSE = re.compile(r"\}[;:]")
_DATA = re.compile(r"\[(?P<dims>[\d ]*)\]")
_LINK = re.compile(r"(?P<type>[^\s{};=\"@]+) (?P<path>@[^\s{};=]*) = \[(?P<index>\d+)\] = "
                   r"(?P<eltype>[^\s;]+) (?P<target>[^;\n]*);")
_OBJECT = re.compile(r"(?P<type>[^\s{};=\"@]+) (?P<path>@[^\s{};=]*|\.[^\s{};=]*|NULL)"
                     r"(?: = \[(?P<size>\d+)\])? \{")
_MEMBER = re.compile(r"(?P<name>\w+)=(?P<raw>(?:" + _STRING + r'|[^;"\n])*);')
_STRUCT = re.compile(r"(?P<name>\w+) \{")
_ARRAY = re.compile(r"(?P<name>\w+)\{")
_VARIANT = re.compile(r"(?P<name>\w+) (?P<vtype>-?\d+) (?P<null>\d+)(?:=(?P<raw>" + _STRING
                      + r'|[^;"\n]*))?;')
_BLOCK_BODY = re.compile(r"[ \t]*(?:\r?\n|\}[;:])")     # after '{': a multi-line (or empty) body
_INLINE_FIELD = re.compile(r"(?P<pre>\s*)(?P<name>\w+)=")
_INLINE_VALUE = re.compile(r"(?:" + _STRING + r"|[^:\"{}]|:(?![\s}]))*")   # strings may sit inside
_BRACES = re.compile(_STRING + r"|[{}]")
_GLUED_FIELD = re.compile(r"\s+\w+=")     # inside an unquoted inline value: a missing ':' before it


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
        blk._where = self.where
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


def parse_inline_fields(body: str, line: int = 0, where: str = "") -> tuple[list[Node], str]:
    """Parse an inline body ``k=v: k={...}: }`` into members/blocks; return (children, close_pre).
    Errors name ``where`` (the file) and ``line`` (the block's)."""
    at = f"{where}:{line}" if where else f"line {line}"
    children: list[Node] = []
    pos = 0
    while True:
        m = _INLINE_FIELD.match(body, pos)
        if not m:
            rest = body[pos:]
            if rest.strip():
                raise FormatError(f"{at}: expected 'name=value:' in inline block, found {rest[:40]!r}")
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
                raise FormatError(f"{at}: unclosed inline block '{name}={{'")
            sub, close_pre = parse_inline_fields(body[pos + 1:end], line, where)
            blk = Block("struct", f"{name}={{", name=name, children=sub, close_pre=close_pre,
                        tail=body[end:end + 2], inline=True, pre=pre, line=line)
            children.append(blk)
            pos = end + 2
            continue
        v = _INLINE_VALUE.match(body, pos)
        end = v.end()
        if body[end:end + 1] not in (":", ";"):
            raise FormatError(f"{at}: expected ':' after inline value '{name}={v.group()[:30]}'")
        flat = re.sub(_STRING, '""', v.group()) if '"' in v.group() else v.group()
        glued = _GLUED_FIELD.search(flat)
        if glued:           # 'gi=1.8 ff=1:' would read gi as '1.8 ff=1' and lose ff
            raise FormatError(f"{at}: expected ':' after inline value '{name}={flat[:glued.start()]}', "
                              f"found '{glued.group().strip()}' (a ':' is missing)")
        children.append(Member(name, v.group(), body[end], pre, line))
        pos = end + 1

