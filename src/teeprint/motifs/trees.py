"""Trees and nests: a decoding search tree and nested coding intervals.

``token-tree`` draws a search over sequences: one column per decoding step, each node a word
with its cumulative log-probability beneath it, wired to the node it extends.  Three boolean
arrays pick nodes out: ``kept`` (boxed: survived the pruning at its step), ``best`` (accent:
the path the search returns) and ``alt`` (dashed wires: a second decoder's path, e.g. greedy).
Pruned nodes are set in ghost ink, so what the search threw away stays visible.

``interval-nest`` draws arithmetic coding: one ruled bar per symbol coded, each the previous
step's chosen sub-interval blown up to full width, its partition by the model's next-symbol
probabilities ticked along it and the chosen part engraved in accent; zoom lines run from the
chosen part down to the next bar.  The symbol sits at the left, a running number (the bits the
interval costs so far) at the right.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, PathBuilder, Shape, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.geometry import format_text, minus_signs
from teeprint.motifs.matrix import array
from teeprint.motifs.style import (
    GHOST_TINT,
    HAIR_PT,
    HATCH_TINT,
    LABEL_PT,
    MEDIUM_PT,
    THIN_PT,
    TICK_PT,
)
from teeprint.recipes import FigureData, Params
from teeprint.typeset import caps

_LEGEND_H = 34.0
_NOTE_H = 26.0


def _check_format(fmt: str) -> None:
    try:
        fmt.format(1.0)
    except (ValueError, IndexError, KeyError):
        msg = f"format {fmt!r} must take one number, e.g. '{{:.2f}}'"
        raise ValueError(msg) from None


def _vec(data: FigureData, name: str, n: int | None, what: str) -> np.ndarray:
    v = np.asarray(array(data, name)).ravel()
    if n is not None and v.size != n:
        msg = f"{what}: array {name!r} has {v.size} entries, expected {n}"
        raise TeeprintError(msg)
    return v


# -- token-tree ---------------------------------------------------------------------------------


class TreeParams(Params):
    """Which arrays hold the tree, and how its nodes are marked and labelled."""

    depth: str = Field("node_depth", description="integer column of each node (root 0)")
    parent: str = Field("node_parent", description="index of each node's parent (-1: root)")
    label: str = Field("node_label", description="word set at each node")
    score: str | None = Field("node_logp", description="number set under each word")
    score_format: str = Field("{:.2f}", max_length=16)
    kept: str | None = Field("node_kept", description="bool: boxed nodes")
    best: str | None = Field("node_best", description="bool: the accented path")
    alt: str | None = Field("node_greedy", description="bool: a second path, wired dashed")
    column_format: str = Field("step {:g}", max_length=24, description="column heads; '' for none")
    best_label: str = Field("", max_length=50)
    alt_label: str = Field("", max_length=50)
    kept_label: str = Field("", max_length=50)
    note: str = Field("", max_length=90, description="a line under the legend; {name} fields")

    @model_validator(mode="after")
    def _formats(self) -> TreeParams:
        _check_format(self.score_format)
        if self.column_format:
            _check_format(self.column_format)
        return self


def _tree_rows(depth: np.ndarray, parent: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Row of each node within its column: children follow their parent's order, best first."""
    rows = np.zeros(depth.size, int)
    for d in range(1, int(depth.max()) + 1):
        ids = np.flatnonzero(depth == d)
        key = sorted(ids.tolist(), key=lambda i: (rows[parent[i]], -score[i], i))
        for r, i in enumerate(key):
            rows[i] = r
    return rows


