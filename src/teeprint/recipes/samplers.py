"""E12 samplers: sampling chains and particle clouds on closed-form 2-D densities.

One recipe, ``sampler``, runs any list of samplers (``runs``) on one named target density and
returns, per run ``key``, the path of its first chain, its samples and its statistics, beside
the target's density on a grid and its exact moments by quadrature on that grid.  The plates of
Metropolis-Hastings, Gibbs, HMC, Langevin (ULA / MALA), SGLD, SVGD and mean-field variational
inference are TOML files naming a density and runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

# -- target densities ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An unnormalised 2-D log density, its gradient, and the box it lives in.

    ``logp`` and ``grad`` take points of shape (..., 2).  ``batch_grad`` (data-defined targets
    only) is an unbiased estimate of the gradient from a minibatch of data indices.
    """

    logp: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    extent: tuple[float, float, float, float]
    cov: np.ndarray | None = None  # exact covariance of a Gaussian target (Gibbs, mean field)
    batch_grad: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    n_data: int = 0


def _gauss(rho: float, sx: float, sy: float) -> Target:
    cov = np.array([[sx * sx, rho * sx * sy], [rho * sx * sy, sy * sy]])
    prec = np.linalg.inv(cov)

    def logp(z: np.ndarray) -> np.ndarray:
        return -0.5 * np.einsum("...i,ij,...j->...", z, prec, z)

    def grad(z: np.ndarray) -> np.ndarray:
        return -z @ prec

    half = 3.4 * max(sx, sy)
    return Target(logp, grad, (-half, half, -half, half), cov=cov)


def _banana(b: float) -> Target:
    """x ~ N(0, 1.5^2), y | x ~ N(b x^2 - 2, 0.6^2): a curved ridge (Haario et al.'s banana)."""
    s1, s2 = 1.5, 0.6

    def logp(z: np.ndarray) -> np.ndarray:
        x, y = z[..., 0], z[..., 1]
        return -0.5 * (x / s1) ** 2 - 0.5 * ((y - b * x * x + 2.0) / s2) ** 2

    def grad(z: np.ndarray) -> np.ndarray:
        x, y = z[..., 0], z[..., 1]
        r = (y - b * x * x + 2.0) / s2**2
        return np.stack([-x / s1**2 + r * 2 * b * x, -r], axis=-1)

    return Target(logp, grad, (-4.5, 4.5, -3.5, 5.5))


def _ring(radius: float, width: float) -> Target:
    def logp(z: np.ndarray) -> np.ndarray:
        r = np.hypot(z[..., 0], z[..., 1])
        return -0.5 * ((r - radius) / width) ** 2

    def grad(z: np.ndarray) -> np.ndarray:
        r = np.maximum(np.hypot(z[..., 0], z[..., 1]), 1e-9)
        return (-(r - radius) / width**2 / r)[..., None] * z

    h = radius + 4 * width + 0.6
    return Target(logp, grad, (-h, h, -h, h))


