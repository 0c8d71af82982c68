"""The probabilistic family's engines: parameter bounds (hypothesis), and the properties each
engine must have whatever its parameters (exact conditionals, detailed balance in the limit,
exact enumeration, monotone EM, message passing equal to brute force).  Per-plate claims live in
the design files and are checked by ``teeprint verify``; nothing here repeats them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint import recipes
from teeprint.errors import TeeprintError
from teeprint.recipes import rng_for, validate_params

FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(name: str, params: dict, seed: int = 0) -> dict:
    info = recipes.get(name)
    p = validate_params(info.params, params, "test")
    return info.func(p, rng_for(seed, name))


# -- parameter bounds ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, params, key", [
    ("sampler", {"density": "gauss", "rho": 1.0, "runs": [{"key": "a", "method": "rwmh"}]}, "rho"),
    ("sampler", {"runs": [{"key": "a", "method": "rwmh", "step": 0.0}]}, "step"),
    ("sampler", {"runs": [{"key": "a", "method": "gibbs"}]}, "gauss"),
    ("sampler", {"runs": [{"key": "a", "method": "sgld"}]}, "mixture-posterior"),
    ("sampler", {"runs": [{"key": "a", "method": "rwmh"}, {"key": "a", "method": "hmc"}]}, "unique"),
    ("sampler", {"runs": [{"key": "a", "method": "rwmh", "steps": 10, "burn": 10}]}, "burn"),
    ("sampler", {"runs": []}, "runs"),
    ("ridges", {"experiment": "clt", "x_min": 1.0, "x_max": 0.0}, "x_max"),
    ("ridges", {"experiment": "beta-bernoulli", "p_true": 1.5}, "p_true"),
    ("ridges", {"experiment": "nope"}, "experiment"),
    ("bandit", {"env": "bernoulli", "policies": [{"key": "a", "policy": "gp-ei"}]}, "forrester"),
    ("bandit", {"env": "forrester", "policies": [{"key": "a", "policy": "ucb1"}]}, "bernoulli"),
    ("bandit", {"means": [0.5, 1.5], "policies": [{"key": "a", "policy": "ucb1"}]}, "0..1"),
    ("prob-graph", {"experiment": "casino-hmm", "rolls": [1, 7]}, "faces"),
    ("prob-graph", {"experiment": "tree-bp", "couplings": [1.0]}, "coupling"),
    ("prob-graph", {"experiment": "sprinkler", "p_wet": [0.0, 0.9, 0.9, 1.5]}, "0..1"),
    ("prob-curves", {"functions": ["gauss-mi"], "x_min": 0.5, "x_max": 0.1}, "x_min"),
    ("prob-curves", {"functions": ["binary-entropy"], "x_min": 0.0, "log_x": True}, "log"),
    ("bayes-band", {"experiment": "bayes-linear", "gap": [0.6, 0.4]}, "gap"),
    ("prob-sweep", {"experiment": "rwm-scaling", "scales": [1.0]}, "3 scales"),
    ("prob-sweep", {"experiment": "autocorrelation", "scales": [-1.0]}, "positive"),
    ("kl-plane", {"sigma_min": 0.0}, "sigma_min"),
    ("em-gmm", {"k": 1}, "k"),
    ("ising", {"temperatures": [0.0]}, "temperatures"),
    ("ising", {"sweeps": 10, "measure": 20}, "measure"),
])
def test_out_of_bounds_params_are_one_line_errors(name, params, key):
    info = recipes.get(name)
    with pytest.raises(TeeprintError) as err:
        validate_params(info.params, params, "designs/x.toml [recipe.params]")
    assert "\n" not in str(err.value)
    assert key in str(err.value)


@FAST
@given(rho=st.floats(-0.99, 0.99), step=st.floats(0.05, 3.0), seed=st.integers(0, 10**6))
def test_sampler_accepts_its_whole_range(rho, step, seed):
    runs = [{"key": m, "method": m, "step": step, "steps": 30, "chains": 3} for m in ("rwmh", "mala", "ula")]
    runs.append({"key": "gibbs", "method": "gibbs", "steps": 30})
    out = _run("sampler", {"density": "gauss", "rho": rho, "grid": 40, "runs": runs}, seed)
    assert out["density"].shape == (40, 40)
    for r in runs:
        assert out[f"{r['key']}_samples"].shape[1] == 2
        assert 0.0 <= out[f"{r['key']}_acceptance"] <= 1.0
    assert np.all(np.isfinite(out["gibbs_samples"]))


# -- E12 samplers ------------------------------------------------------------------------------


def test_gibbs_moves_one_coordinate_at_a_time_and_hits_the_correlation():
    out = _run("sampler", {"density": "gauss", "rho": 0.8,
                           "runs": [{"key": "g", "method": "gibbs", "steps": 4000, "chains": 10}]})
    d = np.diff(out["g_path"], axis=0)
    assert np.all(np.min(np.abs(d), axis=1) == 0.0)
    assert abs(out["g_corr"] - 0.8) < 0.02


def test_mala_is_exact_where_ula_is_biased():
    runs = [{"key": k, "method": k, "step": 0.5, "steps": 300, "burn": 150, "chains": 400, "start_sd": 1.0}
            for k in ("ula", "mala")]
    out = _run("sampler", {"density": "gauss", "rho": 0.0, "runs": runs})
    # ULA on N(0, 1) with step h has stationary variance 1 / (1 - h / 4).
    assert abs(out["ula_var_x"] - 1 / (1 - 0.5 / 4)) < 0.06
    assert abs(out["mala_var_x"] - 1.0) < 0.06


def test_hmc_conserves_energy_for_small_steps():
    out = _run("sampler", {"density": "ring", "runs": [
        {"key": "h", "method": "hmc", "step": 0.05, "leapfrog": 10, "steps": 60, "start": [2.0, 0.0]}]})
    assert out["h_energy_error"] < 0.01
    assert out["h_acceptance"] > 0.95


def test_cavi_has_the_conditional_precision():
    out = _run("sampler", {"density": "gauss", "rho": 0.6, "sd_x": 2.0,
                           "runs": [{"key": "q", "method": "cavi", "steps": 40, "start": [3.0, -2.0]}]})
    cov = np.array([[4.0, 0.6 * 2.0], [0.6 * 2.0, 1.0]])
    assert np.isclose(out["q_q_var_x"], 1 / np.linalg.inv(cov)[0, 0])
    assert np.linalg.norm(out["q_path"][-1]) < 1e-6


def test_svgd_and_tempering_reach_both_modes():
    out = _run("sampler", {"density": "bimodal", "separation": 5.0, "mode_sd": 0.5, "runs": [
        {"key": "v", "method": "svgd", "step": 0.3, "steps": 200, "chains": 40, "start_sd": 0.5},
        {"key": "t", "method": "tempering", "step": 0.5, "steps": 800, "chains": 2, "start": [-2.5, 0.0]}]})
    for k in ("v", "t"):
        right = np.mean(out[f"{k}_samples"][:, 0] > 0)
        assert 0.2 < right < 0.8


def test_sampler_is_deterministic_per_seed():
    params = {"density": "banana", "runs": [{"key": "m", "method": "rwmh", "steps": 50}]}
    a, b, c = _run("sampler", params, 1), _run("sampler", params, 1), _run("sampler", params, 2)
    assert np.array_equal(a["m_path"], b["m_path"])
    assert not np.array_equal(a["m_path"], c["m_path"])


def test_ising_cold_lattice_is_ordered_and_hot_one_is_not():
    out = _run("ising", {"size": 16, "temperatures": [1.0, 5.0], "sweeps": 80, "measure": 40,
                         "sweep_temperatures": []})
    assert out["magnetisation"][0] > 0.95 > 0.3 > out["magnetisation"][1]
    assert set(np.unique(out["spins_0"])) <= {-1.0, 1.0}


# -- E11 ridges ---------------------------------------------------------------------------------


@pytest.mark.parametrize("experiment", ["beta-bernoulli", "clt", "particle-filter", "crp",
                                        "annealed-importance", "laplace", "reparameterisation",
                                        "importance-weights", "polya-urn"])
def test_every_ridge_experiment_has_the_common_arrays(experiment):
    extra = {"particle-filter": {"x_min": -25.0, "x_max": 25.0, "steps": 5},
             "annealed-importance": {"steps": 20, "particles": 200},
             "polya-urn": {"x_min": 0.0, "x_max": 1.0, "draws": 500}}.get(experiment, {})
    out = _run("ridges", {"experiment": experiment, "draws": 2000, **extra})
    dens = np.asarray(out["density"])
    assert dens.ndim == 2 and dens.shape[1] == np.asarray(out["x"]).size
    assert len(out["rows"]) == dens.shape[0] == len(out["right"])
    assert np.all(dens >= 0) and np.all(np.isfinite(dens))


def test_beta_posteriors_are_normalised_and_crp_law_is_a_distribution():
    out = _run("ridges", {"experiment": "beta-bernoulli", "bins": 1000})
    dx = out["x"][1] - out["x"][0]
    assert np.allclose(out["density"][1:].sum(1) * dx, 1.0, atol=2e-3)
    crp = _run("ridges", {"experiment": "crp", "draws": 500, "rows": [5, 10, 20]})
    assert np.allclose(crp["exact"].sum(1), 1.0, atol=1e-9)


# -- E15 bandits --------------------------------------------------------------------------------


def test_bandit_regret_is_monotone_and_thompson_beats_random():
    pol = [{"key": "ts", "policy": "thompson"}, {"key": "rand", "policy": "random"},
           {"key": "ucb", "policy": "ucb1"}, {"key": "eps", "policy": "eps-greedy", "epsilon": 0.1}]
    out = _run("bandit", {"means": [0.2, 0.5, 0.7], "horizon": 400, "runs": 20, "policies": pol})
    for k in ("ts", "rand", "ucb", "eps"):
        assert np.all(np.diff(out[f"{k}_mean"]) >= -1e-12)
        assert np.all(out[f"{k}_lo"] <= out[f"{k}_hi"])
    assert out["ts_final"] < out["rand_final"] / 3
    assert np.all(np.diff(out["lai_robbins"]) >= 0)


def test_bayesian_optimisation_regret_never_rises():
    pol = [{"key": "ei", "policy": "gp-ei"}, {"key": "r", "policy": "random"}]
    out = _run("bandit", {"env": "forrester", "horizon": 8, "runs": 3, "policies": pol})
    for k in ("ei", "r"):
        assert np.all(out[f"{k}_regret"] >= 0) and np.all(np.diff(out[f"{k}_regret"]) <= 1e-12)


# -- E17 graphs ---------------------------------------------------------------------------------


@FAST
@given(j=st.lists(st.floats(-2, 2), min_size=4, max_size=4), h=st.lists(st.floats(-2, 2), min_size=5,
                                                                         max_size=5))
def test_belief_propagation_equals_brute_force_on_any_tree(j, h):
    out = _run("prob-graph", {"experiment": "tree-bp", "tree": [[0, 1], [1, 2], [1, 3], [3, 4]],
                              "couplings": j, "fields": h})
    assert out["max_error"] < 1e-10
    assert out["messages"] == 8


def test_sprinkler_explains_away_and_viterbi_is_a_valid_path():
    sp = _run("prob-graph", {"experiment": "sprinkler"})
    assert np.isclose(sp["joint_total"], 1.0)
    assert sp["p_rain_given_wet_sprinkler"] < sp["p_rain_given_wet"]
    hmm = _run("prob-graph", {"experiment": "casino-hmm", "n_rolls": 120})
    assert set(np.unique(hmm["viterbi"])) <= {0.0, 1.0}
    assert np.allclose(hmm["posterior"].sum(0), 1.0)
    assert hmm["edges"].size == 20 and np.all((hmm["edges"] >= 0) & (hmm["edges"] <= 1))


def test_viterbi_matches_brute_force_on_short_sequences():
    rolls = [6, 6, 1, 6, 6, 2]
    out = _run("prob-graph", {"experiment": "casino-hmm", "rolls": rolls})
    a = np.array([[0.95, 0.05], [0.1, 0.9]])
    emit = np.vstack([np.full(6, 1 / 6), np.r_[np.full(5, 0.1), 0.5]])
    best, arg = -np.inf, None
    for path in itertools.product([0, 1], repeat=len(rolls)):
        lp = np.log(0.5) + np.log(emit[path[0], rolls[0] - 1])
        for t in range(1, len(rolls)):
            lp += np.log(a[path[t - 1], path[t]]) + np.log(emit[path[t], rolls[t] - 1])
        if lp > best:
            best, arg = lp, path
    assert tuple(int(v) for v in out["viterbi"]) == arg


# -- closed forms, bands and sweeps --------------------------------------------------------------


@FAST
@given(p=st.floats(0.01, 0.99))
def test_cross_entropy_is_entropy_plus_kl(p):
    out = _run("prob-curves", {"functions": ["cross-entropy", "kl-pq", "binary-entropy"],
                               "x_min": 0.01, "x_max": 0.99, "p": p})
    assert np.allclose(out["cross_entropy"], out["kl_pq"] + out["h_p"], atol=1e-9)
    assert np.all(out["kl_pq"] >= -1e-12)


def test_bayes_bands_keep_the_noise_floor_and_kalman_settles():
    blr = _run("bayes-band", {"experiment": "bayes-linear"})
    assert np.all(blr["sd"] >= blr["noise_sd"])
    kal = _run("bayes-band", {"experiment": "kalman", "steps": 80})
    assert abs(kal["sd"][-1] - kal["sd"][-2]) < 1e-6
    ens = _run("bayes-band", {"experiment": "ensemble", "train_steps": 50, "members": 3, "hidden": 8})
    assert ens["members"].shape == (3, ens["x"].size)


def test_sweeps_have_their_textbook_shapes():
    ev = _run("prob-sweep", {"experiment": "evidence", "n": 50})
    assert np.all(np.diff(ev["max_log_lik"]) >= -1e-9)
    rw = _run("prob-sweep", {"experiment": "rwm-scaling", "chains": 20, "steps": 100})
    assert np.all(np.diff(rw["acceptance"]) < 0)
    ll = _run("prob-sweep", {"experiment": "likelihood", "sizes": [2, 8]})
    assert np.allclose(ll["curvature"], ll["fisher"], rtol=1e-3)
    gp = _run("prob-sweep", {"experiment": "gp-evidence", "n": 20})
    assert gp["plane"].shape == (gp["grid_y"].size, gp["grid_x"].size)
    assert np.isclose(gp["neg_plane"].min(), 0.5)
    sb = _run("prob-sweep", {"experiment": "stick-breaking", "scales": [2.0], "reps": 200, "lags": 10})
    assert np.isclose(sb["exact_0"].sum(), 1 - (2 / 3) ** 10)


def test_kl_plane_and_em():
    kl = _run("kl-plane", {})
    assert kl["kl_qp"].min() >= 0 and kl["kl_pq"].min() >= 0
    em = _run("em-gmm", {"iterations": 15})
    assert np.all(np.diff(em["log_lik"]) >= -1e-6)
    assert em["mean_paths"].shape == (3, 16, 2)
