"""Recipes of the language-model family: what counting, metrics and compute laws imply.

None of these needs a trained model: each phenomenon follows from a law that can be written
down (a Zipf distribution of facts, a per-token error power law, a fitted loss surface), so the
figure is that law evaluated, with every constant in the specimen's parameters.

This module holds hallucination, emergence and scaling laws.  Text statistics and the small
corpus live in :mod:`teeprint.recipes.lm_text`, token reweighting and the alignment closed forms
in :mod:`teeprint.recipes.lm_reweight`, the small trained-model experiments (``lm-experiment``,
``lm-matrix``) in :mod:`teeprint.recipes.lm_experiments`.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.lm_text import bpe_learn as bpe_learn
from teeprint.recipes.lm_text import corpus_clauses as corpus_clauses
from teeprint.recipes.lm_text import ngram_cross_entropy as ngram_cross_entropy

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
