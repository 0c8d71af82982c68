"""The ``path-plane`` recipe: pathologies of classifiers on the plane (shortcuts, simplicity
bias, class imbalance, underspecification, bias amplification, data ordering, weight-space
permutations), each with logistic regression or a small tanh MLP.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.path_base import F

# == path-plane: pathologies of classifiers on the plane ================================================================
#
# Every experiment returns ``grid_x``, ``grid_y`` and, per panel i, ``score_<i>`` (the model's
# logit on the grid), ``points_<i>`` and ``classes_<i>`` (the points shown in that panel), plus
# its accuracies as scalars.  Models are logistic regression or a one-hidden-layer tanh MLP,
# both by full-batch gradient descent on the mean logistic loss.


class PlaneParams(Params):
    """Which plane experiment, and its knobs (each experiment's docstring says its use)."""

    experiment: Literal["shortcut", "simplicity", "imbalance", "underspecification", "amplification",
                        "ordering", "permutation"]
    n: int = Field(400, ge=20, le=5000, description="training points")
    hidden: int = Field(32, ge=2, le=256, description="hidden units of the MLP")
    steps: int = Field(2000, ge=10, le=50000)
    lr: float = Field(0.5, gt=0.0, le=20.0)
    noise: float = Field(0.5, ge=0.0, le=5.0, description="noise of the data")
    ratio: float = Field(0.05, gt=0.0, le=0.5, description="imbalance: share of the minority class")
    models: int = Field(4, ge=1, le=8, description="underspecification: networks from different seeds")
    grid: int = Field(80, ge=20, le=200)
    extent: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0)


def _fit_mlp(x: F, y01: F, hidden: int, steps: int, lr: float, rng: np.random.Generator,
             weights: F | None = None) -> Callable[[F], F]:
    """A one-hidden-layer tanh MLP fitted by full-batch gradient descent on the (optionally
    weighted) mean logistic loss; returns its logit function."""
    n, d = x.shape
    w1 = rng.normal(size=(d, hidden)) / math.sqrt(d)
    b1 = rng.normal(size=hidden) * 0.1
    w2 = rng.normal(size=hidden) / math.sqrt(hidden)
    b2 = 0.0
    sw = np.ones(n) / n if weights is None else weights / weights.sum()
    for _ in range(steps):
        a = np.tanh(x @ w1 + b1)
        z = a @ w2 + b2
        g = (1.0 / (1.0 + np.exp(-z)) - y01) * sw
        ga = np.outer(g, w2) * (1 - a**2)
        w2 = w2 - lr * a.T @ g
        b2 = b2 - lr * float(g.sum())
        w1 = w1 - lr * x.T @ ga
        b1 = b1 - lr * ga.sum(0)

    def logit(q: F) -> F:
        return np.tanh(q @ w1 + b1) @ w2 + b2
    return logit


def _fit_logreg(x: F, y01: F, steps: int, lr: float, weights: F | None = None) -> Callable[[F], F]:
    """Logistic regression with a bias by full-batch gradient descent from zero."""
    n, d = x.shape
    w = np.zeros(d)
    b = 0.0
    sw = np.ones(n) / n if weights is None else weights / weights.sum()
    for _ in range(steps):
        g = (1.0 / (1.0 + np.exp(-(x @ w + b))) - y01) * sw
        w = w - lr * x.T @ g
        b = b - lr * float(g.sum())

    def logit(q: F) -> F:
        return q @ w + b
    return logit


def _grid(p: PlaneParams) -> tuple[F, F, F]:
    gx = np.linspace(p.extent[0], p.extent[1], p.grid)
    gy = np.linspace(p.extent[2], p.extent[3], p.grid)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.c_[xx.ravel(), yy.ravel()]


def _acc(fn: Callable[[F], F], x: F, y01: F) -> float:
    return float(np.mean((fn(x) > 0) == (y01 > 0.5)))


