"""The paradigms family's engines: parameter bounds (hypothesis), and properties each engine must
have whatever its parameters (logistic regression solves its problem, label propagation keeps
its labels, greedy k-center never does worse than random picks, CMA-ES keeps a valid covariance,
a transition-matrix estimate is a stochastic matrix).  Per-plate claims live in the design files
and are checked by ``teeprint verify``; nothing here repeats them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint import recipes
from teeprint.recipes import rng_for, validate_params
from teeprint.recipes.para_training import RunParams, _arm
from teeprint.recipes.paradigms import PlaneParams, SearchParams, _k_center_greedy, logistic_newton

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(name: str, params: dict, seed: int = 0) -> dict:
    info = recipes.get(name)
    p = validate_params(info.params, params, "test")
    return info.func(p, rng_for(seed, name))


# -- parameter bounds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model, params", [
    (PlaneParams, {"experiment": "label-propagation", "n": 10}),
    (PlaneParams, {"experiment": "label-propagation", "k": 100}),
    (PlaneParams, {"experiment": "pu-learning", "label_freq": 1.0}),
    (PlaneParams, {"experiment": "nope"}),
    (RunParams, {"experiment": "transfer", "relatedness": 1.5}),
    (RunParams, {"experiment": "hedge", "horizon": 10**7}),
    (RunParams, {"experiment": "transition", "flip": 0.6}),
    (RunParams, {"experiment": "transfer", "n_values": [5]}),
    (SearchParams, {"experiment": "cma-es", "population": 1}),
    (SearchParams, {"experiment": "es", "sigma": 0.0}),
])
def test_out_of_bounds_params_are_rejected(model, params):
    with pytest.raises(ValidationError):
        model(**params)


@FAST
@given(n=st.integers(-10, 3000), k=st.integers(-5, 80), freq=st.floats(-1.0, 2.0, allow_nan=False))
def test_plane_params_bounds(n, k, freq):
    ok = 20 <= n <= 1000 and 2 <= k <= 40 and 0.05 <= freq <= 0.95
    try:
        PlaneParams(experiment="pu-learning", n=n, k=k, label_freq=freq)
    except ValidationError:
        assert not ok
    else:
        assert ok


@FAST
@given(dim=st.integers(-5, 400), repeats=st.integers(-5, 800), gap=st.floats(-1.0, 1.0, allow_nan=False))
def test_run_params_bounds(dim, repeats, gap):
    ok = 2 <= dim <= 200 and 1 <= repeats <= 400 and 0.0 <= gap <= 0.5
    try:
        RunParams(experiment="hedge", dim=dim, repeats=repeats, gap=gap)
    except ValidationError:
        assert not ok
    else:
        assert ok


# -- engine properties ------------------------------------------------------------------------------------


@FAST
@given(seed=st.integers(0, 10**6))
def test_logistic_newton_reaches_a_stationary_point(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(80, 2))
    y = (x[:, 0] + 0.5 * rng.normal(size=80) > 0).astype(float)
    w = logistic_newton(x, y, ridge=0.1)
    a = np.c_[x, np.ones(80)]
    pr = 1 / (1 + np.exp(-(a @ w)))
    reg = 0.1 * np.r_[w[:2], 0.0]
    assert np.abs(a.T @ (pr - y) + reg).max() < 1e-6


@FAST
@given(seed=st.integers(0, 10**6), k=st.integers(2, 15))
def test_greedy_k_center_radius_is_within_twice_any_k_subset_lower_bound(seed, k):
    """Gonzalez's guarantee: the k+1 farthest-first points are pairwise >= r apart, so r <= 2 OPT;
    and the greedy radius is the true covering radius of its centres."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(120, 2))
    chosen, r = _k_center_greedy(x, k, 0)
    d = np.linalg.norm(x[:, None] - x[chosen][None], axis=2).min(1)
    assert np.isclose(d.max(), r)
    assert len(set(chosen.tolist())) == k


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_label_propagation_keeps_the_given_labels(seed):
    out = _run("paradigm-plane", {"experiment": "label-propagation", "n": 120, "noise": 0.08, "k": 7,
                                  "sigma": 0.1}, seed)
    lab = np.flatnonzero(out["classes"][0] >= 0)
    assert np.array_equal(out["classes"][1][lab], out["truth"][lab])
    assert out["n_labels"] == 2


def test_transition_estimate_rows_are_distributions():
    out = _run("paradigm-run", {"experiment": "transition", "classes": 4, "n": 800})
    assert np.allclose(out["t_hat"].sum(1), 1.0)
    assert np.allclose(out["t_true"].sum(1), 1.0)
    assert (out["t_hat"] >= 0).all()


