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


# -- lm-corpus and lm-figure (recipes/lm_decoding.py, recipes/lm_figures.py) -------------------


@pytest.mark.parametrize(("name", "params"), [
    ("lm-corpus", {"experiment": "beam-search", "beam": 0}),
    ("lm-corpus", {"experiment": "beam-search", "start": "Which"}),
    ("lm-corpus", {"experiment": "arithmetic-coding", "message": "digits 123"}),
    ("lm-corpus", {"experiment": "degeneration", "temperature": 0.0}),
    ("lm-corpus", {"experiment": "beam-length", "widths": [1] * 13}),
    ("lm-corpus", {"experiment": "extraction", "prefix": 100}),
    ("lm-figure", {"experiment": "mlm-masking", "mask_rate": 0.9}),
    ("lm-figure", {"experiment": "position-interpolation", "scale": 1.0}),
    ("lm-figure", {"experiment": "speculative-speedup", "cost": 0.0}),
    ("lm-figure", {"experiment": "parity-scratchpad", "steps": 10**6}),
    ("lm-figure", {"experiment": "exposure-bias", "symbols": 40}),
    ("lm-figure", {"experiment": "sonnets"}),
])
def test_lm_decoding_refuses_absurd_parameters(name: str, params: dict) -> None:
    with pytest.raises(TeeprintError):
        validate_params(recipes.get(name).params, params, "test")


@pytest.mark.parametrize(("name", "params"), [
    ("lm-corpus", {"experiment": "beam-search", "start": "zebra"}),
    ("lm-figure", {"experiment": "mlm-masking", "p_mask": 0.8, "p_random": 0.3}),
    ("lm-figure", {"experiment": "position-interpolation", "dim": 31}),
    ("lm-figure", {"experiment": "speculative-speedup", "alphas": [0.5, 1.0]}),
    ("lm-figure", {"experiment": "exposure-bias", "symbols": 4, "allowed": 4}),
    ("lm-corpus", {"experiment": "next-token", "contexts": ["zebra crossing"]}),
])
def test_lm_decoding_refuses_inconsistent_parameters(name: str, params: dict) -> None:
    with pytest.raises(ValueError, match="must|not in|not occur"):
        _run(name, params)


@FAST
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5),
       st.sampled_from(["we", "which", "the", "that", "it", "of"]))
def test_beam_tree_is_consistent_and_width_one_is_greedy(beam: int, expand: int, steps: int,
                                                         start: str) -> None:
    out = _run("lm-corpus", {"experiment": "beam-search", "beam": beam, "expand": expand,
                             "steps": steps, "start": start})
    depth, parent, logp = out["node_depth"], out["node_parent"], out["node_logp"]
    child = parent >= 0
    assert (depth[child] == depth[parent[child]] + 1).all()
    assert (logp[child] <= logp[parent[child]] + 1e-12).all()  # log-probabilities only fall
    assert out["node_kept"][depth == steps].sum() <= beam
    if beam == 1 and expand >= 1:
        assert out["beam_logp"] == pytest.approx(out["greedy_logp"], abs=1e-12)


def test_vectorised_beam_matches_a_plain_beam_search() -> None:
    from teeprint.recipes.lm_decoding import _beam_best, _word_bigram

    vocab, prob = _word_bigram(stream=False)
    with np.errstate(divide="ignore"):
        logp = np.log(prob)
    end = vocab.index("</s>")
    starts = np.array([vocab.index(w) for w in ("we", "the", "which", "nation", "of")])
    for width in (1, 2, 3, 5):
        words, score = _beam_best(prob, logp, starts, width, 6, end)
        for s, w, sc in zip(starts, words, score, strict=True):
            beams = [([int(s)], 0.0)]
            for _ in range(6):
                cand = [([*t, int(j)], lp + logp[t[-1], j]) for t, lp in beams
                        for j in np.argsort(-prob[t[-1]], kind="stable")[:width] if prob[t[-1], j] > 0]
                beams = sorted(cand, key=lambda c: -c[1])[:width]
            toks, best = beams[0]
            assert sc == pytest.approx(best, abs=1e-12)
            assert w == (toks.index(end) - 1 if end in toks else len(toks) - 1)


