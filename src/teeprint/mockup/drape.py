"""From a simulated drape to a view's pixels: which bit of the pattern each pixel sees.

The drape's triangles are projected straight down the camera axis (z) and scan-converted with
a depth test, so where the cloth folds over itself the upper layer wins.  Per pixel the result
is the pattern point under it (``u``, ``v`` in pattern inches, linear inside each triangle) and
the cloth's height; heights are also rasterised on a coarse grid, smoothed there (a triangle
mesh lit facet by facet shows its facets) and enlarged, which is where the light comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teeprint.mockup import fabric
from teeprint.mockup.cloth import Drape
from teeprint.mockup.relief import View

#: Pixel candidates scan-converted per batch (bounds the temporary arrays).
_CANDIDATES = 1_000_000
#: Coarse grid for the height field, pixels per inch.
HEIGHT_PPI = 16.0


@dataclass(frozen=True)
class Maps:
    """A drape seen in a view: coverage, pattern coordinates and height per pixel."""

    cover: np.ndarray  # bool (h, w), a triangle covers the pixel centre
    u: np.ndarray  # float32 (h, w), pattern x (extended past the edge by the nearest value)
    v: np.ndarray  # float32 (h, w), pattern y
    height_in: np.ndarray  # float32 (h, w), smooth height toward the camera
    occlusion: np.ndarray  # float32 (h, w), share of the sky a point sees (valleys darker)


def scan(drape: Drape, view: View, values: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """Scan-convert the drape: per pixel, the topmost triangle's interpolated ``values``
    (n, k) and whether any triangle covers it.  Returns (values (h, w, k), cover)."""
    h, w = view.height_px, view.width_px
    px = (drape.pos[:, 0] - view.x0_in) * view.ppi - 0.5  # pixel centres at integers
    py = (drape.pos[:, 1] - view.y0_in) * view.ppi - 0.5
    pz = drape.pos[:, 2]
    tris = drape.mesh.tris
    tx, ty = px[tris], py[tris]
    c0 = np.clip(np.ceil(tx.min(axis=1)), 0, w).astype(np.int64)
    c1 = np.clip(np.floor(tx.max(axis=1)) + 1, 0, w).astype(np.int64)
    r0 = np.clip(np.ceil(ty.min(axis=1)), 0, h).astype(np.int64)
    r1 = np.clip(np.floor(ty.max(axis=1)) + 1, 0, h).astype(np.int64)
    live = np.flatnonzero((c1 > c0) & (r1 > r0))
    k = values.shape[1]
    out = np.zeros((h * w, k), np.float32)
    depth = np.full(h * w, -np.inf, np.float32)
    area = (c1[live] - c0[live]) * (r1[live] - r0[live])
    # Batches of about _CANDIDATES pixel candidates, however large the triangles are here.
    bounds = np.searchsorted(np.cumsum(area), np.arange(_CANDIDATES, int(area.sum()) + _CANDIDATES,
                                                        _CANDIDATES))
    starts = np.unique(np.concatenate([[0], np.minimum(bounds + 1, len(live))]))
    for s, e in zip(starts[:-1], starts[1:], strict=True):
        ids = live[s:e]
        bw, bh = c1[ids] - c0[ids], r1[ids] - r0[ids]
        counts = bw * bh
        owner = np.repeat(np.arange(len(ids)), counts)
        off = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        cx = (c0[ids][owner] + off % bw[owner]).astype(np.float64)
        cy = (r0[ids][owner] + off // bw[owner]).astype(np.float64)
        x0, x1, x2 = (tx[ids][owner, q] for q in range(3))
        y0, y1, y2 = (ty[ids][owner, q] for q in range(3))
        det = (y1 - y2) * (x0 - x2) + (x2 - x1) * (y0 - y2)
        ok = np.abs(det) > 1e-12
        det = np.where(ok, det, 1.0)
        b0 = ((y1 - y2) * (cx - x2) + (x2 - x1) * (cy - y2)) / det
        b1 = ((y2 - y0) * (cx - x2) + (x0 - x2) * (cy - y2)) / det
        b2 = 1.0 - b0 - b1
        eps = -1e-7
        hit = ok & (b0 >= eps) & (b1 >= eps) & (b2 >= eps)
        if not hit.any():
            continue
        tri = tris[ids[owner[hit]]]
        bb = np.column_stack([b0[hit], b1[hit], b2[hit]])
        z = (pz[tri] * bb).sum(axis=1).astype(np.float32)
        pix = (cy[hit].astype(np.int64) * w + cx[hit].astype(np.int64))
        val = (bb[:, 0:1] * values[tri[:, 0]] + bb[:, 1:2] * values[tri[:, 1]]
               + bb[:, 2:3] * values[tri[:, 2]]).astype(np.float32)
        # Depth test: among this batch keep the highest sample per pixel, then compare with
        # what earlier batches left.
        order = np.lexsort((z, pix))
        pix, z, val = pix[order], z[order], val[order]
        last = np.ones(len(pix), bool)
        last[:-1] = pix[1:] != pix[:-1]
        pix, z, val = pix[last], z[last], val[last]
        better = z > depth[pix]
        depth[pix[better]] = z[better]
        out[pix[better]] = val[better]
    cover = np.isfinite(depth).reshape(h, w)
    return out.reshape(h, w, k), cover


def _fill_outside(a: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """Extend a per-pixel field (h, w) or (h, w, k) past the cloth's edge with its nearest
    covered value."""
    from scipy.ndimage import distance_transform_edt

    if cover.all() or not cover.any():
        return a
    idx = distance_transform_edt(~cover, return_distances=False, return_indices=True)
    return a[idx[0], idx[1]]


def maps(drape: Drape, view: View, loft_in: float = 0.0) -> Maps:
    """Pattern coordinates and smooth height of a drape in a view.

    ``loft_in``: how much the cloth stands above its own edge (two layers of a flat-laid tee
    round over at every edge); 0 for a single hanging layer seen from the front.
    """
    from scipy.ndimage import distance_transform_edt, gaussian_filter

    uv, cover = scan(drape, view, drape.mesh.rest.astype(np.float32))
    uv = _fill_outside(uv, cover)
    u, v = uv[..., 0], uv[..., 1]
    # Heights on a coarse grid over the same window, smoothed there.
    ppi = min(view.ppi, HEIGHT_PPI)
    pad = 1.0
    cw = max(2, round((view.width_px / view.ppi + 2 * pad) * ppi))
    ch = max(2, round((view.height_px / view.ppi + 2 * pad) * ppi))
    coarse = View("height", view.x0_in - pad, view.y0_in - pad, ppi, cw, ch)
    zc, cov_c = scan(drape, coarse, drape.pos[:, 2:3].astype(np.float32))
    z = zc[..., 0]
    cov = cov_c.astype(np.float32)
    sigma = 0.26 * ppi  # inches: wider than a mesh edge, so facets never show
    num = gaussian_filter(z * cov, sigma)
    den = gaussian_filter(cov, sigma)
    z = np.where(den > 1e-3, num / np.maximum(den, 1e-3), 0.0)
    if loft_in > 0:
        edge_in = distance_transform_edt(cov_c) / ppi
        z = z + loft_in * (1.0 - np.exp(-edge_in / 0.9)) + 0.15 * loft_in * (
            1.0 - np.exp(-edge_in / 0.25))
    z = _fill_outside(z.astype(np.float32), cov_c)
    # Occlusion: a valley is darker in proportion to how far it sinks below its surroundings.
    cavity = (np.maximum(gaussian_filter(z, 0.6 * ppi) - z, 0.0)
              + 0.5 * np.maximum(gaussian_filter(z, 2.0 * ppi) - z, 0.0))
    occl = np.exp(-2.0 * cavity).astype(np.float32)
    box = (pad * ppi, pad * ppi, pad * ppi + view.width_px / view.ppi * ppi,
           pad * ppi + view.height_px / view.ppi * ppi)
    size = (view.width_px, view.height_px)
    height = fabric.resample(z.astype(np.float32), box, size)
    return Maps(cover, u.astype(np.float32), v.astype(np.float32), height,
                fabric.resample(occl, box, size))
