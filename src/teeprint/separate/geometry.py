"""Painted shapes as polygons: flattening and stroke outlines.

The underbase is computed on the geometry the inks print, not on pixels, so it can be written
to the PDF as vector paths and rasterised for the film from the very same polygons.  Paths are
flattened to polylines within :data:`teeprint.separate.regions.FLATNESS_PT`; strokes become
their outlines at their real width with their caps, joins (round with round caps, else mitred
up to the artwork's miter limit) and dashes; fills keep the non-zero winding rule every writer
uses.  The outlines are regions (:mod:`teeprint.separate.regions`, whose boolean algebra and
offsets are re-exported here).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from teeprint.artwork import PATH_TOKENS
from teeprint.separate import regions
from teeprint.separate.regions import (
    MITER_LIMIT,
    SCALE,
    Region,
    area_pt2,
    bounds_pt,
    components,
    difference,
    drop_small,
    erode,
    erode_open,
    intersection,
    offset,
    region_path,
    total_area_pt2,
    union,
)

if TYPE_CHECKING:
    from teeprint.artwork import Shape

__all__ = [
    "MITER_LIMIT",
    "Region",
    "SCALE",
    "area_pt2",
    "bounds_pt",
    "components",
    "dash",
    "difference",
    "drop_small",
    "erode",
    "erode_open",
    "flatten",
    "intersection",
    "offset",
    "region_path",
    "shape_region",
    "total_area_pt2",
    "union",
]

#: Most segments one cubic is cut into (a 0.01 pt tolerance needs far fewer on any glyph).
MAX_SEGMENTS = 256


_CODES = {"M": 0, "L": 1, "C": 2, "Z": 3}


def _segments(d: str) -> tuple[np.ndarray, np.ndarray, list[int], list[bool], np.ndarray] | None:
    """A path's segments as control points ``(n, 4, 2)`` (a line repeats its ends), their kinds
    (0 line, 1 cubic), the first segment of each subpath, whether it is closed, and its start
    point; None when the path has no subpath.

    The numbers are read in one pass and the segments are put together with array indexing:
    each segment starts at the point written before it, or, right after a ``Z``, at the start
    of the subpath that ``Z`` closed.
    """
    tokens = PATH_TOKENS.findall(d)
    code = np.array([_CODES[op] for op, _ in tokens], np.int64)
    counts = np.array([len(args.split()) for _, args in tokens], np.int64)
    per_op = np.array([2, 2, 6, 0])[code] if len(code) else np.zeros(0, np.int64)
    if (counts % np.maximum(per_op, 1)).any() or ((counts == 0) != (code == 3)).any():
        msg = f"malformed path data: {d[:60]!r}"
        raise ValueError(msg)
    if not (code == 0).any():
        return None
    if code[0] != 0:
        msg = f"path data must start with a move: {d[:60]!r}"
        raise ValueError(msg)
    pts = np.fromstring(" ".join(args for _, args in tokens), np.float64, sep=" ").reshape(-1, 2)
    n_pts = counts // 2
    owner = np.repeat(np.arange(len(code)), n_pts)  # the token of each point
    pos = np.arange(len(pts)) - (np.cumsum(n_pts) - n_pts)[owner]  # its place in the token
    op = code[owner]
    is_start = (op == 0) & (pos == 0)
    anchors = np.flatnonzero(((op == 0) & (pos > 0)) | (op == 1) | ((op == 2) & (pos % 3 == 0)))
    cubic = op[anchors] == 2
    # Where each point's segment starts: the point before it, except for the first point of
    # a token that follows a Z, which starts at the start of the closed subpath.
    idx = np.arange(len(pts))
    start_of = np.maximum.accumulate(np.where(is_start, idx, 0))
    prev = idx - 1
    after_z = np.flatnonzero((code[1:] != 0) & (code[:-1] == 3)) + 1
    firsts = (np.cumsum(n_pts) - n_pts)[after_z]
    prev[firsts] = start_of[firsts]
    p0 = pts[prev[anchors]]
    last = len(pts) - 1
    c1 = np.where(cubic[:, None], pts[anchors], p0)
    c2 = np.where(cubic[:, None], pts[np.minimum(anchors + 1, last)], pts[anchors])
    p3 = np.where(cubic[:, None], pts[np.minimum(anchors + 2, last)], pts[anchors])
    c = np.stack([p0, c1, c2, p3], axis=1)
    begins = np.flatnonzero(is_start)
    starts = np.searchsorted(anchors, begins).tolist()
    # A Z closes the subpath of the last move before it.
    z_tokens = np.flatnonzero(code == 3)
    move_tokens = np.flatnonzero(code == 0)
    closed = np.zeros(len(begins), bool)
    closed[np.searchsorted(move_tokens, z_tokens, side="right") - 1] = True
    return c, cubic.astype(np.int8), starts, closed.tolist(), pts[begins]


def flatten(d: str, flatness_pt: float | None = None) -> list[tuple[np.ndarray, bool]]:
    """The subpaths of an ``M/L/C/Z`` path as polylines ``(points (n, 2) float, closed)``.

    A cubic is cut into ``n`` equal parameter steps with ``n = ceil(sqrt(0.75 M / tol))``,
    ``M`` the larger second difference of its control points, which bounds the distance from
    the curve to its chords by ``tol``: the chord error of ``n`` uniform steps is at most
    ``max|B''| / (8 n^2)`` and ``|B''| <= 6 M``.  All cubics of
    the path are evaluated in one numpy pass.
    """
    parsed = _segments(d)
    if parsed is None:
        return []
    c, kind, starts, closed, origin = parsed
    n = np.ones(len(kind), np.int64)
    if len(kind) and kind.any():
        dd = np.maximum(np.hypot(*(c[:, 0] - 2 * c[:, 1] + c[:, 2]).T),
                        np.hypot(*(c[:, 1] - 2 * c[:, 2] + c[:, 3]).T))
        steps = np.ceil(np.sqrt(0.75 * dd / (flatness_pt or regions.FLATNESS_PT)))
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
        tol = regions.FLATNESS_PT
        steps = max(8, math.ceil(math.pi / math.acos(max(1 - tol / half, -1.0))))
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
    # Each piece is outlined on its own and the outlines merged in one union at the end:
    # Clipper's offset of many overlapping pieces at once (a bundle of trajectories) merges
    # them far more slowly (24 s against 0.3 s on one such path of 500 closed curves).
    outlines: Region = []
    extra: Region = []  # dots of zero-length dashes, bevels, square caps of cut strokes
    delta = half * SCALE

    def outline(paths: list[np.ndarray], end_type: int) -> None:
        off = pyclipper.PyclipperOffset(MITER_LIMIT, regions.FLATNESS_PT * SCALE)
        off.AddPaths(paths, join, end_type)
        outlines.extend(regions.rings(off.Execute(delta)))

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
                outline([_grid(q) for q in pieces_], pyclipper.ET_OPENBUTT)
                extra += bevels
            else:
                outline([grid], pyclipper.ET_CLOSEDLINE if ring else end)
    # Turned like Clipper's outer rings, or under the non-zero rule an overlap with the
    # outline would cancel out into a hole.
    extra = [r if area_pt2(r) >= 0 else r[::-1] for r in extra]
    if len(subpaths) == 1 and not shape.dash_pt and not extra:
        return outlines  # one outline: Clipper merged it already
    return union(outlines + extra)


