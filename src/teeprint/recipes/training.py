"""E3 dynamics: training curves of toy models trained in numpy (loss, accuracy, norms against step).

One recipe, ``dynamics``, trains one experiment of the table :data:`EXPERIMENTS` ``repeats``
times and returns its curves against the shared ``step`` axis, median over repeats.  An
experiment is a function ``run(params, rng) -> {name: array or scalar}`` whose arrays are
indexed by the evaluation steps it returns as ``step``.

Arrays returned: ``step`` (T,); every curve ``c`` as the median over repeats, ``c_runs`` with
a leading repeat axis when ``repeats > 1``; scalars likewise (median, and ``_runs``).  Curves of
shape (K, T) (one row per mode, label set, ...) keep their shape; their rows are also given
as ``c_0``, ``c_1`` ...

Every optimiser is named for what the code does: full-batch gradient descent unless the
experiment says otherwise (``random-labels`` uses Adam, written out below).

:func:`train_two_layer` (gradient descent on a two-layer tanh network with its tangent kernel)
is shared with the ``sweep`` experiments on lazy training and the neural tangent kernel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe


class DynamicsParams(Params):
    """Which experiment, and the shared, bounded settings it reads."""

    experiment: Literal["deep-linear", "random-labels", "max-margin", "sparse-parity", "min-norm",
                        "noisy-labels"]
    repeats: int = Field(3, ge=1, le=30, description="independent runs; the median is drawn")
    steps: int = Field(2000, ge=10, le=200000)
    lr: float = Field(0.05, gt=0.0, le=100.0, description="step size")
    n: int = Field(100, ge=4, le=5000, description="training samples")
    dim: int = Field(20, ge=2, le=1000, description="input dimension")
    width: int = Field(256, ge=2, le=4096, description="hidden units")
    init: float = Field(1e-3, gt=0.0, le=10.0, description="initial weight scale")
    strengths: tuple[float, ...] = Field((3.0, 2.0, 1.0, 0.5), min_length=1, max_length=8)
    bits: int = Field(3, ge=1, le=8, description="sparse parity: relevant bits")
    noise: float = Field(0.4, ge=0.0, le=0.9, description="noisy-labels: share of labels flipped")
    evaluations: int = Field(60, ge=8, le=400, description="evaluation points (log-spaced)")


Run = Callable[[DynamicsParams, np.random.Generator], dict[str, Any]]
EXPERIMENTS: dict[str, tuple[Run, frozenset[str]]] = {}
_SHARED = frozenset({"experiment", "repeats"})


def experiment(name: str, reads: str) -> Callable[[Run], Run]:
    """Record a training run in :data:`EXPERIMENTS` with the settings it reads."""

    def record(fn: Run) -> Run:
        EXPERIMENTS[name] = (fn, frozenset(reads.split()))
        return fn

    return record


@recipe("dynamics", DynamicsParams)
def dynamics(p: DynamicsParams, rng: np.random.Generator) -> Arrays:
    """Curves of a toy model trained in numpy against step (median over repeats); the models
    are the table :data:`EXPERIMENTS`."""
    run, reads = EXPERIMENTS[p.experiment]
    stray = sorted(p.model_fields_set - _SHARED - reads)
    if stray:
        msg = (f"experiment {p.experiment!r} does not read {', '.join(stray)}; "
               f"it reads: {', '.join(sorted(reads))}")
        raise ValueError(msg)
    seeds = rng.integers(0, 2**63 - 1, size=p.repeats)
    runs = [run(p, np.random.default_rng(int(s))) for s in seeds]
    out: dict[str, Any] = {"step": np.asarray(runs[0]["step"], float)}
    for key in runs[0]:
        if key == "step":
            continue
        stack = np.array([np.asarray(r[key], float) for r in runs])
        med = np.median(stack, axis=0)
        out[key] = float(med) if med.ndim == 0 else med
        if p.repeats > 1:
            out[f"{key}_runs"] = stack
        if med.ndim == 2:
            for i in range(med.shape[0]):
                out[f"{key}_{i}"] = med[i]
    return out


def log_steps(steps: int, count: int) -> np.ndarray:
    """Evaluation steps 1..steps, log-spaced, unique, always including the last."""
    return np.unique(np.round(np.geomspace(1, steps, count)).astype(int))


def first_step(step: np.ndarray, curve: np.ndarray, level: float) -> float:
    """First step where ``curve`` reaches ``level`` (inf if never)."""
    hit = np.flatnonzero(np.asarray(curve) >= level)
    return float(step[hit[0]]) if hit.size else math.inf


# -- deep linear networks (Saxe, McClelland & Ganguli 2014) -------------------------------------


@experiment("deep-linear", "steps lr init strengths evaluations")
def _deep_linear(p: DynamicsParams, rng: np.random.Generator) -> dict[str, Any]:
    """A two-layer linear network W2 W1 learning a map with singular values ``strengths`` from
    whitened inputs, by gradient descent on the exact loss 1/2 |M - W2 W1|_F^2 from small
    random weights (scale ``init``).  ``mode`` (K, T) is each singular mode's learned strength
    u_k' W2 W1 v_k over its target s_k; ``t_tenth``, ``t_half``, ``t_ninety`` when each mode
    passes 10 %, 50 %, 90 %.  Saxe et al. solve these dynamics exactly: each mode follows a
    sigmoid in time, the stronger ones first, after a plateau of length ~ log(s/a0) / s."""
    s = np.asarray(p.strengths, float)
    k = s.size
    u = np.linalg.qr(rng.normal(size=(k, k)))[0]
    v = np.linalg.qr(rng.normal(size=(k, k)))[0]
    target = u @ np.diag(s) @ v.T
    w1 = p.init * rng.normal(size=(k, k))
    w2 = p.init * rng.normal(size=(k, k))
    steps = log_steps(p.steps, p.evaluations)
    want = set(steps.tolist())
    modes = []
    for t in range(1, p.steps + 1):
        err = target - w2 @ w1
        w1, w2 = w1 + p.lr * w2.T @ err, w2 + p.lr * err @ w1.T
        if t in want:
            modes.append(np.diag(u.T @ w2 @ w1 @ v) / s)
    mode = np.array(modes).T
    t_half = np.array([first_step(steps, row, 0.5) for row in mode])
    return {"step": steps, "mode": mode, "t_half": t_half,
            "t_tenth": np.array([first_step(steps, row, 0.1) for row in mode]),
            "t_ninety": np.array([first_step(steps, row, 0.9) for row in mode]),
            "strengths": s, "loss": 0.5 * np.sum((s[:, None] * (1 - mode)) ** 2, axis=0)}


# -- memorising random labels (Zhang et al. 2017) -----------------------------------------------


def _mlp_adam(x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray, p: DynamicsParams,
              rng: np.random.Generator, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-layer ReLU network, logistic loss, full-batch Adam (beta 0.9, 0.999); train and test
    accuracy at ``steps``."""
    d, m = x.shape[1], p.width
    params = [rng.normal(size=(d, m)) * math.sqrt(2.0 / d), np.zeros(m),
              rng.normal(size=m) / math.sqrt(m), np.zeros(1)]
    mom = [np.zeros_like(q) for q in params]
    vel = [np.zeros_like(q) for q in params]
    want = set(steps.tolist())
    tr, te = [], []
    for t in range(1, int(steps[-1]) + 1):
        w1, b1, w2, b2 = params
        h = np.maximum(x @ w1 + b1, 0.0)
        z = h @ w2 + b2
        g = (1.0 / (1.0 + np.exp(-z)) - y) / x.shape[0]
        gh = np.outer(g, w2) * (h > 0)
        grads = [x.T @ gh, gh.sum(0), h.T @ g, np.array([g.sum()])]
        for i, gr in enumerate(grads):
            mom[i] = 0.9 * mom[i] + 0.1 * gr
            vel[i] = 0.999 * vel[i] + 0.001 * gr * gr
            params[i] = params[i] - p.lr * (mom[i] / (1 - 0.9**t)) / (np.sqrt(vel[i] / (1 - 0.999**t)) + 1e-8)
        if t in want:
            w1, b1, w2, b2 = params
            tr.append(np.mean(((np.maximum(x @ w1 + b1, 0) @ w2 + b2) > 0) == (y > 0.5)))
            te.append(np.mean(((np.maximum(xt @ w1 + b1, 0) @ w2 + b2) > 0) == (yt > 0.5)))
    return np.array(tr), np.array(te)


