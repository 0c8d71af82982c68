"""E1 closed-form curves of the generative family: one recipe, ``gen-curves``, whose ``curve``
parameter names a table entry.  Every entry evaluates exact formulas on a shared axis and
returns ``x``, the curves as named arrays (or a ``rows`` matrix for a family of curves) and the
scalars its plate's claims and notes quote.  Nothing here samples: the rng is never used.

* ``noise-schedules`` — DDPM's linear beta schedule against the cosine schedule: alpha-bar(t);
* ``wasserstein-js`` — two parallel segments at offset theta: W1 = |theta|, JS = log 2 (theta != 0);
* ``f-divergences`` — the generator functions f(u) of six f-divergences;
* ``tweedie`` — the posterior mean E[x | y] of a two-peaked prior by Tweedie's formula, and by
  direct quadrature of the posterior;
* ``rate-distortion`` — reverse water-filling over independent Gaussian components;
* ``posterior-collapse`` — a linear VAE's KL per latent at the maximum-likelihood solution;
* ``inverse-transform`` — a mixture's CDF with evenly spaced levels mapped to quantiles;
* ``truncation`` — a truncated standard normal latent: the variance kept and the resampling rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

Curve = Literal["noise-schedules", "wasserstein-js", "f-divergences", "tweedie",
                "rate-distortion", "posterior-collapse", "inverse-transform", "truncation"]


class GenCurveParams(Params):
    """Which closed form to evaluate, on how many points, with its few constants."""

    curve: Curve
    points: int = Field(401, ge=21, le=4001)
    steps: int = Field(1000, ge=10, le=10000, description="noise-schedules: T")
    beta_start: float = Field(1e-4, gt=0.0, le=0.1)
    beta_end: float = Field(0.02, gt=0.0, le=0.5)
    cosine_offset: float = Field(0.008, ge=0.0, le=0.5, description="noise-schedules: s")
    means: tuple[float, ...] = Field((-2.0, 2.0), min_length=1, max_length=8)
    sds: tuple[float, ...] = Field((0.4, 0.4), min_length=1, max_length=8)
    weights: tuple[float, ...] = Field((0.5, 0.5), min_length=1, max_length=8)
    noise_sd: float = Field(1.0, gt=0.0, le=10.0, description="tweedie: observation noise")
    variances: tuple[float, ...] = Field((4.0, 2.0, 1.0, 0.5, 0.25), min_length=1, max_length=8,
                                         description="rate-distortion / posterior-collapse")
    levels: int = Field(9, ge=2, le=40, description="inverse-transform: number of u levels")
    water_levels: tuple[float, ...] = Field((0.3, 0.8, 2.5), min_length=1, max_length=4,
                                            description="rate-distortion: levels drawn as bars")
    x_min: float = Field(-4.0, ge=-100.0, le=100.0)
    x_max: float = Field(4.0, ge=-100.0, le=100.0)


def _mixture_pdf(x: np.ndarray, means: np.ndarray, sds: np.ndarray, w: np.ndarray) -> np.ndarray:
    z = (x[..., None] - means) / sds
    return np.sum(w * np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * sds), axis=-1)


def _noise_schedules(p: GenCurveParams) -> Arrays:
    t = np.arange(p.steps + 1)
    beta = np.linspace(p.beta_start, p.beta_end, p.steps)
    lin = np.concatenate([[1.0], np.cumprod(1 - beta)])
    s = p.cosine_offset
    f = np.cos((t / p.steps + s) / (1 + s) * np.pi / 2) ** 2
    cos = f / f[0]
    frac = t / p.steps

    def tail(ab: np.ndarray) -> float:
        """Share of the steps spent with alpha-bar already below 1 %, nearly pure noise."""
        return float(np.mean(ab[1:] < 0.01))

    return {
        "x": frac, "linear": lin, "cosine": cos,
        "linear_tail": tail(lin), "cosine_tail": tail(cos),
        "linear_half": float(frac[np.argmax(lin < 0.5)]), "cosine_half": float(frac[np.argmax(cos < 0.5)]),
        "linear_end": float(lin[-1]), "cosine_end": float(cos[-1]), "steps": p.steps,
        "half_marker": 0.5,
    }


def _wasserstein_js(p: GenCurveParams) -> Arrays:
    theta = np.linspace(-1.0, 1.0, p.points | 1)  # odd: theta = 0 is a grid point
    w1 = np.abs(theta)
    js = np.where(np.isclose(theta, 0.0), 0.0, math.log(2))
    return {
        "x": theta, "w1": w1, "js": js, "log2": math.log(2),
        "js_off_zero": js[~np.isclose(theta, 0.0)], "w1_slope": float(np.polyfit(theta[theta > 0], w1[theta > 0], 1)[0]),
        "zero": np.array([0.0]), "js_zero": np.array([0.0]),
    }


def _f_divergences(p: GenCurveParams) -> Arrays:
    u = np.linspace(max(p.x_min, 1e-3), p.x_max, p.points)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = {
            "kl": u * np.log(u),
            "reverse_kl": -np.log(u),
            "pearson": (u - 1) ** 2,
            "hellinger": (np.sqrt(u) - 1) ** 2,
            "total_variation": 0.5 * np.abs(u - 1),
            "jensen_shannon": -(u + 1) * np.log((1 + u) / 2) + u * np.log(u),
        }
    at_one = np.array([fn(1.0) for fn in _F_AT.values()])
    second = np.array([np.min(np.diff(v, 2)) for v in table.values()])
    return {"x": u, **table, "f_at_one": at_one, "min_second_difference": second}


_F_AT: dict[str, Callable[[float], float]] = {
    "kl": lambda u: u * math.log(u), "reverse_kl": lambda u: -math.log(u),
    "pearson": lambda u: (u - 1) ** 2, "hellinger": lambda u: (math.sqrt(u) - 1) ** 2,
    "total_variation": lambda u: 0.5 * abs(u - 1),
    "jensen_shannon": lambda u: -(u + 1) * math.log((1 + u) / 2) + u * math.log(u),
}


def _tweedie(p: GenCurveParams) -> Arrays:
    means, sds, w = (np.asarray(v, float) for v in (p.means, p.sds, p.weights))
    w = w / w.sum()
    y = np.linspace(p.x_min, p.x_max, p.points)
    s2 = p.noise_sd**2
    var_y = sds**2 + s2
    comp = w * np.exp(-0.5 * (y[:, None] - means) ** 2 / var_y) / np.sqrt(2 * np.pi * var_y)
    py = comp.sum(axis=1)
    dpy = np.sum(comp * (means - y[:, None]) / var_y, axis=1)
    tweedie = y + s2 * dpy / py
    # Direct Bayes: integrate x p(x) N(y; x, s2) over a fine x grid.
    xs = np.linspace(min(p.x_min, means.min() - 6 * sds.max()), max(p.x_max, means.max() + 6 * sds.max()), 6001)
    prior = _mixture_pdf(xs, means, sds, w)
    like = np.exp(-0.5 * (y[:, None] - xs) ** 2 / s2)
    post = prior * like
    direct = (post @ xs) / post.sum(axis=1)
    pick = np.linspace(0, p.points - 1, 13).round().astype(int)
    return {
        "x": y, "posterior_mean": tweedie, "identity": y, "direct_y": y[pick], "direct": direct[pick],
        "max_gap": float(np.max(np.abs(tweedie - direct))),
        "prior_means": means, "noise_sd": p.noise_sd,
        "shrink_at_zero": float(np.abs(np.interp(0.0, y, tweedie))),
        "slope_between": float(np.max(np.gradient(tweedie, y))),
    }


def _rate_distortion(p: GenCurveParams) -> Arrays:
    var = np.sort(np.asarray(p.variances, float))[::-1]
    lam = np.geomspace(var.min() * 0.05, var.max(), p.points)
    d_i = np.minimum(lam[:, None], var)
    r_i = 0.5 * np.log(var / d_i)  # nats
    dist = d_i.sum(axis=1)
    rate = r_i.sum(axis=1)
    shown = np.asarray(p.water_levels)
    d_shown = np.minimum(shown[:, None], var)
    r_shown = 0.5 * np.log(var / d_shown)
    return {
        "x": dist, "rate": rate, "rows": r_i.T, "water_level": lam, "variances": var,
        "vocab": np.array([f"σ² = {_frac(v)}" for v in var]), "shown_levels": shown,
        "distortion_shown": d_shown, "variance_ticks": np.broadcast_to(var, d_shown.shape).copy(),
        "rate_shown": r_shown.sum(axis=1), "bits_shown": r_shown, "dropped": (r_shown == 0),
        "rate_total_all": np.concatenate([[np.nan], r_shown.sum(axis=1)]),
        "off_correct": float(np.all((r_i == 0) == (lam[:, None] >= var))),
        "single_check": float(np.max(np.abs(r_i[:, 0] - np.where(lam < var[0], 0.5 * np.log(var[0] / lam), 0.0)))),
        "rate_at_max_d": float(rate[-1]),
    }


def _frac(v: float) -> str:
    """A variance as a short label: 4, 2, 1, ½, ¼ (else 3 significant digits)."""
    return {0.5: "½", 0.25: "¼", 0.75: "¾"}.get(v, f"{v:g}")


def _posterior_collapse(p: GenCurveParams) -> Arrays:
    lam = np.sort(np.asarray(p.variances, float))[::-1]
    s2 = np.geomspace(lam.min() * 0.05, lam.max() * 4, p.points)
    kl = 0.5 * np.maximum(0.0, np.log(lam[None, :] / s2[:, None]))
    active = np.sum(lam[None, :] > s2[:, None], axis=1)
    return {
        "x": s2, "rows": kl.T, "total_kl": kl.sum(axis=1), "active": active.astype(float),
        "eigenvalues": lam, "collapse_exact": float(np.all((kl == 0) == (s2[:, None] >= lam[None, :]))),
        "eig_markers": lam,
    }


def _inverse_transform(p: GenCurveParams) -> Arrays:
    means, sds, w = (np.asarray(v, float) for v in (p.means, p.sds, p.weights))
    w = w / w.sum()
    x = np.linspace(p.x_min, p.x_max, p.points)
    fine = np.linspace(p.x_min, p.x_max, 40001)
    z = (fine[:, None] - means) / sds
    cdf_fine = np.sum(w * 0.5 * (1 + _erf(z / np.sqrt(2))), axis=1)
    cdf = np.interp(x, fine, cdf_fine)
    u = (np.arange(p.levels) + 0.5) / p.levels
    q = np.interp(u, cdf_fine, fine)
    dens = _mixture_pdf(x, means, sds, w)
    return {
        "x": x, "cdf": cdf, "density": dens / dens.max(), "u": u, "quantiles": q,
        "roundtrip": float(np.max(np.abs(np.interp(q, fine, cdf_fine) - u))),
        "levels": p.levels,
    }


def _erf(z: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf)(z)


def _truncation(p: GenCurveParams) -> Arrays:
    psi = np.linspace(0.05, 3.0, p.points)
    phi = np.exp(-0.5 * psi**2) / np.sqrt(2 * np.pi)
    mass = _erf(psi / np.sqrt(2))  # P(|z| < psi)
    var = 1 - 2 * psi * phi / mass
    return {
        "x": psi, "variance_kept": var, "resample_rate": 1 - mass,
        "var_at_half": float(np.interp(0.5, psi, var)), "rate_at_two": float(np.interp(2.0, psi, 1 - mass)),
    }


_CURVES: dict[str, Callable[[GenCurveParams], Arrays]] = {
    "noise-schedules": _noise_schedules, "wasserstein-js": _wasserstein_js,
    "f-divergences": _f_divergences, "tweedie": _tweedie, "rate-distortion": _rate_distortion,
    "posterior-collapse": _posterior_collapse, "inverse-transform": _inverse_transform,
    "truncation": _truncation,
}


@recipe("gen-curves", GenCurveParams)
def gen_curves(p: GenCurveParams, rng: np.random.Generator) -> Arrays:
    """Exact curves of one table entry (module docstring); the rng is not used."""
    return _CURVES[p.curve](p)
