"""Sweeps apply at their selector's priority (a warning names what the model keeps, or
--sweep-override), ranges START:STOP:STEP, and sweeps over build() arguments (issue 16, item 3)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emergent_py.errors import SubmitError
from emergent_py.hpc.sweep import parse_sweep
from emergent_py.spec import Model

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"
README_SUBMIT = ["submit", str(EXAMPLE), "--cluster", "expanse", "-p", "shared", "-n", "4", "-t", "02:00:00",
                 "-A", "abc123", "--sweep", "lay_inhib.gi=1.6,1.8,2.0", "--seeds", "5", "--dry-run"]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "emergent_py", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def run_models(folder: Path) -> list[tuple[dict, Model]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    return [(r, Model.from_json((folder / r["dir"] / "model.json").read_text())) for r in manifest["runs"]]


def gi(model: Model, layer: str) -> float:
    return model.layer_params[layer].layer.lay_inhib.gi


def test_readme_sweep_keeps_the_models_own_output_entry_and_says_so(tmp_path):
    # the README's sweep: unqualified lay_inhib.gi on a model with its own '#Output' entry (1.4)
    r = cli(*README_SUBMIT, "-o", tmp_path / "job")
    assert r.returncode == 0, r.stderr
    warning = r.stderr.splitlines()[0]
    assert warning.startswith("emergent-py submit: warning: --sweep Layer:lay_inhib.gi: layer Output keeps "
                              "its lay_inhib.gi = 1.4 from Base[1] #Output (")
    assert "model.py:15)" in warning and "--sweep-override" in warning
    runs = run_models(tmp_path / "job")
    assert len(runs) == 15
    for run, m in runs:
        swept = run["sweep"]["Layer:lay_inhib.gi"]
        assert gi(m, "Hidden") == swept and gi(m, "Input") == swept
        assert gi(m, "Output") == 1.4           # before the fix: the swept value


def test_sweep_override_wins_everywhere_without_a_warning(tmp_path):
    r = cli(*README_SUBMIT, "--sweep-override", "-o", tmp_path / "job")
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr
    for run, m in run_models(tmp_path / "job"):
        assert gi(m, "Output") == gi(m, "Hidden") == run["sweep"]["Layer:lay_inhib.gi"]


def test_a_more_specific_sweep_wins_over_a_general_one_whatever_their_order(model):
    from emergent_py.hpc.sweep import expand, point_model
    pt = expand([parse_sweep("#Output:lay_inhib.gi=1.1"), parse_sweep("lay_inhib.gi=2.2")], [5])[0]
    m = point_model(model, pt)
    assert (gi(m, "Hidden"), gi(m, "Output")) == (2.2, 1.1)


def test_ranges_expand_exactly_with_the_stop_included():
    assert parse_sweep("lay_inhib.gi=1.6:2.0:0.1").values == (1.6, 1.7, 1.8, 1.9, 2.0)
    assert parse_sweep("lay_inhib.gi=1.2,1.6:2.0:0.2").values == (1.2, 1.6, 1.8, 2.0)
    assert parse_sweep("#Output:lay_inhib.gi=1:5:2").values == (1, 3, 5)
    with pytest.raises(SubmitError, match="STEP > 0"):
        parse_sweep("lay_inhib.gi=2.0:1.6:0.1")
    with pytest.raises(SubmitError, match="write START:STOP:STEP"):
        parse_sweep("lay_inhib.gi=1.6:2.0")


def test_range_sweep_from_the_command_line(tmp_path):
    r = cli("submit", EXAMPLE, "--cluster", "local", "-t", "5", "--sweep", "#Hidden:lay_inhib.gi=1.6:2.0:0.1",
            "--dry-run", "-o", tmp_path / "job")
    assert r.returncode == 0, r.stderr
    assert [gi(m, "Hidden") for _, m in run_models(tmp_path / "job")] == [1.6, 1.7, 1.8, 1.9, 2.0]


BUILD_MODEL = '''
from emergent_py import Full, Network, Patterns, RunPlan, Sheet

def build(n_hidden=7, gi=1.8):
    net = Network("Sized")
    inp = net.layer("Input", (2, 2), kind="input")
    hid = net.layer("Hidden", (1, n_hidden))
    out = net.layer("Output", (2, 2), kind="target")
    net.connect(inp, hid, Full())
    net.connect(hid, out, Full())
    pats = Patterns.random(n=4, layers={"Input": (2, 2), "Output": (2, 2)}, pct_on=0.25, seed=1)
    return net, Sheet({"Layer": {"lay_inhib.gi": gi}}), pats, RunPlan(epochs=5, seed=3)
'''


def test_sweep_over_a_build_argument(tmp_path):
    spec = tmp_path / "sized.py"
    spec.write_text(BUILD_MODEL)
    r = cli("submit", spec, "--cluster", "local", "-t", "5", "--sweep", "build:n_hidden=4:12:4",
            "--sweep", "act.gain=80,100", "--dry-run", "-o", tmp_path / "job")
    assert r.returncode == 0, r.stderr
    runs = run_models(tmp_path / "job")
    assert [(run["sweep"]["build:n_hidden"], m.network.layers["Hidden"].n_units) for run, m in runs] == \
        [(4, 4), (4, 4), (8, 8), (8, 8), (12, 12), (12, 12)]
    assert [m.layer_params["Hidden"].unit.act.gain for _, m in runs] == [80, 100] * 3


def test_a_build_argument_typo_gets_did_you_mean(tmp_path):
    spec = tmp_path / "sized.py"
    spec.write_text(BUILD_MODEL)
    r = cli("submit", spec, "--cluster", "local", "-t", "5", "--sweep", "build:n_hiden=4,8", "--dry-run",
            "-o", tmp_path / "job")
    assert r.returncode == 2
    assert r.stderr.strip() == (f"emergent-py submit: error: {spec}:4: build() has no argument 'n_hiden'. "
                                "Did you mean 'n_hidden'?")
    assert not (tmp_path / "job").exists()


def test_a_parameter_typo_gets_did_you_mean(tmp_path):
    r = cli(*README_SUBMIT[:-5], "--sweep", "lay_inhib.gx=1.6,1.8", "--dry-run", "-o", tmp_path / "job")
    assert r.returncode == 2
    assert "no layer, projection or network parameter 'lay_inhib.gx'. Did you mean 'lay_inhib.gi'" in r.stderr
    assert not (tmp_path / "job").exists()
