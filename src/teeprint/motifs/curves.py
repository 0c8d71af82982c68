"""The curve-against-scale engine: a quantity against a size, step or budget.

Draws one principal curve (optionally hatched beneath, engraving-style), ghost curves for
repeated runs or alternatives, an accent marker at a named threshold, and labels.  Double
descent, scaling laws, emergence and training curves are all this engine with other params.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from teeprint.artwork import Box, PathBuilder, Shape, stroke
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.axes import Scale, frame_axes, hatch_under, padded_range
from teeprint.motifs.style import (
    GHOST_TINT,
    HAIR_PT,
    HEAVY_PT,
    LABEL_PT,
    MEDIUM_PT,
    THIN_PT,
    TICK_PT,
)
from teeprint.recipes import FigureData, Params


class Series(Params):
    """One extra curve: an array name, a label and how to draw it."""

    y: str
    label: str = ""
    style: str = Field("ghost", pattern="^(ghost|dashed|accent|solid)$")


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
    lo, hi = padded_range(np.concatenate(pool), p.y_log)
    lo = p.y_min if p.y_min is not None else lo
    hi = p.y_max if p.y_max is not None else hi
    xlo, xhi = (float(x.min()), float(x.max())) if p.x_log else padded_range(x, False, 0.02)
    xs = Scale(xlo, xhi, plot.x, plot.right, p.x_log)
    ys = Scale(lo, hi, plot.bottom, plot.y, p.y_log)
    shapes: list[Shape] = []
    xp, yp = _polyline(xs, ys, x, y, plot)
    if p.hatch:
        shapes += hatch_under(xp, yp, plot.bottom, plot)
    if p.y_runs:
        runs = np.atleast_2d(np.asarray(data[p.y_runs], float))
        ghost = PathBuilder()
        for run in runs:
            gx, gy = _polyline(xs, ys, x, run, plot)
            ghost.polyline(gx, gy)
        shapes.append(stroke(ghost, HAIR_PT, "ink", GHOST_TINT))
    legend: list[tuple[str, Shape]] = []
    for s in p.series:
        sy = np.asarray(data[s.y], float)
        sx_p, sy_p = _polyline(xs, ys, x, sy, plot)
        path = PathBuilder().polyline(sx_p, sy_p)
        if s.style == "dashed":
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
    shapes.append(stroke(PathBuilder().polyline(xp, yp), MEDIUM_PT, "ink"))
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
    vertical, side = p.legend.split("-")
    ly = plot.y + 40 if vertical == "upper" else plot.bottom - 30 - 26 * (len(entries) - 1)
    x0 = plot.x + 30 if side == "left" else plot.right - 300
    for i, (text, kind) in enumerate(entries):
        yy = ly + i * 26
        if kind == "main":
            shapes.append(stroke(PathBuilder().move(x0, yy).line(x0 + 40, yy), MEDIUM_PT, "ink"))
        else:
            src = legend[i - (1 if p.label else 0)][1]
            shapes.append(stroke(PathBuilder().move(x0, yy).line(x0 + 40, yy), src.width_pt,
                                 src.role, src.tint, cap=src.cap, dash_pt=src.dash_pt))
        shapes.append(ts.line(text, "mono", TICK_PT, x0 + 52, yy + TICK_PT * 0.35))
    return shapes
