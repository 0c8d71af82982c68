"""``paradigm-run`` experiments on how learning is run and tuned: prediction with expert advice
(Hedge), quality-diversity and genetic search, continual learning with replay, hypergradients,
stacking, curricula, successive halving, population-based training and Reptile.  Registered
through :mod:`teeprint.recipes.para_training`, which imports this module.
"""

from __future__ import annotations

import numpy as np

from teeprint.recipes import Arrays
from teeprint.recipes.para_run_base import RunParams, _band, _sigmoid

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
