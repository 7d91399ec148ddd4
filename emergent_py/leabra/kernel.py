"""The compiled cycle kernel: kernel.c built with the system C compiler, called through ctypes.

The numpy steps in ``cycle.py`` are the reference implementation; ``kernel.c`` runs the same
per-cycle equations for the whole network in one C loop, which removes numpy's per-call dispatch
(~100 calls per cycle) and sends net input sender by sender without gathering weight rows. Only
the standard library is used (ctypes and the ``cc`` that builds everything else on a cluster).

Which implementation a network uses is its ``kernel`` argument, or else the environment variable
``EMERGENT_PY_KERNEL``: ``auto`` (default: the C kernel when it can be built and the network is
one it covers, numpy otherwise), ``c`` (the C kernel or an error saying why not) or ``numpy``.
The C kernel covers every float32 network (pools included); float64 runs the numpy steps.
With ``threads`` > 1 (``Network(threads=)``, leabra/threads.py) the cycles and the learning run
on a pool of that many threads kept for the network's lifetime, bit for bit one thread's results
(kernel.c explains the split).

The shared library is built once per source version into ``$EMERGENT_PY_CACHE`` (default
``~/.cache/emergent_py``; a per-user folder in the temporary directory when that cannot be written), under a name that hashes the source, the compiler command and the
platform; concurrent builders (MPI ranks) each write a temporary file and rename it into place.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import weakref
from pathlib import Path

import numpy as np

from ..errors import BackendError
from .projection import learn_quarters

SOURCE = Path(__file__).with_name("kernel.c")
KERNELS = ("auto", "c", "numpy")
# -ffp-contract=off: no fused multiply-adds, so every float32 operation rounds as numpy's does;
# -fno-trapping-math only lets branch-free selects compute both sides (no -ffast-math: values
# stay IEEE, bit for bit those of the scalar code)
# (-pthread: the kernel's thread pool; glibc before 2.34 keeps pthreads in a library of its own)
CFLAGS = ("-O3", "-std=c99", "-fPIC", "-shared", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math",
          "-pthread")

# unit state rows, unit constant rows and layer rows: the enums of kernel.c, in order
UNIT_ROWS = ("act", "act_eq", "act_nd", "act_raw", "net", "net_raw", "act_sent", "v_m", "v_m_eq", "I_net",
             "gc_i", "da", "avg_ss", "avg_s", "avg_m", "ru_avg_s_lrn", "su_avg_s_lrn", "spike", "spk_t",
             "pending", "net_ex")
UC_ROWS = ("g_bar_e", "g_bar_i", "g_l", "e_e", "e_l", "e_i", "vm_lo", "vm_hi", "vm_rate", "vm_rate_cyc",
           "half_rate_cyc", "thr", "vm_act_thr", "act_lo", "act_hi", "vm_r", "ge_c_i", "ge_c_l", "ge_c_d",
           "nx_gain", "nx_nvar", "nx_gcr", "nx_gain_cor", "nx_neg_sgn", "nx_sig_mult_eff", "nx_sig_val_at_0",
           "nx_interp_range", "nx_interp_val", "net_gain", "net_rate", "ss_rate", "s_rate", "m_rate",
           "ru_s", "ru_m", "su_s", "su_m", "send_thr", "delta_thr")
LAYER_ROWS = ("net_avg", "net_max", "acts_avg", "acts_max", "ffi", "fbi", "g_i", "adapt_gi")
PC_ROWS = ("gi", "ff", "fb", "ff0", "max_vs_avg", "fb_dt", "size")
POOL_ROWS = ("ffi", "fbi", "g_i", "acts_avg")
LC_ROWS = ("gi", "ff", "fb", "ff0", "max_vs_avg", "fb_dt", "inhib_on", "size")
ABI = 1 + 100 * len(UC_ROWS) + 10000 * len(UNIT_ROWS) + 10 ** 6 * 6   # (6: the Net struct's version)

_p = ctypes.c_void_p


class _Net(ctypes.Structure):
    _fields_ = [("n_units", ctypes.c_int64), ("n_layers", ctypes.c_int64), ("n_prjns", ctypes.c_int64),
                ("su_same", ctypes.c_int64), ("lay_start", _p), ("lay_size", _p),
                ("u", _p * len(UNIT_ROWS)), ("refr_until", _p), ("uc", _p), ("l", _p * len(LAYER_ROWS)),
                ("lc", _p), ("p_send", _p), ("p_recv", _p), ("p_wt", _p), ("p_scale", _p),
                ("t_r", ctypes.c_int64), ("send_idx", _p), ("send_delta", _p),
                ("n_pools", ctypes.c_int64), ("pool_start", _p), ("pool_size", _p), ("pool_layer", _p),
                ("lay_pool0", _p), ("lay_npools", _p), ("pc", _p), ("p", _p * len(POOL_ROWS))]


class _Con(ctypes.Structure):
    _fields_ = ([(k, ctypes.c_int64) for k in ("n_send", "n_recv", "rule_chl", "feedback", "set_l_lrn", "norm_on",
                                               "norm_send_cons", "mom_on", "soft_bound", "has_lo", "has_hi",
                                               "gain_int")]
                + [(k, ctypes.c_float) for k in ("lrn_thr", "d_thr", "d_rev", "d_rev_ratio", "l_lrn", "m_lrn",
                                                 "norm_decay_dt_c", "norm_min", "norm_lr_comp", "m_dt_c",
                                                 "sig_gain", "sig_off", "wt_lo", "wt_hi")]
                + [(k, _p) for k in ("mask", "s_su", "s_ru", "s_avg_s", "s_avg_m", "r_su", "r_ru", "r_avg_m",
                                     "r_avg_l", "r_avg_l_lrn", "wt", "fwt", "dwt", "dwnorm", "moment", "wb_inc",
                                     "wb_dec")])


# ------------------------------------------------------------------------------ building
def cache_dir() -> Path:
    d = os.environ.get("EMERGENT_PY_CACHE")
    if d:
        return Path(d)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "emergent_py"


def fallback_dir() -> Path:
    """Where the library is built when the cache folder cannot be written: a per-user folder in
    the temporary directory."""
    return Path(tempfile.gettempdir()) / f"emergent_py-{os.environ.get('USER') or os.getpid()}"


def compiler() -> list[str]:
    """The C compiler command: ``$CC`` (may carry flags) or the first of cc, gcc, clang."""
    cc = os.environ.get("CC")
    if cc:
        return shlex.split(cc)
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return [path]
    raise BackendError("no C compiler (cc, gcc or clang) on PATH for the compiled cycle kernel; "
                       "install one (apt-get install gcc) or use the numpy kernel (EMERGENT_PY_KERNEL=numpy)")


_LIB: ctypes.CDLL | None = None
_LIB_ERROR: str | None = None


# tuned for the CPU that builds it (AVX2 doubles the vector width of the synapse loops); the same
# IEEE operations per element, so the same numbers. The cache key holds the CPU's identity, so a
# node of another CPU type (a cluster's login vs compute nodes, one shared $HOME) builds its own.
NATIVE = ("-march=native",)


def cpu_identity() -> str:
    """The CPU model and instruction-set flags (Linux /proc/cpuinfo), else the platform's words."""
    try:
        with open("/proc/cpuinfo") as fh:
            keep = [ln for ln in fh.read().split("\n\n")[0].splitlines()
                    if ln.split(":")[0].strip() in ("model name", "flags", "Features", "CPU part")]
        if keep:
            return "\n".join(keep)
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor()}"


