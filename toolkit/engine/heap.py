"""Keep the C heap steady while the engine runs chunk after chunk.

A chunk allocates and frees several megabytes of numpy arrays. With glibc's adaptive defaults, the
free top of the heap goes back to the kernel once it exceeds twice the largest block freed so far,
and the next chunk faults the same pages in again, zeroed by the kernel: a fifth to a quarter of the
engine's CPU time went to those faults (system time), and caches start cold. `steady_heap()` fixes
the two thresholds once per process: blocks up to 32 MiB come from the heap (the ceiling glibc's
adaptive rule reaches anyway) and up to 128 MiB of free heap is kept for reuse instead of being
returned. The process's peak memory is unchanged; after a run, up to that much stays reserved.

It does nothing outside Linux with glibc, or when the user set either threshold through glibc's
own environment variables (`MALLOC_TRIM_THRESHOLD_`, `MALLOC_MMAP_THRESHOLD_`).
"""

from __future__ import annotations

import os
import sys
from typing import Final

M_TRIM_THRESHOLD: Final = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD: Final = -3
MMAP_THRESHOLD: Final = 32 << 20
TRIM_THRESHOLD: Final = 128 << 20
_state = {"done": False}


def steady_heap() -> None:
    """Set glibc's heap thresholds for the engine's allocation pattern (once per process)."""
    if _state["done"]:
        return
    _state["done"] = True
    if not sys.platform.startswith("linux") or any(
        name in os.environ for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
    ):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (musl has a mallopt that does nothing)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
