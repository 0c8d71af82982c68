"""The circuit-graph engine: components of a model as engraved roundels, wired by weighted edges.

Nodes are placed by fractions of the graph area and drawn as double-ruled roundels (heads,
neurons) or squares (embeddings, readouts) with a short tag inside and a name beneath.  Edges
are curved arrows whose width grows with their weight (a composition norm, an attribution...);
an edge below ``min_weight`` is a dotted ghost, so a path the model does *not* use is still
shown as absent.  Matrix panels (the heads' QK and OV circuits) can share the figure.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, PathBuilder, Shape, fill, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.matrix import Panel, array, centre_vertically, draw_panel, sub_box
from teeprint.motifs.style import GHOST_TINT, HAIR_PT, HEAVY_PT, LABEL_PT, THIN_PT, TICK_PT
from teeprint.recipes import FigureData, Params
from teeprint.typeset import caps


class Node(Params):
    """One component: an id for the edges, a tag set inside, a name set beneath."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$", max_length=24)
    tag: str = Field("", max_length=4)
    label: str = Field("", max_length=32)
    at: tuple[float, float] = (0.5, 0.5)
    shape: Literal["circle", "square"] = "circle"

    @model_validator(mode="after")
    def _inside(self) -> Node:
        if not all(0.0 <= v <= 1.0 for v in self.at):
            msg = "node 'at' is (x, y) as fractions of the graph area, each within 0..1"
            raise ValueError(msg)
        return self


class Edge(Params):
    """A wire from one node to another; its weight is an entry of the weights array."""

    source: str
    target: str
    weight: int = Field(ge=0, le=255, description="index into the weights array")
    label: str = Field("", max_length=24)
    bend: float = Field(0.0, ge=-1.0, le=1.0, description="curvature, as a share of the length")


class GraphParams(Params):
    """Nodes, edges, where the graph sits, and any matrix panels beside it."""

    nodes: tuple[Node, ...] = Field(min_length=2, max_length=12)
    edges: tuple[Edge, ...] = Field(min_length=1, max_length=24)
    weights: str
    graph_at: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    title: str = Field("", max_length=60)
    panels: tuple[Panel, ...] = Field((), max_length=4)
    min_weight: float = Field(0.05, ge=0.0, le=1.0)
    ghost_labels: bool = Field(True, description="False: edges below min_weight carry no number")
    numbers: bool = Field(True, description="False: edges carry only their label, no weight")
    accent_edges: tuple[int, ...] = Field((), max_length=8, description="edge positions to accent")
    node_pt: float = Field(34.0, ge=16.0, le=60.0, description="roundel radius")
    centre: bool = True

    @model_validator(mode="after")
    def _wired(self) -> GraphParams:
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            msg = f"node ids must be unique, got {ids}"
            raise ValueError(msg)
        for e in self.edges:
            if e.source not in ids or e.target not in ids or e.source == e.target:
                msg = f"edge {e.source!r} -> {e.target!r} must join two different known nodes ({ids})"
                raise ValueError(msg)
        if any(not 0 <= i < len(self.edges) for i in self.accent_edges):
            msg = "accent_edges are positions in the edges list"
            raise ValueError(msg)
        x, y, w, h = self.graph_at
        if not (0 <= x and 0 <= y and w >= 0.2 and h >= 0.15 and x + w <= 1.0001 and y + h <= 1.0001):
            msg = "'graph_at' is (x, y, w, h) as fractions of the figure box: w >= 0.2, h >= 0.15, inside"
            raise ValueError(msg)
        return self


def _boundary(cx: float, cy: float, r: float, shape: str, ux: float, uy: float) -> tuple[float, float]:
    """Where a ray from the node's centre in direction (ux, uy) leaves its outline."""
    if shape == "circle":
        return cx + ux * r, cy + uy * r
    t = r / max(abs(ux), abs(uy), 1e-9)
    return cx + ux * t, cy + uy * t


