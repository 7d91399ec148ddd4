"""Run files under faults: a kill before every file change of a real run, SIGKILLs of the real core
at random moments, a full disk, a read-only folder, two writers, 10^5 epochs, resume that never
writes into a killed file, and the temporaries of dead writers (issues 15 and 22)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import synthetic_engine as se
from ci_support import missing
from emergent_py.errors import FormatError, OutputError
from emergent_py.results import RunFile, RunWriter

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TINY = REPO / "tests" / "mpi" / "tiny_model.py"


@pytest.fixture(scope="module")
def shim(tmp_path_factory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        missing("no C compiler (cc) to build the fault-injection shim: apt-get install gcc")
    out = tmp_path_factory.mktemp("shim") / "faultshim.so"
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(HERE / "faultshim.c"), "-ldl"], check=True)
    return out


@pytest.fixture(scope="module")
def model():
    return se.model()


def _work(tmp_path: Path) -> Path:
    """A folder on tmpfs when there is one: the runs fsync a lot, and a kill is not a power loss."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        d = Path(shm / f"emergent_py_faults_{os.getpid()}_{tmp_path.name}")
        d.mkdir()
        return d
    return tmp_path / "work"


def _drive(shim: Path, work: Path, *args) -> dict:
    env = {**os.environ, "LD_PRELOAD": str(shim), "EMERGENT_PY_PROGRESS": "0"}
    try:
        p = subprocess.run([sys.executable, str(HERE / "fault_driver.py"), str(shim), str(TINY), str(work), *map(str, args)],
                           capture_output=True, text=True, env=env, timeout=900, cwd=REPO)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.splitlines()[0])


def test_kill_before_every_file_change_of_a_run(shim, tmp_path):
    """The real core's `run -o` of 3 epochs, killed just before each of its calls that changes a
    file others can see (an in-place write, a rename, an unlink) and before the first and last
    write of each temporary file: every killed file opens, holds each epoch whose append had
    returned (bitwise), is not marked complete, and --resume (--overwrite without a checkpoint)
    ends bitwise equal to the uninterrupted run with nothing left beside it.
    FAULT_SWEEP=all kills before every single write instead (several minutes)."""
    report = _drive(shim, _work(tmp_path), "every", 3)
    assert report["failures"] == [], "\n".join(report["failures"][:20])
    kinds = report["calls_by_kind"]
    assert kinds["W"] > 30 and kinds["R"] >= 5 and kinds["T"] > 100, kinds     # the run did write
    assert report["kills"] == report["kill_points"] > 60
    # every kind of state was met: no file yet, a file without a checkpoint, resumable, complete
    assert report["no_file"] and report["restarted"] and report["resumed"] > 20 and report["complete"], report


def test_sigkill_of_the_real_core_at_random_moments(shim, tmp_path):
    """50 SIGKILLs at random moments (seeded) of a 2-epoch run, each followed by the same checks."""
    report = _drive(shim, _work(tmp_path), "random", 2, 50, 1234)
    assert report["failures"] == [], "\n".join(report["failures"][:20])
    assert report["kills"] == 50 and report["resumed"] >= 1, report      # (3-11 of 50 resumable here)


def _fill_epochs(w: RunWriter, start: int, n: int) -> None:
    for e in range(start, start + n):
        w.append_cycles(se.cycle_rows(e))
        w.append_trials(se.trial_rows(e))
        w.append_epoch(se.epoch_row(e))
        w.write_checkpoint(se.checkpoint(e))


def _mount_tmpfs(where: Path, *opts: str) -> None:
    if os.geteuid() != 0:
        missing("mounting a small tmpfs needs root: run the tests as root (CI does)")
    where.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(opts), "tmpfs", str(where)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        missing(f"cannot mount a tmpfs here ({p.stderr.strip()}): the tests need CAP_SYS_ADMIN (CI has it)")


