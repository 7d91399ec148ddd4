"""What the importer must never get silently wrong: layers in layer groups, lists written by
name (8.0.x), spec subclasses the native core does not implement, what --skip-unsupported leaves
out (and says so), projects older than 8.x; and the Python model file written from a project."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from emergent_py import Patterns
from emergent_py.emergent.dump import Dump, parse_nodes
from emergent_py.emergent.project import import_project, load_project
from emergent_py.errors import SpecError
from emergent_py.leabra.run import Run
from emergent_py.spec import Full, load_model
from emergent_py.spec.sheet import Sheet

CEMER = "cemer"


def test_lists_written_by_name_8_0(reference):
    """emergent 8.0.x writes list elements by name (@["Network_0"], @["Input"]) and refers to
    them by name (.networks["Network_0"].layers["Input"])."""
    path = reference / CEMER / "patch_gen/LeabraStd_9721_v801.proj"
    d = Dump.read(path)
    assert d.find(".networks[0]") is d.find('.networks["Network_0"]')
    assert d.find(".networks[0].layers[2]").name == "Output"
    r = import_project(path)
    m = r.model
    assert r.version == "8.0.0.0"
    assert [(l.name, l.shape, l.kind.value) for l in m.network.layers.values()] == [
        ("Input", (5, 5), "INPUT"), ("Hidden", (5, 5), "HIDDEN"), ("Output", (5, 5), "TARGET")]
    assert [p.name for p in m.network.projections.values()] == [
        "Input->Hidden", "Output->Hidden", "Hidden->Output"]
    assert m.prjn_params["Output->Hidden"].con.wt_scale.rel == 0.2     # TopDownCons, by name
    assert m.patterns.n == 6 and m.notes == []


def _grouped_leabrastd(reference, tmp_path):
    """LeabraStd with its Hidden layer moved into a layer group 'Hid Group' (.layers.gp[0])."""
    d = Dump.read(reference / "proj_templates/LeabraStd.proj")
    layers = d.find(".networks[0].layers")
    inp, hid, out = layers.elements
    layers.remove(hid)
    out.set_path("@[1]")
    group = parse_nodes('\n    Layer_Group @.gp[0] {\n     name="Hid Group";\n     el_typ=LeabraLayer;'
                        '\n     el_def=0;\n    };', "<group>")[0]
    hid.set_path("@[0]")
    group.append(hid)
    layers.append(group)
    for _, member, ref in list(d.refs()):       # who pointed at layers[1] / layers[2]
        new = ref.path.replace(".layers[1]", ".layers.gp[0][0]").replace(".layers[2]", ".layers[1]")
        member.raw = member.raw.replace(ref.path, new)
    skel = d.skeleton_find(".networks[0].layers")       # the skeleton pass lists the group too
    skel_hid = next(c for c in skel.kids if getattr(c, "path", "") == "@[1]")
    skel.remove(skel_hid)
    next(c for c in skel.kids if getattr(c, "path", "") == "@[2]").set_path("@[1]")
    skel.set_size(2)
    sgroup = parse_nodes("\n    Layer_Group @.gp[0] = [1] {\n    };", "<skel group>")[0]
    skel_hid.set_path("@[0]")
    sgroup.append(skel_hid)
    skel.append(sgroup)
    path = tmp_path / "grouped.proj"
    d.write(path)
    return path


def test_layers_in_layer_groups_take_part(reference, tmp_path):
    path = _grouped_leabrastd(reference, tmp_path)
    m = load_project(path)
    # emergent's flat order: the group's own layers, then each sub-group's (depth first)
    assert [(l.name, l.cls) for l in m.network.layers.values()] == [
        ("Input", ""), ("Output", ""), ("Hidden", "Hid_Group")]
    # the same connectivity and specs as the ungrouped template
    plain = load_project(reference / "proj_templates/LeabraStd.proj")
    assert ({(p.send, p.recv, p.pattern) for p in m.network.projections.values()}
            == {(p.send, p.recv, p.pattern) for p in plain.network.projections.values()})
    assert m.resolved_dict()["layers"]["Hidden"] == plain.resolved_dict()["layers"]["Hidden"]
    assert m.prjn_params["Output->Hidden"].con.wt_scale.rel == 0.2
    # the group name is a selector class
    from emergent_py.spec.model import Model
    sheets = m.sheets + [Sheet({".Hid_Group": {"lay_inhib.gi": 2.4}}, name="user")]
    m2 = Model(m.network, sheets, m.patterns, m.plan)
    assert m2.layer_params["Hidden"].layer.lay_inhib.gi == 2.4
    assert m2.layer_params["Output"].layer.lay_inhib.gi == m.layer_params["Output"].layer.lay_inhib.gi
    row = Run(m, seed=1).trial()
    assert np.isfinite(row["sse"])


def test_pvlv_subclass_specs_are_refused_by_name(reference):
    """pvlv_wizard_v810 once imported 3 of its 30 layers (those outside its layer groups) and ran:
    now every layer in its groups is read, and the PVLV specs are refused by their type."""
    path = reference / CEMER / "patch_gen/pvlv_wizard_v810.proj"
    with pytest.raises(SpecError) as e:
        import_project(path)
    msg = str(e.value)
    assert ("layer 'ExtRew' (line 29466): layer spec 'ExtRewLayer' is an ExtRewLayerSpec, which the "
            "native core does not implement") in msg
    assert "layer 'BAAcqPosD1' (line 29682): unit spec 'BAAcqPosD1Units' is a BasAmygUnitSpec" in msg
    assert "layer 'VTAp'" in msg and "is a VTAUnitSpec" in msg          # in group PVLV_DA
    assert "MSNUnitSpec" in msg and "LatAmygConSpec" in msg
    assert "--skip-unsupported" in msg
    # leaving them out gets to the plain layers of the groups: PosPV (in PVLV_PV) is an input
    # layer the input table has no column for (PVLV's programs make its inputs)
    with pytest.raises(SpecError, match=r"Layer 'PosPV' is input but the patterns have no column"):
        import_project(path, skip_unsupported=True)


def test_skip_unsupported_leaves_layers_out_and_says_so(reference):
    path = reference / CEMER / "demo/virt_env/ve_arm.proj"
    two_d = "layer spec 'VisTwoDVal' is a TwoDValLayerSpec, which the native core does not implement"
    with pytest.raises(SpecError, match=rf"layer 'VisTarget_Cur' \(line 30900\): {two_d}"):
        load_project(path)
    with pytest.warns(UserWarning, match="LeabraTrain's saved input_data"):
        r = import_project(path, skip_unsupported=True)
    m = r.model
    assert "VisTarget_Cur" not in m.network.layers and "VisHand_Pred" not in m.network.layers
    assert m.network.layers["SomaShoulderAngle_Cur"].spec_type == "ScalarValLayerSpec"      # kept
    assert m.notes == [
        f"imported from ve_arm.proj: left out {what}" for what in (
            f"layer 'VisTarget_Cur' (line 30900): {two_d}",
            f"layer 'VisHand_Cur' (line 30953): {two_d}",
            f"layer 'VisHand_Pred' (line 31475): {two_d}",
            "projection VisFwdHidden->VisHand_Pred ('Fm_VisFwdHidden', line 31510): its layer "
            "'VisHand_Pred' is left out")]
    assert r.skipped == [n.split("left out ", 1)[1] for n in m.notes]
    # the notes travel with the model's JSON (run files store it)
    assert json.loads(m.to_json())["notes"] == m.notes
    assert type(m).from_json(m.to_json()).notes == m.notes
    assert "notes" not in json.loads(load_project(reference / "proj_templates/LeabraStd.proj").to_json())


def test_scalar_val_layers_import_as_themselves(reference):
    """scalar_val_test.proj: three ScalarValLayerSpec target layers (emergent-prjns.md 4.1), each
    with the members its spec stores (SV1's and SV2's own, SV3 a child spec with its unique
    members), and one input column of 1x1 per layer; it runs."""
    with pytest.warns(UserWarning, match="2 tables could be the input"):
        r = import_project(reference / CEMER / "demo/leabra/scalar_val_test.proj")
    m = r.model
    assert [(n, l.shape, l.kind.value, l.spec_type) for n, l in m.network.layers.items()] == [
        ("Input", (4, 4), "INPUT", "LeabraLayerSpec"), ("SV1", (1, 3), "TARGET", "ScalarValLayerSpec"),
        ("SV2", (1, 11), "TARGET", "ScalarValLayerSpec"), ("SV3", (1, 3), "TARGET", "ScalarValLayerSpec")]
    got = {}
    for n in ("SV1", "SV2", "SV3"):
        p = m.layer_params[n].layer
        got[n] = (p.scalar.rep, p.scalar.min_sum_act, p.scalar.init_nms, (p.unit_range.min, p.unit_range.max),
                  (p.avg_act_range.min, p.avg_act_range.max), p.lay_inhib.gi, p.lay_inhib.fb, p.clamp.gain,
                  p.bias_val.un, p.bias_val.wt)
    assert got == {
        "SV1": ("LOCALIST", 0.2, True, (0.0, 1.0), (0.1, 0.9), 1.0, 0.5, 0.5, "NO_UN", "NO_WT"),
        "SV2": ("GAUSSIAN", 0.2, True, (-0.5, 1.5), (0.1, 0.9), 2.2, 0.5, 0.5, "NO_UN", "NO_WT"),
        "SV3": ("AVG_ACT", 0.0, False, (0.0, 1.0), (0.1, 1.0), 1.0, 0.0, 0.5, "NO_UN", "NO_WT")}
    vr = m.layer_params["SV2"].layer.val_range               # derived, as the project stores it
    assert (vr.min, vr.max) == pytest.approx((-0.35, 1.35))
    assert m.layer_params["SV3"].layer.inhib_misc.self_fb == 0.5
    assert m.layer_params["SV1"].unit.sse_tol == 0.5 and not m.layer_params["SV1"].unit.act_misc.rec_nd
    # the table LeabraTrain trains on: 100 rows, one value per ScalarVal layer (86 ones, then 14 zeros)
    assert r.table == "FrequencyRendering"
    for n in ("SV1", "SV2", "SV3"):
        assert m.patterns[n].shape == (100, 1, 1)
        assert m.patterns[n].ravel().tolist() == [1.0] * 86 + [0.0] * 14
    # it runs: 2 trials with a finite sse, each layer's minus-phase value logged
    run = Run(m, seed=1)
    rows = [run.trial() for _ in range(2)]
    for row in rows:
        assert np.isfinite(row["sse"]) and row["sse"] == sum(row[f"SV{i}_lay_sse"] for i in (1, 2, 3))
        assert all(np.isfinite(row[f"SV{i}_val"]) for i in (1, 2, 3))
    # round trip through the model JSON (run files store it) keeps the layer type and members
    assert type(m).from_json(m.to_json()) == m


def _delta_topdown_leabrastd(reference, tmp_path):
    """LeabraStd whose TopDownCons (Output->Hidden only) is a LeabraDeltaConSpec."""
    d = Dump.read(reference / "proj_templates/LeabraStd.proj")
    for blk in (d.find(".networks[0].specs[2].children[1]"),
                d.skeleton_find(".networks[0].specs[2].children[1]")):
        assert blk.name in ("TopDownCons", None)
        blk.type = "LeabraDeltaConSpec"
        blk.head = blk.head.replace("LeabraConSpec", "LeabraDeltaConSpec", 1)
    path = tmp_path / "delta.proj"
    d.write(path)
    return path


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "emergent_py", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)


def test_skip_unsupported_projection_cli_model_and_provenance(reference, tmp_path):
    """A con-spec subclass is never run as LeabraConSpec: refused by name; --skip-unsupported
    leaves the projection out and says so on the CLI, in the model and in the run file."""
    path = _delta_topdown_leabrastd(reference, tmp_path)
    note = ("imported from delta.proj: left out projection Output->Hidden ('Fm_Output', line "
            f"{Dump.read(path).find('.networks[0].layers[1].projections[1]').line}): con spec "
            "'TopDownCons' is a LeabraDeltaConSpec, which the native core does not implement")
    with pytest.raises(SpecError, match="con spec 'TopDownCons' is a LeabraDeltaConSpec"):
        load_project(path)
    p = _cli("import-proj", path, "-o", "m.json", cwd=tmp_path)
    assert p.returncode == 2 and "LeabraDeltaConSpec" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "m.json").exists()
    p = _cli("import-proj", path, "--skip-unsupported", "-o", "m.json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stderr == f"note: {note}\n"
    assert p.stdout == "wrote m.json: 3 layers, 2 projections, 6 patterns, 1 left out (see the notes)\n"
    m = load_model(tmp_path / "m.json")
    assert m.notes == [note]
    assert [(q.send, q.recv) for q in m.network.projections.values()] == [("Input", "Hidden"),
                                                                         ("Hidden", "Output")]
    p = _cli("run", "m.json", "--epochs", "1", "-o", "run.h5", "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert f"note: {note}" in p.stderr
    import h5py
    with h5py.File(tmp_path / "run.h5") as f:
        assert f["provenance"].attrs["model_notes"] == note
        assert json.loads(f["model"][()])["notes"] == [note]


def test_pre_8_projects_are_refused_with_their_version(reference):
    with pytest.raises(SpecError, match=r"written by emergent 7\.0\.0\.0; the importer reads emergent "
                                        r"8\.x projects.*Open the project in emergent 8\.x and save it"):
        load_project(reference / CEMER / "patch_gen/BpStd_7187_v701.proj")
    with pytest.raises(SpecError, match=r"written by emergent 4\.x-7\.x \(ta_Dump v2\.0, no code version\)"):
        load_project(reference / CEMER / "demo/audioproc/ap_beat.proj")


def test_other_network_types_are_refused(reference):
    with pytest.raises(SpecError, match=r"network 'Network_0' is a BpNetwork, which the native core "
                                        r"does not implement \(only Leabra networks run natively\)"):
        load_project(reference / CEMER / "proj_templates/BpStd.proj")
def test_import_proj_writes_a_python_model_file(reference, tmp_path):
    """The Python file rebuilds the imported model: same network (with layer-group classes),
    patterns, plan and every resolved parameter; it sets only values off the code defaults."""
    path = _grouped_leabrastd(reference, tmp_path)
    p = _cli("import-proj", path, "-o", "model.py", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "wrote model.py (+ model.dat): 3 layers, 3 projections, 6 patterns\n"
    src = (tmp_path / "model.py").read_text()
    assert "net.layer('Hidden', (5, 5), kind='hidden', cls='Hid_Group')" in src
    assert "'#Output->Hidden': {\n            'feedback': True,\n            'wt_scale.rel': 0.2," in src
    assert "'act_avg.ss_tau': 2.0," in src and "'lay_inhib.on'" not in src     # defaults left out
    written, imported = load_model(tmp_path / "model.py"), load_project(path)
    assert written.network == imported.network
    assert written.patterns == imported.patterns and written.patterns.names[0] == "checks"
    assert written.plan == imported.plan
    assert written.resolved_dict() == imported.resolved_dict()
    p = _cli("import-proj", path, "-o", "model.py", cwd=tmp_path)           # no overwrite
    assert p.returncode == 2 and "model.py exists; pass --force" in p.stderr


def test_import_proj_writes_scalar_val_layers_into_the_python_file(reference, tmp_path):
    """A ScalarVal layer keeps its spec type and its members (off ScalarValLayerSpec's defaults:
    SV2's gi 2.2 is a default there and is not written) in the model file."""
    path = reference / CEMER / "demo/leabra/scalar_val_test.proj"
    p = _cli("import-proj", path, "-o", "model.py", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    src = (tmp_path / "model.py").read_text()
    assert "net.layer('SV2', (1, 11), kind='target', spec_type='ScalarValLayerSpec')" in src
    assert "'scalar.rep': 'GAUSSIAN'," in src and "'scalar.rep': 'AVG_ACT'," in src
    written, imported = load_model(tmp_path / "model.py"), load_project(path)
    assert written.network == imported.network
    assert written.patterns == imported.patterns
    assert written.resolved_dict() == imported.resolved_dict()


def test_grouped_layer_takes_its_flat_input_column_by_flat_position(reference, tmp_path):
    """LeabraStd's Input made 5 groups (gp 5x1) of 1x5 units: the table's 5x5 column goes to
    unit (x mod 1, y mod 5) of group (x div 1, y div 5), i.e. group x, unit y."""
    d = Dump.read(reference / "proj_templates/LeabraStd.proj")
    lay = d.find(".networks[0].layers[0]")
    for geom, (x, y) in (("un_geom", (1, 5)), ("gp_geom", (5, 1))):
        g = lay[geom]
        g.set("x", str(x)), g.set("y", str(y)), g.set("n", str(x * y))
    lay.set("unit_groups", "1")
    path = tmp_path / "grouped_input.proj"
    d.write(path)
    m = load_project(path)
    plain = load_project(reference / "proj_templates/LeabraStd.proj")
    assert m.network.layers["Input"].shape == (1, 5, 5, 1)
    flat = plain.patterns["Input"]                                  # (6, 5, 5): [trial, y, x]
    got = m.patterns["Input"]                                       # (6, 1, 5, 5, 1)
    for y in range(5):
        for x in range(5):
            np.testing.assert_array_equal(got[:, 0, x, y, 0], flat[:, y, x])
    assert m.patterns["Output"].shape == (6, 5, 5)                  # an ungrouped layer: as it was
    row = Run(m, seed=1).trial()
    assert np.isfinite(row["sse"])


def test_layers_with_fewer_units_than_x_times_y_are_refused(reference, tmp_path):
    d = Dump.read(reference / "proj_templates/LeabraStd.proj")
    g = d.find(".networks[0].layers[1]")["un_geom"]
    g.set("n_not_xy", "1"), g.set("n", "24")
    d.write(tmp_path / "nxy.proj")
    with pytest.raises(SpecError, match=r"layer 'Hidden' has un_geom.n_not_xy=1 \(fewer units than x\*y\), "
                                        "which the native core does not implement"):
        load_project(tmp_path / "nxy.proj")


def test_input_columns_match_layers_ignoring_case_and_underscores(reference, tmp_path):
    """emergent's ApplyInputs pairs a layer with the column of the same name, CamelCase /
    snake_case-insensitively: a column 'in_put' feeds layer 'Input'."""
    d = Dump.read(reference / "proj_templates/LeabraStd.proj")
    tbl = d.find(".data.gp[0][0]")
    col = next(c for c in tbl.get("data").elements if c.name == "Input")
    col.set("name", '"in_put"')
    d.write(tmp_path / "cols.proj")
    m = load_project(tmp_path / "cols.proj")
    assert m.patterns == load_project(reference / "proj_templates/LeabraStd.proj").patterns


def test_show_prints_the_notes(reference):
    from emergent_py.commands.show import format_model
    with pytest.warns(UserWarning):
        m = import_project(reference / CEMER / "demo/virt_env/ve_arm.proj", skip_unsupported=True).model
    text = format_model(m).splitlines()
    assert [t for t in text if t.startswith("Note: ")] == [f"Note: {n}" for n in m.notes] and len(m.notes) == 4
