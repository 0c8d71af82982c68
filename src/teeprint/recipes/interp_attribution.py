"""Attribution recipes of the interpretability family: a tiny trained MLP, read by exact methods.

One small tanh network is trained by deterministic full-batch gradient descent on a synthetic
task whose answer is known (y = tanh(1.5 x1) + x2 x3, x4 a distractor it never uses).  Its
predictions are then explained by integrated gradients (Riemann midpoint sum along the straight
path from a zero baseline) and by exact Shapley values (all 2^4 coalitions, features outside a
coalition set to the baseline).  Both satisfy the completeness / efficiency axiom, which the
plates state as claims.  The closed-form SoLU plate (x · softmax(x) on a swept 2-D input) lives
here too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

_FEATURES = np.array(["x₁", "x₂", "x₃", "x₄"])


class TinyMLPParams(Params):
    """The trained model shared by the attribution plates."""

    hidden: int = Field(16, ge=4, le=64)
    n_train: int = Field(400, ge=50, le=2000)
    steps: int = Field(1500, ge=100, le=5000)
    lr: float = Field(0.1, gt=0.0, le=0.5)


def target(x: np.ndarray) -> np.ndarray:
    """The task: a saturating x1 term, an x2·x3 interaction, x4 unused."""
    return np.tanh(1.5 * x[:, 0]) + x[:, 1] * x[:, 2]


def train_mlp(p: TinyMLPParams, rng: np.random.Generator) -> dict[str, Any]:
    """4-h-1 tanh MLP, mean squared error, deterministic full-batch gradient descent."""
    x = rng.normal(size=(p.n_train, 4))
    y = target(x)
    w1 = rng.normal(size=(4, p.hidden)) / 2.0
    b1 = np.zeros(p.hidden)
    w2 = rng.normal(size=p.hidden) / math.sqrt(p.hidden)
    b2 = 0.0
    n = len(x)
    for _ in range(p.steps):
        h = np.tanh(x @ w1 + b1)
        err = h @ w2 + b2 - y
        g_out = 2.0 * err / n
        gw2 = h.T @ g_out
        gb2 = g_out.sum()
        gh = np.outer(g_out, w2) * (1.0 - h * h)
        gw1 = x.T @ gh
        gb1 = gh.sum(0)
        w1 -= p.lr * gw1
        b1 -= p.lr * gb1
        w2 -= p.lr * gw2
        b2 -= p.lr * gb2
    xt = rng.normal(size=(500, 4))
    pred = np.tanh(xt @ w1 + b1) @ w2 + b2
    test_mse = float(np.mean((pred - target(xt)) ** 2))
    return {"w1": w1, "b1": b1, "w2": w2, "b2": np.float64(b2), "test_mse": np.float64(test_mse),
            "target_var": np.float64(np.var(target(xt)))}


def _forward(m: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return np.tanh(x @ m["w1"] + m["b1"]) @ m["w2"] + m["b2"]


def _grad(m: dict[str, Any], x: np.ndarray) -> np.ndarray:
    h = np.tanh(x @ m["w1"] + m["b1"])
    return ((1.0 - h * h) * m["w2"]) @ m["w1"].T


class IntegratedGradientsParams(TinyMLPParams):
    """Integrated gradients of the tiny MLP at one input, from a zero baseline."""

    point: tuple[float, float, float, float] = (1.0, 1.0, -1.0, 1.0)
    path_steps: int = Field(200, ge=8, le=2000)


@recipe("integrated-gradients", IntegratedGradientsParams)
def integrated_gradients(p: IntegratedGradientsParams, rng: np.random.Generator) -> Arrays:
    """Cumulative attribution of each feature along the straight path 0 -> x."""
    m = train_mlp(p, rng)
    x = np.asarray(p.point, dtype=float)
    k = p.path_steps
    mid = (np.arange(k) + 0.5) / k
    grads = _grad(m, mid[:, None] * x[None, :])            # (k, 4)
    cumulative = np.vstack([np.zeros((1, 4)), np.cumsum(grads * x / k, axis=0)])
    alpha = np.linspace(0.0, 1.0, k + 1)
    path_value = _forward(m, alpha[:, None] * x[None, :]) - _forward(m, np.zeros((1, 4)))[0]
    ig = cumulative[-1]
    plain = _grad(m, x[None, :])[0] * x                     # gradient × input, for contrast
    return {
        "alpha": alpha, "path_value": path_value, "cumulative": cumulative.T,
        "ig_total": cumulative.sum(1), "ig": ig, "grad_x_input": plain,
        "ig_sum": np.float64(ig.sum()), "delta": np.float64(path_value[-1]),
        "feature_labels": _FEATURES, "test_mse": m["test_mse"], "target_var": m["target_var"],
    }


class ShapleyParams(TinyMLPParams):
    """Exact Shapley values of the tiny MLP at several inputs, zero baseline."""

    n_points: int = Field(10, ge=2, le=24)


def exact_shapley(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, base: np.ndarray) -> np.ndarray:
    """phi[i] = sum over coalitions S not containing i of |S|!(n-|S|-1)!/n! (v(S+i) - v(S))."""
    n = x.shape[-1]
    phi = np.zeros(x.shape)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for s in combinations(others, size):
                with_i = np.broadcast_to(base, x.shape).copy()
                with_i[..., list(s)] = x[..., list(s)]
                without = with_i.copy()
                with_i[..., i] = x[..., i]
                phi[..., i] += weight * (f(with_i) - f(without))
    return phi


@recipe("shapley-exact", ShapleyParams)
def shapley_exact(p: ShapleyParams, rng: np.random.Generator) -> Arrays:
    """Shapley values over all 16 coalitions for n_points random inputs."""
    m = train_mlp(p, rng)
    xs = rng.normal(size=(p.n_points, 4))
    base = np.zeros(4)
    phi = exact_shapley(lambda z: _forward(m, z), xs, base)
    gap = _forward(m, xs) - _forward(m, base[None, :])[0]
    return {
        "phi": phi, "mean_abs_phi": np.abs(phi).mean(0)[None, :], "prediction_gap": gap,
        "efficiency_error": np.abs(phi.sum(1) - gap), "feature_labels": _FEATURES,
        "point_labels": np.array([str(i + 1) for i in range(p.n_points)]),
        "test_mse": m["test_mse"], "target_var": m["target_var"],
    }


class SoluParams(Params):
    """Softmax linear unit on 2-D inputs of fixed length swept around the first quadrant."""

    radius: float = Field(3.0, ge=0.5, le=10.0, description="input length r, x = r(cos θ, sin θ)")
    points: int = Field(181, ge=11, le=2001)


@recipe("solu-selectivity", SoluParams)
def solu_selectivity(p: SoluParams, rng: np.random.Generator) -> Arrays:
    """SoLU(x) = x · softmax(x) against the identity/ReLU, per coordinate, as θ goes 0 -> 90°."""
    del rng  # closed form
    theta = np.linspace(0.0, 90.0, p.points)
    x = p.radius * np.stack([np.cos(np.radians(theta)), np.sin(np.radians(theta))], axis=1)
    e = np.exp(x - x.max(1, keepdims=True))
    solu = x * e / e.sum(1, keepdims=True)
    small_in = x.min(1) / x.max(1)
    small_out = solu.min(1) / solu.max(1)
    return {
        "theta_deg": theta, "solu": solu.T, "relu": x.T, "solu_1": solu[:, 0], "solu_2": solu[:, 1],
        "relu_1": x[:, 0], "relu_2": x[:, 1], "ratio_in": small_in, "ratio_out": small_out,
        "radius": np.float64(p.radius),
        "ratio_out_20": np.float64(np.interp(20.0, theta, small_out)),
        "ratio_in_20": np.float64(np.interp(20.0, theta, small_in)),
    }
