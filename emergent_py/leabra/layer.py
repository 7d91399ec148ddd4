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
    "act_dif", "ext", "targ", "bias_wt", "bias_fwt", "bias_dwt", "spike", "spk_t", "gi_raw",
    # the input as applied (before a ScalarVal layer codes it into ext), and the ScalarVal
    # value (emergent-prjns.md 4.4: unit 0 of each group; misc_2 the minus-phase value)
    "ext_orig", "misc_1", "misc_2",
    "gi_self",                  # self feedback inhibition (inhib_misc.self_fb, leabra.md 4.5)
)
#: unit variables added after run files and checkpoints were first written: a state without
#: them (from before) loads with them 0, which they were (no ScalarVal layer could run then)
LATER_UNIT_VARS = ("ext_orig", "misc_1", "misc_2", "gi_self")

# layer-level records (the layer unit group), one value per layer
LAYER_VARS = (
    "acts_m_avg", "acts_p_avg", "acts_p_avg_eff", "acts_avg", "acts_max", "net_avg", "net_max",
    "ffi", "fbi", "g_i", "acts_m", "acts_p", "mod_avg_l_lrn", "cos_diff", "cos_diff_avg",
    "cos_diff_var", "cos_diff_avg_lrn", "bias_scale", "lrate_mod", "adapt_gi",
    "sse", "cos_err", "norm_err",
)


class LayerView:
    """One layer of a running network: emergent's unit variables by name, as views.

    ``view.act`` etc. are views in the layer's shape, (Y, X) or (GY, GX, UY, UX) (writes go to
    the network state; ``.ravel()`` gives the units in order); layer variables (``acts_m_avg``,
    ...) are scalars; ``view.get(var)`` returns a copy in the layer's shape. ``dir(view)`` lists
    every variable."""

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
            return net.units[name][self.__dict__["slice"]].reshape(self.__dict__["shape"])
        if name in net.lay:
            return net.lay[name][self.__dict__["index"]]
        raise AttributeError(f"layer '{self.__dict__['name']}' has no variable '{name}' "
                             f"(unit variables: {', '.join(UNIT_VARS)}; layer variables: "
                             f"{', '.join(LAYER_VARS)})")

    def get(self, var: str) -> np.ndarray:
        """A copy of unit variable ``var`` in the layer's geometry."""
        return np.array(getattr(self, var)).reshape(self.shape)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(UNIT_VARS) | set(LAYER_VARS))

    def __repr__(self) -> str:
        net = self.__dict__["_net"]
        recv = [p.name for p in net.recv_prjns.get(self.name, [])] if hasattr(net, "recv_prjns") else []
        send = [p.name for p in net.send_prjns.get(self.name, [])] if hasattr(net, "send_prjns") else []
        return (f"LayerView({self.name!r}, {self.kind.value}, {' x '.join(map(str, self.shape))} = {self.n} units"
                + (f"; receives {', '.join(recv)}" if recv else "") + (f"; sends {', '.join(send)}" if send else "")
                + ")")


# (record, parameter path, the only value the native core implements, how to fix)
_IN_SCOPE = (
    ("unit", "act_fun", "NOISY_XX1", "use NOISY_XX1 (rate code) or run the model in emergent"),
    ("unit", "kna_adapt.on", False, "switch it off or run the model in emergent"),
    ("unit", "stp.on", False, "switch it off or run the model in emergent"),
    ("unit", "syn_delay.on", False, "switch it off or run the model in emergent"),
    ("unit", "deep.on", False, "switch it off or run the model in emergent"),
    ("unit", "da_mod.on", False, "switch it off or run the model in emergent"),
    ("unit", "noise_type.type", "NO_NOISE", "use NO_NOISE or run the model in emergent"),
    ("unit", "act_misc.avg_trace", False, "switch it off"),
    ("unit", "act_misc.dif_avg", False, "switch it off"),
    ("unit", "dt.fast_cyc", 0, "use 0"),
    ("layer", "inhib_adapt.on", False, "switch it off"),
    ("layer", "lay_gp_inhib.on", False, "switch it off"),
    ("layer", "del_inhib.on", False, "switch it off"),
    ("layer", "inhib_misc.fb_up_immed", False, "switch it off"),
    ("layer", "inhib_misc.net_thr", 0.0, "use 0"),
    ("layer", "cos_diff.lrate_mod", False, "switch it off"),
    ("layer", "clamp.avg", False, "switch it off (soft clamping adds ext * clamp.gain)"),
    ("unit", "avg_l_mod.mod", "LAY_ERR_MOD", "use LAY_ERR_MOD (the only modulation leabra.md specifies)"),
)


def check_unit_spec(layer: str, unit, lspec) -> None:
    """BackendError for a mechanism the native core does not implement (before any cycle runs)."""
    from ..spec.fields import get_path
    records = {"unit": unit, "layer": lspec}
    for rec, path, ok, fix in _IN_SCOPE:
        value = get_path(records[rec], path)
        if value != ok:
            raise BackendError(f"layer '{layer}': {path} = {value!r} is not supported by the native "
                               f"core; {fix}")
