"""Colour separations for screen printing: the spot-colour PDF and the film positives.

Both are written from the same :class:`~teeprint.artwork.Artwork` as the SVG master: the PDF
replays its vector paths in one ``/Separation`` per ink, the films rasterise each ink once and
halftone its tints.  On dark colourways a choked white underbase is printed first under every
non-black ink.  Importing this package registers the ``separation-pdf`` and ``film`` stages
with :mod:`teeprint.pipeline`.

Modules: :mod:`.plates` (which plates, page geometry, marks), :mod:`.geometry` (shapes as
polygons), :mod:`.underbase` (the choked underbase as vector paths), :mod:`.layers` (rasters,
knockouts), :mod:`.halftone` (the dot screen), :mod:`.pdf`, :mod:`.films`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from teeprint.artwork import Shape
from teeprint.catalog import roman
from teeprint.memo import once
from teeprint.pipeline import (
    EXTRA_STAGES,
    STAGE_PARTS,
    Output,
    Part,
    Plate,
    file_stem,
)
from teeprint.separate.plates import (
    Page,
    ScreenSettings,
    SepPlate,
    is_black,
    plate_label,
    plate_list,
    plate_slug,
    registration_marks,
    slug_line,
)
from teeprint.typeset import caps

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Colorway
    from teeprint.typeset import Typesetter

__all__ = ["Job", "ScreenSettings", "SepPlate", "film_stage", "is_black", "job", "plate_list",
           "separation_pdf_stage"]


@dataclass(frozen=True)
class Job:
    """Everything the PDF and the films of one colourway share."""

    plate: Plate
    colorway: Colorway
    settings: ScreenSettings
    plates: tuple[SepPlate, ...]
    page: Page
    marks: tuple[Shape, ...]
    labels: dict[str, tuple[Shape, ...]]
    info: dict[str, str]


def _typesetter(catalog: Catalog | None) -> Typesetter:
    from teeprint.catalog import FontsConfig
    from teeprint.pipeline import typesetter
    from teeprint.typeset import Typesetter

    return typesetter(catalog) if catalog is not None else Typesetter(FontsConfig())


def job(plate: Plate, colorway: Colorway, options: dict[str, Any]) -> Job:
    """Plates, page, marks and labels of a colourway (validates the screen options).

    The PDF and every film of a colourway share one job: its labels are typeset once.
    """
    catalog: Catalog | None = options.get("catalog")
    settings = ScreenSettings.from_options(options, catalog.settings.print if catalog else None)
    return _job(plate, colorway, settings, catalog)[0]


def _job_key(plate: Plate, colorway: Colorway, settings: ScreenSettings,
             catalog: Catalog | None) -> tuple[Any, ...]:
    # By identity (the plate and catalog are held by the cached value, so ids stay unique).
    return (id(plate), colorway.model_dump_json(), settings, id(catalog))


@once(maxsize=4, key=_job_key, per_plate=True)
def _job(plate: Plate, colorway: Colorway, settings: ScreenSettings, catalog: Catalog | None
         ) -> tuple[Job, Catalog | None]:
    art = plate.artwork
    plates = tuple(plate_list(art, colorway))
    page = Page(art.width_pt, art.height_pt)
    ts = _typesetter(catalog)
    spec = plate.spec
    n = len(plates)
    names = " + ".join(p.name for p in plates)
    job_line = (f"{caps(spec.slug)} · PLATE {roman(spec.plate)} · {caps(colorway.name)} · "
                f"{n} SCREEN{'S' if n != 1 else ''}, IN PRINT ORDER:")
    size_line = (f"{caps(spec.name)} · TRIM {art.width_pt / 72:g} x {art.height_pt / 72:g} IN · "
                 "PRINT AT 100 % · RIGHT READING")
    marks = (*registration_marks(page), slug_line(ts, page, job_line),
             slug_line(ts, page, names, right=True), slug_line(ts, page, size_line, top=True))
    screen = f"{settings.lpi:g} LPI {settings.angle_deg:g}°"
    labels: dict[str, tuple[Shape, ...]] = {}
    for i, p in enumerate(plates, start=1):
        what = f"CHOKE {p.choke_pt:g} PT" if p.is_underbase else caps(p.label)
        text = f"PLATE {i}/{n} · {screen} · {p.name} · {what}"
        labels[p.name] = tuple(plate_label(ts, page, text, i - 1, n))
    info = {"title": f"{art.title} — separations, {colorway.name}",
            "author": catalog.settings.shop.brand if catalog else "",
            "subject": f"{spec.slug} / {colorway.id}: {names}"}
    return Job(plate, colorway, settings, plates, page, marks, labels, info), catalog


def separation_pdf_stage(plate: Plate, colorway: Colorway, options: dict[str, Any]) -> list[Output]:
    """The ``separation-pdf`` stage: one spot-colour PDF per colourway."""
    from teeprint.separate.pdf import separation_pdf
    from teeprint.separate.underbase import underbase

    j = job(plate, colorway, options)
    has_underbase = bool(j.plates) and j.plates[0].is_underbase
    ub = underbase(plate.artwork, colorway) if has_underbase else None
    data = separation_pdf(plate.artwork, colorway, j.plates, ub.shapes if ub else None,
                          j.marks, j.labels, j.info)
    catalog: Catalog | None = options.get("catalog")
    pdfx = bool(catalog is not None and catalog.settings.print.output_profile)
    if catalog is not None and pdfx:
        from teeprint.separate.pdfx import load_intent, make_pdfx4

        ps = catalog.settings.print
        intent = load_intent(catalog.settings_path.resolve().parent / ps.output_profile,
                             ps.output_condition, ps.output_condition_info)
        data = make_pdfx4(data, intent, j.info["title"])
    name = file_stem(plate.spec.slug, colorway.id, "separations") + ".pdf"
    return [Output(name, "separation-pdf", data, colorway.id, round(j.page.width_pt),
                   round(j.page.height_pt), 72,
                   {"plates": [p.name for p in j.plates], "screens": len(j.plates),
                    "underbase": has_underbase, "pdfx": "PDF/X-4" if pdfx else None})]


def film_parts(plate: Plate, colorway: Colorway, options: dict[str, Any]) -> list[Part]:
    """The ``film`` stage cut into one part per plate, so the films of a colourway are
    screened and encoded side by side (they share one rasterisation of the inks)."""
    from teeprint.memo import once
    from teeprint.separate.films import encode_film, film_pixels, marks_pixels
    from teeprint.separate.layers import forget_layers, layers

    catalog: Catalog | None = options.get("catalog")
    s = ScreenSettings.from_options(options, catalog.settings.print if catalog else None)
    plates = plate_list(plate.artwork, colorway)
    # The job (its labels are typeset) is made by the first part that runs, not here: parts
    # are cut while the other threads wait for work.

    @once(maxsize=1)
    def marks() -> Any:
        return marks_pixels(job(plate, colorway, options).marks,
                            layers(plate.artwork, colorway, s.film_dpi), s)

    left = [len(plates)]  # films still to make; the last lets the colourway's rasters go
    lock = threading.Lock()

    def one(i: int) -> list[Output]:
        j = job(plate, colorway, options)
        layer_set = layers(plate.artwork, colorway, s.film_dpi)
        raster = layer_set.plates[i - 1]
        p = raster.plate
        ink = film_pixels(raster, layer_set, s, marks(), j.labels[p.name])
        with lock:
            left[0] -= 1
            if left[0] == 0:
                forget_layers(plate.artwork, colorway, s.film_dpi)
        del raster, layer_set
        name = file_stem(plate.spec.slug, colorway.id, f"film-{i}-{plate_slug(p)}") + ".png"
        h, w = ink.shape
        return [Output(name, "film", encode_film(ink, s.film_dpi), colorway.id, w, h,
                       s.film_dpi,
                       {"ink": p.ink_id or "underbase", "separation": p.name, "plate_index": i,
                        "plates": len(plates), "lpi": s.lpi, "angle": s.angle_deg})]

    return [Part(partial(one, i), f"film {i}/{len(plates)} {p.name}", 0.6)
            for i, p in enumerate(plates, start=1)]


def film_stage(plate: Plate, colorway: Colorway, options: dict[str, Any]) -> list[Output]:
    """The ``film`` stage: one bitonal PNG per plate, underbase first."""
    return [out for part in film_parts(plate, colorway, options) for out in part.run()]


def separation_pdf_parts(plate: Plate, colorway: Colorway, options: dict[str, Any]) -> list[Part]:
    """The PDF as one part; a dark colourway's is costly (it computes the underbase's
    geometry, which the underbase film then reuses), so it is started first."""
    dark = any(p.is_underbase for p in plate_list(plate.artwork, colorway))
    return [Part(lambda: separation_pdf_stage(plate, colorway, options), "separation PDF",
                 2.0 if dark else 0.3)]


EXTRA_STAGES["separation-pdf"] = separation_pdf_stage
EXTRA_STAGES["film"] = film_stage
STAGE_PARTS["separation-pdf"] = separation_pdf_parts
STAGE_PARTS["film"] = film_parts


