"""Reading emergent programs in a project: finding a program and its variables, their saved
values (dynamic enums by item name), and following the assignments a program makes to one of its
object variables before it runs (``input_data = input_data_gp["ImpossibleEnv"]`` inside a
``switch(env_type)``), as far as the saved project says what they do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .dump import Block, Dump, parse_ref, unquote


def _programs(group: Block):
    yield from group.elements
    for g in group.subgroups:
        yield from _programs(g)


def find_program(dump: Dump, name: str) -> Block | None:
    progs = dump.try_find(".programs")
    if progs is None:
        return None
    return next((p for p in _programs(progs) if p.name == name), None)


#: ProgVar var_type -> the member holding its saved value
VALUE_MEMBER = {"T_Int": "int_val", "T_Real": "real_val", "T_Bool": "bool_val", "T_HardEnum": "int_val",
                "T_String": "string_val", "T_DynEnum": "dyn_enum_val.value"}


def find_program_var(prog: Block, name: str) -> Block | None:
    """The ProgVar ``name`` among a program's ``vars`` and ``args``, or None."""
    for group in ("vars", "args"):
        grp = prog.get(group)
        for var in (grp.elements if isinstance(grp, Block) else []):
            if var.name == name:
                return var
    return None


def program_var(prog: Block, name: str) -> str | None:
    """The saved value of a program variable (int_val, real_val, bool_val, dyn enum value)."""
    var = find_program_var(prog, name)
    member = VALUE_MEMBER.get(var.value("var_type", "")) if var is not None else None
    return None if member is None else var.value(member, "0")


def var_labels(dump: Dump, var: Block) -> set[str]:
    """What a case label may call the saved value of ``var``: the number, and for a dynamic
    enum the name of its item (``{"2", "IMPOSSIBLE"}``); an empty set for object variables."""
    member = VALUE_MEMBER.get(var.value("var_type", ""))
    if member is None:
        return set()
    raw = var.value(member, "0")
    labels = {unquote(raw).strip()}
    if var.value("var_type", "") == "T_DynEnum":
        ref = parse_ref(var.value("dyn_enum_val.enum_type", ""))
        enum = dump.try_find(ref.path) if ref else None
        items = enum.get("enums") if enum is not None else None
        for item in (items.elements if isinstance(items, Block) else []):
            if item.value("value", "") == raw and item.name:
                labels.add(item.name)
    return labels


def object_of(dump: Dump, var: Block | None) -> Block | None:
    """The object an object variable holds (its saved ``object_val``), or None."""
    ref = parse_ref(var.value("object_val", "")) if var is not None else None
    return dump.try_find(ref.path) if ref else None


@dataclass
class Assignment:
    """What a program does to one of its object variables before it uses it."""
    target: Block | None = None          # the object it assigns last (None: no assignment)
    steps: list[str] = field(default_factory=list)    # how, in the program's words
    unfollowed: list[str] = field(default_factory=list)   # assignments that cannot be read
    options: list[Block] = field(default_factory=list)    # objects the other branches assign


class Follower:
    """Follows a program's assignments to its variable ``var_name`` (see :meth:`follow`)."""

    def __init__(self, dump: Dump, prog: Block, var_name: str) -> None:
        self.dump, self.prog, self.var_name = dump, prog, var_name
        self.var = find_program_var(prog, var_name)

    def follow(self) -> Assignment:
        """Walk the program's init_code, then its prog_code, in order: an assignment to the
        variable (AssignExpr) sets it, a call that stores its result there cannot be read; a Switch on a variable with a saved value takes the case
        that value selects (the other cases' objects become ``options``); an assignment inside
        anything else (If, loops, ...) depends on run time and is listed in ``unfollowed``."""
        out = Assignment()
        for part in ("init_code", "prog_code"):
            code = self.prog.get(part)
            if isinstance(code, Block):
                self._walk(code.elements, out)
        return out

    def _assigns(self, node: Block) -> bool:
        """Whether a program element stores a result into the variable (an AssignExpr, or a
        MethodCall / function call with it as ``result_var``)."""
        return self._is_var(node.value("result_var", ""))

    def _is_var(self, raw: str) -> bool:
        ref = parse_ref(raw)
        return ref is not None and self.var is not None and self.dump.try_find(ref.path) is self.var

    def _walk(self, elements: list[Block], out: Assignment) -> None:
        for el in elements:
            if is_off(el):          # emergent generates no code for an element flagged OFF
                continue
            if self._assigns(el):
                obj = self._eval(el.value("expr.expr", "")) if el.type == "AssignExpr" else None
                code = el.value("code_string", "")
                if obj is None:
                    out.unfollowed.append(code)
                else:
                    out.target = obj
                    out.steps.append(code)
            elif el.type == "Switch" and self._deep_assigns(el):
                self._switch(el, out)
            elif self._deep_assigns(el):
                out.unfollowed.append(el.value("code_string", el.type))

    def _deep_assigns(self, el: Block) -> bool:
        return any(isinstance(n, Block) and n.kind == "object" and self._assigns(n) for n in el.walk())

    def _switch(self, sw: Block, out: Assignment) -> None:
        ref = parse_ref(sw.value("switch_var", ""))
        var = self.dump.try_find(ref.path) if ref else None
        labels = var_labels(self.dump, var) if var is not None else set()
        cases = sw.get("cases")
        cases = cases.elements if isinstance(cases, Block) else []
        label = lambda c: unquote(c.value("case_val.expr", "")).strip()
        chosen = next((c for c in cases if label(c) in labels), None)
        if chosen is None:
            chosen = next((c for c in cases if c.value("is_default", "0") == "1"), None)
        if chosen is None:
            out.unfollowed.append(f"{sw.value('code_string', 'switch')} (no case for its saved value)")
            return
        value = sorted(labels, key=lambda s: s.isdigit())[0] if labels else "?"
        out.steps.append(f"{sw.value('code_string', 'switch')}: {var.name} = {value} (saved) -> "
                         f"case {label(chosen) or 'default'}")
        for c in cases:
            if c is chosen:
                continue
            for n in c.walk():
                if isinstance(n, Block) and n.kind == "object" and n.type == "AssignExpr" and self._assigns(n):
                    obj = self._eval(n.value("expr.expr", ""))
                    if obj is not None:
                        out.options.append(obj)
        code = chosen.get("prog_code")
        if isinstance(code, Block):
            self._walk(code.elements, out)

    def _eval(self, expr: str) -> Block | None:
        """``group_var["Name"]`` (an element of the group a variable holds) or ``var`` (the
        object a variable holds); None for anything else."""
        expr = expr.strip()
        m = re.fullmatch(r'(\w+)\s*\[\s*"((?:[^"\\]|\\.)*)"\s*\]', expr)
        if m:
            group = object_of(self.dump, find_program_var(self.prog, m.group(1)))
            return _named(group, unquote(f'"{m.group(2)}"')) if group is not None else None
        if re.fullmatch(r"\w+", expr):
            return object_of(self.dump, find_program_var(self.prog, expr))
        return None


def is_off(el: Block) -> bool:
    """Whether a program element is switched off (``flags=OFF|...``): emergent skips it."""
    return "OFF" in el.value("flags", "").split("|")


def _named(group: Block, name: str) -> Block | None:
    """The element called ``name`` of a group or its subgroups (emergent's group["name"])."""
    for el in group.elements:
        if el.name == name:
            return el
    for g in group.subgroups:
        hit = _named(g, name)
        if hit is not None:
            return hit
    return None
