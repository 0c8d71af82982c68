"""The stage order, and the only module that knows it.

``specimen --recipe--> figure data --motif--> figure shapes --plate--> artwork
--writers--> outputs``.  Every stage is a pure function; :func:`render` returns the outputs as
bytes in memory and :mod:`teeprint.export` puts them on disk.  Nothing here touches the disk or
the terminal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
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
    #: The image the writer encoded, while the render runs (preflight checks it instead of
    #: decoding the file again); never written, and dropped before :func:`render` returns.
    pixels: Any = field(default=None, compare=False, repr=False)


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
    artwork = compose(spec, figure, data, catalog.settings, ts)
    if ts.missing:
        from teeprint.errors import TeeprintError

        chars = " ".join(f"{c} (U+{ord(c):04X})" for c in sorted(ts.missing))
        msg = (f"{spec.slug}: no face has a glyph for {chars}; it would print as an empty box "
               "(write it another way in the design, or add a font that has it under fonts/)")
        raise TeeprintError(msg)
    return Plate(spec, data, artwork)


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
                  preset.dpi, {"preset": preset.name}, pixels=rgba)


def figure_data(plate: Plate) -> Output:
    """The figure's named arrays and provenance, as deterministic JSON."""
    return Output(file_stem(plate.spec.slug) + ".data.json", "figure-data",
                  plate.data.to_json().encode())


Stage = Callable[[Plate, "Colorway", dict[str, Any]], list[Output]]

#: Writers that later stages add (separations, films, mockups, preflight) register here by kind.
EXTRA_STAGES: dict[str, Stage] = {}


@dataclass(frozen=True)
class Part:
    """A piece of a stage that runs on its own: a function making some of its outputs, a
    label for progress, and a rough cost (seconds on one core) so long parts start first."""

    run: Callable[[], list[Output]]
    label: str
    cost: float = 0.1


PartsFn = Callable[[Plate, "Colorway", dict[str, Any]], list[Part]]
#: Stages that split into independent parts (one film, one mockup view) register them here;
#: the parts then spread over the cores instead of running as one block.
STAGE_PARTS: dict[str, PartsFn] = {}
#: Kinds a stage reads from its own colourway's outputs; it runs once those are made and finds
#: them in ``options["outputs"]`` (preflight reads the print PNG).
STAGE_NEEDS: dict[str, tuple[str, ...]] = {}
#: Work a stage can start before the plate exists (the mockups' lit garment, which is the same
#: for every specimen): it runs while the recipe and the layout are computed.
Warmup = Callable[["Catalog", Sequence["Colorway"], dict[str, Any]], list[Callable[[], object]]]
STAGE_WARMUPS: dict[str, Warmup] = {}


def load_stages() -> None:
    """Import the stage modules so they register their writers."""
    import importlib

    for module in STAGE_MODULES:
        importlib.import_module(module)


def default_targets() -> tuple[str, ...]:
    """Every kind a plain ``teeprint render`` produces: the spine plus the registered stages."""
    load_stages()
    return DEFAULT_TARGETS + tuple(k for k in KINDS if k in EXTRA_STAGES)


