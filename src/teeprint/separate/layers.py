"""Rasterise each plate once: ink coverage and tint density per pixel, knockouts, underbase.

Each ink's shapes are replayed straight into two 8-bit cairo masks (no SVG round trip): the
*cover* (where the ink's shapes are, whatever their tint) and the *tint* (the density the last
shape painted there, as a separation does: a later shape of the same ink replaces the earlier
one).  Knockouts and the choked underbase are then boolean algebra and one binary erosion in
numpy/scipy, and the films and the PDF's underbase image are both cut from these arrays, so the
PDF and the films cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from teeprint.artwork import Artwork, Shape, ink_layers, merge
from teeprint.raster import paint_shape
from teeprint.separate.plates import (
    DROPOUT_TINT,
    UNDERBASE_MIN_AREA_PT2,
    UNDERBASE_MIN_PT,
    Page,
    SepPlate,
    plate_list,
)

if TYPE_CHECKING:
    from teeprint.catalog import Colorway



@dataclass(frozen=True)
class PlateRaster:
    """One plate on the page grid: where it prints and at which density (0-255)."""

    plate: SepPlate
    cover: np.ndarray
    tint: np.ndarray

    def inked(self) -> np.ndarray:
        """Pixels that carry ink at all (covered, and not a tint that drops out)."""
        return self.cover & (self.tint >= round(DROPOUT_TINT * 255))


@dataclass(frozen=True)
class Layers:
    """Every plate of a colourway rasterised on the separation page at ``dpi``."""

    page: Page
    dpi: int
    plates: tuple[PlateRaster, ...]

    @property
    def px_per_pt(self) -> float:
        """Device pixels per point."""
        return self.dpi / 72.0

    def art_slice(self) -> tuple[slice, slice]:
        """The rows and columns of the artboard (the trim) on the page grid."""
        k = self.px_per_pt
        x0 = round(self.page.slug_pt * k)
        y0 = round(self.page.slug_pt * k)
        return (slice(y0, y0 + round(self.page.art_h_pt * k)),
                slice(x0, x0 + round(self.page.art_w_pt * k)))


def rasterize_shapes(shapes: Iterable[Shape], width_px: int, height_px: int, px_per_pt: float,
                     offset_pt: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """Cover and tint masks (uint8, 0-255) of shapes of one ink, painted in order.

    Painting uses cairo's SOURCE operator, which replaces what lies under a shape (weighted by
    its anti-aliased coverage): a later shape of a plate wins, as in a PDF separation, and a
    tint-0 shape knocks the ink out.  When every shape is solid the cover is the tint and one
    8-bit mask is drawn; otherwise one ARGB pass carries both: alpha is the cover and red,
    premultiplied, is tint x cover, so the paths are replayed once.
    """
    import cairocffi as cairo

    shapes = list(shapes)
    need_tint = any(s.tint < 1.0 for s in shapes)
    fmt_ = cairo.FORMAT_ARGB32 if need_tint else cairo.FORMAT_A8
    surface = cairo.ImageSurface(fmt_, width_px, height_px)
    ctx = cairo.Context(surface)
    ctx.set_operator(cairo.OPERATOR_SOURCE)
    ctx.scale(px_per_pt, px_per_pt)
    ctx.translate(*offset_pt)
    for s in shapes:
        if need_tint:
            ctx.set_source_rgba(s.tint, 0, 0, 1.0 if s.tint > 0 else 0.0)
        else:
            ctx.set_source_rgba(0, 0, 0, 1.0 if s.tint > 0 else 0.0)
        paint_shape(ctx, s)
    surface.flush()
    stride = surface.get_stride()
    buf = np.frombuffer(surface.get_data(), np.uint8)
    if need_tint:  # little-endian ARGB32: bytes are B, G, R, A
        px = buf.reshape(height_px, stride // 4, 4)[:, :width_px]
        cover, tint = px[..., 3].copy(), px[..., 2].copy()
    else:
        cover = buf.reshape(height_px, stride)[:, :width_px].copy()
        tint = cover
    surface.finish()
    return cover, tint


def _density(cover_u8: np.ndarray, tint_u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binary cover (pixel at least half covered) and the tint under it, 0-255."""
    cover = cover_u8 >= 128
    tint = np.zeros(cover.shape, np.uint8)
    if cover_u8 is tint_u8:
        tint[cover] = 255
        return cover, tint
    a = cover_u8[cover].astype(np.uint16)
    t = tint_u8[cover].astype(np.uint16)
    tint[cover] = np.minimum((t * 255 + a // 2) // a, 255).astype(np.uint8)
    return cover, tint


def disc(radius_px: float) -> np.ndarray:
    """The digital disc of a radius in pixels (a structuring element)."""
    r = int(math.floor(radius_px))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return (xx * xx + yy * yy) <= radius_px * radius_px


def choke(mask: np.ndarray, radius_px: float, min_feature_px: float = 0.0,
          min_area_px: float = 0.0) -> np.ndarray:
    """Erode a mask by a disc, then drop what is left thinner than ``min_feature_px``.

    Erosion keeps what lies at least ``radius_px`` inside the edge; slivers narrower than the
    minimum feature (a screen could not hold them and they would only speckle) are removed by
    an opening folded into the same pass: erode by ``radius + m/2``, dilate by ``m/2``.  Since
    digital discs add up under Minkowski sums, the result stays inside the plain erosion, so
    the choke is never undercut.  Islands smaller than ``min_area_px`` (the stub of a serif
    left by the choke) go too.  Only the mask's bounding box is processed.
    """
    from scipy import ndimage

    half = min_feature_px / 2 if min_feature_px >= 1.0 else 0.0
    if radius_px + half < 0.5 or not mask.any():
        return mask.copy()
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    pad = int(math.ceil(radius_px + half)) + 1
    r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, mask.shape[0])
    c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + pad + 1, mask.shape[1])
    core = ndimage.binary_erosion(mask[r0:r1, c0:c1], structure=disc(radius_px + half),
                                  border_value=0)
    if half:
        core = ndimage.binary_dilation(core, structure=disc(half))
    if min_area_px > 0 and core.any():
        labels, n = ndimage.label(core)
        small = np.bincount(labels.ravel(), minlength=n + 1) < min_area_px
        small[0] = False
        core &= ~small[labels]
    out = np.zeros_like(mask)
    out[r0:r1, c0:c1] = core
    return out


