"""Recipes of the representations family: the geometry that learned features settle into.

Neural collapse is the unconstrained-features model trained by plain gradient descent; t-SNE is
the exact algorithm (dense affinities, binary search for each point's bandwidth).  Both are
small enough to run in a fraction of a second and are seeded like everything else.  The
experiments drawn as curves or ridges (``rep-curves``) are here too; those drawn as matrices are
in :mod:`teeprint.recipes.rep_matrix`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from teeprint.recipes import Arrays, Params, recipe

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


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
        "pair_cosines": off,
        "mean_norms": np.linalg.norm(centred, axis=1),
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
        with np.errstate(over="ignore"):
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


def tsne_map(x: np.ndarray, perplexity: float, iterations: int, learning_rate: float,
             exaggeration: float, exaggeration_iters: int, rng: np.random.Generator,
             keep: set[int] | frozenset[int] = frozenset()) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """Exact t-SNE of the rows of x: the map, the kept snapshots, P and the final Q."""
    n = x.shape[0]
    sq = np.sum(x * x, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    cond = conditional_affinities(d2, min(perplexity, (n - 1) / 3))
    pij = (cond + cond.T) / (2 * n)
    pij = np.maximum(pij, 1e-12)
    y = rng.normal(0.0, 1e-4, (n, 2))
    velocity = np.zeros_like(y)
    gains = np.ones_like(y)
    history = []
    for it in range(iterations):
        exag = exaggeration if it < exaggeration_iters else 1.0
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
        velocity = momentum * velocity - learning_rate * gains * grad
        y = y + velocity
        y -= y.mean(axis=0)
        if it + 1 in keep:
            history.append(y.copy())
    return y, history, pij, q


@recipe("t-sne", TsneParams)
def tsne(p: TsneParams, rng: np.random.Generator) -> Arrays:
    """van der Maaten & Hinton (2008), exact: Gaussian affinities in, Student-t affinities out.

    Gradient descent on KL(P || Q) with early exaggeration and momentum 0.5 -> 0.8, as in the
    paper.  The map keeps who is near whom: the clusters come apart cleanly in two dimensions.
    """
    centres = rng.normal(0.0, p.centre_spread, (p.clusters, p.dim))
    labels = np.repeat(np.arange(p.clusters), p.per_cluster)
    x = centres[labels] + rng.normal(size=(labels.size, p.dim))
    keep = {it for it in p.snapshots if 0 < it < p.iterations}
    y, history, pij, q = tsne_map(x, p.perplexity, p.iterations, p.learning_rate, p.exaggeration,
                                  p.exaggeration_iters, rng, keep)
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


def _normalise_rows(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norm = np.linalg.norm(u, axis=1, keepdims=True)
    return u / norm, norm


def _unit_backward(du_hat: np.ndarray, u_hat: np.ndarray, norm: np.ndarray) -> np.ndarray:
    """Gradient through u -> u / |u|."""
    return (du_hat - u_hat * np.sum(u_hat * du_hat, axis=1, keepdims=True)) / norm


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


# -- rep-curves: small exact experiments on representations, drawn as curves or ridges ------------

CurveExperiment = Literal["linear-ae", "intrinsic-dimension", "slow-features", "jl-distortion",
                          "infonce-bound", "fourier-features", "dimensional-collapse", "hubness",
                          "byol", "platonic"]


class RepCurvesParams(Params):
    """Which experiment, and its few knobs (each experiment reads the ones it needs)."""

    experiment: CurveExperiment = "linear-ae"
    samples: int = Field(400, ge=20, le=2000, description="data points (or pairs' source points)")
    dim: int = Field(10, ge=3, le=2000, description="ambient dimension")
    hidden: int = Field(2, ge=1, le=8, description="linear-ae: bottleneck width")
    steps: int = Field(3000, ge=10, le=20000, description="linear-ae: gradient-descent steps")
    lr: float = Field(0.05, gt=0.0, le=1.0, description="linear-ae: step size")
    init: float = Field(1e-3, gt=0.0, le=1.0, description="linear-ae: weight scale at step 0")
    spectrum_decay: float = Field(0.6, gt=0.0, lt=1.0, description="linear-ae: eigenvalue ratio")
    ks: tuple[int, ...] = Field((5, 10, 20, 50, 100, 200, 500), min_length=2, max_length=16,
                                description="jl-distortion: projected dimensions")
    neighbours: tuple[int, int] = Field((5, 40), description="intrinsic-dimension: k range")
    noise: float = Field(0.01, ge=0.0, le=1.0)
    mutual_info: tuple[float, ...] = Field((1.0, 3.0, 6.0), min_length=1, max_length=4,
                                           description="infonce-bound: true MI of each curve (nats)")
    repeats: int = Field(8, ge=1, le=64, description="infonce-bound: batches averaged per point")
    scales: tuple[float, ...] = Field((1.0, 10.0, 100.0), min_length=1, max_length=4,
                                      description="fourier-features: std of the Gaussian frequencies")
    augment: tuple[float, float] = Field((0.1, 3.0), description="dimensional-collapse: weak and "
                                         "strong augmentation std on the low-variance half")

    @model_validator(mode="after")
    def _ranges(self) -> RepCurvesParams:
        lo, hi = self.neighbours
        if self.experiment == "intrinsic-dimension" and not 2 <= lo < hi < self.samples:
            msg = "neighbours must be (lo, hi) with 2 <= lo < hi < samples"
            raise ValueError(msg)
        if self.experiment in ("jl-distortion", "hubness") and any(not 1 <= k <= self.dim for k in self.ks):
            msg = "every projected dimension in ks must be within 1..dim"
            raise ValueError(msg)
        return self


def principal_angles_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles between the column spans of a and b, in degrees (ascending)."""
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    s = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1.0, 1.0)
    return np.sort(np.degrees(np.arccos(s)))


