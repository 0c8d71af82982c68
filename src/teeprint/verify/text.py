"""Text against the artwork: a label must not overlap another label or cross a stroke.

Type is outlined when it is placed, so every label is a filled shape with ``text_pt`` set and
a tight box around its glyph outlines.  Two checks run on the shapes of a figure:

* **label on label** — the boxes of two labels, each shrunk by :data:`SLACK_PT`, intersect;
* **stroke through label** — a stroked path (curve, axis, hatching, leader, ring) comes
  within :data:`CLEAR_PT` of a label's glyph box (its own width counted).

Curves are flattened to their control polygons refined by de Casteljau at 8 points, which
stays within a fraction of a point of the true curve at plate sizes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from teeprint.artwork import PATH_TOKENS

if TYPE_CHECKING:
    from teeprint.artwork import Shape

#: How far (pt) two labels' boxes are shrunk before testing: glyph boxes are conservative
#: (they hold the outlines' control points), and two lines of one label nearly touch.
SLACK_PT = 1.0
#: The air (pt) a stroke must keep from a label's glyph box: closer than this, a line reads as
#: touching the letters at chest size.
CLEAR_PT = 1.5
_T = np.linspace(0.0, 1.0, 9)[1:]


def segments(d: str) -> np.ndarray:
    """The path as line segments ``(n, 4)``: x0, y0, x1, y1 (curves flattened)."""
    out: list[tuple[float, float, float, float]] = []
    x = y = sx = sy = 0.0
    for cmd, args in PATH_TOKENS.findall(d):
        nums = [float(v) for v in args.replace(",", " ").split()]
        if cmd == "M":
            x, y = sx, sy = nums[0], nums[1]
            for i in range(2, len(nums), 2):
                out.append((x, y, nums[i], nums[i + 1]))
                x, y = nums[i], nums[i + 1]
        elif cmd == "L":
            for i in range(0, len(nums), 2):
                out.append((x, y, nums[i], nums[i + 1]))
                x, y = nums[i], nums[i + 1]
        elif cmd == "C":
            for i in range(0, len(nums), 6):
                x1, y1, x2, y2, x3, y3 = nums[i:i + 6]
                t = _T
                mt = 1 - t
                px = mt**3 * x + 3 * mt**2 * t * x1 + 3 * mt * t**2 * x2 + t**3 * x3
                py = mt**3 * y + 3 * mt**2 * t * y1 + 3 * mt * t**2 * y2 + t**3 * y3
                prev_x, prev_y = x, y
                for qx, qy in zip(px.tolist(), py.tolist(), strict=True):
                    out.append((prev_x, prev_y, qx, qy))
                    prev_x, prev_y = qx, qy
                x, y = x3, y3
        elif cmd == "Z":
            out.append((x, y, sx, sy))
            x, y = sx, sy
    return np.asarray(out, float).reshape(-1, 4)


def _hits_box(seg: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Whether any segment enters the box (Liang-Barsky clipping, vectorised)."""
    if seg.size == 0:
        return False
    x0, y0, x1, y1 = box
    px, py = seg[:, 0], seg[:, 1]
    dx, dy = seg[:, 2] - px, seg[:, 3] - py
    t0 = np.zeros(len(seg))
    t1 = np.ones(len(seg))
    ok = np.ones(len(seg), bool)
    for p, q in ((-dx, px - x0), (dx, x1 - px), (-dy, py - y0), (dy, y1 - py)):
        parallel = p == 0
        ok &= ~(parallel & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
        t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
        t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
    return bool(np.any(ok & (t0 <= t1)))


def _shrunk(b: tuple[float, float, float, float]) -> tuple[float, float, float, float] | None:
    x0, y0, x1, y1 = b[0] + SLACK_PT, b[1] + SLACK_PT, b[2] - SLACK_PT, b[3] - SLACK_PT
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def text_problems(shapes: Sequence[Shape]) -> list[str]:
    """Every label that overlaps another label or is crossed by a stroke, one line each."""
    labels = [(s, b) for s in shapes if s.text_pt is not None and (b := _shrunk(s.bbox))]
    problems: list[str] = []
    for i, (a, ba) in enumerate(labels):
        for other, bb in labels[i + 1:]:
            if ba[0] < bb[2] and bb[0] < ba[2] and ba[1] < bb[3] and bb[1] < ba[3]:
                problems.append(f"label {a.label!r} overlaps label {other.label!r}")
    strokes = [(s, segments(s.d)) for s in shapes if s.paint == "stroke"]
    for s in shapes:
        if s.text_pt is None:
            continue
        box = (s.bbox[0] - CLEAR_PT, s.bbox[1] - CLEAR_PT, s.bbox[2] + CLEAR_PT, s.bbox[3] + CLEAR_PT)
        for st, seg in strokes:
            sb = st.bbox
            if sb[2] < box[0] or sb[0] > box[2] or sb[3] < box[1] or sb[1] > box[3]:
                continue
            grown = (box[0] - st.width_pt / 2, box[1] - st.width_pt / 2,
                     box[2] + st.width_pt / 2, box[3] + st.width_pt / 2)
            if _hits_box(seg, grown):
                what = st.label or f"a {st.width_pt:g} pt stroke"
                problems.append(f"label {s.label!r} is crossed by {what}")
                break
    return problems
