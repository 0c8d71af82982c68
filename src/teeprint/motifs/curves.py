"""The curve-against-scale engine: a quantity against a size, step or budget.

Draws one principal curve (optionally hatched beneath, engraving-style), ghost curves for
repeated runs or alternatives, an accent marker at a named threshold, and labels.  Double
descent, scaling laws, emergence and training curves are all this engine with other params.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, PathBuilder, Shape, fill, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.axes import Scale, frame_axes, hatch_under, padded_range
from teeprint.motifs.style import (
    GHOST_TINT,
    HAIR_PT,
    HATCH_GAP_PT,
    HATCH_TINT,
    HEAVY_PT,
    LABEL_PT,
    MEDIUM_PT,
    THIN_PT,
    TICK_PT,
)
from teeprint.recipes import FigureData, Params

if TYPE_CHECKING:
    from teeprint.typeset import Typesetter


class Series(Params):
    """One extra curve: an array name, a label and how to draw it."""

    y: str
    label: str = ""
    style: str = Field("ghost", pattern="^(ghost|dashed|accent|solid|dotted)$")
    x: str | None = Field(None, description="its own x array (default: the principal x)")
    points: bool = Field(False, description="mark every data point with a dot")


class CurveParams(Params):
    """Which arrays to plot and how."""

    x: str
    y: str
    y_runs: str | None = None
    series: tuple[Series, ...] = ()
    x_log: bool = False
    y_log: bool = False
    y_min: float | None = None
    y_max: float | None = None
    x_label: str = ""
    y_label: str = ""
    label: str = ""
    hatch: bool = True
    marker: str | None = Field(None, description="name of a scalar array to mark on the x axis")
    marker_label: str = ""
    mark_peak: bool = False
    peak_label: str = ""
    legend: str = Field("upper-right", pattern="^(upper|lower)-(left|right)$")
    # Optional extras; the defaults draw exactly what the engine drew without them.
    x_min: float | None = None
    x_max: float | None = None
    clip: str = Field("clamp", pattern="^(clamp|cut)$", description="cut: lines leave the frame")
    main_style: str = Field("ink", pattern="^(ink|accent)$")
    main_points: bool = False
    step: bool = Field(False, description="principal curve as a staircase (counts)")
    accent_from: str | None = Field(None, description="scalar array: x from which the principal is accent")
    accent_label: str = Field("", max_length=60)
    rows: str | None = Field(None, description="2-D array: a family of curves, one per row")
    rows_x: str | None = None
    row_labels: tuple[str, ...] = Field((), max_length=40)
    row_style: str = Field("solid", pattern="^(ghost|dashed|accent|solid|dotted)$")
    row_label_at: str = Field("end", pattern="^(end|start|min|cross)$")
    row_label_cross: float = 0.5
    band_lo: str | None = None
    band_hi: str | None = None
    band_label: str = Field("", max_length=60)
    band_edges: bool = True
    points_x: str | None = None
    points_y: str | None = None
    points_label: str = Field("", max_length=60)
    points_role: str = Field("accent", pattern="^(ink|accent)$")
    notes: tuple[str, ...] = Field((), max_length=6, description="lines formatted with scalar arrays")


    @model_validator(mode="after")
    def _log_bounds(self) -> CurveParams:
        for axis, log, lo, hi in (("x", self.x_log, self.x_min, self.x_max),
                                  ("y", self.y_log, self.y_min, self.y_max)):
            if log and any(v is not None and v <= 0 for v in (lo, hi)):
                msg = f"{axis}_min and {axis}_max must be above 0 on a log axis ({axis}_log = true)"
                raise ValueError(msg)
            if lo is not None and hi is not None and lo >= hi:
                msg = f"{axis}_min must be below {axis}_max"
                raise ValueError(msg)
        return self

def _polyline(xs: Scale, ys: Scale, x: np.ndarray, y: np.ndarray, plot: Box) -> tuple[np.ndarray, np.ndarray]:
    xp = xs(x)
    yp = np.clip(ys(y), plot.y, plot.bottom)
    return xp, yp


@motif("curve-vs-scale", CurveParams)
def curve_vs_scale(data: FigureData, p: CurveParams, ctx: MotifContext) -> list[Shape]:
    """A principal curve against scale, with ghosts, hatching and a marked threshold."""
    box, ts = ctx.box, ctx.type
    plot = Box(box.x + 92, box.y + 46, box.w - 124, box.h - 46 - 96)
    x = np.asarray(data[p.x], float)
    y = np.asarray(data[p.y], float)
    pool = [y] + [np.asarray(data[s.y], float).ravel() for s in p.series]
    pool += _extra_y_pool(data, p)
    lo, hi = padded_range(np.concatenate(pool), p.y_log)
    lo = p.y_min if p.y_min is not None else lo
    hi = p.y_max if p.y_max is not None else hi
    xlo, xhi = (float(x.min()), float(x.max())) if p.x_log else padded_range(x, False, 0.02)
    xlo, xhi = _x_range(data, p, x, xlo, xhi)
    xs = Scale(xlo, xhi, plot.x, plot.right, p.x_log)
    ys = Scale(lo, hi, plot.bottom, plot.y, p.y_log)
    shapes: list[Shape] = []
    xp, yp = _polyline(xs, ys, x, y, plot)
    if p.hatch:
        shapes += _hatch(data, p, xs, ys, plot, x, y, xp, yp)
    if p.y_runs:
        runs = np.atleast_2d(np.asarray(data[p.y_runs], float))
        ghost = PathBuilder()
        for run in runs:
            gx, gy = _polyline(xs, ys, x, run, plot)
            ghost.polyline(gx, gy)
        shapes.append(stroke(ghost, HAIR_PT, "ink", GHOST_TINT))
    shapes += _underlay(data, p, xs, ys, plot, x, ts)
    legend: list[tuple[str, Shape]] = []
    for s in p.series:
        sy = np.asarray(data[s.y], float)
        sx = np.asarray(data[s.x], float) if s.x else x
        sx_p, sy_p = _polyline(xs, ys, sx, sy, plot)
        path = _cut_path(xs, ys, sx, sy, plot) if p.clip == "cut" else PathBuilder().polyline(sx_p, sy_p)
        if s.points:
            shapes += _dots(xs(sx), ys(sy), plot, "accent" if s.style == "accent" else "ink")
        if s.style == "dotted":
            shape = stroke(path, THIN_PT, "ink", 1.0, cap="round", dash_pt=(0.1, 6.0))
        elif s.style == "dashed":
            shape = stroke(path, THIN_PT, "ink", 1.0, cap="butt", dash_pt=(10.0, 7.0))
        elif s.style == "accent":
            shape = stroke(path, THIN_PT, "accent")
        elif s.style == "solid":
            shape = stroke(path, THIN_PT, "ink")
        else:
            shape = stroke(path, HAIR_PT, "ink", GHOST_TINT)
        shapes.append(shape)
        if s.label:
            legend.append((s.label, shape))
    shapes += _principal(data, p, xs, ys, plot, x, y, xp, yp, ts)
    shapes += _points(data, p, xs, ys, plot)
    shapes += frame_axes(plot, xs, ys, ts, x_label=p.x_label, y_label=p.y_label)
    if p.marker:
        mx = float(np.asarray(data[p.marker], float))
        px = float(xs(mx))
        shapes.append(stroke(PathBuilder().move(px, plot.y + 14).line(px, plot.bottom),
                             THIN_PT, "accent", cap="butt", dash_pt=(12.0, 8.0)))
        if p.marker_label:
            shapes.append(ts.line(p.marker_label, "serif-italic", LABEL_PT + 5, px - 14, plot.y + 34, anchor="end",
                                  role="accent"))
    if p.mark_peak:
        i = int(np.nanargmax(y))
        cx, cy = float(xp[i]), float(yp[i])
        shapes.append(stroke(PathBuilder().circle(cx, cy, 13.0), THIN_PT, "accent"))
        shapes.append(stroke(PathBuilder().circle(cx, cy, 4.0), HEAVY_PT, "accent"))
        if p.peak_label:
            shapes.append(ts.line(p.peak_label, "mono", TICK_PT, cx + 22, cy + 24, role="accent"))
    # Legend in the upper right, inside the frame.
    entries = ([(p.label, "main")] if p.label else []) + [(lab, "series") for lab, _ in legend]
    entries += _extra_entries(p)
    vertical, side = p.legend.split("-")
    ly = plot.y + 40 if vertical == "upper" else plot.bottom - 30 - 26 * (len(entries) - 1)
    x0 = plot.x + 30 if side == "left" else plot.right - 300
    for i, (text, kind) in enumerate(entries):
        yy = ly + i * 26
        if kind == "main":
            shapes.append(stroke(PathBuilder().move(x0, yy).line(x0 + 40, yy), MEDIUM_PT,
                                 "accent" if p.main_style == "accent" else "ink"))
        elif kind != "series":
            shapes += _legend_sample(kind, x0, yy, p)
        else:
            src = legend[i - (1 if p.label else 0)][1]
            shapes.append(stroke(PathBuilder().move(x0, yy).line(x0 + 40, yy), src.width_pt,
                                 src.role, src.tint, cap=src.cap, dash_pt=src.dash_pt))
        shapes.append(ts.line(text, "mono", TICK_PT, x0 + 52, yy + TICK_PT * 0.35))
    shapes += _notes(data, p, ts, x0, ly, len(entries), vertical, plot)
    return shapes


# -- Optional extras: bands, families of rows, points, staircases, notes ------------------------
# Each helper returns what the engine drew before these params existed when they are left at
# their defaults, so older designs render byte for byte the same.




def _paired(p: CurveParams) -> None:
    for a, b in (("band_lo", "band_hi"), ("points_x", "points_y")):
        if (getattr(p, a) is None) != (getattr(p, b) is None):
            msg = f"motif params '{a}' and '{b}' go together; give both or neither"
            raise TeeprintError(msg)


def _rows(data: FigureData, p: CurveParams, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.atleast_2d(data.array(p.rows or "", "rows"))
    rx = data.array(p.rows_x, "rows_x").ravel() if p.rows_x else x.ravel()
    if rows.shape[1] != rx.size:
        msg = f"motif param 'rows': rows have {rows.shape[1]} points but their x has {rx.size}"
        raise TeeprintError(msg)
    return rx, rows


def _extra_y_pool(data: FigureData, p: CurveParams) -> list[np.ndarray]:
    """Values of the optional layers, so the y range holds them too."""
    _paired(p)
    names = [(n, w) for n, w in ((p.rows, "rows"), (p.band_lo, "band_lo"), (p.band_hi, "band_hi"),
                                 (p.points_y, "points_y")) if n]
    return [data.array(n, w).ravel() for n, w in names]


def _x_range(data: FigureData, p: CurveParams, x: np.ndarray, xlo: float,
             xhi: float) -> tuple[float, float]:
    """The x range over every drawn x array, then any explicit bounds."""
    extra = [data.array(s.x, "series.x").ravel() for s in p.series if s.x]
    if p.rows:
        rx, rows = _rows(data, p, x)
        extra.append(rx[np.any(np.isfinite(rows), axis=0)])
    if p.points_x:
        extra.append(data.array(p.points_x, "points_x").ravel())
    if extra:
        pool = np.concatenate([x.ravel(), *extra])
        pool = pool[np.isfinite(pool) & ((pool > 0) if p.x_log else True)]
        xlo, xhi = (float(pool.min()), float(pool.max())) if p.x_log else padded_range(pool, False, 0.02)
    if p.x_min is not None or p.x_max is not None:
        data_lo, data_hi = xlo, xhi
        xlo = p.x_min if p.x_min is not None else xlo
        xhi = p.x_max if p.x_max is not None else xhi
        if p.clip != "cut" and (xlo > data_lo or xhi < data_hi):
            msg = "motif params 'x_min'/'x_max' crop the data; set clip = \"cut\" so lines stop at the frame"
            raise TeeprintError(msg)
    if not xhi > xlo or (p.x_log and xlo <= 0):
        msg = f"curve-vs-scale: x range {xlo:g}..{xhi:g} is empty or not positive on a log axis"
        raise TeeprintError(msg)
    return xlo, xhi


def _clip_segment(x0: float, y0: float, x1: float, y1: float,
                  plot: Box) -> tuple[float, float, float, float] | None:
    """Liang-Barsky: the part of a segment inside the plot, or None."""
    t0, t1 = 0.0, 1.0
    dx, dy = x1 - x0, y1 - y0
    for pk, qk in ((-dx, x0 - plot.x), (dx, plot.right - x0), (-dy, y0 - plot.y), (dy, plot.bottom - y0)):
        if pk == 0:
            if qk < 0:
                return None
            continue
        r = qk / pk
        if pk < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy


def _cut_page(px: np.ndarray, py: np.ndarray, plot: Box, path: PathBuilder | None = None) -> PathBuilder:
    """A page-space polyline clipped to the plot: it leaves at the frame and comes back in."""
    path = path if path is not None else PathBuilder()
    pen: tuple[float, float] | None = None
    for i in range(len(px) - 1):
        a = (float(px[i]), float(py[i]), float(px[i + 1]), float(py[i + 1]))
        seg = _clip_segment(*a, plot) if all(np.isfinite(a)) else None
        if seg is None:
            pen = None
            continue
        sx0, sy0, sx1, sy1 = seg
        if pen is None or abs(pen[0] - sx0) > 1e-6 or abs(pen[1] - sy0) > 1e-6:
            path.move(sx0, sy0)
        path.line(sx1, sy1)
        pen = (sx1, sy1)
    return path


def _cut_path(xs: Scale, ys: Scale, x: np.ndarray, y: np.ndarray, plot: Box) -> PathBuilder:
    with np.errstate(invalid="ignore", divide="ignore"):
        return _cut_page(xs(x), ys(y), plot)


def _stair(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A staircase through page points: each value holds until the next x; equal runs merged."""
    keep = np.concatenate([[True], py[1:] != py[:-1]])
    idx = np.flatnonzero(keep)
    sx: list[float] = []
    sy: list[float] = []
    for k, i in enumerate(idx):
        end = px[idx[k + 1]] if k + 1 < idx.size else px[-1]
        sx += [float(px[i]), float(end)]
        sy += [float(py[i]), float(py[i])]
    return np.asarray(sx), np.asarray(sy)


