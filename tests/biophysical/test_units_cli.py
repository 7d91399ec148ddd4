"""emergent-py units: the mapping table and conversions both ways; bad input -> one line, exit 2."""
from pathlib import Path

from emergent_py.cli import main

REPO = Path(__file__).resolve().parents[2]


def rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if line.strip()}


def test_table(capsys):
    assert main(["units"]) == 0
    out = capsys.readouterr().out
    assert "C 281 pF -> dt.vm_tau 2.81" in out and "100 nS" in out and "10 nA" in out
    assert "(V_mV - (-100)) / 100" in out and "90 Hz -> act 0.5" in out


def test_to_norm_defaults_are_bioparams(capsys):
    assert main(["units", "--to-norm"]) == 0
    r = rows(capsys.readouterr().out)
    assert r["dt.vm_tau"][:2] == ["2.81", "281"] and r["g_bar.l"][:2] == ["0.1", "10"]
    assert r["spike_misc.exp_slope"][:2] == ["0.02", "2"] and r["spike_misc.spk_thr"][:2] == ["1.2", "20"]


def test_to_bio_values_and_layers(capsys):
    assert main(["units", "--to-bio", "dt.vm_tau=2.81", "e_rev.l=0.3"]) == 0
    r = rows(capsys.readouterr().out)
    assert r["dt.vm_tau"][:3] == ["2.81", "281", "pF"] and r["e_rev.l"][:3] == ["0.3", "-70", "mV"]
    assert main(["units", "--to-bio", "--spec", str(REPO / "projects" / "RandomAssoc"), "--layer", "Hidden"]) == 0
    r = rows(capsys.readouterr().out)
    assert r["g_bar.e"][:2] == ["1", "100"] and r["act.thr"][:2] == ["0.5", "-50"]


def test_bad_input_is_one_line_and_exit_2(capsys):
    assert main(["units", "--to-norm", "g_bar.q=3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'g_bar.q' has no physical unit" in err
    assert main(["units", "--to-bio", "dt.vm_tau"]) == 2
    assert "expected PATH=VALUE" in capsys.readouterr().err
    assert main(["units", "--to-bio", "--spec", str(REPO / "projects" / "RandomAssoc"), "--layer", "Hiden"]) == 2
    assert "Did you mean 'Hidden'" in capsys.readouterr().err
