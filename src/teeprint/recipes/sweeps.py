"""E2 sweeps: a metric against a scale or knob, each point a seeded numpy experiment or an exact formula.

One recipe, ``sweep``, runs one experiment of the table :data:`EXPERIMENTS` at every value of a
knob (and, optionally, of a second ``series`` knob), ``repeats`` times, and returns the median
over the repeats.  An experiment is a small pure function of one point::

    point(knob, series, params, rng) -> {metric: float, ...}

plus an optional ``finish(params, arrays) -> arrays`` that adds exact curves and scalars (a
bound, a theoretical exponent, where a threshold falls) once the sweep is done.

Arrays returned (``S`` series values, ``K`` knob values, ``R`` repeats):

* ``knob`` (K,), ``series_values`` (S,) (``[nan]`` when the experiment has no series);
* every metric ``m``: ``m`` of shape (K,) without series, else (S, K) (one row per series
  value), the median over repeats; ``m_runs`` (R, K) or (R, S, K) when ``repeats > 1``;
  ``m_0``, ``m_1`` ... the rows one by one (for curve-vs-scale ``series``);
* whatever the experiment's ``finish`` adds (documented in its docstring).

Every repeat uses one generator for the whole sweep (common random numbers), so the points of
one curve share their draws and the curve is smooth in the knob.  Settings are the shared,
bounded fields of :class:`SweepParams`; an experiment lists those it reads, and naming a
setting it does not read is an error (no silently ignored knob).  Deterministic experiments
(exact formulas) run once whatever ``repeats`` says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.training import train_two_layer

Point = Callable[[Any, float, "SweepParams", np.random.Generator], dict[str, Any]]
Finish = Callable[["SweepParams", dict[str, Any]], dict[str, Any]]


class SweepParams(Params):
    """Which experiment, the knob and series values, and the shared settings it reads."""

    experiment: Literal[
        "pac-thresholds", "rademacher-linear", "ridge-samples", "random-fourier-features",
        "hoeffding", "cover-capacity", "ridge-stability", "kernel-power-law", "mdl-polynomial",
        "halfplane-growth", "free-energy", "information-bottleneck", "nearest-neighbour-manifold",
        "pac-bayes-gaussian", "lazy-scale", "ntk-width", "benign-tail", "bias-variance-degree",
        "binary-perceptron", "learning-curve", "min-norm-grid",
    ]
    knob: tuple[float, ...] = Field((), max_length=80, description="knob values (default per experiment)")
    series: tuple[float, ...] = Field((), max_length=8, description="second knob, one curve each")
    repeats: int = Field(5, ge=1, le=60, description="independent repeats; the median is drawn")
    n: int = Field(100, ge=2, le=5000, description="samples")
    dim: int = Field(20, ge=1, le=4000, description="input dimension, features or class size")
    noise: float = Field(0.5, ge=0.0, le=10.0, description="label-noise standard deviation")
    width: int = Field(100, ge=1, le=4096, description="hidden units")
    steps: int = Field(300, ge=1, le=20000, description="gradient-descent steps")
    lr: float = Field(0.1, gt=0.0, le=100.0, description="gradient-descent step size")
    epsilon: float = Field(0.1, gt=0.0, lt=1.0, description="accuracy parameter")
    delta: float = Field(0.05, gt=0.0, lt=1.0, description="confidence parameter")
    exponent: float = Field(1.5, ge=0.1, le=6.0, description="power-law exponent of a spectrum")
    trials: int = Field(2000, ge=10, le=200000, description="Monte Carlo draws inside one point")


@dataclass(frozen=True)
class Experiment:
    """One row of :data:`EXPERIMENTS`."""

    point: Point
    knob: tuple[float, ...]
    series: tuple[float, ...] = ()
    reads: frozenset[str] = frozenset()
    finish: Finish | None = None
    exact: bool = False
    batched: bool = False


EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, knob: tuple[float, ...], series: tuple[float, ...] = (), reads: str = "",
               finish: Finish | None = None, exact: bool = False,
               batched: bool = False) -> Callable[[Point], Point]:
    """Record a point function in :data:`EXPERIMENTS` (returned unchanged).  A ``batched``
    point function takes the whole knob array at once and returns arrays over it."""

    def record(fn: Point) -> Point:
        EXPERIMENTS[name] = Experiment(fn, knob, series, frozenset(reads.split()), finish, exact, batched)
        return fn

    return record


_SHARED = frozenset({"experiment", "knob", "series", "repeats"})


@recipe("sweep", SweepParams)
def sweep(p: SweepParams, rng: np.random.Generator) -> Arrays:
    """A metric against a knob: each point one seeded numpy experiment (median over repeats)
    or one exact formula; the experiments are the table :data:`EXPERIMENTS`."""
    exp = EXPERIMENTS[p.experiment]
    stray = sorted(p.model_fields_set - _SHARED - exp.reads)
    if stray:
        msg = (f"experiment {p.experiment!r} does not read {', '.join(stray)}; "
               f"it reads: {', '.join(sorted(exp.reads)) or 'no settings'}")
        raise ValueError(msg)
    knob = np.asarray(p.knob or exp.knob, float)
    series = np.asarray(p.series or exp.series or (math.nan,), float)
    repeats = 1 if exp.exact else p.repeats
    seeds = rng.integers(0, 2**63 - 1, size=repeats)
    rows: list[list[list[dict[str, float]]]] = []
    for seed in seeds:
        if exp.batched:
            batch = [exp.point(knob, float(s), p, np.random.default_rng(int(seed))) for s in series]
            rows.append([[{m: float(v[i]) for m, v in b.items()} for i in range(knob.size)] for b in batch])
            continue
        rows.append([[exp.point(float(k), float(s), p, np.random.default_rng(int(seed))) for k in knob]
                     for s in series])
    names = list(rows[0][0][0])
    out: dict[str, Any] = {"knob": knob, "series_values": series}
    has_series = bool(p.series or exp.series)
    for m in names:
        runs = np.array([[[pt[m] for pt in row] for row in rep] for rep in rows])  # (R, S, K)
        med = np.median(runs, axis=0)
        out[m] = med if has_series else med[0]
        if repeats > 1:
            out[f"{m}_runs"] = runs if has_series else runs[:, 0]
        if has_series:
            for i in range(series.size):
                out[f"{m}_{i}"] = med[i]
    if exp.finish is not None:
        out.update(exp.finish(p, out))
    return out


def _geom_int(lo: float, hi: float, k: int) -> tuple[float, ...]:
    return tuple(float(v) for v in np.unique(np.round(np.geomspace(lo, hi, k))))


# -- PAC learning: a finite class of thresholds ------------------------------------------------


def _pac_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    m = a["knob"]
    return {"bound": np.minimum(1.0, p.dim * (1.0 - p.epsilon) ** m),
            "m_star": math.ceil((math.log(p.dim) + math.log(1.0 / p.delta)) / p.epsilon),
            "class_size": p.dim, "epsilon": p.epsilon, "delta": p.delta}


@experiment("pac-thresholds", _geom_int(1, 200, 28), reads="dim epsilon delta trials", finish=_pac_finish)
def _pac_thresholds(m: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Thresholds h(x) = [x >= j / (|H| - 1)], x uniform on [0, 1], target the middle one.

    A worst-case consistent learner (the consistent threshold farthest from the target) fails
    when its true error |h - t| exceeds epsilon; ``fail`` is how often over ``trials`` training
    sets of size m.  ``finish`` adds the union bound |H| (1 - epsilon)^m and the sample size
    m* = (ln |H| + ln 1/delta) / epsilon that makes it at most delta (Valiant 1984).
    """
    grid = np.linspace(0.0, 1.0, p.dim)
    t = grid[p.dim // 2]
    x = rng.uniform(size=(p.trials, int(m)))
    lo = np.max(np.where(x < t, x, -1.0), axis=1)   # largest negative example
    hi = np.min(np.where(x >= t, x, 2.0), axis=1)   # smallest positive example
    # Consistent thresholds h: lo < h <= hi; the farthest from t on either side.
    left = grid[np.searchsorted(grid, lo, side="right")]
    right = grid[np.searchsorted(grid, hi, side="right") - 1]
    worst = np.maximum(t - left, right - t)
    return {"fail": float(np.mean(worst > p.epsilon)), "worst_error": float(np.mean(worst))}


# -- Rademacher complexity of a norm-bounded linear class ----------------------------------------


def _rad_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    return {"bound": 1.0 / np.sqrt(a["knob"])}


@experiment("rademacher-linear", _geom_int(4, 1000, 13), series=(2.0, 20.0, 200.0), reads="trials",
            finish=_rad_finish)
def _rademacher(n: float, d: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Empirical Rademacher complexity of {x -> w.x : |w| <= 1} on n points of the unit sphere
    in R^d (series: d).  The supremum is exact, sup_w (1/n) sum s_i w.x_i = |sum s_i x_i| / n;
    the expectation over signs s is a Monte Carlo mean over ``trials`` draws.  ``finish`` adds
    the bound 1/sqrt(n) (Bartlett & Mendelson 2002), which does not depend on d.
    """
    x = rng.normal(size=(int(n), int(d)))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    trials = min(p.trials, 300)
    signs = rng.choice([-1.0, 1.0], size=(trials, int(n)))
    return {"complexity": float(np.mean(np.linalg.norm(signs @ x, axis=1)) / n)}


# -- linear regression: sample-wise double descent and optimal ridge -----------------------------


def _ridge_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    return {"dim": p.dim, "noise_floor": p.noise**2, "lambda_opt": p.noise**2 * p.dim}


@experiment("ridge-samples", _geom_int(5, 400, 40), series=(0.0, 1.0), reads="dim noise",
            finish=_ridge_finish)
def _ridge_samples(n: float, s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Linear regression y = x.beta + noise, x ~ N(0, I_d), |beta| = 1, fitted on n samples by
    ridge (X'X + lambda I) w = X'y with lambda = s * noise^2 d (series: s; s = 0 is the
    minimum-norm least-squares fit, s = 1 the Bayes-optimal ridge for beta ~ N(0, I/d)).
    ``test_error`` is the exact expected squared error on a fresh point, |w - beta|^2 + noise^2.
    The draws are nested: n samples are the first n of one pool.
    """
    beta = rng.normal(size=p.dim)
    beta /= np.linalg.norm(beta)
    pool = rng.normal(size=(400 if n <= 400 else int(n), p.dim))
    eps = rng.normal(size=(pool.shape[0],))
    x = pool[: int(n)]
    y = x @ beta + p.noise * eps[: int(n)]
    lam = s * p.noise**2 * p.dim
    if lam == 0.0 and n < p.dim:
        w = x.T @ np.linalg.solve(x @ x.T, y)  # the minimum-norm interpolant
    else:
        w = np.linalg.solve(x.T @ x + lam * np.eye(p.dim), x.T @ y)
    return {"test_error": float(np.sum((w - beta) ** 2) + p.noise**2)}


# -- random Fourier features ---------------------------------------------------------------------


def _rff_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    d = a["knob"]
    ref = a["rms_error"][0] * math.sqrt(d[0])
    return {"inverse_sqrt": ref / np.sqrt(d)}


@experiment("random-fourier-features", _geom_int(4, 4096, 16), reads="n dim", finish=_rff_finish)
def _rff(dd: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Random Fourier features z(x) = sqrt(2/D) cos(W x + b), W ~ N(0, I), b ~ U[0, 2 pi),
    approximating the Gaussian kernel exp(-|x - y|^2 / 2) on n points x ~ N(0, I_dim / dim)
    (Rahimi & Recht 2007).  Errors are over all pairs: RMS and maximum.  ``finish`` adds a
    1/sqrt(D) line through the first point.
    """
    x = rng.normal(size=(p.n, p.dim)) / math.sqrt(p.dim)
    sq = np.sum(x**2, axis=1)
    k = np.exp(-0.5 * np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0))
    w = rng.normal(size=(p.dim, 4096))[:, : int(dd)]
    b = rng.uniform(0.0, 2 * np.pi, 4096)[: int(dd)]
    z = math.sqrt(2.0 / dd) * np.cos(x @ w + b)
    err = z @ z.T - k
    return {"rms_error": float(np.sqrt(np.mean(err**2))), "max_error": float(np.max(np.abs(err)))}


# -- Hoeffding's inequality ----------------------------------------------------------------------


def _hoeffding_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    n = a["knob"]
    eps = a["series_values"]
    bound = np.minimum(1.0, 2.0 * np.exp(-2.0 * n[None, :] * eps[:, None] ** 2))
    out: dict[str, Any] = {"bound": bound}
    for i in range(eps.size):
        out[f"bound_{i}"] = bound[i]
    return out


@experiment("hoeffding", _geom_int(10, 400, 20), series=(0.05, 0.1), reads="trials", finish=_hoeffding_finish)
def _hoeffding(n: float, eps: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """How often the mean of n fair coin flips strays from 1/2 by at least epsilon (series),
    over ``trials`` simulated samples; ``finish`` adds Hoeffding's bound 2 exp(-2 n eps^2)."""
    means = rng.binomial(int(n), 0.5, size=p.trials) / n
    return {"deviation": float(np.mean(np.abs(means - 0.5) >= eps - 1e-12))}


# -- Cover's function-counting theorem (exact) ---------------------------------------------------


@experiment("cover-capacity", tuple(np.round(np.arange(0.05, 4.0001, 0.05), 2).tolist()),
            series=(20.0, 100.0, 500.0), exact=True)
def _cover(ratio: float, n_dim: float, _p: SweepParams, _r: np.random.Generator) -> dict[str, float]:
    """Share of the 2^P dichotomies of P points in general position in R^N that a hyperplane
    through the origin realises, C(P, N) / 2^P = P(Binomial(P - 1, 1/2) <= N - 1) (Cover 1965),
    at P = ratio * N (series: N).  Exactly 1/2 at P = 2N for every N."""
    from scipy import special  # heavy import, only when this experiment runs

    n = int(n_dim)
    pp = int(round(ratio * n))
    return {"separable": float(special.bdtr(n - 1, pp - 1, 0.5)) if pp > n else 1.0}


# -- algorithmic stability of ridge regression ---------------------------------------------------


@experiment("ridge-stability", tuple(np.geomspace(1e-3, 1e2, 21).tolist()), reads="n dim noise")
def _stability(lam: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Ridge regression min (1/n) sum (w.x_i - y_i)^2 + lambda |w|^2 on n points with |x| <= 1;
    each training point in turn is replaced by a fresh one and the fit redone.  ``change`` is
    the largest change of a prediction over 200 test points and all n replacements, the
    quantity Bousquet & Elisseeff (2002) bound by O(1 / (lambda n))."""
    x = rng.normal(size=(p.n + 1 + 200, p.dim))
    x /= np.maximum(1.0, np.linalg.norm(x, axis=1, keepdims=True))
    beta = rng.normal(size=p.dim) / math.sqrt(p.dim)
    y = np.clip(x @ beta + p.noise * rng.normal(size=x.shape[0]), -1.0, 1.0)
    xt, xf, yf, xs = x[: p.n], x[p.n], y[p.n], x[p.n + 1:]
    yt = y[: p.n]
    a = xt.T @ xt / p.n + lam * np.eye(p.dim)
    w = np.linalg.solve(a, xt.T @ yt / p.n)
    worst = 0.0
    for i in range(p.n):
        a_i = a + (np.outer(xf, xf) - np.outer(xt[i], xt[i])) / p.n
        b_i = (xt.T @ yt - xt[i] * yt[i] + xf * yf) / p.n
        w_i = np.linalg.solve(a_i, b_i)
        worst = max(worst, float(np.max(np.abs(xs @ (w_i - w)))))
    return {"change": worst}


# -- power-law learning curves of kernel regression ----------------------------------------------


def _power_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    n = a["knob"]
    err = a["test_error"]
    slope = float(np.polyfit(np.log(n), np.log(err), 1)[0])
    fit = np.exp(np.polyval(np.polyfit(np.log(n), np.log(err), 1), np.log(n)))
    return {"measured_exponent": -slope, "theory_exponent": p.exponent, "power_fit": fit}


@experiment("kernel-power-law", _geom_int(8, 256, 12), reads="dim exponent", finish=_power_finish)
def _kernel_power(n: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Ridgeless (minimum-norm) regression in a kernel's eigenbasis: ``dim`` features with
    variances lambda_k = k^-2 and a target whose power per mode is lambda_k beta_k^2 =
    k^-(1 + exponent), noise-free.  The exact test error sum_k lambda_k (w_k - beta_k)^2 falls
    as a power of n; mode-counting predicts n^-exponent (Bordelon, Canatar & Pehlevan 2020)."""
    k = np.arange(1, p.dim + 1, dtype=float)
    lam = k**-2.0
    beta = np.sqrt(k ** -(1.0 + p.exponent) / lam) * rng.choice([-1.0, 1.0], p.dim)
    x = rng.normal(size=(int(n), p.dim)) * np.sqrt(lam)
    w = x.T @ np.linalg.solve(x @ x.T, x @ beta)  # minimum-norm interpolant (n < dim)
    return {"test_error": float(np.sum(lam * (w - beta) ** 2))}


# -- minimum description length ------------------------------------------------------------------


def _mdl_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    total_runs = a.get("total_bits_runs", a["total_bits"][None, :])
    best = a["knob"][np.argmin(total_runs, axis=1)]
    return {"best_degree": float(a["knob"][int(np.argmin(a["total_bits"]))]),
            "best_degree_runs": best, "true_degree": 3.0}


@experiment("mdl-polynomial", tuple(float(d) for d in range(0, 13)), reads="n noise", finish=_mdl_finish)
def _mdl(deg: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Two-part code length of n samples of a cubic plus Gaussian noise, for a least-squares
    polynomial of each degree: model bits (k/2) log2 n for k coefficients, plus data bits
    (n/2) log2(RSS/n), the Gaussian code length of the residuals up to a constant that is the
    same for every degree (Rissanen 1978).  The data bits fall with degree, the model bits
    grow; the total is smallest near the true degree, 3."""
    x = np.sort(rng.uniform(-1.0, 1.0, p.n))
    y = 2.0 * x**3 - 1.5 * x + 0.5 + p.noise * rng.normal(size=p.n)
    basis = np.polynomial.legendre.legvander(x, int(deg))
    coef = np.linalg.lstsq(basis, y, rcond=None)[0]
    rss = float(np.sum((basis @ coef - y) ** 2))
    model = 0.5 * (deg + 1) * math.log2(p.n)
    data = 0.5 * p.n * math.log2(rss / p.n)
    return {"model_bits": model, "data_bits": data, "total_bits": model + data}


# -- growth function of half-planes (exact enumeration) -----------------------------------------


def _growth_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    n = a["knob"]
    sauer = np.array([sum(math.comb(int(m), i) for i in range(4)) for m in n], float)
    return {"all_labellings": 2.0**n, "sauer_bound": sauer, "general_position": n**2 - n + 2,
            "vc_dimension": float(n[np.flatnonzero(a["dichotomies"] == 2.0**n)].max())}


@experiment("halfplane-growth", tuple(float(v) for v in range(1, 13)), finish=_growth_finish)
def _halfplanes(n: float, _s: float, _p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """How many of the 2^n labellings of n random points in the plane a half-plane realises,
    by exact enumeration: the order of the points along a direction changes only where the
    direction is perpendicular to a line through two points, so one direction inside each arc
    between those critical angles, and every cut of the sorted order, gives every half-plane
    labelling (Vapnik & Chervonenkis 1971: the VC dimension of half-planes is 3)."""
    pts = rng.normal(size=(int(n), 2))
    i, j = np.triu_indices(int(n), 1)
    d = pts[j] - pts[i]
    crit = np.arctan2(d[:, 1], d[:, 0]) + np.pi / 2
    crit = np.sort(np.concatenate([crit, crit + np.pi]) % (2 * np.pi))
    mids = (crit + np.diff(np.append(crit, crit[0] + 2 * np.pi)) / 2) if crit.size else np.array([0.0])
    labels: set[int] = {0}
    weights = 1 << np.arange(int(n))
    for th in mids:
        order = np.argsort(pts @ np.array([math.cos(th), math.sin(th)]))[::-1]
        masks = np.cumsum(weights[order])
        labels.update(int(v) for v in masks)
    return {"dichotomies": float(len(labels))}


# -- singular learning theory: free energy (exact quadrature) ------------------------------------


def _erf_over(v: np.ndarray) -> np.ndarray:
    from scipy import special

    return np.where(v > 1e-8, special.erf(v) / np.maximum(v, 1e-300), 2.0 / math.sqrt(math.pi))


def _fe_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    n = a["knob"]
    ln = np.log(n)
    half = n >= math.sqrt(n[0] * n[-1])
    reg = float(np.polyfit(ln[half], a["F_regular"][half], 1)[0])
    sing = float(np.polyfit(ln[half], a["F_singular"][half], 1)[0])
    corr = float(np.polyfit(ln[half], a["F_singular"][half] + np.log(ln[half]), 1)[0])
    return {"log_n": ln, "lambda_regular": reg, "slope_singular": sing, "lambda_singular": corr,
            "F_singular_corrected": a["F_singular"] + np.log(ln)}


@experiment("free-energy", tuple(np.geomspace(10.0, 1e8, 29).tolist()), exact=True, finish=_fe_finish)
def _free_energy(n: float, _s: float, _p: SweepParams, _r: np.random.Generator) -> dict[str, float]:
    """Bayes free energy F(n) = -log of the integral of exp(-n K(w)) over a uniform prior on
    [-1, 1]^2, for a regular minimum K = w1^2 + w2^2 and a singular one K = w1^2 w2^2, by
    exact inner integration (erf) and log-spaced quadrature of the outer integral.  F grows
    like lambda log n with the learning coefficient lambda = 1 (= d/2) at the regular minimum
    and lambda = 1/2 with a -log log n term at the singular one (Watanabe 2009)."""
    rn = math.sqrt(n)
    regular = (0.5 * math.sqrt(math.pi / n) * math.erf(rn)) ** 2
    u = np.concatenate([[0.0], np.geomspace(1e-12, 1.0, 4000)])
    f = 0.5 * math.sqrt(math.pi) * _erf_over(rn * u)  # inner integral over w1, times 1/2
    singular = float(np.sum((f[1:] + f[:-1]) / 2 * np.diff(u)))
    return {"F_regular": -math.log(regular), "F_singular": -math.log(singular)}


# -- the information bottleneck (iterative algorithm of Tishby et al.) --------------------------


def _ib_joint(dim: int, rng: np.random.Generator) -> np.ndarray:
    px = np.full(dim, 1.0 / dim)
    py_x = np.clip(np.sort(rng.uniform(0.02, 0.98, dim)), 1e-3, 1 - 1e-3)
    return px[:, None] * np.stack([py_x, 1 - py_x], axis=1)


def _mi(pab: np.ndarray) -> float:
    pa, pb = pab.sum(1, keepdims=True), pab.sum(0, keepdims=True)
    ok = pab > 0
    return float(np.sum(pab[ok] * np.log2(pab[ok] / (pa @ pb)[ok])))


def _ib_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    ceiling = float(np.max(a["I_xy"]))
    return {"beta": a["knob"], "ceiling": ceiling, "ceiling_line": np.full(a["knob"].shape, ceiling),
            "beta_onset": float(a["knob"][int(np.argmax(a["I_xt"] > 1e-3))])}


@experiment("information-bottleneck", tuple(np.geomspace(0.5, 200.0, 30).tolist()), reads="dim",
            finish=_ib_finish, batched=True)
def _ib(beta: Any, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, Any]:
    """The information bottleneck by its self-consistent iterations (Tishby, Pereira & Bialek
    1999) on a joint p(x, y) of ``dim`` equally likely x and a binary y: q(t|x) proportional to
    q(t) exp(-beta KL[p(y|x) || q(y|t)]), 250 iterations from one random q(t|x) with |T| = |X|,
    run for every beta at once (batched over the knob).  Returns I(X;T), I(T;Y) and the
    ceiling I(X;Y) in bits."""
    betas = np.asarray(beta, float)[:, None, None]
    pxy = _ib_joint(p.dim, rng)
    px = pxy.sum(1)
    py_x = pxy / px[:, None]
    q0 = rng.uniform(size=(p.dim, p.dim))
    q = np.broadcast_to(q0 / q0.sum(1, keepdims=True), (betas.shape[0], p.dim, p.dim)).copy()
    log_py_x = np.log(py_x)
    for _ in range(250):
        qt = np.einsum("x,bxt->bt", px, q)
        qy_t = np.einsum("bxt,x,xy->bty", q, px, py_x) / np.maximum(qt[:, :, None], 1e-300)
        kl = (np.einsum("xy,xy->x", py_x, log_py_x)[None, :, None]
              - np.einsum("xy,bty->bxt", py_x, np.log(np.maximum(qy_t, 1e-300))))
        logits = np.log(np.maximum(qt, 1e-300))[:, None, :] - betas * kl
        q = np.exp(logits - logits.max(2, keepdims=True))
        q /= q.sum(2, keepdims=True)
    i_xt, i_ty = [], []
    for qb in q:
        pxt = qb * px[:, None]
        i_xt.append(_mi(pxt))
        i_ty.append(_mi(pxt.T @ py_x))
    return {"I_xt": np.array(i_xt), "I_ty": np.array(i_ty), "I_xy": np.full(len(i_xt), _mi(pxy))}


# -- nearest-neighbour regression on data of dimension d -----------------------------------------


def _nn_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    n = a["knob"]
    d = a["series_values"]
    slopes = np.array([float(np.polyfit(np.log(n), np.log(row), 1)[0]) for row in np.atleast_2d(a["mse"])])
    out: dict[str, Any] = {"exponent": -slopes, "theory_exponent": 2.0 / d, "exponent_times_d": -slopes * d}
    out.update({f"exponent_{i}": float(-v) for i, v in enumerate(slopes)})
    return out


@experiment("nearest-neighbour-manifold", _geom_int(32, 4096, 10), series=(1.0, 2.0, 4.0),
            finish=_nn_finish)
def _nn_manifold(n: float, d: float, _p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """1-nearest-neighbour regression of a smooth target, f(x) = sum_i sin(2 pi x_i) / sqrt(d),
    from n noise-free samples uniform in a d-dimensional torus [0, 1)^d (series: d), tested on
    300 fresh points.  The error falls as n^(-2/d): the exponent is set by the dimension of the
    data (Sharma & Kaplan 2022 argue the same for neural scaling laws)."""
    dd = int(d)
    x = rng.uniform(size=(4096, dd))[: int(n)]
    xt = rng.uniform(size=(300, dd))
    f = lambda z: np.sum(np.sin(2 * np.pi * z), axis=1) / math.sqrt(dd)  # noqa: E731
    # Squared torus distance: sum over axes of min(|u - v|, 1 - |u - v|)^2, one axis at a time.
    dist = np.zeros((xt.shape[0], x.shape[0]))
    for j in range(dd):
        gap = np.abs(xt[:, j, None] - x[None, :, j])
        dist += np.minimum(gap, 1.0 - gap) ** 2
    nearest = np.argmin(dist, axis=1)
    return {"mse": float(np.mean((f(x)[nearest] - f(xt)) ** 2))}


# -- PAC-Bayes bound for a Gaussian posterior over linear classifiers ---------------------------


def _pb_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    i = int(np.argmin(a["bound"]))
    return {"sigma_best": float(a["knob"][i]), "bound_best": float(a["bound"][i]),
            "test_at_best": float(a["test_risk"][i])}


@experiment("pac-bayes-gaussian", tuple(np.geomspace(0.02, 20.0, 31).tolist()), reads="n dim delta noise",
            finish=_pb_finish)
def _pac_bayes(sigma: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """McAllester's PAC-Bayes bound for the Gibbs classifier w ~ Q = N(mu, sigma^2 I) with prior
    P = N(0, I), in the form of Shalev-Shwartz & Ben-David (2014, Thm 31.1): with probability
    1 - delta, risk <= empirical risk + sqrt((KL(Q||P) + ln(n / delta)) / (2 (n - 1))).
    mu is the least-squares direction on n noisy linearly labelled points in R^dim, scaled to
    norm 3.  The Gibbs risks are exact: a point x is misclassified with probability
    Phi(-y mu.x / (sigma |x|)); the test risk is over 5000 fresh points."""
    from scipy import special

    teacher = rng.normal(size=p.dim)
    x = rng.normal(size=(p.n + 5000, p.dim))
    y = np.sign(x @ teacher / math.sqrt(p.dim) + p.noise * rng.normal(size=x.shape[0]))
    mu = np.linalg.lstsq(x[: p.n], y[: p.n], rcond=None)[0]
    mu *= 3.0 / np.linalg.norm(mu)
    margin = y * (x @ mu) / (sigma * np.linalg.norm(x, axis=1))
    miss = 0.5 * special.erfc(margin / math.sqrt(2.0))
    kl = 0.5 * (p.dim * sigma**2 + float(mu @ mu) - p.dim - 2 * p.dim * math.log(sigma))
    slack = math.sqrt((kl + math.log(p.n / p.delta)) / (2 * (p.n - 1)))
    emp = float(np.mean(miss[: p.n]))
    return {"empirical_risk": emp, "kl": kl, "slack": slack, "bound": min(1.0, emp + slack),
            "test_risk": float(np.mean(miss[p.n:]))}


# -- lazy and rich training of a two-layer network ----------------------------------------------


def _two_layer_data(p: SweepParams, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    x = rng.normal(size=(p.n + 200, p.dim)) / math.sqrt(p.dim)
    teacher = rng.normal(size=(p.dim,)) * math.sqrt(p.dim)
    y = np.tanh(x @ teacher) + p.noise * rng.normal(size=x.shape[0])
    return x[: p.n], y[: p.n], x[p.n:], y[p.n:]


@experiment("lazy-scale", tuple(np.geomspace(0.03, 100.0, 15).tolist()), reads="n dim noise width steps lr")
def _lazy(alpha: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Chizat, Oyallon & Bach's scaled model alpha (f(w) - f(w0)) for a two-layer tanh network
    (width ``width``, standard 1/sqrt(m) output), trained by full-batch gradient descent on
    (1/alpha^2) x squared loss with step ``lr`` for ``steps`` steps.  ``movement`` is
    |w_T - w_0| / |w_0|, ``train_loss`` and ``test_loss`` the final losses, ``kernel_change`` the
    relative change of the tangent kernel on the training set."""
    x, y, xt, yt = _two_layer_data(p, rng)
    r = train_two_layer(x, y, xt, yt, width=p.width, steps=p.steps, lr=p.lr, alpha=alpha, rng=rng)
    return {k: r[k] for k in ("movement", "train_loss", "test_loss", "kernel_change")}


@experiment("ntk-width", _geom_int(8, 2048, 9), reads="n dim noise steps lr")
def _ntk_width(width: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Two-layer tanh networks in the NTK parametrisation, f = a.tanh(W x) / sqrt(m), trained by
    full-batch gradient descent on squared loss for ``steps`` steps at step ``lr``, at growing
    width m (Jacot, Gabriel & Hongler 2018).  ``movement`` is |w_T - w_0| / |w_0|,
    ``kernel_change`` the relative change of the tangent kernel on the training set, and
    ``linear_gap`` the RMS gap on test points between the trained network and its
    linearisation at w0 trained the same way."""
    x, y, xt, yt = _two_layer_data(p, rng)
    r = train_two_layer(x, y, xt, yt, width=int(width), steps=p.steps, lr=p.lr, alpha=None, rng=rng,
                        linearised=True)
    return {k: r[k] for k in ("movement", "kernel_change", "linear_gap", "train_loss")}


# -- benign overfitting --------------------------------------------------------------------------


def _benign_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    return {"noise_variance": np.full(a["knob"].shape, p.noise**2), "noise_level": p.noise**2}


@experiment("benign-tail", _geom_int(60, 4000, 14), reads="n noise", finish=_benign_finish)
def _benign(tail: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Minimum-norm interpolation of n noisy samples when x has a few strong directions (5 of
    variance 1, where the signal lives) and a tail of ``tail`` weak ones sharing a total
    variance of 1 (Bartlett, Long, Lugosi & Tsigler 2020).  Returns the excess risk of the
    interpolator, |w - beta|^2 in the covariance's norm, and its training error (zero: it
    interpolates once 5 + tail > n)."""
    t = int(tail)
    var = np.concatenate([np.ones(5), np.full(t, 1.0 / t)])
    beta = np.concatenate([rng.normal(size=5) / math.sqrt(5), np.zeros(t)])
    x = rng.normal(size=(p.n, 5 + t)) * np.sqrt(var)
    y = x @ beta + p.noise * rng.normal(size=p.n)
    w = x.T @ np.linalg.solve(x @ x.T, y)  # the minimum-norm interpolant (5 + tail > n)
    return {"excess_risk": float(np.sum(var * (w - beta) ** 2)),
            "train_error": float(np.mean((x @ w - y) ** 2))}


# -- bias-variance decomposition over many training sets -----------------------------------------


def _bv_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    i = int(np.argmin(a["total"]))
    return {"best_degree": float(a["knob"][i]), "noise_floor": np.full(a["knob"].shape, p.noise**2)}


@experiment("bias-variance-degree", tuple(float(d) for d in range(0, 11)), reads="n noise trials",
            finish=_bv_finish)
def _bias_variance(deg: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Least-squares polynomials of one degree fitted to ``trials`` training sets of n noisy
    samples of sin(2 pi x) at fixed jittered-grid inputs (Geman, Bienenstock & Doursat 1992):
    ``bias2`` is the squared gap between the average fit and the sine, ``variance`` the spread
    of the fits around their average (both averaged over 200 test inputs), ``total`` their sum
    plus the noise variance, the expected test error."""
    x = (np.arange(p.n) + 0.5) / p.n + rng.uniform(-0.3, 0.3, p.n) / p.n
    xt = np.linspace(0.0, 1.0, 200)
    trials = min(p.trials, 2000)
    y = np.sin(2 * np.pi * x)[:, None] + p.noise * rng.normal(size=(p.n, trials))
    vx = np.polynomial.legendre.legvander(2 * x - 1, int(deg))
    vt = np.polynomial.legendre.legvander(2 * xt - 1, int(deg))
    fits = vt @ np.linalg.lstsq(vx, y, rcond=None)[0]  # (200, trials)
    mean = fits.mean(axis=1)
    bias2 = float(np.mean((mean - np.sin(2 * np.pi * xt)) ** 2))
    variance = float(np.mean(fits.var(axis=1)))
    return {"bias2": bias2, "variance": variance, "total": bias2 + variance + p.noise**2}



# -- teacher-student binary perceptron (exact version space) ------------------------------------


_SPINS: dict[int, np.ndarray] = {}


def _all_spins(n: int) -> np.ndarray:
    if n not in _SPINS:
        _SPINS[n] = 2.0 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1) - 1.0
    return _SPINS[n]


def _perceptron_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    alone = np.flatnonzero(np.asarray(a["alone"]) >= 0.5)
    return {"alpha_alone": float(a["knob"][alone[0]]) if alone.size else math.inf}


@experiment("binary-perceptron", tuple(np.round(np.arange(0.2, 3.01, 0.2), 2).tolist()), reads="dim",
            finish=_perceptron_finish)
def _binary_perceptron(alpha: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """A teacher perceptron with +-1 weights labels P = alpha N random +-1 patterns; every one
    of the 2^N binary students is checked (N = ``dim``, odd, at most 17).  ``gibbs_error`` is
    the mean generalisation error arccos(R)/pi over the students that fit every pattern (the
    version space; R their overlap with the teacher), ``alone`` is 1 when the teacher is the
    only one left (Gyorgyi 1990: for large N perfect generalisation sets in abruptly at
    alpha ~ 1.245).  ``finish`` adds ``alpha_alone``, the first alpha where the median run has
    only the teacher left."""
    n = p.dim
    if n % 2 == 0 or n > 17:
        msg = "binary-perceptron needs an odd dim of at most 17"
        raise ValueError(msg)
    spins = _all_spins(n)
    teacher = rng.choice([-1.0, 1.0], size=n)
    pool = rng.choice([-1.0, 1.0], size=(n, 3 * n + 1))
    x = pool[:, : int(round(alpha * n))]
    ok = np.all(np.sign(spins @ x) == np.sign(teacher @ x), axis=1)
    overlap = spins[ok] @ teacher / n
    err = np.arccos(np.clip(overlap, -1.0, 1.0)) / np.pi
    return {"gibbs_error": float(err.mean()), "alone": float(ok.sum() == 1),
            "version_space": float(ok.sum())}


# -- learning curves of least squares ------------------------------------------------------------


def _lc_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    n = a["knob"]
    return {"noise_level": np.full(n.shape, p.noise**2),
            "train_theory": p.noise**2 * (1 - p.dim / n),
            "test_theory": p.noise**2 * (1 + p.dim / (n - p.dim - 1))}


@experiment("learning-curve", _geom_int(30, 2000, 18), reads="dim noise", finish=_lc_finish)
def _learning_curve(n: float, _s: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Ordinary least squares with ``dim`` coefficients on n samples, y = x.beta + noise,
    x ~ N(0, I): the training error and the exact expected test error |w - beta|^2 + noise^2.
    Both approach the noise level from either side, as sigma^2 (1 - d/n) and
    sigma^2 (1 + d/(n - d - 1)) (Cortes et al. 1994); the draws are nested in n."""
    if n <= p.dim + 1:
        msg = "learning-curve needs every n above dim + 1"
        raise ValueError(msg)
    beta = rng.normal(size=p.dim) / math.sqrt(p.dim)
    x = rng.normal(size=(2000, p.dim))[: int(n)]
    y = x @ beta + p.noise * rng.normal(size=2000)[: int(n)]
    w = np.linalg.solve(x.T @ x, x.T @ y)
    return {"train_error": float(np.mean((x @ w - y) ** 2)),
            "test_error": float(np.sum((w - beta) ** 2) + p.noise**2)}


# -- where interpolation hurts: min-norm error over samples and features ------------------------


def _grid_finish(p: SweepParams, a: dict[str, Any]) -> dict[str, Any]:
    n, d = a["knob"], a["series_values"]
    err = a["test_error"]
    worst_n = n[np.argmax(err, axis=1)]
    return {"n_labels": [f"{int(v)}" for v in n], "p_labels": [f"{int(v)}" for v in d],
            "log_excess": np.log10(err / p.noise**2), "peak_ratio": worst_n / d, "at_threshold": np.isclose(n[None, :], d[:, None]),
            "past_twice": n[None, :] >= 2 * d[:, None]}


@experiment("min-norm-grid", tuple(float(v) for v in (10, 14, 20, 28, 40, 56, 80, 113, 160, 226, 320)),
            series=(10.0, 20.0, 40.0, 80.0, 160.0), reads="noise", finish=_grid_finish)
def _min_norm_grid(n: float, d: float, p: SweepParams, rng: np.random.Generator) -> dict[str, float]:
    """Minimum-norm least squares with d coefficients (series) on n samples (knob), y = x.beta
    + noise, x ~ N(0, I_d), |beta| = 1: the exact test error |w - beta|^2 + noise^2.  On the
    grid of (n, d) the error ridges along n = d, the interpolation threshold (Hastie et al.
    2022)."""
    dd, nn = int(d), int(n)
    beta = rng.normal(size=dd)
    beta /= np.linalg.norm(beta)
    x = rng.normal(size=(nn, dd))
    y = x @ beta + p.noise * rng.normal(size=nn)
    w = np.linalg.lstsq(x, y, rcond=None)[0]
    return {"test_error": float(np.sum((w - beta) ** 2) + p.noise**2)}
