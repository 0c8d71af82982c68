"""Geometry engines: ``vector-star`` (directions in a plane) and ``point-geometry`` (point clouds).

``vector-star`` draws the columns of a 2 x n matrix as arrows from a common origin inside a
graduated ring, like an engraved compass rose: the polygon through the arrow tips is ruled in
accent and hatched, one angle between neighbours is measured and printed, and optional small
stars show the same matrix under other conditions (a sweep).  A matrix panel can sit beside it.

``point-geometry`` draws 2-D point clouds by class (each class its own engraved glyph), as one
large plate or a strip of snapshots, with class means joined and optional reference rays.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import numpy as np
from pydantic import Field

from teeprint.artwork import Box, PathBuilder, Shape, fill, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.matrix import Panel, array, draw_panel, sub_box
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
from teeprint.typeset import Typesetter, caps

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(n: int) -> str:
    """An integer in subscript digits (x₁, x₁₂)."""
    return str(n).translate(_SUB)


def format_text(template: str, data: FigureData) -> str:
    """Fill ``{name}`` / ``{name:.2f}`` fields of a label from the figure's scalar arrays.

    Labels that quote a number (a sparsity, a step) then come from the computation, never from
    a second copy typed into the design file.
    """
    from teeprint.textfmt import check_template, safe_format

    try:
        names = check_template(template)
    except ValueError as exc:
        msg = f"label {exc}"
        raise TeeprintError(msg) from None
    scalars: dict[str, Any] = {}
    for name in names:
        if name:
            if name not in data.arrays:
                msg = f"label {template!r} names {name!r}, which the recipe does not produce"
                raise TeeprintError(msg)
            value = np.asarray(array(data, name))
            if value.size != 1:
                msg = f"label {template!r} names {name!r}, which is not a scalar"
                raise TeeprintError(msg)
            scalars[name] = value.item()
    try:
        return minus_signs(safe_format(template, scalars))
    except ValueError as exc:
        msg_0 = f"label {exc}"
        raise TeeprintError(msg_0) from None


def minus_signs(text: str) -> str:
    """Typeset negative numbers with a true minus sign rather than a hyphen."""
    return re.sub(r"(?<![\w.])-(?=\d|\.\d)", "−", text)


def arc(path: PathBuilder, cx: float, cy: float, r: float, a0_deg: float, a1_deg: float,
        move: bool = True) -> PathBuilder:
    """A circular arc from angle a0 to a1 (degrees, counter-clockwise as seen), as cubics."""
    span = a1_deg - a0_deg
    n = max(1, math.ceil(abs(span) / 90.0))
    step = math.radians(span / n)
    k = 4 / 3 * math.tan(step / 4) * r
    a = math.radians(a0_deg)
    x, y = cx + r * math.cos(a), cy - r * math.sin(a)
    if move:
        path.move(x, y)
    for _ in range(n):
        b = a + step
        xb, yb = cx + r * math.cos(b), cy - r * math.sin(b)
        path.curve(x - k * math.sin(a), y - k * math.cos(a), xb + k * math.sin(b),
                   yb + k * math.cos(b), xb, yb)
        a, x, y = b, xb, yb
    return path


def circle_ring(cx: float, cy: float, r: float, n: int = 72) -> tuple[np.ndarray, np.ndarray]:
    """A circle as a closed polygon (for clipping, not for drawing)."""
    a = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    return cx + r * np.cos(a), cy - r * np.sin(a)


def hatch_polygon(xs: np.ndarray, ys: np.ndarray, angle_deg: float, gap_pt: float,
                  holes: tuple[tuple[np.ndarray, np.ndarray], ...] = ()) -> PathBuilder:
    """Parallel lines at ``angle_deg`` clipped to a closed polygon minus holes (even-odd rule)."""
    rad = math.radians(angle_deg)
    ux, uy = math.cos(rad), -math.sin(rad)
    nx, ny = -uy, ux
    rings = [(np.asarray(xs, float), np.asarray(ys, float))]
    rings += [(np.asarray(hx, float), np.asarray(hy, float)) for hx, hy in holes]
    edges = []
    for px, py in rings:
        s = px * nx + py * ny  # offset of each vertex along the normal
        t = px * ux + py * uy  # position along the line direction
        edges += [(s[i], s[(i + 1) % len(s)], t[i], t[(i + 1) % len(s)]) for i in range(len(s))]
    s_all = rings[0][0] * nx + rings[0][1] * ny
    path = PathBuilder()
    k0, k1 = math.ceil(s_all.min() / gap_pt), math.floor(s_all.max() / gap_pt)
    for k in range(k0, k1 + 1):
        level = k * gap_pt
        hits = []
        for si, sj, ti, tj in edges:
            if (si <= level < sj) or (sj <= level < si):
                f = (level - si) / (sj - si)
                hits.append(ti + f * (tj - ti))
        hits.sort()
        for a, b in zip(hits[0::2], hits[1::2], strict=False):
            if b - a < 2.0:
                continue
            path.move(ux * a + nx * level, uy * a + ny * level)
            path.line(ux * b + nx * level, uy * b + ny * level)
    return path


def arrow(shaft: PathBuilder, heads: PathBuilder, x0: float, y0: float, x1: float, y1: float,
          head_pt: float) -> None:
    """A shaft from (x0, y0) stopping short of (x1, y1), and a filled head ending at (x1, y1)."""
    length = math.hypot(x1 - x0, y1 - y0)
    if length < 1e-6:
        return
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    head = min(head_pt, 0.45 * length)
    bx, by = x1 - ux * head, y1 - uy * head
    shaft.move(x0, y0).line(bx + ux * 1.0, by + uy * 1.0)
    half = head * 0.36
    heads.move(x1, y1).line(bx - uy * half, by + ux * half).line(bx + ux * head * 0.18, by + uy * head * 0.18)
    heads.line(bx + uy * half, by - ux * half).close()


def graduated_ring(cx: float, cy: float, r: float, ts: Typesetter | None,
                   degree_labels: bool) -> list[Shape]:
    """An engraved ring: double rule, ticks every 5 degrees, longer every 30, quarter labels."""
    rule = PathBuilder().circle(cx, cy, r)
    inner = PathBuilder().circle(cx, cy, r - 7)
    ticks = PathBuilder()
    for deg in range(0, 360, 5):
        a = math.radians(deg)
        r0 = r - 7 - (10 if deg % 30 == 0 else 0)
        ticks.move(cx + r0 * math.cos(a), cy - r0 * math.sin(a))
        ticks.line(cx + r * math.cos(a), cy - r * math.sin(a))
    shapes = [stroke(rule, THIN_PT), stroke(inner, HAIR_PT), stroke(ticks, HAIR_PT, cap="butt")]
    if ts is not None and degree_labels:
        for deg, dx, dy, anchor in ((0, 8, 4, "start"), (90, 0, -8, "middle"),
                                    (180, -8, 4, "end"), (270, 0, 16, "middle")):
            a = math.radians(deg)
            x, y = cx + r * math.cos(a) + dx, cy - r * math.sin(a) + dy
            shapes.append(ts.line(f"{deg}°", "mono", TICK_PT, x, y, anchor=anchor))  # type: ignore[arg-type]
    return shapes


class VectorStarParams(Params):
    """Which 2 x n matrix to draw, how to label it, and what to set beside it."""

    vectors: str
    label_prefix: str = Field("x", max_length=4)
    labels: tuple[str, ...] = Field((), max_length=24)
    title: str = Field("", max_length=60)
    min_norm: float = Field(0.25, ge=0.0, le=10.0, description="shorter columns count as dropped")
    polygon: bool = True
    measure_angle: bool = True
    degree_labels: bool = True
    unit_circle: bool = True
    inset: Panel | None = None
    sweep: str | None = Field(None, description="array (s, 2, n): the same matrix under s conditions")
    sweep_label: str = Field("", max_length=40, description="format fields: {value}, {kept}, {n}")
    sweep_values: str | None = None
    sweep_title: str = Field("", max_length=40)
    side_width: float = Field(0.3, ge=0.2, le=0.45, description="share of the box for inset and sweep")
    cloud: str | None = Field(None, description="array (m, 2): data points drawn as dots behind")
    accent_vectors: tuple[int, ...] = Field((), max_length=24, description="columns drawn in accent")


def _tips(w: np.ndarray, centre: tuple[float, float], scale: float) -> tuple[np.ndarray, np.ndarray]:
    return centre[0] + w[0] * scale, centre[1] - w[1] * scale


@motif("vector-star", VectorStarParams)
def vector_star(data: FigureData, p: VectorStarParams, ctx: MotifContext) -> list[Shape]:
    """Columns of a 2 x n matrix as arrows in a graduated ring, with inset and sweep."""
    box, ts = ctx.box, ctx.type
    w = np.asarray(array(data, p.vectors), float)
    if w.ndim != 2 or w.shape[0] != 2:
        msg = f"vector-star needs a 2 x n array, {p.vectors!r} has shape {w.shape}"
        raise TeeprintError(msg)
    n = w.shape[1]
    labels = list(p.labels) or [f"{p.label_prefix}{subscript(i + 1)}" for i in range(n)]
    if len(labels) != n:
        msg = f"{len(labels)} labels for {n} vectors"
        raise TeeprintError(msg)
    has_side = p.inset is not None or p.sweep is not None
    side_w = box.w * p.side_width if has_side else 0.0
    main = Box(box.x, box.y, box.w - side_w, box.h)
    shapes: list[Shape] = []
    top = main.y
    if p.title:
        shapes.append(ts.line(caps(format_text(p.title, data)), "mono", LABEL_PT - 2, main.x,
                              main.y + LABEL_PT - 2, tracking_em=0.12))
        top += LABEL_PT + 10
    label_room = 48.0
    r_ring = min(main.w / 2 - label_room, (main.bottom - top) / 2 - label_room * 0.5)
    cx, cy = main.x + main.w / 2, top + (main.bottom - top) / 2
    norms = np.linalg.norm(w, axis=0)
    peak = float(max(norms.max(), 1.0 if p.unit_circle else 0.0)) or 1.0
    scale = (r_ring - 66) / peak
    shapes += graduated_ring(cx, cy, r_ring, ts, p.degree_labels)
    cross = PathBuilder().move(cx - r_ring + 16, cy).line(cx + r_ring - 16, cy)
    cross.move(cx, cy - r_ring + 16).line(cx, cy + r_ring - 16)
    shapes.append(stroke(cross, HAIR_PT, "ink", GHOST_TINT, cap="butt", dash_pt=(2.0, 5.0)))
    if p.unit_circle:
        shapes.append(stroke(PathBuilder().circle(cx, cy, scale), HAIR_PT, "ink", GHOST_TINT,
                             cap="butt", dash_pt=(6.0, 5.0)))
    kept = norms >= p.min_norm
    tx, ty = _tips(w, (cx, cy), scale)
    order = np.argsort(np.arctan2(w[1], w[0]))
    ring_order = [i for i in order if kept[i]]
    hub_r = _angle_radius(norms, kept, scale) + 66 if p.measure_angle else 0.0
    if p.polygon and len(ring_order) >= 3:
        px, py = tx[ring_order], ty[ring_order]
        holes = (circle_ring(cx, cy, hub_r),) if hub_r else ()
        shapes.append(stroke(hatch_polygon(px, py, 45.0, HATCH_GAP_PT, holes), HAIR_PT, "ink",
                             HATCH_TINT, cap="butt"))
        if hub_r:
            shapes.append(stroke(PathBuilder().circle(cx, cy, hub_r), HAIR_PT, "ink", HATCH_TINT))
        shapes.append(stroke(PathBuilder().polyline(px, py, closed=True), THIN_PT, "accent"))
    elif p.polygon and len(ring_order) == 2:
        i, j = ring_order
        shapes.append(stroke(PathBuilder().move(tx[i], ty[i]).line(tx[j], ty[j]), THIN_PT, "accent"))
    if p.cloud is not None:
        shapes += _cloud_dots(np.asarray(array(data, p.cloud), float), (cx, cy), scale, r_ring - 20)
    shafts, heads, faint = PathBuilder(), PathBuilder(), PathBuilder()
    red_shafts, red_heads = PathBuilder(), PathBuilder()
    for i in range(n):
        if kept[i]:
            red = i in p.accent_vectors or i - n in p.accent_vectors
            arrow(red_shafts if red else shafts, red_heads if red else heads, cx, cy, float(tx[i]),
                  float(ty[i]), 22.0)
        else:
            faint.move(cx, cy).line(float(tx[i]), float(ty[i]))
    if not faint.empty:
        shapes.append(stroke(faint, THIN_PT, "ink", GHOST_TINT))
    if not shafts.empty:
        shapes.append(stroke(shafts, MEDIUM_PT, cap="butt"))
        shapes.append(fill(heads))
    if not red_shafts.empty:
        shapes.append(stroke(red_shafts, MEDIUM_PT, "accent", cap="butt"))
        shapes.append(fill(red_heads, "accent"))
    shapes.append(fill(PathBuilder().circle(cx, cy, HEAVY_PT)))
    for i in range(n):
        if not labels[i]:  # an empty label: the arrow goes unnamed
            continue
        a = math.atan2(w[1, i], w[0, i])
        reach = max(norms[i] * scale, 34.0) + 30
        lx, ly = cx + reach * math.cos(a), cy - reach * math.sin(a)
        tint = 1.0 if kept[i] else GHOST_TINT
        shapes.append(ts.line(labels[i], "serif-italic", 30, lx, ly + 9, anchor="middle", tint=tint))
    if p.measure_angle and len(ring_order) >= 2:
        shapes += _angle_mark(w, ring_order, (cx, cy), scale, ts)
    if has_side:
        side = Box(main.right + 12, box.y, side_w - 12, box.h)
        shapes += _side(data, p, side, ts, ctx.rng)
    return shapes


def _cloud_dots(pts: np.ndarray, centre: tuple[float, float], scale: float,
                r_max: float) -> list[Shape]:
    """Data points as small engraved dots behind the arrows (points beyond ``r_max`` dropped)."""
    if pts.ndim != 2 or pts.shape[1] != 2:
        msg = f"vector-star cloud must be an (m, 2) array, got shape {pts.shape}"
        raise TeeprintError(msg)
    dots = PathBuilder()
    for x, y in pts.tolist():
        px, py = centre[0] + x * scale, centre[1] - y * scale
        if math.hypot(px - centre[0], py - centre[1]) <= r_max:
            dots.circle(px, py, 2.2)
    return [] if dots.empty else [fill(dots, "ink", HATCH_TINT)]


def _angle_radius(norms: np.ndarray, kept: np.ndarray, scale: float) -> float:
    """Radius of the arc that measures the angle: a third of the shortest kept arrow."""
    shortest = float(norms[kept].min()) if kept.any() else 1.0
    return max(0.3 * scale * shortest, 40.0)


def _angle_mark(w: np.ndarray, ring_order: list[int], centre: tuple[float, float], scale: float,
                ts: Typesetter) -> list[Shape]:
    """Measure the angle between the most important kept vector and its next neighbour."""
    first = min(ring_order)
    k = ring_order.index(first)
    nxt = ring_order[(k + 1) % len(ring_order)]
    a0 = math.degrees(math.atan2(w[1, first], w[0, first]))
    a1 = math.degrees(math.atan2(w[1, nxt], w[0, nxt]))
    while a1 <= a0:
        a1 += 360.0
    r = _angle_radius(np.linalg.norm(w, axis=0), np.ones(w.shape[1], bool), scale)
    path = arc(PathBuilder(), centre[0], centre[1], r, a0, a1)
    mid = math.radians((a0 + a1) / 2)
    lx = centre[0] + (r + 26) * math.cos(mid)
    ly = centre[1] - (r + 26) * math.sin(mid)
    return [stroke(path, THIN_PT),
            ts.line(f"{a1 - a0:.1f}°", "mono", TICK_PT + 2, lx, ly + 5, anchor="middle")]


def _side(data: FigureData, p: VectorStarParams, side: Box, ts: Typesetter,
          rng: np.random.Generator) -> list[Shape]:
    """The right-hand column: a matrix inset above, small sweep stars below."""
    shapes: list[Shape] = []
    y = side.y
    if p.inset is not None:
        h = side.w * 1.0 if p.sweep is not None else side.h
        h = min(h, side.h * 0.5) if p.sweep is not None else h
        inset_box = sub_box(Box(side.x, y, side.w, h), p.inset.at)
        shapes += draw_panel(data, p.inset, inset_box, ts, rng)
        y += h + 24
    if p.sweep is None:
        return shapes
    sweep = np.asarray(array(data, p.sweep), float)
    if sweep.ndim != 3 or sweep.shape[1] != 2:
        msg = f"sweep {p.sweep!r} must have shape (s, 2, n), got {sweep.shape}"
        raise TeeprintError(msg)
    values = (np.asarray(array(data, p.sweep_values), float).ravel() if p.sweep_values
              else np.arange(sweep.shape[0], dtype=float))
    if p.sweep_title:
        shapes.append(ts.line(caps(p.sweep_title), "mono", LABEL_PT - 2, side.x, y + LABEL_PT - 2,
                              tracking_em=0.12))
        y += LABEL_PT + 8
    count = sweep.shape[0]
    if count == 0:
        return shapes
    cell_h = (side.bottom - y) / count
    texts = []
    for s in range(count):
        kept_n = int((np.linalg.norm(sweep[s], axis=0) >= p.min_norm).sum())
        texts.append(minus_signs(p.sweep_label.format(value=float(values[s]), kept=kept_n,
                                                      n=sweep.shape[2]))
                     if p.sweep_label else f"{values[s]:g}")
    text_w = max(ts.measure(line, "mono", TICK_PT) for t in texts for line in t.split("\n"))
    for s in range(count):
        cell = Box(side.x, y + s * cell_h, side.w, cell_h)
        r = min((cell.w - text_w - 22) / 2, (cell.h - 12) / 2)
        if r < 12:
            msg = ("the sweep has too many conditions or too long labels for the side column; "
                   "drop some, shorten sweep_label or widen side_width")
            raise TeeprintError(msg)
        ccx, ccy = cell.x + r + 2, cell.y + 4 + r
        ws = sweep[s]
        norms = np.linalg.norm(ws, axis=0)
        kept = norms >= p.min_norm
        sc = (r - 6) / max(float(norms.max()), 1.0)
        shapes.append(stroke(PathBuilder().circle(ccx, ccy, r), HAIR_PT))
        shafts, heads = PathBuilder(), PathBuilder()
        for i in range(ws.shape[1]):
            if kept[i]:
                arrow(shafts, heads, ccx, ccy, ccx + ws[0, i] * sc, ccy - ws[1, i] * sc, 9.0)
        if not shafts.empty:
            shapes.append(stroke(shafts, THIN_PT, cap="butt"))
            shapes.append(fill(heads))
        shapes.append(fill(PathBuilder().circle(ccx, ccy, 2.5)))
        tx = ccx + r + 16
        lines = texts[s].split("\n")
        for li, line in enumerate(lines):
            shapes.append(ts.line(line, "mono", TICK_PT, tx, ccy + 5 + (li - (len(lines) - 1) / 2) * 18))
    return shapes


# -- point geometry ---------------------------------------------------------------------------

Glyph = Literal["disc", "ring", "cross", "square", "triangle", "diamond"]
GLYPHS: tuple[Glyph, ...] = ("disc", "ring", "cross", "triangle", "square", "diamond")


def glyph(path_fill: PathBuilder, path_stroke: PathBuilder, kind: Glyph, x: float, y: float,
          r: float) -> None:
    """One point mark; filled kinds go to ``path_fill``, outlined kinds to ``path_stroke``."""
    if kind == "disc":
        path_fill.circle(x, y, r)
    elif kind == "ring":
        path_stroke.circle(x, y, r)
    elif kind == "cross":
        d = r * 0.95
        path_stroke.move(x - d, y - d).line(x + d, y + d).move(x - d, y + d).line(x + d, y - d)
    elif kind == "triangle":
        path_fill.move(x, y - 1.15 * r).line(x + r, y + 0.6 * r).line(x - r, y + 0.6 * r).close()
    elif kind == "square":
        path_stroke.rect(x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r)
    else:
        path_fill.move(x, y - 1.2 * r).line(x + r, y).line(x, y + 1.2 * r).line(x - r, y).close()


class PointParams(Params):
    """Which point clouds to draw, how to group them and what to join."""

    points: str = Field(description="array (n, 2), or (s, n, 2) for s snapshots")
    classes: str | None = Field(None, description="integer class of each point")
    layout: Literal["single", "row", "feature", "grid"] = Field(
        "feature", description="grid: snapshots in a near-square grid, every panel full size")
    snapshot_values: str | None = None
    snapshot_label: str = Field("", max_length=60, description="format fields: {value}, {extra}")
    snapshot_extra: str | None = Field(None, description="array (s,) printed as {extra}")
    snapshot_names: str | None = Field(None, description="array (s,) of strings printed as {name}")
    means: str | None = Field(None, description="array (s, k, 2): class means joined by a polygon")
    rays: str | None = Field(None, description="array (s, k, 2): directions drawn from the centre")
    class_names: tuple[str, ...] = Field((), max_length=len(GLYPHS))
    title: str = Field("", max_length=60)
    note: str = Field("", max_length=80, description="a line under the main panel; {name} fields")
    glyph_pt: float = Field(6.5, ge=2.5, le=10.0)
    align: bool = Field(True, description="turn the plane so the first class ends straight up")
    side_width: float = Field(0.24, ge=0.15, le=0.4)


def _panel_frame(b: Box) -> list[Shape]:
    """Hairline square with engraved corner ticks."""
    shapes = [stroke(PathBuilder().rect(b.x, b.y, b.w, b.h), HAIR_PT, cap="butt")]
    ticks = PathBuilder()
    t = min(14.0, b.w * 0.08)
    for cx, cy, sx, sy in ((b.x, b.y, 1, 1), (b.right, b.y, -1, 1), (b.x, b.bottom, 1, -1),
                           (b.right, b.bottom, -1, -1)):
        ticks.move(cx - sx * 5, cy + sy * t).line(cx - sx * 5, cy - sy * 5).line(cx + sx * t, cy - sy * 5)
    shapes.append(stroke(ticks, HAIR_PT, cap="butt"))
    return shapes


def _cloud(pts: np.ndarray, labels: np.ndarray, b: Box, glyph_r: float, means: np.ndarray | None,
           rays: np.ndarray | None, accent: bool) -> list[Shape]:
    """One snapshot in its square: glyphs by class, the means' polygon, reference rays."""
    if means is not None:
        means = means[np.all(np.isfinite(means), axis=1)]  # a class with no points has no mean
        means = means if len(means) else None
    extent_pts = [pts] + ([means] if means is not None else [])
    allp = np.concatenate(extent_pts)
    allp = allp[np.all(np.isfinite(allp), axis=1)]
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    centre = (lo + hi) / 2
    half = float(np.max(hi - lo)) / 2 or 1.0
    inner = b.inset(glyph_r + 12)
    sc = min(inner.w, inner.h) / 2 / half
    cx, cy = inner.cx, inner.cy

    def to_xy(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return cx + (v[..., 0] - centre[0]) * sc, cy - (v[..., 1] - centre[1]) * sc

    shapes: list[Shape] = []
    if rays is not None:
        path = PathBuilder()
        oxa, oya = to_xy(allp.mean(axis=0) if means is None else means.mean(axis=0))
        ox, oy = float(oxa), float(oya)
        for d in rays:
            norm = float(np.hypot(d[0], d[1])) or 1.0
            ux, uy = float(d[0]) / norm, -float(d[1]) / norm
            # Run to the frame, whichever side comes first.
            reach = min((b.right - 4 - ox) / ux if ux > 1e-9 else math.inf,
                        (b.x + 4 - ox) / ux if ux < -1e-9 else math.inf,
                        (b.bottom - 4 - oy) / uy if uy > 1e-9 else math.inf,
                        (b.y + 4 - oy) / uy if uy < -1e-9 else math.inf)
            path.move(ox, oy).line(ox + ux * reach, oy + uy * reach)
        shapes.append(stroke(path, HAIR_PT, "ink", GHOST_TINT, cap="butt", dash_pt=(5.0, 4.0)))
    if means is not None and len(means) >= 2:
        mx, my = to_xy(means)
        order = np.argsort(np.arctan2(-(my - my.mean()), mx - mx.mean()))
        mx, my = mx[order], my[order]
        if accent and len(means) >= 3:
            shapes.append(stroke(hatch_polygon(mx, my, 45.0, HATCH_GAP_PT), HAIR_PT, "ink",
                                 HATCH_TINT, cap="butt"))
        shapes.append(stroke(PathBuilder().polyline(mx, my, closed=len(means) >= 3),
                             THIN_PT if accent else HAIR_PT, "accent" if accent else "ink"))
    px, py = to_xy(pts)
    fills, strokes = PathBuilder(), PathBuilder()
    for x, y, c in zip(px.tolist(), py.tolist(), labels.tolist(), strict=True):
        glyph(fills, strokes, GLYPHS[int(c) % len(GLYPHS)], x, y, glyph_r)
    if not fills.empty:
        shapes.append(fill(fills))
    if not strokes.empty:
        shapes.append(stroke(strokes, HAIR_PT if glyph_r < 4 else THIN_PT, cap="butt"))
    return shapes


@motif("point-geometry", PointParams)
def point_geometry(data: FigureData, p: PointParams, ctx: MotifContext) -> list[Shape]:
    """Point clouds by class, as one plate, a strip, or a large final view with its history."""
    box, ts = ctx.box, ctx.type
    pts = np.asarray(array(data, p.points), float)
    if pts.ndim == 2:
        pts = pts[None]
    if pts.ndim != 3 or pts.shape[2] != 2 or pts.shape[0] < 1:
        msg = f"point-geometry needs (n, 2) or (s, n, 2) points, {p.points!r} has {pts.shape}"
        raise TeeprintError(msg)
    s, n, _ = pts.shape
    labels = (np.asarray(array(data, p.classes)).astype(int).ravel() if p.classes
              else np.zeros(n, int))
    if labels.size != n:
        msg = f"{labels.size} class labels for {n} points"
        raise TeeprintError(msg)

    def per_snapshot(name: str | None) -> np.ndarray | None:
        if name is None:
            return None
        arr = np.asarray(array(data, name), float)
        arr = arr[None] if arr.ndim == 2 else arr
        if arr.shape[0] != s or arr.ndim != 3 or arr.shape[2] != 2:
            msg = f"{name!r} must hold (k, 2) points for each of the {s} snapshots"
            raise TeeprintError(msg)
        return arr

    means, rays = per_snapshot(p.means), per_snapshot(p.rays)
    if p.align:
        # Distances and angles are all these figures claim, so the plane may be turned: put the
        # first class's final centroid straight up and keep that turn for every snapshot.
        last = pts[-1]
        d = last[labels == labels.min()].mean(axis=0) - last.mean(axis=0)
        turn = math.pi / 2 - math.atan2(d[1], d[0])
        rot = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
        pts = pts @ rot.T
        means = None if means is None else means @ rot.T
        rays = None if rays is None else rays @ rot.T
    values = (np.asarray(array(data, p.snapshot_values), float).ravel() if p.snapshot_values
              else np.arange(s, dtype=float))
    extra = (np.asarray(array(data, p.snapshot_extra), float).ravel() if p.snapshot_extra
             else np.zeros(s))
    names = None
    if p.snapshot_names is not None:
        if p.snapshot_names not in data.arrays or len(data.arrays[p.snapshot_names]) != s:
            msg = f"snapshot_names {p.snapshot_names!r} must name {s} strings the recipe makes"
            raise TeeprintError(msg)
        names = [str(v) for v in data.arrays[p.snapshot_names]]
    shapes: list[Shape] = []
    top = box.y
    if p.title:
        shapes.append(ts.line(caps(format_text(p.title, data)), "mono", LABEL_PT - 2, box.x,
                              box.y + LABEL_PT - 2, tracking_em=0.12))
        top += LABEL_PT + 12
    label_h = TICK_PT + 14 if p.snapshot_label else 0.0
    legend_h = max(30.0, 2.4 * p.glyph_pt + 8) if p.class_names else 0.0
    note_h = 28.0 if p.note else 0.0
    area = Box(box.x, top, box.w, box.bottom - top)

    def label(i: int) -> str:
        if not p.snapshot_label:
            return ""
        if names is None:
            return p.snapshot_label.format(value=float(values[i]), extra=float(extra[i]))
        return minus_signs(p.snapshot_label.format(value=float(values[i]), extra=float(extra[i]),
                                                   name=names[i]))

    def panel(i: int, b: Box, big: bool) -> None:
        b = b.inset(6.0)  # the corner ticks stand 5 pt outside the frame
        r = p.glyph_pt if big else max(2.5, p.glyph_pt * 0.6)
        shapes.extend(_panel_frame(b))
        shapes.extend(_cloud(pts[i], labels, b, r,
                             None if means is None else means[i],
                             None if rays is None else rays[i], accent=big))
        text = label(i)
        if text:
            shapes.append(ts.line(text, "mono", TICK_PT, b.x, b.bottom + TICK_PT + 8))

    if p.layout == "feature" and s > 1:
        side_w = area.w * p.side_width
        main_h = area.h - label_h - legend_h - note_h
        size = min(area.w - side_w - 24, main_h)
        main = Box(area.x, area.y, size, size)
        panel(s - 1, main, True)
        col = Box(main.right + 24 + (area.w - side_w - 24 - size), area.y, side_w, area.h)
        cell_h = col.h / (s - 1)
        small = min(col.w, cell_h - label_h - 6)
        if small < 40:
            msg = "too many snapshots for the side column; keep fewer or widen side_width"
            raise TeeprintError(msg)
        for i in range(s - 1):
            panel(i, Box(col.x, col.y + i * cell_h, small, small), False)
        foot = main.bottom + label_h
    elif p.layout == "grid" and s > 1:
        gap = 18.0
        ncol = math.ceil(math.sqrt(s))
        nrow = math.ceil(s / ncol)
        cell_w = (area.w - gap * (ncol - 1)) / ncol
        cell_h = (area.h - legend_h - note_h - gap * (nrow - 1)) / nrow
        size = min(cell_w, cell_h - label_h)
        x0 = area.x + (area.w - ncol * size - gap * (ncol - 1)) / 2
        for i in range(s):
            r, c = divmod(i, ncol)
            panel(i, Box(x0 + c * (size + gap), area.y + r * (size + label_h + gap), size, size),
                  True)
        foot = area.y + nrow * (size + label_h) + (nrow - 1) * gap
    elif p.layout == "row" and s > 1:
        gap = 18.0
        size = min((area.w - gap * (s - 1)) / s, area.h - label_h - legend_h - note_h)
        for i in range(s):
            panel(i, Box(area.x + i * (size + gap), area.y, size, size), i == s - 1)
        foot = area.y + size + label_h
    else:
        size = min(area.w, area.h - label_h - legend_h - note_h)
        main = Box(area.x + (area.w - size) / 2, area.y, size, size)
        panel(s - 1, main, True)
        foot = main.bottom + label_h
    if p.note:
        shapes.append(ts.line(format_text(p.note, data), "mono", TICK_PT, area.x, foot + 20))
        foot += note_h
    if p.class_names:
        x = area.x
        y = foot + legend_h / 2 + 4 + TICK_PT * 0.35  # text baseline; glyphs centred 4 pt higher
        fills, strokes = PathBuilder(), PathBuilder()
        for c, name in enumerate(p.class_names):
            glyph(fills, strokes, GLYPHS[c % len(GLYPHS)], x + p.glyph_pt + 2, y - TICK_PT * 0.35,
                  p.glyph_pt)
            shapes.append(ts.line(name, "mono", TICK_PT, x + 2 * p.glyph_pt + 10, y))
            x += 2 * p.glyph_pt + 10 + ts.measure(name, "mono", TICK_PT) + 26
        if not fills.empty:
            shapes.append(fill(fills))
        if not strokes.empty:
            shapes.append(stroke(strokes, THIN_PT, cap="butt"))
    return shapes
