"""Rendered scripts: every user value reaches the shell quoted; scripts parse (bash -n) and run."""
from __future__ import annotations

import json
import shlex
import os
import subprocess
import sys

import pytest

from emergent_py.cli import main
from emergent_py.errors import SubmitError
from emergent_py.hpc.interpreter import shell_word
from emergent_py.hpc.jobfolder import create_job, load_job
from emergent_py.hpc.profile import load_profile, read_profile
from emergent_py.hpc.render import payload_command
from emergent_py.hpc.request import Resources
from emergent_py.hpc.slurm import parse_job_id
from emergent_py.hpc.sweep import expand, parse_sweep

SHIMS = __import__("pathlib").Path(__file__).resolve().parents[2] / "scripts" / "slurm" / "shims"

NASTY = "it's a \"job\" $(touch PWN1) `touch PWN2`; echo hi second line \\ $HOME"   # (newlines: refused)
# a launcher that runs its command without MPI or SLURM: `<this> -n 1 CMD...` -> CMD...
PLAIN = """name = "plain"
description = "no scheduler: runs job.sh with bash"
launcher = '''bash -c 'shift 2; exec "$@"' launch'''
modules = []
required = []
forbidden = []
sweep = "array"
resume = "requeue"
default_partition = "p"
scratch = "/tmp"
local_scratch = "/tmp"
[partitions.p]
max_time = "01:00:00"
max_nodes = 1
cores_per_node = 4
"""
# writes "<model path>|<run dir>" into the output file; no braces (the payload is str.format'ed)
ECHO = ("{python} -c 'import sys, pathlib; pathlib.Path(sys.argv[2]).write_text(sys.argv[1] + chr(124) + sys.argv[3])'"
        " {model} {output} {run_dir}")


@pytest.fixture
def nasty_place(tmp_path):
    """A job folder and an interpreter path holding spaces, quotes, $(...), backticks."""
    pydir = tmp_path / "py dir $(touch PWN3) `touch PWN4` 'q'"
    pydir.mkdir()
    # a wrapper, not a symlink: a symlinked venv interpreter outside its venv lacks its packages
    (pydir / "python x").write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} \"$@\"\n")
    (pydir / "python x").chmod(0o755)
    return tmp_path / "job folder $(touch PWN5) '\"`touch PWN6`", str(pydir / "python x")


def _no_pwn(root):
    hits = [p for p in root.rglob("PWN*")] + [p for p in __import__("pathlib").Path.cwd().glob("PWN*")]
    assert hits == [], f"a value was executed by the shell: {hits}"


