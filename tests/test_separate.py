"""Separations checked with real tools: Ghostscript's tiffsep for the PDF's plates, pdffonts for
fonts, pikepdf for the colour spaces, an FFT for the films' halftone screen."""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from teeprint import pipeline
from teeprint.artwork import Artwork, PathBuilder, fill, stroke
from teeprint.errors import TeeprintError
from teeprint.separate import ScreenSettings, film_stage, is_black, plate_list, separation_pdf_stage
from teeprint.separate import layers as layers_mod
from teeprint.separate.halftone import measure_screen, screen
from teeprint.separate.plates import (
    LPI_RANGE,
    PATCH_TINTS,
    UNDERBASE_FINE_CHOKE_PT,
    UNDERBASE_MIN_AREA_PT2,
    UNDERBASE_WIDE_PT,
    Page,
    _slot,
    patch_box,
)

from .bad_specimen import BAD
from .conftest import REPO


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {'ghostscript' if name == 'gs' else 'poppler-utils'})")
    return path


@pytest.fixture(scope="module")
def black_outputs(catalog, dd_plate):
    cw = catalog.colorway("black")
    layers_mod.clear_caches()
    pdf = separation_pdf_stage(dd_plate, cw, {"catalog": catalog})[0]
    films = film_stage(dd_plate, cw, {"catalog": catalog})
    return cw, pdf, films


