"""E6 clustering: partitions of seeded 2-D points (assignments, centroids, cells, paths).

One recipe, ``clusters``, draws a toy set and runs one method on it, returning up to four
snapshots (iterations, seeding steps, or a method beside a baseline) shaped for the
``decision-regions`` motif: ``assign`` (S, n) cluster of each point, ``label`` (S, ny, nx) the
cell each grid point belongs to where the method defines one (nearest centre, basin of
attraction), ``centres`` (S, K, 2), and method-specific layers (paths, links, splits).  Every
method is implemented here in numpy and named for exactly what it is.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.boundaries import Dataset, grid_for, toy_data

Method = Literal["kmeans", "kmeans++", "dbscan", "spectral", "mean-shift", "affinity", "kd-tree", "ward", "lsh"]


class ClusterParams(Params):
    """A toy set and one clustering method with its settings."""

    dataset: Dataset = "blobs"
    n: int = Field(300, ge=10, le=800)
    noise: float = Field(0.05, ge=0.0, le=1.0)
    classes: int = Field(4, ge=2, le=6, description="blobs: how many true groups")
    spread: float = Field(0.35, ge=0.05, le=1.0)
    method: Method = "kmeans"
    k: int = Field(4, ge=2, le=8, description="kmeans / kmeans++ / spectral: clusters")
    snapshots: tuple[int, ...] = Field((1, 3, 20), min_length=1, max_length=4,
                                       description="kmeans: iterations shown; kmeans++: seeds shown")
    restarts: int = Field(30, ge=1, le=200, description="kmeans++: restarts compared with random seeding")
    eps: float = Field(0.2, ge=0.01, le=5.0, description="dbscan: neighbourhood radius")
    min_pts: int = Field(5, ge=2, le=50, description="dbscan: neighbours (self included) of a core point")
    sigma: float = Field(0.15, ge=0.01, le=5.0, description="spectral: affinity width; mean-shift: bandwidth")
    damping: float = Field(0.7, ge=0.5, le=0.99, description="affinity propagation: damping")
    iterations: int = Field(200, ge=1, le=1000, description="mean-shift / affinity: iterations")
    leaf_size: int = Field(8, ge=1, le=100, description="kd-tree: most points in a leaf")
    bits: int = Field(3, ge=1, le=8, description="lsh: random hyperplanes (hash bits)")
    hash_draws: int = Field(2000, ge=10, le=20000, description="lsh: hash families drawn to measure collisions")
    grid: int = Field(90, ge=20, le=200)
    square: bool = False


def _nearest(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    d2 = (p**2).sum(1)[:, None] + (c**2).sum(1)[None, :] - 2 * p @ c.T
    return np.argmin(d2, axis=1)


def _inertia(x: np.ndarray, c: np.ndarray) -> float:
    d2 = (x**2).sum(1)[:, None] + (c**2).sum(1)[None, :] - 2 * x @ c.T
    return float(np.maximum(d2, 0).min(axis=1).sum())


def lloyd(x: np.ndarray, c: np.ndarray, steps: int) -> tuple[list[np.ndarray], list[float]]:
    """Lloyd's algorithm from centres ``c``: centres after each step (index 0 = start) and inertia."""
    cs, inertia = [c.copy()], [_inertia(x, c)]
    for _ in range(steps):
        a = _nearest(x, c)
        c = np.array([x[a == j].mean(axis=0) if np.any(a == j) else c[j] for j in range(len(c))])
        cs.append(c.copy())
        inertia.append(_inertia(x, c))
    return cs, inertia


