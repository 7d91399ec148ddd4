"""submit --nsg / jobs / collect against a local NSG-R (tests/hpc/nsg_server.py), which runs the
submitted job package for real in a fresh folder with the project's Python."""
from __future__ import annotations

import base64
import json
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ci_support import missing
from emergent_py.cli import main
from emergent_py.hpc import nsg, nsg_package
from emergent_py.hpc.jobfolder import load_job
from emergent_py.leabra import kernel
from emergent_py.results import RunFile
from emergent_py.results.compare import TIMING
from emergent_py.spec import Model

from nsg_server import PREFIX, STAGES, NsgServer

REPO = Path(__file__).resolve().parents[2]
USER, PASSWORD, APPID = "nsg-user-5d1e", "pw-9c2b-s3cret", "app-4f7a-key"
SECRETS = (USER, PASSWORD, APPID, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())
EPOCHS = 3                        # RandomAssoc's plan shortened: each run takes about a second


@pytest.fixture(scope="module", autouse=True)
def _requests_installed():
    try:
        import requests  # noqa: F401
    except ImportError:
        missing("requests is not installed (the [nsg] extra): pip install -e '.[nsg]'", module_level=False)


@pytest.fixture
def spec(tmp_path, model) -> Path:
    """RandomAssoc with a 3-epoch plan, as a canonical model JSON."""
    short = Model(model.network, model.sheets, model.patterns, replace(model.plan, epochs=EPOCHS))
    path = tmp_path / "RandomAssoc3.json"
    path.write_text(short.to_json())
    return path


@pytest.fixture
def server(tmp_path):
    with NsgServer(tmp_path / "nsg-side", USER, PASSWORD, APPID) as srv:
        yield srv


@pytest.fixture
def nsg_env(server, tmp_path, monkeypatch):
    """The account in the environment, an empty home folder, the tests' short poll interval."""
    home = tmp_path / "home"
    home.mkdir()
    # the C kernel as built for the other tests (compiling it anew in each job costs ~10 s)
    monkeypatch.setenv("EMERGENT_PY_CACHE", str(kernel.cache_dir()))
    monkeypatch.setenv("HOME", str(home))
    for var, value in (("NSG_URL", server.url), ("NSG_USERNAME", USER), ("NSG_PASSWORD", PASSWORD),
                       ("NSG_APPID", APPID), (nsg.TEST_POLL_VAR, "0.2")):
        monkeypatch.setenv(var, value)
    return home


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory) -> Path:
    return nsg_package.build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture
def fast_wheel(built_wheel, monkeypatch):
    """For the tests of the protocol: the session's wheel instead of a new build per job."""
    def copy(out_dir: Path) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(built_wheel, out_dir / built_wheel.name))
    monkeypatch.setattr(nsg, "build_wheel", copy)


def status_of(folder: Path, capsys) -> tuple[str, str, str]:
    assert main(["jobs", str(folder)]) == 0
    text = capsys.readouterr().out
    stage, failed = re.search(r"stage (\w+), failed (\w+)", text).groups()
    return stage, failed, text


def wait_terminal(folder: Path, capsys, timeout: float = 240) -> list[str]:
    """Poll through `emergent-py jobs` (as often as the client allows) until COMPLETED; the stages seen."""
    deadline = time.monotonic() + timeout
    stages = []
    while True:
        stage, failed, text = status_of(folder, capsys)
        stages.append(stage)
        if stage == "COMPLETED":
            return stages
        assert time.monotonic() < deadline, text
        time.sleep(0.05)


def written_secrets(folder: Path, *texts: str) -> list[str]:
    """Files under ``folder`` (and texts) holding a credential."""
    hits = [str(p) for p in folder.rglob("*") if p.is_file()
            for s in SECRETS if s.encode() in p.read_bytes()]
    return hits + [f"output: {s}" for t in texts for s in SECRETS if s in t]


