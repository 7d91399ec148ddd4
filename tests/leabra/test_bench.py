"""emergent-py bench: the table it prints (timings themselves are not asserted, see benchmarks/)."""
import os
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


def test_bench_threads_table_with_the_side_by_side_bound(capsys):
    """bench --threads 1,2: one row per thread count with the speedup and, for 2, the bound of
    two one-thread runs side by side; a network too small to split says it ran on 1 thread."""
    assert main(["bench", "--threads", "2", "--sizes", "12", "--trials", "2"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("bench --threads: ") and "best of 1" in out[0]
    assert out[1].split() == ["size", "units", "synapses", "threads", "used", "ms/trial", "speedup", "bound",
                              "of", "bound", "CPU", "ms"]
    one, two = out[2].split(), out[3].split()
    assert one[:5] == ["N12", "12", str(7 * 144), "1", "1"] and one[6] == "1.00"
    assert two[:5] == ["N12", "12", str(7 * 144), "2", "1"] and "too small to split" in out[3]
    assert float(two[5]) > 0 and float(two[6]) > 0
    median = out[4].split()
    assert out[4].startswith("        median of the 1 repeats' own ratios at 2 threads: speedup ")
    assert float(median[median.index("speedup") + 1].rstrip(",")) == float(two[6])   # one repeat: the same
    if len(os.sched_getaffinity(0)) >= 2:        # the bound needs 2 CPUs to run the pair on
        assert float(two[7]) > 0 and "2 one-thread runs side by side" in out[5]
        assert float(median[median.index("bound") + 1].rstrip(",")) == float(two[7])
    else:
        assert two[7] == "-" and "bound" not in out[4]


def test_bench_threads_bad_list_is_one_line(capsys):
    assert main(["bench", "--threads", "1,x"]) == 2
    assert "--threads 1,x: give thread counts >= 1" in capsys.readouterr().err
    assert main(["bench", "--threads", "2", "--kernel", "numpy"]) == 2
    assert "threads are the C kernel's" in capsys.readouterr().err
