"""The emergent-py console script: show, validate, params; user errors -> one line, exit 2."""
import subprocess
import sys
from pathlib import Path

import pytest

from emergent_py.cli import main
from emergent_py.spec.fields import leaf_fields
from emergent_py.spec.sheet import TARGETS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"


def n_params(obj_type):
    return sum(1 for _, _, cls in TARGETS[obj_type] for _ in leaf_fields(cls))


def test_show_prints_every_resolved_parameter_with_its_source(capsys):
    assert main(["show", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    blocks = out.split("\n\n")
    layer_blocks = [b for b in blocks if b.startswith("Layer ")]
    prjn_blocks = [b for b in blocks if b.startswith("Prjn ")]
    assert [b.splitlines()[0] for b in layer_blocks] == [
        "Layer Input (5x5, input)", "Layer Hidden (7x7, hidden)", "Layer Output (5x5, target)"]
    for b in layer_blocks:
        assert len(b.splitlines()) - 1 == n_params("Layer")
    for b in prjn_blocks:
        assert len(b.splitlines()) - 1 == n_params("Prjn")
    out_gi = next(l for l in layer_blocks[2].splitlines() if l.split()[0] == "lay_inhib.gi")
    assert out_gi.split()[1] == "1.4" and "Base[1] #Output (" in out_gi and "model.py:15)" in out_gi
    hid_gi = next(l for l in layer_blocks[1].splitlines() if l.split()[0] == "lay_inhib.gi")
    assert "Base[0] Layer (" in hid_gi and "model.py:14)" in hid_gi
    gain = next(l for l in layer_blocks[1].splitlines() if l.split()[0] == "act.gain")
    assert gain.split()[1:] == ["100.0", "default"]
    rel = next(l for l in prjn_blocks[2].splitlines() if l.split()[0] == "wt_scale.rel")
    assert rel.split()[1] == "0.2" and "Base[2] .TopDown" in rel


def test_show_changed_and_json(capsys):
    assert main(["show", "--changed", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "act.gain" not in out and out.count("lay_inhib.gi") == 3
    assert main(["show", "--json", str(EXAMPLE)]) == 0
    assert '"schema": "emergent_py.model"' in capsys.readouterr().out


def test_validate_ok(capsys):
    assert main(["validate", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.startswith("ok: RandomAssoc: 3 layers, 3 projections, 25 patterns")


def test_params_lists_names_with_defaults(capsys):
    assert main(["params", "Prjn", "--grep", "d_rev"]) == 0
    out = capsys.readouterr().out
    assert "xcal.d_rev" in out and "0.1" in out


def test_params_shows_each_records_own_defaults(capsys):
    # groups whose default differs per member (e_rev vs g_bar, clamp_range vs act_range) or per record
    assert main(["params", "Layer"]) == 0
    values = {l.split()[0]: l.split()[1] for l in capsys.readouterr().out.splitlines()[1:]}
    assert values["e_rev.l"] == "0.3" and values["e_rev.i"] == "0.25" and values["g_bar.l"] == "0.2"
    assert values["clamp_range.max"] == "0.95" and values["vm_range.max"] == "2.0"
    assert values["unit_gp_inhib.on"] == "False" and values["lay_inhib.on"] == "True"
    assert values["bias.rnd.mean"] == "0.0" and values["bias.rnd.var"] == "0.0"


def test_params_lists_a_layer_spec_types_own_members(capsys):
    assert main(["params", "Layer"]) == 0
    out = capsys.readouterr().out
    head = "Layer selectors, ScalarValLayerSpec layers only (spec_type='ScalarValLayerSpec'"
    assert head in out
    own = {l.split()[0]: l.split()[1] for l in out.split(head, 1)[1].splitlines()[1:]}
    assert own["lay_inhib.gi"] == "2.2" and own["scalar.rep"] == "LOCALIST" and own["unit_range.min"] == "-0.5"
    assert "act.gain" not in own and "lay_inhib.ff" not in own          # LeabraLayerSpec's, unchanged


BAD_MODEL = '''
from emergent_py import Full, Network, Patterns, RunPlan, Sheet

def build():
    net = Network("Bad")
    net.layer("Input", (2, 2), kind="input")
    net.layer("Output", (2, 2), kind="target")
    net.connect("Input", "Output", Full())
    params = Sheet({"Layer": {"act.gian": 1.0}})
    pats = Patterns.random(2, {"Input": (2, 2), "Output": (2, 2)}, seed=0)
    return net, params, pats, RunPlan()
'''


@pytest.mark.parametrize("args", [["validate", "{bad}"], ["show", "{bad}"], ["validate", "{missing}"]])
def test_user_errors_exit_2_without_traceback(tmp_path, args):
    bad = tmp_path / "bad.py"
    bad.write_text(BAD_MODEL)
    args = [a.format(bad=bad, missing=tmp_path / "missing") for a in args]
    r = subprocess.run([sys.executable, "-m", "emergent_py", *args], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"emergent-py {args[0]}: error: ")
    assert len(r.stderr.strip().splitlines()) == 1
    if "bad.py" in args[1]:
        assert "unknown parameter 'act.gian'" in r.stderr and "Did you mean 'act.gain'" in r.stderr
        assert "bad.py" in r.stderr


def test_help_lists_commands():
    r = subprocess.run([sys.executable, "-m", "emergent_py", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for cmd in ("show", "validate", "params"):
        assert cmd in r.stdout
