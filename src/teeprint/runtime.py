"""Process settings every teeprint process starts with (the CLI, batch workers).

- The linear-algebra libraries get one thread each: teeprint runs its stages side by side on
  every core, and the recipes' matrices are small, so more threads would only contend.  The
  variables are set only when the user has not set them.
- glibc's allocator is told to keep large blocks in one heap.  A render allocates and frees
  page-sized arrays (27 MB masks, 97 MB RGBA images) again and again; by default each one is
  mapped fresh from the kernel, which zeroes it page by page, and unmapped when freed (half
  of a render's system time).  With a raised mapping threshold, one arena and a high trim
  threshold, freed blocks are reused.  Peak memory is unchanged.  ``TEEPRINT_MALLOC=default``
  leaves the allocator alone; other C libraries are not affected.
- The cyclic garbage collector runs less often (:data:`GC_THRESHOLDS`).  A render allocates
  millions of small containers that are not garbage (glyph outlines, the point lists of the
  underbase's polygon booleans); at Python's default thresholds the collector traverses them
  hundreds of times a plate (0.2-0.3 s of a plate's 6 CPU-s, mostly full collections).  A
  batch worker also freezes what its fork server imported (:func:`freeze_imports`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# mallopt parameters, from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: Blocks up to this size come from the heap (above it, the kernel maps them as before).
MMAP_THRESHOLD = 512 << 20
#: Free memory at the top of the heap kept for reuse before it is given back.
TRIM_THRESHOLD = 1 << 30

#: Generation thresholds: a young collection every 20,000 net allocations instead of 700, and
#: Python's default ratios above it.  Cycles are still collected, about 30x less often.
GC_THRESHOLDS = (20_000, 10, 10)

_configured = False


def limit_blas_threads() -> None:
    """One thread per linear-algebra library, unless the user set the variables; before the
    libraries load (numpy reads them once)."""
    for var in BLAS_THREAD_VARS:
        os.environ.setdefault(var, "1")


def configure_process() -> bool:
    """Apply the settings above once per process; returns whether the allocator was tuned."""
    global _configured
    limit_blas_threads()
    if _configured:
        return False
    _configured = True
    gc.set_threshold(*GC_THRESHOLDS)
    if not sys.platform.startswith("linux") or os.environ.get("TEEPRINT_MALLOC") == "default":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in (
        (_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, MMAP_THRESHOLD),
        (_M_TRIM_THRESHOLD, TRIM_THRESHOLD)))


def freeze_imports() -> None:
    """Move every object alive now (modules, functions, parameter models) out of the collector's
    reach: they live as long as the process, and each full collection would traverse them."""
    gc.collect()
    gc.freeze()


def exit_with(pid: int, every_s: float = 0.5) -> None:
    """End this process soon after process ``pid`` is gone.

    Batch workers fork from a fork server, not from the batch, and wait on a queue the batch
    can no longer close once it is killed (``kill -9``): without this watch they would live on.
    """
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(every_s)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="teeprint-parent-watch", daemon=True).start()
