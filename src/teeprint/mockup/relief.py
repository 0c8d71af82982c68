"""The tee's relief and its light: a height field in inches, lit by one key light.

The smooth relief (loft of the flat-laid fabric at its edges, the chest dome, drag folds fanning
from the armpits, the sag above the hem, creases at the set-in sleeves, slow noise) lives on a
coarse grid of garment inches (:data:`FIELD_PPI`), built once per specimen.  A :class:`View`
resamples it and adds what only shows at its own resolution (seams, stitches, the collar rib,
the knit), then lights the result: Lambert shading from the normals, occlusion in the valleys,
and the slow fall-off of a soft box at the upper left.  The product is a neutral shading layer
(``ln`` of a multiplier, 0 = a flat, frontally lit patch of cloth) shared by every colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from teeprint.memo import once
from teeprint.mockup import fabric, garment

#: Coarse grid of the smooth relief: pixels per inch, and its window in garment inches.
FIELD_PPI = 8.0
FIELD_WINDOW_IN = (-20.0, -3.0, 40.0, 36.0)

#: The key light: a soft box above and to the left, about 45 degrees up; the share of
#: ambient (fill) light; how much the light falls off across the scene, per inch from centre.
LIGHT = np.array([-0.45, -0.6, 0.62], np.float32) / float(np.linalg.norm([-0.45, -0.6, 0.62]))
AMBIENT = 0.28
FALLOFF_PER_IN = 0.0035
SCENE_CENTRE_IN = (0.0, 15.0)


@dataclass(frozen=True)
class View:
    """A window onto garment inches: top-left corner, pixels per inch and pixel size."""

    name: str
    x0_in: float
    y0_in: float
    ppi: float
    width_px: int
    height_px: int

    @property
    def window_in(self) -> tuple[float, float, float, float]:
        """(x, y, w, h) of the window in inches."""
        return (self.x0_in, self.y0_in, self.width_px / self.ppi, self.height_px / self.ppi)

    def axes_in(self) -> tuple[np.ndarray, np.ndarray]:
        """Garment x of every column and y of every row (pixel centres), inches."""
        xs = self.x0_in + (np.arange(self.width_px, dtype=np.float32) + 0.5) / self.ppi
        ys = self.y0_in + (np.arange(self.height_px, dtype=np.float32) + 0.5) / self.ppi
        return xs.astype(np.float32), ys.astype(np.float32)

    def px(self, x_in: float, y_in: float) -> tuple[float, float]:
        """Pixel coordinates (column, row; edges at integers) of a point in garment inches."""
        return (x_in - self.x0_in) * self.ppi, (y_in - self.y0_in) * self.ppi


#: Pixels per inch of the whole-tee view at 2048 px: the tee (33.9 x 30.2 in) then fills
#: 1501 x 1329 px, inside the 4:5 (1638 px wide) and 4:3 (1536 px high) centre crops.
FRONT_PPI_AT_2048 = 44.0
#: Width of the close-up window on the print, inches.
CLOSEUP_WIDTH_IN = 7.0


def front_view(size_px: int = 2048) -> View:
    """The whole tee, centred in a square image."""
    ppi = FRONT_PPI_AT_2048 * size_px / 2048
    x0, y0, x1, y1 = garment.garment_bbox_in()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = size_px / 2 / ppi
    return View("front", cx - half, cy - half, ppi, size_px, size_px)


def closeup_view(print_box_in: tuple[float, float, float, float], size_px: int = 2048) -> View:
    """A square window on the upper middle of the print: title, figure line work and type."""
    px_, py, pw, ph = print_box_in
    ppi = size_px / CLOSEUP_WIDTH_IN
    x0 = px_ + pw / 2 - CLOSEUP_WIDTH_IN / 2
    y0 = py + 0.11 * ph
    return View("closeup", x0, y0, ppi, size_px, size_px)


def layer(name: str, view: View, seed_text: str) -> np.ndarray:
    """A garment layer's coverage (0..1, float32) in a view, rasterised by cairosvg."""
    from teeprint.raster import rasterize

    warp = garment.warp_for(seed_text)
    if not garment.layer_touches(name, view.window_in, warp):
        return np.zeros((view.height_px, view.width_px), np.float32)
    svg = garment.layer_svg(name, view.window_in, warp)
    return rasterize(svg, view.width_px, view.height_px)[..., 3].astype(np.float32) / 255.0


