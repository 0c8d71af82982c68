"""Sampling and filtering for the print on the cloth: where each pixel's pattern point falls in
the plate's raster, bilinear sampling of the raster only where it holds ink, a pixel-sized
Gaussian blur and the slopes of a field at chosen pixels."""

from __future__ import annotations

import numpy as np


def sample_grid(size: tuple[int, int], rows_f: np.ndarray, cols_f: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """For fractional positions (row, column; pixel centres at integers) in an image of
    ``size`` (width, height): the flat index of the pixel up and left of each (int32; edge
    positions clamped) and the fractions past it in 256ths (uint8 (2, ...))."""
    w, h = size
    r = np.clip(rows_f, 0.0, h - 1.0)
    c = np.clip(cols_f, 0.0, w - 1.0)
    r0 = np.minimum(r.astype(np.int32), max(h - 2, 0))
    c0 = np.minimum(c.astype(np.int32), max(w - 2, 0))
    frac = np.empty((2, *r.shape), np.uint8)
    frac[0] = np.minimum(np.rint((r - r0) * 256.0), 255)
    frac[1] = np.minimum(np.rint((c - c0) * 256.0), 255)
    return r0 * np.int32(w) + c0, frac


def pull(words: np.ndarray, source: np.ndarray, frac: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """Sample premultiplied ARGB32 ``words`` ((h, w) uint32, as cairo draws them:
    :func:`teeprint.raster.rasterize_words`) bilinearly at the positions :func:`sample_grid`
    gave (``source``, ``frac``).  Only positions whose four source pixels hold some ink are
    sampled: returns their flat indices (ascending) and their straight RGBA 0..1 (float32,
    (n, 4))."""
    from teeprint.raster import ARGB_BYTES

    h, w = words.shape
    words = np.ascontiguousarray(words)
    near = words != 0
    near[:-1] |= near[1:]  # a sample reads rows r0, r0 + 1 and columns c0, c0 + 1
    near[:, :-1] |= near[:, 1:].copy()
    at = np.flatnonzero(near.ravel()[source]).astype(np.int32)
    out = np.empty((at.size, 4), np.float32)
    dr = w if h > 1 else 0
    dc = 1 if w > 1 else 0
    flat = words.ravel()
    for s in range(0, at.size, _PULL_CHUNK):  # bounds the temporaries
        k = at[s:s + _PULL_CHUNK]
        i = source.ravel()[k]
        fr = frac[0].ravel()[k].astype(np.float32) / 256.0
        fc = frac[1].ravel()[k].astype(np.float32) / 256.0
        corners = np.stack([flat[i], flat[i + dc], flat[i + dr], flat[i + dr + dc]])
        px = corners.view(np.uint8).reshape(4, -1, 4)[..., ARGB_BYTES].astype(np.float32)
        weights = np.stack([(1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc])
        part = np.einsum("kn,knc->nc", weights, px) / np.float32(255.0)
        a = part[:, 3:4]
        part[:, :3] = np.where(a > 1e-6, part[:, :3] / np.maximum(a, 1e-6), 0.0)
        out[s:s + _PULL_CHUNK] = part
    return at, out


#: Pixels sampled at a time by :func:`pull`.
_PULL_CHUNK = 1 << 18


def blur(field: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of a 2-D float32 field (edges mirrored, as
    :func:`scipy.ndimage.gaussian_filter`), its kernel cut at three sigma; a blur of a pixel or
    less is a few shifted multiply-adds, three times quicker than the general filter."""
    radius = int(3.0 * sigma + 0.5)
    if radius < 1:
        return field.astype(np.float32)
    if radius > 2:  # wider kernels: the general filter is quicker
        from scipy.ndimage import gaussian_filter

        return gaussian_filter(np.asarray(field, np.float32), sigma, truncate=3.0)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k = (k / k.sum()).astype(np.float32)
    out = np.asarray(field, np.float32)
    for axis in (0, 1):
        n = out.shape[axis]
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)],
                        mode="symmetric")
        acc = np.zeros_like(out)
        tmp = np.empty_like(out)
        for j, weight in enumerate(k):
            part = padded[j:j + n] if axis == 0 else padded[:, j:j + n]
            np.multiply(part, weight, out=tmp)
            acc += tmp
        out = acc
    return out


def gradient_at(field: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`numpy.gradient` of a 2-D field (rows, columns) at the flat indices ``at`` only:
    central differences inside, one-sided at the edges."""
    h, w = field.shape
    flat = field.ravel()
    r, c = np.divmod(at, w)
    if h > 1:
        lo, hi = np.maximum(r - 1, 0), np.minimum(r + 1, h - 1)
        gy = (flat[hi * w + c] - flat[lo * w + c]) / (hi - lo).astype(np.float32)
    else:
        gy = np.zeros(at.size, np.float32)
    if w > 1:
        lo, hi = np.maximum(c - 1, 0), np.minimum(c + 1, w - 1)
        gx = (flat[r * w + hi] - flat[r * w + lo]) / (hi - lo).astype(np.float32)
    else:
        gx = np.zeros(at.size, np.float32)
    return gy, gx
