"""A simulated drape lit in a view: the neutral shading layer every garment colour shares.

The drape gives each pixel its height and the pattern point it shows (:mod:`.drape`).  What is
drawn on the pattern (the collar rib, the sunken neck opening, seams, doubled hems, stitch rows,
the jersey's loops) is rasterised in pattern inches and fetched through that map, so it follows
the cloth; it adds fine relief to the height.  The result is lit once: Lambert shading from the
normals under the key light, occlusion in the valleys, and the soft box's fall-off.  The product
is ``ln`` of a multiplier (0 = a flat, frontally lit patch of cloth), shared by every colour.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from teeprint.mockup import cloth, drape, fabric, pattern
from teeprint.mockup.relief import AMBIENT, LIGHT, View, light_falloff

#: How far each drape's cloth stands above its own edge: two layers of a flat-laid tee round
#: over at every edge; a folded tee has its turned-under layers below; a hanging tee is seen
#: as one layer from the front.
LOFT_IN = {"flat": 0.6, "folded": 0.35, "hanger": 0.15}


#: The colour-range view: folded tees in rows of up to four, this far apart (inches), each
#: turned a little as a hand lays them.
RANGE_STEP_IN = (14.8, 19.6)
RANGE_COLUMNS = 4


def range_offsets(count: int) -> tuple[tuple[float, float, float], ...]:
    """Where the folded tees of a colour range lie: (dx, dy, turn) each, centred on 0, 0."""
    cols = min(RANGE_COLUMNS, max(1, count))
    rows = -(-count // cols)
    gen = fabric.rng("unisex-tee-l", f"range-{count}")
    out = []
    for k in range(count):
        r, c = divmod(k, cols)
        in_row = min(cols, count - r * cols)
        dx = (c - (in_row - 1) / 2) * RANGE_STEP_IN[0] + float(gen.uniform(-0.3, 0.3))
        dy = (r - (rows - 1) / 2) * RANGE_STEP_IN[1] + float(gen.uniform(-0.3, 0.3))
        out.append((dx, dy, float(gen.uniform(-1.5, 1.5))))
    return tuple(out)


def drape_of(name: str) -> cloth.Drape:
    """The simulated drape a view shows (``range-N``: N folded tees side by side)."""
    makers: dict[str, Callable[[], cloth.Drape]] = {
        "flat": cloth.flat_lay, "folded": cloth.folded, "hanger": cloth.hanging}
    if name.startswith("range-"):
        offs = range_offsets(int(name.split("-")[1]))
        return cloth.arranged([cloth.folded(k) for k in range(len(offs))], offs)
    if name not in makers:
        msg = f"unknown drape {name!r}; drapes: {', '.join(makers)}"
        raise ValueError(msg)
    return makers[name]()


@dataclass(frozen=True)
class Surface:
    """A lit tee in one view: coverage, neutral shading and the pattern point of each pixel."""

    view: View
    alpha: np.ndarray  # float32 (h, w), the cloth's coverage (anti-aliased)
    log_shade: np.ndarray  # float32 (h, w)
    u: np.ndarray  # float32 (h, w), pattern x under each pixel, inches
    v: np.ndarray  # float32 (h, w), pattern y
    height_in: np.ndarray  # float32 (h, w), the cloth's height with its fine relief
    light: np.ndarray  # float32 (h, w), the soft box's fall-off
    knit: np.ndarray  # float32 (h, w), the jersey's light variation (mean about 1)


class Sampler:
    """Bilinear sampling of pattern-space fields at the pattern points of a view's cloth: the
    indices and weights are worked out once and serve every field drawn over ``window_in``."""

    def __init__(self, window_in: tuple[float, float, float, float], ppi: float,
                 u: np.ndarray, v: np.ndarray, where: np.ndarray) -> None:
        x0, y0, w_in, h_in = window_in
        self.shape = u.shape
        self.size = (max(1, round(h_in * ppi)), max(1, round(w_in * ppi)))
        self.flat = np.flatnonzero(where)
        rows = (v.ravel()[self.flat] - y0) * ppi - 0.5
        cols = (u.ravel()[self.flat] - x0) * ppi - 0.5
        h, w = self.size
        r0 = np.clip(np.floor(rows), 0, h - 2).astype(np.int64)
        c0 = np.clip(np.floor(cols), 0, w - 2).astype(np.int64)
        fr = np.clip(rows - r0, 0.0, 1.0).astype(np.float32)
        fc = np.clip(cols - c0, 0.0, 1.0).astype(np.float32)
        self.base = r0 * w + c0
        self.step = w
        self.weights = ((1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc)

    def __call__(self, field: np.ndarray) -> np.ndarray:
        """The field (rasterised over the window at the sampler's ppi) at every pixel."""
        out = np.zeros(self.shape, np.float32)
        if self.flat.size == 0 or not field.any():
            return out
        f = np.ascontiguousarray(field, np.float32).ravel()
        b, w = self.base, self.step
        a00, a01, a10, a11 = self.weights
        out.ravel()[self.flat] = a00 * f[b] + a01 * f[b + 1] + a10 * f[b + w] + a11 * f[b + w + 1]
        return out


def pattern_window(u: np.ndarray, v: np.ndarray, cover: np.ndarray,
                   pad_in: float = 0.3) -> tuple[float, float, float, float]:
    """The pattern inches a view shows (x, y, w, h)."""
    if not cover.any():
        return (0.0, 0.0, 1.0, 1.0)
    uu, vv = u[cover], v[cover]
    x0, x1 = float(uu.min()) - pad_in, float(uu.max()) + pad_in
    y0, y1 = float(vv.min()) - pad_in, float(vv.max()) + pad_in
    return (x0, y0, x1 - x0, y1 - y0)


#: Cloth can reach this far outside its drape's vertices (edge softening, loft), inches.
BBOX_PAD_IN = 0.6


def surface(view: View, seed_text: str) -> Surface:
    """Light the drape a view shows (see :func:`_lit`), working only where the cloth can be."""
    d = drape_of(view.drape)
    (x0, y0), (x1, y1) = d.pos[:, :2].min(axis=0), d.pos[:, :2].max(axis=0)
    c0, r0 = view.px(float(x0) - BBOX_PAD_IN, float(y0) - BBOX_PAD_IN)
    c1, r1 = view.px(float(x1) + BBOX_PAD_IN, float(y1) + BBOX_PAD_IN)
    c0, r0 = max(0, math.floor(c0)), max(0, math.floor(r0))
    c1, r1 = min(view.width_px, math.ceil(c1)), min(view.height_px, math.ceil(r1))
    if (c0, r0, c1, r1) == (0, 0, view.width_px, view.height_px) or c1 <= c0 or r1 <= r0:
        return _canonical(_lit(view, d, seed_text))
    sub = View(view.name, view.x0_in + c0 / view.ppi, view.y0_in + r0 / view.ppi, view.ppi,
               c1 - c0, r1 - r0, view.drape)
    part = _canonical(_lit(sub, d, seed_text))
    shape = (view.height_px, view.width_px)
    rows, cols = slice(r0, r1), slice(c0, c1)

    def embed(a: np.ndarray, fill: float) -> np.ndarray:
        out = np.full(shape, fill, np.float32)
        out[rows, cols] = a
        return out

    return Surface(view, embed(part.alpha, 0.0), embed(part.log_shade, 0.0),
                   embed(part.u, -1e3), embed(part.v, -1e3), embed(part.height_in, 0.0),
                   light_falloff(view), embed(part.knit, 1.0))


def _canonical(surf: Surface) -> Surface:
    """The surface with every field set to its neutral value where there is no cloth, so what
    the disk store keeps (the cloth's box) is all there is."""
    off = surf.alpha <= 0
    if not off.any():
        return surf

    def clean(a: np.ndarray, fill: float) -> np.ndarray:
        out = a.copy()
        out[off] = fill
        return out

    return Surface(surf.view, surf.alpha, clean(surf.log_shade, 0.0), clean(surf.u, -1e3),
                   clean(surf.v, -1e3), clean(surf.height_in, 0.0), surf.light,
                   clean(surf.knit, 1.0))


def _lit(view: View, d: cloth.Drape, seed_text: str) -> Surface:
    """Light a drape in a view (see the module's description)."""
    from scipy.ndimage import gaussian_filter

    m = drape.maps(d, view, LOFT_IN["folded" if view.drape.startswith("range") else view.drape])
    alpha = gaussian_filter(m.cover.astype(np.float32), 0.5)
    ppi = view.ppi
    win = pattern_window(m.u, m.v, m.cover)
    sample = Sampler(win, ppi, m.u, m.v, alpha > 0)
    layers = {name: sample(pattern.layer(name, win, ppi)) for name in pattern.LAYERS}
    rib, interior = layers["rib"], layers["interior"]
    # Fine relief, inches: the raised rib, the sunken neck opening, doubled hems with a ridge
    # where they fold, seam grooves and stitch rows pulling the cloth in.
    fine = (0.05 * rib - 0.22 * interior + 0.025 * layers["bands"] + 0.02 * layers["folds"]
            - 0.03 * layers["seams"] - 0.018 * layers["stitches"])
    if rib.any():
        # 1x1 rib: fine ridges across the collar band, 14 to the inch, following its curve.
        arc_in = np.arctan2(m.v - 0.6, m.u) * 3.3
        fine += 0.012 * rib * (0.5 + 0.5 * np.cos(arc_in * 14.0 * 2 * math.pi))
        # The rib's thickness: its outer edge stands proud of the body and throws a shadow.
        fine += 0.03 * gaussian_filter(rib, max(0.6, 0.04 * ppi))
    fine = gaussian_filter(fine.astype(np.float32), max(0.4, 0.012 * ppi))
    height = m.height_in * alpha + fine
    gy, gx = np.gradient(height, 1.0 / ppi)
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    lambert = (-gx * LIGHT[0] - gy * LIGHT[1] + LIGHT[2]) / norm
    diffuse = np.maximum(lambert, 0.0) / LIGHT[2]
    shade = AMBIENT + (1.0 - AMBIENT) * diffuse
    inside = gaussian_filter(interior, max(0.5, 0.08 * ppi)) if interior.any() else interior
    occl = (m.occlusion * (1.0 - 0.55 * inside) * (1.0 - 0.25 * layers["stitches"])
            * (1.0 - 0.2 * layers["seams"]))
    gen = fabric.rng(seed_text, f"knit-{view.name}")
    knit = fabric.knit_shading(m.u, m.v, ppi, gen)
    light = light_falloff(view)
    shade = shade * np.clip(occl, 0.05, 1.0) * knit * light
    log_shade = np.log(np.clip(shade, 1e-3, None)).astype(np.float32)
    return Surface(view, alpha, log_shade, m.u, m.v, height.astype(np.float32), light, knit)
