"""Generation: a :class:`~emergent_py.spec.Model` -> an emergent 8.x project, by template splice.

The user's emergent installation provides the template (``proj_templates/LeabraStd.proj``);
this package never ships emergent's files. From the model we generate only:

* the network ``.networks[0]`` in both passes: flat specs (no spec children, so no inheritance
  applies; every parameter written explicitly, derived members recomputed), layers,
  projections, ``send_prjns`` links, and optionally a ``Weights`` object that loads initial
  weights at the end of every weight initialisation (emergent-formats.md 3.4, option 1);
* the input table ``.data.gp[0][0]``: rows saved in the project (``SAVE_ROWS``) or an
  auto-loaded ``.dat`` written next to it;
* the project ``name`` (it names every output file emergent writes);
* the run plan's numbers: LeabraTrain ``max_epoch``/``err_stopcrit``/``n_under_thr``,
  LeabraBatch ``n_batches=1``, LeabraEpoch ``data_loop_order`` and its NetDataLoop ``order``,
  the network's ``wt_update``/``small_batch_n``/``wt_save_fmt``; optionally the trial log on.

Everything else in the template stays byte-identical. Spec members are written into copies of
the template's own spec objects, so every parameter name is checked against the members the
template's types actually have; a parameter the template's emergent version lacks is an error
unless the model leaves it at its default. Types the template lacks (e.g. OneToOnePrjnSpec in
LeabraStd) are taken from ``prototypes`` projects, or are an error naming the type.

After splicing, the result is checked: every pointer resolves to an object of the right type,
and every skeleton list size matches the value pass.

This module holds the entry points (:func:`find_template`, :func:`generate`,
:func:`write_project`, :func:`native_initial_weights`, :func:`check_generated`) and
:class:`Splicer` with its :meth:`~Splicer.splice`, which calls the parts it is made of, one
module each: :mod:`.splice_specs` (template blocks, prototypes, the model's parameter specs),
:mod:`.splice_network` (layers, projections, initial weights, repointed references) and
:mod:`.splice_run` (input table, run plan).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import FormatError, SpecError
from ..spec.model import Model
from ..spec.network import OneToOne, UniformRandom
from ..spec.params import NetworkSpec
from .dump import Dump, Member, quote, ref_problems, size_mismatches, write_atomic
from .project import identifier
from .splice_network import NetworkSplice
from .splice_run import RunSplice
from .splice_specs import NET, SpecSplice

TEMPLATE_NAME = "LeabraStd.proj"
TEMPLATE_ENV = "EMERGENT_TEMPLATES"
WT_FORMATS = ("TEXT", "BINARY")


# ----------------------------------------------------------------------------------- template

def find_template(explicit: str | os.PathLike | None = None, name: str = TEMPLATE_NAME) -> Path:
    """Locate the template: ``explicit``, then ``$EMERGENT_TEMPLATES`` (a folder or the file),
    then the share folder of an ``emergent`` on PATH. SpecError says where it looked."""
    looked: list[str] = []
    if explicit is not None:
        p = Path(explicit)
        if p.is_file():
            return p
        raise SpecError(f"--template {p}: no such file")
    env = os.environ.get(TEMPLATE_ENV)
    if env:
        for cand in (Path(env), Path(env) / name, Path(env) / "proj_templates" / name):
            if cand.is_file():
                return cand
            looked.append(str(cand))
    else:
        looked.append(f"${TEMPLATE_ENV} (not set)")
    exe = shutil.which("emergent")
    if exe:
        prefix = Path(os.path.realpath(exe)).parent.parent
        for cand in (prefix / "share" / "Emergent" / "proj_templates" / name,
                     prefix / "share" / "emergent" / "proj_templates" / name):
            if cand.is_file():
                return cand
            looked.append(str(cand))
    else:
        looked.append("emergent on PATH (not found)")
    raise SpecError(f"no emergent project template {name} found; looked in: {'; '.join(looked)}. "
                    f"Pass --template PATH/{name} (from your emergent installation's "
                    f"proj_templates folder) or set {TEMPLATE_ENV}")


# ----------------------------------------------------------------------------------- generation

@dataclass
class GeneratedProject:
    """The spliced project plus the side files it refers to (written by :func:`write_project`)."""
    dump: Dump
    name: str
    dat: tuple[str, Any] | None = None        # (file name, DatTable columns) when auto-loading
    wts: tuple[str, Any] | None = None        # (file name, WtsFile) for initial weights


class Splicer(NetworkSplice, RunSplice, SpecSplice):
    """Splices one model into a parsed template (see the module docstring)."""

    def __init__(self, template: Dump, prototypes: Iterable[Dump] = ()) -> None:
        self.t = template
        self.sources = [template, *prototypes]
        self.net_v = self._find(template, NET, "the network .networks[0]")
        skel = template.skeleton_find(NET)
        if skel is None:
            raise FormatError(f"{template.where}: the template has no skeleton pass for {NET}")
        self.net_s = skel
        self.depth = 4                   # specs and layers sit at depth 4 in both passes
        self.unresolved = {r.path for _, _, r in template.refs() if template.try_find(r.path) is None}
        # old path under .networks[0] -> type, for repointing references from outside
        self.old_types = {p: b.type for p, b in template.paths(NET) if b.kind == "object"}

    # -- the splice
    def splice(self, model: Model, name: str, *, auto_load: str | None = None, wts_file: str | None = None,
               wt_format: str = "BINARY", trial_log: bool = False) -> Dump:
        if wt_format.upper() not in WT_FORMATS:
            raise SpecError(f"wt_format {wt_format!r} is not one of {', '.join(WT_FORMATS)}")
        net = model.network
        lay_specs, prj_specs = self.splice_specs(model)
        # ---- layers and projections
        self._layers(model, lay_specs, prj_specs)
        # ---- network members
        nv = self.net_v
        nv.set("name", quote(net.name))
        nv.set("wt_update", model.plan.wt_update.upper())
        nv.set("small_batch_n", str(model.plan.small_batch_n))
        nv.set("wt_save_fmt", wt_format.upper())
        self.write_record(nv, model.network_params.network, NetworkSpec, f"network '{net.name}'")
        n_cons = sum(_n_cons(model, p) for p in net.projections.values())
        # emergent's n_units counts one extra (its unit 0 placeholder): 75 units -> n_units=76
        for member, value in (("n_units", sum(l.n_units for l in net.layers.values()) + 1), ("n_cons", n_cons),
                              ("max_prjns", max([len(net.receiving(l)) for l in net.layers] + [0]))):
            if isinstance(nv.get(member), Member):
                nv.set(member, str(value))
        self._weights(wts_file)
        # ---- references elsewhere in the template that pointed into the old network
        self._repoint()
        # ---- input data, project name, run plan
        self._input_table(model, auto_load)
        self.t.value_root.set("name", quote(name))
        self._run_plan(model, trial_log)
        return self.t


def _n_cons(model: Model, prj) -> int:
    send, recv = model.network.layers[prj.send], model.network.layers[prj.recv]
    if isinstance(prj.pattern, OneToOne):
        return recv.n_units
    if isinstance(prj.pattern, UniformRandom):
        return int(round(prj.pattern.p * send.n_units)) * recv.n_units
    return send.n_units * recv.n_units


# ----------------------------------------------------------------------------------- entry points

def check_generated(dump: Dump, known: Iterable[str] = ()) -> None:
    """Raise FormatError if a pointer is dangling or of the wrong type, or a skeleton list size
    differs from the value pass. ``known``: paths already unresolved in the template (members
    emergent never saves, such as ``.networks[0].train_time``)."""
    problems = ref_problems(dump, known) + size_mismatches(dump)
    if problems:
        raise FormatError(f"generated project is inconsistent ({len(problems)} problems): "
                          + "; ".join(problems[:8]))


def generate(model: Model, template: str | os.PathLike | None = None, *, name: str | None = None,
             prototypes: Iterable[str | os.PathLike] = (), auto_load: str | None = None,
             init_weights: Any = None, wts_name: str | None = None, wt_format: str = "BINARY",
             trial_log: bool = False) -> GeneratedProject:
    """Splice ``model`` into the template; return the checked project (nothing written yet).

    Parameters
    ----------
    model : the validated spec
    template : the template file; default :func:`find_template`
    name : the project name (names every output file emergent writes); default the network name
    prototypes : projects to copy spec types from that the template lacks
    auto_load : instead of saving the rows in the project, auto-load this ``.dat`` file name
        (relative to the project's folder); :func:`write_project` writes it
    init_weights : a :class:`~emergent_py.emergent.wts.WtsFile` of initial weights to load at every
        weight initialisation (written as ``wts_name``, default ``<name>_init.wts``)
    wt_format : the network's wt_save_fmt for the weights emergent saves (BINARY = exact float32)
    trial_log : switch the template's trial log (``<name><tag>.trl.dat``) on
    """
    path = find_template(template)
    tmpl = Dump.read(path)
    protos = [Dump.read(p) for p in prototypes]
    name = name or model.network.name
    identifier(name, "project name")
    wfile = None
    if init_weights is not None:
        wfile = wts_name or f"{name}_init.wts"
    splicer = Splicer(tmpl, protos)
    out = splicer.splice(model, name, auto_load=auto_load, wts_file=wfile, wt_format=wt_format,
                         trial_log=trial_log)
    check_generated(out, splicer.unresolved)
    dat = None
    if auto_load is not None:
        cols: dict[str, Any] = {"Name": np.array(model.patterns.names)}
        for lay in model.network.layers.values():
            if lay.name in model.patterns:
                cols[lay.name] = model.patterns[lay.name]
        dat = (auto_load, cols)
    return GeneratedProject(out, name, dat, (wfile, init_weights) if wfile else None)


def write_project(model: Model, out: str | os.PathLike, template: str | os.PathLike | None = None,
                  **kw: Any) -> Path:
    """Generate and write ``out`` (and its ``.dat``/``.wts`` side files) atomically: each file
    goes to a temporary name and is renamed only when complete; nothing is written on error.
    The project name defaults to the file's stem."""
    out = Path(out)
    kw.setdefault("name", out.name[:-len(".proj")] if out.name.endswith(".proj") else out.stem)
    gen = generate(model, template, **kw)
    data = gen.dump.to_bytes()
    if gen.dat is not None:
        from .dat import write_dat
        write_dat(out.parent / gen.dat[0], gen.dat[1])
    if gen.wts is not None:
        from .wts import write_wts
        write_wts(out.parent / gen.wts[0], gen.wts[1])
    write_atomic(out, data, gz=out.name.endswith(".gz"))
    return out


def native_initial_weights(model: Model, fmt: str = "BINARY"):
    """The native core's initial weights for ``model`` (seeded by the plan) as a WtsFile."""
    from ..leabra.network import Network as NativeNetwork
    from .wts import WtsFile
    net = NativeNetwork(model)
    layers = {l.name: l.n for l in net.lay_list}
    weights, masks = {}, {}
    for p in net.prjn_list:
        key = (p.recv.name, p.send.name)
        weights[key] = np.asarray(p.wt, np.float32).T
        if getattr(p, "mask", None) is not None:
            masks[key] = np.asarray(p.mask, bool).T
    bias = net.units["bias_wt"]
    biases = {l.name: np.asarray(bias[l.start:l.start + l.n], np.float32) for l in net.lay_list}
    layer_vars = {l.name: {"acts_m_avg": float(net.lay["acts_m_avg"][i]),
                           "acts_p_avg": float(net.lay["acts_p_avg"][i]),
                           "acts_p_avg_eff": float(net.lay["acts_p_avg_eff"][i])}
                  for i, l in enumerate(net.lay_list)}
    return WtsFile.from_arrays(model.network.name, layers, weights, biases, masks or None,
                               layer_vars=layer_vars, fmt=fmt)
