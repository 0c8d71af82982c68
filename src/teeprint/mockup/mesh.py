"""The tee's pattern as a triangle mesh: the outline flattened from its path data, a
triangular lattice inside it, Delaunay-triangulated, with the edges and bending pairs the
cloth solver needs."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

#: Target edge length of the pattern mesh, inches.
MESH_SPACING_IN = 0.36

_TOKEN = re.compile(r"[MLCZ]|-?\d+(?:\.\d+)?")


def flatten_path(d: str, pt_per_unit: float = 72.0, steps: int = 12) -> np.ndarray:
    """The first subpath of M/L/C/Z path data as a polyline (n, 2), in ``d``'s units divided
    by ``pt_per_unit`` (inches for garment paths written in points)."""
    tokens = _TOKEN.findall(d)
    pts: list[tuple[float, float]] = []
    i = 0
    cmd = ""
    t = np.linspace(0.0, 1.0, steps + 1)[1:, None]
    while i < len(tokens):
        tok = tokens[i]
        if tok in "MLCZ":
            cmd = tok
            i += 1
            if cmd == "Z":
                if pts:
                    break
                continue
            if cmd == "M" and pts:
                break
            continue
        if cmd in "ML":
            pts.append((float(tokens[i]), float(tokens[i + 1])))
            i += 2
        elif cmd == "C":
            c = np.array([float(v) for v in tokens[i:i + 6]]).reshape(3, 2)
            p0 = np.array(pts[-1])
            curve = ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * c[0]
                     + 3 * (1 - t) * t ** 2 * c[1] + t ** 3 * c[2])
            pts.extend((float(x), float(y)) for x, y in curve)
            i += 6
        else:
            msg = f"path data does not start with a move: {d[:40]!r}"
            raise ValueError(msg)
    poly = np.array(pts, float) / pt_per_unit
    if len(poly) > 1 and np.allclose(poly[0], poly[-1]):
        poly = poly[:-1]
    return poly


def inside_polygon(points: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd test of (n, 2) points against a closed polygon (m, 2)."""
    x, y = points[:, 0:1], points[:, 1:2]
    ax, ay = poly[:, 0][None, :], poly[:, 1][None, :]
    bx, by = np.roll(poly[:, 0], -1)[None, :], np.roll(poly[:, 1], -1)[None, :]
    crosses = (ay > y) != (by > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = ax + (y - ay) * (bx - ax) / (by - ay)
    return (np.count_nonzero(crosses & (x < xc), axis=1) % 2) == 1


def _distance_to_polyline(points: np.ndarray, poly: np.ndarray) -> np.ndarray:
    a = poly[None, :, :]
    b = np.roll(poly, -1, axis=0)[None, :, :]
    p = points[:, None, :]
    ab = b - a
    t = np.clip(((p - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0.0, 1.0)
    q = a + ab * t[..., None]
    return np.sqrt(((p - q) ** 2).sum(-1)).min(axis=1)


def resample_polygon(poly: np.ndarray, spacing: float) -> np.ndarray:
    """Points every ``spacing`` along a closed polygon."""
    closed = np.vstack([poly, poly[:1]])
    seg = np.hypot(*np.diff(closed, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(8, int(round(s[-1] / spacing)))
    at = np.linspace(0.0, s[-1], n, endpoint=False)
    return np.column_stack([np.interp(at, s, closed[:, 0]), np.interp(at, s, closed[:, 1])])


@dataclass(frozen=True, eq=False)
class Mesh:
    """The pattern triangulated: rest positions (pattern inches), triangles, edges, bends."""

    rest: np.ndarray  # float64 (n, 2)
    tris: np.ndarray  # int32 (t, 3)
    edges: np.ndarray  # int32 (e, 2)
    bends: np.ndarray  # int32 (b, 2), far corners of the two triangles of an interior edge
    boundary: np.ndarray  # bool (n,), on the outline


def pattern_mesh(poly: np.ndarray, spacing: float = MESH_SPACING_IN) -> Mesh:
    """Triangulate a pattern outline: a jittered-free triangular lattice inside, the outline
    sampled at the same spacing, Delaunay, triangles outside the outline dropped."""
    from scipy.spatial import Delaunay

    border = resample_polygon(poly, spacing)
    x0, y0 = poly.min(axis=0)
    x1, y1 = poly.max(axis=0)
    dy = spacing * np.sqrt(3) / 2
    rows = np.arange(y0, y1 + dy, dy)
    lattice = []
    for k, y in enumerate(rows):
        xs = np.arange(x0 + (spacing / 2 if k % 2 else 0.0), x1 + spacing, spacing)
        lattice.append(np.column_stack([xs, np.full_like(xs, y)]))
    grid = np.vstack(lattice)
    keep = inside_polygon(grid, poly)
    grid = grid[keep]
    grid = grid[_distance_to_polyline(grid, poly) > 0.55 * spacing]
    rest = np.vstack([border, grid])
    tri = Delaunay(rest)
    tris = tri.simplices.astype(np.int32)
    centroids = rest[tris].mean(axis=1)
    a, b, c = (rest[tris[:, k]] for k in range(3))
    area = 0.5 * np.abs((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])
    # Outside the outline, or a sliver across three nearly collinear outline points.
    tris = tris[inside_polygon(centroids, poly) & (area > 0.02 * spacing * spacing)]
    used = np.unique(tris)
    remap = np.full(len(rest), -1, np.int64)
    remap[used] = np.arange(len(used))
    rest = rest[used]
    tris = remap[tris].astype(np.int32)
    boundary = np.zeros(len(rest), bool)
    boundary[remap[np.arange(len(border))][remap[np.arange(len(border))] >= 0]] = True
    # Edges, and for each interior edge the two corners facing it (a bending spring).
    half = np.concatenate([tris[:, [0, 1, 2]], tris[:, [1, 2, 0]], tris[:, [2, 0, 1]]])
    a, b, opp = half[:, 0], half[:, 1], half[:, 2]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo.astype(np.int64) * len(rest) + hi
    order = np.argsort(key, kind="stable")
    key, lo, hi, opp = key[order], lo[order], hi[order], opp[order]
    first = np.ones(len(key), bool)
    first[1:] = key[1:] != key[:-1]
    edges = np.column_stack([lo[first], hi[first]]).astype(np.int32)
    pair = np.flatnonzero(~first)
    bends = np.column_stack([opp[pair - 1], opp[pair]]).astype(np.int32)
    return Mesh(rest, tris, edges, bends, boundary)
