"""E18 warps: a 2-D grid or point cloud pushed through a map or a vector field.

One recipe, ``warp``, whose ``experiment`` parameter names the map: the exact score field of a
noised Gaussian mixture (and a denoising-score-matching fit of it), probability-flow ODE and
reverse-SDE paths, classifier-free guidance, rectified-flow / flow-matching paths, hand-wired
affine coupling layers, the Box-Muller map, consistency (ODE paths in the (t, x) plane), the
Dirac-GAN game, annealed Langevin dynamics, sampling with the exact score of a finite training
set, and Gumbel-softmax relaxations.  Every experiment returns the plane's grid (``grid_x``,
``grid_y``), a surface on it (``density``), paths (``(S, T, 2)`` arrays), point clouds and the
scalars its claims quote; a plate picks what to draw in its ``[motif.params]``.

All densities are Gaussian mixtures, so every score, velocity and noised marginal is exact; the
only approximations are the time steps of the integrators, which the parameters set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

Experiment = Literal["score-field", "pf-ode", "guidance", "flow-matching", "coupling-flow",
                     "box-muller", "consistency", "dirac-gan", "annealed-langevin",
                     "memorisation", "gumbel-softmax", "vq-codebook", "planar-flow"]


class WarpParams(Params):
    """Which map to push the plane through, the 2-D mixture it acts on, and the integrators."""

    experiment: Experiment
    means: tuple[tuple[float, float], ...] = ((-1.6, -1.0), (1.6, -1.0), (0.0, 1.7))
    sds: tuple[float, ...] = (0.3, 0.3, 0.3)
    weights: tuple[float, ...] = (0.34, 0.33, 0.33)
    labels: tuple[int, ...] = Field((0, 0, 1), description="class of each component (guidance)")
    n_particles: int = Field(400, ge=10, le=4000)
    n_paths: int = Field(12, ge=1, le=100)
    steps: int = Field(300, ge=10, le=3000)
    path_points: int = Field(60, ge=5, le=400, description="points kept per drawn path")
    extent: float = Field(3.5, gt=0.5, le=20.0, description="the plane is [-extent, extent]^2")
    grid: int = Field(121, ge=21, le=401)
    beta_min: float = Field(0.1, gt=0.0, le=5.0, description="VP-SDE beta(0)")
    beta_max: float = Field(20.0, gt=0.0, le=50.0, description="VP-SDE beta(1)")
    noise: float = Field(0.3, gt=0.0, le=5.0, description="score-field: noise level sigma")
    n_fit: int = Field(4000, ge=100, le=40000, description="score-field: DSM training pairs")
    features: int = Field(9, ge=3, le=20, description="score-field: RBF centres per axis")
    ridge: float = Field(1e-3, ge=0.0, le=10.0, description="score-field: ridge penalty")
    arrows: int = Field(15, ge=5, le=40, description="arrow grid per axis")
    guidance: float = Field(3.0, ge=0.0, le=20.0, description="classifier-free guidance weight w")
    guided_class: int = Field(1, ge=0, le=7)
    layers: int = Field(2, ge=1, le=4, description="coupling-flow / planar-flow (<= 3): layers")
    strength: float = Field(1.0, ge=0.0, le=2.0, description="coupling-flow: scale of s and t")
    lr: float = Field(0.1, gt=0.0, le=1.0, description="dirac-gan: step size")
    penalty: float = Field(0.5, ge=0.0, le=10.0, description="dirac-gan: R1 weight gamma")
    sigma_max: float = Field(3.0, gt=0.0, le=20.0, description="annealed Langevin: largest sigma")
    sigma_min: float = Field(0.05, gt=0.0, le=1.0, description="annealed Langevin: smallest sigma")
    noise_levels: int = Field(10, ge=2, le=50)
    langevin_eps: float = Field(2e-5, gt=0.0, le=0.1, description="annealed Langevin step scale")
    n_train: int = Field(10, ge=2, le=200, description="memorisation: training points")
    temperatures: tuple[float, ...] = Field((0.1, 0.5, 2.0), min_length=1, max_length=5)
    logits: tuple[float, ...] = Field((1.0, 0.3, -0.4), min_length=3, max_length=3)
    codes: int = Field(8, ge=2, le=32, description="vq-codebook: codebook size")
    decay: float = Field(0.9, ge=0.5, lt=1.0, description="vq-codebook: EMA decay")
    marks_at: tuple[float, ...] = Field((0.8, 0.5, 0.25), max_length=6,
                                        description="consistency: times of the marked points")

    @model_validator(mode="after")
    def _mixture(self) -> WarpParams:
        k = len(self.means)
        if not 1 <= k <= 12 or len(self.sds) != k or len(self.weights) != k or len(self.labels) != k:
            msg = "means, sds, weights and labels need the same length, 1 to 12 components"
            raise ValueError(msg)
        if min(self.sds) <= 0 or min(self.weights) <= 0 or abs(sum(self.weights) - 1) > 0.02:
            msg = "sds must be > 0 and weights > 0 summing to 1"
            raise ValueError(msg)
        if any(abs(v) > 50 for m in self.means for v in m):
            msg = "mixture means must lie within +-50"
            raise ValueError(msg)
        if self.beta_max <= self.beta_min or self.sigma_max <= self.sigma_min:
            msg = "beta_max must exceed beta_min and sigma_max exceed sigma_min"
            raise ValueError(msg)
        if min(self.temperatures) <= 0 or any(not 0 < t < 1 for t in self.marks_at):
            msg = "temperatures must be > 0 and marks_at inside (0, 1)"
            raise ValueError(msg)
        return self


# -- Gaussian mixtures in 2-D --------------------------------------------------------------------------


class Mixture:
    """An isotropic Gaussian mixture in d dimensions: means (K, d), variances (K,), weights (K,)."""

    def __init__(self, means: np.ndarray, var: np.ndarray, weights: np.ndarray) -> None:
        self.means = np.asarray(means, float)
        self.var = np.asarray(var, float)
        self.weights = np.asarray(weights, float) / np.sum(weights)

    def _comp(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = x[..., None, :] - self.means
        dim = self.means.shape[1]
        logc = (np.log(self.weights) - 0.5 * dim * np.log(2 * np.pi * self.var)
                - 0.5 * np.sum(d**2, axis=-1) / self.var)
        return logc, d

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        logc, _ = self._comp(x)
        top = logc.max(axis=-1)
        return top + np.log(np.sum(np.exp(logc - top[..., None]), axis=-1))

    def resp(self, x: np.ndarray) -> np.ndarray:
        logc, _ = self._comp(x)
        z = np.exp(logc - logc.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)

    def score(self, x: np.ndarray) -> np.ndarray:
        logc, d = self._comp(x)
        z = np.exp(logc - logc.max(axis=-1, keepdims=True))
        r = z / z.sum(axis=-1, keepdims=True)
        return np.sum(r[..., None] * (-d / self.var[:, None]), axis=-2)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        k = rng.choice(self.weights.size, size=n, p=self.weights)
        x = self.means[k] + np.sqrt(self.var[k])[:, None] * rng.normal(size=(n, self.means.shape[1]))
        return x, k

    def vp(self, abar: float) -> Mixture:
        """The mixture pushed through x_t = sqrt(abar) x + sqrt(1 - abar) z."""
        return Mixture(np.sqrt(abar) * self.means, abar * self.var + 1.0 - abar, self.weights)


def _data(p: WarpParams) -> Mixture:
    return Mixture(np.asarray(p.means, float), np.asarray(p.sds, float) ** 2, np.asarray(p.weights))


def _plane(p: WarpParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = np.linspace(-p.extent, p.extent, p.grid)
    return g, g.copy(), np.stack(np.meshgrid(g, g), axis=-1)


def _abar(p: WarpParams, t: np.ndarray | float) -> np.ndarray:
    t = np.asarray(t, float)
    return np.exp(-p.beta_min * t - 0.5 * (p.beta_max - p.beta_min) * t**2)


def _beta(p: WarpParams, t: float) -> float:
    return p.beta_min + (p.beta_max - p.beta_min) * t


def _keep(trail: np.ndarray, n: int) -> np.ndarray:
    """``n`` evenly spaced instants of a (T, P, 2) trail, as (P, n, 2) paths."""
    idx = np.unique(np.round(np.linspace(0, trail.shape[0] - 1, n)).astype(int))
    return np.transpose(trail[idx], (1, 0, 2))


def _in_modes(x: np.ndarray, mix: Mixture, radius_sd: float = 3.0) -> tuple[float, np.ndarray]:
    """Share of points within ``radius_sd`` sds of some mean, and the share nearest each mean."""
    d = np.linalg.norm(x[:, None, :] - mix.means, axis=-1) / np.sqrt(mix.var)
    near = d.min(axis=1) < radius_sd
    share = np.bincount(d.argmin(axis=1), minlength=mix.means.shape[0]) / x.shape[0]
    return float(np.mean(near)), share


def _path_length(paths: np.ndarray) -> np.ndarray:
    return np.sum(np.linalg.norm(np.diff(paths, axis=1), axis=-1), axis=1)


def _crossings(paths: np.ndarray) -> int:
    """How many pairs of polylines in (S, T, 2) intersect (segment-by-segment test)."""
    a = paths[:, :-1]
    b = paths[:, 1:]
    s = paths.shape[0]
    count = 0
    for i in range(s):
        for j in range(i + 1, s):
            p1, p2 = a[i][:, None], b[i][:, None]
            q1, q2 = a[j][None], b[j][None]

            def orient(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
                return np.sign((v[..., 0] - u[..., 0]) * (w[..., 1] - u[..., 1])
                               - (v[..., 1] - u[..., 1]) * (w[..., 0] - u[..., 0]))

            hit = ((orient(p1, p2, q1) * orient(p1, p2, q2) < 0)
                   & (orient(q1, q2, p1) * orient(q1, q2, p2) < 0))
            count += bool(np.any(hit))
    return count


def _reverse_vp(p: WarpParams, data: Mixture, x: np.ndarray, rng: np.random.Generator | None,
                score: Callable[[np.ndarray, float], np.ndarray] | None = None,
                t_end: float = 1e-3) -> np.ndarray:
    """Integrate the VP probability-flow ODE (rng None) or the reverse SDE from t = 1 to t_end;
    returns the trail (steps + 1, n, 2).  ``score(x, t)`` defaults to the exact noised score."""
    ts = np.linspace(1.0, t_end, p.steps + 1)
    trail = np.empty((p.steps + 1, *x.shape))
    trail[0] = x
    for i in range(p.steps):
        t, dt = ts[i], ts[i] - ts[i + 1]
        b = _beta(p, t)
        s = score(x, t) if score is not None else data.vp(float(_abar(p, t))).score(x)
        if rng is None:
            x = x + dt * 0.5 * b * (x + s)
        else:
            x = x + dt * b * (0.5 * x + s) + np.sqrt(b * dt) * rng.normal(size=x.shape)
        trail[i + 1] = x
    return trail


# -- experiments ---------------------------------------------------------------------------------------


def _score_field(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Denoising score matching (Vincent 2011) with a linear model on Gaussian RBF features,
    solved by ridge least squares, against the exact score of the noised mixture."""
    data = _data(p)
    noised = Mixture(data.means, data.var + p.noise**2, data.weights)
    x, _ = data.sample(p.n_fit, rng)
    eps = rng.normal(size=x.shape)
    xt = x + p.noise * eps
    target = -eps / p.noise
    centres1 = np.linspace(-p.extent, p.extent, p.features)
    centres = np.stack(np.meshgrid(centres1, centres1), axis=-1).reshape(-1, 2)
    width = centres1[1] - centres1[0]

    def phi(z: np.ndarray) -> np.ndarray:
        d2 = np.sum((z[..., None, :] - centres) ** 2, axis=-1)
        return np.concatenate([np.exp(-0.5 * d2 / width**2), np.ones((*z.shape[:-1], 1))], axis=-1)

    f = phi(xt)
    coef = np.linalg.solve(f.T @ f + p.ridge * xt.shape[0] * np.eye(f.shape[1]), f.T @ target)
    gx, gy, plane = _plane(p)
    a1 = np.linspace(-p.extent, p.extent, p.arrows + 2)[1:-1]
    apts = np.stack(np.meshgrid(a1, a1), axis=-1).reshape(-1, 2)
    exact = noised.score(apts)
    learned = phi(apts) @ coef
    dens = np.exp(noised.logpdf(apts))
    w = dens / dens.sum()
    cos = np.sum(exact * learned, axis=1) / (np.linalg.norm(exact, axis=1) * np.linalg.norm(learned, axis=1))
    rel = np.linalg.norm(learned - exact, axis=1) / np.linalg.norm(exact, axis=1)
    # Arrows: one common scale for both fields, the longest capped at one grid step.
    spacing = a1[1] - a1[0]
    mag = np.linalg.norm(exact, axis=1)
    scale = 0.9 * spacing / np.quantile(mag, 0.9)

    def arrow(v: np.ndarray) -> np.ndarray:
        v = v * scale
        n = np.linalg.norm(v, axis=1, keepdims=True)
        v = np.where(n > spacing, v * spacing / np.maximum(n, 1e-12), v)
        return np.stack([apts, apts + v], axis=1)

    top = dens >= np.quantile(dens, 0.75)
    return {
        "grid_x": gx, "grid_y": gy,
        "density": np.exp(noised.logpdf(plane)),
        "exact_arrows": arrow(exact), "learned_arrows": arrow(learned),
        "noisy_samples": xt[:600],
        "means": data.means,
        "weighted_cosine": float(np.sum(w * cos)),
        "median_cosine_dense": float(np.median(cos[top])),
        "median_rel_error_dense": float(np.median(rel[top])),
        "noise": p.noise, "n_fit": p.n_fit, "n_features": centres.shape[0] + 1,
    }


