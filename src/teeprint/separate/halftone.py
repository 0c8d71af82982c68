"""Amplitude-modulated halftone screen: tints to dots at a given LPI and angle.

The screen is a threshold function over the page: each pixel's position in a rotated square
grid of cells (``dpi / lpi`` pixels apart) gives a value of the cosine spot function, and the
value is mapped through the spot function's own area distribution so that a tint t inks a
fraction t of every cell (round dots at low tints, a checkerboard at 50 %, round holes near
solid).  The screen is anchored to the page origin, so every plate shares one grid and the
underbase dots sit under the top dots.  Evaluation is vectorised over the pixels that need it.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from teeprint.separate.plates import DROPOUT_TINT, SOLID_TINT

_LUT_BINS = 8192
#: Rows of the page screened at a time (temporaries stay under ~50 MB at 600 dpi).
SCREEN_BAND_ROWS = 256
#: Where the screen samples each pixel (row, column), in pixels from its corner.  Not the centre:
#: when a cell spans a whole number of pixels at 0 or 90 degrees (50 LPI at 300 dpi is 6 px),
#: centre samples sit symmetrically in the cell, a third of them on the same spot value, and a
#: 50 % tint would ink 67 % of the film.  Off-centre samples take distinct values, so every tint
#: inks its share; the offset is the same for every plate, so their dots still line up.
_PHASE = (0.5 + 0.1213, 0.5 + 0.2347)


@lru_cache(maxsize=1)
def _rank_lut(samples: int = 1024) -> np.ndarray:
    """Area fraction of one cell whose spot value is at or below each of ``_LUT_BINS`` levels.

    Ranking through the spot function's own distribution makes tint t ink exactly a fraction t
    of each cell; a lookup table keeps that O(1) per pixel.
    """
    g = (np.arange(samples) + 0.5) / samples
    u, v = np.meshgrid(g, g)
    table = np.sort(((np.cos(2 * math.pi * u) + np.cos(2 * math.pi * v)) / 2).ravel())
    levels = -1.0 + (np.arange(_LUT_BINS) + 0.5) * (2.0 / _LUT_BINS)
    return (np.searchsorted(table, levels, side="right") / table.size).astype(np.float32)


def _spot(rows: np.ndarray, cols: np.ndarray, lpi: float, angle_deg: float,
          dpi: float) -> np.ndarray:
    """The cosine spot function at page pixels (broadcasting row and column indices).

    The angle is counter-clockwise from the horizontal as the film is seen (rows grow
    downwards).  The spot function of the rotated cell coordinates u, v is separable in x and
    y (cos(a + b) = cos a cos b - sin a sin b), so the trigonometry is done once per row and
    once per column and a pixel costs a few multiplications.
    """
    cell_px = dpi / lpi
    th = math.radians(angle_deg)
    k = 2 * math.pi / cell_px
    xs = np.arange(int(cols.max()) + 1 if cols.size else 0, dtype=np.float64) + _PHASE[1]
    ys = -(np.arange(int(rows.max()) + 1 if rows.size else 0, dtype=np.float64) + _PHASE[0])
    # u = (x cos + y sin) / cell ; v = (-x sin + y cos) / cell
    ax, by = k * xs * math.cos(th), k * ys * math.sin(th)
    cx, dy = -k * xs * math.sin(th), k * ys * math.cos(th)
    cos_u = (np.cos(ax)[cols] * np.cos(by)[rows] - np.sin(ax)[cols] * np.sin(by)[rows])
    cos_v = (np.cos(cx)[cols] * np.cos(dy)[rows] - np.sin(cx)[cols] * np.sin(dy)[rows])
    return (cos_u.astype(np.float32) + cos_v.astype(np.float32)) * np.float32(0.5)


def _rank(spot: np.ndarray) -> np.ndarray:
    idx = ((spot + np.float32(1.0)) * np.float32(_LUT_BINS / 2)).astype(np.int32)
    np.clip(idx, 0, _LUT_BINS - 1, out=idx)
    return np.float32(1.0) - _rank_lut()[idx]


def thresholds(r0: int, r1: int, c0: int, c1: int, lpi: float, angle_deg: float,
               dpi: float) -> np.ndarray:
    """Thresholds in [0, 1) for the page pixels ``[r0:r1, c0:c1]``; a pixel inks below its tint."""
    rows = np.arange(r0, r1)[:, None]
    cols = np.arange(c0, c1)[None, :]
    return _rank(_spot(rows, cols, lpi, angle_deg, dpi))


def screen(density: np.ndarray, lpi: float, angle_deg: float, dpi: float,
           origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Bitonal ink mask of a plate: solid where tint > 90 %, dots for 10-90 %, nothing below.

    ``density`` is the plate's tint (0-255) where it prints and 0 where it does not, as
    :class:`~teeprint.separate.layers.PlateRaster` holds it.  Tints below 10 % would not hold
    on the screen and above 90 % would fill in, so they are dropped and made solid here
    rather than left to chance on press.  Thresholds are computed only at the pixels that
    hold mid tints.  ``origin`` is the page pixel of ``density[0, 0]`` when a window of the
    page is screened.
    """
    lo, hi = np.uint8(round(DROPOUT_TINT * 255)), np.uint8(round(SOLID_TINT * 255))
    ink = np.zeros(density.shape, bool)
    rows = np.flatnonzero(density.any(axis=1))  # a page is mostly empty: only its inked rows
    if rows.size == 0:
        return ink
    w = density.shape[1]
    oy, ox = origin
    # Band by band: the temporaries stay small (a pixel's threshold takes ~60 bytes, and a page
    # at once would need gigabytes and fresh memory for every page-sized step).  Each pixel's
    # value does not depend on the band.
    for r0 in range(int(rows[0]), int(rows[-1]) + 1, SCREEN_BAND_ROWS):
        r1 = min(r0 + SCREEN_BAND_ROWS, int(rows[-1]) + 1)
        band, out = density[r0:r1], ink[r0:r1]
        np.greater(band, hi, out=out)
        # lo <= t <= hi as one unsigned comparison: below lo, t - lo wraps round past hi - lo.
        at = np.flatnonzero((band - lo) <= hi - lo)  # the mid-tint pixels, flat in the band
        if at.size == 0:
            continue
        rr, cc = np.divmod(at, w)
        t = band.ravel()[at].astype(np.float32) * np.float32(1 / 255)
        dots = _rank(_spot(rr + (r0 + oy), cc + ox, lpi, angle_deg, dpi)) < t
        out.ravel()[at[dots]] = True  # the band's rows are contiguous: ravel is a view
    return ink


