"""A reader that closes the pipe early (``| head``) must never stop or truncate a run, nor be
reported as success when a command's output was lost (issue 16, item 1)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emergent_py.results import RunFile

from ci_support import missing

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"
# RandomAssoc with its plan's seed reaches its stop criterion after this many epochs
RANDOMASSOC_EPOCHS = 23
TINY = REPO / "tests" / "mpi" / "tiny_model.py"


def emergent_py_cmd() -> str:
    """The console script as a user types it (the venv's own), as a shell word."""
    script = Path(sys.executable).parent / "emergent-py"
    return str(script) if script.exists() else f"{sys.executable} -m emergent_py"


def pipeline(cmd: str, cwd) -> tuple[int, str]:
    """Run ``cmd`` under bash with pipefail off; returns (status of the pipeline's first command,
    what the reader printed)."""
    p = subprocess.run(["bash", "-c", cmd + '; echo "status=${PIPESTATUS[0]}"'], capture_output=True,
                       text=True, cwd=cwd, timeout=300)
    out, status = p.stdout.rsplit("status=", 1)
    return int(status), out


def test_run_into_head_with_progress_on_the_pipe_trains_to_the_end(tmp_path):
    # progress (stderr) and summary (stdout) both into `head -2`: the run must go on to its stop
    # criterion (before the fix it stopped after ~2 epochs, left an incomplete file and exited 0)
    status, out = pipeline(f"{emergent_py_cmd()} run {EXAMPLE} -o x.h5 2>&1 | head -2", tmp_path)
    assert out.splitlines()[0].startswith("epoch    0  sse")
    with RunFile(tmp_path / "x.h5") as rf:
        assert rf.complete
        assert len(rf.epochs["avg_sse"]) == RANDOMASSOC_EPOCHS
        assert rf.epochs["cnt_err"][-1] == 0
    # the summary line could not be delivered: not a success
    assert status == 141


def test_run_into_head_on_stdout_alone_succeeds(tmp_path):
    status, out = pipeline(f"{emergent_py_cmd()} run {EXAMPLE} -o x.h5 2>progress.txt | head -2", tmp_path)
    assert status == 0
    assert out.startswith(f"RandomAssoc: {RANDOMASSOC_EPOCHS} epochs (stop criterion reached)")
    assert (tmp_path / "progress.txt").read_text().count("\nepoch ") == RANDOMASSOC_EPOCHS - 1
    with RunFile(tmp_path / "x.h5") as rf:
        assert rf.complete


def test_a_listing_cut_short_by_head_is_not_success(tmp_path):
    status, out = pipeline(f"{emergent_py_cmd()} params Layer | head -1", tmp_path)
    assert len(out.splitlines()) == 1
    assert status == 141


def test_main_sh_into_head_never_plots_a_partial_run(tmp_path):
    # scripts/main.sh's own steps (set -euo pipefail; validate, run, plot) with its output into
    # `head -1`: whatever stops the script, a plot exists only of a complete run
    script = tmp_path / "main.sh"
    script.write_text(f"set -euo pipefail\nE='{emergent_py_cmd()}'\n$E validate {EXAMPLE}\n"
                      f"$E run {EXAMPLE} -o out.h5 --overwrite\n$E plot out.h5 -o out.png\n")
    status, out = pipeline(f"bash {script} 2>&1 | head -1", tmp_path)
    assert out.startswith("ok: RandomAssoc")
    with RunFile(tmp_path / "out.h5") as rf:
        assert rf.complete and len(rf.epochs["avg_sse"]) == RANDOMASSOC_EPOCHS
    assert status != 0 and not (tmp_path / "out.png").exists()


@pytest.mark.mpi
def test_mpi_run_into_head_trains_to_the_end(tmp_path):
    import importlib.util
    if shutil.which("mpirun") is None or importlib.util.find_spec("mpi4py") is None:
        missing("needs mpirun and mpi4py (apt-get install openmpi-bin libopenmpi-dev; pip install mpi4py)")
    status, _ = pipeline(f"{emergent_py_cmd()} run {TINY} --np 2 -o x.h5 2>&1 | head -1", tmp_path)
    with RunFile(tmp_path / "x.h5") as rf:
        assert rf.complete
        n = len(rf.epochs["avg_sse"])
    serial = subprocess.run([*emergent_py_cmd().split(), "run", str(TINY), "--np", "2", "-q"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert serial.returncode == 0 and f": {n} epochs" in serial.stdout
    # (the exit status is mpirun's: it relays the ranks' stdout itself and ignores the closed pipe)
