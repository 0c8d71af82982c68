"""E5 decision boundaries: classifiers trained in numpy on seeded 2-D toy sets.

One recipe, ``boundary``, draws a toy set and fits one to four classifiers to it; each model's
class map over a grid feeds one panel of the ``decision-regions`` motif.  Every classifier is
implemented here, in numpy, and named for exactly what it is: logistic regression by full-batch
gradient descent, the perceptron rule, soft-margin SVMs by solving the dual QP (SLSQP), k-nearest
neighbours, CART with Gini splits, random forests (bootstrap + one random feature per split),
AdaBoost with stumps, gradient-boosted regression stumps on the logistic loss, Gaussian naive
Bayes, LDA, QDA, a one-hidden-layer tanh MLP by full-batch gradient descent, and an isolation
forest's anomaly score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

Dataset = Literal["moons", "circles", "xor", "blobs", "spirals", "gaussians", "anisotropic", "outliers",
                  "moons-scatter"]


# -- toy data ----------------------------------------------------------------------------------------------


def toy_data(name: str, n: int, noise: float, k: int, rng: np.random.Generator,
              spread: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """A seeded 2-D toy set: points (n, 2) and integer classes (n,)."""
    x: np.ndarray
    y: np.ndarray
    if name == "moons-scatter":  # two moons plus a tenth of uniform scatter (class 2)
        m = max(1, n // 10)
        xm, ym = toy_data("moons", n - m, noise, 2, rng)
        return np.r_[xm, rng.uniform([-2.0, -1.3], [2.0, 1.3], (m, 2))], np.r_[ym, np.full(m, 2)]
    if name == "moons":
        y = np.arange(n) % 2
        t = rng.uniform(0, np.pi, n)
        upper = np.stack([np.cos(t), np.sin(t)], axis=1)
        lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
        x = np.where(y[:, None] == 0, upper, lower) - np.array([0.5, 0.25])
    elif name == "circles":
        y = np.arange(n) % 2
        t = rng.uniform(0, 2 * np.pi, n)
        rad = np.where(y == 0, 1.0, 0.45)
        x = rad[:, None] * np.c_[np.cos(t), np.sin(t)]
    elif name == "xor":
        x = rng.uniform(-1, 1, (n, 2))
        y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)
        return x + noise * rng.normal(size=(n, 2)), y
    elif name == "spirals":
        y = np.arange(n) % 2
        t = np.sqrt(rng.uniform(0.05, 1, n)) * 3 * np.pi
        x = np.c_[t * np.cos(t + np.pi * y), t * np.sin(t + np.pi * y)] / (3 * np.pi)
    elif name in ("blobs", "anisotropic"):
        y = np.arange(n) % k
        ang = 2 * np.pi * np.arange(k) / k + 0.4
        centres = 0.9 * np.c_[np.cos(ang), np.sin(ang)]
        x = centres[y] + rng.normal(size=(n, 2)) * spread
        if name == "anisotropic":
            x = x @ np.array([[0.9, -0.5], [0.2, 0.45]])
        x = x + noise * rng.normal(size=(n, 2))
        return x, y
    elif name == "gaussians":  # two Gaussian classes with different covariances (QDA's world)
        y = np.arange(n) % 2
        c0 = np.array([[0.35, 0.25], [0.25, 0.35]])
        c1 = np.array([[0.08, -0.03], [-0.03, 0.12]])
        z = rng.normal(size=(n, 2))
        x = np.where(y[:, None] == 0, z @ np.linalg.cholesky(c0).T + [-0.3, -0.2],
                     z @ np.linalg.cholesky(c1).T + [0.45, 0.35])
        return x, y
    else:  # outliers: two Gaussian clouds plus uniform scatter (class 1 = injected outlier)
        m = max(1, int(round(noise * n)))
        centre = np.where((np.arange(n - m) % 2)[:, None] == 0, [-0.55, -0.3], [0.55, 0.35])
        x = np.r_[centre + rng.normal(size=(n - m, 2)) * 0.22, rng.uniform(-1.5, 1.5, (m, 2))]
        y = np.r_[np.zeros(n - m, int), np.ones(m, int)]
        return x, y
    return x + noise * rng.normal(size=(n, 2)), y


GAUSSIAN_TRUTH = {  # the generating law of "gaussians": (mean, covariance) per class
    0: (np.array([-0.3, -0.2]), np.array([[0.35, 0.25], [0.25, 0.35]])),
    1: (np.array([0.45, 0.35]), np.array([[0.08, -0.03], [-0.03, 0.12]])),
}


def grid_for(x: np.ndarray, n: int, pad: float = 0.25,
             square: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square-cell grid around the data: x values, y values, and the (ny*nx, 2) points."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = float((hi - lo).max()) * (1 + 2 * pad)
    mid = (lo + hi) / 2
    gx = np.linspace(mid[0] - span / 2, mid[0] + span / 2, n)
    ext = span if square else (hi[1] - lo[1]) * (1 + 2 * pad)
    ny = max(8, int(round(n * ext / span)))
    gy = np.linspace(mid[1] - ext / 2, mid[1] + ext / 2, ny)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.c_[xx.ravel(), yy.ravel()]


# -- trees -------------------------------------------------------------------------------------------------


@dataclass
class Tree:
    """A binary tree as flat arrays; leaves have feature -1 and carry a value vector."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    box: list[tuple[int, int, float, float, float, float, float]]  # node, feature, threshold, cell

    def predict(self, x: np.ndarray) -> np.ndarray:
        node = np.zeros(len(x), int)
        for _ in range(64):
            f = self.feature[node]
            inner = f >= 0
            if not inner.any():
                break
            go_left = x[np.arange(len(x)), np.maximum(f, 0)] <= self.threshold[node]
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
        return self.value[node]

    def leaf(self, x: np.ndarray) -> np.ndarray:
        node = np.zeros(len(x), int)
        for _ in range(64):
            f = self.feature[node]
            inner = f >= 0
            if not inner.any():
                break
            go_left = x[np.arange(len(x)), np.maximum(f, 0)] <= self.threshold[node]
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
        return node


