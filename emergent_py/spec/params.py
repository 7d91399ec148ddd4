"""Parameter records with emergent 8.6 member names and C++ 8.6.x code defaults.

Source: ../shared/spec/leabra.md section 12 (defaults) and the member lists that emergent writes
into every project (``act {thr=0.5: gain=100: ...}``). Values are the *code* defaults, which
differ from the LeabraStd template in a few places (ss_tau, targ_init, rule, dwt_norm.lr_comp,
e_rev.k): always take the values of the project you compare against.

Top-level records:

* :class:`UnitSpec`  (LeabraUnitSpec)   set by layer selectors, e.g. ``act.gain``, ``g_bar.l``
* :class:`LayerSpec` (LeabraLayerSpec)  set by layer selectors, e.g. ``lay_inhib.gi``
* :class:`BiasSpec`  (LeabraBiasSpec)   set by layer selectors with the ``bias.`` prefix
* :class:`ConSpec`   (LeabraConSpec)    set by projection selectors, e.g. ``wt_scale.rel``
* :class:`NetworkSpec` (LeabraNetwork)  set by the ``Network`` selector, e.g. ``stats.cnt_err_tol``

Time unit: cycles (1 cycle = 1 ms). Potentials and conductances are emergent's normalized units
(see ``emergent_py.biophysical.units`` for the physical mapping).
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from .fields import ParamGroup, derived, group, param

ON = "on: enable this mechanism"
UNSUPPORTED = " (the native core rejects on=true)"
QTRS = ("Q1", "Q2", "Q3", "Q4", "Q2|Q4", "Q1|Q2|Q3|Q4")
RND_TYPES = ("NONE", "UNIFORM", "BINOMIAL", "POISSON", "GAMMA", "GAUSSIAN", "BETA")

ps = dataclasses.dataclass(frozen=True, kw_only=True)


# ------------------------------------------------------------------------------- unit spec

@ps
class ActParams(ParamGroup):
    """Rate-code activation function (LeabraActFunSpec, NOISY_XX1), leabra.md 5.4."""
    thr: float = param(0.5, "firing threshold on v_m", unit="normalized V")
    gain: float = param(100.0, "gain of the X/(X+1) rate function", min=0)
    nvar: float = param(0.005, "variance of the noise convolved with XX1", min=1e-12)
    avg_correct: float = param(1.0, "correction of the sending layer's expected activity", min=0)
    vm_act_thr: float = param(0.01, "act_raw below this (and v_m_eq <= thr): sub-threshold regime", min=0)
    sig_mult: float = param(0.33, "multiplier on the sigmoid below threshold")
    sig_mult_pow: float = param(0.8, "power of gain*nvar in sig_mult_eff")
    sig_gain: float = param(3.0, "gain of the sigmoid below threshold")
    interp_range: float = param(0.01, "range above threshold bridged linearly", min=1e-12)
    gain_cor_range: float = param(10.0, "range (in nvar units) of the gain correction", min=1e-12)
    gain_cor: float = param(0.1, "gain correction near threshold")
    sig_gain_nvar: float = derived("sig_gain / nvar")
    sig_mult_eff: float = derived("sig_mult * (gain*nvar)^sig_mult_pow")
    sig_val_at_0: float = derived("0.5 * sig_mult_eff")
    interp_val: float = derived("XX1gc(interp_range) - sig_val_at_0")

    def _derive(self) -> dict[str, Any]:
        sig_mult_eff = self.sig_mult * (self.gain * self.nvar) ** self.sig_mult_pow
        x = self.interp_range
        c = (self.gain_cor_range - x / self.nvar) / self.gain_cor_range
        gx = self.gain * x if c < 0 else self.gain * (1 - self.gain_cor * c) * x
        return dict(sig_gain_nvar=self.sig_gain / self.nvar, sig_mult_eff=sig_mult_eff,
                    sig_val_at_0=0.5 * sig_mult_eff, interp_val=gx / (gx + 1) - 0.5 * sig_mult_eff)


@ps
class ActMiscParams(ParamGroup):
    """Miscellaneous activation settings (LeabraActMiscSpec)."""
    rec_nd: bool = param(True, "record act_nd (not act) as act_q*, act_m, act_p")
    avg_nd: bool = param(True, "running averages use act_nd")
    dif_avg: bool = param(False, "act_dif uses avg_s - avg_m")
    net_gain: float = param(1.0, "multiplier on the synaptic net input", min=0)
    avg_trace: bool = param(False, "act_avg as an exponential trace")
    lambda_: float = param(0.0, "trace decay for avg_trace", min=0, max=1)
    avg_tau: float = param(200.0, "time constant of act_avg", min=1, unit="trials")
    avg_init: float = param(0.15, "initial avg_ss/avg_s/avg_m and act_avg", min=0, max=1)
    avg_dt: float = derived("1 / avg_tau")

    def _derive(self):
        return dict(avg_dt=1.0 / self.avg_tau)


@ps
class OptThreshParams(ParamGroup):
    """Sender-based net-input thresholds (LeabraOptThreshSpec), leabra.md 3.1."""
    send: float = param(0.1, "a unit sends only when act is above this", min=0)
    delta: float = param(0.005, "minimum change of act that is sent", min=0)


@ps
class RangeParams(ParamGroup):
    """A [min, max] range (MinMaxRange)."""
    min: float = param(0.0, "lower bound")
    max: float = param(1.0, "upper bound")
    range: float = derived("max - min")
    scale: float = derived("1 / range")

    def _derive(self):
        rng = self.max - self.min
        return dict(range=rng, scale=(1.0 / rng) if rng else 1.0)


def _range(lo: float, hi: float, doc: str) -> Any:
    return dataclasses.field(default_factory=lambda: RangeParams(min=lo, max=hi),
                             metadata={"doc": doc, "group": RangeParams})


@ps
class InitParams(ParamGroup):
    """Initial unit state (LeabraInitSpec)."""
    v_m: float = param(0.4, "initial membrane potential", unit="normalized V")
    act: float = param(0.0, "initial activation")
    netin: float = param(0.0, "initial (and baseline) net input")


@ps
class DtParams(ParamGroup):
    """Integration time constants (LeabraDtSpec)."""
    integ: float = param(1.0, "overall rate multiplier", min=0)
    vm_tau: float = param(3.3, "v_m and activation time constant (a capacitance)", min=1, unit="cycles")
    net_tau: float = param(1.4, "net input time constant", min=1, unit="cycles")
    vm_cyc: int = param(1, "midpoint v_m sub-steps per cycle", min=1)
    fast_cyc: int = param(0, "cycles at trial start with v_m at equilibrium", min=0)
    vm_dt: float = derived("1 / vm_tau")
    vm_dt_cyc: float = derived("vm_dt / vm_cyc")
    net_dt: float = derived("1 / net_tau")

    def _derive(self):
        vm_dt = 1.0 / self.vm_tau
        return dict(vm_dt=vm_dt, vm_dt_cyc=vm_dt / self.vm_cyc, net_dt=1.0 / self.net_tau)


@ps
class ActAvgParams(ParamGroup):
    """Running averages avg_ss/avg_s/avg_m for learning (LeabraActAvgSpec), leabra.md 7."""
    ss_tau: float = param(4.0, "super-short time constant (templates and Go: 2)", min=1, unit="cycles")
    s_tau: float = param(2.0, "short time constant", min=1, unit="cycles")
    m_tau: float = param(10.0, "medium time constant", min=1, unit="cycles")
    ru_lrn_m: float = param(0.1, "share of avg_m in the receiver's short learning average", min=0, max=1)
    su_lrn_m: float = param(0.1, "share of avg_m in the sender's short learning average", min=0, max=1)
    ss_dt: float = derived("1 / ss_tau")
    s_dt: float = derived("1 / s_tau")
    m_dt: float = derived("1 / m_tau")
    ru_lrn_s: float = derived("1 - ru_lrn_m")
    su_lrn_s: float = derived("1 - su_lrn_m")

    def _derive(self):
        return dict(ss_dt=1.0 / self.ss_tau, s_dt=1.0 / self.s_tau, m_dt=1.0 / self.m_tau,
                    ru_lrn_s=1.0 - self.ru_lrn_m, su_lrn_s=1.0 - self.su_lrn_m)


@ps
class AvgLParams(ParamGroup):
    """Long-term floating threshold avg_l (LeabraAvgLSpec), leabra.md 9.1."""
    init: float = param(0.4, "initial avg_l", min=0)
    gain: float = param(2.5, "avg_l moves toward gain * avg_m", min=0)
    min: float = param(0.2, "floor of avg_l", min=0)
    tau: float = param(10.0, "time constant", min=1, unit="trials")
    lrn_max: float = param(0.5, "BCM learning share at the highest avg_l", min=0)
    lrn_min: float = param(0.0001, "BCM learning share at the lowest avg_l", min=0)
    lay_act_thr: float = param(0.01, "avg_l updates only if the layer's acts_p_avg reaches this", min=0)
    dt: float = derived("1 / tau")
    lrn_fact: float = derived("(lrn_max - lrn_min) / (gain - min)")

    def _derive(self):
        span = self.gain - self.min
        return dict(dt=1.0 / self.tau, lrn_fact=(self.lrn_max - self.lrn_min) / span if span else 0.0)


@ps
class AvgLModParams(ParamGroup):
    """Modulation of the BCM share by error (LeabraAvgLModSpec)."""
    mod: str = param("LAY_ERR_MOD", "modulation source", choices=("NO_MOD", "LAY_ERR_MOD", "NET_ERR_MOD"))
    lay_mod_min: float = param(0.01, "minimum layer modulation", min=0)
    net_mod_min: float = param(0.5, "minimum network modulation", min=0)
    net_err_start: float = param(0.5, "network error where modulation starts", min=0)
    net_err_end: float = param(1.0, "network error where modulation ends", min=0)


@ps
class ChanParams(ParamGroup):
    """Per-channel values e (excitatory), l (leak), i (inhibitory), k (adaptation)."""
    e: float = param(1.0, "excitatory")
    l: float = param(0.2, "leak")
    i: float = param(1.0, "inhibitory")
    k: float = param(0.2, "K adaptation")


@ps
class SpikeMiscParams(ParamGroup):
    """Spike reset values; for rate code only the bookkeeping v_m reset uses them."""
    vm_r: float = param(0.3, "v_m after a spike", unit="normalized V")
    t_r: int = param(3, "refractory cycles", min=0, unit="cycles")


@ps
class OnParams(ParamGroup):
    """A mechanism that is off by default and outside the native core's scope."""
    on: bool = param(False, ON + UNSUPPORTED)


