"""Threads inside one network: how many a run asks for, how many it uses, and where they may run.

The C kernel (kernel.c) splits every cycle's work and the learning over a persistent pool of
threads such that every value is computed as one thread computes it (receivers split across
threads, each walking the senders in order): the results are bit for bit those of one thread.
This module holds the Python side's rules:

- :func:`parse_threads`: ``--threads N`` / ``Network(threads=N)``: a positive integer or ``auto``,
  the cores this task may use (:func:`auto_threads`).
- :func:`effective_threads`: fewer threads where the network is too small for them to pay (the
  barriers between a cycle's steps cost more than the split work saves); the reason is kept.
- :func:`binding`: the CPUs the process may run on and the launcher's binding settings, for the
  run file's provenance.
"""
from __future__ import annotations

import os

from ..errors import BackendError

#: a thread pays for its waits (4 per cycle, about a microsecond each) only with enough
#: synapses to send into; below this many synapses per thread the network runs on fewer threads.
#: Measured with ``emergent-py bench --threads 1,2 --force-threads`` (docs/core.md): 2 threads
#: gave 1.06x at 35,000 synapses per thread (MEDIUM), 1.13x at 50,000, 1.38x at 140,000.
#: $MIN_SYNAPSES_ENV overrides it (0: every thread asked for, however small the network)
MIN_SYNAPSES_PER_THREAD = 50_000
MIN_SYNAPSES_ENV = "EMERGENT_PY_MIN_SYNAPSES_PER_THREAD"

#: environment variables that say how the launcher placed this task (recorded in provenance)
BINDING_ENV = ("SLURM_CPUS_PER_TASK", "SLURM_CPU_BIND", "SLURM_CPU_BIND_TYPE", "SLURM_CPU_BIND_LIST",
               "OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES", "OMPI_MCA_hwloc_base_binding_policy")


def affinity_cpus() -> list[int] | None:
    """The CPUs this process may run on (Linux), None where the platform does not say."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def auto_threads() -> int:
    """The cores this task was given: SLURM's ``--cpus-per-task`` (SLURM_CPUS_PER_TASK) inside a
    job step, else the CPUs the process may run on (its affinity mask), else os.cpu_count()."""
    slurm = os.environ.get("SLURM_CPUS_PER_TASK", "").strip()
    if slurm.isdigit() and int(slurm) > 0:
        return int(slurm)
    cpus = affinity_cpus()
    if cpus:
        return len(cpus)
    return os.cpu_count() or 1


def parse_threads(value, where: str = "threads") -> int:
    """A thread count from ``value``: a positive integer, or ``"auto"`` (:func:`auto_threads`)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "auto":
            return auto_threads()
        if not text.isdigit():
            raise BackendError(f"{where} {value!r}: give a number of threads (1, 2, ...) or 'auto' "
                               f"(the cores SLURM gave the task, or the CPUs this process may use)")
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BackendError(f"{where} {value!r}: must be a positive integer or 'auto'")
    return value


def effective_threads(requested: int, n_synapses: int, min_per_thread: int | None = None) -> tuple[int, str]:
    """``(threads, note)``: the threads a network of ``n_synapses`` synapses runs on when
    ``requested`` are asked for, and why fewer (empty note when all are used)."""
    per = min_per_thread
    if per is None:
        env = os.environ.get(MIN_SYNAPSES_ENV, "").strip()
        if env and not env.isdigit():
            raise BackendError(f"${MIN_SYNAPSES_ENV}={env!r}: must be a whole number of synapses (0: no limit)")
        per = int(env) if env else MIN_SYNAPSES_PER_THREAD
    if requested <= 1:
        return 1, ""
    fit = requested if per <= 0 else max(1, min(requested, n_synapses // per))
    if fit == requested:
        return requested, ""
    return fit, (f"{requested} threads requested, {fit} used: {n_synapses} synapses are too few to "
                 f"split further (at least {per} per thread pay for a thread's barriers)")


def cpu_list(cpus: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2,5"`` (the form taskset and SLURM print)."""
    out, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


def binding() -> dict[str, object]:
    """Where this process's threads may run: ``cpu_affinity`` (CPU list), ``cpu_affinity_count``,
    and the launcher's binding variables that are set (``env_OMP_PROC_BIND``, ...)."""
    info: dict[str, object] = {}
    cpus = affinity_cpus()
    if cpus is not None:
        info["cpu_affinity"] = cpu_list(cpus)
        info["cpu_affinity_count"] = len(cpus)
    for var in BINDING_ENV:
        if os.environ.get(var):
            info[f"env_{var}"] = os.environ[var]
    return info