def _best_split(x: np.ndarray, target: np.ndarray, w: np.ndarray, feats: list[int],
                kind: str, min_leaf: int = 1) -> tuple[int, float, float]:
    """Best (feature, threshold, gain) over midpoints; gini for classes, squared error for values."""
    best = (-1, 0.0, 0.0)
    for f in feats:
        order = np.argsort(x[:, f], kind="stable")
        xs = x[order, f]
        valid = np.flatnonzero(np.diff(xs) > 1e-12)
        valid = valid[(valid + 1 >= min_leaf) & (len(xs) - valid - 1 >= min_leaf)]
        if valid.size == 0:
            continue
        if kind == "gini":
            onehot = target[order] * w[order, None]
            cl = np.cumsum(onehot, axis=0)[:-1]
            tot = onehot.sum(axis=0)
            cr = tot - cl
            nl, nr = cl.sum(axis=1), cr.sum(axis=1)
            gl = nl - (cl**2).sum(axis=1) / np.maximum(nl, 1e-12)
            gr = nr - (cr**2).sum(axis=1) / np.maximum(nr, 1e-12)
            parent = tot.sum() - (tot**2).sum() / max(tot.sum(), 1e-12)
            gain = parent - gl - gr
        else:
            t, ww = target[order], w[order]
            sw, swy, swy2 = np.cumsum(ww)[:-1], np.cumsum(ww * t)[:-1], np.cumsum(ww * t * t)[:-1]
            tw, twy, twy2 = ww.sum(), (ww * t).sum(), (ww * t * t).sum()
            sse_l = swy2 - swy**2 / np.maximum(sw, 1e-12)
            sse_r = (twy2 - swy2) - (twy - swy) ** 2 / np.maximum(tw - sw, 1e-12)
            gain = (twy2 - twy**2 / tw) - sse_l - sse_r
        g = gain[valid]
        i = int(np.argmax(g))
        if g[i] > best[2] + 1e-12:
            j = valid[i]
            best = (f, float((xs[j] + xs[j + 1]) / 2), float(g[i]))
    return best


