"""The house style in numbers: line weights, type sizes and tints, in artboard points.

The artboard is the 15 x 18 in DTG print area (1080 x 1296 pt).  The 12 x 16 in preset prints it
at 0.8 scale, so every value here is chosen to stay above the print minimums *after* that
reduction: lines >= 0.5 pt (reversed >= 1 pt) and type >= 8 pt, with margin.
"""

from __future__ import annotations

#: Smallest scale any print preset applies to the artboard (12 in / 15 in).
MIN_PRINT_SCALE = 0.8

HAIR_PT = 1.5
"""Engraving hairline: hatching, grid, ghost curves (1.2 pt at the smallest preset)."""
THIN_PT = 2.0
"""Axis frames, ticks, secondary curves."""
MEDIUM_PT = 3.2
"""The principal curve or edge of a figure."""
HEAVY_PT = 5.0
"""Accents that must carry across a room."""

LABEL_PT = 15.0
"""Axis titles and figure labels (monospace)."""
TICK_PT = 13.0
"""Tick labels and marginalia (10.4 pt at the smallest preset)."""

GHOST_TINT = 0.45
"""Secondary curves and repeated runs."""
HATCH_TINT = 0.5
"""Engraved fills (hatching, stipple), kept inside the printable 20-80 % halftone band."""

HATCH_GAP_PT = 6.0
"""Spacing of hatch lines; the open gap (>= 4 pt) stays above the 1 pt knockout minimum."""