def _pf_ode(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Probability-flow ODE vs reverse SDE (Song et al. 2021), VP schedule, exact score."""
    data = _data(p)
    x0 = rng.normal(size=(p.n_particles, 2))
    ode = _reverse_vp(p, data, x0, None)
    sde = _reverse_vp(p, data, x0, rng)
    gx, gy, plane = _plane(p)
    ode_frac, ode_share = _in_modes(ode[-1], data)
    sde_frac, sde_share = _in_modes(sde[-1], data)
    ode_paths, sde_paths = _keep(ode[:, : p.n_paths], p.path_points), _keep(sde[:, : p.n_paths], p.path_points)
    ode_len = _path_length(_keep(ode[:, : p.n_paths], p.steps + 1))
    sde_len = _path_length(_keep(sde[:, : p.n_paths], p.steps + 1))
    return {
        "grid_x": gx, "grid_y": gy, "density": np.exp(data.logpdf(plane)),
        "ode_paths": ode_paths, "sde_paths": sde_paths,
        "ode_end": ode[-1], "sde_end": sde[-1], "start": x0[: p.n_paths], "means": data.means,
        "ode_in_modes": ode_frac, "sde_in_modes": sde_frac,
        "ode_share": ode_share, "sde_share": sde_share, "weights": data.weights,
        "length_ratio": float(np.median(sde_len / ode_len)),
        "same_start": float(np.max(np.abs(ode[0] - sde[0]))),
    }


def _guidance(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Classifier-free guidance (Ho & Salimans): reverse SDE with the guided score
    (1 + w) grad log p_t(x | c) - w grad log p_t(x), all exact, against w = 0."""
    data = _data(p)
    lab = np.asarray(p.labels)
    own = lab == p.guided_class
    cond = Mixture(data.means[own], data.var[own], data.weights[own])
    x0 = rng.normal(size=(p.n_particles, 2))

    def guided(w: float) -> Callable[[np.ndarray, float], np.ndarray]:
        def s(x: np.ndarray, t: float) -> np.ndarray:
            ab = float(_abar(p, t))
            return (1 + w) * cond.vp(ab).score(x) - w * data.vp(ab).score(x)
        return s

    plain = _reverse_vp(p, data, x0, np.random.default_rng(rng.integers(2**32)), guided(0.0))[-1]
    strong = _reverse_vp(p, data, x0, np.random.default_rng(rng.integers(2**32)), guided(p.guidance))[-1]
    gx, gy, plane = _plane(p)
    other = data.means[~own].mean(axis=0) if np.any(~own) else np.zeros(2)

    def spread(x: np.ndarray) -> float:
        return float(np.sqrt(np.trace(np.cov(x.T)) / 2))

    return {
        "grid_x": gx, "grid_y": gy,
        "density": np.exp(data.logpdf(plane)), "class_density": np.exp(cond.logpdf(plane)),
        "unguided": plain, "guided": strong, "means": data.means, "class_means": cond.means,
        "unguided_spread": spread(plain), "guided_spread": spread(strong),
        "class_sd": float(np.sqrt(cond.var.mean())),
        "unguided_distance": float(np.linalg.norm(plain.mean(axis=0) - other)),
        "guided_distance": float(np.linalg.norm(strong.mean(axis=0) - other)),
        "guidance": p.guidance,
        "guided_in_class": _in_modes(strong, cond)[0], "unguided_in_class": _in_modes(plain, cond)[0],
    }


def _flow_matching(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Rectified flow / flow matching: straight conditional paths x_t = (1 - t) x0 + t x1 between
    independent noise and data, and the exact marginal velocity E[x1 - x0 | x_t] integrated."""
    data = _data(p)
    x0 = rng.normal(size=(p.n_particles, 2))
    x1, _ = data.sample(p.n_particles, rng)
    ts = np.linspace(0.0, 1.0 - 1e-3, p.steps + 1)
    trail = np.empty((p.steps + 1, p.n_particles, 2))
    x = x0.copy()
    trail[0] = x
    for i in range(p.steps):
        t, dt = ts[i], ts[i + 1] - ts[i]
        var_t = t**2 * data.var + (1 - t) ** 2
        marg = Mixture(t * data.means, var_t, data.weights)
        r = marg.resp(x)
        gain = (t * data.var / var_t)[None, :, None]
        ex1 = np.sum(r[..., None] * (data.means + gain * (x[:, None, :] - t * data.means)), axis=1)
        x = x + dt * (ex1 - x) / (1 - t)
        trail[i + 1] = x
    straight = np.stack([x0[: p.n_paths], x1[: p.n_paths]], axis=1)
    lines = np.linspace(0, 1, 40)[None, :, None]
    straight_dense = x0[: p.n_paths, None] * (1 - lines) + x1[: p.n_paths, None] * lines
    flow_paths = _keep(trail[:, : p.n_paths], p.path_points)
    frac, share = _in_modes(x, data)
    gx, gy, plane = _plane(p)
    fl = _path_length(flow_paths)
    chord = np.linalg.norm(flow_paths[:, -1] - flow_paths[:, 0], axis=1)
    return {
        "grid_x": gx, "grid_y": gy, "density": np.exp(data.logpdf(plane)),
        "pairs": straight, "flow_paths": flow_paths, "flow_end": x, "start": x0[: p.n_paths],
        "data_points": x1[: p.n_paths], "means": data.means,
        "pair_crossings": float(_crossings(straight_dense)),
        "flow_crossings": float(_crossings(np.transpose(trail[:, : p.n_paths], (1, 0, 2)))),
        "flow_in_modes": frac, "flow_share": share, "weights": data.weights,
        "median_bend": float(np.median(fl / chord)),
    }


def _coupling(p: WarpParams, layers: int, strength: float) -> tuple[
        Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], Callable[[np.ndarray], np.ndarray]]:
    """Hand-set affine coupling layers (RealNVP form): forward map with log|det J|, and inverse."""
    a = 0.6 * strength
    c = 0.9 * strength

    def s_fn(u: np.ndarray, k: int) -> np.ndarray:
        return a * np.tanh(u) * (1 if k % 2 == 0 else -1)

    def t_fn(u: np.ndarray, k: int) -> np.ndarray:
        return c * (u**2 - 1) * 0.6 if k % 2 == 0 else c * np.sin(u)

    def forward(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = z.copy()
        logdet = np.zeros(z.shape[:-1])
        for k in range(layers):
            i, j = (0, 1) if k % 2 == 0 else (1, 0)  # condition on i, transform j
            s = s_fn(x[..., i], k)
            x[..., j] = x[..., j] * np.exp(s) + t_fn(x[..., i], k)
            logdet = logdet + s
        return x, logdet

    def inverse(x: np.ndarray) -> np.ndarray:
        z = x.copy()
        for k in reversed(range(layers)):
            i, j = (0, 1) if k % 2 == 0 else (1, 0)
            z[..., j] = (z[..., j] - t_fn(z[..., i], k)) * np.exp(-s_fn(z[..., i], k))
        return z

    return forward, inverse


def _coupling_flow(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """A standard normal grid pushed through hand-set affine coupling layers; the pushed density
    by the change of variables, log p(x) = log N(f^-1(x)) - log|det J|."""
    forward, inverse = _coupling(p, p.layers, p.strength)
    ticks = np.linspace(-2.0, 2.0, 9)
    run = np.linspace(-2.6, 2.6, 80)
    base = np.concatenate([
        np.stack([np.full_like(run, v), run], axis=-1)[None] for v in ticks] + [
        np.stack([run, np.full_like(run, v)], axis=-1)[None] for v in ticks])
    warped, _ = forward(base)
    gx, gy, plane = _plane(p)
    z = inverse(plane)
    _, logdet = forward(z)
    logp = -0.5 * np.sum(z**2, axis=-1) - np.log(2 * np.pi) - logdet
    cell = (gx[1] - gx[0]) * (gy[1] - gy[0])
    # Checks: the inverse inverts, and the triangular log-det equals a numerical Jacobian's.
    probe = np.stack(np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-2, 2, 7)), -1).reshape(-1, 2)
    back = inverse(forward(probe)[0])
    h = 1e-5
    jac = np.empty((probe.shape[0], 2, 2))
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        jac[:, :, k] = (forward(probe + e)[0] - forward(probe - e)[0]) / (2 * h)
    numeric = np.log(np.abs(np.linalg.det(jac)))
    return {
        "grid_x": gx, "grid_y": gy, "density": np.exp(logp), "log_density": logp,
        "base_grid": base, "warped_grid": warped,
        "origin": forward(np.zeros((1, 2)))[0],
        "inverse_error": float(np.max(np.abs(back - probe))),
        "logdet_error": float(np.max(np.abs(numeric - forward(probe)[1]))),
        "mass": float(np.exp(logp).sum() * cell),
        "layers": p.layers,
    }


_PLANAR = (  # hand-set (u, w, b) per layer; each satisfies w.u >= -1, so each layer inverts
    (np.array([1.6, 0.4]), np.array([2.0, 0.6]), 0.0),
    (np.array([-0.5, 1.5]), np.array([0.4, 2.2]), 0.6),
    (np.array([1.0, -1.2]), np.array([-1.5, -1.0]), -0.4),
)


def _planar_layers(p: WarpParams) -> list[tuple[np.ndarray, np.ndarray, float]]:
    return [(u * p.strength, w, b) for u, w, b in _PLANAR[: p.layers]]


def _planar_forward(z: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray, float]]
                    ) -> tuple[np.ndarray, np.ndarray]:
    x = z.copy()
    logdet = np.zeros(z.shape[:-1])
    for u, w, b in layers:
        a = x @ w + b
        h = np.tanh(a)
        logdet = logdet + np.log(np.abs(1 + (1 - h**2) * (w @ u)))
        x = x + u * h[..., None]
    return x, logdet


def _planar_inverse(x: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
    """Undo each layer: along w the map is s -> s + (w.u) tanh(s + b), monotone when w.u >= -1,
    so s is found by bisection; the rest of the point moves along u."""
    z = x.copy()
    for u, w, b in reversed(layers):
        target = z @ w
        wu = float(w @ u)
        lo, hi = target - abs(wu) - 1.0, target + abs(wu) + 1.0
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            high = mid + wu * np.tanh(mid + b) > target
            hi, lo = np.where(high, mid, hi), np.where(high, lo, mid)
        s = 0.5 * (lo + hi)
        z = z - u * np.tanh(s + b)[..., None]
    return z


def _planar_flow(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """A standard normal pushed through hand-set planar flows f(z) = z + u tanh(w.z + b)
    (Rezende & Mohamed 2015): the images of its circles of constant density and of its spokes,
    and the pushed density by the change of variables, log p(x) = log N(z) - sum log|1 + h' w.u|."""
    layers = _planar_layers(p)
    theta = np.linspace(0, 2 * np.pi, 241)
    radii = np.array([0.5, 1.0, 1.5, 2.0, 2.5])
    circles = np.stack([np.stack([r * np.cos(theta), r * np.sin(theta)], -1) for r in radii])
    rr = np.linspace(0.0, 2.5, 60)
    spokes = np.stack([np.stack([rr * np.cos(a), rr * np.sin(a)], -1) for a in np.arange(12) * np.pi / 6])
    gx, gy, plane = _plane(p)
    z = _planar_inverse(plane, layers)
    _, logdet = _planar_forward(z, layers)
    logp = -0.5 * np.sum(z**2, axis=-1) - np.log(2 * np.pi) - logdet
    cell = (gx[1] - gx[0]) * (gy[1] - gy[0])
    probe = np.stack(np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-2, 2, 7)), -1).reshape(-1, 2)
    h = 1e-5
    jac = np.empty((probe.shape[0], 2, 2))
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        jac[:, :, k] = (_planar_forward(probe + e, layers)[0] - _planar_forward(probe - e, layers)[0]) / (2 * h)
    return {
        "grid_x": gx, "grid_y": gy, "density": np.exp(logp),
        "circles": _planar_forward(circles, layers)[0], "spokes": _planar_forward(spokes, layers)[0],
        "base_circles": circles,
        "inverse_error": float(np.max(np.abs(_planar_inverse(_planar_forward(probe, layers)[0], layers) - probe))),
        "logdet_error": float(np.max(np.abs(np.log(np.abs(np.linalg.det(jac))) - _planar_forward(probe, layers)[1]))),
        "min_wu": float(min(w @ u for u, w, _ in layers)), "mass": float(np.exp(logp).sum() * cell),
        "layers": len(layers),
    }


