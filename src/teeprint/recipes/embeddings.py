"""E7 embeddings: 2-D maps of synthetic high-dimensional data made by the method itself.

One recipe, ``embedding``: a seeded synthetic data set (``data``) is laid flat by one or more
methods (``methods``, drawn left to right as panels; the last is the plate's method).  Every
method is the textbook algorithm written out in numpy/scipy, nothing approximated:

* ``pca`` — the top two principal components (SVD of the centred data);
* ``mds`` — classical (Torgerson) scaling of the squared distance table, double-centred;
* ``isomap`` — classical scaling of shortest-path distances on the k-nearest-neighbour graph;
* ``lle`` — locally linear embedding: reconstruction weights from k neighbours (regularised
  Gram matrix), then the bottom non-constant eigenvectors of (I - W)^T (I - W);
* ``laplacian`` — Laplacian eigenmaps: heat-kernel weights on the symmetrised k-NN graph,
  generalised eigenvectors L f = lambda D f, the constant one dropped;
* ``kpca`` — kernel PCA with an RBF kernel (width a multiple of the median distance);
* ``diffusion`` — diffusion maps (alpha = 1 density normalisation), coordinates
  lambda^t psi for diffusion time t;
* ``pca-whiten`` / ``zca-whiten`` — the two whitening maps Lambda^-1/2 U^T and U Lambda^-1/2 U^T;
* ``view`` — the data as generated, seen along two of its own axes (for a before panel).

A method may carry its knob after ``@``: ``isomap@6`` (k, also for lle and laplacian),
``kpca@0.3`` (width), ``diffusion@16`` (time).  Measurements per panel: the share of each point's 10 nearest neighbours in the true
intrinsic coordinates that stay among its 10 nearest in the map (``kept``), the rank correlation
of the best map axis with the main intrinsic coordinate (``unroll``), the accuracy of the best
threshold on the first map axis at splitting two classes (``split``), and the Procrustes
disparity against the true plane where there is one (``procrustes``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from teeprint.recipes import Arrays, Params, recipe

Dataset = Literal["swiss-roll", "rings", "clusters", "trefoil", "cities", "ellipse", "uneven"]
METHODS = ("view", "pca", "mds", "isomap", "lle", "laplacian", "kpca", "diffusion", "pca-whiten",
           "zca-whiten", "tsne", "sammon")


class EmbeddingParams(Params):
    """A synthetic data set and the methods that lay it flat."""

    data: Dataset = "swiss-roll"
    points: int = Field(400, ge=30, le=700)
    ambient_dim: int = Field(3, ge=2, le=50, description="extra dimensions get a random rotation")
    noise: float = Field(0.0, ge=0.0, le=2.0, description="isotropic Gaussian noise, in data units")
    clusters: int = Field(4, ge=2, le=6, description="clusters data: how many")
    spread: float = Field(2.0, gt=0.0, le=10.0, description="clusters data: std of the centres")
    methods: tuple[str, ...] = Field(("pca", "isomap"), min_length=1, max_length=4,
                                     description="panels left to right, the last the plate's")
    neighbours: int = Field(10, ge=3, le=40, description="k of the k-NN graph (isomap, lle, laplacian)")
    kernel_width: float = Field(1.0, gt=0.0, le=20.0,
                                description="RBF width as a multiple of the median k-NN distance")
    diffusion_time: float = Field(1.0, ge=0.0, le=256.0)
    bins: int = Field(5, ge=2, le=6, description="the intrinsic coordinate cut into this many glyphs")

    @field_validator("methods")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for m in v:
            name, _, knob = m.partition("@")
            if name not in METHODS:
                msg = f"unknown method {name!r}; known: {', '.join(METHODS)}"
                raise ValueError(msg)
            if knob:
                try:
                    value = float(knob)
                except ValueError:
                    msg = f"method {m!r}: the value after @ must be a number"
                    raise ValueError(msg) from None
                if not 0.0 < value <= 256.0:
                    msg = f"method {m!r}: the value after @ must be within (0, 256]"
                    raise ValueError(msg)
        return v

    @model_validator(mode="after")
    def _whitening_is_planar(self) -> EmbeddingParams:
        planar = self.ambient_dim == 2 and self.data in ("rings", "cities", "ellipse")
        if any(m.endswith("-whiten") for m in self.methods) and not planar:
            msg = ("pca-whiten and zca-whiten map the plane to itself: use 2-D data (rings, "
                   "cities or ellipse) with ambient_dim = 2")
            raise ValueError(msg)
        return self


#: How a panel is named on the plate, and what its knob is called.
NAMES = {"view": ("the data", ""), "pca": ("PCA", ""), "mds": ("classical MDS", ""),
         "isomap": ("Isomap", "k = "), "lle": ("LLE", "k = "), "laplacian": ("Laplacian eigenmap", "k = "),
         "kpca": ("kernel PCA", "width "), "diffusion": ("diffusion map", "t = "),
         "pca-whiten": ("PCA-whitened", ""), "zca-whiten": ("ZCA-whitened", ""),
         "tsne": ("t-SNE", "perplexity "), "sammon": ("Sammon map", "")}


def panel_name(method: str) -> str:
    """``isomap@6`` -> ``Isomap, k = 6``."""
    name, _, knob = method.partition("@")
    title, prefix = NAMES[name]
    return f"{title}, {prefix}{float(knob):g}" if knob and prefix else title


def _rotate_into(x: np.ndarray, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Place d-dimensional data in ``dim`` dimensions by a random orthonormal map."""
    d = x.shape[1]
    if dim <= d:
        return x
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    return np.hstack([x, np.zeros((x.shape[0], dim - d))]) @ q.T


