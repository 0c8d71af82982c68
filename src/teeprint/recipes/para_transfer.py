"""``paradigm-plane`` experiments on what to learn from and where it transfers: multiple-instance
learning by diverse density, prototypical networks, k-center coresets, dataset distillation, and
three answers to a shifted domain (test-time entropy minimisation, invariant risk minimisation,
domain-adversarial training).  Registered through :mod:`teeprint.recipes.paradigms`, which imports
this module.
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