@ps
class NoiseTypeParams(ParamGroup):
    """Where noise enters (LeabraUnitSpec::noise_type)."""
    type: str = param("NO_NOISE", "noise type" + UNSUPPORTED.replace("on=true", "any other"),
                      choices=("NO_NOISE", "VM_NOISE", "NETIN_NOISE", "ACT_NOISE", "NET_MULT_NOISE"))
    trial_fixed: bool = param(True, "draw noise once per trial")


@ps
class UnitSpec(ParamGroup):
    """LeabraUnitSpec (emergent 8.6 code defaults)."""
    EMERGENT_TYPE: ClassVar[str] = "LeabraUnitSpec"
    act_fun: str = param("NOISY_XX1", "activation function", choices=("NOISY_XX1", "SPIKE"))
    act: ActParams = group(ActParams, "rate-code activation function")
    act_misc: ActMiscParams = group(ActMiscParams, "miscellaneous activation settings")
    opt_thresh: OptThreshParams = group(OptThreshParams, "sender-based net-input thresholds")
    clamp_range: RangeParams = _range(0.0, 0.95, "range of clamped activations")
    act_range: RangeParams = _range(0.0, 1.0, "range of activations")
    vm_range: RangeParams = _range(0.0, 2.0, "range of membrane potentials")
    init: InitParams = group(InitParams, "initial state")
    dt: DtParams = group(DtParams, "time constants")
    act_avg: ActAvgParams = group(ActAvgParams, "running averages for learning")
    avg_l: AvgLParams = group(AvgLParams, "long-term average and BCM share")
    avg_l_mod: AvgLModParams = group(AvgLModParams, "error modulation of the BCM share")
    g_bar: ChanParams = group(ChanParams, "maximal conductances")
    e_rev: ChanParams = dataclasses.field(default_factory=lambda: ChanParams(e=1.0, l=0.3, i=0.25, k=0.25),
                                          metadata={"doc": "reversal potentials", "group": ChanParams})
    spike_misc: SpikeMiscParams = group(SpikeMiscParams, "spike reset")
    sse_tol: float = param(0.5, "errors smaller than this count as 0 in sse", min=0)
    kna_adapt: OnParams = group(OnParams, "sodium-gated potassium adaptation")
    stp: OnParams = group(OnParams, "short-term plasticity")
    syn_delay: OnParams = group(OnParams, "synaptic delay")
    deep: OnParams = group(OnParams, "DeepLeabra")
    da_mod: OnParams = group(OnParams, "dopamine modulation")
    noise_type: NoiseTypeParams = group(NoiseTypeParams, "noise")


