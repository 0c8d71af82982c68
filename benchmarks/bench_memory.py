"""Benchmark a worker's memory over many plates: does it stay flat?

    python benchmarks/bench_memory.py [--plates 100] [--targets separation-pdf film] [--threads 1]

Renders plates spread over the archive one after another in this process, as a batch worker
does (one render thread by default, as each of two workers has on two cores, and the per-plate
caches emptied after each plate), and prints after each plate the anonymous resident memory
(the heap: what the plates' arrays and caches hold; the mockups' memory-mapped scenes are file
pages and not counted there) and the peak resident memory.  The summary gives the growth per
plate, fitted over the second half of the run (the first plates warm the caches and the
allocator's heap).  Results go to ``benchmarks/results/bench_memory.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from machine import ROOT, gauge


def status_mib() -> dict[str, float]:
    """Anonymous and file-backed resident memory now, and the peak resident, in MiB."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


def slope(ys: list[float]) -> float:
    """Least-squares growth per step of ``ys``."""
    import numpy as np

    if len(ys) < 2:
        return 0.0
    return float(np.polyfit(np.arange(len(ys)), ys, 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plates", type=int, default=100)
    ap.add_argument("--targets", nargs="+", default=["separation-pdf", "film"])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    os.environ["TEEPRINT_THREADS"] = str(args.threads)

    from teeprint.runtime import configure_process

    configure_process()
    from bench_batch import slugs_by_plate, spread

    from teeprint import memo, pipeline
    from teeprint.catalog import Catalog

    catalog = Catalog.load(ROOT / "shop.toml", None, None)
    slugs = spread(slugs_by_plate(ROOT / "designs"), args.plates)
    targets = pipeline.default_targets() if args.targets == ["all"] else tuple(args.targets)
    print("machine:", gauge())
    rows = []
    start = time.perf_counter()
    for i, slug in enumerate(slugs):
        spec = catalog.specimen(slug)
        t = time.perf_counter()
        outs = pipeline.render(catalog, spec, catalog.resolve_colorways(spec, []), targets=targets)
        del outs
        memo.forget_plates()
        row = {"slug": slug, "seconds": round(time.perf_counter() - t, 3), **status_mib()}
        rows.append(row)
        print(f"{i + 1:4d} {slug:36s} {row['seconds']:6.2f} s  anon {row['RssAnon']:7.0f} MiB  "
              f"peak {row['VmHWM']:7.0f} MiB", flush=True)
    half = [r["RssAnon"] for r in rows[len(rows) // 2:]]
    summary = {
        "plates": len(rows), "targets": list(targets), "threads": args.threads,
        "wall_s": round(time.perf_counter() - start, 1),
        "anon_first_mib": rows[0]["RssAnon"], "anon_last_mib": rows[-1]["RssAnon"],
        "peak_mib": rows[-1]["VmHWM"],
        "growth_mib_per_plate_second_half": round(slope(half), 2),
    }
    print(json.dumps(summary))
    out = ROOT / "benchmarks" / "results" / "bench_memory.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "plates": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
