"""Benchmark the spine: `teeprint render double-descent`, the print-PNG path against
rsvg-convert on the same SVG at the same size, the PNG encoder, and `teeprint --help`.

Run: ``python benchmarks/bench_render.py [--repeat N]``.  Prints a table and writes
``benchmarks/results/render.json``.  Each figure is the median of N runs (wall clock), and each
time is also given as a ratio to rsvg-convert's in the same run (``*_vs_rsvg``), with the machine
gauge of ``machine.py``, because this machine's speed drifts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs, after one warm-up."""
    fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def peak_mib(cmd: list[str], env: dict[str, str]) -> float:
    """Peak resident memory of a command (and anything it starts), in MiB, from a fresh
    parent so no other child's peak is counted."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
             "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], check=True, capture_output=True,
                         text=True, env=env)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repeat = args.repeat

    from PIL import Image

    from teeprint import pipeline
    from teeprint.artwork import to_svg
    from teeprint.catalog import Catalog
    from teeprint.raster import encode_png, rasterize, rasterize_artwork, srgb_icc

    cat = Catalog.load(ROOT / "shop.toml")
    spec = cat.specimen("double-descent")
    cw = cat.colorway("ecru")
    plate = pipeline.draw_plate(cat, spec)
    svg = to_svg(plate.artwork, cw)
    results: dict[str, float] = {}

    results["recipe+motif+plate_s"] = timed(lambda: pipeline.draw_plate(cat, spec), repeat)
    results["master_svg_s"] = timed(lambda: to_svg(plate.artwork, cw), repeat)
    rgba = rasterize_artwork(plate.artwork, cw, 4500, 5400)
    results["raster_writer_4500x5400_s"] = timed(
        lambda: rasterize_artwork(plate.artwork, cw, 4500, 5400), repeat)
    results["cairosvg_4500x5400_s"] = timed(lambda: rasterize(svg, 4500, 5400), repeat)
    results["encode_png_ours_s"] = timed(lambda: encode_png(rgba), repeat)

    def pillow_default() -> bytes:
        buf = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buf, "PNG", dpi=(300, 300), icc_profile=srgb_icc())
        return buf.getvalue()

    results["encode_png_pillow_default_s"] = timed(pillow_default, repeat)
    results["print_png_path_s"] = timed(lambda: pipeline.print_png(plate, cw, "15x18"), repeat)

    with tempfile.TemporaryDirectory() as tmp:
        svg_path = Path(tmp) / "master.svg"
        svg_path.write_text(svg)
        if shutil.which("rsvg-convert"):
            cmd = ["rsvg-convert", "-w", "4500", "-h", "5400", "-f", "png", "-o",
                   str(Path(tmp) / "rsvg.png"), str(svg_path)]
            results["rsvg_convert_4500x5400_s"] = timed(
                lambda: subprocess.run(cmd, check=True), repeat)
            results["print_png_vs_rsvg_ratio"] = (results["print_png_path_s"]
                                                  / results["rsvg_convert_4500x5400_s"])
        exe = [sys.executable, "-m", "teeprint", "--config", str(ROOT / "shop.toml")]
        # Bytecode cached, as an installed package has it.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        spine = ["--only", "master-svg", "--only", "print-png", "--only", "figure-data"]
        results["cli_render_spine_both_colorways_s"] = timed(
            lambda: subprocess.run([*exe, "render", "double-descent", "--out", tmp, *spine],
                                   check=True, capture_output=True, env=env), max(2, repeat // 2))
        # The print-PNG path as a whole process, like rsvg-convert's: start-up, the plate
        # computed from its spec, one colourway's PNG rasterised, encoded and written.
        results["cli_print_png_one_colourway_s"] = timed(
            lambda: subprocess.run([*exe, "render", "double-descent", "--out", tmp, "-c", "ecru",
                                    "--only", "print-png"], check=True, capture_output=True,
                                   env=env), repeat)
        if "rsvg_convert_4500x5400_s" in results:
            results["cli_print_png_vs_rsvg_ratio"] = (results["cli_print_png_one_colourway_s"]
                                                      / results["rsvg_convert_4500x5400_s"])
        results["cli_render_default_s"] = timed(
            lambda: subprocess.run([*exe, "render", "double-descent", "--out", tmp],
                                   check=True, capture_output=True, env=env), max(2, repeat // 2))
        results["cli_render_default_peak_mib"] = peak_mib(
            [*exe, "render", "double-descent", "--out", tmp], env)
        # Where a whole process's time goes before any plate is drawn: the interpreter, and
        # the modules the print-PNG path imports (typer, pydantic, numpy, cairo), with the
        # process settings the command line starts with (cairo's declarations prepared);
        # ``python_imports_cairo_parsed_s`` has cairocffi parse them as it does by default.
        results["python_start_s"] = timed(
            lambda: subprocess.run([sys.executable, "-c", "pass"], check=True, env=env), repeat)
        imports = ("from teeprint.runtime import configure_process; configure_process(); "
                   "import teeprint.cli, teeprint.catalog, teeprint.pipeline, teeprint.raster, "
                   "teeprint.plate, cairocffi")
        results["python_imports_cairo_parsed_s"] = timed(
            lambda: subprocess.run([sys.executable, "-c", imports], check=True,
                                   env={**env, "TEEPRINT_PARSED_CAIRO": "0"}), repeat)
        results["python_imports_s"] = timed(
            lambda: subprocess.run([sys.executable, "-c", imports], check=True, env=env), repeat)
        results["cli_help_s"] = timed(
            lambda: subprocess.run([*exe, "--help"], check=True, capture_output=True, env=env),
            repeat)
    results["png_bytes"] = float(len(encode_png(rgba)))

    from machine import gauge

    results.update({f"gauge_{k}": v for k, v in gauge().items()})
    if "rsvg_convert_4500x5400_s" in results:
        ref = results["rsvg_convert_4500x5400_s"]
        for key in [k for k in results if k.endswith("_s") and not k.startswith("gauge")]:
            results[key.removesuffix("_s") + "_vs_rsvg"] = results[key] / ref
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value:,.3f}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "render.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
