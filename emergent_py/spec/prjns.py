"""Projection patterns with geometry: emergent's TesselPrjnSpec, GpOneToOnePrjnSpec,
GpTesselPrjnSpec, TiledGpRFPrjnSpec and GaussRFPrjnSpec (emergent-prjns.md sections 1 and 2).

Each pattern knows which senders every receiving unit gets, **in emergent's connection order**
(:meth:`connections`), and, where the spec sets the weights itself (Tessel's ``wt_val``,
GaussRF's and TiledGpRF's gaussians), the value of each connection by position (:meth:`values`). Indices are
layer-relative unit indices in emergent's group-major order (a 4-D layer ``(GY, GX, UY, UX)``
numbers unit ``(gy, gx, uy, ux)`` as ``(gy*GX + gx)*UY*UX + uy*UX + ux``), the order of
``.wts`` files. Only what these specs do with whole connections (no random subsets, ``p_con``
< 1) is modelled; the importer refuses the rest by name.

>>> Tessel(offsets=((-1, 0), (0, 0), (1, 0)), wrap=True).connections((1, 3), (1, 3), same=True)
[[2, 1], [0, 2], [1, 0]]
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError


@dataclass(frozen=True)
class Geom:
    """A layer's geometry as emergent sees it (emergent-prjns.md 1.1)."""
    gx: int
    gy: int
    ux: int
    uy: int
    grouped: bool

    @classmethod
    def of(cls, shape: tuple[int, ...]) -> "Geom":
        if len(shape) == 4:
            gy, gx, uy, ux = shape
            return cls(gx, gy, ux, uy, True)
        y, x = shape
        return cls(1, 1, x, y, False)

    @property
    def un_n(self) -> int:
        return self.ux * self.uy

    @property
    def gp_n(self) -> int:
        return self.gx * self.gy

    @property
    def n(self) -> int:
        return self.un_n * self.gp_n

    @property
    def flat_x(self) -> int:
        return self.ux * self.gx

    @property
    def flat_y(self) -> int:
        return self.uy * self.gy

    def at(self, x: int, y: int) -> int | None:
        """The unit at flat ``(x, y)``, or None (no unit there)."""
        if not (0 <= x < self.flat_x and 0 <= y < self.flat_y):
            return None
        if not self.grouped:
            return y * self.ux + x
        g = (y // self.uy) * self.gx + x // self.ux
        return g * self.un_n + (y % self.uy) * self.ux + x % self.ux

    def group_units(self, g: int) -> range:
        """The units of group ``g`` (the whole layer for a layer without groups)."""
        if not self.grouped:
            return range(self.n)
        return range(g * self.un_n, (g + 1) * self.un_n)


def wrap(c: int, size: int) -> int:
    """emergent's WrapOne (1.4), quirk included: ``-k*size`` gives ``size`` (out of range)."""
    if 0 <= c < size:
        return c
    if c < 0:
        return size + int(math.fmod(c, size))
    return c % size


def _ints2(v, name: str, lo: int | None = None) -> tuple[int, int]:
    if (not isinstance(v, (tuple, list)) or len(v) != 2
            or not all(isinstance(a, int) and not isinstance(a, bool) for a in v)):
        raise SpecError(f"{name}={v!r}: expected an (x, y) pair of ints")
    if lo is not None and min(v) < lo:
        raise SpecError(f"{name}={v!r}: both must be >= {lo}")
    return (v[0], v[1])


def _floats2(v, name: str) -> tuple[float, float]:
    if (not isinstance(v, (tuple, list)) or len(v) != 2
            or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in v)):
        raise SpecError(f"{name}={v!r}: expected an (x, y) pair of numbers")
    return (float(v[0]), float(v[1]))


def _walk(n_xy: tuple[int, int], off, count, skip):
    """Receiving coordinates (y outer, x inner) from ``off`` in steps of ``skip``, at most
    ``count`` per dimension (-1: all), inside ``n_xy``."""
    ny, y = 0, off[1]
    while y < n_xy[1] and (count[1] == -1 or ny < count[1]):
        nx, x = 0, off[0]
        while x < n_xy[0] and (count[0] == -1 or nx < count[0]):
            yield x, y
            x, nx = x + skip[0], nx + 1
        y, ny = y + skip[1], ny + 1


#: (pattern, send shape, recv shape, self projection) -> connections (the 64 most recent)
_CONNS: dict = {}


