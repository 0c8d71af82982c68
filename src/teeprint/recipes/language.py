"""Recipes of the language-model family: what counting, metrics and compute laws imply.

None of these needs a trained model: each phenomenon follows from a law that can be written
down (a Zipf distribution of facts, a per-token error power law, a fitted loss surface), so the
figure is that law evaluated, with every constant in the specimen's parameters.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

# -- hallucination ------------------------------------------------------------------------------


class HallucinationParams(Params):
    """Facts drawn from a Zipf law; how much of the law the sample never saw."""

    n_facts: int = Field(20000, ge=100, le=500000)
    n_draws: int = Field(50000, ge=100, le=2000000)
    zipf_exponent: float = Field(1.1, ge=0.3, le=3.0)


@recipe("hallucination", HallucinationParams)
def hallucination(p: HallucinationParams, rng: np.random.Generator) -> Arrays:
    """Monofact (Good-Turing) rate against the true probability mass of facts never seen.

    A model trained on the sample cannot know the facts it never met, yet must put some mass on
    "facts like these".  The fraction of the sample seen exactly once estimates that unseen mass
    (Good 1953), and Kalai & Vempala (2024) show a calibrated model's hallucination rate is
    bounded below by about this monofact rate.  The singletons are the tail of the staircase.
    """
    ranks = np.arange(1, p.n_facts + 1)
    prob = ranks.astype(float) ** -p.zipf_exponent
    prob /= prob.sum()
    counts_by_fact = rng.multinomial(p.n_draws, prob)
    seen = counts_by_fact > 0
    counts = np.sort(counts_by_fact[seen])[::-1]
    singletons = int(np.sum(counts == 1))
    first_single = int(np.argmax(counts == 1)) + 1 if singletons else int(counts.size)
    return {
        "rank": np.arange(1, counts.size + 1),
        "count": counts,
        "true_rank": ranks,
        "expected_count": p.n_draws * prob,
        "n_seen": int(seen.sum()),
        "n_singletons": singletons,
        "singleton_rank": first_single,
        "monofact_rate": singletons / p.n_draws,
        "unseen_mass": float(prob[~seen].sum()),
    }


# -- emergence and its mirage -------------------------------------------------------------------


class EmergenceParams(Params):
    """A per-token error power law, scored per token and by exact match of a whole answer."""

    eps0: float = Field(0.33, gt=0.0, lt=1.0, description="per-token error at n_ref")
    n_ref: float = Field(1e6, gt=0.0)
    alpha: float = Field(0.65, gt=0.0, le=3.0)
    answer_tokens: int = Field(10, ge=1, le=1000)
    n_min: float = Field(1e6, gt=0.0)
    n_max: float = Field(1e10, gt=0.0)
    points: int = Field(241, ge=20, le=5000)

    @model_validator(mode="after")
    def _range(self) -> EmergenceParams:
        if self.n_max <= self.n_min:
            msg = "n_max must exceed n_min"
            raise ValueError(msg)
        return self


def window_rise(x_log10: np.ndarray, y: np.ndarray, decades: float) -> float:
    """The largest increase of y over any window of the given width in decades of x."""
    ends = np.interp(x_log10 + decades, x_log10, y, right=np.nan)
    ok = np.isfinite(ends)
    return float(np.max(ends[ok] - y[ok])) if np.any(ok) else 0.0


@recipe("emergence-mirage", EmergenceParams)
def emergence_mirage(p: EmergenceParams, rng: np.random.Generator) -> Arrays:
    """Token accuracy 1 - eps(N) against exact match (1 - eps(N))^L on the same model family.

    The underlying per-token error falls as a smooth power law; scoring an L-token answer as all
    or nothing raises it to the L-th power, which stays near zero and then shoots up: an
    apparent emergent ability made by the metric (Schaeffer, Miranda & Koyejo 2023).  The rng
    is unused: the figure is the closed form.
    """
    n = np.geomspace(p.n_min, p.n_max, p.points)
    eps = np.minimum(p.eps0 * (n / p.n_ref) ** -p.alpha, 1.0)
    token = 1.0 - eps
    exact = token**p.answer_tokens
    lg = np.log10(n)
    return {
        "n": n,
        "token_error": eps,
        "token_accuracy": token,
        "exact_match": exact,
        "answer_tokens": p.answer_tokens,
        "n_half": float(10 ** np.interp(0.5, exact, lg)) if exact[0] < 0.5 < exact[-1] else float("nan"),
        "token_max_slope": float(np.max(np.diff(token) / np.diff(lg))),
        "exact_max_slope": float(np.max(np.diff(exact) / np.diff(lg))),
        "token_rise_2dec": window_rise(lg, token, 2.0),
        "exact_rise_2dec": window_rise(lg, exact, 2.0),
    }


# -- scaling laws -------------------------------------------------------------------------------


class ScalingParams(Params):
    """The Chinchilla loss surface L(N, D) = E + A / N^a + B / D^b and its IsoFLOP slices."""

    e: float = Field(1.69, ge=0.0, le=10.0)
    a_coef: float = Field(406.4, gt=0.0, le=1e6)
    b_coef: float = Field(410.7, gt=0.0, le=1e6)
    a: float = Field(0.34, gt=0.01, le=2.0)
    b: float = Field(0.28, gt=0.01, le=2.0)
    c_min_log10: int = Field(18, ge=10, le=30)
    c_max_log10: int = Field(24, ge=11, le=32)
    n_min: float = Field(1e7, gt=0.0)
    n_max: float = Field(1e13, gt=0.0)
    points: int = Field(301, ge=50, le=5000)
    window_decades: float = Field(1.5, gt=0.1, le=6.0)

    @model_validator(mode="after")
    def _ranges(self) -> ScalingParams:
        if self.c_max_log10 <= self.c_min_log10 or self.n_max <= self.n_min:
            msg = "need c_max_log10 > c_min_log10 and n_max > n_min"
            raise ValueError(msg)
        return self


@recipe("scaling-laws", ScalingParams)
def scaling_laws(p: ScalingParams, rng: np.random.Generator) -> Arrays:
    """IsoFLOP curves of the Chinchilla fit and the compute-optimal model size through their minima.

    At fixed compute C ~ 6 N D, a bigger model sees fewer tokens, so loss against N is a
    valley; the valleys' floors trace N_opt ~ C^(b/(a+b)) (Hoffmann et al. 2022, approach 3).
    Each curve is kept within ``window_decades`` of its own minimum so the valleys read
    separately.  The rng is unused: the figure is the closed form.
    """
    n = np.geomspace(p.n_min, p.n_max, p.points)
    budgets = 10.0 ** np.arange(p.c_min_log10, p.c_max_log10 + 1)
    tokens = budgets[:, None] / (6.0 * n[None, :])
    loss = p.e + p.a_coef / n[None, :] ** p.a + p.b_coef / tokens**p.b
    # The exact optimum: d/dN [A N^-a + B (C/6N)^-b] = 0.
    g = (p.a * p.a_coef / (p.b * p.b_coef)) ** (1.0 / (p.a + p.b))
    n_opt = g * (budgets / 6.0) ** (p.b / (p.a + p.b))
    d_opt = budgets / (6.0 * n_opt)
    loss_opt = p.e + p.a_coef / n_opt**p.a + p.b_coef / d_opt**p.b
    grid_min = np.argmin(loss, axis=1)
    far = np.abs(np.log10(n[None, :]) - np.log10(n[grid_min])[:, None]) > p.window_decades
    shown = np.where(far, np.nan, loss)
    slope = np.polyfit(np.log10(budgets), np.log10(n[grid_min]), 1)[0]
    return {
        "n": n,
        "compute": budgets,
        "isoflop": loss,
        "isoflop_shown": shown,
        "n_opt": n_opt,
        "d_opt": d_opt,
        "loss_opt": loss_opt,
        "n_opt_grid": n[grid_min],
        "exponent": p.b / (p.a + p.b),
        "exponent_fit": float(slope),
        "tokens_per_param": d_opt / n_opt,
    }


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
            "merges_learned": float(len(rules)), "first_merges": np.asarray(rules[:12]),
            "train_final": float(tr[-1]), "held_out_final": float(te[-1]),
            "chars_per_word": float(tr[0])}
