"""Colour, print and backdrop: turning a lit tee into a storefront image.

* **Garment colour.**  The neutral shading layer (``ln S``: 0 on a flat, frontally lit patch of
  cloth, i.e. mid-grey) is applied to the catalogue colour in linear light through a
  per-colour lookup table: the diffuse light multiplies the dyed colour (cream keeps deep,
  believable folds instead of looking painted on) and a small colourless sheen, growing faster
  than the diffuse light on faces turned to the lamp, keeps a black tee's folds visible.  The
  same shading indices serve every colour, so only a table lookup changes between colours.
* **Print.**  The colourway's own artwork is rasterised at exactly the pixels it covers,
  displaced a little by the folds (mostly sideways), multiplied by the shading normalised to
  mean 1 over the print, and clipped to the garment.
* **Backdrop.**  Warm linen, lit by the same soft box, with a contact shadow that starts at the
  cloth's edge and falls away from the light.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from teeprint.catalog import hex_rgb
from teeprint.memo import once
from teeprint.mockup import fabric, relief

if TYPE_CHECKING:
    from teeprint.artwork import Artwork
    from teeprint.catalog import Colorway

#: Quantisation of the shading: levels over ln S in [T_MIN, T_MAX] (steps of 0.0018 in ln S).
LEVELS = 2048
T_MIN = -3.0
T_MAX = 0.7
#: Heather fleck colour is quantised to this many mixing levels.
HEATHER_LEVELS = 9
HEATHER_COVERAGE = 0.38

#: A warm linen backdrop (museum storage linen, lighter than the cream tees).
BACKDROP_HEX = "#ece6dc"

#: How much of the garment shows through the ink: DTG ink soaks into the cloth on light
#: garments; on dark garments the white underbase leaves fibre tips poking through.
INK_GROUND_MIX_LIGHT = 0.03
INK_GROUND_MIX_DARK = 0.07
FIBRILLATION_DARK = 0.10
#: How far DTG ink wicks into the cloth, inches, and how much less of it the knit's grooves
#: take than the loops (per unit of knit shading below its mean).
INK_BLEED_IN = 0.004
INK_GROOVE = 0.5


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """sRGB 0..1 to linear light."""
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    """Linear light to sRGB 0..1 (clipped)."""
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


#: Rec. 709 luminance weights of linear sRGB.
_LUMA = np.array([0.2126, 0.7152, 0.0722])
#: Cotton's colourless surface sheen, as a share of the light (linear), and how much faster
#: than the diffuse light it grows on surfaces turned toward the lamp.
SHEEN = 0.008
SHEEN_POWER = 2.2


def hex_linear(value: str) -> np.ndarray:
    """``#rrggbb`` to linear RGB."""
    return srgb_to_linear(np.array(hex_rgb(value), float) / 255.0)


def luminance(value: str) -> float:
    """Relative luminance (0..1) of a hex colour."""
    return float(hex_linear(value) @ _LUMA)


def is_dark(value: str) -> bool:
    """True for garments darker than mid-grey (L* < 50, luminance < 0.184)."""
    return luminance(value) < 0.184


def _levels() -> np.ndarray:
    return np.linspace(T_MIN, T_MAX, LEVELS)


@lru_cache(maxsize=32)
def shade_linear(hex_value: str) -> np.ndarray:
    """The colour at every shading level, linear RGB, shape (LEVELS, 3).

    Diffuse light multiplies the dyed fibre's colour (so cream keeps deep, believable folds);
    the fibres' surface adds a little colourless sheen that grows faster than the diffuse term
    on faces turned to the light.  On cream the sheen is lost in the diffuse light; on black it
    is what shows the folds, as it does in a photograph, where a black tee never reads as a
    flat #0c0c0c.
    """
    s = np.exp(_levels())[:, None]
    base = hex_linear(hex_value)[None, :]
    return np.clip(base * s + SHEEN * s ** SHEEN_POWER, 0.0, 1.0)


