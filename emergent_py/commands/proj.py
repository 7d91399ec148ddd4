"""emergent-py proj SPEC -o model.proj: write an emergent 8.x project for a model (template splice)."""
from __future__ import annotations

from pathlib import Path

from ..errors import SpecError
from ..fileio import OVERWRITE_HELP, refuse_existing

NAME = "proj"
ORDER = 30
HELP = "write an emergent project (.proj) for a model, spliced into emergent's LeabraStd template"
DESCRIPTION = HELP + """.

The template comes from --template, else $EMERGENT_TEMPLATES, else the share folder of an
`emergent` on PATH. The project name (which names every file emergent writes) is the output
file's stem. Everything in the template outside the network, the input table, the project name
and the run plan's numbers stays byte-identical. See docs/emergent.md."""


def add_arguments(p) -> None:
    p.add_argument("spec", metavar="SPEC", help="model file, project folder or model .json")
    p.add_argument("-o", "--output", required=True, metavar="OUT.proj", help="project file to write")
    p.add_argument("--template", metavar="PROJ",
                   help="emergent's proj_templates/LeabraStd.proj (default: $EMERGENT_TEMPLATES, "
                        "else the share folder of an emergent on PATH)")
    p.add_argument("--prototype", action="append", default=[], metavar="PROJ",
                   help="a project to copy spec types from that the template lacks "
                        "(e.g. OneToOnePrjnSpec); may be repeated")
    p.add_argument("--dat", action="store_true",
                   help="write the patterns to OUT.dat beside the project and auto-load it, "
                        "instead of saving the rows inside the project")
    p.add_argument("--init-weights", action="store_true",
                   help="write the native core's initial weights to OUT_init.wts and make the "
                        "project load them at every weight initialisation")
    p.add_argument("--wt-format", choices=("TEXT", "BINARY"), default="BINARY",
                   help="format of the weights emergent saves (default BINARY: exact float32)")
    p.add_argument("--trial-log", action="store_true", help="switch emergent's trial log (.trl.dat) on")
    p.add_argument("--overwrite", action="store_true",
                   help="replace OUT.proj and its OUT.dat / OUT_init.wts if they exist, and remove those "
                        "the new project does not use (default: refuse to write over any of them)")


def run(args) -> int:
    from ..emergent.generate import native_initial_weights, write_project
    from ..spec import load_model
    out = Path(args.output)
    if not out.name.endswith((".proj", ".proj.gz")):
        raise SpecError(f"-o {out}: the output must end in .proj")
    stem = out.name.split(".proj")[0]
    # the project's own files beside it: a stale one would be taken for this project's
    companions = {"dat": out.with_name(f"{stem}.dat"), "init_weights": out.with_name(f"{stem}_init.wts")}
    refuse_existing([out, *companions.values()], args.overwrite)
    model = load_model(args.spec)
    wts = native_initial_weights(model) if args.init_weights else None
    write_project(model, out, args.template, prototypes=args.prototype,
                  auto_load=f"{stem}.dat" if args.dat else None, init_weights=wts,
                  wt_format=args.wt_format, trial_log=args.trial_log)
    for option, path in companions.items():
        if not getattr(args, option):
            path.unlink(missing_ok=True)      # an earlier project's, replaced with --overwrite
    extra = [f"{stem}.dat"] * bool(args.dat) + [f"{stem}_init.wts"] * bool(args.init_weights)
    print(f"wrote {out}" + (f" (+ {', '.join(extra)})" if extra else "")
          + f": project name '{stem}', {len(model.network.layers)} layers, "
            f"{len(model.network.projections)} projections, {model.patterns.n} patterns")
    return 0
