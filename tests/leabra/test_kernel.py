"""The compiled cycle kernel (kernel.c via kernel.py) against the numpy steps of cycle.py.

The reference-run checks (test_emergent_runs.py) run on both kernels; here: cycle-by-cycle
agreement on a network whose layers differ in their parameters (per-unit constant arrays), with
soft clamping, bias weights and v_m resets, plus the choice of kernel and its errors."""
from __future__ import annotations

import numpy as np
import pytest

from emergent_py import BackendError, Full, Model, Network as SpecNet, Patterns, RunPlan, Sheet
from emergent_py.spec import UniformRandom
from emergent_py.leabra import Network, kernel as kmod

STATE = ("act", "act_eq", "act_nd", "act_raw", "net", "net_raw", "act_sent", "v_m", "v_m_eq", "I_net",
         "gc_i", "da", "avg_ss", "avg_s", "avg_m", "ru_avg_s_lrn", "su_avg_s_lrn", "spike", "spk_t")


def mixed_model(in_pattern=None, extra: dict | None = None) -> Model:
    """Three layers that differ in gain, leak, time constants, inhibition and clamping."""
    net = SpecNet("Mixed")
    net.layer("Input", (4, 4), kind="input")
    net.layer("Hidden", (5, 6))
    net.layer("Output", (3, 4), kind="target")
    net.connect("Input", "Hidden", in_pattern or Full())
    net.connect("Hidden", "Output", Full())
    net.connect("Output", "Hidden", Full(), cls="TopDown")
    sheets = [Sheet(extra)] if extra else []
    sheet = Sheet({
        "Layer": {"act_avg.ss_tau": 2.0},
        "#Input": {"clamp.hard": False, "clamp.gain": 0.6},          # soft clamping: ext * gain
        "#Hidden": {"act.gain": 80.0, "g_bar.l": 0.2, "dt.vm_tau": 2.5, "lay_inhib.gi": 1.6,
                    "lay_inhib.max_vs_avg": 0.3, "bias.learn": True, "bias.dwt_thresh": 0.0},
        "#Output": {"dt.net_tau": 1.7, "act_avg.ru_lrn_m": 0.2, "act_avg.su_lrn_m": 0.05},
        ".TopDown": {"wt_scale.rel": 0.3},
    })
    pats = Patterns.random(n=4, layers={"Input": (4, 4), "Output": (3, 4)}, pct_on=0.3, seed=3)
    return Model(net, [sheet] + sheets, pats, RunPlan(epochs=1, stop_cnt_err=None, seed=11))


def _per_cycle(kernel: str, n_trials: int) -> list[dict]:
    net = Network(mixed_model(), kernel=kernel)
    assert net.kernel_name == kernel
    rows = []
    grab = lambda n: rows.append({v: n.units[v].copy() for v in STATE} | {"g_i": n.lay["g_i"].copy()})
    for t in range(n_trials):
        net.compute_weights()
        net.trial(t % 4, on_cycle=grab)
    return rows, net


def test_c_kernel_equals_numpy_steps_bitwise_cycle_by_cycle():
    """The two implementations do the same float32 operations in the same order (sums in unit
    order, exp as the C library's expf), so every unit variable agrees bit for bit on every
    cycle, with the default send/delta thresholds, which a 1-ulp difference could flip."""
    (a, na), (b, nb) = _per_cycle("numpy", 3), _per_cycle("c", 3)
    assert len(a) == len(b) == 300
    assert nb.units["bias_wt"].any()                   # bias weights learned and feed net input
    resets = sum(int(r["spike"].sum()) for r in b)
    assert resets > 0                                   # v_m resets (and their refractory cycles) ran
    for cyc, (x, y) in enumerate(zip(a, b)):
        for v in x:
            np.testing.assert_array_equal(x[v], y[v], err_msg=f"{v} at cycle {cyc}")
    for p in na.prjn_list:
        np.testing.assert_array_equal(p.wt, nb.projections[p.name].wt, err_msg=p.name)


