"""Language models: decoding, coding and masking computed on the archive's small embedded corpus.

The recipe ``lm-corpus``, a table of experiments picked by ``experiment``:

``lm-corpus`` - count models of the embedded corpus (``lm_text.CORPUS``, 78 clauses):

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

The beam-search and degeneration experiments live here; arithmetic coding, n-gram novelty,
extraction and next-token counts, with the parameter model, in
:mod:`teeprint.recipes.lm_counts`.  The second engine, ``lm-figure``, is
:mod:`teeprint.recipes.lm_figures`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from teeprint.recipes import Arrays, recipe
from teeprint.recipes.lm_counts import (
    CorpusParams,
    _arithmetic_coding,
    _extraction,
    _next_token,
    _ngram_novelty,
)
from teeprint.recipes.lm_text import corpus_clauses


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
