"""The storefront's views of a plate on the tee, each a pure function of plate, colourway and
garment: the flat lay (``front``), the tee on a hanger, the folded tee, a close-up of the
figure, every garment colour in one frame (``range``) and the plate card.

Every view shows one of the simulated drapes (:mod:`.cloth`) under the same light; the drape,
its light and its ground are built once and mapped from the disk store (:mod:`.store`), the
close-up's as a window of one lit strip, so a view of another plate or colour costs its print
and its paint.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import numpy as np

from teeprint.memo import once
from teeprint.mockup import card, compose, garment, ink, light, relief

if TYPE_CHECKING:
    from teeprint.artwork import Artwork
    from teeprint.catalog import Colorway, Garment
    from teeprint.pipeline import Plate

SIZE_PX = 2048
#: Seed of the tee's knit, heather and linen.  Every product is shown on the same tee, as a
#: shop shows every design on one photographed blank.
GARMENT_SEED = "unisex-tee-l"
#: Margin of the close-up window around the figure's width, inches (the window is about
#: 13.4 in square, 150 px/in at 2048 px: 3.4 times the flat lay's scale).
CLOSEUP_MARGIN_IN = 0.3
#: The colour range is drawn this many pixels per inch at 2048 px.
RANGE_PPI_AT_2048 = 30.0


@dataclass(frozen=True)
class Mockup:
    """One rendered view: the pixels, and the layers tests and tools can check (laid out over
    the whole image only when asked for)."""

    pixels: np.ndarray  # uint8 (h, w, 3) RGB or (h, w, 4) RGBX
    px_per_in: float
    cover: tuple[slice, slice, np.ndarray]  # the tee's (or the card's) coverage in its box
    ink: tuple[np.ndarray, np.ndarray]  # flat indices of inked pixels, their ink coverage

    @property
    def rgb(self) -> np.ndarray:
        """The colour channels, (h, w, 3)."""
        return self.pixels[..., :3]

    @cached_property
    def garment_alpha(self) -> np.ndarray:
        """float32 (h, w): the tee's (or the card's) coverage."""
        rows, cols, box = self.cover
        out = np.zeros(self.pixels.shape[:2], np.float32)
        out[rows, cols] = box
        return out

    @cached_property
    def ink_alpha(self) -> np.ndarray:
        """float32 (h, w): how much ink covers each pixel."""
        at, cover = self.ink
        out = np.zeros(self.pixels.shape[:2], np.float32)
        out.ravel()[at] = cover
        return out


_ARTS: dict[tuple[int, str], ink.PrintArt] = {}
_ARTS_LOCK = threading.Lock()


def print_art(art: Artwork, colorway: Colorway) -> ink.PrintArt:
    """The print handle of an (artwork, colourway) pair, kept for the last few pairs so the
    per-view print caches hit."""
    key = (id(art), colorway.id)
    with _ARTS_LOCK:
        hit = _ARTS.get(key)
        if hit is not None and hit.artwork is art and hit.colorway == colorway:
            return hit
        handle = ink.PrintArt(art, colorway)
        if len(_ARTS) >= 8:
            _ARTS.pop(next(iter(_ARTS)))
        _ARTS[key] = handle
        return handle


def box_of(art: Artwork) -> tuple[float, float, float, float]:
    """Where the artboard sits on the tee, pattern inches."""
    return garment.print_box_in(art.width_pt, art.height_pt)


@once(maxsize=12, per_plate=True)
def print_layer(art: ink.PrintArt, view: relief.View,
                box_in: tuple[float, float, float, float]) -> ink.PrintLayer:
    """The plate carried onto a view's cloth; once per colourway and view."""
    return ink.print_layer(art, scene_of(view), box_in)


def scene_of(view: relief.View) -> compose.Scene:
    """A view's scene: a close-up is cut from the lit strip (:func:`closeup_strip`) when it
    lies in it, any other view is its own."""
    if view.name == "closeup":
        strip = closeup_strip(view.width_px)
        if strip is not None and _within(view, strip):
            return compose.window_scene(strip, view, GARMENT_SEED)
    return compose.scene(view, GARMENT_SEED)


def _within(view: relief.View, strip: relief.View) -> bool:
    r = round((view.y0_in - strip.y0_in) * strip.ppi)
    c = round((view.x0_in - strip.x0_in) * strip.ppi)
    return (view.ppi == strip.ppi and 0 <= r <= strip.height_px - view.height_px
            and 0 <= c <= strip.width_px - view.width_px)