def test_c_kernel_single_cycles_equal_a_whole_quarter():
    """net.cycle() one at a time gives bitwise what one call for the quarter gives."""
    whole = Network(mixed_model(), kernel="c")
    whole.trial(1)
    single = Network(mixed_model(), kernel="c")
    single.trial(1, on_cycle=lambda n: None)            # an observer makes every cycle its own call
    for v in STATE:
        np.testing.assert_array_equal(whole.units[v], single.units[v], err_msg=v)
    assert whole.tot_cycle == single.tot_cycle == 100


def test_kernel_choice_and_errors(monkeypatch):
    model = mixed_model()
    monkeypatch.delenv("EMERGENT_PY_KERNEL", raising=False)
    assert Network(model).kernel_name == "c"                            # auto: C where it can
    assert Network(model, kernel="numpy").kernel_name == "numpy"
    monkeypatch.setenv("EMERGENT_PY_KERNEL", "numpy")
    assert Network(model).kernel_name == "numpy"
    assert Network(model, kernel="c").kernel_name == "c"                # the argument wins
    monkeypatch.setenv("EMERGENT_PY_KERNEL", "fast")
    with pytest.raises(BackendError, match=r"kernel 'fast': use one of auto, c, numpy"):
        Network(model)
    monkeypatch.delenv("EMERGENT_PY_KERNEL")
    # float64 runs on the numpy steps; asking for C says why not
    assert Network(model, dtype=np.float64).kernel_name == "numpy"
    with pytest.raises(BackendError, match=r"kernel 'c': .*float32 only"):
        Network(model, dtype=np.float64, kernel="c")


def test_missing_compiler_falls_back_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.setattr(kmod, "_LIB", None)
    monkeypatch.setattr(kmod, "_LIB_ERROR", None)
    monkeypatch.setenv("EMERGENT_PY_CACHE", str(tmp_path))               # nothing built there yet
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    monkeypatch.delenv("EMERGENT_PY_KERNEL", raising=False)
    model = mixed_model()
    with pytest.warns(RuntimeWarning, match=r"compiled cycle kernel is unavailable.*no-such-cc.*numpy steps"):
        assert Network(model).kernel_name == "numpy"
    with pytest.raises(BackendError, match=r"compiled cycle kernel is unavailable.*no-such-cc"):
        Network(model, kernel="c")
    assert not list(tmp_path.glob("*.so")) and not list(tmp_path.glob("*.tmp*"))


def test_kernel_builds_into_the_cache_once(monkeypatch, tmp_path):
    monkeypatch.setattr(kmod, "_LIB", None)
    monkeypatch.setattr(kmod, "_LIB_ERROR", None)
    monkeypatch.setenv("EMERGENT_PY_CACHE", str(tmp_path))
    assert Network(mixed_model(), kernel="c").kernel_name == "c"
    built = list(tmp_path.glob("leabra_kernel-*.so"))
    assert len(built) == 1 and built[0] == kmod.library_path()
    assert not list(tmp_path.glob("*.tmp*"))


def test_a_build_prunes_builds_unused_for_30_days(monkeypatch, tmp_path):
    """Old versions (another source, compiler or CPU) do not pile up in the cache: a build removes
    those not loaded for UNUSED_BUILD_DAYS; recently used ones stay."""
    import os
    import time
    monkeypatch.setattr(kmod, "_LIB", None)
    monkeypatch.setattr(kmod, "_LIB_ERROR", None)
    monkeypatch.setenv("EMERGENT_PY_CACHE", str(tmp_path))
    stale, recent = tmp_path / "leabra_kernel-0000000000000000.so", tmp_path / "leabra_kernel-1111111111111111.so"
    for f, days in ((stale, 31), (recent, 29)):
        f.write_bytes(b"not a library")
        t = time.time() - days * 86400
        os.utime(f, (t, t))
    assert Network(mixed_model(), kernel="c").kernel_name == "c"
    assert not stale.exists() and recent.exists() and kmod.library_path().exists()


