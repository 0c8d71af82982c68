"""The parameter bounds of the trajectory-contour and architecture-glyph engines (the optimisation
plates' properties are claims in their design files; their recipes are tested in
test_family_optimisation.py)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint.artwork import Box
from teeprint.errors import TeeprintError
from teeprint.recipes import FigureData, Provenance

# -- engines: valid parameters draw inside the box, invalid ones are refused ------------------------

BOX = Box(78.0, 292.0, 924.0, 690.0)


@cache
def _typesetter():
    from teeprint import pipeline
    from teeprint.catalog import Catalog
    from tests.conftest import REPO

    return pipeline.typesetter(Catalog.load(config=REPO / "shop.toml"))


def _ctx():
    from teeprint.motifs import MotifContext

    return MotifContext(BOX, _typesetter(), np.random.default_rng(0))


def _fd(arrays: dict) -> FigureData:
    return FigureData(arrays, Provenance("t", "t", 0, {}, "", "computed", ""))


def _inside(shapes, box: Box = BOX, tol: float = 0.6) -> None:
    from teeprint.motifs.style import HAIR_PT, TICK_PT

    assert shapes
    for s in shapes:
        x0, y0, x1, y1 = s.bbox
        assert x0 >= box.x - tol and y0 >= box.y - tol and x1 <= box.right + tol and y1 <= box.bottom + tol, (s.label, s.bbox)
        if s.paint == "stroke":
            assert s.width_pt >= HAIR_PT
        if s.text_pt is not None:
            assert s.text_pt >= TICK_PT


def _plane_data(seed: int) -> FigureData:
    rng = np.random.default_rng(seed)
    gx = np.linspace(-2, 3, 41)
    gy = np.linspace(-1, 2, 31)
    xx, yy = np.meshgrid(gx, gy)
    z = (xx - 0.5) ** 2 + 3 * (yy - 0.3) ** 2 + 0.3 * np.sin(3 * xx)
    walk = np.cumsum(rng.normal(0, 0.6, (3, 40, 2)), axis=1)  # runs that leave the plane too
    return _fd({"grid_x": gx, "grid_y": gy, "z": z, "runs": walk, "vals": rng.uniform(0, 9, (3, 40)),
                "cloud": rng.normal(0, 1.5, (80, 2)), "spots": np.array([[0.5, 0.3], [9.0, 9.0]])})


contour_params = st.fixed_dictionaries(
    {
        "surfaces": st.just([{"z": "z"}]) | st.builds(
            lambda n, sp, sty, ix, stip: [{"z": "z", "levels": n, "spacing": sp, "style": sty,
                                           "index_every": ix, "stipple": stip, "label": "loss"}],
            st.integers(1, 60), st.sampled_from(["linear", "log", "sqrt", "quantile"]),
            st.sampled_from(["solid", "dashed", "accent"]), st.integers(0, 20), st.booleans()),
        "paths": st.builds(
            lambda m, every, sty, fade, gap: [{"xy": "runs", "marker": m, "every": every, "style": sty,
                                               "fade": fade, "arrow_gap_pt": gap, "label": "run",
                                               "annotate": "vals", "annotate_at": ["start", "max", "end"]}],
            st.sampled_from(["none", "dots", "arrows"]), st.integers(1, 10000),
            st.sampled_from(["accent", "solid", "ghost", "dashed"]), st.booleans(), st.floats(30, 1000)),
        "points": st.builds(lambda sh, r: [{"xy": "cloud", "shape": sh, "size_pt": r, "label": "pts"}],
                            st.sampled_from(["dot", "ring", "cross", "square"]), st.floats(1.2, 20)),
        "marks": st.builds(lambda sh: [{"xy": "spots", "labels": ["here", "far away"], "shape": sh}],
                           st.sampled_from(["ring", "star", "cross", "dot"])),
        "equal_aspect": st.booleans(),
        "extent": st.none() | st.tuples(st.floats(-5, 0), st.floats(0.5, 6), st.floats(-5, 0), st.floats(0.5, 6)),
        "stipple_dots": st.integers(0, 3000),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=contour_params, seed=st.integers(0, 3))
def test_trajectory_contour_draws_inside_the_box(params, seed):
    from teeprint.motifs import get
    from teeprint.recipes import validate_params

    info = get("trajectory-contour")
    p = validate_params(info.params, params, "test")
    _inside(info.func(_plane_data(seed), p, _ctx()))


@pytest.mark.parametrize("bad", [
    {"surfaces": [{"z": "z", "levels": 0}]},
    {"surfaces": [{"z": "z", "levels": 61}]},
    {"paths": [{"xy": "runs", "every": 0}]},
    {"paths": [{"xy": "runs", "arrow_gap_pt": 10}]},
    {"points": [{"xy": "cloud", "size_pt": 0.5}]},
    {"extent": [1.0, 0.0, 0.0, 1.0]},
    {"surfaces": [{"z": "z", "colour": "red"}]},
])
def test_trajectory_contour_refuses_bad_params(bad):
    from teeprint.motifs import get
    from teeprint.recipes import validate_params

    with pytest.raises(TeeprintError):
        validate_params(get("trajectory-contour").params, bad, "designs/x.toml [motif.params]")


def test_trajectory_contour_names_missing_arrays():
    from teeprint.motifs import get
    from teeprint.recipes import validate_params

    info = get("trajectory-contour")
    p = validate_params(info.params, {"surfaces": [{"z": "nope"}]}, "t")
    with pytest.raises(TeeprintError, match="nope"):
        info.func(_plane_data(0), p, _ctx())


def test_marching_squares_traces_a_circle():
    from teeprint.motifs.contour import contour_lines

    g = np.linspace(-1, 1, 81)
    xx, yy = np.meshgrid(g, g)
    lines = contour_lines(np.hypot(xx, yy), 0.5)
    assert len(lines) == 1
    ring = lines[0]
    assert np.allclose(ring[0], ring[-1])  # closed
    r = np.hypot(np.interp(ring[:, 0], np.arange(81), g), np.interp(ring[:, 1], np.arange(81), g))
    assert np.abs(r - 0.5).max() < 0.01


def _glyph_data(sizes: list[int], density: float, seed: int) -> FigureData:
    rng = np.random.default_rng(seed)
    arrays: dict = {"layer_sizes": np.array(sizes)}
    for i in range(len(sizes) - 1):
        w = rng.normal(size=(sizes[i], sizes[i + 1]))
        arrays[f"weight_{i}"] = w * (rng.uniform(size=w.shape) < density)
    arrays["x"] = np.array([100.0, 50.0, 20.0, 8.0])
    arrays["y"] = np.array([0.9, 0.95, 0.8, 0.6])
    return _fd(arrays)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(1, 40), min_size=2, max_size=6), density=st.floats(0.0, 1.0),
       style=st.sampled_from(["graph", "matrix"]), inset=st.booleans(), share=st.floats(0.25, 0.6),
       x_log=st.booleans(), seed=st.integers(0, 3))
def test_architecture_glyph_draws_inside_the_box(sizes, density, style, inset, share, x_log, seed):
    from teeprint.motifs import get
    from teeprint.recipes import validate_params

    info = get("architecture-glyph")
    params: dict = {"style": style, "layer_labels": ["in", "h", "h", "h", "h", "out"][: len(sizes)],
                    "note": "a note"}
    if inset:
        params["inset"] = {"x": "x", "x_log": x_log, "x_reverse": True, "share": share,
                           "series": [{"y": "y", "label": "acc", "style": "accent"}],
                           "x_label": "remaining", "y_label": "accuracy"}
    p = validate_params(info.params, params, "test")
    _inside(info.func(_glyph_data(sizes, density, seed), p, _ctx()))


@pytest.mark.parametrize("bad", [
    {"style": "spiral"},
    {"weights": ""},
    {"inset": {"x": "x", "series": []}},
    {"inset": {"x": "x", "series": [{"y": "y"}], "share": 0.9}},
    {"layer_labels": ["x"] * 13},
])
def test_architecture_glyph_refuses_bad_params(bad):
    from teeprint.motifs import get
    from teeprint.recipes import validate_params

    with pytest.raises(TeeprintError):
        validate_params(get("architecture-glyph").params, bad, "designs/x.toml [motif.params]")


def test_architecture_glyph_checks_shapes():
    from teeprint.motifs import get
    from teeprint.recipes import validate_params

    info = get("architecture-glyph")
    data = _glyph_data([3, 4, 2], 1.0, 0)
    data.arrays["layer_sizes"] = np.array([3, 5, 2])
    with pytest.raises(TeeprintError, match="shape"):
        info.func(data, validate_params(info.params, {}, "t"), _ctx())


def test_live_units_follow_paths():
    from teeprint.motifs.glyph import live_units

    a = np.array([[1.0, 0.0], [0.0, 0.0]])  # input 1 feeds nothing
    b = np.array([[0.0], [1.0]])  # hidden 0 reaches no output
    live = live_units([a, b])
    assert live[0].tolist() == [False, False] and live[1].tolist() == [False, False]
    live = live_units([np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[1.0], [0.0]])])
    assert live[0].tolist() == [True, False] and live[1].tolist() == [True, False]