def on_garment(plate: Plate, colorway: Colorway, g: Garment, view: relief.View, *,
               shared: bool = True) -> Mockup:
    """A plate printed on a garment, seen in a view (``shared``: its print layer is kept for
    the plate's other garments in the view)."""
    art = plate.artwork
    sc = scene_of(view)
    layer = (print_layer(print_art(art, colorway), view, box_of(art)) if shared
             else ink.print_layer(print_art(art, colorway), sc, box_of(art)))
    rgb = compose.paint_garment(sc, g.hex, g.heather_hex if g.heather else None)
    cover = ink.apply_print(rgb, layer, g.hex)
    return Mockup(rgb, view.ppi, (sc.rows, sc.cols, sc.alpha),
                  (layer.pixels(view.width_px), cover))


def front(plate: Plate, colorway: Colorway, g: Garment, size_px: int = SIZE_PX) -> Mockup:
    """The whole tee laid flat, in one garment colour, with the colourway's print."""
    return on_garment(plate, colorway, g, relief.front_view(size_px))


def hanger(plate: Plate, colorway: Colorway, g: Garment, size_px: int = SIZE_PX) -> Mockup:
    """The tee on a wire hanger against a plastered wall."""
    return on_garment(plate, colorway, g, relief.hanger_view(size_px))


def folded(plate: Plate, colorway: Colorway, g: Garment, size_px: int = SIZE_PX) -> Mockup:
    """The tee retail-folded on the linen: the upper part of the print on the top layer."""
    return on_garment(plate, colorway, g, relief.folded_view(size_px))


def closeup_window(art: Artwork) -> tuple[float, float, float]:
    """The close-up's square window (x, y, side; pattern inches): the figure's whole width
    and its centre, moved up or down the least distance that keeps every line of type wholly
    in or wholly out (no title, label or caption cut through)."""
    from teeprint.plate import FIGURE_BOX

    bx, by, _, _ = box_of(art)
    fig = FIGURE_BOX
    side_in = fig.w / 72.0 + 2 * CLOSEUP_MARGIN_IN
    cx = bx + (fig.x + fig.w / 2) / 72.0
    cy = by + (fig.y + fig.h / 2) / 72.0
    lines = [(by + s.bbox[1] / 72.0, by + s.bbox[3] / 72.0) for s in art.shapes
             if s.text_pt is not None]
    m = 0.35  # inches of slack: the laid cloth bends and tilts the window's edges a little

    def cuts(y0: float) -> bool:
        y1 = y0 + side_in
        return any(t0 - m < y0 < t1 + m or t0 - m < y1 < t1 + m for t0, t1 in lines)

    y0 = cy - side_in / 2
    for step in np.arange(0.0, side_in / 2, 0.05):
        for cand in (y0 - step, y0 + step):
            if not cuts(cand):
                return (cx - side_in / 2, float(cand), side_in)
    return (cx - side_in / 2, y0, side_in)


def closeup(plate: Plate, colorway: Colorway, g: Garment, size_px: int = SIZE_PX) -> Mockup:
    """The figure at close range on the flat-laid tee: line work, type and knit."""
    # One garment per colourway has a close-up: its print layer is not kept.
    return on_garment(plate, colorway, g, closeup_view(plate.artwork, size_px), shared=False)


def _to_world(px: float, py: float) -> tuple[float, float]:
    """Where the laid cloth carried a pattern point (inches): the mean move of the mesh's
    vertices within 3/4 in of it."""
    d = light.drape_of("flat")
    near = np.hypot(d.mesh.rest[:, 0] - px, d.mesh.rest[:, 1] - py) < 0.75
    if not near.any():
        return px, py
    dx, dy = (d.pos[near, :2] - d.mesh.rest[near]).mean(axis=0)
    return px + float(dx), py + float(dy)


def closeup_view(art: Artwork, size_px: int = SIZE_PX) -> relief.View:
    """The close-up's view: :func:`closeup_window` where the laid cloth carried it (its top
    edge where the cloth took the window's top, centred on where it took the middle), at the
    close-up scale of :func:`closeup_strip` and on its pixel grid, so the view is a window of
    the strip.  A window the strip does not hold is seen at the scale that fits the cloth's
    stretch of the window to the image."""
    x0, y0, side = closeup_window(art)
    cx = x0 + side / 2
    _, top = _to_world(cx, y0)
    wx, _ = _to_world(cx, y0 + side / 2)
    strip = closeup_strip(size_px)
    if strip is not None:
        span = size_px / strip.ppi
        r = round((top - strip.y0_in) * strip.ppi)
        c = round((wx - span / 2 - strip.x0_in) * strip.ppi)
        view = relief.View("closeup", strip.x0_in + c / strip.ppi, strip.y0_in + r / strip.ppi,
                           strip.ppi, size_px, size_px, "flat")
        if _within(view, strip):
            return view
    _, bottom = _to_world(cx, y0 + side)
    world = bottom - top
    return relief.closeup_view((wx - world / 2, top, world), size_px)


#: How far the close-up strip reaches above and below the centred window (inches of
#: pattern; a window moves to keep lines of type whole) and around it (the cloth's pull).
STRIP_REACH_IN = 4.0
STRIP_SLACK_IN = 0.5


