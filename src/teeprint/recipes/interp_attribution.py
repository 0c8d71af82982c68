"""Attribution recipes of the interpretability family: a tiny trained MLP, read by exact methods.

One small tanh network is trained by deterministic full-batch gradient descent on a synthetic
task whose answer is known (y = tanh(1.5 x1) + x2 x3, x4 a distractor it never uses).  Its
predictions are then explained by integrated gradients (Riemann midpoint sum along the straight
path from a zero baseline) and by exact Shapley values (all 2^4 coalitions, features outside a
coalition set to the baseline).  Both satisfy the completeness / efficiency axiom, which the
plates state as claims.  The closed-form SoLU plate (x · softmax(x) on a swept 2-D input) lives
here too.

The ``interp-attrib`` engine explains small black boxes, one explanation per ``experiment``:
``lime``, ``counterfactual``, ``tree-surrogate`` (decision-regions arrays), ``ice``,
``influence`` (curve-vs-scale), ``tracin`` (matrix-heatmap) and the hand-wired
``attention-explanation`` (token-bars); each function documents the arrays it returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations
from typing import Any, Literal

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


def shap_interactions(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                      base: np.ndarray) -> np.ndarray:
    """SHAP interaction values over all coalitions (features outside set to the baseline):
    Phi[i, j] = sum over S not containing i, j of |S|!(n-|S|-2)!/(2(n-1)!) times
    (v(S+i+j) - v(S+i) - v(S+j) + v(S)) for i != j, and Phi[i, i] = phi[i] - sum of the row's
    off-diagonal entries, so every row sums to the Shapley value.  x is (points, n)."""
    n = x.shape[-1]

    def v(s: tuple[int, ...]) -> np.ndarray:
        z = np.broadcast_to(base, x.shape).copy()
        z[..., list(s)] = x[..., list(s)]
        return f(z)

    phi = exact_shapley(f, x, base)
    out = np.zeros((*x.shape[:-1], n, n))
    for i in range(n):
        for j in range(i + 1, n):
            others = [k for k in range(n) if k not in (i, j)]
            for size in range(n - 1):
                weight = math.factorial(size) * math.factorial(n - size - 2) / (2 * math.factorial(n - 1))
                for s in combinations(others, size):
                    d = v((*s, i, j)) - v((*s, i)) - v((*s, j)) + v(s)
                    out[..., i, j] += weight * d
            out[..., j, i] = out[..., i, j]
    for i in range(n):
        out[..., i, i] = phi[..., i] - (out[..., i, :].sum(-1) - out[..., i, i])
    return out


@recipe("shapley-interactions", ShapleyParams)
def shapley_interactions(p: ShapleyParams, rng: np.random.Generator) -> Arrays:
    """SHAP interaction values of the tiny MLP at n_points random inputs, zero baseline.
    Arrays: ``mean_abs`` (4 x 4, mean |Phi| over the points), ``pair23`` (mean |Phi| of the
    x2-x3 pair), ``other_pairs`` (largest mean |Phi| of any other pair), ``x4_max`` (largest
    mean |Phi| involving x4), ``sum_error`` (max |sum of Phi - prediction gap|), ``pair23_total``
    (Phi23 + Phi32 per point), ``product23`` (x2 x3 per point), ``pair_vs_product`` (the two
    stacked), ``phi`` (points x 4)."""
    m = train_mlp(p, rng)
    xs = rng.normal(size=(p.n_points, 4))
    base = np.zeros(4)
    inter = shap_interactions(lambda z: _forward(m, z), xs, base)
    gap = _forward(m, xs) - _forward(m, base[None, :])[0]
    mean_abs = np.abs(inter).mean(0)
    off = mean_abs - np.diag(np.diag(mean_abs))
    others = off.copy()
    others[1, 2] = others[2, 1] = 0.0
    return {
        "mean_abs": mean_abs, "pair23": np.float64(off[1, 2]), "other_pairs": np.float64(others.max()),
        "x4_max": np.float64(mean_abs[3].max()),
        "sum_error": np.float64(np.abs(inter.sum((1, 2)) - gap).max()),
        "pair23_total": inter[:, 1, 2] + inter[:, 2, 1], "product23": xs[:, 1] * xs[:, 2],
        "phi": inter.sum(-1), "feature_labels": _FEATURES, "test_mse": m["test_mse"],
        "pair_vs_product": np.stack([inter[:, 1, 2] + inter[:, 2, 1], xs[:, 1] * xs[:, 2]]),
        "pair_labels": np.array(["Φ₂₃+Φ₃₂", "x₂·x₃"]),
        "point_labels": np.array([str(i + 1) for i in range(p.n_points)]),
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


# -- the ``interp-attrib`` engine: explanations of small black boxes ------------------------


class AttribParams(Params):
    """Which explanation, and the knobs the experiments share (each documents its own use)."""

    experiment: Literal["lime", "counterfactual", "tree-surrogate", "ice", "influence",
                        "attention-explanation", "tracin", "ig-steps"]
    point: tuple[float, float] = Field((0.6, -0.4), description="2-D experiments: the input explained")
    samples: int = Field(400, ge=20, le=5000, description="perturbations / data points")
    width: float = Field(0.6, gt=0.0, le=5.0, description="LIME perturbation sd / kernel width")
    depth: int = Field(3, ge=1, le=6, description="tree-surrogate: tree depth")
    penalty: float = Field(0.05, ge=0.0, le=10.0, description="counterfactual distance weight / ridge")
    steps: int = Field(600, ge=10, le=5000)
    lr: float = Field(0.1, gt=0.0, le=5.0)
    curves: int = Field(15, ge=2, le=40, description="ice: ICE curves drawn")
    grid: int = Field(90, ge=20, le=200, description="2-D grid cells per side")


def _black_box(rng: np.random.Generator, n: int = 400, hidden: int = 16,
               steps: int = 1500) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """A 2-16-1 tanh MLP trained (full-batch gradient descent, logistic loss) on a curved
    two-class task: class 1 above the wave x2 = 0.9 sin(2.2 x1).  Returns (model, x, y)."""
    x = rng.uniform(-2.0, 2.0, (n, 2))
    y = (x[:, 1] > 0.9 * np.sin(2.2 * x[:, 0])).astype(float)
    w1 = rng.normal(size=(2, hidden))
    b1 = rng.normal(size=hidden)
    w2 = rng.normal(size=hidden) / math.sqrt(hidden)
    b2 = 0.0
    for _ in range(steps):
        h = np.tanh(x @ w1 + b1)
        g = (1.0 / (1.0 + np.exp(-(h @ w2 + b2))) - y) / n
        gh = np.outer(g, w2) * (1.0 - h * h)
        w2 -= 0.5 * h.T @ g
        b2 -= 0.5 * float(g.sum())
        w1 -= 0.5 * x.T @ gh
        b1 -= 0.5 * gh.sum(axis=0)
    return {"w1": w1, "b1": b1, "w2": w2, "b2": np.array(b2)}, x, y


def _bb_logit(m: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    return np.tanh(x @ m["w1"] + m["b1"]) @ m["w2"] + m["b2"]


def _bb_grad(m: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    h = np.tanh(x @ m["w1"] + m["b1"])
    return ((1.0 - h * h) * m["w2"]) @ m["w1"].T


def _plane(p: AttribParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = np.linspace(-2.0, 2.0, p.grid)
    xx, yy = np.meshgrid(g, g)
    return g, g, np.stack([xx.ravel(), yy.ravel()], axis=1)


def _exp_lime(p: AttribParams, rng: np.random.Generator) -> Arrays:
    """Ribeiro et al. 2016: explain the black box at ``point`` by a linear model fitted, by
    kernel-weighted least squares, to its probabilities on Gaussian perturbations (sd
    ``width``), kernel exp(-d^2 / width^2).  Arrays: ``grid_x``, ``grid_y``, ``score`` (black
    box logit), ``surrogate`` (surrogate probability - 1/2 on the grid, boundary at 0),
    ``points`` (perturbations), ``classes`` (black-box class), ``sizes`` (kernel weight),
    ``marks`` (the point), ``local_fidelity`` (weighted agreement of surrogate and black-box
    classes on the perturbations), ``global_agreement`` (on the whole plane), ``angle_deg``
    (between the surrogate's normal and the black box's gradient at the point), ``p_point``.
    """
    model, _, _ = _black_box(rng)
    x0 = np.asarray(p.point)
    pts = x0 + rng.normal(0.0, p.width, (p.samples, 2))
    prob = 1.0 / (1.0 + np.exp(-_bb_logit(model, pts)))
    wts = np.exp(-((pts - x0) ** 2).sum(axis=1) / p.width**2)
    design = np.column_stack([np.ones(len(pts)), pts - x0])
    coef = np.linalg.solve(design.T @ (design * wts[:, None]) + 1e-9 * np.eye(3),
                           design.T @ (wts * prob))
    gx, gy, plane = _plane(p)
    surrogate = (coef[0] + (plane - x0) @ coef[1:] - 0.5).reshape(p.grid, p.grid)
    bb = _bb_logit(model, plane).reshape(p.grid, p.grid)
    sur_pts = coef[0] + (pts - x0) @ coef[1:] > 0.5
    bb_pts = prob > 0.5
    grad = _bb_grad(model, x0[None, :])[0]
    cosang = float(coef[1:] @ grad / (np.linalg.norm(coef[1:]) * np.linalg.norm(grad)))
    return {
        "grid_x": gx, "grid_y": gy, "score": bb, "surrogate": surrogate,
        "label": (bb > 0).astype(int), "points": pts, "classes": bb_pts.astype(int),
        "sizes": wts, "marks": x0[None, :],
        "local_fidelity": float((wts * (sur_pts == bb_pts)).sum() / wts.sum()),
        "global_agreement": float(((surrogate > 0) == (bb > 0)).mean()),
        "angle_deg": math.degrees(math.acos(max(-1.0, min(1.0, cosang)))),
        "p_point": float(1.0 / (1.0 + math.exp(-_bb_logit(model, x0[None, :])[0]))),
        "coef": coef,
    }


_TARGET_LOGIT = math.log(3.0)  # logit of probability 0.75


def _exp_counterfactual(p: AttribParams, rng: np.random.Generator) -> Arrays:
    """Wachter et al. 2018 on a logistic regression (fitted by gradient descent to ``samples``
    points labelled by 2 x1 + 0.7 x2 + noise > 0): the smallest move of ``point`` that the
    model gives probability 0.75, found by minimising (z(x') - logit 0.75)^2 + penalty * d(x, x')
    (z: the model's logit) by gradient descent (step ``lr`` / |w|^2), once with d = squared L2 distance and once,
    by proximal steps (soft-thresholding), with the L1 distance, which moves as few
    coordinates as it can.  Arrays: ``grid_x``, ``grid_y``, ``score`` (logit), ``label``,
    ``paths`` (2 x (steps + 1) x 2: L2 then L1), ``marks`` (start, ends), ``points``,
    ``classes``, ``p_start``, ``p_end`` (2), ``move_l2``, ``move_l1``, ``l1_off_axis`` (the
    L1 move's smaller coordinate over its larger), ``l2_angle_deg`` (between the L2 move and
    the model's weight vector), ``weights``.
    """
    x = rng.uniform(-2.0, 2.0, (p.samples, 2))
    y = (x @ np.array([2.0, 0.7]) + rng.normal(0.0, 0.5, p.samples) > 0).astype(float)
    wfit = _logreg_fit(x, y)

    def logit(z: np.ndarray) -> np.ndarray:
        return z @ wfit[:2] + wfit[2]

    x0 = np.asarray(p.point)
    step = p.lr / float(wfit[:2] @ wfit[:2])  # the step scaled to the logit's curvature
    paths = np.empty((2, p.steps + 1, 2))
    for k, kind in enumerate(("l2", "l1")):
        z = x0.copy()
        paths[k, 0] = z
        for t in range(p.steps):
            g = 2.0 * (float(logit(z)) - _TARGET_LOGIT) * wfit[:2]
            if kind == "l2":
                z = z - step * (g + 2.0 * p.penalty * (z - x0))
            else:
                v = z - step * g - x0
                z = x0 + np.sign(v) * np.maximum(np.abs(v) - step * p.penalty, 0.0)
            paths[k, t + 1] = z
    gx, gy, plane = _plane(p)
    score = logit(plane).reshape(p.grid, p.grid)
    ends = paths[:, -1]
    prob = 1.0 / (1.0 + np.exp(-logit(np.vstack([x0[None, :], ends]))))
    m1, m2 = np.abs(ends[1] - x0), ends[0] - x0
    cosang = float(m2 @ wfit[:2] / (np.linalg.norm(m2) * np.linalg.norm(wfit[:2])))
    return {
        "grid_x": gx, "grid_y": gy, "score": score, "label": (score > 0).astype(int),
        "paths": paths, "marks": np.vstack([x0[None, :], ends]), "points": x[:120],
        "classes": y[:120].astype(int), "p_start": float(prob[0]), "p_end": prob[1:],
        "move_l2": m2, "move_l1": ends[1] - x0,
        "l1_off_axis": float(m1.min() / max(m1.max(), 1e-12)),
        "l2_angle_deg": math.degrees(math.acos(max(-1.0, min(1.0, cosang)))), "weights": wfit,
        "dist_l2": np.linalg.norm(ends - x0, axis=1), "dist_l1": np.abs(ends - x0).sum(axis=1),
    }


def _logreg_fit(x: np.ndarray, y: np.ndarray, steps: int = 2000) -> np.ndarray:
    """Logistic regression (w1, w2, bias) by full-batch gradient descent."""
    z = np.column_stack([x, np.ones(len(x))])
    w = np.zeros(3)
    for _ in range(steps):
        w -= 0.5 * z.T @ (1.0 / (1.0 + np.exp(-(z @ w))) - y) / len(y)
    return w


def _fit_tree(x: np.ndarray, y: np.ndarray, depth: int) -> list[tuple[int, float, int, int, int]]:
    """CART by Gini impurity on 0/1 labels; nodes (feature, threshold, left, right, leaf class)."""
    nodes: list[tuple[int, float, int, int, int]] = []

    def grow(idx: np.ndarray, d: int) -> int:
        me = len(nodes)
        nodes.append((-1, 0.0, -1, -1, int(y[idx].mean() >= 0.5) if idx.size else 0))
        if d == 0 or idx.size < 4 or y[idx].min() == y[idx].max():
            return me
        best = (math.inf, -1, 0.0)
        for f in range(x.shape[1]):
            order = idx[np.argsort(x[idx, f], kind="stable")]
            ys = y[order]
            left1 = np.cumsum(ys)[:-1]
            nl = np.arange(1, ys.size)
            nr = ys.size - nl
            right1 = ys.sum() - left1
            gini = (nl * (1 - (left1 / nl) ** 2 - (1 - left1 / nl) ** 2)
                    + nr * (1 - (right1 / nr) ** 2 - (1 - right1 / nr) ** 2))
            xs = x[order, f]
            gini[xs[1:] == xs[:-1]] = math.inf
            j = int(np.argmin(gini))
            if gini[j] < best[0]:
                best = (float(gini[j]), f, float((xs[j] + xs[j + 1]) / 2))
        if best[1] < 0:
            return me
        f, thr = best[1], best[2]
        left = grow(idx[x[idx, f] <= thr], d - 1)
        right = grow(idx[x[idx, f] > thr], d - 1)
        nodes[me] = (f, thr, left, right, nodes[me][4])
        return me

    grow(np.arange(len(x)), depth)
    return nodes


def _tree_predict(nodes: list[tuple[int, float, int, int, int]], x: np.ndarray) -> np.ndarray:
    out = np.empty(len(x), int)
    for i, row in enumerate(x):
        k = 0
        while nodes[k][0] >= 0:
            f, thr, left, right, _ = nodes[k]
            k = left if row[f] <= thr else right
        out[i] = nodes[k][4]
    return out


def _exp_tree(p: AttribParams, rng: np.random.Generator) -> Arrays:
    """Craven & Shavlik 1996: a decision tree of depth ``depth`` (CART, Gini) fitted not to the
    data but to the black box's own answers on ``samples`` uniform points; fidelity is the
    share of fresh points where tree and network agree.  Arrays: ``grid_x``, ``grid_y``,
    ``score`` (network logit), ``labels`` (2 x grid x grid: network, tree), ``points``,
    ``classes`` (the network's answers it was fitted to), ``fidelity``, ``fidelity_depth``
    (depths 1..depth), ``depths``, ``n_leaves``, ``net_acc`` (network on its task).
    """
    model, xt, yt = _black_box(rng)
    pts = rng.uniform(-2.0, 2.0, (p.samples, 2))
    ans = (_bb_logit(model, pts) > 0).astype(float)
    fresh = rng.uniform(-2.0, 2.0, (2000, 2))
    fresh_ans = _bb_logit(model, fresh) > 0
    fid = []
    nodes: list[tuple[int, float, int, int, int]] = []
    for d in range(1, p.depth + 1):
        nodes = _fit_tree(pts, ans, d)
        fid.append(float((_tree_predict(nodes, fresh) == fresh_ans).mean()))
    gx, gy, plane = _plane(p)
    bb = _bb_logit(model, plane).reshape(p.grid, p.grid)
    tree = _tree_predict(nodes, plane).reshape(p.grid, p.grid)
    truth = fresh[:, 1] > 0.9 * np.sin(2.2 * fresh[:, 0])
    return {
        "grid_x": gx, "grid_y": gy, "score": bb, "tree_score": tree - 0.5,
        "labels": np.stack([(bb > 0).astype(int), tree]), "points": pts,
        "classes": ans.astype(int), "fidelity": fid[-1], "fidelity_depth": np.asarray(fid),
        "depths": np.arange(1, p.depth + 1, dtype=float),
        "n_leaves": sum(1 for n_ in nodes if n_[0] < 0),
        "net_acc": float((fresh_ans == truth).mean()),
    }


def _exp_ice(p: AttribParams, rng: np.random.Generator) -> Arrays:
    """Goldstein et al. 2015 / Friedman 2001 on the archive's tiny MLP (y = tanh(1.5 x1) +
    x2 x3, x4 unused): for ``curves`` data points, x2 is swept over [-2, 2] with the other
    features held (ICE curves); their mean is the partial dependence.  Because x2 acts through
    x2 x3, the curves fan out with slope about x3 while their average stays nearly flat.
    Arrays: ``x2`` (grid), ``ice`` (curves x grid, each centred at x2 = 0), ``pd`` (mean),
    ``slopes``, ``x3`` (each curve's held x3), ``slope_x3_corr``, ``pd_range``, ``ice_range``,
    ``test_mse``, ``target_var``.
    """
    m = train_mlp(TinyMLPParams.model_validate({}), rng)
    xs = rng.normal(size=(p.curves, 4))
    grid = np.linspace(-2.0, 2.0, 81)
    ice = np.empty((p.curves, grid.size))
    for i, row in enumerate(xs):
        z = np.repeat(row[None, :], grid.size, axis=0)
        z[:, 1] = grid
        ice[i] = _forward(m, z)
    ice -= ice[:, [40]]  # centred at x2 = 0 (c-ICE)
    slopes = np.polyfit(grid, ice.T, 1)[0]
    pd = ice.mean(axis=0)
    return {
        "x2": grid, "ice": ice, "pd": pd, "slopes": slopes, "x3": xs[:, 2],
        "slope_x3_corr": float(np.corrcoef(slopes, xs[:, 2])[0, 1]),
        "pd_range": float(pd.max() - pd.min()), "ice_range": float(ice.max() - ice.min()),
        "test_mse": m["test_mse"], "target_var": m["target_var"],
    }


def _exp_influence(p: AttribParams, rng: np.random.Generator) -> Arrays:
    """Koh & Liang 2017: L2-regularised logistic regression (``samples`` points, 2 features +
    bias, penalty ``penalty``) fitted by Newton's method; the influence of removing each training
    point on one test point's loss, predicted as (1/n) g_test' H^-1 g_i, against the actual
    change after refitting without that point.  Arrays: ``predicted``, ``actual`` (per point),
    ``line`` (the diagonal), ``corr``, ``slope`` (least squares through the origin), ``top_match``
    (the most harmful point by prediction is the most harmful in fact).
    """
    n = p.samples
    x = rng.normal(size=(n, 2))
    y = (x @ np.array([1.5, -1.0]) + 0.3 + rng.normal(0.0, 1.0, n) > 0).astype(float)
    xb = np.column_stack([x, np.ones(n)])
    lam = p.penalty

    def fit(mask: np.ndarray) -> np.ndarray:
        w = np.zeros(3)
        xs, ys = xb[mask], y[mask]
        for _ in range(30):
            pr = 1.0 / (1.0 + np.exp(-xs @ w))
            g = xs.T @ (pr - ys) / n + lam * w
            h = (xs * (pr * (1 - pr))[:, None]).T @ xs / n + lam * np.eye(3)
            w -= np.linalg.solve(h, g)
        return w

    def loss(w: np.ndarray, xr: np.ndarray, yr: float) -> float:
        z = float(xr @ w)
        return math.log1p(math.exp(-z)) if yr > 0.5 else math.log1p(math.exp(z))

    full = np.ones(n, bool)
    w = fit(full)
    xt = np.array([-1.0, 0.8, 1.0])
    yt = 1.0
    pr = 1.0 / (1.0 + np.exp(-xb @ w))
    hess = (xb * (pr * (1 - pr))[:, None]).T @ xb / n + lam * np.eye(3)
    pt = 1.0 / (1.0 + math.exp(-float(xt @ w)))
    g_test = (pt - yt) * xt
    g_train = (pr - y)[:, None] * xb
    predicted = g_train @ np.linalg.solve(hess, g_test) / n
    base = loss(w, xt, yt)
    actual = np.empty(n)
    for i in range(n):
        mask = full.copy()
        mask[i] = False
        actual[i] = loss(fit(mask), xt, yt) - base
    lim = float(max(np.abs(predicted).max(), np.abs(actual).max())) * 1.1
    return {
        "predicted": predicted, "actual": actual, "diag": np.array([-lim, lim]),
        "corr": float(np.corrcoef(predicted, actual)[0, 1]),
        "slope": float(predicted @ actual / (predicted @ predicted)),
        "top_match": bool(np.argmax(predicted) == np.argmax(actual)),
        "n": n,
    }


def _exp_tracin(p: AttribParams, rng: np.random.Generator) -> Arrays:
    """Pruthi et al. 2020: L2-regularised logistic regression (``samples`` points, as
    ``influence``) trained by full-batch gradient descent (``steps`` steps of ``lr``), with a
    checkpoint every 10 steps.  TracIn scores each training point by the learning rate times the
    dot product of its loss gradient with one test point's, summed over the checkpoints; the
    truth it estimates is the change in the test loss when the point is left out and the same
    descent is re-run.  Arrays: ``tracin``, ``actual`` (per point), ``corr``, ``top`` (2 x 20:
    TracIn and actual of the ten strongest proponents and ten strongest opponents by TracIn,
    each row scaled to its largest magnitude), ``sign_agree`` (of those 20).
    """
    n = p.samples
    x = rng.normal(size=(n, 2))
    y = (x @ np.array([1.5, -1.0]) + 0.3 + rng.normal(0.0, 1.0, n) > 0).astype(float)
    xb = np.column_stack([x, np.ones(n)])
    xt, yt = np.array([-1.0, 0.8, 1.0]), 1.0
    lam = p.penalty

    def descend(mask: np.ndarray, record: bool) -> tuple[np.ndarray, list[np.ndarray]]:
        w = np.zeros(3)
        ckpts = []
        xs, ys = xb[mask], y[mask]
        for t in range(p.steps):
            if record and t % 10 == 0:
                ckpts.append(w.copy())
            pr = 1.0 / (1.0 + np.exp(-xs @ w))
            w = w - p.lr * (xs.T @ (pr - ys) / n + lam * w)
        return w, ckpts

    def test_loss(w: np.ndarray) -> float:
        return math.log1p(math.exp(-float(xt @ w)))

    full = np.ones(n, bool)
    w, ckpts = descend(full, True)
    tracin = np.zeros(n)
    for wc in ckpts:
        pr = 1.0 / (1.0 + np.exp(-xb @ wc))
        pt = 1.0 / (1.0 + math.exp(-float(xt @ wc)))
        tracin += 10 * p.lr * ((pr - y)[:, None] * xb) @ ((pt - yt) * xt) / n
    base = test_loss(w)
    actual = np.empty(n)
    for i in range(n):
        mask = full.copy()
        mask[i] = False
        actual[i] = test_loss(descend(mask, False)[0]) - base
    order = np.argsort(-tracin)
    pick = np.concatenate([order[:10], order[-10:]])
    top = np.stack([tracin[pick] / np.abs(tracin[pick]).max(), actual[pick] / np.abs(actual[pick]).max()])
    return {
        "tracin": tracin, "actual": actual, "corr": float(np.corrcoef(tracin, actual)[0, 1]),
        "top": top, "sign_agree": int((np.sign(top[0]) == np.sign(top[1])).sum()),
        "row_labels": ["TracIn", "left out"],
        "col_labels": [f"+{i + 1}" for i in range(10)] + [f"−{10 - i}" for i in range(10)],
        "top_pro": top[:, :10], "top_con": top[:, 10:],
        "pro_labels": [f"+{i + 1}" for i in range(10)], "con_labels": [f"−{10 - i}" for i in range(10)],
    }


_SENTENCE = np.array(["the", "film", "was", "not", "bad", "at", "all"])


def _exp_attention(p: AttribParams, rng: np.random.Generator) -> Arrays:
    """Jain & Wallace 2019 with a hand-wired one-layer attention classifier: each token's value
    vector contributes a fixed scalar s_t to the output logit, which is sum_t a_t s_t, so any
    attention row with the same weighted sum gives the same answer.  Maximising the total
    variation distance from the original row under that one linear constraint is a linear
    programme whose optimum sits on a vertex with at most two tokens: every pair is tried.
    The second alternative is the most spread-out row with the same answer: maximum entropy
    under the constraint, a_t proportional to exp(beta s_t), beta found by bisection.
    Arrays: ``vocab``, ``base`` (original attention), ``after`` (2 x T alternatives),
    ``logit`` (3: original, alternatives), ``tv`` (2), ``js_bits`` (2), ``sums`` (row sums),
    ``top_token`` (argmax per row).  No randomness (``rng`` unused).
    """
    del rng
    s = np.array([0.1, 0.4, 0.0, -1.6, -1.2, 0.0, 0.3])  # value -> logit, per token
    base = np.array([0.04, 0.08, 0.03, 0.30, 0.45, 0.04, 0.06])
    target_logit = float(base @ s)
    after = np.zeros((2, s.size))
    best_tv = -1.0
    for i in range(s.size):
        for j in range(s.size):
            if s[i] == s[j]:
                continue
            w = (target_logit - s[j]) / (s[i] - s[j])
            if 0.0 <= w <= 1.0:
                a = np.zeros(s.size)
                a[i], a[j] = w, 1.0 - w
                tv = 0.5 * float(np.abs(a - base).sum())
                if tv > best_tv:
                    best_tv, after[0] = tv, a
    lo, hi = -50.0, 50.0  # max entropy under the constraint: a ~ exp(beta s), beta by bisection
    for _ in range(200):
        beta = (lo + hi) / 2
        a = np.exp(beta * (s - s.max()))
        a /= a.sum()
        lo, hi = (beta, hi) if a @ s < target_logit else (lo, beta)
    after[1] = a
    logits = np.concatenate([[target_logit], after @ s])

    def js(a: np.ndarray, b: np.ndarray) -> float:
        mix = (a + b) / 2

        def kl(u: np.ndarray, v: np.ndarray) -> float:
            nz = u > 0
            return float((u[nz] * np.log2(u[nz] / v[nz])).sum())

        return 0.5 * kl(a, mix) + 0.5 * kl(b, mix)

    return {
        "vocab": _SENTENCE, "base": base, "after": after, "logit": logits,
        "tv": 0.5 * np.abs(after - base).sum(axis=1), "js_bits": np.array([js(base, a) for a in after]),
        "sums": after.sum(axis=1), "top_token": np.array([int(np.argmax(base))] + [int(np.argmax(a)) for a in after]),
        "values": s,
    }


def _exp_ig_steps(p: AttribParams, rng: np.random.Generator) -> Arrays:
    """Sundararajan et al. 2017's completeness check as a function of the Riemann sum: the
    4-16-1 tanh MLP of the ``integrated-gradients`` recipe (trained with its defaults) is
    explained at x = (1.5, 1, 1, 0.5) from a zero baseline with k = 2, 4, ..., 1024 path steps.
    Arrays: ``k``, ``gap`` (3 x k: |sum of attributions - (F(x) - F(0))| / |F(x) - F(0)| for
    the left, right and midpoint Riemann sums), ``gap_left``, ``gap_right``, ``gap_mid``,
    ``slope_left`` / ``slope_mid`` (log-log slope of the gap over k >= 32), ``delta``.
    """
    m = train_mlp(TinyMLPParams(hidden=16, n_train=400, steps=1500, lr=0.1), rng)
    x = np.array([1.5, 1.0, 1.0, 0.5])
    delta = float(_forward(m, x[None])[0] - _forward(m, np.zeros((1, 4)))[0])
    ks = 2 ** np.arange(1, 11)
    gaps = np.empty((3, len(ks)))
    for j, k in enumerate(ks):
        for r, offset in enumerate((0.0, 1.0, 0.5)):
            a = (np.arange(k) + offset) / k
            total = float((_grad(m, a[:, None] * x[None, :]) * x).sum() / k)
            gaps[r, j] = abs(total - delta) / abs(delta)
    tail = ks >= 32
    slopes = [float(np.polyfit(np.log(ks[tail]), np.log(g[tail]), 1)[0]) for g in gaps]
    return {"k": ks.astype(float), "gap": gaps, "gap_left": gaps[0], "gap_right": gaps[1],
            "gap_mid": gaps[2], "slope_left": np.float64(slopes[0]),
            "slope_mid": np.float64(slopes[2]), "delta": np.float64(delta)}


ATTRIB_EXPERIMENTS: dict[str, Callable[[AttribParams, np.random.Generator], Arrays]] = {
    "lime": _exp_lime,
    "ig-steps": _exp_ig_steps,
    "counterfactual": _exp_counterfactual,
    "tree-surrogate": _exp_tree,
    "ice": _exp_ice,
    "influence": _exp_influence,
    "tracin": _exp_tracin,
    "attention-explanation": _exp_attention,
}


@recipe("interp-attrib", AttribParams)
def interp_attrib(p: AttribParams, rng: np.random.Generator) -> Arrays:
    """Explanations of small black boxes, one per ``experiment`` (each function documents its
    arrays): ``lime`` (Ribeiro et al. 2016), ``counterfactual`` (Wachter et al. 2018),
    ``tree-surrogate`` (Craven & Shavlik 1996) for the decision-regions motif, all three on one
    2-16-1 tanh network trained on a wave-shaped boundary; ``ice`` (Goldstein et al. 2015) and
    ``influence`` (Koh & Liang 2017) for curve-vs-scale; ``attention-explanation`` (Jain &
    Wallace 2019, hand-wired) for token-bars.
    """
    return ATTRIB_EXPERIMENTS[p.experiment](p, rng)
