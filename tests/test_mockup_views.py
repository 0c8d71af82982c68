"""The storefront views: every view in every garment colour reads as its catalogue colour, one
light for all of them, a close-up that never cuts a title line, the colour range, the hanger
against its wall, and the ink film on dark tees."""

from __future__ import annotations

import colorsys
import dataclasses

import numpy as np
import pytest

from teeprint import mockup
from teeprint.artwork import Artwork, PathBuilder, fill
from teeprint.catalog import hex_rgb
from teeprint.mockup import compose, ink, light, relief, scenery, views
from teeprint.pipeline import Plate

VIEW_FNS = {"hanger": mockup.hanger, "folded": mockup.folded}


def _all_garments(catalog):
    return [(cw, g) for cw in catalog.colorways() for g in mockup.garments_of(catalog, cw)]


def _cloth_median(m: views.Mockup) -> np.ndarray:
    from scipy.ndimage import binary_erosion

    cloth = binary_erosion(m.garment_alpha >= 1.0, iterations=6) & (m.ink_alpha == 0)
    return np.median(m.rgb[cloth], axis=0)


@pytest.mark.parametrize("view", ["hanger", "folded"])
def test_every_garment_colour_reads_as_itself(catalog, dd_plate, view):
    medians = {}
    for cw, g in _all_garments(catalog):
        m = VIEW_FNS[view](dd_plate, cw, g)
        assert m.rgb.shape == (2048, 2048, 3) and m.rgb.dtype == np.uint8
        medians[g.id] = med = _cloth_median(m)
        assert np.all(np.abs(med - np.array(hex_rgb(g.hex))) <= 24), (view, g.id, med, g.hex)
    # Tan is tan: a warm, clearly saturated hue, unlike the creams beside it.
    h, s, _ = colorsys.rgb_to_hsv(*(medians["tan"] / 255.0))
    assert 20 <= h * 360 <= 40 and s >= 0.25, (h * 360, s)
    _, s_cream, _ = colorsys.rgb_to_hsv(*(medians["soft-cream"] / 255.0))
    assert s >= 1.5 * s_cream


def test_one_light_for_every_view():
    # Fit the shading to the slope of the cloth in each view: the light it implies points the
    # same way everywhere (up and to the left, as relief.LIGHT).
    want = np.degrees(np.arctan2(relief.LIGHT[1], relief.LIGHT[0]))
    for view in (relief.front_view(), relief.hanger_view(), relief.folded_view(),
                 views.range_view(8)):
        surf = compose.scene(view, mockup.GARMENT_SEED).surface
        gy, gx = np.gradient(surf.height_in, 1.0 / view.ppi)
        keep = (surf.alpha >= 1.0) & (np.hypot(gx, gy) > 0.05)
        keep[::2] = False
        a = np.column_stack([-gx[keep], -gy[keep], np.ones(keep.sum())])
        coef, *_ = np.linalg.lstsq(a, surf.log_shade[keep], rcond=None)
        got = np.degrees(np.arctan2(coef[1], coef[0]))
        assert abs((got - want + 180) % 360 - 180) < 20, (view.name, got, want)


def test_closeup_is_centred_on_the_figure_and_cuts_no_title(dd_plate):
    from teeprint.plate import FIGURE_BOX

    art = dd_plate.artwork
    # In the rendered close-up, the cloth along the top and bottom edges shows no title line.
    view = views.closeup_view(art)
    surf = compose.scene(view, mockup.GARMENT_SEED).surface
    bx, by, _, _ = views.box_of(art)
    for s in art.shapes:
        if s.text_pt is not None:
            t0, t1 = by + s.bbox[1] / 72.0, by + s.bbox[3] / 72.0
            for edge_v in (surf.v[0], surf.v[-1]):
                assert not ((edge_v > t0) & (edge_v < t1)).any(), s.label
    x0, y0, side = views.closeup_window(art)
    assert x0 + side / 2 == pytest.approx(bx + (FIGURE_BOX.x + FIGURE_BOX.w / 2) / 72.0)
    assert side >= FIGURE_BOX.w / 72.0, "the figure's whole width"
    # A title line straddling where the centred window would end: the window moves off it.
    fig_cy = (FIGURE_BOX.y + FIGURE_BOX.h / 2) / 72.0
    edge_pt = (fig_cy - side / 2) * 72.0
    title = fill(PathBuilder().rect(100, edge_pt - 20, 800, 40), text_pt=48.0)
    assert title.bbox[1] < edge_pt < title.bbox[3]
    moved = Artwork(art.width_pt, art.height_pt, (*art.shapes, title))
    _, y, side = views.closeup_window(moved)
    for s in moved.shapes:
        if s.text_pt is not None:
            t0, t1 = by + s.bbox[1] / 72.0, by + s.bbox[3] / 72.0
            assert t1 <= y or t0 >= y + side or (y <= t0 and t1 <= y + side), s.label
    assert y != pytest.approx(by + fig_cy - side / 2)


