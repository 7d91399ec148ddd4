"""Real jobs on the local SLURM (scripts/slurm/start.sh): MPI, a sweep array, a failure, a job
that hits its --time limit and resumes, and scripts rendered for the real sites.

All jobs are submitted once, up front (module fixture), so their waits overlap; the --time=1
job dominates (about 1.5-3 minutes: SLURM checks limits every 30 s and a requeued job waits
cred_expire = 10 s before it starts again).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from emergent_py.cli import main
from emergent_py.hpc import slurm
from emergent_py.hpc.jobfolder import create_job, submit_job
from emergent_py.hpc.profile import load_profile, read_profile
from emergent_py.hpc.request import Resources
from emergent_py.hpc.sweep import expand, parse_sweep
from emergent_py.hpc.track import collect, job_status
from emergent_py.results import RunFile
from emergent_py.spec import Full, Model, Network, Patterns, RunPlan, Sheet

pytestmark = pytest.mark.slurm

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PAYLOAD = HERE / "payload.py"
SHIMS = REPO / "scripts" / "slurm" / "shims"
SITES = {"comet": Resources("compute", 1, 2, "00:30:00", np=2),
         "expanse": Resources("shared", 1, 2, "00:30:00", "abc123", np=2),
         "stampede2": Resources("skx-dev", 1, 2, "00:30:00"),
         "stampede3": Resources("skx-dev", 1, 2, "00:30:00", np=2)}
# 48 s of work in a 60 s job; SLURM warns when under 20 + 30 s are left: 10-40 s in
RESUME_STEPS, RESUME_STEP_S, RESUME_SIGNAL_S = 96, 0.5, 20


CORE_EPOCHS = 50     # 5-30 s of the native core here: long enough to be warned mid-run


def tiny_model() -> Model:
    """A model the native core trains in about 0.1 s per epoch here."""
    net = Network("Tiny")
    inp, hid, out = net.layer("Input", (3, 3), kind="input"), net.layer("Hidden", (4, 4)), \
        net.layer("Output", (3, 3), kind="target")
    net.connect(inp, hid, Full())
    net.connect(hid, out, Full())
    net.connect(out, hid, Full(), cls="TopDown")
    pats = Patterns.random(n=6, layers={"Input": (3, 3), "Output": (3, 3)}, pct_on=0.3, seed=3)
    return Model(net, Sheet({".TopDown": {"wt_scale.rel": 0.2}}), pats,
                 RunPlan(epochs=CORE_EPOCHS, stop_cnt_err=None, seed=5))


def core_epochs_logged(path: Path, epochs: int) -> bool:
    """True when the native core's run file holds >= ``epochs`` epoch rows. (The core checkpoints
    at the end of the epoch during which the warning arrives, so no epoch is run twice;
    tests/results covers a kill between an epoch's row and its checkpoint.)"""
    try:
        with RunFile(path) as rf:
            return len(rf.epochs) >= epochs
    except Exception:   # noqa: BLE001 - the file is not there yet or is being written
        return False


def payload(*extra: str) -> str:
    import shlex
    return " ".join(["{python}", shlex.quote(str(PAYLOAD)), "{model}", "-o", "{output}", *extra])


def reference(run_dir: Path, out: Path, steps: int) -> dict:
    """The same run, uninterrupted and without SLURM; its epoch columns."""
    subprocess.run([sys.executable, str(PAYLOAD), str(run_dir / "model.json"), "-o", str(out),
                    "--steps", str(steps)], check=True, capture_output=True, timeout=120)
    with RunFile(out) as rf:
        assert rf.complete
        return rf.epochs.to_dict()


