"""The print on the cloth: the plate drawn in pattern inches and carried by the drape.

The colourway's artwork is rasterised over the print box in *pattern* inches, at the view's
resolution, and pulled into the view through the drape's map from pixels to pattern points, so
it bends, foreshortens and folds with the cloth and keeps its printed size (15 in on size L).
It then takes the cloth's shading (normalised to mean 1 over the print) and a little of its
knit, and behaves like its ink: DTG on a light tee soaks in (the knit's grooves take less ink,
edges wick a few thousandths of an inch); on a dark tee the ink over its white underbase sits
on the cloth like a thin film (plastisol-like lift: its edges catch the key light on one side
and shade on the other) and fibre tips poke through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from teeprint.catalog import hex_rgb
from teeprint.memo import once
from teeprint.mockup import fabric
from teeprint.mockup.colour import is_dark
from teeprint.mockup.relief import LIGHT, View

if TYPE_CHECKING:
    from teeprint.artwork import Artwork
    from teeprint.catalog import Colorway
    from teeprint.mockup.compose import Scene

#: How much of the garment shows through the ink: DTG ink soaks into cream cotton; on dark
#: garments the white underbase leaves fibre tips poking through.
INK_GROUND_MIX_LIGHT = 0.03
INK_GROUND_MIX_DARK = 0.07
FIBRILLATION_DARK = 0.10
#: How far DTG ink wicks into the cloth, inches, and how much less of it the knit's grooves
#: take than the loops (per unit of knit shading below its mean).
INK_BLEED_IN = 0.004
INK_GROOVE = 0.5
#: The ink film on a dark tee: its edge width (inches) and how much light its edges gain or
#: lose facing toward or away from the key light.
LIFT_EDGE_IN = 0.012
LIFT_CONTRAST = 0.22
#: Extra cloth around the print the map may pull art from, inches.
PRINT_MARGIN_IN = 0.3


@dataclass(frozen=True, eq=False)
class PrintArt:
    """A plate's artwork with the colourway it prints in; hashed by identity, so caches keyed
    on it never hash thousands of shapes."""

    artwork: Artwork
    colorway: Colorway


@dataclass(frozen=True)
class PrintLayer:
    """The plate on the garment in one view: straight sRGB colour and coverage."""

    rows: slice
    cols: slice
    rgb: np.ndarray  # float32 (h, w, 3), sRGB 0..1
    alpha: np.ndarray  # float32 (h, w)
    shade: np.ndarray  # float32 (h, w) multiplier on the ink, mean 1 over the print
    fibres: np.ndarray  # float32 (h, w) 0..1 where fibre tips break a dark-garment print
    lift: np.ndarray  # float32 (h, w) light gained (+) or lost (-) at the ink film's edges


def print_region(view: View, box_in: tuple[float, float, float, float]
                 ) -> tuple[slice, slice]:
    """Rows and columns of a flat view (world = pattern inches) the print can touch."""
    bx, by, bw, bh = box_in
    m = PRINT_MARGIN_IN
    c0, r0 = view.px(bx - m, by - m)
    c1, r1 = view.px(bx + bw + m, by + bh + m)
    rows = slice(max(0, int(np.floor(r0))), min(view.height_px, int(np.ceil(r1))))
    cols = slice(max(0, int(np.floor(c0))), min(view.width_px, int(np.ceil(c1))))
    return rows, cols


def rasterize_region(art: PrintArt, view: View, box_in: tuple[float, float, float, float],
                     rows: slice, cols: slice) -> np.ndarray:
    """Rasterise the artwork at exactly the pixels of a region of a flat view."""
    from teeprint.raster import rasterize_artwork

    bx, by, _, _ = box_in
    k = 72.0  # points per inch
    x_in = view.x0_in + cols.start / view.ppi
    y_in = view.y0_in + rows.start / view.ppi
    w_px, h_px = cols.stop - cols.start, rows.stop - rows.start
    vb = ((x_in - bx) * k, (y_in - by) * k, w_px / view.ppi * k, h_px / view.ppi * k)
    return rasterize_artwork(art.artwork, art.colorway, w_px, h_px, vb)


def _region(u: np.ndarray, v: np.ndarray, alpha: np.ndarray,
            box_in: tuple[float, float, float, float]) -> tuple[slice, slice]:
    """Rows and columns of a view whose cloth shows the print box (plus margin)."""
    bx, by, bw, bh = box_in
    m = PRINT_MARGIN_IN
    hit = (alpha > 0) & (u >= bx - m) & (u <= bx + bw + m) & (v >= by - m) & (v <= by + bh + m)
    rows = np.flatnonzero(hit.any(axis=1))
    cols = np.flatnonzero(hit.any(axis=0))
    if rows.size == 0:
        return slice(0, 0), slice(0, 0)
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def pull(src: np.ndarray, rows_f: np.ndarray, cols_f: np.ndarray) -> np.ndarray:
    """Sample straight-alpha RGBA ``src`` (uint8) at fractional pixel positions (row, column;
    pixel centres at integers), bilinearly on premultiplied colour.  Returns straight RGBA
    0..1 (float32) of the positions' shape; positions past the edge take the edge pixel."""
    h, w = src.shape[:2]
    prem = src.astype(np.float32) / 255.0
    prem[..., :3] *= prem[..., 3:4]
    flat = prem.reshape(-1, 4)
    r = np.clip(rows_f, 0.0, h - 1.0)
    c = np.clip(cols_f, 0.0, w - 1.0)
    r0 = np.minimum(r.astype(np.int64), max(h - 2, 0))
    c0 = np.minimum(c.astype(np.int64), max(w - 2, 0))
    fr = (r - r0).astype(np.float32)[..., None]
    fc = (c - c0).astype(np.float32)[..., None]
    i = r0 * w + c0
    dr = w if h > 1 else 0
    dc = 1 if w > 1 else 0
    out = ((flat[i] * (1 - fc) + flat[i + dc] * fc) * (1 - fr)
           + (flat[i + dr] * (1 - fc) + flat[i + dr + dc] * fc) * fr)
    a = out[..., 3:4]
    out[..., :3] = np.where(a > 1e-6, out[..., :3] / np.maximum(a, 1e-6), 0.0)
    return out


