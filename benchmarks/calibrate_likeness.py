"""Calibrate the near-duplicate gate on the archive as it stands.

    python benchmarks/calibrate_likeness.py [--family ID] [--sample 80]

Hashes every plate's figure at its own seed, and a sample of computed plates again at another
seed.  Prints the distribution of distances between *different* plates (the closest pairs,
percentiles) and between *the same plate at two seeds* (how far a reseed moves a figure), which
is what the failing threshold in ``teeprint.verify.likeness`` must sit below.  Results go to
``benchmarks/results/calibrate_likeness.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--family")
    ap.add_argument("--sample", type=int, default=80)
    args = ap.parse_args()

    from teeprint import motifs, pipeline, recipes
    from teeprint.catalog import Catalog
    from teeprint.plate import FIGURE_BOX
    from teeprint.verify.likeness import FAIL_BITS, REVIEW_BITS, distances, figure_hash

    cat = Catalog.load(REPO / "shop.toml")
    ts = pipeline.typesetter(cat)
    specs = cat.specimens(family=args.family)

    def fig_hash(spec, seed=None):
        return figure_hash(motifs.draw(spec, recipes.run(spec, seed), FIGURE_BOX, ts))

    hashes = [fig_hash(s) for s in specs]
    d = distances(hashes)
    iu, ju = np.triu_indices(len(specs), 1)
    between = d[iu, ju]
    order = np.argsort(between)
    computed = [i for i, s in enumerate(specs) if s.honesty == "computed"]
    step = max(1, len(computed) // args.sample)
    reseed = [(specs[i].slug, int(distances([hashes[i], fig_hash(specs[i], 101)])[0, 1]))
              for i in computed[::step]]
    moves = np.array([m for _, m in reseed])
    report = {
        "plates": len(specs),
        "fail_bits": FAIL_BITS, "review_bits": REVIEW_BITS,
        "different_plates": {"min": int(between.min()), "p1": float(np.percentile(between, 1)),
                             "p5": float(np.percentile(between, 5)),
                             "median": float(np.median(between)),
                             "closest": [(int(between[k]), specs[iu[k]].slug, specs[ju[k]].slug)
                                         for k in order[:25]],
                             "below_fail": int((between < FAIL_BITS).sum()),
                             "below_review": int((between < REVIEW_BITS).sum())},
        "same_plate_reseeded": {"n": len(reseed), "min": int(moves.min()) if len(moves) else None,
                                "median": float(np.median(moves)) if len(moves) else None,
                                "max": int(moves.max()) if len(moves) else None,
                                "smallest": sorted(reseed, key=lambda kv: kv[1])[:10]},
    }
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibrate_likeness.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