# ------------------------------------------------------------------------------- layer spec

@ps
class InhibParams(ParamGroup):
    """FFFB inhibition (LeabraInhibSpec), leabra.md 4."""
    on: bool = param(True, "compute this level of inhibition")
    gi: float = param(1.8, "overall inhibition gain", min=0)
    ff: float = param(1.0, "feed-forward gain", min=0)
    fb: float = param(1.0, "feedback gain", min=0)
    fb_tau: float = param(1.4, "feedback time constant", min=1, unit="cycles")
    max_vs_avg: float = param(0.0, "0: ff uses avg net, 1: max net", min=0, max=1)
    ff0: float = param(0.1, "feed-forward offset", min=0)
    fb_dt: float = derived("1 / fb_tau")

    def _derive(self):
        return dict(fb_dt=1.0 / self.fb_tau)


def _inhib(on: bool, doc: str) -> Any:
    return dataclasses.field(default_factory=lambda: InhibParams(on=on),
                             metadata={"doc": doc, "group": InhibParams})


@ps
class AvgActParams(ParamGroup):
    """Expected layer activity, used for net-input scaling (LeabraAvgActSpec), leabra.md 8.1."""
    targ_init: float = param(0.15, "initial expected activity (LeabraStd template: 0.2)", min=0, max=1)
    fixed: bool = param(False, "keep targ_init, never adapt")
    use_ext_act: bool = param(False, "use the external input's activity")
    use_first: bool = param(True, "first trial's value replaces targ_init")
    tau: float = param(100.0, "time constant of the running average", min=1, unit="trials")
    adjust: float = param(1.0, "multiplier on the effective average", min=0)
    dt: float = derived("1 / tau")

    def _derive(self):
        return dict(dt=1.0 / self.tau)


