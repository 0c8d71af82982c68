"""Robustness, safety and fairness: attacks, shifts and fairness criteria computed on small models.

Three recipes, each a table of experiments named by ``experiment``; this module holds the first.

``robust-curves`` — a quantity against a knob, shaped for ``curve-vs-scale`` (``x``, ``y`` and
named series, ``rows`` for families of curves, scalars for notes and markers):

* ``linearity`` — Goodfellow et al.'s linearity argument: for a linear score w.x with weights
  w ~ N(0, 1) in d dimensions, the score change of the worst L-inf step of size eps is
  eps ||w||_1 (grows like d), that of a random-sign step of the same size |sum s_i w_i| eps
  (grows like sqrt d); medians over ``repeats`` draws per d;
* ``tsipras`` — Tsipras et al.'s Gaussian model, exactly: x1 = y with probability p, the other
  ``dim`` features N(eta y, 1) with eta = 2/sqrt(dim); the averaging classifier's accuracy under an
  L-inf attack of size eps is Phi((eta - eps) sqrt dim), the classifier on x1 keeps p (eps < 1);
* ``off-switch`` — the off-switch game: the robot's utility belief U ~ N(mu, sigma^2); the
  value of deferring to a rational human, E max(U, 0) - max(mu, 0), per mu in ``values``;
* ``chouldechova`` — FPR = p/(1-p) (1-PPV)/PPV (1-FNR) against the base rate p, one row per
  FNR in ``values`` at PPV = ``ppv``; two groups' base rates marked;
* ``delayed-impact`` — Liu et al.'s one-step model: a score distribution N(``mean``, 100^2) on
  300..850, repayment probability 1/(1 + exp(-(x - 600)/50)); lending to the top share beta
  changes the group's mean score by sum pmf (pi c+ - (1-pi) c-); the lender's profit-maximising
  share and the share beyond which the mean score falls;
* ``breakdown`` — error of the mean, the 10 %-trimmed mean and the median of ``n`` N(0, 1) draws
  when a fraction of them is replaced by outliers near 100 (median over ``repeats``);
* ``performative`` — repeated risk minimisation of squared loss when the data answer the model:
  z ~ N(mu + eps theta, 1), theta_{t+1} = mean of ``n`` draws at theta_t, one row per eps;
* ``concept-drift`` — a stream whose concept turns by ``angle_deg`` at ``change``; an online
  nearest-mean classifier (class means updated with every labelled point) run plain and with the
  drift detection method (DDM: reset when error + sd passes its minimum + 3 sd); rolling error
  over a 100-point window;
* ``deferral`` — trusted monitoring with deferral: a monitor's suspicion is N(0, 1) on honest
  work and N(d, 1) on a backdoor; the top ``audit`` share is audited (catches the attack) and
  the next band is handed to the weaker trusted model (neutralises it, costs usefulness); safety
  = P(caught before a backdoor gets through), one row per d in ``values``.

The planes are in :mod:`teeprint.recipes.robust_plane`, the images and tables in
:mod:`teeprint.recipes.robust_matrix`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe


def _stats() -> Any:
    """scipy.stats, imported when a recipe runs (its import is slow)."""
    from scipy import stats  # noqa: PLC0415

    return stats

CurveExperiment = Literal["linearity", "tsipras", "off-switch", "chouldechova", "delayed-impact",
                          "breakdown", "performative", "concept-drift", "deferral"]


class RobustCurveParams(Params):
    """Which experiment and its knobs (each experiment reads the ones its docstring names)."""

    experiment: CurveExperiment
    points: int = Field(40, ge=5, le=400)
    repeats: int = Field(50, ge=1, le=2000)
    n: int = Field(100, ge=10, le=5000)
    dim: int = Field(100, ge=1, le=10000)
    p: float = Field(0.95, gt=0.5, lt=1.0, description="tsipras: P(x1 = y)")
    values: tuple[float, ...] = Field((1.0,), min_length=1, max_length=6)
    ppv: float = Field(0.7, gt=0.0, lt=1.0)
    groups: tuple[float, float] = Field((0.3, 0.5), description="chouldechova: two base rates")
    mean: float = Field(520.0, ge=300.0, le=850.0, description="delayed-impact: group's mean score")
    gain: float = Field(75.0, gt=0.0, le=500.0, description="delayed-impact: score gain on repayment")
    loss: float = Field(150.0, gt=0.0, le=500.0, description="delayed-impact: score loss on default")
    loss_ratio: float = Field(4.0, gt=0.0, le=50.0, description="delayed-impact: lender's loss/profit")
    mu: float = Field(1.0, ge=-10.0, le=10.0, description="performative: base mean")
    steps: int = Field(30, ge=2, le=400)
    stream: int = Field(3000, ge=500, le=20000)
    change: int = Field(1500, ge=300, le=19000)
    angle_deg: float = Field(120.0, ge=0.0, le=180.0, description="concept-drift: turn of the concept")
    audit: float = Field(0.02, gt=0.0, lt=0.5, description="deferral: audited share of work")


def _median_runs(runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.median(runs, 0), np.quantile(runs, 0.1, 0), np.quantile(runs, 0.9, 0)


def _linearity(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    dims = np.unique(np.round(np.logspace(0, math.log10(p.dim), p.points)).astype(int))
    worst = np.empty((p.repeats, dims.size))
    rand = np.empty((p.repeats, dims.size))
    for j, d in enumerate(dims):
        w = rng.normal(size=(p.repeats, d))
        s = rng.choice([-1.0, 1.0], size=(p.repeats, d))
        worst[:, j] = np.abs(w).sum(1)
        rand[:, j] = np.abs((s * w).sum(1))
    wm, _, _ = _median_runs(worst)
    rm, rlo, rhi = _median_runs(rand)
    return {"d": dims.astype(float), "worst": wm, "random": rm, "random_lo": rlo, "random_hi": rhi,
            "expected_worst": dims * math.sqrt(2 / math.pi), "ratio_end": float(wm[-1] / rm[-1]),
            "d_max": float(dims[-1])}


def _tsipras(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    eta = 2.0 / math.sqrt(p.dim)
    eps = np.linspace(0.0, 2.5 * eta, p.points)
    avg = _stats().norm.cdf((eta - eps) * math.sqrt(p.dim))
    rob = np.full(eps.size, p.p)
    cross = float(eps[np.argmax(avg < p.p)] / eta)
    return {"eps_over_eta": eps / eta, "eps": eps, "eta": eta, "averaging": avg, "robust": rob,
            "clean_avg": float(avg[0]), "clean_robust": p.p, "cross": cross,
            "avg_at_2eta": float(_stats().norm.cdf(-eta * math.sqrt(p.dim)))}


def _off_switch(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    sigma = np.linspace(0.0, 3.0, p.points)
    rows = []
    for mu in p.values:
        s = np.maximum(sigma, 1e-12)
        z = mu / s
        defer = mu * _stats().norm.cdf(z) + s * _stats().norm.pdf(z)
        rows.append(defer - max(mu, 0.0))
    rows_a = np.array(rows)
    return {"sigma": sigma, "rows": rows_a, "mu": np.array(p.values), "zero_mu": sigma / math.sqrt(2 * math.pi),
            "min_gain": float(rows_a.min())}


def _chouldechova(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    base = np.linspace(0.02, 0.9, p.points)
    odds = base / (1 - base)
    rows = np.array([odds * (1 - p.ppv) / p.ppv * (1 - fnr) for fnr in p.values])
    g = np.array(p.groups)
    fpr_g = g / (1 - g) * (1 - p.ppv) / p.ppv * (1 - p.values[0])
    return {"base_rate": base, "rows": rows, "main": rows[0], "rest": rows[1:], "fnr": np.array(p.values), "group_rates": g, "group_fpr": fpr_g,
            "fpr_a": float(fpr_g[0]), "fpr_b": float(fpr_g[1]), "rate_a": float(g[0]), "rate_b": float(g[1]),
            "ppv": p.ppv}


def _delayed_impact(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    x = np.arange(300.0, 851.0, 1.0)
    pmf = _stats().norm.pdf(x, p.mean, 100.0)
    pmf /= pmf.sum()
    repay = 1 / (1 + np.exp(-(x - 600.0) / 50.0))
    order = np.argsort(-x)  # lend from the top score down
    cum = np.concatenate([[0.0], np.cumsum(pmf[order])])
    d_mu = np.concatenate([[0.0], np.cumsum((pmf * (repay * p.gain - (1 - repay) * p.loss))[order])])
    profit = np.concatenate([[0.0], np.cumsum((pmf * (repay - (1 - repay) * p.loss_ratio))[order])])
    beta = np.linspace(0.0, 1.0, p.points)
    dm = np.interp(beta, cum, d_mu)
    pr = np.interp(beta, cum, profit)
    best = float(cum[np.argmax(d_mu)])
    util = float(cum[np.argmax(profit)])
    neg = cum[1:][d_mu[1:] < 0]
    zero = float(neg.min()) if neg.size else 1.0
    return {"beta": beta, "delta_mu": dm, "profit": pr, "beta_best": best, "beta_util": util,
            "beta_zero": zero, "best_delta": float(d_mu.max()), "end_delta": float(d_mu[-1]),
            "pi_best": float(p.loss / (p.gain + p.loss)), "util_delta": float(np.interp(util, cum, d_mu))}


def _breakdown(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    frac = np.linspace(0.0, 0.6, p.points)
    errs = np.empty((3, p.repeats, frac.size))
    cut = int(round(0.1 * p.n))
    for j, f in enumerate(frac):
        z = rng.normal(size=(p.repeats, p.n))
        k = int(round(f * p.n))
        z[:, :k] = 100.0 + rng.normal(size=(p.repeats, k))
        s = np.sort(z, 1)
        errs[0, :, j] = np.abs(z.mean(1))
        errs[1, :, j] = np.abs(s[:, cut:p.n - cut].mean(1))
        errs[2, :, j] = np.abs(np.median(z, 1))
    med = np.median(errs, 1)

    def broke(e: np.ndarray) -> float:
        bad = np.flatnonzero(e > 10.0)
        return float(frac[bad[0]]) if bad.size else 1.0

    return {"fraction": frac, "mean_err": med[0], "trimmed_err": med[1], "median_err": med[2],
            "mean_breaks": broke(med[0]), "trimmed_breaks": broke(med[1]), "median_breaks": broke(med[2]),
            "trim": 0.1}


def _performative(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    t = np.arange(p.steps + 1, dtype=float)
    rows = np.empty((len(p.values), t.size))
    for i, eps in enumerate(p.values):
        theta = 0.0
        rows[i, 0] = theta
        for k in range(1, t.size):
            theta = float(np.mean(p.mu + eps * theta + rng.normal(size=p.n)))
            rows[i, k] = theta
    stable = np.array([p.mu / (1 - e) if e < 1 else math.nan for e in p.values])
    last = rows[:, -1]
    return {"t": t, "rows": rows, "main": rows[0], "rest": rows[1:], "eps": np.array(p.values), "stable": stable,
            "last": last,
            "stable_0": float(stable[0]), "stable_1": float(stable[1]) if stable.size > 1 else math.nan}


def _nearest_mean(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    m1, m0 = x[y == 1].mean(0), x[y == 0].mean(0)
    w = m1 - m0
    return w, float(-w @ (m1 + m0) / 2)


def _concept_drift(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    n, ch = p.stream, min(p.change, p.stream - 200)
    x = rng.normal(size=(n, 2))
    a = math.radians(p.angle_deg)
    w_old, w_new = np.array([1.0, 0.0]), np.array([math.cos(a), math.sin(a)])
    margin = np.where(np.arange(n) < ch, x @ w_old, x @ w_new)
    y = (margin + 0.3 * rng.normal(size=n) > 0).astype(int)
    err = np.zeros((2, n))
    detections: list[int] = []
    for k, detect in enumerate((False, True)):
        sums, counts = np.zeros((2, 2)), np.zeros(2)
        count, errs, pmin, smin = 0, 0, math.inf, math.inf
        for t in range(n):
            if counts.min() > 0:
                m0, m1 = sums[0] / counts[0], sums[1] / counts[1]
                e = float(int((x[t] - (m0 + m1) / 2) @ (m1 - m0) > 0) != y[t])
            else:
                e = float(y[t] != 1)
            err[k, t] = e
            sums[y[t]] += x[t]
            counts[y[t]] += 1
            if not detect or t < 100:
                continue
            count += 1
            errs += int(e)
            pr = errs / count
            sr = math.sqrt(pr * (1 - pr) / count)
            if count >= 30 and pr + sr < pmin + smin:
                pmin, smin = pr, sr
            if count >= 30 and pr + sr >= pmin + 3 * smin:
                detections.append(t)
                sums, counts = np.zeros((2, 2)), np.zeros(2)
                count, errs, pmin, smin = 0, 0, math.inf, math.inf
    win = 100
    kern = np.ones(win) / win
    st = np.convolve(err[0], kern, "valid")
    ad = np.convolve(err[1], kern, "valid")
    tt = np.arange(win - 1, n, dtype=float)
    det = np.array(detections, float)
    after = det[det >= ch]
    first = float(after[0] - ch) if after.size else math.inf
    tail = slice(ch + 300, n)
    return {"t": tt, "plain": st, "reset": ad, "change": float(ch), "detections": det,
            "delay": first, "false_alarms": float(np.sum(det < ch)),
            "plain_after": float(err[0, tail].mean()), "reset_after": float(err[1, tail].mean()),
            "before": float(err[0, 200:ch].mean()), "detected_at": float(ch + first),
            "peak_plain": float(st[tt >= ch].max())}


def _deferral(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    defer = np.linspace(0.0, 0.5, p.points)
    t_audit = _stats().norm.isf(p.audit)
    t_defer = _stats().norm.isf(p.audit + defer)
    useful = 1.0 - defer
    rows = []
    for d in p.values:
        caught = _stats().norm.sf(t_audit - d)
        through = _stats().norm.cdf(t_defer - d)
        rows.append(caught / (caught + through))
    rows_a = np.array(rows)
    return {"usefulness": useful, "defer": defer, "rows": rows_a, "main": rows_a[0], "rest": rows_a[1:],
            "separation": np.array(p.values),
            "safety_no_defer": rows_a[:, 0], "audit": p.audit}


_CURVES = {"linearity": _linearity, "tsipras": _tsipras, "off-switch": _off_switch,
           "chouldechova": _chouldechova, "delayed-impact": _delayed_impact, "breakdown": _breakdown,
           "performative": _performative, "concept-drift": _concept_drift, "deferral": _deferral}


@recipe("robust-curves", RobustCurveParams)
def robust_curves(p: RobustCurveParams, rng: np.random.Generator) -> Arrays:
    """A robustness, safety or fairness quantity against a knob (experiments: module docstring)."""
    return _CURVES[p.experiment](p, rng)
