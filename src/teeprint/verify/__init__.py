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
    """Draw a plate and check everything about it that needs no print file:

    * its claims, at its seed and (unless ``seeds`` is False) at the verification seeds;
    * that a computed figure depends on its seed and repeats exactly at the same seed;
    * its figure's labels against each other and the strokes (:mod:`teeprint.verify.text`);
    * the figure inside its panel, only the ``ink`` and ``accent`` roles, some ink but not a
      solid block, and the vector print rules of preflight in every colourway.

    Returns the report, the drawn plate and the figure's shapes (for the archive gates).
    """
    from teeprint import motifs, pipeline, recipes
    from teeprint.plate import FIGURE_BOX, compose
    from teeprint.verify.text import text_problems

    report = PlateReport(spec.slug)
    data = recipes.run(spec)
    ts = pipeline.typesetter(catalog)
    figure = motifs.draw(spec, data, FIGURE_BOX, ts)
    plate = pipeline.Plate(spec, data, compose(spec, figure, data, catalog.settings, ts))
    cache: dict[int, FigureData] = {}

    def run(s: Specimen, seed: int) -> FigureData:
        if seed not in cache:
            cache[seed] = recipes.run(s, seed)
        return cache[seed]

    report.claims = check_claims(spec, data, run) if seeds else check_claims(
        spec, data, lambda s, seed: data)
    if not seeds:
        for c in report.claims:
            c.seeds_run = c.seeds_held = 0
    if not spec.claims:
        report.problems.append("declares no claims: every plate states what its figure shows")
    if seeds:
        report.problems.extend(_seed_problems(spec, data, run))
    report.problems.extend(text_problems(figure))
    if ts.missing:
        chars = " ".join(sorted(ts.missing))
        report.problems.append(f"no face has a glyph for {chars}: it prints as an empty box "
                               "(write it another way, or add a font with it under fonts/)")
    report.problems.extend(_layout_problems(catalog, plate, figure))
    return report, plate, figure


def _seed_problems(spec: Specimen, data: FigureData,
                   run: Callable[[Specimen, int], FigureData]) -> list[str]:
    """Same seed, same numbers; and a computed figure must change with its seed."""
    from teeprint import recipes

    out = []
    if recipes.run(spec).to_json() != data.to_json():
        out.append("not deterministic: two runs at the plate's seed give different arrays")
    if spec.honesty == "computed":
        plate_arrays = json_arrays(data)
        if all(json_arrays(run(spec, s)) == plate_arrays for s in SEEDS[:2]):
            out.append("a computed figure that does not change with its seed: honesty should be "
                       "closed-form (or the recipe ignores its generator)")
    return out


def json_arrays(data: FigureData) -> str:
    """The arrays of a figure as canonical JSON (provenance left out)."""
    import json

    return json.dumps(json.loads(data.to_json())["arrays"], sort_keys=True)


def _layout_problems(catalog: Any, plate: Any, figure: list[Any]) -> list[str]:
    """The figure stays in its panel, paints with ink roles only, inks some of the plate but is
    no solid block, and passes preflight's vector rules in every colourway."""
    import numpy as np

    from teeprint.plate import FIGURE_BOX
    from teeprint.preflight import check_plate
    from teeprint.raster import rasterize_artwork

    out: list[str] = []
    box = FIGURE_BOX
    for s in figure:
        x0, y0, x1, y1 = s.bbox
        if x0 < box.x - 0.5 or y0 < box.y - 0.5 or x1 > box.right + 0.5 or y1 > box.bottom + 0.5:
            out.append(f"the figure leaves its panel: {s.label or s.paint} reaches "
                       f"({x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f}) pt")
            break
    roles = {s.role for s in plate.artwork.shapes} - {"ink", "accent"}
    if roles:
        out.append(f"paints with roles {sorted(roles)}; motifs use 'ink' and 'accent' only")
    for cw_id in plate.spec.colorways:
        cw = catalog.colorway(cw_id)
        report = check_plate(plate, cw, catalog.settings.print)
        out.extend(f"preflight {cw_id}: {v.rule}: {v.message}" for v in report.violations
                   if v.severity == "error")
    first = catalog.colorway(plate.spec.colorways[0])
    alpha = rasterize_artwork(plate.artwork, first, 270, 324)[..., 3]
    inked = float(np.count_nonzero(alpha)) / alpha.size
    if not 0.03 < inked < 0.6:
        out.append(f"inks {inked:.0%} of the plate: blank or a solid block (3-60 % expected)")
    return out