def test_nasty_values_stay_literal_and_the_script_runs(tmp_path, model, nasty_place):
    folder, python = nasty_place
    profile = read_profile(_plain(tmp_path))
    pts = expand([parse_sweep("lay_inhib.gi=1.6,1.8")], [3])
    create_job(folder, model, profile, Resources(time="10"), pts, job_name=NASTY,
               payload=ECHO, python=python)
    script = (folder / "job.sh").read_text()
    subprocess.run(["bash", "-n", str(folder / "job.sh")], check=True)
    assert "#SBATCH --job-name=it_s_a__job____touch_PWN1___touch_PWN2___echo_hi_second_line____\n" in script
    for task in ("0", "1"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM")}
        env["SLURM_ARRAY_TASK_ID"] = task
        p = subprocess.run(["bash", str(folder / "job.sh")], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        assert f"emergent-py: job {NASTY}\n" in p.stdout            # the name arrived byte for byte
        run_dir = f"runs/00{task}"
        assert (folder / run_dir / "run.h5").read_text() == f"{run_dir}/model.json|{run_dir}"
        assert (folder / run_dir / "exit_code").read_text() == "0\n"
    _no_pwn(tmp_path)
    assert load_job(folder).manifest["name"] == NASTY
    assert json.loads((folder / "runs/001/model.json").read_text())["plan"]["seed"] == 3


def test_a_finished_run_is_not_run_again(tmp_path, model):
    folder = tmp_path / "job"
    create_job(folder, model, read_profile(_plain(tmp_path)), Resources(time="10"), expand([], [1]),
               payload="{python} -c 'import sys; sys.exit(9)'")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM")}
    p = subprocess.run(["bash", str(folder / "job.sh")], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 9 and (folder / "runs/000/exit_code").read_text() == "9\n"
    p = subprocess.run(["bash", str(folder / "job.sh")], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 9 and "already ended with status 9" in p.stdout


def test_launcher_job_runs_every_point(tmp_path, model, monkeypatch):
    """Stampede2 (no arrays): one job, TACC launcher job file; run here with the paramrun shim."""
    folder = tmp_path / "s2"
    pts = expand([parse_sweep("lay_inhib.gi=1.6,1.8,2.0")], [1])
    create_job(folder, model, load_profile("stampede2"), Resources("development", 1, 4, "00:10:00"), pts,
               payload=ECHO, python=sys.executable)
    script = (folder / "job.sh").read_text()
    assert "--array" not in script and "module load launcher" in script and "--mem" not in script
    assert (folder / "tasks.txt").read_text() == "bash job.sh --run 0\nbash job.sh --run 1\nbash job.sh --run 2\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM", "LAUNCHER"))}
    env["PATH"] = f"{SHIMS}{os.pathsep}{env['PATH']}"
    p = subprocess.run(["bash", str(folder / "job.sh")], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    for i in range(3):
        assert (folder / f"runs/00{i}/run.h5").read_text() == f"runs/00{i}/model.json|runs/00{i}"


def test_site_scripts(tmp_path, model):
    pts = expand([parse_sweep("lay_inhib.gi=1.6,1.8")], [1])
    cases = {"comet": Resources("compute", 2, 48, "01:30:00", np=48),
             "expanse": Resources("compute", 1, 128, "02:00:00", "abc123", np=128, throttle=1),
             "stampede3": Resources("skx", 1, 48, "48:00:00", np=48)}
    for site, res in cases.items():
        job = create_job(tmp_path / site, model, load_profile(site), res, pts)
        s = (tmp_path / site / "job.sh").read_text()
        subprocess.run(["bash", "-n", str(tmp_path / site / "job.sh")], check=True)
        assert s.startswith("#!/bin/bash\n#SBATCH --job-name=RandomAssoc\n")
        assert "#SBATCH --array=0-1" in s
        launcher = load_profile(site).launcher
        python = shell_word(load_profile(site).python)      # the site's venv (docs/hpc.md)
        assert (f"  {launcher} -n {res.np} {python} -m emergent_py run \"$RUN_DIR/model.json\" "
                '-o "$RUN_DIR/run.h5" "${RESUME_ARGS[@]}" &\n') in s
        # MPI runs of the native core resume too: the warning signal is set up for --np > 1
        assert job.manifest["checkpoint"] and "#SBATCH --signal=B:USR1@" in s and "trap on_usr1 USR1" in s
        # every #SBATCH line precedes the first command
        lines = s.splitlines()
        first_cmd = next(i for i, l in enumerate(lines) if l and not l.startswith("#"))
        assert all(not l.startswith("#SBATCH") for l in lines[first_cmd:])
    assert "#SBATCH --account=abc123" in (tmp_path / "expanse/job.sh").read_text()
    assert "#SBATCH --array=0-1%1" in (tmp_path / "expanse/job.sh").read_text()
    serial = create_job(tmp_path / "serial", model, load_profile("stampede3"), Resources("skx", 1, 1, "01:00:00"), pts)
    s = (tmp_path / "serial" / "job.sh").read_text()
    assert serial.manifest["checkpoint"] and "#SBATCH --signal=B:USR1@120" in s and "trap on_usr1 USR1" in s
    assert '"$PYTHON" -m emergent_py.hpc.runstate "$RUN_DIR/run.h5"' in s
    assert "module purge\nmodule load gnutools\n" in (tmp_path / "comet/job.sh").read_text()


def test_emergent_engine_gets_no_warning_signal(tmp_path, model):
    create_job(tmp_path / "e", model, load_profile("expanse"), Resources("shared", 1, 1, "01:00:00", "a"),
               expand([], [1]), engine="emergent")
    s = (tmp_path / "e" / "job.sh").read_text()
    assert "#SBATCH --signal" not in s and "#SBATCH --requeue" not in s and "trap on_usr1" not in s
    assert ('srun --mpi=pmi2 -n 1 "$HOME/emergent_py-venv/bin/python" -m emergent_py emergent "$RUN_DIR/model.json" '
            '--dir "$RUN_DIR"/emergent -o "$RUN_DIR/run.h5" &') in s
    native = create_job(tmp_path / "n", model, load_profile("expanse"), Resources("shared", 1, 1, "01:00:00", "a"),
                        expand([], [1]))
    assert native.manifest["checkpoint"] and "trap on_usr1 USR1" in (tmp_path / "n" / "job.sh").read_text()


def test_payload_placeholders():
    assert payload_command("{python} x.py {model}", "/a b/python") == "'/a b/python' x.py \"$RUN_DIR/model.json\""
    with pytest.raises(SubmitError, match="placeholders"):
        payload_command("{python} {nope}", "python")


def test_parse_job_id_skips_banners():
    assert parse_job_id("12345\n") == "12345"
    assert parse_job_id("12345;cluster1\n") == "12345"
    banner = ("-----------------------------------------------------------------\n"
              "Welcome to the Stampede3 Supercomputer\n--> Verifying valid submit host (login1)...OK\n"
              "--> Verifying access to desired queue (skx)...OK\n--> Verifying job request is within "
              "current queue limits...OK\n--> Checking available allocation (TG-123)...OK\n777\n")
    assert parse_job_id(banner) == "777"
    with pytest.raises(SubmitError, match="no job id"):
        parse_job_id("sbatch: error: something\n")


def test_cli_dry_run_and_errors(tmp_path, capsys):
    folder = tmp_path / "dry"
    rc = main(["submit", "projects/RandomAssoc" if os.path.isdir("projects") else
               str(__import__("pathlib").Path(__file__).parents[2] / "projects/RandomAssoc"),
               "--cluster", "expanse", "-p", "shared", "-n", "4", "-t", "02:00:00", "-A", "abc",
               "--sweep", "lay_inhib.gi=1.6,1.8,2.0", "--seeds", "2", "-o", str(folder), "--dry-run"])
    out = capsys.readouterr()
    assert rc == 0 and out.out.startswith("#!/bin/bash\n") and "#SBATCH --array=0-5" in out.out
    assert sorted(p.name for p in (folder / "runs").iterdir()) == [f"00{i}" for i in range(6)]
    assert load_job(folder).job_id is None
    rc = main(["submit", str(__import__("pathlib").Path(__file__).parents[2] / "projects/RandomAssoc"),
               "--cluster", "expanse", "-p", "debug", "-t", "01:00:00", "-A", "a", "-o", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "over the 00:30:00 limit" in err
    assert not (tmp_path / "x").exists()


def _plain(tmp_path):
    p = tmp_path / "plain.toml"
    p.write_text(PLAIN)
    return p


def test_squeue_lines_are_parsed_with_exit_codes_and_array_ranges():
    from emergent_py.hpc.slurm import parse_squeue
    from emergent_py.hpc.track import _expand
    # real `squeue -h -t all -O JobArrayID:|,State:|,exit_code:|,Reason:` lines (Slurm 22.05):
    # exit_code is the raw wait status, 768 = exit 3, 15 = killed by SIGTERM
    out = parse_squeue("101|FAILED|768|NonZeroExitCode\n12|TIMEOUT|15|TimeLimit\n"
                       "100_0|COMPLETED|0|None\n100_[2-4,7%2]|PENDING|0|JobArrayTaskLimit\n7|RUNNING|0|None\n")
    assert (out["101"].state, out["101"].exit_code, out["101"].signal) == ("FAILED", 3, 0)
    assert (out["12"].state, out["12"].exit_code, out["12"].signal) == ("TIMEOUT", 0, 15)
    assert out["7"].exit_code is None and not out["7"].finished and out["100_0"].finished
    tasks = _expand(out)
    assert [k for k in tasks if k.startswith("100_")] == ["100_0", "100_2", "100_3", "100_4", "100_7"]
    assert tasks["100_3"].state == "PENDING" and tasks["100_3"].reason == "JobArrayTaskLimit"


def test_jobs_without_folder_lists_every_job_under_jobs(tmp_path, model, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    create_job(tmp_path / "jobs" / "a", model, load_profile("local"), Resources(time="5"),
               expand([parse_sweep("lay_inhib.gi=1.6,1.8")], [1]))
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "jobs/a  ('RandomAssoc' on local, job not submitted)"
    assert out[2].split() == ["0", "-", "NOT", "SUBMITTED", "-", "missing", "Layer:lay_inhib.gi=1.6", "seed=1"]
    assert out[-1].strip() == "2 NOT SUBMITTED; 0/2 run files complete"
    monkeypatch.chdir(tmp_path / "jobs")
    assert main(["jobs"]) == 2 and "no job folders given and none under ./jobs" in capsys.readouterr().err
