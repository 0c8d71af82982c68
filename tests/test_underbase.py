"""The vector underbase: its geometry, its agreement with the film, and continuity at junctions."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from teeprint.artwork import Artwork, PathBuilder, Shape, fill, stroke
from teeprint.separate import film_stage, regions, separation_pdf_stage
from teeprint.separate import geometry as geo
from teeprint.separate import layers as layers_mod
from teeprint.separate import underbase as ub_mod
from teeprint.separate.layers import _density, rasterize_shapes
from teeprint.separate.plates import UNDERBASE_FINE_CHOKE_PT, UNDERBASE_WIDE_PT

K = 300 / 72


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {'ghostscript' if name == 'gs' else name})")
    return path


def _art(*shapes) -> Artwork:
    return Artwork(144.0, 144.0, tuple(shapes), "test")


def _px(x_pt: float, y_pt: float) -> tuple[int, int]:
    """The film pixel (row, column) of an artboard point."""
    return round((36 + y_pt) * K), round((36 + x_pt) * K)


def test_underbase_is_continuous_where_a_line_leaves_or_crosses_an_area(catalog):
    """A 2 pt line of the upper ink crossing a wide area of the lower one, and a line leaving a
    disc (the N = n marker of double descent): the white runs unbroken along the line's centre
    from inside the area out to near the line's end."""
    cw = catalog.colorway("black")
    area = fill(PathBuilder().rect(20, 40, 100, 30))
    crossing = stroke(PathBuilder().move(70, 10).line(70, 100), 2.0, "accent")
    disc = stroke(PathBuilder().move(40, 120).line(40.01, 120), 12.0)
    leaving = stroke(PathBuilder().move(40, 120).line(100, 120), 2.0, "accent")
    lay = layers_mod.build_layers(_art(area, crossing, disc, leaving), cw, 300)
    ub = lay.plates[0].cover
    gaps = [y for y in np.arange(12.0, 98.0, 0.1) if not ub[_px(70, y)]]
    assert not gaps, f"no underbase under the crossing line at y = {gaps[0]:.1f}..{gaps[-1]:.1f} pt"
    gaps = [x for x in np.arange(40.0, 98.0, 0.1) if not ub[_px(x, 120)]]
    assert not gaps, f"no underbase where the line leaves the disc at x = {gaps[0]:.1f}..{gaps[-1]:.1f} pt"


def test_pdf_underbase_agrees_with_its_film(catalog, dd_plate, tmp_path):
    """Ghostscript's tiffsep of the spot PDF's vector underbase and the underbase film drawn
    from the same paths agree to within a pixel at their edges (both at 300 dpi)."""
    from PIL import Image
    from scipy import ndimage

    cw = catalog.colorway("black")
    pdf = separation_pdf_stage(dd_plate, cw, {"catalog": catalog})[0]
    film = film_stage(dd_plate, cw, {"catalog": catalog})[0]
    assert film.extra["separation"] == "Underbase_White"
    path = tmp_path / "sep.pdf"
    path.write_bytes(pdf.data)
    gs = _tool("gs")
    subprocess.run([gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", "-r300",
                    f"-sOutputFile={tmp_path / 'p.tif'}", str(path)], check=True, timeout=300)
    plate = 1.0 - np.asarray(Image.open(tmp_path / "p(Underbase_White).tif"), float) / 255.0
    ink = np.asarray(Image.open(io.BytesIO(film.data)).convert("L")) == 0
    assert plate.shape == ink.shape == (5700, 4800)
    trim = (slice(round(36 * K) + 8, round((36 + 1296) * K) - 8),
            slice(round(36 * K) + 8, round((36 + 1080) * K) - 8))
    # The edges of the paths: where the film's density changes (between white and none, or
    # between two tints, which Ghostscript fills by any part of a pixel and cairo by area).
    tint = layers_mod.layers(dd_plate.artwork, cw, 300).plates[0].tint[trim]
    boundary = ndimage.maximum_filter(tint, 3) != ndimage.minimum_filter(tint, 3)
    edge = ndimage.binary_dilation(boundary, iterations=1)
    plate, ink = plate[trim], ink[trim]
    # Solid white (the film is solid black there) and no white (clear film) must match; the
    # halftoned tints (under the 45-50 % bone lines) are compared by their mean below.
    solid, clear = plate > 0.95, plate < 0.05
    toned = ndimage.binary_dilation(~(solid | clear), iterations=3)
    wrong = ((solid & ~ink) | (clear & ink)) & ~toned
    assert solid.sum() > 200_000
    assert not (wrong & ~edge).any(), f"{int((wrong & ~edge).sum())} px disagree off the edges"
    # Ghostscript fills every pixel a path touches, cairo those it half covers: at most the
    # one pixel along each edge differs (the boundary band counts two pixels per edge).
    assert wrong.sum() <= boundary.sum() / 2
    tone = ~(solid | clear) & ~ndimage.binary_dilation(solid | clear, iterations=2)
    if tone.sum() > 2000:
        assert abs(ink[tone].mean() - plate[tone].mean()) < 0.1


