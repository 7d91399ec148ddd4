"""emergent_py.emergent.wts against real emergent 8.6.1 weight files (shared/reference/emergent/runs)."""
import gzip

import numpy as np
import pytest

from emergent_py.emergent.wts import WtsFile, read_wts, write_wts
from emergent_py.errors import FormatError


def _raw(path):
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def test_basic_initial_weights(reference):
    w = read_wts(reference / "runs" / "basic" / "basic_leabra_test_init.end_noCW.bin.wts")
    assert (w.fmt, w.network, w.epoch) == ("BINARY", "Network_0", 0)
    assert list(w.layers) == ["Input", "Hidden", "Output"]
    hid = w.layers["Hidden"]
    assert hid.n_units == 4 and list(hid.recv) == ["Input", "Output"]
    assert hid.vars["adapt_gi"] == 1.0 and hid.vars["margin_low_thr"] == np.float32(0.501)
    np.testing.assert_array_equal(hid.bias, np.zeros(4, np.float32))
    # one-to-one projections, all weights exactly 0.5 (README: rnd mean=0.5 var=0)
    d = w.dense("Hidden", "Input", fill=np.nan)
    np.testing.assert_array_equal(np.diag(d), np.full(4, 0.5, np.float32))
    assert np.isnan(d[0, 1]) and hid.recv["Input"].mask(4).sum() == 4
    assert hid.recv["Output"].group == 1 and hid.recv["Input"].scale is None
    assert w.layers["Input"].recv == {}


def test_text_and_binary_agree_to_six_digits(reference):
    """stdassoc initial weights: TEXT vs BINARY differ only by 6-digit rounding (README: max 5e-7)."""
    d = reference / "runs" / "stdassoc"
    b, t = read_wts(d / "LeabraStd_init_bin.00_0000.wts.gz"), read_wts(d / "LeabraStd_init.00_0000.wts.gz")
    assert (b.fmt, t.fmt) == ("BINARY", "TEXT")
    n_diff = 0
    for recv, send in [("Hidden", "Input"), ("Hidden", "Output"), ("Output", "Hidden")]:
        wb, wt = b.dense(recv, send), t.dense(recv, send)
        assert wb.shape == (25, 25)
        assert np.abs(wb - wt).max() <= 5.1e-7
        n_diff += int((wb != wt).sum())
        # TEXT is exactly BINARY printed with %g
        np.testing.assert_array_equal(wt, np.array([float(f"{x:.6g}") for x in wb.ravel().tolist()],
                                                   np.float32).reshape(wb.shape))
    assert n_diff > 0


def test_every_reference_file_rewrites_byte_identical(reference, tmp_path):
    files = sorted((reference / "runs").rglob("*.wts")) + sorted((reference / "runs").rglob("*.wts.gz"))
    assert len(files) >= 40
    formats = set()
    for src in files:
        w = read_wts(src)
        formats.add((w.fmt, src.suffix == ".gz"))
        out = tmp_path / "out.wts"
        write_wts(out, w, digits=6)
        assert out.read_bytes() == _raw(src), src
    assert formats == {("TEXT", True), ("TEXT", False), ("BINARY", True), ("BINARY", False)}


def _random_file(rng, scale=False):
    layers = {"Input": 6, "Hidden": 4, "Output": 3}
    weights = {("Hidden", "Input"): rng.random((4, 6)).astype(np.float32),
               ("Output", "Hidden"): rng.random((3, 4)).astype(np.float32),
               ("Hidden", "Output"): rng.random((4, 3)).astype(np.float32) * 1e-3}
    masks = {("Hidden", "Input"): rng.random((4, 6)) < 0.5}
    scales = {("Output", "Hidden"): rng.random((3, 4)).astype(np.float32) + 0.5} if scale else None
    biases = {"Hidden": rng.normal(size=4).astype(np.float32) * 1e-5}
    return WtsFile.from_arrays("Net", layers, weights, biases=biases, masks=masks, scales=scales,
                               layer_vars={"Hidden": {"acts_m_avg": 0.123456789}}, epoch=7), weights, masks


@pytest.mark.parametrize("fmt, name, digits", [("BINARY", "w.wts", None), ("BINARY", "w.wts.gz", None),
                                               ("TEXT", "w.wts", None), ("TEXT", "w.wts.gz", None)])
def test_round_trip_exact(tmp_path, fmt, name, digits):
    rng = np.random.default_rng(3)
    src, weights, masks = _random_file(rng, scale=True)
    path = tmp_path / name
    write_wts(path, src, fmt=fmt, digits=digits)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    back = read_wts(path)
    assert (back.fmt, back.network, back.epoch) == (fmt, "Net", 7)
    assert back.layers["Hidden"].vars == {"acts_m_avg": float(np.float32(0.123456789))}
    for (recv, send), w in weights.items():
        m = masks.get((recv, send), np.ones(w.shape, bool))
        np.testing.assert_array_equal(back.dense(recv, send, fill=-1), np.where(m, w, -1).astype(np.float32))
    for lay in src.layers:
        np.testing.assert_array_equal(back.layers[lay].bias, src.layers[lay].bias)
    np.testing.assert_array_equal(back.layers["Output"].recv["Hidden"].dense(4, var="scale"),
                                  src.layers["Output"].recv["Hidden"].dense(4, var="scale"))


