"""The matrix-heatmap engine: matrices drawn as engraved halftones, stacked traces or regions.

A value is never a flat pixel.  In ``dots`` panels each cell holds a disc whose *area* is
proportional to the value (a halftone screen made by hand); negative values are open rings, or
a short minus bar when too small to ring.  ``regions`` panels fill each integer class with its
own engraving (blank, single hatch, cross-hatch...) and rule the borders between classes.
``rows`` panels draw every row of a matrix as a trace in its own band (neuron curves,
waveforms).  A figure is one or more panels placed by fractions of the figure box, so a new
matrix-shaped concept needs only a design file.

The panel machinery is shared: the vector-star and circuit-graph engines place panels too.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, PathBuilder, Shape, fill, map_points, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.axes import Scale, frame_axes
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
from teeprint.typeset import Typesetter, caps

#: Smallest disc radius worth printing; below it a cell stays empty (a halftone drops out too).
MIN_DOT_R_PT = 0.9
#: A ring needs this outer radius to read as a ring rather than a blot.
MIN_RING_R_PT = 3.2
#: Largest disc drawn in a dot key, so that the key fits its band under the grid.
KEY_DISC_MAX_PT = 12.0
#: Stipple dots per 1000 square points for the lightest region engraving.
STIPPLE_PER_KPT2 = 7.0
#: Air kept on the right of every panel so that neighbouring panels never touch.
PANEL_GAP_PT = 10.0
#: Space kept between a panel's title baseline and what follows.
TITLE_GAP_PT = 14.0

def array(data: FigureData, name: str) -> Any:
    """A named array of the figure, or a one-line error listing the names the recipe made."""
    try:
        return data.arrays[name]
    except KeyError:
        known = ", ".join(sorted(data.arrays))
        msg = (f"{data.provenance.specimen}: the design names array {name!r}, which recipe "
               f"{data.provenance.recipe!r} does not produce; it has: {known}")
        raise TeeprintError(msg) from None


def rotated(shape: Shape, deg: float, ox: float, oy: float) -> Shape:
    """The shape turned by ``deg`` degrees (counter-clockwise as seen) about (ox, oy).

    Type is outlined, so turning a label is turning its path: every coordinate pair of the
    M/L/C/Z grammar is rotated and the path rebuilt (which also recomputes its bounds).
    """
    rad = math.radians(deg)
    c, s = math.cos(rad), math.sin(rad)
    # y grows downwards, so a visually counter-clockwise turn is (x, y) -> (xc + ys, -xs + yc).
    return map_points(shape, lambda x, y: (ox + (x - ox) * c + (y - oy) * s,
                                           oy - (x - ox) * s + (y - oy) * c))


def halftone(values: np.ndarray, grid: Box, *, vmax: float, signed: bool,
             accent: np.ndarray | None = None, dot_scale: float = 0.9) -> list[Shape]:
    """One disc per cell, area proportional to ``|value| / vmax``; rings for negatives.

    Discs of one ink merge into a single path (they never overlap: the largest fills
    ``dot_scale`` of the cell), so even a 64 x 64 matrix is a handful of shapes.
    """
    rows, cols = values.shape
    cw, ch = grid.w / cols, grid.h / rows
    r_max = 0.5 * dot_scale * min(cw, ch)
    frac = np.clip(np.abs(values) / vmax, 0.0, 1.0)
    radius = r_max * np.sqrt(frac)
    discs = {"ink": PathBuilder(), "accent": PathBuilder()}
    rings_thin = {"ink": PathBuilder(), "accent": PathBuilder()}
    rings_thick = {"ink": PathBuilder(), "accent": PathBuilder()}
    bars = {"ink": PathBuilder(), "accent": PathBuilder()}
    for i in range(rows):
        cy = grid.y + (i + 0.5) * ch
        for j in range(cols):
            r = float(radius[i, j])
            if not r >= MIN_DOT_R_PT:  # too small, or a masked (NaN) cell: nothing printed
                continue
            cx = grid.x + (j + 0.5) * cw
            role = "accent" if accent is not None and bool(accent[i, j]) else "ink"
            if values[i, j] >= 0 or not signed:
                discs[role].circle(cx, cy, r)
            elif r >= MIN_RING_R_PT:
                ring = rings_thick if r > 7.0 else rings_thin
                w = THIN_PT if r > 7.0 else HAIR_PT
                ring[role].circle(cx, cy, r - w / 2)
            else:
                bars[role].move(cx - max(r, 1.6), cy).line(cx + max(r, 1.6), cy)
    shapes: list[Shape] = []
    for role in ("ink", "accent"):
        if not discs[role].empty:
            shapes.append(fill(discs[role], role))
        if not rings_thin[role].empty:
            shapes.append(stroke(rings_thin[role], HAIR_PT, role))
        if not rings_thick[role].empty:
            shapes.append(stroke(rings_thick[role], THIN_PT, role))
        if not bars[role].empty:
            shapes.append(stroke(bars[role], HAIR_PT, role, cap="butt"))
    return shapes


def needles(values: np.ndarray, grid: Box, *, vmax: float, signed: bool,
            accent: np.ndarray | None = None, dot_scale: float = 0.9,
            engraved: bool = False) -> list[Shape]:
    """One upright bar per cell, its height proportional to ``|value| / vmax``.

    For wide, short matrices (a spectrum per neuron) cells are tall and narrow, where discs
    would shrink to specks; bars standing on each row's baseline read like engraved hatching
    whose length carries the value.  Negative values hang below the row's midline when signed.
    """
    rows, cols = values.shape
    cw, ch = grid.w / cols, grid.h / rows
    bar_w = max(dot_scale * cw * 0.7, HAIR_PT)
    h_max = dot_scale * ch * (0.5 if signed else 1.0)
    frac = np.clip(np.abs(values) / vmax, 0.0, 1.0)
    paths = {"ink": PathBuilder(), "accent": PathBuilder()}
    hatches: dict[str, PathBuilder] = {}
    for i in range(rows):
        base = grid.y + (i + 0.5) * ch if signed else grid.y + (i + 0.5 + dot_scale / 2) * ch
        for j in range(cols):
            h = float(frac[i, j]) * h_max
            if h < 1.0:
                continue
            x = grid.x + (j + 0.5) * cw - bar_w / 2
            role = "accent" if accent is not None and bool(accent[i, j]) else "ink"
            top = base - h if (values[i, j] >= 0 or not signed) else base
            paths[role].rect(x, top, bar_w, h)
            if engraved:
                hatch = hatches.setdefault(role, PathBuilder())
                hx = x + HATCH_GAP_PT / 2
                while hx < x + bar_w - 1.0:
                    hatch.move(hx, top + 1.5).line(hx, top + h)
                    hx += HATCH_GAP_PT
    if engraved:  # outlined bars with engraving lines: a fraction of the ink of solid blocks
        out: list[Shape] = []
        for role, path in hatches.items():
            out.append(stroke(path, HAIR_PT, role, HATCH_TINT if role == "ink" else 1.0, cap="butt"))
        for role, path in paths.items():
            if not path.empty:
                out.append(stroke(path, THIN_PT if role == "ink" else MEDIUM_PT, role, cap="butt"))
        return out
    return [fill(path, role) for role, path in paths.items() if not path.empty]


def _clip_segment(x0: float, y0: float, dx: float, dy: float, box: Box) -> tuple[float, float] | None:
    """Liang-Barsky: the parameter interval of the line p0 + t d inside ``box`` (t in 0..1)."""
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - box.x), (dx, box.right - x0), (-dy, y0 - box.y), (dy, box.bottom - y0)):
        if abs(p) < 1e-12:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 >= t1:
            return None
    return t0, t1


def hatch_cells(mask: np.ndarray, grid: Box, angle_deg: float, gap_pt: float,
                role: str = "ink", tint: float = HATCH_TINT) -> list[Shape]:
    """Parallel engraving lines across the union of the masked cells of a grid.

    Each line is clipped to every masked cell and consecutive pieces are joined, so a region
    is hatched by long unbroken strokes as an engraver would cut them.
    """
    rows, cols = mask.shape
    cw, ch = grid.w / cols, grid.h / rows
    rad = math.radians(angle_deg)
    ux, uy = math.cos(rad), -math.sin(rad)  # along the line (y down)
    nx, ny = -uy, ux  # normal
    diag = math.hypot(grid.w, grid.h)
    cx, cy = grid.cx, grid.cy
    cells = [Box(grid.x + j * cw, grid.y + i * ch, cw, ch)
             for i in range(rows) for j in range(cols) if mask[i, j]]
    path = PathBuilder()
    k = math.ceil(diag / 2 / gap_pt)
    for n in range(-k, k + 1):
        ox, oy = cx + nx * n * gap_pt - ux * diag / 2, cy + ny * n * gap_pt - uy * diag / 2
        dx, dy = ux * diag, uy * diag
        spans = []
        for cell in cells:
            hit = _clip_segment(ox, oy, dx, dy, cell)
            if hit is not None and (hit[1] - hit[0]) * diag > 0.05:
                spans.append(hit)
        if not spans:
            continue
        spans.sort()
        merged = [list(spans[0])]
        for a, b in spans[1:]:
            if a <= merged[-1][1] + 1e-6:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        for a, b in merged:
            if (b - a) * diag < 2.0:
                continue
            path.move(ox + dx * a, oy + dy * a).line(ox + dx * b, oy + dy * b)
    return [stroke(path, HAIR_PT, role, tint, cap="butt")] if not path.empty else []


def stipple_cells(mask: np.ndarray, grid: Box, rng: np.random.Generator, density_per_kpt2: float,
                  role: str = "ink", tint: float = 1.0) -> list[Shape]:
    """Random dots (seeded) over the masked cells: the engraver's stipple for a light tone."""
    rows, cols = mask.shape
    cw, ch = grid.w / cols, grid.h / rows
    path = PathBuilder()
    per_cell = density_per_kpt2 * cw * ch / 1000.0
    for i in range(rows):
        for j in range(cols):
            n = int(rng.poisson(per_cell))
            if not mask[i, j] or n == 0:
                continue
            xy = rng.random((n, 2))
            for u, v in xy:
                path.circle(grid.x + (j + 0.1 + 0.8 * u) * cw, grid.y + (i + 0.1 + 0.8 * v) * ch, 1.0)
    return [fill(path, role, tint)] if not path.empty else []


