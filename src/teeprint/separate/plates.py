"""Which plates a colourway prints, in which order, and the page the plates sit on.

A screen printer burns one screen per plate.  The plates of a specimen are the inks its artwork
actually uses, in the colourway's print order, with a white underbase first on dark garments
(under every ink that is not black).  The page is the 15 x 18 in artboard (the TrimBox) plus a
slug margin that carries crop marks, registration targets and labels, so the PDF and every film
share one geometry and line up on the light table.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from teeprint.artwork import Artwork, PathBuilder, Shape, fill, fmt, stroke
from teeprint.errors import TeeprintError

if TYPE_CHECKING:
    from teeprint.catalog import Colorway, Ink, PrintSettings
    from teeprint.typeset import Typesetter

#: An ink counts as black (no underbase beneath it) at K >= 0.85 with C, M, Y <= 0.3.
BLACK_K_MIN = 0.85
BLACK_CMY_MAX = 0.3
#: Halftone frequencies a garment screen holds (mesh >= 3.5 x LPI); outside this, refuse.
LPI_RANGE = (35.0, 65.0)
FILM_DPIS = (300, 600)
#: Tints under this drop out of the screen; over SOLID_TINT they fill in, so print them solid.
DROPOUT_TINT = 0.10
SOLID_TINT = 0.90
#: Slug margin around the trim for marks and labels, and the bleed allowance (no art there).
SLUG_PT = 36.0
BLEED_PT = 9.0
MARK_LINE_PT = 0.75
LABEL_PT = 9.0
#: Underbase features narrower than this after the choke are dropped (they would only speckle).
UNDERBASE_MIN_PT = 1.0
#: Underbase islands smaller than this area (2.5 x 2.5 pt) are dropped too.
UNDERBASE_MIN_AREA_PT2 = 6.25
#: The fine-detail rule.  Only areas wider than this get the full choke; narrower features
#: (lines, type, hatching) would mostly be erased by it.
UNDERBASE_WIDE_PT = 6.0
#: Those narrower features keep white under them, choked by this much only:
#: on a dark tee a line printed without underbase sinks into the shirt.  Printers accept the
#: thinner choke on fine detail; a press that misregisters by more than this shows a hairline
#: of white beside such lines.
UNDERBASE_FINE_CHOKE_PT = 0.25
#: Fine-detail underbase narrower than this is dropped: a line must be at least this plus
#: twice the fine choke (0.75 pt) wide to get white under it.
UNDERBASE_FINE_MIN_PT = 0.25
#: The composite-preview colour of an underbase whose own CMYK alternate would be invisible.
VISIBLE_UNDERBASE_CMYK = (0.0, 0.0, 0.0, 0.12)
#: Tint patches printed on every plate (exposure and halftone check for the printer).
PATCH_TINTS = (1.0, 0.75, 0.5, 0.25)
PATCH_PT = 24.0
#: Side-margin slots, one per plate (label right, patches left), clear of the side targets.
SLOT_PT = 320.0
SLOT_GAP_PT = 10.0
SIDE_CLEAR_PT = 16.0


def is_black(ink: Ink) -> bool:
    """True for an ink that prints straight on the garment with no underbase.

    A K-dominant ink is opaque enough on dark fabric and an underbase would only grey it; an
    ink can say otherwise with ``underbase = true/false`` in its palette.
    """
    if ink.underbase is not None:
        return not ink.underbase
    c, m, y, k = ink.cmyk
    return k >= BLACK_K_MIN and max(c, m, y) <= BLACK_CMY_MAX


@dataclass(frozen=True)
class SepPlate:
    """One screen: the separation name it carries, its preview colour and what feeds it."""

    name: str
    label: str
    cmyk: tuple[float, float, float, float]
    ink_id: str | None = None
    overprint: bool = False
    choke_pt: float = 0.0
    underbased: bool = False

    @property
    def is_underbase(self) -> bool:
        """The underbase is the only plate not bound to an ink of the artwork."""
        return self.ink_id is None


def inks_used(artwork: Artwork, colorway: Colorway) -> list[Ink]:
    """The colourway's inks the artwork paints with, in print order."""
    used = {colorway.ink_for(s.role).id for s in artwork.shapes}
    return [ink for ink in colorway.inks if ink.id in used]


