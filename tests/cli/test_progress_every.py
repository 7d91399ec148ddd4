"""`run --progress-every N`, and a default of at most ~100 progress lines for a long run plus the
summary (issue 16, item 15)."""
import subprocess
import sys
from pathlib import Path

TINY = Path(__file__).resolve().parents[2] / "tests" / "mpi" / "tiny_model.py"


def progress_epochs(*args):
    r = subprocess.run([sys.executable, "-m", "emergent_py", "run", str(TINY), *args], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("TinyDmem: 150 epochs (epoch limit)")          # the summary
    return [int(line.split()[1]) for line in r.stderr.splitlines() if line.startswith("epoch ")]


def test_default_keeps_a_long_run_to_about_100_lines_with_the_first_and_last_epoch():
    epochs = progress_epochs("--epochs", "150")
    assert epochs == list(range(0, 150, 2)) + [149]         # before: all 150 epochs


def test_progress_every_n():
    assert progress_epochs("--epochs", "150", "--progress-every", "50") == [0, 50, 100, 149]