def _dots(px: np.ndarray, py: np.ndarray, plot: Box, role: str, ring: bool = False) -> list[Shape]:
    dots = PathBuilder()
    rings = PathBuilder()
    for cx, cy in zip(np.ravel(px).tolist(), np.ravel(py).tolist(), strict=True):
        r_out = 9.0 if ring else 4.5
        if not (np.isfinite(cx) and np.isfinite(cy)):
            continue
        if not (plot.x + r_out <= cx <= plot.right - r_out and plot.y + r_out <= cy <= plot.bottom - r_out):
            continue
        dots.circle(cx, cy, 4.0 if ring else 4.5)
        if ring:
            rings.circle(cx, cy, 9.0)
    out = [fill(dots, role)] if not dots.empty else []
    return out + ([stroke(rings, THIN_PT, role)] if not rings.empty else [])


def _page(xs: Scale, ys: Scale, x: np.ndarray, y: np.ndarray, p: CurveParams,
          plot: Box) -> tuple[np.ndarray, np.ndarray]:
    """Page coordinates, clamped to the frame unless lines are cut there."""
    with np.errstate(invalid="ignore", divide="ignore"):
        px, py = xs(x), ys(y)
    return (px, py) if p.clip == "cut" else (px, np.clip(py, plot.y, plot.bottom))


