"""Recipes of the representations family: the geometry that learned features settle into.

Neural collapse is the unconstrained-features model trained by plain gradient descent; t-SNE is
the exact algorithm (dense affinities, binary search for each point's bandwidth).  Both are
small enough to run in a fraction of a second and are seeded like everything else.
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


# -- rep-matrix: similarity, correlation and gradient matrices of small trained models -------------

MatrixExperiment = Literal["agop", "clip", "barlow", "rsa", "group-conv", "cka", "stitching"]


class RepMatrixParams(Params):
    """Which experiment and its knobs (each experiment reads the ones it needs)."""

    experiment: MatrixExperiment = "agop"
    samples: int = Field(400, ge=32, le=2000)
    dim: int = Field(10, ge=2, le=64, description="input dimension")
    width: int = Field(32, ge=4, le=128, description="hidden width / embedding size")
    steps: int = Field(800, ge=10, le=5000)
    lr: float = Field(0.05, gt=0.0, le=2.0)
    temperature: float = Field(0.1, gt=0.0, le=2.0, description="clip: InfoNCE temperature")
    off_weight: float = Field(0.05, ge=0.0, le=1.0, description="barlow: weight of off-diagonal terms")
    noise: float = Field(0.3, ge=0.0, le=3.0, description="view / pair noise")
    shown: int = Field(12, ge=4, le=24, description="clip: pairs shown in the similarity matrix")
    depth: int = Field(4, ge=2, le=8, description="cka: hidden layers of each network")


def _agop(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Radhakrishnan et al. (2024): a two-layer ReLU network trained on a target that depends
    on two of the input coordinates; its average gradient outer product E[grad f grad f^T]
    (over the training inputs) puts its mass on those two coordinates."""
    x = rng.normal(size=(p.samples, p.dim))
    y = x[:, 0] * x[:, 1] + np.sin(x[:, 0])
    w1 = rng.normal(0.0, 1.0 / math.sqrt(p.dim), (p.dim, p.width))
    b1 = np.zeros(p.width)
    w2 = rng.normal(0.0, 1.0 / math.sqrt(p.width), p.width)
    for _ in range(p.steps):
        h = x @ w1 + b1
        a = np.maximum(h, 0.0)
        err = 2.0 * (a @ w2 - y) / len(x)
        gw2 = a.T @ err
        gh = np.outer(err, w2) * (h > 0)
        w1 -= p.lr * x.T @ gh
        b1 -= p.lr * gh.sum(axis=0)
        w2 -= p.lr * gw2
    grads = ((x @ w1 + b1) > 0) * w2 @ w1.T  # (n, dim): gradient of f at each input
    agop = grads.T @ grads / len(x)
    vals, vecs = np.linalg.eigh(agop)
    top = vecs[:, -1]
    mse = float(np.mean((np.maximum(x @ w1 + b1, 0.0) @ w2 - y) ** 2))
    return {"agop": agop, "coord_names": [f"x{str(i + 1).translate(_SUB)}" for i in range(p.dim)],
            "block_share": float(agop[:2, :2].trace() / agop.trace()),
            "top_in_block": float(np.linalg.norm(top[:2])),
            "eigenvalues": vals[::-1], "final_mse": mse, "target_var": float(np.var(y))}


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


