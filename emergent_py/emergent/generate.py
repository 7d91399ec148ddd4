"""Generation: a :class:`~emergent_py.spec.Model` -> an emergent 8.x project, by template splice.

The user's emergent installation provides the template (``proj_templates/LeabraStd.proj``);
this package never ships emergent's files. From the model we generate only:

* the network ``.networks[0]`` in both passes: flat specs (no spec children, so no inheritance
  applies; every parameter written explicitly, derived members recomputed), layers,
  projections, ``send_prjns`` links, and optionally a ``Weights`` object that loads initial
  weights at the end of every weight initialisation (emergent-formats.md 3.4, option 1);
* the input table ``.data.gp[0][0]``: rows saved in the project (``SAVE_ROWS``) or an
  auto-loaded ``.dat`` written next to it;
* the project ``name`` (it names every output file emergent writes);
* the run plan's numbers: LeabraTrain ``max_epoch``/``err_stopcrit``/``n_under_thr``,
  LeabraBatch ``n_batches=1``, LeabraEpoch ``data_loop_order`` and its NetDataLoop ``order``,
  the network's ``wt_update``/``small_batch_n``/``wt_save_fmt``; optionally the trial log on.

Everything else in the template stays byte-identical. Spec members are written into copies of
the template's own spec objects, so every parameter name is checked against the members the
template's types actually have; a parameter the template's emergent version lacks is an error
unless the model leaves it at its default. Types the template lacks (e.g. OneToOnePrjnSpec in
LeabraStd) are taken from ``prototypes`` projects, or are an error naming the type.

After splicing, the result is checked: every pointer resolves to an object of the right type,
and every skeleton list size matches the value pass.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import FormatError, SpecError, did_you_mean
from ..spec.fields import derived_fields, emergent_name, get_path, leaf_fields, to_dict
from ..spec.model import Model
from ..spec.network import OneToOne, UniformRandom
from ..spec.params import BiasSpec, ConSpec, LayerSpec, NetworkSpec, UnitSpec
from .dump import (Array, Block, Data, Dump, Link, Member, format_float, format_ref, indent,
                   parse_nodes, quote, ref_problems, size_mismatches, write_atomic)
from .project import find_program, find_program_var, identifier

TEMPLATE_NAME = "LeabraStd.proj"
TEMPLATE_ENV = "EMERGENT_TEMPLATES"
ORDER_NAMES = {"sequential": ("SEQUENTIAL", 0), "permuted": ("PERMUTED", 1), "random": ("RANDOM", 2)}
WT_FORMATS = ("TEXT", "BINARY")
NET = ".networks[0]"


# ----------------------------------------------------------------------------------- template

def find_template(explicit: str | os.PathLike | None = None, name: str = TEMPLATE_NAME) -> Path:
    """Locate the template: ``explicit``, then ``$EMERGENT_TEMPLATES`` (a folder or the file),
    then the share folder of an ``emergent`` on PATH. SpecError says where it looked."""
    looked: list[str] = []
    if explicit is not None:
        p = Path(explicit)
        if p.is_file():
            return p
        raise SpecError(f"--template {p}: no such file")
    env = os.environ.get(TEMPLATE_ENV)
    if env:
        for cand in (Path(env), Path(env) / name, Path(env) / "proj_templates" / name):
            if cand.is_file():
                return cand
            looked.append(str(cand))
    else:
        looked.append(f"${TEMPLATE_ENV} (not set)")
    exe = shutil.which("emergent")
    if exe:
        prefix = Path(os.path.realpath(exe)).parent.parent
        for cand in (prefix / "share" / "Emergent" / "proj_templates" / name,
                     prefix / "share" / "emergent" / "proj_templates" / name):
            if cand.is_file():
                return cand
            looked.append(str(cand))
    else:
        looked.append("emergent on PATH (not found)")
    raise SpecError(f"no emergent project template {name} found; looked in: {'; '.join(looked)}. "
                    f"Pass --template PATH/{name} (from your emergent installation's "
                    f"proj_templates folder) or set {TEMPLATE_ENV}")


# ----------------------------------------------------------------------------------- values

def param_text(value: Any) -> str:
    """A parameter value as written into the project: exact (reads back as the same value)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        short = format_float(value)
        return short if float(short) == value else repr(value)
    return str(value)


