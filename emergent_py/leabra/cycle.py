"""The steps of one cycle (leabra.md 1.5), as a mixin of :class:`~.network.Network`.

Each method is one of emergent's named steps and works on the whole network's flat unit arrays
at once: send_netin_delta (3.1) -> compute_netin_integ (3.3) -> compute_netin_stats (4.3) ->
compute_inhib (FFFB, 4.2) -> compute_act (4.5, 5.2, 5.5) -> compute_act_post (7) ->
compute_act_stats. ``Network.cycle`` calls them in that order.
"""
from __future__ import annotations

import numpy as np

from ..errors import BackendError
from .act import const, g_e_thr_consts, inet_into, nxx1_into
from .inhib import fffb
from .sums import segment_sums, seq_sum


class CycleSteps:
    """Per-cycle steps; needs the state and constants that :class:`~.network.Network` builds.

    Every numpy call writes into a preallocated buffer (``out=``) and every scalar constant is a
    0-d array of the working dtype (:func:`~.act.const`): at the benchmark's small sizes a cycle
    is ~150 numpy calls on arrays of a few hundred floats, so per-call dispatch, not arithmetic,
    is the cost. Each buffered step performs the same float operations in the same order as the
    formula it implements, so results are bitwise those of the plain expressions."""

    def _cycle_buffers(self) -> None:
        """Scratch arrays and constants of the per-cycle steps (built once per network)."""
        f, n = self.dtype, self.n_units
        C = lambda v: const(v, f)
        self._delta = np.zeros(n, f)
        self._send_up = np.zeros(n, bool)
        self._send_dn = np.zeros(n, bool)
        self._send_mask = np.zeros(n, bool)
        self._send_tmp = np.zeros(n, f)
        self._send_thr = C(self.send_thr)
        self._delta_thr = C(self.delta_thr)
        self._post_tmp = np.zeros(n, f)
        self._post_k = [C(x) for x in (self.ss_rate, self.s_rate, self.m_rate, self.ru_lrn_s, self.ru_lrn_m,
                                       self.su_lrn_s, self.su_lrn_m)]
        self._sizes_f = self.sizes.astype(f)
        self._starts_l = [int(a) for a in self.starts]
        self._stops_l = [int(a) + int(n) for a, n in zip(self.starts, self.sizes)]
        self._sum_work = np.zeros(self.n_units, f)
        L = self.n_layers
        self._lay_tmp = np.zeros((3, L), f)
        self._lay_bool = np.zeros(L, bool)
        p = self.lay_inhib
        self._fffb_k = {k: C(p[k]) for k in ("gi", "ff", "fb", "ff0", "max_vs_avg", "fb_dt")}
        self._zero = C(0)

    def _numpy_plan(self) -> None:
        """This quarter's views of the non-clamped units and send plan, which only these numpy
        steps use (with the C kernel they are built when a step is first called in a quarter)."""
        self._quarter_runs = [self._act_run(sl) for sl in self.free_runs]
        self._quarter_plan()
        self._numpy_plan_stale = False

    def _quarter_plan(self) -> None:
        """Per quarter: which projections send (receiver not hard clamped), per sending layer."""
        self._send_plan = []
        for l in self.lay_list:
            prjns = [p for p in self.send_prjns[l.name] if not self.hard_clamped[p.recv.index]]
            self._send_plan.append((l.slice, [(p, (self.pending_gi if p.con.inhib else self.pending)[p.recv.slice])
                                              for p in prjns]))
        for p in self.prjn_list:
            p.scale_k = const(p.scale_eff, self.dtype)

    def send_netin_delta(self) -> None:
        """Sender-based delta net input (leabra.md 3.1): only senders whose act moved send."""
        if self._numpy_plan_stale:
            self._numpy_plan()
        u = self.units
        act, sent = u["act"], u["act_sent"]
        up, dn, mask, d = self._send_up, self._send_dn, self._send_mask, self._send_tmp
        np.greater(act, self._send_thr, out=up)                 # above the send threshold
        np.greater(sent, self._send_thr, out=dn)
        np.greater(dn, up, out=dn)                              # was above, now not: un-send
        np.subtract(act, sent, out=d)
        delta = self._delta
        np.absolute(d, out=delta)
        np.greater(delta, self._delta_thr, out=mask)
        np.logical_and(up, mask, out=up)                        # above and moved by > delta
        np.logical_or(up, dn, out=mask)
        counts = np.add.reduceat(mask, self.starts, dtype=np.int64).tolist()
        if not any(counts):
            return
        # the sent change: act - act_sent going up, -act_sent when falling below threshold, else 0
        delta.fill(0)
        np.copyto(delta, d, where=up)
        np.negative(sent, out=d)                                # (cheaper than a masked negative)
        np.copyto(delta, d, where=dn)
        np.copyto(sent, act, where=up)
        np.copyto(sent, self._zero, where=dn)
        for k, (sl, targets) in zip(counts, self._send_plan):
            if k == 0 or not targets:
                continue
            dl = delta[sl]
            for p, pend in targets:
                p.send_delta(dl, k, pend)

    def compute_netin_integ(self) -> None:
        """Net-input integration of non-clamped units (leabra.md 3.3)."""
        if self._numpy_plan_stale:
            self._numpy_plan()
        for r in self._quarter_runs:
            net_raw = r.net_raw
            np.add(net_raw, r.pending, out=net_raw)
            r.pending.fill(0)
            syn = net_raw
            if not r.unit_net_gain:
                syn = np.multiply(r.net_gain, net_raw, out=r.tmp)
            if self.has_net_ex:
                syn = np.add(syn, r.net_ex, out=r.tmp)
            net, t = r.net, r.tmp
            np.subtract(syn, net, out=t)                        # net += rate * (syn - net)
            np.multiply(r.net_rate, t, out=t)
            np.add(net, t, out=net)
            np.maximum(net, self._zero, out=net)
            if self.has_inhib:      # inhibitory projections (4.5): gi_syn toward gi_raw, floor 0
                np.add(r.gi_raw, r.pending_gi, out=r.gi_raw)
                r.pending_gi.fill(0)
                np.subtract(r.gi_raw, r.gi_syn, out=t)
                np.multiply(r.net_rate, t, out=t)
                np.add(r.gi_syn, t, out=r.gi_syn)
                np.maximum(r.gi_syn, self._zero, out=r.gi_syn)

    def compute_netin_stats(self) -> None:
        """Average and max net input per layer (leabra.md 4.3; net_thr 0: all units)."""
        net, lay = self.units["net"], self.lay
        segment_sums(net, self._starts_l, self._stops_l, lay["net_avg"], self._sum_work)
        np.divide(lay["net_avg"], self._sizes_f, out=lay["net_avg"])
        np.maximum.reduceat(net, self.starts, out=lay["net_max"])

    def compute_inhib(self) -> None:
        """FFFB inhibition per layer (and pool), skipping hard-clamped layers (leabra.md 4.2).

        The same formula as :func:`~.inhib.fffb` (which pools use), into buffers."""
        lay, p = self.lay, self._fffb_k
        free = self.free_layers
        ffi, fbi, g_i = self._lay_tmp
        b = self._lay_bool
        net_avg = lay["net_avg"]
        if self.lay_inhib["mva_zero"]:      # avg + 0 * (max - avg) is exactly avg
            ff_netin = net_avg
        else:
            ff_netin = np.subtract(lay["net_max"], net_avg, out=g_i)
            np.multiply(p["max_vs_avg"], ff_netin, out=ff_netin)
            np.add(net_avg, ff_netin, out=ff_netin)
        np.subtract(ff_netin, p["ff0"], out=ffi)                # ff * (ff_netin - ff0) if > ff0 else 0
        np.multiply(p["ff"], ffi, out=ffi)
        np.greater(ff_netin, p["ff0"], out=b)
        np.logical_not(b, out=b)
        np.copyto(ffi, self._zero, where=b)
        np.multiply(p["fb"], lay["acts_avg"], out=fbi)          # fbi + fb_dt * (fb * acts_avg - fbi)
        np.subtract(fbi, lay["fbi"], out=fbi)
        np.multiply(p["fb_dt"], fbi, out=fbi)
        np.add(lay["fbi"], fbi, out=fbi)
        np.add(ffi, fbi, out=g_i)                               # gi * (ffi + fbi)
        np.multiply(p["gi"], g_i, out=g_i)
        # adapt_gi stays 1 (inhib_adapt is out of scope and rejected), so it is not multiplied in
        if not self.all_inhib_on:
            np.copyto(g_i, self._zero, where=~self.lay_inhib_on)
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
            ffi, fbi, g_i = fffb(seq_sum(net, axis=1) / self.dtype(net.shape[1]), net.max(axis=1), pool["acts_avg"],
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
        if self._numpy_plan_stale:
            self._numpy_plan()
        if self.pools:
            gi_unit = np.repeat(self.lay["g_i"], self.sizes)
            for pool in self.pools:
                l = pool["layer"]
                gi_unit[l.slice] = np.repeat(pool["g_i"], l.n // pool["ng"])
        else:
            gi_unit = None
        for r in self._quarter_runs:
            k = r.k
            # inhibition (4.5): gc_i = group g_i (+ gi_syn, 0 without inhibitory projections)
            if gi_unit is None:
                self.lay["g_i"].take(r.unit_layer, out=r.gc_i)
            else:
                r.gc_i[:] = gi_unit[r.sl]
            if self.has_self_fb:    # gi_self += self_dt * (self_fb * act - gi_self), previous act
                t = r.tmp
                np.multiply(r.self_fb, r.act, out=t)
                np.subtract(t, r.gi_self, out=t)
                np.multiply(r.self_dt, t, out=t)
                np.add(r.gi_self, t, out=r.gi_self)
            if self.has_inhib or self.has_self_fb:   # + adapt_gi * (gi_syn + gi_self) (gi_ex: 0, off)
                adapt = self.lay["adapt_gi"].take(r.unit_layer)
                if not self.has_self_fb:
                    inh = r.gi_syn
                else:
                    inh = r.gi_syn + r.gi_self if self.has_inhib else r.gi_self
                r.gc_i += adapt * inh
            # conductances (g_e, g_l, g_i) as the rows of r.G (g_l fixed): x 1 is exact, skipped
            G = r.G
            g_e, g_i = G[0, 0], G[2, 0]
            if k.unit_g_e:
                np.copyto(g_e, r.net)
            else:
                np.multiply(r.net, k.g_bar_e, out=g_e)
            if k.unit_g_i:
                np.copyto(g_i, r.gc_i)
            else:
                np.multiply(r.gc_i, k.g_bar_i, out=g_i)
            # v_m (midpoint, bookkeeping only, skipped for t_r cycles after a reset; row 0) and
            # v_m_eq (Euler; drives the activation; row 1): rows of one (2, n) view of the state
            vv, I, T = r.vv, r.I, r.T
            v_m, v_eq = vv[0], vv[1]
            inet_into(vv, G, k.E, I, r.W2)                          # I(v_m), I(v_m_eq)
            v_half = np.multiply(I[0], k.half_rate_cyc, out=T[0])
            np.add(v_m, v_half, out=v_half)
            inet_into(v_half, G[:, 0], k.E[:, 0], I[0], r.W1)       # I2 = I(v_half)
            np.multiply(I, k.rates, out=T)              # vm_dt_cyc * I2, vm_dt * I(v_m_eq)
            np.add(vv, T, out=T)
            np.minimum(T, k.vm_hi, out=T)
            np.maximum(T, k.vm_lo, out=T)
            if self.tot_cycle - self.last_spike > self.t_r:
                vv[...] = T
                r.I_net[:] = I[0]
            else:
                v_eq[:] = T[1]
                run = np.greater(self.tot_cycle, r.refr_until, out=r.mask2)
                np.copyto(v_m, T[0], where=run)
                np.copyto(r.I_net, I[0], where=run)
            # activation (5.5): sub-threshold regime on v_m_eq, else gelin on g_e
            sub, m = r.mask, r.mask2
            np.less(r.act_raw, k.vm_act_thr, out=sub)
            np.less_equal(v_eq, k.thr, out=m)
            np.logical_and(sub, m, out=sub)
            x = r.x
            c_i, c_l, c_d = k.ge_thr_c                  # g_e - g_e_thr = g_e - (g_i*c_i + c_l)/c_d
            np.multiply(g_i, c_i, out=x)
            np.add(x, c_l, out=x)
            np.divide(x, c_d, out=x)
            np.subtract(g_e, x, out=x)
            np.subtract(v_eq, k.thr, out=r.tmp)        # (a masked ufunc call costs 2 calls)
            np.copyto(x, r.tmp, where=sub)
            a_new = nxx1_into(x, k.nxx1, r.a_new, r.work, m, r.work64)
            a_cur = r.act_nd
            np.subtract(a_new, a_cur, out=a_new)        # a_cur + vm_dt * (a_new - a_cur)
            np.multiply(k.vm_rate, a_new, out=a_new)
            np.add(a_cur, a_new, out=a_new)
            np.subtract(a_new, a_cur, out=r.da)
            r.act_raw[:] = a_new
            np.minimum(a_new, k.act_hi, out=a_new)
            np.maximum(a_new, k.act_lo, out=r.act)
            r.act3[1:] = r.act                          # act_eq = act_nd = act
            # spike bookkeeping on v_m
            spk = np.greater(v_m, k.thr, out=r.spike)
            if np.logical_or.reduce(spk):
                spk = spk != 0
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
        t = self._post_tmp
        ss, s, m = u["avg_ss"], u["avg_s"], u["avg_m"]
        for x, src, rate in ((ss, a, k[0]), (s, ss, k[1]), (m, s, k[2])):   # x += rate * (src - x)
            np.subtract(src, x, out=t)
            np.multiply(rate, t, out=t)
            np.add(x, t, out=x)
        ru = u["ru_avg_s_lrn"]
        np.multiply(k[3], s, out=ru)
        np.multiply(k[4], m, out=t)
        np.add(ru, t, out=ru)
        if self._same_lrn_m:        # su_lrn_m == ru_lrn_m (the default): the same numbers
            u["su_avg_s_lrn"][:] = ru
        else:
            su = u["su_avg_s_lrn"]
            np.multiply(k[5], s, out=su)
            np.multiply(k[6], m, out=t)
            np.add(su, t, out=su)

    def compute_act_stats(self) -> None:
        """Average and max act per layer (and pool) for the next cycle's feedback inhibition."""
        act, lay = self.units["act"], self.lay
        segment_sums(act, self._starts_l, self._stops_l, lay["acts_avg"], self._sum_work)
        np.divide(lay["acts_avg"], self._sizes_f, out=lay["acts_avg"])
        np.maximum.reduceat(act, self.starts, out=lay["acts_max"])
        for pool in self.pools:
            l = pool["layer"]
            a = act[l.slice].reshape(pool["ng"], -1)
            pool["acts_avg"][:] = seq_sum(a, axis=1) / self.dtype(a.shape[1])

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
    """Views, scratch buffers and constants of one contiguous run of non-clamped units (built
    once per run, cached)."""

    def __init__(self, net, sl: slice) -> None:
        u, f = net.units, net.dtype
        n = sl.stop - sl.start
        self.sl = sl
        for v in ("net", "net_raw", "gc_i", "v_m_eq", "v_m", "spk_t", "I_net", "act_raw", "act_nd", "act",
                  "act_eq", "da", "spike", "gi_raw", "gi_syn", "gi_self"):
            setattr(self, v, u[v][sl])
        self.pending_gi = net.pending_gi[sl]
        self.vv = net.unit_rows("v_m", "v_m_eq")[:, sl]
        self.act3 = net.unit_rows("act", "act_eq", "act_nd")[:, sl]
        self.pending = net.pending[sl]
        self.refr_until = net.refr_until[sl]
        lays = [l for l in net.lay_list if sl.start <= l.start and l.stop <= sl.stop]
        self.lay_lo, self.lay_hi = lays[0].index, lays[-1].index + 1
        self.sizes = net.sizes[self.lay_lo:self.lay_hi]
        self.unit_layer = np.repeat(np.arange(self.lay_lo, self.lay_hi), self.sizes)   # layer of each unit
        c = lambda x: const(x[sl] if isinstance(x, np.ndarray) else x, f)
        self.net_gain, self.net_rate = c(net.net_gain), c(net.net_rate)
        self.self_fb, self.self_dt = c(net.self_fb), c(net.self_dt)
        self.unit_net_gain = self.net_gain.ndim == 0 and self.net_gain == 1
        self.net_ex = net.net_ex[sl]
        k = self.k = type("ActConsts", (), {})()
        for name in ("g_bar_e", "g_bar_i", "e_e", "e_l", "e_i", "vm_lo", "vm_hi", "vm_rate", "vm_rate_cyc",
                     "thr", "vm_act_thr", "act_lo", "act_hi", "vm_r"):
            setattr(k, name, c(getattr(net, name)))
        k.g_l = c(net.g_bar_l)
        k.E = np.stack([np.broadcast_to(v, (1, np.size(v))) for v in np.broadcast_arrays(k.e_e, k.e_l, k.e_i)]
                       ).astype(f)          # (3, 1, 1) or (3, 1, n)
        k.half_rate_cyc = const(f(0.5) * k.vm_rate_cyc, f)
        k.ge_thr_c = tuple(const(x, f) for x in g_e_thr_consts(k.g_l, k.e_e, k.e_l, k.e_i, k.thr))
        k.nxx1 = net.nxx1.prepared(sl)
        # per-row rates of the (v_m, v_m_eq) update: vm_dt_cyc and vm_dt
        k.rates = np.stack([np.broadcast_to(k.vm_rate_cyc, (n,)), np.broadcast_to(k.vm_rate, (n,))]).astype(f)
        k.unit_g_e = k.g_bar_e.ndim == 0 and k.g_bar_e == 1
        k.unit_g_i = k.g_bar_i.ndim == 0 and k.g_bar_i == 1
        self.I, self.T = np.zeros((2, n), f), np.zeros((2, n), f)
        self.work = np.zeros((4, n), f)
        self.work64 = np.zeros(n, np.float64)
        self.x, self.a_new, self.tmp = np.zeros(n, f), np.zeros(n, f), np.zeros(n, f)
        self.G = np.zeros((3, 1, n), f)
        self.G[1, 0] = k.g_l
        self.W2, self.W1 = np.zeros((3, 2, n), f), np.zeros((3, n), f)
        self.mask, self.mask2 = np.zeros(n, bool), np.zeros(n, bool)
