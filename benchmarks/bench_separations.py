"""Benchmark the separations: the spot PDF and the films of double-descent's dark colourway, the
preflight stage, and ``teeprint render double-descent`` three ways: the spine only (SVG, PNG,
data), the spine plus separations, films and preflight, and every default output.

Run: ``python benchmarks/bench_separations.py [--repeat N]``.  Prints a table and writes
``benchmarks/results/separations.json``.  Each in-process figure is the median of N cold runs
(the raster cache is cleared, so the PDF time includes rasterising the underbase and the film
time includes rasterising every plate) as wall clock and as CPU time: on a shared machine the
CPU time is the steadier number.  The whole render is a subprocess, as a user runs it.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

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
    for key, only in (("render_spine_s", spine), ("render_with_separations_s", ours),
                      ("render_all_s", [])):
        runs = []
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-m", "teeprint", "--config",
                                str(ROOT / "shop.toml"), "render", "double-descent", "--out", tmp,
                                *[a for kind in only for a in ("--only", kind)]],
                               check=True, capture_output=True)
                runs.append(time.perf_counter() - t0)
            written = sorted(p.name for p in (Path(tmp) / "double-descent").iterdir())
        results[key] = statistics.median(runs)
        results[key[:-2] + "_files"] = len(written)

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
