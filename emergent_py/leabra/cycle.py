"""The steps of one cycle (leabra.md 1.5), as a mixin of :class:`~.network.Network`.

Each method is one of emergent's named steps and works on the whole network's flat unit arrays
at once: send_netin_delta (3.1) -> compute_netin_integ (3.3) -> compute_netin_stats (4.3) ->
compute_inhib (FFFB, 4.2) -> compute_act (4.5, 5.2, 5.5) -> compute_act_post (7) ->
compute_act_stats. ``Network.cycle`` calls them in that order.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import BackendError
from .act import Nxx1Consts, fast_scalar, g_e_thr_consts, g_e_thr_from, inet_from_g, nxx1_eval
from .inhib import fffb


class CycleSteps:
    """Per-cycle steps; needs the state and constants that :class:`~.network.Network` builds."""

    def send_netin_delta(self) -> None:
        """Sender-based delta net input (leabra.md 3.1): only senders whose act moved send."""
        u = self.units
        act, sent = u["act"], u["act_sent"]
        above = act > self.send_thr
        d = act - sent
        send_up = above & (np.abs(d) > self.delta_thr)
        send_dn = (sent > self.send_thr) & ~above
        mask = send_up | send_dn
        counts = np.add.reduceat(mask, self.starts, dtype=np.int64).tolist()
        if not any(counts):
            return
        zero = self.dtype(0)
        # the sent change: act - act_sent going up, -act_sent when falling below threshold, else 0
        delta = np.where(send_up, d, np.where(send_dn, -sent, zero))
        np.copyto(sent, np.where(send_up, act, zero), where=mask)
        for l in self.lay_list:
            k = counts[l.index]
            if k == 0:
                continue
            dl = delta[l.slice]
            for p in self.send_prjns[l.name]:
                if not self.hard_clamped[p.recv.index]:
                    p.send_delta(dl, k, self.pending[p.recv.slice])

    def compute_netin_integ(self) -> None:
        """Net-input integration of non-clamped units (leabra.md 3.3)."""
        u = self.units
        for sl in self.free_runs:
            net_raw = u["net_raw"][sl]
            net_raw += self.pending[sl]
            self.pending[sl] = 0
            syn = net_raw if not isinstance(self.net_gain, np.ndarray) and self.net_gain == 1 \
                else self._c(self.net_gain, sl) * net_raw
            if self.has_net_ex:
                syn = syn + self.net_ex[sl]
            net = u["net"][sl]
            net += self._c(self.net_rate, sl) * (syn - net)
            np.maximum(net, 0, out=net)

    @staticmethod
    def _c(x, sl):
        return x[sl] if isinstance(x, np.ndarray) else x

    def compute_netin_stats(self) -> None:
        """Average and max net input per layer (leabra.md 4.3; net_thr 0: all units)."""
        net = self.units["net"]
        self.lay["net_avg"][:] = np.add.reduceat(net, self.starts) / self.sizes.astype(self.dtype)
        self.lay["net_max"][:] = np.maximum.reduceat(net, self.starts)

    def compute_inhib(self) -> None:
        """FFFB inhibition per layer (and pool), skipping hard-clamped layers (leabra.md 4.2)."""
        lay, p = self.lay, self.lay_inhib
        free = self.free_layers
        ffi, fbi, g_i = fffb(lay["net_avg"], lay["net_max"], lay["acts_avg"], lay["fbi"], p)
        # adapt_gi stays 1 (inhib_adapt is out of scope and rejected), so it is not multiplied in
        if not self.all_inhib_on:
            g_i = np.where(self.lay_inhib_on, g_i, self.dtype(0))
        np.copyto(lay["ffi"], ffi, where=free)
        np.copyto(lay["fbi"], fbi, where=free)
        np.copyto(lay["g_i"], g_i, where=free)
        if self.pools:
            self._pool_inhib()

    def _pool_inhib(self) -> None:
        u = self.units
        for pool in self.pools:
            l = pool["layer"]
            if self.hard_clamped[l.index]:
                continue
            net = u["net"][l.slice].reshape(pool["ng"], -1)
            ffi, fbi, g_i = fffb(net.mean(axis=1, dtype=self.dtype), net.max(axis=1), pool["acts_avg"],
                                 pool["fbi"], pool["p"])
            pool["ffi"][:], pool["fbi"][:] = ffi, fbi
            pool["g_i"][:] = np.maximum(g_i * self.lay["adapt_gi"][l.index], self.lay["g_i"][l.index])

    def _act_run(self, sl: slice) -> "_ActRun":
        r = self._act_runs.get((sl.start, sl.stop))
        if r is None:
            r = self._act_runs[(sl.start, sl.stop)] = _ActRun(self, sl)
        return r

    def compute_act(self) -> None:
        """Activation of non-clamped units (leabra.md 4.5, 5.2, 5.5)."""
        if self.pools:
            gi_unit = np.repeat(self.lay["g_i"], self.sizes)
            for pool in self.pools:
                l = pool["layer"]
                gi_unit[l.slice] = np.repeat(pool["g_i"], l.n // pool["ng"])
        else:
            gi_unit = None
        for sl in self.free_runs:
            r = self._act_run(sl)
            k = r.k
            # inhibition (4.5): gc_i = group g_i (+ gi_syn, 0 without inhibitory projections)
            if gi_unit is None:
                r.gc_i[:] = np.repeat(self.lay["g_i"][r.lay_lo:r.lay_hi], r.sizes)
            else:
                r.gc_i[:] = gi_unit[sl]
            g_e = r.net if k.unit_g_e else r.net * k.g_bar_e      # x 1 is exact: skip it
            g_i = r.gc_i if k.unit_g_i else r.gc_i * k.g_bar_i
            # v_m_eq (Euler; drives the activation) and v_m (midpoint, bookkeeping only, skipped
            # for t_r cycles after a reset): I(v) at both in one stacked evaluation
            v_eq, v_m = r.v_m_eq, r.v_m
            i_both = inet_from_g(np.stack((v_eq, v_m)), g_e, k.g_l, g_i, k.e_e, k.e_l, k.e_i)
            v_eq += k.vm_rate * i_both[0]
            np.minimum(v_eq, k.vm_hi, out=v_eq)
            np.maximum(v_eq, k.vm_lo, out=v_eq)
            i2 = inet_from_g(v_m + k.half_rate_cyc * i_both[1], g_e, k.g_l, g_i, k.e_e, k.e_l, k.e_i)
            if self.tot_cycle - self.last_spike > self.t_r:
                v_m += k.vm_rate_cyc * i2
                np.minimum(v_m, k.vm_hi, out=v_m)
                np.maximum(v_m, k.vm_lo, out=v_m)
                r.I_net[:] = i2
            else:
                v_new = v_m + k.vm_rate_cyc * i2
                np.minimum(v_new, k.vm_hi, out=v_new)
                np.maximum(v_new, k.vm_lo, out=v_new)
                run = self.tot_cycle > r.refr_until
                np.copyto(v_m, v_new, where=run)
                np.copyto(r.I_net, i2, where=run)
            # activation (5.5): sub-threshold regime on v_m_eq, else gelin on g_e
            sub = (r.act_raw < k.vm_act_thr) & (v_eq <= k.thr)
            x = np.where(sub, v_eq - k.thr, g_e - g_e_thr_from(g_i, k.ge_thr_c))
            a_new = nxx1_eval(x, k.nxx1)
            a_cur = r.act_nd
            a_new = a_cur + k.vm_rate * (a_new - a_cur)
            np.subtract(a_new, a_cur, out=r.da)
            r.act_raw[:] = a_new
            np.minimum(a_new, k.act_hi, out=a_new)
            np.maximum(a_new, k.act_lo, out=a_new)
            a_cur[:] = a_new
            r.act[:] = a_new
            r.act_eq[:] = a_new
            # spike bookkeeping on v_m
            spk = v_m > k.thr
            r.spike[:] = spk
            if spk.any():
                np.copyto(v_m, k.vm_r, where=spk)
                np.copyto(r.I_net, 0, where=spk)
                np.copyto(r.spk_t, self.tot_cycle, where=spk)
                if self.tot_cycle > 0:
                    np.copyto(r.refr_until, self.tot_cycle + self.t_r, where=spk)
                self.last_spike = self.tot_cycle

    def compute_act_post(self) -> None:
        """Running averages avg_ss, avg_s, avg_m and the learning averages (leabra.md 7), all units."""
        u = self.units
        a = u["act_nd"]
        k = self._post_k
        ss, s, m = u["avg_ss"], u["avg_s"], u["avg_m"]
        ss += k[0] * (a - ss)
        s += k[1] * (ss - s)
        m += k[2] * (s - m)
        np.add(k[3] * s, k[4] * m, out=u["ru_avg_s_lrn"])
        if self._same_lrn_m:        # su_lrn_m == ru_lrn_m (the default): the same numbers
            u["su_avg_s_lrn"][:] = u["ru_avg_s_lrn"]
        else:
            np.add(k[5] * s, k[6] * m, out=u["su_avg_s_lrn"])

    def compute_act_stats(self) -> None:
        """Average and max act per layer (and pool) for the next cycle's feedback inhibition."""
        act = self.units["act"]
        self.lay["acts_avg"][:] = np.add.reduceat(act, self.starts) / self.sizes.astype(self.dtype)
        self.lay["acts_max"][:] = np.maximum.reduceat(act, self.starts)
        for pool in self.pools:
            l = pool["layer"]
            pool["acts_avg"][:] = act[l.slice].reshape(pool["ng"], -1).mean(axis=1, dtype=self.dtype)

    def _check_finite(self) -> None:
        for v in ("act", "net", "v_m_eq"):
            x = self.units[v]
            if not np.isfinite(x).all():
                i = int(np.flatnonzero(~np.isfinite(x))[0])
                l = self.lay_list[int(np.searchsorted(self.starts, i, side="right") - 1)]
                raise BackendError(f"non-finite {v} = {x[i]} in layer '{l.name}' unit {i - l.start} at "
                                   f"cycle {self.cycle_n} of trial {self.total_trials} (tot_cycle "
                                   f"{self.tot_cycle}); check the parameters of that layer")


