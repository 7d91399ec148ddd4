"""The :class:`RunSplice` part of the :class:`~.generate.Splicer`: input table and run plan.

It writes the input table ``.data.gp[0][0]`` (a ``Name`` column and one float column per input
layer; rows saved in the project or auto-loaded from a ``.dat``, cells exact via
:func:`cell_text`) and the run plan's settings in the programs: LeabraTrain
``max_epoch``/``err_stopcrit``/``n_under_thr``, LeabraBatch ``n_batches``, the LeabraEpoch
trial order (``ORDER_NAMES``), and optionally the LeabraStartup trial log.
"""
from __future__ import annotations

import re

import numpy as np

from ..errors import FormatError, SpecError
from ..spec.model import Model
from .dump import Block, Data, Member, format_float, indent, parse_nodes, quote
from .programs import find_program, find_program_var
from .splice_specs import SpecSplice

ORDER_NAMES = {"sequential": ("SEQUENTIAL", 0), "permuted": ("PERMUTED", 1), "random": ("RANDOM", 2)}


def cell_text(v: np.float32) -> str:
    """A float32 table cell: emergent's %.7g when exact, else 9 digits (float32-exact)."""
    short = format_float(float(v))
    return short if np.float32(float(short)) == v else "%.9g" % float(v)


class RunSplice(SpecSplice):
    """The input table and the programs' run plan (see the module docstring)."""

    # -- input table
    def _input_table(self, model: Model, auto_load: str | None) -> None:
        tv = self._find(self.t, ".data.gp[0][0]", "the input table .data.gp[0][0]")
        ts = self.t.skeleton_find(".data.gp[0][0]")
        cols_v = tv.get("data")
        cols_s = self._skel_child(ts, "@.data")
        str_proto = next((c for c in cols_v.elements if c.type == "String_Data"), None)
        flt_proto = next((c for c in cols_v.elements if c.type == "float_Data"), None)
        if str_proto is None or flt_proto is None:
            raise FormatError(f"{self.t.where}: the template's input table has no String_Data and "
                              "float_Data columns to copy")
        pats = model.patterns
        layers = [l for l in model.network.layers.values() if l.name in pats]
        if "Name" in model.network.layers:
            raise SpecError("layer 'Name' collides with the input table's trial-name column 'Name' "
                            "(emergent matches columns to layers by name); rename the layer")
        n = pats.n
        cols: list[Block] = []
        c = str_proto.clone()
        c.set_path("@[0]")
        c.set("name", quote("Name"))
        self._column_rows(c, (n,), [quote(s) if s else '""' for s in pats.names], auto_load is None)
        cols.append(c)
        for k, lay in enumerate(layers, start=1):
            c = flt_proto.clone()
            c.set_path(f"@[{k}]")
            c.set("name", quote(lay.name))
            geom = tuple(reversed(lay.shape))          # emergent: x first
            c["cell_geom"].items = [str(g) for g in geom]
            dn = c.get("dim_names")
            if isinstance(dn, Block):
                for d in [x for x in dn.kids if isinstance(x, Data)]:
                    d.dims, d.body = (len(geom),), " " + ";" * len(geom) + "      "
                    d._items = None
            flat = pats[lay.name].reshape(n, -1)
            self._column_rows(c, (*geom, n), [cell_text(v) for v in flat.ravel()], auto_load is None)
            cols.append(c)
        cols_v.clear_elements()
        cols_s.clear_elements()
        for i, c in enumerate(cols):
            c.pre = "\n"
            c.set_depth(5)
            cols_v.append(c)
            cols_s.append(parse_nodes(f"\n{indent(5)}{c.type} @[{i}] {{ }};")[0])
        cols_s.set_size(len(cols))
        flags = [f for f in tv.value("data_flags", "").split("|") if f and f != "SAVE_ROWS"]
        if auto_load is None:
            flags.insert(0, "SAVE_ROWS")
            tv.set("auto_load", "NO_AUTO_LOAD")
            tv.set("auto_load_file", "")
        else:
            tv.set("auto_load", "AUTO_LOAD")
            tv.set("auto_load_file", quote(auto_load))
        tv.set("data_flags", "|".join(flags) or "0")
        ri = tv.get("row_indexes")
        if isinstance(ri, Block):
            _drop_data(ri)
            if auto_load is None:
                _put_data(ri, (n,), [str(i) for i in range(n)], one_line=True)

    def _column_rows(self, col: Block, dims: tuple[int, ...], items: list[str], save: bool) -> None:
        ar = col.get("ar")
        if not isinstance(ar, Block):
            raise FormatError(f"{self.t.where}: template column '{col.name}' has no ar block")
        _drop_data(ar)
        if save:
            _put_data(ar, dims, items, one_line=len(dims) == 1)

    # -- run plan
    def _run_plan(self, model: Model, trial_log: bool) -> None:
        plan = model.plan
        self._set_var("LeabraTrain", "max_epoch", "int_val", str(plan.epochs))
        crit = -1 if plan.stop_cnt_err is None else plan.stop_cnt_err
        self._set_var("LeabraTrain", "err_stopcrit", "real_val", str(crit))
        self._set_var("LeabraTrain", "n_under_thr", "int_val", str(plan.stop_n_under))
        self._set_var("LeabraBatch", "n_batches", "int_val", "1")
        order_name, order_val = ORDER_NAMES[plan.order]
        self._set_var("LeabraEpoch", "data_loop_order", "int_val", str(order_val))
        epoch = self._program("LeabraEpoch")
        loops = [b for b in epoch.walk() if isinstance(b, Block) and b.type == "NetDataLoop"]
        if not loops:
            raise SpecError(f"{self.t.where}: the template's LeabraEpoch has no NetDataLoop; "
                            f"cannot set trial order {plan.order}")
        for loop in loops:
            loop.set("order", order_name)
            code = loop.get("code_string")
            if isinstance(code, Member):
                code.raw = re.sub(r"\((SEQUENTIAL|PERMUTED|RANDOM)\)", f"({order_name})", code.raw)
        if trial_log:
            start = self._program("LeabraStartup")
            hits = 0
            for b in start.walk():
                if not (isinstance(b, Block) and b.kind == "object"):
                    continue
                code = b.value("code_string", "")
                if "trl.dat" in code or "Saving trial log" in code:
                    flags = [f for f in b.value("flags", "").split("|") if f != "OFF"]
                    b.set("flags", "|".join(flags) or "0")
                    hits += 1
            if not hits:
                raise SpecError(f"{self.t.where}: the template's LeabraStartup has no trial-log step "
                                "(SaveDataLogNameFmProject \".trl.dat\") to switch on")

    def _program(self, name: str) -> Block:
        prog = find_program(self.t, name)
        if prog is None:
            raise SpecError(f"{self.t.where}: the template has no program {name} (a LeabraStd-style "
                            "template is needed)")
        return prog

    def _set_var(self, prog_name: str, var: str, member: str, raw: str) -> None:
        found = find_program_var(self._program(prog_name), var)
        if found is None:
            raise SpecError(f"{self.t.where}: program {prog_name} has no variable {var}")
        found.set(member, raw)


def _drop_data(blk: Block) -> None:
    """Remove the ``[dims] v;v;`` rows of a block, keeping its closing line's indentation."""
    for d in [x for x in blk.kids if isinstance(x, Data)]:
        tail = d.body[len(d.body.rstrip()):]
        blk.remove(d)
        blk.close_pre = tail if "\n" in tail else d.pre


def _put_data(blk: Block, dims: tuple[int, ...], items: list[str], one_line: bool) -> None:
    """Append ``[dims] v;v;...`` rows the way emergent lays them out (10 numbers a line)."""
    close = blk.close_pre if "\n" in blk.close_pre else "\n"
    if one_line:
        body = " " + "".join(f"{i};" for i in items) + "      "
    else:
        lines = ["".join(f"{i};" for i in items[k:k + 10]) for k in range(0, len(items), 10)]
        body = " " + "\n".join(lines) + close
    blk.children.append(Data(tuple(dims), body, pre=close))
    blk.close_pre = ""
