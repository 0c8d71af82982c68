"""Recipes of the pathologies family: the named diseases of training, each reproduced at toy
scale or in closed form (forgetting, self-training drift, vanishing gradients, dead ReLUs).

The family's matrix figures (``path-matrix``) live in :mod:`teeprint.recipes.path_matrices` and
:mod:`teeprint.recipes.path_signal`, its classifiers on the plane (``path-plane``) in
:mod:`teeprint.recipes.path_planes`; this module imports both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.path_base import F
from teeprint.recipes.path_base import MatrixExpParams as MatrixExpParams
from teeprint.recipes.path_matrices import path_matrix as path_matrix
from teeprint.recipes.path_planes import PlaneParams as PlaneParams
from teeprint.recipes.path_planes import path_plane as path_plane

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