def same_runs(got: Path, want: Path) -> None:
    """Every logged row and the final weights bitwise equal (wall-clock columns aside)."""
    with RunFile(got) as g, RunFile(want) as w:
        assert g.complete and w.complete
        for level in ("epochs", "trials"):
            gt, wt = getattr(g, level).to_dict(), getattr(w, level).to_dict()
            assert list(gt) == list(wt) and len(wt["epoch"]) > 0
            for name in wt:
                if name not in TIMING:
                    assert gt[name].dtype == wt[name].dtype and gt[name].tobytes() == wt[name].tobytes(), (level, name)
        gw, ww = g.weights(), w.weights()
        assert sorted(gw) == sorted(ww) and all(np.array_equal(gw[k], ww[k]) and gw[k].dtype == ww[k].dtype for k in ww)
        return g.provenance


def test_sweep_runs_on_nsg_and_collects_runs_equal_to_local_ones(server, nsg_env, spec, tmp_path, capsys):
    """2 points x 2 seeds: package, validate + submit, poll through every stage (no faster than
    the poll interval), collect only the needed files; the run files equal local runs bitwise,
    and no credential was written anywhere."""
    folder = tmp_path / "job"
    assert main(["submit", str(spec), "--nsg", "-t", "00:10:00", "-n", "2", "--sweep", "lay_inhib.gi=1.6,1.8",
                 "--seeds", "2", "-o", str(folder)]) == 0
    out = capsys.readouterr()
    job = load_job(folder)
    handle = job.job_id
    assert re.fullmatch(r"NGBW-JOB-PY_EXPANSE-[0-9A-F]{32}", handle) and f"submitted NSG job {handle}" in out.out
    assert "at most 0.3333 core-hours" in out.out          # 2 cores x 10 min
    # validate, then submit, with exactly the form of nsg_request.json and the zip in the folder
    assert [p for _, p, _ in server.requests("POST")] == [f"{PREFIX}/job/{USER}/validate", f"{PREFIX}/job/{USER}"]
    request = json.loads((folder / nsg.REQUEST_FILE).read_text())
    assert server.jobs[handle].fields == dict(request["fields"])
    assert dict(request["fields"]) == {
        "tool": "PY_EXPANSE", "vparam.runtime_": "0.1667", "vparam.number_nodes_": "1",
        "vparam.number_cores_": "2", "vparam.tasks_per_node_": "1", "vparam.filename_": "run_sweep.py",
        "metadata.statusEmail": "false", "metadata.clientJobId": "job", "metadata.clientJobName": "RandomAssoc"}
    assert [(r["sweep"], r["seed"]) for r in job.runs] == [
        ({"Layer:lay_inhib.gi": g}, s) for g in (1.6, 1.8) for s in (42, 43)]

    stages = [re.search(r"stage (\w+)\)", out.out)[1]] + wait_terminal(folder, capsys)
    assert list(dict.fromkeys(stages)) == list(STAGES)     # every stage, in order
    polls = [t for m, p, t in server.log if (m == "GET" and p.endswith(handle)) or m == "POST"]
    assert len(polls) >= len(STAGES) + 1
    assert all(b - a >= 0.2 for a, b in zip(polls[1:], polls[2:])), "polled faster than the interval"

    assert main(["collect", str(folder)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["Layer:lay_inhib.gi", "n_runs", "n_complete"]
    assert [row.split()[:3] for row in table[1:]] == [["1.6", "2", "2"], ["1.8", "2", "2"]]
    downloaded = {server_file(server, handle, p) for m, p, _ in server.log if m == "GET" and "/output/" in p}
    assert downloaded == {"STDOUT", "STDERR", "output.tar.gz"}    # not _JOBINFO.TXT, scheduler.conf
    stdout = (folder / "logs" / "STDOUT").read_text()
    assert "emergent_py from the job's wheel" in stdout and "4 of 4 run(s) succeeded" in stdout
    assert sorted(p.name for p in (folder / "runs" / "000").iterdir()) == ["exit_code", "model.json", "run.h5", "run.log"]
    assert not (folder / ".nsg_download").exists()

    for r in job.runs:
        ref = tmp_path / f"local{r['index']}.h5"
        assert main(["run", str(folder / r["dir"] / "model.json"), "-o", str(ref), "-q"]) == 0
        remote = same_runs(folder / r["dir"] / "run.h5", ref)
        assert "package_git_commit" not in remote        # it ran from the wheel, not from this clone
    assert written_secrets(folder, out.out, out.err, stdout) == []
    assert nsg.fetch_results(job, lambda: pytest.fail("collected results are not fetched again")) == []


def server_file(server: NsgServer, handle: str, path: str) -> str:
    return server.jobs[handle].files[path.rsplit("/", 1)[1]][0]


def test_status_is_asked_at_most_once_per_60_s(server, nsg_env, fast_wheel, spec, tmp_path, capsys, monkeypatch):
    """Without the tests' override the minimum is NSG's 60 s, across separate commands too: a
    poll inside it is answered from the job folder, one at 60 s asks NSG-R."""
    monkeypatch.delenv(nsg.TEST_POLL_VAR)
    server.run = False
    folder = tmp_path / "job"
    assert main(["submit", str(spec), "--nsg", "-t", "5", "-o", str(folder)]) == 0
    handle = load_job(folder).job_id
    for _ in range(3):
        stage, failed, text = status_of(folder, capsys)
        assert (stage, failed) == ("QUEUE", "no")
        assert 50 <= int(re.search(r"next poll in >= (\d+) s", text)[1]) <= 60
    assert server.requests("GET") == []
    job = load_job(folder)
    polled = json.loads((folder / nsg.STATE_FILE).read_text())["polled"]
    client = nsg.Client(nsg.load_credentials())
    assert nsg.poll(job, lambda: client, now=lambda: polled + 59.9)[0].stage == "QUEUE"
    assert server.requests("GET") == []
    assert nsg.poll(job, lambda: client, now=lambda: polled + 60.0)[0].stage == "COMMANDRENDERING"
    assert [p for _, p, _ in server.requests("GET")] == [f"{PREFIX}/job/{USER}/{handle}"]


def test_dry_run_writes_the_zip_and_the_request_and_sends_nothing(server, tmp_path, spec, monkeypatch, capsys):
    """No credentials needed; the zip is one folder with the entry script, runs.json, the models
    and a pure-Python wheel; the request (fields, zip hash) is written, with placeholders."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NSG_URL", server.url)
    folder = tmp_path / "dry"
    assert main(["submit", str(spec), "--nsg", "--tool", "NEURON_EXPANSE", "-t", "01:30:00", "-n", "4",
                 "--seeds", "3", "-o", str(folder), "--dry-run"]) == 0
    out = capsys.readouterr()
    assert server.log == [] and load_job(folder).job_id is None
    names = zipfile.ZipFile(folder / "nsg_job.zip").namelist()
    wheel = [n for n in names if n.endswith(".whl")]
    assert sorted(set(names) - set(wheel)) == sorted(
        ["emergent_py_job/run_sweep.py", "emergent_py_job/runs.json", "emergent_py_job/model.json"]
        + [f"emergent_py_job/runs/{i:03d}/model.json" for i in range(3)])
    assert len(wheel) == 1 and re.fullmatch(r"emergent_py_job/wheels/ldlc_emergent-[\d.]+-py3-none-any\.whl", wheel[0])
    with zipfile.ZipFile(folder / "nsg_job.zip") as z:
        assert z.read("emergent_py_job/runs/002/model.json") == (folder / "runs/002/model.json").read_bytes()
        assert json.loads(z.read("emergent_py_job/runs.json"))["cores"] == 4
    request = json.loads((folder / nsg.REQUEST_FILE).read_text())
    fields = dict(request["fields"])
    assert fields["tool"] == "NEURON_EXPANSE" and fields["vparam.pythonoption_"] == "1"
    assert fields["vparam.runtime_"] == "1.5" and fields["vparam.number_cores_"] == "4"
    assert request["submit"]["url"] == f"{server.url}/job/<USERNAME>"
    assert request["file"]["sha256"] == nsg.file_sha256(folder / "nsg_job.zip")
    assert "vparam.runtime_=1.5" in out.out and "nothing was sent" in out.err


def test_entry_script_reports_a_python_without_h5py_and_nsg_marks_the_job_failed(
        server, nsg_env, fast_wheel, spec, tmp_path, capsys):
    fake = tmp_path / "fake"
    (fake / "h5py").mkdir(parents=True)
    (fake / "h5py" / "__init__.py").write_text("raise ImportError('no HDF5 library here')\n")
    server.env = {"PYTHONPATH": str(fake)}
    folder = tmp_path / "job"
    assert main(["submit", str(spec), "--nsg", "-t", "5", "-o", str(folder)]) == 0
    handle = load_job(folder).job_id
    wait_terminal(folder, capsys)
    assert status_of(folder, capsys)[1] == "yes"
    assert main(["collect", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"NSG marks job {handle} failed" in err and "lacks the module h5py" in err and "no HDF5 library here" in err
    assert "lacks the module h5py" in (folder / "logs" / "STDOUT").read_text()


def test_results_without_run_files_are_an_error_naming_the_job(server, nsg_env, fast_wheel, spec, tmp_path, capsys):
    server.run = False                 # the job "ran" but returned no output archive
    folder = tmp_path / "job"
    assert main(["submit", str(spec), "--nsg", "-t", "5", "-o", str(folder)]) == 0
    handle = load_job(folder).job_id
    assert main(["collect", str(folder)]) == 2
    assert re.search(f"NSG job {handle} is at stage [A-Z]+ .*not finished", capsys.readouterr().err)
    wait_terminal(folder, capsys)
    assert main(["collect", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"the results of NSG job {handle} hold no run files" in err and "STDOUT, STDERR" in err


def test_cancel(server, nsg_env, fast_wheel, spec, tmp_path, capsys):
    server.hold = True
    folder = tmp_path / "job"
    assert main(["submit", str(spec), "--nsg", "-t", "5", "-o", str(folder)]) == 0
    handle = load_job(folder).job_id
    assert main(["jobs", "--cancel", str(folder)]) == 0
    assert f"cancelled NSG job {handle}" in capsys.readouterr().out
    assert [p for _, p, _ in server.requests("DELETE")] == [f"{PREFIX}/job/{USER}/{handle}"] and handle not in server.jobs
    assert status_of(folder, capsys)[:2] == ("CANCELLED", "no")
    assert main(["jobs", "--cancel", str(folder)]) == 2
    assert "already cancelled" in capsys.readouterr().err


def test_http_errors_are_explicit_and_hold_no_credential(server, nsg_env, fast_wheel, spec, tmp_path, capsys, monkeypatch):
    # 400 with NSG's XML error: the parameter and its message; the folder stays unsubmitted
    assert main(["submit", str(spec), "--nsg", "-t", "100:00:00", "-o", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "HTTP 400" in err and "vparam.runtime_: must be a number of hours between 0 and 48" in err
    assert "written, not submitted" in err and load_job(tmp_path / "a").job_id is None and server.jobs == {}
    # 401: wrong password, named by where it came from, never shown
    monkeypatch.setenv("NSG_PASSWORD", "wrong-pw-1234")
    assert main(["submit", str(spec), "--nsg", "-o", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "refused the credentials (HTTP 401)" in err and "PASSWORD from $NSG_PASSWORD" in err
    assert "wrong-pw-1234" not in err and USER not in err
    # nobody listening: the URL's user name is not in the message
    monkeypatch.setenv("NSG_URL", "http://127.0.0.1:9/cipresrest/v1")
    assert main(["submit", str(spec), "--nsg", "-o", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "could not be reached" in err and "URL from $NSG_URL" in err and USER not in err
    assert written_secrets(tmp_path / "a") == written_secrets(tmp_path / "b") == []


def test_credentials_from_the_config_file_or_the_environment(tmp_path, monkeypatch, spec, capsys):
    for var in nsg.ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    # none anywhere: the error names both files and the variables, and nothing is written
    assert main(["submit", str(spec), "--nsg", "-o", str(tmp_path / "j")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}/.nsgrest.conf and {tmp_path}/nsgrest.conf" in err and "$NSG_APPID" in err
    assert "no USERNAME, PASSWORD, APPID found" in err and not (tmp_path / "j").exists()
    # pynsgr's format; the environment wins key by key
    (tmp_path / ".nsgrest.conf").write_text(f"# NSG-R\nURL=https://example.org/cipresrest/v1\nUSERNAME={USER}\n"
                                            f"PASSWORD = {PASSWORD}\nAPPNAME=emergent\nAPPID: {APPID}\n")
    (tmp_path / ".nsgrest.conf").chmod(0o644)
    with pytest.warns(UserWarning, match=r"others can read it: chmod 600 .*\.nsgrest\.conf"):
        nsg.load_credentials()
    (tmp_path / ".nsgrest.conf").chmod(0o600)
    c = nsg.load_credentials()
    assert (c.url, c.username, c.password, c.appid) == ("https://example.org/cipresrest/v1", USER, PASSWORD, APPID)
    assert c.where == f"URL, USERNAME, PASSWORD, APPID from {tmp_path}/.nsgrest.conf"
    assert not any(s in repr(c) for s in SECRETS)
    monkeypatch.setenv("NSG_APPID", "other-app")
    c = nsg.load_credentials()
    assert c.appid == "other-app" and c.where.endswith("; APPID from $NSG_APPID")
    assert c.redact(f"GET {c.jobs_url}/x auth {SECRETS[3]} key other-app") == \
        "GET https://example.org/cipresrest/v1/job/<USERNAME>/x auth <BASIC-AUTH> key <APPID>"
    # a malformed line is named by number, its text (maybe a password) is not shown
    (tmp_path / ".nsgrest.conf").write_text(f"USERNAME={USER}\n{PASSWORD}\n")
    (tmp_path / ".nsgrest.conf").chmod(0o600)
    with pytest.raises(nsg.SubmitError, match=r"nsgrest.conf line 2: not KEY=VALUE") as e:
        nsg.load_credentials()
    assert PASSWORD not in str(e.value)


def test_requests_nsg_refuses_before_writing(tmp_path, spec, capsys):
    for args, msg in ((["--tool", "BLUEPYOPT_TG"], "--tool 'BLUEPYOPT_TG'"), (["-n", "129"], "-n 129: give 1 to 128"),
                      (["-N", "2"], "-N 2: an NSG job"), (["--cluster", "local"], "--cluster apply to SLURM"),
                      (["--np", "2"], "--np apply to SLURM"), (["-t", "00:00:30"], "minutes at least")):
        assert main(["submit", str(spec), "--nsg", "--dry-run", "-o", str(tmp_path / "j"), *args]) == 2, args
        assert msg in capsys.readouterr().err, args
        assert not (tmp_path / "j").exists()
    assert main(["submit", str(spec), "--tool", "PY_EXPANSE", "--cluster", "local"]) == 2
    assert "--tool names an NSG tool: add --nsg" in capsys.readouterr().err
    assert main(["submit", str(spec)]) == 2
    assert "give --cluster NAME" in capsys.readouterr().err


def test_entry_script_stopped_by_the_time_limit_keeps_checkpoints(nsg_env, fast_wheel, model, tmp_path):
    """SIGTERM to the entry script (NSG's wall-time limit): the running run stops at the
    checkpoint after its epoch (exit 75, resumable run file), the next run is not started."""
    folder = tmp_path / "job"
    assert main(["submit", str(REPO / "projects" / "RandomAssoc"), "--nsg", "-n", "1", "--seeds", "2",
                 "-o", str(folder), "--dry-run"]) == 0
    remote = tmp_path / "remote"
    zipfile.ZipFile(folder / "nsg_job.zip").extractall(remote)
    top = remote / nsg_package.TOP
    proc = subprocess.Popen([sys.executable, str(top / nsg_package.ENTRY)], cwd=remote, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    log = top / "runs" / "000" / "run.log"
    deadline = time.monotonic() + 120
    while not (log.is_file() and "epoch    0" in log.read_text()):       # the run's handler is in place
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else ""
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1, out
    assert "stopped by signal 15: 1 run(s) not started, 1 told to stop" in out
    assert "0 of 2 run(s) succeeded" in out and "not started: 001" in out
    assert (top / "runs" / "000" / "exit_code").read_text() == "75\n"
    assert not (top / "runs" / "001" / "run.h5").exists()
    with RunFile(top / "runs" / "000" / "run.h5") as rf:
        assert not rf.complete and rf.checkpoint() is not None
    assert json.loads((top / "nsg_summary.json").read_text())["not_started"] == ["001"]
    assert not (top / "_site").exists() and not (top / "wheels").exists()
