"""decision-regions: a classifier's regions over the plane, its boundary, and the data on top.

Each class region is engraved (class 0 a light stipple, class 1 a 45-degree hatch, class 2 the
opposite hatch, ...) so that regions read in one ink at print scale; the boundary is ruled in
accent where the decision function crosses its level (or where the winning class changes, from
per-class scores), and the data sit on top as class glyphs, the engraving kept clear of them.
Optional layers: dashed extra levels (margins, probability contours), a dashed reference
boundary (the Bayes rule), circled points (support vectors, core points), starred marks
(centroids, exemplars), segments (tree splits, links) and paths (centroid or mean-shift
trajectories).  One to four panels sit side by side; a 3-D array is indexed per panel, so a
recipe that computes several snapshots or models feeds several panels.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, PathBuilder, Shape, fill, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.axes import Scale, frame_axes
from teeprint.motifs.contour import clip_polyline, contour_lines
from teeprint.motifs.geometry import format_text
from teeprint.motifs.style import (
    GHOST_TINT,
    HAIR_PT,
    HATCH_GAP_PT,
    HATCH_TINT,
    LABEL_PT,
    MEDIUM_PT,
    THIN_PT,
    TICK_PT,
)
from teeprint.recipes import FigureData, Params

#: Engraving per class: hatch angles (degrees); an empty tuple means a light stipple.
ENGRAVING: tuple[tuple[float, ...], ...] = ((), (45.0,), (-45.0,), (0.0,), (90.0,), (45.0, -45.0))
#: Glyph per class for the data points.
GLYPHS = ("ring", "dot", "square", "cross", "diamond", "triangle")
STIPPLE_PER_KPT2 = 9.0
_LEGEND_ROW = 30.0


class RegionPanel(Params):
    """One plane: which arrays fill it and which layers sit on it."""

    at: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    index: int | None = Field(None, ge=0, le=63, description="slice of the first axis of 3-D arrays")
    label: str | None = Field(None, description="integer class per grid cell (ny, nx)")
    score: str | None = Field(None, description="decision function (ny, nx): boundary at `level`")
    scores: str | None = Field(None, description="per-class scores (K, ny, nx): boundary where the argmax changes")
    level: float = Field(0.0, ge=-1e6, le=1e6)
    levels: tuple[float, ...] = Field((), max_length=6, description="dashed extra levels of `score`")
    boundary: Literal["accent", "ink", "none"] = "accent"
    reference: str | None = Field(None, description="a second decision function drawn dashed at 0")
    reference_index: int | None = Field(None, ge=0, le=63, description="slice of a 3-D reference")
    points: str | None = None
    classes: str | None = Field(None, description="integer class per point; -1 is noise")
    sizes: str | None = Field(None, description="per-point weights: glyph area grows with weight")
    rings: str | None = Field(None, description="boolean per point: circled in accent")
    marks: str | None = Field(None, description="(m, 2) positions starred in accent")
    segments: str | None = Field(None, description="(s, 2, 2) line segments (NaN rows skipped)")
    paths: str | None = Field(None, description="(s, T, 2) polylines")
    title: str = Field("", max_length=60, description="above the panel; {scalar} fields")
    axes: bool = False
    x_label: str = Field("", max_length=40)
    y_label: str = Field("", max_length=40)

    @model_validator(mode="after")
    def _inside(self) -> RegionPanel:
        x, y, w, h = self.at
        if not (0 <= x and 0 <= y and w >= 0.15 and h >= 0.15 and x + w <= 1.0001 and y + h <= 1.0001):
            msg = "'at' is (x, y, w, h) as fractions of the figure box: w, h >= 0.15 and x+w, y+h <= 1"
            raise ValueError(msg)
        return self


class RegionsParams(Params):
    """The plane's grid, its panels and the shared legend."""

    x: str = Field("grid_x", description="1-D grid coordinates along x")
    y: str = Field("grid_y", description="1-D grid coordinates along y")
    panels: tuple[RegionPanel, ...] = Field(min_length=1, max_length=4)
    class_names: tuple[str, ...] = Field((), max_length=6)
    accent_class: int | None = Field(None, ge=0, le=5, description="this class hatched in accent")
    glyph_pt: float = Field(5.0, ge=2.5, le=9.0)
    boundary_label: str = Field("", max_length=40)
    levels_label: str = Field("", max_length=40)
    reference_label: str = Field("", max_length=40)
    rings_label: str = Field("", max_length=40)
    marks_label: str = Field("", max_length=40)
    segments_label: str = Field("", max_length=40)
    paths_label: str = Field("", max_length=40)
    noise_label: str = Field("", max_length=40)
    segments_style: Literal["ink", "ghost", "accent"] = "ink"
    paths_style: Literal["ink", "ghost", "accent"] = "ink"
    equal_aspect: bool = True
    notes: tuple[str, ...] = Field((), max_length=3, description="lines under the legend; {scalar} fields")


