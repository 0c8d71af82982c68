"""Recipes of the optimisation family: optimiser paths on closed-form 2-D losses, sharpness
dynamics, and a real small network's loss landscape.

The 2-D losses live in one small table (:data:`LOSSES`), each with its value, gradient and
Hessian written out analytically, so a new "optimiser X on surface Y" plate is a TOML entry
naming a loss and a list of optimisers, not new code.  Sharpness is always the top eigenvalue
of the exact 2 x 2 Hessian, never a finite-difference estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

F = np.ndarray
Vec = Callable[[F, F], F]


@dataclass(frozen=True)
class Loss2D:
    """A closed-form loss of two parameters, vectorised over arrays of x and y.

    ``grad`` returns an array of shape ``(..., 2)`` and ``hess`` one of shape ``(..., 2, 2)``.
    ``extent`` is the window (x0, x1, y0, y1) the plate shows by default, ``minima`` the known
    minimisers worth marking, and ``floor`` the global minimum value when it is known exactly.
    """

    f: Callable[[F, F, float], F]
    grad: Callable[[F, F, float], F]
    hess: Callable[[F, F, float], F]
    extent: tuple[float, float, float, float]
    minima: tuple[tuple[float, float], ...]
    floor: float | None
    doc: str
    valley: Callable[[tuple[float, float, float, float]], F] | None = None


def _stack(a: F, b: F) -> F:
    return np.stack(np.broadcast_arrays(a, b), axis=-1)


def _mat(a: F, b: F, c: F) -> F:
    """Symmetric 2 x 2 matrices [[a, b], [b, c]] over broadcast arrays."""
    a, b, c = np.broadcast_arrays(a, b, c)
    return np.stack([np.stack([a, b], -1), np.stack([b, c], -1)], -2)


# -- the table of closed forms -------------------------------------------------------------------
# ``k`` is the one shape knob a loss may have (the condition number of the quadratic); the
# others ignore it.


def _quad_f(x: F, y: F, k: float) -> F:
    return 0.5 * (x**2 + k * y**2)


def _quad_g(x: F, y: F, k: float) -> F:
    return _stack(x, k * y)


def _quad_h(x: F, y: F, k: float) -> F:
    one = np.ones_like(np.asarray(x, float) + np.asarray(y, float))
    return _mat(one, 0 * one, k * one)


def _rosen_f(x: F, y: F, k: float) -> F:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosen_g(x: F, y: F, k: float) -> F:
    return _stack(-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2))


def _rosen_h(x: F, y: F, k: float) -> F:
    return _mat(2 - 400 * (y - x**2) + 800 * x**2, -400 * x, 200 + 0 * x)


_BEALE_C = (1.5, 2.25, 2.625)


def _beale_terms(x: F, y: F) -> list[tuple[F, F, F, F, F]]:
    """Residual r_i = c_i - x + x y^i with its partials (rx, ry) and second partials (rxy, ryy)."""
    out = []
    for i, c in enumerate(_BEALE_C, start=1):
        r = c - x + x * y**i
        rx = -1 + y**i
        ry = i * x * y ** (i - 1)
        rxy = i * y ** (i - 1)
        ryy = i * (i - 1) * x * y ** (i - 2) if i >= 2 else 0 * x
        out.append((r, rx, ry, rxy, ryy))
    return out


def _beale_f(x: F, y: F, k: float) -> F:
    return np.asarray(sum(t[0] ** 2 for t in _beale_terms(x, y)), float)


def _beale_g(x: F, y: F, k: float) -> F:
    t = _beale_terms(x, y)
    return _stack(sum(2 * r * rx for r, rx, *_ in t), sum(2 * r * ry for r, _, ry, *_ in t))


def _beale_h(x: F, y: F, k: float) -> F:
    t = _beale_terms(x, y)
    hxx = sum(2 * rx * rx for _, rx, _, _, _ in t)
    hxy = sum(2 * (rx * ry + r * rxy) for r, rx, ry, rxy, _ in t)
    hyy = sum(2 * (ry * ry + r * ryy) for r, _, ry, _, ryy in t)
    return _mat(hxx, hxy, hyy)


# Two wells for sharpness-aware minimisation: a narrow deep Gaussian well and a wide shallower
# one, on a gentle quadratic bowl.  Curvatures at the bottoms: about 156 and 2.2.
_WELLS = ((1.0, -0.6, 0.25, 0.08), (0.8, 0.6, -0.15, 0.6))  # depth, cx, cy, width
_BOWL = 0.02


def _wells_f(x: F, y: F, k: float) -> F:
    out = 1.0 + _BOWL * (x**2 + y**2)
    for a, cx, cy, s in _WELLS:
        out = out - a * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s**2))
    return out


def _wells_g(x: F, y: F, k: float) -> F:
    gx = 2 * _BOWL * x
    gy = 2 * _BOWL * y
    for a, cx, cy, s in _WELLS:
        e = a * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s**2)) / s**2
        gx = gx + e * (x - cx)
        gy = gy + e * (y - cy)
    return _stack(gx, gy)


def _wells_h(x: F, y: F, k: float) -> F:
    hxx = 2 * _BOWL + 0 * x
    hyy = 2 * _BOWL + 0 * y
    hxy = 0 * x * y
    for a, cx, cy, s in _WELLS:
        dx, dy = x - cx, y - cy
        e = a * np.exp(-(dx**2 + dy**2) / (2 * s**2)) / s**2
        hxx = hxx + e * (1 - dx**2 / s**2)
        hyy = hyy + e * (1 - dy**2 / s**2)
        hxy = hxy - e * dx * dy / s**2
    return _mat(hxx, hxy, hyy)


def _prod_f(x: F, y: F, k: float) -> F:
    return 0.5 * (x * y - 1) ** 2


def _prod_g(x: F, y: F, k: float) -> F:
    r = x * y - 1
    return _stack(r * y, r * x)


def _prod_h(x: F, y: F, k: float) -> F:
    return _mat(y**2, 2 * x * y - 1, x**2)


def _quart_f(x: F, y: F, k: float) -> F:
    return 0.25 * ((x * y) ** 2 - 1) ** 2


def _quart_g(x: F, y: F, k: float) -> F:
    u = x * y
    c = (u**2 - 1) * u
    return _stack(c * y, c * x)


def _quart_h(x: F, y: F, k: float) -> F:
    u = x * y
    d = 3 * u**2 - 1  # d/du of (u^2 - 1) u
    return _mat(d * y**2, d * u + (u**2 - 1) * u, d * x**2)


def _hyperbola(extent: tuple[float, float, float, float]) -> F:
    """Both branches of xy = 1 across the extent's x range, NaN-separated (the plate clips y)."""
    x0, x1, _, _ = extent
    parts = []
    if x1 > 0:
        xs = np.geomspace(1e-2, max(x1, 2e-2), 600)
        parts += [np.stack([xs, 1.0 / xs], -1), np.full((1, 2), np.nan)]
    if x0 < 0:
        xs = -np.geomspace(1e-2, max(-x0, 2e-2), 600)
        parts += [np.stack([xs, 1.0 / xs], -1), np.full((1, 2), np.nan)]
    return np.concatenate(parts) if parts else np.full((1, 2), np.nan)


