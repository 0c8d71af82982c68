"""The architecture-glyph engine: a network drawn from its own weights.

Layers are columns of nodes; every surviving weight is an edge whose ink density follows its
magnitude, so a pruned network reads as a sparse engraving and a dense one as a woven panel.
Units left with no path through them are drawn hollow.  The ``matrix`` style draws each weight
matrix as a block of cells instead (a mask glyph).  An optional inset curve on the right holds a
measured quantity (accuracy against sparsity, say) on engraved axes.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, PathBuilder, Shape, fill, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.axes import Scale, frame_axes, padded_range
from teeprint.motifs.style import GHOST_TINT, HAIR_PT, LABEL_PT, MEDIUM_PT, THIN_PT, TICK_PT
from teeprint.recipes import FigureData, Params
from teeprint.typeset import caps


class InsetSeries(Params):
    """One curve of the inset: an array against the inset's x, a label and a style."""

    y: str
    label: str = Field("", max_length=40)
    style: Literal["accent", "solid", "dashed", "ghost"] = "solid"


class Inset(Params):
    """A small engraved plot beside the glyph."""

    x: str
    series: tuple[InsetSeries, ...] = Field(min_length=1, max_length=5)
    x_log: bool = False
    x_reverse: bool = False
    y_min: float | None = None
    y_max: float | None = None
    x_label: str = Field("", max_length=40)
    y_label: str = Field("", max_length=40)
    share: float = Field(0.42, ge=0.25, le=0.6, description="share of the panel width it takes")


class GlyphParams(Params):
    """Which arrays hold the layer widths and weights, and how to draw them."""

    layers: str = Field("layer_sizes", description="1-D array of layer widths, input first")
    weights: str = Field("weight_", description="prefix of the per-layer arrays <prefix>0, <prefix>1, ...")
    style: Literal["graph", "matrix"] = "graph"
    layer_labels: tuple[str, ...] = Field((), max_length=12)
    note: str = Field("", max_length=80, description="a line set under the glyph")
    inset: Inset | None = None

    @model_validator(mode="after")
    def _check(self) -> GlyphParams:
        if not self.weights:
            msg = "weights prefix must not be empty"
            raise ValueError(msg)
        return self


def _arr(data: FigureData, name: str) -> np.ndarray:
    try:
        return np.asarray(data[name], float)
    except KeyError:
        msg = (f"architecture-glyph: no array {name!r} in the figure data; known: "
               f"{', '.join(sorted(data.arrays))}")
        raise TeeprintError(msg) from None


def live_units(mats: list[np.ndarray]) -> list[np.ndarray]:
    """Per layer, which units lie on at least one input-to-output path of nonzero weights."""
    fwd = [np.ones(mats[0].shape[0], bool)]
    for m in mats:
        fwd.append((fwd[-1].astype(float) @ (m != 0)) > 0)
    bwd = [np.ones(mats[-1].shape[1], bool)]
    for m in reversed(mats):
        bwd.insert(0, ((m != 0) @ bwd[0].astype(float)) > 0)
    return [f & b for f, b in zip(fwd, bwd, strict=True)]


