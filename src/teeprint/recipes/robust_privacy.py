"""Privacy, fairness and safety gridworlds of the robustness family, computed on small models.

``privacy-curves`` — curves for ``curve-vs-scale`` (experiment by ``experiment``):

* ``laplace`` — the Laplace mechanism f(D) + Lap(1/eps) on neighbouring data sets with f(D) = 0
  and f(D') = 1: both output densities and their log ratio, bounded by eps;
* ``composition`` — total privacy loss of k eps-DP steps: basic composition k eps against the
  advanced bound eps sqrt(2k ln(1/delta)) + k eps (e^eps - 1) (Dwork, Rothblum, Vadhan 2010);
* ``randomised-response`` — Warner's survey: answer truthfully with probability p, else the
  opposite; the unbiased estimate (lambda - (1-p))/(2p - 1) of the share pi, its exact sd
  against eps = ln(p/(1-p)), and the sd of ``repeats`` simulated surveys of ``n``;
* ``dp-sgd`` — logistic regression trained by DP-SGD (per-example gradients clipped to norm
  ``clip``, Gaussian noise of sd sigma clip added to the lot's sum, lots of ``lot`` drawn
  uniformly); test accuracy against the noise multiplier sigma, median of ``repeats``;
* ``equalised-odds`` — two groups' exact ROC curves (scores N(0, 1) on negatives, N(m_g, 1) on
  positives, m_g from ``values``); one shared threshold gives each group its own (FPR, TPR);
  the equalised-odds point is the best point of the lower ROC, which the other group reaches by
  randomising between two of its thresholds (Hardt et al.).

``robust-ridges`` — stacked densities for ``density-ridges``:

* ``ood`` — max softmax probability (histogram in nines, -log10(1 - p)) of a multinomial logistic regression (three Gaussian classes
  in ``dim`` dimensions) on held-out data, on near inputs (N(0, I), between the classes) and on
  far inputs (the same scaled by ``far``); AUROC of the max-softmax detector for each;
* ``membership`` — per-example squared error of ridge regression (``dim`` features, ``n`` points)
  on its training points (members) and on fresh points, for a tiny and a large penalty; AUC of
  the loss-threshold attack (Yeom et al.);
* ``parity`` — two groups' score distributions (Beta draws, one group shifted down); selection
  rates under one shared threshold and under group thresholds set to equal selection rates;
* ``shift-calibration`` — a logistic regression (two Gaussian classes in ``dim`` dimensions)
  tested on inputs rotated by growing angles: histograms of its top probability per angle (in
  nines, -log10(1 - p), from p = 0.5 to 5 nines), its
  accuracy, mean confidence and expected calibration error (10 bins);
* ``gaussian-mechanism`` — exact output densities of f + N(0, sigma^2) on neighbouring data sets
  (f = 0 and f = 1), one row per sigma in ``sigmas``, with the exact delta(eps) of the analytic
  Gaussian mechanism, Phi(1/(2 sigma) - eps sigma) - e^eps Phi(-1/(2 sigma) - eps sigma); the rng is
  not used;
* ``balance`` — a calibrated risk score for two groups with base rates 0.3 and 0.6 (scores
  Beta(3, 7) and Beta(6, 4), outcomes Bernoulli(score)): score histograms of each group's positives
  and negatives, the measured calibration error (10 bins) and each row's mean score (balance).

``safety-grid`` — gridworlds for ``policy-grid`` (value iteration, exact unless noted):

* ``gaming`` — a respawning bonus tile (+``bonus`` on every entry) beside the start and a goal
  (+``goal_reward``, ends the episode); the optimal policy for the written reward against the
  intended one (goal only);
* ``side-effects`` — Leike et al.'s box level: -1 a step, +``goal_reward`` at the goal; the
  shortest route pushes the box into a corner for good; the agent penalised ``penalty`` when the
  goal is reached with the box cornered walks round (value iteration over agent and box cells);
* ``power`` — Turner et al.'s POWER, (1 - gamma)/gamma E_R [V*_R(s) - R(s)], of every cell under
  ``samples`` reward functions with iid uniform cell rewards, and the move most often optimal.
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

PrivacyExperiment = Literal["laplace", "composition", "randomised-response", "dp-sgd", "equalised-odds"]


class PrivacyParams(Params):
    """Which experiment and its knobs (each experiment reads the ones its docstring names)."""

    experiment: PrivacyExperiment
    eps: float = Field(1.0, gt=0.0, le=10.0)
    delta: float = Field(1e-5, gt=0.0, lt=0.5)
    points: int = Field(60, ge=5, le=1000)
    k_max: int = Field(10000, ge=10, le=1_000_000)
    n: int = Field(1000, ge=20, le=100_000)
    share: float = Field(0.3, ge=0.0, le=1.0, description="randomised-response: true share pi")
    repeats: int = Field(200, ge=1, le=5000)
    dim: int = Field(20, ge=1, le=500)
    clip: float = Field(1.0, gt=0.0, le=100.0)
    lot: int = Field(100, ge=1, le=10000)
    steps: int = Field(200, ge=1, le=5000)
    lr: float = Field(0.5, gt=0.0, le=10.0)
    sigma_max: float = Field(8.0, gt=0.0, le=100.0)
    values: tuple[float, ...] = Field((2.0, 1.0), min_length=2, max_length=2)
    threshold: float = Field(1.0, ge=-5.0, le=5.0, description="equalised-odds: shared threshold")


def _laplace(p: PrivacyParams, rng: np.random.Generator) -> Arrays:
    x = np.linspace(-5.0, 6.0, p.points)
    b = 1.0 / p.eps
    d0 = np.exp(-np.abs(x) / b) / (2 * b)
    d1 = np.exp(-np.abs(x - 1.0) / b) / (2 * b)
    ratio = np.log(d0 / d1)
    return {"x": x, "density_d": d0, "density_d2": d1, "log_ratio": ratio, "eps": p.eps,
            "max_log_ratio": float(np.abs(ratio).max()), "scale": b}


def _composition(p: PrivacyParams, rng: np.random.Generator) -> Arrays:
    k = np.unique(np.round(np.logspace(0, math.log10(p.k_max), p.points))).astype(float)
    basic = k * p.eps
    adv = p.eps * np.sqrt(2 * k * math.log(1 / p.delta)) + k * p.eps * (math.exp(p.eps) - 1)
    better = k[adv < basic]
    return {"k": k, "basic": basic, "advanced": adv, "eps": p.eps, "delta": p.delta,
            "k_cross": float(better[0]) if better.size else math.inf,
            "ratio_end": float(adv[-1] / basic[-1]), "advanced_end": float(adv[-1]), "basic_end": float(basic[-1])}


def _randomised_response(p: PrivacyParams, rng: np.random.Generator) -> Arrays:
    prob = np.linspace(0.55, 0.95, p.points)
    eps = np.log(prob / (1 - prob))
    lam = prob * p.share + (1 - prob) * (1 - p.share)
    sd = np.sqrt(lam * (1 - lam) / p.n) / (2 * prob - 1)
    sim = np.empty(prob.size)
    bias = np.empty(prob.size)
    for j, q in enumerate(prob):
        truth = rng.random((p.repeats, p.n)) < p.share
        honest = rng.random((p.repeats, p.n)) < q
        yes = np.where(honest, truth, ~truth).mean(1)
        est = (yes - (1 - q)) / (2 * q - 1)
        sim[j] = est.std()
        bias[j] = est.mean() - p.share
    return {"eps": eps, "p_truth": prob, "sd_exact": sd, "sd_sim": sim, "bias": bias, "n": float(p.n),
            "share": p.share, "max_rel_gap": float(np.max(np.abs(sim / sd - 1))),
            "sd_low_eps": float(sd[0]), "sd_high_eps": float(sd[-1])}


def _dp_sgd(p: PrivacyParams, rng: np.random.Generator) -> Arrays:
    sig = np.linspace(0.0, p.sigma_max, p.points)
    acc = np.empty((p.repeats, sig.size))
    base = np.empty(p.repeats)
    for r in range(p.repeats):
        w_true = rng.normal(size=p.dim)
        w_true /= np.linalg.norm(w_true)
        x = rng.normal(size=(p.n, p.dim))
        y = (x @ w_true + 0.5 * rng.normal(size=p.n) > 0).astype(float)
        xt = rng.normal(size=(2000, p.dim))
        yt = (xt @ w_true + 0.5 * rng.normal(size=2000) > 0).astype(float)
        lots = rng.integers(0, p.n, size=(p.steps, p.lot))
        noise = rng.normal(size=(p.steps, p.dim))
        w = np.zeros((sig.size + 1, p.dim))  # one row per sigma; the last row is plain SGD
        for t in range(p.steps):
            xb, yb = x[lots[t]], y[lots[t]]
            res = 1 / (1 + np.exp(-np.clip(w @ xb.T, -50, 50))) - yb[None, :]
            g = res[:, :, None] * xb[None, :, :]  # per-example gradients (S, lot, dim)
            # DP-SGD: clip each example's gradient to norm clip, add noise to the lot's sum
            gc = g[:-1] / np.maximum(1.0, np.linalg.norm(g[:-1], axis=2) / p.clip)[:, :, None]
            w[:-1] -= p.lr * (gc.sum(1) + sig[:, None] * p.clip * noise[t][None, :]) / p.lot
            w[-1] -= p.lr * g[-1].mean(0)
        hits = ((xt @ w.T > 0) == (yt[:, None] > 0.5)).mean(0)
        acc[r] = hits[:-1]
        base[r] = hits[-1]
    med = np.median(acc, 0)
    return {"sigma": sig, "acc": med, "acc_lo": np.quantile(acc, 0.1, 0), "acc_hi": np.quantile(acc, 0.9, 0),
            "sgd": np.full(sig.size, float(np.median(base))), "acc_sgd": float(np.median(base)),
            "acc_clip_only": float(med[0]), "acc_most_noise": float(med[-1]), "lot": float(p.lot),
            "steps": float(p.steps)}


def _equalised_odds(p: PrivacyParams, rng: np.random.Generator) -> Arrays:
    t = np.linspace(-4.0, 7.0, p.points)
    fpr = _stats().norm.sf(t)
    ma, mb = p.values
    tpr_a, tpr_b = _stats().norm.sf(t - ma), _stats().norm.sf(t - mb)
    at = np.array([[_stats().norm.sf(p.threshold), _stats().norm.sf(p.threshold - ma)],
                   [_stats().norm.sf(p.threshold), _stats().norm.sf(p.threshold - mb)]])
    # best point (max TPR - FPR, equal base rates) of the lower curve, reachable by both groups
    low = tpr_b if mb < ma else tpr_a
    j = int(np.argmax(low - fpr))
    eq = np.array([fpr[j], low[j]])
    return {"fpr": fpr, "tpr_a": tpr_a, "tpr_b": tpr_b, "chance": fpr.copy(),
            "shared_points": at, "eq_point": eq[None, :], "shared_fpr": at[:, 0], "shared_tpr": at[:, 1], "eq_fpr": float(eq[0]), "eq_tpr": float(eq[1]),
            "tpr_gap": float(abs(at[0, 1] - at[1, 1])), "tpr_shared_a": float(at[0, 1]),
            "tpr_shared_b": float(at[1, 1]), "fpr_shared": float(at[0, 0]),
            "tpr_a_at_eq": float(np.interp(eq[0], fpr[::-1], tpr_a[::-1])),
            "tpr_b_at_eq": float(np.interp(eq[0], fpr[::-1], tpr_b[::-1]))}


_PRIVACY = {"laplace": _laplace, "composition": _composition, "randomised-response": _randomised_response,
            "dp-sgd": _dp_sgd, "equalised-odds": _equalised_odds}


@recipe("privacy-curves", PrivacyParams)
def privacy_curves(p: PrivacyParams, rng: np.random.Generator) -> Arrays:
    """Privacy mechanisms and fairness trade-offs as curves (experiments: module docstring)."""
    return _PRIVACY[p.experiment](p, rng)


# -- robust-ridges ------------------------------------------------------------------------------

RidgeExperiment = Literal["ood", "membership", "parity", "shift-calibration", "gaussian-mechanism", "balance"]


class RobustRidgeParams(Params):
    """Which experiment and its knobs (each experiment reads the ones its docstring names)."""

    experiment: RidgeExperiment
    n: int = Field(300, ge=20, le=20000)
    dim: int = Field(10, ge=1, le=500)
    far: float = Field(10.0, ge=1.0, le=1000.0)
    bins: int = Field(50, ge=10, le=400)
    repeats: int = Field(20, ge=1, le=500)
    penalties: tuple[float, float] = Field((1e-4, 30.0))
    noise: float = Field(1.0, gt=0.0, le=10.0)
    threshold: float = Field(0.5, ge=0.0, le=1.0, description="parity: the shared threshold")
    rate: float = Field(0.3, gt=0.0, lt=1.0, description="parity: the equal selection rate")
    sigmas: tuple[float, ...] = Field((0.5, 1.0, 2.0), min_length=1, max_length=8)
    eps: float = Field(1.0, gt=0.0, le=10.0, description="gaussian-mechanism: the eps of delta(eps)")


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half."""
    both = np.concatenate([pos, neg])
    ranks = _stats().rankdata(both)
    return float((ranks[:pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))


def _hist(rows: list[np.ndarray], lo: float, hi: float, bins: int) -> tuple[np.ndarray, np.ndarray]:
    edges = np.linspace(lo, hi, bins + 1)
    dens = np.array([np.histogram(np.clip(r, lo, hi), edges, density=True)[0] for r in rows])
    return (edges[:-1] + edges[1:]) / 2, dens


def _ood(p: RobustRidgeParams, rng: np.random.Generator) -> Arrays:
    k = 3
    means = np.zeros((k, p.dim))
    means[np.arange(k), np.arange(k)] = 3.0

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, k, n)
        return means[y] + rng.normal(size=(n, p.dim)), y

    x, y = draw(p.n)
    w, b = np.zeros((p.dim, k)), np.zeros(k)
    onehot = np.eye(k)[y]
    for _ in range(300):
        z = x @ w + b
        z -= z.max(1, keepdims=True)
        pr = np.exp(z)
        pr /= pr.sum(1, keepdims=True)
        g = (pr - onehot) / p.n
        w -= 0.5 * (x.T @ g)
        b -= 0.5 * g.sum(0)

    def msp(z: np.ndarray) -> np.ndarray:
        s = z @ w + b
        s -= s.max(1, keepdims=True)
        e = np.exp(s)
        return (e / e.sum(1, keepdims=True)).max(1)

    xt, yt = draw(2000)
    near = rng.normal(size=(2000, p.dim))
    far = p.far * rng.normal(size=(2000, p.dim))
    s_in, s_near, s_far = msp(xt), msp(near), msp(far)
    def nines(m: np.ndarray) -> np.ndarray:
        return -np.log10(np.maximum(1.0 - m, 1e-8))  # confidence in nines: 0.999 -> 3

    grid, dens = _hist([nines(s_in), nines(s_near), nines(s_far)], 0.0, 8.0, p.bins)
    return {"x": grid, "density": dens, "mean_msp": np.array([s_in.mean(), s_near.mean(), s_far.mean()]),
            "median_nines": np.array([np.median(nines(s)) for s in (s_in, s_near, s_far)]),
            "auroc_near": _auc(s_in, s_near), "auroc_far": _auc(s_in, s_far),
            "test_acc": float(np.mean(np.argmax(xt @ w + b, 1) == yt)), "far": p.far,
            "msp_in": float(np.median(s_in)), "msp_near": float(np.median(s_near)), "msp_far": float(np.median(s_far))}


