"""Benchmark the batch: how its time grows with the archive, the processes and a Dask cluster.

    python benchmarks/bench_batch.py [--sizes 8 32 all] [--jobs 1 2] [--dask] [--full]

Runs the real command line (``teeprint batch ... --json``) in subprocesses, so start-up, the
process pool, the transfer of the outputs and the disk are all in the numbers, with every
default output (print PNGs, spot PDFs, films, preflight, mockups, figure data).

* **Scaling**: batch wall time for each size (8 and 32 plates spread over every family, and the
  whole archive) against ``--jobs`` (1 and 2), and with ``--dask`` the same sizes through
  ``--scheduler`` on a ``LocalCluster`` of 2 single-threaded worker processes.  The whole
  archive on one process takes an hour, so it runs only with ``--full``; its figure is otherwise
  extrapolated from the 32-plate run on one process.
* **Rebuilds** over the whole archive: a no-op (every plate current) and after editing one
  design file (that plate only must be rendered again).
* **Per plate**: wall seconds, the extrapolation to 640 plates, bytes on disk (total, mockups,
  films) and the largest peak resident memory of any worker.

Each time is printed with its ratio to the reference (``rsvg-convert`` rasterising a print PNG,
measured before and after in the same run; see ``machine.py``) and the machine gauge, because
this machine's speed drifts.  Results go to ``benchmarks/results/bench_batch.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from machine import ROOT, bench_env, gauge, reference_s

ARCHIVE_SIZE = 640


def slugs_by_plate(designs: Path) -> list[str]:
    """Every design's slug in plate order."""
    import tomllib

    plates = []
    for path in designs.glob("*.toml"):
        data = tomllib.loads(path.read_text("utf-8"))
        plates.append((int(data["plate"]), path.stem))
    return [slug for _, slug in sorted(plates)]


def spread(slugs: list[str], n: int) -> list[str]:
    """``n`` slugs evenly spread over the plate order, so every family is represented."""
    if n >= len(slugs):
        return list(slugs)
    step = len(slugs) / n
    return [slugs[int(i * step)] for i in range(n)]


