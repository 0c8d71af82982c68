"""Benchmark the storefront mockups of double-descent: time per 2048 x 2048 front view once the
tee is built (the number that scales with garment colours), with its breakdown, and the one-off
costs a process pays per specimen (tee geometry and light, close-up, plate rasters, card).

Run: ``python benchmarks/bench_mockup.py [--repeat N]``.  Prints a table and writes
``benchmarks/results/mockup.json``.  Warm figures are medians of N runs; one-off figures are
medians of N cold runs (caches cleared before each).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], object], repeat: int, before: Callable[[], object] | None = None,
          warm_up: bool = True) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs (``before`` runs untimed each time)."""
    if warm_up:
        fn()
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repeat = args.repeat

    from teeprint import mockup, pipeline
    from teeprint.catalog import Catalog
    from teeprint.mockup import compose, relief

    cat = Catalog.load(ROOT / "shop.toml")
    spec = cat.specimen("double-descent")
    plate = pipeline.draw_plate(cat, spec)
    ecru, black = cat.colorway("ecru"), cat.colorway("black")
    cream, heather = cat.garment("soft-cream"), cat.garment("heather-forest")
    slug = mockup.GARMENT_SEED
    view = relief.front_view()
    art = plate.artwork
    box = mockup.garment.print_box_in(art.width_pt, art.height_pt)
    print_art = compose.PrintArt(art, ecru)
    r: dict[str, float] = {}

    # -- one-off, per process and specimen ------------------------------------------------
    clear = mockup.clear_caches
    r["cold_fields_s"] = timed(lambda: relief.fields(slug), repeat, clear, warm_up=False)
    relief.fields(slug)
    r["cold_surface_front_s"] = timed(lambda: relief.surface(view, slug), repeat, None)
    r["cold_scene_front_total_s"] = timed(lambda: compose.scene(view, slug), repeat, clear,
                                          warm_up=False)
    sc = compose.scene(view, slug)
    r["print_layer_front_s"] = timed(lambda: compose.print_layer(print_art, sc, box), repeat)
    r["heather_index_front_s"] = timed(lambda: compose.heather_index(view, slug), repeat,
                                       compose.heather_index.cache_clear, warm_up=False)
    r["closeup_first_colourway_s"] = timed(lambda: mockup.closeup(plate, ecru, cream), repeat,
                                           clear, warm_up=False)
    r["plate_card_s"] = timed(lambda: mockup.plate_card(plate, ecru), repeat)

    # -- warm: one more garment colour ----------------------------------------------------
    mockup.front(plate, ecru, cream)
    mockup.front(plate, black, heather)
    layer = compose.print_layer(print_art, sc, box)
    r["paint_garment_s"] = timed(lambda: compose.paint_garment(sc, cream.hex, None), repeat)
    r["paint_garment_heather_s"] = timed(
        lambda: compose.paint_garment(sc, heather.hex, heather.heather_hex), repeat)
    painted = compose.paint_garment(sc, cream.hex, None)
    r["apply_print_s"] = timed(lambda: compose.apply_print(painted.copy(), layer, cream.hex),
                               repeat)
    r["encode_jpeg_s"] = timed(lambda: compose.encode(painted, "jpeg"), repeat)
    r["encode_webp_s"] = timed(lambda: compose.encode(painted, "webp"), repeat)
    r["encode_png_s"] = timed(lambda: compose.encode(painted, "png"), repeat)
    r["front_mockup_warm_s"] = timed(
        lambda: compose.encode(mockup.front(plate, ecru, cream).rgb, "jpeg"), repeat)
    r["front_mockup_warm_heather_s"] = timed(
        lambda: compose.encode(mockup.front(plate, black, heather).rgb, "jpeg"), repeat)

    # -- a whole specimen, as `teeprint mockup` does it (one cold run) ---------------------
    def whole() -> None:
        for cw in (ecru, black):
            mockup.mockups(plate, cw, mockup.garments_of(cat, cw))

    r["specimen_all_views_cold_s"] = timed(whole, 1, clear, warm_up=False)

    width = max(len(k) for k in r)
    for key, value in r.items():
        print(f"{key:<{width}}  {value:8.3f}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "mockup.json").write_text(json.dumps({k: round(v, 4) for k, v in r.items()},
                                                indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