@ps
class InhibAdaptParams(ParamGroup):
    """Adaptive inhibition (off by default)."""
    on: bool = param(False, ON + UNSUPPORTED)
    tol_pct: float = param(0.25, "tolerance", min=0)
    trial_interval: int = param(100, "trials between adaptations", min=1)
    tau: float = param(200.0, "time constant", min=1)


@ps
class InhibMiscParams(ParamGroup):
    """Miscellaneous inhibition settings (LeabraInhibMisc)."""
    net_thr: float = param(0.0, "net-input threshold for the ff statistic", min=0)
    thr_rel: bool = param(True, "net_thr is relative to the previous max")
    self_fb: float = param(0.0, "self feedback inhibition", min=0)
    self_tau: float = param(1.4, "self feedback time constant", min=1)
    fb_up_immed: bool = param(False, "feedback jumps up immediately")
    self_dt: float = derived("1 / self_tau")

    def _derive(self):
        return dict(self_dt=1.0 / self.self_tau)


@ps
class ClampParams(ParamGroup):
    """Clamping of input (and plus-phase target) layers (LeabraClampSpec), leabra.md 6."""
    hard: bool = param(True, "hard clamp: act = ext")
    gain: float = param(0.2, "soft-clamp gain", min=0)
    avg: bool = param(False, "soft clamp mixes in the average")
    avg_gain: float = param(0.2, "weight of the average in soft clamp", min=0, max=1)


