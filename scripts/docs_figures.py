#!/usr/bin/env python
"""Make the analysis figures of docs/analysis.md from real runs (about two minutes on 2 cores).

    python scripts/docs_figures.py --reference PATH/TO/emergent/runs/stdassoc [--work DIR] [--out docs]

1. RandomAssoc, 5 seeds x 3 values of lay_inhib.gi: a job folder made as `submit --sweep
   'lay_inhib.gi=1.6,1.8,2.0' --seeds 5` makes it, its runs run here one after the other (the job
   script's payload, without SLURM); then `collect -o` and the seeds / sweep figures.
2. The stdassoc reference run: emergent's 5-epoch logs imported, the same project run natively
   from emergent's initial weights, overlaid (trial sse, atol 0, rtol 1e-5, as docs/emergent.md).
3. Family trees (projects/Hinton1986_1), seed 0 trained to its criterion: AgentCode minus-phase
   activity per person (mean over the person's questions), cluster plot + similarity + PCA.
4. A RandomAssoc trial's activations (minus / plus) and its Input->Hidden receptive fields.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> None:
    cmd = [sys.executable, "-m", "emergent_py", *args]
    print("+ emergent-py " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def sweep(work: Path, out: Path) -> None:
    from emergent_py.hpc.jobfolder import create_job
    from emergent_py.hpc.profile import load_profile
    from emergent_py.hpc.request import Resources
    from emergent_py.hpc.sweep import expand, parse_seeds, parse_sweep
    from emergent_py.spec import load_model
    model = load_model(REPO / "projects" / "RandomAssoc")
    folder = work / "ra_sweep"
    if not (folder / "manifest.json").exists():
        job = create_job(folder, model, load_profile("local"), Resources(time="30"),
                         expand([parse_sweep("lay_inhib.gi=1.6,1.8,2.0")], parse_seeds("5", model.plan.seed)))
        for r in job.runs:
            d = job.run_dir(r["index"])
            rc = subprocess.run([sys.executable, "-m", "emergent_py", "run", str(d / "model.json"), "-o",
                                 str(d / "run.h5"), "-q", "--record", "epoch"], cwd=REPO).returncode
            (d / "exit_code").write_text(f"{rc}\n")
    run("collect", str(folder), "-o", str(work / "ra_sweep.csv"))
    run("plot", str(folder), "--band", "ci95", "-o", str(out / "analysis-randomassoc-seeds.png"))
    run("plot", str(folder), "--kind", "sweep", "-o", str(out / "analysis-randomassoc-sweep.png"))


def overlay(reference: Path, work: Path, out: Path) -> None:
    em, nat = work / "stdassoc_emergent.h5", work / "stdassoc_native.h5"
    run("import", str(reference / "LeabraStd_e5.epc.dat"), "--trial", str(reference / "LeabraStd_e5.trl.dat"),
        "--wts", str(reference / "LeabraStd_e5_bin.00_0005.wts.gz"), "--emergent-version", "8.6.1",
        "-o", str(em), "--force")
    run("run", str(reference / "LeabraStd.proj"), "--weights", str(reference / "LeabraStd_init_bin.00_0000.wts.gz"),
        "--epochs", "5", "-q", "-o", str(nat), "--overwrite")
    run("plot", str(nat), str(em), "--kind", "overlay", "--metric", "sse", "--atol", "0", "--rtol", "1e-5",
        "-o", str(out / "analysis-stdassoc-overlay.png"))


def family_trees(work: Path, out: Path) -> None:
    sys.path.insert(0, str(REPO / "projects" / "Hinton1986_1"))
    import model as ft                                            # the project's people and trees
    from emergent_py.results import representation as rep
    path = work / "family_trees.h5"
    if not path.exists():
        run("run", "projects/Hinton1986_1", "--seed", "0", "-q", "--record", "epoch", "-o", str(path))
    net, where = rep.network_from_run(path)
    names, x = rep.layer_responses(net, "AgentCode")
    people, codes = rep.group_means(names, x, lambda n: n.split("_")[0])
    english = set(ft.ENGLISH.people)
    rep.representation_figure(
        people, codes, out / "analysis-family-trees-clusters.png", colors=["C0" if p in english else "C1" for p in people],
        legend={"C0": "English", "C1": "Italian"},
        title=f"Family trees (Hinton 1986), seed 0, {where}: AgentCode minus-phase activity per person "
              "(mean over the person's questions)")
    print(f"wrote {out / 'analysis-family-trees-clusters.png'}")


def network_pictures(work: Path, out: Path) -> None:
    path = work / "ra_trial.h5"
    run("run", "projects/RandomAssoc", "-q", "--epochs", "10", "--record", "trial:Input,Hidden,Output",
        "--snapshot-every", "5", "-o", str(path), "--overwrite")
    run("plot", str(path), "--kind", "activations", "--trial", "3", "-o", str(out / "analysis-randomassoc-activations.png"))
    run("plot", str(path), "--kind", "weights", "--projection", "Input->Hidden",
        "-o", str(out / "analysis-randomassoc-weights.png"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", type=Path, required=True, help="emergent's stdassoc run folder (no default)")
    p.add_argument("--work", type=Path, default=Path("out/docs_figures"), help="run files; default out/docs_figures")
    p.add_argument("--out", type=Path, default=REPO / "docs", help="figure folder; default docs/")
    a = p.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    a.out.mkdir(parents=True, exist_ok=True)
    work = a.work.resolve()
    sweep(work, a.out.resolve())
    overlay(a.reference.resolve(), work, a.out.resolve())
    family_trees(work, a.out.resolve())
    network_pictures(work, a.out.resolve())


if __name__ == "__main__":
    main()
