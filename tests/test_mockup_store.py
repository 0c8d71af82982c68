"""The lit views on disk and what the views read of them: entries mapped back unchanged, stale
or damaged entries built again, the close-up cut from its strip as if built for its window,
and the print's sparse sampling, blur and slopes against their dense references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter, map_coordinates

from teeprint import mockup
from teeprint.mockup import cloth, compose, ink, light, relief, sampling, store, views
from teeprint.raster import ARGB_BYTES


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TEEPRINT_CACHE_DIR", str(tmp_path))
    cloth.clear()
    yield tmp_path
    cloth.clear()


def _refuse(*_a, **_k):
    raise AssertionError("built again instead of reading the store")


def test_lit_views_are_stored_and_mapped_back_unchanged(fresh_cache, monkeypatch):
    view = relief.folded_view(512)
    built = compose.lit_view(view, mockup.GARMENT_SEED)
    assert (store.path_for(view, mockup.GARMENT_SEED) / "index.npy").is_file()
    monkeypatch.setattr(light, "surface", _refuse)
    again = compose.lit_view(view, mockup.GARMENT_SEED)
    for name in (*store.FIELDS, "index", "ground", "box"):
        assert np.array_equal(np.asarray(built[name]), np.asarray(again[name])), name
    # Mapped read-only, not copied into the process.
    assert isinstance(again["u"], np.memmap) and not again["u"].flags.writeable
    assert again["log_shade"].dtype == np.float16 and again["u"].dtype == np.float32
    # The shading levels are those of the full-precision shading.
    surf = store.surface(view, again)
    r0, r1, c0, c1 = (int(v) for v in again["box"])
    from teeprint.mockup.colour import shade_index

    levels = shade_index(surf.log_shade[r0:r1, c0:c1])
    assert np.abs(levels.astype(int) - np.asarray(again["index"], int)).max() <= 1
    with pytest.raises(AssertionError, match="built again"):
        compose.lit_view(relief.folded_view(256), mockup.GARMENT_SEED)


def test_a_stale_or_damaged_entry_is_built_again(fresh_cache, monkeypatch):
    view = relief.folded_view(256)
    first_u = np.array(compose.lit_view(view, mockup.GARMENT_SEED)["u"])
    path = store.path_for(view, mockup.GARMENT_SEED)
    # A damaged file (a new file in its place: the old one stays mapped): the entry does not
    # load, so the view is built and stored again.
    (path / "u.npy").unlink()
    (path / "u.npy").write_bytes(b"not an array")
    assert store.load(view, mockup.GARMENT_SEED) is None
    rebuilt = compose.lit_view(view, mockup.GARMENT_SEED)
    assert np.array_equal(np.asarray(rebuilt["u"]), first_u)
    assert isinstance(rebuilt["u"], np.memmap), "the repaired entry is mapped"
    assert store.load(view, mockup.GARMENT_SEED) is not None
    # Another layout version keys every entry afresh: the old one is never read.
    monkeypatch.setattr(store, "STORE_VERSION", store.STORE_VERSION + 1)
    store.code_fingerprint.cache_clear()
    try:
        assert store.path_for(view, mockup.GARMENT_SEED) != path
        monkeypatch.setattr(light, "surface", _refuse)
        with pytest.raises(AssertionError, match="built again"):
            compose.lit_view(view, mockup.GARMENT_SEED)
    finally:
        monkeypatch.undo()
        store.code_fingerprint.cache_clear()


def test_store_reads_a_window_of_a_mapped_field(tmp_path):
    a = np.arange(60 * 70, dtype=np.float32).reshape(60, 70)
    np.save(tmp_path / "a.npy", a)
    m = np.load(tmp_path / "a.npy", mmap_mode="r")
    for rows, cols, step in ((slice(3, 50), slice(5, 66), 1), (slice(0, 60), slice(0, 70), 8),
                             (slice(1, 59), slice(4, 69), 8), (slice(7, 8), slice(2, 3), 1)):
        got = store.read(m, rows, cols, step)
        assert np.array_equal(got, a[rows.start:rows.stop:step, cols.start:cols.stop:step])
    assert np.array_equal(store.read(a, slice(2, 9), slice(3, 20)), a[2:9, 3:20])


def test_closeup_is_cut_from_the_strip_as_if_built_for_its_window(catalog, dd_plate):
    size = 512
    strip = views.closeup_strip(size)
    assert strip is not None
    view = views.closeup_view(dd_plate.artwork, size)
    assert view.ppi == strip.ppi, "the close-up lies in the strip"
    cut = views.scene_of(view)
    assert cut.offset != (0, 0) and cut.covers
    own = compose.scene(view, mockup.GARMENT_SEED)  # the same window, lit on its own
    a, b = cut.surface, own.surface
    assert np.array_equal(a.alpha >= 0.999, b.alpha >= 0.999)
    # The same pattern point under every pixel (a pixel's offset would move it 1/ppi).
    px = 1.0 / view.ppi
    assert np.abs(a.u - b.u).max() < 0.05 * px and np.abs(a.v - b.v).max() < 0.05 * px
    # The same light (the knit's random grain differs: its generator fills another shape).
    # Within 1.6 in of its edges the window lit on its own sees no cloth beyond them (its
    # valleys' occlusion looks 2 in around); the strip does, so only the inside must agree.
    diff = np.abs(gaussian_filter(a.log_shade, 4.0) - gaussian_filter(b.log_shade, 4.0))
    m = round(1.6 * view.ppi)
    assert diff[m:-m, m:-m].max() < 0.02 and diff.mean() < 0.01
    # Painted, the two read as the same photograph.
    cream = catalog.garment("soft-cream")
    one = compose.paint_garment(cut, cream.hex, None)[..., :3].astype(float)
    two = compose.paint_garment(own, cream.hex, None)[..., :3].astype(float)
    assert abs(one.mean() - two.mean()) < 0.5 and np.abs(one - two).mean() < 3.0


def test_sparse_pull_matches_dense_bilinear_sampling():
    gen = np.random.default_rng(3)
    h, w = 40, 50
    src = np.zeros((h, w, 4), np.uint8)
    src[10:25, 12:30] = gen.integers(0, 256, (15, 18, 4), dtype=np.uint8)
    src[30, 40] = (200, 10, 10, 255)
    rows_f = gen.uniform(-2, h + 1, (64, 64)).astype(np.float32)
    cols_f = gen.uniform(-2, w + 1, (64, 64)).astype(np.float32)
    source, frac = sampling.sample_grid((w, h), rows_f, cols_f)
    # As cairo draws: premultiplied colour, in native-endian ARGB32 words.
    pm = src.copy()
    pm[..., :3] = np.rint(src[..., :3] * (src[..., 3:4] / 255.0)).astype(np.uint8)
    words = np.zeros((h, w, 4), np.uint8)
    words[..., ARGB_BYTES] = pm
    at, rgba = sampling.pull(words.view(np.uint32)[..., 0], source, frac)
    # Dense reference: bilinear on premultiplied colour, edge pixels repeated.
    prem = pm.astype(np.float64) / 255.0
    r, c = np.clip(rows_f, 0, h - 1), np.clip(cols_f, 0, w - 1)
    ref = np.stack([map_coordinates(prem[..., k], [r, c], order=1, mode="nearest")
                    for k in range(4)], axis=-1).reshape(-1, 4)
    assert np.abs(rgba[:, 3] - ref[at, 3]).max() < 1.5 / 256
    got_prem = rgba[:, :3] * rgba[:, 3:4]
    assert np.abs(got_prem - ref[at, :3]).max() < 1.5 / 256
    outside = np.setdiff1d(np.arange(ref.shape[0]), at)
    assert not ref[outside, 3].any(), "every inked sample is returned"


def test_blur_and_slopes_match_scipy_and_numpy():
    gen = np.random.default_rng(5)
    field = (gen.random((90, 120)) > 0.85).astype(np.float32)
    for sigma in (0.32, 0.63, 1.9):
        ref = gaussian_filter(field, sigma, truncate=3.0)
        assert np.abs(sampling.blur(field, sigma) - ref).max() < 1e-5, sigma
    smooth = gaussian_filter(field, 1.5)
    at = np.flatnonzero(gen.random(field.size) > 0.7).astype(np.int32)
    gy, gx = sampling.gradient_at(smooth, at)
    ry, rx = np.gradient(smooth)
    assert np.allclose(gy, ry.ravel()[at], atol=1e-6) and np.allclose(gx, rx.ravel()[at],
                                                                          atol=1e-6)


def test_print_zone_is_found_without_reading_every_pixel(dd_plate):
    sc = compose.scene(relief.front_view(), mockup.GARMENT_SEED)
    bx, by, bw, bh = views.box_of(dd_plate.artwork)
    m = ink.PRINT_MARGIN_IN
    bounds = (bx - m, by - m, bx + bw + m, by + bh + m)
    rows, cols = ink._print_box_at(sc, bounds)
    u, v, a = np.asarray(sc.u), np.asarray(sc.v), np.asarray(sc.alpha)
    hit = (a > 0) & (u >= bounds[0]) & (u <= bounds[2]) & (v >= bounds[1]) & (v <= bounds[3])
    r, c = np.flatnonzero(hit.any(axis=1)), np.flatnonzero(hit.any(axis=0))
    assert (rows.start, rows.stop, cols.start, cols.stop) == (r[0], r[-1] + 1, c[0], c[-1] + 1)


def test_a_cache_that_cannot_be_written_only_costs_the_build(fresh_cache, monkeypatch, catalog,
                                                              dd_plate):
    ecru, cream = catalog.colorway("ecru"), catalog.garment("soft-cream")
    stored = mockup.front(dd_plate, ecru, cream, 256)
    mockup.clear_caches()
    monkeypatch.setattr(store, "save", lambda *_a, **_k: False)
    monkeypatch.setattr(store, "load", lambda *_a, **_k: None)
    built = compose.lit_view(relief.front_view(256), mockup.GARMENT_SEED)
    assert not isinstance(built["u"], np.memmap), "held in memory"
    again = mockup.front(dd_plate, ecru, cream, 256)
    assert np.array_equal(again.pixels, stored.pixels)
    mockup.clear_caches()


def test_a_closeup_outside_the_strip_is_lit_for_its_own_window(fresh_cache):
    strip = views.closeup_strip(256)
    assert strip is not None
    outside = relief.View("closeup", strip.x0_in, strip.y0_in - 1.0, strip.ppi, 256, 256)
    sc = views.scene_of(outside)
    assert sc.offset == (0, 0) and sc.view == outside
    inside = relief.View("closeup", strip.x0_in + 3 / strip.ppi, strip.y0_in + 5 / strip.ppi,
                         strip.ppi, 256, 256)
    assert views.scene_of(inside).offset == (5, 3)


def test_other_versions_entries_are_pruned_a_day_after_their_last_use(fresh_cache):
    import os
    import time

    scene = fresh_cache / "scene"
    stale, recent, legacy = scene / "0123456789abcdef", scene / "fedcba9876543210", scene / "old.npz"
    for folder in (stale, recent):
        (folder / "front-x").mkdir(parents=True)
        (folder / "front-x" / "u.npy").write_bytes(b"x")
    legacy.write_bytes(b"x")
    day_ago = time.time() - store.STALE_AFTER_S - 60
    for path in (stale, legacy):
        os.utime(path, (day_ago, day_ago))
    view = relief.folded_view(128)
    compose.lit_view(view, mockup.GARMENT_SEED)  # stores an entry of this version, and prunes
    current = store.path_for(view, mockup.GARMENT_SEED)
    assert current.parent.name == store.code_fingerprint() and current.is_dir()
    assert not stale.exists() and not legacy.exists()
    assert recent.exists(), "another version used within the day is kept"


def test_the_plate_cards_scene_is_stored_and_mapped_back_unchanged(fresh_cache, monkeypatch):
    from teeprint.mockup import card

    args = (360.0, 432.0, mockup.GARMENT_SEED, 512)
    card.card_scene.cache_clear()
    built = card.card_scene(*args)  # built, stored, and mapped back
    assert isinstance(built.ground, np.memmap) and not built.ground.flags.writeable
    card.card_scene.cache_clear()
    monkeypatch.setattr(card, "_card_fields", _refuse)
    again = card.card_scene(*args)
    for name in card.CARD_FIELDS:
        assert np.array_equal(getattr(built, name), getattr(again, name)), name
    assert (again.rows, again.cols, again.print_at) == (built.rows, built.cols, built.print_at)
    monkeypatch.undo()
    # the stored fields are what a build computes
    view, cov = again.view, (again.rows, again.cols)
    c0, r0 = view.px(0.0, 0.0)
    c1, r1 = view.px(360 / 72 + 2 * card.CARD_MARGIN_IN, 432 / 72 + 2 * card.CARD_MARGIN_IN)
    fresh = card._card_fields(view, card._coverage(c0, c1, 512), card._coverage(r0, r1, 512),
                              (360 / 72 + 2 * card.CARD_MARGIN_IN, 432 / 72 + 2 * card.CARD_MARGIN_IN),
                              again.print_at, cov, mockup.GARMENT_SEED)
    for name in card.CARD_FIELDS:
        assert np.array_equal(fresh[name], getattr(again, name)), name
    card.card_scene.cache_clear()


def test_only_the_first_windows_met_get_a_stored_zone(catalog, dd_plate, monkeypatch):
    # A close-up window beyond STORED_WINDOWS is worked out in the process and not written
    # (56 MB that a later plate would only write again); a view's own zone is always stored.
    art = dd_plate.artwork
    sc = views.scene_of(views.closeup_view(art, 256))
    assert sc.offset != (0, 0), "the close-up is a window of the lit strip"
    path = store.path_for(sc.view, sc.seed_text, sc.offset, views.box_of(art), kind="zone")
    written: list[object] = []
    monkeypatch.setattr(store, "save_at", lambda p, a: written.append(p) or True)
    monkeypatch.setattr(store, "load_at", lambda p, names: None)  # nothing stored yet
    monkeypatch.setattr(store, "entries_like", lambda p: [p] * ink.STORED_WINDOWS)
    ink._stored_zone(sc, views.box_of(art))
    assert written == [], "a window beyond the first ones is not stored"
    monkeypatch.setattr(store, "entries_like", lambda p: [])
    ink._stored_zone(sc, views.box_of(art))
    assert written == [path]


def test_entries_of_one_kind_and_view_are_found_by_name(tmp_path):
    for name in ("zone-closeup-aa", "zone-closeup-bb", "zone-front-cc", "closeup-dd"):
        (tmp_path / name).mkdir()
    (tmp_path / "zone-closeup-ee.tmp").write_bytes(b"")  # a file, not an entry
    found = store.entries_like(tmp_path / "zone-closeup-ff")
    assert sorted(p.name for p in found) == ["zone-closeup-aa", "zone-closeup-bb"]
