"""Hodgkin-Huxley squid axon (1952), modern sign convention, vectorized RK4.

Units: mV, ms, uA/cm^2, mS/cm^2, uF/cm^2; rest -65 mV, 6.3 degC (rates unscaled)::

    C dV/dt = I - g_Na m^3 h (V - E_Na) - g_K n^4 (V - E_K) - g_L (V - E_L)
    dx/dt   = alpha_x(V) (1 - x) - beta_x(V) x,   x in {m, h, n}

Rate functions as in biophysical.md b.2. The squid axon is class-2 excitable: no repetitive
firing below about 6.2 uA/cm^2, then straight to about 50-55 Hz.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from emergent_py.errors import SpecError
from emergent_py.spec.fields import ParamGroup, param

from .analysis import spike_times

ps = dataclasses.dataclass(frozen=True, kw_only=True)


@ps
class HHParams(ParamGroup):
    """Hodgkin-Huxley membrane (defaults: HH 1952 squid axon, V_rest -65 mV)."""
    C: float = param(1.0, "membrane capacitance", min=1e-9, unit="uF/cm^2")
    g_Na: float = param(120.0, "maximal sodium conductance", min=0, unit="mS/cm^2")
    g_K: float = param(36.0, "maximal potassium conductance", min=0, unit="mS/cm^2")
    g_L: float = param(0.3, "leak conductance", min=0, unit="mS/cm^2")
    E_Na: float = param(50.0, "sodium reversal potential", unit="mV")
    E_K: float = param(-77.0, "potassium reversal potential", unit="mV")
    E_L: float = param(-54.387, "leak reversal potential (NEURON's hh: -54.3)", unit="mV")
    V_rest: float = param(-65.0, "initial potential; gates start at their steady state there", unit="mV")


HH_1952 = HHParams()


# shift and scale of the exponent of each rate function, so one exp call serves all six
_SHIFT = np.array([40.0, 65.0, 65.0, 35.0, 55.0, 65.0])
_SCALE = np.array([-10.0, -18.0, -20.0, -10.0, -10.0, -80.0])


def rates(v: np.ndarray) -> tuple[np.ndarray, ...]:
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) in 1/ms at potentials ``v`` (mV)."""
    v = np.asarray(v, float)
    u = (v + _SHIFT.reshape((6,) + (1,) * v.ndim)) / _SCALE.reshape((6,) + (1,) * v.ndim)
    for k in (0, 4):                              # removable singularities of alpha_m, alpha_n
        u[k] = np.where(np.abs(u[k]) < 1e-9, 1e-9, u[k])
    e = np.exp(u)
    a_m = u[0] / np.expm1(u[0])                   # 0.1 (V+40) / (1 - e^{-(V+40)/10})
    b_m = 4.0 * e[1]                              # 4 e^{-(V+65)/18}
    a_h = 0.07 * e[2]                             # 0.07 e^{-(V+65)/20}
    b_h = 1.0 / (1.0 + e[3])                      # 1 / (1 + e^{-(V+35)/10})
    a_n = 0.1 * u[4] / np.expm1(u[4])             # 0.01 (V+55) / (1 - e^{-(V+55)/10})
    b_n = 0.125 * e[5]                            # 0.125 e^{-(V+65)/80}
    return a_m, b_m, a_h, b_h, a_n, b_n