def test_pdf_is_structurally_valid_for_qpdf(catalog, dd_plate, tmp_path):
    qpdf = _tool("qpdf")
    pdf = separation_pdf_stage(dd_plate, catalog.colorway("black"), {"catalog": catalog})[0]
    path = tmp_path / "sep.pdf"
    path.write_bytes(pdf.data)
    res = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "No syntax or stream encoding errors found" in res.stdout


_point = st.tuples(st.floats(10, 134), st.floats(10, 134))


@given(points=st.lists(_point, min_size=2, max_size=5), width=st.floats(0.5, 8.0),
       cap=st.sampled_from(["butt", "round", "square"]), closed=st.booleans(),
       dash=st.sampled_from([(), (3.0, 2.0), (1.0, 4.0), (6.0, 3.0, 1.0, 3.0)]))
@example(points=[(20.0, 20.0), (120.0, 30.0), (20.0, 40.0)], width=6.0, cap="butt",
         closed=False, dash=())  # a join far past the mitre limit: bevelled, as cairo does
@example(points=[(20.0, 20.0), (120.0, 30.0), (20.0, 40.0)], width=4.0, cap="square",
         closed=True, dash=())
@settings(max_examples=60, deadline=None)
def test_stroke_outline_matches_cairo(points, width, cap, closed, dash):
    """A stroke's polygon outline (width, caps, joins, dashes) covers what cairo paints for
    it, to within a pixel at the edges."""
    from scipy import ndimage

    # An exact reversal (a turn of 180 degrees) has no defined join direction: cairo and the
    # outline may pick either side.  Segments shorter than a pixel are likewise left out.
    ring = [*points, points[0]] if closed else points
    d = np.diff(np.asarray(ring, float), axis=0)
    n = np.hypot(*d.T)
    assume(bool((n >= 1.0).all()))
    u = d / n[:, None]
    assume(bool((np.sum(u[1:] * u[:-1], axis=1) > -0.996).all()))
    if dash:  # nor a dash that starts or ends exactly on a corner (either side may get the join)
        pattern = np.asarray(dash * (2 if len(dash) % 2 else 1))
        ends = np.concatenate([[0.0], np.cumsum(pattern)])
        bounds = (ends[None, :] + pattern.sum() * np.arange(int(n.sum() / pattern.sum()) + 2)[:, None])
        corners = np.cumsum(n)[:-1]
        assume(bool(len(corners) == 0 or np.abs(corners[:, None] - bounds.ravel()[None, :]).min() > 0.05))
    path = PathBuilder().move(*points[0])
    for p in points[1:]:
        path.line(*p)
    if closed:
        path.close()
    s = stroke(path, width, cap=cap, dash_pt=dash)
    region = geo.shape_region(s)
    coverage, _ = rasterize_shapes([s], 600, 600, K)
    painted = coverage >= 128
    if not region:
        assert not painted.any()
        return
    poly = Shape(geo.region_path(region), paint="fill", bbox=geo.bounds_pt(region) or (0, 0, 0, 0))
    outline, _ = _density(*rasterize_shapes([poly], 600, 600, K))
    # The edges: where cairo anti-aliases (a sliver between two dashes' caps is an edge too).
    edge = ndimage.binary_dilation((coverage > 0) & (coverage < 255), iterations=2)
    assert not ((outline ^ painted) & ~edge).any()


_rect = st.tuples(st.floats(5, 110), st.floats(5, 110), st.floats(0.2, 30), st.floats(0.2, 30))