def _box_muller(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Box & Muller (1958): (u1, u2) in the unit square to r = sqrt(-2 ln u1), theta = 2 pi u2;
    grid lines of the square become circles and rays, a low-discrepancy lattice a Gaussian cloud."""
    def bm(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
        r = np.sqrt(-2 * np.log(u1))
        return np.stack([r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)], axis=-1)

    levels = np.array([0.9, 0.6, 0.3, 0.1, 0.02])
    run = np.linspace(0.0, 1.0, 181)
    circles = np.stack([bm(np.full_like(run, u), run) for u in levels])
    angles = np.arange(12) / 12
    rr = np.linspace(0.999, 0.01, 60)
    rays = np.stack([bm(rr, np.full_like(rr, a)) for a in angles])
    n = p.n_particles
    golden = (np.sqrt(5) - 1) / 2
    u1 = (np.arange(n) + 0.5) / n
    u2 = np.mod(np.arange(n) * golden, 1.0)
    pts = bm(u1, u2)
    gx, gy, plane = _plane(p)
    gauss = np.exp(-0.5 * np.sum(plane**2, axis=-1)) / (2 * np.pi)
    radius = np.sqrt(-2 * np.log(levels))
    r_pts = np.linalg.norm(pts, axis=1)
    return {
        "grid_x": gx, "grid_y": gy, "density": gauss,
        "circles": circles, "rays": rays, "points": pts,
        "u1_levels": levels, "radii": radius,
        "inside_r1": float(np.mean(r_pts < 1.0)),
        "inside_r1_exact": float(1 - np.exp(-0.5)),
        "mean_norm": float(np.linalg.norm(pts.mean(axis=0))),
        "var_x": float(pts[:, 0].var()), "var_y": float(pts[:, 1].var()),
        "corr_xy": float(np.corrcoef(pts.T)[0, 1]),
        "circle_labels_xy": circles[:, 45],
    }


def _consistency(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Probability-flow ODE trajectories of a 1-D mixture in the (t, x) plane: every point on a
    trajectory is carried by the ODE to the same clean endpoint (the consistency function)."""
    means = np.array([m[0] for m in p.means])
    data = Mixture(means[:, None], np.asarray(p.sds, float) ** 2, np.asarray(p.weights))
    q = (np.arange(p.n_paths) + 0.5) / p.n_paths
    zs = np.linspace(-6.0, 6.0, 12001)
    phi = np.cumsum(np.exp(-0.5 * zs**2))
    x1 = np.interp(q, phi / phi[-1], zs)[:, None]  # standard normal quantiles

    def solve(x: np.ndarray, t0: float) -> tuple[np.ndarray, np.ndarray]:
        ts = np.linspace(t0, 1e-3, max(20, int(p.steps * t0)) + 1)
        trail = [x]
        for i in range(ts.size - 1):
            t, dt = ts[i], ts[i] - ts[i + 1]
            s = data.vp(float(_abar(p, t))).score(x)
            x = x + dt * 0.5 * _beta(p, t) * (x + s)
            trail.append(x)
        return np.stack(trail), ts

    trail, ts = solve(x1, 1.0)
    idx = np.unique(np.round(np.linspace(0, ts.size - 1, p.path_points)).astype(int))
    paths = np.stack([np.broadcast_to(ts[idx, None], (idx.size, p.n_paths)).T, trail[idx, :, 0].T], axis=-1)
    hero = p.n_paths // 2 + (1 if p.n_paths > 3 else 0)
    marks_t = np.asarray(p.marks_at)
    marks_x = np.array([np.interp(-t, -ts, trail[:, hero, 0]) for t in marks_t])
    ends = np.array([solve(np.array([[mx]]), float(mt))[0][-1, 0, 0] for mt, mx in zip(marks_t, marks_x, strict=True)])
    hero_end = trail[-1, hero, 0]
    maps = np.stack([np.stack([marks_t, marks_x], -1), np.stack([np.full_like(marks_t, 1e-3), ends], -1)], axis=1)
    # The density p_t(x) on the (t, x) plane.
    gt = np.linspace(0.0, 1.0, p.grid)
    gx = np.linspace(-p.extent, p.extent, p.grid)
    dens = np.stack([np.exp(data.vp(float(_abar(p, t))).logpdf(gx[:, None])) for t in gt], axis=1)
    # The data quantiles the ODE should transport the noise quantiles to (1-D monotone map).
    fine = np.linspace(-p.extent - 3, p.extent + 3, 20001)
    cdf = np.cumsum(np.exp(data.logpdf(fine[:, None])))
    cdf /= cdf[-1]
    target = np.interp(q, cdf, fine)
    return {
        "grid_x": gt, "grid_y": gx, "density": dens, "paths": paths,
        "hero": paths[hero][None], "marks": np.stack([marks_t, marks_x], -1), "maps": maps,
        "hero_end": np.array([[1e-3, hero_end]]),
        "map_ends": ends, "hero_end_x": float(hero_end),
        "map_spread": float(np.max(np.abs(ends - hero_end))),
        "ends": trail[-1, :, 0], "data_quantiles": target,
        "quantile_error": float(np.max(np.abs(trail[-1, :, 0] - target))),
        "order_kept": float(np.all(np.diff(trail[-1, :, 0]) > 0)),
    }


def _dirac_gan(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Mescheder et al. (2018): generator theta (a point mass), linear discriminator psi x, data
    at 0, L = f(psi theta) + f(0) with f(t) = -log(1 + exp(-t)); simultaneous and alternating
    gradient steps, and simultaneous steps with the R1 penalty (gamma/2) psi^2."""
    def fp(t: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(t))  # f'(t)

    start = np.array([1.0, 1.0])
    n = p.steps

    def run(kind: str) -> np.ndarray:
        th, ps = start
        out = np.empty((n + 1, 2))
        out[0] = th, ps
        for i in range(n):
            if kind == "alt":
                th = th - p.lr * fp(ps * th) * ps
                ps = ps + p.lr * fp(ps * th) * th
            else:
                g_th = fp(ps * th) * ps
                g_ps = fp(ps * th) * th - (p.penalty * ps if kind == "r1" else 0.0)
                th, ps = th - p.lr * g_th, ps + p.lr * g_ps
            out[i + 1] = th, ps
        return out

    sim, alt, r1 = run("sim"), run("alt"), run("r1")
    gx, gy, plane = _plane(p)
    loss = -np.log1p(np.exp(-plane[..., 0] * plane[..., 1])) - np.log(2.0)
    radius = lambda a: np.linalg.norm(a, axis=1)  # noqa: E731
    return {
        "grid_x": gx, "grid_y": gy, "density": loss,
        "simultaneous": sim, "alternating": alt, "r1": r1,
        "equilibrium": np.zeros((1, 2)), "start_point": start[None],
        "start_radius": float(np.linalg.norm(start)),
        "sim_final_radius": float(radius(sim)[-1]), "alt_final_radius": float(radius(alt)[-1]),
        "alt_max_radius": float(radius(alt).max()), "alt_min_radius": float(radius(alt).min()),
        "r1_final_radius": float(radius(r1)[-1]), "sim_radius_increasing": float(np.all(np.diff(radius(sim)) > 0)),
        "steps": n, "lr": p.lr, "penalty": p.penalty,
    }


def _annealed_langevin(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Annealed Langevin dynamics (Song & Ermon 2019): Langevin steps at a falling ladder of
    noise levels with the exact score of the data convolved with N(0, sigma^2); against plain
    Langevin at the smallest level for the same number of steps, from the same uniform start."""
    data = _data(p)
    sig = np.geomspace(p.sigma_max, p.sigma_min, p.noise_levels)
    per = max(1, p.steps // p.noise_levels)
    x0 = rng.uniform(-p.extent, p.extent, size=(p.n_particles, 2))

    def chain(levels: np.ndarray) -> np.ndarray:
        x = x0.copy()
        trail = [x]
        for s in levels:
            mix = Mixture(data.means, data.var + s**2, data.weights)
            step = p.langevin_eps * s**2 / sig[-1] ** 2
            for _ in range(per):
                x = x + 0.5 * step * mix.score(x) + np.sqrt(step) * rng.normal(size=x.shape)
                trail.append(x)
        return np.stack(trail)

    annealed = chain(sig)
    plain = chain(np.full(p.noise_levels, sig[-1]))
    gx, gy, plane = _plane(p)
    a_frac, a_share = _in_modes(annealed[-1], data)
    p_frac, p_share = _in_modes(plain[-1], data)
    return {
        "grid_x": gx, "grid_y": gy, "density": np.exp(data.logpdf(plane)),
        "annealed_paths": _keep(annealed[:, : p.n_paths], p.path_points),
        "annealed_end": annealed[-1], "plain_end": plain[-1], "start": x0, "means": data.means,
        "weights": data.weights, "annealed_share": a_share, "plain_share": p_share,
        "annealed_error": float(np.abs(a_share - data.weights).sum() / 2),
        "plain_error": float(np.abs(p_share - data.weights).sum() / 2),
        "annealed_in_modes": a_frac, "plain_in_modes": p_frac,
        "sigmas": sig, "steps_per_level": per,
    }


def _memorisation(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Sampling with the exact score of the training set's own (empirical) distribution: the
    probability-flow ODE carries noise onto the training points; the exact score of the true
    mixture, from the same noise, lands elsewhere."""
    data = _data(p)
    train, _ = data.sample(p.n_train, rng)
    emp = Mixture(train, np.full(p.n_train, 1e-6), np.full(p.n_train, 1 / p.n_train))
    x0 = rng.normal(size=(p.n_particles, 2))
    copy = _reverse_vp(p, emp, x0, None)
    fresh = _reverse_vp(p, data, x0, None)[-1]
    near_copy = np.linalg.norm(copy[-1][:, None] - train, axis=-1).min(axis=1)
    near_fresh = np.linalg.norm(fresh[:, None] - train, axis=-1).min(axis=1)
    hit = np.unique(np.linalg.norm(copy[-1][:, None] - train, axis=-1).argmin(axis=1))
    gx, gy, plane = _plane(p)
    return {
        "grid_x": gx, "grid_y": gy, "density": np.exp(data.logpdf(plane)),
        "train": train, "copies": copy[-1], "fresh": fresh, "means": data.means,
        "copy_paths": _keep(copy[:, : p.n_paths], p.path_points),
        "copy_distance_max": float(near_copy.max()), "copy_distance_median": float(np.median(near_copy)),
        "fresh_distance_median": float(np.median(near_fresh)),
        "train_points_hit": float(hit.size), "n_train": p.n_train,
    }


def _gumbel_softmax(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """Gumbel-softmax / Concrete samples softmax((logits + g) / tau) on the 2-simplex of three
    categories, one panel per temperature; hard class = the Gumbel-max sample, shared by all."""
    logits = np.asarray(p.logits, float)
    g = -np.log(-np.log(rng.uniform(1e-12, 1.0, size=(p.n_particles, 3))))
    corners = np.array([[0.0, 1.0], [-np.sqrt(3) / 2, -0.5], [np.sqrt(3) / 2, -0.5]])
    clouds, vertex_share = [], []
    for tau in p.temperatures:
        z = (logits + g) / tau
        y = np.exp(z - z.max(axis=1, keepdims=True))
        y /= y.sum(axis=1, keepdims=True)
        clouds.append(y @ corners)
        vertex_share.append(float(np.mean(y.max(axis=1) > 0.95)))
    hard = np.argmax(logits + g, axis=1)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    freq = np.bincount(hard, minlength=3) / hard.size
    return {
        "clouds": np.stack(clouds), "hard": hard, "temperatures": np.asarray(p.temperatures),
        "near_vertex": np.asarray(vertex_share), "probs": probs, "argmax_freq": freq,
        "argmax_error": float(np.abs(freq - probs).max()),
    }


def _cell(code: np.ndarray, k: int, lim: float) -> np.ndarray:
    """Code k's Voronoi cell inside the square [-lim, lim]^2, clipped half-plane by half-plane."""
    poly = np.array([[-lim, -lim], [lim, -lim], [lim, lim], [-lim, lim]])
    for j in range(code.shape[0]):
        if j == k:
            continue
        normal = code[j] - code[k]
        offset = 0.5 * (code[j] @ code[j] - code[k] @ code[k])
        inside = poly @ normal <= offset
        out: list[np.ndarray] = []
        for i in range(poly.shape[0]):
            cur, nxt = poly[i], poly[(i + 1) % poly.shape[0]]
            ci, ni = inside[i], inside[(i + 1) % poly.shape[0]]
            if ci:
                out.append(cur)
            if ci != ni:
                t = (offset - cur @ normal) / ((nxt - cur) @ normal)
                out.append(cur + t * (nxt - cur))
        if not out:
            return np.repeat(code[k][None], 2, axis=0)
        poly = np.array(out)
    return np.concatenate([poly, poly[:1]])


def _vq_codebook(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """The codebook of a vector-quantisation layer (identity encoder) learned by the exponential
    moving-average updates of van den Oord et al. (2017, appendix): each code moves to the EMA
    of the batch points assigned to it.  Codes start as random draws near the origin."""
    data = _data(p)
    codes = 0.3 * rng.normal(size=(p.codes, 2))
    count = np.ones(p.codes)
    total = codes.copy()
    trail = [codes.copy()]
    test, _ = data.sample(1000, rng)

    def mse(c: np.ndarray) -> float:
        return float(np.mean(np.min(np.sum((test[:, None] - c) ** 2, axis=-1), axis=1)))

    start = mse(codes)
    for _ in range(p.steps):
        x, _ = data.sample(p.n_particles, rng)
        idx = np.argmin(np.sum((x[:, None] - codes) ** 2, axis=-1), axis=1)
        n_k = np.bincount(idx, minlength=p.codes)
        s_k = np.zeros((p.codes, 2))
        np.add.at(s_k, idx, x)
        count = p.decay * count + (1 - p.decay) * n_k
        total = p.decay * total + (1 - p.decay) * s_k
        codes = total / np.maximum(count, 1e-9)[:, None]
        trail.append(codes.copy())
    trail_arr = np.stack(trail)
    use = np.bincount(np.argmin(np.sum((test[:, None] - codes) ** 2, axis=-1), axis=1), minlength=p.codes)
    cells = [_cell(codes, k, p.extent) for k in range(p.codes)]
    longest = max(c.shape[0] for c in cells)
    cells_arr = np.stack([np.concatenate([c, np.repeat(c[-1:], longest - c.shape[0], 0)]) for c in cells])
    gx, gy, plane = _plane(p)
    comp = np.linalg.norm(codes[:, None] - data.means, axis=-1)
    return {
        "grid_x": gx, "grid_y": gy, "density": np.exp(data.logpdf(plane)),
        "codes": codes, "code_paths": _keep(trail_arr, p.path_points), "cells": cells_arr,
        "samples": test[:500], "means": data.means,
        "mse_start": start, "mse_end": mse(codes), "dead_codes": float(np.sum(use == 0)),
        "modes_covered": float(np.sum(comp.min(axis=0) < 2 * np.sqrt(data.var))),
        "n_codes": p.codes,
    }


_EXPERIMENTS: dict[str, Callable[[WarpParams, np.random.Generator], Arrays]] = {
    "score-field": _score_field, "pf-ode": _pf_ode, "guidance": _guidance,
    "flow-matching": _flow_matching, "coupling-flow": _coupling_flow, "box-muller": _box_muller,
    "consistency": _consistency, "dirac-gan": _dirac_gan, "annealed-langevin": _annealed_langevin,
    "memorisation": _memorisation, "gumbel-softmax": _gumbel_softmax, "vq-codebook": _vq_codebook,
    "planar-flow": _planar_flow,
}


@recipe("warp", WarpParams)
def warp(p: WarpParams, rng: np.random.Generator) -> Arrays:
    """A plane pushed through the map the ``experiment`` names (see the module docstring)."""
    out = _EXPERIMENTS[p.experiment](p, rng)
    if "density" in out and p.experiment not in ("dirac-gan",):
        # The energy -log p: its basins are the density's peaks (stipple darkens basins).
        out["energy"] = -np.log(np.maximum(out["density"], 1e-12))
    return out
