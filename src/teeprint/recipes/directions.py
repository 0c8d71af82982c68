"""E8 direction sets: learned or exact vectors (polytopes, axes, probe and feature directions).

One recipe, ``vectors``, whose ``experiment`` picks what is computed:

* ``ica`` — two independent uniform sources mixed by a random non-orthogonal matrix; PCA
  finds the orthogonal axes of largest variance, FastICA (symmetric, log-cosh contrast, after
  whitening) finds the mixing directions.  Columns: the two ICA directions, then the two
  principal axes; the mixed points come along as a cloud.
* ``minkowski`` — a one-layer multi-head attention block with random weights: each head's output
  is a convex mixture of its value vectors (softmax weights), and a token is the sum of the heads'
  outputs, so it lies in the Minkowski sum of the heads' polytopes.  Returned as polygons and
  points for the trajectory-contour engine.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe


class VectorsParams(Params):
    """Which experiment, and its knobs (each experiment reads the ones it needs)."""

    experiment: Literal["ica", "minkowski", "denoiser-field", "som", "word-vectors",
                        "translation", "dictionary", "concept-direction"] = "ica"
    samples: int = Field(500, ge=20, le=5000, description="data points or tokens")
    min_angle_deg: float = Field(35.0, ge=5.0, le=85.0,
                                 description="ica: smallest angle between the two mixing columns")
    max_angle_deg: float = Field(70.0, ge=5.0, le=175.0,
                                 description="ica: largest angle between the two mixing columns")
    iterations: int = Field(200, ge=1, le=2000, description="ica: FastICA iterations")
    heads: int = Field(3, ge=1, le=4, description="minkowski: attention heads")
    archetypes: int = Field(3, ge=2, le=6, description="minkowski: value vectors per head")
    context: int = Field(12, ge=2, le=64, description="minkowski: tokens attended over")
    key_scale: float = Field(1.0, gt=0.0, le=10.0, description="minkowski: query-key scale")
    noise: float = Field(0.3, gt=0.0, le=2.0, description="denoiser-field: corruption std")
    grid: int = Field(13, ge=4, le=30, description="denoiser-field: arrows per side; som: lattice side")
    arrow_scale: float = Field(0.5, gt=0.0, le=1.0, description="denoiser-field: drawn arrow length")
    steps: int = Field(3000, ge=10, le=20000, description="som: training samples presented")
    sentences: int = Field(3000, ge=100, le=50000, description="word-vectors: corpus size")
    rank: int = Field(4, ge=2, le=8, description="word-vectors: SVD dimensions kept")
    atoms: int = Field(3, ge=2, le=5, description="dictionary: atoms planted and learned (in 2-D)")
    active: float = Field(0.12, gt=0.0, le=0.5, description="dictionary: chance each atom is on")
    penalty: float = Field(0.2, gt=0.0, le=2.0, description="dictionary: L1 weight λ of the codes")
    restarts: int = Field(6, ge=1, le=20, description="dictionary: random starts, lowest objective kept")
    ambient: int = Field(64, ge=4, le=512, description="concept-direction: embedding dimension")
    concept_shift: float = Field(1.0, gt=0.0, le=5.0, description="concept-direction: half-gap along the concept")
    nuisance_scale: float = Field(3.0, ge=0.0, le=10.0, description="concept-direction: std of the nuisance factor")

    @model_validator(mode="after")
    def _angles(self) -> VectorsParams:
        if self.max_angle_deg < self.min_angle_deg:
            msg = "max_angle_deg must be at least min_angle_deg"
            raise ValueError(msg)
        return self


def _sym_decorrelate(w: np.ndarray) -> np.ndarray:
    """(W W^T)^(-1/2) W: the rows made orthonormal symmetrically."""
    vals, vecs = np.linalg.eigh(w @ w.T)
    return vecs @ np.diag(vals**-0.5) @ vecs.T @ w


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=0, keepdims=True)


def _ica(p: VectorsParams, rng: np.random.Generator) -> Arrays:
    """Hyvärinen & Oja (2000): FastICA with the log-cosh contrast (g = tanh), symmetric."""
    s = rng.uniform(-math.sqrt(3.0), math.sqrt(3.0), (p.samples, 2))
    a0 = rng.uniform(0.0, math.pi)
    gap = math.radians(rng.uniform(p.min_angle_deg, p.max_angle_deg))
    lengths = rng.uniform(0.7, 1.3, 2)
    mix = np.array([[math.cos(a0), math.cos(a0 + gap)], [math.sin(a0), math.sin(a0 + gap)]]) * lengths
    x = s @ mix.T
    x -= x.mean(axis=0)
    vals, vecs = np.linalg.eigh(np.cov(x.T, bias=True))
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    whiten = np.diag(vals**-0.5) @ vecs.T
    z = x @ whiten.T
    w = _sym_decorrelate(rng.normal(size=(2, 2)))
    change = math.inf
    for _ in range(p.iterations):
        y = z @ w.T
        g, dg = np.tanh(y), 1.0 - np.tanh(y) ** 2
        w_new = _sym_decorrelate(g.T @ z / len(z) - dg.mean(axis=0)[:, None] * w)
        change = float(1.0 - np.min(np.abs(np.sum(w_new * w, axis=1))))
        w = w_new
    unmix = w @ whiten
    est = _unit(np.linalg.inv(unmix))  # estimated mixing directions (columns)
    true = _unit(mix)
    cos = np.abs(est.T @ true)  # (estimate, true)
    if cos[0, 0] + cos[1, 1] < cos[0, 1] + cos[1, 0]:
        est = est[:, ::-1]
    est = est * np.sign(np.sum(est * true, axis=0))
    err = np.degrees(np.arccos(np.clip(np.abs(np.sum(est * true, axis=0)), -1.0, 1.0)))
    pcs = vecs * np.sign(vecs[0:1] + 1e-12)
    pc_err = np.degrees(np.arccos(np.clip(np.max(np.abs(pcs.T @ true), axis=0), -1.0, 1.0)))
    reach = float(np.max(np.linalg.norm(x, axis=1)))
    recovered = x @ unmix.T
    corr = np.abs(np.corrcoef(recovered.T, s.T)[:2, 2:])
    return {
        "vectors": np.hstack([est, pcs]) * reach,
        "cloud": x,
        "mixing": true,
        "ica_error_deg": err,
        "pca_error_deg": pc_err,
        "mixing_angle_deg": float(math.degrees(gap)),
        "pca_angle_deg": 90.0,
        "ica_angle_deg": float(np.degrees(np.arccos(np.clip(abs(est[:, 0] @ est[:, 1]), -1, 1)))),
        "source_corr": np.max(corr, axis=1),
        "converged": change < 1e-6,
        "excess_kurtosis": float(np.mean(s**4) / np.mean(s**2) ** 2 - 3.0),
    }


def _closed(poly: np.ndarray, length: int) -> np.ndarray:
    """A polygon's vertices closed back on the first and padded (repeating it) to ``length``."""
    ring = np.vstack([poly, poly[:1]])
    pad = np.repeat(ring[:1], length - len(ring), axis=0)
    return np.vstack([ring, pad])


