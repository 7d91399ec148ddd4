"""Packing a sweep of small serial runs onto few whole nodes, and what a submission costs.

On partitions that give a job whole nodes (Stampede3, Stampede2, Expanse ``compute``: the
profile's ``exclusive = true``), a job array of serial runs takes one node per run and is
charged for all of them. A packed submission instead runs as many runs side by side on a node
as it has cores for the runs' tasks (``cores_per_node // -n``, or ``--runs-per-node``), in the
way the profile's ``pack`` names:

``launcher``
    one job of ``ceil(runs / per_node)`` nodes (at most the partition's ``max_nodes``) with one
    task slot per run, run by TACC's launcher (``tasks.txt``; ``LAUNCHER_PPN`` = runs per node,
    so ``-n 1`` in the request never makes the launcher run the tasks one after another);
``array``
    a job array of ``ceil(runs / per_node)`` one-node tasks, each running its share of the runs
    side by side (``job.sh --run I`` per run).

:func:`plan` decides, :func:`cost` says what it costs in node-hours (core-hours on shared
partitions), printed before anything is sent.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..errors import SubmitError
from .profile import Profile, parse_time
from .request import Resources


@dataclass(frozen=True)
class Packing:
    """How the runs share nodes: ``per_node`` runs on each of ``nodes`` nodes per job, in
    ``jobs`` jobs (array tasks), the way ``mode`` (``launcher`` or ``array``) names."""
    mode: str
    per_node: int
    nodes: int
    jobs: int
    n_runs: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def plan(profile: Profile, res: Resources, n_runs: int, runs_per_node: int | None = None) -> Packing | None:
    """The packing of ``n_runs`` runs of ``res`` (one node, serial: ``--np 1``) on an exclusive
    partition of a site that packs; None where runs are not packed (one run, a shared partition,
    MPI runs, multi-node runs, a site without ``pack``)."""
    part = profile.partition(res.partition)
    if runs_per_node is not None and runs_per_node < 1:
        raise SubmitError(f"--runs-per-node {runs_per_node}: must be >= 1")
    if n_runs < 2 or profile.pack == "none" or not part.exclusive or res.np != 1 or res.nodes != 1:
        if runs_per_node is not None:
            raise SubmitError(f"--runs-per-node: runs are packed only for a sweep of serial one-node runs "
                              f"(--np 1, -N 1) on a partition that gives whole nodes; partition '{part.name}' "
                              f"of '{profile.name}' {'does' if part.exclusive else 'does not'} "
                              f"(pack = {profile.pack!r})")
        return None
    tasks = res.ntasks or 1
    cores = tasks * max(1, res.threads)          # a run's cores: its tasks of --threads each
    most = part.cores_per_node // cores
    if most < 1:
        raise SubmitError(f"runs of -n {tasks} task(s) x --threads {res.threads} need {cores} cores, more "
                          f"than a {part.cores_per_node}-core node of '{part.name}' has")
    per_node = runs_per_node or most
    if per_node > most:
        raise SubmitError(f"--runs-per-node {per_node}: runs of -n {tasks} task(s) x --threads {res.threads} "
                          f"fit at most {most} to a {part.cores_per_node}-core node of '{part.name}'")
    per_node = min(per_node, n_runs)
    needed = math.ceil(n_runs / per_node)
    if profile.pack == "launcher":
        return Packing("launcher", per_node, min(needed, part.max_nodes), 1, n_runs)
    return Packing("array", per_node, 1, needed, n_runs)


def job_resources(res: Resources, packing: Packing) -> Resources:
    """The request of one packed job (or array task): its nodes, and the runs' tasks on them."""
    return dataclasses.replace(res, nodes=packing.nodes,
                               ntasks=packing.nodes * packing.per_node * (res.ntasks or 1))


def cost(profile: Profile, res: Resources, n_runs: int, packing: Packing | None) -> str:
    """One line: at most how many node-hours (core-hours on a shared partition) the submission
    is charged if every job runs to its time limit, and how the runs are laid out."""
    part = profile.partition(res.partition)
    hours = parse_time(res.time, "-t/--time") / 3600
    if packing is not None:
        layout = (f"1 job of {packing.nodes} node(s), TACC launcher" if packing.mode == "launcher"
                  else f"{packing.jobs} array task(s) of 1 node")
        return (f"cost: at most {packing.jobs * packing.nodes * hours:.4g} node-hours ({n_runs} runs packed "
                f"{packing.per_node} per node: {layout}, -t {res.time})")
    jobs = 1 if n_runs == 1 or profile.sweep == "launcher" else n_runs
    if part.exclusive:
        return (f"cost: at most {jobs * res.nodes * hours:.4g} node-hours ({jobs} job(s) x {res.nodes} whole "
                f"node(s), -t {res.time})")
    return (f"cost: at most {jobs * (res.ntasks or 1) * hours:.4g} core-hours ({jobs} job(s) x "
            f"{res.ntasks or 1} core(s) on shared nodes, -t {res.time})")
