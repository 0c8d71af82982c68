"""Recipes of the optimisation family: optimiser paths on closed-form 2-D losses, sharpness
dynamics, and a real small network's loss landscape.

The 2-D losses live in one small table (:data:`LOSSES`), each with its value, gradient and
Hessian written out analytically, so a new "optimiser X on surface Y" plate is a TOML entry
naming a loss and a list of optimisers, not new code.  Sharpness is always the top eigenvalue
of the exact 2 x 2 Hessian, never a finite-difference estimate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
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
    metric: Callable[[F, F, float], F] | None = None


def _stack(a: F, b: F) -> F:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        a, b = np.broadcast_arrays(a, b)
    return np.stack((a, b), axis=-1)


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


def _saddle_f(x: F, y: F, k: float) -> F:
    return 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4


def _saddle_g(x: F, y: F, k: float) -> F:
    return _stack(x, -y + y**3)


def _saddle_h(x: F, y: F, k: float) -> F:
    return _mat(1.0 + 0 * x, 0 * x * y, -1.0 + 3 * y**2 + 0 * x)


def _gauss_f(x: F, y: F, k: float) -> F:
    """KL(N(0, 1) || N(mu, sigma^2)) in the coordinates x = mu, y = log sigma."""
    return y + 0.5 * (1 + x**2) * np.exp(-2 * y) - 0.5


def _gauss_g(x: F, y: F, k: float) -> F:
    e = np.exp(-2 * y)
    return _stack(x * e, 1 - (1 + x**2) * e)


def _gauss_h(x: F, y: F, k: float) -> F:
    e = np.exp(-2 * y)
    return _mat(e, -2 * x * e, 2 * (1 + x**2) * e)


def _gauss_fisher(x: F, y: F, k: float) -> F:
    """Fisher information of N(mu, e^(2 log sigma)) in (mu, log sigma): diag(1/sigma^2, 2)."""
    return _mat(np.exp(-2 * y), 0 * x * y, 2.0 + 0 * x * y)


# A cliff for gradient clipping (Pascanu et al.): a gentle bowl whose floor runs into a steep wall
# 0.05 (x - 4)^2 + y^2 / 2 + 5 sigmoid(20 (x - 2)); the wall's slope reaches 25, the bowl's is ~0.2.
_CLIFF = (5.0, 20.0, 2.0)  # height, steepness, position


def _cliff_sig(x: F) -> F:
    h, s, c = _CLIFF
    return 0.5 * (1.0 + np.tanh(0.5 * s * (x - c)))


def _cliff_f(x: F, y: F, k: float) -> F:
    return 0.05 * (x - 4.0) ** 2 + 0.5 * y**2 + _CLIFF[0] * _cliff_sig(x)


def _cliff_g(x: F, y: F, k: float) -> F:
    h, s, _ = _CLIFF
    sg = _cliff_sig(x)
    return _stack(0.1 * (x - 4.0) + h * s * sg * (1 - sg), y + 0 * x)


def _cliff_h(x: F, y: F, k: float) -> F:
    h, s, _ = _CLIFF
    sg = _cliff_sig(x)
    return _mat(0.1 + h * s * s * sg * (1 - sg) * (1 - 2 * sg), 0 * x * y, 1.0 + 0 * x * y)


def _cliff_min() -> float:
    """The x of the cliff loss's minimum (y = 0), by bisection on its x-derivative in (0, 2)."""
    lo, hi = 0.0, 2.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if float(_cliff_g(np.array(mid), np.array(0.0), 0.0)[0]) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