def _minkowski(p: VectorsParams, rng: np.random.Generator) -> Arrays:
    """Fel et al. (2025), from the definition: a token is the sum over heads of a convex
    mixture of that head's value vectors.  The weights come from a real softmax over random
    queries and keys; the set every token can reach is the convex hull of all sums of one
    value vector per head (the Minkowski sum of the heads' polytopes)."""
    from scipy.spatial import ConvexHull

    h, k, t = p.heads, p.archetypes, p.context
    centres = np.array([[math.cos(a), math.sin(a)] for a in
                        np.linspace(0.0, 2 * math.pi, h, endpoint=False) + math.pi / 2]) * 2.5
    values = np.empty((h, k, 2))
    for i in range(h):
        ang = np.sort(rng.uniform(0.0, 2 * math.pi, k))
        rad = rng.uniform(0.5, 1.2, k)
        values[i] = centres[i] + np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
    # Each context position holds one archetype per head (its value); attention picks a mixture.
    slot = rng.integers(0, k, (h, t))
    q = rng.normal(size=(p.samples, h, 4))
    keys = rng.normal(size=(h, t, 4))
    scores = np.einsum("nhd,htd->nht", q, keys) * p.key_scale
    scores -= scores.max(axis=2, keepdims=True)
    att = np.exp(scores)
    att /= att.sum(axis=2, keepdims=True)  # (n, h, t), rows sum to 1
    per_value = np.zeros((p.samples, h, k))
    for i in range(h):
        for j in range(k):
            per_value[:, i, j] = att[:, i, slot[i] == j].sum(axis=1)
    head_out = np.einsum("nhk,hkd->nhd", per_value, values)
    tokens = head_out.sum(axis=1)
    # Exact Minkowski sum of the polytopes: hull of every sum of one vertex per head.
    idx = np.stack(np.meshgrid(*[np.arange(k)] * h, indexing="ij"), -1).reshape(-1, h)
    sums = values[np.arange(h), idx].sum(axis=1)
    hull = ConvexHull(sums)
    inside = np.all(tokens @ hull.equations[:, :2].T + hull.equations[:, 2] <= 1e-9, axis=1)
    head_hulls = [values[i][ConvexHull(values[i]).vertices] if k >= 3 else values[i] for i in range(h)]
    longest = max(len(v) + 1 for v in head_hulls)
    heads_xy = np.stack([_closed(v, longest) for v in head_hulls])
    sum_xy = _closed(sums[hull.vertices], len(hull.vertices) + 1)[None]
    head_inside = np.array([
        np.all(head_out[:, i] @ ConvexHull(values[i]).equations[:, :2].T
               + ConvexHull(values[i]).equations[:, 2] <= 1e-9) if k >= 3 else True
        for i in range(h)])
    allp = np.vstack([sums, values.reshape(-1, 2)])
    lo, hi = allp.min(axis=0) - 0.6, allp.max(axis=0) + 0.6
    return {
        "grid_x": np.linspace(lo[0], hi[0], 3), "grid_y": np.linspace(lo[1], hi[1], 3),
        "heads_xy": heads_xy, "sum_xy": sum_xy, "tokens": tokens,
        "archetypes": values.reshape(-1, 2), "vertex_sums": sums,
        "inside_share": float(np.mean(inside)), "head_inside": head_inside,
        "weights_sum": float(np.max(np.abs(per_value.sum(axis=2) - 1.0))),
        "sum_vertices": float(len(hull.vertices)), "vertex_sum_count": float(len(sums)),
        "sum_area": float(hull.volume),
        "head_area_sum": float(sum(ConvexHull(values[i]).volume for i in range(h))) if k >= 3 else 0.0,
    }


