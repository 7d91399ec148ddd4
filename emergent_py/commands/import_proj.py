"""emergent-py import-proj PROJ -o model.py: an emergent 8.x project -> a Python model file (or .json)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import SpecError
from ._proj_inputs import add_input_arguments

NAME = "import-proj"
ORDER = 61
HELP = "turn an emergent 8.x project (.proj) into a Python model file (.py) or a model .json"
DESCRIPTION = HELP + """.

The network (layers, layer groups as classes, projections), every parameter the project's
specs store, the input table and the run plan are imported (docs/emergent.md). A .py output
holds only the values that differ from the emergent 8.6 code defaults and reads its patterns from
OUT.dat, written beside it. A layer or projection whose spec type the native core does not
implement (PVLV, PBWM, TwoDVal ...) is an error naming it; --skip-unsupported leaves it out,
prints what was left out and keeps that note in the model (and so in every run file's
provenance).

examples:
  emergent-py import-proj LeabraStd.proj -o model.py
  emergent-py import-proj pvlv.proj --skip-unsupported -o pvlv.json"""


def add_arguments(p) -> None:
    p.add_argument("project", metavar="PROJ", help="emergent project (.proj or .proj.gz), 8.x")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="model file to write: .py (plus OUT.dat with the patterns) or .json")
    p.add_argument("--skip-unsupported", action="store_true",
                   help="leave out layers and projections the native core cannot run, and say so "
                        "(default: refuse the project, naming them)")
    p.add_argument("--network", type=int, default=0, metavar="N",
                   help="index of the network in the project's .networks (default 0)")
    add_input_arguments(p, "input data table to take the patterns from (default: the LeabraTrain "
                           "program's input_data, else the first table)")
    p.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists (default: refuse)")


def run(args) -> int:
    import numpy as np

    from ..emergent.dat import write_dat
    from ..emergent.project import import_project
    from ..fileio import atomic_write
    from ..spec.python_source import model_source
    if not Path(args.project).is_file():
        raise SpecError(f"{args.project}: no such project file")
    out = Path(args.output)
    if out.suffix not in (".py", ".json"):
        raise SpecError(f"-o {out}: the output must end in .py or .json")
    dat = out.with_suffix(".dat")
    for f in [out] + [dat] * (out.suffix == ".py"):
        if f.exists() and not args.force:
            raise SpecError(f"-o {out}: {f} exists; pass --force to overwrite it")
    r = import_project(args.project, network=args.network, skip_unsupported=args.skip_unsupported,
                       table=args.table, patterns=args.patterns)
    model = r.model
    for note in model.notes:
        print(f"note: {note}", file=sys.stderr)
    if out.suffix == ".json":
        atomic_write(out, model.to_json())
    else:
        pats = model.patterns
        write_dat(dat, {"Name": np.array(pats.names, dtype=str),
                        **{name: pats[name] for name in pats.layers}})
        doc = (f"{model.name}, imported from the emergent {r.version} project {r.path.name} by "
               f"`emergent-py import-proj`" + (f" (input table {r.table})" if r.table else "") + ".")
        atomic_write(out, model_source(model, dat.name, doc))
    net = model.network
    print(f"wrote {out}" + (f" (+ {dat.name})" if out.suffix == ".py" else "")
          + f": {len(net.layers)} layers, {len(net.projections)} projections, "
            f"{model.patterns.n} patterns" + (f", {len(model.notes)} left out (see the notes)"
                                              if model.notes else ""))
    return 0