def default_workers() -> int:
    """Threads a render uses: ``TEEPRINT_THREADS`` if set, else one per core."""
    env = os.environ.get("TEEPRINT_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def _parts(plate: Plate, cw: Colorway, kind: str, options: dict[str, Any]) -> list[Part]:
    """The parts of one stage for one colourway (a stage that does not split is one part)."""
    if kind == "master-svg":
        return [Part(lambda: [master_svg(plate, cw)], "master SVG", 0.05)]
    if kind == "print-png":
        preset = options["preset"]
        return [Part(lambda: [print_png(plate, cw, preset)], f"print PNG {preset}", 0.7)]
    if kind in STAGE_PARTS:
        return STAGE_PARTS[kind](plate, cw, options)
    stage = EXTRA_STAGES[kind]
    return [Part(lambda: stage(plate, cw, options), kind, 0.5)]


def render(catalog: Catalog, spec: Specimen, colorways: Sequence[Colorway], *,
           seed: int | None = None, preset: str = "15x18",
           targets: Iterable[str] = DEFAULT_TARGETS, options: dict[str, Any] | None = None,
           progress: Callable[[str], None] | None = None,
           workers: int | None = None) -> list[Output]:
    """Render a specimen in each colourway to the requested targets, in memory.

    The stages run side by side on ``workers`` threads (default: one per core): cairo, numpy,
    scipy, Pillow and zlib do their work outside the GIL.  Each stage is a pure function of the
    plate, so the outputs are the same bytes, in the same order (figure data, then per
    colourway its kinds in :data:`KINDS` order), whatever the number of threads.
    """
    import heapq
    import itertools
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    load_stages()
    wanted = tuple(k for k in KINDS if k in set(targets))
    note = progress or (lambda _msg: None)
    base = {"preset": preset, "catalog": catalog, "outputs": (), **(options or {})}
    n_workers = workers or default_workers()
    Key = tuple[int, int, int]  # (colourway, kind, part) indices: the order of the outputs
    results: dict[Key, list[Output]] = {}
    running: dict[Future[list[Output]], Key] = {}
    # Parts wait in a heap and go to the threads one by one, costliest first.  A stage that
    # reads another's pixels (preflight, once its PNG exists) goes ahead of every other part:
    # the 97 MB it reads are let go as soon as it has run.
    ready: list[tuple[int, float, int, Key, Part]] = []
    order = itertools.count()

    def run(part: Part, cw_id: str) -> list[Output]:
        note(f"{spec.slug}/{cw_id}: {part.label}")
        return part.run()

    def queue(ci: int, ki: int, options: dict[str, Any]) -> None:
        parts = _parts(plate, colorways[ci], wanted[ki], options)
        if not parts:
            results[(ci, ki, 0)] = []
        rank = 0 if wanted[ki] in STAGE_NEEDS else 1
        for pi, part in enumerate(parts):
            heapq.heappush(ready, (rank, -part.cost, next(order), (ci, ki, pi), part))

    warm: list[Future[object]] = []
    with ThreadPoolExecutor(n_workers, thread_name_prefix="teeprint") as pool:
        try:
            warm += [pool.submit(fn) for kind in wanted if kind in STAGE_WARMUPS
                     for fn in STAGE_WARMUPS[kind](catalog, colorways, base)]
            note(f"{spec.slug}: computing figure")
            plate = draw_plate(catalog, spec, seed)
            if "figure-data" in wanted:
                results[(-1, KINDS.index("figure-data"), 0)] = [figure_data(plate)]
            stages = [(ci, ki) for ci in range(len(colorways)) for ki, kind in enumerate(wanted)
                      if kind != "figure-data"]
            waiting = [(ci, ki) for ci, ki in stages if wanted[ki] in STAGE_NEEDS]
            for ci, ki in stages:
                if (ci, ki) not in waiting:
                    queue(ci, ki, base)
            while ready or running or waiting:
                pending = _in_flight(running, ready)
                for ci, ki in list(waiting):
                    needs = [wanted.index(k) for k in STAGE_NEEDS[wanted[ki]] if k in wanted]
                    if not any((ci, n) in pending for n in needs):
                        waiting.remove((ci, ki))
                        made = tuple(o for (c, k, _), outs in sorted(results.items())
                                     if c == ci and k < ki for o in outs)
                        queue(ci, ki, {**base, "outputs": made})
                while ready and len(running) < n_workers:
                    *_, key, part = heapq.heappop(ready)
                    running[pool.submit(run, part, colorways[key[0]].id)] = key
                if running:
                    done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for fut in done:
                        results[running.pop(fut)] = fut.result()
                    _drop_pixels(results, _still_read(wanted, waiting, running, ready))
            for warmed in warm:
                warmed.result()
        except BaseException:
            for fut in running:
                fut.cancel()
            for warmed in warm:
                warmed.cancel()
            raise
    return [replace(o, pixels=None) if o.pixels is not None else o
            for key in sorted(results) for o in results[key]]


def _in_flight(running: dict[Any, tuple[int, int, int]],
               ready: Iterable[tuple[int, float, int, tuple[int, int, int], Part]]
               ) -> set[tuple[int, int]]:
    """(colourway, kind) pairs with a part running or queued."""
    return {(ci, ki) for ci, ki, _ in running.values()} | {
        (ci, ki) for *_, (ci, ki, _), _ in ready}


def _still_read(wanted: Sequence[str], waiting: Iterable[tuple[int, int]],
                running: dict[Any, tuple[int, int, int]],
                ready: Iterable[tuple[int, float, int, tuple[int, int, int], Part]]
                ) -> set[tuple[int, str]]:
    """(colourway, kind) pairs whose pixels a stage not yet finished will read."""
    unfinished = set(waiting) | _in_flight(running, ready)
    return {(ci, need) for ci, ki in unfinished for need in STAGE_NEEDS.get(wanted[ki], ())}


def _drop_pixels(results: dict[tuple[int, int, int], list[Output]],
                 read: set[tuple[int, str]]) -> None:
    """Let go of the decoded images no stage will read any more (a print PNG's pixels are
    97 MB; they are kept only until its colourway's preflight has run)."""
    for key, outs in results.items():
        if any(o.pixels is not None and (key[0], o.kind) not in read for o in outs):
            results[key] = [replace(o, pixels=None) if (key[0], o.kind) not in read else o
                            for o in outs]


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

