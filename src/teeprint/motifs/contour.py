"""The trajectory-on-contour engine: a plane of parameters, engraved like a survey map.

Layers, drawn bottom to top: a stipple that darkens the low basins of the first surface,
hairline contour lines of one or more surfaces (marching squares, written here in numpy),
point clouds, straight or polyline paths (optimiser runs, decision boundaries) with dot or
arrowhead markers and start/end marks, labelled marks (minima, solutions) and value
annotations.  Every layer names its arrays, so a new concept on a plane is a TOML entry.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, Cap, PathBuilder, Shape, fill, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.axes import Scale, frame_axes
from teeprint.motifs.style import GHOST_TINT, HAIR_PT, HATCH_TINT, MEDIUM_PT, THIN_PT, TICK_PT
from teeprint.recipes import FigureData, Params

if TYPE_CHECKING:
    from teeprint.typeset import Typesetter

Style = Literal["accent", "solid", "ghost", "dashed"]

_SAMPLE_W = 38.0
_KEY_GAP = 34.0
_ROW_H = 24.0

# -- marching squares ---------------------------------------------------------------------------------

# Cell corners: bit 0 bottom-left (j, i), bit 1 bottom-right (j, i+1), bit 2 top-right
# (j+1, i+1), bit 3 top-left (j+1, i).  Edges: 0 bottom, 1 right, 2 top, 3 left.
_SEGMENTS: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((3, 0),), 2: ((0, 1),), 3: ((3, 1),), 4: ((1, 2),), 6: ((0, 2),), 7: ((3, 2),),
    8: ((2, 3),), 9: ((2, 0),), 11: ((2, 1),), 12: ((1, 3),), 13: ((1, 0),), 14: ((0, 3),),
}
# Saddles: which pairing depends on whether the cell centre is above the level.
_SADDLE = {(5, False): ((3, 0), (1, 2)), (5, True): ((3, 2), (1, 0)),
           (10, False): ((0, 1), (2, 3)), (10, True): ((0, 3), (2, 1))}


def contour_lines(z: np.ndarray, level: float) -> list[np.ndarray]:
    """Polylines (in fractional grid indices, columns x=i and y=j) where ``z`` crosses ``level``.

    Classic marching squares with the saddle cells resolved by the cell-centre mean, and the
    per-cell segments chained into maximal polylines through their shared edge crossings, so
    each contour is one smooth stroke rather than hundreds of loose dashes.
    """
    z = np.asarray(z, float)
    ny, nx = z.shape
    above = np.where(np.isfinite(z), z > level, False)
    code = (above[:-1, :-1] * 1 + above[:-1, 1:] * 2 + above[1:, 1:] * 4 + above[1:, :-1] * 8)
    js, is_ = np.nonzero((code > 0) & (code < 15))
    h_base = ny * nx

    def edge_id(j: int, i: int, e: int) -> int:
        if e == 0:
            return j * nx + i
        if e == 2:
            return (j + 1) * nx + i
        if e == 3:
            return h_base + j * nx + i
        return h_base + j * nx + i + 1

    segs: list[tuple[int, int]] = []
    for j, i in zip(js.tolist(), is_.tolist(), strict=True):
        c = int(code[j, i])
        pairs: tuple[tuple[int, int], ...]
        if c in (5, 10):
            centre = 0.25 * (z[j, i] + z[j, i + 1] + z[j + 1, i + 1] + z[j + 1, i]) > level
            pairs = _SADDLE[(c, bool(centre))]
        else:
            pairs = _SEGMENTS[c]
        for a, b in pairs:
            segs.append((edge_id(j, i, a), edge_id(j, i, b)))
    if not segs:
        return []

    def point(eid: int) -> tuple[float, float]:
        if eid < h_base:
            j, i = divmod(eid, nx)
            z0, z1 = z[j, i], z[j, i + 1]
            t = (level - z0) / (z1 - z0) if z1 != z0 else 0.5
            return (i + t, float(j))
        j, i = divmod(eid - h_base, nx)
        z0, z1 = z[j, i], z[j + 1, i]
        t = (level - z0) / (z1 - z0) if z1 != z0 else 0.5
        return (float(i), j + t)

    touching: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(segs):
        touching.setdefault(a, []).append(k)
        touching.setdefault(b, []).append(k)
    used = [False] * len(segs)

    def walk(seg: int, frm: int) -> list[int]:
        """Follow the chain from edge ``frm`` through segment ``seg``; edge ids in order."""
        chain = []
        cur_seg, cur_edge = seg, frm
        while True:
            used[cur_seg] = True
            a, b = segs[cur_seg]
            nxt = b if a == cur_edge else a
            chain.append(nxt)
            following = [s for s in touching[nxt] if not used[s]]
            if not following:
                return chain
            cur_seg, cur_edge = following[0], nxt

    lines = []
    for k in range(len(segs)):
        if used[k]:
            continue
        a, _ = segs[k]
        forward = walk(k, a)
        back_seg = [s for s in touching[a] if not used[s]]
        backward = walk(back_seg[0], a) if back_seg else []
        edges = backward[::-1] + [a] + forward
        lines.append(np.array([point(e) for e in edges], float))
    return lines


def choose_levels(z: np.ndarray, count: int, spacing: str, lo: float | None,
                  hi: float | None) -> np.ndarray:
    """Contour levels: evenly in value, in log value, in square root, or in quantiles of z.

    Quantile levels follow the surface's own distribution, so a loss that spans decades (a
    valley floor and towering walls) still gets lines where the eye looks.
    """
    v = np.asarray(z, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.array([])
    zlo = float(v.min()) if lo is None else lo
    zhi = float(np.quantile(v, 0.98)) if hi is None else hi
    if spacing == "quantile":
        qs = np.linspace(0.0, 1.0, count + 2)[1:-1]
        inside = v[(v >= zlo) & (v <= zhi)]
        levels = np.quantile(inside if inside.size else v, qs)
    elif spacing == "log":
        floor = max(zlo, zhi * 1e-6) if zlo > 0 else zhi * 1e-4
        levels = np.geomspace(floor, zhi, count + 1)[1:] if zhi > 0 else np.array([])
    elif spacing == "sqrt":
        levels = zlo + (zhi - zlo) * np.linspace(0.0, 1.0, count + 1)[1:] ** 2
    else:
        levels = np.linspace(zlo, zhi, count + 2)[1:-1]
    return np.unique(levels)


# -- parameters ---------------------------------------------------------------------------------------


class Surface(Params):
    """A scalar field on the grid, drawn as contour lines."""

    z: str
    levels: int = Field(14, ge=1, le=60)
    spacing: Literal["linear", "log", "sqrt", "quantile"] = "quantile"
    z_min: float | None = None
    z_max: float | None = None
    style: Literal["solid", "dashed", "accent"] = "solid"
    index_every: int = Field(4, ge=0, le=20, description="every n-th line is drawn heavier (0: none)")
    stipple: bool = False
    label: str = Field("", max_length=60)


class PathLayer(Params):
    """Paths from an array of shape (T, 2) or (S, T, 2) (S runs of T points)."""

    xy: str
    label: str = Field("", max_length=60)
    style: Style = "solid"
    marker: Literal["none", "dots", "arrows", "head"] = Field(
        "dots", description="head: one arrowhead at each run's last point (quivers, streamlets)")
    every: int = Field(1, ge=1, le=10000, description="dots: every n-th iterate gets a dot")
    arrow_gap_pt: float = Field(110.0, ge=30.0, le=1000.0)
    arrows_on: Literal["all", "first", "last"] = Field("all", description="which runs carry arrowheads")
    ends: bool = True
    fade: bool = False
    accent_last: bool = False
    annotate: str | None = Field(None, description="array of per-point values, same leading shape as xy")
    annotate_at: tuple[Literal["start", "end", "max"], ...] = ("start", "end")
    annotate_format: str = Field("{:.1f}", max_length=40)
    annotate_place: tuple[Literal["above", "below", "left", "right"], ...] = Field(
        ("right",), min_length=1, max_length=3, description="label side per annotate_at entry")


class PointLayer(Params):
    """A cloud of points, shape (N, 2)."""

    xy: str
    label: str = Field("", max_length=60)
    shape: Literal["dot", "ring", "cross", "square"] = "dot"
    size_pt: float = Field(2.6, ge=1.2, le=20.0, description="radius or half-size of each glyph")
    role: Literal["ink", "accent"] = "ink"
    tint: float = Field(1.0, ge=0.3, le=1.0)


class Mark(Params):
    """Named positions, shape (M, 2), each with a label."""

    xy: str
    labels: tuple[str, ...] = ()
    shape: Literal["ring", "star", "cross", "dot"] = "ring"
    role: Literal["ink", "accent"] = "ink"
    place: tuple[Literal["above", "below", "left", "right"], ...] = Field(
        ("right",), min_length=1, max_length=12, description="label side per mark, the last repeats")


LegendLayer = Surface | PathLayer | PointLayer


class ContourParams(Params):
    """Which arrays make the plane, and how each layer is drawn."""

    x: str = Field("grid_x", description="1-D grid coordinates along x")
    y: str = Field("grid_y", description="1-D grid coordinates along y")
    extent: tuple[float, float, float, float] | None = Field(
        None, description="(x0, x1, y0, y1) to show; default: the grid's range")
    surfaces: tuple[Surface, ...] = Field((), max_length=4)
    paths: tuple[PathLayer, ...] = Field((), max_length=8)
    points: tuple[PointLayer, ...] = Field((), max_length=6)
    marks: tuple[Mark, ...] = Field((), max_length=6)
    equal_aspect: bool = False
    x_label: str = Field("", max_length=60)
    y_label: str = Field("", max_length=60)
    legend: Literal["below", "none"] = "below"
    stipple_dots: int = Field(2600, ge=0, le=20000)

    @model_validator(mode="after")
    def _check(self) -> ContourParams:
        if self.extent is not None:
            x0, x1, y0, y1 = self.extent
            if not (x1 > x0 and y1 > y0):
                msg = "extent must be (x0, x1, y0, y1) with x1 > x0 and y1 > y0"
                raise ValueError(msg)
        return self


# -- drawing helpers ------------------------------------------------------------------------------------


def _array(data: FigureData, name: str, where: str) -> np.ndarray:
    try:
        return np.asarray(data[name], float)
    except KeyError:
        known = ", ".join(sorted(data.arrays))
        msg = f"trajectory-contour: {where} names array {name!r}, which the recipe does not make; known: {known}"
        raise TeeprintError(msg) from None


def clip_polyline(px: np.ndarray, py: np.ndarray, box: Box) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut a polyline (in points) to the pieces inside ``box`` (Liang-Barsky per segment).

    NaN points break the line.  Pieces are returned in order, each with at least two points.
    """
    pieces: list[tuple[list[float], list[float]]] = []
    cur: tuple[list[float], list[float]] | None = None
    n = len(px)
    for k in range(n - 1):
        x0, y0, x1, y1 = float(px[k]), float(py[k]), float(px[k + 1]), float(py[k + 1])
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
            cur = None
            continue
        dx, dy = x1 - x0, y1 - y0
        t0, t1 = 0.0, 1.0
        ok = True
        for p, q in ((-dx, x0 - box.x), (dx, box.right - x0), (-dy, y0 - box.y), (dy, box.bottom - y0)):
            if p == 0:
                if q < 0:
                    ok = False
                    break
                continue
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
            if t0 > t1:
                ok = False
                break
        if not ok:
            cur = None
            continue
        ax, ay = x0 + t0 * dx, y0 + t0 * dy
        bx, by = x0 + t1 * dx, y0 + t1 * dy
        if cur is None or t0 > 0.0:
            cur = ([ax], [ay])
            pieces.append(cur)
        cur[0].append(bx)
        cur[1].append(by)
        if t1 < 1.0:
            cur = None
    return [(np.array(a), np.array(b)) for a, b in pieces if len(a) >= 2]