def run_batch(out: Path, slugs: list[str] | None, *, jobs: int = 2, scheduler: str | None = None,
              designs: Path | None = None) -> dict[str, Any]:
    """One ``teeprint batch`` run: wall seconds and its JSON summary."""
    cmd = [sys.executable, "-m", "teeprint", "--config", str(ROOT / "shop.toml")]
    if designs is not None:
        cmd += ["--designs", str(designs)]
    cmd += ["batch", "--out", str(out), "--json"]
    cmd += ["--all"] if slugs is None else slugs
    cmd += ["--scheduler", scheduler] if scheduler else ["--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=bench_env())
    wall = time.perf_counter() - start
    try:
        summary = json.loads(proc.stdout)
    except ValueError:
        sys.exit(f"batch did not finish (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    if summary["failed"]:
        bad = [r for r in summary["results"] if r["status"] == "failed"][:5]
        print(f"  warning: {summary['failed']} plates failed, e.g. {bad}", file=sys.stderr)
    return {"wall_s": wall, **{k: summary[k] for k in ("rendered", "skipped", "failed")},
            "peak_worker_mib": summary.get("peak_worker_mib", 0.0),
            "render_s": [r["seconds"] for r in summary["results"] if r["status"] == "rendered"]}


def disk(out: Path) -> dict[str, int]:
    """Bytes under ``out``: all files, mockup JPEGs, films, and the plates counted."""
    total = mockups = films = plates = 0
    for folder in out.iterdir():
        if not folder.is_dir():
            continue
        plates += 1
        for f in folder.iterdir():
            size = f.stat().st_size
            total += size
            if f.suffix == ".jpg":
                mockups += size
            elif "--film-" in f.name:
                films += size
    return {"plates": plates, "total": total, "mockups": mockups, "films": films}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["8", "32", "all"])
    ap.add_argument("--jobs", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--dask", action="store_true", help="also run on a 2-worker LocalCluster")
    ap.add_argument("--full", action="store_true", help="run the whole archive on one process too")
    args = ap.parse_args()

    all_slugs = slugs_by_plate(ROOT / "designs")
    result: dict[str, Any] = {"gauge_before": gauge(), "reference_before_s": reference_s()}
    ref = result["reference_before_s"]
    print(f"machine: {result['gauge_before']}; reference (rsvg-convert 4500x5400): {ref:.2f} s")
    rows: list[dict[str, Any]] = []

    def record(label: str, size: str, n: int, got: dict[str, Any], **extra: Any) -> None:
        per = got["wall_s"] / max(got["rendered"], 1)
        row = {"run": label, "size": size, "plates": n, "wall_s": round(got["wall_s"], 2),
               "per_plate_s": round(per, 3), "per_plate_vs_reference": round(per / ref, 3),
               "peak_worker_mib": got["peak_worker_mib"], **{k: got[k] for k in
                                                             ("rendered", "skipped", "failed")},
               **extra}
        rows.append(row)
        print(f"  {label:<10} {size:>4} plates={n:<4} wall {got['wall_s']:8.1f} s  "
              f"{per:6.2f} s/plate ({per / ref:5.2f} x ref)  peak worker "
              f"{got['peak_worker_mib']:.0f} MiB  rendered {got['rendered']} failed {got['failed']}")

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp_path = Path(tmp)
        for size in args.sizes:
            slugs = None if size == "all" else spread(all_slugs, int(size))
            n = len(all_slugs) if slugs is None else len(slugs)
            for jobs in args.jobs:
                if size == "all" and jobs == 1 and not args.full:
                    continue
                out = tmp_path / f"local-{size}-{jobs}"
                got = run_batch(out, slugs, jobs=jobs)
                record(f"jobs={jobs}", size, n, got)
                if size == "all" and jobs == max(args.jobs):
                    result["disk"] = disk(out)
                    result["render_s_median"] = statistics.median(got["render_s"])
                    noop = run_batch(out, None, jobs=jobs)
                    record("no-op", size, n, noop)
                    designs = tmp_path / "designs"
                    shutil.copytree(ROOT / "designs", designs)
                    target = designs / f"{all_slugs[0]}.toml"
                    target.write_text(target.read_text("utf-8") + "\n# edited\n", "utf-8")
                    edited = run_batch(out, None, jobs=jobs, designs=designs)
                    record("one edit", size, n, edited)
                elif size != "all" or jobs != max(args.jobs):
                    shutil.rmtree(out, ignore_errors=True)
            if args.dask:
                from distributed import LocalCluster

                with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
                    out = tmp_path / f"dask-{size}"
                    got = run_batch(out, slugs, scheduler=cluster.scheduler_address)
                    record("dask 2x1", size, n, got)
                    shutil.rmtree(out, ignore_errors=True)

    result["gauge_after"] = gauge()
    result["reference_after_s"] = reference_s()
    result["runs"] = rows
    one = [r for r in rows if r["run"] == "jobs=1" and r["size"] == "32"]
    two = [r for r in rows if r["run"] == "jobs=2" and r["size"] == "all"]
    if one:
        result["all_on_one_process_extrapolated_s"] = round(one[0]["per_plate_s"] * len(all_slugs), 1)
    if two:
        result["extrapolated_640_s"] = round(two[0]["per_plate_s"] * ARCHIVE_SIZE, 1)
    if "disk" in result:
        d = result["disk"]
        per = d["total"] / max(d["plates"], 1)
        result["bytes_per_plate"] = round(per)
        result["bytes_640"] = round(per * ARCHIVE_SIZE)
        print(f"disk: {per / 1e6:.1f} MB per plate (mockups {d['mockups'] / d['plates'] / 1e6:.1f}, "
              f"films {d['films'] / d['plates'] / 1e6:.1f}), {per * ARCHIVE_SIZE / 1e9:.1f} GB for 640")
    for key in ("all_on_one_process_extrapolated_s", "extrapolated_640_s"):
        if key in result:
            print(f"{key}: {result[key]} s")
    print(f"machine after: {result['gauge_after']}; reference {result['reference_after_s']:.2f} s")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "bench_batch.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