class _ActRun:
    """Views and constants of one contiguous run of non-clamped units (built once, cached)."""

    def __init__(self, net, sl: slice) -> None:
        u = net.units
        for v in ("net", "gc_i", "v_m_eq", "v_m", "spk_t", "I_net", "act_raw", "act_nd", "act", "act_eq",
                  "da", "spike"):
            setattr(self, v, u[v][sl])
        self.refr_until = net.refr_until[sl]
        lays = [l for l in net.lay_list if sl.start <= l.start and l.stop <= sl.stop]
        self.lay_lo, self.lay_hi = lays[0].index, lays[-1].index + 1
        self.sizes = net.sizes[self.lay_lo:self.lay_hi]
        c = lambda x: x[sl] if isinstance(x, np.ndarray) else x
        k = self.k = type("ActConsts", (), {})()
        for name in ("g_bar_e", "g_bar_i", "e_e", "e_l", "e_i", "vm_lo", "vm_hi", "vm_rate", "vm_rate_cyc",
                     "thr", "vm_act_thr", "act_lo", "act_hi", "vm_r"):
            setattr(k, name, c(getattr(net, name)))
        k.g_l = c(net.g_bar_l)
        k.half_rate_cyc = net.dtype(0.5) * k.vm_rate_cyc
        k.ge_thr_c = tuple(fast_scalar(c) for c in g_e_thr_consts(k.g_l, k.e_e, k.e_l, k.e_i, k.thr))
        k.nxx1 = (net.nxx1 if not isinstance(net.nxx1.gain, np.ndarray) else _slice_consts(net.nxx1, sl)).fast()
        for name, v in list(vars(k).items()):
            setattr(k, name, fast_scalar(v))
        k.unit_g_e = not isinstance(k.g_bar_e, np.ndarray) and k.g_bar_e == 1
        k.unit_g_i = not isinstance(k.g_bar_i, np.ndarray) and k.g_bar_i == 1


def _slice_consts(c: Nxx1Consts, sl: slice) -> Nxx1Consts:
    return replace(c, **{k: (v[sl] if isinstance(v, np.ndarray) else v)
                         for k, v in c.__dict__.items() if k != "dtype"})