# -- helpers ---------------------------------------------------------------------------------------------


def _get(data: FigureData, name: str, index: int | None, ndim: int, what: str) -> np.ndarray:
    """A named array, sliced by the panel index when it has one more axis than wanted."""
    a = data.array(name, what)
    if a.ndim == ndim + 1:
        if index is None:
            msg = f"decision-regions: array {name!r} has shape {a.shape}; give the panel an 'index'"
            raise TeeprintError(msg)
        if index >= a.shape[0]:
            msg = f"decision-regions: index {index} is outside array {name!r} of length {a.shape[0]}"
            raise TeeprintError(msg)
        a = a[index]
    if a.ndim != ndim:
        msg = f"decision-regions: array {name!r} must be {ndim}-D (or {ndim + 1}-D with an index), got {a.shape}"
        raise TeeprintError(msg)
    return a


def _raster_hatch(inside: np.ndarray, plot: Box, angle_deg: float, gap_pt: float,
                  res_pt: float) -> PathBuilder:
    """Parallel lines across the true cells of a boolean raster covering ``plot`` (y down)."""
    rows, cols = inside.shape
    rad = math.radians(angle_deg)
    ux, uy = math.cos(rad), -math.sin(rad)
    nx, ny = -uy, ux
    diag = math.hypot(plot.w, plot.h)
    k = math.ceil(diag / 2 / gap_pt)
    offs = np.arange(-k, k + 1) * gap_pt
    ts = np.arange(-diag / 2, diag / 2, res_pt * 0.7)
    px = plot.cx + nx * offs[:, None] + ux * ts[None, :]
    py = plot.cy + ny * offs[:, None] + uy * ts[None, :]
    ci = np.floor((px - plot.x) / res_pt).astype(int)
    ri = np.floor((py - plot.y) / res_pt).astype(int)
    ok = (ci >= 0) & (ci < cols) & (ri >= 0) & (ri < rows)
    n_lines = int(offs.size)
    on = np.zeros((n_lines, int(ts.size)), dtype=bool)
    on[ok] = inside[ri[ok], ci[ok]]
    path = PathBuilder()
    pad = np.zeros((n_lines, 1), dtype=bool)
    edges = np.diff(np.concatenate([pad, on, pad], axis=1).astype(np.int8), axis=1)
    for line in range(n_lines):
        starts = np.flatnonzero(edges[line] == 1)
        ends = np.flatnonzero(edges[line] == -1) - 1
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            if (b - a) * res_pt * 0.7 < 2.5:
                continue
            path.move(float(px[line, a]), float(py[line, a])).line(float(px[line, b]), float(py[line, b]))
    return path


def _glyph(kind: str, x: float, y: float, r: float) -> tuple[PathBuilder, bool]:
    """A point glyph; returns the path and whether it is stroked."""
    if kind == "ring":
        return PathBuilder().circle(x, y, r), True
    if kind == "dot":
        return PathBuilder().circle(x, y, r), False
    if kind == "square":
        s = r * 0.9
        return PathBuilder().rect(x - s, y - s, 2 * s, 2 * s), False
    if kind == "cross":
        return PathBuilder().move(x - r, y - r).line(x + r, y + r).move(x - r, y + r).line(x + r, y - r), True
    if kind == "diamond":
        s = r * 1.25
        return PathBuilder().move(x, y - s).line(x + s, y).line(x, y + s).line(x - s, y).close(), False
    s = r * 1.3
    return PathBuilder().move(x, y - s).line(x + s * 0.87, y + s * 0.5).line(x - s * 0.87, y + s * 0.5).close(), False


def _star(x: float, y: float, r: float) -> PathBuilder:
    b = PathBuilder().move(x, y - 2.2 * r)
    for k in range(1, 8):
        ang = -math.pi / 2 + k * math.pi / 4
        rad = 2.2 * r if k % 2 == 0 else 0.7 * r
        b.line(x + rad * math.cos(ang), y + rad * math.sin(ang))
    return b.close()


