"""Layers of the native core: views into the network's flat struct-of-arrays unit state.

All unit variables of a network live in one flat array per variable (``Network.units[name]``,
shape ``(n_units_total,)``); a :class:`LayerView` exposes a layer's slice of each by emergent's
variable name (``net.layers["Hidden"].act``). Layer-level records (acts_p_avg, ffi, fbi, ...)
live in per-network arrays indexed by layer (``Network.lay[name][layer.index]``).
"""
from __future__ import annotations

import numpy as np

from ..errors import BackendError
from ..spec.network import Layer, LayerKind

# unit variables, emergent names (leabra.md 2); all start at 0 unless set by init
UNIT_VARS = (
    "act", "act_eq", "act_nd", "act_raw", "net", "net_raw", "act_sent", "v_m", "v_m_eq", "I_net",
    "gc_i", "gi_syn", "da", "avg_ss", "avg_s", "avg_m", "avg_l", "avg_l_lrn", "ru_avg_s_lrn",
    "su_avg_s_lrn", "act_avg", "act_q0", "act_q1", "act_q2", "act_q3", "act_q4", "act_m", "act_p",
    "act_dif", "ext", "targ", "bias_wt", "bias_fwt", "bias_dwt", "spike", "spk_t",
)

# layer-level records (the layer unit group), one value per layer
LAYER_VARS = (
    "acts_m_avg", "acts_p_avg", "acts_p_avg_eff", "acts_avg", "acts_max", "net_avg", "net_max",
    "ffi", "fbi", "g_i", "acts_m", "acts_p", "mod_avg_l_lrn", "cos_diff", "cos_diff_avg",
    "cos_diff_var", "cos_diff_avg_lrn", "bias_scale", "lrate_mod", "adapt_gi",
    "sse", "cos_err", "norm_err",
)


class LayerView:
    """One layer of a running network: emergent's unit variables by name, as views.

    ``view.act`` etc. are ``(n_units,)`` views (writes go to the network state); ``view.get(var)``
    returns a copy shaped like the layer (Y, X) or (GY, GX, UY, UX)."""

    def __init__(self, net, spec: Layer, index: int, start: int) -> None:
        self._net = net
        self.spec = spec
        self.name = spec.name
        self.kind: LayerKind = spec.kind
        self.index = index
        self.start, self.stop = start, start + spec.n_units
        self.n = spec.n_units
        self.shape = spec.shape
        self.slice = slice(self.start, self.stop)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        net = self.__dict__["_net"]
        if name in net.units:
            return net.units[name][self.__dict__["slice"]]
        if name in net.lay:
            return net.lay[name][self.__dict__["index"]]
        raise AttributeError(f"layer '{self.__dict__['name']}' has no variable '{name}' "
                             f"(unit variables: {', '.join(UNIT_VARS)}; layer variables: "
                             f"{', '.join(LAYER_VARS)})")

    def get(self, var: str) -> np.ndarray:
        """A copy of unit variable ``var`` in the layer's geometry."""
        return np.array(getattr(self, var)).reshape(self.shape)

    def __repr__(self) -> str:
        return f"LayerView({self.name!r}, {self.kind.value}, {self.n} units)"


def check_unit_spec(layer: str, unit, lspec) -> None:
    """BackendError for a mechanism the native core does not implement (before any cycle runs)."""
    def bad(path: str, value, fix: str) -> None:
        raise BackendError(f"layer '{layer}': {path} = {value!r} is not supported by the native core; {fix}")
    if unit.act_fun != "NOISY_XX1":
        bad("act_fun", unit.act_fun, "use NOISY_XX1 (rate code) or run the model in emergent")
    for grp in ("kna_adapt", "stp", "syn_delay", "deep", "da_mod"):
        if getattr(unit, grp).on:
            bad(f"{grp}.on", True, "switch it off or run the model in emergent")
    if unit.noise_type.type != "NO_NOISE":
        bad("noise_type.type", unit.noise_type.type, "use NO_NOISE or run the model in emergent")
    if unit.act_misc.avg_trace:
        bad("act_misc.avg_trace", True, "switch it off")
    if unit.dt.fast_cyc != 0:
        bad("dt.fast_cyc", unit.dt.fast_cyc, "use 0")
    if unit.act_misc.dif_avg:
        bad("act_misc.dif_avg", True, "switch it off")
    if lspec.inhib_adapt.on:
        bad("inhib_adapt.on", True, "switch it off")
    if lspec.lay_gp_inhib.on:
        bad("lay_gp_inhib.on", True, "switch it off")
    if lspec.del_inhib.on:
        bad("del_inhib.on", True, "switch it off")
    if lspec.inhib_misc.self_fb != 0:
        bad("inhib_misc.self_fb", lspec.inhib_misc.self_fb, "use 0")
    if lspec.inhib_misc.fb_up_immed:
        bad("inhib_misc.fb_up_immed", True, "switch it off")
    if lspec.cos_diff.lrate_mod:
        bad("cos_diff.lrate_mod", True, "switch it off")
    if unit.avg_l_mod.mod == "NET_ERR_MOD":
        bad("avg_l_mod.mod", "NET_ERR_MOD", "use LAY_ERR_MOD or NO_MOD")
