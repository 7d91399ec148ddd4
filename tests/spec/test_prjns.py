"""Geometry projection patterns: connectivity and connection order, and the weights the specs
set, checked against the worked examples of emergent-prjns.md (sections 1.1, 2.3, 2.5, 2.6, 2.8)."""
from __future__ import annotations

import numpy as np
import pytest

from emergent_py import Network
from emergent_py.errors import SpecError
from emergent_py.spec import GaussRF, GpOneToOne, GpTessel, Tessel
from emergent_py.spec.prjns import Geom, wrap

RECT3 = ((-1, -1), (0, -1), (1, -1), (-1, 0), (0, 0), (1, 0), (-1, 1), (0, 1), (1, 1))


def test_group_major_unit_order_and_wrap_quirk():
    g = Geom.of((1, 2, 2, 2))              # un 2x2, gp 2x1: flat 4x2 (the table of 1.1)
    assert [[g.at(x, y) for x in range(4)] for y in range(2)] == [[0, 1, 4, 5], [2, 3, 6, 7]]
    assert g.at(4, 0) is None
    assert [wrap(c, 3) for c in (-1, -5, -3, -6, 3, 4, 2)] == [2, 1, 3, 3, 0, 1, 2]


def test_tessel_worked_examples():
    t = Tessel(RECT3, send_scale=(2, 2), wrap=True)
    assert t.connections((4, 4), (2, 2)) == [[15, 12, 13, 3, 0, 1, 7, 4, 5], [13, 14, 15, 1, 2, 3, 5, 6, 7],
                                             [7, 4, 5, 11, 8, 9, 15, 12, 13], [5, 6, 7, 9, 10, 11, 13, 14, 15]]
    t = Tessel(RECT3, send_scale=(2, 2), wrap=False)
    assert t.connections((4, 4), (2, 2)) == [[0, 1, 4, 5], [1, 2, 3, 5, 6, 7], [4, 5, 8, 9, 12, 13],
                                             [5, 6, 7, 9, 10, 11, 13, 14, 15]]
    # a sending layer with groups (un 2x2 gp 2x1)
    t = Tessel(((0, 0), (1, 0), (0, 1), (1, 1)), send_scale=(2, 1), wrap=False)
    assert t.connections((1, 2, 2, 2), (1, 2)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    t = Tessel(((0, 0), (1, 0)), recv_group=(2, 1), wrap=False)
    assert t.connections((1, 4), (1, 4)) == [[0, 1], [0, 1], [2, 3], [2, 3]]
    t = Tessel(((-1, 0), (0, 0), (1, 0)), wrap=True)
    assert t.connections((1, 3), (1, 3), same=True) == [[2, 1], [0, 2], [1, 0]]
    assert Tessel(((-3, 0), (-1, 0), (3, 0))).connections((1, 3), (1, 1)) == [[2, 0]]   # -3 -> 3: dropped
    assert Tessel(((0, 0),), send_off=(-0.5, 0), wrap=False).connections((1, 4), (1, 2)) == [[0], [0]]


def test_tessel_weights_go_by_position():
    offs = ((-1, 0, 0.5), (0, 0, 1.0), (1, 0, 0.25))
    t = Tessel(offs, wrap=False, init_wts=True)
    # receiver 0: offset (-1, 0) is clipped, so the next connections take the first wt_vals
    assert t.connections((1, 3), (1, 3)) == [[0, 1], [0, 1, 2], [1, 2]]
    assert t.values((1, 3), (1, 3)) == [[0.5, 1.0], [0.5, 1.0, 0.25], [0.5, 1.0]]
    assert Tessel(offs).values((1, 3), (1, 3)) is None         # init_wts off: the con spec's


def test_gp_one_to_one_worked_examples():
    assert GpOneToOne().connections((1, 2, 1, 3), (1, 2, 1, 2)) == [[0, 1, 2], [0, 1, 2], [3, 4, 5], [3, 4, 5]]
    assert GpOneToOne().connections((1, 2, 1, 3), (1, 2)) == [[0, 1, 2], [3, 4, 5]]          # case 1
    assert GpOneToOne().connections((1, 2), (1, 2, 1, 3)) == [[0], [0], [0], [1], [1], [1]]  # case 2


def test_gp_tessel_worked_examples():
    t = GpTessel(((0, 0), (1, 0)), wrap=True)
    assert t.connections((2, 2, 1, 2), (2, 2, 1, 1)) == [[0, 1, 2, 3], [2, 3, 0, 1], [4, 5, 6, 7], [6, 7, 4, 5]]
    t = GpTessel(((0, 0), (1, 0)), wrap=False)
    assert t.connections((2, 2, 1, 2), (2, 2, 1, 1)) == [[0, 1, 2, 3], [2, 3], [4, 5, 6, 7], [6, 7]]
    net = Network("N")
    net.layer("A", (2, 2))
    net.layer("B", (2, 2, 1, 1))
    with pytest.raises(SpecError, match=r"GpTessel needs unit groups in both layers"):
        net.connect("A", "B", t)


def test_gauss_rf_worked_examples():
    g = GaussRF(rf_width=(4, 1), rf_move=(2, 1), wrap=False)
    assert g.connections((1, 8), (1, 3)) == [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]]
    np.testing.assert_allclose(g.values((1, 8), (1, 3))[0], [0.135335, 0.606531, 1.0, 0.606531], atol=1e-6)
    g = GaussRF(rf_width=(4, 1), rf_move=(2, 1), wrap=True)
    assert g.connections((1, 8), (1, 3)) == [[6, 7, 0, 1], [0, 1, 2, 3], [2, 3, 4, 5]]
    g = GaussRF(rf_width=(4, 4), rf_move=(2, 2))
    c = g.connections((6, 6), (3, 3))
    a = [0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 18, 19, 20, 21]
    b = [2, 3, 4, 5, 8, 9, 10, 11, 14, 15, 16, 17, 20, 21, 22, 23]
    d = [12, 13, 14, 15, 18, 19, 20, 21, 24, 25, 26, 27, 30, 31, 32, 33]
    e = [14, 15, 16, 17, 20, 21, 22, 23, 26, 27, 28, 29, 32, 33, 34, 35]
    assert c == [a, b, b, d, e, e, d, e, e]
    np.testing.assert_allclose(g.values((6, 6), (3, 3))[0], [
        .105399, .286505, .286505, .105399, .286505, .778801, .778801, .286505,
        .286505, .778801, .778801, .286505, .105399, .286505, .286505, .105399], atol=1e-6)
    g = GaussRF(rf_width=(3, 3), rf_move=(3, 3), wrap=True)
    assert g.connections((6, 6), (2, 2)) == [[35, 30, 31, 5, 0, 1, 11, 6, 7], [32, 33, 34, 2, 3, 4, 8, 9, 10],
                                             [17, 12, 13, 23, 18, 19, 29, 24, 25], [14, 15, 16, 20, 21, 22, 26, 27, 28]]
    np.testing.assert_allclose(g.values((6, 6), (2, 2))[3], [.367879, .606531, .367879, .606531, 1,
                                                            .606531, .367879, .606531, .367879], atol=1e-6)
    g = GaussRF(rf_width=(3, 1), rf_move=(1, 1), wrap=True)
    assert g.connections((1, 5), (1, 5), same=True)[0] == [4, 1]
    np.testing.assert_allclose(g.values((1, 5), (1, 5), same=True)[0], [0.6065, 1.0], atol=1e-4)   # the quirk
    g = GaussRF(rf_width=(3, 1), rf_move=(1, 1), wrap=True, self_con=True)
    assert g.connections((1, 5), (1, 5), same=True)[0] == [4, 0, 1]
    # a receiving layer with groups iterates flat x: un 2x1 gp 2x1
    g = GaussRF(rf_width=(2, 1), rf_move=(2, 1))
    assert g.connections((1, 8), (1, 2, 1, 2)) == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_duplicates_are_refused_and_patterns_round_trip():
    net = Network("N")
    net.layer("S", (1, 2))
    net.layer("R", (1, 1))
    with pytest.raises(SpecError, match=r"GaussRF connects sender 1 to receiver 0 more than once"):
        net.connect("S", "R", GaussRF(rf_width=(3, 1), rf_move=(1, 1), wrap=True))
    net.connect("S", "R", Tessel(((0, 0, 0.3), (1, 0)), init_wts=True))
    back = Network.from_dict(__import__("json").loads(__import__("json").dumps(net.to_dict())))
    assert back == net
    assert back.projections["S->R"].pattern.offsets == ((0, 0, 0.3), (1, 0, 1.0))


