"""The stage order, and the only module that knows it.

``specimen --recipe--> figure data --motif--> figure shapes --plate--> artwork
--writers--> outputs``.  Every stage is a pure function; :func:`render` returns the outputs as
bytes in memory and :mod:`teeprint.export` puts them on disk.  Nothing here touches the disk or
the terminal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from teeprint.artwork import Artwork
    from teeprint.catalog import Catalog, Colorway, Specimen
    from teeprint.recipes import FigureData
    from teeprint.typeset import Typesetter

#: Output kinds a render can produce, in the order they are made.
KINDS = ("master-svg", "print-png", "separation-pdf", "film", "mockup", "figure-data", "preflight")
DEFAULT_TARGETS = ("master-svg", "print-png", "figure-data")

#: Modules that add stages (and their kinds) to :data:`EXTRA_STAGES` when imported.
STAGE_MODULES: tuple[str, ...] = ("teeprint.separate", "teeprint.preflight", "teeprint.mockup")


@dataclass(frozen=True)
class Output:
    """One file of a render, in memory: where it goes (relative to the specimen's folder),
    what it is, and the bytes."""

    path: str
    kind: str
    data: bytes
    colorway: str | None = None
    width: int | None = None
    height: int | None = None
    dpi: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plate:
    """A specimen drawn: its figure data and the colour-free artwork."""

    spec: Specimen
    data: FigureData
    artwork: Artwork


def typesetter(catalog: Catalog) -> Typesetter:
    """The shop's typesetter (fonts from the settings, user files from ``fonts/``)."""
    from teeprint.typeset import Typesetter

    return Typesetter(catalog.settings.fonts, catalog.fonts_dir)


def draw_plate(catalog: Catalog, spec: Specimen, seed: int | None = None) -> Plate:
    """Recipe, motif and plate layout: a specimen to its artwork."""
    from teeprint import motifs, recipes
    from teeprint.plate import FIGURE_BOX, compose

    data = recipes.run(spec, seed)
    ts = typesetter(catalog)
    figure = motifs.draw(spec, data, FIGURE_BOX, ts)
    return Plate(spec, data, compose(spec, figure, data, catalog.settings, ts))


def file_stem(slug: str, colorway: str | None = None, *parts: str) -> str:
    """Deterministic, lowercase, hyphenated file stems: ``slug--colorway--part``."""
    return "--".join([slug, *([colorway] if colorway else []), *parts])


def master_svg(plate: Plate, colorway: Colorway) -> Output:
    """The vector master: inks as named groups, text outlined."""
    from teeprint.artwork import to_svg

    svg = to_svg(plate.artwork, colorway)
    return Output(file_stem(plate.spec.slug, colorway.id) + ".svg", "master-svg", svg.encode(),
                  colorway.id, round(plate.artwork.width_pt), round(plate.artwork.height_pt), 72)


def print_png(plate: Plate, colorway: Colorway, preset_name: str = "15x18") -> Output:
    """The DTG print file: RGBA PNG at the preset's pixels, 300 dpi, sRGB, transparent ground.

    A preset of another aspect ratio than the artboard's scales the plate to its width and
    places it at the top of the print area, where DTG placements start.
    """
    from teeprint.raster import PRESETS, encode_png, rasterize_artwork

    preset = PRESETS[preset_name]
    art = plate.artwork
    canvas_h = art.width_pt * preset.height_px / preset.width_px
    canvas = (art.width_pt, max(canvas_h, art.height_pt))
    if canvas_h < art.height_pt:  # a taller artboard than the preset: fit to height instead
        canvas = (art.height_pt * preset.width_px / preset.height_px, art.height_pt)
    rgba = rasterize_artwork(art, colorway, preset.width_px, preset.height_px,
                             (0.0, 0.0, canvas[0], canvas[1]))
    data = encode_png(rgba, preset.dpi)
    name = file_stem(plate.spec.slug, colorway.id, f"print-{preset.name}") + ".png"
    return Output(name, "print-png", data, colorway.id, preset.width_px, preset.height_px,
                  preset.dpi, {"preset": preset.name})


def figure_data(plate: Plate) -> Output:
    """The figure's named arrays and provenance, as deterministic JSON."""
    return Output(file_stem(plate.spec.slug) + ".data.json", "figure-data",
                  plate.data.to_json().encode())


Stage = Callable[[Plate, "Colorway", dict[str, Any]], list[Output]]

#: Writers that later stages add (separations, films, mockups, preflight) register here by kind.
EXTRA_STAGES: dict[str, Stage] = {}


def load_stages() -> None:
    """Import the stage modules so they register their writers."""
    import importlib

    for module in STAGE_MODULES:
        importlib.import_module(module)


def default_targets() -> tuple[str, ...]:
    """Every kind a plain ``teeprint render`` produces: the spine plus the registered stages."""
    load_stages()
    return DEFAULT_TARGETS + tuple(k for k in KINDS if k in EXTRA_STAGES)


def render(catalog: Catalog, spec: Specimen, colorways: Sequence[Colorway], *,
           seed: int | None = None, preset: str = "15x18",
           targets: Iterable[str] = DEFAULT_TARGETS, options: dict[str, Any] | None = None,
           progress: Callable[[str], None] | None = None) -> list[Output]:
    """Render a specimen in each colourway to the requested targets, in memory."""
    load_stages()
    wanted = tuple(targets)
    note = progress or (lambda _msg: None)
    note(f"{spec.slug}: computing figure")
    plate = draw_plate(catalog, spec, seed)
    outputs: list[Output] = []
    if "figure-data" in wanted:
        outputs.append(figure_data(plate))
    pngs: dict[str, Output] = {}
    if "print-png" in wanted:
        # cairo and the PNG encoder work outside the GIL: the colourways' print files are
        # drawn side by side, and the results kept in colourway order.
        from concurrent.futures import ThreadPoolExecutor

        note(f"{spec.slug}: print PNGs {preset}")
        workers = max(1, min(len(colorways), os.cpu_count() or 1))
        with ThreadPoolExecutor(workers) as pool:
            done = list(pool.map(lambda cw: print_png(plate, cw, preset), colorways))
        pngs = {cw.id: out for cw, out in zip(colorways, done, strict=True)}
    for cw in colorways:
        if "master-svg" in wanted:
            note(f"{spec.slug}/{cw.id}: master SVG")
            outputs.append(master_svg(plate, cw))
        if cw.id in pngs:
            outputs.append(pngs[cw.id])
        for kind in KINDS:
            if kind in wanted and kind in EXTRA_STAGES:
                note(f"{spec.slug}/{cw.id}: {kind}")
                # Stages see the catalog (settings, fonts) and what was made so far
                # (preflight reads the print PNG).
                outputs.extend(EXTRA_STAGES[kind](plate, cw, {
                    "preset": preset, "catalog": catalog, "outputs": tuple(outputs),
                    **(options or {})}))
    return outputs


def release(outputs: Sequence[Output]) -> tuple[list[Output], list[str]]:
    """Hold back what fails preflight: nothing that breaks a print rule leaves the pipeline.

    A colourway whose preflight report has errors keeps only that report (so the user can read
    why); its print files are withheld.  Returns (outputs to write, one line per failure).
    """
    failed: dict[str, str] = {}
    for out in outputs:
        if out.kind == "preflight" and out.colorway and out.extra.get("ok") is False:
            failed[out.colorway] = (f"{out.colorway}: fails preflight with "
                                    f"{out.extra.get('errors', '?')} error(s); see {out.path}")
    keep = [o for o in outputs if o.colorway not in failed or o.kind == "preflight"]
    return keep, list(failed.values())

