"""Language models: decoding, coding and masking computed on the archive's small embedded corpus.

Two engines, each a table of experiments picked by ``experiment``:

``lm-corpus`` - count models of the embedded corpus (``language.CORPUS``, 78 clauses):

* ``beam-search`` - clause-level word bigram (maximum likelihood, ``<s>`` and ``</s>`` added, the
  end token absorbing). Beam search of width ``beam`` (each hypothesis expanded to its ``expand``
  likeliest next words) against greedy decoding from ``start`` for ``steps`` words. Arrays: the
  search tree ``node_depth node_parent node_label node_logp node_kept node_best node_greedy``,
  ``greedy_logp``, ``beam_logp`` (best final hypothesis), ``beam_finals`` (all final log-probs),
  ``greedy_in_beam`` (1 when the greedy sequence survives in the final beam), ``beam_words``
  (words of the best hypothesis before the end token), ``beam_ended``.
* ``beam-length`` - the same model; for every corpus word as the start, the best hypothesis of
  beam search at each of ``widths`` (at most ``max_words`` words): ``length`` (words before the
  end token, the ``rows`` commonest start words x widths), ``shortest`` (the row's minimum),
  ``start_words``, ``widths``, ``mean_length`` / ``mean_logp`` (over all ``n_starts`` start
  words), ``mean_length_row`` (the same as a 1 x widths matrix), ``shorter_share`` /
  ``longer_share`` (start words whose output is shorter / longer at the widest beam than at
  width 1), ``ended_share``.
* ``arithmetic-coding`` - character bigram (add-``alpha`` over 27 symbols, the previous character
  as context, a space before the message). Arithmetic coding of ``message``: per step the symbol
  partition of the current interval ``edges`` (steps x 28, fractions of that interval),
  ``chosen`` index, ``prob``, ``width`` (absolute interval width after the step), ``bits``
  (cumulative -log2 width), ``ideal_bits``, ``code_bits`` = ceil(ideal) + 1, ``uniform_bits``
  = length x log2 27, ``bits_per_char``.
* ``degeneration`` - a word bigram of the whole corpus as one stream (closed into a ring). ``length`` words decoded
  from ``start`` greedily and by ancestral sampling at ``temperature`` (the only use of the
  generator). Arrays ``sim_greedy`` / ``sim_sampled`` (token i equals token j), ``repeat_greedy`` /
  ``repeat_sampled`` (the same off the diagonal), ``greedy_period``
  (smallest period of the greedy tail), ``greedy_distinct`` / ``sampled_distinct`` (distinct
  words), ``greedy_repeat`` / ``sampled_repeat`` (share of positions after the first ``burn``
  whose word repeats the word ``greedy_period`` places before), ``greedy_logp_mean`` /
  ``sampled_logp_mean`` (mean per-word log-probability under the model).

* ``ngram-novelty`` - clauses split at random into training and held-out parts (training share
  in ``shares``, ``splits`` splits, the only use of the generator); ``novel`` (orders x shares,
  median over splits): the share of held-out n-grams (of words or characters, ``unit``) that never occur in
  training;
  ``mostly_novel`` (over half new); ``novel_top_order`` / ``novel_unigram`` (largest share, highest / lowest order).

* ``extraction`` - character n-gram count models of every order in ``orders`` (the whole corpus,
  most frequent next character, ties to the first in alphabetical order), prompted with the first
  ``prefix`` characters of every clause at least ``prefix`` + ``generate`` long and decoded
  greedily for ``generate`` characters: ``match_<i>`` (prompts x characters, 1 where the output
  equals the training clause, for the i-th order), ``verbatim_share`` (outputs equal to the
  training text throughout), ``median_run`` (characters before the first difference),
  ``n_prompts``.

* ``next-token`` - maximum-likelihood next-word distributions after each word context in
  ``contexts`` (an n-gram of the context's length over the corpus as one text): ``after`` (one
  row per context over ``vocab``, the ``top`` - 1 likeliest words overall and the rest),
  ``base`` (word frequencies, no context, over the same ``vocab``), ``entropy`` (bits),
  ``base_entropy``, ``entropies`` (both, no context first), ``continuations`` (distinct next words), ``occurrences`` (times the
  context occurs), ``top_prob``.

``lm-figure`` - exact or simulated structures of language models:

* ``mlm-masking`` - BERT's corruption of ``sequences`` x ``length`` tokens: each position is
  chosen with probability ``mask_rate``; a chosen one becomes [MASK] (share ``p_mask``), a random
  token (``p_random``) or stays (the rest). ``codes`` 0 untouched, 1 [MASK], 2 random, 3 kept;
  ``chosen_frac``, ``mask_share``, ``random_share``, ``keep_share`` (shares of the chosen).
* ``position-interpolation`` - rotary angles m theta_i, theta_i = base^(-2i/dim), for positions
  0..L-1 seen in training (L = ``train_len``), positions L..sL-1 (extrapolated, s = ``scale``)
  and sL positions squeezed into 0..L by m/s (position interpolation). ``cos_train``,
  ``cos_extra``, ``cos_interp`` (pairs x ``columns`` positions sampled evenly),
  ``unseen_extra`` / ``unseen_interp`` (angle beyond the trained window [0, L theta_i), for pairs
  whose training angles stay under one turn), ``n_unseen_extra``, ``n_unseen_interp``,
  ``unseen_pairs`` (pairs with any unseen extrapolated angle), ``first_unseen_pair``; ``pos_train`` / ``pos_extra`` / ``pos_interp`` (the positions drawn,
  the last before squeezing).
* ``perplexity-simplex`` - perplexity 2^H of (p_a, p_b, 1 - p_a - p_b) on a grid (nan outside
  the simplex) and the path of softmax(``logits`` / T) for T from 0.05 to 50: ``grid_x``,
  ``grid_y``, ``ppl``, ``temp_path``, ``temp_ppl``, ``marks`` (uniform, edge midpoint),
  ``mark_ppl``.
* ``parity-scratchpad`` - parity of n-bit strings (n in ``bits``), learned from at most
  ``n_train`` random strings (half of all when fewer) by a ``hidden``-unit tanh network
  (full-batch gradient descent, ``steps``, ``lr``): directly (n bits -> parity) or with a
  scratchpad (the same network learns one step, parity so far and next bit -> parity, from
  every step of the training strings, and is chained on its own outputs at test).
  ``train_acc_direct``, ``test_acc_direct``, ``test_acc_scratchpad`` (held-out strings),
  ``step_acc_scratchpad``, ``n_train_strings``, ``chance``; ``accuracy`` (those three rows x
  lengths) with ``accuracy_names`` and ``accuracy_lit`` (the scratchpad row).
* ``speculative-speedup`` - Leviathan et al.'s closed forms for acceptance rate alpha (``alphas``),
  gamma drafted tokens (``gammas``) and draft cost c (``cost``, relative to the target):
  ``tokens`` = (1 - alpha^(gamma+1)) / (1 - alpha) per target run, ``speedup`` = tokens /
  (gamma c + 1) in walltime, ``excess`` = speedup - 1; ``best`` (each alpha's best gamma), ``best_gamma``,
  ``best_speedup``, ``gamma1_bound`` = (1 + alpha) / (1 + c).
* ``attention-dilution`` - softmax weight on one key whose logit is ``margins`` m above n - 1
  equal others (n in ``lengths``): ``plain`` = e^m / (e^m + n - 1) and, with the logits scaled
  by log n, ``scaled`` = n^m / (n^m + n - 1); ``plain_major`` / ``scaled_major`` (over one half).
* ``exposure-bias`` - a random source over ``symbols`` tokens whose next token depends on the
  last two (each pair allows ``allowed`` tokens, uniformly); an add-``smoothing`` count model of
  the next token after the last three, trained on ``train_seqs`` sequences of ``horizon``
  tokens (teacher forcing); ``rollouts`` runs fed the source's tokens (teacher forcing) or the
  model's own samples (free running). Per position: ``error_teacher`` / ``error_free`` (the
  model's mass on tokens the source forbids), ``unseen_teacher`` / ``unseen_free`` (share of
  contexts never met in training); means over positions 11 on (``error_teacher_mean``,
  ``error_free_mean``, ``unseen_free_mean``), ``contexts_seen``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.language import corpus_clauses

ALPHABET = " abcdefghijklmnopqrstuvwxyz"


# -- lm-corpus ------------------------------------------------------------------------------------


class CorpusParams(Params):
    """Which corpus experiment, and its settings (each experiment reads the ones it names)."""

    experiment: Literal["beam-search", "beam-length", "arithmetic-coding", "degeneration",
                        "ngram-novelty", "extraction", "next-token"]
    start: str = Field("we", pattern=r"^[a-z]{1,16}$", description="beam-search, degeneration: first word")
    steps: int = Field(4, ge=1, le=6, description="beam-search: words decoded")
    beam: int = Field(3, ge=1, le=5, description="beam-search: beam width")
    expand: int = Field(3, ge=1, le=5, description="beam-search: next words tried per hypothesis")
    widths: tuple[int, ...] = Field((1, 2, 3, 4, 6, 8, 12, 16), min_length=2, max_length=12,
                                    description="beam-length: beam widths")
    rows: int = Field(16, ge=2, le=30, description="beam-length: commonest start words drawn")
    max_words: int = Field(10, ge=3, le=16, description="beam-length: words decoded at most")
    orders: tuple[int, ...] = Field((1, 2, 3, 4, 5), min_length=2, max_length=12,
                                    description="ngram-novelty, extraction: n-gram orders")
    shares: tuple[float, ...] = Field((0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), min_length=2,
                                      max_length=12, description="ngram-novelty: training shares")
    splits: int = Field(5, ge=1, le=25, description="ngram-novelty: random splits, median taken")
    unit: Literal["word", "char"] = Field("word", description="ngram-novelty: n-grams of words or characters")
    prefix: int = Field(10, ge=2, le=30, description="extraction: prompt characters")
    generate: int = Field(30, ge=5, le=60, description="extraction: characters decoded")
    contexts: tuple[str, ...] = Field(("the", "of the", "government of the"), min_length=1,
                                      max_length=4, description="next-token: word contexts")
    top: int = Field(8, ge=2, le=12, description="next-token: words shown (the last bar is the rest)")
    message: str = Field("the people", pattern=r"^[a-z ]{1,16}$", description="arithmetic-coding")
    alpha: float = Field(0.1, gt=0.0, le=10.0, description="arithmetic-coding: additive smoothing")
    length: int = Field(48, ge=12, le=96, description="degeneration: words decoded")
    temperature: float = Field(1.0, ge=0.3, le=3.0, description="degeneration: sampling temperature")
    burn: int = Field(12, ge=0, le=40, description="degeneration: words before the repeat count")


def _word_bigram(stream: bool) -> tuple[list[str], np.ndarray]:
    """Vocabulary and maximum-likelihood transition matrix of the corpus's words.

    ``stream``: the clauses run on as one text, closed into a ring; else each clause is framed by <s> ... </s>
    and </s> is absorbing (a finished hypothesis stays finished at no cost).
    """
    clauses = corpus_clauses()
    if stream:  # one text, read as a ring so that its last word also has a successor
        words = " ".join(clauses).split()
        seqs = [[*words, words[0]]]
    else:
        seqs = [["<s>", *c.split(), "</s>"] for c in clauses]
    vocab = sorted({w for s in seqs for w in s})
    idx = {w: i for i, w in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(vocab)))
    for s in seqs:
        for a, b in zip(s, s[1:], strict=False):
            counts[idx[a], idx[b]] += 1
    if not stream:
        end = idx["</s>"]
        counts[end] = 0.0
        counts[end, end] = 1.0
    rows = counts.sum(axis=1, keepdims=True)
    return vocab, counts / np.maximum(rows, 1.0)


def _known(vocab: list[str], word: str) -> int:
    if word not in vocab:
        msg = f"start word {word!r} is not in the corpus"
        raise ValueError(msg)
    return vocab.index(word)


def _beam_search(p: CorpusParams, rng: np.random.Generator) -> Arrays:
    vocab, prob = _word_bigram(stream=False)
    with np.errstate(divide="ignore"):
        logp = np.log(prob)
    root = _known(vocab, p.start)
    depth, parent, label, score = [0], [-1], [p.start], [0.0]
    kept = [True]
    beams = [(0, [root], 0.0)]  # (node id, token ids, log-prob)
    for d in range(1, p.steps + 1):
        cand = []
        for node, toks, lp in beams:
            row = prob[toks[-1]]
            order = [int(j) for j in np.argsort(-row, kind="stable")[: p.expand] if row[j] > 0]
            for j in order:
                depth.append(d)
                parent.append(node)
                label.append(vocab[j])
                score.append(lp + float(logp[toks[-1], j]))
                kept.append(False)
                cand.append((len(depth) - 1, [*toks, j], score[-1]))
        cand.sort(key=lambda c: (-c[2], c[0]))
        beams = cand[: p.beam]
        for node, _, _ in beams:
            kept[node] = True
    best = beams[0][0]
    on_best = set()
    n = best
    while n >= 0:
        on_best.add(n)
        n = parent[n]
    # Greedy: follow the likeliest word; reuse tree nodes where the beam also went.
    greedy_nodes, node, toks, lp = [0], 0, [root], 0.0
    for d in range(1, p.steps + 1):
        j = int(np.argmax(prob[toks[-1]]))
        lp += float(logp[toks[-1], j])
        toks.append(j)
        child = next((k for k in range(len(depth)) if parent[k] == node and label[k] == vocab[j]), None)
        if child is None:
            depth.append(d)
            parent.append(node)
            label.append(vocab[j])
            score.append(lp)
            kept.append(False)
            child = len(depth) - 1
        greedy_nodes.append(child)
        node = child
    greedy_set = set(greedy_nodes)
    finals = np.array([b[2] for b in beams])
    best_toks = beams[0][1][1:]
    end = vocab.index("</s>")
    return {
        "node_depth": np.array(depth),
        "node_parent": np.array(parent),
        "node_label": np.array(label),
        "node_logp": np.array(score),
        "node_kept": np.array(kept),
        "node_best": np.array([i in on_best for i in range(len(depth))]),
        "node_greedy": np.array([i in greedy_set for i in range(len(depth))]),
        "greedy_logp": lp,
        "beam_logp": float(beams[0][2]),
        "beam_finals": finals,
        "greedy_in_beam": int(node in {b[0] for b in beams}),
        "beam_words": best_toks.index(end) if end in best_toks else len(best_toks),
        "beam_ended": int(end in best_toks),
        "n_nodes": len(depth),
    }


def _beam_best(prob: np.ndarray, logp: np.ndarray, starts: np.ndarray, width: int,
               steps: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Beam search from every start at once: words before the end token and log-probability
    of each start's best hypothesis (ties go to the earlier candidate, as in a stable sort)."""
    s = starts.size
    order = np.argsort(-prob, axis=1, kind="stable")[:, :width]  # likeliest successors
    succ_lp = np.take_along_axis(logp, order, axis=1)
    last = np.zeros((s, width), int)
    last[:, 0] = starts
    score = np.full((s, width), -np.inf)
    score[:, 0] = 0.0
    words = np.zeros((s, width), int)
    for _ in range(steps):
        cand = (score[:, :, None] + succ_lp[last]).reshape(s, -1)  # (s, width * width)
        pick = np.argsort(-cand, axis=1, kind="stable")[:, :width]
        parent, child = np.divmod(pick, width)
        new_last = np.take_along_axis(order[last.ravel()].reshape(s, width, width).reshape(s, -1),
                                      pick, axis=1)
        grown = np.take_along_axis(words, parent, axis=1) + (np.take_along_axis(last, parent, axis=1) != end)
        score = np.take_along_axis(cand, pick, axis=1)
        last, words = new_last, grown
    # ``words`` counts every token appended after a non-end one, the end token included.
    return words[:, 0] - (last[:, 0] == end), score[:, 0]


