"""Recipes of the probabilistic family: posteriors that can be written down."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe


class GaussianProcessParams(Params):
    """An RBF-kernel GP conditioned on a few noisy observations of a function from its prior."""

    n_obs: int = Field(5, ge=1, le=50)
    length_scale: float = Field(1.0, gt=0.05, le=20.0)
    signal_sd: float = Field(1.0, gt=0.01, le=10.0)
    noise_sd: float = Field(0.05, ge=1e-3, le=2.0)
    n_samples: int = Field(5, ge=0, le=50)
    x_min: float = Field(-5.0, ge=-100.0)
    x_max: float = Field(5.0, le=100.0)
    obs_margin: float = Field(0.8, ge=0.0, le=10.0)
    min_gap: float = Field(0.8, ge=0.0, le=10.0)
    grid: int = Field(241, ge=20, le=2001)

    @model_validator(mode="after")
    def _range(self) -> GaussianProcessParams:
        span = self.x_max - self.x_min - 2 * self.obs_margin
        if span <= 0:
            msg = "x_max - x_min must exceed twice obs_margin"
            raise ValueError(msg)
        if self.min_gap * (self.n_obs - 1) > span:
            msg = "n_obs observations at min_gap do not fit in the range"
            raise ValueError(msg)
        return self


def rbf(a: np.ndarray, b: np.ndarray, length: float, sd: float) -> np.ndarray:
    """The squared-exponential kernel sd^2 exp(-(a-b)^2 / (2 l^2))."""
    return sd**2 * np.exp(-0.5 * (a[:, None] - b[None, :]) ** 2 / length**2)


def _spread_points(rng: np.random.Generator, n: int, lo: float, hi: float, gap: float) -> np.ndarray:
    """n sorted uniform points in [lo, hi] at least ``gap`` apart (spacings, then shifted)."""
    slack = hi - lo - gap * (n - 1)
    u = np.sort(rng.uniform(0.0, slack, n))
    return lo + u + gap * np.arange(n)


@recipe("gaussian-process", GaussianProcessParams)
def gaussian_process(p: GaussianProcessParams, rng: np.random.Generator) -> Arrays:
    """Exact GP regression: posterior mean, a +/- 2 sd band and samples of the posterior.

    The observed function is itself a draw from the prior, so the figure is the textbook
    situation of Rasmussen & Williams (2006, Fig. 2.2): far from data the band relaxes to the
    prior's +/- 2 sigma_f; at an observation it pinches to about the noise level.
    """
    x_obs = _spread_points(rng, p.n_obs, p.x_min + p.obs_margin, p.x_max - p.obs_margin, p.min_gap)
    k_oo = rbf(x_obs, x_obs, p.length_scale, p.signal_sd)
    f_obs = np.linalg.cholesky(k_oo + 1e-10 * np.eye(p.n_obs)) @ rng.normal(size=p.n_obs)
    y_obs = f_obs + p.noise_sd * rng.normal(size=p.n_obs)
    grid = np.linspace(p.x_min, p.x_max, p.grid)
    k_go = rbf(grid, x_obs, p.length_scale, p.signal_sd)
    k_gg = rbf(grid, grid, p.length_scale, p.signal_sd)
    chol = np.linalg.cholesky(k_oo + p.noise_sd**2 * np.eye(p.n_obs))
    alpha = np.linalg.solve(chol.T, np.linalg.solve(chol, y_obs))
    mean = k_go @ alpha
    v = np.linalg.solve(chol, k_go.T)
    cov = k_gg - v.T @ v
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    # Posterior draws through a symmetric square root (cov is rank-deficient at the grid size).
    evals, evecs = np.linalg.eigh((cov + cov.T) / 2)
    root = evecs * np.sqrt(np.clip(evals, 0.0, None))
    samples = mean[None, :] + rng.normal(size=(p.n_samples, p.grid)) @ root.T
    at_obs = rbf(x_obs, x_obs, p.length_scale, p.signal_sd) - (
        np.linalg.solve(chol, k_oo).T @ np.linalg.solve(chol, k_oo))
    return {
        "x": grid,
        "mean": mean,
        "sd": sd,
        "lower": mean - 2 * sd,
        "upper": mean + 2 * sd,
        "samples": samples,
        "x_obs": x_obs,
        "y_obs": y_obs,
        "f_obs": f_obs,
        "mean_at_obs": k_oo @ alpha,
        "sd_at_obs": np.sqrt(np.clip(np.diag(at_obs), 0.0, None)),
        "noise_sd": p.noise_sd,
        "prior_sd": p.signal_sd,
    }


# -- E13 bands: Bayesian linear regression and the Kalman filter --------------------------------


class BandParams(Params):
    """A 1-D fit with its uncertainty band: ``experiment`` names which."""

    experiment: Literal["bayes-linear", "kalman", "ensemble"]
    n_obs: int = Field(20, ge=1, le=500)
    noise_sd: float = Field(0.2, gt=0.0, le=10.0)
    prior_sd: float = Field(2.0, gt=0.0, le=100.0, description="bayes-linear: weight prior sd")
    basis: int = Field(9, ge=2, le=40, description="bayes-linear: Gaussian basis functions")
    basis_width: float = Field(0.12, gt=0.01, le=5.0)
    gap: tuple[float, float] = Field((0.35, 0.65), description="bayes-linear: no data inside (a, b)")
    n_draws: int = Field(6, ge=0, le=50)
    steps: int = Field(60, ge=5, le=1000, description="kalman: time steps")
    process_sd: float = Field(0.1, gt=0.0, le=10.0, description="kalman: acceleration noise sd")
    grid: int = Field(241, ge=20, le=2001)
    members: int = Field(5, ge=2, le=20, description="ensemble: networks")
    hidden: int = Field(50, ge=2, le=200, description="ensemble: tanh units")
    train_steps: int = Field(3000, ge=10, le=20000, description="ensemble: full-batch GD steps")
    lr: float = Field(0.05, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _gap(self) -> BandParams:
        if not 0.0 <= self.gap[0] < self.gap[1] <= 1.0:
            msg = "gap is (a, b) with 0 <= a < b <= 1"
            raise ValueError(msg)
        return self


def _bayes_linear(p: BandParams, rng: np.random.Generator) -> Arrays:
    """Bayesian linear regression on Gaussian basis functions (Bishop 2006, sec. 3.3): the
    posterior predictive mean, its +/- 2 sd band, and lines drawn from the weight posterior.

    Data: sin(2 pi x) plus noise at x uniform on [0, 1] outside the gap."""
    a, b = p.gap
    xs = rng.uniform(0.0, 1.0 - (b - a), p.n_obs)
    xs = np.sort(np.where(xs < a, xs, xs + (b - a)))
    ys = np.sin(2 * np.pi * xs) + p.noise_sd * rng.normal(size=p.n_obs)
    centres = np.linspace(0.0, 1.0, p.basis)

    def phi(x: np.ndarray) -> np.ndarray:
        return np.exp(-0.5 * ((x[:, None] - centres[None, :]) / p.basis_width) ** 2)

    beta, alpha = 1 / p.noise_sd**2, 1 / p.prior_sd**2
    big = phi(xs)
    prec = alpha * np.eye(p.basis) + beta * big.T @ big
    cov = np.linalg.inv(prec)
    m = beta * cov @ big.T @ ys
    grid = np.linspace(0.0, 1.0, p.grid)
    g = phi(grid)
    mean = g @ m
    sd = np.sqrt(1 / beta + np.einsum("ij,jk,ik->i", g, cov, g))
    draws = (m[None, :] + rng.normal(size=(p.n_draws, p.basis)) @ np.linalg.cholesky(cov).T) @ g.T
    truth = np.sin(2 * np.pi * grid)
    in_gap = (grid > a + 0.05) & (grid < b - 0.05)
    near = np.min(np.abs(grid[:, None] - xs[None, :]), 1) < 0.02
    return {"x": grid, "mean": mean, "sd": sd, "lower": mean - 2 * sd, "upper": mean + 2 * sd,
            "draws": draws, "truth": truth, "x_obs": xs, "y_obs": ys, "noise_sd": p.noise_sd,
            "sd_gap": float(sd[in_gap].max()), "sd_near": float(np.median(sd[near])),
            "covered": float(np.mean(np.abs(truth - mean) <= 2 * sd)),
            "gap_lo": a, "gap_hi": b,
            "draw_sd_gap": float(draws.std(0)[in_gap].max()) if p.n_draws > 1 else 0.0,
            "draw_sd_near": float(np.median(draws.std(0)[near])) if p.n_draws > 1 else 0.0}


def _kalman(p: BandParams, rng: np.random.Generator) -> Arrays:
    """A Kalman filter tracking a 1-D constant-velocity target from noisy positions
    (white-noise acceleration model, dt = 1); the band is the filter's +/- 2 sd."""
    f = np.array([[1.0, 1.0], [0.0, 1.0]])
    q = p.process_sd**2 * np.array([[0.25, 0.5], [0.5, 1.0]])
    r = p.noise_sd**2
    state = np.array([0.0, 1.0])
    truth, meas = [], []
    chol_q = np.linalg.cholesky(q + 1e-12 * np.eye(2))
    for _ in range(p.steps):
        state = f @ state + chol_q @ rng.normal(size=2)
        truth.append(state[0])
        meas.append(state[0] + p.noise_sd * rng.normal())
    m, cov = np.array([meas[0], 0.0]), np.diag([r, 4.0])
    means, sds = [m[0]], [np.sqrt(cov[0, 0])]
    for t in range(1, p.steps):
        m, cov = f @ m, f @ cov @ f.T + q
        gain = cov[:, 0] / (cov[0, 0] + r)
        m = m + gain * (meas[t] - m[0])
        cov = cov - np.outer(gain, cov[0, :])
        means.append(m[0])
        sds.append(np.sqrt(cov[0, 0]))
    t_ax = np.arange(1, p.steps + 1, dtype=float)
    mean, sd, tr, y = np.array(means), np.array(sds), np.array(truth), np.array(meas)
    half = p.steps // 2
    return {"x": t_ax, "mean": mean, "sd": sd, "lower": mean - 2 * sd, "upper": mean + 2 * sd,
            "truth": tr, "x_obs": t_ax, "y_obs": y, "noise_sd": p.noise_sd,
            # The same, measured from the hidden true path (what the eye can compare).
            "rel_mean": mean - tr, "rel_lower": mean - tr - 2 * sd, "rel_upper": mean - tr + 2 * sd,
            "rel_obs": y - tr, "zero": np.zeros_like(tr),
            "rmse_filter": float(np.sqrt(np.mean((mean[half:] - tr[half:]) ** 2))),
            "rmse_measured": float(np.sqrt(np.mean((y[half:] - tr[half:]) ** 2))),
            "covered": float(np.mean(np.abs(tr - mean) <= 2 * sd)),
            "sd_first": float(sd[0]), "sd_last": float(sd[-1])}


