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

from teeprint.recipes import Arrays, Params, closed_forms, recipe

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
            "merges_learned": float(len(rules)),
            "train_final": float(tr[-1]), "held_out_final": float(te[-1]),
            "train_shrink": float(tr[0] / tr[-1]), "held_out_shrink": float(te[0] / te[-1]),
            "chars_per_word": float(tr[0])}


# -- token reweighting: alignment and decoding rules that tilt one distribution -----------------


class ReweightParams(Params):
    """A small vocabulary's reference distribution and a rule that reweights it (one panel per value).

    ``values`` are the rule's setting per panel: beta for ``kl-optimum``, n for ``best-of-n``,
    delta for ``watermark``, alpha for ``contrastive``; ``speculative`` takes none.
    """

    vocab: tuple[str, ...] = Field(min_length=2, max_length=16)
    logits: tuple[float, ...] = Field(min_length=2, max_length=16, description="reference / target / expert")
    rule: Literal["kl-optimum", "best-of-n", "speculative", "watermark", "contrastive", "calibrate"]
    values: tuple[float, ...] = Field((1.0,), min_length=1, max_length=4)
    reward: tuple[float, ...] = Field((), max_length=16, description="kl-optimum, best-of-n: reward per token")
    logits_b: tuple[float, ...] = Field((), max_length=16, description=(
        "speculative: draft; contrastive: amateur; calibrate: logits on a content-free input"))
    green: tuple[int, ...] = Field((), max_length=16, description="watermark: token ids on the green list")

    @model_validator(mode="after")
    def _check(self) -> ReweightParams:
        v = len(self.vocab)
        if len(self.logits) != v or (self.logits_b and len(self.logits_b) != v) or (
                self.reward and len(self.reward) != v):
            msg = "logits, logits_b and reward need one value per vocab token"
            raise ValueError(msg)
        if any(abs(x) > 50 for x in (*self.logits, *self.logits_b, *self.reward)):
            msg = "logits and rewards must lie within +-50"
            raise ValueError(msg)
        if any(not 0 <= i < v for i in self.green):
            msg = "green holds token ids 0 .. len(vocab) - 1"
            raise ValueError(msg)
        need = {"kl-optimum": "reward", "best-of-n": "reward", "speculative": "logits_b",
                "contrastive": "logits_b", "watermark": "green", "calibrate": "logits_b"}[self.rule]
        if not getattr(self, need):
            msg = f"rule {self.rule!r} needs {need}"
            raise ValueError(msg)
        if self.rule == "best-of-n" and len(set(self.reward)) != v:
            msg = "best-of-n needs distinct rewards (a strict ranking)"
            raise ValueError(msg)
        lo, hi = {"kl-optimum": (1e-3, 1e3), "best-of-n": (1.0, 1e4), "speculative": (-1e9, 1e9),
                  "watermark": (0.0, 20.0), "contrastive": (1e-4, 1.0), "calibrate": (-1e9, 1e9)}[self.rule]
        if any(not lo <= x <= hi for x in self.values):
            msg = f"values for rule {self.rule!r} must lie within [{lo}, {hi}]"
            raise ValueError(msg)
        return self


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - np.max(z))
    return e / e.sum()


def _entropy(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(p > 0, p * np.log(p), 0.0), axis=-1)


def _kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(p > 0, p * np.log(p / q), 0.0), axis=-1)


