"""Classical algorithms: 1-D fits, losses, time series, matrices and densities.

Engines here:

* ``fit1d`` — a seeded 1-D data set and one to four fits named from a table (least squares,
  Huber, quantile, isotonic, Nadaraya-Watson, regression tree, bagging, gradient boosting, RBF
  network, Poisson GLM); drawn by ``curve-vs-scale`` with the data as points.
* ``losses`` — closed-form loss functions of the margin or the residual, from a table.
* ``ar-forecast`` — an AR(p) series simulated, fitted by least squares, forecast with a fan.
* ``dtw`` — dynamic time warping of two warped signals (cost matrix and optimal path).
* ``low-rank`` — truncated SVD reconstructions of a synthetic image (Eckart-Young).
* ``als`` — matrix completion by alternating least squares.
* ``kde`` — Gaussian kernel density estimates for a sweep of bandwidths.
* ``gaussian-plane`` — a correlated Gaussian cloud with its principal axes and its Euclidean and
  Mahalanobis distance fields, for ``trajectory-contour``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.boundaries import fit_tree

# -- fit1d -------------------------------------------------------------------------------------------------

Data1D = Literal["linear", "outliers", "hetero", "sine", "monotone", "counts", "steps", "chirp", "bumps"]
FitKind = Literal["ols", "huber", "quantile", "isotonic", "nadaraya-watson", "tree", "bagging",
                  "gboost", "rbf", "poisson"]


class Fit(Params):
    """One fit and its settings (each kind reads only its own)."""

    kind: FitKind
    degree: int = Field(1, ge=0, le=9, description="ols: polynomial degree")
    delta: float = Field(1.0, ge=0.01, le=100.0, description="huber: quadratic-to-linear switch")
    tau: float = Field(0.5, ge=0.01, le=0.99, description="quantile: level")
    width: float = Field(0.1, ge=0.005, le=10.0, description="nadaraya-watson / rbf: kernel width")
    depth: int = Field(3, ge=1, le=12, description="tree / bagging / gboost: depth")
    members: int = Field(20, ge=1, le=200, description="bagging: bootstrap trees")
    rounds: int = Field(50, ge=1, le=500, description="gboost: stages")
    lr: float = Field(0.1, ge=0.001, le=1.0, description="gboost: shrinkage")
    centres: int = Field(8, ge=1, le=60, description="rbf: Gaussian bases placed by k-means")
    ridge: float = Field(1e-6, ge=0.0, le=100.0, description="rbf: ridge on the readout")


class Fit1DParams(Params):
    """A 1-D data set and the fits drawn over it."""

    data: Data1D = "linear"
    n: int = Field(60, ge=8, le=2000)
    noise: float = Field(0.3, ge=0.0, le=5.0)
    outlier_frac: float = Field(0.1, ge=0.0, le=0.5, description="outliers: share of gross errors")
    fits: tuple[Fit, ...] = Field(min_length=1, max_length=4)
    grid: int = Field(200, ge=20, le=1000)
    stages: tuple[int, ...] = Field((), max_length=6, description="gboost: stages kept as rows")
    n_test: int = Field(2000, ge=100, le=20000)


def data_1d(name: str, n: int, noise: float, frac: float,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (sorted), y, and the true mean function on x."""
    if name in ("linear", "outliers"):
        x = np.sort(rng.uniform(0, 2, n))
        f = 0.5 + 0.8 * x
        y = f + noise * rng.normal(size=n)
        if name == "outliers":
            m = max(1, int(round(frac * n)))
            idx = rng.choice(np.flatnonzero(x > 1.0), min(m, int((x > 1.0).sum())), replace=False)
            y[idx] -= rng.uniform(2.5, 4.0, len(idx))
        return x, y, f
    if name == "hetero":
        x = np.sort(rng.uniform(0, 2, n))
        f = 0.5 + 0.8 * x
        return x, f + (0.1 + noise * x) * rng.normal(size=n), f
    if name == "sine":
        x = np.sort(rng.uniform(0, 1, n))
        f = np.sin(2 * np.pi * x)
        return x, f + noise * rng.normal(size=n), f
    if name == "monotone":
        x = np.sort(rng.uniform(0, 1, n))
        f = np.log1p(8 * x) / np.log(9)
        return x, f + noise * rng.normal(size=n), f
    if name in ("steps", "chirp", "bumps"):
        x = np.sort(rng.uniform(0, 1, n))
        f = _truth(name, x)
        return x, f + noise * rng.normal(size=n), f
    x = np.sort(rng.uniform(0, 1.5, n))  # counts
    f = np.exp(0.3 + 1.6 * x)
    return x, rng.poisson(f).astype(float), f


