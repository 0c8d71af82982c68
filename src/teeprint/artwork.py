"""The vector artwork model shared by every writer, and its SVG writer.

An :class:`Artwork` is a page of :class:`Shape` objects, each painted with an ink *role* (``ink``,
``accent``...) and a *tint* (0-1), never with a colour.  A :class:`~teeprint.catalog.Colorway`
binds roles to real inks late, so the same artwork gives the light and the dark colourway, the
SVG master, the spot-colour PDF and the films.

Geometry is an absolute SVG path string restricted to ``M``, ``L``, ``C`` and ``Z`` in PostScript
points with the origin at the top-left of the artboard (y grows downwards).  That small grammar is
what every writer can replay exactly (reportlab has no quadratic curves, so quadratics are raised
to cubics when a path is built).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from xml.sax.saxutils import escape

import numpy as np

if TYPE_CHECKING:
    from teeprint.catalog import Colorway

Paint = Literal["fill", "stroke"]
Cap = Literal["butt", "round", "square"]

def fmt(value: float) -> str:
    """Format a coordinate compactly and deterministically (no ``-0``, no trailing zeros).

    Two decimals: 0.01 pt is 0.0035 mm, far below any printer's resolution.  This runs for every point of every glyph, so it avoids generic string stripping.
    """
    text = "%.2f" % value  # noqa: UP031 - the fastest formatting in CPython
    if text[-1] in "nf":  # nan, inf: a drawing bug that would write an unreadable path
        msg = f"non-finite coordinate {value!r} in a path"
        raise ValueError(msg)
    if text[-1] == "0":
        text = text[:-3] if text[-2] == "0" else text[:-1]
    return "0" if text == "-0" else text


def format_numbers(template: str, values: Sequence[float]) -> str:
    """Fill a path template's ``%.2f`` slots with ``values`` and write each number as
    :func:`fmt` does (trailing zeros and a lone ``-0`` dropped): one C-level format and two
    passes over the text instead of a call per number, for whole glyphs and regions."""
    text = template % tuple(values)
    if "n" in text:  # nan, inf: a drawing bug that would write an unreadable path
        bad = next(v for v in values if not math.isfinite(v))
        msg = f"non-finite coordinate {bad!r} in a path"
        raise ValueError(msg)
    return _NEGATIVE_ZERO.sub("0", _TRAILING_ZEROS.sub("", text))


def format_points(template: str, points: np.ndarray) -> str:
    """:func:`format_numbers` with the coordinates of ``points`` ((n, 2), in order)."""
    return format_numbers(template, points.ravel().tolist())


#: ``12.50`` -> ``12.5``, ``12.00`` -> ``12``: every number has two decimals, so a run of
#: zeros that ends a number (before a separator, a command or the end) ends its fraction.
_TRAILING_ZEROS = re.compile(r"\.?0+(?=[ MLCZ]|$)")
#: ``-0`` (a rounded tiny negative) is written ``0``.
_NEGATIVE_ZERO = re.compile(r"(?<![\d.])-0(?=[ MLCZ]|$)")

#: One command of the path grammar and its numbers: every writer replays paths with it.
PATH_TOKENS = re.compile(r"([MLCZ])([^MLCZ]*)")


@dataclass(frozen=True)
class Box:
    """A rectangle on the artboard, in points, origin top-left."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        """The x of the right edge."""
        return self.x + self.w

    @property
    def bottom(self) -> float:
        """The y of the bottom edge."""
        return self.y + self.h

    @property
    def cx(self) -> float:
        """The x of the centre."""
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        """The y of the centre."""
        return self.y + self.h / 2

    def inset(self, dx: float, dy: float | None = None) -> Box:
        """A box shrunk by ``dx`` left and right and ``dy`` (default ``dx``) top and bottom."""
        dy = dx if dy is None else dy
        return Box(self.x + dx, self.y + dy, self.w - 2 * dx, self.h - 2 * dy)


class PathBuilder:
    """Accumulates path data in the restricted M/L/C/Z grammar.

    The builder also tracks the bounding box of every point it emits (control points included),
    which gives a cheap, conservative extent for print-area checks.
    """

    __slots__ = ("_parts", "_x", "_y", "xmin", "xmax", "ymin", "ymax")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._x = 0.0
        self._y = 0.0
        self.xmin = math.inf
        self.ymin = math.inf
        self.xmax = -math.inf
        self.ymax = -math.inf

    def _see(self, x: float, y: float) -> None:
        self.xmin = min(self.xmin, x)
        self.xmax = max(self.xmax, x)
        self.ymin = min(self.ymin, y)
        self.ymax = max(self.ymax, y)

    def move(self, x: float, y: float) -> PathBuilder:
        """Start a new subpath at (x, y)."""
        self._parts.append(f"M{fmt(x)} {fmt(y)}")
        self._x, self._y = x, y
        self._see(x, y)
        return self

    def line(self, x: float, y: float) -> PathBuilder:
        """Straight segment to (x, y)."""
        self._parts.append(f"L{fmt(x)} {fmt(y)}")
        self._x, self._y = x, y
        self._see(x, y)
        return self

    def curve(self, x1: float, y1: float, x2: float, y2: float, x: float, y: float) -> PathBuilder:
        """Cubic Bezier segment to (x, y)."""
        self._parts.append(f"C{fmt(x1)} {fmt(y1)} {fmt(x2)} {fmt(y2)} {fmt(x)} {fmt(y)}")
        self._x, self._y = x, y
        self._see(x1, y1)
        self._see(x2, y2)
        self._see(x, y)
        return self

    def quad(self, qx: float, qy: float, x: float, y: float) -> PathBuilder:
        """Quadratic segment, written as the exactly equivalent cubic."""
        x0, y0 = self._x, self._y
        return self.curve(
            x0 + 2 / 3 * (qx - x0),
            y0 + 2 / 3 * (qy - y0),
            x + 2 / 3 * (qx - x),
            y + 2 / 3 * (qy - y),
            x,
            y,
        )

    def close(self) -> PathBuilder:
        """Close the current subpath."""
        self._parts.append("Z")
        return self

    def polyline(self, xs: Sequence[float] | np.ndarray, ys: Sequence[float] | np.ndarray,
                 closed: bool = False) -> PathBuilder:
        """A subpath through the points; NaNs split it into several subpaths."""
        pen_down = False
        for x, y in zip(np.asarray(xs, float).tolist(), np.asarray(ys, float).tolist(), strict=True):
            if math.isnan(x) or math.isnan(y):
                pen_down = False
                continue
            if pen_down:
                self.line(x, y)
            else:
                self.move(x, y)
                pen_down = True
        if closed and pen_down:
            self.close()
        return self

    def circle(self, cx: float, cy: float, r: float) -> PathBuilder:
        """A full circle as four cubic arcs (kappa approximation, error < 0.03 %); nothing when
        the centre or radius is not finite (an empty cell's dot), so no NaN reaches a path."""
        if not (math.isfinite(cx) and math.isfinite(cy) and math.isfinite(r)):
            return self
        k = 0.5522847498 * r
        self.move(cx + r, cy)
        self.curve(cx + r, cy + k, cx + k, cy + r, cx, cy + r)
        self.curve(cx - k, cy + r, cx - r, cy + k, cx - r, cy)
        self.curve(cx - r, cy - k, cx - k, cy - r, cx, cy - r)
        self.curve(cx + k, cy - r, cx + r, cy - k, cx + r, cy)
        return self.close()

    def rect(self, x: float, y: float, w: float, h: float) -> PathBuilder:
        """An axis-aligned rectangle."""
        return self.move(x, y).line(x + w, y).line(x + w, y + h).line(x, y + h).close()

    def raw(self, d: str, bbox: tuple[float, float, float, float], end: tuple[float, float]) -> PathBuilder:
        """Append path data already in the M/L/C/Z grammar, with its bbox and end point.

        The typesetter formats whole glyphs at once; this keeps the builder's bookkeeping
        without a per-point call.
        """
        self._parts.append(d)
        self._see(bbox[0], bbox[1])
        self._see(bbox[2], bbox[3])
        self._x, self._y = end
        return self

    def extend(self, other: PathBuilder) -> PathBuilder:
        """Append another builder's subpaths (a merged path paints in one go)."""
        self._parts.extend(other._parts)
        self._x, self._y = other._x, other._y
        if other._parts:
            self._see(other.xmin, other.ymin)
            self._see(other.xmax, other.ymax)
        return self

    @property
    def empty(self) -> bool:
        """True when nothing was drawn."""
        return not self._parts

    def bbox(self) -> tuple[float, float, float, float]:
        """Conservative (xmin, ymin, xmax, ymax) of the path."""
        return (self.xmin, self.ymin, self.xmax, self.ymax)

    def d(self) -> str:
        """The SVG path data."""
        return "".join(self._parts)


@dataclass(frozen=True)
class Shape:
    """One painted path.

    ``role`` names an ink role; ``tint`` is the ink density (1 = solid).  A stroke carries its
    width in points; text carries the size it was set at (``text_pt``) so preflight can check
    type sizes at print scale without knowing fonts.
    """

    d: str
    role: str = "ink"
    tint: float = 1.0
    paint: Paint = "fill"
    width_pt: float = 0.0
    cap: Cap = "round"
    dash_pt: tuple[float, ...] = ()
    text_pt: float | None = None
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    label: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.tint <= 1.0:
            msg = f"tint must be within 0..1, got {self.tint}"
            raise ValueError(msg)
        if self.paint == "stroke" and self.width_pt <= 0:
            msg = "a stroked shape needs width_pt > 0"
            raise ValueError(msg)


def fill(path: PathBuilder, role: str = "ink", tint: float = 1.0, *, text_pt: float | None = None,
         label: str = "") -> Shape:
    """A filled shape from a builder."""
    return Shape(path.d(), role, tint, "fill", 0.0, "round", (), text_pt, path.bbox(), label)


def stroke(path: PathBuilder, width_pt: float, role: str = "ink", tint: float = 1.0, *,
           cap: Cap = "round", dash_pt: tuple[float, ...] = (), label: str = "") -> Shape:
    """A stroked shape from a builder; the bbox grows by half the stroke width."""
    h = width_pt / 2
    x0, y0, x1, y1 = path.bbox()
    return Shape(path.d(), role, tint, "stroke", width_pt, cap, dash_pt, None,
                 (x0 - h, y0 - h, x1 + h, y1 + h), label)


def map_points(shape: Shape, point: Callable[[float, float], tuple[float, float]]) -> Shape:
    """The shape with every coordinate pair sent through ``point`` (a move, a turn...).

    Outlined type is geometry, so moving or turning a label is mapping its path; the path is
    rebuilt, which also recomputes its bounds.
    """
    path = PathBuilder()
    for op, args in PATH_TOKENS.findall(shape.d):
        if op == "Z":
            path.close()
            continue
        v = [float(t) for t in args.split()]
        pts = [c for j in range(0, len(v), 2) for c in point(v[j], v[j + 1])]
        if op == "M":
            path.move(*pts)
        elif op == "L":
            path.line(*pts)
        else:
            path.curve(*pts)
    return Shape(path.d(), shape.role, shape.tint, shape.paint, shape.width_pt, shape.cap,
                 shape.dash_pt, shape.text_pt, path.bbox(), shape.label)


@dataclass(frozen=True)
class Artwork:
    """A whole artboard: its size in points and its shapes in painting order."""

    width_pt: float
    height_pt: float
    shapes: tuple[Shape, ...]
    title: str = ""
    metadata: tuple[tuple[str, str], ...] = field(default=())

    def roles(self) -> tuple[str, ...]:
        """The ink roles used, in first-use order."""
        seen: dict[str, None] = {}
        for s in self.shapes:
            seen.setdefault(s.role, None)
        return tuple(seen)

    def bbox(self) -> tuple[float, float, float, float]:
        """Union of the shapes' conservative bounding boxes."""
        boxes = np.array([s.bbox for s in self.shapes], float)
        return (float(boxes[:, 0].min()), float(boxes[:, 1].min()),
                float(boxes[:, 2].max()), float(boxes[:, 3].max()))


def merge(shapes: Iterable[Shape]) -> tuple[Shape, ...]:
    """Join consecutive shapes of identical paint into one path each.

    Merging keeps the painted result (same ink, same tint, same stroke) while cutting the
    element count, which makes SVG parsing and PDF writing several times faster for hatching
    and stipple fields.  Text and labelled shapes are never merged.
    """
    out: list[Shape] = []
    for s in shapes:
        if out:
            p = out[-1]
            if (p.role, p.tint, p.paint, p.width_pt, p.cap, p.dash_pt) == (
                s.role, s.tint, s.paint, s.width_pt, s.cap, s.dash_pt
            ) and p.text_pt is None and s.text_pt is None and not p.label and not s.label:
                bbox = (min(p.bbox[0], s.bbox[0]), min(p.bbox[1], s.bbox[1]),
                        max(p.bbox[2], s.bbox[2]), max(p.bbox[3], s.bbox[3]))
                out[-1] = Shape(p.d + s.d, p.role, p.tint, p.paint, p.width_pt, p.cap, p.dash_pt,
                                None, bbox)
                continue
        out.append(s)
    return tuple(out)


_ID_SAFE = re.compile(r"[^a-z0-9-]+")


def ink_layers(artwork: Artwork, colorway: Colorway) -> list[tuple[str, list[Shape]]]:
    """Group the artwork's shapes by ink, in the colourway's print order.

    A screen prints one ink after the other, so the master is layered the same way: every shape
    of the first ink, then every shape of the next.  Within an ink the authored order is kept.
    """
    by_ink: dict[str, list[Shape]] = {ink.id: [] for ink in colorway.inks}
    for s in artwork.shapes:
        by_ink[colorway.ink_for(s.role).id].append(s)
    return [(ink_id, shapes) for ink_id, shapes in by_ink.items() if shapes]


def to_svg(artwork: Artwork, colorway: Colorway) -> str:
    """Write the master SVG: one layer group per ink, named after the ink, text as outlines.

    The bytes depend only on the artwork and the colourway: no ids beyond the layer names, no
    dates, rounded coordinates, fixed attribute order.
    """
    w, h = artwork.width_pt, artwork.height_pt
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        f'width="{fmt(w / 72)}in" height="{fmt(h / 72)}in" viewBox="0 0 {fmt(w)} {fmt(h)}">\n',
    ]
    if artwork.title:
        out.append(f"<title>{escape(artwork.title)}</title>\n")
    if artwork.metadata:
        out.append("<metadata>\n")
        for key, value in artwork.metadata:
            out.append(f'<teeprint:meta xmlns:teeprint="urn:teeprint" name="{escape(key)}">'
                       f"{escape(value)}</teeprint:meta>\n")
        out.append("</metadata>\n")
    for ink_id, shapes in ink_layers(artwork, colorway):
        ink = colorway.ink(ink_id)
        gid = "ink-" + _ID_SAFE.sub("-", ink_id.lower()).strip("-")
        out.append(f'<g id="{gid}" inkscape:groupmode="layer" inkscape:label="{escape(ink.name)}" '
                   f'data-spot="{escape(ink.spot)}">\n')
        for s in merge(shapes):
            colour = colorway.tint_hex(ink_id, s.tint)
            if s.paint == "fill":
                out.append(f'<path d="{s.d}" fill="{colour}"/>\n')
            else:
                dash = f' stroke-dasharray="{" ".join(fmt(v) for v in s.dash_pt)}"' if s.dash_pt else ""
                join = "round" if s.cap == "round" else "miter"
                out.append(
                    f'<path d="{s.d}" fill="none" stroke="{colour}" stroke-width="{fmt(s.width_pt)}" '
                    f'stroke-linecap="{s.cap}" stroke-linejoin="{join}"{dash}/>\n'
                )
        out.append("</g>\n")
    out.append("</svg>\n")
    return "".join(out)