@experiment("random-labels", "steps lr n dim width evaluations")
def _random_labels(p: DynamicsParams, rng: np.random.Generator) -> dict[str, Any]:
    """The same two-layer ReLU network trained with full-batch Adam on n points labelled by a
    linear teacher (true labels) and on the same points with labels drawn at random.  Both
    reach 100 % training accuracy; only the true labels generalise (test accuracy on 1000
    fresh points; chance is 1/2)."""
    x = rng.normal(size=(p.n + 1000, p.dim))
    teacher = rng.normal(size=p.dim)
    y_true = (x @ teacher > 0).astype(float)
    y_rand = rng.integers(0, 2, size=x.shape[0]).astype(float)
    steps = log_steps(p.steps, p.evaluations)
    init = rng.integers(0, 2**63 - 1)
    out: dict[str, Any] = {"step": steps}
    for name, y in (("true", y_true), ("random", y_rand)):
        tr, te = _mlp_adam(x[: p.n], y[: p.n], x[p.n:], y[p.n:], p, np.random.default_rng(int(init)), steps)
        out[f"train_acc_{name}"], out[f"test_acc_{name}"] = tr, te
        out[f"fit_step_{name}"] = first_step(steps, tr, 1.0)
    out["chance"] = np.full(steps.shape, 0.5)
    return out