@pytest.mark.parametrize("prjn,sparse", [
    ({}, False),                                                      # XCAL_CHL, norm, momentum
    ({"rule.rule": "DELTA_FF_FB", "dwt_norm.lr_comp": 0.2, "xcal.m_lrn": 0.7}, False),
    ({"dwt_norm.level": "SYN", "momentum.on": False, "wt_sig.gain": 5.5, "wt_sig.off": 1.25}, True),
    ({"dwt_norm.on": False, "wt_sig.soft_bound": False, "xcal.set_l_lrn": True, "xcal.l_lrn": 0.3}, False),
    ({}, True),                                                       # a connectivity mask
])
def test_c_learning_equals_numpy_learning_bitwise(prjn, sparse):
    """compute_dwt and Compute_Weights in C give bit for bit the numpy results (learn.py)."""
    model = mixed_model(in_pattern=UniformRandom(0.6, seed=1) if sparse else None,
                        extra={"#Output->Hidden": {"feedback": True}} | ({"Prjn": prjn} if prjn else {}))
    ref = Network(model, kernel="numpy")
    for t in range(3):                                   # a state with moments, norms and weights
        ref.compute_weights()
        ref.trial(t)
    nets = {k: Network(model, kernel=k) for k in ("numpy", "c")}
    for net in nets.values():
        net.load_state_dict(ref.state_dict())
        net.compute_weights()                            # applies trial 3's dwt
        net.compute_dwt()                                # and accumulates one more from the state
    a, b = nets["numpy"], nets["c"]
    for p in a.prjn_list:
        for var in ("wt", "fwt", "dwt", "dwnorm", "moment"):
            np.testing.assert_array_equal(getattr(p, var), getattr(b.projections[p.name], var),
                                          err_msg=f"{p.name} {var}")
        assert np.any(p.dwt != 0) and not np.array_equal(p.wt, ref.projections[p.name].wt)


def test_cli_says_in_one_line_when_it_falls_back_to_numpy(tmp_path):
    import subprocess
    import sys
    spec = tmp_path / "mixed.json"
    spec.write_text(mixed_model().to_json())
    env = dict(__import__("os").environ, EMERGENT_PY_CACHE=str(tmp_path / "cache"), CC=str(tmp_path / "no-cc"))
    env.pop("EMERGENT_PY_KERNEL", None)
    done = subprocess.run([sys.executable, "-m", "emergent_py", "run", str(spec), "--epochs", "1", "-q"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines == [f"emergent-py run: warning: the compiled cycle kernel is unavailable: [Errno 2] No such "
                     f"file or directory: '{tmp_path / 'no-cc'}'; running the numpy steps instead (several "
                     f"times slower)"], done.stderr


def test_c_kernel_pool_inhibition_equals_numpy_steps_bitwise():
    """Unit-group (pool) FFFB of a 4-D layer: per-cycle act, pool g_i, fbi and acts_avg."""
    from test_pools import pooled_model
    model = pooled_model()
    runs = {}
    for kernel in ("numpy", "c"):
        net = Network(model, kernel=kernel)
        assert net.kernel_name == kernel and len(net.pools) == 1
        rows = []
        grab = lambda n: rows.append([n.units["act"].copy()] + [n.pools[0][k].copy() for k in ("g_i", "fbi", "acts_avg")])
        for t in range(3):
            net.compute_weights()
            net.trial(t, on_cycle=grab)
        runs[kernel] = rows
    for cyc, (a, b) in enumerate(zip(runs["numpy"], runs["c"])):
        for name, x, y in zip(("act", "g_i", "fbi", "acts_avg"), a, b):
            np.testing.assert_array_equal(x, y, err_msg=f"{name} at cycle {cyc}")
    assert runs["c"][-1][1].max() > runs["c"][-1][1].min() > 0      # the pools' g_i differ: each its own


def test_unwritable_cache_builds_in_the_temporary_directory(monkeypatch, tmp_path):
    import tempfile
    monkeypatch.setattr(kmod, "_LIB", None)
    monkeypatch.setattr(kmod, "_LIB_ERROR", None)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EMERGENT_PY_CACHE", str(blocker / "cache"))       # cannot be created
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert Network(mixed_model(), kernel="c").kernel_name == "c"
    assert list((tmp_path / "tmp").glob("emergent_py-*/leabra_kernel-*.so"))
