"""Bad input, class by class (issue 21): every reader refuses a broken file with a message naming
the file (and line), and accepts what real files legitimately look like (a byte-order mark)."""
from __future__ import annotations

import gzip
import re

import numpy as np
import pytest

from bad_files import DAT, MINI_PROJ, OTHER_KINDS, WTS, line_of
from emergent_py.cli import main
from emergent_py.emergent.dat import read_dat
from emergent_py.emergent.dump import (Dump, check_list_sizes, check_version, read_dump, read_project,
                                       size_mismatches)
from emergent_py.emergent.project import load_project
from emergent_py.emergent.wts import read_wts
from emergent_py.errors import EmergentPyError, FormatError, SpecError, UserCodeError
from emergent_py.spec.loader import load_model

BOM = b"\xef\xbb\xbf"


# ------------------------------------------------- 1. list sizes: skeleton pass vs value pass

def _mini(tmp_path, text: str, name: str = "mini.proj"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("edit, skel_needle, value_needle, value_after, listed, says, holds", [
    # the skeleton says fewer layers than the value pass holds
    (("Layer_Group @.layers = [2]", "Layer_Group @.layers = [1]"), "@.layers = [1]", " layers {", 18,
     ".networks[0].layers", 1, 2),
    # ... or more
    (("Layer_Group @.layers = [2]", "Layer_Group @.layers = [3]"), "@.layers = [3]", " layers {", 18,
     ".networks[0].layers", 3, 2),
    # an outer list
    (("Network_Group @.networks = [1]", "Network_Group @.networks = [2]"), "@.networks = [2]",
     " networks {", 18, ".networks", 2, 1),
])
def test_list_sizes_that_disagree_are_refused_with_file_both_lines_and_list(
        tmp_path, edit, skel_needle, value_needle, value_after, listed, says, holds):
    text = MINI_PROJ.replace(*edit)
    path = _mini(tmp_path, text)
    skel_line, value_line = line_of(text, skel_needle), line_of(text, value_needle, value_after)
    with pytest.raises(FormatError) as e:
        read_project(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:{skel_line}: list {listed} ")
    assert f"says = [{says}] (line {skel_line})" in msg
    assert f"holds {holds} elements (line {value_line}" in msg
    # the lossless reader still reads it (to repair it); the strict check names the same lines
    d = read_dump(path)
    assert size_mismatches(d)[0].startswith(f"line {skel_line}: ")


def test_a_value_pass_element_beyond_the_list_size_is_refused(tmp_path):
    # as many elements as the skeleton says, but numbered 0 and 2: the count alone would pass
    text = MINI_PROJ.replace("    LeabraLayer @[1] {\n     name=\"Out\"", "    LeabraLayer @[2] {\n     name=\"Out\"")
    path = _mini(tmp_path, text)
    with pytest.raises(FormatError, match=rf"mini.proj:5: list .networks\[0\].layers .*"
                                          rf"holds 2 elements \(line 24, indices 0, 2\)"):
        read_project(path)


def test_consistent_lists_and_lists_emergent_leaves_empty_are_accepted(tmp_path):
    # the units lists: [4] in the skeleton, no element in the value pass (emergent builds them)
    d = read_project(_mini(tmp_path, MINI_PROJ))
    assert [l.name for l in d.find(".networks[0].layers").elements] == ["In", "Out"]
    assert d.find(".networks[0].layers[0].units").elements == []
    check_list_sizes(d)


def test_a_real_project_with_a_hand_edited_list_size_is_refused_by_load_project_and_show(
        reference, tmp_path, capsys):
    d = Dump.read(reference / "proj_templates/LeabraStd.proj")
    specs = d.skeleton_find(".networks[0].specs")
    n = specs.size
    specs.set_size(n - 1)
    path = tmp_path / "edited.proj"
    d.write(path)
    value_line = d.find(".networks[0].specs").line
    pattern = (rf"edited.proj:{specs.line}: list .networks\[0\].specs .*= \[{n - 1}\] \(line {specs.line}\) "
               rf"but the value pass holds {n} elements \(line {value_line}")
    with pytest.raises(FormatError, match=pattern):
        load_project(path)
    assert main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert re.search(pattern, err) and "Traceback" not in err


# ------------------------------------------------------------- 2. a model whose build() raises

RAISES_IN_BUILD = '''from emergent_py import Network


def read_patterns(name):
    raise RuntimeError(f"pattern file not found: {name}")


def build():
    net = Network("M")
    net.layer("In", (2, 2), kind="input")
    return read_patterns("pats.dat")
'''


def test_an_exception_in_build_names_the_model_file_and_the_line_of_the_raise(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(RAISES_IN_BUILD)
    with pytest.raises(UserCodeError) as e:
        load_model(path)
    assert str(e.value) == (f"{path}:{line_of(RAISES_IN_BUILD, 'raise RuntimeError')}: build() raised "
                            "RuntimeError: pattern file not found: pats.dat")


def test_a_raise_in_another_user_file_is_named_too(tmp_path):
    (tmp_path / "helpers.py").write_text("def load(n):\n    return {}[n]\n")
    path = tmp_path / "model.py"
    path.write_text("import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\nimport helpers\n\n"
                    "def build():\n    return helpers.load('Input')\n")
    with pytest.raises(UserCodeError) as e:
        load_model(path)
    assert str(e.value) == (f"{path}:6: build() raised KeyError: 'Input' (raised at "
                            f"{tmp_path / 'helpers.py'}:2 in load())")


def test_a_model_file_failing_on_import_names_its_line(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import math\n\nSIZE = math.sqrt(-1)\n\ndef build():\n    pass\n")
    with pytest.raises(UserCodeError, match=rf"^{re.escape(str(path))}:3: loading the model file raised "
                                            r"ValueError: math domain error$"):
        load_model(path)


def test_a_spec_error_from_the_api_inside_build_names_the_model_line(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("from emergent_py import Network\n\ndef build():\n    net = Network('M')\n"
                    "    net.layer('In', (0, 2), kind='input')\n")
    with pytest.raises(SpecError, match=rf"^{re.escape(str(path))}:5: "):
        load_model(path)


def test_the_cli_prints_one_line_and_the_traceback_only_with_debug(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text(RAISES_IN_BUILD)
    line = line_of(RAISES_IN_BUILD, "raise RuntimeError")
    for command in ("show", "validate", "run"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert err.splitlines() == [f"emergent-py {command}: error: {path}:{line}: build() raised RuntimeError: "
                                    "pattern file not found: pats.dat (emergent-py --debug ... shows the traceback)"]
    assert main(["--debug", "show", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert f'File "{path}", line {line}, in read_patterns' in err
    assert err.splitlines()[-1] == (f"emergent-py show: error: {path}:{line}: build() raised RuntimeError: "
                                    "pattern file not found: pats.dat")


def test_an_unexpected_exception_is_one_line_exit_70_and_its_traceback_with_debug(monkeypatch, capsys):
    from emergent_py.commands import validate
    from emergent_py.errors import INTERNAL_EXIT

    def broken(args):
        return {}["no such key"]                  # a bug of ours, not the user's input
    monkeypatch.setattr(validate, "run", broken)
    assert main(["validate", "projects/RandomAssoc"]) == INTERNAL_EXIT == 70
    err = capsys.readouterr().err
    assert err.splitlines() == ["emergent-py validate: internal error: KeyError: 'no such key' (a bug in "
                                "emergent-py; please report it with the output of emergent-py --debug ...)"]
    assert main(["--debug", "validate", "projects/RandomAssoc"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "in broken" in err


# ------------------------------------------------------------- 3. a UTF-8 byte-order mark

@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("gz", [False, True])
def test_a_dat_with_a_byte_order_mark_loads_as_without(tmp_path, crlf, gz):
    text = DAT.replace("\n", "\r\n") if crlf else DAT
    data = BOM + text.encode()
    path = tmp_path / ("bom.dat.gz" if gz else "bom.dat")
    path.write_bytes(gzip.compress(data) if gz else data)
    plain = tmp_path / "plain.dat"
    plain.write_text(DAT)
    t, ref = read_dat(path), read_dat(plain)
    assert t.columns == ref.columns == ["Name", "x", "n"]
    assert t["Name"].tolist() == ["a", "b"]
    np.testing.assert_array_equal(t["x"], np.array([0.5, 1], np.float32))
    np.testing.assert_array_equal(t["n"], [1, 2])


def test_every_other_text_reader_accepts_a_byte_order_mark(tmp_path, capsys):
    (tmp_path / "bom.wts").write_bytes(BOM + WTS.encode())
    w = read_wts(tmp_path / "bom.wts")
    assert w.network == "N" and w.layers["In"].bias.tolist() == [0.5]
    (tmp_path / "bom.proj").write_bytes(BOM + MINI_PROJ.encode())
    d = read_project(tmp_path / "bom.proj")
    assert d.version == "8.5.6.0" and d.value_root.name == "P"
    assert main(["show", "--json", "projects/RandomAssoc"]) == 0
    (tmp_path / "bom.json").write_bytes(BOM + capsys.readouterr().out.encode())
    assert load_model(tmp_path / "bom.json").name == "RandomAssoc"


# ------------------------------------------------------------- 4. not gzip under a .gz name

@pytest.mark.parametrize("kind", sorted(OTHER_KINDS))
@pytest.mark.parametrize("reader, good, name, expected", [
    (read_dat, DAT, "t.dat.gz", "expected an emergent .dat table"),
    (read_wts, WTS, "w.wts.gz", "expected an emergent weight file"),
    (read_project, MINI_PROJ, "p.proj.gz", "expected an emergent ta_Dump file"),
    (load_model, '{"name": "M"}', "m.json", "expected a model .json"),        # (never gzipped)
])
def test_other_file_kinds_are_named_by_their_magic_number(tmp_path, kind, reader, good, name, expected):
    what, make = OTHER_KINDS[kind]
    path = tmp_path / name
    path.write_bytes(make(good.encode()))
    with pytest.raises(FormatError) as e:
        reader(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: this is ") and what in msg
    assert ("(the name says gzip, the content does not)" in msg) == name.endswith(".gz")
    assert expected in msg
    assert "\\x" not in msg                    # no quoted binary bytes


def test_gzip_of_another_kind_and_a_corrupt_gzip_are_named(tmp_path):
    path = tmp_path / "double.dat.gz"
    path.write_bytes(gzip.compress(gzip.compress(DAT.encode())))
    with pytest.raises(FormatError, match=r"double.dat.gz: this is gzip-compressed data inside gzip \(magic "
                                          r"bytes 1f 8b 08 00\); expected an emergent .dat"):
        read_dat(path)
    path = tmp_path / "cut.wts.gz"
    path.write_bytes(gzip.compress(WTS.encode())[:30])
    with pytest.raises(FormatError, match=r"cut.wts.gz: corrupt or truncated gzip data .*expected an emergent weight"):
        read_wts(path)


def test_binary_data_in_a_text_file_is_not_quoted(tmp_path):
    for name, reader in (("b.dat", read_dat), ("b.proj", read_project), ("b.json", load_model)):
        path = tmp_path / name
        path.write_bytes(b"abc\n" + bytes(range(256)))
        with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}:2: binary data \(a NUL byte at byte 4\)"):
            reader(path)
    path = tmp_path / "b.wts"               # BINARY weight files hold NUL bytes: found at the tag
    path.write_bytes(bytes(range(128, 256)) + b"\n")
    with pytest.raises(FormatError, match=r"b.wts:1: binary data \(80 81 82 .*\): expected <Fmt"):
        read_wts(path)


# ------------------------------------------------------------- 5. unknown emergent versions

@pytest.mark.parametrize("header, named", [
    ("// ta_Dump File v3.0 -- code v9.0.0.0 rev12000", "emergent code v9.0.0.0"),
    ("// ta_Dump File v3.0 -- code v10.2.1.0", "emergent code v10.2.1.0"),
    ("// ta_Dump File v3.0 -- code v0.9.1.0", "emergent code v0.9.1.0"),
    ("// ta_Dump File v4.0 -- code v8.5.6.0 rev11473", "ta_Dump format v4.0"),
])
def test_an_unknown_version_is_refused_up_front_naming_the_supported_ones(tmp_path, header, named):
    # no network at all: the version, not 'no network', must be the message
    text = header + "\nLeabraProject .projects[0] {\n};\nLeabraProject .projects[0] {\n name=\"P\";\n};\n"
    path = _mini(tmp_path, text, "future.proj")
    for load in (read_project, load_project, load_model):
        with pytest.raises(FormatError) as e:
            load(path)
        msg = str(e.value)
        assert msg.startswith(f"{path}:1: the header ") and named in msg
        assert "supported: emergent 8.x projects" in msg


@pytest.mark.parametrize("code", ["8.0.0.0", "8.5.6.0", "8.6.1.0", "8.10.0.0"])
def test_known_versions_pass_the_check(tmp_path, code):
    path = _mini(tmp_path, MINI_PROJ.replace("code v8.5.6.0", f"code v{code}"))
    assert read_project(path).version == code
    check_version(Dump.parse("// ta_Dump File v2.0\nDataTable .projects[0].data.gp[0][0] {\n};\n"))


# ------------------------------------------------------------- inline blocks name the file

def test_an_inline_block_parse_error_names_the_file(tmp_path):
    path = _mini(tmp_path, MINI_PROJ.replace("lay_inhib {on=1: gi=1.8: };", "lay_inhib {on=1: gi=1.8 };"))
    line = line_of(MINI_PROJ, "lay_inhib")
    message = rf"^{re.escape(str(path))}:{line}: expected ':' after inline value 'gi=1.8 '"
    d = read_dump(path)                     # inline bodies are parsed when first used
    with pytest.raises(FormatError, match=message):
        d.find(".networks[0].layers[0]").value("lay_inhib.gi")
    with pytest.raises(FormatError, match=message):
        read_project(path)                  # ... and all of them by the importer's reader


def test_a_broken_inline_block_in_a_real_project_names_the_file(reference, tmp_path, capsys):
    text = (reference / "proj_templates/LeabraStd.proj").read_text()
    line = line_of(text, "lay_inhib {on=1: gi=1.8:")       # (a spec the import does not read)
    lines = text.splitlines(True)
    lines[line - 1] = lines[line - 1].replace(": };", " };", 1)
    path = _mini(tmp_path, "".join(lines), "inline.proj")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}: expected ':' after inline value" in err and "Traceback" not in err


# ------------------------------------------------- kept answered: CRLF, NaN/Inf, cuts, duplicates, huge lines

def test_dat_nan_inf_cuts_duplicates_and_huge_lines(tmp_path):
    p = tmp_path / "v.dat"
    p.write_text('_H:\t%x\t#y\n_D:\tnan\tinf\n_D:\t-inf\tNaN\n')
    t = read_dat(p)
    assert np.isnan(t["x"][0]) and t["x"][1] == -np.inf and t["y"][0] == np.inf and np.isnan(t["y"][1])
    cases = [
        ('_H:\t|n\n_D:\tnan\n', r":2: field 1 \(column 'n'\): 'nan' is not an integer"),
        ('_H:\t$Name\t%x\t%x\n', r":1: header field 3: column 'x' appears twice"),
        ('_H:\t%x\t$Name\n_D:\t0.5\t"ab', r":2: unterminated string"),               # cut mid-string
        ('_H:\t$Name\t%x\n_D:\t"a"\t0.5\n_D:\t"b', r":3: 1 fields, expected 2 .*cut short"),  # mid-row
        ('_H:\t$Name\t%x', r":1: the file ends inside its header line \(cut short\?\)"),
        ('_H:\t$Name\t%x\n_D:\t"a"\t' + "1" * (4 << 20) + "x\n", r":2: field 2 \(column 'x'\): '1111"),
    ]
    for text, message in cases:
        p.write_text(text)
        with pytest.raises(FormatError, match=re.escape(str(p)) + message) as e:
            read_dat(p)
        assert len(str(e.value)) < 400


def test_dat_log_cut_mid_number_drops_the_row_it_cannot_trust(tmp_path):
    # all fields present, but no newline after the last: emergent ends every row with one
    p = tmp_path / "killed.epc.dat"
    p.write_text('_H:\t|epoch\t%avg_sse\n_D:\t0\t0.25\n_D:\t1\t0.1')          # '0.125' cut to '0.1'
    t = read_dat(p, allow_partial_last=True)
    assert t.dropped_partial_line and t["epoch"].tolist() == [0]
    assert read_dat(p)["avg_sse"].tolist() == [0.25, np.float32(0.1)]       # (a hand-made table)


def test_wts_crlf_duplicates_huge_lines_and_nan_weights(tmp_path):
    p = tmp_path / "w.wts"
    p.write_bytes(WTS.replace("\n", "\r\n").encode())
    assert read_wts(p).layers["In"].bias.tolist() == [0.5]
    cases = [(WTS + WTS[WTS.index("<Lay"):], r":13: layer 'In' appears twice"),
             (WTS.replace("0.5\n", "0.5 " + "9" * (4 << 20) + "\n"), r":8: '0.5 9999.*' is not a number")]
    for text, message in cases:
        p.write_text(text)
        with pytest.raises(FormatError, match=re.escape(str(p)) + message) as e:
            read_wts(p)
        assert len(str(e.value)) < 400
    p.write_text(WTS.replace("0.5\n", "nan\n"))
    w = read_wts(p)                                  # emergent saves NaN weights of a diverged run
    assert np.isnan(w.layers["In"].bias[0])


def test_nan_initial_weights_are_refused_naming_the_file(tmp_path, capsys):
    from emergent_py.emergent.wts import WtsFile, write_wts
    model = load_model("projects/RandomAssoc")
    layers = {n: l.n_units for n, l in model.network.layers.items()}
    weights = {(p.recv, p.send): np.full((layers[p.recv], layers[p.send]), 0.5, np.float32)
               for p in model.network.projections.values()}
    weights[("Hidden", "Input")][3, 7] = np.inf
    path = tmp_path / "init.wts"
    write_wts(path, WtsFile.from_arrays("N", layers, weights))
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: projection Input->Hidden: the weight "
                                          r"from sending unit 7 to unit 3 is inf \(1 non-finite in all\)"):
        read_wts(path).model_weights(model)
    assert main(["run", "projects/RandomAssoc", "--weights", str(path), "-o", str(tmp_path / "r.h5")]) == 2
    assert str(path) in capsys.readouterr().err and not (tmp_path / "r.h5").exists()


def test_proj_crlf_nan_duplicates_and_huge_lines(reference, tmp_path):
    crlf = _mini(tmp_path, "", "crlf.proj")
    crlf.write_bytes(MINI_PROJ.replace("\n", "\r\n").encode())
    assert read_project(crlf).find(".networks[0].layers[1]").name == "Out"
    src = (reference / "proj_templates/LeabraStd.proj").read_text()
    dup = Dump.parse(src)
    dup.find(".networks[0].layers[2]").set("name", '"Hidden"')
    cases = [(src.replace("gi=1.8:", "gi=nan:"), r": selector '#Input': lay_inhib.gi: expected a finite number, got nan"),
             (dup.text(), r": Network 'Network_0': duplicate layer name 'Hidden'"),
             (src.replace(' name="LeabraStd";', " " + "x" * (4 << 20) + ";", 1), r":2141: expected a member")]
    for text, message in cases:
        path = _mini(tmp_path, text, "bad.proj")
        with pytest.raises(EmergentPyError, match="^" + re.escape(str(path)) + message) as e:
            load_project(path)
        assert len(str(e.value)) < 400


def test_json_model_crlf_nan_and_duplicate_keys(tmp_path, capsys):
    assert main(["show", "--json", "projects/RandomAssoc"]) == 0
    text = capsys.readouterr().out
    path = tmp_path / "m.json"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    assert load_model(path).name == "RandomAssoc"
    cases = [(text.replace('"lay_inhib.gi": 1.8', '"lay_inhib.gi": NaN', 1),
              r": selector 'Layer': lay_inhib.gi: expected a finite number, got nan"),
             (text.replace('"lay_inhib.gi": 1.8', '"lay_inhib.gi": 1.8, "lay_inhib.gi": 2.5', 1),
              r": key 'lay_inhib.gi' appears twice in one JSON object"),
             (text[:len(text) // 2], r": invalid JSON at line \d+")]
    for bad, message in cases:
        path.write_text(bad)
        with pytest.raises(SpecError, match="^" + re.escape(str(path)) + message):
            load_model(path)


def test_an_inline_field_glued_to_the_previous_one_is_refused_not_merged(tmp_path):
    # without the ':' the value of gi would be '1.8 ff=1' and ff would be lost
    path = _mini(tmp_path, MINI_PROJ.replace("lay_inhib {on=1: gi=1.8: };", 'lay_inhib {on=1: gi=1.8 ff=1: s="a b=c": };'))
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}:28: expected ':' after inline value "
                                          r"'gi=1.8', found 'ff=' \(a ':' is missing\)"):
        read_project(path)
    # inside a string, 'b=c' is text
    path = _mini(tmp_path, MINI_PROJ.replace("lay_inhib {on=1: gi=1.8: };", 'lay_inhib {on=1: s="a b=c": };'))
    assert read_project(path).find(".networks[0].layers[0]").value("lay_inhib.s") == "a b=c"