# -- implicit bias of gradient descent towards the max margin (Soudry et al. 2018) ---------------


def max_margin_direction(z: np.ndarray) -> tuple[np.ndarray, float]:
    """The hard-margin SVM direction (no bias) of 2-D points z_i = y_i x_i, exactly: the optimum
    is fixed by one support vector (its own direction) or two with equal margins."""
    cands = [zi / np.linalg.norm(zi) for zi in z]
    for i in range(len(z)):
        for j in range(i + 1, len(z)):
            d = z[i] - z[j]
            nrm = np.array([-d[1], d[0]]) / max(np.linalg.norm(d), 1e-300)
            cands += [nrm, -nrm]
    cands_a = np.array(cands)
    margins = (z @ cands_a.T).min(axis=0)
    best = int(np.argmax(margins))
    return cands_a[best], float(margins[best])


@experiment("max-margin", "steps lr n evaluations")
def _max_margin(p: DynamicsParams, rng: np.random.Generator) -> dict[str, Any]:
    """Gradient descent on the logistic loss of n linearly separable points in the plane (two
    Gaussian clouds, no bias, a margin of at least 0.3 kept), from w = 0.  ``angle_deg`` is the
    angle between w(t) and the hard-margin SVM direction, ``norm`` is |w(t)|, ``loss`` the
    logistic loss, ``margin_gap`` 1 - (normalised margin of w(t)) / (SVM margin).  The angle and
    the margin gap fall like 1 / log t and |w| grows like log t."""
    z = np.empty((0, 2))
    while z.shape[0] < p.n:
        pts = rng.normal(size=(4 * p.n, 2)) * [0.8, 1.4] + [1.6, 0.8]
        z = np.concatenate([z, pts[pts @ np.array([1.0, 0.0]) > 0.3]])[: p.n]
    # Label half the points -1 and mirror them: the data are y_i x_i = z_i either way.
    svm, margin = max_margin_direction(z)
    w = np.zeros(2)
    steps = log_steps(p.steps, p.evaluations)
    want = set(steps.tolist())
    ang, nrm, loss, gap = [], [], [], []
    for t in range(1, p.steps + 1):
        m = z @ w
        w = w + p.lr * (z.T @ (1.0 / (1.0 + np.exp(m)))) / p.n
        if t in want:
            c = float(w @ svm / np.linalg.norm(w))
            ang.append(math.degrees(math.acos(min(1.0, max(-1.0, c)))))
            nrm.append(float(np.linalg.norm(w)))
            gap.append(1.0 - float(np.min(z @ w)) / (nrm[-1] * margin))
            loss.append(float(np.mean(np.logaddexp(0.0, -(z @ w)))))
    late = steps >= math.sqrt(steps[-1])
    return {"step": steps, "angle_deg": np.array(ang), "norm": np.array(nrm), "loss": np.array(loss),
            "margin_gap": np.array(gap),
            "log_step": np.log(steps), "svm_margin": margin,
            "norm_per_log_step": float(np.polyfit(np.log(steps[late]), np.array(nrm)[late], 1)[0])}