def _split_at(px: np.ndarray, py: np.ndarray, xt: float) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                   tuple[np.ndarray, np.ndarray]]:
    """Cut an x-increasing polyline at page x = xt into the part before and the part after."""
    i = int(np.searchsorted(px, xt))
    if 0 < i < px.size and px[i] != px[i - 1]:
        f = (xt - px[i - 1]) / (px[i] - px[i - 1])
        yt = py[i - 1] + f * (py[i] - py[i - 1])
    else:
        yt = py[min(i, px.size - 1)]
    before = (np.append(px[:i], xt), np.append(py[:i], yt))
    after = (np.insert(px[i:], 0, xt), np.insert(py[i:], 0, yt))
    return before, after


def _main_parts(data: FigureData, p: CurveParams, xs: Scale, ys: Scale, plot: Box, x: np.ndarray,
                y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, str]]:
    px, py = _page(xs, ys, x, y, p, plot)
    if p.step:
        px, py = _stair(px, py)
    role = "accent" if p.main_style == "accent" else "ink"
    if not p.accent_from:
        return [(px, py, role)]
    xt = float(xs(float(data.array(p.accent_from, "accent_from"))))
    (ax, ay), (bx, by) = _split_at(px, py, xt)
    return [(ax, ay, role), (bx, by, "accent")]