@recipe("token-reweight", ReweightParams)
def token_reweight(p: ReweightParams, rng: np.random.Generator) -> Arrays:
    """Exact distributions of rules that reweight a reference next-token distribution.

    * ``kl-optimum`` — the maximiser of E[r] - beta KL(pi || pi_ref): pi* ∝ pi_ref exp(r / beta)
      (the KL-regularised RLHF objective's closed-form optimum), one panel per beta;
    * ``best-of-n`` — the law of the highest-reward of n independent draws from pi_ref:
      P(y) = F(y)^n - F(y-)^n with F the CDF in reward order; ``kl`` against the reference and
      the often-quoted ``kl_bound`` log n - (n - 1)/n, which is only an upper bound;
    * ``speculative`` — target p, draft q: a draft token is accepted with min(1, p/q), else a
      token is drawn from (p - q)+ normalised; rows: draft q, accepted part min(p, q), the
      rejection residual's share, and the output law (which equals p exactly);
    * ``watermark`` — green-list tokens get +delta on their logits; ``green_mass`` per delta;
    * ``calibrate`` — contextual calibration: rows are the label probabilities on a content-free
      input p_cf (``logits_b``) and diag(p_cf)^-1 p renormalised (``calibrated``);
    * ``contrastive`` — rows: the amateur, then for each alpha exp(log p_expert - log p_amateur)
      renormalised over the plausible tokens (expert probability >= alpha times the expert's top
      one); its argmax is the token greedy contrastive decoding picks (``contrastive_argmax``).

    The rng is unused: every figure is the closed form.
    """
    logits = np.asarray(p.logits, float)
    base = _softmax(logits)
    values = np.asarray(p.values, float)
    v = base.size
    out: Arrays = {"vocab": np.asarray(p.vocab), "base": base, "values": values}
    if p.rule == "kl-optimum":
        r = np.asarray(p.reward, float)
        after = np.stack([_softmax(np.log(base) + r / b) for b in values])
        out.update(reward=r, expected_reward=after @ r, base_reward=float(base @ r), kl=_kl(after, base[None]))
    elif p.rule == "best-of-n":
        r = np.asarray(p.reward, float)
        order = np.argsort(r, kind="stable")
        cdf = np.cumsum(base[order])
        prev = np.concatenate([[0.0], cdf[:-1]])
        rows = []
        for n in values:
            q = np.empty(v)
            q[order] = np.clip(cdf, 0, 1) ** n - prev**n
            rows.append(q)
        after = np.stack(rows)
        out.update(reward=r, expected_reward=after @ r, base_reward=float(base @ r), kl=_kl(after, base[None]),
                   kl_bound=np.log(values) - (values - 1) / values)
    elif p.rule == "speculative":
        q = _softmax(np.asarray(p.logits_b, float))
        accepted = np.minimum(base, q)
        residual = np.maximum(base - q, 0.0)
        acceptance = float(accepted.sum())
        output = accepted + (1 - acceptance) * residual / max(residual.sum(), 1e-300)
        after = np.stack([q, accepted, output])
        out.update(draft=q, accepted=accepted, residual=residual, acceptance=acceptance,
                   overlay=np.broadcast_to(base, after.shape).copy(),
                   panel_mass=np.array([1.0, q.sum(), acceptance, output.sum()]),
                   output=output, max_error=float(np.abs(output - base).max()),
                   total_variation=float(0.5 * np.abs(base - q).sum()))
    elif p.rule == "watermark":
        green = np.zeros(v, bool)
        green[list(p.green)] = True
        after = np.stack([_softmax(logits + d * green) for d in values])
        gamma = green.mean()
        gm = after[:, green].sum(axis=1)
        out.update(green=green, green_mass=gm, panel_green=np.concatenate([[base[green].sum()], gm]), gamma=float(gamma), base_green_mass=float(base[green].sum()),
                   z_per_sqrt_token=(gm - gamma) / np.sqrt(gamma * (1 - gamma)),
                   tokens_for_z4=(4.0 * np.sqrt(gamma * (1 - gamma)) / np.maximum(gm - gamma, 1e-12)) ** 2)
        out["kept"] = np.broadcast_to(green, after.shape).copy()
    elif p.rule == "calibrate":
        free = _softmax(np.asarray(p.logits_b, float))
        cal = (base / free) / np.sum(base / free)
        after = np.stack([free, cal])
        out.update(content_free=free, calibrated=cal, raw_argmax=float(np.argmax(base)),
                   calibrated_argmax=float(np.argmax(cal)), free_argmax=float(np.argmax(free)))
    else:
        amateur = _softmax(np.asarray(p.logits_b, float))
        scores, rows = [], []
        for a in values:
            plausible = base >= a * base.max()
            s = np.where(plausible, np.log(base) - np.log(amateur), -np.inf)
            scores.append(np.where(plausible, s, np.nan))
            rows.append(_softmax(np.where(plausible, s, -1e9)) * plausible)
        after = np.stack([amateur, *rows])
        out.update(amateur=amateur, score=np.stack(scores), plausible=np.stack(rows) > 0,
                   expert_argmax=float(np.argmax(base)), amateur_argmax=float(np.argmax(amateur)),
                   contrastive_argmax=np.argmax(np.stack(rows), axis=1).astype(float))
    out["after"] = after
    out.setdefault("kept", after > 0)
    out["kept_count"] = np.count_nonzero(after > 0, axis=1).astype(float)
    out["entropy"] = np.concatenate([[_entropy(base)], _entropy(after)])
    out["top_after"] = after.max(axis=1)
    return out