def make_data(p: EmbeddingParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The data (n, D), its true intrinsic coordinates, a 2-D view, labels and the main coordinate."""
    n = p.points
    if p.data == "swiss-roll":
        # Even over the sheet: ds ~ t dt along the spiral, so t^2 is drawn uniformly.
        t0, t1 = 1.5 * math.pi, 4.5 * math.pi
        t = np.sqrt(t0**2 + (t1**2 - t0**2) * rng.random(n))
        h = 21.0 * rng.random(n)
        x = np.column_stack([t * np.cos(t), h, t * np.sin(t)])
        arc = 0.5 * (t * np.sqrt(1 + t * t) + np.arcsinh(t))  # length along the spiral
        truth = np.column_stack([arc, h])
        view = x[:, [0, 2]]
        main = t
    elif p.data == "trefoil":
        # Even along the knot: positions drawn uniformly in arc length, mapped back to angles.
        fine = np.linspace(0.0, 2 * math.pi, 4001)
        speed = np.sqrt((np.cos(fine) + 4 * np.cos(2 * fine)) ** 2
                        + (-np.sin(fine) + 4 * np.sin(2 * fine)) ** 2 + (3 * np.cos(3 * fine)) ** 2)
        length = np.concatenate([[0.0], np.cumsum((speed[1:] + speed[:-1]) / 2 * np.diff(fine))])
        a = np.interp(length[-1] * rng.random(n), length, fine)
        x = np.column_stack([np.sin(a) + 2 * np.sin(2 * a), np.cos(a) - 2 * np.cos(2 * a),
                             -np.sin(3 * a)])
        truth = np.column_stack([np.cos(a), np.sin(a)])
        view = x[:, :2]
        main = a
    elif p.data == "rings":
        cls = (rng.random(n) < 0.5).astype(int)
        a = 2 * math.pi * rng.random(n)
        r = np.where(cls == 0, 1.0, 3.0)
        x = np.column_stack([r * np.cos(a), r * np.sin(a)])
        truth, view, main = x.copy(), x.copy(), cls.astype(float)
    elif p.data == "clusters":
        k = p.clusters
        cls = np.arange(n) % k
        centres = rng.normal(0.0, p.spread, (k, max(p.ambient_dim, 2)))
        x = centres[cls] + rng.normal(size=(n, centres.shape[1]))
        truth, view, main = x.copy(), x[:, :2].copy(), cls.astype(float)
    elif p.data == "cities":
        x = rng.uniform(-1.0, 1.0, (n, 2)) * np.array([1.6, 1.0])
        truth, view, main = x.copy(), x.copy(), x[:, 0].copy()
    elif p.data == "uneven":
        # Two equal clusters, the second spread ``spread`` times wider (Wattenberg et al. 2016).
        cls = np.arange(n) % 2
        d = max(p.ambient_dim, 2)
        centre = np.zeros(d)
        centre[0] = 6.0 * (1.0 + p.spread) * math.sqrt(d) / 2
        x = np.where(cls[:, None] == 0, 0.0, centre) + rng.normal(size=(n, d)) * np.where(
            cls[:, None] == 0, 1.0, p.spread)
        truth, view, main = x.copy(), x[:, :2].copy(), cls.astype(float)
    else:  # ellipse: a correlated Gaussian
        c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
        rot = np.array([[c, -s], [s, c]])
        x = rng.normal(size=(n, 2)) * np.array([3.0, 0.8]) @ rot.T
        truth, view = x.copy(), x.copy()
        main = np.arctan2(x[:, 1], x[:, 0])
    if p.data in ("rings", "clusters", "uneven"):
        labels = main.astype(int)
    else:
        edges = np.quantile(main, np.linspace(0, 1, p.bins + 1)[1:-1])
        labels = np.searchsorted(edges, main)
    x = _rotate_into(x, p.ambient_dim, rng) if p.data not in ("clusters", "uneven") else x
    if p.noise > 0:
        x = x + rng.normal(0.0, p.noise, x.shape)
    return {"x": x, "truth": truth, "view": view, "labels": labels, "main": main}


def sq_dists(x: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of x (clipped at zero)."""
    s = np.sum(x * x, axis=1)
    return np.maximum(s[:, None] + s[None, :] - 2 * x @ x.T, 0.0)


def knn(d2: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's k nearest other rows."""
    d = d2.copy()
    np.fill_diagonal(d, np.inf)
    return np.argsort(d, axis=1)[:, :k]


def classical_mds(d2: np.ndarray) -> np.ndarray:
    """Torgerson scaling: the top two eigenvectors of -1/2 J D2 J, scaled by sqrt(eigenvalue)."""
    n = d2.shape[0]
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ d2 @ j
    vals, vecs = np.linalg.eigh((b + b.T) / 2)
    top = np.argsort(vals)[::-1][:2]
    return vecs[:, top] * np.sqrt(np.maximum(vals[top], 0.0))


def _graph(d2: np.ndarray, k: int) -> np.ndarray:
    """Symmetrised k-NN adjacency (boolean)."""
    nn = knn(d2, k)
    adj = np.zeros(d2.shape, bool)
    adj[np.repeat(np.arange(d2.shape[0]), k), nn.ravel()] = True
    return adj | adj.T


def isomap(d2: np.ndarray, k: int) -> tuple[np.ndarray, bool]:
    """Tenenbaum et al. (2000): geodesic distances on the k-NN graph, then classical scaling."""
    from scipy.sparse.csgraph import shortest_path

    adj = _graph(d2, k)
    geo = shortest_path(np.where(adj, np.sqrt(d2), 0.0), method="D", directed=False)
    connected = bool(np.all(np.isfinite(geo)))
    if not connected:
        geo = np.where(np.isfinite(geo), geo, 1.5 * geo[np.isfinite(geo)].max())
    return classical_mds(geo**2), connected


def lle(x: np.ndarray, d2: np.ndarray, k: int, reg: float = 1e-3) -> np.ndarray:
    """Roweis & Saul (2000): weights reconstructing each point from its neighbours, then the
    bottom eigenvectors of M = (I - W)^T (I - W) after the constant one."""
    n = x.shape[0]
    nn = knn(d2, k)
    w = np.zeros((n, n))
    z = x[nn] - x[:, None, :]  # (n, k, D)
    c = z @ np.transpose(z, (0, 2, 1))  # local Gram matrices (n, k, k)
    tr = np.trace(c, axis1=1, axis2=2)
    c = c + (reg * np.maximum(tr, 1e-12))[:, None, None] * np.eye(k)
    wi = np.linalg.solve(c, np.ones((n, k, 1)))[..., 0]
    wi /= wi.sum(axis=1, keepdims=True)
    w[np.repeat(np.arange(n), k), nn.ravel()] = wi.ravel()
    m = np.eye(n) - w
    vals, vecs = np.linalg.eigh(m.T @ m)
    return vecs[:, 1:3] * math.sqrt(n)


def _width(d2: np.ndarray, k: int, factor: float) -> float:
    nn = knn(d2, k)
    return factor * float(np.median(np.sqrt(np.take_along_axis(d2, nn, axis=1))))


def laplacian_eigenmaps(d2: np.ndarray, k: int, factor: float) -> np.ndarray:
    """Belkin & Niyogi (2003): heat-kernel weights on the k-NN graph, L f = lambda D f."""
    from scipy.linalg import eigh

    sigma = _width(d2, k, factor)
    w = np.where(_graph(d2, k), np.exp(-d2 / (2 * sigma**2)), 0.0)
    deg = w.sum(axis=1)
    vals, vecs = eigh(np.diag(deg) - w, np.diag(deg))
    return vecs[:, 1:3]


def kernel_pca(d2: np.ndarray, k: int, factor: float) -> np.ndarray:
    """Schölkopf et al. (1998): centred RBF Gram matrix, top two components."""
    sigma = _width(d2, k, factor)
    kmat = np.exp(-d2 / (2 * sigma**2))
    n = kmat.shape[0]
    j = np.eye(n) - 1.0 / n
    kc = j @ kmat @ j
    vals, vecs = np.linalg.eigh((kc + kc.T) / 2)
    top = np.argsort(vals)[::-1][:2]
    return vecs[:, top] * np.sqrt(np.maximum(vals[top], 0.0))


def diffusion_map(d2: np.ndarray, k: int, factor: float, t: float) -> np.ndarray:
    """Coifman & Lafon (2006), alpha = 1: the kernel divided by both densities, made Markov;
    coordinates lambda_j^t psi_j for the first two non-trivial eigenpairs."""
    sigma = _width(d2, k, factor)
    kmat = np.exp(-d2 / (2 * sigma**2))
    q = kmat.sum(axis=1)
    k1 = kmat / np.outer(q, q)
    deg = k1.sum(axis=1)
    s = k1 / np.sqrt(np.outer(deg, deg))
    vals, vecs = np.linalg.eigh((s + s.T) / 2)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    psi = vecs / np.sqrt(deg)[:, None]
    psi = psi / psi[:, :1]  # the trivial right eigenvector is constant; make it exactly 1
    return psi[:, 1:3] * (np.clip(vals[1:3], 0.0, None) ** t)


def whiten(x: np.ndarray, zca: bool) -> np.ndarray:
    """PCA whitening Lambda^-1/2 U^T x, or ZCA U Lambda^-1/2 U^T x (the closest to the input)."""
    xc = x - x.mean(axis=0)
    vals, vecs = np.linalg.eigh(np.cov(xc.T, bias=True))
    w = np.diag(vals**-0.5) @ vecs.T
    if zca:
        w = vecs @ w
    return xc @ w.T


def embed(method: str, x: np.ndarray, d2: np.ndarray, view: np.ndarray,
          p: EmbeddingParams, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """One method's 2-D map and whether its neighbourhood graph was connected."""
    name, _, knob = method.partition("@")
    value = float(knob) if knob else None
    k = int(value) if value is not None and name in ("isomap", "lle", "laplacian") else p.neighbours
    width = value if value is not None and name == "kpca" else p.kernel_width
    if name == "view":
        return view - view.mean(axis=0), True
    if name == "pca":
        xc = x - x.mean(axis=0)
        u, s, _ = np.linalg.svd(xc, full_matrices=False)
        return u[:, :2] * s[:2], True
    if name == "mds":
        return classical_mds(d2), True
    if name == "isomap":
        return isomap(d2, k)
    if name == "lle":
        return lle(x, d2, k), True
    if name == "laplacian":
        return laplacian_eigenmaps(d2, k, width), True
    if name == "kpca":
        return kernel_pca(d2, k, width), True
    if name == "sammon":
        return sammon(d2, int(value) if value is not None else 300)[0], True
    if name == "tsne":
        from teeprint.recipes.representations import tsne_map

        perplexity = value if value is not None else 30.0
        return tsne_map(x, perplexity, 400, 200.0, 12.0, 100, rng)[0], True
    if name == "diffusion":
        t = value if value is not None else p.diffusion_time
        return diffusion_map(d2, k, p.kernel_width, t), True
    return whiten(x, zca=name == "zca-whiten"), True


def class_purity(y: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Share of each point's k nearest neighbours in the map that carry its own glyph."""
    nn = knn(sq_dists(y), k)
    return float(np.mean(labels[nn] == labels[:, None]))


def sammon_stress(d2_in: np.ndarray, y: np.ndarray) -> float:
    """Sammon's stress: sum (D - d)^2 / D over pairs, divided by sum D (D: input distances)."""
    iu = np.triu_indices(len(y), 1)
    big = np.sqrt(d2_in[iu])
    small = np.sqrt(sq_dists(y)[iu])
    return float(np.sum((big - small) ** 2 / np.maximum(big, 1e-12)) / np.sum(big))


def sammon(d2: np.ndarray, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Sammon (1969): start from PCA (classical scaling) and lower the stress by gradient
    descent with a backtracking step; returns the map and the stress after each iteration."""
    big = np.sqrt(d2)
    n = len(big)
    scale = float(np.sum(big[np.triu_indices(n, 1)]))
    safe = np.where(big > 0, big, 1.0)
    y = classical_mds(d2)
    step = 1.0
    trace = [sammon_stress(d2, y)]
    for _ in range(iterations):
        small = np.sqrt(sq_dists(y))
        np.fill_diagonal(small, 1.0)
        coef = np.where(big > 0, (small - big) / (safe * small), 0.0)
        np.fill_diagonal(coef, 0.0)
        grad = 2.0 / scale * (coef.sum(axis=1)[:, None] * y - coef @ y)
        while step > 1e-12:
            trial = y - step * grad
            value = sammon_stress(d2, trial)
            if value < trace[-1]:
                y, step = trial, step * 1.2
                trace.append(value)
                break
            step *= 0.5
        else:
            break
    return y, np.asarray(trace)


def neighbours_kept(truth: np.ndarray, y: np.ndarray, k: int = 10) -> float:
    """Mean share of each point's k nearest neighbours (true coordinates) kept in the map."""
    a, b = knn(sq_dists(truth), k), knn(sq_dists(y), k)
    return float(np.mean([np.intersect1d(a[i], b[i]).size / k for i in range(len(a))]))


def best_split(y: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of the best single threshold on the first map axis at separating two classes."""
    if np.unique(labels).size != 2:
        return math.nan
    order = np.argsort(y[:, 0])
    lab = labels[order] == labels.max()
    below = np.concatenate([[0], np.cumsum(~lab)])  # class-0 points at or below each cut
    above = lab.sum() - np.concatenate([[0], np.cumsum(lab)])  # class-1 points above it
    acc = (below + above) / lab.size
    return float(max(acc.max(), 1 - acc.min()))


def size_ratio(y: np.ndarray, labels: np.ndarray) -> float:
    """RMS radius of the last class about its mean over that of the first (nan if one class)."""
    cs = np.unique(labels)
    if cs.size < 2:
        return math.nan

    def rms(c: int) -> float:
        pts = y[labels == c]
        return float(np.sqrt(np.mean(np.sum((pts - pts.mean(axis=0)) ** 2, axis=1))))

    return rms(int(cs[-1])) / rms(int(cs[0]))


def tightness(y: np.ndarray, labels: np.ndarray) -> float:
    """Within-glyph variance over total variance of the map (0: every class a single point)."""
    yc = y - y.mean(axis=0)
    within = sum(float(np.sum((yc[labels == c] - yc[labels == c].mean(axis=0)) ** 2))
                 for c in np.unique(labels))
    return within / max(float(np.sum(yc**2)), 1e-300)


def radial_spread(y: np.ndarray) -> float:
    """Spread of the distances from the map's centroid over their mean (0 for a perfect circle)."""
    r = np.linalg.norm(y - y.mean(axis=0), axis=1)
    return float(r.std() / max(r.mean(), 1e-300))


def circular(y: np.ndarray, angle: np.ndarray) -> float:
    """How well the map's polar angle follows a circular coordinate: |mean exp(i(phi -+ a))|,
    the better of the two orientations (1 for a perfect loop up to rotation and reflection)."""
    yc = y - y.mean(axis=0)
    phi = np.arctan2(yc[:, 1], yc[:, 0])
    return float(max(abs(np.mean(np.exp(1j * (phi - angle)))), abs(np.mean(np.exp(1j * (phi + angle))))))


def unroll(y: np.ndarray, main: np.ndarray) -> float:
    """|Spearman rho| between the main intrinsic coordinate and the better of the map's axes."""
    from scipy.stats import spearmanr

    return float(max(abs(spearmanr(main, y[:, j]).statistic) for j in range(2)))


class PersistenceParams(Params):
    """A noisy circle (or two) and the Vietoris-Rips filtration up to ``max_scale``."""

    points: int = Field(30, ge=8, le=45)
    noise: float = Field(0.05, ge=0.0, le=0.5)
    loops: int = Field(1, ge=1, le=2, description="1: a circle; 2: two circles of radius 1 and 0.5")
    max_scale: float = Field(2.5, gt=0.0, le=5.0, description="largest edge length admitted")


def rips_persistence(x: np.ndarray, max_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Persistence pairs (birth, death) of H0 and H1 of the Vietoris-Rips filtration of x, by
    the standard column reduction over Z/2 (Edelsbrunner, Letscher & Zomorodian 2002).
    Columns are Python integers used as bit sets; deaths beyond ``max_scale`` are inf."""
    n = len(x)
    d = np.sqrt(sq_dists(x))
    iu = np.triu_indices(n, 1)
    elen = d[iu]
    order = np.argsort(elen, kind="stable")
    edges = [(int(iu[0][k]), int(iu[1][k])) for k in order if elen[k] <= max_scale]
    edge_len = np.array([d[a, b] for a, b in edges])
    edge_index = {e: i for i, e in enumerate(edges)}
    # H0 by union-find: an edge that joins two components kills the younger (all born at 0).
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    h0, negative_edges = [], set()
    for i, (a, b) in enumerate(edges):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
            h0.append((0.0, float(edge_len[i])))
            negative_edges.add(i)
    h0 += [(0.0, math.inf)] * (n - len(h0))
    # Triangles enter with their longest edge; reduce their boundaries (edge bit sets).  A
    # reduced column with pivot edge e kills the cycle e created: an H1 bar (len e, len tri).
    tris = []
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                ks = (edge_index.get((i, j)), edge_index.get((i, k)), edge_index.get((j, k)))
                if ks[0] is None or ks[1] is None or ks[2] is None:
                    continue
                tris.append((max(ks[0], ks[1], ks[2]), (1 << ks[0]) | (1 << ks[1]) | (1 << ks[2])))
    tris.sort(key=lambda t: t[0])
    pivot_of: dict[int, int] = {}
    h1 = []
    for top, col in tris:
        while col:
            low = col.bit_length() - 1
            if low not in pivot_of:
                pivot_of[low] = col
                h1.append((float(edge_len[low]), float(edge_len[top])))
                break
            col ^= pivot_of[low]
    killed = set(pivot_of)
    h1 += [(float(edge_len[e]), math.inf) for e in range(len(edges))
           if e not in negative_edges and e not in killed]
    return np.asarray(h0), np.asarray(h1).reshape(-1, 2)


@recipe("persistence", PersistenceParams)
def persistence(p: PersistenceParams, rng: np.random.Generator) -> Arrays:
    """Barcodes of a noisy circle (or two): H0 bars die as components merge, H1 bars are the
    loops; only a real loop lives long.  Bars are drawn as horizontal segments, longest first."""
    a = rng.uniform(0.0, 2 * math.pi, p.points)
    if p.loops == 1:
        x = np.column_stack([np.cos(a), np.sin(a)])
    else:
        big = np.arange(p.points) < 2 * p.points // 3
        r = np.where(big, 1.0, 0.5)
        x = np.column_stack([r * np.cos(a) + np.where(big, 0.0, 2.2), r * np.sin(a)])
    x = x + rng.normal(0.0, p.noise, x.shape)
    h0, h1 = rips_persistence(x, p.max_scale)
    h1 = h1[h1[:, 1] - h1[:, 0] > 1e-12] if len(h1) else h1
    life0 = np.where(np.isinf(h0[:, 1]), p.max_scale, h0[:, 1]) - h0[:, 0]
    life1 = (np.where(np.isinf(h1[:, 1]), p.max_scale, h1[:, 1]) - h1[:, 0]) if len(h1) else np.zeros(0)
    o0, o1 = np.argsort(-life0, kind="stable"), np.argsort(-life1, kind="stable")
    rows = len(h0) + len(h1) + 2
    bars0 = np.array([[[h0[i, 0], rows - r], [min(h0[i, 1], p.max_scale), rows - r]]
                      for r, i in enumerate(o0)])
    bars1 = np.array([[[h1[i, 0], len(h1) - r], [min(h1[i, 1], p.max_scale), len(h1) - r]]
                      for r, i in enumerate(o1)]) if len(h1) else np.zeros((0, 2, 2))
    ring = np.linspace(0.0, 2 * math.pi, 200)
    return {
        "points_xy": x, "h0": h0, "h1": h1, "bars_h0": bars0, "bars_h1": bars1,
        "life_h0": life0[o0], "life_h1": life1[o1],
        "grid_x": np.linspace(0.0, p.max_scale, 3), "grid_y": np.linspace(0.0, rows + 1, 3),
        "long_h1": float(np.sum(life1 > 0.5)), "longest_h1": float(life1.max()) if len(life1) else 0.0,
        "second_h1": float(np.sort(life1)[-2]) if len(life1) > 1 else 0.0,
        "infinite_h0": float(np.sum(np.isinf(h0[:, 1]))), "loops": float(p.loops),
        "ring": np.column_stack([np.cos(ring), np.sin(ring)])[None],
    }


@recipe("embedding", EmbeddingParams)
def embedding(p: EmbeddingParams, rng: np.random.Generator) -> Arrays:
    """Lay a synthetic high-dimensional data set flat with each of ``methods``."""
    from scipy.spatial import procrustes

    data = make_data(p, rng)
    x = data["x"]
    d2 = sq_dists(x)
    maps, connected = [], []
    for m in p.methods:
        y, ok = embed(m, x, d2, data["view"], p, rng)
        maps.append(y)
        connected.append(ok)
    truth = data["truth"]
    kept = np.array([neighbours_kept(truth, y) for y in maps])
    unrolled = np.array([unroll(y, data["main"]) for y in maps])
    split = np.array([best_split(y, data["labels"]) for y in maps])
    tight = np.array([tightness(y, data["labels"]) for y in maps])
    sizes = np.array([size_ratio(y, data["labels"]) for y in maps])
    stress = np.array([sammon_stress(d2, y) for y in maps])
    purity = np.array([class_purity(y, data["labels"]) for y in maps])
    radial = np.array([radial_spread(y) for y in maps])
    loop = np.array([circular(y, data["main"]) if p.data == "trefoil" else math.nan for y in maps])
    if p.data in ("cities", "ellipse", "rings"):
        disparity = np.array([procrustes(truth, y)[2] for y in maps])
    else:
        disparity = np.full(len(maps), math.nan)
    final = maps[-1]
    cov = np.cov(final.T, bias=True)
    centred = x - x.mean(axis=0)
    shift = np.array([float(np.sqrt(np.mean(np.sum((y - centred[:, :2]) ** 2, axis=1))))
                      if x.shape[1] == 2 else math.nan for y in maps])
    return {
        "snapshots": np.stack(maps),
        "embedding": final,
        "labels": data["labels"],
        "panel": np.arange(len(maps)),
        "panel_names": [panel_name(m) for m in p.methods],
        "kept": kept,
        "kept_final": float(kept[-1]),
        "unroll": unrolled,
        "unroll_final": float(unrolled[-1]),
        "split": split,
        "split_final": float(split[-1]),
        "split_first": float(split[0]),
        "size_ratio": sizes,
        "stress": stress,
        "purity": purity,
        "size_ratio_input": size_ratio(x, data["labels"]),
        "size_ratio_final": float(sizes[-1]),
        "tightness": tight,
        "tightness_final": float(tight[-1]),
        "radial_spread": radial,
        "loop": loop,
        "loop_final": float(loop[-1]),
        "procrustes": disparity,
        "procrustes_final": float(disparity[-1]),
        "connected": np.array(connected),
        "cov_final": cov,
        "shift": shift,
        "intrinsic": truth,
        "ambient_dim": x.shape[1],
        "points": x.shape[0],
    }