LOSSES: dict[str, Loss2D] = {
    "quadratic": Loss2D(_quad_f, _quad_g, _quad_h, (-10.0, 10.0, -2.4, 2.4), ((0.0, 0.0),), 0.0,
                        "1/2 (x^2 + k y^2): a valley with condition number k"),
    "rosenbrock": Loss2D(_rosen_f, _rosen_g, _rosen_h, (-2.0, 2.0, -1.0, 3.0), ((1.0, 1.0),), 0.0,
                         "(1 - x)^2 + 100 (y - x^2)^2: the curved banana valley"),
    "beale": Loss2D(_beale_f, _beale_g, _beale_h, (-4.5, 4.5, -4.5, 4.5), ((3.0, 0.5),), 0.0,
                    "Beale's function: flat plateaus, steep walls, minimum at (3, 1/2)"),
    "two-wells": Loss2D(_wells_f, _wells_g, _wells_h, (-1.5, 1.5, -1.1, 1.1),
                        ((-0.6, 0.25), (0.6, -0.15)), None,
                        "a sharp Gaussian well and a flat one on a shallow bowl"),
    "product": Loss2D(_prod_f, _prod_g, _prod_h, (-1.0, 5.0, -1.0, 5.0), (), 0.0,
                      "1/2 (xy - 1)^2: minima on the hyperbola xy = 1, sharp far from the diagonal",
                      _hyperbola),
    "quartic-product": Loss2D(_quart_f, _quart_g, _quart_h, (-1.0, 5.0, -1.0, 5.0), (), 0.0,
                              "1/4 (x^2 y^2 - 1)^2: the minimalist edge-of-stability model",
                              _hyperbola),
}

