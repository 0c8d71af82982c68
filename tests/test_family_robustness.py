"""Engine properties of the robustness family's recipes (robust-curves, robust-plane, robust-matrix,
privacy-curves, robust-ridges, safety-grid): parameter bounds and the facts each engine rests on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.recipes.robust_matrix import RobustMatrixParams, robust_matrix
from teeprint.recipes.robust_plane import RobustPlaneParams, _svm, robust_plane
from teeprint.recipes.robust_privacy import (
    PrivacyParams,
    RobustRidgeParams,
    SafetyGridParams,
    privacy_curves,
    robust_ridges,
    safety_grid,
)
from teeprint.recipes.robustness import RobustCurveParams, robust_curves


@given(points=st.integers(-5, 500), eps=st.floats(-1.0, 8.0), share=st.floats(-0.5, 1.5))
@settings(max_examples=60, deadline=None)
def test_params_bounds(points: int, eps: float, share: float) -> None:
    ok_curve = 5 <= points <= 400
    ok_plane = 0.0 <= eps <= 5.0
    ok_matrix = 0.0 <= share <= 0.5
    for ok, build in ((ok_curve, lambda: RobustCurveParams(experiment="tsipras", points=points)),
                      (ok_plane, lambda: RobustPlaneParams(experiment="strategic", eps=eps)),
                      (ok_matrix, lambda: RobustMatrixParams(experiment="backdoor", share=share))):
        if ok:
            build()
        else:
            with pytest.raises(ValidationError):
                build()


def test_unknown_experiment_rejected() -> None:
    with pytest.raises(ValidationError):
        RobustCurveParams(experiment="no-such-thing")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SafetyGridParams(experiment="gaming", gamma=1.0)


def test_tsipras_is_exact() -> None:
    out = robust_curves(RobustCurveParams(experiment="tsipras", dim=100, points=11), np.random.default_rng(0))
    # clean accuracy Phi(eta sqrt d) = Phi(2); at eps = eta the averaging classifier is a coin toss
    assert out["clean_avg"] == pytest.approx(0.5 * (1 + math.erf(2 / math.sqrt(2))))
    mid = np.argmin(np.abs(out["eps_over_eta"] - 1.0))
    assert out["averaging"][mid] == pytest.approx(0.5, abs=1e-9)


def test_off_switch_gain_never_negative() -> None:
    out = robust_curves(RobustCurveParams(experiment="off-switch", values=(-2.0, -0.3, 0.0, 0.4, 3.0)),
                        np.random.default_rng(0))
    assert np.all(out["rows"] >= -1e-12)
    # the gain depends on mu only through |mu|
    a = robust_curves(RobustCurveParams(experiment="off-switch", values=(-1.0, 1.0)), np.random.default_rng(0))
    np.testing.assert_allclose(a["rows"][0], a["rows"][1], atol=1e-12)


def test_breakdown_median_survives_under_half() -> None:
    out = robust_curves(RobustCurveParams(experiment="breakdown", points=61, repeats=10), np.random.default_rng(1))
    assert out["median_breaks"] >= 0.5 > out["trimmed_breaks"] > out["mean_breaks"]


def test_seeded_and_deterministic() -> None:
    p = RobustPlaneParams(experiment="strategic", n=60, steps=50)
    a = robust_plane(p, np.random.default_rng(3))
    b = robust_plane(p, np.random.default_rng(3))
    c = robust_plane(p, np.random.default_rng(4))
    np.testing.assert_array_equal(a["points"], b["points"])
    assert not np.array_equal(a["points"], c["points"])


def test_strategic_shift_restores_honest_decisions() -> None:
    """Against the line moved by the budget, gamed accuracy equals the naive line's honest accuracy."""
    out = robust_plane(RobustPlaneParams(experiment="strategic", n=100, steps=200, budget=0.7),
                       np.random.default_rng(0))
    assert out["acc_aware"] == pytest.approx(out["clean_naive"])
    assert out["acc_naive"] <= out["clean_naive"]


def test_svm_separates_separable_data() -> None:
    x = np.array([[-2.0, 0.0], [-1.5, 1.0], [2.0, 0.0], [1.5, -1.0]])
    s = np.array([-1.0, -1.0, 1.0, 1.0])
    th = _svm(x, s)
    assert np.all(s * (x @ th[:2] + th[2]) > 0)


