"""Benchmark the separations: the spot PDF and the films of double-descent's dark colourway, the
preflight stage, and ``teeprint render double-descent`` four ways: the spine only (SVG, PNG,
data), the spine plus separations, films and preflight, the same on one thread (what running the
stages side by side gains), and every default output.

Run: ``python benchmarks/bench_separations.py [--repeat N]``.  Prints a table and writes
``benchmarks/results/separations.json``.  ``--underbase`` instead measures the underbase of five
plates in the black colourway (double-descent relu grokking superposition attention-qkv): the spot
PDF's time (cold, the underbase computed afresh), its size, the underbase film's size, and the
coverage (the share of the inked area with white under it); ``--tag NAME`` names its result file
``benchmarks/results/underbase-NAME.json`` so two versions of the code can be compared.  Each in-process figure is the median of N cold runs
(the raster cache is cleared, so the PDF time includes rasterising the underbase and the film
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


UNDERBASE_PLATES = ("double-descent", "relu", "grokking", "superposition", "attention-qkv")


def underbase_bench(repeat: int, tag: str) -> None:
    """Per plate: PDF time and size, underbase film size, coverage of the inked area."""
    import numpy as np

    import teeprint.separate.layers as layers
    from teeprint import pipeline
    from teeprint.catalog import Catalog
    from teeprint.separate import film_stage, separation_pdf_stage

    cat = Catalog.load(ROOT / "shop.toml")
    cw = cat.colorway("black")
    opts = {"catalog": cat}
    rows: dict[str, dict[str, float]] = {}
    for slug in UNDERBASE_PLATES:
        plate = pipeline.draw_plate(cat, cat.specimen(slug))
        wall, cpu = timed(lambda plate=plate: separation_pdf_stage(plate, cw, opts), repeat,
                          layers.clear_caches)
        layers.clear_caches()
        pdf = separation_pdf_stage(plate, cw, opts)[0]
        films = film_stage(plate, cw, opts)
        lay = layers.layers(plate.artwork, cw, 300)
        inked = np.zeros(lay.plates[0].cover.shape, bool)
        for r in lay.plates[1:]:
            if r.plate.underbased:
                inked |= r.inked()
        under = lay.plates[0].cover
        rows[slug] = {"pdf_s": wall, "pdf_cpu_s": cpu, "pdf_bytes": len(pdf.data),
                      "underbase_film_bytes": len(films[0].data),
                      "coverage_pct": 100.0 * float((under & inked).sum()) / float(inked.sum()),
                      "underbase_outside_ink_px": int((under & ~inked).sum())}
    print(f"{'plate':<16} {'pdf s':>7} {'cpu s':>7} {'pdf kB':>8} {'film kB':>8} {'cover %':>8}"
          f" {'outside px':>10}")
    for slug, r in rows.items():
        print(f"{slug:<16} {r['pdf_s']:7.2f} {r['pdf_cpu_s']:7.2f} {r['pdf_bytes'] / 1e3:8.0f}"
              f" {r['underbase_film_bytes'] / 1e3:8.0f} {r['coverage_pct']:8.1f}"
              f" {r['underbase_outside_ink_px']:10d}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"underbase-{tag}.json").write_text(json.dumps(
        {slug: {k: round(v, 4) for k, v in r.items()} for slug, r in rows.items()},
        indent=1, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--underbase", action="store_true",
                        help="measure the underbase of five plates instead")
    parser.add_argument("--tag", default="current", help="result file suffix for --underbase")
    args = parser.parse_args()
    if args.underbase:
        underbase_bench(args.repeat, args.tag)
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
