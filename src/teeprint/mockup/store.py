"""Lit views kept on disk: a view's lit cloth and its ground depend on no plate, so a process
maps them back instead of building them (seconds per view) when one was built before.

An entry is a folder under the user cache (:func:`teeprint.runtime.cache_dir`) in
``scene/<code fingerprint>/``, keyed by the view, the garment seed and a fingerprint of the
mockup package's source (any code change builds afresh; the other versions' folders are pruned
a day after they were last added to).  It holds one ``.npy`` file per field: the cloth's fields
cropped to the cloth's bounding box, its shading levels, and the ground whole.  They are opened
memory-mapped and read-only, so a process pages in only what it touches (a close-up reads the
rows of its window) and the worker processes of a batch share one copy in the page cache.  A
damaged or unreadable entry is built again; a read-only cache only costs the build (the fields
are then held in memory).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from dataclasses import astuple
from functools import lru_cache
from pathlib import Path

import numpy as np

from teeprint.mockup import cloth
from teeprint.mockup.colour import shade_index
from teeprint.mockup.light import Surface
from teeprint.mockup.relief import View
from teeprint.runtime import cache_dir

#: Bump when the stored layout changes (2: a folder of memory-mappable ``.npy`` files with
#: the shading levels, instead of one ``.npz``).
STORE_VERSION = 2
FIELDS = ("alpha", "log_shade", "u", "v", "height_in", "knit")
#: Fields kept at half precision: the shading and the knit near 1 (steps of 1/1000, far
#: below a level of the 8-bit image), read over the print only.
HALF = {"log_shade": np.float16, "knit": np.float16}
#: What a stored field is outside the cloth's box.
FILL = {"alpha": 0.0, "log_shade": 0.0, "u": -1e3, "v": -1e3, "height_in": 0.0, "knit": 1.0}


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the mockup package's source files and the cloth version."""
    h = hashlib.sha256(f"{STORE_VERSION}:{cloth.CLOTH_VERSION}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def path_for(view: View, seed_text: str, *more: object, kind: str = "") -> Path:
    """Where a view's entry (a folder) lives: under a folder of its code fingerprint, so the
    entries of other versions can be told apart and pruned (:func:`prune`).  ``kind`` and
    ``more`` name another entry of the view (its print zone, :mod:`.ink`)."""
    key = hashlib.sha256(repr((astuple(view), seed_text, *more, code_fingerprint())).encode())
    name = f"{kind}-{view.name}" if kind else view.name
    return cache_dir() / "scene" / code_fingerprint() / f"{name}-{key.hexdigest()[:24]}"


#: Entries of another code version are removed once nothing has been added to them for this
#: long (a day: two versions used side by side, as in two checkouts, keep their entries).
STALE_AFTER_S = 24 * 3600


def prune(now: float | None = None) -> list[Path]:
    """Remove what other versions of the code stored under ``scene/`` and have not added to
    for :data:`STALE_AFTER_S` (each version's entries are 400 MB and none is ever read again
    by this one).  A process still mapping such files keeps reading them (Linux frees them
    when it lets go).  Returns what was removed; errors are ignored (a cache is disposable)."""
    import time

    root = cache_dir() / "scene"
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        children = list(root.iterdir())
    except OSError:
        return removed
    for child in children:
        if child.name == code_fingerprint() or child.name.startswith("."):
            continue
        try:
            if now - child.stat().st_mtime < STALE_AFTER_S:
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        except OSError:
            continue
        removed.append(child)
    return removed


def _box(alpha: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        return (0, 0, 0, 0)
    return (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)


def entry(surf: Surface, ground: np.ndarray) -> dict[str, np.ndarray]:
    """What is stored of a lit view: the cloth's box (r0, r1, c0, c1), its fields inside the
    box, its shading levels (``index``) and the ground."""
    r0, r1, c0, c1 = _box(surf.alpha > 0)
    arrays = {name: np.ascontiguousarray(getattr(surf, name)[r0:r1, c0:c1], HALF.get(name,
                                                                                   np.float32))
              for name in FIELDS}
    arrays["index"] = shade_index(surf.log_shade[r0:r1, c0:c1])
    arrays["box"] = np.array([r0, r1, c0, c1], np.int64)
    arrays["ground"] = np.ascontiguousarray(ground, np.uint8)
    return arrays


def save(view: View, seed_text: str, arrays: dict[str, np.ndarray]) -> bool:
    """Store a lit view (see :func:`save_at`)."""
    return save_at(path_for(view, seed_text), arrays)


def save_at(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    """Store an entry: the files go into a temporary folder renamed into place, so a reader
    sees a whole entry or none.  An entry already there (damaged, or stored meanwhile by
    another process) is moved aside first, never written over: a process that maps its
    files keeps reading them.  False when the cache cannot be written."""
    me = f"{os.getpid()}.{threading.get_ident()}"
    tmp = path.with_name(f".{path.name}.{me}.tmp")
    old = path.with_name(f".{path.name}.{me}.old")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for name, a in arrays.items():
            np.save(tmp / f"{name}.npy", a, allow_pickle=False)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    except OSError:  # a read-only cache
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    finally:
        shutil.rmtree(old, ignore_errors=True)
    prune()
    return True


def entries_like(path: Path) -> list[Path]:
    """The stored entries named like ``path`` (the same kind of entry of the same view, any
    key), ``path`` itself included when it exists."""
    prefix = path.name.rsplit("-", 1)[0] + "-"
    try:
        return [child for child in path.parent.iterdir()
                if child.name.startswith(prefix) and child.is_dir()]
    except OSError:
        return []


def load_arrays(view: View, seed_text: str, names: tuple[str, ...]
                ) -> dict[str, np.ndarray] | None:
    """The named arrays of a stored entry as read-only memory maps, or None when one is
    missing or cannot be read (the caller checks their shapes)."""
    return load_at(path_for(view, seed_text), names)


def load_at(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The named arrays of the entry at ``path`` (see :func:`load_arrays`)."""
    try:
        return {name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                for name in names}
    except (OSError, ValueError):
        return None


def load(view: View, seed_text: str) -> dict[str, np.ndarray] | None:
    """A stored lit view as read-only memory maps, or None when there is none (or it cannot
    be read, or its shapes do not fit the view)."""
    shape = (view.height_px, view.width_px)
    out = load_arrays(view, seed_text, (*FIELDS, "index", "ground", "box"))
    if out is None:
        return None
    box = out["box"]
    if box.shape != (4,):
        return None
    r0, r1, c0, c1 = (int(v) for v in box)
    if out["ground"].shape != (*shape, 4) or not (0 <= r0 <= r1 <= shape[0]
                                                  and 0 <= c0 <= c1 <= shape[1]):
        return None
    if any(out[name].shape != (r1 - r0, c1 - c0) for name in (*FIELDS, "index")):
        return None
    out["box"] = np.array(box)  # 4 numbers: read, not mapped
    return out


def read(a: np.ndarray, rows: slice, cols: slice, step: int = 1) -> np.ndarray:
    """A copy of ``a[rows, cols]`` (every ``step``-th row and column) of a stored field.  A
    mapped field is read from its file, not through the map, so what is read once (the
    pattern coordinates a view's print geometry comes from) is not kept in the process."""
    h, w = a.shape[:2]
    r0, r1, _ = rows.indices(h)
    c0, c1, _ = cols.indices(w)
    if not isinstance(a, np.memmap) or not a.filename or r1 <= r0 or c1 <= c0:
        return np.array(a[r0:r1:step, c0:c1:step])
    row_bytes = w * a.itemsize * (a.shape[2] if a.ndim == 3 else 1)
    out = []
    with open(a.filename, "rb") as fh:
        for r in range(r0, r1, step) if step > 1 else [r0]:
            n = 1 if step > 1 else r1 - r0
            fh.seek(a.offset + r * row_bytes)
            band = np.frombuffer(fh.read(n * row_bytes), a.dtype).reshape(n, *a.shape[1:])
            out.append(band[:, c0:c1:step])
    return np.ascontiguousarray(np.concatenate(out) if len(out) > 1 else out[0])


def surface(view: View, arrays: dict[str, np.ndarray]) -> Surface:
    """The whole-view :class:`Surface` of a stored entry (tests and tools; views work on the
    cropped fields)."""
    from teeprint.mockup.relief import light_falloff

    r0, r1, c0, c1 = (int(v) for v in arrays["box"])
    full = {}
    for name in FIELDS:
        a = np.full((view.height_px, view.width_px), FILL[name], np.float32)
        a[r0:r1, c0:c1] = arrays[name]
        full[name] = a
    return Surface(view, full["alpha"], full["log_shade"], full["u"], full["v"],
                   full["height_in"], light_falloff(view), full["knit"])
