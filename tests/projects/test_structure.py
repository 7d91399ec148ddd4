"""Structure of the example projects: layers, units, projections, patterns, run plans.

Checked against emergent's own files where one exists (leabra_bench.proj,
err_driven_hidden.proj) and against Hinton (1986) for the family trees.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from emergent_py import LayerKind, Model, SpecError, load_model

from pathlib import Path

PROJECTS = Path(__file__).resolve().parents[2] / "projects"

ALL = sorted(p.name for p in PROJECTS.iterdir() if (p / "model.py").is_file())


def test_every_project_has_a_readme_and_loads():
    assert {"LeabraBench", "RandomAssoc", "Hinton1986_1", "OReillyMunakataFrankEtAl2012_1",
            "OReillyMunakataFrankEtAl2012_2"} <= set(ALL)
    for name in ALL:
        if name != "BasicLeabraTest":       # the core engineer's project documents itself
            assert (PROJECTS / name / "README.md").is_file(), f"projects/{name} has no README.md"
        model = load_model(PROJECTS / name)
        # canonical JSON round trip: what run files and job folders store
        assert Model.from_json(model.to_json()) == model


def test_ldlc_names():
    """Paper replications are named Author1Author2Author3EtAl<year>_<n> (or fewer authors)."""
    ldlc = re.compile(r"^(?:[A-Z][A-Za-z]+){1,3}(?:EtAl)?(19|20)\d\d_\d+$")
    replications = [n for n in ALL if re.search(r"\d{4}_\d+$", n)]
    assert {"Hinton1986_1", "OReillyMunakataFrankEtAl2012_1"} <= set(replications)
    for name in replications:
        assert ldlc.match(name), name


# ----------------------------------------------------------------------------------------- bench

@pytest.mark.parametrize("size, n, shape, n_on", [("SMALL", 25, (5, 5), 4), ("MEDIUM", 100, (10, 10), 16),
                                                  ("LARGE", 625, (25, 25), 104), ("HUGE", 1024, (32, 32), 170)])
def test_bench_sizes(project, size, n, shape, n_on):
    bench = project("LeabraBench")
    model = Model(*bench.build(size))
    net = model.network
    assert list(net.layers) == ["Input", "Hidden_0", "Hidden_1", "Hidden_2", "Output"]
    assert all(l.shape == shape and l.n_units == n for l in net.layers.values())
    assert [l.kind for l in net.layers.values()] == [LayerKind.INPUT] + [LayerKind.HIDDEN] * 3 + [LayerKind.TARGET]
    assert len(net.projections) == 7
    back = [p.name for p in net.projections.values() if "Back" in p.classes]
    assert back == ["Hidden_1->Hidden_0", "Hidden_2->Hidden_1", "Output->Hidden_2"]
    assert model.patterns.n == 10
    for layer in ("Input", "Output"):
        assert (model.pattern_rows(layer).sum(axis=1) == n_on).all()          # N // 6 on
    assert not np.array_equal(model.pattern_rows("Input"), model.pattern_rows("Output"))
    assert model.plan.stop_cnt_err is None and model.plan.epochs == 100


def test_bench_matches_leabra_bench_proj(project, reference):
    """Layer names, types and projections (receiver <- senders) as in emergent's bench project."""
    text = (reference / "projects" / "leabra_bench.proj").read_text(errors="replace")
    net_start = text.index("\n    LeabraLayer @[0] {\n     name=")      # the value pass
    layers = re.findall(r'\n    LeabraLayer @\[\d+\] \{\n     name="(\w+)";(.*?)\n    \};', text[net_start:], re.S)
    names = [n for n, _ in layers]
    expected = {}
    for name, body in layers:
        expected[name] = ([names[int(i)] for i in re.findall(r"from=\$*\.networks\[0\]\.layers\[(\d+)\]", body)],
                          re.search(r"layer_type=(\w+);", body).group(1))
    net = Model(*project("LeabraBench").build("HUGE")).network
    assert names == list(net.layers)
    for name, (senders, kind) in expected.items():
        assert sorted(p.send for p in net.receiving(name)) == sorted(senders), name
        assert net.layers[name].kind.value == kind
    # the project's default size is 1024 units (32 x 32)
    assert re.search(r'name="Input";.*?un_geom \{x=32: y=32: n_not_xy=0: n=1024: \};', text[net_start:], re.S)