def _linear_ae(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Baldi & Hornik (1989): a linear autoencoder trained by full-batch gradient descent on
    squared error ends spanning the principal subspace, at PCA's reconstruction error."""
    spectrum = p.spectrum_decay ** np.arange(p.dim) * 4.0
    q, _ = np.linalg.qr(rng.normal(size=(p.dim, p.dim)))
    x = rng.normal(size=(p.samples, p.dim)) * np.sqrt(spectrum) @ q.T
    x -= x.mean(axis=0)
    cov = x.T @ x / p.samples
    vals, vecs = np.linalg.eigh(cov)
    top = vecs[:, np.argsort(vals)[::-1][: p.hidden]]
    pca_loss = float(np.sort(vals)[::-1][p.hidden:].sum())
    enc = rng.normal(0.0, p.init, (p.hidden, p.dim))
    dec = rng.normal(0.0, p.init, (p.dim, p.hidden))
    marks = np.unique(np.geomspace(1, p.steps, 60).astype(int))
    steps, angle, loss = [], [], []
    for t in range(1, p.steps + 1):
        # Loss = mean over samples of |x - D E x|^2 = tr((I - DE) C (I - DE)^T).
        r = np.eye(p.dim) - dec @ enc
        rc = r @ cov
        g_dec = -2.0 * rc @ enc.T
        g_enc = -2.0 * dec.T @ rc
        dec -= p.lr * g_dec
        enc -= p.lr * g_enc
        if t in marks:
            r = np.eye(p.dim) - dec @ enc
            steps.append(t)
            loss.append(float(np.trace(r @ cov @ r.T)))
            angle.append(float(principal_angles_deg(dec, top)[-1]))
    loss_a = np.asarray(loss)
    return {"step": np.asarray(steps, float), "subspace_angle": np.asarray(angle),
            "loss": loss_a, "pca_loss": pca_loss, "pca_loss_line": np.full(loss_a.shape, pca_loss),
            "final_angle": float(angle[-1]), "final_loss_ratio": float(loss_a[-1] / pca_loss),
            "decoder_orthogonality": float(abs(principal_angles_deg(dec[:, :1], dec[:, 1:])[0] - 90.0))
            if p.hidden >= 2 else 0.0,
            "spectrum": np.sort(vals)[::-1]}


def mle_intrinsic_dimension(x: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Levina & Bickel (2004): for each k, the average over points of the inverse mean log
    ratio of the k-th to the j-th neighbour distance (the MacKay-Ghahramani average of
    inverses)."""
    s = np.sum(x * x, axis=1)
    d2 = np.maximum(s[:, None] + s[None, :] - 2 * x @ x.T, 0.0)
    np.fill_diagonal(d2, np.inf)
    d = np.sqrt(np.sort(d2, axis=1)[:, : int(ks.max())])
    logd = np.log(np.maximum(d, 1e-300))
    out = []
    for k in ks:
        inv = np.mean(logd[:, k - 1 : k] - logd[:, : k - 1], axis=1)  # (1/(k-1)) sum log(T_k/T_j)
        out.append(1.0 / np.mean(inv))
    return np.asarray(out)


def _intrinsic_dimension(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Three clouds in the same ambient space: a rolled 2-D sheet, a flat 5-D slab and a full
    Gaussian, each measured by the MLE estimator over a range of neighbourhood sizes."""
    n, dim = p.samples, p.dim
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    t = np.sqrt((1.5 * np.pi) ** 2 + ((4.5 * np.pi) ** 2 - (1.5 * np.pi) ** 2) * rng.random(n))
    roll = np.zeros((n, dim))
    roll[:, :3] = np.column_stack([t * np.cos(t), 21.0 * rng.random(n), t * np.sin(t)])
    slab = np.zeros((n, dim))
    slab[:, :5] = rng.uniform(-5.0, 5.0, (n, 5))
    full = rng.normal(0.0, 3.0, (n, dim))
    ks = np.arange(p.neighbours[0], p.neighbours[1] + 1)
    est = {}
    for name, cloud in (("roll", roll), ("slab", slab), ("full", full)):
        cloud = cloud @ q.T + rng.normal(0.0, p.noise, (n, dim))
        est[name] = mle_intrinsic_dimension(cloud, ks)
    return {"k": ks.astype(float), "dim_roll": est["roll"], "dim_slab": est["slab"],
            "dim_full": est["full"], "ambient": float(dim),
            "ambient_line": np.full(ks.shape, float(dim)),
            "roll_median": float(np.median(est["roll"])), "slab_median": float(np.median(est["slab"])),
            "full_median": float(np.median(est["full"]))}


def _slow_features(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Wiskott & Sejnowski (2002), their first example: x1 = sin t + cos^2 11t, x2 = cos 11t.
    Quadratic expansion, whitening, then the direction whose time derivative has the least
    variance; the slowest feature is sin t (up to sign).  Deterministic: the generator is unused."""
    t = np.linspace(0.0, 2 * np.pi, p.samples)
    x1 = np.sin(t) + np.cos(11 * t) ** 2
    x2 = np.cos(11 * t)
    z = np.column_stack([x1, x2, x1 * x1, x1 * x2, x2 * x2])
    z -= z.mean(axis=0)
    vals, vecs = np.linalg.eigh(z.T @ z / len(z))
    keep = vals > 1e-10 * vals.max()
    w = vecs[:, keep] / np.sqrt(vals[keep])
    zw = z @ w
    dz = np.diff(zw, axis=0) / (t[1] - t[0])
    dvals, dvecs = np.linalg.eigh(dz.T @ dz / len(dz))
    y = zw @ dvecs[:, 0]
    y *= np.sign(np.corrcoef(y, np.sin(t))[0, 1])
    rows = np.stack([x1, x2, y])
    return {"t": t, "x1": x1, "x2": x2, "slow": y, "sin_t": np.sin(t) / np.std(np.sin(t)),
            "rows": rows, "row_names": ["x₁ = sin t + cos² 11t", "x₂ = cos 11t", "slowest feature"],
            "slowness": dvals[:3],
            "corr_sin": float(np.corrcoef(y, np.sin(t))[0, 1]),
            "corr_x1": float(abs(np.corrcoef(x1, np.sin(t))[0, 1]))}


def _jl_distortion(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Johnson & Lindenstrauss (1984): squared distances after a random Gaussian projection to
    k dimensions (scaled by 1/sqrt(k)) over the originals, for every pair of points."""
    x = rng.normal(size=(p.samples, p.dim))
    iu = np.triu_indices(p.samples, 1)
    s = np.sum(x * x, axis=1)
    d0 = (s[:, None] + s[None, :] - 2 * x @ x.T)[iu]
    grid = np.linspace(0.0, 2.5, 251)
    dens, spread, worst = [], [], []
    for k in p.ks:
        proj = x @ rng.normal(size=(p.dim, k)) / np.sqrt(k)
        sp = np.sum(proj * proj, axis=1)
        ratio = (sp[:, None] + sp[None, :] - 2 * proj @ proj.T)[iu] / d0
        h, _ = np.histogram(ratio, bins=grid, density=True)
        dens.append(h)
        spread.append(float(np.std(ratio)))
        worst.append(float(np.max(np.abs(ratio - 1.0))))
    centres = (grid[1:] + grid[:-1]) / 2
    return {"ratio": centres, "density": np.stack(dens), "k": np.asarray(p.ks, float),
            "spread": np.asarray(spread), "worst": np.asarray(worst),
            "theory_spread": np.sqrt(2.0 / np.asarray(p.ks, float)),
            "pairs": float(len(d0))}


def _infonce_bound(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """van den Oord et al. (2018): the InfoNCE estimate with the optimal critic
    log p(y|x)/p(y) on correlated Gaussians of known mutual information; it never exceeds
    log N, so a batch of N can certify at most log N nats."""
    d = 4
    batch = np.unique(np.geomspace(2, 512, 9).astype(int))
    est = np.empty((len(p.mutual_info), len(batch)))
    for a, mi in enumerate(p.mutual_info):
        rho = math.sqrt(1.0 - math.exp(-2.0 * mi / d))  # MI = -d/2 log(1 - rho^2)
        var = 1.0 - rho * rho
        for b, n in enumerate(batch):
            reps = max(2, p.repeats * 256 // int(n))  # about the same number of pairs per point
            x = rng.normal(size=(reps, n, d))
            y = rho * x + math.sqrt(var) * rng.normal(size=(reps, n, d))
            yy = np.sum(y * y, axis=2)
            xy = np.einsum("rid,rjd->rij", x, y)
            # log p(y_j|x_i) - log p(y_j), up to a constant that cancels
            f = -(yy[:, None, :] + rho * rho * np.sum(x * x, axis=2)[:, :, None] - 2 * rho * xy) / (2 * var)
            f = f + yy[:, None, :] / 2
            top = f.max(axis=2, keepdims=True)
            lse = top[..., 0] + np.log(np.exp(f - top).sum(axis=2))
            diag = np.einsum("rii->ri", f)
            est[a, b] = float(np.mean(diag - lse) + math.log(n))
    out: Arrays = {"batch": batch.astype(float), "log_batch": np.log(batch), "estimate": est,
                   "true_mi": np.asarray(p.mutual_info, float)}
    for a in range(len(p.mutual_info)):
        out[f"estimate_{a}"] = est[a]
        out[f"true_line_{a}"] = np.full(len(batch), p.mutual_info[a])
    return out


def _relu_ntk(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The neural tangent kernel of an infinitely wide two-layer ReLU network (both layers
    trained): u.v (pi - theta) / 2 pi + |u||v| (sin theta + (pi - theta) cos theta) / 2 pi."""
    nu, nv = np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1)
    dot = u @ v.T
    cos = np.clip(dot / np.outer(nu, nv), -1.0, 1.0)
    th = np.arccos(cos)
    return (dot * (math.pi - th) + np.outer(nu, nv) * (np.sin(th) + (math.pi - th) * cos)) / (2 * math.pi)


def _fourier_features(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Tancik et al. (2020), in their NTK setting: kernel regression with a ReLU network's
    NTK on raw coordinates (x, 1) against on Gaussian Fourier features [cos 2 pi b x,
    sin 2 pi b x] with b ~ N(0, scale^2).  Trained on ``samples`` evenly spaced points of a 1-D
    signal, tested at the midpoints between them, drawn on a fine grid."""
    freqs = np.array([1.0, 4.0, 11.0, 23.0])
    phases = rng.uniform(0.0, 2 * math.pi, len(freqs))
    amps = rng.uniform(0.5, 1.0, len(freqs))

    def signal(x: np.ndarray) -> np.ndarray:
        return np.sum(amps[:, None] * np.sin(2 * math.pi * freqs[:, None] * x + phases[:, None]), axis=0)

    train_x = np.arange(p.samples) / p.samples
    test_x = train_x + 0.5 / p.samples
    fine = np.linspace(0.0, 1.0, 1024, endpoint=False)
    train_y = signal(train_x)
    m = 128

    def fit(mapping: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, float]:
        ft = mapping(train_x)
        k = _relu_ntk(ft, ft)
        alpha = np.linalg.solve(k + 1e-8 * np.trace(k) / len(ft) * np.eye(len(ft)), train_y)
        test_err = float(np.mean((_relu_ntk(mapping(test_x), ft) @ alpha - signal(test_x)) ** 2))
        return _relu_ntk(mapping(fine), ft) @ alpha, test_err

    out: Arrays = {"x": fine, "target": signal(fine), "train_x": train_x, "train_y": train_y,
                   "scales": np.asarray(p.scales, float)}
    raw, err = fit(lambda x: np.column_stack([x, np.ones_like(x)]))
    out["fit_raw"] = raw
    errs = [err]
    for i, sc in enumerate(p.scales):
        b = rng.normal(0.0, sc, m)

        def gamma(x: np.ndarray, b: np.ndarray = b) -> np.ndarray:
            return np.hstack([np.cos(2 * math.pi * np.outer(x, b)),
                              np.sin(2 * math.pi * np.outer(x, b))]) / math.sqrt(m)

        out[f"fit_{i}"], err = fit(gamma)
        errs.append(err)
    var = float(np.var(signal(fine)))
    rel = np.asarray(errs) / var
    out.update({"test_mse": np.asarray(errs), "target_var": var, "raw_rel": float(rel[0]),
                "mid_rel": float(rel[1]), "high_rel": float(rel[-1])})
    return out


def _byol_run(p: RepCurvesParams, rng: np.random.Generator, predictor: bool,
              stop_gradient: bool) -> np.ndarray:
    """One linear BYOL run; the online weights' Frobenius norm every 20 steps."""
    d, k, n = p.dim, p.hidden, 128
    w = rng.normal(0.0, 1.0 / math.sqrt(d), (k, d))
    pred = np.eye(k) + (rng.normal(0.0, 0.1, (k, k)) if predictor else 0.0)
    target = w.copy()
    norms = []
    for t in range(p.steps):
        x = rng.normal(size=(n, d))
        x1 = x + p.noise * rng.normal(size=(n, d))
        x2 = x + p.noise * rng.normal(size=(n, d))
        f = x1 @ w.T
        r = (f @ pred.T - x2 @ (target if stop_gradient else w).T) / n  # d(1/2n |p - z|^2)/dp
        g_w = (r @ pred).T @ x1 + 0.005 * w
        if not stop_gradient:
            g_w -= r.T @ x2
        if predictor:
            pred -= p.lr * (r.T @ f + 0.005 * pred)
        w -= p.lr * g_w
        target = 0.99 * target + 0.01 * w
        if t % 20 == 0 or t == p.steps - 1:
            norms.append(float(np.linalg.norm(w)))
    return np.asarray(norms)


def _byol(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Grill et al. (2020) in the linear setting of Tian, Chen & Ganguli (2021): an online
    encoder and predictor chase an exponential moving average of the encoder, with weight
    decay 0.005, on fresh noisy views.  With predictor and stop-gradient the encoder keeps its
    size; drop the predictor and weight decay shrinks it away; let the gradient flow into the
    target and it collapses at once."""
    runs = {name: _byol_run(p, child, pred, stop) for (name, pred, stop), child in
            zip((("full", True, True), ("no_predictor", False, True), ("no_stop", True, False)),
                rng.spawn(3), strict=True)}
    steps = np.minimum(np.arange(len(runs["full"])) * 20, p.steps - 1).astype(float)
    out: Arrays = {"step": steps}
    for name, norms in runs.items():
        out[f"norm_{name}"] = norms / norms[0]
        out[f"final_{name}"] = float(norms[-1] / norms[0])
    return out


def mutual_knn(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    """Huh et al.'s alignment: mean share of each item's k nearest neighbours shared by a and b."""
    def nn(x: np.ndarray) -> np.ndarray:
        s = np.sum(x * x, axis=1)
        d2 = s[:, None] + s[None, :] - 2 * x @ x.T
        np.fill_diagonal(d2, np.inf)
        return np.argpartition(d2, k, axis=1)[:, :k]

    na, nb = nn(a), nn(b)
    rows = np.arange(len(a))[:, None]
    hit = np.zeros((len(a), len(a)), bool)
    hit[rows, na] = True
    return float(np.mean(hit[rows, nb].sum(axis=1) / k))


def _platonic(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Two 'modalities' of the same items, each a different random nonlinear view of one latent
    (ReLU features of one projection, tanh features of another, 200 numbers each, plus noise).
    A 'model' of capacity c keeps each modality's top c principal components; the mutual
    nearest-neighbour alignment of the two models, and of each with the latent, is measured as
    c grows.  A toy of the hypothesis, not a measurement on trained networks."""
    n, latent = p.samples, 6
    z = rng.normal(size=(n, latent))
    img = np.maximum(z @ rng.normal(size=(latent, 200)), 0.0) + p.noise * rng.normal(size=(n, 200))
    txt = np.tanh(z @ rng.normal(size=(latent, 200)) / 2) + p.noise * rng.normal(size=(n, 200))

    def scores(x: np.ndarray) -> np.ndarray:
        u, s, _ = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
        return u * s

    si, st = scores(img), scores(txt)
    caps = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32])
    cross = np.array([mutual_knn(si[:, :c], st[:, :c]) for c in caps])
    to_z_img = np.array([mutual_knn(si[:, :c], z) for c in caps])
    to_z_txt = np.array([mutual_knn(st[:, :c], z) for c in caps])
    return {"capacity": caps.astype(float), "alignment": cross, "img_to_latent": to_z_img,
            "txt_to_latent": to_z_txt, "chance": 10.0 / (n - 1), "latent_dim": float(latent),
            "at_latent": float(cross[caps == latent][0]),
            "chance_line": np.full(len(caps), 10.0 / (n - 1))}


def _skew(v: np.ndarray) -> float:
    c = v - v.mean()
    return float(np.mean(c**3) / max(np.mean(c**2), 1e-300) ** 1.5)


def _hubness(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Radovanovic et al. (2010): N_k(x), how often a point is among the k nearest neighbours
    of the others, for Gaussian clouds of growing dimension (``ks`` holds the dimensions).
    In high dimension a few hubs turn up in very many neighbour lists and most points in none."""
    k = 10
    dims = np.asarray(p.ks, float)
    edges = np.arange(0, 81, 2)
    dens, skews, tops, zeros = [], [], [], []
    for d in p.ks:
        x = rng.normal(size=(p.samples, d))
        s = np.sum(x * x, axis=1)
        d2 = s[:, None] + s[None, :] - 2 * x @ x.T
        np.fill_diagonal(d2, np.inf)
        nn = np.argpartition(d2, k, axis=1)[:, :k]
        counts = np.bincount(nn.ravel(), minlength=p.samples)
        h, _ = np.histogram(np.minimum(counts, edges[-1] - 1), bins=edges, density=True)
        dens.append(h)
        skews.append(_skew(counts.astype(float)))
        tops.append(float(counts.max()))
        zeros.append(float(np.mean(counts == 0)))
    return {"occurrences": (edges[1:] + edges[:-1]) / 2.0, "density": np.stack(dens),
            "dims": dims, "skewness": np.asarray(skews), "max_occurrence": np.asarray(tops),
            "orphans": np.asarray(zeros), "k": float(k)}


def _dimensional_collapse(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Jing et al. (2022): a linear encoder trained with InfoNCE (normalised embeddings,
    temperature 0.2, full-batch gradient descent, fresh augmentations every step).  Where the
    augmentation noise is stronger than the data's own spread, the encoder learns to discard the
    direction: the embedding's singular values there collapse to zero."""
    d, n = p.dim, p.samples
    data_sd = np.linspace(2.0, 0.5, d)
    out: Arrays = {"index": np.arange(1, d + 1, dtype=float), "data_sd": data_sd}
    eye = np.eye(n)
    for name, strength in zip(("weak", "strong"), p.augment, strict=True):
        aug_sd = np.full(d, 0.1)
        aug_sd[d // 2:] = strength
        x = rng.normal(size=(n, d)) * data_sd
        w = rng.normal(0.0, 1.0 / math.sqrt(d), (d, d))
        for _ in range(p.steps):
            a = x + rng.normal(size=(n, d)) * aug_sd
            b = x + rng.normal(size=(n, d)) * aug_sd
            ua, na = _normalise_rows(a @ w)
            ub, nb = _normalise_rows(b @ w)
            logits = ua @ ub.T / 0.2
            g = ((_softmax(logits, 1) - eye) + (_softmax(logits, 0) - eye)) / (2 * n)
            w -= p.lr * (a.T @ _unit_backward(g @ ub / 0.2, ua, na)
                         + b.T @ _unit_backward(g.T @ ua / 0.2, ub, nb))
        z = x @ w
        sv = np.linalg.svd(z - z.mean(axis=0), compute_uv=False)
        out[f"sv_{name}"] = sv / sv[0]
        out[f"collapsed_{name}"] = float(np.sum(sv / sv[0] < 1e-6))
    out["augmented_dims"] = float(d - d // 2)
    return out


@recipe("rep-curves", RepCurvesParams)
def rep_curves(p: RepCurvesParams, rng: np.random.Generator) -> Arrays:
    """Representation experiments drawn as curves: a linear autoencoder finding the principal
    subspace, the intrinsic dimension of clouds, slow feature analysis, random projections."""
    run = {"linear-ae": _linear_ae, "intrinsic-dimension": _intrinsic_dimension,
           "slow-features": _slow_features, "jl-distortion": _jl_distortion,
           "infonce-bound": _infonce_bound, "fourier-features": _fourier_features,
           "dimensional-collapse": _dimensional_collapse, "hubness": _hubness,
           "byol": _byol, "platonic": _platonic}[p.experiment]
    return run(p, rng)
