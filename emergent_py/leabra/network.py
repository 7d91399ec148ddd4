"""The native Leabra network: cycle, quarter and trial as named steps in emergent 8.6's order.

Source: leabra.md section 1 (control flow), 3 (net input), 4 (FFFB), 5 (activation),
6 (clamping), 7-8 (running averages), 9 (learning), 10 (init). Every unit variable of the whole
network lives in one flat array (``self.units[name]``), so each step is a handful of numpy calls
for the whole network, not one per layer or unit; layers are slices (:class:`LayerView`).
The per-cycle steps live in ``cycle.py`` and the derived constants in ``consts.py`` (mixins);
this module holds the state, initialization, the trial/quarter steps and the orchestration.

>>> net = Network(model)            # doctest: +SKIP
>>> net.trial(0)                    # run pattern row 0: 4 quarters x 25 cycles
>>> net.layers["Hidden"].act        # emergent's variable names
"""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import BackendError
from ..spec.model import Model
from ..spec.network import LayerKind
from . import stats as _stats
from .consts import NetworkConsts
from .cycle import CycleSteps
from .kernel import choose as choose_kernel
from .layer import LATER_UNIT_VARS, LAYER_VARS, UNIT_VARS, LayerView, check_unit_spec
from .learn import Scratch
from .projection import Projection, learn_quarters
from .scalar_val import ScalarVals
from .sums import seq_sum
from .threads import effective_threads, parse_threads
from .weights import init_weights

MINUS, PLUS = "MINUS", "PLUS"


