"""The optimisation family's ``optim-experiment`` recipe: small experiments against a knob.

One recipe, several experiments chosen by ``experiment``; each returns named arrays for the
curve-vs-scale or density-ridges motifs.  Every experiment is exact arithmetic or a seeded numpy
simulation small enough for well under a second.  Registered through
:mod:`teeprint.recipes.optimisation`, which imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

F = np.ndarray


class ExperimentParams(Params):
    """Which experiment, and the few knobs the experiments share (each documents its own use)."""

    experiment: Literal["lr-range-test", "critical-batch", "init-variance", "jacobian-spectrum",
                        "sgd-stationary", "adam-counterexample", "deep-linear-modes", "line-search",
                        "hessian-spectrum", "linear-paths"]
    width: int = Field(128, ge=4, le=512, description="network width / dimension")
    depth: int = Field(50, ge=1, le=256, description="layers")
    steps: int = Field(300, ge=10, le=50000, description="optimisation steps")
    lr: float = Field(0.1, gt=0.0, le=100.0)
    lr_min: float = Field(1e-4, gt=0.0, le=100.0, description="lr-range-test: first learning rate")
    lr_max: float = Field(10.0, gt=0.0, le=1e4, description="lr-range-test: last learning rate")
    batch: int = Field(32, ge=1, le=4096)
    noise: float = Field(1.0, ge=0.0, le=100.0, description="label noise std")
    gains: tuple[float, ...] = Field((1.0, 2.0, 3.0), min_length=1, max_length=8,
                                     description="init-variance: weight variance x fan-in, one curve each")
    depths: tuple[int, ...] = Field((4, 16, 64), min_length=1, max_length=6,
                                    description="jacobian-spectrum: depths drawn")
    lrs: tuple[float, ...] = Field((0.02, 0.05, 0.1, 0.2), min_length=1, max_length=8,
                                   description="sgd-stationary: constant learning rates, one ridge each")
    modes: tuple[float, ...] = Field((4.0, 2.0, 1.0, 0.5), min_length=1, max_length=8,
                                     description="deep-linear-modes: singular values of the target map")
    init_scale: float = Field(1e-3, gt=0.0, le=10.0)
    repeats: int = Field(8, ge=1, le=64)


def _exp_lr_range(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Smith's range test: softmax regression on three Gaussian classes, minibatch SGD with the
    learning rate raised geometrically every step; loss per step and its bias-corrected EMA."""
    k, d, n = 3, p.width, 3000
    means = rng.normal(0.0, 1.0, (k, d)) * (1.2 / math.sqrt(d)) * math.sqrt(d) / 3
    y = rng.integers(0, k, n)
    x = means[y] + rng.normal(0.0, 1.0, (n, d))
    w = np.zeros((d, k))
    lrs = np.geomspace(p.lr_min, p.lr_max, p.steps)
    loss = np.empty(p.steps)
    with np.errstate(over="ignore", invalid="ignore"):
        for t, lr in enumerate(lrs):
            idx = rng.integers(0, n, p.batch)
            z = x[idx] @ w
            z = z - z.max(1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(1, keepdims=True))
            loss[t] = -logp[np.arange(p.batch), y[idx]].mean()
            g = np.exp(logp)
            g[np.arange(p.batch), y[idx]] -= 1.0
            w = w - lr * x[idx].T @ g / p.batch
    ema = np.empty_like(loss)
    acc = 0.0
    for t, v in enumerate(loss):
        acc = 0.98 * acc + 0.02 * (v if np.isfinite(v) else 1e3)
        ema[t] = acc / (1 - 0.98 ** (t + 1))
    best = int(np.argmin(ema))
    slope = np.gradient(ema, np.log(lrs))
    steep = int(np.argmin(slope[: best + 1])) if best > 0 else 0
    return {"lr": lrs, "loss": np.minimum(loss, 1e3), "loss_smooth": ema, "start_loss": math.log(k),
            "lr_at_min": float(lrs[best]), "lr_steepest": float(lrs[steep]), "min_loss": float(ema[best])}