@ps
class DecayParams(ParamGroup):
    """State decay at trial start (LayerDecaySpec), leabra.md 10.3."""
    trial: float = param(1.0, "1 = full reset of activations at each trial", min=0, max=1)


@ps
class DelInhibParams(ParamGroup):
    """Delayed inhibition from previous net input (off by default)."""
    on: bool = param(False, ON + UNSUPPORTED)
    prv_trl: float = param(0.0, "share of the previous trial's net", min=0)
    prv_q: float = param(0.0, "share of the previous quarter's net", min=0)


@ps
class CosDiffParams(ParamGroup):
    """Cosine difference between minus and plus phase (LeabraCosDiffSpec), leabra.md 8.2."""
    avg_tau: float = param(100.0, "time constant of the running average", min=1, unit="trials")
    lrate_mod: bool = param(False, "modulate the layer learning rate by cos_diff")
    lrmod_fm_trc: bool = param(False, "take the modulation from a TRC layer")
    lrmod_z_thr: float = param(-1.5, "z threshold for the modulation")
    set_net_unlrn: bool = param(False, "mark the trial unlearnable below the threshold")
    avg_dt: float = derived("1 / avg_tau")
    avg_dt_c: float = derived("1 - avg_dt")

    def _derive(self):
        return dict(avg_dt=1.0 / self.avg_tau, avg_dt_c=1.0 - 1.0 / self.avg_tau)


@ps
class LayerSpec(ParamGroup):
    """LeabraLayerSpec (emergent 8.6 code defaults)."""
    EMERGENT_TYPE: ClassVar[str] = "LeabraLayerSpec"
    lay_inhib: InhibParams = _inhib(True, "layer-level FFFB inhibition")
    unit_gp_inhib: InhibParams = _inhib(False, "sub-group (pool) inhibition for 4-D layers")
    lay_gp_inhib: InhibParams = _inhib(False, "layer-group inhibition" + UNSUPPORTED)
    avg_act: AvgActParams = group(AvgActParams, "expected activity")
    inhib_adapt: InhibAdaptParams = group(InhibAdaptParams, "adaptive inhibition")
    inhib_misc: InhibMiscParams = group(InhibMiscParams, "miscellaneous inhibition")
    clamp: ClampParams = group(ClampParams, "clamping")
    decay: DecayParams = group(DecayParams, "trial decay")
    del_inhib: DelInhibParams = group(DelInhibParams, "delayed inhibition")
    lay_lrate: float = param(1.0, "layer learning-rate multiplier", min=0)
    cos_diff: CosDiffParams = group(CosDiffParams, "cosine difference")


# ------------------------------------------------------------------------------- con spec

@ps
class WtScaleParams(ParamGroup):
    """Projection scaling (WtScaleSpec), leabra.md 3.2."""
    abs: float = param(1.0, "absolute scale", min=0)
    rel: float = param(1.0, "relative scale among projections into a layer", min=0)
    no_plus_net: bool = param(False, "send only the minus-phase value in the plus phase")


@ps
class RndParams(ParamGroup):
    """Initial-weight distribution (Random); UNIFORM var is the half-range."""
    type: str = param("UNIFORM", "distribution", choices=RND_TYPES)
    mean: float = param(0.5, "mean")
    var: float = param(0.25, "half-range (UNIFORM) or variance", min=0)
    par: float = param(1.0, "extra distribution parameter")


@ps
class WtLimitsParams(ParamGroup):
    """Weight limits and symmetry (WeightLimits)."""
    type: str = param("MIN_MAX", "which limits apply", choices=("NONE", "GT_MIN", "LT_MAX", "MIN_MAX"))
    min: float = param(0.0, "minimum weight")
    max: float = param(1.0, "maximum weight")
    sym: bool = param(True, "symmetrize reciprocal weights at init")
    sym_fm_top: bool = param(False, "symmetrize from the top-down side")


