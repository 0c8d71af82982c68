"""The ``text-statistics`` recipe and the small corpus it reads: n-gram cross-entropy, byte-pair
encoding and Heaps' law, computed on the clauses of :data:`CORPUS` (also read by ``lm-matrix`` and
the decoding recipes).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

# -- text statistics: n-gram entropy, BPE, Heaps' law -------------------------------------------

#: The embedded English text the corpus experiments read: the Gettysburg Address, the opening of
#: the Declaration of Independence, the Preamble of the US Constitution and the last paragraph of
#: Lincoln's second inaugural address (all public domain), 3,530 characters.
CORPUS = (
    "Four score and seven years ago our fathers brought forth on this continent, a new nation, "
    "conceived in Liberty, and dedicated to the proposition that all men are created equal. "
    "Now we are engaged in a great civil war, testing whether that nation, or any nation so "
    "conceived and so dedicated, can long endure. We are met on a great battle-field of that war. "
    "We have come to dedicate a portion of that field, as a final resting place for those who here "
    "gave their lives that that nation might live. It is altogether fitting and proper that we "
    "should do this. But, in a larger sense, we can not dedicate, we can not consecrate, we can not "
    "hallow this ground. The brave men, living and dead, who struggled here, have consecrated it, "
    "far above our poor power to add or detract. The world will little note, nor long remember what "
    "we say here, but it can never forget what they did here. It is for us the living, rather, to "
    "be dedicated here to the unfinished work which they who fought here have thus far so nobly "
    "advanced. It is rather for us to be here dedicated to the great task remaining before us, that "
    "from these honored dead we take increased devotion to that cause for which they gave the last "
    "full measure of devotion, that we here highly resolve that these dead shall not have died in "
    "vain, that this nation, under God, shall have a new birth of freedom, and that government of "
    "the people, by the people, for the people, shall not perish from the earth. "
    "When in the Course of human events, it becomes necessary for one people to dissolve the "
    "political bands which have connected them with another, and to assume among the powers of the "
    "earth, the separate and equal station to which the Laws of Nature and of Nature's God entitle "
    "them, a decent respect to the opinions of mankind requires that they should declare the causes "
    "which impel them to the separation. We hold these truths to be self-evident, that all men are "
    "created equal, that they are endowed by their Creator with certain unalienable Rights, that "
    "among these are Life, Liberty and the pursuit of Happiness. That to secure these rights, "
    "Governments are instituted among Men, deriving their just powers from the consent of the "
    "governed, That whenever any Form of Government becomes destructive of these ends, it is the "
    "Right of the People to alter or to abolish it, and to institute new Government, laying its "
    "foundation on such principles and organizing its powers in such form, as to them shall seem "
    "most likely to effect their Safety and Happiness. Prudence, indeed, will dictate that "
    "Governments long established should not be changed for light and transient causes; and "
    "accordingly all experience hath shewn, that mankind are more disposed to suffer, while evils "
    "are sufferable, than to right themselves by abolishing the forms to which they are accustomed. "
    "We the People of the United States, in Order to form a more perfect Union, establish Justice, "
    "insure domestic Tranquility, provide for the common defence, promote the general Welfare, and "
    "secure the Blessings of Liberty to ourselves and our Posterity, do ordain and establish this "
    "Constitution for the United States of America. "
    "With malice toward none, with charity for all, with firmness in the right as God gives us to "
    "see the right, let us strive on to finish the work we are in, to bind up the nation's wounds, "
    "to care for him who shall have borne the battle and for his widow and his orphan, to do all "
    "which may achieve and cherish a just and lasting peace among ourselves and with all nations. "
)


def corpus_clauses() -> list[str]:
    """The corpus cut at commas, full stops and semicolons, lower-cased, letters and spaces only."""
    out = []
    for c in re.split(r"[,.;]", CORPUS.lower()):
        c = re.sub(r" +", " ", re.sub(r"[^a-z ]+", " ", c)).strip()
        if c:
            out.append(c)
    return out


def split_clauses(rng: np.random.Generator, held_out: float) -> tuple[list[str], list[str]]:
    """A random train / held-out split of the clauses (the only use of the generator)."""
    clauses = corpus_clauses()
    order = rng.permutation(len(clauses))
    k = len(clauses) - max(1, round(held_out * len(clauses)))
    return [clauses[i] for i in order[:k]], [clauses[i] for i in order[k:]]


def ngram_cross_entropy(train: list[str], test: list[str], order: int, alpha: float,
                        alphabet: int) -> float:
    """Bits per character of ``test`` under an additively smoothed character n-gram model.

    The model predicts each character from the ``order`` characters before it (clauses padded
    with spaces on the left and ended by one space), P = (count + alpha) / (context + alpha V).
    """
    joint: Counter[str] = Counter()
    ctx: Counter[str] = Counter()
    for s in train:
        s = " " * order + s + " "
        for i in range(order, len(s)):
            joint[s[i - order:i + 1]] += 1
            ctx[s[i - order:i]] += 1
    bits = 0.0
    n = 0
    for s in test:
        s = " " * order + s + " "
        for i in range(order, len(s)):
            q = (joint[s[i - order:i + 1]] + alpha) / (ctx[s[i - order:i]] + alpha * alphabet)
            bits -= math.log2(q)
            n += 1
    return bits / n


def bpe_learn(train: list[str], test: list[str], merges: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Byte-pair encoding (Sennrich et al. 2016) learned on ``train``'s words, applied to both.

    Words end with the marker ``_``; each step merges the most frequent adjacent pair of symbols
    in the training words (ties broken by the pair itself, so the run is deterministic). Returns
    tokens per word on the training and held-out words after 0 .. merges merges, and the merges.
    """
    freq = Counter(w for c in train for w in c.split())
    held = Counter(w for c in test for w in c.split())
    words = {w: [*w, "_"] for w in freq}
    other = {w: [*w, "_"] for w in held}

    def tokens(ws: dict[str, list[str]], f: Counter[str]) -> float:
        return sum(len(ws[w]) * f[w] for w in ws) / sum(f.values())

    tr, te, rules = [tokens(words, freq)], [tokens(other, held)], []
    for _ in range(merges):
        pairs: Counter[tuple[str, str]] = Counter()
        for w, sy in words.items():
            for a, b in zip(sy, sy[1:], strict=False):
                pairs[(a, b)] += freq[w]
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        rules.append(best[0] + best[1])
        for d in (words, other):
            for w, sy in d.items():
                if best[0] not in sy:
                    continue
                out, i = [], 0
                while i < len(sy):
                    if i + 1 < len(sy) and sy[i] == best[0] and sy[i + 1] == best[1]:
                        out.append(best[0] + best[1])
                        i += 2
                    else:
                        out.append(sy[i])
                        i += 1
                d[w] = out
        tr.append(tokens(words, freq))
        te.append(tokens(other, held))
    return np.asarray(tr), np.asarray(te), rules


