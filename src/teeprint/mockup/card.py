"""The plate card: the artwork alone, as a museum plate on a card of the colourway's ground
colour lying on the same linen, under the same light as the garments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teeprint.memo import once
from teeprint.mockup import fabric, relief, scenery, store
from teeprint.mockup.colour import garment_lut, shade_index, to_u8
from teeprint.mockup.ink import PrintArt, print_region, rasterize_region

#: Card around the artboard, inches, and the card view's scale at 2048 px (a 16.8 x 19.8 in
#: card then spans 1142 x 1346 px, inside the 4:3 and 4:5 centre crops).
CARD_MARGIN_IN = 0.9
CARD_PPI_AT_2048 = 68.0
#: Thickness of the card (its edge catches the light on two sides) and its lift off the linen.
CARD_EDGE_IN = 0.025
CARD_LIFT_IN = 0.06


def _coverage(lo: float, hi: float, n: int) -> np.ndarray:
    """Share of each pixel [i, i+1) covered by the interval [lo, hi) (anti-aliased edges)."""
    edges = np.arange(n, dtype=np.float32)
    return np.clip(np.minimum(edges + 1, hi) - np.maximum(edges, lo), 0.0, 1.0)


@dataclass(frozen=True)
class CardBase:
    """The plate card in one colour but without the art: its box's pixels (paper, light, the
    linen at its soft edge) over the scene's linen."""

    box_rgb: np.ndarray  # uint8 (h, w, 3) over the scene's card box; read it, do not write
    scene: CardScene

    def image(self) -> np.ndarray:
        """The whole view, RGBX (a new array)."""
        sc = self.scene
        out = np.array(sc.ground)
        out[sc.rows, sc.cols, :3] = self.box_rgb
        return out


@dataclass(frozen=True)
class CardScene:
    """The plate card's colour-free parts: its coverage, the light on the paper (as shading
    levels, and as the ink's multiplier where the art can be) and the linen around it."""

    rows: slice  # the card's box in the view
    cols: slice
    alpha: np.ndarray  # float32, the card's coverage in its box
    index: np.ndarray  # uint16, shading level of the paper in the card's box
    ground: np.ndarray  # uint8 (h, w, 4) RGBX, the linen with the card's shadow
    ink_light: np.ndarray  # float32, the paper's light on the ink over ``print_at``
    print_at: tuple[slice, slice]  # the view's pixels the art can cover
    view: relief.View
    box: tuple[float, float, float, float]

    def alpha_at(self, rows: slice, cols: slice) -> np.ndarray:
        """The card's coverage over a window of the view."""
        out = np.zeros((rows.stop - rows.start, cols.stop - cols.start), np.float32)
        r0, r1 = max(rows.start, self.rows.start), min(rows.stop, self.rows.stop)
        c0, c1 = max(cols.start, self.cols.start), min(cols.stop, self.cols.stop)
        if r1 > r0 and c1 > c0:
            out[r0 - rows.start:r1 - rows.start, c0 - cols.start:c1 - cols.start] = \
                self.alpha[r0 - self.rows.start:r1 - self.rows.start,
                           c0 - self.cols.start:c1 - self.cols.start]
        return out


#: What the store keeps of a card scene (:mod:`teeprint.mockup.store`); the rest is geometry.
CARD_FIELDS = ("alpha", "index", "ground", "ink_light")


@once(maxsize=2)
def card_scene(width_pt: float, height_pt: float, seed_text: str, size_px: int) -> CardScene:
    """The card lying on the linen, whatever its colour: mapped from the disk store, or built
    (once per process; about 0.4 CPU-s and 190 MB of temporaries) and stored.

    Card coordinates are inches from the card's top-left corner; the artboard sits at the
    margin, at true proportions.
    """
    ppi = CARD_PPI_AT_2048 * size_px / 2048
    m = CARD_MARGIN_IN
    art_w, art_h = width_pt / 72.0, height_pt / 72.0
    card_w, card_h = art_w + 2 * m, art_h + 2 * m
    span = size_px / ppi
    view = relief.View("card", -(span - card_w) / 2, -(span - card_h) / 2, ppi, size_px, size_px)
    c0, r0 = view.px(0.0, 0.0)
    c1, r1 = view.px(card_w, card_h)
    cov_x = _coverage(c0, c1, size_px)
    cov_y = _coverage(r0, r1, size_px)
    box = (m, m, art_w, art_h)
    rows, cols = print_region(view, box)
    on = np.flatnonzero(cov_y > 0), np.flatnonzero(cov_x > 0)
    cr = slice(int(on[0][0]), int(on[0][-1]) + 1) if on[0].size else slice(0, 0)
    cc = slice(int(on[1][0]), int(on[1][-1]) + 1) if on[1].size else slice(0, 0)
    shapes = {"alpha": (cr.stop - cr.start, cc.stop - cc.start),
              "index": (cr.stop - cr.start, cc.stop - cc.start),
              "ground": (size_px, size_px, 4),
              "ink_light": (rows.stop - rows.start, cols.stop - cols.start)}

    def scene(f: dict[str, np.ndarray]) -> CardScene:
        return CardScene(cr, cc, f["alpha"], f["index"], f["ground"], f["ink_light"],
                         (rows, cols), view, box)

    stored = store.load_arrays(view, seed_text, CARD_FIELDS)
    if stored is not None and all(stored[k].shape == v for k, v in shapes.items()):
        return scene(stored)
    built = _card_fields(view, cov_x, cov_y, (card_w, card_h), (rows, cols), (cr, cc),
                         seed_text)
    if store.save(view, seed_text, built):
        again = store.load_arrays(view, seed_text, CARD_FIELDS)
        if again is not None:  # the mapped copy: shared with other processes
            return scene(again)
    return scene(built)


