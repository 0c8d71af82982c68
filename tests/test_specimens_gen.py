"""Plates XXIII-XXXII: each specimen's defining property, computed from its recipe's output with
the parameters its design ships; determinism; and
property tests over the density-ridges engine and the optional curve-vs-scale params."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint import motifs, pipeline, recipes
from teeprint.artwork import Box
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext
from teeprint.motifs.style import HAIR_PT, TICK_PT
from teeprint.plate import FIGURE_BOX
from teeprint.recipes import FigureData, Provenance, validate_params

SLUGS = ("spectral-bias", "diffusion", "mode-collapse", "model-collapse", "hallucination",
         "emergence-mirage", "scaling-laws", "bias-variance", "curse-of-dimensionality",
         "gaussian-process")
PLATES = dict(zip(SLUGS, range(23, 33), strict=True))
PLATES["gaussian-process"] = 208  # renumbered into the probabilistic block; its properties are claims
PLATES.update({"diffusion": 281, "mode-collapse": 288, "model-collapse": 299,  # renumbered into
               "hallucination": 321, "emergence-mirage": 322, "scaling-laws": 323})  # their blocks; claims
PLATES.update({"spectral-bias": 5, "bias-variance": 3,  # learning-theory block; their properties
               "curse-of-dimensionality": 4})  # are claims in their design files


@pytest.fixture(scope="module")
def data(catalog):
    """Each specimen's figure data, computed once with its design's parameters."""
    cache: dict[str, FigureData] = {}

    def get(slug: str) -> FigureData:
        if slug not in cache:
            cache[slug] = recipes.run(catalog.specimen(slug))
        return cache[slug]

    return get


def test_plates_and_families(catalog):
    for slug, plate in PLATES.items():
        spec = catalog.specimen(slug)
        assert spec.plate == plate and spec.colorways == ("ecru", "black")
        assert spec.recipe.name == slug
    assert {catalog.specimen(s).honesty for s in ("scaling-laws", "emergence-mirage")} == {"closed-form"}


# -- determinism and timings --------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_same_seed_same_arrays(catalog, slug):
    spec = catalog.specimen(slug)
    first, again = recipes.run(spec), recipes.run(spec)
    assert first.to_json() == again.to_json()
    other = recipes.run(spec, seed=spec.seed + 1)
    stochastic = slug not in ("emergence-mirage", "scaling-laws")
    arrays = [json.loads(f.to_json())["arrays"] for f in (first, other)]
    assert (arrays[0] != arrays[1]) == stochastic


# -- property tests: density-ridges --------------------------------------------------------------


@pytest.fixture(scope="module")
def ts(catalog):
    return pipeline.typesetter(catalog)


def _figure(arrays: dict) -> FigureData:
    prov = Provenance("test", "test", 0, {}, "Nobody 2000, Nowhere", "computed", "test")
    return FigureData(arrays, prov)


def _inside(shapes, box: Box) -> None:
    assert shapes
    for s in shapes:
        x0, y0, x1, y1 = s.bbox
        assert x0 >= box.x - 0.5 and y0 >= box.y - 0.5, (s.label, s.bbox)
        assert x1 <= box.right + 0.5 and y1 <= box.bottom + 0.5, (s.label, s.bbox)
        if s.paint == "stroke":
            assert s.width_pt >= HAIR_PT - 1e-9
        if s.text_pt is not None:
            assert s.text_pt >= TICK_PT - 1e-9
        assert s.role in ("ink", "accent")


def _draw(name: str, arrays: dict, params: dict, ts, box: Box = FIGURE_BOX):
    info = motifs.get(name)
    p = validate_params(info.params, params, "test")
    ctx = MotifContext(box, ts, np.random.default_rng(0))
    return info.func(_figure(arrays), p, ctx)


short = st.text(alphabet="abcdefgh xyz=0123456789", min_size=0, max_size=18)


@st.composite
def ridge_case(draw):
    rows = draw(st.integers(1, 40))
    pts = draw(st.integers(2, 120))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-5, 5, pts)) + np.arange(pts) * 1e-6
    x[0], x[-1] = -5.0, 5.0
    dens = rng.gamma(0.6, 1.0, (rows, pts)) * draw(st.sampled_from([0.0, 1e-6, 1.0, 1e6]))
    arrays = {"x": x, "d": dens, "o": rng.gamma(1.0, 1.0, (rows, pts)), "v": np.arange(rows) * 7.0,
              "rug": rng.normal(0, 2, (rows, 5)), "px": rng.normal(0, 2, (3, 9)),
              "pr": np.linspace(0, rows - 1, 9), "one": rng.gamma(1.0, 1.0, pts)}
    params = {
        "x": "x", "density": "d",
        "step": draw(st.booleans()),
        "normalise": draw(st.sampled_from(["shared", "row", "layer"])),
        "overlap": draw(st.floats(0.3, 8.0)),
        "line_pt": draw(st.floats(HAIR_PT, 5.0)),
        "hatch": draw(st.booleans()),
        "hatch_gap_pt": draw(st.floats(4.0, 40.0)),
        "label_every": draw(st.integers(1, 200)),
        "accent_rows": draw(st.lists(st.integers(-50, 50), max_size=3)),
        "label": draw(short),
        "x_label": draw(short),
        "note": draw(short),
        "row_title": draw(short),
        "right_title": draw(short),
    }
    if draw(st.booleans()):
        params["layers"] = [{"density": draw(st.sampled_from(["o", "one"])),
                             "style": draw(st.sampled_from(["accent", "dashed", "ghost", "solid"])),
                             "label": draw(short), "occludes": draw(st.booleans())}]
    if draw(st.booleans()):
        params |= {"row_values": "v", "row_format": "d = {}"}
    if draw(st.booleans()):
        params |= {"right_values": "v", "right_format": "{:.2f}"}
    if draw(st.booleans()):
        params["rug"] = "rug"
    if draw(st.booleans()):
        params |= {"paths_x": "px", "paths_row": "pr", "paths_occluded": draw(st.booleans()),
                   "paths_label": draw(short)}
    if draw(st.booleans()):
        params |= {"reference_x": draw(st.floats(-6, 6)), "reference_label": draw(short)}
    if draw(st.booleans()):
        params |= {"x_min": -6.0, "x_max": draw(st.floats(-1.0, 6.0))}
    return arrays, params


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=ridge_case())
def test_ridges_valid_params_draw_inside_the_box(ts, case):
    arrays, params = case
    _inside(_draw("density-ridges", arrays, params, ts), FIGURE_BOX)


@pytest.mark.parametrize("ref_x", [-5.0, 0.0])
def test_ridge_reference_label_at_the_edge_stays_in_the_box(ts, ref_x):
    """Found by the property test above: a reference line on the plot's edge centred its
    label on the line, half of it outside the box."""
    arrays = {"x": np.array([-5.0, 5.0]), "d": np.array([[0.0, 0.0]])}
    params = {"x": "x", "density": "d", "reference_x": ref_x,
              "reference_label": "000000000", "x_min": -5.0, "x_max": 0.0}
    _inside(_draw("density-ridges", arrays, params, ts), FIGURE_BOX)


@settings(max_examples=40, deadline=None)
@given(key=st.sampled_from(["overlap", "line_pt", "hatch_gap_pt", "label_every"]),
       bad=st.sampled_from([-1.0, 0.0, 0.1, 1e6]))
def test_ridges_out_of_bounds_params_raise(key, bad):
    info = motifs.get("density-ridges")
    params = {"x": "x", "density": "d", key: int(bad) if key == "label_every" else bad}
    with pytest.raises(TeeprintError, match=key):
        validate_params(info.params, params, "designs/t.toml [motif.params]")


@pytest.mark.parametrize("params, arrays, match", [
    ({"x": "nope", "density": "d"}, {}, "names array 'nope'"),
    ({"x": "x", "density": "d"}, {"x": [0, 1, 2]}, "has 3"),
    ({"x": "x", "density": "d"}, {"x": [0, 2, 1, 3]}, "strictly increasing"),
    ({"x": "x", "density": "d", "layers": [{"density": "o"}]}, {"o": np.ones((2, 4))}, "shape"),
    ({"x": "x", "density": "d", "row_values": "v"}, {"v": [1, 2]}, "3 rows"),
    ({"x": "x", "density": "d", "x_min": 7.0}, {}, "x_max must exceed"),
    ({"x": "x", "density": "d", "x_min": 5.0, "x_max": 7.0}, {}, "misses the data"),
    ({"x": "x", "density": "d", "paths_x": "px"}, {}, "go together"),
    ({"x": "x", "density": "d", "row_format": "{} {}"}, {}, "one number"),
])
def test_ridges_bad_input_is_one_line_error(ts, params, arrays, match):
    base = {"x": np.arange(4.0), "d": np.ones((3, 4))}
    with pytest.raises(TeeprintError, match=match) as err:
        _draw("density-ridges", base | arrays, params, ts)
    assert "\n" not in str(err.value)


def test_ridges_occlusion_is_geometric(ts):
    """A tall front ridge hides the back ridge's line where it stands in front of it."""
    x = np.linspace(-1, 1, 201)
    back = np.full_like(x, 1e-3)
    front = np.exp(-x**2 / 0.02)
    shapes = _draw("density-ridges", {"x": x, "d": np.stack([back, front])},
                   {"x": "x", "density": "d", "hatch": False, "overlap": 3.0}, ts)
    lines = [s for s in shapes if s.paint == "stroke" and s.width_pt == 2.0]
    subpaths = lines[0].d.count("M")
    assert subpaths == 3, "the back line is cut in two by the front peak, the front line is whole"


