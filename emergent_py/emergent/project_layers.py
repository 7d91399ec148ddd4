"""The layers of an emergent network as the importer takes them, and the object types the native
core implements.

* **Layer groups** (``.layers.gp[i]``, nested, or ``.gp["Name"]`` in 8.0.x files) take no part in
  connectivity: their layers are layers like any other, in emergent's flat order (a group's own
  layers first, then each sub-group's, depth first; emergent-prjns.md 1.2). The importer gives
  each layer the names of the groups it sits in as selector classes (``.PVLV_DA``).
* **Input columns of grouped layers.** A layer with unit groups takes a 4-D column
  ``[ux, uy, gx, gy]`` unit by unit, or a 2-D column of its flat geometry ``[flat_x, flat_y]``
  by flat position (unit ``(x mod ux, y mod uy)`` of group ``(x div ux, y div uy)``,
  emergent-prjns.md 1.1); :func:`grouped_patterns` turns the latter into the layer's shape.
* **Spec types.** A spec is imported only as the type the project names. A subclass of
  LeabraLayerSpec, LeabraUnitSpec, LeabraConSpec ... that the native core does not implement
  (PVLV, PBWM, Cereb*, deep ...) is refused by that name, never run as its base class. A
  ScalarValLayerSpec layer is imported as one (``Layer(spec_type=...)``, its members read as
  the other layer specs' are); its input column holds one value per coding group.
"""
from __future__ import annotations

import re

import numpy as np

from ..spec.network import Network
from ..spec.patterns import Patterns
from .dump import Block

#: object kind -> the emergent types the native core implements (anything else is refused by name)
NATIVE_TYPES: dict[str, tuple[str, ...]] = {
    "network": ("LeabraNetwork",),
    "layer": ("LeabraLayer",),
    "layer spec": ("LeabraLayerSpec", "ScalarValLayerSpec"),      # (spec.network.LAYER_SPECS)
    "unit spec": ("LeabraUnitSpec",),
    "bias spec": ("LeabraBiasSpec",),
    "con spec": ("LeabraConSpec",),
    "projection": ("LeabraPrjn",),
    "projection spec": ("FullPrjnSpec", "OneToOnePrjnSpec", "UniformRndPrjnSpec", "TesselPrjnSpec",
                        "GpOneToOnePrjnSpec", "GpTesselPrjnSpec", "GaussRFPrjnSpec", "TiledGpRFPrjnSpec"),
}


def flat_layers(group: Block, owners: tuple[str, ...] = ()) -> list[tuple[Block, tuple[str, ...]]]:
    """``(layer block, names of the layer groups it is in)`` in emergent's flat layer order."""
    out = [(lb, owners) for lb in group.elements]
    for sub in group.subgroups:
        out += flat_layers(sub, owners + (sub.name or "",))
    return out


def group_classes(owners: tuple[str, ...]) -> str:
    """Selector classes for a layer from the groups it is in (outer first): each group's name,
    with characters other than letters, digits and '_' written as '_'."""
    names = [re.sub(r"\W", "_", n) for n in owners if n]
    return " ".join(n if not n[0].isdigit() else "_" + n for n in names)


def not_native(kind: str, obj: Block) -> str | None:
    """Why the native core cannot take ``obj`` (a spec, layer, network) as it is, or None."""
    if obj.type in NATIVE_TYPES[kind]:
        return None
    article = "an" if obj.type[:1] in "AEIOU" else "a"
    return f"{kind} '{obj.name}' is {article} {obj.type}, which the native core does not implement"


def grouped_patterns(pats: Patterns, net: Network) -> Patterns:
    """``pats`` with every flat 2-D column of a layer with unit groups put in the layer's 4-D
    shape by flat position (a table column in any other shape is left for Model to check)."""
    data, changed = {}, False
    for name in pats.layers:
        rows = pats[name]
        lay = net.layers.get(name)
        if lay is not None and len(lay.shape) == 4 and rows.ndim == 3:
            gy, gx, uy, ux = lay.shape
            if rows.shape[1:] == (gy * uy, gx * ux):
                rows = rows.reshape(-1, gy, uy, gx, ux).transpose(0, 1, 3, 2, 4)
                changed = True
        data[name] = np.ascontiguousarray(rows)
    return Patterns(data, pats.names) if changed else pats
