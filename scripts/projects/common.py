"""Shared driver of the full-length project reproductions in scripts/projects/.

Each script trains one project for several seeds on the native core (emergent_py.leabra.Run),
prints one line per seed (epochs to criterion, final cnt_err, wall time) and a summary, and
optionally plots the learning curves (matplotlib, optional dependency).
"""
from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emergent_py.spec.loader import import_model_file

REPO = Path(__file__).resolve().parents[2]
PROJECTS = REPO / "projects"


def load_project(name: str):
    """Import ``projects/<name>/model.py`` (projects are folders, not a package)."""
    path = PROJECTS / name / "model.py"
    return import_model_file(path)


@dataclass
class SeedResult:
    """One training run: per-epoch curves and where it ended."""
    seed: int
    cnt_err: list[int]
    avg_sse: list[float]
    stopped: bool          # reached the plan's stop criterion
    seconds: float          # wall clock
    n_trials: int
    cpu_seconds: float = 0.0   # process CPU time (all threads): steadier on a loaded machine

    @property
    def epochs(self) -> int:
        return len(self.cnt_err)

    @property
    def first_zero(self) -> int | None:
        """1-based epoch of the first cnt_err == 0, or None."""
        return next((i + 1 for i, c in enumerate(self.cnt_err) if c == 0), None)

    @property
    def ms_per_trial(self) -> float:
        return 1000 * self.seconds / max(self.n_trials, 1)

    @property
    def cpu_ms_per_trial(self) -> float:
        return 1000 * self.cpu_seconds / max(self.n_trials, 1)


def train(project: str, seed: int, epochs: int | None = None, **build_kwargs) -> SeedResult:
    """Build ``project`` with ``build_kwargs`` and train it with ``seed`` on the native core."""
    from emergent_py import Model
    from emergent_py.leabra import Run
    model = Model(*load_project(project).build(**build_kwargs))
    t0, c0 = time.perf_counter(), time.process_time()
    run = Run(model, seed=seed, record="epoch")
    log = run.run(epochs)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return SeedResult(seed, [int(c) for c in log.column("cnt_err")],
                      [float(s) for s in log.column("avg_sse")], run.stopped, seconds,
                      len(log.epochs) * model.patterns.n, cpu)


def train_seeds(project: str, seeds: list[int], jobs: int = 1, epochs: int | None = None,
                **build_kwargs) -> list[SeedResult]:
    """:func:`train` for every seed, ``jobs`` processes at a time; prints a line per seed."""
    def report(r: SeedResult) -> None:
        print(f"  seed {r.seed:3d}: {'stopped' if r.stopped else 'limit  '} after {r.epochs:4d} epochs, "
              f"first cnt_err 0 at {r.first_zero}, final cnt_err {r.cnt_err[-1]}, "
              f"{r.seconds:7.1f}s ({r.ms_per_trial:.1f} ms/trial, CPU {r.cpu_ms_per_trial:.1f})", flush=True)
    results = []
    if jobs <= 1:
        for s in seeds:
            results.append(train(project, s, epochs, **build_kwargs))
            report(results[-1])
    else:
        with ProcessPoolExecutor(jobs) as pool:
            futures = [pool.submit(train, project, s, epochs, **build_kwargs) for s in seeds]
            for f in futures:
                results.append(f.result())
                report(results[-1])
    return results


def summary(label: str, results: list[SeedResult]) -> str:
    """One line: how many seeds reached the criterion, epochs to it (median, range), time."""
    done = [r.epochs for r in results if r.stopped]
    line = f"{label}: {len(done)}/{len(results)} seeds reached the criterion"
    if done:
        line += f", epochs median {statistics.median(done):g} (range {min(done)}-{max(done)})"
    line += (f", final cnt_err median {statistics.median(r.cnt_err[-1] for r in results):g}"
             f", {statistics.median(r.ms_per_trial for r in results):.1f} ms/trial, "
             f"wall {sum(r.seconds for r in results):.0f}s")
    return line


def plot_curves(panels: dict[str, list[SeedResult]], path: Path, title: str,
                column: str = "cnt_err") -> None:
    """Learning curves, one panel per entry of ``panels``, one line per seed; needs matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: no figure written ({path}); pip install matplotlib")
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (label, results) in zip(axes[0], panels.items()):
        for r in results:
            ax.plot(np.arange(1, r.epochs + 1), getattr(r, column), lw=1, alpha=0.8)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(column)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    fig.savefig(tmp, dpi=120)
    tmp.replace(path)             # never leave a half-written figure looking complete
    plt.close(fig)
    print(f"wrote {path}")


def arguments(description: str, seeds: int, out: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seeds", type=int, default=seeds, help=f"number of seeds (default {seeds})")
    p.add_argument("--first-seed", type=int, default=0, help="seeds are FIRST..FIRST+N-1 (default 0)")
    p.add_argument("--epochs", type=int, default=None, help="epoch limit (default: the project's plan)")
    p.add_argument("--jobs", type=int, default=1, help="processes in parallel (default 1)")
    p.add_argument("-o", "--out", type=Path, default=Path(out), help=f"figure path (default {out})")
    args = p.parse_args()
    args.seed_list = list(range(args.first_seed, args.first_seed + args.seeds))
    return args


def reproduce(project: str, title: str, doc: str, seeds: int, out: str) -> list[SeedResult]:
    """The whole script of a one-panel reproduction: arguments, seeds, summary, figure."""
    args = arguments(doc, seeds=seeds, out=out)
    print(f"{project} ({title}), native core")
    results = train_seeds(project, args.seed_list, args.jobs, args.epochs)
    print(summary(project, results))
    plot_curves({project: results}, args.out, f"{title}: errors per epoch")
    return results
