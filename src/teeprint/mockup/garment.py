"""The procedural tee: a flat-laid unisex crew-neck, front view, drawn from size-L measurements.

Everything is measured in inches in *garment coordinates*: x grows to the wearer's left (the
viewer's right) from the centre line, y grows downwards from the high point of the shoulder
(where the shoulder seam meets the collar).  A :class:`View` is a window onto those coordinates
at some pixels per inch, so the same garment is drawn for the whole-tee front view and for the
close-up, and every length (print width, knit gauge, stitch length) stays a real length.

The outline and its seams are vector paths, rasterised with cairosvg per view; the smooth
relief (the height field) is computed once on a coarse grid in inches and resampled.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from teeprint.artwork import PathBuilder
from teeprint.mockup import fabric

PT_PER_IN = 72.0

# -- Size L measurements (Bella+Canvas 3001 class of blank), inches ---------------------------
#: Half the flat chest width 1 in below the armhole: a 22 in chest for size L.
CHEST_HALF_IN = 11.0
#: High point of the shoulder to the hem.
BODY_LENGTH_IN = 30.0
#: Half the neck opening, seam to seam.
NECK_HALF_IN = 3.6
#: Front neck drop from the shoulder line to the collar seam at the centre front.
FRONT_NECK_DROP_IN = 3.6
#: Back neck drop (the top edge of the back collar at the centre back).
BACK_NECK_DROP_IN = 0.75
#: Rib collar width.
COLLAR_RIB_IN = 0.75
#: Half the shoulder width (shoulder point to shoulder point) and the shoulder slope.
SHOULDER_HALF_IN = 9.75
SHOULDER_DROP_IN = 1.5
#: Depth of the armhole below the shoulder line.
UNDERARM_Y_IN = 9.7
#: Sleeve top length from the shoulder point, its angle below horizontal when laid flat, and
#: the flat width of the sleeve opening.
SLEEVE_TOP_IN = 8.6
SLEEVE_ANGLE_DEG = 33.0
SLEEVE_OPENING_IN = 7.7
#: Double-needle hems: fold depth and the two stitch rows above the folded edge.
HEM_DEPTH_IN = 1.0
HEM_STITCH_ROWS_IN = (0.88, 0.63)
#: Hem drop at the centre of a flat-laid tee (the hem bows a little).
HEM_BOW_IN = 0.2
#: Stitch length and gap of a lockstitch/coverstitch row (about 11 stitches per inch).
STITCH_IN = 0.068
STITCH_GAP_IN = 0.023

#: The plate sits this far below the collar seam at the centre front (a common DTG placement).
PRINT_BELOW_COLLAR_IN = 3.0


@dataclass(frozen=True)
class Point:
    """A point in garment inches."""

    x: float
    y: float

    def __add__(self, o: Point) -> Point:
        return Point(self.x + o.x, self.y + o.y)

    def __sub__(self, o: Point) -> Point:
        return Point(self.x - o.x, self.y - o.y)

    def __mul__(self, k: float) -> Point:
        return Point(self.x * k, self.y * k)

    def mirror(self) -> Point:
        """The same point on the other side of the centre line."""
        return Point(-self.x, self.y)


@dataclass(frozen=True)
class Warp:
    """A smooth displacement of a tenth of an inch or so, applied to every outline and seam.

    A laid-out tee is never the pattern's perfect mirror image: its edges wander a little.
    The warp is a sum of a few long sine waves (x wave number, y wave number, phase, x and y
    amplitude in inches); applied to the control points of curves several inches long, it
    bends them the same way everywhere, so seams stay parallel to the edges they follow.
    """

    terms: tuple[tuple[float, float, float, float, float], ...] = ()

    def __call__(self, p: Point) -> Point:
        dx = dy = 0.0
        for kx, ky, phase, ax, ay in self.terms:
            v = math.sin(kx * p.x + ky * p.y + phase)
            dx += ax * v
            dy += ay * v
        return Point(p.x + dx, p.y + dy)


def warp_for(seed_text: str) -> Warp:
    """The specimen's warp: four waves 4-10 in long, 0.04-0.07 in each."""
    gen = fabric.rng(seed_text, "outline")
    terms = []
    for _ in range(4):
        wavelength = float(gen.uniform(4.0, 10.0))
        angle = float(gen.uniform(0.0, math.pi))
        k = 2 * math.pi / wavelength
        amp = float(gen.uniform(0.04, 0.07))
        direction = float(gen.uniform(0.0, 2 * math.pi))
        terms.append((k * math.cos(angle), k * math.sin(angle), float(gen.uniform(0, 2 * math.pi)),
                      amp * math.cos(direction), amp * math.sin(direction)))
    return Warp(tuple(terms))