@pytest.fixture(scope="module")
def jobs(slurm, model, tmp_path_factory):
    root = tmp_path_factory.mktemp("slurm")
    local = load_profile("local")
    one = expand([], [model.plan.seed])
    made = {}
    made["resume"] = create_job(root / "resume", model, local,
                                Resources(time="1", signal_s=RESUME_SIGNAL_S), one,
                                payload=payload("--steps", str(RESUME_STEPS), "--step-s", str(RESUME_STEP_S)))
    made["mpi"] = create_job(root / "mpi", model, local, Resources(ntasks=2, np=2, time="5"), one,
                             payload=payload("--steps", "6"))
    made["sweep"] = create_job(root / "sweep", model, local, Resources(time="5", throttle=2),
                               expand([parse_sweep("lay_inhib.gi=1.6,1.8,2.0")], [7]),
                               payload=payload("--steps", "8", "--step-s", "0.2"))
    made["fail"] = create_job(root / "fail", model, local, Resources(time="5"), one,
                              payload=payload("--fail", "3"))
    made["stampede3"] = create_job(root / "stampede3", model, load_profile("stampede3"), SITES["stampede3"],
                                   one, payload=payload("--steps", "4"), python=sys.executable)
    # the real native core (`python -m emergent_py run ... -o ... [--resume]`), default payload
    made["core"] = create_job(root / "core", tiny_model(), local, Resources(time="10"), expand([], [5, 6]))
    made["core_mpi"] = create_job(root / "core_mpi", tiny_model(), local, Resources(ntasks=2, np=2, time="10"),
                                  expand([], [5]))
    # like `local` but jobs resubmit themselves after a checkpoint (as on Stampede2)
    text = (REPO / "hpc" / "profiles" / "local.toml").read_text()
    (root / "localresubmit.toml").write_text(text.replace('name = "local"', 'name = "localresubmit"')
                                             .replace('resume = "requeue"', 'resume = "resubmit"'))
    made["resubmit"] = create_job(root / "resubmit", model, read_profile(root / "localresubmit.toml"),
                                  Resources(time="5"), expand([], [1, 2]),
                                  payload=payload("--steps", "40", "--step-s", "0.25"))
    # Stampede2: no arrays; the sweep runs as one TACC-launcher job (paramrun shim here)
    made["launcher"] = create_job(root / "launcher", model, load_profile("stampede2"),
                                  Resources("development", 1, 1, "00:10:00"),     # packed: 3 runs, 3 slots
                                  expand([parse_sweep("lay_inhib.gi=1.6,1.8,2.0")], [1]),
                                  payload=payload("--steps", "40", "--step-s", "0.25"), python=sys.executable)
    old_path = os.environ["PATH"]
    try:
        for name, job in made.items():
            if name in ("stampede3", "launcher"):   # jobs inherit the submitter's PATH: the shims
                os.environ["PATH"] = f"{SHIMS}{os.pathsep}{old_path}"
            made[name] = submit_job(job)
    finally:
        os.environ["PATH"] = old_path
    # Warnings sent by hand (scancel --signal=USR1 --batch), each as soon as its runs are up:
    # task 1 of the resubmit job; the launcher job once its three runs made their run files;
    # the core's runs (serial, and 2 MPI ranks under srun) once each has logged 2 epochs.
    pending = {
        f"{made['resubmit'].job_id}_1": lambda: made["resubmit"].run_file(1).exists(),
        # (packed: all three run side by side, LAUNCHER_PPN=3, hpc/packing.py)
        made["launcher"].job_id: lambda: all(made["launcher"].run_file(i).exists() for i in (0, 1, 2)),
        f"{made['core'].job_id}_0": lambda: core_epochs_logged(made["core"].run_file(0), 2),
        made["core_mpi"].job_id: lambda: core_epochs_logged(made["core_mpi"].run_file(0), 2),
    }
    end = time.time() + 90
    while pending:
        for target, ready in list(pending.items()):
            if ready():
                subprocess.run(["scancel", "--signal=USR1", "--batch", target], check=True)
                del pending[target]
        assert time.time() < end, (f"runs of {list(pending)} did not get going:\n"
                                   + "\n".join(log_text(j)[-3000:] for j in made.values()
                                                if any(t.split("_")[0] == j.job_id for t in pending)))
        time.sleep(0.2)
    yield made
    ids = [j.job_id for j in made.values() if j.job_id]
    subprocess.run(["scancel", *ids], capture_output=True)