def _clip(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Radford et al. (2021), with two linear encoders: paired 'images' and 'captions' are two
    noisy linear views of one latent; the symmetric InfoNCE loss over all pairs of the batch
    (full batch, gradient descent) pulls matching pairs together on the unit sphere."""
    latent = 8
    dx, dy = p.dim, p.dim + 4
    a = rng.normal(size=(latent, dx))
    b = rng.normal(size=(latent, dy))

    def pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
        z = rng.normal(size=(n, latent))
        return (z @ a + p.noise * rng.normal(size=(n, dx)),
                z @ b + p.noise * rng.normal(size=(n, dy)))

    x, y = pairs(p.samples)
    tx, ty = pairs(p.shown)
    hx, hy = pairs(200)
    wx = rng.normal(0.0, 1.0 / math.sqrt(dx), (dx, p.width))
    wy = rng.normal(0.0, 1.0 / math.sqrt(dy), (dy, p.width))

    def sims(xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
        return _normalise_rows(xx @ wx)[0] @ _normalise_rows(yy @ wy)[0].T

    before = sims(tx, ty)
    acc_before = float(np.mean(sims(hx, hy).argmax(axis=1) == np.arange(200)))
    n = len(x)
    eye = np.eye(n)
    track_steps, align, uniform = [], [], []
    for step in range(p.steps + 1):
        ux, nx = _normalise_rows(x @ wx)
        uy, ny = _normalise_rows(y @ wy)
        if step % 10 == 0 or step == p.steps:
            # Wang & Isola's two properties, on held-out pairs: alignment E|f(x) - g(y)|^2 of
            # positives, uniformity log E exp(-2 |f(x) - f(x')|^2) over all pairs of one view.
            hx_u, hy_u = _normalise_rows(hx @ wx)[0], _normalise_rows(hy @ wy)[0]
            track_steps.append(step)
            align.append(float(np.mean(np.sum((hx_u - hy_u) ** 2, axis=1))))
            sq = np.maximum(2.0 - 2.0 * hx_u @ hx_u.T, 0.0)[np.triu_indices(len(hx_u), 1)]
            uniform.append(float(np.log(np.mean(np.exp(-2.0 * sq)))))
        if step == p.steps:
            break
        logits = ux @ uy.T / p.temperature
        g = ((_softmax(logits, 1) - eye) + (_softmax(logits, 0) - eye)) / (2 * n)
        dux, duy = g @ uy / p.temperature, g.T @ ux / p.temperature
        wx -= p.lr * x.T @ _unit_backward(dux, ux, nx)
        wy -= p.lr * y.T @ _unit_backward(duy, uy, ny)
    after = sims(tx, ty)
    held = sims(hx, hy)
    acc_after = float(np.mean(held.argmax(axis=1) == np.arange(200)))
    k = p.shown
    diag_mask = np.eye(k, dtype=bool)
    return {"sim_before": before, "sim_after": after, "diag_mask": diag_mask,
            "pair_names": [str(i + 1) for i in range(k)],
            "retrieval_before": acc_before, "retrieval_after": acc_after,
            "shown_diag_is_max": float(np.mean(after.argmax(axis=1) == np.arange(k))),
            "mean_diag_after": float(after[diag_mask].mean()),
            "mean_off_after": float(after[~diag_mask].mean()),
            "chance": 1.0 / 200, "track_step": np.asarray(track_steps, float),
            "alignment": np.asarray(align), "uniformity": np.asarray(uniform),
            "uniformity_floor": float(_uniform_floor(p.width)),
            "uniformity_floor_line": np.full(len(track_steps), _uniform_floor(p.width)),
            **_align_uniform_plane(np.asarray(align), np.asarray(uniform), _uniform_floor(p.width))}


def _align_uniform_plane(align: np.ndarray, uniform: np.ndarray, floor: float) -> Arrays:
    """The training run as a path in the (alignment, uniformity) plane, with its extent and
    the uniformity floor as a line across it."""
    x0, x1 = 0.0, float(align.max()) * 1.08
    y0, y1 = floor - 0.08, float(uniform.max()) + 0.08
    return {"au_path": np.column_stack([align, uniform]), "au_x": np.linspace(x0, x1, 3),
            "au_y": np.linspace(y0, y1, 3),
            "au_floor": np.array([[[x0, floor], [x1, floor]]]),
            "au_ends": np.array([[align[0], uniform[0]], [align[-1], uniform[-1]]])}


def _uniform_floor(dim: int, samples: int = 20000) -> float:
    """log E exp(-2 |u - v|^2) for u, v independent and uniform on the sphere in ``dim``
    dimensions: the best uniformity, estimated once with a fixed generator."""
    g = np.random.default_rng(12345)
    u = g.normal(size=(samples, dim))
    v = g.normal(size=(samples, dim))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return float(np.log(np.mean(np.exp(-2.0 * np.sum((u - v) ** 2, axis=1)))))


def _standardise(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sd = u.std(axis=0) + 1e-8
    return (u - u.mean(axis=0)) / sd, sd


def _standardise_backward(dz: np.ndarray, z: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Gradient through z = (u - mean u) / std u, per column."""
    return (dz - dz.mean(axis=0) - z * np.mean(dz * z, axis=0)) / sd


def _barlow(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Zbontar et al. (2021), with a linear encoder: two noisy views of each input, embeddings
    standardised over the batch, and the loss sum (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2 on
    their cross-correlation C, minimised by full-batch gradient descent."""
    latent = p.width
    mix = rng.normal(size=(latent, p.dim))
    z0 = rng.normal(size=(p.samples, latent))
    x = z0 @ mix
    w = rng.normal(0.0, 1.0 / math.sqrt(p.dim), (p.dim, p.width))
    va = x + p.noise * rng.normal(size=x.shape)
    vb = x + p.noise * rng.normal(size=x.shape)
    n = len(x)

    def corr() -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        za, sa = _standardise(va @ w)
        zb, sb = _standardise(vb @ w)
        return za.T @ zb / n, (za, sa, zb, sb)

    before, _ = corr()
    off = ~np.eye(p.width, dtype=bool)
    losses = []
    for _ in range(p.steps):
        c, (za, sa, zb, sb) = corr()
        losses.append(float(np.sum((1 - np.diag(c)) ** 2) + p.off_weight * np.sum(c[off] ** 2)))
        dc = np.where(off, 2 * p.off_weight * c, -2 * (1 - c))
        dza, dzb = zb @ dc.T / n, za @ dc / n
        w -= p.lr * (va.T @ _standardise_backward(dza, za, sa) + vb.T @ _standardise_backward(dzb, zb, sb))
    after, _ = corr()
    return {"corr_before": before, "corr_after": after, "dim_names": [str(i + 1) for i in range(p.width)],
            "diag_before": float(np.diag(before).mean()), "diag_after": float(np.diag(after).mean()),
            "off_before": float(np.abs(before[off]).max()), "off_after": float(np.abs(after[off]).max()),
            "loss": np.asarray(losses), "diag_mask": np.eye(p.width, dtype=bool)}


def rdm(patterns: np.ndarray) -> np.ndarray:
    """Representational dissimilarity matrix: 1 - Pearson correlation between the rows."""
    return 1.0 - np.corrcoef(patterns)


def _rank(v: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(v)).astype(float)


def _rsa(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Kriegeskorte et al. (2008): two systems that share no units are compared through their
    dissimilarity matrices over the same stimuli.  Stimuli: 4 categories x 6 exemplars of a
    latent in ``dim`` dimensions.  System A: a random ReLU network of the latent; system B: tanh
    of a different random projection plus measurement noise; control: the same stimuli
    shuffled before B sees them."""
    cats, per = 4, 6
    labels = np.repeat(np.arange(cats), per)
    centres = rng.normal(0.0, 1.0, (cats, p.dim))
    z = centres[labels] + 0.5 * rng.normal(size=(cats * per, p.dim))
    a = np.maximum(z @ rng.normal(size=(p.dim, 100)) / math.sqrt(p.dim), 0.0)
    b = np.tanh(z @ rng.normal(size=(p.dim, 80)) / math.sqrt(p.dim)) + p.noise * rng.normal(size=(cats * per, 80))
    shuffled = b[rng.permutation(cats * per)]
    ra, rb, rc = rdm(a), rdm(b), rdm(shuffled)
    iu = np.triu_indices(cats * per, 1)

    def spearman(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.corrcoef(_rank(x[iu]), _rank(y[iu]))[0, 1])

    same = (labels[:, None] == labels[None, :])[iu]
    return {"rdm_a": ra, "rdm_b": rb, "rdm_control": rc,
            "stimulus_names": [f"{'ABCD'[c]}{i + 1}" for c in range(cats) for i in range(per)],
            "rsa_ab": spearman(ra, rb), "rsa_control": spearman(ra, rc),
            "within_a": float(ra[iu][same].mean()), "between_a": float(ra[iu][~same].mean()),
            "within_b": float(rb[iu][same].mean()), "between_b": float(rb[iu][~same].mean())}


def _correlate_same(x: np.ndarray, f: np.ndarray) -> np.ndarray:
    """2-D cross-correlation with zero padding, output the size of x (odd square filter)."""
    k = f.shape[0] // 2
    xp = np.pad(x, k)
    out = np.zeros_like(x)
    for i in range(f.shape[0]):
        for j in range(f.shape[1]):
            out += f[i, j] * xp[i : i + x.shape[0], j : j + x.shape[1]]
    return out


def _group_conv(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Cohen & Welling (2016), the lifting layer of a p4 group convolution: one filter
    correlated with the image at each of four rotations.  Turning the input a quarter turn turns
    every output map a quarter turn and shifts the rotation channels by one, exactly; an
    ordinary convolution (one rotation only) has no such rule."""
    size = p.dim + (1 - p.dim % 2)  # odd, so the centre pixel is the centre of rotation
    yy, xx = np.mgrid[0:size, 0:size]
    img = np.zeros((size, size))
    for _ in range(4):
        cy, cx = rng.uniform(1, size - 2, 2)
        img += rng.uniform(0.5, 1.0) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 3.0)
    f = rng.normal(size=(3, 3))
    lift = np.stack([_correlate_same(img, np.rot90(f, r)) for r in range(4)])
    turned = np.rot90(img)
    lift_turned = np.stack([_correlate_same(turned, np.rot90(f, r)) for r in range(4)])
    # Rule: lift(rot x)[r] = rot(lift(x)[r - 1]).
    err = max(float(np.max(np.abs(lift_turned[r] - np.rot90(lift[(r - 1) % 4])))) for r in range(4))
    plain = float(np.linalg.norm(lift_turned[0] - np.rot90(lift[0])) / np.linalg.norm(lift[0]))
    return {"image": img, "image_turned": turned, "lift_0": lift[0], "lift_1": lift[1],
            "lift_turned_1": lift_turned[1], "lift_turned_2": lift_turned[2],
            "equivariance_error": err, "plain_conv_mismatch": plain,
            "scale": float(np.max(np.abs(lift)))}


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Kornblith et al. (2019), linear CKA: ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on centred columns."""
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    cross = float(np.sum((y.T @ x) ** 2))
    return cross / float(np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def _tanh_forward(ws: list[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    """Input, each tanh hidden layer, then the logits."""
    acts = [x]
    for w in ws[:-1]:
        acts.append(np.tanh(acts[-1] @ w))
    acts.append(acts[-1] @ ws[-1])
    return acts


def _train_tanh_mlp(x: np.ndarray, y: np.ndarray, k: int, p: RepMatrixParams,
                    rng: np.random.Generator) -> list[np.ndarray]:
    """A tanh MLP (``depth`` hidden layers of ``width`` units) trained by full-batch gradient
    descent on softmax cross-entropy; returns its weights."""
    sizes = [x.shape[1]] + [p.width] * p.depth + [k]
    ws = [rng.normal(0.0, 1.0 / math.sqrt(a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    onehot = np.eye(k)[y]
    for _ in range(p.steps):
        acts = _tanh_forward(ws, x)
        grad = (_softmax(acts[-1], 1) - onehot) / len(x)
        for i in range(len(ws) - 1, -1, -1):
            gw = acts[i].T @ grad
            if i > 0:
                grad = (grad @ ws[i].T) * (1.0 - acts[i] ** 2)
            ws[i] -= p.lr * gw
    return ws


def _cka(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Kornblith et al. (2019): two copies of one architecture trained from different random
    initialisations on the same data; linear CKA between every layer of one and every layer of
    the other, measured on held-out inputs."""
    k = 4
    centres = rng.normal(0.0, 1.0, (k, p.dim))
    y = rng.integers(0, k, p.samples)
    x = centres[y] + rng.normal(size=(p.samples, p.dim))
    half = p.samples // 2
    nets = [_train_tanh_mlp(x[:half], y[:half], k, p, rng) for _ in range(2)]
    acts = [_tanh_forward(ws, x[half:])[1:] for ws in nets]
    n = len(acts[0])
    m = np.array([[linear_cka(acts[0][i], acts[1][j]) for j in range(n)] for i in range(n)])
    accuracy = [float(np.mean(np.argmax(a[-1], axis=1) == y[half:])) for a in acts]
    names = [f"h{i + 1}".translate(_SUB) for i in range(n - 1)] + ["out"]
    off = m[~np.eye(n, dtype=bool)]
    return {"cka": m, "layer_names": names, "diagonal": np.diag(m).copy(), "matching": np.eye(n, dtype=bool),
            "row_best": np.argmax(m, axis=1).astype(float), "layers": float(n),
            "mean_diagonal": float(np.mean(np.diag(m))), "mean_off_diagonal": float(np.mean(off)),
            "first_last": float(m[0, -1]), "accuracy": np.array(accuracy),
            "same_init_check": float(linear_cka(acts[0][0], acts[0][0]))}


def _stitching(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Bansal, Nakkiran & Barak (2021): net A's layers up to cut i, one affine stitching layer,
    then net B's layers after its cut j.  Here the stitch is fitted by least squares from A's
    layer i to B's layer j on the training inputs (not trained on the task loss); held-out
    accuracy for every (i, j), against B alone and against a stitch fitted on shuffled pairs."""
    k = 4
    centres = rng.normal(0.0, 1.0, (k, p.dim))
    y = rng.integers(0, k, p.samples)
    x = centres[y] + rng.normal(size=(p.samples, p.dim))
    half = p.samples // 2
    nets = [_train_tanh_mlp(x[:half], y[:half], k, p, rng) for _ in range(2)]
    train = [_tanh_forward(ws, x[:half]) for ws in nets]
    test = [_tanh_forward(ws, x[half:]) for ws in nets]
    wb = nets[1]
    yt = y[half:]

    def finish(h: np.ndarray, j: int) -> float:
        """Run B from its hidden layer j (1-based) to the logits."""
        for w in wb[j:-1]:
            h = np.tanh(h @ w)
        return float(np.mean(np.argmax(h @ wb[-1], axis=1) == yt))

    def fit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a1 = np.hstack([a, np.ones((len(a), 1))])
        return np.linalg.lstsq(a1, b, rcond=None)[0]

    def apply(m: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.hstack([a, np.ones((len(a), 1))]) @ m

    n = p.depth
    acc = np.zeros((n, n))
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            acc[i - 1, j - 1] = finish(apply(fit(train[0][i], train[1][j]), test[0][i]), j)
    perm = rng.permutation(half)
    shuffled = np.array([finish(apply(fit(train[0][i][perm], train[1][i]), test[0][i]), i)
                         for i in range(1, n + 1)])
    own = [float(np.mean(np.argmax(t[-1], axis=1) == yt)) for t in test]
    names = [f"h{i + 1}".translate(_SUB) for i in range(n)]
    return {"stitched": acc, "diagonal": np.diag(acc).copy(), "shuffled": shuffled,
            "accuracy_a": own[0], "accuracy_b": own[1], "layer_names": names,
            "matching": np.eye(n, dtype=bool), "chance": 1.0 / k,
            "diag_gap": float(np.max(own[1] - np.diag(acc))), "cut": np.arange(1.0, n + 1),
            "b_line": np.full(n, own[1]), "a_line": np.full(n, own[0]), "chance_line": np.full(n, 1.0 / k)}


@recipe("rep-matrix", RepMatrixParams)
def rep_matrix(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Representation experiments drawn as matrices: the average gradient outer product, a
    contrastive image-text similarity matrix, the Barlow Twins cross-correlation, and the
    dissimilarity matrices of representational similarity analysis."""
    run = {"agop": _agop, "clip": _clip, "barlow": _barlow, "rsa": _rsa, "cka": _cka, "stitching": _stitching,
           "group-conv": _group_conv}[p.experiment]
    return run(p, rng)


# -- teacher-targets: DINO's centring and sharpening of a teacher's outputs ------------------------


class TeacherTargetsParams(Params):
    """A teacher's logits over K output dimensions, one dimension favoured for every input."""

    dims: int = Field(8, ge=3, le=12, description="output dimensions K")
    bias: float = Field(2.0, ge=0.0, le=6.0, description="logit lead of the favoured dimension")
    spread: float = Field(1.0, gt=0.0, le=4.0, description="std of the input-specific logits")
    sharp_temperature: float = Field(0.04, gt=0.0, le=1.0, description="teacher temperature τ_t")
    centre_momentum: float = Field(0.9, ge=0.0, lt=1.0, description="EMA momentum m of the centre")
    batches: int = Field(50, ge=1, le=500, description="batches the centre is averaged over")
    batch: int = Field(64, ge=8, le=1024)
    shown: int = Field(512, ge=32, le=4096, description="fresh inputs the drawn averages use")


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _entropy_rows(q: np.ndarray) -> np.ndarray:
    return -np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0), axis=-1)


@recipe("teacher-targets", TeacherTargetsParams)
def teacher_targets(p: TeacherTargetsParams, rng: np.random.Generator) -> Arrays:
    """Caron et al. (2021): the teacher's target is softmax((g − c) / τ_t), c an EMA of batch
    means of g.  On logits g = b + ε with one favoured dimension in b, four targets are measured:
    plain (τ = 1), sharpened only, centred only, centred and sharpened.  Drawn: the target
    averaged over fresh inputs; beside it, the mean entropy of a single input's target."""
    k = p.dims
    b = rng.normal(0.0, 0.3, k)
    b[0] += p.bias

    def logits(n: int) -> np.ndarray:
        return b + rng.normal(0.0, p.spread, (n, k))

    c = np.zeros(k)
    for _ in range(p.batches):
        c = p.centre_momentum * c + (1.0 - p.centre_momentum) * logits(p.batch).mean(axis=0)
    g = logits(p.shown)
    settings = [(False, 1.0), (True, 1.0), (False, p.sharp_temperature), (True, p.sharp_temperature)]
    targets = [_softmax_rows(((g - c) if centred else g) / tau) for centred, tau in settings]
    average = np.stack([t.mean(axis=0) for t in targets])
    per_input = np.array([float(np.mean(_entropy_rows(t))) for t in targets])
    uniform = math.log(k)
    return {
        "vocab": np.array([f"z{i + 1}".translate(_SUB) for i in range(k)]),
        "base": average[0], "after": average[1:], "average": average,
        "per_input_entropy": per_input / uniform,
        "average_entropy": _entropy_rows(average) / uniform,
        "top_mass": average.max(axis=1), "top_dim": np.argmax(average, axis=1).astype(float),
        "dims": float(k), "tau_sharp": p.sharp_temperature,
    }