class Pen:
    """Builds SVG path data from garment inches (written in points, so 0.01 pt precision),
    bending every point by the garment's warp."""

    def __init__(self, warp: Warp) -> None:
        self.pb = PathBuilder()
        self.warp = warp

    def move(self, p: Point) -> Pen:
        p = self.warp(p)
        self.pb.move(p.x * PT_PER_IN, p.y * PT_PER_IN)
        return self

    def line(self, p: Point) -> Pen:
        p = self.warp(p)
        self.pb.line(p.x * PT_PER_IN, p.y * PT_PER_IN)
        return self

    def curve(self, c1: Point, c2: Point, p: Point) -> Pen:
        k = PT_PER_IN
        c1, c2, p = self.warp(c1), self.warp(c2), self.warp(p)
        self.pb.curve(c1.x * k, c1.y * k, c2.x * k, c2.y * k, p.x * k, p.y * k)
        return self

    def close(self) -> Pen:
        self.pb.close()
        return self

    def d(self) -> str:
        return self.pb.d()


@dataclass(frozen=True)
class Landmarks:
    """Named points of the right half of the tee (the left half is the mirror image)."""

    hps: Point  # high point of the shoulder, at the collar
    sp: Point  # shoulder point, where the sleeve is set in
    cuff_top: Point
    cuff_bottom: Point
    underarm: Point
    hem_side: Point
    hem_centre: Point
    sleeve_dir: Point  # unit vector along the sleeve top, outwards


@lru_cache(maxsize=1)
def landmarks() -> Landmarks:
    """The tee's landmarks from the size-L measurements."""
    a = math.radians(SLEEVE_ANGLE_DEG)
    u = Point(math.cos(a), math.sin(a))
    sp = Point(SHOULDER_HALF_IN, SHOULDER_DROP_IN)
    cuff_top = sp + u * SLEEVE_TOP_IN
    cuff_bottom = cuff_top + Point(-u.y, u.x) * SLEEVE_OPENING_IN
    return Landmarks(
        hps=Point(NECK_HALF_IN, 0.0), sp=sp, cuff_top=cuff_top, cuff_bottom=cuff_bottom,
        underarm=Point(CHEST_HALF_IN, UNDERARM_Y_IN),
        hem_side=Point(CHEST_HALF_IN + 0.15, BODY_LENGTH_IN),
        hem_centre=Point(0.0, BODY_LENGTH_IN + HEM_BOW_IN), sleeve_dir=u)


def _right_half(pen: Pen, lm: Landmarks) -> None:
    """Shoulder, sleeve, side and half the hem, from the right collar point to the centre."""
    u = lm.sleeve_dir
    out = Point(u.y, -u.x)  # outward normal of the sleeve top
    pen.curve(Point(5.5, 0.35), Point(8.0, 0.95), lm.sp)
    pen.curve(lm.sp + u * 2.6 + out * 0.22, lm.cuff_top - u * 2.8 + out * 0.08, lm.cuff_top)
    pen.line(lm.cuff_bottom)
    pen.curve(lm.cuff_bottom + (lm.underarm - lm.cuff_bottom) * 0.4 + Point(0.1, -0.05),
              lm.underarm + Point(0.55, 0.45), lm.underarm)
    pen.curve(Point(10.82, 15.0), Point(10.95, 24.0), lm.hem_side)
    pen.curve(Point(7.0, BODY_LENGTH_IN + 0.15), Point(3.5, lm.hem_centre.y), lm.hem_centre)


def _left_half(pen: Pen, lm: Landmarks) -> None:
    """The mirror of :func:`_right_half`, walked from the hem centre back up to the collar."""
    u = lm.sleeve_dir
    out = Point(u.y, -u.x)
    m = Point.mirror
    pen.curve(m(Point(3.5, lm.hem_centre.y)), m(Point(7.0, BODY_LENGTH_IN + 0.15)), m(lm.hem_side))
    pen.curve(m(Point(10.95, 24.0)), m(Point(10.82, 15.0)), m(lm.underarm))
    pen.curve(m(lm.underarm + Point(0.55, 0.45)),
              m(lm.cuff_bottom + (lm.underarm - lm.cuff_bottom) * 0.4 + Point(0.1, -0.05)),
              m(lm.cuff_bottom))
    pen.line(m(lm.cuff_top))
    pen.curve(m(lm.cuff_top - u * 2.8 + out * 0.08), m(lm.sp + u * 2.6 + out * 0.22), m(lm.sp))
    pen.curve(m(Point(8.0, 0.95)), m(Point(5.5, 0.35)), m(lm.hps))