def wait(job, timeout: float) -> list:
    end = time.time() + timeout
    while True:
        rows = job_status([job])[job.folder]
        if all(r.state in slurm.FINISHED for r in rows):
            return rows
        if time.time() > end:
            pytest.fail(f"{job.folder}: not finished after {timeout} s: {rows}")
        time.sleep(1)


def log_text(job) -> str:
    return "".join(p.read_text() for p in sorted((job.folder / "logs").iterdir()))


def test_mpi_job_writes_a_run_file_from_two_ranks(jobs, model):
    job = jobs["mpi"]
    (row,) = wait(job, 120)
    assert (row.state, row.exit_code, row.run_file) == ("COMPLETED", 0, "complete"), log_text(job)
    log = log_text(job)
    assert "rank 0 of 2: done after 6 steps" in log and "rank 1 of 2: done after 6 steps" in log
    with RunFile(job.run_file(0)) as rf:
        assert rf.provenance["mpi_size"] == 2
        got = rf.epochs.to_dict()
    # the same numbers computed here without MPI: two rank streams over halves of the vector
    gi, seed, n = model.layer_params["Hidden"].layer.lay_inhib.gi, model.plan.seed, 1000
    rngs = [np.random.default_rng([seed, r]) for r in (0, 1)]
    xs = [np.zeros(500), np.zeros(500)]
    for step in range(6):
        xs = [np.tanh(gi * x + g.standard_normal(500)) for x, g in zip(xs, rngs)]
        assert got["mean"][step] == (xs[0].sum() + xs[1].sum()) / n
        assert got["sumsq"][step] == (xs[0] * xs[0]).sum() + (xs[1] * xs[1]).sum()


def test_native_core_mpi_run_on_two_ranks_warned_resumes(jobs):
    """The real `emergent-py run` as 2 MPI ranks (srun --mpi=pmix -n 2): emergent's dmem. The
    warning, forwarded to srun, reaches both ranks; they stop after the same epoch with a
    checkpoint (exit 75), the job is requeued and the ranks resume with their own state."""
    job = jobs["core_mpi"]
    assert 'srun --mpi=pmix -n 2 ' in (job.folder / "job.sh").read_text() and job.manifest["checkpoint"]
    (row,) = wait(job, 180)
    log = log_text(job)
    assert (row.state, row.exit_code, row.run_file) == ("COMPLETED", 0, "complete"), log
    assert "dmem: 2 ranks" in log
    assert "time-limit warning (USR1)" in log and "restart 1, run file: resume" in log
    with RunFile(job.run_file(0)) as rf:
        assert rf.provenance["mpi_size"] == 2 and len(json.loads(rf.provenance["resumed"])) >= 1
        assert list(rf.epochs["epoch"]) == list(range(CORE_EPOCHS))     # every epoch exactly once


