"""Rasterise each plate once: ink coverage and tint density per pixel, knockouts, underbase.

Each ink's shapes are replayed straight into two 8-bit cairo masks (no SVG round trip): the
*cover* (where the ink's shapes are, whatever their tint) and the *tint* (the density the last
shape painted there, as a separation does: a later shape of the same ink replaces the earlier
one).  Knockouts are then boolean algebra on the masks.  The underbase is computed as vector
geometry (:mod:`teeprint.separate.underbase`) and rasterised here from the very paths the PDF
carries, so the PDF and the films cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from teeprint.artwork import Artwork, Shape, ink_layers, merge
from teeprint.memo import once
from teeprint.raster import paint_shape
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
        offset_pt: tuple[float, float], alpha: Callable[[Shape], float],
        base: np.ndarray | None = None, in_place: bool = False,
        window_px: tuple[int, int] = (0, 0)) -> np.ndarray:
    """One 8-bit cairo mask of shapes painted in order with the SOURCE operator (over a copy
    of ``base``, when given, or over ``base`` itself with ``in_place`` when its rows are
    cairo's).  ``window_px`` (column, row) is the pixel of the whole raster at the mask's
    top-left corner: a whole number of device pixels, so a window holds exactly the pixels
    the whole raster would."""
    import cairocffi as cairo

    stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_A8, width_px)
    if (in_place and base is not None and base.shape == (height_px, stride)
            and base.flags.c_contiguous):
        buf = base
    else:
        buf = np.zeros((height_px, stride), np.uint8)  # cairo draws into it: no copy out
        if base is not None:
            buf[:, :width_px] = base
    surface = cairo.ImageSurface.create_for_data(buf, cairo.FORMAT_A8, width_px, height_px,
                                                 stride)
    ctx = cairo.Context(surface)
    ctx.set_operator(cairo.OPERATOR_SOURCE)
    ctx.translate(-window_px[0], -window_px[1])
    ctx.scale(px_per_pt, px_per_pt)
    ctx.translate(*offset_pt)
    for s in shapes:
        ctx.set_source_rgba(0, 0, 0, alpha(s))
        paint_shape(ctx, s)
    surface.flush()
    surface.finish()
    return np.ascontiguousarray(buf[:, :width_px])


def rasterize_shapes(shapes: Iterable[Shape], width_px: int, height_px: int, px_per_pt: float,
                     offset_pt: tuple[float, float] = (0.0, 0.0),
                     window_px: tuple[int, int] = (0, 0)) -> tuple[np.ndarray, np.ndarray]:
    """Cover and tint masks (uint8, 0-255) of shapes of one ink, painted in order.

    Painting uses cairo's SOURCE operator, which replaces what lies under a shape (weighted by
    its anti-aliased coverage): a later shape of a plate wins, as in a PDF separation, and a
    tint-0 shape knocks the ink out.  The cover is painted at full strength; when some shapes
    are tints a second mask is painted at each shape's tint, which is tint x cover (a
    premultiplied density).  Two 8-bit masks cost a third of one 32-bit ARGB surface.
    ``window_px``: see :func:`_a8`.
    """
    shapes = list(shapes)
    cover = _a8(shapes, width_px, height_px, px_per_pt, offset_pt,
                lambda s: 1.0 if s.tint > 0 else 0.0, window_px=window_px)
    if all(s.tint >= 1.0 or s.tint <= 0.0 for s in shapes):
        return cover, cover
    return cover, _a8(shapes, width_px, height_px, px_per_pt, offset_pt, lambda s: s.tint,
                      window_px=window_px)


def _density(cover_u8: np.ndarray, tint_u8: np.ndarray, in_place: bool = False
             ) -> tuple[np.ndarray, np.ndarray]:
    """Binary cover (pixel at least half covered) and the tint under it, 0-255.  With
    ``in_place`` the tint is written over ``tint_u8`` (a page less to hold)."""
    cover = cover_u8 >= 128
    if cover_u8 is tint_u8:
        tint = np.zeros(cover.shape, np.uint8)
        tint[cover] = 255
        return cover, tint
    a = cover_u8[cover].astype(np.uint16)
    t = tint_u8[cover].astype(np.uint16)
    tint = tint_u8 if in_place else np.empty(cover.shape, np.uint8)
    tint[cover] = np.minimum((t * 255 + a // 2) // a, 255).astype(np.uint8)
    np.multiply(tint, cover, out=tint)  # 0 where nothing prints, without a page-sized mask
    return cover, tint


def underbase_raster(shapes: Sequence[Shape], width_px: int, height_px: int,
                     px_per_pt: float, offset_pt: tuple[float, float]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Binary cover and tint of the underbase's paths: the first (the whole underbase, at
    the densest tint) and the lighter tints painted over it.

    The first path is painted once, and both masks start from it (the tint mask scaled by
    its tint): the large path is filled once instead of twice, and the masks are what
    :func:`rasterize_shapes` paints, pixel for pixel."""
    shapes = list(shapes)
    if not shapes:
        return np.zeros((height_px, width_px), bool), np.zeros((height_px, width_px), np.uint8)
    first = _a8(shapes[:1], width_px, height_px, px_per_pt, offset_pt,
                lambda s: 1.0 if s.tint > 0 else 0.0)
    top = shapes[0].tint
    if len(shapes) == 1 and top >= 1.0:
        return _density(first, first)
    # What painting the first path at its tint leaves: its coverage scaled (to within one
    # level of 255 where the tint is not solid).
    base = first if top >= 1.0 else np.round(first * top).astype(np.uint8)
    tint_u8 = _a8(shapes[1:], width_px, height_px, px_per_pt, offset_pt, lambda s: s.tint,
                  base)
    del base
    # The cover is painted over the first path's mask itself: two pages held, not three.
    cover_u8 = _a8(shapes[1:], width_px, height_px, px_per_pt, offset_pt,
                   lambda s: 1.0 if s.tint > 0 else 0.0, first, in_place=True)
    del first
    return _density(cover_u8, tint_u8, in_place=True)


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
    rasters = []
    for i, p in enumerate(tops):
        shape_area, tint = done[i]  # cached: never modified
        knockers = [done[j][0] for j in range(i + 1, len(tops)) if not tops[j].overprint]
        if not knockers:  # the ink prints where its shapes are: the cached masks as they are
            rasters.append(PlateRaster(p, shape_area, tint))
            continue
        cover = shape_area.copy()
        for upper in knockers:
            np.greater(cover, upper, out=cover)  # a & ~b, in one pass
        # uint8 x bool keeps uint8: the tint where the plate prints, 0 elsewhere.
        rasters.append(PlateRaster(p, cover, np.multiply(tint, cover, dtype=np.uint8)))
    ub = underbase(artwork, colorway)
    if ub is not None:
        # The underbase film is its vector paths rasterised, the paths the PDF carries.
        cover, tint = underbase_raster(ub.shapes, w_px, h_px, k, (page.slug_pt, page.slug_pt))
        rasters.insert(0, PlateRaster(plates[0], cover, tint))
    return Layers(page, dpi, tuple(rasters))


def _layers_key(artwork: Artwork, colorway: Colorway, dpi: int) -> tuple[int, str, int]:
    # By identity: hashing thousands of shapes per call would cost more than it saves.  The
    # cached value holds the artwork, so its id cannot be reused while the entry lives.
    return (id(artwork), colorway.model_dump_json(), dpi)


@once(maxsize=2, key=_layers_key, per_plate=True)
def _layers(artwork: Artwork, colorway: Colorway, dpi: int) -> tuple[Artwork, Layers]:
    return artwork, build_layers(artwork, colorway, dpi)


def forget_layers(artwork: Artwork, colorway: Colorway, dpi: int) -> None:
    """Let go of a colourway's rasters once its films are made (two pages per plate)."""
    _layers.forget(artwork, colorway, dpi)


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