def _line_style(path: PathBuilder, style: str) -> Shape:
    if style == "accent":
        return stroke(path, THIN_PT, "accent")
    if style == "ghost":
        return stroke(path, HAIR_PT, "ink", GHOST_TINT)
    return stroke(path, THIN_PT, "ink")


def _contours(z: np.ndarray, level: float, xs: Scale, ys: Scale, gx: np.ndarray, gy: np.ndarray) -> PathBuilder:
    path = PathBuilder()
    for line in contour_lines(z, level):
        lx = np.interp(line[:, 0], np.arange(gx.size), gx)
        ly = np.interp(line[:, 1], np.arange(gy.size), gy)
        if len(lx) >= 2:
            path.polyline(xs(lx), ys(ly))
    return path


# -- the engine ------------------------------------------------------------------------------------------


def _legend(p: RegionsParams, classes_seen: set[int], ctx: MotifContext, y0: float,
            has: dict[str, bool]) -> list[Shape]:
    ts = ctx.type
    entries: list[tuple[str, str]] = []
    for c, name in enumerate(p.class_names):
        if c in classes_seen or not classes_seen:
            entries.append((f"class:{c}", name))
    if p.noise_label and -1 in classes_seen:
        entries.append(("noise", p.noise_label))
    for key, text in (("boundary", p.boundary_label), ("levels", p.levels_label),
                      ("reference", p.reference_label), ("rings", p.rings_label),
                      ("marks", p.marks_label), ("segments", p.segments_label),
                      ("paths", p.paths_label)):
        if text and has.get(key, False):
            entries.append((key, text))
    shapes: list[Shape] = []
    box = ctx.box
    x = box.x + 4
    y = y0
    r = p.glyph_pt
    for key, text in entries:
        w = 44 + ts.measure(text, "mono", TICK_PT) + 30
        if x + w > box.right and x > box.x + 4:
            x = box.x + 4
            y += _LEGEND_ROW
        cy = y - TICK_PT * 0.35
        if key.startswith("class:"):
            c = int(key.split(":")[1])
            sw = Box(x, cy - 11, 30, 22)
            inside = np.ones((8, 10), bool)
            angles = ENGRAVING[c % len(ENGRAVING)]
            role = "accent" if p.accent_class == c else "ink"
            if angles:
                for ang in angles:
                    hp = _raster_hatch(inside, sw, ang, 5.0, 3.0)
                    if not hp.empty:
                        shapes.append(stroke(hp, HAIR_PT, role, HATCH_TINT, cap="butt"))
            else:
                dots = PathBuilder()
                for u, v in ((0.2, 0.3), (0.55, 0.2), (0.8, 0.55), (0.35, 0.75), (0.7, 0.85)):
                    dots.circle(sw.x + u * sw.w, sw.y + v * sw.h, 1.0)
                shapes.append(fill(dots, "ink", GHOST_TINT))
            shapes.append(stroke(PathBuilder().rect(sw.x, sw.y, sw.w, sw.h), HAIR_PT, cap="butt"))
            g, stroked = _glyph(GLYPHS[c % len(GLYPHS)], x + 15, cy, r)
            shapes.append(stroke(g, THIN_PT) if stroked else fill(g))
        elif key == "noise":
            shapes.append(fill(PathBuilder().circle(x + 15, cy, r * 0.55), "ink", GHOST_TINT))
        elif key == "boundary":
            shapes.append(stroke(PathBuilder().move(x, cy).line(x + 30, cy), MEDIUM_PT,
                                 "accent" if p.panels[0].boundary != "ink" else "ink"))
        elif key == "levels":
            shapes.append(stroke(PathBuilder().move(x, cy).line(x + 30, cy), THIN_PT, "ink",
                                 cap="butt", dash_pt=(7.0, 5.0)))
        elif key == "reference":
            shapes.append(stroke(PathBuilder().move(x, cy).line(x + 30, cy), THIN_PT, "ink",
                                 cap="butt", dash_pt=(2.0, 4.0)))
        elif key == "rings":
            shapes.append(stroke(PathBuilder().circle(x + 15, cy, r + 4.5), THIN_PT, "accent"))
        elif key == "marks":
            shapes.append(fill(_star(x + 15, cy, 4.0), "accent"))
        elif key == "segments":
            shapes.append(_line_style(PathBuilder().move(x, cy).line(x + 30, cy), p.segments_style))
        else:
            shapes.append(_line_style(PathBuilder().move(x, cy).line(x + 30, cy), p.paths_style))
        shapes.append(ts.line(text, "mono", TICK_PT, x + 42, y))
        x += w
    return shapes


