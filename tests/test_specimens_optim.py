"""Plates XII-XXII: each specimen's defining property, computed from its recipe's own output,
plus determinism and the parameter bounds of the trajectory-contour and architecture-glyph
engines."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint.artwork import Box
from teeprint.errors import TeeprintError
from teeprint.recipes import FigureData, Provenance

SLUGS = {
    "sharpness-aware-minimization": 12,
    "edge-of-stability": 13,
    "catapult-phase": 14,
    "momentum": 15,
    "adam-vs-sgd": 16,
    "loss-landscape": 17,
    "lottery-ticket": 18,
    "catastrophic-forgetting": 19,
    "self-training-instability": 20,
    "vanishing-gradients": 21,
    "dying-relu": 22,
}


@cache
def _data(slug: str) -> FigureData:
    from teeprint import recipes
    from teeprint.catalog import Catalog
    from tests.conftest import REPO

    cat = Catalog.load(config=REPO / "shop.toml")
    return recipes.run(cat.specimen(slug))


def arr(slug: str, name: str) -> np.ndarray:
    return np.asarray(_data(slug)[name], float)


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_plate_numbers_and_determinism(catalog, slug):
    from teeprint import recipes

    spec = catalog.specimen(slug)
    assert spec.plate == SLUGS[slug]
    assert recipes.run(spec).to_json() == _data(slug).to_json()


def test_sam_escapes_to_flat_well_where_gd_stays_sharp():
    sharp, flat = arr("sharpness-aware-minimization", "minima")
    gd_end = arr("sharpness-aware-minimization", "final_gd")
    sam_end = arr("sharpness-aware-minimization", "final_sam")
    assert len(gd_end) == len(sam_end) >= 4
    assert np.all(np.linalg.norm(gd_end - sharp, axis=1) < 0.05)
    assert np.all(np.linalg.norm(sam_end - flat, axis=1) < 0.1)
    # The curvature at the ends tells the same story: ~156 in the sharp well, ~2 in the flat.
    assert np.all(arr("sharpness-aware-minimization", "sharpness_gd")[:, -1] > 100)
    assert np.all(arr("sharpness-aware-minimization", "sharpness_sam")[:, -1] < 5)


def test_edge_of_stability_sharpness_settles_on_two_over_eta():
    s = arr("edge-of-stability", "sharpness")
    threshold = float(arr("edge-of-stability", "threshold"))
    assert threshold == pytest.approx(20.0)
    assert s.max() > threshold  # it goes past the classical limit...
    tail = s[-len(s) // 5:]
    assert np.all(np.abs(tail - threshold) < 0.05 * threshold)  # ...and hovers on it
    loss = np.concatenate([[float(arr("edge-of-stability", "loss_initial"))], arr("edge-of-stability", "loss")])
    rises = int(np.sum(np.diff(loss) > 0))
    assert rises == int(arr("edge-of-stability", "loss_rises")) > 100
    assert loss[-1] < 1e-6 < loss[0]


def test_edge_of_stability_hessian_is_exact():
    from teeprint.recipes.optimisation import LOSSES, sharpness

    loss = LOSSES["quartic-product"]
    rng = np.random.default_rng(3)
    pts = rng.uniform(-2, 2, (20, 2))
    h = 1e-5
    for x, y in pts:
        g = lambda a, b: np.asarray(loss.grad(np.array(a), np.array(b), 0.0))  # noqa: E731
        num = np.stack([(g(x + h, y) - g(x - h, y)) / (2 * h), (g(x, y + h) - g(x, y - h)) / (2 * h)])
        exact = loss.hess(np.array(x), np.array(y), 0.0)
        np.testing.assert_allclose(exact, num, rtol=1e-5, atol=1e-5)
        assert float(sharpness(exact)) == pytest.approx(np.linalg.eigvalsh(exact).max(), abs=1e-9)


def test_catapult_exceeds_two_over_eta_then_lands_flat():
    s = arr("catapult-phase", "sharpness_gd")[0]
    threshold = float(arr("catapult-phase", "threshold_gd"))
    assert threshold == pytest.approx(10.0)
    assert s[0] > threshold and s.max() > threshold
    assert s[-1] < threshold and s[-1] < 0.25 * s[0]
    final = arr("catapult-phase", "final_gd")[0]
    assert final[0] * final[1] == pytest.approx(1.0, abs=1e-3)  # on the valley of minima
    assert arr("catapult-phase", "loss_gd")[0].max() > arr("catapult-phase", "loss_gd")[0, 0]  # loss spikes


def test_momentum_converges_in_fewer_steps_than_gd():
    gd = int(arr("momentum", "steps_to_tol_gd")[0])
    hb = int(arr("momentum", "steps_to_tol_hb")[0])
    assert 0 < hb < gd
    assert hb * 3 < gd
    path = arr("momentum", "paths_gd")[0]
    assert np.sum(np.diff(np.sign(path[:40, 1])) != 0) > 30  # GD zig-zags across the valley


def test_adam_reaches_rosenbrock_minimum_and_gd_does_not():
    ends = {k: arr("adam-vs-sgd", f"final_{k}")[0] for k in ("gd", "momentum", "rmsprop", "adam")}
    dist = {k: float(np.linalg.norm(v - [1.0, 1.0])) for k, v in ends.items()}
    assert dist["adam"] < 0.02
    assert dist["gd"] > 1.0
    assert dist["adam"] < dist["rmsprop"] < dist["momentum"] < dist["gd"]


def test_loss_landscape_minimum_is_the_trained_point():
    z = arr("loss-landscape", "loss_grid")
    centre = z.shape[0] // 2
    j, i = np.unravel_index(int(np.argmin(z)), z.shape)
    assert abs(j - centre) <= 1 and abs(i - centre) <= 1
    assert float(arr("loss-landscape", "train_accuracy")) > 0.95
    assert z.max() > 10 * z[centre, centre]


def test_lottery_ticket_mask_sparsity_follows_the_schedule(catalog):
    params = catalog.specimen("lottery-ticket").recipe.params
    rate, rounds = params["prune_rate"], params["rounds"]
    density = arr("lottery-ticket", "layer_density")
    assert density.shape[0] == rounds + 1
    sizes = arr("lottery-ticket", "layer_sizes").astype(int)
    for r in range(rounds + 1):
        for layer in range(len(sizes) - 1):
            layer_rate = rate * (0.5 if layer == len(sizes) - 2 else 1.0)
            n = sizes[layer] * sizes[layer + 1]
            kept = n
            for _ in range(r):
                kept -= round(layer_rate * kept)
            assert density[r, layer] == pytest.approx(kept / n)
    mask = arr("lottery-ticket", "mask_1")
    assert mask.mean() == pytest.approx(density[-1, 1])
    assert np.all((arr("lottery-ticket", "weight_1") != 0) <= (mask != 0))
    acc = arr("lottery-ticket", "accuracy_ticket")
    assert acc[0] > 0.9 and np.all((acc >= 0) & (acc <= 1))


def test_ewc_solutions_match_the_closed_form():
    np.testing.assert_allclose(arr("catastrophic-forgetting", "solution_plain")[0], [2.0, 2.0])
    np.testing.assert_allclose(arr("catastrophic-forgetting", "solution_l2")[0], [0.2 / 10.1, 1.0], atol=1e-9)
    np.testing.assert_allclose(arr("catastrophic-forgetting", "solution_ewc")[0], [0.2 / 10.1, 20 / 10.1], atol=1e-9)
    assert float(arr("catastrophic-forgetting", "loss_a_plain")) == pytest.approx(20.2)
    assert float(arr("catastrophic-forgetting", "loss_b_l2")) == pytest.approx(5.196, abs=1e-3)
    for task in ("a", "b"):
        assert float(arr("catastrophic-forgetting", f"loss_{task}_ewc")) == pytest.approx(0.198, abs=1e-3)
    for name in ("plain", "l2", "ewc"):  # gradient descent arrives where the closed form says
        end = arr("catastrophic-forgetting", f"path_{name}")[-1]
        np.testing.assert_allclose(end, arr("catastrophic-forgetting", f"solution_{name}")[0], atol=0.01)


def test_self_training_drifts_away_and_loses_accuracy():
    acc = arr("self-training-instability", "accuracy")
    ang = np.abs(arr("self-training-instability", "angles"))
    assert len(acc) == 11
    assert acc[-1] < acc[0] - 0.02
    assert ang[-1] > ang[0] + 3.0
    assert float(arr("self-training-instability", "oracle_accuracy")) > acc.max() + 0.2
    assert abs(float(arr("self-training-instability", "oracle_angle"))) < 10


def test_vanishing_gradients_profile():
    sig = arr("vanishing-gradients", "grad_sigmoid")
    assert sig[0] / sig[-1] < 1e-6
    assert np.all(np.diff(np.log10(sig)) > 0)  # shrinks at every layer going down
    for name in ("relu", "tanh"):
        g = arr("vanishing-gradients", f"grad_{name}")
        assert g.max() / g.min() < 10


def test_dying_relu_grows_with_depth_and_falls_with_width():
    p = arr("dying-relu", "born_dead")
    widths = arr("dying-relu", "widths")
    assert np.all(np.diff(widths) > 0)
    assert np.all(np.diff(p, axis=1) >= 0)  # the same nets grown deeper can only die more
    assert np.all(p[:, -1] > p[:, 0])
    deep = p[:, -1]
    assert np.all(np.diff(deep) < 0)  # wider nets die less at the same depth
    assert deep[0] > 0.95 and deep[-1] < 0.3


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


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_plate_draws_inside_the_figure_panel(catalog, slug):
    from teeprint import motifs, pipeline
    from teeprint.plate import FIGURE_BOX

    spec = catalog.specimen(slug)
    shapes = motifs.draw(spec, _data(slug), FIGURE_BOX, pipeline.typesetter(catalog))
    _inside(shapes, FIGURE_BOX)
