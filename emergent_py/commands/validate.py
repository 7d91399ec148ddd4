"""emergent-py validate SPEC: check a model; exit 0 when valid, 2 with the reason when not."""
from __future__ import annotations

import re
import sys
import traceback

from ..errors import DEBUG_HINT, USAGE_EXIT, SpecError, UserCodeError
from ..spec import load_model
from ..spec.problems import collecting

NAME = "validate"
ORDER = 11
HELP = "check a model spec (names, selectors, patterns, plan); exit 0 if valid"
DESCRIPTION = HELP + """.

Every unknown parameter name and every selector that matches nothing is reported at once, one
line each with the model file's line; an error that stops the model's build() is reported last."""


def add_arguments(p) -> None:
    p.add_argument("spec", metavar="SPEC", help="model file, project folder or model .json")


def run(args) -> int:
    with collecting() as found:
        try:
            model = load_model(args.spec)
        except SpecError as e:
            user_code = isinstance(e, UserCodeError)     # the model's own code raised
            if user_code and getattr(args, "debug", False):
                traceback.print_exception(e)
            found.append(str(e) + (DEBUG_HINT if user_code and not getattr(args, "debug", False) else ""))
    if found:
        for message in sorted(found, key=_line):
            print(f"emergent-py {NAME}: error: {message}", file=sys.stderr)
        if len(found) > 1:
            print(f"emergent-py {NAME}: {len(found)} errors in {args.spec}", file=sys.stderr)
        return USAGE_EXIT
    net = model.network
    n_set = sum(len(s) for s in model.sheets)
    print(f"ok: {model.name}: {len(net.layers)} layers, {len(net.projections)} projections, "
          f"{model.patterns.n} patterns, {n_set} sheet entries, {model.plan.epochs} epochs")
    return 0


def _line(message: str) -> int:
    """The model-file line a message names (``(model.py:15)``), for listing them in file order."""
    m = re.search(r"\.py:(\d+)\)", message)
    return int(m[1]) if m else 10 ** 9
