"""Benchmark the storefront mockups of one plate: CPU seconds per view and the memory they hold.

A fresh process (one thread, as a batch worker runs) draws two plates, renders every mockup of
the first (both colourways, every view: what a worker pays once -- mapping the lit views from
the disk store, the print zones), then every mockup of the second, timing each view with
:func:`time.process_time`.  It reports resident memory (peak, and now split into private and
file-backed pages: the stored views are memory-mapped, so the workers of a batch share them)
after the plates are drawn, after the first plate and after the second.  A second fresh process
repeats the two plates under :mod:`tracemalloc` for the arrays the mockups allocate: what they
keep between plates and their peak on top of it.  The machine gauge and the reference render
(``machine.py``) are taken before and after, in the same run.

``--cold`` first empties a temporary cache and times building every lit view (the cloth
simulations and the lighting, what the first render on a machine pays once).

Run: ``python benchmarks/bench_mockup.py [--plates A B] [--cold]``.  Prints a table and writes
``benchmarks/results/mockup.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import ROOT, bench_env, gauge, reference_s  # noqa: E402


def _status() -> dict[str, float]:
    """VmHWM (peak), VmRSS, RssAnon and RssFile of this process, MiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            out[key] = round(int(line.split()[1]) / 1024, 1)
    return out


def child(slugs: list[str], traced: bool) -> dict[str, Any]:
    """Render every mockup of each plate in turn (the measuring process)."""
    from teeprint import runtime

    runtime.configure_process()
    import tracemalloc

    from teeprint import memo, mockup, pipeline
    from teeprint.catalog import Catalog

    cat = Catalog.load(ROOT / "shop.toml")
    plates = {s: pipeline.draw_plate(cat, cat.specimen(s)) for s in slugs}
    result: dict[str, Any] = {"drawn": _status()}
    if traced:
        tracemalloc.start()
    for k, slug in enumerate(slugs):
        spec = cat.specimen(slug)
        views: dict[str, float] = {}
        if traced:
            tracemalloc.reset_peak()
        for cw in cat.resolve_colorways(spec, []):
            for part in mockup.stage_parts(plates[slug], cw, {"catalog": cat}):
                t0 = time.process_time()
                part.run()
                views[f"{cw.id}: {part.label}"] = round(time.process_time() - t0, 4)
        entry: dict[str, Any] = {"slug": slug, "cpu_s": round(sum(views.values()), 3),
                                 "views_cpu_s": views}
        if traced:
            held, peak = tracemalloc.get_traced_memory()
            entry["traced_peak_mib"] = round(peak / 2**20, 1)
        memo.forget_plates()
        if traced:
            entry["traced_held_after_plate_mib"] = round(tracemalloc.get_traced_memory()[0]
                                                         / 2**20, 1)
        entry["status"] = _status()
        result[f"plate_{k}"] = entry
    return result


def _run_child(slugs: list[str], traced: bool, env: dict[str, str]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", "--plates", *slugs]
    if traced:
        cmd.append("--traced")
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    parsed: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def cold_build(env: dict[str, str]) -> dict[str, float]:
    """Seconds to build every lit view of the default mockups in an empty cache."""
    code = (
        "import time\n"
        "from teeprint import runtime; runtime.configure_process()\n"
        "from teeprint import mockup\n"
        "from teeprint.mockup import compose, relief, views\n"
        "out = {}\n"
        "for name, view in (('front', relief.front_view()), ('hanger', relief.hanger_view()),"
        " ('folded', relief.folded_view()), ('closeup_strip', views.closeup_strip()),"
        " ('range_8', views.range_view(8))):\n"
        "    t0 = time.perf_counter(); compose.scene(view, mockup.GARMENT_SEED)\n"
        "    out[name] = round(time.perf_counter() - t0, 2)\n"
        "import json, resource; out['peak_rss_mib'] = round("
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
        "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                          capture_output=True, text=True)
    parsed: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plates", nargs=2, default=["double-descent", "grokking"])
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.plates, args.traced)))
        return

    env = {**bench_env(), "TEEPRINT_THREADS": "1"}
    result: dict[str, Any] = {"gauge_before": gauge(), "reference_before_s": reference_s()}
    print(f"machine: {result['gauge_before']}; reference (rsvg-convert 4500x5400): "
          f"{result['reference_before_s']:.2f} s")
    if args.cold:
        with tempfile.TemporaryDirectory(prefix="teeprint-bench-") as tmp:
            result["cold_build_s"] = cold_build({**env, "TEEPRINT_CACHE_DIR": tmp})
        print("cold build of the lit views (s):", result["cold_build_s"])
    _run_child(args.plates, False, env)  # the lit views on disk before anything is timed
    timed = _run_child(args.plates, False, env)
    traced = _run_child(args.plates, True, env)
    result.update(timed=timed, traced=traced)
    result["gauge_after"] = gauge()
    result["reference_after_s"] = reference_s()

    first, second = timed["plate_0"], timed["plate_1"]
    base = timed["drawn"]
    print(f"\nmockups of {second['slug']} (warm worker, one thread): {second['cpu_s']:.2f} CPU-s "
          f"in all; the worker's first plate ({first['slug']}): {first['cpu_s']:.2f} CPU-s")
    width = max(len(k) for k in second["views_cpu_s"])
    for view, cpu in sorted(second["views_cpu_s"].items(), key=lambda kv: -kv[1]):
        print(f"  {view:<{width}}  {cpu:6.3f}")
    print("\nresident memory, MiB (peak VmHWM; now private RssAnon + mapped RssFile):")
    for label, st in (("plates drawn", base), (f"after {first['slug']}", first["status"]),
                      (f"after {second['slug']}", second["status"])):
        print(f"  {label:<28} peak {st['VmHWM']:7.1f}  anon {st['RssAnon']:7.1f}  "
              f"file {st['RssFile']:7.1f}")
    peak = second["status"]["VmHWM"] - base["VmRSS"]
    print(f"  mockups' share of the peak: {peak:.0f} MiB")
    t1 = traced["plate_1"]
    print(f"numpy arrays (tracemalloc): kept between plates {t1['traced_held_after_plate_mib']}"
          f" MiB; peak while rendering {t1['slug']} {t1['traced_peak_mib']} MiB")
    print(f"machine after: {result['gauge_after']}; reference "
          f"{result['reference_after_s']:.2f} s")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "mockup.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
