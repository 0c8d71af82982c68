"""The plate card: the artwork alone, as a museum plate on a card of the colourway's ground
colour lying on the same linen, under the same light as the garments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teeprint.memo import once
from teeprint.mockup import fabric, relief, scenery
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
    """Everything of the plate card but the art: paper, light, linen and shadow."""

    rgb: np.ndarray  # float32 (h, w, 3), sRGB 0..255
    alpha: np.ndarray  # float32 (h, w), the card's coverage
    shade: np.ndarray  # float32 (h, w), the light on the paper
    view: relief.View
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class CardScene:
    """The plate card's colour-free parts: its coverage, the light on the paper (as shading
    levels) and the linen around it."""

    alpha: np.ndarray  # float32 (h, w), the card's coverage
    shade: np.ndarray  # float32 (h, w), the light on the paper
    index: np.ndarray  # uint16 (h, w), shading level of the paper
    ground: np.ndarray  # float32 (h, w, 3), the linen with the card's shadow, sRGB 0..255
    view: relief.View
    box: tuple[float, float, float, float]


@once(maxsize=2)
def card_scene(width_pt: float, height_pt: float, seed_text: str, size_px: int) -> CardScene:
    """Build (once per process) the card lying on the linen, whatever its colour.

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
    alpha = np.outer(cov_y, cov_x).astype(np.float32)
    light = relief.light_falloff(view, (card_w / 2, card_h / 2))
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
    ground = scenery.linen(view, light, shadow, seed_text)[..., :3].astype(np.float32)
    return CardScene(alpha, shade, index, ground, view, (m, m, art_w, art_h))


@once(maxsize=4)
def card_base(width_pt: float, height_pt: float, ground_hex: str, seed_text: str,
              size_px: int) -> CardBase:
    """The card in one ground colour on the linen (once per process and colour)."""
    sc = card_scene(width_pt, height_pt, seed_text, size_px)
    card_rgb = garment_lut(ground_hex, None)[sc.index]
    card_rgb = card_rgb.view(np.uint8).reshape(*card_rgb.shape, 4)[..., :3]
    rgb = sc.ground + (card_rgb.astype(np.float32) - sc.ground) * sc.alpha[..., None]
    return CardBase(rgb, sc.alpha, sc.shade, sc.view, sc.box)


def card(art: PrintArt, width_pt: float, height_pt: float, ground_hex: str, seed_text: str,
         size_px: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The plate on a card of its ground colour, on the linen: (rgb, card, ink, px per inch).

    The art is rasterised at the pixels it covers and takes the paper's light.
    """
    base = card_base(width_pt, height_pt, ground_hex, seed_text, size_px)
    rows, cols = print_region(base.view, base.box)
    rgba = rasterize_region(art, base.view, base.box, rows, cols)
    ink_a = rgba[..., 3].astype(np.float32) / 255.0 * base.alpha[rows, cols]
    ink = rgba[..., :3].astype(np.float32) * np.sqrt(base.shade[rows, cols])[..., None] ** (2 / 2.4)
    rgb = base.rgb.copy()
    region = rgb[rows, cols]
    rgb[rows, cols] = region + (ink - region) * ink_a[..., None]
    ink_alpha = np.zeros_like(base.alpha)
    ink_alpha[rows, cols] = ink_a
    return to_u8(rgb / 255.0), base.alpha, ink_alpha, base.view.ppi
