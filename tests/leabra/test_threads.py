"""Threads inside one network (kernel.c's pool, leabra/threads.py): bit for bit one thread.

Every check runs real multi-threaded cycles and learning: the work-size rule that runs small
networks on fewer threads is switched off (MIN_SYNAPSES_PER_THREAD = 0), so even the 4-unit
layers of the basic reference run are split across 2, 3 and 4 threads (this machine has 2 cores:
3 and 4 threads also test a pool with more threads than cores).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from emergent_py.emergent.wts import read_wts
from emergent_py.errors import BackendError
from emergent_py.leabra import Network, Run
from emergent_py.leabra import threads as th
from emergent_py.leabra.bench import bench_model
from emergent_py.leabra.learn import wt_bal_sums
from emergent_py.spec import Full, Model, Network as SpecNet, Patterns, RunPlan, Sheet, Tessel

from test_emergent_runs import TRACE_VARS, stdassoc_model, wts_dict
from test_pools import pooled_model

THREADS = (2, 3, 4)


@pytest.fixture(autouse=True)
def split_everything(monkeypatch):
    monkeypatch.setattr(th, "MIN_SYNAPSES_PER_THREAD", 0)
    monkeypatch.setenv("EMERGENT_PY_KERNEL", "c")


def assert_same_state(a: Network, b: Network) -> None:
    """Every array of the two networks' state equal bit for bit (NaNs included)."""
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k, v in sa.items():
        if isinstance(v, np.ndarray):
            assert v.dtype == sb[k].dtype, k
            assert v.tobytes() == sb[k].tobytes(), f"{k}: first difference at {np.flatnonzero(v != sb[k])[:5]}"
        else:
            assert v == sb[k], k


def trace(net: Network, n_trials: int) -> np.ndarray:
    """Every traced unit variable of every unit after every cycle (one kernel call per cycle)."""
    rows = []
    for t in range(n_trials):
        net.compute_weights()
        net.trial(t % net.model.patterns.n,
                  on_cycle=lambda n: rows.append(np.concatenate([n.units[v] for v in TRACE_VARS])))
    return np.array(rows)


@pytest.fixture(scope="module")
def basic_one(basic_model):
    net = Network(basic_model, kernel="c")
    assert net.threads == 1
    return net, trace(net, 8)


@pytest.mark.parametrize("n", THREADS)
def test_basic_reference_run_on_threads(reference, basic_model, basic_one, n):
    """The basic reference run (8 trials, 800 cycles): every unit variable after every cycle and
    the whole state equal to one thread's, and the final weights emergent's, bit for bit."""
    one, want = basic_one
    net = Network(basic_model, threads=n)
    assert (net.threads, net.kernel.threads, net.threads_note) == (n, n, "")
    got = trace(net, 8)
    assert got.tobytes() == want.tobytes()
    assert_same_state(net, one)
    end = read_wts(reference / "runs" / "basic" / "basic_leabra_test_cyc5.end_noCW.bin.wts")
    for p in net.prjn_list:
        np.testing.assert_array_equal(p.var("wt"), end.dense(p.recv.name, p.send.name), err_msg=p.name)


_ONE: dict = {}


@pytest.fixture
def stdassoc_one(reference):
    """The one-thread run (once per session)."""
    if "stdassoc" not in _ONE:
        _ONE["stdassoc"] = _stdassoc(reference, 1)
    return _ONE["stdassoc"]


def _stdassoc(reference, n):
    folder = reference / "runs" / "stdassoc"
    model = stdassoc_model(reference)
    run = Run(model, weights=wts_dict(read_wts(folder / "LeabraStd_init_bin.00_0000.wts.gz"), model),
              record="trial", threads=n)
    return run, run.run()