@dataclass(frozen=True)
class Fields:
    """The smooth relief on the coarse grid (inches), its occlusion and its fold component."""

    mask: np.ndarray
    height_in: np.ndarray
    occlusion: np.ndarray
    folds_in: np.ndarray


def _fan(x: np.ndarray, y: np.ndarray, origin: tuple[float, float],
         folds: list[tuple[float, float, float, float, float]]) -> np.ndarray:
    """Folds radiating from a point: (angle deg, length in, amplitude in, width in, bend/in).

    Each fold is a ridge along a slightly bending ray, fading in over the first half inch,
    widening and dying out along its length, with shallow troughs on both sides.
    """
    dx = x - origin[0]
    dy = y - origin[1]
    r = np.hypot(dx, dy)
    phi = np.arctan2(dy, dx)
    out = np.zeros_like(x)
    for angle_deg, length, amp, width, bend in folds:
        theta = math.radians(angle_deg) + bend * r
        delta = np.angle(np.exp(1j * (phi - theta)))
        s = r * np.cos(delta)
        n = r * np.sin(delta)
        t = np.clip(s / length, 0.0, 1.0)
        env = (1.0 - np.exp(-np.maximum(s, 0.0) / 0.9)) * (1.0 - t ** 1.5)
        env = np.where(s > 0, env, 0.0)
        w = width * (0.6 + 0.6 * t)
        profile = np.exp(-0.5 * (n / w) ** 2) - 0.4 * np.exp(-0.5 * (n / (2.3 * w)) ** 2)
        out += amp * env * profile
    return out.astype(np.float32)


def _ridge(x: np.ndarray, y: np.ndarray, p0: tuple[float, float], p1: tuple[float, float],
           amp: float, width: float) -> np.ndarray:
    """A fold along the segment p0-p1: a ridge (or a trough, amp < 0) tapering at both ends."""
    vx, vy = p1[0] - p0[0], p1[1] - p0[1]
    length = math.hypot(vx, vy)
    ux, uy = vx / length, vy / length
    s = ((x - p0[0]) * ux + (y - p0[1]) * uy) / length
    n = -(x - p0[0]) * uy + (y - p0[1]) * ux
    env = np.maximum(np.sin(np.pi * np.clip(s, 0.0, 1.0)), 0.0) ** 0.8
    profile = np.exp(-0.5 * (n / width) ** 2) - 0.35 * np.exp(-0.5 * (n / (2.3 * width)) ** 2)
    return (amp * env * profile).astype(np.float32)


#: Folds every laid-out tee shows, right half (mirrored with jitter for the left):
#: (start, end, amplitude, width), inches.
_FOLDS_RIGHT = [
    ((12.1, 10.4), (14.9, 4.6), 0.14, 0.35),  # across the sleeve, underarm to sleeve top
    ((13.6, 11.6), (16.2, 7.4), -0.06, 0.45),  # a soft dip before the cuff
    ((9.7, 13.0), (10.3, 21.5), 0.10, 0.55),  # side ripple
    ((8.6, 21.0), (9.6, 27.0), 0.07, 0.6),
    ((5.0, 1.4), (8.6, 2.6), 0.06, 0.5),  # shoulder
]


