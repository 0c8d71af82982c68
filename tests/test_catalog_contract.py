"""Contract over the whole archive, through ``teeprint verify``.

The archive is verified once per session, in two worker processes (the work every per-plate
test shares): each plate's claims at its seed and at the verification seeds, determinism,
seed dependence of computed figures, labels against strokes, the figure inside its panel,
preflight's vector rules in every colourway, ink coverage; then the near-duplicate gate over
all plates.  Each plate is one test, so a failure names the plate and what broke.
"""

from __future__ import annotations

import json

import pytest

from teeprint.catalog import FAMILIES, Catalog
from teeprint.verify import SEEDS

from .conftest import REPO

SPECS = Catalog.load(REPO / "shop.toml").specimens()
SLUGS = [s.slug for s in SPECS]


@pytest.fixture(scope="session")
def verified(catalog):
    """Every plate verified once (two processes), with the archive gates."""
    from teeprint.verify.report import verify_many

    result = verify_many(catalog, catalog.specimens(), jobs=2)
    return result, {p.report.slug: p for p in result.plates}


def test_archive_has_unique_plates_and_slugs(catalog):
    specs = catalog.specimens()
    assert len({s.plate for s in specs}) == len(specs)
    assert len({s.slug for s in specs}) == len(specs)


def test_plate_numbers_are_ordered_by_family(catalog):
    order = list(FAMILIES)
    specs = catalog.specimens()
    by_plate = [order.index(s.family) for s in specs]
    assert by_plate == sorted(by_plate), "plate numbers follow the family order"


@pytest.mark.parametrize("slug", SLUGS)
def test_plate_verifies(verified, slug):
    _, plates = verified
    report = plates[slug].report
    failing = [c.to_json() for c in report.claims if not c.holds]
    assert not failing, json.dumps(failing, indent=1, ensure_ascii=False)
    assert not report.problems, report.problems
    assert report.claims, "every plate declares claims"


@pytest.mark.parametrize("slug", [s.slug for s in SPECS if s.honesty == "computed"])
def test_computed_claims_were_run_at_other_seeds(verified, slug):
    report = verified[1][slug].report
    assert any(c.seeds_run == len(SEEDS) for c in report.claims if c.check), \
        "a computed plate's claims are checked at the verification seeds"


def test_no_near_duplicates_and_no_shared_data(verified):
    result, _ = verified
    assert not result.same_data, result.same_data
    assert not result.duplicates, [p.to_json() for p in result.duplicates]


def test_figure_data_carries_the_seed_it_was_run_at(catalog):
    from teeprint import recipes

    spec = catalog.specimen("double-descent")
    at_plate = json.loads(recipes.run(spec).to_json())
    at_seven = json.loads(recipes.run(spec, 7).to_json())
    assert at_plate["provenance"]["seed"] == 0 and at_seven["provenance"]["seed"] == 7
    assert at_plate["arrays"]["test_error"] != at_seven["arrays"]["test_error"]
    assert at_plate["provenance"]["reference"] == "Belkin et al. 2019, PNAS"
