"""Representational analysis and the live-network pictures: clustering, PCA and similarity
against hand-computed values, pattern responses without side effects."""
from pathlib import Path

import numpy as np

from ci_support import missing
from emergent_py.leabra import Network
from emergent_py.results import representation as rep
from emergent_py.spec import load_model

PROJECT = Path(__file__).resolve().parents[2] / "projects" / "RandomAssoc"


def test_average_linkage_by_hand():
    # points 0, 1, 5, 11 on a line: merge {0,1} at 1; d({0,1},5) = (5+4)/2 = 4.5 -> merge at 4.5;
    # d({0,1,5},11) = (11+10+6)/3 = 9
    merges = rep.cluster(np.array([[0.0], [1.0], [5.0], [11.0]]))
    np.testing.assert_allclose(merges, [[0, 1, 1.0, 2], [2, 4, 4.5, 3], [3, 5, 9.0, 4]])
    assert rep.leaf_order(merges) == [3, 2, 0, 1]


def test_pca_and_similarity_by_hand():
    x = np.array([[1.0, 0.0], [-1.0, 0.0], [3.0, 0.0]])       # all variance along the first axis
    scores, frac = rep.pca(x)
    np.testing.assert_allclose(frac, [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.abs(scores[:, 0]), [0.0, 2.0, 2.0], atol=1e-12)
    s = rep.similarity(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]))
    np.testing.assert_allclose(s, [[1, 2 ** -0.5, 0], [2 ** -0.5, 1, 0], [0, 0, 0]], atol=1e-12)
    names, means = rep.group_means(["a_1", "b_1", "a_2"], np.array([[1.0], [5.0], [3.0]]), lambda n: n[0])
    assert names == ["a", "b"] and means.ravel().tolist() == [2.0, 5.0]


def test_layer_responses_leave_the_network_as_it_was():
    model = load_model(PROJECT)
    net = Network(model)
    net.trial(0)
    before = {k: np.array(v) for k, v in net.state_dict().items() if isinstance(v, np.ndarray)}
    names, x = rep.layer_responses(net, "Hidden", patterns=[3, 7])
    after = net.state_dict()
    for k, v in before.items():
        np.testing.assert_array_equal(after[k], v, err_msg=k)
    twin = Network(model)                      # the same state, pattern 7 directly
    twin.load_state_dict(net.state_dict())
    twin.trial(7)
    assert names == [model.patterns.names[3], model.patterns.names[7]]
    np.testing.assert_array_equal(x[1], twin.layers["Hidden"].act_m.ravel())


def test_live_network_pictures(tmp_path):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        missing("matplotlib is not installed: pip install 'ldlc-emergent[plot]'")
    from emergent_py.results import netview
    net = Network(load_model(PROJECT))
    net.trial(2)
    acts = netview.activations_from_network(net)
    assert acts["Hidden"]["act_m"].shape == (7, 7)
    out = netview.activation_grid(acts, tmp_path / "a.svg", title="trial 2")
    assert Path(out).stat().st_size > 10_000
    w, rs, ss = netview.weights_from_network(net, "Input->Hidden")
    assert w.shape == (49, 25) and rs == (7, 7) and ss == (5, 5)
    out = netview.receptive_fields(w, rs, ss, tmp_path / "rf.png", recv_name="Hidden", send_name="Input")
    assert Path(out).stat().st_size > 10_000
    img = netview.layer_image(np.arange(2 * 3 * 2 * 2), (2, 3, 2, 2))    # unit groups with gaps
    assert img.shape == (5, 8) and np.isnan(img[2]).all() and img[0, :2].tolist() == [0, 1]