def _armpit_folds(gen: np.random.Generator, side: int) -> list[tuple[float, float, float, float, float]]:
    """The fan of drag folds of one armpit; ``side`` +1 right (angles toward the centre)."""
    base = [(146.0, 9.0, 0.26, 0.34, -0.012), (160.0, 10.0, 0.22, 0.38, -0.010),
            (174.0, 7.5, 0.18, 0.34, -0.008), (190.0, 5.0, 0.12, 0.30, -0.004),
            (-22.0, 4.0, 0.14, 0.30, 0.015), (-45.0, 3.2, 0.10, 0.26, 0.015)]
    folds = []
    for angle, length, amp, width, bend in base:
        a = angle + float(gen.uniform(-5.0, 5.0))
        ln = length * float(gen.uniform(0.85, 1.15))
        am = amp * float(gen.uniform(0.8, 1.2))
        if side < 0:
            a = 180.0 - a
            bend = -bend
        folds.append((a, ln, am * 1.3, width, bend))
    return folds


@once(maxsize=4)
def fields(seed_text: str) -> Fields:
    """Build the smooth relief of the tee for one specimen (noise seeded from its slug)."""
    from scipy.ndimage import distance_transform_edt, gaussian_filter

    fx, fy, fw, fh = FIELD_WINDOW_IN
    w_px, h_px = round(fw * FIELD_PPI), round(fh * FIELD_PPI)
    coarse = View("field", fx, fy, FIELD_PPI, w_px, h_px)
    xs, ys = coarse.axes_in()
    x, y = np.meshgrid(xs, ys)
    mask = layer("silhouette", coarse, seed_text)
    sleeves = layer("sleeves", coarse, seed_text)
    seams = layer("seams", coarse, seed_text)
    solid = mask > 0.5
    edge_in = distance_transform_edt(solid) / FIELD_PPI
    # Loft: a flat-laid tee is two layers of cloth rounding over at every edge.
    height = 0.6 * (1.0 - np.exp(-edge_in / 1.0)) + 0.12 * (1.0 - np.exp(-edge_in / 0.3))
    # Chest dome (the front panel is cut with a little ease over the chest).
    height += 0.30 * np.exp(-0.5 * ((x / 6.5) ** 2 + ((y - 11.0) / 7.5) ** 2))
    lm = garment.landmarks()
    gen = fabric.rng(seed_text, "folds")
    height += _fan(x, y, (lm.underarm.x - 0.2, lm.underarm.y + 0.1), _armpit_folds(gen, 1))
    height += _fan(x, y, (-lm.underarm.x + 0.2, lm.underarm.y + 0.1), _armpit_folds(gen, -1))
    for p0, p1, amp, width in _FOLDS_RIGHT:
        for side in (1.0, -1.0):
            j = gen.uniform(-0.4, 0.4, 4)
            a = amp * float(gen.uniform(0.75, 1.25))
            height += _ridge(x, y, (side * p0[0] + j[0], p0[1] + j[1]),
                             (side * p1[0] + j[2], p1[1] + j[3]), a, width)
    # A little fullness below the collar, where the front neckline stands.
    height += _ridge(x, y, (-4.5, 5.0), (4.5, 5.0), 0.07, 0.8)
    # Two long, soft diagonal folds across the body, left from laying the tee down.
    for _ in range(2):
        ox = float(gen.uniform(-8.0, 8.0))
        oy = float(gen.uniform(12.0, 20.0))
        ang = math.radians(float(gen.uniform(-35.0, 35.0)) + 90.0)
        n = (x - ox) * math.sin(ang) - (y - oy) * math.cos(ang)
        s_ = (x - ox) * math.cos(ang) + (y - oy) * math.sin(ang)
        height += 0.10 * np.exp(-0.5 * (n / 0.9) ** 2) * np.exp(-0.5 * (s_ / 6.0) ** 2)
    # Soft sag above the hem: slow waves growing toward the hem, and a few ripples rising from it.
    hem_y = lm.hem_centre.y
    ramp = np.clip((y - (hem_y - 6.0)) / 5.0, 0.0, 1.0) ** 1.5
    phase = gen.uniform(0, 2 * math.pi, 2)
    height += ramp * (0.06 * np.sin(2 * math.pi * x / 6.3 + phase[0])
                      + 0.035 * np.sin(2 * math.pi * x / 3.1 + phase[1]))
    for _ in range(4):
        rx = float(gen.uniform(-9.0, 9.0))
        tilt = float(gen.uniform(-0.15, 0.15))
        length = float(gen.uniform(2.0, 4.0))
        up = np.clip((hem_y - y) / length, 0.0, 1.0)
        along = np.where(y < hem_y, (1.0 - up) ** 1.5, 0.0)
        n = x - rx - tilt * (hem_y - y)
        height += 0.07 * along * np.exp(-0.5 * (n / 0.45) ** 2)
    # Set-in sleeves: a crease along the armhole seam, the sleeve cloth a little fuller.
    seam_dist_in = distance_transform_edt(seams < 0.05) / FIELD_PPI
    height -= 0.05 * np.exp(-0.5 * (seam_dist_in / 0.22) ** 2)
    height += 0.05 * gaussian_filter(sleeves, 0.3 * FIELD_PPI)
    # Slow irregularity of cloth that was laid by hand.
    height += 0.02 * fabric.smooth_noise(gen, height.shape, 2.5 * FIELD_PPI)
    height += 0.006 * fabric.smooth_noise(gen, height.shape, 0.7 * FIELD_PPI)
    height = gaussian_filter(height * solid, 0.25 * FIELD_PPI).astype(np.float32)
    # Occlusion: valleys are darker in proportion to how far they sink below their neighbourhood.
    cavity = (np.maximum(gaussian_filter(height, 0.6 * FIELD_PPI) - height, 0.0)
              + 0.5 * np.maximum(gaussian_filter(height, 2.0 * FIELD_PPI) - height, 0.0))
    occlusion = np.exp(-2.0 * cavity).astype(np.float32)
    # The fold component (relief minus its slow shape) is what moves the print.
    folds = (height - gaussian_filter(height, 2.5 * FIELD_PPI)).astype(np.float32)
    return Fields(mask, height, occlusion, folds)


