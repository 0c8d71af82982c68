"""policy-grid: a gridworld's values as a halftone with the greedy policy as arrows.

Each cell is a square of the engraved grid: walls are hatched blocks outlined where they meet free cells, a cell's value is a disc
whose area grows with it (a hand-made halftone, faint so the arrows read on top), and the
policy is a short arrow pointing to the chosen neighbour.  Cells of a path (the greedy route
from start to goal) carry accent arrows; the start is ringed and the goal starred in accent.
An optional mask rings other cells (cells a search expanded).  One to three panels side by
side; 3-D arrays are indexed per panel.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, PathBuilder, Shape, fill, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.geometry import format_text
from teeprint.motifs.matrix import hatch_cells
from teeprint.motifs.style import (
    GHOST_TINT,
    HAIR_PT,
    HATCH_GAP_PT,
    LABEL_PT,
    MEDIUM_PT,
    THIN_PT,
    TICK_PT,
)
from teeprint.recipes import FigureData, Params

#: Unit steps (x right, y down on the page) for policy codes 0..3: up, right, down, left.
_DIRS = ((0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0))

#: Tint of the wall hatching: full-strength hairlines, so the walls print as line work
#: (no halftone dots between the hatch lines on a screen).
WALL_TINT = 1.0


class GridPanel(Params):
    """One grid: which arrays and which slice."""

    at: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    index: int | None = Field(None, ge=0, le=63)
    value: str | None = Field(None, description="(H, W) values; NaN cells left blank")
    policy: str | None = Field(None, description="(H, W) move codes 0 up, 1 right, 2 down, 3 left, 4 none")
    mask: str | None = Field(None, description="(H, W) cells to mark with a small ring")
    path: str | None = Field(None, description="(H, W) cells whose arrows are drawn in accent")
    title: str = Field("", max_length=60, description="{scalar} fields")

    @model_validator(mode="after")
    def _inside(self) -> GridPanel:
        x, y, w, h = self.at
        if not (0 <= x and 0 <= y and w >= 0.15 and h >= 0.15 and x + w <= 1.0001 and y + h <= 1.0001):
            msg = "'at' is (x, y, w, h) as fractions of the figure box: w, h >= 0.15 and x+w, y+h <= 1"
            raise ValueError(msg)
        return self


class PolicyGridParams(Params):
    """Walls, start and goal shared by the panels, the panels, and the legend."""

    walls: str = "walls"
    start: str | None = "start"
    goal: str | None = "goal"
    panels: tuple[GridPanel, ...] = Field(min_length=1, max_length=3)
    invert: bool = Field(False, description="larger discs for smaller values (costs, distances)")
    value_label: str = Field("", max_length=50)
    policy_label: str = Field("", max_length=50)
    path_label: str = Field("", max_length=50)
    mask_label: str = Field("", max_length=50)
    walls_label: str = Field("", max_length=50, description="legend entry for the wall cells")
    notes: tuple[str, ...] = Field((), max_length=2)


def _arr(data: FigureData, name: str, index: int | None, what: str) -> np.ndarray:
    a = data.array(name, what)
    if a.ndim == 3:
        if index is None or index >= a.shape[0]:
            msg = f"policy-grid: array {name!r} has shape {a.shape}; give the panel a valid 'index'"
            raise TeeprintError(msg)
        a = a[index]
    if a.ndim != 2:
        msg = f"policy-grid: array {name!r} must be (H, W) or (S, H, W), got {a.shape}"
        raise TeeprintError(msg)
    return a


def _arrow(path: PathBuilder, cx: float, cy: float, d: tuple[float, float], half: float) -> None:
    ux, uy = d
    x0, y0 = cx - ux * half, cy - uy * half
    x1, y1 = cx + ux * half, cy + uy * half
    path.move(x0, y0).line(x1, y1)
    hx, hy = -uy, ux
    s = half * 0.55
    path.move(x1 - ux * s + hx * s * 0.6, y1 - uy * s + hy * s * 0.6).line(x1, y1)
    path.line(x1 - ux * s - hx * s * 0.6, y1 - uy * s - hy * s * 0.6)


def _grid_lines(walls: np.ndarray, grid: Box, cell: float) -> PathBuilder:
    """The inner grid as runs of hairline, left out between two wall cells so a wall reads as one
    block (the outer frame is drawn apart)."""
    h, w = walls.shape
    lines = PathBuilder()
    for r in range(1, h):  # horizontal line between rows r-1 and r
        open_ = ~(walls[r - 1] & walls[r])
        for a, b in _runs(open_):
            lines.move(grid.x + a * cell, grid.y + r * cell).line(grid.x + b * cell, grid.y + r * cell)
    for c in range(1, w):
        open_ = ~(walls[:, c - 1] & walls[:, c])
        for a, b in _runs(open_):
            lines.move(grid.x + c * cell, grid.y + a * cell).line(grid.x + c * cell, grid.y + b * cell)
    return lines


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in a 1-D boolean array, end exclusive."""
    runs, start = [], None
    for i, v in enumerate(on):
        if v and start is None:
            start = i
        elif not v and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(on)))
    return runs


