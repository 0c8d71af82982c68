"""The near-duplicate gate: plates whose figures look alike, or that plot the same numbers.

Two tiers, as dataset curation does it:

* **same data** — the sha256 of a figure's arrays (canonical JSON, provenance left out): two
  plates with equal digests plot identical numbers, whatever their names;
* **near-duplicate figures** — a 256-bit DCT perceptual hash of the *figure panel only* (the
  frame, title and caption are shared by every plate and would pull all distances together),
  rendered in grey, polarity-normalised.  Pairs closer than :data:`FAIL_BITS` fail; pairs
  below :data:`REVIEW_BITS` are listed for a person to look at.

The thresholds come from measuring the archive: the same plate at another seed (a reseeded
t-SNE, a new noise draw) moves 30-110 bits, and distinct concepts drawn by one engine sit at
80 and above; 64 fails only figures that differ less than a reseed does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from teeprint.artwork import Shape
    from teeprint.recipes import FigureData

#: Hamming distance (of 256 bits) below which two figures fail as near-duplicates.
FAIL_BITS = 64
#: Below this a pair is listed for review.
REVIEW_BITS = 90
#: Raster size of the figure panel before hashing (pixels on the long side).
RASTER_PX = 256
HASH_SIDE = 16


@dataclass(frozen=True)
class Pair:
    """Two plates and the Hamming distance between their figure hashes."""

    bits: int
    a: str
    b: str

    def to_json(self) -> dict[str, Any]:
        """The pair as plain data."""
        return {"bits": self.bits, "a": self.a, "b": self.b}


def _grey_figure(shapes: Sequence[Shape]) -> np.ndarray:
    """The figure panel drawn in black on white, as floats 0 (ink) .. 1 (paper)."""
    import cairocffi as cairo

    from teeprint.plate import FIGURE_BOX
    from teeprint.raster import paint_shape

    box = FIGURE_BOX
    scale = RASTER_PX / max(box.w, box.h)
    w, h = round(box.w * scale), round(box.h * scale)
    surface = cairo.ImageSurface(cairo.FORMAT_A8, w, h)
    ctx = cairo.Context(surface)
    ctx.scale(scale, scale)
    ctx.translate(-box.x, -box.y)
    for s in shapes:
        ctx.set_source_rgba(0, 0, 0, s.tint)
        paint_shape(ctx, s)
    surface.flush()
    stride = surface.get_stride()
    alpha = np.frombuffer(bytes(surface.get_data()), np.uint8).reshape(h, stride)[:, :w]
    return 1.0 - alpha.astype(float) / 255.0


def figure_hash(shapes: Sequence[Shape]) -> bytes:
    """A 256-bit perceptual hash (DCT, 16 x 16 low frequencies) of the figure panel."""
    from scipy.fft import dctn

    grey = _grey_figure(shapes)
    if grey.mean() < 0.5:  # polarity: hash the figure, not which of ink or paper dominates
        grey = 1.0 - grey
    side = 4 * HASH_SIDE
    h, w = grey.shape
    ys = (np.arange(side + 1) * h / side).astype(int)
    xs = (np.arange(side + 1) * w / side).astype(int)
    small = np.add.reduceat(np.add.reduceat(grey, ys[:-1], axis=0), xs[:-1], axis=1)
    small /= np.outer(np.diff(ys), np.diff(xs))
    coeffs = dctn(small, norm="ortho")[:HASH_SIDE, :HASH_SIDE]
    flat = coeffs.ravel()
    bits = flat > np.median(flat[1:])
    return np.packbits(bits).tobytes()


def plotted_names(params: Any) -> set[str]:
    """Every string in a motif's parameters (array names among them), recursively."""
    if isinstance(params, str):
        return {params}
    if isinstance(params, dict):
        return set().union(*(plotted_names(v) for v in params.values())) if params else set()
    if isinstance(params, (list, tuple)):
        return set().union(*(plotted_names(v) for v in params)) if params else set()
    return set()


def data_digest(data: FigureData, motif_params: Any = None) -> str:
    """sha256 of the arrays a figure plots (names and numbers; the arrays its motif names,
    or all of them when it names none), never the provenance."""
    arrays = json.loads(data.to_json())["arrays"]
    wanted = plotted_names(motif_params) & set(arrays)
    payload = {k: v for k, v in arrays.items() if k in wanted} if wanted else arrays
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def distances(hashes: Sequence[bytes]) -> np.ndarray:
    """The matrix of pairwise Hamming distances between hashes."""
    bits = np.unpackbits(np.frombuffer(b"".join(hashes), np.uint8).reshape(len(hashes), -1),
                         axis=1).astype(np.int16)
    ones = bits.sum(axis=1)
    same = bits @ bits.T
    return ones[:, None] + ones[None, :] - 2 * same


def compare(items: Sequence[tuple[str, bytes, str]], keep: int = 20,
            ) -> tuple[list[Pair], list[Pair], list[tuple[str, str]]]:
    """The ``keep`` closest pairs, the failing pairs, and pairs with identical data."""
    if len(items) < 2:
        return [], [], []
    slugs = [s for s, _, _ in items]
    d = distances([h for _, h, _ in items])
    iu, ju = np.triu_indices(len(items), k=1)
    dist = d[iu, ju]
    order = np.argsort(dist, kind="stable")
    closest = [Pair(int(dist[k]), slugs[iu[k]], slugs[ju[k]]) for k in order[:keep]]
    failing = [Pair(int(dist[k]), slugs[iu[k]], slugs[ju[k]]) for k in order
               if dist[k] < FAIL_BITS]
    by_digest: dict[str, str] = {}
    same: list[tuple[str, str]] = []
    for slug, _, digest in items:
        if digest in by_digest:
            same.append((by_digest[digest], slug))
        else:
            by_digest[digest] = slug
    return closest, failing, same
