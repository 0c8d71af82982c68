"""Storefront mockups drawn from first principles: a procedural tee, lit, printed, photographed.

Three views per colourway, 2048 x 2048 sRGB by default:

* ``front``: the whole tee on linen, one image per garment colour the colourway prints on.
  The garment's outline, relief and light are built once per specimen and reused for every
  colour, so the colour variants match pixel for pixel outside the cloth's colour.
* ``closeup``: seven inches of the print at ~290 px/in, where the knit and the line work show.
* ``plate``: the artwork alone, as a museum plate on a card of the colourway's ground.

The print is the colourway's own master SVG rasterised at exactly the pixels it covers, at true
scale for size L (the 15 in artboard on a 22 in chest).  Files are named
``{slug}--{garment}--{view}.jpg`` and listed in the manifest as kind ``mockup`` with
``{"garment": id, "view": name}``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from teeprint.errors import TeeprintError
from teeprint.memo import once
from teeprint.mockup import compose, garment, relief
from teeprint.pipeline import (
    EXTRA_STAGES,
    STAGE_PARTS,
    STAGE_WARMUPS,
    Output,
    Part,
    file_stem,
)

if TYPE_CHECKING:
    from teeprint.artwork import Artwork
    from teeprint.catalog import Catalog, Colorway, Garment, Specimen
    from teeprint.pipeline import Plate

VIEWS = ("front", "closeup", "plate")
FORMATS = compose.FORMATS
SIZE_PX = 2048


@dataclass(frozen=True)
class Mockup:
    """One rendered view: the pixels, and the layers tests and tools can check."""

    pixels: np.ndarray  # uint8 (h, w, 3) RGB or (h, w, 4) RGBX
    garment_alpha: np.ndarray  # float32 (h, w), the tee's (or the card's) coverage
    ink_alpha: np.ndarray  # float32 (h, w), how much ink covers each pixel
    px_per_in: float

    @property
    def rgb(self) -> np.ndarray:
        """The colour channels, (h, w, 3)."""
        return self.pixels[..., :3]


#: Seed of the tee's folds, knit and linen.  Every product is shown on the same tee, as a shop
#: shows every design on one photographed blank: the storefront grid stays uniform, and the
#: geometry and light are built once per process instead of once per specimen.
GARMENT_SEED = "unisex-tee-l"

#: The print handle of the last few (artwork, colourway) pairs, so per-view caches hit.
_ARTS: dict[tuple[int, str], compose.PrintArt] = {}


_ARTS_LOCK = threading.Lock()


def _art(art: Artwork, colorway: Colorway) -> compose.PrintArt:
    key = (id(art), colorway.id)
    with _ARTS_LOCK:
        hit = _ARTS.get(key)
        if hit is not None and hit.artwork is art and hit.colorway == colorway:
            return hit
        handle = compose.PrintArt(art, colorway)
        if len(_ARTS) >= 6:
            _ARTS.pop(next(iter(_ARTS)))
        _ARTS[key] = handle
        return handle


def _place(artwork_w_pt: float, artwork_h_pt: float) -> tuple[float, float, float, float]:
    return garment.print_box_in(artwork_w_pt, artwork_h_pt)


@once(maxsize=6)
def _print_layer(art: compose.PrintArt, view: relief.View, seed_text: str,
                 box_in: tuple[float, float, float, float]) -> compose.PrintLayer:
    """The plate rasterised and displaced for a view; once per colourway and view."""
    return compose.print_layer(art, compose.scene(view, seed_text), box_in)


def _garment_view(art: compose.PrintArt, view: relief.View, seed_text: str,
                  box_in: tuple[float, float, float, float], g: Garment) -> Mockup:
    sc = compose.scene(view, seed_text)
    layer = _print_layer(art, view, seed_text, box_in)
    rgb = compose.paint_garment(sc, g.hex, g.heather_hex if g.heather else None)
    ink = compose.apply_print(rgb, layer, g.hex)
    ink_alpha = np.zeros((view.height_px, view.width_px), np.float32)
    ink_alpha[layer.rows, layer.cols] = ink
    return Mockup(rgb, sc.surface.alpha, ink_alpha, view.ppi)


def front(plate: Plate, colorway: Colorway, g: Garment, size_px: int = SIZE_PX) -> Mockup:
    """The whole tee in one garment colour with the colourway's print."""
    art = plate.artwork
    return _garment_view(_art(art, colorway), relief.front_view(size_px), GARMENT_SEED,
                         _place(art.width_pt, art.height_pt), g)


def closeup(plate: Plate, colorway: Colorway, g: Garment, size_px: int = SIZE_PX) -> Mockup:
    """Seven inches of the print on the cloth: line work, type and knit at close range."""
    art = plate.artwork
    box = _place(art.width_pt, art.height_pt)
    return _garment_view(_art(art, colorway), relief.closeup_view(box, size_px),
                         GARMENT_SEED, box, g)


