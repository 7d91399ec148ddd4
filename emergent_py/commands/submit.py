"""emergent-py submit SPEC --cluster NAME ...: write a job folder and submit it with sbatch."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import warnings
from pathlib import Path

from ..errors import SubmitError
from ..hpc.interpreter import check_python
from ..hpc.packing import cost, plan as plan_packing
from ..hpc.jobfolder import SCRIPT, create_job, default_folder, submit_job
from ..hpc.profile import available_profiles, load_profile
from ..hpc.request import ENGINES, Resources, check_request, parse_extra
from ..hpc.sweep import expand, parse_seeds, parse_sweep, shadowed
from ..spec import load_model
from ._proj_inputs import add_input_arguments

NAME = "submit"
ORDER = 40
HELP = "run a model (or a sweep of it) as a SLURM job on a cluster"
DESCRIPTION = HELP + """.

Writes a job folder (model JSON per run, the rendered batch script job.sh, manifest.json) and
submits it with `sbatch --parsable`. Sweeps and seeds become one job array (one TACC launcher job
on sites without arrays). The request is checked against the cluster's profile first: too long,
too many nodes or tasks, a missing or forbidden directive -> error, nothing written.

  emergent-py submit projects/RandomAssoc --cluster expanse -p shared -N 1 -n 4 -t 02:00:00 \\
      -A abc123 --sweep 'lay_inhib.gi=1.6,1.8,2.0' --seeds 5 --throttle 8

Clusters are TOML profiles (emergent_py/hpc/profiles, ~/.config/emergent_py/clusters,
$EMERGENT_PY_CLUSTERS); see docs/hpc.md.

