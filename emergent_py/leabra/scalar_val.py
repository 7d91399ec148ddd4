"""ScalarValLayerSpec in the native core: one value per coding group (emergent-prjns.md section 4).

A coding group is a unit group of a 4-D layer, or the whole layer of a 2-D one; all ``n`` of its
units code the value, unit ``i`` preferring ``v_i = unit_range.min + i*incr`` with
``incr = range/(n-1)``. What the engine does, where emergent does it:

* **input** (:meth:`ScalarVals.apply_input`): the group's value goes to its unit 0: ``ext`` and
  ``ext_orig`` (INPUT) or ``targ`` (TARGET, OUTPUT), 4.3.1;
* **every quarter start**, after the layer's hard clamp (:meth:`ScalarVals.quarter_init`), for
  INPUT layers and for TARGET layers in the plus phase (where unit 0 copied ``targ`` to ``ext``
  and ``ext_orig``): ``x = ext_orig`` of unit 0 (clipped to ``val_range`` with ``clip_val``)
  into unit 0's ``misc_1``, every unit's ``ext`` from :func:`encode`, then hard clamped
  (``clamp.hard``) or left as soft-clamp input (4.3.2-4.3.4). It runs on the Python side for
  both kernels, before the quarter's constant net input is taken from ``ext``;
* **readout** (:meth:`ScalarVals.readout`, :func:`decode`) into unit 0's ``misc_1``: emergent
  computes it every cycle from ``act_eq``, which nothing else reads, so it is computed after
  every run of cycles (``Network.cycle()``, each cycle of a quarter with an observer, the end of
  every quarter): the value of the last cycle run, on either kernel (4.4);
* **end of the minus phase**: unit 0's ``misc_2 = misc_1`` (:meth:`ScalarVals.minus_end`);
* **sse** per group (:meth:`ScalarVals.sse`): ``targ - misc_2`` of unit 0, squared where at
  least ``sse_tol``, counted only where ``targ`` is in ``val_range``; the layer's is the sum over
  groups. emergent's cos_err and norm_err of a ScalarVal layer are not in the specification: the
  trial statistics give NaN for them (and for the network's means over layers), never a guess.

Refused (BackendError naming the layer and the member, before anything runs,
:func:`check_layer`): ``scalar.clamp_pat=1``, ``bias_val.un`` other than NO_UN and
``bias_val.wt`` other than NO_WT (the specification leaves the bias scale of BWT uncertain and
does not say which weight variables WT moves), and ``stats.sse_unit_avg`` / ``stats.sse_sqrt``
with a compared ScalarVal layer (its per-unit meaning is not specified).

All arithmetic is in the network's float type (float32 as emergent), in the order of the
formulas of 4.2 and 4.4; sums add in unit order (:func:`~.sums.seq_sum`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import BackendError
from ..spec.network import LayerKind
from .sums import seq_sum

#: Schraudolph's constants of emergent's fast exp (emergent-prjns.md 4.2): 2^20/ln 2, and the
#: high word of 1.0 less the correction 60801
EXP_A = 1048576.0 / math.log(2.0)
EXP_OFFSET = 1072693248 - 60801


def expfast(z) -> np.ndarray:
    """emergent's fast ``exp(z)`` as float32, bit for bit (emergent-prjns.md 4.2): the integer
    ``k = int(EXP_A*z + EXP_OFFSET)`` (z promoted to double; truncated toward zero) is the high
    32 bits of an IEEE double whose low 32 bits are 0, rounded to float.

    For z below about -709, k < 0: emergent's int then has the sign bit set (or overflows), a
    negative value or -0, which the coding's send threshold makes 0; here it is 0.
    ``expfast(0) = 0.97101``, ``expfast(-1) = 0.37483``, ``expfast(-0.5) = 0.61033``."""
    z64 = np.asarray(z, dtype=np.float32).astype(np.float64)
    k = np.trunc(EXP_A * z64 + EXP_OFFSET).astype(np.int64)
    d = (np.maximum(k, 0) << 32).view(np.float64)
    return np.where(k < 0, 0.0, d).astype(np.float32)


@dataclass(frozen=True)
class ScalarCoding:
    """The coding constants of one ScalarVal layer, in the working float type (emergent computes
    them in float: ``val_range`` here is recomputed from the members, not taken from the record)."""
    rep: str
    n: int                      # units per coding group
    vals: np.ndarray            # (n,) preferred value of each unit
    incr: np.floating
    umin: np.floating
    urange: np.floating
    width: np.floating          # GAUSSIAN width in value units
    aa_min: np.floating
    aa_range: np.floating
    vr_min: np.floating
    vr_max: np.floating
    clip_val: bool
    send_thr: bool
    min_sum_act: np.floating
    opt_send: np.floating       # the unit spec's opt_thresh.send
    clamp_lo: np.floating       # the unit spec's clamp_range
    clamp_hi: np.floating

    @classmethod
    def build(cls, spec, unit, n: int, dtype=np.float32) -> "ScalarCoding":
        """From the layer's ScalarValLayerSpec and UnitSpec records, ``n`` units per group."""
        f = dtype
        sc = spec.scalar
        umin, umax = f(spec.unit_range.min), f(spec.unit_range.max)
        urange = f(umax - umin)
        incr = f(urange / f(n - 1)) if n > 1 else f(0)
        vals = (umin + np.arange(n, dtype=f) * incr).astype(f)
        width = f(f(sc.un_width) * urange) if sc.norm_width else f(sc.un_width)
        vr_min, vr_max = umin, umax
        if sc.rep == "GAUSSIAN":
            half = f(f(0.5) * width)
            vr_min, vr_max = f(umin + half), f(umax - half)
        aa_min = f(spec.avg_act_range.min)
        return cls(sc.rep, n, vals, incr, umin, urange, width, aa_min,
                   f(f(spec.avg_act_range.max) - aa_min), vr_min, vr_max, sc.clip_val, sc.send_thr,
                   f(sc.min_sum_act), f(unit.opt_thresh.send), f(unit.clamp_range.min),
                   f(unit.clamp_range.max))

    def clip(self, x: np.ndarray) -> np.ndarray:
        """The input value as coded: clipped to val_range with clip_val."""
        return np.clip(x, self.vr_min, self.vr_max) if self.clip_val else x