def fit_tree(x: np.ndarray, target: np.ndarray, *, kind: str, max_depth: int, min_leaf: int,
             rng: np.random.Generator | None = None, max_features: int | None = None,
             w: np.ndarray | None = None, bounds: tuple[float, float, float, float] = (-9, 9, -9, 9)) -> Tree:
    """CART: greedy binary splits (Gini for one-hot targets, squared error for values)."""
    w = np.ones(len(x)) if w is None else w
    d = x.shape[1]
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[np.ndarray] = []
    boxes: list[tuple[int, int, float, float, float, float, float]] = []

    def leaf_value(idx: np.ndarray) -> np.ndarray:
        ww = w[idx]
        if kind == "gini":
            v = (target[idx] * ww[:, None]).sum(axis=0)
            return v / max(v.sum(), 1e-12)
        return np.array([float((target[idx] * ww).sum() / max(ww.sum(), 1e-12))])

    def grow(idx: np.ndarray, depth: int, box: tuple[float, float, float, float]) -> int:
        node = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        left.append(-1)
        right.append(-1)
        value.append(leaf_value(idx))
        if depth >= max_depth or len(idx) < 2 * min_leaf:
            return node
        if kind == "gini" and np.max(target[idx].sum(axis=0)) == len(idx):
            return node
        feats = list(range(d))
        if max_features is not None and rng is not None and max_features < d:
            feats = sorted(rng.choice(d, max_features, replace=False).tolist())
        f, thr, gain = _best_split(x[idx], target[idx], w[idx], feats, kind, min_leaf)
        if f < 0 or gain <= 1e-12:
            return node
        li, ri = idx[x[idx, f] <= thr], idx[x[idx, f] > thr]
        if len(li) < min_leaf or len(ri) < min_leaf:
            return node
        feature[node], threshold[node] = f, thr
        boxes.append((node, f, thr, *box))
        x0, x1, y0, y1 = box
        lb = (x0, thr, y0, y1) if f == 0 else (x0, x1, y0, thr)
        rb = (thr, x1, y0, y1) if f == 0 else (x0, x1, thr, y1)
        left[node] = grow(li, depth + 1, lb)
        right[node] = grow(ri, depth + 1, rb)
        return node

    grow(np.arange(len(x)), 0, bounds)
    return Tree(np.array(feature), np.array(threshold), np.array(left), np.array(right),
                np.array(value), boxes)


def split_segments(tree: Tree) -> np.ndarray:
    """Each split as a segment (2, 2) across the cell it divides."""
    segs = []
    for _, f, thr, x0, x1, y0, y1 in tree.box:
        segs.append([[thr, y0], [thr, y1]] if f == 0 else [[x0, thr], [x1, thr]])
    return np.array(segs, float).reshape(-1, 2, 2)


# -- classifiers ---------------------------------------------------------------------------------------


Kind = Literal["logistic", "perceptron", "linear-svm", "rbf-svm", "knn", "tree", "forest", "adaboost",
               "gboost", "naive-bayes", "lda", "qda", "mlp", "isolation-forest", "bayes"]


