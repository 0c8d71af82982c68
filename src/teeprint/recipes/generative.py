"""Recipes of the generative family: sampling, fitting and refitting distributions.

Every recipe here works with densities known in closed form, so the figure shows the exact
object (the noised marginal of a Gaussian mixture, the reverse-KL optimum, the refitted
Gaussian) rather than a network's approximation of it.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe


def mixture_logpdf(x: np.ndarray, means: np.ndarray, sds: np.ndarray,
                   weights: np.ndarray) -> np.ndarray:
    """Per-component log weight + log density, shape ``x.shape + (K,)``."""
    d = x[..., None] - means
    return np.log(weights) - 0.5 * np.log(2 * np.pi * sds**2) - 0.5 * (d / sds) ** 2


def _softmax_last(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


# -- diffusion ----------------------------------------------------------------------------------


class DiffusionParams(Params):
    """A 1-D Gaussian mixture, a DDPM linear schedule and ancestral sampling with the exact score."""

    means: tuple[float, ...] = (-2.0, 0.5, 2.5)
    sds: tuple[float, ...] = (0.25, 0.15, 0.3)
    weights: tuple[float, ...] = (0.3, 0.3, 0.4)
    steps: int = Field(500, ge=50, le=2000)
    beta_min: float = Field(1e-4, gt=0.0, le=0.01)
    beta_max: float = Field(0.04, gt=0.0, le=0.2)
    n_samples: int = Field(2000, ge=100, le=20000)
    n_paths: int = Field(40, ge=1, le=200)
    path_points_per_row: int = Field(4, ge=1, le=50)
    n_rows: int = Field(16, ge=3, le=40)
    log_snr_hi: float = Field(2.4, ge=0.0, le=6.0)
    log_snr_lo: float = Field(-2.8, ge=-6.0, le=0.0)
    x_min: float = Field(-4.0, ge=-20.0, le=0.0)
    x_max: float = Field(4.0, ge=0.0, le=20.0)
    grid: int = Field(401, ge=50, le=4001)

    @model_validator(mode="after")
    def _mixture(self) -> DiffusionParams:
        k = len(self.means)
        if not 1 <= k <= 8 or len(self.sds) != k or len(self.weights) != k:
            msg = "means, sds and weights need the same length, 1 to 8 components"
            raise ValueError(msg)
        if min(self.sds) <= 0 or min(self.weights) <= 0 or abs(sum(self.weights) - 1) > 1e-6:
            msg = "sds must be > 0 and weights > 0 summing to 1"
            raise ValueError(msg)
        if self.beta_max <= self.beta_min:
            msg = "beta_max must exceed beta_min"
            raise ValueError(msg)
        return self


def noised_mixture(abar: float, means: np.ndarray, sds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means and sds of q_t = the data mixture pushed through x_t = sqrt(abar) x_0 + sqrt(1-abar) z."""
    return np.sqrt(abar) * means, np.sqrt(abar * sds**2 + 1.0 - abar)


def mixture_score(x: np.ndarray, means: np.ndarray, sds: np.ndarray,
                  weights: np.ndarray) -> np.ndarray:
    """d/dx log p(x) of a Gaussian mixture: the responsibility-weighted component scores."""
    resp = _softmax_last(mixture_logpdf(x, means, sds, weights))
    return np.sum(resp * (means - x[..., None]) / sds**2, axis=-1)