def test_tiled_gp_rf_worked_examples():
    from emergent_py.spec import TiledGpRF
    t = TiledGpRF(send_gp_size=(2, 1), send_gp_skip=(2, 1), send_gp_start=(-1, 0), wrap=True)
    assert t.connections((1, 4, 1, 2), (1, 2, 1, 1)) == [[6, 7, 0, 1], [2, 3, 4, 5]]
    t = TiledGpRF(send_gp_size=(2, 1), send_gp_skip=(2, 1), send_gp_start=(-1, 0), wrap=False)
    assert t.connections((1, 4, 1, 2), (1, 2, 1, 1)) == [[0, 1], [2, 3, 4, 5]]
    assert TiledGpRF().connections((4, 4, 1, 1), (2, 2, 1, 1)) == [      # the defaults, wrap
        [15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10], [13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8],
        [7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14, 3, 0, 1, 2], [5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0]]
    t = TiledGpRF(send_gp_size=(2, 2), send_gp_skip=(2, 2), send_gp_start=(0, 0))
    a, b, c, d = [0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]
    assert t.connections((4, 4, 1, 1), (2, 2, 1, 2)) == [a, a, b, b, c, c, d, d]


def test_tiled_gp_rf_gaussian_weights():
    from emergent_py.spec import TiledGpRF
    # send un 3x1 in 2 groups, G=(2,1), recv un 2x2, defaults (sigma 0.6, ctr_mv 0.8, 0.4-0.6)
    t = TiledGpRF(send_gp_size=(2, 1), send_gp_skip=(2, 1), send_gp_start=(0, 0), wrap=False, init_wts=True)
    assert t.connections((1, 2, 1, 3), (1, 1, 2, 2))[0] == [0, 1, 2, 3, 4, 5]
    v = t.values((1, 2, 1, 3), (1, 1, 2, 2))
    np.testing.assert_allclose(v[0], [0.5790, 0.4778, 0.4013, 0.4472, 0.4054, 0.4000], atol=5e-5)
    np.testing.assert_allclose(v[1], [0.4000, 0.4054, 0.4472, 0.4013, 0.4778, 0.5790], atol=5e-5)
    net = Network("N")
    net.layer("S", (1, 2, 1, 3))
    net.layer("R", (1, 1, 1, 2))
    with pytest.raises(SpecError, match=r"TiledGpRF gaussian weights with 2x1 receiving unit groups: "
                                        r"emergent divides by zero"):
        net.connect("S", "R", t)