def test_flattened_paths_follow_the_grammar():
    """A pair after a move's first is a line; after a Z, drawing starts from the subpath's
    start; a path with no move has no subpath."""
    (poly, closed), = geo.flatten("M0 0 10 0L10 10Z")
    assert closed and poly.tolist() == [[0, 0], [10, 0], [10, 10]]
    # A line right after a Z starts from the start of the subpath it closed.
    (first, c1), = geo.flatten("M0 0L10 0Z L0 10")
    assert c1 and first.tolist() == [[0, 0], [10, 0], [0, 10]]
    a, b = geo.flatten("M0 0L4 0ZM5 5C5 5 9 9 9 9")
    assert a[1] and not b[1] and b[0][0].tolist() == [5, 5] and b[0][-1].tolist() == [9, 9]
    assert geo.flatten("") == []
    with pytest.raises(ValueError, match="malformed"):
        geo.flatten("M0 0L1")
    with pytest.raises(ValueError, match="start with a move"):
        geo.flatten("L1 1M0 0")


@given(rects=st.lists(_rect, min_size=1, max_size=4),
       lines=st.lists(st.tuples(_point, _point, st.floats(0.3, 4.0)), max_size=3),
       choke=st.floats(0.3, 2.0))
@settings(max_examples=40, deadline=None)
def test_choked_underbase_lies_inside_the_ink(rects, lines, choke):
    """Whatever the shapes, the underbase lies inside the ink by at least the fine choke (and
    by the full choke when every shape is wide), never outside it."""
    shapes = [fill(PathBuilder().rect(x, y, w, h)) for x, y, w, h in rects]
    shapes += [stroke(PathBuilder().move(*a).line(*b), wd) for a, b, wd in lines]
    inked = geo.union([r for s in shapes for r in geo.shape_region(s)])
    region = ub_mod.choke_region(inked, choke)
    tol = 2 * regions.FLATNESS_PT
    fine = min(choke, UNDERBASE_FINE_CHOKE_PT)
    assert geo.total_area_pt2(geo.difference(region, geo.offset(inked, -(fine - tol)))) < 1e-3
    if not lines and all(min(w, h) >= UNDERBASE_WIDE_PT + 0.5 for _, _, w, h in rects):
        assert geo.total_area_pt2(geo.difference(region, geo.offset(inked, -(choke - tol)))) < 1e-3


def test_tinted_ink_gets_its_underbase_at_its_densest_tint(catalog):
    """The white under a 50 % area prints at 50 %; under a solid area beside it at 100 %: the
    whole underbase is painted solid, then the 50 % where no denser ink lies."""
    cw = catalog.colorway("black")
    half = fill(PathBuilder().rect(10, 10, 60, 60), tint=0.5)
    solid = fill(PathBuilder().rect(50, 10, 60, 60), "accent")
    faint = fill(PathBuilder().rect(10, 90, 60, 30), tint=0.05)  # drops out: no white
    ub = ub_mod.build_underbase(_art(half, solid, faint), cw)
    assert ub is not None
    assert [s.tint for s in ub.shapes] == [1.0, 0.5]
    lay = layers_mod.build_layers(_art(half, solid, faint), cw, 300)
    tint = lay.plates[0].tint
    assert tint[_px(30, 40)] == round(0.5 * 255) and tint[_px(90, 40)] == 255
    assert tint[_px(60, 40)] == 255  # the solid ink is painted over the tint
    assert not lay.plates[0].cover[_px(40, 105)]


def test_underbase_paths_are_deterministic(catalog, dd_plate):
    cw = catalog.colorway("black")
    first = ub_mod.build_underbase(dd_plate.artwork, cw)
    again = ub_mod.build_underbase(dd_plate.artwork, cw)
    assert first is not None and again is not None
    assert [s.d for s in first.shapes] == [s.d for s in again.shapes]
    assert first.shapes and all(s.paint == "fill" for s in first.shapes)


