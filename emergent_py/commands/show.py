"""emergent-py show SPEC: every resolved parameter of every layer and projection, with its source."""
from __future__ import annotations

from ..spec import load_model
from ..spec.model import DEFAULT, Model

NAME = "show"
ORDER = 10
HELP = "print the resolved parameters of a model and which sheet line set each"
DESCRIPTION = HELP + """.

Values set by a sheet show 'SHEET[index] SELECTOR (file:line)'; the others show 'default'
(emergent 8.6 code defaults)."""


def add_arguments(p) -> None:
    p.add_argument("spec", metavar="SPEC", help="model file, project folder or model .json")
    p.add_argument("--changed", action="store_true", help="only parameters set by a sheet")
    p.add_argument("--json", action="store_true", help="print the canonical model JSON instead")


def run(args) -> int:
    model = load_model(args.spec)
    if args.json:
        print(model.to_json(), end="")
        return 0
    print(format_model(model, changed_only=args.changed))
    return 0


def format_model(model: Model, changed_only: bool = False) -> str:
    net, plan = model.network, model.plan
    out = [f"Model {model.name}: {len(net.layers)} layers, {len(net.projections)} projections, "
           f"{model.patterns.n} patterns",
           f"Plan: {plan.epochs} epochs, stop at cnt_err <= {plan.stop_cnt_err} for {plan.stop_n_under} "
           f"epochs, {plan.order} order, {plan.wt_update} updates, seed {plan.seed}"]
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
