"""The learning-theory family's engines: parameter bounds (hypothesis and one-line errors), and
the properties the ``sweep`` and ``dynamics`` engines and the bespoke recipes must have whatever
their parameters (exact counts, exact laws, conservation of learnability).  Per-plate claims
live in the design files and are checked by ``teeprint verify``; nothing here repeats them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint import recipes
from teeprint.errors import TeeprintError
from teeprint.recipes import rng_for, validate_params
from teeprint.recipes.generalisation import kolmogorov_cdf, marchenko_pastur_density, sine_frequency
from teeprint.recipes.sweeps import EXPERIMENTS as SWEEPS
from teeprint.recipes.training import EXPERIMENTS as DYNAMICS
from teeprint.recipes.training import max_margin_direction

FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(name: str, params: dict, seed: int = 0) -> dict:
    info = recipes.get(name)
    p = validate_params(info.params, params, "test")
    return info.func(p, rng_for(seed, name))


# -- parameter bounds ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, params, key", [
    ("sweep", {"experiment": "nope"}, "experiment"),
    ("sweep", {"experiment": "hoeffding", "trials": 5}, "trials"),
    ("sweep", {"experiment": "hoeffding", "repeats": 0}, "repeats"),
    ("sweep", {"experiment": "ridge-samples", "dim": 10**6}, "dim"),
    ("sweep", {"experiment": "pac-thresholds", "epsilon": 1.5}, "epsilon"),
    ("sweep", {"experiment": "hoeffding", "knob": list(range(100))}, "knob"),
    ("dynamics", {"experiment": "deep-linear", "lr": 0.0}, "lr"),
    ("dynamics", {"experiment": "deep-linear", "steps": 10**7}, "steps"),
    ("dynamics", {"experiment": "max-margin", "n": 1}, "n"),
    ("double-descent", {"n_train": 5}, "n_train"),
    ("marchenko-pastur", {"n": 10}, "n"),
    ("wide-net-outputs", {"nets": 10}, "nets"),
    ("no-free-lunch", {"bits": 6}, "bits"),
    ("universal-approximation", {"steepness": 0.5}, "steepness"),
    ("eigenlearning", {"draws": 0}, "draws"),
    ("representer", {"ridge": 100.0}, "ridge"),
    ("uniform-deviation", {"trials": 1}, "trials"),
    ("sine-shattering", {"points": 12}, "points"),
])
def test_out_of_bounds_params_are_one_line_errors(name, params, key):
    info = recipes.get(name)
    with pytest.raises(TeeprintError, match=key) as err:
        validate_params(info.params, params, "designs/t.toml [recipe.params]")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name, params", [
    ("sweep", {"experiment": "cover-capacity", "noise": 0.1}),  # a setting the experiment does not read
    ("dynamics", {"experiment": "max-margin", "width": 8}),
    ("sweep", {"experiment": "binary-perceptron", "dim": 12}),  # even: ties in sign
    ("dynamics", {"experiment": "min-norm", "n": 50, "dim": 20}),  # not underdetermined
    ("marchenko-pastur", {"ratios": [1.5]}),
    ("no-free-lunch", {"bits": 2, "train": 4}),
])
def test_settings_an_experiment_cannot_use_are_rejected(name, params):
    with pytest.raises(ValueError):
        _run(name, params)


def test_every_experiment_names_only_real_settings():
    fields = set(recipes.get("sweep").params.model_fields)
    for exp in SWEEPS.values():
        assert exp.reads <= fields
    fields = set(recipes.get("dynamics").params.model_fields)
    for _, reads in DYNAMICS.values():
        assert reads <= fields


# -- the sweep engine -----------------------------------------------------------------------------


@FAST
@given(repeats=st.integers(1, 4), seed=st.integers(0, 10**6))
def test_sweep_shapes_runs_and_rows(repeats, seed):
    out = _run("sweep", {"experiment": "hoeffding", "repeats": repeats, "trials": 200,
                         "knob": [10, 20, 40]}, seed)
    assert out["deviation"].shape == (2, 3) and out["series_values"].shape == (2,)
    np.testing.assert_array_equal(out["deviation_1"], out["deviation"][1])
    assert ("deviation_runs" in out) == (repeats > 1)
    if repeats > 1:
        assert out["deviation_runs"].shape == (repeats, 2, 3)
        np.testing.assert_allclose(np.median(out["deviation_runs"], axis=0), out["deviation"])


def test_sweep_is_deterministic_and_exact_experiments_ignore_repeats():
    a = _run("sweep", {"experiment": "mdl-polynomial", "n": 30, "repeats": 3}, 4)
    b = _run("sweep", {"experiment": "mdl-polynomial", "n": 30, "repeats": 3}, 4)
    np.testing.assert_array_equal(a["total_bits"], b["total_bits"])
    exact = _run("sweep", {"experiment": "cover-capacity", "repeats": 5})
    assert "separable_runs" not in exact


@FAST
@given(n_dim=st.sampled_from([5.0, 20.0, 40.0]), ratio=st.floats(0.05, 4.0))
def test_cover_capacity_is_exact(n_dim, ratio):
    point = SWEEPS["cover-capacity"].point
    value = point(ratio, n_dim, None, None)["separable"]  # type: ignore[arg-type]
    pp, n = int(round(ratio * n_dim)), int(n_dim)
    exact = sum(math.comb(pp - 1, k) for k in range(n)) / 2 ** (pp - 1) if pp > n else 1.0
    assert value == pytest.approx(min(1.0, exact), rel=1e-9, abs=1e-12)
    if pp == 2 * n:
        assert value == pytest.approx(0.5)


@FAST
@given(seed=st.integers(0, 10**6))
def test_halfplane_growth_is_the_general_position_count(seed):
    out = _run("sweep", {"experiment": "halfplane-growth", "knob": [1, 2, 3, 4, 5, 6, 7]}, seed)
    n = out["knob"]
    np.testing.assert_array_equal(out["dichotomies"], n**2 - n + 2)
    assert out["vc_dimension"] == 3


def test_free_energy_learning_coefficients():
    out = _run("sweep", {"experiment": "free-energy"})
    assert out["lambda_regular"] == pytest.approx(1.0, abs=1e-3)
    assert out["lambda_singular"] == pytest.approx(0.5, abs=0.03)


def test_information_bottleneck_obeys_data_processing():
    out = _run("sweep", {"experiment": "information-bottleneck", "dim": 6, "repeats": 1,
                         "knob": [0.5, 5.0, 50.0]})
    assert np.all(out["I_ty"] <= out["I_xt"] + 1e-9) and np.all(out["I_ty"] <= out["ceiling"] + 1e-9)


@FAST
@given(seed=st.integers(0, 10**6), dim=st.sampled_from([5, 7, 9]))
def test_binary_perceptron_teacher_is_always_consistent(seed, dim):
    out = _run("sweep", {"experiment": "binary-perceptron", "dim": dim, "repeats": 1,
                         "knob": [0.4, 3.0]}, seed)
    assert np.all(out["version_space"] >= 1)  # the teacher fits its own labels
    assert np.all(out["gibbs_error"] >= 0) and out["gibbs_error"][-1] <= out["gibbs_error"][0]


# -- the dynamics engine --------------------------------------------------------------------------


def test_dynamics_shapes_and_rows():
    out = _run("dynamics", {"experiment": "deep-linear", "steps": 200, "repeats": 2, "evaluations": 12,
                            "strengths": [2.0, 1.0]})
    t = out["step"].size
    assert out["mode"].shape == (2, t) and out["mode_runs"].shape == (2, 2, t)
    np.testing.assert_array_equal(out["mode_1"], out["mode"][1])
    assert out["step"][-1] == 200


@FAST
@given(seed=st.integers(0, 10**6))
def test_gradient_descent_from_zero_finds_the_minimum_norm_solution(seed):
    out = _run("dynamics", {"experiment": "min-norm", "steps": 3000, "lr": 0.5, "n": 10, "dim": 40,
                            "repeats": 1}, seed)
    assert out["gap_zero"][-1] < 1e-6 * out["min_norm"]
    assert out["gap_random"][-1] == pytest.approx(out["null_part"], rel=1e-4)


@FAST
@given(seed=st.integers(0, 10**6))
def test_max_margin_direction_beats_every_other_direction(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(12, 2)) * [0.5, 1.0] + [2.0, 0.0]
    z = z[z[:, 0] > 0.2]
    w, margin = max_margin_direction(z)
    assert np.linalg.norm(w) == pytest.approx(1.0)
    th = np.linspace(0, 2 * np.pi, 20001)
    dirs = np.stack([np.cos(th), np.sin(th)])
    assert margin >= np.max(np.min(z @ dirs, axis=0)) - 1e-9
    assert np.min(z @ w) == pytest.approx(margin)


# -- bespoke recipes ------------------------------------------------------------------------------


@FAST
@given(ratio=st.floats(0.02, 1.0))
def test_marchenko_pastur_density_integrates_to_one(ratio):
    x = np.linspace(0.0, (1 + math.sqrt(ratio)) ** 2 + 0.1, 400001)
    mass = np.trapezoid(marchenko_pastur_density(x, ratio), x) if hasattr(np, "trapezoid") else \
        np.trapz(marchenko_pastur_density(x, ratio), x)
    assert mass == pytest.approx(1.0, abs=0.01)


def test_kolmogorov_law_is_a_distribution_with_its_known_median():
    x = np.linspace(0.05, 3.0, 3000)
    cdf = kolmogorov_cdf(x)
    assert np.all(np.diff(cdf) >= -1e-12) and cdf[0] < 1e-6 and cdf[-1] > 1 - 1e-6
    assert float(np.interp(0.5, cdf, x)) == pytest.approx(0.8276, abs=2e-4)
    both = kolmogorov_cdf(np.array([0.9999, 1.0001]))  # the two series meet at x = 1
    assert abs(both[1] - both[0]) < 1e-3


@FAST
@given(labels=st.lists(st.sampled_from([-1, 1]), min_size=1, max_size=8))
def test_sine_frequency_realises_any_labelling(labels):
    y = np.asarray(labels, float)
    x = 10.0 ** -np.arange(1, y.size + 1)
    np.testing.assert_array_equal(np.sign(np.sin(sine_frequency(y) * x)), y)


@FAST
@given(seed=st.integers(0, 10**6), decay=st.floats(0.5, 3.0))
def test_learnability_sums_to_the_sample_count(seed, decay):
    out = _run("eigenlearning", {"features": 60, "decay": decay, "samples": [5, 20], "draws": 2}, seed)
    np.testing.assert_allclose(out["worst_draw_budget"], [5, 20], rtol=1e-9)
    assert np.all((out["learnability"] >= -1e-12) & (out["learnability"] <= 1 + 1e-12))


def test_no_free_lunch_every_learner_averages_one_half():
    out = _run("no-free-lunch", {"bits": 3, "train": 4})
    np.testing.assert_allclose(out["mean_accuracy"], 0.5)
    assert np.all(out["counts"] == out["binomial_counts"])


def test_representer_fit_is_the_sum_of_its_kernels():
    out = _run("representer", {"n": 6})
    np.testing.assert_allclose(out["parts"].sum(axis=0), out["fit"])
    assert out["stationarity"] < 1e-9


def test_universal_approximation_error_falls_with_units():
    out = _run("universal-approximation", {"units": [4, 16, 64], "shown": [4]})
    assert np.all(np.diff(out["sup_error"]) < 0)
