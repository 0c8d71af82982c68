"""The language-model family's engines: parameter bounds (hypothesis) and the properties each
engine must have whatever its parameters (speculative sampling is exact, the KL optimum is a tilt,
best-of-n is a distribution under its KL bound, BPE never lengthens its training text, n-gram
training cost falls with order, a hand-wired attention layer is one GD step).  Per-plate claims
live in the design files and are checked by ``teeprint verify``; nothing here repeats them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint import recipes
from teeprint.errors import TeeprintError
from teeprint.recipes import closed_forms, rng_for, validate_params
from teeprint.recipes.language import bpe_learn, corpus_clauses, ngram_cross_entropy

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

logit_lists = st.lists(st.floats(-6, 6, allow_nan=False), min_size=3, max_size=12)


def _run(name: str, params: dict, seed: int = 0) -> dict:
    info = recipes.get(name)
    p = validate_params(info.params, params, "test")
    return info.func(p, rng_for(seed, name))


def _vocab(n: int) -> list[str]:
    return [f"t{i}" for i in range(n)]


# -- parameter bounds ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "params"), [
    ("text-statistics", {"experiment": "bpe", "merges": 0}),
    ("text-statistics", {"experiment": "ngram-entropy", "max_order": 9}),
    ("text-statistics", {"experiment": "heaps", "tokens": 10}),
    ("text-statistics", {"experiment": "tarot"}),
    ("token-reweight", {"vocab": ["a", "b"], "logits": [0, 1], "rule": "kl-optimum"}),
    ("token-reweight", {"vocab": ["a", "b"], "logits": [0, 1], "rule": "best-of-n", "reward": [1, 1]}),
    ("token-reweight", {"vocab": ["a", "b"], "logits": [0, 1, 2], "rule": "watermark", "green": [0]}),
    ("token-reweight", {"vocab": ["a", "b"], "logits": [0, 1], "rule": "watermark", "green": [5]}),
    ("token-reweight", {"vocab": ["a", "b"], "logits": [0, 99], "rule": "speculative", "logits_b": [0, 0]}),
    ("lm-experiment", {"experiment": "icl-gd", "dim": 1}),
    ("lm-experiment", {"experiment": "overoptimisation", "max_log2_n": 20}),
    ("lm-matrix", {"experiment": "bradley-terry", "items": 40}),
    ("curves", {"functions": [{"key": "k", "fn": "majority-vote", "params": {"p": 1.5}}]}),
])
def test_absurd_parameters_are_refused(name: str, params: dict) -> None:
    with pytest.raises(TeeprintError):
        validate_params(recipes.get(name).params, params, "test")


@FAST
@given(st.integers(2, 32), st.integers(1, 200), st.floats(0.05, 0.5))
def test_text_parameters_within_bounds_validate(order: int, merges: int, held: float) -> None:
    params = {"experiment": "bpe", "max_order": min(order, 8), "merges": merges, "held_out": held}
    validate_params(recipes.get("text-statistics").params, params, "test")


# -- engine properties --------------------------------------------------------------------------


@FAST
@given(logit_lists, st.integers(0, 10_000))
def test_speculative_sampling_reproduces_the_target_exactly(logits: list[float], shift: int) -> None:
    rng = np.random.default_rng(shift)
    draft = list(rng.uniform(-4, 4, len(logits)))
    out = _run("token-reweight", {"vocab": _vocab(len(logits)), "logits": logits, "rule": "speculative",
                                  "logits_b": draft})
    assert np.abs(out["output"] - out["base"]).max() < 1e-12
    assert abs(out["acceptance"] - (1 - out["total_variation"])) < 1e-12


@FAST
@given(logit_lists, st.floats(0.05, 20))
def test_kl_optimum_is_the_reference_tilted_by_the_reward(logits: list[float], beta: float) -> None:
    reward = list(np.linspace(-1, 1, len(logits)))
    out = _run("token-reweight", {"vocab": _vocab(len(logits)), "logits": logits, "rule": "kl-optimum",
                                  "reward": reward, "values": [beta]})
    tilt = np.log(out["after"][0] / out["base"]) - np.asarray(reward) / beta
    assert np.std(tilt) < 1e-8
    assert out["expected_reward"][0] >= out["base_reward"] - 1e-12


@FAST
@given(logit_lists, st.integers(1, 500))
def test_best_of_n_is_a_distribution_under_its_kl_bound(logits: list[float], n: int) -> None:
    reward = list(range(len(logits)))
    out = _run("token-reweight", {"vocab": _vocab(len(logits)), "logits": logits, "rule": "best-of-n",
                                  "reward": reward, "values": [n]})
    assert abs(out["after"][0].sum() - 1) < 1e-9 and (out["after"][0] >= -1e-15).all()
    assert out["kl"][0] <= out["kl_bound"][0] + 1e-9


def test_best_of_n_uniform_kl_is_under_the_bound_and_saturates() -> None:
    x = np.geomspace(1, 1e5, 200)
    for k in (2, 7, 300):
        exact = closed_forms.FUNCTIONS["best-of-n-kl-uniform"].func(x, k=k)
        assert (exact <= closed_forms.FUNCTIONS["best-of-n-kl-bound"].func(x) + 1e-9).all()
        assert exact.max() <= np.log(k) + 1e-9


def test_majority_vote_of_one_is_the_single_vote_and_odd_even_pairs_agree() -> None:
    f = closed_forms.FUNCTIONS["majority-vote"].func
    n = np.arange(1, 30, dtype=float)
    for p in (0.2, 0.5, 0.8):
        v = f(n, p=p)
        assert abs(v[0] - p) < 1e-12
        assert np.allclose(v[1::2], v[0:-1:2])


def test_bpe_never_lengthens_the_training_words() -> None:
    clauses = corpus_clauses()
    tr, te, rules = bpe_learn(clauses[:40], clauses[40:], 60)
    assert (np.diff(tr) <= 0).all() and (np.diff(te) <= 1e-12).all()
    assert len(rules) == 60 and len(set(rules)) == 60


def test_ngram_training_cost_falls_with_order() -> None:
    clauses = corpus_clauses()
    bits = [ngram_cross_entropy(clauses, clauses, k, 1e-6, 27) for k in range(5)]
    assert all(a > b for a, b in zip(bits, bits[1:], strict=False))


@pytest.mark.parametrize("seed", [0, 7])
def test_hand_wired_attention_is_one_gradient_step(seed: int) -> None:
    out = _run("lm-experiment", {"experiment": "icl-gd", "dim": 3, "max_context": 8, "tasks": 200}, seed)
    assert out["max_gap"] < 1e-10


def test_softmax_bottleneck_residual_vanishes_at_rank() -> None:
    out = _run("lm-experiment", {"experiment": "softmax-bottleneck", "contexts": 20, "vocab": 8})
    assert out["rank"] == 7
    assert out["residual"][6] <= 1e-15 < out["residual"][5]


def test_bradley_terry_fit_recovers_many_games() -> None:
    out = _run("lm-matrix", {"experiment": "bradley-terry", "items": 5, "games": 400})
    assert out["score_corr"] > 0.98


def test_smoothed_bigram_tables_are_distributions() -> None:
    out = _run("lm-matrix", {"experiment": "bigram-smoothing"})
    assert np.allclose(out["row_sums_kn"], 1) and np.allclose(out["row_sums_add_one"], 1)


def test_attention_sink_caches_agree_before_eviction_and_rows_are_distributions() -> None:
    out = _run("lm-matrix", {"experiment": "attention-sink", "length": 12, "window": 4})
    for name in ("full", "window", "sink"):
        assert np.allclose(out[name].sum(axis=1), 1)
    assert max(out["tv_window"][:4]) < 1e-12 and max(out["tv_sink"][:4]) < 1e-12
    assert out["tv_sink_mean"] < out["tv_window_mean"]


def test_reversal_curse_backward_stays_near_chance() -> None:
    out = _run("lm-matrix", {"experiment": "reversal-curse", "pairs": 4, "width": 8, "steps": 200})
    assert out["forward_correct"] > 0.9
    assert abs(out["backward_correct"] - out["chance"]) < 0.03


@FAST
@given(logit_lists)
def test_contextual_calibration_makes_the_content_free_input_uniform(logits: list[float]) -> None:
    out = _run("token-reweight", {"vocab": _vocab(len(logits)), "logits": logits, "rule": "calibrate",
                                  "logits_b": logits})
    assert np.allclose(out["calibrated"], 1 / len(logits))