def _back_collar_top(pen: Pen, lm: Landmarks) -> None:
    """The top edge of the back collar, left collar point to right (it dips at the centre back)."""
    h = lm.hps.x
    pen.curve(Point(-h + 0.6, 0.45), Point(-1.8, BACK_NECK_DROP_IN), Point(0, BACK_NECK_DROP_IN))
    pen.curve(Point(1.8, BACK_NECK_DROP_IN), Point(h - 0.6, 0.45), lm.hps)


def silhouette_d(warp: Warp) -> str:
    """The whole outline of the tee."""
    lm = landmarks()
    pen = Pen(warp).move(lm.hps)
    _right_half(pen, lm)
    _left_half(pen, lm)
    _back_collar_top(pen, lm)
    return pen.close().d()


def _neck_curve(pen: Pen, half: float, side_y: float, drop: float, start: bool = True) -> Pen:
    """A U-shaped neckline from (-half, side_y) through (0, drop) to (half, side_y)."""
    if start:
        pen.move(Point(-half, side_y))
    pen.curve(Point(-half + 0.05, side_y + (drop - side_y) * 0.53), Point(-half * 0.58, drop),
              Point(0, drop))
    pen.curve(Point(half * 0.58, drop), Point(half - 0.05, side_y + (drop - side_y) * 0.53),
              Point(half, side_y))
    return pen


def _reverse_neck(pen: Pen, half: float, side_y: float, drop: float) -> Pen:
    """The neckline of :func:`_neck_curve` walked right to left (to close a band)."""
    pen.curve(Point(half - 0.05, side_y + (drop - side_y) * 0.53), Point(half * 0.58, drop),
              Point(0, drop))
    pen.curve(Point(-half * 0.58, drop), Point(-half + 0.05, side_y + (drop - side_y) * 0.53),
              Point(-half, side_y))
    return pen


#: Inner collar edges: the rib's inside edge at the front, and under the back collar.
_INNER_HALF_IN = NECK_HALF_IN - 0.72
_INNER_SIDE_Y_IN = 0.36
_FRONT_INNER_DROP_IN = FRONT_NECK_DROP_IN - COLLAR_RIB_IN
_BACK_INNER_DROP_IN = BACK_NECK_DROP_IN + COLLAR_RIB_IN * 0.9


def front_rib_d(warp: Warp) -> str:
    """The front half of the rib collar, between the collar seam and its inner edge."""
    pen = _neck_curve(Pen(warp), NECK_HALF_IN, 0.0, FRONT_NECK_DROP_IN)
    pen.line(Point(_INNER_HALF_IN, _INNER_SIDE_Y_IN))
    _reverse_neck(pen, _INNER_HALF_IN, _INNER_SIDE_Y_IN, _FRONT_INNER_DROP_IN)
    return pen.close().d()


def back_rib_d(warp: Warp) -> str:
    """The back half of the rib collar, seen from the inside through the neck opening."""
    lm = landmarks()
    pen = Pen(warp).move(Point(-lm.hps.x, 0.0))
    _back_collar_top(pen, lm)
    pen.line(Point(_INNER_HALF_IN, _INNER_SIDE_Y_IN))
    _reverse_neck(pen, _INNER_HALF_IN, _INNER_SIDE_Y_IN, _BACK_INNER_DROP_IN)
    return pen.close().d()


def interior_d(warp: Warp) -> str:
    """The neck opening: the inside of the back panel, between the two collar halves."""
    pen = _neck_curve(Pen(warp), _INNER_HALF_IN, _INNER_SIDE_Y_IN, _FRONT_INNER_DROP_IN)
    _reverse_neck(pen, _INNER_HALF_IN, _INNER_SIDE_Y_IN, _BACK_INNER_DROP_IN)
    return pen.close().d()


def _armhole(pen: Pen, lm: Landmarks, mirror: bool) -> Pen:
    m = Point.mirror if mirror else (lambda p: p)
    pen.move(m(lm.sp))
    pen.curve(m(Point(lm.sp.x - 0.25, 4.6)), m(Point(lm.underarm.x - 1.0, 7.9)), m(lm.underarm))
    return pen