def region_borders(codes: np.ndarray, grid: Box) -> PathBuilder:
    """Cell edges between cells of different classes: the staircase border of each region."""
    rows, cols = codes.shape
    cw, ch = grid.w / cols, grid.h / rows
    path = PathBuilder()
    for i in range(rows):
        for j in range(cols):
            x, y = grid.x + j * cw, grid.y + i * ch
            if j + 1 < cols and codes[i, j] != codes[i, j + 1]:
                path.move(x + cw, y).line(x + cw, y + ch)
            if i + 1 < rows and codes[i, j] != codes[i + 1, j]:
                path.move(x, y + ch).line(x + cw, y + ch)
    return path


#: Engraving for region classes 0, 1, 2...: (hatch angles in degrees, stipple?).
REGION_ENGRAVING: tuple[tuple[tuple[float, ...], bool], ...] = (
    ((), True),
    ((45.0,), False),
    ((45.0, -45.0), False),
    ((0.0,), False),
    ((90.0,), False),
    ((), False),
)


class Panel(Params):
    """One matrix on the figure: which array, where (fractions of the figure box), how."""

    array: str
    at: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    kind: Literal["dots", "bars", "rows", "regions"] = "dots"
    title: str = Field("", max_length=60, description="{scalar:format} fields are filled from the data")
    transpose: bool = False
    signed: bool | None = None
    vmax: float | None = Field(None, gt=0.0)
    dot_scale: float = Field(0.9, ge=0.3, le=1.0)
    row_labels: str | None = Field(None, description="array of strings, or '#' for indices")
    col_labels: str | None = None
    label_every: int = Field(0, ge=0, le=256, description="label every k-th row/column; 0 = auto")
    row_title: str = Field("", max_length=40)
    col_title: str = Field("", max_length=40)
    accent: str | None = Field(None, description="boolean mask array: cells drawn in accent")
    overlay: str | None = Field(None, description="rows kind: samples drawn as dots on the traces")
    x: str | None = Field(None, description="regions kind: cell-centre x values for a numeric axis")
    y: str | None = None
    x_log: bool = False
    y_log: bool = False
    classes: tuple[str, ...] = Field((), max_length=len(REGION_ENGRAVING))
    accent_class: int | None = Field(None, ge=0, lt=len(REGION_ENGRAVING))
    key: bool = True
    row_scale: Literal["shared", "each"] = "shared"
    engraved: bool = Field(False, description="bars kind: outlined bars with engraving lines, not solid")

    @model_validator(mode="after")
    def _inside(self) -> Panel:
        x, y, w, h = self.at
        if not (0 <= x and 0 <= y and w >= 0.12 and h >= 0.12 and x + w <= 1.0001 and y + h <= 1.0001):
            msg = "'at' is (x, y, w, h) as fractions of the figure box: w, h >= 0.12 and x+w, y+h <= 1"
            raise ValueError(msg)
        return self


