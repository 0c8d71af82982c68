"""Film positives: one bitonal PNG per plate, opaque black where the screen prints.

A film is the plate's rasterised coverage, halftoned, on the separation page with the marks
(crop marks, registration targets, job line) and the plate's own label and tint patches in the
slug margin.  Films are written in print order, underbase first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from teeprint.artwork import Shape
from teeprint.separate.halftone import screen
from teeprint.separate.layers import Layers, PlateRaster, _density, rasterize_shapes
from teeprint.separate.plates import ScreenSettings
from teeprint.separate.regions import MITER_LIMIT

#: Boxes of marks closer than this are drawn in one window (a line of the job text is one
#: window, not one per word: each window draws its marks whole).
MERGE_GAP_PX = 64
#: One subpath of a path (a move and what follows it up to the next move), and the commands.
_SUBPATH = re.compile(r"M[^M]*")
_OPS = re.compile(r"[MLCZ]")


def _window(shapes: Sequence[Shape], layer_set: Layers, settings: ScreenSettings,
            box_px: tuple[int, int, int, int] | None = None
            ) -> tuple[tuple[slice, slice], np.ndarray]:
    """Marks or a label rasterised on the page grid and screened like the plate: a window of
    the page (``box_px``: columns and rows from, to; by default the box the shapes occupy, in
    the slug margin) and its ink, exactly the pixels a whole page would hold there.  The
    screen keeps page coordinates, so its dots line up with the art's."""
    k = layer_set.px_per_pt
    h, w = layer_set.plates[0].cover.shape
    if not shapes:
        return (slice(0, 0), slice(0, 0)), np.zeros((0, 0), bool)
    if box_px is None:
        boxes = np.array([s.bbox for s in shapes], float)
        box_px = _px_box((boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(),
                          boxes[:, 3].max()), k)
    c0, r0 = max(box_px[0], 0), max(box_px[1], 0)
    c1, r1 = min(box_px[2], w), min(box_px[3], h)
    cover_u8, tint_u8 = rasterize_shapes(shapes, c1 - c0, r1 - r0, k, window_px=(c0, r0))
    _, tint = _density(cover_u8, tint_u8)  # the tint is 0 where the shapes are not
    ink = screen(tint, settings.lpi, settings.angle_deg, layer_set.dpi, (r0, c0))
    return (slice(r0, r1), slice(c0, c1)), ink


Window = tuple[tuple[slice, slice], np.ndarray]


def film_pixels(raster: PlateRaster, layer_set: Layers, settings: ScreenSettings,
                marks: Sequence[Window], label: Sequence[Shape]) -> np.ndarray:
    """The film of one plate as a bool array (True = opaque black = ink)."""
    ink = screen(raster.tint, settings.lpi, settings.angle_deg, layer_set.dpi)
    for box, window in (*marks, _window(label, layer_set, settings)):
        ink[box] |= window
    return ink


def marks_pixels(marks: Sequence[Shape], layer_set: Layers, settings: ScreenSettings
                 ) -> list[Window]:
    """The marks every film carries, rasterised once: a window of the page around each group
    of marks that lie close (a corner's crop marks, a registration target, a word of the job
    line), a few hundred kilobytes instead of one page-sized window spanning the corners.

    Every mark with a subpath near a window is drawn into it, whole and in order, so each
    window holds exactly the page's pixels; the windows do not overlap."""
    k = layer_set.px_per_pt
    pieces = [(_px_box(box, k), i) for i, s in enumerate(marks) for box in _subpath_boxes(s)]
    return [_window([marks[i] for i in sorted(which)], layer_set, settings, box)
            for box, which in _apart(pieces)]


def _apart(pieces: Sequence[tuple[tuple[int, int, int, int], int]], gap: int = MERGE_GAP_PX
           ) -> list[tuple[tuple[int, int, int, int], set[int]]]:
    """Boxes merged until none overlap or lies within ``gap`` pixels of another, each with
    the marks it holds."""
    out = [(box, {i}) for box, i in pieces]
    merged = True
    while merged:
        merged = False
        for a in range(len(out)):
            for b in range(a + 1, len(out)):
                (p, ip), (q, iq) = out[a], out[b]
                if (p[0] < q[2] + gap and q[0] < p[2] + gap and p[1] < q[3] + gap
                        and q[1] < p[3] + gap):
                    out[a] = ((min(p[0], q[0]), min(p[1], q[1]), max(p[2], q[2]),
                               max(p[3], q[3])), ip | iq)
                    del out[b]
                    merged = True
                    break
            if merged:
                break
    return out


def _subpath_boxes(shape: Shape) -> list[tuple[float, float, float, float]]:
    """The box of each subpath of a shape, in points, with what its stroke adds (half the
    width, a mitre up to the limit)."""
    reach = shape.width_pt * MITER_LIMIT / 2 if shape.paint == "stroke" else 0.0
    boxes = []
    for d in _SUBPATH.findall(shape.d):
        xy = np.fromstring(_OPS.sub(" ", d), np.float64, sep=" ").reshape(-1, 2)
        lo, hi = xy.min(axis=0) - reach, xy.max(axis=0) + reach
        boxes.append((float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])))
    return boxes or [shape.bbox]


def _px_box(bbox: tuple[float, float, float, float], k: float) -> tuple[int, int, int, int]:
    """The page pixels a box's window takes (grown by two pixels: anti-aliasing)."""
    x0, y0, x1, y1 = bbox
    return (math.floor(x0 * k) - 2, math.floor(y0 * k) - 2, math.ceil(x1 * k) + 2,
            math.ceil(y1 * k) + 2)


def encode_film(ink: np.ndarray, dpi: int) -> bytes:
    """A 1-bit PNG (black = ink, white = clear) with its resolution in ``pHYs``."""
    from teeprint.raster import encode_bilevel_png

    return encode_bilevel_png(ink, dpi, level=6)