@FAST
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=16), st.floats(0.01, 5))
def test_arithmetic_coding_widths_are_products_and_code_is_within_two_bits(message: str,
                                                                            alpha: float) -> None:
    out = _run("lm-corpus", {"experiment": "arithmetic-coding", "message": message, "alpha": alpha})
    assert np.allclose(np.cumprod(out["prob"]), out["width"], rtol=1e-9)
    assert out["ideal_bits"] < out["code_bits"] <= out["ideal_bits"] + 2
    edges = out["edges"]
    assert (edges[:, 0] == 0).all() and (edges[:, -1] == 1).all() and (np.diff(edges, axis=1) > 0).all()


def test_degeneration_greedy_ignores_the_seed_and_sampling_does_not() -> None:
    a = _run("lm-corpus", {"experiment": "degeneration"}, seed=1)
    b = _run("lm-corpus", {"experiment": "degeneration"}, seed=2)
    assert (a["greedy_words"] == b["greedy_words"]).all()
    assert not (a["sampled_words"] == b["sampled_words"]).all()
    assert np.array_equal(a["sim_greedy"], a["sim_greedy"].T) and (np.diag(a["sim_greedy"]) == 1).all()


@pytest.mark.parametrize("contexts", [["the"], ["we", "we can"], ["of", "of the", "the people", "to"]])
def test_next_token_rows_are_distributions_and_entropy_is_in_bits(contexts: list[str]) -> None:
    out = _run("lm-corpus", {"experiment": "next-token", "contexts": contexts, "top": 6})
    assert np.allclose(out["after"].sum(axis=1), 1) and (out["after"] >= 0).all()
    assert abs(out["base"].sum() - 1) < 1e-12 and out["vocab"].size == 6
    assert ((out["entropy"] >= 0) & (out["entropy"] <= np.log2(out["continuations"]) + 1e-12)).all()


def test_ngram_novelty_is_a_share_and_extraction_marks_are_binary() -> None:
    out = _run("lm-corpus", {"experiment": "ngram-novelty", "unit": "char", "orders": [1, 4, 8],
                             "shares": [0.3, 0.8], "splits": 2})
    assert ((out["novel"] >= 0) & (out["novel"] <= 1)).all() and out["novel"][0].max() < 0.02
    ext = _run("lm-corpus", {"experiment": "extraction", "orders": [2, 12]})
    assert set(np.unique(ext["match_0"])) <= {0, 1}
    assert ext["verbatim_share"][1] > ext["verbatim_share"][0]


@FAST
@given(st.integers(2, 40), st.integers(4, 64), st.floats(0.01, 0.5), st.floats(0.0, 0.6),
       st.integers(0, 1000))
def test_mlm_changes_only_chosen_positions(rows: int, length: int, rate: float, p_mask: float,
                                           seed: int) -> None:
    out = _run("lm-figure", {"experiment": "mlm-masking", "sequences": rows, "length": length,
                             "mask_rate": rate, "p_mask": p_mask, "p_random": 0.4}, seed=seed)
    assert out["n_chosen"] == int((out["codes"] > 0).sum())
    if out["n_chosen"]:
        assert out["mask_share"] + out["random_share"] + out["keep_share"] == pytest.approx(1)


@FAST
@given(st.sampled_from([8, 16, 32, 64]), st.floats(100.0, 1e5), st.integers(16, 4096), st.floats(1.1, 16))
def test_interpolated_positions_never_leave_the_trained_angles(dim: int, base: float, length: int,
                                                               scale: float) -> None:
    out = _run("lm-figure", {"experiment": "position-interpolation", "dim": dim, "base": base,
                             "train_len": length, "scale": scale})
    assert out["n_unseen_interp"] == 0 and out["max_interp_pos"] < length
    assert out["unseen_pairs"] <= out["slow_pairs"]


