"""emergent-py run SPEC: train a model on the native Leabra core (emergent 8.6 numerics)."""
from __future__ import annotations

import os
import signal
import sys
import time

from ..errors import RESUME_EXIT, SpecError
from ..fileio import file_sha256
from ..leabra import parallel     # imports mpi4py only inside an MPI world of > 1 rank
from ..leabra.record import CYCLE_VARS, parse_record
from ..leabra.run import Run
from ..progress import MAX_PROGRESS_LINES, ProgressStream, default_every, due as progress_due
from ..spec import load_model
from ._proj_inputs import add_input_arguments

NAME = "run"
ORDER = 20
HELP = "train a model on the native Leabra core"
DESCRIPTION = HELP + """.

Runs the model's plan (epochs, stop criterion, trial order, weight-update mode) in float32 as
emergent 8.6 computes it and prints progress lines on stderr (epoch, sse, pct_err, elapsed: every
epoch, or every --progress-every N epochs; by default at most about 100 lines, always the first
and the last epoch) and a summary on stdout. Progress to a closed pipe (`2>&1 | head`)
is dropped and the run goes on; a summary that cannot be written (stdout closed) makes the exit
status 141, never 0. With -o the rows (written and flushed
every epoch), a checkpoint at the end of an epoch once --checkpoint-every seconds have passed
since the last one (and after the last epoch), and the final weights go to an HDF5 run file
(docs/runfile.md); --resume continues a run file from its last checkpoint, bitwise as if it had
not stopped (epochs logged after that checkpoint are run again).

With -o, SIGUSR1 or SIGTERM (a cluster's time-limit warning) stops the run at the checkpoint
after the current epoch, marks the file incomplete and exits with status 75 (EX_TEMPFAIL:
"continue me with --resume"); the signal never interrupts a file write. Under MPI (--np) one
rank receiving it is enough: the ranks agree at each epoch's end and all stop there, and
--resume with the same --np continues the run (docs/mpi.md).

Ctrl-C (SIGINT) stops a run with -o the same way, with exit status 130; a second Ctrl-C gives up
the running epoch (the file keeps its last checkpoint). Under --np, Ctrl-C reaches every process
and ends the job without a new checkpoint: send SIGUSR1 or SIGTERM to stop it at one. --resume refuses another model, --seed or precision than the run file's, naming
what differs.

The core runs its compiled C kernel, built with the system C compiler on first use, or its numpy
steps where no compiler works (a warning says so); EMERGENT_PY_KERNEL=numpy|c chooses
(docs/core.md). The run file's provenance records which one ran."""

STOP_SIGNALS = (signal.SIGUSR1, signal.SIGTERM)
#: exit status of a run stopped by Ctrl-C (SIGINT) at a checkpoint: the shell's 128 + SIGINT
INTERRUPT_EXIT = 130
# Seconds between checkpoints: a checkpoint holds the whole state (88 MB at the LARGE benchmark
# size, ~0.2 s to write, as long as an epoch of it), so not after every epoch by default.
CHECKPOINT_EVERY_S = 60.0


class _StopAtCheckpoint(Exception):
    """Raised after an epoch's checkpoint when a stop signal has arrived (on any rank)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Abandoned(Exception):
    """A second Ctrl-C: the running epoch is given up (the run continues from the last checkpoint)."""


class _StopRequest:
    """Signal handler that only notes the signal; the run acts on it after the next checkpoint
    (raising from a handler could land in any code, e.g. a finalizer that swallows it). A second
    Ctrl-C abandons the running epoch at the next trial (:meth:`check_abandon`); a third one is
    Python's KeyboardInterrupt."""

    def __init__(self) -> None:
        self.signum = 0
        self.abandon = False

    def __call__(self, signum, frame) -> None:
        if signum == signal.SIGINT and self.signum == signal.SIGINT:
            self.abandon = True
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.write(2, b"\nemergent-py run: abandoning this epoch (the run continues from its last "
                        b"checkpoint); Ctrl-C again to quit at once\n")
            return
        if signum == signal.SIGINT:
            os.write(2, b"\nemergent-py run: Ctrl-C: stopping at the checkpoint after this epoch "
                        b"(Ctrl-C again to abandon the epoch)\n")
        self.signum = self.signum or signum

    def check_abandon(self, row=None) -> None:
        if self.abandon:
            raise _Abandoned()


