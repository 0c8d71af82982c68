"""Regions: boolean algebra and offsets of polygons on Clipper's integer grid.

Polygons live on an integer grid of :data:`SCALE` units per point (what Clipper computes on),
so every boolean operation and offset is exact and repeatable: same shapes, same polygons, same
bytes.  A *region* is a list of closed integer rings (``(n, 2)`` int64 arrays, outer rings
counter-clockwise in y-down page space and holes the other way, as Clipper returns them) read
with the non-zero rule.  A *clean* region's rings do not cross (:mod:`teeprint.separate.boxes`):
every function here returns one, and :func:`union` and :func:`difference` take advantage of it.
"""

from __future__ import annotations

from itertools import accumulate, chain

import numpy as np

from teeprint.separate import boxes

#: Integer grid units per point: 0.001 pt, far below a film's pixel (0.24 pt at 300 dpi).
SCALE = 1000
#: Largest distance between a curve and its flattened polyline, and between an arc and the
#: polygon an offset puts in its place: a tenth of the finest choke (0.25 pt) and of a film
#: pixel at 300 dpi.  Every boolean operation and offset costs in proportion to the points,
#: and 0.01 pt would double them for a difference no film shows.
FLATNESS_PT = 0.025
#: Same as the raster and PDF writers: a mitre longer than 4 x half the width is cut off.
MITER_LIMIT = 4.0

Region = list[np.ndarray]

def rings(paths: list[list[list[int]]]) -> Region:
    """Clipper's nested lists as int64 rings, read in one pass (twice as quick as one
    array per ring)."""
    if not paths:
        return []
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(paths)), np.int64).reshape(-1, 2)
    if len(paths) == 1:
        return [flat]
    cuts = list(accumulate(map(len, paths), initial=0))
    return [flat[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]  # views: no copies


def _boolean(op: int, a: Region, b: Region) -> Region:
    import pyclipper

    if not a and op != pyclipper.CT_UNION:
        return []
    pc = pyclipper.Pyclipper()
    if a:
        pc.AddPaths(a, pyclipper.PT_SUBJECT, True)
    if b:
        pc.AddPaths(b, pyclipper.PT_CLIP, True)
    return rings(pc.Execute(op, pyclipper.PFT_NONZERO, pyclipper.PFT_NONZERO))


def union(a: Region, b: Region | None = None) -> Region:
    """Everything in ``a`` or ``b`` (with one argument: ``a``'s rings merged, non-zero).

    With two clean regions (see :mod:`teeprint.separate.boxes`), only the rings of either
    whose boxes meet the other's go through Clipper; the rest are kept as they are, and the
    result is clean."""
    import pyclipper

    if b is None:
        return _boolean(pyclipper.CT_UNION, a, []) if a else []
    if not a or not b:
        return a or b
    near_a, near_b = boxes.meeting_either(a, b)
    if not near_a.any():
        return a + b
    if near_a.all() and near_b.all():
        return _boolean(pyclipper.CT_UNION, a, b)
    return _boolean(pyclipper.CT_UNION, _pick(a, near_a), _pick(b, near_b)) + _pick(
        a, ~near_a) + _pick(b, ~near_b)


def _pick(a: Region, which: np.ndarray) -> Region:
    return [r for r, keep in zip(a, which, strict=True) if keep]


def difference(a: Region, b: Region) -> Region:
    """What of ``a`` (a clean region) is not in ``b`` (any rings, non-zero).

    Only the rings whose boxes meet (:mod:`teeprint.separate.boxes`) go through Clipper; the
    other rings of ``a`` are kept as they are, and the result is clean."""
    import pyclipper

    if not a or not b:
        return a
    near_a, near_b = boxes.meeting_either(a, b)
    if not near_a.any():
        return a
    b = _pick(b, near_b)
    if near_a.all():
        return _boolean(pyclipper.CT_DIFFERENCE, a, b)
    return _boolean(pyclipper.CT_DIFFERENCE, _pick(a, near_a), b) + _pick(a, ~near_a)


def intersection(a: Region, b: Region) -> Region:
    """What ``a`` and ``b`` share (any rings, non-zero: only those whose boxes meet go
    through Clipper)."""
    import pyclipper

    if not a or not b:
        return []
    near_a, near_b = boxes.meeting_either(a, b)
    if not near_a.any():
        return []
    return _boolean(pyclipper.CT_INTERSECTION, _pick(a, near_a), _pick(b, near_b))


def offset(a: Region, delta_pt: float, tolerance_pt: float | None = None) -> Region:
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


def erode(islands: list[Region], radius_pt: float, tolerance_pt: float | None = None) -> Region:
    """:func:`offset` by ``-radius_pt`` of a region already cut into its :func:`components`."""
    return [r for comp in islands if _fits(comp, 2 * radius_pt)
            for r in _erode_island(comp, radius_pt, tolerance_pt)]


#: An island with more holes than this (a grid, a mesh of hatching) is eroded as its outer
#: ring's erosion less its holes grown one by one: Clipper's offset of a polygon with
#: hundreds of holes is slow (0.8 s against 0.24 s on a 720-hole grid).
MANY_HOLES = 16


def _erode_island(comp: Region, radius_pt: float, tolerance_pt: float | None) -> Region:
    if len(comp) <= MANY_HOLES + 1:
        return _offset(comp, -radius_pt, tolerance_pt)
    import pyclipper

    outer = _offset(comp[:1], -radius_pt, tolerance_pt)
    if not outer:
        return []
    grown = [r for hole in comp[1:] for r in _offset([hole[::-1]], radius_pt, tolerance_pt)]
    return _boolean(pyclipper.CT_DIFFERENCE, outer, grown)


def erode_open(islands: list[Region], radius_pt: float, half_pt: float,
               tolerance_pt: float | None = None) -> Region:
    """``offset(erode(islands, radius_pt + half_pt), half_pt)``: the erosion with what is
    thinner than ``2 half_pt`` left out, island by island.  What an island leaves lies inside
    its own erosion by ``radius_pt``, so the islands' results stay apart and are put side by
    side: many short offsets instead of one long sweep over the page."""
    out: Region = []
    for comp in islands:
        if _fits(comp, 2 * (radius_pt + half_pt)):
            core = _erode_island(comp, radius_pt + half_pt, tolerance_pt)
            out += _offset(core, half_pt, tolerance_pt) if core and half_pt > 0 else core
    return out


#: Growths at least this large go island by island (for smaller ones one call is quicker).
ISLAND_GROWTH_PT = 1.0


def _offset(a: Region, delta_pt: float, tolerance_pt: float | None) -> Region:
    import pyclipper

    off = pyclipper.PyclipperOffset(MITER_LIMIT, (tolerance_pt or FLATNESS_PT) * SCALE)
    off.AddPaths(a, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return rings(off.Execute(delta_pt * SCALE))


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
    """The region as an ``M/L/Z`` path string (points, two decimals, no trailing zeros)."""
    if not a:
        return ""
    from teeprint.artwork import format_numbers

    # One C-level format of all coordinates (a few hundred thousand on a page of type).
    template = "".join("M" + "L".join(["%.2f %.2f"] * len(ring)) + "Z" for ring in a)
    return format_numbers(template, (np.vstack(a) / SCALE).ravel().tolist())
