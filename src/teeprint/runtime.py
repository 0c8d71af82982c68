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
- cairo's C declarations are read ahead of time (:func:`prepare_cairo`): cairocffi parses
  them with pycparser at every import, 0.2-0.3 s of every process, longer than a print PNG
  takes to rasterise.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

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


def cache_dir() -> Path:
    """Where teeprint keeps what it computes once for many processes (drapes, lit scenes,
    cairo's declarations): ``$TEEPRINT_CACHE_DIR``, else the user cache
    (``$XDG_CACHE_HOME/teeprint`` or ``~/.cache/teeprint``)."""
    env = os.environ.get("TEEPRINT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "teeprint"


def keep_file(path: Path, write: Callable[[BinaryIO], object]) -> bool:
    """Write a cache file whole or not at all (a temporary file renamed into place); False
    when the cache cannot be written, which only costs the next process the work again."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def configure_process() -> bool:
    """Apply the settings above once per process; returns whether the allocator was tuned."""
    global _configured
    limit_blas_threads()
    if _configured:
        return False
    _configured = True
    gc.set_threshold(*GC_THRESHOLDS)
    prepare_cairo()
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


def prepare_cairo() -> bool:
    """Have ``import cairocffi`` load cairo's declarations already parsed; returns whether it
    will.

    cairocffi declares cairo's API to cffi as C text (``constants._CAIRO_HEADERS``), which
    cffi parses with pycparser at every import.  cffi's out-of-line ABI mode writes the parsed
    declarations as a Python module instead; it is generated once under :func:`cache_dir`,
    named after the cffi version and cairocffi's own declaring code (a new version of either
    gets a new module), and put in place of ``cairocffi.ffi`` before cairocffi is imported.
    The library, its functions and every call are cairocffi's own.  When cairocffi is
    imported already, when it would also declare the xcb API (``xcffib`` installed), or when
    anything here fails, cairocffi is imported as usual.
    """
    if "cairocffi" in sys.modules or os.environ.get("TEEPRINT_PARSED_CAIRO") == "0":
        return False
    import importlib.util

    try:
        found = importlib.util.find_spec("cairocffi")
        if (found is None or not found.submodule_search_locations
                or importlib.util.find_spec("xcffib") is not None):
            return False
        import cffi

        package = Path(next(iter(found.submodule_search_locations)))
        digest = hashlib.sha256(cffi.__version__.encode())
        for name in ("ffi.py", "constants.py"):
            digest.update((package / name).read_bytes())
        key = digest.hexdigest()[:16]
        path = cache_dir() / "cffi" / f"cairo_{key}.py"
        if not path.exists():
            _write_cairo_declarations(package / "constants.py", path)
        spec = importlib.util.spec_from_file_location(f"_teeprint_cairo_{key}", path)
        if spec is None or spec.loader is None:
            return False
        parsed = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(parsed)
        ffi = parsed.ffi
    except Exception:  # noqa: BLE001 -- any failure: cairocffi parses its declarations itself
        return False
    import types

    shim = types.ModuleType("cairocffi.ffi", "cairo's declarations, parsed ahead of time "
                            "(teeprint.runtime.prepare_cairo)")
    shim.ffi = ffi  # type: ignore[attr-defined]
    sys.modules["cairocffi.ffi"] = shim
    return True


def _write_cairo_declarations(constants_py: Path, path: Path) -> None:
    """Parse cairocffi's declarations of cairo and write them as an out-of-line cffi module
    (:func:`keep_file`, so a process never reads half of one)."""
    import importlib.util
    import io

    import cffi

    spec = importlib.util.spec_from_file_location("_teeprint_cairo_constants", constants_py)
    if spec is None or spec.loader is None:
        msg = f"cannot read {constants_py}"
        raise ImportError(msg)
    constants = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(constants)
    builder = cffi.FFI()
    builder.cdef(constants._CAIRO_HEADERS)
    builder.set_source(path.stem, None, compiler_verbose=False)  # (it would print)
    text = io.StringIO()
    builder.emit_python_code(text)
    if not keep_file(path, lambda fh: fh.write(text.getvalue().encode())):
        msg = f"cannot write {path}"
        raise OSError(msg)