def cell_text(v: np.float32) -> str:
    """A float32 table cell: emergent's %.7g when exact, else 9 digits (float32-exact)."""
    short = format_float(float(v))
    return short if np.float32(float(short)) == v else "%.9g" % float(v)


# ----------------------------------------------------------------------------------- generation

@dataclass
class GeneratedProject:
    """The spliced project plus the side files it refers to (written by :func:`write_project`)."""
    dump: Dump
    name: str
    dat: tuple[str, Any] | None = None        # (file name, DatTable columns) when auto-loading
    wts: tuple[str, Any] | None = None        # (file name, WtsFile) for initial weights


class Splicer:
    """Splices one model into a parsed template (see the module docstring)."""

    def __init__(self, template: Dump, prototypes: Iterable[Dump] = ()) -> None:
        self.t = template
        self.sources = [template, *prototypes]
        self.net_v = self._find(template, NET, "the network .networks[0]")
        skel = template.skeleton_find(NET)
        if skel is None:
            raise FormatError(f"{template.where}: the template has no skeleton pass for {NET}")
        self.net_s = skel
        self.depth = 4                   # specs and layers sit at depth 4 in both passes
        self.unresolved = {r.path for _, _, r in template.refs() if template.try_find(r.path) is None}
        # old path under .networks[0] -> type, for repointing references from outside
        self.old_types = {p: b.type for p, b in template.paths(NET) if b.kind == "object"}

    @staticmethod
    def _find(d: Dump, path: str, what: str) -> Block:
        try:
            return d.find(path)
        except KeyError:
            raise FormatError(f"{d.where}: the template lacks {what} ({path})") from None

    # -- prototypes
    def prototype(self, type_name: str, need: str) -> tuple[Block, Block, Dump]:
        """(value block, skeleton block, its file) of the first object of ``type_name`` in the
        networks of the template, then of the prototype projects."""
        for d in self.sources:
            if d.try_find(".networks") is None:
                continue
            for path, blk in d.paths(".networks"):
                if blk.kind == "object" and blk.type == type_name:
                    skel = d.skeleton_find(path)
                    if skel is None:
                        raise FormatError(f"{d.where}:{blk.line}: {type_name} has no skeleton-pass entry")
                    return blk, skel, d
        raise SpecError(f"the template {self.t.where} has no {type_name} (needed for {need}); "
                        "pass a project that has one as a prototype (--prototype PROJ, e.g. emergent's "
                        "demo/network_misc/projection_sampler.proj, which has UniformRndPrjnSpec and "
                        "more, or basic_leabra_test.proj, which has OneToOnePrjnSpec)")

    def new_spec(self, type_name: str, index: int, name: str, need: str) -> tuple[Block, Block]:
        """A flat copy of a prototype spec at ``specs[index]``: no children, no unique members."""
        proto, proto_s, _ = self.prototype(type_name, need)
        v, s = proto.clone(), proto_s.clone()
        for blk in (v, s):
            blk.set_path(f"@[{index}]")
        v.set("name", quote(name))
        if isinstance(v.get("desc"), Member):
            v.set("desc", "")
        for arr in ("unique", "saved"):
            node = v.get(arr)
            if isinstance(node, Array):
                node.body = "      "
                node._items = []
        kids = v.get("children")
        if isinstance(kids, Block):
            kids.clear_elements()
        for c in s.kids:
            if isinstance(c, Block) and c.path == "@.children":
                c.clear_elements()
                c.set_size(0)
        return v, s

    # -- writing parameter records into spec blocks
    def write_record(self, spec: Block, record, cls: type, where: str) -> None:
        """Write every leaf (and derived value) of ``record`` into ``spec``; a leaf the template's
        type lacks is an error unless it is at its default."""
        for path, f in leaf_fields(cls):
            value = get_path(record, path)
            if not self._set_path(spec, path, param_text(value)):
                if value != _default_at(cls, path):
                    raise SpecError(f"{where}: parameter '{path}' = {value!r} cannot be written: the "
                                    f"template's {spec.type} has no member '{path}' (emergent "
                                    f"{self.t.version or '?'} lacks it); leave it at its default "
                                    f"{_default_at(cls, path)!r} or use a template that has it."
                                    + did_you_mean(path.split('.')[-1], _members(spec, path)))
        for path, _ in derived_fields(cls):
            value = _derived_value(record, path)
            if isinstance(value, float):      # recomputed by emergent on load: its own precision
                self._set_path(spec, path, format_float(value))

    @staticmethod
    def _set_path(spec: Block, path: str, raw: str) -> bool:
        parts = path.split(".")
        node: Any = spec
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, Block) else None
        if not isinstance(node, Block):
            return False
        leaf = node.get(parts[-1])
        if not isinstance(leaf, Member):
            return False
        leaf.raw = raw
        return True

    # -- the splice
    def splice(self, model: Model, name: str, *, auto_load: str | None = None, wts_file: str | None = None,
               wt_format: str = "BINARY", trial_log: bool = False) -> Dump:
        if wt_format.upper() not in WT_FORMATS:
            raise SpecError(f"wt_format {wt_format!r} is not one of {', '.join(WT_FORMATS)}")
        net = model.network
        specs_v: list[Block] = []
        specs_s: list[Block] = []

        made: dict[str, str] = {}

        def add_spec(type_name: str, label: str, need: str, content: Any, fill) -> str:
            """Path of the spec of ``type_name`` with this ``content``; made once (``fill``s a
            fresh copy of the prototype), shared by every object that wants the same content."""
            key = json.dumps([type_name, content], sort_keys=True)
            if key not in made:
                idx = len(specs_v)
                v, s = self.new_spec(type_name, idx, label, f"{need}")
                fill(v)
                specs_v.append(v)
                specs_s.append(s)
                made[key] = f"{NET}.specs[{idx}]"
            return made[key]

        def fill_unit(unit, bias: str, where: str):
            def fill(v: Block) -> None:
                self.write_record(v, unit, UnitSpec, where)
                if not self._set_path(v, "bias_spec.spec", format_ref(bias)):
                    raise SpecError(f"{self.t.where}: the template's LeabraUnitSpec has no bias_spec pointer")
            return fill

        lay_specs: dict[str, tuple[str, str]] = {}
        for lay in net.layers.values():
            res = model.layer_params[lay.name]
            need = f"layer '{lay.name}'"
            bias = add_spec(BiasSpec.EMERGENT_TYPE, f"{lay.name}Bias", need, to_dict(res.bias),
                            lambda v: self.write_record(v, res.bias, BiasSpec, f"{need}: bias spec"))
            # a unit spec points to its bias spec, so both make its identity
            unit = add_spec(UnitSpec.EMERGENT_TYPE, f"{lay.name}Units", need, [to_dict(res.unit), bias],
                            fill_unit(res.unit, bias, f"{need}: unit spec"))
            lspec = add_spec(LayerSpec.EMERGENT_TYPE, f"{lay.name}Layer", need, to_dict(res.layer),
                             lambda v: self.write_record(v, res.layer, LayerSpec, f"{need}: layer spec"))
            lay_specs[lay.name] = (unit, lspec)
        prj_specs: dict[str, tuple[str, str, str]] = {}
        for k, prj in enumerate(net.projections.values()):
            need = f"projection '{prj.name}'"
            con_rec = model.prjn_params[prj.name].con
            con = add_spec(ConSpec.EMERGENT_TYPE, f"{prj.send}To{prj.recv}Cons", need, to_dict(con_rec),
                           lambda v: self.write_record(v, con_rec, ConSpec, f"{need}: con spec"))
            ptype = type(prj.pattern).EMERGENT_TYPE
            pspec = add_spec(ptype, f"{type(prj.pattern).__name__}Prjn_{k}", need, repr(prj.pattern),
                             lambda v: self._pattern_members(v, prj.pattern, need))
            prj_specs[prj.name] = (con, pspec, ptype)

        # ---- value pass: specs
        sv = self.net_v.get("specs")
        if not isinstance(sv, Block):
            raise FormatError(f"{self.t.where}: the template's network has no specs list")
        sv.clear_elements()
        for v in specs_v:
            v.pre = "\n"
            v.set_depth(self.depth)
            sv.append(v)
        ss = self._skel_child(self.net_s, "@.specs")
        ss.clear_elements()
        ss.set_size(len(specs_s))
        for s in specs_s:
            s.pre = "\n"
            s.set_depth(self.depth)
            ss.append(s)

        # ---- layers and projections
        self._layers(model, lay_specs, prj_specs)
        # ---- network members
        nv = self.net_v
        nv.set("name", quote(net.name))
        nv.set("wt_update", model.plan.wt_update.upper())
        nv.set("small_batch_n", str(model.plan.small_batch_n))
        nv.set("wt_save_fmt", wt_format.upper())
        self.write_record(nv, model.network_params.network, NetworkSpec, f"network '{net.name}'")
        n_cons = sum(_n_cons(model, p) for p in net.projections.values())
        # emergent's n_units counts one extra (its unit 0 placeholder): 75 units -> n_units=76
        for member, value in (("n_units", sum(l.n_units for l in net.layers.values()) + 1), ("n_cons", n_cons),
                              ("max_prjns", max([len(net.receiving(l)) for l in net.layers] + [0]))):
            if isinstance(nv.get(member), Member):
                nv.set(member, str(value))
        self._weights(wts_file)
        # ---- references elsewhere in the template that pointed into the old network
        self._repoint()
        # ---- input data, project name, run plan
        self._input_table(model, auto_load)
        self.t.value_root.set("name", quote(name))
        self._run_plan(model, trial_log)
        return self.t

    def _skel_child(self, blk: Block, path: str) -> Block:
        for c in blk.kids:
            if isinstance(c, Block) and c.path == path:
                return c
        raise FormatError(f"{self.t.where}: the template's skeleton {blk.label} has no {path}")

    def _pattern_members(self, v: Block, pattern, need: str) -> None:
        def put(member: str, raw: str) -> None:
            if not self._set_path(v, member, raw):
                raise SpecError(f"{need}: the prototype {v.type} has no member '{member}'")
        put("self_con", "1")          # our Full/UniformRandom include self connections
        put("init_wts", "0")
        if isinstance(pattern, OneToOne):
            for m, raw in (("n_conns", "-1"), ("recv_start", "0"), ("send_start", "0")):
                put(m, raw)
        if isinstance(pattern, UniformRandom):
            put("p_con", param_text(pattern.p))
            put("same_seed", "1")
            put("rndm_seed.rnd_seed", str(pattern.seed))

    def _layers(self, model: Model, lay_specs: dict, prj_specs: dict) -> None:
        net = model.network
        names = list(net.layers)
        lay_proto, lay_proto_s, _ = self.prototype("LeabraLayer", "the layers")
        prj_proto, _, _ = self.prototype("LeabraPrjn", "the projections")
        lv = self.net_v.get("layers")
        ls = self._skel_child(self.net_s, "@.layers")
        lv.clear_elements()
        ls.clear_elements()
        ls.set_size(len(names))
        y2d = 0
        for i, lay in enumerate(net.layers.values()):
            v = lay_proto.clone()
            v.set_path(f"@[{i}]")
            v.set("name", quote(lay.name))
            shape = lay.shape
            uy, ux = shape[-2], shape[-1]
            gy, gx = (shape[0], shape[1]) if len(shape) == 4 else (1, 1)
            fx, fy = ux * gx, uy * gy
            recv = net.receiving(lay.name)
            send = net.sending(lay.name)
            scalars = {"n_recv_prjns": len(recv), "n_send_prjns": len(send),
                       "un_geom_x": ux, "un_geom_y": uy, "un_geom_n": ux * uy,
                       "gp_geom_x": gx, "gp_geom_y": gy, "gp_geom_n": gx * gy,
                       "flat_geom_x": fx, "flat_geom_y": fy, "flat_geom_n": fx * fy,
                       "unit_groups": int(len(shape) == 4)}
            for k, val in scalars.items():
                if isinstance(v.get(k), Member):
                    v.set(k, str(val))
            v.set("layer_type", lay.kind.value)
            for geom, (x, y) in (("un_geom", (ux, uy)), ("gp_geom", (gx, gy)), ("flat_geom", (fx, fy)),
                                 ("disp_geom", (fx, fy)), ("scaled_disp_geom", (fx, fy))):
                g = v.get(geom)
                if isinstance(g, Block):
                    g.set("x", str(x)), g.set("y", str(y)), g.set("n", str(x * y))
            pos_rel = v.get("pos_rel")
            if isinstance(pos_rel, Block):
                pos_rel.set("rel", "ABS_POS"), pos_rel.set("other", "NULL")
            for pos in ("pos", "pos_abs"):        # stacked in 3-D, one above the other
                p = v.get(pos)
                if isinstance(p, Block):
                    p.set("x", "0"), p.set("y", "0"), p.set("z", str(i))
            for pos in ("pos2d", "pos2d_abs"):    # and in 2-D, with a row between layers
                p = v.get(pos)
                if isinstance(p, Block):
                    p.set("x", "0"), p.set("y", str(y2d))
            y2d += fy + 1
            unit, lspec = lay_specs[lay.name]
            if not (self._set_path(v, "unit_spec.spec", format_ref(unit)) and self._set_path(v, "spec.spec", format_ref(lspec))):
                raise FormatError(f"{self.t.where}: the template's LeabraLayer lacks unit_spec/spec pointers")
            # receiving projections
            pv = v.get("projections")
            pv.clear_elements()
            for j, prj in enumerate(recv):
                p = prj_proto.clone()
                p.set_path(f"@[{j}]")
                p.set("name", quote(_emergent_prjn_name(prj, recv)))
                p.set("from", format_ref(f"{NET}.layers[{names.index(prj.send)}]"))
                con, pspec, ptype = prj_specs[prj.name]
                self._set_path(p, "spec.type", ptype)
                self._set_path(p, "spec.spec", format_ref(pspec))
                self._set_path(p, "con_spec.spec", format_ref(con))
                if isinstance(p.get("direction"), Member):
                    p.set("direction", "FM_INPUT" if names.index(prj.send) < i else "FM_OUTPUT")
                p.pre = "\n"
                p.set_depth(self.depth + 2)
                pv.append(p)
            # links to the projections this layer sends
            sp = v.get("send_prjns")
            sp.clear_elements()
            for k, prj in enumerate(send):
                r = names.index(prj.recv)
                j = net.receiving(prj.recv).index(prj)
                sp.append(Link("Projection_List", "@.", k, "LeabraPrjn", f"{NET}.layers[{r}].projections[{j}]"))
            v.pre = "\n"
            v.set_depth(self.depth)
            lv.append(v)
            # skeleton
            s = lay_proto_s.clone()
            s.set_path(f"@[{i}]")
            plist = self._skel_child(s, "@.projections")
            plist.clear_elements()
            plist.set_size(len(recv))
            for j in range(len(recv)):
                plist.append(parse_nodes(f"LeabraPrjn @[{j}] {{ }};")[0])
            s.pre = "\n"
            s.set_depth(self.depth)
            ls.append(s)

    def _weights(self, wts_file: str | None) -> None:
        wv = self.net_v.get("weights")
        ws = self._skel_child(self.net_s, "@.weights")
        if not isinstance(wv, Block):
            raise FormatError(f"{self.t.where}: the template's network has no weights list")
        wv.clear_elements()
        ws.clear_elements()
        ws.set_size(0)
        if wts_file is None:
            return
        # emergent-formats.md 3.4 option 1: a Weights object loaded at project load and applied
        # at the end of every weight initialisation
        wv.append(parse_nodes(
            f'Weights @[0] {{\n name="InitialWeights";\n auto_load=1;\n load_file={quote(wts_file)};\n'
            f' auto_init=1;\n}};')[0])
        ws.set_size(1)
        ws.append(parse_nodes("Weights @[0] { };")[0])
        wv.set_depth(self.depth - 1)
        ws.set_depth(self.depth - 1)

    def _repoint(self) -> None:
        """Pointers outside the network (control panels) that named an old spec or layer now
        name the first new object of the same type; none of that type is an error."""
        net_block = self.net_v
        inside = {id(b) for b in net_block.walk() if isinstance(b, Block)}
        new_by_type: dict[str, str] = {}
        for path, blk in self.t.paths(NET):
            if blk.kind == "object":
                new_by_type.setdefault(blk.type, path)
        for owner, member, ref in self.t.refs():
            if id(owner) in inside or not ref.path.startswith(NET + "."):
                continue
            old = self.old_types.get(ref.path)
            if old is None:
                continue
            target = self.t.try_find(ref.path)
            if target is not None and target.type == old:
                continue
            if old not in new_by_type:
                raise SpecError(f"{self.t.where}:{owner.line}: {owner.label}.{member.name} points to a "
                                f"{old} ({ref.path}) and the generated network has none")
            member.raw = (format_ref(new_by_type[old]) if ref.first else f"${new_by_type[old]}$")

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


