"""Lit views kept on disk: a view's lit cloth and its ground depend on no plate, so a process
reads them back instead of building them (seconds per view) when one was built before.

Entries live under the user cache (:func:`teeprint.mockup.cloth.cache_dir`) in ``scene/``,
keyed by the view, the garment seed and a fingerprint of the mockup package's source (any code
change builds afresh).  The cloth's arrays are stored cropped to the cloth's bounding box and
the ground whole, uncompressed (reading is then a copy, about 20-70 MB a view).  A damaged or
unreadable entry is built again; a read-only cache only costs the build.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import astuple
from functools import lru_cache
from pathlib import Path

import numpy as np

from teeprint.mockup import cloth
from teeprint.mockup.light import Surface
from teeprint.mockup.relief import View, light_falloff

#: Bump when the stored layout changes.
STORE_VERSION = 1
_FIELDS = ("alpha", "log_shade", "u", "v", "height_in", "knit")
#: What a stored field is outside the cloth's box.
_FILL = {"alpha": 0.0, "log_shade": 0.0, "u": -1e3, "v": -1e3, "height_in": 0.0, "knit": 1.0}


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the mockup package's source files and the cloth version."""
    h = hashlib.sha256(f"{STORE_VERSION}:{cloth.CLOTH_VERSION}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def path_for(view: View, seed_text: str) -> Path:
    """Where a view's entry lives."""
    key = hashlib.sha256(repr((astuple(view), seed_text, code_fingerprint())).encode())
    return cloth.cache_dir() / "scene" / f"{view.name}-{key.hexdigest()[:24]}.npz"


def _box(alpha: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        return (0, 0, 0, 0)
    return (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)


def save(view: View, seed_text: str, surf: Surface, ground: np.ndarray) -> None:
    """Store a lit view (write a temporary file, then rename it into place)."""
    path = path_for(view, seed_text)
    r0, r1, c0, c1 = _box(surf.alpha > 0)
    arrays = {name: np.ascontiguousarray(getattr(surf, name)[r0:r1, c0:c1])
              for name in _FIELDS}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, allow_pickle=False, box=np.array([r0, r1, c0, c1]), ground=ground,
                     **arrays)
        os.replace(tmp, path)
    except OSError:
        pass


def load(view: View, seed_text: str) -> tuple[Surface, np.ndarray] | None:
    """A stored lit view, or None when there is none (or it cannot be read)."""
    path = path_for(view, seed_text)
    shape = (view.height_px, view.width_px)
    try:
        with np.load(path, allow_pickle=False) as z:
            r0, r1, c0, c1 = (int(v) for v in z["box"])
            ground = z["ground"]
            parts = {name: z[name] for name in _FIELDS}
    except (OSError, ValueError, KeyError):
        return None
    if ground.shape != (*shape, 4) or not (0 <= r0 <= r1 <= shape[0] and 0 <= c0 <= c1 <= shape[1]):
        return None
    full = {}
    for name, part in parts.items():
        if part.shape != (r1 - r0, c1 - c0):
            return None
        a = np.full(shape, _FILL[name], np.float32)
        a[r0:r1, c0:c1] = part
        full[name] = a
    surf = Surface(view, full["alpha"], full["log_shade"], full["u"], full["v"],
                   full["height_in"], light_falloff(view), full["knit"])
    return surf, ground
