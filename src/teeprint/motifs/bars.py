"""token-bars: a distribution over a small vocabulary as engraved bars, before and after a rule.

The first panel is the distribution a rule starts from; each further panel is the distribution
after the rule at one setting (a temperature, a k, a nucleus mass, a penalty ...), with the
starting distribution's bars ghosted behind it so the change reads at a glance.  Tokens the rule
keeps can be picked out in accent; tokens it removes leave only their ghost.  An optional
overlay marks a second distribution per panel (an empirical frequency, a target) as short
ticks across the bars.  Panels stack in one column, or in two when there are more than four.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.artwork import Box, PathBuilder, Shape, stroke
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext, motif
from teeprint.motifs.geometry import format_text
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

_GAP_PT = 26.0
_TITLE_H = TICK_PT + 12.0
_VOCAB_H = TICK_PT + 12.0
_VALUE_H = TICK_PT + 6.0


class BarsParams(Params):
    """Which arrays hold the vocabulary and the distributions, and how the panels are set."""

    vocab: str = Field("vocab", description="array of token strings")
    before: str | None = Field("base", description="1-D distribution the rule starts from")
    after: str = Field("after", description="2-D array: one distribution per rule setting")
    row_values: str | None = Field(None, description="array: the rule's setting per row")
    row_format: str = Field("{}", max_length=40, description="panel title from its setting")
    row_titles: tuple[str, ...] = Field((), max_length=8, description="fixed panel titles")
    before_title: str = Field("before", max_length=40)
    kept: str | None = Field(None, description="bool array like 'after': tokens drawn in accent")
    accent_rows: tuple[int, ...] = Field((), max_length=8, description=(
        "rows of 'after' drawn in accent (negative counts from the end); default: every row "
        "when 'kept' is given, none otherwise"))
    ghost_before: bool = True
    values: bool = Field(True, description="print each bar's probability above it")
    value_format: str = Field("{:.2f}", max_length=12)
    overlay: str | None = Field(None, description="array like 'after': ticks across the bars")
    overlay_label: str = Field("", max_length=60)
    right_values: str | None = Field(None, description="array: one number per panel (before first; nan: none)")
    right_format: str = Field("{:.2f}", max_length=40)
    y_max: float | None = Field(None, gt=0.0, le=1.0)
    columns: Literal[0, 1, 2] = Field(0, description="0: one column up to 4 panels, else two")
    note: str = Field("", max_length=90, description="a line under the panels; {name} fields")
    orientation: Literal["vertical", "horizontal"] = Field("vertical", description=(
        "horizontal: tokens down the side, bars growing right, panels side by side "
        "(one row of panels up to 4, else two rows)"))

    @model_validator(mode="after")
    def _formats(self) -> BarsParams:
        for f in (self.row_format, self.value_format, self.right_format):
            try:
                f.format(1.0)
            except (ValueError, IndexError, KeyError):
                msg = f"format {f!r} must take one number, e.g. 'T = {{:g}}'"
                raise ValueError(msg) from None
        return self


def _array(data: FigureData, name: str, what: str) -> np.ndarray:
    if name not in data.arrays:
        msg = (f"token-bars: '{what}' names array '{name}', which the recipe does not make; "
               f"arrays: {', '.join(sorted(data.arrays))}")
        raise TeeprintError(msg)
    return np.asarray(data.arrays[name])


def _bar(path: PathBuilder, hatch: PathBuilder, x: float, w: float, top: float, base: float,
         gap: float) -> None:
    """Outline of one bar, with vertical engraving lines inside it."""
    path.move(x, base).line(x, top).line(x + w, top).line(x + w, base)
    if base - top > 3.0:
        hx = x + gap / 2
        while hx < x + w - 1.0:
            hatch.move(hx, top + 1.5).line(hx, base)
            hx += gap


@motif("token-bars", BarsParams)
def token_bars(data: FigureData, p: BarsParams, ctx: MotifContext) -> list[Shape]:
    """Bars over a small vocabulary: the starting distribution, then one panel per setting."""
    box, ts = ctx.box, ctx.type
    vocab = [str(v) for v in _array(data, p.vocab, "vocab").ravel()]
    after = np.asarray(_array(data, p.after, "after"), float)
    after = after[None] if after.ndim == 1 else after
    v = len(vocab)
    if after.ndim != 2 or after.shape[1] != v or not 2 <= v <= 24:
        msg = f"token-bars: '{p.after}' must be (rows, {v}) for {v} tokens (2 to 24), got {after.shape}"
        raise TeeprintError(msg)
    before = None if p.before is None else np.asarray(_array(data, p.before, "before"), float).ravel()
    if before is not None and before.size != v:
        msg = f"token-bars: '{p.before}' has {before.size} values for {v} tokens"
        raise TeeprintError(msg)
    kept = None if p.kept is None else np.asarray(_array(data, p.kept, "kept"), bool).reshape(after.shape)
    overlay = None if p.overlay is None else np.asarray(_array(data, p.overlay, "overlay"), float)
    if overlay is not None:
        overlay = overlay.reshape(after.shape)
    rows = after.shape[0]
    values = (np.asarray(_array(data, p.row_values, "row_values"), float).ravel()
              if p.row_values else np.arange(rows, dtype=float))
    titles = list(p.row_titles) if p.row_titles else [p.row_format.format(float(values[i]))
                                                        for i in range(rows)]
    if len(titles) < rows:
        msg = f"token-bars: {len(titles)} row_titles for {rows} rows"
        raise TeeprintError(msg)
    lit = {i % rows for i in p.accent_rows} if p.accent_rows else (
        set(range(rows)) if kept is not None else set())
    panels: list[tuple[str, np.ndarray, np.ndarray | None, np.ndarray | None, bool]] = []
    if before is not None:
        panels.append((p.before_title, before, None, None, False))
    for i in range(rows):
        mask = None
        if i in lit:
            mask = np.ones(v, bool) if kept is None else kept[i]
        panels.append((titles[i], after[i], mask, None if overlay is None else overlay[i], True))
    right = (np.asarray(_array(data, p.right_values, "right_values"), float).ravel()
             if p.right_values else None)
    top_p = p.y_max or float(max(np.max(after), 0.0 if before is None else np.max(before),
                                 0.0 if overlay is None else np.max(overlay)))
    top_p = max(top_p, 1e-9)

    if p.orientation == "horizontal":
        return _horizontal(panels, vocab, before, right, top_p, p, ctx) + _foot(p, data, ctx)
    shapes: list[Shape] = []
    n = len(panels)
    cols = p.columns or (1 if n <= 4 else 2)
    per_col = -(-n // cols)
    legend_h = 30.0 if (p.overlay_label or p.note) else 0.0
    area = Box(box.x, box.y, box.w, box.h - legend_h)
    col_w = (area.w - _GAP_PT * (cols - 1)) / cols
    cell_h = (area.h - _GAP_PT * (per_col - 1)) / per_col
    if cell_h < _TITLE_H + _VOCAB_H + _VALUE_H + 30:
        msg = "token-bars: too many panels for the figure; use two columns or fewer settings"
        raise TeeprintError(msg)
    vocab_pt = TICK_PT
    for k, (title, dist, keep, over, is_after) in enumerate(panels):
        c, r = divmod(k, per_col)
        cell = Box(area.x + c * (col_w + _GAP_PT), area.y + r * (cell_h + _GAP_PT), col_w, cell_h)
        base_y = cell.bottom - _VOCAB_H
        top_y = cell.y + _TITLE_H + (_VALUE_H if p.values else 4.0)
        slot = cell.w / v
        w = min(slot * 0.62, 70.0)
        ink, ink_hatch, acc, acc_hatch, ghost = (PathBuilder() for _ in range(5))
        marks = PathBuilder()
        for j in range(v):
            x = cell.x + j * slot + (slot - w) / 2
            h = (base_y - top_y) * float(dist[j]) / top_p
            if is_after and p.ghost_before and before is not None and before[j] > 0:
                gh = (base_y - top_y) * float(before[j]) / top_p
                ghost.move(x, base_y).line(x, base_y - gh).line(x + w, base_y - gh).line(x + w, base_y)
            if dist[j] > 0:
                accent = keep is not None and bool(keep[j])
                _bar(acc if accent else ink, acc_hatch if accent else ink_hatch, x, w,
                     base_y - h, base_y, 7.0)
                if p.values and dist[j] >= 0.005:
                    lift = h
                    if over is not None and np.isfinite(over[j]):
                        lift = max(h, (base_y - top_y) * float(over[j]) / top_p + MEDIUM_PT)
                    shapes.append(ts.line(p.value_format.format(float(dist[j])), "mono", TICK_PT,
                                          x + w / 2, base_y - lift - 6, anchor="middle",
                                          role="accent" if accent else "ink"))
            if over is not None and np.isfinite(over[j]):
                oy = base_y - (base_y - top_y) * float(over[j]) / top_p
                marks.move(x - 6, oy).line(x + w + 6, oy)
            shapes.append(ts.line(vocab[j], "mono", vocab_pt, x + w / 2, cell.bottom - 3,
                                  anchor="middle"))
        base = PathBuilder().move(cell.x + THIN_PT, base_y).line(cell.right - THIN_PT, base_y)
        shapes.append(stroke(base, THIN_PT, cap="butt"))
        shapes += _bar_strokes(ghost, ink_hatch, ink, acc_hatch, acc, marks)
        shapes.append(ts.line(caps(title), "mono", LABEL_PT - 2, cell.x, cell.y + LABEL_PT - 2,
                              tracking_em=0.1, role="accent" if keep is not None and keep.any() else "ink"))
        if right is not None and k < right.size and np.isfinite(right[k]):
            shapes.append(ts.line(p.right_format.format(float(right[k])), "mono", TICK_PT, cell.right,
                                  cell.y + LABEL_PT - 2, anchor="end"))
    return shapes + _foot(p, data, ctx)


def _bar_strokes(ghost: PathBuilder, ink_hatch: PathBuilder, ink: PathBuilder,
                 acc_hatch: PathBuilder, acc: PathBuilder, marks: PathBuilder) -> list[Shape]:
    """A panel's bars as strokes, faintest first: the dashed "before" outlines, the ink bars'
    engraving and outlines, the accent bars' engraving and outlines, and the marks."""
    layers = ((ghost, HAIR_PT, "ink", GHOST_TINT, (4.0, 3.0)),
              (ink_hatch, HAIR_PT, "ink", HATCH_TINT, ()),
              (ink, THIN_PT, "ink", 1.0, ()),
              (acc_hatch, HAIR_PT, "accent", 1.0, ()),
              (acc, MEDIUM_PT, "accent", 1.0, ()),
              (marks, MEDIUM_PT, "ink", 1.0, ()))
    return [stroke(path, width, role, tint, cap="butt", dash_pt=dash)
            for path, width, role, tint, dash in layers if not path.empty]