def _denoiser_field(p: VectorsParams, rng: np.random.Generator) -> Arrays:
    """Vincent et al. (2008) train a network to undo Gaussian corruption; the best any such
    denoiser can do (squared error, corruption std sigma) is the posterior mean
    r(x) = sum_i w_i x_i with w = softmax(-|x - x_i|^2 / 2 sigma^2) over the clean points.
    Its step r(x) - x is drawn on a grid: it points back to the data's curve."""
    t = np.sort(rng.uniform(0.0, 2 * math.pi, p.samples))
    rad = 1.0 + 0.25 * np.sin(3 * t)
    clean = np.column_stack([rad * np.cos(t), rad * np.sin(t)])
    g = np.linspace(-1.7, 1.7, p.grid)
    gx, gy = np.meshgrid(g, g)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    d2 = np.sum((pts[:, None, :] - clean[None, :, :]) ** 2, axis=2)
    logits = -d2 / (2 * p.noise**2)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    step = w @ clean - pts
    fine = np.linspace(0.0, 2 * math.pi, 2000)
    curve = np.column_stack([(1.0 + 0.25 * np.sin(3 * fine)) * np.cos(fine),
                             (1.0 + 0.25 * np.sin(3 * fine)) * np.sin(fine)])
    dc = np.sum((pts[:, None, :] - curve[None, :, :]) ** 2, axis=2)
    nearest = curve[dc.argmin(axis=1)] - pts
    dist = np.sqrt(dc.min(axis=1))
    norm_step = np.linalg.norm(step, axis=1)
    far = dist > 0.2
    cos = np.sum(step * nearest, axis=1) / np.maximum(norm_step * dist, 1e-12)
    quiver = np.stack([pts, pts + p.arrow_scale * step], axis=1)
    return {
        "grid_x": g, "grid_y": g, "quiver": quiver, "clean": clean, "curve": curve[None],
        "toward_curve": float(np.median(cos[far])), "toward_share": float(np.mean(cos[far] > 0.9)),
        "step_distance_corr": float(np.corrcoef(norm_step[far], dist[far])[0, 1]),
        "near_step": float(np.median(norm_step[~far])) if np.any(~far) else 0.0,
        "far_step": float(np.median(norm_step[dist > 0.5])) if np.any(dist > 0.5) else 0.0,
        "arrow_scale": p.arrow_scale, "noise": p.noise,
    }