def sample(field: np.ndarray, view: View) -> np.ndarray:
    """A coarse field resampled onto a view (bicubic)."""
    fx, fy, _, _ = FIELD_WINDOW_IN
    x, y, w, h = view.window_in
    box = ((x - fx) * FIELD_PPI, (y - fy) * FIELD_PPI,
           (x + w - fx) * FIELD_PPI, (y + h - fy) * FIELD_PPI)
    return fabric.resample(field, box, (view.width_px, view.height_px))


def light_falloff(view: View, centre_in: tuple[float, float] = SCENE_CENTRE_IN) -> np.ndarray:
    """The soft box's slow fall-off across the scene (brighter toward the light), 1 at the
    scene's centre."""
    xs, ys = view.axes_in()
    lx, ly = float(LIGHT[0]), float(LIGHT[1])
    norm = math.hypot(lx, ly)
    cx, cy = centre_in
    along = ((xs[None, :] - cx) * lx + (ys[:, None] - cy) * ly) / norm
    return (1.0 + FALLOFF_PER_IN * along).astype(np.float32)


@dataclass(frozen=True)
class Surface:
    """A lit tee in one view: coverage, neutral shading and the print's displacement."""

    view: View
    alpha: np.ndarray
    log_shade: np.ndarray
    dx_px: np.ndarray
    dy_px: np.ndarray
    light: np.ndarray
    knit: np.ndarray


#: Print displacement per inch of fold relief (a camera a few degrees off axis), x and y;
#: mostly sideways, because vertical shifts read as melting.
DRIFT_X = 0.30
DRIFT_Y = 0.08


#: Cloth can reach this far outside the pattern's bounding box (warp, edge softening), inches.
BBOX_PAD_IN = 0.6


