"""The tee's pattern as data for the cloth: its outline, the folded tee's top layer, where a
hanger holds it, and its seams, rib and stitches as coverage maps in pattern inches.

Pattern coordinates are the garment inches of :mod:`teeprint.mockup.garment` (x to the viewer's
right from the centre line, y down from the high point of the shoulder).  Anything drawn in
them (seams, the collar rib, stitch rows, the knit, the print) reaches a view through the
drape's map from image pixels back to the pattern, so it bends with the cloth.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from teeprint.mockup import garment

#: The unbent outline: the cloth simulation gives the silhouette its irregularity.
STRAIGHT = garment.Warp(())

#: A retail fold: sleeves and sides turned under so the top layer is this wide, and the
#: lower body turned under this far below the high point of the shoulder.
FOLDED_HALF_WIDTH_IN = 6.6
FOLDED_LENGTH_IN = 17.5

#: A 17 in hanger: its arms hold the shoulders this much closer together than the shoulder
#: seams, and slope this much steeper (inches of drop per inch outward).
HANGER_SQUEEZE = 0.92
HANGER_EXTRA_SLOPE = 0.10
HANGER_REACH_IN = 10.0


@lru_cache(maxsize=1)
def outline() -> np.ndarray:
    """The tee's outline in pattern inches, (n, 2), closed implicitly."""
    from teeprint.mockup.mesh import flatten_path

    return flatten_path(garment.silhouette_d(STRAIGHT))


def _clip_convex(poly: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Sutherland-Hodgman clip of a polygon to an axis-aligned rectangle."""
    pts = [tuple(p) for p in poly]
    for axis, bound, keep_below in ((0, x0, False), (0, x1, True), (1, y0, False),
                                    (1, y1, True)):
        out: list[tuple[float, float]] = []
        for k, cur in enumerate(pts):
            prev = pts[k - 1]
            cin = cur[axis] <= bound if keep_below else cur[axis] >= bound
            pin = prev[axis] <= bound if keep_below else prev[axis] >= bound
            if cin != pin:
                t = (bound - prev[axis]) / (cur[axis] - prev[axis])
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if cin:
                out.append(cur)
        pts = out
    return np.array(pts, float)


@lru_cache(maxsize=1)
def folded_outline() -> np.ndarray:
    """The part of the front a retail-folded tee shows: the outline cut at the side folds and
    the bottom fold (the cut edges are folds, where the cloth turns under)."""
    h = FOLDED_HALF_WIDTH_IN
    return _clip_convex(outline(), -h, -1.0, h, FOLDED_LENGTH_IN)


def _shoulder_y(x: np.ndarray) -> np.ndarray:
    """The top of the pattern above x: back collar near the centre, shoulder seam outside."""
    ax = np.abs(x)
    hps = garment.NECK_HALF_IN
    slope = garment.SHOULDER_DROP_IN / (garment.SHOULDER_HALF_IN - hps)
    sleeve = garment.SHOULDER_DROP_IN + (ax - garment.SHOULDER_HALF_IN) * math.tan(
        math.radians(garment.SLEEVE_ANGLE_DEG))
    return np.where(ax < hps, garment.BACK_NECK_DROP_IN,
                    np.where(ax < garment.SHOULDER_HALF_IN, (ax - hps) * slope, sleeve))


def hanger_pins(rest: np.ndarray) -> np.ndarray:
    """Indices of the vertices a hanger holds: the top edge from shoulder to shoulder."""
    x, y = rest[:, 0], rest[:, 1]
    near_top = y <= _shoulder_y(x) + 0.25
    return np.flatnonzero(near_top & (np.abs(x) <= HANGER_REACH_IN / HANGER_SQUEEZE))


def on_hanger(rest: np.ndarray) -> np.ndarray:
    """Where the hanger's arms hold pattern points: a little narrower and more sloped."""
    x, y = rest[:, 0], rest[:, 1]
    nx = x * HANGER_SQUEEZE
    ny = y + HANGER_EXTRA_SLOPE * np.maximum(np.abs(nx) - garment.NECK_HALF_IN, 0.0)
    return np.column_stack([nx, ny])


#: The garment's drawn layers: the collar rib, the neck opening, seams, hem folds, stitches,
#: doubled hems, the sleeves.
LAYERS = ("rib", "interior", "seams", "folds", "stitches", "bands", "sleeves")


def layer(name: str, window_in: tuple[float, float, float, float], ppi: float) -> np.ndarray:
    """One drawn layer's coverage (0..1, float32) over a window of pattern inches."""
    from teeprint.raster import rasterize

    x, y, w, h = window_in
    w_px, h_px = max(1, round(w * ppi)), max(1, round(h * ppi))
    if not garment.layer_touches(name, window_in, STRAIGHT):
        return np.zeros((h_px, w_px), np.float32)
    svg = garment.layer_svg(name, window_in, STRAIGHT)
    return rasterize(svg, w_px, h_px)[..., 3].astype(np.float32) / 255.0
