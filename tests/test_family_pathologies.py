"""The pathologies family's engines: ``path-dynamics`` (training-dynamics and numerics
experiments), ``path-matrix`` (pathologies drawn as matrices) and ``path-plane`` (classifiers on
the plane).  Per-plate properties are claims in the design files; these tests check the engines:
parameter bounds (hypothesis), determinism, and the invariants each experiment must keep whatever
its settings."""

from __future__ import annotations

import math
from typing import get_args

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.recipes.path_dynamics import EXPERIMENTS, DynParams, Experiment, path_dynamics
from teeprint.recipes.pathologies import MatrixExpParams, PlaneParams, path_matrix, path_plane

RNG = np.random.default_rng

#: Small, fast settings for every path-dynamics experiment.
SMALL = {
    "rnn-gradient": {"width": 8, "steps": 20, "repeats": 2},
    "attention-rank": {"width": 8, "n": 8, "depth": 6, "repeats": 2},
    "gcn-smoothing": {"width": 4, "n": 30, "depth": 20, "lr": 0.3, "repeats": 2},
    "lstm-forget": {"width": 6, "steps": 20, "repeats": 2, "values": (0.0, 1.0)},
    "committee-plateau": {"width": 10, "depth": 2, "steps": 5, "repeats": 2, "noise": 0.01},
    "softmax-overflow": {"width": 5, "n": 20},
    "variance-cancellation": {"n": 50, "depth": 4, "steps": 5, "repeats": 3},
    "gradient-starvation": {"n": 40, "steps": 50, "lr": 1.0},
    "policy-entropy": {"width": 3, "n": 20, "steps": 50, "lr": 1.0, "noise": 0.1},
    "bn-noise": {"n": 500, "values": (2, 8, 32)},
    "feedback-loop": {"n": 12, "width": 3, "steps": 20, "depth": 3, "repeats": 2},
    "rnn-cliff": {"depth": 10, "steps": 20, "lr": 0.02, "values": (8.0, -5.5)},
    "long-tail": {"width": 50, "n": 100, "noise": 0.1},
    "stagnation": {"steps": 200, "lr": 2e-4},
    "competitive": {"width": 4, "n": 60, "steps": 200, "lr": 0.1, "noise": 0.3},
    "dropout-shift": {"n": 2000, "values": (0.1, 0.5)},
    "lr-dead": {"width": 8, "n": 20, "steps": 30, "repeats": 2, "values": (0.02, 0.13)},
}


def _dyn(name: str, seed: int = 0, **kw: object) -> dict:
    params = {"experiment": name, **SMALL[name], **kw}
    return path_dynamics(DynParams.model_validate(params), RNG(seed))


def test_every_experiment_has_small_settings_and_a_name():
    assert set(SMALL) == set(EXPERIMENTS) == set(get_args(Experiment))


@pytest.mark.parametrize("name", sorted(SMALL))
def test_dynamics_experiments_are_finite_and_deterministic(name):
    a, b = _dyn(name), _dyn(name)
    assert set(a) == set(b)
    for key, value in a.items():
        arr = np.asarray(value)
        if arr.dtype.kind in "fc":
            if not (name == "long-tail" and key.startswith("acc_")):  # NaN: a bucket with no test point
                assert not np.any(np.isnan(arr)), (name, key)
            np.testing.assert_array_equal(arr, np.asarray(b[key]), err_msg=f"{name}.{key}")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SMALL)), seed=st.integers(0, 2**31 - 1),
       lr=st.floats(0.05, 2.0), noise=st.floats(0.0, 2.0))
def test_dynamics_accept_any_rate_and_noise_within_bounds(name, seed, lr, noise):
    out = _dyn(name, seed, lr=lr, noise=noise)
    assert all(not np.any(np.isnan(np.asarray(v, float))) for k, v in out.items()
               if np.asarray(v).dtype.kind in "fiub" and not k.startswith("acc_"))