def add_arguments(p) -> None:
    p.add_argument("spec", metavar="SPEC", help="model file, project folder or model .json")
    p.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the plan's)")
    p.add_argument("--seed", type=int, default=None, help="seed of the initial weights and the trial orders (default: the plan's; docs/core.md: with --weights the trial orders stay those of the plain run)")
    p.add_argument("--record", type=_record_arg, default="trial", metavar="LEVEL[:VARS]",
                   help="finest level of rows kept (and written with -o): epoch, trial or cycle; "
                        "default trial. cycle:VARS chooses the cycle rows' variables, e.g. "
                        "cycle:act,v_m,avg_ss or cycle:act,Hidden.v_m (default cycle: "
                        f"{','.join(CYCLE_VARS)}); trial:VARS adds unit variables to each trial row, "
                        "e.g. trial:Hidden.act_m,Output.act_p (columns Hidden_act_m, ... in the "
                        "layer's shape; trial:Hidden adds its act_m and act_p)")
    p.add_argument("-o", "--output", metavar="RUN.h5", default=None, help="write an HDF5 run file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing -o file")
    p.add_argument("--resume", action="store_true", help="continue the -o run file from its checkpoint")
    p.add_argument("--checkpoint-every", type=float, default=CHECKPOINT_EVERY_S, metavar="SECONDS",
                   help="with -o: checkpoint at the first epoch end after SECONDS since the last one "
                        f"(default {CHECKPOINT_EVERY_S:g}; 0: every epoch). A stop signal and the "
                        "last epoch always checkpoint; a crash loses at most this much work")
    p.add_argument("--weights", metavar="WTS", default=None,
                   help="start from these weights instead of drawing them: an emergent weight file "
                        "(.wts or .wts.gz, TEXT or BINARY; e.g. emergent's initial weights, to check "
                        "a run against emergent's own, docs/emergent.md)")
    p.add_argument("--snapshot-every", type=int, default=0, metavar="N",
                   help="with -o: also store the weights after epochs N, 2N, ... and the initial ones "
                        "(after epoch 0), named after the epochs done; default 0: final weights only")
    p.add_argument("--float64", action="store_true", help="float64 state and arithmetic (default float32)")
    p.add_argument("--apply-pending", action="store_true",
                   help="with -o: the final weights written are those after the last trial's pending "
                        "weight change (emergent's Compute_Weights after the run, its *_afterCW "
                        "files); default off: as emergent saves them after an on-line run, without it")
    add_input_arguments(p, "SPEC an emergent .proj: train on its DataTable NAME (default: the table its "
                           "programs select; `emergent-py show` lists the candidates)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.add_argument("--progress-every", type=int, metavar="N", default=None,
                   help="a progress line every N epochs, and for the first and the last one (default: "
                        f"every epoch for runs of up to {MAX_PROGRESS_LINES} epochs, else about "
                        f"{MAX_PROGRESS_LINES} lines in all)")
    p.add_argument("--np", type=int, default=1, metavar="N",
                   help="train on N MPI ranks (emergent's dmem: trials split, weight changes summed; "
                        "docs/mpi.md); starts mpirun, or srun inside a SLURM allocation")
    p.add_argument("--threads", default="1", metavar="T",
                   help="threads inside each network (the C kernel's; bit for bit the results of one "
                        "thread): a number, or 'auto' = the cores SLURM gave the task (--cpus-per-task), "
                        "else the CPUs this process may use; default 1. Small networks run on fewer "
                        "(said on stderr); with --np R: R ranks of T threads (docs/core.md)")