def _ensemble(p: BandParams, rng: np.random.Generator) -> Arrays:
    """``members`` one-hidden-layer tanh networks trained by full-batch gradient descent on squared
    error from different random initialisations (the ensemble of Lakshminarayanan et al. 2017,
    without their variance heads or adversarial training); the band is mean +/- 2 sd across
    members.  Data: sin(3x) plus noise on [-1, 1] outside the gap, shown on [-2, 2]."""
    a, b = -1.0 + 2.0 * p.gap[0], -1.0 + 2.0 * p.gap[1]
    xs = rng.uniform(-1.0, 1.0 - (b - a), p.n_obs)
    xs = np.sort(np.where(xs < a, xs, xs + (b - a)))
    ys = np.sin(3 * xs) + p.noise_sd * rng.normal(size=p.n_obs)
    e, h = p.members, p.hidden
    w1 = rng.normal(size=(e, h)) * 1.5
    b1 = rng.normal(size=(e, h)) * 1.0
    w2 = rng.normal(size=(e, h)) / np.sqrt(h)
    b2 = np.zeros(e)
    x, y = xs[None, :, None], ys[None, :]
    for _ in range(p.train_steps):
        z = np.tanh(x * w1[:, None, :] + b1[:, None, :])  # (e, n, h)
        out = np.einsum("enh,eh->en", z, w2) + b2[:, None]
        err = (out - y) / p.n_obs  # gradient of half the mean squared error
        g_w2 = np.einsum("en,enh->eh", err, z)
        g_b2 = err.sum(1)
        dz = err[..., None] * w2[:, None, :] * (1 - z * z)
        g_w1 = np.einsum("enh,en->eh", dz, x[..., 0].repeat(e, 0))
        g_b1 = dz.sum(1)
        w1 -= p.lr * g_w1
        b1 -= p.lr * g_b1
        w2 -= p.lr * g_w2
        b2 -= p.lr * g_b2
    grid = np.linspace(-2.0, 2.0, p.grid)
    preds = np.einsum("egh,eh->eg", np.tanh(grid[None, :, None] * w1[:, None, :] + b1[:, None, :]), w2)
    preds += b2[:, None]
    fit = np.einsum("enh,eh->en", np.tanh(x * w1[:, None, :] + b1[:, None, :]), w2) + b2[:, None]
    mean, sd = preds.mean(0), preds.std(0)
    inside = (grid >= -1) & (grid <= 1) & ~((grid > a) & (grid < b))
    near = np.min(np.abs(grid[:, None] - xs[None, :]), 1) < 0.05
    outside = np.abs(grid) > 1.5
    return {"x": grid, "mean": mean, "sd": sd, "lower": mean - 2 * sd, "upper": mean + 2 * sd,
            "members": preds, "truth": np.sin(3 * grid), "x_obs": xs, "y_obs": ys,
            "noise_sd": p.noise_sd, "train_rmse": float(np.sqrt(np.mean((fit - y) ** 2))),
            "sd_near": float(np.median(sd[near])), "sd_far": float(np.median(sd[outside])),
            "sd_data_region": float(np.median(sd[inside])),
            "covered": float(np.mean(np.abs(np.sin(3 * grid) - mean)[inside] <= 2 * sd[inside] + 2 * p.noise_sd))}