def _legend_rows(p: RegionsParams, ctx: MotifContext) -> int:
    n = len(p.class_names) + sum(bool(t) for t in (
        p.boundary_label, p.levels_label, p.reference_label, p.rings_label, p.marks_label,
        p.segments_label, p.paths_label, p.noise_label))
    return 0 if n == 0 else (1 if n <= 4 else 2)


@motif("decision-regions", RegionsParams)
def decision_regions(data: FigureData, p: RegionsParams, ctx: MotifContext) -> list[Shape]:
    """Engraved class regions, the ruled boundary and the data points, in one to four panels."""
    box, ts = ctx.box, ctx.type
    gx = data.array(p.x, "x").ravel()
    gy = data.array(p.y, "y").ravel()
    if gx.size < 2 or gy.size < 2:
        msg = f"decision-regions: grids {p.x!r} and {p.y!r} need at least 2 values each"
        raise TeeprintError(msg)
    legend_h = _legend_rows(p, ctx) * _LEGEND_ROW + (len(p.notes) * 22 if p.notes else 0)
    area = Box(box.x, box.y, box.w, box.h - legend_h - (10 if legend_h else 0))
    shapes: list[Shape] = []
    classes_seen: set[int] = set()
    has: dict[str, bool] = {}
    bottoms = []
    for panel in p.panels:
        out, seen, flags, bottom = _panel(data, p, panel, area, gx, gy, ctx)
        shapes += out
        classes_seen |= seen
        for k, v in flags.items():
            has[k] = has.get(k, False) or v
        bottoms.append(bottom)
    y0 = max(bottoms) + (88 if any(pn.axes for pn in p.panels) else 30)
    shapes += _legend(p, classes_seen, ctx, y0, has)
    rows = _legend_rows(p, ctx)
    ny = y0 + max(rows, 1) * _LEGEND_ROW - 4
    for note in p.notes:
        shapes.append(ts.line(format_text(note, data), "mono", TICK_PT, box.x + 4, ny))
        ny += 22
    return shapes