# -- property tests: curve-vs-scale extras ------------------------------------------------------


@st.composite
def curve_case(draw):
    n = draw(st.integers(3, 80))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x_log = draw(st.booleans())
    x = np.geomspace(1, 10 ** draw(st.integers(1, 8)), n) if x_log else np.linspace(-3, 3, n)
    y = rng.uniform(0.1, 10, n)
    arrays = {"x": x, "y": y, "rows": rng.uniform(0.05, 20, (draw(st.integers(1, 6)), n)),
              "lo": y - rng.uniform(0, 3, n), "hi": y + rng.uniform(0, 3, n),
              "px": rng.choice(x, 4), "py": rng.uniform(-5, 15, 4), "thr": float(np.median(x)),
              "sx": x[::-1].copy(), "s": float(rng.uniform())}
    params = {"x": "x", "y": "y", "x_log": x_log, "y_log": draw(st.booleans()),
              "hatch": draw(st.booleans()),
              "clip": draw(st.sampled_from(["clamp", "cut"])),
              "main_style": draw(st.sampled_from(["ink", "accent"])),
              "main_points": draw(st.booleans()), "step": draw(st.booleans()),
              "legend": draw(st.sampled_from(["upper-left", "upper-right", "lower-left", "lower-right"])),
              "label": draw(short)}
    if params["y_log"]:
        arrays["lo"] = np.abs(arrays["lo"]) + 0.01
        arrays["py"] = np.abs(arrays["py"]) + 0.01
    if draw(st.booleans()):
        params |= {"rows": "rows", "row_labels": [draw(short) for _ in range(3)],
                   "row_label_at": draw(st.sampled_from(["end", "start", "min", "cross"])),
                   "row_label_cross": draw(st.floats(0, 20)),
                   "row_style": draw(st.sampled_from(["ghost", "dashed", "accent", "solid", "dotted"]))}
    if draw(st.booleans()):
        params |= {"band_lo": "lo", "band_hi": "hi", "band_label": draw(short),
                   "band_edges": draw(st.booleans())}
    if draw(st.booleans()):
        params |= {"points_x": "px", "points_y": "py", "points_label": draw(short),
                   "points_role": draw(st.sampled_from(["ink", "accent"]))}
    if draw(st.booleans()):
        params |= {"accent_from": "thr", "accent_label": "from {thr:.1f}"}
    if draw(st.booleans()):
        params["notes"] = ["s = {s:.3f}", draw(short)]
    if draw(st.booleans()):
        params["series"] = [{"y": "y", "x": "sx", "style": draw(st.sampled_from(
            ["ghost", "dashed", "accent", "solid", "dotted"])), "points": draw(st.booleans()),
            "label": draw(short)}]
    if params["clip"] == "cut" and draw(st.booleans()):
        lo, hi = float(x.min()), float(x.max())
        params |= {"x_min": lo + (hi - lo) * 0.1 if not x_log else lo * 1.5, "x_max": hi}
    return arrays, params


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=curve_case())
def test_curve_extras_draw_inside_the_box(ts, case):
    arrays, params = case
    _inside(_draw("curve-vs-scale", arrays, params, ts), FIGURE_BOX)