def _check_threads(args) -> None:
    """--threads as a number of threads (args.threads_n); a clear error for anything else."""
    from ..errors import BackendError
    from ..leabra.threads import parse_threads
    try:
        args.threads_n = parse_threads(args.threads, "--threads")
    except BackendError as e:
        raise SpecError(str(e)) from None


def _thread_provenance(net) -> dict:
    """The run file's record of the threads: used, asked for, why fewer."""
    out = {"threads": net.threads, "threads_requested": net.threads_requested}
    if net.threads_note:
        out["threads_note"] = net.threads_note
    return out


def _snapshot(writer, r, weights: tuple | None = None, **attrs) -> None:
    """The run's weights now (or ``weights``), as the snapshot "after epoch N" (N = epochs done)."""
    w, b = weights if weights is not None else r.weights()
    writer.write_weights(r.epoch_n, w, biases=b, attrs={"label": f"after epoch {r.epoch_n}", **attrs})


def _record_arg(text: str) -> str:
    """``--record LEVEL[:VARS]``, checked (argparse reports a bad value); kept as text so that
    an MPI relaunch passes it on unchanged (parse_record parses it again)."""
    import argparse
    from ..errors import EmergentPyError
    try:
        parse_record(text)
    except EmergentPyError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


class _FileObserver:
    """Feeds a run's rows to a RunWriter (checkpoints: see ``after_epoch`` in :func:`_run`)."""

    def __init__(self, writer, record: str, check=None) -> None:
        self.writer, self.record, self.check = writer, record, check

    def on_trial(self, row: dict) -> None:
        if self.check is not None:
            self.check(row)
        if self.record in ("trial", "cycle"):
            self.writer.append_trials([row])

    def on_epoch(self, row: dict) -> None:
        self.writer.append_epoch(row)


def run(args) -> int:
    if args.np < 1:
        raise SpecError(f"--np {args.np}: must be >= 1")
    with parallel.ranks() as dmem:    # None when serial (or launching); ranks > 0 print nothing
        return _run(args, dmem)


