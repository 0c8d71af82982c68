"""Spec parsing, colour maths and scales, including property tests over their bounds."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teeprint.artwork import PathBuilder, fmt
from teeprint.catalog import Colorway, Specimen, hex_rgb, mix_hex, roman
from teeprint.errors import TeeprintError
from teeprint.motifs.axes import Scale

from .conftest import REPO

BASE = tomllib.loads((REPO / "designs" / "double-descent.toml").read_text())


@settings(max_examples=60, deadline=None)
@given(plate=st.integers(-5, 12000), seed=st.integers(-3, 2**33),
       honesty=st.sampled_from(["computed", "closed-form", "hand-wired", "schematic", "guess"]))
def test_specimen_bounds(plate, seed, honesty):
    data = {**BASE, "plate": plate, "seed": seed, "honesty": honesty}
    ok = 1 <= plate <= 9999 and 0 <= seed <= 2**32 - 1 and honesty != "guess"
    if ok:
        assert Specimen.model_validate(data).plate == plate
    else:
        with pytest.raises(ValueError):
            Specimen.model_validate(data)


@settings(max_examples=60, deadline=None)
@given(slug=st.text(alphabet="abcdefghij-0123 _A", min_size=0, max_size=20))
def test_slug_grammar(slug):
    import re

    data = {**BASE, "slug": slug}
    valid = bool(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug))
    if valid:
        assert Specimen.model_validate(data).slug == slug
    else:
        with pytest.raises(ValueError):
            Specimen.model_validate(data)


def test_colorway_roles_must_name_inks():
    data = tomllib.loads((REPO / "palettes" / "ecru.toml").read_text())
    data["roles"] = {"ink": "sepia-black", "accent": "gold"}
    with pytest.raises(ValueError, match="role 'accent' names ink 'gold'"):
        Colorway.model_validate(data)


@given(t=st.floats(0, 1), ink=st.sampled_from(["#231e1b", "#b8391f", "#e6dcc8"]),
       ground=st.sampled_from(["#e7d4c0", "#0c0c0c"]))
def test_tint_mix_lies_between_ink_and_ground(t, ink, ground):
    mixed = hex_rgb(mix_hex(ink, ground, t))
    for m, a, b in zip(mixed, hex_rgb(ink), hex_rgb(ground), strict=True):
        assert min(a, b) - 1 <= m <= max(a, b) + 1
    assert mix_hex(ink, ground, 1.0) == ink
    assert mix_hex(ink, ground, 0.0) == ground


@given(n=st.integers(1, 3999))
def test_roman_round_trips(n):
    values = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
    text = roman(n)
    total = sum(-values[c] if i + 1 < len(text) and values[c] < values[text[i + 1]] else values[c]
                for i, c in enumerate(text))
    assert total == n


@given(lo=st.floats(1e-3, 1e3), span=st.floats(1.5, 1e4), log=st.booleans())
def test_scale_ticks_inside_range_and_monotone(lo, span, log):
    hi = lo * span if log else lo + span
    s = Scale(lo, hi, 0.0, 100.0, log)
    ticks = s.ticks()
    values = [v for v, _ in ticks]
    assert values == sorted(values)
    assert all(lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9) for v in values)
    assert float(s(lo)) == pytest.approx(0.0, abs=1e-6)
    assert float(s(hi)) == pytest.approx(100.0, abs=1e-6)


@given(v=st.floats(-1e5, 1e5))
def test_fmt_is_compact_and_close(v):
    text = fmt(v)
    assert abs(float(text) - v) <= 0.005 + 1e-9
    assert text != "-0" and not text.endswith(".")


@given(values=st.lists(st.floats(-1e5, 1e5), min_size=2, max_size=40).filter(
    lambda v: len(v) % 2 == 0))
def test_a_whole_path_is_formatted_as_fmt_formats_each_number(values):
    from teeprint.artwork import format_numbers

    template = "M" + "L".join(["%.2f %.2f"] * (len(values) // 2)) + "Z"
    expected = "M" + "L".join(f"{fmt(x)} {fmt(y)}" for x, y in zip(
        values[::2], values[1::2], strict=True)) + "Z"
    assert format_numbers(template, values) == expected


def test_a_non_finite_coordinate_never_reaches_a_path():
    from teeprint.artwork import format_numbers

    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="non-finite"):
            format_numbers("M%.2f %.2f", [1.0, bad])


def test_quadratic_becomes_exact_cubic():
    p = PathBuilder().move(0, 0).quad(3, 6, 6, 0)
    assert p.d() == "M0 0C2 4 4 4 6 0"


def test_unknown_colourway_in_design_is_reported(tmp_path):
    from teeprint.catalog import Catalog

    designs = tmp_path / "d"
    designs.mkdir()
    text = (REPO / "designs" / "double-descent.toml").read_text()
    (designs / "double-descent.toml").write_text(text.replace('["ecru", "black"]', '["ecru", "gold"]'))
    cat = Catalog.load(REPO / "shop.toml", designs, REPO / "palettes")
    with pytest.raises(TeeprintError, match="key 'colorways': unknown colourway 'gold'"):
        cat.specimen("double-descent")


def test_one_specimen_is_read_alone_and_archive_rules_hold_when_listed(tmp_path):
    """Rendering one specimen reads only its file; listing the archive still checks every
    file and the rules across them."""
    from teeprint.catalog import Catalog

    designs = tmp_path / "d"
    designs.mkdir()
    text = (REPO / "designs" / "double-descent.toml").read_text()
    (designs / "double-descent.toml").write_text(text)
    (designs / "twin.toml").write_text(text.replace('slug = "double-descent"', 'slug = "twin"'))
    (designs / "broken.toml").write_text("slug = \n")
    cat = Catalog.load(REPO / "shop.toml", designs, REPO / "palettes")
    assert cat.specimen("double-descent").slug == "double-descent"
    assert cat.specimen("double-descent") is cat.specimen("double-descent")
    with pytest.raises(TeeprintError, match="broken.toml"):
        cat.specimens()
    (designs / "broken.toml").unlink()
    cat = Catalog.load(REPO / "shop.toml", designs, REPO / "palettes")
    with pytest.raises(TeeprintError, match="plate numbers are unique"):
        cat.specimens()
    (designs / "twin.toml").write_text(text.replace('slug = "double-descent"', 'slug = "twin"')
                                       .replace("plate = 1\n", "plate = 2\n"))
    cat = Catalog.load(REPO / "shop.toml", designs, REPO / "palettes")
    with pytest.raises(TeeprintError, match="unknown specimen '../d/twin'"):
        cat.specimen("../d/twin")  # a slug is never a path
    assert [s.slug for s in cat.specimens()] == ["double-descent", "twin"]
