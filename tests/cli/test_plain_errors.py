"""No raw library error text reaches the user: a folder, a missing file or a non-HDF5 file named
where a file is expected gets a plain one-line error (issue 16, item 8)."""
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "projects" / "RandomAssoc"

RAW = ("Errno", "Unable to synchronously", "file signature", "Traceback", "errno")


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "emergent_py", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize("argv, message", [
    (["plot", "runs", "-o", "x.png"], "plot: error: runs is not a job folder (no manifest.json; job folders "
                                      "are made by `emergent-py submit`)"),
    (["compare", "runs", "notrun.h5"], "compare: error: runs: is a folder, not a run file (.h5)"),
    (["compare", "notrun.h5", "notrun.h5"], "compare: error: notrun.h5: not an HDF5 file (no HDF5 signature: "
                                            "it is text starting 'not HDF5'); a run file is written by "
                                            "`emergent-py run -o` or `emergent-py import`"),
    (["import", "runs", "-o", "x.h5"], "import: error: runs: is a folder, not a file"),
    (["run", EXAMPLE, "-q", "--weights", "runs"], "run: error: runs: is a folder, not a file"),
    (["run", EXAMPLE, "-q", "--resume", "-o", "runs"], "run: error: runs: is a folder, not a run file (.h5)"),
])
def test_plain_one_line_errors(tmp_path, argv, message):
    (tmp_path / "runs").mkdir()
    (tmp_path / "notrun.h5").write_text("not HDF5\n")
    r = cli(*argv, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == f"emergent-py {message}"
    assert not any(raw in r.stderr for raw in RAW)
