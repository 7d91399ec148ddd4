"""Cycle-level runs: ``--record cycle:VARS`` (the user's variables, parsed by one function) and
``compare --level cycle`` of a native run against emergent's own per-cycle log: matrix columns in
the layer's geometry ((1, 4) for a 4x1 layer) on both sides, and cells of one size in two
geometries compared unit by unit."""
from __future__ import annotations

import re

import numpy as np
import pytest

from emergent_py.cli import main
from emergent_py.errors import SpecError
from emergent_py.leabra import Run
from emergent_py.leabra.record import CYCLE_VARS, Record, parse_record
from emergent_py.results import RunFile
from emergent_py.results.compare import compare_tables
from emergent_py.results.table import Table
from emergent_py.spec import load_model

BASIC = "projects/BasicLeabraTest"
# every unit variable of emergent's basic cycle log that the native core has
TRACE = "act,net,v_m,v_m_eq,gc_i,avg_ss,avg_s,avg_m,avg_l,act_m,act_eq,act_nd"


def test_parse_record():
    assert parse_record("trial") == Record("trial")
    assert parse_record("cycle:act, v_m,avg_ss") == Record("cycle", ("act", "v_m", "avg_ss"))
    assert parse_record("cycle:act,Hidden.v_m,act") == Record("cycle", ("act", "Hidden.v_m"))
    assert str(parse_record("cycle:act,Hidden.v_m")) == "cycle:act,Hidden.v_m"
    # trial level: a bare layer name stands for its act_m and act_p, a bare variable for every layer's
    trial = parse_record("trial:Hidden,Output.act,v_m")
    assert trial == Record("trial", ("Hidden", "Output.act", "v_m"))
    layers = {"Input": "I", "Hidden": "H", "Output": "O"}
    assert [c for c, _, _ in trial.columns(layers, "trial")] == [
        "Hidden_act_m", "Hidden_act_p", "Output_act", "Input_v_m", "Hidden_v_m", "Output_v_m"]
    assert trial.columns(layers, "cycle")[0] == ("Input_act", "I", "act")     # default cycle vars
    assert parse_record("cycle:act").columns(layers, "trial") == []
    with pytest.raises(SpecError, match=r"'Hiden' is neither a layer nor a unit or layer variable.*"
                                        r"Did you mean 'Hidden'"):
        parse_record("trial:Hiden").columns(layers, "trial")
    for bad, msg in (("cyc", r"level 'cyc' is not one of epoch, trial, cycle"),
                     ("cycle:", r"an empty variable name"),
                     ("cycle:act,,v_m", r"an empty variable name"),
                     ("cycle:actt", r"'actt' is not a unit or layer variable. Did you mean 'act'"),
                     ("epoch:act", r"variables can be chosen for the trial and cycle level only")):
        with pytest.raises(SpecError, match=msg) as e:
            parse_record(bad)
        assert str(e.value).startswith(f"--record {bad}: ")


def test_run_records_the_chosen_cycle_variables():
    model = load_model(BASIC)
    seen = []

    class Watch:                     # the values the layers hold when each cycle row is made
        def on_cycle(self, row):
            seen.append((run.net.layers["Hidden"].v_m.copy(), run.net.layers["Output"].acts_avg))
    run = Run(model, record="cycle:act,Hidden.v_m,acts_avg", observer=Watch())
    run.epoch()
    rows = run.log.cycles
    assert len(rows) == 4 * 100
    assert [k for k in rows[0] if "_" in k] == ["Input_act", "Hidden_act", "Output_act", "Hidden_v_m",
                                               "Input_acts_avg", "Hidden_acts_avg", "Output_acts_avg"]
    for row, (v_m, acts_avg) in zip(rows, seen):
        np.testing.assert_array_equal(row["Hidden_v_m"], v_m.reshape(1, 4))
        assert row["Output_acts_avg"] == acts_avg
    assert np.any(rows[-1]["Hidden_v_m"] != rows[0]["Hidden_v_m"])
    default = Run(model, record="cycle")
    default.trial()
    assert [k for k in default.log.cycles[0] if k.startswith("Hidden_")] == [f"Hidden_{v}" for v in CYCLE_VARS]
    with pytest.raises(SpecError, match=r"no layer 'Hiden' .* Did you mean 'Hidden'"):
        Run(model, record="cycle:Hiden.act")


def test_compare_cycle_native_vs_emergents_log(reference, tmp_path, capsys):
    """emergent's basic per-cycle log (400 rows) against a native run recording the same unit
    variables: every value within the log's 6 significant digits (rtol 1e-5)."""
    basic = reference / "runs" / "basic"
    em, nat = tmp_path / "em.h5", tmp_path / "nat.h5"
    assert main(["import", str(basic / "basic_leabra_test_cyc.epc.dat"), "--cycle",
                 str(basic / "basic_leabra_test_cyc.cyc.dat"), "-o", str(em)]) == 0
    assert main(["run", BASIC, "--epochs", "1", "-q", "--record", f"cycle:{TRACE}", "-o", str(nat)]) == 0
    with RunFile(nat) as a, RunFile(em) as b:
        assert a.cycles["Hidden_act"].shape == b.cycles["Hidden_act"].shape == (400, 1, 4)
    capsys.readouterr()
    assert main(["compare", str(nat), str(em), "--level", "cycle", "--atol", "1e-7", "--rtol", "1e-5"]) == 0
    out = capsys.readouterr().out
    assert "verdict: PASS (26 columns within tolerance over 400 rows)" in out
    assert re.search(r"^Hidden_avg_m .* ok$", out, re.M) and "shape" not in out


def test_compare_still_fails_cells_of_another_size():
    a = Table({"epoch": np.arange(2), "x": np.zeros((2, 4))})
    b = Table({"epoch": np.arange(2), "x": np.zeros((2, 1, 5))})
    c = Table({"epoch": np.arange(2), "x": np.ones((2, 1, 4))})
    bad = compare_tables(a, b)
    assert not bad.ok and bad.columns[0].note == "shape (4,) vs (1, 5)"
    diff = compare_tables(a, c).columns[0]             # same cells, other geometry: values compared
    assert diff.note == "" and diff.n_bad == 2 and diff.max_abs == 1.0