@pytest.mark.parametrize("params, match", [
    ({"band_lo": "y"}, "go together"),
    ({"points_x": "x", "points_y": "nope"}, "names array 'nope'"),
    ({"rows": "y", "rows_x": "short"}, "rows have"),
    ({"notes": ["{missing:.2f}"]}, "{missing} is not a field"),
    ({"x_min": 0.5}, "clip"),
    ({"accent_from": "nope"}, "names array"),
])
def test_curve_extras_bad_input_is_one_line_error(ts, params, match):
    arrays = {"x": np.linspace(0, 1, 5), "y": np.linspace(1, 2, 5), "short": np.ones(3)}
    with pytest.raises(TeeprintError, match=match) as err:
        _draw("curve-vs-scale", arrays, {"x": "x", "y": "y"} | params, ts)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("key, bad", [("clip", "wrap"), ("main_style", "red"), ("row_label_at", "top"),
                                      ("row_style", "bold"), ("points_role", "paper")])
def test_curve_extras_reject_unknown_choices(key, bad):
    info = motifs.get("curve-vs-scale")
    with pytest.raises(TeeprintError, match=key):
        validate_params(info.params, {"x": "x", "y": "y", key: bad}, "designs/t.toml [motif.params]")


def test_curve_staircase_merges_equal_runs(ts):
    x = np.arange(1.0, 101.0)
    y = np.concatenate([np.full(50, 5.0), np.full(50, 1.0)])
    shapes = _draw("curve-vs-scale", {"x": x, "y": y},
                   {"x": "x", "y": "y", "step": True, "hatch": False}, ts)
    main = [s for s in shapes if s.paint == "stroke" and s.width_pt == 3.2][0]
    assert main.d.count("L") == 3, main.d  # across, down, across