class Model(Params):
    """One classifier and its settings (each kind reads only its own)."""

    kind: Kind
    k: int = Field(5, ge=1, le=99, description="knn: neighbours")
    depth: int = Field(4, ge=1, le=16, description="tree / forest / gboost / isolation: max depth")
    min_leaf: int = Field(1, ge=1, le=50, description="tree / forest: smallest leaf")
    trees: int = Field(50, ge=1, le=200, description="forest / isolation-forest: number of trees")
    rounds: int = Field(50, ge=1, le=400, description="adaboost / gboost: boosting rounds")
    C: float = Field(10.0, ge=1e-3, le=1e4, description="SVM: box constraint")
    gamma: float = Field(1.0, ge=1e-3, le=1e3, description="rbf-svm: kernel width 1/(2 s^2)")
    lr: float = Field(0.5, ge=1e-4, le=10.0, description="logistic / mlp / gboost: step size")
    steps: int = Field(500, ge=1, le=5000, description="logistic / mlp: gradient steps; perceptron: epochs")
    hidden: int = Field(16, ge=2, le=64, description="mlp: hidden tanh units")
    features: Literal["linear", "quadratic"] = Field("linear", description="logistic: input features")


class BoundaryParams(Params):
    """A toy set and the classifiers fitted to it."""

    dataset: Dataset = "moons"
    n: int = Field(200, ge=10, le=600)
    n_test: int = Field(2000, ge=100, le=5000)
    noise: float = Field(0.2, ge=0.0, le=1.0)
    classes: int = Field(2, ge=2, le=5, description="blobs / anisotropic: number of classes")
    spread: float = Field(0.35, ge=0.05, le=1.0, description="blobs / anisotropic: cluster std")
    models: tuple[Model, ...] = Field(min_length=1, max_length=4)
    grid: int = Field(120, ge=20, le=200)
    pad: float = Field(0.2, ge=0.0, le=1.0)
    square: bool = Field(False, description="a square plane (for panels side by side)")


