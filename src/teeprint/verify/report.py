"""``teeprint verify`` over many plates: per-plate reports, then the archive gates.

Plates are verified in worker processes (one per core) when there are several; each worker
returns its report, the figure's perceptual hash and the digest of its arrays, so the
near-duplicate gate needs no second rendering.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from teeprint.verify import PlateReport, verify_plate

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Specimen
    from teeprint.verify.likeness import Pair


@dataclass
class PlateResult:
    """One plate's report with what the archive gates need."""

    report: PlateReport
    figure_hash: bytes
    data_digest: str
    seconds: float


@dataclass
class VerifyResult:
    """Every plate's report, the closest figure pairs and the gate's verdicts."""

    plates: list[PlateResult]
    closest: list[Pair] = field(default_factory=list)
    duplicates: list[Pair] = field(default_factory=list)
    same_data: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every plate passes and no pair is a near-duplicate or plots the same data."""
        return (all(p.report.ok for p in self.plates) and not self.duplicates
                and not self.same_data)

    def to_json(self) -> dict[str, Any]:
        """The whole verification as plain data."""
        from teeprint.verify.likeness import FAIL_BITS, REVIEW_BITS

        return {
            "ok": self.ok,
            "plates": [{**p.report.to_json(), "seconds": round(p.seconds, 3)} for p in self.plates],
            "near_duplicates": {
                "fail_below_bits": FAIL_BITS, "review_below_bits": REVIEW_BITS,
                "failing": [pair.to_json() for pair in self.duplicates],
                "closest": [pair.to_json() for pair in self.closest],
            },
            "same_data": [list(p) for p in self.same_data],
        }

    def lines(self) -> list[str]:
        """A human report: every claim with its measured value, then the gates."""
        from teeprint.verify.likeness import FAIL_BITS, REVIEW_BITS

        out: list[str] = []
        for p in self.plates:
            r = p.report
            out.append(f"{'ok  ' if r.ok else 'FAIL'} {r.slug}  ({p.seconds:.2f} s)")
            for c in r.claims:
                mark = "holds" if c.holds else "FAILS"
                seeds = f"  [{c.seeds_held}/{c.seeds_run} seeds]" if c.seeds_run else ""
                vals = ", ".join(f"{e} = {v}" for e, v in c.measured[:3])
                out.append(f"      {mark}: {c.says}{seeds}")
                if vals:
                    out.append(f"             {vals}")
                if c.error:
                    out.append(f"             error: {c.error}")
            for problem in r.problems:
                out.append(f"      problem: {problem}")
        if len(self.plates) > 1:
            out.append(f"near-duplicate gate (figure pHash, 256 bits; fail < {FAIL_BITS}, "
                       f"review < {REVIEW_BITS}):")
            for pair in self.closest[:10]:
                verdict = ("FAIL" if pair.bits < FAIL_BITS else
                           "review" if pair.bits < REVIEW_BITS else "ok")
                out.append(f"      {pair.bits:3d} bits  {pair.a} ~ {pair.b}  {verdict}")
            for a, b in self.same_data:
                out.append(f"      FAIL: {a} and {b} plot identical arrays")
        bad = sum(not p.report.ok for p in self.plates)
        claims = sum(len(p.report.claims) for p in self.plates)
        out.append(f"{len(self.plates)} plates, {claims} claims: "
                   f"{len(self.plates) - bad} pass, {bad} fail"
                   + (f"; {len(self.duplicates)} near-duplicate pairs" if self.duplicates else ""))
        return out


_WORKER: dict[str, Any] = {}


def _init(args: tuple[Path | None, Path | None, Path | None]) -> None:
    from teeprint.catalog import Catalog
    from teeprint.runtime import configure_process

    configure_process()
    _WORKER["catalog"] = Catalog.load(*args)


def _one(slug: str, seeds: bool) -> PlateResult:
    return verify_one(_WORKER["catalog"], _WORKER["catalog"].specimen(slug), seeds)


def verify_one(catalog: Catalog, spec: Specimen, seeds: bool = True) -> PlateResult:
    """Verify one plate and hash its figure."""
    from teeprint.errors import TeeprintError
    from teeprint.verify.likeness import data_digest, figure_hash

    start = time.perf_counter()
    try:
        report, plate, figure = verify_plate(catalog, spec, seeds=seeds)
    except TeeprintError as exc:
        return PlateResult(PlateReport(spec.slug, problems=[str(exc)]), b"", "",
                           time.perf_counter() - start)
    except Exception as exc:  # a crash in one recipe or motif fails that plate, not the run
        where = f"{type(exc).__name__}: {exc}"
        return PlateResult(PlateReport(spec.slug, problems=[f"crashed while drawing: {where}"]),
                           b"", "", time.perf_counter() - start)
    return PlateResult(report, figure_hash(figure), data_digest(plate.data, spec.motif.params),
                       time.perf_counter() - start)


def verify_many(catalog: Catalog, specs: Sequence[Specimen], *, seeds: bool = True,
                progress: Callable[[str], None] | None = None, jobs: int | None = None,
                broken: Sequence[tuple[str, str]] = ()) -> VerifyResult:
    """Verify the plates (in parallel when there are several) and run the archive gates;
    ``broken`` design files (slug, error) are reported as failing plates."""
    from teeprint.verify.likeness import compare

    jobs = jobs or max(1, min(len(specs), os.cpu_count() or 1))
    results: list[PlateResult] = []
    if jobs <= 1 or len(specs) <= 2:
        for spec in specs:
            results.append(verify_one(catalog, spec, seeds))
            if progress:
                progress(f"verified {spec.slug}")
    else:
        args = (catalog.settings_path, catalog.designs_dir, catalog.palettes_dir)
        with ProcessPoolExecutor(jobs, initializer=_init, initargs=(args,)) as pool:
            futures = [pool.submit(_one, s.slug, seeds) for s in specs]
            for spec, fut in zip(specs, futures, strict=True):
                results.append(fut.result())
                if progress:
                    progress(f"verified {spec.slug}")
    closest, duplicates, same = compare([(r.report.slug, r.figure_hash, r.data_digest)
                                         for r in results if r.figure_hash])
    failed = [PlateResult(PlateReport(slug, problems=[error]), b"", "", 0.0) for slug, error in broken]
    return VerifyResult(failed + results, closest, duplicates, same)