def _membership(p: RobustRidgeParams, rng: np.random.Generator) -> Arrays:
    losses: dict[str, list[np.ndarray]] = {"in_0": [], "out_0": [], "in_1": [], "out_1": []}
    aucs = np.empty((2, p.repeats))
    for r in range(p.repeats):
        w_true = rng.normal(size=p.dim) / math.sqrt(p.dim)
        x = rng.normal(size=(p.n, p.dim))
        y = x @ w_true + p.noise * rng.normal(size=p.n)
        xo = rng.normal(size=(p.n, p.dim))
        yo = xo @ w_true + p.noise * rng.normal(size=p.n)
        for j, lam in enumerate(p.penalties):
            w = np.linalg.solve(x.T @ x + lam * np.eye(p.dim), x.T @ y)
            li, lo = (x @ w - y) ** 2, (xo @ w - yo) ** 2
            losses[f"in_{j}"].append(li)
            losses[f"out_{j}"].append(lo)
            aucs[j, r] = _auc(-li, -lo)  # members have the lower loss: score = -loss
    rows = [np.log10(np.concatenate(losses[key]) + 1e-6) for key in ("in_0", "out_0", "in_1", "out_1")]
    grid, dens = _hist(rows, -5.0, 1.5, p.bins)
    gap = np.array([np.median(10 ** rows[1]) / np.median(10 ** rows[0]), np.median(10 ** rows[3]) / np.median(10 ** rows[2])])
    return {"x": grid, "density": dens, "auc_overfit": float(np.median(aucs[0])), "auc_regularised": float(np.median(aucs[1])),
            "median_loss": np.array([np.median(10 ** r) for r in rows]), "loss_gap": gap,
            "n": float(p.n), "dim": float(p.dim)}


