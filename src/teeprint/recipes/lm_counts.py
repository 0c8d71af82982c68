"""``lm-corpus`` experiments that count characters and words of the embedded corpus: arithmetic
coding with a character bigram, n-gram novelty of held-out text, verbatim extraction by
character n-gram models, and next-word distributions after a context; also the corpus
alphabet and the ``lm-corpus`` parameter model.  Each experiment is documented in
:mod:`teeprint.recipes.lm_decoding`, which registers the recipe.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params
from teeprint.recipes.lm_text import corpus_clauses

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