def _som(p: VectorsParams, rng: np.random.Generator) -> Arrays:
    """Kohonen (1982): a lattice of prototypes; each sample pulls its best-matching unit and,
    through a Gaussian neighbourhood on the lattice that shrinks over time, that unit's lattice
    neighbours.  The lattice unfolds over the data without folds."""
    side = p.grid
    ij = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1).reshape(-1, 2)
    w = 0.5 + rng.uniform(-0.05, 0.05, (side * side, 2))
    start = w.copy()
    data = rng.uniform(0.0, 1.0, (p.samples, 2))
    lat2 = np.sum((ij[:, None, :] - ij[None, :, :]) ** 2, axis=2).astype(float)
    mid = None
    for step in range(p.steps):
        frac = step / p.steps
        sigma = side / 2.0 * (0.5 / (side / 2.0)) ** frac
        lr = 0.5 * (0.02 / 0.5) ** frac
        x = data[rng.integers(len(data))]
        bmu = int(np.argmin(np.sum((w - x) ** 2, axis=1)))
        h = np.exp(-lat2[bmu] / (2 * sigma * sigma))
        w += lr * h[:, None] * (x - w)
        if step == p.steps // 10:
            mid = w.copy()
    grid = w.reshape(side, side, 2)

    def lines(g: np.ndarray) -> np.ndarray:
        return np.concatenate([g, np.transpose(g, (1, 0, 2))], axis=0)

    def cross(g: np.ndarray) -> np.ndarray:
        a = g[1:, :-1] - g[:-1, :-1]
        b = g[:-1, 1:] - g[:-1, :-1]
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]

    c = cross(grid)
    qe = float(np.mean(np.min(np.sum((data[:, None] - w[None]) ** 2, axis=2), axis=1) ** 0.5))
    qe0 = float(np.mean(np.min(np.sum((data[:, None] - start[None]) ** 2, axis=2), axis=1) ** 0.5))
    return {
        "grid_x": np.array([-0.05, 0.5, 1.05]), "grid_y": np.array([-0.05, 0.5, 1.05]),
        "lattice": lines(grid), "lattice_mid": lines((mid if mid is not None else w).reshape(side, side, 2)),
        "lattice_start": lines(start.reshape(side, side, 2)), "data": data,
        "unfolded_share": float(max(np.mean(c > 0), np.mean(c < 0))),
        "quantisation_error": qe, "quantisation_error_start": qe0,
        "coverage": float(np.ptp(w[:, 0]) * np.ptp(w[:, 1])),
    }


#: The synthetic corpus: nouns built from three binary factors, and the context words each
#: factor value brings with it.
NOUNS = ("king", "queen", "man", "woman", "prince", "princess", "boy", "girl")
NOUN_FACTORS = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0],
                         [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]])  # gender, status, age
FACTOR_WORDS = (
    (("he", "his", "him"), ("she", "her", "hers")),
    (("crown", "throne", "palace"), ("street", "market", "village")),
    (("old", "beard", "war"), ("young", "school", "play")),
)
FILLER = ("the", "a", "and", "walks", "sees")