def steady_state(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gate values (m, h, n) at rest at potential ``v``."""
    a_m, b_m, a_h, b_h, a_n, b_n = rates(np.asarray(v, float))
    return a_m / (a_m + b_m), a_h / (a_h + b_h), a_n / (a_n + b_n)


@ps
class HHRun:
    """Output of :func:`simulate`: spike times per neuron, and traces (n_steps+1, n) if recorded."""
    spikes: tuple
    t: np.ndarray
    state: tuple               # final (V, m, h, n), each (n,): start a later run from here
    v: np.ndarray | None = None

    @property
    def counts(self) -> np.ndarray:
        return np.array([len(s) for s in self.spikes])


def simulate(current, *, t_stop: float, dt: float = 0.01, t_on: float = 0.0,
             p: HHParams = HH_1952, threshold: float = 0.0, record: bool = False, state0=None) -> HHRun:
    """Integrate a batch of HH membranes with classical RK4 under step currents.

    Parameters
    ----------
    current : (n,) float, current density (uA/cm^2) applied from ``t_on`` to the end
    t_stop, dt, t_on : run length, step and current onset (ms)
    p : membrane parameters
    threshold : spike detection level (mV): upward crossings, linearly interpolated
    record : keep the V trace
    state0 : optional (V, m, h, n) arrays to start from (default: rest at ``p.V_rest``)

    Returns
    -------
    HHRun with spike times (ms) per neuron.
    """
    amp = np.atleast_1d(np.asarray(current, float))
    n_steps = int(round(t_stop / dt))
    if n_steps < 1:
        raise SpecError(f"hh.simulate: t_stop {t_stop} ms is shorter than one step dt={dt} ms")
    if state0 is None:
        v = np.full(amp.shape, p.V_rest)
        m, h, n = (np.broadcast_to(x, amp.shape).copy() for x in steady_state(v))
    else:
        v, m, h, n = (np.broadcast_to(np.asarray(x, float), amp.shape).copy() for x in state0)
    y = np.stack([v, m, h, n])

    def deriv(y: np.ndarray, i_ext: np.ndarray) -> np.ndarray:
        v, m, h, n = y
        a_m, b_m, a_h, b_h, a_n, b_n = rates(v)
        i_ion = (p.g_Na * m ** 3 * h * (v - p.E_Na) + p.g_K * n ** 4 * (v - p.E_K) + p.g_L * (v - p.E_L))
        out = np.empty_like(y)
        out[0] = (i_ext - i_ion) / p.C
        out[1] = a_m - (a_m + b_m) * m
        out[2] = a_h - (a_h + b_h) * h
        out[3] = a_n - (a_n + b_n) * n
        return out

    t = np.arange(n_steps + 1) * dt
    vs = np.empty((n_steps + 1, amp.size))
    vs[0] = y[0]
    zero = np.zeros_like(amp)
    for k in range(n_steps):
        # the current switches at a step boundary, so each RK4 step sees one value
        i_k = amp if t[k] + 1e-9 >= t_on else zero
        k1 = deriv(y, i_k)
        k2 = deriv(y + 0.5 * dt * k1, i_k)
        k3 = deriv(y + 0.5 * dt * k2, i_k)
        k4 = deriv(y + dt * k3, i_k)
        y = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        vs[k + 1] = y[0]
    spikes = tuple(spike_times(vs, t, threshold))
    return HHRun(spikes=spikes, t=t, state=tuple(y), v=vs if record else None)


def fixed_point(current: float, p: HHParams = HH_1952) -> tuple[float, float, float, float]:
    """The resting state (V, m, h, n) under a constant ``current`` (uA/cm^2).

    Solves ``I = I_ion(V)`` with the gates at their steady state by bisection on [-100, 0] mV
    (the squid axon's steady-state I-V curve is monotonic). The state may be unstable (above
    the Hopf current, about 9.8 uA/cm^2).
    """
    def excess(v: float) -> float:
        m, h, n = steady_state(np.array(v))
        return float(p.g_Na * m ** 3 * h * (v - p.E_Na) + p.g_K * n ** 4 * (v - p.E_K)
                     + p.g_L * (v - p.E_L)) - current
    lo, hi = -100.0, 0.0
    if excess(lo) > 0 or excess(hi) < 0:
        raise SpecError(f"hh.fixed_point: no resting state for {current} uA/cm^2 in [-100, 0] mV")
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) < 0 else (lo, mid)
    v = 0.5 * (lo + hi)
    m, h, n = steady_state(np.array(v))
    return v, float(m), float(h), float(n)