With --nsg instead of --cluster the runs go to the Neuroscience Gateway through NSG-R, packed
onto -n cores of one node (credentials in ~/.nsgrest.conf; see docs/nsg.md):

  emergent-py submit projects/RandomAssoc --nsg -n 4 -t 01:00:00 --seeds 4"""


def add_arguments(p) -> None:
    p.add_argument("spec", metavar="SPEC", help="model file, project folder or model .json")
    p.add_argument("--cluster", metavar="NAME",
                   help="cluster profile name or a .toml path (known: "
                        + ", ".join(sorted(available_profiles())) + "); required unless --nsg")
    p.add_argument("--nsg", action="store_true",
                   help="run on the Neuroscience Gateway through NSG-R instead of a SLURM cluster (docs/nsg.md)")
    p.add_argument("--tool", metavar="ID", help="with --nsg: the NSG tool (default PY_EXPANSE)")
    p.add_argument("-p", "--partition", help="partition (queue); default: the profile's")
    p.add_argument("-N", "--nodes", type=int, default=1, help="nodes per job (array task)")
    p.add_argument("-n", "--ntasks", type=int, help="tasks per job (array task); with --nsg: cores, the runs "
                                                     "packed onto them; default 1")
    p.add_argument("-t", "--time", default="01:00:00", help="wall time [D-]HH:MM:SS or minutes")
    p.add_argument("-A", "--account", help="allocation / project to charge")
    p.add_argument("--mem", help="--mem for sbatch (not on TACC)")
    p.add_argument("--gres", help="--gres for sbatch (not on TACC)")
    p.add_argument("--sbatch", action="append", metavar="NAME=VALUE",
                   help="another sbatch directive, e.g. mail-type=END (repeatable)")
    p.add_argument("--engine", choices=ENGINES, default="native", help="native core or emergent")
    p.add_argument("--np", type=int, default=1, help="MPI ranks per run (launched with the site's launcher)")
    p.add_argument("--threads", type=int, default=1, metavar="T",
                   help="threads inside each task (run --threads T; --cpus-per-task=T, the profile's hybrid "
                        "launcher flags and OMP_NUM_THREADS); -n tasks x T must fit each node; default 1")
    p.add_argument("--sweep", action="append", metavar="[SEL:]PATH=V1,V2",
                   help="sweep a parameter, e.g. 'lay_inhib.gi=1.6,1.8', '#Output:lay_inhib.gi=1.4:2.0:0.2' "
                        "(a range START:STOP:STEP, STOP included) or a build() argument 'build:n_hidden=25,49'; "
                        "repeatable (the product of all). A value applies at its selector's priority: "
                        "layers the model sets more specifically keep theirs (with a warning); default none")
    p.add_argument("--sweep-override", action="store_true",
                   help="swept values win over the model's more specific entries too (default: they "
                        "apply at their selector's priority)")
    p.add_argument("--seeds", metavar="N|S1,S2", help="N seeds from the model's seed up, or a list")
    p.add_argument("--throttle", type=int, metavar="K", help="at most K array tasks at once (%%K)")
    p.add_argument("--signal", type=int, default=120, metavar="S",
                   help="seconds before the time limit the run is told to checkpoint (default 120)")
    p.add_argument("-J", "--job-name", help="job name (default: the model's name)")
    p.add_argument("-o", "--folder", "--out-dir", dest="folder", metavar="FOLDER",
                   help="job folder to write (a folder, not a file; default jobs/<model>-<UTC time>)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the -o job folder if it holds a job that was never submitted (a --dry-run's); "
                        "default: refuse a folder that is not empty")
    p.add_argument("--python", metavar="PATH",
                   help="interpreter of the jobs, with emergent_py installed (default: the profile's, e.g. "
                        "$WORK/emergent_py-venv/bin/python on stampede3; the local profile: this one); "
                        "checked before submitting (docs/hpc.md, 'Installing on a cluster')")
    p.add_argument("--payload", metavar="CMD",
                   help="run command with {python} {model} {output} {run_dir} {resume} placeholders ({resume}: "
                        "--resume, --overwrite or nothing, as the run file says) "
                        "(default: the engine's `python -m emergent_py run {model} -o {output}`)")
    p.add_argument("--no-checkpoint", action="store_true",
                   help="the --payload cannot checkpoint: no warning signal, no requeue")
    p.add_argument("--runs-per-node", type=int, metavar="K",
                   help="serial runs side by side on one node where the partition gives whole nodes "
                        "(default: one per core the runs' -n leaves; docs/hpc.md 'Packing')")
    p.add_argument("--dry-run", action="store_true", help="write the job folder, print the script, submit nothing")
    add_input_arguments(p, "SPEC an emergent .proj: its DataTable NAME holds the patterns (default: the "
                           "table its programs select)")


def run(args) -> int:
    if not args.nsg and args.cluster is None:
        raise SubmitError("give --cluster NAME (a SLURM cluster) or --nsg (the Neuroscience Gateway)")
    if args.tool and not args.nsg:
        raise SubmitError("--tool names an NSG tool: add --nsg")
    if not args.nsg:
        profile = load_profile(args.cluster)
    model = load_model(args.spec, table=args.table, patterns=args.patterns)
    sweeps = [parse_sweep(s, override=args.sweep_override) for s in args.sweep or ()]
    for shadow in shadowed(model, sweeps):       # said before anything is written
        warnings.warn(shadow.message())
    points = expand(sweeps, parse_seeds(args.seeds, model.plan.seed),
                    build=lambda kwargs: load_model(args.spec, build_kwargs=kwargs, table=args.table,
                                                   patterns=args.patterns))
    if args.nsg:
        from . import _nsg
        return _nsg.submit(args, model, points)
    res = Resources(partition=args.partition, nodes=args.nodes, ntasks=args.ntasks, time=args.time,
                    account=args.account, mem=args.mem, gres=args.gres, np=args.np,
                    throttle=args.throttle, signal_s=args.signal, extra=parse_extra(args.sbatch),
                    threads=args.threads)
    # the request first (create_job checks it again, with the warning signal it decides on)
    check_request(profile, dataclasses.replace(res, signal_s=None), args.job_name or model.name, len(points))
    note = check_python(profile, args.python, args.dry_run)      # before anything is written
    if note:
        print(f"emergent-py {NAME}: {note}", file=sys.stderr)
    packing = plan_packing(profile, res, len(points), args.runs_per_node)
    print(f"emergent-py {NAME}: {cost(profile, res, len(points), packing)}", file=sys.stderr)
    folder = args.folder or default_folder(model)
    with _replacing_unsubmitted(folder, args.overwrite):
        job = create_job(folder, model, profile, res, points,
                         job_name=args.job_name, engine=args.engine, payload=args.payload, python=args.python,
                         checkpoint=False if args.no_checkpoint else None, runs_per_node=args.runs_per_node)
    if args.dry_run:
        sys.stdout.write((job.folder / SCRIPT).read_text())
        print(f"# dry run: wrote {job.folder} ({len(points)} run(s)); submit with: "
              f"cd {job.folder} && sbatch job.sh", file=sys.stderr)
        return 0
    job = submit_job(job)
    print(f"submitted job {job.job_id}: {len(points)} run(s) in {job.folder}")
    return 0


@contextlib.contextmanager
def _replacing_unsubmitted(folder, overwrite: bool):
    """With --overwrite, a folder holding a never-submitted job is moved aside while the new one
    is written, then removed (put back if writing the new one fails). A submitted job's folder
    is never replaced: its runs may still be writing there."""
    folder = Path(folder)
    if not overwrite or not folder.is_dir() or not any(folder.iterdir()):
        yield
        return
    from ..errors import SubmitError
    from ..hpc.jobfolder import load_job
    job = load_job(folder)             # (not a job folder: an error, nothing is removed)
    if job.job_id is not None:
        raise SubmitError(f"-o {folder}: holds job {job.job_id}, already submitted; --overwrite replaces "
                          "only a job that was never submitted (choose another folder)")
    aside = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    folder.rename(aside)
    try:
        yield
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        aside.rename(folder)
        raise
    shutil.rmtree(aside)
