"""emergent-py params: list every parameter a sheet can set, with default, range and meaning."""
from __future__ import annotations

from ..errors import SpecError
from ..spec.fields import get_path, leaf_fields
from ..spec.network import LAYER_SPECS
from ..spec.params import LayerSpec
from ..spec.sheet import TARGETS

NAME = "params"
ORDER = 12
HELP = "list the parameters that sheets can set (emergent 8.6 names and code defaults)"


def add_arguments(p) -> None:
    p.add_argument("type", nargs="?", choices=["Layer", "Prjn", "Network"],
                   help="only this selector type (default: all)")
    p.add_argument("--grep", metavar="TEXT", help="only parameters whose name or doc contains TEXT")


def run(args) -> int:
    types = [args.type] if args.type else list(TARGETS)
    shown = 0

    def show(prefix: str, path: str, f, defaults) -> None:
        nonlocal shown
        meta = f.metadata
        line = f"  {prefix + path:<28} {get_path(defaults, path)!s:<10} {meta['doc']}"
        rng = [f"min {meta['min']}" if meta["min"] is not None else "",
               f"max {meta['max']}" if meta["max"] is not None else "",
               f"unit {meta['unit']}" if meta["unit"] else "",
               "one of " + "/".join(meta["choices"]) if meta["choices"] else ""]
        rng = [r for r in rng if r]
        if rng:
            line += f" [{', '.join(rng)}]"
        if args.grep and args.grep.lower() not in line.lower():
            return
        print(line)
        shown += 1

    for t in types:
        print(f"{t} selectors:")
        for record, prefix, cls in TARGETS[t]:
            defaults = cls()            # a record's own defaults (e.g. e_rev) differ from its group class's
            for path, f in leaf_fields(cls):
                show(prefix, path, f, defaults)
        if t != "Layer":
            continue
        base = LayerSpec()
        for name, cls in LAYER_SPECS.items():      # a layer spec type's own members and defaults
            if cls is LayerSpec:
                continue
            print(f"Layer selectors, {name} layers only (spec_type={name!r}; its other defaults "
                  "are LeabraLayerSpec's):")
            defaults = cls()
            for path, f in leaf_fields(cls):
                try:
                    same = get_path(base, path) == get_path(defaults, path)
                except AttributeError:       # a member LeabraLayerSpec does not have
                    same = False
                if not same:
                    show("", path, f, defaults)
    if not shown:
        raise SpecError(f"no parameter matches '{args.grep}'")
    return 0