def _run(args, dmem) -> int:
    import numpy as np
    dtype = np.float64 if args.float64 else np.float32
    size = 1 if dmem is None else dmem.size
    writes = dmem is None or dmem.rank == 0           # rank 0 alone writes the run file
    stop = _StopRequest()
    if args.output:                # early, so that a warning during the set-up is not fatal either
        for sig in STOP_SIGNALS:
            signal.signal(sig, stop)
        if dmem is None and args.np <= 1:   # Ctrl-C as SIGTERM; under MPI it reaches every process
            signal.signal(signal.SIGINT, stop)
    # Set-up errors are the same on every rank (or rank 0's file checks): under MPI, rank 0 prints
    # one line and every rank exits 2 (parallel.agreed); serially they are ordinary errors.
    with parallel.agreed(dmem):
        _check_threads(args)
        if args.epochs is not None and args.epochs < 1:
            raise SpecError(f"--epochs {args.epochs}: must be >= 1")
        if args.progress_every is not None and args.progress_every < 1:
            raise SpecError(f"--progress-every {args.progress_every}: must be >= 1 (or -q for no progress)")
        if args.seed is not None and args.seed < 0:
            raise SpecError(f"--seed {args.seed}: must be >= 0")
        if args.resume and not args.output:
            raise SpecError("--resume needs -o RUN.h5 (the run file to continue)")
        if args.apply_pending and not args.output:
            raise SpecError("--apply-pending changes the final weights written to -o RUN.h5; pass -o")
        if not args.checkpoint_every >= 0:
            raise SpecError(f"--checkpoint-every {args.checkpoint_every:g}: must be >= 0 seconds")
        if args.weights and args.resume:
            raise SpecError("--weights starts a run from given weights; --resume continues one from its "
                            "checkpoint: pass one of them")
        record = parse_record(args.record)
        model = load_model(args.spec, table=args.table, patterns=args.patterns)
        if writes:
            for note in model.notes:        # e.g. what an import left out: never silently
                print(f"note: {note}", file=sys.stderr)
        weights = None
        if args.weights:
            from ..emergent.wts import read_wts
            if not os.path.exists(args.weights):
                raise SpecError(f"--weights {args.weights}: no such file")
            weights = read_wts(args.weights).model_weights(model)
        if args.np > 1 and dmem is None:  # checked the arguments and the spec once; now start the ranks
            return parallel.launch(args.np, [sys.executable, "-m", "emergent_py", NAME,
                                             *parallel.argv_from_args(args, add_arguments, drop=("np",))],
                                   stop_signals=STOP_SIGNALS if args.output else (), threads=args.threads_n)
        if dmem is not None and args.np not in (1, dmem.size):
            raise SpecError(f"--np {args.np} but this process is one of {dmem.size} MPI ranks; "
                            f"drop --np under mpirun/srun")
        t0 = time.perf_counter()
        if args.snapshot_every < 0:
            raise SpecError(f"--snapshot-every {args.snapshot_every}: must be >= 0 (0: final weights only)")
        if dmem is None:
            r = Run(model, seed=args.seed, weights=weights, record=record, dtype=dtype, threads=args.threads_n)
        else:
            r = parallel.DmemRun(model, dmem, seed=args.seed, weights=weights, record=record, dtype=dtype,
                                 threads=args.threads_n)
        if r.net.threads_note and not args.quiet and writes:
            print(f"{model.name}: {r.net.threads_note}", file=sys.stderr)
        ck = None
        if args.output and writes:
            if args.resume:
                if not os.path.exists(args.output):
                    raise SpecError(f"--resume: run file {args.output} does not exist")
                from ..results import RunFile
                with RunFile(args.output) as rf:
                    ck = rf.checkpoint()
                if ck is None:
                    raise SpecError(f"--resume: {args.output} has no checkpoint yet (the run stopped before "
                                    f"its first one; see --checkpoint-every); start it again with --overwrite")
                parallel.rank_checkpoints(ck, size, args.output)     # the same number of ranks?
                _check_resume(args, model, ck, dtype)
            elif os.path.exists(args.output) and not args.overwrite:
                raise SpecError(f"-o {args.output}: file exists; pass --overwrite or --resume")
    if args.resume:
        with parallel.agreed(dmem):
            r.from_checkpoint(ck)         # under MPI: rank 0 sends every rank its own state
    writer = None
    with parallel.agreed(dmem):
        if args.output and writes:
            from ..results import RunWriter
            extra = {"kernel": r.net.kernel_name, **_thread_provenance(r.net)}
            from ..results.provenance import model_source
            from ..spec.loader import spec_path
            extra.update(model_source(spec_path(args.spec)))
            if args.weights:
                extra["initial_weights"] = os.path.abspath(args.weights)
                extra["initial_weights_sha256"] = file_sha256(args.weights)
            writer = RunWriter(args.output, model, engine="native", mode="a" if args.resume else "w",
                               seed=r.net.seed, mpi_size=size, extra=extra)
    if writer is not None:
        r.observer = _FileObserver(writer, record.level, stop.check_abandon)
        if record.level == "cycle":
            r.observer.on_cycle = lambda row: writer.append_cycles([row])
        if args.snapshot_every and not args.resume:
            _snapshot(writer, r)
    total = r.plan.epochs if args.epochs is None else args.epochs
    last_checkpoint = time.perf_counter()
    progress = ProgressStream()       # a closed stderr drops the lines, never stops the run
    every = args.progress_every or default_every(total)

    def after_epoch(row: dict) -> None:
        nonlocal last_checkpoint
        more = r.epoch_n < total and not r.stopped
        if not args.quiet and progress_due(row["epoch"], every, last=not more):
            progress.line(f"epoch {row['epoch']:4d}  sse {row['avg_sse']:9.4f}  pct_err {row['pct_err']:6.3f}  "
                          f"elapsed {time.perf_counter() - t0:8.2f}s")
        if not args.output:
            return
        if writer is not None and args.snapshot_every and r.epoch_n % args.snapshot_every == 0:
            _snapshot(writer, r)
        signum = stop.signum if more else 0
        due = not more or time.perf_counter() - last_checkpoint >= args.checkpoint_every
        if dmem is not None:        # one decision for all ranks: any rank's signal, rank 0's clock
            signum, due = dmem.max_each(signum, due if dmem.rank == 0 else 0)
        if due or signum:           # (collective under MPI: rank 0 gathers every rank's state)
            ck = r.to_checkpoint()
            if writer is not None:
                writer.write_checkpoint(ck)
            last_checkpoint = time.perf_counter()
        if signum:
            raise _StopAtCheckpoint(signum)

    try:
        log = r.run(args.epochs, progress=after_epoch)
        if writer is not None or args.apply_pending:     # (every MPI rank sums the pending change)
            w, b = r.weights(apply_pending=args.apply_pending)
        if writer is not None:
            _snapshot(writer, r, (w, b), pending_applied=bool(args.apply_pending))
    except (_StopAtCheckpoint, _Abandoned) as stopped:
        if writer is not None:
            writer.close(complete=False)
        np_arg = "" if dmem is None else f" --np {dmem.size}"
        resume = f"continue with: emergent-py run {args.spec}{np_arg} -o {args.output} --resume"
        if isinstance(stopped, _Abandoned):
            print(f"{model.name}: interrupted during epoch {r.epoch_n}; the run file keeps its last checkpoint; "
                  f"{resume}", file=sys.stderr)
            return INTERRUPT_EXIT
        print(f"{model.name}: stopped by {stopped} at the checkpoint after epoch {r.epoch_n - 1}; {resume}",
              file=sys.stderr)
        return INTERRUPT_EXIT if stopped.signum == signal.SIGINT else RESUME_EXIT
    except BaseException:
        if writer is not None:
            writer.close(complete=False)
        raise
    if writer is not None:
        writer.close(complete=True)
    why = "stop criterion reached" if r.stopped else "epoch limit"
    if log.epochs:
        last = log.epochs[-1]
        print(f"{model.name}: {r.epoch_n} epochs ({why}), final avg_sse {last['avg_sse']:.4f}, "
              f"cnt_err {last['cnt_err']}, pct_err {last['pct_err']:.3f}, "
              f"{time.perf_counter() - t0:.2f}s" + (f" -> {args.output}" if args.output else ""))
    else:
        print(f"{model.name}: nothing to do ({r.epoch_n} epochs already done)")
    if dmem is not None:
        progress.line(dmem.summary(time.perf_counter() - t0))
    return 0


