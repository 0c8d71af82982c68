"""Engines of the evaluation family: ``eval-curves``, ``eval-formulas`` and ``eval-stats``.

The per-plate contract (renders, deterministic, claims hold) runs over the whole archive
elsewhere; here each engine is checked against an independent computation of what it claims
to compute (a brute-force count where the recipe uses a rank formula, ``math.comb`` where it
uses a product, a direct refit where it uses a shortcut) and over its parameter bounds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint import recipes
from teeprint.errors import TeeprintError
from teeprint.recipes import validate_params
from teeprint.recipes.eval_stats import EvalStatsParams, _ari_of, eval_stats
from teeprint.recipes.evaluation import (
    EvalCurveParams,
    EvalFormulaParams,
    _auc,
    eval_curves,
    eval_formulas,
)

FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _curves(**kw: object) -> dict[str, Any]:
    return eval_curves(EvalCurveParams.model_validate(kw), np.random.default_rng(3))


def _formula(**kw: object) -> dict[str, Any]:
    return eval_formulas(EvalFormulaParams.model_validate(kw), np.random.default_rng(0))


def _stats(**kw: object) -> dict[str, Any]:
    return eval_stats(EvalStatsParams.model_validate(kw), np.random.default_rng(5))


@pytest.mark.parametrize(("name", "bad"), [
    ("eval-curves", {"kind": "roc", "n": 10}),
    ("eval-curves", {"kind": "roc", "prevalence": 1.5}),
    ("eval-curves", {"kind": "roc", "separations": []}),
    ("eval-curves", {"kind": "nonsense"}),
    ("eval-formulas", {"formula": "power", "alpha": 0.9}),
    ("eval-formulas", {"formula": "frechet-plane", "dim": 1000}),
    ("eval-stats", {"experiment": "holdout", "draws": 10**7}),
    ("eval-stats", {"experiment": "bh", "q": 1.0}),
    ("eval-stats", {"experiment": "leakage", "candidates": [10]}),
])
def test_absurd_parameters_are_rejected(name: str, bad: dict[str, Any]) -> None:
    with pytest.raises(TeeprintError):
        validate_params(recipes.get(name).params, bad, "x")


@FAST
@given(st.lists(st.floats(-3.0, 3.0), min_size=5, max_size=40), st.lists(st.floats(-3.0, 3.0), min_size=5, max_size=40))
def test_auc_is_the_share_of_correctly_ordered_pairs(pos: list[float], neg: list[float]) -> None:
    s = np.array(pos + neg)
    y = np.array([True] * len(pos) + [False] * len(neg))
    brute = np.mean([(a > b) + 0.5 * (a == b) for a in pos for b in neg])
    assert _auc(s, y) == pytest.approx(brute, abs=1e-12)


@FAST
@given(st.floats(0.0, 4.0), st.floats(0.5, 2.0))
def test_roc_curves_rise_from_corner_to_corner(d: float, sd: float) -> None:
    out = _curves(kind="roc", n=2000, separations=(d,), pos_sd=sd)
    tpr = out["tpr_0"]
    assert np.all(np.diff(tpr) >= -1e-12)
    assert tpr[-1] == pytest.approx(1.0)
    assert 0.0 <= out["auc"][0] <= 1.0


def test_det_lines_have_slope_minus_one_over_sd() -> None:
    out = _curves(kind="det", n=40000, separations=(1.5, 1.5), pos_sds=(1.0, 2.0))
    assert out["det_slope"] == pytest.approx([-1.0, -0.5], abs=0.05)


def test_cost_envelope_is_the_lower_envelope_of_all_thresholds() -> None:
    out = _curves(kind="cost", n=3000)
    assert np.all(out["envelope"] <= out["rows"].min(0) + 1e-12)
    assert np.all(out["envelope"] <= out["trivial"] + 1e-12)


def test_temperature_scaling_recovers_a_known_factor() -> None:
    out = _curves(kind="reliability", n=40000, overconfidence=2.0)
    assert out["temperature"] == pytest.approx(2.0, abs=0.15)
    assert out["accuracy_before"] == out["accuracy_after"]


def test_brier_partition_is_exact() -> None:
    out = _curves(kind="brier-decomposition", n=3000)
    assert out["identity_gap"] < 1e-12


@FAST
@given(st.integers(2, 60), st.integers(0, 60))
def test_pass_at_k_matches_the_binomial_coefficients(n: int, c: int) -> None:
    c = min(c, n)
    out = _formula(formula="pass-at-k", samples=n, correct=(c,))
    for k in (1, max(1, n // 2), n):
        exact = 1 - math.comb(n - c, k) / math.comb(n, k)
        assert out["rows"][0][k - 1] == pytest.approx(exact, abs=1e-12)


def test_power_at_zero_effect_is_the_level() -> None:
    out = _formula(formula="power", effects=(0.0, 0.5), n_max=100)
    assert np.allclose(out["rows"][0], 0.05)
    assert math.ceil(out["n80"][1] - 1e-9) in (63, 64)


def test_wilson_and_wald_coverage_are_probabilities() -> None:
    out = _formula(formula="binomial-coverage", trials=20, points=101)
    for key in ("wald", "wilson"):
        assert np.all((out[key] >= 0) & (out[key] <= 1 + 1e-12))


def test_frechet_closed_form_matches_the_matrix_square_root() -> None:
    out = _formula(formula="frechet-plane", dim=5, grid=21)
    assert np.all(np.abs(out["check_gap"]) < 1e-9)


def test_f_score_plane_is_symmetric_for_f1() -> None:
    out = _formula(formula="f-score-plane", grid=31)
    assert np.allclose(out["f1"], out["f1"].T)


def test_press_shortcut_equals_refitting() -> None:
    out = _stats(experiment="press", n=20)
    assert out["max_gap"] < 1e-10


def test_ari_of_identical_and_relabelled_partitions_is_one() -> None:
    a = np.repeat(np.arange(4), 10)
    assert _ari_of(a, a)[0] == pytest.approx(1.0)
    assert _ari_of(a, (a + 1) % 4)[0] == pytest.approx(1.0)


def test_kappa_tables_share_their_margins() -> None:
    out = _stats(experiment="kappa", n=200)
    assert np.allclose(out["observed"].sum(0), out["chance"].sum(0))
    assert np.allclose(out["observed"].sum(1), out["chance"].sum(1))


@pytest.mark.parametrize("experiment", [
    "holdout", "bootstrap", "cv-one-se", "press", "leakage", "nested", "peeking", "bh", "mcnemar",
    "conformal", "minhash", "pit", "simpson", "berkson", "elo", "confusion", "kappa",
    "confident-learning", "ari", "silhouette", "cv-variance", "goodhart",
])
def test_every_experiment_runs_small_and_repeats_exactly(experiment: str) -> None:
    small: dict[str, object] = {"n": 60, "repeats": 3, "draws": 200, "resamples": 200, "features": 40, "m": 50,
             "signals": 5, "matches": 200, "pairs": 10, "candidates": (1, 2, 4)}
    if experiment == "leakage":
        small["candidates"] = (10, 20)
    params = EvalStatsParams.model_validate({"experiment": experiment, **small})
    a = eval_stats(params, np.random.default_rng(9))
    b = eval_stats(params, np.random.default_rng(9))
    assert a.keys() == b.keys()
    for key in a:
        va, vb = np.asarray(a[key]), np.asarray(b[key])
        if va.dtype.kind in "fc":
            assert np.array_equal(va, vb, equal_nan=True), key