def plate_card(plate: Plate, colorway: Colorway, size_px: int = SIZE_PX) -> Mockup:
    """The artwork alone on a card of the colourway's ground colour, lying on the linen."""
    art = plate.artwork
    rgb, card_alpha, ink_alpha, ppi = compose.card(_art(art, colorway), art.width_pt,
                                                   art.height_pt, colorway.garment_hex,
                                                   GARMENT_SEED, size_px)
    return Mockup(rgb, card_alpha, ink_alpha, ppi)


def _output(plate: Plate, colorway: Colorway, garment_id: str, view: str, m: Mockup,
            fmt: str) -> Output:
    name = file_stem(plate.spec.slug, None, garment_id, view) + FORMATS[fmt]
    h, w = m.pixels.shape[:2]
    return Output(name, "mockup", compose.encode(m.pixels, fmt), colorway.id, w, h, None,
                  {"garment": garment_id, "view": view})


def mockup_parts(plate: Plate, colorway: Colorway, garments: Sequence[Garment], *,
                 fmt: str = "jpeg", views: Sequence[str] = VIEWS, size_px: int = SIZE_PX
                 ) -> list[Part]:
    """Every view of one colourway as independent parts: a front per garment, a close-up on
    the first garment and the plate card (named after the first garment)."""
    if fmt not in FORMATS:
        msg = f"--format {fmt!r} is not an image format; choose one of {', '.join(FORMATS)}"
        raise TeeprintError(msg)
    parts: list[Part] = []
    if "front" in views:
        def one_front(g: Garment) -> list[Output]:
            return [_output(plate, colorway, g.id, "front", front(plate, colorway, g, size_px),
                            fmt)]

        for g in garments:
            parts.append(Part(partial(one_front, g), f"mockup front on {g.id}", 0.15))
    if "closeup" in views and garments:
        g0 = garments[0]
        parts.append(Part(lambda: [_output(plate, colorway, g0.id, "closeup",
                                           closeup(plate, colorway, g0, size_px), fmt)],
                          f"mockup close-up on {g0.id}", 0.8))
    if "plate" in views:
        # Named after the first garment asked for (the reference garment when none is named),
        # so ``--garment navy`` gives navy files only.
        card_id = garments[0].id if garments else colorway.garment
        parts.append(Part(lambda: [_output(plate, colorway, card_id, "plate",
                                           plate_card(plate, colorway, size_px), fmt)],
                          "mockup plate card", 0.4))
    return parts


def mockups(plate: Plate, colorway: Colorway, garments: Sequence[Garment], *,
            fmt: str = "jpeg", views: Sequence[str] = VIEWS, size_px: int = SIZE_PX,
            progress: Callable[[str], None] | None = None) -> list[Output]:
    """Every view of one colourway (see :func:`mockup_parts`), one after the other."""
    note = progress or (lambda _msg: None)
    outs: list[Output] = []
    for part in mockup_parts(plate, colorway, garments, fmt=fmt, views=views, size_px=size_px):
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
                        fmt=str(options.get("mockup_format", "jpeg")))


def stage(plate: Plate, colorway: Colorway, options: dict[str, Any]) -> list[Output]:
    """The ``mockup`` stage in one call (see :func:`stage_parts`)."""
    return [out for part in stage_parts(plate, colorway, options) for out in part.run()]


def warmups(catalog: Catalog, colorways: Sequence[Colorway], options: dict[str, Any]
            ) -> list[Callable[[], object]]:
    """The lit garment of every view and the plate cards' ground, which need no plate: a render
    builds them while the recipe runs.  Views and cards of garments no colourway shows are
    not built."""
    from teeprint.plate import ARTBOARD_H_PT, ARTBOARD_W_PT

    size = SIZE_PX
    box = _place(ARTBOARD_W_PT, ARTBOARD_H_PT)
    jobs: list[Callable[[], object]] = []
    only = tuple(options.get("garments") or ())
    shown = [cw for cw in colorways if garments_of(_catalog(options), cw, only)]
    if shown:
        jobs.append(lambda: compose.scene(relief.closeup_view(box, size), GARMENT_SEED))
        jobs.append(lambda: compose.scene(relief.front_view(size), GARMENT_SEED))
    for cw in colorways:
        jobs.append(partial(compose.card_base, ARTBOARD_W_PT, ARTBOARD_H_PT, cw.garment_hex,
                            GARMENT_SEED, size))
    return jobs


def clear_caches() -> None:
    """Forget every cached geometry, shading and print layer (tests use it to prove that
    a fresh process makes the same bytes)."""
    _print_layer.cache_clear()
    _ARTS.clear()
    compose.scene.cache_clear()
    compose.heather_index.cache_clear()
    compose.card_base.cache_clear()
    compose.card_scene.cache_clear()
    compose._fibres.cache_clear()
    relief.fields.cache_clear()


EXTRA_STAGES["mockup"] = stage
STAGE_PARTS["mockup"] = stage_parts
STAGE_WARMUPS["mockup"] = warmups
