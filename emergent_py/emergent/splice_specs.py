"""The :class:`SpecSplice` part of the :class:`~.generate.Splicer`: template blocks and parameter specs.

It finds blocks in the template (:meth:`~SpecSplice._find`, :meth:`~SpecSplice._skel_child`),
copies prototype objects from the template or the prototype projects
(:meth:`~SpecSplice.prototype`, :meth:`~SpecSplice.new_spec`), and writes spec members by their
dotted paths: parameter records with their derived values (:meth:`~SpecSplice.write_record`,
exact text from :func:`param_text`) and projection-pattern members; and it makes the model's
specs, one per distinct content (:meth:`~SpecSplice.splice_specs`). It is the base of the
other parts (:mod:`.splice_network`, :mod:`.splice_run`), which use these helpers.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from ..errors import FormatError, SpecError, did_you_mean
from ..spec.fields import derived_fields, emergent_name, get_path, leaf_fields
from ..spec.fields import to_dict
from ..spec.network import OneToOne, UniformRandom
from ..spec.params import BiasSpec, ConSpec, LayerSpec, UnitSpec
from ..spec.prjns import GeometryPattern
from .dump import Array, Block, Dump, Member, format_float, format_ref, quote
from .project_prjns import write_geometry_pattern

NET = ".networks[0]"                 # the network's path in a project


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


class SpecSplice:
    """Template blocks, prototypes and spec members (see the module docstring).

    The :class:`~.generate.Splicer` sets the attributes: ``t`` the template, ``sources`` the
    template then the prototype projects, ``net_v`` / ``net_s`` the network's value and skeleton
    blocks, ``depth`` the nesting depth of specs and layers.
    """
    t: Dump
    sources: list[Dump]
    net_v: Block
    net_s: Block
    depth: int

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


    def _skel_child(self, blk: Block, path: str) -> Block:
        for c in blk.kids:
            if isinstance(c, Block) and c.path == path:
                return c
        raise FormatError(f"{self.t.where}: the template's skeleton {blk.label} has no {path}")

    def _pattern_members(self, v: Block, sk: Block, pattern, need: str) -> None:
        def put(member: str, raw: str) -> None:
            if not self._set_path(v, member, raw):
                raise SpecError(f"{need}: the prototype {v.type} has no member '{member}'")
        if isinstance(pattern, GeometryPattern):
            write_geometry_pattern(v, sk, pattern, put, param_text)
            return
        put("self_con", "1")          # our Full/UniformRandom include self connections
        put("init_wts", "0")
        if isinstance(pattern, OneToOne):
            for m, raw in (("n_conns", "-1"), ("recv_start", "0"), ("send_start", "0")):
                put(m, raw)
        if isinstance(pattern, UniformRandom):
            put("p_con", param_text(pattern.p))
            put("same_seed", "1")
            put("rndm_seed.rnd_seed", str(pattern.seed))


    # -- the model's specs
    def splice_specs(self, model) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str, str]]]:
        """Make the model's specs and put them into the network's specs list (both passes),
        replacing the template's. Every layer gets its own unit, bias and layer spec and every
        projection its own con spec, named after it (``HiddenUnits``, ``OutputToHiddenTopDownCons``:
        a class label is kept in the name and in the spec's ``desc``), so the project opened in
        emergent's GUI shows the model as written; projection-pattern specs with the same content
        are shared.

        Returns ``({layer: (unit spec path, layer spec path)}, {projection: (con spec path,
        projection spec path, projection spec type)})`` for the layers and projections."""
        other = [l for l in model.network.layers.values() if l.layer_spec is not LayerSpec]
        if other:           # (never written as the LeabraLayerSpec they extend: another model)
            kinds = sorted({l.spec_type for l in other})
            raise SpecError(f"layer{'s' if len(other) > 1 else ''} {', '.join(repr(l.name) for l in other)} "
                            f"{'are' if len(other) > 1 else 'is a'} {', '.join(kinds)} layer"
                            f"{'s' if len(other) > 1 else ''}, which the project writer does not write "
                            "(its members, spec pointer and one-value-per-group input column); run the "
                            "model natively, or build such a layer in emergent")
        specs: list[tuple[Block, Block]] = []          # (value block, skeleton block) per spec
        made: dict[str, str] = {}

        def add_spec(type_name: str, label: str, need: str, content: Any, fill, shared: bool = False) -> str:
            """Path of the spec of ``type_name`` named ``label`` (``fill``s a fresh copy of the
            prototype); with ``shared``, one spec for every object that wants the same content."""
            key = json.dumps([type_name, content if shared else label], sort_keys=True)
            if key not in made:
                idx = len(specs)
                v, sk = self.new_spec(type_name, idx, label, need)
                fill(v, sk)
                specs.append((v, sk))
                made[key] = f"{NET}.specs[{idx}]"
            return made[key]

        def fill_unit(unit, bias: str, where: str):
            def fill(v: Block, _sk: Block) -> None:
                self.write_record(v, unit, UnitSpec, where)
                if not self._set_path(v, "bias_spec.spec", format_ref(bias)):
                    raise SpecError(f"{self.t.where}: the template's LeabraUnitSpec has no bias_spec pointer")
            return fill

        def with_desc(fill, classes):
            """``fill``, then the model's class labels into the spec's desc (emergent has no classes)."""
            def fill_desc(v: Block, sk: Block) -> None:
                fill(v, sk)
                if classes and isinstance(v.get("desc"), Member):
                    v.set("desc", quote("class " + " ".join(classes)))
            return fill_desc

        lay_specs: dict[str, tuple[str, str]] = {}
        for lay in model.network.layers.values():
            res = model.layer_params[lay.name]
            need = f"layer '{lay.name}'"
            cls = "".join(lay.classes)
            bias = add_spec(BiasSpec.EMERGENT_TYPE, f"{lay.name}Bias", need, to_dict(res.bias),
                            lambda v, _: self.write_record(v, res.bias, BiasSpec, f"{need}: bias spec"))
            # a unit spec points to its bias spec, so both make its identity
            unit = add_spec(UnitSpec.EMERGENT_TYPE, f"{lay.name}{cls}Units", need, [to_dict(res.unit), bias],
                            with_desc(fill_unit(res.unit, bias, f"{need}: unit spec"), lay.classes))
            lspec = add_spec(LayerSpec.EMERGENT_TYPE, f"{lay.name}{cls}Layer", need, to_dict(res.layer),
                             with_desc(lambda v, _: self.write_record(v, res.layer, LayerSpec,
                                                                      f"{need}: layer spec"), lay.classes))
            lay_specs[lay.name] = (unit, lspec)
        prj_specs: dict[str, tuple[str, str, str]] = {}
        for k, prj in enumerate(model.network.projections.values()):
            need = f"projection '{prj.name}'"
            con_rec = model.prjn_params[prj.name].con
            con = add_spec(ConSpec.EMERGENT_TYPE, f"{prj.send}To{prj.recv}{''.join(prj.classes)}Cons", need,
                           to_dict(con_rec), with_desc(lambda v, _: self.write_record(v, con_rec, ConSpec,
                                                                                      f"{need}: con spec"), prj.classes))
            ptype = type(prj.pattern).EMERGENT_TYPE
            pspec = add_spec(ptype, f"{type(prj.pattern).__name__}Prjn_{k}", need, repr(prj.pattern),
                             lambda v, sk: self._pattern_members(v, sk, prj.pattern, need), shared=True)
            prj_specs[prj.name] = (con, pspec, ptype)

        sv = self.net_v.get("specs")
        if not isinstance(sv, Block):
            raise FormatError(f"{self.t.where}: the template's network has no specs list")
        sv.clear_elements()
        ss = self._skel_child(self.net_s, "@.specs")
        ss.clear_elements()
        ss.set_size(len(specs))
        for dst, blocks in ((sv, [v for v, _ in specs]), (ss, [sk for _, sk in specs])):
            for b in blocks:
                b.pre = "\n"
                b.set_depth(self.depth)
                dst.append(b)
        return lay_specs, prj_specs


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