def _beam_length(p: CorpusParams, rng: np.random.Generator) -> Arrays:
    vocab, prob = _word_bigram(stream=False)
    with np.errstate(divide="ignore"):
        logp = np.log(prob)
    end = vocab.index("</s>")
    freq: dict[str, int] = {}
    for c in corpus_clauses():
        for w in c.split():
            freq[w] = freq.get(w, 0) + 1
    starts = sorted(freq, key=lambda w: (-freq[w], w))
    widths = sorted(set(p.widths))
    ids = np.array([vocab.index(w) for w in starts])
    length = np.zeros((len(starts), len(widths)))
    score = np.zeros_like(length)
    for b, k in enumerate(widths):
        length[:, b], score[:, b] = _beam_best(prob, logp, ids, k, p.max_words, end)
    shown = length[: p.rows]
    return {
        "length": shown,
        "shortest": shown == shown.min(axis=1, keepdims=True),
        "start_words": np.array(starts[: p.rows]),
        "widths": np.array(widths),
        "mean_length": length.mean(axis=0),
        "mean_length_row": length.mean(axis=0)[None, :],
        "mean_logp": score.mean(axis=0),
        "n_starts": len(starts),
        "shorter_share": float(np.mean(length[:, -1] < length[:, 0])),
        "longer_share": float(np.mean(length[:, -1] > length[:, 0])),
        "ended_share": float(np.mean(length[:, -1] < p.max_words)),
    }


