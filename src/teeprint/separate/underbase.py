"""The white underbase as vector geometry: what the light inks print, choked.

On a dark garment every ink that is not black is printed on a white underbase, shrunk ("choked")
inside the ink so that a press out of register does not show a white rim.  Here the underbase
is computed on polygons (:mod:`teeprint.separate.geometry`): the spot PDF carries it as vector
paths in its own separation, and its film is rasterised from the same paths, so the two cannot
disagree.

The rule (constants in :mod:`teeprint.separate.plates`):

1. *What prints.*  Each ink's shapes in order: a shape at tint ``t`` replaces what its ink
   painted under it (as a separation does); tints under :data:`DROPOUT_TINT` print nothing.
   An upper ink that does not overprint knocks out the inks below it.  The union ``U`` of
   what the underbased inks print is what needs white.
2. *Wide areas* (the parts of ``U`` a disc of :data:`UNDERBASE_WIDE_PT` reaches, to within
   :data:`WIDE_TOLERANCE_PT`, with their square corners) get the full choke ``choke_pt``;
   after it, features thinner than :data:`UNDERBASE_MIN_PT` and islands smaller than
   :data:`UNDERBASE_MIN_AREA_PT2` are dropped (a screen could not hold them).
3. *Fine detail* (everything else: lines, type, hatching, which the full choke would erase) is
   choked by :data:`UNDERBASE_FINE_CHOKE_PT` only, and white thinner than
   :data:`UNDERBASE_FINE_MIN_PT` is dropped, so a line at least 0.75 pt wide keeps white under
   it along its whole length.
4. *Junctions.*  Where a line meets or crosses a wide area, the line's finely choked white
   reaches on into the area until it overlaps the area's fully choked white (``choke_pt``
   plus twice :data:`JOIN_SLACK_PT` past the wide zone), so the underbase under a crossing
   is continuous; the area's edge takes the fine choke only that close to the line.
5. *Density.*  The white under a tint prints at the densest tint above it: the whole
   underbase is one path at the densest tint of the plate, and each lighter tint is a path
   painted over it where no denser ink lies (a later path replaces an earlier one in a
   separation), so the PDF stays small when only a few lines are tinted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from teeprint.artwork import Shape, ink_layers, merge
from teeprint.memo import once
from teeprint.separate import geometry as geo
from teeprint.separate.plates import (
    DROPOUT_TINT,
    UNDERBASE_FINE_CHOKE_PT,
    UNDERBASE_FINE_MIN_PT,
    UNDERBASE_MIN_AREA_PT2,
    UNDERBASE_MIN_PT,
    UNDERBASE_WIDE_PT,
    SepPlate,
    plate_list,
)

if TYPE_CHECKING:
    from teeprint.artwork import Artwork
    from teeprint.catalog import Colorway

#: A wide area holds a disc of UNDERBASE_WIDE_PT to within this: the stems of a title drawn
#: at 6 pt taper by a few hundredths, and a pixel of the film (0.24 pt) should not decide.
WIDE_TOLERANCE_PT = 0.25
#: Where a line leaves a wide area, it counts as fine detail from this far past the part the
#: disc reaches, and its fine white overlaps the area's own white by this much.
JOIN_SLACK_PT = 0.25
#: The arcs of the offsets that only sort wide from fine (they place no edge of the white).
CLASSIFY_TOLERANCE_PT = 0.05
#: Beyond this distance from the disc-reachable part of the ink lies fine detail: it takes in
#: a square corner ((sqrt 2 - 1) x 3 pt = 1.24 pt out) and the fringe of a tapering edge.
WIDE_MARGIN_PT = 1.5


@dataclass(frozen=True)
class UnderbaseGeometry:
    """The underbase of a colourway: the inked union it lies under and its paths by tint."""

    inked: geo.Region
    region: geo.Region
    shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class InkRegions:
    """Where one ink ends up: at all (``cover``), as ink (``inked``: tints that do not drop
    out) and at each tint (``levels``)."""

    cover: geo.Region
    inked: geo.Region
    levels: dict[float, geo.Region]
    faint: bool  # some shape's tint drops out, so ``inked`` is smaller than ``cover``


def _fold(groups: Sequence[tuple[float, geo.Region]], adds: Callable[[float], bool]
          ) -> geo.Region:
    """Paint groups in order, each adding to the region or erasing from it; runs of adding
    groups are merged in one union."""
    out: geo.Region = []
    pending: geo.Region = []
    for tint, painted in groups:
        if adds(tint):
            pending = geo.union(pending, painted) if pending else painted
            continue
        out = geo.difference(geo.union(out, pending) if pending else out, painted)
        pending = []
    return geo.union(out, pending) if pending else out


def ink_regions(shapes: Iterable[Shape], want_levels: bool = True,
                outline: Callable[[Shape], geo.Region] = geo.shape_region) -> InkRegions:
    """One ink's regions: a later shape replaces what its ink painted under it.

    Consecutive shapes of one tint are merged first (their order among themselves does not
    matter).  ``cover`` and ``inked`` are folded directly rather than as unions of the tint
    levels: the levels meet along cut edges, and putting them back together on an integer grid
    can leave hairline cracks that a choke would then open into holes.
    """
    groups: list[tuple[float, list[Shape]]] = []
    for s in shapes:
        if groups and groups[-1][0] == s.tint:
            groups[-1][1].append(s)
        else:
            groups.append((s.tint, [s]))
    # Each group's outlines merged (a shape's outline is merged already).
    painted = [(t, outline(g[0]) if len(g) == 1 else
                geo.union([r for s in g for r in outline(s)])) for t, g in groups]
    cover = _fold(painted, lambda t: t > 0)
    faint = any(0 < t < DROPOUT_TINT - 1e-9 for t, _ in painted)
    inked = _fold(painted, lambda t: t >= DROPOUT_TINT - 1e-9) if faint else cover
    levels: dict[float, geo.Region] = {}
    if want_levels:
        for tint, region in painted:
            for t in list(levels):
                if t != tint:
                    levels[t] = geo.difference(levels[t], region)
            if tint > 0:
                levels[tint] = geo.union(levels.get(tint, []), region)
    return InkRegions(cover, inked, {t: r for t, r in levels.items() if r}, faint)


def printed_levels(artwork: Artwork, colorway: Colorway, plates: Sequence[SepPlate]
                   ) -> tuple[geo.Region, list[tuple[float, geo.Region]]]:
    """Where the underbased inks print, after the knockouts of upper inks: their union, and
    by tint level from the lightest up ``(t, where the densest ink is t)``; the densest
    level comes with no region (the whole underbase takes its tint), or with the union when
    it is the only one."""
    tops = [p for p in plates if not p.is_underbase]
    by_ink = dict(ink_layers(artwork, colorway))
    shapes = [merge(by_ink[p.ink_id or ""]) for p in tops]
    tints = sorted({s.tint for p, ss in zip(tops, shapes, strict=True) if p.underbased
                    for s in ss if s.tint >= DROPOUT_TINT - 1e-9})
    # Two inks often paint the same geometry (a chart drawn once per colour role): outline
    # each path once.
    outlines: dict[tuple[Any, ...], geo.Region] = {}

    def outline(s: Shape) -> geo.Region:
        key = (s.d, s.paint, s.width_pt, s.cap, s.dash_pt)
        if key not in outlines:
            outlines[key] = geo.shape_region(s)
        return outlines[key]

    regions = [ink_regions(ss, len(tints) > 1, outline) for ss in shapes]
    union: geo.Region = []
    found: dict[float, geo.Region] = {}
    for i, plate in enumerate(tops):
        if not plate.underbased:
            continue
        uppers = [j for j in range(i + 1, len(tops)) if not tops[j].overprint]
        # An upper underbased ink only takes away what it covers without inking (a faint
        # tint): the rest of its knockout it inks itself, so the union keeps it whole.
        taken = [r for j in uppers for r in (
            (geo.difference(regions[j].cover, regions[j].inked) if regions[j].faint else [])
            if tops[j].underbased else regions[j].cover)]
        mine = geo.difference(regions[i].inked, taken)
        union = geo.union(union, mine) if union else mine
        if len(tints) > 1:
            above = [r for j in uppers for r in regions[j].cover]
            for t, region in regions[i].levels.items():
                if t >= DROPOUT_TINT - 1e-9:
                    found[t] = [*found.get(t, []), *geo.difference(region, above)]
    if not union:
        return [], []
    if len(tints) <= 1:
        return union, [(tints[0], union)]
    levels = sorted(found)
    # Where the densest ink is t: where some ink is at t, less where one is denser (the
    # densest level is only needed as a tint: the whole underbase takes it).
    return union, [*((t, geo.difference(geo.union(found[t]), [
        r for u in levels[k + 1:] for r in found[u]])) for k, t in enumerate(levels[:-1])),
        (levels[-1], [])]


def choke_region(union: geo.Region, choke_pt: float) -> geo.Region:
    """The underbase for an inked region: wide areas choked by ``choke_pt``, fine detail by
    :data:`UNDERBASE_FINE_CHOKE_PT`, continuous across junctions (see the module's rule)."""
    islands = geo.components(union)  # cut once for the erosions
    half = UNDERBASE_MIN_PT / 2
    fine_pt = min(choke_pt, UNDERBASE_FINE_CHOKE_PT)
    if fine_pt >= choke_pt:
        return geo.drop_small(geo.erode_open(islands, choke_pt, half), UNDERBASE_MIN_AREA_PT2)
    fine_half = UNDERBASE_FINE_MIN_PT / 2
    radius = (UNDERBASE_WIDE_PT - WIDE_TOLERANCE_PT) / 2
    cores = [geo.erode([island], radius, CLASSIFY_TOLERANCE_PT) for island in islands]
    # An island no wide disc fits in (a glyph, a line, a hatch) is fine detail throughout:
    # its white is the fine choke alone (the full choke lies inside that), and the islands'
    # whites lie inside the islands, apart, so they are put side by side.
    plain = [island for island, core in zip(islands, cores, strict=True) if not core]
    mixed = [island for island, core in zip(islands, cores, strict=True) if core]
    out = geo.erode_open(plain, fine_pt, fine_half)
    if not mixed:
        return out
    ink = [r for island in mixed for r in island]
    full = geo.drop_small(geo.erode_open(mixed, choke_pt, half), UNDERBASE_MIN_AREA_PT2)
    fine = geo.erode_open(mixed, fine_pt, fine_half)
    core = geo.offset([r for c in cores for r in c], radius, CLASSIFY_TOLERANCE_PT)
    # Fine detail is what lies beyond WIDE_MARGIN_PT of what the disc reaches (the margin
    # takes in square corners and the fringe of tapering edges), grown back over the
    # margin, inside the ink, so a line counts from where it leaves the area.
    far = geo.difference(ink, geo.offset(core, WIDE_MARGIN_PT, CLASSIFY_TOLERANCE_PT))
    thin = geo.intersection(
        geo.offset(far, WIDE_MARGIN_PT - JOIN_SLACK_PT, CLASSIFY_TOLERANCE_PT), ink)
    # Its finely choked white runs on into the wide area until it overlaps the area's own
    # (fully choked) white.
    near_thin = geo.offset(thin, choke_pt + 2 * JOIN_SLACK_PT, CLASSIFY_TOLERANCE_PT)
    return out + geo.union(full, geo.intersection(fine, near_thin))


def build_underbase(artwork: Artwork, colorway: Colorway) -> UnderbaseGeometry | None:
    """The colourway's underbase in artboard coordinates, or None when it prints none."""
    plates = plate_list(artwork, colorway)
    if not plates or not plates[0].is_underbase:
        return None
    inked, levels = printed_levels(artwork, colorway, plates)
    if not inked:
        return UnderbaseGeometry([], [], ())
    region = choke_region(inked, plates[0].choke_pt)
    # The whole underbase at the densest tint, then the lighter tints where no denser ink
    # lies (small areas: tinted lines), each painted over it.
    parts = [(levels[-1][0], region),
             *((t, geo.intersection(region, where)) for t, where in levels[:-1])]
    shapes = []
    for tint, part in parts:
        box = geo.bounds_pt(part)
        if box is not None:
            shapes.append(Shape(geo.region_path(part), tint=tint, paint="fill", bbox=box,
                                label="underbase"))
    return UnderbaseGeometry(inked, region, tuple(shapes))


def _key(artwork: Artwork, colorway: Colorway) -> tuple[Any, ...]:
    # By identity, as the rasters are: the cached value holds the artwork.
    return (id(artwork), colorway.model_dump_json())


@once(maxsize=4, key=_key, per_plate=True)
def _underbase(artwork: Artwork, colorway: Colorway) -> tuple[Artwork, UnderbaseGeometry | None]:
    return artwork, build_underbase(artwork, colorway)


def underbase(artwork: Artwork, colorway: Colorway) -> UnderbaseGeometry | None:
    """:func:`build_underbase`, computed once per artwork and colourway: the PDF and the
    underbase film of a render share it."""
    return _underbase(artwork, colorway)[1]


def clear_cache() -> None:
    """Forget the remembered underbases."""
    _underbase.cache_clear()