def library_path() -> Path:
    cmd = compiler() + list(CFLAGS) + list(NATIVE)
    key = hashlib.sha256(SOURCE.read_bytes() + "\0".join(cmd).encode() + cpu_identity().encode() +
                         f"{platform.machine()}-{sys.platform}".encode()).hexdigest()[:16]
    return cache_dir() / f"leabra_kernel-{key}.so"


def build(path: Path) -> None:
    """Compile kernel.c into ``path`` (via a temporary file in the same folder and a rename);
    without -march=native where the compiler does not take it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob("leabra_kernel-*.tmp.so"):     # left by builds that were killed
        try:
            if time.time() - old.stat().st_mtime > 600:
                old.unlink()
        except OSError:
            pass
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp.so", dir=path.parent)
    os.close(fd)
    try:
        for extra in (list(NATIVE), []):
            cmd = compiler() + list(CFLAGS) + extra + ["-o", tmp, str(SOURCE), "-lm"]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if done.returncode == 0:
                os.replace(tmp, path)
                prune(path)
                return
        raise BackendError(f"compiling the cycle kernel failed ({shlex.join(cmd)}):\n{done.stderr.strip()}")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# a build removes the other builds in its folder that no process has loaded for this long (older
# sources, compilers or CPUs); load() marks the one it uses
UNUSED_BUILD_DAYS = 30


def prune(keep: Path) -> None:
    """Remove the kernel builds beside ``keep`` that were not used for UNUSED_BUILD_DAYS (one
    that is still wanted is simply built again)."""
    for old in keep.parent.glob("leabra_kernel-*.so"):
        if old == keep or old.name.endswith(".tmp.so"):
            continue
        try:
            if time.time() - old.stat().st_mtime > UNUSED_BUILD_DAYS * 86400:
                old.unlink()
        except OSError:
            pass


def load() -> ctypes.CDLL:
    """The kernel library, built on first use; BackendError saying why when it cannot be."""
    global _LIB, _LIB_ERROR
    if _LIB is not None:
        return _LIB
    if _LIB_ERROR is not None:
        raise BackendError(_LIB_ERROR)
    try:
        path = library_path()
        if not path.exists():
            try:
                build(path)
            except OSError:         # the cache folder cannot be written (e.g. a read-only $HOME)
                path = fallback_dir() / path.name
                if not path.exists():
                    build(path)
        lib = ctypes.CDLL(str(path))
        try:
            os.utime(path)                  # in use: not pruned by another version's build
        except OSError:
            pass
        if lib.kernel_abi() != ABI:
            raise BackendError(f"{path}: kernel ABI {lib.kernel_abi()} differs from {ABI}; delete the file")
        lib.run_cycles.restype = ctypes.c_int64
        lib.run_cycles.argtypes = [ctypes.POINTER(_Net), _p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                   ctypes.POINTER(ctypes.c_int64)]
        if lib.con_abi() != ctypes.sizeof(_Con):
            raise BackendError(f"{path}: learning struct of {lib.con_abi()} bytes, expected {ctypes.sizeof(_Con)}")
        lib.compute_dwt.restype = lib.apply_dwt.restype = None
        lib.compute_dwt.argtypes = [ctypes.POINTER(_Con), ctypes.c_float]
        lib.apply_dwt.argtypes = [ctypes.POINTER(_Con)]
        lib.pool_create.restype = _p
        lib.pool_create.argtypes = [ctypes.c_int64]
        lib.pool_destroy.restype = None
        lib.pool_destroy.argtypes = [_p]
        lib.pool_size.restype = ctypes.c_int64
        lib.pool_size.argtypes = [_p]
        lib.run_cycles_pool.restype = ctypes.c_int64
        lib.run_cycles_pool.argtypes = [_p] + lib.run_cycles.argtypes
        lib.compute_dwt_all.restype = lib.apply_dwt_all.restype = None
        lib.compute_dwt_all.argtypes = [_p, _p, _p, ctypes.c_int64]
        lib.apply_dwt_all.argtypes = [_p, _p, ctypes.c_int64]
        lib.wt_bal_sums.restype = None
        lib.wt_bal_sums.argtypes = [_p, _p, ctypes.c_float, _p, _p]
    except (OSError, subprocess.SubprocessError, BackendError) as e:
        _LIB_ERROR = f"the compiled cycle kernel is unavailable: {e}"
        raise BackendError(_LIB_ERROR) from None
    _LIB = lib
    return lib


def choose(net, kernel: str | None, threads: int = 1) -> "CycleKernel | None":
    """The C kernel for ``net`` per ``kernel`` (or $EMERGENT_PY_KERNEL) on ``threads`` threads,
    or None for numpy."""
    kernel = kernel or os.environ.get("EMERGENT_PY_KERNEL") or "auto"
    if kernel not in KERNELS:
        raise BackendError(f"kernel {kernel!r}: use one of {', '.join(KERNELS)} "
                           f"(argument kernel= or EMERGENT_PY_KERNEL)")
    if kernel == "numpy":
        return None
    why = unsupported(net)
    if why is None:
        try:
            return CycleKernel(net, load(), threads)
        except BackendError as e:
            why = str(e)
            if kernel == "auto":     # a machine without a working compiler: say so (once per place)
                warnings.warn(f"{why}; running the numpy steps instead (several times slower)",
                              RuntimeWarning, stacklevel=4)
    if kernel == "c":
        raise BackendError(f"kernel 'c': {why}; use kernel 'auto' or 'numpy'")
    return None


def unsupported(net) -> str | None:
    """Why the C kernel cannot run ``net`` (None when it can)."""
    if net.dtype != np.float32:
        return "the compiled kernel is float32 only (this network is float64)"
    inhib = [p.name for p in net.prjn_list if p.con.inhib]
    if inhib:
        return f"inhibitory projections (inhib=true: {', '.join(inhib)}) run on the numpy steps only"
    self_fb = [l.name for l in net.lay_list if net.model.layer_params[l.name].layer.inhib_misc.self_fb != 0]
    if self_fb:
        return (f"inhib_misc.self_fb (layer{'s' if len(self_fb) > 1 else ''} {', '.join(self_fb)}) runs "
                f"on the numpy steps only")
    return None


# ------------------------------------------------------------------------------ running
def _bind_con(p, units) -> ctypes.Structure:
    """The learning struct of projection ``p``: its constants and the addresses of its arrays."""
    cc, f = p.cc, np.float32
    c = _Con()
    c.n_send, c.n_recv = p.send.n, p.recv.n
    c.rule_chl = cc.rule == "XCAL_CHL"
    c.feedback, c.set_l_lrn, c.norm_on, c.mom_on = cc.feedback, cc.set_l_lrn, cc.norm_on, cc.mom_on
    c.norm_send_cons = cc.norm_level == "SEND_CONS"
    c.soft_bound = cc.soft_bound
    c.has_lo, c.has_hi = cc.wt_lo is not None, cc.wt_hi is not None
    gain = float(cc.sig_gain)
    c.gain_int = int(gain) if gain.is_integer() and 1 <= gain <= 16 else 0     # as learn.powf decides
    for k in ("lrn_thr", "d_thr", "d_rev", "d_rev_ratio", "l_lrn", "m_lrn", "norm_decay_dt_c", "norm_min",
              "norm_lr_comp", "m_dt_c", "sig_gain", "sig_off"):
        setattr(c, k, f(getattr(cc, k)))
    c.wt_lo = f(cc.wt_lo if cc.wt_lo is not None else 0)
    c.wt_hi = f(cc.wt_hi if cc.wt_hi is not None else 0)
    if p.mask is not None:
        p._c_mask = np.ascontiguousarray(p.mask, dtype=np.uint8)
        c.mask = _addr(p._c_mask)
    at = lambda name, start: units[name].ctypes.data + 4 * start
    ss, rs = p.send.start, p.recv.start
    c.s_su, c.s_ru, c.s_avg_s, c.s_avg_m = (at(k, ss) for k in ("su_avg_s_lrn", "ru_avg_s_lrn", "avg_s", "avg_m"))
    c.r_su, c.r_ru, c.r_avg_m, c.r_avg_l, c.r_avg_l_lrn = (
        at(k, rs) for k in ("su_avg_s_lrn", "ru_avg_s_lrn", "avg_m", "avg_l", "avg_l_lrn"))
    for k in ("wt", "fwt", "dwt", "dwnorm", "moment", "wb_inc", "wb_dec"):
        a = getattr(p, k)
        assert a.dtype == np.float32 and a.flags.c_contiguous, (p.name, k)
        setattr(c, k, _addr(a))
    return c



def _addr(a: np.ndarray) -> int:
    return a.ctypes.data


class CycleKernel:
    """The C kernel bound to one network's arrays (which must not be reallocated afterwards:
    the network writes into its arrays in place), on ``threads`` threads (a pool kept for the
    network's lifetime; results bit for bit those of one thread, see kernel.c)."""

    def __init__(self, net, lib: ctypes.CDLL, threads: int = 1) -> None:
        self.lib, self.net = lib, net
        self.threads = int(threads)
        self._pool, self._pool_pid = None, None
        f, n, L = np.float32, net.n_units, net.n_layers
        per_unit = lambda v: np.broadcast_to(np.asarray(v, dtype=f), (n,))
        nx = net.nxx1
        g_l = per_unit(net.g_bar_l)
        e_e, e_l, e_i, thr = (per_unit(v) for v in (net.e_e, net.e_l, net.e_i, net.thr))
        vm_rate_cyc = per_unit(net.vm_rate_cyc)
        # the same float32 operations as cycle.py's constants (act.g_e_thr_consts, half_rate_cyc)
        uc = {"g_bar_e": net.g_bar_e, "g_bar_i": net.g_bar_i, "g_l": g_l, "e_e": e_e, "e_l": e_l, "e_i": e_i,
              "vm_lo": net.vm_lo, "vm_hi": net.vm_hi, "vm_rate": net.vm_rate, "vm_rate_cyc": vm_rate_cyc,
              "half_rate_cyc": f(0.5) * vm_rate_cyc, "thr": thr, "vm_act_thr": net.vm_act_thr,
              "act_lo": net.act_lo, "act_hi": net.act_hi, "vm_r": net.vm_r,
              "ge_c_i": e_i - thr, "ge_c_l": g_l * (e_l - thr), "ge_c_d": thr - e_e,
              "nx_gain": nx.gain, "nx_nvar": nx.nvar, "nx_gcr": nx.gain_cor_range, "nx_gain_cor": nx.gain_cor,
              "nx_neg_sgn": -per_unit(nx.sig_gain_nvar), "nx_sig_mult_eff": nx.sig_mult_eff,
              "nx_sig_val_at_0": nx.sig_val_at_0, "nx_interp_range": nx.interp_range,
              "nx_interp_val": nx.interp_val, "net_gain": net.net_gain, "net_rate": net.net_rate,
              "ss_rate": net.ss_rate, "s_rate": net.s_rate, "m_rate": net.m_rate, "ru_s": net.ru_lrn_s,
              "ru_m": net.ru_lrn_m, "su_s": net.su_lrn_s, "su_m": net.su_lrn_m, "send_thr": net.send_thr,
              "delta_thr": net.delta_thr}
        self.uc = np.ascontiguousarray(np.stack([per_unit(uc[k]) for k in UC_ROWS]))
        li = net.lay_inhib
        lc = {k: li[k] for k in ("gi", "ff", "fb", "ff0", "max_vs_avg", "fb_dt")}
        lc["inhib_on"] = net.lay_inhib_on
        lc["size"] = net.sizes
        self.lc = np.ascontiguousarray(np.stack([np.asarray(lc[k], dtype=f) for k in LC_ROWS]))
        self.lay_start = np.ascontiguousarray(net.starts, dtype=np.int64)
        self.lay_size = np.ascontiguousarray(net.sizes, dtype=np.int64)
        prjns = net.prjn_list
        self.p_send = np.array([p.send.index for p in prjns], dtype=np.int64)
        self.p_recv = np.array([p.recv.index for p in prjns], dtype=np.int64)
        self.p_wt = (ctypes.c_void_p * max(1, len(prjns)))(*[_addr(p.wt) for p in prjns])
        self.p_scale = np.zeros(max(1, len(prjns)), dtype=f)
        self.clamped = np.zeros(L, dtype=np.uint8)
        self.last_spike = ctypes.c_int64(0)
        self._wt_ids = [id(p.wt) for p in prjns]
        s = self.struct = _Net()
        s.n_units, s.n_layers, s.n_prjns = n, L, len(prjns)
        s.su_same = int(net._same_lrn_m)
        s.lay_start, s.lay_size = _addr(self.lay_start), _addr(self.lay_size)
        s.uc, s.lc = _addr(self.uc), _addr(self.lc)
        s.p_send, s.p_recv = _addr(self.p_send), _addr(self.p_recv)
        s.p_wt = ctypes.cast(self.p_wt, ctypes.c_void_p).value
        s.p_scale = _addr(self.p_scale)
        s.t_r = int(net.t_r)
        self.send_idx, self.send_delta = np.zeros(n, np.int64), np.zeros(n, f)
        s.send_idx, s.send_delta = _addr(self.send_idx), _addr(self.send_delta)
        self._bind_pools()
        self._bind_state()
        self._ptr = ctypes.byref(s)
        self._con_structs = [_bind_con(p, net.units) for p in prjns if p.cc.learn]     # (kept alive)
        self.cons = list(zip([p for p in prjns if p.cc.learn], map(ctypes.byref, self._con_structs)))
        self._con_of = {id(p): ctypes.addressof(c) for (p, _), c in zip(self.cons, self._con_structs)}
        n_cons = len(self._con_structs)
        self._con_ptrs = (ctypes.c_void_p * max(1, n_cons))(*[ctypes.addressof(c) for c in self._con_structs])
        self._dwt_sets: dict[int, tuple] = {}     # quarter -> (cons learning then, their pointers, lrates)

    def pool(self) -> int | None:
        """The thread pool's address (None for one thread), started on first use and again in a
        forked child (a fork copies no threads)."""
        if self.threads <= 1:
            return None
        if self._pool is None or self._pool_pid != os.getpid():
            pool = self.lib.pool_create(self.threads)
            if not pool:
                raise BackendError(f"could not start {self.threads} threads for the C kernel "
                                   f"(pthread_create failed); use fewer threads")
            self._pool, self._pool_pid = pool, os.getpid()
            self._finalizer = weakref.finalize(self, _destroy_pool, self.lib, pool, os.getpid())
        return self._pool

    def compute_dwt(self, quarter: int = 3) -> None:
        """The dWt of every learning projection that learns at the end of ``quarter``
        (learn.raw_dwt + accumulate_dwt, leabra.md 9.3-9.5)."""
        lrate_mod = self.net.lay["lrate_mod"]
        learning = self._dwt_sets.get(quarter)
        if learning is None:            # the projections whose learn_qtr holds this quarter
            sel = [i for i, (p, _) in enumerate(self.cons) if quarter in learn_quarters(p.con.learn_qtr)]
            ptrs = (self._con_ptrs if len(sel) == len(self.cons)
                    else (ctypes.c_void_p * max(1, len(sel)))(*[self._con_ptrs[i] for i in sel]))
            learning = self._dwt_sets[quarter] = (sel, ptrs, np.zeros(max(1, len(sel)), np.float32))
        sel, ptrs, lrates = learning
        if not sel:
            return
        for j, i in enumerate(sel):
            cc = self.cons[i][0].cc
            lrate_eff = cc.lrate * lrate_mod[self.cons[i][0].recv.index]
            if cc.mom_on:
                lrate_eff = lrate_eff * cc.mom_lr_comp
            lrates[j] = lrate_eff
        self.lib.compute_dwt_all(self.pool(), ptrs, _addr(lrates), len(sel))

    def apply_dwt(self) -> None:
        """Every learning projection's weight update (learn.apply_dwt, leabra.md 9.6)."""
        self.lib.apply_dwt_all(self.pool(), self._con_ptrs, len(self.cons))

    def wt_bal_sums(self, p, avg_thr) -> tuple[np.ndarray, np.ndarray]:
        """learn.wt_bal_sums of learning projection ``p`` on the kernel's threads (the same bits)."""
        tot, cnt = np.zeros(p.recv.n, np.float32), np.zeros(p.recv.n, np.int64)
        self.lib.wt_bal_sums(self.pool(), self._con_of[id(p)], float(avg_thr), _addr(tot), _addr(cnt))
        return tot, cnt

    def _bind_pools(self) -> None:
        """Unit groups of 4-D layers: every pool's state becomes a view into one flat array per
        variable (values kept), which the kernel and the numpy steps then share."""
        net, s, f = self.net, self.struct, np.float32
        pools = net.pools
        sizes = [p["ng"] for p in pools]
        total = sum(sizes)
        self.pool_state = {k: np.zeros(max(1, total), f) for k in POOL_ROWS}
        starts, psize, player, consts = [], [], [], {k: [] for k in PC_ROWS}
        self.lay_pool0 = np.zeros(net.n_layers, np.int64)
        self.lay_npools = np.zeros(net.n_layers, np.int64)
        i = 0
        for pool in pools:
            l, ng = pool["layer"], pool["ng"]
            self.lay_pool0[l.index], self.lay_npools[l.index] = i, ng
            for k in POOL_ROWS:
                view = self.pool_state[k][i:i + ng]
                view[:] = pool[k]
                pool[k] = view
            per = l.n // ng
            starts += [l.start + g * per for g in range(ng)]
            psize += [per] * ng
            player += [l.index] * ng
            for k in PC_ROWS:
                consts[k] += [per if k == "size" else pool["p"][k]] * ng
            i += ng
        self.pool_start = np.array(starts or [0], np.int64)
        self.pool_size = np.array(psize or [0], np.int64)
        self.pool_layer = np.array(player or [0], np.int64)
        self.pc = np.ascontiguousarray(np.array([consts[k] or [0] for k in PC_ROWS], dtype=f))
        s.n_pools = total
        s.pool_start, s.pool_size, s.pool_layer = _addr(self.pool_start), _addr(self.pool_size), _addr(self.pool_layer)
        s.lay_pool0, s.lay_npools = _addr(self.lay_pool0), _addr(self.lay_npools)
        s.pc = _addr(self.pc)
        for j, k in enumerate(POOL_ROWS):
            s.p[j] = _addr(self.pool_state[k])

    def _bind_state(self) -> None:
        net, s = self.net, self.struct
        arrays = dict(net.units, pending=net.pending, net_ex=net.net_ex)
        for i, k in enumerate(UNIT_ROWS):
            a = arrays[k]
            assert a.dtype == np.float32 and a.flags.c_contiguous, k
            s.u[i] = _addr(a)
        for i, k in enumerate(LAYER_ROWS):
            s.l[i] = _addr(net.lay[k])
        s.refr_until = _addr(net.refr_until)
        self._refr = net.refr_until

    def run(self, n_cycles: int) -> int:
        """Run ``n_cycles`` cycles of the current quarter; returns the number completed (fewer
        when a non-finite value appeared, see ``run_cycles`` in kernel.c)."""
        net = self.net
        if net.refr_until is not self._refr:           # reallocated by _sync_refractory
            self._bind_state()
        if [id(p.wt) for p in net.prjn_list] != self._wt_ids:
            raise BackendError("a projection's weight array was replaced; the C kernel needs them updated in place")
        for i, p in enumerate(net.prjn_list):
            self.p_scale[i] = p.scale_eff
        self.clamped[:] = net.hard_clamped
        self.last_spike.value = int(net.last_spike)
        done = self.lib.run_cycles_pool(self.pool(), self._ptr, _addr(self.clamped), n_cycles, int(net.tot_cycle),
                                        int(bool(net.nan_check)), ctypes.byref(self.last_spike))
        if done < 0:
            raise BackendError("the C kernel could not allocate its task list (out of memory)")
        net.last_spike = self.last_spike.value
        return int(done)


def _destroy_pool(lib, pool: int, pid: int) -> None:
    """Stop a network's threads (in the process that started them; a forked child has none)."""
    if os.getpid() == pid:
        lib.pool_destroy(pool)
