"""Engines of the interpretability family's attribution plates (integrated gradients, Shapley).

The per-plate contract (renders, claims hold at the verify seeds) is run over the whole archive
elsewhere; here: the attribution axioms hold for any in-bounds setting, exact Shapley values
match a hand-computable game, and out-of-bounds parameters are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.recipes.interp_attribution import (
    IntegratedGradientsParams,
    ShapleyParams,
    SoluParams,
    exact_shapley,
    integrated_gradients,
    shapley_exact,
    solu_selectivity,
)

FAST = {"n_train": 60, "steps": 100, "hidden": 4}


def test_exact_shapley_of_a_known_game() -> None:
    """f = 2 x0 + x1 x2: φ = (2 x0, x1 x2 / 2, x1 x2 / 2, 0) from a zero baseline."""
    def f(z: np.ndarray) -> np.ndarray:
        return 2 * z[..., 0] + z[..., 1] * z[..., 2]

    x = np.array([[1.5, 2.0, -3.0, 7.0]])
    phi = exact_shapley(f, x, np.zeros(4))
    assert np.allclose(phi, [[3.0, -3.0, -3.0, 0.0]])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point=st.tuples(*[st.floats(-2, 2)] * 4), seed=st.integers(0, 2**16),
       steps=st.integers(50, 400))
def test_integrated_gradients_completeness(point: tuple[float, ...], seed: int, steps: int) -> None:
    d = integrated_gradients(IntegratedGradientsParams(point=point, path_steps=steps, **FAST),
                             np.random.default_rng(seed))
    assert abs(d["ig_sum"] - d["delta"]) < 0.05 * (1 + abs(d["delta"]))
    assert d["cumulative"].shape == (4, steps + 1)
    assert np.all(d["cumulative"][:, 0] == 0)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 24), seed=st.integers(0, 2**16))
def test_shapley_efficiency(n: int, seed: int) -> None:
    d = shapley_exact(ShapleyParams(n_points=n, **FAST), np.random.default_rng(seed))
    assert d["phi"].shape == (n, 4)
    assert np.max(d["efficiency_error"]) < 1e-9


@pytest.mark.parametrize("bad", [{"hidden": 1000}, {"steps": 0}, {"lr": 5.0}, {"n_points": 1000}])
def test_out_of_bounds_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        ShapleyParams(**bad)


def test_recipes_are_deterministic() -> None:
    a = integrated_gradients(IntegratedGradientsParams(**FAST), np.random.default_rng(3))
    b = integrated_gradients(IntegratedGradientsParams(**FAST), np.random.default_rng(3))
    assert np.array_equal(a["cumulative"], b["cumulative"])


@settings(max_examples=20, deadline=None)
@given(radius=st.floats(0.5, 10.0), points=st.integers(11, 401))
def test_solu_never_exceeds_its_input_and_sharpens(radius: float, points: int) -> None:
    d = solu_selectivity(SoluParams(radius=radius, points=points), np.random.default_rng(0))
    assert np.all(d["solu"] <= d["relu"] + 1e-12)
    assert np.all(d["ratio_out"] <= d["ratio_in"] + 1e-12)


def test_solu_bounds_refused() -> None:
    with pytest.raises(ValidationError):
        SoluParams(radius=100.0)


# -- the interp-toy and interp-attrib engines ---------------------------------------------

from teeprint.recipes.interp_attribution import (  # noqa: E402
    AttribParams,
    _fit_tree,
    _tree_predict,
    interp_attrib,
)
from teeprint.recipes.interp_circuits import (  # noqa: E402
    ToyParams,
    _cnn_input_grad,
    _logit_grad,
    _stream_at,
    _train_residual,
    interp_toy,
)


@pytest.mark.parametrize("bad", [{"experiment": "nope"}, {"width": 1000}, {"sparsity": 1.5},
                                 {"steps": 0}, {"values": tuple(range(20))}, {"l1": -1.0}])
def test_toy_params_out_of_bounds_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ToyParams(**{"experiment": "rome-edit", **bad})


@pytest.mark.parametrize("bad", [{"experiment": "nope"}, {"samples": 5}, {"depth": 99},
                                 {"grid": 5000}, {"lr": 0.0}])
def test_attrib_params_out_of_bounds_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AttribParams(**{"experiment": "lime", **bad})


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16))
def test_pruned_circuit_is_complete_and_minimal(seed: int) -> None:
    """Whatever the seed: the pruned net answers all 16 patterns and every kept edge matters."""
    d = interp_toy(ToyParams(experiment="circuit-prune", width=4, steps=800, lr=0.5),
                   np.random.default_rng(seed))
    if d["full_accuracy"] == 1.0:
        assert d["accuracy"] == 1.0
        assert np.all(d["ablation_accuracy"] < 1.0)
        assert d["n_kept"] == len(d["ablation_accuracy"])


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(40, 400))
def test_rank_one_edits_recall_exactly_and_rome_wins_on_average(seed: int, n: int) -> None:
    d = interp_toy(ToyParams(experiment="rome-edit", width=8, n=n), np.random.default_rng(seed))
    assert np.all(d["edit_error"] < 1e-8)
    assert d["disturbance"].shape == (2, 12)


def test_attention_alternatives_keep_the_output() -> None:
    d = interp_attrib(AttribParams(experiment="attention-explanation"), np.random.default_rng(0))
    assert np.allclose(d["logit"], d["logit"][0], atol=1e-9)
    assert np.allclose(d["after"].sum(axis=1), 1.0) and np.all(d["after"] >= 0)
    assert np.count_nonzero(d["after"][0]) <= 2  # a vertex of the constraint polytope


def test_tree_fits_an_axis_aligned_rule_exactly() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (300, 2))
    y = ((x[:, 0] > 0.2) & (x[:, 1] < -0.1)).astype(float)
    nodes = _fit_tree(x, y, 2)
    assert np.array_equal(_tree_predict(nodes, x), y.astype(int))


def test_cnn_input_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(2)
    params = [rng.normal(size=(25, 3)), rng.normal(size=3), rng.normal(size=(3, 4)), rng.normal(size=4)]
    x = rng.normal(size=(1, 16, 16))
    g, logits = _cnn_input_grad(params, x, 5, 2)
    for r, c in ((3, 4), (8, 8), (12, 1)):
        e = np.zeros_like(x)
        e[0, r, c] = 1e-6
        _, up = _cnn_input_grad(params, x + e, 5, 2)
        assert abs((up[0, 2] - logits[0, 2]) / 1e-6 - g[0, r, c]) < 1e-3


def test_residual_logit_gradient_matches_finite_differences() -> None:
    p = ToyParams(experiment="tcav", width=8, depth=3, n=100, steps=20, lr=0.01)
    m = _train_residual(p, np.random.default_rng(4))
    h = _stream_at(m, np.array([[0.3, -1.1], [1.5, 0.2]]), 1)
    g = _logit_grad(m, h, 1, 2)
    for j in range(3):
        e = np.zeros_like(h)
        e[:, j] = 1e-6
        up = _stream_forward(m, h + e, 1)
        base = _stream_forward(m, h, 1)
        assert np.allclose((up - base) / 1e-6, g[:, j], atol=1e-4)


def _stream_forward(m: dict[str, np.ndarray], h: np.ndarray, layer: int) -> np.ndarray:
    for i in range(layer, len(m["w1"])):
        h = h + np.maximum(h @ m["w1"][i] + m["b1"][i], 0.0) @ m["w2"][i]
    return h @ m["u"][:, 2] + m["c"][2]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16))
def test_counterfactuals_cross_and_l1_is_sparse(seed: int) -> None:
    d = interp_attrib(AttribParams(experiment="counterfactual", point=(-1.0, -0.5), steps=300,
                                   lr=0.2, penalty=2.0), np.random.default_rng(seed))
    assert np.all(d["p_end"] > 0.5)
    assert d["l1_off_axis"] < 0.01


def test_shap_interactions_of_a_known_game() -> None:
    """f = x1 + x2·x3: the x2-x3 pair splits x2·x3 equally, x1 has no interaction, rows sum
    to the Shapley values and the matrix to f(x) - f(0)."""
    from teeprint.recipes.interp_attribution import shap_interactions

    def f(z: np.ndarray) -> np.ndarray:
        return z[..., 0] + z[..., 1] * z[..., 2]

    x = np.array([[1.0, 2.0, -3.0, 0.5]])
    inter = shap_interactions(f, x, np.zeros(4))[0]
    assert inter[1, 2] == pytest.approx(-3.0) and inter[2, 1] == pytest.approx(-3.0)
    assert np.allclose(inter[0, 1:], 0.0) and np.allclose(inter[3], 0.0)
    assert inter.sum() == pytest.approx(f(x)[0])
    assert np.allclose(inter.sum(1), exact_shapley(f, x, np.zeros(4))[0])


@pytest.mark.parametrize("seed", [0, 1])
def test_occlusion_and_control_task_arrays_are_bounded(seed: int) -> None:
    d = interp_toy(ToyParams(experiment="occlusion", n=200, steps=30, batch=16, lr=0.02, width=3),
                   np.random.default_rng(seed))
    assert d["occlusion"].min() >= 0.0 and d["occlusion"].max() <= 1.0
    assert d["inputs"].shape == d["occlusion"].shape == (67, 16)
    c = interp_toy(ToyParams(experiment="control-tasks", n=20, width=4, depth=4, steps=30,
                             values=(0, 8)), np.random.default_rng(seed))
    assert c["accuracy"].shape == (2, 2) and np.all((c["accuracy"] >= 0) & (c["accuracy"] <= 1))
    assert np.allclose(c["sel"], c["accuracy"][0] - c["accuracy"][1])
    with pytest.raises(ValueError):
        interp_toy(ToyParams(experiment="control-tasks", n=20, values=(-1.0,)),
                   np.random.default_rng(seed))


def test_unit_ablation_is_relative_and_bounded() -> None:
    d = interp_toy(ToyParams(experiment="unit-ablation", n=30, width=8, steps=40, lr=0.03,
                             values=(0.0, 0.5, 1.0)), np.random.default_rng(0))
    assert d["relative"].shape == (2, 3) and np.allclose(d["relative"][:, 0], 1.0)
    assert np.all(d["relative"] >= 0.0) and np.all(d["base_acc"] <= 1.0)
    with pytest.raises(ValueError):
        interp_toy(ToyParams(experiment="unit-ablation", values=(1.5,)), np.random.default_rng(0))


def test_ig_riemann_gaps_shrink_with_the_right_order() -> None:
    """Left sums converge at first order, midpoint sums at second; the gaps are relative."""
    from teeprint.recipes.interp_attribution import AttribParams, interp_attrib

    a = interp_attrib(AttribParams(experiment="ig-steps"), np.random.default_rng(3))
    assert a["gap"].shape == (3, 10) and np.all(a["gap"] >= 0)
    assert -1.3 < a["slope_left"] < -0.7 and -2.3 < a["slope_mid"] < -1.7


@pytest.mark.parametrize("experiment", ["smoothgrad", "deletion"])
def test_smoothgrad_and_deletion_arrays_are_bounded(experiment: str) -> None:
    from teeprint.recipes.interp_circuits import ToyParams, interp_toy

    a = interp_toy(ToyParams(experiment=experiment, n=200, steps=30, batch=16, lr=0.02, width=2),
                   np.random.default_rng(1))
    if experiment == "smoothgrad":
        for k in ("saliency", "smooth"):
            assert 0.0 <= a[k].min() and a[k].max() <= 1.0 + 1e-12
        assert np.all(np.abs(a["stable_plain"]) <= 1 + 1e-9) and np.all(a["rough_smooth"] >= 0)
    else:
        for k in ("prob_saliency", "prob_random"):
            assert np.all((a[k] >= 0) & (a[k] <= 1))
        assert np.isclose(a["prob_saliency"][0], a["prob_random"][0])
        assert a["fraction"][0] == 0.0 and a["fraction"][-1] <= 0.5


# -- interp-sparse: sparse-trained representations, crosscoders, privileged bases -------------


def _sparse(**kw: Any) -> dict[str, Any]:
    from teeprint.recipes.interp_sparse import SparseParams, interp_sparse

    return interp_sparse(SparseParams(**kw), np.random.default_rng(7))


@pytest.mark.parametrize("bad", [{"experiment": "nope"}, {"width": 1000}, {"p_active": 0.0},
                                 {"tau": 5.0}, {"steps": 1}, {"noise": -0.1}, {"lr": 0.0}])
def test_sparse_params_out_of_bounds_refused(bad: dict[str, object]) -> None:
    from teeprint.recipes.interp_sparse import SparseParams

    with pytest.raises(ValidationError):
        SparseParams(**{"experiment": "sparse-clip", **bad})


def test_linear_autoencoder_training_is_rotation_equivariant() -> None:
    """The privileged-basis plate rests on this: with no nonlinearity, starting from a rotated
    hidden space ends at the same solution rotated; with a ReLU it does not."""
    from teeprint.recipes.interp_sparse import train_autoencoder

    rng = np.random.default_rng(3)
    x = np.maximum(rng.normal(size=(64, 6)), 0.0)
    w1, w2 = rng.normal(0, 0.4, (5, 6)), rng.normal(0, 0.4, (6, 5))
    q = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    a = train_autoencoder(x, w1, w2, False, 50, 0.05)
    b = train_autoencoder(x, q @ w1, w2 @ q.T, False, 50, 0.05)
    assert np.allclose(b[0], q @ a[0], atol=1e-8) and np.allclose(b[2], a[2] @ q.T, atol=1e-8)
    c = train_autoencoder(x, w1, w2, True, 50, 0.05)
    d = train_autoencoder(x, q @ w1, w2 @ q.T, True, 50, 0.05)
    assert not np.allclose(d[0], q @ c[0], atol=1e-3)


@settings(max_examples=20, deadline=None)
@given(m=st.integers(2, 12), seed=st.integers(0, 2**16))
def test_alignment_is_between_uniform_and_one_axis(m: int, seed: int) -> None:
    from teeprint.recipes.interp_sparse import _alignment

    r = np.random.default_rng(seed).normal(size=(5, m))
    a = _alignment(r)
    assert np.all(a >= 1 / np.sqrt(m) - 1e-12) and np.all(a <= 1 + 1e-12)
    assert np.allclose(_alignment(np.eye(m)), 1.0)


def test_sparse_clip_arrays_are_bounded() -> None:
    a = _sparse(experiment="sparse-clip", n_features=4, dim=8, width=8, steps=20, batch=32, n=64)
    for m in ("dense", "sparse"):
        assert 0.0 <= a[f"acc_{m}"] <= 1.0 and 0.0 <= a[f"agree_{m}"] <= 1.0
        for t in ("img", "txt"):
            c = a[f"corr_{m}_{t}"]
            assert c.shape == (4, 8) and np.all(np.abs(c) <= 1 + 1e-9)
            assert np.all(a[f"best_mask_{m}_{t}"].sum(axis=1) >= 1)
    assert a["l0_sparse"] <= 8 and a["l0_dense"] == 8  # a linear embedding is never exactly 0


def test_crosscoder_shares_sum_to_one_and_kinds_partition() -> None:
    a = _sparse(experiment="crosscoder", n_features=8, dim=6, width=10, steps=30, batch=64, n=200)
    assert np.allclose(a["values"].sum(axis=1), 1.0)
    assert np.all((a["rel_feature"] >= 0) & (a["rel_feature"] <= 1))
    assert list(np.bincount(a["kind"])) == [a["n_shared"], a["n_a_only"], a["n_b_only"]]
    assert len(a["groups"]) == a["n_alive"] == len(a["values"])


def test_feature_splitting_needs_room_and_orders_its_matrix() -> None:
    with pytest.raises(ValueError, match="dim"):
        _sparse(experiment="feature-splitting", n_features=4, dim=10)
    a = _sparse(experiment="feature-splitting", n_features=2, dim=8, steps=50, batch=64, n=300)
    assert a["split"].shape == (2, 4) and a["weights"].shape == (8,)
    assert np.all(np.abs(a["split"]) <= 1 + 1e-9)


def test_sparse_recipes_are_deterministic() -> None:
    kw = {"experiment": "privileged-basis", "n_features": 4, "dim": 8, "width": 6, "steps": 20,
          "batch": 64, "n": 40, "lr": 0.05}
    a, b = _sparse(**kw), _sparse(**kw)
    assert all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)
