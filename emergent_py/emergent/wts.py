"""emergent 8.x weight files (``.wts``, ``.wts.gz``): read and write, TEXT and BINARY.

Structure (emergent-formats.md section 3): tag lines ``<Fmt TEXT|BINARY>``, ``<Name net>``,
``<Epoch e>``, then per layer ``<Lay name>``, the Leabra layer variables as ``<acts_m_avg 0.2>``
lines, ``<Ug>``, per unit ``<UgUn i >`` ``<Un>`` bias ``</Un>``-enclosed receiving groups
``<Cg g Fm:Sender>`` ``<Cn n>`` + n lines ``send_idx wt [scale]`` ``</Cn>`` ``</Cg>``, ``</UgUn>``,
``</Ug>``, ``</Lay>``. BINARY keeps the tag lines as text but writes the bias as one raw
little-endian float32 and the connections as n records of int32 index + float32 wt [+ float32
scale], each block followed by ``\\n``.

The format is detected from ``<Fmt ...>``; gzip from the magic bytes. Every parse error is a
:class:`~emergent_py.errors.FormatError` naming the file and the line (in BINARY files, binary
blocks count as one line each, and the byte offset is given too).

Typical use::

    w = read_wts("LeabraStd_init_bin.00_0000.wts.gz")
    w.layers["Hidden"].bias                              # float32 (25,)
    w.layers["Hidden"].recv["Input"].dense(25)           # float32 (n_recv, n_send)
    w.dense("Hidden", "Input")                           # the same, n_send from the file
    write_wts("init.wts", WtsFile.from_arrays("Net", {"In": 4, "Out": 4},
                                              {("Out", "In"): np.full((4, 4), 0.5, np.float32)}))
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import FormatError, clip, did_you_mean
from ..fileio import read_bytes
from .dat import atomic_write

FORMATS = ("TEXT", "BINARY")
_REC = {1: np.dtype([("i", "<i4"), ("wt", "<f4")]),
        2: np.dtype([("i", "<i4"), ("wt", "<f4"), ("scale", "<f4")])}
_TAG = re.compile(rb"^<(/?)([A-Za-z_][A-Za-z0-9_]*)(?: (.*?))?>$")


@dataclass
class WtsProjection:
    """One receiving connection group (``<Cg g Fm:send>``) across all units of a layer.

    Attributes
    ----------
    send_layer : sending layer name (the ``Fm:`` key emergent matches on load)
    group : the ``g`` index of ``<Cg g ...>`` (emergent's receiving-group index)
    send_idx : per receiving unit, int32 ``(n_cons,)`` sending-unit flat indices
    wt : per receiving unit, float32 ``(n_cons,)`` effective weights
    scale : per receiving unit float32 ``(n_cons,)`` scales, or None when not saved
    """
    send_layer: str
    group: int
    send_idx: list[np.ndarray]
    wt: list[np.ndarray]
    scale: list[np.ndarray] | None = None

    @property
    def n_recv(self) -> int:
        return len(self.wt)

    def dense(self, n_send: int, fill: float = 0.0, var: str = "wt") -> np.ndarray:
        """Weights as a float32 ``(n_recv, n_send)`` matrix; absent connections are ``fill``.

        ``var="scale"`` gives the scales instead (when saved).
        """
        values = self.wt if var == "wt" else self.scale
        if values is None or var not in ("wt", "scale"):
            raise FormatError(f"projection Fm:{self.send_layer}: no '{var}' values in this file")
        out = np.full((self.n_recv, n_send), fill, dtype=np.float32)
        for r, (idx, v) in enumerate(zip(self.send_idx, values)):
            if idx.size and (idx.min() < 0 or idx.max() >= n_send):
                raise FormatError(f"projection Fm:{self.send_layer}: receiving unit {r} has sending index "
                                  f"{int(idx.max())} outside 0..{n_send - 1}; is n_send={n_send} right?")
            out[r, idx] = v
        return out

    def mask(self, n_send: int) -> np.ndarray:
        """bool ``(n_recv, n_send)``: True where a connection exists."""
        out = np.zeros((self.n_recv, n_send), dtype=bool)
        for r, idx in enumerate(self.send_idx):
            out[r, idx] = True
        return out


@dataclass
class WtsLayer:
    """One ``<Lay name>`` block.

    Attributes
    ----------
    name : layer name
    vars : Leabra layer variables (``acts_m_avg``, ``adapt_gi``, ``margin_*``...), file order, as
        Python floats holding the float32 value emergent loads
    n_units : number of units (highest ``<UgUn i >`` index + 1)
    bias : float32 ``(n_units,)`` bias weights, or None when the file has none
    recv : receiving projections keyed by sending layer name (a second group from the same
        sender is keyed ``"Sender#g"``)
    """
    name: str
    vars: dict[str, float] = field(default_factory=dict)
    n_units: int = 0
    bias: np.ndarray | None = None
    recv: dict[str, WtsProjection] = field(default_factory=dict)


@dataclass
class WtsFile:
    """A whole weight file: format, network name, epoch and layers in file order."""
    fmt: str = "TEXT"
    network: str = "Network_0"
    epoch: int = 0
    layers: dict[str, WtsLayer] = field(default_factory=dict)
    path: str | None = None

    def dense(self, recv: str, send: str, fill: float = 0.0) -> np.ndarray:
        """float32 ``(n_recv, n_send)`` weights of projection ``send -> recv``."""
        for name in (recv, send):
            if name not in self.layers:
                raise KeyError(f"no layer '{name}' in weight file." + did_you_mean(name, self.layers))
        lay = self.layers[recv]
        if send not in lay.recv:
            raise KeyError(f"layer '{recv}' receives no projection from '{send}'; it receives from "
                           f"{', '.join(lay.recv) or 'nothing'}")
        return lay.recv[send].dense(self.layers[send].n_units, fill)

    def model_weights(self, model) -> dict:
        """The weights of every projection of ``model`` (a :class:`~emergent_py.spec.Model`) and
        the layers' bias weights, keyed as :class:`~emergent_py.leabra.Network` takes them
        (``{projection name: (n_recv, n_send)}``, ``{"<layer>.bias": (n_units,)}``), so that a
        native run starts from these weights (e.g. emergent's initial weights).

        Projections between the same two layers take the file's groups from that sender in
        order (emergent's ``Sender``, ``Sender#1``, ...). Raises FormatError naming this file when
        it lacks a layer of the model, a layer's size differs, or the projections from a sender
        do not match the file's groups in number."""
        where = self.path or "weight file"
        layers = model.network.layers
        for name, lay in layers.items():
            if name not in self.layers:
                raise FormatError(f"{where}: no layer '{name}' (the model's); the file has "
                                  f"{', '.join(self.layers) or 'none'}" + did_you_mean(name, self.layers))
            if self.layers[name].n_units != lay.n_units:
                raise FormatError(f"{where}: layer '{name}' has {self.layers[name].n_units} units, the "
                                  f"model's has {lay.n_units}")
        out = {}
        pairs: dict[tuple[str, str], list] = {}
        for p in model.network.projections.values():
            pairs.setdefault((p.recv, p.send), []).append(p)
        for (recv, send), prjns in pairs.items():
            groups = [g for g in self.layers[recv].recv.values() if g.send_layer == send]
            if len(groups) != len(prjns):
                raise FormatError(f"{where}: layer '{recv}' has {len(groups)} receiving group(s) from "
                                  f"'{send}', the model {len(prjns)} projection(s) "
                                  f"({', '.join(p.name for p in prjns)})")
            for p, g in zip(prjns, groups):
                out[p.name] = g.dense(self.layers[send].n_units)
        for name in layers:
            if self.layers[name].bias is not None:
                out[f"{name}.bias"] = self.layers[name].bias
        for key, w in out.items():         # a run from them would fail (or worse) much later
            bad = np.argwhere(~np.isfinite(w))
            if bad.size:
                what = (f"the bias of unit {bad[0][0]} of layer '{key[:-5]}'" if key.endswith(".bias") else
                        f"projection {key}: the weight from sending unit {bad[0][1]} to unit {bad[0][0]}")
                raise FormatError(f"{where}: {what} is {w[tuple(bad[0])]} ({len(bad)} non-finite in all); "
                                  "a run needs finite initial weights")
        return out

    @classmethod
    def from_arrays(cls, network_name: str, layers: Mapping[str, int],
                    weights: Mapping[tuple[str, str], np.ndarray], biases: Mapping[str, np.ndarray] | None = None,
                    masks: Mapping[tuple[str, str], np.ndarray] | None = None,
                    scales: Mapping[tuple[str, str], np.ndarray] | None = None,
                    layer_vars: Mapping[str, Mapping[str, float]] | None = None,
                    epoch: int = 0, fmt: str = "TEXT") -> "WtsFile":
        """Build a weight file from dense arrays (for initial weights emergent should load).

        Parameters
        ----------
        network_name : ``<Name>``
        layers : layer name -> n_units, in network order (the file's layer order)
        weights : ``(recv, send)`` -> float32 ``(n_recv, n_send)``; projections into a layer get
            group indices 0, 1, ... in the order given
        biases : layer name -> ``(n_units,)``; default 0
        masks : ``(recv, send)`` -> bool ``(n_recv, n_send)``, which connections exist
            (default all: a full projection); e.g. the identity for one-to-one
        scales : ``(recv, send)`` -> ``(n_recv, n_send)`` scales to save (only with adapt_scale or
            random scales in emergent)
        layer_vars : layer name -> {var: value}, written before ``<Ug>``
        """
        out = cls(fmt=fmt, network=network_name, epoch=int(epoch))
        for name, n in layers.items():
            b = np.zeros(n, np.float32) if not biases or name not in biases else np.asarray(biases[name], np.float32)
            if b.shape != (n,):
                raise FormatError(f"WtsFile.from_arrays: bias of '{name}' has shape {b.shape}, expected ({n},)")
            out.layers[name] = WtsLayer(name, dict((layer_vars or {}).get(name, {})), int(n), b.copy())
        for key in list(masks or {}) + list(scales or {}):
            if key not in weights:
                raise FormatError(f"WtsFile.from_arrays: mask/scale for {key} without weights")
        for (recv, send), w in weights.items():
            for name in (recv, send):
                if name not in out.layers:
                    raise FormatError(f"WtsFile.from_arrays: projection {send}->{recv}: no layer '{name}' in "
                                      f"layers." + did_you_mean(name, out.layers))
            n_recv, n_send = layers[recv], layers[send]
            w = np.asarray(w, dtype=np.float32)
            m = np.ones((n_recv, n_send), bool) if not masks or (recv, send) not in masks \
                else np.asarray(masks[(recv, send)], bool)
            s = None if not scales or (recv, send) not in scales else np.asarray(scales[(recv, send)], np.float32)
            for what, arr in (("weights", w), ("mask", m), ("scales", s)):
                if arr is not None and arr.shape != (n_recv, n_send):
                    raise FormatError(f"WtsFile.from_arrays: {what} of {send}->{recv} have shape {arr.shape}, "
                                      f"expected (n_recv, n_send) = ({n_recv}, {n_send})")
            lay = out.layers[recv]
            if send in lay.recv:
                raise FormatError(f"WtsFile.from_arrays: two projections {send}->{recv}")
            idx = [np.flatnonzero(m[r]).astype(np.int32) for r in range(n_recv)]
            lay.recv[send] = WtsProjection(send, len(lay.recv), idx, [w[r, i] for r, i in enumerate(idx)],
                                           None if s is None else [s[r, i] for r, i in enumerate(idx)])
        return out


# ----------------------------------------------------------------------------------------- reading
class _Cursor:
    """Line reader over the raw bytes that also reads binary blocks; tracks line numbers."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path, self.data, self.pos, self.line = path, data, 0, 0

    def error(self, msg: str) -> FormatError:
        return FormatError(f"{self.path}:{self.line}: {msg}")

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def next_line(self, what: str) -> bytes:
        if self.at_end():
            self.line += 1
            raise self.error(f"unexpected end of file; expected {what} (truncated file?)")
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            end = len(self.data)
        text = self.data[self.pos:end].rstrip(b"\r")
        self.pos = end + 1
        self.line += 1
        return text

    def peek_line(self) -> bytes:
        end = self.data.find(b"\n", self.pos)
        return self.data[self.pos:end if end >= 0 else len(self.data)].rstrip(b"\r")

    def tag(self, what: str) -> tuple[bool, str, str | None]:
        """Next line as a tag: (closing?, name, value)."""
        text = self.next_line(what)
        m = _TAG.match(text)
        if not m:
            raise self.error(f"{_show(text)}: expected {what}")
        return bool(m[1]), m[2].decode("ascii"), None if m[3] is None else m[3].decode("utf-8", "replace")

    def expect(self, name: str, closing: bool = False) -> str | None:
        want = f"</{name}>" if closing else f"<{name}{'' if name in ('Un', 'Ug') else ' ...'}>"
        c, n, v = self.tag(want)
        if c != closing or n != name:
            raise self.error(f"<{'/' if c else ''}{n}{' ' + v if v else ''}>: expected {want}")
        return v

    def binary(self, n_bytes: int, what: str) -> bytes:
        end = self.pos + n_bytes
        if end + 1 > len(self.data) or self.data[end:end + 1] != b"\n":
            self.line += 1
            raise self.error(f"(byte {self.pos}) expected {n_bytes} bytes of {what} then a newline "
                             f"(truncated file or not BINARY?)")
        out = self.data[self.pos:end]
        self.pos, self.line = end + 1, self.line + 1
        return out


def _show(text: bytes) -> str:
    """A line for an error message; binary bytes as hex, not as mojibake."""
    try:
        s = text.decode("utf-8")[:60]
    except UnicodeDecodeError:
        s = None
    if s is None or any(c < " " and c != "\t" for c in s):
        return f"binary data ({text[:12].hex(' ')} ...)"
    return repr(s) if s else "empty line"


def _number(cur: _Cursor, text: str, what: str, kind=float):
    try:
        return kind(text)
    except (TypeError, ValueError):
        raise cur.error(f"'{clip(text)}' is not {'an integer' if kind is int else 'a number'}; expected {what}") from None


def read_wts(path: str | os.PathLike) -> WtsFile:
    """Read an emergent weight file (TEXT or BINARY, plain or gzip).

    Returns
    -------
    WtsFile
        with ``fmt``, ``network``, ``epoch`` and ``layers`` (:class:`WtsLayer`, file order).

    Raises
    ------
    FormatError
        ``file:line: what was found: what was expected`` for any deviation from the format.
    """
    path = os.fspath(path)
    cur = _Cursor(path, read_bytes(path, "an emergent weight file (.wts: '<Fmt TEXT|BINARY>' tag lines)",
                                  binary_ok=True))
    fmt = cur.expect("Fmt")
    if fmt not in FORMATS:
        raise cur.error(f"<Fmt {fmt}>: expected <Fmt TEXT> or <Fmt BINARY>")
    out = WtsFile(fmt=fmt, path=path)
    out.network = cur.expect("Name") or ""
    out.epoch = _number(cur, cur.expect("Epoch"), "<Epoch N>", int)
    while not cur.at_end():
        if not cur.peek_line().strip():
            cur.next_line("")
            continue
        name = cur.expect("Lay")
        if not name:
            raise cur.error("<Lay> without a layer name; expected <Lay NAME>")
        if name in out.layers:
            raise cur.error(f"layer '{name}' appears twice")
        out.layers[name] = _read_layer(cur, name, fmt == "BINARY")
    return out


def _read_layer(cur: _Cursor, name: str, binary: bool) -> WtsLayer:
    lay = WtsLayer(name)
    while True:                                          # layer variables until <Ug>
        closing, tag, value = cur.tag(f"a layer variable <var value> or <Ug> in layer '{name}'")
        if tag == "Ug" and not closing:
            break
        if closing or value is None:
            raise cur.error(f"<{'/' if closing else ''}{tag}>: expected <var value> or <Ug> in layer '{name}'")
        lay.vars[tag] = float(np.float32(_number(cur, value, f"<{tag} NUMBER>")))   # float members in C++
    biases: dict[int, float] = {}
    groups: dict[str, dict] = {}
    while True:
        closing, tag, value = cur.tag(f"<UgUn i > or </Ug> in layer '{name}'")
        if closing and tag == "Ug":
            break
        if closing or tag != "UgUn":
            raise cur.error(f"<{'/' if closing else ''}{tag}>: expected <UgUn i > or </Ug> in layer '{name}'")
        parts = (value or "").split()
        if not parts:
            raise cur.error(f"<UgUn> without a unit index; expected <UgUn i > in layer '{name}'")
        unit = _number(cur, parts[0], "<UgUn i >", int)
        if unit < 0 or unit in biases:
            raise cur.error(f"unit index {unit} is negative or repeated in layer '{name}'")
        cur.expect("Un")
        if binary:
            biases[unit] = float(np.frombuffer(cur.binary(4, "bias float32"), "<f4")[0])
        else:
            biases[unit] = _number(cur, cur.next_line("a bias weight").decode("ascii", "replace").strip(),
                                   "the bias weight (a number) after <Un>")
        while True:
            closing, tag, value = cur.tag(f"<Cg g Fm:Layer> or </Un> (unit {unit} of layer '{name}')")
            if closing and tag == "Un":
                break
            if closing or tag != "Cg" or not value or " Fm:" not in f" {value}":
                raise cur.error(f"<{'/' if closing else ''}{tag}{' ' + value if value else ''}>: expected "
                                f"<Cg g Fm:Layer> or </Un> (unit {unit} of layer '{name}')")
            g_text, _, send = value.partition(" Fm:") if not value.startswith("Fm:") else ("", "", value[3:])
            g = _number(cur, g_text, "<Cg g Fm:Layer>", int) if g_text else -1
            idx, wt, scale = _read_cons(cur, binary, f"unit {unit} of layer '{name}', Fm:{send}")
            cur.expect("Cg", closing=True)
            key = send
            if key in groups and groups[key]["g"] != g:
                key = f"{send}#{g}"
            grp = groups.setdefault(key, {"g": g, "send": send, "cons": {}})
            if unit in grp["cons"]:
                raise cur.error(f"unit {unit} of layer '{name}' has two groups Fm:{send}")
            grp["cons"][unit] = (idx, wt, scale)
        cur.expect("UgUn", closing=True)
    cur.expect("Lay", closing=True)
    lay.n_units = max(biases) + 1 if biases else 0
    lay.bias = np.zeros(lay.n_units, np.float32)
    for u, b in biases.items():
        lay.bias[u] = b
    if not biases:
        lay.bias = None
    empty_i, empty_f = np.zeros(0, np.int32), np.zeros(0, np.float32)
    for key, grp in groups.items():
        cons = grp["cons"]
        has_scale = any(c[2] is not None for c in cons.values())
        lay.recv[key] = WtsProjection(
            grp["send"], grp["g"],
            [cons[u][0] if u in cons else empty_i for u in range(lay.n_units)],
            [cons[u][1] if u in cons else empty_f for u in range(lay.n_units)],
            [(cons[u][2] if cons[u][2] is not None else np.ones(len(cons[u][1]), np.float32))
             if u in cons else empty_f for u in range(lay.n_units)] if has_scale else None)
    return lay


def _read_cons(cur: _Cursor, binary: bool, where: str):
    n = _number(cur, cur.expect("Cn"), f"<Cn N> ({where})", int)
    if n < 0:
        raise cur.error(f"<Cn {n}>: negative connection count ({where})")
    if binary:
        rec = None
        for k in (1, 2):
            end = cur.pos + n * _REC[k].itemsize
            if cur.data[end:end + 7] in (b"\n</Cn>\n", b"\n</Cn>") and cur.data[end:end + 6] == b"\n</Cn>":
                rec = _REC[k]
                break
        if rec is None:
            cur.line += 1
            raise cur.error(f"(byte {cur.pos}) expected {n} records of int32 index + float32 wt [+ scale] "
                            f"then </Cn> ({where}); truncated or corrupt BINARY data")
        arr = np.frombuffer(cur.binary(n * rec.itemsize, "connections"), rec)
        idx, wt = arr["i"].astype(np.int32), arr["wt"].astype(np.float32)
        scale = arr["scale"].astype(np.float32) if "scale" in rec.names else None
    else:
        start = cur.line
        rows = [cur.next_line(f"connection line 'send_idx wt [scale]' ({where})") for _ in range(n)]
        parts = [r.split() for r in rows]
        k = len(parts[0]) if parts else 2
        for i, p in enumerate(parts):
            if len(p) != k or k not in (2, 3):
                cur.line = start + i + 1
                raise cur.error(f"{_show(rows[i])}: expected 'send_idx wt' or 'send_idx wt scale' with the same "
                                f"number of values on every line of the group ({where})")
        try:
            flat = np.array([v for p in parts for v in p], dtype=bytes).reshape(n, k) if n else np.zeros((0, k), bytes)
            idx = flat[:, 0].astype(np.int64).astype(np.int32)
            vals = flat[:, 1:].astype(np.float64).astype(np.float32)
        except ValueError:
            for i, p in enumerate(parts):
                try:
                    int(p[0]), [float(v) for v in p[1:]]
                except ValueError:
                    cur.line = start + i + 1
                    raise cur.error(f"{_show(rows[i])}: expected an integer sending index and number(s) "
                                    f"({where})") from None
            raise
        wt = vals[:, 0].copy()
        scale = vals[:, 1].copy() if k == 3 else None
    if idx.size and idx.min() < 0:
        raise cur.error(f"negative sending index ({where})")
    cur.expect("Cn", closing=True)
    return idx, wt, scale


# ----------------------------------------------------------------------------------------- writing
def _fmt_values(values: np.ndarray, digits: int | None) -> list[str]:
    """Text of float32 values: shortest round-trip repr, or ``%.{digits}g`` (emergent: 6)."""
    v = np.asarray(values, dtype=np.float32)
    if digits is not None:
        return [f"{x:.{digits}g}" for x in v.astype(np.float64).tolist()]
    out = v.astype(str)
    return np.where(np.char.endswith(out, ".0"), np.char.rstrip(np.char.rstrip(out, "0"), "."), out).tolist()


def write_wts(path: str | os.PathLike, wts: WtsFile, fmt: str | None = None, digits: int | None = None) -> None:
    """Write a weight file emergent can load (``Network::LoadWeights`` / a ``Weights`` object).

    Parameters
    ----------
    path : output file; gzip-compressed when it ends in ``.gz``; written to a temporary name
        and renamed when complete
    wts : the content
    fmt : ``"TEXT"`` or ``"BINARY"``; default ``wts.fmt``
    digits : significant digits of TEXT numbers and of layer variables; default None = the
        shortest text that reads back as the same float32 (exact); 6 = what emergent writes.
        BINARY weights and biases are always exact.
    """
    path = os.fspath(path)
    fmt = (fmt or wts.fmt).upper()
    if fmt not in FORMATS:
        raise FormatError(f"write_wts({path}): fmt={fmt!r}; expected one of {', '.join(FORMATS)}")
    binary = fmt == "BINARY"
    out: list[bytes] = [f"<Fmt {fmt}>\n<Name {wts.network}>\n<Epoch {int(wts.epoch)}>\n".encode()]
    for name, lay in wts.layers.items():
        head = [f"<Lay {name}>\n"]
        if lay.vars:
            texts = _fmt_values(np.array(list(lay.vars.values()), np.float32), digits)
            head += [f"<{k} {t}>\n" for k, t in zip(lay.vars, texts)]
        head.append("<Ug>\n")
        out.append("".join(head).encode())
        bias = np.zeros(lay.n_units, np.float32) if lay.bias is None else np.asarray(lay.bias, np.float32)
        bias_text = None if binary else _fmt_values(bias, digits)
        prjns = sorted(lay.recv.values(), key=lambda p: p.group)
        for p in prjns:
            if p.n_recv != lay.n_units:
                raise FormatError(f"write_wts({path}): projection Fm:{p.send_layer} into '{name}' has "
                                  f"{p.n_recv} receiving units, the layer {lay.n_units}")
        for u in range(lay.n_units):
            out.append(f"<UgUn {u} >\n<Un>\n".encode())
            out.append(bias[u:u + 1].astype("<f4").tobytes() + b"\n" if binary else f"{bias_text[u]}\n".encode())
            for p in prjns:
                idx = np.asarray(p.send_idx[u], np.int32)
                wt = np.asarray(p.wt[u], np.float32)
                scale = None if p.scale is None else np.asarray(p.scale[u], np.float32)
                out.append(f"<Cg {p.group} Fm:{p.send_layer}>\n<Cn {len(idx)}>\n".encode())
                if binary:
                    rec = np.empty(len(idx), _REC[1 if scale is None else 2])
                    rec["i"], rec["wt"] = idx, wt
                    if scale is not None:
                        rec["scale"] = scale
                    out.append(rec.tobytes() + b"\n")
                else:
                    cols = [idx.astype(str).tolist(), _fmt_values(wt, digits)]
                    if scale is not None:
                        cols.append(_fmt_values(scale, digits))
                    out.append("".join(" ".join(c) + "\n" for c in zip(*cols)).encode())
                out.append(b"</Cn>\n</Cg>\n")
            out.append(b"</Un>\n</UgUn>\n")
        out.append(b"</Ug>\n</Lay>\n")
    atomic_write(path, b"".join(out))
