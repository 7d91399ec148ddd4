"""ta_Dump reader/writer on every real emergent project and table in the reference snapshot."""
from __future__ import annotations

import gzip

import pytest

from emergent_py.emergent.dump import Data, Dump, format_float, parse_ref, quote, unquote
from emergent_py.errors import FormatError


def dump_files(reference):
    files = sorted(reference.glob("**/*.proj")) + sorted(reference.glob("**/*.dtbl"))
    assert len(files) >= 15
    return files


def test_every_reference_file_round_trips_byte_identical(reference):
    for path in dump_files(reference):
        src = path.read_bytes()
        d = Dump.read(path)
        assert d.to_bytes() == src, path
        for root in d.roots:            # parse every inline block too, then write again
            for _ in root.walk():
                pass
        assert d.to_bytes() == src, path
        # each object is written twice, skeleton pass then value pass (projects that need
        # plugins write their plugin_deps list that way before the project)
        heads = [r.head.rstrip(" {") for r in d.roots]
        assert len(heads) in (2, 4) and heads[0::2] == heads[1::2], (path, heads)
        assert heads[-1].startswith(("LeabraProject", "BpProject",
                                     "CsProject", "SoProject", "DataTable")), (path, heads)


def test_leabrastd_queries(reference):
    d = Dump.read(reference / "proj_templates/LeabraStd.proj")
    assert d.version == "8.5.6.0"
    hidden = d.find(".networks[0].layers[1]")
    assert (hidden.type, hidden.name) == ("LeabraLayer", "Hidden")
    assert hidden.line == 17424
    assert hidden.value("layer_type") == "HIDDEN"
    assert hidden.value("un_geom.x") == "5"
    prj = d.find(".networks[0].layers[1].projections[1]")
    assert prj.name == "Fm_Output"
    ref = parse_ref(prj.value("con_spec.spec"))
    assert ref.path == ".networks[0].specs[2].children[1]" and ref.first
    assert d.find(ref.path).name == "TopDownCons"
    assert parse_ref(prj.value("spec.spec")) == parse_ref("$.networks[0].specs[3]$")
    assert d.find(".data.gp[0][0]").name == "StdInputData"
    assert d.find('.programs.gp[0]["LeabraTrain"]').type == "Program"
    assert d.path_of(hidden) == ".networks[0].layers[1]"
    assert d.skeleton_find(".networks[0].layers").size == 3
    ar = d.find(".data.gp[0][0].data[1].ar")
    data = [c for c in ar.kids if isinstance(c, Data)][0]
    assert data.dims == (5, 5, 6) and len(data.items) == 150
    unique = d.find(".networks[0].specs[2].children[1]")["unique"]
    assert unique.items == ["wt_scale", "feedback"]
    assert d.find(".networks[0]").get("keygen") is None
    with pytest.raises(KeyError, match=r"no '\[7\]'"):
        d.find(".networks[0].layers[7]")


def test_every_reference_ref_inside_networks_resolves(reference):
    d = Dump.read(reference / "projects/basic_leabra_test.proj")
    n = 0
    for owner, member, ref in d.refs():
        if ref.path.startswith(".networks[0].specs") or ref.path.startswith(".networks[0].layers"):
            assert d.try_find(ref.path) is not None, (owner.line, member.raw)
            n += 1
    assert n > 20


