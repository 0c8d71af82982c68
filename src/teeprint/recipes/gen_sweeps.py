"""E2 sweeps of the generative family: one recipe, ``gen-sweep``, whose ``experiment`` names a
seeded numpy experiment run across a knob, with repeats summarised as a median and a 10-90 %
band, and (where one exists) the exact curve it should follow:

* ``iwae`` — the importance-weighted bound log (1/k) sum w against k, for a conjugate Gaussian
  model with a deliberately poor proposal; the ELBO (k = 1) and log p(x) are exact;
* ``mmd`` — the unbiased MMD^2 estimate between two Gaussian samples against their mean shift,
  with the exact population MMD^2 for a Gaussian kernel;
* ``precision-recall`` — k-nearest-neighbour precision and recall of a sampler whose spread
  around the data's modes is scaled by a temperature;
* ``nce`` — noise-contrastive estimation of an unnormalised Gaussian log density (with its
  normalising constant as a free parameter), fitted by Newton's method on the logistic loss;
* ``slerp`` — norms along linear and spherical interpolations between pairs of 512-d normal
  draws;
* ``reparam`` — per-sample variance of the score-function and the reparameterisation gradient
  estimators of d/d mu E[x^2], x ~ N(mu, 1);
* ``accumulate`` — a Gaussian refitted by maximum likelihood, generation after generation, to
  ``samples`` draws of the previous fit that either replace the data or are added to all the
  data so far (the real draws included); the spread sigma per generation over ``repeats`` chains.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

Experiment = Literal["iwae", "mmd", "precision-recall", "nce", "slerp", "reparam", "accumulate"]


class GenSweepParams(Params):
    """Which experiment, how many repeats and samples, and its knob's range."""

    experiment: Experiment
    repeats: int = Field(200, ge=5, le=2000)
    samples: int = Field(400, ge=20, le=20000)
    knob_points: int = Field(11, ge=3, le=40)
    knob_min: float = Field(0.0, ge=0.0, le=100.0)
    knob_max: float = Field(2.0, gt=0.0, le=1000.0)
    dim: int = Field(2, ge=1, le=2048)
    bandwidth: float = Field(1.0, gt=0.0, le=10.0, description="mmd: Gaussian kernel length")
    neighbours: int = Field(3, ge=1, le=20, description="precision-recall: k")
    observed: float = Field(2.0, ge=-10.0, le=10.0, description="iwae: the observed x")
    proposal_mean: float = Field(0.3, ge=-10.0, le=10.0, description="iwae: q's mean")
    proposal_sd: float = Field(1.2, gt=0.0, le=10.0, description="iwae: q's sd")
    generations: int = Field(100, ge=2, le=1000, description="accumulate: refits")


def _band(runs: np.ndarray) -> dict[str, np.ndarray]:
    return {"median": np.median(runs, axis=0), "lo": np.quantile(runs, 0.1, axis=0),
            "hi": np.quantile(runs, 0.9, axis=0)}


def _log_normal(x: np.ndarray | float, m: np.ndarray | float, v: float) -> np.ndarray:
    return -0.5 * np.log(2 * np.pi * v) - 0.5 * (np.asarray(x) - m) ** 2 / v