@motif("token-tree", TreeParams)
def token_tree(data: FigureData, p: TreeParams, ctx: MotifContext) -> list[Shape]:
    """A decoding search as a tree of words: kept nodes boxed, the returned path in accent."""
    box, ts = ctx.box, ctx.type
    depth = _vec(data, p.depth, None, "token-tree").astype(int)
    n = depth.size
    parent = _vec(data, p.parent, n, "token-tree").astype(int)
    labels = [minus_signs(str(s)) for s in _vec(data, p.label, n, "token-tree")]
    score = (_vec(data, p.score, n, "token-tree").astype(float) if p.score
             else np.zeros(n))
    kept = _vec(data, p.kept, n, "token-tree").astype(bool) if p.kept else np.ones(n, bool)
    best = _vec(data, p.best, n, "token-tree").astype(bool) if p.best else np.zeros(n, bool)
    alt = _vec(data, p.alt, n, "token-tree").astype(bool) if p.alt else np.zeros(n, bool)
    if n < 2 or n > 64 or np.any(parent[depth > 0] < 0) or np.any(depth[parent[depth > 0]] != depth[depth > 0] - 1):
        msg = "token-tree: 2 to 64 nodes, each child one column right of its parent"
        raise TeeprintError(msg)
    rows = _tree_rows(depth, parent, score)
    cols = int(depth.max()) + 1
    legend = any((p.best_label, p.alt_label, p.kept_label))
    head_h = (LABEL_PT + 14) if p.column_format else 0.0
    area = Box(box.x, box.y + head_h, box.w,
               box.h - head_h - (_LEGEND_H if legend else 0.0) - (_NOTE_H if p.note else 0.0))
    line_h = TICK_PT + 5
    block_h = 2 * line_h if p.score else line_h
    counts = np.bincount(depth, minlength=cols)
    if area.h / counts.max() < block_h + 8:
        msg = "token-tree: too many nodes in one column for the figure height"
        raise TeeprintError(msg)
    widths = [max(ts.measure(w, "mono", TICK_PT),
                  ts.measure(p.score_format.format(float(s)), "mono", TICK_PT) if p.score else 0.0)
              for w, s in zip(labels, score, strict=True)]
    col_w = area.w / cols
    if max(widths) + 40 > col_w:
        msg = "token-tree: words too long for the column width; fewer steps"
        raise TeeprintError(msg)
    pad = 7.0
    xs = np.array([area.x + (d + 0.5) * col_w for d in depth]) - (col_w - max(widths)) * 0.0
    ys = np.array([area.y + (r + 0.5) * area.h / counts[d] for r, d in zip(rows, depth, strict=True)])
    half = [w / 2 + pad for w in widths]
    shapes: list[Shape] = []
    wires = {"plain": PathBuilder(), "ghost": PathBuilder(), "best": PathBuilder(), "alt": PathBuilder()}
    for i in range(n):
        if parent[i] < 0:
            continue
        j = parent[i]
        x0, y0 = xs[j] + half[j], ys[j]
        x1, y1 = xs[i] - half[i], ys[i]
        mid = (x0 + x1) / 2
        kind = "best" if best[i] else ("alt" if alt[i] else ("plain" if kept[i] else "ghost"))
        wires[kind].move(x0, y0).curve(mid, y0, mid, y1, x1, y1)
    if not wires["ghost"].empty:
        shapes.append(stroke(wires["ghost"], HAIR_PT, "ink", GHOST_TINT))
    if not wires["plain"].empty:
        shapes.append(stroke(wires["plain"], THIN_PT))
    if not wires["alt"].empty:
        shapes.append(stroke(wires["alt"], THIN_PT, dash_pt=(7.0, 5.0), cap="butt"))
    if not wires["best"].empty:
        shapes.append(stroke(wires["best"], MEDIUM_PT, "accent"))
    frames, lit = PathBuilder(), PathBuilder()
    for i in range(n):
        top = ys[i] - block_h / 2
        role = "accent" if best[i] else "ink"
        tint = 1.0 if (kept[i] or best[i] or alt[i]) else GHOST_TINT
        shapes.append(ts.line(labels[i], "mono", TICK_PT, xs[i], top + TICK_PT, anchor="middle",
                              role=role, tint=tint))
        if p.score:
            shapes.append(ts.line(minus_signs(p.score_format.format(float(score[i]))), "mono",
                                  TICK_PT, xs[i], top + line_h + TICK_PT, anchor="middle",
                                  role=role, tint=GHOST_TINT if tint < 1 else 0.75))
        if kept[i] and depth[i] > 0:
            (lit if best[i] else frames).rect(xs[i] - half[i], top - 4, 2 * half[i], block_h + 8)
    if not frames.empty:
        shapes.append(stroke(frames, HAIR_PT, cap="butt"))
    if not lit.empty:
        shapes.append(stroke(lit, THIN_PT, "accent", cap="butt"))
    if p.column_format:
        for d in range(cols):
            shapes.append(ts.line(caps(p.column_format.format(float(d))), "mono", LABEL_PT - 2,
                                  area.x + (d + 0.5) * col_w, box.y + LABEL_PT, anchor="middle",
                                  tracking_em=0.1, tint=0.75))
    y = area.bottom + _LEGEND_H - 10
    x = box.x + MEDIUM_PT
    for text, kind in ((p.best_label, "best"), (p.alt_label, "alt"), (p.kept_label, "kept")):
        if not text:
            continue
        if kind == "kept":
            shapes.append(stroke(PathBuilder().rect(x, y - 14, 30, 18), HAIR_PT, cap="butt"))
        else:
            seg = PathBuilder().move(x, y - 5).line(x + 30, y - 5)
            shapes.append(stroke(seg, MEDIUM_PT, "accent") if kind == "best"
                          else stroke(seg, THIN_PT, dash_pt=(7.0, 5.0), cap="butt"))
        shapes.append(ts.line(text, "mono", TICK_PT, x + 40, y))
        x += 40 + ts.measure(text, "mono", TICK_PT) + 34
    if p.note:
        shapes.append(ts.line(format_text(p.note, data), "mono", TICK_PT, box.x, box.bottom - 6))
    return shapes


