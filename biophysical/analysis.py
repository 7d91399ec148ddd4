"""Spike-train analysis: spike times, rates, ISIs, f-I curves and a Naud-pattern classifier.

Times are in ms, rates in Hz. Functions take one spike train (a 1-D array of spike times) or a
sequence of them (one per neuron of a batch, as returned by the integrators).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np


def spike_times(v: np.ndarray, t: np.ndarray, threshold: float = 0.0) -> list[np.ndarray]:
    """Upward crossings of ``threshold`` in voltage traces, linearly interpolated.

    Parameters
    ----------
    v : (n_steps,) or (n_steps, n) float, membrane potential (mV) sampled at times ``t``
    t : (n_steps,) float, sample times (ms)
    threshold : crossing level (mV)

    Returns
    -------
    list of n float64 arrays of spike times (ms), one per column of ``v``.
    """
    v = np.asarray(v, float)
    v2 = v[:, None] if v.ndim == 1 else v
    out = []
    for col in v2.T:
        k = np.flatnonzero((col[:-1] < threshold) & (col[1:] >= threshold))
        frac = (threshold - col[k]) / (col[k + 1] - col[k])
        out.append(t[k] + frac * (t[k + 1] - t[k]))
    return out


def firing_rate(spikes, t0: float, t1: float) -> float | np.ndarray:
    """Spike count in [t0, t1) divided by the window length, in Hz (per train for a sequence)."""
    if t1 <= t0:
        raise ValueError(f"firing_rate: empty window [{t0}, {t1}) ms")
    if _is_batch(spikes):
        return np.array([firing_rate(s, t0, t1) for s in spikes])
    s = np.asarray(spikes, float)
    return np.count_nonzero((s >= t0) & (s < t1)) * 1000.0 / (t1 - t0)


def isi(spikes) -> np.ndarray:
    """Inter-spike intervals (ms), ``(len(spikes)-1,)``."""
    return np.diff(np.asarray(spikes, float))


def cv(intervals) -> float:
    """Coefficient of variation std/mean of intervals (nan for fewer than two)."""
    x = np.asarray(intervals, float)
    return float(x.std() / x.mean()) if x.size >= 2 else math.nan


def adaptation_index(spikes) -> float:
    """Naud et al.'s A = mean_k (ISI_{k+1} - ISI_k)/(ISI_{k+1} + ISI_k): >0 adapting, <0 accelerating."""
    d = isi(spikes)
    if d.size < 2:
        return math.nan
    return float(np.mean((d[1:] - d[:-1]) / (d[1:] + d[:-1])))


def fi_curve(spikes: Sequence[np.ndarray], currents, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
    """(currents, rates in Hz over [t0, t1)) for a batch run over a sweep of currents."""
    currents = np.asarray(currents, float)
    if len(spikes) != currents.size:
        raise ValueError(f"fi_curve: {len(spikes)} spike trains for {currents.size} currents")
    return currents, firing_rate(list(spikes), t0, t1)


def _is_batch(spikes) -> bool:
    return isinstance(spikes, (list, tuple)) and (len(spikes) == 0 or np.ndim(spikes[0]) == 1)


# ----------------------------------------------------------------------------- Naud patterns

#: Thresholds of :func:`classify`; each is a ratio of two times, so the classifier has no unit.
DELAY_RATIO = 2.0          # first-spike latency > this x the mean late ISI: "delayed"
BURST_GAP = 3.0            # late ISIs fall in two groups whose gap is > this factor: bursting
IRREGULAR_CV = 0.25        # CV of late ISIs above this (and no burst structure): irregular
ONSET_JUMP = 3.0           # an early ISI jumps by > this factor: initial burst
ADAPT_RATIO = 1.5          # late ISI / first ISI above this: adapting; below its inverse: accelerating


@dataclasses.dataclass(frozen=True)
class FiringPattern:
    """Result of :func:`classify`: the pattern label and the features it was decided on."""
    label: str
    n_spikes: int
    latency: float         # ms to the first spike
    first_isi: float       # ms
    late_isi: float        # mean ISI (ms) of the intervals that start in the last 2/3 of the run
    late_cv: float
    burst_gap: float       # largest ratio between consecutive sorted late ISIs
    onset_jump: float      # largest ratio ISI_{k+1}/ISI_k among the first four ISIs

    def __str__(self) -> str:
        return (f"{self.label}: {self.n_spikes} spikes, latency {self.latency:.1f} ms, first ISI "
                f"{self.first_isi:.1f} ms, late ISI {self.late_isi:.1f} ms (CV {self.late_cv:.2f})")


def classify(spikes, t_stop: float, t_start: float = 0.0) -> FiringPattern:
    """Name the firing pattern of a response to a constant current switched on at ``t_start``.

    Labels: ``silent``, ``transient``, ``tonic``, ``adapting``, ``accelerating``,
    ``initial burst``, ``regular bursting``, ``irregular``, each but the first two possibly prefixed
    by ``delayed`` (Naud et al. 2008 name "delayed accelerating" and "delayed regular bursting").

    Decision rules, in order (thresholds are the module constants):

    1. no spike: silent; no spike in the second half of the run: transient;
    2. delayed when the latency exceeds ``DELAY_RATIO`` late ISIs;
    3. late ISIs (those starting after the first third) that split into a short and a long group
       more than ``BURST_GAP`` apart: regular bursting;
    4. late ISIs with CV above ``IRREGULAR_CV``: irregular;
    5. an ISI among the first four that jumps by more than ``ONSET_JUMP``: initial burst;
    6. late ISI / first ISI above ``ADAPT_RATIO``: adapting; below 1/ADAPT_RATIO: accelerating;
    7. otherwise tonic.
    """
    s = np.asarray(spikes, float) - t_start
    t_run = t_stop - t_start
    n = s.size
    nan = math.nan
    if n == 0:
        return FiringPattern("silent", 0, nan, nan, nan, nan, nan, nan)
    d = isi(s)
    if n < 3 or not np.any(s >= t_run / 2):
        return FiringPattern("transient", n, float(s[0]), float(d[0]) if d.size else nan, nan, nan, nan, nan)
    late = d[s[:-1] >= t_run / 3]
    if late.size < 2:
        late = d[-2:]
    srt = np.sort(late)
    gap = float(np.max(srt[1:] / srt[:-1]))
    early = d[:5]
    jump = float(np.max(early[1:] / early[:-1])) if early.size >= 2 else nan
    feat = dict(n_spikes=n, latency=float(s[0]), first_isi=float(d[0]), late_isi=float(late.mean()),
                late_cv=cv(late), burst_gap=gap, onset_jump=jump)
    delayed = "delayed " if feat["latency"] > DELAY_RATIO * feat["late_isi"] else ""
    if gap > BURST_GAP:
        base = "regular bursting"
    elif feat["late_cv"] > IRREGULAR_CV:
        base = "irregular"
    elif jump > ONSET_JUMP:
        base = "initial burst"
    elif feat["late_isi"] > ADAPT_RATIO * feat["first_isi"]:
        base = "adapting"
    elif feat["late_isi"] < feat["first_isi"] / ADAPT_RATIO:
        base = "accelerating"
    else:
        base = "tonic"
    return FiringPattern(delayed + base, **feat)
