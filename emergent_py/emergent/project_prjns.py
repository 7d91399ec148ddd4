"""emergent's geometry projection specs in a project -> the spec API's patterns
(:mod:`emergent_py.spec.prjns`): TesselPrjnSpec, GpOneToOnePrjnSpec, GpTesselPrjnSpec,
GaussRFPrjnSpec (members and defaults: emergent-prjns.md 1.7, 1.8 and 2).

What the patterns do not model is refused by name: random subsets (``p_con`` < 1), weights
set as scales (``set_scale``) and renormalised weights (``renorm_wts.on``).
"""
from __future__ import annotations

from typing import Callable

from ..spec.prjns import GaussRF, GpOneToOne, GpTessel, Tessel
from .dump import Block, Member, Node, unquote

#: emergent type -> the pattern class the importer makes of it
GEOMETRY_SPECS = {"TesselPrjnSpec": Tessel, "GpOneToOnePrjnSpec": GpOneToOne,
                  "GpTesselPrjnSpec": GpTessel, "GaussRFPrjnSpec": GaussRF}


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