def plate_list(artwork: Artwork, colorway: Colorway) -> list[SepPlate]:
    """The plates in print order: underbase (dark garments only), then the used inks."""
    inks = inks_used(artwork, colorway)
    plates = [SepPlate(ink.spot, ink.name, ink.cmyk, ink.id, ink.overprint,
                       underbased=colorway.dark and not is_black(ink)) for ink in inks]
    names = [p.name for p in plates]
    for name in names:
        if names.count(name) > 1:
            msg = (f"colourway {colorway.id!r}: two inks share the spot name {name!r}; their "
                   "plates would merge (give each ink its own `spot` in the palette)")
            raise TeeprintError(msg)
    if colorway.dark and any(not is_black(ink) for ink in inks):
        from teeprint.catalog import Underbase

        ub = colorway.underbase or Underbase()
        if ub.spot in names or ub.spot in ("All", "None"):
            msg = (f"colourway {colorway.id!r}: the underbase spot name {ub.spot!r} is taken; "
                   "rename [underbase].spot in the palette")
            raise TeeprintError(msg)
        cmyk = ub.cmyk if max(ub.cmyk) >= 0.05 else VISIBLE_UNDERBASE_CMYK
        plates.insert(0, SepPlate(ub.spot, ub.name, cmyk, None, True, ub.choke_pt))
    return plates


@dataclass(frozen=True)
class ScreenSettings:
    """How tints become dots on film: frequency, angle and film resolution."""

    lpi: float = 55.0
    angle_deg: float = 22.5
    film_dpi: int = 300

    @classmethod
    def from_options(cls, options: dict[str, Any], defaults: PrintSettings | None = None) -> ScreenSettings:
        """Validate ``lpi``/``angle``/``film_dpi`` options over the shop's ``[print]`` defaults."""
        base = cls() if defaults is None else cls(defaults.lpi, defaults.angle_deg, defaults.film_dpi)
        def pick(key: str, default: float) -> float:
            value = options.get(key)
            return float(value) if value is not None else default

        lpi = pick("lpi", base.lpi)
        angle = pick("angle", base.angle_deg)
        dpi = round(pick("film_dpi", base.film_dpi))
        lo, hi = LPI_RANGE
        if not lo <= lpi <= hi:
            msg = (f"--lpi {lpi:g} is outside {lo:g}-{hi:g} LPI, the range a garment screen "
                   "holds; choose e.g. 55")
            raise TeeprintError(msg)
        if not 0.0 <= angle < 90.0:
            msg = f"--angle {angle:g} must be within 0-90 degrees (a dot screen repeats every 90); try 22.5"
            raise TeeprintError(msg)
        if dpi not in FILM_DPIS:
            msg = f"--film-dpi {dpi} is not supported; choose 300 or 600"
            raise TeeprintError(msg)
        return cls(lpi, angle, dpi)


@dataclass(frozen=True)
class Page:
    """The separation page: the artboard (trim) centred in a slug margin, in points."""

    art_w_pt: float
    art_h_pt: float
    slug_pt: float = SLUG_PT

    @property
    def width_pt(self) -> float:
        """Page width."""
        return self.art_w_pt + 2 * self.slug_pt

    @property
    def height_pt(self) -> float:
        """Page height."""
        return self.art_h_pt + 2 * self.slug_pt

    def trim_box(self) -> tuple[float, float, float, float]:
        """TrimBox in PDF coordinates (origin bottom-left): exactly the artboard."""
        s = self.slug_pt
        return (s, s, s + self.art_w_pt, s + self.art_h_pt)

    def bleed_box(self) -> tuple[float, float, float, float]:
        """BleedBox: the trim plus the bleed allowance."""
        x0, y0, x1, y1 = self.trim_box()
        return (x0 - BLEED_PT, y0 - BLEED_PT, x1 + BLEED_PT, y1 + BLEED_PT)


def _bullseye(cx: float, cy: float) -> list[Shape]:
    """A registration target: two rings, a centre dot and a cross hair."""
    rings = PathBuilder().circle(cx, cy, 7.0).circle(cx, cy, 4.0)
    cross = PathBuilder().move(cx - 11, cy).line(cx + 11, cy).move(cx, cy - 11).line(cx, cy + 11)
    return [stroke(rings, MARK_LINE_PT, cap="butt"), stroke(cross, MARK_LINE_PT, cap="butt"),
            fill(PathBuilder().circle(cx, cy, 1.6))]


def registration_marks(page: Page) -> list[Shape]:
    """Crop marks at the trim corners and bullseyes on each side, in page coordinates (y down).

    They go on every plate (the PDF paints them in the ``All`` separation), so the printer can
    pin films and screens to one another.
    """
    s, w, h = page.slug_pt, page.art_w_pt, page.art_h_pt
    near, far = BLEED_PT + 3.0, s - 4.0
    crops = PathBuilder()
    for x in (s, s + w):
        for y in (s, s + h):
            dx = -1 if x == s else 1
            dy = -1 if y == s else 1
            crops.move(x + dx * near, y).line(x + dx * far, y)
            crops.move(x, y + dy * near).line(x, y + dy * far)
    shapes = [stroke(crops, MARK_LINE_PT, cap="butt", label="crop marks")]
    half = s / 2
    for cx, cy in ((s + w / 2, half), (s + w / 2, s + h + half), (half, s + h / 2),
                   (s + w + half, s + h / 2)):
        shapes += _bullseye(cx, cy)
    return shapes


