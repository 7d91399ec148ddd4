"""Import: an emergent 8.x project (``.proj``) -> a foundation :class:`~emergent_py.spec.Model`.

What is taken from the project (never from defaults; the templates and the code defaults
disagree, e.g. ``act_avg.ss_tau`` 2 vs 4):

* the network ``.networks[N]``: layers (name, geometry, ``layer_type``; layers in layer groups
  too, with the group names as classes: :mod:`.project_layers`), projections (sender, receiver,
  projection spec: Full, OneToOne, UniformRandom, and the geometry specs of :mod:`.project_prjns`);
* the specs of every layer and projection, with spec inheritance applied as emergent applies it
  on load: a child spec takes every member of its parent except those listed in its
  ``unique{...}`` (section 1.6 of emergent-formats.md);
* the input table the project's programs select (:mod:`.input_tables`): its valid saved rows
  (``row_indexes``), or the ``.dat``/``.dtbl`` file it auto-loads;
* the run plan: LeabraTrain ``max_epoch``/``err_stopcrit``/``n_under_thr``, LeabraEpoch
  ``data_loop_order``, the network's ``wt_update`` and ``small_batch_n``.

The result holds one :class:`Sheet` named ``"emergent"``: a ``Network`` entry, one ``#Layer``
entry per layer (every unit, layer and ``bias.`` member the project stores that exists in
:mod:`emergent_py.spec.params`) and one ``#Send->Recv`` entry per projection (con-spec members).

Types the native core does not implement (a spec subclass is never read as its base class) are a
:class:`SpecError` naming each layer and projection; ``load_project(..., skip_unsupported=True)``
leaves them out instead and says so (:attr:`ImportedProject.skipped` and ``model.notes``).
Projects older than emergent 8.0 are refused with their version (:func:`check_version`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FormatError, SpecError, did_you_mean, reraise_naming_file
from ..spec.fields import leaf_fields
from ..spec.model import Model
from ..spec.network import LAYER_SPECS, Full, Layer, Network, OneToOne, Projection, UniformRandom
from ..spec.params import BiasSpec, ConSpec, NetworkSpec, UnitSpec
from ..spec.patterns import Patterns
from ..spec.runplan import RunPlan
from ..spec.sheet import Sel, Sheet
from .conversions import conversion_sheet, describe
from .dump import HEADER, Array, Block, Dump, Member, Node, parse_ref, read_project, unquote
from .input_tables import TableChoice, select_table, table_patterns
from .programs import find_program, program_var
from .project_prjns import GEOMETRY_SPECS, geometry_pattern
from .project_layers import (NATIVE_TYPES, flat_layers, group_classes, grouped_patterns,
                             not_native)

SHEET_NAME = "emergent"

LAYER_TYPES = ("INPUT", "HIDDEN", "TARGET", "OUTPUT")
ORDERS = {0: "sequential", 1: "permuted", 2: "random"}
#: spec members that are bookkeeping, not parameters (never inherited, never imported)
_SPEC_META = {"name", "desc", "unique", "saved", "children", "is_used", "used_status", "user_data_"}


@dataclass
class ImportedProject:
    """What :func:`import_project` found: the model plus what was left out and why."""
    model: Model
    path: Path
    version: str                                            # header code version, e.g. "8.5.6.0"
    skipped: list[str] = field(default_factory=list)       # projections left out
    missing: dict[str, list[str]] = field(default_factory=dict)  # object -> params the project lacks
    table: str = ""                                         # input table used
    emergent_names: dict[str, str] = field(default_factory=dict)  # our prjn name -> emergent's
    conversions: list[str] = field(default_factory=list)    # load-time conversions that ran (conversions.py)
    table_how: str = ""                                     # how the table was chosen (input_tables.py)
    tables: list[str] = field(default_factory=list)         # the tables that could be the input


def load_project(path: str | os.PathLike, *, network: int = 0, skip_unsupported: bool = False,
                 patterns: Patterns | str | os.PathLike | None = None, table: str | None = None) -> Model:
    """Import the Leabra network, specs, input patterns and run plan of an emergent project.

    Parameters
    ----------
    path : a ``.proj`` (or ``.proj.gz``) file written by emergent 8.x
    network : index of the network in ``.networks`` (the standard programs use 0)
    skip_unsupported : leave out projections whose projection spec the native core cannot run
        (instead of raising SpecError naming them)
    patterns : use these patterns (a Patterns or a ``.dat`` path) instead of the project's
        input table, e.g. for projects that generate their inputs at run time (leabra_bench)
    table : name of the input DataTable, when the project's programs do not say which

    Raises
    ------
    FormatError : the file is not a readable ta_Dump project (names file and line)
    SpecError : the project uses what the native core cannot run (named), or lacks input rows
    """
    return import_project(path, network=network, skip_unsupported=skip_unsupported,
                          patterns=patterns, table=table).model


def import_project(path: str | os.PathLike, *, network: int = 0, skip_unsupported: bool = False,
                   patterns: Patterns | str | os.PathLike | None = None,
                   table: str | None = None) -> ImportedProject:
    """Like :func:`load_project`, returning an :class:`ImportedProject` report as well."""
    path = Path(path)
    # unknown and pre-8.0 versions, inconsistent list sizes refused here
    dump = read_project(path, check=check_version)
    try:
        return ProjectReader(dump, path).read(network, skip_unsupported, patterns, table)
    except (SpecError, FormatError) as e:   # e.g. the Sheet's or Network's checks: name the file
        reraise_naming_file(e, path)


def check_version(dump: Dump) -> None:
    """SpecError for a project written before emergent 8.0: its Leabra (kWTA, the 7.x learning
    rules) and its members are not the 8.x ones the native core implements, and read as 8.x they
    would run a different model. emergent 8.x converts such a project when it opens it."""
    version = dump.version
    fmt = HEADER.match(dump.header)["fmt"]
    if version and int(version.split(".")[0]) >= 8:
        return
    who = f"emergent {version}" if version else f"emergent 4.x-7.x (ta_Dump v{fmt}, no code version)"
    raise SpecError(f"{dump.where}: written by {who}; the importer reads emergent 8.x projects, whose "
                    "Leabra is the one the native core implements. Open the project in emergent 8.x "
                    "and save it (emergent converts older projects when it loads them), then import "
                    "the saved file")


# ----------------------------------------------------------------------------------- specs

class SpecTree:
    """The specs of one network with emergent's parent -> child inheritance."""

    def __init__(self, dump: Dump, net: Block) -> None:
        self.dump = dump
        self.parent: dict[int, Block | None] = {}
        self._resolved: dict[int, dict[str, Node]] = {}
        specs = net.get("specs")
        if isinstance(specs, Block):
            self._index(specs, None)

    def _index(self, group: Block, parent: Block | None) -> None:
        for spec in group.elements:
            self.parent[id(spec)] = parent
            kids = spec.get("children")
            if isinstance(kids, Block):
                self._index(kids, spec)

    def spec_at(self, owner: Block, member: str, where: str) -> Block:
        """The spec a spec-pointer member (``spec {type=..: spec=..$$: }``) points to."""
        ptr = owner.get(member)
        ref = parse_ref(ptr.value("spec", "")) if isinstance(ptr, Block) else None
        if ref is None:
            raise SpecError(f"{self.dump.where}:{owner.line}: {where} has no {member} (NULL pointer)")
        try:
            spec = self.dump.find(ref.path)
        except KeyError as e:
            raise FormatError(f"{self.dump.where}:{ptr.line}: {where}: {member} points to "
                              f"{ref.path}, which does not exist ({e})") from None
        want = ptr.value("type", "")
        if want and spec.type != want and not spec.type.endswith(want.replace("Leabra", "")):
            raise FormatError(f"{self.dump.where}:{ptr.line}: {where}: {member} should point to a "
                              f"{want} but {ref.path} is a {spec.type}")
        return spec

    def resolved(self, spec: Block) -> dict[str, Node]:
        """Member name -> node after inheritance: members a child spec does not list as
        ``unique`` come from its parent (recursively)."""
        key = id(spec)
        if key in self._resolved:
            return self._resolved[key]
        own = {_mname(m): m for m in spec.members() if _mname(m) not in _SPEC_META}
        out: dict[str, Node] = dict(own)
        parent = self.parent.get(key)
        if parent is not None:
            unique = set(spec["unique"].items) if isinstance(spec.get("unique"), Array) else set()
            same_type = parent.type == spec.type
            for name, node in self.resolved(parent).items():
                if name not in unique and (same_type or name in own):
                    out[name] = node
        self._resolved[key] = out
        return out


