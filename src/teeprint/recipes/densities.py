"""E11 stacked densities: 1-D distributions over time, sample size or a parameter.

One recipe, ``ridges``, whose ``experiment`` names the computation.  Every experiment returns
``x`` (the grid), ``density`` (one row per ridge, back to front), ``rows`` (the value each row
stands for) and ``right`` (a number printed at each row's right), plus the experiment's own arrays
for claims and extra layers.  Densities are histograms of simulated draws (``step`` ridges) or
exact formulas evaluated on the grid.
"""

from __future__ import annotations

from collections.abc import Callable
from math import lgamma
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

Experiment = Literal[
    "beta-bernoulli", "clt", "particle-filter", "crp", "annealed-importance", "laplace",
    "reparameterisation", "importance-weights", "polya-urn",
]


class RidgeParams(Params):
    """Which stacked-density experiment, and its settings (each experiment reads its own)."""

    experiment: Experiment
    rows: tuple[float, ...] = Field((), max_length=40, description="the row values (n, sigma, beta...)")
    draws: int = Field(20000, ge=100, le=200000, description="Monte Carlo draws per row")
    bins: int = Field(120, ge=10, le=1000)
    x_min: float = Field(-4.0, ge=-1000.0, le=1000.0)
    x_max: float = Field(4.0, ge=-1000.0, le=1000.0)
    p_true: float = Field(0.7, gt=0.0, lt=1.0, description="beta-bernoulli: the coin's bias")
    prior_a: float = Field(1.0, gt=0.0, le=100.0)
    prior_b: float = Field(1.0, gt=0.0, le=100.0)
    alpha: float = Field(2.0, gt=0.0, le=100.0, description="crp: concentration")
    steps: int = Field(30, ge=2, le=500, description="particle-filter: time steps; ais: temperatures")
    particles: int = Field(1000, ge=10, le=20000)
    w_true: float = Field(2.0, ge=-10.0, le=10.0, description="laplace: the true logistic weight")
    prior_sd: float = Field(2.0, gt=0.0, le=100.0)
    mu: float = Field(1.0, ge=-10.0, le=10.0, description="reparameterisation: the mean")
    mcmc_steps: int = Field(2, ge=1, le=50, description="ais: Metropolis moves per temperature")

    @model_validator(mode="after")
    def _range(self) -> RidgeParams:
        if self.x_max <= self.x_min:
            msg = "x_max must exceed x_min"
            raise ValueError(msg)
        return self