@recipe("bayes-band", BandParams)
def bayes_band(p: BandParams, rng: np.random.Generator) -> Arrays:
    """A 1-D posterior fit with a +/- 2 sd band: ``x``, ``mean``, ``sd``, ``lower``, ``upper``,
    ``truth``, ``x_obs``, ``y_obs``, ``covered`` (share of the grid where the truth is inside the
    band), plus each experiment's own numbers."""
    if p.experiment == "bayes-linear":
        return _bayes_linear(p, rng)
    if p.experiment == "ensemble":
        return _ensemble(p, rng)
    return _kalman(p, rng)


# -- E1 closed-form curves of probability and information ---------------------------------------

CurveName = Literal["binary-entropy", "cross-entropy", "kl-pq", "kl-qp", "gauss-mi",
                    "posterior-positive", "posterior-negative"]


class CurvesParams(Params):
    """Closed-form curves on one axis, named from a table; ``at`` lists x values to evaluate."""

    functions: tuple[CurveName, ...] = Field(min_length=1, max_length=6)
    x_min: float = Field(0.0, ge=-1.0, le=1.0)
    x_max: float = Field(1.0, ge=-1.0, le=1.0)
    grid: int = Field(401, ge=20, le=5001)
    log_x: bool = False
    p: float = Field(0.3, gt=0.0, lt=1.0, description="the fixed true probability (entropies)")
    sensitivity: float = Field(0.99, gt=0.0, le=1.0)
    specificity: float = Field(0.95, gt=0.0, le=1.0)
    at: tuple[float, ...] = Field((), max_length=8)

    @model_validator(mode="after")
    def _range(self) -> CurvesParams:
        if self.x_max <= self.x_min or (self.log_x and self.x_min <= 0):
            msg = "need x_min < x_max (and x_min > 0 on a log axis)"
            raise ValueError(msg)
        return self


