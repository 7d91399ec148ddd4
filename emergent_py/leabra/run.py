"""The training loop: epochs of trials in the plan's order, weight-update modes, stopping,
statistics rows with emergent's names, an observer hook, and checkpoint/resume.

emergent's programs (leabra.md 1.2): LeabraTrain runs epochs until ``max_epoch`` or the stop
criterion; LeabraEpoch runs the trials in (sequential | permuted | random) order; LeabraTrial
first applies the previous trial's weight change (on_line; every ``small_batch_n`` trials for
small_batch), then runs the trial. batch applies the epoch's summed change at epoch end.

>>> run = Run(model)                       # doctest: +SKIP
>>> log = run.run()                        # the plan's epochs (or until the stop criterion)
>>> log.column("avg_sse")                  # one value per epoch
"""
from __future__ import annotations

import copy
import json
import time
from typing import Any, Callable

import numpy as np

from ..spec.model import Model
from .network import Network
from .record import RECORD_LEVELS, Record, parse_record
from .stats import epoch_stats


def _values(columns) -> dict:
    """A row's recorded variables now: unit variables in the layer's geometry (copies)."""
    row = {}
    for col, lay, var in columns:
        value = getattr(lay, var)
        row[col] = value.reshape(lay.shape).copy() if np.ndim(value) else value
    return row


class RunLog:
    """Rows of a run in memory: ``epochs``, ``trials`` and ``cycles`` lists of dicts.

    Column names are emergent's (epoch, trial, trial_name, sse, avg_sse, cnt_err, pct_err,
    cos_err, norm_err, ...)."""

    def __init__(self) -> None:
        self.epochs: list[dict] = []
        self.trials: list[dict] = []
        self.cycles: list[dict] = []

    def rows(self, level: str) -> list[dict]:
        if level not in RECORD_LEVELS:
            raise KeyError(f"level '{level}': use one of {', '.join(RECORD_LEVELS)}")
        return {"epoch": self.epochs, "trial": self.trials, "cycle": self.cycles}[level]

    def column(self, name: str, level: str = "epoch") -> np.ndarray:
        """One column as an array (matrix columns stacked: (n_rows, n_units))."""
        rows = self.rows(level)
        if rows and name not in rows[0]:
            raise KeyError(f"no column '{name}' at level {level}; have {', '.join(rows[0])}")
        return np.array([r[name] for r in rows])

    def __repr__(self) -> str:
        return f"RunLog({len(self.epochs)} epochs, {len(self.trials)} trials, {len(self.cycles)} cycles)"


