"""The yardsticks every benchmark reads its figures against.

A shared cloud machine's speed drifts by a factor of two within an hour, so a bare number of
seconds says little.  Each benchmark takes, in the same run:

* the **gauge**: seconds for a fixed pure-Python loop and GB/s of large array copies (what the
  machine gives one core right now, for interpreter work and for memory traffic);
* the **reference**: ``rsvg-convert`` rasterising a fixed SVG (the double-descent master) to
  4500 x 5400 as a whole process, the same work a print PNG is; every timed figure is also
  printed as a ratio to it, which stays put when the machine slows down.

``python benchmarks/machine.py`` prints both.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gauge() -> dict[str, float]:
    """Pure-Python loop seconds, GB/s of fresh memory (pages the kernel hands out for the
    first time), array-copy GB/s between pages already touched, and the 1-minute load average.

    Fresh memory is the figure that drifts most: on a virtual machine whose free pages go back
    to the host, a page touched for the first time can cost as much as copying 30 (0.13 GB/s
    against 4-8 GB/s measured on this machine), so a render that holds more memory is slower.
    """
    import mmap

    import numpy as np

    t0 = time.perf_counter()
    sum(i % 7 for i in range(3_000_000))
    python_s = time.perf_counter() - t0
    fresh = mmap.mmap(-1, 256 << 20)
    t0 = time.perf_counter()
    np.frombuffer(fresh, np.uint8)[::4096] = 1  # one write a page: the kernel supplies each
    fresh_gbps = len(fresh) / (time.perf_counter() - t0) / 1e9
    fresh.close()
    a = np.ones(25_000_000)
    b = np.ones_like(a)
    t0 = time.perf_counter()
    for _ in range(4):
        np.copyto(b, a)
    copy_gbps = 4 * a.nbytes / (time.perf_counter() - t0) / 1e9
    return {"python_loop_s": round(python_s, 3), "fresh_memory_gbps": round(fresh_gbps, 2),
            "copy_gbps": round(copy_gbps, 2), "loadavg_1min": round(os.getloadavg()[0], 2)}


def reference_svg(folder: Path) -> Path:
    """The double-descent master SVG (ecru), written into ``folder``."""
    from teeprint import pipeline
    from teeprint.catalog import Catalog

    cat = Catalog.load(ROOT / "shop.toml")
    plate = pipeline.draw_plate(cat, cat.specimen("double-descent"))
    out = pipeline.master_svg(plate, cat.colorway("ecru"))
    path = folder / "reference.svg"
    path.write_bytes(out.data)
    return path


def reference_s(repeat: int = 3) -> float:
    """Median wall seconds of ``rsvg-convert`` rasterising the reference SVG to 4500 x 5400,
    as a whole process; NaN when rsvg-convert is not installed."""
    exe = shutil.which("rsvg-convert")
    if exe is None:
        return float("nan")
    with tempfile.TemporaryDirectory() as tmp:
        svg = reference_svg(Path(tmp))
        cmd = [exe, "-w", "4500", "-h", "5400", "-f", "png", "-o", str(Path(tmp) / "r.png"),
               str(svg)]
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def bench_env() -> dict[str, str]:
    """The environment for timed subprocesses: bytecode cached, as an installed package has it."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def main() -> None:
    print("gauge     ", gauge())
    print(f"reference  rsvg-convert 4500x5400: {reference_s():.3f} s")


if __name__ == "__main__":
    main()
