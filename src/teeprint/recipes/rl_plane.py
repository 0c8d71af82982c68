"""Reinforcement learning on a plane: policies as points, drawn by ``trajectory-contour``.

``rl-plane``: the experiments are listed on :func:`rl_plane`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe


class RLPlaneParams(Params):
    """Which plane, and its settings."""

    experiment: Literal["softmax-pg", "trust-region", "lqr", "replicator", "ou-noise", "linucb"] = "softmax-pg"
    rewards: tuple[float, float, float] = (1.0, 0.5, 0.0)
    start: tuple[float, float] = Field((-2.0, 3.0), description="softmax: logits of arms 1 and 2 (arm 3 at 0)")
    extent: tuple[float, float, float, float] = (-4.0, 6.0, -4.0, 6.0)
    grid: int = Field(81, ge=21, le=201)
    lr: float = Field(0.5, gt=0.0, le=50.0)
    steps: int = Field(60, ge=2, le=5000)
    delta: float = Field(0.2, gt=0.0, le=5.0, description="trust-region: KL radius per step")
    a_matrix: tuple[float, float, float, float] = (1.1, 0.3, -0.3, 1.1)
    b_vector: tuple[float, float] = (0.0, 1.0)
    q_weight: float = Field(1.0, gt=0.0, le=100.0)
    r_weight: float = Field(1.0, gt=0.0, le=100.0)
    starts: tuple[tuple[float, float], ...] = Field(((2.0, 0.0),), min_length=1, max_length=8)
    open_start: tuple[float, float] | None = Field(None, description="lqr: start of the uncontrolled path (default: the first start)")
    theta: float = Field(0.15, gt=0.0, le=5.0, description="ou-noise: pull back to zero per unit time")
    sigma: float = Field(0.3, gt=0.0, le=5.0, description="ou-noise: noise scale")
    dt: float = Field(0.05, gt=0.0, le=1.0)
    arms: tuple[tuple[float, float, float], ...] = Field(
        ((0.0, 1.0, 0.0), (0.0, -0.5, 0.8), (0.1, -0.5, -0.8)), min_length=2, max_length=5,
        description="linucb: each arm's true (intercept, weight on x, weight on y)")
    runs: int = Field(20, ge=1, le=200, description="linucb: seeded runs")
    bonus: float = Field(1.0, ge=0.0, le=10.0, description="linucb: alpha, the width of the confidence bonus")
    noise: float = Field(0.1, ge=0.0, le=2.0, description="linucb: reward noise sd")


def _softmax3(t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    z = np.stack([t1, t2, np.zeros_like(t1)], -1)
    z = np.exp(z - z.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def _pg_grad(th: np.ndarray, r: np.ndarray, natural: bool) -> np.ndarray:
    pi = _softmax3(np.array(th[0]), np.array(th[1]))
    j = pi @ r
    g = (pi * (r - j))[:2]
    if not natural:
        return g
    fisher = np.diag(pi[:2]) - np.outer(pi[:2], pi[:2])
    return np.linalg.solve(fisher + 1e-12 * np.eye(2), g)


def _kl3(p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    return np.sum(p0 * (np.log(p0) - np.log(p1)), -1)


@recipe("rl-plane", RLPlaneParams)
def rl_plane(p: RLPlaneParams, rng: np.random.Generator) -> Arrays:
    """Policies or states as points of a plane (exact unless noted):

    * ``softmax-pg`` — a three-armed bandit with a softmax policy on logits (t1, t2, 0) and
      exact expected reward J; gradient ascent and natural gradient ascent (Fisher of the
      softmax) from ``start`` with step ``lr``.  Arrays ``grid_x``, ``grid_y``, ``J``,
      ``path_vanilla`` / ``path_natural`` (steps + 1, 2), ``j_vanilla`` / ``j_natural`` per
      step, ``best`` (the best arm's reward).
    * ``trust-region`` — the same plane; from ``start``, ``steps`` trust-region steps: the
      natural-gradient direction scaled to the quadratic KL radius ``delta``, halved until the
      exact KL(pi_old || pi_new) <= delta and J improves.  ``kl_first`` is the KL surface from
      the start, ``path_trpo`` the iterates, ``kl_steps`` / ``j_trpo`` per step.
    * ``lqr`` — x' = A x + B u with cost x'Qx + r u^2: the Riccati recursion iterated to a fixed
      point P, the gain K, closed-loop paths from ``starts`` (``paths`` (k, steps + 1, 2)),
      the open-loop path from ``open_start`` (or the first start) while inside the plane (``open_path``), ``cost`` = x'Px on the grid,
      ``rho_open`` / ``rho_closed`` (spectral radii), ``riccati_residual``.
    * ``replicator`` — rock-paper-scissors: replicator dynamics (RK4, step ``dt``) from
      ``starts`` given as (rock, paper) shares, and fictitious play (each player's best reply to
      the other's empirical mix) from the first start; points on the simplex drawn in the plane
      by x = paper + scissors / 2, y = scissors * sqrt(3) / 2.  ``product`` (rock * paper *
      scissors on the grid, NaN outside the simplex), ``paths``, ``fp_path``, ``drift`` (largest
      relative change of the product along the replicator paths), ``fp_gap`` (distance of
      fictitious play's final mix from the centre), ``fp_early_gap`` (after a tenth of the steps),
      ``corners`` and ``simplex`` (the triangle's outline).
    * ``ou-noise`` — seeded: a 2-D Ornstein-Uhlenbeck process dx = -theta x dt + sigma dW
      (Euler-Maruyama) beside white noise of the same stationary spread, ``steps`` steps, as
      ``path_ou`` / ``path_white``; ``lag1_ou`` / ``lag1_white`` (lag-one autocorrelation of
      each coordinate, mean over 40 seeded runs), ``sd_ou`` / ``sd_white`` (their spreads).
    * ``linucb`` — seeded: contexts uniform on the plane, arm a pays (1, x, y) . theta_a plus
      noise; disjoint LinUCB (ridge estimates, bonus alpha sqrt(z' A^-1 z)) for ``steps``
      rounds, ``runs`` runs.  ``true_best`` / ``learned_best`` (grid of best arms, the learned
      one of the printed run), ``ctx_early`` / ``arm_early`` and ``ctx_late`` / ``arm_late``
      (its first and last 100 contexts and the arms it chose), ``agree`` (share of the plane
      where learned and true best arms agree, median over runs), ``best_early`` /
      ``best_late`` (share of the first / last 100 rounds on the best arm, median over runs).
    """
    x0, x1, y0, y1 = p.extent
    gx = np.linspace(x0, x1, p.grid)
    gy = np.linspace(y0, y1, p.grid)
    xx, yy = np.meshgrid(gx, gy)
    out: Arrays = {"grid_x": gx, "grid_y": gy}
    r = np.array(p.rewards)
    if p.experiment in ("softmax-pg", "trust-region"):
        out["J"] = _softmax3(xx, yy) @ r
        out["best"] = float(r.max())
        out["start"] = np.array([p.start])
    if p.experiment == "softmax-pg":
        for key, natural in (("vanilla", False), ("natural", True)):
            th = np.array(p.start, float)
            path, js = [th.copy()], []
            for _ in range(p.steps):
                new = th + p.lr * _pg_grad(th, r, natural)
                if not (x0 <= new[0] <= x1 and y0 <= new[1] <= y1):
                    break  # the path is drawn inside the plane; J is followed to the end
                th = new
                path.append(th.copy())
            th = np.array(p.start, float)
            for _ in range(p.steps + 1):
                js.append(float(_softmax3(np.array(th[0]), np.array(th[1])) @ r))
                th = th + p.lr * _pg_grad(th, r, natural)
            out[f"path_{key}"] = np.array(path)
            out[f"j_{key}"] = np.array(js)
        out["step"] = np.arange(p.steps + 1, dtype=float)
    elif p.experiment == "trust-region":
        th = np.array(p.start, float)
        p_start = _softmax3(np.array(th[0]), np.array(th[1]))
        out["kl_first"] = _kl3(p_start[None, None, :], _softmax3(xx, yy))
        path, kls, js = [th.copy()], [], [float(p_start @ r)]
        for _ in range(p.steps):
            pi = _softmax3(np.array(th[0]), np.array(th[1]))
            fisher = np.diag(pi[:2]) - np.outer(pi[:2], pi[:2])
            g = (pi * (r - pi @ r))[:2]
            d = np.linalg.solve(fisher + 1e-12 * np.eye(2), g)
            step = np.sqrt(2 * p.delta / max(float(d @ fisher @ d), 1e-300)) * d
            for _ in range(30):
                new = th + step
                pn = _softmax3(np.array(new[0]), np.array(new[1]))
                if _kl3(pi, pn) <= p.delta and pn @ r > pi @ r:
                    break
                step = step / 2
            if not (x0 <= new[0] <= x1 and y0 <= new[1] <= y1):
                break
            kls.append(float(_kl3(pi, pn)))
            th = new
            path.append(th.copy())
            js.append(float(pn @ r))
        out["path_trpo"] = np.array(path)
        out["kl_steps"] = np.array(kls)
        out["j_trpo"] = np.array(js)
    elif p.experiment == "lqr":
        a = np.array(p.a_matrix).reshape(2, 2)
        b = np.array(p.b_vector).reshape(2, 1)
        qm = p.q_weight * np.eye(2)
        pm = qm.copy()
        for _ in range(5000):
            k = np.linalg.solve(p.r_weight + b.T @ pm @ b, b.T @ pm @ a)
            new = qm + a.T @ pm @ a - a.T @ pm @ b @ k
            if np.abs(new - pm).max() < 1e-12:
                pm = new
                break
            pm = new
        k = np.linalg.solve(p.r_weight + b.T @ pm @ b, b.T @ pm @ a)
        closed = a - b @ k
        resid = qm + a.T @ pm @ a - a.T @ pm @ b @ np.linalg.solve(p.r_weight + b.T @ pm @ b, b.T @ pm @ a) - pm
        paths = []
        for s in p.starts:
            x = np.array(s, float)
            tr = [x.copy()]
            for _ in range(p.steps):
                x = closed @ x
                tr.append(x.copy())
            paths.append(tr)
        x = np.array(p.open_start or p.starts[0], float)
        op = [x.copy()]
        for _ in range(p.steps):
            x = a @ x
            if not (x0 <= x[0] <= x1 and y0 <= x[1] <= y1):
                break  # drawn only inside the plane
            op.append(x.copy())
        out["paths"] = np.array(paths)
        out["open_path"] = np.array(op)
        pts = np.stack([xx, yy], -1)
        out["cost"] = np.einsum("...i,ij,...j->...", pts, pm, pts)
        out["rho_open"] = float(np.abs(np.linalg.eigvals(a)).max())
        out["rho_closed"] = float(np.abs(np.linalg.eigvals(closed)).max())
        out["riccati_residual"] = float(np.abs(resid).max())
        out["gain"] = k.ravel()
        out["P"] = pm
        out["origin"] = np.zeros((1, 2))
        out["final_norm"] = np.array([float(np.linalg.norm(t[-1])) for t in paths])
        out["start_norm"] = np.array([float(np.linalg.norm(t[0])) for t in paths])
    elif p.experiment == "replicator":
        pay = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])

        def plane(x: np.ndarray) -> np.ndarray:
            return np.stack([x[..., 1] + x[..., 2] / 2, x[..., 2] * np.sqrt(3) / 2], -1)

        def field(x: np.ndarray) -> np.ndarray:
            f = pay @ x
            return x * (f - x @ f)

        sc = yy / (np.sqrt(3) / 2)
        pa = xx - sc / 2
        ro = 1 - pa - sc
        inside = (sc >= 0) & (pa >= 0) & (ro >= 0)
        out["product"] = np.where(inside, ro * pa * sc, np.nan)
        orbits: list[np.ndarray] = []
        drift = 0.0
        for s in p.starts:
            x = np.array([s[0], s[1], 1 - s[0] - s[1]])
            prod0 = x.prod()
            tr = [x.copy()]
            for _ in range(p.steps):
                k1 = field(x)
                k2 = field(x + p.dt / 2 * k1)
                k3 = field(x + p.dt / 2 * k2)
                k4 = field(x + p.dt * k3)
                x = x + p.dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
                tr.append(x.copy())
                drift = max(drift, abs(x.prod() / prod0 - 1))
            orbits.append(plane(np.array(tr)))
        out["paths"] = np.array(orbits)
        out["drift"] = float(drift)
        s = p.starts[0]
        counts = np.array([s[0], s[1], 1 - s[0] - s[1]]) * 3.0
        fp = [counts / counts.sum()]
        for _ in range(p.steps):
            mix = counts / counts.sum()
            counts[int(np.argmax(pay @ mix))] += 1.0  # symmetric game: both players play alike
            fp.append(counts / counts.sum())
        fpa = np.array(fp)
        out["fp_path"] = plane(fpa)
        out["fp_gap"] = float(np.linalg.norm(fpa[-1] - 1 / 3))
        out["fp_early_gap"] = float(np.linalg.norm(fpa[p.steps // 10] - 1 / 3))
        out["centre"] = plane(np.full((1, 3), 1 / 3))
        out["corners"] = plane(np.eye(3))
        out["simplex"] = plane(np.eye(3)[[0, 1, 2, 0]])
    elif p.experiment == "linucb":
        _linucb(p, rng, xx, yy, out)
    else:  # ou-noise
        n = p.steps
        sd_stat = p.sigma / np.sqrt(2 * p.theta)
        lag_ou: list[float] = []
        lag_wh: list[float] = []
        sd_ou: list[float] = []
        sd_wh: list[float] = []
        runs = 40
        xs = np.zeros((n + 1, runs, 2))
        xs[0] = rng.normal(0, sd_stat, (runs, 2))
        noise = rng.normal(size=(n, runs, 2))
        for t in range(n):
            xs[t + 1] = xs[t] - p.theta * xs[t] * p.dt + p.sigma * np.sqrt(p.dt) * noise[t]
        whs = rng.normal(0, sd_stat, (n + 1, runs, 2))
        out["path_ou"] = xs[:, 0]
        out["path_white"] = whs[:, 0]
        for run in range(runs):
            for arr, lag, sd in ((xs[:, run], lag_ou, sd_ou), (whs[:, run], lag_wh, sd_wh)):
                c = arr - arr.mean(0)
                lag.append(float(np.mean((c[1:] * c[:-1]).sum(0) / (c * c).sum(0))))
                sd.append(float(arr.std()))
        out["lag1_ou"] = float(np.mean(lag_ou))
        out["lag1_white"] = float(np.mean(lag_wh))
        out["lag1_theory"] = float(1 - p.theta * p.dt)
        out["sd_ou"] = float(np.mean(sd_ou))
        out["sd_white"] = float(np.mean(sd_wh))
        out["sd_stationary"] = float(sd_stat)
        out["origin"] = np.zeros((1, 2))
    return out


def _linucb(p: RLPlaneParams, rng: np.random.Generator, xx: np.ndarray, yy: np.ndarray, out: Arrays) -> None:
    """Disjoint LinUCB (Li, Chu, Langford & Schapire) on a plane of contexts (see rl_plane)."""
    theta = np.array(p.arms)
    k = theta.shape[0]
    x0, x1, y0, y1 = p.extent
    grid = np.stack([np.ones(xx.size), xx.ravel(), yy.ravel()], 1)
    true_best = np.argmax(grid @ theta.T, 1)
    agree, early, late = [], [], []
    window = min(100, p.steps // 2)
    for run in range(p.runs):
        a_inv = np.tile(np.eye(3), (k, 1, 1))
        b = np.zeros((k, 3))
        ctx = np.stack([rng.uniform(x0, x1, p.steps), rng.uniform(y0, y1, p.steps)], 1)
        z = np.concatenate([np.ones((p.steps, 1)), ctx], 1)
        noise = p.noise * rng.normal(size=p.steps)
        chosen = np.zeros(p.steps, int)
        for t in range(p.steps):
            est = np.einsum("kij,kj->ki", a_inv, b)
            width = np.sqrt(np.einsum("i,kij,j->k", z[t], a_inv, z[t]))
            a = int(np.argmax(est @ z[t] + p.bonus * width))
            chosen[t] = a
            r = float(theta[a] @ z[t] + noise[t])
            u = a_inv[a] @ z[t]
            a_inv[a] -= np.outer(u, u) / (1.0 + z[t] @ u)  # Sherman-Morrison
            b[a] += r * z[t]
        est = np.einsum("kij,kj->ki", a_inv, b)
        learned = np.argmax(grid @ est.T, 1)
        best = np.argmax(z @ theta.T, 1)
        agree.append(float(np.mean(learned == true_best)))
        early.append(float(np.mean(chosen[:window] == best[:window])))
        late.append(float(np.mean(chosen[-window:] == best[-window:])))
        if run == 0:
            out["learned_best"] = learned.reshape(xx.shape).astype(float)
            out["ctx_early"], out["arm_early"] = ctx[:window], chosen[:window].astype(float)
            out["ctx_late"], out["arm_late"] = ctx[-window:], chosen[-window:].astype(float)
    out["true_best"] = true_best.reshape(xx.shape).astype(float)
    out["agree"] = float(np.median(agree))
    out["best_early"] = float(np.median(early))
    out["best_late"] = float(np.median(late))
