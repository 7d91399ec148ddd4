"""emergent-py show SPEC: every resolved parameter of every layer and projection, with its source."""
from __future__ import annotations

from ..emergent.conversions import conversions_run
from ..spec import load_model
from ..spec.loader import spec_path
from ..spec.model import DEFAULT, Model
from ..spec.network import DEFAULT_LAYER_SPEC
from ._proj_inputs import add_input_arguments

NAME = "show"
ORDER = 10
HELP = "print the resolved parameters of a model and which sheet line set each"
DESCRIPTION = HELP + """.

Values set by a sheet show 'SHEET[index] SELECTOR (file:line)'; the others show 'default'
(emergent 8.6 code defaults). An emergent project saved by an older version lists the load-time
conversions emergent 8.6.1 applies to it (sheet emergent-conversions)."""


def add_arguments(p) -> None:
    p.add_argument("spec", metavar="SPEC", help="model file, project folder or model .json")
    p.add_argument("--changed", action="store_true", help="only parameters set by a sheet")
    p.add_argument("--json", action="store_true", help="print the canonical model JSON instead")
    add_input_arguments(p, "SPEC an emergent .proj: use its DataTable NAME (default: the table its "
                           "programs select)")


def run(args) -> int:
    project = None
    if str(args.spec).endswith((".proj", ".proj.gz")):     # the import's report: table, conversions
        from ..emergent.project import import_project
        project = import_project(spec_path(args.spec), table=args.table, patterns=args.patterns)
        model = project.model
    else:
        model = load_model(args.spec, table=args.table, patterns=args.patterns)
    if args.json:
        print(model.to_json(), end="")
        return 0
    print(format_model(model, changed_only=args.changed, project=project))
    return 0


def format_model(model: Model, changed_only: bool = False, project=None) -> str:
    """The text of ``show``; ``project``: the ImportedProject of an emergent .proj (adds its
    input table, how it was chosen and the other candidates)."""
    net, plan = model.network, model.plan
    out = [f"Model {model.name}: {len(net.layers)} layers, {len(net.projections)} projections, "
           f"{model.patterns.n} patterns",
           f"Plan: {plan.epochs} epochs, stop at cnt_err <= {plan.stop_cnt_err} for {plan.stop_n_under} "
           f"epochs, {plan.order} order, {plan.wt_update} updates, seed {plan.seed}"]
    if project is not None and project.table:
        others = [t for t in project.tables if t != project.table]
        out.append(f"Input table: {project.table} ({project.table_how})"
                   + (f"; also fit the input layers: {', '.join(others)} (--table NAME)" if others else ""))
    conversions = conversions_run(model)
    if conversions:
        out.append("Load-time conversions (what emergent 8.6.1 changes on loading this older project):")
        out.extend(f"  {line}" for line in conversions)
    out += [f"Note: {n}" for n in model.notes]       # e.g. what an import left out

    def block(title: str, rows) -> None:
        rows = [r for r in rows if not (changed_only and r[2] == DEFAULT)]
        out.append("")
        out.append(title)
        if not rows:
            out.append("  (all defaults)")
        width = max((len(r[0]) for r in rows), default=0)
        for path, value, source in rows:
            out.append(f"  {path:<{width}}  {_fmt(value):<12}  {source}")

    for lay in net.layers.values():
        shape = "x".join(map(str, lay.shape))
        cls = f", class {lay.cls}" if lay.cls else ""
        if lay.spec_type != DEFAULT_LAYER_SPEC:
            cls += f", {lay.spec_type}"
        block(f"Layer {lay.name} ({shape}, {lay.kind.value.lower()}{cls})",
              model.layer_params[lay.name].rows("Layer"))
    for prj in net.projections.values():
        cls = f", class {prj.cls}" if prj.cls else ""
        block(f"Prjn {prj.name} ({type(prj.pattern).__name__}{cls})", model.prjn_params[prj.name].rows("Prjn"))
    block(f"Network {net.name}", model.network_params.rows("Network"))
    return "\n".join(out)


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)
