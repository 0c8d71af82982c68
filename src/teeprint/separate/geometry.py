"""Painted shapes as polygons: flattening, stroke outlines, boolean algebra and offsets.

The underbase is computed on the geometry the inks print, not on pixels, so it can be written
to the PDF as vector paths and rasterised for the film from the very same polygons.  Paths are
flattened to polylines within :data:`FLATNESS_PT`; strokes become their outlines at their real
width with their caps, joins (round with round caps, else mitred up to the artwork's miter
limit) and dashes; fills keep the non-zero winding rule every writer uses.  Polygons live on
an integer grid of :data:`SCALE` units per point (what Clipper computes on), so every boolean
operation and offset is exact and repeatable: same shapes, same polygons, same bytes.

A *region* is a list of closed integer rings (``(n, 2)`` int64 arrays, outer rings counter-
clockwise in y-down page space and holes the other way, as Clipper returns them) read with
the non-zero rule.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from teeprint.artwork import PATH_TOKENS, fmt

if TYPE_CHECKING:
    from teeprint.artwork import Shape

#: Integer grid units per point: 0.001 pt, far below a film's pixel (0.24 pt at 300 dpi).
SCALE = 1000
#: Largest distance between a curve and its flattened polyline, and between an arc and the
#: polygon an offset puts in its place.
FLATNESS_PT = 0.01
#: Same as the raster and PDF writers: a mitre longer than 4 x half the width is cut off.
MITER_LIMIT = 4.0
#: Most segments one cubic is cut into (a 0.01 pt tolerance needs far fewer on any glyph).
MAX_SEGMENTS = 256

Region = list[np.ndarray]


def flatten(d: str, flatness_pt: float = FLATNESS_PT) -> list[tuple[np.ndarray, bool]]:
    """The subpaths of an ``M/L/C/Z`` path as polylines ``(points (n, 2) float, closed)``.

    A cubic is cut into ``n`` equal parameter steps with ``n = ceil(sqrt(0.75 M / tol))``,
    ``M`` the larger second difference of its control points, which bounds the distance from
    the curve to its chords by ``tol``: the chord error of ``n`` uniform steps is at most
    ``max|B''| / (8 n^2)`` and ``|B''| <= 6 M``.  All cubics of
    the path are evaluated in one numpy pass.
    """
    starts: list[int] = []       # index of each subpath's first segment
    closed: list[bool] = []
    origin: list[tuple[float, float]] = []
    seg_kind: list[int] = []     # 0 line, 1 cubic
    ctrl: list[tuple[float, ...]] = []  # p0 p1 p2 p3 (a line repeats its ends)
    cx = cy = 0.0
    for op, args in PATH_TOKENS.findall(d):
        if op == "Z":
            if closed:
                closed[-1] = True
                cx, cy = origin[-1]
            continue
        v = [float(t) for t in args.split()]
        if op == "M":
            for j in range(0, len(v), 2):
                if j == 0:
                    starts.append(len(seg_kind))
                    closed.append(False)
                    origin.append((v[0], v[1]))
                    cx, cy = v[0], v[1]
                else:  # extra pairs after a move are lines
                    seg_kind.append(0)
                    ctrl.append((cx, cy, cx, cy, v[j], v[j + 1], v[j], v[j + 1]))
                    cx, cy = v[j], v[j + 1]
        elif op == "L":
            for j in range(0, len(v), 2):
                seg_kind.append(0)
                ctrl.append((cx, cy, cx, cy, v[j], v[j + 1], v[j], v[j + 1]))
                cx, cy = v[j], v[j + 1]
        else:
            for j in range(0, len(v), 6):
                seg_kind.append(1)
                ctrl.append((cx, cy, *v[j:j + 6]))
                cx, cy = v[j + 4], v[j + 5]
    if not starts:
        return []
    c = np.asarray(ctrl, float).reshape(-1, 4, 2)
    kind = np.asarray(seg_kind, np.int8)
    n = np.ones(len(kind), np.int64)
    if len(kind) and kind.any():
        dd = np.maximum(np.hypot(*(c[:, 0] - 2 * c[:, 1] + c[:, 2]).T),
                        np.hypot(*(c[:, 1] - 2 * c[:, 2] + c[:, 3]).T))
        steps = np.ceil(np.sqrt(0.75 * dd / flatness_pt))
        n = np.where(kind == 1, np.clip(steps, 1, MAX_SEGMENTS), 1).astype(np.int64)
    seg = np.repeat(np.arange(len(kind)), n)
    first = np.cumsum(n) - n
    t = (np.arange(int(n.sum())) - first[seg] + 1) / n[seg]
    u = 1.0 - t
    w = np.stack([u ** 3, 3 * u * u * t, 3 * u * t * t, t ** 3], axis=1)
    pts = np.einsum("ij,ijk->ik", w, c[seg]) if len(seg) else np.zeros((0, 2))
    bounds = [*[int(first[s]) if s < len(first) else len(pts) for s in starts[1:]], len(pts)]
    out = []
    lo = 0
    for i, hi in enumerate(bounds):
        poly = np.vstack([np.asarray([origin[i]]), pts[lo:hi]])
        out.append((poly, closed[i]))
        lo = hi
    return out


def _grid(points: np.ndarray) -> np.ndarray:
    return np.round(points * SCALE).astype(np.int64)


def dash(points: np.ndarray, pattern: tuple[float, ...], closed: bool) -> list[np.ndarray]:
    """The 'on' pieces of a polyline under a dash pattern (phase 0, restarted per subpath,
    as cairo and PDF apply it).  An odd-length pattern repeats twice, as both do; on a closed
    subpath a dash that is on at the end and at the start is one dash joined at the start."""
    if closed:
        points = np.vstack([points, points[:1]])
    pat = np.asarray(pattern * (2 if len(pattern) % 2 else 1), float)
    if len(points) < 2 or pat.sum() <= 0:
        return [points]
    seg = np.hypot(*np.diff(points, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    total = float(s[-1])
    period = float(pat.sum())
    edges = np.concatenate([[0.0], np.cumsum(pat)])
    pieces = []
    base = 0.0
    while base <= total:  # a dash that starts at the very end is a dot there, as in cairo
        for j in range(0, len(pat), 2):
            a, b = base + edges[j], min(base + edges[j + 1], total)
            if a > total:
                break
            inner = (s > a) & (s < b)
            ends = np.column_stack([np.interp([a, b], s, points[:, 0]),
                                    np.interp([a, b], s, points[:, 1])])
            pieces.append(np.vstack([ends[:1], points[inner], ends[1:]]))
        base += period
    if closed and len(pieces) > 1 and edges[1] > 0 and np.isclose(
            np.hypot(*(pieces[-1][-1] - points[-1])), 0.0):
        # A dash running through the start of a closed subpath is one dash, joined there.
        pieces[0] = np.vstack([pieces.pop(), pieces[0][1:]])
    return pieces


def _dot(x: float, y: float, half: float, cap: str) -> np.ndarray | None:
    """What a zero-length subpath paints: a disc for a round cap, an upright square for a
    square cap, nothing for a butt cap."""
    if cap == "round":
        steps = max(8, math.ceil(math.pi / math.acos(max(1 - FLATNESS_PT / half, -1.0))))
        a = np.linspace(0.0, 2 * math.pi, steps, endpoint=False)
        return np.column_stack([x + half * np.cos(a), y + half * np.sin(a)])
    if cap == "square":
        return np.array([[x - half, y - half], [x + half, y - half], [x + half, y + half],
                         [x - half, y + half]])
    return None


def _sharp(points: np.ndarray, closed: bool) -> np.ndarray:
    """Indices of the vertices whose mitre would pass :data:`MITER_LIMIT` (there cairo and
    PDF bevel the join, where Clipper would square it off further out)."""
    ring = np.vstack([points[-1:], points, points[:1]]) if closed else points
    d = np.diff(ring, axis=0)
    d /= np.maximum(np.hypot(*d.T), 1e-12)[:, None]
    cos_turn = np.clip(np.sum(d[1:] * d[:-1], axis=1), -1.0, 1.0)
    # mitre length / width = 1 / sin(a / 2) for the interior angle a = pi - turn
    sin_half = np.sqrt(np.maximum((1.0 + cos_turn) / 2.0, 0.0))
    idx = np.flatnonzero(sin_half * MITER_LIMIT < 1.0)
    return idx if closed else idx + 1


def _bevelled(points: np.ndarray, closed: bool, sharp: np.ndarray, half: float, cap: str
              ) -> tuple[list[np.ndarray], Region]:
    """A mitred stroke with over-limit joins: the polyline cut at those vertices into pieces
    (stroked with butt ends), and the bevel triangles and square caps that go with them."""
    if closed:  # start at a sharp vertex, so every other join is an ordinary mitre
        k = int(sharp[0])
        points = np.vstack([points[k:], points[:k], points[k:k + 1]])
        sharp = np.concatenate([[0], (sharp[1:] - k) % (len(points) - 1), [len(points) - 1]])
    cuts = sorted({0, len(points) - 1, *sharp.tolist()})
    pieces = [points[a:b + 1] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    extra: Region = []

    def unit(v: np.ndarray) -> np.ndarray:
        return v / max(float(np.hypot(*v)), 1e-12)

    for i in sharp.tolist():
        if 0 < i < len(points) - 1 or closed:
            v = points[i]
            d1 = unit(v - points[i - 1]) if i > 0 else unit(points[-1] - points[-2])
            d2 = unit(points[i + 1] - v) if i < len(points) - 1 else unit(points[1] - points[0])
            side = -1.0 if d1[0] * d2[1] - d1[1] * d2[0] > 0 else 1.0
            n1, n2 = np.array([-d1[1], d1[0]]), np.array([-d2[1], d2[0]])
            extra.append(_grid(np.array([v, v + side * half * n1, v + side * half * n2])))
    if cap == "square" and not closed:
        for end, d in ((points[0], unit(points[0] - points[1])),
                       (points[-1], unit(points[-1] - points[-2]))):
            n = np.array([-d[1], d[0]]) * half
            extra.append(_grid(np.array([end + n, end + n + d * half, end - n + d * half,
                                         end - n])))
    return pieces, extra


def shape_region(shape: Shape) -> Region:
    """The area a shape paints, as a region (fills as they are, strokes as outlines)."""
    import pyclipper

    subpaths = flatten(shape.d)
    if shape.paint == "fill":
        rings = [_grid(p) for p, _ in subpaths if len(p) >= 3]
        return union(rings)
    half = shape.width_pt / 2
    cap = shape.cap
    end = {"butt": pyclipper.ET_OPENBUTT, "round": pyclipper.ET_OPENROUND,
           "square": pyclipper.ET_OPENSQUARE}[cap]
    join = pyclipper.JT_ROUND if cap == "round" else pyclipper.JT_MITER
    off = pyclipper.PyclipperOffset(MITER_LIMIT, FLATNESS_PT * SCALE)
    extra: Region = []  # dots of zero-length dashes, bevels, square caps of cut strokes
    for points, closed in subpaths:
        pieces = dash(points, shape.dash_pt, closed) if shape.dash_pt else [points]
        for piece in pieces:
            grid = _grid(piece)
            keep = np.concatenate([[True], np.any(grid[1:] != grid[:-1], axis=1)])
            grid = grid[keep]
            if len(grid) == 1:
                dot = _dot(float(piece[0][0]), float(piece[0][1]), half, cap)
                if dot is not None:
                    extra.append(_grid(dot))
                continue
            ring = closed and not shape.dash_pt
            if ring and len(grid) > 2 and np.array_equal(grid[0], grid[-1]):
                grid = grid[:-1]
            points = grid / SCALE
            sharp = _sharp(points, ring) if cap != "round" and len(grid) > 2 else np.zeros(0, int)
            if len(sharp):
                pieces_, bevels = _bevelled(points, ring, sharp, half, cap)
                off.AddPaths([_grid(q) for q in pieces_], join, pyclipper.ET_OPENBUTT)
                extra += bevels
            elif ring:
                off.AddPath(grid, join, pyclipper.ET_CLOSEDLINE)
            else:
                off.AddPath(grid, join, end)
    outline = [np.asarray(r, np.int64) for r in off.Execute(half * SCALE)]
    # Turned like Clipper's outer rings, or under the non-zero rule an overlap with the
    # outline would cancel out into a hole.
    extra = [r if area_pt2(r) >= 0 else r[::-1] for r in extra]
    return union(outline + extra) if extra else outline


def _boolean(op: int, a: Region, b: Region) -> Region:
    import pyclipper

    if not a and op != pyclipper.CT_UNION:
        return []
    pc = pyclipper.Pyclipper()
    if a:
        pc.AddPaths(a, pyclipper.PT_SUBJECT, True)
    if b:
        pc.AddPaths(b, pyclipper.PT_CLIP, True)
    return [np.asarray(r, np.int64) for r in
            pc.Execute(op, pyclipper.PFT_NONZERO, pyclipper.PFT_NONZERO)]


def union(a: Region, b: Region | None = None) -> Region:
    """Everything in ``a`` or ``b`` (with one argument: ``a``'s rings merged, non-zero)."""
    import pyclipper

    if not a and not b:
        return []
    return _boolean(pyclipper.CT_UNION, a, b or [])


def difference(a: Region, b: Region) -> Region:
    """What of ``a`` is not in ``b``."""
    import pyclipper

    return _boolean(pyclipper.CT_DIFFERENCE, a, b) if b else a


def intersection(a: Region, b: Region) -> Region:
    """What ``a`` and ``b`` share."""
    import pyclipper

    return _boolean(pyclipper.CT_INTERSECTION, a, b) if a and b else []


def offset(a: Region, delta_pt: float, tolerance_pt: float = FLATNESS_PT) -> Region:
    """Grow (``delta_pt`` > 0) or shrink the region by a disc: the Minkowski sum with, or the
    erosion by, a disc of that radius (round joins; arcs within ``tolerance_pt``).

    Islands are shrunk one by one (they stay apart, so their results only need putting
    side by side), which keeps Clipper's sweep short on a page of type: ten times quicker
    than one call.  Islands too narrow to hold the disc (the bounding box thinner than its
    diameter) are skipped, since the erosion would remove them.  A large growth is also done
    island by island, then merged.
    """
    if not a or delta_pt == 0:
        return a
    if delta_pt < 0:
        return erode(components(a), -delta_pt, tolerance_pt)
    if delta_pt >= ISLAND_GROWTH_PT:
        return union([r for comp in components(a) for r in _offset(comp, delta_pt, tolerance_pt)])
    return _offset(a, delta_pt, tolerance_pt)


def erode(islands: list[Region], radius_pt: float, tolerance_pt: float = FLATNESS_PT) -> Region:
    """:func:`offset` by ``-radius_pt`` of a region already cut into its :func:`components`."""
    return [r for comp in islands if _fits(comp, 2 * radius_pt)
            for r in _offset(comp, -radius_pt, tolerance_pt)]


#: Growths at least this large go island by island (for smaller ones one call is quicker).
ISLAND_GROWTH_PT = 1.0


def _offset(a: Region, delta_pt: float, tolerance_pt: float) -> Region:
    import pyclipper

    off = pyclipper.PyclipperOffset(MITER_LIMIT, tolerance_pt * SCALE)
    off.AddPaths(a, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return [np.asarray(r, np.int64) for r in off.Execute(delta_pt * SCALE)]


def _fits(comp: Region, size_pt: float) -> bool:
    lo, hi = comp[0].min(axis=0), comp[0].max(axis=0)
    return bool(min(hi - lo) > size_pt * SCALE)


def components(a: Region) -> list[Region]:
    """The islands of a region, each its outer ring followed by its holes (an island inside
    a hole is an island of its own)."""
    import pyclipper

    if not a:
        return []
    pc = pyclipper.Pyclipper()
    pc.AddPaths(a, pyclipper.PT_SUBJECT, True)
    tree = pc.Execute2(pyclipper.CT_UNION, pyclipper.PFT_NONZERO, pyclipper.PFT_NONZERO)
    out: list[Region] = []
    stack = list(tree.Childs)
    while stack:
        node = stack.pop()
        out.append([np.asarray(node.Contour, np.int64),
                    *(np.asarray(h.Contour, np.int64) for h in node.Childs)])
        stack += [g for h in node.Childs for g in h.Childs]
    return out


def opening(a: Region, radius_pt: float, tolerance_pt: float = FLATNESS_PT) -> Region:
    """The parts of the region a disc of the radius can reach (erode, then dilate)."""
    return offset(offset(a, -radius_pt, tolerance_pt), radius_pt, tolerance_pt)


def area_pt2(ring: np.ndarray) -> float:
    """Signed area of a ring in square points (positive for outer rings)."""
    x, y = ring[:, 0].astype(np.float64), ring[:, 1].astype(np.float64)
    return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2 / SCALE ** 2


def drop_small(a: Region, min_area_pt2: float) -> Region:
    """The region without its islands smaller than ``min_area_pt2`` (an island's area is its
    outer ring's less its holes'); holes of kept islands are kept."""
    if not a or min_area_pt2 <= 0:
        return a
    return [r for comp in components(a)
            if sum(abs(area_pt2(r)) * (1 if i == 0 else -1) for i, r in enumerate(comp))
            >= min_area_pt2 for r in comp]


def total_area_pt2(a: Region) -> float:
    """The region's area in square points."""
    return sum(area_pt2(r) for r in a)


def bounds_pt(a: Region) -> tuple[float, float, float, float] | None:
    """The region's bounding box in points, or None when it is empty."""
    if not a:
        return None
    pts = np.vstack(a)
    lo, hi = pts.min(axis=0) / SCALE, pts.max(axis=0) / SCALE
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def region_path(a: Region) -> str:
    """The region as an ``M/L/Z`` path string (points, two decimals), for the writers."""
    parts = []
    for ring in a:
        xy = ring / SCALE
        coords = [f"{fmt(x)} {fmt(y)}" for x, y in xy.tolist()]
        parts.append("M" + "L".join(coords) + "Z")
    return "".join(parts)