def test_hedge_regret_is_bounded_by_the_horizon():
    out = _run("paradigm-run", {"experiment": "hedge", "experts": 4, "horizon": 200, "repeats": 3})
    assert np.all(out["regret_hi"] <= out["t"])
    assert np.allclose(out["weights"].sum(0), 1.0)


def test_cma_es_ellipses_are_closed_and_shrink():
    out = _run("paradigm-search", {"experiment": "cma-es", "generations": 150, "snapshots": [0, 70, 140]})
    e = out["ellipses"]
    assert np.allclose(e[:, 0], e[:, -1])
    spans = np.ptp(e, axis=1).max(1)
    assert spans[-1] < spans[0]


def test_arm_tip_stays_in_the_unit_disc():
    rng = np.random.default_rng(0)
    tips = _arm(rng.uniform(-np.pi, np.pi, (500, 8)))
    assert (np.hypot(tips[:, 0], tips[:, 1]) <= 1 + 1e-12).all()
    assert np.allclose(_arm(np.zeros((1, 8))), [[1.0, 0.0]])


def test_genetic_histograms_are_distributions():
    out = _run("paradigm-run", {"experiment": "genetic", "dim": 16, "per_task": 30, "tasks": [0, 3, 6]})
    assert np.allclose(out["density"].sum(1), 1.0)
    assert out["density"].shape == (3, 17)


def test_random_search_grid_has_three_values_per_axis():
    out = _run("paradigm-search", {"experiment": "random-search", "trials": 9, "repeats": 5})
    assert out["distinct_grid"] == 3
    assert out["grid_pts"].shape == (9, 2)


@pytest.mark.parametrize("n, rung, horizon", [(27, 3, 81), (27, 1, 27), (81, 1, 81)])
def test_successive_halving_spends_the_bracket_budget(n, rung, horizon):
    out = _run("paradigm-run", {"experiment": "successive-halving", "n": n, "rung": rung, "horizon": horizon,
                                "repeats": 2})
    stop = out["stop"]
    assert stop.max() == horizon and np.sum(stop == horizon) == 1
    assert out["budget_spent"] == stop.sum() < out["budget_full"]
    curves = out["curves"]
    assert all(np.isnan(curves[i, int(s):]).all() for i, s in enumerate(stop))


def test_stacking_weights_are_non_negative():
    out = _run("paradigm-run", {"experiment": "stacking", "n": 40, "repeats": 2})
    assert (out["weights"] >= 0).all()


def test_replay_with_the_whole_old_set_beats_no_replay_on_old_classes():
    out = _run("paradigm-run", {"experiment": "replay", "n": 100, "n_values": [0, 100], "meta_steps": 60,
                                "lr": 1.0, "repeats": 2})
    assert out["old"][1] > out["old"][0]


def test_irm_and_distillation_run_with_small_settings():
    irm = _run("paradigm-plane", {"experiment": "irm", "n": 200, "label_freq": 0.9, "sigma": 100.0, "grid": 20})
    assert -90 <= irm["angle_irm"] <= 90 and -90 <= irm["angle_erm"] <= 90
    dd = _run("paradigm-plane", {"experiment": "dataset-distillation", "n": 60, "steps": 3, "repeats": 2, "grid": 20})
    assert dd["synthetic"].shape == (2, 2)


def test_co_training_hands_out_pseudo_labels():
    out = _run("paradigm-plane", {"experiment": "co-training", "n": 100, "labelled": 1, "rounds": 2, "k": 3,
                                  "shift": 1.0})
    assert out["pseudo_labels"] == 2 * 2 * 2 * 3
    assert (out["classes"][0] >= 0).sum() == 2


def test_pbt_copies_only_step_sizes_from_the_population():
    out = _run("paradigm-run", {"experiment": "pbt", "dim": 4, "n": 12, "horizon": 40, "local_steps": 10})
    assert out["lr_paths"].shape == (12, 40)
    assert (out["lr_paths"] > 0).all()


def test_reptile_start_beats_zero_and_rejects_bad_params():
    with pytest.raises(ValidationError):
        RunParams(experiment="reptile", local_steps=0)
    out = _run("paradigm-run", {"experiment": "reptile", "dim": 6, "per_task": 4, "local_steps": 3,
                                "meta_steps": 100, "repeats": 4, "lr": 0.2})
    assert out["reptile"].shape == out["scratch"].shape == (4,)
    assert np.all(out["reptile"] >= out["noise_floor"]) and out["reptile"][0] < out["scratch"][0]


def test_ranking_pairwise_is_blind_to_the_query_offset():
    out = _run("paradigm-run", {"experiment": "ranking", "dim": 3, "n": 10, "per_task": 4,
                                "meta_steps": 20, "repeats": 2})
    # the offset is shared within a query, so the pairs' labels and the pairwise fit never change
    assert np.ptp(out["pairwise"]) == 0.0
    assert np.all((out["pointwise"] >= 0) & (out["pointwise"] <= 1))


