"""Optimisers run on the closed-form 2-D losses: the ``loss-trajectories`` recipe (paths of
several optimisers on one surface) and the ``gd-sharpness`` recipe (sharpness along one
gradient-descent run).  :func:`run_optimiser` implements every optimiser step exactly.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.optim_losses import LOSSES, F, LossName, Surface, sharpness

# -- optimisers ------------------------------------------------------------------------------------

Kind = Literal["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lion", "sign", "polyak",
               "modified-flow",
               "newton", "saddle-free-newton", "natural", "steepest", "cg", "coordinate", "prox",
               "fista", "projected", "frank-wolfe", "sam"]


class Optimiser(Params):
    """One optimiser of a trajectory plate: its kind, hyper-parameters and the key of its arrays.

    Kinds: ``gd``; ``momentum`` (Polyak's heavy ball); ``nesterov``; ``adagrad``; ``rmsprop``;
    ``adam`` (bias-corrected; ``wd`` adds an L2 term to the gradient); ``adamw`` (``wd`` decoupled,
    Loshchilov & Hutter); ``lion`` (sign of interpolated momentum, Chen et al.); ``sign`` (sign
    descent); ``polyak`` (step lr (f - f*) / |g|^2 along -g, f* the loss's known minimum);
    ``modified-flow`` (GD on f + (rho/4)|g|^2 with the exact Hessian: with a small lr, the flow
    that Barrett & Dherin's backward analysis says GD with step rho follows); ``newton`` (step lr H^-1 g with the exact Hessian); ``saddle-free-newton`` (lr |H|^-1 g,
    |H| with absolute eigenvalues, Dauphin et al.); ``natural`` (lr F^-1 g, F the loss's Fisher
    metric); ``steepest`` (Cauchy's steepest descent, step g'g / g'Hg along -g); ``cg`` (nonlinear
    conjugate gradient, Fletcher-Reeves, step length from the local Hessian: exact linear CG on a
    quadratic); ``coordinate`` (cyclic exact minimisation along one axis per step, Newton along that
    axis: exact on a quadratic); ``prox`` (ISTA: gradient step on the smooth part, soft-threshold by
    lr * l1); ``fista`` (ISTA with Beck & Teboulle's momentum); ``projected`` (GD then Euclidean
    projection onto the disk of ``radius``); ``frank-wolfe`` (step 2/(t+2) towards the disk's point
    minimising the linearised loss); ``sam`` (Foret et al.'s one-step ascent: eps = rho g/|g|, then
    a GD step with the gradient at w + eps).

    Any kind can add Gaussian gradient noise (``grad_noise``), a decaying step lr / (1 +
    ``lr_decay`` t), gradient-norm clipping (``clip``) and Lookahead's slow weights
    (``lookahead_k``, ``lookahead_alpha``).
    """

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$", description="suffix of its output arrays")
    kind: Kind
    label: str = Field("", max_length=40)
    lr: float = Field(gt=0.0, le=10.0)
    beta: float = Field(0.9, ge=0.0, lt=1.0, description="momentum, or Adam's/Lion's beta1")
    beta2: float = Field(0.999, ge=0.0, lt=1.0, description="RMSProp/Adam/Lion second decay")
    eps: float = Field(1e-8, gt=0.0, le=1.0)
    wd: float = Field(0.0, ge=0.0, le=10.0, description="weight decay (adam: L2 in the gradient; adamw, lion: decoupled)")
    rho: float = Field(0.05, gt=0.0, le=2.0, description="SAM radius; modified-flow: the GD step it models")
    grad_noise: float = Field(0.0, ge=0.0, le=10.0, description="std of Gaussian noise added to each gradient")
    lr_decay: float = Field(0.0, ge=0.0, le=100.0, description="step at t is lr / (1 + lr_decay t)")
    clip: float | None = Field(None, gt=0.0, le=1e6, description="clip the gradient to this norm")
    lookahead_k: int = Field(0, ge=0, le=100, description="Lookahead: sync slow weights every k steps (0: off)")
    lookahead_alpha: float = Field(0.5, gt=0.0, le=1.0)
    radius: float = Field(1.0, gt=0.0, le=100.0, description="projected / frank-wolfe: disk radius")
    average_from: int | None = Field(None, ge=0, le=20000, description="also output the mean iterate from this step")


class TrajectoryParams(Params):
    """A named closed-form loss (optionally shifted, rotated, plus L1), starts, and optimisers."""

    loss: LossName
    condition: float = Field(50.0, ge=1.0, le=1000.0, description="k of the quadratic")
    shift: tuple[float, float] = Field((0.0, 0.0), description="move the loss's minimum by this")
    angle: float = Field(0.0, ge=-180.0, le=180.0, description="rotate the loss by this many degrees")
    l1: float = Field(0.0, ge=0.0, le=100.0, description="add l1 (|x| + |y|) to the loss")
    starts: tuple[tuple[float, float], ...] = Field(min_length=1, max_length=64)
    start_jitter: float = Field(0.0, ge=0.0, le=10.0, description="add seeded N(0, jitter^2) to every start")
    optimisers: tuple[Optimiser, ...] = Field(min_length=1, max_length=8)
    steps: int = Field(200, ge=1, le=20000)
    tol: float = Field(1e-6, gt=0.0, le=1.0, description="loss gap counted as converged")
    extent: tuple[float, float, float, float] | None = None
    grid: int = Field(161, ge=21, le=401)
    circle: float | None = Field(None, gt=0.0, le=100.0, description="output a circle of this radius (constraint)")
    record_every: int = Field(1, ge=1, le=1000, description="keep every n-th iterate in the path arrays")

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
        if len(self.starts) * self.steps * len(self.optimisers) > 400_000:
            msg = "starts x steps x optimisers must stay <= 400000 (a recipe runs in well under 2 s)"
            raise ValueError(msg)
        return self


#: Past this distance from the origin a run is called diverged and its path ends (NaN).
DIVERGED = 1e6


def _solve(m: F, g: F) -> F:
    """m^-1 g for stacks of 2 x 2 matrices; NaN where m is singular."""
    a, b, c, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
    det = a * d - b * c
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.stack([(d * g[..., 0] - b * g[..., 1]) / det, (a * g[..., 1] - c * g[..., 0]) / det], -1)


def _abs_eig(h: F) -> F:
    """|H|: the symmetric matrices with the same eigenvectors and absolute eigenvalues."""
    w, v = np.linalg.eigh(h)
    return np.einsum("...ij,...j,...kj->...ik", v, np.abs(w), v)


def _curv(h: F, d: F) -> F:
    return np.einsum("...i,...ij,...j->...", d, h, d)


def run_optimiser(surf: Surface, opt: Optimiser, starts: F, steps: int, rng: np.random.Generator) -> F:
    """The iterates of one optimiser from every start at once, shape (starts, steps + 1, 2).

    A run whose iterate leaves the plane (non-finite, or farther than :data:`DIVERGED`) stops and
    its remaining iterates are NaN.
    """
    p = np.array(starts, float).reshape(-1, 2)
    n = p.shape[0]
    path = np.full((n, steps + 1, 2), np.nan)
    path[:, 0] = p
    alive = np.ones(n, bool)
    all_alive = True
    v = np.zeros_like(p)
    s = np.zeros_like(p)
    d_prev = np.zeros_like(p)
    g_prev = np.zeros_like(p)
    y_fista = p.copy()
    t_fista = 1.0
    slow = p.copy()
    l1 = surf.l1
    # Gradient noise is drawn up front, one (starts x 2) block per step and per evaluation
    # (SAM evaluates once per step too), so the draws do not depend on the kind's branches.
    noise = opt.grad_noise * rng.normal(size=(steps + 1, n, 2)) if opt.grad_noise > 0 else None
    t_now = [0]

    def grad(q: F, subgradient: bool = True) -> F:
        g = surf.grad(q)
        if subgradient and l1 > 0:
            g = g + l1 * np.sign(q)
        if noise is not None:
            g = g + noise[t_now[0]]
        if opt.clip is not None:
            norm = np.linalg.norm(g, axis=-1, keepdims=True)
            g = g * np.minimum(1.0, opt.clip / np.maximum(norm, 1e-300))
        return g

    def soft(q: F, lam: float) -> F:
        return np.sign(q) * np.maximum(np.abs(q) - lam, 0.0)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, steps + 1):
            t_now[0] = t
            lr = opt.lr / (1.0 + opt.lr_decay * (t - 1))
            kind = opt.kind
            if kind == "gd":
                p = p - lr * grad(p)
            elif kind == "momentum":  # Polyak's heavy ball
                v = opt.beta * v - lr * grad(p)
                p = p + v
            elif kind == "nesterov":
                v = opt.beta * v - lr * grad(p + opt.beta * v)
                p = p + v
            elif kind == "adagrad":
                g = grad(p)
                s = s + g**2
                p = p - lr * g / (np.sqrt(s) + opt.eps)
            elif kind == "rmsprop":
                g = grad(p)
                s = opt.beta2 * s + (1 - opt.beta2) * g**2
                p = p - lr * g / (np.sqrt(s) + opt.eps)
            elif kind in ("adam", "adamw"):
                g = grad(p) + (opt.wd * p if kind == "adam" else 0.0)
                v = opt.beta * v + (1 - opt.beta) * g
                s = opt.beta2 * s + (1 - opt.beta2) * g**2
                step = (v / (1 - opt.beta**t)) / (np.sqrt(s / (1 - opt.beta2**t)) + opt.eps)
                p = p - lr * (step + (opt.wd * p if kind == "adamw" else 0.0))
            elif kind == "lion":
                g = grad(p)
                c = opt.beta * v + (1 - opt.beta) * g
                p = p - lr * (np.sign(c) + opt.wd * p)
                v = opt.beta2 * v + (1 - opt.beta2) * g
            elif kind == "polyak":
                g = grad(p)
                gap = surf.value(p) - (surf.loss.floor or 0.0)
                p = p - lr * (gap / np.maximum(np.sum(g * g, -1), 1e-300))[:, None] * g
            elif kind == "modified-flow":
                # gradient descent on f + (rho / 4) |grad f|^2, whose gradient is g + (rho / 2) H g
                g = grad(p)
                p = p - lr * (g + 0.5 * opt.rho * np.einsum("...ij,...j->...i", surf.hess(p), g))
            elif kind == "sign":
                p = p - lr * np.sign(grad(p))
            elif kind == "newton":
                p = p - lr * _solve(surf.hess(p), grad(p))
            elif kind == "saddle-free-newton":
                p = p - lr * _solve(_abs_eig(surf.hess(p)), grad(p))
            elif kind == "natural":
                p = p - lr * _solve(surf.metric(p), grad(p))
            elif kind == "steepest":
                g = grad(p)
                cv = _curv(surf.hess(p), g)
                p = p - lr * np.where(cv > 0, np.sum(g * g, -1) / np.where(cv > 0, cv, 1.0), 0.0)[:, None] * g
            elif kind == "cg":
                g = grad(p)
                if t == 1:
                    d = -g
                else:
                    beta = np.sum(g * g, -1) / np.maximum(np.sum(g_prev * g_prev, -1), 1e-300)
                    d = -g + beta[:, None] * d_prev
                cv = _curv(surf.hess(p), d)
                alpha = np.where(cv > 0, -np.sum(g * d, -1) / np.where(cv > 0, cv, 1.0), 0.0)
                p = p + lr * alpha[:, None] * d
                d_prev, g_prev = d, g
            elif kind == "coordinate":
                i = (t - 1) % 2
                g = grad(p)
                h = surf.hess(p)[:, i, i]
                p = p.copy()
                p[:, i] = p[:, i] - lr * g[:, i] / h
            elif kind == "prox":
                p = soft(p - lr * grad(p, subgradient=False), lr * l1)
            elif kind == "fista":
                nxt = soft(y_fista - lr * grad(y_fista, subgradient=False), lr * l1)
                t_next = 0.5 * (1 + math.sqrt(1 + 4 * t_fista**2))
                y_fista = nxt + ((t_fista - 1) / t_next) * (nxt - p)
                t_fista = t_next
                p = nxt
            elif kind == "projected":
                p = p - lr * grad(p)
                norm = np.linalg.norm(p, axis=-1, keepdims=True)
                p = p * np.minimum(1.0, opt.radius / np.maximum(norm, 1e-300))
            elif kind == "frank-wolfe":
                g = grad(p)
                vertex = -opt.radius * g / np.maximum(np.linalg.norm(g, axis=-1, keepdims=True), 1e-300)
                p = p + (2.0 / (t + 1.0)) * (vertex - p)
            else:  # sam: Foret et al.'s one-step ascent, then descent with the perturbed gradient
                g = surf.grad(p) + (l1 * np.sign(p) if l1 > 0 else 0.0)
                e = opt.rho * g / np.maximum(np.linalg.norm(g, axis=-1, keepdims=True), 1e-12)
                p = p - lr * grad(p + e)
            if opt.lookahead_k and t % opt.lookahead_k == 0:
                slow = slow + opt.lookahead_alpha * (p - slow)
                p = slow.copy()
            if all_alive and np.abs(p).max() <= DIVERGED:  # one reduction; NaN fails it
                path[:, t] = p
                continue
            all_alive = False
            ok = np.isfinite(p).all(-1) & (np.abs(p).max(-1) <= DIVERGED)
            alive &= ok
            if not alive.any():
                break
            path[alive, t] = p[alive]
            p = np.where(alive[:, None], p, 0.0)
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


def _circle(radius: float, n: int = 361) -> F:
    a = np.linspace(0.0, 2 * math.pi, n)
    return radius * np.stack([np.cos(a), np.sin(a)], -1)


@recipe("loss-trajectories", TrajectoryParams)
def loss_trajectories(p: TrajectoryParams, rng: np.random.Generator) -> Arrays:
    """Optimiser paths on a closed-form 2-D loss, with the loss surface on a grid.

    For each optimiser ``key`` the arrays are ``paths_<key>`` (starts x steps+1 x 2),
    ``loss_<key>`` and ``sharpness_<key>`` along the path (NaN after a divergence), ``final_<key>``
    (last finite iterate per start), ``final_loss_<key>``, ``steps_to_tol_<key>`` (first step
    after which the loss stays within ``tol`` of the known minimum, -1 if never),
    ``crossings_y_<key>`` / ``crossings_x_<key>`` (sign changes of each coordinate about the
    minimum's, per start), ``diverged_<key>`` (1 per start that left the plane),
    ``threshold_<key>`` = 2/lr and, with ``average_from``, ``average_<key>`` (mean iterate from
    that step, per start).  For curve plates: ``gap_<key>`` (loss minus the known floor, or the
    loss itself when the floor is unknown) and ``dist_<key>`` (distance to the first minimum) of
    the first start along the steps, ``gap_median_<key>`` / ``dist_median_<key>`` their medians
    over the starts, ``step_len_<key>`` the length of every step (starts x steps).  With ``record_every`` = n the per-step arrays keep every n-th iterate
    (``step`` says which), so a bouncing path draws legibly; the last iterate is always kept
    when n divides ``steps``.  ``loss_grid`` is evaluated on ``grid_x`` x ``grid_y``; ``starts``
    holds the starts actually used (jittered with the seeded rng when ``start_jitter`` > 0).
    """
    loss = LOSSES[p.loss]
    surf = Surface(loss, p.condition, p.shift, p.angle, p.l1)
    x0, x1, y0, y1 = p.extent or loss.extent
    gx = np.linspace(x0, x1, p.grid)
    gy = np.linspace(y0, y1, p.grid)
    xx, yy = np.meshgrid(gx, gy)
    starts = np.array(p.starts, float)
    if p.start_jitter > 0:
        starts = starts + p.start_jitter * rng.normal(size=starts.shape)
    minima = surf.minima()
    floor = loss.floor if p.l1 == 0 else None
    out: Arrays = {
        "grid_x": gx,
        "grid_y": gy,
        "loss_grid": surf.value(np.stack([xx, yy], -1)),
        "starts": starts,
        "minima": minima,
        "step": np.arange(p.steps + 1)[::p.record_every],
        "iteration": np.arange(1, p.steps + 2)[::p.record_every],  # step + 1, for log axes
    }
    if loss.valley is not None and p.angle == 0 and p.shift == (0.0, 0.0):
        out["valley"] = loss.valley((x0, x1, y0, y1))
    if p.circle is not None:
        out["circle"] = _circle(p.circle)
    centre = minima[0] if minima.size else np.zeros(2)
    for opt in p.optimisers:
        paths = run_optimiser(surf, opt, starts, p.steps, rng)
        if opt.average_from is not None:
            avg = np.nanmean(paths[:, opt.average_from:], axis=1)
            out[f"average_{opt.key}"] = avg
            out[f"average_loss_{opt.key}"] = surf.value(avg)
        paths = paths[:, ::p.record_every]
        values = surf.value(paths)
        sharp = sharpness(surf.hess(np.nan_to_num(paths)))
        sharp = np.where(np.isfinite(paths[..., 0]), sharp, np.nan)
        finite = np.isfinite(paths[..., 0])
        last_idx = finite.sum(1) - 1
        last = paths[np.arange(len(paths)), last_idx]
        k = opt.key
        out[f"paths_{k}"] = paths
        out[f"loss_{k}"] = values
        out[f"sharpness_{k}"] = sharp
        out[f"final_{k}"] = last
        out[f"final_loss_{k}"] = surf.value(last)
        out[f"diverged_{k}"] = (~finite[:, -1]).astype(float)
        out[f"steps_to_tol_{k}"] = np.array([steps_to_converge(v, floor, p.tol) for v in values])
        out[f"crossings_x_{k}"] = np.array([_sign_changes(q[:, 0] - centre[0]) for q in paths])
        out[f"crossings_y_{k}"] = np.array([_sign_changes(q[:, 1] - centre[1]) for q in paths])
        out[f"threshold_{k}"] = 2.0 / opt.lr
        gap = values - (floor if floor is not None else 0.0)
        dist = np.linalg.norm(paths - centre, axis=-1)
        out[f"gap_{k}"] = gap[0]
        out[f"dist_{k}"] = dist[0]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns after a divergence
            out[f"gap_median_{k}"] = np.nanmedian(gap, axis=0) if len(gap) > 1 else gap[0]
            out[f"dist_median_{k}"] = np.nanmedian(dist, axis=0) if len(dist) > 1 else dist[0]
        out[f"step_len_{k}"] = np.linalg.norm(np.diff(paths, axis=1), axis=-1)
    return out


def _sign_changes(v: F) -> int:
    s = np.sign(v[np.isfinite(v)])
    s = s[s != 0]
    return int(np.count_nonzero(s[1:] != s[:-1]))


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
    path = run_optimiser(Surface(loss, p.condition), opt, np.array([p.start]), p.steps, rng)[0]
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
