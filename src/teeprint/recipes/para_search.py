"""The ``paradigm-search`` recipe: search without gradients (random search against a grid, CMA-ES,
evolution strategies, novelty search); the comment above :class:`SearchParams` lists each
experiment's arrays.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

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
