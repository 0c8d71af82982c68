"""Film positives: one bitonal PNG per plate, opaque black where the screen prints.

A film is the plate's rasterised coverage, halftoned, on the separation page with the marks
(crop marks, registration targets, job line) and the plate's own label and tint patches in the
slug margin.  Films are written in print order, underbase first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from teeprint.artwork import Shape
from teeprint.separate.halftone import screen
from teeprint.separate.layers import Layers, PlateRaster, _density, rasterize_shapes
from teeprint.separate.plates import ScreenSettings


def _window(shapes: Sequence[Shape], layer_set: Layers, settings: ScreenSettings
            ) -> tuple[tuple[slice, slice], np.ndarray]:
    """Marks or a label rasterised on the page grid and screened like the plate: the window of
    the page the shapes occupy (they sit in the slug margin) and its ink.  The screen keeps page
    coordinates, so its dots line up with the art's."""
    import math

    k = layer_set.px_per_pt
    h, w = layer_set.plates[0].cover.shape
    if not shapes:
        return (slice(0, 0), slice(0, 0)), np.zeros((0, 0), bool)
    boxes = np.array([s.bbox for s in shapes], float)
    c0 = max(int(math.floor(boxes[:, 0].min() * k)) - 2, 0)
    r0 = max(int(math.floor(boxes[:, 1].min() * k)) - 2, 0)
    c1 = min(int(math.ceil(boxes[:, 2].max() * k)) + 2, w)
    r1 = min(int(math.ceil(boxes[:, 3].max() * k)) + 2, h)
    cover_u8, tint_u8 = rasterize_shapes(shapes, c1 - c0, r1 - r0, k, (-c0 / k, -r0 / k))
    _, tint = _density(cover_u8, tint_u8)  # the tint is 0 where the shapes are not
    ink = screen(tint, settings.lpi, settings.angle_deg, layer_set.dpi, (r0, c0))
    return (slice(r0, r1), slice(c0, c1)), ink


Window = tuple[tuple[slice, slice], np.ndarray]


def film_pixels(raster: PlateRaster, layer_set: Layers, settings: ScreenSettings,
                marks: Window, label: Sequence[Shape]) -> np.ndarray:
    """The film of one plate as a bool array (True = opaque black = ink)."""
    ink = screen(raster.tint, settings.lpi, settings.angle_deg, layer_set.dpi)
    for box, window in (marks, _window(label, layer_set, settings)):
        ink[box] |= window
    return ink


def marks_pixels(marks: Sequence[Shape], layer_set: Layers, settings: ScreenSettings) -> Window:
    """The marks every film carries, rasterised once (their window of the page and its ink)."""
    return _window(marks, layer_set, settings)


def encode_film(ink: np.ndarray, dpi: int) -> bytes:
    """A 1-bit PNG (black = ink, white = clear) with its resolution in ``pHYs``."""
    from teeprint.raster import encode_bilevel_png

    return encode_bilevel_png(ink, dpi, level=6)