@motif("circuit-graph", GraphParams)
def circuit_graph(data: FigureData, p: GraphParams, ctx: MotifContext) -> list[Shape]:
    """A weighted circuit of model components, with optional matrix panels."""
    box, ts = ctx.box, ctx.type
    weights = np.asarray(array(data, p.weights), float).ravel()
    if any(e.weight >= weights.size for e in p.edges):
        msg = f"an edge names weight {max(e.weight for e in p.edges)}, {p.weights!r} has {weights.size}"
        raise TeeprintError(msg)
    area = sub_box(box, p.graph_at)
    shapes: list[Shape] = []
    top = area.y
    if p.title:
        shapes.append(ts.line(caps(p.title), "mono", LABEL_PT - 2, area.x, area.y + LABEL_PT - 2,
                              tracking_em=0.12))
        top += LABEL_PT + 6
    r = p.node_pt
    label_h = TICK_PT + 12
    inner = Box(area.x + r + 4, top + r + 4, area.w - 2 * r - 8, area.bottom - top - 2 * r - 8 - label_h)
    if inner.w < 0 or inner.h < 0:
        msg = "the graph area is too small for its nodes; enlarge graph_at or shrink node_pt"
        raise TeeprintError(msg)
    centres = {n.id: (inner.x + n.at[0] * inner.w, inner.y + n.at[1] * inner.h) for n in p.nodes}
    shapes_of = {n.id: n.shape for n in p.nodes}
    w_max = float(np.max(np.abs(weights))) or 1.0
    live_bodies: dict[tuple[str, float], PathBuilder] = {}
    ghosts, heads, labels = PathBuilder(), {"ink": PathBuilder(), "accent": PathBuilder()}, []
    for k, e in enumerate(p.edges):
        (x0, y0), (x1, y1) = centres[e.source], centres[e.target]
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        nx, ny = -uy, ux
        mx, my = (x0 + x1) / 2 + nx * e.bend * length / 2, (y0 + y1) / 2 + ny * e.bend * length / 2
        # The curve stays inside the hull of its three points: keep the control point in the area.
        mx = min(max(mx, area.x + 4), area.right - 4)
        my = min(max(my, top + 4), area.bottom - label_h)
        # Leave and enter along the curve's end tangents.
        d0x, d0y = mx - x0, my - y0
        n0 = math.hypot(d0x, d0y) or 1.0
        d1x, d1y = x1 - mx, y1 - my
        n1 = math.hypot(d1x, d1y) or 1.0
        sx, sy = _boundary(x0, y0, r + 6, shapes_of[e.source], d0x / n0, d0y / n0)
        tx, ty = _boundary(x1, y1, r + 6, shapes_of[e.target], -d1x / n1, -d1y / n1)
        w = float(abs(weights[e.weight]))
        role = "accent" if k in p.accent_edges else "ink"
        path = PathBuilder().move(sx, sy)
        path.quad(mx, my, tx, ty)
        if w < p.min_weight:
            ghosts.extend(path)
        else:
            width = HAIR_PT + (HEAVY_PT - HAIR_PT) * w / w_max
            key = (role, round(width, 2))
            live_bodies.setdefault(key, PathBuilder()).extend(path)
            ex, ey = tx - mx, ty - my
            en = math.hypot(ex, ey) or 1.0
            ex, ey = ex / en, ey / en
            head = 10.0 + width * 1.6
            bx, by = tx - ex * head, ty - ey * head
            heads[role].move(tx + ex * 2, ty + ey * 2).line(bx - ey * head * 0.42, by + ex * head * 0.42)
            heads[role].line(bx + ey * head * 0.42, by - ex * head * 0.42).close()
        # The curve's midpoint, with the label set on the outer side of the bend.
        qx, qy = 0.25 * sx + 0.5 * mx + 0.25 * tx, 0.25 * sy + 0.5 * my + 0.25 * ty
        side = 1.0 if e.bend >= 0 else -1.0
        text = f"{e.label} {w:.2f}".strip() if p.numbers else e.label
        lx, ly = qx + nx * side * 16, qy + ny * side * 16 + (TICK_PT if ny * side > 0.3 else -4)
        half = ts.measure(text, "mono", TICK_PT) / 2
        lx = min(max(lx, area.x + half), area.right - half)
        ly = min(max(ly, top + TICK_PT), area.bottom - 4)
        if text and (w >= p.min_weight or p.ghost_labels):
            labels.append(ts.line(text, "mono", TICK_PT, lx, ly, anchor="middle", role=role,
                                  tint=1.0 if w >= p.min_weight else GHOST_TINT))
    if not ghosts.empty:
        shapes.append(stroke(ghosts, HAIR_PT, "ink", GHOST_TINT, cap="butt", dash_pt=(2.0, 5.0)))
    for (role, width), path in sorted(live_bodies.items()):
        shapes.append(stroke(path, width, role, cap="butt"))
    for role, path in heads.items():
        if not path.empty:
            shapes.append(fill(path, role))
    for n in p.nodes:
        cx, cy = centres[n.id]
        if n.shape == "circle":
            shapes.append(stroke(PathBuilder().circle(cx, cy, r), THIN_PT))
            shapes.append(stroke(PathBuilder().circle(cx, cy, r - 6), HAIR_PT))
        else:
            shapes.append(stroke(PathBuilder().rect(cx - r, cy - r, 2 * r, 2 * r), THIN_PT, cap="butt"))
            shapes.append(stroke(PathBuilder().rect(cx - r + 6, cy - r + 6, 2 * r - 12, 2 * r - 12),
                                 HAIR_PT, cap="butt"))
        if n.tag:
            size = min(24.0, max(TICK_PT, r * 0.75))
            shapes.append(ts.line(n.tag, "display", size, cx, cy + size * 0.36, anchor="middle"))
        if n.label:
            width = ts.measure(n.label, "mono", TICK_PT)
            x = min(max(cx, area.x + width / 2), area.right - width / 2)
            shapes.append(ts.line(n.label, "mono", TICK_PT, x, cy + r + TICK_PT + 8, anchor="middle"))
    shapes += labels
    for panel in p.panels:
        shapes += draw_panel(data, panel, sub_box(box, panel.at), ts, ctx.rng)
    return centre_vertically(shapes, box) if p.centre else shapes