@pytest.mark.parametrize("bad", [
    {"experiment": "no-such-experiment"},
    {"experiment": "rnn-gradient", "width": 1},
    {"experiment": "rnn-gradient", "steps": 10**6},
    {"experiment": "bn-noise", "values": ()},
    {"experiment": "policy-entropy", "lr": -1.0},
    {"experiment": "lstm-forget", "unknown": 1},
])
def test_dynamics_reject_absurd_parameters(bad):
    with pytest.raises(ValidationError):
        DynParams.model_validate(bad)


def test_rnn_gradient_follows_the_spectral_radius():
    out = _dyn("rnn-gradient", values=(0.8, 1.25), steps=40)
    assert out["grad_0"][-1] < 0.8**30 and out["grad_1"][-1] > 1.25**30


def test_pure_attention_collapses_and_skips_do_not():
    out = _dyn("attention-rank")
    assert out["res_attention"][-1] < 1e-6 < out["res_skip"][-1]


def test_softmax_overflow_is_exact_arithmetic():
    a, b = _dyn("softmax-overflow", 0), _dyn("softmax-overflow", 99)
    np.testing.assert_array_equal(a["err_naive16"], b["err_naive16"])
    assert math.log(65504) < a["fail_naive16"] and math.isinf(a["fail_shift16"])


def test_two_element_batch_norm_gives_plus_or_minus_one():
    out = _dyn("bn-noise")
    assert out["frac_unit"][0] == 1.0 and out["frac_unit"][-1] == 0.0


def test_half_precision_loses_updates_below_half_its_spacing():
    out = _dyn("stagnation")
    assert out["share_lost"] > 0.9 and out["kahan_error"] < 2 * out["half_spacing"]


def test_codes_that_never_win_never_move():
    out = _dyn("competitive", width=8, steps=400)
    moved = np.linalg.norm(out["codes_plain"] - out["start"], axis=1) > 0
    assert out["dead_plain"] >= 8 - int(moved.sum())


def test_a_singleton_removed_is_guessed():
    out = _dyn("long-tail", width=200, n=300)
    assert out["acc_full"][1] == 1.0 and out["accuracy_lost"] >= 0


def test_welford_beats_the_textbook_formula_far_from_zero():
    out = _dyn("variance-cancellation")
    assert out["err_welford"][-1] < out["err_naive"][-1]


# -- path-matrix ----------------------------------------------------------------------------------------


def _mx(**kw: object) -> dict:
    return path_matrix(MatrixExpParams.model_validate(kw), RNG(0))


def test_identical_units_stay_identical():
    out = _mx(experiment="symmetry", size=5, dim=4, steps=50, lr=0.2)
    assert out["rank_constant"] == 1 and out["min_sim_constant"] > 1 - 1e-9


def test_influence_matrix_is_symmetric_and_stochastic_in_the_limit():
    out = _mx(experiment="oversquashing", size=10, steps=3)
    np.testing.assert_allclose(out["influence"], out["influence"].T, atol=1e-12)
    assert out["squash_ratio"] > 1


def test_magnitude_pruning_collapses_a_layer_and_synflow_does_not():
    out = _mx(experiment="layer-collapse", dim=60, steps=10, values=(0.0, 2.5, 3.0))
    assert out["collapsed_magnitude"][-1] and not out["collapsed_synflow"].any()


def test_unseen_tokens_keep_their_input_embeddings():
    out = _mx(experiment="untrained-tokens", size=20, dim=4, steps=50, lr=1.0)
    assert out["input_change_unseen"] == 0 and out["unseen_count"] == 5


def test_saturation_grows_with_the_gain():
    out = _mx(experiment="saturation", size=4, dim=20, values=(1.0, 8.0, 32.0))
    assert np.all(np.diff(out["mean_saturated"]) >= 0)


def test_edge_of_chaos_starts_at_unit_weight_variance():
    out = _mx(experiment="order-chaos", size=24)
    assert abs(out["critical_at_zero_bias"] - 1) < 0.2
    assert np.all(out["chi"][0][out["sigma_w2"] < 0.95] < 1)


def test_qk_norm_removes_the_scale():
    out = _mx(experiment="attention-entropy", size=6, dim=8, values=(1.0, 30.0), repeats=2)
    assert abs(out["entropy_qknorm"][0] - out["entropy_qknorm"][1]) < 1e-9
    assert out["entropy"][1] < out["entropy"][0]


