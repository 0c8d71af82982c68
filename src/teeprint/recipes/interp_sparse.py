"""Interpretability: sparse dictionaries, crosscoders and representations trained sparse.

One recipe, ``interp-sparse``; its ``experiment`` names one entry of :data:`EXPERIMENTS`.  Every
model is a numpy toy with analytic gradients, trained in well under a second, on synthetic data
drawn from known sparse latent features, so what each unit or latent encodes can be read off
against the truth.  The experiments (each function's docstring lists its arrays):

- ``sparse-clip``: two towers trained with symmetric InfoNCE on paired views of the same sparse
  concepts, once with linear (dense) embeddings and once with ReLU (non-negative) embeddings, as
  in Sparse CLIP (Qin et al. 2026); unit x concept correlations and retrieval accuracy.
- ``privileged-basis``: a one-hidden-layer autoencoder trained by plain gradient descent with a
  linear or a ReLU hidden layer; kurtosis of the hidden activations along the neuron axes against
  the same along random orthonormal bases (the privileged basis of Elhage et al. 2022).
- ``feature-splitting``: L1 sparse autoencoders with one latent per parent feature and one per
  child feature on hierarchical toy data (Bricken et al. 2023); decoder cosines between them.
- ``crosscoder``: activations of two toy models that share some features and own others, read by
  one sparse crosscoder (Lindsey et al. 2024); decoder norms per model for each latent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.interp_circuits import _Adam, sparse_features, train_sae

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _labels(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{str(i + 1).translate(_SUB)}" for i in range(count)]


class SparseParams(Params):
    """Which experiment, and the knobs the experiments share (each documents its own use)."""

    experiment: Literal["sparse-clip", "privileged-basis", "crosscoder", "feature-splitting"]
    n_features: int = Field(8, ge=2, le=24, description="number of true sparse features/concepts")
    p_active: float = Field(0.2, ge=0.01, le=0.9, description="P(a feature is active)")
    dim: int = Field(16, ge=2, le=64, description="dimension of the observed views/activations")
    width: int = Field(16, ge=2, le=64, description="embedding units / hidden units / latents")
    noise: float = Field(0.1, ge=0.0, le=1.0, description="sd of the Gaussian noise on each view")
    tau: float = Field(0.1, ge=0.01, le=1.0, description="InfoNCE temperature")
    l1: float = Field(0.1, ge=0.0, le=10.0, description="L1 coefficient of a sparse code")
    steps: int = Field(400, ge=10, le=5000, description="optimisation steps")
    batch: int = Field(128, ge=8, le=1024)
    lr: float = Field(0.02, gt=0.0, le=1.0)
    n: int = Field(256, ge=32, le=8192, description="held-out / training points")


# -- Sparse CLIP: contrastive towers with linear or ReLU embeddings ---------------------------


def _views(rng: np.random.Generator, n: int, p: SparseParams, a: np.ndarray, b: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n concept vectors z (each concept active w.p. p_active with strength U(0.5, 1.5)) and
    their two noisy linear views x = A z + e, t = B z + e'."""
    u = rng.random((2, n, p.n_features))
    z = np.where(u[1] < p.p_active, 0.5 + u[0], 0.0)
    x = z @ a.T + p.noise * rng.normal(size=(n, p.dim))
    t = z @ b.T + p.noise * rng.normal(size=(n, p.dim))
    return z, x, t


def _tower(w: np.ndarray, c: np.ndarray, x: np.ndarray, relu: bool) -> tuple[np.ndarray, np.ndarray]:
    pre = x @ w.T + c
    return (np.maximum(pre, 0.0) if relu else pre), pre