def _bimodal(sep: float, sd: float) -> Target:
    mus = np.array([[-sep / 2, 0.0], [sep / 2, 0.0]])

    def parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = z[..., None, :] - mus  # (..., 2 modes, 2)
        lp = -0.5 * np.sum(d * d, -1) / sd**2
        return lp, d

    def logp(z: np.ndarray) -> np.ndarray:
        lp, _ = parts(z)
        return np.logaddexp(lp[..., 0], lp[..., 1])

    def grad(z: np.ndarray) -> np.ndarray:
        lp, d = parts(z)
        w = np.exp(lp - np.max(lp, -1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        return -np.sum(w[..., None] * d, -2) / sd**2

    h = sep / 2 + 4 * sd
    return Target(logp, grad, (-h, h, -h * 0.8, h * 0.8))


def _mixture_posterior(rng: np.random.Generator, n: int) -> Target:
    """Welling & Teh (2011, sec. 5.1): theta1 ~ N(0, 10), theta2 ~ N(0, 1);
    x_i ~ 1/2 N(theta1, 2) + 1/2 N(theta1 + theta2, 2), data drawn at theta = (0, 1)."""
    comp = rng.random(n) < 0.5
    data = np.where(comp, 0.0, 1.0) + np.sqrt(2.0) * rng.normal(size=n)

    def terms(z: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t1, t2 = z[..., 0, None], z[..., 1, None]
        a = -((x - t1) ** 2) / 4.0
        c = -((x - t1 - t2) ** 2) / 4.0
        return a, c, np.logaddexp(a, c)

    def logp(z: np.ndarray) -> np.ndarray:
        _, _, ll = terms(z, data)
        return ll.sum(-1) - z[..., 0] ** 2 / 20.0 - z[..., 1] ** 2 / 2.0

    def lik_grad(z: np.ndarray, x: np.ndarray) -> np.ndarray:
        a, c, ll = terms(z, x)
        wa, wc = np.exp(a - ll), np.exp(c - ll)
        t1, t2 = z[..., 0, None], z[..., 1, None]
        da = (x - t1) / 2.0
        dc = (x - t1 - t2) / 2.0
        return np.stack([(wa * da + wc * dc).sum(-1), (wc * dc).sum(-1)], axis=-1)

    def prior_grad(z: np.ndarray) -> np.ndarray:
        return np.stack([-z[..., 0] / 10.0, -z[..., 1]], axis=-1)

    def grad(z: np.ndarray) -> np.ndarray:
        return lik_grad(z, data) + prior_grad(z)

    def batch_grad(z: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return prior_grad(z) + (n / idx.size) * lik_grad(z, data[idx])

    return Target(logp, grad, (-1.5, 2.5, -3.0, 3.0), batch_grad=batch_grad, n_data=n)


DensityName = Literal["gauss", "banana", "ring", "bimodal", "mixture-posterior"]


# -- samplers -----------------------------------------------------------------------------------


class Run(Params):
    """One sampler: its algorithm and settings; arrays come out as ``<key>_...``."""

    key: str = Field(pattern=r"^[a-z][a-z0-9]*$", max_length=12)
    method: Literal["rwmh", "gibbs", "hmc", "mala", "ula", "sgld", "svgd", "cavi", "tempering", "slice"]
    step: float = Field(0.5, gt=0.0, le=10.0, description="proposal sd, leapfrog or Langevin step")
    steps: int = Field(2000, ge=1, le=20000, description="iterations per chain")
    chains: int = Field(1, ge=1, le=2000, description="independent chains run side by side")
    burn: int = Field(0, ge=0, le=10000)
    leapfrog: int = Field(20, ge=1, le=200, description="HMC: leapfrog steps per proposal")
    batch: int = Field(10, ge=1, le=1000, description="SGLD: minibatch size")
    decay: float = Field(0.55, ge=0.0, le=1.0, description="SGLD: step a (b + t)^-decay")
    decay_b: float = Field(10.0, ge=1.0, le=1e4)
    start: tuple[float, float] = (0.0, 0.0)
    start_sd: float = Field(0.0, ge=0.0, le=10.0, description="chains start at start + sd * noise")
    trace: int = Field(0, ge=0, le=50, description="HMC: leapfrog paths kept for the first n proposals")
    keep: int = Field(600, ge=1, le=5000, description="samples kept (thinned) for drawing")
    show: int = Field(0, ge=0, le=20000, description="steps of chain 1 in <key>_shown (0: all)")
    temperatures: tuple[float, ...] = Field((1.0, 2.0, 4.0, 8.0, 16.0), min_length=2, max_length=12,
                                            description="tempering: the ladder, 1 first")


class SamplerParams(Params):
    """A target density and the samplers run on it."""

    density: DensityName = "banana"
    rho: float = Field(0.9, ge=-0.995, le=0.995, description="gauss: correlation")
    sd_x: float = Field(1.0, gt=0.05, le=10.0)
    sd_y: float = Field(1.0, gt=0.05, le=10.0)
    curvature: float = Field(0.35, ge=0.0, le=2.0, description="banana: bend")
    radius: float = Field(2.0, gt=0.2, le=10.0, description="ring: radius")
    width: float = Field(0.25, gt=0.02, le=5.0, description="ring: sd across the ring")
    separation: float = Field(4.0, gt=0.0, le=20.0, description="bimodal: distance between modes")
    mode_sd: float = Field(0.6, gt=0.05, le=5.0)
    n_data: int = Field(100, ge=5, le=2000, description="mixture-posterior: data points")
    runs: tuple[Run, ...] = Field(min_length=1, max_length=4)
    grid: int = Field(161, ge=20, le=401)
    extent: tuple[float, float, float, float] | None = None

    @model_validator(mode="after")
    def _check(self) -> SamplerParams:
        keys = [r.key for r in self.runs]
        if len(set(keys)) != len(keys):
            msg = f"run keys must be unique, got {keys}"
            raise ValueError(msg)
        for r in self.runs:
            if r.method in ("gibbs", "cavi") and self.density != "gauss":
                msg = f"{r.method} needs the exact conditionals of density 'gauss'"
                raise ValueError(msg)
            if r.method == "sgld" and self.density != "mixture-posterior":
                msg = "sgld needs a data-defined density ('mixture-posterior')"
                raise ValueError(msg)
            if r.burn >= r.steps and r.method not in ("svgd", "cavi"):
                msg = f"run {r.key}: burn must be below steps"
                raise ValueError(msg)
        if self.extent is not None:
            x0, x1, y0, y1 = self.extent
            if not (x1 > x0 and y1 > y0):
                msg = "extent must be (x0, x1, y0, y1) with x1 > x0 and y1 > y0"
                raise ValueError(msg)
        return self


def _target(p: SamplerParams, rng: np.random.Generator) -> Target:
    if p.density == "gauss":
        return _gauss(p.rho, p.sd_x, p.sd_y)
    if p.density == "banana":
        return _banana(p.curvature)
    if p.density == "ring":
        return _ring(p.radius, p.width)
    if p.density == "bimodal":
        return _bimodal(p.separation, p.mode_sd)
    return _mixture_posterior(rng, p.n_data)


@dataclass
class Chains:
    """What a sampler run produced: chain 0's path, all post-burn samples, diagnostics."""

    path: np.ndarray
    samples: np.ndarray
    acceptance: float = 1.0
    rejected: np.ndarray | None = None
    rejected_at: np.ndarray | None = None
    traces: np.ndarray | None = None
    extra: dict[str, np.ndarray | float] | None = None


def _starts(r: Run, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(r.start, float) + r.start_sd * rng.normal(size=(r.chains, 2))


def _metropolis(t: Target, r: Run, rng: np.random.Generator) -> Chains:
    """Random-walk Metropolis: Gaussian proposal of sd ``step``, accept with min(1, p'/p)."""
    x = _starts(r, rng)
    lp = t.logp(x)
    path, rejected, when, kept, acc = [x[0].copy()], [], [], [], 0
    for i in range(r.steps):
        prop = x + r.step * rng.normal(size=x.shape)
        lq = t.logp(prop)
        ok = np.log(rng.random(r.chains)) < lq - lp
        if not ok[0]:
            rejected.append(prop[0].copy())
            when.append(i)
        x = np.where(ok[:, None], prop, x)
        lp = np.where(ok, lq, lp)
        path.append(x[0].copy())
        if i >= r.burn:
            kept.append(x.copy())
            acc += int(ok.sum())
    samples = np.stack(kept, 1).reshape(-1, 2)
    return Chains(np.array(path), samples, acc / samples.shape[0],
                  rejected=np.array(rejected).reshape(-1, 2), rejected_at=np.array(when, int))


def _gibbs(t: Target, r: Run, rng: np.random.Generator) -> Chains:
    """Systematic-scan Gibbs on a Gaussian: x | y, then y | x, each an exact 1-D normal.

    The path records both half-steps, so it moves parallel to one axis at a time."""
    assert t.cov is not None
    c = t.cov
    sx, sy, cxy = np.sqrt(c[0, 0]), np.sqrt(c[1, 1]), c[0, 1]
    x = _starts(r, rng)
    path, kept = [x[0].copy()], []
    for i in range(r.steps):
        x[:, 0] = cxy / c[1, 1] * x[:, 1] + sx * np.sqrt(1 - cxy**2 / (c[0, 0] * c[1, 1])) * rng.normal(
            size=r.chains)
        path.append(x[0].copy())
        x[:, 1] = cxy / c[0, 0] * x[:, 0] + sy * np.sqrt(1 - cxy**2 / (c[0, 0] * c[1, 1])) * rng.normal(
            size=r.chains)
        path.append(x[0].copy())
        if i >= r.burn:
            kept.append(x.copy())
    return Chains(np.array(path), np.stack(kept, 1).reshape(-1, 2))


def _hmc(t: Target, r: Run, rng: np.random.Generator) -> Chains:
    """Hamiltonian Monte Carlo: unit mass, ``leapfrog`` steps of size ``step``, Metropolis test
    on the change of energy."""
    x = _starts(r, rng)
    path, kept, traces, acc, errs = [x[0].copy()], [], [], 0, []
    for i in range(r.steps):
        m = rng.normal(size=x.shape)
        q, v = x.copy(), m.copy()
        trail = [q[0].copy()]
        v = v + 0.5 * r.step * t.grad(q)
        for j in range(r.leapfrog):
            q = q + r.step * v
            if j < r.leapfrog - 1:
                v = v + r.step * t.grad(q)
            trail.append(q[0].copy())
        v = v + 0.5 * r.step * t.grad(q)
        dh = (t.logp(q) - 0.5 * np.sum(v * v, 1)) - (t.logp(x) - 0.5 * np.sum(m * m, 1))
        ok = np.log(rng.random(r.chains)) < dh
        if i < r.trace:
            traces.append(np.array(trail))
        x = np.where(ok[:, None], q, x)
        path.append(x[0].copy())
        if i >= r.burn:
            kept.append(x.copy())
            acc += int(ok.sum())
            errs.append(np.abs(dh))
    samples = np.stack(kept, 1).reshape(-1, 2)
    tr = np.array(traces) if traces else np.zeros((0, r.leapfrog + 1, 2))
    return Chains(np.array(path), samples, acc / samples.shape[0], traces=tr,
                  extra={"energy_error": float(np.median(np.concatenate(errs)))})


def _langevin(t: Target, r: Run, rng: np.random.Generator, adjust: bool) -> Chains:
    """Euler-Maruyama Langevin: x' = x + h/2 grad log p + sqrt(h) xi; with ``adjust`` (MALA)
    the move is accepted by the Metropolis-Hastings ratio of the Gaussian proposals."""
    h = r.step
    x = _starts(r, rng)
    lp, g = t.logp(x), t.grad(x)
    path, kept, acc = [x[0].copy()], [], 0
    for i in range(r.steps):
        prop = x + 0.5 * h * g + np.sqrt(h) * rng.normal(size=x.shape)
        if adjust:
            lq, gq = t.logp(prop), t.grad(prop)
            fwd = -np.sum((prop - x - 0.5 * h * g) ** 2, 1) / (2 * h)
            back = -np.sum((x - prop - 0.5 * h * gq) ** 2, 1) / (2 * h)
            ok = np.log(rng.random(r.chains)) < lq - lp + back - fwd
            x = np.where(ok[:, None], prop, x)
            lp, g = np.where(ok, lq, lp), np.where(ok[:, None], gq, g)
        else:
            ok = np.ones(r.chains, bool)
            x = prop
            g = t.grad(x)
        path.append(x[0].copy())
        if i >= r.burn:
            kept.append(x.copy())
            acc += int(ok.sum())
    samples = np.stack(kept, 1).reshape(-1, 2)
    return Chains(np.array(path), samples, acc / samples.shape[0])


def _sgld(t: Target, r: Run, rng: np.random.Generator) -> Chains:
    """Stochastic-gradient Langevin dynamics (Welling & Teh 2011): minibatch gradient scaled by
    N / n, step e_t = a (b + t)^-gamma, Gaussian noise of variance e_t, no accept/reject."""
    assert t.batch_grad is not None
    x = _starts(r, rng)
    a = r.step * r.decay_b**r.decay
    path, kept, eps = [x[0].copy()], [], []
    for i in range(r.steps):
        e = a * (r.decay_b + i) ** (-r.decay)
        idx = rng.integers(0, t.n_data, size=r.batch)
        x = x + 0.5 * e * t.batch_grad(x, idx) + np.sqrt(e) * rng.normal(size=x.shape)
        path.append(x[0].copy())
        eps.append(e)
        if i >= r.burn:
            kept.append(x.copy())
    return Chains(np.array(path), np.stack(kept, 1).reshape(-1, 2),
                  extra={"step_first": float(eps[0]), "step_last": float(eps[-1])})


def _svgd(t: Target, r: Run, rng: np.random.Generator) -> Chains:
    """Stein variational gradient descent (Liu & Wang 2016): ``chains`` particles, RBF kernel
    with the median-heuristic bandwidth, plain step ``step`` for ``steps`` iterations."""
    x = _starts(r, rng)
    n = x.shape[0]
    hist = [x.copy()]
    for _ in range(r.steps):
        d = x[:, None, :] - x[None, :, :]
        sq = np.sum(d * d, -1)
        h = np.median(sq) / np.log(n + 1) + 1e-9
        k = np.exp(-sq / h)
        phi = (k @ t.grad(x) + np.sum(k[..., None] * d, 1) * 2.0 / h) / n
        x = x + r.step * phi
        hist.append(x.copy())
    paths = np.stack(hist, 1)  # (n, steps+1, 2)
    return Chains(paths[0], x.copy(), traces=paths)


def _cavi(t: Target, r: Run) -> Chains:
    """Coordinate-ascent mean-field VI for a Gaussian target (Bishop 2006, sec. 10.1.2): q(x)q(y)
    with q's precisions the target's diagonal precisions; the means update in turn."""
    assert t.cov is not None
    lam = np.linalg.inv(t.cov)
    m = np.asarray(r.start, float).copy()
    path = [m.copy()]
    for _ in range(r.steps):
        m[0] = -lam[0, 1] / lam[0, 0] * m[1]
        path.append(m.copy())
        m[1] = -lam[1, 0] / lam[1, 1] * m[0]
        path.append(m.copy())
    var = 1.0 / np.diag(lam)
    return Chains(np.array(path), m[None, :].copy(),
                  extra={"q_var_x": float(var[0]), "q_var_y": float(var[1])})


def _tempering(t: Target, r: Run, rng: np.random.Generator) -> Chains:
    """Parallel tempering (replica exchange): one random-walk Metropolis chain per temperature on
    p^(1/T), proposal sd ``step`` * sqrt(T); after every step one random adjacent pair proposes
    to swap states.  Only the T = 1 chain is the sample; ``chains`` independent ladders."""
    temps = np.array(r.temperatures)
    k = temps.size
    x = np.asarray(r.start, float) + r.start_sd * rng.normal(size=(r.chains, k, 2))
    lp = t.logp(x)
    path, kept, swaps, tried = [x[0, 0].copy()], [], 0, 0
    for i in range(r.steps):
        prop = x + r.step * np.sqrt(temps)[None, :, None] * rng.normal(size=x.shape)
        lq = t.logp(prop)
        ok = np.log(rng.random(lp.shape)) < (lq - lp) / temps
        x = np.where(ok[..., None], prop, x)
        lp = np.where(ok, lq, lp)
        j = int(rng.integers(0, k - 1))
        a = (lp[:, j + 1] - lp[:, j]) * (1 / temps[j] - 1 / temps[j + 1])
        sw = np.log(rng.random(r.chains)) < a
        xj, lj = x[sw, j].copy(), lp[sw, j].copy()
        x[sw, j], lp[sw, j] = x[sw, j + 1], lp[sw, j + 1]
        x[sw, j + 1], lp[sw, j + 1] = xj, lj
        swaps += int(sw.sum())
        tried += r.chains
        path.append(x[0, 0].copy())
        if i >= r.burn:
            kept.append(x[:, 0].copy())
    return Chains(np.array(path), np.stack(kept, 1).reshape(-1, 2), swaps / tried)


def _slice(t: Target, r: Run, rng: np.random.Generator) -> Chains:
    """Slice sampling (Neal 2003), one coordinate at a time: a height under p at the current
    point, an interval of width ``step`` placed at random and stepped out until both ends leave
    the slice, then shrunk towards the point until a draw lands inside."""
    x = _starts(r, rng)
    path, kept, evals = [x[0].copy()], [], 0
    for i in range(r.steps):
        for d in (0, 1):
            level = t.logp(x) + np.log(rng.random(r.chains))
            lo = x[:, d] - r.step * rng.random(r.chains)
            hi = lo + r.step
            for _ in range(50):
                z = x.copy()
                z[:, d] = lo
                out_lo = t.logp(z) > level
                z[:, d] = hi
                out_hi = t.logp(z) > level
                evals += 2
                if not (out_lo.any() or out_hi.any()):
                    break
                lo = np.where(out_lo, lo - r.step, lo)
                hi = np.where(out_hi, hi + r.step, hi)
            done = np.zeros(r.chains, bool)
            new = x[:, d].copy()
            for _ in range(60):
                cand = lo + (hi - lo) * rng.random(r.chains)
                z = x.copy()
                z[:, d] = cand
                inside = t.logp(z) > level
                evals += 1
                take = inside & ~done
                new = np.where(take, cand, new)
                done |= inside
                if done.all():
                    break
                below = cand < x[:, d]
                lo = np.where(~done & below, cand, lo)
                hi = np.where(~done & ~below, cand, hi)
            x[:, d] = new
            path.append(x[0].copy())
        if i >= r.burn:
            kept.append(x.copy())
    return Chains(np.array(path), np.stack(kept, 1).reshape(-1, 2),
                  extra={"evals_per_step": evals / r.steps})


def _run(t: Target, r: Run, rng: np.random.Generator) -> Chains:
    if r.method == "rwmh":
        return _metropolis(t, r, rng)
    if r.method == "gibbs":
        return _gibbs(t, r, rng)
    if r.method == "hmc":
        return _hmc(t, r, rng)
    if r.method in ("mala", "ula"):
        return _langevin(t, r, rng, adjust=r.method == "mala")
    if r.method == "sgld":
        return _sgld(t, r, rng)
    if r.method == "svgd":
        return _svgd(t, r, rng)
    if r.method == "tempering":
        return _tempering(t, r, rng)
    if r.method == "slice":
        return _slice(t, r, rng)
    return _cavi(t, r)


def _moments(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return z.mean(0), np.cov(z.T)


def _lag1(path: np.ndarray) -> float:
    v = path[:, 0] - path[:, 0].mean()
    return float(np.sum(v[1:] * v[:-1]) / max(np.sum(v * v), 1e-12))


def _grid_modes(dens: np.ndarray) -> float:
    """Local maxima of a gridded density (above all 8 neighbours and 10 % of the peak)."""
    inner = dens[1:-1, 1:-1]
    peak = inner > 0.1 * dens.max()
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                peak &= inner > dens[1 + di:dens.shape[0] - 1 + di, 1 + dj:dens.shape[1] - 1 + dj]
    return float(np.count_nonzero(peak))


@recipe("sampler", SamplerParams)
def sampler(p: SamplerParams, rng: np.random.Generator) -> Arrays:
    """Samplers on a closed-form 2-D density.

    Arrays: ``grid_x``, ``grid_y``, ``density`` (normalised on the grid), ``true_mean`` and
    ``true_cov`` (quadrature on the grid), and for each run ``<key>_path`` (chain 0, or particle 0),
    ``<key>_samples`` (thinned to ``keep`` for drawing), ``<key>_start``, ``<key>_mean``,
    ``<key>_cov``, ``<key>_var_x``, ``<key>_var_y``, ``<key>_corr``, ``<key>_acceptance``,
    ``<key>_quadrants`` (share of samples in each quadrant about the true mean), ``<key>_lag1`` (lag-1 autocorrelation of x along chain 0), ``<key>_mean_error`` (distance of
    the sample mean from the true mean over the target's sd); optional ``<key>_rejected``,
    ``<key>_traces``, and method extras (``<key>_energy_error``, ``<key>_step_first``...).
    """
    t = _target(p, rng)
    x0, x1, y0, y1 = p.extent or t.extent
    gx, gy = np.linspace(x0, x1, p.grid), np.linspace(y0, y1, p.grid)
    xx, yy = np.meshgrid(gx, gy)
    zz = np.stack([xx, yy], -1)
    lp = t.logp(zz)
    dens = np.exp(lp - lp.max())
    w = dens / dens.sum()
    mean = np.array([np.sum(w * xx), np.sum(w * yy)])
    dx, dy = xx - mean[0], yy - mean[1]
    cov = np.array([[np.sum(w * dx * dx), np.sum(w * dx * dy)], [np.sum(w * dx * dy), np.sum(w * dy * dy)]])
    out: Arrays = {
        "grid_x": gx,
        "grid_y": gy,
        "density": dens,
        "neg_density": -dens,
        "log_density": lp - lp.max(),
        "true_mean": mean,
        "true_cov": cov,
        "true_var_x": float(cov[0, 0]),
        "true_var_y": float(cov[1, 1]),
        "true_corr": float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])),
        "true_sd": float(np.sqrt(np.trace(cov))),
        "modes": _grid_modes(dens),
    }
    for r in p.runs:
        c = _run(t, r, rng)
        k = r.key
        s_mean, s_cov = _moments(c.samples) if c.samples.shape[0] > 2 else (c.samples[0], cov * 0)
        thin = max(1, c.samples.shape[0] // r.keep)
        out[f"{k}_path"] = c.path
        out[f"{k}_start"] = c.path[:1]
        if r.method == "svgd" and c.traces is not None:
            out[f"{k}_starts"] = c.traces[:, 0]
        out[f"{k}_end"] = c.path[-1:]
        out[f"{k}_samples"] = c.samples[::thin][: r.keep]
        out[f"{k}_n_samples"] = float(c.samples.shape[0])
        out[f"{k}_mean"] = s_mean
        out[f"{k}_cov"] = s_cov
        out[f"{k}_var_x"] = float(s_cov[0, 0])
        out[f"{k}_var_y"] = float(s_cov[1, 1])
        out[f"{k}_corr"] = float(s_cov[0, 1] / np.sqrt(max(s_cov[0, 0] * s_cov[1, 1], 1e-300)))
        out[f"{k}_acceptance"] = float(c.acceptance)
        out[f"{k}_lag1"] = _lag1(c.path[::2] if r.method in ("gibbs", "slice") else c.path)  # per sweep
        dz = c.samples - mean
        out[f"{k}_quadrants"] = np.array([np.mean((dz[:, 0] > 0) & (dz[:, 1] > 0)),
                                          np.mean((dz[:, 0] < 0) & (dz[:, 1] > 0)),
                                          np.mean((dz[:, 0] < 0) & (dz[:, 1] < 0)),
                                          np.mean((dz[:, 0] > 0) & (dz[:, 1] < 0))])
        out[f"{k}_mean_error"] = float(np.linalg.norm(s_mean - mean) / out["true_sd"])
        show = r.show or r.steps
        out[f"{k}_shown"] = c.path[: show * (2 if r.method in ("gibbs", "cavi", "slice") else 1) + 1]
        if c.rejected is not None and c.rejected_at is not None:
            out[f"{k}_rejected"] = c.rejected
            out[f"{k}_n_rejected"] = float(c.rejected.shape[0])
            out[f"{k}_rejected_shown"] = c.rejected[c.rejected_at < show]
            out[f"{k}_n_rejected_shown"] = float(np.count_nonzero(c.rejected_at < show))
        if c.traces is not None:
            out[f"{k}_traces"] = c.traces
        for name, value in (c.extra or {}).items():
            out[f"{k}_{name}"] = value
        if r.method == "cavi":
            # The fitted factorised Gaussian, and the factorised Gaussian with the true marginals
            # (the minimiser of the other KL direction, KL(p || q)), on the same grid.
            m, vx, vy = c.samples[0], out[f"{k}_q_var_x"], out[f"{k}_q_var_y"]
            out[f"{k}_q_density"] = np.exp(-0.5 * ((xx - m[0]) ** 2 / vx + (yy - m[1]) ** 2 / vy))
            out[f"{k}_moment_density"] = np.exp(
                -0.5 * ((xx - mean[0]) ** 2 / cov[0, 0] + (yy - mean[1]) ** 2 / cov[1, 1]))
    return out


# -- the Ising model by Gibbs sampling ---------------------------------------------------------


class IsingParams(Params):
    """A square-lattice Ising model (J = 1, no field, periodic) at a few temperatures."""

    size: int = Field(32, ge=4, le=128)
    temperatures: tuple[float, ...] = Field((1.5, 2.27, 3.5), min_length=1, max_length=6)
    sweeps: int = Field(400, ge=1, le=5000)
    measure: int = Field(200, ge=1, le=5000, description="final sweeps averaged for m and energy")
    sweep_temperatures: tuple[float, ...] = Field(
        (1.0, 1.5, 1.8, 2.0, 2.2, 2.4, 2.6, 3.0, 3.5, 4.0), max_length=20,
        description="extra temperatures for the magnetisation curve")

    @model_validator(mode="after")
    def _check(self) -> IsingParams:
        if any(not 0.05 <= t <= 20 for t in (*self.temperatures, *self.sweep_temperatures)):
            msg = "temperatures lie within 0.05..20"
            raise ValueError(msg)
        if self.measure > self.sweeps:
            msg = "measure cannot exceed sweeps"
            raise ValueError(msg)
        return self


def _ising_run(temps: np.ndarray, size: int, sweeps: int, measure: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checkerboard heat-bath Gibbs sweeps from the all-up state, one lattice per temperature
    (vectorised over temperatures).  Returns final spins, mean |m| and mean energy per spin
    over the last ``measure`` sweeps."""
    k = temps.size
    s = np.ones((k, size, size))
    ii, jj = np.indices((size, size))
    masks = [(ii + jj) % 2 == c for c in (0, 1)]
    beta = (1.0 / temps)[:, None, None]
    m_acc, e_acc = np.zeros(k), np.zeros(k)
    for t in range(sweeps):
        for mask in masks:
            field = (np.roll(s, 1, 1) + np.roll(s, -1, 1) + np.roll(s, 1, 2) + np.roll(s, -1, 2))
            p_up = 1.0 / (1.0 + np.exp(-2.0 * beta * field))
            new = np.where(rng.random(s.shape) < p_up, 1.0, -1.0)
            s = np.where(mask, new, s)
        if t >= sweeps - measure:
            m_acc += np.abs(s.mean((1, 2)))
            e_acc += -np.mean(s * (np.roll(s, 1, 1) + np.roll(s, 1, 2)), (1, 2))
    return s, m_acc / measure, e_acc / measure


@recipe("ising", IsingParams)
def ising(p: IsingParams, rng: np.random.Generator) -> Arrays:
    """Gibbs-sampled Ising lattices: ``spins_<i>`` (size x size of +/-1) at each of
    ``temperatures``, their ``magnetisation`` |m| and ``energy`` per spin, and the same two
    quantities over ``sweep_temperatures`` (``curve_t``, ``curve_m``, ``curve_e``) beside Onsager's
    exact spontaneous magnetisation (``onsager_m``) and critical temperature ``t_c``."""
    temps = np.array(p.temperatures)
    spins, mag, energy = _ising_run(temps, p.size, p.sweeps, p.measure, rng)
    out: Arrays = {"temperatures": temps, "magnetisation": mag, "energy": energy,
                   "t_c": 2.0 / np.log(1.0 + np.sqrt(2.0))}
    for i in range(temps.size):
        out[f"spins_{i}"] = spins[i]
    if p.sweep_temperatures:
        ct = np.array(p.sweep_temperatures)
        _, cm, ce = _ising_run(ct, p.size, p.sweeps, p.measure, rng)
        with np.errstate(invalid="ignore", divide="ignore"):
            ons = np.where(ct < out["t_c"], np.clip(1 - np.sinh(2 / ct) ** -4.0, 0, None) ** 0.125, 0.0)
        out.update({"curve_t": ct, "curve_m": cm, "curve_e": ce, "onsager_m": ons})
    return out

