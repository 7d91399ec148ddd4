"""The :class:`NetworkSplice` part of the :class:`~.generate.Splicer`: the network's structure.

It writes the layers of ``.networks[0]`` in both passes (geometry, positions, spec pointers),
each layer's receiving projections (emergent's ``Fm_<Sender>`` names) and ``send_prjns``
links, the optional ``Weights`` object that loads initial weights at every weight
initialisation, and repoints references from outside the network (control panels) to the new
objects.
"""
from __future__ import annotations

import re

from ..errors import FormatError, SpecError
from ..spec.model import Model
from .dump import Block, Link, Member, format_ref, parse_nodes, quote
from .splice_specs import NET, SpecSplice


class NetworkSplice(SpecSplice):
    """Layers, projections, initial weights and repointed references (see the module docstring).

    Besides the :class:`~.splice_specs.SpecSplice` attributes it uses ``old_types``: old path
    under ``.networks[0]`` -> type, set by the :class:`~.generate.Splicer`.
    """
    old_types: dict[str, str]

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


def _emergent_prjn_name(prj, recv: list) -> str:
    """emergent's ``Fm_<Sender>`` for default-named projections; a custom name (an identifier)
    is kept, so that it survives the round trip."""
    if prj.name != f"{prj.send}->{prj.recv}" and re.fullmatch(r"[A-Za-z_]\w*", prj.name):
        return prj.name
    same = [p for p in recv if p.send == prj.send]
    return f"Fm_{prj.send}" if len(same) == 1 else f"Fm_{prj.send}_{same.index(prj)}"