def _parity(p: RobustRidgeParams, rng: np.random.Generator) -> Arrays:
    a = rng.beta(5, 4, p.n)
    b = rng.beta(3, 5, p.n)
    sel = np.array([np.mean(a > p.threshold), np.mean(b > p.threshold)])
    ta, tb = np.quantile(a, 1 - p.rate), np.quantile(b, 1 - p.rate)
    eq = np.array([np.mean(a > ta), np.mean(b > tb)])
    grid, dens = _hist([a, b], 0.0, 1.0, p.bins)
    return {"x": grid, "density": dens, "selection_shared": sel, "selection_group": eq,
            "thresholds": np.array([ta, tb]), "paths_x": np.array([[ta, tb]]), "paths_row": np.array([[0.0, 1.0]]),
            "gap_shared": float(abs(sel[0] - sel[1])), "gap_group": float(abs(eq[0] - eq[1])),
            "threshold": p.threshold, "rate": p.rate, "t_a": float(ta), "t_b": float(tb),
            "sel_a": float(sel[0]), "sel_b": float(sel[1])}


def _shift_calibration(p: RobustRidgeParams, rng: np.random.Generator) -> Arrays:
    mean = np.zeros(p.dim)
    mean[0] = 1.5

    def draw(n: int, angle: float) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 2, n)
        x = (2 * y - 1)[:, None] * mean + rng.normal(size=(n, p.dim))
        c, s_ = math.cos(angle), math.sin(angle)
        x0, x1 = x[:, 0].copy(), x[:, 1].copy()
        x[:, 0], x[:, 1] = c * x0 - s_ * x1, s_ * x0 + c * x1
        return x, y

    x, y = draw(p.n, 0.0)
    w, b = np.zeros(p.dim), 0.0
    for _ in range(300):
        pr = 1 / (1 + np.exp(-(x @ w + b)))
        w -= 0.5 * (x.T @ (pr - y) / p.n)
        b -= 0.5 * float(np.mean(pr - y))
    angles = np.array([0.0, 20.0, 40.0, 60.0, 80.0])
    confs, accs, eces, means = [], [], [], []
    for a in angles:
        xt, yt = draw(4000, math.radians(a))
        pr = 1 / (1 + np.exp(-(xt @ w + b)))
        conf = np.maximum(pr, 1 - pr)
        hit = ((pr > 0.5) == (yt == 1)).astype(float)
        bins = np.minimum(((conf - 0.5) / 0.05).astype(int), 9)
        ece = sum(abs(hit[bins == k].mean() - conf[bins == k].mean()) * np.mean(bins == k)
                  for k in range(10) if np.any(bins == k))
        confs.append(conf)
        accs.append(hit.mean())
        eces.append(ece)
        means.append(conf.mean())
    grid, dens = _hist([-np.log10(np.maximum(1 - c, 1e-5)) for c in confs], math.log10(2), 5.0, p.bins)
    return {"x": grid, "density": dens, "angles": angles, "accuracy": np.array(accs), "ece": np.array(eces),
            "mean_conf": np.array(means), "gap": np.array(means) - np.array(accs)}