# -- hidden progress on sparse parity (Barak et al. 2022) ----------------------------------------


@experiment("sparse-parity", "steps lr n dim width bits evaluations")
def _sparse_parity(p: DynamicsParams, rng: np.random.Generator) -> dict[str, Any]:
    """A two-layer ReLU network learning the parity of ``bits`` of ``dim`` random +-1 bits by
    online SGD (a fresh batch of n examples each step, hinge loss), as Barak et al. do.  The
    loss sits on a plateau, then drops; ``weight_on_support`` (the share of first-layer weight
    norm on the relevant bits) grows during the plateau: hidden progress."""
    m, d, k = p.width, p.dim, p.bits
    w1 = rng.normal(size=(d, m)) / math.sqrt(d)
    b1 = rng.normal(size=m) * 0.1
    w2 = rng.normal(size=m) / math.sqrt(m)
    steps = log_steps(p.steps, p.evaluations)
    want = set(steps.tolist())
    xt = rng.choice([-1.0, 1.0], size=(2000, d))
    yt = np.prod(xt[:, :k], axis=1)
    loss, acc, share = [], [], []
    for t in range(1, p.steps + 1):
        x = rng.choice([-1.0, 1.0], size=(p.n, d))
        y = np.prod(x[:, :k], axis=1)
        h = np.maximum(x @ w1 + b1, 0.0)
        f = h @ w2
        g = -y * ((1.0 - y * f) > 0) / p.n
        gh = np.outer(g, w2) * (h > 0)
        w2 = w2 - p.lr * (h.T @ g)
        w1 = w1 - p.lr * (x.T @ gh)
        b1 = b1 - p.lr * gh.sum(0)
        if t in want:
            ft = np.maximum(xt @ w1 + b1, 0.0) @ w2
            loss.append(float(np.mean(np.maximum(0.0, 1.0 - yt * ft))))
            acc.append(float(np.mean(np.sign(ft) == yt)))
            share.append(float(np.sum(w1[:k] ** 2) / np.sum(w1**2)))
    return {"step": steps, "test_loss": np.array(loss), "test_acc": np.array(acc),
            "weight_on_support": np.array(share), "support_share_at_init": k / d}


# -- gradient descent finds the minimum-norm interpolant ----------------------------------------


