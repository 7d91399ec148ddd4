"""`jobs` on a job folder copied off the cluster, without SLURM: states from the folder itself,
one line per submission, --json, and the log path of failed runs (issue 16, item 13)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from emergent_py.cli import main
from emergent_py.hpc.jobfolder import create_job
from emergent_py.hpc.profile import load_profile
from emergent_py.hpc.request import Resources
from emergent_py.hpc.sweep import expand, parse_sweep
from emergent_py.results import RunWriter

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"


def copied_job(tmp_path, model) -> Path:
    """A 4-run Expanse job as rsync'ed back: run 0 done, 1 failed, 2 stopped at a checkpoint, 3 never started."""
    folder = tmp_path / "cluster" / "ra"
    create_job(folder, model, load_profile("expanse"), Resources("shared", 1, 1, "01:00:00", "abc"),
               expand([parse_sweep("#Hidden:lay_inhib.gi=1.6,1.8")], [1, 2]), python=sys.executable)
    manifest = folder / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"job_id": null', '"job_id": "31337"'))
    assert main(["run", str(folder / "runs/000/model.json"), "-q", "--epochs", "1", "-o", str(folder / "runs/000/run.h5")]) == 0
    (folder / "runs/000/exit_code").write_text("0\n")
    (folder / "runs/001/exit_code").write_text("1\n")
    (folder / "logs" / "31337_1.out").write_text("Traceback ...\n")
    RunWriter(folder / "runs/002/run.h5", model, engine="native").close(complete=False)
    copy = tmp_path / "laptop" / "ra"
    shutil.copytree(folder, copy)
    return copy


def jobs(*args, cwd):
    env = {"PATH": str(Path(sys.executable).parent), "HOME": os.environ.get("HOME", "/tmp")}   # no squeue here
    return subprocess.run([sys.executable, "-m", "emergent_py", "jobs", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def test_jobs_without_slurm_reads_the_copied_folder(tmp_path, model):
    copy = copied_job(tmp_path, model)
    r = jobs("ra", cwd=copy.parent)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "ra  ('RandomAssoc' on expanse, job 31337)"
    states = [line.split()[2:4] for line in lines[2:6]]
    assert states == [["COMPLETED", "0"], ["FAILED", "1"], ["STOPPED", "-"], ["NOT", "STARTED"]]
    assert lines[-1] == "  run 1 failed: log ra/logs/31337_1.out"


def test_summary_one_line_per_submission_and_json(tmp_path, model):
    copy = copied_job(tmp_path, model)
    shutil.copytree(copy, copy.parent / "ra2")
    r = jobs("--summary", "ra", "ra2", cwd=copy.parent)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"{name}  RandomAssoc on expanse, job 31337: 4 run(s): 1 COMPLETED, 1 FAILED, 1 STOPPED, 1 NOT STARTED; "
        "1/4 run files complete; 1 failed (see their logs)" for name in ("ra", "ra2")]
    data = json.loads(jobs("--json", "ra", cwd=copy.parent).stdout)
    assert [(r["state"], r["exit_code"], r["run_file"], r["log"]) for r in data[0]["runs"]] == [
        ("COMPLETED", 0, "complete", None), ("FAILED", 1, "missing", "ra/logs/31337_1.out"),
        ("STOPPED", None, "incomplete", None), ("NOT STARTED", None, "missing", None)]
    assert data[0]["runs"][1]["sweep"] == {"#Hidden:lay_inhib.gi": 1.6} and data[0]["job_id"] == "31337"