def test_colour_range_shows_every_garment_in_its_colour(catalog, dd_plate):
    shown = _all_garments(catalog)
    m = mockup.colour_range(dd_plate, shown)
    assert m.rgb.shape == (2048, 2048, 3)
    view = views.range_view(len(shown))
    for (_cw, g), (dx, dy, _t) in zip(shown, light.range_offsets(len(shown)), strict=True):
        # The shoulder of each folded tee, clear of the print and the collar.
        c, r = view.px(dx - 4.8, dy - 7.3)
        patch = m.rgb[int(r) - 6:int(r) + 6, int(c) - 6:int(c) + 6].reshape(-1, 3)
        med = np.median(patch, axis=0)
        assert np.all(np.abs(med - np.array(hex_rgb(g.hex))) <= 30), (g.id, med, g.hex)


def test_hanger_hangs_against_a_wall_with_its_hook(catalog, dd_plate):
    m = mockup.hanger(dd_plate, catalog.colorway("ecru"), catalog.garment("soft-cream"))
    view = relief.hanger_view()
    top = scenery.hook_path_in()[:, 1].min()
    c, r = view.px(0.85, top)
    assert m.garment_alpha[int(r), int(c)] == 0
    hook = m.rgb[int(r) - 1:int(r) + 2, int(c) - 1:int(c) + 2].astype(float).mean()
    wall = m.rgb[int(r) - 40:int(r) - 30, int(c) - 5:int(c) + 5].astype(float).mean()
    assert abs(hook - wall) > 20, "the wire shows against the wall"
    # The tee stands off the wall: its shadow falls away from the light (down and right).
    sc = compose.scene(view, mockup.GARMENT_SEED)
    rows = np.flatnonzero(sc.surface.alpha.any(axis=1))
    mid = (rows[0] + rows[-1]) // 2
    cols = np.flatnonzero(sc.surface.alpha[mid] > 0)
    right = m.rgb[mid, cols[-1] + 15:cols[-1] + 25].astype(float).mean()
    left = m.rgb[mid, cols[0] - 25:cols[0] - 15].astype(float).mean()
    assert right < left - 3


def test_ink_film_on_dark_tees_catches_the_light(catalog, dd_plate):
    art = dd_plate.artwork
    square = fill(PathBuilder().rect(200, 400, 600, 500))
    plate = Plate(dd_plate.spec, dd_plate.data, Artwork(art.width_pt, art.height_pt, (square,)))
    black = catalog.colorway("black")
    layer = views.print_layer(views.print_art(plate.artwork, black), relief.front_view(),
                              views.box_of(plate.artwork))
    lift, alpha = layer.dense(layer.lift), layer.dense(layer.alpha)
    edge = np.abs(lift) > 0.02
    assert edge.any()
    assert np.percentile(np.abs(lift[alpha > 0.9]), 99) < 0.02, "flat inside"
    rows, cols = np.nonzero(edge)
    cy, cx = rows.mean(), cols.mean()
    # Edges facing the light (upper left) brighten, the far ones darken.
    assert lift[edge & (np.arange(edge.shape[0])[:, None] < cy)].mean() > 0
    assert lift[edge & (np.arange(edge.shape[1])[None, :] > cx)].mean() < 0
    # The lift shows on the dark tee; on a light one the DTG ink soaks in and it does not.
    flat = dataclasses.replace(layer, film=np.zeros_like(layer.film))
    assert not flat.lift.any()
    base = compose.paint_garment(compose.scene(relief.front_view(), mockup.GARMENT_SEED),
                                 "#0c0c0c", None)
    with_lift, without = base.copy(), base.copy()
    ink.apply_print(with_lift, layer, "#0c0c0c")
    ink.apply_print(without, flat, "#0c0c0c")
    assert not np.array_equal(with_lift, without)
    with_lift, without = base.copy(), base.copy()
    ink.apply_print(with_lift, layer, "#e7d4c0")
    ink.apply_print(without, flat, "#e7d4c0")
    assert np.array_equal(with_lift, without)


