"""Garment colour in linear light: the shading lookup tables every view paints with.

The neutral shading layer (``ln S``: 0 on a flat, frontally lit patch of cloth) is applied to a
catalogue colour through a per-colour table: the diffuse light multiplies the dyed colour (cream
keeps deep, believable folds instead of looking painted on) and a small colourless sheen,
growing faster than the diffuse light on faces turned to the lamp, keeps a black tee's folds
visible.  The same shading indices serve every colour, so only a table lookup changes between
colours.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from teeprint.catalog import hex_rgb

#: Quantisation of the shading: levels over ln S in [T_MIN, T_MAX] (steps of 0.0018 in ln S).
LEVELS = 2048
T_MIN = -3.0
T_MAX = 0.7
#: Heather fleck colour is quantised to this many mixing levels.
HEATHER_LEVELS = 9


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


def levels() -> np.ndarray:
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
    s = np.exp(levels())[:, None]
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