def _thin(px: np.ndarray, py: np.ndarray, min_pt: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """Drop points closer than ``min_pt`` to the last kept one (keeps the last point)."""
    keep = [0]
    lx, ly = px[0], py[0]
    for k in range(1, len(px)):
        if abs(px[k] - lx) + abs(py[k] - ly) >= min_pt or k == len(px) - 1:
            keep.append(k)
            lx, ly = px[k], py[k]
    return px[keep], py[keep]


def _style_stroke(path: PathBuilder, style: Style, tint: float = 1.0) -> Shape:
    if style == "accent":
        return stroke(path, MEDIUM_PT, "accent")
    if style == "dashed":
        return stroke(path, THIN_PT, "ink", tint, cap="butt", dash_pt=(9.0, 6.0))
    if style == "ghost":
        return stroke(path, HAIR_PT, "ink", max(GHOST_TINT, tint * GHOST_TINT))
    return stroke(path, THIN_PT, "ink", tint)


def _glyph(shape: str, x: float, y: float, r: float) -> tuple[PathBuilder, bool]:
    """A point glyph; returns the path and whether it is stroked (True) or filled."""
    if shape == "dot":
        return PathBuilder().circle(x, y, r), False
    if shape == "ring":
        return PathBuilder().circle(x, y, r), True
    if shape == "square":
        return PathBuilder().rect(x - r, y - r, 2 * r, 2 * r), False
    if shape == "star":  # a four-pointed engraver's star
        b = PathBuilder().move(x, y - 2.2 * r)
        for k in range(1, 8):
            ang = -math.pi / 2 + k * math.pi / 4
            rad = 2.2 * r if k % 2 == 0 else 0.7 * r
            b.line(x + rad * math.cos(ang), y + rad * math.sin(ang))
        return b.close(), False
    b = PathBuilder().move(x - r, y - r).line(x + r, y + r).move(x - r, y + r).line(x + r, y - r)
    return b, True


def _arrowhead(x: float, y: float, ux: float, uy: float, size: float) -> PathBuilder:
    """A filled engraver's arrowhead with its tip at (x, y) pointing along unit (ux, uy)."""
    bx, by = x - ux * size, y - uy * size
    nx, ny = -uy * size * 0.42, ux * size * 0.42
    return (PathBuilder().move(x, y).line(bx + nx, by + ny).line(bx + 0.28 * ux * size, by + 0.28 * uy * size)
            .line(bx - nx, by - ny).close())


def _clamp_label(ts_width: float, x: float, y: float, box: Box, size: float) -> tuple[float, float]:
    x = min(max(x, box.x + 2), box.right - ts_width - 2)
    y = min(max(y, box.y + size + 2), box.bottom - 4)
    return x, y


@motif("trajectory-contour", ContourParams)
def trajectory_contour(data: FigureData, p: ContourParams, ctx: MotifContext) -> list[Shape]:
    """Contours of loss surfaces with optimiser paths, point clouds and marked solutions."""
    box, ts = ctx.box, ctx.type
    gx = _array(data, p.x, "x")
    gy = _array(data, p.y, "y")
    if gx.ndim != 1 or gy.ndim != 1 or gx.size < 2 or gy.size < 2:
        msg = f"trajectory-contour: x {p.x!r} and y {p.y!r} must be 1-D grids of at least 2 values"
        raise TeeprintError(msg)
    x0, x1, y0, y1 = p.extent or (float(gx.min()), float(gx.max()), float(gy.min()), float(gy.max()))

    # Layout: y label above, ticks and x label below, then a legend row.
    entries: list[tuple[str, LegendLayer]] = [(s.label, s) for s in p.surfaces if s.label]
    entries += [(q.label, q) for q in p.paths if q.label]
    entries += [(q.label, q) for q in p.points if q.label]
    rows = _legend_rows(entries, box.w - 20, ts) if (entries and p.legend == "below") else []
    legend_h = 12.0 + _ROW_H * len(rows) if rows else 0.0
    area = Box(box.x + 78, box.y + 34, box.w - 78 - 24, box.h - 34 - 62 - legend_h)
    if p.equal_aspect:
        ratio = (y1 - y0) / (x1 - x0)
        w = min(area.w, area.h / ratio)
        h = w * ratio
        area = Box(area.cx - w / 2, area.y + (area.h - h) / 2, w, h)
    plot = area
    xs = Scale(x0, x1, plot.x, plot.right)
    ys = Scale(y0, y1, plot.bottom, plot.y)
    inner = plot.inset(1.5)
    shapes: list[Shape] = []

    # Surfaces: stipple in the basins of the first flagged surface, then contour lines.
    for s_i, surf in enumerate(p.surfaces):
        z = _array(data, surf.z, f"surfaces[{s_i}].z")
        if z.shape != (gy.size, gx.size):
            msg = (f"trajectory-contour: surface {surf.z!r} has shape {z.shape}, expected "
                   f"({gy.size}, {gx.size}) to match y {p.y!r} and x {p.x!r}")
            raise TeeprintError(msg)
        levels = choose_levels(z, surf.levels, surf.spacing, surf.z_min, surf.z_max)
        if surf.stipple and p.stipple_dots and levels.size:
            shapes += _stipple(z, gx, gy, levels, xs, ys, inner, p.stipple_dots, ctx.rng)
        minor = PathBuilder()
        major = PathBuilder()
        for li, level in enumerate(levels):
            target = major if surf.index_every and (li + 1) % surf.index_every == 0 else minor
            for iso in contour_lines(z, float(level)):
                lx = np.interp(iso[:, 0], np.arange(gx.size), gx)
                ly = np.interp(iso[:, 1], np.arange(gy.size), gy)
                for cx, cy in clip_polyline(xs(lx), ys(ly), inner):
                    target.polyline(*_thin(cx, cy))
        role = "accent" if surf.style == "accent" else "ink"
        dash = (7.0, 5.0) if surf.style == "dashed" else ()
        cap: Cap = "butt" if dash else "round"
        if not minor.empty:
            shapes.append(stroke(minor, HAIR_PT, role, 0.6 if role == "ink" else 0.75, cap=cap, dash_pt=dash))
        if not major.empty:
            shapes.append(stroke(major, HAIR_PT * 1.35, role, 1.0, cap=cap, dash_pt=dash))

    # Point clouds.
    for cloud in p.points:
        pts = _array(data, cloud.xy, "points.xy").reshape(-1, 2)
        path = PathBuilder()
        stroked = False
        for px, py in zip(xs(pts[:, 0]).tolist(), ys(pts[:, 1]).tolist(), strict=True):
            if not (inner.x + cloud.size_pt <= px <= inner.right - cloud.size_pt
                    and inner.y + cloud.size_pt <= py <= inner.bottom - cloud.size_pt):
                continue
            g, stroked = _glyph(cloud.shape, px, py, cloud.size_pt)
            path.extend(g)
        if not path.empty:
            shapes.append(stroke(path, HAIR_PT, cloud.role, cloud.tint) if stroked
                          else fill(path, cloud.role, cloud.tint))

    # Paths.
    annotations: list[tuple[float, float, str, str]] = []
    for layer in p.paths:
        arr = _array(data, layer.xy, "paths.xy")
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3 or arr.shape[-1] != 2:
            msg = f"trajectory-contour: path array {layer.xy!r} must have shape (T, 2) or (S, T, 2), got {arr.shape}"
            raise TeeprintError(msg)
        values = None
        if layer.annotate:
            values = _array(data, layer.annotate, "paths.annotate").reshape(arr.shape[0], -1)
        runs = arr.shape[0]
        for r_i in range(runs):
            run = arr[r_i]
            ok = np.isfinite(run).all(axis=1)
            if ok.sum() < 1:
                continue
            px, py = xs(run[:, 0]), ys(run[:, 1])
            tint = 1.0
            style: Style = layer.style
            if layer.fade and runs > 1:
                tint = 0.4 + 0.6 * r_i / (runs - 1)
            if layer.accent_last and r_i == runs - 1:
                style = "accent"
            line = PathBuilder()
            for cx, cy in clip_polyline(px, py, inner):
                line.polyline(*_thin(cx, cy))
            if not line.empty:
                shapes.append(_style_stroke(line, style, tint))
            role = "accent" if style == "accent" else "ink"
            mark_r = 3.4 if style == "accent" else 2.6
            if layer.marker == "dots":
                dots = PathBuilder()
                for k in range(0, len(run), layer.every):
                    if ok[k] and inner.x < px[k] < inner.right and inner.y < py[k] < inner.bottom:
                        dots.circle(float(px[k]), float(py[k]), mark_r * 0.75)
                if not dots.empty:
                    shapes.append(fill(dots, role, tint if role == "ink" else 1.0))
            elif layer.marker == "arrows" and (layer.arrows_on == "all" or r_i == (
                    0 if layer.arrows_on == "first" else runs - 1)):
                shapes += _arrows(px, py, inner, layer.arrow_gap_pt, role, tint)
            elif layer.marker == "head":
                shapes += _head(px[ok], py[ok], inner, role, tint)
            last = int(np.flatnonzero(ok)[-1])
            if layer.ends:
                sx, sy = float(px[0]), float(py[0])
                if inner.x < sx < inner.right and inner.y < sy < inner.bottom:
                    shapes.append(stroke(PathBuilder().circle(sx, sy, 6.5), THIN_PT, role, 1.0))
                ex, ey = float(px[last]), float(py[last])
                if inner.x < ex < inner.right and inner.y < ey < inner.bottom:
                    end = PathBuilder().circle(ex, ey, 5.5)
                    shapes.append(fill(end, role, 1.0))
            if values is not None:
                vals = values[r_i]
                for a_i, where in enumerate(layer.annotate_at):
                    k = 0 if where == "start" else (last if where == "end" else int(np.nanargmax(vals)))
                    side = layer.annotate_place[min(a_i, len(layer.annotate_place) - 1)]
                    annotations.append((float(px[k]), float(py[k]),
                                        layer.annotate_format.format(float(vals[k])), f"{role}:{side}"))

    # Marks.
    for mark in p.marks:
        pts = _array(data, mark.xy, "marks.xy").reshape(-1, 2)
        for m_i, (mx, my) in enumerate(zip(xs(pts[:, 0]).tolist(), ys(pts[:, 1]).tolist(), strict=True)):
            if not (inner.x + 8 < mx < inner.right - 8 and inner.y + 8 < my < inner.bottom - 8):
                continue
            g, stroked = _glyph(mark.shape, mx, my, 7.0 if mark.shape == "ring" else 4.0)
            shapes.append(stroke(g, THIN_PT, mark.role) if stroked else fill(g, mark.role))
            if mark.shape == "ring":
                shapes.append(fill(PathBuilder().circle(mx, my, 2.2), mark.role))
            if m_i < len(mark.labels) and mark.labels[m_i]:
                side = mark.place[min(m_i, len(mark.place) - 1)]
                annotations.append((mx, my, mark.labels[m_i], mark.role + ":" + side))

    for ax, ay, text, how in annotations:
        role, _, place = how.partition(":")
        size = TICK_PT + 2
        w = ts.measure(text, "mono", size)
        off = 14.0
        tx, ty = {"right": (ax + off, ay + size * 0.35), "left": (ax - off - w, ay + size * 0.35),
                  "above": (ax - w / 2, ay - off), "below": (ax - w / 2, ay + off + size * 0.7)}[place]
        tx, ty = _clamp_label(w, tx, ty, inner, size)
        shapes.append(ts.line(text, "mono", size, tx, ty, role=role))

    shapes += frame_axes(plot, xs, ys, ts, x_label=p.x_label, y_label=p.y_label)
    if rows:
        shapes += _legend(rows, box, ts)
    return shapes


def _arrows(px: np.ndarray, py: np.ndarray, clip: Box, gap: float, role: str, tint: float) -> list[Shape]:
    """Arrowheads along a path every ``gap`` points of arc length, pointing the way it runs."""
    ok = np.isfinite(px) & np.isfinite(py)
    px, py = px[ok], py[ok]
    if px.size < 2:
        return []
    seg = np.hypot(np.diff(px), np.diff(py))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    heads = PathBuilder()
    size = 13.0 if role == "accent" else 11.0
    for target in np.arange(gap * 0.6, cum[-1] - size, gap):
        k = int(np.searchsorted(cum, target)) - 1
        k = min(max(k, 0), seg.size - 1)
        if seg[k] < 1e-9:
            continue
        t = (target - cum[k]) / seg[k]
        x = px[k] + t * (px[k + 1] - px[k])
        y = py[k] + t * (py[k + 1] - py[k])
        ux, uy = (px[k + 1] - px[k]) / seg[k], (py[k + 1] - py[k]) / seg[k]
        if clip.x + size < x < clip.right - size and clip.y + size < y < clip.bottom - size:
            heads.extend(_arrowhead(float(x), float(y), float(ux), float(uy), size))
    return [fill(heads, role, tint if role == "ink" else 1.0)] if not heads.empty else []


def _head(px: np.ndarray, py: np.ndarray, clip: Box, role: str, tint: float) -> list[Shape]:
    """One small arrowhead at a run's last point, pointing along its last step (no head when
    the run is shorter than the head or ends outside the clip box)."""
    if px.size < 2:
        return []
    dx, dy = float(px[-1] - px[-2]), float(py[-1] - py[-2])
    length = math.hypot(dx, dy)
    total = float(np.sum(np.hypot(np.diff(px), np.diff(py))))
    size = 6.0
    x, y = float(px[-1]), float(py[-1])
    if length < 1e-9 or total < size * 1.2 or not (clip.x < x < clip.right and clip.y < y < clip.bottom):
        return []
    return [fill(_arrowhead(x, y, dx / length, dy / length, size), role, tint if role == "ink" else 1.0)]


def _stipple(z: np.ndarray, gx: np.ndarray, gy: np.ndarray, levels: np.ndarray, xs: Scale,
             ys: Scale, clip: Box, dots: int, rng: np.random.Generator) -> list[Shape]:
    """Engraver's stipple: seeded dots, densest on the valley floors and thinning up the walls.

    Density follows the share of the plane that lies lower (an area quantile), not the contour
    levels, so it reads the same whatever level spacing the surface uses.
    """
    u = rng.uniform(size=(dots * 4, 2))
    dx = gx.min() + u[:, 0] * (gx.max() - gx.min())
    dy = gy.min() + u[:, 1] * (gy.max() - gy.min())
    fi = np.interp(dx, gx, np.arange(gx.size))
    fj = np.interp(dy, gy, np.arange(gy.size))
    i0 = np.clip(np.floor(fi).astype(int), 0, gx.size - 2)
    j0 = np.clip(np.floor(fj).astype(int), 0, gy.size - 2)
    ti, tj = fi - i0, fj - j0
    zv = ((1 - ti) * (1 - tj) * z[j0, i0] + ti * (1 - tj) * z[j0, i0 + 1]
          + ti * tj * z[j0 + 1, i0 + 1] + (1 - ti) * tj * z[j0 + 1, i0])
    finite = np.sort(z[np.isfinite(z)].ravel())
    rank = np.searchsorted(finite, zv) / max(finite.size, 1)  # share of the plane lower than here
    keep = rng.uniform(size=zv.size) < (1.0 - np.clip(rank, 0, 1)) ** 2.5
    path = PathBuilder()
    px, py = xs(dx[keep]), ys(dy[keep])
    count = 0
    for x, y in zip(px.tolist(), py.tolist(), strict=True):
        if clip.x + 2 < x < clip.right - 2 and clip.y + 2 < y < clip.bottom - 2:
            path.circle(x, y, 1.15)
            count += 1
            if count >= dots:
                break
    return [fill(path, "ink", HATCH_TINT + 0.15)] if not path.empty else []


def _legend_rows(entries: list[tuple[str, LegendLayer]], width: float,
                 ts: Typesetter) -> list[list[tuple[str, LegendLayer, float]]]:
    """Greedy rows of legend keys (sample + text) that fit ``width``."""
    rows: list[list[tuple[str, LegendLayer, float]]] = [[]]
    used = 0.0
    for text, layer in entries:
        w = _SAMPLE_W + 10 + ts.measure(text, "mono", TICK_PT)
        if rows[-1] and used + _KEY_GAP + w > width:
            rows.append([])
            used = 0.0
        used += (_KEY_GAP if rows[-1] else 0.0) + w
        rows[-1].append((text, layer, w))
    return rows


def _legend(rows: list[list[tuple[str, LegendLayer, float]]], box: Box, ts: Typesetter) -> list[Shape]:
    """Rows of keys at the foot of the panel, centred, each a short sample and its text."""
    shapes: list[Shape] = []
    for r_i, row in enumerate(rows):
        total = sum(w for _, _, w in row) + _KEY_GAP * (len(row) - 1)
        x = box.cx - total / 2
        y = box.bottom - 10 - (len(rows) - 1 - r_i) * _ROW_H
        mid = y - TICK_PT * 0.35
        for text, layer, w in row:
            sample = PathBuilder().move(x, mid).line(x + _SAMPLE_W, mid)
            if isinstance(layer, Surface):
                role = "accent" if layer.style == "accent" else "ink"
                dash = (7.0, 5.0) if layer.style == "dashed" else ()
                shapes.append(stroke(sample, HAIR_PT * 1.35, role, cap="butt" if dash else "round",
                                     dash_pt=dash))
            elif isinstance(layer, PathLayer):
                shapes.append(_style_stroke(sample, layer.style))
                role = "accent" if layer.style == "accent" else "ink"
                if layer.marker == "arrows":
                    shapes.append(fill(_arrowhead(x + _SAMPLE_W, mid, 1.0, 0.0, 11.0), role))
                elif layer.marker == "dots":
                    shapes.append(fill(PathBuilder().circle(x + _SAMPLE_W / 2, mid, 2.6), role))
            else:
                g, stroked = _glyph(layer.shape, x + _SAMPLE_W / 2, mid, min(max(layer.size_pt, 3.0), 6.0))
                shapes.append(stroke(g, HAIR_PT, layer.role, layer.tint) if stroked
                              else fill(g, layer.role, layer.tint))
            shapes.append(ts.line(text, "mono", TICK_PT, x + _SAMPLE_W + 10, y))
            x += w + _KEY_GAP
    return shapes
