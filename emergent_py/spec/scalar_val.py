"""ScalarValLayerSpec: a layer that codes one number per unit group (emergent-prjns.md section 4).

A ScalarVal layer is a LeabraLayerSpec layer (every member of :class:`~.params.LayerSpec`) with
the members below, in emergent 8.6's names and defaults (4.1). Declare one with
``net.layer("Value", (1, 11), kind="target", spec_type="ScalarValLayerSpec")`` and set its
members with the usual selectors (``{"#Value": {"scalar.rep": "GAUSSIAN"}}``).

Its input column holds **one value per coding group** (a unit group, or the whole layer of a
layer without groups): shape ``(1, 1)`` for a 2-D layer, ``(GY, GX, 1, 1)`` for a 4-D one
(emergent's ``[1,1,gp_x,gp_y]``), or flat ``(n_groups,)``. The engine expands the value into
the unit pattern at every quarter start (4.3) and decodes the activity back into a value
(``misc_1``; the minus-phase value ``misc_2``), in :mod:`emergent_py.leabra.scalar_val`.

The unit value ranges (``unit_range``, ``val_range``) are in value units. ``val_range`` is
derived: ``unit_range`` shrunk by half the effective width at both ends for GAUSSIAN (the
engine recomputes it in the working float type, as emergent computes it in float).
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from ..errors import SpecError
from .fields import ParamGroup, derived, group, param
from .params import InhibParams, LayerSpec, RangeParams

REPS = ("LOCALIST", "GAUSSIAN", "AVG_ACT")

ps = dataclasses.dataclass(frozen=True, kw_only=True)


@ps
class ScalarParams(ParamGroup):
    """How a value is coded (emergent's ScalarValSpec, member ``scalar``), emergent-prjns.md 4.1-4.2."""
    rep: str = param("LOCALIST", "LOCALIST: two neighbouring units share the value; GAUSSIAN: a bump "
                     "of width un_width; AVG_ACT: the layer's average activity", choices=REPS)
    un_width: float = param(0.3, "GAUSSIAN width, in value units (a fraction of the range with "
                            "norm_width)", min=0)
    norm_width: bool = param(False, "un_width is a fraction of unit_range")
    clamp_pat: bool = param(False, "the input is the whole unit pattern, no expansion (the native "
                            "core rejects true)")
    min_sum_act: float = param(0.2, "floor of the summed activity in the readout's denominator "
                               "(LOCALIST, GAUSSIAN)", min=0)
    clip_val: bool = param(True, "clip the input value to val_range before coding it")
    send_thr: bool = param(False, "units below opt_thresh.send count 0 in the readout")
    init_nms: bool = param(True, "label the units with their values (display only)")


@ps
class BiasValParams(ParamGroup):
    """Bias weights set from a value at Init_Weights (ScalarValBias, member ``bias_val``),
    emergent-prjns.md 4.4; the native core rejects every setting but the defaults."""
    un: str = param("NO_UN", "bias weights of the units: BWT sets them (the native core rejects BWT)",
                    choices=("NO_UN", "BWT"))
    un_shp: str = param("VAL", "shape of the unit biases with un=BWT", choices=("VAL", "NEG_SLP", "POS_SLP"))
    un_gain: float = param(1.0, "gain of the unit biases")
    wt: str = param("NO_WT", "incoming weights: WT adds the value's pattern (the native core rejects WT)",
                    choices=("NO_WT", "WT"))
    wt_gain: float = param(1.0, "gain of the weight bias")
    val: float = param(0.0, "the value the biases code")


def _field(factory, doc: str, cls: type) -> Any:
    return dataclasses.field(default_factory=factory, metadata={"doc": doc, "group": cls})


@ps
class ScalarValLayerSpec(LayerSpec):
    """ScalarValLayerSpec (emergent 8.6 code defaults): a LeabraLayerSpec that codes one value per
    unit group. ``lay_inhib.gi`` and ``unit_gp_inhib.gi`` default to 2.2 (set at construction,
    for the default LOCALIST rep)."""
    EMERGENT_TYPE: ClassVar[str] = "ScalarValLayerSpec"
    lay_inhib: InhibParams = _field(lambda: InhibParams(on=True, gi=2.2), "layer-level FFFB inhibition",
                                    InhibParams)
    unit_gp_inhib: InhibParams = _field(lambda: InhibParams(on=False, gi=2.2),
                                        "sub-group (pool) inhibition: one value per group", InhibParams)
    scalar: ScalarParams = group(ScalarParams, "how the value is coded")
    unit_range: RangeParams = _field(lambda: RangeParams(min=-0.5, max=1.5),
                                     "values of the first and the last unit of a group", RangeParams)
    bias_val: BiasValParams = group(BiasValParams, "biases set from a value")
    avg_act_range: RangeParams = _field(lambda: RangeParams(min=0.1, max=0.9),
                                        "average activity of the lowest and highest value (AVG_ACT)",
                                        RangeParams)
    val_range: RangeParams = derived("values that can be coded: unit_range, shrunk by un_width/2 "
                                     "at both ends for GAUSSIAN")

    def _derive(self) -> dict[str, Any]:
        lo, hi = self.unit_range.min, self.unit_range.max
        if self.scalar.rep == "GAUSSIAN":
            half = 0.5 * self.un_width_eff
            lo, hi = lo + half, hi - half
        return dict(val_range=RangeParams(min=lo, max=hi))

    @property
    def un_width_eff(self) -> float:
        """GAUSSIAN width in value units: un_width, times the unit range with norm_width."""
        return self.scalar.un_width * (self.unit_range.range if self.scalar.norm_width else 1.0)


#: the fewest units per coding group a rep needs (emergent's config check would instead resize
#: the layer to 3 LOCALIST or 11 GAUSSIAN units, emergent-prjns.md 4.2)
MIN_UNITS = {"LOCALIST": 2, "GAUSSIAN": 2, "AVG_ACT": 1}
RESIZE_TO = {"LOCALIST": 3, "GAUSSIAN": 11}


def check_scalar_val(layer, spec: ScalarValLayerSpec) -> None:
    """SpecError for a ScalarVal layer whose coding cannot work: too few units per group (emergent
    would resize the layer when it checks the config: make the size explicit instead) or a zero
    range or width (the coding divides by them)."""
    where = f"ScalarVal layer '{layer.name}'"
    rep = spec.scalar.rep
    n = layer.n_units // layer.n_groups
    if n < MIN_UNITS[rep]:
        raise SpecError(f"{where}: {rep} needs at least {MIN_UNITS[rep]} units per coding group, the "
                        f"layer has {n} (emergent would resize it to {RESIZE_TO[rep]}: give it that "
                        f"shape, e.g. (1, {RESIZE_TO[rep]}))")
    if not spec.unit_range.max > spec.unit_range.min:
        raise SpecError(f"{where}: unit_range.max ({spec.unit_range.max}) must be above "
                        f"unit_range.min ({spec.unit_range.min})")
    if rep == "GAUSSIAN" and not spec.un_width_eff > 0:
        raise SpecError(f"{where}: GAUSSIAN needs scalar.un_width > 0, got {spec.scalar.un_width}")
    if rep == "AVG_ACT" and not spec.avg_act_range.max > spec.avg_act_range.min:
        raise SpecError(f"{where}: AVG_ACT needs avg_act_range.max ({spec.avg_act_range.max}) above "
                        f"avg_act_range.min ({spec.avg_act_range.min})")