def _char_bigram(alpha: float) -> np.ndarray:
    """P(next | previous) over the 27 symbols, add-alpha smoothed; clauses framed by spaces."""
    idx = {c: i for i, c in enumerate(ALPHABET)}
    counts = np.zeros((27, 27))
    for c in corpus_clauses():
        s = " " + c + " "
        for a, b in zip(s, s[1:], strict=False):
            counts[idx[a], idx[b]] += 1
    counts += alpha
    return counts / counts.sum(axis=1, keepdims=True)


def _arithmetic_coding(p: CorpusParams, rng: np.random.Generator) -> Arrays:
    prob = _char_bigram(p.alpha)
    idx = {c: i for i, c in enumerate(ALPHABET)}
    prev = idx[" "]
    lo, width = 0.0, 1.0
    edges, chosen, probs, widths, lows = [], [], [], [], []
    for ch in p.message:
        q = prob[prev]
        cum = np.concatenate([[0.0], np.cumsum(q)])
        cum[-1] = 1.0
        j = idx[ch]
        edges.append(cum)
        chosen.append(j)
        probs.append(q[j])
        lo += width * cum[j]
        width *= q[j]
        widths.append(width)
        lows.append(lo)
        prev = j
    bits = -np.log2(np.array(widths))
    ideal = float(bits[-1])
    n = len(p.message)
    return {
        "edges": np.array(edges),
        "chosen": np.array(chosen),
        "symbols": np.array([c if c != " " else "_" for c in p.message]),
        "alphabet": np.array(["_" if c == " " else c for c in ALPHABET]),
        "prob": np.array(probs),
        "low": np.array(lows),
        "width": np.array(widths),
        "bits": bits,
        "step": np.arange(1, n + 1),
        "ideal_bits": ideal,
        "code_bits": math.ceil(ideal) + 1,
        "sum_surprisal": float(-np.sum(np.log2(probs))),
        "uniform_bits": n * math.log2(27),
        "bits_per_char": ideal / n,
        "n_chars": n,
    }