@experiment("min-norm", "steps lr n dim init evaluations")
def _min_norm(p: DynamicsParams, rng: np.random.Generator) -> dict[str, Any]:
    """Gradient descent on an underdetermined least-squares problem (n equations, dim > n
    unknowns) from w = 0 and from a random start of scale ``init``.  Every step moves w in the
    row space of X, so from zero it converges to the minimum-norm interpolant; from the random
    start it keeps that start's null-space part for ever (Gunasekar et al. 2018).
    ``gap_zero``/``gap_random`` are the distances to the minimum-norm solution, ``null_part``
    the norm of the random start's null-space component, ``loss_*`` the training losses."""
    if p.dim <= p.n:
        msg = "min-norm needs dim > n (more unknowns than equations)"
        raise ValueError(msg)
    x = rng.normal(size=(p.n, p.dim)) / math.sqrt(p.dim)
    y = rng.normal(size=p.n)
    w_star = x.T @ np.linalg.solve(x @ x.T, y)
    w0 = p.init * rng.normal(size=p.dim) / math.sqrt(p.dim)
    null = w0 - x.T @ np.linalg.solve(x @ x.T, x @ w0)
    steps = log_steps(p.steps, p.evaluations)
    want = set(steps.tolist())
    out: dict[str, list[float]] = {k: [] for k in ("gap_zero", "gap_random", "loss_zero", "loss_random")}
    wz, wr = np.zeros(p.dim), w0.copy()
    for t in range(1, p.steps + 1):
        wz -= p.lr * x.T @ (x @ wz - y) / p.n
        wr -= p.lr * x.T @ (x @ wr - y) / p.n
        if t in want:
            out["gap_zero"].append(float(np.linalg.norm(wz - w_star)))
            out["gap_random"].append(float(np.linalg.norm(wr - w_star)))
            out["loss_zero"].append(float(np.mean((x @ wz - y) ** 2)))
            out["loss_random"].append(float(np.mean((x @ wr - y) ** 2)))
    res: dict[str, Any] = {"step": steps, **{k: np.array(v) for k, v in out.items()}}
    res["null_part"] = float(np.linalg.norm(null))
    res["null_line"] = np.full(steps.shape, float(np.linalg.norm(null)))
    res["min_norm"] = float(np.linalg.norm(w_star))
    return res


# -- clean labels first, noisy labels later (Arpit et al. 2017) --------------------------------


@experiment("noisy-labels", "steps lr n dim width noise evaluations")
def _noisy_labels(p: DynamicsParams, rng: np.random.Generator) -> dict[str, Any]:
    """The two-layer ReLU network of ``random-labels`` (full-batch Adam) on n points whose
    labels come from a linear rule, a share ``noise`` of them flipped.  Tracked: training
    accuracy on the clean points and on the flipped ones (against their flipped labels), and
    accuracy on 1000 fresh points with true labels.  The clean points are fitted first; the
    flipped ones are memorised later, and test accuracy falls as they are."""
    x = rng.normal(size=(p.n + 1000, p.dim))
    teacher = rng.normal(size=p.dim)
    y = (x @ teacher > 0).astype(float)
    flip = np.zeros(x.shape[0], bool)
    flip[rng.permutation(p.n)[: int(round(p.noise * p.n))]] = True
    y_noisy = np.where(flip, 1.0 - y, y)
    steps = log_steps(p.steps, p.evaluations)
    d, m = p.dim, p.width
    params = [rng.normal(size=(d, m)) * math.sqrt(2.0 / d), np.zeros(m), rng.normal(size=m) / math.sqrt(m),
              np.zeros(1)]
    mom = [np.zeros_like(q) for q in params]
    vel = [np.zeros_like(q) for q in params]
    want = set(steps.tolist())
    xtr, ytr = x[: p.n], y_noisy[: p.n]
    clean, noisy, test = [], [], []
    fl = flip[: p.n]
    for t in range(1, p.steps + 1):
        w1, b1, w2, b2 = params
        h = np.maximum(xtr @ w1 + b1, 0.0)
        z = h @ w2 + b2
        g = (1.0 / (1.0 + np.exp(-z)) - ytr) / p.n
        gh = np.outer(g, w2) * (h > 0)
        grads = [xtr.T @ gh, gh.sum(0), h.T @ g, np.array([g.sum()])]
        for i, gr in enumerate(grads):
            mom[i] = 0.9 * mom[i] + 0.1 * gr
            vel[i] = 0.999 * vel[i] + 0.001 * gr * gr
            params[i] = params[i] - p.lr * (mom[i] / (1 - 0.9**t)) / (np.sqrt(vel[i] / (1 - 0.999**t)) + 1e-8)
        if t in want:
            w1, b1, w2, b2 = params
            pred = (np.maximum(x @ w1 + b1, 0) @ w2 + b2) > 0
            right = pred[: p.n] == (ytr > 0.5)
            clean.append(float(right[~fl].mean()))
            noisy.append(float(right[fl].mean()))
            test.append(float(np.mean(pred[p.n:] == (y[p.n:] > 0.5))))
    clean_a, noisy_a, test_a = np.array(clean), np.array(noisy), np.array(test)
    return {"step": steps, "clean_fit": clean_a, "noisy_fit": noisy_a, "test_acc": test_a,
            "clean_90_step": first_step(steps, clean_a, 0.9), "noisy_90_step": first_step(steps, noisy_a, 0.9),
            "peak_test_acc": float(test_a.max()), "final_test_acc": float(test_a[-1])}