def _unit(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = np.sqrt((u * u).sum(axis=1, keepdims=True) + 1e-12)
    return u / r, r


def _train_towers(p: SparseParams, a: np.ndarray, b: np.ndarray, relu: bool,
                  rng: np.random.Generator) -> list[np.ndarray]:
    """Symmetric InfoNCE on cosine similarities / tau, Adam with cosine decay, fresh batches."""
    wi = rng.normal(0.0, p.dim**-0.5, (p.width, p.dim))
    wt = rng.normal(0.0, p.dim**-0.5, (p.width, p.dim))
    ci, ct = np.zeros(p.width), np.zeros(p.width)
    opt = _Adam([wi, ci, wt, ct], p.lr, p.steps)
    eye = np.eye(p.batch)
    for _ in range(p.steps):
        _, x, t = _views(rng, p.batch, p, a, b)
        u, pu = _tower(wi, ci, x, relu)
        v, pv = _tower(wt, ct, t, relu)
        uh, ru = _unit(u)
        vh, rv = _unit(v)
        s = uh @ vh.T / p.tau
        pr = np.exp(s - s.max(axis=1, keepdims=True))
        pr /= pr.sum(axis=1, keepdims=True)
        pc = np.exp(s - s.max(axis=0, keepdims=True))
        pc /= pc.sum(axis=0, keepdims=True)
        ds = (pr + pc - 2.0 * eye) / (2 * p.batch)
        guh, gvh = ds @ vh / p.tau, ds.T @ uh / p.tau
        gu = (guh - uh * (uh * guh).sum(axis=1, keepdims=True)) / ru
        gv = (gvh - vh * (vh * gvh).sum(axis=1, keepdims=True)) / rv
        if relu:
            gu, gv = gu * (pu > 0), gv * (pv > 0)
        opt.step([gu.T @ x, gu.sum(axis=0), gv.T @ t, gv.sum(axis=0)])
    return [wi, ci, wt, ct]


def _corr(act: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Pearson correlation of every unit (column of act) with every concept: (units, concepts)."""
    a0, z0 = act - act.mean(axis=0), z - z.mean(axis=0)
    den = np.sqrt((a0**2).sum(axis=0))[:, None] * np.sqrt((z0**2).sum(axis=0))[None, :]
    return (a0.T @ z0) / np.maximum(den, 1e-12)


def _exp_sparse_clip(p: SparseParams, rng: np.random.Generator) -> Arrays:
    """Qin et al. 2026 (Sparse CLIP), as a toy: K sparse concepts seen through two random linear
    views ("image" x, "text" t).  Two towers map each view to ``width`` units, trained with
    symmetric InfoNCE: dense towers are linear, sparse towers put a ReLU on the embedding (the
    non-negativity constraint of Sparse CLIP), nothing else changes.

    Arrays, for m in (dense, sparse) and tower in (img, txt): ``corr_<m>_<tower>`` (concepts x
    units, Pearson correlation on ``n`` held-out pairs; units ordered by their best concept),
    ``best_<m>`` (per concept, its best image unit's correlation), ``mono_<m>`` (mean of it),
    ``acc_<m>`` (top-1 image-to-text retrieval among the ``n`` held-out pairs), ``agree_<m>``
    (share of concepts whose best image unit is also their best text unit), ``l0_<m>`` (mean
    units active per image embedding), ``best_mask_<m>_<tower>`` (each concept's best unit),
    ``chance`` (1 / n), labels.
    """
    data_rng, test_rng, dense_rng, sparse_rng = rng.spawn(4)
    a = data_rng.normal(size=(p.dim, p.n_features)) / np.sqrt(p.dim)
    b = data_rng.normal(size=(p.dim, p.n_features)) / np.sqrt(p.dim)
    z, x, t = _views(test_rng, p.n, p, a, b)
    out: Arrays = {"concept_labels": _labels("c", p.n_features),
                   "unit_labels": [""] * p.width, "chance": 1.0 / p.n, "n_test": p.n,
                   "width": p.width}
    for name, relu, r in (("dense", False, dense_rng), ("sparse", True, sparse_rng)):
        wi, ci, wt, ct = _train_towers(p, a, b, relu, r)
        u, _ = _tower(wi, ci, x, relu)
        v, _ = _tower(wt, ct, t, relu)
        uh, vh = _unit(u)[0], _unit(v)[0]
        cor_i, cor_t = _corr(u, z), _corr(v, z)
        order = np.lexsort((-cor_i.max(axis=1), cor_i.argmax(axis=1)))
        best = cor_i.max(axis=0)
        out |= {
            f"corr_{name}_img": cor_i[order].T, f"corr_{name}_txt": cor_t[order].T,
            f"best_{name}": best, f"mono_{name}": float(best.mean()),
            f"acc_{name}": float(((uh @ vh.T).argmax(axis=1) == np.arange(p.n)).mean()),
            f"agree_{name}": float((cor_i.argmax(axis=0) == cor_t.argmax(axis=0)).mean()),
            f"l0_{name}": float((np.abs(u) > 1e-9).sum(axis=1).mean()),
            f"best_mask_{name}_img": (cor_i[order] == cor_i[order].max(axis=0)).T,
            f"best_mask_{name}_txt": (cor_t[order] == cor_t[order].max(axis=0)).T,
        }
    return out


# -- sparse crosscoder: one dictionary reading two models ------------------------------------


def _exp_crosscoder(p: SparseParams, rng: np.random.Generator) -> Arrays:
    """Lindsey et al. 2024 (sparse crosscoders, model diffing), as a toy.  ``n_features`` sparse
    features (each active w.p. ``p_active`` with strength U(0, 1)); model A writes the first
    half plus the next quarter, model B the first half plus the last quarter, each along its own
    random unit directions in ``dim`` dimensions.  One crosscoder with ``width`` latents reads
    both: f = ReLU(E_A h_A + E_B h_B + c), h_A ~ D_A f, h_B ~ D_B f, loss = squared error of
    both + ``l1`` * sum_i f_i (|D_A,i| + |D_B,i|); Adam with cosine decay.

    Arrays: ``rel_feature`` (per true feature, the relative decoder norm |D_B| / (|D_A| + |D_B|)
    of its best-matching live latent), ``cos_feature`` (that latent's cosine to the feature's
    joint direction), ``kind`` (0 shared, 1 A only, 2 B only), ``values`` (live latents sorted
    by relative norm: their decoder-norm shares in A and in B), ``groups`` (each bar's best
    feature), ``n_alive``, ``fvu`` (fraction of variance unexplained), ``n_shared`` ...
    """
    ns = p.n_features // 2
    na = (p.n_features - ns) // 2
    nb = p.n_features - ns - na
    kind = np.r_[np.zeros(ns), np.ones(na), 2 * np.ones(nb)].astype(int)
    data_rng, train_rng, test_rng = rng.spawn(3)
    dirs = []
    for owner in (1, 2):
        d = data_rng.normal(size=(p.dim, p.n_features))
        d /= np.linalg.norm(d, axis=0)
        d[:, kind == 3 - owner] = 0.0  # model A lacks the B-only features and vice versa
        dirs.append(d)
    da, db = dirs

    def acts(r: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        z = sparse_features(r, m, p.n_features, 1.0 - p.p_active)
        return z @ da.T, z @ db.T

    ga, gb = train_rng.normal(size=(p.dim, p.width)), train_rng.normal(size=(p.dim, p.width))
    scale = np.sqrt((ga**2).sum(axis=0) + (gb**2).sum(axis=0))
    ga, gb = ga / scale, gb / scale
    ea, eb, c = ga.T.copy(), gb.T.copy(), np.zeros(p.width)
    opt = _Adam([ea, eb, c, ga, gb], p.lr, p.steps)
    for _ in range(p.steps):
        ha, hb = acts(train_rng, p.batch)
        pre = ha @ ea.T + hb @ eb.T + c
        f = np.maximum(pre, 0.0)
        ra, rb = f @ ga.T - ha, f @ gb.T - hb
        na_, nb_ = np.linalg.norm(ga, axis=0), np.linalg.norm(gb, axis=0)
        gpre = (2 * ra @ ga + 2 * rb @ gb + p.l1 * (na_ + nb_)) / p.batch * (pre > 0)
        fsum = f.sum(axis=0) / p.batch
        g_ga = 2 * ra.T @ f / p.batch + p.l1 * fsum * ga / np.maximum(na_, 1e-9)
        g_gb = 2 * rb.T @ f / p.batch + p.l1 * fsum * gb / np.maximum(nb_, 1e-9)
        opt.step([gpre.T @ ha, gpre.T @ hb, gpre.sum(axis=0), g_ga, g_gb])
    ha, hb = acts(test_rng, p.n)
    f = np.maximum(ha @ ea.T + hb @ eb.T + c, 0.0)
    alive = (f > 0).mean(axis=0) > 1e-3
    na_, nb_ = np.linalg.norm(ga, axis=0), np.linalg.norm(gb, axis=0)
    rel = nb_ / np.maximum(na_ + nb_, 1e-12)
    joint, true = np.r_[ga, gb], np.r_[da, db]
    cos = (joint / np.maximum(np.linalg.norm(joint, axis=0), 1e-12)).T @ (
        true / np.linalg.norm(true, axis=0))
    cos = np.where(alive[:, None], cos, -1.0)
    best = cos.argmax(axis=0)
    names = _labels("AB", ns) + _labels("A", na) + _labels("B", nb)
    live = np.nonzero(alive)[0]
    order = live[np.lexsort((cos[live].argmax(axis=1), rel[live]))]
    err = ((f @ ga.T - ha) ** 2).sum() + ((f @ gb.T - hb) ** 2).sum()
    return {
        "rel_feature": rel[best], "cos_feature": cos.max(axis=0), "kind": kind,
        "values": np.c_[1.0 - rel[order], rel[order]],
        "groups": [names[j] for j in cos[order].argmax(axis=1)],
        "rel_latent": rel[order], "n_alive": int(alive.sum()), "width": p.width,
        "fvu": float(err / ((ha**2).sum() + (hb**2).sum())),
        "n_shared": ns, "n_a_only": na, "n_b_only": nb,
    }


# -- privileged basis: an elementwise nonlinearity singles out the neuron axes ----------------


def _alignment(r: np.ndarray) -> np.ndarray:
    """Per row, the share of its norm on its largest coordinate: max_j |r_j| / |r| (1 = one axis)."""
    return np.abs(r).max(axis=1) / np.maximum(np.linalg.norm(r, axis=1), 1e-12)


def _kde(values: np.ndarray, grid: np.ndarray, bandwidth: float) -> np.ndarray:
    """Gaussian kernel density of ``values`` on ``grid``."""
    d = (grid[:, None] - values[None, :]) / bandwidth
    return np.exp(-0.5 * d * d).sum(axis=1) / (len(values) * bandwidth * np.sqrt(2 * np.pi))


def train_autoencoder(x: np.ndarray, w1: np.ndarray, w2: np.ndarray, relu: bool, steps: int,
                      lr: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x_hat = W2 f(W1 x + b1) + b2 with f = ReLU or the identity, squared error, full-batch
    gradient descent with heavy-ball momentum 0.9 from (w1, 0, w2, 0); returns (W1, b1, W2, b2).

    Every step is equivariant under a rotation Q of the hidden space when f is the identity
    (start from Q W1, W2 Q^T and you end at Q W1, Q b1, W2 Q^T): nothing but f can single out
    the hidden axes.  A test checks this.
    """
    w1, w2 = w1.copy(), w2.copy()
    b1, b2 = np.zeros(w1.shape[0]), np.zeros(w2.shape[0])
    vel = [np.zeros_like(q) for q in (w1, b1, w2, b2)]
    for _ in range(steps):
        pre = x @ w1.T + b1
        h = np.maximum(pre, 0.0) if relu else pre
        g = 2.0 * (h @ w2.T + b2 - x) / len(x)
        gh = g @ w2
        if relu:
            gh = gh * (pre > 0)
        for v, q, gq in zip(vel, (w1, b1, w2, b2), (gh.T @ x, gh.sum(axis=0), g.T @ h, g.sum(axis=0)),
                            strict=True):
            v *= 0.9
            v += gq
            q -= lr * v
    return w1, b1, w2, b2


def _exp_privileged(p: SparseParams, rng: np.random.Generator) -> Arrays:
    """Elhage et al. 2022 (Toy Models of Superposition: a privileged basis), as a toy.  ``n_features`` sparse features (active
    w.p. ``p_active``, strength U(0, 1)) on orthonormal directions in ``dim`` dimensions are
    (``batch`` training points) reconstructed through ``width`` hidden units, h = f(W1 x + b1), x_hat = W2 h + b2, with f the
    identity (linear) or ReLU.  Both are trained by full-batch gradient descent with momentum
    from an isotropic Gaussian start: optimiser, start and loss are all unchanged by a rotation
    of the hidden space, so only the elementwise nonlinearity can make its axes special.

    For each feature k, its hidden response r_k = h(0.8 e_k) - h(0) and its alignment
    max_j |r_kj| / |r_k| are measured in the neuron basis and in ``n`` random orthonormal bases.
    Arrays: ``x`` (alignment grid), ``density`` (rows linear, ReLU: kernel density of the
    per-feature alignment over random bases), ``own`` (the same for the neuron basis), ``rug``
    (per-feature alignment in the neuron basis), ``random_max`` (largest mean over random bases),
    ``neuron_mean`` (per model, its mean), ``random_q01``/``random_q99`` (per model, the 1 % and
    99 % quantiles of the mean over random bases), ``rel_loss`` (per model, relative
    reconstruction error), ``models``.
    """
    data_rng, init_rng, rot_rng = rng.spawn(3)
    basis = np.linalg.qr(data_rng.normal(size=(p.dim, p.n_features)))[0]
    x = sparse_features(data_rng, p.batch, p.n_features, 1.0 - p.p_active) @ basis.T
    w1_0 = init_rng.normal(0.0, p.dim**-0.5, (p.width, p.dim))
    w2_0 = init_rng.normal(0.0, p.width**-0.5, (p.dim, p.width))
    grid = np.linspace(0.0, 1.0, 101)
    dens, own, rug, mean_n, q01, q99, rmax, loss = [], [], [], [], [], [], [], []
    rots = [np.linalg.qr(rot_rng.normal(size=(p.width, p.width)))[0] for _ in range(p.n)]
    for relu in (False, True):
        w1, b1, w2, b2 = train_autoencoder(x, w1_0, w2_0, relu, p.steps, p.lr)

        def hidden(xx: np.ndarray, w1: np.ndarray = w1, b1: np.ndarray = b1,
                   relu: bool = relu) -> tuple[np.ndarray, np.ndarray]:
            pre = xx @ w1.T + b1
            return (np.maximum(pre, 0.0) if relu else pre), pre

        h, _ = hidden(x)
        loss.append(float(((h @ w2.T + b2 - x) ** 2).sum() / (x**2).sum()))
        resp = hidden(0.8 * basis.T)[0] - hidden(np.zeros((1, p.dim)))[0]
        al = _alignment(resp)
        rand = np.array([_alignment(resp @ q) for q in rots])  # (n bases, features)
        dens.append(_kde(rand.ravel(), grid, 0.02))
        own.append(_kde(al, grid, 0.04))
        rug.append(al)
        mean_n.append(float(al.mean()))
        q01.append(float(np.quantile(rand.mean(axis=1), 0.01)))
        q99.append(float(np.quantile(rand.mean(axis=1), 0.99)))
        rmax.append(float(rand.mean(axis=1).max()))
    return {
        "x": grid, "density": np.array(dens), "own": np.array(own), "rug": np.array(rug),
        "random_max": np.array(rmax),
        "neuron_mean": np.array(mean_n), "random_q01": np.array(q01),
        "random_q99": np.array(q99), "rel_loss": np.array(loss),
        "models": ["linear", "ReLU"], "uniform": 1.0 / np.sqrt(p.width),
    }


# -- feature splitting: a wider dictionary splits a broad latent into finer ones -------------


def _exp_feature_splitting(p: SparseParams, rng: np.random.Generator) -> Arrays:
    """Bricken et al. 2023 (feature splitting), as a toy.  ``n_features`` parent features, each
    with two children: a point activates each parent w.p. ``p_active`` (strength U(0.5, 1.5))
    and then one of its two children, written as u_parent + 0.7 v_child (u, v orthonormal in
    ``dim`` dimensions).  Two L1 sparse autoencoders (train_sae of the ``interp-toy`` engine:
    unit-norm decoder, ``l1``, Adam ``steps`` of ``batch``) with one latent per parent and one
    per child read the same ``n`` points.

    Arrays: ``parent_cos`` (per parent, the cosine of its best narrow latent to the parent's
    mean direction), ``child_cos`` (per child, its best wide latent's cosine to it),
    ``split`` (narrow latents x wide latents, decoder cosines, both ordered by their best
    match), ``weights`` (``split`` flattened row by row, for the circuit-graph edges),
    ``own_min`` (smallest cosine of a narrow latent to its own children's latents),
    ``other_max`` (largest |cosine| to the other parents' children's latents), ``distinct``
    (1 if every parent and child has a latent of its own).
    """
    data_rng, sae_rng = rng.spawn(2)
    n_par, n_ch = p.n_features, 2 * p.n_features
    if n_ch + n_par > p.dim:
        msg = "feature-splitting: needs dim >= 3 * n_features"
        raise ValueError(msg)
    q = np.linalg.qr(data_rng.normal(size=(p.dim, n_par + n_ch)))[0]
    child = q[:, :n_par, None] + 0.7 * q[:, n_par:].reshape(p.dim, n_par, 2)
    act = data_rng.random((p.n, n_par)) < p.p_active
    pick = data_rng.integers(0, 2, (p.n, n_par))
    mag = 0.5 + data_rng.random((p.n, n_par))
    x = np.zeros((p.n, p.dim))
    for i in range(n_par):
        x += (act[:, i] * mag[:, i])[:, None] * child[:, i, :].T[pick[:, i]]
    ch = child.reshape(p.dim, n_ch)
    ch = ch / np.linalg.norm(ch, axis=0)
    par = child.mean(axis=2)
    par = par / np.linalg.norm(par, axis=0)
    narrow = train_sae(x, n_par, p.l1, p.steps, p.batch, p.lr, sae_rng)["dec"]
    wide = train_sae(x, n_ch, p.l1, p.steps, p.batch, p.lr, sae_rng)["dec"]
    cn, cw = narrow.T @ par, wide.T @ ch
    on, ow = cn.argmax(axis=0), cw.argmax(axis=0)
    split = narrow[:, on].T @ wide[:, ow]
    own = np.kron(np.eye(n_par), np.ones((1, 2))).astype(bool)
    return {
        "parent_cos": cn.max(axis=0), "child_cos": cw.max(axis=0), "split": split,
        "weights": split.ravel(), "own_mask": own,
        "own_min": float(split[own].min()), "other_max": float(np.abs(split[~own]).max()),
        "distinct": int(len(set(on.tolist())) == n_par and len(set(ow.tolist())) == n_ch),
    }


EXPERIMENTS: dict[str, Callable[[SparseParams, np.random.Generator], Arrays]] = {
    "sparse-clip": _exp_sparse_clip,
    "crosscoder": _exp_crosscoder,
    "privileged-basis": _exp_privileged,
    "feature-splitting": _exp_feature_splitting,
}


@recipe("interp-sparse", SparseParams)
def interp_sparse(p: SparseParams, rng: np.random.Generator) -> Arrays:
    """Sparse dictionaries and sparse-trained representations on toys with known features; the
    ``experiment`` picks one entry of :data:`EXPERIMENTS` (module docstring)."""
    return EXPERIMENTS[p.experiment](p, rng)