@lru_cache(maxsize=4)
def closeup_strip(size_px: int = SIZE_PX) -> relief.View | None:
    """The lit strip of the flat-laid tee every close-up of a standard artboard is cut from:
    the figure's width and the windows :func:`closeup_window` picks, at the close-up scale
    (``size_px`` over the cloth's height of the centred window).  Built once; a close-up is
    then a crop of it, never a rebuild."""
    from teeprint.plate import ARTBOARD_H_PT, ARTBOARD_W_PT, FIGURE_BOX

    bx, by, _, _ = garment.print_box_in(ARTBOARD_W_PT, ARTBOARD_H_PT)
    fig = FIGURE_BOX
    side = fig.w / 72.0 + 2 * CLOSEUP_MARGIN_IN
    cx = bx + (fig.x + fig.w / 2) / 72.0
    cy = by + (fig.y + fig.h / 2) / 72.0
    _, top = _to_world(cx, cy - side / 2)
    _, bottom = _to_world(cx, cy + side / 2)
    if bottom <= top:
        return None
    ppi = size_px / (bottom - top)
    x0 = cx - side / 2 - STRIP_SLACK_IN
    y0 = top - STRIP_REACH_IN - STRIP_SLACK_IN
    w = round((side + 2 * STRIP_SLACK_IN) * ppi)
    h = round((bottom - top + 2 * (STRIP_REACH_IN + STRIP_SLACK_IN)) * ppi)
    return relief.View("closeup", x0, y0, ppi, max(w, size_px), max(h, size_px), "flat")


def range_view(count: int, size_px: int = SIZE_PX) -> relief.View:
    """The colour range's view: ``count`` folded tees, centred."""
    ppi = RANGE_PPI_AT_2048 * size_px / 2048
    half = size_px / 2 / ppi
    return relief.View("range", -half, -half, ppi, size_px, size_px, f"range-{count}")


def colour_range(plate: Plate, shown: Sequence[tuple[Colorway, Garment]],
                 size_px: int = SIZE_PX) -> Mockup:
    """Every garment colour in one frame: a folded tee of each, printed in the colourway that
    prints on it, side by side on the linen under the same light."""
    view = range_view(len(shown), size_px)
    sc = compose.scene(view, GARMENT_SEED)
    offsets = light.range_offsets(len(shown))
    out = np.array(sc.backdrop)
    inked: list[tuple[np.ndarray, np.ndarray]] = []
    art = plate.artwork
    for (cw, g), (dx, dy, _turn) in zip(shown, offsets, strict=True):
        # This tee's tile: half a step around its centre.
        c0, r0 = view.px(dx - light.RANGE_STEP_IN[0] / 2, dy - light.RANGE_STEP_IN[1] / 2)
        c1, r1 = view.px(dx + light.RANGE_STEP_IN[0] / 2, dy + light.RANGE_STEP_IN[1] / 2)
        rows = slice(max(0, int(r0)), min(view.height_px, int(r1)))
        cols = slice(max(0, int(c0)), min(view.width_px, int(c1)))
        compose.paint_garment(sc, g.hex, g.heather_hex if g.heather else None, out,
                              (rows, cols))
        layer = ink.crop(print_layer(print_art(art, cw), view, box_of(art)), rows, cols)
        inked.append((layer.pixels(view.width_px), ink.apply_print(out, layer, g.hex)))
    at = np.concatenate([a for a, _ in inked]) if inked else np.zeros(0, np.int64)
    cover = np.concatenate([c for _, c in inked]) if inked else np.zeros(0, np.float32)
    return Mockup(out, view.ppi, (sc.rows, sc.cols, sc.alpha), (at, cover))


def plate_card(plate: Plate, colorway: Colorway, size_px: int = SIZE_PX) -> Mockup:
    """The artwork alone on a card of the colourway's ground colour, lying on the linen."""
    art = plate.artwork
    rgb, cover, inked, ppi = card.card(print_art(art, colorway), art.width_pt, art.height_pt,
                                       colorway.garment_hex, GARMENT_SEED, size_px)
    return Mockup(rgb, ppi, cover, inked)


def clear_caches() -> None:
    """Forget every cached drape, shading and print layer held in memory (tests use it to
    prove that a fresh process makes the same bytes)."""
    from teeprint.mockup import cloth, colour

    print_layer.cache_clear()
    _ARTS.clear()
    compose.scene.cache_clear()
    compose.heather_index.cache_clear()
    card.card_base.cache_clear()
    card.card_scene.cache_clear()
    ink.clear_zones()
    compose.window_scene.cache_clear()
    compose._entry.cache_clear()
    closeup_strip.cache_clear()
    colour.garment_lut.cache_clear()
    cloth.clear()