def _word_vectors(p: VectorsParams, rng: np.random.Generator) -> Arrays:
    """Levy & Goldberg (2014): word vectors as the truncated SVD of the positive pointwise
    mutual information between words and their contexts, on a corpus generated here: each
    sentence names one noun and six context words, each drawn from the words of one of the
    noun's three factors (gender, status, age) or from filler."""
    contexts = [w for pair in FACTOR_WORDS for side in pair for w in side] + list(FILLER)
    col = {w: i for i, w in enumerate(contexts)}
    counts = np.zeros((len(NOUNS), len(contexts)))
    nouns = rng.integers(0, len(NOUNS), p.sentences)
    kinds = rng.integers(0, 4, (p.sentences, 6))  # 0-2: a factor's words, 3: filler
    picks = rng.integers(0, 5, (p.sentences, 6))
    for s_i in range(p.sentences):
        n = nouns[s_i]
        for kind, pick in zip(kinds[s_i], picks[s_i], strict=True):
            if kind == 3:
                word = FILLER[pick % len(FILLER)]
            else:
                side = FACTOR_WORDS[kind][NOUN_FACTORS[n, kind]]
                word = side[pick % len(side)]
            counts[n, col[word]] += 1
    total = counts.sum()
    pmi = np.log(np.maximum(counts, 1e-300) * total / np.outer(counts.sum(axis=1), counts.sum(axis=0)))
    ppmi = np.where(counts > 0, np.maximum(pmi, 0.0), 0.0)
    u, sv, _ = np.linalg.svd(ppmi, full_matrices=False)
    vec = u[:, : p.rank] * np.sqrt(sv[: p.rank])
    unit = vec / np.linalg.norm(vec, axis=1, keepdims=True)
    # Every analogy a : b :: c : d between nouns that differ in one factor, answered by the
    # nearest noun (cosine) to b - a + c, excluding a, b and c.
    correct = tried = 0
    for a in range(8):
        for b in range(8):
            diff = NOUN_FACTORS[a] ^ NOUN_FACTORS[b]
            if diff.sum() != 1:
                continue
            for c in range(8):
                if c in (a, b) or ((NOUN_FACTORS[c] ^ NOUN_FACTORS[a]) & diff).any():
                    continue  # c must share a's value of the factor that b changes
                d_true = [d for d in range(8) if (NOUN_FACTORS[c] ^ NOUN_FACTORS[d] == diff).all()][0]
                query = vec[b] - vec[a] + vec[c]
                sims = unit @ (query / np.linalg.norm(query))
                sims[[a, b, c]] = -np.inf
                correct += int(np.argmax(sims) == d_true)
                tried += 1
    target = vec[1] - vec[0]  # queen - king
    other = vec[3] - vec[2]  # woman - man
    # The analogy plane: spanned by the gender offset (queen - king) and the status offset
    # (man - king), made orthonormal; king at the origin.
    e1 = target / np.linalg.norm(target)
    status = vec[2] - vec[0]
    e2 = status - (status @ e1) * e1
    e2 /= np.linalg.norm(e2)
    basis = np.stack([e1, e2], axis=1)
    flat = (vec[:4] - vec[0]) @ basis
    q = vec[0] - vec[2] + vec[3]
    q_flat = ((q - vec[0]) @ basis)[None]
    order = [2, 0, 1, 3, 2]  # man, king, queen, woman, man
    sims = unit @ (q / np.linalg.norm(q))
    sims[[0, 2, 3]] = -np.inf
    allp = np.vstack([flat, q_flat])
    return {
        "ppmi": ppmi, "noun_names": list(NOUNS), "context_names": contexts, "word_vectors": vec,
        "singular_values": sv, "energy_top": float(np.sum(sv[: p.rank] ** 2) / np.sum(sv**2)),
        "vectors_2d": flat, "parallelogram": flat[order][None], "analogy_point": q_flat,
        "analogy_miss": float(np.linalg.norm(q - vec[1]) / np.linalg.norm(vec[1] - vec[0])),
        "grid_x": np.linspace(allp[:, 0].min() - 0.5, allp[:, 0].max() + 0.5, 3),
        "grid_y": np.linspace(allp[:, 1].min() - 0.5, allp[:, 1].max() + 0.5, 3),
        "analogy_accuracy": correct / tried, "analogies_tried": float(tried),
        "king_man_woman_is_queen": float(np.argmax(sims) == 1),
        "offset_cosine": float(target @ other / (np.linalg.norm(target) * np.linalg.norm(other))),
    }