def _tile(c: int, off: int, group: int) -> int:
    return int((c - off) / group) * group + off       # C division (truncates toward zero)


class GeometryPattern:
    """What the geometric patterns share: connectivity per receiver, checks, the dense mask.

    :meth:`connections` is computed once per (pattern, layer shapes): the network check, the
    native core's mask and the spec-set weights all ask for it."""
    EMERGENT_TYPE = ""

    def connections(self, send: tuple[int, ...], recv: tuple[int, ...], same: bool = False) -> list[list[int]]:
        """Per receiving unit, its senders in emergent's connection order (do not modify)."""
        key = (self, tuple(send), tuple(recv), bool(same))
        if key not in _CONNS:
            if len(_CONNS) >= 64:
                _CONNS.pop(next(iter(_CONNS)))
            _CONNS[key] = self._connections(tuple(send), tuple(recv), bool(same))
        return _CONNS[key]

    def _connections(self, send: tuple[int, ...], recv: tuple[int, ...], same: bool) -> list[list[int]]:
        raise NotImplementedError

    def values(self, send: tuple[int, ...], recv: tuple[int, ...], same: bool = False) -> list[list[float]] | None:
        """The weight each connection gets from the spec, by position (None: the con spec's)."""
        return None

    def check(self, send, recv, where: str) -> None:
        conns = self.connections(send.shape, recv.shape, send.name == recv.name)
        for r, senders in enumerate(conns):
            if len(set(senders)) != len(senders):
                dup = next(s for s in senders if senders.count(s) > 1)
                raise SpecError(f"{where}: {type(self).__name__} connects sender {dup} to receiver {r} "
                                "more than once (emergent keeps both connections; the native core "
                                "holds one per pair)")


@dataclass(frozen=True)
class Tessel(GeometryPattern):
    """TesselPrjnSpec (2.5): each receiver at flat (x, y) gets the senders at ``offsets`` around
    its centre ``int((x, y)*send_scale + send_off)``; duplicates are dropped.

    ``offsets`` is a list of ``(x, y)`` or ``(x, y, wt_val)``; ``wt_val`` (default 1) are the
    weights the spec sets when ``init_wts``."""
    offsets: tuple = ()
    recv_off: tuple = (0, 0)
    recv_n: tuple = (-1, -1)
    recv_skip: tuple = (1, 1)
    recv_group: tuple = (1, 1)
    wrap: bool = True
    send_scale: tuple = (1.0, 1.0)
    send_off: tuple = (0.0, 0.0)
    self_con: bool = False
    init_wts: bool = False
    add_rnd_var: bool = False
    EMERGENT_TYPE = "TesselPrjnSpec"

    def __post_init__(self) -> None:
        offs = []
        for o in self.offsets:
            if not isinstance(o, (tuple, list)) or len(o) not in (2, 3):
                raise SpecError(f"Tessel: offset {o!r}: expected (x, y) or (x, y, wt_val)")
            x, y = _ints2(tuple(o[:2]), "Tessel offset")
            wt = float(o[2]) if len(o) == 3 else 1.0
            offs.append((x, y, wt))
        if not offs:
            raise SpecError("Tessel: offsets is empty (give the (x, y) sending offsets)")
        object.__setattr__(self, "offsets", tuple(offs))
        object.__setattr__(self, "recv_off", _ints2(tuple(self.recv_off), "Tessel recv_off", 0))
        object.__setattr__(self, "recv_n", _ints2(tuple(self.recv_n), "Tessel recv_n", -1))
        object.__setattr__(self, "recv_skip", _ints2(tuple(self.recv_skip), "Tessel recv_skip", 1))
        object.__setattr__(self, "recv_group", _ints2(tuple(self.recv_group), "Tessel recv_group", 1))
        object.__setattr__(self, "send_scale", _floats2(tuple(self.send_scale), "Tessel send_scale"))
        object.__setattr__(self, "send_off", _floats2(tuple(self.send_off), "Tessel send_off"))
        for f in ("wrap", "self_con", "init_wts", "add_rnd_var"):
            object.__setattr__(self, f, bool(getattr(self, f)))

    def _connections(self, send, recv, same):
        S, R = Geom.of(send), Geom.of(recv)
        f32 = np.float32
        conns: list[list[int]] = [[] for _ in range(R.n)]
        for x, y in _walk((R.flat_x, R.flat_y), self.recv_off, self.recv_n, self.recv_skip):
            r = R.at(x, y)
            if r is None:
                continue
            c = (_tile(x, self.recv_off[0], self.recv_group[0]), _tile(y, self.recv_off[1], self.recv_group[1]))
            ctr = [int(f32(c[d]) * f32(self.send_scale[d]) + f32(self.send_off[d])) for d in (0, 1)]
            for ox, oy, _ in self.offsets:
                sx, sy = ox + ctr[0], oy + ctr[1]
                if self.wrap:
                    sx, sy = wrap(sx, S.flat_x), wrap(sy, S.flat_y)
                s = S.at(sx, sy)
                if s is None or (same and s == r and not self.self_con) or s in conns[r]:
                    continue
                conns[r].append(s)
        return conns

    def values(self, send, recv, same=False):
        if not self.init_wts:
            return None
        wts = [o[2] for o in self.offsets]
        return [wts[:len(c)] for c in self.connections(send, recv, same)]