def _graph(mats: list[np.ndarray], sizes: list[int], area: Box, labels: tuple[str, ...],
           ctx: MotifContext) -> list[Shape]:
    ts = ctx.type
    n_layers = len(sizes)
    label_h = TICK_PT + 14 if labels else 0.0
    body = Box(area.x, area.y, area.w, area.h - label_h)
    xs = np.linspace(body.x + 16, body.right - 16, n_layers)
    tallest = max(sizes)
    gap = min(26.0, (body.h - 20) / max(tallest - 1, 1))
    node_r = float(np.clip(gap * 0.28, 2.6, 7.0))
    ys = [body.cy + (np.arange(n) - (n - 1) / 2) * gap for n in sizes]
    top = max(float(np.abs(m).max()) for m in mats) or 1.0
    live = live_units(mats)
    # Edges on a live input-to-output path are inked by magnitude; stranded ones are ghosts.
    buckets = {GHOST_TINT: PathBuilder(), 0.6: PathBuilder(), 0.8: PathBuilder(), 1.0: PathBuilder()}
    for li, m in enumerate(mats):
        ii, jj = np.nonzero(m)
        mag = np.abs(m[ii, jj]) / top
        for i, j, a in zip(ii.tolist(), jj.tolist(), mag.tolist(), strict=True):
            if not (live[li][i] and live[li + 1][j]):
                tint = GHOST_TINT
            else:
                tint = 0.6 if a < 0.25 else (0.8 if a < 0.55 else 1.0)
            buckets[tint].move(float(xs[li]) + node_r, float(ys[li][i])).line(
                float(xs[li + 1]) - node_r, float(ys[li + 1][j]))
    shapes: list[Shape] = []
    for tint, path in buckets.items():
        if not path.empty:
            shapes.append(stroke(path, HAIR_PT if tint < 1.0 else THIN_PT, "ink", tint))
    alive_p, dead_p = PathBuilder(), PathBuilder()
    for li, n in enumerate(sizes):
        for k in range(n):
            (alive_p if live[li][k] else dead_p).circle(float(xs[li]), float(ys[li][k]), node_r)
    if not alive_p.empty:
        shapes.append(fill(alive_p, "ink"))
    if not dead_p.empty:
        shapes.append(stroke(dead_p, HAIR_PT, "ink", GHOST_TINT + 0.15))
    # Input and output units carry the accent: where the signal enters and leaves.
    io = PathBuilder()
    for li in (0, n_layers - 1):
        for k in range(sizes[li]):
            io.circle(float(xs[li]), float(ys[li][k]), node_r + 3.5)
    shapes.append(stroke(io, THIN_PT, "accent"))
    for li, text in enumerate(labels[:n_layers]):
        shapes.append(ts.line(text, "mono", TICK_PT, float(xs[li]), area.bottom - 4, anchor="middle"))
    return shapes


def _matrix(mats: list[np.ndarray], area: Box, labels: tuple[str, ...],
            ctx: MotifContext) -> list[Shape]:
    ts = ctx.type
    label_h = TICK_PT + 14 if labels else 0.0
    gap = 28.0
    cols = sum(m.shape[1] for m in mats)
    rows = max(m.shape[0] for m in mats)
    cell = min((area.w - gap * (len(mats) - 1)) / max(cols, 1), (area.h - label_h) / max(rows, 1), 22.0)
    total_w = cell * cols + gap * (len(mats) - 1)
    x = area.cx - total_w / 2
    top = max(float(np.abs(m).max()) for m in mats) or 1.0
    shapes: list[Shape] = []
    for li, m in enumerate(mats):
        h = m.shape[0] * cell
        y0 = area.y + (area.h - label_h - h) / 2
        cells = {0.45: PathBuilder(), 0.7: PathBuilder(), 1.0: PathBuilder()}
        inset = max(cell * 0.12, 0.8)
        for i, j in zip(*np.nonzero(m), strict=True):
            a = abs(float(m[i, j])) / top
            tint = 0.45 if a < 0.25 else (0.7 if a < 0.55 else 1.0)
            cells[tint].rect(x + j * cell + inset, y0 + i * cell + inset, cell - 2 * inset, cell - 2 * inset)
        for tint, path in cells.items():
            if not path.empty:
                shapes.append(fill(path, "ink", tint))
        shapes.append(stroke(PathBuilder().rect(x, y0, m.shape[1] * cell, h), HAIR_PT, cap="butt"))
        if li < len(labels):
            shapes.append(ts.line(labels[li], "mono", TICK_PT, x + m.shape[1] * cell / 2,
                                  area.bottom - 4, anchor="middle"))
        x += m.shape[1] * cell + gap
    return shapes


def _series_line(path: PathBuilder, style: str) -> Shape:
    if style == "accent":
        return stroke(path, MEDIUM_PT, "accent")
    if style == "dashed":
        return stroke(path, THIN_PT, "ink", cap="butt", dash_pt=(8.0, 6.0))
    if style == "ghost":
        return stroke(path, HAIR_PT, "ink", GHOST_TINT)
    return stroke(path, THIN_PT, "ink")