def test_perplexity_lies_between_one_and_the_vocabulary_size() -> None:
    out = _run("lm-figure", {"experiment": "perplexity-simplex", "grid": 41})
    ppl = out["ppl"][np.isfinite(out["ppl"])]
    assert ppl.min() >= 1 - 1e-12 and ppl.max() <= 3 + 1e-9
    assert (np.diff(out["temp_ppl"]) > 0).all()


@FAST
@given(st.floats(0.02, 0.98), st.floats(0.01, 1.0))
def test_speculative_gain_meets_the_papers_bound(alpha: float, cost: float) -> None:
    out = _run("lm-figure", {"experiment": "speculative-speedup", "alphas": [0.01, alpha, 0.99],
                             "cost": cost, "gammas": [1, 2, 4, 8]})
    row = int(np.flatnonzero(out["alphas"] == alpha)[0])
    assert out["speedup"][row, 0] == pytest.approx((1 + alpha) / (1 + cost))
    if alpha > cost:
        assert out["best_speedup"][row] > 1
    assert (out["tokens"] >= 1).all() and (out["tokens"] <= np.array([2, 3, 5, 9]) + 1e-12).all()


def test_attention_dilution_threshold_at_margin_one() -> None:
    out = _run("lm-figure", {"experiment": "attention-dilution", "margins": [0.5, 1.0, 2.0]})
    n = out["lengths"]
    assert np.allclose(out["scaled"][:, 1], n / (2 * n - 1))
    assert (np.diff(out["plain"], axis=0) < 0).all()


def test_scratchpad_learns_parity_and_exposure_bias_opens_a_gap() -> None:
    par = _run("lm-figure", {"experiment": "parity-scratchpad", "bits": [4, 6], "steps": 300, "lr": 2.0})
    assert (par["test_acc_scratchpad"] == 1).all() and (par["train_acc_direct"] == 1).all()
    exp = _run("lm-figure", {"experiment": "exposure-bias", "rollouts": 300})
    assert exp["error_free_mean"] > 2 * exp["error_teacher_mean"]


# -- token-tree and interval-nest (motifs/trees.py) -------------------------------------------


@pytest.fixture(scope="module")
def ts(catalog):
    from teeprint import pipeline

    return pipeline.typesetter(catalog)


def _draw_lm(motif: str, arrays: dict, params: dict, ts):
    from teeprint import motifs
    from teeprint.motifs import MotifContext
    from teeprint.plate import FIGURE_BOX
    from teeprint.recipes import FigureData, Provenance

    info = motifs.get(motif)
    p = validate_params(info.params, params, "test")
    data = FigureData(arrays, Provenance("test", "test", 0, {}, "Nobody 2000, Nowhere", "computed", "test"))
    shapes = info.func(data, p, MotifContext(FIGURE_BOX, ts, np.random.default_rng(0)))
    for s in shapes:
        x0, y0, x1, y1 = s.bbox
        assert FIGURE_BOX.x - 0.5 <= x0 and x1 <= FIGURE_BOX.right + 0.5
        assert FIGURE_BOX.y - 0.5 <= y0 and y1 <= FIGURE_BOX.bottom + 0.5
    return shapes


def test_token_tree_draws_any_beam_and_refuses_broken_trees(ts) -> None:
    for beam, expand in ((1, 1), (2, 3), (4, 2)):
        out = _run("lm-corpus", {"experiment": "beam-search", "beam": beam, "expand": expand})
        assert _draw_lm("token-tree", out, {"best_label": "best", "alt_label": "greedy",
                                            "note": "beam {beam_logp:.2f}"}, ts)
    bad = _run("lm-corpus", {"experiment": "beam-search"})
    bad["node_parent"] = np.zeros_like(bad["node_parent"])
    with pytest.raises(TeeprintError):
        _draw_lm("token-tree", bad, {}, ts)