def test_even_shifts_commute_with_stride_two_pooling():
    out = _mx(experiment="aliasing", size=4, dim=16, repeats=2)
    np.testing.assert_allclose(out["max_rows"][2], out["max_rows"][0])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exp=st.sampled_from(["attention-entropy", "oversquashing", "aliasing", "symmetry"]),
       size=st.integers(4, 12), dim=st.integers(4, 16), lr=st.floats(0.01, 1.0))
def test_matrix_experiments_accept_parameters_within_bounds(exp, size, dim, lr):
    out = path_matrix(MatrixExpParams.model_validate(
        {"experiment": exp, "size": size, "dim": dim, "lr": lr, "steps": 20, "repeats": 1}), RNG(1))
    assert all(np.all(np.isfinite(np.asarray(v, float))) for v in out.values()
               if np.asarray(v).dtype.kind in "fiub")


# -- path-plane -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("exp", ["shortcut", "simplicity", "imbalance", "underspecification",
                                 "amplification", "ordering", "permutation"])
def test_plane_experiments_give_scores_on_the_grid(exp):
    p = PlaneParams.model_validate({"experiment": exp, "n": 60, "steps": 50, "grid": 20, "models": 2,
                                    "hidden": 4})
    out = path_plane(p, RNG(0))
    assert out["score_0"].shape == (20, 20) and out["score_1"].shape == (20, 20)
    assert len(out["points_0"]) == len(out["classes_0"])


@pytest.mark.parametrize("bad", [
    {"experiment": "shortcut", "n": 5},
    {"experiment": "imbalance", "ratio": 0.9},
    {"experiment": "underspecification", "models": 20},
    {"experiment": "simplicity", "lr": 0.0},
])
def test_plane_rejects_absurd_parameters(bad):
    with pytest.raises(ValidationError):
        PlaneParams.model_validate(bad)


def test_plane_experiments_are_all_tested():
    from typing import get_args as args

    assert set(args(PlaneParams.model_fields["experiment"].annotation)) == {
        "shortcut", "simplicity", "imbalance", "underspecification", "amplification", "ordering",
        "permutation"}


def test_reweighting_raises_minority_recall():
    p = PlaneParams.model_validate({"experiment": "imbalance", "n": 600, "ratio": 0.05, "steps": 800,
                                    "lr": 1.0, "noise": 0.8})
    out = path_plane(p, RNG(3))
    assert out["recall_minority_weighted"] > out["recall_minority_plain"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hidden=st.integers(2, 16), n=st.integers(20, 80), seed=st.integers(0, 50))