def _check_resume(args, model, ck: dict, dtype) -> None:
    """--resume continues the run in the file as it was: refuse, naming what differs, another
    model, another --seed or another precision (the checkpoint would not fit, or would silently
    not be that run)."""
    from ..results import RunFile
    from ..results.runwriter import first_difference, short_value
    import json
    with RunFile(args.output) as rf:
        stored, seed = rf.model_json, rf.provenance.get("seed")
    if stored is not None and stored != model.to_json():
        where, old, new = first_difference(json.loads(stored), json.loads(model.to_json()))
        raise SpecError(f"--resume: {args.output} is a run of another model: {where or 'model'}: "
                        f"{short_value(old)} in the file vs {short_value(new)} in {args.spec}; resume with "
                        f"the run's own model, or start a new run file")
    if args.seed is not None and seed is not None and int(seed) != args.seed:
        raise SpecError(f"--resume --seed {args.seed}: {args.output} was run with seed {seed}, and a resume "
                        f"continues that run; drop --seed (or start a new run file with it)")
    act = ck.get("arrays", {}).get("units|act")            # the units' state is in the run's precision
    if act is not None and act.dtype != dtype:
        raise SpecError(f"--resume: {args.output} was run in {act.dtype}, this run would be in "
                        f"{dtype.__name__}; {'drop' if args.float64 else 'pass'} --float64")
