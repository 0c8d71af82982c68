"""Recipes of the regularisation family."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.optimisation import Net, accuracy, init_mlp, train_mlp, two_moons

F = np.ndarray


class LotteryParams(Params):
    """Iterative magnitude pruning of a small ReLU MLP on two moons, with weight rewinding."""

    n_train: int = Field(200, ge=20, le=2000)
    n_test: int = Field(1000, ge=50, le=5000)
    noise: float = Field(0.2, ge=0.0, le=1.0)
    hidden: int = Field(24, ge=2, le=128)
    rounds: int = Field(12, ge=1, le=30)
    prune_rate: float = Field(0.25, gt=0.0, lt=1.0, description="share of surviving weights cut per round")
    output_rate: float = Field(0.5, ge=0.0, le=1.0, description="output layer is pruned at this fraction of the rate")
    train_steps: int = Field(300, ge=10, le=5000)
    rewind_step: int = Field(20, ge=0, le=1000, description="weights are rewound to this training step")
    lr: float = Field(0.02, gt=0.0, le=1.0)


def prune_layerwise(net: Net, masks: list[F], rate: float, output_rate: float) -> list[F]:
    """Cut the smallest-magnitude ``rate`` of each layer's surviving weights (Frankle & Carbin 2019).

    Layers are pruned separately, the output layer at a reduced rate as in the paper, so that
    no layer is emptied before the others.  Ties are broken by position, deterministically.
    """
    new = []
    for i, ((w, _), m) in enumerate(zip(net, masks, strict=True)):
        r = rate * (output_rate if i == len(net) - 1 else 1.0)
        alive = np.flatnonzero(m.ravel())
        cut = int(round(r * alive.size))
        flat = m.ravel().copy()
        if cut > 0:
            order = np.argsort(np.abs(w.ravel()[alive]), kind="stable")
            flat[alive[order[:cut]]] = 0.0
        new.append(flat.reshape(m.shape))
    return new


@recipe("lottery-ticket", LotteryParams)
def lottery_ticket(p: LotteryParams, rng: np.random.Generator) -> Arrays:
    """Accuracy against weights remaining for rewound tickets and for random re-initialisation.

    Each round trains the masked network from the rewound weights, prunes the smallest surviving
    weights of each layer, and rewinds the survivors to their values at ``rewind_step`` (Frankle
    et al. 2020's late rewinding; step 0 is the original lottery-ticket recipe).  The control
    trains the same sparse masks from a fresh random initialisation.  On a task this easy both
    stay accurate until the net is very sparse; the plate reports what the toy shows.
    """
    x, y = two_moons(p.n_train, p.noise, rng)
    x_te, y_te = two_moons(p.n_test, p.noise, rng)
    sizes = (2, p.hidden, p.hidden, 1)
    init = init_mlp(sizes, rng)
    rewound = train_mlp(init, x, y, p.rewind_step, p.lr) if p.rewind_step else init
    masks = [np.ones_like(w) for w, _ in init]
    total = sum(m.size for m in masks)
    remaining, acc_ticket, acc_random = [], [], []
    layer_density = []
    history = []
    for r in range(p.rounds + 1):
        trained = train_mlp(rewound, x, y, p.train_steps, p.lr, masks)
        remaining.append(sum(float(m.sum()) for m in masks) / total)
        layer_density.append([float(m.mean()) for m in masks])
        acc_ticket.append(accuracy(trained, x_te, y_te))
        fresh = init_mlp(sizes, rng)
        acc_random.append(accuracy(train_mlp(fresh, x, y, p.train_steps, p.lr, masks), x_te, y_te))
        history.append((masks, trained))
        if r < p.rounds:
            masks = prune_layerwise(trained, masks, p.prune_rate, p.output_rate)
    final_masks, final_net = history[-1]
    out: Arrays = {
        "layer_sizes": np.array(sizes),
        "remaining": np.array(remaining),
        "remaining_pct": 100 * np.array(remaining),
        "accuracy_ticket": np.array(acc_ticket),
        "accuracy_random": np.array(acc_random),
        "layer_density": np.array(layer_density),
        "round": np.arange(p.rounds + 1),
        "total_weights": total,
    }
    for i, (m, (w, _)) in enumerate(zip(final_masks, final_net, strict=True)):
        out[f"mask_{i}"] = m
        out[f"weight_{i}"] = w * m
    return out


# -- E4 penalty geometry: a quadratic loss meeting a constraint set ------------------------------------

PENALTIES = ("l2", "l1", "elastic", "bridge", "linf", "weighted-l2", "dropout")


class PenaltyParams(Params):
    """A 2-D quadratic loss, a penalty's constraint set, and the constrained solution path."""

    penalty: Literal["l2", "l1", "elastic", "bridge", "linf", "weighted-l2", "dropout"] = "l2"
    alpha: float = Field(0.5, ge=0.0, le=1.0, description="elastic net: weight of the L2 part")
    q: float = Field(0.5, ge=0.2, le=4.0, description="bridge penalty exponent, sum |w_i|^q")
    scales: tuple[float, float] = Field((1.0, 1.0), description="weighted-l2: per-weight penalty scales")
    feature_rates: tuple[float, float] = Field((0.5, 0.05), description="dropout: how often each binary feature is on")
    pgd_steps: int = Field(0, ge=0, le=2000, description="projected gradient descent steps (l2, linf)")
    pgd_lr: float = Field(0.2, gt=0.0, le=2.0)
    pgd_start: tuple[float, float] = (0.0, 0.0)
    centre: tuple[float, float] = (2.0, 1.0)
    curvatures: tuple[float, float] = (1.0, 0.25)
    angle_deg: float = Field(-30.0, ge=-90.0, le=90.0, description="orientation of the loss ellipse")
    radius: float = Field(1.0, gt=0.0, le=10.0, description="the constraint P(w) <= radius drawn")
    path_points: int = Field(60, ge=5, le=400)
    boundary_points: int = Field(7200, ge=400, le=72000, description="angles searched on the boundary")
    grid: int = Field(161, ge=41, le=401)
    extent: tuple[float, float, float, float] = (-2.5, 3.5, -2.5, 3.5)
    survey_angles: int = Field(24, ge=4, le=180, description="loss orientations in the sparsity survey")
    compare_l1: bool = Field(False, description="also run the survey with the L1 diamond")


def penalty_value(p: PenaltyParams, w: F) -> F:
    """The penalty P(w) over the last axis (a norm, except the elastic net's mixed form)."""
    a = np.abs(w)
    if p.penalty == "l2":
        return np.sqrt((a**2).sum(-1))
    if p.penalty == "l1":
        return a.sum(-1)
    if p.penalty == "elastic":  # Zou & Hastie's constraint: (1 - alpha)|w|_1 + alpha |w|_2^2
        return (1 - p.alpha) * a.sum(-1) + p.alpha * (a**2).sum(-1)
    if p.penalty == "bridge":
        return (a**p.q).sum(-1) ** (1.0 / p.q)
    if p.penalty == "linf":
        return a.max(-1)
    s = np.asarray(p.scales if p.penalty == "weighted-l2" else dropout_scales(p), float)
    return np.sqrt((s * a**2).sum(-1))


def dropout_scales(p: PenaltyParams) -> F:
    """Wager, Wang & Liang (2013): dropout on a GLM acts as the penalty
    delta / (2 (1 - delta)) sum_j w_j^2 sum_i A''(x_i . w) x_ij^2.  For binary features at the
    start (every A'' = 1/4) the weight of w_j^2 is proportional to how often feature j is on;
    the scales are normalised so the most frequent feature has weight one."""
    r = np.asarray(p.feature_rates, float)
    return r / r.max()


def boundary(p: PenaltyParams, t: float, n: int) -> F:
    """Points of the set P(w) = t along n directions (exact, per direction)."""
    phi = 2 * np.pi * np.arange(n) / n
    u = np.stack([np.cos(phi), np.sin(phi)], -1)
    u[np.abs(u) < 1e-15] = 0.0  # the axis directions are exactly on the axes
    if p.penalty == "elastic" and p.alpha > 0:
        a1 = (1 - p.alpha) * np.abs(u).sum(-1)
        a2 = p.alpha * (u**2).sum(-1)
        s = (-a1 + np.sqrt(a1**2 + 4 * a2 * t)) / (2 * a2)
    else:
        s = t / penalty_value(p, u)
    return u * s[:, None]


def _hessian(p: PenaltyParams) -> F:
    th = np.radians(p.angle_deg)
    r = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    return r @ np.diag(p.curvatures) @ r.T


def constrained_min(p: PenaltyParams, h: F, c: F, t: float, ring: F) -> F:
    """argmin of 1/2 (w-c)'H(w-c) subject to P(w) <= t, by exact search of the boundary.

    When the free optimum is inside the set it is the answer; otherwise the minimum lies on the
    boundary (for a convex set, and for the bridge set the global one over the boundary is taken),
    found over ``ring`` (the unit-radius boundary rescaled), which includes the axis directions
    exactly, so corner solutions have coordinates that are exactly zero.
    """
    if penalty_value(p, c) <= t:
        return c.copy()
    pts = boundary(p, t, ring.shape[0]) if p.penalty == "elastic" else ring * t
    d = pts - c
    loss = 0.5 * np.einsum("ni,ij,nj->n", d, h, d)
    return pts[int(np.argmin(loss))]


def _survey(p: PenaltyParams, ring: F) -> tuple[int, int]:
    """Sparse solutions among rotated losses (same curvatures) at two distances, fixed radius."""
    hits, total = 0, 0
    for k in range(p.survey_angles):
        q = p.model_copy(update={"angle_deg": -90.0 + 180.0 * k / p.survey_angles})
        hq = _hessian(q)
        for dist in (1.5, 3.0):
            for j in range(4):
                phi = np.pi / 8 + np.pi / 2 * j
                cq = dist * p.radius * np.array([np.cos(phi), np.sin(phi)])
                s = constrained_min(p, hq, cq, p.radius, ring)
                hits += bool(np.any(np.abs(s) < 1e-12))
                total += 1
    return hits, total


def _axis_intercept(p: PenaltyParams) -> float:
    return float(boundary(p, p.radius, 4)[0, 0])


@recipe("penalty-geometry", PenaltyParams)
def penalty_geometry(p: PenaltyParams, rng: np.random.Generator) -> Arrays:
    """Where a quadratic loss first touches a penalty's ball, and the path as the ball grows.

    Constrained regression (Hoerl & Kennard's ridge, Tibshirani's lasso, Zou & Hastie's elastic
    net, Frank & Friedman's bridge) minimises the loss subject to P(w) <= t.  In 2-D the answer
    is exact: the loss is evaluated at every boundary direction and the smallest taken.  The
    sparsity survey repeats the problem for ``survey_angles`` loss orientations and two
    distances (no randomness) and counts solutions with a coordinate exactly zero.
    """
    h = _hessian(p)
    c = np.asarray(p.centre, float)
    ring = boundary(p, 1.0, p.boundary_points)
    x0, x1, y0, y1 = p.extent
    gx, gy = np.linspace(x0, x1, p.grid), np.linspace(y0, y1, p.grid)
    pts = np.stack(np.meshgrid(gx, gy), -1)
    d = pts - c
    loss = 0.5 * np.einsum("...i,ij,...j->...", d, h, d)
    sol = constrained_min(p, h, c, p.radius, ring)
    ds = sol - c
    loss_at = float(0.5 * ds @ h @ ds)
    t_free = float(penalty_value(p, c))
    ts = np.linspace(0.0, t_free, p.path_points)
    path = np.array([constrained_min(p, h, c, float(t), ring) for t in ts])
    hits, total = _survey(p, ring)
    extra: Arrays = {}
    if p.compare_l1:
        l1 = p.model_copy(update={"penalty": "l1"})
        extra["sparse_rate_l1"] = _survey(l1, boundary(l1, 1.0, p.boundary_points))[0] / total
    return {
        "grid_x": gx,
        "grid_y": gy,
        "loss": loss,
        "loss_rel": loss / loss_at if loss_at > 0 else loss,
        "penalty": penalty_value(p, pts),
        "penalty_rel": penalty_value(p, pts) / p.radius,
        # reference diamond and circle through the same axis intercepts as the drawn set
        "l1_ref": np.abs(pts).sum(-1) / _axis_intercept(p),
        "l2_ref": np.sqrt((pts**2).sum(-1)) / _axis_intercept(p),
        "ball": np.vstack([boundary(p, p.radius, 720), boundary(p, p.radius, 720)[:1]]),
        "solution": sol[None],
        "optimum": c[None],
        "path": path,
        "path_radius": ts,
        "loss_at_solution": loss_at,
        "penalty_at_solution": float(penalty_value(p, sol)),
        "zero_weights": float(np.count_nonzero(np.abs(sol) < 1e-12)),
        "path_zero_frac": float(np.mean(np.any(np.abs(path[1:-1]) < 1e-12, axis=1))),
        "sparse_rate": hits / total,
        "free_penalty": t_free,
        "radius": p.radius,
        **extra,
        **_pgd(p, h, c, sol),
    }


def _pgd(p: PenaltyParams, h: F, c: F, sol: F) -> Arrays:
    """Projected gradient descent onto the constraint set (exact projections for l2 and linf)."""
    if p.pgd_steps == 0 or p.penalty not in ("l2", "linf"):
        return {}
    w = np.asarray(p.pgd_start, float)
    path = [w.copy()]
    clipped = 0
    for _ in range(p.pgd_steps):
        w = w - p.pgd_lr * h @ (w - c)
        if p.penalty == "l2":
            nrm = float(np.linalg.norm(w))
            if nrm > p.radius:
                w = w * (p.radius / nrm)
                clipped += 1
        else:
            if np.any(np.abs(w) > p.radius):
                clipped += 1
            w = np.clip(w, -p.radius, p.radius)
        path.append(w.copy())
    arr = np.array(path)
    return {"path_pgd": arr, "pgd_end_gap": float(np.linalg.norm(arr[-1] - sol)),
            "pgd_max_penalty": float(penalty_value(p, arr).max()), "pgd_clipped_steps": float(clipped),
            "pgd_steps": float(p.pgd_steps)}


# -- E2 shrinkage sweeps: one recipe, an ``experiment`` per plate ----------------------------------------

SHRINKAGE_EXPERIMENTS = ("lasso-path", "ridge-trace", "l-curve", "effective-df", "james-stein",
                         "early-stopping", "stochastic-depth", "label-smoothing", "group-lasso-path")


class ShrinkageParams(Params):
    """A metric or a path against the strength of a regulariser; ``experiment`` picks which."""

    experiment: Literal["lasso-path", "ridge-trace", "l-curve", "effective-df", "james-stein",
                        "early-stopping", "stochastic-depth", "label-smoothing", "group-lasso-path"]
    n: int = Field(60, ge=10, le=400, description="samples (regression experiments)")
    features: int = Field(8, ge=2, le=200, description="features / dimension")
    active: int = Field(3, ge=1, le=50, description="non-zero true coefficients (lasso, ridge)")
    correlation: float = Field(0.5, ge=0.0, le=0.95, description="feature correlation (AR-1)")
    noise: float = Field(1.0, ge=0.0, le=10.0)
    points: int = Field(60, ge=5, le=400, description="points along the knob")
    knob_min: float = Field(1e-3, gt=0.0, le=1e6)
    knob_max: float = Field(1e3, gt=0.0, le=1e8)
    repeats: int = Field(400, ge=1, le=20000, description="Monte Carlo repeats")
    signal: float = Field(1.0, ge=0.0, le=100.0, description="james-stein: |theta|^2 / dimension")
    lr: float = Field(0.05, gt=0.0, le=2.0, description="early-stopping: gradient-descent step")
    blocks: int = Field(54, ge=2, le=500, description="stochastic-depth: residual blocks")
    last_survival: float = Field(0.5, gt=0.0, le=1.0, description="stochastic-depth: p_L")
    classes: tuple[int, ...] = Field((2, 10, 100), min_length=1, max_length=5)
    group_size: int = Field(3, ge=1, le=20, description="group-lasso-path: features per group")


def _design(p: ShrinkageParams, rng: np.random.Generator) -> tuple[F, F, F]:
    """AR(1)-correlated Gaussian design, a sparse true coefficient vector and noisy targets."""
    idx = np.arange(p.features)
    cov = p.correlation ** np.abs(idx[:, None] - idx[None, :])
    x = rng.normal(size=(p.n, p.features)) @ np.linalg.cholesky(cov).T
    beta = np.zeros(p.features)
    k = min(p.active, p.features)
    beta[:k] = np.linspace(3.0, 1.0, k) * np.where(np.arange(k) % 2, -1.0, 1.0)
    beta = beta[rng.permutation(p.features)]
    y = x @ beta + p.noise * rng.normal(size=p.n)
    return x, y, beta


def lasso_cd(x: F, y: F, lam: float, beta: F, sweeps: int = 200, tol: float = 1e-10) -> F:
    """Coordinate descent for (1/2n)|y - Xb|^2 + lam |b|_1 from a warm start (exact zeros)."""
    n = len(y)
    col = (x**2).sum(0) / n
    b = beta.copy()
    r = y - x @ b
    for _ in range(sweeps):
        biggest = 0.0
        for j in range(x.shape[1]):
            old = b[j]
            rho = x[:, j] @ r / n + col[j] * old
            new = np.sign(rho) * max(abs(rho) - lam, 0.0) / col[j]
            if new != old:
                r -= x[:, j] * (new - old)
                b[j] = new
                biggest = max(biggest, abs(new - old))
        if biggest < tol:
            break
    return b


def _lasso_path(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    x, y, beta = _design(p, rng)
    x = (x - x.mean(0)) / x.std(0)
    y = y - y.mean()
    n = len(y)
    lam_max = float(np.max(np.abs(x.T @ y)) / n)
    lams = lam_max * np.geomspace(1.0, 1e-4, p.points)
    b = np.zeros(p.features)
    path = []
    for lam in lams:
        b = lasso_cd(x, y, float(lam), b)
        path.append(b.copy())
    coef = np.array(path).T
    l1 = np.abs(coef).sum(0)
    entry = np.array([first if (first := int(np.argmax(np.abs(c) > 0))) or abs(c[0]) > 0 else len(lams)
                      for c in coef])
    true = np.abs(beta) > 0
    first_k = np.argsort(entry, kind="stable")[: int(true.sum())]
    order = np.argsort(entry, kind="stable")
    by_entry = {f"entrant_{i + 1}": coef[j] for i, j in enumerate(order)}
    return {
        **by_entry,
        "lam": lams, "coef": coef, "shrinkage": l1 / l1[-1], "nonzero": (np.abs(coef) > 0).sum(0),
        "entry_order": np.argsort(entry, kind="stable"), "true_support": true.astype(float),
        "first_entrants_true": float(np.mean(true[first_k])), "lam_max": lam_max,
        "beta_true": beta,
    }


def _ridge_trace(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    x, y, beta = _design(p, rng)
    x = (x - x.mean(0)) / x.std(0)
    y = y - y.mean()
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    lams = np.geomspace(p.knob_min, p.knob_max, p.points)
    uy = u.T @ y
    coef = np.array([vt.T @ (s / (s**2 + lam) * uy) for lam in lams]).T
    ranked = {f"ranked_{i + 1}": coef[j] for i, j in enumerate(np.argsort(-np.abs(coef[:, 0])))}
    return {**ranked, "lam": lams, "coef": coef, "coef_norm": np.linalg.norm(coef, axis=0),
            "ols": coef[:, 0], "beta_true": beta, "min_abs_coef": float(np.abs(coef).min())}


def _l_curve(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    """Tikhonov on a 1-D Gaussian deblurring problem (an ill-posed first-kind equation)."""
    m = p.features
    t = (np.arange(m) + 0.5) / m
    a = np.exp(-((t[:, None] - t[None, :]) ** 2) / (2 * 0.05**2)) / m
    truth = np.sin(np.pi * t) + 0.5 * np.sin(3 * np.pi * t)
    b = a @ truth + p.noise * 1e-3 * rng.normal(size=m)
    u, s, vt = np.linalg.svd(a)
    ub = u.T @ b
    lams = np.geomspace(p.knob_min, p.knob_max, p.points)
    sols = np.array([vt.T @ (s / (s**2 + lam**2) * ub) for lam in lams])
    res = np.linalg.norm(sols @ a.T - b, axis=1)
    sol_norm = np.linalg.norm(sols, axis=1)
    err = np.linalg.norm(sols - truth, axis=1) / np.linalg.norm(truth)
    lr, ls = np.log(res), np.log(sol_norm)
    d1r, d1s = np.gradient(lr), np.gradient(ls)
    d2r, d2s = np.gradient(d1r), np.gradient(d1s)
    kappa = (d1r * d2s - d2r * d1s) / (d1r**2 + d1s**2) ** 1.5
    inner = slice(2, p.points - 2)
    corner = int(np.argmax(kappa[inner])) + 2
    return {"lam": lams, "residual_norm": res, "solution_norm": sol_norm, "error": err,
            "curvature": kappa, "corner": float(corner), "lam_corner": float(lams[corner]),
            "residual_corner": float(res[corner]), "solution_norm_corner": float(sol_norm[corner]),
            "error_corner": float(err[corner]), "error_best": float(err.min()),
            "corner_x": np.array([res[corner]]), "corner_y": np.array([sol_norm[corner]])}


def _effective_df(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    """Ridge's effective degrees of freedom: the trace formula against Efron's covariance form."""
    x, _, beta = _design(p, rng)
    s = np.linalg.svd(x, compute_uv=False)
    lams = np.geomspace(p.knob_min, p.knob_max, p.points)
    df = np.array([np.sum(s**2 / (s**2 + lam)) for lam in lams])
    mu = x @ beta
    ys = mu[None, :] + p.noise * rng.normal(size=(p.repeats, p.n))
    pick = np.unique(np.linspace(0, p.points - 1, 12).round().astype(int))
    mc = []
    for i in pick:
        hat = x @ np.linalg.solve(x.T @ x + lams[i] * np.eye(p.features), x.T)
        fits = ys @ hat.T
        cov = ((fits - fits.mean(0)) * (ys - ys.mean(0))).sum(0) / (p.repeats - 1)
        mc.append(cov.sum() / p.noise**2)
    half = float(np.interp(p.features / 2, df[::-1], lams[::-1]))
    return {"lam": lams, "df": df, "lam_mc": lams[pick], "df_mc": np.array(mc),
            "df_formula_at_mc": df[pick], "features": float(p.features), "lam_half": half}


def _james_stein(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    """Risk of the MLE and of James-Stein, exactly (Poisson mixture) and by Monte Carlo."""
    dims = np.arange(3, p.features + 1)
    exact, mc, mc_plus = [], [], []
    for d in dims:
        nc = p.signal * d  # |theta|^2
        k = np.arange(0, 400)
        logw = -nc / 2 + k * np.log(nc / 2 + 1e-300) - np.cumsum(np.log(np.maximum(k, 1)))
        w = np.exp(logw - logw.max()) if nc > 0 else (k == 0).astype(float)
        w = w / w.sum()
        e_inv = np.sum(w / (d + 2 * k - 2))
        exact.append(d - (d - 2) ** 2 * e_inv)
        theta = np.zeros(d)
        theta[0] = math.sqrt(nc)
        xs = theta + rng.normal(size=(p.repeats, d))
        sq = (xs**2).sum(1, keepdims=True)
        js = (1 - (d - 2) / sq) * xs
        jsp = np.maximum(1 - (d - 2) / sq, 0.0) * xs
        mc.append(np.mean(((js - theta) ** 2).sum(1)))
        mc_plus.append(np.mean(((jsp - theta) ** 2).sum(1)))
    return {"dimension": dims.astype(float), "risk_mle": dims.astype(float),
            "risk_js": np.array(exact), "risk_js_mc": np.array(mc), "risk_js_plus_mc": np.array(mc_plus),
            "ratio_last": float(exact[-1] / dims[-1])}


def _early_stopping(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    """Gradient descent on least squares from zero against ridge at lambda = 1/(lr t).

    Both are spectral filters of the same data: GD keeps 1 - (1 - lr s^2/n)^t of each singular
    direction, ridge s^2 / (s^2 + n lambda) (Yao, Rosasco & Caponnetto 2007).  Errors are exact
    expectations over fresh test points (the design's covariance is known).
    """
    idx = np.arange(p.features)
    cov = p.correlation ** np.abs(idx[:, None] - idx[None, :])
    chol = np.linalg.cholesky(cov)
    x = rng.normal(size=(p.n, p.features)) @ chol.T
    beta = rng.normal(size=p.features) / math.sqrt(p.features) * 2.0
    y = x @ beta + p.noise * rng.normal(size=p.n)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    uy = u.T @ y
    steps = np.unique(np.geomspace(1, p.knob_max, p.points).round().astype(int))
    lr = p.lr / float(s[0] ** 2 / p.n)

    def errs(filt: F) -> tuple[float, float]:
        b = vt.T @ (filt / s * uy)
        train = float(np.mean((x @ b - y) ** 2))
        d = b - beta
        return train, float(d @ cov @ d + p.noise**2)

    gd = np.array([errs(1 - (1 - lr * s**2 / p.n) ** t) for t in steps])
    ridge = np.array([errs(s**2 / (s**2 + p.n / (lr * t))) for t in steps])
    best = int(np.argmin(gd[:, 1]))
    return {"step": steps.astype(float), "train_gd": gd[:, 0], "test_gd": gd[:, 1],
            "test_ridge": ridge[:, 1], "train_ridge": ridge[:, 0], "best_step": float(steps[best]),
            "best_test_gd": float(gd[best, 1]), "last_test_gd": float(gd[-1, 1]),
            "best_test_ridge": float(ridge[:, 1].min()), "noise_floor": p.noise**2}


def _stochastic_depth(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    """Exact distribution of the number of surviving blocks (a Poisson-binomial, by convolution)."""
    ell = np.arange(1, p.blocks + 1)
    surv = 1 - ell / p.blocks * (1 - p.last_survival)
    pmf = np.array([1.0])
    for q in surv:
        pmf = np.convolve(pmf, [1 - q, q])
    mean = float(surv.sum())
    flat = np.full(p.blocks, mean / p.blocks)
    pmf_flat = np.array([1.0])
    for q in flat:
        pmf_flat = np.convolve(pmf_flat, [1 - q, q])
    k = np.arange(p.blocks + 1)
    return {"active": k.astype(float), "pmf_linear": pmf, "pmf_uniform": pmf_flat,
            "survival": surv, "block": ell.astype(float), "mean_active": mean,
            "mean_formula": (3 * p.blocks - 1) / 4 if p.last_survival == 0.5 else mean,
            "sd_linear": float(np.sqrt(np.sum(surv * (1 - surv)))),
            "sd_uniform": float(np.sqrt(np.sum(flat * (1 - flat)))), "blocks": float(p.blocks)}


def _label_smoothing(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    """The logit gap that minimises cross-entropy against smoothed targets, for several K.

    The optimum puts probability 1 - eps + eps/K on the true class and eps/K on each other, so
    the gap is log((1 - eps + eps/K) / (eps/K)): finite for every eps > 0.  A numerical minimiser
    (bisection on the derivative) checks the formula numerically.
    """
    eps = np.geomspace(p.knob_min, min(p.knob_max, 0.99), p.points)
    out: Arrays = {"epsilon": eps}
    for kk in p.classes:
        gap = np.log((1 - eps + eps / kk) / (eps / kk))
        out[f"gap_k{kk}"] = gap
    kk = p.classes[-1]
    probe = np.geomspace(eps[0], eps[-1], 7)
    gd = []
    for e in probe:  # bisection on the sign of d/dg of the smoothed CE (it is increasing in g)
        lo, hi = 0.0, 60.0
        for _ in range(200):
            g = 0.5 * (lo + hi)
            pt = 1.0 / (1.0 + (kk - 1) * math.exp(-g))
            lo, hi = (g, hi) if pt < 1 - e + e / kk else (lo, g)
        gd.append(g)
    out["epsilon_gd"] = probe
    out["gap_gd"] = np.array(gd)
    out["gap_formula_at_gd"] = np.log((1 - probe + probe / kk) / (probe / kk))
    return out


def _group_lasso_path(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    """Block coordinate descent for (1/2n)|y - Xb|^2 + lam sum_g sqrt(|g|) |b_g|_2 (Yuan & Lin).

    Groups are orthonormalised within themselves first (as Yuan & Lin assume), so each block
    update is an exact group soft-threshold.  ``active`` counts true groups (the first ones
    after a seeded permutation carry signal).
    """
    k = p.group_size
    groups = p.features // k
    x = rng.normal(size=(p.n, groups * k))
    x = x - x.mean(0)
    blocks = []
    for gi in range(groups):
        q, _ = np.linalg.qr(x[:, gi * k:(gi + 1) * k])
        blocks.append(q * math.sqrt(p.n))
    x = np.hstack(blocks)
    true_groups = rng.permutation(groups)[: min(p.active, groups)]
    beta = np.zeros(groups * k)
    for j, gi in enumerate(true_groups):
        beta[gi * k:(gi + 1) * k] = np.linspace(1.0, 0.4, k) * rng.choice([-1.0, 1.0], k) * (1.5 - 0.3 * j)
    y = x @ beta + p.noise * rng.normal(size=p.n)
    y = y - y.mean()
    n = p.n
    w = math.sqrt(k)
    lam_max = max(float(np.linalg.norm(x[:, g * k:(g + 1) * k].T @ y) / n) / w for g in range(groups))
    lams = lam_max * np.geomspace(1.0, 1e-3, p.points)
    b = np.zeros(groups * k)
    path = []
    for lam in lams:
        for _ in range(200):
            biggest = 0.0
            for g in range(groups):
                sl = slice(g * k, (g + 1) * k)
                r = y - x @ b + x[:, sl] @ b[sl]
                z = x[:, sl].T @ r / n
                nz = float(np.linalg.norm(z))
                new = (max(0.0, 1 - lam * w / nz) * z) if nz > 0 else np.zeros(k)
                biggest = max(biggest, float(np.abs(new - b[sl]).max()))
                b[sl] = new
            if biggest < 1e-10:
                break
        path.append(b.copy())
    coef = np.array(path).T
    norms = np.array([np.linalg.norm(coef[g * k:(g + 1) * k], axis=0) for g in range(groups)])
    zero_or_full = all(np.all((np.abs(coef[g * k:(g + 1) * k]) > 0).sum(0) % k == 0)
                       for g in range(groups))
    entry = np.array([int(np.argmax(nm > 0)) if np.any(nm > 0) else len(lams) for nm in norms])
    order = np.argsort(entry, kind="stable")
    first = order[: len(true_groups)]
    out: Arrays = {f"group_{i + 1}": norms[g] for i, g in enumerate(order)}
    for i, g in enumerate(order):
        for m in range(k):
            out[f"group_{i + 1}_coef_{m + 1}"] = coef[g * k + m]
    l1 = norms.sum(0)
    out.update({"lam": lams, "coef": coef, "group_norms": norms, "shrinkage": l1 / l1[-1],
                "groups_whole": float(zero_or_full),
                "first_groups_true": float(np.mean(np.isin(first, true_groups))),
                "groups_active": (norms > 0).sum(0).astype(float)})
    return out


_SHRINKAGE = {
    "lasso-path": _lasso_path, "ridge-trace": _ridge_trace, "l-curve": _l_curve,
    "effective-df": _effective_df, "james-stein": _james_stein, "early-stopping": _early_stopping,
    "stochastic-depth": _stochastic_depth, "label-smoothing": _label_smoothing,
    "group-lasso-path": _group_lasso_path,
}


@recipe("shrinkage", ShrinkageParams)
def shrinkage(p: ShrinkageParams, rng: np.random.Generator) -> Arrays:
    """A regulariser's strength against what it does: paths, risks, errors, distributions.

    ``experiment`` names one of :data:`SHRINKAGE_EXPERIMENTS`; each is small, vectorised and
    seeded (the closed-form ones ignore the generator).
    """
    return _SHRINKAGE[p.experiment](p, rng)
