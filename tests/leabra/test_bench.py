"""emergent-py bench: the table it prints (timings themselves are not asserted, see benchmarks/)."""
import re

from emergent_py.cli import main
from emergent_py.leabra.bench import bench_size


def test_bench_prints_every_column_for_each_size(capsys):
    assert main(["bench", "--sizes", "SMALL,12", "--trials", "2"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert lines[0].split() == ["size", "kernel", "units", "synapses", "ms/trial", "wall", "ms", "ns/syn", "peak",
                                "MB", "dense", "ms", "x", "dense", "cycles", "ms", "x", "dense", "C++", "ms",
                                "x", "C++"]
    small = lines[1].split()
    assert small[:4] == ["SMALL", "c", "25", "4375"]          # 7 full projections of 25 x 25
    assert all(float(v) > 0 for v in small[4:])
    n12 = lines[2].split()
    assert n12[:4] == ["N12", "c", "12", str(7 * 12 * 12)] and n12[-2:] == ["-", "-"]   # no C++ anchor
    assert "bench SMALL (25 units/layer, 2 trials, kernel auto, best of 1)..." in captured.err


def test_bench_cycles_are_the_trial_without_its_learning():
    r = bench_size("SMALL", 25, 3)
    assert 0 < r["cycles_ms"] < r["ms_per_trial"]
    assert r["cycles_vs_dense"] == r["cycles_ms"] / r["dense_ms"]


def test_bench_bad_size_is_one_line(capsys):
    assert main(["bench", "--sizes", "GIANT"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"--sizes: 'GIANT' is not one of SMALL, MEDIUM, LARGE, HUGE", err)