LossName = Literal["quadratic", "rosenbrock", "beale", "two-wells", "product", "quartic-product"]


def sharpness(h: F) -> F:
    """The top eigenvalue of symmetric 2 x 2 matrices, in closed form."""
    a, b, c = h[..., 0, 0], h[..., 0, 1], h[..., 1, 1]
    return 0.5 * (a + c) + np.sqrt(0.25 * (a - c) ** 2 + b**2)


# -- optimisers ------------------------------------------------------------------------------------


class Optimiser(Params):
    """One optimiser of a trajectory plate: its kind, hyper-parameters and the key of its arrays."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$", description="suffix of its output arrays")
    kind: Literal["gd", "momentum", "nesterov", "rmsprop", "adam", "sam"]
    label: str = Field("", max_length=40)
    lr: float = Field(gt=0.0, le=10.0)
    beta: float = Field(0.9, ge=0.0, lt=1.0, description="momentum, or Adam's beta1")
    beta2: float = Field(0.999, ge=0.0, lt=1.0, description="RMSProp/Adam second-moment decay")
    eps: float = Field(1e-8, gt=0.0, le=1.0)
    rho: float = Field(0.2, gt=0.0, le=2.0, description="SAM neighbourhood radius")
    circle: int = Field(64, ge=8, le=512, description="SAM: points on the rho-circle for the exact inner max")
    grad_noise: float = Field(0.0, ge=0.0, le=10.0, description="std of Gaussian noise added to each gradient (SGD)")


class TrajectoryParams(Params):
    """A named closed-form loss, start points, and the optimisers to race on it."""

    loss: LossName
    condition: float = Field(50.0, ge=1.0, le=1000.0, description="k of the quadratic")
    starts: tuple[tuple[float, float], ...] = Field(min_length=1, max_length=12)
    optimisers: tuple[Optimiser, ...] = Field(min_length=1, max_length=8)
    steps: int = Field(200, ge=1, le=20000)
    tol: float = Field(1e-6, gt=0.0, le=1.0, description="loss gap counted as converged")
    extent: tuple[float, float, float, float] | None = None
    grid: int = Field(161, ge=21, le=401)

    @model_validator(mode="after")
    def _check(self) -> TrajectoryParams:
        keys = [o.key for o in self.optimisers]
        if len(set(keys)) != len(keys):
            msg = f"optimiser keys must be unique, got {keys}"
            raise ValueError(msg)
        if self.extent is not None:
            x0, x1, y0, y1 = self.extent
            if not (x1 > x0 and y1 > y0):
                msg = "extent must be (x0, x1, y0, y1) with x1 > x0 and y1 > y0"
                raise ValueError(msg)
        return self


#: Past this distance from the origin a run is called diverged and its path ends (NaN).
DIVERGED = 1e6


def run_optimiser(loss: Loss2D, k: float, opt: Optimiser, start: tuple[float, float], steps: int,
                  rng: np.random.Generator) -> F:
    """The iterates of one optimiser from one start, shape (steps + 1, 2); NaN after divergence.

    SAM uses the *exact* inner maximisation over the rho-circle (the best of ``circle`` points)
    rather than the usual one-step normalised-gradient ascent: in two dimensions the one-step
    version stalls on the rim of a sharp well instead of leaving it.
    """
    p = np.array(start, float)
    path = np.full((steps + 1, 2), np.nan)
    path[0] = p
    v = np.zeros(2)
    s = np.zeros(2)
    angles = np.linspace(0.0, 2 * math.pi, opt.circle, endpoint=False)
    ring = opt.rho * np.stack([np.cos(angles), np.sin(angles)], -1)

    def grad(q: F) -> F:
        g = np.asarray(loss.grad(q[0], q[1], k), float)
        if opt.grad_noise > 0:
            g = g + opt.grad_noise * rng.normal(size=2)
        return g

    for t in range(1, steps + 1):
        if opt.kind == "sam":
            probe = p + ring
            worst = probe[int(np.argmax(loss.f(probe[:, 0], probe[:, 1], k)))]
            p = p - opt.lr * grad(worst)
        elif opt.kind == "gd":
            p = p - opt.lr * grad(p)
        elif opt.kind == "momentum":  # Polyak's heavy ball
            v = opt.beta * v - opt.lr * grad(p)
            p = p + v
        elif opt.kind == "nesterov":
            v = opt.beta * v - opt.lr * grad(p + opt.beta * v)
            p = p + v
        elif opt.kind == "rmsprop":
            g = grad(p)
            s = opt.beta2 * s + (1 - opt.beta2) * g**2
            p = p - opt.lr * g / (np.sqrt(s) + opt.eps)
        else:  # adam, with bias correction
            g = grad(p)
            v = opt.beta * v + (1 - opt.beta) * g
            s = opt.beta2 * s + (1 - opt.beta2) * g**2
            vh = v / (1 - opt.beta**t)
            sh = s / (1 - opt.beta2**t)
            p = p - opt.lr * vh / (np.sqrt(sh) + opt.eps)
        if not np.all(np.isfinite(p)) or float(np.hypot(*p)) > DIVERGED:
            break
        path[t] = p
    return path


def steps_to_converge(values: F, floor: float | None, tol: float) -> int:
    """The first step after which the loss stays within ``tol`` of the floor; -1 if never."""
    if floor is None:
        return -1
    ok = np.isfinite(values) & (values - floor <= tol)
    if not ok[-1]:
        return -1
    bad = np.flatnonzero(~ok)
    return 0 if bad.size == 0 else int(bad[-1]) + 1


@recipe("loss-trajectories", TrajectoryParams)
def loss_trajectories(p: TrajectoryParams, rng: np.random.Generator) -> Arrays:
    """Optimiser paths on a closed-form 2-D loss, with the loss surface on a grid.

    For each optimiser ``key`` the arrays are ``paths_<key>`` (starts x steps+1 x 2),
    ``loss_<key>`` and ``sharpness_<key>`` along the path, ``final_<key>``, and
    ``steps_to_tol_<key>`` (first step after which the loss stays within ``tol`` of the known
    minimum, -1 if never).  ``loss_grid`` is evaluated on ``grid_x`` x ``grid_y``.
    """
    loss = LOSSES[p.loss]
    k = p.condition
    x0, x1, y0, y1 = p.extent or loss.extent
    gx = np.linspace(x0, x1, p.grid)
    gy = np.linspace(y0, y1, p.grid)
    xx, yy = np.meshgrid(gx, gy)
    out: Arrays = {
        "grid_x": gx,
        "grid_y": gy,
        "loss_grid": loss.f(xx, yy, k),
        "starts": np.array(p.starts, float),
        "minima": np.array(loss.minima, float).reshape(-1, 2),
        "step": np.arange(p.steps + 1),
    }
    if loss.valley is not None:
        out["valley"] = loss.valley((x0, x1, y0, y1))
    for opt in p.optimisers:
        paths = np.stack([run_optimiser(loss, k, opt, s, p.steps, rng) for s in p.starts])
        values = loss.f(paths[..., 0], paths[..., 1], k)
        sharp = sharpness(loss.hess(paths[..., 0], paths[..., 1], k))
        last = np.array([path[np.isfinite(path[:, 0])][-1] for path in paths])
        out[f"paths_{opt.key}"] = paths
        out[f"loss_{opt.key}"] = values
        out[f"sharpness_{opt.key}"] = sharp
        out[f"final_{opt.key}"] = last
        out[f"steps_to_tol_{opt.key}"] = np.array(
            [steps_to_converge(v, loss.floor, p.tol) for v in values])
        out[f"threshold_{opt.key}"] = 2.0 / opt.lr
    return out


# -- sharpness along one gradient-descent run -------------------------------------------------------


class SharpnessParams(Params):
    """Plain gradient descent on a closed-form loss, watched through its Hessian."""

    loss: LossName = "quartic-product"
    condition: float = Field(50.0, ge=1.0, le=1000.0)
    start: tuple[float, float] = (4.0, 0.02)
    lr: float = Field(0.1, gt=0.0, le=2.0)
    steps: int = Field(3000, ge=10, le=50000)


@recipe("gd-sharpness", SharpnessParams)
def gd_sharpness(p: SharpnessParams, rng: np.random.Generator) -> Arrays:
    """Sharpness (top Hessian eigenvalue) and loss along a gradient-descent run.

    Classical step-size theory says GD is stable only while sharpness < 2/eta.  Cohen et al.
    (2021) found that real training drives sharpness *up* to that line and then hovers on it,
    with a loss that keeps falling over long times but rises on many single steps.  The
    minimalist loss 1/4 (x^2 y^2 - 1)^2 (Zhu et al. 2023) shows it with two parameters.
    """
    loss = LOSSES[p.loss]
    opt = Optimiser.model_validate({"key": "gd", "kind": "gd", "lr": p.lr})
    path = run_optimiser(loss, p.condition, opt, p.start, p.steps, rng)
    values = loss.f(path[:, 0], path[:, 1], p.condition)
    sharp = sharpness(loss.hess(path[:, 0], path[:, 1], p.condition))
    return {
        "step": np.arange(1, p.steps + 1),  # from 1, so a log axis can show the early phase
        "path": path,
        "loss": values[1:],
        "sharpness": sharp[1:],
        "loss_initial": float(values[0]),
        "sharpness_initial": float(sharp[0]),
        "threshold": 2.0 / p.lr,
        "threshold_line": np.full(p.steps, 2.0 / p.lr),
        "loss_rises": int(np.sum(np.diff(values) > 0)),
    }


# -- a small network's loss landscape ---------------------------------------------------------------


def two_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[F, F]:
    """The two interleaved half-circles of scikit-learn's classic toy set, drawn in numpy."""
    n0 = n // 2
    n1 = n - n0
    t0 = rng.uniform(0, math.pi, n0)
    t1 = rng.uniform(0, math.pi, n1)
    a = np.stack([np.cos(t0), np.sin(t0)], -1)
    b = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], -1)
    x = np.concatenate([a, b]) + noise * rng.normal(size=(n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    order = rng.permutation(n)
    return x[order], y[order]


Net = list[tuple[F, F]]  # (W, b) per layer; W has shape (fan_in, fan_out)


def init_mlp(sizes: tuple[int, ...], rng: np.random.Generator) -> Net:
    """He-normal weights and zero biases for a ReLU MLP with the given layer widths."""
    return [(rng.normal(0.0, math.sqrt(2.0 / a), (a, b)), np.zeros(b))
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)]


def mlp_logits(net: Net, x: F) -> F:
    """Forward pass (ReLU hidden layers, linear output) returning the output logit per row."""
    h = x
    for i, (w, b) in enumerate(net):
        h = h @ w + b
        if i < len(net) - 1:
            h = np.maximum(h, 0.0)
    return h[..., 0]


def bce(logits: F, y: F) -> F:
    """Mean binary cross-entropy from logits along the last axis, computed stably."""
    return np.mean(np.logaddexp(0.0, logits) - y * logits, axis=-1)


def train_mlp(net: Net, x: F, y: F, steps: int, lr: float,
              masks: list[F] | None = None) -> Net:
    """Full-batch Adam on binary cross-entropy; masked weights stay exactly zero."""
    net = [(w.copy(), b.copy()) for w, b in net]
    m = [(np.zeros_like(w), np.zeros_like(b)) for w, b in net]
    v = [(np.zeros_like(w), np.zeros_like(b)) for w, b in net]
    b1, b2, eps = 0.9, 0.999, 1e-8
    if masks is not None:
        net = [(w * mk, b) for (w, b), mk in zip(net, masks, strict=True)]
    for t in range(1, steps + 1):
        acts = [x]
        h = x
        for i, (w, b) in enumerate(net):
            h = h @ w + b
            if i < len(net) - 1:
                h = np.maximum(h, 0.0)
            acts.append(h)
        prob = 1.0 / (1.0 + np.exp(-acts[-1][:, 0]))
        delta = ((prob - y) / len(y))[:, None]
        grads: list[tuple[F, F]] = []
        for i in range(len(net) - 1, -1, -1):
            w, _ = net[i]
            gw = acts[i].T @ delta
            gb = delta.sum(0)
            grads.append((gw, gb))
            if i > 0:
                delta = (delta @ w.T) * (acts[i] > 0)
        grads.reverse()
        new = []
        for i, ((w, b), (gw, gb)) in enumerate(zip(net, grads, strict=True)):
            if masks is not None:
                gw = gw * masks[i]
            mw, mb = m[i]
            vw, vb = v[i]
            mw = b1 * mw + (1 - b1) * gw
            mb = b1 * mb + (1 - b1) * gb
            vw = b2 * vw + (1 - b2) * gw**2
            vb = b2 * vb + (1 - b2) * gb**2
            m[i], v[i] = (mw, mb), (vw, vb)
            c1, c2 = 1 - b1**t, 1 - b2**t
            w = w - lr * (mw / c1) / (np.sqrt(vw / c2) + eps)
            b = b - lr * (mb / c1) / (np.sqrt(vb / c2) + eps)
            new.append((w, b))
        net = new
    return net


def accuracy(net: Net, x: F, y: F) -> float:
    """Share of points on the right side of the decision boundary."""
    return float(np.mean((mlp_logits(net, x) > 0) == (y > 0.5)))


class LandscapeParams(Params):
    """Train a small ReLU MLP on two moons, then slice its loss along two random directions."""

    n_train: int = Field(200, ge=20, le=2000)
    noise: float = Field(0.15, ge=0.0, le=1.0)
    hidden: int = Field(32, ge=2, le=128)
    depth: int = Field(2, ge=1, le=4, description="hidden layers")
    train_steps: int = Field(1500, ge=10, le=10000)
    lr: float = Field(0.01, gt=0.0, le=1.0)
    span: float = Field(1.0, gt=0.0, le=5.0, description="alpha and beta range over [-span, span]")
    grid: int = Field(61, ge=11, le=121)


def filter_normalised_direction(net: Net, rng: np.random.Generator) -> Net:
    """A Gaussian direction rescaled unit by unit to the norms of the trained weights.

    Li et al. (2018) normalise each convolutional filter; for a dense layer the analogue is each
    output unit's incoming weight vector (a column of W).  Bias directions are zero, as in their
    code, so the slice moves only the weights.
    """
    out: Net = []
    for w, b in net:
        d = rng.normal(size=w.shape)
        d *= np.linalg.norm(w, axis=0, keepdims=True) / (np.linalg.norm(d, axis=0, keepdims=True) + 1e-12)
        out.append((d, np.zeros_like(b)))
    return out


_LANDSCAPE_CHUNK = 256


@recipe("loss-landscape", LandscapeParams)
def loss_landscape(p: LandscapeParams, rng: np.random.Generator) -> Arrays:
    """The training loss of a trained MLP on the plane theta* + a d1 + b d2 (Li et al. 2018).

    All grid points are evaluated in one batched forward pass: the weights of every (a, b) are
    stacked along a leading axis, so the 41 x 41 slice costs a few matrix products.
    """
    x, y = two_moons(p.n_train, p.noise, rng)
    sizes = (2,) + (p.hidden,) * p.depth + (1,)
    net = train_mlp(init_mlp(sizes, rng), x, y, p.train_steps, p.lr)
    d1 = filter_normalised_direction(net, rng)
    d2 = filter_normalised_direction(net, rng)
    ab = np.linspace(-p.span, p.span, p.grid)
    aa, bb = np.meshgrid(ab, ab)
    surface = np.empty(aa.size)
    for lo in range(0, aa.size, _LANDSCAPE_CHUNK):  # bounded memory: chunks of grid points
        a_c = aa.ravel()[lo:lo + _LANDSCAPE_CHUNK, None, None]
        b_c = bb.ravel()[lo:lo + _LANDSCAPE_CHUNK, None, None]
        h = np.broadcast_to(x, (a_c.shape[0], *x.shape))
        for i, ((w, b), (u, _), (v, _)) in enumerate(zip(net, d1, d2, strict=True)):
            h = h @ (w[None] + a_c * u[None] + b_c * v[None]) + b
            if i < len(net) - 1:
                h = np.maximum(h, 0.0)
        surface[lo:lo + _LANDSCAPE_CHUNK] = bce(h[..., 0], y)
    surface = surface.reshape(aa.shape)
    centre = p.grid // 2
    return {
        "grid_x": ab,
        "grid_y": ab,
        "loss_grid": surface,
        "trained": np.array([[0.0, 0.0]]),
        "trained_loss": float(surface[centre, centre]),
        "train_accuracy": accuracy(net, x, y),
        "points": x,
        "labels": y,
    }
