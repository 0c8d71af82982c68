"""The render's scheduler, its shared caches and the low-level writers it leans on.

A render runs its stages side by side on threads; these tests hold it to the same bytes and
order as a render on one thread, and check the pieces that make the threads pay off (compute-
once caches, cairo path arrays, the row-run dilation, the sparse halftone screen, the PNG
writers) against straightforward references.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from teeprint import pipeline
from teeprint.memo import once

SEPARATIONS = ("master-svg", "print-png", "figure-data", "separation-pdf", "film", "preflight")


def test_threaded_render_matches_a_single_thread_byte_for_byte(catalog):
    spec = catalog.specimen("double-descent")
    cws = catalog.resolve_colorways(spec)
    one = pipeline.render(catalog, spec, cws, targets=SEPARATIONS, workers=1)
    many = pipeline.render(catalog, spec, cws, targets=SEPARATIONS, workers=3)
    assert [(o.path, o.kind, o.colorway) for o in one] == [(o.path, o.kind, o.colorway) for o in many]
    assert [o.data for o in one] == [o.data for o in many]
    # Figure data first, then each colourway's kinds in pipeline order.
    assert one[0].kind == "figure-data"
    kinds = [o.kind for o in one if o.colorway == cws[0].id]
    assert kinds == sorted(kinds, key=pipeline.KINDS.index)


def test_print_png_pixels_are_what_the_file_decodes_to(dd_plate, catalog):
    # Preflight checks the pixels a render encoded instead of decoding its own file again.
    png = pipeline.print_png(dd_plate, catalog.colorway("black"))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png.data))), png.pixels)


def test_preflight_sees_its_own_colourways_print_png(catalog):
    spec = catalog.specimen("double-descent")
    cws = catalog.resolve_colorways(spec)
    outs = pipeline.render(catalog, spec, cws, targets=("print-png", "preflight"), workers=2)
    import json

    assert all(o.pixels is None for o in outs)  # not kept once the render is done
    for cw in cws:
        report = json.loads(next(o.data for o in outs if o.kind == "preflight" and o.colorway == cw.id))
        png = next(o for o in outs if o.kind == "print-png" and o.colorway == cw.id)
        assert report["facts"]["print_png"]["bytes"] == len(png.data)


def test_a_failing_part_stops_the_render_with_its_error(catalog, monkeypatch):
    from teeprint.errors import TeeprintError

    def broken(plate, colorway, options):
        return [pipeline.Part(lambda: (_ for _ in ()).throw(TeeprintError("boom")), "broken")]

    monkeypatch.setitem(pipeline.STAGE_PARTS, "film", broken)
    spec = catalog.specimen("double-descent")
    with pytest.raises(TeeprintError, match="boom"):
        pipeline.render(catalog, spec, catalog.resolve_colorways(spec),
                        targets=("print-png", "film"), workers=2)


def test_default_workers_follow_the_environment(monkeypatch):
    monkeypatch.setenv("TEEPRINT_THREADS", "3")
    assert pipeline.default_workers() == 3
    monkeypatch.setenv("TEEPRINT_THREADS", "zero")
    assert pipeline.default_workers() >= 1


# -- compute-once caches ---------------------------------------------------------------------

def test_once_computes_each_key_once_across_threads():
    calls: list[int] = []
    gate = threading.Event()

    @once(maxsize=4)
    def slow(x: int) -> int:
        calls.append(x)
        gate.wait(1.0)
        return x * x

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(slow(7))) for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    gate.set()
    for t in threads:
        t.join()
    assert results == [49] * 6
    assert calls == [7]


def test_once_forgets_failures_and_evicts_the_oldest():
    attempts: list[int] = []

    @once(maxsize=2)
    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) == 1:
            raise ValueError("first call fails")
        return x

    with pytest.raises(ValueError):
        flaky(1)
    assert flaky(1) == 1 and attempts == [1, 1]
    flaky(2)
    flaky(3)  # evicts 1
    assert flaky.cache_len() == 2
    flaky(1)
    assert attempts == [1, 1, 2, 3, 1]
    flaky.cache_clear()
    assert flaky.cache_len() == 0


# -- cairo paths, the underbase opening, the screen -------------------------------------------

def _replay_by_segments(ctx, d: str) -> None:
    from teeprint.artwork import PATH_TOKENS

    for op, args in PATH_TOKENS.findall(d):
        v = [float(t) for t in args.split()]
        if op == "M":
            ctx.move_to(*v)
        elif op == "L":
            ctx.line_to(*v)
        elif op == "C":
            ctx.curve_to(*v)
        else:
            ctx.close_path()


def test_cairo_path_arrays_draw_exactly_what_segment_calls_draw(dd_plate):
    import cairocffi as cairo

    from teeprint.raster import replay_path

    shapes = dd_plate.artwork.shapes[:400]

    def draw(replay) -> bytes:
        surface = cairo.ImageSurface(cairo.FORMAT_A8, 600, 720)
        ctx = cairo.Context(surface)
        ctx.scale(600 / 1080, 600 / 1080)
        for s in shapes:
            ctx.new_path()
            replay(ctx, s.d)
            if s.paint == "fill":
                ctx.fill()
            else:
                ctx.set_line_width(max(s.width_pt, 1.0))
                ctx.stroke()
        surface.flush()
        return bytes(surface.get_data())

    assert draw(replay_path) == draw(_replay_by_segments)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), transparent=st.floats(0.0, 1.0))
def test_premultiplied_words_become_straight_rgba(seed, transparent):
    """cairo's premultiplied ARGB32 words come out as straight RGBA bytes, pixel by pixel."""
    from teeprint.raster import _words_to_rgba

    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (23, 31)).astype(np.uint32)
    a[rng.random(a.shape) < transparent] = 0
    a[rng.random(a.shape) < 0.3] = 255
    rgb = (rng.random((23, 31, 3)) * (a[..., None] + 1)).astype(np.uint32).clip(0, a[..., None])
    words = (a << 24) | (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]  # native ARGB32
    out = _words_to_rgba(words.copy())
    safe = np.maximum(a, 1)[..., None]
    straight = np.where(a[..., None] > 0, np.minimum((rgb * 255 + safe // 2) // safe, 255), 0)
    assert np.array_equal(out[..., :3], straight.astype(np.uint8))
    assert np.array_equal(out[..., 3], a.astype(np.uint8))


def test_malformed_path_data_is_refused():
    from teeprint.raster import cairo_path

    with pytest.raises(ValueError, match="malformed path"):
        cairo_path("M 1 2 C 3 4 5")


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), lpi=st.floats(35.0, 65.0), angle=st.floats(0.0, 89.9),
       origin=st.tuples(st.integers(0, 500), st.integers(0, 500)))
def test_sparse_screen_equals_the_full_threshold_grid(seed, lpi, angle, origin):
    from teeprint.separate.halftone import screen, thresholds

    rng = np.random.default_rng(seed)
    cover = rng.random((80, 90)) < 0.7
    tint = rng.integers(0, 256, (80, 90)).astype(np.uint8) * cover  # 0 where nothing prints
    oy, ox = origin
    t = tint.astype(np.float32) * np.float32(1 / 255)
    mid = (tint >= 26) & (tint <= 230)
    ref = (tint > 230) | (mid & (thresholds(oy, oy + 80, ox, ox + 90, lpi, angle, 300) < t))
    assert np.array_equal(screen(tint, lpi, angle, 300, origin), ref)


# -- PNG writers and file modes ---------------------------------------------------------------

def test_print_png_and_film_writers_make_valid_pngs(tmp_path):
    from teeprint.raster import encode_bilevel_png, encode_png, srgb_icc

    rng = np.random.default_rng(3)
    rgba = np.zeros((37, 53, 4), np.uint8)
    rgba[5:30, 7:40] = rng.integers(0, 256, (25, 33, 4))
    rgba[5:30, 7:40, 3] = 255
    png = encode_png(rgba, 300)
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGBA" and round(img.info["dpi"][0]) == 300
    assert img.info["icc_profile"] == srgb_icc()
    assert np.array_equal(np.asarray(img), rgba)
    ink = rng.random((41, 67)) < 0.3  # a width that is not a multiple of 8
    film = encode_bilevel_png(ink, 600)
    img = Image.open(io.BytesIO(film))
    assert img.mode == "1" and round(img.info["dpi"][0]) == 600
    assert np.array_equal(~np.asarray(img), ink)
    if shutil.which("pngcheck"):
        for name, data in (("print.png", png), ("film.png", film)):
            (tmp_path / name).write_bytes(data)
            run = subprocess.run(["pngcheck", str(tmp_path / name)], capture_output=True, text=True)
            assert run.returncode == 0, run.stdout


def test_written_files_get_the_usual_mode(tmp_path):
    from teeprint import export

    old = os.umask(0o022)
    export._umask.cache_clear()
    try:
        export.atomic_write(tmp_path / "a.txt", b"x")
    finally:
        os.umask(old)
        export._umask.cache_clear()
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


# -- process settings --------------------------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_process_settings_tune_the_allocator_once_unless_told_not_to():
    code = ("import os, gc; from teeprint.runtime import configure_process as c; "
            "print(c(), c(), os.environ['OPENBLAS_NUM_THREADS'], gc.get_threshold()[0])")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TEEPRINT_MALLOC", "OPENBLAS_NUM_THREADS")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert run.stdout.split() == ["True", "False", "1", "20000"]  # the collector runs less often
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**env, "TEEPRINT_MALLOC": "default", "OPENBLAS_NUM_THREADS": "3"})
    assert run.stdout.split() == ["False", "False", "3", "20000"]