def slug_line(ts: Typesetter, page: Page, text: str, top: bool = False,
              right: bool = False) -> Shape:
    """A job line in the bottom (or top) margin, left (or right) of the centre target."""
    s = page.slug_pt
    room = page.art_w_pt / 2 - 48.0
    size = LABEL_PT
    width = ts.measure(text, "mono", size)
    if width > room:  # shrink to the 8 pt floor, then cut the end with an ellipsis
        size = max(8.0, size * room / width)
        while ts.measure(text, "mono", size) > room and len(text) > 8:
            text = text[:-2].rstrip() + "…"
    y = (s / 2 if top else s + page.art_h_pt + s / 2) + size * 0.35
    if right:
        return ts.line(text, "mono", size, s + page.art_w_pt - 14.0, y, anchor="end", label=text)
    return ts.line(text, "mono", size, s + 14.0, y, label=text)


def _slot(page: Page, slot: int, n_slots: int) -> tuple[float, float]:
    """Top y and height of a plate's slot along the side margins.

    Each plate gets its own stretch of the side margins (label on the right, tint patches on
    the left), so in the composite PDF no two plates' marks overprint; slots fill the half
    above the side registration target, then the half below it.
    """
    s, h = page.slug_pt, page.art_h_pt
    per_half = math.ceil(n_slots / 2)
    half = h / 2 - SIDE_CLEAR_PT - SLOT_GAP_PT
    slot_h = min(SLOT_PT, half / per_half)
    top_half, i = slot < per_half, slot % per_half
    y0 = s + SLOT_GAP_PT if top_half else s + h / 2 + SIDE_CLEAR_PT
    return y0 + i * slot_h, slot_h


def _patch_pt(slot_h: float) -> float:
    return min(PATCH_PT, (slot_h - 4.0 * len(PATCH_TINTS)) / len(PATCH_TINTS))


def patch_box(page: Page, slot: int, n_slots: int, tint: float) -> tuple[float, float, float, float]:
    """Where a plate's tint patch sits (x, y, w, h in page points): left margin, in its slot."""
    y0, slot_h = _slot(page, slot, n_slots)
    size = _patch_pt(slot_h)
    i = PATCH_TINTS.index(tint)
    return ((page.slug_pt - size) / 2, y0 + i * (size + 4.0), size, size)


def _rotate_cw(shape: Shape, x: float, y: float) -> Shape:
    """A shape turned 90 degrees clockwise about the origin, then moved to (x, y).

    Path data holds only coordinate pairs, so every pair maps (u, v) -> (x - v, y + u).
    """
    nums = [float(t) for t in _NUMBER.findall(shape.d)]
    it = iter(nums)
    out = [f"{fmt(x - v)} {fmt(y + u)}" for u, v in zip(it, it, strict=True)]
    pieces = iter(out)
    d = _PAIRS.sub(lambda _m: next(pieces), shape.d)
    x0, y0, x1, y1 = shape.bbox
    return replace(shape, d=d, bbox=(x - y1, y + x0, x - y0, y + x1))


def plate_label(ts: Typesetter, page: Page, text: str, slot: int, n_slots: int) -> list[Shape]:
    """A plate's own label (right margin, reading downwards) and tint patches (left margin).

    Drawn in the plate's own separation and in its own slot, so each film names itself and the
    composite PDF stays legible; the patches (100, 75, 50, 25 %) let the printer check
    exposure and the screen on press.
    """
    s, w = page.slug_pt, page.art_w_pt
    y0, slot_h = _slot(page, slot, n_slots)
    room = slot_h - SLOT_GAP_PT
    size = LABEL_PT
    if ts.measure(text, "mono", size) > room:
        size = max(8.0, size * room / ts.measure(text, "mono", size))
        while ts.measure(text, "mono", size) > room and len(text) > 8:
            text = text[:-2].rstrip() + "…"
    flat = ts.line(text, "mono", size, 0.0, 0.0, label=text)
    shapes = [_rotate_cw(flat, s + w + s / 2 - size * 0.35, y0)]
    for tint in PATCH_TINTS:
        x, y, pw, ph = patch_box(page, slot, n_slots, tint)
        shapes.append(fill(PathBuilder().rect(x, y, pw, ph), tint=tint,
                           label=f"tint patch {round(tint * 100)} %"))
    return shapes


_SLUG_SAFE = re.compile(r"[^a-z0-9]+")
_NUMBER = re.compile(r"-?[0-9.]+")
_PAIRS = re.compile(r"-?[0-9.]+ -?[0-9.]+")


def plate_slug(plate: SepPlate) -> str:
    """A file-name-safe form of a plate's separation name."""
    return _SLUG_SAFE.sub("-", plate.name.lower()).strip("-") or "plate"