def _specimen_art() -> Artwork:
    """Every kind of ink the underbase meets on one artboard: a solid panel, a panel cut
    into a grid of 120 windows (an island with many holes), hatching of 0.8 pt lines across
    it, dashed rules (butt and round), a bundle of overlapping stroked loops at a tint, a
    tinted panel, a 0.5 pt hairline (no white) and a 0.8 pt line (white)."""
    shapes = [fill(PathBuilder().rect(20, 20, 160, 90))]
    grid = PathBuilder().rect(200, 20, 250, 180)
    for i in range(12):
        for j in range(10):
            x, y = 206 + 20 * i, 26 + 17 * j
            grid.move(x, y).line(x, y + 12).line(x + 14, y + 12).line(x + 14, y).close()
    shapes.append(fill(grid))
    for i in range(40):
        shapes.append(stroke(PathBuilder().move(190 + 6 * i, 10).line(150 + 6 * i, 220),
                             0.8, "accent"))
    shapes.append(stroke(PathBuilder().move(20, 140).line(180, 150), 1.0, dash_pt=(3.0, 2.0),
                         cap="butt"))
    shapes.append(stroke(PathBuilder().move(20, 160).curve(60, 120, 120, 200, 180, 160), 2.0,
                         "accent", dash_pt=(1.0, 4.0)))
    loops = PathBuilder()
    rng = np.random.default_rng(7)
    for cx, cy in rng.uniform([40, 240], [160, 330], (60, 2)):
        loops.circle(float(cx), float(cy), float(rng.uniform(3, 12)))
    shapes.append(stroke(loops, 1.5, tint=0.8))
    shapes.append(fill(PathBuilder().rect(220, 240, 120, 80), tint=0.5))
    shapes.append(stroke(PathBuilder().move(360, 240).line(440, 330), 0.5))
    shapes.append(stroke(PathBuilder().move(360, 330).line(440, 240), 0.8, "accent"))
    return Artwork(470.0, 350.0, tuple(shapes), "test")


def _exact(monkeypatch) -> None:
    """The slow, exact way: curves and arcs within 0.01 pt, every boolean operation on the
    whole of both regions (no rings left out by their boxes), every island eroded whole."""
    monkeypatch.setattr(regions, "FLATNESS_PT", 0.01)
    monkeypatch.setattr(regions, "MANY_HOLES", 10**9)
    monkeypatch.setattr(regions.boxes, "meeting_either",
                        lambda a, b: (np.ones(len(a), bool), np.ones(len(b), bool)))


def _film(ub, art: Artwork) -> tuple[np.ndarray, np.ndarray]:
    from teeprint.separate.plates import SLUG_PT

    w, h = round((art.width_pt + 2 * SLUG_PT) * K), round((art.height_pt + 2 * SLUG_PT) * K)
    return layers_mod.underbase_raster(ub.shapes, w, h, K, (SLUG_PT, SLUG_PT))


def _compare_with_exact(art: Artwork, cw, monkeypatch):
    """The underbase against the exact one: areas within 0.5 %, and films that differ only
    along the exact film's edges (within 3 px, 0.7 pt: a sliver of ink as thin as the
    minimum white may flip beside an edge), by at most 1 % of the white, with the same tints
    off the edges.  Returns the fast underbase and its film's cover."""
    from scipy import ndimage

    fast = ub_mod.build_underbase(art, cw)
    with monkeypatch.context() as m:
        _exact(m)
        exact = ub_mod.build_underbase(art, cw)
    assert fast is not None and exact is not None
    assert [s.tint for s in fast.shapes] == [s.tint for s in exact.shapes]
    a_fast, a_exact = geo.total_area_pt2(fast.region), geo.total_area_pt2(exact.region)
    assert abs(a_fast - a_exact) <= 0.005 * a_exact, (a_fast, a_exact)
    cover, tint = _film(fast, art)
    cover_x, tint_x = _film(exact, art)
    edges = ndimage.maximum_filter(tint_x, 3) != ndimage.minimum_filter(tint_x, 3)
    near_edge = ndimage.binary_dilation(edges, iterations=3)
    differ = cover ^ cover_x
    assert not (differ & ~near_edge).any(), f"{int((differ & ~near_edge).sum())} px off the edges"
    assert differ.sum() <= 0.01 * cover_x.sum()
    assert not ((tint != tint_x) & cover & cover_x & ~near_edge).any()
    return fast, cover


