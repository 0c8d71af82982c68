"""``interp-toy`` experiments on features and circuits in small MLPs and linear memories.

Sparse-autoencoder dictionaries and their sparsity/fidelity frontier on the superposition toy,
polysemantic neurons, a boolean-task MLP pruned to its circuit and read by activation patching,
a rank-one (ROME) edit of a linear associative memory, and a concept-bottleneck model.
Registered through :mod:`teeprint.recipes.interp_circuits`, which imports this module.
"""

from __future__ import annotations

import math

import numpy as np

from teeprint.recipes import Arrays
from teeprint.recipes.interp_base import (
    ToyParams,
    _Adam,
    _encode,
    _labels,
    _sub,
    sparse_features,
    train_sae,
)
from teeprint.recipes.interpretability import train_toy_model

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