@recipe("diffusion", DiffusionParams)
def diffusion(p: DiffusionParams, rng: np.random.Generator) -> Arrays:
    """DDPM ancestral sampling of a 1-D mixture with its exact, closed-form score.

    The noised marginal of a Gaussian mixture is again a Gaussian mixture, so the score that a
    network would have to learn is known exactly; sampling with it shows what a perfect
    denoiser does: particles start as white noise and fall into the data's modes in the right
    proportions (Ho et al. 2020; Song et al. 2021 draw the same picture).
    """
    means, sds, weights = (np.asarray(v, float) for v in (p.means, p.sds, p.weights))
    beta = np.linspace(p.beta_min, p.beta_max, p.steps)
    alpha = 1.0 - beta
    abar = np.concatenate([[1.0], np.cumprod(alpha)])  # index t = 0..T
    # Ridge times: evenly spaced in log signal-to-noise ratio, plus pure noise and clean data.
    with np.errstate(divide="ignore"):
        log_snr = np.log10(abar / (1.0 - abar))
    targets = np.linspace(p.log_snr_lo, p.log_snr_hi, p.n_rows - 2)
    inner = [int(np.argmin(np.abs(log_snr[1:] - v))) + 1 for v in targets]
    row_t = np.array(sorted({p.steps, *inner, 0}, reverse=True))
    # Path instants: a few per gap between ridges, so each thread is drawn at an even pace.
    frac = np.linspace(0.0, row_t.size - 1, (row_t.size - 1) * p.path_points_per_row + 1)
    path_t = np.unique(np.round(np.interp(frac, np.arange(row_t.size), row_t)).astype(int))[::-1]
    trail = np.empty((p.steps + 1, p.n_paths))
    x = rng.normal(size=p.n_samples)
    trail[p.steps] = x[: p.n_paths]
    for t in range(p.steps, 0, -1):
        m_t, s_t = noised_mixture(abar[t], means, sds)
        score = mixture_score(x, m_t, s_t, weights)
        noise = rng.normal(size=p.n_samples) if t > 1 else 0.0
        x = (x + beta[t - 1] * score) / np.sqrt(alpha[t - 1]) + np.sqrt(beta[t - 1]) * noise
        trail[t - 1] = x[: p.n_paths]
    paths = trail[path_t].T
    grid = np.linspace(p.x_min, p.x_max, p.grid)
    density = np.empty((row_t.size, grid.size))
    for r, t in enumerate(row_t):
        m_t, s_t = noised_mixture(abar[t], means, sds)
        density[r] = np.exp(mixture_logpdf(grid, m_t, s_t, weights)).sum(axis=-1)
    # Each path instant sits at a fractional ridge index (ridges run from t = T down to 0).
    path_rows = np.interp(-path_t.astype(float), -row_t.astype(float), np.arange(row_t.size))
    # What the sampler produced, scored against the data mixture (nearest component in z units).
    label = np.argmin(((x[:, None] - means) / sds) ** 2, axis=1)
    got_w = np.array([np.mean(label == k) for k in range(means.size)])
    got_sd = np.array([x[label == k].std() if np.any(label == k) else np.nan
                       for k in range(means.size)])
    got_mean = np.array([x[label == k].mean() if np.any(label == k) else np.nan
                         for k in range(means.size)])
    return {
        "x": grid,
        "density": density,
        "row_t": row_t,
        "row_alpha_bar": abar[row_t],
        "paths": paths,
        "path_t": path_t,
        "path_rows": path_rows,
        "samples": x,
        "data_means": means,
        "data_sds": sds,
        "data_weights": weights,
        "sample_weights": got_w,
        "sample_sds": got_sd,
        "sample_means": got_mean,
    }


# -- mode collapse ------------------------------------------------------------------------------


class ModeCollapseParams(Params):
    """Eight Gaussians on a ring; a diagonal Gaussian fitted to them by reverse and forward KL."""

    modes: int = Field(8, ge=2, le=16)
    radius: float = Field(2.0, gt=0.0, le=10.0)
    mode_sd: float = Field(0.15, gt=0.01, le=2.0)
    steps: int = Field(1000, ge=50, le=5000)
    batch: int = Field(256, ge=8, le=4096)
    lr: float = Field(0.05, gt=0.0, le=1.0)
    init_sd: float = Field(1.0, gt=0.01, le=10.0)
    init_mean_sd: float = Field(0.5, ge=0.0, le=5.0)
    rows: int = Field(36, ge=6, le=120)
    grid: int = Field(301, ge=50, le=2001)
    extent: float = Field(3.2, gt=0.0, le=30.0)