def _derived_value(record: Any, path: str) -> Any:
    """Value at a dotted path that may end in a derived field (``dt.vm_dt``)."""
    obj = record
    for part in path.split("."):
        f = next(f for f in dataclasses.fields(obj) if emergent_name(f) == part)
        obj = getattr(obj, f.name)
    return obj


def _default_at(cls: type, path: str) -> Any:
    return get_path(cls(), path)


def _members(spec: Block, path: str) -> list[str]:
    parts = path.split(".")
    node: Any = spec
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, Block) else None
    if not isinstance(node, Block):
        return []
    return [getattr(m, "name", "") or getattr(m, "name_", "") for m in node.members()]


def _emergent_prjn_name(prj, recv: list) -> str:
    """emergent's ``Fm_<Sender>`` for default-named projections; a custom name (an identifier)
    is kept, so that it survives the round trip."""
    if prj.name != f"{prj.send}->{prj.recv}" and re.fullmatch(r"[A-Za-z_]\w*", prj.name):
        return prj.name
    same = [p for p in recv if p.send == prj.send]
    return f"Fm_{prj.send}" if len(same) == 1 else f"Fm_{prj.send}_{same.index(prj)}"


def _n_cons(model: Model, prj) -> int:
    send, recv = model.network.layers[prj.send], model.network.layers[prj.recv]
    if isinstance(prj.pattern, OneToOne):
        return recv.n_units
    if isinstance(prj.pattern, UniformRandom):
        return int(round(prj.pattern.p * send.n_units)) * recv.n_units
    return send.n_units * recv.n_units


