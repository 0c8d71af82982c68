"""Engine properties of the reinforcement family's recipes: rl-curves (reinforcement.py), rl-tables (rl_tables.py),
rl-grid (rl_control.py) and rl-plane (rl_plane.py), the PPO closed forms, and the gridworld tie rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.recipes import closed_forms, gridworlds
from teeprint.recipes.reinforcement import RLCurveParams, rl_curves
from teeprint.recipes.rl_control import RLGridParams, rl_grid
from teeprint.recipes.rl_plane import RLPlaneParams, rl_plane
from teeprint.recipes.rl_tables import RLTableParams, rl_tables


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --- rl-curves -------------------------------------------------------------------------------


@given(episodes=st.integers(-10, 3000), runs=st.integers(-10, 3000), alpha=st.floats(-1.0, 3.0))
@settings(max_examples=60, deadline=None)
def test_params_bounds(episodes: int, runs: int, alpha: float) -> None:
    ok = 5 <= episodes <= 2000 and 5 <= runs <= 2000 and 0.0 < alpha <= 1.0
    if ok:
        RLCurveParams(episodes=episodes, runs=runs, alpha_td=alpha, alpha_mc=alpha)
    else:
        with pytest.raises(ValidationError):
            RLCurveParams(episodes=episodes, runs=runs, alpha_td=alpha, alpha_mc=alpha)


def test_random_walk_shapes_and_start() -> None:
    p = RLCurveParams(episodes=20, runs=10, alpha_td=0.1, alpha_mc=0.02)
    out = rl_curves(p, _rng())
    assert out["td_rms"].shape == out["mc_rms"].shape == (21,)
    np.testing.assert_allclose(out["truth"], np.arange(1, 6) / 6)
    start = np.sqrt(np.mean((out["truth"] - 0.5) ** 2))
    assert out["td_rms"][0] == pytest.approx(start) and out["mc_rms"][0] == pytest.approx(start)
    assert np.all(out["td_lo"] <= out["td_hi"])


def test_random_walk_deterministic_and_seeded() -> None:
    p = RLCurveParams(episodes=15, runs=8, alpha_td=0.1, alpha_mc=0.02)
    a = rl_curves(p, _rng(3))
    b = rl_curves(p, _rng(3))
    c = rl_curves(p, _rng(4))
    np.testing.assert_array_equal(a["td_rms"], b["td_rms"])
    assert not np.array_equal(a["td_rms"], c["td_rms"])


def test_alpha_one_mc_copies_last_outcome() -> None:
    """With alpha = 1 every visited state of constant-alpha MC holds the last walk's outcome."""
    out = rl_curves(RLCurveParams(episodes=5, runs=5, alpha_td=0.1, alpha_mc=1.0), _rng())
    assert np.all(np.isfinite(out["mc_rms"]))
    assert out["mc_rms"][-1] >= np.sqrt(0.25 / 5) - 1e-12


def test_td_lambda_truth_and_shape() -> None:
    p = RLCurveParams(experiment="td-lambda", episodes=5, runs=5, alphas=(0.1, 0.3), lambdas=(0.0, 0.5))
    out = rl_curves(p, _rng())
    assert out["rms"].shape == (2, 2)
    np.testing.assert_allclose(out["truth"], np.arange(-18, 19, 2) / 20)
    assert np.all(np.isfinite(out["rms"])) and np.all(out["rms"] > 0)


def test_max_bias_shares_are_percentages() -> None:
    p = RLCurveParams(experiment="max-bias", episodes=20, runs=50, actions=5)
    out = rl_curves(p, _rng())
    for key in ("q_left", "dq_left"):
        assert np.all((out[key] >= 0) & (out[key] <= 100))
    assert out["optimal_left"] == pytest.approx(5.0)


def test_baird_diverges_from_zero_truth() -> None:
    p = RLCurveParams(experiment="baird", episodes=300, runs=5, alphas=(0.01,), gamma=0.99)
    out = rl_curves(p, _rng())
    assert out["w"].shape == (8, 301)
    assert out["w_final"] > out["w_start"]


def test_testbed_optimism_needs_one_init_per_epsilon() -> None:
    p = RLCurveParams(experiment="testbed", episodes=10, runs=5, epsilons=(0.0, 0.1), inits=(5.0,))
    with pytest.raises(ValueError, match="initial estimate"):
        rl_curves(p, _rng())


def test_gradient_bandit_policies_are_distributions() -> None:
    p = RLCurveParams(experiment="gradient-bandit", episodes=50, runs=10, offset=4.0)
    out = rl_curves(p, _rng())
    np.testing.assert_allclose(out["after"].sum(1), 1.0)
    np.testing.assert_allclose(out["base"], 0.1)
    assert out["vocab"][0] == "best"


