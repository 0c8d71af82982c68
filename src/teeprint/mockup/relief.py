"""Views onto the tee and the one light every view shares.

A :class:`View` is a window onto world inches (x to the right, y down, the camera looking down
z) at some pixels per inch.  Flat lays put the pattern's origin (the high point of the shoulder)
at the world origin; the hanger hangs the tee from it.  The key light is a soft box above and
to the left, about 45 degrees up, the same for every view, garment and backdrop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from teeprint.mockup import garment

#: The key light: a soft box above and to the left, about 45 degrees up; the share of
#: ambient (fill) light; how much the light falls off across the scene, per inch from centre.
LIGHT = np.array([-0.45, -0.6, 0.62], np.float32) / float(np.linalg.norm([-0.45, -0.6, 0.62]))
AMBIENT = 0.28
FALLOFF_PER_IN = 0.0035
SCENE_CENTRE_IN = (0.0, 15.0)


@dataclass(frozen=True)
class View:
    """A window onto garment inches: top-left corner, pixels per inch and pixel size."""

    name: str
    x0_in: float
    y0_in: float
    ppi: float
    width_px: int
    height_px: int
    drape: str = "flat"  # which simulated drape the view shows: flat, hanger or folded

    @property
    def window_in(self) -> tuple[float, float, float, float]:
        """(x, y, w, h) of the window in inches."""
        return (self.x0_in, self.y0_in, self.width_px / self.ppi, self.height_px / self.ppi)

    def axes_in(self) -> tuple[np.ndarray, np.ndarray]:
        """Garment x of every column and y of every row (pixel centres), inches."""
        xs = self.x0_in + (np.arange(self.width_px, dtype=np.float32) + 0.5) / self.ppi
        ys = self.y0_in + (np.arange(self.height_px, dtype=np.float32) + 0.5) / self.ppi
        return xs.astype(np.float32), ys.astype(np.float32)

    def px(self, x_in: float, y_in: float) -> tuple[float, float]:
        """Pixel coordinates (column, row; edges at integers) of a point in garment inches."""
        return (x_in - self.x0_in) * self.ppi, (y_in - self.y0_in) * self.ppi



#: Pixels per inch of the whole-tee view at 2048 px: the tee (33.9 x 30.2 in) then fills
#: 1501 x 1329 px, inside the 4:5 (1638 px wide) and 4:3 (1536 px high) centre crops.
FRONT_PPI_AT_2048 = 44.0
#: The hanger view: the tee and the hook above it (about 21 x 38 in) at 40 px/in.
HANGER_PPI_AT_2048 = 40.0
HANGER_CENTRE_IN = (0.0, 14.2)
#: The folded tee (13.2 x 17.6 in) at 80 px/in.
FOLDED_PPI_AT_2048 = 80.0


def front_view(size_px: int = 2048) -> View:
    """The whole tee laid flat, centred in a square image."""
    ppi = FRONT_PPI_AT_2048 * size_px / 2048
    x0, y0, x1, y1 = garment.garment_bbox_in()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = size_px / 2 / ppi
    return View("front", cx - half, cy - half, ppi, size_px, size_px, "flat")


def hanger_view(size_px: int = 2048) -> View:
    """The tee on its hanger against the wall."""
    ppi = HANGER_PPI_AT_2048 * size_px / 2048
    half = size_px / 2 / ppi
    cx, cy = HANGER_CENTRE_IN
    return View("hanger", cx - half, cy - half, ppi, size_px, size_px, "hanger")


def folded_view(size_px: int = 2048, ppi_at_2048: float = FOLDED_PPI_AT_2048,
                name: str = "folded") -> View:
    """The retail-folded tee, centred."""
    from teeprint.mockup import pattern

    ppi = ppi_at_2048 * size_px / 2048
    half = size_px / 2 / ppi
    cy = (pattern.FOLDED_LENGTH_IN - 0.4) / 2
    return View(name, -half, cy - half, ppi, size_px, size_px, "folded")


def closeup_view(window_in: tuple[float, float, float], size_px: int = 2048) -> View:
    """A square window (x, y, side in inches) on the flat-laid tee."""
    x0, y0, side = window_in
    return View("closeup", x0, y0, size_px / side, size_px, size_px, "flat")


@lru_cache(maxsize=16)
def light_falloff(view: View, centre_in: tuple[float, float] = SCENE_CENTRE_IN) -> np.ndarray:
    """The soft box's slow fall-off across the scene (brighter toward the light), 1 at the
    scene's centre.  Shared between callers: read it, do not write to it."""
    xs, ys = view.axes_in()
    lx, ly = float(LIGHT[0]), float(LIGHT[1])
    norm = math.hypot(lx, ly)
    cx, cy = centre_in
    along = ((xs[None, :] - cx) * lx + (ys[:, None] - cy) * ly) / norm
    out = (1.0 + FALLOFF_PER_IN * along).astype(np.float32)
    out.setflags(write=False)
    return out