# ----------------------------------------------------------------------------------- entry points

def check_generated(dump: Dump, known: Iterable[str] = ()) -> None:
    """Raise FormatError if a pointer is dangling or of the wrong type, or a skeleton list size
    differs from the value pass. ``known``: paths already unresolved in the template (members
    emergent never saves, such as ``.networks[0].train_time``)."""
    problems = ref_problems(dump, known) + size_mismatches(dump)
    if problems:
        raise FormatError(f"generated project is inconsistent ({len(problems)} problems): "
                          + "; ".join(problems[:8]))


def generate(model: Model, template: str | os.PathLike | None = None, *, name: str | None = None,
             prototypes: Iterable[str | os.PathLike] = (), auto_load: str | None = None,
             init_weights: Any = None, wts_name: str | None = None, wt_format: str = "BINARY",
             trial_log: bool = False) -> GeneratedProject:
    """Splice ``model`` into the template; return the checked project (nothing written yet).

    Parameters
    ----------
    model : the validated spec
    template : the template file; default :func:`find_template`
    name : the project name (names every output file emergent writes); default the network name
    prototypes : projects to copy spec types from that the template lacks
    auto_load : instead of saving the rows in the project, auto-load this ``.dat`` file name
        (relative to the project's folder); :func:`write_project` writes it
    init_weights : a :class:`~emergent_py.emergent.wts.WtsFile` of initial weights to load at every
        weight initialisation (written as ``wts_name``, default ``<name>_init.wts``)
    wt_format : the network's wt_save_fmt for the weights emergent saves (BINARY = exact float32)
    trial_log : switch the template's trial log (``<name><tag>.trl.dat``) on
    """
    path = find_template(template)
    tmpl = Dump.read(path)
    protos = [Dump.read(p) for p in prototypes]
    name = name or model.network.name
    identifier(name, "project name")
    wfile = None
    if init_weights is not None:
        wfile = wts_name or f"{name}_init.wts"
    splicer = Splicer(tmpl, protos)
    out = splicer.splice(model, name, auto_load=auto_load, wts_file=wfile, wt_format=wt_format,
                         trial_log=trial_log)
    check_generated(out, splicer.unresolved)
    dat = None
    if auto_load is not None:
        cols: dict[str, Any] = {"Name": np.array(model.patterns.names)}
        for lay in model.network.layers.values():
            if lay.name in model.patterns:
                cols[lay.name] = model.patterns[lay.name]
        dat = (auto_load, cols)
    return GeneratedProject(out, name, dat, (wfile, init_weights) if wfile else None)