def test_novelty_steps_never_pass_through_a_wall():
    from teeprint.recipes.paradigms import _crosses_wall
    a = np.array([[0.0, 0.2], [0.0, 0.2], [-0.6, 0.0]])
    b = np.array([[0.0, 0.4], [0.1, 0.25], [-0.4, 0.0]])
    assert _crosses_wall(a, b).tolist() == [True, False, True]
    with pytest.raises(ValidationError):
        SearchParams(experiment="novelty", population=1)
    out = _run("paradigm-search", {"experiment": "novelty", "population": 4, "generations": 10, "repeats": 1,
                                   "start": [0.0, -0.3], "grid": 20})
    assert np.all(np.abs(out["seen_novelty"]) <= 1.0) and out["success_objective"] == 0.0


def test_domain_adversarial_with_zero_reversal_is_source_only_training():
    out = _run("paradigm-plane", {"experiment": "domain-adversarial", "n": 40, "steps": 50, "repeats": 1,
                                  "sigma": 1.0, "grid": 20})
    assert out["regions"].shape == (2, out["grid_y"].size, out["grid_x"].size)
    assert set(np.unique(out["regions"])) <= {0, 1}
    with pytest.raises(ValidationError):
        PlaneParams(experiment="domain-adversarial", shift=6.0)


# -- paradigm-lab (recipes/para_selfsup.py) -----------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"experiment": "backdoor", "p_x": [0.0, 0.5]},
    {"experiment": "backdoor", "p_y": [0.5, 0.5, 1.5, 0.5]},
    {"experiment": "backdoor", "n": 10},
    {"experiment": "fixmatch", "n": 5000},
    {"experiment": "fixmatch", "n": 900, "pool": 6},
    {"experiment": "fixmatch", "tau": 0.3},
    {"experiment": "fixmatch", "steps": 100, "snapshots": [50, 200]},
    {"experiment": "fixmatch", "snapshots": [300, 100]},
])
def test_lab_rejects_absurd_params(params):
    from teeprint.recipes.para_selfsup import LabParams

    with pytest.raises(ValidationError):
        LabParams(**params)


@FAST
@given(n=st.integers(-10, 200_000), tau=st.floats(0.0, 1.2, allow_nan=False), lr=st.floats(-1.0, 2000.0, allow_nan=False))
def test_lab_params_bounds(n, tau, lr):
    from teeprint.recipes.para_selfsup import LabParams

    ok = 50 <= n <= 1000 and 2 * 6 * n * n <= 8_000_000 and 0.5 <= tau <= 0.999 and 1e-3 <= lr <= 1000.0
    try:
        LabParams(experiment="fixmatch", n=n, tau=tau, lr=lr, steps=10, snapshots=[10])
    except ValidationError:
        assert not ok
    else:
        assert ok


def test_backdoor_without_confounding_needs_no_adjustment():
    """With P(X | Z) the same in both strata, the naive and adjusted estimates agree exactly in the
    tables and closely in the draws."""
    out = _run("paradigm-lab", {"experiment": "backdoor", "p_x": [0.5, 0.5], "n": 20000, "repeats": 2})
    assert out["naive_exact"] == pytest.approx(out["exact"], abs=1e-12)
    assert abs(out["naive"] - out["adjusted"]) < 0.03


def test_backdoor_exact_values_are_the_tables():
    out = _run("paradigm-lab", {"experiment": "backdoor", "p_z": 0.5, "p_x": [0.2, 0.8],
                                "p_y": [0.7, 0.3, 0.8, 0.4], "repeats": 2})
    assert out["exact"] == pytest.approx(0.1)
    assert out["naive_exact"] == pytest.approx(0.48 - 0.62)


def test_fixmatch_without_the_unlabelled_loss_is_the_supervised_model():
    """lam = 0 switches the unlabelled term off: the last panel is then the supervised model up to
    its own draws of the weak jitter, so the two agree on nearly all of the plane."""
    params = {"experiment": "fixmatch", "n": 80, "steps": 60, "snapshots": [60], "lam": 0.0, "grid": 20}
    out = _run("paradigm-lab", params)
    assert abs(out["accuracy"][0] - out["accuracy"][-1]) < 0.05
    assert np.mean(np.sign(out["score"][0]) == np.sign(out["score"][-1])) > 0.95


def test_fixmatch_keeps_the_given_labels_and_rings_them():
    out = _run("paradigm-lab", {"experiment": "fixmatch", "n": 80, "steps": 40, "snapshots": [20, 40], "grid": 20})
    ringed = out["rings"][0]
    assert ringed.sum() == 2 and np.all(out["rings"] == ringed)
    for panel in out["classes"]:
        assert np.array_equal(panel[ringed], out["truth"][ringed])
    assert np.all(out["classes"][0][~ringed] == -1)