# -- interval-nest ------------------------------------------------------------------------------


class NestParams(Params):
    """Which arrays hold the partitions, the chosen parts and the margin labels."""

    edges: str = Field("edges", description="(steps, k + 1): partition of each bar, fractions 0..1")
    chosen: str = Field("chosen", description="(steps,): index of the part chosen at each step")
    left: str | None = Field("symbols", description="(steps,): label at the left of each bar")
    left_format: str = Field("{}", max_length=24, description="left label from its value")
    right: str | None = Field("bits", description="(steps,): number at the right of each bar")
    right_format: str = Field("{:.1f}", max_length=24)
    left_title: str = Field("", max_length=24)
    right_title: str = Field("", max_length=24)
    bar_title: str = Field("", max_length=60, description="set above the first bar")
    note: str = Field("", max_length=90, description="a line under the bars; {name} fields")

    @model_validator(mode="after")
    def _formats(self) -> NestParams:
        _check_format(self.right_format)
        try:
            self.left_format.format("a")
        except (ValueError, IndexError, KeyError):
            msg = f"left_format {self.left_format!r} must take one value"
            raise ValueError(msg) from None
        return self


@motif("interval-nest", NestParams)
def interval_nest(data: FigureData, p: NestParams, ctx: MotifContext) -> list[Shape]:
    """Nested intervals: each bar the previous chosen part, magnified, and its partition."""
    box, ts = ctx.box, ctx.type
    edges = np.asarray(array(data, p.edges), float)
    if edges.ndim != 2 or edges.shape[1] < 3 or not 2 <= edges.shape[0] <= 24:
        msg = f"interval-nest: {p.edges!r} must be (2..24 steps, parts + 1), got {edges.shape}"
        raise TeeprintError(msg)
    steps, k1 = edges.shape
    chosen = _vec(data, p.chosen, steps, "interval-nest").astype(int)
    if np.any(chosen < 0) or np.any(chosen >= k1 - 1):
        msg = "interval-nest: chosen indices must name a part of each bar"
        raise TeeprintError(msg)
    left = ([p.left_format.format(v) for v in _vec(data, p.left, steps, "interval-nest").tolist()]
            if p.left else [])
    right = ([minus_signs(p.right_format.format(float(v)))
              for v in _vec(data, p.right, steps, "interval-nest")] if p.right else [])
    left_w = max((ts.measure(s, "mono", LABEL_PT) for s in [*left, p.left_title]), default=0.0)
    right_w = max((ts.measure(s, "mono", TICK_PT) for s in [*right, p.right_title]), default=0.0)
    head = (LABEL_PT + 14) if (p.bar_title or p.left_title or p.right_title) else 0.0
    foot = _NOTE_H if p.note else 0.0
    bar_x0 = box.x + (left_w + 24 if left else 0.0)
    bar_x1 = box.right - (right_w + 24 if right else 0.0)
    top, bottom = box.y + head, box.bottom - foot
    pitch = (bottom - top) / steps
    bar_h = min(22.0, pitch * 0.38)
    if pitch < bar_h + 16 or bar_x1 - bar_x0 < 200:
        msg = "interval-nest: too many steps for the figure"
        raise TeeprintError(msg)
    shapes: list[Shape] = []
    rules, ticks, zoom, hatch, lit = (PathBuilder() for _ in range(5))
    width = bar_x1 - bar_x0
    for s in range(steps):
        y0 = top + s * pitch + (pitch - bar_h) / 2
        y1 = y0 + bar_h
        rules.rect(bar_x0, y0, width, bar_h)
        xe = bar_x0 + width * np.clip(edges[s], 0.0, 1.0)
        for x in xe[1:-1]:
            ticks.move(float(x), y0).line(float(x), y1)
        a, b = float(xe[chosen[s]]), float(xe[chosen[s] + 1])
        lit.rect(a, y0, max(b - a, 0.5), bar_h)
        hx = a + 3.0
        while hx < b - 1.0:
            hatch.move(hx, y0 + 1.5).line(hx, y1 - 1.5)
            hx += 4.5
        if s + 1 < steps:
            ny = top + (s + 1) * pitch + (pitch - bar_h) / 2
            zoom.move(a, y1 + 3).line(bar_x0, ny - 3).move(b, y1 + 3).line(bar_x1, ny - 3)
        mid = (y0 + y1) / 2 + TICK_PT * 0.35
        if left:
            shapes.append(ts.line(left[s], "mono", LABEL_PT, bar_x0 - 14, mid + 1, anchor="end",
                                  role="accent"))
        if right:
            shapes.append(ts.line(right[s], "mono", TICK_PT, bar_x1 + 14, mid))
    shapes.append(stroke(zoom, HAIR_PT, "ink", GHOST_TINT, dash_pt=(4.0, 3.0), cap="butt"))
    shapes.append(stroke(ticks, HAIR_PT, cap="butt"))
    shapes.append(stroke(rules, THIN_PT, cap="butt"))
    if not hatch.empty:
        shapes.append(stroke(hatch, HAIR_PT, "accent", HATCH_TINT + 0.3, cap="butt"))
    shapes.append(stroke(lit, MEDIUM_PT, "accent", cap="butt"))
    if head:
        yb = box.y + LABEL_PT
        if p.left_title and left:
            shapes.append(ts.line(caps(p.left_title), "mono", TICK_PT, bar_x0 - 14, yb, anchor="end"))
        if p.bar_title:
            shapes.append(ts.line(caps(p.bar_title), "mono", TICK_PT, (bar_x0 + bar_x1) / 2, yb,
                                  anchor="middle", tracking_em=0.08))
        if p.right_title and right:
            shapes.append(ts.line(caps(p.right_title), "mono", TICK_PT, bar_x1 + 14, yb))
    if p.note:
        shapes.append(ts.line(format_text(p.note, data), "mono", TICK_PT, bar_x0, box.bottom - 6))
    return shapes