def _translation(p: VectorsParams, rng: np.random.Generator) -> Arrays:
    """Mikolov, Le & Sutskever (2013): two languages' word vectors are two noisy rotations of
    the same concepts; a linear map fitted by least squares on half the word pairs carries the
    other half across, and the nearest word (cosine) is the translation."""
    words, dim = 60, 8
    concepts = rng.normal(size=(words, dim))
    qa = np.linalg.qr(rng.normal(size=(dim, dim)))[0]
    qb = np.linalg.qr(rng.normal(size=(dim, dim)))[0]
    a = concepts @ qa + p.noise * rng.normal(size=(words, dim))
    b = concepts @ qb + p.noise * rng.normal(size=(words, dim))
    anchors = rng.permutation(words)
    fit, held = anchors[: words // 2], anchors[words // 2:]
    w, *_ = np.linalg.lstsq(a[fit], b[fit], rcond=None)

    def accuracy(mapped: np.ndarray) -> float:
        mu = mapped / np.linalg.norm(mapped, axis=1, keepdims=True)
        bu = b / np.linalg.norm(b, axis=1, keepdims=True)
        return float(np.mean((mu[held] @ bu.T).argmax(axis=1) == held))

    centre = b.mean(axis=0)
    _, _, vt = np.linalg.svd(b - centre, full_matrices=False)
    plane = vt[:2].T
    before = np.vstack([(a - centre) @ plane, (b - centre) @ plane])
    after = np.vstack([(a @ w - centre) @ plane, (b - centre) @ plane])
    labels = np.concatenate([np.zeros(words, int), np.ones(words, int)])
    show = np.concatenate([held, held + words])  # draw the held-out words only
    return {
        "snapshots": np.stack([before[show], after[show]]), "labels": labels[show],
        "panel_names": ["before: language A as it is", "after: A mapped by W"],
        "accuracy_before": accuracy(a), "accuracy_after": accuracy(a @ w),
        "held_out": float(len(held)), "pair_gap_after": float(np.mean(np.linalg.norm(a[held] @ w - b[held], axis=1))
                                                          / np.mean(np.linalg.norm(b[held] - centre, axis=1))),
    }


def _ista(d: np.ndarray, x: np.ndarray, lam: float, steps: int) -> np.ndarray:
    """ISTA (Daubechies et al. 2004) for min_a ½‖x − D a‖² + λ‖a‖₁, columns of x at once."""
    lip = float(np.linalg.norm(d, 2) ** 2)
    a = np.zeros((d.shape[1], x.shape[1]))
    for _ in range(steps):
        g = a - d.T @ (d @ a - x) / lip
        a = np.sign(g) * np.maximum(np.abs(g) - lam / lip, 0.0)
    return a


def _dictionary(p: VectorsParams, rng: np.random.Generator) -> Arrays:
    """Olshausen & Field (1996) in two dimensions: more atoms than dimensions, each point a
    sparse (Bernoulli–Laplace) combination of them.  Learning alternates ISTA for the codes
    with the least-squares dictionary update (MOD) and unit-norm columns; of several random
    starts from data points, the one with the lowest objective is kept (the truth is not used)."""
    from itertools import permutations

    k, n = p.atoms, p.samples
    ang = rng.uniform(0.0, math.pi / k) + np.arange(k) * math.pi / k + rng.uniform(-0.12, 0.12, k)
    true = np.vstack([np.cos(ang), np.sin(ang)])
    codes = rng.laplace(0.0, 1.0, (k, n)) * (rng.random((k, n)) < p.active)
    x = true @ codes + rng.normal(0.0, 0.02, (2, n))
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(p.restarts):
        d = _unit(x[:, rng.choice(n, k, replace=False)] + 1e-9)
        a = np.zeros((k, n))
        for _ in range(p.iterations):
            a = _ista(d, x, p.penalty, 30)
            used = np.abs(a).sum(axis=1) > 1e-9
            d = np.where(used, _unit(x @ a.T @ np.linalg.pinv(a @ a.T) + 1e-12), d)
        a = _ista(d, x, p.penalty, 30)
        obj = 0.5 * float(np.sum((d @ a - x) ** 2)) + p.penalty * float(np.abs(a).sum())
        if best is None or obj < best[0]:
            best = (obj, d, a)
    assert best is not None
    _, d, a = best
    cos = np.abs(d.T @ true)
    match = max(permutations(range(k)), key=lambda pm: sum(cos[pm[j], j] for j in range(k)))
    d = d[:, list(match)]
    flip = np.sign(np.sum(d * true, axis=0))
    d, a = d * flip, a[list(match)] * flip[:, None]
    err = np.degrees(np.arccos(np.clip(np.abs(np.sum(d * true, axis=0)), -1.0, 1.0)))
    nonzero = np.abs(codes).sum(axis=0) > 0
    reach = float(np.quantile(np.linalg.norm(x, axis=0), 0.98))
    return {
        "vectors": d * reach, "cloud": x.T, "atoms_true": true, "atom_error_deg": err,
        "atoms": float(k), "dimensions": 2.0,
        "single_share": float(np.mean(np.sum(codes[:, nonzero] != 0, axis=0) == 1)),
        "active_per_point": float(np.mean(np.sum(np.abs(a[:, nonzero]) > 1e-6, axis=0))),
        "relative_residual": float(np.linalg.norm(d @ a - x) / np.linalg.norm(x)),
        "min_atom_gap_deg": float(np.min([math.degrees(math.acos(min(1.0, abs(float(true[:, i] @ true[:, j])))))
                                          for i in range(k) for j in range(i + 1, k)])),
    }


def _concept_direction(p: VectorsParams, rng: np.random.Generator) -> Arrays:
    """Park, Choe & Veitch (2024): a binary concept is represented by a direction.  Embeddings in
    ``ambient`` dimensions carry the concept as ±shift along a hidden unit vector u, a larger
    nuisance factor along another direction, and isotropic noise.  The difference of the two
    groups' means (on one half) is compared with u and with the top principal axis; the points
    are drawn in the plane of u and the nuisance direction (made orthogonal to u)."""
    d, n = p.ambient, p.samples
    u = _unit(rng.normal(size=(d, 1)))[:, 0]
    v = rng.normal(size=d)
    v = _unit((v - (v @ u) * u)[:, None])[:, 0]
    label = rng.integers(0, 2, n)
    x = (np.outer((2 * label - 1) * p.concept_shift, u) + np.outer(rng.normal(0.0, p.nuisance_scale, n), v)
         + rng.normal(0.0, 0.5, (n, d)))
    half = n // 2
    fit, held = np.arange(half), np.arange(half, n)
    diff = x[fit][label[fit] == 1].mean(axis=0) - x[fit][label[fit] == 0].mean(axis=0)
    diff /= np.linalg.norm(diff)
    centred = x[fit] - x[fit].mean(axis=0)
    pc1 = np.linalg.svd(centred, full_matrices=False)[2][0]
    pc1 *= np.sign(pc1 @ v) or 1.0
    mid = 0.5 * (x[fit][label[fit] == 1].mean(axis=0) + x[fit][label[fit] == 0].mean(axis=0))
    score = (x[held] - mid) @ diff
    pc_score = (x[held] - mid) @ pc1
    turn = math.radians(25.0)  # turned off the dial's axis lines so the labels stay clear
    plane = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]]) @ np.vstack([u, v])
    pts = x @ plane.T
    reach = float(np.quantile(np.linalg.norm(pts, axis=1), 0.9))
    vecs = np.column_stack([plane @ diff, plane @ pc1]) * reach

    def best_acc(s: np.ndarray) -> float:
        acc = float(np.mean((s > 0) == (label[held] == 1)))
        return max(acc, 1.0 - acc)

    return {
        "vectors": vecs, "cloud": pts, "classes": label, "cos_diff_u": float(abs(diff @ u)),
        "rays": vecs.T[None] * 0.8,
        "cos_pc1_u": float(abs(pc1 @ u)), "cos_pc1_v": float(abs(pc1 @ v)),
        "in_plane": np.linalg.norm(plane @ np.column_stack([diff, pc1]), axis=0),
        "probe_accuracy": best_acc(score), "pc1_accuracy": best_acc(pc_score),
        "ambient": float(d), "angle_diff_u_deg": float(math.degrees(math.acos(min(1.0, abs(float(diff @ u)))))),
    }


@recipe("vectors", VectorsParams)
def vectors(p: VectorsParams, rng: np.random.Generator) -> Arrays:
    """Sets of learned or exact directions: ICA against PCA axes, Minkowski sums of heads."""
    run = {"ica": _ica, "minkowski": _minkowski, "denoiser-field": _denoiser_field,
           "som": _som, "word-vectors": _word_vectors,
           "translation": _translation, "dictionary": _dictionary,
           "concept-direction": _concept_direction}[p.experiment]
    return run(p, rng)