def _mname(node: Node) -> str:
    return node.name_ if isinstance(node, Block) else getattr(node, "name", "")


def _lookup(members: dict[str, Node], path: str) -> str | None:
    """Raw text of ``path`` (``act.gain``) in a resolved member map, or None if not stored."""
    head, _, rest = path.partition(".")
    node = members.get(head)
    if node is None:
        return None
    if not rest:
        return node.raw if isinstance(node, Member) else None
    for part in rest.split("."):
        node = node.get(part) if isinstance(node, Block) else None
    return node.raw if isinstance(node, Member) else None


def convert(raw: str, meta: dict, where: str) -> Any:
    """A raw project value -> the Python value of a parameter field (bool/int/float/enum)."""
    kind = meta["kind"]
    text = unquote(raw).strip()
    try:
        if kind is bool:
            if text.lower() in ("1", "true"):
                return True
            if text.lower() in ("0", "false"):
                return False
            raise ValueError(text)
        if kind is int:
            return int(float(text))
        if kind is float:
            return float(text)
    except ValueError:
        raise SpecError(f"{where}: value {raw!r} is not a {kind.__name__}") from None
    choices = meta["choices"]
    if text.upper() not in choices:
        raise SpecError(f"{where}: {text!r} is not one the native core knows "
                        f"({', '.join(choices)})" + did_you_mean(text.upper(), choices))
    return text.upper()