def measure_screen(patch: np.ndarray, dpi: float) -> tuple[float, float]:
    """Measure a halftone patch's frequency (LPI) and angle (degrees, 0-90) by FFT.

    The strongest non-DC peak of the windowed spectrum is a first harmonic of the dot grid;
    its distance from the origin is the frequency and its direction the screen angle (modulo
    the grid's 90-degree symmetry).  Sub-bin accuracy comes from zero padding.
    """
    a = patch.astype(np.float64)
    a -= a.mean()
    h, w = a.shape
    win = np.outer(np.hanning(h), np.hanning(w))
    n = 1 << int(math.ceil(math.log2(max(h, w) * 4)))
    spec = np.abs(np.fft.fftshift(np.fft.fft2(a * win, s=(n, n))))
    c = n // 2
    fy, fx = np.mgrid[-c:n - c, -c:n - c] / n
    radius = np.hypot(fx, fy)
    spec[radius < 0.02] = 0.0  # below any screen we make (35 LPI at 600 dpi is 0.058 c/px)
    iy, ix = np.unravel_index(int(np.argmax(spec)), spec.shape)
    kx, ky = fx[iy, ix], -fy[iy, ix]  # rows grow downwards; angles are seen on the film
    lpi = float(np.hypot(kx, ky) * dpi)
    angle = math.degrees(math.atan2(ky, kx)) % 90.0
    return lpi, angle