def _exp_critical_batch(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Steps to a target excess risk for minibatch SGD on Gaussian linear regression with input
    covariance eigenvalues 1/i (i = 1..width), best fixed step per batch size, from the exact
    linear recursion of the expected squared error per eigendirection (no sampling):
    a' = (1 - eta l)^2 a + (eta^2 / B)(l^2 a + l (l . a)) + eta^2 l s^2 / B.
    The recursion a' = M a + c is solved through the eigendecomposition of the symmetric M."""
    d, s2 = p.width, p.noise**2
    lam = 1.0 / np.arange(1, d + 1)
    a0 = np.full(d, 1.0 / d)
    risk0 = 0.5 * float(lam @ a0)
    target = 1e-3 * risk0
    batches = 2.0 ** np.arange(0, 13)
    etas = np.geomspace(1e-3, 2.0, 120)
    ee, bb = np.meshgrid(etas, batches, indexing="ij")
    e, b = ee[..., None, None], bb[..., None, None]
    m = np.eye(d) * ((1 - ee[..., None] * lam) ** 2 + ee[..., None] ** 2 * lam**2 / bb[..., None])[..., None, :]
    m = m + (e**2 / b) * np.outer(lam, lam)
    c = ee[..., None] ** 2 * lam * s2 / bb[..., None]
    w, v = np.linalg.eigh(m)
    stable = np.abs(w).max(-1) < 1
    with np.errstate(all="ignore"):
        a_inf = np.linalg.solve(np.eye(d) - m, c[..., None])[..., 0]
        coef = np.einsum("...ji,...j->...i", v, a0 - a_inf)  # a0 - a_inf in M's eigenbasis
        proj = np.einsum("...ji,j->...i", v, 0.5 * lam)

        def excess(t: F) -> F:
            return 0.5 * np.einsum("...i,i->...", a_inf, lam) + np.sum(proj * coef * w ** t[..., None], -1)

        ok = stable & (excess(np.full(ee.shape, 1e7)) < target)
        lo, hi = np.zeros(ee.shape), np.full(ee.shape, 1e7)
        for _ in range(60):  # bisection on the first step at which the excess risk is below target
            mid = np.floor(0.5 * (lo + hi))
            below = excess(mid) <= target
            hi = np.where(below, mid, hi)
            lo = np.where(below, lo, mid)
            if np.all((hi - lo) <= 1):
                break
    steps = np.where(ok, hi, np.inf)
    best = steps.min(0)
    design = np.stack([np.ones_like(batches), 1.0 / batches], -1) / best[:, None]  # relative errors
    coef_fit, *_ = np.linalg.lstsq(design, np.ones_like(best), rcond=None)
    s_min, b_noise = float(coef_fit[0]), float(coef_fit[1] / coef_fit[0])
    return {"batch": batches, "steps": best, "examples": best * batches, "fit": s_min * (1 + b_noise / batches),
            "s_min": s_min, "b_noise": b_noise, "best_lr": etas[np.argmin(steps, 0)],
            "fit_error": np.abs(best / (s_min * (1 + b_noise / batches)) - 1)}


def _exp_init_variance(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Mean squared pre-activation per layer of a deep ReLU network at initialisation, weights
    N(0, gain / fan_in), one curve per gain (He et al.: gain 2 keeps it constant)."""
    n = p.width
    x = rng.normal(0.0, 1.0, (p.batch, n))
    rows = []
    for gain in p.gains:
        h = x
        q = []
        for _ in range(p.depth):
            w = rng.normal(0.0, math.sqrt(gain / n), (n, n))
            z = h @ w
            q.append(float(np.mean(z**2)))
            h = np.maximum(z, 0.0)
        rows.append(q)
    out: Arrays = {"layer": np.arange(1, p.depth + 1), "variance": np.array(rows)}
    for gain, q in zip(p.gains, rows, strict=True):
        out[f"variance_g{round(gain * 100)}"] = np.array(q)
    return out


def orthogonal(n: int, rng: np.random.Generator) -> F:
    """A Haar-random orthogonal n x n matrix (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def _exp_jacobian(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Singular values of the input-output Jacobian of deep tanh networks at initialisation
    (weight variance 1/fan_in, no biases): Gaussian against scaled-orthogonal weights, one row
    per (init, depth), histograms of log10 singular values."""
    n = p.width
    edges = np.linspace(-8.0, 1.0, 46)
    centres = 0.5 * (edges[1:] + edges[:-1])
    dens, labels, spread, smallest, largest = [], [], [], [], []
    for kind in ("gaussian", "orthogonal"):
        for depth in p.depths:
            h = rng.normal(0.0, 1.0, n)
            jac = np.eye(n)
            for _ in range(depth):
                w = orthogonal(n, rng) if kind == "orthogonal" else rng.normal(0.0, 1 / math.sqrt(n), (n, n))
                z = w @ h
                h = np.tanh(z)
                jac = (1 - h**2)[:, None] * (w @ jac)
            sv = np.linalg.svd(jac, compute_uv=False)
            lg = np.log10(np.maximum(sv, 1e-12))
            hist, _ = np.histogram(np.clip(lg, edges[0], edges[-1] - 1e-9), edges, density=True)
            dens.append(hist)
            labels.append(depth)
            spread.append(float(np.std(lg)))
            smallest.append(float(sv.min()))
            largest.append(float(sv.max()))
    return {"log_sv": centres, "density": np.array(dens), "depth": np.array(labels, float),
            "spread": np.array(spread), "smallest": np.array(smallest), "largest": np.array(largest),
            "rows_per_init": float(len(p.depths))}


def _exp_sgd_stationary(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Constant-step SGD (batch ``batch``, sampling with replacement) on 1-D least squares:
    the histogram of its iterates after burn-in, one ridge per step size, against the Gaussian
    predicted by the linear (Ornstein-Uhlenbeck-type) recursion with the measured gradient-noise
    variance at the optimum."""
    n = 1000
    x = rng.normal(0.0, 1.0, n)
    y = 0.5 * x + p.noise * rng.normal(0.0, 1.0, n)
    w_star = float(x @ y / (x @ x))
    h = float(np.mean(x**2))
    gvar = float(np.var(x * (x * w_star - y))) / p.batch
    lrs = np.array(p.lrs)
    chains = p.repeats
    burn = p.steps // 5
    w = np.full((len(lrs), chains), w_star)
    samples = []
    for t in range(p.steps):
        idx = rng.integers(0, n, (len(lrs), chains, p.batch))
        xi, yi = x[idx], y[idx]
        g = np.mean(xi * (xi * w[..., None] - yi), -1)
        w = w - lrs[:, None] * g
        if t >= burn:
            samples.append(w.copy())
    s = np.stack(samples, -1).reshape(len(lrs), -1) - w_star
    pred_std = np.sqrt(lrs**2 * gvar / (1 - (1 - lrs * h) ** 2))
    span = 4.0 * float(pred_std.max())
    grid = np.linspace(-span, span, 161)
    edges = np.concatenate([[grid[0] - (grid[1] - grid[0]) / 2], (grid[1:] + grid[:-1]) / 2,
                            [grid[-1] + (grid[1] - grid[0]) / 2]])
    hist = np.array([np.histogram(row, edges, density=True)[0] for row in s])
    pred = np.exp(-0.5 * (grid[None, :] / pred_std[:, None]) ** 2) / (pred_std[:, None] * math.sqrt(2 * math.pi))
    return {"offset": grid, "density": hist, "predicted": pred, "lrs": lrs, "measured_std": s.std(1),
            "predicted_std": pred_std, "std_ratio": s.std(1) / pred_std, "mean_offset": s.mean(1)}


def _exp_adam_counterexample(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Reddi et al.'s online problem on [-1, 1]: f_t(x) = C x when t mod 3 = 1, else -x (C = 3),
    whose best fixed point is x = -1.  Adam (beta1 = 0, beta2 = 1/(1 + C^2)) and AMSGrad with
    steps lr / sqrt(t), projected onto [-1, 1]."""
    c = 3.0
    b2 = 1.0 / (1.0 + c**2)
    xs = {"adam": 0.0, "amsgrad": 0.0}
    v = {"adam": 0.0, "amsgrad": 0.0}
    vmax = 0.0
    traj = {k: np.empty(p.steps) for k in xs}
    regret = {k: np.empty(p.steps) for k in xs}
    total = dict.fromkeys(xs, 0.0)
    best = 0.0
    for t in range(1, p.steps + 1):
        g = c if t % 3 == 1 else -1.0
        best += g * -1.0
        for k in xs:
            total[k] += g * xs[k]
            v[k] = b2 * v[k] + (1 - b2) * g * g
            denom = v[k]
            if k == "amsgrad":
                vmax = max(vmax, v[k])
                denom = vmax
            xs[k] = float(np.clip(xs[k] - p.lr / math.sqrt(t) * g / math.sqrt(denom), -1.0, 1.0))
            traj[k][t - 1] = xs[k]
            regret[k][t - 1] = (total[k] - best) / t
    return {"step": np.arange(1, p.steps + 1), "x_adam": traj["adam"], "x_amsgrad": traj["amsgrad"],
            "avg_regret_adam": regret["adam"], "avg_regret_amsgrad": regret["amsgrad"], "optimum": -1.0,
            "avg_regret_adam_end": float(regret["adam"][-1]), "avg_regret_amsgrad_end": float(regret["amsgrad"][-1])}


def _exp_deep_linear(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """A two-layer linear network W2 W1 trained by full-batch gradient descent from a small
    random init on whitened inputs towards a target map with the given singular values; the
    strength it has learnt of each target mode (u_i' W2 W1 v_i) against the step."""
    n = max(len(p.modes), 4)
    u = orthogonal(n, rng)
    v = orthogonal(n, rng)
    s = np.zeros(n)
    s[: len(p.modes)] = p.modes
    target = u @ np.diag(s) @ v.T
    w1 = p.init_scale * rng.normal(size=(p.width, n))
    w2 = p.init_scale * rng.normal(size=(n, p.width))
    learnt = np.empty((len(p.modes), p.steps))
    for t in range(p.steps):
        prod = w2 @ w1
        err = target - prod
        w1, w2 = w1 + p.lr * w2.T @ err, w2 + p.lr * err @ w1.T
        learnt[:, t] = np.einsum("ij,ik,kj->j", u[:, : len(p.modes)], w2 @ w1, v[:, : len(p.modes)])
    half = np.array([float(np.argmax(row >= 0.5 * m)) for row, m in zip(learnt, p.modes, strict=True)])
    out: Arrays = {"step": np.arange(1, p.steps + 1), "learnt": learnt, "modes": np.array(p.modes),
                   "fraction": learnt / np.array(p.modes)[:, None], "half_time": half}
    for i, row in enumerate(learnt):
        out[f"learnt_{i}"] = row
    return out


def _exp_line_search(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Armijo backtracking on Rosenbrock from (-1.2, 1) along the steepest-descent direction:
    phi(t) = f(w - t g), the sufficient-decrease line phi(0) - c t |g|^2 with c = ``lr``, and the
    trial steps t0 = ``lr_max``, t0/2, t0/4, ... until the first one under the line."""
    from teeprint.recipes.optimisation import (
        LOSSES,  # the table of 2-D losses (no import cycle at load)
    )

    loss = LOSSES["rosenbrock"]
    w = np.array([-1.2, 1.0])
    g = np.asarray(loss.grad(w[0], w[1], 0.0), float)
    gg = float(g @ g)
    c = p.lr
    t = np.linspace(0.0, p.lr_max, 801)
    pts = w[None, :] - t[:, None] * g[None, :]
    phi = np.asarray(loss.f(pts[:, 0], pts[:, 1], 0.0), float)
    phi0 = float(phi[0])
    trials = []
    step = p.lr_max
    for _ in range(60):
        q = w - step * g
        val = float(loss.f(q[0], q[1], 0.0))
        trials.append((step, val))
        if val <= phi0 - c * step * gg:
            break
        step *= 0.5
    tt = np.array([a for a, _ in trials])
    tv = np.array([b for _, b in trials])
    return {"t": t, "phi": phi, "armijo_line": phi0 - c * t * gg, "tangent": phi0 - t * gg,
            "trial_t": tt, "trial_phi": tv, "trial_line": phi0 - c * tt * gg, "accepted_t": float(tt[-1]),
            "accepted_phi": float(tv[-1]), "phi0": phi0, "n_trials": float(len(tt)), "slope0": -gg}


def _exp_hessian(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Every eigenvalue of the training-loss Hessian of a small tanh MLP (2 -> width -> K, K =
    ``batch`` classes of Gaussian blobs) after full-batch gradient descent: the Hessian is built
    column by column from central differences of the exact backpropagated gradient."""
    k, d, h, n = p.batch, 2, p.width, 400
    means = rng.normal(0.0, 2.0, (k, d))
    y = rng.integers(0, k, n)
    x = means[y] + rng.normal(0.0, 1.0, (n, d))
    shapes = [(d, h), (h,), (h, k), (k,)]
    sizes = [int(np.prod(s)) for s in shapes]
    cuts = np.cumsum(sizes)[:-1]

    def loss_grad(w: F) -> tuple[float, F]:
        w1, b1, w2, b2 = (part.reshape(s) for part, s in zip(np.split(w, cuts), shapes, strict=True))
        a = np.tanh(x @ w1 + b1)
        o = a @ w2 + b2
        o = o - o.max(1, keepdims=True)
        logp = o - np.log(np.exp(o).sum(1, keepdims=True))
        do = np.exp(logp)
        do[np.arange(n), y] -= 1.0
        do /= n
        dz = (do @ w2.T) * (1 - a**2)
        grad = np.concatenate([(x.T @ dz).ravel(), dz.sum(0), (a.T @ do).ravel(), do.sum(0)])
        return float(-logp[np.arange(n), y].mean()), grad

    w = np.concatenate([rng.normal(0, 1 / math.sqrt(d), d * h), np.zeros(h),
                        rng.normal(0, 1 / math.sqrt(h), h * k), np.zeros(k)])
    for _ in range(p.steps):
        _, g = loss_grad(w)
        w = w - p.lr * g
    loss, g = loss_grad(w)
    eps = 1e-5
    hess = np.empty((w.size, w.size))
    for i in range(w.size):
        e = np.zeros(w.size)
        e[i] = eps
        hess[:, i] = (loss_grad(w + e)[1] - loss_grad(w - e)[1]) / (2 * eps)
    hess = 0.5 * (hess + hess.T)
    ev = np.sort(np.linalg.eigvalsh(hess))[::-1]
    return {"rank": np.arange(1, ev.size + 1), "eigenvalues": ev, "relative": ev / ev[0],
            "hessian": hess, "eigen_row": (ev / ev[0])[None, :],
            "train_loss": loss, "grad_norm": float(np.linalg.norm(g)), "n_params": float(ev.size),
            "classes": float(k)}


def _exp_linear_paths(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Two ReLU MLPs (2 -> width -> width -> 1) trained with full-batch Adam on the same two-moons
    sample from different random inits; the training loss along straight lines in weight space:
    from the first net's init to its trained weights, and from one trained net to the other."""
    from teeprint.recipes.optimisation import bce, init_mlp, mlp_logits, train_mlp, two_moons

    x, y = two_moons(200, 0.15, rng)
    sizes = (2, p.width, p.width, 1)
    init_a, init_b = init_mlp(sizes, rng), init_mlp(sizes, rng)
    net_a = train_mlp(init_a, x, y, p.steps, p.lr)
    net_b = train_mlp(init_b, x, y, p.steps, p.lr)
    alpha = np.linspace(-0.25, 1.25, 61)

    def along(u: list[tuple[F, F]], v: list[tuple[F, F]]) -> F:
        out = []
        for a in alpha:
            net = [((1 - a) * wu + a * wv, (1 - a) * bu + a * bv) for (wu, bu), (wv, bv) in zip(u, v, strict=True)]
            out.append(float(bce(mlp_logits(net, x), y)))
        return np.array(out)

    from_init = along(init_a, net_a)
    between = along(net_a, net_b)
    inside = (alpha >= 0) & (alpha <= 1)
    ends = max(between[np.argmin(np.abs(alpha))], between[np.argmin(np.abs(alpha - 1))])
    acc = [float(np.mean((mlp_logits(n, x) > 0) == (y > 0.5))) for n in (net_a, net_b)]
    return {"alpha": alpha, "from_init": from_init, "between": between, "inside": inside.astype(float),
            "barrier": float(between[inside].max() - ends), "end_loss": float(ends),
            "init_loss": float(from_init[np.argmin(np.abs(alpha))]), "accuracy": np.array(acc)}


_EXPERIMENTS: dict[str, Callable[[ExperimentParams, np.random.Generator], Arrays]] = {
    "lr-range-test": _exp_lr_range,
    "critical-batch": _exp_critical_batch,
    "init-variance": _exp_init_variance,
    "jacobian-spectrum": _exp_jacobian,
    "sgd-stationary": _exp_sgd_stationary,
    "adam-counterexample": _exp_adam_counterexample,
    "deep-linear-modes": _exp_deep_linear,
    "line-search": _exp_line_search,
    "hessian-spectrum": _exp_hessian,
    "linear-paths": _exp_linear_paths,
}


@recipe("optim-experiment", ExperimentParams)
def optim_experiment(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Small optimisation experiments, one per ``experiment``:

    * ``lr-range-test`` (Smith 2017): ``lr``, ``loss``, ``loss_smooth``, ``lr_at_min``,
      ``lr_steepest``, ``min_loss``, ``start_loss``; uses width (input dimension), steps, batch,
      lr_min, lr_max;
    * ``critical-batch`` (McCandlish et al. 2018), exact expected-risk recursion: ``batch``,
      ``steps`` (to risk 0.01 from 1, best fixed step), ``examples``, ``fit`` = S_min (1 +
      B_noise/B), ``s_min``, ``b_noise``, ``best_lr``; uses width (dimension), noise;
    * ``init-variance`` (He et al. 2015): ``layer``, ``variance`` (gains x layers) and
      ``variance_g<100 x gain>``; uses width, depth, gains, batch (inputs pushed through);
    * ``jacobian-spectrum`` (Pennington et al. 2017): ``log_sv`` bins, ``density`` (Gaussian rows
      then orthogonal rows, one per depth), ``depth``, ``spread`` (std of log10 sv), ``smallest``,
      ``largest``; uses width, depths;
    * ``sgd-stationary`` (Mandt et al. 2017): ``offset`` from the optimum, ``density`` (one row per
      lr), ``predicted``, ``lrs``, ``measured_std``, ``predicted_std``, ``std_ratio``; uses lrs,
      batch, noise, steps, repeats (parallel chains);
    * ``adam-counterexample`` (Reddi et al. 2018): ``step``, ``x_adam``, ``x_amsgrad``,
      ``avg_regret_adam``, ``avg_regret_amsgrad``; uses steps, lr;
    * ``deep-linear-modes`` (Saxe et al. 2014): ``step``, ``learnt`` and ``fraction`` (modes x
      steps), ``modes``, ``half_time``; uses modes, width (hidden units), steps, lr, init_scale;
    * ``line-search`` (Armijo 1966), exact: ``t``, ``phi``, ``armijo_line``, ``tangent``,
      ``trial_t``, ``trial_phi``, ``trial_line``, ``accepted_t``, ``accepted_phi``, ``phi0``,
      ``n_trials``; uses lr (the constant c) and lr_max (the first trial step);
    * ``hessian-spectrum`` (Sagun et al. 2016): ``rank``, ``eigenvalues`` (descending),
      ``relative`` (÷ the largest), ``hessian`` (the matrix, weights ordered W1, b1, W2, b2),
      ``eigen_row`` (relative, as a 1-row matrix), ``train_loss``, ``grad_norm``, ``n_params``, ``classes``; uses
      width (hidden units), batch (number of classes), steps, lr;
    * ``linear-paths`` (Goodfellow et al. 2015): ``alpha``, ``from_init`` (loss from init to
      trained weights), ``between`` (loss from one trained net to another), ``barrier``,
      ``end_loss``, ``init_loss``, ``accuracy``; uses width, steps, lr (Adam).
    """
    return _EXPERIMENTS[p.experiment](p, rng)
