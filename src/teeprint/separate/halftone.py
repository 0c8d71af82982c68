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
_BLOCK_ROWS = 512


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


def thresholds(r0: int, r1: int, c0: int, c1: int, lpi: float, angle_deg: float,
               dpi: float) -> np.ndarray:
    """Thresholds in [0, 1) for the page pixels ``[r0:r1, c0:c1]``; a pixel inks below its tint.

    The angle is counter-clockwise from the horizontal as the film is seen (rows grow
    downwards).  The cosine spot function of the rotated cell coordinates u, v is separable in
    x and y (cos(a + b) = cos a cos b - sin a sin b), so a block costs a few multiplications per
    pixel and no trigonometry.
    """
    cell_px = dpi / lpi
    th = math.radians(angle_deg)
    x = (np.arange(c0, c1, dtype=np.float64) + 0.5)[None, :]
    y = -(np.arange(r0, r1, dtype=np.float64) + 0.5)[:, None]
    k = 2 * math.pi / cell_px
    # u = (x cos + y sin) / cell ; v = (-x sin + y cos) / cell
    ax, by = k * x * math.cos(th), k * y * math.sin(th)
    cx, dy = -k * x * math.sin(th), k * y * math.cos(th)
    cos_u = (np.cos(ax) * np.cos(by) - np.sin(ax) * np.sin(by)).astype(np.float32)
    cos_v = (np.cos(cx) * np.cos(dy) - np.sin(cx) * np.sin(dy)).astype(np.float32)
    spot = (cos_u + cos_v) * np.float32(0.5)
    idx = ((spot + np.float32(1.0)) * np.float32(_LUT_BINS / 2)).astype(np.int32)
    np.clip(idx, 0, _LUT_BINS - 1, out=idx)
    return np.float32(1.0) - _rank_lut()[idx]


def screen(cover: np.ndarray, tint_u8: np.ndarray, lpi: float, angle_deg: float,
           dpi: float, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Bitonal ink mask of a plate: solid where tint > 90 %, dots for 10-90 %, nothing below.

    Tints below 10 % would not hold on the screen and above 90 % would fill in, so they are
    dropped and made solid here rather than left to chance on press.  Thresholds are computed
    only over the rows and columns that hold mid tints, a block of rows at a time.  ``origin``
    is the page pixel of ``cover[0, 0]`` when a window of the page is screened.
    """
    lo = round(DROPOUT_TINT * 255)
    hi = round(SOLID_TINT * 255)
    ink = cover & (tint_u8 > hi)
    mid = cover & (tint_u8 >= lo) & (tint_u8 <= hi)
    rows = np.flatnonzero(mid.any(axis=1))
    if rows.size == 0:
        return ink
    cols = np.flatnonzero(mid.any(axis=0))
    c0, c1 = int(cols[0]), int(cols[-1]) + 1
    for r0 in range(int(rows[0]), int(rows[-1]) + 1, _BLOCK_ROWS):
        r1 = min(r0 + _BLOCK_ROWS, int(rows[-1]) + 1)
        m = mid[r0:r1, c0:c1]
        if not m.any():
            continue
        t = tint_u8[r0:r1, c0:c1].astype(np.float32) * np.float32(1 / 255)
        oy, ox = origin
        dots = thresholds(r0 + oy, r1 + oy, c0 + ox, c1 + ox, lpi, angle_deg, dpi) < t
        ink[r0:r1, c0:c1] |= m & dots
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