class Network(NetworkConsts, CycleSteps):
    """A model instantiated for the native core.

    Parameters
    ----------
    model : the validated spec (:class:`emergent_py.spec.Model`)
    seed : seed of the numpy Generator for initial weights and trial order (default: the plan's)
    weights : optional ``{projection name: (n_recv, n_send) array}`` of effective weights (e.g.
        emergent's saved weights) and ``{"<layer>.bias": (n_units,)}`` bias weights, loaded
        instead of drawing random weights
    dtype : np.float32 (emergent's arithmetic, default) or np.float64
    kernel : the per-cycle implementation: ``"auto"`` (default, or ``$EMERGENT_PY_KERNEL``): the
        compiled C kernel (``kernel.py``) when it can be built and covers the network, else numpy;
        ``"c"``: the C kernel or an error; ``"numpy"``: the numpy steps of ``cycle.py``
    threads : threads of the C kernel inside this network (default 1), or ``"auto"`` (the cores
        SLURM gave the task, else the CPUs the process may use); bit for bit the results of one
        thread. Fewer run where the network is too small for them to pay (``threads_note`` says
        so); the numpy steps run on one thread (with a warning)
    """

    def __init__(self, model: Model, seed: int | None = None, weights: dict | None = None,
                 dtype=np.float32, kernel: str | None = None, threads: int | str = 1) -> None:
        if dtype not in (np.float32, np.float64):
            raise BackendError(f"dtype {dtype!r}: use numpy.float32 or numpy.float64")
        self.model, self.dtype = model, dtype
        self.seed = model.plan.seed if seed is None else seed
        self.rng = np.random.default_rng(self.seed)
        spec = model.network
        self.layers: dict[str, LayerView] = {}
        start = 0
        for i, ls in enumerate(spec.layers.values()):
            p = model.layer_params[ls.name]
            check_unit_spec(ls.name, p.unit, p.layer)
            self.layers[ls.name] = LayerView(self, ls, i, start)
            start += ls.n_units
        self.n_units = start
        self.lay_list = list(self.layers.values())
        self.n_layers = len(self.lay_list)
        self.sizes = np.array([l.n for l in self.lay_list])
        self.starts = np.array([l.start for l in self.lay_list])
        # one (n_vars, n_units) block: rows of related variables can be updated in one call
        self._unit_block = np.zeros((len(UNIT_VARS), self.n_units), dtype=dtype)
        self._unit_row = {v: i for i, v in enumerate(UNIT_VARS)}
        self.units = {v: self._unit_block[i] for i, v in enumerate(UNIT_VARS)}
        self.lay = {v: np.zeros(self.n_layers, dtype=dtype) for v in LAYER_VARS}
        self.pending = np.zeros(self.n_units, dtype=dtype)
        self.pending_gi = np.zeros(self.n_units, dtype=dtype)     # from inhibitory projections
        # every projection's dwt is a view into one flat buffer (then the bias dwts): an MPI run
        # sums all weight changes with one Allreduce on it, without copying (collect_dwts); the
        # other synapse variables too, one buffer each: numpy asks Linux for huge pages for a
        # buffer of 4 MB or more (madvise), which a projection's own array often is not (LARGE's
        # are 1.6 MB), and with 2 MB pages instead of 4 kB the benchmark's net input took 5% less
        # time (a cycle's senders' weight rows span thousands of pages)
        shapes = [(self.layers[ps.send].n, self.layers[ps.recv].n) for ps in spec.projections.values()]
        n_syn = sum(a * b for a, b in shapes)
        self.dwt_flat = np.zeros(n_syn + self.n_units, dtype=dtype)
        flat = {var: self.dwt_flat if var == "dwt" else np.zeros(n_syn, dtype=dtype) for var in Projection.SYNAPSE_VARS}
        self.projections: dict[str, Projection] = {}
        i = 0
        for ps, (ns, nr) in zip(spec.projections.values(), shapes):
            storage = {var: buf[i:i + ns * nr].reshape(ns, nr) for var, buf in flat.items()}
            self.projections[ps.name] = Projection(ps, model.prjn_params[ps.name].con,
                                                   self.layers[ps.send], self.layers[ps.recv], dtype, storage)
            i += ns * nr
        self.prjn_list = list(self.projections.values())
        self.learn_quarters = [learn_quarters(p.con.learn_qtr) for p in self.prjn_list]
        self.has_inhib = any(p.con.inhib for p in self.prjn_list)      # (leabra.md 4.5 gi_syn)
        need = max((p.scratch_size() for p in self.prjn_list), default=0)
        shared = Scratch(need, dtype) if need else None        # one learning scratch for all
        send_buffers: dict = {}                                 # one sending scratch for all
        for p in self.prjn_list:
            p.scratch = shared
            p.send_buffers = send_buffers
        self.recv_prjns = {l.name: [p for p in self.prjn_list if p.recv is l] for l in self.lay_list}
        self.send_prjns = {l.name: [p for p in self.prjn_list if p.send is l] for l in self.lay_list}
        self._build_consts()
        self.scalar_vals = ScalarVals(self)      # the ScalarValLayerSpec layers (scalar_val.py)
        self._cycle_buffers()
        self._quarter_runs = []
        self._numpy_plan_stale = False  # the C kernel ran quarter_init: _numpy_plan before a numpy step
        self._scale_key = None          # acts_p_avg_eff the projection scales were computed for
        self._bias_scale = None         # each layer's bias scale (compute_netin_scale)
        # counters (leabra.md 1.1)
        self.cycle_n = 0          # emergent's network.cycle (0..99 within a trial)
        self.tot_cycle = 0
        self.quarter_n = 0
        self.total_trials = 0
        self.phase = MINUS
        self.trial_stats: dict = {}
        self.nan_check = True
        self._act_runs: dict = {}
        self.last_spike = -10 ** 9    # tot_cycle of the latest v_m reset anywhere (refractory fast path)
        self.refr_until = np.full(0, -np.inf)
        self._run = None
        self.init_weights(weights)
        self._quarter_plan()
        self._choose_kernel(kernel, threads)

    def _choose_kernel(self, kernel: str | None, threads: int | str) -> None:
        """The cycle implementation and its threads: ``threads_requested``, ``threads`` (used) and
        ``threads_note`` (why fewer, empty when all are used)."""
        self.threads_requested = parse_threads(threads)
        self.threads, self.threads_note = effective_threads(self.threads_requested,
                                                            sum(p.n_syn for p in self.prjn_list))
        self.kernel = choose_kernel(self, kernel, self.threads)
        if self.kernel is None and self.threads_requested > 1:
            self.threads = 1
            self.threads_note = (f"{self.threads_requested} threads requested, 1 used: the numpy steps "
                                 f"are single-threaded (threads need the C kernel)")
            warnings.warn(self.threads_note, RuntimeWarning, stacklevel=3)

    def __repr__(self) -> str:
        lines = [f"Network({self.model.name!r}: {self.n_layers} layers, {len(self.prjn_list)} projections, "
                 f"{self.n_units} units; {self.total_trials} trials run, quarter {self.quarter_n}, cycle "
                 f"{self.cycle_n}; {self.kernel_name} kernel, {np.dtype(self.dtype).name})"]
        for l in self.lay_list:
            lines.append(f"  layer {l.name:<12} {l.kind.value:<7} {' x '.join(map(str, l.shape)):>9}")
        for p in self.prjn_list:
            cls = f", class {p.spec.cls}" if p.spec.cls else ""
            lines.append(f"  prjn  {p.name:<22} {type(p.spec.pattern).__name__}{cls}, {p.n_syn} connections")
        return "\n".join(lines)

    @property
    def kernel_name(self) -> str:
        """``"c"`` or ``"numpy"``: which implementation runs the cycles."""
        return "numpy" if self.kernel is None else "c"

    def unit_rows(self, *names: str) -> np.ndarray:
        """A (len(names), n_units) view of unit variables that are consecutive in UNIT_VARS."""
        i = self._unit_row[names[0]]
        if [self._unit_row[v] for v in names] != list(range(i, i + len(names))):
            raise BackendError(f"unit_rows{names}: not consecutive in UNIT_VARS")
        return self._unit_block[i:i + len(names)]

    # ------------------------------------------------------------------ init
    def init_weights(self, weights: dict | None = None) -> None:
        """Init_Weights (leabra.md 10.1): draw (or load) weights, reset layer and unit state."""
        init_weights(self, weights)
        lay = self.lay
        lay["acts_m_avg"][:] = self.targ_init
        lay["acts_p_avg"][:] = self.targ_init
        lay["acts_p_avg_eff"][:] = self.targ_init * self.avg_act_adjust
        lay["bias_scale"][:] = 1
        lay["adapt_gi"][:] = 1
        lay["lrate_mod"][:] = self.lay_lrate
        for k in ("mod_avg_l_lrn", "cos_diff", "cos_diff_avg", "cos_diff_var", "cos_diff_avg_lrn"):
            lay[k][:] = 0
        u = self.units
        u["act_avg"][:] = self.avg_init
        u["avg_l"][:] = self.avg_l_init
        self.init_acts()
        self.cycle_n = self.tot_cycle = self.quarter_n = self.total_trials = 0
        self.any_bias = bool(np.any(u["bias_wt"] != 0))

    def init_acts(self) -> None:
        """Init_Acts (leabra.md 2): unit state and layer statistics to their initial values."""
        u = self.units
        for v in ("act", "act_eq", "act_nd", "act_raw"):
            u[v][:] = self.init_act
        for v in ("net_raw", "act_sent", "I_net", "gc_i", "gi_syn", "da", "act_q0", "act_q1", "act_q2",
                  "act_q3", "act_q4", "act_m", "act_p", "act_dif", "ext", "targ", "spike", "gi_raw",
                  "ext_orig", "misc_1", "misc_2", "gi_self"):
            u[v][:] = 0
        u["net"][:] = self.init_net
        u["v_m"][:] = self.init_vm
        u["v_m_eq"][:] = self.init_vm
        for v in ("avg_ss", "avg_s", "avg_m", "ru_avg_s_lrn", "su_avg_s_lrn"):
            u[v][:] = self.avg_init
        u["avg_l_lrn"][:] = self.avg_l_lrn_min + self.avg_l_lrn_fact * (u["avg_l"] - self.avg_l_min)
        u["spk_t"][:] = -1
        self._sync_refractory()
        self.pending[:] = 0
        self.pending_gi[:] = 0
        for k in ("acts_avg", "acts_max", "net_avg", "net_max", "ffi", "fbi", "g_i", "acts_m", "acts_p"):
            self.lay[k][:] = 0
        for pool in self.pools:
            for k in ("ffi", "fbi", "g_i", "acts_avg"):
                pool[k][:] = 0

    def _sync_refractory(self) -> None:
        """Derived from spk_t: the last tot_cycle of each unit's v_m refractory period (leabra.md
        5.2: skipped while spk_t > 0 and tot_cycle - spk_t <= t_r), and the latest reset."""
        spk_t = self.units["spk_t"].astype(np.float64)
        if self.refr_until.shape != spk_t.shape:
            self.refr_until = np.empty_like(spk_t)
            self._act_runs = {}
        self.refr_until[:] = np.where(spk_t > 0, spk_t + self.t_r, -np.inf)
        self.last_spike = int(spk_t.max()) if spk_t.size and spk_t.max() > 0 else -10 ** 9

    # ------------------------------------------------------------------ trial level
    def compute_weights(self) -> None:
        """Compute_Weights (leabra.md 9.6-9.7): apply accumulated dwt, then weight balance if due."""
        if self.kernel is None:
            for p in self.prjn_list:
                p.compute_weights()
        else:
            self.kernel.apply_dwt()
        if self.bias_learn.any():
            u = self.units
            u["bias_fwt"] += u["bias_dwt"]
            u["bias_wt"][:] = u["bias_fwt"]
            u["bias_dwt"][:] = 0
        if self.total_trials > 0 and self.total_trials % self.model.network_params.network.times.wt_bal_int == 0:
            for p in self.prjn_list:
                if p.recv.kind is LayerKind.TARGET and p.cc.wt_bal.no_targ:
                    continue
                p.compute_wt_bal(self.units["act_avg"][p.recv.slice],
                                 None if self.kernel is None else self.kernel.wt_bal_sums)

    def trial_init(self) -> None:
        """Trial_Init (leabra.md 1.3)."""
        u, lay = self.units, self.lay
        self.cycle_n = 0
        self.quarter_n = 0
        self.phase = MINUS
        self.total_trials += 1
        u["act_q0"][:] = u["act_q4"]
        # long-term average avg_l, gated by the layer's plus-phase average (9.1)
        gate = np.repeat(lay["acts_p_avg"] >= self.lay_act_thr, self.sizes)
        avg_l = u["avg_l"]
        new = avg_l + self.avg_l_dt * (self.avg_l_gain * u["avg_m"] - avg_l)
        np.maximum(new, self.avg_l_min, out=new)
        np.copyto(avg_l, new, where=gate)
        mod = np.repeat(lay["mod_avg_l_lrn"], self.sizes)
        u["avg_l_lrn"][:] = mod * (self.avg_l_lrn_min + self.avg_l_lrn_fact * (avg_l - self.avg_l_min))
        # decay (10.3)
        d = self.decay
        for v, init in (("act", self.init_act), ("act_eq", self.init_act), ("act_nd", self.init_act),
                        ("act_raw", self.init_act), ("net", self.init_net), ("v_m", self.init_vm),
                        ("v_m_eq", self.init_vm)):
            x = u[v]
            x -= d * (x - init)
        for v in ("gc_i", "gi_syn", "gi_self"):
            u[v] -= d * u[v]
        for v in ("da", "I_net", "act_sent", "net_raw", "gi_raw", "act_q1", "act_q2", "act_q3", "act_q4",
                  "act_m", "act_p", "act_dif"):
            u[v][:] = 0
        self.pending[:] = 0
        self.pending_gi[:] = 0
        lay["ffi"] -= self.lay_decay * lay["ffi"]
        lay["fbi"] -= self.lay_decay * lay["fbi"]
        for pool in self.pools:
            dec = self.lay_decay[pool["layer"].index]
            pool["ffi"] -= dec * pool["ffi"]
            pool["fbi"] -= dec * pool["fbi"]

    def apply_inputs(self, row: int | dict) -> None:
        """Init_InputData + apply one pattern row (leabra.md 1.2 steps 3-4): ``ext`` (and
        ``ext_orig``) of input layers, ``targ`` of target and output layers; a ScalarVal layer's
        value per group goes to its unit 0 (emergent-prjns.md 4.3).

        ``row``: index into the model's patterns, or ``{layer name: (n_units,) array}``
        (``(n_groups,)`` for a ScalarVal layer)."""
        u = self.units
        u["ext"][:] = 0
        u["targ"][:] = 0
        u["ext_orig"][:] = 0
        self.ext_flag[:] = False
        for l in self.lay_list:
            if l.kind is LayerKind.HIDDEN:
                continue
            sv = l.name in self.scalar_vals
            if isinstance(row, dict):
                if l.name not in row:
                    raise BackendError(f"trial input: no pattern for layer '{l.name}'")
                vals = np.asarray(row[l.name], dtype=self.dtype).reshape(-1)
                if sv and vals.shape != (l.spec.n_groups,):
                    raise BackendError(f"trial input for ScalarVal layer '{l.name}': {vals.size} values, it "
                                       f"takes one per coding group ({l.spec.n_groups})")
                if not sv and vals.shape != (l.n,):
                    raise BackendError(f"trial input for layer '{l.name}': {vals.size} values, layer has {l.n} units")
            else:
                vals = self.model.pattern_rows(l.name)[row]
            if l.kind is LayerKind.INPUT:
                self.ext_flag[l.index] = True
            if sv:
                self.scalar_vals.apply_input(self, l.name, vals)
            elif l.kind is LayerKind.INPUT:
                u["ext"][l.slice] = vals
                u["ext_orig"][l.slice] = vals
            else:
                u["targ"][l.slice] = vals

    def quarter_init(self) -> None:
        """Quarter_Init (leabra.md 1.4): phase, target clamp, hard clamping, net-input scales;
        last, the ScalarVal layers code their value into ``ext`` (emergent-prjns.md 4.3)."""
        u = self.units
        self.phase = MINUS if self.quarter_n <= 2 else PLUS
        plus = self.phase == PLUS
        self.ext_flag[self.is_target] = plus
        for l in self.lay_list:
            if l.kind is LayerKind.TARGET:
                u["ext"][l.slice] = u["targ"][l.slice] if plus else 0
                if plus:
                    u["ext_orig"][l.slice] = u["targ"][l.slice]
        self.hard_clamped = self.clamp_hard & self.ext_flag
        self.unit_clamped = np.repeat(self.hard_clamped, self.sizes)
        for l in self.lay_list:
            if self.hard_clamped[l.index]:
                self._hard_clamp(l.slice)
        if self.use_ext_act.any():
            self._ext_act_avg()
        if self.scalar_vals:            # (before the quarter's net input is taken from ext)
            self.scalar_vals.quarter_init(self)
        self._free_runs()
        self._net_ex()
        self.compute_netin_scale()
        # the numpy steps' views and send plan; with the C kernel only when a named step is called
        if self.kernel is None:
            self._numpy_plan()
        else:
            self._numpy_plan_stale = True

    def _ext_act_avg(self) -> None:
        """avg_act.use_ext_act (leabra.md 8.1): a non-hidden layer's acts_p_avg_eff is the mean of
        its targ (target layers) or ext (input layers), targ_init where that mean is 0."""
        u, f = self.units, self.dtype
        for l in self.lay_list:
            if not self.use_ext_act[l.index]:
                continue
            vals = u["targ"][l.slice] if l.kind in (LayerKind.TARGET, LayerKind.OUTPUT) else u["ext"][l.slice]
            m = f(seq_sum(vals) / f(l.n))
            self.lay["acts_p_avg_eff"][l.index] = m if m != 0 else self.targ_init[l.index]

    def _hard_clamp(self, sl: slice) -> None:
        """Hard clamping (leabra.md 6)."""
        u = self.units
        ext = u["ext"][sl]
        c = lambda x: x[sl] if isinstance(x, np.ndarray) else x
        u["act_raw"][sl] = ext
        u["net"][sl] = ext
        act = np.minimum(np.maximum(ext, c(self.clamp_lo)), c(self.clamp_hi))     # (np.clip, 3x faster)
        for v in ("act", "act_eq", "act_nd"):
            u[v][sl] = act
        vm = np.where(act == 0, c(self.e_l), c(self.thr) + ext / c(self.act_gain))
        u["v_m"][sl] = vm
        u["v_m_eq"][sl] = vm
        u["da"][sl] = 0
        u["I_net"][sl] = 0

    def _free_runs(self) -> None:
        runs, cur = [], None
        for l in self.lay_list:
            if self.hard_clamped[l.index]:
                cur = None
            elif cur is not None and cur[1] == l.start:
                cur[1] = l.stop
            else:
                cur = [l.start, l.stop]
                runs.append(cur)
        self.free_runs = [slice(a, b) for a, b in runs]
        self.free_layers = ~self.hard_clamped

    def _net_ex(self) -> None:
        """Constant part of the net input during this quarter (leabra.md 3.3)."""
        u = self.units
        bias = np.repeat(self.lay["bias_scale"], self.sizes) * u["bias_wt"]
        soft = np.repeat(self.ext_flag & ~self.clamp_hard, self.sizes)
        self.net_ex[:] = self.init_net + bias + np.where(soft, u["ext"] * self.clamp_gain, self.dtype(0))
        self.has_net_ex = bool(self.net_ex.any())                # (NaN counts, -0.0 does not)

    def compute_netin_scale(self) -> None:
        """Projection scale factors and layer bias scale (leabra.md 3.2), every Quarter_Init.

        The scales are a function of the sending layers' acts_p_avg_eff only (the rest are spec
        constants), so they are recomputed only when those values changed (once per trial)."""
        f = self.dtype
        key = self.lay["acts_p_avg_eff"].tobytes()
        if key != self._scale_key:
            for l in self.lay_list:
                # rel is normalized within each class: excitatory, inhibitory (inhib) projections
                for prjns in ([p for p in self.recv_prjns[l.name] if not p.con.inhib],
                              [p for p in self.recv_prjns[l.name] if p.con.inhib]):
                    sum_rel = f(0)
                    for p in prjns:
                        savg = self.lay["acts_p_avg_eff"][p.send.index] * self.avg_correct[p.send.index]
                        p.scale_eff = p.abs * p.rel * p.sa_factor(savg)
                        sum_rel += p.rel
                    if sum_rel > 0:
                        for p in prjns:
                            p.scale_eff = f(p.scale_eff / sum_rel)
            self._scale_key = key
        if self._bias_scale is None:    # spec constants: bias wt_scale.abs / the receiving connections
            self._bias_scale = np.array(
                [self.bias_abs[l.index] / f(n) if (n := sum(p.ncons for p in self.recv_prjns[l.name]))
                 else self.bias_abs[l.index] for l in self.lay_list], dtype=f)
        self.lay["bias_scale"][:] = self._bias_scale

    # ------------------------------------------------------------------ cycle
    def cycle(self) -> None:
        """One cycle (leabra.md 1.5), in emergent's order."""
        self._cycles(1)

    def _cycles(self, n: int) -> None:
        """``n`` cycles of the current quarter, by the C kernel or the numpy steps; then the
        ScalarVal readout of the last of them (scalar_val.py: nothing else reads it)."""
        if self.kernel is None:
            with np.errstate(over="ignore"):       # exp in NXX1 far below threshold (-> 0)
                for _ in range(n):
                    self._cycle()
        else:
            done = self.kernel.run(n)
            self.cycle_n += done
            self.tot_cycle += done
            if done < n:
                self._check_finite()
        if self.scalar_vals:
            self.scalar_vals.readout(self)

    def _cycle(self) -> None:
        self.send_netin_delta()
        self.compute_netin_integ()
        self.compute_netin_stats()
        self.compute_inhib()
        self.compute_act()
        self.compute_act_post()
        self.compute_act_stats()
        if self.nan_check and not np.isfinite(np.dot(self.units["act"], self.units["net"])):
            self._check_finite()
        self.cycle_n += 1
        self.tot_cycle += 1

    # ------------------------------------------------------------------ quarter
    def quarter_final(self) -> None:
        """Quarter_Final (leabra.md 1.6): layer averages, quarter records, cos_diff, dWt."""
        u, lay, q = self.units, self.lay, self.quarter_n
        if q == 2 and self.scalar_vals:
            self.scalar_vals.minus_end(self)         # misc_2: the minus-phase value
        if q == 2:
            lay["acts_m"][:] = lay["acts_avg"]
            self._avg_act_update("acts_m_avg", lay["acts_m"])
        elif q == 3:
            lay["acts_p"][:] = lay["acts_avg"]
            self._avg_act_update("acts_p_avg", lay["acts_p"])
            lay["acts_p_avg_eff"][:] = np.where(self.avg_act_fixed, self.targ_init,
                                                self.avg_act_adjust * lay["acts_p_avg"])
        a = u["act_nd"]
        if q == 0:
            u["act_q1"][:] = a
        elif q == 1:
            u["act_q2"][:] = a
        elif q == 2:
            u["act_q3"][:] = a
            u["act_m"][:] = a
        else:
            u["act_q4"][:] = a
            u["act_p"][:] = a
            u["act_dif"][:] = u["act_p"] - u["act_m"]
            u["act_avg"] += self.act_avg_dt * (a - u["act_avg"])
            self.compute_cos_diff()
        if q == 3 or any(q in qs for qs in self.learn_quarters):
            self.compute_dwt(q)         # connections: the quarters of their learn_qtr
        self.compute_bias_dwt()         # biases: the end of every quarter (leabra.md 9.8)
        self.quarter_n += 1

    def _avg_act_update(self, key: str, m: np.ndarray) -> None:
        """acts_m_avg / acts_p_avg running average with use_first (leabra.md 8.1)."""
        cur = self.lay[key]
        first = self.avg_act_first & (cur == self.targ_init)
        rate = np.where(first, self.dtype(0.5), self.avg_act_dt)
        cur += rate * (m - cur)

    def compute_cos_diff(self) -> None:
        """cos_diff and mod_avg_l_lrn per layer (leabra.md 8.2), before dWt."""
        u, lay, f = self.units, self.lay, self.dtype
        for l in self.lay_list:
            i = l.index
            am = u["act_m"][l.slice] - lay["acts_m"][i]
            ap = u["act_p"][l.slice] - lay["acts_p"][i]
            dot = f(seq_sum(ap * am))
            den = f(np.sqrt(f(seq_sum(am * am)) * f(seq_sum(ap * ap))))
            cd = dot / den if den != 0 else dot
            lay["cos_diff"][i] = cd
            dt = self.cos_avg_dt[i]
            if lay["cos_diff_avg"][i] == 0:
                lay["cos_diff_avg"][i] = cd
                lay["cos_diff_var"][i] = 0
            else:
                d = f(cd - lay["cos_diff_avg"][i])
                lay["cos_diff_avg"][i] += dt * d
                var = lay["cos_diff_var"][i]
                lay["cos_diff_var"][i] = (f(2) * (f(1) - dt) * d * (dt * d) if var == 0
                                          else (f(1) - dt) * (var + d * dt * d))
            if self.is_hidden[i]:       # LAY_ERR_MOD (the only mode in scope)
                lay["cos_diff_avg_lrn"][i] = f(1) - lay["cos_diff_avg"][i]
                lay["mod_avg_l_lrn"][i] = max(lay["cos_diff_avg_lrn"][i], self.lay_mod_min[i])
            else:
                lay["cos_diff_avg_lrn"][i] = 0
                lay["mod_avg_l_lrn"][i] = 0

    def compute_dwt(self, quarter: int = 3) -> None:
        """Accumulate dWt, at the end of ``quarter`` (0-3), for every learning projection whose
        con spec's ``learn_qtr`` holds it (leabra.md 1.6 step 4, 9); biases: :meth:`compute_bias_dwt`."""
        if self.kernel is None:
            for p, qs in zip(self.prjn_list, self.learn_quarters):
                if quarter in qs:
                    p.compute_dwt(self.units, self.lay["lrate_mod"][p.recv.index])
        else:
            self.kernel.compute_dwt(quarter)

    def compute_bias_dwt(self) -> None:
        """Accumulate the bias dWt of every learning bias spec (leabra.md 9.8). emergent runs it at
        the end of every quarter: ``learn_qtr`` gates only the connections' dWt. One numpy step for
        both kernels (the bias has no per-synapse loop worth compiling)."""
        if self.bias_learn.any():
            u = self.units
            d = u["avg_s"] - u["avg_m"]
            use = self.bias_learn_u & (np.abs(d) >= self.bias_dwt_thresh)
            np.add(u["bias_dwt"], self.bias_lrate * d, out=u["bias_dwt"], where=use)

    def quarter(self, on_cycle=None) -> None:
        """One quarter: Quarter_Init, the cycles, Quarter_Final (trial statistics after quarter 3).

        ``on_cycle(net)``, if given, is called after every cycle."""
        self.quarter_init()
        n = self.model.network_params.network.times.quarter
        if on_cycle is None:
            self._cycles(n)
        else:
            for _ in range(n):
                self._cycles(1)
                on_cycle(self)
        q = self.quarter_n
        self.quarter_final()
        if q == 3:
            self.trial_stats = _stats.trial_stats(self)

    def trial(self, pattern: int | dict, on_cycle=None) -> dict:
        """One trial of ``pattern`` (a pattern row index or ``{layer: values}``), without the weight
        update of the previous trial (the run loop does that, leabra.md 1.2 step 1).
        Returns the trial statistics (sse, cnt_err, cos_err, norm_err and per-layer values)."""
        self.trial_init()
        self.apply_inputs(pattern)
        for _ in range(4):
            self.quarter(on_cycle)
        return self.trial_stats

    def epoch(self) -> dict:
        """One epoch of the model's patterns with its run plan (see :class:`emergent_py.leabra.run.Run`)."""
        if self._run is None:
            from .run import Run
            self._run = Run(self.model, net=self)
        return self._run.epoch()

    # ------------------------------------------------------------------ data parallel helpers
    def dwt_size(self) -> int:
        """Length of the flat dwt buffer: every projection's synapses, then every unit's bias dwt."""
        return sum(p.dwt.size for p in self.prjn_list) + self.n_units

    def collect_dwts(self, out: np.ndarray) -> np.ndarray:
        """Copy every projection's dwt (sender-major) and the bias dwts into the flat buffer ``out``
        (size :meth:`dwt_size`), e.g. for one MPI Allreduce of all weight changes. With ``out``
        :attr:`dwt_flat` (where the projections' dwt live) only the bias dwts are copied."""
        if out is self.dwt_flat:
            out[-self.n_units:] = self.units["bias_dwt"]
            return out
        i = 0
        for p in self.prjn_list:
            n = p.dwt.size
            out[i:i + n] = p.dwt.reshape(-1)
            i += n
        out[i:i + self.n_units] = self.units["bias_dwt"]
        return out

    def set_dwts(self, buf: np.ndarray) -> None:
        """Set every projection's dwt and the bias dwts from a buffer laid out as :meth:`collect_dwts`."""
        if buf is self.dwt_flat:
            self.units["bias_dwt"][:] = buf[-self.n_units:]
            return
        i = 0
        for p in self.prjn_list:
            n = p.dwt.size
            p.dwt[...] = np.asarray(buf[i:i + n], dtype=self.dtype).reshape(p.dwt.shape)
            i += n
        self.units["bias_dwt"][:] = buf[i:i + self.n_units]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """Complete network state (units, layers, synapses, counters, RNG) as plain arrays/values."""
        st = {f"units/{k}": v.copy() for k, v in self.units.items()}
        st |= {f"lay/{k}": v.copy() for k, v in self.lay.items()}
        st["pending"] = self.pending.copy()
        for p in self.prjn_list:
            for k in ("wt", "fwt", "dwt", "moment", "dwnorm", "wb_inc", "wb_dec"):
                st[f"prjn/{p.name}/{k}"] = getattr(p, k).copy()
        for i, pool in enumerate(self.pools):
            for k in ("ffi", "fbi", "g_i", "acts_avg"):
                st[f"pool/{i}/{k}"] = pool[k].copy()
        st["counters"] = dict(cycle=self.cycle_n, tot_cycle=self.tot_cycle, quarter=self.quarter_n,
                              total_trials=self.total_trials)
        st["rng"] = self.rng.bit_generator.state
        st["dtype"] = np.dtype(self.dtype).name
        return st

    def load_state_dict(self, st: dict) -> None:
        if st.get("dtype") != np.dtype(self.dtype).name:
            raise BackendError(f"state dtype {st.get('dtype')} differs from this network's {np.dtype(self.dtype).name}")
        for k, v in self.units.items():
            if k in LATER_UNIT_VARS and f"units/{k}" not in st:
                v[...] = 0              # a state saved before these variables existed (layer.py)
                continue
            v[...] = st[f"units/{k}"]
        for k, v in self.lay.items():
            v[...] = st[f"lay/{k}"]
        self.pending[...] = st["pending"]
        for p in self.prjn_list:
            for k in ("wt", "fwt", "dwt", "moment", "dwnorm", "wb_inc", "wb_dec"):
                getattr(p, k)[...] = st[f"prjn/{p.name}/{k}"]
        for i, pool in enumerate(self.pools):
            for k in ("ffi", "fbi", "g_i", "acts_avg"):
                pool[k][...] = st[f"pool/{i}/{k}"]
        c = st["counters"]
        self.cycle_n, self.tot_cycle = c["cycle"], c["tot_cycle"]
        self.quarter_n, self.total_trials = c["quarter"], c["total_trials"]
        self.rng.bit_generator.state = st["rng"]
        self._sync_refractory()
        self.any_bias = bool(np.any(self.units["bias_wt"] != 0))
