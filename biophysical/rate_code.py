"""emergent's rate code against its spiking unit, in normalized units (biophysical.md c).

The rate code is ``act* = NXX1(g_e - g_e^Theta)`` (leabra.md 5.3-5.5; NXX1 is imported from the
native core, :func:`emergent_py.leabra.act.noisy_xx1`, never copied). The spiking unit is
emergent 8.5/8.6's SPIKE mode with ``ex`` off: a leaky integrate-and-fire unit integrated by the
midpoint rule, reset to ``vm_r`` above ``act.thr``, refractory for ``t_r`` cycles, and read out
as a rate from a running average of its inter-spike intervals (act 1 = 180 Hz). Both can carry
the three sodium-gated K+ (KNa) adaptation currents of 8.5+.

:func:`compare` runs the CCN textbook's neuron protocol (``SpikeVsRate`` of the ch2 neuron sim,
deterministic): one unit per g_e on a sweep, input on during cycles 10-160, act read at cycle 159.
``python -m emergent_py.biophysical.rate_code --plot out.png`` prints the table and draws it.

All functions are vectorized over a batch of units (one per g_e value). Time unit: cycles (ms).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys

import numpy as np

from emergent_py.errors import SpecError
from emergent_py.fileio import atomic_output
from emergent_py.leabra.act import g_e_thr, inet_from_g, noisy_xx1
from emergent_py.spec.fields import ParamGroup, param
from emergent_py.spec.params import ActParams, ChanParams, DtParams, UnitSpec

ps = dataclasses.dataclass(frozen=True, kw_only=True)


@ps
class KnaChannel(ParamGroup):
    """One sodium-gated K+ conductance (LeabraUnitSpec ``kna_adapt`` f/m/s, emergent >= 8.5)."""
    tau: float = param(50.0, "decay time constant", min=1e-9, unit="cycles")
    rise: float = param(0.05, "fraction of (max - g) added per spike", min=0, max=1)
    max: float = param(0.1, "maximum conductance (multiplied by g_bar.k)", min=0)


@ps
class KnaParams(ParamGroup):
    """The fast, medium and slow KNa channels (defaults from biophysical.md a.3)."""
    on: bool = param(True, "adaptation on")
    rate_rise: float = param(0.8, "rate code: conductance rises by act * rate_rise * rise per cycle", min=0)
    f: KnaChannel = dataclasses.field(default_factory=lambda: KnaChannel(tau=50.0, rise=0.05, max=0.1),
                                      metadata={"doc": "fast channel", "group": KnaChannel})
    m: KnaChannel = dataclasses.field(default_factory=lambda: KnaChannel(tau=200.0, rise=0.02, max=0.1),
                                      metadata={"doc": "medium channel", "group": KnaChannel})
    s: KnaChannel = dataclasses.field(default_factory=lambda: KnaChannel(tau=1000.0, rise=0.001, max=1.0),
                                      metadata={"doc": "slow channel", "group": KnaChannel})


@ps
class SpikeRateParams(ParamGroup):
    """Spike-to-rate readout of the SPIKE unit (LeabraUnitSpec ``spike`` members)."""
    act_max_hz: float = param(180.0, "firing rate that reads as act = 1", min=1e-9, unit="Hz")
    int_tau: float = param(5.0, "time constant of the ISI running average", min=1, unit="spikes")


def ccn_neuron_unit(*, gain: float = 30.0, nvar: float = 0.01) -> UnitSpec:
    """The unit of the CCN book's ch2 neuron sim (biophysical.md c.2) as a UnitSpec.

    g_bar.l 0.3, e_rev (e 1, l .3, i .25, k .25), g_bar.k 1, v_m init 0.3, dt.vm_tau 3.3,
    thr .5, vm_r .3, t_r 3 and the XX1 gain / nvar of the comparison (30 / .01).
    """
    return UnitSpec(act=ActParams(gain=gain, nvar=nvar),
                    g_bar=ChanParams(e=1.0, l=0.3, i=1.0, k=1.0),
                    e_rev=ChanParams(e=1.0, l=0.3, i=0.25, k=0.25),
                    dt=DtParams(vm_tau=3.3))


def g_e_threshold(unit: UnitSpec, g_i=0.0, g_k=0.0):
    """g_e^Theta: the excitatory conductance that holds v at ``act.thr`` (leabra.md 5.3, with g_k).

    The core's :func:`emergent_py.leabra.act.g_e_thr` has no K term, so it is added here.
    """
    thr, e = unit.act.thr, unit.e_rev
    return g_e_thr(g_i, unit.g_bar.l, e.e, e.l, e.i, thr) + g_k * (e.k - thr) / (thr - e.e)


def _inet(unit: UnitSpec, v, g_e, g_k):
    e = unit.e_rev
    return inet_from_g(v, g_e, unit.g_bar.l, 0.0, e.e, e.l, e.i) + g_k * (e.k - v)


def lif_rate(unit: UnitSpec, g_e) -> np.ndarray:
    """Closed-form firing rate (Hz) of the non-adapting spiking unit at constant ``g_e`` (CCN appendix).

    ``A = (g_e + g_l)/C``, ``V_inf = (g_e E_e + g_l E_l)/(g_e + g_l)``,
    ``T = ln((V_r - V_inf)/(Theta - V_inf))/A``, ``f = 1/(T + t_r)``; 0 where ``V_inf <= Theta``.
    ``C`` is ``dt.vm_tau``; times are cycles = ms.
    """
    g_e = np.asarray(g_e, float) * unit.g_bar.e
    g_l, e = unit.g_bar.l, unit.e_rev
    a = (g_e + g_l) / unit.dt.vm_tau
    v_inf = (g_e * e.e + g_l * e.l) / (g_e + g_l)
    fires = v_inf > unit.act.thr
    with np.errstate(divide="ignore", invalid="ignore"):
        t_isi = np.log((unit.spike_misc.vm_r - v_inf) / (unit.act.thr - v_inf)) / a + unit.spike_misc.t_r
    return np.where(fires, 1000.0 / t_isi, 0.0)


@ps
class UnitRun:
    """Result of :func:`run_spiking` / :func:`run_rate`.

    act : (n_steps, n) float64, activation after each step
    t : (n_steps,) float64, time (cycles) at the end of each step
    spikes : tuple of n arrays of spike times (cycles), empty tuples for the rate code
    """
    act: np.ndarray
    t: np.ndarray
    spikes: tuple = ()

    def act_at(self, cycle: float) -> np.ndarray:
        """(n,) activation at the end of the step that ends at ``cycle`` (to within half a step)."""
        k = int(np.argmin(np.abs(self.t - cycle)))
        if abs(self.t[k] - cycle) > 0.5 * (self.t[1] - self.t[0] if self.t.size > 1 else 1.0):
            raise SpecError(f"act_at: cycle {cycle} is outside the run (0..{self.t[-1]})")
        return self.act[k]


def _prepare(unit: UnitSpec, g_e, n_cycles: float, dt_integ: float, on: tuple[float, float],
             kna: KnaParams | None, v0: float | None):
    """Shared set-up of both units: step count, g_e (n,), input gate per step, KNa channels
    (empty when off), KNa conductances (3, n) and the initial potential (n,)."""
    n_steps = int(round(n_cycles / dt_integ))
    if n_steps < 1:
        raise SpecError(f"rate_code: n_cycles {n_cycles} is shorter than one step dt_integ={dt_integ}")
    g = np.atleast_1d(np.asarray(g_e, float))
    t_start = np.arange(n_steps) * dt_integ
    gate = (t_start + 1e-9 >= on[0]) & (t_start + 1e-9 < on[1])
    chans = [kna.f, kna.m, kna.s] if kna is not None and kna.on else []
    v = np.full(g.size, unit.init.v_m if v0 is None else v0)
    return n_steps, g, gate, chans, np.zeros((3, g.size)), v


def run_spiking(unit: UnitSpec, g_e, *, n_cycles: float, on: tuple[float, float] = (0.0, math.inf),
                dt_integ: float = 1.0, kna: KnaParams | None = None,
                rate: SpikeRateParams = SpikeRateParams(), v0: float | None = None) -> UnitRun:
    """emergent's SPIKE unit (``ex`` off) under a constant excitatory conductance.

    Parameters
    ----------
    unit : UnitSpec; uses act.thr, g_bar (e, l, k), e_rev, dt.vm_tau, spike_misc (vm_r, t_r),
        vm_range, init.v_m (or ``v0``)
    g_e : (n,) float, net input (times g_bar.e) while the input is on
    n_cycles : run length in cycles; ``on`` = [start, end) cycles of the input
    dt_integ : step in cycles (emergent's ``dt.integ``; 1 = one step per ms)
    kna : KNa adaptation (None or ``on=False``: off)

    Returns
    -------
    UnitRun with the rate readout ``act`` and the spike times.

    Notes
    -----
    Per step: V is held while ``0 <= t - t_spike <= t_r``; otherwise midpoint
    ``V_h = V + dt/2 * I(V)/C``, ``V += dt * I(V_h)/C`` (C = dt.vm_tau), clipped to vm_range;
    ``V > thr`` spikes and resets to vm_r. KNa: ``g += rise (max - g)`` on a spike, else
    ``g -= dt g / tau``. Rate: the ISI running average (first ISI taken as is, then
    ``+= (ISI - avg)/int_tau``; an interval running longer than the average counts as the
    average) gives ``act* = 1000/(act_max_hz * ISI)`` and ``act += dt/C (act* - act)``, clipped
    to [0, 1].
    """
    n_steps, g, gate, chans, gk, v = _prepare(unit, g_e, n_cycles, dt_integ, on, kna, v0)
    n = g.size
    cap, thr, vm_r, t_r = unit.dt.vm_tau, unit.act.thr, unit.spike_misc.vm_r, unit.spike_misc.t_r
    lo, hi = unit.vm_range.min, unit.vm_range.max
    act = np.zeros(n)
    last = np.full(n, -np.inf)
    isi_avg = np.full(n, np.nan)
    acts = np.empty((n_steps, n))
    spikes: list[list[float]] = [[] for _ in range(n)]
    zero = np.zeros(n)
    for k in range(n_steps):
        t = (k + 1) * dt_integ                      # time at the end of this step
        ge = g * unit.g_bar.e if gate[k] else zero
        g_k = unit.g_bar.k * gk.sum(axis=0) if chans else 0.0
        free = ~(t - last <= t_r + 1e-9)
        v_h = v + 0.5 * dt_integ / cap * _inet(unit, v, ge, g_k)
        v = np.where(free, np.clip(v + dt_integ / cap * _inet(unit, v_h, ge, g_k), lo, hi), v)
        fired = free & (v > thr)
        if fired.any():
            since = t - last
            first = np.isnan(isi_avg)
            isi_avg = np.where(fired & first & np.isfinite(since), since, isi_avg)
            isi_avg = np.where(fired & ~first, isi_avg + (since - isi_avg) / rate.int_tau, isi_avg)
            for j in np.flatnonzero(fired):
                spikes[j].append(t)
            v = np.where(fired, vm_r, v)
            last = np.where(fired, t, last)
        if chans:
            for c, ch in enumerate(chans):
                gk[c] = np.where(fired, gk[c] + ch.rise * (ch.max - gk[c]), gk[c] - dt_integ * gk[c] / ch.tau)
        isi_eff = np.where(np.isnan(isi_avg), np.inf, np.fmax(isi_avg, t - last))   # inf: no ISI yet
        target = 1000.0 / (rate.act_max_hz * isi_eff)
        act = np.clip(act + dt_integ / cap * (target - act), 0.0, 1.0)
        acts[k] = act
    return UnitRun(act=acts, t=(np.arange(n_steps) + 1) * dt_integ,
                   spikes=tuple(np.array(s) for s in spikes))


def run_rate(unit: UnitSpec, g_e, *, n_cycles: float, on: tuple[float, float] = (0.0, math.inf),
             dt_integ: float = 1.0, kna: KnaParams | None = None, v0: float | None = None) -> UnitRun:
    """emergent's NOISY_XX1 rate-code unit (leabra.md 5.2-5.5) under a constant conductance.

    Per step: Euler ``v_m_eq += dt/C I(v_m_eq)`` (clipped to vm_range); ``g_e^Theta`` includes
    the KNa conductance; sub-threshold branch ``NXX1(v_m_eq - thr)`` while ``act_raw <
    vm_act_thr`` and ``v_m_eq <= thr``, else ``NXX1(g_e - g_e^Theta)``; ``act += dt/C (act* -
    act)``; KNa ``g += dt (act * rate_rise * rise (max - g) - g/tau)``.
    """
    n_steps, g, gate, chans, gk, v_eq = _prepare(unit, g_e, n_cycles, dt_integ, on, kna, v0)
    n = g.size
    cap, thr = unit.dt.vm_tau, unit.act.thr
    lo, hi = unit.vm_range.min, unit.vm_range.max
    act_raw = np.zeros(n)
    act = np.zeros(n)
    acts = np.empty((n_steps, n))
    zero = np.zeros(n)
    for k in range(n_steps):
        ge = g * unit.g_bar.e if gate[k] else zero
        g_k = unit.g_bar.k * gk.sum(axis=0) if chans else 0.0
        v_eq = np.clip(v_eq + dt_integ / cap * _inet(unit, v_eq, ge, g_k), lo, hi)
        below = (act_raw < unit.act.vm_act_thr) & (v_eq <= thr)
        x = np.where(below, v_eq - thr, ge - g_e_threshold(unit, 0.0, g_k))
        new = noisy_xx1(x, unit.act, dtype=np.float64)
        act_raw = act + dt_integ / cap * (new - act)
        act = np.clip(act_raw, unit.act_range.min, unit.act_range.max)
        if chans:
            for c, ch in enumerate(chans):
                gk[c] = gk[c] + dt_integ * (act * kna.rate_rise * ch.rise * (ch.max - gk[c]) - gk[c] / ch.tau)
        acts[k] = act
    return UnitRun(act=acts, t=(np.arange(n_steps) + 1) * dt_integ)


# ----------------------------------------------------------------------------- CCN protocol

@ps
class RateVsSpike:
    """Result of :func:`compare`: both activations over the g_e sweep and their agreement."""
    g_e: np.ndarray            # (n,) swept excitatory conductance (GbarE)
    spike: np.ndarray          # (n,) spiking unit's rate readout at the read cycle
    rate: np.ndarray           # (n,) rate-code act at the read cycle
    g_e_theta: float           # g_e^Theta without adaptation: onset of firing
    gain: float
    nvar: float
    kna: bool
    stats_from: float          # mean/max gaps are over g_e > stats_from

    @property
    def gap(self) -> np.ndarray:
        return np.abs(self.spike - self.rate)

    @property
    def mean_gap(self) -> float:
        return float(self.gap[self.g_e > self.stats_from].mean())

    @property
    def max_gap(self) -> float:
        return float(self.gap[self.g_e > self.stats_from].max())

    def report(self) -> str:
        lines = [f"rate code (NXX1 gain {self.gain:g}, nvar {self.nvar:g}) vs spiking unit, "
                 f"KNa {'on' if self.kna else 'off'}; g_e^Theta = {self.g_e_theta:.4g}",
                 f"{'g_e':>6} {'spike':>7} {'rate':>7} {'|diff|':>7}"]
        lines += [f"{g:6.3f} {s:7.3f} {r:7.3f} {d:7.3f}"
                  for g, s, r, d in zip(self.g_e, self.spike, self.rate, self.gap)]
        lines.append(f"over g_e > {self.stats_from:g}: mean |spike - rate| = {self.mean_gap:.3f}, "
                     f"max = {self.max_gap:.3f}")
        return "\n".join(lines)


CCN_SWEEP = np.round(np.arange(0.1, 0.7 + 1e-9, 0.025), 3)
"""GbarE values of the CCN neuron sim's SpikeVsRate sweep: 0.1 to 0.7 in steps of 0.025."""


def compare(g_e=CCN_SWEEP, *, gain: float = 30.0, nvar: float = 0.01, kna: bool = True,
            on: tuple[float, float] = (10.0, 160.0), read_cycle: float = 159.0,
            stats_from: float = 0.15) -> RateVsSpike:
    """The CCN neuron protocol: spiking vs rate-code act over a sweep of g_e (deterministic).

    Input ``g_e`` is on during cycles ``on``; both activations are read at ``read_cycle``.
    ``gain=100, nvar=0.005`` are emergent's C++ defaults; the CCN sim uses 30 / 0.01.
    """
    unit = ccn_neuron_unit(gain=gain, nvar=nvar)
    k = KnaParams(on=kna)
    g = np.asarray(g_e, float)
    n_cycles = read_cycle + 1
    spk = run_spiking(unit, g, n_cycles=n_cycles, on=on, kna=k).act_at(read_cycle)
    rate = run_rate(unit, g, n_cycles=n_cycles, on=on, kna=k).act_at(read_cycle)
    return RateVsSpike(g_e=g, spike=spk, rate=rate, g_e_theta=float(g_e_threshold(unit)),
                       gain=gain, nvar=nvar, kna=kna, stats_from=stats_from)


def plot(results: list[RateVsSpike], path: str) -> None:
    """Draw spike and rate act against g_e for each result into a PNG (needs matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise SpecError("plotting needs matplotlib (pip install 'ldlc-emergent[plot]')") from e
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    drawn = set()
    for r in results:                      # one spiking curve per adaptation setting
        if r.kna not in drawn:
            drawn.add(r.kna)
            ax.plot(r.g_e, r.spike, "-", marker="o" if r.kna else "s", color="k" if r.kna else "0.55", ms=3,
                    label=f"spiking, KNa {'on' if r.kna else 'off'}")
    for r in results:
        ax.plot(r.g_e, r.rate, "--", label=f"rate NXX1 gain {r.gain:g}, nvar {r.nvar:g}, KNa "
                f"{'on' if r.kna else 'off'} (mean gap {r.mean_gap:.3f})")
    ax.axvline(results[0].g_e_theta, color="0.6", lw=0.8, ls=":")
    ax.text(results[0].g_e_theta, 0.02, " g_e^Theta", fontsize=7, color="0.4")
    ax.set_xlabel("g_e (GbarE, normalized; 1 = 100 nS)")
    ax.set_ylabel("act at cycle 159 (1 = 180 Hz)")
    ax.set_title("emergent rate code vs spiking unit (CCN neuron protocol)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    with atomic_output(path) as tmp:       # never leave a half-written PNG under the real name
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m emergent_py.biophysical.rate_code",
                                 description="emergent's rate code vs its spiking unit (CCN neuron protocol)")
    ap.add_argument("--plot", metavar="PNG", help="also draw the curves into this PNG (needs matplotlib)")
    args = ap.parse_args(argv)
    results = [compare(gain=30, nvar=0.01, kna=True), compare(gain=30, nvar=0.01, kna=False),
               compare(gain=100, nvar=0.005, kna=False)]     # emergent's C++ defaults
    print("\n\n".join(r.report() for r in results))
    if args.plot:
        plot(results, args.plot)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