def to_u8(srgb01: np.ndarray) -> np.ndarray:
    """sRGB 0..1 floats to uint8 with rounding."""
    return np.clip(np.rint(srgb01 * 255.0), 0, 255).astype(np.uint8)


def rgbx(rgb_u8: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 to (..., 4) RGBX: a pixel is then one 32-bit word, gathered and copied
    in one operation instead of three."""
    out = np.full((*rgb_u8.shape[:-1], 4), 255, np.uint8)
    out[..., :3] = rgb_u8
    return out


def words(rgbx_u8: np.ndarray) -> np.ndarray:
    """The uint32 view of a contiguous RGBX array (one word per pixel)."""
    return rgbx_u8.view(np.uint32)[..., 0]


@lru_cache(maxsize=32)
def garment_lut(hex_value: str, heather_hex: str | None) -> np.ndarray:
    """RGBX words for every (heather level, shading level), flattened to (levels,).

    A heather garment mixes its fleck colour in linear light at :data:`HEATHER_LEVELS` steps.
    """
    main = shade_linear(hex_value)
    if heather_hex is None:
        return words(rgbx(to_u8(linear_to_srgb(main)))).copy()
    fleck = shade_linear(heather_hex)
    w = np.linspace(0.0, 1.0, HEATHER_LEVELS)[:, None, None]
    mixed = main[None] * (1 - w) + fleck[None] * w
    return words(rgbx(to_u8(linear_to_srgb(mixed)).reshape(-1, 3))).copy()


def shade_index(log_shade: np.ndarray) -> np.ndarray:
    """Shading levels (uint16) of a ``ln S`` array."""
    scale = (LEVELS - 1) / (T_MAX - T_MIN)
    idx = np.rint((log_shade - T_MIN) * scale)
    return np.clip(idx, 0, LEVELS - 1).astype(np.uint16)


@dataclass(frozen=True)
class Scene:
    """Everything about one view that does not depend on the garment colour or the print."""

    surface: relief.Surface
    rows: slice
    cols: slice
    index: np.ndarray  # shading level per pixel of the garment's bounding box
    inside: np.ndarray  # bool, fully covered by the garment
    edge_box: np.ndarray  # flat indices (in the box) of partly covered pixels
    edge_flat: np.ndarray  # the same pixels' flat indices in the whole view
    edge_alpha: np.ndarray
    backdrop: np.ndarray  # uint8 (h, w, 4) RGBX, whole view
    seed_text: str


def _bbox(alpha: np.ndarray, pad: int) -> tuple[slice, slice]:
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        return slice(0, 0), slice(0, 0)
    h, w = alpha.shape
    return (slice(max(0, int(rows[0]) - pad), min(h, int(rows[-1]) + 1 + pad)),
            slice(max(0, int(cols[0]) - pad), min(w, int(cols[-1]) + 1 + pad)))


def contact_shadow(alpha: np.ndarray, ppi: float, lift_in: float = 0.3) -> np.ndarray:
    """Share of light the backdrop loses near the tee: a tight contact shadow where the cloth
    touches down and a broad, faint one thrown away from the key light by an edge standing
    ``lift_in`` above the ground."""
    from scipy.ndimage import gaussian_filter, shift

    if not alpha.any() or alpha.all():
        return np.zeros_like(alpha)
    factor = max(1, int(ppi // 22))
    small = alpha[::factor, ::factor]
    sppi = ppi / factor
    off = -relief.LIGHT[:2] / relief.LIGHT[2] * lift_in * sppi
    tight = gaussian_filter(small, 0.07 * sppi)
    broad = gaussian_filter(shift(small, (float(off[1]), float(off[0])), order=1), 0.45 * sppi)
    shade = 1.0 - (1.0 - 0.5 * tight) * (1.0 - 0.4 * broad)
    h, w = alpha.shape
    return fabric.resample(shade, (0, 0, w / factor, h / factor), (w, h))


def backdrop(view: relief.View, light: np.ndarray, shadow: np.ndarray,
             seed_text: str) -> np.ndarray:
    """The linen ground of a view, lit by the same soft box, with the contact shadow."""
    gen = fabric.rng(seed_text, f"linen-{view.name}")
    mult = fabric.linen((view.height_px, view.width_px), view.ppi, gen) * light * (1.0 - shadow)
    levels = _levels()
    base = hex_linear(BACKDROP_HEX)
    lut = rgbx(to_u8(linear_to_srgb(base[None, :] * np.exp(levels)[:, None])))
    return lut[shade_index(np.log(np.clip(mult, 1e-3, None)))]


@once(maxsize=4)
def scene(view: relief.View, seed_text: str) -> Scene:
    """Build (once per process) the colour-independent parts of a view."""
    surf = relief.surface(view, seed_text)
    alpha = surf.alpha
    rows, cols = _bbox(alpha > 0, 2)
    box_alpha = alpha[rows, cols]
    index = shade_index(surf.log_shade[rows, cols])
    inside = box_alpha >= 0.999
    edge = (box_alpha > 0) & ~inside
    edge_box = np.flatnonzero(edge)
    er, ec = np.nonzero(edge)
    edge_flat = (er + rows.start) * view.width_px + (ec + cols.start)
    if inside.all():  # a close-up: no backdrop shows
        ground = np.zeros((view.height_px, view.width_px, 4), np.uint8)
    else:
        ground = backdrop(view, surf.light, contact_shadow(alpha, view.ppi), seed_text)
    return Scene(surf, rows, cols, index, inside, edge_box, edge_flat,
                 box_alpha.ravel()[edge_box].astype(np.float32), ground, seed_text)


@once(maxsize=4)
def heather_index(view: relief.View, seed_text: str) -> np.ndarray:
    """Heather level per pixel of the scene's garment box, as an offset into the LUT."""
    sc = scene(view, seed_text)
    shape = sc.index.shape
    gen = fabric.rng(seed_text, f"heather-{view.name}")
    w = fabric.heather_weight(shape, view.ppi, HEATHER_COVERAGE, gen)
    # A pixel of the whole-tee view holds several flecks, so it varies less than one fleck.
    flecks_per_px = float(np.clip(view.ppi / 160.0, 0.4, 1.0))
    w = np.clip(float(w.mean()) + (w - float(w.mean())) * flecks_per_px, 0.0, 1.0)
    level = np.rint(w * (HEATHER_LEVELS - 1)).astype(np.int32)
    return level * LEVELS + sc.index.astype(np.int32)


def paint_garment(sc: Scene, hex_value: str, heather_hex: str | None) -> np.ndarray:
    """The scene with the tee in one colour: uint8 RGBX (h, w, 4) of the whole view."""
    lut = garment_lut(hex_value, heather_hex)
    idx = sc.index if heather_hex is None else heather_index(sc.surface.view, sc.seed_text)
    tee = lut[idx]
    out = sc.backdrop.copy()
    np.copyto(words(out)[sc.rows, sc.cols], tee, where=sc.inside)
    if sc.edge_flat.size:
        flat = out.reshape(-1, 4)  # a view: the whole image is contiguous
        a = sc.edge_alpha[:, None]
        under = sc.backdrop.reshape(-1, 4)[sc.edge_flat, :3]
        cloth = tee.ravel()[sc.edge_box].view(np.uint8).reshape(-1, 4)[:, :3]
        mixed = under * (1 - a) + cloth * a
        flat[sc.edge_flat, :3] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    return out


# -- the print ------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PrintArt:
    """A plate's artwork with the colourway it prints in; hashed by identity, so caches keyed
    on it never hash thousands of shapes."""

    artwork: Artwork
    colorway: Colorway


@dataclass(frozen=True)
class PrintLayer:
    """The plate on the garment in one view: straight sRGB colour and coverage, displaced."""

    rows: slice
    cols: slice
    rgb: np.ndarray  # float32 (h, w, 3), sRGB 0..1
    alpha: np.ndarray  # float32 (h, w)
    shade: np.ndarray  # float32 (h, w) multiplier on the ink, mean 1 over the print
    fibres: np.ndarray  # float32 (h, w) 0..1 where fibre tips break a dark-garment print


#: Extra cloth around the print that the displacement may pull art from, inches.
PRINT_MARGIN_IN = 0.3


def print_region(view: relief.View, box_in: tuple[float, float, float, float]
                 ) -> tuple[slice, slice]:
    """Rows and columns of a view that the print (plus margin) can touch."""
    bx, by, bw, bh = box_in
    m = PRINT_MARGIN_IN
    c0, r0 = view.px(bx - m, by - m)
    c1, r1 = view.px(bx + bw + m, by + bh + m)
    rows = slice(max(0, int(np.floor(r0))), min(view.height_px, int(np.ceil(r1))))
    cols = slice(max(0, int(np.floor(c0))), min(view.width_px, int(np.ceil(c1))))
    return rows, cols


def rasterize_region(art: PrintArt, view: relief.View, box_in: tuple[float, float, float, float],
                     rows: slice, cols: slice) -> np.ndarray:
    """Rasterise the artwork at exactly the view pixels of the region (no resampling)."""
    from teeprint.raster import rasterize_artwork

    bx, by, _, _ = box_in
    k = 72.0  # points per inch
    x_in = view.x0_in + cols.start / view.ppi
    y_in = view.y0_in + rows.start / view.ppi
    w_px, h_px = cols.stop - cols.start, rows.stop - rows.start
    vb = ((x_in - bx) * k, (y_in - by) * k, w_px / view.ppi * k, h_px / view.ppi * k)
    return rasterize_artwork(art.artwork, art.colorway, w_px, h_px, vb)


#: Displacement is interpolated between mesh nodes this far apart (inches; folds are wider),
#: and never closer than MESH_CELL_MIN_PX: each mesh cell costs Pillow a Python call, and in the
#: whole-tee view (44 px/in) the folds move the print by about a pixel.
MESH_CELL_IN = 0.12
MESH_CELL_MIN_PX = 32


def displace(rgba: np.ndarray, dx_px: np.ndarray, dy_px: np.ndarray, ppi: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Pull premultiplied RGBA by a smooth displacement (output pixel p shows source p - d).

    Pillow's mesh transform does it in C: the displacement is sampled on a grid of nodes
    :data:`MESH_CELL_IN` apart and interpolated bilinearly inside each cell, which is exact
    enough for a field that varies over tenths of an inch.  Returns straight rgb 0..1, alpha.
    """
    from PIL import Image

    h, w = rgba.shape[:2]
    cell = max(MESH_CELL_MIN_PX, round(MESH_CELL_IN * ppi))
    xs = list(range(0, w, cell)) + [w]
    ys = list(range(0, h, cell)) + [h]
    xs = sorted(set(xs))
    ys = sorted(set(ys))

    def src(x: int, y: int) -> tuple[float, float]:
        xi, yi = min(x, w - 1), min(y, h - 1)
        return x - float(dx_px[yi, xi]), y - float(dy_px[yi, xi])

    mesh = []
    for y0, y1 in zip(ys[:-1], ys[1:], strict=True):
        for x0, x1 in zip(xs[:-1], xs[1:], strict=True):
            quad = (*src(x0, y0), *src(x0, y1), *src(x1, y1), *src(x1, y0))
            mesh.append(((x0, y0, x1, y1), quad))
    img = Image.fromarray(np.ascontiguousarray(rgba), "RGBA").convert("RGBa")
    moved = img.transform((w, h), Image.Transform.MESH, mesh, Image.Resampling.BILINEAR)
    out = np.asarray(moved.convert("RGBA"), np.float32) / 255.0
    return out[..., :3], out[..., 3]


@once(maxsize=4)
def _fibres(view: relief.View, seed_text: str, shape: tuple[int, int]) -> np.ndarray:
    """Where fibre tips break the ink, for a print region of a view (the same for every plate)."""
    return fabric.heather_weight(shape, view.ppi, 0.12, fabric.rng(seed_text, f"fibres-{view.name}"))


def print_layer(art: PrintArt, sc: Scene, box_in: tuple[float, float, float, float]) -> PrintLayer:
    """The colourway's plate placed, displaced and clipped in a scene."""
    view = sc.surface.view
    rows, cols = print_region(view, box_in)
    rgba = rasterize_region(art, view, box_in, rows, cols)
    surf = sc.surface
    rgb, alpha = displace(rgba, surf.dx_px[rows, cols], surf.dy_px[rows, cols], view.ppi)
    alpha = alpha * surf.alpha[rows, cols]
    # Multiply by the shading normalised to mean 1 where there is ink (linear light, so the
    # sRGB multiplier is its 1/2.4 power, close enough for a factor near 1).
    log_s = surf.log_shade[rows, cols]
    inked = alpha > 0.5
    mean = float(log_s[inked].mean()) if inked.any() else 0.0
    shade = np.exp((log_s - mean) / 2.4).astype(np.float32)
    # Ink on jersey: it wicks a few thousandths of an inch into the fibres (soft, slightly
    # ragged edges) and reaches the grooves between wales less than the loops' crowns.
    fibres = _fibres(view, sc.seed_text, alpha.shape)
    bleed_px = INK_BLEED_IN * view.ppi
    if bleed_px > 0.3:
        from scipy.ndimage import gaussian_filter

        alpha = gaussian_filter(alpha, bleed_px)
        ragged = 4.0 * alpha * (1.0 - alpha)
        alpha = np.clip(alpha + 0.25 * ragged * (fibres - 0.4), 0.0, 1.0)
    knit = surf.knit[rows, cols]
    alpha = alpha * np.clip(1.0 - INK_GROOVE * (1.0 - knit / float(knit.mean())), 0.0, 1.0)
    return PrintLayer(rows, cols, rgb.astype(np.float32), alpha.astype(np.float32), shade,
                      fibres)


def apply_print(image: np.ndarray, layer: PrintLayer, garment_hex: str) -> np.ndarray:
    """Lay the print onto a painted scene (in place); return the ink coverage of the region.

    DTG ink lets a little of the garment through (it soaks into cream cotton; on a dark tee
    fibre tips poke through the white underbase), so the ink is mixed with a few per cent of
    the ground and, on dark garments, broken by a sparse fleck of fibres.
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
    ink = (layer.rgb[inked] * (1 - mix) + ground * mix) * layer.shade[inked][:, None]
    base = region[inked].astype(np.float32) / 255.0
    out = base + (np.clip(ink, 0.0, 1.0) - base) * alpha[inked][:, None]
    region[inked] = np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
    return alpha


# -- the plate card ------------------------------------------------------------------------

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
    shadow = contact_shadow(alpha, ppi, CARD_LIFT_IN)
    ground = backdrop(view, light, shadow, seed_text)[..., :3].astype(np.float32)
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


# -- encoding ---------------------------------------------------------------------------------

FORMATS = {"jpeg": ".jpg", "png": ".png", "webp": ".webp"}
JPEG_QUALITY = 88


def encode(rgb: np.ndarray, fmt: str) -> bytes:
    """Storefront image bytes from RGB or RGBX pixels: sRGB ICC embedded, deterministic
    encoder settings (4:4:4 JPEG, so cinnabar hairlines keep their colour)."""
    from PIL import Image

    from teeprint.raster import srgb_icc

    h, w = rgb.shape[:2]
    if rgb.shape[2] == 4 and fmt != "png":  # RGBX straight to the encoder, no repacking
        img = Image.frombytes("RGBX", (w, h), np.ascontiguousarray(rgb).tobytes())
    else:
        img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]), "RGB")
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, "JPEG", quality=JPEG_QUALITY, subsampling=0, icc_profile=srgb_icc(),
                 optimize=False, progressive=False)
    elif fmt == "png":
        img.save(buf, "PNG", compress_level=4, icc_profile=srgb_icc())
    elif fmt == "webp":
        img.save(buf, "WEBP", quality=JPEG_QUALITY, method=4, icc_profile=srgb_icc())
    else:
        msg = f"unknown image format {fmt!r}; choose one of {', '.join(FORMATS)}"
        raise ValueError(msg)
    return buf.getvalue()