@pytest.mark.parametrize("n", THREADS)
def test_stdassoc_reference_run_on_threads(reference, stdassoc_one, n):
    """stdassoc, 5 epochs (29 weight updates): trial statistics and state equal to one
    thread's, final weights emergent's (all 1875) bit for bit."""
    one, one_log = stdassoc_one
    run, log = _stdassoc(reference, n)
    assert run.net.threads == n
    for col in ("sse", "cos_err", "Hidden_avg_act_diff", "Output_cos_diff"):
        assert np.asarray(log.column(col, "trial")).tobytes() == np.asarray(one_log.column(col, "trial")).tobytes(), col
    assert_same_state(run.net, one.net)
    ref = read_wts(reference / "runs" / "stdassoc" / "LeabraStd_e5_bin.00_0005.wts.gz")
    for p in run.net.prjn_list:
        np.testing.assert_array_equal(p.var("wt"), ref.dense(p.recv.name, p.send.name), err_msg=p.name)


@pytest.mark.parametrize("units", [25, 100])
def test_benchmark_network_on_threads(units):
    """The benchmark network (5 layers, 7 full projections; 100 units per layer splits in cache-
    line blocks of 16): 11 trials with learning (the weight balance after the 10th) on 1..4 and
    8 threads (8 cut every layer of 100 units, where the blocks move with the activity from
    cycle to cycle), the same bits."""
    counts = (1, *THREADS, 8)
    nets = [Network(bench_model(units), threads=n) for n in counts]
    assert [net.threads for net in nets] == list(counts)
    for t in range(11):
        for net in nets:
            net.compute_weights()
            net.trial(t % net.model.patterns.n)
    for net in nets[1:]:
        assert_same_state(net, nets[0])


def wt_bal_model() -> Model:
    """2000 senders into a 625-unit layer, one unit, three units (full) and a Tessel layer
    (each receiver sees 49 of the senders: a connection mask)."""
    net = SpecNet("WtBal")
    net.layer("In", (40, 50), kind="input")
    for name, shape in (("Wide", (25, 25)), ("One", (1, 1)), ("Three", (1, 3)), ("Tiled", (10, 10))):
        net.layer(name, shape)
    for name in ("Wide", "One", "Three"):
        net.connect("In", name, Full())
    net.connect("In", "Tiled", Tessel(tuple((x, y) for x in range(-3, 4) for y in range(-3, 4)),
                                      send_scale=(4, 5)))
    pats = Patterns.random(n=1, layers={"In": (40, 50)}, pct_on=0.2, seed=1)
    return Model(net, Sheet({}), pats, RunPlan(epochs=1, stop_cnt_err=None, seed=1))


@pytest.mark.parametrize("n", (1, *THREADS))
def test_weight_balance_sums_on_threads(n):
    """The weight balance's per-receiver sums and counts (weights >= avg_thr, connected ones) by
    the kernel's threads: learn.wt_bal_sums' bits (sender order) for 625, 1 and 3 receivers and
    a masked projection."""
    net = Network(wt_bal_model(), threads=n)
    assert net.threads == n
    rng = np.random.default_rng(5)
    masked = 0
    for p in net.prjn_list:
        p.wt[...] = rng.random(p.wt.shape, dtype=np.float32) * np.float32(0.7) + np.float32(0.1)   # in place
        thr = p.cc.wt_bal.avg_thr
        want_tot, want_cnt = wt_bal_sums(p.wt, p.mask, np.float32(thr))
        tot, cnt = net.kernel.wt_bal_sums(p, thr)
        assert tot.tobytes() == want_tot.astype(np.float32).tobytes(), p.name
        assert np.array_equal(cnt, want_cnt) and 0 < cnt.min() and cnt.max() < p.send.n, p.name
        masked += p.mask is not None
    assert masked == 1


def test_pooled_layer_on_threads():
    """Unit-group inhibition (4 pools of 9 units): thread slices of 12 units cross the pool
    borders, every pool still gets its own inhibition."""
    nets = [Network(pooled_model(), threads=n) for n in (1, 3)]
    assert nets[1].pools and nets[1].threads == 3
    for t in range(6):
        for net in nets:
            net.compute_weights()
            net.trial(t % 3)
    assert_same_state(nets[1], nets[0])


