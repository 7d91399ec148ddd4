"""How a job finds emergent_py on the real sites (issue 16, item 11): the profile names the venv
of the one-time install, submit checks the interpreter, and the job script fails fast, once, with
a clear message when the import fails."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from emergent_py.errors import SubmitError
from emergent_py.hpc.interpreter import check_python
from emergent_py.hpc.profile import load_profile

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"
SHIMS = REPO / "scripts" / "slurm" / "shims"
README_DRY_RUN = ["submit", str(EXAMPLE), "--cluster", "stampede3", "-p", "skx", "-N", "1", "-n", "1",
                  "-t", "00:30:00", "--dry-run"]


def cli(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "emergent_py", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def no_package_python(folder: Path) -> Path:
    """An interpreter without emergent_py (the system Python, isolated from this environment)."""
    py = folder / "bin" / "python"
    py.parent.mkdir(parents=True)
    py.write_text(f"#!/bin/sh\nexec {sys.base_prefix}/bin/python3 -I \"$@\"\n")
    py.chmod(0o755)
    return py


@pytest.mark.parametrize("site, python", [("stampede3", "$WORK/emergent_py-venv/bin/python"),
                                          ("stampede2", "$WORK/emergent_py-venv/bin/python"),
                                          ("expanse", "$HOME/emergent_py-venv/bin/python"),
                                          ("comet", "$HOME/emergent_py-venv/bin/python")])
def test_site_profiles_name_the_venv_of_the_one_time_install(site, python):
    assert load_profile(site).python == python
    docs = (REPO / "docs" / "hpc.md").read_text()
    assert "## Installing on a cluster" in docs and f"VENV={python.split('/bin/')[0]}" in docs


def test_the_job_script_stops_at_once_when_the_import_fails(tmp_path):
    r = cli(*README_DRY_RUN, "-o", tmp_path / "job", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert ("emergent-py submit: not checked here: $WORK/emergent_py-venv/bin/python does not exist on "
            "this machine") in r.stderr
    script = (tmp_path / "job" / "job.sh").read_text()
    assert 'PYTHON="$WORK/emergent_py-venv/bin/python"\n' in script
    assert 'ibrun -n 1 "$WORK/emergent_py-venv/bin/python" -m emergent_py run' in script
    # on the "cluster": $WORK holds a venv whose python lacks the package
    work = tmp_path / "work"
    no_package_python(work / "emergent_py-venv")
    env = {"PATH": f"{SHIMS}:/usr/bin:/bin", "WORK": str(work), "HOME": str(tmp_path)}
    p = subprocess.run(["bash", str(tmp_path / "job" / "job.sh")], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 1
    assert [l for l in p.stderr.splitlines() if not l.startswith("module shim")] == [
        f"emergent-py: {work}/emergent_py-venv/bin/python cannot import emergent_py on {os.uname().nodename} "
        "after the module loads:",
        "  ModuleNotFoundError: No module named 'emergent_py'",
        "emergent-py: do the one-time install (docs/hpc.md, 'Installing on a cluster') or submit with --python PATH"]
    assert "starting" not in p.stdout and not (tmp_path / "job" / "runs" / "000" / "exit_code").exists()


def test_submit_checks_the_interpreter_before_writing(tmp_path):
    py = no_package_python(tmp_path / "venv")
    r = cli("submit", EXAMPLE, "--cluster", "local", "-t", "5", "--python", py, "-o", tmp_path / "job", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith(f"emergent-py submit: error: --python {py}: cannot import emergent_py "
                               "(ModuleNotFoundError: No module named 'emergent_py'); install the package")
    assert not (tmp_path / "job").exists()
    r = cli("submit", EXAMPLE, "--cluster", "stampede3", "-t", "00:30:00", "-o", tmp_path / "job", cwd=tmp_path,
            env={**os.environ, "WORK": str(tmp_path / "nowhere")})
    assert r.returncode == 2 and "does not exist on this machine" in r.stderr and not (tmp_path / "job").exists()


def test_a_profile_running_the_sites_own_python_is_refused(tmp_path):
    import dataclasses
    bare = dataclasses.replace(load_profile("stampede3"), python="python3")
    with pytest.raises(SubmitError, match="its profile runs 'python3' after module load python; module load hdf5, "
                                          "the site's own Python, which does not have emergent_py"):
        check_python(bare, None, dry_run=True)
    assert check_python(bare, sys.executable, dry_run=False) is None       # --python overrides it
