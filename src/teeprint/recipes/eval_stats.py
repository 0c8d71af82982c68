"""Evaluation statistics: resampling, significance and agreement computed on seeded synthetic data.

One engine, ``eval-stats``; ``experiment`` names a seeded numpy experiment (all computed):

* ``holdout`` — a fixed threshold classifier of two unit Gaussians ``separation`` apart, its
  accuracy measured on ``draws`` fresh test sets of each size in ``sizes``: histograms
  ``density`` over ``x``, ``sd`` against ``sd_theory`` = sqrt(acc (1 - acc) / n), ``true_accuracy``;
* ``bootstrap`` — ``resamples`` bootstrap medians of one log-normal sample of size ``n``:
  histogram ``hist`` over ``x``, the 95 % percentile interval ``lo``/``hi``, the shaded part
  ``inside``, ``true_median`` and the interval's coverage over ``repeats`` fresh samples (300
  resamples each);
* ``cv-one-se`` — ridge regression, ``features`` features (5 carry signal), ``n`` cases:
  ``folds``-fold CV error ``cv`` +/- one standard error (``cv_lo``, ``cv_hi``) against the penalty
  ``x``, the exact test error ``test``, ``lambda_min`` and the one-standard-error ``lambda_1se``;
* ``press`` — a cubic least-squares fit: ordinary residuals ``resid``, leave-one-out residuals by
  refitting ``loo_brute`` and by e / (1 - h) ``loo_formula``, as points ``brute_xy``/``formula_xy``;
* ``leakage`` — pure-noise labels, ``k_select`` features picked by correlation before (``leaky``)
  or inside (``proper``) ``folds``-fold CV, against the number of candidate features ``x``;
* ``nested`` — pure-noise labels; the best of ``x`` random feature subsets by CV: its own CV score
  ``best_cv`` (median, band ``best_lo``/``best_hi``) and the nested estimate ``nested``;
* ``peeking`` — A/A tests checked after every ``look_every`` of ``n`` cases per arm: z paths
  ``paths_crossed``/``paths_clean`` (``show`` runs), the false-positive rate ``fpr`` against the
  number of looks ``looks``, over ``repeats`` runs;
* ``bh`` — ``m`` one-sided z-test p-values, ``signals`` of them shifted by ``effect``: sorted
  ``p_sorted`` against ``rank``, the Benjamini-Hochberg line ``bh_line``, rejections, and the mean
  false discovery proportion ``fdp_bh``/``fdp_bonf`` over ``repeats`` runs;
* ``mcnemar`` — two classifiers on ``n`` shared cases: discordant counts ``b``, ``c``, the exact
  binomial null ``pmf`` over ``x``, its two-sided ``p_exact`` and the chi-square ``p_chi2``;
* ``conformal`` — split conformal band around a cubic fit of heteroscedastic data: ``lower``,
  ``upper`` over ``x``, measured ``coverage`` on fresh cases, ``coverage_low``/``coverage_high`` in
  the quietest and noisiest fifths of the inputs;
* ``minhash`` — MinHash with ``hashes`` hash functions on ``pairs`` document pairs: ``true_j``,
  ``est_j``, points ``xy``;
* ``pit`` — probability integral transform histograms of four forecasters (rows ``density``);
* ``simpson`` — four groups, each with a rising trend, arranged so the pooled fit falls;
* ``berkson`` — two independent scores, cases kept when their sum exceeds ``cut``;
* ``elo`` — online Elo ratings of ``players`` players over ``matches`` games (``rows``) against the
  Bradley-Terry maximum-likelihood fit ``bt`` and the truth ``true_ratings``;
* ``confusion`` — a nearest-class-mean classifier of three Gaussian classes: ``counts`` and
  ``recall_matrix``;
* ``kappa`` — two raters on ``n`` cases: ``observed`` joint table, ``chance`` table, ``kappa``;
* ``confident-learning`` — noisy labels of three classes; the true joint ``true_joint`` of given and
  true labels and the confident-learning estimate ``est_joint``; precision/recall of the flags;
* ``ari`` — k-means against the true clusters: ``table`` and ``ari``; ``ari_random``, ``ri_random``;
* ``silhouette`` — silhouette histograms of k-means for k in ``ks``; ``mean_sil`` per k;
* ``cv-variance`` — k-fold CV estimates of a least-squares fit's test error over ``repeats``
  data sets, for each k in ``ks`` (``n`` is leave-one-out), with the true errors;
* ``goodhart`` — the true value of cases selected on proxy = value + noise, against the share kept
  ``x``, for Gaussian and heavy-tailed noise (``gaussian``, ``heavy``), and histograms of the selected
  values at the shares ``ridge_shares`` (``density_gaussian``, ``density_heavy``, means ``rows_*``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

Experiment = Literal["holdout", "bootstrap", "cv-one-se", "press", "leakage", "nested", "peeking",
                     "bh", "mcnemar", "conformal", "minhash", "pit", "simpson", "berkson", "elo",
                     "confusion", "kappa", "confident-learning", "ari",
                     "silhouette", "cv-variance", "goodhart"]


class EvalStatsParams(Params):
    """An experiment and its sizes; each experiment reads the fields its docstring names."""

    experiment: Experiment
    n: int = Field(200, ge=10, le=20000, description="cases (per arm, per data set)")
    repeats: int = Field(200, ge=1, le=5000)
    draws: int = Field(4000, ge=100, le=20000)
    sizes: tuple[int, ...] = Field((50, 100, 200, 400, 800, 1600), min_length=1, max_length=8)
    separation: float = Field(2.0, ge=0.0, le=6.0)
    resamples: int = Field(4000, ge=100, le=20000)
    features: int = Field(30, ge=2, le=5000)
    folds: int = Field(10, ge=2, le=20)
    k_select: int = Field(10, ge=1, le=100)
    candidates: tuple[int, ...] = Field((10, 30, 100, 300, 1000, 3000), min_length=2, max_length=10)
    look_every: int = Field(10, ge=1, le=1000)
    show: int = Field(40, ge=1, le=200)
    m: int = Field(200, ge=10, le=5000)
    signals: int = Field(20, ge=0, le=5000)
    effect: float = Field(3.0, ge=0.0, le=10.0)
    q: float = Field(0.1, gt=0.0, lt=1.0)
    hashes: int = Field(64, ge=4, le=1024)
    pairs: int = Field(80, ge=5, le=1000)
    cut: float = Field(1.0, ge=-3.0, le=3.0)
    players: int = Field(6, ge=2, le=12)
    matches: int = Field(1500, ge=50, le=20000)
    elo_k: float = Field(24.0, gt=0.0, le=200.0)
    spread: float = Field(300.0, ge=0.0, le=1500.0, description="elo: true ratings span +/- this")
    noise_rates: tuple[float, ...] = Field((0.2, 0.1, 0.15), min_length=3, max_length=3)
    ks: tuple[int, ...] = Field((2, 3, 4, 5, 6), min_length=1, max_length=8)
    clusters: int = Field(4, ge=2, le=8)
    cluster_sd: float = Field(0.6, gt=0.0, le=5.0)


def _hist(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    h, _ = np.histogram(v, edges)
    return h / (len(v) * np.diff(edges))


def _holdout(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    from scipy import stats

    d = p.separation
    acc = float(stats.norm.cdf(d / 2))
    edges = np.arange(0.51, 1.0 + 1e-9, 0.02)
    x = (edges[:-1] + edges[1:]) / 2
    dens, sd, lo, hi = [], [], [], []
    for n in p.sizes:
        # a case of either class is classified right when its unit noise stays on its side of
        # the midpoint threshold d / 2: the same event as standard noise below d / 2
        a = np.mean(rng.standard_normal((p.draws, n)) < d / 2, axis=1)
        dens.append(_hist(a, edges))
        sd.append(float(a.std()))
        lo.append(float(np.quantile(a, 0.025)))
        hi.append(float(np.quantile(a, 0.975)))
    sizes = np.array(p.sizes, float)
    return {"x": x, "density": np.array(dens), "sizes": sizes, "sd": np.array(sd),
            "sd_theory": np.sqrt(acc * (1 - acc) / sizes), "true_accuracy": acc,
            "width": np.array(hi) - np.array(lo)}


def _bootstrap(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    n = p.n
    sample = rng.lognormal(0.0, 1.0, n)
    meds = np.median(sample[rng.integers(0, n, (p.resamples, n))], axis=1)
    lo, hi = np.quantile(meds, [0.025, 0.975])
    edges = np.linspace(0.0, 3.0, 61)
    x = (edges[:-1] + edges[1:]) / 2
    hist = _hist(meds, edges)
    cover = 0
    for _ in range(p.repeats):
        s = rng.lognormal(0.0, 1.0, n)
        mm = np.median(s[rng.integers(0, n, (300, n))], axis=1)
        a, b = np.quantile(mm, [0.025, 0.975])
        cover += int(a <= 1.0 <= b)
    return {"x": x, "hist": hist, "inside": np.where((x >= lo) & (x <= hi), hist, 0.0),
            "zeros": np.zeros_like(x), "lo": float(lo), "hi": float(hi), "sample_median": float(np.median(sample)),
            "true_median": 1.0, "coverage": cover / p.repeats, "mass_inside": float(np.mean((meds >= lo) & (meds <= hi)))}


def _ridge(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    return np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ y)


def _cv_one_se(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    n, d = p.n, p.features
    beta = np.zeros(d)
    beta[:5] = rng.normal(0, 1, 5)
    x = rng.standard_normal((n, d))
    y = x @ beta + rng.standard_normal(n)
    lams = np.exp(np.linspace(math.log(0.01), math.log(1000.0), 40))
    fold = rng.permutation(n) % p.folds
    errs = np.zeros((len(lams), p.folds))
    test = np.zeros(len(lams))
    for i, lam in enumerate(lams):
        for f in range(p.folds):
            tr = fold != f
            b = _ridge(x[tr], y[tr], lam)
            errs[i, f] = np.mean((y[~tr] - x[~tr] @ b) ** 2)
        b = _ridge(x, y, lam)
        test[i] = float(np.sum((b - beta) ** 2) + 1.0)
    cv = errs.mean(1)
    se = errs.std(1, ddof=1) / math.sqrt(p.folds)
    imin = int(np.argmin(cv))
    i1 = int(np.flatnonzero(cv <= cv[imin] + se[imin]).max())
    return {"x": lams, "cv": cv, "cv_lo": cv - se, "cv_hi": cv + se, "test": test,
            "lambda_min": float(lams[imin]), "lambda_1se": float(lams[i1]),
            "cv_at_min": float(cv[imin]), "se_at_min": float(se[imin]), "cv_at_1se": float(cv[i1]),
            "test_at_min": float(test[imin]), "test_at_1se": float(test[i1]), "test_best": float(test.min())}


def _press(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    n = p.n
    t = np.sort(rng.uniform(-1, 1, n))
    y = np.sin(2.5 * t) + 0.3 * rng.standard_normal(n)
    a = np.vander(t, 4)
    h = a @ np.linalg.solve(a.T @ a, a.T)
    resid = y - h @ y
    formula = resid / (1 - np.diag(h))
    brute = np.empty(n)
    for i in range(n):
        keep = np.arange(n) != i
        b = np.linalg.lstsq(a[keep], y[keep], rcond=None)[0]
        brute[i] = y[i] - a[i] @ b
    lim = float(np.max(np.abs(brute))) * 1.1
    g = np.linspace(-lim, lim, 5)
    return {"grid_x": g, "grid_y": g, "resid": resid, "loo_brute": brute, "loo_formula": formula,
            "brute_xy": np.column_stack([resid, brute]), "formula_xy": np.column_stack([resid, formula]),
            "diagonal": np.array([[-lim, -lim], [lim, lim]]), "leverage": np.diag(h),
            "max_gap": float(np.max(np.abs(brute - formula))),
            "press": float(np.sum(formula**2)), "rss": float(np.sum(resid**2))}


def _centroid_acc(xtr: np.ndarray, ytr: np.ndarray, xte: np.ndarray, yte: np.ndarray) -> float:
    m1, m0 = xtr[ytr].mean(0), xtr[~ytr].mean(0)
    pred = np.sum((xte - m1) ** 2, 1) < np.sum((xte - m0) ** 2, 1)
    return float(np.mean(pred == yte))


def _top_corr(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    xc = x - x.mean(0)
    yc = y - y.mean()
    c = np.abs(xc.T @ yc) / (np.linalg.norm(xc, axis=0) * np.linalg.norm(yc) + 1e-12)
    return np.argsort(-c)[:k]


def _leakage(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    leaky, proper = np.zeros((p.repeats, len(p.candidates))), np.zeros((p.repeats, len(p.candidates)))
    for r in range(p.repeats):
        y = rng.permutation(np.arange(p.n) % 2 == 0)
        xall = rng.standard_normal((p.n, max(p.candidates)))
        fold = rng.permutation(p.n) % p.folds
        for j, d in enumerate(p.candidates):
            x = xall[:, :d]
            sel_all = _top_corr(x, y.astype(float), p.k_select)
            la, pa = [], []
            for f in range(p.folds):
                tr = fold != f
                la.append(_centroid_acc(x[tr][:, sel_all], y[tr], x[~tr][:, sel_all], y[~tr]))
                sel = _top_corr(x[tr], y[tr].astype(float), p.k_select)
                pa.append(_centroid_acc(x[tr][:, sel], y[tr], x[~tr][:, sel], y[~tr]))
            leaky[r, j], proper[r, j] = np.mean(la), np.mean(pa)
    return {"x": np.array(p.candidates, float), "leaky": np.median(leaky, 0), "proper": np.median(proper, 0),
            "leaky_lo": np.quantile(leaky, 0.1, axis=0), "leaky_hi": np.quantile(leaky, 0.9, axis=0),
            "chance": np.full(len(p.candidates), 0.5)}


def _cv_scores(x: np.ndarray, y: np.ndarray, subsets: np.ndarray, fold: np.ndarray, folds: int) -> np.ndarray:
    """CV accuracy of the nearest-class-mean classifier on each feature subset (rows of ``subsets``)."""
    xs = x[:, subsets]  # (n, K, s)
    acc = np.zeros(len(subsets))
    for f in range(folds):
        tr, te = fold != f, fold == f
        m1 = xs[tr & y].mean(0)
        m0 = xs[tr & ~y].mean(0)
        pred = np.sum((xs[te] - m1) ** 2, -1) < np.sum((xs[te] - m0) ** 2, -1)
        acc += np.sum(pred == y[te][:, None], 0)
    return acc / len(y)


def _nested(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    ks = np.array(p.candidates)
    best = np.zeros((p.repeats, len(ks)))
    nest = np.zeros((p.repeats, len(ks)))
    for r in range(p.repeats):
        y = rng.permutation(np.arange(p.n) % 2 == 0)
        x = rng.standard_normal((p.n, p.features))
        subsets = np.argsort(rng.random((int(ks.max()), p.features)), axis=1)[:, : p.k_select]
        fold = rng.permutation(p.n) % p.folds
        scores = _cv_scores(x, y, subsets, fold, p.folds)
        outer = rng.permutation(p.n) % 5
        hits = np.zeros(len(ks))
        for o in range(5):
            tr = outer != o
            inner = rng.permutation(int(tr.sum())) % p.folds
            sc = _cv_scores(x[tr], y[tr], subsets, inner, p.folds)
            for j, k in enumerate(ks):
                s = subsets[int(np.argmax(sc[:k]))]
                hits[j] += _centroid_acc(x[tr][:, s], y[tr], x[~tr][:, s], y[~tr]) * np.sum(~tr)
        best[r] = [scores[:k].max() for k in ks]
        nest[r] = hits / p.n
    return {"x": ks.astype(float), "best_cv": np.median(best, 0), "best_lo": np.quantile(best, 0.1, axis=0),
            "best_hi": np.quantile(best, 0.9, axis=0), "nested": np.median(nest, 0),
            "nested_lo": np.quantile(nest, 0.1, axis=0), "nested_hi": np.quantile(nest, 0.9, axis=0),
            "chance": np.full(len(ks), 0.5)}


def _peeking(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    from scipy import stats

    n = p.n
    diffs = rng.standard_normal((p.repeats, n)) * math.sqrt(2.0)
    s = np.cumsum(diffs, axis=1)
    t = np.arange(1, n + 1)
    z = s / np.sqrt(2.0 * t)
    crit = float(stats.norm.ppf(0.975))
    looks = np.array([k for k in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if k <= n])
    fpr = []
    for k in looks:
        at = (np.arange(1, k + 1) * n) // k - 1
        fpr.append(float(np.mean(np.any(np.abs(z[:, at]) > crit, axis=1))))
    at = np.arange(p.look_every, n + 1, p.look_every) - 1
    show = z[: p.show, at]
    crossed = np.any(np.abs(show) > crit, axis=1)
    frac = (at + 1) / n
    xy = np.stack([np.broadcast_to(frac, show.shape), show], axis=-1)
    g = np.array([0.0, 1.0])
    return {"grid_x": g, "grid_y": np.array([-4.0, 4.0]), "paths_crossed": xy[crossed], "paths_clean": xy[~crossed],
            "bounds": np.array([[[0.0, crit], [1.0, crit]], [[0.0, -crit], [1.0, -crit]]]),
            "looks": looks.astype(float), "fpr": np.array(fpr), "shown_crossed": float(crossed.mean()),
            "final_fpr": float(np.mean(np.abs(z[:, -1]) > crit)), "n_looks_drawn": float(len(at))}


def _bh(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    from scipy import stats

    m, q = p.m, p.q
    signal = np.zeros(m, bool)
    signal[: p.signals] = True
    rank = np.arange(1, m + 1)

    def run(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pv = stats.norm.sf(z)
        order = np.argsort(pv)
        ps = pv[order]
        below = np.flatnonzero(ps <= q * rank / m)
        kmax = below.max() + 1 if below.size else 0
        rej = np.zeros(m, bool)
        rej[order[:kmax]] = True
        return ps, rej, order

    fdp_bh, fdp_bf, power_bh, power_bf = [], [], [], []
    for _ in range(p.repeats):
        z = rng.standard_normal(m) + p.effect * signal
        _, rej, _ = run(z)
        bf = stats.norm.sf(z) <= q / m
        fdp_bh.append(np.sum(rej & ~signal) / max(rej.sum(), 1))
        fdp_bf.append(np.sum(bf & ~signal) / max(bf.sum(), 1))
        power_bh.append(np.mean(rej[signal]) if p.signals else 0.0)
        power_bf.append(np.mean(bf[signal]) if p.signals else 0.0)
    z = rng.standard_normal(m) + p.effect * signal
    ps, rej, order = run(z)
    k = int(rej.sum())
    return {"rank": rank.astype(float), "p_sorted": ps, "bh_line": q * rank / m, "bonferroni": np.full(m, q / m),
            "rej_rank": rank[:k].astype(float), "rej_p": ps[:k], "rejected": float(k),
            "false_in_shown": float(np.sum(rej & ~signal)), "bonf_rejected": float(np.sum(ps <= q / m)),
            "fdp_bh": float(np.mean(fdp_bh)), "fdp_bonf": float(np.mean(fdp_bf)),
            "power_bh": float(np.mean(power_bh)), "power_bonf": float(np.mean(power_bf)),
            "null_share_q": q * (m - p.signals) / m, "q": q}


def _mcnemar(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    from scipy import stats

    # both right, only A right, only B right, both wrong
    probs = np.array([0.75, 0.10, 0.05, 0.10])
    counts = rng.multinomial(p.n, probs)
    b, c = int(counts[1]), int(counts[2])
    m = b + c
    w = max(1.3 * abs(b - m / 2), 4 * math.sqrt(m) / 2)
    k = np.arange(max(0, math.floor(m / 2 - w)), min(m, math.ceil(m / 2 + w)) + 1)
    pmf = stats.binom.pmf(k, m, 0.5)
    extreme = np.abs(k - m / 2) >= abs(b - m / 2)
    kk = np.arange(m + 1)
    p_exact = float(min(1.0, stats.binom.pmf(kk, m, 0.5)[np.abs(kk - m / 2) >= abs(b - m / 2)].sum()))
    chi2 = (abs(b - c) - 1) ** 2 / m
    return {"x": k.astype(float), "pmf": pmf, "tail": np.where(extreme, pmf, 0.0), "zeros": np.zeros_like(pmf),
            "b": float(b), "c": float(c),
            "discordant": float(m), "p_exact": p_exact, "p_chi2": float(stats.chi2.sf(chi2, 1)),
            "acc_a": float((counts[0] + counts[1]) / p.n), "acc_b": float((counts[0] + counts[2]) / p.n),
            "observed_x": np.array([float(b)]), "observed_y": np.array([float(stats.binom.pmf(b, m, 0.5))]),
            "expected": m / 2}


def _conformal(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(0, 5, n)
        return x, 2 * np.sin(x) + (0.1 + 0.25 * x) * rng.standard_normal(n)

    xt, yt = draw(p.n)
    xc, yc = draw(p.n)
    coef = np.polyfit(xt, yt, 3)
    r = np.abs(yc - np.polyval(coef, xc))
    k = math.ceil((p.n + 1) * (1 - p.q))
    qhat = float(np.sort(r)[min(k, p.n) - 1])
    xs, ys = draw(p.draws)
    inside = np.abs(ys - np.polyval(coef, xs)) <= qhat
    grid = np.linspace(0, 5, 201)
    fit = np.polyval(coef, grid)
    show = min(150, p.draws)
    return {"x": grid, "fit": fit, "lower": fit - qhat, "upper": fit + qhat, "qhat": qhat,
            "pts_x": xs[:show], "pts_y": ys[:show], "coverage": float(inside.mean()),
            "coverage_low": float(inside[xs < 1].mean()), "coverage_high": float(inside[xs > 4].mean()),
            "target": 1 - p.q, "truth": 2 * np.sin(grid)}


def _minhash(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    prime = (1 << 31) - 1
    a = rng.integers(1, prime, p.hashes)
    b = rng.integers(0, prime, p.hashes)
    universe = 200000
    size = 200
    true_j, est_j = [], []
    for i in range(p.pairs):
        share = i / (p.pairs - 1)
        base = rng.choice(universe, 2 * size, replace=False)
        common = int(round(share * size))
        s1 = base[:size]
        s2 = np.concatenate([s1[:common], base[size:2 * size - common]])
        j = len(np.intersect1d(s1, s2)) / len(np.union1d(s1, s2))
        h1 = ((a[:, None] * s1[None, :] + b[:, None]) % prime).min(1)
        h2 = ((a[:, None] * s2[None, :] + b[:, None]) % prime).min(1)
        true_j.append(j)
        est_j.append(float(np.mean(h1 == h2)))
    t, e = np.array(true_j), np.array(est_j)
    g = np.array([0.0, 1.0])
    return {"grid_x": g, "grid_y": g, "true_j": t, "est_j": e, "xy": np.column_stack([t, e]),
            "diagonal": np.array([[0.0, 0.0], [1.0, 1.0]]), "rmse": float(np.sqrt(np.mean((e - t) ** 2))),
            "rmse_theory": float(np.sqrt(np.mean(t * (1 - t) / p.hashes))), "bias": float(np.mean(e - t)),
            "hashes": p.hashes}


def _pit(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    from scipy import stats

    n = p.n
    mu = rng.normal(0, 2, n)
    y = mu + rng.standard_normal(n)
    edges = np.linspace(0, 1, 11)
    x = (edges[:-1] + edges[1:]) / 2
    rows = []
    for shift, sd in ((0.0, 0.6), (0.0, 1.0), (0.0, 1.6), (0.6, 1.0)):
        pit = stats.norm.cdf((y - mu - shift) / sd)
        rows.append(_hist(pit, edges))
    dens = np.array(rows)
    return {"x": x, "density": dens, "edges": edges,
            "outer_under": float((dens[0, 0] + dens[0, -1]) / 2), "inner_under": float(dens[0, 4:6].mean()),
            "outer_over": float((dens[2, 0] + dens[2, -1]) / 2), "inner_over": float(dens[2, 4:6].mean()),
            "max_dev_ok": float(np.max(np.abs(dens[1] - 1))),
            "bias_low": float(dens[3, :5].mean()), "bias_high": float(dens[3, 5:].mean()),
            "flat": np.ones_like(x)}


def _line(x: np.ndarray, y: np.ndarray, lo: float, hi: float) -> tuple[float, np.ndarray]:
    b, a = np.polyfit(x, y, 1)
    return float(b), np.array([[lo, a + b * lo], [hi, a + b * hi]])


def _simpson(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    out: Arrays = {}
    xs, ys, slopes, lines = [], [], [], []
    per = p.n // 4
    for g in range(4):
        x = rng.normal(2.0 * g, 0.7, per)
        y = 6.0 - 2.0 * g + 0.8 * (x - 2.0 * g) + 0.5 * rng.standard_normal(per)
        out[f"group_{g}"] = np.column_stack([x, y])
        s, ln = _line(x, y, float(x.min()), float(x.max()))
        slopes.append(s)
        lines.append(ln)
        xs.append(x)
        ys.append(y)
    ax, ay = np.concatenate(xs), np.concatenate(ys)
    ps, pl = _line(ax, ay, float(ax.min()), float(ax.max()))
    out.update({"group_slopes": np.array(slopes), "pooled_slope": ps, "group_lines": np.array(lines),
                "pooled_line": pl[None], "grid_x": np.array([ax.min() - 0.3, ax.max() + 0.3]),
                "grid_y": np.array([ay.min() - 0.3, ay.max() + 0.3])})
    return out


def _berkson(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    xy = rng.standard_normal((p.n, 2))
    kept = xy.sum(1) > p.cut
    k = xy[kept]
    sk, lk = _line(k[:, 0], k[:, 1], float(k[:, 0].min()), float(k[:, 0].max()))
    sa, la = _line(xy[:, 0], xy[:, 1], -3.0, 3.0)
    g = np.array([-3.5, 3.5])
    return {"grid_x": g, "grid_y": g, "kept": k, "dropped": xy[~kept], "kept_line": lk[None], "all_line": la[None],
            "corr_all": float(np.corrcoef(xy[:, 0], xy[:, 1])[0, 1]), "corr_kept": float(np.corrcoef(k[:, 0], k[:, 1])[0, 1]),
            "kept_share": float(kept.mean()), "slope_kept": sk, "slope_all": sa,
            "cut_line": np.array([[[p.cut - 3.5, 3.5], [3.5, p.cut - 3.5]]])}


def _elo(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    from scipy import stats

    k = p.players
    truth = np.linspace(-p.spread, p.spread, k)
    rating = np.zeros(k)
    every = max(p.matches // 100, 1)
    traj, at = [], []
    wins = np.zeros((k, k))
    for t in range(p.matches):
        i, j = rng.choice(k, 2, replace=False)
        pij = 1 / (1 + 10 ** ((truth[j] - truth[i]) / 400))
        win = rng.random() < pij
        e = 1 / (1 + 10 ** ((rating[j] - rating[i]) / 400))
        rating[i] += p.elo_k * (win - e)
        rating[j] -= p.elo_k * (win - e)
        wins[i, j] += win
        wins[j, i] += 1 - win
        if (t + 1) % every == 0:
            traj.append(rating.copy())
            at.append(t + 1)
    # Bradley-Terry maximum likelihood by the MM algorithm (Hunter 2004)
    games = wins + wins.T
    gam = np.ones(k)
    for _ in range(2000):
        denom = np.array([np.sum(games[i] / (gam[i] + gam)) for i in range(k)])
        new = wins.sum(1) / denom
        new /= np.exp(np.mean(np.log(new)))
        if np.max(np.abs(new - gam)) < 1e-12:
            gam = new
            break
        gam = new
    bt = 400 * np.log10(gam)
    bt -= bt.mean()
    rows = np.array(traj).T
    final = rows[:, -1] - rows[:, -1].mean()
    truths = {f"truth_{i}": np.full(len(at), truth[i]) for i in range(k)}
    truths.update({f"elo_{i}": np.array(traj)[:, i] for i in range(k)})
    return {**truths, "x": np.array(at, float), "rows": rows, "truth_rows": np.repeat(truth[:, None], len(at), 1),
            "true_ratings": truth, "bt": bt, "elo_final": final,
            "rmse_elo": float(np.sqrt(np.mean((final - truth) ** 2))), "rmse_bt": float(np.sqrt(np.mean((bt - truth) ** 2))),
            "rank_corr_elo": float(stats.spearmanr(final, truth)[0]), "end_x": np.full(k, float(at[-1])),
            "matches": float(p.matches)}


def _classes(rng: np.random.Generator, n: int, means: np.ndarray, sd: float) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % len(means)
    return means[y] + sd * rng.standard_normal((n, 2)), y


_TRIANGLE = np.array([[0.0, 0.0], [1.6, 0.0], [0.8, 2.6]])


def _confusion(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    xtr, ytr = _classes(rng, 150, _TRIANGLE, 1.0)
    xte, yte = _classes(rng, p.n, _TRIANGLE, 1.0)
    cent = np.array([xtr[ytr == c].mean(0) for c in range(3)])
    pred = np.argmin(((xte[:, None, :] - cent[None]) ** 2).sum(-1), 1)
    cm = np.zeros((3, 3))
    np.add.at(cm, (yte, pred), 1)
    rec = cm / cm.sum(1, keepdims=True)
    off = cm.copy()
    np.fill_diagonal(off, 0)
    sym = off + off.T
    return {"counts": cm, "recall_matrix": rec, "names": np.array(["A", "B", "C"]),
            "accuracy": float(np.trace(cm) / cm.sum()), "ab_confusion": float(sym[0, 1]),
            "ac_confusion": float(sym[0, 2]), "bc_confusion": float(sym[1, 2]),
            "diagonal_mask": np.eye(3, dtype=bool), "precision": np.diag(cm) / cm.sum(0), "recall": np.diag(rec)}


def _kappa(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    prev = np.array([0.55, 0.25, 0.12, 0.08])
    truth = rng.choice(4, p.n, p=prev)

    def rate(acc: float, bias: np.ndarray) -> np.ndarray:
        right = rng.random(p.n) < acc
        return np.where(right, truth, rng.choice(4, p.n, p=bias))

    r1 = rate(0.8, np.array([0.4, 0.3, 0.2, 0.1]))
    r2 = rate(0.75, np.array([0.6, 0.2, 0.1, 0.1]))
    obs = np.zeros((4, 4))
    np.add.at(obs, (r1, r2), 1)
    obs /= p.n
    chance = np.outer(obs.sum(1), obs.sum(0))
    po, pe = float(np.trace(obs)), float(np.trace(chance))
    return {"observed": obs, "chance": chance, "po": po, "pe": pe, "kappa": (po - pe) / (1 - pe),
            "names": np.array(["none", "mild", "moderate", "severe"]), "diagonal_mask": np.eye(4, dtype=bool)}


def _confident_learning(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    from scipy import special

    n = p.n
    x, truth = _classes(rng, n, _TRIANGLE * 1.6, 1.0)
    flip_to = np.array([1, 2, 0])
    flip = rng.random(n) < np.array(p.noise_rates)[truth]
    given = np.where(flip, flip_to[truth], truth)
    # out-of-sample probabilities: 5-fold linear discriminant fitted on the given labels
    probs = np.zeros((n, 3))
    fold = rng.permutation(n) % 5
    for f in range(5):
        tr = fold != f
        mu = np.array([x[tr & (given == c)].mean(0) for c in range(3)])
        res = x[tr] - mu[given[tr]]
        cov = res.T @ res / tr.sum()
        prior = np.array([np.mean(given[tr] == c) for c in range(3)])
        icov = np.linalg.inv(cov)
        dlt = x[~tr][:, None, :] - mu[None]
        logit = -0.5 * np.einsum("nki,ij,nkj->nk", dlt, icov, dlt) + np.log(prior)
        probs[~tr] = special.softmax(logit, axis=1)
    thr = np.array([probs[given == c, c].mean() for c in range(3)])
    above = probs >= thr
    masked = np.where(above, probs, -1.0)
    guess = np.argmax(masked, 1)
    has = above.any(1)
    cj = np.zeros((3, 3))
    np.add.at(cj, (given[has], guess[has]), 1)
    # calibrate rows to the given-label counts, then normalise to a joint
    counts = np.bincount(given, minlength=3)
    cj = cj / cj.sum(1, keepdims=True) * counts[:, None]
    est = cj / cj.sum()
    tj = np.zeros((3, 3))
    np.add.at(tj, (given, truth), 1)
    tj /= n
    flagged = has & (guess != given)
    wrong = given != truth
    return {"true_joint": tj, "est_joint": est, "gap": est - tj, "names": np.array(["0", "1", "2"]),
            "max_gap": float(np.max(np.abs(est - tj))), "noise_true": float(wrong.mean()),
            "noise_est": float(1 - np.trace(est)), "flag_precision": float(np.mean(wrong[flagged])),
            "flag_recall": float(np.mean(flagged[wrong])), "flagged": float(flagged.sum()),
            "diagonal_mask": np.eye(3, dtype=bool)}


def _blobs(rng: np.random.Generator, n: int, k: int, sd: float) -> tuple[np.ndarray, np.ndarray]:
    ang = 2 * np.pi * np.arange(k) / k
    centres = 2.5 * np.column_stack([np.cos(ang), np.sin(ang)])
    y = np.arange(n) % k
    return centres[y] + sd * rng.standard_normal((n, 2)), y


def _kmeans(x: np.ndarray, k: int, rng: np.random.Generator, inits: int = 5) -> np.ndarray:
    best, best_in = None, np.inf
    for _ in range(inits):
        c = x[rng.choice(len(x), 1)]
        while len(c) < k:  # k-means++ seeding
            d2 = np.min(((x[:, None] - c[None]) ** 2).sum(-1), 1)
            c = np.vstack([c, x[rng.choice(len(x), 1, p=d2 / d2.sum())]])
        for _ in range(100):
            lab = np.argmin(((x[:, None] - c[None]) ** 2).sum(-1), 1)
            new = np.array([x[lab == j].mean(0) if np.any(lab == j) else c[j] for j in range(k)])
            if np.allclose(new, c):
                break
            c = new
        inertia = float(np.sum((x - c[lab]) ** 2))
        if inertia < best_in:
            best, best_in = lab, inertia
    assert best is not None
    return best


def _ari_of(a: np.ndarray, b: np.ndarray) -> tuple[float, float, np.ndarray]:
    ta, tb = np.unique(a, return_inverse=True)[1], np.unique(b, return_inverse=True)[1]
    table = np.zeros((ta.max() + 1, tb.max() + 1))
    np.add.at(table, (ta, tb), 1)
    c2 = lambda v: v * (v - 1) / 2  # noqa: E731
    n = len(a)
    sij, sa, sb, tot = c2(table).sum(), c2(table.sum(1)).sum(), c2(table.sum(0)).sum(), c2(n)
    exp = sa * sb / tot
    ari = (sij - exp) / ((sa + sb) / 2 - exp)
    ri = (tot + 2 * sij - sa - sb) / tot
    return float(ari), float(ri), table


def _ari(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    x, y = _blobs(rng, p.n, p.clusters, p.cluster_sd)
    lab = _kmeans(x, p.clusters, rng)
    ari, ri, table = _ari_of(y, lab)
    # order the found clusters to face their best-matching true cluster
    order = np.argsort(np.argmax(table, 0) + 1e-3 * np.arange(table.shape[1]))
    rand_lab = rng.permutation(lab)
    ari_r, ri_r, _ = _ari_of(y, rand_lab)
    return {"table": table[:, order], "ari": ari, "ri": ri, "ari_random": ari_r, "ri_random": ri_r,
            "true_names": np.array([f"T{i + 1}" for i in range(p.clusters)]),
            "found_names": np.array([f"K{i + 1}" for i in range(p.clusters)])}


def _silhouette(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    x, _ = _blobs(rng, p.n, p.clusters, p.cluster_sd)
    dist = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    edges = np.linspace(-0.3, 1.0, 27)
    grid = (edges[:-1] + edges[1:]) / 2
    rows, means = [], []
    for k in p.ks:
        lab = _kmeans(x, k, rng)
        member = lab[None, :] == np.arange(k)[:, None]
        sums = dist @ member.T
        cnt = member.sum(1)
        own = cnt[lab]
        a = sums[np.arange(p.n), lab] / np.maximum(own - 1, 1)
        other = np.where(np.arange(k)[None, :] == lab[:, None], np.inf, sums / np.maximum(cnt, 1)[None, :])
        b = other.min(1)
        s = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
        rows.append(_hist(s, edges))
        means.append(float(s.mean()))
    ms = np.array(means)
    return {"x": grid, "density": np.array(rows), "ks": np.array(p.ks, float), "mean_sil": ms,
            "best_k": float(p.ks[int(np.argmax(ms))]), "true_k": float(p.clusters)}


def _cv_variance(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    n, d, r = p.n, 5, p.repeats
    beta = np.ones(d) / math.sqrt(d)
    x = rng.standard_normal((r, n, d))
    y = x @ beta + rng.standard_normal((r, n))
    xtx = np.einsum("rni,rnj->rij", x, x)
    xty = np.einsum("rni,rn->ri", x, y)
    b = np.linalg.solve(xtx, xty[..., None])[..., 0]
    true = 1.0 + np.sum((b - beta) ** 2, 1)
    ests = []
    for k in p.ks:
        k = min(k, n)
        fold = np.arange(n) % k
        err = np.zeros(r)
        for f in range(k):
            te = fold == f
            xa, ya = x[:, ~te], y[:, ~te]
            bf = np.linalg.solve(np.einsum("rni,rnj->rij", xa, xa), np.einsum("rni,rn->ri", xa, ya)[..., None])[..., 0]
            err += np.sum((y[:, te] - np.einsum("rni,ri->rn", x[:, te], bf)) ** 2, 1)
        ests.append(err / n)
    est = np.array(ests)
    edges = np.linspace(0.0, 3.0, 41)
    grid = (edges[:-1] + edges[1:]) / 2
    return {"x": grid, "density": np.array([_hist(e, edges) for e in est]), "ks": np.array(p.ks, float),
            "mean_est": est.mean(1), "sd_est": est.std(1), "mean_true": float(true.mean()),
            "bias": est.mean(1) - true.mean(), "true_density": _hist(true, edges)}


def _goodhart(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    n = p.draws * 50
    v = rng.standard_normal(n)
    shares = np.exp(np.linspace(math.log(0.5), math.log(20 / n), 30))
    out: Arrays = {"x": shares}
    rows = np.array([0.5, 0.1, 0.01, 0.001, 0.0002])
    edges = np.linspace(-3.0, 4.5, 46)
    out["ridge_x"] = (edges[:-1] + edges[1:]) / 2
    out["ridge_shares"] = rows
    for key, noise in (("gaussian", rng.standard_normal(n)), ("heavy", rng.standard_t(1.5, n))):
        order = np.argsort(-(v + noise))
        cm = np.cumsum(v[order]) / np.arange(1, n + 1)
        out[key] = cm[np.maximum((shares * n).astype(int) - 1, 0)]
        tops = [v[order[: max(int(r * n), 1)]] for r in rows]
        out[f"density_{key}"] = np.array([_hist(t, edges) for t in tops])
        out[f"rows_{key}"] = np.array([float(t.mean()) for t in tops])
    out["best_heavy_share"] = float(shares[np.argmax(out["heavy"])])
    out["n"] = float(n)
    return out


_EXPERIMENTS: dict[str, Callable[[EvalStatsParams, np.random.Generator], Arrays]] = {
    "holdout": _holdout, "bootstrap": _bootstrap, "cv-one-se": _cv_one_se, "press": _press,
    "leakage": _leakage, "nested": _nested, "peeking": _peeking, "bh": _bh, "mcnemar": _mcnemar,
    "conformal": _conformal, "minhash": _minhash, "pit": _pit, "simpson": _simpson,
    "berkson": _berkson, "elo": _elo, "confusion": _confusion,
    "kappa": _kappa, "confident-learning": _confident_learning, "ari": _ari,
    "silhouette": _silhouette, "cv-variance": _cv_variance, "goodhart": _goodhart,
}


@recipe("eval-stats", EvalStatsParams)
def eval_stats(p: EvalStatsParams, rng: np.random.Generator) -> Arrays:
    """One seeded evaluation-statistics experiment (module docstring)."""
    return _EXPERIMENTS[p.experiment](p, rng)
