"""Every project goes to emergent and to a cluster: `emergent-py proj` writes an emergent project
that reads back as the same model, and `emergent-py submit --dry-run` renders its SLURM job."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emergent_py.emergent.project import load_project
from emergent_py.spec import load_model

PROJECTS = Path(__file__).resolve().parents[2] / "projects"
NAMES = ["RandomAssoc", "LeabraBench", "Hinton1986_1", "OReillyMunakataFrankEtAl2012_1",
         "OReillyMunakataFrankEtAl2012_2"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "emergent_py", *args], cwd=cwd,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out


@pytest.mark.parametrize("name", NAMES)
def test_proj_round_trip(name, reference, tmp_path):
    """The written .proj holds the project's layers, projections, patterns, plan and every
    resolved parameter (read back with the interop reader)."""
    template = reference / "proj_templates" / "LeabraStd.proj"
    out = cli("proj", str(PROJECTS / name), "-o", str(tmp_path / f"{name}.proj"),
              "--template", str(template), cwd=tmp_path)
    assert f"project name '{name}'" in out.stdout
    model = load_model(PROJECTS / name)
    back = load_project(tmp_path / f"{name}.proj")
    assert [(l.name, l.shape, l.kind) for l in back.network.layers.values()] == \
        [(l.name, l.shape, l.kind) for l in model.network.layers.values()]
    assert {(p.send, p.recv) for p in back.network.projections.values()} == \
        {(p.send, p.recv) for p in model.network.projections.values()}
    assert back.patterns.n == model.patterns.n
    for layer in model.patterns.layers:
        assert (back.pattern_rows(layer) == model.pattern_rows(layer)).all()
    assert (back.plan.epochs, back.plan.stop_cnt_err, back.plan.order) == \
        (model.plan.epochs, model.plan.stop_cnt_err, model.plan.order)
    assert back.resolved_dict() == model.resolved_dict()


@pytest.mark.parametrize("name", NAMES)
def test_submit_dry_run_stampede3(name, tmp_path):
    """3 seeds for Stampede3 (whole nodes): one job packing them onto one node through TACC's
    launcher, its directives, and one model per run with its seed."""
    job = tmp_path / "job"
    out = cli("submit", str(PROJECTS / name), "--cluster", "stampede3", "-t", "02:00:00",
              "-A", "TG-XYZ123", "--seeds", "3", "--dry-run", "-o", str(job), cwd=tmp_path)
    script = (job / "job.sh").read_text()
    assert out.stdout == script and "dry run" in out.stderr and "sbatch job.sh" in out.stderr
    for directive in (f"--job-name={name}", "--time=02:00:00", "--account=TG-XYZ123", "--nodes=1", "--ntasks=3"):
        assert re.search(rf"^#SBATCH {re.escape(directive)}$", script, re.M), directive
    assert "--array" not in script and (job / "tasks.txt").read_text().count("job.sh --run") == 3
    assert '"$WORK/emergent_py-venv/bin/python" -m emergent_py run' in script
    model = load_model(PROJECTS / name)
    seeds = [model.plan.seed + i for i in range(3)]          # --seeds N counts from the plan's seed
    manifest = json.loads((job / "manifest.json").read_text())
    assert manifest["cluster"] == "stampede3" and [r["seed"] for r in manifest["runs"]] == seeds
    for i, seed in enumerate(seeds):
        run = load_model(job / "runs" / f"{i:03d}" / "model.json")
        assert run.plan.seed == seed and run.network == model.network and run.patterns == model.patterns
