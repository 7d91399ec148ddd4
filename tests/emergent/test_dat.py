"""emergent_py.emergent.dat against real emergent 8.6.1 .dat files (shared/reference/emergent)."""
import re

import numpy as np
import pytest

from emergent_py.emergent.dat import read_dat, write_dat
from emergent_py.errors import FormatError
from emergent_py.spec import Patterns


def test_simple_lines_patterns(reference):
    t = read_dat(reference / "data" / "SimpleLines5x5.dat")
    assert t.columns == ["Name", "Input", "Output"]
    assert len(t) == 6
    # quotes are unescaped; emergent escapes only \\ and \" so a literal \n stays two characters
    assert list(t["Name"]) == ['checks " and balances "', "mitvert\\nand fitvert", "midhoriz", "rdiag",
                               "ldiag", "random"]
    inp = t["Input"]
    assert inp.shape == (6, 5, 5) and inp.dtype == np.float32
    # "midhoriz": cells [2:x,2] (the middle row y=2) are on, numpy (Y, X)
    assert np.array_equal(inp[2], np.eye(5, dtype=np.float32)[2][:, None] * np.ones((1, 5), np.float32))
    # "rdiag": cells [2:4,0] [2:3,1] ... i.e. x + y == 4
    assert np.array_equal(inp[3], np.fliplr(np.eye(5, dtype=np.float32)))
    assert t.info["Input"].geom == (5, 5) and t.info["Input"].type == "%"
    assert t.get("Nope") is None and t.get("Nope", 3) == 3


def test_patterns_from_dat(reference):
    p = Patterns.from_dat(reference / "data" / "SimpleLines5x5.dat")
    assert p.n == 6 and p.layers == ["Input", "Output"]
    assert p.names[2] == "midhoriz"
    assert p["Output"].shape == (6, 5, 5)
    assert p["Input"][0].sum() == 5.0          # "checks": 4 corners + centre


def test_epoch_logs(reference):
    t = read_dat(reference / "data" / "epoch_log_analysis_sample_data.epc.dat")
    assert t.columns[:4] == ["batch", "epoch", "avg_sse", "cnt_err"]
    assert t["epoch"].dtype == np.int64 and list(t["epoch"][:3]) == [0, 1, 2]
    assert t["avg_sse"][:2].tolist() == [np.float32(6.6524), np.float32(5.63468)]
    e = read_dat(reference / "runs" / "stdassoc" / "LeabraStd_e5.epc.dat")
    assert len(e) == 5 and len(e.columns) == 40
    assert e["avg_sse"][0] == np.float32(5.4326) and e["avg_cos_err"][1] == np.float32(0.251944)
    assert "Hidden_Fm_Input_netrel" in e.columns


def test_trial_log_with_4d_connection_matrices(reference):
    path = reference / "runs" / "basic" / "basic_leabra_test_cyc.trl.dat"
    t = read_dat(path)
    assert len(t) == 4 and t["trial_name"].tolist() == ["Trial0", "Trial1", "Trial2", "Trial3"]
    w = t["Hidden_Fm_Input_r_wt"]
    assert w.shape == (4, 1, 4, 1, 4)            # geometry <4:4,1,4,1> reversed: (ry, rx, sy, sx)
    # independent check: find the raw field of cell [4:sx=1,sy=0,rx=1,ry=0] for row 3
    lines = path.read_text().splitlines()
    header = lines[0].split("\t")
    pos = next(i for i, h in enumerate(header) if h.startswith("%Hidden_Fm_Input_r_wt[4:1,0,1,0]"))
    assert w[3, 0, 1, 0, 1] == np.float32(lines[4].split("\t")[pos])
    # one-to-one: off-diagonal cells are written as 0, diagonal ones are weights near 0.5
    diag = np.array([w[3, 0, r, 0, r] for r in range(4)])
    assert np.all(np.abs(diag - 0.5) < 0.01)
    assert w[3, 0, 1, 0, 2] == 0
    n_fields = len(header) - 1
    assert sum(int(np.prod(t.info[c].geom or (1,))) for c in t.columns) == n_fields


def test_cycle_log(reference):
    t = read_dat(reference / "runs" / "basic" / "basic_leabra_test_cyc.cyc.dat")
    assert len(t) == 400
    assert t["cycle"].tolist()[:3] == [1, 2, 3] and t["cycle"].max() == 100
    assert t["Hidden_act"].shape == (400, 1, 4)
    assert t["Hidden_net"][0, 0, 0] == np.float32(0.282738)


def test_rewrite_is_byte_identical(reference, tmp_path):
    """read -> write with emergent's %g reproduces every real log byte for byte (all of runs/)."""
    files = sorted((reference / "runs").rglob("*.dat")) + [reference / "data" / "epoch_log_analysis_sample_data.epc.dat"]
    assert len(files) >= 15
    for src in files:
        out = tmp_path / src.name
        write_dat(out, read_dat(src), digits=6)
        assert out.read_bytes() == src.read_bytes(), src