def encode(c: ScalarCoding, x) -> np.ndarray:
    """The unit pattern ``(n_groups, n)`` of values ``x`` ``(n_groups,)`` (emergent-prjns.md 4.2),
    after :meth:`ScalarCoding.clip`; units below ``opt_thresh.send`` are 0."""
    f = c.vals.dtype.type
    x = np.asarray(x, dtype=f).reshape(-1, 1)
    if c.rep == "LOCALIST":             # 1 - |x - v_i|/incr, 0 beyond one incr
        d = np.abs(x - c.vals)
        a = np.where(d > c.incr, f(0), np.maximum(f(1) - d / c.incr, f(0)))
    elif c.rep == "GAUSSIAN":           # expfast(-((v_i - x)/w)^2), no 1/2
        t = (c.vals - x) / c.width
        a = expfast(-(t * t)).astype(f)
    else:                               # AVG_ACT: every unit the same activity
        a = np.broadcast_to(c.aa_min + (x - c.umin) / c.urange * c.aa_range, (x.shape[0], c.n))
    a = np.array(a, dtype=f)
    a[a < c.opt_send] = 0
    return a


def decode(c: ScalarCoding, act_eq) -> np.ndarray:
    """The value ``(n_groups,)`` that activities ``act_eq`` ``(n_groups, n)`` code
    (emergent-prjns.md 4.4): ``b_i = clip(act_eq, clamp_range)/clamp_range.max`` (0 below
    opt_thresh.send with send_thr); ``sum(v_i b_i)/max(sum(b_i), min_sum_act)``, or for AVG_ACT
    ``val_range.min + (mean(b) - aa.min)/(aa.max - aa.min) * (val_range.max - val_range.min)``."""
    f = c.vals.dtype.type
    act_eq = np.asarray(act_eq, dtype=f).reshape(-1, c.n)
    b = np.clip(act_eq, c.clamp_lo, c.clamp_hi) / c.clamp_hi
    if c.send_thr:
        b = np.where(act_eq < c.opt_send, f(0), b)
    sum_b = seq_sum(b, axis=1)
    if c.rep == "AVG_ACT":
        avg = sum_b / f(c.n)
        return (c.vr_min + ((avg - c.aa_min) / c.aa_range) * f(c.vr_max - c.vr_min)).astype(f)
    return (seq_sum(c.vals * b, axis=1) / np.maximum(sum_b, c.min_sum_act)).astype(f)


def check_layer(name: str, kind: LayerKind, spec, net_stats) -> None:
    """BackendError for what the native core does not implement of a ScalarVal layer (module doc)."""
    def refuse(what: str, fix: str) -> None:
        raise BackendError(f"ScalarVal layer '{name}': {what} is not supported by the native core; {fix}")
    if spec.scalar.clamp_pat:
        refuse("scalar.clamp_pat = true (the input is the whole unit pattern)",
               "use clamp_pat false (the input is one value per group) or run the model in emergent")
    if spec.bias_val.un != "NO_UN":
        refuse(f"bias_val.un = {spec.bias_val.un!r} (bias weights set from a value)",
               "use NO_UN or run the model in emergent")
    if spec.bias_val.wt != "NO_WT":
        refuse(f"bias_val.wt = {spec.bias_val.wt!r} (weights biased toward a value)",
               "use NO_WT or run the model in emergent")
    if kind in (LayerKind.TARGET, LayerKind.OUTPUT):
        for member in ("sse_unit_avg", "sse_sqrt"):
            if getattr(net_stats, member):
                refuse(f"the network's stats.{member} = true with this compared layer (what it means "
                       "for a ScalarVal layer's sse is not specified)", f"use stats.{member} false")