def test_matched_units_compute_the_same_function_and_never_raise_the_barrier(hidden, n, seed):
    p = PlaneParams.model_validate({"experiment": "permutation", "n": n, "hidden": hidden, "steps": 60,
                                    "lr": 1.0, "grid": 20})
    out = path_plane(p, RNG(seed))
    assert out["matched_function_gap"] < 1e-9
    assert out["loss_naive"][0] == pytest.approx(out["loss_aligned"][0])
    assert out["loss_naive"][-1] == pytest.approx(out["loss_aligned"][-1])
    assert 0 <= out["units_moved"] <= hidden and 0 <= out["units_flipped"] <= hidden


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(4, 24), dim=st.integers(4, 24), depths=st.lists(st.integers(1, 12), min_size=1, max_size=4))
def test_post_ln_gives_finite_gradients_for_any_depths(size, dim, depths):
    out = _mx(experiment="post-ln", size=size, dim=dim, values=tuple(float(d) for d in depths), repeats=1)
    assert out["last_grad"].shape == (2, len(depths)) and np.all(np.isfinite(out["last_grad"]))
    assert out["layer_grad"].shape == (2, depths[len(depths) // 2])


def test_pre_ln_last_gradient_shrinks_with_depth_and_post_ln_does_not():
    out = _mx(experiment="post-ln", size=32, dim=32, values=(2.0, 32.0), repeats=3)
    assert out["last_grad"][1, 1] < 0.5 * out["last_grad"][1, 0]
    assert 0.67 < out["last_grad"][0, 1] / out["last_grad"][0, 0] < 1.5


@pytest.mark.parametrize("depths", [(0.0, 4.0), (-3.0,)])
def test_post_ln_rejects_depths_out_of_range(depths):
    from teeprint.errors import TeeprintError

    with pytest.raises(TeeprintError):
        _mx(experiment="post-ln", values=depths)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(4, 16), dim=st.integers(16, 32), batches=st.lists(st.integers(4, 64), min_size=1, max_size=3))
def test_bn_explosion_gives_finite_gradients_within_bounds(size, dim, batches):
    out = _mx(experiment="bn-explosion", size=size, dim=dim, values=tuple(float(b) for b in batches), repeats=1)
    assert out["grad"].shape == (len(batches) + 1, size) and np.all(np.isfinite(out["log_grad"]))
    assert np.all(out["log_rel"] >= 0)


def test_batch_norm_gradients_grow_towards_the_input_and_plain_ones_do_not():
    out = _mx(experiment="bn-explosion", size=16, dim=32, values=(8.0,), repeats=3)
    assert out["growth_bn"][0] > 20 and 0.2 < out["growth_plain"] < 5


@pytest.mark.parametrize("bad", [{"values": (2.0,)}, {"values": (1000.0,)}, {"dim": 8}])
def test_bn_explosion_rejects_batches_out_of_range(bad):
    from teeprint.errors import TeeprintError

    with pytest.raises((TeeprintError, ValidationError)):
        _mx(experiment="bn-explosion", **bad)


def test_dead_units_never_revive_and_a_small_rate_kills_none():
    out = _dyn("lr-dead", width=32, n=64, steps=200, repeats=2, values=(0.01, 0.3))
    assert np.all(np.diff(out["dead"], axis=1) >= 0)
    assert out["final_dead"][0] == 0 and out["final_dead"][1] > 0


# -- plasticity (recipes/path_plasticity.py) ----------------------------------------------------------------


def _plasticity(**kw):
    from teeprint.recipes import rng_for
    from teeprint.recipes.path_plasticity import PlasticityParams, plasticity

    return plasticity(PlasticityParams(**kw), rng_for(0, "plasticity"))


@pytest.mark.parametrize("params", [
    {"methods": []},
    {"methods": ["backprop", "backprop"]},
    {"methods": ["sgd"]},
    {"tasks": 10, "window": 6},
    {"tasks": 10, "block": 3},
    {"width": 10_000},
    {"shrink": 1.5},
])
def test_plasticity_rejects_absurd_params(params):
    from teeprint.recipes.path_plasticity import PlasticityParams

    with pytest.raises(ValidationError):
        PlasticityParams(**params)


def test_plasticity_methods_share_the_start_and_the_tasks():
    """Shrink and perturb with shrink 1 and perturb 0 is plain backprop, step for step."""
    out = _plasticity(methods=["backprop", "shrink-perturb"], tasks=6, steps=10, window=2,
                      shrink=1.0, perturb=0.0)
    assert np.array_equal(out["error"][0], out["error"][1])
    assert np.array_equal(out["activity"][0], out["activity"][1])


def test_plasticity_shapes_and_ranges():
    out = _plasticity(methods=["backprop", "continual-backprop"], tasks=6, steps=10, width=8, window=2, block=2)
    assert out["activity"].shape == (2, 8, 6) and out["activity_backprop"].shape == (8, 6)
    assert out["error_blocks"].shape == (2, 3)
    assert np.all((0 <= out["error"]) & (out["error"] <= 1))
    assert np.all((0 <= out["activity"]) & (out["activity"] <= 1))
    assert np.array_equal(out["silent_backprop"], out["activity_backprop"] == 0)
    assert np.allclose(out["dormant"][0], (out["activity"][0] == 0).mean(axis=0))


def test_continual_backprop_with_no_replacement_is_backprop():
    out = _plasticity(methods=["backprop", "continual-backprop"], tasks=4, steps=10, window=2, replacement=0.0)
    assert np.array_equal(out["error"][0], out["error"][1])