@ps
class RuleParams(ParamGroup):
    """Learning rule choice (LeabraLearnRuleSpec), leabra.md 9.4."""
    rule: str = param("XCAL_CHL", "learning rule (wizard and LeabraStd: DELTA_FF_FB)",
                      choices=("XCAL_CHL", "DELTA_FF_FB", "EXPT"))
    errule: str = param("XCAL", "error-driven part of EXPT", choices=("XCAL", "DELTA"))
    bcmrule: str = param("SRS", "BCM part of EXPT", choices=("SRS", "CP", "RS"))
    cp_gain: float = param(0.8, "gain for the CP variant", min=0)


@ps
class XcalParams(ParamGroup):
    """XCAL check-mark function (LeabraXCalSpec), leabra.md 9.2."""
    m_lrn: float = param(1.0, "weight of error-driven learning", min=0)
    set_l_lrn: bool = param(False, "use l_lrn instead of the unit's avg_l_lrn")
    l_lrn: float = param(1.0, "fixed BCM share when set_l_lrn", min=0)
    d_rev: float = param(0.1, "reversal point as a fraction of the threshold", min=1e-12, max=0.99)
    d_thr: float = param(0.0001, "below this, no weight change", min=0)
    thr_p_min: float = param(0.001, "minimum threshold (8.5.2 variant only)", min=0)
    lrn_thr: float = param(0.01, "senders with avg_s and avg_m below this skip learning", min=0)
    d_rev_ratio: float = derived("-(1 - d_rev) / d_rev")

    def _derive(self):
        return dict(d_rev_ratio=-(1.0 - self.d_rev) / self.d_rev)


@ps
class WtSigParams(ParamGroup):
    """Sigmoidal contrast enhancement of weights (WtSigSpec), leabra.md 9.6."""
    gain: float = param(6.0, "sigmoid gain", min=0)
    off: float = param(1.0, "sigmoid offset", min=0)
    soft_bound: bool = param(True, "soft bounding of weight changes")


@ps
class DwtNormParams(ParamGroup):
    """Normalization of weight changes (LeabraDwtNorm), leabra.md 9.5."""
    on: bool = param(True, "normalize dwt by its running maximum")
    level: str = param("SEND_CONS", "level at which the maximum is shared",
                       choices=("SYN", "SEND_CONS", "RECV_CONS", "SEND_UNIT", "RECV_UNIT"))
    decay_tau: float = param(1000.0, "decay time constant of the running maximum", min=1, unit="trials")
    norm_min: float = param(0.001, "minimum normalizer", min=0)
    lr_comp: float = param(0.15, "learning-rate compensation (LeabraStd template: 0.2)", min=0)
    stats: bool = param(False, "record normalization statistics")
    decay_dt: float = derived("1 / decay_tau")
    decay_dt_c: float = derived("1 - decay_dt")

    def _derive(self):
        return dict(decay_dt=1.0 / self.decay_tau, decay_dt_c=1.0 - 1.0 / self.decay_tau)


@ps
class MomentumParams(ParamGroup):
    """Momentum on weight changes (LeabraMomentum), leabra.md 9.5."""
    on: bool = param(True, "use momentum")
    m_tau: float = param(10.0, "momentum time constant", min=1, unit="trials")
    lr_comp: float = param(0.1, "learning-rate compensation", min=0)
    m_dt: float = derived("1 / m_tau")
    m_dt_c: float = derived("1 - m_dt")

    def _derive(self):
        return dict(m_dt=1.0 / self.m_tau, m_dt_c=1.0 - 1.0 / self.m_tau)


@ps
class WtBalParams(ParamGroup):
    """Weight balance (LeabraWtBalance), leabra.md 9.7."""
    on: bool = param(True, "balance weights every wt_bal_int trials")
    avg_thr: float = param(0.25, "weights below this are left out of the average", min=0)
    hi_thr: float = param(0.4, "high threshold", min=0)
    hi_gain: float = param(4.0, "gain above hi_thr", min=0)
    lo_thr: float = param(0.4, "low threshold", min=0)
    lo_gain: float = param(6.0, "gain below lo_thr", min=0)
    act_thr: float = param(0.25, "activity threshold", min=0)
    act_gain: float = param(0.0, "gain on activity above act_thr", min=0)
    no_targ: bool = param(True, "skip receivers in target layers")