def _plain(p: CurveParams) -> bool:
    return not (p.step or p.accent_from or p.clip == "cut" or p.main_style != "ink" or p.main_points)


def _hatch(data: FigureData, p: CurveParams, xs: Scale, ys: Scale, plot: Box, x: np.ndarray,
           y: np.ndarray, xp: np.ndarray, yp: np.ndarray) -> list[Shape]:
    """Engraving under the principal curve (in accent under its accent part)."""
    if _plain(p):
        return hatch_under(xp, yp, plot.bottom, plot)
    out: list[Shape] = []
    for px, py, role in _main_parts(data, p, xs, ys, plot, x, y):
        ok = np.isfinite(px) & np.isfinite(py) & (px >= plot.x) & (px <= plot.right)
        if ok.sum() >= 2:
            out += hatch_under(px[ok], np.clip(py[ok], plot.y, plot.bottom), plot.bottom, plot, role=role)
    return out


def _principal(data: FigureData, p: CurveParams, xs: Scale, ys: Scale, plot: Box, x: np.ndarray,
               y: np.ndarray, xp: np.ndarray, yp: np.ndarray, ts: Typesetter) -> list[Shape]:
    """The principal curve: a plain medium line unless staircase, accent or cut were asked for."""
    if _plain(p):
        return [stroke(PathBuilder().polyline(xp, yp), MEDIUM_PT, "ink")]
    out: list[Shape] = []
    for px, py, role in _main_parts(data, p, xs, ys, plot, x, y):
        path = _cut_page(px, py, plot) if p.clip == "cut" else PathBuilder().polyline(px, py)
        if not path.empty:
            out.append(stroke(path, MEDIUM_PT, role))
    if p.main_points:
        px, py = _page(xs, ys, x, y, p, plot)
        out += _dots(px, py, plot, "accent" if p.main_style == "accent" else "ink")
    if p.accent_from and p.accent_label:
        bx, by, _ = _main_parts(data, p, xs, ys, plot, x, y)[-1]
        out.append(_label_inside(ts, _fill_text(p.accent_label, data, "accent_label"), float(bx[0]) + 6, float(by[0]) - 14, "start",
                                 plot, "accent"))
    return out


