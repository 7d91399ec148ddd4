"""emergent-py validate SPEC: check a model; exit 0 when valid, 2 with the reason when not."""
from __future__ import annotations

from ..spec import load_model

NAME = "validate"
ORDER = 11
HELP = "check a model spec (names, selectors, patterns, plan); exit 0 if valid"


def add_arguments(p) -> None:
    p.add_argument("spec", metavar="SPEC", help="model file, project folder or model .json")


def run(args) -> int:
    model = load_model(args.spec)
    net = model.network
    n_set = sum(len(s) for s in model.sheets)
    print(f"ok: {model.name}: {len(net.layers)} layers, {len(net.projections)} projections, "
          f"{model.patterns.n} patterns, {n_set} sheet entries, {model.plan.epochs} epochs")
    return 0
