"""Geometry projection specs of real projects (GaussRF in projection_sampler, Tessel and
GpOneToOne in the PBWM/PVLV wizards) imported as the spec API's patterns and run natively with
exactly that connectivity and the weights the specs set."""
from __future__ import annotations

import numpy as np

from emergent_py import Patterns
from emergent_py.emergent.dump import Dump, Member
from emergent_py.emergent.project import SpecTree, import_project
from emergent_py.emergent.project_prjns import geometry_pattern
from emergent_py.leabra.network import Network as NativeNet
from emergent_py.leabra.run import Run
from emergent_py.spec import GaussRF, GpOneToOne, Tessel


def _sampler_with_input(reference, tmp_path):
    """projection_sampler (all layers hidden, no input table) with its Sender made an input."""
    d = Dump.read(reference / "cemer/demo/network_misc/projection_sampler.proj")
    d.find(".networks[0].layers[0]").set("layer_type", "INPUT")
    path = tmp_path / "sampler.proj"
    d.write(path)
    return path


def test_gauss_rf_of_projection_sampler(reference, tmp_path):
    path = _sampler_with_input(reference, tmp_path)
    pats = Patterns.random(2, {"Sender": (12, 12)}, seed=3)
    m = import_project(path, patterns=pats).model
    prj = {p.name: p.pattern for p in m.network.projections.values()}
    assert prj == {
        "Sender->HalfOvlp4x4": GaussRF(rf_width=(4, 4), rf_move=(2.0, 2.0), gauss_sigma=1.0, wrap=False,
                                       self_con=False, init_wts=True, add_rnd_var=True),
        "Sender->NoOvlp4x4": GaussRF(rf_width=(4, 4), rf_move=(4.0, 4.0), gauss_sigma=1.0, wrap=False,
                                     self_con=False, init_wts=True, add_rnd_var=False),
        "Self->Self": GaussRF(rf_width=(7, 7), rf_move=(1.0, 1.0), gauss_sigma=2.0, wrap=True,
                              self_con=True, init_wts=True, add_rnd_var=False)}
    net = NativeNet(m, seed=1)
    # NoOvlp: 3x3 receivers, each a disjoint 4x4 window of the 12x12 sender, weights the gaussian
    no = net.projections["Sender->NoOvlp4x4"]
    w = no.var("wt")                                        # (n_recv, n_send)
    cells = np.array([np.exp(-((i % 4 - 1.5) ** 2 + (i // 4 - 1.5) ** 2) / 2) for i in range(16)])
    for r in range(9):
        ry, rx = divmod(r, 3)
        senders = [(4 * ry + cy) * 12 + 4 * rx + cx for cy in range(4) for cx in range(4)]
        assert sorted(np.flatnonzero(no.mask[:, r])) == senders
        np.testing.assert_allclose(w[r, senders], cells, rtol=1e-6)
    assert no.ncons == 16
    # HalfOvlp adds the con spec's random deviation (add_rnd_var): |wt - gaussian| <= rnd.var
    half = net.projections["Sender->HalfOvlp4x4"]
    var = m.prjn_params["Sender->HalfOvlp4x4"].con.rnd.var
    conns = prj["Sender->HalfOvlp4x4"].connections((12, 12), (5, 5))
    for r in (0, 12, 24):
        dev = half.var("wt")[r, conns[r]] - np.clip(cells, 0, 1)
        assert np.all(np.abs(dev) <= var + 1e-6) and np.any(dev != 0)
    # the self projection keeps its self connection (self_con=1): 49 senders each
    self_p = net.projections["Self->Self"]
    assert self_p.mask.sum(axis=0).tolist() == [49] * 100 and self_p.mask[0, 0]
    row = Run(m, seed=1).trial()
    assert np.isfinite(row["sse"])


def _spec_members(path, spec_name):
    """(type, resolved members) of the spec called ``spec_name`` in any network of a project."""
    d = Dump.read(path)
    for net in d.find(".networks").elements:
        tree = SpecTree(d, net)
        for blk in (b for b in net.walk() if getattr(b, "kind", "") == "object"):
            if blk.type.endswith("Spec") and blk.name == spec_name:
                return blk.type, tree.resolved(blk)
    raise KeyError(spec_name)


def test_tessel_and_gp_one_to_one_of_the_pbwm_wizard(reference):
    path = reference / "cemer/demo/leabra/ax_tutorial_cptax_pfcbg.proj"
    kind, members = _spec_members(path, "TesselOneToOne")
    assert geometry_pattern(kind, members) == (Tessel(((0, 0, 1.0),), wrap=True), "")
    kind, members = _spec_members(path, "PBWMGpOneToOne")
    pat, why = geometry_pattern(kind, members)
    assert why == "" and isinstance(pat, GpOneToOne) and pat.self_con


def test_tiled_gp_rf_of_projection_sampler(reference):
    from emergent_py.spec import TiledGpRF
    path = reference / "cemer/demo/network_misc/projection_sampler.proj"
    kind, members = _spec_members(path, "TiledGpRF")
    assert geometry_pattern(kind, members) == (TiledGpRF(
        send_gp_size=(4, 4), send_gp_skip=(2, 2), send_gp_start=(-1, -1), wrap=True, init_wts=True,
        full_gauss=(False, 0.6, True, 1.0), gp_gauss=(True, 0.6, False, 1.0), wt_range=(0.1, 0.9)), "")
    # its child inherits all but 'reciprocal', which it sets: the transpose is not modelled
    kind, members = _spec_members(path, "TiledGpRFrecip")
    assert geometry_pattern(kind, members) == (None, ", reciprocal=1 (the transpose of another projection)")


def test_geometry_specs_the_patterns_do_not_model_are_refused(reference):
    path = reference / "cemer/demo/network_misc/projection_sampler.proj"
    kind, members = _spec_members(path, "GaussRF_NoOvlp4x4")
    members = {**members, "set_scale": Member("set_scale", "1")}
    assert geometry_pattern(kind, members) == (None, ", init_wts with set_scale=1 (weights set as scales)")
    members = {**members, "set_scale": Member("set_scale", "0"), "init_wts": Member("init_wts", "0")}
    assert geometry_pattern(kind, members)[0].init_wts is False


def test_proj_writes_geometry_specs_and_they_read_back(reference, tmp_path):
    """`proj` writes Tessel/GpTessel/GaussRF (types copied from projection_sampler, a prototype)
    and GpOneToOne (from cereb_arm); importing the written project gives the same patterns."""
    from emergent_py import Model, Network, RunPlan, Sheet
    from emergent_py.emergent.dump import ref_problems, size_mismatches
    from emergent_py.emergent.generate import write_project
    from emergent_py.emergent.project import load_project
    from emergent_py.spec import GpTessel, TiledGpRF
    net = Network("Geo")
    net.layer("In", (6, 6), kind="input")
    net.layer("H", (3, 3))
    net.layer("Out", (2, 2, 1, 2), kind="target")
    net.layer("Grp", (2, 2, 1, 1))
    net.connect("In", "H", GaussRF(rf_width=(4, 4), rf_move=(2, 2), add_rnd_var=True))
    net.connect("H", "Out", Tessel(((0, 0, 0.5), (1, 0, 0.25)), send_scale=(1.5, 1), wrap=False,
                                   init_wts=True))
    net.connect("Out", "Grp", GpTessel(((0, 0), (1, 0)), wrap=False))
    net.connect("Grp", "Out", GpOneToOne())
    net.layer("Tiled", (2, 2, 2, 2))
    net.connect("Out", "Tiled", TiledGpRF(send_gp_size=(2, 2), send_gp_skip=(1, 1), send_gp_start=(0, 0),
                                          wrap=False, init_wts=True, wt_range=(0.2, 0.7)))
    pats = Patterns.random(3, {"In": (6, 6), "Out": (2, 2, 1, 2)}, seed=1)
    m = Model(net, Sheet({"Prjn": {"rnd.var": 0.1}}), pats, RunPlan(epochs=1))
    out = tmp_path / "geo.proj"
    write_project(m, out, reference / "proj_templates/LeabraStd.proj",
                  prototypes=[reference / "cemer/demo/network_misc/projection_sampler.proj",
                              reference / "cemer/demo/virt_env/cereb_arm.proj"])
    d = Dump.read(out)
    assert size_mismatches(d) == []
    template = Dump.read(reference / "proj_templates/LeabraStd.proj")
    unlined = lambda probs: sorted(p.split(": ", 1)[1] for p in probs)
    assert unlined(ref_problems(d)) == unlined(ref_problems(template))     # only the template's own
    back = load_project(out)
    assert list(back.network.layers.values()) == list(m.network.layers.values())
    assert back.network.projections == m.network.projections     # (emergent: by receiving layer)
    assert back.resolved_dict() == m.resolved_dict()
    tess = next(b for b in d.find(".networks[0].specs").elements if b.type == "TesselPrjnSpec")
    assert [(e.value("send_off.x"), e.value("wt_val")) for e in tess.get("send_offs").elements] == [
        ("0", "0.5"), ("1", "0.25")]


def test_tiled_gp_rf_weights_in_the_native_core():
    from emergent_py import Model, Network, RunPlan, Sheet
    from emergent_py.spec import TiledGpRF
    net = Network("T")
    net.layer("In", (2, 2, 2, 2), kind="input")
    net.layer("H", (2, 2, 2, 2))
    t = TiledGpRF(send_gp_size=(2, 2), send_gp_skip=(1, 1), send_gp_start=(0, 0), wrap=False,
                  init_wts=True, wt_range=(0.2, 0.7))
    net.connect("In", "H", t)
    m = Model(net, Sheet({"Prjn": {"rnd.var": 0.2, "wt_limits.sym": False}}),
              Patterns.random(2, {"In": (2, 2, 2, 2)}, seed=1), RunPlan(epochs=1))
    p = NativeNet(m, seed=2).projections["In->H"]
    conns, vals = t.connections((2, 2, 2, 2), (2, 2, 2, 2)), t.values((2, 2, 2, 2), (2, 2, 2, 2))
    w = p.var("wt")
    for r in range(16):        # the spec's values exactly (no add_rnd_var: the draw is unused)
        np.testing.assert_allclose(w[r, conns[r]], vals[r], rtol=1e-6)
        assert np.count_nonzero(p.mask[:, r]) == len(conns[r])
    assert np.isfinite(Run(m, seed=1).trial()["sse"])


def test_import_proj_writes_geometry_patterns_readably(reference, tmp_path):
    from emergent_py.emergent.dat import write_dat
    from emergent_py.spec import load_model
    from emergent_py.spec.python_source import model_source
    from emergent_py.spec.python_source import _pattern
    assert _pattern(Tessel(((0, 0, 0.5),), wrap=False, init_wts=True)) == \
        "Tessel(offsets=((0, 0, 0.5),), wrap=False, init_wts=True)"       # only what is not default
    assert _pattern(GaussRF(rf_width=(4, 4), rf_move=(2, 2))) == "GaussRF(rf_width=(4, 4), rf_move=(2.0, 2.0))"
    path = _sampler_with_input(reference, tmp_path)
    m = import_project(path, patterns=Patterns.random(2, {"Sender": (12, 12)}, seed=3)).model
    write_dat(tmp_path / "s.dat", {"Name": np.array(m.patterns.names), "Sender": m.patterns["Sender"]})
    (tmp_path / "s.py").write_text(model_source(m, "s.dat"))
    back = load_model(tmp_path / "s.py")
    assert back.network == m.network and back.resolved_dict() == m.resolved_dict()
    assert "GaussRF(rf_width=(4, 4), rf_move=(4.0, 4.0))" in (tmp_path / "s.py").read_text()