def write_project(model: Model, out: str | os.PathLike, template: str | os.PathLike | None = None,
                  **kw: Any) -> Path:
    """Generate and write ``out`` (and its ``.dat``/``.wts`` side files) atomically: each file
    goes to a temporary name and is renamed only when complete; nothing is written on error.
    The project name defaults to the file's stem."""
    out = Path(out)
    kw.setdefault("name", out.name[:-len(".proj")] if out.name.endswith(".proj") else out.stem)
    gen = generate(model, template, **kw)
    data = gen.dump.to_bytes()
    if gen.dat is not None:
        from .dat import write_dat
        write_dat(out.parent / gen.dat[0], gen.dat[1])
    if gen.wts is not None:
        from .wts import write_wts
        write_wts(out.parent / gen.wts[0], gen.wts[1])
    write_atomic(out, data, gz=out.name.endswith(".gz"))
    return out


def native_initial_weights(model: Model, fmt: str = "BINARY"):
    """The native core's initial weights for ``model`` (seeded by the plan) as a WtsFile."""
    from ..leabra.network import Network as NativeNetwork
    from .wts import WtsFile
    net = NativeNetwork(model)
    layers = {l.name: l.n for l in net.lay_list}
    weights, masks = {}, {}
    for p in net.prjn_list:
        key = (p.recv.name, p.send.name)
        weights[key] = np.asarray(p.wt, np.float32).T
        if getattr(p, "mask", None) is not None:
            masks[key] = np.asarray(p.mask, bool).T
    bias = net.units["bias_wt"]
    biases = {l.name: np.asarray(bias[l.start:l.start + l.n], np.float32) for l in net.lay_list}
    layer_vars = {l.name: {"acts_m_avg": float(net.lay["acts_m_avg"][i]),
                           "acts_p_avg": float(net.lay["acts_p_avg"][i]),
                           "acts_p_avg_eff": float(net.lay["acts_p_avg_eff"][i])}
                  for i, l in enumerate(net.lay_list)}
    return WtsFile.from_arrays(model.network.name, layers, weights, biases, masks or None,
                               layer_vars=layer_vars, fmt=fmt)
