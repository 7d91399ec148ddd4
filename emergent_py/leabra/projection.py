"""Projections of the native core: dense synapse matrices, net-input scaling, delta sending.

Synapse state is stored sender-major, shape ``(n_send, n_recv)`` (emergent owns connections by
the sender; a sender's outgoing weights are one contiguous row, so sending k changed senders
touches k rows). The public accessors (:meth:`Projection.var`) return receiver-major
``(n_recv, n_send)`` arrays, the layout of emergent's .wts files.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import BackendError
from ..spec.network import Full, OneToOne, Projection as PrjnSpec, UniformRandom
from ..spec.params import ConSpec
from ..spec.prjns import GeometryPattern
from .learn import ConConsts, Scratch, accumulate_dwt, apply_dwt, raw_dwt, wt_balance

SYN_VARS = ("wt", "fwt", "dwt", "moment", "dwnorm")

# synapses per block in learning and weight updates (~128 KiB of float32 per array: L2-sized)
SYN_BLOCK = 32768

# senders per step of the numpy net-input sending when at most half the senders send (measured:
# above half, multiplying every row is faster than gathering the senders' rows)
SEND_CHUNK = 128

def connectivity(spec: PrjnSpec, n_send: int, n_recv: int, send_shape: tuple[int, ...] = (),
                 recv_shape: tuple[int, ...] = ()) -> np.ndarray | None:
    """Boolean (n_send, n_recv) connection mask, or None for full connectivity (the layer
    shapes are needed by the geometry patterns: Tessel, GpOneToOne, GpTessel, GaussRF)."""
    pat = spec.pattern
    if isinstance(pat, Full):
        return None
    if isinstance(pat, GeometryPattern):
        mask = np.zeros((n_send, n_recv), dtype=bool)
        for r, senders in enumerate(pat.connections(send_shape, recv_shape, spec.send == spec.recv)):
            mask[senders, r] = True       # (Network refuses a pattern that repeats a pair)
        return mask
    if isinstance(pat, OneToOne):
        return np.eye(n_send, n_recv, dtype=bool)
    if isinstance(pat, UniformRandom):
        rng = np.random.default_rng(pat.seed)
        k = max(1, int(round(pat.p * n_send)))
        mask = np.zeros((n_send, n_recv), dtype=bool)
        for r in range(n_recv):
            mask[rng.choice(n_send, size=k, replace=False), r] = True
        return mask
    raise BackendError(f"projection '{spec.name}': pattern {pat!r} is not supported by the native core")


def learn_quarters(learn_qtr: str) -> frozenset[int]:
    """The quarters (0-3) at whose end a con spec's ``learn_qtr`` (``Q2|Q4`` ...) computes dWt."""
    return frozenset(int(q[1]) - 1 for q in learn_qtr.split("|"))


def check_con_spec(name: str, con: ConSpec) -> None:
    def bad(path, value, fix):
        raise BackendError(f"projection '{name}': {path} = {value!r} is not supported by the native core; {fix}")
    for grp in ("adapt_scale", "slow_wts", "margin", "dwt_share"):
        if getattr(con, grp).on:
            bad(f"{grp}.on", True, "switch it off or run the model in emergent")
    if con.rule.rule == "EXPT":
        bad("rule.rule", "EXPT", "use XCAL_CHL or DELTA_FF_FB")
    if con.wt_scale.no_plus_net:
        bad("wt_scale.no_plus_net", True, "switch it off")
    if con.rnd.type not in ("UNIFORM", "NONE") and con.rnd.var != 0:
        bad("rnd.type", con.rnd.type, "use UNIFORM (or var 0)")
    if con.dwt_norm.on and con.dwt_norm.level not in ("SEND_CONS", "SYN"):
        bad("dwt_norm.level", con.dwt_norm.level, "use SEND_CONS or SYN")


