"""Packing many small serial runs onto few whole nodes, per site, and the cost printed before a
submission is sent (issue 16, item 12)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from emergent_py.hpc.jobfolder import create_job, load_job
from emergent_py.hpc.profile import load_profile
from emergent_py.hpc.request import Resources
from emergent_py.hpc.sweep import expand
from emergent_py.hpc.track import run_job_ids

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"
SHIMS = REPO / "scripts" / "slurm" / "shims"
# records when the run started and ended (no braces: the payload is str.format'ed)
STAMP = ("{python} -c 'import sys, time, pathlib; d = pathlib.Path(sys.argv[1]); "
         "(d / \"start\").write_text(repr(time.time())); time.sleep(1.5); (d / \"end\").write_text(repr(time.time()))'"
         " {run_dir}")


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "emergent_py", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def job_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM")}
    return {**env, "PATH": f"{SHIMS}:{env['PATH']}", **extra}


def side_by_side(folder: Path, runs) -> bool:
    """Every run of ``runs`` started before any of them ended."""
    starts = [float((folder / f"runs/{i:03d}/start").read_text()) for i in runs]
    ends = [float((folder / f"runs/{i:03d}/end").read_text()) for i in runs]
    return max(starts) < min(ends)


def test_stampede2_launcher_with_n_1_runs_the_tasks_side_by_side(tmp_path, model):
    folder = tmp_path / "s2"
    job = create_job(folder, model, load_profile("stampede2"), Resources("skx-normal", 1, 1, "00:10:00"),
                     expand([], [1, 2, 3, 4, 5, 6]), payload=STAMP, python=sys.executable)
    script = (folder / "job.sh").read_text()
    assert "#SBATCH --nodes=1\n#SBATCH --ntasks=6\n" in script and "export LAUNCHER_PPN=6 " in script
    assert job.manifest["packing"] == {"mode": "launcher", "per_node": 6, "nodes": 1, "jobs": 1, "n_runs": 6}
    p = subprocess.run(["bash", str(folder / "job.sh")], capture_output=True, text=True, env=job_env(), timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert side_by_side(folder, range(6))          # before: LAUNCHER_PPN from -n 1, one after another


def test_expanse_compute_packs_an_array_task_per_node(tmp_path, model):
    folder = tmp_path / "ex"
    create_job(folder, model, load_profile("expanse"), Resources("compute", 1, 1, "00:10:00", "abc"),
               expand([], [1, 2, 3, 4, 5]), payload=STAMP, python=sys.executable, runs_per_node=2)
    script = (folder / "job.sh").read_text()
    assert "#SBATCH --nodes=1\n#SBATCH --ntasks-per-node=2\n" in script and "#SBATCH --array=0-2\n" in script
    p = subprocess.run(["bash", str(folder / "job.sh")], capture_output=True, text=True,
                       env=job_env(SLURM_ARRAY_TASK_ID="1"), timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert side_by_side(folder, [2, 3])
    assert sorted(d.name for d in (folder / "runs").iterdir() if (d / "exit_code").exists()) == ["002", "003"]
    job = load_job(folder)
    job.manifest["job_id"] = "77"
    assert run_job_ids(job) == ["77_0", "77_0", "77_1", "77_1", "77_2"]


def test_dry_run_prints_the_node_hours(tmp_path):
    base = ["submit", EXAMPLE, "--dry-run", "--python", sys.executable]
    r = cli(*base, "--cluster", "stampede3", "-p", "skx", "-N", "1", "-n", "1", "-t", "02:00:00", "--seeds", "100",
            "-o", tmp_path / "a", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert ("emergent-py submit: cost: at most 6 node-hours (100 runs packed 48 per node: 1 job of 3 node(s), "
            "TACC launcher, -t 02:00:00)") in r.stderr.splitlines()
    r = cli(*base, "--cluster", "expanse", "-p", "compute", "-N", "1", "-n", "1", "-t", "01:00:00", "-A", "x",
            "--seeds", "3", "--runs-per-node", "1", "-o", tmp_path / "b", cwd=tmp_path)
    assert ("emergent-py submit: cost: at most 3 node-hours (3 runs packed 1 per node: 3 array task(s) of 1 node, "
            "-t 01:00:00)") in r.stderr.splitlines()
    r = cli(*base, "--cluster", "expanse", "-p", "shared", "-n", "4", "-t", "02:00:00", "-A", "x", "--seeds", "5",
            "-o", tmp_path / "c", cwd=tmp_path)
    assert ("emergent-py submit: cost: at most 40 core-hours (5 job(s) x 4 core(s) on shared nodes, "
            "-t 02:00:00)") in r.stderr.splitlines()
    r = cli(*base, "--cluster", "expanse", "-p", "shared", "-n", "1", "-t", "02:00:00", "-A", "x", "--seeds", "5",
            "--runs-per-node", "4", "-o", tmp_path / "d", cwd=tmp_path)
    assert r.returncode == 2 and "runs are packed only for a sweep of serial one-node runs" in r.stderr