# -- closed forms of language-model alignment and sampling, added to the ``curves`` table ---------


@closed_forms._fn("best-of-n-kl-bound", "log n - (n - 1)/n: the quoted KL of best-of-n to its reference (x = n)")
def _bon_bound(x: np.ndarray) -> np.ndarray:
    return np.log(x) - (x - 1) / x


@closed_forms._fn("best-of-n-kl-uniform",
                  "exact KL(best-of-n || reference) for k equally likely outcomes with distinct rewards (x = n)",
                  k=(4.0, 2.0, 1e4))
def _bon_uniform(x: np.ndarray, k: float) -> np.ndarray:
    i = np.arange(1, int(k) + 1, dtype=float)[:, None] / int(k)
    q = i ** x[None, :] - (i - 1 / int(k)) ** x[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(q > 0, q * np.log(q * int(k)), 0.0), axis=0)


@closed_forms._fn("majority-vote", "P(majority of floor(x) independent votes is right), each right with "
                  "probability p; a tie is broken by a fair coin", p=(0.6, 0.0, 1.0))
def _majority(x: np.ndarray, p: float) -> np.ndarray:
    out = np.empty(np.shape(x))
    for j, n in enumerate(np.floor(np.asarray(x, float)).astype(int).ravel()):
        k = np.arange(n + 1)
        pmf = np.array([math.comb(n, int(i)) for i in k], float) * p**k * (1 - p) ** (n - k)
        out.flat[j] = pmf[2 * k > n].sum() + 0.5 * pmf[2 * k == n].sum()
    return out


@closed_forms._fn("dpo-loss", "-log sigmoid(beta x): DPO's loss at implicit reward margin x (log-ratio units)",
                  beta=(0.1, 1e-3, 100.0))
def _dpo_loss(x: np.ndarray, beta: float) -> np.ndarray:
    return np.logaddexp(0.0, -beta * x)


@closed_forms._fn("dpo-weight", "sigmoid(-beta x): how strongly DPO's gradient weighs a pair at margin x",
                  beta=(0.1, 1e-3, 100.0))
def _dpo_weight(x: np.ndarray, beta: float) -> np.ndarray:
    return 0.5 * (1.0 - np.tanh(0.5 * beta * x))


@closed_forms._fn("power-law", "(x / x_c)^-alpha: a Kaplan-style scaling law (x = size, data or compute)",
                  x_c=(1.0, 1e-30, 1e30), alpha=(0.1, 0.0, 5.0))
def _power_law(x: np.ndarray, x_c: float, alpha: float) -> np.ndarray:
    return (x / x_c) ** -alpha


# -- small language-model experiments drawn as curves -------------------------------------------