class Projection:
    """A running projection: synapse arrays plus the constants of its con spec.

    Attributes
    ----------
    wt, fwt, dwt, moment, dwnorm : (n_send, n_recv) arrays of the working dtype
    wb_inc, wb_dec : (n_recv,) weight-balance factors (same for all synapses into a unit)
    mask : (n_send, n_recv) bool connectivity, None for full
    scale_eff : float, the net-input scale of the current quarter (leabra.md 3.2)
    """

    #: the (n_send, n_recv) synapse variables
    SYNAPSE_VARS = ("wt", "fwt", "dwt", "moment", "dwnorm")

    def __init__(self, spec: PrjnSpec, con: ConSpec, send, recv, dtype, storage=None) -> None:
        """``storage``: ``{var: zeroed (n_send, n_recv) array}`` for the SYNAPSE_VARS (views into
        the network's flat buffers), else this projection allocates its own."""
        check_con_spec(spec.name, con)
        self.spec, self.con, self.name = spec, con, spec.name
        self.send, self.recv = send, recv           # LayerViews
        self.dtype = dtype
        self.cc = ConConsts(con, dtype)
        ns, nr = send.n, recv.n
        self.mask = connectivity(spec, ns, nr, send.shape, recv.shape)
        self.ncons = nr and (ns if self.mask is None else int(self.mask.sum(axis=0).max()))
        self.n_syn = ns * nr if self.mask is None else int(self.mask.sum())
        for var in self.SYNAPSE_VARS:
            setattr(self, var, np.zeros((ns, nr), dtype=dtype) if storage is None else storage[var])
        self.wb_inc = np.ones(nr, dtype=dtype)
        self.wb_dec = np.ones(nr, dtype=dtype)
        self.scale_eff = dtype(0)
        self.scale_k = np.asarray(self.scale_eff)      # 0-d copy of scale_eff (fast dispatch)
        self.scratch: Scratch | None = None      # learning scratch, shared by a network's projections
        # net-input sending scratch, {(n_rows, n_recv): array}, shared by a network's projections
        # (one send runs at a time), so a cycle allocates nothing
        self.send_buffers: dict = {}
        self.abs, self.rel = dtype(con.wt_scale.abs), dtype(con.wt_scale.rel)

    def spec_values(self) -> np.ndarray | None:
        """(n_send, n_recv) weights the projection's pattern sets itself (Tessel's wt_val,
        GaussRF's gaussian; emergent-prjns.md 1.7), or None when the con spec draws them."""
        pat = self.spec.pattern
        if not isinstance(pat, GeometryPattern):
            return None
        vals = pat.values(self.send.shape, self.recv.shape, self.spec.send == self.spec.recv)
        if vals is None:
            return None
        conns = pat.connections(self.send.shape, self.recv.shape, self.spec.send == self.spec.recv)
        out = np.zeros(self.wt.shape, dtype=np.float64)
        for r, (senders, v) in enumerate(zip(conns, vals)):
            out[senders[:len(v)], r] = v
            if len(v) < len(senders):   # (Tessel: connections past the offsets keep the draw)
                out[senders[len(v):], r] = np.nan
        return out

    # -- access
    def var(self, name: str) -> np.ndarray:
        """Synapse variable ``name`` as a receiver-major (n_recv, n_send) copy."""
        if name not in SYN_VARS:
            raise KeyError(f"projection '{self.name}' has no synapse variable '{name}' "
                           f"(have: {', '.join(SYN_VARS)}, wb_inc, wb_dec)")
        return np.ascontiguousarray(getattr(self, name).T)

    # -- net input
    def sa_factor(self, savg: float) -> float:
        """Sending-activity factor of leabra.md 3.2 (integer rounding as emergent's)."""
        sz = self.send.n
        f = self.dtype
        n_act = max(1, int(math.floor(f(savg) * f(sz) + f(0.5))))
        if self.ncons == sz:
            return f(1) / f(n_act)
        n_max = min(self.ncons, n_act)
        n_avg = max(1, int(math.floor(f(savg) * f(self.ncons) + f(0.5))))
        n_exp = min(n_avg + 2, n_max)
        return f(1) / f(n_exp)

    def send_delta(self, delta: np.ndarray, k: int, out: np.ndarray) -> None:
        """Add ``scale_eff * delta[s] * wt[s, :]`` over senders s to ``out`` (the receivers'
        pending input); ``delta`` (n_send,) is 0 except at the ``k`` senders that send.

        Senders are added one after another in sender order, as emergent sends (leabra.md 3.1):
        float32 sums depend on their order (a BLAS product's order moved emergent's stdassoc run
        by up to 2e-3 in sse). numpy's reduction over axis 0 adds rows in order, so the rows
        ``[out; e*w ...]`` are reduced into ``out``: the senders' rows in chunks when few send,
        else every row (a sender that does not send adds e*w = 0, which leaves a sum unchanged).
        tests/leabra/test_kernel.py checks that this equals the C kernel bit for bit."""
        if k == 1:
            s = int(np.flatnonzero(delta)[0])
            out += (delta[s] * self.scale_k) * self.wt[s]
            return
        if 2 * k > self.send.n:
            rows = self._send_rows(self.send.n + 1)
            rows[0] = out
            np.multiply(self.wt, (delta * self.scale_k)[:, None], out=rows[1:])
            np.add.reduce(rows, axis=0, out=out)
            return
        local = np.flatnonzero(delta)
        eff = delta[local] * self.scale_k
        buf = self._send_rows(SEND_CHUNK + 1)
        for i in range(0, len(local), SEND_CHUNK):
            j = min(i + SEND_CHUNK, len(local))
            rows = buf[:j - i + 1]
            rows[0] = out
            np.multiply(self.wt[local[i:j]], eff[i:j, None], out=rows[1:])
            np.add.reduce(rows, axis=0, out=out)

    def _send_rows(self, n_rows: int) -> np.ndarray:
        key = (n_rows, self.recv.n)
        buf = self.send_buffers.get(key)
        if buf is None:
            buf = self.send_buffers[key] = np.empty(key, self.dtype)
        return buf

    # -- learning (every synapse operation is local to a sender's row, so rows are processed in
    # cache-sized blocks: each numpy pass then reads and writes L2-resident data)
    def _blocks(self, n_rows: int):
        step = self._block_rows()
        return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]

    def scratch_size(self) -> int:
        """Elements of learning scratch this projection needs (one block of synapses)."""
        return min(self._block_rows(), self.send.n) * self.recv.n

    def _scratch(self) -> Scratch:
        need = self.scratch_size()
        if self.scratch is None or self.scratch.size < need:
            self.scratch = Scratch(need, self.dtype)
        return self.scratch

    def _block_rows(self) -> int:
        return max(1, SYN_BLOCK // max(1, self.recv.n))

    def compute_dwt(self, units: dict, lrate_mod) -> None:
        """Accumulate this trial's dWt (leabra.md 9.3-9.5)."""
        cc = self.cc
        if not cc.learn:
            return
        scratch = self._scratch()
        ss, rs = self.send.slice, self.recv.slice
        s_learn = ~((units["avg_s"][ss] < cc.lrn_thr) & (units["avg_m"][ss] < cc.lrn_thr))
        rows = np.flatnonzero(s_learn)
        if len(rows) == 0:
            return
        all_rows = len(rows) == self.send.n
        sel = slice(None) if all_rows else rows
        s_all = {k: units[k][ss][sel] for k in ("su_avg_s_lrn", "ru_avg_s_lrn", "avg_m")}
        r = {k: units[k][rs] for k in ("su_avg_s_lrn", "ru_avg_s_lrn", "avg_m", "avg_l", "avg_l_lrn")}
        lrate_eff = cc.lrate * lrate_mod
        if cc.mom_on:
            lrate_eff = lrate_eff * cc.mom_lr_comp
        for b in self._blocks(len(rows)):
            s = {k: v[b] for k, v in s_all.items()}
            d = raw_dwt(cc, s, r, scratch)
            if all_rows:
                mask = None if self.mask is None else self.mask[b]
                accumulate_dwt(cc, d, self.dwt[b], self.dwnorm[b], self.moment[b], lrate_eff, mask, scratch)
            else:
                rb = rows[b]
                mask = None if self.mask is None else self.mask[rb]
                dwt, dwnorm, moment = self.dwt[rb], self.dwnorm[rb], self.moment[rb]
                accumulate_dwt(cc, d, dwt, dwnorm, moment, lrate_eff, mask, scratch)
                self.dwt[rb], self.dwnorm[rb], self.moment[rb] = dwt, dwnorm, moment

    def compute_weights(self) -> None:
        if self.cc.learn:
            scratch = self._scratch()
            for b in self._blocks(self.send.n):
                apply_dwt(self.cc, self.wt[b], self.fwt[b], self.dwt[b], self.wb_inc, self.wb_dec,
                          scratch=scratch)

    def compute_wt_bal(self, recv_act_avg, sums=None) -> None:
        """The weight-balance factors; ``sums(projection, avg_thr)``, if given, computes the sums
        over the weights (learn.wt_bal_sums) instead of numpy (the C kernel, on its threads)."""
        if self.cc.learn and self.cc.wt_bal.on:
            tot_cnt = None if sums is None else sums(self, self.cc.wt_bal.avg_thr)
            wt_balance(self.cc, self.wt, self.mask, self.wb_inc, self.wb_dec, recv_act_avg, tot_cnt)
