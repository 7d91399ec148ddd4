"""emergent-py emergent SPEC|PROJ: run C++ emergent headless and check (and import) its outputs."""
from __future__ import annotations

from pathlib import Path

from ..errors import SpecError
from ..fileio import refuse_existing

NAME = "emergent"
ORDER = 31
HELP = "run a model (or an emergent .proj) in C++ emergent, headless, and check its outputs"
DESCRIPTION = HELP + """.

A SPEC is first written as a project (like `emergent-py proj`) into --dir. The run is judged
from its output files and emergent's ***ERROR lines, never from its exit code (emergent exits 0
on errors and can hang: --timeout). With -o the logs and weights are imported into a run file."""


def add_arguments(p) -> None:
    p.add_argument("target", metavar="SPEC|PROJ", help="model spec, or an emergent .proj to run as is")
    p.add_argument("--emergent", metavar="PATH", help="the emergent executable (default $EMERGENT, "
                                                        "then emergent on PATH)")
    p.add_argument("--epochs", type=int, metavar="N", help="epochs to train (default: the plan's / the project's)")
    p.add_argument("--tag", default="_run", help="tag appended to every output file name (default _run)")
    p.add_argument("--timeout", type=float, default=3600.0, metavar="S", help="kill emergent after S seconds")
    p.add_argument("--dir", metavar="DIR", help="folder for the generated project and emergent's "
                                                 "outputs (default emergent_<name>)")
    p.add_argument("--template", metavar="PROJ",
                   help="emergent's proj_templates/LeabraStd.proj (for a SPEC) (default: $EMERGENT_TEMPLATES, "
                        "else the share folder of an emergent on PATH)")
    p.add_argument("--prototype", action="append", default=[], metavar="PROJ",
                   help="a project to copy spec types from that the template lacks")
    p.add_argument("--init-weights", action="store_true",
                   help="start emergent from the native core's initial weights (for a SPEC)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="another startup argument for the project (e.g. rnd_init=NEW_SEED, "
                        "log_dir=logs); emergent aborts on names the project does not read")
    p.add_argument("-o", "--output", metavar="RUN.h5", help="import the outputs into this run file (default: none)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the -o run file and (for a SPEC) the generated project if they exist "
                        "(default: refuse to write over them)")


def run(args) -> int:
    from ..emergent.runner import find_emergent, run_emergent
    target = Path(args.target)
    refuse_existing([args.output], args.overwrite)
    exe = find_emergent(args.emergent)        # before anything is written
    model = None
    if target.name.endswith((".proj", ".proj.gz")):
        proj = target
        epochs = args.epochs
    else:
        from ..emergent.generate import native_initial_weights, write_project
        from ..spec import load_model
        model = load_model(args.target)
        folder = Path(args.dir or f"emergent_{model.name}")
        proj = folder / f"{model.name}.proj"
        refuse_existing([proj], args.overwrite, option="--dir")
        folder.mkdir(parents=True, exist_ok=True)
        wts = native_initial_weights(model) if args.init_weights else None
        write_project(model, proj, args.template, prototypes=args.prototype, init_weights=wts,
                      trial_log=True)
        epochs = args.epochs if args.epochs is not None else model.plan.epochs
        print(f"wrote {proj}")
    if epochs is not None and epochs < 1:
        raise SpecError(f"--epochs {epochs}: must be at least 1")
    extra = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError(f"--set {item!r}: expected NAME=VALUE")
        extra[key] = value
    result = run_emergent(proj, exe=exe, epochs=epochs, tag=args.tag, timeout=args.timeout,
                          extra=extra)
    print(f"emergent {result.version}: ok in {result.seconds:.1f} s; epoch log {result.epc}"
          + (f", trial log {result.trl}" if result.trl else "")
          + f", weights {', '.join(str(w) for w in result.wts)}")
    if args.output:
        import_run(result, args.output, model, overwrite=args.overwrite)
    return 0


def import_run(result, output: str, model, overwrite: bool = False) -> None:
    """Import an emergent run's logs and weights into a run file (engine=emergent)."""
    from ..errors import EmergentPyError
    from ..results.importer import import_emergent
    if model is None:          # a project run as is: its network names the projections, if it imports
        from ..emergent.project import load_project
        try:
            model = load_project(result.project)
        except EmergentPyError:
            model = None
    import_emergent(result.epc, output, trial_dat=result.trl, wts=result.wts, model=model,
                    engine_version=result.version, mode="w" if overwrite else "w-")
    print(f"wrote {output}")