def test_nan_stops_at_the_same_cycle_on_threads(basic_model):
    """A non-finite net input stops the kernel at the same cycle with the same state on 1 and 3
    threads (the finite check is split across threads, the stop decision is thread 0's)."""
    nets = [Network(basic_model, threads=n) for n in (1, 3)]
    errors = []
    for net in nets:
        net.trial(0)
        net.prjn_list[0].wt[:, 1] = np.float32(np.inf)
        with pytest.raises(BackendError) as e:
            net.trial(1)
        errors.append(str(e.value))
    assert errors[0] == errors[1]
    assert nets[0].tot_cycle == nets[1].tot_cycle < 200
    assert_same_state(nets[1], nets[0])


def test_nan_stop_leaves_the_failing_cycles_senders(monkeypatch):
    """Each block chooses its senders for the next cycle right after its activation; at a stop
    on a non-finite value that choice is undone, so act_sent is the failing cycle's, as the numpy
    steps (which choose at the start of the next cycle) leave it, on 1 and 2 threads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)       # the numpy steps on inf
        nets = [Network(bench_model(100), kernel=k, threads=n) for k, n in (("numpy", 1), ("c", 1), ("c", 2))]
        for net in nets:
            net.trial(0)
            next(p for p in net.prjn_list if p.name == "Hidden_0->Hidden_1").wt[:] = np.inf  # once Hidden_0 sends
            with pytest.raises(BackendError):
                net.trial(1)
    assert nets[2].threads == 2
    assert len({n.tot_cycle for n in nets}) == 1 and nets[0].cycle_n > 1     # mid-quarter
    sent = [n.units["act_sent"] for n in nets]
    assert np.count_nonzero(sent[0]) > 0
    assert sent[1].tobytes() == sent[0].tobytes() == sent[2].tobytes()


def test_fewer_threads_where_the_network_is_small(basic_model, monkeypatch):
    monkeypatch.setattr(th, "MIN_SYNAPSES_PER_THREAD", 150_000)
    net = Network(basic_model, threads=4)
    assert net.threads == 1 and net.threads_requested == 4
    assert "too few to split" in net.threads_note and str(sum(p.n_syn for p in net.prjn_list)) in net.threads_note
    assert th.effective_threads(8, 3_000_000) == (8, "")
    assert th.effective_threads(8, 400_000)[0] == 2


def test_numpy_steps_say_they_are_single_threaded(basic_model):
    with pytest.warns(RuntimeWarning, match="numpy steps are single-threaded"):
        net = Network(basic_model, kernel="numpy", threads=2)
    assert net.threads == 1 and net.kernel is None and "numpy" in net.threads_note


def test_parse_threads_and_auto(monkeypatch):
    assert th.parse_threads(3) == 3 and th.parse_threads("2") == 2
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "6")
    assert th.parse_threads("auto") == 6
    monkeypatch.delenv("SLURM_CPUS_PER_TASK")
    assert th.parse_threads("auto") == len(os.sched_getaffinity(0))
    for bad in (0, -1, "x", "1.5", True):
        with pytest.raises(BackendError, match="threads"):
            th.parse_threads(bad)
    assert th.cpu_list([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"


def test_forked_child_starts_its_own_threads(basic_model):
    """A fork copies no threads: the child's network starts a pool of its own (instead of
    waiting forever for workers that do not exist there) and computes the same bits."""
    net = Network(basic_model, threads=2)
    net.trial(0)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                    # the child: one more trial, its weights out
        try:
            os.close(r)
            net.compute_weights()
            net.trial(1)
            os.write(w, np.concatenate([p.wt.ravel() for p in net.prjn_list]).tobytes())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        child = fh.read()
    os.waitpid(pid, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.compute_weights()
        net.trial(1)
    assert child == np.concatenate([p.wt.ravel() for p in net.prjn_list]).tobytes()