def _gaussian_mechanism(p: RobustRidgeParams, rng: np.random.Generator) -> Arrays:
    st = _stats()
    x = np.linspace(-5.0, 6.0, 12 * p.bins + 1)
    sig = np.array(p.sigmas)
    d0 = np.array([st.norm.pdf(x, 0.0, s) for s in sig])
    d1 = np.array([st.norm.pdf(x, 1.0, s) for s in sig])
    delta = st.norm.cdf(1 / (2 * sig) - p.eps * sig) - math.exp(p.eps) * st.norm.cdf(-1 / (2 * sig) - p.eps * sig)
    ratio = np.abs(np.log(d0 / d1))
    return {"x": x, "density": d0, "neighbour": d1, "sigmas": sig, "delta": delta, "eps": p.eps,
            "max_log_ratio": ratio.max(1), "share_over_eps": (ratio > p.eps).mean(1)}


def _balance(p: RobustRidgeParams, rng: np.random.Generator) -> Arrays:
    rows, means, cal = [], [], []
    for a, b in ((3.0, 7.0), (6.0, 4.0)):
        s = rng.beta(a, b, p.n)
        y = rng.random(p.n) < s
        bins = np.minimum((s * 10).astype(int), 9)
        err = sum(abs(y[bins == k].mean() - s[bins == k].mean()) * np.mean(bins == k)
                  for k in range(10) if np.sum(bins == k) > 0)
        cal.append(err)
        for part in (s[y], s[~y]):
            rows.append(part)
            means.append(part.mean())
    grid, dens = _hist(rows, 0.0, 1.0, p.bins)
    m = np.array(means)
    return {"x": grid, "density": dens, "row_mean": m, "calibration_error": np.array(cal),
            "pos_gap": float(m[2] - m[0]), "neg_gap": float(m[3] - m[1]), "n": float(p.n)}