_CLIFF_X = _cliff_min()


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
    "product": Loss2D(_prod_f, _prod_g, _prod_h, (-1.0, 5.0, -1.0, 5.0), ((1.0, 1.0), (-1.0, -1.0)), 0.0,
                      "1/2 (xy - 1)^2: minima on the hyperbola xy = 1, sharp far from the diagonal; "
                      "the marked minima (1, 1), (-1, -1) are the flattest (sharpness 2)",
                      _hyperbola),
    "quartic-product": Loss2D(_quart_f, _quart_g, _quart_h, (-1.0, 5.0, -1.0, 5.0), (), 0.0,
                              "1/4 (x^2 y^2 - 1)^2: the minimalist edge-of-stability model",
                              _hyperbola),
    "saddle": Loss2D(_saddle_f, _saddle_g, _saddle_h, (-2.0, 2.0, -1.6, 1.6), ((0.0, -1.0), (0.0, 1.0)),
                     -0.25, "x^2/2 - y^2/2 + y^4/4: a saddle at the origin between minima at (0, -1), (0, 1)"),
    "cliff": Loss2D(_cliff_f, _cliff_g, _cliff_h, (-12.0, 4.0, -3.0, 3.0), ((_CLIFF_X, 0.0),),
                    float(_cliff_f(np.array(_CLIFF_X), np.array(0.0), 0.0)),
                    "0.05 (x - 4)^2 + y^2/2 + 5 sigmoid(20 (x - 2)): a gentle bowl ending at a steep wall"),
    "gaussian-fit": Loss2D(_gauss_f, _gauss_g, _gauss_h, (-3.0, 3.0, -1.5, 1.5), ((0.0, 0.0),), 0.0,
                           "KL(N(0,1) || N(mu, sigma^2)) over (mu, log sigma)", metric=_gauss_fisher),
}

LossName = Literal["quadratic", "rosenbrock", "beale", "two-wells", "product", "quartic-product",
                   "saddle", "gaussian-fit", "cliff"]


def sharpness(h: F) -> F:
    """The top eigenvalue of symmetric 2 x 2 matrices, in closed form."""
    a, b, c = h[..., 0, 0], h[..., 0, 1], h[..., 1, 1]
    return 0.5 * (a + c) + np.sqrt(0.25 * (a - c) ** 2 + b**2)


@dataclass(frozen=True)
class Surface:
    """A table loss placed on the plane: f(R (p - shift)) + l1 |p|_1, R a rotation by ``angle``.

    ``grad`` and ``hess`` are those of the smooth part; the L1 term is handled by each optimiser
    (a subgradient for the plain methods, the soft-threshold for proximal ones).
    """

    loss: Loss2D
    k: float
    shift: tuple[float, float] = (0.0, 0.0)
    angle_deg: float = 0.0
    l1: float = 0.0

    def __post_init__(self) -> None:
        t = math.radians(self.angle_deg)
        rot = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
        object.__setattr__(self, "rot", rot)
        object.__setattr__(self, "centre", np.array(self.shift, float))
        object.__setattr__(self, "plain", self.angle_deg == 0 and self.shift == (0.0, 0.0))

    rot: F = field(init=False, repr=False)
    centre: F = field(init=False, repr=False)
    plain: bool = field(init=False, repr=False)

    def _q(self, p: F) -> F:
        if self.plain:
            return np.asarray(p, float)
        return (np.asarray(p, float) - self.centre) @ self.rot.T

    def smooth(self, p: F) -> F:
        q = self._q(p)
        return np.asarray(self.loss.f(q[..., 0], q[..., 1], self.k), float)

    def value(self, p: F) -> F:
        return self.smooth(p) + self.l1 * np.abs(np.asarray(p, float)).sum(-1)

    def grad(self, p: F) -> F:
        q = self._q(p)
        g = np.asarray(self.loss.grad(q[..., 0], q[..., 1], self.k), float)
        return g if self.plain else g @ self.rot

    def hess(self, p: F) -> F:
        q = self._q(p)
        h = np.asarray(self.loss.hess(q[..., 0], q[..., 1], self.k), float)
        return h if self.plain else np.einsum("ji,...jk,kl->...il", self.rot, h, self.rot)

    def metric(self, p: F) -> F:
        if self.loss.metric is None:
            msg = "this loss has no metric (natural gradient needs a Fisher information)"
            raise ValueError(msg)
        q = self._q(p)
        m = np.asarray(self.loss.metric(q[..., 0], q[..., 1], self.k), float)
        return np.einsum("ji,...jk,kl->...il", self.rot, m, self.rot)

    def minima(self) -> F:
        m = np.array(self.loss.minima, float).reshape(-1, 2)
        return m @ self.rot + np.array(self.shift)


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


# The optim-experiment recipe lives in its own module; importing it here registers it with the
# recipes of this family (recipes/__init__.py lists only this module).
from teeprint.recipes import optim_experiments as _optim_experiments  # noqa: E402, F401
