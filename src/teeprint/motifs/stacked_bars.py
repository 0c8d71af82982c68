"""Engraved bars of exact counts, stacked or grouped.

``stacked-bars``: exact counts (bytes, FLOPs, parameters, tokens) as engraved bars, one bar per
group, either stacked by part (what a total is made of) or grouped side by side (the same parts
compared across groups).  Each part has its own engraving (vertical, diagonal, horizontal, cross,
open), so the figure separates parts without colour; chosen parts are drawn in accent.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, PathBuilder, Shape, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.axes import Scale, frame_axes
from teeprint.motifs.style import HAIR_PT, HATCH_TINT, LABEL_PT, MEDIUM_PT, THIN_PT, TICK_PT
from teeprint.recipes import FigureData, Params
from teeprint.typeset import caps

_ENGRAVINGS = ("vertical", "diagonal", "horizontal", "cross", "open", "antidiagonal")


class StackedBarsParams(Params):
    """Which arrays hold the bar values and labels, and how bars are set."""

    values: str = Field("values", description="2-D array (groups, parts) of non-negative numbers")
    groups: str = Field("groups", description="array of group labels (one per bar or bar cluster)")
    parts: tuple[str, ...] = Field((), max_length=6, description="legend name of each part")
    mode: Literal["stacked", "grouped"] = "stacked"
    accent_parts: tuple[int, ...] = Field((), max_length=6)
    accent_groups: tuple[int, ...] = Field((), max_length=24, description="whole bars drawn in accent")
    y_log: bool = Field(False, description="log y axis (grouped mode only)")
    y_max: float | None = Field(None, gt=0.0)
    y_min: float | None = Field(None, gt=0.0, description="floor of a log axis")
    x_label: str = Field("", max_length=60)
    y_label: str = Field("", max_length=60)
    totals: bool = Field(True, description="print each bar's total (or value) above it")
    total_format: str = Field("{:.3g}", max_length=20)
    reference: str | None = Field(None, description="scalar array: a horizontal rule across the bars")
    reference_label: str = Field("", max_length=50)
    bar_width: float = Field(0.62, ge=0.2, le=0.9, description="share of a slot the bar(s) take")
    notes: tuple[str, ...] = Field((), max_length=4, description="lines formatted with scalar arrays")

    @model_validator(mode="after")
    def _check(self) -> StackedBarsParams:
        try:
            self.total_format.format(1.0)
        except (ValueError, IndexError, KeyError):
            msg = f"total_format {self.total_format!r} does not format a number"
            raise ValueError(msg) from None
        if self.y_log and self.mode == "stacked":
            msg = "a stacked bar cannot sit on a log axis; use mode = 'grouped'"
            raise ValueError(msg)
        return self


def _hatch(path: PathBuilder, kind: str, x0: float, y0: float, x1: float, y1: float, gap: float) -> None:
    """Engraving lines of one kind inside the rectangle (x0, y0)-(x1, y1)."""
    w, h = x1 - x0, y1 - y0
    if w < 2.0 or h < 2.0 or kind == "open":
        return
    if kind in ("vertical", "cross"):
        x = x0 + gap / 2
        while x < x1 - 1.0:
            path.move(x, y0).line(x, y1)
            x += gap
    if kind in ("horizontal", "cross"):
        y = y1 - gap / 2
        while y > y0 + 1.0:
            path.move(x0, y).line(x1, y)
            y -= gap
    if kind in ("diagonal", "antidiagonal"):
        step = gap * math.sqrt(2.0)
        c = step / 2
        while c < w + h:
            # the line x - x0 + (y1 - y) = c (rising to the right), clipped to the box
            ax, ay = x0 + max(0.0, c - h), y1 - min(c, h)
            bx, by = x0 + min(c, w), y1 - max(0.0, c - w)
            if kind == "antidiagonal":
                ax, bx = x0 + x1 - ax, x0 + x1 - bx
            if math.hypot(bx - ax, by - ay) > 1.5:
                path.move(ax, ay).line(bx, by)
            c += step


def _scalar(data: FigureData, name: str, what: str) -> float:
    v = data.array(name, what)
    if v.size != 1:
        msg = f"stacked-bars: '{what}' names {name!r}, which is not one number"
        raise TeeprintError(msg)
    return float(v.ravel()[0])


@motif("stacked-bars", StackedBarsParams)
def stacked_bars(data: FigureData, p: StackedBarsParams, ctx: MotifContext) -> list[Shape]:
    """Exact counts as engraved bars: stacked parts of a total, or parts side by side."""
    box, ts = ctx.box, ctx.type
    vals = data.array(p.values, "values")
    vals = vals[:, None] if vals.ndim == 1 else vals
    if p.groups not in data.arrays:
        msg = f"stacked-bars: 'groups' names {p.groups!r}, which the recipe does not make"
        raise TeeprintError(msg)
    groups = [str(g) for g in np.asarray(data.arrays[p.groups]).ravel().tolist()]
    g, k = vals.shape
    if len(groups) != g or not 1 <= g <= 24 or k > 6:
        msg = f"stacked-bars: {p.values!r} is {vals.shape}; need (groups <= 24, parts <= 6) and one label per group"
        raise TeeprintError(msg)
    if np.any(vals < 0) or not np.all(np.isfinite(vals)):
        msg = "stacked-bars: values must be finite and non-negative"
        raise TeeprintError(msg)
    if p.parts and len(p.parts) != k:
        msg = f"stacked-bars: {len(p.parts)} part names for {k} parts"
        raise TeeprintError(msg)
    stacked = p.mode == "stacked"
    tops = vals.sum(axis=1) if stacked else vals.max(axis=1)
    ref = _scalar(data, p.reference, "reference") if p.reference else None
    hi = p.y_max or float(max(tops.max(), ref or 0.0)) * (1.18 if p.totals else 1.06)
    n_entries = (k if p.parts and k > 1 else 0) + (1 if p.reference_label else 0)
    legend_rows = math.ceil(n_entries / 3)
    notes = [n.format(**{a: float(np.asarray(v).ravel()[0]) for a, v in data.arrays.items()
                         if np.asarray(v).size == 1 and np.asarray(v).dtype.kind in "fiub"})
             for n in p.notes]
    head = 44.0 + legend_rows * 24.0
    foot = TICK_PT + LABEL_PT + 34 + 22.0 * len(notes)
    plot = Box(box.x + 74, box.y + head, box.w - 84, box.h - head - foot)
    if p.y_log:
        positive = vals[vals > 0]
        lo = p.y_min or float(positive.min()) / 2.0
        ys = Scale(lo, hi * (3.0 if p.totals else 1.5) if p.y_max is None else hi, plot.bottom, plot.y, log=True)
    else:
        lo = 0.0
        ys = Scale(0.0, hi, plot.bottom, plot.y)
    xs = Scale(-0.5, g - 0.5, plot.x, plot.right)
    shapes = frame_axes(plot, xs, ys, ts, y_label=p.y_label, x_ticks=[])
    slot = plot.w / g
    label_pt = TICK_PT if max(ts.measure(s, "mono", TICK_PT) for s in groups) < slot - 6 else TICK_PT - 2
    for i, name in enumerate(groups):
        shapes.append(ts.line(name, "mono", label_pt, float(xs(i)), plot.bottom + TICK_PT + 8, anchor="middle"))
    if p.x_label:
        shapes.append(ts.line(caps(p.x_label), "mono", LABEL_PT - 2, plot.cx,
                              plot.bottom + TICK_PT + LABEL_PT + 22, anchor="middle", tracking_em=0.12))
    outline = {"ink": PathBuilder(), "accent": PathBuilder()}
    hatch = {"ink": PathBuilder(), "accent": PathBuilder()}
    width = slot * p.bar_width
    gap = 6.0 if width > 40 else 4.5
    for i in range(g):
        base = float(ys(lo)) if p.y_log else plot.bottom
        for j in range(k):
            v = float(vals[i, j])
            role = "accent" if (j in p.accent_parts or i in p.accent_groups) else "ink"
            if stacked:
                x0 = float(xs(i)) - width / 2
                x1 = x0 + width
                y1 = base
                y0 = float(ys(vals[i, : j + 1].sum()))
                base = y0
            else:
                w = width / k
                x0 = float(xs(i)) - width / 2 + j * w + 1.5
                x1 = x0 + w - 3.0
                y1 = float(ys(lo)) if p.y_log else plot.bottom
                y0 = float(ys(max(v, lo))) if p.y_log else float(ys(v))
            if y1 - y0 < 0.5:
                continue
            outline[role].move(x0, y1).line(x0, y0).line(x1, y0).line(x1, y1)
            if stacked and j > 0:
                outline[role].move(x0, y1).line(x1, y1)
            _hatch(hatch[role], _ENGRAVINGS[j % len(_ENGRAVINGS)], x0 + 1.5, y0 + 1.5, x1 - 1.5, y1, gap)
            if p.totals and not stacked:
                shapes.append(ts.line(p.total_format.format(v), "mono", TICK_PT - 2, (x0 + x1) / 2, y0 - 6,
                                      anchor="middle", role=role))
        if p.totals and stacked:
            top = float(ys(tops[i]))
            role = "accent" if i in p.accent_groups else "ink"
            shapes.append(ts.line(p.total_format.format(float(tops[i])), "mono", TICK_PT, float(xs(i)), top - 8,
                                  anchor="middle", role=role))
    for role in ("ink", "accent"):
        if not hatch[role].empty:
            shapes.append(stroke(hatch[role], HAIR_PT, role, HATCH_TINT if role == "ink" else 1.0, cap="butt"))
        if not outline[role].empty:
            shapes.append(stroke(outline[role], THIN_PT if role == "ink" else MEDIUM_PT, role, cap="butt"))
    if ref is not None:
        y = float(ys(ref))
        rule = PathBuilder().move(plot.x + THIN_PT, y).line(plot.right - THIN_PT, y)
        shapes.append(stroke(rule, THIN_PT, "accent", cap="butt", dash_pt=(8.0, 5.0)))
    # legend: one swatch per part, three to a row, above the plot; then the reference rule
    entries: list[tuple[str, int | None]] = [(n, j) for j, n in enumerate(p.parts)] if k > 1 else []
    if p.reference_label:
        entries.append((p.reference_label, None))
    col_w = (plot.w - 10) / 3
    for e, (name, part) in enumerate(entries):
        r, c = divmod(e, 3)
        x = plot.x + 4 + c * col_w
        y = box.y + 8 + r * 24.0
        if part is None:
            sw = PathBuilder().move(x, y + 8).line(x + 26, y + 8)
            shapes.append(stroke(sw, THIN_PT, "accent", cap="butt", dash_pt=(8.0, 5.0)))
        else:
            role = "accent" if part in p.accent_parts else "ink"
            sw = PathBuilder().move(x, y + 16).line(x, y).line(x + 26, y).line(x + 26, y + 16).line(x, y + 16)
            hp = PathBuilder()
            _hatch(hp, _ENGRAVINGS[part % len(_ENGRAVINGS)], x + 1.5, y + 1.5, x + 24.5, y + 16, 4.5)
            if not hp.empty:
                shapes.append(stroke(hp, HAIR_PT, role, HATCH_TINT if role == "ink" else 1.0, cap="butt"))
            shapes.append(stroke(sw, THIN_PT, role, cap="butt"))
        shapes.append(ts.line(name, "mono", TICK_PT, x + 34, y + 13))
    for i, line in enumerate(notes):
        shapes.append(ts.line(line, "mono", TICK_PT, plot.x, box.bottom - 6 - 22.0 * (len(notes) - 1 - i)))
    return shapes