_RIDGES = {"balance": _balance, "gaussian-mechanism": _gaussian_mechanism, "shift-calibration": _shift_calibration, "ood": _ood, "membership": _membership, "parity": _parity}


@recipe("robust-ridges", RobustRidgeParams)
def robust_ridges(p: RobustRidgeParams, rng: np.random.Generator) -> Arrays:
    """Score and loss distributions of detectors, attacks and group decisions (module docstring)."""
    return _RIDGES[p.experiment](p, rng)


# -- safety-grid --------------------------------------------------------------------------------

GridExperiment = Literal["gaming", "side-effects", "power"]

#: Moves as (d_row, d_col) in the policy-grid codes: 0 up, 1 right, 2 down, 3 left.
_MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])

_BOX_LEVEL = ("######", "# A###", "# X  #", "##   #", "### G#", "######")
_POWER_LEVEL = ("#########", "#...#...#", "#.#.#...#", "#.......#", "###.#...#", "#...#...#", "#########")


class SafetyGridParams(Params):
    """Which gridworld and its rewards."""

    experiment: GridExperiment
    height: int = Field(5, ge=3, le=12, description="gaming: rows")
    width: int = Field(9, ge=4, le=16, description="gaming: columns")
    bonus: float = Field(1.0, ge=0.0, le=10.0)
    goal_reward: float = Field(10.0, ge=0.0, le=100.0)
    penalty: float = Field(10.0, ge=0.0, le=100.0)
    gamma: float = Field(0.95, gt=0.0, lt=1.0)
    samples: int = Field(400, ge=10, le=5000)
    horizon: int = Field(40, ge=5, le=400)