def _period(tokens: list[int], burn: int) -> int:
    """Smallest k such that the tail after ``burn`` repeats with period k (0 when none <= half)."""
    tail = tokens[burn:]
    for k in range(1, len(tail) // 2 + 1):
        if all(tail[i] == tail[i - k] for i in range(k, len(tail))):
            return k
    return 0


def _degeneration(p: CorpusParams, rng: np.random.Generator) -> Arrays:
    vocab, prob = _word_bigram(stream=True)
    with np.errstate(divide="ignore"):
        logp = np.log(prob)
    first = _known(vocab, p.start)
    greedy, sampled = [first], [first]
    for _ in range(p.length - 1):
        greedy.append(int(np.argmax(prob[greedy[-1]])))
        row = prob[sampled[-1]] ** (1.0 / p.temperature)
        sampled.append(int(rng.choice(len(vocab), p=row / row.sum())))
    g, s = np.array(greedy), np.array(sampled)
    period = _period(greedy, p.burn)
    lag = max(period, 1)

    def repeat(t: np.ndarray) -> float:
        tail = np.arange(max(p.burn, lag), len(t))
        return float(np.mean(t[tail] == t[tail - lag]))

    return {
        "sim_greedy": (g[:, None] == g[None, :]).astype(float),
        "sim_sampled": (s[:, None] == s[None, :]).astype(float),
        "repeat_greedy": (g[:, None] == g[None, :]) & ~np.eye(p.length, dtype=bool),
        "repeat_sampled": (s[:, None] == s[None, :]) & ~np.eye(p.length, dtype=bool),
        "greedy_words": np.array([vocab[i] for i in g]),
        "sampled_words": np.array([vocab[i] for i in s]),
        "position": np.arange(p.length),
        "greedy_period": period,
        "greedy_distinct": len(set(greedy)),
        "sampled_distinct": len(set(sampled)),
        "greedy_repeat": repeat(g),
        "sampled_repeat": repeat(s),
        "greedy_logp_mean": float(np.mean(logp[g[:-1], g[1:]])),
        "sampled_logp_mean": float(np.mean(logp[s[:-1], s[1:]])),
    }


def _ngram_novelty(p: CorpusParams, rng: np.random.Generator) -> Arrays:
    clauses = [c.split() if p.unit == "word" else list(c) for c in corpus_clauses()]
    orders = sorted(set(p.orders))
    shares = sorted(set(p.shares))
    if any(not 0.0 < s < 1.0 for s in shares):
        msg = "shares must lie strictly between 0 and 1"
        raise ValueError(msg)
    novel = np.zeros((p.splits, len(orders), len(shares)))
    for r in range(p.splits):
        perm = rng.permutation(len(clauses))
        for b, share in enumerate(shares):
            k = max(1, min(len(clauses) - 1, round(share * len(clauses))))
            train = [clauses[i] for i in perm[:k]]
            test = [clauses[i] for i in perm[k:]]
            for a, n in enumerate(orders):
                seen = {tuple(c[i:i + n]) for c in train for i in range(len(c) - n + 1)}
                grams = [tuple(c[i:i + n]) for c in test for i in range(len(c) - n + 1)]
                novel[r, a, b] = np.mean([g not in seen for g in grams]) if grams else np.nan
    frac = np.median(novel, axis=0)
    return {
        "novel": frac,
        "mostly_novel": frac > 0.5,
        "orders": np.array(orders),
        "shares": np.array(shares),
        "share_labels": np.array([f"{s:.0%}" for s in shares]),
        "novel_top_order": float(frac[-1, -1]),
        "novel_unigram": float(frac[0, -1]),
        "n_clauses": len(clauses),
    }


def _char_model(order: int) -> dict[str, dict[str, int]]:
    """Counts of the next character after every ``order`` characters (clauses padded by ^, ended by $)."""
    nxt: dict[str, dict[str, int]] = {}
    for c in corpus_clauses():
        s = "^" * order + c + "$"
        for i in range(order, len(s)):
            row = nxt.setdefault(s[i - order:i], {})
            row[s[i]] = row.get(s[i], 0) + 1
    return nxt


def _extraction(p: CorpusParams, rng: np.random.Generator) -> Arrays:
    prompts = [c for c in corpus_clauses() if len(c) >= p.prefix + p.generate]
    orders = sorted(set(p.orders))
    out: Arrays = {}
    share, median = [], []
    for a, order in enumerate(orders):
        model = _char_model(order)
        match = np.zeros((len(prompts), p.generate), int)
        for r, c in enumerate(prompts):
            ctx = ("^" * order + c)[: order + p.prefix]
            for t in range(p.generate):
                row = model.get(ctx[-order:], {})
                ch = min(row, key=lambda k: (-row[k], k)) if row else "?"
                match[r, t] = ch == c[p.prefix + t]
                ctx += ch
        run = np.where(match.all(axis=1), p.generate, np.argmin(match, axis=1))
        out[f"match_{a}"] = match
        share.append(float(np.mean(run == p.generate)))
        median.append(float(np.median(run)))
    out.update({
        "orders": np.array(orders),
        "verbatim_share": np.array(share),
        "median_run": np.array(median),
        "n_prompts": len(prompts),
        "generate": p.generate,
    })
    return out


def _next_token(p: CorpusParams, rng: np.random.Generator) -> Arrays:
    words = " ".join(corpus_clauses()).split()
    rows = []
    for ctx in p.contexts:
        c = ctx.split()
        if not c or any(not w.isalpha() for w in c):
            msg = f"context {ctx!r} must be words of letters"
            raise ValueError(msg)
        k = len(c)
        nxt: dict[str, int] = {}
        for i in range(len(words) - k):
            if words[i:i + k] == c:
                nxt[words[i + k]] = nxt.get(words[i + k], 0) + 1
        if not nxt:
            msg = f"context {ctx!r} does not occur in the corpus"
            raise ValueError(msg)
        rows.append(nxt)
    probs = [{w: n / sum(r.values()) for w, n in r.items()} for r in rows]
    total: dict[str, float] = {}
    for pr in probs:
        for w, q in pr.items():
            total[w] = total.get(w, 0.0) + q
    shown = sorted(total, key=lambda w: (-total[w], w))[: p.top - 1]
    after = np.array([[pr.get(w, 0.0) for w in shown] + [1.0 - sum(pr.get(w, 0.0) for w in shown)]
                      for pr in probs])
    after[:, -1] = np.maximum(after[:, -1], 0.0)
    ent = np.array([max(0.0, -sum(q * math.log2(q) for q in pr.values())) for pr in probs])
    uni: dict[str, int] = {}
    for w in words:
        uni[w] = uni.get(w, 0) + 1
    base = np.array([uni.get(w, 0) / len(words) for w in shown])
    base_entropy = -sum(n / len(words) * math.log2(n / len(words)) for n in uni.values())
    return {
        "vocab": np.array([*shown, "(rest)"]),
        "base": np.append(base, 1.0 - base.sum()),
        "after": after,
        "entropy": ent,
        "base_entropy": base_entropy,
        "entropies": np.concatenate([[base_entropy], ent]),
        "continuations": np.array([len(r) for r in rows]),
        "occurrences": np.array([sum(r.values()) for r in rows]),
        "top_prob": np.array([max(pr.values()) for pr in probs]),
    }


CORPUS_EXPERIMENTS: dict[str, Callable[[CorpusParams, np.random.Generator], Arrays]] = {
    "beam-search": _beam_search,
    "beam-length": _beam_length,
    "arithmetic-coding": _arithmetic_coding,
    "degeneration": _degeneration,
    "ngram-novelty": _ngram_novelty,
    "extraction": _extraction,
    "next-token": _next_token,
}


@recipe("lm-corpus", CorpusParams)
def lm_corpus(p: CorpusParams, rng: np.random.Generator) -> Arrays:
    """Count models of the embedded corpus, decoded or used to code (see the module docstring)."""
    return CORPUS_EXPERIMENTS[p.experiment](p, rng)


# -- lm-figure ------------------------------------------------------------------------------------


class FigureParams(Params):
    """Which structure, and its settings (each experiment reads the ones it names)."""

    experiment: Literal["mlm-masking", "position-interpolation", "perplexity-simplex",
                        "parity-scratchpad", "speculative-speedup", "attention-dilution",
                        "exposure-bias"]
    sequences: int = Field(16, ge=2, le=64, description="mlm-masking: rows")
    length: int = Field(32, ge=4, le=128, description="mlm-masking: tokens per row")
    mask_rate: float = Field(0.15, ge=0.01, le=0.5, description="mlm-masking: share chosen")
    p_mask: float = Field(0.8, ge=0.0, le=1.0, description="mlm-masking: chosen -> [MASK]")
    p_random: float = Field(0.1, ge=0.0, le=1.0, description="mlm-masking: chosen -> random token")
    dim: int = Field(32, ge=4, le=128, description="position-interpolation: head dimension (even)")
    base: float = Field(10000.0, ge=10.0, le=1e6, description="position-interpolation: RoPE base")
    train_len: int = Field(512, ge=16, le=8192, description="position-interpolation: L")
    scale: float = Field(2.0, gt=1.0, le=16.0, description="position-interpolation: s")
    columns: int = Field(48, ge=8, le=128, description="position-interpolation: positions drawn")
    bits: tuple[int, ...] = Field((4, 6, 8, 10, 12, 14), min_length=2, max_length=10,
                                  description="parity-scratchpad: string lengths")
    n_train: int = Field(256, ge=8, le=1024, description="parity-scratchpad: training strings at most")
    hidden: int = Field(32, ge=4, le=128, description="parity-scratchpad: tanh units")
    steps: int = Field(1000, ge=50, le=5000, description="parity-scratchpad: gradient steps")
    lr: float = Field(0.5, gt=0.0, le=5.0, description="parity-scratchpad: step size")
    alphas: tuple[float, ...] = Field((0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), min_length=2,
                                      max_length=12, description="speculative-speedup: acceptance rates")
    gammas: tuple[int, ...] = Field((1, 2, 3, 4, 5, 6, 7, 8, 10), min_length=2, max_length=12,
                                    description="speculative-speedup: tokens drafted per step")
    cost: float = Field(0.2, gt=0.0, le=1.0, description="speculative-speedup: draft / target time")
    lengths: tuple[int, ...] = Field((4, 16, 64, 256, 1024, 4096, 16384), min_length=2, max_length=12,
                                     description="attention-dilution: keys n")
    margins: tuple[float, ...] = Field((0.5, 0.75, 1.0, 1.5, 2.0, 3.0), min_length=2, max_length=10,
                                       description="attention-dilution: logit margin of the one key")
    symbols: int = Field(6, ge=3, le=12, description="exposure-bias: alphabet size")
    allowed: int = Field(2, ge=1, le=8, description="exposure-bias: successors a context allows")
    train_seqs: int = Field(100, ge=10, le=5000, description="exposure-bias: training sequences")
    horizon: int = Field(40, ge=5, le=200, description="exposure-bias: tokens generated")
    smoothing: float = Field(0.5, gt=0.0, le=5.0, description="exposure-bias: add-alpha counts")
    rollouts: int = Field(1000, ge=20, le=5000, description="exposure-bias: sampled sequences")
    grid: int = Field(121, ge=21, le=301, description="perplexity-simplex: grid points per axis")
    logits: tuple[float, float, float] = Field((2.0, 1.0, -0.5), description="perplexity-simplex")


def _mlm_masking(p: FigureParams, rng: np.random.Generator) -> Arrays:
    if p.p_mask + p.p_random > 1.0:
        msg = "p_mask + p_random must not exceed 1"
        raise ValueError(msg)
    chosen = rng.random((p.sequences, p.length)) < p.mask_rate
    u = rng.random((p.sequences, p.length))
    codes = np.where(u < p.p_mask, 1, np.where(u < p.p_mask + p.p_random, 2, 3))
    codes = np.where(chosen, codes, 0)
    k = max(int(chosen.sum()), 1)
    return {
        "codes": codes,
        "chosen_frac": float(chosen.mean()),
        "n_chosen": int(chosen.sum()),
        "mask_share": float(np.sum(codes == 1) / k),
        "random_share": float(np.sum(codes == 2) / k),
        "keep_share": float(np.sum(codes == 3) / k),
        "mask_rate": p.mask_rate,
        "p_mask": p.p_mask,
        "p_random": p.p_random,
    }


def _position_interpolation(p: FigureParams, rng: np.random.Generator) -> Arrays:
    if p.dim % 2:
        msg = "dim must be even"
        raise ValueError(msg)
    pairs = p.dim // 2
    theta = p.base ** (-2.0 * np.arange(pairs) / p.dim)
    L = p.train_len  # noqa: N806 - the paper's name
    longest = int(round(p.scale * L))
    train_pos = np.linspace(0, L - 1, p.columns)
    extra_pos = np.linspace(L, longest - 1, p.columns)
    interp_pos = np.linspace(0, longest - 1, p.columns) / p.scale
    seen_max = L * theta  # the trained window [0, L) in angle, per pair
    slow = seen_max < 2 * math.pi  # pairs whose training angles never wrap

    def unseen(pos: np.ndarray) -> np.ndarray:
        return slow[:, None] & (pos[None, :] * theta[:, None] > seen_max[:, None] + 1e-9)

    ue, ui = unseen(extra_pos), unseen(interp_pos)
    rows = np.flatnonzero(ue.any(axis=1))
    return {
        "cos_train": np.cos(train_pos[None, :] * theta[:, None]),
        "cos_extra": np.cos(extra_pos[None, :] * theta[:, None]),
        "cos_interp": np.cos(interp_pos[None, :] * theta[:, None]),
        "unseen_train": unseen(train_pos),
        "unseen_extra": ue,
        "unseen_interp": ui,
        "n_unseen_extra": int(ue.sum()),
        "n_unseen_interp": int(ui.sum()),
        "unseen_pairs": int(rows.size),
        "first_unseen_pair": int(rows[0]) if rows.size else -1,
        "slow_pairs": int(slow.sum()),
        "theta": theta,
        "pair": np.arange(pairs),
        "pos_train": np.round(train_pos).astype(int),
        "pos_extra": np.round(extra_pos).astype(int),
        "pos_interp": np.round(interp_pos * p.scale).astype(int),
        "max_interp_pos": float(interp_pos.max()),
        "train_len": L,
        "longest": longest,
    }


def _entropy_bits(q: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q > 0, -q * np.log2(np.where(q > 0, q, 1.0)), 0.0)
    return terms.sum(axis=-1)


def _perplexity_simplex(p: FigureParams, rng: np.random.Generator) -> Arrays:
    g = np.linspace(0.0, 1.0, p.grid)
    a, b = np.meshgrid(g, g)  # a along x, b along y
    c = 1.0 - a - b
    q = np.stack([a, b, np.clip(c, 0.0, 1.0)], axis=-1)
    ppl = np.where(c >= -1e-12, 2.0 ** _entropy_bits(q), np.nan)
    temps = np.geomspace(0.05, 50.0, 120)
    z = np.array(p.logits)[None, :] / temps[:, None]
    z -= z.max(axis=1, keepdims=True)
    path = np.exp(z)
    path /= path.sum(axis=1, keepdims=True)
    marks = np.array([[1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    return {
        "grid_x": g,
        "grid_y": g,
        "ppl": ppl,
        "temp": temps,
        "temp_path": path[:, :2],
        "temp_ppl": 2.0 ** _entropy_bits(path),
        "marks": marks[:, :2],
        "mark_ppl": 2.0 ** _entropy_bits(marks),
        "ppl_max": float(np.nanmax(ppl)),
        "ppl_min": float(np.nanmin(ppl)),
        "edge": np.array([[0.0, 1.0], [1.0, 0.0]]),
    }


def _train_mlp(x: np.ndarray, y: np.ndarray, w: np.ndarray, p: FigureParams,
               rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """One tanh hidden layer, logistic output, full-batch gradient descent on the weighted
    cross-entropy (weights ``w`` sum to one); returns the 0/1 classifier."""
    d = x.shape[1]
    w1 = rng.standard_normal((d, p.hidden)) / math.sqrt(d)
    b1 = np.zeros(p.hidden)
    w2 = rng.standard_normal(p.hidden) / math.sqrt(p.hidden)
    b2 = 0.0
    for _ in range(p.steps):
        h = np.tanh(x @ w1 + b1)
        g = (1.0 / (1.0 + np.exp(-(h @ w2 + b2))) - y) * w
        gh = np.outer(g, w2) * (1.0 - h**2)
        w2 = w2 - p.lr * (h.T @ g)
        b2 = b2 - p.lr * float(g.sum())
        w1 = w1 - p.lr * (x.T @ gh)
        b1 = b1 - p.lr * gh.sum(axis=0)

    def predict(z: np.ndarray) -> np.ndarray:
        return ((np.tanh(z @ w1 + b1) @ w2 + b2) > 0).astype(int)

    return predict


def _parity_scratchpad(p: FigureParams, rng: np.random.Generator) -> Arrays:
    bits = sorted(set(p.bits))
    tr_direct, te_direct, te_scratch, step_acc, n_tr = [], [], [], [], []
    for n in bits:
        total = 2**n
        k = min(p.n_train, total // 2)
        codes = rng.permutation(total)
        table = (np.arange(total)[:, None] >> np.arange(n)) & 1
        train, test = table[codes[:k]], table[codes[k:k + 2048]]
        y_train, y_test = train.sum(axis=1) % 2, test.sum(axis=1) % 2
        direct = _train_mlp(2.0 * train - 1, y_train, np.full(k, 1.0 / k), p, rng)
        tr_direct.append(float(np.mean(direct(2.0 * train - 1) == y_train)))
        te_direct.append(float(np.mean(direct(2.0 * test - 1) == y_test)))
        # Scratchpad: the same network learns one step (parity so far, next bit) -> parity,
        # from every step of the training strings; the steps' four inputs carry their counts.
        running = np.cumsum(train, axis=1) % 2
        before = np.concatenate([np.zeros((k, 1), int), running[:, :-1]], axis=1)
        pairs = np.stack([before.ravel(), train.ravel()], axis=1)
        seen, counts = np.unique(pairs, axis=0, return_counts=True)
        step = _train_mlp(2.0 * seen - 1, seen.sum(axis=1) % 2, counts / counts.sum(), p, rng)
        step_acc.append(float(np.mean(step(2.0 * pairs - 1) == running.ravel())))
        par = np.zeros(len(test), int)
        for i in range(n):  # the model reads its own previous step, never the true one
            par = step(2.0 * np.stack([par, test[:, i]], axis=1) - 1)
        te_scratch.append(float(np.mean(par == y_test)))
        n_tr.append(k)
    return {
        "bits": np.array(bits),
        "n_train_strings": np.array(n_tr),
        "train_acc_direct": np.array(tr_direct),
        "test_acc_direct": np.array(te_direct),
        "test_acc_scratchpad": np.array(te_scratch),
        "step_acc_scratchpad": np.array(step_acc),
        "chance": np.full(len(bits), 0.5),
        "accuracy": np.array([tr_direct, te_direct, te_scratch]),
        "accuracy_names": np.array(["direct, trained strings", "direct, new strings",
                                    "scratchpad, new strings"]),
        "accuracy_lit": np.array([[False] * len(bits), [False] * len(bits), [True] * len(bits)]),
    }


def _speculative_speedup(p: FigureParams, rng: np.random.Generator) -> Arrays:
    alphas = np.array(sorted(set(p.alphas)))
    gammas = np.array(sorted(set(p.gammas)))
    if alphas.min() <= 0.0 or alphas.max() >= 1.0:
        msg = "alphas must lie strictly between 0 and 1"
        raise ValueError(msg)
    a, g = alphas[:, None], gammas[None, :].astype(float)
    tokens = (1.0 - a ** (g + 1.0)) / (1.0 - a)  # expected tokens per target run
    speedup = tokens / (g * p.cost + 1.0)  # walltime improvement factor
    best = speedup == speedup.max(axis=1, keepdims=True)
    return {
        "speedup": speedup,
        "excess": speedup - 1.0,
        "tokens": tokens,
        "best": best,
        "alphas": alphas,
        "gammas": gammas,
        "alpha_labels": np.array([f"{v:.1f}" for v in alphas]),
        "best_gamma": gammas[np.argmax(speedup, axis=1)],
        "best_speedup": speedup.max(axis=1),
        "gamma1_bound": (1.0 + alphas) / (1.0 + p.cost),
        "cost": p.cost,
        "speedup_max": float(speedup.max()),
    }


def _attention_dilution(p: FigureParams, rng: np.random.Generator) -> Arrays:
    n = np.array(sorted(set(p.lengths)), float)[:, None]
    m = np.array(sorted(set(p.margins)), float)[None, :]
    plain = np.exp(m) / (np.exp(m) + n - 1.0)  # one key m above n - 1 equal others
    scaled = n**m / (n**m + n - 1.0)  # the same logits multiplied by log n
    return {
        "plain": plain,
        "scaled": scaled,
        "plain_major": plain > 0.5,
        "scaled_major": scaled > 0.5,
        "lengths": n.ravel().astype(int),
        "margins": m.ravel(),
        "margin_labels": np.array([f"{v:g}" for v in m.ravel()]),
    }


def _exposure_bias(p: FigureParams, rng: np.random.Generator) -> Arrays:
    if p.allowed >= p.symbols:
        msg = "allowed must be below symbols"
        raise ValueError(msg)
    v = p.symbols
    # The source: the next token depends on the last two; each pair allows ``allowed`` tokens.
    allow = np.zeros((v, v, v), bool)
    for a in range(v):
        for b in range(v):
            allow[a, b, rng.choice(v, p.allowed, replace=False)] = True
    cum_true = np.cumsum(allow / allow.sum(axis=2, keepdims=True), axis=2)

    def draw(cum: np.ndarray) -> np.ndarray:
        return np.minimum((cum < rng.random((cum.shape[0], 1))).sum(axis=1), v - 1)

    # The model: counts of the next token after the last three, from teacher-forced sequences.
    counts = np.zeros((v, v, v, v))
    x = np.zeros((p.train_seqs, 3), int)
    for t in range(p.horizon + 1):
        c = draw(cum_true[x[:, 1], x[:, 2]])
        if t >= 1:
            np.add.at(counts, (x[:, 0], x[:, 1], x[:, 2], c), 1.0)
        x = np.stack([x[:, 1], x[:, 2], c], axis=1)
    model = (counts + p.smoothing) / (counts + p.smoothing).sum(axis=3, keepdims=True)
    seen = counts.sum(axis=3) > 0
    forbidden_mass = 1.0 - (model * allow[None]).sum(axis=3)
    cum_model = np.cumsum(model, axis=3)

    def run(teacher: bool) -> tuple[np.ndarray, np.ndarray]:
        x = np.zeros((p.rollouts, 3), int)
        for _ in range(3):  # a start drawn from the source, as in training
            x = np.stack([x[:, 1], x[:, 2], draw(cum_true[x[:, 1], x[:, 2]])], axis=1)
        err, unseen = np.zeros(p.horizon), np.zeros(p.horizon)
        for t in range(p.horizon):
            ctx = (x[:, 0], x[:, 1], x[:, 2])
            err[t] = forbidden_mass[ctx].mean()
            unseen[t] = 1.0 - seen[ctx].mean()
            c = draw(cum_true[x[:, 1], x[:, 2]] if teacher else cum_model[ctx])
            x = np.stack([x[:, 1], x[:, 2], c], axis=1)
        return err, unseen

    tf_err, tf_unseen = run(teacher=True)
    fr_err, fr_unseen = run(teacher=False)
    return {
        "position": np.arange(1, p.horizon + 1),
        "error_teacher": tf_err,
        "error_free": fr_err,
        "unseen_teacher": tf_unseen,
        "unseen_free": fr_unseen,
        "error_teacher_mean": float(tf_err[10:].mean()),
        "error_free_mean": float(fr_err[10:].mean()),
        "unseen_free_mean": float(fr_unseen[10:].mean()),
        "contexts_seen": float(seen.mean()),
    }


FIGURE_EXPERIMENTS: dict[str, Callable[[FigureParams, np.random.Generator], Arrays]] = {
    "mlm-masking": _mlm_masking,
    "position-interpolation": _position_interpolation,
    "perplexity-simplex": _perplexity_simplex,
    "parity-scratchpad": _parity_scratchpad,
    "speculative-speedup": _speculative_speedup,
    "attention-dilution": _attention_dilution,
    "exposure-bias": _exposure_bias,
}


@recipe("lm-figure", FigureParams)
def lm_figure(p: FigureParams, rng: np.random.Generator) -> Arrays:
    """Exact or simulated structures of language models (see the module docstring)."""
    return FIGURE_EXPERIMENTS[p.experiment](p, rng)