def sleeves_d(warp: Warp) -> str:
    """Both sleeves: outside the armhole seams (used to give them their own relief)."""
    lm = landmarks()
    pen = Pen(warp)
    for mirror in (False, True):
        m = Point.mirror if mirror else (lambda p: p)
        far = lm.sleeve_dir * 3.0
        pen.move(m(lm.sp + Point(0, -1.0)))
        pen.line(m(lm.cuff_top + far + Point(0, -2.0)))
        pen.line(m(lm.cuff_bottom + far + Point(0, 2.0)))
        pen.line(m(lm.underarm + Point(0.2, 0.3)))
        pen.curve(m(Point(lm.underarm.x - 1.0, 7.9)), m(Point(lm.sp.x - 0.25, 4.6)), m(lm.sp))
        pen.close()
    return pen.d()


def seams_d(warp: Warp) -> str:
    """Seam lines: set-in armholes and the collar seam (drawn as grooves)."""
    lm = landmarks()
    pen = Pen(warp)
    _armhole(pen, lm, False)
    _armhole(pen, lm, True)
    _neck_curve(pen, NECK_HALF_IN, 0.0, FRONT_NECK_DROP_IN)
    _neck_curve(pen, _INNER_HALF_IN, _INNER_SIDE_Y_IN, _BACK_INNER_DROP_IN)
    return pen.d()


def _hem_line(pen: Pen, lm: Landmarks, up: float) -> None:
    """A line parallel to the hem, ``up`` inches above it (ends run past the sides; clipped)."""
    y_side = lm.hem_side.y - up
    y_mid = lm.hem_centre.y - up
    pen.move(Point(-lm.hem_side.x - 1.0, y_side))
    pen.curve(Point(-7.0, y_side + 0.15), Point(-3.5, y_mid), Point(0, y_mid))
    pen.curve(Point(3.5, y_mid), Point(7.0, y_side + 0.15), Point(lm.hem_side.x + 1.0, y_side))


def _cuff_line(pen: Pen, lm: Landmarks, up: float, mirror: bool) -> None:
    """A line parallel to a sleeve opening, ``up`` inches inside it (clipped to the sleeve)."""
    m = Point.mirror if mirror else (lambda p: p)
    u = lm.sleeve_dir
    across = lm.cuff_bottom - lm.cuff_top
    a = lm.cuff_top - u * up - across * 0.1
    b = lm.cuff_bottom - u * up + across * 0.1
    pen.move(m(a)).line(m(b))


def folds_d(warp: Warp) -> str:
    """Folded hem edges: the top of the turned-up hem and cuffs (a slight ridge)."""
    lm = landmarks()
    pen = Pen(warp)
    _hem_line(pen, lm, HEM_DEPTH_IN)
    for mirror in (False, True):
        _cuff_line(pen, lm, HEM_DEPTH_IN, mirror)
    return pen.d()


def bands_d(warp: Warp) -> str:
    """The doubled fabric of the hem and cuffs (two layers, slightly raised)."""
    lm = landmarks()
    pen = Pen(warp)
    _hem_line(pen, lm, HEM_DEPTH_IN)
    pen.line(Point(lm.hem_side.x + 1.0, lm.hem_side.y + 2.0))
    pen.line(Point(-lm.hem_side.x - 1.0, lm.hem_side.y + 2.0)).close()
    u = lm.sleeve_dir
    for mirror in (False, True):
        m = Point.mirror if mirror else (lambda p: p)
        across = lm.cuff_bottom - lm.cuff_top
        pen.move(m(lm.cuff_top - u * HEM_DEPTH_IN - across * 0.1))
        pen.line(m(lm.cuff_bottom - u * HEM_DEPTH_IN + across * 0.1))
        pen.line(m(lm.cuff_bottom + u * 1.0 + across * 0.1))
        pen.line(m(lm.cuff_top + u * 1.0 - across * 0.1)).close()
    return pen.d()


def stitches_d(warp: Warp) -> str:
    """Stitch rows: double-needle hem and cuffs, the collar topstitch and the back-neck tape."""
    lm = landmarks()
    pen = Pen(warp)
    for up in HEM_STITCH_ROWS_IN:
        _hem_line(pen, lm, up)
        for mirror in (False, True):
            _cuff_line(pen, lm, up, mirror)
    off = 0.13
    _neck_curve(pen, NECK_HALF_IN + off, 0.02, FRONT_NECK_DROP_IN + off)
    _neck_curve(pen, _INNER_HALF_IN, _INNER_SIDE_Y_IN + 0.05, _BACK_INNER_DROP_IN + 0.12)
    return pen.d()