def _card_fields(view: relief.View, cov_x: np.ndarray, cov_y: np.ndarray,
                 card_in: tuple[float, float], print_at: tuple[slice, slice],
                 card_box: tuple[slice, slice], seed_text: str) -> dict[str, np.ndarray]:
    """Build the card scene's stored fields: its coverage and paper shading over its box, the
    linen with its shadow, and the paper's light on the ink over ``print_at``."""
    ppi = view.ppi
    card_w, card_h = card_in
    rows, cols = print_at
    cr, cc = card_box
    alpha = np.outer(cov_y, cov_x).astype(np.float32)
    light = relief.light_falloff.__wrapped__(view, (card_w / 2, card_h / 2))  # not kept
    # Paper: fibre mottling, the soft box's fall-off, and the card's edge catching the light on
    # the sides that face it.
    gen = fabric.rng(seed_text, "card")
    paper = 1.0 + 0.010 * fabric.smooth_noise(gen, alpha.shape, 0.15 * ppi) \
        + 0.006 * gen.standard_normal(size=alpha.shape, dtype=np.float32)
    xs, ys = view.axes_in()
    edge = CARD_EDGE_IN
    lit = np.maximum.outer(np.clip(1 - ys / edge, 0, 1), np.clip(1 - xs / edge, 0, 1))
    dim = np.maximum.outer(np.clip(1 - (card_h - ys) / edge, 0, 1),
                           np.clip(1 - (card_w - xs) / edge, 0, 1))
    shade = (paper * light * (1.0 + 0.10 * lit) * (1.0 - 0.25 * dim)).astype(np.float32)
    index = shade_index(np.log(np.clip(shade, 1e-3, None)))
    shadow = scenery.contact_shadow(alpha, ppi, CARD_LIFT_IN)
    ground = scenery.linen(view, light, shadow, seed_text)
    ink_light = (np.sqrt(shade[rows, cols]) ** (2 / 2.4)).astype(np.float32)
    return {"alpha": np.ascontiguousarray(alpha[cr, cc]),
            "index": np.ascontiguousarray(index[cr, cc]),
            "ground": np.ascontiguousarray(ground, np.uint8), "ink_light": ink_light}


def _base_rgb(ground: np.ndarray, paper_words: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The card (RGBX words of its colour) over the linen (RGBX bytes) at its coverage, sRGB
    0..255 float32."""
    g = ground[..., :3].astype(np.float32)
    paper = paper_words.view(np.uint8).reshape(*paper_words.shape, 4)[..., :3]
    return g + (paper.astype(np.float32) - g) * alpha[..., None]


@once(maxsize=4)
def card_base(width_pt: float, height_pt: float, ground_hex: str, seed_text: str,
              size_px: int) -> CardBase:
    """The card in one ground colour on the linen (once per process and colour)."""
    sc = card_scene(width_pt, height_pt, seed_text, size_px)
    lut = garment_lut(ground_hex, None)
    rgb = to_u8(_base_rgb(sc.ground[sc.rows, sc.cols], lut[sc.index], sc.alpha) / 255.0)
    rgb.setflags(write=False)
    return CardBase(rgb, sc)


def card(art: PrintArt, width_pt: float, height_pt: float, ground_hex: str, seed_text: str,
         size_px: int) -> tuple[np.ndarray, tuple[slice, slice, np.ndarray],
                                tuple[np.ndarray, np.ndarray], float]:
    """The plate on a card of its ground colour, on the linen: (RGBX pixels, the card's
    coverage (rows, columns, box), the ink's (flat indices, coverage), px per inch).

    The art is rasterised at the pixels it covers and takes the paper's light.
    """
    base = card_base(width_pt, height_pt, ground_hex, seed_text, size_px)
    sc = base.scene
    rows, cols = sc.print_at
    rgba = rasterize_region(art, sc.view, sc.box, rows, cols)
    ink_a = rgba[..., 3].astype(np.float32) / 255.0 * sc.alpha_at(rows, cols)
    at = np.flatnonzero(ink_a)
    rw = cols.stop - cols.start
    rr, cc = np.divmod(at, max(rw, 1))
    rr, cc = rr + rows.start, cc + cols.start
    inside = ((rr >= sc.rows.start) & (rr < sc.rows.stop) & (cc >= sc.cols.start)
              & (cc < sc.cols.stop))
    card_a = np.zeros(at.size, np.float32)
    card_a[inside] = sc.alpha[rr[inside] - sc.rows.start, cc[inside] - sc.cols.start]
    level = np.zeros(at.size, np.uint16)
    level[inside] = sc.index[rr[inside] - sc.rows.start, cc[inside] - sc.cols.start]
    region = _base_rgb(sc.ground[rr, cc], garment_lut(ground_hex, None)[level], card_a)
    ink = rgba.reshape(-1, 4)[at, :3].astype(np.float32) * sc.ink_light.ravel()[at][:, None]
    a = ink_a.ravel()[at]
    out = base.image()
    out[rr, cc, :3] = to_u8((region + (ink - region) * a[:, None]) / 255.0)
    flat = rr * size_px + cc
    return out, (sc.rows, sc.cols, sc.alpha), (flat, a), sc.view.ppi
