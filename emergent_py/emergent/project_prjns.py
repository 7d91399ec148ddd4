"""emergent's geometry projection specs <-> the spec API's patterns (:mod:`emergent_py.spec.prjns`):
TesselPrjnSpec, GpOneToOnePrjnSpec, GpTesselPrjnSpec, TiledGpRFPrjnSpec, GaussRFPrjnSpec (members and defaults:
emergent-prjns.md 1.7, 1.8 and 2). :func:`geometry_pattern` reads a project's spec (import),
:func:`write_geometry_pattern` writes one (the ``proj`` generator).

What the patterns do not model is refused by name: random subsets (``p_con`` < 1), weights
set as scales (``set_scale``) and renormalised weights (``renorm_wts.on``).
"""
from __future__ import annotations

from typing import Callable

from ..errors import SpecError
from ..spec.prjns import GaussRF, GpOneToOne, GpTessel, Tessel, TiledGpRF
from .dump import Block, Member, Node, unquote

#: emergent type -> the pattern class the importer makes of it
GEOMETRY_SPECS = {"TesselPrjnSpec": Tessel, "GpOneToOnePrjnSpec": GpOneToOne,
                  "GpTesselPrjnSpec": GpTessel, "GaussRFPrjnSpec": GaussRF,
                  "TiledGpRFPrjnSpec": TiledGpRF}


def geometry_pattern(spec_type: str, members: dict[str, Node]):
    """(pattern, '') for a geometry projection spec's resolved members, else (None, why)."""
    get = _getter(members)
    base = {"self_con": get("self_con", bool, spec_type == "GpOneToOnePrjnSpec")}
    init_wts = get("init_wts", bool, spec_type == "GaussRFPrjnSpec")
    if init_wts and get("set_scale", bool, False):
        return None, ", init_wts with set_scale=1 (weights set as scales)"
    if init_wts and get("renorm_wts.on", bool, False):
        return None, ", init_wts with renorm_wts.on=1"
    if spec_type == "TesselPrjnSpec":
        offs = [(_int(e, "send_off.x"), _int(e, "send_off.y"), float(e.value("wt_val", "1")))
                for e in _elements(members.get("send_offs"))]
        if not offs:
            return None, ", with no send_offs (it makes no connections)"
        return Tessel(tuple(offs), recv_off=get.pair("recv_off", int, (0, 0)),
                      recv_n=get.pair("recv_n", int, (-1, -1)), recv_skip=get.pair("recv_skip", int, (1, 1)),
                      recv_group=get.pair("recv_group", int, (1, 1)), wrap=get("wrap", bool, True),
                      send_scale=get.pair("send_scale", float, (1.0, 1.0)),
                      send_off=get.pair("send_off", float, (0.0, 0.0)), init_wts=init_wts,
                      add_rnd_var=get("add_rnd_var", bool, False), **base), ""
    if spec_type == "GpOneToOnePrjnSpec":
        if get("p_con", float, 1.0) < 1:
            return None, ", p_con < 1 (random subsets drawn by emergent's generator)"
        return GpOneToOne(n_conns=get("n_conns", int, -1), recv_start=get("recv_start", int, 0),
                          send_start=get("send_start", int, 0), **base), ""
    if spec_type == "GpTesselPrjnSpec":
        els = _elements(members.get("send_gp_offs"))
        if any(float(e.value("p_con", "1")) < 1 for e in els):
            return None, ", an offset with p_con < 1 (random subsets drawn by emergent's generator)"
        if not els:
            return None, ", with no send_gp_offs (it makes no connections)"
        return GpTessel(tuple((_int(e, "send_gp_off.x"), _int(e, "send_gp_off.y")) for e in els),
                        recv_gp_off=get.pair("recv_gp_off", int, (0, 0)),
                        recv_gp_n=get.pair("recv_gp_n", int, (-1, -1)),
                        recv_gp_skip=get.pair("recv_gp_skip", int, (1, 1)),
                        recv_gp_group=get.pair("recv_gp_group", int, (1, 1)),
                        send_gp_scale=get.pair("send_gp_scale", float, (1.0, 1.0)),
                        send_gp_border=get.pair("send_gp_border", int, (0, 0)),
                        wrap=get("wrap", bool, True), **base), ""
    if spec_type == "TiledGpRFPrjnSpec":
        if get("reciprocal", bool, False):
            return None, ", reciprocal=1 (the transpose of another projection)"
        if get("p_con", float, 1.0) < 1:
            return None, ", p_con < 1 (random subsets drawn by emergent's generator)"
        if init_wts and get("wts_type", str, "GAUSSIAN") != "GAUSSIAN":
            return None, f", init_wts with wts_type={get('wts_type', str, '')} (only GAUSSIAN is modelled)"

        def gauss(name: str) -> tuple:
            return (get(f"{name}.on", bool, True), get(f"{name}.sigma", float, 0.6),
                    get(f"{name}.wrap_wts", bool, False), get(f"{name}.ctr_mv", float, 0.8))
        full_send = get("full_send", str, "BY_UNIT")
        return TiledGpRF(send_gp_size=get.pair("send_gp_size", int, (4, 4)),
                         send_gp_skip=get.pair("send_gp_skip", int, (2, 2)),
                         send_gp_start=get.pair("send_gp_start", int, (-1, -1)),
                         wrap=get("wrap", bool, True), init_wts=init_wts,
                         add_rnd_var=get("add_rnd_var", bool, False), full_gauss=gauss("full_gauss"),
                         gp_gauss=gauss("gp_gauss"),
                         full_send="BY_UNIT" if full_send == "ALL_SAME" else full_send,
                         full_recv=get("full_recv", str, "BY_UNIT"),
                         wt_range=(get("wt_range.min", float, 0.4), get("wt_range.max", float, 0.6)),
                         **base), ""
    return GaussRF(rf_width=get.pair("rf_width", int, (6, 6)), rf_move=get.pair("rf_move", float, (3.0, 3.0)),
                   gauss_sigma=get("gauss_sigma", float, 1.0), wrap=get("wrap", bool, False),
                   init_wts=init_wts, add_rnd_var=get("add_rnd_var", bool, False), **base), ""


