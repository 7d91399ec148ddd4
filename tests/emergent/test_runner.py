"""The headless runner against a test double of emergent that writes real emergent outputs.

tests/emergent/fake_emergent takes emergent's command line and copies the real 5-epoch
LeabraStd run (runs/stdassoc) into place; the runner's code path is the one used with a real
emergent (only the executable differs)."""
from __future__ import annotations

from pathlib import Path

import pytest

from emergent_py.cli import main
from emergent_py.emergent.runner import emergent_command, run_emergent
from emergent_py.errors import BackendError, FormatError, SpecError

FAKE = Path(__file__).with_name("fake_emergent")


@pytest.fixture
def proj(reference, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_EMERGENT_RUNS", str(reference / "runs/stdassoc"))
    monkeypatch.delenv("FAKE_EMERGENT_MODE", raising=False)
    p = tmp_path / "LeabraStd.proj"
    p.write_bytes((reference / "runs/stdassoc/LeabraStd.proj").read_bytes())
    return p


def test_command_line_is_name_value():
    cmd = emergent_command("/x/emergent", Path("/p/m.proj"), tag="_t", epochs=3, extra={"rnd_init": "NEW_SEED"})
    assert cmd == ["/x/emergent", "-nogui", "-ni", "-p", "/p/m.proj", "n_batches=1", "n_threads=1",
                   "tag=_t", "save_final_wts=true", "epochs=3", "rnd_init=NEW_SEED"]
    with pytest.raises(SpecError, match="name=value"):
        emergent_command("e", Path("m.proj"), tag="_t", extra={"-s": "x"})


def test_successful_run_is_judged_from_outputs(proj):
    run = run_emergent(proj, exe=str(FAKE), epochs=5, tag="_e5", timeout=60)
    assert run.ok and run.returncode == 0
    assert run.name == "LeabraStd" and run.version == "8.6.1 rev -1"
    assert run.epc == proj.parent / "LeabraStd_e5.epc.dat"
    assert run.trl == proj.parent / "LeabraStd_e5.trl.dat"
    assert [w.name for w in run.wts] == ["LeabraStd_e5.00_0005.wts.gz"]
    assert "n_threads=1" in run.args_file.read_text()
    # the real console output has "P0: ERROR on binding" lines elsewhere; only ***ERROR counts
    assert run.errors == []


@pytest.mark.parametrize("mode, message", [
    ("error", r"emergent reported errors: \*\*\*ERROR: LeabraTrain: network is NULL \| Quitting"),
    ("check_error", r"\*\*\*CHECK ERROR: LeabraStartup"),
    ("no_wts", r"no final weights .*LeabraStd_e5.BB_EEEE.wts.gz"),
    ("crash", r"exit code -9.*no final weights"),
])
def test_failures_exit_zero_but_are_caught(proj, monkeypatch, mode, message):
    monkeypatch.setenv("FAKE_EMERGENT_MODE", mode)
    with pytest.raises(BackendError, match=message):
        run_emergent(proj, exe=str(FAKE), epochs=5, tag="_e5", timeout=60)


def test_unused_argument_aborts(proj):
    with pytest.raises(BackendError, match=r"Some Args were Unused -- check for typos: epocs=5"):
        run_emergent(proj, exe=str(FAKE), tag="_x", timeout=60, extra={"epocs": 5})


def test_run_cut_short_is_a_failure(proj):
    # 8 epochs asked, the log ends at epoch 4 and cnt_err never reached the criterion (0)
    run = run_emergent(proj, exe=str(FAKE), epochs=8, tag="_e8", timeout=60, check=False)
    assert not run.ok
    assert any("ends at epoch 4, but 8 epochs were asked for" in p for p in run.problems)


def test_hang_is_killed_at_the_timeout(proj, monkeypatch):
    monkeypatch.setenv("FAKE_EMERGENT_MODE", "hang")
    with pytest.raises(BackendError, match=r"did not finish within 2 s and was killed"):
        run_emergent(proj, exe=str(FAKE), epochs=5, tag="_h", timeout=2)


def test_truncated_project_never_reaches_emergent(proj, monkeypatch):
    monkeypatch.setenv("FAKE_EMERGENT_MODE", "hang")        # would hang, like the real one
    text = proj.read_text()
    proj.write_text(text[:len(text) * 2 // 3])
    with pytest.raises(FormatError, match=r"LeabraStd.proj:\d+: expected"):
        run_emergent(proj, exe=str(FAKE), epochs=5, tag="_t", timeout=60)


def test_stale_outputs_do_not_pass_for_a_new_run(proj, monkeypatch):
    run_emergent(proj, exe=str(FAKE), epochs=5, tag="_s", timeout=60)
    monkeypatch.setenv("FAKE_EMERGENT_MODE", "error")
    with pytest.raises(BackendError, match="no epoch log"):
        run_emergent(proj, exe=str(FAKE), epochs=5, tag="_s", timeout=60)


def test_cli_runs_a_spec_end_to_end(reference, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_EMERGENT_RUNS", str(reference / "runs/stdassoc"))
    repo = Path(__file__).resolve().parents[2]
    rc = main(["emergent", str(repo / "projects/RandomAssoc"), "--emergent", str(FAKE), "--epochs", "3",
               "--dir", str(tmp_path / "run"), "--template", str(reference / "proj_templates/LeabraStd.proj")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert (tmp_path / "run/RandomAssoc.proj").is_file()
    assert (tmp_path / "run/RandomAssoc_run.epc.dat").read_text().count("_D:") == 3
    assert "emergent 8.6.1 rev -1: ok" in out
    # a project run as is, imported into a run file
    h5 = tmp_path / "run.h5"
    rc = main(["emergent", str(tmp_path / "run/RandomAssoc.proj"), "--emergent", str(FAKE), "--epochs", "5",
               "--tag", "_e5", "-o", str(h5)])
    assert rc == 0, capsys.readouterr().err
    from emergent_py.results import RunFile
    rf = RunFile(h5)
    assert rf.engine == "emergent" and rf.complete
    assert "8.6.1" in rf.attrs["engine_version"]
    epochs = rf.epochs
    assert list(epochs["epoch"]) == [0, 1, 2, 3, 4]
    # the real emergent numbers of runs/stdassoc (LeabraStd_e5.epc.dat, first row)
    assert epochs["avg_sse"][0] == pytest.approx(5.4326) and epochs["cnt_err"][0] == 6
    assert rf.weight_epochs == [5]
    assert rf.weights(5)["Input->Hidden"].shape == (25, 25)
    monkeypatch.setenv("FAKE_EMERGENT_MODE", "error")
    rc = main(["emergent", str(tmp_path / "run/RandomAssoc.proj"), "--emergent", str(FAKE)])
    err = capsys.readouterr().err
    assert rc == 2 and "***ERROR" in err and "exit code 0" in err and err.count("\n") == 1


def test_output_names_follow_batch_start_and_log_dir(proj, tmp_path):
    from emergent_py.emergent.runner import output_dir
    assert output_dir(proj, "logs") == proj.parent / "logs"
    models = tmp_path / "clu" / "models"              # ClusterRun layout: models/ -> ../results
    models.mkdir(parents=True)
    (tmp_path / "clu" / "results").mkdir()
    assert output_dir(models / "x.proj") == tmp_path / "clu" / "results"
    run = run_emergent(proj, exe=str(FAKE), epochs=5, tag="_b", timeout=60, extra={"batch_start": 3})
    assert run.tag == "_b.03" and run.epc.name == "LeabraStd_b.03.epc.dat"
    assert [w.name for w in run.wts] == ["LeabraStd_b.03.03_0005.wts.gz"]


def test_missing_executable_and_set_arguments(proj, tmp_path, monkeypatch, capsys):
    import os
    path = os.environ["PATH"]
    monkeypatch.delenv("EMERGENT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BackendError, match=r"no emergent executable found \(looked for: emergent\)"):
        run_emergent(proj, epochs=5)
    monkeypatch.setenv("PATH", path)
    monkeypatch.setenv("EMERGENT", str(FAKE))
    rc = main(["emergent", str(proj), "--epochs", "5", "--set", "rnd_init=NEW_SEED", "--set", "epocs=3"])
    err = capsys.readouterr().err
    assert rc == 2 and "Some Args were Unused -- check for typos: epocs=3" in err
    rc = main(["emergent", str(proj), "--epochs", "5", "--set", "rnd_init=NEW_SEED"])
    assert rc == 0 and "rnd_init=NEW_SEED" in (proj.parent / "LeabraStd_run.args").read_text()
