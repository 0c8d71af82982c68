"""Storefront mockups: a simulated tee, lit, printed and photographed.

Six views, 2048 x 2048 sRGB by default, all under the same key light:

* ``front``: the tee laid flat on linen, one image per garment colour the colourway prints on.
  The drape, its light and its ground are built once and reused for every colour, so the
  colour variants match pixel for pixel outside the cloth's colour.
* ``hanger``: the tee on a wire hanger against a plastered wall (the colourway's first garment).
* ``folded``: the tee retail-folded on the linen.
* ``closeup``: the figure's width (about 13 in) at ~158 px/in, where the line work, the type
  and the knit show; the window never cuts a line of type.  It is cut from one lit strip of
  the flat lay over the print area (built once), not lit for each plate's window.
* ``range``: a folded tee of every garment colour the specimen is sold in, in one frame (made
  with the specimen's first colourway and named after its first garment; only when there are
  two colours or more).
* ``plate``: the artwork alone, as a museum plate on a card of the colourway's ground.

The garment's shape and folds come from a cloth simulation (:mod:`.cloth`) cached on disk; the
print is the colourway's artwork drawn in pattern inches and carried by the drape, so it bends
with the folds and keeps its true size for size L (the 15 in artboard on a 22 in chest).  Files
are named ``{slug}--{garment}--{view}.jpg`` and listed in the manifest as kind ``mockup`` with
``{"garment": id, "view": name}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from teeprint.errors import TeeprintError
from teeprint.mockup import compose, garment, relief
from teeprint.mockup.views import (
    GARMENT_SEED,
    SIZE_PX,
    Mockup,
    clear_caches,
    closeup,
    colour_range,
    folded,
    front,
    hanger,
    plate_card,
)
from teeprint.pipeline import (
    EXTRA_STAGES,
    STAGE_PARTS,
    STAGE_WARMUPS,
    Output,
    Part,
    file_stem,
)

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Colorway, Garment, Specimen
    from teeprint.pipeline import Plate

VIEWS = ("front", "hanger", "folded", "closeup", "range", "plate")
FORMATS = compose.FORMATS

__all__ = ["FORMATS", "GARMENT_SEED", "SIZE_PX", "VIEWS", "Mockup", "assign_garments",
           "clear_caches", "closeup", "colour_range", "folded", "front", "garment",
           "garments_of", "hanger", "mockup_parts", "mockups", "plate_card", "relief",
           "render_specimen", "stage", "stage_parts", "warmups"]


def _output(plate: Plate, colorway: Colorway, garment_id: str, view: str, m: Mockup,
            fmt: str) -> Output:
    name = file_stem(plate.spec.slug, None, garment_id, view) + FORMATS[fmt]
    h, w = m.pixels.shape[:2]
    return Output(name, "mockup", compose.encode(m.pixels, fmt), colorway.id, w, h, None,
                  {"garment": garment_id, "view": view})


def mockup_parts(plate: Plate, colorway: Colorway, garments: Sequence[Garment], *,
                 fmt: str = "jpeg", views: Sequence[str] = VIEWS, size_px: int = SIZE_PX,
                 shown: Sequence[tuple[Colorway, Garment]] = ()) -> list[Part]:
    """Every view of one colourway as independent parts: a front per garment; a hanger, a
    folded tee and a close-up on the first garment; the colour range of ``shown`` (every
    (colourway, garment) the specimen sells, when this colourway draws it); the plate card
    (named after the first garment)."""
    if fmt not in FORMATS:
        msg = f"--format {fmt!r} is not an image format; choose one of {', '.join(FORMATS)}"
        raise TeeprintError(msg)
    parts: list[Part] = []

    def out(gid: str, view: str, make: Callable[[], Mockup]) -> Callable[[], list[Output]]:
        return lambda: [_output(plate, colorway, gid, view, make(), fmt)]

    if "front" in views:
        for g in garments:
            parts.append(Part(out(g.id, "front", partial(front, plate, colorway, g, size_px)),
                              f"mockup front on {g.id}", 0.15))
    if garments:
        g0 = garments[0]
        for view, fn, cost in (("hanger", hanger, 0.3), ("folded", folded, 0.2),
                               ("closeup", closeup, 0.8)):
            if view in views:
                parts.append(Part(out(g0.id, view, partial(fn, plate, colorway, g0, size_px)),
                                  f"mockup {view} on {g0.id}", cost))
        if "range" in views and len(shown) > 1:  # a range of one colour is its folded tee
            parts.append(Part(out(g0.id, "range", partial(colour_range, plate, shown, size_px)),
                              "mockup colour range", 0.6))
    if "plate" in views:
        # Named after the first garment asked for (the reference garment when none is named),
        # so ``--garment navy`` gives navy files only.
        card_id = garments[0].id if garments else colorway.garment
        parts.append(Part(out(card_id, "plate", partial(plate_card, plate, colorway, size_px)),
                          "mockup plate card", 0.4))
    return parts


def mockups(plate: Plate, colorway: Colorway, garments: Sequence[Garment], *,
            fmt: str = "jpeg", views: Sequence[str] = VIEWS, size_px: int = SIZE_PX,
            shown: Sequence[tuple[Colorway, Garment]] = (),
            progress: Callable[[str], None] | None = None) -> list[Output]:
    """Every view of one colourway (see :func:`mockup_parts`), one after the other."""
    note = progress or (lambda _msg: None)
    outs: list[Output] = []
    for part in mockup_parts(plate, colorway, garments, fmt=fmt, views=views, size_px=size_px,
                             shown=shown):
        note(f"{plate.spec.slug}/{colorway.id}: {part.label}")
        outs.extend(part.run())
    return outs


def garments_of(catalog: Catalog, colorway: Colorway, only: Sequence[str] = ()) -> list[Garment]:
    """The garments a colourway prints on (reference garment first), optionally filtered."""
    ids = [colorway.garment, *(g for g in colorway.garments if g != colorway.garment)]
    if only:
        ids = [g for g in ids if g in only]
    return [catalog.garment(g) for g in ids]


def assign_garments(catalog: Catalog, spec: Specimen, colorways: Sequence[Colorway],
                    asked: Sequence[str] = ()) -> dict[str, list[Garment]]:
    """Which colourway prints each garment: the first of the specimen's that lists it.

    Asked-for garments must exist and be printed by one of the colourways; otherwise a
    one-line error names what the specimen can be printed on.
    """
    for gid in asked:
        catalog.garment(gid)  # unknown id: one-line error listing the known ones
    taken: set[str] = set()
    plan: dict[str, list[Garment]] = {}
    for cw in colorways:
        mine = [g for g in garments_of(catalog, cw, asked) if g.id not in taken]
        taken.update(g.id for g in mine)
        if mine:
            plan[cw.id] = mine
    missing = [g for g in asked if g not in taken]
    if missing:
        offered = sorted({g.id for cw in colorways for g in garments_of(catalog, cw)})
        msg = (f"garment {missing[0]!r} is not printed by any colourway of {spec.slug!r}; "
               f"its colourways print on: {', '.join(offered)}")
        raise TeeprintError(msg)
    return plan


def render_specimen(catalog: Catalog, spec: Specimen, asked: Sequence[str] = (), *,
                    fmt: str = "jpeg", progress: Callable[[str], None] | None = None
                    ) -> list[Output]:
    """Mockups of a specimen in all its colourways, for the ``teeprint mockup`` command (the
    views are drawn side by side by :func:`teeprint.pipeline.render`)."""
    from teeprint.pipeline import render

    if fmt not in FORMATS:
        msg = f"--format {fmt!r} is not an image format; choose one of {', '.join(FORMATS)}"
        raise TeeprintError(msg)
    colorways = catalog.resolve_colorways(spec)
    plan = assign_garments(catalog, spec, colorways, asked)
    return render(catalog, spec, [cw for cw in colorways if cw.id in plan], targets=("mockup",),
                  options={"catalog": catalog, "garments": tuple(asked), "mockup_format": fmt},
                  progress=progress)


def _catalog(options: dict[str, Any]) -> Catalog:
    from teeprint.catalog import Catalog

    found: Catalog | None = options.get("catalog")
    return found if found is not None else Catalog.load()


def _garments(options: dict[str, Any], plate: Plate, colorway: Colorway) -> list[Garment]:
    """The garments a colourway shows: those it prints on that no earlier colourway of the
    specimen already shows (so each garment has one front), kept to ``options["garments"]``."""
    catalog = _catalog(options)
    only = tuple(options.get("garments") or ())
    listed = catalog.resolve_colorways(plate.spec)
    if colorway.id not in {cw.id for cw in listed}:  # a colourway the specimen does not list
        return garments_of(catalog, colorway, only)
    return assign_garments(catalog, plate.spec, listed, only).get(colorway.id, [])


def stage_parts(plate: Plate, colorway: Colorway, options: dict[str, Any]) -> list[Part]:
    """The ``mockup`` writer of :func:`teeprint.pipeline.render`, one part per view.

    Options: ``catalog`` (to resolve garment colours; the default archive otherwise),
    ``mockup_format`` (jpeg, png or webp) and ``garments`` (ids to keep).
    """
    return mockup_parts(plate, colorway, _garments(options, plate, colorway),
                        fmt=str(options.get("mockup_format", "jpeg")),
                        shown=_range(options, plate, colorway))


def _range(options: dict[str, Any], plate: Plate, colorway: Colorway
           ) -> list[tuple[Colorway, Garment]]:
    """Every (colourway, garment) the specimen is sold in, when ``colorway`` is the one that
    draws the colour range (the first with garments to show); nothing otherwise."""
    catalog = _catalog(options)
    only = tuple(options.get("garments") or ())
    listed = catalog.resolve_colorways(plate.spec)
    if colorway.id not in {cw.id for cw in listed}:
        return []
    plan = assign_garments(catalog, plate.spec, listed, only)
    if not plan or next(iter(plan)) != colorway.id:
        return []
    by_id = {cw.id: cw for cw in listed}
    return [(by_id[cw_id], g) for cw_id, gs in plan.items() for g in gs]


def stage(plate: Plate, colorway: Colorway, options: dict[str, Any]) -> list[Output]:
    """The ``mockup`` stage in one call (see :func:`stage_parts`)."""
    return [out for part in stage_parts(plate, colorway, options) for out in part.run()]


def warmups(catalog: Catalog, colorways: Sequence[Colorway], options: dict[str, Any]
            ) -> list[Callable[[], object]]:
    """The lit drape of every view (the close-up's strip too) and the plate cards' ground,
    which need no plate: a render maps or builds them while the recipe runs.  Views of
    garments no colourway shows are not built."""
    from teeprint.mockup import card, views
    from teeprint.plate import ARTBOARD_H_PT, ARTBOARD_W_PT

    size = SIZE_PX
    jobs: list[Callable[[], object]] = []
    only = tuple(options.get("garments") or ())
    shown = [g for cw in colorways for g in garments_of(_catalog(options), cw, only)]
    if shown:
        count = len({g.id for g in shown})
        for view in (relief.front_view(size), relief.hanger_view(size),
                     relief.folded_view(size), views.range_view(count, size)):
            jobs.append(partial(compose.scene, view, GARMENT_SEED))
        # Every close-up is a window of one strip, whatever the plate.
        jobs.append(partial(_warm_strip, size))
    for hex_value in dict.fromkeys(cw.garment_hex for cw in colorways):
        jobs.append(partial(card.card_base, ARTBOARD_W_PT, ARTBOARD_H_PT, hex_value,
                            GARMENT_SEED, size))
    return jobs


def _warm_strip(size_px: int) -> object:
    from teeprint.mockup import views

    strip = views.closeup_strip(size_px)
    return None if strip is None else compose.scene(strip, GARMENT_SEED)


EXTRA_STAGES["mockup"] = stage
STAGE_PARTS["mockup"] = stage_parts
STAGE_WARMUPS["mockup"] = warmups