def _h2(q: np.ndarray) -> np.ndarray:
    qc = np.clip(q, 1e-300, 1.0)
    rc = np.clip(1 - q, 1e-300, 1.0)
    return -(q * np.log2(qc) + (1 - q) * np.log2(rc))


def _curve(name: str, x: np.ndarray, p: CurvesParams) -> np.ndarray:
    pp = p.p
    q = np.clip(x, 1e-12, 1 - 1e-12)
    if name == "binary-entropy":
        return _h2(x)
    if name == "cross-entropy":
        return -(pp * np.log2(q) + (1 - pp) * np.log2(1 - q))
    if name == "kl-pq":
        return pp * np.log2(pp / q) + (1 - pp) * np.log2((1 - pp) / (1 - q))
    if name == "kl-qp":
        return (q * np.log2(q / pp) + (1 - q) * np.log2((1 - q) / (1 - pp)))
    if name == "gauss-mi":
        return -0.5 * np.log2(1 - np.clip(x * x, 0, 1 - 1e-15))
    sens, spec = p.sensitivity, p.specificity
    if name == "posterior-positive":
        return sens * x / (sens * x + (1 - spec) * (1 - x))
    return (1 - sens) * x / ((1 - sens) * x + spec * (1 - x))


@recipe("prob-curves", CurvesParams)
def prob_curves(p: CurvesParams, rng: np.random.Generator) -> Arrays:
    """Closed-form curves of probability and information theory (in bits), evaluated exactly.

    Arrays: ``x``; for each function ``f``: ``f`` with dashes as underscores (the curve) and
    ``at_f`` (its values at the ``at`` points); ``at``; ``p``; ``h_p`` (entropy of p in bits)."""
    if p.log_x:
        x = np.geomspace(p.x_min, p.x_max, p.grid)
    else:
        x = np.linspace(p.x_min, p.x_max, p.grid)
    at = np.array(p.at, float)
    out: Arrays = {"x": x, "at": at, "p": p.p, "h_p": float(_h2(np.array(p.p))),
                   "sensitivity": p.sensitivity, "specificity": p.specificity}
    for name in p.functions:
        key = name.replace("-", "_")
        out[key] = _curve(name, x, p)
        out[f"at_{key}"] = _curve(name, at, p) if at.size else at
        if at.size:
            out[f"{key}_at0"] = float(out[f"at_{key}"][0])
    if at.size:
        out["at0"] = float(at[0])
    return out


# -- E2 sweeps: a quantity against model size, sample size or a sampler's step ----------------


class SweepParams(Params):
    """A probabilistic sweep: ``experiment`` names which."""

    experiment: Literal["evidence", "cramer-rao", "rwm-scaling", "gp-evidence", "autocorrelation",
                        "r-hat", "likelihood", "stick-breaking", "coverage"]
    n: int = Field(30, ge=5, le=1000, description="evidence: data points")
    noise_sd: float = Field(0.15, gt=0.0, le=10.0)
    prior_sd: float = Field(1.0, gt=0.0, le=100.0)
    max_degree: int = Field(9, ge=2, le=15)
    coefficients: tuple[float, ...] = Field((0.3, -1.0, 0.0, 1.5), min_length=1, max_length=8,
                                            description="evidence: true polynomial, lowest power first")
    sizes: tuple[int, ...] = Field((4, 8, 16, 32, 64, 128, 256, 512), min_length=2, max_length=20)
    reps: int = Field(2000, ge=50, le=20000)
    dim: int = Field(20, ge=1, le=200, description="rwm-scaling: dimension of the Gaussian target")
    scales: tuple[float, ...] = Field((0.3, 0.5, 0.8, 1.2, 1.7, 2.38, 3.2, 4.5, 6.5), min_length=1,
                                      max_length=30)
    chains: int = Field(100, ge=1, le=2000)
    steps: int = Field(400, ge=10, le=10000)
    length_scale: float = Field(0.7, gt=0.01, le=20.0, description="gp-evidence: true length scale")
    lengths: tuple[float, float] = Field((0.05, 10.0), description="gp-evidence: range of length scales tried")
    lags: int = Field(60, ge=5, le=1000, description="autocorrelation: lags shown")
    starts: tuple[float, ...] = Field((-12.0, -4.0, 4.0, 12.0), min_length=2, max_length=10,
                                      description="r-hat: chain starting points")

    @model_validator(mode="after")
    def _check(self) -> SweepParams:
        if self.experiment == "rwm-scaling" and len(self.scales) < 3:
            msg = "rwm-scaling needs at least 3 scales"
            raise ValueError(msg)
        if any(v <= 0 for v in self.scales) or not 0 < self.lengths[0] < self.lengths[1]:
            msg = "scales must be positive and lengths an increasing positive pair"
            raise ValueError(msg)
        return self