#: Loads cairocffi (its declarations as prepared, or parsed as usual), draws a plate's figure
#: with both raster paths, and prints how cairocffi got its declarations, the names cairo's
#: library offers, and the pixels' digest.
_CAIRO_PROBE = """
import hashlib, sys
from teeprint.runtime import prepare_cairo
prepared = prepare_cairo()
import cairocffi
from teeprint.artwork import Artwork, Shape
from teeprint.catalog import Catalog
from teeprint.raster import rasterize_artwork
cat = Catalog.load(None, None, None)
art = Artwork(200.0, 100.0, (
    Shape("M10 10 C60 90 120 0 190 80", paint="stroke", width_pt=3.0),
    Shape("M20 20 L80 20 L50 70 Z", role="accent")))
rgba = rasterize_artwork(art, cat.colorway("ecru"), 400, 200, (0.0, 0.0, 200.0, 100.0))
print(prepared, type(sys.modules["cairocffi.ffi"].ffi).__module__)
print(hashlib.sha256(" ".join(sorted(dir(cairocffi.cairo))).encode()).hexdigest())
print(hashlib.sha256(rgba.tobytes()).hexdigest(), int(rgba[..., 3].astype(bool).sum()))
"""


def test_cairos_declarations_are_prepared_once_and_draw_the_same_pixels(tmp_path):
    env = {**os.environ, "TEEPRINT_CACHE_DIR": str(tmp_path)}
    env.pop("TEEPRINT_PARSED_CAIRO", None)

    def probe(**extra: str) -> list[str]:
        run = subprocess.run([sys.executable, "-c", _CAIRO_PROBE], capture_output=True,
                             text=True, env={**env, **extra}, check=True)
        return run.stdout.split("\n")

    first = probe()
    (module,) = (tmp_path / "cffi").glob("cairo_*.py")
    assert not list((tmp_path / "cffi").glob(".*.tmp")), "no temporary file left behind"
    written = module.stat().st_mtime_ns
    again = probe()
    assert module.stat().st_mtime_ns == written, "the prepared declarations are reused"
    parsed = probe(TEEPRINT_PARSED_CAIRO="0")
    assert first[0] == again[0] == "True _cffi_backend"  # cffi's out-of-line module
    assert parsed[0] == "False cffi.api"  # cairocffi parsed its declarations itself
    assert first[1] == parsed[1], "the same functions and constants of cairo"
    assert first[2] == again[2] == parsed[2], "the same pixels"
    assert int(first[2].split()[1]) > 1000, "the probe drew something"


