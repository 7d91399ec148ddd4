"""`-o` into a folder that does not exist: every writing command creates it (issue 16, item 4;
run and proj gave a raw errno about a hidden temporary file)."""
from pathlib import Path

import pytest

from emergent_py.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"
FAKE_EMERGENT = REPO / "tests" / "emergent" / "fake_emergent"


def test_run_creates_the_output_folder(tmp_path, capsys):
    out = tmp_path / "new" / "deeper" / "ra.h5"
    assert main(["run", str(EXAMPLE), "-q", "--epochs", "1", "-o", str(out)]) == 0
    assert out.is_file() and sorted(p.name for p in out.parent.iterdir()) == ["ra.h5"]


def test_proj_creates_the_output_folder(tmp_path, reference):
    out = tmp_path / "new" / "RA.proj"
    assert main(["proj", str(EXAMPLE), "-o", str(out), "--init-weights",
                 "--template", str(reference / "proj_templates" / "LeabraStd.proj")]) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["RA.proj", "RA_init.wts"]


def test_plot_creates_the_output_folder(tmp_path, run_file):
    pytest.importorskip("matplotlib")
    out = tmp_path / "figs" / "ra.png"
    assert main(["plot", str(run_file), "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_import_creates_the_output_folder(tmp_path, reference):
    runs = reference / "runs" / "stdassoc"
    out = tmp_path / "imported" / "em.h5"
    assert main(["import", str(runs / "LeabraStd_e5.epc.dat"), "--trial", str(runs / "LeabraStd_e5.trl.dat"),
                 "-o", str(out)]) == 0
    assert out.is_file()


def test_emergent_creates_the_output_folder(tmp_path, reference, monkeypatch):
    monkeypatch.setenv("FAKE_EMERGENT_RUNS", str(reference / "runs/stdassoc"))
    proj = tmp_path / "LeabraStd.proj"
    proj.write_bytes((reference / "runs/stdassoc/LeabraStd.proj").read_bytes())
    out = tmp_path / "emergent_runs" / "em.h5"
    assert main(["emergent", str(proj), "--emergent", str(FAKE_EMERGENT), "--epochs", "5", "--tag", "_e5",
                 "-o", str(out)]) == 0
    assert out.is_file()


def test_submit_and_collect_create_their_folders(tmp_path):
    job = tmp_path / "jobs" / "sweep1"
    assert main(["submit", str(EXAMPLE), "--cluster", "local", "-t", "5", "--dry-run", "-o", str(job)]) == 0
    assert (job / "job.sh").is_file()
    csv = tmp_path / "tables" / "sweep1.csv"
    assert main(["collect", str(job), "--csv", str(csv)]) == 0
    assert csv.read_text().splitlines()[0].split(",")[:2] == ["n_runs", "n_complete"]


def test_a_file_in_the_way_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    assert main(["run", str(EXAMPLE), "-q", "--epochs", "1", "-o", str(tmp_path / "afile" / "ra.h5")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"emergent-py run: error: cannot create the folder {tmp_path / 'afile'} for "
                   f"{tmp_path / 'afile' / 'ra.h5'}: {tmp_path / 'afile'} is a file, not a folder")