@once(maxsize=8)
def _fibres(view: View, seed_text: str, shape: tuple[int, int]) -> np.ndarray:
    """Where fibre tips break the ink, for a print region of a view (the same for every plate)."""
    return fabric.heather_weight(shape, view.ppi, 0.12, fabric.rng(seed_text, f"fibres-{view.name}"))


def print_layer(art: PrintArt, sc: Scene, box_in: tuple[float, float, float, float]
                ) -> PrintLayer:
    """The colourway's plate carried onto the cloth of a scene."""
    from scipy.ndimage import gaussian_filter

    surf = sc.surface
    view = surf.view
    rows, cols = _region(surf.u, surf.v, surf.alpha, box_in)
    u, v = surf.u[rows, cols], surf.v[rows, cols]
    shape = u.shape
    if u.size == 0:
        z = np.zeros(shape, np.float32)
        return PrintLayer(rows, cols, np.zeros((*shape, 3), np.float32), z, z, z, z)
    # The art in pattern inches, over what this region shows of the print box, drawn a little
    # finer than the view (cloth foreshortened by a fold packs more art into a pixel).
    ppi = view.ppi * (1.15 if view.ppi < 120 else 1.5)
    bx, by, bw, bh = box_in
    x0 = max(float(u.min()), bx - PRINT_MARGIN_IN)
    y0 = max(float(v.min()), by - PRINT_MARGIN_IN)
    x1 = min(float(u.max()), bx + bw + PRINT_MARGIN_IN)
    y1 = min(float(v.max()), by + bh + PRINT_MARGIN_IN)
    w_px, h_px = max(1, round((x1 - x0) * ppi)), max(1, round((y1 - y0) * ppi))
    from teeprint.raster import rasterize_artwork

    k = 72.0
    src = rasterize_artwork(art.artwork, art.colorway, w_px, h_px,
                            ((x0 - bx) * k, (y0 - by) * k, w_px / ppi * k, h_px / ppi * k))
    # Every pixel takes the art at the pattern point its cloth shows (u, v at pixel centres;
    # the raster's pixel centres sit half a pixel in).
    out = pull(src, (v - y0) * ppi - 0.5, (u - x0) * ppi - 0.5)
    rgb, alpha = out[..., :3], out[..., 3] * surf.alpha[rows, cols]
    # The cloth's light, normalised to mean 1 where there is ink (linear light, so the sRGB
    # multiplier is its 1/2.4 power, close enough for a factor near 1).
    log_s = surf.log_shade[rows, cols]
    inked = alpha > 0.5
    mean = float(log_s[inked].mean()) if inked.any() else 0.0
    shade = np.exp((log_s - mean) / 2.4).astype(np.float32)
    fibres = _fibres(view, sc.seed_text, shape)
    bleed_px = INK_BLEED_IN * view.ppi
    if bleed_px > 0.3:
        alpha = gaussian_filter(alpha, bleed_px)
        ragged = 4.0 * alpha * (1.0 - alpha)
        alpha = np.clip(alpha + 0.25 * ragged * (fibres - 0.4), 0.0, 1.0)
    # The film's edges (of the ink laid down, before the knit's grooves break it): the slope
    # of its (slightly softened) thickness under the key light.
    film = gaussian_filter(alpha, max(0.5, LIFT_EDGE_IN * view.ppi))
    gy, gx = np.gradient(film)
    lift = (-(gx * LIGHT[0] + gy * LIGHT[1]) * LIFT_CONTRAST
            * max(1.0, LIFT_EDGE_IN * view.ppi)).astype(np.float32)
    knit = surf.knit[rows, cols]
    alpha = alpha * np.clip(1.0 - INK_GROOVE * (1.0 - knit / float(knit.mean())), 0.0, 1.0)
    return PrintLayer(rows, cols, rgb.astype(np.float32), alpha.astype(np.float32), shade,
                      fibres, lift)