#: The layers a view rasterises: (path data function, paint) -- fills, or strokes (width, dash).
SEAM_WIDTH_IN = 0.03
STITCH_WIDTH_IN = 0.022
FOLD_WIDTH_IN = 0.05


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _layer_d(name: str, warp: Warp) -> str:
    makers = {"silhouette": silhouette_d, "interior": interior_d, "sleeves": sleeves_d,
              "bands": bands_d, "seams": seams_d, "folds": folds_d, "stitches": stitches_d}
    if name == "rib":
        return front_rib_d(warp) + back_rib_d(warp)
    if name not in makers:
        msg = f"unknown garment layer {name!r}"
        raise ValueError(msg)
    return makers[name](warp)


def layer_touches(name: str, window_in: tuple[float, float, float, float], warp: Warp) -> bool:
    """Whether a layer's paths (control points, plus a stroke's width) reach into a window.

    A close-up of the chest need not rasterise the hem's stitches."""
    nums = [float(v) / PT_PER_IN for v in _NUMBER.findall(_layer_d(name, warp))]
    xs, ys = nums[0::2], nums[1::2]
    x, y, w, h = window_in
    pad = 0.1
    return not (max(xs) < x - pad or min(xs) > x + w + pad or max(ys) < y - pad
                or min(ys) > y + h + pad)


def layer_svg(name: str, window_in: tuple[float, float, float, float], warp: Warp) -> str:
    """One layer of the tee as an SVG whose viewBox is ``window_in`` (x, y, w, h in inches)."""
    x, y, w, h = (v * PT_PER_IN for v in window_in)
    sil = silhouette_d(warp)
    body: str
    if name == "silhouette":
        body = f'<path d="{sil}" fill="#000"/>'
    elif name == "interior":
        body = f'<path d="{interior_d(warp)}" fill="#000"/>'
    elif name == "rib":
        body = f'<path d="{front_rib_d(warp)}{back_rib_d(warp)}" fill="#000"/>'
    elif name == "sleeves":
        body = f'<path d="{sleeves_d(warp)}" fill="#000" clip-path="url(#g)"/>'
    elif name == "bands":
        body = f'<path d="{bands_d(warp)}" fill="#000" clip-path="url(#g)"/>'
    elif name == "seams":
        body = (f'<path d="{seams_d(warp)}" fill="none" stroke="#000" '
                f'stroke-width="{SEAM_WIDTH_IN * PT_PER_IN:.3f}" clip-path="url(#g)"/>')
    elif name == "folds":
        body = (f'<path d="{folds_d(warp)}" fill="none" stroke="#000" '
                f'stroke-width="{FOLD_WIDTH_IN * PT_PER_IN:.3f}" clip-path="url(#g)"/>')
    elif name == "stitches":
        dash = f"{STITCH_IN * PT_PER_IN:.3f} {STITCH_GAP_IN * PT_PER_IN:.3f}"
        body = (f'<path d="{stitches_d(warp)}" fill="none" stroke="#000" stroke-linecap="butt" '
                f'stroke-width="{STITCH_WIDTH_IN * PT_PER_IN:.3f}" stroke-dasharray="{dash}" '
                f'clip-path="url(#g)"/>')
    else:
        msg = f"unknown garment layer {name!r}"
        raise ValueError(msg)
    return ('<svg xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="{x:.4f} {y:.4f} {w:.4f} {h:.4f}">'
            f'<defs><clipPath id="g"><path d="{sil}"/></clipPath></defs>{body}</svg>')


def garment_bbox_in() -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of the tee in garment inches."""
    lm = landmarks()
    return (-lm.cuff_top.x - 0.1, 0.0, lm.cuff_top.x + 0.1, lm.hem_centre.y)


def print_box_in(width_pt: float, height_pt: float) -> tuple[float, float, float, float]:
    """Where a plate of that artboard sits at true scale: (x, y, w, h) in garment inches.

    Centred on the chest, its top :data:`PRINT_BELOW_COLLAR_IN` below the collar seam at the
    centre front, at 1 pt = 1/72 in (the artboard is the DTG print area, so this is the size
    the buyer receives on size L).
    """
    w_in = width_pt / PT_PER_IN
    h_in = height_pt / PT_PER_IN
    return (-w_in / 2, FRONT_NECK_DROP_IN + PRINT_BELOW_COLLAR_IN, w_in, h_in)
