"""Recipes of the pathologies family: the named diseases of training, each reproduced at toy
scale or in closed form (forgetting, self-training drift, vanishing gradients, dead ReLUs)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from teeprint.errors import TeeprintError
from teeprint.recipes import Arrays, Params, recipe

F = np.ndarray


# -- catastrophic forgetting and elastic weight consolidation ---------------------------------------


class ForgettingParams(Params):
    """Two quadratic tasks with crossed curvatures, learnt one after the other."""

    curv_high: float = Field(10.0, gt=0.0, le=100.0, description="stiff curvature of each task")
    curv_low: float = Field(0.1, gt=0.0, le=100.0, description="soft curvature of each task")
    task_b: tuple[float, float] = (2.0, 2.0)
    l2: float = Field(10.0, ge=0.0, le=1000.0, description="strength of the plain L2 anchor")
    ewc: float = Field(1.0, ge=0.0, le=1000.0, description="lambda of the Fisher-weighted anchor")
    lr: float = Field(0.05, gt=0.0, le=1.0)
    steps: int = Field(600, ge=10, le=20000)
    grid: int = Field(161, ge=21, le=401)
    extent: tuple[float, float, float, float] = (-1.2, 3.2, -1.2, 3.2)


@recipe("ewc-quadratics", ForgettingParams)
def ewc_quadratics(p: ForgettingParams, rng: np.random.Generator) -> Arrays:
    """Sequential learning of task B after task A, plain, with an L2 anchor and with EWC.

    With quadratic losses L_A = 1/2 (t - a)' H_A (t - a) and L_B likewise, the Fisher of task A
    is exactly H_A, so EWC's penalty (lambda/2)(t - a)' F (t - a) is a quadratic too and every
    method's solution has the closed form (H_B + P)^-1 (H_B b + P a), with P = 0 (plain),
    P = l2 I, or P = lambda H_A (Kirkpatrick et al. 2017).  The paths are gradient descent on
    each objective from task A's optimum, the way the second task is actually learnt.
    """
    a = np.zeros(2)
    b = np.array(p.task_b, float)
    h_a = np.diag([p.curv_high, p.curv_low])
    h_b = np.diag([p.curv_low, p.curv_high])
    penalties = {"plain": np.zeros((2, 2)), "l2": p.l2 * np.eye(2), "ewc": p.ewc * h_a}
    x0, x1, y0, y1 = p.extent
    gx = np.linspace(x0, x1, p.grid)
    gy = np.linspace(y0, y1, p.grid)
    xx, yy = np.meshgrid(gx, gy)
    pts = np.stack([xx, yy], -1)

    def quad(h: F, c: F, t: F) -> F:
        d = t - c
        return 0.5 * np.einsum("...i,ij,...j->...", d, h, d)

    out: Arrays = {
        "grid_x": gx,
        "grid_y": gy,
        "loss_a": quad(h_a, a, pts),
        "loss_b": quad(h_b, b, pts),
        "optimum_a": a[None],
        "optimum_b": b[None],
    }
    for name, pen in penalties.items():
        sol = np.linalg.solve(h_b + pen, h_b @ b + pen @ a)
        path = np.empty((p.steps + 1, 2))
        t = a.copy()
        path[0] = t
        for i in range(1, p.steps + 1):
            t = t - p.lr * (h_b @ (t - b) + pen @ (t - a))
            path[i] = t
        out[f"solution_{name}"] = sol[None]
        out[f"path_{name}"] = path
        out[f"loss_a_{name}"] = float(quad(h_a, a, sol))
        out[f"loss_b_{name}"] = float(quad(h_b, b, sol))
    return out


# -- self-training and confirmation bias ---------------------------------------------------------------


class SelfTrainingParams(Params):
    """Two Gaussian classes, a handful of badly chosen labels, hard pseudo-labelling."""

    n_per_class: int = Field(400, ge=20, le=5000)
    centre: float = Field(1.2, gt=0.0, le=5.0, description="class means at (+-centre, 0)")
    sd_x: float = Field(1.0, gt=0.0, le=5.0)
    sd_y: float = Field(2.0, gt=0.0, le=5.0)
    labelled: int = Field(4, ge=1, le=50, description="labelled points per class")
    bias: Literal["top-bottom", "random"] = "top-bottom"
    rounds: int = Field(10, ge=1, le=50)
    margin: float = Field(1.0, ge=0.0, le=10.0, description="keep pseudo-labels with |logit| > margin")
    ridge: float = Field(1e-2, gt=0.0, le=10.0, description="L2 on the logistic weights")
    extent: tuple[float, float, float, float] = (-5.0, 5.0, -6.5, 6.5)


def fit_logistic(x: F, y: F, ridge: float, iters: int = 50) -> F:
    """Newton's method for L2-regularised logistic regression; returns (w1, w2, b).

    The bias is not penalised.  Newton converges in a handful of iterations on these small
    problems and, unlike a fixed-step GD, needs no learning rate that could colour the result.
    """
    xb = np.hstack([x, np.ones((len(x), 1))])
    reg = ridge * np.diag([1.0, 1.0, 0.0])
    theta = np.zeros(3)
    for _ in range(iters):
        z = xb @ theta
        prob = 1.0 / (1.0 + np.exp(-z))
        g = xb.T @ (prob - y) / len(y) + reg @ theta
        h = (xb * (prob * (1 - prob))[:, None]).T @ xb / len(y) + reg + 1e-9 * np.eye(3)
        step = np.linalg.solve(h, g)
        theta = theta - step
        if float(np.abs(step).max()) < 1e-10:
            break
    return theta


def boundary_segment(theta: F, extent: tuple[float, float, float, float]) -> F:
    """The line w.x + b = 0 clipped to the extent, as a 2 x 2 array of end points (NaN if none)."""
    w1, w2, b = theta
    x0, x1, y0, y1 = extent
    pts = []
    if abs(w2) > 1e-12:
        for x in (x0, x1):
            y = -(b + w1 * x) / w2
            if y0 - 1e-9 <= y <= y1 + 1e-9:
                pts.append((x, y))
    if abs(w1) > 1e-12:
        for y in (y0, y1):
            x = -(b + w2 * y) / w1
            if x0 - 1e-9 <= x <= x1 + 1e-9:
                pts.append((x, y))
    uniq: list[tuple[float, float]] = []
    for q in pts:
        if all(math.hypot(q[0] - u[0], q[1] - u[1]) > 1e-9 for u in uniq):
            uniq.append(q)
    if len(uniq) < 2:
        return np.full((2, 2), np.nan)
    return np.array(uniq[:2], float)


@recipe("self-training", SelfTrainingParams)
def self_training(p: SelfTrainingParams, rng: np.random.Generator) -> Arrays:
    """Hard pseudo-labelling from a biased labelled set (Lee 2013; Arazo et al. 2020).

    The few labels are drawn from the ends of each class (class 0 from its top, class 1 from
    its bottom), so the first boundary is tilted.  Each round labels every confident point with
    the current model and refits: the model's own mistakes become training data, and the tilt
    grows instead of healing (confirmation bias).  ``angles`` is the direction of the boundary's
    normal in degrees (0 = the oracle's vertical boundary).
    """
    n = p.n_per_class
    sd = np.array([p.sd_x, p.sd_y])
    x = np.concatenate([rng.normal(size=(n, 2)) * sd + [-p.centre, 0.0],
                        rng.normal(size=(n, 2)) * sd + [p.centre, 0.0]])
    y = np.concatenate([np.zeros(n), np.ones(n)])
    if p.bias == "top-bottom":
        idx0 = np.argsort(-x[:n, 1])[: p.labelled]
        idx1 = n + np.argsort(x[n:, 1])[: p.labelled]
    else:
        idx0 = rng.choice(n, p.labelled, replace=False)
        idx1 = n + rng.choice(n, p.labelled, replace=False)
    lab = np.concatenate([idx0, idx1])
    x_l, y_l = x[lab], y[lab]
    xb = np.hstack([x, np.ones((len(x), 1))])
    thetas = [fit_logistic(x_l, y_l, p.ridge)]
    for _ in range(p.rounds):
        z = xb @ thetas[-1]
        keep = np.abs(z) > p.margin
        keep[lab] = False
        xs = np.concatenate([x_l, x[keep]])
        ys = np.concatenate([y_l, (z[keep] > 0).astype(float)])
        thetas.append(fit_logistic(xs, ys, p.ridge))
    th = np.array(thetas)
    acc = np.array([float(np.mean(((xb @ t) > 0) == (y > 0.5))) for t in th])
    oracle = fit_logistic(x, y, p.ridge)
    labelled_mask = np.zeros(len(x), bool)
    labelled_mask[lab] = True
    return {
        "points": x,
        "labels": y,
        "labelled": labelled_mask,
        "points_class0": x[(y == 0) & ~labelled_mask],
        "points_class1": x[(y == 1) & ~labelled_mask],
        "labelled_class0": x[idx0],
        "labelled_class1": x[idx1],
        "thetas": th,
        "angles": np.degrees(np.arctan2(th[:, 1], th[:, 0])),
        "accuracy": acc,
        "round": np.arange(p.rounds + 1),
        "boundaries": np.stack([boundary_segment(t, p.extent) for t in th]),
        "oracle_boundary": boundary_segment(oracle, p.extent)[None],
        "oracle_accuracy": float(np.mean(((xb @ oracle) > 0) == (y > 0.5))),
        "oracle_angle": float(np.degrees(np.arctan2(oracle[1], oracle[0]))),
        "grid_x": np.linspace(p.extent[0], p.extent[1], 2),
        "grid_y": np.linspace(p.extent[2], p.extent[3], 2),
    }


# -- vanishing gradients -------------------------------------------------------------------------------------


class VanishingParams(Params):
    """Deep plain MLPs at initialisation, probed with a random output gradient."""

    width: int = Field(128, ge=8, le=512)
    depth: int = Field(30, ge=2, le=100)
    batch: int = Field(256, ge=8, le=2048)


_ACTS: dict[str, tuple[Callable[[F], F], Callable[[F], F]]] = {
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), lambda a: a * (1 - a)),
    "tanh": (np.tanh, lambda a: 1 - a**2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0).astype(float)),
}


def layer_gradient_norms(act: str, init_gain: float, p: VanishingParams,
                         rng: np.random.Generator) -> F:
    """The Frobenius norm of dLoss/dW for each layer (first to last) of a fresh deep MLP.

    Weights are N(0, gain / fan_in) with gain 1 for Glorot on square layers (2/(n+n) = 1/n) and
    2 for He; biases are zero.  The output gradient is a fixed random matrix, so only the
    backward product of Jacobians shapes the profile.
    """
    f, df = _ACTS[act]
    n = p.width
    ws = [rng.normal(0.0, math.sqrt(init_gain / n), (n, n)) for _ in range(p.depth)]
    h = rng.normal(size=(p.batch, n))
    acts = [h]
    for w in ws:
        h = f(h @ w)
        acts.append(h)
    delta = rng.normal(size=(p.batch, n)) / p.batch
    norms = np.empty(p.depth)
    for i in range(p.depth - 1, -1, -1):
        delta = delta * df(acts[i + 1])
        norms[i] = np.linalg.norm(acts[i].T @ delta)
        delta = delta @ ws[i].T
    return norms


@recipe("vanishing-gradients", VanishingParams)
def vanishing_gradients(p: VanishingParams, rng: np.random.Generator) -> Arrays:
    """Per-layer weight-gradient norms for sigmoid/Glorot, tanh/Glorot and ReLU/He nets.

    The sigmoid's slope is at most 1/4 and its outputs are not centred, so each layer shrinks
    the backward signal; Glorot's tanh and He's ReLU keep it near constant (Glorot & Bengio
    2010; He et al. 2015).  Norms are given relative to the last layer, in log10.
    """
    out: Arrays = {"layer": np.arange(1, p.depth + 1)}
    for name, act, gain in (("sigmoid", "sigmoid", 1.0), ("tanh", "tanh", 1.0), ("relu", "relu", 2.0)):
        norms = layer_gradient_norms(act, gain, p, rng)
        out[f"grad_{name}"] = norms / norms[-1]
        out[f"log_grad_{name}"] = np.log10(norms / norms[-1])
    return out


# -- dying ReLU --------------------------------------------------------------------------------------------------


class DyingReluParams(Params):
    """Monte Carlo over freshly initialised narrow deep ReLU nets."""

    widths: tuple[Annotated[int, Field(ge=1, le=64)], ...] = Field((2, 3, 4, 5, 8), min_length=1,
                                                                   max_length=8)
    depths: tuple[Annotated[int, Field(ge=1, le=200)], ...] = Field((1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40),
                                    min_length=2, max_length=40)
    nets: int = Field(300, ge=20, le=5000)
    inputs: int = Field(200, ge=2, le=2000)


@recipe("dying-relu", DyingReluParams)
def dying_relu(p: DyingReluParams, rng: np.random.Generator) -> Arrays:
    """The probability that a He-initialised ReLU net is born dead, by depth and width.

    A net is born dead when some hidden layer outputs zero for every input, so the network is a
    constant function and no gradient reaches the layers below (Lu et al. 2020 prove this
    happens with probability -> 1 as depth grows at fixed width).  Inputs are 1-D on a uniform
    grid of unit variance; weights He-normal, biases zero.  Each depth grows the same nets one
    layer at a time, so the probability is non-decreasing in depth by construction of the event.
    """
    depths = np.array(sorted(set(p.depths)))
    x = np.linspace(-math.sqrt(3), math.sqrt(3), p.inputs)
    prob = np.empty((len(p.widths), depths.size))
    for i, w in enumerate(p.widths):
        h = np.maximum(x[None, :, None] * rng.normal(0.0, math.sqrt(2.0), (p.nets, 1, w)), 0.0)
        dead = ~np.any(h > 0, axis=(1, 2))
        for layer in range(1, int(depths.max()) + 1):
            if layer > 1:
                h = np.maximum(h @ rng.normal(0.0, math.sqrt(2.0 / w), (p.nets, w, w)), 0.0)
                dead |= ~np.any(h > 0, axis=(1, 2))
            hit = np.flatnonzero(depths == layer)
            if hit.size:
                prob[i, hit[0]] = dead.mean()
    out: Arrays = {"depth": depths, "widths": np.array(p.widths), "born_dead": prob}
    for i, w in enumerate(p.widths):
        out[f"born_dead_w{w}"] = prob[i]
    return out


# == path-matrix: pathologies drawn as matrices ======================================================================
#
# ``attention-entropy``: attention maps ``attn_<i>`` of random tokens at growing query-key scales
#   (``values``), their mean row entropies ``entropy`` and, with QK-norm, ``entropy_qknorm``.
# ``symmetry``: hidden-unit cosine-similarity matrices after training from a constant and from a
#   random initialisation (``sim_constant``, ``sim_random``).
# ``oversquashing``: log10 of the influence matrix (A_hat^L)_ij of a barbell graph (``influence``).
# ``order-chaos``: the mean-field slope chi over (sigma_w^2, sigma_b^2) for tanh nets and its
#   ordered/chaotic ``phase`` regions.
# ``aliasing``: max-pooled and blur-pooled feature rows under one-pixel input shifts.
# ``saturation``: share of saturated sigmoid units per layer and weight gain.
# ``layer-collapse``: share of each layer kept by magnitude pruning and by SynFlow.
# ``untrained-tokens``: unembedding rows of a bigram model, tokens never seen in training apart.


class MatrixExpParams(Params):
    """Which matrix experiment, and its knobs (each experiment's docstring says its use)."""

    experiment: Literal["attention-entropy", "symmetry", "oversquashing", "order-chaos", "aliasing",
                        "saturation", "layer-collapse", "untrained-tokens", "post-ln",
                        "bn-explosion"]
    size: int = Field(16, ge=4, le=128, description="tokens / units / nodes / grid cells")
    dim: int = Field(32, ge=2, le=256, description="feature dimension / signal length")
    steps: int = Field(500, ge=1, le=20000, description="training steps / hops")
    lr: float = Field(0.1, gt=0.0, le=10.0)
    values: tuple[Annotated[float, Field(ge=-100.0, le=100.0)], ...] = Field(
        (1.0, 4.0, 16.0), min_length=1, max_length=16, description="swept scales")
    repeats: int = Field(5, ge=1, le=64)


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


def _qstar_chi(sw2: F, sb2: F, nodes: F, weights: F) -> tuple[F, F]:
    """Fixed points q* of the tanh mean-field length map q -> sw2 E[tanh(sqrt(q) z)^2] + sb2
    (iterated from q = 1 on the whole grid at once) and the slope chi at q*."""
    q = np.ones_like(sw2)
    for _ in range(200):
        qn = sw2 * np.tensordot(np.tanh(np.sqrt(q)[..., None] * nodes) ** 2, weights, axes=1) + sb2
        done = float(np.max(np.abs(qn - q))) < 1e-13
        q = qn
        if done:
            break
    chi = sw2 * np.tensordot((1 - np.tanh(np.sqrt(q)[..., None] * nodes) ** 2) ** 2, weights, axes=1)
    return q, chi


def _mx_order_chaos(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """The mean-field theory of deep tanh networks (Poole et al. 2016; Schoenholz et al. 2017)
    on a ``size`` x ``size`` grid of weight variance sigma_w^2 in [0.5, 4] and
    bias variance sigma_b^2 in [0, 0.3]: the fixed point q* of the length map and the slope
    chi = sigma_w^2 E[tanh'(sqrt(q*) z)^2] of the correlation map at 1, by 40-point
    Gauss-Hermite quadrature.  chi < 1: ordered (nearby inputs converge); chi > 1: chaotic
    (they diverge); ``depth_scale`` = -1/ln chi.  Exact; the generator is unused."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()
    sw = np.linspace(0.5, 4.0, p.size)
    sb = np.linspace(0.0, 0.3, p.size)
    ww, bb = np.meshgrid(sw, sb)
    chi = _qstar_chi(ww, bb, nodes, weights)[1]
    phase = (chi > 1.0).astype(int)
    phase3 = np.where(chi < 0.9, 0, np.where(chi <= 1.1, 1, 2))
    crit = np.array([sw[int(np.argmax(row > 1.0))] if (row > 1.0).any() else np.nan for row in chi])
    return {"sigma_w2": sw, "sigma_b2": sb, "chi": chi, "phase": phase, "phase3": phase3, "critical_sw2": crit,
            "log_chi": np.log(chi), "critical_at_zero_bias": float(crit[0]),
            "depth_scale": 1.0 / np.maximum(np.abs(np.log(chi)), 1e-12)}


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


def _mx_saturation(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """A deep sigmoid MLP (``size`` layers of width ``dim``) at initialisation, weights
    N(0, g^2 / fan-in) for each gain g in ``values``, zero biases, 200 standard Gaussian inputs:
    the share of units per layer whose output is pinned near 0 or 1 (below 0.02 or above 0.98),
    where the sigmoid's slope is under 0.02 and gradients through the unit all but stop
    (LeCun et al. 1998).  Rows: layers, first at the top; columns: gains."""
    gains = np.array(p.values)
    sat = np.empty((p.size, gains.size))
    slope = np.empty((p.size, gains.size))
    x0 = rng.normal(size=(200, p.dim))
    for j, g in enumerate(gains):
        h = x0
        for layer in range(p.size):
            w = rng.normal(size=(p.dim, p.dim)) * (g / math.sqrt(p.dim))
            h = 1.0 / (1.0 + np.exp(-(h @ w)))
            sat[layer, j] = float(np.mean((h < 0.02) | (h > 0.98)))
            slope[layer, j] = float(np.mean(h * (1 - h)))
    return {"saturated": sat, "mean_slope": slope, "gains": gains,
            "gain_labels": np.array([f"{g:g}" for g in gains]),
            "layer_labels": np.array([f"{i + 1}" for i in range(p.size)]),
            "max_saturated": sat.max(axis=0), "mean_saturated": sat.mean(axis=0),
            "saturated_mask": sat > 0.5}


def _mx_layer_collapse(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """Pruning at initialisation: an MLP with layer widths 16-``dim``-``dim``-16 (He-normal
    weights, so the wide middle layer's weights are the smallest) pruned to each compression
    ratio 10^(values) by (a) global magnitude pruning and (b) iterative SynFlow (Tanaka et al.
    2020), ``steps`` rounds on an exponential schedule, scores |theta * dR/dtheta| with
    R = 1' |W_L| ... |W_1| 1.  ``kept_*``: share of each layer's weights kept (rows: layers,
    columns: compressions); ``collapsed_*``: whether some layer is pruned away entirely,
    which disconnects the network."""
    widths = [16, p.dim, p.dim, 16]
    shapes = list(zip(widths[:-1], widths[1:], strict=True))
    ws = [np.abs(rng.normal(size=s) * math.sqrt(2.0 / s[0])) for s in shapes]
    sizes = np.array([w.size for w in ws])
    total = int(sizes.sum())
    comps = 10.0 ** np.array(p.values)
    out: Arrays = {"log_compression": np.array(p.values), "layer_labels": np.array(["1", "2", "3"]),
                   "comp_labels": np.array([f"10^{v:g}" for v in p.values])}

    def synflow_scores(masks: list[F]) -> list[F]:
        a = [w * m for w, m in zip(ws, masks, strict=True)]
        right = [np.ones(widths[0])]
        for w in a:
            right.append(right[-1] @ w)
        left = [np.ones(widths[-1])]
        for w in reversed(a):
            left.append(w @ left[-1])
        left = left[::-1]  # left[l + 1] is the vector arriving from the output side of layer l
        return [w * np.outer(right[i], left[i + 1]) for i, w in enumerate(a)]

    kept_mag = np.empty((3, comps.size))
    kept_syn = np.empty((3, comps.size))
    for j, c in enumerate(comps):
        keep_n = max(1, int(round(total / c)))
        flat = np.concatenate([w.ravel() for w in ws])
        thr = np.sort(flat)[::-1][keep_n - 1]
        kept_mag[:, j] = [float(np.mean(w >= thr)) for w in ws]
        masks = [np.ones_like(w) for w in ws]
        for k in range(1, p.steps + 1):
            target = max(1, int(round(total * c ** (-k / p.steps))))
            sc = synflow_scores(masks)
            flat_s = np.concatenate([(s_ * m).ravel() for s_, m in zip(sc, masks, strict=True)])
            order = np.argsort(-flat_s, kind="stable")
            keep = np.zeros(total, bool)
            keep[order[:target]] = True
            keep &= np.concatenate([m.ravel() for m in masks]) > 0
            parts = np.split(keep, np.cumsum(sizes)[:-1])
            masks = [q.reshape(w.shape).astype(float) for q, w in zip(parts, ws, strict=True)]
        kept_syn[:, j] = [float(m.mean()) for m in masks]
    out.update({"kept_magnitude": kept_mag, "kept_synflow": kept_syn,
                "collapsed_magnitude": np.any(kept_mag == 0, axis=0),
                "collapsed_synflow": np.any(kept_syn == 0, axis=0),
                "dead_mag_mask": kept_mag == 0, "dead_syn_mask": kept_syn == 0,
                "compression": comps, "average_kept": 1.0 / comps,
                "min_kept_magnitude": kept_mag.min(axis=0), "min_kept_synflow": kept_syn.min(axis=0),
                "min_kept_magnitude_plot": np.maximum(kept_mag.min(axis=0), 1e-6),
                "min_kept_synflow_plot": np.maximum(kept_syn.min(axis=0), 1e-6),
                "first_collapse_magnitude": float(p.values[int(np.argmax(np.any(kept_mag == 0, axis=0)))])
                if np.any(kept_mag == 0) else math.inf})
    return out


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


def _layer_norm(u: F) -> tuple[F, F]:
    sd = np.sqrt(u.var(axis=1, keepdims=True) + 1e-5)
    return (u - u.mean(axis=1, keepdims=True)) / sd, sd


def _layer_norm_back(g: F, y: F, sd: F) -> F:
    return (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True)) / sd


def _ln_stack_grads(post: bool, depth: int, p: MatrixExpParams, rng: np.random.Generator) -> F:
    """Frobenius norm of the loss gradient for each block's second weight matrix at init."""
    n, d = p.size, p.dim
    x = rng.normal(size=(n, d))
    target = rng.normal(size=(n, d))
    w1 = [rng.normal(size=(d, d)) * math.sqrt(2.0 / d) for _ in range(depth)]
    w2 = [rng.normal(size=(d, d)) * math.sqrt(1.0 / d) for _ in range(depth)]
    cache = []
    h = x
    for k in range(depth):
        if post:
            z = h @ w1[k]
            a = np.maximum(z, 0.0)
            y, sd = _layer_norm(h + a @ w2[k])
            cache.append((z, a, y, sd))
            h = y
        else:
            xin, sd = _layer_norm(h)
            z = xin @ w1[k]
            a = np.maximum(z, 0.0)
            cache.append((z, a, xin, sd))
            h = h + a @ w2[k]
    if post:
        g = (h - target) / n
    else:
        y_out, sd_out = _layer_norm(h)
        g = _layer_norm_back((y_out - target) / n, y_out, sd_out)
    norms = np.zeros(depth)
    for k in reversed(range(depth)):
        z, a, y, sd = cache[k]
        if post:
            gu = _layer_norm_back(g, y, sd)
            norms[k] = np.linalg.norm(a.T @ gu)
            g = gu + ((gu @ w2[k].T) * (z > 0)) @ w1[k].T
        else:
            norms[k] = np.linalg.norm(a.T @ g)
            g = g + _layer_norm_back(((g @ w2[k].T) * (z > 0)) @ w1[k].T, y, sd)
    return norms


def _mx_post_ln(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """Post-LN against Pre-LN at initialisation (Xiong et al. 2020).  A stack of residual
    feed-forward blocks F(x) = relu(x W1) W2 (width ``dim``, W1 ~ N(0, 2/d), W2 ~ N(0, 1/d), no
    biases, layer norm without gain or bias) on ``size`` Gaussian tokens with Gaussian regression
    targets, squared loss.  Post-LN: x <- LN(x + F(x)); Pre-LN: x <- x + F(LN(x)), with a final
    LN.  Each depth in ``values``: the gradient norm of the last block's W2 (median over
    ``repeats`` draws), which Xiong et al. bound independently of the depth for Post-LN and
    shrinking like 1/sqrt(depth) for Pre-LN; and, at the middle depth of ``values``, the gradient
    norm of every block's W2.  Rows: Post-LN, Pre-LN."""
    depths = [int(round(v)) for v in p.values]
    if any(not 1 <= dd <= 128 for dd in depths):
        msg = "path-matrix post-ln: every depth in 'values' must lie in 1..128"
        raise TeeprintError(msg)
    last = np.zeros((2, len(depths)))
    for j, depth in enumerate(depths):
        for i, post in enumerate((True, False)):
            last[i, j] = float(np.median([_ln_stack_grads(post, depth, p, rng)[-1] for _ in range(p.repeats)]))
    mid = depths[len(depths) // 2]
    profile = np.array([np.median([_ln_stack_grads(post, mid, p, rng) for _ in range(p.repeats)], axis=0)
                        for post in (True, False)])
    logd = np.log(np.array(depths, float))
    slopes = [float(np.polyfit(logd, np.log(last[i]), 1)[0]) if len(depths) > 1 else 0.0 for i in range(2)]
    return {"last_grad": last, "depths": np.array(depths), "layer_grad": profile, "profile_depth": mid,
            "depth_labels": np.array([str(dd) for dd in depths]),
            "layer_labels": np.array([str(k + 1) for k in range(mid)]),
            "norm_labels": np.array(["Post-LN", "Pre-LN"]),
            "slope_post": slopes[0], "slope_pre": slopes[1],
            "ratio_deepest": float(last[0, -1] / last[1, -1]), "ratio_shallowest": float(last[0, 0] / last[1, 0]),
            "post_spread": float(last[0].max() / last[0].min())}


def _bn_stack_grads(batch: int, use_bn: bool, p: MatrixExpParams, rng: np.random.Generator) -> F:
    """Frobenius norm of a random linear loss's gradient for each layer's weights at init."""
    d, depth = p.dim, p.size
    h = rng.normal(size=(batch, d))
    ws = [rng.normal(size=(d, d)) * math.sqrt(2.0 / d) for _ in range(depth)]
    cache = []
    for w in ws:
        z = h @ w
        if use_bn:
            sd = np.sqrt(z.var(axis=0, keepdims=True) + 1e-5)
            y = (z - z.mean(axis=0, keepdims=True)) / sd
        else:
            sd, y = np.ones((1, d)), z
        cache.append((h, y, sd))
        h = np.maximum(y, 0.0)
    g = rng.normal(size=h.shape) / batch
    norms = np.zeros(depth)
    for k in reversed(range(depth)):
        h_in, y, sd = cache[k]
        gy = g * (y > 0)
        gz = (gy - gy.mean(axis=0, keepdims=True) - y * (gy * y).mean(axis=0, keepdims=True)) / sd if use_bn else gy
        norms[k] = np.linalg.norm(h_in.T @ gz)
        g = gz @ ws[k].T
    return norms


def _mx_bn_explosion(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """Gradient explosion in deep batch-normalised networks at initialisation (Yang et al.
    2019).  A plain ReLU network of ``size`` layers of width ``dim`` (weights N(0, 2/d), no
    skips), each linear layer followed by batch normalisation over the batch (no gain or bias),
    on a batch of Gaussian inputs; the loss is a fixed random linear read-out of the last layer.
    The gradient norm of every layer's weights, median over ``repeats`` draws, for each batch
    size in ``values`` with batch norm, and, in the last row, the same network without batch
    norm at the largest batch.  ``log_grad`` is log10 of the norms, ``log_rel`` log10 of the norms
    over the smallest; ``growth_*``: ratio of the
    first layer's norm to the last's."""
    batches = [int(round(v)) for v in p.values]
    if any(not 4 <= b <= 512 for b in batches):
        msg = "path-matrix bn-explosion: every batch size in 'values' must lie in 4..512"
        raise TeeprintError(msg)
    if p.dim < 16:
        msg = "path-matrix bn-explosion: 'dim' must be at least 16 (narrower plain layers can die whole)"
        raise TeeprintError(msg)
    rows = [np.median([_bn_stack_grads(b, True, p, rng) for _ in range(p.repeats)], axis=0) for b in batches]
    rows.append(np.median([_bn_stack_grads(max(batches), False, p, rng) for _ in range(p.repeats)], axis=0))
    norms = np.array(rows)
    growth = norms[:, 0] / norms[:, -1]
    return {"grad": norms, "log_grad": np.log10(norms), "log_rel": np.log10(norms / norms.min()), "growth": growth, "growth_bn": growth[:-1],
            "growth_plain": float(growth[-1]), "batches": np.array(batches),
            "rate_per_layer": np.array([float(np.polyfit(np.arange(p.size), np.log(r), 1)[0]) for r in norms]),
            "layer": np.arange(1, p.size + 1),
            "row_labels": np.array([f"batch {b}" for b in batches] + [f"no norm, {max(batches)}"]),
            "layer_labels": np.array([str(k + 1) for k in range(p.size)])}


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
    """Pathologies drawn as matrices: the experiment named by ``experiment`` (see above)."""
    return _MATRIX_EXPS[p.experiment](p, rng)


# == path-plane: pathologies of classifiers on the plane ================================================================
#
# Every experiment returns ``grid_x``, ``grid_y`` and, per panel i, ``score_<i>`` (the model's
# logit on the grid), ``points_<i>`` and ``classes_<i>`` (the points shown in that panel), plus
# its accuracies as scalars.  Models are logistic regression or a one-hidden-layer tanh MLP,
# both by full-batch gradient descent on the mean logistic loss.


class PlaneParams(Params):
    """Which plane experiment, and its knobs (each experiment's docstring says its use)."""

    experiment: Literal["shortcut", "simplicity", "imbalance", "underspecification", "amplification",
                        "ordering", "permutation"]
    n: int = Field(400, ge=20, le=5000, description="training points")
    hidden: int = Field(32, ge=2, le=256, description="hidden units of the MLP")
    steps: int = Field(2000, ge=10, le=50000)
    lr: float = Field(0.5, gt=0.0, le=20.0)
    noise: float = Field(0.5, ge=0.0, le=5.0, description="noise of the data")
    ratio: float = Field(0.05, gt=0.0, le=0.5, description="imbalance: share of the minority class")
    models: int = Field(4, ge=1, le=8, description="underspecification: networks from different seeds")
    grid: int = Field(80, ge=20, le=200)
    extent: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0)


def _fit_mlp(x: F, y01: F, hidden: int, steps: int, lr: float, rng: np.random.Generator,
             weights: F | None = None) -> Callable[[F], F]:
    """A one-hidden-layer tanh MLP fitted by full-batch gradient descent on the (optionally
    weighted) mean logistic loss; returns its logit function."""
    n, d = x.shape
    w1 = rng.normal(size=(d, hidden)) / math.sqrt(d)
    b1 = rng.normal(size=hidden) * 0.1
    w2 = rng.normal(size=hidden) / math.sqrt(hidden)
    b2 = 0.0
    sw = np.ones(n) / n if weights is None else weights / weights.sum()
    for _ in range(steps):
        a = np.tanh(x @ w1 + b1)
        z = a @ w2 + b2
        g = (1.0 / (1.0 + np.exp(-z)) - y01) * sw
        ga = np.outer(g, w2) * (1 - a**2)
        w2 = w2 - lr * a.T @ g
        b2 = b2 - lr * float(g.sum())
        w1 = w1 - lr * x.T @ ga
        b1 = b1 - lr * ga.sum(0)

    def logit(q: F) -> F:
        return np.tanh(q @ w1 + b1) @ w2 + b2
    return logit


def _fit_logreg(x: F, y01: F, steps: int, lr: float, weights: F | None = None) -> Callable[[F], F]:
    """Logistic regression with a bias by full-batch gradient descent from zero."""
    n, d = x.shape
    w = np.zeros(d)
    b = 0.0
    sw = np.ones(n) / n if weights is None else weights / weights.sum()
    for _ in range(steps):
        g = (1.0 / (1.0 + np.exp(-(x @ w + b))) - y01) * sw
        w = w - lr * x.T @ g
        b = b - lr * float(g.sum())

    def logit(q: F) -> F:
        return q @ w + b
    return logit


def _grid(p: PlaneParams) -> tuple[F, F, F]:
    gx = np.linspace(p.extent[0], p.extent[1], p.grid)
    gy = np.linspace(p.extent[2], p.extent[3], p.grid)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.c_[xx.ravel(), yy.ravel()]


def _acc(fn: Callable[[F], F], x: F, y01: F) -> float:
    return float(np.mean((fn(x) > 0) == (y01 > 0.5)))


def _pl_shortcut(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Shortcut learning (Geirhos et al. 2020).  The core feature x1 separates the classes
    with overlap (means +-1, sd ``noise``); in training a second feature x2 = +-1.5 (+ small
    noise) copies the label exactly - a spurious cue with the wider margin.  Logistic
    regression (``steps`` steps of ``lr``) leans on the cue; on test data where the cue is
    reversed it fails, while the same model fitted on x1 alone would not.  Panels: 0 the
    training set, 1 the test set with the cue reversed, both under the same model."""
    n = p.n
    gx, gy, g = _grid(p)

    def draw(m: int, cue_sign: float) -> tuple[F, F]:
        y = (np.arange(m) % 2).astype(float)
        s = 2 * y - 1
        x1 = s + p.noise * rng.normal(size=m)
        x2 = cue_sign * 1.5 * s + 0.2 * rng.normal(size=m)
        return np.c_[x1, x2], y

    xtr, ytr = draw(n, 1.0)
    xte, yte = draw(n, -1.0)
    model = _fit_logreg(xtr, ytr, p.steps, p.lr)
    core = _fit_logreg(xtr[:, :1], ytr, p.steps, p.lr)
    w = model(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    return {"grid_x": gx, "grid_y": gy,
            "score_0": model(g).reshape(p.grid, p.grid), "score_1": model(g).reshape(p.grid, p.grid),
            "points_0": xtr, "classes_0": ytr.astype(int), "points_1": xte, "classes_1": yte.astype(int),
            "train_acc": _acc(model, xtr, ytr), "test_acc": _acc(model, xte, yte),
            "core_test_acc": _acc(core, xte[:, :1], yte),
            "weight_core": float(w[0] - w[2]), "weight_cue": float(w[1] - w[2])}


def _pl_simplicity(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """The pitfall of simplicity bias (Shah et al. 2020): x1 is a linear feature with a small
    margin (class sign * U[0.1, 1]) and x2 a three-slab feature with a large margin (class 1
    in the middle slab |x2| < 0.5, class 0 in the outer slabs 1 < |x2| < 2); each alone
    separates the data perfectly.  A tanh MLP (``hidden`` units, ``steps`` full-batch GD
    steps of ``lr``) fits the data with a boundary across x1 only: shuffling x1 between test
    points drops its accuracy to chance, shuffling x2 leaves it unchanged.  Panels: 0 the
    training set, 1 test points with x1 shuffled."""
    n = p.n
    gx, gy, g = _grid(p)

    def draw(m: int) -> tuple[F, F]:
        y = (np.arange(m) % 2).astype(float)
        s = 2 * y - 1
        x1 = s * rng.uniform(0.1, 1.0, m)
        mid = rng.uniform(-0.5, 0.5, m)
        outer = rng.choice([-1.0, 1.0], m) * rng.uniform(1.0, 2.0, m)
        x2 = np.where(y == 1, mid, outer)
        return np.c_[x1, x2], y

    xtr, ytr = draw(n)
    xte, yte = draw(n)
    model = _fit_mlp(xtr, ytr, p.hidden, p.steps, p.lr, rng)
    shuf1 = xte.copy()
    shuf1[:, 0] = rng.permutation(shuf1[:, 0])
    shuf2 = xte.copy()
    shuf2[:, 1] = rng.permutation(shuf2[:, 1])
    s = model(g).reshape(p.grid, p.grid)
    return {"grid_x": gx, "grid_y": gy, "score_0": s, "score_1": s,
            "points_0": xtr, "classes_0": ytr.astype(int), "points_1": shuf1, "classes_1": yte.astype(int),
            "train_acc": _acc(model, xtr, ytr), "test_acc": _acc(model, xte, yte),
            "acc_x1_shuffled": _acc(model, shuf1, yte), "acc_x2_shuffled": _acc(model, shuf2, yte)}


def _pl_imbalance(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Class imbalance (He & Garcia 2009): two Gaussian classes (means (+-1, 0), sd ``noise``)
    with a ``ratio`` share of the minority class 1.  Logistic regression on the plain mean
    loss puts its boundary deep inside the minority class; weighting each class's points by
    the inverse class frequency moves it back between the classes.  Panels: 0 plain, 1
    reweighted, both on the same training set; recalls measured on a fresh balanced set."""
    n = p.n
    gx, gy, g = _grid(p)
    y = (rng.random(n) < p.ratio).astype(float)
    x = np.c_[np.where(y == 1, 1.0, -1.0), np.zeros(n)] + p.noise * rng.normal(size=(n, 2))
    wts = np.where(y == 1, 1.0 / max(y.mean(), 1e-9), 1.0 / max(1 - y.mean(), 1e-9))
    plain = _fit_logreg(x, y, p.steps, p.lr)
    weighted = _fit_logreg(x, y, p.steps, p.lr, wts)
    yt = (np.arange(4000) % 2).astype(float)
    xt = np.c_[np.where(yt == 1, 1.0, -1.0), np.zeros(4000)] + p.noise * rng.normal(size=(4000, 2))

    def recall(fn: Callable[[F], F], cls: int) -> float:
        pred = fn(xt) > 0
        return float(np.mean(pred[yt == cls] == bool(cls)))

    def crossing(fn: Callable[[F], F]) -> float:
        # where the boundary crosses the x1 axis
        a, b = fn(np.array([[0.0, 0.0]]))[0], fn(np.array([[1.0, 0.0]]))[0]
        return float(-a / (b - a))

    return {"grid_x": gx, "grid_y": gy, "score_0": plain(g).reshape(p.grid, p.grid),
            "score_1": weighted(g).reshape(p.grid, p.grid), "points_0": x, "classes_0": y.astype(int),
            "points_1": x, "classes_1": y.astype(int), "minority_share": float(y.mean()),
            "recall_minority_plain": recall(plain, 1), "recall_minority_weighted": recall(weighted, 1),
            "recall_majority_plain": recall(plain, 0), "recall_majority_weighted": recall(weighted, 0),
            "cross_plain": crossing(plain), "cross_weighted": crossing(weighted)}


def _pl_underspecification(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Underspecification (D'Amour et al. 2022): ``models`` tanh MLPs that differ only in
    their random initialisation, each fitted by the same gradient descent to the same
    training set (two Gaussian blobs at -+(1, 1), sd ``noise``).  All reach the same training
    accuracy and agree on fresh data from the same blobs, yet in the two empty corners off
    the data's diagonal (points within 1 of (-2, 2) and (2, -2)) their boundaries part ways.
    Panels: models 0..; ``vote`` is the share of models calling class 1 on the grid."""
    n = p.n
    gx, gy, g = _grid(p)

    def blobs(m: int) -> tuple[F, F]:
        yy = (np.arange(m) % 2).astype(float)
        return np.where(yy[:, None] == 1, 1.0, -1.0) * np.ones((m, 2)) + p.noise * rng.normal(size=(m, 2)), yy

    x, y = blobs(n)
    xin, yt = blobs(2000)
    corner = rng.uniform(-1.0, 1.0, (2000, 2))
    xout = np.r_[corner[:1000] + [-2.0, 2.0], corner[1000:] + [2.0, -2.0]]
    out: Arrays = {"grid_x": gx, "grid_y": gy}
    preds_in, preds_out, accs, grid_preds = [], [], [], []
    for i in range(p.models):
        model = _fit_mlp(x, y, p.hidden, p.steps, p.lr, rng)
        out[f"score_{i}"] = model(g).reshape(p.grid, p.grid)
        out[f"points_{i}"] = x
        out[f"classes_{i}"] = y.astype(int)
        accs.append(_acc(model, x, y))
        preds_in.append(model(xin) > 0)
        preds_out.append(model(xout) > 0)
        grid_preds.append(model(g) > 0)
    pin, pout = np.array(preds_in), np.array(preds_out)

    def disagreement(pr: F) -> float:
        m = len(pr)
        pairs = [float(np.mean(pr[a] != pr[b])) for a in range(m) for b in range(a + 1, m)]
        return float(np.mean(pairs))

    out.update({"train_acc": np.array(accs), "test_acc_in": np.array([float(np.mean(q == (yt > 0.5))) for q in pin]),
                "disagree_in": disagreement(pin), "disagree_out": disagreement(pout),
                "vote": np.mean(np.array(grid_preds), axis=0).reshape(p.grid, p.grid)})
    return out


def _pl_amplification(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Bias amplification (Zhao et al. 2017).  Each point has a weak real feature x1 (class
    means +-0.5, sd ``noise``) and a binary attribute a, drawn on the plane at height a plus a
    little jitter; in training the label is positive for a share 1 - ``ratio`` of the points
    with a = 1 and a share ``ratio`` of those with a = 0.  Logistic regression on (x1, a)
    learns the correlation and, thresholding at 1/2, predicts positive for even more of the
    a = 1 points and even fewer of the a = 0 points than the training data held.  Panels: 0
    training points, 1 fresh test points drawn the same way; same model."""
    n = p.n
    gx, gy, g = _grid(p)

    def draw(m: int) -> tuple[F, F, F]:
        a = (np.arange(m) % 2).astype(float)
        pos = np.where(a == 1, 1 - p.ratio, p.ratio)
        y = (rng.random(m) < pos).astype(float)
        x1 = np.where(y == 1, 0.5, -0.5) + p.noise * rng.normal(size=m)
        return np.c_[x1, a + 0.08 * rng.normal(size=m)], y, a

    xtr, ytr, atr = draw(n)
    xte, yte, ate = draw(4000)
    model = _fit_logreg(np.c_[xtr[:, 0], atr], ytr, p.steps, p.lr)

    def logit_plane(q: F) -> F:
        return model(np.c_[q[:, 0], np.clip(np.round(q[:, 1]), 0, 1)])

    pred = model(np.c_[xte[:, 0], ate]) > 0
    s = logit_plane(g).reshape(p.grid, p.grid)
    return {"grid_x": gx, "grid_y": gy, "score_0": s, "score_1": s,
            "points_0": xtr, "classes_0": ytr.astype(int), "points_1": xte[:600], "classes_1": yte[:600].astype(int),
            "train_pos_a1": float(ytr[atr == 1].mean()), "train_pos_a0": float(ytr[atr == 0].mean()),
            "pred_pos_a1": float(pred[ate == 1].mean()), "pred_pos_a0": float(pred[ate == 0].mean()),
            "test_pos_a1": float(yte[ate == 1].mean()), "test_acc": float(np.mean(pred == (yte > 0.5)))}


def _pl_ordering(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Example order in online gradient descent (LeCun et al. 1998, on shuffling).  Two
    Gaussian classes (means (+-1, +-0.5), sd ``noise``), logistic regression by gradient steps
    on one example at a time with a constant step ``lr`` for ``steps`` epochs, the examples presented sorted by
    class (every class-0 example, then every class-1 example) or freshly shuffled each epoch.
    Sorted, each epoch ends on a long run of class 1 that drags the boundary into class 0;
    shuffled, it settles between the classes.  Panels: 0 sorted, 1 shuffled, same points;
    recalls on 4000 fresh balanced points."""
    n = p.n
    gx, gy, g = _grid(p)

    def draw(m: int) -> tuple[F, F]:
        y = (np.arange(m) % 2).astype(float)
        x = np.where(y[:, None] == 1, [1.0, 0.5], [-1.0, -0.5]) + p.noise * rng.normal(size=(m, 2))
        return x, y

    x, y = draw(n)
    xt, yt = draw(4000)
    models = {}
    for key in ("sorted", "shuffled"):
        w = np.zeros(2)
        b = 0.0
        for _ in range(p.steps):
            order = np.argsort(y, kind="stable") if key == "sorted" else rng.permutation(n)
            for i in order:
                err = 1.0 / (1.0 + math.exp(-(x[i] @ w + b))) - y[i]
                w = w - p.lr * err * x[i]
                b = b - p.lr * err
        models[key] = (w.copy(), b)
    out: Arrays = {"grid_x": gx, "grid_y": gy}
    for i, key in enumerate(("sorted", "shuffled")):
        w, b = models[key]
        out[f"score_{i}"] = (g @ w + b).reshape(p.grid, p.grid)
        out[f"points_{i}"] = x
        out[f"classes_{i}"] = y.astype(int)
        pred = (xt @ w + b) > 0
        out[f"recall0_{key}"] = float(np.mean(~pred[yt == 0]))
        out[f"recall1_{key}"] = float(np.mean(pred[yt == 1]))
        out[f"acc_{key}"] = float(np.mean(pred == (yt > 0.5)))
    return out


def _mlp_weights(x: F, y01: F, hidden: int, steps: int, lr: float,
                 rng: np.random.Generator) -> tuple[F, F, F, float]:
    """The weights (w1, b1, w2, b2) of the tanh MLP that :func:`_fit_mlp` fits, same steps."""
    n, d = x.shape
    w1 = rng.normal(size=(d, hidden)) / math.sqrt(d)
    b1 = rng.normal(size=hidden) * 0.1
    w2 = rng.normal(size=hidden) / math.sqrt(hidden)
    b2 = 0.0
    for _ in range(steps):
        a = np.tanh(x @ w1 + b1)
        g = (1.0 / (1.0 + np.exp(-(a @ w2 + b2))) - y01) / n
        ga = np.outer(g, w2) * (1 - a**2)
        w2 = w2 - lr * a.T @ g
        b2 = b2 - lr * float(g.sum())
        w1 = w1 - lr * x.T @ ga
        b1 = b1 - lr * ga.sum(0)
    return w1, b1, w2, b2


def _pl_permutation(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Permutation symmetry and weight averaging (Entezari et al. 2022; Ainsworth et al.
    2023).  Two tanh MLPs (``hidden`` units) differing only in their random initialisation
    are fitted by the same full-batch gradient descent (``steps`` steps of ``lr``) to the same
    XOR data (four Gaussian blobs at (+-1.2, +-1.2), sd ``noise``, opposite corners one class).
    Averaging their weights naively mixes unrelated hidden units and the blend fails; matching
    B's hidden units to A's first (weight matching: the assignment maximising the summed
    inner products of each unit's incoming weights, bias and outgoing weight, solved exactly
    by the Hungarian method, with a unit's sign flipped where that matches better, since
    tanh is odd) gives the same function B, and the blend then works.  Panels: 0 network A,
    1 network B, 2 the naive midpoint, 3 the midpoint after matching.  ``loss_naive`` /
    ``loss_aligned``: training loss along the straight line at ``alpha``; barriers: the
    largest rise above the worse end; accuracies on 4000 fresh points."""
    from scipy.optimize import linear_sum_assignment

    gx, gy, g = _grid(p)
    corners = np.array([[1.2, 1.2], [-1.2, -1.2], [1.2, -1.2], [-1.2, 1.2]])

    def draw(m: int) -> tuple[F, F]:
        q = np.arange(m) % 4
        return corners[q] + p.noise * rng.normal(size=(m, 2)), (q >= 2).astype(float)

    x, y = draw(p.n)
    xt, yt = draw(4000)
    net_a = _mlp_weights(x, y, p.hidden, p.steps, p.lr, rng)
    net_b = _mlp_weights(x, y, p.hidden, p.steps, p.lr, rng)
    fa = np.c_[net_a[0].T, net_a[1], net_a[2]]
    fb = np.c_[net_b[0].T, net_b[1], net_b[2]]
    sim = fa @ fb.T
    rows, cols = linear_sum_assignment(-np.abs(sim))
    sign = np.where(sim[rows, cols] >= 0, 1.0, -1.0)
    net_m = (net_b[0][:, cols] * sign, net_b[1][cols] * sign, net_b[2][cols] * sign, net_b[3])

    def logit(net: tuple[F, F, F, float], q: F) -> F:
        return np.tanh(q @ net[0] + net[1]) @ net[2] + net[3]

    def blend(u: tuple[F, F, F, float], v: tuple[F, F, F, float], t: float) -> tuple[F, F, F, float]:
        return ((1 - t) * u[0] + t * v[0], (1 - t) * u[1] + t * v[1], (1 - t) * u[2] + t * v[2],
                (1 - t) * u[3] + t * v[3])

    def loss(net: tuple[F, F, F, float]) -> float:
        z = logit(net, x)
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    def acc(net: tuple[F, F, F, float]) -> float:
        return float(np.mean((logit(net, xt) > 0) == (yt > 0.5)))

    alpha = np.linspace(0.0, 1.0, 21)
    l_naive = np.array([loss(blend(net_a, net_b, t)) for t in alpha])
    l_aligned = np.array([loss(blend(net_a, net_m, t)) for t in alpha])
    nets = [net_a, net_b, blend(net_a, net_b, 0.5), blend(net_a, net_m, 0.5)]
    out: Arrays = {"grid_x": gx, "grid_y": gy, "alpha": alpha, "loss_naive": l_naive, "loss_aligned": l_aligned,
                   "barrier_naive": float(l_naive.max() - max(l_naive[0], l_naive[-1])),
                   "barrier_aligned": float(l_aligned.max() - max(l_aligned[0], l_aligned[-1])),
                   "matched_function_gap": float(np.max(np.abs(logit(net_m, xt) - logit(net_b, xt)))),
                   "units_flipped": int(np.sum(sign < 0)),
                   "units_moved": int(np.sum(cols != np.arange(p.hidden)))}
    for i, net in enumerate(nets):
        out[f"score_{i}"] = logit(net, g).reshape(p.grid, p.grid)
        out[f"points_{i}"] = x
        out[f"classes_{i}"] = y.astype(int)
    out.update({"acc_a": acc(nets[0]), "acc_b": acc(nets[1]), "acc_mid_naive": acc(nets[2]),
                "acc_mid_aligned": acc(nets[3])})
    return out


_PLANE_EXPS: dict[str, Callable[[PlaneParams, np.random.Generator], Arrays]] = {
    "shortcut": _pl_shortcut,
    "simplicity": _pl_simplicity,
    "imbalance": _pl_imbalance,
    "underspecification": _pl_underspecification,
    "amplification": _pl_amplification,
    "ordering": _pl_ordering,
    "permutation": _pl_permutation,
}


@recipe("path-plane", PlaneParams)
def path_plane(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Pathologies of classifiers on the plane: the experiment named by ``experiment``."""
    return _PLANE_EXPS[p.experiment](p, rng)
