"""What the tee lies on or hangs against, lit by the same soft box: linen on a table, a
plastered wall with a wire hanger's hook, and the shadows the cloth throws on them."""

from __future__ import annotations

import numpy as np

from teeprint.mockup import fabric
from teeprint.mockup.colour import hex_linear, linear_to_srgb, rgbx, shade_index, to_u8
from teeprint.mockup.colour import levels as shade_levels
from teeprint.mockup.relief import LIGHT, View

#: A warm linen table cover (museum storage linen, lighter than the cream tees).
BACKDROP_HEX = "#ece6dc"
#: A warm off-white plastered wall, a little darker than the linen.
WALL_HEX = "#e2dbd0"
#: How far a hanging tee stands off the wall, inches (its shadow falls this far away).
WALL_GAP_IN = 2.2
#: The hanger's hook: brushed steel wire of this radius, inches; its stem rises from the
#: hanger's bar at the centre back and the hook curls over a rail.
HOOK_WIRE_IN = 0.075
HOOK_HEX = "#8d8c88"


def contact_shadow(alpha: np.ndarray, ppi: float, lift_in: float = 0.3,
                   tight: float = 0.5) -> np.ndarray:
    """Share of light the ground loses near the cloth: a tight contact shadow where it touches
    down (``tight``: its depth) and a broad, faint one thrown away from the key light by an
    edge standing ``lift_in`` above the ground."""
    from scipy.ndimage import gaussian_filter, shift

    if not alpha.any() or alpha.all():
        return np.zeros_like(alpha)
    factor = max(1, int(ppi // 22))
    small = alpha[::factor, ::factor]
    sppi = ppi / factor
    off = -LIGHT[:2] / LIGHT[2] * lift_in * sppi
    near = gaussian_filter(small, 0.07 * sppi)
    broad = gaussian_filter(shift(small, (float(off[1]), float(off[0])), order=1),
                            (0.3 + 0.12 * lift_in) * sppi)
    shade = 1.0 - (1.0 - tight * near) * (1.0 - 0.4 * broad)
    h, w = alpha.shape
    return fabric.resample(shade, (0, 0, w / factor, h / factor), (w, h))


def _ground(mult: np.ndarray, hex_value: str) -> np.ndarray:
    base = hex_linear(hex_value)
    lut = rgbx(to_u8(linear_to_srgb(base[None, :] * np.exp(shade_levels())[:, None])))
    return lut[shade_index(np.log(np.clip(mult, 1e-3, None)))]


def linen(view: View, light: np.ndarray, shadow: np.ndarray, seed_text: str) -> np.ndarray:
    """The linen ground of a view (RGBX), lit by the soft box, with the cloth's shadow."""
    gen = fabric.rng(seed_text, f"linen-{view.name}")
    mult = fabric.linen((view.height_px, view.width_px), view.ppi, gen) * light * (1.0 - shadow)
    return _ground(mult, BACKDROP_HEX)


def hook_path_in() -> np.ndarray:
    """The hook's centre line in world inches: the stem up from the back collar, then a curl
    over the rail, ending a little past its far side."""
    stem = np.column_stack([np.zeros(12), np.linspace(0.9, -1.5, 12)])
    theta = np.radians(np.linspace(180.0, 395.0, 60))
    cx, cy, r = 0.85, -1.5, 0.85
    curl = np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)])
    return np.vstack([stem, curl])


def _hook(view: View) -> tuple[np.ndarray, np.ndarray]:
    """The hook's coverage and its lit colour (linear RGB) in a view."""
    path = hook_path_in()
    xs, ys = view.axes_in()
    pad = 3 * HOOK_WIRE_IN
    c0 = max(0, int((path[:, 0].min() - pad - view.x0_in) * view.ppi))
    c1 = min(view.width_px, int((path[:, 0].max() + pad - view.x0_in) * view.ppi) + 1)
    r0 = max(0, int((path[:, 1].min() - pad - view.y0_in) * view.ppi))
    r1 = min(view.height_px, int((path[:, 1].max() + pad - view.y0_in) * view.ppi) + 1)
    cover = np.zeros((view.height_px, view.width_px), np.float32)
    colour = np.zeros((view.height_px, view.width_px, 3), np.float32)
    if c1 <= c0 or r1 <= r0:
        return cover, colour
    x, y = np.meshgrid(xs[c0:c1], ys[r0:r1])
    a, b = path[:-1], path[1:]
    best = np.full(x.shape, np.inf, np.float32)
    nx = np.zeros(x.shape, np.float32)
    ny = np.zeros(x.shape, np.float32)
    for (ax, ay), (bx, by) in zip(a, b, strict=True):
        dx, dy = bx - ax, by - ay
        if dx * dx + dy * dy < 1e-12:
            continue
        t = np.clip(((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
        ox, oy = x - (ax + t * dx), y - (ay + t * dy)
        d = np.hypot(ox, oy)
        closer = d < best
        best = np.where(closer, d, best)
        nx = np.where(closer, ox, nx)
        ny = np.where(closer, oy, ny)
    r = HOOK_WIRE_IN
    cov = np.clip((r - best) * view.ppi + 0.5, 0.0, 1.0)
    # A round wire: its normal leans outward from the centre line.
    sx, sy = nx / r, ny / r
    sz = np.sqrt(np.clip(1.0 - sx * sx - sy * sy, 0.0, 1.0))
    lambert = np.clip(sx * LIGHT[0] + sy * LIGHT[1] + sz * LIGHT[2], 0.0, 1.0)
    half = np.array([LIGHT[0], LIGHT[1], LIGHT[2] + 1.0])
    half = half / np.linalg.norm(half)
    spec = np.clip(sx * half[0] + sy * half[1] + sz * half[2], 0.0, 1.0) ** 40
    lit = hex_linear(HOOK_HEX)[None, None, :] * (0.25 + 0.75 * lambert[..., None]) \
        + 0.6 * spec[..., None]
    cover[r0:r1, c0:c1] = cov
    colour[r0:r1, c0:c1] = lit
    return cover, colour


def wall(view: View, light: np.ndarray, cloth_alpha: np.ndarray, seed_text: str
         ) -> np.ndarray:
    """The wall behind a hanging tee (RGBX): plaster lit by the soft box, the shadows of the
    tee and the hook standing off it, and the hook itself."""
    gen = fabric.rng(seed_text, f"wall-{view.name}")
    shape = (view.height_px, view.width_px)
    plaster = (1.0 + 0.010 * fabric.smooth_noise(gen, shape, 1.5 * view.ppi)
               + 0.006 * fabric.smooth_noise(gen, shape, 0.12 * view.ppi)
               + 0.004 * gen.standard_normal(size=shape, dtype=np.float32))
    hook_cover, hook_colour = _hook(view)
    caster = np.maximum(cloth_alpha, hook_cover)
    shadow = contact_shadow(caster, view.ppi, WALL_GAP_IN, tight=0.0)
    out = _ground(plaster * light * (1.0 - 0.8 * shadow), WALL_HEX)
    if hook_cover.any():
        rgb = out[..., :3].astype(np.float32)
        hook = to_u8(linear_to_srgb(hook_colour * light[..., None])).astype(np.float32)
        a = hook_cover[..., None]
        out[..., :3] = np.clip(np.rint(rgb + (hook - rgb) * a), 0, 255).astype(np.uint8)
    return out