@dataclass
class _SVLayer:
    view: object                # the layer's LayerView
    coding: ScalarCoding
    unit0: np.ndarray           # network index of each group's unit 0
    groups: tuple[int, int]     # (GY, GX), (1, 1) for a 2-D layer


class ScalarVals:
    """The ScalarVal layers of a network and their steps (module doc); empty when it has none."""

    def __init__(self, net) -> None:
        self.layers: dict[str, _SVLayer] = {}
        nspec = net.model.network_params.network
        for l in net.lay_list:
            if not l.spec.is_scalar_val:
                continue
            p = net.model.layer_params[l.name]
            check_layer(l.name, l.kind, p.layer, nspec.stats)
            ng = l.spec.n_groups
            n = l.n // ng
            if not p.unit.clamp_range.max > 0:
                raise BackendError(f"ScalarVal layer '{l.name}': its readout divides by the unit spec's "
                                   f"clamp_range.max, which is {p.unit.clamp_range.max}; make it positive")
            groups = (l.shape[0], l.shape[1]) if len(l.shape) == 4 else (1, 1)
            self.layers[l.name] = _SVLayer(l, ScalarCoding.build(p.layer, p.unit, n, net.dtype),
                                           l.start + n * np.arange(ng), groups)

    def __bool__(self) -> bool:
        return bool(self.layers)

    def __contains__(self, name: str) -> bool:
        return name in self.layers

    def apply_input(self, net, name: str, vals: np.ndarray) -> None:
        """One value per group (4.3.1) to unit 0: ``ext`` and ``ext_orig`` for an INPUT layer,
        ``targ`` otherwise; the other units get nothing (their ``ext`` comes from the coding)."""
        sv, u = self.layers[name], net.units
        if sv.view.kind is LayerKind.INPUT:
            u["ext"][sv.unit0] = vals
            u["ext_orig"][sv.unit0] = vals
        else:
            u["targ"][sv.unit0] = vals

    def quarter_init(self, net) -> None:
        """The ScalarVal step of Quarter_Init (4.3.3), after the layers' hard clamp."""
        u = net.units
        for sv in self.layers.values():
            l = sv.view
            if l.kind in (LayerKind.HIDDEN, LayerKind.OUTPUT) or not net.ext_flag[l.index]:
                continue
            x = sv.coding.clip(u["ext_orig"][sv.unit0])
            u["misc_1"][sv.unit0] = x
            u["ext"][l.slice] = encode(sv.coding, x).reshape(-1)
            if net.hard_clamped[l.index]:
                net._hard_clamp(l.slice)

    def readout(self, net) -> None:
        """Unit 0's ``misc_1`` of every group: the value the current ``act_eq`` codes (4.4)."""
        u = net.units
        for sv in self.layers.values():
            u["misc_1"][sv.unit0] = decode(sv.coding, u["act_eq"][sv.view.slice])

    def minus_end(self, net) -> None:
        """End of the minus phase: unit 0's ``misc_2 = misc_1``."""
        u = net.units
        for sv in self.layers.values():
            u["misc_2"][sv.unit0] = u["misc_1"][sv.unit0]

    def sse(self, net, name: str, sse_tol: float) -> float:
        """The layer's sse (4.4): per group ``targ - misc_2`` of unit 0, squared where at least
        ``sse_tol`` (float64, as the other layers' sse), where ``targ`` is in val_range."""
        sv, u = self.layers[name], net.units
        targ = u["targ"][sv.unit0]
        ok = (targ >= sv.coding.vr_min) & (targ <= sv.coding.vr_max)
        e = targ.astype(np.float64) - u["misc_2"][sv.unit0].astype(np.float64)
        return float(np.sum(np.where(ok & (np.abs(e) >= sse_tol), e * e, 0.0)))

    def value(self, net, name: str):
        """The minus-phase value (``misc_2`` of unit 0): a float for a 2-D layer, a ``(GY, GX)``
        array for a layer with unit groups."""
        sv = self.layers[name]
        v = net.units["misc_2"][sv.unit0]
        return float(v[0]) if sv.groups == (1, 1) and len(sv.view.shape) == 2 else v.reshape(sv.groups).copy()
