"""Interpretability: circuits, dictionaries and edits found in small trained or hand-wired models.

One recipe, ``interp-toy``; its ``experiment`` names one of the table :data:`EXPERIMENTS`.
Every model is a numpy toy trained with analytic gradients (Adam or full-batch gradient
descent), small enough to finish well under a second, so its internals can be read off exactly
and every claim on a plate is checked at other seeds.  The experiments and the arrays each
returns are listed in :func:`interp_toy`'s docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.interpretability import train_toy_model

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


class ToyParams(Params):
    """Which experiment, and the knobs the experiments share (each documents its own use)."""

    experiment: Literal["sae-dictionary", "circuit-prune", "polysemanticity", "activation-patching",
                        "feature-vis", "saliency", "ig-baselines", "linear-probes", "logit-lens",
                        "rome-edit", "steering", "tcav", "concept-bottleneck", "sae-frontier",
                        "occlusion", "control-tasks", "unit-ablation", "smoothgrad",
                        "deletion"]
    n_features: int = Field(5, ge=2, le=16, description="number of true sparse features")
    sparsity: float = Field(0.95, ge=0.0, le=0.999, description="P(a feature is zero)")
    width: int = Field(8, ge=2, le=64, description="dictionary size / hidden units")
    l1: float = Field(0.15, ge=0.0, le=10.0, description="L1 coefficient of a sparse code")
    steps: int = Field(1000, ge=10, le=20000, description="optimisation steps")
    batch: int = Field(128, ge=8, le=4096)
    lr: float = Field(0.01, gt=0.0, le=10.0)
    n: int = Field(2000, ge=16, le=50000, description="data points")
    depth: int = Field(6, ge=1, le=16, description="layers")
    values: tuple[float, ...] = Field((), max_length=12, description="a swept knob (see each)")
    panels: int = Field(4, ge=1, le=10, description="tcav: repeats per concept; sae-frontier: max k")


# -- shared pieces ---------------------------------------------------------------------------


class _Adam:
    """Adam over a list of arrays updated in place (optionally with a cosine learning-rate decay)."""

    def __init__(self, params: list[np.ndarray], lr: float, steps: int = 0,
                 betas: tuple[float, float] = (0.9, 0.999)) -> None:
        self.params, self.lr, self.steps = params, lr, steps
        self.m = [np.zeros_like(q) for q in params]
        self.v = [np.zeros_like(q) for q in params]
        self.b1, self.b2, self.t = betas[0], betas[1], 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        t, b1, b2 = self.t, self.b1, self.b2
        lr = self.lr * (0.5 * (1 + math.cos(math.pi * t / self.steps)) if self.steps else 1.0)
        for q, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            q -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)


def sparse_features(rng: np.random.Generator, n: int, k: int, sparsity: float) -> np.ndarray:
    """n samples of k features, each zero with probability ``sparsity``, else U(0, 1)."""
    u = rng.random((2, n, k))
    return np.where(u[1] >= sparsity, u[0], 0.0)


def train_sae(h: np.ndarray, k: int, l1: float, steps: int, batch: int, lr: float,
              rng: np.random.Generator, topk: int = 0, resample: int = 200) -> dict[str, np.ndarray]:
    """A sparse autoencoder z = ReLU(E h + b), h_hat = D z with unit-norm decoder columns.

    Loss: mean squared error + l1 * mean |z|_1 (or, with ``topk`` > 0, no penalty and only the
    k largest codes kept, Gao et al. 2024).  Adam with cosine decay; latents that never fired
    in the last ``resample`` steps are re-initialised (during the first half of training) on
    data points drawn in proportion to their reconstruction error, as in Bricken et al. 2023.
    """
    d = h.shape[1]
    dec = rng.normal(size=(d, k))
    dec /= np.linalg.norm(dec, axis=0)
    enc = dec.T.copy()
    be = np.zeros(k)
    opt = _Adam([enc, be, dec], lr, steps)
    fired = np.zeros(k, bool)
    for t in range(1, steps + 1):
        x = h[rng.integers(0, len(h), batch)]
        z = _encode(x, enc, be, topk)
        fired |= (z > 0).any(axis=0)
        g_xh = 2.0 * (z @ dec.T - x) / batch
        g_dec = g_xh.T @ z
        g_pre = (g_xh @ dec + (0.0 if topk else l1 / batch)) * (z > 0)
        g_dec -= dec * (g_dec * dec).sum(axis=0)
        opt.step([g_pre.T @ x, g_pre.sum(axis=0), g_dec])
        dec /= np.linalg.norm(dec, axis=0)
        if resample and t % resample == 0 and t <= steps // 2:
            dead = np.nonzero(~fired)[0]
            if dead.size:
                xs = h[rng.integers(0, len(h), 2048)]
                err = ((_encode(xs, enc, be, topk) @ dec.T - xs) ** 2).sum(axis=1) + 1e-12
                pick = rng.choice(len(xs), dead.size, replace=False, p=err / err.sum())
                new = xs[pick] / np.maximum(np.linalg.norm(xs[pick], axis=1, keepdims=True), 1e-12)
                dec[:, dead], enc[dead], be[dead] = new.T, 0.2 * new, 0.0
                for store in (opt.m, opt.v):
                    store[0][dead], store[1][dead], store[2][:, dead] = 0.0, 0.0, 0.0
            fired[:] = False
    return {"enc": enc, "be": be, "dec": dec}


def _encode(x: np.ndarray, enc: np.ndarray, be: np.ndarray, topk: int = 0) -> np.ndarray:
    z = np.maximum(x @ enc.T + be, 0.0)
    if topk and topk < z.shape[1]:
        thr = -np.partition(-z, topk - 1, axis=1)[:, topk - 1:topk]
        z = np.where(z >= thr, z, 0.0)
    return z


def _labels(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{_sub(i + 1)}" for i in range(count)]


# -- sparse autoencoder on the superposition toy ---------------------------------------------


def _exp_sae(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Bricken et al. 2023: train the superposition toy (5 features in 2-D), then an
    over-complete L1 sparse autoencoder on its hidden activations h = W x.

    Arrays: ``W`` (true feature directions, 2 x n), ``D`` (decoder, 2 x k), ``star`` (true
    directions then live decoder columns drawn at 0.6, dead ones at 0.2), ``cos`` (latent x feature cosine),
    ``best_cos`` (per feature, over live latents), ``alive``, ``n_alive``, ``l0`` (mean active
    latents), ``true_l0``, ``rel_mse``, ``cloud`` (500 data points), labels.
    """
    importance = 0.9 ** np.arange(p.n_features)
    toy_rng, data_rng, sae_rng = rng.spawn(3)
    w, _ = train_toy_model(p.n_features, 2, p.sparsity, importance, 2000, 256, 0.01, toy_rng)
    x = sparse_features(data_rng, p.n, p.n_features, p.sparsity)
    h = x @ w.T
    sae = train_sae(h, p.width, p.l1, p.steps, p.batch, p.lr, sae_rng)
    z = _encode(h, sae["enc"], sae["be"])
    alive = (z > 0).mean(axis=0) > 1e-3
    wn = w / np.linalg.norm(w, axis=0)
    cos = sae["dec"].T @ wn  # (k, n), signed: a latent pointing away from a feature is no match
    best = np.where(alive[:, None], cos, -1.0).max(axis=0)
    order = np.lexsort((-cos.max(axis=1), cos.argmax(axis=1)))  # latents grouped by feature
    dec = sae["dec"][:, order]
    recon = z @ sae["dec"].T
    return {
        "W": w, "D": dec, "star": np.concatenate([w, np.where(alive[order], 0.6, 0.2) * dec], axis=1),
        "star_labels": _labels("x", p.n_features) + [""] * p.width,
        "cos": cos[order], "best_cos": best, "latent_best": cos[order].max(axis=1)[alive[order]],
        "best_mask": cos[order] == np.where(alive[order][:, None], cos[order], -1.0).max(axis=0), "alive": alive[order], "n_alive": int(alive.sum()),
        "l0": float((z > 0).sum(axis=1).mean()), "true_l0": float((x > 0).sum(axis=1).mean()),
        "rel_mse": float(((recon - h) ** 2).sum() / (h**2).sum()),
        "cloud": h[np.linalg.norm(h, axis=1) > 1e-9][:500],
        "feature_labels": _labels("x", p.n_features), "latent_labels": _labels("z", p.width),
        "l1": p.l1, "width": p.width,
    }


# -- the circuit hypothesis: prune a trained MLP to the edges that matter --------------------