def _evidence(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """Log marginal likelihood of polynomial models of each degree (Bishop 2006, eq. 3.86) with a
    fixed N(0, prior_sd^2) weight prior and known noise, beside the best-fit log-likelihood."""
    x = rng.uniform(-1, 1, p.n)
    y = np.polynomial.polynomial.polyval(x, p.coefficients) + p.noise_sd * rng.normal(size=p.n)
    beta, alpha = 1 / p.noise_sd**2, 1 / p.prior_sd**2
    degrees = np.arange(p.max_degree + 1)
    ev, ml = [], []
    for d in range(p.max_degree + 1):
        phi = np.vander(x, d + 1, increasing=True)
        a = alpha * np.eye(d + 1) + beta * phi.T @ phi
        m = beta * np.linalg.solve(a, phi.T @ y)
        fit = np.sum((y - phi @ m) ** 2)
        _, logdet = np.linalg.slogdet(a)
        ev.append(0.5 * ((d + 1) * np.log(alpha) + p.n * np.log(beta) - beta * fit - alpha * m @ m
                         - logdet - p.n * np.log(2 * np.pi)))
        w_ls = np.linalg.lstsq(phi, y, rcond=None)[0]
        rss = np.sum((y - phi @ w_ls) ** 2)
        ml.append(0.5 * (p.n * np.log(beta) - beta * rss - p.n * np.log(2 * np.pi)))
    ev_a, ml_a = np.array(ev), np.array(ml)
    return {"degree": degrees.astype(float), "log_evidence": ev_a, "max_log_lik": ml_a,
            "best_degree": float(degrees[np.argmax(ev_a)]), "true_degree": float(len(p.coefficients) - 1),
            "evidence_drop": float(ev_a.max() - ev_a[-1])}


def _cramer_rao(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """Variance of three unbiased estimators of a normal mean (unit variance) over ``reps``
    samples of each size, against the Cramer-Rao bound 1/(n I) = 1/n."""
    ns = np.array(p.sizes, int)
    v_mean, v_median, v_mid = [], [], []
    for n in ns:
        z = rng.normal(size=(p.reps, n))
        v_mean.append(z.mean(1).var())
        v_median.append(np.median(z, 1).var())
        v_mid.append((0.5 * (z.min(1) + z.max(1))).var())
    bound = 1.0 / ns
    return {"n": ns.astype(float), "bound": bound, "var_mean": np.array(v_mean),
            "var_median": np.array(v_median), "var_midrange": np.array(v_mid),
            "mean_ratio": np.array(v_mean) / bound, "median_ratio": np.array(v_median) / bound,
            "midrange_ratio": np.array(v_mid) / bound, "half_pi": np.pi / 2}


def _rwm_scaling(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """Random-walk Metropolis on a standard normal in ``dim`` dimensions with proposal sd
    l / sqrt(dim): acceptance rate and expected squared jump distance per dimension, for each l
    (Roberts, Gelman & Gilks 1997: best near l = 2.38, acceptance 0.234, as dim grows)."""
    d = p.dim
    ell = np.array(p.scales)[:, None]  # all step sizes at once: x is (scales, chains, dim)
    x = rng.normal(size=(ell.size, p.chains, d))  # start in stationarity
    lp = -0.5 * np.sum(x * x, -1)
    a_sum = np.zeros(ell.size)
    j_sum = np.zeros(ell.size)
    for _ in range(p.steps):
        prop = x + (ell / np.sqrt(d))[..., None] * rng.normal(size=x.shape)
        lq = -0.5 * np.sum(prop * prop, -1)
        ok = np.log(rng.random(lp.shape)) < lq - lp
        j_sum += np.sum(np.where(ok, np.sum((prop - x) ** 2, -1), 0.0), 1)
        a_sum += ok.sum(1)
        x = np.where(ok[..., None], prop, x)
        lp = np.where(ok, lq, lp)
    acc = a_sum / (p.chains * p.steps)
    esjd = j_sum / (p.chains * p.steps * d)
    acc_a, ej = np.array(acc), np.array(esjd)
    scales = np.array(p.scales)
    best = int(np.argmax(ej))
    return {"scale": scales, "acceptance": acc_a, "esjd": ej, "efficiency": ej / ej.max(),
            "best_scale": float(scales[best]), "best_acceptance": float(acc_a[best]),
            "theory_scale": 2.38, "dim": float(d)}


def _local_maxima_2d(z: np.ndarray) -> float:
    """Interior grid points higher than all eight neighbours."""
    inner = z[1:-1, 1:-1]
    peak = np.ones(inner.shape, bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                peak &= inner > z[1 + di:z.shape[0] - 1 + di, 1 + dj:z.shape[1] - 1 + dj]
    return float(np.count_nonzero(peak))


def _gp_evidence(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """GP log marginal likelihood against the RBF length scale (Rasmussen & Williams 2006,
    sec. 5.4.1), split into its data-fit and complexity terms; data drawn from a GP with length
    ``length_scale`` at ``n`` points on [-3, 3], noise ``noise_sd``, unit signal sd."""
    x = np.sort(rng.uniform(-3, 3, p.n))
    k_true = np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / p.length_scale**2)
    f = np.linalg.cholesky(k_true + 1e-9 * np.eye(p.n)) @ rng.normal(size=p.n)
    y = f + p.noise_sd * rng.normal(size=p.n)
    ells = np.geomspace(p.lengths[0], p.lengths[1], 60)
    fit, comp = [], []
    for ell in ells:
        k = np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ell**2) + p.noise_sd**2 * np.eye(p.n)
        chol = np.linalg.cholesky(k)
        a = np.linalg.solve(chol, y)
        fit.append(-0.5 * a @ a)
        comp.append(-np.sum(np.log(np.diag(chol))))
    fit_a, comp_a = np.array(fit), np.array(comp)
    lml = fit_a + comp_a - 0.5 * p.n * np.log(2 * np.pi)
    best = int(np.argmax(lml))
    # The same over a plane of (length scale, noise sd), both on log10 axes (R&W Fig. 5.5).
    gl = np.linspace(np.log10(p.lengths[0]), np.log10(p.lengths[1]), 41)
    gs = np.linspace(-2.0, 0.3, 41)
    d2 = (x[:, None] - x[None, :]) ** 2
    plane = np.empty((gs.size, gl.size))
    noise_var = 10 ** (2 * gs)
    for j, lg in enumerate(gl):
        lam, q = np.linalg.eigh(np.exp(-0.5 * d2 / 10 ** (2 * lg)))  # K + s^2 I shares q
        proj = (q.T @ y) ** 2
        tot = np.clip(lam, 0.0, None)[None, :] + noise_var[:, None]
        plane[:, j] = (-0.5 * np.sum(proj[None, :] / tot, 1) - 0.5 * np.sum(np.log(tot), 1)
                       - 0.5 * p.n * np.log(2 * np.pi))
    bi, bj = np.unravel_index(int(np.argmax(plane)), plane.shape)
    return {"length": ells, "log_marginal": lml, "data_fit": fit_a, "complexity": comp_a,
            "best_length": float(ells[best]), "true_length": p.length_scale,
            "best_index": float(best), "points": float(len(ells)),
            "grid_x": gl, "grid_y": gs, "plane": plane, "neg_plane": plane.max() - plane + 0.5,
            "plane_modes": _local_maxima_2d(plane),
            "plane_best": np.array([[gl[bj], gs[bi]]]),
            "plane_truth": np.array([[np.log10(p.length_scale), np.log10(p.noise_sd)]]),
            "plane_best_length": float(10 ** gl[bj]), "plane_best_noise": float(10 ** gs[bi]),
            "plane_edge": float(bi in (0, gs.size - 1) or bj in (0, gl.size - 1))}


def _autocorrelation(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """Autocorrelation of random-walk Metropolis chains on N(0, 1) for each proposal sd in
    ``scales`` (rows of ``acf``), and the effective sample size per 1000 steps from the initial
    positive sequence of Geyer (1992)."""
    scales = np.array(p.scales)
    x = rng.normal(size=scales.size)
    chain = np.empty((scales.size, p.steps))
    acc = np.zeros(scales.size)
    for t in range(p.steps):
        prop = x + scales * rng.normal(size=scales.size)
        ok = np.log(rng.random(scales.size)) < 0.5 * (x * x - prop * prop)
        x = np.where(ok, prop, x)
        acc += ok
        chain[:, t] = x
    c = chain - chain.mean(1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * p.steps)))
    spec = np.fft.rfft(c, size, axis=1)
    full = np.fft.irfft(spec * np.conj(spec), size, axis=1)[:, : p.steps]
    full = full / np.arange(p.steps, 0, -1) / np.mean(c * c, 1, keepdims=True)
    acf = full[:, : p.lags + 1]
    ess = []
    for i in range(scales.size):
        half = full[i, : p.steps // 2]
        pairs = half[: half.size // 2 * 2].reshape(-1, 2).sum(1)
        stop = int(np.argmax(pairs <= 0)) if np.any(pairs <= 0) else pairs.size
        tau = -1.0 + 2.0 * np.sum(pairs[:stop])
        ess.append(1000.0 / max(tau, 1.0))
    ess_a = np.array(ess)
    scalars: Arrays = {f"ess_{i}": float(v) for i, v in enumerate(ess_a)}
    scalars.update({f"acf_{i}": row for i, row in enumerate(acf)})
    return {**scalars, "lag": np.arange(p.lags + 1, dtype=float), "acf": acf, "scales": scales,
            "acceptance": acc / p.steps, "ess_per_1000": ess_a, "best_index": float(np.argmax(ess_a)),
            "acf_mid": acf[int(np.argmax(ess_a))], "zero": np.zeros(p.lags + 1)}


def _r_hat(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """Gelman-Rubin potential scale reduction of chains started far apart (random-walk Metropolis
    on N(0, 1), proposal sd ``scales[0]``), computed on the second half of the first n steps."""
    starts = np.array(p.starts, float)
    m = starts.size
    x = starts.copy()
    chain = np.empty((m, p.steps))
    step = p.scales[0]
    for t in range(p.steps):
        prop = x + step * rng.normal(size=m)
        ok = np.log(rng.random(m)) < 0.5 * (x * x - prop * prop)
        x = np.where(ok, prop, x)
        chain[:, t] = x
    ns = np.unique(np.geomspace(20, p.steps, 30).astype(int))
    rh = []
    for n in ns:
        half = chain[:, n // 2:n]
        k = half.shape[1]
        w = half.var(1, ddof=1).mean()
        b = k * half.mean(1).var(ddof=1)
        rh.append(np.sqrt(((k - 1) / k * w + b / k) / w))
    r = np.array(rh)
    return {"n": ns.astype(float), "r_hat": r, "threshold": np.full(ns.size, 1.1),
            "first_below": float(ns[np.argmax(r < 1.1)]) if np.any(r < 1.1) else float("nan"),
            "chains": chain, "final_r_hat": float(r[-1])}


def _likelihood(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """Log-likelihood of a normal mean (known sd ``noise_sd``) from the first n of a seeded
    sample, for each n in ``sizes``: rows of ``loglik`` (each shifted to peak at 0) over
    ``theta``; the peak sits at the sample mean and the curvature is n / sd^2 (Fisher)."""
    ns = np.array(p.sizes, int)
    x = 1.0 + p.noise_sd * rng.normal(size=int(ns.max()))
    theta = np.linspace(-3.0, 5.0, 801)
    rows, peaks, means, widths, curv = [], [], [], [], []
    for n in ns:
        ll = -0.5 * np.sum((x[:n, None] - theta[None, :]) ** 2, 0) / p.noise_sd**2
        ll = ll - ll.max()
        rows.append(ll)
        peaks.append(float(theta[np.argmax(ll)]))
        means.append(float(x[:n].mean()))
        inside = theta[ll >= -1.92]  # the 95 % likelihood interval (chi-square 3.84 / 2)
        widths.append(float(inside[-1] - inside[0]))
        i = int(np.argmax(ll))
        h = theta[1] - theta[0]
        curv.append(float(-(ll[i + 1] - 2 * ll[i] + ll[i - 1]) / h**2) if 0 < i < theta.size - 1 else 0.0)
    return {**{f"ll_{i}": r for i, r in enumerate(rows)},
            "theta": theta, "loglik": np.array(rows), "sizes": ns.astype(float),
            "peaks": np.array(peaks), "sample_means": np.array(means), "widths": np.array(widths),
            "curvature": np.array(curv), "fisher": ns / p.noise_sd**2,
            "cut": np.full(theta.size, -1.92), "true_theta": 1.0,
            "theory_widths": 2 * 1.96 * p.noise_sd / np.sqrt(ns)}


def _stick_breaking(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """Stick-breaking weights of a Dirichlet process (Sethuraman 1994): w_k = b_k prod_(j<k)
    (1 - b_j), b ~ Beta(1, alpha), for each alpha in ``scales``; the mean of each weight over
    ``reps`` draws against its exact mean alpha^(k-1) / (1 + alpha)^k, and one draw's weights."""
    k = np.arange(1, p.lags + 1, dtype=float)
    out: Arrays = {"k": k}
    for i, alpha in enumerate(p.scales):
        b = rng.beta(1.0, alpha, size=(p.reps, k.size))
        rest = np.cumprod(np.hstack([np.ones((p.reps, 1)), 1 - b[:, :-1]]), 1)
        w = b * rest
        out[f"mean_{i}"] = w.mean(0)
        out[f"exact_{i}"] = alpha ** (k - 1) / (1 + alpha) ** k
        out[f"draw_{i}"] = w[0]
        out[f"covered_{i}"] = float(w.sum(1).mean())
        out[f"alpha_{i}"] = float(alpha)
    return out


def _coverage(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """95 % Student-t confidence intervals for a normal mean from ``n`` draws each, repeated:
    ``chains`` intervals drawn as segments (``covering`` and ``missing``), and the coverage over
    ``reps`` repetitions (Neyman 1937: the procedure, not the interval, holds the 95 %)."""
    from scipy.stats import t as student_t  # noqa: PLC0415  (imported when used)

    q = float(student_t.ppf(0.975, p.n - 1))
    x = rng.normal(size=(p.reps, p.n))
    m = x.mean(1)
    half = q * x.std(1, ddof=1) / np.sqrt(p.n)
    lo, hi = m - half, m + half
    hit = (lo <= 0) & (hi >= 0)
    k = p.chains
    rows = np.arange(k, dtype=float) + 1
    seg = np.stack([np.stack([lo[:k], rows], 1), np.stack([hi[:k], rows], 1)], 1)  # (k, 2, 2)
    top = k + 1.0
    return {"covering": seg[hit[:k]], "missing": seg[~hit[:k]], "means": np.stack([m[:k], rows], 1),
            "truth": np.array([[0.0, 0.0], [0.0, top]]), "grid_x": np.linspace(-1.6, 1.6, 5),
            "grid_y": np.linspace(0.0, top, 5), "shown_missed": float(np.count_nonzero(~hit[:k])),
            "shown": float(k), "coverage": float(hit.mean()), "repetitions": float(p.reps),
            "t_quantile": q, "mean_width": float(np.mean(2 * half))}


@recipe("prob-sweep", SweepParams)
def prob_sweep(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """A probabilistic quantity against a knob: model evidence vs degree, estimator variance vs
    sample size, a sampler's efficiency vs its step."""
    if p.experiment == "evidence":
        return _evidence(p, rng)
    if p.experiment == "cramer-rao":
        return _cramer_rao(p, rng)
    if p.experiment == "gp-evidence":
        return _gp_evidence(p, rng)
    if p.experiment == "autocorrelation":
        return _autocorrelation(p, rng)
    if p.experiment == "r-hat":
        return _r_hat(p, rng)
    if p.experiment == "likelihood":
        return _likelihood(p, rng)
    if p.experiment == "stick-breaking":
        return _stick_breaking(p, rng)
    if p.experiment == "coverage":
        return _coverage(p, rng)
    return _rwm_scaling(p, rng)


# -- E9 the KL divergence over a plane of Gaussians ---------------------------------------------


class KLPlaneParams(Params):
    """KL between N(mu, sigma^2) and N(0, 1), both ways, on a grid of (mu, sigma)."""

    mu_max: float = Field(2.5, gt=0.1, le=20.0)
    sigma_min: float = Field(0.25, gt=0.01, le=1.0)
    sigma_max: float = Field(4.0, ge=1.0, le=50.0)
    cells: int = Field(11, ge=3, le=41, description="grid cells per side (odd keeps mu = 0, sigma = 1)")


@recipe("kl-plane", KLPlaneParams)
def kl_plane(p: KLPlaneParams, rng: np.random.Generator) -> Arrays:
    """``kl_qp`` = KL(N(mu, s^2) || N(0, 1)) and ``kl_pq`` = KL(N(0, 1) || N(mu, s^2)) in nats,
    rows = sigma (log-spaced, small at the top), columns = mu; ``qp_larger`` marks the cells where
    the first is the larger."""
    mus = np.linspace(-p.mu_max, p.mu_max, p.cells)
    sig = np.geomspace(p.sigma_min, p.sigma_max, p.cells)
    m, s = np.meshgrid(mus, sig)
    qp = 0.5 * (s**2 + m**2 - 1 - np.log(s**2))
    pq = 0.5 * ((1 + m**2) / s**2 - 1 + np.log(s**2))
    mid = p.cells // 2
    return {"kl_qp": qp, "kl_pq": pq, "qp_larger": qp > pq, "pq_larger": pq > qp,
            "mu": mus, "sigma": sig,
            "mu_labels": np.array([f"{v:g}" for v in np.round(mus, 2)]),
            "sigma_labels": np.array([f"{v:.2g}" for v in sig]),
            "centre_qp": float(qp[mid, mid]), "centre_pq": float(pq[mid, mid]),
            "narrow_qp": float(qp[0, mid]), "narrow_pq": float(pq[0, mid]),
            "wide_qp": float(qp[-1, mid]), "wide_pq": float(pq[-1, mid])}


# -- E4 expectation-maximisation for a Gaussian mixture ----------------------------------------


class EMParams(Params):
    """EM for a k-component Gaussian mixture on seeded 2-D clusters."""

    k: int = Field(3, ge=2, le=6)
    n_per: int = Field(80, ge=10, le=1000)
    iterations: int = Field(40, ge=1, le=500)
    spread: float = Field(3.0, gt=0.5, le=20.0, description="distance of cluster centres from the origin")
    grid: int = Field(121, ge=20, le=301)


@recipe("em-gmm", EMParams)
def em_gmm(p: EMParams, rng: np.random.Generator) -> Arrays:
    """EM (Dempster, Laird & Rubin 1977) for a full-covariance Gaussian mixture.

    Data: ``n_per`` points from each of ``k`` Gaussians with random covariances around a circle.
    The means start at ``k`` data points drawn at random.  Arrays: ``points``, ``labels`` (true
    cluster), ``mean_paths`` (k x iterations+1 x 2), ``log_lik`` per iteration, ``density`` (the
    final mixture on the grid), ``true_means``, ``mean_error`` (largest distance from a fitted
    mean to its nearest true mean, in cluster sds)."""
    angles = 2 * np.pi * (np.arange(p.k) / p.k + rng.uniform(0, 1 / p.k))
    centres = p.spread * np.stack([np.cos(angles), np.sin(angles)], 1)
    pts, labels = [], []
    for j in range(p.k):
        a = rng.normal(size=(2, 2)) * 0.5 + np.eye(2) * 0.6
        pts.append(centres[j] + rng.normal(size=(p.n_per, 2)) @ a.T)
        labels.append(np.full(p.n_per, j))
    x = np.concatenate(pts)
    n = x.shape[0]
    mu = x[rng.choice(n, p.k, replace=False)].copy()
    cov = np.repeat(np.cov(x.T)[None], p.k, 0)
    w = np.full(p.k, 1 / p.k)

    def log_comp(z: np.ndarray) -> np.ndarray:
        out = np.empty(z.shape[:-1] + (p.k,))
        for j in range(p.k):
            d = z - mu[j]
            inv = np.linalg.inv(cov[j])
            out[..., j] = (np.log(w[j]) - 0.5 * np.einsum("...i,ij,...j->...", d, inv, d)
                           - 0.5 * np.linalg.slogdet(cov[j])[1] - np.log(2 * np.pi))
        return out

    paths, ll = [mu.copy()], []
    for _ in range(p.iterations):
        lc = log_comp(x)
        tot = np.logaddexp.reduce(lc, axis=1)
        ll.append(float(tot.sum()))
        r = np.exp(lc - tot[:, None])
        nk = r.sum(0)
        w = nk / n
        mu = (r.T @ x) / nk[:, None]
        for j in range(p.k):
            d = x - mu[j]
            cov[j] = (r[:, j, None] * d).T @ d / nk[j] + 1e-6 * np.eye(2)
        paths.append(mu.copy())
    ll.append(float(np.logaddexp.reduce(log_comp(x), axis=1).sum()))
    lo, hi = x.min(0) - 1.0, x.max(0) + 1.0
    gx, gy = np.linspace(lo[0], hi[0], p.grid), np.linspace(lo[1], hi[1], p.grid)
    xx, yy = np.meshgrid(gx, gy)
    dens = np.exp(np.logaddexp.reduce(log_comp(np.stack([xx, yy], -1)), axis=-1))
    dist = np.linalg.norm(mu[:, None, :] - centres[None, :, :], axis=2)
    return {"points": x, "labels": np.concatenate(labels), "mean_paths": np.stack(paths, 1),
            "start_means": paths[0], "final_means": mu, "true_means": centres,
            "log_lik": np.array(ll), "iteration": np.arange(len(ll), dtype=float),
            "grid_x": gx, "grid_y": gy, "density": dens,
            "mean_error": float(dist.min(1).max() / 0.6),
            "distinct": float(len(set(np.argmin(dist, 1).tolist())))}