def ring_centres(modes: int, radius: float) -> np.ndarray:
    """The mode centres, evenly spaced on a circle, shape (K, 2)."""
    angle = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def ring_logpdf(pts: np.ndarray, centres: np.ndarray, sd: float) -> np.ndarray:
    """Log density of the equal-weight isotropic mixture at points (..., 2)."""
    d2 = np.sum((pts[..., None, :] - centres) ** 2, axis=-1)
    comp = -0.5 * d2 / sd**2 - np.log(2 * np.pi * sd**2) - np.log(len(centres))
    top = comp.max(axis=-1)
    return top + np.log(np.sum(np.exp(comp - top[..., None]), axis=-1))


def gauss2_pdf(pts: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Density of a diagonal 2-D Gaussian."""
    z = (pts - mean) / sd
    return np.exp(-0.5 * np.sum(z**2, axis=-1)) / (2 * np.pi * sd[0] * sd[1])


@recipe("mode-collapse", ModeCollapseParams)
def mode_collapse(p: ModeCollapseParams, rng: np.random.Generator) -> Arrays:
    """Reverse KL(q || p) seeks one mode; forward KL(p || q) covers them all (Bishop 2006, 10.1).

    q is a diagonal Gaussian.  The reverse-KL fit is trained with reparameterised Monte Carlo
    gradients and Adam from a random start near the centre; the forward-KL optimum is moment
    matching, known in closed form.  A GAN's generator that collapses onto a few modes is
    minimising something closer to the first.
    """
    centres = ring_centres(p.modes, p.radius)
    sd2 = p.mode_sd**2
    theta = np.concatenate([rng.normal(0.0, p.init_mean_sd, 2), np.log(np.full(2, p.init_sd))])
    m1 = np.zeros(4)
    m2 = np.zeros(4)
    b1, b2 = 0.9, 0.999
    trail = np.empty((p.steps + 1, 2))
    trail[0] = theta[:2]
    for it in range(1, p.steps + 1):
        mean, sd = theta[:2], np.exp(theta[2:])
        eps = rng.normal(size=(p.batch, 2))
        x = mean + sd * eps
        d = x[:, None, :] - centres
        resp = _softmax_last(-0.5 * np.sum(d**2, axis=-1) / sd2)
        grad_logp = np.sum(resp[:, :, None] * (-d / sd2), axis=1)
        # KL(q||p) = -E log p(m + s eps) - sum log s + const.
        grad = np.concatenate([-grad_logp.mean(axis=0), -(grad_logp * eps * sd).mean(axis=0) - 1.0])
        m1 = b1 * m1 + (1 - b1) * grad
        m2 = b2 * m2 + (1 - b2) * grad**2
        theta = theta - p.lr * (m1 / (1 - b1**it)) / (np.sqrt(m2 / (1 - b2**it)) + 1e-8)
        trail[it] = theta[:2]
    rev_mean, rev_sd = theta[:2], np.exp(theta[2:])
    fwd_mean = centres.mean(axis=0)
    fwd_sd = np.sqrt(np.mean((centres - fwd_mean) ** 2, axis=0) + sd2)
    # Slices for the ridge view: one horizontal cut of each density per row, back (top) to front.
    xs = np.linspace(-p.extent, p.extent, p.grid)
    ys = np.linspace(p.extent, -p.extent, p.rows)
    pts = np.stack(np.meshgrid(xs, ys), axis=-1)
    target = np.exp(ring_logpdf(pts, centres, p.mode_sd))
    reverse = gauss2_pdf(pts, rev_mean, rev_sd)
    forward = gauss2_pdf(pts, fwd_mean, fwd_sd)
    trail_rows = np.interp(trail[:, 1], ys[::-1], np.arange(p.rows)[::-1].astype(float))
    nearest = np.linalg.norm(centres - rev_mean, axis=1)
    return {
        "x": xs,
        "y": ys,
        "target": target,
        "reverse_kl": reverse,
        "forward_kl": forward,
        "centres": centres,
        "reverse_mean": rev_mean,
        "reverse_sd": rev_sd,
        "forward_mean": fwd_mean,
        "forward_sd": fwd_sd,
        "nearest_mode_distance": float(nearest.min()),
        "trail_x": trail[None, :, 0],
        "trail_rows": trail_rows[None, :],
    }


# -- model collapse -----------------------------------------------------------------------------


class ModelCollapseParams(Params):
    """Refit a Gaussian to its own samples, generation after generation."""

    n: int = Field(20, ge=2, le=10000)
    generations: int = Field(100, ge=2, le=2000)
    show_every: int = Field(10, ge=1, le=500)
    chains: int = Field(500, ge=10, le=5000)
    x_min: float = Field(-3.5, ge=-20.0, lt=0.0)
    x_max: float = Field(3.5, gt=0.0, le=20.0)
    grid: int = Field(561, ge=50, le=4001)


@recipe("model-collapse", ModelCollapseParams)
def model_collapse(p: ModelCollapseParams, rng: np.random.Generator) -> Arrays:
    """Each generation fits mu and sigma by maximum likelihood to n samples drawn from the last fit.

    The MLE variance is biased low and log-sigma takes a random walk with negative drift
    (about -1/(2n) per generation plus noise), so sigma shrinks geometrically in expectation and
    the tails vanish first (Shumailov et al. 2024).  One chain is drawn; many independent chains
    give the expectation.
    """
    g = p.generations
    mu = np.empty(g + 1)
    sigma = np.empty(g + 1)
    mu[0], sigma[0] = 0.0, 1.0
    draws = np.empty((g + 1, p.n))
    for k in range(g + 1):
        draws[k] = rng.normal(mu[k], sigma[k], p.n)
        if k < g:
            mu[k + 1], sigma[k + 1] = draws[k].mean(), draws[k].std()
    # Many independent chains at once, for the expected trajectory.
    c_mu = np.zeros(p.chains)
    c_sigma = np.ones(p.chains)
    log_sigma_mean = np.empty(g + 1)
    log_sigma_mean[0] = 0.0
    for k in range(1, g + 1):
        z = rng.normal(size=(p.chains, p.n))
        sample = c_mu[:, None] + c_sigma[:, None] * z
        c_mu, c_sigma = sample.mean(axis=1), sample.std(axis=1)
        log_sigma_mean[k] = np.mean(np.log(c_sigma))
    shown = np.arange(0, g + 1, p.show_every)
    if shown[-1] != g:
        shown = np.concatenate([shown, [g]])
    # A uniform grid plus points around every shown fit, so even a needle keeps its shape.
    local = (mu[shown, None] + sigma[shown, None] * np.linspace(-4.0, 4.0, 33)[None, :]).ravel()
    grid = np.linspace(p.x_min, p.x_max, p.grid)
    grid = np.unique(np.round(np.concatenate([grid, local[(local > p.x_min) & (local < p.x_max)]]), 9))
    z = (grid[None, :] - mu[shown, None]) / sigma[shown, None]
    density = np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * sigma[shown, None])
    return {
        "x": grid,
        "density": density,
        "reference": np.exp(-0.5 * grid**2) / np.sqrt(2 * np.pi),
        "generation": shown,
        "mu": mu,
        "sigma": sigma,
        "shown_sigma": sigma[shown],
        "shown_samples": draws[shown],
        "log_sigma_mean": log_sigma_mean,
        "expected_log_drift": float(np.mean(np.diff(log_sigma_mean))),
        "n": p.n,
    }


# -- a one-dimensional GAN ----------------------------------------------------------------------


class Gan1dParams(Params):
    """A Gaussian generator x = a z + b against a logistic discriminator on (x^2, x, 1)."""

    steps: int = Field(2000, ge=100, le=10000)
    batch: int = Field(64, ge=8, le=1024)
    lr_generator: float = Field(0.02, gt=0.0, le=1.0)
    lr_discriminator: float = Field(0.05, gt=0.0, le=1.0)
    beta1: float = Field(0.5, ge=0.0, lt=1.0)
    data_mean: float = Field(2.0, ge=-10.0, le=10.0)
    data_sd: float = Field(0.5, gt=0.0, le=5.0)
    start_mean: float = Field(-1.0, ge=-10.0, le=10.0)
    start_sd: float = Field(1.0, gt=0.0, le=5.0)
    rows: int = Field(17, ge=3, le=60)
    window: int = Field(500, ge=10, le=5000, description="last steps summarised by the claims")
    x_min: float = Field(-4.0, ge=-20.0, lt=0.0)
    x_max: float = Field(5.0, gt=0.0, le=20.0)
    grid: int = Field(451, ge=50, le=4001)


@recipe("gan-1d", Gan1dParams)
def gan_1d(p: Gan1dParams, rng: np.random.Generator) -> Arrays:
    """Goodfellow et al. (2014) in one dimension, trained by alternating Adam steps.

    The discriminator is logistic regression on (x^2, x, 1), rich enough to hold the exact
    log-ratio of two Gaussians; the generator takes the non-saturating loss -log D(G(z)).  Its
    mean finds the data's quickly; its spread keeps swinging, now collapsing towards a point,
    now overshooting, because the two players chase each other rather than settle.
    """
    a, b = p.start_sd, p.start_mean
    w = np.zeros(3)
    real = p.data_mean + p.data_sd * rng.normal(size=(p.steps, p.batch))
    noise = rng.normal(size=(p.steps, p.batch))
    mg, vg, md, vd = np.zeros(2), np.zeros(2), np.zeros(3), np.zeros(3)
    b1, b2 = p.beta1, 0.999
    hist = np.empty((p.steps + 1, 2))
    hist[0] = b, abs(a)
    ones = np.ones(p.batch)
    for t in range(1, p.steps + 1):
        xr, z = real[t - 1], noise[t - 1]
        xf = a * z + b
        fr = np.stack([xr * xr / 4, xr / 2, ones])
        ff = np.stack([xf * xf / 4, xf / 2, ones])
        sr = 1 / (1 + np.exp(-(w @ fr)))
        sf = 1 / (1 + np.exp(-(w @ ff)))
        gd = -(fr @ (1 - sr)) / p.batch + (ff @ sf) / p.batch  # -log D(real) - log(1 - D(fake))
        md = b1 * md + (1 - b1) * gd
        vd = b2 * vd + (1 - b2) * gd * gd
        w = w - p.lr_discriminator * (md / (1 - b1**t)) / (np.sqrt(vd / (1 - b2**t)) + 1e-8)
        sf = 1 / (1 + np.exp(-(w @ ff)))
        gx = -(1 - sf) * (w[0] * xf / 2 + w[1] / 2)  # d/dx of -log D(x) at the fakes
        gg = np.array([gx @ z, gx.sum()]) / p.batch
        mg = b1 * mg + (1 - b1) * gg
        vg = b2 * vg + (1 - b2) * gg * gg
        step = p.lr_generator * (mg / (1 - b1**t)) / (np.sqrt(vg / (1 - b2**t)) + 1e-8)
        a, b = a - step[0], b - step[1]
        hist[t] = b, abs(a)
    shown = np.unique(np.round(np.linspace(0, p.steps, p.rows)).astype(int))
    grid = np.linspace(p.x_min, p.x_max, p.grid)
    means, sds = hist[shown, 0], np.maximum(hist[shown, 1], 1e-3)
    # A uniform grid plus points around every shown fit, so a narrow spike keeps its shape.
    local = (means[:, None] + sds[:, None] * np.linspace(-4.0, 4.0, 33)[None, :]).ravel()
    grid = np.unique(np.round(np.concatenate([grid, local[(local > p.x_min) & (local < p.x_max)]]), 9))
    zz = (grid[None, :] - means[:, None]) / sds[:, None]
    density = np.exp(-0.5 * zz**2) / (np.sqrt(2 * np.pi) * sds[:, None])
    data = np.exp(-0.5 * ((grid - p.data_mean) / p.data_sd) ** 2) / (np.sqrt(2 * np.pi) * p.data_sd)
    last = hist[-p.window:]
    return {
        "x": grid, "density": density, "data": data, "step": shown.astype(float),
        "shown_mean": means, "shown_sd": hist[shown, 1], "mean_path": hist[:, 0], "sd_path": hist[:, 1],
        "window_mean": float(last[:, 0].mean()), "window_sd_min": float(last[:, 1].min()),
        "window_sd_max": float(last[:, 1].max()), "data_mean": p.data_mean, "data_sd": p.data_sd,
        "start_mean": p.start_mean,
    }
