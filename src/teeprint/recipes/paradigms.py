"""Learning paradigms on the plane: one recipe, ``paradigm-plane``, one seeded 2-D toy per
``experiment``, drawn by ``decision-regions`` (or ``trajectory-contour``).

Every experiment returns the grid ``grid_x``, ``grid_y`` and, for P panels, ``points`` (P, n, 2),
``classes`` (P, n; -1 marks an unlabelled point), ``score`` (P, ny, nx; the boundary is where it
crosses 0), ``rings`` (P, n; points circled in accent), plus its own arrays and scalars:

- ``label-propagation`` (Zhu & Ghahramani 2002): two moons with ``labelled`` labels per class;
  panel 0 is 1-nearest-neighbour on the labels alone, panel 1 the labels propagated over a
  symmetric k-NN graph with Gaussian weights (iterate F <- D^-1 W F, clamp the labels).  Scalars
  ``acc_supervised``, ``acc_propagated`` (on the unlabelled points).
- ``low-density``: two clusters; panel 0 the hinge-loss linear classifier on the labels alone,
  panel 1 the same plus Chapelle & Zien's (2005) unlabelled loss exp(-3 f^2) with the class
  balance constraint, by gradient descent with the unlabelled weight annealed.  Scalars
  ``acc_supervised``, ``acc_semi``, ``in_margin_supervised``, ``in_margin_semi`` (share of
  unlabelled points with /f/ < 1).
- ``active-learning``: a pool labelled by a noisy linear rule; logistic regression (Newton)
  with ``budget`` queries picked at random (panel 0) or by uncertainty sampling (panel 1).
  Scalars ``dist_random``, ``dist_uncertain`` (median distance of the queries to the true
  boundary), ``acc_random``, ``acc_uncertain`` (median test accuracy over ``repeats`` runs).
- ``pu-learning`` (Elkan & Noto 2008): positives labelled with probability ``label_freq``; a
  logistic model of labelled-vs-unlabelled g(x); c estimated as the mean of g on held-out
  labelled positives; ``score`` is the corrected rule g/c > 1/2, ``naive`` the rule g > 1/2.
  Classes 0 negative, 1 labelled positive, 2 unlabelled positive.  Scalars ``c_true``,
  ``c_hat``, ``acc_naive``, ``acc_corrected``.
- ``diverse-density`` (Maron & Lozano-Perez 1998): bags of instances, a bag positive when one
  instance falls near a hidden concept point; the noisy-or diverse density on the grid (``dd``,
  normalised to max 1, ``score`` = log10 dd + 2: the boundary is dd = max/100); ``segments`` join each instance to its bag's centre;
  ``marks`` (argmax and the true concept).  Scalars ``argmax_error``, ``negatives_inside``.
- ``prototypes`` (Snell et al. 2017): a linear embedding W learned by episodic training with the
  prototypical loss on base classes whose means differ along x1 only; on novel classes, 1-shot
  nearest-prototype regions with the Euclidean metric (panel 0) and with W (panel 1).  Scalars
  ``metric_ratio`` (learned weight of x2 over x1), ``acc_euclid``, ``acc_learned`` (median over
  ``repeats`` novel episodes).
- ``k-center``: greedy k-center (Gonzalez 1985, the coreset of Sener & Savarese 2018) against
  random picks on blobs of unequal size; ``centres``, ``circles`` (k, 64, 2) of the covering
  radius; scalars ``radius_greedy``, ``radius_random`` (median over ``repeats``), ``blobs_hit``,
  ``random_all_blobs`` (share of random draws that touch every blob).
- ``tent`` (Wang et al. 2021): a classifier behind a normalisation layer, trained on a source
  domain; the target is shifted and scaled.  Panel 0 the source model on the target, panel 1
  after Tent (test-batch statistics, then the affine parameters by gradient descent on the mean
  prediction entropy).  Scalars ``acc_source``, ``acc_tent``, ``entropy_source``, ``entropy_tent``.
- ``dataset-distillation`` (Wang et al. 2018): two synthetic points, one per class, moved by
  finite-difference gradient descent so that logistic regression trained on them alone (20 steps
  of ``lr``) fits the full set; ``synthetic``, ``start``, ``score`` (trained on the two points),
  ``reference`` (trained on all points); ``acc_synthetic``, ``acc_full``, ``acc_random_pairs``
  (median over ``repeats`` random real pairs), ``loss_synthetic``, ``loss_full``, ``loss_start``.
- ``irm`` (Arjovsky et al. 2019): two training environments in which x2 agrees with the label with
  probability ``label_freq`` and ``label_freq`` - 0.1, x1 the same in both; a test environment where
  x2 agrees with probability 1 - ``label_freq``.  Linear logistic ERM (panel 0: training points)
  and IRMv1 with penalty weight ``sigma`` (panel 1: test points), each minimised on a grid of
  directions and scales; ``angle_erm``, ``angle_irm`` (degrees from the x1 axis), ``train_*``,
  ``test_*``.
- ``domain-adversarial`` (Ganin et al. 2016): two Gaussian classes; the unlabelled target is the
  source moved by ``shift`` along x2.  A linear 1-D feature with a logistic label head and a
  logistic domain head, gradient descent with the domain gradient reversed (weight ``sigma``) into
  the feature, against the same model with weight 0 (source only).  Panels: target points with
  the source-only (0) and domain-adversarial (1) ``regions``; ``acc_source_only``, ``acc_dann``;
  medians over ``repeats`` draws ``median_acc_*``, ``median_angle_*`` (feature direction, degrees
  from the x1 axis; 0 ignores the shift).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.boundaries import grid_for, toy_data

Experiment = Literal["label-propagation", "low-density", "active-learning", "pu-learning", "diverse-density", "prototypes", "k-center", "tent",
                     "dataset-distillation", "irm", "co-training", "domain-adversarial"]


class PlaneParams(Params):
    """Knobs shared by the plane experiments; each reads the ones it needs."""

    experiment: Experiment
    n: int = Field(200, ge=20, le=1000, description="points in the toy set (or pool)")
    noise: float = Field(0.1, ge=0.0, le=1.0)
    labelled: int = Field(1, ge=1, le=50, description="labels per class")
    k: int = Field(10, ge=2, le=40, description="graph neighbours, centres or classes")
    sigma: float = Field(0.2, ge=0.01, le=1e4, description="kernel width (IRM: penalty weight)")
    steps: int = Field(400, ge=1, le=5000)
    lr: float = Field(0.1, ge=1e-4, le=10.0)
    budget: int = Field(20, ge=1, le=200, description="queries (active learning)")
    rounds: int = Field(10, ge=1, le=100)
    label_freq: float = Field(0.3, ge=0.05, le=0.95, description="PU: chance a positive is labelled")
    shift: float = Field(1.0, ge=0.0, le=5.0)
    bags: int = Field(20, ge=4, le=100)
    bag_size: int = Field(6, ge=2, le=30)
    repeats: int = Field(20, ge=1, le=400)
    grid: int = Field(60, ge=20, le=160)


# -- small shared models ------------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def logistic_newton(x: np.ndarray, y: np.ndarray, ridge: float = 1e-2, iters: int = 25,
                    weights: np.ndarray | None = None) -> np.ndarray:
    """Logistic regression on (x, 1) by Newton's method with a small ridge; returns (d+1,)."""
    a = np.c_[x, np.ones(len(x))]
    w = np.zeros(a.shape[1])
    sw = np.ones(len(x)) if weights is None else weights
    reg = ridge * np.eye(a.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(iters):
        pr = _sigmoid(a @ w)
        g = a.T @ (sw * (pr - y)) + reg @ w
        h = (a * (sw * pr * (1 - pr))[:, None]).T @ a + reg + 1e-9 * np.eye(a.shape[1])
        step = np.linalg.solve(h, g)
        w = w - step
        if np.abs(step).max() < 1e-9:
            break
    return w


def _lin(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return x @ w[:-1] + w[-1]


def _grid(x: np.ndarray, n: int, pad: float = 0.2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return grid_for(x, n, pad=pad, square=False)


def _two_gauss(n: int, rng: np.random.Generator, gap: float, spread: float,
               angle: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % 2
    c = np.array([np.cos(angle), np.sin(angle)]) * gap / 2
    x = np.where(y[:, None] == 1, c, -c) + rng.normal(size=(n, 2)) * spread
    return x, y


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


def _diverse_density(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    concept = rng.uniform(-0.5, 0.5, 2)
    radius = 0.25
    inst, bag_of, label = [], [], []
    for b in range(p.bags):
        positive = b % 2 == 0
        centre = rng.uniform(-1.6, 1.6, 2)
        pts = centre + rng.normal(size=(p.bag_size, 2)) * 0.35
        if positive:
            pts[0] = concept + rng.normal(size=2) * 0.08
        else:  # negative bags keep clear of the concept
            near = np.linalg.norm(pts - concept, axis=1) < 2 * radius
            while near.any():
                pts[near] = centre + rng.normal(size=(int(near.sum()), 2)) * 0.35
                near = np.linalg.norm(pts - concept, axis=1) < 2 * radius
        inst.append(pts)
        bag_of += [b] * p.bag_size
        label += [int(positive)] * p.bag_size
    x = np.concatenate(inst)
    bag_of_a = np.array(bag_of)
    cls = np.array(label)
    gx = np.linspace(-2.6, 2.6, p.grid)
    gy = gx.copy()
    xx, yy = np.meshgrid(gx, gy)
    g = np.c_[xx.ravel(), yy.ravel()]
    s2 = p.sigma ** 2
    log_dd = np.zeros(len(g))
    for b in range(p.bags):
        d2 = ((g[:, None] - inst[b][None]) ** 2).sum(-1)
        pr = np.exp(-d2 / s2)  # Pr(instance j is the concept | t), Maron & Lozano-Perez
        if b % 2 == 0:
            log_dd += np.log(np.clip(1 - np.prod(1 - pr, axis=1), 1e-300, None))
        else:
            log_dd += np.log(np.clip(1 - pr, 1e-300, None)).sum(axis=1)
    dd = np.exp(log_dd - log_dd.max())
    best = g[int(np.argmax(dd))]
    centres = np.array([ins.mean(0) for ins in inst])
    seg = np.stack([x, centres[bag_of_a]], axis=1)
    ddg = dd.reshape(gy.size, gx.size)
    inside_neg = [
        ddg[int(np.argmin(np.abs(gy - q[1]))), int(np.argmin(np.abs(gx - q[0])))] > 0.01
        for q in x[cls == 0]
    ]
    return {
        "grid_x": gx, "grid_y": gy, "points": x, "classes": cls, "dd": ddg, "score": np.log10(ddg + 1e-300) + 2.0,
        "log_dd": (log_dd - log_dd.max()).reshape(gy.size, gx.size),
        "segments": seg, "marks": np.array([best, concept]), "argmax": best, "concept": concept,
        "argmax_error": float(np.linalg.norm(best - concept)),
        "negatives_inside": float(np.sum(inside_neg)),
        "positive_bags": float((p.bags + 1) // 2), "negative_bags": float(p.bags // 2),
    }


def _proto_episode(rng: np.random.Generator, k: int, shots: int, queries: int,
                   nuisance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # Every episode draws new classes: means spaced along x1 with a random offset and jitter.
    means = np.c_[np.linspace(-1.5, 1.5, k) + rng.uniform(-0.5, 0.5) + rng.uniform(-0.25, 0.25, k),
                  rng.uniform(-0.3, 0.3, k)]
    scale = np.array([0.25, nuisance])
    sup_y = np.repeat(np.arange(k), shots)
    qry_y = np.repeat(np.arange(k), queries)
    sup = means[sup_y] + rng.normal(size=(len(sup_y), 2)) * scale
    qry = means[qry_y] + rng.normal(size=(len(qry_y), 2)) * scale
    return sup, sup_y, qry, qry_y


def _proto_logits(m: np.ndarray, protos: np.ndarray, q: np.ndarray) -> np.ndarray:
    d = q[:, None, :] - protos[None]
    return -np.einsum("qki,ij,qkj->qk", d, m, d)


def _prototypes(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    nuis = 1.2
    w = np.eye(2)
    for _ in range(p.steps):  # episodic training on base classes, prototypical loss
        sup, sy, qry, qy = _proto_episode(rng, p.k, p.labelled, 5, nuis)
        protos = np.array([sup[sy == c].mean(0) for c in range(p.k)])
        m = w.T @ w
        logits = _proto_logits(m, protos, qry)
        pr = np.exp(logits - logits.max(1, keepdims=True))
        pr /= pr.sum(1, keepdims=True)
        coef = pr - np.eye(p.k)[qy]
        d = qry[:, None, :] - protos[None]
        grad_m = -np.einsum("qk,qki,qkj->ij", coef, d, d) / len(qy)
        w = w - p.lr * 2 * w @ grad_m
    m_learned = w.T @ w

    def acc(m: np.ndarray, ep: tuple[np.ndarray, ...]) -> float:
        sup, sy, qry, qy = ep
        protos = np.array([sup[sy == c].mean(0) for c in range(p.k)])
        return float(np.mean(np.argmax(_proto_logits(m, protos, qry), 1) == qy))

    eps = [_proto_episode(rng, p.k, p.labelled, 20, nuis) for _ in range(p.repeats)]
    acc_e = np.array([acc(np.eye(2), e) for e in eps])
    acc_l = np.array([acc(m_learned, e) for e in eps])
    sup, sy, qry, qy = _proto_episode(rng, p.k, p.labelled, 20, nuis)
    protos = np.array([sup[sy == c].mean(0) for c in range(p.k)])
    allp = np.r_[sup, qry]
    gx, gy, g = _grid(allp, p.grid, pad=0.1)
    lab_e = np.argmax(_proto_logits(np.eye(2), protos, g), 1).reshape(gy.size, gx.size)
    lab_l = np.argmax(_proto_logits(m_learned, protos, g), 1).reshape(gy.size, gx.size)
    return {
        "grid_x": gx, "grid_y": gy, "points": np.stack([qry, qry]), "classes": np.stack([qy, qy]),
        "regions": np.stack([lab_e, lab_l]), "marks": protos, "support": sup,
        "metric": m_learned, "metric_ratio": float(m_learned[1, 1] / m_learned[0, 0]),
        "acc_euclid": float(np.median(acc_e)), "acc_learned": float(np.median(acc_l)),
        "acc_euclid_plate": acc(np.eye(2), (sup, sy, qry, qy)),
        "acc_learned_plate": acc(m_learned, (sup, sy, qry, qy)),
    }


def _k_center_greedy(x: np.ndarray, k: int, first: int) -> tuple[np.ndarray, float]:
    chosen = [first]
    d = np.linalg.norm(x - x[first], axis=1)
    for _ in range(k - 1):
        nxt = int(np.argmax(d))
        chosen.append(nxt)
        d = np.minimum(d, np.linalg.norm(x - x[nxt], axis=1))
    return np.array(chosen), float(d.max())


def _k_center(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    sizes = np.array([0.6, 0.3, 0.07, 0.03])
    centres = np.array([[-1.0, -0.4], [1.0, 0.6], [-0.6, 1.3], [1.4, -1.2]])
    spreads = np.array([0.45, 0.35, 0.15, 0.1])

    def draw() -> tuple[np.ndarray, np.ndarray]:
        counts = np.maximum(3, np.round(sizes * p.n)).astype(int)
        blob = np.repeat(np.arange(4), counts)
        return centres[blob] + rng.normal(size=(len(blob), 2)) * spreads[blob, None], blob

    x, blob = draw()
    chosen, r_g = _k_center_greedy(x, p.k, int(rng.integers(len(x))))
    rand_r, rand_all = [], []
    for _ in range(p.repeats):
        pick = rng.choice(len(x), p.k, replace=False)
        d = np.linalg.norm(x[:, None] - x[pick][None], axis=2).min(1)
        rand_r.append(float(d.max()))
        rand_all.append(len(np.unique(blob[pick])) == 4)
    ang = np.linspace(0, 2 * np.pi, 65)
    circles = x[chosen][:, None, :] + r_g * np.c_[np.cos(ang), np.sin(ang)][None]
    gx, gy, _g = _grid(np.r_[x, circles.reshape(-1, 2)], 20, pad=0.02)
    return {
        "grid_x": gx, "grid_y": gy, "points": x, "classes": blob, "centres": x[chosen], "circles": circles,
        "radius_greedy": r_g, "radius_random": float(np.median(rand_r)),
        "blobs_hit": float(len(np.unique(blob[chosen]))), "random_all_blobs": float(np.mean(rand_all)),
        "k": float(p.k),
    }


def _tent(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    xs, ys = toy_data("blobs", p.n, 0.0, 3, rng, spread=0.3)
    k = 3
    mu, sd = xs.mean(0), xs.std(0)
    z = (xs - mu) / sd
    # Softmax classifier on the normalised features, trained on the source.
    wv = np.zeros((3, k))
    for _ in range(p.steps):
        lg = np.c_[z, np.ones(len(z))] @ wv
        pr = np.exp(lg - lg.max(1, keepdims=True))
        pr /= pr.sum(1, keepdims=True)
        wv -= 0.5 * np.c_[z, np.ones(len(z))].T @ (pr - np.eye(k)[ys]) / len(z)
    # Target: rotated a little, scaled and shifted.
    xt, yt = toy_data("blobs", p.n, 0.0, 3, rng, spread=0.3)
    xt = xt * np.array([1.6, 0.7]) + p.shift * np.array([0.8, -0.5])

    def predict(x: np.ndarray, m: np.ndarray, s: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        h = (x - m) / s * gamma + beta
        lg = np.c_[h, np.ones(len(h))] @ wv
        pr = np.exp(lg - lg.max(1, keepdims=True))
        return np.asarray(pr / pr.sum(1, keepdims=True))

    def entropy(pr: np.ndarray) -> float:
        return float(np.mean(-(pr * np.log(pr + 1e-12)).sum(1)))

    one, zero = np.ones(2), np.zeros(2)
    p_src = predict(xt, mu, sd, one, zero)
    mt, st = xt.mean(0), xt.std(0)
    gamma, beta = one.copy(), zero.copy()
    hstep = 1e-5
    for _ in range(p.rounds):  # Tent: gradient descent on the mean entropy over gamma, beta
        theta = np.r_[gamma, beta]
        grad = np.zeros(4)
        for i in range(4):
            e = np.zeros(4)
            e[i] = hstep
            hi, lo = theta + e, theta - e
            grad[i] = (entropy(predict(xt, mt, st, hi[:2], hi[2:])) - entropy(predict(xt, mt, st, lo[:2], lo[2:]))) / (2 * hstep)
        theta = theta - p.lr * grad
        gamma, beta = theta[:2], theta[2:]
    p_norm = predict(xt, mt, st, one, zero)
    p_tent = predict(xt, mt, st, gamma, beta)
    gx, gy, g = _grid(np.r_[xt, xs], p.grid, pad=0.05)
    lab0 = np.argmax(predict(g, mu, sd, one, zero), 1).reshape(gy.size, gx.size)
    lab1 = np.argmax(predict(g, mt, st, gamma, beta), 1).reshape(gy.size, gx.size)
    return {
        "grid_x": gx, "grid_y": gy, "points": np.stack([xt, xt]), "classes": np.stack([yt, yt]),
        "source_points": xs, "regions": np.stack([lab0, lab1]),
        "acc_source_train": float(np.mean(np.argmax(predict(xs, mu, sd, one, zero), 1) == ys)),
        "acc_source": float(np.mean(np.argmax(p_src, 1) == yt)), "acc_tent": float(np.mean(np.argmax(p_tent, 1) == yt)),
        "acc_norm_only": float(np.mean(np.argmax(p_norm, 1) == yt)), "entropy_norm_only": entropy(p_norm),
        "entropy_source": entropy(p_src), "entropy_tent": entropy(p_tent),
    }


def _distil_train(pts: np.ndarray, labels: np.ndarray, steps: int, lr: float) -> np.ndarray:
    """Logistic regression trained from zero by ``steps`` gradient steps on a tiny set."""
    a = np.c_[pts, np.ones(len(pts))]
    w = np.zeros(3)
    for _ in range(steps):
        w = w - lr * a.T @ (_sigmoid(a @ w) - labels) / len(pts)
    return w


def _dataset_distillation(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    x, y = _two_gauss(p.n, rng, gap=2.0, spread=0.7, angle=-0.9)
    yf = y.astype(float)
    labels = np.array([0.0, 1.0])
    inner = 20

    def full_loss(w: np.ndarray) -> float:
        z = _lin(w, x)
        return float(np.mean(np.logaddexp(0, z) - yf * z))

    def outer(v: np.ndarray) -> float:
        return full_loss(_distil_train(v.reshape(2, 2), labels, inner, p.lr))

    v = np.r_[x[y == 0][0], x[y == 1][0]].astype(float)  # start from one real point per class
    start = v.copy()
    h = 1e-4
    for _ in range(p.steps):  # finite-difference gradient through the unrolled inner steps
        g = np.array([(outer(v + h * e) - outer(v - h * e)) / (2 * h) for e in np.eye(4)])
        v = v - 0.5 * g
    w_syn = _distil_train(v.reshape(2, 2), labels, inner, p.lr)
    w_full = logistic_newton(x, yf)
    rand_acc = []
    for _ in range(p.repeats):
        pair = np.r_[x[rng.choice(np.flatnonzero(y == 0))], x[rng.choice(np.flatnonzero(y == 1))]]
        rand_acc.append(float(np.mean((_lin(_distil_train(pair.reshape(2, 2), labels, inner, p.lr), x) > 0) == y)))
    gx, gy, g = _grid(np.r_[x, v.reshape(2, 2)], p.grid, pad=0.05)
    return {
        "grid_x": gx, "grid_y": gy, "points": x, "classes": y, "synthetic": v.reshape(2, 2), "start": start.reshape(2, 2),
        "moves": np.stack([start.reshape(2, 2), v.reshape(2, 2)], axis=1),
        "score": _lin(w_syn, g).reshape(gy.size, gx.size), "reference": _lin(w_full, g).reshape(gy.size, gx.size),
        "acc_synthetic": float(np.mean((_lin(w_syn, x) > 0) == y)), "acc_full": float(np.mean((_lin(w_full, x) > 0) == y)),
        "acc_random_pairs": float(np.median(rand_acc)), "loss_synthetic": full_loss(w_syn), "loss_full": full_loss(w_full),
        "loss_start": outer(start),
    }


def _irm_env(n: int, agree: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = (rng.random(n) < 0.5).astype(int)
    sign = 2.0 * y - 1.0
    x1 = sign + rng.normal(size=n)  # invariant: the same law in every environment
    x2 = np.where(rng.random(n) < agree, sign, -sign) + 0.3 * rng.normal(size=n)  # spurious
    return np.c_[x1, x2], y


def _irm(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """ERM and IRMv1 over linear predictors f = s (cos a x1 + sin a x2), minimised on a grid of
    directions a and scales s (the data are symmetric, so no bias)."""
    envs = [_irm_env(p.n // 2, p.label_freq, rng), _irm_env(p.n // 2, p.label_freq - 0.1, rng)]
    xt, yt = _irm_env(2000, 1.0 - p.label_freq, rng)
    angles = np.radians(np.linspace(-90, 90, 121))
    scales = np.geomspace(0.05, 8.0, 30)
    risk = np.zeros((angles.size, scales.size))
    pen = np.zeros_like(risk)
    for x, y in envs:
        proj = np.cos(angles)[:, None] * x[:, 0][None] + np.sin(angles)[:, None] * x[:, 1][None]  # (A, n)
        f = scales[None, :, None] * proj[:, None, :]  # (A, S, n)
        risk += np.mean(np.logaddexp(0, f) - y * f, axis=2)
        pen += np.mean((_sigmoid(f) - y) * f, axis=2) ** 2  # IRMv1: squared gradient wrt a scalar at 1
    i_erm = np.unravel_index(np.argmin(risk), risk.shape)
    i_irm = np.unravel_index(np.argmin(risk + p.sigma * pen), risk.shape)

    def theta(ix: tuple[np.intp, ...]) -> np.ndarray:
        a, sc = angles[ix[0]], scales[ix[1]]
        return np.array([sc * np.cos(a), sc * np.sin(a), 0.0])

    t_erm, t_irm = theta(i_erm), theta(i_irm)
    x_all = np.concatenate([e[0] for e in envs])
    y_all = np.concatenate([e[1] for e in envs])
    m = min(240, len(x_all))
    show = rng.choice(len(x_all), m, replace=False)
    gx, gy, g = _grid(np.r_[x_all[show], xt[:m]], p.grid, pad=0.02)
    return {
        "grid_x": gx, "grid_y": gy, "points": np.stack([x_all[show], xt[:m]]), "classes": np.stack([y_all[show], yt[:m]]),
        "score": np.stack([_lin(t_erm, g).reshape(gy.size, gx.size), _lin(t_irm, g).reshape(gy.size, gx.size)]),
        "erm": _lin(t_erm, g).reshape(gy.size, gx.size),
        "angle_erm": float(np.degrees(angles[i_erm[0]])), "angle_irm": float(np.degrees(angles[i_irm[0]])),
        "train_erm": float(np.mean((_lin(t_erm, x_all) > 0) == y_all)), "train_irm": float(np.mean((_lin(t_irm, x_all) > 0) == y_all)),
        "test_erm": float(np.mean((_lin(t_erm, xt) > 0) == yt)), "test_irm": float(np.mean((_lin(t_irm, xt) > 0) == yt)),
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


def _dann_fit(xs: np.ndarray, ys: np.ndarray, xt: np.ndarray, lam: float, p: PlaneParams,
              rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    """A 1-D linear feature h = a x with a logistic label head (b, c) on the source and a logistic
    domain head (e, f) on both domains; gradient descent, the domain gradient reversed (times
    ``lam``) on its way into a.  lam = 0: source-only training.  Returns a, b, c."""
    n = len(xs)
    xd = np.r_[xs, xt]
    d = np.r_[np.zeros(n), np.ones(len(xt))]
    a = np.array([1.0, 0.0]) + 0.1 * rng.normal(size=2)
    b, c, e, f = 1.0, 0.0, 0.0, 0.0
    for _ in range(p.steps):
        hs, hd = xs @ a, xd @ a
        gy = (_sigmoid(b * hs + c) - ys) / n
        gd = (_sigmoid(e * hd + f) - d) / len(xd)
        ga = (gy * b) @ xs - lam * (gd * e) @ xd
        b, c = b - p.lr * float(gy @ hs), c - p.lr * float(gy.sum())
        e, f = e - p.lr * float(gd @ hd), f - p.lr * float(gd.sum())
        a = a - p.lr * ga
    return a, b, c


def _domain_adversarial(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    def draw() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        ys = rng.integers(0, 2, p.n)
        yt = rng.integers(0, 2, p.n)
        mean = np.array([[-1.0, -0.6], [1.0, 0.6]])
        xs = mean[ys] + 0.5 * rng.normal(size=(p.n, 2))
        xt = mean[yt] + 0.5 * rng.normal(size=(p.n, 2)) + np.array([0.0, p.shift])
        return xs, ys.astype(float), xt, yt

    def score(fit: tuple[np.ndarray, float, float], x: np.ndarray) -> np.ndarray:
        a, b, c = fit
        return np.asarray(b * (x @ a) + c)

    def angle(fit: tuple[np.ndarray, float, float]) -> float:
        a = fit[0] * np.sign(fit[0][0])
        return float(np.degrees(np.arctan2(a[1], a[0])))

    stats = np.zeros((p.repeats, 4))
    for r in range(p.repeats):
        xs, ys, xt, yt = draw()
        fits = [_dann_fit(xs, ys, xt, lam, p, rng) for lam in (0.0, p.sigma)]
        stats[r] = [np.mean((score(fits[0], xt) > 0) == yt), np.mean((score(fits[1], xt) > 0) == yt),
                    angle(fits[0]), angle(fits[1])]
    xs, ys, xt, yt = draw()
    fits = [_dann_fit(xs, ys, xt, lam, p, rng) for lam in (0.0, p.sigma)]
    gx, gy, g = _grid(np.r_[xt, xs], p.grid, pad=0.05)
    regions = np.stack([(score(fit, g) > 0).astype(int).reshape(gy.size, gx.size) for fit in fits])
    return {
        "grid_x": gx, "grid_y": gy, "points": np.stack([xt, xt]), "classes": np.stack([yt, yt]),
        "source_points": xs, "regions": regions,
        "acc_source_only": float(np.mean((score(fits[0], xt) > 0) == yt)),
        "acc_dann": float(np.mean((score(fits[1], xt) > 0) == yt)),
        "acc_source_train": float(np.mean((score(fits[1], xs) > 0) == ys)),
        "median_acc_source_only": float(np.median(stats[:, 0])), "median_acc_dann": float(np.median(stats[:, 1])),
        "median_angle_source_only": float(np.median(stats[:, 2])), "median_angle_dann": float(np.median(stats[:, 3])),
    }


_EXPERIMENTS = {
    "label-propagation": _label_propagation, "low-density": _low_density, "active-learning": _active_learning,
    "pu-learning": _pu_learning, "diverse-density": _diverse_density,
    "prototypes": _prototypes, "k-center": _k_center, "tent": _tent, "dataset-distillation": _dataset_distillation,
    "irm": _irm, "co-training": _co_training, "domain-adversarial": _domain_adversarial,
}


@recipe("paradigm-plane", PlaneParams)
def paradigm_plane(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """A learning paradigm on a seeded 2-D toy set, named by ``experiment`` (module docstring)."""
    return _EXPERIMENTS[p.experiment](p, rng)


# -- search without gradients: one recipe, ``paradigm-search`` ------------------------------------------------
#
# - ``random-search`` (Bergstra & Bengio 2012): f(x, y) = g(x) + 0.1 h(y), g a narrow peak; a 3 x 3
#   grid against 9 uniform draws.  ``surface``, ``grid_pts``, ``random_pts``, their shadows on the
#   x axis in a strip below the square (``grid_shadow``, ``random_shadow``), ``g_path`` (g drawn in
#   the strip); scalars ``best_grid``, ``best_random`` (medians over ``repeats`` draws of the peak),
#   ``distinct_grid``, ``distinct_random``.
# - ``cma-es`` (Hansen & Ostermeier 2001): (mu/mu_w, lambda)-CMA-ES on the Rosenbrock function;
#   ``mean_path``, ``ellipses`` (S, 65, 2: mean +/- 2 sigma C^1/2 at the ``snapshots``), ``clouds``;
#   scalars ``final_f``, ``align_deg`` (median angle between C's long axis and the valley floor at
#   the snapshots after the first), ``axis_ratio`` (largest).
# - ``es`` (Salimans et al. 2017): antithetic Gaussian perturbations, rank-shaped fitness, on a bowl
#   with ripples; ``mean_path``, ``gd_path`` (gradient descent from the same start), ``clouds``
#   (S, lambda, 2); scalars ``f_es``, ``f_gd``, ``dist_es`` (to the global minimum), ``cos_smooth``
#   (median cosine between the ES step and the smoothed function's negative gradient).
# - ``novelty`` (Lehman & Stanley 2011): a deceptive cup on [-1, 1]^2 (three walls, opening away
#   from the goal); (mu + mu) search with ``population`` points, Gaussian steps ``sigma``, a step
#   through a wall refused, selected by closeness to the goal or by novelty (mean distance to the
#   10 nearest, with an archive); ``surface`` (distance to the goal), ``walls`` (1, 4, 2),
#   ``goal``, ``start_pt``, ``seen_novelty``, ``seen_objective`` (offspring of every 5th generation
#   of one run each); scalars over ``repeats`` runs: ``median_best_*`` (closest approach),
#   ``min_best_objective``, ``success_*`` (share of runs within 0.1 of the goal).

SearchExperiment = Literal["random-search", "cma-es", "es", "novelty"]


class SearchParams(Params):
    """Knobs of the search experiments."""

    experiment: SearchExperiment
    generations: int = Field(60, ge=1, le=2000)
    population: int = Field(8, ge=2, le=200)
    sigma: float = Field(0.5, ge=1e-3, le=5.0)
    lr: float = Field(0.1, ge=1e-4, le=10.0)
    snapshots: tuple[int, ...] = Field((0, 10, 20, 40), min_length=1, max_length=8)
    start: tuple[float, float] = (-1.5, 2.0)
    trials: int = Field(9, ge=1, le=100)
    repeats: int = Field(200, ge=1, le=5000)
    grid: int = Field(80, ge=20, le=200)


def _rosen(x: np.ndarray) -> np.ndarray:
    return np.asarray((1 - x[..., 0]) ** 2 + 100 * (x[..., 1] - x[..., 0] ** 2) ** 2)


def _random_search(p: SearchParams, rng: np.random.Generator) -> Arrays:
    def g_of(x: np.ndarray, a: float) -> np.ndarray:
        return np.asarray(np.exp(-((x - a) ** 2) / (2 * 0.06 ** 2)))

    def h_of(y: np.ndarray, b: float) -> np.ndarray:
        return np.asarray(np.cos(3 * np.pi * (y - b)))

    side = int(round(np.sqrt(p.trials)))
    ticks = (np.arange(side) + 0.5) / side
    gp = np.array([(a, b) for a in ticks for b in ticks])
    best_g, best_r = [], []
    for _ in range(p.repeats):
        a = float(rng.uniform(0.05, 0.95))
        rp = rng.uniform(0, 1, (side * side, 2))
        best_g.append(float(g_of(gp[:, 0], a).max()))
        best_r.append(float(g_of(rp[:, 0], a).max()))
    a, b = float(rng.uniform(0.05, 0.95)), float(rng.uniform(0, 1))
    rp = rng.uniform(0, 1, (side * side, 2))
    gx = np.linspace(0, 1, p.grid)
    gy = np.linspace(-0.4, 1, int(p.grid * 1.4))
    xx, yy = np.meshgrid(gx, gy)
    surf = np.where(yy >= 0, g_of(xx, a) + 0.1 * h_of(yy, b), np.nan)
    base = -0.36
    return {
        "grid_x": gx, "grid_y": gy, "surface": surf, "grid_pts": gp, "random_pts": rp,
        "grid_shadow": np.c_[gp[:, 0], np.full(len(gp), base)], "random_shadow": np.c_[rp[:, 0], np.full(len(rp), base)],
        "g_path": np.c_[gx, base + 0.28 * g_of(gx, a)], "peak": np.array([[a, base + 0.28]]),
        "best_grid": float(np.median(best_g)), "best_random": float(np.median(best_r)),
        "distinct_grid": float(len(np.unique(np.round(gp[:, 0], 9)))), "distinct_random": float(len(np.unique(rp[:, 0]))),
        "plate_best_grid": float(g_of(gp[:, 0], a).max()), "plate_best_random": float(g_of(rp[:, 0], a).max()),
    }


def _cma_es(p: SearchParams, rng: np.random.Generator) -> Arrays:
    n, lam = 2, p.population
    mu = lam // 2
    wts = np.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
    wts /= wts.sum()
    mueff = 1 / np.sum(wts ** 2)
    cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n)
    cs = (mueff + 2) / (n + mueff + 5)
    c1 = 2 / ((n + 1.3) ** 2 + mueff)
    cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff))
    damps = 1 + 2 * max(0.0, np.sqrt((mueff - 1) / (n + 1)) - 1) + cs
    chin = np.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
    m = np.array(p.start, float)
    sigma = p.sigma
    c = np.eye(n)
    pc, ps = np.zeros(n), np.zeros(n)
    means, ellipses, clouds, aligns, ratios = [m.copy()], [], [], [], []
    ang = np.linspace(0, 2 * np.pi, 65)
    circle = np.c_[np.cos(ang), np.sin(ang)]
    fbest = np.inf
    for gen in range(p.generations):
        evals, evecs = np.linalg.eigh(c)
        dvec = np.sqrt(np.maximum(evals, 1e-20))
        z = rng.normal(size=(lam, n))
        y = (z * dvec) @ evecs.T
        x = m + sigma * y
        f = _rosen(x)
        order = np.argsort(f)
        fbest = min(fbest, float(f[order[0]]))
        if gen in p.snapshots:
            ellipses.append(m + 2 * sigma * (circle * dvec) @ evecs.T)
            clouds.append(x)
            long_axis = evecs[:, -1]
            valley = np.array([1.0, 2 * m[0]]) / np.hypot(1.0, 2 * m[0])
            aligns.append(float(np.degrees(np.arccos(min(1.0, abs(long_axis @ valley))))))
            ratios.append(float(dvec[-1] / dvec[0]))
        yw = wts @ y[order[:mu]]
        m = m + sigma * yw
        inv_sqrt = evecs @ np.diag(1 / dvec) @ evecs.T
        ps = (1 - cs) * ps + np.sqrt(cs * (2 - cs) * mueff) * inv_sqrt @ yw
        hsig = float(np.linalg.norm(ps) / np.sqrt(1 - (1 - cs) ** (2 * (gen + 1))) / chin < 1.4 + 2 / (n + 1))
        pc = (1 - cc) * pc + hsig * np.sqrt(cc * (2 - cc) * mueff) * yw
        ysel = y[order[:mu]]
        c = ((1 - c1 - cmu) * c + c1 * (np.outer(pc, pc) + (1 - hsig) * cc * (2 - cc) * c)
             + cmu * (ysel.T * wts) @ ysel)
        sigma *= float(np.exp((cs / damps) * (np.linalg.norm(ps) / chin - 1)))
        means.append(m.copy())
    mp = np.array(means)
    gx = np.linspace(-2.0, 2.0, p.grid)
    gy = np.linspace(-1.0, 3.0, p.grid)
    xx, yy = np.meshgrid(gx, gy)
    return {
        "grid_x": gx, "grid_y": gy, "surface": _rosen(np.stack([xx, yy], -1)) + 1e-3, "mean_path": mp,
        "ellipses": np.array(ellipses), "clouds": np.concatenate(clouds), "final_f": float(_rosen(mp[-1])),
        "best_f": fbest, "align_deg": float(np.median(aligns[1:])) if len(aligns) > 1 else float(aligns[0]),
        "axis_ratio": float(max(ratios)), "optimum": np.array([[1.0, 1.0]]), "start_f": float(_rosen(mp[0])),
    }


def _ripples(x: np.ndarray) -> np.ndarray:
    r2 = x[..., 0] ** 2 + x[..., 1] ** 2
    return np.asarray(r2 + 0.35 * (2 - np.cos(6 * x[..., 0]) - np.cos(6 * x[..., 1])))


def _ripples_grad(x: np.ndarray) -> np.ndarray:
    return np.array([2 * x[0] + 0.35 * 6 * np.sin(6 * x[0]), 2 * x[1] + 0.35 * 6 * np.sin(6 * x[1])])


def _es(p: SearchParams, rng: np.random.Generator) -> Arrays:
    half = p.population // 2
    theta = np.array(p.start, float)
    path, clouds, coss = [theta.copy()], [], []
    s2 = p.sigma ** 2
    for gen in range(p.generations):
        eps = rng.normal(size=(half, 2))
        eps = np.r_[eps, -eps]
        pts = theta + p.sigma * eps
        f = _ripples(pts)
        ranks = np.empty(len(f))
        ranks[np.argsort(f)] = np.arange(len(f))
        shaped = ranks / (len(f) - 1) - 0.5  # centred ranks: the best gets -0.5
        step = -p.lr / (len(f) * p.sigma) * (shaped @ eps)
        # Gradient of the Gaussian-smoothed function, exact for this f.
        damp = np.exp(-18 * s2)
        sm_grad = np.array([2 * theta[0] + 0.35 * 6 * damp * np.sin(6 * theta[0]),
                            2 * theta[1] + 0.35 * 6 * damp * np.sin(6 * theta[1])])
        if np.linalg.norm(sm_grad) > 1e-9 and np.linalg.norm(step) > 1e-12:
            coss.append(float(-(step @ sm_grad) / (np.linalg.norm(step) * np.linalg.norm(sm_grad))))
        if gen in p.snapshots:
            clouds.append(pts)
        theta = theta + step
        path.append(theta.copy())
    gd = np.array(p.start, float)
    gd_path = [gd.copy()]
    for _ in range(p.generations):
        gd = gd - 0.05 * _ripples_grad(gd)
        gd_path.append(gd.copy())
    gx = np.linspace(-2.2, 2.2, p.grid)
    gy = np.linspace(-2.2, 2.2, p.grid)
    xx, yy = np.meshgrid(gx, gy)
    mp, gp = np.array(path), np.array(gd_path)
    glob = np.zeros(2)  # the global minimum: the bowl's centre sits in a trough of the ripples
    return {
        "grid_x": gx, "grid_y": gy, "surface": _ripples(np.stack([xx, yy], -1)), "mean_path": mp, "gd_path": gp,
        "clouds": np.concatenate(clouds), "global_min": glob[None], "f_es": float(_ripples(mp[-1])),
        "f_gd": float(_ripples(gp[-1])), "dist_es": float(np.linalg.norm(mp[-1] - glob)),
        "dist_gd": float(np.linalg.norm(gp[-1] - glob)), "cos_smooth": float(np.median(coss)),
    }


_WALLS = np.array([[[-0.5, -0.7], [-0.5, 0.3]], [[-0.5, 0.3], [0.5, 0.3]], [[0.5, 0.3], [0.5, -0.7]]])
_GOAL = np.array([0.0, 0.8])


def _crosses_wall(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True where the step a -> b (n, 2) crosses one of the cup's wall segments."""
    def orient(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.asarray(np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                                  - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])))
    hit = np.zeros(len(a), bool)
    for w0, w1 in _WALLS:
        hit |= (orient(a, b, w0) != orient(a, b, w1)) & (orient(w0[None], w1[None], a) != orient(w0[None], w1[None], b))
    return hit


def _novelty_run(novelty: bool, p: SearchParams, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """One (mu + mu) search from ``start`` inside the cup: Gaussian steps of ``sigma`` (a step through
    a wall is refused), selection by closeness to the goal or by novelty (mean distance to the 10
    nearest of population, offspring and archive; one random individual archived per generation).
    Returns the closest approach to the goal and the offspring of every 5th generation."""
    mu = p.population
    pop = np.array(p.start, float) + 0.01 * rng.normal(size=(mu, 2))
    archive = np.zeros((0, 2))
    seen = [pop]
    best = float(np.min(np.linalg.norm(pop - _GOAL, axis=1)))
    for g in range(p.generations):
        kids = np.clip(pop + p.sigma * rng.normal(size=pop.shape), -1.0, 1.0)
        bad = _crosses_wall(pop, kids)
        kids[bad] = pop[bad]
        both = np.r_[pop, kids]
        if novelty:
            ref = np.r_[both, archive]
            dist = np.linalg.norm(both[:, None] - ref[None], axis=2)
            score = np.sort(dist, axis=1)[:, 1:11].mean(axis=1)
            archive = np.r_[archive, both[rng.choice(len(both), 1)]]
        else:
            score = -np.linalg.norm(both - _GOAL, axis=1)
        pop = both[np.argsort(-score)[:mu]]
        best = min(best, float(np.min(np.linalg.norm(kids - _GOAL, axis=1))))
        if g % 5 == 4:
            seen.append(kids)
    return best, np.concatenate(seen)


def _novelty(p: SearchParams, rng: np.random.Generator) -> Arrays:
    bests = np.array([[_novelty_run(nov, p, rng)[0] for _ in range(p.repeats)] for nov in (True, False)])
    best_nov, seen_nov = _novelty_run(True, p, rng)
    best_obj, seen_obj = _novelty_run(False, p, rng)
    gx = np.linspace(-1.0, 1.0, p.grid)
    xx, yy = np.meshgrid(gx, gx)
    return {
        "grid_x": gx, "grid_y": gx, "surface": np.hypot(xx - _GOAL[0], yy - _GOAL[1]),
        "walls": np.r_[_WALLS[:, 0], _WALLS[-1:, 1]][None], "goal": _GOAL[None],
        "start_pt": np.array([p.start], float), "seen_novelty": seen_nov, "seen_objective": seen_obj,
        "best_novelty": best_nov, "best_objective": best_obj,
        "median_best_novelty": float(np.median(bests[0])), "median_best_objective": float(np.median(bests[1])),
        "min_best_objective": float(bests[1].min()),
        "success_novelty": float(np.mean(bests[0] < 0.1)), "success_objective": float(np.mean(bests[1] < 0.1)),
    }


_SEARCH = {"random-search": _random_search, "cma-es": _cma_es, "es": _es, "novelty": _novelty}


@recipe("paradigm-search", SearchParams)
def paradigm_search(p: SearchParams, rng: np.random.Generator) -> Arrays:
    """Derivative-free search on a closed-form 2-D function, named by ``experiment`` (see the
    comment above :data:`_SEARCH`)."""
    return _SEARCH[p.experiment](p, rng)
