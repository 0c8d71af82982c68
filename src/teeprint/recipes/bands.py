"""E13 fits with bands: 1-D regression fits with uncertainty or interval bands over seeded data.

One recipe, ``band``: a seeded 1-D data set (``data``) and a fitting ``method`` that returns a
fit on a dense grid, usually with a band (``band_lo``/``band_hi``, drawn by curve-vs-scale's
band layer) and the scalars the plate quotes.  Methods:

* ``bayes-ridge`` — Bayesian linear regression on Gaussian bumps: posterior mean (= the ridge
  solution at lambda = noise^2 / prior^2) and the +-2 sd predictive band;
* ``smoothing-spline`` — cubic smoothing splines (exact integral of f''^2) at three penalties,
  with their effective degrees of freedom and Wahba's +-2 sd band for the middle one;
* ``noise-tikhonov`` — a polynomial trained on input-noise-augmented copies beside the fit with
  Bishop's equivalent derivative penalty, and the unregularised fit;
* ``mc-dropout`` — a small ReLU network trained with dropout, predictive mean +-2 sd over
  dropout masks at test time;
* ``bootstrap`` — bagged polynomial fits, the 5-95 % band of the bootstrap replicates;
* ``conformal`` — split-conformal interval around a polynomial fit, with its empirical coverage;
* ``tv-denoise`` — total-variation denoising of a piecewise-constant signal (exact, by projected
  Newton-free dual descent) beside quadratic smoothing with the same residual.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

F = np.ndarray


class BandParams(Params):
    """A 1-D data set, a fitting method and its knobs."""

    method: Literal["bayes-ridge", "smoothing-spline", "noise-tikhonov", "mc-dropout", "bootstrap",
                    "conformal", "tv-denoise"]
    data: Literal["sine-gap", "sine", "wiggle", "steps"] = "sine-gap"
    n: int = Field(40, ge=8, le=2000)
    noise: float = Field(0.2, ge=0.01, le=2.0)
    grid: int = Field(200, ge=20, le=1000)
    x_range: tuple[float, float] = (-1.0, 1.0)
    grid_range: tuple[float, float] | None = Field(None, description="where the fit is drawn")
    penalty: float = Field(1e-2, gt=0.0, le=1e6, description="ridge / spline / Tikhonov strength")
    penalties: tuple[float, float, float] = Field((1e-6, 1e-3, 1.0), description="smoothing-spline")
    features: int = Field(30, ge=2, le=200, description="bumps, knots or polynomial degree + 1")
    width: float = Field(0.15, gt=0.0, le=2.0, description="Gaussian bump width")
    input_noise: float = Field(0.1, ge=0.0, le=1.0, description="noise-tikhonov: input noise sd")
    copies: int = Field(200, ge=1, le=2000, description="noise-tikhonov: noisy copies per point")
    hidden: int = Field(50, ge=4, le=256)
    dropout: float = Field(0.2, ge=0.0, lt=1.0, description="mc-dropout: drop probability")
    steps: int = Field(1500, ge=10, le=20000)
    lr: float = Field(0.01, gt=0.0, le=1.0)
    samples: int = Field(200, ge=2, le=5000, description="dropout masks / bootstrap replicates")
    coverage: float = Field(0.9, gt=0.0, lt=1.0, description="conformal: target coverage")


def _truth(kind: str, x: F) -> F:
    if kind == "steps":
        return np.select([x < -0.5, x < 0.1, x < 0.45], [0.0, 1.0, -0.6], 0.4)
    if kind == "wiggle":
        return np.sin(4 * x) + 0.5 * np.sin(11 * x)
    return np.sin(3 * x)


def make_data(p: BandParams, rng: np.random.Generator) -> tuple[F, F]:
    """Seeded inputs (with a gap in the middle for ``sine-gap``) and noisy targets."""
    lo, hi = p.x_range
    if p.data == "sine-gap":
        span = hi - lo
        half = p.n // 2
        x = np.concatenate([rng.uniform(lo + 0.05 * span, lo + 0.35 * span, half),
                            rng.uniform(hi - 0.35 * span, hi - 0.05 * span, p.n - half)])
    elif p.data == "steps":
        x = np.linspace(lo, hi, p.n)
    else:
        x = rng.uniform(lo, hi, p.n)
    x = np.sort(x)
    return x, _truth(p.data, x) + p.noise * rng.normal(size=p.n)


def _bumps(x: F, centres: F, width: float) -> F:
    return np.exp(-0.5 * ((x[:, None] - centres[None, :]) / width) ** 2)


def _bayes_ridge(p: BandParams, x: F, y: F, g: F, rng: np.random.Generator) -> Arrays:
    lo, hi = p.x_range
    centres = np.linspace(lo, hi, p.features)
    phi, phig = _bumps(x, centres, p.width), _bumps(g, centres, p.width)
    lam = p.penalty
    a = phi.T @ phi + lam * np.eye(p.features)
    w = np.linalg.solve(a, phi.T @ y)
    # the same weights as a Bayesian posterior mean: prior N(0, tau^2 I), noise sigma^2,
    # lambda = sigma^2 / tau^2; covariance sigma^2 A^-1
    sigma2 = p.noise**2
    cov = sigma2 * np.linalg.inv(a)
    mean = phig @ w
    sd = np.sqrt(np.einsum("ij,jk,ik->i", phig, cov, phig) + sigma2)
    post_mean = np.linalg.solve(phi.T @ phi / sigma2 + np.eye(p.features) / (sigma2 / lam),
                                phi.T @ y / sigma2)
    return {"fit": mean, "band_lo": mean - 2 * sd, "band_hi": mean + 2 * sd, "sd": sd,
            "posterior_vs_ridge": float(np.max(np.abs(post_mean - w))),
            "sd_in_data": float(np.median(sd[_near(g, x)])),
            "sd_in_gap": float(np.median(sd[~_near(g, x)])) if np.any(~_near(g, x)) else math.nan}


def _near(g: F, x: F, frac: float = 0.03) -> F:
    span = float(g.max() - g.min())
    return np.min(np.abs(g[:, None] - x[None, :]), axis=1) < frac * span


def _spline_basis(x: F, knots: F) -> F:
    return np.hstack([np.vander(x, 4, increasing=True), np.maximum(x[:, None] - knots[None, :], 0.0) ** 3])


def _spline_penalty(knots: F, lo: float, hi: float) -> F:
    """Exact integral of f''(x)^2 for the truncated-power cubic basis (f'' is piecewise linear,
    so two-point Gauss-Legendre on every piece is exact)."""
    edges = np.unique(np.concatenate([[lo, hi], knots[(knots > lo) & (knots < hi)]]))
    gpts, gw = np.polynomial.legendre.leggauss(2)
    k = 4 + knots.size
    pen = np.zeros((k, k))
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        xs = 0.5 * (b - a) * gpts + 0.5 * (a + b)
        d2 = np.zeros((2, k))
        d2[:, 2] = 2.0
        d2[:, 3] = 6.0 * xs
        d2[:, 4:] = 6.0 * np.maximum(xs[:, None] - knots[None, :], 0.0)
        pen += (d2.T * (0.5 * (b - a) * gw)) @ d2
    return pen


def _smoothing_spline(p: BandParams, x: F, y: F, g: F, rng: np.random.Generator) -> Arrays:
    lo, hi = p.x_range
    knots = np.quantile(x, np.linspace(0, 1, p.features + 2)[1:-1])
    scale = hi - lo
    b, bg = _spline_basis((x - lo) / scale, (knots - lo) / scale), _spline_basis((g - lo) / scale, (knots - lo) / scale)
    pen = _spline_penalty((knots - lo) / scale, 0.0, 1.0)
    out: Arrays = {}
    btb = b.T @ b
    for name, lam in zip(("rough", "middle", "smooth"), p.penalties, strict=True):
        a = btb + lam * len(x) * pen + 1e-10 * np.eye(btb.shape[0])
        coef = np.linalg.solve(a, b.T @ y)
        hat = b @ np.linalg.solve(a, b.T)
        out[f"fit_{name}"] = bg @ coef
        out[f"df_{name}"] = float(np.trace(hat))
        out[f"rss_{name}"] = float(np.sum((b @ coef - y) ** 2))
        if name == "middle":
            sigma2 = out["rss_middle"] / max(len(x) - out["df_middle"], 1.0)
            var = sigma2 * np.einsum("ij,jk,ik->i", bg, np.linalg.inv(a), bg)
            out["fit"] = out["fit_middle"]
            out["band_lo"] = out["fit"] - 2 * np.sqrt(var)
            out["band_hi"] = out["fit"] + 2 * np.sqrt(var)
            out["truth_inside"] = float(np.mean((_truth(p.data, g) >= out["band_lo"])
                                                & (_truth(p.data, g) <= out["band_hi"])))
    out["curvature_rough"] = float(np.sum(np.diff(out["fit_rough"], 2) ** 2))
    out["curvature_smooth"] = float(np.sum(np.diff(out["fit_smooth"], 2) ** 2))
    return out


def _poly(x: F, deg: int) -> F:
    return np.polynomial.legendre.legvander(x, deg)


def _noise_tikhonov(p: BandParams, x: F, y: F, g: F, rng: np.random.Generator) -> Arrays:
    """Training with input noise against the derivative (Tikhonov) penalty it approximates.

    Bishop (1995): for small input noise sd s, E[(f(x + e) - y)^2] ~ (f(x) - y)^2 + s^2 (f'(x)^2
    + (f(x) - y) f''(x)); near the least-squares fit the second term averages out, leaving the
    Tikhonov penalty s^2 sum f'(x_i)^2.  Both are solved exactly as least squares.
    """
    deg = p.features - 1
    lo, hi = p.x_range
    u = lambda v: (2 * v - lo - hi) / (hi - lo)  # noqa: E731  - to [-1, 1]
    v = _poly(u(x), deg)
    xn = (x[None, :] + p.input_noise * rng.normal(size=(p.copies, x.size))).ravel()
    vn = _poly(u(xn), deg)
    yn = np.tile(y, p.copies)
    w_noise = np.linalg.lstsq(vn, yn, rcond=None)[0]
    eye = np.eye(deg + 1)
    d = np.stack([np.polynomial.legendre.legval(u(x), np.polynomial.legendre.legder(eye[k]))
                  for k in range(deg + 1)], 1) * 2 / (hi - lo)
    a = v.T @ v + p.input_noise**2 * d.T @ d
    w_tik = np.linalg.solve(a, v.T @ y)
    w_ls = np.linalg.lstsq(v, y, rcond=None)[0]
    vg = _poly(u(g), deg)
    f_noise, f_tik, f_ls = vg @ w_noise, vg @ w_tik, vg @ w_ls
    return {"fit": f_noise, "fit_tikhonov": f_tik, "fit_plain": f_ls,
            "gap_noise_tikhonov": float(np.max(np.abs(f_noise - f_tik))),
            "gap_noise_plain": float(np.max(np.abs(f_noise - f_ls))),
            "wiggle_plain": float(np.sum(np.diff(f_ls, 2) ** 2)),
            "wiggle_noise": float(np.sum(np.diff(f_noise, 2) ** 2))}


def _mc_dropout(p: BandParams, x: F, y: F, g: F, rng: np.random.Generator) -> Arrays:
    """A 1-hidden-layer ReLU net trained with (inverted) dropout by full-batch Adam; at test
    time dropout stays on and ``samples`` masks give the predictive mean and spread."""
    h = p.hidden
    w1 = rng.normal(0, 1.0, (1, h))
    b1 = rng.uniform(-1, 1, h)
    w2 = rng.normal(0, 1 / math.sqrt(h), (h, 1))
    b2 = np.zeros(1)
    params = [w1, b1, w2, b2]
    m = [np.zeros_like(q) for q in params]
    v = [np.zeros_like(q) for q in params]
    keep = 1 - p.dropout
    xc, yc = x[:, None], y[:, None]
    for t in range(1, p.steps + 1):
        w1, b1, w2, b2 = params
        z = xc @ w1 + b1
        a = np.maximum(z, 0.0)
        mask = (rng.uniform(size=a.shape) < keep) / keep
        am = a * mask
        out = am @ w2 + b2
        d = 2 * (out - yc) / len(x)
        gw2, gb2 = am.T @ d, d.sum(0)
        da = (d @ w2.T) * mask * (z > 0)
        grads = [xc.T @ da, da.sum(0), gw2, gb2]
        for i, gq in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * gq
            v[i] = 0.999 * v[i] + 0.001 * gq**2
            params[i] = params[i] - p.lr * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8)
    w1, b1, w2, b2 = params
    a = np.maximum(g[:, None] @ w1 + b1, 0.0)
    masks = (rng.uniform(size=(p.samples, 1, h)) < keep) / keep
    preds = ((a[None] * masks) @ w2)[..., 0] + b2[0]
    mean, sd = preds.mean(0), preds.std(0)
    near = _near(g, x)
    return {"fit": mean, "band_lo": mean - 2 * sd, "band_hi": mean + 2 * sd, "sd": sd,
            "fit_no_dropout": (a @ w2)[:, 0] + b2[0],
            "sd_in_data": float(np.median(sd[near])),
            "sd_away": float(np.median(sd[~near])) if np.any(~near) else math.nan,
            "sd_outside": float(np.median(sd[(g < x.min() - 0.5) | (g > x.max() + 0.5)]))
            if np.any((g < x.min() - 0.5) | (g > x.max() + 0.5)) else math.nan,
            "train_rmse": float(np.sqrt(np.mean((np.interp(x, g, mean) - y) ** 2)))}


def _bootstrap(p: BandParams, x: F, y: F, g: F, rng: np.random.Generator) -> Arrays:
    deg = p.features - 1
    lo, hi = p.x_range
    u = lambda v: (2 * v - lo - hi) / (hi - lo)  # noqa: E731
    vg = _poly(u(g), deg)
    fits = []
    for _ in range(p.samples):
        idx = rng.integers(0, len(x), len(x))
        a = _poly(u(x[idx]), deg)
        fits.append(vg @ np.linalg.solve(a.T @ a + p.penalty * np.eye(deg + 1), a.T @ y[idx]))
    f = np.array(fits)
    a = _poly(u(x), deg)
    single = vg @ np.linalg.solve(a.T @ a + p.penalty * np.eye(deg + 1), a.T @ y)
    return {"fit": f.mean(0), "fit_single": single, "band_lo": np.quantile(f, 0.05, axis=0),
            "band_hi": np.quantile(f, 0.95, axis=0), "replicates": f[:8]}


def _conformal(p: BandParams, x: F, y: F, g: F, rng: np.random.Generator) -> Arrays:
    deg = p.features - 1
    lo, hi = p.x_range
    u = lambda v: (2 * v - lo - hi) / (hi - lo)  # noqa: E731
    perm = rng.permutation(len(x))
    tr, cal = np.sort(perm[: len(x) // 2]), np.sort(perm[len(x) // 2:])
    a = _poly(u(x[tr]), deg)
    w = np.linalg.solve(a.T @ a + p.penalty * np.eye(deg + 1), a.T @ y[tr])
    scores = np.sort(np.abs(_poly(u(x[cal]), deg) @ w - y[cal]))
    k = int(math.ceil((len(cal) + 1) * p.coverage)) - 1
    q = float(scores[min(k, len(cal) - 1)])
    fit = _poly(u(g), deg) @ w
    xt = rng.uniform(lo, hi, 4000) if p.data != "sine-gap" else make_data(p.model_copy(update={"n": 4000}), rng)[0]
    yt = _truth(p.data, xt) + p.noise * rng.normal(size=xt.size)
    covered = float(np.mean(np.abs(_poly(u(xt), deg) @ w - yt) <= q))
    return {"fit": fit, "band_lo": fit - q, "band_hi": fit + q, "half_width": q,
            "test_coverage": covered, "target_coverage": p.coverage,
            "train_x": x[tr], "train_y": y[tr], "cal_x": x[cal], "cal_y": y[cal]}


def tv_denoise(y: F, lam: float, iters: int = 3000) -> F:
    """argmin_u 1/2 |u - y|^2 + lam sum |u_{i+1} - u_i| (Rudin, Osher & Fatemi's TV model in 1-D),
    by projected gradient on the dual: u = y - D'z with |z_i| <= lam; the dual step 1/4 is safe
    because |D D'| <= 4."""
    z = np.zeros(y.size - 1)
    for _ in range(iters):
        u = y + np.diff(z, prepend=0.0, append=0.0)  # y - D'z with D u = diff(u)
        z = np.clip(z + 0.25 * np.diff(u), -lam, lam)
    return y + np.diff(z, prepend=0.0, append=0.0)


def _tv(p: BandParams, x: F, y: F, g: F, rng: np.random.Generator) -> Arrays:
    u_tv = tv_denoise(y, p.penalty)
    # quadratic smoothing (I + mu D'D)^-1 y with mu chosen to leave the same residual
    n = y.size
    lap = np.diff(np.eye(n), axis=0)
    evals, evecs = np.linalg.eigh(lap.T @ lap)  # once; every mu is then a diagonal solve
    yc = evecs.T @ y
    target = float(np.sum((u_tv - y) ** 2))
    lo_mu, hi_mu = 1e-6, 1e6
    for _ in range(60):
        mu = math.sqrt(lo_mu * hi_mu)
        u_l2 = evecs @ (yc / (1 + mu * evals))
        lo_mu, hi_mu = (mu, hi_mu) if np.sum((u_l2 - y) ** 2) < target else (lo_mu, mu)
    truth = _truth(p.data, x)
    jumps = np.flatnonzero(np.abs(np.diff(truth)) > 1e-9)
    return {"fit": np.interp(g, x, u_tv), "fit_tv": u_tv, "fit_l2": u_l2, "grid_is_data": float(np.allclose(g, x)),
            "error_tv": float(np.sqrt(np.mean((u_tv - truth) ** 2))),
            "error_l2": float(np.sqrt(np.mean((u_l2 - truth) ** 2))),
            "error_noisy": float(np.sqrt(np.mean((y - truth) ** 2))),
            "residual_tv": target, "residual_l2": float(np.sum((u_l2 - y) ** 2)),
            "jump_tv": float(np.mean([abs(u_tv[j + 1] - u_tv[j]) for j in jumps])),
            "jump_l2": float(np.mean([abs(u_l2[j + 1] - u_l2[j]) for j in jumps])),
            "jump_true": float(np.mean([abs(truth[j + 1] - truth[j]) for j in jumps])),
            "levels_tv": float(np.count_nonzero(np.abs(np.diff(u_tv)) > 1e-3) + 1)}


_METHODS = {"bayes-ridge": _bayes_ridge, "smoothing-spline": _smoothing_spline,
            "noise-tikhonov": _noise_tikhonov, "mc-dropout": _mc_dropout, "bootstrap": _bootstrap,
            "conformal": _conformal, "tv-denoise": _tv}


@recipe("band", BandParams)
def band(p: BandParams, rng: np.random.Generator) -> Arrays:
    """A 1-D regression fit with its band over seeded data (see the module docstring)."""
    x, y = make_data(p, rng)
    lo, hi = p.grid_range or p.x_range
    g = np.linspace(lo, hi, p.grid)
    out = _METHODS[p.method](p, x, y, g, rng)
    return {"x": g, "truth": _truth(p.data, g), "data_x": x, "data_y": y, **out}