class _getter:
    """Typed access to resolved spec members, with emergent's default where a file lacks one."""

    def __init__(self, members: dict[str, Node]) -> None:
        self.members = members

    def raw(self, path: str) -> str | None:
        head, _, rest = path.partition(".")
        node = self.members.get(head)
        for part in rest.split(".") if rest else []:
            node = node.get(part) if isinstance(node, Block) else None
        return unquote(node.raw) if isinstance(node, Member) else None

    def __call__(self, path: str, kind: Callable, default):
        text = self.raw(path)
        if text is None:
            return default
        if kind is bool:
            return text.strip().lower() in ("1", "true")
        return kind(float(text)) if kind is int else kind(text)

    def pair(self, name: str, kind: Callable, default: tuple):
        return (self(f"{name}.x", kind, default[0]), self(f"{name}.y", kind, default[1]))


def _elements(node: Node | None) -> list[Block]:
    return node.elements if isinstance(node, Block) else []


def _int(blk: Block, path: str) -> int:
    return int(float(blk.value(path, "0")))


# ----------------------------------------------------------------------------------- writing

def write_geometry_pattern(v: Block, sk: Block, pattern, put: Callable[[str, str], None],
                           text: Callable[[object], str]) -> None:
    """Write ``pattern`` into a copy of its emergent spec (value block ``v``, skeleton ``sk``),
    the inverse of :func:`geometry_pattern`: ``put(member, raw)`` sets a member (an error if the
    prototype lacks it), ``text`` formats a value exactly."""
    put("self_con", text(pattern.self_con))
    put("init_wts", text(getattr(pattern, "init_wts", False)))
    put("set_scale", "0")
    put("renorm_wts.on", "0")
    if hasattr(pattern, "add_rnd_var"):
        put("add_rnd_var", text(pattern.add_rnd_var))

    def pair(name: str, xy) -> None:
        put(f"{name}.x", text(xy[0]))
        put(f"{name}.y", text(xy[1]))

    if isinstance(pattern, Tessel):
        for name in ("recv_off", "recv_n", "recv_skip", "recv_group", "send_scale", "send_off"):
            pair(name, getattr(pattern, name))
        put("wrap", text(pattern.wrap))
        _write_list(v, sk, "send_offs", "TessEl", [
            f"send_off {{x={x}: y={y}: }};\nwt_val={text(w)};" for x, y, w in pattern.offsets])
    elif isinstance(pattern, GpOneToOne):
        for name in ("n_conns", "recv_start", "send_start"):
            put(name, text(getattr(pattern, name)))
        put("p_con", "1")
    elif isinstance(pattern, GpTessel):
        for name in ("recv_gp_off", "recv_gp_n", "recv_gp_skip", "recv_gp_group", "send_gp_scale",
                     "send_gp_border"):
            pair(name, getattr(pattern, name))
        put("wrap", text(pattern.wrap))
        _write_list(v, sk, "send_gp_offs", "GpTessEl", [
            f"send_gp_off {{x={x}: y={y}: }};\np_con=1;" for x, y in pattern.offsets])
    elif isinstance(pattern, TiledGpRF):
        for name in ("send_gp_size", "send_gp_skip", "send_gp_start"):
            pair(name, getattr(pattern, name))
        for name, raw in (("wrap", text(pattern.wrap)), ("reciprocal", "0"), ("p_con", "1"),
                          ("wts_type", "GAUSSIAN"), ("full_send", pattern.full_send),
                          ("full_recv", pattern.full_recv), ("wt_range.min", text(pattern.wt_range[0])),
                          ("wt_range.max", text(pattern.wt_range[1])),
                          ("wt_range.range", text(pattern.wt_range[1] - pattern.wt_range[0]))):
            put(name, raw)
        for name in ("full_gauss", "gp_gauss"):
            for member, value in zip(("on", "sigma", "wrap_wts", "ctr_mv"), getattr(pattern, name)):
                put(f"{name}.{member}", text(value))
    else:
        pair("rf_width", pattern.rf_width)
        pair("rf_move", pattern.rf_move)
        put("gauss_sigma", text(pattern.gauss_sigma))
        put("wrap", text(pattern.wrap))


def _write_list(v: Block, sk: Block, name: str, el_type: str, bodies: list[str]) -> None:
    """Replace the elements of list member ``name`` in both passes."""
    from .dump import parse_nodes
    lst = v.get(name)
    skel = next((c for c in sk.kids if isinstance(c, Block) and c.path == f"@.{name}"), None)
    if not isinstance(lst, Block) or skel is None:
        raise SpecError(f"the prototype {v.type} has no list '{name}' in both passes")
    lst.clear_elements()
    skel.clear_elements()
    skel.set_size(len(bodies))
    depth = len(lst.pre) - len(lst.pre.rstrip(" \t")) if "\n" in lst.pre else 0
    for i, body in enumerate(bodies):
        el = parse_nodes(f"\n{el_type} @[{i}] {{\n" + body + "\n};", f"<{el_type}>")[0]
        el.set_depth(depth + 1)
        lst.append(el)
        s = parse_nodes(f"\n{el_type} @[{i}] {{ }};", f"<{el_type}>")[0]
        skel.append(s)
    lst.set_depth(depth)
    skel.set_depth(depth)