def _label_inside(ts: Typesetter, text: str, x: float, y: float, anchor: str, plot: Box,
                  role: str = "ink") -> Shape:
    """A tick-size label nudged so it stays inside the plot frame."""
    w = ts.measure(text, "mono", TICK_PT)
    left = x - {"start": 0.0, "middle": w / 2, "end": w}[anchor]
    left = min(max(left, plot.x + 6), plot.right - 6 - w)
    y = min(max(y, plot.y + TICK_PT + 6), plot.bottom - 6)
    return ts.line(text, "mono", TICK_PT, left, y, role=role)


def _styled_line(path: PathBuilder, style: str) -> Shape:
    if style == "dotted":
        return stroke(path, THIN_PT, "ink", 1.0, cap="round", dash_pt=(0.1, 6.0))
    if style == "dashed":
        return stroke(path, THIN_PT, "ink", 1.0, cap="butt", dash_pt=(10.0, 7.0))
    if style == "accent":
        return stroke(path, THIN_PT, "accent")
    if style == "solid":
        return stroke(path, THIN_PT, "ink")
    return stroke(path, HAIR_PT, "ink", GHOST_TINT)


def _band_hatch(px: np.ndarray, top: np.ndarray, bottom: np.ndarray, plot: Box,
                gap_pt: float = HATCH_GAP_PT + 2.0) -> PathBuilder:
    """45-degree engraving between two page curves (top <= bottom in page y), inside the plot."""
    path = PathBuilder()
    step = gap_pt * math.sqrt(2.0)
    ys_line = np.arange(plot.y, plot.bottom + 0.5, 0.75)
    c = math.floor((plot.x - plot.bottom) / step) * step
    while c <= plot.right - plot.y:
        xl = c + ys_line
        ok = (xl >= plot.x) & (xl <= plot.right) & (xl >= px[0]) & (xl <= px[-1])
        lo = np.interp(xl, px, top)
        hi = np.interp(xl, px, bottom)
        ok &= (ys_line >= lo + HAIR_PT) & (ys_line <= hi - HAIR_PT)
        for run in np.split(np.flatnonzero(ok), np.flatnonzero(np.diff(np.flatnonzero(ok)) > 1) + 1):
            if run.size >= 3:
                path.move(float(xl[run[0]]), float(ys_line[run[0]]))
                path.line(float(xl[run[-1]]), float(ys_line[run[-1]]))
        c += step
    return path


