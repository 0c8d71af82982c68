"""The classical family's engines: boundary, clusters, fit1d, losses, ar-forecast, dtw, low-rank,
als, kde, gaussian-plane and gridworld recipes; the decision-regions and policy-grid motifs.

Per-plate properties are claims in the design files (checked by ``teeprint verify``); here the
engines are held to what they promise for any valid parameters, and refuse absurd ones.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.artwork import Box
from teeprint.recipes import FigureData, Provenance, get, rng_for

BOX = Box(78.0, 292.0, 924.0, 690.0)
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(name: str, seed: int = 0, **params: object) -> dict:
    info = get(name)
    return info.func(info.params(**params), rng_for(seed, name))


@cache
def _typesetter():
    from teeprint import pipeline
    from teeprint.catalog import Catalog
    from tests.conftest import REPO

    return pipeline.typesetter(Catalog.load(config=REPO / "shop.toml"))


def draw(motif_name: str, arrays: dict, **params: object) -> list:
    from teeprint.motifs import MotifContext
    from teeprint.motifs import get as get_motif

    info = get_motif(motif_name)
    data = FigureData(arrays, Provenance("t", "t", 0, {}, "", "computed", ""))
    return info.func(data, info.params(**params), MotifContext(BOX, _typesetter(), np.random.default_rng(0)))


def inside(shapes: list, box: Box = BOX, slack: float = 2.0) -> bool:
    return all(s.bbox[0] >= box.x - slack and s.bbox[1] >= box.y - slack and
               s.bbox[2] <= box.right + slack and s.bbox[3] <= box.bottom + slack for s in shapes)


# -- boundary ---------------------------------------------------------------------------------------------

KINDS = ["logistic", "perceptron", "linear-svm", "rbf-svm", "knn", "tree", "forest", "adaboost",
         "gboost", "naive-bayes", "lda", "qda", "mlp", "isolation-forest"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_classifier_beats_chance_on_separable_blobs(kind: str) -> None:
    extra = {"trees": 10} if kind in ("forest", "isolation-forest") else {}
    out = run("boundary", dataset="blobs", classes=2, spread=0.2, n=80, n_test=300, grid=30,
              models=[{"kind": kind, **extra}])
    assert out["label"].shape == (1, out["grid_y"].size, out["grid_x"].size)
    if kind != "isolation-forest":  # an anomaly score, not a classifier of the two blobs
        assert out["test_acc"][0] > 0.9


def test_linear_svm_support_vectors_sit_on_the_margin() -> None:
    out = run("boundary", dataset="blobs", classes=2, spread=0.25, n=60, grid=30,
              models=[{"kind": "linear-svm", "C": 100.0}])
    sv = out["support_0"] > 0.5
    margins = out["margin_train_0"]
    assert np.all(margins[~sv] > 0.99)
    assert np.all(np.abs(margins[sv] - 1) < 0.05) or np.any(out["alpha_0"] >= 99.0)


def test_knn_with_one_neighbour_fits_training_set() -> None:
    out = run("boundary", dataset="moons", n=100, noise=0.3, grid=30, models=[{"kind": "knn", "k": 1}])
    assert out["train_acc"][0] == 1.0


def test_tree_splits_are_axis_aligned_and_count_leaves() -> None:
    out = run("boundary", dataset="moons", n=150, grid=30, models=[{"kind": "tree", "depth": 3}])
    s = out["splits_0"]
    assert np.all((s[:, 0, 0] == s[:, 1, 0]) | (s[:, 0, 1] == s[:, 1, 1]))
    assert len(s) == out["leaves_0"] - 1 <= 7


def test_multiclass_sets_give_per_class_scores() -> None:
    out = run("boundary", dataset="blobs", classes=3, n=90, grid=25, models=[{"kind": "qda"}])
    assert out["scores"].shape == (1, 3, out["grid_y"].size, 25)
    assert "decision" not in out


def test_binary_only_classifiers_refuse_three_classes() -> None:
    with pytest.raises(ValueError, match="binary"):
        run("boundary", dataset="blobs", classes=3, n=60, grid=20, models=[{"kind": "logistic"}])


@given(n=st.integers(-5, 5), grid=st.integers(-10, 10))
@FAST
def test_boundary_rejects_absurd_sizes(n: int, grid: int) -> None:
    with pytest.raises(ValidationError):
        get("boundary").params(n=n, grid=grid, models=[{"kind": "knn"}])


@given(st.sampled_from(["moons", "circles", "xor", "blobs", "spirals", "gaussians", "anisotropic",
                        "outliers", "moons-scatter"]), st.integers(0, 1000))
@FAST
def test_boundary_is_deterministic_per_seed(dataset: str, seed: int) -> None:
    kw = {"dataset": dataset, "n": 40, "n_test": 100, "grid": 20, "models": [{"kind": "lda"}]}
    a, b = run("boundary", seed, **kw), run("boundary", seed, **kw)
    assert np.array_equal(a["points"], b["points"]) and np.array_equal(a["label"], b["label"])


# -- clusters ---------------------------------------------------------------------------------------------


def test_lloyd_never_raises_the_sum_of_squares() -> None:
    for seed in range(5):
        out = run("clusters", seed, method="kmeans", k=5, snapshots=[0, 30], grid=20)
        assert np.all(np.diff(out["inertia"]) <= 1e-9)


def test_dbscan_labels_noise_and_border() -> None:
    out = run("clusters", method="dbscan", dataset="moons-scatter", n=200, noise=0.05, eps=0.2, min_pts=5, grid=20)
    lab, core, border = out["assign"][0], out["core"][0] > 0.5, out["border"][0] > 0.5
    assert not np.any(core & border) and np.all(lab[core] >= 0) and np.all(lab[border] >= 0)


def test_ward_merge_costs_sum_to_the_cut_sse() -> None:
    out = run("clusters", method="ward", n=50, k=4, grid=20)
    assert np.isclose(out["sse_merged"], out["sse_cut"])
    assert np.all(np.diff(out["merge_cost"]) >= -1e-12)


def test_kd_tree_leaves_are_balanced() -> None:
    out = run("clusters", method="kd-tree", n=137, leaf_size=6, grid=20)
    assert out["leaf_sizes"].max() <= 6 and out["leaf_sizes"].max() - out["leaf_sizes"].min() <= 1


def test_lsh_collisions_follow_the_angle_law() -> None:
    out = run("clusters", method="lsh", bits=2, hash_draws=4000, grid=20)
    assert np.max(np.abs(out["collision"] - out["collision_theory"])) < 0.04


def test_adjusted_rand_is_one_for_relabelled_partitions() -> None:
    from teeprint.recipes.clusters import adjusted_rand

    a = np.array([0, 0, 1, 1, 2, 2])
    assert adjusted_rand(a, (a + 1) % 3) == pytest.approx(1.0)


@given(eps=st.floats(-1.0, 0.0), k=st.integers(-3, 1))
@FAST
def test_clusters_rejects_absurd_settings(eps: float, k: int) -> None:
    with pytest.raises(ValidationError):
        get("clusters").params(eps=eps, k=k)


# -- fit1d and friends -------------------------------------------------------------------------------------


def test_ols_satisfies_the_normal_equations() -> None:
    out = run("fit1d", data="linear", n=25, fits=[{"kind": "ols", "degree": 2}])
    r = out["resid_0"]
    assert abs(r.sum()) < 1e-9 and abs((out["x"] * r).sum()) < 1e-9 and abs((out["x"] ** 2 * r).sum()) < 1e-9


def test_isotonic_fit_is_monotone_and_pools() -> None:
    out = run("fit1d", data="monotone", n=50, noise=0.3, fits=[{"kind": "isotonic"}])
    assert np.all(np.diff(out["fit_0"]) >= -1e-12) and out["blocks_0"] < 50


@given(tau=st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]))
@FAST
def test_quantile_line_leaves_tau_of_points_below(tau: float) -> None:
    out = run("fit1d", data="hetero", n=200, fits=[{"kind": "quantile", "tau": tau}])
    assert abs(out["below_0"] - tau) < 0.03


def test_gradient_boosting_training_error_falls() -> None:
    out = run("fit1d", data="steps", n=60, fits=[{"kind": "gboost", "rounds": 40, "depth": 1}], stages=[1, 40])
    assert np.all(np.diff(out["train_mse_0"]) <= 1e-12)


def test_losses_bound_zero_one_from_above() -> None:
    out = run("losses", functions=["zero-one", "hinge", "logistic", "exponential"])
    for name in ("hinge", "logistic", "exponential"):
        assert np.all(out[name] >= out["zero_one"] - 1e-12)


def test_low_rank_error_is_the_discarded_spectrum() -> None:
    out = run("low-rank", size=24, ranks=[2, 5])
    assert np.isclose(out["err_2"], out["tail_2"]) and np.isclose(out["err_5"], out["tail_5"])


def test_dtw_path_is_monotone_and_cheaper_than_lockstep() -> None:
    out = run("dtw", n=20, m=30)
    assert np.all(np.diff(out["path_i"]) >= 0) and np.all(np.diff(out["path_j"]) >= 0)
    assert out["dtw_cost"] <= out["lockstep_cost"]


def test_kde_rows_integrate_to_one() -> None:
    out = run("kde", n=200, bandwidths=[0.1, 0.3])
    assert np.all(np.abs(out["mass"] - 1) < 0.01)


def test_als_completes_a_low_rank_table() -> None:
    out = run("als", users=20, items=20, rank=2, observed=0.5, noise=0.0, ridge=0.01, sweeps=40)
    assert out["hidden_rmse_final"] < 0.2 * out["truth_sd"]


def test_gaussian_plane_projections_carry_the_eigenvalues() -> None:
    out = run("gaussian-plane", n=200, grid=21)
    assert np.allclose(out["proj_var"], out["eigenvalues"]) and out["axis_cos"] < 1e-9


def test_ar_fit_recovers_the_weights() -> None:
    out = run("ar-forecast", length=800, repeats=20)
    assert out["phi_error"] < 0.1


@given(width=st.floats(-1.0, 0.0), n=st.integers(-5, 7))
@FAST
def test_fit1d_rejects_absurd_settings(width: float, n: int) -> None:
    with pytest.raises(ValidationError):
        get("fit1d").params(n=n, fits=[{"kind": "nadaraya-watson", "width": width}])


# -- gridworld --------------------------------------------------------------------------------------------


def test_value_iteration_converges_to_policy_iteration() -> None:
    vi = run("gridworld", solver="value-iteration", sweeps=[400], gamma=0.9, slip=0.1)
    pi = run("gridworld", solver="policy-iteration", gamma=0.9, slip=0.1)
    assert np.nanmax(np.abs(vi["value"][-1] - pi["value"][-1])) < 1e-6
    assert vi["delta"][-1] < 1e-9


def test_dijkstra_satisfies_bellman_and_reaches_goal() -> None:
    for seed in range(4):
        out = run("gridworld", seed, layout="maze", solver="dijkstra", terrain=2.0)
        assert out["bellman_residual"] < 1e-9 and out["reaches_goal"] == 1.0
        assert np.isclose(out["path_sum"], out["path_cost"])


def test_astar_matches_dijkstra_cost_with_fewer_expansions() -> None:
    out = run("gridworld", layout="open", solver="astar", height=12, width=12, start=[6, 0], goal=[5, -1])
    assert np.isclose(out["cost_astar"], out["cost_dijkstra"]) and out["n_astar"] <= out["n_dijkstra"]


@given(h=st.integers(-2, 3), gamma=st.floats(1.0, 5.0))
@FAST
def test_gridworld_rejects_absurd_settings(h: int, gamma: float) -> None:
    with pytest.raises(ValidationError):
        get("gridworld").params(height=h, gamma=gamma)


# -- motifs -----------------------------------------------------------------------------------------------


@given(layout=st.sampled_from([1, 2, 3, 4]), axes=st.booleans())
@FAST
def test_decision_regions_stays_inside_its_box(layout: int, axes: bool) -> None:
    out = run("boundary", dataset="moons", n=60, grid=30, square=True,
              models=[{"kind": "knn", "k": 3}] * layout)
    w = 1.0 / layout
    panels = [{"at": [i * w, 0.0, w, 1.0], "index": i, "score": "decision", "points": "points",
               "classes": "classes", "axes": axes, "title": "k"} for i in range(layout)]
    shapes = draw("decision-regions", out, panels=panels, class_names=["a", "b"], boundary_label="b")
    assert shapes and inside(shapes)


def test_decision_regions_names_a_missing_index() -> None:
    from teeprint.errors import TeeprintError

    out = run("boundary", dataset="moons", n=40, grid=20, models=[{"kind": "lda"}])
    with pytest.raises(TeeprintError, match="index"):
        draw("decision-regions", out, panels=[{"score": "decision"}])


def test_policy_grid_draws_inside_its_box() -> None:
    out = run("gridworld", solver="value-iteration", sweeps=[1, 10, 60])
    panels = [{"at": [i / 3, 0.0, 1 / 3, 1.0], "index": i, "value": "value", "policy": "policy",
               "path": "path", "title": "t"} for i in range(3)]
    shapes = draw("policy-grid", out, panels=panels, value_label="value", policy_label="policy")
    assert shapes and inside(shapes)


def _ink_inside(shapes: list, cells: list[Box]) -> float:
    """Mean ink density (0..1) the shapes lay over the given cells, rasterised at 2 px per pt."""
    import cairocffi as cairo

    from teeprint.raster import paint_shape

    w, h = round(BOX.w * 2), round(BOX.h * 2)
    surface = cairo.ImageSurface(cairo.FORMAT_A8, w, h)
    ctx = cairo.Context(surface)
    ctx.scale(2.0, 2.0)
    ctx.translate(-BOX.x, -BOX.y)
    for s in shapes:
        ctx.set_source_rgba(0, 0, 0, s.tint)
        paint_shape(ctx, s)
    surface.flush()
    alpha = np.frombuffer(bytes(surface.get_data()), np.uint8).reshape(h, surface.get_stride())[:, :w] / 255
    parts = [alpha[round((c.y - BOX.y) * 2) + 4:round((c.bottom - BOX.y) * 2) - 4,
                   round((c.x - BOX.x) * 2) + 4:round((c.right - BOX.x) * 2) - 4] for c in cells]
    return float(np.mean(np.concatenate([p.ravel() for p in parts])))


def test_policy_grid_walls_are_engraved_at_a_fraction_of_a_solid_block() -> None:
    # Walls print as hatching with a firm edge, not as flooded blocks (heavy underbase on dark tees).
    walls = np.zeros((5, 5))
    walls[1:4, 2] = 1.0
    out = {"walls": walls}
    shapes = draw("policy-grid", out, panels=[{}], start=None, goal=None)
    assert inside(shapes)
    assert not any(s.paint == "fill" and s.tint == 1.0 for s in shapes)  # nothing flooded at full ink
    grid = max((s for s in shapes if s.paint == "stroke" and s.width_pt == 2.0 and s.d.count("M") == 1),
               key=lambda s: (s.bbox[2] - s.bbox[0]) * (s.bbox[3] - s.bbox[1]))
    cell = (grid.bbox[2] - grid.bbox[0] - 2.0) / 5
    x0, y0 = grid.bbox[0] + 1.0, grid.bbox[1] + 1.0
    cells = [Box(x0 + 2 * cell, y0 + r * cell, cell, cell) for r in (1, 2, 3)]
    wall = _ink_inside(shapes, cells)
    free = _ink_inside(shapes, [Box(x0, y0 + r * cell, cell, cell) for r in (1, 2, 3)])
    assert wall > 3 * free + 0.03  # reads as a wall against the open floor
    assert wall < 0.4  # at well under half the ink of a solid block
