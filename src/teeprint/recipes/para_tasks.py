"""``paradigm-run`` experiments on learning carried across tasks, models, clients and
distributions: transfer and multi-task learning, weak-to-strong generalisation, importance
weighting under covariate shift, federated averaging, low-rank adaptation and task arithmetic.
Registered through :mod:`teeprint.recipes.para_training`, which imports this module.
"""

from __future__ import annotations

import numpy as np

from teeprint.recipes import Arrays
from teeprint.recipes.para_run_base import RunParams, _band, _logistic

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
