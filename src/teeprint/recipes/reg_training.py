"""Regularisation recipes trained in numpy (imported and so registered by
:mod:`teeprint.recipes.regularisation`): curves from tiny models shaped by a regulariser, and
weight matrices before and after pruning or completion."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.optimisation import Net, accuracy, init_mlp, train_mlp, two_moons

F = np.ndarray


# -- training with a regulariser: curves against steps or knobs from tiny trained models -----------------

TRAINING_EXPERIMENTS = ("low-rank-factorisation", "wd-normalisation", "dropout-averaging",
                        "dropout-linear")


class RegTrainingParams(Params):
    """A tiny model trained in numpy; ``experiment`` picks which."""

    experiment: Literal["low-rank-factorisation", "wd-normalisation", "dropout-averaging",
                        "dropout-linear"]
    size: int = Field(12, ge=4, le=60, description="matrix side / samples / features")
    rank: int = Field(2, ge=1, le=10)
    observed: float = Field(0.5, gt=0.05, le=1.0, description="share of entries observed")
    init_scale: float = Field(1e-3, gt=0.0, le=10.0)
    big_init_scale: float = Field(1.0, gt=0.0, le=10.0)
    steps: int = Field(4000, ge=10, le=50000)
    lr: float = Field(0.1, gt=0.0, le=10.0)
    checkpoints: int = Field(60, ge=5, le=400)
    weight_decays: tuple[float, ...] = Field((0.0, 1e-3, 1e-2), min_length=1, max_length=5)
    hidden: int = Field(8, ge=2, le=10, description="dropout-averaging: hidden units (2^hidden nets)")
    keep: float = Field(0.5, gt=0.0, le=1.0, description="dropout keep probability")
    n: int = Field(100, ge=10, le=2000)
    features: int = Field(5, ge=2, le=20)
    noise: float = Field(0.5, ge=0.0, le=5.0)


def _low_rank(p: RegTrainingParams, rng: np.random.Generator) -> Arrays:
    """Gradient descent on a full-width factorisation W = A B' fitted to observed entries only.

    From a small initialisation the singular values of W grow one at a time, and the fit lands
    on a low-rank completion (Gunasekar et al. 2017); from a large one it also fits the observed
    entries but keeps the extra singular values it started with.
    """
    n, r = p.size, p.rank
    truth = rng.normal(size=(n, r)) @ rng.normal(size=(r, n)) / math.sqrt(r)
    mask = rng.uniform(size=(n, n)) < p.observed
    marks = np.unique(np.geomspace(1, p.steps, p.checkpoints).round().astype(int))

    def run(scale: float) -> tuple[F, F]:
        a = scale * rng.normal(size=(n, n))
        b = scale * rng.normal(size=(n, n))
        lr = p.lr / (s_top + 2 * scale**2 * n)  # below 2 / curvature at the start and the end
        svs = []
        for t in range(1, p.steps + 1):
            resid = (a @ b.T - truth) * mask
            a, b = a - lr * resid @ b, b - lr * resid.T @ a
            if t in marks_set:
                svs.append(np.linalg.svd(a @ b.T, compute_uv=False))
        return a @ b.T, np.array(svs).T

    marks_set = set(marks.tolist())
    s_top = float(np.linalg.norm(truth, 2))
    w_small, sv_small = run(p.init_scale)
    w_big, sv_big = run(p.big_init_scale)
    s_true = np.linalg.svd(truth, compute_uv=False)

    def rel(w: F, m: F) -> float:
        return float(np.linalg.norm((w - truth)[m]) / np.linalg.norm(truth[m]))

    out: Arrays = {"step": marks.astype(float), "singular_values": sv_small,
                   "singular_values_big": sv_big, "true_singular_values": s_true[: r + 2]}
    for i in range(min(5, n)):
        out[f"sv_{i + 1}"] = sv_small[i]
        out[f"sv_big_{i + 1}"] = sv_big[i]
    out.update({
        "train_error_small": rel(w_small, mask), "test_error_small": rel(w_small, ~mask),
        "train_error_big": rel(w_big, mask), "test_error_big": rel(w_big, ~mask),
        "extra_sv_small": float(sv_small[r, -1] / sv_small[0, -1]),
        "extra_sv_big": float(sv_big[r, -1] / sv_big[0, -1]),
        "nuclear_small": float(sv_small[:, -1].sum()), "nuclear_big": float(sv_big[:, -1].sum()),
        "true_sv_1": float(s_true[0]), "true_sv_2": float(s_true[1]) if r > 1 else 0.0,
    })
    return out


def _wd_normalisation(p: RegTrainingParams, rng: np.random.Generator) -> Arrays:
    """A scale-invariant loss (logistic loss of w/|w|) trained by gradient descent with weight
    decay.  The gradient is orthogonal to w, so without decay |w| only grows and the effective
    step lr/|w|^2 shrinks; with decay the norm settles and the effective step stays up
    (van Laarhoven 2017)."""
    d = p.features
    x = rng.normal(size=(p.n, d))
    w_true = rng.normal(size=d)
    y = (x @ w_true + p.noise * rng.normal(size=p.n) > 0).astype(float)
    marks = np.unique(np.geomspace(1, p.steps, p.checkpoints).round().astype(int))
    w0 = rng.normal(size=d)
    at = set(marks.tolist())
    out: Arrays = {"step": marks.astype(float)}
    finals = []
    for i, wd in enumerate(p.weight_decays):
        w = w0.copy()
        norms, eff = [], []
        for t in range(1, p.steps + 1):
            nw = float(np.linalg.norm(w))
            u = w / nw
            z = x @ u
            g_u = x.T @ (1 / (1 + np.exp(-z)) - y) / p.n
            g = (g_u - u * (u @ g_u)) / nw  # chain rule through w / |w|
            w = w - p.lr * (g + wd * w)
            if t in at:
                norms.append(float(np.linalg.norm(w)))
                eff.append(p.lr / norms[-1] ** 2)
        out[f"norm_{i}"] = np.array(norms)
        out[f"effective_lr_{i}"] = np.array(eff)
        finals.append(norms[-1])
    out["final_norms"] = np.array(finals)
    out["weight_decays"] = np.array(p.weight_decays)
    return out




def _dropout_averaging(p: RegTrainingParams, rng: np.random.Generator) -> Arrays:
    """A 1-h-1 ReLU net with sigmoid output trained with dropout on its hidden units; then all
    2^h sub-networks are evaluated.  Their normalised geometric mean equals the weight-scaled net
    exactly (Hinton et al. 2012); their arithmetic mean is close but not equal."""
    h = p.hidden
    x = rng.uniform(-2, 2, p.n)
    y = ((np.abs(x) < 0.8) ^ (rng.uniform(size=p.n) < 0.1)).astype(float)
    w1, b1 = rng.normal(0, 1.5, h), rng.uniform(-1.5, 1.5, h)
    w2, b2 = rng.normal(0, 1 / math.sqrt(h), h), 0.0
    ps = [w1, b1, w2, np.array([b2])]
    m = [np.zeros_like(q) for q in ps]
    v = [np.zeros_like(q) for q in ps]
    for t in range(1, p.steps + 1):
        w1, b1, w2, b2a = ps
        z = x[:, None] * w1 + b1
        a = np.maximum(z, 0.0)
        mask = (rng.uniform(size=a.shape) < p.keep).astype(float)
        logit = (a * mask) @ w2 + b2a[0]
        d = (1 / (1 + np.exp(-logit)) - y) / p.n
        da = np.outer(d, w2) * mask * (z > 0)
        grads = [da.T @ x, da.sum(0), (a * mask).T @ d, np.array([d.sum()])]
        for i, gq in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * gq
            v[i] = 0.999 * v[i] + 0.001 * gq**2
            ps[i] = ps[i] - p.lr * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8)
    w1, b1, w2, b2a = ps
    grid = np.linspace(-2.5, 2.5, 201)
    a = np.maximum(grid[:, None] * w1 + b1, 0.0)
    masks = ((np.arange(2**h)[:, None] >> np.arange(h)[None, :]) & 1).astype(float)
    logits = (a[None] * masks[:, None, :]) @ w2 + b2a[0]  # (2^h, grid)
    probs = 1 / (1 + np.exp(-logits))
    weights = p.keep ** masks.sum(1) * (1 - p.keep) ** (h - masks.sum(1))
    arith = weights @ probs
    lg1 = weights @ np.log(probs)
    lg0 = weights @ np.log1p(-probs)
    geo = np.exp(lg1) / (np.exp(lg1) + np.exp(lg0))
    scaled = 1 / (1 + np.exp(-((a * p.keep) @ w2 + b2a[0])))
    pick = rng.choice(2**h, 6, replace=False)
    out: Arrays = {"x": grid, "scaled": scaled, "geometric": geo, "arithmetic": arith,
                   "subnets": probs[pick], "data_x": x, "data_y": y,
                   "geo_vs_scaled": float(np.max(np.abs(geo - scaled))),
                   "arith_vs_scaled": float(np.max(np.abs(arith - scaled))),
                   "subnet_spread": float(np.median(probs.std(0))), "networks": float(2**h)}
    for i in range(6):
        out[f"subnet_{i + 1}"] = probs[pick[i]]
    return out


def _dropout_linear(p: RegTrainingParams, rng: np.random.Generator) -> Arrays:
    """Dropout on the inputs of linear regression is ridge with a per-feature penalty:
    E|y - (R*X)w|^2 = |y - qXw|^2 + q(1-q) w' diag(X'X) w  (Srivastava et al. 2014, sec. 9.1).
    Closed form over keep probabilities q; dots: gradient descent on fresh dropout masks every
    step (iterates averaged over the second half) at a few q."""
    d = p.features
    scales = np.geomspace(3.0, 0.3, d)
    x = rng.normal(size=(p.n, d)) * scales
    w_true = np.linspace(1.0, -1.0, d)
    y = x @ w_true + p.noise * rng.normal(size=p.n)
    gram = x.T @ x
    gam = np.diag(np.diag(gram))
    qs = np.linspace(0.1, 1.0, 46)
    eff = np.array([q * np.linalg.solve(q * q * gram + q * (1 - q) * gam, q * x.T @ y) for q in qs])
    probe = np.array([0.2, 0.4, 0.6, 0.8])
    mc = []
    for q in probe:
        w = np.zeros(d)
        avg = np.zeros(d)
        lr = 0.5 / float(np.linalg.eigvalsh(gram / p.n).max())
        for t in range(p.steps):
            r = (rng.uniform(size=x.shape) < q).astype(float)
            xm = x * r
            w = w - lr * xm.T @ (xm @ w - y) / p.n
            if t >= p.steps // 2:
                avg += w
        mc.append(q * avg / (p.steps - p.steps // 2))
    mc_arr = np.array(mc)
    exact_at = np.array([q * np.linalg.solve(q * q * gram + q * (1 - q) * gam, q * x.T @ y) for q in probe])
    out: Arrays = {"keep": qs, "drop": 1 - qs, "drop_mc": 1 - probe, "effective": eff.T,
                   "keep_mc": probe, "effective_mc": mc_arr.T,
                   "exact_at_mc": exact_at.T, "ols": np.linalg.solve(gram, x.T @ y),
                   "feature_scales": scales,
                   "mc_error": float(np.max(np.abs(mc_arr - exact_at)) / np.max(np.abs(exact_at)))}
    for j in range(d):
        out[f"coef_{j + 1}"] = eff[:, j]
        out[f"coef_mc_{j + 1}"] = mc_arr[:, j]
    out["shrink_large"] = float(eff[0, 0] / eff[-1, 0])
    out["shrink_small"] = float(eff[0, -1] / eff[-1, -1])
    return out


_TRAINING = {"low-rank-factorisation": _low_rank, "wd-normalisation": _wd_normalisation,
             "dropout-averaging": _dropout_averaging, "dropout-linear": _dropout_linear}


@recipe("reg-training", RegTrainingParams)
def reg_training(p: RegTrainingParams, rng: np.random.Generator) -> Arrays:
    """Curves from tiny models trained with (or shaped by) a regulariser; see each experiment."""
    return _TRAINING[p.experiment](p, rng)


# -- matrices: weights, masks and completions drawn as heatmaps -------------------------------------------


class MatrixParams(Params):
    """A weight matrix or a completion, before and after; ``experiment`` picks which."""

    experiment: Literal["magnitude-pruning", "svt-completion"]
    hidden: int = Field(16, ge=4, le=48)
    n_train: int = Field(200, ge=20, le=2000)
    noise: float = Field(0.2, ge=0.0, le=1.0)
    steps: int = Field(300, ge=10, le=5000)
    lr: float = Field(0.02, gt=0.0, le=1.0)
    sparsity: float = Field(0.9, ge=0.0, lt=1.0, description="share of weights removed")
    retrain_steps: int = Field(200, ge=0, le=5000)
    size: int = Field(24, ge=6, le=60, description="svt: matrix side")
    rank: int = Field(3, ge=1, le=10)
    observed: float = Field(0.4, gt=0.05, le=1.0)
    tau: float = Field(5.0, gt=0.0, le=1000.0, description="svt: singular-value threshold")
    iterations: int = Field(400, ge=10, le=5000)


def _moons_net(p: MatrixParams, rng: np.random.Generator) -> tuple[Net, F, F, F, F]:
    x, y = two_moons(p.n_train, p.noise, rng)
    x_te, y_te = two_moons(1000, p.noise, rng)
    net = train_mlp(init_mlp((2, p.hidden, p.hidden, 1), rng), x, y, p.steps, p.lr)
    return net, x, y, x_te, y_te


def _magnitude_pruning(p: MatrixParams, rng: np.random.Generator) -> Arrays:
    """Prune each layer's smallest weights (Han et al. 2015), then retrain the survivors."""
    net, x, y, x_te, y_te = _moons_net(p, rng)
    masks = []
    for w, _ in net:
        k = int(round(p.sparsity * w.size))
        order = np.argsort(np.abs(w).ravel(), kind="stable")
        m = np.ones(w.size)
        m[order[:k]] = 0.0
        masks.append(m.reshape(w.shape))
    pruned = [(w * m, b) for (w, b), m in zip(net, masks, strict=True)]
    retrained = train_mlp(pruned, x, y, p.retrain_steps, p.lr, masks) if p.retrain_steps else pruned
    w_dense = net[1][0]
    w_final = retrained[1][0] * masks[1]
    return {"dense": w_dense, "pruned": w_final, "kept": masks[1] > 0,
            "accuracy_dense": accuracy(net, x_te, y_te),
            "accuracy_pruned_only": accuracy(pruned, x_te, y_te),
            "accuracy_retrained": accuracy(retrained, x_te, y_te),
            "zero_share": float(np.mean(w_final == 0)),
            "kept_magnitude_min": float(np.abs(w_dense[masks[1] > 0]).min()),
            "cut_magnitude_max": float(np.abs(w_dense[masks[1] == 0]).max())}