def _foot(p: BarsParams, data: FigureData, ctx: MotifContext) -> list[Shape]:
    """The line under the panels: the overlay's key and the note."""
    box, ts = ctx.box, ctx.type
    shapes: list[Shape] = []
    foot = box.bottom - 8
    x = box.x
    if p.overlay_label:
        tick = PathBuilder().move(x + MEDIUM_PT, foot - 5).line(x + 30, foot - 5)
        shapes.append(stroke(tick, MEDIUM_PT, cap="butt"))
        shapes.append(ts.line(p.overlay_label, "mono", TICK_PT, x + 40, foot))
        x += 40 + ts.measure(p.overlay_label, "mono", TICK_PT) + 30
    if p.note:
        # A note may quote the figure's scalars with {name:format} fields (no braces: as written).
        note = format_text(p.note, data) if "{" in p.note else p.note
        shapes.append(ts.line(note, "mono", TICK_PT, x, foot))
    return shapes


Panel = tuple[str, np.ndarray, "np.ndarray | None", "np.ndarray | None", bool]


def _horizontal(panels: list[Panel], vocab: list[str], before: np.ndarray | None,
                right: np.ndarray | None, top_p: float, p: BarsParams, ctx: MotifContext) -> list[Shape]:
    """The panels side by side with the bars lying down: the vocabulary is read once, down the
    left edge of each row of panels, and every panel's bars line up with it."""
    box, ts = ctx.box, ctx.type
    v = len(vocab)
    n = len(panels)
    prow = 1 if n <= 4 else 2
    cols = -(-n // prow)
    legend_h = 30.0 if (p.overlay_label or p.note) else 0.0
    area = Box(box.x, box.y, box.w, box.h - legend_h)
    lab_w = max(ts.measure(t, "mono", TICK_PT) for t in vocab) + 14.0
    col_w = (area.w - lab_w - _GAP_PT * (cols - 1)) / cols
    cell_h = (area.h - _GAP_PT * (prow - 1)) / prow
    foot_h = _VALUE_H if right is not None else 4.0
    slot = (cell_h - _TITLE_H - foot_h - 6.0) / v
    if slot < TICK_PT + 4 or col_w < 120:
        msg = "token-bars: too many panels or tokens for horizontal bars; use orientation = 'vertical'"
        raise TeeprintError(msg)
    bar_h = min(slot * 0.62, 40.0)
    value_w = ts.measure(p.value_format.format(0.99), "mono", TICK_PT) + 10.0 if p.values else 6.0
    shapes: list[Shape] = []
    for k, (title, dist, keep, over, is_after) in enumerate(panels):
        r, c = divmod(k, cols)
        cell = Box(area.x + lab_w + c * (col_w + _GAP_PT), area.y + r * (cell_h + _GAP_PT), col_w, cell_h)
        top = cell.y + _TITLE_H + 6.0
        base_x = cell.x + THIN_PT
        span = cell.w - value_w - THIN_PT

        def length(q: float, span: float = span) -> float:
            return span * q / top_p

        ink, ink_hatch, acc, acc_hatch, ghost, marks = (PathBuilder() for _ in range(6))
        for j in range(v):
            y = top + j * slot + (slot - bar_h) / 2
            if c == 0:
                shapes.append(ts.line(vocab[j], "mono", TICK_PT, cell.x - 10, y + bar_h / 2 + TICK_PT * 0.35,
                                      anchor="end"))
            if is_after and p.ghost_before and before is not None and before[j] > 0:
                gw = length(float(before[j]))
                ghost.move(base_x, y).line(base_x + gw, y).line(base_x + gw, y + bar_h).line(base_x, y + bar_h)
            reach = 0.0
            if dist[j] > 0:
                accent = keep is not None and bool(keep[j])
                w = length(float(dist[j]))
                reach = w
                path, hatch = (acc, acc_hatch) if accent else (ink, ink_hatch)
                path.move(base_x, y).line(base_x + w, y).line(base_x + w, y + bar_h).line(base_x, y + bar_h)
                if w > 3.0:
                    hy = y + 3.5
                    while hy < y + bar_h - 1.0:
                        hatch.move(base_x, hy).line(base_x + w - 1.5, hy)
                        hy += 7.0
            if over is not None and np.isfinite(over[j]):
                ox = base_x + length(float(over[j]))
                marks.move(ox, y - 6).line(ox, y + bar_h + 6)
                reach = max(reach, ox - base_x + MEDIUM_PT)
            if p.values and dist[j] >= 0.005:
                accent = keep is not None and bool(keep[j])
                shapes.append(ts.line(p.value_format.format(float(dist[j])), "mono", TICK_PT,
                                      base_x + reach + 6, y + bar_h / 2 + TICK_PT * 0.35,
                                      role="accent" if accent else "ink"))
        axis = PathBuilder().move(base_x, top - 2).line(base_x, top + v * slot + 2)
        shapes.append(stroke(axis, THIN_PT, cap="butt"))
        shapes += _bar_strokes(ghost, ink_hatch, ink, acc_hatch, acc, marks)
        shapes.append(ts.line(caps(title), "mono", LABEL_PT - 2, cell.x, cell.y + LABEL_PT - 2,
                              tracking_em=0.1, role="accent" if keep is not None and keep.any() else "ink"))
        if right is not None and k < right.size and np.isfinite(right[k]):
            shapes.append(ts.line(p.right_format.format(float(right[k])), "mono", TICK_PT, cell.x,
                                  cell.bottom - 4))
    return shapes
