"""``paradigm-plane`` experiments that learn from few labels: label propagation, low-density
separation, active learning, positive-unlabelled learning and co-training.  Registered through
:mod:`teeprint.recipes.paradigms`, which imports this module.
"""

from __future__ import annotations

import numpy as np

from teeprint.recipes import Arrays
from teeprint.recipes.boundaries import toy_data
from teeprint.recipes.para_base import (
    PlaneParams,
    _grid,
    _lin,
    _sigmoid,
    _two_gauss,
    logistic_newton,
)

# -- experiments --------------------------------------------------------------------------------------------


def _pick_labels(y: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    idx = [rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in np.unique(y)]
    return np.sort(np.concatenate(idx))


def _label_propagation(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    x, y = toy_data("moons", p.n, p.noise, 2, rng)
    lab = _pick_labels(y, p.labelled, rng)
    d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
    order = np.argsort(d2, axis=1)[:, 1:p.k + 1]
    adj = np.zeros_like(d2, dtype=bool)
    adj[np.arange(p.n)[:, None], order] = True
    adj |= adj.T
    w = np.where(adj, np.exp(-d2 / (2 * p.sigma ** 2)), 0.0)
    t = w / w.sum(axis=1, keepdims=True)
    clamp = np.eye(2)[y[lab]]
    unl = np.setdiff1d(np.arange(p.n), lab)
    f = np.zeros((p.n, 2))
    f[lab] = clamp
    # The iteration's fixed point, solved exactly: F_u = (I - T_uu)^-1 T_ul Y_l.
    f[unl] = np.linalg.solve((1 + 1e-9) * np.eye(unl.size) - t[np.ix_(unl, unl)], t[np.ix_(unl, lab)] @ clamp)
    pred = np.argmax(f, axis=1)
    gx, gy, g = _grid(x, p.grid)
    # Supervised only: 1-nearest neighbour among the labels.
    d0 = np.sqrt(((g[:, None] - x[lab][y[lab] == 0][None]) ** 2).sum(-1)).min(axis=1)
    d1 = np.sqrt(((g[:, None] - x[lab][y[lab] == 1][None]) ** 2).sum(-1)).min(axis=1)
    score0 = (d0 - d1).reshape(gy.size, gx.size)
    sup_pred = y[lab][np.argmin(((x[:, None] - x[lab][None]) ** 2).sum(-1), axis=1)]
    # The propagated labels carried to the plane by the same Gaussian-weighted k nearest points.
    dg = ((g[:, None] - x[None]) ** 2).sum(-1)
    near = np.argsort(dg, axis=1)[:, :p.k]
    wg = np.exp(-np.take_along_axis(dg, near, 1) / (2 * p.sigma ** 2)) + 1e-300
    fg = (wg[..., None] * f[near]).sum(1) / wg.sum(1)[:, None]
    score1 = (fg[:, 1] - fg[:, 0]).reshape(gy.size, gx.size)
    cls0 = np.full(p.n, -1)
    cls0[lab] = y[lab]
    rings = np.zeros(p.n, bool)
    rings[lab] = True
    return {
        "grid_x": gx, "grid_y": gy, "points": np.stack([x, x]), "classes": np.stack([cls0, pred]),
        "score": np.stack([score0, score1]), "rings": np.stack([rings, rings]), "truth": y,
        "acc_supervised": float(np.mean(sup_pred[unl] == y[unl])),
        "acc_propagated": float(np.mean(pred[unl] == y[unl])),
        "n_labels": float(len(lab)), "edges": float(adj.sum() / 2),
    }


def _low_density(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    y = np.arange(p.n) % 2
    x = np.c_[(2.0 * y - 1.0) * 1.2, np.zeros(p.n)] + rng.normal(size=(p.n, 2)) * [0.35, 1.0]
    # The labels: one per class picked from the upper-left and lower-right parts of the clusters,
    # so that the labels alone tilt the boundary.
    lab = np.array([
        int(np.flatnonzero(y == 0)[np.argmax(x[y == 0, 1] - 0.5 * x[y == 0, 0])]),
        int(np.flatnonzero(y == 1)[np.argmin(x[y == 1, 1] - 0.5 * x[y == 1, 0])]),
    ])
    ys = 2.0 * y - 1.0
    unl = np.setdiff1d(np.arange(p.n), lab)
    lam = 1e-3

    def fit(semi: bool) -> np.ndarray:
        w = np.zeros(3)
        w[:2] = x[lab[1]] - x[lab[0]]
        w[2] = -float(w[:2] @ (x[lab[0]] + x[lab[1]]) / 2)
        w /= np.linalg.norm(w[:2]) ** 2 / 2
        for t in range(p.steps):
            f_l = _lin(w, x[lab])
            act = (ys[lab] * f_l < 1).astype(float)
            g = -(act * ys[lab])[:, None] * np.c_[x[lab], np.ones(len(lab))]
            grad = g.sum(0) + lam * np.r_[w[:2], 0.0]
            if semi:
                c_star = 0.1 * min(1.0, 2.0 * (t + 1) / p.steps)
                f_u = _lin(w, x[unl])
                e = np.exp(-3.0 * f_u ** 2)
                gu = (-6.0 * f_u * e)[:, None] * np.c_[x[unl], np.ones(len(unl))]
                grad = grad + c_star * gu.sum(0)
            w = w - p.lr * grad
            if semi:  # balance: the mean output on unlabelled points matches the labels' (zero)
                w[2] -= float(np.mean(_lin(w, x[unl])))
        return w

    ws, wu = fit(False), fit(True)
    gx, gy, g = _grid(x, p.grid)
    cls0 = np.full(p.n, -1)
    cls0[lab] = y[lab]
    rings = np.zeros(p.n, bool)
    rings[lab] = True

    def margin_share(w: np.ndarray) -> float:
        f = _lin(w, x[unl]) / np.linalg.norm(w[:2])
        return float(np.mean(np.abs(f) < 0.5))

    return {
        "grid_x": gx, "grid_y": gy, "points": np.stack([x, x]), "classes": np.stack([cls0, cls0]),
        "score": np.stack([_lin(ws, g).reshape(gy.size, gx.size), _lin(wu, g).reshape(gy.size, gx.size)]),
        "rings": np.stack([rings, rings]), "truth": y,
        "acc_supervised": float(np.mean((_lin(ws, x[unl]) > 0) == y[unl])),
        "acc_semi": float(np.mean((_lin(wu, x[unl]) > 0) == y[unl])),
        "in_band_supervised": margin_share(ws), "in_band_semi": margin_share(wu),
        "angle_supervised": float(np.degrees(np.arctan2(ws[1], ws[0]))),
        "angle_semi": float(np.degrees(np.arctan2(wu[1], wu[0]))),
    }


def _active_run(x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray, budget: int, uncertain: bool,
                rng: np.random.Generator) -> tuple[np.ndarray, float, np.ndarray]:
    lab = list(_pick_labels(y, 1, rng))
    w = logistic_newton(x[lab], y[lab], ridge=1.0)
    for _ in range(budget):
        pool = np.setdiff1d(np.arange(len(x)), lab)
        if uncertain:
            q = int(pool[np.argmin(np.abs(_lin(w, x[pool])))])
        else:
            q = int(rng.choice(pool))
        lab.append(q)
        w = logistic_newton(x[lab], y[lab], ridge=1.0)
    acc = float(np.mean((_lin(w, xt) > 0) == yt))
    return np.array(lab), acc, w


def _active_data(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1, 1, (n, 2))
    normal = np.array([np.cos(0.5), np.sin(0.5)])
    margin = x @ normal - 0.35
    y = (margin + noise * rng.normal(size=n) > 0).astype(int)
    return x, y


def _active_learning(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    x, y = _active_data(p.n, p.noise, rng)
    xt, yt = _active_data(2000, 0.0, rng)
    normal = np.array([np.cos(0.5), np.sin(0.5)])
    lab_r, _, wr = _active_run(x, y, xt, yt, p.budget, False, rng)
    lab_u, _, wu = _active_run(x, y, xt, yt, p.budget, True, rng)
    accs = np.array([[_active_run(*_active_data(p.n, p.noise, rng), xt, yt, p.budget, u, rng)[1]
                      for u in (False, True)] for _ in range(p.repeats)])
    gx, gy, g = _grid(x, p.grid, pad=0.05)

    def cls_of(lab: np.ndarray) -> np.ndarray:
        c = np.full(len(x), -1)
        c[lab] = y[lab]
        return c

    def ring_of(lab: np.ndarray) -> np.ndarray:
        r = np.zeros(len(x), bool)
        r[lab] = True
        return r

    dist = np.abs(x @ normal - 0.35)
    truth = (g @ normal - 0.35).reshape(gy.size, gx.size)
    return {
        "grid_x": gx, "grid_y": gy, "points": np.stack([x, x]), "classes": np.stack([cls_of(lab_r), cls_of(lab_u)]),
        "score": np.stack([_lin(wr, g).reshape(gy.size, gx.size), _lin(wu, g).reshape(gy.size, gx.size)]),
        "rings": np.stack([ring_of(lab_r), ring_of(lab_u)]), "reference": truth,
        "dist_random": float(np.median(dist[lab_r])), "dist_uncertain": float(np.median(dist[lab_u])),
        "acc_random": float(np.median(accs[:, 0])), "acc_uncertain": float(np.median(accs[:, 1])),
        "labels_used": float(len(lab_u)),
    }


def _pu_learning(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    x, y = _two_gauss(p.n, rng, gap=2.0, spread=0.6, angle=0.6)
    s = (y == 1) & (rng.random(p.n) < p.label_freq)
    fit_idx = rng.random(p.n) < 0.8
    w = logistic_newton(x[fit_idx], s[fit_idx].astype(float))
    held = (~fit_idx) & s
    g_all = _sigmoid(_lin(w, x))
    c_hat = float(np.mean(g_all[held])) if held.any() else float(np.mean(g_all[s]))
    gx, gy, g = _grid(x, p.grid)
    lg = _lin(w, g)
    cls = np.where(y == 0, 0, np.where(s, 1, 2))
    naive = (g_all > 0.5).astype(int)
    corrected = (g_all > c_hat / 2).astype(int)
    return {
        "grid_x": gx, "grid_y": gy, "points": x, "classes": cls,
        "score": (_sigmoid(lg) - c_hat / 2).reshape(gy.size, gx.size),
        "naive": (_sigmoid(lg) - 0.5).reshape(gy.size, gx.size),
        "c_true": float(p.label_freq), "c_hat": c_hat,
        "acc_naive": float(np.mean(naive == y)), "acc_corrected": float(np.mean(corrected == y)),
        "labelled_share": float(np.mean(s[y == 1])),
    }


def _co_training(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Two views, one per coordinate, independent given the class; one 1-D logistic model per view.
    Each round every view labels its ``k`` most confident unlabelled points of each class, for both."""
    y = np.arange(p.n) % 2
    x = (2.0 * y[:, None] - 1.0) * p.shift + rng.normal(size=(p.n, 2))
    lab = _pick_labels(y, p.labelled, rng)
    known = {int(i): int(y[i]) for i in lab}

    def fit(known: dict[int, int]) -> list[np.ndarray]:
        idx = np.array(sorted(known))
        ty = np.array([known[i] for i in idx], float)
        return [logistic_newton(x[idx, v:v + 1], ty, ridge=0.1) for v in (0, 1)]

    before = views = fit(known)
    for _ in range(p.rounds):
        for v in (0, 1):
            pool = np.array([i for i in range(p.n) if i not in known])
            if pool.size == 0:
                break
            z = _lin(views[v], x[pool, v:v + 1])
            for c, order in ((1, np.argsort(-z)), (0, np.argsort(z))):
                for i in pool[order[:p.k]]:
                    known.setdefault(int(i), c)
        views = fit(known)
    gx, gy, g = _grid(x, p.grid, pad=0.05)

    def both(ws: list[np.ndarray], pts: np.ndarray) -> np.ndarray:
        return _lin(ws[0], pts[:, :1]) + _lin(ws[1], pts[:, 1:2])

    def acc(w: np.ndarray, v: int) -> float:
        return float(np.mean((_lin(w, x[:, v:v + 1]) > 0) == y))

    cls0 = np.full(p.n, -1)
    cls0[lab] = y[lab]
    rings = np.zeros(p.n, bool)
    rings[lab] = True
    new = [i for i in known if i not in set(lab.tolist())]
    return {
        "grid_x": gx, "grid_y": gy, "points": np.stack([x, x]), "classes": np.stack([cls0, y]),
        "score": np.stack([both(before, g).reshape(gy.size, gx.size), both(views, g).reshape(gy.size, gx.size)]),
        "rings": np.stack([rings, rings]),
        "view1_before": acc(before[0], 0), "view1_after": acc(views[0], 0),
        "view2_before": acc(before[1], 1), "view2_after": acc(views[1], 1),
        "acc_before": float(np.mean((both(before, x) > 0) == y)), "acc_after": float(np.mean((both(views, x) > 0) == y)),
        "pseudo_labels": float(len(new)), "pseudo_acc": float(np.mean([known[i] == y[i] for i in new])),
    }