def test_disk_full_gives_a_clear_error_and_keeps_the_file(tmp_path, model):
    small = tmp_path / "small"
    _mount_tmpfs(small, "size=600k")
    try:
        path = small / "run.h5"
        w = RunWriter(path, model)
        with pytest.raises(OutputError, match="no space left on the device") as e:
            for e_ in range(10000):
                _fill_epochs(w, e_, 1)
        assert "unchanged: it holds" in str(e.value)
        try:                                    # the finished copy is smaller: it may fit
            w.close(complete=False)
        except OutputError as e2:
            assert "no space left" in str(e2)
        with RunFile(path) as r:                # the file as of the last commit, readable
            n = len(r.epochs)
            assert n >= 1 and not r.complete
            from test_runfile import check_run
            check_run(r, n)
            assert r.checkpoint()["position"]["epoch"] >= n - 1
        for name in os.listdir(small):          # no temporary left behind
            assert not name.endswith(".tmp"), name
    finally:
        subprocess.run(["umount", str(small)], check=False)


def test_read_only_folder_gives_a_clear_error(tmp_path, model):
    folder = tmp_path / "ro"
    if os.geteuid() == 0:
        _mount_tmpfs(folder, "size=4m")
    else:
        folder.mkdir()
    try:
        se.run(str(folder / "run.h5"), 2)
        before = (folder / "run.h5").read_bytes()
        if os.geteuid() == 0:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            folder.chmod(0o555)
        with pytest.raises(OutputError, match=r"cannot be written .*choose a writable folder"):
            RunWriter(folder / "new.h5", model)
        with pytest.raises(OutputError, match=r"cannot be written"):
            RunWriter(folder / "run.h5", model, mode="a")
        assert (folder / "run.h5").read_bytes() == before
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=False)
        else:
            folder.chmod(0o755)


def test_a_second_writer_is_refused_by_the_lock(tmp_path, model):
    path = tmp_path / "run.h5"
    w = RunWriter(path, model)
    _fill_epochs(w, 0, 2)
    code = ("import sys; sys.path.insert(0, sys.argv[2]); import synthetic_engine as se\n"
            "from emergent_py.results import RunWriter\n"
            "RunWriter(sys.argv[1], se.model(), mode=sys.argv[3])\n")
    for mode in ("w", "a"):
        p = subprocess.run([sys.executable, "-c", code, str(path), str(HERE), mode], capture_output=True, text=True)
        assert p.returncode != 0
        assert "another process is writing this run file (held by process " in p.stderr, p.stderr
    with pytest.raises(OutputError, match="another process is writing"):
        RunWriter(path, model, mode="a")           # also from the same process
    _fill_epochs(w, 2, 1)
    w.close()
    with RunFile(path) as r:
        from test_runfile import check_run
        assert r.complete
        check_run(r, 3)
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]       # lock and checkpoint files gone
    RunWriter(path, model, mode="a").close()                 # and the next writer may go on


@pytest.mark.slow
def test_100000_epochs_through_the_writer(tmp_path):
    """HDF5 numbers attribute creations; a writer that re-created attributes every epoch died
    after 32,766 epochs (issue 22.1). The writer only rewrites them in place now."""
    path = tmp_path / "long.h5"
    with RunWriter(path, None, engine="emergent") as w:
        for e in range(100_000):
            w.append_epoch({"epoch": e, "avg_sse": np.float32(e % 7)})
            if e % 25_000 == 0:
                w.write_checkpoint({"epoch": e + 1})
    with RunFile(path) as r:
        assert r.complete and len(r.epochs) == 100_000
        np.testing.assert_array_equal(r.epochs["epoch"], np.arange(100_000))
        np.testing.assert_array_equal(r.epochs["avg_sse"], (np.arange(100_000) % 7).astype(np.float32))
        assert r.checkpoint() == {"epoch": 75_001}


