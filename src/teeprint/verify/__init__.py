"""Verification: every plate carries its own proof.

* :mod:`teeprint.verify.claims` — the claim language, evaluated on the figure's named arrays;
* :mod:`teeprint.verify.text` — labels that collide with each other or cross strokes;
* :mod:`teeprint.verify.likeness` — near-duplicate figures across the archive (perceptual hash)
  and plates that plot identical arrays.

:func:`check_claims` runs a specimen's claims at its own seed and, for computed figures, at the
fixed :data:`SEEDS`: a computed claim must hold at the plate's seed and at no fewer than
:data:`MIN_SEEDS` of the others, because a figure that holds for one lucky seed is not the
phenomenon.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from teeprint.verify.claims import ClaimError, evaluate

if TYPE_CHECKING:
    from teeprint.catalog import Specimen
    from teeprint.recipes import FigureData

#: The verification seeds every computed plate is re-run at (fixed, so reports repeat).
SEEDS: tuple[int, ...] = tuple(range(101, 111))
#: How many of :data:`SEEDS` a computed claim must hold at.
MIN_SEEDS = 8


@dataclass
class ClaimResult:
    """One claim's verdict: measured at the plate's seed, and how many other seeds agree."""

    says: str
    check: str
    holds_at_plate: bool
    measured: list[tuple[str, Any]]
    seeds_held: int
    seeds_run: int
    error: str = ""

    @property
    def holds(self) -> bool:
        """True when the claim holds at the plate's seed and at enough of the others."""
        if self.error:
            return False
        return self.holds_at_plate and (self.seeds_run == 0 or self.seeds_held >= min(
            MIN_SEEDS, self.seeds_run))

    def to_json(self) -> dict[str, Any]:
        """The verdict as plain data."""
        return {"says": self.says, "check": self.check, "holds": self.holds,
                "holds_at_plate_seed": self.holds_at_plate,
                "measured": [{"expr": e, "value": v} for e, v in self.measured],
                "seeds_held": self.seeds_held, "seeds_run": self.seeds_run,
                **({"error": self.error} if self.error else {})}


@dataclass
class PlateReport:
    """Everything ``verify`` found about one plate."""

    slug: str
    claims: list[ClaimResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every claim holds and no other problem was found."""
        return not self.problems and all(c.holds for c in self.claims)

    def to_json(self) -> dict[str, Any]:
        """The report as plain data."""
        return {"slug": self.slug, "ok": self.ok, "claims": [c.to_json() for c in self.claims],
                "problems": list(self.problems)}


def seeds_for(spec: Specimen) -> tuple[int, ...]:
    """The extra seeds a plate's claims are re-checked at: none unless the figure is computed."""
    return SEEDS if spec.honesty == "computed" else ()


def check_claims(spec: Specimen, data: FigureData,
                 run: Callable[[Specimen, int], FigureData]) -> list[ClaimResult]:
    """Evaluate every claim at the plate's seed (on ``data``) and at :func:`seeds_for` seeds
    (each computed once with ``run(spec, seed)`` and shared by all the claims)."""
    results: list[ClaimResult] = []
    if not spec.claims:
        return results
    plate_arrays = data.arrays
    wants_seeds = any(c.seeds == "all" for c in spec.claims)
    others = [run(spec, s).arrays for s in seeds_for(spec) if s != spec.seed] if wants_seeds else []
    for claim in spec.claims:
        try:
            at_plate = evaluate(claim.check, plate_arrays)
            held = 0
            pool = others if claim.seeds == "all" else []
            for arrays in pool:
                held += evaluate(claim.check, arrays).holds
            results.append(ClaimResult(claim.says, claim.check, at_plate.holds, at_plate.measured,
                                       held, len(pool)))
        except ClaimError as exc:
            results.append(ClaimResult(claim.says, claim.check, False, [], 0, 0, str(exc)))
    return results


def verify_plate(catalog: Any, spec: Specimen, *,
                 seeds: bool = True) -> tuple[PlateReport, Any, list[Any]]:
    """Draw a plate and check it: its claims (at several seeds unless ``seeds`` is False) and
    its figure's text.  Returns the report, the drawn plate and the figure's shapes (for the
    archive gates)."""
    from teeprint import motifs, pipeline, recipes
    from teeprint.plate import FIGURE_BOX, compose
    from teeprint.verify.text import text_problems

    report = PlateReport(spec.slug)
    data = recipes.run(spec)
    ts = pipeline.typesetter(catalog)
    figure = motifs.draw(spec, data, FIGURE_BOX, ts)
    plate = pipeline.Plate(spec, data, compose(spec, figure, data, catalog.settings, ts))
    report.claims = check_claims(spec, data, recipes.run if seeds else (lambda s, seed: data))
    if not seeds:
        for c in report.claims:
            c.seeds_run = c.seeds_held = 0
    if not spec.claims:
        report.problems.append("declares no claims: every plate states what its figure shows")
    report.problems.extend(text_problems(figure))
    return report, plate, figure
