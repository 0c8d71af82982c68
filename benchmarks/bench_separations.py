"""Benchmark the separations: the spot PDF and the films of double-descent's dark colourway, the
preflight stage, and ``teeprint render double-descent`` four ways: the spine only (SVG, PNG,
data), the spine plus separations, films and preflight, the same on one thread (what running the
stages side by side gains), and every default output.

Run: ``python benchmarks/bench_separations.py [--repeat N]``.  Prints a table and writes
``benchmarks/results/separations.json``.  ``--underbase`` instead measures the underbase of
plates in the black colourway: the CPU time of the underbase's geometry (``build_underbase``, median and minimum of N runs) and of
its film (the two 300 dpi masks, and their peak memory by tracemalloc), the spot PDF's CPU time
(cold, the underbase computed afresh), its size, the underbase film's size, and the coverage (the
share of the inked area with white under it), between two readings of the machine gauge
(``machine.py``); ``--plates`` picks the plates (default: five plates and the three whose
separations were slowest); ``--tag NAME`` names its result file
``benchmarks/results/underbase-NAME.json`` so two versions of the code can be compared (run the
older one with its ``src`` first on ``PYTHONPATH``).  Each in-process figure is the median of N
cold runs (the raster cache is cleared, so the PDF time includes rasterising the underbase and the film
time includes rasterising every plate) as wall clock and as CPU time: on a shared machine the
CPU time is the steadier number.  The whole render is a subprocess, as a user runs it; each
render figure has its median, minimum and maximum.  A machine gauge (a pure-Python loop and
the copy bandwidth) is taken before and after, to read the figures against.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], object], repeat: int, before: Callable[[], object] = lambda: None
          ) -> tuple[float, float]:
    """Median (wall, cpu) seconds of ``fn`` over ``repeat`` runs, after one warm-up."""
    before()
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        before()
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def machine_gauge() -> tuple[float, float]:
    """How fast this machine is right now: seconds for a fixed pure-Python loop, and GB/s of
    large array copies.  Shared cloud machines drift by a factor of two over an hour; the
    gauge, taken before and after, tells a slow machine from a slow render."""
    import numpy as np

    t0 = time.perf_counter()
    sum(range(20_000_000))
    python_s = time.perf_counter() - t0
    a = np.ones(25_000_000)
    b = np.empty_like(a)
    np.copyto(b, a)
    t0 = time.perf_counter()
    for _ in range(10):
        np.copyto(b, a)
    return python_s, 10 * 2 * a.nbytes / (time.perf_counter() - t0) / 1e9


UNDERBASE_PLATES = ("double-descent", "relu", "grokking", "superposition", "attention-qkv",
                    "novelty-search", "class-imbalance", "bias-amplification")


def _underbase_film(layers: object, shapes: tuple, w: int, h: int, k: float,
                    offset: tuple[float, float]) -> object:
    """The underbase film's masks, as this version of the code rasterises them (older
    versions painted both masks with every path)."""
    own = getattr(layers, "underbase_raster", None)
    if own is not None:
        return own(shapes, w, h, k, offset)
    return layers._density(*layers.rasterize_shapes(shapes, w, h, k, offset))  # type: ignore[attr-defined]


def underbase_bench(repeat: int, tag: str, plates: list[str]) -> None:
    """Per plate: the underbase's CPU time (the geometry, and its film rasterised), the
    film's peak memory, the PDF time and size, the film's size, and the coverage."""
    import tracemalloc

    import numpy as np
    from machine import gauge

    import teeprint.separate.layers as layers
    import teeprint.separate.underbase as underbase
    from teeprint import pipeline
    from teeprint.catalog import Catalog
    from teeprint.separate import film_stage, separation_pdf_stage
    from teeprint.separate.plates import Page

    cat = Catalog.load(ROOT / "shop.toml")
    cw = cat.colorway("black")
    opts = {"catalog": cat}
    before = gauge()
    print(f"machine before: {before}")
    rows: dict[str, dict[str, float]] = {}
    for slug in plates:
        plate = pipeline.draw_plate(cat, cat.specimen(slug))
        art = plate.artwork
        cpu = []
        for _ in range(repeat):
            c0 = time.process_time()
            ub = underbase.build_underbase(art, cw)
            cpu.append(time.process_time() - c0)
        assert ub is not None
        page = Page(art.width_pt, art.height_pt)
        k = 300 / 72
        size = (round(page.width_pt * k), round(page.height_pt * k))
        film_cpu = []
        for _ in range(repeat):
            c0 = time.process_time()
            _underbase_film(layers, ub.shapes, *size, k, (page.slug_pt, page.slug_pt))
            film_cpu.append(time.process_time() - c0)
        tracemalloc.start()
        _underbase_film(layers, ub.shapes, *size, k, (page.slug_pt, page.slug_pt))
        film_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        wall, pdf_cpu = timed(lambda plate=plate: separation_pdf_stage(plate, cw, opts), 1,
                              layers.clear_caches)
        layers.clear_caches()
        pdf = separation_pdf_stage(plate, cw, opts)[0]
        films = film_stage(plate, cw, opts)
        lay = layers.layers(art, cw, 300)
        inked = np.zeros(lay.plates[0].cover.shape, bool)
        for r in lay.plates[1:]:
            if r.plate.underbased:
                inked |= r.inked()
        under = lay.plates[0].cover
        layers.clear_caches()
        rows[slug] = {"underbase_cpu_s": statistics.median(cpu),
                      "underbase_cpu_min_s": min(cpu),
                      "film_cpu_s": statistics.median(film_cpu),
                      "film_peak_mib": film_peak / 2**20,
                      "pdf_s": wall, "pdf_cpu_s": pdf_cpu, "pdf_bytes": len(pdf.data),
                      "underbase_film_bytes": len(films[0].data),
                      "coverage_pct": 100.0 * float((under & inked).sum()) / float(inked.sum()),
                      "underbase_outside_ink_px": int((under & ~inked).sum())}
        r = rows[slug]
        print(f"{slug:<20} underbase {r['underbase_cpu_s']:6.2f} s (min {r['underbase_cpu_min_s']:.2f})"
              f"  film {r['film_cpu_s']:5.2f} s {r['film_peak_mib']:4.0f} MiB"
              f"  pdf {r['pdf_cpu_s']:6.2f} s {r['pdf_bytes'] / 1e3:6.0f} kB"
              f"  cover {r['coverage_pct']:5.1f} %  outside {r['underbase_outside_ink_px']} px",
              flush=True)
    after = gauge()
    print(f"machine after: {after}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"underbase-{tag}.json").write_text(json.dumps(
        {"machine_before": before, "machine_after": after,
         "plates": {slug: {k: round(v, 4) for k, v in r.items()} for slug, r in rows.items()}},
        indent=1, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--underbase", action="store_true",
                        help="measure the underbase of five plates instead")
    parser.add_argument("--tag", default="current", help="result file suffix for --underbase")
    parser.add_argument("--plates", nargs="*", default=list(UNDERBASE_PLATES),
                        help="plates for --underbase")
    args = parser.parse_args()
    if args.underbase:
        underbase_bench(args.repeat, args.tag, args.plates)
        return

    import teeprint.separate.layers as layers
    from teeprint import pipeline
    from teeprint.catalog import Catalog
    from teeprint.preflight import preflight_stage
    from teeprint.separate import film_stage, separation_pdf_stage

    cat = Catalog.load(ROOT / "shop.toml")
    spec = cat.specimen("double-descent")
    cw = cat.colorway("black")
    plate = pipeline.draw_plate(cat, spec)
    opts = {"catalog": cat}

    def clear() -> None:
        layers.clear_caches()

    results: dict[str, float] = {}
    results["gauge_python_before_s"], results["gauge_copy_before_gbps"] = machine_gauge()
    png = pipeline.print_png(plate, cw)

    results["pdf_s"], results["pdf_cpu_s"] = timed(
        lambda: separation_pdf_stage(plate, cw, opts), args.repeat, clear)
    results["films_s"], results["films_cpu_s"] = timed(
        lambda: film_stage(plate, cw, opts), args.repeat, clear)
    results["pdf_then_films_s"], results["pdf_then_films_cpu_s"] = timed(
        lambda: (separation_pdf_stage(plate, cw, opts), film_stage(plate, cw, opts)),
        args.repeat, clear)
    results["preflight_s"], results["preflight_cpu_s"] = timed(
        lambda: preflight_stage(plate, cw, {**opts, "outputs": (png,)}), args.repeat)
    pdf = separation_pdf_stage(plate, cw, opts)[0]
    films = film_stage(plate, cw, opts)
    results["pdf_bytes"] = len(pdf.data)
    results["films_bytes"] = sum(len(f.data) for f in films)

    spine = ["master-svg", "print-png", "figure-data"]
    ours = [*spine, "separation-pdf", "film", "preflight"]
    # As a user runs it: a fresh process, bytecode cached as an installed package has it
    # (a first run writes the cache), default threads; then the same on one thread.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for key, only, threads in (("render_spine_s", spine, None),
                               ("render_with_separations_s", ours, None),
                               ("render_with_separations_1_thread_s", ours, "1"),
                               ("render_all_s", [], None)):
        runs, cpu = [], []
        run_env = {**env, **({"TEEPRINT_THREADS": threads} if threads else {})}
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "teeprint", "--config", str(ROOT / "shop.toml"),
                   "render", "double-descent", "--out", tmp,
                   *[a for kind in only for a in ("--only", kind)]]
            subprocess.run(cmd, check=True, capture_output=True, env=run_env)  # warm-up
            for _ in range(args.repeat):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, env=run_env)
                runs.append(time.perf_counter() - t0)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            written = sorted(p.name for p in (Path(tmp) / "double-descent").iterdir())
        results[key] = statistics.median(runs)
        results[key[:-2] + "_min_s"] = min(runs)
        results[key[:-2] + "_max_s"] = max(runs)
        results[key[:-2] + "_cpu_s"] = statistics.median(cpu)
        results[key[:-2] + "_files"] = len(written)

    results["gauge_python_after_s"], results["gauge_copy_after_gbps"] = machine_gauge()
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value:.3f}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "separations.json").write_text(json.dumps(
        {k: round(v, 4) if isinstance(v, float) else v for k, v in results.items()},
        indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
