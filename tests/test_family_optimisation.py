"""The optimisation family's engines: the ``curves`` table (closed forms), the ``loss-trajectories``
landscape-path engine and the ``optim-experiment`` recipe.  Per-plate properties are claims in
the design files; these tests check the engines themselves: exact derivatives, what each
optimiser is, parameter bounds (hypothesis) and the experiments' invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.recipes.closed_forms import FUNCTIONS, Curve, CurvesParams, curves, evaluate
from teeprint.recipes.optim_experiments import ExperimentParams, optim_experiment
from teeprint.recipes.optimisation import (
    LOSSES,
    Surface,
    TrajectoryParams,
    loss_trajectories,
    sharpness,
)

RNG = np.random.default_rng


def _traj(**kw: object) -> dict:
    return loss_trajectories(TrajectoryParams.model_validate(kw), RNG(0))


# -- curves: the closed-form table ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_is_finite_at_its_defaults(name):
    x = np.linspace(0.01, 0.99, 99)
    y = evaluate(Curve(key="f", fn=name), x)
    assert y.shape == x.shape and np.all(np.isfinite(y)), name


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(FUNCTIONS)), lo=st.floats(0.01, 50), span=st.floats(0.5, 500),
       points=st.integers(3, 400), log=st.booleans(), data=st.data())
def test_curves_accept_any_parameters_within_bounds(name, lo, span, points, log, data):
    spec = FUNCTIONS[name].params
    params = {k: data.draw(st.floats(low, high, allow_nan=False)) for k, (_, low, high) in spec.items()}
    p = CurvesParams.model_validate({"x_min": lo, "x_max": lo + span, "points": points, "x_log": log,
                                     "functions": [{"key": "f", "fn": name, "params": params,
                                                    "derivative": True, "at": lo}]})
    out = curves(p, RNG(0))
    assert out["x"].shape == out["f"].shape == out["f_grad"].shape == (points,)
    assert np.all(np.diff(out["x"]) > 0)
    assert not np.any(np.isnan(out["f"])), (name, params)


@pytest.mark.parametrize("bad", [
    {"functions": [{"key": "f", "fn": "no-such-function"}]},
    {"functions": [{"key": "f", "fn": "huber", "params": {"delta": -1.0}}]},
    {"functions": [{"key": "f", "fn": "huber", "params": {"width": 1.0}}]},
    {"functions": [{"key": "f", "fn": "relu"}, {"key": "f", "fn": "tanh"}]},
    {"functions": [{"key": "x", "fn": "relu"}]},
    {"x_min": 1.0, "x_max": 1.0, "functions": [{"key": "f", "fn": "relu"}]},
    {"x_min": -1.0, "x_max": 1.0, "x_log": True, "functions": [{"key": "f", "fn": "relu"}]},
    {"points": 2, "functions": [{"key": "f", "fn": "relu"}]},
    {"functions": []},
])
def test_curves_refuse_bad_parameters(bad):
    with pytest.raises(ValidationError):
        CurvesParams.model_validate(bad)


def test_curve_identities():
    x = np.linspace(-3, 3, 601)

    def f(name: str, **params: float) -> np.ndarray:
        return evaluate(Curve(key="f", fn=name, params=params), x)

    # soft-thresholding is the proximal map of lam |u|: compare with a brute-force argmin
    grid = np.linspace(-4, 4, 8001)
    for v in (-2.3, -0.4, 0.0, 0.7, 1.9):
        brute = grid[np.argmin(0.5 * (grid - v) ** 2 + 0.8 * np.abs(grid))]
        assert evaluate(Curve(key="s", fn="soft-threshold", params={"lam": 0.8}), np.array([v]))[0] == \
            pytest.approx(brute, abs=1e-3)
    assert np.all(f("huber", delta=1.0) <= f("squared") + 1e-12)
    assert np.allclose(f("gelu"), x * 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2))))
    assert np.allclose(f("silu", beta=1.0), x / (1 + np.exp(-x)))
    assert np.allclose(f("selu")[x > 0], 1.0507009873554805 * x[x > 0])
    t = np.arange(0, 50.0)
    one = evaluate(Curve(key="c", fn="cosine-restarts", params={"lr": 1.0, "period": 10.0}), t)
    assert np.allclose(one[:10], evaluate(Curve(key="c", fn="cosine", params={"lr": 1.0, "total": 10.0}), t[:10]))
    assert np.allclose(one[10:20], one[:10])  # restarts repeat with mult = 1
    doubling = evaluate(Curve(key="c", fn="cosine-restarts", params={"lr": 1.0, "period": 10.0, "mult": 2.0}), t)
    assert np.flatnonzero(np.diff(doubling) > 0.1).tolist() == [9, 29]  # restarts at 10 and 30
    # the cubic Newton-Schulz fixes 1; the quintic sends small values up and 1 to 1.2
    ns = evaluate(Curve(key="n", fn="newton-schulz", params={"a": 1.5, "b": -0.5, "c": 0.0}), np.array([1.0]))
    assert ns[0] == pytest.approx(1.0)
    # rates: heavy ball beats gradient descent for every condition number above 1
    k = np.geomspace(1.5, 1e4, 50)
    assert np.all(evaluate(Curve(key="r", fn="rate-heavy-ball"), k) < evaluate(Curve(key="r", fn="rate-gd"), k))
    # Adam's uncorrected step for a steady gradient is sqrt(10) on step 1 with the defaults
    assert evaluate(Curve(key="a", fn="adam-uncorrected-step"), np.array([1.0]))[0] == pytest.approx(math.sqrt(10))
    # binary entropy peaks at one bit
    assert evaluate(Curve(key="h", fn="binary-entropy"), np.array([0.5]))[0] == pytest.approx(1.0)


def test_curve_derivative_and_worked_point():
    p = CurvesParams.model_validate({"x_min": -2, "x_max": 2, "points": 4001,
                                     "functions": [{"key": "q", "fn": "squared", "derivative": True, "at": 1.5}]})
    out = curves(p, RNG(0))
    assert np.allclose(out["q_grad"][1:-1], out["x"][1:-1], atol=1e-6)
    assert out["q_at"] == pytest.approx(1.125)


# -- loss-trajectories: exact derivatives ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradients_and_hessians_are_exact(name):
    loss = LOSSES[name]
    x0, x1, y0, y1 = loss.extent
    pts = RNG(3).uniform([x0, y0], [x1, y1], (25, 2))
    h, k = 1e-6, 7.0
    for x, y in pts:

        def f(a: float, b: float) -> float:
            return float(loss.f(np.array(a), np.array(b), k))

        def g(a: float, b: float) -> np.ndarray:
            return np.asarray(loss.grad(np.array(a), np.array(b), k), float)

        num_g = [(f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h)]
        np.testing.assert_allclose(g(x, y), num_g, rtol=1e-4, atol=1e-4)
        num_h = np.stack([(g(x + h, y) - g(x - h, y)) / (2 * h), (g(x, y + h) - g(x, y - h)) / (2 * h)])
        exact = np.asarray(loss.hess(np.array(x), np.array(y), k), float)
        np.testing.assert_allclose(exact, num_h, rtol=1e-4, atol=1e-3)
        assert float(sharpness(exact)) == pytest.approx(np.linalg.eigvalsh(exact).max(), abs=1e-9)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_listed_minima_have_zero_gradient_and_the_floor(name):
    loss = LOSSES[name]
    for m in loss.minima:
        g = np.asarray(loss.grad(np.array(m[0]), np.array(m[1]), 50.0), float)
        assert np.linalg.norm(g) < 1e-6 or name == "two-wells", (name, m, g)
        if loss.floor is not None and name != "two-wells":
            assert float(loss.f(np.array(m[0]), np.array(m[1]), 50.0)) == pytest.approx(loss.floor, abs=1e-9)


def test_surface_shift_rotation_and_metric():
    surf = Surface(LOSSES["quadratic"], 10.0, shift=(1.0, -2.0), angle_deg=30.0)
    m = surf.minima()[0]
    assert m == pytest.approx([1.0, -2.0])
    assert np.linalg.norm(surf.grad(m)) < 1e-12
    hess = surf.hess(np.array([0.3, 0.4]))
    assert np.linalg.eigvalsh(hess) == pytest.approx([1.0, 10.0])
    h = 1e-6
    p = np.array([0.3, 0.4])
    num = [(surf.value(p + [h, 0]) - surf.value(p - [h, 0])) / (2 * h),
           (surf.value(p + [0, h]) - surf.value(p - [0, h])) / (2 * h)]
    assert surf.grad(p) == pytest.approx(num, abs=1e-5)
    fisher = Surface(LOSSES["gaussian-fit"], 1.0).metric(np.array([0.0, math.log(2.0)]))
    assert np.diag(fisher) == pytest.approx([0.25, 2.0])


# -- loss-trajectories: each optimiser is the algorithm it is named after -------------------------


def test_conjugate_gradient_solves_a_2d_quadratic_in_two_steps():
    for angle, k in ((0.0, 3.0), (30.0, 10.0), (-70.0, 200.0)):
        out = _traj(loss="quadratic", condition=k, angle=angle, starts=[[-3.0, 2.0]], steps=5,
                    optimisers=[{"key": "cg", "kind": "cg", "lr": 1.0}])
        assert out["gap_cg"][2] < 1e-18 < out["gap_cg"][1]


def test_steepest_descent_steps_are_orthogonal_and_newton_is_one_step_on_a_quadratic():
    out = _traj(loss="quadratic", condition=10.0, angle=20.0, starts=[[-3.0, 2.0]], steps=6,
                optimisers=[{"key": "sd", "kind": "steepest", "lr": 1.0}, {"key": "nt", "kind": "newton", "lr": 1.0}])
    d = np.diff(out["paths_sd"][0], axis=0)
    assert np.all(np.abs(np.sum(d[1:] * d[:-1], axis=1)) < 1e-9)
    assert out["gap_nt"][1] < 1e-20


def test_ista_matches_the_closed_form_lasso_solution():
    a, b, k, lam = 2.0, 0.15, 5.0, 1.0
    out = _traj(loss="quadratic", condition=k, shift=(a, b), l1=lam, starts=[[-1.0, 1.5]], steps=300,
                optimisers=[{"key": "ista", "kind": "prox", "lr": 0.19}, {"key": "fista", "kind": "fista", "lr": 0.19}])
    soft = np.sign([a, b]) * np.maximum(np.abs([a, b]) - lam / np.array([1.0, k]), 0)
    assert out["final_ista"][0] == pytest.approx(soft, abs=1e-9)
    assert out["final_fista"][0] == pytest.approx(soft, abs=1e-6)


def test_sign_methods_take_steps_of_exactly_lr_and_projection_stays_feasible():
    out = _traj(loss="rosenbrock", starts=[[-1.5, 2.5], [0.5, -0.5]], steps=50,
                optimisers=[{"key": "s", "kind": "sign", "lr": 0.01}, {"key": "l", "kind": "lion", "lr": 0.01},
                            {"key": "p", "kind": "projected", "lr": 0.001, "radius": 0.8},
                            {"key": "fw", "kind": "frank-wolfe", "lr": 1.0, "radius": 0.8}])
    for key in ("s", "l"):
        assert np.allclose(np.abs(np.diff(out[f"paths_{key}"], axis=1)), 0.01)
    for key in ("p", "fw"):
        assert np.all(np.linalg.norm(out[f"paths_{key}"][:, 1:], axis=-1) <= 0.8 + 1e-12)


def test_sam_is_foret_one_step_ascent():
    """One SAM step equals a GD step taken with the gradient at w + rho g/|g|."""
    loss = LOSSES["product"]
    w = np.array([3.0, 0.4])
    out = _traj(loss="product", starts=[w.tolist()], steps=1,
                optimisers=[{"key": "sam", "kind": "sam", "lr": 0.05, "rho": 0.2}])
    g = np.asarray(loss.grad(w[0], w[1], 0.0), float)
    e = 0.2 * g / np.linalg.norm(g)
    expect = w - 0.05 * np.asarray(loss.grad(*(w + e), 0.0), float)
    assert out["paths_sam"][0, 1] == pytest.approx(expect)


def test_adam_bias_correction_first_step_is_lr_times_sign():
    out = _traj(loss="quadratic", condition=30.0, starts=[[-4.0, 1.0]], steps=1,
                optimisers=[{"key": "a", "kind": "adam", "lr": 0.1}, {"key": "g", "kind": "adagrad", "lr": 0.1}])
    for key in ("a", "g"):
        assert np.abs(np.diff(out[f"paths_{key}"][0], axis=0))[0] == pytest.approx([0.1, 0.1], rel=1e-6)


def test_lookahead_and_clipping_and_decay():
    out = _traj(loss="quadratic", condition=10.0, starts=[[-4.0, 1.0]], steps=200,
                optimisers=[{"key": "gd", "kind": "gd", "lr": 0.21},
                            {"key": "la", "kind": "gd", "lr": 0.21, "lookahead_k": 5},
                            {"key": "c", "kind": "gd", "lr": 0.1, "clip": 0.5}])
    assert out["diverged_gd"][0] == 1 and out["diverged_la"][0] == 0
    assert out["gap_la"][-1] < 1e-8
    assert np.max(out["step_len_c"]) <= 0.05 + 1e-12


def test_noise_is_seeded_and_jitter_moves_the_starts():
    kw = {"loss": "quadratic", "condition": 1.0, "starts": [[1.0, 1.0]] * 4, "start_jitter": 0.1, "steps": 20,
          "optimisers": [{"key": "n", "kind": "gd", "lr": 0.1, "grad_noise": 1.0}]}
    p = TrajectoryParams.model_validate(kw)
    a, b, c = (loss_trajectories(p, RNG(s)) for s in (1, 1, 2))
    assert np.array_equal(a["paths_n"], b["paths_n"]) and not np.array_equal(a["paths_n"], c["paths_n"])
    assert not np.allclose(a["starts"], 1.0)


def test_record_every_keeps_the_last_iterate_and_diverged_runs_end_in_nan():
    out = _traj(loss="quadratic", condition=1.0, starts=[[1.0, 0.0]], steps=100, record_every=10,
                optimisers=[{"key": "g", "kind": "gd", "lr": 0.5}, {"key": "b", "kind": "gd", "lr": 3.0}])
    assert out["paths_g"].shape == (1, 11, 2) and out["step"][-1] == 100
    assert out["diverged_b"][0] == 1 and np.isnan(out["paths_b"][0, -1, 0])
    assert np.all(np.isfinite(out["final_b"]))


optimiser_kinds = st.sampled_from(["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lion",
                                   "sign", "polyak", "modified-flow", "newton", "saddle-free-newton", "steepest", "cg",
                                   "coordinate", "prox", "fista", "projected", "frank-wolfe", "sam"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loss=st.sampled_from(sorted(set(LOSSES) - {"gaussian-fit"})), kind=optimiser_kinds,
       lr=st.floats(1e-4, 10.0), steps=st.integers(1, 60), angle=st.floats(-180, 180),
       l1=st.floats(0, 3), noise=st.floats(0, 2), seed=st.integers(0, 5))
def test_any_valid_trajectory_runs_and_keeps_its_shapes(loss, kind, lr, steps, angle, l1, noise, seed):
    p = TrajectoryParams.model_validate({
        "loss": loss, "angle": angle, "l1": l1, "starts": [[0.5, 0.5], [-1.0, 2.0]], "steps": steps, "grid": 21,
        "optimisers": [{"key": "o", "kind": kind, "lr": lr, "grad_noise": noise}]})
    out = loss_trajectories(p, RNG(seed))
    assert out["paths_o"].shape == (2, steps + 1, 2)
    assert np.all(np.isfinite(out["paths_o"][:, 0]))
    assert np.all(np.isfinite(out["final_o"]))
    assert out["loss_grid"].shape == (21, 21)


@pytest.mark.parametrize("bad", [
    {"optimisers": [{"key": "a", "kind": "gd", "lr": 0.0}]},
    {"optimisers": [{"key": "a", "kind": "gd", "lr": 11.0}]},
    {"optimisers": [{"key": "a", "kind": "warp-drive", "lr": 0.1}]},
    {"optimisers": [{"key": "a", "kind": "gd", "lr": 0.1}, {"key": "a", "kind": "sam", "lr": 0.1}]},
    {"optimisers": [{"key": "a", "kind": "gd", "lr": 0.1}], "steps": 0},
    {"optimisers": [{"key": "a", "kind": "gd", "lr": 0.1}], "steps": 20000, "starts": [[0.0, 1.0]] * 30},
    {"optimisers": [{"key": "a", "kind": "gd", "lr": 0.1}], "extent": [1.0, 0.0, 0.0, 1.0]},
    {"optimisers": [{"key": "a", "kind": "gd", "lr": 0.1, "beta": 1.0}]},
    {"optimisers": [{"key": "A", "kind": "gd", "lr": 0.1}]},
])
def test_trajectories_refuse_bad_parameters(bad):
    with pytest.raises(ValidationError):
        TrajectoryParams.model_validate({"loss": "quadratic", "starts": [[1.0, 1.0]], **bad})


# -- optim-experiment --------------------------------------------------------------------------------


def _exp(**kw: object) -> dict:
    return optim_experiment(ExperimentParams.model_validate(kw), RNG(4))


def test_critical_batch_follows_the_hyperbola():
    out = _exp(experiment="critical-batch", width=16, noise=0.1)
    assert np.all(np.diff(out["steps"]) <= 0)
    assert np.max(out["fit_error"]) < 0.1
    assert out["b_noise"] > 0 and out["s_min"] > 0


def test_sgd_stationary_spread_matches_the_prediction():
    out = _exp(experiment="sgd-stationary", steps=2000, repeats=8, batch=4, lrs=[0.05, 0.2])
    assert np.all(np.abs(out["std_ratio"] - 1) < 0.1)
    assert out["density"].shape == out["predicted"].shape == (2, len(out["offset"]))


def test_init_variance_gain_two_is_level():
    out = _exp(experiment="init-variance", width=100, batch=16, depth=20, gains=[1.0, 2.0])
    slope = np.polyfit(out["layer"], np.log(out["variance_g100"]), 1)[0]
    assert slope == pytest.approx(math.log(0.5), abs=0.1)
    assert abs(np.polyfit(out["layer"], np.log(out["variance_g200"]), 1)[0]) < 0.1


def test_adam_counterexample_and_line_search_and_deep_linear():
    ce = _exp(experiment="adam-counterexample", steps=600, lr=0.5)
    assert ce["x_adam"][-1] > 0.9 and ce["x_amsgrad"][-1] < -0.9
    ls = _exp(experiment="line-search", lr=0.5, lr_max=0.004)
    assert ls["trial_phi"][-1] <= ls["trial_line"][-1]
    assert np.all(ls["trial_phi"][:-1] > ls["trial_line"][:-1])
    dl = _exp(experiment="deep-linear-modes", width=8, steps=800, lr=0.02, modes=[3.0, 1.0])
    assert dl["half_time"][0] < dl["half_time"][1]


def test_hessian_spectrum_is_symmetric_real_and_sorted():
    out = _exp(experiment="hessian-spectrum", width=4, batch=3, steps=100, lr=0.5)
    ev = out["eigenvalues"]
    assert ev.size == out["n_params"] == 2 * 4 + 4 + 4 * 3 + 3
    assert np.all(np.diff(ev) <= 0) and out["relative"][0] == 1.0


def test_linear_paths_start_and_end_where_the_nets_are():
    out = _exp(experiment="linear-paths", width=8, steps=300, lr=0.02)
    a = out["alpha"]
    assert out["init_loss"] == pytest.approx(out["from_init"][np.argmin(np.abs(a))])
    assert out["end_loss"] < out["init_loss"]
    # both lines pass through the first trained net: at alpha = 1 on the first, alpha = 0 on the second
    assert out["between"][np.argmin(np.abs(a))] == pytest.approx(out["from_init"][np.argmin(np.abs(a - 1))],
                                                                  rel=1e-9)


def test_jacobian_spectrum_orthogonal_linear_limit():
    out = _exp(experiment="jacobian-spectrum", width=32, depths=[2, 8])
    assert out["density"].shape == (4, len(out["log_sv"]))
    assert out["spread"][3] < out["spread"][1]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(width=st.integers(4, 40), lr=st.floats(1e-3, 1.0), steps=st.integers(10, 120))
def test_lr_range_test_runs_within_bounds(width, lr, steps):
    out = _exp(experiment="lr-range-test", width=width, steps=steps, lr_min=lr / 100, lr_max=lr * 100)
    assert out["lr"].shape == out["loss_smooth"].shape == (steps,)
    assert np.all(np.isfinite(out["loss_smooth"]))


@pytest.mark.parametrize("bad", [
    {"experiment": "nope"}, {"experiment": "init-variance", "width": 2}, {"experiment": "critical-batch", "noise": -1},
    {"experiment": "sgd-stationary", "lrs": []}, {"experiment": "jacobian-spectrum", "depths": [1] * 7},
])
def test_experiments_refuse_bad_parameters(bad):
    with pytest.raises(ValidationError):
        ExperimentParams.model_validate(bad)