def test_bench_bad_size(project):
    bench = project("LeabraBench")
    with pytest.raises(SpecError, match="GIANT.*SMALL, MEDIUM, LARGE, HUGE"):
        bench.build("GIANT")
    assert Model(*bench.build(2048)).network.layers["Hidden_1"].shape == (32, 64)
    assert Model(*bench.build(30)).network.layers["Output"].shape == (5, 6)
    with pytest.raises(SpecError, match="size=5 must be >= 6"):
        bench.build(5)


# ----------------------------------------------------------------------------- random associator

def test_random_assoc_like_leabra_std():
    model = load_model(PROJECTS / "RandomAssoc")
    net = model.network
    assert [(l.name, l.shape, l.kind) for l in net.layers.values()] == [
        ("Input", (5, 5), LayerKind.INPUT), ("Hidden", (7, 7), LayerKind.HIDDEN),
        ("Output", (5, 5), LayerKind.TARGET)]
    assert model.patterns.n == 25
    assert (model.pattern_rows("Input").sum(1) == 5).all() and (model.pattern_rows("Output").sum(1) == 5).all()
    assert len({r.tobytes() for r in model.pattern_rows("Input")}) == 25      # all distinct
    assert model.plan.stop_cnt_err == 0


# ---------------------------------------------------------------------------- pattern associator

@pytest.mark.parametrize("task, table", [("easy", "EasyEnv"), ("hard", "HardEnv"), ("impossible", "ImpossibleEnv")])
def test_pat_assoc_tasks_are_err_driven_hidden_proj(project, reference, proj_datatable, task, table):
    text = (reference / "projects" / "err_driven_hidden.proj").read_text(errors="replace")
    cols = proj_datatable(text, table)
    pats = project("OReillyMunakataFrankEtAl2012_1").task_patterns(task)
    np.testing.assert_array_equal(pats["Input"], cols["Input"])
    np.testing.assert_array_equal(pats["Output"], cols["Output"])


def _separable(inputs: np.ndarray, targets: np.ndarray) -> bool:
    """Whether one threshold unit separates the targets (perceptron rule, which converges
    within a few hundred sweeps on 4 binary patterns when a separating weight vector exists)."""
    x = np.hstack([inputs, np.ones((len(inputs), 1))])
    y = np.where(targets > 0, 1.0, -1.0)
    w = np.zeros(x.shape[1])
    for _ in range(1000):
        wrong = [i for i in range(len(x)) if y[i] * (x[i] @ w) <= 0]
        if not wrong:
            return True
        w += y[wrong[0]] * x[wrong[0]]
    return False


def test_pat_assoc_task_difficulty(project):
    """Easy and hard are linearly separable; impossible is not (so it needs a hidden layer)."""
    mod = project("OReillyMunakataFrankEtAl2012_1")
    for task, separable in (("easy", True), ("hard", True), ("impossible", False)):
        p = mod.task_patterns(task)
        x = p["Input"].reshape(4, -1)
        assert _separable(x, p["Output"].reshape(4, 2)[:, 0]) is separable, task
    # impossible: every input unit is on equally often for left and right
    p = mod.task_patterns("impossible")
    x, left = p["Input"].reshape(4, -1), p["Output"].reshape(4, 2)[:, 0] == 1
    np.testing.assert_array_equal(x[left].sum(0), x[~left].sum(0))


def test_pat_assoc_networks(project):
    mod = project("OReillyMunakataFrankEtAl2012_1")
    two = load_model(PROJECTS / "OReillyMunakataFrankEtAl2012_1")
    three = load_model(PROJECTS / "OReillyMunakataFrankEtAl2012_2")
    assert list(two.network.layers) == ["Input", "Output"] and list(two.network.projections) == ["Input->Output"]
    assert list(three.network.layers) == ["Input", "Hidden", "Output"]
    assert [u.n_units for u in three.network.layers.values()] == [4, 4, 2]
    assert three.prjn_params["Output->Hidden"].con.wt_scale.rel == pytest.approx(0.3)
    assert three.prjn_params["Input->Hidden"].con.wt_scale.rel == 1.0
    assert np.array_equal(two.pattern_rows("Input"), mod.task_patterns("easy")["Input"].reshape(4, 4))
    assert np.array_equal(three.pattern_rows("Input"), mod.task_patterns("impossible")["Input"].reshape(4, 4))
    for model in (two, three):
        con = next(iter(model.prjn_params.values())).con
        assert not con.wt_bal.on and con.rule.rule == "XCAL_CHL" and con.xcal.l_lrn == 1.0
        assert model.layer_params["Output"].layer.lay_inhib.gi == pytest.approx(1.3)
    with pytest.raises(SpecError, match="impossibel.*Did you mean 'impossible'"):
        mod.build(task="impossibel")