@dataclass(frozen=True)
class GpOneToOne(GeometryPattern):
    """GpOneToOnePrjnSpec (2.3) with every connection made (p_con 1): unit group i of the
    receiving layer gets all units of sending group i (or units map to groups when one layer's
    unit count is the other's group count)."""
    n_conns: int = -1
    recv_start: int = 0
    send_start: int = 0
    self_con: bool = True
    EMERGENT_TYPE = "GpOneToOnePrjnSpec"

    def __post_init__(self) -> None:
        for f in ("n_conns", "recv_start", "send_start"):
            v = getattr(self, f)
            if not isinstance(v, int) or isinstance(v, bool) or v < (-1 if f == "n_conns" else 0):
                raise SpecError(f"GpOneToOne: {f}={v!r} must be an int >= {-1 if f == 'n_conns' else 0}")
        object.__setattr__(self, "self_con", bool(self.self_con))

    def _connections(self, send, recv, same):
        S, R = Geom.of(send), Geom.of(recv)
        conns: list[list[int]] = [[] for _ in range(R.n)]
        nc = self.n_conns
        if S.grouped and R.n == S.gp_n:                          # case 1: receiver i <- group i
            m = max(1, min(R.n - self.recv_start, nc if nc >= 0 else S.gp_n - self.send_start))
            for i in range(m):
                r = self.recv_start + i
                if r < R.n and self.send_start + i < S.gp_n:
                    conns[r].extend(s for s in S.group_units(self.send_start + i)
                                    if self.self_con or not same or s != r)
            return conns
        if R.grouped and S.n == R.gp_n:                          # case 2: group i <- sender i
            m = max(1, min(S.n - self.send_start, nc if nc >= 0 else R.gp_n - self.recv_start))
            for i in range(m):
                s = self.send_start + i
                if s < S.n and self.recv_start + i < R.gp_n:
                    for r in R.group_units(self.recv_start + i):
                        if self.self_con or not same or s != r:
                            conns[r].append(s)
            return conns
        rs = self.recv_start if R.grouped else 0                 # case 3: group i <- group i
        ss = self.send_start if S.grouped else 0
        if not (R.grouped and S.grouped):
            m = 1
        else:
            m = min(R.gp_n - rs, S.gp_n - ss, nc if nc >= 0 else R.gp_n)
            m = max(m, 1)
        for i in range(m):
            if rs + i >= R.gp_n or ss + i >= S.gp_n:
                continue
            _connect_gps(conns, R.group_units(rs + i), S.group_units(ss + i), same, self.self_con)
        return conns


def _connect_gps(conns, recv_units, send_units, same: bool, self_con: bool) -> None:
    """Connect_Gps with p_con 1 (1.5): every receiver of the group gets the whole sending group."""
    for r in recv_units:
        conns[r].extend(s for s in send_units if self_con or not same or s != r)


