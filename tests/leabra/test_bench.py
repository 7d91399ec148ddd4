"""emergent-py bench: the table it prints (timings themselves are not asserted, see benchmarks/)."""
import re

from emergent_py.cli import main
from emergent_py.leabra.bench import bench_model


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


def test_bench_learning_off_model_has_no_learning_projections():
    on, off = bench_model(25), bench_model(25, learn=False)
    assert on.network.projections.keys() == off.network.projections.keys()
    from emergent_py.leabra import Network
    net = Network(off)
    assert not any(p.cc.learn for p in net.prjn_list)
    assert all(p.cc.learn for p in Network(on).prjn_list)


def test_bench_bad_size_is_one_line(capsys):
    assert main(["bench", "--sizes", "GIANT"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"--sizes: 'GIANT' is not one of SMALL, MEDIUM, LARGE, HUGE", err)
