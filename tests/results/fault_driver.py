"""Driver of the run-file fault tests (test_runfile_faults.py); runs under LD_PRELOAD=faultshim.so.

``python fault_driver.py SHIM SPEC WORKDIR every EPOCHS``: the real core's ``run -o`` of EPOCHS
epochs is killed (``_exit`` by the shim) just before its k-th file-changing call, for every such
call that changes a file others can see and the first and last write of each temporary file
(``kill_points``; FAULT_SWEEP=all: every call); ``python fault_driver.py SHIM SPEC WORKDIR random
EPOCHS N SEED``: N runs are SIGKILLed at random moments (runs that end before their kill are
drawn again). After each kill: the file (if any) opens, holds every epoch whose
``append_epoch`` had returned, equal to the uninterrupted run's, and is not marked complete
(unless the kill came after the final rename); then ``--resume`` (or ``--overwrite`` when there
is no checkpoint yet) must end with logs and weights bitwise equal to the uninterrupted run and
no file of the killed writer left beside it (finishing is done once per distinct killed state:
same rows, same checkpoint; every state under FAULT_SWEEP=all). Every run is a fork of this
process (imports done once). Prints one JSON line of counts and failures.
"""
from __future__ import annotations

import ctypes
import json
import mmap
import os
import random
import shutil
import signal
import struct
import sys
import time

import numpy as np

SHIM, SPEC, WORK, MODE = sys.argv[1:5]
lib = ctypes.CDLL(SHIM)
fault_at = ctypes.c_long.in_dll(lib, "fault_at")
fault_count = ctypes.c_long.in_dll(lib, "fault_count")
shared = mmap.mmap(-1, 16)          # [epochs whose append_epoch returned, calls counted]
LOG_SIZE = 1 << 20
kinds = mmap.mmap(-1, LOG_SIZE)     # the shim's fault_log of the counting run

from emergent_py import cli                                     # noqa: E402
from emergent_py.results import RunFile, runwriter               # noqa: E402

_append = runwriter.RunWriter.append_epoch


def _counted_append(self, row):
    _append(self, row)
    done, calls = struct.unpack("qq", shared[:16])
    shared[:16] = struct.pack("qq", done + 1, calls)


def run(args: list[str], arm: int | None = None, kill_after: float | None = None) -> int:
    """``emergent-py run SPEC ARGS`` in a forked child; returns its wait status."""
    shared[:16] = struct.pack("qq", 0, 0)
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        runwriter.RunWriter.append_epoch = _counted_append
        rc = 1
        try:
            if arm is not None:
                fault_count.value, fault_at.value = 0, arm
            rc = cli.main(["run", SPEC, *args])
        finally:
            done, _ = struct.unpack("qq", shared[:16])
            shared[:16] = struct.pack("qq", done, fault_count.value)
            os._exit(rc)
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def tables(r: RunFile) -> dict:
    out = {}
    for level in ("epoch", "trial"):
        t = r.table(level)
        out[level] = {c: t[c] for c in t.columns if c != "epoch_time_tot"}    # wall clock
    return out


def same(got: dict, want: dict, n_epochs: int | None = None) -> str | None:
    """None when ``got``'s logs equal ``want``'s (its first ``n_epochs`` epochs), else why not."""
    if n_epochs == 0:
        return None                  # nothing was complete: the file may not have columns yet
    for level in ("epoch", "trial"):
        g, w = got[level], want[level]
        if n_epochs is not None:
            n = n_epochs if level == "epoch" else int(np.searchsorted(w["epoch"], n_epochs))
            if len(g["epoch"]) < n:
                return f"{level}: {len(g['epoch'])} rows, expected at least {n}"
            g = {c: v[:n] for c, v in g.items()}
            w = {c: v[:n] for c, v in w.items()}
        if list(g) != list(w):
            return f"{level} columns {list(g)} vs {list(w)}"
        for c in w:
            if g[c].shape != w[c].shape or g[c].tobytes() != w[c].tobytes():
                return f"{level} column {c} differs"
    return None


def finish_and_compare(folder: str, path: str, ref_tables: dict, ref_weights: dict, epochs: int) -> list[str]:
    errors = []
    resume = False
    if os.path.exists(path):
        with RunFile(path) as r:
            resume = r.checkpoint_rows() is not None
    status = run(["--epochs", str(epochs), "--checkpoint-every", "0", "-q", "-o", path,
                  "--resume" if resume else "--overwrite"])
    if status != 0:
        return [f"{'--resume' if resume else '--overwrite'} ended with wait status {status}"]
    with RunFile(path) as r:
        if not r.complete:
            errors.append("not complete after finishing")
        why = same(tables(r), ref_tables)
        if why:
            errors.append(f"after {'resume' if resume else 'restart'}: {why}")
        w = r.weights()
        if w.keys() != ref_weights.keys() or any(w[k].tobytes() != ref_weights[k].tobytes() for k in w):
            errors.append("final weights differ")
    left = sorted(set(os.listdir(folder)) - {os.path.basename(path)})
    if left:
        errors.append(f"left beside the run file: {left}")
    return errors


