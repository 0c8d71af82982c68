"""The hand-made bad specimen (tests/data/bad-specimen/): its motif, and a catalog fixture.

The motif draws what a real engine never would: a hairline and fine print below the print
minimums, next to a solid block, a block in the second ink over it and a 50 % tint panel, so
the same plate exercises preflight failures and the separation rules (knockout, underbase,
halftone).
"""

from __future__ import annotations

from pydantic import Field

from teeprint.artwork import PathBuilder, Shape, fill, stroke
from teeprint.motifs import MotifContext, motif
from teeprint.recipes import FigureData, Params

from .conftest import REPO

BAD = REPO / "tests" / "data" / "bad-specimen"


class BadPrintParams(Params):
    """How bad: the hairline width and the fine-print size, in points."""

    hairline_pt: float = Field(0.3, gt=0)
    fine_print_pt: float = Field(6.0, gt=0)


@motif("test-bad-print", BadPrintParams)
def bad_print(data: FigureData, p: BadPrintParams, ctx: MotifContext) -> list[Shape]:
    """Blocks, a tint panel, a hairline and fine print inside the figure box."""
    b = ctx.box
    return [
        fill(PathBuilder().rect(b.x + 40, b.y + 40, 300, 220), label="bone block"),
        fill(PathBuilder().rect(b.x + 240, b.y + 160, 200, 200), "accent", label="accent block"),
        fill(PathBuilder().rect(b.x + 500, b.y + 40, 300, 300), tint=0.5, label="tint panel"),
        stroke(PathBuilder().move(b.x + 40, b.y + 450).line(b.right - 40, b.y + 450),
               p.hairline_pt, label="hairline"),
        ctx.type.line("fine print that no screen will hold", "serif", p.fine_print_pt,
                      b.x + 40, b.y + 520, label="fine print"),
    ]