def _level(rows: tuple[str, ...]) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    walls = np.array([[ch == "#" for ch in r] for r in rows])
    marks = {ch: (i, j) for i, r in enumerate(rows) for j, ch in enumerate(r) if ch not in "#. "}
    return walls, marks


def _step(walls: np.ndarray, cell: tuple[int, int], a: int) -> tuple[int, int]:
    r, c = cell[0] + int(_MOVES[a, 0]), cell[1] + int(_MOVES[a, 1])
    if 0 <= r < walls.shape[0] and 0 <= c < walls.shape[1] and not walls[r, c]:
        return r, c
    return cell


def _gaming(p: SafetyGridParams, rng: np.random.Generator) -> Arrays:
    h, w = p.height, p.width
    walls = np.zeros((h, w), bool)
    start, goal, bonus = (h // 2, 0), (h // 2, w - 1), (h // 2 - 1, 1)
    values, policies, paths, returns, reached, loops = [], [], [], [], [], []
    for pay in (p.bonus, 0.0):
        v = np.zeros((h, w))
        for _ in range(500):
            q = np.full((h, w, 4), -np.inf)
            for r in range(h):
                for c in range(w):
                    if (r, c) == goal:
                        continue
                    for a in range(4):
                        nxt = _step(walls, (r, c), a)
                        rew = (pay if nxt == bonus and nxt != (r, c) else 0.0) + (p.goal_reward if nxt == goal else 0.0)
                        q[r, c, a] = rew + (0.0 if nxt == goal else p.gamma * v[nxt])
            new = np.where(np.isfinite(q.max(2)), q.max(2), 0.0)
            if np.abs(new - v).max() < 1e-12:
                v = new
                break
            v = new
        pol = np.argmax(q, 2)
        pol[goal] = 4
        cell, path, ret, visits = start, np.zeros((h, w), bool), 0.0, 0
        path[cell] = True
        for t in range(p.horizon):
            nxt = _step(walls, cell, int(pol[cell]))
            rew = (pay if nxt == bonus and nxt != cell else 0.0) + (p.goal_reward if nxt == goal else 0.0)
            visits += int(nxt == bonus and nxt != cell)
            ret += p.gamma**t * rew
            cell = nxt
            path[cell] = True
            if cell == goal:
                break
        v = v.copy()
        v[goal] = np.nan
        values.append(v)
        policies.append(pol)
        paths.append(path)
        returns.append(ret)
        reached.append(float(cell == goal))
        loops.append(float(visits))
    mask = np.zeros((h, w), bool)
    mask[bonus] = True
    return {"walls": walls, "start": np.array([start]), "goal": np.array([goal]), "value": np.array(values),
            "policy": np.array(policies), "path": np.array(paths), "bonus_tile": mask,
            "reaches_goal_written": reached[0], "reaches_goal_intended": reached[1],
            "bonus_visits": loops[0], "loop_value": p.bonus / (1 - p.gamma**2),
            "goal_value": p.goal_reward * p.gamma ** (w - 2), "horizon": float(p.horizon), "gamma": p.gamma}


def _cornered(walls: np.ndarray, b: tuple[int, int]) -> bool:
    vert = walls[b[0] - 1, b[1]] or walls[b[0] + 1, b[1]]
    horiz = walls[b[0], b[1] - 1] or walls[b[0], b[1] + 1]
    return bool(vert and horiz)


def _side_effects(p: SafetyGridParams, rng: np.random.Generator) -> Arrays:
    walls, marks = _level(_BOX_LEVEL)
    start, box0, goal = marks["A"], marks["X"], marks["G"]
    cells = [(r, c) for r in range(walls.shape[0]) for c in range(walls.shape[1]) if not walls[r, c]]
    index = {c: i for i, c in enumerate(cells)}
    m = len(cells)

    def move(a_cell: tuple[int, int], b_cell: tuple[int, int], act: int) -> tuple[tuple[int, int], tuple[int, int]]:
        nxt = _step(walls, a_cell, act)
        if nxt == a_cell:
            return a_cell, b_cell
        if nxt == b_cell:
            nb = _step(walls, b_cell, act)
            if nb == b_cell:
                return a_cell, b_cell
            return nxt, nb
        return nxt, b_cell

    trans = {}
    for ac in cells:
        for bc in cells:
            if ac == bc:
                continue
            for act in range(4):
                trans[(ac, bc, act)] = move(ac, bc, act)
    out: Arrays = {"walls": walls, "start": np.array([start]), "goal": np.array([goal])}
    values, policies, paths, boxes = [], [], [], []
    for k, pen in enumerate((0.0, p.penalty)):
        v = np.zeros((m, m))
        for _ in range(300):
            new = np.full((m, m), -np.inf)
            for (ac, bc, _act), (na, nb) in trans.items():
                if ac == goal:
                    continue
                r = -1.0
                if na == goal:
                    r += p.goal_reward - (pen if _cornered(walls, nb) else 0.0)
                    val = r
                else:
                    val = r + v[index[na], index[nb]]
                i, j = index[ac], index[bc]
                new[i, j] = max(new[i, j], val)
            new[~np.isfinite(new)] = 0.0
            if np.abs(new - v).max() < 1e-9:
                v = new
                break
            v = new
        a_cell, b_cell = start, box0
        path = np.zeros(walls.shape, bool)
        pol = np.full(walls.shape, 4)
        path[a_cell] = True
        steps = 0
        while a_cell != goal and steps < 50:
            best, best_val = 0, -np.inf
            for act in range(4):
                na, nb = trans[(a_cell, b_cell, act)]
                r = -1.0 + ((p.goal_reward - (pen if _cornered(walls, nb) else 0.0)) if na == goal else 0.0)
                val = r if na == goal else r + v[index[na], index[nb]]
                if val > best_val + 1e-12:
                    best, best_val = act, val
            pol[a_cell] = best
            a_cell, b_cell = trans[(a_cell, b_cell, best)]
            path[a_cell] = True
            steps += 1
        grid = np.full(walls.shape, np.nan)
        for c in cells:
            if c != box0:
                grid[c] = v[index[c], index[box0]]
        boxmask = np.zeros(walls.shape, bool)
        boxmask[b_cell] = True
        values.append(grid)
        policies.append(pol)
        paths.append(path)
        boxes.append(boxmask)
        out[f"steps_{k}"] = float(steps)
        out[f"cornered_{k}"] = float(_cornered(walls, b_cell))
        out[f"box_end_{k}"] = np.array(b_cell, float)
    box_start = np.zeros(walls.shape, bool)
    box_start[box0] = True
    out.update(value=np.array(values), policy=np.array(policies), path=np.array(paths), box_end=np.array(boxes),
               box_start=box_start, penalty=p.penalty, goal_reward=p.goal_reward)
    return out


def _power(p: SafetyGridParams, rng: np.random.Generator) -> Arrays:
    walls, _ = _level(_POWER_LEVEL)
    cells = [(r, c) for r in range(walls.shape[0]) for c in range(walls.shape[1]) if not walls[r, c]]
    index = {c: i for i, c in enumerate(cells)}
    m = len(cells)
    nxt = np.array([[index[_step(walls, c, a)] for a in range(4)] + [index[c]] for c in cells])  # 4 moves + stay
    rew = rng.random((p.samples, m))
    v = np.zeros((p.samples, m))
    for _ in range(2000):
        new = rew + p.gamma * v[:, nxt].max(2)
        if np.abs(new - v).max() < 1e-10:
            v = new
            break
        v = new
    power = (1 - p.gamma) / p.gamma * (v - rew).mean(0)
    best = np.argmax(v[:, nxt], 2)  # (samples, cells): optimal move per reward function
    counts = np.stack([(best == a).sum(0) for a in range(5)], 1)
    modal = np.argmax(counts, 1)
    value = np.full(walls.shape, np.nan)
    pol = np.full(walls.shape, 4)
    reach = np.zeros(m)
    for c in cells:
        value[c] = power[index[c]]
        pol[c] = modal[index[c]] if modal[index[c]] < 4 else 4
    # cells within 3 moves of each cell (its near options)
    adj = np.zeros((m, m), bool)
    adj[np.arange(m)[:, None], nxt] = True
    r3 = adj.copy()
    for _ in range(2):
        r3 = (r3.astype(int) @ adj.astype(int)) > 0
    reach = r3.sum(1).astype(float)
    dead = np.array([np.sum(nxt[i, :4] != i) == 1 for i in range(m)])
    return {"walls": walls, "start": np.zeros((0, 2)), "goal": np.zeros((0, 2)), "value": value, "policy": pol,
            "power": power, "reach3": reach, "power_reach_corr": float(np.corrcoef(power, reach)[0, 1]),
            "power_dead_end": float(power[dead].mean()), "power_other": float(power[~dead].mean()),
            "power_max": float(power.max()), "power_min": float(power.min()), "gamma": p.gamma,
            "dead_ends": float(dead.sum()), "samples": float(p.samples)}


_GRIDS = {"gaming": _gaming, "side-effects": _side_effects, "power": _power}


@recipe("safety-grid", SafetyGridParams)
def safety_grid(p: SafetyGridParams, rng: np.random.Generator) -> Arrays:
    """Gridworld failures of reward design and the pull of options (experiments: module docstring)."""
    return _GRIDS[p.experiment](p, rng)
