"""A stand-in engine loop for run-file tests: deterministic rows from (seed, epoch).

Run as a script it writes a run file epoch by epoch and prints ``epoch N`` after each
``append_epoch`` (so a parent can kill it at a known point):
``python synthetic_engine.py OUT.h5 N_EPOCHS SLEEP_S [MODE]``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

N_TRIALS = 6
NAMES = ["checks", "mitvert", "midhoriz", "rdiag", "ldiag", "random"]


def model():
    from emergent_py.spec import load_model
    return load_model(str(Path(__file__).resolve().parents[2] / "projects" / "RandomAssoc"))


def trial_rows(epoch: int) -> list[dict]:
    rng = np.random.default_rng(1000 + epoch)
    rows = []
    for t in range(N_TRIALS):
        sse = np.float32(rng.random() * 4)
        rows.append({"batch": 0, "epoch": epoch, "trial": t, "trial_name": NAMES[t], "sse": sse,
                     "norm_err": np.float32(rng.random()), "cos_err": np.float32(rng.random()),
                     "Output_lay_sse": sse, "Output_act": rng.random((5, 5)).astype(np.float32)})
    return rows


def cycle_rows(epoch: int) -> list[dict]:
    rng = np.random.default_rng(2000 + epoch)
    return [{"epoch": epoch, "trial": t, "cycle": c, "Hidden_act": rng.random(4).astype(np.float32)}
            for t in range(N_TRIALS) for c in range(1, 4)]


def epoch_row(epoch: int) -> dict:
    trials = trial_rows(epoch)
    sse = np.array([r["sse"] for r in trials], np.float32)
    cnt = float((sse > 0.5).sum())
    return {"batch": 0, "epoch": epoch, "avg_sse": np.float32(sse.mean()), "cnt_err": np.float32(cnt),
            "pct_err": np.float32(cnt / N_TRIALS), "pct_cor": np.float32(1 - cnt / N_TRIALS),
            "avg_cos_err": np.float32(np.mean([r["cos_err"] for r in trials]))}


def weights(epoch: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3000 + epoch)
    return {"Input->Hidden": rng.random((25, 25)).astype(np.float32),
            "Hidden->Output": rng.random((25, 25)).astype(np.float32)}


def checkpoint(epoch: int) -> dict:
    rng = np.random.default_rng(epoch)
    return {"position": {"epoch": epoch + 1, "trial": 0}, "weights": weights(epoch),
            "rng": rng.bit_generator.state, "names": np.array(NAMES), "note": f"after epoch {epoch}"}


def run(path: str, n_epochs: int, sleep: float = 0.0, mode: str = "w-", start: int = 0) -> None:
    from emergent_py.results import RunWriter
    with RunWriter(path, model(), engine="native", mode=mode) as w:
        for epoch in range(start, n_epochs):
            if sleep:
                time.sleep(sleep / 2)          # "computing" the first half of the epoch
            w.append_cycles(cycle_rows(epoch))
            w.append_trials(trial_rows(epoch)[:3])
            if sleep:
                time.sleep(sleep / 2)
            w.append_trials(trial_rows(epoch)[3:])
            w.append_epoch(epoch_row(epoch))
            w.write_weights(epoch, weights(epoch))
            w.write_checkpoint(checkpoint(epoch))
            print(f"epoch {epoch}", flush=True)


if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), *(sys.argv[4:5] or []))