def kmeanspp_seeds(x: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    """k-means++ seeding: each next seed drawn with probability proportional to D(x)^2."""
    seeds = [x[rng.integers(len(x))]]
    probs = []
    for _ in range(1, k):
        d2 = ((x[:, None, :] - np.array(seeds)[None]) ** 2).sum(-1).min(axis=1)
        pr = d2 / d2.sum()
        probs.append(pr)
        seeds.append(x[rng.choice(len(x), p=pr)])
    return np.array(seeds), probs


def adjusted_rand(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index of two labelings (Hubert & Arabie 1985)."""
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    table = np.zeros((len(ua), len(ub)))
    np.add.at(table, (ia, ib), 1)

    def c2(v: np.ndarray) -> float:
        return float((v * (v - 1) / 2).sum())
    n = len(a)
    s_ij, s_a, s_b = c2(table), c2(table.sum(1)), c2(table.sum(0))
    expected = s_a * s_b / (n * (n - 1) / 2)
    top = 0.5 * (s_a + s_b)
    return float((s_ij - expected) / (top - expected)) if top != expected else 1.0


def dbscan(x: np.ndarray, eps: float, min_pts: int) -> tuple[np.ndarray, np.ndarray]:
    """DBSCAN: clusters grown from core points (>= min_pts within eps); -1 is noise."""
    d2 = ((x[:, None, :] - x[None]) ** 2).sum(-1)
    nb = d2 <= eps * eps
    core = nb.sum(1) >= min_pts
    lab = np.full(len(x), -1)
    c = 0
    for i in np.flatnonzero(core):
        if lab[i] >= 0:
            continue
        lab[i] = c
        stack = [i]
        while stack:
            j = stack.pop()
            for q in np.flatnonzero(nb[j]):
                if lab[q] < 0:
                    lab[q] = c
                    if core[q]:
                        stack.append(q)
        c += 1
    return lab, core


def spectral(x: np.ndarray, k: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Ng-Jordan-Weiss: Gaussian affinities, D^-1/2 A D^-1/2, top-k eigenvectors, rows
    normalised, then k-means (Lloyd from k-means++ seeds) on the rows."""
    d2 = ((x[:, None, :] - x[None]) ** 2).sum(-1)
    a = np.exp(-d2 / (2 * sigma**2))
    np.fill_diagonal(a, 0.0)
    dinv = 1 / np.sqrt(a.sum(1))
    m = dinv[:, None] * a * dinv[None, :]
    _, vecs = np.linalg.eigh(m)
    u = vecs[:, -k:]
    u = u / np.linalg.norm(u, axis=1, keepdims=True)
    best, best_in = None, np.inf
    for _ in range(5):
        c0, _ = kmeanspp_seeds(u, k, rng)
        cs, inertia = lloyd(u, c0, 50)
        if inertia[-1] < best_in:
            best, best_in = cs[-1], inertia[-1]
    assert best is not None
    return _nearest(u, best)


def mean_shift(x: np.ndarray, starts: np.ndarray, h: float, steps: int) -> np.ndarray:
    """Gaussian-kernel mean shift: every start climbs the KDE; returns (steps+1, m, 2)."""
    traj = [starts]
    p = starts
    for _ in range(steps):
        d2 = (p**2).sum(1)[:, None] + (x**2).sum(1)[None, :] - 2 * p @ x.T
        w = np.exp(-np.maximum(d2, 0) / (2 * h * h))
        p = (w @ x) / np.maximum(w.sum(1, keepdims=True), 1e-300)
        traj.append(p)
    return np.array(traj)


def _merge_modes(ends: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    modes: list[np.ndarray] = []
    lab = np.zeros(len(ends), int)
    for i, e in enumerate(ends):
        for j, m in enumerate(modes):
            if np.linalg.norm(e - m) < tol:
                lab[i] = j
                break
        else:
            modes.append(e)
            lab[i] = len(modes) - 1
    return np.array(modes), lab


def affinity_propagation(x: np.ndarray, damping: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Frey-Dueck message passing on s(i,k) = -|xi-xk|^2, preferences = median similarity.

    Returns the exemplar of each point and the exemplar indices."""
    n = len(x)
    s = -((x[:, None, :] - x[None]) ** 2).sum(-1)
    np.fill_diagonal(s, np.median(s[~np.eye(n, dtype=bool)]))
    r = np.zeros((n, n))
    a = np.zeros((n, n))
    idx = np.arange(n)
    for _ in range(steps):
        as_ = a + s
        first = np.argmax(as_, axis=1)
        top = as_[idx, first]
        as_[idx, first] = -np.inf
        second = as_.max(axis=1)
        r_new = s - top[:, None]
        r_new[idx, first] = s[idx, first] - second
        r = damping * r + (1 - damping) * r_new
        rp = np.maximum(r, 0)
        rp[idx, idx] = r[idx, idx]
        a_new = rp.sum(0)[None, :] - rp
        dia = a_new[idx, idx].copy()
        a_new = np.minimum(a_new, 0)
        a_new[idx, idx] = dia
        a = damping * a + (1 - damping) * a_new
    ex = np.flatnonzero(np.diag(a + r) > 0)
    if ex.size == 0:
        ex = np.array([int(np.argmax(np.diag(a + r)))])
    assign = ex[np.argmax(s[:, ex], axis=1)]
    assign[ex] = ex
    return assign, ex


def kd_splits(x: np.ndarray, leaf: int, box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bentley's k-d tree: split at the median, alternating axes; returns segments, leaf id per
    point, and each split's depth."""
    segs: list[list[list[float]]] = []
    depths: list[int] = []
    leaf_of = np.zeros(len(x), int)
    count = [0]

    def grow(idx: np.ndarray, depth: int, b: tuple[float, float, float, float]) -> None:
        if len(idx) <= leaf:
            leaf_of[idx] = count[0]
            count[0] += 1
            return
        f = depth % 2
        order = idx[np.argsort(x[idx, f], kind="stable")]
        mid = len(order) // 2
        thr = float((x[order[mid - 1], f] + x[order[mid], f]) / 2)
        x0, x1, y0, y1 = b
        segs.append([[thr, y0], [thr, y1]] if f == 0 else [[x0, thr], [x1, thr]])
        depths.append(depth)
        grow(order[:mid], depth + 1, (x0, thr, y0, y1) if f == 0 else (x0, x1, y0, thr))
        grow(order[mid:], depth + 1, (thr, x1, y0, y1) if f == 0 else (x0, x1, thr, y1))

    grow(np.arange(len(x)), 0, box)
    return np.array(segs, float).reshape(-1, 2, 2), leaf_of, np.array(depths, float)


def ward(x: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Ward's agglomerative clustering by the Lance-Williams update on squared distances:
    merge costs (increase in within-cluster sum of squares) and the merges, in order."""
    n = len(x)
    d = ((x[:, None, :] - x[None]) ** 2).sum(-1) / 2.0  # Ward cost of merging two singletons
    size = np.ones(n)
    alive = np.ones(n, bool)
    np.fill_diagonal(d, np.inf)
    costs, merges = [], []
    for _ in range(n - 1):
        dm = np.where(alive[:, None] & alive[None, :], d, np.inf)
        ai, aj = np.unravel_index(int(np.argmin(dm)), dm.shape)
        i, j = int(min(ai, aj)), int(max(ai, aj))
        costs.append(float(dm[i, j]))
        merges.append((i, j))
        si, sj = size[i], size[j]
        sk = size
        new = ((si + sk) * d[i] + (sj + sk) * d[j] - sk * d[i, j]) / (si + sj + sk)
        d[i], d[:, i] = new, new
        d[i, i] = np.inf
        alive[j] = False
        d[j], d[:, j] = np.inf, np.inf
        size[i] = si + sj
    return np.array(costs), merges


def cut_tree(n: int, merges: list[tuple[int, int]], k: int) -> np.ndarray:
    """Cluster labels after applying all but the last k - 1 merges."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a
    for i, j in merges[: n - k]:
        parent[find(j)] = find(i)
    roots = [find(a) for a in range(n)]
    uniq = {r: c for c, r in enumerate(sorted(set(roots)))}
    return np.array([uniq[r] for r in roots])


@recipe("clusters", ClusterParams)
def clusters(p: ClusterParams, rng: np.random.Generator) -> Arrays:
    """One clustering method on a seeded toy set, as snapshots for ``decision-regions``."""
    x, y = toy_data(p.dataset, p.n, p.noise, p.classes, rng, p.spread)
    gx, gy, g = grid_for(x, p.grid, 0.15, p.square)
    shape = (gy.size, gx.size)
    out: Arrays = {"points": x, "classes": y, "grid_x": gx, "grid_y": gy}
    if p.method == "kmeans":
        c0 = x[rng.choice(len(x), p.k, replace=False)]
        cs, inertia = lloyd(x, c0, max(p.snapshots))
        out["inertia"] = np.array(inertia)
        out["assign"] = np.array([_nearest(x, cs[s]) for s in p.snapshots])
        out["label"] = np.array([_nearest(g, cs[s]).reshape(shape) for s in p.snapshots])
        out["centres"] = np.array([cs[s] for s in p.snapshots])
        traj = np.array(cs)  # (T+1, k, 2)
        padded = []
        for s in p.snapshots:
            t = traj.copy()
            t[s + 1:] = np.nan
            padded.append(np.transpose(t, (1, 0, 2)))
        out["paths"] = np.array(padded)
        out["ari"] = np.array(adjusted_rand(out["assign"][-1], y))
        out["start"] = c0
    elif p.method == "kmeans++":
        seeds, probs = kmeanspp_seeds(x, p.k, rng)
        snaps = [min(s, p.k) for s in p.snapshots]
        out["label"] = np.array([_nearest(g, seeds[:s]).reshape(shape) for s in snaps])
        out["assign"] = np.array([_nearest(x, seeds[:s]) for s in snaps])
        out["centres"] = np.array([np.r_[seeds[:s], np.full((p.k - s, 2), np.nan)] for s in snaps])
        # D^2 probability of each point just before the next seed is drawn (size of the dot)
        out["d2_prob"] = np.array([probs[s - 1] * len(x) if s - 1 < len(probs) else np.ones(len(x))
                                   for s in snaps])
        pp, rnd = [], []
        for _ in range(p.restarts):
            s_pp, _ = kmeanspp_seeds(x, p.k, rng)
            s_rn = x[rng.choice(len(x), p.k, replace=False)]
            pp.append(_inertia(x, s_pp))
            rnd.append(_inertia(x, s_rn))
        out["seed_inertia_pp"] = np.array(pp)
        out["seed_inertia_random"] = np.array(rnd)
        out["median_ratio"] = np.array(float(np.median(rnd) / np.median(pp)))
    elif p.method == "dbscan":
        lab, core = dbscan(x, p.eps, p.min_pts)
        out["assign"] = lab[None]
        out["core"] = core.astype(float)[None]
        out["border"] = ((lab >= 0) & ~core).astype(float)[None]
        out["n_clusters"] = np.array(float(lab.max() + 1))
        out["n_noise"] = np.array(float((lab < 0).sum()))
        out["n_core"] = np.array(float(core.sum()))
        out["ari"] = np.array(adjusted_rand(lab, y))
    elif p.method == "spectral":
        c0, _ = kmeanspp_seeds(x, p.k, rng)
        cs, _ = lloyd(x, c0, 50)
        km = _nearest(x, cs[-1])
        sp = spectral(x, p.k, p.sigma, rng)
        out["assign"] = np.array([km, sp])
        out["label"] = np.array([_nearest(g, cs[-1]).reshape(shape), np.full(shape, -1)])
        out["centres"] = np.array([cs[-1], np.full_like(cs[-1], np.nan)])
        out["ari"] = np.array([adjusted_rand(km, y), adjusted_rand(sp, y)])
        out["ari_kmeans"] = out["ari"][0]
        out["ari_spectral"] = out["ari"][1]
    elif p.method == "mean-shift":
        traj = mean_shift(x, x, p.sigma, p.iterations)
        modes, lab = _merge_modes(traj[-1], p.sigma / 2)
        gt = mean_shift(x, g, p.sigma, p.iterations)[-1]
        glab = np.array([int(np.argmin(np.linalg.norm(modes - e, axis=1))) for e in gt])
        keep = rng.choice(len(x), min(60, len(x)), replace=False)
        out["assign"] = lab[None]
        out["label"] = glab.reshape(shape)[None]
        out["centres"] = modes[None]
        out["paths"] = np.transpose(traj[:, keep], (1, 0, 2))[None]
        out["n_modes"] = np.array(float(len(modes)))
        out["step_last"] = np.array(float(np.abs(traj[-1] - traj[-2]).max()))
        out["ari"] = np.array(adjusted_rand(lab, y))
    elif p.method == "affinity":
        assign, ex = affinity_propagation(x, p.damping, p.iterations)
        remap = {e: i for i, e in enumerate(ex.tolist())}
        lab = np.array([remap[a] for a in assign.tolist()])
        out["assign"] = lab[None]
        out["centres"] = x[ex][None]
        out["label"] = _nearest(g, x[ex]).reshape(shape)[None]
        out["links"] = np.stack([x, x[assign]], axis=1)[None]
        out["n_exemplars"] = np.array(float(len(ex)))
        out["ari"] = np.array(adjusted_rand(lab, y))
    elif p.method == "ward":
        costs, merges = ward(x)
        lab = cut_tree(len(x), merges, p.k)
        out["assign"] = lab[None]
        out["groups"] = lab
        out["merge_cost"] = costs
        out["merge_step"] = np.arange(1, len(costs) + 1, dtype=float)
        out["sse_cut"] = np.array(float(sum(((x[lab == c] - x[lab == c].mean(0)) ** 2).sum()
                                            for c in range(p.k))))
        out["sse_merged"] = np.array(float(costs[: len(x) - p.k].sum()))
        out["jump"] = np.array(float(costs[len(x) - p.k] / costs[len(x) - p.k - 1]))
        out["ari"] = np.array(adjusted_rand(lab, y))
        out["centres"] = np.array([x[lab == c].mean(0) for c in range(p.k)])[None]
    elif p.method == "lsh":
        centred = x - x.mean(0)
        normals = rng.normal(size=(p.bits, 2))
        code = lambda q: ((q @ normals.T) > 0).astype(int) @ (1 << np.arange(p.bits))  # noqa: E731
        out["points"] = centred
        gx, gy, g = grid_for(centred, p.grid, 0.15, p.square)
        out["grid_x"], out["grid_y"] = gx, gy
        bucket = code(centred)
        uniq = {b: i for i, b in enumerate(sorted(set(code(g).tolist())))}
        out["label"] = np.array([uniq[b] for b in code(g).tolist()]).reshape(gy.size, gx.size)[None]
        out["assign"] = np.array([uniq.get(b, 0) for b in bucket.tolist()])[None]
        ends = np.array([[[0.0, 0.0], 4 * max(abs(gx).max(), abs(gy).max()) * np.array([-nv[1], nv[0]])]
                         for nv in normals])
        ends[:, 0] = -ends[:, 1]
        out["hyperplanes"] = ends[None]
        # collision rate of pairs at angle theta over fresh hash families vs (1 - theta/pi)^bits
        theta = np.linspace(0, np.pi, 13)
        fam = rng.normal(size=(p.hash_draws, p.bits, 2))
        u = np.array([1.0, 0.0])
        v = np.c_[np.cos(theta), np.sin(theta)]
        su = np.einsum("fbd,d->fb", fam, u) > 0
        sv = np.einsum("fbd,td->ftb", fam, v) > 0
        out["angle"] = theta
        out["collision"] = np.all(sv == su[:, None, :], axis=2).mean(0)
        out["collision_theory"] = (1 - theta / np.pi) ** p.bits
        out["n_buckets"] = np.array(float(len(uniq)))
    else:  # kd-tree
        box = (float(gx[0]), float(gx[-1]), float(gy[0]), float(gy[-1]))
        segs, leaf_of, depths = kd_splits(x, p.leaf_size, box)
        out["splits"] = segs[None]
        out["cuts"] = segs
        out["split_depth"] = depths
        out["leaf_sizes"] = np.bincount(leaf_of).astype(float)
        out["assign"] = (leaf_of % 6)[None]
        out["n_leaves"] = np.array(float(leaf_of.max() + 1))
    return out
