"""Recipes of the representations family: the geometry that learned features settle into.

Neural collapse is the unconstrained-features model trained by plain gradient descent; t-SNE is
the exact algorithm (dense affinities, binary search for each point's bandwidth).  Both are
small enough to run in a fraction of a second and are seeded like everything else.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field, field_validator, model_validator

from teeprint.recipes import Arrays, Params, recipe


class NeuralCollapseParams(Params):
    """Unconstrained-features model: free last-layer features and a linear classifier."""

    classes: int = Field(3, ge=2, le=8)
    dim: int = Field(2, ge=2, le=16)
    per_class: int = Field(30, ge=2, le=200)
    weight_decay: float = Field(5e-3, ge=0.0, le=0.1)
    lr: float = Field(0.1, gt=0.0, le=5.0)
    steps: int = Field(2000, ge=10, le=20000)
    snapshots: tuple[int, ...] = Field((0, 15, 30, 60, 2000), min_length=1, max_length=8)
    feature_init: float = Field(0.5, gt=0.0, le=5.0)

    @field_validator("snapshots")
    @classmethod
    def _sorted(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if list(v) != sorted(set(v)) or v[0] < 0:
            msg = "snapshots must be increasing, distinct steps >= 0"
            raise ValueError(msg)
        return v

    @model_validator(mode="after")
    def _within(self) -> NeuralCollapseParams:
        if self.snapshots[-1] > self.steps:
            msg = f"the last snapshot ({self.snapshots[-1]}) comes after the last step ({self.steps})"
            raise ValueError(msg)
        return self


def class_geometry(h: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Class means, pairwise cosines of the centred means, and tr(within) / tr(between)."""
    means = np.stack([h[y == c].mean(axis=0) for c in range(k)])
    centred = means - means.mean(axis=0)
    unit = centred / np.linalg.norm(centred, axis=1, keepdims=True)
    cos = unit @ unit.T
    within = float(np.mean(np.sum((h - means[y]) ** 2, axis=1)))
    between = float(np.mean(np.sum(centred**2, axis=1)))
    return means, cos, within / between


@recipe("neural-collapse", NeuralCollapseParams)
def neural_collapse(p: NeuralCollapseParams, rng: np.random.Generator) -> Arrays:
    """Papyan, Han & Donoho (2020), in the unconstrained-features model.

    Each training example owns a free feature vector h_i; a linear classifier W reads them.
    Cross-entropy plus weight decay on both, minimised by full-batch gradient descent, drives
    every class to a single point (within-class spread -> 0) and the class means to a simplex
    equiangular tight frame: equal norms, pairwise cosine -1/(K-1), classifier rows aligned.
    """
    k, n = p.classes, p.classes * p.per_class
    y = np.repeat(np.arange(k), p.per_class)
    onehot = np.eye(k)[y]
    h = rng.normal(0.0, p.feature_init, (n, p.dim))
    w = rng.normal(0.0, 0.1, (k, p.dim))
    lam = p.weight_decay
    wanted = set(p.snapshots)
    feats, mean_hist, ratio_hist, w_hist = [], [], [], []
    for step in range(p.steps + 1):
        if step in wanted:
            m, _, r = class_geometry(h, y, k)
            feats.append(h.copy())
            mean_hist.append(m)
            ratio_hist.append(r)
            w_hist.append(w.copy())
        if step == p.steps:
            break
        z = h @ w.T
        z -= z.max(axis=1, keepdims=True)
        prob = np.exp(z)
        prob /= prob.sum(axis=1, keepdims=True)
        g = (prob - onehot) / n
        grad_w = g.T @ h + lam * w
        grad_h = g @ w + lam * h / n
        w -= p.lr * grad_w
        h -= p.lr * grad_h * n  # per-example features: undo the 1/n of the mean loss
    means, cos, ratio = class_geometry(h, y, k)
    off = cos[~np.eye(k, dtype=bool)]
    centred = means - means.mean(axis=0)
    w_cos = np.sum(w * centred, axis=1) / (np.linalg.norm(w, axis=1) * np.linalg.norm(centred, axis=1))
    return {
        "features": np.stack(feats),
        "labels": y,
        "snapshot_step": np.asarray(p.snapshots),
        "class_means": means,
        "class_means_history": np.stack(mean_hist),
        "classifier": w,
        "classifier_history": np.stack(w_hist),
        "mean_cosines": cos,
        "mean_cosine": float(off.mean()),
        "etf_cosine": -1.0 / (k - 1),
        "within_between": ratio,
        "within_between_history": np.asarray(ratio_hist),
        "classifier_mean_cosine": w_cos,
    }