def test_only_the_first_colourway_draws_the_range(catalog, dd_plate):
    names = {cw: [o.path for o in mockup.stage(dd_plate, catalog.colorway(cw),
                                               {"catalog": catalog, "garments": ["tan", "black"]})]
             for cw in ("ecru", "black")}
    assert "double-descent--tan--range.jpg" in names["ecru"]
    assert not any(n.endswith("--range.jpg") for n in names["black"])
    assert "double-descent--black--hanger.jpg" in names["black"]
    one = [o.path for o in mockup.stage(dd_plate, catalog.colorway("black"),
                                        {"catalog": catalog, "garments": ["navy"]})]
    assert one == ["double-descent--navy--front.jpg", "double-descent--navy--hanger.jpg",
                   "double-descent--navy--folded.jpg", "double-descent--navy--closeup.jpg",
                   "double-descent--navy--plate.jpg"], "no range of a single colour"


def test_only_the_latest_closeup_print_zone_is_kept(catalog, dd_plate):
    # The close-up window follows the plate's figure: the plate's colourways share its zone
    # (56 MB at the default size), and a plate whose figure lies elsewhere replaces it.
    ink.clear_zones()
    for cw in catalog.resolve_colorways(dd_plate.spec):
        mockup.closeup(dd_plate, cw, mockup.garments_of(catalog, cw)[0], 256)
    assert ink._window_zone.cache_len() == 1
    (first,) = ink._window_zone._entries
    art = dd_plate.artwork
    # A title line across the window's top edge moves the window.
    _, y0, _ = views.closeup_window(art)
    edge_pt = (y0 - views.box_of(art)[1]) * 72.0
    title = fill(PathBuilder().rect(100, edge_pt - 20, 800, 40), text_pt=48.0)
    moved = dataclasses.replace(dd_plate, artwork=Artwork(art.width_pt, art.height_pt,
                                                          (*art.shapes, title)))
    mockup.closeup(moved, cw, mockup.garments_of(catalog, cw)[0], 256)
    assert ink._window_zone.cache_len() == 1 and first not in ink._window_zone._entries
    mockup.front(dd_plate, cw, mockup.garments_of(catalog, cw)[0], 256)
    assert ink._view_zone.cache_len() >= 1


def test_print_zones_and_heather_are_kept_in_the_scene_store(catalog, dd_plate, monkeypatch):
    # A zone (and a heather's fleck levels) depends on the view and the print box only: a
    # later process maps it from the store instead of working it out again, and gets the
    # same mockup; a damaged entry is worked out and stored again.
    from teeprint.mockup import store

    cw = catalog.resolve_colorways(dd_plate.spec)[0]
    heathered = next(g for g in mockup.garments_of(catalog, cw) if g.heather)
    views.clear_caches()
    made = mockup.front(dd_plate, cw, heathered, 256)
    sc = views.scene_of(relief.front_view(256))
    zone_at = store.path_for(sc.view, sc.seed_text, sc.offset, views.box_of(dd_plate.artwork),
                             kind="zone")
    assert (zone_at / "source.npy").exists()
    assert store.path_for(sc.view, sc.seed_text, sc.offset, kind="heather").exists()
    views.clear_caches()
    real_zone = ink._zone

    def refuse(*_a, **_k):
        raise AssertionError("worked out again instead of read from the store")

    monkeypatch.setattr(ink, "_zone", refuse)
    monkeypatch.setattr(compose, "_heather_index", refuse)
    again = mockup.front(dd_plate, cw, heathered, 256)
    assert again.pixels.tobytes() == made.pixels.tobytes()
    zn = ink.zone(sc, views.box_of(dd_plate.artwork))
    assert isinstance(zn.source, np.memmap) and isinstance(zn.fibres, np.memmap)
    views.clear_caches()
    (zone_at / "meta.npy").write_bytes(b"damaged")
    monkeypatch.setattr(ink, "_zone", real_zone)
    assert mockup.front(dd_plate, cw, heathered, 256).pixels.tobytes() == made.pixels.tobytes()
    assert np.load(zone_at / "meta.npy").shape == (10,), "stored again"
