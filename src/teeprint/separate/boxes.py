"""Bounding boxes of rings, to keep Clipper's sweeps to the part of a page that changes.

A ring adds to the winding number only inside its own bounding box.  So a boolean operation
can leave out every ring of the clip operand whose box meets no box of the subject, and the
rings of the subject that meet nothing of the clip (nor, transitively, anything that does)
come through unchanged: painting a tinted line over a page of type then sweeps the few glyphs
under the line, not the page.  The tests run on a coarse grid of cells (a box marks every
cell it touches), which can only find more meetings than there are, never fewer, so what is
left out is exactly what could not change the result.

Keeping rings out of an operation is exact for *clean* regions, as Clipper returns them:
rings that never cross, islands apart, each hole inside its outer ring (and regions whose
rings lie apart put side by side are clean too).  A ring's box holds the boxes of the rings
inside it, so whenever a ring meets the other operand, so do the rings around it: at any
point, the rings kept out are the innermost of those around it, and their winding adds to
Clipper's result just as it added to the operand's.
"""

from __future__ import annotations

import numpy as np

#: Smallest grid cell in integer units (4 pt at 1000 units per point), for operands that
#: span a small part of the page.
CELL = 4000
#: Most cells along a side of the grid: a page of 1300 pt gets 8 pt cells, about a line of
#: body type, and the tables stay a few hundred kilobytes.
MAX_CELLS = 160


def ring_boxes(rings: list[np.ndarray]) -> np.ndarray:
    """``(n, 4)`` int64 boxes ``x0 y0 x1 y1`` of the rings."""
    if not rings:
        return np.zeros((0, 4), np.int64)
    points = np.concatenate(rings)
    starts = np.cumsum([0, *(len(r) for r in rings[:-1])])
    return np.hstack([np.minimum.reduceat(points, starts), np.maximum.reduceat(points, starts)])


class _Grid:
    """Cells of a region of the page, marked by boxes and asked which boxes touch marks."""

    def __init__(self, boxes: np.ndarray) -> None:
        self.origin = boxes[:, :2].min(axis=0)
        far = boxes[:, 2:].max(axis=0)
        # At most MAX_CELLS cells a side: the tables stay small on a whole page.
        self.cell = max(CELL, int((far - self.origin).max()) // MAX_CELLS + 1)
        self.shape = tuple(int(v) + 1 for v in (far - self.origin) // self.cell)[::-1]

    def cells(self, boxes: np.ndarray) -> tuple[np.ndarray, ...]:
        """Row and column ranges (clipped to the grid; empty when the box is off it)."""
        h, w = self.shape
        c0, r0 = ((boxes[:, :2] - self.origin) // self.cell).T
        c1, r1 = ((boxes[:, 2:] - self.origin) // self.cell).T
        return (np.clip(r0, 0, h), np.clip(r1 + 1, 0, h), np.clip(c0, 0, w),
                np.clip(c1 + 1, 0, w))

    def marks(self, boxes: np.ndarray) -> np.ndarray:
        """A summed-area table of the cells the boxes cover (as 0/1)."""
        h, w = self.shape
        r0, r1, c0, c1 = self.cells(boxes)
        keep = (r0 < r1) & (c0 < c1)
        diff = np.zeros((h + 1, w + 1), np.int64)
        for rows, cols, sign in ((r0, c0, 1), (r0, c1, -1), (r1, c0, -1), (r1, c1, 1)):
            np.add.at(diff, (rows[keep], cols[keep]), sign)
        covered = (diff.cumsum(axis=0).cumsum(axis=1)[:h, :w] > 0).astype(np.int32)
        table = np.zeros((h + 1, w + 1), np.int32)
        table[1:, 1:] = covered.cumsum(axis=0).cumsum(axis=1)
        return table

    def touch(self, table: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Which boxes cover a marked cell."""
        r0, r1, c0, c1 = self.cells(boxes)
        total = table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0]
        return (total > 0) & (r0 < r1) & (c0 < c1)


def meeting(rings: list[np.ndarray], others: list[np.ndarray]) -> np.ndarray:
    """Which rings have a box that meets (or may meet: cells) the box of one of ``others``."""
    a, b = ring_boxes(rings), ring_boxes(others)
    if not len(a) or not len(b):
        return np.zeros(len(a), bool)
    grid = _Grid(np.vstack([a, b]))
    return grid.touch(grid.marks(b), a)


def meeting_either(a: list[np.ndarray], b: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Which rings of ``a`` meet a box of ``b``, and which of ``b`` meet a box of ``a``."""
    ba, bb = ring_boxes(a), ring_boxes(b)
    if not len(ba) or not len(bb):
        return np.zeros(len(ba), bool), np.zeros(len(bb), bool)
    grid = _Grid(np.vstack([ba, bb]))
    return grid.touch(grid.marks(bb), ba), grid.touch(grid.marks(ba), bb)
