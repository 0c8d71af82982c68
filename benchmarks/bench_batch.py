"""Benchmark the batch: the whole archive on N cores from scratch, then a no-op rebuild.

    python benchmarks/bench_batch.py [--jobs 2] [--out DIR] [--only KIND ...]

Runs the real command line (``teeprint batch --all``) in a subprocess, so start-up, the process
pool and the disk are all in the numbers.  Prints wall seconds in total and per specimen and the
machine's load average before and after (other work on the machine slows the figures down), and
writes them to ``benchmarks/results/bench_batch.json``.  Aims: under 1.5 s wall per specimen on
2 cores; a no-op rebuild of the whole archive under 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_batch(out: Path, jobs: int, only: list[str]) -> tuple[float, dict[str, int], str]:
    cmd = [sys.executable, "-m", "teeprint", "--config", str(REPO / "shop.toml"), "batch", "--all",
           "--out", str(out), "--jobs", str(jobs)]
    for kind in only:
        cmd += ["--only", kind]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - start
    m = re.search(r"batch: (\d+) rendered, (\d+) skipped, (\d+) failed", proc.stderr)
    if not m:
        sys.exit(f"batch did not finish:\n{proc.stderr}")
    counts = {"rendered": int(m[1]), "skipped": int(m[2]), "failed": int(m[3])}
    return wall, counts, proc.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: a temporary one)")
    ap.add_argument("--only", action="append", default=[], help="limit to these output kinds")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    load_before = os.getloadavg()
    cold_s, cold, cold_err = run_batch(out, args.jobs, args.only)
    noop_s, noop, _ = run_batch(out, args.jobs, args.only)
    load_after = os.getloadavg()
    n = sum(cold.values())
    rendered = max(cold["rendered"], 1)
    result = {
        "specimens": n, "jobs": args.jobs, "cores": os.cpu_count(), "only": args.only,
        "cold": {"wall_s": round(cold_s, 2), "per_specimen_s": round(cold_s / rendered, 2), **cold},
        "noop": {"wall_s": round(noop_s, 2), "per_specimen_s": round(noop_s / max(n, 1), 3), **noop},
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "out": str(out),
    }
    failed = [ln for ln in cold_err.splitlines() if ln.startswith("teeprint: error: ") and ": " in ln[17:]]
    if failed:
        result["failures"] = failed[:-1]
    print(f"batch of {n} specimens on {args.jobs} processes ({os.cpu_count()} cores)")
    print(f"  from scratch: {cold_s:7.2f} s wall, {cold_s / rendered:.2f} s per rendered specimen "
          f"({cold['rendered']} rendered, {cold['failed']} failed)")
    print(f"  no-op:        {noop_s:7.2f} s wall ({noop['skipped']} skipped, {noop['rendered']} rendered)")
    print(f"  load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    results = REPO / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "bench_batch.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