def test_a_print_pngs_pixels_are_let_go_once_no_stage_will_read_them():
    from teeprint import pipeline

    pipeline.load_stages()
    wanted = ("print-png", "preflight")
    png = pipeline.Output("a.png", "print-png", b"", "ecru", pixels=object())
    results = {(0, 0, 0): [png], (1, 0, 0): [replace(png, colorway="black")]}
    # colourway 1's preflight still waits for its PNG; colourway 0's has run
    read = pipeline._still_read(wanted, [(1, 1)], {}, [])
    assert read == {(1, "print-png")}
    pipeline._drop_pixels(results, read)
    assert results[(0, 0, 0)][0].pixels is None
    assert results[(1, 0, 0)][0].pixels is not None


def test_preflight_runs_as_soon_as_its_print_png_is_made(catalog):
    # Its PNG's 97 MB of pixels are held until it has run: on one thread it goes ahead of
    # every costlier part still waiting (films, the separation PDF).
    spec = catalog.specimen("double-descent")
    cws = catalog.resolve_colorways(spec)
    order: list[str] = []
    pipeline.render(catalog, spec, cws, targets=SEPARATIONS, workers=1, progress=order.append)
    for cw in cws:
        mine = [m.split(": ", 1)[1] for m in order if m.startswith(f"double-descent/{cw.id}: ")]
        png = mine.index("print PNG 15x18")
        assert mine[png + 1] == "preflight"
        assert any(label.startswith("film") for label in mine[png + 2:]), "films were still waiting"