def _hist(samples: np.ndarray, edges: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """A density histogram (integrates to the share of mass inside the edges)."""
    h, _ = np.histogram(samples, bins=edges, weights=weights)
    total = weights.sum() if weights is not None else samples.size
    return h / (total * np.diff(edges))


def _grid(p: RidgeParams) -> tuple[np.ndarray, np.ndarray]:
    edges = np.linspace(p.x_min, p.x_max, p.bins + 1)
    return edges, 0.5 * (edges[1:] + edges[:-1])


def _log_beta_pdf(x: np.ndarray, a: float, b: float) -> np.ndarray:
    xc = np.clip(x, 1e-12, 1 - 1e-12)
    return (a - 1) * np.log(xc) + (b - 1) * np.log1p(-xc) - (lgamma(a) + lgamma(b) - lgamma(a + b))


def _beta_bernoulli(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """Beta posteriors of a coin's bias after the first n of a seeded run of flips (exact)."""
    ns = np.array(p.rows or (0, 1, 2, 5, 10, 20, 50, 100), int)
    flips = rng.random(int(ns.max())) < p.p_true
    heads = np.array([int(flips[:n].sum()) for n in ns])
    x = np.linspace(0.0, 1.0, p.bins + 1)[1:-1]
    a, b = p.prior_a + heads, p.prior_b + ns - heads
    dens = np.exp(np.array([_log_beta_pdf(x, ai, bi) for ai, bi in zip(a, b, strict=True)]))
    mean = a / (a + b)
    sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    cdf = np.cumsum(dens, 1)
    cdf /= cdf[:, -1:]
    lo = np.array([np.interp(0.005, c, x) for c in cdf])
    hi = np.array([np.interp(0.995, c, x) for c in cdf])
    return {"x": x, "density": dens, "rows": ns, "right": mean, "heads": heads,
            "post_mean": mean, "post_sd": sd, "lower_99": lo, "upper_99": hi, "p_true": p.p_true}


def _clt(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """Standardised sums of n Exp(1) draws, (S - n) / sqrt(n), against the standard normal."""
    ns = np.array(p.rows or (1, 2, 4, 8, 16, 32, 64), int)
    edges, x = _grid(p)
    dens, skew, tv = [], [], []
    normal = np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
    for n in ns:
        s = rng.gamma(float(n), 1.0, size=p.draws)  # a sum of n Exp(1) draws is Gamma(n, 1)
        z = (s - n) / np.sqrt(n)
        h = _hist(z, edges)
        dens.append(h)
        zc = z - z.mean()
        skew.append(float(np.mean(zc**3) / np.mean(zc**2) ** 1.5))
        tv.append(0.5 * float(np.sum(np.abs(h - normal) * np.diff(edges))))
    return {"x": x, "density": np.array(dens), "rows": ns, "right": np.array(skew), "normal": normal,
            "skewness": np.array(skew), "skew_theory": 2.0 / np.sqrt(ns), "tv_to_normal": np.array(tv)}


def _particle_filter(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """Bootstrap particle filter on the nonlinear growth model of Gordon, Salmond & Smith (1993):
    x_t = x/2 + 25x/(1+x^2) + 8 cos(1.2 t) + v, v ~ N(0, 10);  y_t = x_t^2/20 + w, w ~ N(0, 1)."""
    t_max, n = p.steps, p.particles

    def move(x: np.ndarray, t: int) -> np.ndarray:
        return x / 2 + 25 * x / (1 + x * x) + 8 * np.cos(1.2 * t)

    xs = np.empty(t_max)
    x = 0.1
    for t in range(t_max):
        x = move(np.asarray(x), t + 1) + np.sqrt(10.0) * rng.normal()
        xs[t] = x
    ys = xs**2 / 20 + rng.normal(size=t_max)
    edges, grid = _grid(p)
    part = np.sqrt(5.0) * rng.normal(size=n)
    dens, lo, hi, ess, means = [], [], [], [], []
    for t in range(t_max):
        part = move(part, t + 1) + np.sqrt(10.0) * rng.normal(size=n)
        logw = -0.5 * (ys[t] - part**2 / 20) ** 2
        w = np.exp(logw - logw.max())
        w /= w.sum()
        ess.append(1.0 / np.sum(w * w))
        order = np.argsort(part)
        c = np.cumsum(w[order])
        lo.append(part[order][np.searchsorted(c, 0.01)])
        hi.append(part[order][min(np.searchsorted(c, 0.99), n - 1)])
        means.append(float(np.sum(w * part)))
        dens.append(_hist(part, edges, w))
        part = part[rng.choice(n, size=n, p=w)]  # multinomial resampling
    dens_a = np.array(dens)
    inside = (xs >= np.array(lo)) & (xs <= np.array(hi))
    return {"x": grid, "density": dens_a, "rows": np.arange(1, t_max + 1), "right": ys,
            "true_x": xs, "row_index": np.arange(t_max), "observations": ys,
            "q01": np.array(lo), "q99": np.array(hi), "inside": inside.astype(float),
            "ess": np.array(ess), "post_mean": np.array(means),
            "modes": np.array([_modes(r) for r in dens_a])}


def _modes(row: np.ndarray) -> float:
    """Peaks of a histogram row after light smoothing, each above 10 % of the highest."""
    k = np.array([1, 2, 3, 2, 1], float)
    s = np.convolve(row, k / k.sum(), mode="same")
    mid = s[1:-1]
    peaks = (mid > s[:-2]) & (mid >= s[2:]) & (mid > 0.1 * s.max())
    return float(np.count_nonzero(peaks))


def _crp(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """Tables occupied after n customers of a Chinese restaurant process.

    Customer i (0-based) opens a new table with probability alpha / (alpha + i) whatever the
    seating so far, so the count is simulated exactly by those draws; the exact law of the
    count is the convolution of the Bernoulli(alpha / (alpha + i)) laws."""
    ns = np.array(p.rows or (5, 10, 20, 50, 100, 200, 500, 1000), int)
    n_max = int(ns.max())
    probs = p.alpha / (p.alpha + np.arange(n_max))
    new = rng.random((p.draws, n_max)) < probs
    counts = np.cumsum(new, 1)
    k_max = int(counts[:, n_max - 1].max()) + 4
    x = np.arange(1, k_max + 1, dtype=float)
    edges = np.arange(0.5, k_max + 1.5)
    dens, exact, means = [], [], []
    pmf = np.array([1.0])
    done = 0
    for n in ns:
        for i in range(done, n):
            pmf = np.convolve(pmf, [1 - probs[i], probs[i]])
        done = n
        full = np.zeros(k_max + 1)
        m = min(pmf.size, k_max + 1)
        full[:m] = pmf[:m]
        exact.append(full[1:])
        k = counts[:, n - 1]
        dens.append(_hist(k, edges))
        means.append(float(k.mean()))
    expect = np.array([np.sum(probs[:n]) for n in ns])
    return {"x": x, "density": np.array(dens), "exact": np.array(exact), "rows": ns,
            "right": np.array(means), "mean_tables": np.array(means), "expected_tables": expect,
            "alpha": p.alpha, "log_n": np.log(ns)}


def _ais(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """Annealed importance sampling (Neal 2001) from a broad Gaussian prior to a two-mode
    target through p_b = prior^(1-b) target^b, with Metropolis moves at each temperature."""

    def log_prior(z: np.ndarray) -> np.ndarray:
        return -0.5 * (z / 3.0) ** 2 - np.log(3.0 * np.sqrt(2 * np.pi))

    def log_target(z: np.ndarray) -> np.ndarray:  # unnormalised: 6 x (0.3 N(-2, .4^2) + 0.7 N(2, .5^2))
        a = np.log(0.3) - 0.5 * ((z + 2) / 0.4) ** 2 - np.log(0.4 * np.sqrt(2 * np.pi))
        b = np.log(0.7) - 0.5 * ((z - 2) / 0.5) ** 2 - np.log(0.5 * np.sqrt(2 * np.pi))
        return np.log(6.0) + np.logaddexp(a, b)

    betas = np.linspace(0.0, 1.0, p.steps + 1) ** 4
    shown = np.array(p.rows or (0.0, 0.001, 0.01, 0.05, 0.2, 0.5, 1.0))
    edges, x = _grid(p)
    z = 3.0 * rng.normal(size=p.particles)
    logw = np.zeros(p.particles)
    dens, exact, logz_path = [], [], []

    def tempered(b: float) -> Callable[[np.ndarray], np.ndarray]:
        return lambda v: (1 - b) * log_prior(v) + b * log_target(v)

    fine = np.linspace(-12, 12, 4801)
    row_done = 0
    for k in range(1, betas.size + 1):
        b_prev = betas[k - 1]
        while row_done < shown.size and shown[row_done] <= b_prev + 1e-12:
            w = np.exp(logw - logw.max())
            dens.append(_hist(z, edges, w))
            lp = tempered(float(shown[row_done]))(x)
            ex = np.exp(lp - lp.max())
            exact.append(ex / (ex.sum() * (x[1] - x[0])))
            row_done += 1
        if k == betas.size:
            break
        b = betas[k]
        logw += (b - b_prev) * (log_target(z) - log_prior(z))
        f = tempered(float(b))
        step = 0.5 + 2.5 * (1 - b)
        for _ in range(p.mcmc_steps):
            prop = z + step * rng.normal(size=z.size)
            ok = np.log(rng.random(z.size)) < f(prop) - f(z)
            z = np.where(ok, prop, z)
        logz_path.append(float(np.log(np.mean(np.exp(logw - logw.max()))) + logw.max()))
    lt = log_target(fine)
    exact_logz = float(np.log(np.sum(np.exp(lt)) * (fine[1] - fine[0])))
    w = np.exp(logw - logw.max())
    return {"x": x, "density": np.array(dens), "exact": np.array(exact), "rows": shown,
            "right": shown, "log_z": logz_path[-1], "exact_log_z": exact_logz,
            "log_z_path": np.array(logz_path), "ess_fraction": float(w.sum() ** 2 / np.sum(w * w)) / z.size,
            "right_mode_share": float(np.sum(w * (z > 0)) / w.sum())}


def _laplace(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """The exact posterior of a 1-D logistic-regression weight (quadrature on the grid) against
    its Laplace approximation, a Gaussian at the mode with the curvature there (MacKay 1992)."""
    ns = np.array(p.rows or (3, 6, 12, 25, 50, 100, 200), int)
    n_max = int(ns.max())
    xs = rng.normal(size=n_max)
    ys = (rng.random(n_max) < 1 / (1 + np.exp(-p.w_true * xs))).astype(float)
    edges, w = _grid(p)
    dw = w[1] - w[0]
    dens, lap, tv, modes, skew = [], [], [], [], []
    for n in ns:
        z = np.outer(w, xs[:n])
        ll = np.sum(ys[:n] * z - np.logaddexp(0, z), 1) - 0.5 * (w / p.prior_sd) ** 2
        post = np.exp(ll - ll.max())
        post /= post.sum() * dw
        # Newton's method for the mode, then the curvature there.
        m = 0.0
        for _ in range(50):
            s = 1 / (1 + np.exp(-m * xs[:n]))
            g = np.sum((ys[:n] - s) * xs[:n]) - m / p.prior_sd**2
            h = -np.sum(s * (1 - s) * xs[:n] ** 2) - 1 / p.prior_sd**2
            m -= g / h
        s = 1 / (1 + np.exp(-m * xs[:n]))
        prec = np.sum(s * (1 - s) * xs[:n] ** 2) + 1 / p.prior_sd**2
        q = np.sqrt(prec / (2 * np.pi)) * np.exp(-0.5 * prec * (w - m) ** 2)
        dens.append(post)
        lap.append(q)
        tv.append(0.5 * float(np.sum(np.abs(post - q)) * dw))
        modes.append(m)
        mu = np.sum(w * post) * dw
        sd = np.sqrt(np.sum((w - mu) ** 2 * post) * dw)
        skew.append(float(np.sum(((w - mu) / sd) ** 3 * post) * dw))
    return {"x": w, "density": np.array(dens), "laplace": np.array(lap), "rows": ns,
            "right": np.array(tv), "tv": np.array(tv), "mode": np.array(modes),
            "skewness": np.array(skew), "w_true": p.w_true}


def _reparameterisation(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """Single-sample estimates of d/d mu E[z^2], z ~ N(mu, sigma^2) (true value 2 mu): the score
    function f(z)(z - mu)/sigma^2 against the reparameterised 2(mu + sigma eps)."""
    sigmas = np.array(p.rows or (0.25, 0.5, 1.0, 1.5, 2.0))
    edges, x = _grid(p)
    sf_d, rp_d, sf_var, rp_var, sf_mean, rp_mean, sf_near, rp_near = [], [], [], [], [], [], [], []
    for s in sigmas:
        eps = rng.normal(size=p.draws)
        z = p.mu + s * eps
        sf = z * z * (z - p.mu) / s**2
        rp = 2 * (p.mu + s * eps)
        sf_d.append(_hist(sf, edges))
        rp_d.append(_hist(rp, edges))
        sf_var.append(float(sf.var()))
        rp_var.append(float(rp.var()))
        sf_mean.append(float(sf.mean()))
        rp_mean.append(float(rp.mean()))
        sf_near.append(float(np.mean(np.abs(sf - 2 * p.mu) < 0.5)))
        rp_near.append(float(np.mean(np.abs(rp - 2 * p.mu) < 0.5)))
    sf_v, rp_v = np.array(sf_var), np.array(rp_var)
    return {"x": x, "density": np.array(sf_d), "reparam": np.array(rp_d), "rows": sigmas,
            "right": sf_v / rp_v, "variance_ratio": sf_v / rp_v, "score_var": sf_v,
            "reparam_var": rp_v, "score_mean": np.array(sf_mean), "reparam_mean": np.array(rp_mean),
            "true_grad": 2 * p.mu, "draws": float(p.draws),
            "score_near": np.array(sf_near), "reparam_near": np.array(rp_near)}


def _importance_weights(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """Self-normalised importance weights for a N(0, 1) target from N(0, s^2) proposals: the
    density of log10(n w_i) per proposal width, and Kish's effective sample size."""
    widths = np.array(p.rows or (0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0))
    edges, x = _grid(p)
    n = p.draws
    dens, ess, top = [], [], []
    for s in widths:
        z = s * rng.normal(size=n)
        logw = -0.5 * z * z + 0.5 * (z / s) ** 2 + np.log(s)
        w = np.exp(logw - logw.max())
        w /= w.sum()
        ess.append(float(1.0 / np.sum(w * w)) / n)
        top.append(float(w.max()))
        dens.append(_hist(np.log10(n * w), edges))
    return {"x": x, "density": np.array(dens), "rows": widths, "right": np.array(ess),
            "ess_fraction": np.array(ess), "widths": widths, "max_weight": np.array(top)}


def _polya_urn(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """Polya's urn: start with ``prior_a`` red and ``prior_b`` black balls; each draw returns the
    ball with one more of its colour.  Rows: the share of red after n draws over ``draws`` urns;
    the exact limit law is Beta(a, b) (the ``limit`` layer)."""
    ns = np.array(p.rows or (1, 2, 5, 10, 20, 50, 100, 500), int)
    n_max = int(ns.max())
    red = np.full(p.draws, p.prior_a)
    total = p.prior_a + p.prior_b
    edges, x = _grid(p)
    dens, means, sds = [], [], []
    done = 0
    for n in ns:
        for i in range(done, n):
            red += rng.random(p.draws) < red / (total + i)
        done = n
        share = red / (total + n)
        dens.append(_hist(share, edges))
        means.append(float(share.mean()))
        sds.append(float(share.std()))
    limit = np.exp(_log_beta_pdf(x, p.prior_a, p.prior_b))
    a, b = p.prior_a, p.prior_b
    return {"x": x, "density": np.array(dens), "limit": limit, "rows": ns, "right": np.array(sds),
            "share_mean": np.array(means), "share_sd": np.array(sds),
            "limit_mean": a / (a + b), "limit_sd": float(np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))),
            "tv_last": 0.5 * float(np.sum(np.abs(dens[-1] - limit)) * (x[1] - x[0])),
            "n_max": float(n_max)}


_EXPERIMENTS: dict[str, Callable[[RidgeParams, np.random.Generator], Arrays]] = {
    "beta-bernoulli": _beta_bernoulli,
    "clt": _clt,
    "particle-filter": _particle_filter,
    "crp": _crp,
    "annealed-importance": _ais,
    "laplace": _laplace,
    "reparameterisation": _reparameterisation,
    "importance-weights": _importance_weights,
    "polya-urn": _polya_urn,
}


@recipe("ridges", RidgeParams)
def ridges(p: RidgeParams, rng: np.random.Generator) -> Arrays:
    """Stacked 1-D densities: one experiment's distributions over a parameter or time.

    Always ``x``, ``density`` (rows x grid), ``rows`` and ``right``; each experiment adds the
    arrays its claims need (see the experiment functions' docstrings)."""
    return _EXPERIMENTS[p.experiment](p, rng)