def test_round_trip_exact(tmp_path):
    rng = np.random.default_rng(1)
    cols = {
        "name": np.array(['a "quoted" one', "back\\slash", ""]),
        "epoch": np.array([0, 1, -7]),
        "flag": np.array([True, False, True]),
        "byte": np.array([0, 255, 7], dtype=np.uint8),
        "sse": rng.random(3).astype(np.float32),
        "dbl": np.array([1 / 3, np.nan, -np.inf]),
        "Hidden_act": rng.random((3, 2, 3, 2, 2)).astype(np.float32),   # 4-D (GY, GX, UY, UX)
        "Out": rng.random((3, 4, 5)).astype(np.float32),
    }
    path = tmp_path / "t.dat.gz"
    write_dat(path, cols)
    t = read_dat(path)
    assert t.columns == list(cols)
    assert t.info["Hidden_act"].geom == (2, 2, 3, 2) and t.info["Out"].geom == (5, 4)
    assert t.info["byte"].type == "@" and t.info["dbl"].type == "#" and t.info["flag"].type == "^"
    for k, v in cols.items():
        assert t[k].dtype.kind == v.dtype.kind, k
        np.testing.assert_array_equal(t[k], v, err_msg=k)
    # numpy (Y, X) <-> emergent [x, y]: the cell header of Out[y=1, x=3] is %Out[2:3,1]
    text = path.open("rb").read()
    import gzip
    header = gzip.decompress(text).decode().splitlines()[0].split("\t")
    first = header.index("%Out[2:0,0]<2:5,4>")
    pos = header.index("%Out[2:3,1]")
    assert pos - first == 1 * 5 + 3


def test_six_digits(tmp_path):
    v = np.array([0.123456789, 1e-7 / 3], dtype=np.float32)
    write_dat(tmp_path / "a.dat", {"x": v}, digits=6)
    assert (tmp_path / "a.dat").read_text().splitlines()[1:] == ["_D:\t0.123457", "_D:\t3.33333e-08"]


def _write(tmp_path, text):
    p = tmp_path / "bad.dat"
    p.write_text(text)
    return p


HEAD = "_H:\t$Name\t%x\t%In[2:0,0]<2:2,1>\t%In[2:1,0]\n"


@pytest.mark.parametrize("body, line, what", [
    (HEAD + '_D:\t"a"\t1\t0\t1\n_D:\t"b"\t2\t1', 3, "3 fields, expected 4"),           # truncated last line
    (HEAD + '_D:\t"a"\t1\t0\t1\t5\n_D:\t"b"\t2\t1\t0\n', 2, "5 fields, expected 4"),    # wrong column count
    (HEAD + '_D:\t"a"\t1\t0\t1\n_D:\t"b"\t2.5.1\t1\t0\n', 3, "'2.5.1' is not a float"),  # bad number
    ("_H:\t$Name\t%In[2:0,0]\t%In[2:1,0]\n", 1, "must carry its geometry"),              # bad matrix header
    ("_H:\t$Name\t%In[2:0,0]<2:2,1>\t%In[2:2,0]\n", 1, "outside the geometry"),
    ("_H:\t$Name\t%In[2:0,0]<2:3,1>\t%In[2:1,0]\n", 1, "2 of its 3 cells"),
    ("_H:\t$Name\t%In[2:0,0<2:3,1>\n", 1, "is not a column header"),
    ('_D:\t"a"\n', 1, "data before the header"),
    (HEAD + '_D:\t"a\t1\t0\t1\n', 2, "unterminated string"),
    ("_H:\t|n\n_D:\t1\n_D:\tx\n", 3, "'x' is not an integer"),
])
def test_malformed_files_name_file_and_line(tmp_path, body, line, what):
    p = _write(tmp_path, body)
    with pytest.raises(FormatError) as e:
        read_dat(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:{line}: "), msg
    assert what in msg


def test_partial_last_line_can_be_dropped(tmp_path):
    p = _write(tmp_path, HEAD + '_D:\t"a"\t1\t0\t1\n_D:\t"b"\t2\t1')
    t = read_dat(p, allow_partial_last=True)
    assert len(t) == 1 and t["In"].tolist() == [[[0.0, 1.0]]]
    with pytest.raises(FormatError, match="cut short"):
        read_dat(p)


def test_write_rejects_ragged_columns(tmp_path):
    with pytest.raises(FormatError, match="'b' has 2 rows"):
        write_dat(tmp_path / "x.dat", {"a": [1, 2, 3], "b": [1, 2]})
    assert not (tmp_path / "x.dat").exists()
    assert not list(tmp_path.iterdir())


def test_matrix_cell_order_matches_header_permutation(tmp_path):
    """Cells may come in any header order; values land by index, not by position."""
    p = _write(tmp_path, "_H:\t%M[2:1,0]\t%M[2:0,0]<2:2,1>\n_D:\t7\t3\n")
    with pytest.raises(FormatError, match="must carry its geometry"):
        read_dat(p)
    p = _write(tmp_path, "_H:\t%M[2:0,0]<2:2,2>\t%M[2:0,1]\t%M[2:1,0]\t%M[2:1,1]\n_D:\t1\t2\t3\t4\n")
    assert read_dat(p)["M"].tolist() == [[[1, 3], [2, 4]]]
    assert re.match(r"DatTable\(1 rows x 1 columns", repr(read_dat(p)))
