"""MPI data-parallel training with emergent 8.x's "dmem" semantics (emergent-formats.md 4.5).

N ranks each hold a full copy of the network. Each epoch's trial order is drawn from the run's
seed, identically on every rank (the ranks draw from the same RNG stream); the epoch is rounded up
to a multiple of N (the extra positions wrap around to the start of the order, so some patterns
run twice, as in emergent) and rank r runs positions r, r+N, r+2N, ... Before every weight update
the ranks sum their weight changes with one ``Allreduce`` of one flat buffer (all projections) and
then apply the same update. On-line learning cannot be distributed: the update becomes
small_batch with ``small_batch_n // N`` trials per rank (``small_batch_n`` in total); batch sums
once per epoch. Epoch statistics come from every rank's trial rows (allgathered), so the epoch
log, the stop criterion and the progress are global. After every epoch the ranks compare a CRC
of their weights; a difference stops the run.

Errors: a user error (:class:`EmergentPyError`, OSError) raised inside an :func:`agreed` block,
the set-up before training, is shared by one small allgather, so rank 0 prints it once and every
rank exits 2 without MPI_Abort. Any other exception, and any exception during training, aborts the
whole job (:meth:`Dmem.abort`), so no rank is left waiting in a collective.

Checkpoints: :meth:`DmemRun.to_checkpoint` (collective) gives rank 0 its own state plus, per other
rank, the state entries that differ from rank 0's; :meth:`DmemRun.from_checkpoint` (collective)
sends every rank its own state back (:func:`rank_checkpoints`).

mpi4py is optional: this module imports it only inside an MPI world of more than one rank
(:func:`world_size_from_env` reads the launcher's environment first), so serial runs never load it.

>>> with ranks() as dmem:                               # doctest: +SKIP
...     run = Run(model) if dmem is None else DmemRun(model, dmem)
...     run.run()
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zlib
from typing import Any, Iterator, Mapping

import numpy as np

from ..errors import RESUME_EXIT, USAGE_EXIT, BackendError, EmergentPyError, FormatError
from ..progress import ProgressStream
from ..spec.model import Model
from ..spec.runplan import RunPlan
from .network import Network
from .record import Record
from .run import Run

#: world-size variables set by MPI launchers for every rank (Open MPI's mpirun, MPICH/PMI-1/2, MVAPICH)
WORLD_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")
#: rank variables that mean "started by an MPI launcher" (PMIX_RANK: Open MPI and ``srun --mpi=pmix``)
WORLD_RANK_VARS = ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK")
#: thread pools limited to one thread per rank unless the user set them (ranks are the parallelism)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------------------------------- world
def world_size_from_env(environ: Mapping[str, str] | None = None) -> int:
    """Number of ranks of the MPI world this process belongs to, from its launcher's environment
    (1 when no MPI launcher started it). Does not import mpi4py.

    ``srun --mpi=pmix`` sets ``PMIX_RANK`` and the step's ``SLURM_STEP_NUM_TASKS``; plain ``srun``
    of several tasks without an MPI plugin would start independent copies that each think they
    are alone, so that is an error rather than N serial runs writing the same file.
    """
    env = os.environ if environ is None else environ
    for var in WORLD_SIZE_VARS:
        if env.get(var, "").isdigit():
            return int(env[var])
    step_tasks = env.get("SLURM_STEP_NUM_TASKS", "")
    if step_tasks.isdigit() and int(step_tasks) > 1:
        if any(v in env for v in WORLD_RANK_VARS):
            return int(step_tasks)
        raise BackendError(f"started by srun as one of {step_tasks} tasks but without MPI "
                           f"(no PMIX_RANK/PMI_RANK in the environment); use `srun --mpi=pmix -n N` "
                           f"or `emergent-py run SPEC --np N`")
    return 1


def launcher_command(n: int, program: list[str], environ: Mapping[str, str] | None = None,
                     threads: int = 1) -> list[str]:
    """The command that starts ``program`` as ``n`` MPI ranks: ``srun --mpi=pmix -n N`` inside a
    SLURM allocation (``SLURM_JOB_ID`` set; Debian's Open MPI supports pmix, not pmi2), else
    ``mpirun -np N`` (with ``--oversubscribe`` when N exceeds this machine's cores).

    With ``threads`` T > 1 (hybrid: N ranks of T threads) every rank gets T cores: srun's
    ``--cpus-per-task=T`` (a step does not inherit the job's), mpirun's ``--map-by slot:PE=T``
    (T cores bound per rank) where N x T cores exist, else ``--bind-to none`` (Open MPI binds a
    rank to one core by default, which would put all its threads on that core)."""
    env = os.environ if environ is None else environ
    if n < 1:
        raise BackendError(f"--np {n}: the number of MPI ranks must be >= 1")
    if env.get("SLURM_JOB_ID"):
        if shutil.which("srun") is None:
            raise BackendError("SLURM_JOB_ID is set but srun is not on PATH; unset SLURM_JOB_ID to use mpirun")
        cpus = [f"--cpus-per-task={threads}"] if threads > 1 else []
        return ["srun", "--mpi=pmix", "-n", str(n), *cpus, *program]
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise BackendError(f"--np {n} needs mpirun (Open MPI: apt-get install openmpi-bin libopenmpi-dev, "
                           f"then pip install mpi4py); or run without --np")
    cmd = [mpirun, "-np", str(n)]
    cores = os.cpu_count() or 1
    if n * max(1, threads) > cores and _is_open_mpi(mpirun):
        cmd.append("--oversubscribe")
    if threads > 1 and _is_open_mpi(mpirun):
        cmd += ["--map-by", f"slot:PE={threads}"] if n * threads <= cores else ["--bind-to", "none"]
    return [*cmd, *program]


def launch_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ranks' environment: one BLAS/OpenMP thread per rank unless set, and Open MPI's
    consent variables when running as root (containers, CI), which mpirun refuses otherwise."""
    env = dict(os.environ if environ is None else environ)
    for var in THREAD_VARS:
        env.setdefault(var, "1")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    return env


def _is_open_mpi(mpirun: str) -> bool:
    try:
        out = subprocess.run([mpirun, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "Open MPI" in out or "OpenRTE" in out


def check_mpi4py() -> None:
    """Raise a BackendError naming the fix when mpi4py is not installed (checked without importing it)."""
    import importlib.util
    if importlib.util.find_spec("mpi4py") is None:
        raise BackendError("MPI runs need mpi4py: pip install mpi4py (or pip install 'ldlc-emergent[mpi]')")


def launch(n: int, program: list[str], environ: Mapping[str, str] | None = None,
           stop_signals: tuple[int, ...] = (), threads: int = 1) -> int:
    """Run ``program`` (argv list) as ``n`` MPI ranks; returns the launcher's exit status (mpirun
    and srun return the ranks' common status, e.g. 2 for an agreed error, 75 for a stop at a
    checkpoint).

    ``stop_signals`` received by this process are passed on to the ranks as SIGUSR1 (mpirun and
    srun forward SIGUSR1 to every rank; a SIGTERM would make mpirun kill the ranks at once).
    Otherwise a SIGTERM is passed on as it is, so the ranks end with this process instead of
    outliving it (signals are handled only when called from the main thread). The launcher's
    stderr is relayed without Open MPI's banners about ranks that exited non-zero on purpose
    (see :func:`_is_exit_banner`)."""
    check_mpi4py()
    cmd = launcher_command(n, program, environ, threads)
    proc = subprocess.Popen(cmd, env=launch_environ(environ), stderr=subprocess.PIPE, text=True,
                            errors="replace")
    passed_as = {signal.SIGTERM: signal.SIGTERM, **{sig: signal.SIGUSR1 for sig in stop_signals}}

    def forward(signum, frame):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(passed_as[signum])
    previous = {}
    if threading.current_thread() is threading.main_thread():     # signal.signal's requirement
        previous = {sig: signal.signal(sig, forward) for sig in passed_as}
    try:
        relay_stderr(proc.stderr, ProgressStream())    # a closed stderr must not kill the ranks
        return proc.wait()
    except KeyboardInterrupt:       # Ctrl-C reached the ranks too (same process group)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


#: Open MPI frames each of its help messages with a line of 74 dashes
_BANNER_RULE = "-" * 74
#: exit statuses our ranks choose together after printing their own message (an agreed error,
#: a stop at a checkpoint); Open MPI's "exited with non-zero status" banners about them are noise
PLANNED_EXITS = (USAGE_EXIT, RESUME_EXIT)


def _is_exit_banner(text: str) -> bool:
    """True for Open MPI's banners about ranks that ended with one of :data:`PLANNED_EXITS`
    (never for MPI_ABORT's banner or one about a rank killed by a signal)."""
    if "Primary job  terminated normally, but" in text:
        return True
    if "exited with non-zero status" in text:
        return any(f"Exit code:    {code}\n" in text for code in PLANNED_EXITS)
    return False


def relay_stderr(stream, out) -> None:
    """Copy the launcher's stderr ``stream`` to ``out`` line by line, leaving out the banners
    :func:`_is_exit_banner` recognises."""
    block: list[str] | None = None
    for line in stream:
        if line.rstrip("\n") == _BANNER_RULE:
            if block is None:
                block = [line]
                continue
            block.append(line)
            if not _is_exit_banner("".join(block)):
                out.writelines(block)
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.write(line)
        out.flush()
    if block:
        out.writelines(block)
        out.flush()


def argv_from_args(args: Any, add_arguments, drop: tuple[str, ...] = ()) -> list[str]:
    """Rebuild a subcommand's argument list from its parsed ``args`` (for relaunching it under
    mpirun): positionals in order, then every option whose value differs from its default,
    except the destinations in ``drop``."""
    import argparse
    parser = argparse.ArgumentParser(add_help=False)
    add_arguments(parser)
    positional: list[str] = []
    options: list[str] = []
    for act in parser._actions:                 # argparse keeps no public list of its actions
        if act.dest in drop or act.dest == argparse.SUPPRESS:
            continue
        value = getattr(args, act.dest, act.default)
        if not act.option_strings:
            positional.extend(str(v) for v in (value if isinstance(value, list) else [value]))
        elif value != act.default:
            flag = max(act.option_strings, key=len)
            if isinstance(act, argparse._StoreTrueAction) or isinstance(act, argparse._StoreFalseAction):
                options.append(flag)
            elif isinstance(value, list):
                options += [flag, *map(str, value)]
            else:
                options += [flag, str(value)]
    return [*positional, *options]


# ---------------------------------------------------------------------------------------- trials
def rank_positions(order: np.ndarray, rank: int, size: int) -> np.ndarray:
    """Rank ``rank``'s share of an epoch's trial ``order``: the order rounded up to a multiple of
    ``size`` (wrapping around to its start, as emergent does), positions rank, rank+size, ..."""
    n_round = math.ceil(len(order) / size) * size
    return np.resize(np.asarray(order), n_round)[rank::size]


def dmem_plan(plan: RunPlan, size: int) -> RunPlan:
    """The plan each of ``size`` ranks runs: on_line and small_batch become small_batch with
    ``max(1, small_batch_n // size)`` trials per rank (so one update covers ``small_batch_n``
    trials in total when ``size`` divides it); batch stays batch (one sum per epoch)."""
    if size == 1 or plan.wt_update == "batch":
        return plan
    return dataclasses.replace(plan, wt_update="small_batch", small_batch_n=max(1, plan.small_batch_n // size))


def check_distributable(model: Model) -> None:
    """Raise BackendError for a model whose weight update would read per-rank state: weight
    balance with ``wt_bal.act_gain > 0`` uses each rank's own unit averages (act_avg), so the
    ranks' weights would drift apart."""
    for name, p in model.prjn_params.items():
        wb = p.con.wt_bal
        if p.con.learn and wb.on and wb.act_gain > 0:
            raise BackendError(f"projection '{name}': wt_bal.act_gain = {wb.act_gain} makes weight balance "
                               f"depend on each rank's own unit averages, so MPI ranks would diverge; "
                               f"set wt_bal.act_gain = 0 or run without --np")


def weights_checksum(net: Network) -> int:
    """CRC-32 of every projection's weights and the bias weights: equal on all ranks while they
    apply identical updates (bitwise), cheap to compare (about 3 ms for the 2.7 M weights of the
    LARGE benchmark). The linear weights (fwt) are left out: wt is computed from them."""
    crc = 0
    for p in net.prjn_list:
        crc = zlib.crc32(np.ascontiguousarray(p.wt), crc)
    return zlib.crc32(np.ascontiguousarray(net.units["bias_wt"]), crc)


def _digest(data: np.ndarray | str) -> bytes:
    """SHA-256 of an array's bytes (with its dtype and shape) or of a string: equal digests mean
    equal contents (about 8 ms for 11 MB)."""
    h = hashlib.sha256()
    if isinstance(data, str):
        h.update(data.encode())
    else:
        arr = np.ascontiguousarray(data)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(memoryview(arr).cast("B"))
    return h.digest()


def rank_checkpoints(ck: Mapping[str, Any], size: int, where: str = "checkpoint") -> list[dict]:
    """Each rank's own ``{"arrays", "json"}`` state from a run file checkpoint of a ``size``-rank
    run (a serial checkpoint is one of a 1-rank run). An MPI checkpoint (:meth:`DmemRun.to_checkpoint`)
    holds rank 0's state plus ``mpi_size`` and ``ranks/<r>``: the entries in which rank r differs.

    Raises
    ------
    BackendError
        when the checkpoint was written by a run of another number of ranks: the ranks' unit
        state and trial split depend on N, so it can only continue on as many ranks.
    FormatError
        when a rank's entry is missing.
    """
    n = int(ck.get("mpi_size", 1))
    if n != size:
        how = "without --np" if n == 1 else f"with --np {n}"
        raise BackendError(f"--resume: {where} holds the checkpoint of a run on {n} MPI rank(s), but this run "
                           f"has {size}; each rank's unit state and share of the trials depend on the number "
                           f"of ranks, so continue it {how}")
    base = {"arrays": ck["arrays"], "json": ck["json"]}
    out = [base]
    for r in range(1, size):
        own = ck.get("ranks", {}).get(str(r))
        if own is None:
            raise FormatError(f"{where}: the checkpoint of a {size}-rank run lacks ranks/{r}; the file is damaged")
        out.append({"arrays": {**ck["arrays"], **own.get("arrays", {})}, "json": own.get("json", ck["json"])})
    return out


# ---------------------------------------------------------------------------------------- MPI side
class Dmem:
    """One rank's view of the MPI world: communicator, the flat dwt buffer and communication time.

    Attributes
    ----------
    rank, size : this rank and the number of ranks
    allreduce_s : seconds spent in the dwt Allreduce (including waiting for slower ranks)
    n_allreduce : number of dwt Allreduce calls
    gather_s : seconds spent gathering epoch rows and comparing checksums
    """

    def __init__(self, comm) -> None:
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.allreduce_s = 0.0
        self.n_allreduce = 0
        self.gather_s = 0.0
        self._buf: np.ndarray | None = None

    @classmethod
    def world(cls) -> "Dmem":
        from mpi4py import MPI
        return cls(MPI.COMM_WORLD)

    def sum_dwts(self, net: Network) -> None:
        """Replace every projection's dwt by its sum over all ranks: one in-place Allreduce of one
        flat buffer of the network's dtype (float32 by default)."""
        from mpi4py import MPI
        self._buf = net.dwt_flat             # the projections' dwt live there: no copies
        net.collect_dwts(self._buf)
        t = time.perf_counter()
        self.comm.Allreduce(MPI.IN_PLACE, self._buf, op=MPI.SUM)
        self.allreduce_s += time.perf_counter() - t
        self.n_allreduce += 1
        net.set_dwts(self._buf)

    def summary(self, elapsed_s: float) -> str:
        """One line on the communication of a run that took ``elapsed_s`` seconds."""
        n = 0 if self._buf is None else self._buf.size
        share = 100 * self.allreduce_s / elapsed_s if elapsed_s > 0 else 0.0
        return (f"dmem: {self.size} ranks, {self.n_allreduce} weight-change Allreduce of {n} values: "
                f"{self.allreduce_s:.3f} s ({share:.1f}% of {elapsed_s:.2f} s, waiting for slower ranks included)")

    def allgather(self, value: Any) -> list:
        t = time.perf_counter()
        out = self.comm.allgather(value)
        self.gather_s += time.perf_counter() - t
        return out

    def max_each(self, *values: int) -> tuple[int, ...]:
        """The largest of every rank's ``values``, element by element (one small Allreduce), the
        same on every rank."""
        from mpi4py import MPI
        buf = np.array([int(v) for v in values], dtype=np.int64)
        self.comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.MAX)
        return tuple(int(v) for v in buf)

    def agree(self, error: BaseException | None) -> None:
        """Share this rank's set-up error (or None) with every rank; if any rank had one, raise
        :class:`_Agreed` on every rank, carrying the error rank 0 is to print: its own, or the
        first failing rank's message as a BackendError naming that rank."""
        messages = self.allgather(None if error is None else str(error))
        failed = [r for r, m in enumerate(messages) if m is not None]
        if not failed:
            return
        if self.rank == 0 and error is not None:
            raise _Agreed(error)
        r = failed[0]
        raise _Agreed(BackendError(f"rank {r} of {self.size}: {messages[r]}"))

    def check_weights(self, net: Network, epoch: int) -> None:
        """Compare the weights' checksum across ranks; raise BackendError if any rank differs."""
        sums = self.allgather(weights_checksum(net))
        if len(set(sums)) > 1:
            detail = ", ".join(f"rank {r}: {s:08x}" for r, s in enumerate(sums))
            raise BackendError(f"after epoch {epoch} the ranks' weights differ ({detail}); every rank must "
                               f"apply the same summed update, so some rank diverged (a rank-dependent "
                               f"observer or parameter?); the run is stopped")

    def abort(self, exc: BaseException) -> None:
        """Print ``exc`` with this rank's number and end the whole job (all ranks) non-zero."""
        code = 2 if isinstance(exc, EmergentPyError) else 130 if isinstance(exc, KeyboardInterrupt) else 1
        what = str(exc) if isinstance(exc, EmergentPyError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, (EmergentPyError, KeyboardInterrupt)):
            import traceback
            traceback.print_exception(exc, file=sys.__stderr__)
        print(f"emergent-py: rank {self.rank} of {self.size}: error: {what}; aborting all ranks",
              file=sys.__stderr__, flush=True)
        self.comm.Abort(code)


class _Agreed(Exception):
    """A set-up error every rank knows about (:meth:`Dmem.agree`): rank 0 raises ``error`` (the
    command line prints it as one line), the other ranks exit 2 silently; no MPI_Abort."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


@contextlib.contextmanager
def agreed(dmem: Dmem | None) -> Iterator[None]:
    """Run a block that every rank runs before training (argument checks, loading the spec, the
    checks of the output file on rank 0) so that its user errors (EmergentPyError, OSError) end
    the job cleanly: the ranks compare notes at the end of the block (one allgather), then rank 0
    prints one line and every rank exits 2. Other exceptions still abort the job. A collective
    call inside the block must come before anything in it can raise on one rank only (else the
    other ranks would wait in it). Without MPI (``dmem`` None) it does nothing."""
    if dmem is None:
        yield
        return
    error = None
    try:
        yield
    except (EmergentPyError, OSError) as e:
        error = e
    dmem.agree(error)


@contextlib.contextmanager
def ranks(environ: Mapping[str, str] | None = None) -> Iterator[Dmem | None]:
    """Yield a :class:`Dmem` inside an MPI world of more than one rank, else None (mpi4py is not
    imported). Inside the world, ranks other than 0 print nothing to stdout/stderr (as emergent).
    A set-up error shared by :func:`agreed` leaves as rank 0's error (one line from the command
    line) and as ``SystemExit(2)`` elsewhere; any other exception on any rank aborts every rank
    (no hang in a collective)."""
    if world_size_from_env(environ) <= 1:
        yield None
        return
    check_mpi4py()
    dmem = Dmem.world()
    saved = sys.stdout, sys.stderr
    quiet = None
    if dmem.rank != 0:
        quiet = open(os.devnull, "w")
        sys.stdout = sys.stderr = quiet
    try:
        yield dmem
    except _Agreed as e:                # every rank knows: one line from rank 0, exit 2 everywhere
        if dmem.rank == 0:
            raise e.error from None
        raise SystemExit(2) from None
    except BaseException as e:          # including KeyboardInterrupt: never leave ranks waiting
        if not (isinstance(e, SystemExit) and not e.code):
            dmem.abort(e)
        raise
    finally:
        sys.stdout, sys.stderr = saved
        if quiet is not None:
            quiet.close()


# ---------------------------------------------------------------------------------------- run
#: MPI tag of the checkpoint arrays rank r > 0 sends to rank 0
_CHECKPOINT_TAG = 75


class DmemNetwork(Network):
    """A :class:`Network` whose weight update first sums the weight changes over all ranks."""

    def __init__(self, model: Model, dmem: Dmem, **kwargs) -> None:
        self.dmem = dmem
        super().__init__(model, **kwargs)

    def compute_weights(self) -> None:
        self.dmem.sum_dwts(self)
        super().compute_weights()


class DmemRun(Run):
    """A :class:`Run` as one of ``dmem.size`` ranks (see the module docstring).

    Every rank must construct it with the same arguments. The initial weights depend on the seed
    only (every rank draws them from the same stream as a serial run). ``log.trials``,
    ``epoch_rows`` and the observer's ``on_trial`` calls carry every rank's trial rows of an epoch
    (``trial`` = position in the rounded-up epoch, ``rank`` = the rank that ran it), delivered
    together at the end of the epoch's trials, before ``on_epoch`` gets the global epoch row;
    ``on_cycle`` sees this rank's cycles.
    :meth:`to_checkpoint` and :meth:`from_checkpoint` are collective: every rank calls them.
    """

    def __init__(self, model: Model, dmem: Dmem, seed: int | None = None, weights: dict | None = None,
                 dtype=np.float32, observer: Any = None, record: str | Record = "trial",
                 threads: int | str = 1) -> None:
        check_distributable(model)
        net = DmemNetwork(model, dmem, seed=seed, weights=weights, dtype=dtype, threads=threads)
        super().__init__(model, observer=observer, record=record, net=net)
        self.dmem = dmem
        self.plan = dmem_plan(model.plan, dmem.size)

    def _notify(self, hook: str, row: dict) -> None:
        if hook != "on_trial":              # trial rows go out once gathered (_gather_epoch_rows)
            super()._notify(hook, row)

    def _new_order(self) -> np.ndarray:
        return rank_positions(super()._new_order(), self.dmem.rank, self.dmem.size)

    def trial(self) -> dict:
        row = super().trial()
        if self.trial_pos == len(self.order):       # this rank's last trial of the epoch
            self._gather_epoch_rows()
        return row

    def _gather_epoch_rows(self) -> None:
        """Replace this rank's epoch rows by every rank's, in epoch position order, each with the
        ``rank`` that ran it (emergent writes a trial log per rank instead)."""
        local = self.epoch_rows
        per_rank = self.dmem.allgather(local)
        merged = []
        for k in range(len(local)):
            for r, rows in enumerate(per_rank):
                merged.append({**rows[k], "trial": k * self.dmem.size + r, "rank": r})
        self.epoch_rows = merged
        if self.record in ("trial", "cycle"):
            del self.log.trials[len(self.log.trials) - len(local):]
            self.log.trials.extend(merged)
        for row in merged:
            super()._notify("on_trial", row)

    def epoch(self) -> dict:
        row = super().epoch()
        self.dmem.check_weights(self.net, row["epoch"])
        return row

    # ------------------------------------------------------------------ checkpoint (collective)
    def to_checkpoint(self) -> dict | None:
        """Collective (every rank calls it at the same point, e.g. at each epoch's end): rank 0
        gets the run's checkpoint, the other ranks None. It holds rank 0's state (``arrays``,
        ``json``, as a serial run's), ``mpi_size``, and for every other rank r ``ranks/<r>`` with
        the state entries in which rank r differs from rank 0 (unit and layer averages, pending
        dwt, ...; the weights are the same everywhere). Ranks compare SHA-256 digests first, so
        only differing entries travel."""
        own = super().to_checkpoint()
        entries = {**own["arrays"], "json": own["json"]}
        digests = {k: _digest(v) for k, v in entries.items()}
        comm, rank = self.dmem.comm, self.dmem.rank
        t = time.perf_counter()
        ref = comm.bcast(digests if rank == 0 else None, root=0)
        differ = [k for k in entries if digests[k] != ref.get(k)]
        # what differs, as (name, dtype, shape) + the JSON part; the arrays follow as raw buffers
        # (a pickled gather of LARGE's 33 MB took 99 ms on 2 ranks, raw Send/Recv a fraction)
        meta = None if rank == 0 else {
            "arrays": [(k, own["arrays"][k].dtype.str, own["arrays"][k].shape) for k in differ if k != "json"],
            "json": own["json"] if "json" in differ else None}
        metas = comm.gather(meta, root=0)
        if rank != 0:
            for name, _, _ in meta["arrays"]:
                comm.Send(np.ascontiguousarray(own["arrays"][name]), dest=0, tag=_CHECKPOINT_TAG)
            self.dmem.gather_s += time.perf_counter() - t
            return None
        ranks = {}
        for r in range(1, self.dmem.size):
            arrays = {}
            for name, dtype, shape in metas[r]["arrays"]:
                arrays[name] = np.empty(shape, dtype=dtype)
                comm.Recv(arrays[name], source=r, tag=_CHECKPOINT_TAG)
            ranks[str(r)] = {"arrays": arrays} if metas[r]["json"] is None else {"arrays": arrays, "json": metas[r]["json"]}
        self.dmem.gather_s += time.perf_counter() - t
        return {**own, "mpi_size": self.dmem.size, "ranks": ranks}

    def from_checkpoint(self, ck: dict | None) -> None:
        """Collective: rank 0 passes the checkpoint read from the run file (the other ranks'
        ``ck`` is ignored) and sends every rank its own state (:func:`rank_checkpoints`); an
        unusable checkpoint raises the same error on every rank."""
        parts = None
        if self.dmem.rank == 0:
            try:
                parts = rank_checkpoints(ck, self.dmem.size)
            except EmergentPyError as e:
                parts = [e] * self.dmem.size
        own = self.dmem.comm.scatter(parts, root=0)
        if isinstance(own, BaseException):
            raise own
        super().from_checkpoint(own)