class LMExperimentParams(Params):
    """Which experiment, and its sizes (each experiment reads the fields it names)."""

    experiment: Literal["icl-gd", "softmax-bottleneck", "overoptimisation"]
    dim: int = Field(6, ge=2, le=32, description="icl-gd: input dimension d")
    max_context: int = Field(40, ge=4, le=200, description="icl-gd: longest context N")
    tasks: int = Field(1000, ge=100, le=20000, description="icl-gd: regression tasks per N")
    lr: float = Field(1.0, gt=0.0, le=10.0, description="icl-gd: the GD step size eta")
    contexts: int = Field(64, ge=8, le=256, description="softmax-bottleneck: contexts (rows)")
    vocab: int = Field(32, ge=4, le=128, description="softmax-bottleneck: vocabulary (columns)")
    concentration: float = Field(0.5, gt=0.0, le=10.0, description="softmax-bottleneck: Dirichlet alpha")
    spurious: float = Field(0.35, ge=0.0, le=5.0, description="overoptimisation: gold penalty on s^2")
    trials: int = Field(1000, ge=100, le=20000, description="overoptimisation: repeats per n")
    max_log2_n: int = Field(12, ge=2, le=14, description="overoptimisation: n = 1, 2, 4 .. 2^max")


def _icl_gd(p: LMExperimentParams, rng: np.random.Generator) -> Arrays:
    """A hand-wired linear self-attention layer against one gradient-descent step (von Oswald et al.).

    Tokens are e_i = (x_i, y_i) and the query e_q = (x_q, 0).  With W_K = W_Q = [[I, 0], [0, 0]]
    and W_V = [[0, 0], [0, eta]], the layer's update to the query's last coordinate is
    (1/N) sum_i (W_V e_i)(W_K e_i)^T (W_Q e_q) = (eta/N) sum_i y_i x_i . x_q, the prediction of
    w_1 = w_0 - eta grad L(w_0) from w_0 = 0 with L = (1/2N) sum (w.x_i - y_i)^2.  Both are
    computed separately on the same tasks, with least squares for comparison.
    """
    d, t = p.dim, p.tasks
    ns = np.arange(1, p.max_context + 1)
    wk = np.zeros((d + 1, d + 1))
    wk[:d, :d] = np.eye(d)
    wq = wk.copy()
    wv = np.zeros((d + 1, d + 1))
    wv[d, d] = p.lr
    lsa, gd, ols = [], [], []
    w = rng.standard_normal((t, d))
    xq = rng.standard_normal((t, d))
    yq = np.einsum("td,td->t", w, xq)
    x_all = rng.standard_normal((t, p.max_context, d))
    y_all = np.einsum("tnd,td->tn", x_all, w)
    for n in ns:
        x, y = x_all[:, :n], y_all[:, :n]
        e = np.concatenate([x, y[..., None]], axis=2)
        eq = np.concatenate([xq, np.zeros((t, 1))], axis=1)
        keys = e @ wk.T
        vals = e @ wv.T
        query = eq @ wq.T
        upd = np.einsum("tnv,tn->tv", vals, np.einsum("tnk,tk->tn", keys, query)) / n
        lsa.append(upd[:, d])
        step = p.lr * np.einsum("tn,tnd->td", y, x) / n
        gd.append(np.einsum("td,td->t", step, xq))
        m = min(t, 500)
        sol = np.einsum("tdn,tn->td", np.linalg.pinv(x[:m]), y[:m])
        ols.append(np.einsum("td,td->t", sol, xq[:m]))
    scale = float(np.mean(yq**2))
    lsa_err = np.array([np.mean((a - yq) ** 2) for a in lsa]) / scale
    gd_err = np.array([np.mean((g - yq) ** 2) for g in gd]) / scale
    ols_err = np.array([np.mean((o - yq[: o.size]) ** 2) / np.mean(yq[: o.size] ** 2) for o in ols])
    return {"context": ns.astype(float), "lsa_error": lsa_err, "gd_error": gd_err,
            "ls_error": np.maximum(ols_err, 1e-12),
            "max_gap": float(max(np.max(np.abs(a - g)) for a, g in zip(lsa, gd, strict=True))),
            "dim": float(d), "lr": p.lr, "zero_error": 1.0}