def _svt(p: MatrixParams, rng: np.random.Generator) -> Arrays:
    """Singular value thresholding (Cai, Candes & Shen 2010) for nuclear-norm matrix completion."""
    n, r = p.size, p.rank
    truth = rng.normal(size=(n, r)) @ rng.normal(size=(r, n))
    truth = truth / np.abs(truth).max()
    mask = rng.uniform(size=(n, n)) < p.observed
    tau = p.tau
    delta = min(1.2 / p.observed, 1.9)
    y = np.zeros((n, n))
    x = y
    for _ in range(p.iterations):
        u, s, vt = np.linalg.svd(y)
        s = np.maximum(s - tau, 0.0)
        x = (u * s) @ vt
        y = y + delta * mask * (truth - x)
    sv = np.linalg.svd(x, compute_uv=False)
    observed_img = np.where(mask, truth, 0.0)
    unseen = ~mask
    return {"truth": truth, "observed": observed_img, "recovered": x, "mask": mask,
            "unseen_mask": unseen,
            "error_unseen": float(np.linalg.norm((x - truth)[unseen]) / np.linalg.norm(truth[unseen])),
            "rank_recovered": float(np.count_nonzero(sv > 1e-2 * sv[0])),
            "singular_values": sv, "observed_share": float(mask.mean())}


_MATRICES = {"magnitude-pruning": _magnitude_pruning, "svt-completion": _svt}


@recipe("reg-matrices", MatrixParams)
def reg_matrices(p: MatrixParams, rng: np.random.Generator) -> Arrays:
    """Weight matrices before and after pruning, and a low-rank matrix completed by SVT."""
    return _MATRICES[p.experiment](p, rng)
