"""Scales, engraved axis frames and hatching shared by the motif engines."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from teeprint.artwork import Box, PathBuilder, Shape, stroke
from teeprint.motifs.style import HAIR_PT, HATCH_GAP_PT, HATCH_TINT, LABEL_PT, THIN_PT, TICK_PT
from teeprint.typeset import Typesetter, caps


@dataclass(frozen=True)
class Scale:
    """Maps data values in [lo, hi] to points in [p0, p1], linearly or logarithmically."""

    lo: float
    hi: float
    p0: float
    p1: float
    log: bool = False

    def __post_init__(self) -> None:
        if self.log and (self.lo <= 0 or self.hi <= 0):
            msg = f"a log scale needs positive bounds, got {self.lo}..{self.hi}"
            raise ValueError(msg)
        if self.hi == self.lo:
            msg = "a scale needs hi != lo"
            raise ValueError(msg)

    def __call__(self, v: np.ndarray | float) -> np.ndarray:
        a = np.asarray(v, float)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (np.log10(a) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            t = (a - self.lo) / (self.hi - self.lo)
        return self.p0 + t * (self.p1 - self.p0)

    def ticks(self, target: int = 5) -> list[tuple[float, str]]:
        """Round tick values inside the range with their labels."""
        if self.log:
            lo_e = math.ceil(math.log10(self.lo) - 1e-9)
            hi_e = math.floor(math.log10(self.hi) + 1e-9)
            step = max(1, math.ceil((hi_e - lo_e + 1) / (target + 1)))
            return [(10.0**e, _pow10_label(e)) for e in range(lo_e, hi_e + 1, step)]
        span = self.hi - self.lo
        raw = span / max(target, 1)
        mag = 10 ** math.floor(math.log10(raw))
        step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
        first = math.ceil(self.lo / step - 1e-9) * step
        vals = np.arange(first, self.hi + step * 1e-6, step)
        return [(float(v), _num_label(float(v), step)) for v in vals]


def _pow10_label(e: int) -> str:
    if -2 <= e <= 3:
        return f"{10.0**e:g}"
    return f"1e{e}"


def _num_label(v: float, step: float) -> str:
    if abs(v) < step * 1e-6:
        return "0"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    while decimals < 8 and abs(round(step, decimals) - step) > step * 1e-6:  # 0.25 needs two
        decimals += 1
    return f"{v:.{decimals}f}"


def padded_range(values: np.ndarray, log: bool, pad: float = 0.06) -> tuple[float, float]:
    """A range around finite values with a little air, in log space when asked."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if log:
        v = v[v > 0]
        lo, hi = math.log10(float(v.min())), math.log10(float(v.max()))
        d = (hi - lo) * pad or 0.5
        return 10 ** (lo - d), 10 ** (hi + d)
    lo, hi = float(v.min()), float(v.max())
    d = (hi - lo) * pad or 1.0
    return lo - d, hi + d


def frame_axes(plot: Box, xs: Scale, ys: Scale, ts: Typesetter, *, x_label: str = "",
               y_label: str = "", x_ticks: list[tuple[float, str]] | None = None,
               y_ticks: list[tuple[float, str]] | None = None) -> list[Shape]:
    """An engraved plot frame: hairline box, inward ticks on all four sides, mono labels."""
    shapes: list[Shape] = []
    shapes.append(stroke(PathBuilder().rect(plot.x, plot.y, plot.w, plot.h), THIN_PT, cap="butt"))
    tick_len = 9.0
    ticks = PathBuilder()
    for value, label in x_ticks if x_ticks is not None else xs.ticks():
        x = float(xs(value))
        if not plot.x - 0.01 <= x <= plot.right + 0.01:
            continue
        ticks.move(x, plot.bottom).line(x, plot.bottom - tick_len)
        ticks.move(x, plot.y).line(x, plot.y + tick_len)
        shapes.append(ts.line(label, "mono", TICK_PT, x, plot.bottom + TICK_PT + 8, anchor="middle"))
    for value, label in y_ticks if y_ticks is not None else ys.ticks():
        y = float(ys(value))
        if not plot.y - 0.01 <= y <= plot.bottom + 0.01:
            continue
        ticks.move(plot.x, y).line(plot.x + tick_len, y)
        ticks.move(plot.right, y).line(plot.right - tick_len, y)
        shapes.append(ts.line(label, "mono", TICK_PT, plot.x - 8, y + TICK_PT * 0.35, anchor="end"))
    if not ticks.empty:
        shapes.append(stroke(ticks, HAIR_PT, cap="butt"))
    if x_label:
        shapes.append(ts.line(caps(x_label), "mono", LABEL_PT - 2, plot.cx,
                              plot.bottom + TICK_PT + LABEL_PT + 22, anchor="middle", tracking_em=0.12))
    if y_label:
        shapes.append(ts.line(caps(y_label), "mono", LABEL_PT - 2, plot.x, plot.y - 14,
                              anchor="start", tracking_em=0.12))
    return shapes


def hatch_under(xp: np.ndarray, yp: np.ndarray, floor_y: float, clip: Box,
                gap_pt: float = HATCH_GAP_PT, role: str = "ink",
                tint: float = HATCH_TINT) -> list[Shape]:
    """Vertical engraving lines between a curve (in points) and a floor, every ``gap_pt``."""
    order = np.argsort(xp)
    xs_sorted, ys_sorted = xp[order], yp[order]
    path = PathBuilder()
    x = math.ceil(float(xs_sorted[0]) / gap_pt) * gap_pt
    while x <= xs_sorted[-1]:
        top = float(np.interp(x, xs_sorted, ys_sorted))
        top = min(max(top, clip.y), clip.bottom)
        if floor_y - top > 2.0:
            path.move(x, top + HAIR_PT).line(x, floor_y)
        x += gap_pt
    return [stroke(path, HAIR_PT, role, tint, cap="butt")] if not path.empty else []