def _pl_shortcut(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Shortcut learning (Geirhos et al. 2020).  The core feature x1 separates the classes
    with overlap (means +-1, sd ``noise``); in training a second feature x2 = +-1.5 (+ small
    noise) copies the label exactly - a spurious cue with the wider margin.  Logistic
    regression (``steps`` steps of ``lr``) leans on the cue; on test data where the cue is
    reversed it fails, while the same model fitted on x1 alone would not.  Panels: 0 the
    training set, 1 the test set with the cue reversed, both under the same model."""
    n = p.n
    gx, gy, g = _grid(p)

    def draw(m: int, cue_sign: float) -> tuple[F, F]:
        y = (np.arange(m) % 2).astype(float)
        s = 2 * y - 1
        x1 = s + p.noise * rng.normal(size=m)
        x2 = cue_sign * 1.5 * s + 0.2 * rng.normal(size=m)
        return np.c_[x1, x2], y

    xtr, ytr = draw(n, 1.0)
    xte, yte = draw(n, -1.0)
    model = _fit_logreg(xtr, ytr, p.steps, p.lr)
    core = _fit_logreg(xtr[:, :1], ytr, p.steps, p.lr)
    w = model(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    return {"grid_x": gx, "grid_y": gy,
            "score_0": model(g).reshape(p.grid, p.grid), "score_1": model(g).reshape(p.grid, p.grid),
            "points_0": xtr, "classes_0": ytr.astype(int), "points_1": xte, "classes_1": yte.astype(int),
            "train_acc": _acc(model, xtr, ytr), "test_acc": _acc(model, xte, yte),
            "core_test_acc": _acc(core, xte[:, :1], yte),
            "weight_core": float(w[0] - w[2]), "weight_cue": float(w[1] - w[2])}


def _pl_simplicity(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """The pitfall of simplicity bias (Shah et al. 2020): x1 is a linear feature with a small
    margin (class sign * U[0.1, 1]) and x2 a three-slab feature with a large margin (class 1
    in the middle slab |x2| < 0.5, class 0 in the outer slabs 1 < |x2| < 2); each alone
    separates the data perfectly.  A tanh MLP (``hidden`` units, ``steps`` full-batch GD
    steps of ``lr``) fits the data with a boundary across x1 only: shuffling x1 between test
    points drops its accuracy to chance, shuffling x2 leaves it unchanged.  Panels: 0 the
    training set, 1 test points with x1 shuffled."""
    n = p.n
    gx, gy, g = _grid(p)

    def draw(m: int) -> tuple[F, F]:
        y = (np.arange(m) % 2).astype(float)
        s = 2 * y - 1
        x1 = s * rng.uniform(0.1, 1.0, m)
        mid = rng.uniform(-0.5, 0.5, m)
        outer = rng.choice([-1.0, 1.0], m) * rng.uniform(1.0, 2.0, m)
        x2 = np.where(y == 1, mid, outer)
        return np.c_[x1, x2], y

    xtr, ytr = draw(n)
    xte, yte = draw(n)
    model = _fit_mlp(xtr, ytr, p.hidden, p.steps, p.lr, rng)
    shuf1 = xte.copy()
    shuf1[:, 0] = rng.permutation(shuf1[:, 0])
    shuf2 = xte.copy()
    shuf2[:, 1] = rng.permutation(shuf2[:, 1])
    s = model(g).reshape(p.grid, p.grid)
    return {"grid_x": gx, "grid_y": gy, "score_0": s, "score_1": s,
            "points_0": xtr, "classes_0": ytr.astype(int), "points_1": shuf1, "classes_1": yte.astype(int),
            "train_acc": _acc(model, xtr, ytr), "test_acc": _acc(model, xte, yte),
            "acc_x1_shuffled": _acc(model, shuf1, yte), "acc_x2_shuffled": _acc(model, shuf2, yte)}


def _pl_imbalance(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Class imbalance (He & Garcia 2009): two Gaussian classes (means (+-1, 0), sd ``noise``)
    with a ``ratio`` share of the minority class 1.  Logistic regression on the plain mean
    loss puts its boundary deep inside the minority class; weighting each class's points by
    the inverse class frequency moves it back between the classes.  Panels: 0 plain, 1
    reweighted, both on the same training set; recalls measured on a fresh balanced set."""
    n = p.n
    gx, gy, g = _grid(p)
    y = (rng.random(n) < p.ratio).astype(float)
    x = np.c_[np.where(y == 1, 1.0, -1.0), np.zeros(n)] + p.noise * rng.normal(size=(n, 2))
    wts = np.where(y == 1, 1.0 / max(y.mean(), 1e-9), 1.0 / max(1 - y.mean(), 1e-9))
    plain = _fit_logreg(x, y, p.steps, p.lr)
    weighted = _fit_logreg(x, y, p.steps, p.lr, wts)
    yt = (np.arange(4000) % 2).astype(float)
    xt = np.c_[np.where(yt == 1, 1.0, -1.0), np.zeros(4000)] + p.noise * rng.normal(size=(4000, 2))

    def recall(fn: Callable[[F], F], cls: int) -> float:
        pred = fn(xt) > 0
        return float(np.mean(pred[yt == cls] == bool(cls)))

    def crossing(fn: Callable[[F], F]) -> float:
        # where the boundary crosses the x1 axis
        a, b = fn(np.array([[0.0, 0.0]]))[0], fn(np.array([[1.0, 0.0]]))[0]
        return float(-a / (b - a))

    return {"grid_x": gx, "grid_y": gy, "score_0": plain(g).reshape(p.grid, p.grid),
            "score_1": weighted(g).reshape(p.grid, p.grid), "points_0": x, "classes_0": y.astype(int),
            "points_1": x, "classes_1": y.astype(int), "minority_share": float(y.mean()),
            "recall_minority_plain": recall(plain, 1), "recall_minority_weighted": recall(weighted, 1),
            "recall_majority_plain": recall(plain, 0), "recall_majority_weighted": recall(weighted, 0),
            "cross_plain": crossing(plain), "cross_weighted": crossing(weighted)}


def _pl_underspecification(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Underspecification (D'Amour et al. 2022): ``models`` tanh MLPs that differ only in
    their random initialisation, each fitted by the same gradient descent to the same
    training set (two Gaussian blobs at -+(1, 1), sd ``noise``).  All reach the same training
    accuracy and agree on fresh data from the same blobs, yet in the two empty corners off
    the data's diagonal (points within 1 of (-2, 2) and (2, -2)) their boundaries part ways.
    Panels: models 0..; ``vote`` is the share of models calling class 1 on the grid."""
    n = p.n
    gx, gy, g = _grid(p)

    def blobs(m: int) -> tuple[F, F]:
        yy = (np.arange(m) % 2).astype(float)
        return np.where(yy[:, None] == 1, 1.0, -1.0) * np.ones((m, 2)) + p.noise * rng.normal(size=(m, 2)), yy

    x, y = blobs(n)
    xin, yt = blobs(2000)
    corner = rng.uniform(-1.0, 1.0, (2000, 2))
    xout = np.r_[corner[:1000] + [-2.0, 2.0], corner[1000:] + [2.0, -2.0]]
    out: Arrays = {"grid_x": gx, "grid_y": gy}
    preds_in, preds_out, accs, grid_preds = [], [], [], []
    for i in range(p.models):
        model = _fit_mlp(x, y, p.hidden, p.steps, p.lr, rng)
        out[f"score_{i}"] = model(g).reshape(p.grid, p.grid)
        out[f"points_{i}"] = x
        out[f"classes_{i}"] = y.astype(int)
        accs.append(_acc(model, x, y))
        preds_in.append(model(xin) > 0)
        preds_out.append(model(xout) > 0)
        grid_preds.append(model(g) > 0)
    pin, pout = np.array(preds_in), np.array(preds_out)

    def disagreement(pr: F) -> float:
        m = len(pr)
        pairs = [float(np.mean(pr[a] != pr[b])) for a in range(m) for b in range(a + 1, m)]
        return float(np.mean(pairs))

    out.update({"train_acc": np.array(accs), "test_acc_in": np.array([float(np.mean(q == (yt > 0.5))) for q in pin]),
                "disagree_in": disagreement(pin), "disagree_out": disagreement(pout),
                "vote": np.mean(np.array(grid_preds), axis=0).reshape(p.grid, p.grid)})
    return out


def _pl_amplification(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Bias amplification (Zhao et al. 2017).  Each point has a weak real feature x1 (class
    means +-0.5, sd ``noise``) and a binary attribute a, drawn on the plane at height a plus a
    little jitter; in training the label is positive for a share 1 - ``ratio`` of the points
    with a = 1 and a share ``ratio`` of those with a = 0.  Logistic regression on (x1, a)
    learns the correlation and, thresholding at 1/2, predicts positive for even more of the
    a = 1 points and even fewer of the a = 0 points than the training data held.  Panels: 0
    training points, 1 fresh test points drawn the same way; same model."""
    n = p.n
    gx, gy, g = _grid(p)

    def draw(m: int) -> tuple[F, F, F]:
        a = (np.arange(m) % 2).astype(float)
        pos = np.where(a == 1, 1 - p.ratio, p.ratio)
        y = (rng.random(m) < pos).astype(float)
        x1 = np.where(y == 1, 0.5, -0.5) + p.noise * rng.normal(size=m)
        return np.c_[x1, a + 0.08 * rng.normal(size=m)], y, a

    xtr, ytr, atr = draw(n)
    xte, yte, ate = draw(4000)
    model = _fit_logreg(np.c_[xtr[:, 0], atr], ytr, p.steps, p.lr)

    def logit_plane(q: F) -> F:
        return model(np.c_[q[:, 0], np.clip(np.round(q[:, 1]), 0, 1)])

    pred = model(np.c_[xte[:, 0], ate]) > 0
    s = logit_plane(g).reshape(p.grid, p.grid)
    return {"grid_x": gx, "grid_y": gy, "score_0": s, "score_1": s,
            "points_0": xtr, "classes_0": ytr.astype(int), "points_1": xte[:600], "classes_1": yte[:600].astype(int),
            "train_pos_a1": float(ytr[atr == 1].mean()), "train_pos_a0": float(ytr[atr == 0].mean()),
            "pred_pos_a1": float(pred[ate == 1].mean()), "pred_pos_a0": float(pred[ate == 0].mean()),
            "test_pos_a1": float(yte[ate == 1].mean()), "test_acc": float(np.mean(pred == (yte > 0.5)))}


def _pl_ordering(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Example order in online gradient descent (LeCun et al. 1998, on shuffling).  Two
    Gaussian classes (means (+-1, +-0.5), sd ``noise``), logistic regression by gradient steps
    on one example at a time with a constant step ``lr`` for ``steps`` epochs, the examples presented sorted by
    class (every class-0 example, then every class-1 example) or freshly shuffled each epoch.
    Sorted, each epoch ends on a long run of class 1 that drags the boundary into class 0;
    shuffled, it settles between the classes.  Panels: 0 sorted, 1 shuffled, same points;
    recalls on 4000 fresh balanced points."""
    n = p.n
    gx, gy, g = _grid(p)

    def draw(m: int) -> tuple[F, F]:
        y = (np.arange(m) % 2).astype(float)
        x = np.where(y[:, None] == 1, [1.0, 0.5], [-1.0, -0.5]) + p.noise * rng.normal(size=(m, 2))
        return x, y

    x, y = draw(n)
    xt, yt = draw(4000)
    models = {}
    for key in ("sorted", "shuffled"):
        w = np.zeros(2)
        b = 0.0
        for _ in range(p.steps):
            order = np.argsort(y, kind="stable") if key == "sorted" else rng.permutation(n)
            for i in order:
                err = 1.0 / (1.0 + math.exp(-(x[i] @ w + b))) - y[i]
                w = w - p.lr * err * x[i]
                b = b - p.lr * err
        models[key] = (w.copy(), b)
    out: Arrays = {"grid_x": gx, "grid_y": gy}
    for i, key in enumerate(("sorted", "shuffled")):
        w, b = models[key]
        out[f"score_{i}"] = (g @ w + b).reshape(p.grid, p.grid)
        out[f"points_{i}"] = x
        out[f"classes_{i}"] = y.astype(int)
        pred = (xt @ w + b) > 0
        out[f"recall0_{key}"] = float(np.mean(~pred[yt == 0]))
        out[f"recall1_{key}"] = float(np.mean(pred[yt == 1]))
        out[f"acc_{key}"] = float(np.mean(pred == (yt > 0.5)))
    return out


def _mlp_weights(x: F, y01: F, hidden: int, steps: int, lr: float,
                 rng: np.random.Generator) -> tuple[F, F, F, float]:
    """The weights (w1, b1, w2, b2) of the tanh MLP that :func:`_fit_mlp` fits, same steps."""
    n, d = x.shape
    w1 = rng.normal(size=(d, hidden)) / math.sqrt(d)
    b1 = rng.normal(size=hidden) * 0.1
    w2 = rng.normal(size=hidden) / math.sqrt(hidden)
    b2 = 0.0
    for _ in range(steps):
        a = np.tanh(x @ w1 + b1)
        g = (1.0 / (1.0 + np.exp(-(a @ w2 + b2))) - y01) / n
        ga = np.outer(g, w2) * (1 - a**2)
        w2 = w2 - lr * a.T @ g
        b2 = b2 - lr * float(g.sum())
        w1 = w1 - lr * x.T @ ga
        b1 = b1 - lr * ga.sum(0)
    return w1, b1, w2, b2


def _pl_permutation(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Permutation symmetry and weight averaging (Entezari et al. 2022; Ainsworth et al.
    2023).  Two tanh MLPs (``hidden`` units) differing only in their random initialisation
    are fitted by the same full-batch gradient descent (``steps`` steps of ``lr``) to the same
    XOR data (four Gaussian blobs at (+-1.2, +-1.2), sd ``noise``, opposite corners one class).
    Averaging their weights naively mixes unrelated hidden units and the blend fails; matching
    B's hidden units to A's first (weight matching: the assignment maximising the summed
    inner products of each unit's incoming weights, bias and outgoing weight, solved exactly
    by the Hungarian method, with a unit's sign flipped where that matches better, since
    tanh is odd) gives the same function B, and the blend then works.  Panels: 0 network A,
    1 network B, 2 the naive midpoint, 3 the midpoint after matching.  ``loss_naive`` /
    ``loss_aligned``: training loss along the straight line at ``alpha``; barriers: the
    largest rise above the worse end; accuracies on 4000 fresh points."""
    from scipy.optimize import linear_sum_assignment

    gx, gy, g = _grid(p)
    corners = np.array([[1.2, 1.2], [-1.2, -1.2], [1.2, -1.2], [-1.2, 1.2]])

    def draw(m: int) -> tuple[F, F]:
        q = np.arange(m) % 4
        return corners[q] + p.noise * rng.normal(size=(m, 2)), (q >= 2).astype(float)

    x, y = draw(p.n)
    xt, yt = draw(4000)
    net_a = _mlp_weights(x, y, p.hidden, p.steps, p.lr, rng)
    net_b = _mlp_weights(x, y, p.hidden, p.steps, p.lr, rng)
    fa = np.c_[net_a[0].T, net_a[1], net_a[2]]
    fb = np.c_[net_b[0].T, net_b[1], net_b[2]]
    sim = fa @ fb.T
    rows, cols = linear_sum_assignment(-np.abs(sim))
    sign = np.where(sim[rows, cols] >= 0, 1.0, -1.0)
    net_m = (net_b[0][:, cols] * sign, net_b[1][cols] * sign, net_b[2][cols] * sign, net_b[3])

    def logit(net: tuple[F, F, F, float], q: F) -> F:
        return np.tanh(q @ net[0] + net[1]) @ net[2] + net[3]

    def blend(u: tuple[F, F, F, float], v: tuple[F, F, F, float], t: float) -> tuple[F, F, F, float]:
        return ((1 - t) * u[0] + t * v[0], (1 - t) * u[1] + t * v[1], (1 - t) * u[2] + t * v[2],
                (1 - t) * u[3] + t * v[3])

    def loss(net: tuple[F, F, F, float]) -> float:
        z = logit(net, x)
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    def acc(net: tuple[F, F, F, float]) -> float:
        return float(np.mean((logit(net, xt) > 0) == (yt > 0.5)))

    alpha = np.linspace(0.0, 1.0, 21)
    l_naive = np.array([loss(blend(net_a, net_b, t)) for t in alpha])
    l_aligned = np.array([loss(blend(net_a, net_m, t)) for t in alpha])
    nets = [net_a, net_b, blend(net_a, net_b, 0.5), blend(net_a, net_m, 0.5)]
    out: Arrays = {"grid_x": gx, "grid_y": gy, "alpha": alpha, "loss_naive": l_naive, "loss_aligned": l_aligned,
                   "barrier_naive": float(l_naive.max() - max(l_naive[0], l_naive[-1])),
                   "barrier_aligned": float(l_aligned.max() - max(l_aligned[0], l_aligned[-1])),
                   "matched_function_gap": float(np.max(np.abs(logit(net_m, xt) - logit(net_b, xt)))),
                   "units_flipped": int(np.sum(sign < 0)),
                   "units_moved": int(np.sum(cols != np.arange(p.hidden)))}
    for i, net in enumerate(nets):
        out[f"score_{i}"] = logit(net, g).reshape(p.grid, p.grid)
        out[f"points_{i}"] = x
        out[f"classes_{i}"] = y.astype(int)
    out.update({"acc_a": acc(nets[0]), "acc_b": acc(nets[1]), "acc_mid_naive": acc(nets[2]),
                "acc_mid_aligned": acc(nets[3])})
    return out


_PLANE_EXPS: dict[str, Callable[[PlaneParams, np.random.Generator], Arrays]] = {
    "shortcut": _pl_shortcut,
    "simplicity": _pl_simplicity,
    "imbalance": _pl_imbalance,
    "underspecification": _pl_underspecification,
    "amplification": _pl_amplification,
    "ordering": _pl_ordering,
    "permutation": _pl_permutation,
}


@recipe("path-plane", PlaneParams)
def path_plane(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Pathologies of classifiers on the plane: the experiment named by ``experiment``."""
    return _PLANE_EXPS[p.experiment](p, rng)
