"""Storefront mockups: repeatable bytes, one geometry for every colour, ink only on the cloth,
the print at true scale, every garment renders, crops keep the tee, errors are one line."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from teeprint import mockup
from teeprint.artwork import Artwork, PathBuilder, fill, stroke
from teeprint.catalog import hex_rgb
from teeprint.cli import app
from teeprint.errors import TeeprintError
from teeprint.mockup import compose, garment, ink, relief, views
from teeprint.pipeline import Plate

from .conftest import REPO

CROPS = {"1:1": (1, 1), "4:5": (4, 5), "4:3": (4, 3)}


def _test_plate(dd_plate, shapes) -> Plate:
    """The double-descent specimen with other artwork (every product shares the cached tee)."""
    art = Artwork(dd_plate.artwork.width_pt, dd_plate.artwork.height_pt, tuple(shapes))
    return Plate(dd_plate.spec, dd_plate.data, art)


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


@pytest.fixture(scope="module")
def ecru(catalog):
    return catalog.colorway("ecru")


@pytest.fixture(scope="module")
def black(catalog):
    return catalog.colorway("black")


@pytest.fixture(scope="module")
def fronts(catalog, dd_plate):
    """Every garment of every colourway, front view, with its colourway."""
    out = {}
    for cw in catalog.colorways():
        for g in mockup.garments_of(catalog, cw):
            out[g.id] = (cw, mockup.front(dd_plate, cw, g))
    return out


def test_same_bytes_from_a_fresh_process_state(catalog, dd_plate, black):
    g = catalog.garment("heather-forest")
    first = compose.encode(mockup.front(dd_plate, black, g).rgb, "jpeg")
    mockup.clear_caches()
    again = compose.encode(mockup.front(dd_plate, black, g).rgb, "jpeg")
    assert first == again


def test_every_garment_of_every_colourway_renders(catalog, fronts):
    listed = {g for cw in catalog.colorways() for g in cw.garments}
    assert listed <= set(fronts), "every garment a colourway lists has a front view"
    for gid, (_cw, m) in fronts.items():
        assert m.rgb.shape == (2048, 2048, 3) and m.rgb.dtype == np.uint8
        # The cloth away from the print and the collar is the catalogue colour, shaded: its
        # median is within a photograph's latitude of the hex (black lifts by the sheen).
        hexrgb = np.array(hex_rgb(catalog.garment(gid).hex))
        cloth = (m.garment_alpha >= 1.0) & (m.ink_alpha == 0)
        cloth[:1100] = False  # the lower body, below the collar and the armpit folds
        median = np.median(m.rgb[cloth], axis=0)
        assert np.all(np.abs(median - hexrgb) <= 22), (gid, median, hexrgb)


def test_one_geometry_for_every_colour(fronts):
    masks = [m.garment_alpha for _cw, m in fronts.values()]
    assert all(np.array_equal(masks[0], other) for other in masks[1:])
    # Outside the cloth every colour variant is the same photograph of the same linen.
    outside = masks[0] == 0
    grounds = [m.rgb[outside] for _cw, m in fronts.values()]
    assert all(np.array_equal(grounds[0], other) for other in grounds[1:])


def test_ink_never_leaves_the_garment(catalog, dd_plate, ecru):
    # An artboard far wider than the chest: the print must be clipped at the tee's edges.
    wide = 40 * 72.0
    shapes = [fill(PathBuilder().rect(0, 300, wide, 400))]
    art = Artwork(wide, dd_plate.artwork.height_pt, tuple(shapes))
    plate = Plate(dd_plate.spec, dd_plate.data, art)
    g = catalog.garment("soft-cream")
    m = mockup.front(plate, ecru, g)
    plain = compose.paint_garment(compose.scene(relief.front_view(), mockup.GARMENT_SEED),
                                  g.hex, None)[..., :3]
    changed = np.any(m.rgb != plain, axis=2)
    assert changed.sum() > 100_000
    assert not np.any(changed & (m.garment_alpha == 0)), "ink on the backdrop"
    assert not np.any((m.ink_alpha > 0) & (m.garment_alpha == 0))
    x0, _, x1, _ = _bbox(changed)
    assert (x1 - x0) / m.px_per_in < 36.0, "the 40 in band was clipped to the tee"


@pytest.mark.parametrize("cw_id", ["ecru", "black"])
def test_print_is_true_scale_for_size_l(catalog, dd_plate, cw_id):
    # A band exactly as wide as the 15 in artboard, measured from the image's pixels.
    cw = catalog.colorway(cw_id)
    art_w = dd_plate.artwork.width_pt
    plate = _test_plate(dd_plate, [fill(PathBuilder().rect(0, 400, art_w, 300))])
    g = catalog.garment(cw.garment)
    m = mockup.front(plate, cw, g)
    plain = compose.paint_garment(compose.scene(relief.front_view(), mockup.GARMENT_SEED),
                                  g.hex, None)[..., :3]
    diff = np.abs(m.rgb.astype(int) - plain.astype(int)).sum(axis=2) > 60
    x0, _, x1, _ = _bbox(diff)
    width_in = (x1 - x0) / m.px_per_in
    assert abs(width_in - 15.0) <= 0.02 * 15.0, width_in
    # ... against a chest of 22 in: where the laid cloth put the chest line's two ends (1 in
    # below the armholes, at the side folds), found through the drape's map to the pattern.
    # Ripples across the chest take up a little of it: a hand-laid tee measures up to 3 %
    # narrower.
    surf = compose.scene(relief.front_view(), mockup.GARMENT_SEED).surface
    on_line = (m.garment_alpha > 0.5) & (np.abs(surf.v - (garment.UNDERARM_Y_IN + 1.0)) < 0.15)
    ends = [np.flatnonzero((on_line & (np.abs(side * surf.u - garment.CHEST_HALF_IN + 0.2)
                                       < 0.25)).any(axis=0)) for side in (-1, 1)]
    chest_in = (ends[1].max() - ends[0].min() + 1) / m.px_per_in
    assert -0.7 <= chest_in - 2 * garment.CHEST_HALF_IN <= 0.2, chest_in


def test_real_plate_width_matches_its_artwork(catalog, dd_plate, ecru):
    m = mockup.front(dd_plate, ecru, catalog.garment("soft-cream"))
    x0, _, x1, _ = _bbox(m.ink_alpha > 0.5)
    bx0, _, bx1, _ = dd_plate.artwork.bbox()
    expected_in = (bx1 - bx0) / 72.0
    assert abs((x1 - x0) / m.px_per_in - expected_in) <= 0.02 * expected_in
    # Placed about 3 in below the collar seam at the centre front.
    top_in = relief.front_view().y0_in + _bbox(m.ink_alpha > 0.5)[1] / m.px_per_in
    collar = garment.FRONT_NECK_DROP_IN
    assert 2.6 <= top_in - collar <= 3.8


def test_print_lives_on_the_cloth(catalog, dd_plate, ecru):
    # Vertical hairlines every inch of the plate: each must sit on the cloth where the drape
    # put that pattern line (the print is carried by the cloth), and bend with it.
    art_w = dd_plate.artwork.width_pt
    xs_pt = np.arange(36.0, art_w - 30, 72.0)
    shapes = [stroke(PathBuilder().move(x, 0).line(x, dd_plate.artwork.height_pt), 4.0)
              for x in xs_pt]
    plate = _test_plate(dd_plate, shapes)
    m = mockup.front(plate, ecru, catalog.garment("soft-cream"))
    surf = compose.scene(relief.front_view(), mockup.GARMENT_SEED).surface
    box = garment.print_box_in(art_w, dd_plate.artwork.height_pt)
    misses, bends = [], []
    for x_pt in xs_pt:
        x_in = box[0] + x_pt / 72.0
        cols = []
        for r in range(0, m.ink_alpha.shape[0], 4):
            near = np.flatnonzero(np.abs(surf.u[r] - x_in) < 0.3)
            if near.size == 0 or not (box[1] + 0.3 < surf.v[r, near[0]] < box[1] + box[3] - 0.3):
                continue
            a = m.ink_alpha[r, near]
            if a.sum() < 0.5:
                continue
            c = float((a * near).sum() / a.sum())
            misses.append(float(np.interp(c, np.arange(surf.u.shape[1]), surf.u[r])) - x_in)
            cols.append(c)
        assert len(cols) > 50
        bends.append(float(np.std(np.array(cols) - np.polyval(
            np.polyfit(np.arange(len(cols)), cols, 1), np.arange(len(cols))))) / m.px_per_in)
    # Every pixel takes the art at the pattern point its cloth shows: the lines sit on their
    # pattern lines to a small fraction of a pixel.
    assert np.median(np.abs(misses)) < 0.1 / m.px_per_in, "lines on their pattern lines"
    assert np.percentile(np.abs(misses), 99) < 0.5 / m.px_per_in
    assert np.abs(misses).max() < 1.5 / m.px_per_in
    assert max(bends) > 0.01, "the lines bend with the cloth instead of staying straight"


def test_print_takes_the_shading(catalog, dd_plate, ecru):
    art = dd_plate.artwork
    # A solid cinnabar plate: a mid-tone ink shows the light best.
    plate = _test_plate(dd_plate, [fill(PathBuilder().rect(0, 0, art.width_pt, art.height_pt),
                                        "accent")])
    m = mockup.front(plate, ecru, catalog.garment("soft-cream"))
    sc = compose.scene(relief.front_view(), mockup.GARMENT_SEED)

    def blocks(a: np.ndarray) -> np.ndarray:  # 8 x 8 px means: the folds, not the knit grain
        h, w = (s // 8 * 8 for s in a.shape)
        return a[:h, :w].reshape(h // 8, 8, w // 8, 8).mean(axis=(1, 3))

    full = blocks((m.ink_alpha > 0.95).astype(float)) == 1.0
    lum = blocks(m.rgb.astype(float).mean(axis=2))[full]
    shade = blocks(sc.surface.log_shade)[full]
    assert full.sum() > 2000
    assert np.corrcoef(lum, shade)[0, 1] > 0.8, "ink darkens in the folds like the cloth"


def test_dark_garment_ink_is_not_brighter_than_printed(catalog, dd_plate, black):
    art = dd_plate.artwork
    plate = _test_plate(dd_plate, [fill(PathBuilder().rect(0, 0, art.width_pt, art.height_pt))])
    m = mockup.front(plate, black, catalog.garment("black"))
    bone = np.array(hex_rgb(black.ink("bone").hex), float)
    inked = m.rgb[m.ink_alpha > 0.95].astype(float)
    assert np.median(inked, axis=0).mean() < bone.mean(), "ink reads a touch below its swatch"
    assert np.percentile(inked.mean(axis=1), 99) <= bone.mean() * 1.08


def test_heather_garments_are_speckled(fronts):
    def grain(gid: str) -> float:
        _cw, m = fronts[gid]
        patch = m.rgb[1500:1600, 700:800].astype(float).mean(axis=2)
        return float((patch - np.roll(patch, 1, axis=1)).std())

    assert grain("heather-forest") > 1.5 * grain("navy")
    assert grain("dark-grey-heather") > 1.5 * grain("black")


@pytest.mark.parametrize("view", ["front", "plate"])
def test_centre_crops_keep_the_whole_subject(catalog, dd_plate, ecru, view):
    if view == "front":
        m = mockup.front(dd_plate, ecru, catalog.garment("soft-cream"))
    else:
        m = mockup.plate_card(dd_plate, ecru)
    h, w = m.garment_alpha.shape
    x0, y0, x1, y1 = _bbox(m.garment_alpha > 0)
    for name, (a, b) in CROPS.items():
        cw_px = min(w, h * a / b)
        ch_px = min(h, w * b / a)
        cx0, cy0 = (w - cw_px) / 2, (h - ch_px) / 2
        margin = 0.02 * w
        assert x0 >= cx0 + margin and x1 <= cx0 + cw_px - margin, (name, x0, x1)
        assert y0 >= cy0 + margin and y1 <= cy0 + ch_px - margin, (name, y0, y1)


def test_closeup_draws_the_print_at_its_own_resolution(catalog, dd_plate, ecru):
    m = mockup.closeup(dd_plate, ecru, catalog.garment("soft-cream"))
    assert m.px_per_in >= 140, "line work and type are drawn at close range, not enlarged"
    assert m.garment_alpha.min() >= 0.999, "the window is all cloth"
    # The ink is the artwork drawn at (1.5 x) this resolution and carried by the cloth: solid
    # cores even in 0.5 pt hairlines (under 2 px here).  The same window enlarged from the
    # front view's 44 px/in has soft ramps instead, and fails this measure.

    def crisp(a: np.ndarray) -> float:
        return float((a > 0.9).mean() / (a > 0.1).mean())

    art = dd_plate.artwork
    box = garment.print_box_in(art.width_pt, art.height_pt)
    view = views.closeup_view(art)
    side = round(view.width_px / view.ppi * 44.0)
    small = relief.View("s", view.x0_in, view.y0_in, 44.0, side, side)
    low = ink.rasterize_region(ink.PrintArt(art, ecru), small, box, slice(0, side), slice(0, side))
    enlarged = np.asarray(Image.fromarray(low[..., 3]).resize((2048, 2048), Image.BICUBIC),
                          float) / 255.0
    assert crisp(m.ink_alpha) > 0.25 > 2 * crisp(enlarged)
    assert m.px_per_in == pytest.approx(view.ppi)


def test_stage_names_files_and_manifest(catalog, dd_plate, ecru):
    outs = mockup.stage(dd_plate, ecru, {"catalog": catalog, "garments": ["tan", "soft-cream"]})
    names = [o.path for o in outs]
    assert names == ["double-descent--soft-cream--front.jpg", "double-descent--tan--front.jpg",
                     "double-descent--soft-cream--hanger.jpg",
                     "double-descent--soft-cream--folded.jpg",
                     "double-descent--soft-cream--closeup.jpg",
                     "double-descent--soft-cream--range.jpg",
                     "double-descent--soft-cream--plate.jpg"]
    for o in outs:
        assert o.kind == "mockup" and o.colorway == "ecru"
        assert set(o.extra) == {"garment", "view"}
        img = Image.open(io.BytesIO(o.data))
        assert img.format == "JPEG" and img.size == (2048, 2048) and img.mode == "RGB"
        assert img.info.get("icc_profile"), "sRGB profile embedded"


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("webp", "WEBP")])
def test_other_formats(catalog, dd_plate, ecru, fmt, pil):
    outs = mockup.mockups(dd_plate, ecru, [catalog.garment("tan")], fmt=fmt, views=("front",))
    assert outs[0].path.endswith("--tan--front." + fmt)
    img = Image.open(io.BytesIO(outs[0].data))
    assert img.format == pil and img.size == (2048, 2048) and img.info.get("icc_profile")


def test_garment_not_printed_by_the_specimen_is_refused(catalog, ecru):
    spec = catalog.specimen("double-descent")
    with pytest.raises(TeeprintError, match="'navy' is not printed by any colourway"):
        mockup.assign_garments(catalog, spec, [ecru], ["navy"])


@pytest.mark.parametrize(("args", "needle"), [
    (("--garment", "nope"), "unknown garment 'nope'"),
    (("--format", "gif"), "--format 'gif'"),
])
def test_bad_input_is_one_line(tmp_path, args, needle):
    res = CliRunner().invoke(app, ["--config", str(REPO / "shop.toml"), "mockup",
                                   "double-descent", *args, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()