def _inset(data: FigureData, p: Inset, box: Box, ctx: MotifContext) -> list[Shape]:
    ts = ctx.type
    x = _arr(data, p.x).ravel()
    ys = [_arr(data, s.y).ravel() for s in p.series]
    for s, y in zip(p.series, ys, strict=True):
        if y.shape != x.shape:
            msg = f"architecture-glyph: inset series {s.y!r} has {y.size} values, x {p.x!r} has {x.size}"
            raise TeeprintError(msg)
    legend_h = 26.0 * sum(1 for s in p.series if s.label)
    plot = Box(box.x + 70, box.y + 30 + legend_h, box.w - 70 - 12, box.h - 30 - legend_h - 64)
    lo, hi = padded_range(np.concatenate(ys), False)
    lo = p.y_min if p.y_min is not None else lo
    hi = p.y_max if p.y_max is not None else hi
    xlo, xhi = (float(x.min()), float(x.max())) if p.x_log else padded_range(x, False, 0.04)
    if p.x_log and xlo <= 0:
        msg = f"architecture-glyph: inset x {p.x!r} must be positive on a log axis"
        raise TeeprintError(msg)
    if xhi == xlo:
        xhi = xlo + 1.0
    p0, p1 = (plot.right, plot.x) if p.x_reverse else (plot.x, plot.right)
    xs = Scale(xlo, xhi, p0, p1, p.x_log)
    ysc = Scale(lo, hi, plot.bottom, plot.y)
    shapes: list[Shape] = []
    for s_i, (s, y) in enumerate(zip(p.series, ys, strict=True)):
        px, py = xs(x), np.clip(ysc(y), plot.y, plot.bottom)
        dots = PathBuilder()
        for a, b in zip(px.tolist(), py.tolist(), strict=True):
            dots.circle(a, b, 3.2 if s.style == "accent" else 2.6)
        shapes.append(_series_line(PathBuilder().polyline(px, py), s.style))
        role, tint = ("accent", 1.0) if s.style == "accent" else (
            "ink", GHOST_TINT if s.style == "ghost" else 1.0)
        shapes.append(fill(dots, role, tint))
        if s.label:
            ly = box.y + 8 + TICK_PT + 26.0 * s_i
            mid = ly - TICK_PT * 0.35
            shapes.append(_series_line(PathBuilder().move(plot.x, mid).line(plot.x + 34, mid), s.style))
            shapes.append(ts.line(s.label, "mono", TICK_PT, plot.x + 44, ly))
    ticks: list[tuple[float, str]] | None = None
    if p.x_log:
        ticks = [(float(v), f"{v:g}") for v in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
                 if xlo <= v <= xhi]
    shapes += frame_axes(plot, xs, ysc, ts, x_label=p.x_label, y_ticks=None, x_ticks=ticks)
    if p.y_label:
        shapes.append(ts.line(caps(p.y_label), "mono", LABEL_PT - 2, plot.x, plot.y - 12,
                              tracking_em=0.12))
    return shapes


@motif("architecture-glyph", GlyphParams)
def architecture_glyph(data: FigureData, p: GlyphParams, ctx: MotifContext) -> list[Shape]:
    """A network drawn from its weight matrices, with an optional measured inset."""
    box, ts = ctx.box, ctx.type
    sizes = [int(v) for v in _arr(data, p.layers).ravel()]
    if len(sizes) < 2 or min(sizes) < 1:
        msg = f"architecture-glyph: {p.layers!r} must list at least two positive layer widths"
        raise TeeprintError(msg)
    mats = [_arr(data, f"{p.weights}{i}") for i in range(len(sizes) - 1)]
    for i, m in enumerate(mats):
        if m.shape != (sizes[i], sizes[i + 1]):
            msg = (f"architecture-glyph: {p.weights}{i} has shape {m.shape}, expected "
                   f"({sizes[i]}, {sizes[i + 1]}) from {p.layers!r}")
            raise TeeprintError(msg)
    note_h = TICK_PT + 16 if p.note else 0.0
    glyph_box = Box(box.x + 10, box.y + 10, box.w - 20, box.h - 20 - note_h)
    shapes: list[Shape] = []
    if p.inset is not None:
        inset_w = box.w * p.inset.share
        shapes += _inset(data, p.inset, Box(box.right - inset_w, box.y, inset_w, box.h), ctx)
        glyph_box = Box(glyph_box.x, glyph_box.y, glyph_box.w - inset_w - 30, glyph_box.h)
    if p.style == "graph":
        shapes += _graph(mats, sizes, glyph_box, p.layer_labels, ctx)
    else:
        shapes += _matrix(mats, glyph_box, p.layer_labels, ctx)
    if p.note:
        shapes.append(ts.line(p.note, "serif-italic", LABEL_PT + 1, glyph_box.cx, box.bottom - 8,
                              anchor="middle"))
    return shapes