def test_smoothing_certificate_is_sound() -> None:
    out = robust_plane(RobustPlaneParams(experiment="smoothing", grid=20, samples=100), np.random.default_rng(0))
    assert out["violations"] == 0
    assert out["max_radius"] <= 0.5 * 3.1  # sigma * Phi^-1(1 - tiny) for 100 draws stays bounded


def test_fgsm_step_is_bounded() -> None:
    out = robust_matrix(RobustMatrixParams(experiment="fgsm", n=100, eps=0.15, steps=50), np.random.default_rng(0))
    assert out["linf"] <= 0.15 + 1e-12
    assert out["acc_fgsm"] <= out["acc_clean"]


def test_label_shift_weights_solve_the_system() -> None:
    out = robust_matrix(RobustMatrixParams(experiment="label-shift", n=500), np.random.default_rng(0))
    np.testing.assert_allclose(out["confusion"] @ out["weights"], out["naive"], atol=1e-9)
    assert out["bbse"].sum() == pytest.approx(1.0)


def test_laplace_ratio_bounded_by_eps() -> None:
    for eps in (0.1, 1.0, 3.0):
        out = privacy_curves(PrivacyParams(experiment="laplace", eps=eps, points=101), np.random.default_rng(0))
        assert out["max_log_ratio"] <= eps + 1e-9


def test_randomised_response_estimate_unbiased() -> None:
    out = privacy_curves(PrivacyParams(experiment="randomised-response", points=5, n=200, repeats=400),
                         np.random.default_rng(0))
    assert np.all(np.abs(out["bias"]) < 3 * out["sd_exact"] / math.sqrt(400))


def test_ridges_rows_are_densities() -> None:
    out = robust_ridges(RobustRidgeParams(experiment="parity", n=500, bins=20), np.random.default_rng(0))
    width = out["x"][1] - out["x"][0]
    np.testing.assert_allclose(out["density"].sum(1) * width, 1.0, atol=1e-9)


def test_gaming_agent_loops_and_intended_agent_arrives() -> None:
    out = safety_grid(SafetyGridParams(experiment="gaming", height=3, width=6), np.random.default_rng(0))
    assert out["reaches_goal_intended"] == 1
    assert out["reaches_goal_written"] == 0  # 1/(1 - 0.95^2) > 10 * 0.95^4


def test_power_is_between_reward_bounds() -> None:
    out = safety_grid(SafetyGridParams(experiment="power", samples=50), np.random.default_rng(0))
    # POWER is a normalised average of future uniform(0, 1) rewards: inside (0, 1)
    assert 0.0 < out["power_min"] <= out["power_max"] < 1.0


def test_interval_bounds_are_sound() -> None:
    out = robust_plane(RobustPlaneParams(experiment="interval-bounds", n=60, steps=100, grid=20, eps=0.3),
                       np.random.default_rng(0))
    assert out["unsound"] == 0
    assert out["share_ibp"] <= out["share_sampled"]


def test_debias_removes_the_component() -> None:
    out = robust_plane(RobustPlaneParams(experiment="debias"), np.random.default_rng(1))
    assert out["after_max"] < 1e-9
    assert out["direction_cosine"] > 0.9


def test_sisa_cost_matches_formula() -> None:
    out = robust_matrix(RobustMatrixParams(experiment="sisa", n=320, steps=20), np.random.default_rng(0))
    assert out["cost"][0, 0] == 1.0
    assert out["max_gap"] < 0.03


def test_gaussian_mechanism_delta_decreases() -> None:
    out = robust_ridges(RobustRidgeParams(experiment="gaussian-mechanism", sigmas=(0.5, 1.0, 2.0)),
                        np.random.default_rng(0))
    assert np.all(np.diff(out["delta"]) < 0) and np.all(out["delta"] > 0)


def test_gcg_never_ends_worse() -> None:
    out = robust_matrix(RobustMatrixParams(experiment="gcg", rounds=5), np.random.default_rng(0))
    assert out["p_after"] >= out["p_before"]
    assert out["after"].sum() == pytest.approx(1.0)