def test_sweep_runs_as_one_array_and_collects(jobs, capsys, tmp_path):
    job = jobs["sweep"]
    assert job.manifest["array"] and "#SBATCH --array=0-2%2" in job.manifest["directives"]
    rows = wait(job, 120)
    assert [r.job_id for r in rows] == [f"{job.job_id}_{i}" for i in range(3)]
    assert [(r.state, r.exit_code, r.run_file) for r in rows] == [("COMPLETED", 0, "complete")] * 3
    header, table = collect(job)
    assert header == ["Layer:lay_inhib.gi", "n_runs", "n_complete", "epochs", "epoch", "mean", "sumsq"]
    assert [r[:4] for r in table] == [[1.6, 1, 1, 8], [1.8, 1, 1, 8], [2.0, 1, 1, 8]]
    for i, row in enumerate(table):
        ref = reference(job.run_dir(i), tmp_path / f"ref{i}.h5", 8)
        assert row[5] == ref["mean"][-1] and row[6] == ref["sumsq"][-1]
    assert len({row[5] for row in table}) == 3                      # the points really differ
    assert main(["collect", str(job.folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == header and out[1].split()[:3] == ["1.6", "1", "1"]


def test_failed_job_shows_failed_with_its_exit_code(jobs, capsys):
    job = jobs["fail"]
    (row,) = wait(job, 120)
    assert (row.state, row.exit_code) == ("FAILED", 3)
    assert row.run_file == "incomplete"                             # closed early, never complete
    assert "failing on purpose with exit code 3" in log_text(job)
    live = slurm.squeue([job.job_id])[job.job_id]                  # the controller's view
    assert (live.state, live.exit_code, live.signal) == ("FAILED", 3, 0)
    # the completion log (sacct -c, no accounting database here) agrees
    acct = slurm.sacct([job.job_id])
    assert acct[job.job_id].state == "FAILED" and acct[job.job_id].exit_code == 3
    assert main(["jobs", str(job.folder)]) == 0
    out = capsys.readouterr().out
    assert ["0", job.job_id, "FAILED", "3", "incomplete", "seed=42"] in [l.split() for l in out.splitlines()]
    assert "1 FAILED; 0/1 run files complete" in out


def test_job_hitting_its_time_limit_resumes_to_the_uninterrupted_result(jobs, tmp_path):
    job = jobs["resume"]
    assert "#SBATCH --time=00:01:00" in job.manifest["directives"]
    assert f"#SBATCH --signal=B:USR1@{RESUME_SIGNAL_S}" in job.manifest["directives"]
    (row,) = wait(job, 330)
    log = log_text(job)
    assert (row.state, row.exit_code, row.run_file) == ("COMPLETED", 0, "complete"), log
    assert "time-limit warning (USR1)" in log and "checkpointed at step" in log
    assert "requeueing job" in log and "restart 1, run file: resume" in log and "resuming at step" in log
    with RunFile(job.run_file(0)) as rf:
        got = rf.epochs.to_dict()
        assert len(json.loads(rf.provenance["resumed"])) >= 1     # (a JSON list of the continuations)
    ref = reference(job.run_dir(0), tmp_path / "ref.h5", RESUME_STEPS)
    assert list(got) == list(ref) and len(got["mean"]) == RESUME_STEPS
    for name in ref:
        assert got[name].dtype == ref[name].dtype and got[name].tobytes() == ref[name].tobytes(), name


def test_site_scripts_are_accepted_by_slurm(slurm, model, tmp_path):
    """Scripts rendered for each real site pass `sbatch --test-only` on the local partitions of
    the same names; each site partition's MaxTime is at least the profile's."""
    limits = dict(line.split() for line in subprocess.run(["sinfo", "-h", "-o", "%R %l"], capture_output=True,
                                                          text=True, check=True).stdout.splitlines())
    for site, res in SITES.items():
        prof = load_profile(site)
        for name, part in prof.partitions.items():
            assert name in limits, f"start.sh did not create partition {name} of {site}"
        create_job(tmp_path / site, model, prof, res,
                   expand([parse_sweep("lay_inhib.gi=1.6,1.8")], [1]), python=sys.executable)
        p = subprocess.run(["sbatch", "--test-only", "job.sh"], cwd=tmp_path / site, capture_output=True, text=True)
        assert p.returncode == 0 and "to start at" in p.stderr, (site, p.stderr)
    # SLURM itself refuses what the profile refuses (here: over debug's 30 minutes)
    p = subprocess.run(["sbatch", "--test-only", "-p", "debug", "-t", "00:31:00", "--wrap", "true"],
                       capture_output=True, text=True)
    assert p.returncode != 0


def test_stampede3_script_runs_with_ibrun_and_module_shims(jobs):
    job = jobs["stampede3"]
    (row,) = wait(job, 120)
    log = log_text(job)
    assert (row.state, row.exit_code, row.run_file) == ("COMPLETED", 0, "complete"), log
    assert "module shim: ignoring 'module load python'" in log
    assert "rank 1 of 2: done after 4 steps" in log


def test_warned_array_task_resubmits_itself_and_tracking_follows(jobs, tmp_path):
    """resume = "resubmit": the warning (sent here by hand to task 1's batch shell) makes the run
    checkpoint and the task resubmit itself as a new one-task array job; `jobs` follows it."""
    job = jobs["resubmit"]
    rows = wait(job, 120)
    ((new_id, task),) = job.resubmits()
    assert task == 1 and new_id != job.job_id
    assert [r.job_id for r in rows] == [f"{job.job_id}_0", f"{new_id}_1"]
    assert [(r.state, r.exit_code, r.run_file) for r in rows] == [("COMPLETED", 0, "complete")] * 2, log_text(job)
    log = log_text(job)
    assert f"resubmitted as job {new_id}" in log and "resuming at step" in log
    ref = reference(job.run_dir(1), tmp_path / "ref.h5", 40)
    with RunFile(job.run_file(1)) as rf:
        got = rf.epochs.to_dict()
    assert all(got[k].tobytes() == ref[k].tobytes() for k in ref)


def test_native_core_run_stopped_by_the_warning_resumes_bitwise(jobs, tmp_path):
    """The real `emergent-py run` as array task 0 of 2 (seeds 5, 6): the forwarded warning stops
    it at a checkpoint after the current epoch (exit 75), the task is requeued and restarted with
    --resume from that checkpoint; equal to an uninterrupted run. Task 1 ran undisturbed."""
    job = jobs["core"]
    assert "-m emergent_py run" in (job.folder / "job.sh").read_text() and job.manifest["checkpoint"]
    rows = wait(job, 180)
    log = log_text(job)
    assert [(r.state, r.exit_code, r.run_file) for r in rows] == [("COMPLETED", 0, "complete")] * 2, log
    assert [r.job_id for r in rows] == [f"{job.job_id}_0", f"{job.job_id}_1"]
    task0 = (job.folder / "logs" / f"{job.job_id}_0.out").read_text()
    assert "time-limit warning (USR1)" in task0 and "continues in the next job" in task0
    assert "requeueing job" in task0 and "restart 1, run file: resume" in task0
    assert "restart 1" not in (job.folder / "logs" / f"{job.job_id}_1.out").read_text()
    ref = tmp_path / "ref.h5"
    subprocess.run([sys.executable, "-m", "emergent_py", "run", str(job.run_dir(0) / "model.json"), "-o", str(ref),
                    "-q"], check=True, capture_output=True, timeout=300)
    with RunFile(job.run_file(0)) as got, RunFile(ref) as want:
        assert len(json.loads(got.provenance["resumed"])) >= 1
        g, w = got.epochs.to_dict(), want.epochs.to_dict()
        # every epoch exactly once, even when a kill fell between an epoch's row and its checkpoint
        assert g["epoch"].tolist() == list(range(CORE_EPOCHS))
        assert list(g) == list(w) and len(w["epoch"]) == CORE_EPOCHS
        for name in w:
            if name == "epoch_time_tot":             # wall-clock seconds, not a result
                continue
            assert g[name].dtype == w[name].dtype and g[name].tobytes() == w[name].tobytes(), name
        gw, ww = got.weights(), want.weights()
        assert all(gw[k].tobytes() == ww[k].tobytes() for k in ww)


def test_launcher_job_warned_resubmits_and_finishes_every_point(jobs, tmp_path):
    """Stampede2 style: the warning reaches every running task through the launcher's process
    group; the unfinished runs continue in a resubmitted job, the finished one is not rerun."""
    job = jobs["launcher"]
    assert not job.manifest["array"] and (job.folder / "tasks.txt").exists()
    rows = wait(job, 150)
    ((new_id, task),) = job.resubmits()
    assert task is None and [r.job_id for r in rows] == [new_id] * 3
    assert [(r.state, r.exit_code, r.run_file) for r in rows] == [("COMPLETED", 0, "complete")] * 3, log_text(job)
    log = log_text(job)
    assert f"resubmitted as job {new_id}" in log and log.count("resuming at step") == 3
    for i in range(3):
        ref = reference(job.run_dir(i), tmp_path / f"ref{i}.h5", 40)
        with RunFile(job.run_file(i)) as rf:
            got = rf.epochs.to_dict()
        assert all(got[k].tobytes() == ref[k].tobytes() for k in ref)