# --- rl-tables -------------------------------------------------------------------------------


@given(gamma=st.floats(-0.5, 1.5), horizon=st.integers(-5, 500))
@settings(max_examples=40, deadline=None)
def test_table_params_bounds(gamma: float, horizon: int) -> None:
    ok = 0.0 <= gamma <= 0.999 and 1 <= horizon <= 400
    if ok:
        RLTableParams(gamma=gamma, horizon=horizon)
    else:
        with pytest.raises(ValidationError):
            RLTableParams(gamma=gamma, horizon=horizon)


def test_gittins_index_exceeds_mean_and_orders() -> None:
    out = rl_tables(RLTableParams(experiment="gittins", size=4, gamma=0.9, horizon=60), _rng())
    assert np.all(out["bonus"] > 0)
    assert np.all(np.diff(out["index"], axis=0) > 0) and np.all(np.diff(out["index"], axis=1) < 0)


def test_gae_weights_closed_form() -> None:
    out = rl_tables(RLTableParams(experiment="gae", gamma=0.9, horizon=5, lambdas=(0.0, 1.0)), _rng())
    np.testing.assert_allclose(out["weights"][0], [1, 0, 0, 0, 0])
    np.testing.assert_allclose(out["weights"][1], 0.9 ** np.arange(5))


def test_c51_projection_keeps_means() -> None:
    out = rl_tables(RLTableParams(experiment="c51", size=4, atoms=51, gamma=0.9, iterations=10), _rng())
    np.testing.assert_allclose(out["mean_learned"], out["mean_true"], atol=1e-9)
    np.testing.assert_allclose(out["density"].sum(1), 1.0)


def test_mdp_bellman_residual_and_policy() -> None:
    out = rl_tables(RLTableParams(experiment="mdp", means=(0.8, 0.4, 2.0, 1.0), gamma=0.9), _rng())
    assert out["residual"] < 1e-9
    assert out["best_high"] == 0 and out["best_low"] == 2


def test_mcts_needs_six_leaves_and_finds_minimax() -> None:
    with pytest.raises(ValueError, match="six"):
        rl_tables(RLTableParams(experiment="mcts", means=(0.5, 0.5)), _rng())
    out = rl_tables(RLTableParams(experiment="mcts", means=(0.95, 0.3, 0.6, 0.55, 0.4, 0.45), runs=5,
                                  iterations=400), _rng())
    assert out["minimax_move"] == 1
    np.testing.assert_allclose(out["root_share"].sum(), 1.0)


def test_tiger_value_convex_and_symmetric() -> None:
    out = rl_tables(RLTableParams(experiment="tiger", horizon=3, gamma=0.95), _rng())
    assert np.all(np.diff(out["value"], 2) > -1e-9)
    np.testing.assert_allclose(out["value"], out["value"][::-1], atol=1e-9)


def test_blackjack_values_within_bounds() -> None:
    out = rl_tables(RLTableParams(experiment="blackjack", iterations=5), _rng())
    assert out["value"].shape == (2, 10, 10)
    assert np.all(np.abs(out["value"]) <= 1)


def test_thompson_densities_scaled_per_round() -> None:
    out = rl_tables(RLTableParams(experiment="thompson", snapshots=(5, 50), runs=5), _rng())
    tops = np.maximum(np.maximum(out["density"].max(1), out["arm_0"].max(1)), out["arm_1"].max(1))
    np.testing.assert_allclose(tops, 1.0)


# --- rl-grid ---------------------------------------------------------------------------------


@given(gamma=st.floats(-0.5, 1.5))
@settings(max_examples=40, deadline=None)
def test_grid_gamma_bounds(gamma: float) -> None:
    for method, top in (("discount", 0.999), ("td-control", 1.0)):
        if 0.0 <= gamma <= top:
            RLGridParams(method=method, gammas=(gamma,))
        else:
            with pytest.raises(ValidationError):
                RLGridParams(method=method, gammas=(gamma,))


def test_policy_evaluation_matches_sutton_barto() -> None:
    p = RLGridParams(layout="open", height=4, width=4, method="evaluation", gammas=(1.0,),
                     goals=((0, 0, 0.0), (3, 3, 0.0)), step_reward=-1.0, snapshots=(1, 500))
    out = rl_grid(p, _rng())
    np.testing.assert_allclose(out["value"][1][0], [0, -14, -20, -22], atol=1e-6)
    assert out["policy"][1][0, 0] == 4  # terminal: no move


def test_successor_rows_sum_to_horizon() -> None:
    out = rl_grid(RLGridParams(method="successor", gammas=(0.9,), sources=((0, 0), (8, 8))), _rng())
    np.testing.assert_allclose(out["row_sum"], 10.0)


