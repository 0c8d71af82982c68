"""The density-ridges engine: stacked engraved density curves, back to front.

One curve per generation, layer, time step or dimension, each raised from its own baseline and
stacked like the pulsar plot on *Unknown Pleasures*: the rows behind show only where they rise
above the rows in front.  Occlusion is geometric, because the master is layered by ink and there
is no paper ink to paint over anything: every line of a row is clipped against the horizon of
the rows in front of it (the envelope of their top curves).  Optional extras: overlay densities
on the same rows (a fitted model against its target), a rug of samples under each baseline,
particle paths threading the rows (a sampler moving through time), a reference line, left and
right label columns formatted from arrays.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import PathBuilder, Shape, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.axes import Scale
from teeprint.motifs.style import (
    GHOST_TINT,
    HAIR_PT,
    HATCH_TINT,
    HEAVY_PT,
    LABEL_PT,
    MEDIUM_PT,
    THIN_PT,
    TICK_PT,
)
from teeprint.recipes import FigureData, Params
from teeprint.typeset import caps

LineStyle = Literal["accent", "dashed", "ghost", "solid"]

#: Air left between a clipped line and the horizon that hides it.
CLEAR_PT = 1.6
#: Height of the bottom axis band (ticks, numbers, title).
AXIS_BAND_PT = 66.0


class Layer(Params):
    """A second density drawn on the same rows (1-D: the same curve on every row)."""

    density: str
    style: LineStyle = "accent"
    label: str = ""
    occludes: bool = False


class RidgeParams(Params):
    """Which arrays make the ridges, and how they are stacked, clipped and labelled."""

    x: str
    density: str = Field(description="2-D array, one row per ridge, back (top) to front")
    step: bool = Field(False, description="draw rows as histogram staircases")
    normalise: Literal["shared", "row", "layer"] = "shared"
    overlap: float = Field(2.0, ge=0.3, le=8.0, description="full height in row gaps")
    line_pt: float = Field(THIN_PT, ge=HAIR_PT, le=HEAVY_PT)
    hatch: bool = True
    hatch_gap_pt: float = Field(7.0, ge=4.0, le=40.0)
    layers: tuple[Layer, ...] = Field((), max_length=4)
    x_min: float | None = None
    x_max: float | None = None
    x_label: str = ""
    row_values: str | None = None
    row_names: tuple[str, ...] = Field((), max_length=40, description="fixed left labels, one per row")
    row_format: str = Field("{}", max_length=40)
    row_title: str = Field("", max_length=40)
    right_values: str | None = None
    right_format: str = Field("{}", max_length=40)
    right_title: str = Field("", max_length=40)
    label_every: int = Field(1, ge=1, le=200)
    accent_rows: tuple[int, ...] = Field((), max_length=16)
    label: str = Field("", max_length=60, description="legend entry for the ridges themselves")
    rug: str | None = Field(None, description="2-D array of sample positions, one row per ridge")
    paths_x: str | None = None
    paths_row: str | None = None
    paths_style: Literal["accent", "ghost", "solid"] = "accent"
    paths_occluded: bool = False
    paths_label: str = Field("", max_length=60)
    reference_x: float | None = None
    reference_label: str = Field("", max_length=40)
    note: str = Field("", max_length=90)

    @model_validator(mode="after")
    def _pairs(self) -> RidgeParams:
        if (self.paths_x is None) != (self.paths_row is None):
            msg = "paths_x and paths_row go together"
            raise ValueError(msg)
        if self.x_min is not None and self.x_max is not None and self.x_max <= self.x_min:
            msg = "x_max must exceed x_min"
            raise ValueError(msg)
        for fmt_str in (self.row_format, self.right_format):
            try:
                fmt_str.format(1.0)
            except (ValueError, IndexError, KeyError):
                msg = f"format {fmt_str!r} must take one number, e.g. 'd = {{:g}}'"
                raise ValueError(msg) from None
        return self




def _fmt(template: str, value: float) -> str:
    if float(value).is_integer() and "{}" in template:
        return template.format(int(value))
    return template.format(value)


def _runs(xp: np.ndarray, yp: np.ndarray, limit: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pieces of a polyline lying above (page y <= ``limit``) the horizon, cut where they cross it.

    ``limit`` is the horizon sampled at the polyline's own points; crossings are found by linear
    interpolation of the signed clearance along each segment.
    """
    gap = limit - yp
    vis = gap >= 0
    out: list[tuple[np.ndarray, np.ndarray]] = []
    i, n = 0, xp.size
    while i < n:
        if not vis[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and vis[j + 1]:
            j += 1
        xs, ys = list(xp[i:j + 1]), list(yp[i:j + 1])
        if i > 0:  # enter: cut the segment (i-1, i) where it clears the horizon
            f = gap[i] / (gap[i] - gap[i - 1])
            xs.insert(0, xp[i] + f * (xp[i - 1] - xp[i]))
            ys.insert(0, yp[i] + f * (yp[i - 1] - yp[i]))
        if j + 1 < n:
            f = gap[j] / (gap[j] - gap[j + 1])
            xs.append(xp[j] + f * (xp[j + 1] - xp[j]))
            ys.append(yp[j] + f * (yp[j + 1] - yp[j]))
        if len(xs) >= 2:
            out.append((np.asarray(xs), np.asarray(ys)))
        i = j + 1
    return out


def _densify(xp: np.ndarray, yp: np.ndarray, step_pt: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Insert points so no segment is longer than ``step_pt`` horizontally (for exact clipping)."""
    if xp.size < 2:
        return xp, yp
    seg = np.maximum(1, np.ceil(np.abs(np.diff(xp)) / step_pt).astype(int))
    if np.all(seg == 1):
        return xp, yp
    t = np.concatenate([np.arange(k) / k + i for i, k in enumerate(seg)] + [[xp.size - 1]])
    idx = np.arange(xp.size)
    return np.interp(t, idx, xp), np.interp(t, idx, yp)


def _line(path: PathBuilder, runs: list[tuple[np.ndarray, np.ndarray]]) -> PathBuilder:
    for xs, ys in runs:
        path.polyline(xs, ys)
    return path


def _styled(path: PathBuilder, style: str, width_pt: float) -> Shape:
    if style == "accent":
        return stroke(path, width_pt, "accent")
    if style == "dashed":
        return stroke(path, width_pt, "ink", 1.0, cap="butt", dash_pt=(7.0, 5.0))
    if style == "ghost":
        return stroke(path, HAIR_PT, "ink", GHOST_TINT)
    return stroke(path, width_pt, "ink")


@motif("density-ridges", RidgeParams)
def density_ridges(data: FigureData, p: RidgeParams, ctx: MotifContext) -> list[Shape]:
    """Stacked, mutually occluding density curves with labels, overlays, rugs and paths."""
    box, ts = ctx.box, ctx.type
    x = data.array(p.x, "x").ravel()
    dens = np.atleast_2d(data.array(p.density, "density"))
    n_rows, n_pts = dens.shape
    if x.size != n_pts or n_pts < 2:
        msg = f"motif param 'density': rows have {n_pts} points but '{p.x}' has {x.size}"
        raise TeeprintError(msg)
    if not np.all(np.diff(x) > 0):
        msg = f"motif param 'x': array '{p.x}' must be strictly increasing"
        raise TeeprintError(msg)
    layers = []
    for i, layer in enumerate(p.layers):
        arr = np.atleast_2d(data.array(layer.density, f"layers[{i}].density"))
        if arr.shape[0] == 1:
            arr = np.repeat(arr, n_rows, axis=0)
        if arr.shape != dens.shape:
            msg = (f"motif param 'layers[{i}].density': shape {arr.shape} does not match the "
                   f"ridges' {dens.shape}")
            raise TeeprintError(msg)
        layers.append(arr)

    def clean(a: np.ndarray) -> np.ndarray:
        return np.clip(np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)

    dens = clean(dens)
    layers = [clean(a) for a in layers]
    if p.step:  # a histogram: each value holds across its bin
        edges = np.concatenate([[x[0] - (x[1] - x[0]) / 2], (x[:-1] + x[1:]) / 2,
                                [x[-1] + (x[-1] - x[-2]) / 2]])
        x = np.repeat(edges, 2)[1:-1]
        dens = np.repeat(dens, 2, axis=1)
        layers = [np.repeat(a, 2, axis=1) for a in layers]
        x = x + np.tile([0.0, 1e-9], x.size // 2) * (x[-1] - x[0])

    # Normalise to unit peak, so heights read in row gaps.
    def unit(a: np.ndarray, mode: str, shared: float) -> np.ndarray:
        if mode == "row":
            peak = a.max(axis=1, keepdims=True)
        elif mode == "layer":
            peak = np.array([[a.max()]])
        else:
            peak = np.array([[shared]])
        return np.divide(a, peak, out=np.zeros_like(a), where=peak > 0)

    shared = max([float(dens.max())] + [float(a.max()) for a in layers])
    h_main = unit(dens, p.normalise, shared)
    h_layers = [unit(a, p.normalise, shared) for a in layers]

    # Label columns, sized from their text.
    def labels(name: str | None, template: str, what: str) -> list[str]:
        if name is None:
            return []
        vals = data.array(name, what).ravel()
        if vals.size != n_rows:
            msg = f"motif param '{what}': '{name}' has {vals.size} values for {n_rows} rows"
            raise TeeprintError(msg)
        return [_fmt(template, float(v)) for v in vals]

    left = labels(p.row_values, p.row_format, "row_values")
    if p.row_names:
        if len(p.row_names) != n_rows:
            msg = f"motif param 'row_names' has {len(p.row_names)} names for {n_rows} rows"
            raise TeeprintError(msg)
        left = list(p.row_names)
    right = labels(p.right_values, p.right_format, "right_values")
    lw = max([ts.measure(s, "mono", TICK_PT) for s in left]
             + [ts.measure(p.row_title, "mono", TICK_PT, 0.08), 0.0])
    rw = max([ts.measure(s, "mono", TICK_PT) for s in right]
             + [ts.measure(p.right_title, "mono", TICK_PT, 0.08), 0.0])
    px0 = box.x + (lw + 18 if lw else 30)
    px1 = box.right - (rw + 18 if rw else 30)
    if px1 - px0 < 120:
        msg = "density-ridges: the labels leave no room for the ridges; shorten row/right formats"
        raise TeeprintError(msg)

    # Legend and note in a band at the top.
    entries: list[tuple[str, str]] = []
    if p.label:
        entries.append((p.label, "main"))
    entries += [(lay.label, f"layer{i}") for i, lay in enumerate(p.layers) if lay.label]
    if p.paths_label and p.paths_x:
        entries.append((p.paths_label, "paths"))
    # Flow the legend right to left in lines that clear the row title, then size the band.
    title_w = ts.measure(p.row_title, "mono", TICK_PT, 0.08) + 24 if p.row_title else 0.0
    room = px1 - (box.x + title_w)
    legend_lines: list[list[tuple[str, str, float]]] = [[]]
    used = 0.0
    for text, kind in entries:
        item_w = ts.measure(text, "mono", TICK_PT) + 46 + 26
        if legend_lines[-1] and used + item_w > room:
            legend_lines.append([])
            used = 0.0
        legend_lines[-1].append((text, kind, item_w))
        used += item_w
    if any(sum(w for *_, w in line) - 26 > px1 - box.x for line in legend_lines):
        msg = "density-ridges: a legend label is wider than the panel; shorten it"
        raise TeeprintError(msg)
    n_top = len(legend_lines) if entries else (1 if (p.row_title or p.right_title) else 0)
    top_h = (8.0 + 24.0 * n_top + (4.0 if n_top else 0.0) + (22.0 if p.note else 0.0)
             + (24.0 if p.reference_label else 0.0))
    front = box.bottom - AXIS_BAND_PT
    gap = (front - (box.y + top_h)) / (n_rows - 1 + p.overlap)
    base = front - gap * (n_rows - 1 - np.arange(n_rows))
    rise = p.overlap * gap

    xlo = p.x_min if p.x_min is not None else float(x[0])
    xhi = p.x_max if p.x_max is not None else float(x[-1])
    if xhi <= xlo:
        msg = "density-ridges: x_max must exceed x_min"
        raise TeeprintError(msg)
    xs = Scale(xlo, xhi, px0, px1)
    if xlo >= x[-1] or xhi <= x[0]:
        msg = f"density-ridges: x_min..x_max ({xlo:g}..{xhi:g}) misses the data ({x[0]:g}..{x[-1]:g})"
        raise TeeprintError(msg)
    # A cropped range gets exact end points, interpolated, so curves meet the frame.
    cuts = [v for v in (xlo, xhi) if x[0] < v < x[-1] and not np.any(x == v)]
    if cuts:
        new_x = np.sort(np.concatenate([x, cuts]))

        def cut(a: np.ndarray) -> np.ndarray:
            return np.stack([np.interp(new_x, x, row) for row in a])

        h_main, h_layers, x = cut(h_main), [cut(h) for h in h_layers], new_x
    keep = (x >= xlo) & (x <= xhi)
    xp = xs(x[keep])
    top = base[:, None] - rise * h_main[:, keep]
    tops_layers = [base[:, None] - rise * h[:, keep] for h in h_layers]

    # Horizon seen from row r: the highest (smallest y) top curve of every row in front of it.
    silhouette = top.copy()
    for lay, t_l in zip(p.layers, tops_layers, strict=True):
        if lay.occludes:
            silhouette = np.minimum(silhouette, t_l)
    horizon = np.full_like(top, box.bottom + 1e4)  # nothing in front of the front row
    for r in range(n_rows - 2, -1, -1):
        horizon[r] = np.minimum(horizon[r + 1], silhouette[r + 1])

    accent = {r % n_rows for r in p.accent_rows if -n_rows <= r < n_rows}
    shapes: list[Shape] = []
    hatch = PathBuilder()
    lines = PathBuilder()
    accent_lines = PathBuilder()
    layer_paths = [PathBuilder() for _ in p.layers]
    hx = np.arange(math.ceil(xp[0] / p.hatch_gap_pt) * p.hatch_gap_pt, xp[-1], p.hatch_gap_pt)
    for r in range(n_rows):
        lim = horizon[r] - CLEAR_PT
        cx, cy = _densify(xp, top[r])
        runs = _runs(cx, cy, np.interp(cx, xp, lim))
        _line(accent_lines if r in accent else lines, runs)
        for k, t_l in enumerate(tops_layers):
            # A layer is drawn only where it rises off the baseline (the main line is there).
            lift = np.where(h_layers[k][r, keep] * rise > 1.5, t_l[r], np.nan)
            for seg in np.split(np.arange(xp.size), np.flatnonzero(np.isnan(lift)) + 0):
                seg = seg[np.isfinite(lift[seg])]
                if seg.size >= 2:
                    lx, ly = _densify(xp[seg], lift[seg])
                    _line(layer_paths[k], _runs(lx, ly, np.interp(lx, xp, lim)))
        if p.hatch and hx.size:
            ht = np.interp(hx, xp, top[r]) + p.line_pt
            hl = np.minimum(base[r], np.interp(hx, xp, lim))
            for xv, y0, y1 in zip(hx.tolist(), ht.tolist(), hl.tolist(), strict=True):
                if y1 - y0 > 2.5:
                    hatch.move(xv, y0).line(xv, y1)
    if not hatch.empty:
        shapes.append(stroke(hatch, HAIR_PT, "ink", HATCH_TINT, cap="butt"))
    for k, lay in enumerate(p.layers):
        if not layer_paths[k].empty:
            shapes.append(_styled(layer_paths[k], lay.style, MEDIUM_PT if lay.style == "accent" else THIN_PT))
    if not lines.empty:
        shapes.append(stroke(lines, p.line_pt, "ink"))
    if not accent_lines.empty:
        shapes.append(stroke(accent_lines, max(p.line_pt, MEDIUM_PT), "accent"))

    # Rug: a short tick under the baseline for every sample of a row.
    if p.rug:
        rug = np.atleast_2d(data.array(p.rug, "rug"))
        if rug.shape[0] != n_rows:
            msg = f"motif param 'rug': '{p.rug}' has {rug.shape[0]} rows for {n_rows} ridges"
            raise TeeprintError(msg)
        tick = min(7.0, 0.45 * gap)
        ticks = PathBuilder()
        for r in range(n_rows):
            vals = rug[r][np.isfinite(rug[r]) & (rug[r] >= xlo) & (rug[r] <= xhi)]
            for xv in np.unique(np.round(xs(vals), 1)).tolist():
                lim = float(np.interp(xv, xp, horizon[r])) - CLEAR_PT
                y0, y1 = base[r] + 2.5, min(base[r] + 2.5 + tick, lim)
                if y1 - y0 >= 2.0:
                    ticks.move(xv, y0).line(xv, y1)
        if not ticks.empty:
            shapes.append(stroke(ticks, HAIR_PT, "ink", cap="butt"))

    # Particle paths, each step at a fractional row position.
    if p.paths_x and p.paths_row:
        px_arr = np.atleast_2d(data.array(p.paths_x, "paths_x"))
        pr_arr = np.atleast_2d(data.array(p.paths_row, "paths_row"))
        if pr_arr.shape[0] == 1:
            pr_arr = np.repeat(pr_arr, px_arr.shape[0], axis=0)
        if pr_arr.shape != px_arr.shape:
            msg = f"motif params 'paths_x' {px_arr.shape} and 'paths_row' {pr_arr.shape} differ in shape"
            raise TeeprintError(msg)
        path = PathBuilder()
        for xs_path, rows_path in zip(px_arr, pr_arr, strict=True):
            ok = np.isfinite(xs_path) & np.isfinite(rows_path)
            xv = np.where(ok & (xs_path >= xlo) & (xs_path <= xhi), xs(xs_path), np.nan)
            rv = np.clip(np.where(ok, rows_path, np.nan), 0.0, n_rows - 1)
            yv = front - gap * (n_rows - 1 - rv)
            segs = np.split(np.arange(xv.size), np.flatnonzero(np.isnan(xv) | np.isnan(yv)))
            for seg in segs:
                seg = seg[np.isfinite(xv[seg]) & np.isfinite(yv[seg])]
                if seg.size < 2:
                    continue
                sx, sy = xv[seg], yv[seg]
                if p.paths_occluded:
                    row_in = np.clip(np.floor(rv[seg]).astype(int), 0, n_rows - 1)
                    lim = np.array([np.interp(a, xp, horizon[r]) for a, r in zip(sx, row_in, strict=True)])
                    _line(path, _runs(sx, sy, lim - CLEAR_PT))
                else:
                    path.polyline(sx, sy)
        if not path.empty:
            shapes.append(_styled(path, p.paths_style, HAIR_PT))

    # Reference line: dotted, from the back row's crest height to the axis.
    if p.reference_x is not None and xlo <= p.reference_x <= xhi:
        rx = float(xs(p.reference_x))
        crest = float(base[0] - rise)
        ref = PathBuilder().move(rx, crest - 4).line(rx, front + 8)
        shapes.insert(0, stroke(ref, HAIR_PT, "ink", 1.0, cap="round", dash_pt=(0.1, 5.0)))
        if p.reference_label:  # above the crest of the back row, clear of every ridge
            # Centred on the line, but moved in when the line sits near the box's edge.
            half = ts.measure(p.reference_label, "mono", TICK_PT) / 2
            label_x = min(max(rx, box.x + half), box.right - half)
            shapes.append(ts.line(p.reference_label, "mono", TICK_PT, label_x, crest - 10,
                                  anchor="middle"))

    # Axis under the front row.
    axis_y = front + 12
    axis = PathBuilder().move(px0, axis_y).line(px1, axis_y)
    for value, text in xs.ticks(6):
        tx = float(xs(value))
        if px0 - 0.01 <= tx <= px1 + 0.01:
            axis.move(tx, axis_y).line(tx, axis_y + 7)
            shapes.append(ts.line(text, "mono", TICK_PT, tx, axis_y + 9 + TICK_PT, anchor="middle"))
    shapes.append(stroke(axis, HAIR_PT, "ink", cap="butt"))
    if p.x_label:
        shapes.append(ts.line(caps(p.x_label), "mono", LABEL_PT - 2, (px0 + px1) / 2,
                              axis_y + 20 + TICK_PT + LABEL_PT, anchor="middle", tracking_em=0.12))

    # Row labels, thinned so they never touch.
    every = max(p.label_every, math.ceil((TICK_PT + 3) / gap))
    show = set(range(n_rows - 1, -1, -every))
    for r in sorted(show):
        role = "accent" if r in accent else "ink"
        yb = float(base[r]) + TICK_PT * 0.35
        if left:
            shapes.append(ts.line(left[r], "mono", TICK_PT, px0 - 14, yb, anchor="end", role=role))
        if right:
            shapes.append(ts.line(right[r], "mono", TICK_PT, px1 + 14, yb, role=role))

    # Top band: column titles, legend (right-aligned), note.
    title_y = box.y + 8 + TICK_PT
    if p.row_title:
        shapes.append(ts.line(p.row_title, "mono", TICK_PT, px0 - 14, title_y, anchor="end",
                              tracking_em=0.08))
    if p.right_title:
        shapes.append(ts.line(p.right_title, "mono", TICK_PT, px1 + 14, title_y,
                              tracking_em=0.08))
    for li, line in enumerate(legend_lines if entries else []):
        leg_x = px1
        yy = title_y + 24 * li
        for text, kind, item_w in reversed(line):
            shapes.append(ts.line(text, "mono", TICK_PT, leg_x, yy, anchor="end"))
            sx0 = leg_x - item_w + 26
            sample = PathBuilder().move(sx0, yy - TICK_PT * 0.33).line(sx0 + 36, yy - TICK_PT * 0.33)
            if kind == "main":
                shapes.append(stroke(sample, p.line_pt, "ink"))
            elif kind == "paths":
                shapes.append(_styled(sample, p.paths_style, HAIR_PT))
            else:
                style = p.layers[int(kind[5:])].style
                shapes.append(_styled(sample, style, MEDIUM_PT if style == "accent" else THIN_PT))
            leg_x -= item_w
    if p.note:
        note_y = title_y + 24 * n_top
        note_w = ts.measure(p.note, "serif-italic", TICK_PT + 2)
        if note_w <= px1 - box.x:
            shapes.append(ts.line(p.note, "serif-italic", TICK_PT + 2, px1, note_y, anchor="end"))
        else:
            shapes.append(ts.line(p.note, "serif-italic", TICK_PT + 2, box.x, note_y))
    return shapes