def _onehot(y: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[y]


def _gauss_logpdf(x: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> np.ndarray:
    inv = np.linalg.inv(cov)
    d = x - mu
    return -0.5 * np.einsum("ni,ij,nj->n", d, inv, d) - 0.5 * np.log(np.linalg.det(cov)) - np.log(2 * np.pi)


def _svm_dual(kmat: np.ndarray, y: np.ndarray, c: float, tol: float = 1e-4) -> tuple[np.ndarray, float]:
    """Soft-margin SVM dual, max sum a - a'Qa/2 s.t. 0 <= a <= C, a'y = 0, by SMO with the
    maximal-violating-pair working set (Keerthi et al. 2001, as in LIBSVM); returns a, b."""
    n = len(y)
    q = (y[:, None] * y[None, :]) * kmat
    a = np.zeros(n)
    grad = -np.ones(n)  # gradient of the minimised objective a'Qa/2 - sum a
    for _ in range(200 * n):
        up = ((y > 0) & (a < c)) | ((y < 0) & (a > 0))
        low = ((y > 0) & (a > 0)) | ((y < 0) & (a < c))
        v = -y * grad
        i = int(np.flatnonzero(up)[np.argmax(v[up])])
        j = int(np.flatnonzero(low)[np.argmin(v[low])])
        if v[i] - v[j] < tol:
            break
        quad = max(kmat[i, i] + kmat[j, j] - 2 * kmat[i, j], 1e-12)
        # move along y_i e_i - y_j e_j within the box
        step = (v[i] - v[j]) / quad
        lim_i = (c - a[i]) if y[i] > 0 else a[i]
        lim_j = a[j] if y[j] > 0 else (c - a[j])
        step = min(step, lim_i, lim_j)
        a[i] += y[i] * step
        a[j] -= y[j] * step
        grad += step * (y[i] * q[:, i] - y[j] * q[:, j])
    a = np.clip(a, 0.0, c)
    free = (a > 1e-6 * c) & (a < c * (1 - 1e-6))
    f_no_b = kmat @ (a * y)
    sel = free if free.any() else a > 1e-6 * c
    b = float(np.mean(y[sel] - f_no_b[sel]))
    return a, b


def _rbf(a: np.ndarray, b: np.ndarray, gamma: float) -> np.ndarray:
    d2 = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    return np.exp(-gamma * np.maximum(d2, 0.0))


def _stump_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[int, float, float, float]:
    """Weighted-error-minimising stump: feature, threshold, polarity, error (labels +-1)."""
    best = (0, 0.0, 1.0, np.inf)
    for f in range(x.shape[1]):
        order = np.argsort(x[:, f], kind="stable")
        xs, ys, ws = x[order, f], y[order], w[order]
        # predict +pol for x > thr: error = weight of (y=+pol on the left) + (y=-pol on the right)
        pos_left = np.r_[0.0, np.cumsum(ws * (ys > 0))]
        neg_left = np.r_[0.0, np.cumsum(ws * (ys < 0))]
        pos_tot, neg_tot = pos_left[-1], neg_left[-1]
        err_plus = pos_left + (neg_tot - neg_left)
        err_minus = neg_left + (pos_tot - pos_left)
        thr = np.r_[xs[0] - 1e-3, (xs[:-1] + xs[1:]) / 2, xs[-1] + 1e-3]
        ok = np.r_[True, np.diff(xs) > 1e-12, True]
        for err, pol in ((err_plus, 1.0), (err_minus, -1.0)):
            e = np.where(ok, err, np.inf)
            i = int(np.argmin(e))
            if e[i] < best[3]:
                best = (f, float(thr[i]), pol, float(e[i]))
    return best


@dataclass
class Fitted:
    """A fitted model: per-class scores on any points, plus what the figure may show."""

    scores: object
    extra: dict[str, np.ndarray]


def fit_model(m: Model, x: np.ndarray, y: np.ndarray, k: int, rng: np.random.Generator,
              bounds: tuple[float, float, float, float]) -> Fitted:
    """Fit one classifier; ``scores(points)`` returns (n, k) class scores (argmax = prediction)."""
    n = len(x)
    extra: dict[str, np.ndarray] = {}
    ypm = np.where(y == 1, 1.0, -1.0)
    if m.kind in ("logistic", "perceptron", "linear-svm", "rbf-svm", "mlp", "gboost", "adaboost") and k != 2:
        msg = f"classifier {m.kind!r} is binary here; use a 2-class dataset"
        raise ValueError(msg)
    if m.kind == "logistic":
        def feats(p: np.ndarray) -> np.ndarray:
            if m.features == "quadratic":
                return np.c_[p, p**2, p[:, :1] * p[:, 1:], np.ones(len(p))]
            return np.c_[p, np.ones(len(p))]
        phi = feats(x)
        w = np.zeros(phi.shape[1])
        for _ in range(m.steps):
            prob = 1 / (1 + np.exp(-phi @ w))
            w -= m.lr * phi.T @ (prob - y) / n
        extra["weights"] = w
        return Fitted(lambda p: np.c_[-(feats(p) @ w) / 2, (feats(p) @ w) / 2], extra)
    if m.kind == "perceptron":
        w = np.zeros(3)
        phi = np.c_[x, np.ones(n)]
        mistakes = []
        for _ in range(m.steps):
            made = 0
            for i in rng.permutation(n):
                if ypm[i] * (phi[i] @ w) <= 0:
                    w += ypm[i] * phi[i]
                    made += 1
            mistakes.append(made)
            if made == 0:
                break
        extra["epoch_mistakes"] = np.array(mistakes, float)
        extra["weights"] = w
        return Fitted(lambda p: np.c_[-(np.c_[p, np.ones(len(p))] @ w), np.c_[p, np.ones(len(p))] @ w], extra)
    if m.kind in ("linear-svm", "rbf-svm"):
        def kern(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return a @ b.T if m.kind == "linear-svm" else _rbf(a, b, m.gamma)
        alpha, b = _svm_dual(kern(x, x), ypm, m.C)
        sv = alpha > 1e-5 * m.C
        extra["support"] = sv.astype(float)
        extra["alpha"] = alpha
        f_train = kern(x, x) @ (alpha * ypm) + b
        extra["margin_train"] = ypm * f_train
        if m.kind == "linear-svm":
            wv = (alpha * ypm) @ x
            extra["weights"] = np.r_[wv, b]
            extra["margin_width"] = np.array(2.0 / np.linalg.norm(wv))

        def svm_score(p: np.ndarray) -> np.ndarray:
            f = kern(p, x[sv]) @ (alpha[sv] * ypm[sv]) + b
            return np.c_[-f / 2, f / 2]
        return Fitted(svm_score, extra)
    if m.kind == "knn":
        oh = _onehot(y, k)

        def knn_score(p: np.ndarray) -> np.ndarray:
            d2 = (p**2).sum(1)[:, None] + (x**2).sum(1)[None, :] - 2 * p @ x.T
            idx = np.argpartition(d2, min(m.k, n) - 1, axis=1)[:, :m.k]
            votes = oh[idx].sum(axis=1)
            return votes + 1e-6 * oh[np.argmin(d2, axis=1)]  # ties go to the nearest point
        return Fitted(knn_score, extra)
    if m.kind == "tree":
        tree = fit_tree(x, _onehot(y, k), kind="gini", max_depth=m.depth, min_leaf=m.min_leaf, bounds=bounds)
        extra["splits"] = split_segments(tree)
        extra["leaves"] = np.array(float((tree.feature < 0).sum()))
        return Fitted(tree.predict, extra)
    if m.kind == "forest":
        trees = []
        oh = _onehot(y, k)
        for _ in range(m.trees):
            bi = rng.integers(0, n, n)
            trees.append(fit_tree(x[bi], oh[bi], kind="gini", max_depth=m.depth, min_leaf=m.min_leaf,
                                  rng=rng, max_features=1, bounds=bounds))
        return Fitted(lambda p: np.mean([t.predict(p) for t in trees], axis=0), extra)
    if m.kind == "adaboost":
        w = np.full(n, 1.0 / n)
        stumps = []
        for _ in range(m.rounds):
            f, thr, pol, err = _stump_fit(x, ypm, w)
            err = min(max(err / w.sum(), 1e-10), 1 - 1e-10)
            a = 0.5 * np.log((1 - err) / err)
            pred = pol * np.where(x[:, f] > thr, 1.0, -1.0)
            w = w * np.exp(-a * ypm * pred)
            w /= w.sum()
            stumps.append((f, thr, pol, a))
        extra["sample_weight"] = w * n

        def ada_score(p: np.ndarray) -> np.ndarray:
            s = sum(a * pol * np.where(p[:, f] > thr, 1.0, -1.0) for f, thr, pol, a in stumps)
            return np.c_[-s / 2, s / 2]
        return Fitted(ada_score, extra)
    if m.kind == "gboost":
        f0 = float(np.log(max(y.mean(), 1e-6) / max(1 - y.mean(), 1e-6)))
        fx = np.full(n, f0)
        learners = []
        for _ in range(m.rounds):
            resid = y - 1 / (1 + np.exp(-fx))
            t = fit_tree(x, resid, kind="sse", max_depth=m.depth, min_leaf=3, bounds=bounds)
            fx = fx + m.lr * t.predict(x)[:, 0]
            learners.append(t)

        def gb_score(p: np.ndarray) -> np.ndarray:
            s = f0 + m.lr * sum(t.predict(p)[:, 0] for t in learners)
            return np.c_[-s / 2, s / 2]
        return Fitted(gb_score, extra)
    if m.kind in ("naive-bayes", "lda", "qda"):
        pri = np.array([(y == c).mean() for c in range(k)])
        mus = np.array([x[y == c].mean(axis=0) for c in range(k)])
        covs = [np.cov(x[y == c].T) for c in range(k)]
        if m.kind == "naive-bayes":
            covs = [np.diag(np.diag(cv)) for cv in covs]
        elif m.kind == "lda":
            pooled = sum((np.sum(y == c) - 1) * covs[c] for c in range(k)) / (n - k)
            covs = [pooled] * k
            if k == 2:
                wd = np.linalg.solve(pooled, mus[1] - mus[0])
                extra["fisher_direction"] = wd / np.linalg.norm(wd)
                mid, half = (mus[0] + mus[1]) / 2, 0.75 * np.linalg.norm(mus[1] - mus[0])
                extra["fisher_axis"] = np.array([[mid - half * extra["fisher_direction"],
                                                  mid + half * extra["fisher_direction"]]])
        extra["means"] = mus
        return Fitted(lambda p: np.c_[tuple(_gauss_logpdf(p, mus[c], covs[c]) + np.log(pri[c])
                                            for c in range(k))], extra)
    if m.kind == "bayes":  # the generating law's own rule ("gaussians" only): not fitted
        return Fitted(lambda p: np.c_[tuple(_gauss_logpdf(p, *GAUSSIAN_TRUTH[c]) + np.log(0.5)
                                            for c in range(2))], extra)
    if m.kind == "mlp":
        w1 = rng.normal(size=(2, m.hidden)) * 1.0
        b1 = np.zeros(m.hidden)
        w2 = rng.normal(size=m.hidden) / np.sqrt(m.hidden)
        b2 = 0.0
        for _ in range(m.steps):
            h = np.tanh(x @ w1 + b1)
            prob = 1 / (1 + np.exp(-(h @ w2 + b2)))
            g = (prob - y) / n
            gw2, gb2 = h.T @ g, g.sum()
            gh = np.outer(g, w2) * (1 - h**2)
            w1 -= m.lr * x.T @ gh
            b1 -= m.lr * gh.sum(axis=0)
            w2 -= m.lr * gw2
            b2 -= m.lr * gb2

        def mlp_score(p: np.ndarray) -> np.ndarray:
            s = np.tanh(p @ w1 + b1) @ w2 + b2
            return np.c_[-s / 2, s / 2]
        return Fitted(mlp_score, extra)
    # isolation forest: trees of random axis splits grown on subsamples; score 2^(-E[h]/c(psi))
    psi = min(128, n)
    itrees = []
    for _ in range(m.trees):
        sub = x[rng.choice(n, psi, replace=False)]
        itrees.append(_as_arrays(_itree(sub, rng, m.depth)))
    cpsi = _c_factor(psi)

    def iso_score(p: np.ndarray) -> np.ndarray:
        depth = np.mean([_path_len(t, p) for t in itrees], axis=0)
        s = 2.0 ** (-depth / cpsi)
        return np.c_[1 - s, s]  # class 1 (anomaly) wins where the score passes 1/2
    extra["point_score"] = iso_score(x)[:, 1]
    return Fitted(iso_score, extra)


def _c_factor(m: int) -> float:
    """Average path length of an unsuccessful BST search among m points (Liu et al. 2008)."""
    if m <= 1:
        return 0.0
    return 2 * (np.log(m - 1) + np.euler_gamma) - 2 * (m - 1) / m


def _itree(x: np.ndarray, rng: np.random.Generator, limit: int) -> list[tuple[int, float, int, int, float]]:
    """An isolation tree as a node list: (feature, threshold, left, right, leaf size correction)."""
    nodes: list[tuple[int, float, int, int, float]] = []

    def grow(idx: np.ndarray, depth: int) -> int:
        node = len(nodes)
        nodes.append((-1, 0.0, -1, -1, _c_factor(len(idx))))
        if depth >= limit or len(idx) <= 1:
            return node
        f = int(rng.integers(0, x.shape[1]))
        lo, hi = x[idx, f].min(), x[idx, f].max()
        if hi - lo < 1e-12:
            return node
        thr = float(rng.uniform(lo, hi))
        left = grow(idx[x[idx, f] < thr], depth + 1)
        right = grow(idx[x[idx, f] >= thr], depth + 1)
        nodes[node] = (f, thr, left, right, 0.0)
        return node

    grow(np.arange(len(x)), 0)
    return nodes


def _as_arrays(tree: list[tuple[int, float, int, int, float]]) -> tuple[np.ndarray, ...]:
    """An isolation tree's node list as (feature, threshold, left, right, correction) arrays."""
    cols = list(zip(*tree, strict=True))
    return (np.array(cols[0]), np.array(cols[1]), np.array(cols[2]), np.array(cols[3]), np.array(cols[4]))


def _path_len(tree: tuple[np.ndarray, ...], p: np.ndarray) -> np.ndarray:
    feat, thr, left, right, corr = tree
    node = np.zeros(len(p), int)
    depth = np.zeros(len(p))
    rows = np.arange(len(p))
    for _ in range(64):
        f = feat[node]
        inner = f >= 0
        if not inner.any():
            break
        go = p[rows, np.maximum(f, 0)] < thr[node]
        depth += inner
        node = np.where(inner, np.where(go, left[node], right[node]), node)
    return depth + corr[node]


@recipe("boundary", BoundaryParams)
def boundary(p: BoundaryParams, rng: np.random.Generator) -> Arrays:
    """Decision regions of one to four numpy classifiers on one seeded toy set.

    Arrays: ``points`` (n, 2), ``classes`` (n,), ``grid_x``, ``grid_y``, per model ``label``
    (M, ny, nx) and ``scores`` (M, K, ny, nx); binary sets also ``decision`` (M, ny, nx) =
    score(class 1) - score(class 0), boundary at 0; ``train_acc`` and ``test_acc`` (M,) on a
    fresh draw of ``n_test`` points; and per-model extras named ``<extra>_<m>`` (support vectors,
    sample weights, tree splits...).
    """
    k = p.classes if p.dataset in ("blobs", "anisotropic") else 2
    x, y = toy_data(p.dataset, p.n, p.noise, k, rng, p.spread)
    xt, yt = toy_data(p.dataset, p.n_test, p.noise, k, rng, p.spread)
    if p.dataset == "moons-scatter":  # two classes here: a moon point (0) or a stray (1)
        y, yt = (y == 2).astype(int), (yt == 2).astype(int)
    gx, gy, g = grid_for(x, p.grid, p.pad, p.square)
    bounds = (float(gx[0]), float(gx[-1]), float(gy[0]), float(gy[-1]))
    out: Arrays = {"points": x, "classes": y, "grid_x": gx, "grid_y": gy, "n_classes": np.array(float(k))}
    labels, scores, decisions, tr, te = [], [], [], [], []
    for i, m in enumerate(p.models):
        fitted = fit_model(m, x, y, k, rng, bounds)
        sc = fitted.scores(g)  # type: ignore[operator]
        scores.append(sc.T.reshape(k, gy.size, gx.size))
        labels.append(np.argmax(sc, axis=1).reshape(gy.size, gx.size))
        if k == 2:
            decisions.append((sc[:, 1] - sc[:, 0]).reshape(gy.size, gx.size))
        tr.append(float(np.mean(np.argmax(fitted.scores(x), axis=1) == y)))  # type: ignore[operator]
        te.append(float(np.mean(np.argmax(fitted.scores(xt), axis=1) == yt)))  # type: ignore[operator]
        out[f"train_acc_{i}"] = np.array(tr[-1])
        out[f"test_acc_{i}"] = np.array(te[-1])
        for name, v in fitted.extra.items():
            out[f"{name}_{i}"] = v
    out["label"] = np.array(labels)
    if k > 2:
        out["scores"] = np.array(scores)
    else:
        out["decision"] = np.array(decisions)
    out["train_acc"] = np.array(tr)
    out["test_acc"] = np.array(te)
    return out