def _iwae(p: GenSweepParams, rng: np.random.Generator) -> Arrays:
    """z ~ N(0, 1), x | z ~ N(z, 1); q(z) = N(m, s^2).  IWAE_k = E log mean_k p(x, z)/q(z)."""
    x, m, s = p.observed, p.proposal_mean, p.proposal_sd
    ks = 2 ** np.arange(0, p.knob_points)
    log_px = float(_log_normal(x, 0.0, 2.0))
    pm, pv = x / 2, 0.5  # exact posterior
    kl = math.log(math.sqrt(pv) / s) + (s**2 + (m - pm) ** 2) / (2 * pv) - 0.5
    runs = np.empty((p.repeats, ks.size))
    for j, k in enumerate(ks):
        z = m + s * rng.normal(size=(p.repeats, int(k)))
        logw = _log_normal(z, 0.0, 1.0) + _log_normal(x, z, 1.0) - _log_normal(z, m, s**2)
        top = logw.max(axis=1, keepdims=True)
        runs[:, j] = (top + np.log(np.mean(np.exp(logw - top), axis=1, keepdims=True)))[:, 0]
    b = _band(runs)
    mean = runs.mean(axis=0)
    se = runs.std(axis=0) / math.sqrt(p.repeats)
    return {"k": ks.astype(float), "bound": mean, "band_lo": b["lo"], "band_hi": b["hi"],
            "log_px": log_px, "log_px_line": np.full(ks.size, log_px), "elbo": log_px - kl,
            "elbo_error": float(abs(mean[0] - (log_px - kl)) / se[0]),
            "gap_first": float(log_px - mean[0]), "gap_last": float(log_px - mean[-1]),
            "max_excess": float(np.max(mean - log_px)), "k_max": float(ks[-1])}


def _mmd(p: GenSweepParams, rng: np.random.Generator) -> Arrays:
    shifts = np.linspace(p.knob_min, p.knob_max, p.knob_points)
    n, d, ell = p.samples, p.dim, p.bandwidth

    def gram(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d2 = np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None, :] - 2 * a @ b.T
        return np.exp(-0.5 * d2 / ell**2)

    runs = np.empty((p.repeats, shifts.size))
    for j, delta in enumerate(shifts):
        for r in range(p.repeats):
            xs = rng.normal(size=(n, d))
            ys = rng.normal(size=(n, d))
            ys[:, 0] += delta
            kxx, kyy, kxy = gram(xs, xs), gram(ys, ys), gram(xs, ys)
            np.fill_diagonal(kxx, 0.0)
            np.fill_diagonal(kyy, 0.0)
            runs[r, j] = kxx.sum() / (n * (n - 1)) + kyy.sum() / (n * (n - 1)) - 2 * kxy.mean()
    c = (ell**2 / (ell**2 + 2)) ** (d / 2)
    exact = 2 * c * (1 - np.exp(-(shifts**2) / (2 * (ell**2 + 2))))
    b = _band(runs)
    return {"shift": shifts, "mmd2": b["median"], "band_lo": b["lo"], "band_hi": b["hi"],
            "exact": exact, "inside_band": float(np.mean((exact >= b["lo"]) & (exact <= b["hi"]))),
            "at_zero": float(abs(b["median"][0])), "max_abs_error": float(np.max(np.abs(b["median"] - exact))),
            "samples": n}


def _sqdist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None, :] - 2 * a @ b.T, 0.0)


def _knn_radius(a: np.ndarray, k: int) -> np.ndarray:
    d2 = _sqdist(a, a)
    np.fill_diagonal(d2, 0.0)
    return np.sqrt(np.partition(d2, k, axis=1)[:, k])  # index 0 is the point itself


