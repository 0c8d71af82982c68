"""Benchmark the storefront mockups of double-descent.

* **cold**: the cloth simulation of each drape (no cache), reading a drape back from the disk
  cache, building each view's lit scene, and reading it back from the disk store (what a
  process pays once per view);
* **warm**: one more 2048 x 2048 view of another plate or colour once the scene is built --
  the number that scales with plates x garment colours -- with the front view's breakdown;
* a whole specimen as ``teeprint mockup`` renders it, in a fresh process state with the drapes
  and lit views on disk.

Run: ``python benchmarks/bench_mockup.py [--repeat N]``.  Prints a table and writes
``benchmarks/results/mockup.json``.  Warm figures are medians of N runs; cold figures are
medians of N runs with the caches cleared before each (the simulations run once: they take
seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
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
    os.environ["TEEPRINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="teeprint-bench-")

    from teeprint import mockup, pipeline
    from teeprint.catalog import Catalog
    from teeprint.mockup import cloth, compose, ink, relief, views

    cat = Catalog.load(ROOT / "shop.toml")
    spec = cat.specimen("double-descent")
    plate = pipeline.draw_plate(cat, spec)
    ecru, black = cat.colorway("ecru"), cat.colorway("black")
    cream, heather = cat.garment("soft-cream"), cat.garment("heather-forest")
    seed = mockup.GARMENT_SEED
    r: dict[str, float] = {}

    # -- cold: simulations (empty cache), then reading them back ---------------------------
    for name, fn in (("flat", cloth.flat_lay), ("hanger", cloth.hanging),
                     ("folded", cloth.folded)):
        r[f"cold_simulate_{name}_s"] = timed(fn, 1, cloth.clear, warm_up=False)
    r["cold_drape_from_disk_flat_s"] = timed(cloth.flat_lay, repeat, cloth.clear, warm_up=False)

    # -- cold: each view's lit scene (drapes on disk) ---------------------------------------
    scenes = {"front": relief.front_view(), "hanger": relief.hanger_view(),
              "folded": relief.folded_view(), "closeup": views.closeup_view(plate.artwork),
              "range": views.range_view(8)}
    for name, view in scenes.items():
        r[f"cold_scene_{name}_build_s"] = timed(lambda v=view: compose.scene(v, seed), 1,
                                                mockup.clear_caches, warm_up=False)
        r[f"cold_scene_{name}_from_store_s"] = timed(lambda v=view: compose.scene(v, seed),
                                                     repeat, mockup.clear_caches, warm_up=False)

    # -- warm: another view once its scene is built ----------------------------------------
    mockup.clear_caches()
    shown = [(cw, g) for cw in (ecru, black) for g in mockup.garments_of(cat, cw)]
    for name, make in (("front", lambda: mockup.front(plate, ecru, cream)),
                       ("front_heather", lambda: mockup.front(plate, black, heather)),
                       ("hanger", lambda: mockup.hanger(plate, ecru, cream)),
                       ("folded", lambda: mockup.folded(plate, ecru, cream)),
                       ("closeup", lambda: mockup.closeup(plate, ecru, cream)),
                       ("range_8_colours", lambda: mockup.colour_range(plate, shown)),
                       ("plate_card", lambda: mockup.plate_card(plate, ecru))):
        r[f"warm_{name}_with_jpeg_s"] = timed(
            lambda m=make: compose.encode(m().pixels, "jpeg"), repeat)
    # A new plate (its print not yet on the cloth) on a built scene: print layer + paint.
    view = relief.front_view()
    sc = compose.scene(view, seed)
    art = ink.PrintArt(plate.artwork, ecru)
    box = views.box_of(plate.artwork)
    r["warm_front_print_layer_s"] = timed(lambda: ink.print_layer(art, sc, box), repeat)
    layer = ink.print_layer(art, sc, box)
    r["warm_front_paint_s"] = timed(lambda: compose.paint_garment(sc, cream.hex, None), repeat)
    painted = compose.paint_garment(sc, cream.hex, None)
    r["warm_front_apply_print_s"] = timed(
        lambda: ink.apply_print(painted.copy(), layer, cream.hex), repeat)
    r["warm_front_encode_jpeg_s"] = timed(lambda: compose.encode(painted, "jpeg"), repeat)
    r["warm_front_new_plate_with_jpeg_s"] = timed(
        lambda: compose.encode(mockup.front(plate, ecru, cream).pixels, "jpeg"), repeat,
        views.print_layer.cache_clear)

    # -- a whole specimen, as `teeprint mockup` does it (drapes on disk) --------------------
    def whole() -> None:
        for cw in (ecru, black):
            mockup.mockups(plate, cw, mockup.garments_of(cat, cw),
                           shown=shown if cw is ecru else ())

    r["specimen_all_views_cold_s"] = timed(whole, 1, mockup.clear_caches, warm_up=False)

    width = max(len(k) for k in r)
    for key, value in r.items():
        print(f"{key:<{width}}  {value:8.3f}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "mockup.json").write_text(json.dumps({k: round(v, 4) for k, v in r.items()},
                                                indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