def _underlay(data: FigureData, p: CurveParams, xs: Scale, ys: Scale, plot: Box, x: np.ndarray,
              ts: Typesetter) -> list[Shape]:
    """The band (hatched, edged) and the family of rows with their labels."""
    out: list[Shape] = []
    if p.band_lo and p.band_hi:
        lo = data.array(p.band_lo, "band_lo").ravel()
        hi = data.array(p.band_hi, "band_hi").ravel()
        if lo.size != x.size or hi.size != x.size:
            msg = "motif params 'band_lo'/'band_hi' must have as many values as x"
            raise TeeprintError(msg)
        with np.errstate(invalid="ignore", divide="ignore"):
            px, a, b = xs(x), ys(lo), ys(hi)
        top = np.clip(np.minimum(a, b), plot.y, plot.bottom)
        bot = np.clip(np.maximum(a, b), plot.y, plot.bottom)
        order = np.argsort(px)
        hatch = _band_hatch(px[order], top[order], bot[order], plot)
        if not hatch.empty:
            out.append(stroke(hatch, HAIR_PT, "ink", HATCH_TINT, cap="butt"))
        edges = _cut_page(px, a, plot)
        _cut_page(px, b, plot, edges)
        if p.band_edges and not edges.empty:
            out.append(stroke(edges, HAIR_PT, "ink"))
    if p.rows:
        rx, rows = _rows(data, p, x)
        crossings = [_crossing(xs, ys, rx, row, p.row_label_cross) for row in rows]
        for i, row in enumerate(rows):
            px, py = _page(xs, ys, rx, row, p, plot)
            path = _cut_page(px, py, plot) if p.clip == "cut" else PathBuilder().polyline(px, py)
            if path.empty:
                continue
            out.append(_styled_line(path, p.row_style))
            text = p.row_labels[i] if i < len(p.row_labels) else ""
            ok = np.flatnonzero(np.isfinite(px) & np.isfinite(py) & (py >= plot.y) & (py <= plot.bottom))
            if text and ok.size:
                out.append(_row_label(ts, text, p, px, py, row, ok, plot, crossings, i))
    return out


def _crossing(xs: Scale, ys: Scale, x: np.ndarray, row: np.ndarray,
              level: float) -> tuple[float, float] | None:
    """Page point where a row first rises through ``level``, or None."""
    ok = np.isfinite(row) & np.isfinite(x)
    xv, rv = x[ok], row[ok]
    above = np.flatnonzero(rv >= level)
    if not above.size:
        return None
    i = int(above[0])
    if i > 0 and rv[i] != rv[i - 1]:
        f = (level - rv[i - 1]) / (rv[i] - rv[i - 1])
        cx = float(xs(xv[i - 1])) + f * float(xs(xv[i]) - xs(xv[i - 1]))
    else:
        cx = float(xs(xv[i]))
    return cx, float(ys(level))


