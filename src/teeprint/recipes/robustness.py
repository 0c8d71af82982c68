"""Robustness, safety and fairness: attacks, shifts and fairness criteria computed on small models.

Two recipes, each a table of experiments named by ``experiment``.

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

``robust-plane`` — two-class problems on the plane, shaped for ``decision-regions``
(``grid_x``, ``grid_y``, per-model ``score_k`` / ``label_k`` on the grid, ``points``,
``classes``, ``rings_k``, ``marks``, ``segments``):

* ``adversarial-training`` — logistic regression fitted by gradient descent on the plain loss and
  on the exact worst-case loss under an L2 attack of size eps (for a linear model the inner
  maximum is x - eps y w/||w||); rings mark test points the attack flips;
* ``poisoning`` — a linear SVM (squared hinge, L2 penalty, generalised Newton) before and after
  ``k`` poison points chosen greedily, one at a time, from a candidate grid to maximise the
  loss on a validation set;
* ``smoothing`` — randomised smoothing of a 1-nearest-neighbour classifier: Monte Carlo class
  frequencies under N(0, sigma^2 I) noise per grid cell, a Clopper-Pearson lower bound p_A and the
  certified radius sigma Phi^-1(p_A);
* ``overconfidence`` — a one-hidden-layer ReLU net trained by full-batch gradient descent on
  three blobs; its max softmax confidence on a plane ``far`` times wider than the data;
* ``strategic`` — logistic regression on two features of which agents can raise the first by up
  to ``budget``; best responses against the naive and the budget-shifted threshold;
* ``interval-bounds`` — a one-hidden-layer ReLU net trained by gradient descent on two blobs; for
  the L-inf box of half-width ``eps`` round every grid cell, interval bound propagation of the
  logit difference certifies a class or not, against sampling the box (a 7 x 7 grid of points);
* ``ccs`` — contrast-consistent search on synthetic activations: each statement's "yes" and "no"
  activations share a large random content part and carry a planted truth direction with
  opposite signs; each set is normalised, and a logistic probe is fitted without labels by
  gradient descent on the consistency + confidence loss (best of 8 starts);
* ``covariate-shift`` — labels from a curved rule, training inputs round (-1, 0), test inputs
  round (1.5, 0) (both Gaussian, sd 0.7, densities known); logistic regression fitted plainly and
  with importance weights p_test(x)/p_train(x); test accuracy of each on fresh test draws;
* ``byzantine`` — distributed gradient descent on a 2-D quadratic with 10 workers whose gradients
  are noisy, ``k`` of them Byzantine (they all send the same large vector pointing away from the
  minimum); the server aggregates by the mean, the coordinate-wise median or Krum (the gradient
  with the least summed squared distance to its n - k - 2 nearest others); paths and loss surface
  for ``trajectory-contour``;
* ``debias`` — hard debiasing on synthetic 50-d word vectors with a planted gender component
  (for ``trajectory-contour``): the direction is the top principal component of the centred
  definitional pairs, neutral words lose their component along it; ``before`` / ``after``
  positions in the plane of that direction and the neutral words' top other component.

``robust-matrix`` — images and tables, shaped for ``matrix-heatmap`` and ``token-bars``:

* ``fgsm`` — 12 x 12 images of two glyphs (a ring and a cross, shifted by up to a pixel, pixel
  noise sd ``noise``) and logistic regression on the pixels by gradient descent; the fast
  gradient sign step x + eps sign(grad_x loss) on a test image, and the test accuracy under that
  step and under a random-sign step of the same size;
* ``backdoor`` — the same images with a ``share`` of the training set stamped with a 3 x 3
  trigger in a corner and relabelled as the target class; clean accuracy and the share of
  stamped test images of the other class sent to the target, against a model trained clean;
* ``label-shift`` — black-box shift estimation: three Gaussian classes, a nearest-mean classifier
  trained on uniform priors, its confusion matrix on held-out source data inverted against its
  prediction frequencies on a target sample with priors ``priors``;
* ``corruptions`` — the glyph classifier's test accuracy under pixel noise, blur and lowered
  contrast at five severities (``accuracy`` 3 x 5), with one test image at severity 3 of each;
* ``inversion`` — model inversion: gradient ascent on a blank image (pixels kept in [0, 1]) to
  maximise the model's probability of each class, beside the class's mean training image;
* ``gcg`` — greedy coordinate gradient on a seeded random next-token model (position-weighted
  sum of token embeddings, tanh, linear read-out; 10 words): a ``suffix``-token suffix after a
  fixed prompt, each step taking the top-4 tokens per position by the one-hot gradient of
  -log P(target) (the word least likely after the prompt), trying 32 random single swaps among them and moving to the best (the lowest loss seen is kept); the next-word
  distribution before and after, for ``token-bars``;
* ``sisa`` — SISA unlearning: ``n`` points split into S shards of R slices each (S = 1..16,
  R = 1..8); deleting a point retrains its shard from the slice that held it. The share of the
  data retrained per deletion, averaged over 2000 random deletions, and the test accuracy of
  the shards' averaged logistic regressions (gradient descent, 30 features) against S.
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


# -- robust-plane: two-class problems on the plane ---------------------------------------------

PlaneExperiment = Literal["adversarial-training", "poisoning", "smoothing", "overconfidence", "strategic",
                          "debias", "interval-bounds", "ccs", "covariate-shift", "byzantine"]


class RobustPlaneParams(Params):
    """Which experiment and its knobs (each experiment reads the ones its docstring names)."""

    experiment: PlaneExperiment
    n: int = Field(200, ge=20, le=2000)
    eps: float = Field(1.0, ge=0.0, le=5.0, description="attack size (L2)")
    k: int = Field(6, ge=1, le=30, description="poisoning: poison points")
    sigma: float = Field(0.5, gt=0.0, le=3.0, description="smoothing: noise sd")
    samples: int = Field(200, ge=20, le=2000, description="smoothing: noise draws per cell")
    alpha: float = Field(0.001, gt=0.0, lt=0.5, description="smoothing: Clopper-Pearson level")
    far: float = Field(10.0, ge=1.0, le=100.0, description="overconfidence: plane half-width / data")
    hidden: int = Field(32, ge=4, le=256)
    steps: int = Field(2000, ge=10, le=20000)
    lr: float = Field(0.5, gt=0.0, le=10.0)
    budget: float = Field(1.0, ge=0.0, le=5.0, description="strategic: how far x1 can be raised")
    grid: int = Field(60, ge=20, le=160)


def _plane_grid(lo: tuple[float, float], hi: tuple[float, float], m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    gx = np.linspace(lo[0], hi[0], m)
    gy = np.linspace(lo[1], hi[1], m)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.column_stack([xx.ravel(), yy.ravel()])


def _logistic(x: np.ndarray, y: np.ndarray, eps: float, steps: int, lr: float) -> np.ndarray:
    """Weights (w1, w2, b) minimising the mean logistic loss at the worst L2 step of size eps."""
    theta = np.zeros(3)
    s = 2.0 * y - 1.0
    xa = np.column_stack([x, np.ones(len(x))])
    for _ in range(steps):
        w = theta[:2]
        nw = float(np.linalg.norm(w))
        m = s * (xa @ theta) - eps * nw
        g = -1 / (1 + np.exp(np.clip(m, -50, 50)))  # d loss / d margin
        grad = (g * s) @ xa / len(x)
        if nw > 0:
            grad[:2] -= eps * g.mean() * w / nw
        theta -= lr * grad
    return theta


def _adversarial_training(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 2, n)
        s = 2.0 * y - 1
        x = np.column_stack([s * 1.5 + 1.0 * rng.normal(size=n), s * 0.4 + 0.1 * rng.normal(size=n)])
        return x, y

    x, y = draw(p.n)
    xt, yt = draw(2000)
    out: Arrays = {"points": x, "classes": y}
    gx, gy, cells = _plane_grid((-5.0, -2.0), (5.0, 2.0), p.grid)
    for k, e in enumerate((0.0, p.eps)):
        th = _logistic(x, y, e, p.steps, p.lr)
        w, b = th[:2], th[2]
        st = 2.0 * yt - 1
        m = st * (xt @ w + b) / np.linalg.norm(w)
        out[f"score_{k}"] = (cells @ w + b).reshape(p.grid, p.grid)
        out[f"clean_acc_{k}"] = float(np.mean(m > 0))
        out[f"robust_acc_{k}"] = float(np.mean(m > p.eps))
        ms = (2.0 * y - 1) * (x @ w + b) / np.linalg.norm(w)
        out[f"rings_{k}"] = (ms > 0) & (ms <= p.eps)
        out[f"angle_{k}"] = float(np.degrees(np.arctan2(abs(w[1]), abs(w[0]))))
    out.update(grid_x=gx, grid_y=gy, eps=p.eps)
    return out


def _svm(x: np.ndarray, s: np.ndarray, lam: float = 0.01) -> np.ndarray:
    """Linear L2-SVM (squared hinge + lam ||w||^2 / 2), generalised Newton on (w, b)."""
    xa = np.column_stack([x, np.ones(len(x))])
    reg = np.diag([lam, lam, 1e-8])
    th = np.zeros(3)
    for _ in range(30):
        act = s * (xa @ th) < 1
        xs = xa[act]
        h = reg + xs.T @ xs / len(x)
        g = reg @ th - (xs.T @ (s[act] - xs @ th)) / len(x)
        step = np.linalg.solve(h, g)
        th -= step
        if np.abs(step).max() < 1e-10:
            break
    return th


def _sq_hinge(th: np.ndarray, x: np.ndarray, s: np.ndarray) -> float:
    return float(np.mean(np.maximum(0.0, 1 - s * (x @ th[:2] + th[2])) ** 2))


def _poisoning(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 2, n)
        s = 2.0 * y - 1
        return rng.normal(size=(n, 2)) * 0.8 + np.column_stack([1.5 * s, 1.5 * s]), s

    x, s = draw(p.n)
    xv, sv = draw(p.n)
    xt, st = draw(2000)
    clean = _svm(x, s)
    gx, gy, cells = _plane_grid((-6.5, -6.5), (6.5, 6.5), p.grid)
    cand = _plane_grid((-6.0, -6.0), (6.0, 6.0), 9)[2]
    px, ps = x, s
    chosen: list[tuple[np.ndarray, float]] = []
    for _ in range(p.k):
        best, best_loss = None, -1.0
        for c in cand:
            if any(np.array_equal(c, u) for u, _ in chosen):
                continue  # each poison point takes its own place
            for lab in (-1.0, 1.0):
                th = _svm(np.vstack([px, c]), np.append(ps, lab))
                loss = float(np.mean(sv * (xv @ th[:2] + th[2]) <= 0)) + 1e-3 * _sq_hinge(th, xv, sv)
                if loss > best_loss:
                    best, best_loss = (c, lab), loss
        assert best is not None
        px, ps = np.vstack([px, best[0]]), np.append(ps, best[1])
        chosen.append(best)
    pois = _svm(px, ps)

    def acc(th: np.ndarray) -> float:
        return float(np.mean(st * (xt @ th[:2] + th[2]) > 0))

    marks = np.array([c for c, _ in chosen])
    cos = float(clean[:2] @ pois[:2] / np.linalg.norm(clean[:2]) / np.linalg.norm(pois[:2]))
    return {"grid_x": gx, "grid_y": gy, "points": x, "classes": ((s + 1) / 2).astype(int),
            "score_clean": (cells @ clean[:2] + clean[2]).reshape(p.grid, p.grid),
            "score_poisoned": (cells @ pois[:2] + pois[2]).reshape(p.grid, p.grid),
            "marks": marks, "poison_labels": np.array([lab for _, lab in chosen]),
            "acc_clean": acc(clean), "acc_poisoned": acc(pois), "k": float(p.k), "n": float(p.n),
            "share": p.k / p.n, "turn_deg": float(np.degrees(np.arccos(np.clip(cos, -1, 1))))}


def _smoothing(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    m = 24
    y = np.repeat([0, 1], m // 2)
    ang = rng.uniform(0, 2 * np.pi, m)
    rad = np.where(y == 0, 2.4, 0.9) + 0.25 * rng.normal(size=m)
    x = np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
    gx, gy, cells = _plane_grid((-3.5, -3.5), (3.5, 3.5), p.grid)

    def base(z: np.ndarray) -> np.ndarray:
        return y[np.argmin((x**2).sum(1)[None, :] - 2 * z @ x.T, 1)]

    z = cells[:, None, :] + p.sigma * rng.normal(size=(len(cells), p.samples, 2))
    counts = base(z.reshape(-1, 2)).reshape(len(cells), p.samples).sum(1).astype(float)
    n = p.samples
    top = np.maximum(counts, n - counts)
    pa = _stats().beta.ppf(p.alpha, top, n - top + 1)
    label = (counts > n / 2).astype(int)
    radius = np.where(pa > 0.5, p.sigma * _stats().norm.ppf(np.clip(pa, 1e-12, 1 - 1e-12)), 0.0)
    signed = np.where(label == 1, radius, -radius)
    # the certificate's promise, measured: no cell inside a cell's radius carries the other label
    d = np.sqrt(((cells[:, None, :] - cells[None, :, :]) ** 2).sum(-1))
    sure = pa > 0.5
    other = (label[None, :] != label[:, None]) & sure[None, :]
    far_enough = int(np.sum(np.any(other & (d < radius[:, None] - 1e-9), 1)))
    return {"grid_x": gx, "grid_y": gy, "points": x, "classes": y,
            "base": base(cells).reshape(p.grid, p.grid), "label": label.reshape(p.grid, p.grid),
            "radius": signed.reshape(p.grid, p.grid), "max_radius": float(radius.max()),
            "violations": float(far_enough), "abstain": float(np.mean(pa <= 0.5)), "sigma": p.sigma,
            "samples": float(n)}


def _mlp_train(x: np.ndarray, y: np.ndarray, k: int, p: RobustPlaneParams, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    w1 = rng.normal(size=(2, p.hidden)) * math.sqrt(2 / 2)
    b1 = np.zeros(p.hidden)
    w2 = rng.normal(size=(p.hidden, k)) * math.sqrt(1 / p.hidden)
    b2 = np.zeros(k)
    onehot = np.eye(k)[y]
    for _ in range(p.steps):
        h = np.maximum(0, x @ w1 + b1)
        z = h @ w2 + b2
        z -= z.max(1, keepdims=True)
        pr = np.exp(z)
        pr /= pr.sum(1, keepdims=True)
        g = (pr - onehot) / len(x)
        gw2, gb2 = h.T @ g, g.sum(0)
        gh = (g @ w2.T) * (h > 0)
        gw1, gb1 = x.T @ gh, gh.sum(0)
        w1 -= p.lr * gw1
        b1 -= p.lr * gb1
        w2 -= p.lr * gw2
        b2 -= p.lr * gb2
    return w1, b1, w2, b2


def _softmax_conf(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(1, keepdims=True)).max(1)


def _overconfidence(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    k, per = 3, p.n // 3
    centres = np.array([[0.0, 1.0], [-0.87, -0.5], [0.87, -0.5]])
    x = np.vstack([c + 0.3 * rng.normal(size=(per, 2)) for c in centres])
    y = np.repeat(np.arange(k), per)
    w1, b1, w2, b2 = _mlp_train(x, y, k, p, rng)

    def net(z: np.ndarray) -> np.ndarray:
        return np.maximum(0, z @ w1 + b1) @ w2 + b2

    half = 2.0 * p.far
    gx, gy, cells = _plane_grid((-half, -half), (half, half), p.grid)
    conf = _softmax_conf(net(cells))
    lab = np.argmax(net(cells), 1)
    ang = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    ring = lambda r: _softmax_conf(net(r * np.column_stack([np.cos(ang), np.sin(ang)])))  # noqa: E731
    train_acc = float(np.mean(np.argmax(net(x), 1) == y))
    between = _softmax_conf(net(np.zeros((1, 2))))[0]
    return {"grid_x": gx, "grid_y": gy, "points": x, "classes": y, "confidence": conf.reshape(p.grid, p.grid),
            "label": lab.reshape(p.grid, p.grid), "train_acc": train_acc,
            "conf_far": float(np.min(ring(half))), "conf_far_median": float(np.median(ring(half))),
            "conf_data": float(np.median(_softmax_conf(net(x)))), "conf_centre": float(between),
            "conf_ring_100": float(np.median(ring(100.0 * half))), "far": p.far, "half": half,
            "sure_ring_100": float(np.mean(ring(100.0 * half) > 0.99))}


def _strategic(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 2, n)
        s = 2.0 * y - 1
        return np.column_stack([s * 1.0, s * 1.0]) + rng.normal(size=(n, 2)), y

    x, y = draw(p.n)
    xt, yt = draw(4000)
    th = _logistic(x, y, 0.0, p.steps, p.lr)
    w, b = th[:2], th[2]

    def respond(z: np.ndarray, bias: float) -> np.ndarray:
        """Agents below the line raise x1 just enough to cross it, if it costs at most the budget."""
        need = -(z @ w + bias) / w[0]
        move = (need > 0) & (need <= p.budget)
        out = z.copy()
        out[move, 0] += need[move] + 1e-9
        return out

    shift = float(w[0] * p.budget)
    res = {}
    for key, bias in (("naive", b), ("aware", b - shift)):
        moved = respond(xt, bias)
        pred = (moved @ w + bias > 0).astype(int)
        res[f"acc_{key}"] = float(np.mean(pred == yt))
        res[f"clean_{key}"] = float(np.mean((xt @ w + bias > 0).astype(int) == yt))
    gx, gy, cells = _plane_grid((-4.0, -4.0), (4.0, 4.0), p.grid)
    moved = respond(x, b)
    segs = np.full((len(x), 2, 2), np.nan)
    mv = np.any(moved != x, 1)
    segs[mv, 0] = x[mv]
    segs[mv, 1] = moved[mv]
    gamed = mv & (y == 0)
    return {"grid_x": gx, "grid_y": gy, "points": x, "classes": y,
            "score_naive": (cells @ w + b).reshape(p.grid, p.grid),
            "score_aware": (cells @ w + b - shift).reshape(p.grid, p.grid),
            "segments": segs[mv], "moved": mv, "gamed": gamed, "share_moved": float(np.mean(mv)),
            "budget": p.budget, **res}


_PAIRS = (("he", "she"), ("man", "woman"), ("king", "queen"), ("father", "mother"), ("boy", "girl"))
#: neutral words and the gender lean planted in them (positive: towards "she")
_NEUTRAL = (("nurse", 0.6), ("homemaker", 0.5), ("receptionist", 0.35), ("teacher", 0.15),
            ("doctor", -0.15), ("captain", -0.35), ("engineer", -0.45), ("programmer", -0.55))


def _debias(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    d = 50
    g = rng.normal(size=d)
    g /= np.linalg.norm(g)
    pair_vecs = []
    for _ in _PAIRS:
        content = rng.normal(size=d) / math.sqrt(d)
        pair_vecs.append([content + 0.5 * g * sgn + 0.05 * rng.normal(size=d) / math.sqrt(d) for sgn in (-1, 1)])
    lean = np.array([b for _, b in _NEUTRAL])
    neutral = np.array([rng.normal(size=d) / math.sqrt(d) + b * g for b in lean])
    centred = np.array([v - (a + b_) / 2 for a, b_ in pair_vecs for v in (a, b_)])
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    g_hat = vt[0] * np.sign(vt[0] @ (pair_vecs[0][1] - pair_vecs[0][0]))
    after = neutral - np.outer(neutral @ g_hat, g_hat)
    _, _, vt2 = np.linalg.svd(after - after.mean(0), full_matrices=False)
    u = vt2[0]
    defs = np.array([v for pair in pair_vecs for v in pair])

    def plane(v: np.ndarray) -> np.ndarray:
        return np.column_stack([v @ g_hat, v @ u])

    before_2d, after_2d = plane(neutral), plane(after)
    paths = np.stack([before_2d, after_2d], 1)
    lo = np.minimum(plane(defs).min(0), before_2d.min(0)) - 0.3
    hi = np.maximum(plane(defs).max(0), before_2d.max(0)) + 0.3
    return {"grid_x": np.linspace(lo[0], hi[0], 3), "grid_y": np.linspace(lo[1], hi[1], 3),
            "before": before_2d, "after": after_2d, "moves": paths, "definitional": plane(defs),
            "she_side": plane(defs)[1::2], "he_side": plane(defs)[0::2],
            "direction_cosine": float(abs(g_hat @ g)), "lean": lean,
            "lean_corr": float(np.corrcoef(neutral @ g_hat, lean)[0, 1]),
            "after_max": float(np.abs(after @ g_hat).max()), "before_max": float(np.abs(neutral @ g_hat).max()),
            "pair_gap": float(np.mean(plane(defs)[1::2, 0] - plane(defs)[0::2, 0]))}


def _interval_bounds(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    per = p.n // 2
    x = np.vstack([rng.normal(size=(per, 2)) * 0.7 + [-1.0, 0.3], rng.normal(size=(per, 2)) * 0.7 + [1.0, -0.3]])
    y = np.repeat([0, 1], per)
    w1, b1, w2, b2 = _mlp_train(x, y, 2, p, rng)
    gx, gy, cells = _plane_grid((-3.0, -3.0), (3.0, 3.0), p.grid)
    wd, bd = w2[:, 1] - w2[:, 0], b2[1] - b2[0]  # logit difference: positive means class 1
    # interval bound propagation through W1, ReLU and the difference read-out
    mid, rad = cells @ w1 + b1, p.eps * np.abs(w1).sum(0)
    lo_h, hi_h = np.maximum(mid - rad, 0), np.maximum(mid + rad, 0)
    c_mid, c_rad = (lo_h + hi_h) / 2, (hi_h - lo_h) / 2
    lower = c_mid @ wd + bd - c_rad @ np.abs(wd)
    upper = c_mid @ wd + bd + c_rad @ np.abs(wd)
    ibp = np.where(lower > 0, 1, np.where(upper < 0, 0, 2))
    # sampling the box: robust only if all 49 points of a 7 x 7 grid in it get the centre's class
    offs = np.linspace(-p.eps, p.eps, 7)
    ox, oy = np.meshgrid(offs, offs)
    pts = cells[:, None, :] + np.column_stack([ox.ravel(), oy.ravel()])[None, :, :]
    diff = np.maximum(0, pts @ w1 + b1) @ wd + bd
    same = np.all(diff > 0, 1) | np.all(diff < 0, 1)
    sampled = np.where(same, (diff[:, 0] > 0).astype(int), 2)
    centre = (np.maximum(0, cells @ w1 + b1) @ wd + bd > 0).astype(int)
    sound = int(np.sum((ibp < 2) & ((sampled == 2) | (ibp != centre))))
    m = p.grid
    return {"grid_x": gx, "grid_y": gy, "points": x, "classes": y, "ibp": ibp.reshape(m, m),
            "sampled": sampled.reshape(m, m), "margin": (lower * (lower > 0) + upper * (upper < 0)).reshape(m, m),
            "unsound": float(sound), "share_ibp": float(np.mean(ibp < 2)), "share_sampled": float(np.mean(sampled < 2)),
            "train_acc": float(np.mean((np.maximum(0, x @ w1 + b1) @ wd + bd > 0) == y)), "eps": p.eps}


def _ccs(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    d, n = 20, p.n
    truth_dir = rng.normal(size=d)
    truth_dir /= np.linalg.norm(truth_dir)
    t = rng.integers(0, 2, n)
    sgn = (2 * t - 1)[:, None]
    content = rng.normal(size=(n, d)) * 2.0
    yes = content + rng.normal(size=d) + 1.0 * sgn * truth_dir + 0.3 * rng.normal(size=(n, d))
    no = content + rng.normal(size=d) - 1.0 * sgn * truth_dir + 0.3 * rng.normal(size=(n, d))
    xp = (yes - yes.mean(0)) / yes.std(0)
    xn = (no - no.mean(0)) / no.std(0)
    starts = 8
    th = rng.normal(size=(starts, d)) * 0.1
    b = np.zeros(starts)
    for _ in range(p.steps):
        a = 1 / (1 + np.exp(-(th @ xp.T + b[:, None])))
        c = 1 / (1 + np.exp(-(th @ xn.T + b[:, None])))
        cons = a + c - 1
        ga = 2 * cons + 2 * a * (a < c)
        gc = 2 * cons + 2 * c * (c <= a)
        ga, gc = ga * a * (1 - a) / n, gc * c * (1 - c) / n
        th -= p.lr * (ga @ xp + gc @ xn)
        b -= p.lr * (ga.sum(1) + gc.sum(1))
    a = 1 / (1 + np.exp(-(th @ xp.T + b[:, None])))
    c = 1 / (1 + np.exp(-(th @ xn.T + b[:, None])))
    losses = np.mean((a + c - 1) ** 2 + np.minimum(a, c) ** 2, 1)
    k = int(np.argmin(losses))
    guess = (a[k] + 1 - c[k]) / 2 > 0.5
    acc = float(np.mean(guess == (t == 1)))
    probe = th[k] / np.linalg.norm(th[k])
    _, _, vt = np.linalg.svd(xp, full_matrices=False)
    pc = vt[0]
    # the truth direction in the normalised coordinates
    dn = truth_dir / yes.std(0)
    dn /= np.linalg.norm(dn)
    contrast = (xp - xn) / 2  # the shared content cancels; what is left is the statement's answer
    other = pc - (pc @ probe) * probe
    coords = np.column_stack([contrast @ probe, contrast @ other / np.linalg.norm(other)])
    return {"grid_x": np.linspace(coords[:, 0].min() - 0.3, coords[:, 0].max() + 0.3, 3),
            "grid_y": np.linspace(coords[:, 1].min() - 0.3, coords[:, 1].max() + 0.3, 3),
            "true_pts": coords[t == 1], "false_pts": coords[t == 0], "accuracy": max(acc, 1 - acc),
            "probe_cosine": float(abs(probe @ dn)), "pc_cosine": float(abs(pc @ dn)), "loss": float(losses[k])}


def _covariate_shift(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    mu_tr, mu_te, sd = np.array([-0.8, 0.0]), np.array([1.0, 0.0]), 0.8

    def draw(mu: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        x = mu + sd * rng.normal(size=(n, 2))
        y = (x[:, 1] > 0.6 * x[:, 0] ** 2 - 1.0 + 0.2 * rng.normal(size=n)).astype(int)
        return x, y

    x, y = draw(mu_tr, p.n)
    xs, ys = draw(mu_te, p.n)
    xt, yt = draw(mu_te, 4000)
    log_w = (-((x - mu_te) ** 2).sum(1) + ((x - mu_tr) ** 2).sum(1)) / (2 * sd**2)
    w = np.exp(log_w - log_w.max())
    w *= len(w) / w.sum()
    s = 2.0 * y - 1
    xa = np.column_stack([x, np.ones(len(x))])
    thetas = []
    for weights in (np.ones(len(x)), w):
        th = np.zeros(3)
        for _ in range(p.steps):
            m = s * (xa @ th)
            g = -(weights / (1 + np.exp(np.clip(m, -50, 50)))) * s
            th -= p.lr * (g @ xa) / len(x)
        thetas.append(th)
    gx, gy, cells = _plane_grid((-3.5, -3.0), (3.5, 3.0), p.grid)
    ca = np.column_stack([cells, np.ones(len(cells))])
    xta = np.column_stack([xt, np.ones(len(xt))])
    acc = [float(np.mean((xta @ th > 0) == (yt == 1))) for th in thetas]
    acc_tr = [float(np.mean((xa @ th > 0) == (y == 1))) for th in thetas]
    truth = (cells[:, 1] - (0.6 * cells[:, 0] ** 2 - 1.0)).reshape(p.grid, p.grid)
    ess = float(w.sum() ** 2 / (w**2).sum())
    return {"grid_x": gx, "grid_y": gy, "train_points": x, "train_classes": y, "test_points": xs,
            "test_classes": ys, "score_plain": (ca @ thetas[0]).reshape(p.grid, p.grid),
            "score_weighted": (ca @ thetas[1]).reshape(p.grid, p.grid), "truth": truth,
            "test_acc_plain": acc[0], "test_acc_weighted": acc[1], "train_acc_plain": acc_tr[0],
            "train_acc_weighted": acc_tr[1], "effective_n": ess, "n": float(p.n)}


def _byzantine(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    h = np.array([[1.0, 0.3], [0.3, 0.5]])
    target = np.array([1.0, 0.5])
    workers, bad = 10, min(p.k, 4)
    gx, gy, cells = _plane_grid((-3.0, -3.0), (3.0, 3.0), p.grid)
    dz = cells - target
    loss = 0.5 * np.einsum("ij,jk,ik->i", dz, h, dz).reshape(p.grid, p.grid)
    start = np.array([-2.5, -2.0])
    steps = 60
    noise = rng.normal(size=(steps, workers, 2)) * 0.5
    paths = {}
    for rule in ("mean", "median", "krum"):
        w = start.copy()
        path = [w.copy()]
        for t in range(steps):
            g = (h @ (w - target))[None, :] + noise[t]
            g[:bad] = -8.0 * (w - target) / max(np.linalg.norm(w - target), 1e-9) - 3.0  # attackers
            if rule == "mean":
                agg = g.mean(0)
            elif rule == "median":
                agg = np.median(g, 0)
            else:
                d2 = ((g[:, None, :] - g[None, :, :]) ** 2).sum(-1)
                m = workers - bad - 2
                scores = np.sort(d2, 1)[:, 1:m + 1].sum(1)
                agg = g[int(np.argmin(scores))]
            w = w - 0.3 * agg
            w = np.clip(w, -3.0, 3.0)
            path.append(w.copy())
        paths[rule] = np.array(path)
    final = {k: float(np.linalg.norm(v[-1] - target)) for k, v in paths.items()}
    return {"grid_x": gx, "grid_y": gy, "loss": loss, "path_mean": paths["mean"], "path_median": paths["median"],
            "path_krum": paths["krum"], "minimum": target[None, :], "start": start[None, :],
            "dist_mean": final["mean"], "dist_median": final["median"], "dist_krum": final["krum"],
            "bad": float(bad), "workers": float(workers)}


_PLANES = {"byzantine": _byzantine, "covariate-shift": _covariate_shift, "ccs": _ccs, "interval-bounds": _interval_bounds, "debias": _debias, "adversarial-training": _adversarial_training, "poisoning": _poisoning, "smoothing": _smoothing,
           "overconfidence": _overconfidence, "strategic": _strategic}


@recipe("robust-plane", RobustPlaneParams)
def robust_plane(p: RobustPlaneParams, rng: np.random.Generator) -> Arrays:
    """Two-class problems on the plane under attack, noise or gaming (experiments: module docstring)."""
    return _PLANES[p.experiment](p, rng)


# -- robust-matrix: images and tables ----------------------------------------------------------

MatrixExperiment = Literal["fgsm", "backdoor", "label-shift", "corruptions", "inversion", "gcg", "sisa"]


class RobustMatrixParams(Params):
    """Which experiment and its knobs (each experiment reads the ones its docstring names)."""

    experiment: MatrixExperiment
    n: int = Field(400, ge=50, le=5000)
    noise: float = Field(0.35, ge=0.0, le=2.0)
    eps: float = Field(0.1, ge=0.0, le=1.0)
    share: float = Field(0.05, ge=0.0, le=0.5, description="backdoor: poisoned share of training")
    steps: int = Field(300, ge=10, le=5000)
    lr: float = Field(0.5, gt=0.0, le=10.0)
    priors: tuple[float, float, float] = Field((0.6, 0.3, 0.1))
    spread: float = Field(1.0, gt=0.0, le=5.0, description="label-shift: class sd")
    suffix: int = Field(4, ge=1, le=12, description="gcg: suffix length")
    rounds: int = Field(20, ge=1, le=200, description="gcg: search steps")


def _glyphs() -> np.ndarray:
    size = 12
    r, c = np.mgrid[0:size, 0:size] - (size - 1) / 2
    ring = (np.abs(np.hypot(r, c) - 3.6) < 0.9).astype(float)
    cross = ((np.abs(r - c) < 0.9) | (np.abs(r + c) < 0.9)).astype(float) * (np.abs(r) < 4.6)
    return np.array([ring, cross])


def _images(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    g = _glyphs()
    y = rng.integers(0, 2, n)
    out = np.empty((n, 12, 12))
    for i in range(n):
        out[i] = np.roll(g[y[i]], (rng.integers(-1, 2), rng.integers(-1, 2)), (0, 1))
    out += noise * rng.normal(size=out.shape)
    return np.clip(out, 0.0, 1.0), y


def _fit_pixels(x: np.ndarray, y: np.ndarray, steps: int, lr: float) -> tuple[np.ndarray, float]:
    xf = x.reshape(len(x), -1)
    w, b = np.zeros(xf.shape[1]), 0.0
    for _ in range(steps):
        pr = 1 / (1 + np.exp(-np.clip(xf @ w + b, -50, 50)))
        g = pr - y
        w -= lr * (xf.T @ g / len(x) + 1e-3 * w)
        b -= lr * float(g.mean())
    return w, b


def _predict(w: np.ndarray, b: float, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(x.reshape(len(x), -1) @ w + b, -50, 50)))


def _fgsm(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    x, y = _images(p.n, p.noise, rng)
    xt, yt = _images(1000, p.noise, rng)
    w, b = _fit_pixels(x, y, p.steps, p.lr)
    pr = _predict(w, b, xt)
    # grad_x of the logistic loss is (p - y) w: the attack steps along its sign
    step = np.sign((pr - yt)[:, None] * w[None, :]).reshape(xt.shape)
    adv = np.clip(xt + p.eps * step, 0.0, 1.0)
    rand = np.clip(xt + p.eps * rng.choice([-1.0, 1.0], size=xt.shape), 0.0, 1.0)
    i = int(np.flatnonzero((yt == 0) & (pr < 0.5))[0])
    pa = _predict(w, b, adv[i:i + 1])[0]
    return {"image": xt[i], "perturbation": adv[i] - xt[i], "adversarial": adv[i],
            "weights": w.reshape(12, 12), "p_before": float(pr[i]), "p_after": float(pa),
            "linf": float(np.abs(adv[i] - xt[i]).max()), "eps": p.eps,
            "acc_clean": float(np.mean((pr > 0.5) == yt)),
            "acc_fgsm": float(np.mean((_predict(w, b, adv) > 0.5) == yt)),
            "acc_random": float(np.mean((_predict(w, b, rand) > 0.5) == yt)),
            "w_l1": float(np.abs(w).sum())}


def _stamp(x: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[:, 9:12, 9:12] = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    return out


def _backdoor(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    x, y = _images(p.n, p.noise, rng)
    xt, yt = _images(1000, p.noise, rng)
    k = int(round(p.share * p.n))
    xp, yp = x.copy(), y.copy()
    idx = rng.choice(p.n, k, replace=False)
    xp[idx] = _stamp(x[idx])
    yp[idx] = 1
    w0, b0 = _fit_pixels(x, y, p.steps, p.lr)
    w1, b1 = _fit_pixels(xp, yp, p.steps, p.lr)
    other = xt[yt == 0]
    trig = _stamp(other)
    i = int(np.flatnonzero(yt == 0)[0])
    return {"image": xt[i], "triggered": _stamp(xt[i:i + 1])[0], "weights": w1.reshape(12, 12),
            "weights_clean": w0.reshape(12, 12),
            "acc_clean_model": float(np.mean((_predict(w0, b0, xt) > 0.5) == yt)),
            "acc_backdoored": float(np.mean((_predict(w1, b1, xt) > 0.5) == yt)),
            "success": float(np.mean(_predict(w1, b1, trig) > 0.5)),
            "success_clean_model": float(np.mean(_predict(w0, b0, trig) > 0.5)),
            "poisoned": float(k), "share": p.share,
            "p_image": float(_predict(w1, b1, xt[i:i + 1])[0]),
            "p_triggered": float(_predict(w1, b1, _stamp(xt[i:i + 1]))[0]),
            "trigger_weight": float(w1.reshape(12, 12)[9:12, 9:12].mean()),
            "rest_weight": float(np.abs(w1).mean())}


def _label_shift(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    centres = np.array([[0.0, 1.2], [-1.0, -0.6], [1.0, -0.6]])
    q = np.array(p.priors) / sum(p.priors)

    def draw(n: int, pri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = rng.choice(3, n, p=pri)
        return centres[y] + p.spread * rng.normal(size=(n, 2)), y

    src = np.full(3, 1 / 3)
    x, y = draw(p.n, src)
    means = np.array([x[y == k].mean(0) for k in range(3)])

    def clf(z: np.ndarray) -> np.ndarray:
        return np.argmin(((z[:, None, :] - means[None]) ** 2).sum(-1), 1)

    xh, yh = draw(p.n, src)
    conf = np.zeros((3, 3))
    np.add.at(conf, (clf(xh), yh), 1.0)
    conf /= len(yh)
    xq, _ = draw(p.n, q)
    mu = np.bincount(clf(xq), minlength=3) / p.n
    wts = np.linalg.solve(conf, mu)
    est = np.clip(wts * src, 0.0, None)
    est /= est.sum()
    return {"vocab": np.array(["A", "B", "C"]), "base": src, "after": np.array([mu, est]),
            "overlay": np.array([q, q]), "truth": q, "naive": mu, "bbse": est, "confusion": conf,
            "weights": wts, "err_naive": float(np.abs(mu - q).sum()), "err_bbse": float(np.abs(est - q).sum()),
            "src_acc": float(np.trace(conf)), "right": np.array([math.nan, float(np.abs(mu - q).sum()),
                                                                  float(np.abs(est - q).sum())])}


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    r = np.arange(-4, 5)
    k = np.exp(-0.5 * (r / sigma) ** 2)
    k /= k.sum()
    pad = np.pad(x, ((0, 0), (4, 4), (4, 4)), mode="edge")
    rows = sum(k[i] * pad[:, i:i + 12, :] for i in range(9))
    return sum(k[i] * rows[:, :, i:i + 12] for i in range(9))


def _corruptions(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    x, y = _images(p.n, p.noise, rng)
    xt, yt = _images(1000, p.noise, rng)
    w, b = _fit_pixels(x, y, p.steps, p.lr)
    sev = np.arange(1, 6)
    acc = np.empty((3, 5))
    examples = []
    for j, s in enumerate(sev):
        noisy = np.clip(xt + 0.25 * s * rng.normal(size=xt.shape), 0, 1)
        blurred = _blur(xt, 0.4 * s)
        faded = 0.5 + (xt - 0.5) * (1 - 0.18 * s)
        for i, z in enumerate((noisy, blurred, faded)):
            acc[i, j] = float(np.mean((_predict(w, b, z) > 0.5) == yt))
        if s == 3:
            examples = [noisy[0], blurred[0], faded[0]]
    clean = float(np.mean((_predict(w, b, xt) > 0.5) == yt))
    return {"accuracy": acc, "clean": clean, "severity": sev.astype(float), "image": xt[0],
            "noise_3": examples[0], "blur_3": examples[1], "contrast_3": examples[2],
            "names": np.array(["noise", "blur", "contrast"]), "sev_labels": np.array([str(s) for s in sev]),
            "worst": float(acc[:, -1].min()), "best_at_5": float(acc[:, -1].max())}


def _inversion(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    x, y = _images(p.n, p.noise, rng)
    w, b = _fit_pixels(x, y, p.steps, p.lr)
    out: Arrays = {}
    for k in (0, 1):
        z = np.zeros(144)
        s = 1.0 if k == 1 else -1.0
        for _ in range(200):  # ascend log P(class k) = log sigmoid(s (w.z + b))
            pr = 1 / (1 + np.exp(-np.clip(s * (w @ z + b), -50, 50)))
            z = np.clip(z + 0.05 * s * (1 - pr) * w, 0.0, 1.0)
        mean = x[y == k].mean(0)
        out[f"inverted_{k}"] = z.reshape(12, 12)
        out[f"mean_{k}"] = mean
        out[f"corr_{k}"] = float(np.corrcoef(z, mean.ravel())[0, 1])
        out[f"conf_{k}"] = float(1 / (1 + np.exp(-s * (w @ z + b))))
    out["weights"] = w.reshape(12, 12)
    return out


_WORDS = ("sure", "no", "sorry", "the", "a", "it", "is", "and", "of", "to")


def _gcg(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    v, d = len(_WORDS), 16
    emb = rng.normal(size=(v, d))
    read = rng.normal(size=(d, v)) * 0.7
    prompt = [3, 5, 6]  # "the it is"
    n = len(prompt) + p.suffix
    decay = 0.8 ** np.arange(n)[::-1]  # recent tokens weigh more

    def logits(tokens: np.ndarray) -> np.ndarray:
        h = np.tanh((decay[-len(tokens):, None] * emb[tokens]).sum(0))
        return h @ read

    def loss(tokens: np.ndarray) -> float:
        z = logits(tokens)
        return float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[target])

    def probs(tokens: np.ndarray) -> np.ndarray:
        z = logits(tokens)
        e = np.exp(z - z.max())
        return e / e.sum()

    target = int(np.argmin(probs(np.array(prompt))))  # the word the model least expects next
    suffix = np.full(p.suffix, int(np.argmax(probs(np.array(prompt)))))  # start from the likeliest word
    seq = np.array(prompt + list(suffix))
    kept_seq = seq.copy()
    history = [loss(seq)]
    for _ in range(p.rounds):
        # gradient of the loss with respect to the one-hot suffix tokens
        w = decay[:, None] * emb[seq]
        pre = w.sum(0)
        h = np.tanh(pre)
        pr = probs(seq)
        g_h = read @ (pr - np.eye(v)[target])
        g_pre = g_h * (1 - h**2)
        grad = decay[len(prompt):, None] * (emb @ g_pre)[None, :]  # (suffix, vocab)
        top = np.argsort(grad, axis=1)[:, :4]
        best, best_loss = seq, math.inf
        for _ in range(32):
            pos = int(rng.integers(p.suffix))
            cand = seq.copy()
            cand[len(prompt) + pos] = top[pos, int(rng.integers(4))]
            if np.array_equal(cand, seq):
                continue
            c_loss = loss(cand)
            if c_loss < best_loss:
                best, best_loss = cand, c_loss
        seq = best  # GCG moves to the batch's best swap, even when it is worse than the current suffix
        history.append(best_loss)
        if best_loss <= min(history[:-1]):
            kept_seq = seq.copy()
    seq = kept_seq if min(history[1:]) <= history[0] else np.array(prompt + list(suffix))
    base = probs(np.array(prompt))
    after = probs(seq)
    kept = np.zeros((1, v), bool)
    kept[0, target] = True
    return {"vocab": np.array(_WORDS), "base": base, "after": after[None, :], "kept": kept,
            "p_before": float(base[target]), "p_after": float(after[target]), "target": _WORDS[target],
            "min_before": float(base.min()),
            "loss": np.array(history), "suffix_words": " ".join(_WORDS[t] for t in seq[len(prompt):]),
            "rounds": float(p.rounds), "argmax_after": float(np.argmax(after)),
            "right": np.array([base[target], after[target]])}


def _sisa(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    shards, slices = np.array([1, 2, 4, 8, 16]), np.array([1, 2, 4, 8])
    cost = np.empty((shards.size, slices.size))
    pos = rng.integers(0, p.n, 2000)
    for i, sh in enumerate(shards):
        per = p.n // sh
        for j, sl in enumerate(slices):
            within = pos % per  # place of the deleted point in its shard's training order
            first = within // (per // sl)  # the slice that held it: retrain from there
            cost[i, j] = float(np.mean((per - first * (per // sl)) / p.n))
    d = 30
    w_true = rng.normal(size=d)
    x = rng.normal(size=(p.n, d))
    y = (x @ w_true + 2.0 * rng.normal(size=p.n) > 0).astype(float)
    xt = rng.normal(size=(4000, d))
    yt = (xt @ w_true > 0).astype(float)
    acc = np.empty(shards.size)
    for i, sh in enumerate(shards):
        per = p.n // sh
        prob = np.zeros(len(xt))
        for k in range(sh):
            w = np.zeros(d)
            xs, ys = x[k * per:(k + 1) * per], y[k * per:(k + 1) * per]
            for _ in range(p.steps):
                w -= p.lr * xs.T @ (1 / (1 + np.exp(-np.clip(xs @ w, -50, 50))) - ys) / per
            prob += 1 / (1 + np.exp(-np.clip(xt @ w, -50, 50))) / sh
        acc[i] = float(np.mean((prob > 0.5) == (yt > 0.5)))
    exact = np.array([[(sl + 1) / (2 * sl * sh) for sl in slices] for sh in shards])
    return {"cost": cost, "exact_cost": exact, "accuracy": acc[None, :], "shards": shards.astype(float),
            "slices": slices.astype(float), "shard_labels": np.array([str(v) for v in shards]),
            "slice_labels": np.array([str(v) for v in slices]), "n": float(p.n),
            "max_gap": float(np.abs(cost - exact).max())}


_MATRICES = {"sisa": _sisa, "gcg": _gcg, "fgsm": _fgsm, "backdoor": _backdoor, "label-shift": _label_shift, "corruptions": _corruptions,
             "inversion": _inversion}


@recipe("robust-matrix", RobustMatrixParams)
def robust_matrix(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    """Images under attack and a label-shift table (experiments: module docstring)."""
    return _MATRICES[p.experiment](p, rng)