@pytest.fixture(scope="module")
def black_pdf_path(black_outputs, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sep") / "double-descent--black--separations.pdf"
    path.write_bytes(black_outputs[1].data)
    return path


def tiffsep(pdf: Path, dpi: int) -> dict[str, np.ndarray]:
    """Ghostscript's separations: plate name -> ink amount 0..1 (tiffsep stores ink as dark)."""
    from PIL import Image

    gs = tool("gs")
    out = pdf.parent / f"gs{dpi}"
    out.mkdir(exist_ok=True)
    subprocess.run([gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", f"-r{dpi}",
                    f"-sOutputFile={out / 'p.tif'}", str(pdf)], check=True, timeout=300)
    plates = {}
    for f in out.glob("p(*).tif"):
        name = re.fullmatch(r"p\((.*)\)\.tif", f.name).group(1)
        plates[name] = 1.0 - np.asarray(Image.open(f), np.float64) / 255.0
    return plates


def test_tiffsep_plates_are_the_inks_plus_underbase(black_outputs, black_pdf_path):
    cw, pdf, _ = black_outputs
    plates = tiffsep(black_pdf_path, 100)
    process = {"Cyan", "Magenta", "Yellow", "Black"}
    expected = {"Underbase_White"} | {i.spot for i in cw.inks}
    assert set(plates) - process == expected
    assert pdf.extra["plates"] == ["Underbase_White", "PANTONE 7527 C", "PANTONE 7597 C"]
    page = Page(1080, 1296)
    k = 100 / 72
    trim = (slice(round(page.slug_pt * k), round((page.slug_pt + 1296) * k)),
            slice(round(page.slug_pt * k), round((page.slug_pt + 1080) * k)))
    for name in process:  # registration marks (All) reach every plate, but only outside the trim
        assert plates[name][trim].max() == 0, f"process plate {name} has ink inside the trim"
        assert plates[name].max() > 0.99, f"registration marks missing on {name}"
    for name in expected:
        assert (plates[name][trim] > 0.5).mean() > 0.001, f"spot plate {name} is empty"


def test_underbase_covers_top_inks_minus_choke(black_outputs, black_pdf_path):
    from scipy import ndimage

    cw, _, _ = black_outputs
    dpi = 150
    plates = tiffsep(black_pdf_path, dpi)
    k = dpi / 72
    trim = (slice(round(36 * k), round((36 + 1296) * k)), slice(round(36 * k), round((36 + 1080) * k)))
    # The underbase lies inside the inked area, tints included (a 50 % line is ink; its
    # underbase is at 50 %), with one pixel of resampling slack...
    inked = (plates["PANTONE 7527 C"][trim] > 0.1) | (plates["PANTONE 7597 C"][trim] > 0.1)
    outside = (plates["Underbase_White"][trim] > 0.1) & ~ndimage.binary_dilation(inked, iterations=1)
    assert outside.sum() <= 0.001 * (plates["Underbase_White"][trim] > 0.1).sum()
    top = (plates["PANTONE 7527 C"][trim] > 0.5) | (plates["PANTONE 7597 C"][trim] > 0.5)
    under = plates["Underbase_White"][trim] > 0.5
    # ...and fills them except for the choke (plus half the minimum underbase feature).
    r = (cw.underbase.choke_pt + 0.5) * k + 1.5
    yy, xx = np.mgrid[-math.ceil(r):math.ceil(r) + 1, -math.ceil(r):math.ceil(r) + 1]
    core = ndimage.binary_erosion(top, structure=xx * xx + yy * yy <= r * r)
    # Islands below the minimum underbase area are dropped on purpose (they would speckle).
    labels, n = ndimage.label(core)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    core &= (sizes >= UNDERBASE_MIN_AREA_PT2 * k * k)[labels]
    missing = core & ~under
    assert core.sum() > 1000
    assert missing.sum() <= 0.002 * core.sum(), f"{missing.sum()} px of choked top ink lack underbase"
    # The full choke really is there on wide areas: their outer pixel ring is left bare...
    rw = UNDERBASE_WIDE_PT / 2 * k
    yy, xx = np.mgrid[-math.ceil(rw):math.ceil(rw) + 1, -math.ceil(rw):math.ceil(rw) + 1]
    disc = xx * xx + yy * yy <= rw * rw
    wide = ndimage.binary_dilation(ndimage.binary_erosion(top, structure=disc), structure=disc) & top
    # (the ring along the shirt: where a line leaves a wide area, the area's boundary runs
    # through ink, and the white crosses it to stay continuous)
    ring = wide & ~ndimage.binary_erosion(wide) & ndimage.binary_dilation(~top)
    assert ring.sum() > 500
    # (near a junction the line's finer choke reaches the ring: a few percent)
    assert (ring & under).sum() < 0.1 * ring.sum()
    # ...while lines keep white under most of their length (the fine-detail rule).
    thin = top & ~ndimage.binary_dilation(wide, iterations=3)
    assert (thin & under).sum() > 0.3 * thin.sum()


def test_pdf_has_no_fonts(black_pdf_path):
    pdffonts = tool("pdffonts")
    res = subprocess.run([pdffonts, str(black_pdf_path)], capture_output=True, text=True, check=True)
    rows = [line for line in res.stdout.splitlines()[2:] if line.strip()]
    assert rows == [], f"fonts in the PDF: {rows}"


def test_pdf_colour_spaces_boxes_and_overprint(black_pdf_path):
    pikepdf = pytest.importorskip("pikepdf")
    pdf = pikepdf.open(black_pdf_path)
    page = pdf.pages[0]
    spaces = page.Resources.ColorSpace
    names = set()
    for key in spaces.keys():
        cs = spaces[key]
        assert cs[0] == "/Separation", f"{key} is {cs[0]}, not a Separation"
        names.add(str(cs[1])[1:])
    assert names == {"All", "Underbase_White", "PANTONE 7527 C", "PANTONE 7597 C"}
    ub = [cs for cs in (spaces[k] for k in spaces.keys()) if str(cs[1]) == "/Underbase_White"][0]
    # The underbase's composite alternate is visible (not CMYK 0).
    assert b"0.0 0.0 0.0" not in ub[3].read_bytes() or b"mul" in ub[3].read_bytes()
    gstates = [page.Resources.ExtGState[k] for k in page.Resources.ExtGState.keys()]
    assert any(bool(g.get("/op")) for g in gstates) and any(bool(g.get("/OP")) for g in gstates)
    content = page.Contents.read_bytes()
    ops = set(re.findall(rb"(?<![A-Za-z/])(rg|RG|k|K|g|G)(?![A-Za-z])", content))
    assert not ops, f"process colour operators in the content: {ops}"
    assert [float(v) for v in page.TrimBox] == [36, 36, 1116, 1332]
    assert [float(v) for v in page.BleedBox] == [27, 27, 1125, 1341]
    assert "/Font" not in page.Resources or len(page.Resources.Font.keys()) == 0
    # The underbase is vector paths filled in its separation, not an image.
    assert "/XObject" not in page.Resources
    key = next(k for k in spaces.keys() if str(spaces[k][1]) == "/Underbase_White")
    assert re.search(rb"%s cs [0-9.]+ scn\s+[-0-9. ]+ m" % key.encode(), content)


def test_light_colourway_has_no_underbase(catalog, dd_plate):
    cw = catalog.colorway("ecru")
    assert [p.name for p in plate_list(dd_plate.artwork, cw)] == [i.spot for i in cw.inks]
    out = separation_pdf_stage(dd_plate, cw, {"catalog": catalog})[0]
    assert out.extra["underbase"] is False and b"Underbase" not in out.data


def test_films_are_bitonal_labelled_and_in_print_order(black_outputs):
    from PIL import Image

    _, pdf, films = black_outputs
    assert [f.extra["separation"] for f in films] == pdf.extra["plates"]
    assert [f.extra["plate_index"] for f in films] == [1, 2, 3]
    assert {f.extra["plates"] for f in films} == {3}
    assert films[0].extra["ink"] == "underbase"
    for f in films:
        img = Image.open(io.BytesIO(f.data))
        assert img.mode == "1" and round(img.info["dpi"][0]) == 300
        assert (img.width, img.height) == (f.width, f.height) == (4800, 5700)
        a = np.asarray(img.convert("L"))
        assert set(np.unique(a).tolist()) <= {0, 255}
        # Registration bullseyes on every film: the centre dot of the top target is inked.
        assert a[75, 2400] == 0
        # Something is inked inside the art; the plate's own label sits in its slot of the
        # right margin (and nowhere else there, so labels never overprint in the composite).
        assert (a[150:5550, 150:4650] == 0).any()
        y0, slot_h = _slot(Page(1080, 1296), f.extra["plate_index"] - 1, 3)
        k = 300 / 72
        rows = slice(round(y0 * k), round((y0 + slot_h) * k))
        margin = a[:, 4650:] == 0
        assert margin[rows].mean() > 0.005
        others = margin.copy()
        others[rows] = False
        others[2700:3000] = False  # the side registration target
        assert not others[160:5540].any()  # (crop marks sit on the trim lines)


def _patch(film, tint: float) -> np.ndarray:
    from PIL import Image

    a = np.asarray(Image.open(io.BytesIO(film.data)).convert("L")) == 0
    x, y, w, h = patch_box(Page(1080, 1296), film.extra["plate_index"] - 1, film.extra["plates"], tint)
    k = 300 / 72
    return a[round(y * k) + 4:round((y + h) * k) - 4, round(x * k) + 4:round((x + w) * k) - 4]


def test_film_halftone_frequency_and_angle_are_measured_right(black_outputs):
    _, _, films = black_outputs
    for f in films:
        for tint in PATCH_TINTS[1:]:
            patch = _patch(f, tint)
            lpi, angle = measure_screen(patch, 300)
            assert abs(lpi - 55) <= 5.5, f"{f.path} {tint}: {lpi:.1f} LPI"
            assert abs((angle - 22.5 + 45) % 90 - 45) <= 2, f"{f.path} {tint}: {angle:.1f} deg"
            assert abs(patch.mean() - tint) < 0.06
        assert _patch(f, 1.0).all()


def test_film_options_change_the_screen(catalog, dd_plate):
    cw = catalog.colorway("ecru")
    films = film_stage(dd_plate, cw, {"catalog": catalog, "lpi": 40, "angle": 30})
    lpi, angle = measure_screen(_patch(films[0], 0.5), 300)
    assert abs(lpi - 40) <= 4 and abs(angle - 30) <= 2
    assert films[0].extra["lpi"] == 40 and films[0].extra["angle"] == 30


def test_pdf_and_films_are_deterministic(catalog, dd_plate, black_outputs):
    cw, pdf, films = black_outputs
    layers_mod.clear_caches()
    again = separation_pdf_stage(dd_plate, cw, {"catalog": catalog})[0]
    assert again.data == pdf.data
    layers_mod.clear_caches()
    # The light colourway first fills the per-ink raster cache; the dark one reuses it unharmed.
    film_stage(dd_plate, catalog.colorway("ecru"), {"catalog": catalog})
    assert [f.data for f in film_stage(dd_plate, cw, {"catalog": catalog})] == [f.data for f in films]


def _art(*shapes) -> Artwork:
    return Artwork(144.0, 144.0, tuple(shapes), "test")


def test_upper_ink_knocks_out_unless_it_overprints(catalog):
    cw = catalog.colorway("black")  # print order: bone, then cinnabar (accent)
    lower = fill(PathBuilder().rect(10, 10, 100, 100))
    upper = fill(PathBuilder().rect(60, 60, 70, 70), "accent")
    lay = layers_mod.build_layers(_art(lower, upper), cw, 300)
    ub, bone, red = lay.plates
    k = 300 / 72
    at = lambda x, y: (round((36 + y) * k), round((36 + x) * k))  # noqa: E731
    assert bone.cover[at(30, 30)] and not bone.cover[at(80, 80)] and red.cover[at(80, 80)]
    assert ub.cover[at(30, 30)] and ub.cover[at(80, 80)]  # both are light inks
    over = cw.model_copy(update={"inks": (cw.inks[0], cw.inks[1].model_copy(update={"overprint": True}))})
    lay2 = layers_mod.build_layers(_art(lower, upper), over, 300)
    assert lay2.plates[1].cover[at(80, 80)], "an overprinting ink keeps the ink below"
    # nothing knocks the top ink out: its plate is its remembered raster itself, not a copy
    from teeprint.artwork import ink_layers, merge

    by_ink = dict(ink_layers(_art(lower, upper), cw))
    h, w = red.cover.shape
    raster = layers_mod.ink_raster  # remembered per plate: the call returns what the build used
    top_cover, top_tint = raster(tuple(merge(by_ink[red.plate.ink_id])), w, h, k, (36.0, 36.0))
    assert red.cover is top_cover and red.tint is top_tint
    low_cover, _ = raster(tuple(merge(by_ink[bone.plate.ink_id])), w, h, k, (36.0, 36.0))
    assert bone.cover is not low_cover and low_cover[at(80, 80)], "the lower ink's is a copy"


def test_a_colourways_rasters_are_let_go_once_its_films_are_made(catalog, dd_plate):
    from teeprint import memo, pipeline

    memo.forget_plates()
    cw = catalog.colorway("black")
    films = pipeline.render(catalog, dd_plate.spec, [cw], targets=("film",))
    assert len(films) == 3
    assert layers_mod._layers.cache_len() == 0  # two pages a plate, not held to the plate's end
    assert layers_mod.ink_raster.cache_len() > 0  # the other colourway may share these
    memo.forget_plates()


def test_film_marks_are_small_windows_holding_exactly_the_pages_pixels(catalog, dd_plate):
    # The crop marks are one path spanning the page: drawn in windows around each corner (and
    # each target and line of the job text), they take under a megabyte instead of a page, and
    # the film gets exactly the pixels a page-sized raster of the marks gives.
    from teeprint.separate import job
    from teeprint.separate.films import marks_pixels
    from teeprint.separate.layers import _density, rasterize_shapes

    cw = catalog.colorway("black")
    s = ScreenSettings.from_options({}, catalog.settings.print)
    j = job(dd_plate, cw, {"catalog": catalog})
    lay = layers_mod.layers(dd_plate.artwork, cw, s.film_dpi)
    h, w = lay.plates[0].cover.shape
    _, tint = _density(*rasterize_shapes(j.marks, w, h, lay.px_per_pt))
    page = screen(tint, s.lpi, s.angle_deg, lay.dpi)
    windows = marks_pixels(j.marks, lay, s)
    assert len(windows) >= 4 + 4  # the corners' crop marks and the registration targets apart
    assert sum(ink.nbytes for _, ink in windows) < (h * w) // 20
    laid = np.zeros_like(page)
    for (rows, cols), ink in windows:
        assert not laid[rows, cols].any(), "the windows do not overlap"
        laid[rows, cols] = ink
    assert page.any() and np.array_equal(laid, page)


def test_black_ink_gets_no_underbase_and_the_override_wins(catalog):
    cw = catalog.colorway("black")
    k_ink = cw.inks[1].model_copy(update={"cmyk": (0.1, 0.1, 0.2, 0.95)})
    assert is_black(k_ink) and not is_black(cw.inks[0])
    assert not is_black(k_ink.model_copy(update={"underbase": True}))
    dark = cw.model_copy(update={"inks": (cw.inks[0], k_ink)})
    lay = layers_mod.build_layers(_art(fill(PathBuilder().rect(60, 60, 70, 70), "accent")), dark, 300)
    assert [p.plate.name for p in lay.plates] == ["PANTONE 7597 C"], "no underbase under black"


def test_tints_drop_out_go_solid_or_become_dots(catalog):
    cw = catalog.colorway("ecru")
    shapes = [fill(PathBuilder().rect(x, 10, 40, 120), tint=t)
              for x, t in ((5, 0.05), (50, 0.5), (95, 0.95))]
    lay = layers_mod.build_layers(_art(*shapes), cw, 300)
    p = lay.plates[0]
    ink = screen(p.tint, 55, 22.5, 300)
    k = 300 / 72
    def region(x: float) -> np.ndarray:
        return ink[round(56 * k):round(156 * k), round((36 + x + 5) * k):round((36 + x + 35) * k)]
    assert region(5).mean() == 0
    assert region(95).mean() == 1
    assert abs(region(50).mean() - 0.5) < 0.05


def test_fine_detail_keeps_a_finely_choked_underbase_wide_areas_the_full_choke(catalog):
    cw = catalog.colorway("black")
    hair = stroke(PathBuilder().move(10, 20).line(130, 20), 1.5)
    wisp = stroke(PathBuilder().move(10, 30).line(130, 30), 0.5)
    block = fill(PathBuilder().rect(10, 40, 120, 80))
    lay = layers_mod.build_layers(_art(hair, wisp, block), cw, 300)
    ub = lay.plates[0].cover
    k = 300 / 72

    def across(y_pt: float, x_pt: float = 70) -> float:
        """Underbase width (pt) across a horizontal line at y, at x."""
        col = ub[round((36 + y_pt - 3) * k):round((36 + y_pt + 3) * k), round((36 + x_pt) * k)]
        return col.sum() / k

    # A 1.5 pt line keeps white under it all along, choked by the fine choke on each side.
    assert abs(across(20) - (1.5 - 2 * UNDERBASE_FINE_CHOKE_PT)) <= 0.5
    assert all(across(20, x) > 0.5 for x in range(15, 126, 10))
    # A 0.5 pt line is under the fine-detail minimum and gets none.
    assert across(30) == 0
    # The block gets the full choke at its edge.
    assert ub[round((36 + 80) * k), round((36 + 70) * k)]
    edge = round((36 + 10 + 0.5) * k)
    assert not ub[round((36 + 80) * k), edge], "the underbase stops short of the edge"


@given(lpi=st.floats(LPI_RANGE[0], LPI_RANGE[1]), angle=st.floats(0, 89.9),
       dpi=st.sampled_from([300, 600]), tint=st.floats(0.2, 0.8))
# A cell of exactly 6 px at 0 degrees: pixel-centre samples would tie and ink 67 % for 50 %.
@example(lpi=50.0, angle=0.0, dpi=300, tint=0.5)
@example(lpi=60.0, angle=0.0, dpi=600, tint=0.5)
@settings(max_examples=40, deadline=None)
def test_screen_matches_its_settings(lpi, angle, dpi, tint):
    n = 192 if dpi == 300 else 320
    ink = screen(np.full((n, n), round(tint * 255), np.uint8), lpi, angle, dpi)
    measured_lpi, measured_angle = measure_screen(ink, dpi)
    assert abs(measured_lpi - lpi) <= 0.1 * lpi
    assert abs((measured_angle - angle + 45) % 90 - 45) <= 2.0
    assert abs(ink.mean() - tint) <= 0.05


@given(lpi=st.one_of(st.floats(max_value=34.99, allow_nan=False, allow_infinity=False),
                     st.floats(min_value=65.01, allow_nan=False, allow_infinity=False)))
def test_out_of_range_lpi_is_one_line_error(lpi):
    with pytest.raises(TeeprintError) as exc:
        ScreenSettings.from_options({"lpi": lpi})
    assert "\n" not in str(exc.value) and "LPI" in str(exc.value)


@given(angle=st.one_of(st.floats(max_value=-0.01, allow_nan=False, allow_infinity=False),
                       st.floats(min_value=90.0, allow_nan=False, allow_infinity=False)))
def test_out_of_range_angle_is_rejected(angle):
    with pytest.raises(TeeprintError):
        ScreenSettings.from_options({"angle": angle})


def test_separate_command_rejects_bad_lpi_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from teeprint.cli import app

    res = CliRunner().invoke(app, ["--config", str(REPO / "shop.toml"), "separate",
                                   "double-descent", "--lpi", "80", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert len([line for line in res.output.splitlines() if line.strip()]) == 1
    assert not any(tmp_path.iterdir())


def test_separate_command_writes_pdf_and_films(tmp_path):
    from typer.testing import CliRunner

    from teeprint.cli import app

    res = CliRunner().invoke(app, ["--config", str(BAD / "shop.toml"), "separate", "bad-specimen",
                                   "-c", "bone-on-black", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (tmp_path / "bad-specimen").iterdir())
    assert names == ["bad-specimen--bone-on-black--film-1-underbase-white.png",
                     "bad-specimen--bone-on-black--film-2-pantone-7527-c.png",
                     "bad-specimen--bone-on-black--film-3-pantone-black-7-c.png",
                     "bad-specimen--bone-on-black--separations.pdf", "manifest.json"]


def test_render_defaults_include_separations_and_preflight():
    kinds = pipeline.default_targets()
    assert {"separation-pdf", "film", "preflight"} <= set(kinds)