def sub_box(box: Box, at: tuple[float, float, float, float]) -> Box:
    """The part of ``box`` given by fractions (x, y, w, h)."""
    x, y, w, h = at
    return Box(box.x + x * box.w, box.y + y * box.h, w * box.w, h * box.h)


def _labels(data: FigureData, name: str | None, n: int) -> list[str] | None:
    if name is None:
        return None
    if name == "#":
        return [str(i) for i in range(n)]
    raw = np.asarray(array(data, name)).ravel().tolist()
    if len(raw) != n:
        msg = f"label array {name!r} has {len(raw)} entries for {n} rows/columns"
        raise TeeprintError(msg)
    return [f"{v:g}" if isinstance(v, float) else str(v) for v in raw]


def _every(n: int, cell_pt: float, explicit: int, need: float) -> int:
    """Label every k-th cell: the smallest round k whose spacing fits ``need`` points."""
    if explicit:
        return explicit
    k = max(1, math.ceil(need / max(cell_pt, 1e-6)))
    for nice in (1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100):
        if nice >= k:
            return nice if nice < n else max(1, n - 1)
    return max(1, n - 1)


def _fmt_value(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100 or abs(v) < 0.01:
        return f"{v:.1e}".replace("e+0", "e").replace("e-0", "e-")
    return f"{v:.2g}" if abs(v) < 1 else f"{v:.3g}"


def draw_panel(data: FigureData, p: Panel, box: Box, ts: Typesetter,
               rng: np.random.Generator) -> list[Shape]:
    """Draw one panel inside ``box`` (already converted from fractions)."""
    values = np.asarray(array(data, p.array), float)
    if values.ndim != 2:
        msg = f"panel array {p.array!r} must be 2-D, got shape {values.shape}"
        raise TeeprintError(msg)
    if p.transpose:
        values = values.T
    rows, cols = values.shape
    shapes: list[Shape] = []
    top = box.y
    title_h = LABEL_PT - 2 + TITLE_GAP_PT
    if p.title and box.h > 3 * title_h:
        text = p.title
        if "{" in text:  # {scalar:format} fields, filled from the figure's scalar arrays
            from teeprint.textfmt import safe_format

            scalars = {k: (v.item() if isinstance(v, np.ndarray) else v) for k, v in data.arrays.items()
                       if np.ndim(v) == 0}
            text = safe_format(text, scalars)
        title = ts.line(caps(text), "mono", LABEL_PT - 2, box.x, box.y + LABEL_PT - 2,
                        tracking_em=0.12)
        if title.bbox[2] > box.right:  # too long for a narrow panel: set it smaller, then drop it
            title = ts.line(caps(text), "mono", TICK_PT, box.x, box.y + LABEL_PT - 2)
        if title.bbox[2] <= box.right:
            shapes.append(title)
            top += title_h
    if p.kind == "regions":
        return shapes + _regions(data, p, Box(box.x, top, box.w, box.bottom - top), values, ts, rng)
    row_labels = _labels(data, p.row_labels if not p.transpose else p.col_labels, rows)
    col_labels = _labels(data, p.col_labels if not p.transpose else p.row_labels, cols)
    row_title, col_title = (p.row_title, p.col_title) if not p.transpose else (p.col_title, p.row_title)
    finite = values[np.isfinite(values)]
    signed = bool(p.signed) if p.signed is not None else bool(finite.size and finite.min() < 0)
    vmax = p.vmax or (float(np.abs(finite).max()) if finite.size else 1.0) or 1.0
    ruler_w = (26.0 + max(ts.measure(_fmt_value(f * vmax), "mono", TICK_PT) for f in (0.5, 1.0))
               if (p.key and p.kind == "bars") else 0.0)  # bar scale on the right
    pad = 4.0  # the frame sits this far outside the cells; keep it inside the panel

    def layout(turned: bool, key_h: float) -> tuple[Box, float, float, float] | None:
        """Cells' box and sizes with the labels as they are; None when nothing would fit."""
        left_w = max((ts.measure(s, "mono", TICK_PT) for s in row_labels), default=0.0) if row_labels else 0.0
        left = left_w + 10 if row_labels else 0.0
        if row_title:
            left += LABEL_PT + 8
        col_h = (col_w if turned else TICK_PT) if col_labels else 0.0
        head = col_h + 10 if col_labels else 0.0
        if col_title:
            head += LABEL_PT + 8
        avail = Box(box.x + left + pad, top + head + pad,
                    box.w - left - 2 * pad - PANEL_GAP_PT - ruler_w,
                    box.bottom - top - head - key_h - 2 * pad)
        if avail.w < 3 * cols ** 0.5 + 16 or avail.h < 3 * rows ** 0.5 + 16:
            return None
        if p.kind == "dots":
            cw = ch = min(avail.w / cols, avail.h / rows)
        else:
            cw, ch = avail.w / cols, avail.h / rows
        return avail, cw, ch, col_h

    # A small panel sheds its axis titles, then its labels, rather than failing.
    key_h = 34.0 if (p.key and p.kind == "dots") else 0.0
    col_w = 0.0
    found = None
    for attempt in range(4):
        if attempt == 1:
            row_title = col_title = ""
        elif attempt == 2:
            row_labels = col_labels = None
        elif attempt == 3:
            key_h = 0.0
        col_w = max((ts.measure(s, "mono", TICK_PT) for s in col_labels), default=0.0) if col_labels else 0.0
        found = layout(False, key_h)
        if found is not None:
            break
    if found is None:
        msg = f"panel {p.array!r} is too small to draw; give it a larger 'at'"
        raise TeeprintError(msg)
    avail, cw, ch, col_h = found
    # Column labels stand upright when every labelled cell is wide enough; else they turn.
    step = _every(cols, cw, p.label_every, col_w + 8)
    turn_cols = bool(col_labels) and col_w + 6 > cw * step
    if turn_cols:
        found = layout(True, key_h)
        if found is None:
            col_labels, turn_cols = None, False
            found = layout(False, key_h)
        assert found is not None
        avail, cw, ch, col_h = found
    # Large discs need a taller key band to show a quarter, half and all of vmax.
    if key_h and p.dot_scale * 0.5 * min(cw, ch) > KEY_DISC_MAX_PT:
        taller = layout(turn_cols, 2 * p.dot_scale * 0.5 * min(cw, ch) + 16)
        if taller is not None:
            avail, cw, ch, col_h = taller
    grid = Box(avail.x + (avail.w - cw * cols) / 2, avail.y, cw * cols, ch * rows)
    accent = None
    if p.accent is not None:
        accent = np.asarray(array(data, p.accent), bool)
        accent = accent.T if p.transpose else accent
        if accent.shape != values.shape:
            msg = f"accent mask {p.accent!r} has shape {accent.shape}, the panel {values.shape}"
            raise TeeprintError(msg)
    shapes.append(stroke(PathBuilder().rect(grid.x - pad, grid.y - pad, grid.w + 2 * pad,
                                            grid.h + 2 * pad), THIN_PT, cap="butt"))
    if p.kind == "dots":
        shapes += halftone(values, grid, vmax=vmax, signed=signed, accent=accent,
                           dot_scale=p.dot_scale)
    elif p.kind == "bars":
        shapes += needles(values, grid, vmax=vmax, signed=signed, accent=accent,
                          dot_scale=p.dot_scale, engraved=p.engraved)
    else:
        shapes += _traces(data, p, values, grid, vmax, signed)
    ticks = PathBuilder()
    if row_labels:
        k = _every(rows, ch, p.label_every, TICK_PT * 1.15)
        for i in range(0, rows, k):
            yc = grid.y + (i + 0.5) * ch
            shapes.append(ts.line(row_labels[i], "mono", TICK_PT, grid.x - pad - 8,
                                  yc + TICK_PT * 0.35, anchor="end"))
            ticks.move(grid.x - pad, yc).line(grid.x - pad - 4, yc)
    if col_labels:
        k = _every(cols, cw, p.label_every, TICK_PT * 0.95 if turn_cols else col_w + 6)
        for j in range(0, cols, k):
            xc = grid.x + (j + 0.5) * cw
            if turn_cols:
                label = ts.line(col_labels[j], "mono", TICK_PT, xc + TICK_PT * 0.35, grid.y - pad - 8)
                shapes.append(rotated(label, 90.0, xc + TICK_PT * 0.35, grid.y - pad - 8))
            else:
                label = ts.line(col_labels[j], "mono", TICK_PT, xc, grid.y - pad - 10,
                                anchor="middle")
                # A label wider than its cell may reach past the panel at either end (labels
                # can span several cells when only every k-th is set): pull it back inside.
                x0, _, x1, _ = label.bbox
                dx = min(0.0, box.right - x1) or max(0.0, box.x - x0)
                shapes.append(_shift(label, dx, 0.0) if dx else label)
            ticks.move(xc, grid.y - pad).line(xc, grid.y - pad - 4)
    if not ticks.empty:
        shapes.append(stroke(ticks, HAIR_PT, cap="butt"))
    if row_title:
        label = ts.line(caps(row_title), "mono", LABEL_PT - 2, grid.x, grid.cy, anchor="middle",
                        tracking_em=0.12)
        shapes.append(_place_rotated(label, grid.x, grid.cy, box.x))
    if col_title:
        shapes.append(ts.line(caps(col_title), "mono", LABEL_PT - 2, grid.cx,
                              grid.y - pad - col_h - (18 if col_labels else 10), anchor="middle",
                              tracking_em=0.12))
    if key_h and p.kind == "dots":  # the key band sits under the cells, inside the panel
        shapes += _dot_key(grid, vmax, signed, p.dot_scale * 0.5 * min(cw, ch), ts, pad, box)
    elif ruler_w:
        shapes += _bar_ruler(grid, rows, vmax, p.dot_scale, signed, ts, pad)
    return shapes


def _place_rotated(label: Shape, ox: float, oy: float, left_x: float) -> Shape:
    """A label set horizontally about (ox, oy), turned to read upwards, its left edge at ``left_x``."""
    turned = rotated(label, 90.0, ox, oy)
    return _shift(turned, left_x - turned.bbox[0], 0.0)


def _shift(shape: Shape, dx: float, dy: float) -> Shape:
    """The shape moved by (dx, dy)."""
    return map_points(shape, lambda x, y: (x + dx, y + dy))


def _dot_key(grid: Box, vmax: float, signed: bool, r_max: float, ts: Typesetter,
             pad: float, box: Box) -> list[Shape]:
    """A legend under the grid: three discs at the grid's own scale, each with its value.

    Discs stand for a quarter, half and all of vmax; when the cells are large those discs
    would not fit the key's band, so smaller discs (radius 4, 8, 12 pt) are shown with the
    values they stand for at that same scale.  A key wider than its panel keeps only the
    discs that fit.
    """
    fits = r_max <= KEY_DISC_MAX_PT or grid.bottom + pad + 2 * r_max + 8 <= box.bottom
    y = grid.bottom + pad + max(20.0, (r_max if fits else KEY_DISC_MAX_PT) + 6)
    fracs = (0.25, 0.5, 1.0) if fits else tuple(
        (r / r_max) ** 2 for r in (KEY_DISC_MAX_PT / 3, 2 * KEY_DISC_MAX_PT / 3, KEY_DISC_MAX_PT))
    items: list[tuple[float, str, bool]] = [
        (max(r_max * math.sqrt(f), MIN_DOT_R_PT), _fmt_value(f * vmax), False) for f in fracs]
    if signed:
        r = min(max(r_max, MIN_RING_R_PT), KEY_DISC_MAX_PT)
        items.append((r, f"−{_fmt_value(vmax * min(1.0, (r / max(r_max, 1e-9)) ** 2))}", True))
    while items:
        width = sum(2 * r + 6 + ts.measure(t, "mono", TICK_PT) + 18 for r, t, _ in items) - 18
        if grid.x + width <= box.right:
            break
        items.pop(0)  # drop the smallest first; the full-value disc stays longest
    shapes: list[Shape] = []
    discs = PathBuilder()
    x = grid.x
    for r, text, ring in items:
        if ring:
            shapes.append(stroke(PathBuilder().circle(x + r, y, r - HAIR_PT / 2), HAIR_PT))
        else:
            discs.circle(x + r, y, r)
        shapes.append(ts.line(text, "mono", TICK_PT, x + 2 * r + 6, y + TICK_PT * 0.35))
        x += 2 * r + 6 + ts.measure(text, "mono", TICK_PT) + 18
    if not discs.empty:
        shapes.append(fill(discs))
    return shapes


def _bar_ruler(grid: Box, rows: int, vmax: float, dot_scale: float, signed: bool,
               ts: Typesetter, pad: float) -> list[Shape]:
    """A scale beside the first row of bars: ticks at 0, half and full height, with values."""
    ch = grid.h / rows
    x = grid.right + pad + 8
    h_max = dot_scale * ch * (0.5 if signed else 1.0)
    base = grid.y + (0.5 if signed else 0.5 + dot_scale / 2) * ch
    path = PathBuilder().move(x, base).line(x, base - h_max)
    shapes: list[Shape] = []
    for frac in (0.0, 0.5, 1.0) if h_max >= 2.4 * TICK_PT else (0.0, 1.0):
        y = base - frac * h_max
        path.move(x, y).line(x + 6, y)
        shapes.append(ts.line(_fmt_value(frac * vmax), "mono", TICK_PT, x + 10, y + TICK_PT * 0.35))
    shapes.insert(0, stroke(path, HAIR_PT, cap="butt"))
    return shapes


def _traces(data: FigureData, p: Panel, values: np.ndarray, grid: Box, vmax: float,
            signed: bool) -> list[Shape]:
    """Each row as a curve in its own band, with a ghost baseline; optional sample dots.

    Rows share one vertical scale unless ``row_scale = "each"``, which fits every row to its
    band (the shapes then compare, the amplitudes do not; say so in the panel title).
    """
    rows, cols = values.shape
    band = grid.h / rows
    amp = band * (0.42 if signed else 0.84)
    base = PathBuilder()
    curves = PathBuilder()
    dots = PathBuilder()
    xs = grid.x + np.linspace(0.0, 1.0, cols) * grid.w
    overlay = None
    if p.overlay is not None:
        overlay = np.asarray(array(data, p.overlay), float)
        overlay = overlay.T if p.transpose else overlay
        if overlay.ndim != 2 or overlay.shape[0] != rows:
            msg = f"overlay {p.overlay!r} needs {rows} rows, has shape {overlay.shape}"
            raise TeeprintError(msg)
    if overlay is not None and np.nanmin(overlay, initial=0.0) < 0:
        signed = True  # negative samples need room below the baseline
        amp = band * 0.42
    both = np.abs(values) if overlay is None else np.concatenate([np.abs(values), np.abs(overlay)], axis=1)
    both = np.where(np.isfinite(both), both, 0.0)
    scale = both.max(axis=1) if p.row_scale == "each" else np.full(rows, max(vmax, float(both.max())))
    scale = np.where(scale > 0, scale, 1.0)
    for i in range(rows):
        y0 = grid.y + (i + 0.5) * band if signed else grid.y + (i + 0.92) * band
        base.move(grid.x, y0).line(grid.right, y0)
        curves.polyline(xs, np.clip(y0 - values[i] / scale[i] * amp, grid.y, grid.bottom))
        if overlay is not None:
            ox = grid.x + np.linspace(0.0, 1.0, overlay.shape[1]) * grid.w
            for x, v in zip(ox, overlay[i], strict=True):
                if np.isfinite(v):
                    dots.circle(float(x), float(y0 - v / scale[i] * amp), 3.2)
    shapes = [stroke(base, HAIR_PT, "ink", GHOST_TINT, cap="butt"), stroke(curves, THIN_PT)]
    if not dots.empty:
        shapes.append(fill(dots))
    return shapes


def _regions(data: FigureData, p: Panel, box: Box, codes_f: np.ndarray, ts: Typesetter,
             rng: np.random.Generator) -> list[Shape]:
    """Integer classes as engraved regions on numeric axes, ruled borders, and a legend."""
    codes = np.rint(codes_f).astype(int)
    rows, cols = codes.shape
    legend_h = 30.0 if (p.classes and p.key) else 0.0
    plot = Box(box.x + 70, box.y + 26, box.w - 86, box.h - 26 - 70 - legend_h)
    if plot.w < 40 or plot.h < 40:
        msg = f"panel {p.array!r} is too small for a regions plot; give it a larger 'at'"
        raise TeeprintError(msg)
    shapes: list[Shape] = []
    for c in sorted(set(codes.ravel().tolist())):
        angles, stipple = REGION_ENGRAVING[min(c, len(REGION_ENGRAVING) - 1)]
        mask = codes == c
        for ang in angles:
            shapes += hatch_cells(mask, plot, ang, HATCH_GAP_PT * (1.0 if len(angles) == 1 else 1.4))
        if stipple:
            shapes += stipple_cells(mask, plot, rng, STIPPLE_PER_KPT2, "ink", GHOST_TINT)
    # The accent class is told by its border alone: a region is large, a line is sparing.
    if p.accent_class is not None:
        other = np.where(codes == p.accent_class, 1, 0)
        plain = region_borders(np.where(codes == p.accent_class, -1, codes), plot)
        lit = region_borders(other, plot)
    else:
        plain, lit = region_borders(codes, plot), PathBuilder()
    if not plain.empty:
        shapes.append(stroke(plain, THIN_PT, cap="square"))
    if not lit.empty:
        shapes.append(stroke(lit, MEDIUM_PT, "accent", cap="square"))
    xs = _cell_scale(data, p.x, cols, plot.x, plot.right, p.x_log)
    ys = _cell_scale(data, p.y, rows, plot.y, plot.bottom, p.y_log)
    shapes += frame_axes(plot, xs, ys, ts, x_label=p.col_title, y_label=p.row_title)
    if p.classes and p.key:  # the legend of the classes is the regions' key
        x = plot.x
        y = box.bottom - 10
        for c, name in enumerate(p.classes):
            sw = Box(x, y - 16, 34, 20)
            mask = np.ones((1, 1), bool)
            angles, stipple = REGION_ENGRAVING[c]
            marked = p.accent_class == c
            for ang in angles:
                shapes += hatch_cells(mask, sw, ang, 5.0 * (1.0 if len(angles) == 1 else 1.4))
            if stipple:
                shapes += stipple_cells(mask, sw, rng, STIPPLE_PER_KPT2 * 2, "ink", GHOST_TINT)
            shapes.append(stroke(PathBuilder().rect(sw.x, sw.y, sw.w, sw.h),
                                 MEDIUM_PT if marked else HAIR_PT, "accent" if marked else "ink",
                                 cap="butt"))
            shapes.append(ts.line(name, "mono", TICK_PT, x + 42, y - 2))
            x += 42 + ts.measure(name, "mono", TICK_PT) + 28
    return shapes


def _cell_scale(data: FigureData, name: str | None, n: int, p0: float, p1: float, log: bool) -> Scale:
    """A scale whose range spans the outer edges of n equal cells centred on the given values.

    The values may run either way (a top row holding the largest value is common); the scale
    always goes from the smaller edge to the larger one and maps each to its side.
    """
    if name is None:
        return Scale(-0.5, n - 0.5, p0, p1)
    v = np.asarray(array(data, name), float).ravel()
    if v.size != n:
        msg = f"axis array {name!r} has {v.size} values for {n} cells"
        raise TeeprintError(msg)
    t = np.log10(v) if log else v
    step = (t[-1] - t[0]) / max(n - 1, 1)
    first, last = t[0] - step / 2, t[-1] + step / 2
    if first > last:
        first, last, p0, p1 = last, first, p1, p0
    if log:
        return Scale(10**first, 10**last, p0, p1, True)
    return Scale(first, last, p0, p1)


def centre_vertically(shapes: list[Shape], box: Box) -> list[Shape]:
    """Move a drawing up or down so that its extent is centred in ``box``.

    Panels keep their tops aligned with each other; when the whole group is shorter than the
    figure box (square matrices in a wide box), the group moves down as one, so the plate
    does not keep a band of empty ground under the figure.
    """
    if not shapes:
        return shapes
    y0 = min(s.bbox[1] for s in shapes)
    y1 = max(s.bbox[3] for s in shapes)
    dy = (box.y + box.h / 2) - (y0 + y1) / 2
    dy = max(min(dy, box.bottom - y1), box.y - y0)
    if abs(dy) < 0.5:
        return shapes
    return [_shift(s, 0.0, dy) for s in shapes]


class MatrixParams(Params):
    """One to six matrix panels placed on the figure box."""

    panels: tuple[Panel, ...] = Field(min_length=1, max_length=6)
    centre: bool = Field(True, description="centre the drawn panels vertically in the box")


@motif("matrix-heatmap", MatrixParams)
def matrix_heatmap(data: FigureData, p: MatrixParams, ctx: MotifContext) -> list[Shape]:
    """Matrices as engraved halftone dots, stacked traces or hatched regions."""
    shapes: list[Shape] = []
    for panel in p.panels:
        shapes += draw_panel(data, panel, sub_box(ctx.box, panel.at), ctx.type, ctx.rng)
    return centre_vertically(shapes, ctx.box) if p.centre else shapes