def _softmax_bottleneck(p: LMExperimentParams, rng: np.random.Generator) -> Arrays:
    """How well logits of rank d can match a full-rank table of next-token distributions.

    P: one Dirichlet draw per context.  A softmax over logits H W^T with d-dimensional H, W makes
    log P - row shift of rank <= d; the row-centred log P has rank V - 1, so no d < V - 1 is
    exact (Yang et al. 2018).  Each d is fitted by the truncated SVD of the centred log P (the
    best rank-d log-probabilities in squared error): ``residual`` is the fraction of the squared
    centred log-probabilities it leaves, ``kl`` the mean KL(P || softmax of the fit).
    """
    probs = rng.dirichlet(np.full(p.vocab, p.concentration), size=p.contexts)
    probs = np.maximum(probs, 1e-12)
    probs /= probs.sum(axis=1, keepdims=True)
    logp = np.log(probs)
    centred = logp - logp.mean(axis=1, keepdims=True)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    dims = np.arange(1, p.vocab + 1)
    kl = []
    for d in dims:
        z = (u[:, :d] * s[:d]) @ vt[:d]
        q = np.exp(z - z.max(axis=1, keepdims=True))
        q /= q.sum(axis=1, keepdims=True)
        kl.append(float(np.mean(np.sum(probs * (logp - np.log(q)), axis=1))))
    rank = int(np.sum(s > s[0] * 1e-10))
    energy = s**2
    left = np.array([energy[d:].sum() for d in dims]) / energy.sum()
    return {"dims": dims.astype(float), "kl": np.asarray(kl), "singular": s,
            "residual": np.maximum(left, 1e-16), "rank": float(rank), "vocab": float(p.vocab),
            "contexts": float(p.contexts), "kl_half": float(kl[p.vocab // 2 - 1]),
            "residual_half": float(left[p.vocab // 2 - 1])}


def _overoptimisation(p: LMExperimentParams, rng: np.random.Generator) -> Arrays:
    """Best-of-n against a proxy reward that also pays for a spurious feature (Goodhart).

    Each answer has a quality q and a spurious feature s, both N(0, 1); the proxy reward is
    q + s, the gold reward q - spurious s^2.  Best-of-n picks the proxy's favourite of n draws;
    its KL to the sampler is log n - (n - 1)/n exactly (continuous rewards, no ties).
    """
    n_max = 2**p.max_log2_n
    q = rng.standard_normal((p.trials, n_max))
    s = rng.standard_normal((p.trials, n_max))
    proxy = q + s
    gold = q - p.spurious * s**2
    ns = 2 ** np.arange(p.max_log2_n + 1)
    rows = np.arange(p.trials)
    g, pr = [], []
    for n in ns:
        pick = np.argmax(proxy[:, :n], axis=1)
        g.append(float(gold[rows, pick].mean()))
        pr.append(float(proxy[rows, pick].mean()))
    kl = np.log(ns) - (ns - 1) / ns
    gold_arr = np.asarray(g)
    best = int(np.argmax(gold_arr))
    return {"n": ns.astype(float), "kl": kl, "gold": gold_arr, "proxy": np.asarray(pr),
            "best_n": float(ns[best]), "best_kl": float(kl[best]), "gold_peak": float(gold_arr[best]),
            "gold_start": float(gold_arr[0]), "gold_end": float(gold_arr[-1])}


@recipe("lm-experiment", LMExperimentParams)
def lm_experiment(p: LMExperimentParams, rng: np.random.Generator) -> Arrays:
    """Small language-model experiments drawn as curves (see each experiment's docstring):
    ``icl-gd`` (hand-wired), ``softmax-bottleneck`` and ``overoptimisation`` (computed)."""
    if p.experiment == "icl-gd":
        return _icl_gd(p, rng)
    if p.experiment == "softmax-bottleneck":
        return _softmax_bottleneck(p, rng)
    return _overoptimisation(p, rng)


# -- matrices: smoothed bigram tables, pairwise preferences ---------------------------------------


class LMMatrixParams(Params):
    """Which matrix experiment, and its sizes."""

    experiment: Literal["bigram-smoothing", "bradley-terry", "attention-sink", "reversal-curse"]
    held_out: float = Field(0.2, ge=0.05, le=0.5, description="bigram-smoothing: clauses held out")
    shown: int = Field(10, ge=4, le=27, description="bigram-smoothing: most frequent symbols drawn")
    discount: float = Field(0.75, gt=0.0, lt=1.0, description="bigram-smoothing: Kneser-Ney discount D")
    items: int = Field(8, ge=3, le=16, description="bradley-terry: players / models")
    spread: float = Field(3.0, gt=0.0, le=10.0, description="bradley-terry: range of true scores")
    games: int = Field(20, ge=1, le=500, description="bradley-terry: comparisons per pair")
    length: int = Field(24, ge=8, le=64, description="attention-sink: tokens")
    window: int = Field(6, ge=2, le=32, description="attention-sink: most recent keys kept in the cache")
    sink_score: float = Field(4.0, ge=0.0, le=20.0, description="attention-sink: hand-set score of token 0")
    content_scale: float = Field(0.5, ge=0.0, le=5.0, description="attention-sink: spread of other scores")
    pairs: int = Field(8, ge=2, le=24, description="reversal-curse: facts 'A_i is B_i'")
    width: int = Field(16, ge=2, le=128, description="reversal-curse: embedding width")
    steps: int = Field(300, ge=10, le=5000, description="reversal-curse: gradient steps")


def _bigram_tables(train: list[str], symbols: list[str], discount: float) -> dict[str, np.ndarray]:
    index = {c: i for i, c in enumerate(symbols)}
    v = len(symbols)
    counts = np.zeros((v, v))
    for s in train:
        s = " " + s + " "
        for a, b in zip(s, s[1:], strict=False):
            counts[index[a], index[b]] += 1
    row = counts.sum(axis=1, keepdims=True)
    safe = np.maximum(row, 1)
    mle = counts / safe
    add_one = (counts + 1) / (row + v)
    cont = ((counts > 0).sum(axis=0) + 1) / ((counts > 0).sum() + v)
    followers = (counts > 0).sum(axis=1, keepdims=True)
    kn = np.maximum(counts - discount, 0) / safe + discount * followers / safe * cont[None, :]
    kn = np.where(row > 0, kn, cont[None, :])
    return {"counts": counts, "mle": mle, "add_one": add_one, "kn": kn}


def _bits(table: np.ndarray, test: list[str], symbols: list[str]) -> float:
    index = {c: i for i, c in enumerate(symbols)}
    total, n = 0.0, 0
    for s in test:
        s = " " + s + " "
        for a, b in zip(s, s[1:], strict=False):
            q = table[index[a], index[b]]
            total += -math.log2(q) if q > 0 else math.inf
            n += 1
    return total / n


def _bigram_smoothing(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """Character bigram tables of the embedded text: maximum likelihood, add-one, Kneser-Ney.

    Counted on a random 4/5 of the clauses; Kneser-Ney is the interpolated form with discount D,
    P(b|a) = max(c(ab) - D, 0)/c(a) + D N1+(a.)/c(a) * P_cont(b), with the continuation
    probability P_cont(b) = (N1+(.b) + 1) / (N1+(..) + V) add-one smoothed so that a symbol
    never seen as a follower keeps some mass (an unseen context falls back to P_cont).  The tables cover all 27
    symbols; the figure shows the ``shown`` most frequent.  ``unseen`` marks the shown bigrams
    never counted, which maximum likelihood gives probability zero.
    """
    symbols = sorted(set(" ".join(corpus_clauses())))
    train, test = split_clauses(rng, p.held_out)
    t = _bigram_tables(train, symbols, p.discount)
    freq = t["counts"].sum(axis=1)
    top = np.sort(np.argsort(-freq, kind="stable")[: p.shown])
    sub = np.ix_(top, top)
    labels = np.asarray(["_" if symbols[i] == " " else symbols[i] for i in top])
    held = {k: _bits(t[k], test, symbols) for k in ("mle", "add_one", "kn")}
    index = {c: i for i, c in enumerate(symbols)}
    pairs = [(index[a], index[b]) for s in test for a, b in zip(" " + s, s + " ", strict=False)]
    unseen_test = float(np.mean([t["counts"][a, b] == 0 for a, b in pairs]))
    return {"mle": t["mle"][sub], "add_one": t["add_one"][sub], "kn": t["kn"][sub], "symbols": labels,
            "unseen": t["counts"][sub] == 0, "unseen_count": float(np.sum(t["counts"][sub] == 0)),
            "row_sums_kn": t["kn"].sum(axis=1), "row_sums_add_one": t["add_one"].sum(axis=1),
            "bits_add_one": held["add_one"], "bits_kn": held["kn"],
            "mle_finite": float(math.isfinite(held["mle"])), "unseen_held_out": unseen_test,
            "kn_unseen_mass": float(np.mean(np.where(t["counts"] == 0, t["kn"], 0).sum(axis=1)))}


def _bradley_terry(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """Pairwise comparisons drawn from a Bradley-Terry model, and its maximum-likelihood fit.

    Item i beats j with probability sigma(s_i - s_j); every pair plays ``games`` times.  The
    scores are fitted by Zermelo's / Hunter's minorise-maximise iteration (2000 steps), centred.
    """
    k = p.items
    true = np.linspace(-p.spread / 2, p.spread / 2, k)
    prob = 1 / (1 + np.exp(-(true[:, None] - true[None, :])))
    upper = np.triu(np.ones((k, k), bool), 1)
    wins = np.zeros((k, k))
    wins[upper] = rng.binomial(p.games, prob[upper])
    wins.T[upper] = p.games - wins[upper]
    games = np.where(np.eye(k, dtype=bool), 0, p.games)
    strength = np.ones(k)
    total = wins.sum(axis=1)
    for _ in range(2000):
        denom = (games / (strength[:, None] + strength[None, :])).sum(axis=1)
        strength = np.maximum(total, 1e-3) / denom
        strength /= np.exp(np.mean(np.log(strength)))
    fit = np.log(strength)
    fitted = 1 / (1 + np.exp(-(fit[:, None] - fit[None, :])))
    rate = np.where(games > 0, wins / np.maximum(games, 1), np.nan)
    np.fill_diagonal(fitted, np.nan)
    names = np.asarray([f"m{i + 1}" for i in range(k)])
    off = ~np.eye(k, dtype=bool)
    far = (np.abs(np.nan_to_num(rate) - prob) > 0.15) & off
    return {"win_rate": np.nan_to_num(rate, nan=0.0), "fitted": np.nan_to_num(fitted, nan=0.0),
            "true_prob": np.where(off, prob, 0.0), "true_score": true, "fit_score": fit - fit.mean(),
            "names": names, "score_corr": float(np.corrcoef(true, fit)[0, 1]),
            "fit_error": float(np.abs(fitted - prob)[off].mean()),
            "raw_error": float(np.abs(rate - prob)[off].mean()),
            "far": far, "far_count": float(far.sum()),
            "far_raw_error": float(np.abs(rate - prob)[far].mean()) if far.any() else 0.0,
            "far_fit_error": float(np.abs(fitted - prob)[far].mean()) if far.any() else 0.0}


def _attention_sink(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """A hand-wired head that parks its spare attention on the first token, and two KV caches.

    Scores: every query gives token 0 the score ``sink_score`` and other earlier keys a random
    content score N(0, content_scale^2).  Full causal attention is compared with a cache that
    keeps only the last ``window`` keys and with one that keeps token 0 as well (StreamingLLM);
    ``tv_window`` / ``tv_sink`` are each row's total-variation distance from full attention.
    """
    n, w = p.length, p.window
    scores = p.content_scale * rng.standard_normal((n, n))
    scores[:, 0] = p.sink_score
    q = np.arange(n)[:, None]
    k = np.arange(n)[None, :]
    causal = k <= q
    recent = causal & (k > q - w)
    masks = {"full": causal, "window": recent, "sink": recent | (causal & (k == 0))}
    att = {}
    for name, m in masks.items():
        z = np.where(m, scores, -np.inf)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        att[name] = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(n) >= w
    tv_w = 0.5 * np.abs(att["window"] - att["full"]).sum(axis=1)
    tv_s = 0.5 * np.abs(att["sink"] - att["full"]).sum(axis=1)
    return {"full": att["full"], "window": att["window"], "sink": att["sink"],
            "position": np.asarray([str(i) for i in range(n)]), "evicted": causal & ~masks["sink"],
            "sink_column": causal & (k == 0),
            "sink_mass": float(att["full"][rows, 0].mean()), "tv_window": tv_w, "tv_sink": tv_s,
            "tv_window_mean": float(tv_w[rows].mean()), "tv_sink_mean": float(tv_s[rows].mean()),
            "window_keys": float(w)}


def _reversal_curse(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """A next-token model trained on 'A_i -> B_i' only, then asked 'B_i -> ?'.

    Tokens are the 2k names; the model is logits = E[x] U (embedding and unembedding of width
    ``width``, small random init), trained by full-batch gradient descent on cross-entropy for
    the k forward facts.  ``forward`` is P(B_j | A_i), ``backward`` P(A_j | B_i), both k x k.
    """
    k, v = p.pairs, 2 * p.pairs
    emb = 0.1 * rng.standard_normal((v, p.width))
    unemb = 0.1 * rng.standard_normal((p.width, v))
    x = np.arange(k)
    y = np.arange(k, v)
    lr = 1.0
    for _ in range(p.steps):
        h = emb[x]
        z = h @ unemb
        prob = np.exp(z - z.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        g = prob.copy()
        g[np.arange(k), y] -= 1
        g /= k
        d_unemb = h.T @ g
        d_h = g @ unemb.T
        unemb -= lr * d_unemb
        np.add.at(emb, x, -lr * d_h)

    def law(rows: np.ndarray) -> np.ndarray:
        z = emb[rows] @ unemb
        q = np.exp(z - z.max(axis=1, keepdims=True))
        return q / q.sum(axis=1, keepdims=True)

    fwd = law(x)[:, k:]
    bwd = law(y)[:, :k]
    return {"forward": fwd, "backward": bwd, "names_a": np.asarray([f"A{i + 1}" for i in range(k)]),
            "names_b": np.asarray([f"B{i + 1}" for i in range(k)]), "truth": np.eye(k, dtype=bool),
            "forward_correct": float(np.mean(np.diag(fwd))), "backward_correct": float(np.mean(np.diag(bwd))),
            "forward_accuracy": float(np.mean(np.argmax(fwd, axis=1) == x)),
            "backward_accuracy": float(np.mean(np.argmax(bwd, axis=1) == x)),
            "chance": 1.0 / v, "backward_max": float(bwd.max())}


@recipe("lm-matrix", LMMatrixParams)
def lm_matrix(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """Matrices of counting language models, preference models (computed) and a hand-wired
    attention sink; see each experiment's docstring."""
    if p.experiment == "bigram-smoothing":
        return _bigram_smoothing(p, rng)
    if p.experiment == "attention-sink":
        return _attention_sink(p, rng)
    if p.experiment == "reversal-curse":
        return _reversal_curse(p, rng)
    return _bradley_terry(p, rng)
