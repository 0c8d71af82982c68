"""The ``token-reweight`` recipe (alignment and decoding rules that tilt one token distribution)
and the closed forms of language-model alignment and sampling that it adds to the ``curves``
table (best-of-n KL, majority vote, DPO's loss and weight, a power law).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, closed_forms, recipe

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