@ps
class ConSpec(ParamGroup):
    """LeabraConSpec (emergent 8.6 code defaults)."""
    EMERGENT_TYPE: ClassVar[str] = "LeabraConSpec"
    inhib: bool = param(False, "an inhibitory projection")
    feedback: bool = param(False, "a top-down (feedback) projection (used by DELTA_FF_FB)")
    learn: bool = param(True, "weights learn")
    learn_qtr: str = param("Q4", "quarters at whose end dwt is computed", choices=QTRS)
    lrate: float = param(0.04, "learning rate", min=0)
    use_unlearnable: bool = param(True, "skip learning on trials flagged unlearnable")
    wt_scale: WtScaleParams = group(WtScaleParams, "projection scaling")
    rnd: RndParams = group(RndParams, "initial weights")
    wt_limits: WtLimitsParams = group(WtLimitsParams, "weight limits and symmetry")
    rule: RuleParams = group(RuleParams, "learning rule")
    xcal: XcalParams = group(XcalParams, "XCAL function")
    wt_sig: WtSigParams = group(WtSigParams, "weight contrast enhancement")
    dwt_norm: DwtNormParams = group(DwtNormParams, "dwt normalization")
    momentum: MomentumParams = group(MomentumParams, "momentum")
    wt_bal: WtBalParams = group(WtBalParams, "weight balance")
    adapt_scale: OnParams = group(OnParams, "adaptive weight scale")
    slow_wts: OnParams = group(OnParams, "slow weights")
    margin: OnParams = group(OnParams, "margin learning")
    dwt_share: OnParams = group(OnParams, "dwt sharing")


@ps
class BiasSpec(ParamGroup):
    """LeabraBiasSpec: the bias weight of every unit in a layer; leabra.md 9.8."""
    EMERGENT_TYPE: ClassVar[str] = "LeabraBiasSpec"
    learn: bool = param(False, "bias weights learn")
    lrate: float = param(0.04, "learning rate", min=0)
    dwt_thresh: float = param(0.1, "minimum |avg_s - avg_m| for a bias change", min=0)
    wt_scale: WtScaleParams = group(WtScaleParams, "bias scaling (abs is used)")
    rnd: RndParams = dataclasses.field(default_factory=lambda: RndParams(mean=0.0, var=0.0),
                                       metadata={"doc": "initial bias weights", "group": RndParams})


# ------------------------------------------------------------------------------- network

@ps
class TimesParams(ParamGroup):
    """Network time settings (LeabraTimes)."""
    quarter: int = param(25, "cycles per quarter", min=1, unit="cycles")
    wt_bal_int: int = param(10, "trials between weight-balance updates", min=1, unit="trials")


@ps
class LStatsParams(ParamGroup):
    """Leabra statistics settings (LeabraNetStats)."""
    trg_max_act_crit: float = param(0.5, "target max act for rt_cycles", min=0)
    on_errs: bool = param(True, "norm_err counts units on that should be off")
    off_errs: bool = param(True, "norm_err counts units off that should be on")
    agg_unlearnable: bool = param(False, "include unlearnable trials in epoch averages")


@ps
class StatsParams(ParamGroup):
    """Network error statistics settings (NetStatsSpecs)."""
    cnt_err_tol: float = param(0.0, "a trial is an error if sse exceeds this", min=0)
    sse_unit_avg: bool = param(False, "divide sse by the number of target units")
    sse_sqrt: bool = param(False, "square-root the sse")
    cos_err: bool = param(True, "compute cos_err")


@ps
class NetworkSpec(ParamGroup):
    """LeabraNetwork members that shape the algorithm (emergent 8.6 defaults).

    The weight-update mode and small_batch_n live on the run plan."""
    EMERGENT_TYPE: ClassVar[str] = "LeabraNetwork"
    times: TimesParams = group(TimesParams, "time settings")
    lstats: LStatsParams = group(LStatsParams, "Leabra statistics")
    stats: StatsParams = group(StatsParams, "error statistics")
