"""Naming (issue 16, item 10): the generated .proj gives every layer its own unit spec and every
projection its own con spec, keeping the TopDown class; snapshot names agree with the docs; the
matrix orientations are the ones docs/core.md states."""
import re
from pathlib import Path

import numpy as np

from emergent_py.cli import main
from emergent_py.emergent.dump import read_dump
from emergent_py.leabra import Run
from emergent_py.results import RunFile
from emergent_py.spec import load_model

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"


def spec_blocks(dump):
    return {b.value("name").strip('"'): b for b in dump.find(".networks[0].specs").elements}


def spec_index(ref: str) -> int:
    return int(re.fullmatch(r"\$?\.networks\[0\]\.specs\[(\d+)\]\$\$?", ref)[1])


def test_every_layer_and_projection_gets_its_own_named_spec(tmp_path, reference):
    out = tmp_path / "RA.proj"
    assert main(["proj", str(EXAMPLE), "-o", str(out), "--template",
                 str(reference / "proj_templates" / "LeabraStd.proj")]) == 0
    d = read_dump(out)
    specs = spec_blocks(d)
    assert [n for n in specs if n.endswith(("Units", "Cons"))] == [
        "InputUnits", "HiddenUnits", "OutputUnits",
        "InputToHiddenCons", "HiddenToOutputCons", "OutputToHiddenTopDownCons"]
    assert specs["OutputToHiddenTopDownCons"].value("desc") == "class TopDown"
    index = {name: i for i, name in enumerate(specs)}
    layers = d.find(".networks[0].layers").elements
    for lay in layers:
        name = lay.value("name").strip('"')
        assert spec_index(lay.get("unit_spec").value("spec")) == index[name + "Units"]
        for prj in lay.get("projections").elements:
            send = layers[int(re.search(r"layers\[(\d+)\]", prj.value("from"))[1])].value("name").strip('"')
            cons = next(n for n in specs if n.startswith(f"{send}To{name}") and n.endswith("Cons"))
            assert spec_index(prj.get("con_spec").value("spec")) == index[cons]


def test_snapshot_names_and_orientations_are_the_documented_ones(tmp_path):
    docs = (REPO / "docs" / "runfile.md").read_text()
    assert "`epoch_000005`\nholds the weights after 5 epochs, i.e. after the epoch rows 0 to 4" in docs
    model = load_model(EXAMPLE)
    out = tmp_path / "ra.h5"
    assert main(["run", str(EXAMPLE), "-q", "--epochs", "5", "-o", str(out)]) == 0
    r = Run(model)
    r.run(5)
    with RunFile(out) as rf:
        assert list(rf.epochs["epoch"]) == [0, 1, 2, 3, 4] and rf.weight_epochs == [5]
        stored = rf.weights(5)
    for p in r.net.prjn_list:
        assert stored[p.name].shape == (p.recv.n, p.send.n) == p.var("wt").shape
        assert p.wt.shape == (p.send.n, p.recv.n)
        assert np.array_equal(stored[p.name], p.var("wt")) and np.array_equal(p.var("wt"), p.wt.T)