def crop(layer: PrintLayer, rows: slice, cols: slice) -> PrintLayer:
    """The part of a print layer inside a window of its view (rows, columns)."""
    r0, r1 = max(rows.start, layer.rows.start), min(rows.stop, layer.rows.stop)
    c0, c1 = max(cols.start, layer.cols.start), min(cols.stop, layer.cols.stop)
    r1, c1 = max(r1, r0), max(c1, c0)
    lr = slice(r0 - layer.rows.start, r1 - layer.rows.start)
    lc = slice(c0 - layer.cols.start, c1 - layer.cols.start)
    return PrintLayer(slice(r0, r1), slice(c0, c1), layer.rgb[lr, lc], layer.alpha[lr, lc],
                      layer.shade[lr, lc], layer.fibres[lr, lc], layer.lift[lr, lc])


def apply_print(image: np.ndarray, layer: PrintLayer, garment_hex: str) -> np.ndarray:
    """Lay the print onto a painted scene (in place); return the ink coverage of the region.

    The ink is mixed with a few per cent of the ground (DTG lets a little of the garment
    through); on a dark garment it is broken by a sparse fleck of fibres and its film's edges
    take the light.
    """
    dark = is_dark(garment_hex)
    ground = np.array(hex_rgb(garment_hex), np.float32) / 255.0
    mix = INK_GROUND_MIX_DARK if dark else INK_GROUND_MIX_LIGHT
    alpha = layer.alpha
    if dark:
        alpha = alpha * (1.0 - FIBRILLATION_DARK * layer.fibres)
    inked = alpha > 0  # line art covers a fraction of its box: mix only where there is ink
    if not inked.any():
        return alpha
    region = image[layer.rows, layer.cols, :3]
    shade = layer.shade[inked]
    if dark:
        shade = shade * (1.0 + layer.lift[inked])
    ink = (layer.rgb[inked] * (1 - mix) + ground * mix) * shade[:, None]
    base = region[inked].astype(np.float32) / 255.0
    out = base + (np.clip(ink, 0.0, 1.0) - base) * alpha[inked][:, None]
    region[inked] = np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
    return alpha
