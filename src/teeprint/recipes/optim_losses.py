"""The optimisation family's closed-form 2-D losses and the surface they are drawn on.

The losses live in one small table (:data:`LOSSES`), each with its value, gradient and Hessian
written out analytically, so a new "optimiser X on surface Y" plate is a TOML entry naming a
loss and a list of optimisers, not new code.  Sharpness is always the top eigenvalue of the
exact 2 x 2 Hessian, never a finite-difference estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

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