def check_killed(path: str, done: int, ref_tables: dict) -> list[str]:
    if not os.path.exists(path):
        return [] if done == 0 else [f"no run file after {done} completed epochs"]
    try:
        with RunFile(path) as r:
            if r.complete and done < EPOCHS:
                return [f"marked complete after {done} of {EPOCHS} epochs"]
            if r.complete:
                return []
            if r.status not in ("running", "incomplete"):
                return [f"status {r.status!r}"]
            why = same(tables(r), ref_tables, done)
            return [f"killed file: {why}"] if why else []
    except Exception as e:    # noqa: BLE001 - any failure to read is what this test looks for
        return [f"killed file does not read: {type(e).__name__}: {e}"]


EPOCHS = int(sys.argv[5])
os.makedirs(WORK, exist_ok=True)
ref = os.path.join(WORK, "ref.h5")
t0 = time.perf_counter()
assert run(["--epochs", str(EPOCHS), "--checkpoint-every", "0", "-q", "-o", ref]) == 0
ref_time = time.perf_counter() - t0
with RunFile(ref) as r:
    REF, REF_W = tables(r), r.weights()
ALL = os.environ.get("FAULT_SWEEP") == "all"
finished: set = set()
report = {"failures": [], "finished": 0, "kills": 0, "resumed": 0, "restarted": 0, "no_file": 0, "complete": 0}


def one(k: int, folder: str, **how) -> None:
    os.makedirs(folder)
    path = os.path.join(folder, "run.h5")
    status = run(["--epochs", str(EPOCHS), "--checkpoint-every", "0", "-q", "-o", path], **how)
    done = struct.unpack("qq", shared[:16])[0]
    report["kills"] += os.WIFSIGNALED(status) or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 137)
    errors = check_killed(path, done, REF)
    state = None
    if not os.path.exists(path):
        report["no_file"] += 1
    elif not errors:
        with RunFile(path) as r:
            report["complete"] += r.complete
            report["resumed" if r.checkpoint_rows() is not None else "restarted"] += not r.complete
            state = (r.complete, tuple(len(r.table(lv)) for lv in ("epoch", "trial", "cycle")),
                     json.dumps(r.checkpoint_rows(), sort_keys=True))
    # The killed file's rows were just checked bitwise; finishing from a state already finished
    # (same rows, same checkpoint) is checked once, unless FAULT_SWEEP=all.
    if not errors and (state not in finished or ALL):
        errors = finish_and_compare(folder, path, REF, REF_W, EPOCHS)
        report["finished"] += 1
        finished.add(state)
    report["failures"] += [f"k={k} ({done} epochs done): {e}" for e in errors]
    shutil.rmtree(folder)


def kill_points(log: bytes, every: bool) -> list[int]:
    """The k to kill before: each call that changes a file others can see (``W`` in place, ``R``
    rename, ``U`` unlink), and the first and last of each stretch of writes into a temporary
    file (``T``; the calls between leave the same visible files and a longer temporary);
    ``every``: all calls. Writes to pipes and /dev/null (``O``) change no file."""
    files = [(i + 1, c) for i, c in enumerate(log.decode()) if c != "O"]
    if every:
        return [k for k, _ in files]
    ks = []
    for j, (k, c) in enumerate(files):
        edge = j == 0 or j == len(files) - 1 or files[j - 1][1] != "T" or files[j + 1][1] != "T"
        if c != "T" or edge:
            ks.append(k)
    return ks


if MODE == "every":
    ctypes.c_void_p.in_dll(lib, "fault_log").value = ctypes.addressof(ctypes.c_char.from_buffer(kinds))
    ctypes.c_long.in_dll(lib, "fault_log_size").value = LOG_SIZE
    run(["--epochs", str(EPOCHS), "--checkpoint-every", "0", "-q", "-o", os.path.join(WORK, "count.h5")], arm=0)
    calls = struct.unpack("qq", shared[:16])[1]
    ctypes.c_void_p.in_dll(lib, "fault_log").value = None
    log = kinds[:calls]
    report["calls"] = calls
    report["calls_by_kind"] = {c: log.count(c.encode()) for c in "TWRUO"}
    ks = kill_points(log, ALL)
    report["kill_points"] = len(ks)
    for k in ks:
        one(k, os.path.join(WORK, f"k{k}"), arm=k)
else:
    n, seed = int(sys.argv[6]), int(sys.argv[7])
    rng = random.Random(seed)
    report["run_s"] = round(ref_time, 3)
    i = 0
    while report["kills"] < n and i < 3 * n:     # a kill that came after the run's end is not one
        one(i, os.path.join(WORK, f"r{i}"), kill_after=rng.uniform(0, ref_time))
        i += 1
    report["attempts"] = i
print(json.dumps(report))
if os.environ.get("FAULT_LOG"): print(kinds[:report.get("calls", 0)].decode())