class TextParams(Params):
    """Which text experiment, and its settings (each is used by the experiments that name it)."""

    experiment: Literal["ngram-entropy", "bpe", "heaps"]
    held_out: float = Field(0.2, ge=0.05, le=0.5, description="fraction of clauses held out")
    max_order: int = Field(6, ge=1, le=8, description="ngram-entropy: orders 0 .. max_order")
    alpha: float = Field(0.05, gt=0.0, le=10.0, description="ngram-entropy: additive smoothing")
    merges: int = Field(200, ge=1, le=400, description="bpe: number of merges")
    vocab: int = Field(20000, ge=100, le=200000, description="heaps: Zipf vocabulary size")
    zipf_exponent: float = Field(1.0, ge=0.5, le=2.5, description="heaps: Zipf exponent")
    tokens: int = Field(100000, ge=1000, le=1000000, description="heaps: tokens drawn")


@recipe("text-statistics", TextParams)
def text_statistics(p: TextParams, rng: np.random.Generator) -> Arrays:
    """Counting experiments on text: what a language model of counts can and cannot learn.

    * ``ngram-entropy`` — bits per character of a random held-out fifth of the embedded text's
      clauses under character n-gram models of order 0 .. ``max_order`` trained on the rest
      (``held_out_bits``), and the same models on their own training text (``train_bits``,
      maximum likelihood, alpha 1e-6): Shannon's (1951) entropy by order, with the overfitting
      a finite corpus adds;
    * ``bpe`` — tokens per word as byte-pair merges are learned on the training clauses
      (``train_tokens``) and applied to held-out ones (``held_out_tokens``); ``merge_index``;
    * ``heaps`` — distinct words among the first n of ``tokens`` draws from a Zipf law
      (``n_tokens``, ``vocabulary``), with the log-log slope ``heaps_beta`` (Heaps 1978).

    The generator draws the split (or the sample), so each seed is a different corpus draw.
    """
    if p.experiment == "heaps":
        prob = np.arange(1, p.vocab + 1, dtype=float) ** -p.zipf_exponent
        prob /= prob.sum()
        draws = rng.choice(p.vocab, size=p.tokens, p=prob)
        new = np.zeros(p.tokens, bool)
        _, idx = np.unique(draws, return_index=True)
        new[idx] = True
        vocab_curve = np.cumsum(new)
        n = np.unique(np.geomspace(10, p.tokens, 60).astype(int))
        v = vocab_curve[n - 1].astype(float)
        half = n >= p.tokens // 100
        beta = float(np.polyfit(np.log(n[half]), np.log(v[half]), 1)[0])
        return {"n_tokens": n.astype(float), "vocabulary": v, "heaps_beta": beta,
                "heaps_k": float(v[-1] / n[-1] ** beta), "fit": v[-1] * (n / n[-1]) ** beta,
                "final_vocabulary": float(v[-1]), "vocab_size": float(p.vocab),
                "fit_from": float(p.tokens // 100)}
    train, test = split_clauses(rng, p.held_out)
    if p.experiment == "ngram-entropy":
        alphabet = len(set(" ".join(corpus_clauses())))
        orders = np.arange(p.max_order + 1)
        held = np.array([ngram_cross_entropy(train, test, int(k), p.alpha, alphabet) for k in orders])
        fit = np.array([ngram_cross_entropy(train, train, int(k), 1e-6, alphabet) for k in orders])
        best = int(np.argmin(held))
        return {"order": orders.astype(float), "held_out_bits": held, "train_bits": fit,
                "best_order": float(best), "best_bits": float(held[best]),
                "uniform_bits": math.log2(alphabet), "alphabet": float(alphabet),
                "held_out_perplexity": 2.0**held, "gap": held - fit}
    tr, te, rules = bpe_learn(train, test, p.merges)
    return {"merge_index": np.arange(tr.size, dtype=float), "train_tokens": tr, "held_out_tokens": te,
            "merges_learned": float(len(rules)),
            "train_final": float(tr[-1]), "held_out_final": float(te[-1]),
            "train_shrink": float(tr[0] / tr[-1]), "held_out_shrink": float(te[0] / te[-1]),
            "chars_per_word": float(tr[0])}
