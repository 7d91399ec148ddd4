"""Hybrid jobs (submit --np R --threads T): directives, launcher flags and thread variables per
site, refused where a node would be oversubscribed, and a real one on the local SLURM."""
from __future__ import annotations

import time

import pytest

from emergent_py.errors import SubmitError
from emergent_py.hpc.jobfolder import create_job, submit_job
from emergent_py.hpc.profile import load_profile, profile_from_dict, read_profile
from emergent_py.hpc.request import Resources, check_request
from emergent_py.hpc.sweep import expand


@pytest.mark.parametrize("site,res,match", [
    ("expanse", Resources("compute", 1, 8, "1:00:00", "a", np=8, threads=32),
     r"-n 8 tasks of --threads 32 on -N 1 node\(s\) put 8 tasks, 256 cores, on a node of 128 cores .*"
     r"oversubscribes it; use -N 2 or --threads 16"),
    ("stampede3", Resources("skx", 2, 5, "1:00:00", np=5, threads=17),     # 3 + 2 tasks: 51 cores on one
     r"-N 2 node\(s\) put 3 tasks, 51 cores, on a node of 48 cores .*use -N 3 or --threads 16"),
    ("stampede3", Resources("skx", 1, 1, "1:00:00", threads=49), "--threads 49 is more than the 48 cores"),
    ("comet", Resources("compute", 1, 1, "1:00:00", threads=0), "--threads 0: must be a whole number >= 1"),
])
def test_oversubscribing_layouts_are_refused(site, res, match):
    with pytest.raises(SubmitError, match=match):
        check_request(load_profile(site), res, "job", 1)


def test_a_full_node_is_accepted():
    lines = check_request(load_profile("stampede3"), Resources("spr", 2, 8, "1:00:00", np=8, threads=28), "j", 1)
    assert "#SBATCH --cpus-per-task=28" in lines and "#SBATCH --ntasks=8" in lines
    assert not any("cpus-per-task" in l for l in check_request(load_profile("stampede3"),
                                                               Resources("skx", 1, 4, "1:00:00"), "j", 1))
    with pytest.raises(SubmitError, match="set by emergent-py itself"):
        check_request(load_profile("local"), Resources(extra=(("cpus-per-task", "4"),)), "j", 1)


@pytest.mark.parametrize("site,threads,launch", [
    ("expanse", 32, "srun --mpi=pmi2 -n 4 --cpus-per-task=32 --cpu-bind=cores "),
    ("stampede3", 28, "ibrun -n 4 "),
    ("local", 2, "srun --mpi=pmix -n 4 --cpus-per-task=2 "),
])
def test_hybrid_script_per_site(tmp_path, model, site, threads, launch):
    res = Resources({"expanse": "compute", "stampede3": "spr"}.get(site), 1, 4, "01:00:00", "acct",
                    np=4, threads=threads)
    job = create_job(tmp_path / site, model, load_profile(site), res, expand([], [1]))
    script = (job.folder / "job.sh").read_text()
    assert f"#SBATCH --cpus-per-task={threads}\n" in script
    for line in (f"export OMP_NUM_THREADS={threads}", "export OPENBLAS_NUM_THREADS=1", "export MKL_NUM_THREADS=1"):
        assert line + "\n" in script
    (run_line,) = [l.strip() for l in script.splitlines() if "-m emergent_py run" in l]
    assert run_line.startswith(launch) and run_line.endswith(f"--threads {threads} &"), run_line
    assert job.manifest["resources"]["threads"] == threads
    serial = create_job(tmp_path / f"{site}1", model, load_profile(site), Resources(
        {"expanse": "compute", "stampede3": "spr"}.get(site), 1, 4, "01:00:00", "acct", np=4), expand([], [1]))
    text = (serial.folder / "job.sh").read_text()
    assert "OMP_NUM_THREADS" not in text and "--threads" not in text and "cpus-per-task" not in text


def test_profile_thread_fields_are_checked(tmp_path):
    base = read_profile(load_profile("local").path)
    import tomllib
    data = tomllib.loads(base.path.read_text())
    for key, value, match in (("hybrid_flags", "-c {cores}", r"'cores'.* not the placeholder \{threads\}"),
                              ("thread_env", ["OMP NUM=1"], "must be NAME=VALUE"),
                              ("thread_env", "OMP_NUM_THREADS=2", "must be a list of strings")):
        with pytest.raises(SubmitError, match=match):
            profile_from_dict({**data, key: value}, base.path)
    p = profile_from_dict({**data, "thread_env": ["OMP_PROC_BIND=close", "OMP_NUM_THREADS={threads}"]}, base.path)
    assert p.thread_env == ("OMP_PROC_BIND=close", "OMP_NUM_THREADS={threads}")


@pytest.mark.slurm
def test_hybrid_job_on_the_local_slurm(slurm, tmp_path, monkeypatch):
    """2 ranks of 2 threads under the local SLURM: the run file records both, SLURM's
    --cpus-per-task reached the ranks, every rank could run on 2 CPUs."""
    from emergent_py.hpc import slurm as slurm_mod
    from emergent_py.hpc.track import job_status
    from emergent_py.leabra import threads
    from emergent_py.results import RunFile
    from test_slurm import tiny_model
    monkeypatch.setenv(threads.MIN_SYNAPSES_ENV, "0")     # the job inherits it: threads even when tiny
    job = submit_job(create_job(tmp_path / "hybrid", tiny_model(), load_profile("local"),
                                Resources(ntasks=2, np=2, threads=2, time="10"), expand([], [5])))
    end = time.time() + 180
    while not all(r.state in slurm_mod.FINISHED for r in job_status([job])[job.folder]):
        assert time.time() < end, "hybrid job not finished after 180 s"
        time.sleep(1)
    (row,) = job_status([job])[job.folder]
    log = "".join(p.read_text() for p in sorted((job.folder / "logs").iterdir()))
    assert (row.state, row.exit_code, row.run_file) == ("COMPLETED", 0, "complete"), log
    with RunFile(job.run_file(0)) as rf:
        prov = rf.provenance
    assert (prov["mpi_size"], prov["threads"], prov["threads_requested"]) == (2, 2, 2)
    assert prov["env_SLURM_CPUS_PER_TASK"] == "2" and prov["env_OMP_NUM_THREADS"] == "2"
    assert prov["cpu_affinity_count"] >= 1