def test_text_six_digits(tmp_path):
    rng = np.random.default_rng(4)
    src, weights, _ = _random_file(rng)
    write_wts(tmp_path / "w.wts", src, fmt="TEXT", digits=6)
    back = read_wts(tmp_path / "w.wts")
    w = weights[("Output", "Hidden")]
    got = back.dense("Output", "Hidden")
    assert not np.array_equal(got, w)                                  # lossy ...
    np.testing.assert_allclose(got, w, rtol=5e-6, atol=0)              # ... at 6 significant digits
    assert "<acts_m_avg 0.123457>" in (tmp_path / "w.wts").read_text()


def test_from_arrays_errors():
    with pytest.raises(FormatError, match=r"expected \(n_recv, n_send\) = \(2, 3\)"):
        WtsFile.from_arrays("N", {"A": 3, "B": 2}, {("B", "A"): np.zeros((3, 2))})
    with pytest.raises(FormatError, match="no layer 'C'"):
        WtsFile.from_arrays("N", {"A": 3, "B": 2}, {("C", "A"): np.zeros((2, 3))})


def _text_file(tmp_path):
    w = WtsFile.from_arrays("N", {"A": 2, "B": 2}, {("B", "A"): np.full((2, 2), 0.25, np.float32)})
    write_wts(tmp_path / "ok.wts", w, fmt="TEXT")
    return (tmp_path / "ok.wts").read_text().splitlines(keepends=True)


def test_text_layout(tmp_path):
    lines = _text_file(tmp_path)
    assert lines[:5] == ["<Fmt TEXT>\n", "<Name N>\n", "<Epoch 0>\n", "<Lay A>\n", "<Ug>\n"]
    assert "".join(lines).count("<Cg 0 Fm:A>\n<Cn 2>\n0 0.25\n1 0.25\n</Cn>\n</Cg>\n") == 2


@pytest.mark.parametrize("edit, line, what", [
    (lambda L: L[1:], 1, "expected <Fmt ...>"),
    (lambda L: ["<Fmt CSV>\n"] + L[1:], 1, "expected <Fmt TEXT> or <Fmt BINARY>"),
    (lambda L: L[:3] + ["<Epoch x>\n"] + L[4:], 4, "expected <Lay ...>"),
    (lambda L: L[:2] + ["<Epoch x>\n"] + L[3:], 3, "'x' is not an integer"),
    (lambda L: L[:-5], None, "unexpected end of file"),
    (lambda L: [x.replace("1 0.25", "1 0.2.5") for x in L], "conn", "expected an integer sending index"),
    (lambda L: [x.replace("1 0.25", "1") for x in L], "conn", "expected 'send_idx wt'"),
])
def test_malformed_text_names_file_and_line(tmp_path, edit, line, what):
    lines = edit(_text_file(tmp_path))
    if line == "conn":
        line = next(i for i, x in enumerate(lines, 1) if x.startswith("1 0.2") or x == "1\n")
    elif line is None:
        line = len(lines) + 1
    p = tmp_path / "bad.wts"
    p.write_text("".join(lines))
    with pytest.raises(FormatError) as e:
        read_wts(p)
    assert str(e.value).startswith(f"{p}:{line}: "), str(e.value)
    assert what in str(e.value)


def test_truncated_binary(tmp_path, reference):
    data = _raw(reference / "runs" / "stdassoc" / "LeabraStd_init_bin.00_0000.wts.gz")
    p = tmp_path / "cut.wts"
    p.write_bytes(data[:len(data) // 2])
    with pytest.raises(FormatError, match=r"cut.wts:\d+: \(byte \d+\) expected \d+ records"):
        read_wts(p)
    p.write_bytes(gzip.compress(data)[:-20])
    with pytest.raises(FormatError, match="corrupt or truncated gzip"):
        read_wts(p)


def test_model_weights_parallel_projections_take_the_groups_in_order():
    """Two projections between the same layers get the file's two groups from that sender in
    order (emergent's ``Input`` and ``Input#1``), not the first group twice; a count mismatch is
    an error naming the file."""
    from dataclasses import replace
    from emergent_py import Full, Model, Network, Patterns, RunPlan, Sheet
    net = Network("Two")
    net.layer("Input", (2, 2), kind="input")
    net.layer("Hidden", (1, 3))
    net.connect("Input", "Hidden", Full(), name="A")
    net.connect("Input", "Hidden", Full(), name="B")
    pats = Patterns.random(n=2, layers={"Input": (2, 2)}, pct_on=0.5, seed=0)
    model = Model(net, Sheet({}), pats, RunPlan(epochs=1, stop_cnt_err=None))
    a = np.arange(12, dtype=np.float32).reshape(3, 4) / 12
    w = WtsFile.from_arrays("Two", {"Input": 4, "Hidden": 3}, {("Hidden", "Input"): a})
    first = w.layers["Hidden"].recv["Input"]
    w.layers["Hidden"].recv["Input#1"] = replace(first, group=1, wt=[x + np.float32(0.5) for x in first.wt])
    w.path = "two.wts"
    got = w.model_weights(model)
    np.testing.assert_array_equal(got["A"], a)
    np.testing.assert_array_equal(got["B"], a + np.float32(0.5))
    del w.layers["Hidden"].recv["Input#1"]
    with pytest.raises(FormatError, match=r"two.wts: layer 'Hidden' has 1 receiving group\(s\) from 'Input', "
                                          r"the model 2 projection\(s\) \(A, B\)"):
        w.model_weights(model)