@dataclass(frozen=True)
class GpTessel(GeometryPattern):
    """GpTesselPrjnSpec (2.6) with every connection made (p_con 1): each receiving unit group
    gets the sending groups at ``offsets`` around ``int(g*send_gp_scale) + send_gp_border``.
    Both layers need unit groups."""
    offsets: tuple = ()
    recv_gp_off: tuple = (0, 0)
    recv_gp_n: tuple = (-1, -1)
    recv_gp_skip: tuple = (1, 1)
    recv_gp_group: tuple = (1, 1)
    send_gp_scale: tuple = (1.0, 1.0)
    send_gp_border: tuple = (0, 0)
    wrap: bool = True
    self_con: bool = False
    EMERGENT_TYPE = "GpTesselPrjnSpec"

    def __post_init__(self) -> None:
        offs = tuple(_ints2(tuple(o), "GpTessel offset") for o in self.offsets)
        if not offs:
            raise SpecError("GpTessel: offsets is empty (give the (x, y) sending-group offsets)")
        object.__setattr__(self, "offsets", offs)
        object.__setattr__(self, "recv_gp_off", _ints2(tuple(self.recv_gp_off), "GpTessel recv_gp_off", 0))
        object.__setattr__(self, "recv_gp_n", _ints2(tuple(self.recv_gp_n), "GpTessel recv_gp_n", -1))
        object.__setattr__(self, "recv_gp_skip", _ints2(tuple(self.recv_gp_skip), "GpTessel recv_gp_skip", 1))
        object.__setattr__(self, "recv_gp_group", _ints2(tuple(self.recv_gp_group), "GpTessel recv_gp_group", 1))
        object.__setattr__(self, "send_gp_scale", _floats2(tuple(self.send_gp_scale), "GpTessel send_gp_scale"))
        object.__setattr__(self, "send_gp_border", _ints2(tuple(self.send_gp_border), "GpTessel send_gp_border"))
        object.__setattr__(self, "wrap", bool(self.wrap))
        object.__setattr__(self, "self_con", bool(self.self_con))

    def check(self, send, recv, where: str) -> None:
        if len(send.shape) != 4 or len(recv.shape) != 4:
            raise SpecError(f"{where}: GpTessel needs unit groups in both layers (4-D shapes); got "
                            f"{send.shape} and {recv.shape}")
        super().check(send, recv, where)

    def _connections(self, send, recv, same):
        S, R = Geom.of(send), Geom.of(recv)
        f32 = np.float32
        conns: list[list[int]] = [[] for _ in range(R.n)]
        for gx, gy in _walk((R.gx, R.gy), self.recv_gp_off, self.recv_gp_n, self.recv_gp_skip):
            c = (_tile(gx, self.recv_gp_off[0], self.recv_gp_group[0]),
                 _tile(gy, self.recv_gp_off[1], self.recv_gp_group[1]))
            ctr = [int(f32(c[d]) * f32(self.send_gp_scale[d])) + self.send_gp_border[d] for d in (0, 1)]
            for ox, oy in self.offsets:
                sx, sy = ox + ctr[0], oy + ctr[1]
                if self.wrap:
                    sx, sy = wrap(sx, S.gx), wrap(sy, S.gy)
                if not (0 <= sx < S.gx and 0 <= sy < S.gy):
                    continue
                _connect_gps(conns, R.group_units(gy * R.gx + gx), S.group_units(sy * S.gx + sx),
                             same, self.self_con)
        return conns


