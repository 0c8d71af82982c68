"""Benchmark verification at archive scale: what ``teeprint verify --all`` and the contract
test cost, per plate and per recipe.

    python benchmarks/bench_verify.py [--family ID] [--repeat 3] [--top 20]

For every plate it times the recipe at the plate's seed (best of ``--repeat``, one core, in
this process) and the whole per-plate verification (claims at the plate seed and the 10
verification seeds, determinism, text and layout checks); then the whole archive verified in
two processes as the test suite does.  It prints the slowest recipes, the per-plate cost by
honesty class, the extrapolation to 640 plates, and a machine gauge (a fixed pure-Python loop)
before and after, because this machine's speed drifts.  Results go to
``benchmarks/results/bench_verify.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def gauge() -> float:
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--family")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()

    from teeprint import recipes
    from teeprint.catalog import Catalog
    from teeprint.runtime import configure_process
    from teeprint.verify.report import verify_many, verify_one

    configure_process()
    cat = Catalog.load(REPO / "shop.toml")
    specs = cat.specimens(family=args.family)
    before = gauge()
    recipe_s: dict[str, float] = {}
    verify_s: dict[str, float] = {}
    for spec in specs:
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            recipes.run(spec)
            runs.append(time.perf_counter() - t0)
        recipe_s[spec.slug] = min(runs)
        verify_s[spec.slug] = verify_one(cat, spec).seconds
    t0 = time.perf_counter()
    result = verify_many(cat, specs, jobs=2)
    archive_wall = time.perf_counter() - t0
    after = gauge()

    by_class: dict[str, list[float]] = {}
    for spec in specs:
        by_class.setdefault(spec.honesty, []).append(verify_s[spec.slug])
    slowest = sorted(recipe_s.items(), key=lambda kv: -kv[1])[: args.top]
    per_plate = archive_wall / len(specs)
    report = {
        "plates": len(specs),
        "gauge_s": {"before": round(before, 3), "after": round(after, 3)},
        "archive_verify_wall_s_2_processes": round(archive_wall, 1),
        "per_plate_wall_s": round(per_plate, 3),
        "extrapolated_640_s": round(per_plate * 640, 0),
        "verify_one_s_by_honesty": {k: {"n": len(v), "median": round(statistics.median(v), 3),
                                        "max": round(max(v), 3)} for k, v in by_class.items()},
        "recipe_s_total_one_core": round(sum(recipe_s.values()), 2),
        "slowest_recipes_s": {k: round(v, 3) for k, v in slowest},
        "all_pass": result.ok,
    }
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_verify.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