class TsneParams(Params):
    """Gaussian clusters in a high-dimensional space and the exact t-SNE settings."""

    clusters: int = Field(5, ge=2, le=8)
    per_cluster: int = Field(50, ge=5, le=80)
    dim: int = Field(20, ge=3, le=100)
    centre_spread: float = Field(2.0, gt=0.0, le=20.0)
    perplexity: float = Field(10.0, ge=2.0, le=100.0)
    iterations: int = Field(400, ge=50, le=1000)
    learning_rate: float = Field(200.0, gt=0.0, le=2000.0)
    exaggeration: float = Field(12.0, ge=1.0, le=50.0)
    exaggeration_iters: int = Field(100, ge=0, le=500)
    snapshots: tuple[int, ...] = Field((10, 50, 150), max_length=6,
                                       description="iterations kept for the history strip")


def conditional_affinities(d2: np.ndarray, perplexity: float, tol: float = 1e-5,
                           max_iter: int = 60) -> np.ndarray:
    """P(j|i) with each row's Gaussian bandwidth found by bisection so its entropy is log(perp).

    All rows are bisected at once (vectorised over beta = 1 / 2 sigma^2).
    """
    n = d2.shape[0]
    target = math.log(perplexity)
    beta = np.ones(n)
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    mask = ~np.eye(n, dtype=bool)
    d2 = np.where(mask, d2, 0.0)
    prob = np.zeros_like(d2)
    for _ in range(max_iter):
        e = np.where(mask, np.exp(-(d2 - np.where(mask, d2, np.inf).min(axis=1, keepdims=True))
                                  * beta[:, None]), 0.0)
        s = e.sum(axis=1)
        prob = e / s[:, None]
        entropy = -np.sum(np.where(prob > 0, prob * np.log(np.where(prob > 0, prob, 1.0)), 0.0), axis=1)
        diff = entropy - target
        if np.all(np.abs(diff) < tol):
            break
        up = diff > 0  # too flat: sharpen (raise beta)
        lo = np.where(up, beta, lo)
        hi = np.where(up, hi, beta)
        beta = np.where(np.isinf(hi), beta * 2, np.where(np.isinf(lo), beta / 2, (lo + hi) / 2))
    return prob


def knn_purity(points: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Share of each point's k nearest neighbours (in the given space) with the same label."""
    d2 = np.sum((points[:, None, :] - points[None, :, :]) ** 2, axis=-1)
    np.fill_diagonal(d2, np.inf)
    nn = np.argsort(d2, axis=1)[:, :k]
    return float(np.mean(labels[nn] == labels[:, None]))


@recipe("t-sne", TsneParams)
def tsne(p: TsneParams, rng: np.random.Generator) -> Arrays:
    """van der Maaten & Hinton (2008), exact: Gaussian affinities in, Student-t affinities out.

    Gradient descent on KL(P || Q) with early exaggeration and momentum 0.5 -> 0.8, as in the
    paper.  The map keeps who is near whom: the clusters come apart cleanly in two dimensions.
    """
    centres = rng.normal(0.0, p.centre_spread, (p.clusters, p.dim))
    labels = np.repeat(np.arange(p.clusters), p.per_cluster)
    x = centres[labels] + rng.normal(size=(labels.size, p.dim))
    n = x.shape[0]
    sq = np.sum(x * x, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    cond = conditional_affinities(d2, min(p.perplexity, (n - 1) / 3))
    pij = (cond + cond.T) / (2 * n)
    pij = np.maximum(pij, 1e-12)
    y = rng.normal(0.0, 1e-4, (n, 2))
    velocity = np.zeros_like(y)
    gains = np.ones_like(y)
    keep = {it for it in p.snapshots if 0 < it < p.iterations}
    history = []
    for it in range(p.iterations):
        exag = p.exaggeration if it < p.exaggeration_iters else 1.0
        momentum = 0.5 if it < 250 else 0.8
        sy = np.sum(y * y, axis=1)
        num = 1.0 / (1.0 + np.maximum(sy[:, None] + sy[None, :] - 2 * y @ y.T, 0.0))
        np.fill_diagonal(num, 0.0)
        q = np.maximum(num / num.sum(), 1e-12)
        pq = (exag * pij - q) * num
        grad = 4.0 * (np.diag(pq.sum(axis=1)) - pq) @ y
        # Delta-bar-delta gains, as in the reference implementation.
        same = np.sign(grad) == np.sign(velocity)
        gains = np.maximum(np.where(same, gains * 0.8, gains + 0.2), 0.01)
        velocity = momentum * velocity - p.learning_rate * gains * grad
        y = y + velocity
        y -= y.mean(axis=0)
        if it + 1 in keep:
            history.append(y.copy())
    kl = float(np.sum(pij * np.log(pij / q)))
    return {
        "embedding": y,
        "labels": labels,
        "snapshots": np.stack([*history, y]),
        "snapshot_iteration": np.asarray([*sorted(keep), p.iterations]),
        "kl": kl,
        "knn_purity": knn_purity(y, labels),
        "knn_purity_input": knn_purity(x, labels),
    }
