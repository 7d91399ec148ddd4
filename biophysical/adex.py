"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005), vectorized.

Units throughout this module: mV, ms, nS, pF, pA (so nS*mV = pA and pA*ms/pF = mV)::

    C dV/dt   = -g_L (V - E_L) + g_L Delta_T exp((V - V_T)/Delta_T) + I - w + g_e (E_e - V)
    tau_w dw/dt = a (V - E_L) - w
    V > V_peak:  V <- V_r,  w <- w + b   (then V is held for t_ref ms)

One :func:`simulate` call integrates a batch of neurons (an f-I sweep, or several parameter
sets) with explicit Euler, stepping exactly as Brian2 does (biophysical.md d.2), so that spike
times agree to the step. :func:`bifurcation` gives the analytic rheobase (Touboul & Brette 2008).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Sequence

import numpy as np

from emergent_py.errors import SpecError, did_you_mean
from emergent_py.spec.fields import ParamGroup, leaf_fields, param

from .units import EMERGENT, NormBase

ps = dataclasses.dataclass(frozen=True, kw_only=True)


@ps
class AdExParams(ParamGroup):
    """AdEx parameters in physical units. Defaults: the Brette-Gerstner 2005 cell."""
    C: float = param(281.0, "membrane capacitance", min=1e-9, unit="pF")
    g_L: float = param(30.0, "leak conductance", min=1e-9, unit="nS")
    E_L: float = param(-70.6, "leak reversal potential", unit="mV")
    V_T: float = param(-50.4, "threshold slope factor midpoint (rheobase potential of the exp term)", unit="mV")
    delta_T: float = param(2.0, "slope factor (sharpness of spike initiation)", min=1e-9, unit="mV")
    a: float = param(4.0, "subthreshold adaptation conductance", unit="nS")
    tau_w: float = param(144.0, "adaptation time constant", min=1e-9, unit="ms")
    b: float = param(80.5, "spike-triggered adaptation current increment", unit="pA")
    V_r: float = param(-70.6, "reset potential", unit="mV")
    V_peak: float = param(20.0, "spike cut: V above this is a spike", unit="mV")
    t_ref: float = param(0.0, "absolute refractory period (V held at V_r)", min=0, unit="ms")
    E_e: float = param(0.0, "excitatory reversal potential (conductance input)", unit="mV")

    @property
    def tau_m(self) -> float:
        """Membrane time constant C / g_L in ms."""
        return self.C / self.g_L

    def to_normalized(self, base: NormBase = EMERGENT) -> dict[str, float]:
        """These parameters in emergent's normalized units (biophysical.md a.2), keyed by field."""
        q = base.quantities()
        out = {k: q[v].to_norm(getattr(self, k)) for k, v in _QUANTITY.items()}
        out["b"] = q["current"].to_norm(self.b * 1e-3)       # pA -> nA -> norm
        return {k: float(f"{x:.12g}") for k, x in out.items()}

    @classmethod
    def from_normalized(cls, norm: dict[str, float], base: NormBase = EMERGENT) -> "AdExParams":
        """Inverse of :meth:`to_normalized`."""
        q = base.quantities()
        for k in norm:
            if k not in _QUANTITY and k != "b":
                raise SpecError(f"AdExParams.from_normalized: unknown field '{k}'."
                                + did_you_mean(k, [*_QUANTITY, "b"]))
        kw = {k: q[_QUANTITY[k]].to_bio(v) if k in _QUANTITY else q["current"].to_bio(v) * 1e3
              for k, v in norm.items()}
        return cls(**{k: float(f"{x:.12g}") for k, x in kw.items()})


#: the quantity of each AdExParams field in units.NormBase terms (b, in pA, is handled apart)
_QUANTITY = {"C": "capacitance", "g_L": "conductance", "a": "conductance", "E_L": "voltage",
             "V_T": "voltage", "V_r": "voltage", "V_peak": "voltage", "E_e": "voltage",
             "delta_T": "voltage difference", "tau_w": "time", "t_ref": "time"}


@ps
class AdExCase:
    """A named parameter set with the constant current (pA) that shows its firing pattern."""
    name: str
    params: AdExParams
    current: float
    pattern: str


BRETTE_GERSTNER_2005 = AdExParams()
"""Brette & Gerstner 2005 'regular spiking' cell (V_peak +20 mV as in the paper and emergent;
Brian2's example cuts at V_T + 5 Delta_T = -40.4 mV)."""

EMERGENT_BIOPARAMS = AdExParams(C=281.0, g_L=10.0, E_L=-70.0, V_T=-50.0, delta_T=2.0, a=0.0,
                                tau_w=144.0, b=0.0, V_r=-70.0, V_peak=20.0, t_ref=3.0)
