"""Recipes of the probabilistic family: posteriors that can be written down."""

from __future__ import annotations

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
