"""`validate` reports every error of a model at once, each with file:line; an unknown parameter
name carries file:line like a selector error (issue 16, item 7)."""
import subprocess
import sys
import textwrap

XOR = textwrap.dedent('''\
    from emergent_py import Full, Network, Patterns, RunPlan, Sheet

    def build():
        net = Network("XOR")
        inp = net.layer("Input", (1, 2), kind="input")
        hid = net.layer("Hidden", (1, 4))
        out = net.layer("Output", (1, 1), kind="target")
        net.connect(inp, hid, Full())
        net.connect(hid, out, Full())
        params = Sheet({
            "Layer":   {"lay_inhib.gx": 1.8},
            "#Outpt":  {"lay_inhib.gi": 1.4},
            "Prjn":    {"wt_scale.rell": 0.2},
            "#Hidden": {"lay_inhib.gi": 1.4},
        })
        pats = Patterns.random(n=4, layers={"Input": (1, 2), "Output": (1, 1)}, pct_on=0.5, seed=1)
        return net, params, pats, RunPlan(epochs=50)
    ''')


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "emergent_py", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_validate_lists_every_error_with_its_line(tmp_path):
    (tmp_path / "xor").mkdir()
    (tmp_path / "xor" / "model.py").write_text(XOR)
    r = cli("validate", "xor", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "emergent-py validate: error: Base[0] Layer (xor/model.py:11): selector 'Layer': unknown parameter "
        "'lay_inhib.gx'. Did you mean 'lay_inhib.gi', 'lay_inhib.on', 'lay_inhib.ff'?",
        "emergent-py validate: error: Base[1] #Outpt (xor/model.py:12): selector '#Outpt' matches nothing in "
        "network 'XOR' (layers: Input, Hidden, Output; classes: none). Did you mean '#Output'?",
        "emergent-py validate: error: Base[2] Prjn (xor/model.py:13): selector 'Prjn': unknown parameter "
        "'wt_scale.rell'. Did you mean 'wt_scale.rel', 'wt_scale.abs', 'wt_scale.no_plus_net'?",
        "emergent-py validate: 3 errors in xor",
    ]
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_other_commands_stop_at_the_first_error_with_its_line(tmp_path):
    (tmp_path / "xor").mkdir()
    (tmp_path / "xor" / "model.py").write_text(XOR)
    r = cli("run", "xor", "-q", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == ("emergent-py run: error: xor/model.py: Base[0] Layer (xor/model.py:11): selector "
                                "'Layer': unknown parameter 'lay_inhib.gx'. Did you mean 'lay_inhib.gi', "
                                "'lay_inhib.on', 'lay_inhib.ff'?")
