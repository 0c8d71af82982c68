"""E10 token distributions: a small vocabulary's distribution before and after a decoding rule.

One recipe, ``token-bars``, computes the exact distributions from one logit vector: the softmax
it starts from and, for each setting in ``values``, the distribution the ``rule`` leaves:

* ``temperature`` — softmax(logits / T);
* ``top-k`` — the k most probable tokens, renormalised (Fan et al. 2018);
* ``top-p`` — the smallest most-probable set with mass >= p, renormalised (Holtzman et al. 2020);
* ``min-p`` — tokens with probability >= p times the top probability, renormalised;
* ``repetition-penalty`` — logits of the tokens in ``previous`` divided by theta (Keskar et al.
  2019; their formula, which assumes those logits are positive);
* ``product-of-experts`` — a second expert's logits (``logits_b``) and the normalised product
  of the two distributions (Hinton 2002); ``values`` are ignored;
* ``gumbel-max`` — argmax(logits + Gumbel noise) drawn ``values[i]`` times; the empirical
  frequencies against the softmax (the only rule that samples, so the figure is computed);
* ``rejection`` — rejection sampling of the softmax from the proposal ``logits_b`` with the
  tightest envelope M = max p / q, ``values[0]`` proposals drawn.

Every distribution is returned with its entropy and the mask of tokens it keeps.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

Rule = Literal["temperature", "top-k", "top-p", "min-p", "repetition-penalty",
               "product-of-experts", "gumbel-max", "rejection"]


class TokenParams(Params):
    """A vocabulary, its logits, a rule and the rule's settings (one panel each)."""

    vocab: tuple[str, ...] = Field(min_length=2, max_length=24)
    logits: tuple[float, ...] = Field(min_length=2, max_length=24)
    rule: Rule
    values: tuple[float, ...] = Field((1.0,), min_length=1, max_length=6)
    previous: tuple[int, ...] = Field((), max_length=24, description="repetition-penalty: token ids")
    logits_b: tuple[float, ...] = Field((), max_length=24, description="second expert / proposal")

    @model_validator(mode="after")
    def _check(self) -> TokenParams:
        v = len(self.vocab)
        if len(self.logits) != v or (self.logits_b and len(self.logits_b) != v):
            msg = "logits (and logits_b) need one value per vocab token"
            raise ValueError(msg)
        if any(abs(x) > 50 for x in (*self.logits, *self.logits_b)):
            msg = "logits must lie within +-50"
            raise ValueError(msg)
        if any(not 0 <= i < v for i in self.previous):
            msg = "previous holds token ids 0 .. len(vocab) - 1"
            raise ValueError(msg)
        lo, hi = {"temperature": (1e-3, 100.0), "top-k": (1, v), "top-p": (1e-6, 1.0),
                  "min-p": (0.0, 1.0), "repetition-penalty": (1e-3, 100.0),
                  "product-of-experts": (-1e9, 1e9), "gumbel-max": (1, 1_000_000),
                  "rejection": (1, 1_000_000)}[self.rule]
        if any(not lo <= x <= hi for x in self.values):
            msg = f"values for rule {self.rule!r} must lie within [{lo}, {hi}]"
            raise ValueError(msg)
        if self.rule in ("top-k", "gumbel-max", "rejection") and any(x != int(x) for x in self.values):
            msg = f"values for rule {self.rule!r} are whole numbers"
            raise ValueError(msg)
        if self.rule in ("product-of-experts", "rejection") and not self.logits_b:
            msg = f"rule {self.rule!r} needs logits_b"
            raise ValueError(msg)
        return self


def softmax(z: np.ndarray) -> np.ndarray:
    """A numerically safe softmax over the last axis."""
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def entropy(p: np.ndarray) -> np.ndarray:
    """Shannon entropy in nats over the last axis (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(p > 0, p * np.log(p), 0.0), axis=-1)


def _truncate(p: np.ndarray, keep: np.ndarray) -> np.ndarray:
    q = np.where(keep, p, 0.0)
    return q / q.sum()


def apply_rule(rule: str, logits: np.ndarray, value: float, previous: tuple[int, ...] = ()) -> np.ndarray:
    """The distribution a deterministic decoding rule leaves at one setting."""
    p = softmax(logits)
    if rule == "temperature":
        return softmax(logits / value)
    if rule == "top-k":
        order = np.argsort(-p, kind="stable")
        keep = np.zeros(p.size, bool)
        keep[order[: int(value)]] = True
        return _truncate(p, keep)
    if rule == "top-p":
        order = np.argsort(-p, kind="stable")
        cum = np.cumsum(p[order])
        n = int(np.searchsorted(cum, value - 1e-12) + 1)
        keep = np.zeros(p.size, bool)
        keep[order[:n]] = True
        return _truncate(p, keep)
    if rule == "min-p":
        return _truncate(p, p >= value * p.max())
    if rule == "repetition-penalty":
        z = logits.copy()
        idx = np.unique(np.asarray(previous, int))
        z[idx] = z[idx] / value
        return softmax(z)
    msg = f"rule {rule!r} is not a deterministic rule"
    raise ValueError(msg)


@recipe("token-bars", TokenParams)
def token_bars(p: TokenParams, rng: np.random.Generator) -> Arrays:
    """Exact before/after distributions of a decoding or reweighting rule (module docstring)."""
    logits = np.asarray(p.logits, float)
    base = softmax(logits)
    values = np.asarray(p.values, float)
    out: Arrays = {"vocab": np.asarray(p.vocab), "logits": logits, "base": base, "values": values}
    if p.rule == "product-of-experts":
        other = softmax(np.asarray(p.logits_b, float))
        prod = base * other / np.sum(base * other)
        after = np.stack([other, prod])
        out.update(expert_b=other, product=prod, product_top=float(prod.max()),
                   experts_top=np.array([base.max(), other.max()]),
                   product_argmax=float(np.argmax(prod)))
    elif p.rule == "gumbel-max":
        rows = []
        for n in values.astype(int):
            g = -np.log(-np.log(rng.uniform(np.finfo(float).tiny, 1.0, size=(n, logits.size))))
            rows.append(np.bincount(np.argmax(logits + g, axis=1), minlength=logits.size) / n)
        after = np.stack(rows)
        out.update(overlay=np.broadcast_to(base, after.shape).copy(),
                   max_error=np.abs(after - base).max(axis=1))
    elif p.rule == "rejection":
        q = softmax(np.asarray(p.logits_b, float))
        m = float(np.max(base / q))
        n = int(values[0])
        prop = rng.choice(logits.size, size=n, p=q)
        accept = rng.uniform(size=n) < base[prop] / (m * q[prop])
        freq = np.bincount(prop[accept], minlength=logits.size) / max(1, accept.sum())
        envelope = m * q
        after = np.stack([envelope, freq])
        out.update(proposal=q, envelope=envelope, m=m, inverse_m=1.0 / m, acceptance=float(accept.mean()),
                   accepted=float(accept.sum()), max_error=float(np.abs(freq - base).max()),
                   overlay=np.stack([base, base]),
                   envelope_covers=float(np.all(envelope >= base - 1e-12)))
    else:
        after = np.stack([apply_rule(p.rule, logits, float(v), p.previous) for v in values])
    out["after"] = after
    out["kept"] = after > 0
    out["kept_count"] = np.count_nonzero(after > 0, axis=1).astype(float)
    out["entropy_before"] = float(entropy(base))
    out["entropy_after"] = entropy(after)
    out["entropy"] = np.concatenate([[entropy(base)], entropy(after)])
    out["top_after"] = after.max(axis=1)
    return out
