"""emergent-py units: emergent's normalized units <-> physical units (mV, nS, pF, ms, nA)."""
from __future__ import annotations

from ..errors import SpecError

NAME = "units"
ORDER = 60
HELP = "show the mapping between emergent's normalized units and physical units; convert unit-spec values"
DESCRIPTION = HELP + """.

Without --to-bio/--to-norm: the table of quantities (1 cycle = 1 ms, V = (mV+100)/100,
g = nS/100, C = pF/100 (dt.vm_tau is a capacitance), I = nA/10, act 1 = 180 Hz).

--to-bio   normalized -> physical: the unit-spec members of the emergent 8.6 defaults, of
           layer LAYER of SPEC (--spec, --layer), or the PATH=VALUE pairs given
--to-norm  physical -> normalized: what LeabraUnitSpec::BioParams sets for its defaults
           (C 281 pF, g_L 10 nS, E_L -70 mV, ...), or the PATH=VALUE pairs given (mV, nS, pF, ms, nA)

examples:
  emergent-py units --to-norm dt.vm_tau=281 g_bar.l=10 e_rev.l=-70
  emergent-py units --to-bio --spec projects/BasicLeabraTest --layer Hidden"""


def add_arguments(p) -> None:
    way = p.add_mutually_exclusive_group()
    way.add_argument("--to-bio", action="store_true", help="convert normalized values to physical units")
    way.add_argument("--to-norm", action="store_true", help="convert physical values to normalized units")
    p.add_argument("values", nargs="*", metavar="PATH=VALUE", help="unit-spec members to convert, e.g. dt.vm_tau=2.81")
    p.add_argument("--spec", metavar="SPEC", help="with --to-bio: take the unit spec of a layer of this model")
    p.add_argument("--layer", metavar="LAYER", help="the layer whose unit spec --spec converts")


def _pairs(values: list[str]) -> dict[str, float]:
    out = {}
    for item in values:
        path, eq, text = item.partition("=")
        if not eq or not path:
            raise SpecError(f"'{item}': expected PATH=VALUE, e.g. dt.vm_tau=2.81")
        try:
            out[path.strip()] = float(text)
        except ValueError:
            raise SpecError(f"'{item}': '{text}' is not a number") from None
    return out


def run(args) -> int:
    from ..biophysical import units
    if not (args.to_bio or args.to_norm):
        if args.values or args.spec:
            raise SpecError("values and --spec need --to-bio or --to-norm")
        rows = units.quantity_table()
        head = ("quantity", "1 normalized unit", "normalized value", "example")
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
        for r in [head] + rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        print("\ndt.vm_tau is the capacitance: tau_m = vm_tau / g_bar.l (2.81/0.1 = 28.1 ms).")
        return 0
    if args.to_norm:
        if args.spec or args.layer:
            raise SpecError("--spec/--layer go with --to-bio (a model stores normalized values)")
        bio = _pairs(args.values) if args.values else units.to_bio(units.bio_params())
        norm = units.to_norm(bio)
        title = "physical -> normalized" + ("" if args.values else " (LeabraUnitSpec::BioParams defaults)")
    else:
        if args.spec:
            if not args.layer:
                raise SpecError("--spec needs --layer LAYER (whose unit spec to convert)")
            if args.values:
                raise SpecError("give either --spec/--layer or PATH=VALUE pairs, not both")
            from ..errors import did_you_mean
            from ..spec import load_model
            model = load_model(args.spec)
            if args.layer not in model.layer_params:
                raise SpecError(f"{args.spec}: no layer '{args.layer}'; layers: "
                                f"{', '.join(model.layer_params)}.{did_you_mean(args.layer, model.layer_params)}")
            norm = units.members(model.layer_params[args.layer].unit)
            title = f"normalized -> physical (layer {args.layer} of {args.spec})"
        elif args.values:
            norm = _pairs(args.values)
            title = "normalized -> physical"
        else:
            from ..spec.params import UnitSpec
            norm = units.members(UnitSpec())
            title = "normalized -> physical (emergent 8.6 rate-code unit-spec defaults)"
        bio = units.to_bio(norm)
    print(title)
    width = max(len(p) for p in norm)
    print(f"{'member':<{width}}  {'normalized':>11}  {'physical':>11}  unit  quantity")
    for path in norm:
        q = units.quantity_of(path)
        print(f"{path:<{width}}  {norm[path]:>11.6g}  {bio[path]:>11.6g}  {q.bio_unit:<4}  {q.name}")
    return 0
