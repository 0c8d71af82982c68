"""The cloth simulation: a sound pattern mesh, drapes that behave like cloth (edges keep their
length, the table and the hanger hold it, compression turns into folds), deterministic results,
and a disk cache that is reused and keyed by everything the drape depends on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from teeprint.mockup import cloth, garment, pattern
from teeprint.mockup import mesh as pattern_mesh


def _strain(d: cloth.Drape) -> np.ndarray:
    e = d.mesh.edges
    rest = np.hypot(*(d.mesh.rest[e[:, 1]] - d.mesh.rest[e[:, 0]]).T)
    now = np.linalg.norm(d.pos[e[:, 1]] - d.pos[e[:, 0]], axis=1)
    return now / rest - 1.0


def _shoelace(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


#: A small panel and a short run, for the properties that do not need the whole tee.
PANEL = np.array([[0.0, 0.0], [8.0, 0.0], [8.0, 6.0], [0.0, 6.0]])
QUICK = dataclasses.replace(cloth.FLAT, name="panel", steps=40, iterations=6)


def test_pattern_mesh_covers_the_outline_and_nothing_else():
    poly = pattern.outline()
    mesh = pattern_mesh.pattern_mesh(poly)
    a, b, c = (mesh.rest[mesh.tris[:, k]] for k in range(3))
    area = 0.5 * np.abs((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])
    assert area.min() > 1e-4, "no degenerate triangles"
    assert abs(area.sum() / _shoelace(poly) - 1.0) < 0.01
    assert pattern_mesh.inside_polygon(mesh.rest[mesh.tris].mean(axis=1), poly).all()
    lengths = np.hypot(*(mesh.rest[mesh.edges[:, 1]] - mesh.rest[mesh.edges[:, 0]]).T)
    assert np.median(lengths) == pytest.approx(pattern_mesh.MESH_SPACING_IN, rel=0.15)
    # Every interior edge has a bending partner; the outline's own edges do not.
    assert len(mesh.bends) == len(mesh.edges) - int(mesh.boundary.sum())


def test_simulation_is_deterministic():
    mesh = pattern_mesh.pattern_mesh(PANEL)
    start, _ = cloth.laid(mesh, QUICK)
    first = cloth.simulate(mesh, start, QUICK)
    again = cloth.simulate(mesh, start, QUICK)
    assert first.tobytes() == again.tobytes()


def test_flat_lay_is_cloth_laid_by_hand():
    d = cloth.flat_lay()
    strain = _strain(d)
    assert np.median(np.abs(strain)) < 0.03 and np.percentile(np.abs(strain), 99) < 0.12
    assert d.pos[:, 2].min() >= 0.0, "nothing sinks into the table"
    assert d.pos[:, 2].max() > 0.15, "the pushed-together cloth buckles into folds"
    # The silhouette is irregular: the outline is not a scaled copy of the pattern's.
    edge = d.mesh.boundary
    fit, *_ = np.linalg.lstsq(np.column_stack([d.mesh.rest[edge], np.ones(edge.sum())]),
                              d.pos[edge, :2], rcond=None)
    resid = d.pos[edge, :2] - np.column_stack([d.mesh.rest[edge], np.ones(edge.sum())]) @ fit
    assert np.sqrt((resid ** 2).sum(axis=1)).std() > 0.05


def test_hanging_tee_falls_from_the_hanger():
    d = cloth.hanging()
    pins = pattern.hanger_pins(d.mesh.rest)
    assert np.allclose(d.pos[pins, :2], pattern.on_hanger(d.mesh.rest[pins]))
    assert d.pos[:, 2].min() >= cloth.HANGER.floor_at, "the wall stops the cloth"
    strain = _strain(d)
    assert np.median(np.abs(strain)) < 0.05
    # The hem hangs about a body length below the shoulders, and the sleeves fall: their
    # cuffs end up well below where the flat pattern has them.
    hem = d.mesh.rest[:, 1] > garment.BODY_LENGTH_IN - 0.5
    assert 27.0 < float(np.median(d.pos[hem, 1])) < 34.0
    lm = garment.landmarks()
    cuff = np.hypot(d.mesh.rest[:, 0] - lm.cuff_top.x, d.mesh.rest[:, 1] - lm.cuff_top.y) < 0.6
    assert float(d.pos[cuff, 1].mean()) > lm.cuff_top.y + 3.0


def test_folded_tee_lies_in_its_fold():
    d = cloth.folded()
    x0, y0 = d.pos[:, :2].min(axis=0)
    x1, y1 = d.pos[:, :2].max(axis=0)
    assert x1 - x0 <= 2 * pattern.FOLDED_HALF_WIDTH_IN + 0.2
    assert y1 <= pattern.FOLDED_LENGTH_IN + 0.2
    assert d.pos[:, 2].min() >= 0.0


def test_drapes_are_cached_on_disk_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("TEEPRINT_CACHE_DIR", str(tmp_path))
    made = cloth.run(PANEL, QUICK, cloth.laid)
    files = list((tmp_path / "cloth").glob("panel-*.npy"))
    assert len(files) == 1
    assert not list((tmp_path / "cloth").glob(".*.tmp")), "no temporary file left behind"

    def refuse(*_a, **_k):
        raise AssertionError("simulated again instead of reading the cache")

    monkeypatch.setattr(cloth, "simulate", refuse)
    again = cloth.run(PANEL, QUICK, cloth.laid)
    assert again.pos.tobytes() == made.pos.tobytes()
    # Another scenario is another key: it is simulated, not served the cached panel.
    with pytest.raises(AssertionError, match="simulated again"):
        cloth.run(PANEL, dataclasses.replace(QUICK, compress=0.05), cloth.laid)


def test_a_damaged_cache_file_is_simulated_again(tmp_path, monkeypatch):
    monkeypatch.setenv("TEEPRINT_CACHE_DIR", str(tmp_path))
    made = cloth.run(PANEL, QUICK, cloth.laid)
    (path,) = (tmp_path / "cloth").glob("panel-*.npy")
    path.write_bytes(b"not a drape")
    again = cloth.run(PANEL, QUICK, cloth.laid)
    assert again.pos.tobytes() == made.pos.tobytes()
    assert np.load(path).tobytes() == made.pos.tobytes(), "the cache file was rewritten"


def test_the_pattern_mesh_is_kept_on_disk_and_rebuilt_when_damaged(tmp_path, monkeypatch):
    monkeypatch.setenv("TEEPRINT_CACHE_DIR", str(tmp_path))
    made = cloth.stored_mesh(PANEL)
    (path,) = (tmp_path / "cloth").glob("mesh-*.npz")
    assert not list((tmp_path / "cloth").glob(".*.tmp")), "no temporary file left behind"
    fields = [f.name for f in dataclasses.fields(pattern_mesh.Mesh)]
    fresh = pattern_mesh.pattern_mesh(PANEL)
    for name in fields:
        assert np.array_equal(getattr(made, name), getattr(fresh, name))

    def refuse(*_a, **_k):
        raise AssertionError("triangulated again instead of reading the cache")

    monkeypatch.setattr(cloth, "pattern_mesh", refuse)
    again = cloth.stored_mesh(PANEL)
    for name in fields:
        assert getattr(again, name).dtype == getattr(fresh, name).dtype
        assert np.array_equal(getattr(again, name), getattr(fresh, name))
    # Another outline is another key.
    with pytest.raises(AssertionError, match="triangulated again"):
        cloth.stored_mesh(PANEL * 1.5)
    monkeypatch.undo()
    monkeypatch.setenv("TEEPRINT_CACHE_DIR", str(tmp_path))
    path.write_bytes(b"not a mesh")
    rebuilt = cloth.stored_mesh(PANEL)
    assert np.array_equal(rebuilt.tris, fresh.tris)
    with np.load(path) as stored:
        assert np.array_equal(stored["tris"], fresh.tris), "the cache file was rewritten"