def spec_params(members: dict[str, Node], cls: type, prefix: str, where: str,
                missing: list[str]) -> dict[str, Any]:
    """Every leaf of record ``cls`` that the project stores, as ``{prefix+path: value}``."""
    out = {}
    for path, f in leaf_fields(cls):
        raw = _lookup(members, path)
        if raw is None:
            missing.append(prefix + path)
            continue
        out[prefix + path] = convert(raw, f.metadata, f"{where}: {path}")
    return out


# ----------------------------------------------------------------------------------- reader

class ProjectReader:
    """Turns one parsed project into a Model (see :func:`load_project`)."""

    def __init__(self, dump: Dump, path: Path) -> None:
        self.dump, self.path = dump, path

    def where(self, node: Block) -> str:
        return f"{self.path}:{node.line}"

    def read(self, network: int, skip_unsupported: bool, patterns, table: str | None) -> ImportedProject:
        dump = self.dump
        try:
            net_blk = dump.find(f".networks[{network}]")
        except KeyError:
            raise SpecError(f"{self.path}: the project has no network .networks[{network}]") from None
        specs = SpecTree(dump, net_blk)
        net_name = identifier(net_blk.name or "Network", f"{self.path}: network name")
        net = Network(net_name)
        entries: dict[str, dict[str, Any]] = {}
        missing: dict[str, list[str]] = {}
        docs: dict[str, str] = {}
        lines: dict[str, int] = {}          # selector -> line of its object in the project

        # network-level parameters
        miss: list[str] = []
        members = {m.name if not isinstance(m, Block) else m.name_: m for m in net_blk.members()}
        entries["Network"] = spec_params(members, NetworkSpec, "", f"{self.where(net_blk)} network", miss)
        docs["Network"] = f"{self.path.name}: network '{net_blk.name}'"
        lines["Network"] = net_blk.line
        missing["Network"] = miss

        refused: list[str] = []          # what the native core cannot run (named)
        skipped: list[str] = []          # what was left out (off projections; --skip-unsupported)
        why = not_native("network", net_blk)
        if why:
            raise SpecError(f"{self.where(net_blk)}: {why} (only Leabra networks run natively)")
        layers_blk = net_blk.get("layers")
        flat = flat_layers(layers_blk) if isinstance(layers_blk, Block) else []
        if not flat:
            raise SpecError(f"{self.where(net_blk)}: network '{net_blk.name}' has no layers")
        by_id: dict[int, str] = {}
        left_out: dict[int, str] = {}    # id(layer block) -> name, for layers left out
        for lb, owners in flat:
            name = lb.name or ""
            unit = specs.spec_at(lb, "unit_spec", f"layer '{name}'")
            lspec = specs.spec_at(lb, "spec", f"layer '{name}'")
            bias = specs.spec_at(unit, "bias_spec", f"unit spec '{unit.name}'")
            lay = self.layer(lb, group_classes(owners), lspec.type if lspec.type in LAYER_SPECS else "")
            where = f"{self.where(lb)} layer '{lay.name}'"
            whys = [w for w in (not_native("layer", lb), not_native("layer spec", lspec),
                                not_native("unit spec", unit), not_native("bias spec", bias)) if w]
            if whys:
                text = f"layer '{lay.name}' (line {lb.line}): {'; '.join(whys)}"
                (skipped if skip_unsupported else refused).append(text)
                left_out[id(lb)] = lay.name
                continue
            net.add_layer(lay)
            by_id[id(lb)] = lay.name
            miss: list[str] = []
            params = spec_params(specs.resolved(unit), UnitSpec, "", f"{where} unit spec '{unit.name}'", miss)
            params.update(spec_params(specs.resolved(lspec), lay.layer_spec, "",
                                      f"{where} layer spec '{lspec.name}'", miss))
            params.update(spec_params(specs.resolved(bias), BiasSpec, "bias.", f"{where} bias spec '{bias.name}'", miss))
            entries["#" + lay.name] = params
            lines["#" + lay.name] = lb.line
            docs["#" + lay.name] = (f"{self.path.name}: layer '{lay.name}' (specs {lspec.name}, "
                                    f"{unit.name}, {bias.name})")
            missing["#" + lay.name] = miss

        emergent_names: dict[str, str] = {}
        for lb, _ in flat:
            recv = by_id.get(id(lb)) or left_out[id(lb)]
            prjns = lb.get("projections")
            for pb in (prjns.elements if isinstance(prjns, Block) else []):
                label = f"{recv}.{pb.name} ({self.where(pb)})"
                if pb.value("off", "0") == "1":
                    skipped.append(f"{label}: off")
                    continue
                ref = parse_ref(pb.value("from", ""))
                send_blk = dump.try_find(ref.path) if ref else None
                if send_blk is not None and (id(lb) in left_out or id(send_blk) in left_out):
                    gone = recv if id(lb) in left_out else left_out[id(send_blk)]
                    text = f"projection {send_blk.name}->{recv} ('{pb.name}', line {pb.line}): "
                    if skip_unsupported:
                        skipped.append(text + f"its layer '{gone}' is left out")
                    else:                      # name every missing feature, not only the layer's
                        whys = self.prjn_types(pb, specs, recv)
                        if whys:
                            refused.append(text + "; ".join(whys))
                    continue
                if send_blk is None or id(send_blk) not in by_id:
                    raise SpecError(f"{self.where(pb)}: projection '{pb.name}' into '{recv}' comes "
                                    f"from {pb.value('from', 'NULL')!r}, which is not a layer of "
                                    f"network '{net_name}'")
                send = by_id[id(send_blk)]
                pspec = specs.spec_at(pb, "spec", f"projection '{pb.name}' into '{recv}'")
                con = specs.spec_at(pb, "con_spec", f"projection '{pb.name}' into '{recv}'")
                whys = self.prjn_types(pb, specs, recv)
                pattern, why = (None, "") if whys else self.pattern(pspec, specs, net.layers[send],
                                                                    net.layers[recv])
                if pattern is None:
                    whys = whys or [f"projection spec '{pspec.name}' is a {pspec.type}{why}"]
                    text = f"projection {send}->{recv} ('{pb.name}', line {pb.line}): {'; '.join(whys)}"
                    (skipped if skip_unsupported else refused).append(text)
                    continue
                name = f"{send}->{recv}"
                if (re.fullmatch(r"[A-Za-z_]\w*", pb.name or "")
                        and not re.fullmatch(rf"Fm_{re.escape(send)}(_\d+)?", pb.name)):
                    name = pb.name           # a custom name (emergent's default is Fm_<Sender>)
                k = 2
                while name in net.projections:
                    name, k = f"{send}->{recv}_{k}", k + 1
                net.add_projection(Projection(send, recv, pattern, name=name))
                emergent_names[name] = pb.name
                miss = []
                entries["#" + name] = spec_params(specs.resolved(con), ConSpec, "",
                                                  f"{self.where(pb)} projection {name} con spec '{con.name}'", miss)
                lines["#" + name] = pb.line
                docs["#" + name] = f"{self.path.name}: projection '{pb.name}' into '{recv}' (con spec {con.name})"
                missing["#" + name] = miss
        if refused:
            raise SpecError(f"{self.path}: the native core cannot run " + "; ".join(refused)
                            + " (import with skip_unsupported=True / --skip-unsupported to leave "
                            "them out)")
        if not net.layers:
            raise SpecError(f"{self.path}: every layer of network '{net_blk.name}' is left out: "
                            + "; ".join(skipped))

        # `emergent-py show` then names the project file and the line of each layer/projection
        sheet = Sheet([Sel(k, v, doc=docs[k], line=lines[k]) for k, v in entries.items() if v],
                      name=SHEET_NAME, _origin=f"{self.path}:1")
        # what emergent 8.6.1 converts on loading a project saved by an older version
        conv = conversion_sheet(dump.version, entries, lines, net, f"{self.path}:1")
        table_name, choice = "", None
        if patterns is None:
            choice = self.input_table(table, net)
            table_name = choice.table.name or ""
            pats = grouped_patterns(self.table_patterns(choice.table, net), net)
        elif isinstance(patterns, Patterns):
            pats = patterns
        else:          # a .dat the user gives (--patterns): flat columns of grouped layers as tables
            pats = grouped_patterns(Patterns.from_dat(str(patterns)), net)
        plan = self.run_plan(net_blk)
        notes = [f"imported from {self.path.name}: left out {s}" for s in skipped if not s.endswith(": off")]
        try:
            model = Model(net, [sheet] + ([conv] if conv else []), pats, plan, notes)
        except SpecError as e:
            raise SpecError(f"{self.path}: {e}") from e
        return ImportedProject(model, self.path, dump.version, skipped, missing, table_name,
                               emergent_names, conversions=[describe(s) for s in conv or ()],
                               table_how=choice.how if choice else ("" if isinstance(patterns, Patterns)
                                                                     else f"--patterns {patterns}"),
                               tables=choice.candidates if choice else [])

    # -- layers and projections
    def layer(self, lb: Block, cls: str = "", spec_type: str = "") -> Layer:
        """The layer of block ``lb``; ``spec_type``: its layer spec's type, when one the spec API
        has (else the layer is refused by its type, and the default is as good as any)."""
        name = identifier(lb.name or "", f"{self.where(lb)}: layer name")
        kind = lb.value("layer_type", "HIDDEN")
        if kind not in LAYER_TYPES:
            raise SpecError(f"{self.where(lb)}: layer '{name}' has layer_type {kind}, not one of "
                            f"{', '.join(LAYER_TYPES)}")
        ux, uy = _int(lb, "un_geom.x"), _int(lb, "un_geom.y")
        for geom in ("un_geom", "gp_geom"):
            if lb.value(f"{geom}.n_not_xy", "0") == "1" and (geom == "un_geom" or lb.value("unit_groups", "0") == "1"):
                raise SpecError(f"{self.where(lb)}: layer '{name}' has {geom}.n_not_xy=1 (fewer units "
                                "than x*y), which the native core does not implement; make n = x*y in emergent")
        if lb.value("unit_groups", "0") == "1":
            gx, gy = _int(lb, "gp_geom.x"), _int(lb, "gp_geom.y")
            shape: tuple[int, ...] = (gy, gx, uy, ux)
        else:
            shape = (uy, ux)
        if "LESIONED" in lb.value("flags", ""):
            raise SpecError(f"{self.where(lb)}: layer '{name}' is lesioned; the native core has no "
                            "lesions (un-lesion it in emergent or remove it)")
        return Layer(name, shape, kind.lower(), cls, *([spec_type] if spec_type else []))

    def prjn_types(self, pb: Block, specs: SpecTree, recv: str) -> list[str]:
        """Why the native core cannot take projection ``pb`` by its types (none: [])."""
        where = f"projection '{pb.name}' into '{recv}'"
        return [w for w in (not_native("projection", pb),
                            not_native("projection spec", specs.spec_at(pb, "spec", where)),
                            not_native("con spec", specs.spec_at(pb, "con_spec", where))) if w]

    def pattern(self, pspec: Block, specs: SpecTree, send: Layer, recv: Layer):
        """(pattern, '') for a supported projection spec, else (None, reason)."""
        res = specs.resolved(pspec)
        raw = lambda name, default="": unquote(res[name].raw) if isinstance(res.get(name), Member) else default
        if pspec.type in GEOMETRY_SPECS:
            pat, why = geometry_pattern(pspec.type, res)
            if pat is not None:
                try:
                    pat.check(send, recv, f"projection {send.name}->{recv.name}")
                except SpecError as e:
                    return None, f": {str(e).split(': ', 1)[1]}"
            return pat, why
        if pspec.type not in NATIVE_TYPES["projection spec"]:
            return None, ""
        if raw("init_wts", "0") == "1":
            return None, ", init_wts=1: the projection spec sets the weights itself"
        if send.name == recv.name and raw("self_con", "0") == "0" and pspec.type != "OneToOnePrjnSpec":
            return None, ", a self projection without self connections"
        if pspec.type == "FullPrjnSpec":
            return Full(), ""
        if pspec.type == "OneToOnePrjnSpec":
            if (raw("n_conns", "-1") not in ("-1", str(recv.n_units)) or raw("recv_start", "0") != "0"
                    or raw("send_start", "0") != "0"):
                return None, ", with n_conns/recv_start/send_start set"
            if send.n_units != recv.n_units:
                return None, f", between layers of {send.n_units} and {recv.n_units} units"
            return OneToOne(), ""
        p = float(raw("p_con", "0.25"))
        seed_blk = res.get("rndm_seed")
        seed = int(seed_blk.value("rnd_seed", "0")) if (raw("same_seed", "0") == "1"
                                                          and isinstance(seed_blk, Block)) else 0
        return UniformRandom(p, seed), ""

    # -- input data (input_tables.py: which table, its valid rows)
    def input_table(self, name: str | None, net: Network) -> TableChoice:
        return select_table(self.dump, str(self.path), _pattern_layers(net), name)

    def table_patterns(self, tbl: Block, net: Network) -> Patterns:
        return table_patterns(tbl, _pattern_layers(net), str(self.path), self.path.parent)

    # -- run plan
    def run_plan(self, net_blk: Block) -> RunPlan:
        train = find_program(self.dump, "LeabraTrain")
        epoch = find_program(self.dump, "LeabraEpoch")
        kw: dict[str, Any] = {}
        if train is not None:
            max_epoch = program_var(train, "max_epoch")
            if max_epoch is not None:
                kw["epochs"] = max(int(float(max_epoch)), 1)
            crit = program_var(train, "err_stopcrit")
            if crit is not None:
                kw["stop_cnt_err"] = None if float(crit) < 0 else int(float(crit))
            n_under = program_var(train, "n_under_thr")
            if n_under is not None:
                kw["stop_n_under"] = max(int(float(n_under)), 1)
        if epoch is not None:
            order = program_var(epoch, "data_loop_order")
            if order is not None:
                kw["order"] = ORDERS.get(int(float(order)), "permuted")
        wt_update = net_blk.value("wt_update", "ON_LINE").lower()
        kw["wt_update"] = wt_update if wt_update in ("on_line", "batch", "small_batch") else "on_line"
        kw["small_batch_n"] = max(int(net_blk.value("small_batch_n", "10")), 1)
        return RunPlan(**kw)


# ----------------------------------------------------------------------------------- helpers

def identifier(name: str, where: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SpecError(f"{where} {name!r} is not an identifier; rename it in emergent "
                        "(emergent_py uses names in selectors and column names)")
    return name


def _int(blk: Block, path: str) -> int:
    try:
        return int(blk.value(path))
    except (KeyError, ValueError):
        raise FormatError(f"{blk.location}: {blk.label} '{blk.name}' has no integer {path}") from None


def _pattern_layers(net: Network) -> list[str]:
    return [l.name for l in net.layers.values() if l.kind.value != "HIDDEN"]