def test_edit_changes_only_the_edited_bytes(reference):
    path = reference / "proj_templates/LeabraStd.proj"
    src = path.read_text()
    d = Dump.read(path)
    d.find(".networks[0].specs[0]")["lay_inhib"].set("gi", format_float(2.25))
    d.find(".networks[0]").set("wt_save_fmt", "BINARY")
    d.value_root.set("name", quote('my "proj"'))
    out = d.text()
    assert out.count("\n") == src.count("\n")
    diff = [(a, b) for a, b in zip(src.splitlines(), out.splitlines()) if a != b]
    assert diff == [(' name="LeabraStd";', ' name="my \\"proj\\"";'),
                    ("     lay_inhib {on=1: gi=1.8: ff=1: fb=1: fb_tau=1.4: max_vs_avg=0: ff0=0.1: fb_dt=0.7142857: };",
                     "     lay_inhib {on=1: gi=2.25: ff=1: fb=1: fb_tau=1.4: max_vs_avg=0: ff0=0.1: fb_dt=0.7142857: };"),
                    ("   wt_save_fmt=TEXT;", "   wt_save_fmt=BINARY;")]
    again = Dump.parse(out)
    assert again.value_root.name == 'my "proj"'
    assert again.find(".networks[0].specs[0]").value("lay_inhib.gi") == "2.25"


def test_multiline_strings_and_escapes():
    text = ('// ta_Dump File v3.0 -- code v8.5.6.0 rev11473\n'
            'Program .projects[0] {\n name="a";\n desc="line 1 }; {\nline \\"2\\" \\\\";\n'
            ' flags=A|B;\n keygen 4 0=0;\n cmp 0 1;\n xf {s={x=1: y=2: }: m=A::b: };\n'
            ' L @. = [0] = T .x[0];\n arr{ "a;b";c;  };\n};\n')
    d = Dump.parse(text)
    r = d.value_root
    assert r.value("desc") == 'line 1 }; {\nline "2" \\'
    assert r.value("flags") == "A|B"
    assert r.value("keygen") == "0" and r["cmp"].raw is None
    assert r.value("xf.s.y") == "2" and r.value("xf.m") == "A::b"
    assert r.links[0].target == ".x[0]"
    assert r["arr"].items == ['"a;b"', "c"]
    assert d.text() == text
    assert unquote(quote('a"b\\c')) == 'a"b\\c' and quote("") == ""


def test_format_float_matches_emergent():
    assert format_float(1 / 1.4) == "0.7142857"
    assert format_float(9.170947e-5) == "9.170947e-5"
    assert format_float(1.817679e31) == "1.817679e+31"
    assert format_float(0.2) == "0.2" and format_float(100.0) == "100"


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.999])
def test_truncated_project_is_a_line_numbered_error(reference, tmp_path, cut):
    src = (reference / "proj_templates/LeabraStd.proj").read_text()
    text = src[:int(len(src) * cut)]
    with pytest.raises(FormatError, match=r"<text>:\d+: expected .*(truncated|closing)"):
        Dump.parse(text, "<text>")


def test_corrupted_line_names_line_and_expectation(reference):
    lines = (reference / "proj_templates/LeabraBlank.proj").read_text().splitlines(True)
    lines[200] = "   @@garbage here\n"
    with pytest.raises(FormatError, match=r"x.proj:201: expected a member .* found '@@garbage here'"):
        Dump.parse("".join(lines), "x.proj")
    with pytest.raises(FormatError, match=r"x.proj:1: expected the header"):
        Dump.parse("LeabraProject .projects[0] {\n};\n", "x.proj")


def test_gzip_and_atomic_write(reference, tmp_path):
    src = (reference / "proj_templates/LeabraBlank.proj").read_bytes()
    gz = tmp_path / "b.proj.gz"
    gz.write_bytes(gzip.compress(src))
    d = Dump.read(gz)
    out = tmp_path / "c.proj"
    d.write(out)
    assert out.read_bytes() == src
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.proj.gz", "c.proj"]


def test_backslash_before_newline_in_a_string():
    text = ('// ta_Dump File v3.0 -- code v8.5.6.0 rev11473\nProgram .projects[0] {\n'
            ' code="a \\\\\nb; \\"q\\"";\n x=1;\n};\n')
    d = Dump.parse(text)
    assert d.value_root.value("code") == 'a \\\nb; "q"'
    assert d.value_root.value("x") == "1" and d.text() == text