def _inside(pts: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    return np.any(_sqdist(pts, centres) <= radii[None] ** 2, axis=1)


def _precision_recall(p: GenSweepParams, rng: np.random.Generator) -> Arrays:
    temps = np.geomspace(max(p.knob_min, 0.05), p.knob_max, p.knob_points)
    modes = 2.0 * np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    sd = 0.3
    prec = np.empty((p.repeats, temps.size))
    rec = np.empty((p.repeats, temps.size))
    for r in range(p.repeats):
        real = modes[rng.integers(0, 4, p.samples)] + sd * rng.normal(size=(p.samples, 2))
        r_real = _knn_radius(real, p.neighbours)
        for j, t in enumerate(temps):
            fake = modes[rng.integers(0, 4, p.samples)] + t * sd * rng.normal(size=(p.samples, 2))
            prec[r, j] = np.mean(_inside(fake, real, r_real))
            rec[r, j] = np.mean(_inside(real, fake, _knn_radius(fake, p.neighbours)))
    pb, rb = _band(prec), _band(rec)
    one = int(np.argmin(np.abs(np.log(temps))))
    return {"temperature": temps, "precision": pb["median"], "recall": rb["median"],
            "precision_lo": pb["lo"], "precision_hi": pb["hi"], "recall_lo": rb["lo"],
            "recall_hi": rb["hi"], "at_one": np.array([pb["median"][one], rb["median"][one]]),
            "temperature_one": float(temps[one])}


def _nce(p: GenSweepParams, rng: np.random.Generator) -> Arrays:
    mu, sd, noise_sd = 1.0, 0.6, 2.0
    n = p.samples
    data = mu + sd * rng.normal(size=n)
    noise = noise_sd * rng.normal(size=n)
    xs = np.concatenate([data, noise])
    ys = np.concatenate([np.ones(n), np.zeros(n)])
    feats = np.stack([xs**2, xs, np.ones_like(xs)], axis=1)
    offset = -_log_normal(xs, 0.0, noise_sd**2)
    theta = np.array([-0.5 / noise_sd**2, 0.0, float(_log_normal(0.0, 0.0, noise_sd**2))])
    for _ in range(50):  # Newton's method on the logistic loss (convex)
        logit = feats @ theta + offset
        prob = 1 / (1 + np.exp(-logit))
        grad = feats.T @ (prob - ys)
        hess = feats.T @ (feats * (prob * (1 - prob))[:, None]) + 1e-9 * np.eye(3)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.max(np.abs(step)) < 1e-12:
            break
    grid = np.linspace(-4.0, 5.0, 361)
    learned = feats_at(grid) @ theta
    true = _log_normal(grid, mu, sd**2)
    c_true = -mu**2 / (2 * sd**2) - 0.5 * math.log(2 * math.pi * sd**2)
    dens = np.exp(learned)
    return {"x": grid, "learned": learned, "true": true, "noise": _log_normal(grid, 0.0, noise_sd**2),
            "c": float(theta[2]), "c_true": c_true, "mass": float(np.sum(dens) * (grid[1] - grid[0])),
            "max_density_error": float(np.max(np.abs(dens - np.exp(true)))),
            "fitted_sd": float(math.sqrt(-0.5 / theta[0])) if theta[0] < 0 else float("nan"),
            "fitted_mean": float(-theta[1] / (2 * theta[0])) if theta[0] < 0 else float("nan")}


def feats_at(x: np.ndarray) -> np.ndarray:
    """The NCE model's features (x^2, x, 1)."""
    return np.stack([x**2, x, np.ones_like(x)], axis=1)


def _slerp(p: GenSweepParams, rng: np.random.Generator) -> Arrays:
    t = np.linspace(0.0, 1.0, 101)
    d = p.dim
    a = rng.normal(size=(p.repeats, d))
    b = rng.normal(size=(p.repeats, d))
    lerp = (1 - t)[None, :, None] * a[:, None] + t[None, :, None] * b[:, None]
    cos = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    om = np.arccos(np.clip(cos, -1, 1))[:, None]
    wa = np.sin((1 - t)[None] * om) / np.sin(om)
    wb = np.sin(t[None] * om) / np.sin(om)
    slerp = wa[..., None] * a[:, None] + wb[..., None] * b[:, None]
    ln = np.linalg.norm(lerp, axis=-1) / math.sqrt(d)
    sn = np.linalg.norm(slerp, axis=-1) / math.sqrt(d)
    lb, sb = _band(ln), _band(sn)
    return {"t": t, "lerp": lb["median"], "lerp_lo": lb["lo"], "lerp_hi": lb["hi"],
            "slerp": sb["median"], "slerp_lo": sb["lo"], "slerp_hi": sb["hi"],
            "shell": np.ones_like(t), "lerp_mid": float(lb["median"][50]),
            "slerp_max_dev": float(np.max(np.abs(sb["median"] - 1))), "dim": d,
            "half_root": 1 / math.sqrt(2)}


def _reparam(p: GenSweepParams, rng: np.random.Generator) -> Arrays:
    mus = np.linspace(p.knob_min, p.knob_max, p.knob_points)
    sf_var, rp_var = np.empty(mus.size), np.empty(mus.size)
    sf_mean, rp_mean = np.empty(mus.size), np.empty(mus.size)
    for j, mu in enumerate(mus):
        eps = rng.normal(size=p.samples)
        x = mu + eps
        sf = x**2 * eps  # f(x) d/dmu log N(x; mu, 1)
        rp = 2 * x  # d/dmu f(mu + eps)
        sf_var[j], rp_var[j] = sf.var(), rp.var()
        sf_mean[j], rp_mean[j] = sf.mean(), rp.mean()
    exact_sf = mus**4 + 14 * mus**2 + 15  # E[x^4 eps^2] - (2 mu)^2 = mu^4 + 18 mu^2 + 15 - 4 mu^2
    return {"mu": mus, "score_function": sf_var, "reparameterised": rp_var, "exact_sf": exact_sf,
            "exact_rp": np.full(mus.size, 4.0), "ratio_min": float(np.min(sf_var / rp_var)),
            "rp_error": float(np.max(np.abs(rp_var / 4 - 1))),
            "sf_error": float(np.max(np.abs(sf_var / exact_sf - 1))),
            "rp_bias": float(np.max(np.abs(rp_mean - 2 * mus))), "samples": p.samples}


def _accumulate(p: GenSweepParams, rng: np.random.Generator) -> Arrays:
    n, g, c = p.samples, p.generations, p.repeats
    real = rng.normal(size=(c, n))
    # Replace: each generation sees only n draws of the previous fit.
    mu_r, sd_r = real.mean(1), real.std(1)
    # Accumulate: running sums over every draw so far (real first).
    s1, s2, count = real.sum(1), (real**2).sum(1), float(n)
    mu_a, sd_a = mu_r.copy(), sd_r.copy()
    log_r, log_a = np.empty((g + 1, c)), np.empty((g + 1, c))
    log_r[0] = log_a[0] = np.log(sd_r)
    for k in range(1, g + 1):
        x = mu_r[:, None] + sd_r[:, None] * rng.normal(size=(c, n))
        mu_r, sd_r = x.mean(1), x.std(1)
        y = mu_a[:, None] + sd_a[:, None] * rng.normal(size=(c, n))
        s1, s2, count = s1 + y.sum(1), s2 + (y**2).sum(1), count + n
        mu_a = s1 / count
        sd_a = np.sqrt(np.maximum(s2 / count - mu_a**2, 1e-300))
        log_r[k], log_a[k] = np.log(sd_r), np.log(sd_a)
    rep, acc = np.exp(np.median(log_r, 1)), np.exp(np.median(log_a, 1))
    return {"generation": np.arange(g + 1, dtype=float), "replace": rep, "accumulate": acc,
            "replace_lo": np.exp(np.quantile(log_r, 0.1, 1)), "replace_hi": np.exp(np.quantile(log_r, 0.9, 1)),
            "accumulate_lo": np.exp(np.quantile(log_a, 0.1, 1)),
            "accumulate_hi": np.exp(np.quantile(log_a, 0.9, 1)),
            "replace_end": float(rep[-1]), "accumulate_end": float(acc[-1]),
            "accumulate_min": float(acc.min()), "samples": n, "generations": g}


_EXPERIMENTS: dict[str, Callable[[GenSweepParams, np.random.Generator], Arrays]] = {
    "iwae": _iwae, "mmd": _mmd, "precision-recall": _precision_recall, "nce": _nce,
    "slerp": _slerp, "reparam": _reparam, "accumulate": _accumulate,
}


@recipe("gen-sweep", GenSweepParams)
def gen_sweep(p: GenSweepParams, rng: np.random.Generator) -> Arrays:
    """A seeded experiment across a knob (module docstring)."""
    return _EXPERIMENTS[p.experiment](p, rng)