class Run:
    """A training run of ``model`` on the native core.

    Parameters
    ----------
    model : the validated spec
    seed : overrides the plan's seed (initial weights and trial order)
    weights : initial weights, see :class:`Network`
    dtype : np.float32 (default, emergent's) or np.float64
    observer : object with optional methods ``on_trial(row)``, ``on_epoch(row)``, ``on_cycle(row)``
    record : "epoch", "trial" (default) or "cycle": which rows the in-memory :class:`RunLog` keeps
        (the observer always sees trial and epoch rows); ``"cycle:act,Hidden.v_m"`` chooses the
        variables of the cycle rows, ``"trial:Hidden.act_m"`` adds variables to the trial rows
        (a :class:`~emergent_py.leabra.record.Record` or its text, :mod:`.record`)
    net : an existing :class:`Network` of this model to drive instead of building one
    threads : threads of the C kernel inside the network (default 1, or "auto"), see :class:`Network`
    """

    def __init__(self, model: Model, seed: int | None = None, weights: dict | None = None,
                 dtype=np.float32, observer: Any = None, record: str | Record = "trial",
                 net: Network | None = None, threads: int | str = 1) -> None:
        rec = parse_record(record)
        self.model, self.plan = model, model.plan
        self.net = net if net is not None else Network(model, seed=seed, weights=weights, dtype=dtype,
                                                           threads=threads)
        self.observer, self.record = observer, rec.level
        self.cycle_columns = rec.columns(self.net.layers, "cycle")   # (column, layer view, variable)
        self.trial_columns = rec.columns(self.net.layers, "trial")
        self.log = RunLog()
        self.n_pats = model.patterns.n
        # position
        self.epoch_n = 0            # epochs completed
        self.trial_pos = 0          # next position in self.order
        self.order: np.ndarray | None = None
        self.epoch_rows: list[dict] = []
        self.n_under = 0
        self.stopped = False
        self.epoch_open = False     # trials of the current epoch have run but not its epoch row
        self._epoch_start = None

    # ------------------------------------------------------------------ steps
    def _new_order(self) -> np.ndarray:
        n, rng = self.n_pats, self.net.rng
        if self.plan.order == "sequential":
            return np.arange(n)
        if self.plan.order == "permuted":
            return rng.permutation(n)
        return rng.integers(0, n, size=n)

    def _notify(self, hook: str, row: dict) -> None:
        fn = getattr(self.observer, hook, None) if self.observer is not None else None
        if fn is not None:
            fn(row)

    def trial(self) -> dict:
        """Run the next trial of the current epoch; returns its row."""
        if self.order is None or self.trial_pos >= len(self.order):
            self.order = self._new_order()
            self.trial_pos = 0
            self.epoch_rows = []
            self.epoch_open = True
            self._epoch_start = time.perf_counter()
        if self._epoch_start is None:
            self._epoch_start = time.perf_counter()
        net, plan = self.net, self.plan
        if plan.wt_update == "on_line" or (plan.wt_update == "small_batch" and net.total_trials > 0
                                           and net.total_trials % plan.small_batch_n == 0):
            net.compute_weights()
        pat = int(self.order[self.trial_pos])
        want_cycles = self.record == "cycle" or hasattr(self.observer, "on_cycle")
        stats = net.trial(pat, on_cycle=self._cycle_row if want_cycles else None)
        row = {"epoch": self.epoch_n, "trial": self.trial_pos,
               "trial_name": self.model.patterns.names[pat], **stats}
        row.update(_values(self.trial_columns))
        self.trial_pos += 1
        self.epoch_rows.append(row)
        if self.record in ("trial", "cycle"):
            self.log.trials.append(row)
        self._notify("on_trial", row)
        return row

    def _cycle_row(self, net: Network) -> None:
        row = {"epoch": self.epoch_n, "trial": self.trial_pos, "quarter": net.quarter_n, "cycle": net.cycle_n}
        row.update(_values(self.cycle_columns))
        if self.record == "cycle":
            self.log.cycles.append(row)
        self._notify("on_cycle", row)

    def epoch(self) -> dict:
        """Run the rest of the current epoch (or a whole new one); returns the epoch row."""
        if not self.epoch_open:
            self.trial()
        while self.trial_pos < len(self.order):
            self.trial()
        if self.plan.wt_update == "batch":
            self.net.compute_weights()
        row = {"epoch": self.epoch_n, **epoch_stats(self.epoch_rows),
               "epoch_time_tot": time.perf_counter() - (self._epoch_start or time.perf_counter())}
        self._epoch_start = None
        self.epoch_open = False
        self.epoch_n += 1
        self.log.epochs.append(row)
        crit = self.plan.stop_cnt_err
        self.n_under = self.n_under + 1 if crit is not None and row["cnt_err"] <= crit else 0
        if crit is not None and self.n_under >= self.plan.stop_n_under:
            self.stopped = True
        self._notify("on_epoch", row)
        return row

    def run(self, epochs: int | None = None, progress: Callable[[dict], None] | None = None) -> RunLog:
        """Run until ``epochs`` epochs are done in total (default: the plan's) or the stop criterion."""
        total = self.plan.epochs if epochs is None else epochs
        while self.epoch_n < total and not self.stopped:
            row = self.epoch()
            if progress is not None:
                progress(row)
        return self.log

    # ------------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict:
        """Network state + RNG + position (epoch, trial position, order, stop counter, the
        current epoch's trial rows): enough to resume bitwise-identically."""
        st = self.net.state_dict()
        st["run"] = {"epoch": self.epoch_n, "trial_pos": self.trial_pos,
                     "order": None if self.order is None else [int(i) for i in self.order],
                     "n_under": self.n_under, "stopped": self.stopped, "epoch_open": self.epoch_open,
                     # (recorded unit variables as lists: the checkpoint keeps this part as JSON)
                     "epoch_rows": [{k: v.tolist() if isinstance(v, np.ndarray) else copy.deepcopy(v)
                                     for k, v in row.items()} for row in self.epoch_rows]}
        return st

    def load_state_dict(self, st: dict) -> None:
        self.net.load_state_dict(st)
        r = st["run"]
        self.epoch_n, self.trial_pos = r["epoch"], r["trial_pos"]
        self.order = None if r["order"] is None else np.array(r["order"], dtype=np.int64)
        self.n_under, self.stopped, self.epoch_open = r["n_under"], r["stopped"], r["epoch_open"]
        self.epoch_rows = copy.deepcopy(r["epoch_rows"])
        self._epoch_start = None

    # ------------------------------------------------------------------ checkpoint as plain data
    def to_checkpoint(self) -> dict:
        """:meth:`state_dict` as ``{"arrays": {name: ndarray}, "json": str}`` (no '/' in names,
        the RNG's big integers in JSON): what a run file's checkpoint slot stores."""
        st = self.state_dict()
        arrays = {k.replace("/", "|"): v for k, v in st.items() if isinstance(v, np.ndarray)}
        rest = {k: v for k, v in st.items() if not isinstance(v, np.ndarray)}
        return {"arrays": arrays, "json": json.dumps(rest)}

    def from_checkpoint(self, ck: dict) -> None:
        st = {k.replace("|", "/"): np.asarray(v) for k, v in ck["arrays"].items()}
        st.update(json.loads(ck["json"]))
        self.load_state_dict(st)

    def weights(self, apply_pending: bool = False) -> tuple[dict, dict]:
        """Current effective weights ``{projection: (n_recv, n_send)}`` and biases ``{layer: (n,)}``.

        As emergent saves them after an on-line run, they lack the last trial's weight change,
        which the next trial would apply first (leabra.md 1.2); ``apply_pending=True`` gives the
        weights after it (emergent's Compute_Weights after the run: its ``*_afterCW`` files)
        and leaves the run's own state as it was. Under MPI that sums the pending changes of
        all ranks: every rank calls it."""
        if apply_pending:
            saved = self.net.state_dict()
            try:
                self.net.compute_weights()
                return self.weights()
            finally:
                self.net.load_state_dict(saved)
        return ({p.name: p.var("wt") for p in self.net.prjn_list},
                {l.name: np.array(l.bias_wt).ravel() for l in self.net.lay_list})
