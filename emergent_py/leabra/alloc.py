"""Process allocator tuning for the native core's large temporaries (opt-in, for applications).

The learning and weight-update steps create (n_send, n_recv) temporaries every trial. glibc
serves blocks above its mmap threshold (128 KiB to 32 MiB, adaptive) with fresh mmap'd pages, so
every such temporary is page-faulted in and returned to the kernel again: at LARGE (625 units per
layer) that was ~2/3 of the trial time. :func:`keep_freed_memory` raises the mmap and trim
thresholds so freed blocks are reused. It changes the whole process, so the library never calls
it on import; the ``run`` and ``bench`` commands do (they own their process).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
_done = False


def keep_freed_memory(limit: int = 1 << 30) -> bool:
    """Ask glibc to keep freed blocks below ``limit`` bytes for reuse; False where not glibc."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = libc.mallopt(M_MMAP_THRESHOLD, int(limit)) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 2 * int(limit)) == 1
    except (OSError, AttributeError):
        return False
    _done = ok
    return ok
