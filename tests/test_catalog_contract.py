"""Contract over the whole archive: every specimen renders, deterministically, inside its panel,
with its colourways' inks only, and legibly at print scale."""

from __future__ import annotations

import re

import numpy as np
import pytest

from teeprint import motifs, pipeline, recipes
from teeprint.artwork import to_svg
from teeprint.catalog import Catalog
from teeprint.motifs.style import HAIR_PT, MIN_PRINT_SCALE
from teeprint.plate import FIGURE_BOX
from teeprint.raster import rasterize

from .conftest import REPO

SLUGS = [s.slug for s in Catalog.load(REPO / "shop.toml").specimens()]


@pytest.fixture(scope="module")
def drawn(catalog):
    cache: dict[str, pipeline.Plate] = {}

    def get(slug: str) -> pipeline.Plate:
        if slug not in cache:
            cache[slug] = pipeline.draw_plate(catalog, catalog.specimen(slug))
        return cache[slug]

    return get


def test_archive_has_unique_plates_and_slugs(catalog):
    specs = catalog.specimens()
    assert len({s.plate for s in specs}) == len(specs)
    assert len({s.slug for s in specs}) == len(specs)


@pytest.mark.parametrize("slug", SLUGS)
def test_specimen_contract(catalog, drawn, slug):
    spec = catalog.specimen(slug)
    plate = drawn(slug)
    art = plate.artwork

    # Deterministic: a fresh computation gives the same data and the same master.
    again = pipeline.draw_plate(catalog, spec)
    assert again.data.to_json() == plate.data.to_json()

    # The figure stays inside its panel; the whole plate inside the artboard.
    ts = pipeline.typesetter(catalog)
    figure = motifs.draw(spec, recipes.run(spec), FIGURE_BOX, ts)
    assert figure, "the motif drew nothing"
    for s in figure:
        x0, y0, x1, y1 = s.bbox
        assert x0 >= FIGURE_BOX.x - 0.5 and y0 >= FIGURE_BOX.y - 0.5, (s.label, s.bbox)
        assert x1 <= FIGURE_BOX.right + 0.5 and y1 <= FIGURE_BOX.bottom + 0.5, (s.label, s.bbox)
    x0, y0, x1, y1 = art.bbox()
    assert x0 >= 0 and y0 >= 0 and x1 <= art.width_pt and y1 <= art.height_pt

    # Legible at the smallest print scale: lines and type above the screen-print minimums.
    for s in art.shapes:
        if s.paint == "stroke":
            assert s.width_pt * MIN_PRINT_SCALE >= 0.5 and s.width_pt >= HAIR_PT - 1e-9, s.label
        if s.text_pt is not None:
            assert s.text_pt * MIN_PRINT_SCALE >= 8.0, (s.label, s.text_pt)
        assert s.role in ("ink", "accent"), s.role

    for cw_id in spec.colorways:
        cw = catalog.colorway(cw_id)
        svg = to_svg(art, cw)
        assert svg == to_svg(again.artwork, cw)
        # Only the colourway's inks (solid or as tints mixed against the garment) appear.
        allowed = {cw.tint_hex(ink.id, s.tint) for s in art.shapes
                   for ink in [cw.ink_for(s.role)]}
        used = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', svg))
        assert used <= allowed
        assert "<text" not in svg
        # Not blank and not a solid box: something printable, with air around it.
        rgba = rasterize(svg, 270, 324)
        inked = np.count_nonzero(rgba[..., 3]) / rgba[..., 3].size
        assert 0.03 < inked < 0.6, inked


@pytest.mark.parametrize("slug", SLUGS)
def test_figure_data_has_provenance(catalog, slug):
    import json

    spec = catalog.specimen(slug)
    payload = json.loads(recipes.run(spec).to_json())
    prov = payload["provenance"]
    assert prov["specimen"] == slug and prov["seed"] == spec.seed
    assert prov["honesty"] == spec.honesty and prov["reference"]
    assert payload["arrays"], "a figure is made of named arrays"
