"""Rasterise each plate once: ink coverage and tint density per pixel, knockouts, underbase.

Each ink's shapes are replayed straight into two 8-bit cairo masks (no SVG round trip): the
*cover* (where the ink's shapes are, whatever their tint) and the *tint* (the density the last
shape painted there, as a separation does: a later shape of the same ink replaces the earlier
one).  Knockouts are then boolean algebra on the masks.  The underbase is computed as vector
geometry (:mod:`teeprint.separate.underbase`) and rasterised here from the very paths the PDF
carries, so the PDF and the films cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from teeprint.artwork import Artwork, Shape, ink_layers, merge
from teeprint.memo import once
from teeprint.raster import paint_shape
from teeprint.separate.morphology import dilate_packed, drop_islands, erode_packed, pack, unpack
from teeprint.separate.plates import DROPOUT_TINT, Page, SepPlate, plate_list
from teeprint.separate.underbase import clear_cache as clear_underbase_cache
from teeprint.separate.underbase import underbase

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


def _a8(shapes: list[Shape], width_px: int, height_px: int, px_per_pt: float,
        offset_pt: tuple[float, float], alpha: Callable[[Shape], float]) -> np.ndarray:
    """One 8-bit cairo mask of shapes painted in order with the SOURCE operator."""
    import cairocffi as cairo

    stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_A8, width_px)
    buf = np.zeros((height_px, stride), np.uint8)  # cairo draws into it: no copy out
    surface = cairo.ImageSurface.create_for_data(buf, cairo.FORMAT_A8, width_px, height_px,
                                                 stride)
    ctx = cairo.Context(surface)
    ctx.set_operator(cairo.OPERATOR_SOURCE)
    ctx.scale(px_per_pt, px_per_pt)
    ctx.translate(*offset_pt)
    for s in shapes:
        ctx.set_source_rgba(0, 0, 0, alpha(s))
        paint_shape(ctx, s)
    surface.flush()
    surface.finish()
    return np.ascontiguousarray(buf[:, :width_px])


def rasterize_shapes(shapes: Iterable[Shape], width_px: int, height_px: int, px_per_pt: float,
                     offset_pt: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """Cover and tint masks (uint8, 0-255) of shapes of one ink, painted in order.

    Painting uses cairo's SOURCE operator, which replaces what lies under a shape (weighted by
    its anti-aliased coverage): a later shape of a plate wins, as in a PDF separation, and a
    tint-0 shape knocks the ink out.  The cover is painted at full strength; when some shapes
    are tints a second mask is painted at each shape's tint, which is tint x cover (a
    premultiplied density).  Two 8-bit masks cost a third of one 32-bit ARGB surface.
    """
    shapes = list(shapes)
    cover = _a8(shapes, width_px, height_px, px_per_pt, offset_pt,
                lambda s: 1.0 if s.tint > 0 else 0.0)
    if all(s.tint >= 1.0 or s.tint <= 0.0 for s in shapes):
        return cover, cover
    return cover, _a8(shapes, width_px, height_px, px_per_pt, offset_pt, lambda s: s.tint)


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


def _box(mask: np.ndarray, pad: int = 0) -> tuple[int, int, int, int]:
    """Rows and columns ``r0:r1, c0:c1`` of a non-empty mask's bounding box, grown by ``pad``
    and clipped to the mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask[rows[0]:rows[-1] + 1].any(axis=0))
    return (max(int(rows[0]) - pad, 0), min(int(rows[-1]) + 1 + pad, mask.shape[0]),
            max(int(cols[0]) - pad, 0), min(int(cols[-1]) + 1 + pad, mask.shape[1]))


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
    half = min_feature_px / 2 if min_feature_px >= 1.0 else 0.0
    if radius_px + half < 0.5 or not mask.any():
        return mask.copy()
    r0, r1, c0, c1 = _box(mask)
    words = erode_packed(pack(mask[r0:r1, c0:c1]), radius_px + half)
    if half:  # the opened core lies inside the mask, so inside its box
        words = dilate_packed(words, half)
    core = unpack(words, int(c1 - c0))
    if min_area_px > 0 and core.any():
        core = drop_islands(core, min_area_px)
    out = np.zeros_like(mask)
    out[r0:r1, c0:c1] = core
    return out