def _walls(walls: np.ndarray, grid: Box, cell: float) -> list[Shape]:
    """Wall cells engraved, not flooded: diagonal hatching inside, a firm line where a wall meets
    a free cell.  A fraction of a solid block's ink (light on a black tee, soft on a pale one)."""
    if not walls.any():
        return []
    shapes = hatch_cells(walls, grid, 45.0, max(HATCH_GAP_PT, cell / 6.0), "ink", WALL_TINT)
    h, w = walls.shape
    edges = PathBuilder()
    for r, c in zip(*np.nonzero(walls), strict=True):
        x0, y0 = grid.x + c * cell, grid.y + r * cell
        for dr, dc, seg in ((-1, 0, (x0, y0, x0 + cell, y0)), (1, 0, (x0, y0 + cell, x0 + cell, y0 + cell)),
                            (0, -1, (x0, y0, x0, y0 + cell)), (0, 1, (x0 + cell, y0, x0 + cell, y0 + cell))):
            rr, cc = r + dr, c + dc
            if 0 <= rr < h and 0 <= cc < w and not walls[rr, cc]:
                edges.move(seg[0], seg[1]).line(seg[2], seg[3])
    if not edges.empty:
        shapes.append(stroke(edges, THIN_PT, "ink", 1.0, cap="square"))
    return shapes


def _star(x: float, y: float, r: float) -> PathBuilder:
    b = PathBuilder().move(x, y - 2.2 * r)
    for k in range(1, 8):
        ang = -math.pi / 2 + k * math.pi / 4
        rad = 2.2 * r if k % 2 == 0 else 0.7 * r
        b.line(x + rad * math.cos(ang), y + rad * math.sin(ang))
    return b.close()


