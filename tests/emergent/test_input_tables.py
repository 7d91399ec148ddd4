"""The input table of an imported project: the table the project's programs select (a program
variable the import can read), the candidates, a warning when another table could be meant,
``table=`` / ``--table``; and ``row_indexes`` (emergent's index of a table's valid rows)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from emergent_py.cli import main
from emergent_py.emergent.dump import Dump
from emergent_py.emergent.programs import find_program, find_program_var
from emergent_py.emergent.project import import_project, load_project
from emergent_py.errors import FormatError

ERR = "projects/err_driven_hidden.proj"
ENVS = ["EasyEnv", "HardEnv", "ImpossibleEnv"]


def quiet_import(path, **kw):
    """import_project that fails on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return import_project(path, **kw)


def edited(reference, tmp_path, edit, src=ERR):
    d = Dump.read(reference / src)
    edit(d)
    path = tmp_path / "edited.proj"
    d.write(path)
    return path


def switch_of(d: Dump):
    code = find_program(d, "LeabraTrain").get("prog_code")
    return next(el for el in code.elements if el.type == "Switch")


def test_programs_switch_on_env_type_selects_the_table(reference):
    """err_driven_hidden's LeabraTrain: switch(env_type) ... case IMPOSSIBLE: input_data =
    input_data_gp["ImpossibleEnv"], env_type saved as 2 = IMPOSSIBLE (the saved input_data
    variable itself still names EasyEnv)."""
    r = quiet_import(reference / ERR)
    assert r.table == "ImpossibleEnv" and r.tables == ENVS
    assert "env_type = IMPOSSIBLE (saved)" in r.table_how and "EasyEnv, HardEnv" in r.table_how
    # ImpossibleEnv's inputs (the same outputs as EasyEnv's one-hot inputs map to)
    np.testing.assert_array_equal(r.model.pattern_rows("Input"), [[1, 0, 1, 0], [0, 1, 0, 1],
                                                                 [1, 1, 0, 0], [0, 0, 1, 1]])
    easy = load_project(reference / ERR, table="EasyEnv")
    np.testing.assert_array_equal(easy.pattern_rows("Input"), np.eye(4))


def test_a_saved_env_type_of_easy_selects_easy_env(reference, tmp_path):
    def easy(d):
        var = find_program_var(find_program(d, "LeabraTrain"), "env_type")
        var.get("dyn_enum_val").set("value", "0")
    r = quiet_import(edited(reference, tmp_path, easy))
    assert r.table == "EasyEnv" and "env_type = EASY (saved)" in r.table_how


def test_table_named_by_the_caller(reference):
    r = quiet_import(reference / ERR, table="HardEnv")
    assert r.table == "HardEnv" and r.tables == ENVS


def test_several_candidates_without_a_program_choice_warn(reference, tmp_path):
    """With the switch turned off (emergent skips an element flagged OFF) only the saved
    input_data (EasyEnv) says which: three tables fit."""
    def no_switch(d):
        sw = switch_of(d)
        sw.set("flags", "OFF|" + sw.value("flags"))
    with pytest.warns(UserWarning, match=r"3 tables could be the input \(EasyEnv, HardEnv, "
                                         r"ImpossibleEnv\); using 'EasyEnv', the saved input_data of "
                                         r"LeabraTrain; --table NAME"):
        r = import_project(edited(reference, tmp_path, no_switch))
    assert r.table == "EasyEnv"


def test_an_assignment_the_import_cannot_read_warns(reference, tmp_path):
    def opaque(d):
        for n in switch_of(d).walk():
            if getattr(n, "type", "") == "AssignExpr" and "Impossible" in n.value("code_string", ""):
                n.get("expr").set("expr", '"input_data_gp[idx]"')
    with pytest.warns(UserWarning, match=r"LeabraTrain sets input_data at run time in a way the "
                                         r"import cannot follow .*--table NAME"):
        r = import_project(edited(reference, tmp_path, opaque))
    assert r.table == "EasyEnv"           # the saved input_data


def test_a_call_storing_into_input_data_warns(reference, tmp_path):
    """A method call whose result goes to input_data (after the switch) cannot be read."""
    def call(d):
        code = find_program(d, "LeabraTrain").get("prog_code")
        mc = next(el for el in code.elements if el.type == "MethodCall")
        mc.set("result_var", "$.programs.gp[0][1].args[1]$")       # LeabraTrain's input_data
    with pytest.warns(UserWarning, match=r"cannot follow \(train_timer->StartTimer\(true\)\)"):
        r = import_project(edited(reference, tmp_path, call))
    assert r.table == "ImpossibleEnv"     # what the switch selected before it


