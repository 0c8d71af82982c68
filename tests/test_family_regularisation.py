"""The regularisation family's engines: parameter bounds (hypothesis) and the mathematical
properties each engine must have whatever the plate (closed forms checked against independent
computations, optimality conditions, determinism).  The per-plate claims live in the designs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.recipes import rng_for
from teeprint.recipes.bands import BandParams, _spline_penalty, band, tv_denoise
from teeprint.recipes.pathologies import ForgettingParams, ewc_quadratics
from teeprint.recipes.reg_figures import (
    ConfidenceParams,
    CutMixParams,
    HardConcreteParams,
    ShrinkRuleParams,
    SpectralParams,
    confidence_penalty,
    cutmix,
    hard_concrete,
    shrink_rules,
    spectral_norm,
)
from teeprint.recipes.reg_training import RegTrainingParams, reg_training
from teeprint.recipes.regularisation import (
    LotteryParams,
    PenaltyParams,
    ShrinkageParams,
    lasso_cd,
    penalty_geometry,
    prune_layerwise,
    shrinkage,
)

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- bounds: absurd values are refused ---------------------------------------------------------------


@pytest.mark.parametrize(("model", "bad"), [
    (PenaltyParams, {"radius": 0.0}),
    (PenaltyParams, {"penalty": "l7"}),
    (PenaltyParams, {"q": 0.0}),
    (PenaltyParams, {"boundary_points": 10}),
    (ShrinkageParams, {"experiment": "lasso-path", "points": 10_000}),
    (ShrinkageParams, {"experiment": "lasso-path", "correlation": 1.0}),
    (ShrinkageParams, {"experiment": "unknown"}),
    (BandParams, {"method": "bayes-ridge", "n": 3}),
    (BandParams, {"method": "mc-dropout", "dropout": 1.0}),
    (RegTrainingParams, {"experiment": "dropout-averaging", "hidden": 30}),
    (LotteryParams, {"prune_rate": 1.0}),
    (HardConcreteParams, {"zeta": 1.0}),
    (ConfidenceParams, {"classes": ()}),
])
def test_recipes_refuse_absurd_parameters(model, bad):
    with pytest.raises(ValidationError):
        model(**bad)


@FAST
@given(penalty=st.sampled_from(["l2", "l1", "elastic", "bridge", "linf", "weighted-l2", "dropout"]),
       cx=st.floats(-3, 3), cy=st.floats(-3, 3), angle=st.floats(-90, 90),
       radius=st.floats(0.2, 2.0), q=st.floats(0.3, 3.0))
def test_penalty_geometry_solution_is_feasible_and_no_worse_than_the_boundary(penalty, cx, cy, angle,
                                                                              radius, q):
    p = PenaltyParams(penalty=penalty, centre=(cx, cy), angle_deg=angle, radius=radius, q=q,
                      boundary_points=720, path_points=8, survey_angles=4, grid=41)
    d = penalty_geometry(p, rng_for(0, "penalty-geometry"))
    assert d["penalty_at_solution"] <= radius * (1 + 1e-9)
    # the free optimum wins whenever it is inside; otherwise the solution is on the boundary
    if d["free_penalty"] <= radius:
        np.testing.assert_allclose(d["solution"][0], (cx, cy))
    else:
        assert d["penalty_at_solution"] == pytest.approx(radius, rel=1e-6)
    assert np.all(np.isfinite(d["path"]))


@FAST
@given(experiment=st.sampled_from(["ridge-trace", "effective-df", "stochastic-depth",
                                   "label-smoothing", "group-lasso-path"]),
       seed=st.integers(0, 10_000))
def test_shrinkage_experiments_give_finite_arrays(experiment, seed):
    p = ShrinkageParams(experiment=experiment, n=30, features=5, points=12, repeats=20, blocks=10,
                        knob_max=10.0)
    d = shrinkage(p, np.random.default_rng(seed))
    for v in d.values():
        a = np.asarray(v)
        if a.dtype.kind == "f":
            assert np.all(np.isfinite(a))


@FAST
@given(method=st.sampled_from(["bayes-ridge", "smoothing-spline", "bootstrap", "conformal",
                               "noise-tikhonov"]),
       data=st.sampled_from(["sine-gap", "sine", "wiggle"]), n=st.integers(20, 60),
       seed=st.integers(0, 1000))
def test_band_methods_give_a_fit_on_the_grid(method, data, n, seed):
    p = BandParams(method=method, data=data, n=n, grid=50, features=8, samples=20, copies=10)
    d = band(p, np.random.default_rng(seed))
    assert d["fit"].shape == d["x"].shape == (50,)
    assert np.all(np.isfinite(d["fit"]))
    if "band_lo" in d:
        assert np.all(d["band_lo"] <= d["fit"] + 1e-9) and np.all(d["fit"] <= d["band_hi"] + 1e-9)


# -- engine properties --------------------------------------------------------------------------------


def test_l2_constraint_solution_is_the_ridge_solution():
    """Constrained least squares on a ball = penalised (ridge) at the matching lambda."""
    p = PenaltyParams(penalty="l2", centre=(2.0, 1.0), curvatures=(1.0, 0.25), angle_deg=-30,
                      radius=1.0, boundary_points=72000, survey_angles=4, grid=41)
    d = penalty_geometry(p, rng_for(0, "penalty-geometry"))
    th = math.radians(-30)
    r = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    h = r @ np.diag([1.0, 0.25]) @ r.T
    c = np.array([2.0, 1.0])
    lo, hi = 0.0, 100.0
    for _ in range(200):
        lam = 0.5 * (lo + hi)
        w = np.linalg.solve(h + lam * np.eye(2), h @ c)
        lo, hi = (lam, hi) if np.linalg.norm(w) > 1 else (lo, lam)
    np.testing.assert_allclose(d["solution"][0], w, atol=2e-4)


def test_lasso_coordinate_descent_meets_the_kkt_conditions():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 6))
    y = x @ np.array([2.0, 0, 0, -1.0, 0, 0]) + 0.3 * rng.normal(size=40)
    lam = 0.2
    b = lasso_cd(x, y, lam, np.zeros(6), sweeps=2000, tol=1e-13)
    g = x.T @ (y - x @ b) / len(y)
    on = b != 0
    np.testing.assert_allclose(g[on], lam * np.sign(b[on]), atol=1e-8)
    assert np.all(np.abs(g[~on]) <= lam + 1e-8)


def test_tv_denoising_meets_its_optimality_conditions():
    rng = np.random.default_rng(5)
    y = np.repeat([0.0, 1.0, -0.5], 30) + 0.2 * rng.normal(size=90)
    lam = 0.5
    u = tv_denoise(y, lam, iters=20000)
    # u = y - D'z with |z| <= lam, and z = lam sign(du) wherever u jumps
    z = np.cumsum(u - y)[:-1]
    assert np.all(np.abs(z) <= lam + 1e-6)
    du = np.diff(u)
    jumps = np.abs(du) > 1e-6
    np.testing.assert_allclose(z[jumps], lam * np.sign(du[jumps]), atol=1e-4)


def test_spline_penalty_is_the_exact_curvature_integral():
    knots = np.array([0.3, 0.6])
    pen = _spline_penalty(knots, 0.0, 1.0)
    coef = np.zeros(6)
    coef[2] = 1.0  # f = x^2, f'' = 2: integral 4
    assert coef @ pen @ coef == pytest.approx(4.0)
    coef = np.zeros(6)
    coef[4] = 1.0  # f = (x - 0.3)_+^3, f'' = 6 (x - 0.3)_+: integral 12 * 0.7^3
    assert coef @ pen @ coef == pytest.approx(12 * 0.7**3)


def test_label_smoothing_numerical_optimum_matches_the_formula():
    d = shrinkage(ShrinkageParams(experiment="label-smoothing", knob_min=1e-3, knob_max=0.5),
                  np.random.default_rng(0))
    np.testing.assert_allclose(d["gap_gd"], d["gap_formula_at_gd"], atol=1e-9)


def test_stochastic_depth_mean_is_three_quarters():
    for blocks in (10, 54, 110):
        d = shrinkage(ShrinkageParams(experiment="stochastic-depth", blocks=blocks), None)  # type: ignore[arg-type]
        assert d["mean_active"] == pytest.approx((3 * blocks - 1) / 4)
        assert float(np.sum(d["pmf_linear"])) == pytest.approx(1.0)


def test_dropout_weight_scaling_is_the_geometric_mean():
    d = reg_training(RegTrainingParams(experiment="dropout-averaging", hidden=6, n=60, steps=50),
                     np.random.default_rng(1))
    assert d["geo_vs_scaled"] < 1e-12
    assert d["arith_vs_scaled"] > 0


def test_hard_concrete_masses_match_sampling():
    d = hard_concrete(HardConcreteParams(samples=50_000), np.random.default_rng(2))
    np.testing.assert_allclose(d["total_mass"], 1.0, atol=0.01)
    np.testing.assert_allclose(d["mass_zero_mc"], d["mass_zero"], atol=0.01)
    assert np.all(np.diff(d["mass_zero"]) < 0)  # log alpha given in rising order


def test_spectral_normalisation_and_power_iteration():
    d = spectral_norm(SpectralParams(iterations=30), None)  # type: ignore[arg-type]
    assert d["max_radius_normalised"] == pytest.approx(1.0)
    assert d["estimate_error"] < 1e-9


def test_thresholding_and_filter_rules():
    d = shrink_rules(ShrinkRuleParams(figure="thresholding", threshold=0.5), None)  # type: ignore[arg-type]
    b = d["b"]
    np.testing.assert_allclose(d["soft"], np.sign(b) * np.maximum(np.abs(b) - 0.5, 0))
    f = shrink_rules(ShrinkRuleParams(figure="filter-factors", ridge=4.0), None)  # type: ignore[arg-type]
    assert float(np.interp(2.0, f["s"], f["ridge_filter"])) == pytest.approx(0.5, abs=1e-3)


def test_cutmix_labels_follow_the_box_area():
    d = cutmix(CutMixParams(size=10, box=(0, 0, 5, 4)), None)  # type: ignore[arg-type]
    assert d["label_b"] == pytest.approx(0.2)
    assert d["mixed_from_a"] == d["mixed_from_b"] == 1.0


def test_confidence_penalty_optimum_is_uniform_only_in_the_limit():
    d = confidence_penalty(ConfidenceParams(classes=(4,), beta_max=50.0, points=5), None)  # type: ignore[arg-type]
    q = d["confidence_k4"]
    assert q[0] > 0.999 and np.all(q > 0.25) and q[-1] < 0.3
    assert d["grid_check"] < 1e-4


def test_ewc_solutions_match_the_closed_form():
    d = ewc_quadratics(ForgettingParams(), None)  # type: ignore[arg-type]
    np.testing.assert_allclose(d["solution_plain"][0], [2.0, 2.0])
    np.testing.assert_allclose(d["solution_l2"][0], [0.2 / 10.1, 1.0], atol=1e-9)
    np.testing.assert_allclose(d["solution_ewc"][0], [0.2 / 10.1, 20 / 10.1], atol=1e-9)


def test_layerwise_pruning_follows_the_schedule():
    rng = np.random.default_rng(0)
    net = [(rng.normal(size=(2, 8)), np.zeros(8)), (rng.normal(size=(8, 1)), np.zeros(1))]
    masks = [np.ones((2, 8)), np.ones((8, 1))]
    for _ in range(3):
        masks = prune_layerwise(net, masks, 0.25, 0.5)
    kept = 16
    for _ in range(3):
        kept -= round(0.25 * kept)
    assert masks[0].sum() == kept
    # the smallest surviving weights go first
    w = np.abs(net[0][0])
    assert w[masks[0] > 0].min() >= w[masks[0] == 0].max()


@pytest.mark.parametrize("params", [
    ShrinkageParams(experiment="lasso-path", points=10),
    BandParams(method="bayes-ridge", grid=40),
])
def test_computed_recipes_are_seeded(params):
    fn = shrinkage if isinstance(params, ShrinkageParams) else band
    a = fn(params, np.random.default_rng(7))
    b = fn(params, np.random.default_rng(7))
    c = fn(params, np.random.default_rng(8))
    key = "coef" if "coef" in a else "fit"
    np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a[key], c[key])