"""emergent 8.5/8.6's SPIKE unit under BioParams defaults (no ``w``; KNa not modelled here)."""


def _naud(name, pattern, C, g_L, E_L, V_T, delta_T, a, tau_w, b, V_r, current):
    return AdExCase(name=name, pattern=pattern, current=current, params=AdExParams(
        C=C, g_L=g_L, E_L=E_L, V_T=V_T, delta_T=delta_T, a=a, tau_w=tau_w, b=b, V_r=V_r, V_peak=0.0))


#: The eight firing patterns of Naud et al. 2008, Table 1 (as transcribed in Brian2's example,
#: biophysical.md b.1): V_peak 0 mV, constant current from t = 0, 600 ms runs.
NAUD_2008: dict[str, AdExCase] = {c.name: c for c in [
    _naud("tonic", "tonic", 200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    _naud("adapting", "adapting", 200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    _naud("initial_burst", "initial burst", 130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    _naud("regular_bursting", "regular bursting", 200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
    _naud("delayed_accelerating", "delayed accelerating", 200, 12, -70, -50, 2, -10, 300, 0, -58, 300),
    _naud("delayed_regular_bursting", "delayed regular bursting", 100, 10, -65, -50, 2, -10, 90, 30, -47, 110),
    _naud("transient", "transient", 100, 10, -65, -50, 2, 10, 90, 100, -47, 180),
    _naud("irregular", "irregular", 100, 12, -60, -50, 2, -11, 130, 30, -48, 160),
]}


@ps
class SpikeTrains:
    """Output of a batch simulation.

    Attributes
    ----------
    spikes : tuple of n float64 arrays, the spike times (ms) of each neuron
    t : (n_steps,) float64, the start time of each step (ms)
    v, w : (n_steps, n) float64 traces at the *end* of each step, or None unless ``record``
    """
    spikes: tuple
    t: np.ndarray
    v: np.ndarray | None = None
    w: np.ndarray | None = None

    @property
    def counts(self) -> np.ndarray:
        """(n,) int: number of spikes per neuron."""
        return np.array([len(s) for s in self.spikes])


def step_current(amplitude, t_on: float, t_off: float = math.inf) -> Callable[[float], np.ndarray]:
    """I(t) = ``amplitude`` (array (n,) or scalar) for t_on <= t < t_off, else 0 (pA)."""
    amp = np.asarray(amplitude, dtype=float)

    def current(t: float) -> np.ndarray:
        return amp if t_on <= t + 1e-9 < t_off else np.zeros_like(amp)
    return current


def _batch(params: AdExParams | Sequence[AdExParams], n: int) -> dict[str, np.ndarray]:
    """Field -> (n,) array over a batch of parameter sets (one set broadcast to all n)."""
    if isinstance(params, AdExParams):
        params = [params] * n
    params = list(params)
    if len(params) != n:
        raise SpecError(f"adex.simulate: {len(params)} parameter sets for {n} neurons; give one "
                        f"set, or one per neuron")
    return {f.name: np.array([getattr(p, f.name) for p in params], dtype=float)
            for _, f in leaf_fields(AdExParams)}


def simulate(params: AdExParams | Sequence[AdExParams], current=0.0, *, t_stop: float,
             dt: float = 0.1, g_e=0.0, v0=None, w0=0.0, record: bool = False) -> SpikeTrains:
    """Integrate a batch of AdEx neurons with explicit Euler (Brian2's stepping).

    Parameters
    ----------
    params : one AdExParams for every neuron, or a sequence of n (one per neuron)
    current : injected current in pA: scalar, (n,) array, or a callable ``I(t_ms) -> (n,)``
        evaluated at the start of each step (see :func:`step_current`)
    t_stop : run length in ms; the number of steps is ``round(t_stop/dt)``
    dt : time step in ms
    g_e : excitatory conductance in nS with reversal ``E_e`` (scalar, (n,), or callable)
    v0, w0 : initial V (mV; default E_L) and w (pA)
    record : keep V and w traces

    Returns
    -------
    SpikeTrains; spike times follow Brian2: a step that starts at t and ends above V_peak
    records a spike at t.

    Notes
    -----
    All variables are updated from the old state; then neurons above ``V_peak`` (and not
    refractory) spike, V <- V_r, w <- w + b. While ``t - t_spike < t_ref`` V is held.
    """
    probe = current(0.0) if callable(current) else current
    probe_g = g_e(0.0) if callable(g_e) else g_e
    sizes = {np.size(probe), np.size(probe_g), 1 if isinstance(params, AdExParams) else len(params)}
    n = max(sizes)
    if sizes - {1, n}:
        raise SpecError(f"adex.simulate: {np.size(probe)} currents, {np.size(probe_g)} conductances and "
                        f"{1 if isinstance(params, AdExParams) else len(params)} parameter sets; give "
                        f"each once or once per neuron")
    p = _batch(params, n)
    n_steps = int(round(t_stop / dt))
    if n_steps < 1:
        raise SpecError(f"adex.simulate: t_stop {t_stop} ms is shorter than one step dt={dt} ms")
    v = np.broadcast_to(p["E_L"] if v0 is None else np.asarray(v0, float), (n,)).copy()
    w = np.broadcast_to(np.asarray(w0, float), (n,)).copy()
    last = np.full(n, -np.inf)
    spikes: list[list[float]] = [[] for _ in range(n)]
    t = np.arange(n_steps) * dt
    vs = np.empty((n_steps, n)) if record else None
    ws = np.empty((n_steps, n)) if record else None
    const_i = None if callable(current) else np.broadcast_to(np.asarray(current, float), (n,))
    const_g = None if callable(g_e) else np.broadcast_to(np.asarray(g_e, float), (n,))
    g_l, e_l, d_t, v_t, cap = p["g_L"], p["E_L"], p["delta_T"], p["V_T"], p["C"]
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(n_steps):
            tk = t[k]
            i_k = const_i if const_i is not None else current(tk)
            g_k = const_g if const_g is not None else g_e(tk)
            free = tk - last >= p["t_ref"]
            dv = (-g_l * (v - e_l) + g_l * d_t * np.exp((v - v_t) / d_t) + i_k - w
                  + g_k * (p["E_e"] - v)) / cap
            w = w + dt * (p["a"] * (v - e_l) - w) / p["tau_w"]
            v = np.where(free, v + dt * dv, v)
            fired = free & (v > p["V_peak"])
            if fired.any():
                for j in np.flatnonzero(fired):
                    spikes[j].append(tk)
                v = np.where(fired, p["V_r"], v)
                w = np.where(fired, w + p["b"], w)
                last = np.where(fired, tk, last)
            if record:
                vs[k], ws[k] = v, w
    return SpikeTrains(spikes=tuple(np.array(s) for s in spikes), t=t, v=vs, w=ws)


@ps
class Bifurcation:
    """Analytic onset of firing of an AdEx cell (Touboul & Brette 2008), currents in pA."""
    kind: str          # "saddle-node" or "Andronov-Hopf"
    I_SN: float        # current where the resting state meets the saddle
    I_H: float         # Hopf current (nan when the bifurcation is saddle-node)
    rheobase: float    # the one that applies

    def __str__(self) -> str:
        return f"{self.kind} bifurcation, rheobase {self.rheobase:.1f} pA"


def bifurcation(p: AdExParams) -> Bifurcation:
    """Rheobase of a constant current from the I-V curve ``I = (g_L+a)(V-E_L) - g_L dT e^((V-V_T)/dT)``.

    Saddle-node current ``I_SN = (g_L+a)(V_T - E_L - dT + dT ln(1 + a/g_L))``; the bifurcation is
    Andronov-Hopf when ``a/g_L > tau_m/tau_w``, at ``V_H = V_T + dT ln(1 + tau_m/tau_w)``,
    ``I_H = (g_L+a)(V_H - E_L) - g_L dT (1 + tau_m/tau_w)`` (biophysical.md b.1).
    """
    g, a, dt_ = p.g_L, p.a, p.delta_T
    if g + a <= 0:
        raise SpecError(f"AdEx: g_L + a = {g + a} nS <= 0 has no resting-state bifurcation")
    i_sn = (g + a) * (p.V_T - p.E_L - dt_ + dt_ * math.log(1 + a / g))
    ratio = p.tau_m / p.tau_w
    if a / g > ratio:
        v_h = p.V_T + dt_ * math.log(1 + ratio)
        i_h = (g + a) * (v_h - p.E_L) - g * dt_ * (1 + ratio)
        return Bifurcation(kind="Andronov-Hopf", I_SN=i_sn, I_H=i_h, rheobase=i_h)
    return Bifurcation(kind="saddle-node", I_SN=i_sn, I_H=math.nan, rheobase=i_sn)


def sustained_onset(p: AdExParams, currents: Sequence[float], *, t_stop: float = 3000.0,
                    t_settle: float = 1000.0, dt: float = 0.1) -> float:
    """The smallest current (pA) in ``currents`` that still fires after ``t_settle`` ms.

    One vectorized run of ``t_stop`` ms; ``nan`` when none of them keeps firing.
    """
    currents = np.sort(np.asarray(currents, float))
    run = simulate(p, currents, t_stop=t_stop, dt=dt)
    late = np.array([np.count_nonzero(s >= t_settle) for s in run.spikes])
    firing = np.flatnonzero(late > 0)
    return float(currents[firing[0]]) if firing.size else math.nan