def _panel(data: FigureData, p: RegionsParams, panel: RegionPanel, area: Box, gx: np.ndarray,
           gy: np.ndarray, ctx: MotifContext) -> tuple[list[Shape], set[int], dict[str, bool], float]:
    ts = ctx.type
    fx, fy, fw, fh = panel.at
    pb = Box(area.x + fx * area.w, area.y + fy * area.h, fw * area.w, fh * area.h)
    title_h = LABEL_PT + 16 if panel.title else 0.0
    left = 62.0 if panel.axes else 6.0
    bottom_pad = 66.0 if panel.axes else 4.0
    top_pad = 30.0 if panel.axes else 3.0
    inner = Box(pb.x + left, pb.y + title_h + top_pad, pb.w - left - 10, pb.h - title_h - bottom_pad - top_pad)
    x0, x1, y0, y1 = float(gx[0]), float(gx[-1]), float(gy[0]), float(gy[-1])
    if p.equal_aspect:
        aspect = (y1 - y0) / (x1 - x0)
        w = min(inner.w, inner.h / aspect)
        h = w * aspect
        plot = Box(inner.cx - w / 2, inner.y, w, h)
    else:
        plot = inner
    xs = Scale(x0, x1, plot.x, plot.right)
    ys = Scale(y0, y1, plot.bottom, plot.y)
    shapes: list[Shape] = []
    flags: dict[str, bool] = {}
    r = p.glyph_pt
    pts = cls = None
    sizes = np.ones(0)
    if panel.points:
        pts = _get(data, panel.points, panel.index, 2, "points")
        cls = (np.rint(_get(data, panel.classes, panel.index, 1, "classes")).astype(int)
               if panel.classes else np.zeros(len(pts), int))
        if panel.sizes:
            wts = _get(data, panel.sizes, panel.index, 1, "sizes")
            sizes = np.sqrt(np.clip(wts / max(float(np.median(wts)), 1e-12), 0.25, 9.0))
        else:
            sizes = np.ones(len(pts))
    marks = _get(data, panel.marks, panel.index, 2, "marks") if panel.marks else None
    # Regions: a raster over the plot, each pixel taking its grid cell's class; the engraving
    # keeps clear of every glyph so the data read on top.
    res = 1.5
    nr, nc = max(2, int(plot.h / res)), max(2, int(plot.w / res))
    label = None
    if panel.label:
        label = np.rint(_get(data, panel.label, panel.index, 2, "label")).astype(int)
    elif panel.scores:
        label = np.argmax(_get(data, panel.scores, panel.index, 3, "scores"), axis=0)
    elif panel.score:
        label = (_get(data, panel.score, panel.index, 2, "score") > panel.level).astype(int)
    if label is not None:
        if label.shape != (gy.size, gx.size):
            msg = f"decision-regions: region grid has shape {label.shape}, grids are ({gy.size}, {gx.size})"
            raise TeeprintError(msg)
        cx = x0 + (np.arange(nc) + 0.5) / nc * (x1 - x0)
        cy = y1 - (np.arange(nr) + 0.5) / nr * (y1 - y0)
        ix = np.clip(np.rint((cx - x0) / (x1 - x0) * (gx.size - 1)).astype(int), 0, gx.size - 1)
        iy = np.clip(np.rint((cy - y0) / (y1 - y0) * (gy.size - 1)).astype(int), 0, gy.size - 1)
        raster = label[iy[:, None], ix[None, :]]
        clear = np.ones((nr, nc), bool)
        yy, xx = np.mgrid[0:nr, 0:nc]
        keep: list[tuple[float, float, float]] = []
        if pts is not None:
            keep += [(float(xs(a)), float(ys(b)), r * s + 3.0) for (a, b), s in zip(pts, sizes, strict=True)]
        if marks is not None:
            keep += [(float(xs(a)), float(ys(b)), 11.0) for a, b in marks if np.isfinite(a)]
        for kx, ky, kr in keep:
            c0, r0 = (kx - plot.x) / res, (ky - plot.y) / res
            rr = kr / res
            a0, a1 = max(0, int(r0 - rr)), min(nr, int(r0 + rr) + 2)
            b0, b1 = max(0, int(c0 - rr)), min(nc, int(c0 + rr) + 2)
            if a0 >= a1 or b0 >= b1:
                continue
            sub = (yy[a0:a1, b0:b1] + 0.5 - r0) ** 2 + (xx[a0:a1, b0:b1] + 0.5 - c0) ** 2 <= rr * rr
            clear[a0:a1, b0:b1] &= ~sub
        for c in sorted(set(raster.ravel().tolist())):
            if c < 0:
                continue
            inside = (raster == c) & clear
            angles = ENGRAVING[c % len(ENGRAVING)]
            role = "accent" if p.accent_class == c else "ink"
            if angles:
                gap = HATCH_GAP_PT * (1.0 if len(angles) == 1 else 1.4)
                for ang in angles:
                    hp = _raster_hatch(inside, plot, ang, gap, res)
                    if not hp.empty:
                        shapes.append(stroke(hp, HAIR_PT, role, HATCH_TINT, cap="butt"))
            else:
                n = int(ctx.rng.poisson(STIPPLE_PER_KPT2 * plot.w * plot.h / 1000.0))
                u = ctx.rng.random((n, 2))
                sx, sy = plot.x + u[:, 0] * plot.w, plot.y + u[:, 1] * plot.h
                ri = np.clip((sy - plot.y) / res, 0, nr - 1).astype(int)
                ci = np.clip((sx - plot.x) / res, 0, nc - 1).astype(int)
                ok = inside[ri, ci]
                dots = PathBuilder()
                for a, b in zip(sx[ok].tolist(), sy[ok].tolist(), strict=True):
                    dots.circle(a, b, 1.0)
                if not dots.empty:
                    shapes.append(fill(dots, role, GHOST_TINT))
    # Boundary and levels.
    if panel.boundary != "none":
        bpath = PathBuilder()
        if panel.score:
            bpath = _contours(_get(data, panel.score, panel.index, 2, "score"), panel.level, xs, ys, gx, gy)
        elif panel.scores or panel.label:
            if panel.scores:
                sc = _get(data, panel.scores, panel.index, 3, "scores")
            else:
                assert label is not None
                ks = sorted(set(label.ravel().tolist()))
                sc = np.stack([(label == k).astype(float) for k in ks])
            for k in range(sc.shape[0] - 1):
                others = np.delete(sc, k, axis=0).max(axis=0)
                bpath.extend(_contours(sc[k] - others, 0.0, xs, ys, gx, gy))
        if not bpath.empty:
            shapes.append(stroke(bpath, MEDIUM_PT, "accent" if panel.boundary == "accent" else "ink"))
            flags["boundary"] = True
    if panel.levels and panel.score:
        z = _get(data, panel.score, panel.index, 2, "score")
        lp = PathBuilder()
        for lv in panel.levels:
            lp.extend(_contours(z, lv, xs, ys, gx, gy))
        if not lp.empty:
            shapes.append(stroke(lp, THIN_PT, "ink", cap="butt", dash_pt=(7.0, 5.0)))
            flags["levels"] = True
    if panel.reference:
        ref_i = panel.reference_index if panel.reference_index is not None else panel.index
        rp = _contours(_get(data, panel.reference, ref_i, 2, "reference"), 0.0, xs, ys, gx, gy)
        if not rp.empty:
            shapes.append(stroke(rp, THIN_PT, "ink", cap="butt", dash_pt=(2.0, 4.0)))
            flags["reference"] = True
    if panel.segments:
        seg = _get(data, panel.segments, panel.index, 3, "segments")
        sp = PathBuilder()
        for (a, b), (c, d) in seg:
            if np.all(np.isfinite([a, b, c, d])):
                for qx, qy in clip_polyline(xs(np.array([a, c])), ys(np.array([b, d])), plot):
                    sp.move(float(qx[0]), float(qy[0])).line(float(qx[-1]), float(qy[-1]))
        if not sp.empty:
            shapes.append(_line_style(sp, p.segments_style))
            flags["segments"] = True
    if panel.paths:
        pa = _get(data, panel.paths, panel.index, 3, "paths")
        pp = PathBuilder()
        for run in pa:
            ok = np.all(np.isfinite(run), axis=1)
            if ok.sum() >= 2:
                for qx, qy in clip_polyline(xs(run[ok, 0]), ys(run[ok, 1]), plot):
                    pp.polyline(qx, qy)
        if not pp.empty:
            shapes.append(_line_style(pp, p.paths_style))
            flags["paths"] = True
    # Points on top.
    seen: set[int] = set()
    if pts is not None and cls is not None:
        groups: dict[tuple[int, bool], PathBuilder] = {}
        noise = PathBuilder()
        for (a, b), c, s in zip(pts, cls.tolist(), sizes, strict=True):
            px, py = float(xs(a)), float(ys(b))
            if not (plot.x - 1 <= px <= plot.right + 1 and plot.y - 1 <= py <= plot.bottom + 1):
                continue
            seen.add(c)
            if c < 0:
                noise.circle(px, py, r * 0.55)
                continue
            g, stroked = _glyph(GLYPHS[c % len(GLYPHS)], px, py, r * float(s))
            groups.setdefault((c, stroked), PathBuilder()).extend(g)
        if not noise.empty:
            shapes.append(fill(noise, "ink", GHOST_TINT))
        for (_c, stroked), g in sorted(groups.items()):
            shapes.append(stroke(g, THIN_PT) if stroked else fill(g))
        if panel.rings:
            mask = _get(data, panel.rings, panel.index, 1, "rings") > 0.5
            rp = PathBuilder()
            for (a, b), s, m in zip(pts, sizes, mask, strict=True):
                if m:
                    rp.circle(float(xs(a)), float(ys(b)), r * float(s) + 4.5)
            if not rp.empty:
                shapes.append(stroke(rp, THIN_PT, "accent"))
                flags["rings"] = True
    if marks is not None:
        mp = PathBuilder()
        for a, b in marks:
            if np.isfinite(a) and np.isfinite(b):
                mp.extend(_star(float(xs(a)), float(ys(b)), 4.0))
        if not mp.empty:
            shapes.append(fill(mp, "accent"))
            flags["marks"] = True
    if panel.axes:
        shapes += frame_axes(plot, xs, ys, ts, x_label=panel.x_label, y_label=panel.y_label)
    else:
        shapes.append(stroke(PathBuilder().rect(plot.x, plot.y, plot.w, plot.h), THIN_PT, cap="butt"))
    if panel.title:
        shapes.append(ts.line(format_text(panel.title, data), "serif-italic", LABEL_PT + 3, plot.cx,
                              plot.y - 12 - (26 if panel.axes else 0), anchor="middle"))
    return shapes, seen, flags, plot.bottom
