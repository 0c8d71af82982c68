"""Robustness on the plane: attacks, defences and shifts of two-class problems, computed on small models.

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
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.robustness import _stats

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
