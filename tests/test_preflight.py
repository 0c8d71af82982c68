"""Preflight: each rule fails on a file that breaks it, and the shipped archive passes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from teeprint import pipeline
from teeprint import preflight as pf
from teeprint.artwork import Artwork, PathBuilder, fill, stroke
from teeprint.catalog import Catalog, PrintSettings
from teeprint.cli import app
from teeprint.raster import encode_png

from .bad_specimen import BAD
from .conftest import REPO

RULES = PrintSettings()


@pytest.fixture(scope="module")
def bad_catalog() -> Catalog:
    return Catalog.load(config=BAD / "shop.toml")


@pytest.fixture(scope="module")
def bad_plate(bad_catalog):
    return pipeline.draw_plate(bad_catalog, bad_catalog.specimen("bad-specimen"))


def rules_of(report: pf.Report, severity: str = "error") -> set[str]:
    return {v.rule for v in report.violations if v.severity == severity}


def test_bad_specimen_fails_with_hairline_and_fine_print(bad_catalog, bad_plate):
    cw = bad_catalog.colorway("ink-on-cream")
    report = pf.check_plate(bad_plate, cw, bad_catalog.settings.print)
    assert not report.ok
    assert rules_of(report) == {"min-line", "min-text"}
    by_rule = {v.rule: v for v in report.errors}
    assert "hairline" in by_rule["min-line"].where
    assert by_rule["min-line"].value == pytest.approx(0.3)
    assert "fine print" in by_rule["min-text"].where
    assert by_rule["min-text"].value == pytest.approx(6.0)


def test_render_writes_a_failing_report_for_the_bad_specimen(bad_catalog):
    spec = bad_catalog.specimen("bad-specimen")
    cws = [bad_catalog.colorway("ink-on-cream")]
    outs = pipeline.render(bad_catalog, spec, cws, targets=("print-png", "preflight"))
    report = json.loads(next(o for o in outs if o.kind == "preflight").data)
    assert report["ok"] is False
    assert {v["rule"] for v in report["violations"] if v["severity"] == "error"} == {"min-line", "min-text"}
    assert "partial-alpha" in report["checks"], "the render's print PNG was checked too"
    assert report["screens"]["plates"] == ["PANTONE Black 6 C", "PANTONE 7620 C"]


def test_preflight_command_exits_1_and_names_both_problems(tmp_path):
    res = CliRunner().invoke(app, ["--config", str(BAD / "shop.toml"), "preflight", "bad-specimen",
                                   "-c", "ink-on-cream", "--no-png", "--json", "--out", str(tmp_path)])
    assert res.exit_code == 1
    reports = json.loads(res.stdout)
    assert {v["rule"] for v in reports[0]["violations"] if v["severity"] == "error"} == {"min-line", "min-text"}
    written = tmp_path / "bad-specimen" / "bad-specimen--ink-on-cream--preflight.json"
    assert json.loads(written.read_text())["ok"] is False


def test_preflight_of_the_bad_specimens_files(bad_catalog, tmp_path):
    spec = bad_catalog.specimen("bad-specimen")
    cws = [bad_catalog.colorway("bone-on-black")]
    outs = pipeline.render(bad_catalog, spec, cws, targets=("master-svg", "separation-pdf"))
    for o in outs:
        (tmp_path / o.path).write_bytes(o.data)
    pdf = pf.check_file(tmp_path / "bad-specimen--bone-on-black--separations.pdf", bad_catalog)
    assert rules_of(pdf) == {"min-line", "min-text"}
    assert pdf.screens == ("Underbase_White", "PANTONE 7527 C", "PANTONE Black 7 C")
    svg = pf.check_file(tmp_path / "bad-specimen--bone-on-black.svg", bad_catalog)
    assert rules_of(svg) == {"min-line"}, "an SVG's outlined type carries no size"
    assert "min-text" in rules_of(svg, "info")


def test_shipped_files_pass(catalog, dd_plate, tmp_path):
    cw = catalog.colorway("black")
    outs = pipeline.render(catalog, dd_plate.spec, [cw],
                           targets=("master-svg", "print-png", "separation-pdf"))
    for o in outs:
        (tmp_path / o.path).write_bytes(o.data)
        report = pf.check_file(tmp_path / o.path, catalog)
        assert report.ok, (o.path, [v.message for v in report.errors])
        assert report.colorway == "black"
    pdf = pf.check_file(tmp_path / "double-descent--black--separations.pdf", catalog)
    assert pdf.facts["text_runs"] > 20, "outlined type is marked with its size in the PDF"


def test_double_descent_passes_with_screens_and_cost(catalog, dd_plate):
    cw = catalog.colorway("black")
    png = pipeline.print_png(dd_plate, cw, "12x16").data
    report = pf.check_plate(dd_plate, cw, catalog.settings.print, print_png=png, png_preset="12x16")
    assert report.ok, [v.message for v in report.errors]
    assert report.scale == pytest.approx(0.8)
    assert report.screens == ("Underbase_White", "PANTONE 7527 C", "PANTONE 7597 C")
    assert report.setup_cost == pytest.approx(3 * catalog.settings.print.screen_fee)
    assert report.facts["print_png"]["dpi"] == 300
    assert json.loads(report.to_json())["screens"]["count"] == 3


def _art(*shapes) -> Artwork:
    return Artwork(1080.0, 1296.0, tuple(shapes), "test")


def test_lines_are_judged_at_the_smallest_print_scale(catalog):
    cw = catalog.colorway("ecru")
    art = _art(stroke(PathBuilder().move(100, 100).line(500, 100), 0.55))
    assert pf.min_print_scale(1080, 1296) == pytest.approx(0.8)
    at_80 = pf.check_artwork(art, cw, RULES, pf.min_print_scale(1080, 1296))
    at_100 = pf.check_artwork(art, cw, RULES, pf.min_print_scale(1080, 1296, "15x18"))
    assert "min-line" in {v.rule for v in at_80}
    assert "min-line" not in {v.rule for v in at_100}


def test_reversed_lines_need_one_point(catalog):
    cw = catalog.colorway("ecru")
    ground = fill(PathBuilder().rect(100, 100, 400, 400))
    knockout = stroke(PathBuilder().move(120, 300).line(480, 300), 1.0, tint=0.0)
    found = {v.rule for v in pf.check_artwork(_art(ground, knockout), cw, RULES, 0.8)}
    assert "min-knockout-line" in found and "min-line" not in found


def test_ink_count_and_print_area(catalog):
    cw = catalog.colorway("ecru").model_copy(update={"max_inks": 1})
    inside_curve = stroke(PathBuilder().move(50, 100).curve(-12, 100, -12, 300, 50, 300), 2.0)
    art = _art(fill(PathBuilder().rect(100, 100, 50, 50)),
               fill(PathBuilder().rect(200, 100, 50, 50), "accent"), inside_curve)
    found = {v.rule for v in pf.check_artwork(art, cw, RULES, 0.8)}
    assert "max-inks" in found
    assert "print-area" not in found, "control points outside do not count, only the curve"
    off = _art(fill(PathBuilder().rect(1050, 100, 60, 50)))
    assert "print-area" in {v.rule for v in pf.check_artwork(off, cw, RULES, 0.8)}
    tiny = _art(fill(PathBuilder().rect(100, 100, 1, 1)))
    assert "tiny-art" in {v.rule for v in pf.check_artwork(tiny, cw, RULES, 0.8)}


def _png(rgba: np.ndarray, dpi: int = 300) -> bytes:
    return encode_png(rgba, dpi)


def _canvas() -> np.ndarray:
    return np.zeros((600, 500, 4), np.uint8)


def test_png_rules_each_fail_on_their_defect(catalog):
    cw = catalog.colorway("ecru")
    ink = [int(cw.inks[0].hex[i:i + 2], 16) for i in (1, 3, 5)]
    good = _canvas()
    good[100:300, 100:300, :3] = ink
    good[100:300, 100:300, 3] = 255
    found, _ = pf.check_png(_png(good), cw, RULES)
    assert not [v for v in found if v.severity == "error"], found

    hazy = good.copy()
    hazy[350:450, 100:300, :3] = ink
    hazy[350:450, 100:300, 3] = 128
    assert "partial-alpha" in {v.rule for v in pf.check_png(_png(hazy), cw, RULES)[0]}

    green = good.copy()
    green[350:450, 100:300] = (0, 200, 0, 255)
    stray = [v for v in pf.check_png(_png(green), cw, RULES)[0] if v.rule == "stray-colour"]
    assert stray and "#00c800" in stray[0].message

    tint = good.copy()
    tint[350:450, 100:300, :3] = [int(cw.tint_hex(cw.inks[0].id, 0.5)[i:i + 2], 16) for i in (1, 3, 5)]
    tint[350:450, 100:300, 3] = 255
    assert "stray-colour" not in {v.rule for v in pf.check_png(_png(tint), cw, RULES)[0]}

    assert "tiny-art" in {v.rule for v in pf.check_png(_png(_canvas()), cw, RULES)[0]}
    assert "png-format" in {v.rule for v in pf.check_png(_png(good, 72), cw, RULES)[0]}
    small_limit = PrintSettings(dtg_max_mb=0.001)
    assert "file-size" in {v.rule for v in pf.check_png(_png(good), cw, small_limit)[0]}


def test_preflight_command_on_files_and_unknown_suffix(catalog, dd_plate, tmp_path):
    cw = catalog.colorway("ecru")
    out = pipeline.master_svg(dd_plate, cw)
    (tmp_path / out.path).write_bytes(out.data)
    res = CliRunner().invoke(app, ["--config", str(REPO / "shop.toml"), "preflight",
                                   str(tmp_path / out.path)])
    assert res.exit_code == 0, res.output
    assert "PASS" in res.stdout
    assert (tmp_path / (out.path + ".preflight.json")).is_file()
    bad = tmp_path / "notes.txt"
    bad.write_text("x")
    res = CliRunner().invoke(app, ["--config", str(REPO / "shop.toml"), "preflight", str(bad)])
    assert res.exit_code == 2


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_colours=st.integers(1, 6), alpha_levels=st.booleans())
def test_flat_colour_census_counts_every_flat_pixel(seed, n_colours, alpha_levels):
    """Run-length counting equals a pixel-by-pixel census of opaque pixels equal to their
    four neighbours."""
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (n_colours, 4)).astype(np.uint8)
    palette[:, 3] = 255
    if alpha_levels:
        palette[0, 3] = rng.integers(0, 255)
    rgba = palette[rng.integers(0, n_colours, (9, 11))].repeat(3, 0).repeat(4, 1)
    colours, counts = pf.flat_colours(np.ascontiguousarray(rgba).view("<u4")[..., 0])
    expect: dict[int, int] = {}
    h, w = rgba.shape[:2]
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            px = rgba[y, x]
            same = all((rgba[y + dy, x + dx] == px).all()
                       for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)))
            if px[3] == 255 and same:
                key = int(px[0]) | int(px[1]) << 8 | int(px[2]) << 16
                expect[key] = expect.get(key, 0) + 1
    assert dict(zip(colours.tolist(), counts.tolist(), strict=True)) == expect


def test_render_holds_back_print_files_that_fail_preflight(tmp_path):
    res = CliRunner().invoke(app, ["--config", str(BAD / "shop.toml"), "render", "bad-specimen",
                                   "-c", "ink-on-cream", "--only", "master-svg", "--only",
                                   "print-png", "--only", "preflight", "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "ink-on-cream: fails preflight with 2 error(s)" in res.output
    assert "Traceback" not in res.output
    names = sorted(p.name for p in (tmp_path / "bad-specimen").iterdir())
    assert names == ["bad-specimen--ink-on-cream--preflight.json", "manifest.json"]