def build_layers(artwork: Artwork, colorway: Colorway, dpi: int) -> Layers:
    """Rasterise the colourway's plates on the separation page, in print order.

    Upper inks knock out the inks printed before them unless they overprint; the underbase is
    rasterised from its vector paths (:mod:`teeprint.separate.underbase`).
    """
    page = Page(artwork.width_pt, artwork.height_pt)
    k = dpi / 72.0
    w_px, h_px = round(page.width_pt * k), round(page.height_pt * k)
    plates = plate_list(artwork, colorway)
    tops = [p for p in plates if not p.is_underbase]
    by_ink = dict(ink_layers(artwork, colorway))
    def raster(p: SepPlate) -> tuple[np.ndarray, np.ndarray]:
        return ink_raster(tuple(merge(by_ink[p.ink_id or ""])), w_px, h_px, k,
                          (page.slug_pt, page.slug_pt))

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
            np.greater(covers[i], shape_area[j], out=covers[i])  # a & ~b, in one pass
    # uint8 x bool keeps uint8: the tint where the plate prints, 0 elsewhere.
    rasters = [PlateRaster(p, c, np.multiply(t, c, dtype=np.uint8))
               for p, c, t in zip(tops, covers, tints, strict=True)]
    ub = underbase(artwork, colorway)
    if ub is not None:
        # The underbase film is its vector paths rasterised, the paths the PDF carries.
        cover, tint = _density(*rasterize_shapes(ub.shapes, w_px, h_px, k,
                                                 (page.slug_pt, page.slug_pt)))
        rasters.insert(0, PlateRaster(plates[0], cover, tint))
    return Layers(page, dpi, tuple(rasters))


def _layers_key(artwork: Artwork, colorway: Colorway, dpi: int) -> tuple[int, str, int]:
    # By identity: hashing thousands of shapes per call would cost more than it saves.  The
    # cached value holds the artwork, so its id cannot be reused while the entry lives.
    return (id(artwork), colorway.model_dump_json(), dpi)


@once(maxsize=2, key=_layers_key, per_plate=True)
def _layers(artwork: Artwork, colorway: Colorway, dpi: int) -> tuple[Artwork, Layers]:
    return artwork, build_layers(artwork, colorway, dpi)


def layers(artwork: Artwork, colorway: Colorway, dpi: int) -> Layers:
    """:func:`build_layers`, computed once for the last artworks and colourways.

    A render writes the PDF (which embeds the underbase) and the films from the same rasters,
    on several threads: the first to ask computes them, the others wait and share the result.
    """
    return _layers(artwork, colorway, dpi)[1]


def _ink_key(shapes: tuple[Shape, ...], width_px: int, height_px: int, px_per_pt: float,
             offset_pt: tuple[float, float]) -> tuple[Any, ...]:
    return (shapes, width_px, height_px, px_per_pt, offset_pt)


@once(maxsize=4, key=_ink_key, per_plate=True)
def ink_raster(shapes: tuple[Shape, ...], width_px: int, height_px: int, px_per_pt: float,
               offset_pt: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Binary cover and tint of one ink's shapes on the page grid, remembered: the light and
    dark colourways of a plate paint the same shapes per role, so the second colourway
    reuses the first one's rasters.  Callers must not modify the arrays."""
    return _density(*rasterize_shapes(shapes, width_px, height_px, px_per_pt, offset_pt))


def clear_caches() -> None:
    """Forget the remembered rasters and underbases."""
    _layers.cache_clear()
    ink_raster.cache_clear()
    clear_underbase_cache()