def _killed_after_3_epochs(path: Path) -> None:
    """A writer SIGKILLed (never closed) after 3 epochs with snapshots and checkpoints."""
    code = ("import os, signal, sys; sys.path.insert(0, sys.argv[2]); import synthetic_engine as se\n"
            "from emergent_py.results import RunWriter\n"
            "w = RunWriter(sys.argv[1], se.model())\n"
            "for e in range(3):\n"
            "    w.append_trials(se.trial_rows(e)); w.append_cycles(se.cycle_rows(e))\n"
            "    w.append_epoch(se.epoch_row(e)); w.write_weights(e, se.weights(e))\n"
            "    w.write_checkpoint(se.checkpoint(e))\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    p = subprocess.run([sys.executable, "-c", code, str(path), str(HERE)], capture_output=True, text=True)
    assert p.returncode == -9, p.stderr


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_resume_never_writes_into_the_killed_file(tmp_path, model):
    """The continued file is a new copy: the killed one (kept here through a hard link to its
    inode) is byte for byte what the kill left; a damaged file is refused and left as it is."""
    path = tmp_path / "run.h5"
    _killed_after_3_epochs(path)
    os.link(path, tmp_path / "killed.h5")
    before = _sha(tmp_path / "killed.h5")
    se.run(str(path), 5, mode="a", start=3)
    assert _sha(tmp_path / "killed.h5") == before
    with RunFile(path) as r:
        from test_runfile import check_run
        assert r.complete
        check_run(r, 5)
        assert r.weight_epochs == [0, 1, 2, 3, 4]
    damaged = tmp_path / "damaged.h5"
    data = bytearray((tmp_path / "killed.h5").read_bytes())
    data[200:4000] = bytes(3800)                 # object headers zeroed
    damaged.write_bytes(bytes(data))
    before = _sha(damaged)
    with pytest.raises(FormatError, match="left as it is|not an emergent_py run file"):
        RunWriter(damaged, model, mode="a")
    assert _sha(damaged) == before


def test_temporaries_of_dead_writers_are_removed(tmp_path, model):
    path = tmp_path / "run.h5"
    se.run(str(path), 1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = [tmp_path / f".run.h5.{dead.pid}.tmp", tmp_path / f".run.h5.ckpt.{dead.pid}.tmp"]
        live = tmp_path / f".run.h5.{alive.pid}.tmp"
        other = tmp_path / f".other.h5.{dead.pid}.tmp"
        for p in (*stale, live, other):
            p.write_bytes(b"partial")
        se.run(str(path), 2, mode="a", start=1)
        assert not any(p.exists() for p in stale)
        assert live.exists() and other.exists()      # a live process's, another file's: kept
    finally:
        alive.kill()
        alive.wait()


def test_a_killed_file_reads_with_h5dump_and_plain_h5py(tmp_path, model):
    """The killed file is plain HDF5 in the default format: no h5clear, no SWMR reader needed."""
    path = tmp_path / "run.h5"
    _killed_after_3_epochs(path)
    h5dump = shutil.which("h5dump")
    if h5dump is None:
        missing("h5dump not found: apt-get install hdf5-tools (scripts/setup.sh installs it with the test extras)")
    d = subprocess.run([h5dump, "-a", "/epoch/n_rows", "-d", "/epoch/avg_sse", str(path)],
                       capture_output=True, text=True)
    assert d.returncode == 0, d.stderr
    assert "(0): 3" in d.stdout and "DATASET \"/epoch/avg_sse\"" in d.stdout, d.stdout
    import h5py                         # as docs/runfile.md reads it (pandas takes this dict as it is)
    with h5py.File(path, "r") as f:
        g = f["epoch"]
        n = int(g.attrs["n_rows"])
        df = {c: g[c][:n] for c in json.loads(g.attrs["columns"]) if g[c].ndim == 1}
        assert f.attrs["status"] == "running" and not f.attrs["complete"]
        names = f["trial/trial_name"].asstr()[: int(f["trial"].attrs["n_rows"])]
    assert df["epoch"].tolist() == [0, 1, 2]
    assert df["avg_sse"].tolist() == [se.epoch_row(e)["avg_sse"] for e in range(3)]
    assert list(names) == se.NAMES * 3
