"""The spine: double-descent plate to master SVG, DTG print PNG, figure data and manifest."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from teeprint import pipeline, recipes
from teeprint.raster import PRESETS, rasterize

GOLDENS = Path(__file__).parent / "goldens"


def test_double_descent_peaks_at_interpolation_threshold(catalog):
    data = recipes.run(catalog.specimen("double-descent"))
    n = data["n_train"]
    sizes = np.asarray(data["n_features"])
    err = np.asarray(data["test_error"])
    peak = int(np.argmax(err))
    assert 0.8 * n <= sizes[peak] <= 1.25 * n
    below = err[sizes < 0.8 * n]
    above = err[sizes > 1.25 * n]
    # First descent has a minimum well below the spike, and the error falls again past it.
    assert below.min() < err[peak] / 10
    assert above[-1] < err[peak] / 10
    assert above[-1] < above[0]
    # Ridge regularisation removes the spike: no bump at N = n against the sizes just below.
    ridge = np.asarray(data["ridge_test_error"])
    assert ridge[peak] < err[peak] / 20
    assert ridge[peak] <= 1.2 * ridge[peak - 3:peak].min()


def test_recipe_is_deterministic(catalog):
    spec = catalog.specimen("double-descent")
    assert recipes.run(spec).to_json() == recipes.run(spec).to_json()
    assert recipes.run(spec, seed=1).to_json() != recipes.run(spec).to_json()


def _canonical(svg: str) -> str:
    return ET.canonicalize(svg, strip_text=True)


def test_master_svg_matches_golden(catalog, dd_plate, update_goldens):
    out = pipeline.master_svg(dd_plate, catalog.colorway("ecru"))
    text = out.data.decode()
    golden = GOLDENS / "double-descent--ecru.svg"
    if update_goldens:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
        pytest.skip("golden rewritten; review the diff and commit it")
    assert golden.exists(), "no golden: run pytest --update-goldens and review it"
    assert _canonical(text) == _canonical(golden.read_text())


def test_master_svg_is_outlined_and_layered_by_ink(catalog, dd_plate):
    for cw in (catalog.colorway("ecru"), catalog.colorway("black")):
        root = ET.fromstring(pipeline.master_svg(dd_plate, cw).data)
        ns = "{http://www.w3.org/2000/svg}"
        assert not list(root.iter(ns + "text")), "type must be outlined"
        groups = root.findall(ns + "g")
        assert [g.get("id") for g in groups] == [f"ink-{ink.id}" for ink in cw.inks]
        inks = {ink.id: ink for ink in cw.inks}
        for g in groups:
            ink = inks[g.get("id").removeprefix("ink-")]
            assert g.get("{http://www.inkscape.org/namespaces/inkscape}label") == ink.name
            assert g.get("data-spot") == ink.spot
        assert root.get("width") == "15in" and root.get("height") == "18in"


@pytest.mark.parametrize("preset", ["15x18", "12x16"])
def test_print_png_meets_dtg_rules(catalog, dd_plate, preset):
    from PIL import Image, ImageCms

    cw = catalog.colorway("black")
    out = pipeline.print_png(dd_plate, cw, preset)
    p = PRESETS[preset]
    img = Image.open(io.BytesIO(out.data))
    assert img.format == "PNG" and img.mode == "RGBA"
    assert img.size == (p.width_px, p.height_px) == (out.width, out.height)
    assert tuple(round(v) for v in img.info["dpi"]) == (300, 300)
    profile = ImageCms.ImageCmsProfile(io.BytesIO(img.info["icc_profile"]))
    assert "sRGB" in ImageCms.getProfileDescription(profile)
    px = np.asarray(img)
    alpha = px[..., 3]
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0, "the garment is never painted in"
    assert not px[alpha == 0, :3].any(), "colour must be zeroed where alpha is 0"
    partial = np.count_nonzero((alpha > 0) & (alpha < 255)) / alpha.size
    inked = np.count_nonzero(alpha) / alpha.size
    assert inked > 0.02
    assert partial < 0.02, "partial alpha only on anti-aliased edges"
    # Partial-alpha pixels sit next to opaque ones (edges), never in open areas.
    edge = (alpha > 0) & (alpha < 255)
    opaque = alpha == 255
    near = np.zeros_like(opaque)
    near[1:-1, 1:-1] = (opaque[:-2, 1:-1] | opaque[2:, 1:-1] | opaque[1:-1, :-2] | opaque[1:-1, 2:]
                        | opaque[:-2, :-2] | opaque[2:, 2:] | opaque[:-2, 2:] | opaque[2:, :-2])
    assert np.count_nonzero(edge & ~near) / max(np.count_nonzero(edge), 1) < 0.05
    assert len(out.data) < 25_000_000


def test_12x16_preset_keeps_the_plate_whole_at_the_top(catalog, dd_plate):
    from PIL import Image

    out = pipeline.print_png(dd_plate, catalog.colorway("ecru"), "12x16")
    alpha = np.asarray(Image.open(io.BytesIO(out.data)))[..., 3]
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    scale = 3600 / 1080
    assert rows[0] < 40 * scale  # the frame starts near the top
    assert rows[-1] <= 1296 * scale + 2  # and the plate ends at its own height
    assert cols[0] > 0 and cols[-1] < 3599


@pytest.mark.parametrize("cw_id", ["ecru", "black"])
def test_raster_writer_agrees_with_svg_renderers(catalog, dd_plate, tmp_path, cw_id):
    """The print PNG is drawn from the artwork model; two independent SVG renderers
    (rsvg-convert and cairosvg) drawing the master SVG must see the same picture."""
    if shutil.which("rsvg-convert") is None:
        pytest.skip("rsvg-convert is not installed")
    from PIL import Image

    from teeprint.raster import rasterize_artwork

    cw = catalog.colorway(cw_id)
    svg = pipeline.master_svg(dd_plate, cw).data
    (tmp_path / "m.svg").write_bytes(svg)
    subprocess.run(["rsvg-convert", "-w", "900", "-h", "1080", "-f", "png", "-o",
                    str(tmp_path / "r.png"), str(tmp_path / "m.svg")], check=True)
    theirs = np.asarray(Image.open(tmp_path / "r.png").convert("RGBA")).astype(int)
    for ours in (rasterize_artwork(dd_plate.artwork, cw, 900, 1080).astype(int),
                 rasterize(svg.decode(), 900, 1080).astype(int)):
        # Compare premultiplied colour so transparent pixels agree whatever their RGB.
        a = ours[..., :3] * ours[..., 3:] // 255
        b = theirs[..., :3] * theirs[..., 3:] // 255
        diff = np.abs(np.concatenate([a - b, ours[..., 3:] - theirs[..., 3:]], axis=-1)).max(axis=-1)
        assert np.count_nonzero(diff > 16) / diff.size < 0.001


def test_render_is_byte_identical_twice(catalog, tmp_path):
    from teeprint.export import write_outputs

    spec = catalog.specimen("double-descent")
    cws = catalog.resolve_colorways(spec)
    targets = ("master-svg", "print-png", "figure-data")
    for name in ("a", "b"):
        outs = pipeline.render(catalog, spec, cws, targets=targets, preset="12x16")
        write_outputs(tmp_path / name, outs)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 6
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_manifest_lists_every_output_with_hash(catalog, tmp_path):
    import hashlib

    from teeprint.export import write_outputs

    spec = catalog.specimen("double-descent")
    outs = pipeline.render(catalog, spec, [catalog.colorway("ecru")],
                           targets=("master-svg", "print-png", "figure-data"), preset="12x16")
    write_outputs(tmp_path, outs)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    kinds = {e["kind"] for e in manifest["outputs"]}
    assert kinds == {"master-svg", "print-png", "figure-data"}
    for e in manifest["outputs"]:
        data = (tmp_path / e["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == e["sha256"]
        assert set(e) >= {"path", "kind", "colorway", "sha256", "width", "height", "dpi"}
    png = next(e for e in manifest["outputs"] if e["kind"] == "print-png")
    assert (png["width"], png["height"], png["dpi"], png["colorway"]) == (3600, 4800, 300, "ecru")
    # A second render of another colourway keeps the first one's entries.
    outs = pipeline.render(catalog, spec, [catalog.colorway("black")],
                           targets=("master-svg",), preset="12x16")
    write_outputs(tmp_path, outs)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert {e["colorway"] for e in manifest["outputs"]} == {None, "ecru", "black"}


def test_plate_artwork_stays_on_the_artboard(dd_plate):
    x0, y0, x1, y1 = dd_plate.artwork.bbox()
    assert x0 >= 0 and y0 >= 0
    assert x1 <= dd_plate.artwork.width_pt and y1 <= dd_plate.artwork.height_pt


def test_a_non_finite_coordinate_is_refused_not_written():
    """A NaN or infinite point is a drawing bug: it must not reach a file as ``Mnan``."""
    import math

    import pytest

    from teeprint.artwork import PathBuilder

    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="non-finite"):
            PathBuilder().move(0.0, 0.0).line(bad, 1.0)


def test_masked_cells_of_a_dot_matrix_print_nothing():
    import numpy as np

    from teeprint.artwork import Box
    from teeprint.motifs.matrix import halftone

    values = np.array([[1.0, np.nan], [-0.5, np.nan]])
    shapes = halftone(values, Box(0.0, 0.0, 40.0, 40.0), vmax=1.0, signed=True)
    text = " ".join(s.d for s in shapes)
    assert "nan" not in text and text