def test_underbase_matches_the_exact_computation_on_every_kind_of_ink(catalog, monkeypatch):
    """Panels, a grid of windows, hatching, dashes, a bundle of loops and tints: the fast
    underbase is the exact one to within the film's edge pixels, lies inside the ink, and
    leaves no line of 0.75 pt or more and no wide interior without white (a raster
    morphology of the ink's own film, with scipy, is the oracle)."""
    from scipy import ndimage

    cw = catalog.colorway("black")
    art = _specimen_art()
    ub, cover = _compare_with_exact(art, cw, monkeypatch)
    lay = layers_mod.build_layers(art, cw, 300)
    assert np.array_equal(lay.plates[0].cover, cover)  # the film is these paths
    inked = np.zeros(cover.shape, bool)
    for r in lay.plates[1:]:
        if r.plate.underbased:
            inked |= r.inked()
    assert not (cover & ~inked).any(), "underbase outside the ink"
    # px to the nearest pixel not wholly inked (so that a gap thinner than a pixel, where
    # crossing loops leave a sliver of shirt, counts as the edge it is)
    painted, _ = rasterize_shapes(art.shapes, *cover.shape[::-1], K, (36.0, 36.0))
    depth = ndimage.distance_transform_edt(painted == 255)
    radius = (UNDERBASE_WIDE_PT - ub_mod.WIDE_TOLERANCE_PT) / 2
    cores = depth >= radius * K - 1.5  # what may count as wide, to the pixel
    from_core = ndimage.distance_transform_edt(~cores)
    # Fine detail well clear of any wide area: a line at least 0.75 pt wide (its centre is
    # 0.375 pt inside) keeps white along it; wide interiors keep theirs past the full choke,
    # the 1 pt feature rule and the 6.25 pt2 island rule (2 pt plus the pixels' slack).
    fine = (depth >= (UNDERBASE_FINE_CHOKE_PT + 0.125) * K + 1.5) & (
        from_core > (radius + ub_mod.WIDE_MARGIN_PT + 1.0) * K)
    wide = depth >= (cw.underbase.choke_pt + 2.0) * K + 1.5
    assert fine.sum() > 5000 and wide.sum() > 50_000
    missing = (fine | wide) & ~cover
    assert not missing.any(), f"{int(missing.sum())} px of ink that needs white have none"
    # Along the centre of the 0.8 pt line (0.3 pt of white, thinner than a film pixel: the
    # paths are checked), white all the way; under the 0.5 pt hairline, none.
    def along(x0: float, y0: float, x1: float, y1: float) -> float:
        centre = geo.shape_region(stroke(PathBuilder().move(x0, y0).line(x1, y1), 0.02,
                                         cap="butt"))
        return geo.total_area_pt2(geo.intersection(ub.region, centre)) / geo.total_area_pt2(
            centre)
    assert along(368, 321, 432, 249) >= 0.999
    assert along(368, 249, 392, 276) == 0.0  # short of where the lines cross


def test_plate_underbase_matches_the_exact_computation(catalog, dd_plate, monkeypatch):
    """Double descent (type, curves, tinted lines): the same agreement on a whole plate."""
    _, cover = _compare_with_exact(dd_plate.artwork, catalog.colorway("black"), monkeypatch)
    assert cover.sum() > 500_000


def _clean_region(rng: np.random.Generator, n: int) -> geo.Region:
    """A region as Clipper returns one: rectangles merged, with windows cut into them and
    islands inside some windows, spread so that some meet and some lie apart."""
    import pyclipper

    def rects(k: int, lo: float, hi: float) -> geo.Region:
        xy = rng.uniform(0, 300, (k, 2))
        wh = rng.uniform(lo, hi, (k, 2))
        return [(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]) * 1000).round()
                .astype(np.int64) for (x, y), (w, h) in zip(xy, wh, strict=True)]

    solid = regions._boolean(pyclipper.CT_UNION, rects(n, 5, 40), [])
    cut = regions._boolean(pyclipper.CT_DIFFERENCE, solid, rects(3 * n, 1, 8))
    return regions._boolean(pyclipper.CT_UNION, cut, rects(n, 0.5, 2))


@given(seed=st.integers(0, 100_000))
@settings(max_examples=60, deadline=None)
def test_operations_that_leave_rings_out_by_their_boxes_are_exact(seed):
    """Union, difference and intersection, which send Clipper only the rings whose boxes
    meet, cover exactly what Clipper's own operation on the whole regions covers."""
    import pyclipper

    rng = np.random.default_rng(seed)
    a, b = _clean_region(rng, int(rng.integers(1, 12))), _clean_region(rng, int(rng.integers(1, 12)))
    for fast, op in ((geo.union(a, b), pyclipper.CT_UNION),
                     (geo.difference(a, b), pyclipper.CT_DIFFERENCE),
                     (geo.intersection(a, b), pyclipper.CT_INTERSECTION)):
        whole = regions._boolean(op, a, b)
        assert geo.total_area_pt2(regions._boolean(pyclipper.CT_XOR, fast, whole)) == 0.0
        assert geo.total_area_pt2(fast) == pytest.approx(geo.total_area_pt2(whole), abs=1e-9)