def test_interval_nest_draws_messages_and_refuses_bad_choices(ts) -> None:
    for message in ("a", "the people", "we hold these tr"):
        out = _run("lm-corpus", {"experiment": "arithmetic-coding", "message": message})
        if len(message) >= 2:
            assert _draw_lm("interval-nest", out, {"left_title": "char", "right_title": "bits",
                                                   "note": "{ideal_bits:.1f} bits"}, ts)
    out = _run("lm-corpus", {"experiment": "arithmetic-coding"})
    out["chosen"] = out["chosen"] + 40
    with pytest.raises(TeeprintError):
        _draw_lm("interval-nest", out, {}, ts)


# -- motif options the decoding plates use ---------------------------------------------------------

def _draw(motif_name: str, arrays: dict, **params: object) -> list:
    from teeprint import pipeline
    from teeprint.artwork import Box
    from teeprint.catalog import Catalog
    from teeprint.motifs import MotifContext
    from teeprint.motifs import get as get_motif
    from teeprint.recipes import FigureData, Provenance
    from tests.conftest import REPO

    box = Box(78.0, 292.0, 924.0, 690.0)
    ts = pipeline.typesetter(Catalog.load(config=REPO / "shop.toml"))
    info = get_motif(motif_name)
    data = FigureData(arrays, Provenance("t", "t", 0, {}, "", "computed", ""))
    shapes = info.func(data, info.params(**params), MotifContext(box, ts, np.random.default_rng(0)))
    assert all(s.bbox[0] >= box.x - 2 and s.bbox[1] >= box.y - 2 and s.bbox[2] <= box.right + 2
               and s.bbox[3] <= box.bottom + 2 for s in shapes)
    return shapes


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logits=st.lists(st.floats(-4, 4, allow_nan=False), min_size=3, max_size=10),
       k=st.integers(1, 3))
def test_horizontal_token_bars_stay_inside_and_their_labels_stay_clear(logits: list[float], k: int) -> None:
    from teeprint.verify.text import text_problems

    out = _run("token-bars", {"vocab": _vocab(len(logits)), "logits": logits, "rule": "top-k",
                              "values": [k, len(logits)]})
    shapes = _draw("token-bars", out, row_values="values", row_format="k = {:.0f}", kept="kept",
                   ghost_before=False, orientation="horizontal", right_values="entropy",
                   right_format="entropy {:.2f}")
    assert text_problems(shapes) == []
    # three panels side by side: their titles sit on one line, left to right
    titles = sorted((s for s in shapes if s.text_pt == 13.0 and s.bbox[1] < 310), key=lambda s: s.bbox[0])
    assert len(titles) == 3
    assert max(t.bbox[1] for t in titles) - min(t.bbox[1] for t in titles) < 4


def test_horizontal_token_bars_refuse_a_vocabulary_too_long_for_the_rows() -> None:
    out = _run("token-bars", {"vocab": _vocab(24), "logits": list(np.linspace(2, -2, 24)), "rule": "top-k",
                              "values": [1, 2, 3, 4, 5, 6]})
    with pytest.raises(TeeprintError, match="horizontal"):
        _draw("token-bars", out, row_values="values", orientation="horizontal")


def test_engraved_matrix_bars_flood_nothing() -> None:
    vals = np.array([[1.0, 0.5, 0.25], [0.0, 0.75, 1.0]])
    solid = _draw("matrix-heatmap", {"m": vals}, panels=[{"array": "m", "kind": "bars", "vmax": 1.0}])
    engraved = _draw("matrix-heatmap", {"m": vals},
                     panels=[{"array": "m", "kind": "bars", "vmax": 1.0, "engraved": True}])
    assert any(s.paint == "fill" and s.tint == 1.0 and s.text_pt is None for s in solid)
    assert not any(s.paint == "fill" and s.text_pt is None for s in engraved)
    # the same bars, outlined: one rectangle per non-zero cell
    outlines = [s for s in engraved if s.paint == "stroke" and s.width_pt == 2.0 and s.d.count("Z") >= 5]
    assert outlines and outlines[0].d.count("Z") == 5
