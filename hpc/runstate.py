"""``python -m emergent_py.hpc.runstate RUN.h5``: how job.sh should (re)start a run.

Prints one line ``STATE EPOCHS``, EPOCHS being the epochs its last checkpoint holds (rows
logged after it are run again on resume), or every logged epoch of a complete run: the progress
measure job.sh compares before and after a warned attempt.

* ``fresh 0``      no run file yet: start the run;
* ``complete N``   the run finished: do not run it again;
* ``resume N``     an unfinished run file with a checkpoint: continue it (``--resume``);
* ``restart N``    an unfinished run file without a usable checkpoint: start over
  (``--overwrite``).

A file that cannot be read as a run file counts as ``restart``. Exit status 0 always (the
state is the answer), except for a usage error.
"""
from __future__ import annotations

import os
import sys


def run_state(path: str) -> tuple[str, int]:
    """``(state, epochs)`` of a run file, as described in the module docstring."""
    if not os.path.exists(path):
        return "fresh", 0
    try:
        from ..results import RunFile
        with RunFile(path) as rf:
            if rf.complete:
                return "complete", len(rf.epochs)
            rows = rf.checkpoint_rows()
            if rows is None:
                return "restart", 0
            return "resume", int(rows.get("epoch", 0))
    except Exception:   # noqa: BLE001 - any unreadable file means: start over
        return "restart", 0


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m emergent_py.hpc.runstate RUN.h5", file=sys.stderr)
        return 2
    state, epochs = run_state(argv[0])
    print(state, epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
