"""Data, evaluation and metrics: scores, curves and tests computed from seeded synthetic scorers.

Two engines live here.

``eval-curves`` (computed) draws a seeded binary scorer: ``n`` cases, a share ``prevalence`` of
them positive; negatives score N(0, 1), positives N(d, pos_sd^2) for each separation d in
``separations``.  The exact posterior P(y = 1 | s) of that model is known, which gives calibrated
probabilities to start from.  ``kind`` picks the curves:

* ``roc`` — ROC at each separation on a false-positive grid ``x``: ``tpr_i``, AUC by the
  Mann-Whitney pair count ``auc`` and the normal-theory value Phi(d / sqrt(1 + pos_sd^2)) ``auc_theory``;
* ``pr`` — precision against recall at the first separation for each of ``prevalences``:
  ``precision_i`` on the recall grid ``x``, average precision ``ap`` (sum of precision times recall
  steps), ``auc`` (the same ROC at every prevalence) and the baselines ``prevalences``;
* ``det`` — detection-error trade-off on normal-deviate axes: ``probit_fpr_i``, ``probit_fnr_i``
  and the least-squares ``det_slope`` and ``det_intercept`` per separation;
* ``cost`` — Drummond and Holte's cost lines of ``thresholds`` thresholds over the
  probability-cost axis ``x`` (``rows``), their lower envelope ``envelope`` and the trivial ``trivial``;
* ``reliability`` — a scorer over-confident by the factor ``overconfidence`` (logits multiplied),
  one temperature fitted by log-loss on a calibration half, reliability bins on the other half:
  ``conf_before``/``freq_before``, ``conf_after``/``freq_after``, ``ece_before``, ``ece_after``,
  ``temperature``, ``accuracy_before``, ``accuracy_after``;
* ``risk-coverage`` — selective risk against coverage ``x`` for the exact confidence ``risk_exact``
  and a noisy confidence ``risk_noisy`` (noise sd ``noise``), their areas ``aurc_exact``/``aurc_noisy``;
* ``f1-threshold`` — precision, recall and F1 of the calibrated probability against the threshold
  ``x``; ``best_threshold`` and ``best_f1``;
* ``label-shift`` — classify-and-count ``cc`` and the EM prior estimate ``em`` of Saerens et al.
  against the true test prior ``x``, for a posterior fitted at ``prevalence``;
* ``temperature-sweep`` — accuracy, log loss and Brier score of the calibrated scorer with its
  logits multiplied by the factor ``x`` (``accuracy``, ``log_loss``, ``brier``);
* ``brier-decomposition`` — Murphy's partition of the Brier score of forecasts rounded to
  ``bins`` levels, against the factor ``x``: ``reliability``, ``resolution``, ``uncertainty``,
  ``brier`` and the identity's residual ``identity_gap``.

``eval-formulas`` (closed-form, the rng is not used) evaluates exact formulas; ``formula`` picks:

* ``scoring-rules`` — expected log loss, Brier score and absolute error of reporting ``x`` when the
  truth is ``truth_p``;
* ``power`` — two-sample z-test power against per-group n (``x``) for each effect size in
  ``effects`` (``rows``), and ``n80`` per effect;
* ``power-plane`` — the same power on a grid of per-group n (``grid_x``) and effect size
  (``grid_y``), the 80 % contour in closed form ``curve80`` and ``marks`` at the ``effects``;
* ``pass-at-k`` — the unbiased pass@k 1 - C(n-c, k)/C(n, k) for each c in ``correct`` (``rows``)
  and the plug-in 1 - (1 - c/n)^k (``plugin``);
* ``prevalence-metrics`` — accuracy, balanced accuracy, F1 and MCC of a classifier with fixed
  ``sensitivity`` and ``specificity`` against the prevalence ``x``; ``majority`` is the accuracy of
  always answering the common class;
* ``kappa-paradox`` — Cohen's kappa at fixed observed agreement ``agreement`` against the share of
  positive ratings ``x`` (NaN where two raters cannot reach that agreement);
* ``binomial-coverage`` — exact coverage of the 95 % Wald and Wilson intervals for ``trials``
  Bernoulli trials against the true proportion ``x``;
* ``rule-of-three`` — exact one-sided 95 % upper bound after n clean trials and 3/n; the plane
  ``p_clean`` = (1 - r)^n over ``grid_x`` = log10 n and ``grid_y`` = log10 r (r from 1e-4 to 0.5), the
  bound and 3/n as paths ``bound_xy`` / ``three_xy`` and the bound at n = 300 as ``mark_300``;
* ``f-score-plane`` — F_1 and F_2 on a precision-recall grid (``grid_x`` recall, ``grid_y`` precision);
* ``frechet-plane`` — the Frechet distance between N(0, I) and N(mu 1/sqrt(d), s^2 I) in ``dim``
  dimensions on a (mu, s) grid, in closed form and by the matrix square root at sample points.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

CurveKind = Literal["roc", "pr", "det", "cost", "reliability", "risk-coverage", "f1-threshold",
                    "label-shift", "temperature-sweep", "brier-decomposition"]


class EvalCurveParams(Params):
    """A seeded Gaussian scorer and which evaluation curves to draw from it."""

    kind: CurveKind
    n: int = Field(20000, ge=200, le=200000, description="cases per scorer")
    prevalence: float = Field(0.5, ge=0.001, le=0.999)
    separations: tuple[float, ...] = Field((2.0,), min_length=1, max_length=4)
    pos_sd: float = Field(1.0, ge=0.25, le=4.0, description="sd of the positives' scores")
    pos_sds: tuple[float, ...] = Field((), max_length=4, description="roc/det: one sd per separation")
    prevalences: tuple[float, ...] = Field((0.5, 0.1, 0.01), min_length=1, max_length=4)
    overconfidence: float = Field(3.0, ge=0.2, le=10.0)
    bins: int = Field(10, ge=4, le=40)
    points: int = Field(201, ge=21, le=1001)
    thresholds: int = Field(12, ge=2, le=40, description="cost: lines drawn")
    noise: float = Field(1.0, ge=0.0, le=10.0, description="risk-coverage: confidence noise sd")
    factor_min: float = Field(0.25, ge=0.01, le=1.0)
    factor_max: float = Field(8.0, ge=1.0, le=100.0)


def _draw(rng: np.random.Generator, n: int, prev: float, d: float, sd: float) -> tuple[np.ndarray, np.ndarray]:
    y = rng.random(n) < prev
    s = np.where(y, d + sd * rng.standard_normal(n), rng.standard_normal(n))
    return s, y


def _logit(s: np.ndarray, prev: float, d: float, sd: float) -> np.ndarray:
    """Exact log-odds of the positive class given the score."""
    lp = -0.5 * ((s - d) / sd) ** 2 - math.log(sd)
    ln = -0.5 * s**2
    return math.log(prev / (1 - prev)) + lp - ln


def _sigmoid(z: np.ndarray) -> np.ndarray:
    from scipy import special

    return np.asarray(special.expit(z))


def _rates(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Empirical (fpr, tpr, threshold) from the highest score down, starting at (0, 0)."""
    order = np.argsort(-s, kind="stable")
    yy = y[order]
    tp = np.concatenate([[0], np.cumsum(yy)])
    fp = np.concatenate([[0], np.cumsum(~yy)])
    thr = np.concatenate([[np.inf], s[order]])
    return fp / max(fp[-1], 1), tp / max(tp[-1], 1), thr