def _row_label(ts: Typesetter, text: str, p: CurveParams, px: np.ndarray, py: np.ndarray,
               row: np.ndarray, ok: np.ndarray, plot: Box,
               crossings: list[tuple[float, float] | None], i_row: int) -> Shape:
    if p.row_label_at == "start":
        i = int(ok[0])
        return _label_inside(ts, text, px[i] + 4, py[i] - 10, "start", plot)
    if p.row_label_at == "min":
        i = int(ok[np.nanargmin(row[ok])])
        return _label_inside(ts, text, px[i], py[i] + TICK_PT + 12, "middle", plot)
    own = crossings[i_row]
    if p.row_label_at == "cross" and own is not None:
        # Centre the label in the gap left of its own curve, up to the next curve on that level.
        cx, cy = own
        left = max([c[0] for c in crossings if c is not None and c[0] < cx - 1e-6] + [plot.x])
        room = cx - left - ts.measure(text, "mono", TICK_PT)
        if 16 <= room < 28:
            return _label_inside(ts, text, (cx + left) / 2, cy + TICK_PT * 0.35, "middle", plot)
        return _label_inside(ts, text, cx - (8 if room < 16 else 12), cy + TICK_PT * 0.35, "end", plot)
    i = int(ok[-1])
    return _label_inside(ts, text, px[i] + 8, py[i] + TICK_PT * 0.35, "start", plot)


def _extra_entries(p: CurveParams) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if p.band_lo and p.band_label:
        out.append((p.band_label, "band"))
    if p.points_x and p.points_label:
        out.append((p.points_label, "points"))
    return out


def _legend_sample(kind: str, x0: float, yy: float, p: CurveParams) -> list[Shape]:
    if kind == "band":
        box = Box(x0, yy - 8, 40, 16)
        return [stroke(_band_hatch(np.array([box.x, box.right]), np.array([box.y, box.y]),
                                   np.array([box.bottom, box.bottom]), box), HAIR_PT, "ink", HATCH_TINT,
                       cap="butt"),
                stroke(PathBuilder().move(box.x, box.y).line(box.right, box.y)
                       .move(box.x, box.bottom).line(box.right, box.bottom), HAIR_PT, "ink")]
    return _dots(np.array([x0 + 20]), np.array([yy]), Box(x0, yy - 12, 40, 24), p.points_role, True)


def _points(data: FigureData, p: CurveParams, xs: Scale, ys: Scale, plot: Box) -> list[Shape]:
    if not (p.points_x and p.points_y):
        return []
    px = data.array(p.points_x, "points_x").ravel()
    py = data.array(p.points_y, "points_y").ravel()
    if px.size != py.size:
        msg = "motif params 'points_x' and 'points_y' differ in length"
        raise TeeprintError(msg)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _dots(xs(px), ys(py), plot, p.points_role, True)


def _fill_text(template: str, data: FigureData, what: str) -> str:
    """A label with ``{name:format}`` fields filled from the figure's scalar arrays."""
    scalars = {k: (v.item() if isinstance(v, np.ndarray) else v) for k, v in data.arrays.items()
               if np.ndim(v) == 0}
    from teeprint.textfmt import safe_format

    try:
        return safe_format(template, scalars)
    except ValueError as exc:
        msg = f"motif param '{what}': {exc} (fields are the figure's scalar arrays)"
        raise TeeprintError(msg) from None


def _notes(data: FigureData, p: CurveParams, ts: Typesetter, x0: float, ly: float, n_entries: int,
           vertical: str, plot: Box) -> list[Shape]:
    """Lines of text under the legend (above it when the legend sits low), from scalar arrays."""
    if not p.notes:
        return []
    first = ly + 26 * n_entries - 8 if vertical == "upper" else ly - 22 * len(p.notes) - 14
    out: list[Shape] = []
    for i, note in enumerate(p.notes):
        text = _fill_text(note, data, "notes")
        out.append(_label_inside(ts, text, x0, first + TICK_PT + i * 22, "start", plot))
    return out
