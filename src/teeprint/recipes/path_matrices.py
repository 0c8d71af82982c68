"""The ``path-matrix`` recipe: pathologies drawn as matrices.

Attention-entropy collapse, symmetric units after constant initialisation, over-squashing on a
barbell graph, aliasing under max-pooling and untrained token embeddings live here; the
signal-propagation experiments in :mod:`teeprint.recipes.path_signal`.  :data:`_MATRIX_EXPS` maps
each ``experiment`` to its function; the comment above :class:`MatrixExpParams` in
:mod:`teeprint.recipes.path_base` lists each experiment's arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from teeprint.recipes import Arrays, recipe
from teeprint.recipes.path_base import F, MatrixExpParams
from teeprint.recipes.path_signal import (
    _mx_bn_explosion,
    _mx_layer_collapse,
    _mx_order_chaos,
    _mx_post_ln,
    _mx_saturation,
)


def _entropy_rows(a: F) -> F:
    return -np.sum(a * np.log(np.maximum(a, 1e-300)), axis=-1)


def _mx_attention_entropy(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """Attention of ``size`` random tokens (dimension ``dim``, Gaussian) under a random
    query-key matrix multiplied by each scale in ``values``: logits s * x W x' / sqrt(d).  As
    the scale of the logits grows, the softmax rows harden to one-hot and the entropy falls to
    zero (attention entropy collapse, Zhai et al. 2023); with QK-norm (queries and keys scaled
    to unit length, temperature ``lr``^-1 fixed) the entropy cannot fall below a floor set by
    the temperature alone.  Entropies are means over rows and over ``repeats`` draws."""
    n, d = p.size, p.dim
    out: Arrays = {"scales": np.array(p.values), "max_entropy": math.log(n), "index": np.arange(1, n + 1)}
    k_s = len(p.values)
    e_runs = np.empty((p.repeats, k_s))
    q_runs = np.empty((p.repeats, k_s))
    m_runs = np.empty((p.repeats, k_s))
    for r in range(p.repeats):
        x = rng.normal(size=(n, d))
        wq = rng.normal(size=(d, d)) / math.sqrt(d)
        wk = rng.normal(size=(d, d)) / math.sqrt(d)
        q, k = x @ wq, x @ wk
        for i, s in enumerate(p.values):
            a = _softmax_rows(s * q @ k.T / math.sqrt(d))
            qn = s * q / np.linalg.norm(s * q, axis=1, keepdims=True)  # the scale s cancels
            kn = s * k / np.linalg.norm(s * k, axis=1, keepdims=True)
            aq = _softmax_rows((qn @ kn.T) / p.lr)
            e_runs[r, i] = float(_entropy_rows(a).mean())
            q_runs[r, i] = float(_entropy_rows(aq).mean())
            m_runs[r, i] = float(a.max(axis=1).mean())
            if r == 0:
                out[f"attn_{i}"] = a
                out[f"attn_qknorm_{i}"] = aq
    ent = [float(v) for v in np.median(e_runs, axis=0)]
    ent_qk = [float(v) for v in np.median(q_runs, axis=0)]
    maxw = [float(v) for v in np.median(m_runs, axis=0)]
    out["entropy"] = np.array(ent)
    out["entropy_qknorm"] = np.array(ent_qk)
    out["max_weight"] = np.array(maxw)
    for i in range(len(p.values)):
        out[f"entropy_{i}"] = ent[i]
        out[f"max_weight_{i}"] = maxw[i]
    return out


def _softmax_rows(z: F) -> F:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _mx_symmetry(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """A one-hidden-layer tanh net (``size`` hidden units, ``dim`` inputs) fitted to a random
    teacher net's outputs by full-batch gradient descent (``steps`` steps of ``lr``), started
    once with every hidden unit identical (all weights equal to one shared random vector, all
    output weights equal) and once from a random initialisation of the same scale.  Units
    that start identical receive identical gradients and stay identical forever (Goodfellow et
    al. 2016, 8.4): the cosine similarity between every pair of hidden units' input weights.
    ``loss_*``: final training mean squared error."""
    n_pts, d, h = 200, p.dim, p.size
    x = rng.normal(size=(n_pts, d))
    t1 = rng.normal(size=(d, 8)) / math.sqrt(d)
    t2 = rng.normal(size=8)
    y = np.tanh(x @ t1 * 2.0) @ t2
    shared = rng.normal(size=d) / math.sqrt(d)
    starts = {
        "constant": (np.tile(shared[:, None], (1, h)), np.full(h, 0.1)),
        "random": (rng.normal(size=(d, h)) / math.sqrt(d), rng.normal(size=h) * 0.1),
    }
    out: Arrays = {"unit": np.arange(1, h + 1)}
    for key, (w1, w2) in starts.items():
        w1, w2 = w1.copy(), w2.copy()
        for _ in range(p.steps):
            a = np.tanh(x @ w1)
            err = a @ w2 - y
            g2 = a.T @ err / n_pts
            g1 = x.T @ (np.outer(err, w2) * (1 - a**2)) / n_pts
            w1 -= p.lr * g1
            w2 -= p.lr * g2
        wn = w1 / np.linalg.norm(w1, axis=0, keepdims=True)
        sim = wn.T @ wn
        off = sim[~np.eye(h, dtype=bool)]
        out[f"sim_{key}"] = sim
        out[f"min_sim_{key}"] = float(off.min())
        out[f"mean_abs_sim_{key}"] = float(np.abs(off).mean())
        out[f"loss_{key}"] = float(np.mean((np.tanh(x @ w1) @ w2 - y) ** 2))
        out[f"rank_{key}"] = float(np.linalg.matrix_rank(w1, tol=1e-8 * np.abs(w1).max()))
    out["target_var"] = float(np.var(y))
    return out


def _mx_oversquashing(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """A barbell graph - two cliques of ``size``/2 nodes joined by one edge - and the influence
    of node j's input on node i's output after ``steps`` rounds of graph-convolution
    propagation, the entry (A_hat^L)_ij of the normalised adjacency with self-loops (the
    Jacobian of a linear GCN, Topping et al. 2022).  Information from the far clique has to
    squeeze through the single bridge (Alon & Yahav 2021).  Exact; the generator is unused."""
    n = p.size
    half = n // 2
    a = np.zeros((n, n))
    a[:half, :half] = 1.0
    a[half:, half:] = 1.0
    a[half - 1, half] = a[half, half - 1] = 1.0
    np.fill_diagonal(a, 1.0)
    deg = a.sum(1)
    ahat = a / np.sqrt(np.outer(deg, deg))
    inf = np.linalg.matrix_power(ahat, p.steps)
    same = np.zeros((n, n), bool)
    same[:half, :half] = True
    same[half:, half:] = True
    bridge = np.zeros(n, bool)
    bridge[[half - 1, half]] = True
    far = ~same & ~bridge[:, None] & ~bridge[None, :]
    near = same & ~bridge[:, None] & ~bridge[None, :]
    logi = np.log10(inf)
    return {"influence": inf, "log_influence": logi, "shifted_log": logi - logi.min(),
            "far_mask": far, "node": np.arange(1, n + 1),
            "within": float(np.median(inf[near])), "across": float(np.median(inf[far])),
            "squash_ratio": float(np.median(inf[near]) / np.median(inf[far]))}


def _mx_aliasing(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """A random signal of length ``dim`` (white Gaussian noise, periodic), shifted by
    0 .. ``size``-1 samples, each shift passed through max pooling with stride 2 (window 2) and
    through Zhang's (2019) blur pool (max with stride 1, then a [1, 4, 6, 4, 1]/16 blur, then
    subsampling by 2).  Rows: the outputs, each shifted back to the unshifted frame (by
    shift/2 output samples, rounded down); ``change_*``: mean relative change of the output
    between one-sample input shifts, median over ``repeats`` signals."""
    n = p.dim - p.dim % 2  # stride-2 pooling of a periodic signal needs an even length
    shifts = np.arange(p.size)

    def maxpool(s: F) -> F:
        return np.maximum(s[0::2], s[1::2])

    def blurpool(s: F) -> F:
        m = np.maximum(s, np.roll(s, -1))
        b = (np.roll(m, 2) + 4 * np.roll(m, 1) + 6 * m + 4 * np.roll(m, -1) + np.roll(m, -2)) / 16.0
        return b[0::2]

    changes: dict[str, list[float]] = {"max": [], "blur": []}
    rows: dict[str, list[F]] = {"max": [], "blur": []}
    for r in range(p.repeats):
        sig = rng.normal(size=n)
        for key, fn in (("max", maxpool), ("blur", blurpool)):
            outs = [fn(np.roll(sig, int(k))) for k in shifts]
            aligned = [np.roll(o, -(int(k) // 2)) for o, k in zip(outs, shifts, strict=True)]
            ch = [float(np.linalg.norm(aligned[k + 1] - aligned[k]) / np.linalg.norm(aligned[k]))
                  for k in range(0, len(shifts) - 1, 2)]
            changes[key].append(float(np.median(ch)))
            if r == 0:
                rows[key] = aligned
    return {"max_rows": np.array(rows["max"]), "blur_rows": np.array(rows["blur"]), "shift": shifts,
            "change_max": float(np.median(changes["max"])), "change_blur": float(np.median(changes["blur"])),
            "shift_labels": np.array([f"shift {k}" for k in shifts])}


def _mx_untrained_tokens(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """A bigram language model, logits = E[previous] U', over ``size`` tokens of which the
    last quarter never occur in the training text (Zipf unigrams and Dirichlet(0.3)
    transitions over the others, 20000 Poisson-drawn bigrams), embeddings of dimension
    ``dim`` initialised N(0, 0.1^2), full-batch gradient descent on cross-entropy, ``steps``
    steps of ``lr``.  A token never seen as input gets no gradient on its input embedding; as
    an output it is only ever pushed down, always along the same average context, so the
    unembedding rows of all unseen tokens drift together (Land & Bartolo 2024).  Returns the
    unembedding rows projected on their top two principal axes, token classes (1 = unseen)
    and the measures of both effects."""
    v, d = p.size, p.dim
    seen = v - v // 4
    trans = rng.dirichlet(np.full(seen, 0.3), size=seen)
    uni = 1.0 / np.arange(1, seen + 1)
    uni /= uni.sum()
    c = np.zeros((v, v))
    c[:seen, :seen] = rng.poisson(uni[:, None] * trans * 20000.0)
    e = rng.normal(size=(v, d)) * 0.1
    u = rng.normal(size=(v, d)) * 0.1
    e0, u0 = e.copy(), u.copy()
    total, rows = c.sum(), c.sum(1)
    for _ in range(p.steps):
        pr = _softmax_rows(e @ u.T)
        g = (pr * rows[:, None] - c) / total
        de, du = g @ u, g.T @ e
        e -= p.lr * de
        u -= p.lr * du
    unseen = np.arange(v) >= seen

    def mean_cos(m: F) -> float:
        mn = m / np.linalg.norm(m, axis=1, keepdims=True)
        sim = mn @ mn.T
        k = len(m)
        return float((sim.sum() - k) / (k * (k - 1)))

    uc = u - u.mean(axis=0)
    _, _, vt = np.linalg.svd(uc, full_matrices=False)
    proj = uc @ vt[:2].T
    direction = u[unseen].mean(axis=0)
    score = (u @ direction) / np.linalg.norm(u, axis=1) / np.linalg.norm(direction)
    return {"points": proj, "classes": unseen.astype(int), "token": np.arange(v),
            "cos_unseen": mean_cos(u[unseen]), "cos_seen": mean_cos(u[~unseen]),
            "input_change_unseen": float(np.abs(e[unseen] - e0[unseen]).max()),
            "input_change_seen": float(np.linalg.norm(e[~unseen] - e0[~unseen], axis=1).min()),
            "output_drift_unseen": float(np.linalg.norm(u[unseen] - u0[unseen], axis=1).mean()),
            "separated": bool(score[unseen].min() > score[~unseen].max()),
            "unseen_count": int(unseen.sum())}


_MATRIX_EXPS: dict[str, Callable[[MatrixExpParams, np.random.Generator], Arrays]] = {
    "attention-entropy": _mx_attention_entropy,
    "symmetry": _mx_symmetry,
    "oversquashing": _mx_oversquashing,
    "order-chaos": _mx_order_chaos,
    "aliasing": _mx_aliasing,
    "saturation": _mx_saturation,
    "layer-collapse": _mx_layer_collapse,
    "untrained-tokens": _mx_untrained_tokens,
    "post-ln": _mx_post_ln,
    "bn-explosion": _mx_bn_explosion,
}


@recipe("path-matrix", MatrixExpParams)
def path_matrix(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """Pathologies drawn as matrices: the experiment named by ``experiment``, one of
    :data:`_MATRIX_EXPS` (five are defined here, five in :mod:`.path_signal`)."""
    return _MATRIX_EXPS[p.experiment](p, rng)