def build_layers(artwork: Artwork, colorway: Colorway, dpi: int) -> Layers:
    """Rasterise the colourway's plates on the separation page, in print order.

    Upper inks knock out the inks printed before them unless they overprint; the underbase is
    the union of what the non-black inks finally print, choked, at the densest tint above it.
    """
    page = Page(artwork.width_pt, artwork.height_pt)
    k = dpi / 72.0
    w_px, h_px = round(page.width_pt * k), round(page.height_pt * k)
    plates = plate_list(artwork, colorway)
    tops = [p for p in plates if not p.is_underbase]
    by_ink = dict(ink_layers(artwork, colorway))
    def raster(p: SepPlate) -> tuple[np.ndarray, np.ndarray]:
        shapes = merge(by_ink[p.ink_id or ""])
        key = (shapes, w_px, h_px, k)
        hit = _INK_CACHE.get(key)
        if hit is None:
            hit = _density(*rasterize_shapes(shapes, w_px, h_px, k, (page.slug_pt, page.slug_pt)))
            while len(_INK_CACHE) >= 4:
                _INK_CACHE.pop(next(iter(_INK_CACHE)))
            _INK_CACHE[key] = hit
        return hit

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:  # cairo and numpy release the GIL
        done = list(pool.map(raster, tops))
    shape_area = [c for c, _ in done]  # cached: never modified
    covers = [c.copy() for c in shape_area]
    tints = [t for _, t in done]
    for j, upper in enumerate(tops):
        if upper.overprint:
            continue
        for i in range(j):
            covers[i] &= ~shape_area[j]
    rasters = [PlateRaster(p, c, np.where(c, t, 0).astype(np.uint8))
               for p, c, t in zip(tops, covers, tints, strict=True)]
    under = [r for r in rasters if r.plate.underbased]
    if plates and plates[0].is_underbase and under:
        union = np.zeros((h_px, w_px), bool)
        density = np.zeros((h_px, w_px), np.uint8)
        for r in under:
            inked = r.inked()
            union |= inked
            np.maximum(density, np.where(inked, r.tint, 0).astype(np.uint8), out=density)
        choked = choke(union, plates[0].choke_pt * k, UNDERBASE_MIN_PT * k,
                       UNDERBASE_MIN_AREA_PT2 * k * k)
        rasters.insert(0, PlateRaster(plates[0], choked, np.where(choked, density, 0).astype(np.uint8)))
    return Layers(page, dpi, tuple(rasters))


_CACHE: dict[tuple[Any, ...], Layers] = {}
#: One ink's raster by its shapes: the light and dark colourways of a plate paint the same
#: shapes per role, so the second colourway reuses the first one's rasters.
_INK_CACHE: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}


def layers(artwork: Artwork, colorway: Colorway, dpi: int) -> Layers:
    """:func:`build_layers`, remembered for the last artwork and colourway.

    A render writes the PDF (which embeds the underbase) and then the films from the same
    rasters; the cache makes that one rasterisation instead of two.
    """
    key = (artwork, colorway.model_dump_json(), dpi)
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) >= 2:
            _CACHE.pop(next(iter(_CACHE)))
        hit = _CACHE[key] = build_layers(artwork, colorway, dpi)
    return hit