def surface(view: View, seed_text: str) -> Surface:
    """Light the tee in a view (see :func:`_lit`), working only where the tee can be."""
    x0, y0, x1, y1 = garment.garment_bbox_in()
    c0, r0 = view.px(x0 - BBOX_PAD_IN, y0 - BBOX_PAD_IN)
    c1, r1 = view.px(x1 + BBOX_PAD_IN, y1 + BBOX_PAD_IN)
    c0, r0 = max(0, math.floor(c0)), max(0, math.floor(r0))
    c1, r1 = min(view.width_px, math.ceil(c1)), min(view.height_px, math.ceil(r1))
    if (c0, r0, c1, r1) == (0, 0, view.width_px, view.height_px):
        return _lit(view, seed_text)
    sub = View(view.name, view.x0_in + c0 / view.ppi, view.y0_in + r0 / view.ppi, view.ppi,
               c1 - c0, r1 - r0)
    part = _lit(sub, seed_text)
    shape = (view.height_px, view.width_px)
    rows, cols = slice(r0, r1), slice(c0, c1)

    def embed(a: np.ndarray, fill: float) -> np.ndarray:
        out = np.full(shape, fill, np.float32)
        out[rows, cols] = a
        return out

    return Surface(view, embed(part.alpha, 0.0), embed(part.log_shade, 0.0),
                   embed(part.dx_px, 0.0), embed(part.dy_px, 0.0), light_falloff(view),
                   embed(part.knit, 1.0))


def _lit(view: View, seed_text: str) -> Surface:
    """Light the tee in a view: relief, seams, stitches, collar rib and knit, one key light."""
    from scipy.ndimage import gaussian_filter

    f = fields(seed_text)
    # A lens never draws a cloth edge razor-sharp: soften it by about half a pixel.
    alpha = gaussian_filter(layer("silhouette", view, seed_text), 0.5)
    interior = layer("interior", view, seed_text)
    rib = layer("rib", view, seed_text)
    seams = layer("seams", view, seed_text)
    folds = layer("folds", view, seed_text)
    stitches = layer("stitches", view, seed_text)
    bands = layer("bands", view, seed_text)
    ppi = view.ppi
    xs, ys = view.axes_in()
    height = sample(f.height_in, view)
    # Fine relief, in inches: the raised rib, the sunken neck opening, doubled hems with a
    # ridge where they fold, seam grooves and stitch rows pulling the cloth in.
    fine = (0.05 * rib - 0.22 * interior + 0.025 * bands + 0.02 * folds
            - 0.03 * seams - 0.018 * stitches)
    if rib.any():  # only views that show the collar
        x, y = np.meshgrid(xs, ys)
        # 1x1 rib: fine ridges across the collar band, 14 to the inch, following the curve.
        arc_in = np.arctan2(y - 0.6, x) * 3.3  # arc length along the collar
        ribs = 0.5 + 0.5 * np.cos(arc_in * 14.0 * 2 * math.pi)
        fine += 0.012 * rib * ribs.astype(np.float32)
    fine = gaussian_filter(fine, max(0.4, 0.012 * ppi))
    height = height * alpha + fine
    gy, gx = np.gradient(height, 1.0 / ppi)
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    lambert = (-gx * LIGHT[0] - gy * LIGHT[1] + LIGHT[2]) / norm
    diffuse = np.maximum(lambert, 0.0) / LIGHT[2]
    shade = AMBIENT + (1.0 - AMBIENT) * diffuse
    occl = sample(f.occlusion, view)
    # The neck opening is the inside of the back panel, in the shadow of the front.
    inside = gaussian_filter(interior, max(0.5, 0.08 * ppi)) if interior.any() else interior
    occl = occl * (1.0 - 0.55 * inside) * (1.0 - 0.25 * stitches) * (1.0 - 0.2 * seams)
    gen = fabric.rng(seed_text, f"knit-{view.name}")
    x2, y2 = np.meshgrid(xs, ys)
    knit = fabric.knit_shading(x2, y2, ppi, gen)
    light = light_falloff(view)
    shade = shade * np.clip(occl, 0.05, 1.0) * knit * light
    log_shade = np.log(np.clip(shade, 1e-3, None)).astype(np.float32)
    drift = sample(f.folds_in, view)
    return Surface(view, alpha, log_shade, (DRIFT_X * ppi * drift).astype(np.float32),
                   (DRIFT_Y * ppi * drift).astype(np.float32), light, knit)