@motif("policy-grid", PolicyGridParams)
def policy_grid(data: FigureData, p: PolicyGridParams, ctx: MotifContext) -> list[Shape]:
    """Gridworld panels: wall blocks, value halftone, policy arrows, path, start and goal."""
    box, ts = ctx.box, ctx.type
    walls = data.array(p.walls, "walls") > 0.5
    h, w = walls.shape
    legend_h = 40.0 + 22.0 * len(p.notes)
    area = Box(box.x, box.y, box.w, box.h - legend_h)
    shapes: list[Shape] = []
    bottoms = []
    for panel in p.panels:
        fx, fy, fw, fh = panel.at
        pb = Box(area.x + fx * area.w, area.y + fy * area.h, fw * area.w, fh * area.h)
        title_h = LABEL_PT + 18 if panel.title else 4.0
        cell = min((pb.w - 12) / w, (pb.h - title_h - 8) / h)
        gw, gh = cell * w, cell * h
        grid = Box(pb.cx - gw / 2, pb.y + title_h, gw, gh)
        bottoms.append(grid.bottom)
        shapes += _walls(walls, grid, cell)
        shapes.append(stroke(_grid_lines(walls, grid, cell), HAIR_PT, "ink", GHOST_TINT, cap="butt"))
        shapes.append(stroke(PathBuilder().rect(grid.x, grid.y, grid.w, grid.h), THIN_PT, cap="butt"))
        if panel.value:
            v = _arr(data, panel.value, panel.index, "value")
            fin = v[np.isfinite(v)]
            if fin.size:
                lo, hi = float(fin.min()), float(fin.max())
                t = (v - lo) / (hi - lo) if hi > lo else np.ones_like(v)
                if p.invert:
                    t = 1 - t
                discs = PathBuilder()
                for r in range(h):
                    for c in range(w):
                        if np.isfinite(v[r, c]) and not walls[r, c] and t[r, c] > 0.02:
                            discs.circle(grid.x + (c + 0.5) * cell, grid.y + (r + 0.5) * cell,
                                         0.34 * cell * math.sqrt(float(t[r, c])))
                if not discs.empty:
                    shapes.append(fill(discs, "ink", GHOST_TINT))
        if panel.mask:
            m = _arr(data, panel.mask, panel.index, "mask") > 0.5
            rings = PathBuilder()
            for r, c in zip(*np.nonzero(m & ~walls), strict=True):
                rings.circle(grid.x + (c + 0.5) * cell, grid.y + (r + 0.5) * cell, 0.12 * cell)
            if not rings.empty:
                shapes.append(fill(rings, "ink", 1.0))
        if panel.policy:
            pol = np.rint(_arr(data, panel.policy, panel.index, "policy")).astype(int)
            on_path = (_arr(data, panel.path, panel.index, "path") > 0.5) if panel.path else np.zeros_like(walls)
            plain, lit = PathBuilder(), PathBuilder()
            for r in range(h):
                for c in range(w):
                    a = pol[r, c]
                    if walls[r, c] or not 0 <= a <= 3:
                        continue
                    _arrow(lit if on_path[r, c] else plain, grid.x + (c + 0.5) * cell,
                           grid.y + (r + 0.5) * cell, _DIRS[a], 0.3 * cell)
            if not plain.empty:
                shapes.append(stroke(plain, THIN_PT, "ink"))
            if not lit.empty:
                shapes.append(stroke(lit, MEDIUM_PT, "accent"))
        for name, kind in ((p.start, "start"), (p.goal, "goal")):
            if not name:
                continue
            rc = data.array(name, kind).reshape(-1, 2)
            for r, c in rc:
                cx, cy = grid.x + (c + 0.5) * cell, grid.y + (r + 0.5) * cell
                if kind == "start":
                    shapes.append(stroke(PathBuilder().circle(cx, cy, 0.38 * cell), THIN_PT, "accent"))
                else:
                    shapes.append(fill(_star(cx, cy, 0.16 * cell), "accent"))
        if panel.title:
            shapes.append(ts.line(format_text(panel.title, data), "serif-italic", LABEL_PT + 3, grid.cx,
                                  grid.y - 12, anchor="middle"))
    shapes += _legend(p, ctx, max(bottoms) + 34, data)
    return shapes


def _legend(p: PolicyGridParams, ctx: MotifContext, y: float, data: FigureData) -> list[Shape]:
    ts, box = ctx.type, ctx.box
    shapes: list[Shape] = []
    x = box.x + 4
    cy = y - TICK_PT * 0.35
    entries = [(k, t) for k, t in (("value", p.value_label), ("policy", p.policy_label),
                                   ("path", p.path_label), ("mask", p.mask_label),
                                   ("walls", p.walls_label)) if t]
    entries += [("start", "start"), ("goal", "goal")] if p.start and p.goal else []
    for key, text in entries:
        if key == "value":
            shapes.append(fill(PathBuilder().circle(x + 12, cy, 9.0), "ink", GHOST_TINT))
        elif key in ("policy", "path"):
            path = PathBuilder()
            _arrow(path, x + 12, cy, (1.0, 0.0), 11.0)
            shapes.append(stroke(path, THIN_PT if key == "policy" else MEDIUM_PT,
                                 "ink" if key == "policy" else "accent"))
        elif key == "mask":
            shapes.append(fill(PathBuilder().circle(x + 12, cy, 3.5), "ink"))
        elif key == "walls":
            sq = Box(x + 4, cy - 8, 16, 16)
            shapes += hatch_cells(np.ones((1, 1), bool), sq, 45.0, 5.0, "ink", WALL_TINT)
            shapes.append(stroke(PathBuilder().rect(sq.x, sq.y, sq.w, sq.h), THIN_PT, "ink", 1.0, cap="butt"))
        elif key == "start":
            shapes.append(stroke(PathBuilder().circle(x + 12, cy, 9.0), THIN_PT, "accent"))
        else:
            shapes.append(fill(_star(x + 12, cy, 4.0), "accent"))
        shapes.append(ts.line(text, "mono", TICK_PT, x + 32, y))
        x += 32 + ts.measure(text, "mono", TICK_PT) + 30
    ny = y + 28
    for note in p.notes:
        shapes.append(ts.line(format_text(note, data), "mono", TICK_PT, box.x + 4, ny))
        ny += 22
    return shapes
