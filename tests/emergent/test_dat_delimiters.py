"""`.dat` tables saved with emergent's COMMA and SPACE delimiters (SaveData options) read like
the TAB ones; a wrong delimiter gets an error saying which one was found (issue 16, item 6)."""
import numpy as np
import pytest

from emergent_py.cli import main
from emergent_py.emergent.dat import read_dat
from emergent_py.errors import FormatError
from emergent_py.results import RunFile


def resaved(src, dst, delim: str):
    """``src`` (TAB) with every field delimiter replaced by ``delim``, as SaveData writes it
    (TAB never occurs inside a field: emergent does not escape it)."""
    dst.write_text(src.read_text().replace("\t", delim))
    return dst


@pytest.mark.parametrize("delim", [",", " "])
def test_patterns_with_quoted_names_holding_the_delimiter(reference, tmp_path, delim):
    src = reference / "data" / "SimpleLines5x5.dat"
    t, ref = read_dat(resaved(src, tmp_path / "p.dat", delim)), read_dat(src)
    # 'checks " and balances "' holds spaces; the header's [2:0,0]<2:5,5> holds commas
    assert t.columns == ref.columns == ["Name", "Input", "Output"]
    assert list(t["Name"]) == list(ref["Name"])
    assert np.array_equal(t["Input"], ref["Input"]) and t.info == ref.info


@pytest.mark.parametrize("delim", [",", " "])
def test_import_of_comma_and_space_logs(reference, tmp_path, delim):
    runs = reference / "runs" / "stdassoc"
    epc = resaved(runs / "LeabraStd_e5.epc.dat", tmp_path / "e5.epc.dat", delim)
    trl = resaved(runs / "LeabraStd_e5.trl.dat", tmp_path / "e5.trl.dat", delim)
    assert main(["import", str(epc), "--trial", str(trl), "-o", str(tmp_path / "e5.h5")]) == 0
    assert main(["import", str(runs / "LeabraStd_e5.epc.dat"), "--trial", str(runs / "LeabraStd_e5.trl.dat"),
                 "-o", str(tmp_path / "tab.h5")]) == 0
    with RunFile(tmp_path / "e5.h5") as a, RunFile(tmp_path / "tab.h5") as b:
        assert list(a.epochs) == list(b.epochs) and len(a.trials) == len(b.trials) > 0
        for name in b.epochs:
            assert np.array_equal(a.epochs[name], b.epochs[name]), name
        for name in b.trials:
            assert np.array_equal(a.trials[name], b.trials[name]), name


def test_rows_with_another_delimiter_than_the_header_say_which(tmp_path, capsys):
    p = tmp_path / "mixed.epc.dat"
    p.write_text("_H:\t|epoch\t%avg_sse\t%cnt_err\n_D:\t0\t1.5\t3\n_D:,1,0.5,1\n")
    assert main(["import", str(p), "-o", str(tmp_path / "x.h5")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"emergent-py import: error: {p}:3: 1 fields, expected 3 (one per header field of line 1); "
        "this line is separated by COMMA, the header by TAB: save the whole table with one delimiter")


def test_an_unknown_delimiter_is_named(tmp_path):
    p = tmp_path / "semi.dat"
    p.write_text("_H:;|epoch;%avg_sse\n_D:;0;1.5\n")
    with pytest.raises(FormatError, match=r"semi.dat:1: the header's delimiter after '_H:' is ';'; "
                                          r"emergent's .dat files use TAB, COMMA or SPACE"):
        read_dat(p)


def test_a_plain_csv_export_is_named(tmp_path):
    p = tmp_path / "export.csv"
    p.write_text("epoch,avg_sse\n0,1.5\n")
    with pytest.raises(FormatError, match="its first line is COMMA-separated without '_H:', a plain export"):
        read_dat(p)