def _mlp_fit(x: np.ndarray, y: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
             b2: float, mask1: np.ndarray, mask2: np.ndarray, steps: int, lr: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Full-batch gradient descent on the logistic loss of ReLU(x W1 + b1) w2 + b2, masked."""
    w1, b1, w2 = w1 * mask1, b1.copy(), w2 * mask2
    n = len(x)
    for _ in range(steps):
        a = x @ w1 + b1
        hdn = np.maximum(a, 0.0)
        out = hdn @ w2 + b2
        g = (1.0 / (1.0 + np.exp(-out)) - y) / n
        g_h = np.outer(g, w2) * (a > 0)
        w2 -= lr * (hdn.T @ g) * mask2
        b2 -= lr * float(g.sum())
        w1 -= lr * (x.T @ g_h) * mask1
        b1 -= lr * g_h.sum(axis=0)
    return w1, b1, w2, b2


def _mlp_acc(x: np.ndarray, y: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
             b2: float) -> float:
    return float(((np.maximum(x @ w1 + b1, 0.0) @ w2 + b2 > 0) == (y > 0.5)).mean())


def _boolean_task() -> tuple[np.ndarray, np.ndarray]:
    """All 16 patterns of (a, b, c, d) and y = (a and b) or c; d is a distractor."""
    x = ((np.arange(16)[:, None] >> np.arange(4)[::-1]) & 1).astype(float)
    y = ((x[:, 0] * x[:, 1] + x[:, 2]) > 0).astype(float)
    return x, y


def _exp_circuit(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Olah et al. 2020 ('Zoom In'), small enough to check completely: a 4-H-1 ReLU MLP on
    y = (a and b) or c with a distractor input d, trained by full-batch gradient descent, then
    pruned: repeatedly drop the smallest-magnitude edge whose removal keeps accuracy at 100 %
    (fine-tuning 200 steps after each cut) until no edge can go.  Every surviving edge is then
    ablated alone on the final weights.

    Arrays: ``edges`` (|weight| of the 4H input edges, row-major input x hidden, then the H
    output edges; pruned edges are 0), with hidden units sorted by |output weight|;
    ``edges_scaled`` (edges / max), ``kept`` (bool), ``n_kept``, ``n_total``, ``accuracy``
    (pruned net), ``full_accuracy``, ``ablation_accuracy`` (one per kept edge), ``distractor_edges``
    (kept edges leaving d), ``hidden_used``, ``truth_table`` (16 x 2: target, pruned output).
    """
    x, y = _boolean_task()
    hdim = p.width
    w1 = rng.normal(0.0, 1.0, (4, hdim))
    b1 = rng.normal(0.0, 0.1, hdim)
    w2 = rng.normal(0.0, 1.0, hdim)
    ones1, ones2 = np.ones((4, hdim)), np.ones(hdim)
    w1, b1, w2, b2 = _mlp_fit(x, y, w1, b1, w2, 0.0, ones1, ones2, p.steps, p.lr)
    full_acc = _mlp_acc(x, y, w1, b1, w2, b2)
    m1, m2 = ones1.copy(), ones2.copy()
    while True:
        cands = [(abs(w1[i, j]), 1, i, j) for i in range(4) for j in range(hdim) if m1[i, j]]
        cands += [(abs(w2[j]), 2, j, 0) for j in range(hdim) if m2[j]]
        cands.sort()
        for _, layer, i, j in cands:
            t1, t2 = m1.copy(), m2.copy()
            if layer == 1:
                t1[i, j] = 0.0
            else:
                t2[i] = 0.0
            f = _mlp_fit(x, y, w1, b1, w2, b2, t1, t2, 200, p.lr)
            if _mlp_acc(x, y, *f) == 1.0:
                m1, m2 = t1, t2
                w1, b1, w2, b2 = f
                break
        else:
            break
    # a hidden unit without an output edge (or without inputs) carries nothing: drop its edges
    dead = (m2 == 0) | (m1.sum(axis=0) == 0)
    m1[:, dead], m2[dead] = 0.0, 0.0
    w1, w2 = w1 * m1, w2 * m2
    acc = _mlp_acc(x, y, w1, b1, w2, b2)
    order = np.argsort(-np.abs(w2), kind="stable")
    w1, b1, w2, m1, m2 = w1[:, order], b1[order], w2[order], m1[:, order], m2[order]
    ablation = []
    for i in range(4):
        for j in range(hdim):
            if m1[i, j]:
                t = w1.copy()
                t[i, j] = 0.0
                ablation.append(_mlp_acc(x, y, t, b1, w2, b2))
    for j in range(hdim):
        if m2[j]:
            t = w2.copy()
            t[j] = 0.0
            ablation.append(_mlp_acc(x, y, w1, b1, t, b2))
    edges = np.concatenate([np.abs(w1).ravel(), np.abs(w2)])
    kept = np.concatenate([m1.ravel(), m2]) > 0
    out = np.maximum(x @ w1 + b1, 0.0) @ w2 + b2 > 0
    return {
        "edges": edges, "edges_scaled": edges / edges.max(), "kept": kept,
        "n_kept": int(kept.sum()), "n_total": int(kept.size), "accuracy": acc,
        "full_accuracy": full_acc, "ablation_accuracy": np.asarray(ablation),
        "distractor_edges": int(m1[3].sum()), "hidden_used": int(m2.sum()),
        "w1": w1, "w2": w2, "b1": b1, "b2": b2,
        "truth_table": np.stack([y, out.astype(float)], axis=1),
    }


# -- polysemanticity ---------------------------------------------------------------------------


def _train_relu_hidden(n: int, m: int, sparsity: float, steps: int, batch: int, lr: float,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elhage et al.'s ReLU-hidden toy: h = ReLU(W x), x_hat = ReLU(W' h + b), Adam on MSE
    with importance 0.8^i; returns (W, W', b)."""
    importance = 0.8 ** np.arange(n)
    w = rng.normal(0.0, math.sqrt(1.0 / n), (m, n))
    w_out = rng.normal(0.0, math.sqrt(1.0 / m), (n, m))
    b = np.zeros(n)
    opt = _Adam([w, w_out, b], lr)
    for _ in range(steps):
        x = sparse_features(rng, batch, n, sparsity)
        a = x @ w.T
        hdn = np.maximum(a, 0.0)
        o = hdn @ w_out.T + b
        xh = np.maximum(o, 0.0)
        g_o = 2.0 * importance * (xh - x) * (o > 0) / batch
        g_h = (g_o @ w_out) * (a > 0)
        opt.step([g_h.T @ x, g_o.T @ hdn, g_o.sum(axis=0)])
    return w, w_out, b


def _exp_polysemanticity(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Elhage et al. 2022 / Olah et al. 2017: n sparse features through m < n ReLU neurons.

    Each feature alone (value 1) is pushed through the trained model; ``response`` is neuron x
    feature (m x n), each neuron's row scaled to its own maximum.  A neuron is polysemantic when
    two or more features drive it above half its peak (``poly_mask`` marks those cells).
    Arrays: ``response``, ``poly_mask``, ``features_per_neuron``, ``n_poly``, ``n_represented``
    (features that drive some neuron above half its peak), labels.
    """
    w, _, _ = _train_relu_hidden(p.n_features, p.width, p.sparsity, p.steps, p.batch, p.lr, rng)
    hdn = np.maximum(w, 0.0)  # neuron j's response to feature i alone is ReLU(W[j, i])
    resp = hdn / np.maximum(hdn.max(axis=1, keepdims=True), 1e-12)
    live = hdn.max(axis=1) > 1e-3
    strong = (resp > 0.5) & live[:, None]
    per = strong.sum(axis=1)
    return {
        "response": resp, "poly_mask": strong & (per[:, None] >= 2), "features_per_neuron": per,
        "n_poly": int((per >= 2).sum()), "n_represented": int(strong.any(axis=0).sum()),
        "feature_labels": _labels("x", p.n_features), "neuron_labels": _labels("n", p.width),
        "sparsity": p.sparsity, "n_features": p.n_features, "width": p.width,
    }


# -- activation patching -----------------------------------------------------------------------


def _exp_patching(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Meng et al. 2022 / Vig et al. 2020 on a model small enough to patch completely: a 4-H-1
    ReLU MLP trained on y = (a and b) or c with a distractor input d (as ``circuit-prune``,
    unpruned).

    Rows: every clean/corrupted pair of inputs that differ in one bit and flip the answer from
    1 to 0 (ten pairs), then the two pairs that flip only d.  For each pair, each hidden unit's
    activation is copied from the clean run into the corrupted run alone; ``effect`` is the
    logit change this causes (units sorted by |output weight|), ``share`` the same divided by
    the pair's clean-minus-corrupted logit gap.  With one hidden layer and a linear read-out the
    single-unit patches add up exactly, so ``share`` rows sum to 1.
    Arrays: ``effect`` (pairs x H), ``share``, ``gap``, ``top2`` (share carried by each
    answer-flipping pair's two strongest units), ``distractor_ratio`` (largest |effect| on a
    d pair over the smallest answer-flipping gap), ``units_used`` (units with share > 0.05 on
    some pair), ``accuracy``, pair and unit labels.
    """
    x, y = _boolean_task()
    w1 = rng.normal(0.0, 1.0, (4, p.width))
    b1 = rng.normal(0.0, 0.1, p.width)
    w2 = rng.normal(0.0, 1.0, p.width)
    ones1, ones2 = np.ones((4, p.width)), np.ones(p.width)
    w1, b1, w2, b2 = _mlp_fit(x, y, w1, b1, w2, 0.0, ones1, ones2, p.steps, p.lr)
    order = np.argsort(-np.abs(w2), kind="stable")
    w1, b1, w2 = w1[:, order], b1[order], w2[order]
    pairs: list[tuple[np.ndarray, np.ndarray, str]] = []
    for bit, name in enumerate("abc"):
        for row in x:
            if row[bit] == 1 and row[3] == 0 or (bit == 2 and row[bit] == 1):
                other = row.copy()
                other[bit] = 0.0
                yc, yx = (row[0] * row[1] + row[2]) > 0, (other[0] * other[1] + other[2]) > 0
                if yc and not yx:
                    pairs.append((row, other, f"{name}: {_bits(row)} → {_bits(other)}"))
    flips = len(pairs)
    for row in (np.array([1.0, 1.0, 0.0, 1.0]), np.array([0.0, 0.0, 0.0, 1.0])):
        other = row.copy()
        other[3] = 0.0
        pairs.append((row, other, f"d: {_bits(row)} → {_bits(other)}"))
    effect = np.empty((len(pairs), p.width))
    gaps = np.empty(len(pairs))
    for r, (clean, corrupt, _) in enumerate(pairs):
        hc = np.maximum(clean @ w1 + b1, 0.0)
        hx = np.maximum(corrupt @ w1 + b1, 0.0)
        effect[r] = (hc - hx) * w2
        gaps[r] = effect[r].sum()
    share = effect[:flips] / gaps[:flips, None]
    top2 = -np.sort(-share, axis=1)[:, :2].sum(axis=1)
    return {
        "effect": effect, "share": share, "gap": gaps[:flips], "top2": top2[None, :],
        "distractor_ratio": float(np.abs(effect[flips:]).max() / gaps[:flips].min()),
        "units_used": int((np.abs(share) > 0.05).any(axis=0).sum()), "n_pairs": flips,
        "accuracy": _mlp_acc(x, y, w1, b1, w2, b2),
        "pair_labels": [q[2] for q in pairs], "unit_labels": _labels("h", p.width),
    }


def _bits(row: np.ndarray) -> str:
    return "".join(str(int(v)) for v in row)


# -- a tiny numpy CNN on oriented bars: feature visualisation, saliency, baselines ----------

_ANGLES = (0.0, 45.0, 90.0, 135.0)


def _cnn_bars(rng: np.random.Generator, n: int, size: int = 16, noise: float = 0.3,
              fixed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n images of one bar each: class k = orientation _ANGLES[k] (counter-clockwise, y up),
    random centre and half-length 4..7, width 1.8 px, plus Gaussian pixel noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    cls = rng.integers(0, len(_ANGLES), n) if fixed is None else np.full(n, fixed)
    th = np.radians(np.asarray(_ANGLES)[cls])[:, None, None]
    cx = rng.uniform(5, size - 6, n)[:, None, None]
    cy = rng.uniform(5, size - 6, n)[:, None, None]
    length = rng.uniform(4, 7, n)[:, None, None]
    dx, dy = xx[None] - cx, -(yy[None] - cy)
    along = dx * np.cos(th) + dy * np.sin(th)
    across = -dx * np.sin(th) + dy * np.cos(th)
    img = ((np.abs(across) < 0.9) & (np.abs(along) < length)).astype(float)
    return img + rng.normal(0.0, noise, img.shape), cls


def _cnn_patches(x: np.ndarray, k: int) -> np.ndarray:
    """All k x k patches of images (n, s, s): (n, (s-k+1)^2, k*k)."""
    n, s, _ = x.shape
    o = s - k + 1
    idx = np.arange(o)[:, None] + np.arange(k)[None, :]
    return x[:, idx[:, None, :, None], idx[None, :, None, :]].reshape(n, o * o, k * k)


def _cnn_forward(params: list[np.ndarray], x: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """(patches, pre-activations, argmax position per filter, pooled, logits)."""
    w, b, v, c = params
    pt = _cnn_patches(x, k)
    a = pt @ w + b
    r = np.maximum(a, 0.0)
    am = r.argmax(axis=1)
    pooled = np.take_along_axis(r, am[:, None, :], 1)[:, 0]
    return pt, a, am, pooled, pooled @ v + c


def _cnn_train(rng: np.random.Generator, n: int, steps: int, batch: int, lr: float,
               k: int = 5, filters: int = 8) -> tuple[list[np.ndarray], float]:
    """Conv (``filters`` k x k, valid) -> ReLU -> global max-pool -> linear to 4 classes,
    softmax cross-entropy, Adam; returns the parameters and the accuracy on 500 fresh images."""
    x, y = _cnn_bars(rng, n)
    params = [rng.normal(0.0, 1.0 / k, (k * k, filters)), np.zeros(filters),
              rng.normal(0.0, 0.5, (filters, 4)), np.zeros(4)]
    opt = _Adam(params, lr)
    rows = np.arange(batch)
    for _ in range(steps):
        idx = rng.integers(0, n, batch)
        pt, a, am, pooled, logits = _cnn_forward(params, x[idx], k)
        pr = np.exp(logits - logits.max(axis=1, keepdims=True))
        pr /= pr.sum(axis=1, keepdims=True)
        pr[rows, y[idx]] -= 1.0
        g = pr / batch
        gpool = (g @ params[2].T) * (np.take_along_axis(a, am[:, None, :], 1)[:, 0] > 0)
        sel = np.take_along_axis(pt, am[:, :, None], 1)  # the patch each filter's max came from
        opt.step([np.einsum("bf,bfk->kf", gpool, sel), gpool.sum(axis=0), pooled.T @ g,
                  g.sum(axis=0)])
    xt, yt = _cnn_bars(rng, 500)
    return params, float((_cnn_forward(params, xt, k)[4].argmax(axis=1) == yt).mean())


def _cnn_input_grad(params: list[np.ndarray], x: np.ndarray, k: int,
                    cls: int) -> tuple[np.ndarray, np.ndarray]:
    """d logit[cls] / d x for images x (n, s, s), and the logits."""
    w, _, v, _ = params
    n, s, _ = x.shape
    o = s - k + 1
    _, a, am, _, logits = _cnn_forward(params, x, k)
    gpool = v[:, cls][None, :] * (np.take_along_axis(a, am[:, None, :], 1)[:, 0] > 0)
    gx = np.zeros_like(x)
    for f in range(w.shape[1]):
        kern = w[:, f].reshape(k, k)
        for i in range(n):
            r, c = divmod(int(am[i, f]), o)
            gx[i, r:r + k, c:c + k] += gpool[i, f] * kern
    return gx, logits


def _cnn_blur(img: np.ndarray) -> np.ndarray:
    """A separable 1-2-1 blur with edge padding."""
    p = np.pad(img, 1, mode="edge")
    p = (p[:-2] + 2 * p[1:-1] + p[2:]) / 4
    return (p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]) / 4


def _cnn_visualise(params: list[np.ndarray], k: int, cls: int, rng: np.random.Generator,
                   steps: int = 80, lr: float = 0.2, decay: float = 0.02) -> np.ndarray:
    """Regularised gradient ascent on the input for one class logit: random jitter of up to
    2 px each step, L2 decay, a blur every 4th step."""
    x = rng.normal(0.0, 0.1, (16, 16))
    for t in range(steps):
        sh = tuple(int(v) for v in rng.integers(-2, 3, 2))
        g, _ = _cnn_input_grad(params, np.roll(x, sh, (0, 1))[None], k, cls)
        x += lr * np.roll(g[0], (-sh[0], -sh[1]), (0, 1)) - decay * x
        if t % 4 == 0:
            x = _cnn_blur(x)
    return x


def _cnn_orientation(img: np.ndarray) -> float:
    """Dominant orientation (degrees in [0, 180), counter-clockwise from x, y up) of bar-like
    structure: the direction of least intensity change, from the structure tensor."""
    gy, gx = np.gradient(img)
    gy = -gy
    jxx, jyy, jxy = (gx * gx).sum(), (gy * gy).sum(), (gx * gy).sum()
    return (0.5 * math.degrees(math.atan2(2 * jxy, jxx - jyy)) + 90.0) % 180.0


def _mosaic(images: np.ndarray, gap: int = 1) -> np.ndarray:
    """Images (n, h, w) side by side with zero gaps (drawn empty)."""
    n, h, w = images.shape
    out = np.zeros((h, n * w + (n - 1) * gap))
    for i in range(n):
        out[:, i * (w + gap): i * (w + gap) + w] = images[i]
    return out


def _angle_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.abs(np.asarray(a) - np.asarray(b)) % 180.0
    return np.minimum(d, 180.0 - d)


def _exp_feature_vis(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Olah et al. 2017 on a tiny CNN: 8 filters 5 x 5 (valid), ReLU, global max-pool, linear
    read-out to 4 classes, trained with Adam (``steps`` of ``batch``, lr ``lr``) on ``n``
    16 x 16 images of one bar at 0, 45, 90 or 135 degrees in Gaussian noise.  Then, per class,
    gradient ascent on the input from faint noise (80 steps, step 0.2, L2 decay 0.02, random
    jitter of up to 2 px every step, a 3 x 3 blur every 4th: Olah et al.'s transformation
    robustness).  ``orientation_deg``: each result's dominant orientation from its structure
    tensor; ``orientation_error`` against the class angle.
    Arrays: ``vis_0`` .. ``vis_3`` (16 x 16), ``examples`` (mosaic of one input per class),
    ``filters`` (mosaic of the 8 filters), ``orientation_deg``, ``class_deg``,
    ``orientation_error``, ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    vis = np.stack([_cnn_visualise(params, 5, c, rng) for c in range(4)])
    ors = np.array([_cnn_orientation(v) for v in vis])
    ex, cls = _cnn_bars(rng, 64)
    pick = np.array([int(np.nonzero(cls == c)[0][0]) for c in range(4)])
    out: Arrays = {f"vis_{c}": vis[c] for c in range(4)}
    out.update(
        examples=_mosaic(ex[pick]), filters=_mosaic(params[0].T.reshape(-1, 5, 5)),
        orientation_deg=ors, class_deg=np.asarray(_ANGLES),
        orientation_error=_angle_error(ors, np.asarray(_ANGLES)), test_acc=float(acc),
    )
    return out


def _test_bars(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One noisy test image per class and the mask of its bar pixels."""
    imgs, masks = [], []
    for c in range(4):
        clean, _ = _cnn_bars(np.random.default_rng(int(rng.integers(2**31))), 1, noise=0.0,
                             fixed=c)
        masks.append(clean[0] > 0.5)
        imgs.append(clean[0] + rng.normal(0.0, 0.3, clean[0].shape))
    return np.stack(imgs), np.stack(masks), np.arange(4)


def _exp_saliency(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Simonyan et al. 2014 on the bar CNN (trained as in ``feature-vis``): for one noisy test
    image per class, the gradient of its class logit with respect to the input pixels.
    Arrays: ``inputs`` and ``saliency`` (mosaics, |gradient| scaled per image to its maximum),
    ``bar_share`` (share of |gradient| on the bar's pixels, per image), ``pixel_share`` (share
    of pixels that are bar), ``lift`` (bar_share / pixel_share), ``correct`` (the CNN's answers
    right), ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, masks, cls = _test_bars(rng)
    sal = np.empty_like(imgs)
    logits = np.empty((4, 4))
    for i in range(4):
        g, lg = _cnn_input_grad(params, imgs[i:i + 1], 5, int(cls[i]))
        sal[i] = np.abs(g[0])
        logits[i] = lg[0]
    share = np.array([sal[i][masks[i]].sum() / sal[i].sum() for i in range(4)])
    pix = masks.reshape(4, -1).mean(axis=1)
    sal_scaled = sal / sal.reshape(4, -1).max(axis=1)[:, None, None]
    return {
        "inputs": _mosaic(imgs), "saliency": _mosaic(sal_scaled), "bar_share": share,
        "pixel_share": pix, "lift": share / pix, "correct": int((logits.argmax(axis=1) == cls).sum()),
        "test_acc": float(acc),
    }


def _bar_lift(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per image: share of a non-negative map on the bar's pixels over the bar's pixel share."""
    flat, m = maps.reshape(len(maps), -1), masks.reshape(len(masks), -1)
    return (flat * m).sum(axis=1) / flat.sum(axis=1) / m.mean(axis=1)


def _exp_occlusion(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Zeiler & Fergus 2014 on the bar CNN (trained as in ``feature-vis``): for one noisy test
    image per class, a ``width`` x ``width`` square of zeros is slid over every position
    (stride 1); each pixel's sensitivity is the mean drop of the class logit over the squares
    covering it, clipped at zero.
    Arrays: ``inputs``, ``occlusion`` (the 4 images / maps stacked top to bottom, each map
    scaled to its maximum), ``lift``
    (share of the map on bar pixels / their pixel share), ``correct``, ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, masks, cls = _test_bars(rng)
    s, w = imgs.shape[1], min(p.width, 8)
    o = s - w + 1
    base = _cnn_forward(params, imgs, 5)[4]
    occ = np.empty((4, s, s))
    for i in range(4):
        batch = np.repeat(imgs[i:i + 1], o * o, axis=0)
        for j in range(o * o):
            r, c = divmod(j, o)
            batch[j, r:r + w, c:c + w] = 0.0
        drop = base[i, cls[i]] - _cnn_forward(params, batch, 5)[4][:, cls[i]]
        tot, cnt = np.zeros((s, s)), np.zeros((s, s))
        for j in range(o * o):
            r, c = divmod(j, o)
            tot[r:r + w, c:c + w] += drop[j]
            cnt[r:r + w, c:c + w] += 1
        occ[i] = np.maximum(tot / cnt, 0.0)
    occ_s = occ / occ.reshape(4, -1).max(axis=1)[:, None, None]
    return {
        "inputs": _mosaic(imgs.transpose(0, 2, 1)).T, "occlusion": _mosaic(occ_s.transpose(0, 2, 1)).T,
        "lift": _bar_lift(occ, masks), "correct": int((base.argmax(axis=1) == cls).sum()),
        "test_acc": float(acc),
    }


def _fit_probe(x: np.ndarray, y: np.ndarray, hidden: int, steps: int, lr: float,
               rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """A binary probe trained by Adam (full batch) on the logistic loss: logistic regression
    when ``hidden`` is 0, else a one-hidden-layer ReLU MLP of that width; returns its logit."""
    d = x.shape[1]
    if hidden == 0:
        w = [np.zeros((d, 1)), np.zeros(1)]
    else:
        w = [rng.normal(0, 1 / math.sqrt(d), (d, hidden)), np.zeros(hidden),
             rng.normal(0, 1 / math.sqrt(hidden), (hidden, 1)), np.zeros(1)]

    def logit(xs: np.ndarray) -> np.ndarray:
        if hidden == 0:
            return (xs @ w[0])[:, 0] + w[1][0]
        return (np.maximum(xs @ w[0] + w[1], 0.0) @ w[2])[:, 0] + w[3][0]

    opt = _Adam(w, lr)
    for _ in range(steps):
        g = (1.0 / (1.0 + np.exp(-logit(x))) - y) / len(y)
        if hidden == 0:
            opt.step([x.T @ g[:, None], np.array([g.sum()])])
        else:
            a = x @ w[0] + w[1]
            gr = (g[:, None] @ w[2].T) * (a > 0)
            opt.step([x.T @ gr, gr.sum(0), np.maximum(a, 0.0).T @ g[:, None], np.array([g.sum()])])
    return logit


def _exp_control_tasks(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Hewitt & Liang 2019 on a synthetic representation: ``n`` word types, each a random
    embedding in ``width`` dimensions; every type occurs ``depth`` times, each occurrence its
    embedding plus Gaussian noise (sd 0.3).  The task label of a type is the side of a fixed
    random hyperplane its embedding lies on; the control task gives each type a random label
    (a permutation of the task labels, so the class balance is the same).  Probes (hidden
    widths ``values``, 0 = logistic regression; ``steps`` of full-batch Adam at ``lr``) are
    trained on a random half of the occurrences and scored on the other half.
    Arrays: ``accuracy`` (2 x probes: task, control), ``selectivity`` (1 x probes: task minus
    control), ``sel`` (flat), ``task_acc``, ``control_acc``, ``acc_by_probe`` (probes x 2),
    ``chance`` (0.5), ``sel_first``/``sel_last`` (selectivity of the first and last probe), labels.
    """
    widths = [int(v) for v in (p.values or (0, 4, 16, 64))]
    if any(w < 0 or w > 256 for w in widths):
        msg = "control-tasks: probe widths must be in 0..256"
        raise ValueError(msg)
    emb = rng.normal(size=(p.n, p.width))
    real = (emb @ rng.normal(size=p.width) > 0).astype(float)
    ctrl = rng.permutation(real)
    types = np.repeat(np.arange(p.n), p.depth)
    x = emb[types] + 0.3 * rng.normal(size=(len(types), p.width))
    tr = rng.random(len(types)) < 0.5
    acc = np.zeros((2, len(widths)))
    for t, lab in enumerate((real, ctrl)):
        y = lab[types]
        for k, h in enumerate(widths):
            f = _fit_probe(x[tr], y[tr], h, p.steps, p.lr, rng)
            acc[t, k] = float(((f(x[~tr]) > 0) == (y[~tr] > 0.5)).mean())
    sel = acc[0] - acc[1]
    return {
        "accuracy": acc, "selectivity": sel[None, :], "sel": sel, "task_acc": acc[0],
        "control_acc": acc[1], "task_labels": ["task", "control"],
        "probe_labels": ["linear" if h == 0 else f"MLP {h}" for h in widths],
        "sel_labels": ["selectivity"],
        "acc_by_probe": acc.T, "chance": 0.5, "sel_first": float(sel[0]), "sel_last": float(sel[-1]),
    }


def _exp_unit_ablation(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Morcos et al. 2018 on a small MLP: ``n`` points of the three rings lifted to 10-d
    (tanh of a random projection), fitted by a ``width``-unit ReLU MLP (full-batch Adam,
    ``steps`` at ``lr``) once on the true labels and once on randomly permuted labels (which
    it can only memorise).  Then a fraction ``values`` of the hidden units is zeroed (10 random
    draws per fraction) and the training accuracy re-measured, relative to the unablated one.
    Arrays: ``relative`` (2 x fractions: true, random labels; ``relative_by_share`` its
    transpose), ``rel_true``, ``rel_random``,
    ``base_acc`` (true, random), ``fractions``, labels.
    """
    fr = np.asarray(p.values or (0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75))
    if np.any((fr < 0) | (fr > 1)):
        msg = "unit-ablation: fractions must be in [0, 1]"
        raise ValueError(msg)
    x2, y = _rings(rng, p.n)
    x = np.tanh(x2 @ rng.normal(size=(2, 10)))
    h, k = p.width, 3
    rel, base = np.zeros((2, len(fr))), np.zeros(2)
    for t, lab in enumerate((y, rng.permutation(y))):
        w = [rng.normal(0, 1 / math.sqrt(10), (10, h)), np.zeros(h),
             rng.normal(0, 1 / math.sqrt(h), (h, k)), np.zeros(k)]
        opt, oh = _Adam(w, p.lr), np.eye(k)[lab]
        for _ in range(p.steps):
            a = x @ w[0] + w[1]
            r = np.maximum(a, 0.0)
            g = (_softmax(r @ w[2] + w[3]) - oh) / len(lab)
            gr = (g @ w[2].T) * (a > 0)
            opt.step([x.T @ gr, gr.sum(0), r.T @ g, g.sum(0)])
        hid = np.maximum(x @ w[0] + w[1], 0.0)

        def acc(mask: np.ndarray, hid: np.ndarray = hid, w: list[np.ndarray] = w,
                lab: np.ndarray = lab) -> float:
            return float((((hid * mask) @ w[2] + w[3]).argmax(1) == lab).mean())

        base[t] = acc(np.ones(h))
        for j, f in enumerate(fr):
            draws = []
            for _ in range(10):
                m = np.ones(h)
                m[rng.permutation(h)[: int(round(f * h))]] = 0.0
                draws.append(acc(m))
            rel[t, j] = float(np.mean(draws)) / base[t]
    return {
        "relative": rel, "relative_by_share": rel.T, "rel_true": rel[0], "rel_random": rel[1],
        "base_acc": base,
        "fractions": fr, "label_rows": ["true labels", "random labels"],
        "fraction_labels": [f"{100 * f:.1f}".rstrip("0").rstrip(".") + "%" for f in fr],
    }


def _exp_baselines(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Sturmfels et al. 2020: integrated gradients of the bar CNN's class logit on one test
    image (a 45-degree bar), from three baselines: black (zeros), the image blurred (3 x 3,
    eight passes) and uniform noise; 64-step midpoint sums.  Arrays: ``image``, ``baseline_k``
    and ``ig_k`` (k = 0 black, 1 blurred, 2 noise), ``completeness_error`` (|sum IG - (f(x) -
    f(x'))| / |f(x) - f(x')|, per baseline), ``delta`` (f(x) - f(x')), ``bar_share`` (share of
    |IG| on the bar), ``map_corr`` (correlation of the black and blurred maps, of the black and
    noise maps), ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, masks, _ = _test_bars(rng)
    x, mask, cls = imgs[1], masks[1], 1
    blurred = x.copy()
    for _ in range(8):
        blurred = _cnn_blur(blurred)
    bases = [np.zeros_like(x), blurred, rng.uniform(x.min(), x.max(), x.shape)]
    steps = 64
    alphas = (np.arange(steps) + 0.5) / steps
    out: Arrays = {"image": x}
    err, delta, share, maps = [], [], [], []
    for k, base in enumerate(bases):
        path = base[None] + alphas[:, None, None] * (x - base)[None]
        g, _ = _cnn_input_grad(params, path, 5, cls)
        ig = (x - base) * g.mean(axis=0)
        f = _cnn_forward(params, np.stack([x, base]), 5)[4][:, cls]
        d = float(f[0] - f[1])
        err.append(abs(ig.sum() - d) / abs(d))
        delta.append(d)
        share.append(float(np.abs(ig)[mask].sum() / np.abs(ig).sum()))
        maps.append(ig)
        out[f"baseline_{k}"], out[f"ig_{k}"] = base, ig
    out.update(
        completeness_error=np.asarray(err), delta=np.asarray(delta), bar_share=np.asarray(share),
        bar_share_row=np.asarray(share)[None, :], baseline_labels=["black", "blurred", "noise"],
        pixel_share=float(mask.mean()),
        map_corr=np.array([np.corrcoef(maps[0].ravel(), maps[1].ravel())[0, 1],
                           np.corrcoef(maps[0].ravel(), maps[2].ravel())[0, 1]]),
        test_acc=float(acc),
    )
    return out


# -- a residual MLP read layer by layer: linear probes and the logit lens -------------------


def _rings(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Three classes on concentric rings (radii 0.6, 1.4, 2.2, radial noise sd 0.15)."""
    y = rng.integers(0, 3, n)
    ang = rng.uniform(0.0, 2 * np.pi, n)
    r = 0.6 + 0.8 * y + rng.normal(0.0, 0.15, n)
    return np.stack([r * np.cos(ang), r * np.sin(ang)], axis=1), y


def _train_residual(p: ToyParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A residual MLP on the rings: h0 = x E, h_{l+1} = h_l + ReLU(h_l W1_l + b_l) W2_l for
    ``depth`` blocks of ``width`` units, logits h_L U + c; full-batch Adam on ``n`` points for
    ``steps`` steps.  Returns the weights and the residual stream of fresh test points."""
    d, depth = p.width, p.depth
    x, y = _rings(rng, p.n)
    emb = rng.normal(0.0, 1.0, (2, d))
    w1 = rng.normal(0.0, math.sqrt(2.0 / d), (depth, d, d))
    b1 = np.zeros((depth, d))
    w2 = rng.normal(0.0, 0.3 / math.sqrt(d), (depth, d, d))
    u = rng.normal(0.0, 1.0 / math.sqrt(d), (d, 3))
    c = np.zeros(3)
    opt = _Adam([emb, w1, b1, w2, u, c], p.lr)
    rows = np.arange(len(x))
    for _ in range(p.steps):
        hs, acts = [x @ emb], []
        for layer in range(depth):
            a = hs[-1] @ w1[layer] + b1[layer]
            acts.append(a)
            hs.append(hs[-1] + np.maximum(a, 0.0) @ w2[layer])
        logits = hs[-1] @ u + c
        pr = np.exp(logits - logits.max(axis=1, keepdims=True))
        pr /= pr.sum(axis=1, keepdims=True)
        pr[rows, y] -= 1.0
        g = pr / len(x)
        gu, gc = hs[-1].T @ g, g.sum(axis=0)
        gh = g @ u.T
        gw1, gb1, gw2 = np.zeros_like(w1), np.zeros_like(b1), np.zeros_like(w2)
        for layer in reversed(range(depth)):
            a = acts[layer]
            gw2[layer] = np.maximum(a, 0.0).T @ gh
            ga = (gh @ w2[layer].T) * (a > 0)
            gw1[layer] = hs[layer].T @ ga
            gb1[layer] = ga.sum(axis=0)
            gh = gh + ga @ w1[layer].T
        opt.step([x.T @ gh, gw1, gb1, gw2, gu, gc])
    xt, yt = _rings(rng, 600)
    stream = [xt @ emb]
    for layer in range(depth):
        stream.append(stream[-1] + np.maximum(stream[-1] @ w1[layer] + b1[layer], 0.0) @ w2[layer])
    return {"stream": np.stack(stream), "y": yt, "u": u, "c": c, "x": xt, "w1": w1, "b1": b1,
            "w2": w2, "emb": emb}


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _probe_accuracy(h: np.ndarray, y: np.ndarray, steps: int = 150) -> float:
    """A multinomial logistic-regression probe trained on the first half of (h, y) by
    full-batch gradient descent on standardised features, scored on the second half."""
    half = len(h) // 2
    mu, sd = h[:half].mean(axis=0), h[:half].std(axis=0) + 1e-9
    z = np.column_stack([(h - mu) / sd, np.ones(len(h))])
    w = np.zeros((z.shape[1], 3))
    onehot = np.eye(3)[y[:half]]
    for _ in range(steps):
        w -= 0.5 * z[:half].T @ (_softmax(z[:half] @ w) - onehot) / half
    return float(((z[half:] @ w).argmax(axis=1) == y[half:]).mean())


def _exp_probes(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Alain & Bengio 2017: a linear probe (logistic regression) on the residual stream of a
    trained residual MLP (three classes on concentric rings), one per layer 0..depth, trained on
    300 fresh points and scored on 300 others.  The logit lens (the model's own read-out
    applied early) is measured alongside.  Arrays: ``layer``, ``probe_acc``, ``lens_acc``,
    ``chance`` (line), ``final_acc`` (the model itself), ``probe_gain`` (last - first).
    """
    m = _train_residual(p, rng)
    probe = np.array([_probe_accuracy(h, m["y"]) for h in m["stream"]])
    lens = np.array([float(((h @ m["u"] + m["c"]).argmax(axis=1) == m["y"]).mean())
                     for h in m["stream"]])
    layer = np.arange(p.depth + 1, dtype=float)
    return {
        "layer": layer, "probe_acc": probe, "lens_acc": lens, "chance": np.full(layer.shape, 1 / 3),
        "final_acc": float(lens[-1]), "probe_gain": float(probe[-1] - probe[0]),
    }


def _exp_logit_lens(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """nostalgebraist 2020: decode every layer's residual stream of the trained residual MLP
    (as ``linear-probes``) with the model's final read-out.  ``lens_prob`` (layers x 12 test
    inputs, four per class): the probability the lens gives the true class; ``lens_acc`` per
    layer; ``mean_true_prob`` per layer; ``final_acc``.
    """
    m = _train_residual(p, rng)
    probs = _softmax(np.einsum("lnd,dk->lnk", m["stream"], m["u"]) + m["c"])
    y = m["y"]
    true_p = probs[:, np.arange(len(y)), y]
    pick = np.concatenate([np.nonzero(y == k)[0][:4] for k in range(3)])
    return {
        "lens_prob": true_p[:, pick], "lens_acc": (probs.argmax(axis=2) == y).mean(axis=1),
        "lens_acc_row": (probs.argmax(axis=2) == y).mean(axis=1)[None, :],
        "mean_true_prob": true_p.mean(axis=1), "final_acc": float((probs[-1].argmax(axis=1) == y).mean()),
        "layer_labels": [f"layer {i}" for i in range(p.depth + 1)],
        "input_labels": [f"{'ABC'[k]}{j + 1}" for k in range(3) for j in range(4)],
    }


def _exp_steering(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Turner et al. 2023 (activation addition) on the trained residual MLP of
    ``linear-probes``: the steering vector is the difference of the mean residual stream of
    class C and class A test points after block ``depth // 2``; adding alpha times it there to
    class-A inputs, then running the remaining blocks, moves the model's answer.
    Arrays: ``alpha`` (``values`` or 0..1.5), ``p_a``/``p_b``/``p_c`` (mean class probabilities of
    the steered class-A inputs), ``share_c`` (share answered C), ``alpha_half`` (first alpha at
    which over half answer C), ``final_acc``.
    """
    m = _train_residual(p, rng)
    mid = p.depth // 2
    y, h = m["y"], m["stream"][mid]
    vec = h[y == 2].mean(axis=0) - h[y == 0].mean(axis=0)
    alphas = np.asarray(p.values) if p.values else np.linspace(0.0, 1.5, 31)
    base = h[y == 0]
    probs = np.empty((alphas.size, 3))
    share = np.empty(alphas.size)
    for i, a in enumerate(alphas):
        z = base + a * vec
        for layer in range(mid, p.depth):
            z = z + np.maximum(z @ m["w1"][layer] + m["b1"][layer], 0.0) @ m["w2"][layer]
        pr = _softmax(z @ m["u"] + m["c"])
        probs[i] = pr.mean(axis=0)
        share[i] = float((pr.argmax(axis=1) == 2).mean())
    over = np.nonzero(share > 0.5)[0]
    return {
        "alpha": alphas, "p_a": probs[:, 0], "p_b": probs[:, 1], "p_c": probs[:, 2],
        "share_c": share, "alpha_half": float(alphas[over[0]]) if over.size else math.nan,
        "final_acc": float((_softmax(m["stream"][-1] @ m["u"] + m["c"]).argmax(axis=1) == y).mean()),
        "layer": mid,
    }


def _stream_at(m: dict[str, np.ndarray], x: np.ndarray, layer: int) -> np.ndarray:
    """Residual stream of inputs x (n, 2) after ``layer`` blocks of the trained model."""
    h = x @ m["emb"]
    for i in range(layer):
        h = h + np.maximum(h @ m["w1"][i] + m["b1"][i], 0.0) @ m["w2"][i]
    return h


def _logit_grad(m: dict[str, np.ndarray], h: np.ndarray, layer: int, cls: int) -> np.ndarray:
    """d logit[cls] / d h for residual streams h after ``layer`` blocks (backprop by hand)."""
    hs, acts = [h], []
    for i in range(layer, len(m["w1"])):
        a = hs[-1] @ m["w1"][i] + m["b1"][i]
        acts.append(a)
        hs.append(hs[-1] + np.maximum(a, 0.0) @ m["w2"][i])
    g = np.broadcast_to(m["u"][:, cls], h.shape).copy()
    for j in reversed(range(len(acts))):
        i = layer + j
        g = g + ((g @ m["w2"][i].T) * (acts[j] > 0)) @ m["w1"][i].T
    return g


def _cav(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """A concept activation vector: the unit normal of a logistic regression separating the
    concept's activations from the contrast set (gradient descent, standardised inputs)."""
    z = np.vstack([pos, neg])
    t = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    mu, sd = z.mean(axis=0), z.std(axis=0) + 1e-9
    zs = (z - mu) / sd
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(300):
        g = 1.0 / (1.0 + np.exp(-(zs @ w + b))) - t
        w -= 0.5 * zs.T @ g / len(t)
        b -= 0.5 * float(g.mean())
    v = w / sd
    return v / np.linalg.norm(v)


def _exp_tcav(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Kim et al. 2018 on the trained residual MLP of ``linear-probes`` (rings A inside, B,
    C outside).  Two concepts are given by examples, not labels of the task: "far from the
    centre" (points at radius 1.8..2.6) and "upper half" (points with y > 0), each against
    points uniform in the disc of radius 2.6.  Their CAVs are learned on the residual stream
    after block ``depth // 2``; a class's TCAV score is the share of its test inputs whose
    logit rises along the CAV.  Each concept is learned ``panels`` times from fresh examples,
    and as many CAVs of one uniform set against another give the chance spread.
    Arrays: ``scores`` (3 * panels rows: far, upper, random CAVs x 3 classes), ``far``,
    ``upper``, ``random`` (panels x 3 each), ``tcav`` (2 x 3 means), ``random_mean``, labels,
    ``final_acc``.
    """
    m = _train_residual(p, rng)
    mid = p.depth // 2

    def disc(n: int, r_lo: float, r_hi: float) -> np.ndarray:
        r = np.sqrt(rng.uniform(r_lo**2, r_hi**2, n))
        a = rng.uniform(0.0, 2 * np.pi, n)
        return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)

    def far() -> np.ndarray:
        return _stream_at(m, disc(200, 1.8, 2.6), mid)

    def upper() -> np.ndarray:
        pts = disc(400, 0.0, 2.6)
        return _stream_at(m, pts[pts[:, 1] > 0][:200], mid)

    def rand() -> np.ndarray:
        return _stream_at(m, disc(200, 0.0, 2.6), mid)

    y, h = m["y"], m["stream"][mid]
    grads = [_logit_grad(m, h[y == k], mid, k) for k in range(3)]
    scores = np.empty((3, p.panels, 3))
    for c, concept in enumerate((far, upper, rand)):
        for r in range(p.panels):
            v = _cav(concept(), rand())
            scores[c, r] = [float((g @ v > 0).mean()) for g in grads]
    mean = scores.mean(axis=1)
    return {
        "scores": scores.reshape(-1, 3), "tcav": mean[:2], "random_mean": mean[2],
        "far": scores[0], "upper": scores[1], "random": scores[2],
        "row_labels": [f"{name} {r + 1}" for name in ("far", "upper", "random") for r in range(p.panels)],
        "row_names": ["far"] + [""] * (p.panels - 1) + ["upper"] + [""] * (p.panels - 1) + ["random"] + [""] * (p.panels - 1),
        "class_labels": ["A", "B", "C"],
        "final_acc": float((_softmax(m["stream"][-1] @ m["u"] + m["c"]).argmax(axis=1) == y).mean()),
    }


def _logreg(x: np.ndarray, t: np.ndarray, steps: int = 400, lr: float = 0.5) -> np.ndarray:
    """Logistic regression (with bias, last weight) by full-batch gradient descent."""
    z = np.column_stack([x, np.ones(len(x))])
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        w -= lr * z.T @ (1.0 / (1.0 + np.exp(-(z @ w))) - t) / len(t)
    return w


def _logreg_prob(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ w[:-1] + w[-1])))


def _exp_bottleneck(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Koh et al. 2020, independent training: ``n_features`` binary concepts c (each 1 w.p.
    1/2) are seen only through x = A c + noise (16-D, noise sd ``l1``); the label is
    y = [c1 + c2 + c3 - c4 >= 2] (the first four concepts).  Stage one: one logistic regression
    per concept from x; stage two: a logistic regression from the true concepts to y.  At test
    time the model predicts y from its own concept predictions; an expert may correct k of
    them (set them to the truth), either the k the model is least sure of or k at random.
    Arrays: ``k`` (0..n_features), ``acc_uncertain``, ``acc_random`` (mean of 5 orders),
    ``concept_acc`` (per concept), ``stage2_acc`` (on true concepts), ``n``.
    """
    kc = p.n_features
    a = rng.normal(0.0, 1.0, (kc, 16))

    def draw(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = (rng.random((m, kc)) < 0.5).astype(float)
        x = c @ a + rng.normal(0.0, p.l1, (m, 16))
        y = (c[:, 0] + c[:, 1] + c[:, 2] - c[:, 3] >= 2).astype(float)
        return x, c, y

    x, c, y = draw(p.n)
    ws = [_logreg(x, c[:, j]) for j in range(kc)]
    w2 = _logreg(c, y, steps=2000, lr=1.0)
    xt, ct, yt = draw(2000)
    prob = np.column_stack([_logreg_prob(w, xt) for w in ws])
    hard = (prob > 0.5).astype(float)
    unsure = np.argsort(np.abs(prob - 0.5), axis=1, kind="stable")
    acc_u, acc_r = np.empty(kc + 1), np.empty(kc + 1)
    rows = np.arange(len(xt))[:, None]
    orders = [np.argsort(rng.random((len(xt), kc)), axis=1) for _ in range(5)]
    for k in range(kc + 1):
        fixed = hard.copy()
        fixed[rows, unsure[:, :k]] = ct[rows, unsure[:, :k]]
        acc_u[k] = float(((_logreg_prob(w2, fixed) > 0.5) == (yt > 0.5)).mean())
        accs = []
        for o in orders:
            fixed = hard.copy()
            fixed[rows, o[:, :k]] = ct[rows, o[:, :k]]
            accs.append(float(((_logreg_prob(w2, fixed) > 0.5) == (yt > 0.5)).mean()))
        acc_r[k] = float(np.mean(accs))
    return {
        "k": np.arange(kc + 1, dtype=float), "acc_uncertain": acc_u, "acc_random": acc_r,
        "concept_acc": (hard == ct).mean(axis=0),
        "stage2_acc": float(((_logreg_prob(w2, ct) > 0.5) == (yt > 0.5)).mean()), "n": p.n,
    }


def _exp_frontier(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Gao et al. 2024: the sparsity-fidelity frontier of L1 and TopK sparse autoencoders on
    one toy: ``n_features`` sparse features (zero w.p. ``sparsity``) on random unit directions
    in 8-D, ``n`` samples.  One SAE of ``width`` latents per L1 coefficient in ``values`` and
    one per k = 1..``panels`` (TopK: only the k largest codes kept, no penalty), each trained
    ``steps`` Adam steps of ``batch``.  Arrays: ``l0_l1``, ``mse_l1`` (sorted by L0),
    ``l0_topk``, ``mse_topk`` (relative squared error), ``gap`` (per TopK point inside the L1
    range: the L1 curve's error interpolated at that L0 minus the TopK error), ``n_inside``.
    """
    w = rng.normal(size=(8, p.n_features))
    w /= np.linalg.norm(w, axis=0)
    h = sparse_features(rng, p.n, p.n_features, p.sparsity) @ w.T
    energy = float((h**2).sum())

    def fit(l1: float, k: int) -> tuple[float, float]:
        sae = train_sae(h, p.width, l1, p.steps, p.batch, p.lr, rng, topk=k)
        z = _encode(h, sae["enc"], sae["be"], k)
        return float((z > 0).sum(axis=1).mean()), float(((z @ sae["dec"].T - h) ** 2).sum() / energy)

    l1_pts = np.array([fit(v, 0) for v in (p.values or (0.05, 0.1, 0.2, 0.4))])
    l1_pts = l1_pts[np.argsort(l1_pts[:, 0])]
    tk = np.array([fit(0.0, k) for k in range(1, p.panels + 1)])
    inside = (tk[:, 0] >= l1_pts[0, 0]) & (tk[:, 0] <= l1_pts[-1, 0])
    gap = np.interp(tk[inside, 0], l1_pts[:, 0], l1_pts[:, 1]) - tk[inside, 1]
    return {
        "l0_l1": l1_pts[:, 0], "mse_l1": l1_pts[:, 1], "l0_topk": tk[:, 0], "mse_topk": tk[:, 1],
        "gap": gap, "n_inside": int(inside.sum()),
    }


# -- a rank-one edit of a linear associative memory (ROME) ----------------------------------


def _exp_rome(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Meng et al. 2022's rank-one model edit on a linear associative memory: ``n`` keys in
    ``width``-D drawn from an anisotropic Gaussian (variances 0.7^i, random rotation), random
    8-D values, W the least-squares map keys -> values.  One key k* is re-bound to a new value
    v* in two ways that both make W' k* = v* exactly: the naive edit adds
    (v* - W k*) k*' / k*'k*; ROME adds (v* - W k*) (C^-1 k*)' / (k*' C^-1 k*) with C the keys'
    second-moment matrix, the edit that disturbs W k least on average over that distribution.
    Disturbance is measured as |dW k| on 12 fresh keys (``disturbance``: 2 x 12, naive then
    ROME) and as a mean square over 2000 fresh keys (``mean_sq``: naive, ROME).
    Arrays: ``disturbance``, ``mean_sq``, ``ratio`` (ROME / naive mean square), ``edit_error``
    (|W' k* - v*|, both), ``wins`` (fresh keys, of 12, that ROME disturbs less), labels.
    """
    dk, dv = p.width, 8
    q, _ = np.linalg.qr(rng.normal(size=(dk, dk)))
    scale = np.sqrt(0.7 ** np.arange(dk))

    def draw(m: int) -> np.ndarray:
        return (rng.normal(size=(m, dk)) * scale) @ q.T

    keys = draw(p.n)
    w = np.linalg.lstsq(keys, rng.normal(size=(p.n, dv)), rcond=None)[0].T
    c = keys.T @ keys / p.n
    kstar, vstar = keys[0], rng.normal(size=dv)
    resid = vstar - w @ kstar
    ci = np.linalg.solve(c, kstar)
    d_rome = np.outer(resid, ci) / (kstar @ ci)
    d_naive = np.outer(resid, kstar) / (kstar @ kstar)
    shown, fresh = draw(12), draw(2000)
    dist = np.stack([np.linalg.norm(shown @ d.T, axis=1) for d in (d_naive, d_rome)])
    msq = np.array([float((np.linalg.norm(fresh @ d.T, axis=1) ** 2).mean()) for d in (d_naive, d_rome)])
    return {
        "disturbance": dist, "mean_sq": msq, "mean_sq_row": msq[None, :], "ratio": float(msq[1] / msq[0]),
        "edit_error": np.array([np.linalg.norm((w + d) @ kstar - vstar) for d in (d_naive, d_rome)]),
        "wins": int((dist[1] < dist[0]).sum()),
        "edit_labels": ["naive", "ROME"], "key_labels": [f"k{_sub(i + 1)}" for i in range(12)],
    }


def _exp_smoothgrad(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Smilkov et al. 2017 on the bar CNN (trained as in ``feature-vis``): for one noisy test
    image per class, the plain |gradient| of its class logit and SmoothGrad, the mean |gradient|
    over ``width`` x 8 copies with Gaussian noise of sd ``l1`` x (max - min of the image).
    Arrays: ``inputs``, ``saliency`` and ``smooth`` (mosaics, each map scaled to its maximum),
    ``lift_plain`` / ``lift_smooth`` (share of the map on bar pixels / their pixel share),
    ``stable_plain`` / ``stable_smooth`` (per image, the correlation of the map computed at two
    copies of the image each perturbed by fresh noise of sd 0.1 x its range), ``rough_plain`` /
    ``rough_smooth`` (mean |difference of neighbouring pixels| / mean of the map), ``correct``,
    ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, masks, cls = _test_bars(rng)
    reps = p.width * 8
    plain, smooth = np.empty_like(imgs), np.empty_like(imgs)
    logits, stable = np.empty((4, 4)), np.empty((2, 4))
    pj, sj = np.empty((2, *imgs.shape[1:])), np.empty((2, *imgs.shape[1:]))
    for i in range(4):
        g, lg = _cnn_input_grad(params, imgs[i:i + 1], 5, int(cls[i]))
        plain[i], logits[i] = np.abs(g[0]), lg[0]
        sd = p.l1 * float(imgs[i].max() - imgs[i].min())
        noisy = imgs[i][None] + rng.normal(0.0, sd, (reps, *imgs[i].shape))
        gs, _ = _cnn_input_grad(params, noisy, 5, int(cls[i]))
        smooth[i] = np.abs(gs).mean(axis=0)
        for j in range(2):
            xj = imgs[i] + rng.normal(0.0, 0.1 * float(imgs[i].max() - imgs[i].min()), imgs[i].shape)
            pj[j] = np.abs(_cnn_input_grad(params, xj[None], 5, int(cls[i]))[0][0])
            nj = xj[None] + rng.normal(0.0, sd, (reps, *xj.shape))
            sj[j] = np.abs(_cnn_input_grad(params, nj, 5, int(cls[i]))[0]).mean(axis=0)
        stable[0, i] = np.corrcoef(pj[0].ravel(), pj[1].ravel())[0, 1]
        stable[1, i] = np.corrcoef(sj[0].ravel(), sj[1].ravel())[0, 1]

    def rough(m: np.ndarray) -> np.ndarray:
        d = np.abs(np.diff(m, axis=1)).mean(axis=(1, 2)) + np.abs(np.diff(m, axis=2)).mean(axis=(1, 2))
        return d / m.mean(axis=(1, 2))

    def scaled(m: np.ndarray) -> np.ndarray:
        return m / m.reshape(4, -1).max(axis=1)[:, None, None]

    return {
        "inputs": _mosaic(imgs), "saliency": _mosaic(scaled(plain)), "smooth": _mosaic(scaled(smooth)),
        "lift_plain": _bar_lift(plain, masks), "lift_smooth": _bar_lift(smooth, masks),
        "stable_plain": stable[0], "stable_smooth": stable[1],
        "rough_plain": rough(plain), "rough_smooth": rough(smooth),
        "correct": int((logits.argmax(axis=1) == cls).sum()), "test_acc": float(acc),
    }


def _exp_deletion(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Petsiuk et al. 2018's deletion metric on the bar CNN (trained as in ``feature-vis``): for
    one noisy test image per class, pixels are set to zero in order of decreasing |gradient| of
    the class logit (the saliency map), or in a random order, 8 pixels at a time; the class
    probability (softmax over the 4 classes) is recorded after each step.
    Arrays: ``fraction`` (share of pixels deleted), ``prob_saliency`` / ``prob_random`` (mean
    over the four images), ``auc_saliency`` / ``auc_random`` (per image, mean probability
    over the curve), ``correct``, ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, _, cls = _test_bars(rng)
    npx = imgs[0].size
    chunk = 8
    stops = np.arange(0, npx // 2 + 1, chunk)
    curves = np.empty((2, 4, len(stops)))
    logits0 = _cnn_forward(params, imgs, 5)[4]
    for i in range(4):
        g, _ = _cnn_input_grad(params, imgs[i:i + 1], 5, int(cls[i]))
        orders = (np.argsort(-np.abs(g[0]).ravel(), kind="stable"), rng.permutation(npx))
        for r, order in enumerate(orders):
            batch = np.repeat(imgs[i].ravel()[None], len(stops), axis=0)
            for j, st in enumerate(stops):
                batch[j, order[:st]] = 0.0
            lg = _cnn_forward(params, batch.reshape(len(stops), *imgs[i].shape), 5)[4]
            pr = np.exp(lg - lg.max(axis=1, keepdims=True))
            curves[r, i] = (pr / pr.sum(axis=1, keepdims=True))[:, int(cls[i])]
    return {
        "fraction": stops / npx, "prob_saliency": curves[0].mean(axis=0),
        "prob_random": curves[1].mean(axis=0), "auc_saliency": curves[0].mean(axis=1),
        "auc_random": curves[1].mean(axis=1), "auc_mean_saliency": float(curves[0].mean()),
        "auc_mean_random": float(curves[1].mean()),
        "correct": int((logits0.argmax(axis=1) == cls).sum()), "test_acc": float(acc),
    }


EXPERIMENTS: dict[str, Callable[[ToyParams, np.random.Generator], Arrays]] = {
    "sae-dictionary": _exp_sae,
    "circuit-prune": _exp_circuit,
    "polysemanticity": _exp_polysemanticity,
    "activation-patching": _exp_patching,
    "feature-vis": _exp_feature_vis,
    "saliency": _exp_saliency,
    "ig-baselines": _exp_baselines,
    "linear-probes": _exp_probes,
    "logit-lens": _exp_logit_lens,
    "rome-edit": _exp_rome,
    "steering": _exp_steering,
    "tcav": _exp_tcav,
    "concept-bottleneck": _exp_bottleneck,
    "sae-frontier": _exp_frontier,
    "occlusion": _exp_occlusion,
    "smoothgrad": _exp_smoothgrad,
    "deletion": _exp_deletion,
    "control-tasks": _exp_control_tasks,
    "unit-ablation": _exp_unit_ablation,
}


@recipe("interp-toy", ToyParams)
def interp_toy(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Small interpretability experiments on numpy toys, one per ``experiment``:

    * ``sae-dictionary`` (Bricken et al. 2023): ``W``, ``D``, ``star``, ``cos``, ``best_cos``,
      ``n_alive``, ``l0``, ``rel_mse``, ``cloud``; uses n_features, sparsity, width, l1, steps,
      batch, lr, n;
    * ``circuit-prune`` (Olah et al. 2020): ``edges``, ``kept``, ``accuracy``,
      ``ablation_accuracy``, ``distractor_edges``; uses width (hidden units), steps, lr;
    * ``polysemanticity`` (Elhage et al. 2022): ``response`` (neuron x feature), ``n_poly``;
      uses n_features, width (neurons), sparsity, values[0] (dense sparsity), steps, batch, lr;
    * ``activation-patching`` (Meng et al. 2022): ``effect`` (input pair x unit); uses width,
      steps, lr;

    and the further entries of :data:`EXPERIMENTS` (each documented on its function).
    """
    if p.experiment not in EXPERIMENTS:
        msg = f"experiment {p.experiment!r} is not built"
        raise ValueError(msg)
    return EXPERIMENTS[p.experiment](p, rng)