def _auc(s: np.ndarray, y: np.ndarray) -> float:
    """Mann-Whitney: the share of (positive, negative) pairs ranked the right way round."""
    from scipy import stats

    r = stats.rankdata(s)
    npos = int(y.sum())
    nneg = len(y) - npos
    return float((r[y].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def _ece(conf: np.ndarray, y: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Equal-width reliability bins of P(y = 1): mean forecast, observed frequency, ECE."""
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    cnt = np.bincount(idx, minlength=bins)
    sc = np.bincount(idx, conf, minlength=bins)
    sy = np.bincount(idx, y.astype(float), minlength=bins)
    keep = cnt > 0
    mc, fy = sc[keep] / cnt[keep], sy[keep] / cnt[keep]
    return mc, fy, float(np.sum(cnt[keep] * np.abs(mc - fy)) / len(y))


def _nll(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.logaddexp(0, z) - y * z))


def _roc(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    from scipy import stats

    x = np.linspace(0, 1, p.points)
    out: Arrays = {"x": x, "chance": x.copy(), "separations": np.array(p.separations)}
    auc, theory = [], []
    for i, (d, sd) in enumerate(zip(p.separations, _sds(p), strict=True)):
        s, y = _draw(rng, p.n, p.prevalence, d, sd)
        fpr, tpr, _ = _rates(s, y)
        out[f"tpr_{i}"] = np.interp(x, fpr, tpr)
        auc.append(_auc(s, y))
        theory.append(float(stats.norm.cdf(d / math.sqrt(1 + sd**2))))
        out[f"auc_{i}"] = auc[-1]
    out["auc"], out["auc_theory"] = np.array(auc), np.array(theory)
    return out


def _pr(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    x = np.linspace(0.005, 1, p.points)
    d = p.separations[0]
    out: Arrays = {"x": x, "prevalences": np.array(p.prevalences)}
    ap, auc = [], []
    for i, prev in enumerate(p.prevalences):
        s, y = _draw(rng, p.n, prev, d, p.pos_sd)
        order = np.argsort(-s, kind="stable")
        tp = np.cumsum(y[order])
        k = np.arange(1, len(s) + 1)
        prec, rec = tp / k, tp / tp[-1]
        out[f"precision_{i}"] = prec[np.searchsorted(rec, x)]
        ap.append(float(np.sum(np.diff(np.concatenate([[0.0], rec])) * prec)))
        auc.append(_auc(s, y))
        out[f"ap_{i}"], out[f"auc_{i}"] = ap[-1], auc[-1]
        out[f"baseline_{i}"] = np.full_like(x, float(y.mean()))
    out["ap"], out["auc"] = np.array(ap), np.array(auc)
    return out


def _sds(p: EvalCurveParams) -> list[float]:
    """The positives' sd for each separation: ``pos_sds`` when given, else ``pos_sd`` for all."""
    return [p.pos_sds[i] if i < len(p.pos_sds) else p.pos_sd for i in range(len(p.separations))]


def _det(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    from scipy import stats

    out: Arrays = {"separations": np.array(p.separations), "pos_sds": np.array(_sds(p))}
    slopes, inters = [], []
    for i, (d, sd) in enumerate(zip(p.separations, _sds(p), strict=True)):
        s, y = _draw(rng, p.n, p.prevalence, d, sd)
        fpr, tpr, _ = _rates(s, y)
        fnr = 1 - tpr
        keep = (fpr > 0.002) & (fpr < 0.95) & (fnr > 0.002) & (fnr < 0.95)
        idx = np.flatnonzero(keep)
        idx = idx[np.linspace(0, len(idx) - 1, min(p.points, len(idx))).astype(int)]
        px, py = stats.norm.ppf(fpr[idx]), stats.norm.ppf(fnr[idx])
        out[f"probit_fpr_{i}"], out[f"probit_fnr_{i}"] = px, py
        b, a = np.polyfit(px, py, 1)
        slopes.append(float(b))
        inters.append(float(a))
        out[f"slope_{i}"] = float(b)
    out["det_slope"], out["det_intercept"] = np.array(slopes), np.array(inters)
    return out


def _cost(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    x = np.linspace(0, 1, p.points)
    s, y = _draw(rng, p.n, p.prevalence, p.separations[0], p.pos_sd)
    fpr, tpr, thr = _rates(s, y)
    # every threshold's line from (0, FPR) to (1, FNR); the envelope is over all of them
    lines = fpr[:, None] * (1 - x) + (1 - tpr)[:, None] * x
    envelope = lines.min(axis=0)
    # the drawn lines: thresholds spread evenly among those with both error rates at most one half
    mid = np.flatnonzero((fpr <= 0.5) & (tpr >= 0.5))
    pick = mid[np.linspace(0, len(mid) - 1, p.thresholds).astype(int)]
    trivial = np.minimum(x, 1 - x)
    return {"x": x, "rows": lines[pick], "envelope": envelope, "trivial": trivial,
            "line_fpr": fpr[pick], "line_fnr": 1 - tpr[pick],
            "envelope_peak": float(envelope.max()), "auc": _auc(s, y)}


def _reliability(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    d = p.separations[0]
    s, y = _draw(rng, p.n, p.prevalence, d, p.pos_sd)
    z = p.overconfidence * _logit(s, p.prevalence, d, p.pos_sd)
    half = p.n // 2
    # one temperature by golden-section search of the calibration half's log loss over log T
    lo, hi = math.log(0.05), math.log(20.0)
    g = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if _nll(z[:half] / math.exp(a), y[:half]) < _nll(z[:half] / math.exp(b), y[:half]):
            hi = b
        else:
            lo = a
    temp = math.exp((lo + hi) / 2)
    zt = z[half:]
    yt = y[half:]
    cb, fb, eb = _ece(_sigmoid(zt), yt, p.bins)
    ca, fa, ea = _ece(_sigmoid(zt / temp), yt, p.bins)
    return {"conf_before": cb, "freq_before": fb, "conf_after": ca, "freq_after": fa,
            "ece_before": eb, "ece_after": ea, "temperature": temp,
            "diagonal_x": np.array([0.0, 1.0]), "diagonal_y": np.array([0.0, 1.0]),
            "accuracy_before": float(np.mean((zt > 0) == yt)),
            "accuracy_after": float(np.mean((zt / temp > 0) == yt)),
            "nll_before": _nll(zt, yt), "nll_after": _nll(zt / temp, yt),
            "overconfidence": p.overconfidence}


def _risk_coverage(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    d = p.separations[0]
    s, y = _draw(rng, p.n, p.prevalence, d, p.pos_sd)
    z = _logit(s, p.prevalence, d, p.pos_sd)
    wrong = (z > 0) != y
    x = np.linspace(0.02, 1, p.points)
    out: Arrays = {"x": x, "error_full": float(wrong.mean())}
    for key, conf in (("exact", np.abs(z)), ("noisy", np.abs(z) + p.noise * rng.standard_normal(p.n))):
        order = np.argsort(-conf, kind="stable")
        err = np.cumsum(wrong[order]) / np.arange(1, p.n + 1)
        idx = np.maximum(np.ceil(x * p.n).astype(int) - 1, 0)
        out[f"risk_{key}"] = err[idx]
        out[f"aurc_{key}"] = float(np.mean(err))
    return out


def _f1_threshold(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    d = p.separations[0]
    s, y = _draw(rng, p.n, p.prevalence, d, p.pos_sd)
    q = _sigmoid(_logit(s, p.prevalence, d, p.pos_sd))
    x = np.linspace(0.01, 0.99, p.points)
    pred = q[None, :] >= x[:, None]
    tp = (pred & y).sum(1)
    npred = pred.sum(1)
    prec = np.where(npred > 0, tp / np.maximum(npred, 1), 1.0)
    rec = tp / y.sum()
    f1 = 2 * tp / (npred + y.sum())
    i = int(np.argmax(f1))
    return {"x": x, "precision": prec, "recall": rec, "f1": f1,
            "best_threshold": float(x[i]), "best_f1": float(f1[i]),
            "half_best_f1": float(f1[i] / 2), "prevalence": p.prevalence}


def _label_shift(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    d = p.separations[0]
    x = np.linspace(0.05, 0.95, 19)
    cc, em, acc = [], [], []
    for prior in x:
        s, y = _draw(rng, p.n, float(prior), d, p.pos_sd)
        post = _sigmoid(_logit(s, p.prevalence, d, p.pos_sd))
        cc.append(float(np.mean(post > 0.5)))
        pi = float(np.mean(post))
        # Saerens, Latinne and Decaestecker (2002): EM on the test prior
        r0 = p.prevalence
        for _ in range(200):
            num = post * pi / r0
            new = num / (num + (1 - post) * (1 - pi) / (1 - r0))
            pi_new = float(np.mean(new))
            if abs(pi_new - pi) < 1e-10:
                break
            pi = pi_new
        em.append(pi)
        acc.append(float(np.mean(y)))
    cc_a, em_a = np.array(cc), np.array(em)
    return {"x": x, "truth": x.copy(), "cc": cc_a, "em": em_a, "realised": np.array(acc),
            "cc_error": np.abs(cc_a - x), "em_error": np.abs(em_a - x),
            "train_prior": p.prevalence}


def _factor_grid(p: EvalCurveParams) -> np.ndarray:
    return np.exp(np.linspace(math.log(p.factor_min), math.log(p.factor_max), 41))


def _temperature_sweep(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    d = p.separations[0]
    s, y = _draw(rng, p.n, p.prevalence, d, p.pos_sd)
    z = _logit(s, p.prevalence, d, p.pos_sd)
    x = _factor_grid(p)
    acc = np.array([np.mean((k * z > 0) == y) for k in x])
    ll = np.array([_nll(k * z, y) for k in x])
    br = np.array([np.mean((_sigmoid(k * z) - y) ** 2) for k in x])
    return {"x": x, "accuracy": acc, "log_loss": ll, "brier": br,
            "best_log_loss_factor": float(x[np.argmin(ll)]), "best_brier_factor": float(x[np.argmin(br)]),
            "accuracy_range": float(acc.max() - acc.min()), "one": 1.0}


def _brier_decomposition(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    d = p.separations[0]
    s, y = _draw(rng, p.n, p.prevalence, d, p.pos_sd)
    z = _logit(s, p.prevalence, d, p.pos_sd)
    x = _factor_grid(p)
    yf = y.astype(float)
    base = float(yf.mean())
    rel, res, brier = [], [], []
    for k in x:
        f = np.round(_sigmoid(k * z) * p.bins) / p.bins
        vals, inv = np.unique(f, return_inverse=True)
        cnt = np.bincount(inv)
        obar = np.bincount(inv, yf) / cnt
        rel.append(float(np.sum(cnt * (vals - obar) ** 2) / p.n))
        res.append(float(np.sum(cnt * (obar - base) ** 2) / p.n))
        brier.append(float(np.mean((f - yf) ** 2)))
    rel_a, res_a, br_a = np.array(rel), np.array(res), np.array(brier)
    unc = np.full_like(x, base * (1 - base))
    return {"x": x, "reliability": rel_a, "resolution": res_a, "uncertainty": unc, "brier": br_a,
            "identity_gap": float(np.max(np.abs(br_a - (rel_a - res_a + unc)))),
            "uncertainty_value": float(unc[0]), "best_factor": float(x[np.argmin(br_a)])}


_CURVES: dict[str, Callable[[EvalCurveParams, np.random.Generator], Arrays]] = {
    "roc": _roc, "pr": _pr, "det": _det, "cost": _cost, "reliability": _reliability,
    "risk-coverage": _risk_coverage, "f1-threshold": _f1_threshold,
    "label-shift": _label_shift,
    "temperature-sweep": _temperature_sweep, "brier-decomposition": _brier_decomposition,
}


@recipe("eval-curves", EvalCurveParams)
def eval_curves(p: EvalCurveParams, rng: np.random.Generator) -> Arrays:
    """Evaluation curves of a seeded Gaussian scorer; ``kind`` picks them (module docstring)."""
    return _CURVES[p.kind](p, rng)


Formula = Literal["scoring-rules", "power", "power-plane", "pass-at-k", "prevalence-metrics", "kappa-paradox",
                  "binomial-coverage", "rule-of-three", "f-score-plane", "frechet-plane"]


class EvalFormulaParams(Params):
    """Which exact formula to evaluate, and its few constants."""

    formula: Formula
    points: int = Field(401, ge=21, le=4001)
    truth_p: float = Field(0.3, gt=0.0, lt=1.0, description="scoring-rules: the true probability")
    effects: tuple[float, ...] = Field((0.2, 0.5, 0.8), min_length=1, max_length=5)
    alpha: float = Field(0.05, gt=0.0, le=0.2)
    n_max: int = Field(400, ge=10, le=100000)
    samples: int = Field(200, ge=2, le=10000, description="pass-at-k: n samples per problem")
    correct: tuple[int, ...] = Field((2, 10, 50), min_length=1, max_length=5)
    sensitivity: float = Field(0.9, gt=0.0, lt=1.0)
    specificity: float = Field(0.9, gt=0.0, lt=1.0)
    agreement: float = Field(0.85, gt=0.0, le=1.0, description="kappa-paradox: observed agreement")
    trials: int = Field(50, ge=5, le=2000, description="binomial-coverage: n")
    dim: int = Field(8, ge=1, le=64, description="frechet-plane: dimension")
    grid: int = Field(61, ge=11, le=201)


def _scoring_rules(p: EvalFormulaParams) -> Arrays:
    q = np.linspace(0.005, 0.995, p.points)
    t = p.truth_p
    logl = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    brier = t * (1 - q) ** 2 + (1 - t) * q**2
    absl = t * (1 - q) + (1 - t) * q
    return {"x": q, "log_loss": logl, "brier": brier, "absolute": absl, "truth_p": t,
            "argmin_log": float(q[np.argmin(logl)]), "argmin_brier": float(q[np.argmin(brier)]),
            "argmin_absolute": float(q[np.argmin(absl)]),
            "truth_x": np.array([t]), "truth_y": np.array([float(np.min(logl))])}


def _power(p: EvalFormulaParams) -> Arrays:
    from scipy import stats

    n = np.arange(2, p.n_max + 1, dtype=float)
    z = stats.norm.ppf(1 - p.alpha / 2)
    rows = []
    n80 = []
    for d in p.effects:
        shift = d * np.sqrt(n / 2)
        pw = stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z)
        rows.append(pw)
        n80.append(float(n[np.argmax(pw >= 0.8)]) if np.any(pw >= 0.8) else float("nan"))
    return {"x": n, "rows": np.array(rows), "effects": np.array(p.effects), "n80": np.array(n80),
            "alpha": p.alpha, "eighty": np.full_like(n, 0.8)}


def _power_plane(p: EvalFormulaParams) -> Arrays:
    from scipy import stats

    n = np.linspace(2, p.n_max, p.grid)
    d = np.linspace(0.1, 1.5, p.grid)
    nn, dd = np.meshgrid(n, d)
    z = stats.norm.ppf(1 - p.alpha / 2)
    shift = dd * np.sqrt(nn / 2)
    power = stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z)
    zb = stats.norm.ppf(0.8)
    d80 = np.linspace(0.25, 1.5, 60)
    n80 = 2 * (z + zb) ** 2 / d80**2
    keep = n80 <= p.n_max
    marks = np.array([[2 * (z + zb) ** 2 / e**2, e] for e in p.effects])
    return {"grid_x": n, "grid_y": d, "power": power, "curve80": np.column_stack([n80[keep], d80[keep]]),
            "n80": marks[:, 0], "effects": np.array(p.effects), "marks": marks,
            "power_at_marks": np.array([float(stats.norm.cdf(e * math.sqrt(m / 2) - z) + stats.norm.cdf(-e * math.sqrt(m / 2) - z))
                                        for m, e in marks])}


def _pass_at_k(p: EvalFormulaParams) -> Arrays:
    k = np.arange(1, p.samples + 1)
    rows, plug = [], []
    for c in p.correct:
        c = min(c, p.samples)
        # 1 - prod_{i = n - c + 1}^{n} (1 - k / i), the numerically stable form of Chen et al.
        i = np.arange(p.samples - c + 1, p.samples + 1, dtype=float)
        fail = np.array([np.prod(1 - kk / i) if kk <= p.samples - c else 0.0 for kk in k])
        rows.append(1 - fail)
        plug.append(1 - (1 - c / p.samples) ** k)
    return {"x": k.astype(float), "rows": np.array(rows), "plugin": np.array(plug),
            "correct": np.array(p.correct, float), "samples": p.samples}


def _prevalence_metrics(p: EvalFormulaParams) -> Arrays:
    pi = np.exp(np.linspace(math.log(0.001), math.log(0.5), p.points))
    se, sp = p.sensitivity, p.specificity
    tp, fn = pi * se, pi * (1 - se)
    tn, fp = (1 - pi) * sp, (1 - pi) * (1 - sp)
    acc = tp + tn
    bal = np.full_like(pi, (se + sp) / 2)
    f1 = 2 * tp / (2 * tp + fp + fn)
    mcc = (tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return {"x": pi, "accuracy": acc, "balanced": bal, "f1": f1, "mcc": mcc,
            "majority": 1 - pi, "majority_mcc": np.zeros_like(pi)}


def _kappa_paradox(p: EvalFormulaParams) -> Arrays:
    pi = np.linspace(0.5, 0.99, p.points)
    pe = pi**2 + (1 - pi) ** 2
    po = p.agreement
    kappa = (po - pe) / (1 - pe)
    # both raters say 'yes' at rate pi and agree on a share po: feasible while 1 - po <= 2 (1 - pi)
    feasible = (1 - po) <= 2 * (1 - pi) + 1e-12
    return {"x": pi, "kappa": np.where(feasible, kappa, np.nan), "chance": pe,
            "observed": np.full_like(pi, po), "kappa_half": float(kappa[0]),
            "last_feasible": float(pi[feasible][-1]),
            "kappa_last": float(kappa[feasible][-1])}


def _binomial_coverage(p: EvalFormulaParams) -> Arrays:
    from scipy import stats

    n = p.trials
    x = np.linspace(0.005, 0.995, p.points)
    k = np.arange(n + 1)
    ph = k / n
    z = stats.norm.ppf(0.975)
    half = z * np.sqrt(ph * (1 - ph) / n)
    wl, wh = ph - half, ph + half
    centre = (ph + z**2 / (2 * n)) / (1 + z**2 / n)
    hw = z / (1 + z**2 / n) * np.sqrt(ph * (1 - ph) / n + z**2 / (4 * n**2))
    sl, sh = centre - hw, centre + hw
    pmf = stats.binom.pmf(k[None, :], n, x[:, None])
    wald = np.sum(pmf * ((wl[None, :] <= x[:, None]) & (x[:, None] <= wh[None, :])), axis=1)
    wil = np.sum(pmf * ((sl[None, :] <= x[:, None]) & (x[:, None] <= sh[None, :])), axis=1)
    return {"x": x, "wald": wald, "wilson": wil, "nominal": np.full_like(x, 0.95), "trials": n,
            "wald_mean": float(wald.mean()), "wilson_mean": float(wil.mean())}


def _rule_of_three(p: EvalFormulaParams) -> Arrays:
    n = np.exp(np.linspace(math.log(5), math.log(p.n_max), p.points))
    exact = 1 - p.alpha ** (1 / n)
    # the plane behind the bound: P(n clean cases | error rate r) = (1 - r)^n over log10 n and r
    gx = np.linspace(math.log10(5), math.log10(p.n_max), p.grid)
    gy = np.linspace(-4.0, math.log10(0.5), p.grid)
    clean = (1 - 10 ** gy[:, None]) ** (10 ** gx[None, :])
    return {"x": n, "exact": exact, "approx": -math.log(p.alpha) / n, "three": 3 / n,
            "ratio": (3 / n) / exact, "minus_log_alpha": -math.log(p.alpha),
            "grid_x": gx, "grid_y": gy, "p_clean": clean,
            "bound_xy": np.column_stack([np.log10(n), np.log10(exact)]),
            "three_xy": np.column_stack([np.log10(n), np.log10(3 / n)]),
            "mark_300": np.array([[math.log10(300.0), math.log10(1 - p.alpha ** (1 / 300))]])}


def _f_score_plane(p: EvalFormulaParams) -> Arrays:
    g = np.linspace(0.01, 1, p.grid)
    r, pr = np.meshgrid(g, g)
    f1 = 2 * pr * r / (pr + r)
    f2 = 5 * pr * r / (4 * pr + r)
    return {"grid_x": g, "grid_y": g, "f1": f1, "f2": f2, "arith": (pr + r) / 2,
            "smaller": np.minimum(pr, r), "recall_larger": r >= pr,
            "diag": np.column_stack([g, g]),
            "f1_diag_gap": float(np.max(np.abs(np.diag(f1) - g)))}


def _frechet_plane(p: EvalFormulaParams) -> Arrays:
    from scipy.linalg import sqrtm

    mu = np.linspace(-3, 3, p.grid)
    s = np.linspace(0.0, 2.0, p.grid)
    m, sd = np.meshgrid(mu, s)
    fd = m**2 + p.dim * (1 - sd) ** 2
    # the same distance through the general formula with a matrix square root, at a few points
    checks = []
    for mm, ss in ((0.5, 0.6), (-1.0, 2.0), (2.0, 1.0)):
        c1, c2 = np.eye(p.dim), ss**2 * np.eye(p.dim)
        diff = np.full(p.dim, mm / math.sqrt(p.dim))
        tr = np.trace(c1 + c2 - 2 * np.real(sqrtm(c1 @ c2)))
        checks.append(float(diff @ diff + tr) - (mm**2 + p.dim * (1 - ss) ** 2))
    return {"grid_x": mu, "grid_y": s, "fd": fd, "sqrt_fd": np.sqrt(fd), "check_gap": np.array(checks),
            "zero": np.array([[0.0, 1.0]]), "min_fd": float(fd.min()), "dim": p.dim}


_FORMULAS: dict[str, Callable[[EvalFormulaParams], Arrays]] = {
    "scoring-rules": _scoring_rules, "power": _power, "power-plane": _power_plane, "pass-at-k": _pass_at_k,
    "prevalence-metrics": _prevalence_metrics, "kappa-paradox": _kappa_paradox,
    "binomial-coverage": _binomial_coverage, "rule-of-three": _rule_of_three,
    "f-score-plane": _f_score_plane, "frechet-plane": _frechet_plane,
}


@recipe("eval-formulas", EvalFormulaParams)
def eval_formulas(p: EvalFormulaParams, rng: np.random.Generator) -> Arrays:
    """Exact formulas of evaluation (module docstring); the rng is not used."""
    return _FORMULAS[p.formula](p)
