"""The run loop, determinism, checkpoint/resume, weight-update modes, errors and the CLI."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emergent_py import BackendError, Full, Model, Network as SpecNet, Patterns, RunPlan, Sheet
from emergent_py.cli import main
from emergent_py.leabra import Network, Run

REPO = Path(__file__).resolve().parents[2]


def small_model(plan: RunPlan | None = None, params: dict | None = None, prjn_params: dict | None = None) -> Model:
    net = SpecNet("Small")
    net.layer("Input", (3, 3), kind="input")
    net.layer("Hidden", (4, 4))
    net.layer("Output", (3, 3), kind="target")
    net.connect("Input", "Hidden", Full())
    net.connect("Hidden", "Output", Full())
    net.connect("Output", "Hidden", Full(), cls="TopDown")
    sheet = {".TopDown": {"wt_scale.rel": 0.2}}
    if params:
        sheet["Layer"] = params
    if prjn_params:
        sheet["Prjn"] = prjn_params
    pats = Patterns.random(n=6, layers={"Input": (3, 3), "Output": (3, 3)}, pct_on=0.34, seed=2)
    return Model(net, Sheet(sheet), pats, plan or RunPlan(epochs=3, stop_cnt_err=None, seed=5))


def weights(net: Network) -> dict:
    return {p.name: p.var("wt") for p in net.prjn_list}


def test_same_seed_bitwise_identical_different_seed_differs():
    a, b = Run(small_model()), Run(small_model())
    la, lb = a.run(), b.run()
    assert la.column("sse", "trial").tobytes() == lb.column("sse", "trial").tobytes()
    for k, w in weights(a.net).items():
        assert w.tobytes() == weights(b.net)[k].tobytes()
    c = Network(small_model(), seed=6)
    assert not np.array_equal(weights(c)["Input->Hidden"], weights(Network(small_model()))["Input->Hidden"])


def test_initial_weights_distribution_and_symmetry():
    net = Network(small_model())
    w = net.projections["Input->Hidden"].var("wt")
    assert w.dtype == np.float32 and 0.25 <= w.min() and w.max() <= 0.75 and w.std() > 0.05
    # sym: the bottom-up Hidden->Output weights are copied into Output->Hidden
    np.testing.assert_array_equal(net.projections["Output->Hidden"].var("wt"),
                                  net.projections["Hidden->Output"].var("wt").T)


def test_checkpoint_resume_is_bitwise_identical():
    full = Run(small_model())
    full.run()
    part = Run(small_model())
    part.epoch()
    part.trial()
    part.trial()                                   # stop mid-epoch
    st = part.state_dict()
    resumed = Run(small_model(), seed=123)         # different seed: everything comes from the state
    resumed.load_state_dict(st)
    resumed.run()
    for k, w in weights(full.net).items():
        assert w.tobytes() == weights(resumed.net)[k].tobytes()
    np.testing.assert_array_equal(full.log.column("avg_sse")[1:], resumed.log.column("avg_sse"))


@pytest.mark.parametrize("mode", ["batch", "small_batch"])
def test_weight_update_modes(mode):
    plan = RunPlan(epochs=1, stop_cnt_err=None, wt_update=mode, small_batch_n=4, seed=5)
    run = Run(small_model(plan))
    w0 = weights(run.net)["Input->Hidden"].copy()
    seen = []
    for t in range(6):
        run.trial()
        seen.append(not np.array_equal(w0, weights(run.net)["Input->Hidden"]))
    if mode == "small_batch":
        # the change of trials 0-3 is applied at the start of trial 4 (total_trials 4)
        assert seen == [False] * 4 + [True, True]
    else:
        assert not any(seen)
        run.epoch()  # finishes the epoch (nothing left) -> batch update at epoch end
    if mode == "batch":
        assert not np.array_equal(w0, weights(run.net)["Input->Hidden"])


def test_collect_and_set_dwts_round_trip():
    net = Network(small_model())
    net.trial(0)
    buf = np.zeros(net.dwt_size(), dtype=np.float32)
    net.collect_dwts(buf)
    assert np.any(buf != 0)
    net.set_dwts(2 * buf)
    out = np.zeros_like(buf)
    np.testing.assert_array_equal(net.collect_dwts(out), 2 * buf)
    # the projections' dwt live in net.dwt_flat (what an MPI Allreduce sums in place)
    assert all(np.shares_memory(p.dwt, net.dwt_flat) for p in net.prjn_list)
    np.testing.assert_array_equal(net.collect_dwts(net.dwt_flat), 2 * buf)
    net.dwt_flat *= 3
    net.set_dwts(net.dwt_flat)
    np.testing.assert_array_equal(net.collect_dwts(out), 6 * buf)


def test_observer_sees_rows_and_unit_variables_exposed():
    class Obs:
        def __init__(self):
            self.trials, self.epochs = [], []

        def on_trial(self, row):
            self.trials.append(row)

        def on_epoch(self, row):
            self.epochs.append(row)
    obs = Obs()
    run = Run(small_model(RunPlan(epochs=2, stop_cnt_err=None)), observer=obs, record="cycle")
    run.run()
    assert len(obs.trials) == 12 and len(obs.epochs) == 2
    assert {"epoch", "trial", "trial_name", "sse", "cnt_err", "cos_err", "norm_err"} <= set(obs.trials[0])
    assert {"epoch", "avg_sse", "cnt_err", "pct_err", "avg_cos_err", "avg_norm_err"} <= set(obs.epochs[0])
    # unit variables in the layer's geometry, as emergent's logs store them
    assert len(run.log.cycles) == 1200 and run.log.column("Hidden_act", "cycle").shape == (1200, 4, 4)
    hid = run.net.layers["Hidden"]
    for var in ("act", "net", "v_m", "v_m_eq", "gc_i", "avg_ss", "avg_s", "avg_m", "avg_l", "act_m", "act_p"):
        assert getattr(hid, var).shape == (4, 4)
        assert np.shares_memory(getattr(hid, var), run.net.units[var])       # a view, not a copy
    assert hid.get("act").shape == (4, 4)
    assert run.net.projections["Input->Hidden"].var("dwnorm").shape == (16, 9)


def test_float64_option_runs_close_to_float32():
    a = Run(small_model(RunPlan(epochs=1, stop_cnt_err=None)))
    b = Run(small_model(RunPlan(epochs=1, stop_cnt_err=None)), dtype=np.float64)
    a.run(), b.run()
    assert b.net.units["act"].dtype == np.float64
    np.testing.assert_allclose(a.log.column("sse", "trial"), b.log.column("sse", "trial"), atol=1e-3)


@pytest.mark.parametrize("path,value,words", [
    ("kna_adapt.on", True, "kna_adapt.on"),
    ("noise_type.type", "VM_NOISE", "noise_type.type"),
    ("act_fun", "SPIKE", "act_fun"),
])
def test_out_of_scope_mechanism_rejected(path, value, words):
    with pytest.raises(BackendError, match=rf"layer 'Input'.*{words}"):
        Network(small_model(params={path: value}))


def test_out_of_scope_projection_rejected():
    with pytest.raises(BackendError, match=r"projection 'Input->Hidden'.*slow_wts.on"):
        Network(small_model(prjn_params={"slow_wts.on": True}))


def test_nan_stops_with_layer_unit_variable_cycle():
    net = Network(small_model())
    net.trial_init()
    net.apply_inputs(0)
    net.quarter_init()
    net.units["net"][net.layers["Hidden"].start + 3] = np.nan
    with pytest.raises(BackendError, match=r"layer 'Hidden' unit 3 at cycle 0"):
        net.cycle()


def test_basic_network_stops_at_criterion(basic_model):
    log = Run(basic_model).run()
    # emergent's _cyc5 run: cnt_err 0 in epochs 0 and 1 -> stopped after 2 epochs
    assert len(log.epochs) == 2 and list(log.column("cnt_err")) == [0, 0]


def test_cli_run(capsys, tmp_path):
    rc = main(["run", str(REPO / "projects" / "BasicLeabraTest"), "--epochs", "1", "--seed", "1"])
    out, err = capsys.readouterr()
    assert rc == 0
    assert "BasicLeabraTest: 1 epochs" in out
    assert "epoch    0" in err and "pct_err" in err and "elapsed" in err
    bad = tmp_path / "m.py"
    bad.write_text("from emergent_py import *\n"
                   "def build():\n"
                   "    n = Network('X'); n.layer('Input', (2, 2), kind='input')\n"
                   "    return n, Sheet({'Layer': {'kna_adapt.on': True}}), "
                   "Patterns({'Input': [[[1, 0], [0, 1]]]}), RunPlan(epochs=1)\n")
    assert main(["run", str(bad)]) == 2
    assert "kna_adapt.on" in capsys.readouterr().err


def test_bias_learning_changes_bias_weights_and_net_input():
    model = small_model(RunPlan(epochs=1, stop_cnt_err=None), params={"bias.learn": True, "bias.dwt_thresh": 0.0})
    run = Run(model)
    run.trial()
    hid = run.net.layers["Hidden"]
    assert np.all(hid.bias_wt == 0) and np.any(hid.bias_dwt != 0)
    d = hid.bias_dwt.copy()
    run.trial()                                   # applies the pending bias change first
    np.testing.assert_allclose(hid.bias_fwt[: len(d)], d, rtol=1e-6)
    np.testing.assert_array_equal(hid.bias_wt, hid.bias_fwt)


def test_cli_run_file_and_resume_bitwise(tmp_path, capsys):
    from emergent_py.results import RunFile
    spec = tmp_path / "small.py"
    spec.write_text("import sys\nsys.path.insert(0, %r)\nfrom test_run import small_model\n"
                    "def build():\n    return small_model()\n" % str(Path(__file__).parent))
    full, part = tmp_path / "full.h5", tmp_path / "part.h5"
    assert main(["run", str(spec), "--epochs", "3", "-o", str(full), "--record", "trial", "-q"]) == 0
    assert main(["run", str(spec), "--epochs", "1", "-o", str(part), "--record", "trial", "-q"]) == 0
    assert main(["run", str(spec), "--epochs", "1", "-o", str(part), "-q"]) == 2       # exists
    assert "exists" in capsys.readouterr().err
    assert main(["run", str(spec), "--epochs", "3", "-o", str(part), "--resume", "--record", "trial", "-q"]) == 0
    with RunFile(full) as a, RunFile(part) as b:
        assert a.complete and b.complete
        assert a.provenance["kernel"] == Network(small_model()).kernel_name    # which implementation ran
        np.testing.assert_array_equal(a.epochs["avg_sse"], b.epochs["avg_sse"])
        np.testing.assert_array_equal(a.trials["sse"], b.trials["sse"])
        wa, wb = a.weights(), b.weights()
        assert set(wa) == {"Input->Hidden", "Hidden->Output", "Output->Hidden"}
        for k in wa:
            assert wa[k].tobytes() == wb[k].tobytes()


def test_resume_from_state_taken_after_an_epochs_last_trial():
    full = Run(small_model())
    full.run()
    part = Run(small_model())
    part.epoch()
    for _ in range(6):
        part.trial()                               # all trials of epoch 1, epoch row not yet made
    resumed = Run(small_model())
    resumed.load_state_dict(part.state_dict())
    resumed.run()
    np.testing.assert_array_equal(full.log.column("avg_sse")[1:], resumed.log.column("avg_sse"))
    assert resumed.log.epochs[0]["epoch"] == 1