def test_soft_values_dominate_hard() -> None:
    out = rl_grid(RLGridParams(method="soft", gammas=(0.9,), temperatures=(0.1, 0.5)), _rng())
    assert np.all(out["soft_gap"] >= -1e-9)
    assert out["mean_entropy"][1] > out["mean_entropy"][0]


def test_options_reach_the_same_limit_faster() -> None:
    out = rl_grid(RLGridParams(method="options", goal=(2, 5), gammas=(0.9,), sweeps=3), _rng())
    assert out["options_limit_gap"] < 1e-9 and out["primitive_limit_gap"] < 1e-9
    assert out["sweeps_options"] < out["sweeps_primitive"]


def test_shaping_keeps_the_optimal_policy() -> None:
    out = rl_grid(RLGridParams(method="shaping", gammas=(0.95,), episodes=2, runs=2), _rng())
    assert out["same_policy"] == 1


def test_td_control_on_the_cliff_runs_and_is_seeded() -> None:
    p = RLGridParams(layout="cliff", method="td-control", gammas=(1.0,), episodes=5, runs=2)
    a, b = rl_grid(p, _rng(1)), rl_grid(p, _rng(1))
    np.testing.assert_array_equal(a["q_return"], b["q_return"])
    assert a["optimal_len"] == 13 and a["value"].shape == (2, 4, 12)


def test_ties_draw_no_arrow() -> None:
    """An open grid whose best moves tie everywhere off the edges: those cells get code 4."""
    p = RLGridParams(layout="open", height=5, width=5, method="discount", gammas=(0.9,), step_reward=0.0)
    out = rl_grid(p, _rng())
    pol, path = out["policy"][0], out["path"][0]
    assert np.any((pol == 4) & (path < 0.5))
    route = path > 0.5
    route[0, 4] = False  # the goal
    assert np.all(pol[route] < 4)  # the drawn route keeps its arrows


def test_gridworld_value_iteration_ties_have_no_arrow() -> None:
    p = gridworlds.GridParams(layout="open", height=5, width=5, solver="value-iteration", gamma=0.9,
                              slip=0.0, sweeps=(50,))
    out = gridworlds.gridworld(p, _rng())
    pol, path = out["policy"][0], out["path"]
    assert np.any((pol == 4) & (path < 0.5))
    assert path[4, 0] == 1 and path[0, 4] == 1


# --- rl-plane --------------------------------------------------------------------------------


def test_lqr_solves_riccati_and_stabilises() -> None:
    out = rl_plane(RLPlaneParams(experiment="lqr", steps=40, extent=(-3, 3, -3, 3)), _rng())
    assert out["riccati_residual"] < 1e-9 and out["rho_closed"] < 1 < out["rho_open"]


def test_trust_region_steps_stay_inside() -> None:
    out = rl_plane(RLPlaneParams(experiment="trust-region", start=(0.0, 0.0), steps=5, delta=0.2), _rng())
    assert np.all(out["kl_steps"] <= 0.2 + 1e-12) and np.all(np.diff(out["j_trpo"]) > 0)


def test_replicator_conserves_product() -> None:
    out = rl_plane(RLPlaneParams(experiment="replicator", starts=((0.5, 0.3),), steps=100, dt=0.05,
                                 extent=(0.0, 1.0, 0.0, 0.9)), _rng())
    assert out["drift"] < 1e-4


def test_natural_gradient_beats_plain_on_plateau() -> None:
    out = rl_plane(RLPlaneParams(experiment="softmax-pg", start=(-1.0, 3.0), lr=1.0, steps=20,
                                 extent=(-3, 7, -3, 7)), _rng())
    assert out["j_natural"][-1] > out["j_vanilla"][-1]


def test_ou_noise_is_seeded_and_correlated() -> None:
    p = RLPlaneParams(experiment="ou-noise", steps=200, extent=(-2, 2, -2, 2), grid=21)
    a, b = rl_plane(p, _rng(2)), rl_plane(p, _rng(3))
    assert not np.array_equal(a["path_ou"], b["path_ou"])
    assert a["lag1_ou"] > 0.8 and abs(a["lag1_white"]) < 0.1


# --- PPO closed forms ------------------------------------------------------------------------


def test_ppo_clip_is_a_pessimistic_bound() -> None:
    x = np.linspace(0, 2, 201)
    for adv in (1.0, -1.0):
        clip = closed_forms.FUNCTIONS["ppo-clip"].func(x, adv=adv, eps=0.2)
        surr = closed_forms.FUNCTIONS["ppo-surrogate"].func(x, adv=adv)
        assert np.all(clip <= surr + 1e-12)