def _pava(y: np.ndarray) -> np.ndarray:
    """Pool-adjacent-violators: the least-squares non-decreasing fit to y (in x order)."""
    vals: list[float] = []
    counts: list[int] = []
    for v in y.tolist():
        vals.append(v)
        counts.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            c = counts[-2] + counts[-1]
            vals[-2] = (vals[-2] * counts[-2] + vals[-1] * counts[-1]) / c
            counts[-2] = c
            vals.pop()
            counts.pop()
    return np.repeat(vals, counts)


def _quantile_line(x: np.ndarray, y: np.ndarray, tau: float) -> np.ndarray:
    """Linear quantile regression: minimise the pinball loss as a linear programme (HiGHS)."""
    from scipy.optimize import linprog

    n = len(x)
    a = np.c_[np.ones(n), x]
    # variables: beta (2, free), u+ (n), u- (n); y = a beta + u+ - u-
    c = np.r_[0.0, 0.0, np.full(n, tau), np.full(n, 1 - tau)]
    a_eq = np.c_[a, np.eye(n), -np.eye(n)]
    res = linprog(c, A_eq=a_eq, b_eq=y, bounds=[(None, None)] * 2 + [(0, None)] * (2 * n), method="highs")
    return np.asarray(res.x[:2])


def fit_one(f: Fit, x: np.ndarray, y: np.ndarray, g: np.ndarray, rng: np.random.Generator,
            stages: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Fit one model; returns at least ``curve`` (on g) and ``pred`` (on x)."""
    out: dict[str, np.ndarray] = {}
    if f.kind == "ols":
        a = np.vander(x, f.degree + 1, increasing=True)
        beta = np.linalg.lstsq(a, y, rcond=None)[0]
        out["curve"], out["pred"] = np.vander(g, f.degree + 1, increasing=True) @ beta, a @ beta
        out["coef"] = beta
    elif f.kind == "huber":
        a = np.c_[np.ones_like(x), x]
        beta = np.linalg.lstsq(a, y, rcond=None)[0]
        for _ in range(100):  # iteratively reweighted least squares with Huber weights
            r = y - a @ beta
            w = np.where(np.abs(r) <= f.delta, 1.0, f.delta / np.maximum(np.abs(r), 1e-12))
            new = np.linalg.solve(a.T @ (w[:, None] * a), a.T @ (w * y))
            if np.max(np.abs(new - beta)) < 1e-12:
                beta = new
                break
            beta = new
        out["curve"], out["pred"], out["coef"] = beta[0] + beta[1] * g, a @ beta, beta
    elif f.kind == "quantile":
        beta = _quantile_line(x, y, f.tau)
        out["curve"], out["pred"], out["coef"] = beta[0] + beta[1] * g, beta[0] + beta[1] * x, beta
        out["below"] = np.array(float(np.mean(y <= beta[0] + beta[1] * x + 1e-9)))
    elif f.kind == "isotonic":
        fit = _pava(y)
        out["pred"] = fit
        out["curve"] = fit[np.clip(np.searchsorted(x, g, side="right") - 1, 0, len(x) - 1)]
        out["blocks"] = np.array(float(len(np.unique(fit))))
    elif f.kind == "nadaraya-watson":
        def nw(q: np.ndarray) -> np.ndarray:
            w = np.exp(-0.5 * ((q[:, None] - x[None, :]) / f.width) ** 2)
            return (w @ y) / np.maximum(w.sum(1), 1e-300)
        out["curve"], out["pred"] = nw(g), nw(x)
    elif f.kind == "tree":
        t = fit_tree(x[:, None], y, kind="sse", max_depth=f.depth, min_leaf=2)
        out["curve"], out["pred"] = t.predict(g[:, None])[:, 0], t.predict(x[:, None])[:, 0]
    elif f.kind == "bagging":
        members, preds = [], []
        for _ in range(f.members):
            bi = rng.integers(0, len(x), len(x))
            t = fit_tree(x[bi, None], y[bi], kind="sse", max_depth=f.depth, min_leaf=2)
            members.append(t.predict(g[:, None])[:, 0])
            preds.append(t.predict(x[:, None])[:, 0])
        out["members"] = np.array(members)
        out["curve"], out["pred"] = out["members"].mean(0), np.mean(preds, axis=0)
    elif f.kind == "gboost":
        fx, fg = np.full(len(x), y.mean()), np.full(len(g), y.mean())
        rows, losses = [], [float(np.mean((y - fx) ** 2))]
        for r in range(1, f.rounds + 1):
            t = fit_tree(x[:, None], y - fx, kind="sse", max_depth=f.depth, min_leaf=2)
            fx = fx + f.lr * t.predict(x[:, None])[:, 0]
            fg = fg + f.lr * t.predict(g[:, None])[:, 0]
            losses.append(float(np.mean((y - fx) ** 2)))
            if r in stages:
                rows.append(fg.copy())
                out[f"stage{r}"] = fg.copy()
        out["curve"], out["pred"] = fg, fx
        out["stage_curves"] = np.array(rows) if rows else fg[None]
        out["train_mse"] = np.array(losses)
        out["mse_first"] = np.array(losses[1] if len(losses) > 1 else losses[0])
        out["mse_last"] = np.array(losses[-1])
    elif f.kind == "rbf":
        c = np.sort(rng.choice(x, f.centres, replace=False))
        for _ in range(50):  # 1-D k-means places the centres
            a = np.argmin(np.abs(x[:, None] - c[None]), axis=1)
            c = np.array([x[a == j].mean() if np.any(a == j) else c[j] for j in range(len(c))])

        def phi(q: np.ndarray) -> np.ndarray:
            return np.c_[np.exp(-0.5 * ((q[:, None] - c[None]) / f.width) ** 2), np.ones(len(q))]
        p = phi(x)
        w = np.linalg.solve(p.T @ p + f.ridge * np.eye(p.shape[1]), p.T @ y)
        out["curve"], out["pred"] = phi(g) @ w, p @ w
        out["centres"] = np.sort(c)
        out["bases"] = (phi(g)[:, :-1] * w[:-1]).T + w[-1]
    else:  # poisson GLM, log link, by iteratively reweighted least squares (Fisher scoring)
        a = np.c_[np.ones_like(x), x]
        beta = np.array([np.log(max(y.mean(), 1e-3)), 0.0])
        for _ in range(50):
            mu = np.exp(a @ beta)
            z = a @ beta + (y - mu) / mu
            new = np.linalg.solve(a.T @ (mu[:, None] * a), a.T @ (mu * z))
            if np.max(np.abs(new - beta)) < 1e-12:
                beta = new
                break
            beta = new
        mu_g = np.exp(beta[0] + beta[1] * g)
        out["curve"], out["pred"], out["coef"] = mu_g, np.exp(a @ beta), beta
        from scipy.stats import poisson
        out["lo"], out["hi"] = poisson.ppf(0.05, mu_g), poisson.ppf(0.95, mu_g)
        mu_x = np.exp(a @ beta)
        out["covered"] = np.array(float(np.mean((y >= poisson.ppf(0.05, mu_x)) & (y <= poisson.ppf(0.95, mu_x)))))
    return out


@recipe("fit1d", Fit1DParams)
def fit1d(p: Fit1DParams, rng: np.random.Generator) -> Arrays:
    """A 1-D data set and up to four fits: ``x``, ``y``, ``grid``, ``truth`` (true mean on the
    grid) and, per fit i, ``fit_i`` (curve on the grid), ``resid_i``, ``test_mse_i`` (against
    fresh draws) and the fit's extras suffixed ``_i``."""
    x, y, _ = data_1d(p.data, p.n, p.noise, p.outlier_frac, rng)
    g = np.linspace(float(x.min()), float(x.max()), p.grid)
    xt, yt, _ = data_1d(p.data, p.n_test, p.noise, p.outlier_frac, rng)
    out: Arrays = {"x": x, "y": y, "grid": g, "truth": _truth(p.data, g)}
    for i, f in enumerate(p.fits):
        r = fit_one(f, x, y, g, rng, p.stages)
        out[f"fit_{i}"] = r.pop("curve")
        pred = r.pop("pred")
        out[f"resid_{i}"] = y - pred
        out[f"mse_{i}"] = np.array(float(np.mean((y - pred) ** 2)))
        out[f"test_mse_{i}"] = np.array(float(np.mean((yt - np.interp(xt, g, out[f"fit_{i}"])) ** 2)))
        if "coef" in r and r["coef"].size >= 2:
            out[f"intercept_{i}"] = np.array(float(r["coef"][0]))
            out[f"slope_{i}"] = np.array(float(r["coef"][1]))
        for k, v in r.items():
            out[f"{k}_{i}"] = v
    return out


def _truth(name: str, g: np.ndarray) -> np.ndarray:
    if name in ("linear", "outliers", "hetero"):
        return 0.5 + 0.8 * g
    if name == "sine":
        return np.sin(2 * np.pi * g)
    if name == "monotone":
        return np.log1p(8 * g) / np.log(9)
    if name == "steps":
        return np.where(g < 0.3, 0.2, np.where(g < 0.65, 1.0, 0.5)) + 0.3 * np.sin(6 * g)
    if name == "chirp":
        return np.sin(2 * np.pi * (1 + 2.5 * g) * g)
    if name == "bumps":
        return 0.2 + 1.2 * np.exp(-(((g - 0.3) / 0.08) ** 2)) - 0.8 * np.exp(-(((g - 0.7) / 0.12) ** 2))
    return np.exp(0.3 + 1.6 * g)


# -- losses ------------------------------------------------------------------------------------------------

LossName = Literal["zero-one", "hinge", "logistic", "exponential", "squared", "squared-hinge",
                   "huber", "absolute", "squared-error", "pinball"]


class LossParams(Params):
    """Loss functions evaluated on a shared axis (margin y·f or residual r)."""

    functions: tuple[LossName, ...] = Field(min_length=1, max_length=6)
    x_min: float = Field(-2.0, ge=-20.0, le=0.0)
    x_max: float = Field(2.0, ge=0.0, le=20.0)
    points: int = Field(801, ge=11, le=5001)
    delta: float = Field(1.0, ge=0.05, le=10.0, description="huber: switch point")
    tau: float = Field(0.9, ge=0.01, le=0.99, description="pinball: level")


def loss_value(name: str, m: np.ndarray, delta: float, tau: float) -> np.ndarray:
    """A loss of the margin m = y f(x) (classification) or of the residual r (regression)."""
    if name == "zero-one":
        return (m <= 0).astype(float)
    if name == "hinge":
        return np.maximum(0.0, 1 - m)
    if name == "logistic":
        return np.logaddexp(0.0, -m) / np.log(2)
    if name == "exponential":
        return np.exp(-m)
    if name == "squared":
        return (1 - m) ** 2
    if name == "squared-hinge":
        return np.maximum(0.0, 1 - m) ** 2
    if name == "huber":
        a = np.abs(m)
        return np.where(a <= delta, 0.5 * m**2, delta * (a - 0.5 * delta))
    if name == "absolute":
        return np.abs(m)
    if name == "squared-error":
        return 0.5 * m**2
    return np.where(m >= 0, tau * m, (tau - 1) * m)  # pinball


@recipe("losses", LossParams)
def losses(p: LossParams, rng: np.random.Generator) -> Arrays:
    """Closed-form losses: ``x`` and one array per function (hyphens become underscores), also
    stacked in ``rows``; derivatives by central differences in ``slope_<name>``."""
    del rng
    x = np.linspace(p.x_min, p.x_max, p.points)
    out: Arrays = {"x": x}
    rows = []
    for name in p.functions:
        v = loss_value(name, x, p.delta, p.tau)
        key = name.replace("-", "_")
        out[key] = v
        out[f"slope_{key}"] = np.gradient(v, x)
        rows.append(v)
    out["rows"] = np.array(rows)
    return out


# -- AR forecast -------------------------------------------------------------------------------------------


class ARParams(Params):
    """A simulated AR(p) series, its least-squares fit and forecast fan."""

    phi: tuple[float, ...] = Field((1.3, -0.6), min_length=1, max_length=4)
    sigma: float = Field(1.0, ge=0.01, le=10.0)
    length: int = Field(120, ge=20, le=2000)
    horizon: int = Field(30, ge=1, le=200)
    burn: int = Field(200, ge=0, le=5000)
    z: float = Field(1.96, ge=0.5, le=4.0, description="fan half-width in forecast standard deviations")
    repeats: int = Field(200, ge=1, le=2000, description="fresh futures drawn to check the fan's coverage")
    shown: int = Field(60, ge=5, le=2000, description="last steps of the history returned for drawing")


@recipe("ar-forecast", ARParams)
def ar_forecast(p: ARParams, rng: np.random.Generator) -> Arrays:
    """Simulate x_t = sum phi_i x_{t-i} + e_t, fit phi by least squares on the lags, forecast with
    the psi-weight variance; ``coverage`` = share of fresh futures (true law) inside the fan."""
    k = len(p.phi)
    phi = np.array(p.phi)
    total = p.burn + p.length
    xs = np.zeros(total)
    e = rng.normal(0, p.sigma, total)
    for t in range(k, total):
        xs[t] = phi @ xs[t - k:t][::-1] + e[t]
    series = xs[p.burn:]
    lags = np.array([series[k - i - 1: len(series) - i - 1] for i in range(k)]).T
    target = series[k:]
    est = np.linalg.lstsq(lags, target, rcond=None)[0]
    resid = target - lags @ est
    s2 = float(resid @ resid / (len(target) - k))
    hist = list(series[-k:])
    mean = []
    for _ in range(p.horizon):
        nxt = float(est @ np.array(hist[-k:][::-1]))
        mean.append(nxt)
        hist.append(nxt)
    psi = [1.0]
    for j in range(1, p.horizon):
        psi.append(sum(est[i] * psi[j - i - 1] for i in range(k) if j - i - 1 >= 0))
    sd = np.sqrt(s2 * np.cumsum(np.array(psi) ** 2))
    mean_a = np.array(mean)
    # fresh futures from the true law, same history
    futures = np.zeros((p.repeats, p.horizon))
    for r in range(p.repeats):
        h = list(series[-k:])
        for _ in range(p.horizon):
            h.append(float(phi @ np.array(h[-k:][::-1]) + rng.normal(0, p.sigma)))
        futures[r] = h[k:]
    inside = (futures >= mean_a - p.z * sd) & (futures <= mean_a + p.z * sd)
    t_hist = np.arange(p.length, dtype=float)[-p.shown:]
    series = series[-p.shown:]
    t_fut = np.arange(p.length, p.length + p.horizon, dtype=float)
    return {"t": t_hist, "series": series, "t_future": t_fut, "forecast": mean_a,
            "lo": mean_a - p.z * sd, "hi": mean_a + p.z * sd, "phi_hat": est, "phi_true": phi,
            "coverage": np.array(float(inside.mean())), "sd": sd, "future_example": futures[0],
            "phi_error": np.array(float(np.abs(est - phi).max())),
            **{f"phi{i + 1}": np.array(float(v)) for i, v in enumerate(est)}}


# -- dynamic time warping ---------------------------------------------------------------------------------


class DTWParams(Params):
    """Two signals, one a time-warped copy of the other, aligned by DTW."""

    n: int = Field(40, ge=8, le=200)
    m: int = Field(48, ge=8, le=200)
    warp: float = Field(0.35, ge=0.0, le=0.9, description="strength of the monotone time warp")
    noise: float = Field(0.05, ge=0.0, le=1.0)


@recipe("dtw", DTWParams)
def dtw(p: DTWParams, rng: np.random.Generator) -> Arrays:
    """Dynamic time warping (Sakoe-Chiba recursion, no band): local cost |a_i - b_j|, cumulative
    cost D, the optimal path as a mask, and DTW vs lock-step distances."""
    u = np.linspace(0, 1, p.n)
    v = np.linspace(0, 1, p.m)
    shape = lambda s: np.sin(2 * np.pi * 1.5 * s) + 0.5 * np.exp(-((s - 0.6) / 0.06) ** 2)  # noqa: E731
    warp = v + p.warp * np.sin(np.pi * v) * (1 - v) * 1.5
    a = shape(u) + p.noise * rng.normal(size=p.n)
    b = shape(np.clip(warp, 0, 1)) + p.noise * rng.normal(size=p.m)
    c = np.abs(a[:, None] - b[None, :])
    d = np.full((p.n + 1, p.m + 1), np.inf)
    d[0, 0] = 0.0
    for i in range(1, p.n + 1):
        for j in range(1, p.m + 1):
            d[i, j] = c[i - 1, j - 1] + min(d[i - 1, j], d[i, j - 1], d[i - 1, j - 1])
    i, j = p.n, p.m
    path = [(i - 1, j - 1)]
    while (i, j) != (1, 1):
        steps = [(d[i - 1, j - 1], i - 1, j - 1), (d[i - 1, j], i - 1, j), (d[i, j - 1], i, j - 1)]
        _, i, j = min(steps, key=lambda s: s[0])
        path.append((i - 1, j - 1))
    path = path[::-1]
    mask = np.zeros((p.n, p.m), bool)
    for pi, pj in path:
        mask[pi, pj] = True
    lock = np.abs(a - np.interp(u, v, b))
    return {"a": a, "b": b, "local": c, "similarity": np.exp(-c / np.median(c)), "cumulative": d[1:, 1:], "path": mask.astype(float),
            "path_i": np.array([q[0] for q in path], float), "path_j": np.array([q[1] for q in path], float),
            "dtw_cost": np.array(float(d[p.n, p.m])), "lockstep_cost": np.array(float(lock.sum())),
            "path_len": np.array(float(len(path)))}


# -- low-rank approximation --------------------------------------------------------------------------------


class LowRankParams(Params):
    """A synthetic image and its truncated-SVD reconstructions."""

    size: int = Field(40, ge=8, le=120)
    ranks: tuple[int, ...] = Field((1, 3, 10), min_length=1, max_length=4)
    noise: float = Field(0.05, ge=0.0, le=1.0)


@recipe("low-rank", LowRankParams)
def low_rank(p: LowRankParams, rng: np.random.Generator) -> Arrays:
    """Truncated SVD of a synthetic image (a ring, a bar and a gradient, plus noise):
    ``image``, ``rank_<r>`` reconstructions, ``singular`` values, ``err_<r>`` (Frobenius^2)
    and ``tail_<r>`` (sum of the discarded squared singular values; Eckart-Young says equal)."""
    n = p.size
    yy, xx = np.mgrid[0:n, 0:n] / (n - 1)
    ring = np.exp(-((np.hypot(xx - 0.42, yy - 0.45) - 0.28) / 0.05) ** 2)
    bar = ((np.abs(xx - 0.78) < 0.06) & (yy > 0.15) & (yy < 0.85)).astype(float)
    img = ring + 0.8 * bar + 0.25 * xx + p.noise * rng.normal(size=(n, n))
    u, s, vt = np.linalg.svd(img)
    out: Arrays = {"image": img, "singular": s, "index": np.arange(1, len(s) + 1, dtype=float),
                   "energy": np.cumsum(s**2) / np.sum(s**2)}
    for r in p.ranks:
        rec = (u[:, :r] * s[:r]) @ vt[:r]
        out[f"rank_{r}"] = rec
        out[f"err_{r}"] = np.array(float(((img - rec) ** 2).sum()))
        out[f"tail_{r}"] = np.array(float((s[r:] ** 2).sum()))
        out[f"rel_err_{r}"] = np.array(float(np.linalg.norm(img - rec) / np.linalg.norm(img)))
    return out


# -- alternating least squares ------------------------------------------------------------------------------


class ALSParams(Params):
    """A low-rank ratings matrix, partly observed, completed by ALS."""

    users: int = Field(24, ge=4, le=200)
    items: int = Field(30, ge=4, le=200)
    rank: int = Field(2, ge=1, le=10)
    observed: float = Field(0.35, ge=0.05, le=0.95)
    noise: float = Field(0.1, ge=0.0, le=2.0)
    ridge: float = Field(0.1, ge=0.0, le=100.0)
    sweeps: int = Field(30, ge=1, le=300)


@recipe("als", ALSParams)
def als(p: ALSParams, rng: np.random.Generator) -> Arrays:
    """Alternating ridge least squares for R ~ U V' on the observed entries only; RMSE on the
    observed and on the hidden entries after every sweep."""
    u0 = rng.normal(size=(p.users, p.rank))
    v0 = rng.normal(size=(p.items, p.rank))
    truth = u0 @ v0.T / np.sqrt(p.rank)
    obs = rng.random((p.users, p.items)) < p.observed
    r = truth + p.noise * rng.normal(size=truth.shape)
    u = rng.normal(size=(p.users, p.rank)) * 0.1
    v = rng.normal(size=(p.items, p.rank)) * 0.1
    eye = p.ridge * np.eye(p.rank)
    train, hidden = [], []
    for _ in range(p.sweeps):
        for i in range(p.users):
            vi = v[obs[i]]
            u[i] = np.linalg.solve(vi.T @ vi + eye, vi.T @ r[i, obs[i]])
        for j in range(p.items):
            uj = u[obs[:, j]]
            v[j] = np.linalg.solve(uj.T @ uj + eye, uj.T @ r[obs[:, j], j])
        pred = u @ v.T
        train.append(float(np.sqrt(np.mean((pred - r)[obs] ** 2))))
        hidden.append(float(np.sqrt(np.mean((pred - truth)[~obs] ** 2))))
    shown = np.where(obs, r, np.nan)
    return {"truth": truth, "observed": shown, "mask": obs.astype(float), "completed": u @ v.T,
            "sweep": np.arange(1, p.sweeps + 1, dtype=float), "train_rmse": np.array(train),
            "hidden_rmse": np.array(hidden), "truth_sd": np.array(float(truth.std())),
            "hidden_rmse_final": np.array(hidden[-1])}


# -- kernel density estimation -----------------------------------------------------------------------------


class KDEParams(Params):
    """A sample from a two-component mixture and KDEs for several bandwidths."""

    n: int = Field(100, ge=5, le=5000)
    bandwidths: tuple[float, ...] = Field((0.05, 0.15, 0.4, 1.2), min_length=1, max_length=10)
    points: int = Field(400, ge=50, le=4000)


@recipe("kde", KDEParams)
def kde(p: KDEParams, rng: np.random.Generator) -> Arrays:
    """Gaussian KDE rows (one per bandwidth, narrow at the back), the true density, the sample,
    per-row mass (Riemann sum) and number of local maxima."""
    comp = rng.random(p.n) < 0.4
    s = np.where(comp, rng.normal(-1.2, 0.35, p.n), rng.normal(1.0, 0.7, p.n))
    x = np.linspace(-4, 4.5, p.points)
    rows = []
    for h in p.bandwidths:
        rows.append(np.exp(-0.5 * ((x[:, None] - s[None]) / h) ** 2).sum(1) / (p.n * h * np.sqrt(2 * np.pi)))
    dens = np.array(rows)
    true = 0.4 * np.exp(-0.5 * ((x + 1.2) / 0.35) ** 2) / (0.35 * np.sqrt(2 * np.pi)) + \
        0.6 * np.exp(-0.5 * ((x - 1.0) / 0.7) ** 2) / (0.7 * np.sqrt(2 * np.pi))
    dx = x[1] - x[0]
    peaks = [float(np.sum((r[1:-1] > r[:-2]) & (r[1:-1] > r[2:]))) for r in dens]
    ise = [float(((r - true) ** 2).sum() * dx) for r in dens]
    return {"x": x, "density": dens, "true": true, "true_rows": np.tile(true, (len(rows), 1)),
            "sample": s, "rug": np.tile(s, (len(rows), 1)), "bandwidth": np.array(p.bandwidths),
            "mass": dens.sum(1) * dx, "modes": np.array(peaks), "ise": np.array(ise)}


# -- a Gaussian plane: PCA axes and Mahalanobis distance ----------------------------------------------------


class PlaneParams(Params):
    """A correlated Gaussian cloud on a grid."""

    n: int = Field(300, ge=10, le=5000)
    sd: tuple[float, float] = Field((1.0, 0.35))
    angle_deg: float = Field(30.0, ge=-90.0, le=90.0)
    grid: int = Field(121, ge=21, le=401)
    half_width: float = Field(3.2, ge=0.5, le=20.0)


@recipe("gaussian-plane", PlaneParams)
def gaussian_plane(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """A cloud drawn from N(0, R diag(sd^2) R'); its sample mean and covariance; principal axes
    (eigenvectors scaled by sqrt eigenvalue) as paths; Euclidean and Mahalanobis distance grids
    from the sample mean; the share of points within Mahalanobis 1, 2 and of Euclidean radius."""
    th = np.radians(p.angle_deg)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    cov_true = rot @ np.diag(np.array(p.sd) ** 2) @ rot.T
    pts = rng.normal(size=(p.n, 2)) @ np.linalg.cholesky(cov_true).T
    mu = pts.mean(0)
    cov = np.cov(pts.T)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    axes = np.array([[mu - 2 * np.sqrt(vals[k]) * vecs[:, k], mu + 2 * np.sqrt(vals[k]) * vecs[:, k]]
                     for k in range(2)])
    g = np.linspace(-p.half_width, p.half_width, p.grid)
    xx, yy = np.meshgrid(g, g)
    d = np.stack([xx - mu[0], yy - mu[1]], -1)
    inv = np.linalg.inv(cov)
    maha = np.sqrt(np.einsum("...i,ij,...j->...", d, inv, d))
    eucl = np.hypot(d[..., 0], d[..., 1])
    dp = pts - mu
    m_pts = np.sqrt(np.einsum("ni,ij,nj->n", dp, inv, dp))
    proj = dp @ vecs
    return {"grid_x": g, "grid_y": g, "points": pts, "mean": mu[None], "cov": cov,
            "eigenvalues": vals, "eigenvectors": vecs, "axes": axes,
            "euclidean": eucl, "mahalanobis": maha, "maha_points": m_pts,
            "within_2": np.array(float(np.mean(m_pts <= 2))),
            "within_1": np.array(float(np.mean(m_pts <= 1))),
            "proj_var": proj.var(axis=0, ddof=1), "axis_cos": np.array(float(abs(vecs[:, 0] @ vecs[:, 1]))),
            "var_ratio": np.array(float(vals[0] / vals.sum()))}
