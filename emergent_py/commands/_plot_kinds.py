"""The figure kinds of ``emergent-py plot --kind`` beyond the default learning curves; each
reads its inputs and calls the drawing function of ``results/figures.py``, ``netview.py`` or
``representation.py`` (kept out of plot.py so that command stays small)."""
from __future__ import annotations

from pathlib import Path

from ..errors import EmergentPyError

KINDS = ("curves", "seeds", "sweep", "overlay", "activations", "weights", "clusters")


def _long(inputs):
    from ..hpc.tables import records
    from ..results.analysis import collect_runs
    return collect_runs(records(inputs))


def _one(inputs, kind: str) -> str:
    if len(inputs) != 1 or Path(inputs[0]).is_dir():
        raise EmergentPyError(f"--kind {kind} draws one run file; got {' '.join(map(str, inputs))}")
    return str(inputs[0])


def _presented(path: str, args):
    """``--present``: the pattern ``--trial`` (row or name) presented once to the run's trained
    network (last checkpoint, or the snapshot after ``--epoch``); returns (acts, title)."""
    from ..results.netview import activations_from_network
    from ..results.representation import network_from_run
    net, where = network_from_run(path, args.epoch)
    names = net.model.patterns.names
    t = str(args.trial)
    if t in names:
        row = names.index(t)
    elif t.isdigit() and int(t) < len(names):
        row = int(t)
    else:
        raise EmergentPyError(f"--trial {t!r}: no pattern of that name or row (have {len(names)}: "
                              f"{', '.join(names[:5])}{' ...' if len(names) > 5 else ''})")
    net.trial(row)
    return activations_from_network(net), args.title or f"pattern {names[row]!r} presented to {where}"


def plot_kind(args) -> str:
    """Draw ``args.kind`` from ``args.runs`` into ``args.output``; returns the output path."""
    kind, out = args.kind, args.output
    if kind == "seeds":
        from ..results.figures import learning_curves
        return learning_curves(_long(args.runs), out, metric=(args.metric or ["avg_sse"])[0],
                               band=args.band, title=args.title)
    if kind == "sweep":
        from ..results.analysis import Criterion
        from ..results.figures import sweep_summary
        return sweep_summary(_long(args.runs), out, Criterion.parse(args.criterion),
                             final=(args.metric or ["avg_sse"])[0], title=args.title)
    if kind == "overlay":
        from ..results.figures import engine_overlay
        if len(args.runs) != 2:
            raise EmergentPyError(f"--kind overlay compares two run files (native and emergent); got {len(args.runs)}")
        return engine_overlay(args.runs[0], args.runs[1], out, (args.metric or ["sse"])[0], level=args.level,
                              atol=args.atol, rtol=args.rtol, title=args.title)
    if kind == "activations":
        from ..results.netview import activation_grid, activations_from_run
        if args.present:
            acts, title = _presented(_one(args.runs, kind), args)
            return activation_grid(acts, out, title=title)
        acts, name, epoch, pos = activations_from_run(_one(args.runs, kind), args.epoch, args.trial)
        return activation_grid(acts, out, title=args.title or f"activations of trial {name!r} "
                                                              f"(epoch {epoch}, trial {pos})")
    if kind == "weights":
        from ..results.netview import receptive_fields, weights_from_run
        if not args.projection:
            raise EmergentPyError("--kind weights needs --projection SEND->RECV (e.g. Input->Hidden)")
        w, rs, ss, epoch = weights_from_run(_one(args.runs, kind), args.projection, args.epoch)
        send, _, recv = args.projection.partition("->")
        return receptive_fields(w, rs, ss, out, recv_name=recv or "receiving", send_name=send or "sending",
                                title=args.title or f"{args.projection} weights after epoch {epoch}: "
                                                    f"one tile per {recv or 'receiving'} unit")
    if kind == "clusters":
        from ..results import representation as rep
        if not args.layer:
            raise EmergentPyError("--kind clusters needs --layer NAME (e.g. Hidden)")
        net, where = rep.network_from_run(_one(args.runs, kind), args.epoch)
        names, x = rep.layer_responses(net, args.layer, args.var)
        if args.group_by:
            names, x = rep.group_means(names, x, lambda n: n.split(args.group_by)[0])
        return rep.representation_figure(names, x, out, title=args.title or
                                         f"{args.layer} {args.var} per {'group' if args.group_by else 'pattern'} "
                                         f"({net.model.name}, {where})")
    raise EmergentPyError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
