"""Learning paradigms that need a training loop: one recipe, ``paradigm-run``, one seeded numpy
experiment per ``experiment``, returning arrays for curve-vs-scale, token-bars, matrix-heatmap or
trajectory-contour.  Curves over repeats come as ``<name>`` (median), ``<name>_lo`` and
``<name>_hi`` (10th and 90th percentiles).

- ``transfer``: linear regression on a target task related to a source task; target error
  against target samples ``n`` for ridge toward zero (``scratch``) and ridge toward the weights
  fitted on the source (``finetune``).  Error is the exact expected test MSE.
- ``multi-task``: tasks whose weights share a rank-``rank`` subspace; error per task against the
  number of tasks ``tasks`` (mean over draws of about ``repeats`` x 16 tasks, band: 10-90 % of
  draws) for independent ridge fits (``independent``) and a shared linear trunk (top
  singular directions of the tasks' ridge fits) with least-squares heads (``shared``).
- ``hedge``: the Hedge (exponential weights) forecaster over ``experts`` experts with Bernoulli
  losses; ``t``, ``regret`` (+ band), ``bound`` sqrt(t ln N / 2), ``weights`` (experts x
  snapshots, one run), ``best_expert``.
- ``weak-to-strong``: a 1-nearest-neighbour teacher on ``n`` gold labels labels a pool; a linear
  logistic student learns from the teacher's labels; ``teacher``, ``student``, ``ceiling``
  (student on gold labels) accuracies against ``n``; ``pgr`` (performance gap recovered).
- ``importance-weighting``: Shimodaira's covariate-shift example; a line fitted by least squares
  and by least squares weighted with p_test/p_train; ``x``, ``truth``, ``fit_ols``, ``fit_iw``,
  ``train_x``, ``train_y``, ``test_density``; ``mse_ols``, ``mse_iw`` (medians over repeats).
- ``fedavg``: two clients' least-squares losses on the plane; FedAvg with 1 and ``local_steps``
  local gradient steps per round; ``grid_x``, ``grid_y``, ``loss`` (global), ``path_1``,
  ``path_e``, ``local_paths`` (each client's local steps in the first round), ``marks`` (global
  optimum, client optima), ``end_e``; ``drift_1``, ``drift_e`` (final distance
  to the global optimum).
- ``distillation``: a softmax-regression teacher trained on ``classes`` Gaussian classes; its
  soft targets for one input at temperatures ``temperatures``: ``vocab``, ``base`` (T = 1),
  ``after``, ``entropy``; ``runner_up`` and ``nearest_class`` (class whose mean is nearest the
  input's class).
- ``map-elites``: MAP-Elites on a planar arm of ``dim`` joints (cells: end point on a
  2``classes`` x 2``classes`` grid, quality: 1 - std of the angles / pi) against random sampling with
  the same ``n`` evaluations: ``elites``, ``random`` (NaN: empty), ``coverage``, ``coverage_random``,
  ``mean_quality``, ``mean_quality_random``.
- ``genetic``: a generational genetic algorithm on OneMax (``dim`` bits, ``per_task`` genomes,
  binary tournaments, uniform crossover, mutation 1/L); fitness histograms ``density`` at the
  generations ``tasks``; ``mean_fitness``, ``best_fitness``.
- ``lora``: a pretrained linear map plus a rank-``rank`` shift; LoRA updates B A of each rank in
  ``tasks`` trained by gradient descent from B = 0: ``delta``, ``ba_<r>``, ``rel_error``,
  ``params_lora``, ``params_full``.
- ``task-arithmetic``: logistic models; tasks A, B, C add their own block of inputs to shared ones;
  task vectors (fine-tuned minus pretrained) added and negated: ``accuracy`` (models x tasks).
- ``label-model``: ``classes`` labelling functions vote (or abstain) on ``n`` items; the one-coin
  Dawid-Skene model fitted by EM without labels: ``votes``, ``accuracies`` (true, estimated),
  ``acc_error``, ``model_acc``, ``majority_acc``.
- ``zero-shot``: direct attribute prediction; 8 classes described by 5 binary attributes, attribute
  classifiers trained on classes 1-5 only, classes 6-8 recognised from their descriptions:
  ``attributes``, ``confusion``, ``unseen_acc``.
- ``replay``: class-incremental learning with a softmax head: task 1 (classes 0, 1) then task 2
  (classes 2, 3), full-batch gradient descent; task 2 trained with a replay buffer of each size in
  ``n_values`` task-1 examples: ``buffer``, ``old`` and ``new`` test accuracy (+ bands).
- ``hypergradient``: logistic regression by gradient descent at step ``lr``, and with the step
  adapted by its hypergradient (rate ``inner_lr``): ``step``, ``loss_gd``, ``loss_hd``,
  ``alpha_hd``.
- ``stacking``: a line, a cubic and 15-nearest-neighbour regression on ``n`` noisy points of
  sin 3x + x/2, stacked by non-negative least squares on 5-fold out-of-fold predictions: ``x``,
  ``truth``, ``fit_line``, ``fit_cubic``, ``fit_knn``, ``fit_stack``, ``data_x``, ``data_y``,
  ``weights``; test MSE medians over ``repeats`` draws ``mse_*``.
- ``curriculum``: one pass of SGD for logistic regression in random order or easiest first:
  ``seen``, ``random``, ``curriculum`` (+ bands).
- ``successive-halving``: one bracket (eta = 3) over ``n`` synthetic learning curves of
  ``horizon`` epochs: ``epoch``, ``curves`` (NaN after a configuration is stopped), ``winner``,
  ``stop``, ``winner_rank`` (configurations with a better final loss), ``median_rank`` and
  ``top3_share`` over ``repeats`` brackets, ``budget_spent``, ``budget_full``.
- ``pbt``: population-based training of ``n`` members on a noisy quadratic (exploit every
  ``local_steps`` steps, explore by x0.8 or x1.25) against the same members never exploiting:
  ``step``, ``lr_paths``, ``best_lr``, ``best_pbt``, ``best_fixed``, ``lr_start``, ``lr_end``.
- ``transition``: labels flipped by a noise matrix T; a softmax regression on quadratic features
  fitted to the noisy labels; T estimated from anchor points (Patrini et al.): ``t_true``,
  ``t_hat``, ``t_error`` (largest absolute error).
- ``reptile`` (Nichol et al. 2018): linear regression tasks scattered around a hidden centre;
  Reptile meta-learns an initialisation; ``step``, ``reptile`` and ``scratch`` (+ bands: exact
  test error of new tasks after each gradient step from the learned init or from zero),
  ``noise_floor``, ``dist_init`` (distance of the init to the centre over the centre's norm).
- ``ranking`` (Burges et al. 2005): queries whose relevance carries a per-query offset; pointwise
  least squares against pairwise linear RankNet: ``offset``, ``pointwise``, ``pairwise`` (+ bands:
  share of test pairs ordered correctly), ``chance``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

Experiment = Literal["transfer", "multi-task", "hedge", "weak-to-strong", "importance-weighting",
                     "fedavg", "distillation", "transition", "map-elites", "genetic", "lora", "task-arithmetic",
                     "label-model", "zero-shot", "replay", "hypergradient", "stacking",
                     "curriculum", "successive-halving", "pbt", "reptile", "ranking"]


class RunParams(Params):
    """Knobs shared by the training experiments; each reads the ones it needs."""

    experiment: Experiment
    dim: int = Field(30, ge=2, le=200)
    n_values: tuple[int, ...] = Field((5, 10, 20, 40, 80, 160, 320), min_length=2, max_length=16)
    noise: float = Field(0.5, ge=0.0, le=5.0)
    relatedness: float = Field(0.9, ge=0.0, le=1.0, description="transfer: share of target weights from source")
    ridge: float = Field(1.0, ge=1e-6, le=1e4)
    rank: int = Field(2, ge=1, le=20)
    tasks: tuple[int, ...] = Field((1, 2, 4, 8, 16, 32), min_length=2, max_length=12)
    per_task: int = Field(15, ge=2, le=500)
    inner_lr: float = Field(0.01, ge=1e-5, le=1.0, description="hypergradient: the step size's own rate")
    meta_steps: int = Field(2000, ge=1, le=20000, description="training steps (lora, replay, hypergradient)")
    experts: int = Field(10, ge=2, le=100)
    horizon: int = Field(2000, ge=10, le=100000)
    gap: float = Field(0.1, ge=0.0, le=0.5, description="hedge: the best expert's loss advantage")
    pool: int = Field(2000, ge=50, le=20000)
    local_steps: int = Field(20, ge=1, le=500)
    rounds: int = Field(60, ge=1, le=2000)
    lr: float = Field(0.05, ge=1e-5, le=5.0)
    classes: int = Field(6, ge=2, le=12)
    temperatures: tuple[float, ...] = Field((4.0, 10.0), min_length=1, max_length=6)
    flip: float = Field(0.3, ge=0.0, le=0.45, description="transition: the largest flip probability")
    n: int = Field(200, ge=10, le=20000)
    repeats: int = Field(20, ge=1, le=400)
    rung: int = Field(3, ge=1, le=100, description="successive halving: epochs at the first rung")


def _band(runs: np.ndarray, name: str) -> Arrays:
    """Median and 10-90 % band over the first axis."""
    return {name: np.median(runs, axis=0), f"{name}_lo": np.quantile(runs, 0.1, axis=0),
            f"{name}_hi": np.quantile(runs, 0.9, axis=0)}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-2, iters: int = 30) -> np.ndarray:
    """Logistic regression on (x, 1) by Newton's method with a small ridge."""
    a = np.c_[x, np.ones(len(x))]
    w = np.zeros(a.shape[1])
    reg = ridge * np.eye(a.shape[1])
    reg[-1, -1] = 1e-9
    for _ in range(iters):
        pr = _sigmoid(a @ w)
        step = np.linalg.solve((a * (pr * (1 - pr))[:, None]).T @ a + reg, a.T @ (pr - y) + reg @ w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


# -- transfer and multi-task ---------------------------------------------------------------------------------


def _transfer(p: RunParams, rng: np.random.Generator) -> Arrays:
    d = p.dim
    ns = np.array(p.n_values)
    scratch = np.zeros((p.repeats, ns.size))
    fine = np.zeros((p.repeats, ns.size))
    for r in range(p.repeats):
        w_s = rng.normal(size=d) / np.sqrt(d)
        w_t = np.sqrt(p.relatedness) * w_s + np.sqrt(1 - p.relatedness) * rng.normal(size=d) / np.sqrt(d)
        xs = rng.normal(size=(500, d))
        w_hat_s = np.linalg.lstsq(xs, xs @ w_s + p.noise * rng.normal(size=500), rcond=None)[0]
        for j, n in enumerate(ns):
            x = rng.normal(size=(int(n), d))
            y = x @ w_t + p.noise * rng.normal(size=int(n))
            gram = x.T @ x + p.ridge * np.eye(d)
            w0 = np.linalg.solve(gram, x.T @ y)
            w1 = w_hat_s + np.linalg.solve(gram, x.T @ (y - x @ w_hat_s))
            scratch[r, j] = np.sum((w0 - w_t) ** 2) + p.noise ** 2
            fine[r, j] = np.sum((w1 - w_t) ** 2) + p.noise ** 2
    return {"n": ns.astype(float), **_band(scratch, "scratch"), **_band(fine, "finetune"),
            "noise_floor": np.full(ns.size, p.noise ** 2), "ratio": np.median(fine / scratch, axis=0)}


def _shared_fit(xs: list[np.ndarray], ys: list[np.ndarray], rank: int, ridge: float,
                rng: np.random.Generator) -> list[np.ndarray]:
    """A shared linear trunk: the top singular directions of all tasks' ridge fits; then one
    least-squares head per task on the trunk's outputs."""
    d = xs[0].shape[1]
    ind = [np.linalg.solve(x.T @ x + ridge * np.eye(d), x.T @ y) for x, y in zip(xs, ys, strict=True)]
    start = np.c_[np.array(ind).T, 1e-6 * rng.normal(size=(d, rank))]  # fewer tasks than the rank: pad
    u = np.linalg.svd(start, full_matrices=False)[0][:, :rank]
    heads = [np.linalg.solve((x @ u).T @ (x @ u) + 1e-6 * np.eye(rank), (x @ u).T @ y) for x, y in zip(xs, ys, strict=True)]
    return [u @ a for a in heads]


def _multi_task(p: RunParams, rng: np.random.Generator) -> Arrays:
    d, r = p.dim, p.rank
    ts = np.array(p.tasks)
    indep: list[list[float]] = []
    shared: list[list[float]] = []
    for t in ts:  # as many draws as it takes to see about repeats * 16 tasks at every point
        draws = max(3, int(np.ceil(p.repeats * 16 / t)))
        e_i, e_s = [], []
        for _ in range(draws):
            basis = np.linalg.qr(rng.normal(size=(d, r)))[0]
            ws = [basis @ rng.normal(size=r) for _ in range(int(t))]
            xs = [rng.normal(size=(p.per_task, d)) for _ in range(int(t))]
            ys = [x @ w + p.noise * rng.normal(size=p.per_task) for x, w in zip(xs, ws, strict=True)]
            ind = [np.linalg.solve(x.T @ x + p.ridge * np.eye(d), x.T @ y) for x, y in zip(xs, ys, strict=True)]
            sh = _shared_fit(xs, ys, r, p.ridge, rng)
            e_i.append(float(np.mean([np.sum((a - w) ** 2) for a, w in zip(ind, ws, strict=True)])) + p.noise ** 2)
            e_s.append(float(np.mean([np.sum((a - w) ** 2) for a, w in zip(sh, ws, strict=True)])) + p.noise ** 2)
        indep.append(e_i)
        shared.append(e_s)

    def stats(rows: list[list[float]], name: str) -> Arrays:
        return {name: np.array([np.mean(v) for v in rows]), f"{name}_lo": np.array([np.quantile(v, 0.1) for v in rows]),
                f"{name}_hi": np.array([np.quantile(v, 0.9) for v in rows])}

    return {"tasks": ts.astype(float), **stats(indep, "independent"), **stats(shared, "shared"),
            "noise_floor": np.full(ts.size, p.noise ** 2)}


# -- online learning ---------------------------------------------------------------------------------------


def _hedge(p: RunParams, rng: np.random.Generator) -> Arrays:
    n, big_t = p.experts, p.horizon
    eta = np.sqrt(8 * np.log(n) / big_t)
    means = np.full(n, 0.5)
    best = int(rng.integers(n))
    means[best] = 0.5 - p.gap
    regrets = np.zeros((p.repeats, big_t))
    snaps = np.unique(np.round(np.geomspace(1, big_t, 24)).astype(int)) - 1
    weights = np.zeros((n, snaps.size))
    for r in range(p.repeats):
        losses = (rng.random((big_t, n)) < means).astype(float)
        cum = np.cumsum(losses, axis=0)
        prev = np.vstack([np.zeros(n), cum[:-1]])
        w = np.exp(-eta * (prev - prev.min(axis=1, keepdims=True)))
        w /= w.sum(axis=1, keepdims=True)
        alg = np.cumsum((w * losses).sum(axis=1))
        regrets[r] = alg - cum.min(axis=1)
        if r == 0:
            weights = w[snaps].T
    t = np.arange(1, big_t + 1, dtype=float)
    return {"t": t, **_band(regrets, "regret"), "bound": np.sqrt(t * np.log(n) / 2), "weights": weights,
            "snapshot_t": (snaps + 1).astype(float), "best_expert": float(best), "eta": float(eta),
            "experts": float(n), "avg_regret": float(np.median(regrets[:, -1]) / big_t),
            "worst_final": float(regrets[:, -1].max()), "best_weight": float(weights[best, -1])}


# -- weak-to-strong ----------------------------------------------------------------------------------------


def _weak_to_strong(p: RunParams, rng: np.random.Generator) -> Arrays:
    d = p.dim
    ns = np.array(p.n_values)
    out = np.zeros((3, p.repeats, ns.size))
    for r in range(p.repeats):
        w = rng.normal(size=d)
        xt = rng.normal(size=(1000, d))
        yt = (xt @ w > 0).astype(float)
        pool = rng.normal(size=(p.pool, d))
        pool_y = (pool @ w > 0).astype(float)
        wc = _logistic(pool, pool_y, ridge=1.0)
        ceiling = np.mean(((np.c_[xt, np.ones(len(xt))] @ wc) > 0) == yt)
        for j, n in enumerate(ns):
            xg = rng.normal(size=(int(n), d))
            yg = (xg @ w > 0).astype(float)

            def nn(q: np.ndarray, xg: np.ndarray = xg, yg: np.ndarray = yg) -> np.ndarray:
                d2 = (q ** 2).sum(1)[:, None] - 2 * q @ xg.T + (xg ** 2).sum(1)[None]
                return np.asarray(yg[np.argmin(d2, axis=1)])

            teacher_labels = nn(pool)
            ws = _logistic(pool, teacher_labels, ridge=1.0)
            out[0, r, j] = np.mean(nn(xt) == yt)
            out[1, r, j] = np.mean(((np.c_[xt, np.ones(len(xt))] @ ws) > 0) == yt)
            out[2, r, j] = ceiling
    res = {"n": ns.astype(float), **_band(out[0], "teacher"), **_band(out[1], "student"), **_band(out[2], "ceiling")}
    gap = res["ceiling"] - res["teacher"]
    res["pgr"] = (res["student"] - res["teacher"]) / np.where(gap > 1e-9, gap, np.nan)
    res["pgr_last"] = float(res["pgr"][-1])
    return res


# -- covariate shift ---------------------------------------------------------------------------------------


def _importance_weighting(p: RunParams, rng: np.random.Generator) -> Arrays:
    def f(x: np.ndarray) -> np.ndarray:
        return -x + x ** 3

    mu0, s0, mu1, s1 = 0.5, 0.5, 0.0, 0.3

    def dens(x: np.ndarray, mu: float, s: float) -> np.ndarray:
        return np.exp(-0.5 * ((x - mu) / s) ** 2) / (s * np.sqrt(2 * np.pi))

    def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
        a = np.c_[np.ones_like(x), x]
        return np.linalg.solve(a.T @ (a * w[:, None]), a.T @ (w * y))

    mse = np.zeros((p.repeats, 2))
    xt = rng.normal(mu1, s1, 5000)
    for r in range(p.repeats):
        x = rng.normal(mu0, s0, p.n)
        y = f(x) + p.noise * rng.normal(size=p.n)
        wt = dens(x, mu1, s1) / dens(x, mu0, s0)
        for j, w in enumerate((np.ones(p.n), wt)):
            c = fit(x, y, w)
            mse[r, j] = float(np.mean((c[0] + c[1] * xt - f(xt)) ** 2))
    x = rng.normal(mu0, s0, p.n)
    y = f(x) + p.noise * rng.normal(size=p.n)
    grid = np.linspace(-1.0, 1.8, 200)
    c0 = fit(x, y, np.ones(p.n))
    c1 = fit(x, y, dens(x, mu1, s1) / dens(x, mu0, s0))
    return {"x": grid, "truth": f(grid), "fit_ols": c0[0] + c0[1] * grid, "fit_iw": c1[0] + c1[1] * grid,
            "train_x": x, "train_y": y, "test_density": dens(grid, mu1, s1), "train_density": dens(grid, mu0, s0),
            "mse_ols": float(np.median(mse[:, 0])), "mse_iw": float(np.median(mse[:, 1])),
            "slope_ols": float(c0[1]), "slope_iw": float(c1[1])}


# -- federated averaging -----------------------------------------------------------------------------------


def _fedavg(p: RunParams, rng: np.random.Generator) -> Arrays:
    clients = []
    for angle, centre in ((np.pi / 4, (-1.5, 0.0)), (-np.pi / 4, (1.5, 0.0))):
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        x = rng.normal(size=(p.n, 2)) * np.array([2.0, 0.5]) @ rot.T  # each client's inputs: its own tilt
        y = x @ np.array(centre) + p.noise * rng.normal(size=p.n)
        clients.append((x.T @ x / p.n, x.T @ y / p.n, y @ y / p.n))
    h_g = sum(c[0] for c in clients) / 2
    b_g = sum(c[1] for c in clients) / 2
    w_star = np.linalg.solve(h_g, b_g)
    optima = np.array([np.linalg.solve(c[0], c[1]) for c in clients])

    def run(local: int) -> tuple[np.ndarray, np.ndarray]:
        w = np.array([0.0, 2.0])
        path = [w.copy()]
        first: list[np.ndarray] = []
        for rnd in range(p.rounds):
            ends = []
            for h, b, _c in clients:
                v = w.copy()
                trail = [v.copy()]
                for _ in range(local):
                    v = v - p.lr * (h @ v - b)
                    trail.append(v.copy())
                ends.append(v)
                if rnd == 0:
                    first.append(np.array(trail))
            w = np.mean(ends, axis=0)
            path.append(w.copy())
        return np.array(path), np.array(first)

    path1, _ = run(1)
    path_e, local = run(p.local_steps)
    allp = np.r_[path1, path_e, optima, w_star[None]]
    lo, hi = allp.min(0) - 0.6, allp.max(0) + 0.6
    gx = np.linspace(lo[0], hi[0], 90)
    gy = np.linspace(lo[1], hi[1], 90)
    xx, yy = np.meshgrid(gx, gy)
    g = np.c_[xx.ravel(), yy.ravel()]
    c_g = sum(c[2] for c in clients) / 2
    loss = 0.5 * np.einsum("ni,ij,nj->n", g, h_g, g) - g @ b_g + 0.5 * c_g
    loss = loss - loss.min() + 1e-3
    return {"grid_x": gx, "grid_y": gy, "loss": loss.reshape(gy.size, gx.size), "path_1": path1, "path_e": path_e,
            "marks": np.r_[w_star[None], optima], "global_opt": w_star, "client_opt": optima,
            "end_e": path_e[-1:], "end_1": path1[-1:], "local_paths": local,
            "drift_1": float(np.linalg.norm(path1[-1] - w_star)), "drift_e": float(np.linalg.norm(path_e[-1] - w_star)),
            "step_1": float(np.linalg.norm(path1[-1] - path1[-2])), "step_e": float(np.linalg.norm(path_e[-1] - path_e[-2])),
            "first_1": float(np.linalg.norm(path1[1] - w_star)), "first_e": float(np.linalg.norm(path_e[1] - w_star))}


# -- distillation and label noise --------------------------------------------------------------------------


def _softmax_fit(x: np.ndarray, y: np.ndarray, k: int, steps: int, lr: float, l2: float = 1e-3) -> np.ndarray:
    a = np.c_[x, np.ones(len(x))]
    w = np.zeros((a.shape[1], k))
    onehot = np.eye(k)[y]
    for _ in range(steps):
        lg = a @ w
        pr = np.exp(lg - lg.max(1, keepdims=True))
        pr /= pr.sum(1, keepdims=True)
        w -= lr * (a.T @ (pr - onehot) / len(x) + l2 * w)
    return w


def _distillation(p: RunParams, rng: np.random.Generator) -> Arrays:
    k = p.classes
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    means = 3.0 * np.c_[np.cos(ang), np.sin(ang)] + rng.normal(size=(k, 2)) * 0.3
    y = np.arange(p.n) % k
    x = means[y] + rng.normal(size=(p.n, 2)) * 0.6
    w = _softmax_fit(x, y, k, 800, 0.5)
    query = means[0]
    logits = np.r_[query, 1.0] @ w

    def soft(t: float) -> np.ndarray:
        z = logits / t
        e = np.exp(z - z.max())
        return np.asarray(e / e.sum())

    base = soft(1.0)
    after = np.array([soft(t) for t in p.temperatures])
    ent = np.array([float(-(q * np.log(q)).sum()) for q in np.r_[base[None], after]])
    dist = np.linalg.norm(means - means[0], axis=1)
    dist[0] = np.inf
    order = np.argsort(-after[0])
    return {"vocab": np.array([f"class {i + 1}" for i in range(k)]), "base": base, "after": after,
            "values": np.array(p.temperatures), "entropy": ent, "runner_up": float(order[1]),
            "nearest_class": float(np.argmin(dist)), "top_t1": float(base.max()), "teacher_class": float(np.argmax(base)),
            "train_acc": float(np.mean(np.argmax(np.c_[x, np.ones(len(x))] @ w, 1) == y))}


def _transition(p: RunParams, rng: np.random.Generator) -> Arrays:
    k = p.classes
    t_true = np.eye(k) * 1.0
    for i in range(k):  # each class flips to the next with its own probability
        f = p.flip * (1 - 0.5 * i / max(k - 1, 1))
        t_true[i, i] = 1 - f
        t_true[i, (i + 1) % k] = f
    ang = 2 * np.pi * np.arange(k) / k
    means = 2.5 * np.c_[np.cos(ang), np.sin(ang)]
    y = np.arange(p.n) % k
    x = means[y] + rng.normal(size=(p.n, 2)) * 0.7
    noisy = np.array([rng.choice(k, p=t_true[c]) for c in y])
    feats = np.c_[x, x ** 2, x[:, :1] * x[:, 1:]]
    mu, sd = feats.mean(0), feats.std(0)
    z = (feats - mu) / sd
    w = _softmax_fit(z, noisy, k, 500, 1.0, l2=1e-4)
    lg = np.c_[z, np.ones(len(z))] @ w
    pr = np.exp(lg - lg.max(1, keepdims=True))
    pr /= pr.sum(1, keepdims=True)
    t_hat = np.zeros((k, k))
    for i in range(k):  # anchor: the point at the 97th percentile of p(noisy = i | x)
        cut = np.quantile(pr[:, i], 0.97)
        idx = int(np.argmin(np.abs(pr[:, i] - cut)))
        t_hat[i] = pr[idx]
    return {"t_true": t_true, "t_hat": t_hat, "t_diff": t_hat - t_true, "t_error": float(np.abs(t_hat - t_true).max()),
            "diag_true": np.diag(t_true).copy(), "diag_hat": np.diag(t_hat).copy(),
            "noisy_share": float(np.mean(noisy != y)), "labels": np.array([f"{i + 1}" for i in range(k)])}



# -- quality-diversity, genetic algorithms -----------------------------------------------------------------


def _arm(angles: np.ndarray) -> np.ndarray:
    """End point of a planar arm of equal links (total length 1) with these joint angles."""
    cum = np.cumsum(angles, axis=-1)
    return np.stack([np.cos(cum).mean(-1), np.sin(cum).mean(-1)], axis=-1)


def _map_elites(p: RunParams, rng: np.random.Generator) -> Arrays:
    joints, cells = p.dim, p.classes * 2
    edges = np.linspace(-1, 1, cells + 1)

    def cell(e: np.ndarray) -> np.ndarray:
        ij = np.clip(np.searchsorted(edges, e, side="right") - 1, 0, cells - 1)
        return np.asarray(ij[..., 1] * cells + ij[..., 0])

    def fitness(a: np.ndarray) -> np.ndarray:
        return np.asarray(-np.std(a, axis=-1))  # smooth arms: joint angles that agree

    def fill(archive_f: np.ndarray, archive_x: np.ndarray, x: np.ndarray) -> None:
        f, c = fitness(x), cell(_arm(x))
        for i in range(len(x)):
            if f[i] > archive_f[c[i]]:
                archive_f[c[i]], archive_x[c[i]] = f[i], x[i]

    budget = p.n
    af = np.full(cells * cells, -np.inf)
    ax = np.zeros((cells * cells, joints))
    fill(af, ax, rng.uniform(-np.pi, np.pi, (100, joints)))
    for _ in range((budget - 100) // 50):  # batches of 50 mutated elites
        filled = np.flatnonzero(np.isfinite(af))
        parents = ax[rng.choice(filled, 50)]
        fill(af, ax, parents + rng.normal(size=parents.shape) * p.lr)
    rf = np.full(cells * cells, -np.inf)
    rx = np.zeros((cells * cells, joints))
    fill(rf, rx, rng.uniform(-np.pi, np.pi, (budget, joints)))

    def show(f: np.ndarray) -> np.ndarray:
        out = np.where(np.isfinite(f), 1.0 + f / np.pi, np.nan)  # 1 = all joints equal
        return np.asarray(out.reshape(cells, cells)[::-1])

    return {"elites": show(af), "random": show(rf), "coverage": float(np.mean(np.isfinite(af))),
            "coverage_random": float(np.mean(np.isfinite(rf))), "mean_quality": float(np.nanmean(show(af))),
            "mean_quality_random": float(np.nanmean(show(rf))), "evaluations": float(budget),
            "reach_share": float(np.mean(np.hypot(*np.meshgrid((edges[:-1] + edges[1:]) / 2, (edges[:-1] + edges[1:]) / 2)) < 1.0))}


def _genetic(p: RunParams, rng: np.random.Generator) -> Arrays:
    bits, pop = p.dim, p.per_task
    x = rng.integers(0, 2, (pop, bits))
    gens = np.array(p.tasks)
    dens, means, bests = [], [], []
    for g in range(int(gens.max()) + 1):
        f = x.sum(1)
        if g in gens:
            dens.append(np.bincount(f, minlength=bits + 1) / pop)
            means.append(float(f.mean()))
            bests.append(float(f.max()))
        # binary tournament, uniform crossover, bit-flip mutation 1/L
        a, b = rng.integers(0, pop, (2, pop))
        parents = np.where((f[a] >= f[b])[:, None], x[a], x[b])
        mates = parents[rng.permutation(pop)]
        mask = rng.random((pop, bits)) < 0.5
        child = np.where(mask, parents, mates)
        x = np.where(rng.random((pop, bits)) < 1.0 / bits, 1 - child, child)
    return {"fitness": np.arange(bits + 1, dtype=float), "density": np.array(dens), "generation": gens.astype(float),
            "mean_fitness": np.array(means), "best_fitness": np.array(bests), "bits": float(bits)}


# -- low-rank adaptation and task arithmetic ---------------------------------------------------------------


def _lora(p: RunParams, rng: np.random.Generator) -> Arrays:
    d = p.dim
    w0 = rng.normal(size=(d, d)) / np.sqrt(d)
    delta = (rng.normal(size=(d, p.rank)) @ rng.normal(size=(p.rank, d))) / np.sqrt(d)
    x = rng.normal(size=(p.n, d))
    y = x @ (w0 + delta).T + p.noise * rng.normal(size=(p.n, d))
    ranks = np.array(p.tasks)
    learned, errs = {}, []
    for r in ranks:
        a = rng.normal(size=(int(r), d)) * 0.5
        b = np.zeros((d, int(r)))  # LoRA's start: B = 0, so training starts at the pretrained weights
        for _ in range(p.meta_steps):
            resid = x @ (w0 + b @ a).T - y
            g = resid.T @ x / p.n  # gradient wrt the update B A
            b, a = b - p.lr * g @ a.T, a - p.lr * b.T @ g
        learned[int(r)] = b @ a
        errs.append(float(np.linalg.norm(b @ a - delta) / np.linalg.norm(delta)))
    out: Arrays = {"ranks": ranks.astype(float), "rel_error": np.array(errs), "delta": delta,
                   "params_lora": 2 * d * ranks.astype(float), "params_full": float(d * d), "true_rank": float(p.rank)}
    for r, m in learned.items():
        out[f"ba_{r}"] = m
    return out


def _task_arithmetic(p: RunParams, rng: np.random.Generator) -> Arrays:
    """Inputs: ``dim`` shared features plus a block of ``dim`` features of the task's own."""
    d = p.dim
    w_shared = rng.normal(size=d)
    own = [rng.normal(size=d) * p.noise for _ in range(3)]  # each task's use of its own block

    def data(t: int | None, n: int) -> tuple[np.ndarray, np.ndarray]:
        x = np.zeros((n, 4 * d))
        x[:, :d] = rng.normal(size=(n, d))
        score = x[:, :d] @ w_shared
        if t is not None:
            x[:, d * (t + 1):d * (t + 2)] = rng.normal(size=(n, d))
            score = score + x[:, d * (t + 1):d * (t + 2)] @ own[t]
        return x, (score > 0).astype(float)

    def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _logistic(x, y, ridge=p.ridge)

    w_pre = fit(*data(None, p.n))
    w_a, w_b = fit(*data(0, p.n)), fit(*data(1, p.n))
    tau_a, tau_b = w_a - w_pre, w_b - w_pre
    models = {"pretrained": w_pre, "+ τA": w_pre + tau_a, "+ τB": w_pre + tau_b,
              "+ τA + τB": w_pre + tau_a + tau_b, "− τA": w_pre - tau_a}
    tests = [data(t, 2000) for t in range(3)]
    acc = np.array([[np.mean(((np.c_[xt, np.ones(len(xt))] @ w) > 0) == yt) for xt, yt in tests] for w in models.values()])
    return {"accuracy": acc, "above_chance": acc - 0.5, "models": np.array(list(models)),
            "task_names": np.array(["task A", "task B", "task C"]),
            "cos_ab": float(tau_a @ tau_b / np.linalg.norm(tau_a) / np.linalg.norm(tau_b))}


# -- weak supervision and zero-shot ------------------------------------------------------------------------


def _label_model(p: RunParams, rng: np.random.Generator) -> Arrays:
    m, n = p.classes, p.n
    acc_true = np.sort(rng.uniform(0.55, 0.95, m))[::-1]
    cover = rng.uniform(0.3, 0.9, m)
    y = np.where(rng.random(n) < 0.5, 1, -1)
    right = rng.random((n, m)) < acc_true
    votes = np.where(right, y[:, None], -y[:, None]) * (rng.random((n, m)) < cover)
    acc = np.full(m, 0.7)
    for _ in range(50):  # one-coin Dawid-Skene EM, no labels used
        logit = (votes * np.log(acc / (1 - acc))).sum(1)
        post = 1 / (1 + np.exp(-logit))  # P(y = +1 | votes)
        agree = np.where(votes > 0, post[:, None], np.where(votes < 0, 1 - post[:, None], 0.0))
        acc = np.clip(agree.sum(0) / np.maximum((votes != 0).sum(0), 1), 0.01, 0.99)
    logit = (votes * np.log(acc / (1 - acc))).sum(1)
    model_pred = np.where(logit >= 0, 1, -1)
    mv = np.sign(votes.sum(1))
    mv_pred = np.where(mv == 0, np.where(rng.random(n) < 0.5, 1, -1), mv)
    show = votes[:40].T.astype(float)
    return {"votes": show, "accuracies": np.stack([acc_true, acc]), "acc_error": float(np.abs(acc - acc_true).max()),
            "model_acc": float(np.mean(model_pred == y)), "majority_acc": float(np.mean(mv_pred == y)),
            "lf_names": np.array([f"LF {i + 1}" for i in range(m)]), "row_names": np.array(["true", "estimated"]),
            "abstain_share": float(np.mean(votes == 0))}


def _zero_shot(p: RunParams, rng: np.random.Generator) -> Arrays:
    attrs = np.array([[1, 0, 1, 0, 1], [1, 1, 0, 0, 0], [0, 1, 1, 1, 0], [0, 0, 0, 1, 1], [1, 0, 0, 1, 0],
                      [0, 1, 0, 0, 1], [1, 1, 1, 0, 0], [0, 0, 1, 1, 1]], float)
    seen, unseen = np.arange(5), np.arange(5, 8)
    d = p.dim
    protos = rng.normal(size=(5, d))

    def draw(classes: np.ndarray, per: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.repeat(classes, per)
        return attrs[y] @ protos + p.noise * rng.normal(size=(len(y), d)), y

    x, y = draw(seen, p.per_task)
    clfs = [_logistic(x, attrs[y, a], ridge=1.0) for a in range(5)]
    xt, yt = draw(unseen, 100)
    pa = np.stack([1 / (1 + np.exp(-(np.c_[xt, np.ones(len(xt))] @ w))) for w in clfs], 1)
    pa = np.clip(pa, 1e-6, 1 - 1e-6)
    score = np.log(pa) @ attrs[unseen].T + np.log(1 - pa) @ (1 - attrs[unseen]).T
    pred = unseen[np.argmax(score, 1)]
    conf = np.array([[np.mean(pred[yt == c] == k) for k in unseen] for c in unseen])
    return {"attributes": attrs, "confusion": conf, "unseen_acc": float(np.mean(pred == yt)),
            "class_names": np.array([f"class {i + 1}" for i in range(8)]), "unseen_names": np.array(["class 6", "class 7", "class 8"]),
            "attr_names": np.array(["a1", "a2", "a3", "a4", "a5"]), "seen_mask": np.r_[np.zeros((5, 5), bool), np.ones((3, 5), bool)] & (attrs > 0)}



# -- continual learning, hypergradients, curricula ---------------------------------------------------------


def _softmax_steps(w: np.ndarray, x: np.ndarray, y: np.ndarray, k: int, steps: int, lr: float) -> np.ndarray:
    a = np.c_[x, np.ones(len(x))]
    onehot = np.eye(k)[y]
    for _ in range(steps):
        lg = a @ w
        pr = np.exp(lg - lg.max(1, keepdims=True))
        pr /= pr.sum(1, keepdims=True)
        w = w - lr * a.T @ (pr - onehot) / len(x)
    return w


def _replay(p: RunParams, rng: np.random.Generator) -> Arrays:
    """Class-incremental: task 1 is classes 0 and 1, task 2 classes 2 and 3, one shared softmax head."""
    centres = np.array([[0.0, 1.5], [0.0, -1.5], [1.5, 0.0], [-1.5, 0.0]])
    sizes = np.array(p.n_values)

    def draw(classes: tuple[int, ...], n: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.array(classes)[np.arange(n) % len(classes)]
        return centres[y] + rng.normal(size=(n, 2)) * 0.6, y

    old_acc = np.zeros((p.repeats, sizes.size))
    new_acc = np.zeros((p.repeats, sizes.size))
    for r in range(p.repeats):
        x1, y1 = draw((0, 1), p.n)
        x2, y2 = draw((2, 3), p.n)
        t1, l1 = draw((0, 1), 1000)
        t2, l2 = draw((2, 3), 1000)
        w1 = _softmax_steps(np.zeros((3, 4)), x1, y1, 4, p.meta_steps, p.lr)
        # Task 2 for every buffer size at once: all data, task-1 rows weighted in only if buffered.
        a = np.c_[np.r_[x2, x1], np.ones(2 * p.n)]
        onehot = np.eye(4)[np.r_[y2, y1]]
        order = rng.permutation(p.n)
        mask = np.ones((sizes.size, 2 * p.n))
        for j, m in enumerate(sizes):
            mask[j, p.n:] = 0.0
            mask[j, p.n + order[:int(m)]] = 1.0  # the replay buffer: m stored task-1 examples
        mask /= mask.sum(1, keepdims=True)
        w = np.repeat(w1[None], sizes.size, axis=0)
        for _ in range(p.meta_steps):
            lg = np.matmul(a, w)
            pr = np.exp(lg - lg.max(2, keepdims=True))
            pr /= pr.sum(2, keepdims=True)
            w = w - p.lr * np.matmul(a.T, (pr - onehot[None]) * mask[..., None])
        for j in range(sizes.size):
            old_acc[r, j] = np.mean(np.argmax(np.c_[t1, np.ones(len(t1))] @ w[j], 1) == l1)
            new_acc[r, j] = np.mean(np.argmax(np.c_[t2, np.ones(len(t2))] @ w[j], 1) == l2)
    return {"buffer": sizes.astype(float), **_band(old_acc, "old"), **_band(new_acc, "new"),
            "buffer_share": sizes / p.n}


def _hypergradient(p: RunParams, rng: np.random.Generator) -> Arrays:
    d = p.dim
    x = rng.normal(size=(p.n, d)) * np.geomspace(1.0, 0.1, d)
    y = (x @ rng.normal(size=d) + 0.3 * rng.normal(size=p.n) > 0).astype(float)

    def loss_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w
        loss = float(np.mean(np.logaddexp(0, z) - y * z))
        return loss, x.T @ (_sigmoid(z) - y) / p.n

    def run(beta: float) -> tuple[np.ndarray, np.ndarray]:
        w = np.zeros(d)
        alpha = p.lr
        prev = np.zeros(d)
        losses, alphas = [], []
        for _ in range(p.meta_steps):
            loss, g = loss_grad(w)
            alpha = alpha + beta * float(g @ prev)  # hypergradient of the loss wrt the step size
            w = w - alpha * g
            prev = g
            losses.append(loss)
            alphas.append(alpha)
        return np.array(losses), np.array(alphas)

    l_gd, _ = run(0.0)
    l_hd, a_hd = run(p.inner_lr)
    return {"step": np.arange(1, p.meta_steps + 1, dtype=float), "loss_gd": l_gd, "loss_hd": l_hd, "alpha_hd": a_hd,
            "alpha0": float(p.lr), "alpha_final": float(a_hd[-1]), "alpha_max": float(a_hd.max()),
            "final_gd": float(l_gd[-1]), "final_hd": float(l_hd[-1])}



def _stacking(p: RunParams, rng: np.random.Generator) -> Arrays:
    """Three base regressors on 1-D data and their stack: non-negative weights fitted to the
    base models' out-of-fold predictions (5 folds)."""
    from scipy.optimize import nnls

    def truth(x: np.ndarray) -> np.ndarray:
        return np.asarray(np.sin(3 * x) + 0.5 * x)

    def fit_predict(kind: int, x: np.ndarray, y: np.ndarray, q: np.ndarray) -> np.ndarray:
        if kind == 0:  # straight line
            c = np.polyfit(x, y, 1)
            return np.asarray(np.polyval(c, q))
        if kind == 1:  # cubic polynomial
            c = np.polyfit(x, y, 3)
            return np.asarray(np.polyval(c, q))
        d = np.abs(q[:, None] - x[None])  # k-nearest-neighbour mean, k = 15
        near = np.argsort(d, axis=1)[:, :15]
        return np.asarray(y[near].mean(1))

    def run(x: np.ndarray, y: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        folds = np.arange(len(x)) % 5
        oof = np.zeros((len(x), 3))
        for f in range(5):
            tr, te = folds != f, folds == f
            for k in range(3):
                oof[te, k] = fit_predict(k, x[tr], y[tr], x[te])
        wts = nnls(oof, y)[0]
        base = np.stack([fit_predict(k, x, y, q) for k in range(3)], 1)
        return base, base @ wts, wts

    xq = np.linspace(-2, 2, 400)
    mse = np.zeros((p.repeats, 4))
    for r in range(p.repeats):
        x = rng.uniform(-2, 2, p.n)
        y = truth(x) + p.noise * rng.normal(size=p.n)
        base, stack, _ = run(x, y, xq)
        mse[r, :3] = np.mean((base - truth(xq)[:, None]) ** 2, axis=0)
        mse[r, 3] = np.mean((stack - truth(xq)) ** 2)
    x = rng.uniform(-2, 2, p.n)
    y = truth(x) + p.noise * rng.normal(size=p.n)
    base, stack, wts = run(x, y, xq)
    med = np.median(mse, axis=0)
    return {"x": xq, "truth": truth(xq), "fit_line": base[:, 0], "fit_cubic": base[:, 1], "fit_knn": base[:, 2],
            "fit_stack": stack, "data_x": x, "data_y": y, "weights": wts, "mse_line": float(med[0]),
            "mse_cubic": float(med[1]), "mse_knn": float(med[2]), "mse_stack": float(med[3]),
            "mse_best_base": float(med[:3].min()), "stack_wins": float(np.mean(mse[:, 3] <= mse[:, :3].min(1)))}



def _curriculum(p: RunParams, rng: np.random.Generator) -> Arrays:
    """One pass of stochastic gradient descent for logistic regression over ``n`` examples with 10 %
    label noise, in random order or easy first (largest true margin first)."""
    d = p.dim
    checkpoints = np.unique(np.round(np.geomspace(5, p.n, 16)).astype(int))
    acc = np.zeros((2, p.repeats, checkpoints.size))
    for r in range(p.repeats):
        w_true = rng.normal(size=d)
        w_true /= np.linalg.norm(w_true)
        x = rng.normal(size=(p.n, d))
        margin = x @ w_true
        y = (margin > 0).astype(float)
        flip = rng.random(p.n) < 0.1
        y = np.where(flip, 1 - y, y)
        xt = rng.normal(size=(2000, d))
        yt = (xt @ w_true > 0)
        for o, order in enumerate((rng.permutation(p.n), np.argsort(-np.abs(margin)))):
            w = np.zeros(d)
            j = 0
            for t, i in enumerate(order, start=1):
                w = w - p.lr * (_sigmoid(x[i] @ w) - y[i]) * x[i]
                if j < checkpoints.size and t == checkpoints[j]:
                    acc[o, r, j] = np.mean((xt @ w > 0) == yt)
                    j += 1
    return {"seen": checkpoints.astype(float), **_band(acc[0], "random"), **_band(acc[1], "curriculum")}



def _successive_halving(p: RunParams, rng: np.random.Generator) -> Arrays:
    """One bracket of successive halving (eta = 3, first rung ``rung`` epochs) over ``n`` configurations whose validation
    loss follows a + b t^-c plus noise; a stopped configuration's curve ends (NaN after)."""
    n, big_t = p.n, p.horizon

    def draw() -> tuple[np.ndarray, np.ndarray]:
        a = rng.uniform(0.1, 0.6, n)
        b = rng.uniform(0.2, 1.2, n)
        c = rng.uniform(0.3, 1.2, n)
        t = np.arange(1, big_t + 1, dtype=float)
        curves = a[:, None] + b[:, None] * t[None] ** -c[:, None] + 0.01 * rng.normal(size=(n, big_t))
        return curves, a + b * big_t ** -c

    def bracket(curves: np.ndarray) -> tuple[np.ndarray, int]:
        alive = np.arange(n)
        budget = p.rung
        stop = np.full(n, big_t)
        while len(alive) > 1 and budget < big_t:
            keep = max(1, len(alive) // 3)
            ranked = alive[np.argsort(curves[alive, budget - 1])]
            stop[ranked[keep:]] = budget
            alive = ranked[:keep]
            budget = min(big_t, budget * 3)
        return stop, int(alive[0])

    ranks = []
    for _ in range(p.repeats):
        curves, final = draw()
        _, win = bracket(curves)
        ranks.append(int(np.sum(final < final[win])))
    curves, final = draw()
    stop, win = bracket(curves)
    shown = curves.copy()
    for i in range(n):
        shown[i, stop[i]:] = np.nan
    spent = float(np.sum(stop))
    return {"epoch": np.arange(1, big_t + 1, dtype=float), "curves": shown, "winner": curves[win],
            "stop": stop.astype(float), "winner_rank": float(np.sum(final < final[win])),
            "median_rank": float(np.median(ranks)), "top3_share": float(np.mean(np.array(ranks) < 3)),
            "budget_spent": spent, "budget_full": float(n * big_t), "configs": float(n)}



def _pbt(p: RunParams, rng: np.random.Generator) -> Arrays:
    """Population-based training of ``n`` members on a noisy quadratic: stochastic gradient steps
    whose noise grows with the step size, so a good step size shrinks as training goes on.  Every
    ``local_steps`` steps the worst quarter copies the weights and step size of the best quarter
    and multiplies the step size by 0.8 or 1.25.  Against it: the same members, never exploiting."""
    d, n, steps = p.dim, p.n, p.horizon
    curv = np.geomspace(1.0, 0.05, d)

    def loss(w: np.ndarray) -> np.ndarray:
        return np.asarray(0.5 * (w ** 2 * curv).sum(-1))

    def train(exploit: bool, lrs0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w = np.tile(np.full(d, 3.0), (n, 1))
        lrs = lrs0.copy()
        hist = np.zeros((n, steps))
        best_lr = np.zeros(steps)
        for t in range(steps):
            g = w * curv + p.noise * rng.normal(size=(n, d))
            w = w - lrs[:, None] * g
            f = loss(w)
            hist[:, t] = lrs
            best_lr[t] = lrs[np.argmin(f)]
            if exploit and (t + 1) % p.local_steps == 0:
                order = np.argsort(f)
                q = max(1, n // 4)
                for lo, hi in zip(order[-q:], order[:q], strict=True):
                    w[lo] = w[hi]
                    lrs[lo] = lrs[hi] * rng.choice([0.8, 1.25])
        return loss(w), hist, best_lr

    lrs0 = np.geomspace(0.02, 1.5, n)
    final_pbt, hist, best_lr = train(True, lrs0)
    final_fixed, _, _ = train(False, lrs0)
    return {"step": np.arange(1, steps + 1, dtype=float), "lr_paths": hist, "best_lr": best_lr,
            "best_pbt": float(final_pbt.min()), "best_fixed": float(final_fixed.min()),
            "lr_start": float(best_lr[: p.local_steps].mean()), "lr_end": float(best_lr[-p.local_steps:].mean())}


def _reptile(p: RunParams, rng: np.random.Generator) -> Arrays:
    """Reptile (Nichol et al. 2018) on linear regression tasks w = c + 0.3 z (z standard normal,
    c a hidden centre of norm sqrt(dim)): ``meta_steps`` meta-updates
    phi <- phi + 0.1 (w_k - phi), w_k after ``local_steps`` gradient steps (step ``lr``) on
    ``per_task`` examples of one task.  On ``repeats`` new tasks, exact test error after each of
    0..``local_steps`` adaptation steps from phi (``reptile``) and from zero (``scratch``)."""
    d, k, m = p.dim, p.local_steps, p.per_task
    centre = rng.normal(size=d)
    centre *= np.sqrt(d) / np.linalg.norm(centre)

    def task() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w = centre + 0.3 * rng.normal(size=d)
        x = rng.normal(size=(m, d))
        return w, x, x @ w + p.noise * rng.normal(size=m)

    def adapt(w0: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        path = [w0]
        w = w0
        for _ in range(k):
            w = w - p.lr * x.T @ (x @ w - y) / m
            path.append(w)
        return path

    phi = np.zeros(d)
    for _ in range(p.meta_steps):
        _, x, y = task()
        phi = phi + 0.1 * (adapt(phi, x, y)[-1] - phi)
    err = np.zeros((2, p.repeats, k + 1))
    for r in range(p.repeats):
        w, x, y = task()
        for o, w0 in enumerate((phi, np.zeros(d))):
            err[o, r] = [float(np.sum((v - w) ** 2)) + p.noise ** 2 for v in adapt(w0, x, y)]
    return {"step": np.arange(k + 1, dtype=float), **_band(err[0], "reptile"), **_band(err[1], "scratch"),
            "noise_floor": np.full(k + 1, p.noise ** 2),
            "dist_init": float(np.linalg.norm(phi - centre) / np.linalg.norm(centre))}


def _ranking(p: RunParams, rng: np.random.Generator) -> Arrays:
    """Pointwise against pairwise learning to rank.  ``n`` training queries of ``per_task`` documents;
    a query's documents scatter around its own centre mu_q in ``dim`` dimensions; their graded
    relevance is x w + c (mu_q u) + noise, u orthogonal to w, so the offset c (mu_q u) is shared by
    a query's documents.  Pointwise: least squares on the relevance of every document.  Pairwise:
    linear RankNet (logistic loss on score differences of within-query pairs, ``meta_steps``
    gradient steps of ``lr``).  ``offset`` (c from 0 to 4), ``pointwise``, ``pairwise`` (+ bands
    over ``repeats``): share of within-query pairs of 200 test queries ordered as x w orders them."""
    d, q, m = p.dim, p.n, p.per_task
    cs = np.linspace(0.0, 4.0, 9)
    ii, jj = np.triu_indices(m, 1)
    acc = np.zeros((2, p.repeats, cs.size))
    for r in range(p.repeats):
        w = rng.normal(size=d)
        w /= np.linalg.norm(w)
        u = rng.normal(size=d)
        u -= (u @ w) * w
        u /= np.linalg.norm(u)
        mu = 1.5 * rng.normal(size=(q, d))
        x = mu[:, None, :] + rng.normal(size=(q, m, d))
        xt = 1.5 * rng.normal(size=(200, 1, d)) + rng.normal(size=(200, m, d))
        st = xt @ w
        truth = np.sign(st[:, ii] - st[:, jj])
        eps = 0.3 * rng.normal(size=(q, m))
        dx = (x[:, ii] - x[:, jj]).reshape(-1, d)
        design = np.concatenate([x.reshape(-1, d), np.ones((q * m, 1))], axis=1)
        for ci, c in enumerate(cs):
            y = x @ w + c * (mu @ u)[:, None] + eps
            point = np.linalg.lstsq(design, y.reshape(-1), rcond=None)[0][:d]
            lab = (y[:, ii] > y[:, jj]).reshape(-1).astype(float)
            pair = np.zeros(d)
            for _ in range(p.meta_steps):
                pair -= p.lr * dx.T @ (_sigmoid(dx @ pair) - lab) / lab.size
            for o, vec in enumerate((point, pair)):
                s = xt @ vec
                acc[o, r, ci] = np.mean(np.sign(s[:, ii] - s[:, jj]) == truth)
    return {"offset": cs, **_band(acc[0], "pointwise"), **_band(acc[1], "pairwise"),
            "chance": np.full(cs.size, 0.5)}


_EXPERIMENTS = {
    "transfer": _transfer, "multi-task": _multi_task, "hedge": _hedge,
    "weak-to-strong": _weak_to_strong, "importance-weighting": _importance_weighting, "fedavg": _fedavg,
    "distillation": _distillation, "transition": _transition, "map-elites": _map_elites, "genetic": _genetic,
    "lora": _lora, "task-arithmetic": _task_arithmetic, "label-model": _label_model, "zero-shot": _zero_shot,
    "replay": _replay, "hypergradient": _hypergradient, "stacking": _stacking,
    "curriculum": _curriculum, "successive-halving": _successive_halving, "pbt": _pbt,
    "reptile": _reptile, "ranking": _ranking,
}


@recipe("paradigm-run", RunParams)
def paradigm_run(p: RunParams, rng: np.random.Generator) -> Arrays:
    """A small training experiment of a learning paradigm, named by ``experiment`` (module docstring)."""
    return _EXPERIMENTS[p.experiment](p, rng)
