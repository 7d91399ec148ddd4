"""Constants of a running network, derived once from the resolved spec (a mixin of Network).

Unit constants are one scalar of the working dtype when every layer agrees, else one value per
unit (``(n_units,)``); layer constants are ``(n_layers,)`` arrays. Derived values (rates = 1/tau,
...) are computed in the working dtype, as emergent computes them in float.
"""
from __future__ import annotations

import numpy as np

from ..errors import BackendError
from ..spec.network import LayerKind
from .act import Nxx1Consts


class NetworkConsts:
    """Builds the constants; needs ``model``, ``dtype``, ``lay_list`` and ``sizes``."""

    def _per_unit(self, get):
        """A unit constant: one dtype scalar if all layers agree, else a (n_units,) array."""
        vals = [get(self.model.layer_params[l.name]) for l in self.lay_list]
        if all(v == vals[0] for v in vals):
            return self.dtype(vals[0])
        return np.repeat(np.asarray(vals, dtype=self.dtype), self.sizes)

    def _per_layer(self, get):
        return np.array([get(self.model.layer_params[l.name]) for l in self.lay_list], dtype=self.dtype)

    def _build_consts(self) -> None:
        f, one = self.dtype, self.dtype(1)
        U, L = self._per_unit, self._per_layer
        self.nxx1 = Nxx1Consts.build([self.model.layer_params[l.name].unit.act for l in self.lay_list],
                                     self.sizes, f)
        self.thr = U(lambda p: p.unit.act.thr)
        self.vm_act_thr = U(lambda p: p.unit.act.vm_act_thr)
        self.send_thr = U(lambda p: p.unit.opt_thresh.send)
        self.delta_thr = U(lambda p: p.unit.opt_thresh.delta)
        integ = U(lambda p: p.unit.dt.integ)
        self.vm_rate = integ * (one / U(lambda p: p.unit.dt.vm_tau))
        self.vm_rate_cyc = integ * (one / U(lambda p: p.unit.dt.vm_tau) / U(lambda p: p.unit.dt.vm_cyc))
        self.net_rate = integ * (one / U(lambda p: p.unit.dt.net_tau))
        self.net_gain = U(lambda p: p.unit.act_misc.net_gain)
        self.g_bar_e, self.g_bar_l, self.g_bar_i = (U(lambda p, c=c: getattr(p.unit.g_bar, c)) for c in "eli")
        self.e_e, self.e_l, self.e_i = (U(lambda p, c=c: getattr(p.unit.e_rev, c)) for c in "eli")
        self.vm_lo, self.vm_hi = U(lambda p: p.unit.vm_range.min), U(lambda p: p.unit.vm_range.max)
        self.act_lo, self.act_hi = U(lambda p: p.unit.act_range.min), U(lambda p: p.unit.act_range.max)
        self.clamp_lo, self.clamp_hi = U(lambda p: p.unit.clamp_range.min), U(lambda p: p.unit.clamp_range.max)
        self.vm_r = U(lambda p: p.unit.spike_misc.vm_r)
        self.t_r = max(p.unit.spike_misc.t_r for p in self.model.layer_params.values())
        self.init_vm = U(lambda p: p.unit.init.v_m)
        self.init_act = U(lambda p: p.unit.init.act)
        self.init_net = U(lambda p: p.unit.init.netin)
        self.act_gain = U(lambda p: p.unit.act.gain)
        self.ss_rate = integ * (one / U(lambda p: p.unit.act_avg.ss_tau))
        self.s_rate = integ * (one / U(lambda p: p.unit.act_avg.s_tau))
        self.m_rate = integ * (one / U(lambda p: p.unit.act_avg.m_tau))
        self.ru_lrn_m = U(lambda p: p.unit.act_avg.ru_lrn_m)
        self.su_lrn_m = U(lambda p: p.unit.act_avg.su_lrn_m)
        self.ru_lrn_s, self.su_lrn_s = one - self.ru_lrn_m, one - self.su_lrn_m
        self._same_lrn_m = bool(np.all(self.ru_lrn_m == self.su_lrn_m))
        self.avg_init = U(lambda p: p.unit.act_misc.avg_init)
        self.act_avg_dt = one / U(lambda p: p.unit.act_misc.avg_tau)
        self.avg_l_init = U(lambda p: p.unit.avg_l.init)
        self.avg_l_gain = U(lambda p: p.unit.avg_l.gain)
        self.avg_l_min = U(lambda p: p.unit.avg_l.min)
        self.avg_l_dt = one / U(lambda p: p.unit.avg_l.tau)
        self.avg_l_lrn_min = U(lambda p: p.unit.avg_l.lrn_min)
        self.avg_l_lrn_fact = ((U(lambda p: p.unit.avg_l.lrn_max) - self.avg_l_lrn_min)
                               / (self.avg_l_gain - self.avg_l_min))
        self.decay = U(lambda p: p.layer.decay.trial)
        # layer-level
        self.lay_act_thr = L(lambda p: p.unit.avg_l.lay_act_thr)
        self.lay_mod_min = L(lambda p: p.unit.avg_l_mod.lay_mod_min)
        self.targ_init = L(lambda p: p.layer.avg_act.targ_init)
        self.avg_act_dt = one / L(lambda p: p.layer.avg_act.tau)
        self.avg_act_adjust = L(lambda p: p.layer.avg_act.adjust)
        self.avg_act_fixed = np.array([self.model.layer_params[l.name].layer.avg_act.fixed for l in self.lay_list])
        self.avg_act_first = np.array([self.model.layer_params[l.name].layer.avg_act.use_first
                                       for l in self.lay_list])
        self.use_ext_act = np.array([self.model.layer_params[l.name].layer.avg_act.use_ext_act
                                     and l.kind is not LayerKind.HIDDEN for l in self.lay_list])
        self.cos_avg_dt = one / L(lambda p: p.layer.cos_diff.avg_tau)
        self.lay_decay = L(lambda p: p.layer.decay.trial)
        self.lay_lrate = L(lambda p: p.layer.lay_lrate)
        self.avg_correct = L(lambda p: p.unit.act.avg_correct)
        self.clamp_hard = np.array([self.model.layer_params[l.name].layer.clamp.hard for l in self.lay_list])
        self.clamp_gain = U(lambda p: p.layer.clamp.gain)
        self.sse_tol = L(lambda p: p.unit.sse_tol)
        self.inhib = [self.model.layer_params[l.name].layer for l in self.lay_list]
        self.lay_inhib = {k: L(lambda p, k=k: getattr(p.layer.lay_inhib, k))
                          for k in ("gi", "ff", "fb", "ff0", "max_vs_avg")}
        self.lay_inhib["fb_dt"] = one / L(lambda p: p.layer.lay_inhib.fb_tau)
        self.lay_inhib["mva_zero"] = bool(np.all(self.lay_inhib["max_vs_avg"] == 0))
        self.lay_inhib_on = np.array([p.lay_inhib.on for p in self.inhib])
        self.self_fb = U(lambda p: p.layer.inhib_misc.self_fb)           # (leabra.md 4.5)
        self.self_dt = one / U(lambda p: p.layer.inhib_misc.self_tau)
        self.has_self_fb = bool(np.any(self.self_fb != 0))
        self.all_inhib_on = bool(self.lay_inhib_on.all())
        # pools (unit groups) of 4-D layers with unit_gp_inhib on
        self.pools = []
        for l, ls in zip(self.lay_list, self.inhib):
            if ls.unit_gp_inhib.on:
                if len(l.shape) != 4:
                    raise BackendError(f"layer '{l.name}': unit_gp_inhib.on needs a 4-D (GY, GX, UY, UX) shape")
                g = ls.unit_gp_inhib
                ng = l.shape[0] * l.shape[1]
                self.pools.append({"layer": l, "ng": ng, "ffi": np.zeros(ng, f), "fbi": np.zeros(ng, f),
                                   "g_i": np.zeros(ng, f), "acts_avg": np.zeros(ng, f),
                                   "p": {k: f(getattr(g, k)) for k in ("gi", "ff", "fb", "ff0", "max_vs_avg")}
                                   | {"fb_dt": one / f(g.fb_tau)}})
        kinds = [l.kind for l in self.lay_list]
        self.is_input = np.array([k is LayerKind.INPUT for k in kinds])
        self.is_target = np.array([k is LayerKind.TARGET for k in kinds])
        self.is_comp = np.array([k in (LayerKind.TARGET, LayerKind.OUTPUT) for k in kinds])
        self.is_hidden = np.array([k is LayerKind.HIDDEN for k in kinds])
        self.ext_flag = np.zeros(self.n_layers, dtype=bool)
        self.hard_clamped = np.zeros(self.n_layers, dtype=bool)
        self.unit_clamped = np.zeros(self.n_units, dtype=bool)
        self.free_runs: list[slice] = []
        self.net_ex = np.zeros(self.n_units, dtype=f)
        self.bias_abs = L(lambda p: p.bias.wt_scale.abs)
        self.bias_learn = np.array([self.model.layer_params[l.name].bias.learn for l in self.lay_list])
        self.bias_learn_u = np.repeat(self.bias_learn, self.sizes)
        self.bias_lrate = U(lambda p: p.bias.lrate)
        self.bias_dwt_thresh = U(lambda p: p.bias.dwt_thresh)
        self.any_bias = False