def test_batch_passing_another_table_warns(reference, tmp_path):
    """LeabraBatch passes its own input_data to LeabraTrain: when the saved ones differ, say so."""
    def other(d):
        var = find_program_var(find_program(d, "LeabraBatch"), "input_data")
        var.set("object_val", ".data.gp[1][0]$$")
        assert d.find(".data.gp[1][0]").name == "TrialOutputData"
    with pytest.warns(UserWarning, match=r"LeabraTrain's saved input_data is 'StdInputData' but "
                                         r"LeabraBatch's is 'TrialOutputData'"):
        r = import_project(edited(reference, tmp_path, other, "proj_templates/LeabraStd.proj"))
    assert r.table == "StdInputData"


def test_one_fitting_table_does_not_warn(reference):
    r = quiet_import(reference / "proj_templates/LeabraStd.proj")
    assert r.table == "StdInputData" and r.tables == ["StdInputData"]


def test_show_names_the_table_and_the_candidates(reference, capsys):
    assert main(["show", str(reference / ERR), "--table", "EasyEnv"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("Input table:"))
    assert line.startswith("Input table: EasyEnv (asked for") and "HardEnv, ImpossibleEnv" in line
    assert main(["show", str(reference / ERR), "--table", "Easy"]) == 2
    assert "no data table named 'Easy'. Did you mean 'EasyEnv'?" in capsys.readouterr().err


def test_row_indexes_keep_only_the_valid_rows(reference):
    """basic_leabra_test.proj stores 14 rows (9 zero rows and a copy of Trial0 among them) of
    which row_indexes [4] 0;1;2;3 are valid."""
    m = load_project(reference / "projects/basic_leabra_test.proj")
    assert m.patterns.n == 4 and m.patterns.names == ["Trial0", "Trial1", "Trial2", "Trial3"]
    np.testing.assert_array_equal(m.pattern_rows("Input"), np.eye(4, dtype=np.float32))
    np.testing.assert_array_equal(m.pattern_rows("Output"), np.eye(4, dtype=np.float32))


def test_row_indexes_order_and_subset(reference, tmp_path):
    src = reference / "proj_templates/LeabraStd.proj"
    text = src.read_text()
    assert text.count("[6] 0;1;2;3;4;5;    };") == 1
    path = tmp_path / "reordered.proj"
    path.write_text(text.replace("[6] 0;1;2;3;4;5;    };", "[3] 5;0;2;    };"))
    full, m = load_project(src).patterns, load_project(path).patterns
    assert m.names == ["random", "checks", "midhoriz"]
    np.testing.assert_array_equal(m["Input"], full["Input"][[5, 0, 2]])
    bad = tmp_path / "bad.proj"
    bad.write_text(text.replace("[6] 0;1;2;3;4;5;    };", "[2] 0;6;    };"))
    with pytest.raises(FormatError, match=r"bad.proj:\d+ table 'StdInputData': row_indexes names "
                                          r"row 6 but the table stores 6 rows"):
        load_project(bad)


def test_run_trains_on_the_table_asked_for(reference, tmp_path):
    from emergent_py.results import RunFile
    out = tmp_path / "hard.h5"
    assert main(["run", str(reference / ERR), "--table", "HardEnv", "--epochs", "1", "-q", "-o", str(out)]) == 0
    with RunFile(out) as r:
        hard = load_project(reference / ERR, table="HardEnv")
        np.testing.assert_array_equal(r.model.pattern_rows("Input"), hard.pattern_rows("Input"))
        assert [s.name for s in r.model.sheets] == ["emergent", "emergent-conversions"]
    assert main(["run", "projects/BasicLeabraTest", "--table", "X", "-q"]) == 2


def test_run_trains_on_the_patterns_given(reference, tmp_path, capsys):
    """--patterns FILE.dat: a project's inputs from a file (for projects that make them at run
    time); the run file holds exactly those rows; the option is refused where it means nothing."""
    from emergent_py.emergent.dat import write_dat
    from emergent_py.results import RunFile
    rng = np.random.default_rng(5)
    inp, out_pats = (rng.random((3, 1, 4)) > 0.5).astype(np.float32), np.eye(2, dtype=np.float32)[[0, 1, 0]][:, None]
    dat = tmp_path / "mine.dat"
    write_dat(dat, {"Name": np.array(["a", "b", "c"]), "Input": inp, "Output": out_pats})
    out = tmp_path / "mine.h5"
    assert main(["run", str(reference / ERR), "--patterns", str(dat), "--epochs", "1", "-q", "-o", str(out)]) == 0
    with RunFile(out) as r:
        np.testing.assert_array_equal(r.model.pattern_rows("Input"), inp.reshape(3, 4))
        assert r.model.patterns.names == ["a", "b", "c"]
    assert main(["show", str(reference / ERR), "--patterns", str(dat)]) == 0
    assert main(["run", "projects/BasicLeabraTest", "--patterns", str(dat), "-q"]) == 2
    assert "--patterns" in capsys.readouterr().err
    assert main(["run", str(reference / ERR), "--patterns", str(dat), "--table", "HardEnv", "-q"]) == 2
    assert main(["run", str(reference / ERR), "--patterns", str(tmp_path / "none.dat"), "-q"]) == 2
    assert "no such file" in capsys.readouterr().err
