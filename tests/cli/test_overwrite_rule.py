"""One overwrite rule for every command that writes: an existing output is refused (exit 2, the
file untouched) unless --overwrite; proj leaves no stale _init.wts (issue 16, item 5)."""
from pathlib import Path

import pytest

from emergent_py.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"
FAKE_EMERGENT = REPO / "tests" / "emergent" / "fake_emergent"


def refused(argv, path, capsys, option="-o"):
    """``argv`` onto an existing ``path``: exit 2 with the rule's message, the file untouched."""
    path.write_bytes(b"old")
    capsys.readouterr()
    assert main(argv) == 2
    assert capsys.readouterr().err.strip().endswith(f"{option} {path}: exists; pass --overwrite to replace it")
    assert path.read_bytes() == b"old"
    assert main([*argv, "--overwrite"]) == 0
    assert path.read_bytes() != b"old"


def test_run(tmp_path, capsys):
    out = tmp_path / "ra.h5"
    out.write_bytes(b"old")
    assert main(["run", str(EXAMPLE), "-q", "--epochs", "1", "-o", str(out)]) == 2
    assert "pass --overwrite" in capsys.readouterr().err and out.read_bytes() == b"old"
    assert main(["run", str(EXAMPLE), "-q", "--epochs", "1", "-o", str(out), "--overwrite"]) == 0


def test_plot(tmp_path, capsys, run_file):
    pytest.importorskip("matplotlib")
    refused(["plot", str(run_file), "-o", str(tmp_path / "ra.png")], tmp_path / "ra.png", capsys)


def test_import(tmp_path, capsys, reference):
    epc = reference / "runs" / "stdassoc" / "LeabraStd_e5.epc.dat"
    refused(["import", str(epc), "-o", str(tmp_path / "em.h5")], tmp_path / "em.h5", capsys)
    # the old spelling still works
    assert main(["import", str(epc), "-o", str(tmp_path / "em.h5"), "-f"]) == 0


def test_collect_csv(tmp_path, capsys):
    job = tmp_path / "job"
    assert main(["submit", str(EXAMPLE), "--cluster", "local", "-t", "5", "--dry-run", "-o", str(job)]) == 0
    refused(["collect", str(job), "--csv", str(tmp_path / "t.csv")], tmp_path / "t.csv", capsys, option="--csv")


def test_emergent(tmp_path, capsys, reference, monkeypatch):
    monkeypatch.setenv("FAKE_EMERGENT_RUNS", str(reference / "runs/stdassoc"))
    proj = tmp_path / "LeabraStd.proj"
    proj.write_bytes((reference / "runs/stdassoc/LeabraStd.proj").read_bytes())
    refused(["emergent", str(proj), "--emergent", str(FAKE_EMERGENT), "--epochs", "5", "--tag", "_e5",
             "-o", str(tmp_path / "em.h5")], tmp_path / "em.h5", capsys)


def test_submit_replaces_only_a_never_submitted_job(tmp_path, capsys):
    job = tmp_path / "job"
    argv = ["submit", str(EXAMPLE), "--cluster", "local", "-t", "5", "--dry-run", "-o", str(job)]
    assert main(argv) == 0
    assert main(argv) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert main([*argv, "--seeds", "3", "--overwrite"]) == 0
    assert sorted(p.name for p in (job / "runs").iterdir()) == ["000", "001", "002"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]     # nothing left aside
    # a failing request leaves the old dry run as it was
    assert main([*argv, "-N", "2", "--overwrite"]) == 2          # the local partition has 1 node
    assert sorted(p.name for p in (job / "runs").iterdir()) == ["000", "001", "002"]
    # a submitted job is never replaced
    manifest = job / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"job_id": null', '"job_id": "123"'))
    capsys.readouterr()
    assert main([*argv, "--overwrite"]) == 2
    assert "holds job 123, already submitted" in capsys.readouterr().err


def test_proj_refuses_then_replaces_and_leaves_no_stale_init_weights(tmp_path, capsys, reference):
    template = str(reference / "proj_templates" / "LeabraStd.proj")
    out = tmp_path / "RA.proj"
    assert main(["proj", str(EXAMPLE), "-o", str(out), "--template", template, "--init-weights"]) == 0
    assert (tmp_path / "RA_init.wts").is_file()
    capsys.readouterr()
    assert main(["proj", str(EXAMPLE), "-o", str(out), "--template", template]) == 2
    assert capsys.readouterr().err.strip().endswith(f"-o {out}: exists; pass --overwrite to replace it")
    assert main(["proj", str(EXAMPLE), "-o", str(out), "--template", template, "--overwrite"]) == 0
    # the new project does not load initial weights: the old ones must not lie beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RA.proj"]
    assert b"RA_init.wts" not in out.read_bytes()
    # a stale companion alone is refused too
    out.unlink()
    (tmp_path / "RA_init.wts").write_text("stale")
    assert main(["proj", str(EXAMPLE), "-o", str(out), "--template", template]) == 2
    assert f"{tmp_path / 'RA_init.wts'}: exists" in capsys.readouterr().err