@dataclass(frozen=True)
class GaussRF(GeometryPattern):
    """GaussRFPrjnSpec (2.8): each receiver at flat (x, y) gets a ``rf_width`` window of senders
    starting at ``floor((x, y)*rf_move)``; the spec sets gaussian weights (``init_wts``, on by
    default) of width ``gauss_sigma`` over the window."""
    rf_width: tuple = (6, 6)
    rf_move: tuple = (3.0, 3.0)
    gauss_sigma: float = 1.0
    wrap: bool = False
    self_con: bool = False
    init_wts: bool = True
    add_rnd_var: bool = False
    EMERGENT_TYPE = "GaussRFPrjnSpec"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rf_width", _ints2(tuple(self.rf_width), "GaussRF rf_width", 1))
        object.__setattr__(self, "rf_move", _floats2(tuple(self.rf_move), "GaussRF rf_move"))
        if isinstance(self.gauss_sigma, bool) or not isinstance(self.gauss_sigma, (int, float)) \
                or not self.gauss_sigma > 0:
            raise SpecError(f"GaussRF: gauss_sigma={self.gauss_sigma!r} must be > 0")
        object.__setattr__(self, "gauss_sigma", float(self.gauss_sigma))
        for f in ("wrap", "self_con", "init_wts", "add_rnd_var"):
            object.__setattr__(self, f, bool(getattr(self, f)))

    def _start(self, c: int, d: int, size: int) -> int:
        f32 = np.float32
        st = int(math.floor(f32(c) * f32(self.rf_move[d])))
        w = self.rf_width[d]
        if self.wrap:
            return wrap(st - w // 2, size)
        st = min(max(st, 0), size - 1)
        return size - w if st + w > size else st

    def _connections(self, send, recv, same):
        S, R = Geom.of(send), Geom.of(recv)
        w, h = self.rf_width
        conns: list[list[int]] = [[] for _ in range(R.n)]
        for y in range(R.flat_y):
            for x in range(R.flat_x):
                r = R.at(x, y)
                if r is None:
                    continue
                st = (self._start(x, 0, S.flat_x), self._start(y, 1, S.flat_y))
                for cy in range(h):
                    for cx in range(w):
                        sx, sy = st[0] + cx, st[1] + cy
                        if self.wrap:
                            sx, sy = wrap(sx, S.flat_x), wrap(sy, S.flat_y)
                        s = S.at(sx, sy)
                        if s is None or (same and s == r and not self.self_con):
                            continue
                        conns[r].append(s)
        return conns

    def values(self, send, recv, same=False):
        if not self.init_wts:
            return None
        w, h = self.rf_width
        cx, cy = float(w // 2), float(h // 2)
        if w % 2 == 0 and h % 2 == 0:
            cx, cy = cx - 0.5, cy - 0.5
        s2 = 2.0 * self.gauss_sigma ** 2
        cells = [math.exp(-((i % w - cx) ** 2 + (i // w - cy) ** 2) / s2) for i in range(w * h)]
        return [cells[:len(c)] for c in self.connections(send, recv, same)]


@dataclass(frozen=True)
class TiledGpRF(GeometryPattern):
    """TiledGpRFPrjnSpec (2.7), not reciprocal, every connection made (p_con 1): receiving unit
    group ``g = (gx, gy)`` gets the sending groups of the ``send_gp_size`` window starting at
    ``send_gp_start + g*send_gp_skip``, each group's units in order. With ``init_wts`` the spec
    sets GAUSSIAN weights ``wt_range.min + range*wf*wp`` (``full_gauss``, ``gp_gauss``: each a
    ``(on, sigma, wrap_wts, ctr_mv)`` tuple)."""
    send_gp_size: tuple = (4, 4)
    send_gp_skip: tuple = (2, 2)
    send_gp_start: tuple = (-1, -1)
    wrap: bool = True
    self_con: bool = False
    init_wts: bool = False
    add_rnd_var: bool = False
    full_gauss: tuple = (True, 0.6, False, 0.8)
    gp_gauss: tuple = (True, 0.6, False, 0.8)
    full_send: str = "BY_UNIT"
    full_recv: str = "BY_UNIT"
    wt_range: tuple = (0.4, 0.6)
    EMERGENT_TYPE = "TiledGpRFPrjnSpec"

    def __post_init__(self) -> None:
        object.__setattr__(self, "send_gp_size", _ints2(tuple(self.send_gp_size), "TiledGpRF send_gp_size", 1))
        object.__setattr__(self, "send_gp_skip", _ints2(tuple(self.send_gp_skip), "TiledGpRF send_gp_skip"))
        object.__setattr__(self, "send_gp_start", _ints2(tuple(self.send_gp_start), "TiledGpRF send_gp_start"))
        for f in ("wrap", "self_con", "init_wts", "add_rnd_var"):
            object.__setattr__(self, f, bool(getattr(self, f)))
        for f in ("full_gauss", "gp_gauss"):
            g = tuple(getattr(self, f))
            if len(g) != 4:
                raise SpecError(f"TiledGpRF: {f}={g!r}: expected (on, sigma, wrap_wts, ctr_mv)")
            object.__setattr__(self, f, (bool(g[0]), float(g[1]), bool(g[2]), float(g[3])))
        for f, ok in (("full_send", ("BY_UNIT", "BY_GROUP")), ("full_recv", ("BY_UNIT", "BY_GROUP", "ALL_SAME"))):
            if getattr(self, f) not in ok:
                raise SpecError(f"TiledGpRF: {f}={getattr(self, f)!r} is not one of {', '.join(ok)}")
        object.__setattr__(self, "wt_range", _floats2(tuple(self.wt_range), "TiledGpRF wt_range"))

    def check(self, send, recv, where: str) -> None:
        super().check(send, recv, where)
        R = Geom.of(recv.shape)
        if self.init_wts and (R.ux == 1 or R.uy == 1):
            raise SpecError(f"{where}: TiledGpRF gaussian weights with {R.ux}x{R.uy} receiving unit "
                            "groups: emergent divides by zero there (NaN weights); use groups at least "
                            "2 units wide and high, or init_wts off")

    def _connections(self, send, recv, same):
        S, R = Geom.of(send), Geom.of(recv)
        conns: list[list[int]] = [[] for _ in range(R.n)]
        for rg in range(R.gp_n):
            gx, gy = rg % R.gx, rg // R.gx
            st = (self.send_gp_start[0] + gx * self.send_gp_skip[0],
                  self.send_gp_start[1] + gy * self.send_gp_skip[1])
            for cy in range(st[1], st[1] + self.send_gp_size[1]):
                for cx in range(st[0], st[0] + self.send_gp_size[0]):
                    x, y = cx, cy
                    if self.wrap:
                        x, y = wrap(x, S.gx), wrap(y, S.gy)
                    elif not (0 <= x < S.gx and 0 <= y < S.gy):
                        continue
                    sg = y * S.gx + x
                    if not 0 <= sg < S.gp_n or not (0 <= x < S.gx and 0 <= y < S.gy):
                        continue
                    _connect_gps(conns, R.group_units(rg), S.group_units(sg), same, self.self_con)
        return conns

    def values(self, send, recv, same=False):
        if not self.init_wts:
            return None
        S, R = Geom.of(send), Geom.of(recv)
        Sv, G = np.array([S.ux, S.uy], float), np.array(self.send_gp_size, float)
        F = Sv * G - 1
        Hf, P = F / 2, Sv - 1
        Hp = P / 2
        fon, fsig, fwrap, fmv = self.full_gauss
        gon, gsig, gwrap, gmv = self.gp_gauss
        sf = fsig * Hf[0] if fsig * Hf[0] > 0 else fsig
        sp = gsig * Hp[0] if gsig * Hp[0] > 0 else gsig
        lo, hi = self.wt_range
        out = []
        for r, senders in enumerate(self.connections(send, recv, same)):
            u_r = r % R.un_n
            pos = np.array([u_r % R.ux, u_r // R.ux], float)
            ctr = (np.array([R.ux, R.uy], float) - 1) / 2
            n = (pos - ctr) / ctr
            nf = n
            if self.full_recv == "BY_GROUP" and R.grouped:
                g = r // R.un_n
                gctr = (np.array([R.gx, R.gy], float) - 1) / 2
                nf = (np.array([g % R.gx, g // R.gx], float) - gctr) / gctr
            Cf = Hf if self.full_recv == "ALL_SAME" else nf * fmv * Hf + Hf
            Cp = n * gmv * Hp + Hp
            u = np.asarray(senders, dtype=np.int64) % S.un_n
            q = np.concatenate(([0], np.cumsum(u[1:] < u[:-1])))      # group changes so far
            uc = np.stack([u % S.ux, u // S.ux], axis=1).astype(float)
            qc = np.stack([q % self.send_gp_size[0], q // self.send_gp_size[0]], axis=1).astype(float)
            wf = wp = np.ones(len(u))
            if fon:
                p = qc * Sv + (Hp if self.full_send == "BY_GROUP" else uc)
                wf = _gauss(p, Cf, F, sf, fwrap)
            if gon:
                wp = _gauss(uc, Cp, P, sp, gwrap)
            vals = (lo + (hi - lo) * wf * wp).tolist()
            out.append(vals)
        return out


def _gauss(p: np.ndarray, c: np.ndarray, span: np.ndarray, sigma: float, wrap_wts: bool) -> np.ndarray:
    """``exp(-1/2 (|p - c|/sigma)^2)`` per row of ``p`` (n, 2); with ``wrap_wts`` each coordinate
    may move by a span to get closer to the centre (2.7)."""
    p = p.copy()
    if wrap_wts:
        for d in (0, 1):
            here = np.abs(p[:, d] - c[d])
            up, down = np.abs(p[:, d] + span[d] - c[d]), np.abs(p[:, d] - span[d] - c[d])
            p[:, d] = np.where(up < here, p[:, d] + span[d], np.where(down < here, p[:, d] - span[d], p[:, d]))
    dist2 = ((p - c) ** 2).sum(axis=1)
    return np.exp(-0.5 * dist2 / sigma ** 2)


GEOMETRY_PATTERNS = {"Tessel": Tessel, "GpOneToOne": GpOneToOne, "GpTessel": GpTessel, "GaussRF": GaussRF,
                     "TiledGpRF": TiledGpRF}