# -- a two-layer tanh network and its tangent kernel (shared with sweeps) ------------------------


def _tangent_kernel(xa: np.ndarray, xb: np.ndarray, w: np.ndarray, a: np.ndarray) -> np.ndarray:
    """NTK of f(x) = a.tanh(W x) / sqrt(m) between two sets of inputs."""
    m = a.size
    ta, tb = np.tanh(xa @ w.T), np.tanh(xb @ w.T)
    sa, sb = (1 - ta**2) * a, (1 - tb**2) * a
    return (ta @ tb.T + (sa @ sb.T) * (xa @ xb.T)) / m


def train_two_layer(x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray, *, width: int,
                    steps: int, lr: float, alpha: float | None, rng: np.random.Generator,
                    linearised: bool = False) -> dict[str, float]:
    """Full-batch gradient descent on f(x) = a.tanh(W x) / sqrt(m), W and a standard normal,
    for the scaled model h = alpha (f - f0) with loss 1/(2 n alpha^2) sum (h - y)^2 (alpha None:
    plain NTK-parametrised training of f).  Returns the relative parameter
    movement, the relative change of the tangent kernel on the training inputs, the final
    train and test losses and, when ``linearised``, the RMS test gap to the linearised model
    trained the same way (in function space, exactly)."""
    n, m = x.shape[0], width
    w = rng.normal(size=(m, x.shape[1]))
    a = rng.normal(size=m)
    w0, a0 = w.copy(), a.copy()
    f0 = np.tanh(x @ w.T) @ a / math.sqrt(m)
    f0t = np.tanh(xt @ w.T) @ a / math.sqrt(m)
    center = alpha is not None
    alpha = 1.0 if alpha is None else alpha
    k0 = _tangent_kernel(x, x, w, a)
    for _ in range(steps):
        th = np.tanh(x @ w.T)
        f = th @ a / math.sqrt(m)
        h = alpha * (f - f0) if center else f
        r = (h - y) / (n * alpha)  # d loss / d f, with the 1/alpha^2 loss scale
        ga = th.T @ r / math.sqrt(m)
        gw = ((1 - th**2) * a * r[:, None]).T @ x / math.sqrt(m)
        a = a - lr * ga
        w = w - lr * gw
    th, tht = np.tanh(x @ w.T), np.tanh(xt @ w.T)
    h = th @ a / math.sqrt(m)
    ht = tht @ a / math.sqrt(m)
    if center:
        h, ht = alpha * (h - f0), alpha * (ht - f0t)
    k1 = _tangent_kernel(x, x, w, a)
    out = {
        "movement": float(math.sqrt(np.sum((w - w0) ** 2) + np.sum((a - a0) ** 2))
                          / math.sqrt(np.sum(w0**2) + np.sum(a0**2))),
        "kernel_change": float(np.linalg.norm(k1 - k0) / np.linalg.norm(k0)),
        "train_loss": float(np.mean((h - y) ** 2)),
        "test_loss": float(np.mean((ht - yt) ** 2)),
    }
    if linearised:
        kt0 = _tangent_kernel(xt, x, w0, a0)
        res = f0 - y
        acc = np.zeros(n)
        step_mat = np.eye(n) - lr / n * k0
        for _ in range(steps):
            acc += res
            res = step_mat @ res
        lin_t = f0t - lr / n * kt0 @ acc
        out["linear_gap"] = float(np.sqrt(np.mean((lin_t - ht) ** 2)))
    return out
