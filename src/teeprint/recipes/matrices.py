"""E9 matrices: attention masks, position biases and patterns, normalisation groups.

One recipe, ``matrix``, whose ``kind`` names the matrix to build; each kind is a small function
that returns the named arrays its plate draws and its claims read.  Masks and biases are the
published definitions evaluated exactly (closed-form); ``linear-attention`` draws random
queries and keys (computed); ``multi-head`` is a hand-wired head bank.

Every mask is a 0/1 float matrix indexed [query, key], so a check such as
``all(mask <= causal)`` reads directly.  Region codes for drawing are separate integer arrays.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

Kind = Literal["causal", "t5-masks", "sliding-window", "strided", "alibi", "t5-buckets",
               "linear-attention", "normalisation-axes", "multi-head", "rope", "gcn", "scaling"]


class MatrixParams(Params):
    """Which matrix, and its sizes; each kind reads only the fields it needs."""

    kind: Kind
    n: int = Field(16, ge=4, le=64, description="sequence length (rows and columns)")
    window: int = Field(4, ge=1, le=32, description="sliding-window: keys on each side; strided: block length")
    global_tokens: int = Field(1, ge=0, le=8, description="sliding-window: tokens that see and are seen by all")
    layers: int = Field(3, ge=1, le=8, description="sliding-window: layers for the reach panel")
    prefix: int = Field(6, ge=1, le=63, description="t5-masks: length of the fully visible prefix")
    heads: int = Field(8, ge=1, le=32, description="alibi: heads (slopes 2^(-8h/heads))")
    show_heads: tuple[int, ...] = Field((1, 3, 5, 8), min_length=1, max_length=6)
    num_buckets: int = Field(32, ge=4, le=128, description="t5-buckets: buckets (both directions)")
    max_distance: int = Field(128, ge=8, le=1024, description="t5-buckets: distance of the last bucket")
    dim: int = Field(8, ge=2, le=64, description="linear-attention: query/key dimension")
    batch: int = Field(4, ge=2, le=16, description="normalisation-axes: N")
    channels: int = Field(6, ge=2, le=16, description="normalisation-axes: C")
    pixels: int = Field(4, ge=2, le=16, description="normalisation-axes: H x W, flattened")
    groups: int = Field(2, ge=1, le=16, description="normalisation-axes: G for group norm")
    sentence: str = Field("the cat sat on the mat and the cat slept", min_length=3, max_length=120)
    gain: float = Field(8.0, ge=1.0, le=40.0, description="multi-head: score of a wired match")
    head_dim: int = Field(128, ge=4, le=512, description="rope: head dimension d (even)")
    base: float = Field(10000.0, ge=10.0, le=1e6, description="rope: frequency base")
    max_offset: int = Field(256, ge=8, le=4096, description="rope: largest relative distance")
    hops: int = Field(40, ge=1, le=200, description="gcn: propagation steps")

    @model_validator(mode="after")
    def _consistent(self) -> MatrixParams:
        if self.kind == "t5-masks" and self.prefix >= self.n:
            msg = "prefix must be shorter than n"
            raise ValueError(msg)
        if self.kind == "alibi" and max(self.show_heads) > self.heads:
            msg = "show_heads must name heads 1..heads"
            raise ValueError(msg)
        if self.kind == "normalisation-axes" and self.channels % self.groups:
            msg = "channels must be a multiple of groups"
            raise ValueError(msg)
        if self.kind == "multi-head" and not 3 <= len(self.sentence.split()) <= 16:
            msg = "the sentence needs 3 to 16 words"
            raise ValueError(msg)
        return self


def causal_mask(n: int) -> np.ndarray:
    """1 where key j <= query i."""
    return np.tril(np.ones((n, n)))


def masked_softmax(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row softmax over the keys the mask allows (weight exactly 0 elsewhere)."""
    s = np.where(mask > 0, scores, -np.inf)
    top = s.max(axis=1, keepdims=True)
    e = np.where(mask > 0, np.exp(s - top), 0.0)
    return e / e.sum(axis=1, keepdims=True)


def _index(n: int) -> np.ndarray:
    return np.arange(n)


def _causal(p: MatrixParams) -> Arrays:
    """Radford et al. (2018): a decoder's query i sees keys 0..i; with equal scores the softmax
    spreads 1/(i+1) over them."""
    mask = causal_mask(p.n)
    att = masked_softmax(np.zeros((p.n, p.n)), mask)
    return {"mask": mask, "attention": att, "regions": mask.astype(int),
            "visible_keys": mask.sum(axis=1)[None, :], "position": _index(p.n),
            "n": p.n}


def _t5_masks(p: MatrixParams) -> Arrays:
    """Raffel et al. (2020), fig. 3: fully visible, causal, and causal with a visible prefix."""
    n = p.n
    full = np.ones((n, n))
    causal = causal_mask(n)
    prefix = causal.copy()
    prefix[:, : p.prefix] = 1.0
    return {"fully_visible": full, "causal": causal, "prefix_lm": prefix,
            "fully_visible_regions": full.astype(int), "causal_regions": causal.astype(int),
            "prefix_only": ((prefix > 0) & (causal == 0)).astype(float),
            "position": _index(n), "n": n, "prefix": p.prefix}


def _band(n: int, w: int) -> np.ndarray:
    i = _index(n)
    return (np.abs(i[:, None] - i[None, :]) <= w).astype(float)


def _sliding_window(p: MatrixParams) -> Arrays:
    """Beltagy et al. (2020): each token sees w keys on either side; global tokens see and are
    seen by every token.  Stacking layers widens what one token can reach by 2w per layer."""
    n, w, g = p.n, p.window, p.global_tokens
    band = _band(n, w)
    mask = band.copy()
    mask[:g, :] = 1.0
    mask[:, :g] = 1.0
    regions = band.astype(int)
    regions[(mask > 0) & (band == 0)] = 2
    centre = n // 2
    reach = np.zeros((p.layers, n))
    seen = np.zeros(n)
    seen[centre] = 1.0
    for layer in range(p.layers):
        seen = ((band @ seen) > 0).astype(float)
        reach[layer] = seen
    reach_width = reach.sum(axis=1)
    return {"mask": mask, "band": band, "regions": regions, "reach": reach,
            "reach_width": reach_width,
            "layer": np.arange(1, p.layers + 1), "position": _index(n), "n": n, "window": w,
            "keys_per_query": mask.sum(axis=1), "global_tokens": g, "centre": centre}


def _strided(p: MatrixParams) -> Arrays:
    """Child et al. (2019): two factorised causal patterns, each of about sqrt(n) keys per query,
    whose two-step composition reaches every earlier position."""
    n, ell = p.n, p.window
    i, j = np.meshgrid(_index(n), _index(n), indexing="ij")
    causal = (j <= i).astype(float)
    local = ((i - j >= 0) & (i - j < ell)).astype(float)
    stride = ((i - j >= 0) & ((i - j) % ell == 0)).astype(float)
    fixed_block = ((j <= i) & (j // ell == i // ell)).astype(float)
    fixed_summary = ((j <= i) & (j % ell == ell - 1)).astype(float)
    strided_regions = np.where(local > 0, 1, 0) + np.where((stride > 0) & (local == 0), 2, 0)
    fixed_regions = np.where(fixed_block > 0, 1, 0) + np.where(
        (fixed_summary > 0) & (fixed_block == 0), 2, 0)
    return {"causal": causal, "local": local, "stride": stride, "fixed_block": fixed_block,
            "fixed_summary": fixed_summary, "strided_regions": strided_regions,
            "fixed_regions": fixed_regions,
            "strided_union": np.maximum(local, stride), "fixed_union": np.maximum(fixed_block, fixed_summary),
            "strided_two_hop": (local @ stride > 0).astype(float),
            "fixed_two_hop": (fixed_summary @ fixed_block + fixed_block > 0).astype(float),
            "position": _index(n), "n": n, "block": ell}


def alibi_slopes(heads: int) -> np.ndarray:
    """Press et al. (2022): the geometric slopes 2^(-8h/H), h = 1..H."""
    return 2.0 ** (-8.0 * np.arange(1, heads + 1) / heads)


def _alibi(p: MatrixParams) -> Arrays:
    """Linear biases -m |i - j| added to causal scores; with no content scores the softmax
    weight on a key decays as exp(-m d) with its distance d."""
    n = p.n
    slopes = alibi_slopes(p.heads)
    dist = np.abs(_index(n)[:, None] - _index(n)[None, :]).astype(float)
    mask = causal_mask(n)
    last = np.exp(-np.outer(slopes, np.arange(n)))  # the last query's weights by key distance
    out: Arrays = {"slopes": slopes, "distance": dist, "position": _index(n), "n": n,
                   "key_distance": np.arange(n, dtype=float),
                   "last_query": last / last.sum(axis=1, keepdims=True)}
    for h in range(p.heads):
        out[f"last_query_{h}"] = out["last_query"][h]
    for k, h in enumerate(p.show_heads):
        m = slopes[h - 1]
        out[f"bias_{k}"] = np.where(mask > 0, -m * dist, 0.0)
        out[f"attention_{k}"] = masked_softmax(-m * dist, mask)
        out[f"slope_{k}"] = float(m)
    return out


def t5_bucket(relative: np.ndarray, num_buckets: int, max_distance: int) -> np.ndarray:
    """Raffel et al. (2020) relative-position buckets, bidirectional: half the buckets per
    direction; the first half of those are exact offsets, the rest log-spaced up to
    ``max_distance`` (the reference implementation's formula)."""
    nb = num_buckets // 2
    ret = np.where(relative > 0, nb, 0)
    d = np.abs(relative)
    exact = nb // 2
    with np.errstate(divide="ignore"):
        large = exact + (np.log(np.maximum(d, 1) / exact) / math.log(max_distance / exact)
                         * (nb - exact)).astype(int)
    large = np.minimum(large, nb - 1)
    return ret + np.where(d < exact, d, large)


def _t5_buckets(p: MatrixParams) -> Arrays:
    """Bucket of key j for query i (relative = j - i), and the bucket against the offset."""
    n = p.n
    rel = _index(n)[None, :] - _index(n)[:, None]
    buckets = t5_bucket(rel, p.num_buckets, p.max_distance)
    offsets = np.arange(-(n - 1), n)
    by_offset = t5_bucket(offsets, p.num_buckets, p.max_distance)
    exact = np.abs(offsets) < p.num_buckets // 4
    return {"bucket": buckets.astype(float), "offset": offsets,
            "bucket_row": by_offset.astype(float), "exact_offsets": offsets[exact].astype(float),
            "exact_buckets": by_offset[exact].astype(float),
            "bucket_by_offset": by_offset.astype(float)[None, :],
            "position": _index(n), "n": n, "exact_limit": p.num_buckets // 4,
            "buckets_used": float(np.unique(buckets).size)}


def _linear_attention(p: MatrixParams, rng: np.random.Generator) -> Arrays:
    """Katharopoulos et al. (2020): replace exp(q.k) by phi(q).phi(k), phi = elu + 1.  The
    attention matrix then factors through d features, so its rank is at most d."""
    n, d = p.n, p.dim
    q = rng.normal(size=(n, d))
    k = rng.normal(size=(n, d))

    def phi(x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x + 1.0, np.exp(x))

    soft = masked_softmax(q @ k.T / math.sqrt(d), np.ones((n, n)))
    kernel = phi(q) @ phi(k).T
    linear = kernel / kernel.sum(axis=1, keepdims=True)

    def entropy(a: np.ndarray) -> np.ndarray:
        return -np.sum(a * np.log(a), axis=1)

    return {"softmax_attention": soft, "linear_attention": linear,
            "difference": linear - soft, "position": _index(n), "n": n, "dim": d,
            "softmax_entropy": entropy(soft), "linear_entropy": entropy(linear),
            "max_entropy": math.log(n)}


def _norm_outputs(x: np.ndarray, axes: tuple[int, ...], groups: int = 1) -> np.ndarray:
    """Normalise x (N, C, P) to zero mean, unit variance over ``axes`` (within channel groups)."""
    if groups > 1:
        n, c, pix = x.shape
        xg = x.reshape(n, groups, c // groups, pix)
        mu = xg.mean(axis=(2, 3), keepdims=True)
        sd = xg.std(axis=(2, 3), keepdims=True)
        return ((xg - mu) / (sd + 1e-5)).reshape(n, c, pix)
    mu = x.mean(axis=axes, keepdims=True)
    sd = x.std(axis=axes, keepdims=True)
    return (x - mu) / (sd + 1e-5)


def _normalisation_axes(p: MatrixParams) -> Arrays:
    """Wu & He (2018), fig. 2, computed: nudge one entry of an N x C x (HW) tensor and mark
    every output of each normaliser that moves.  The marked set is the group that shares the
    nudged entry's mean and variance."""
    n, c, pix = p.batch, p.channels, p.pixels
    base = np.sin(np.arange(n * c * pix) * 1.7).reshape(n, c, pix) + 0.3 * np.cos(
        np.arange(n * c * pix) * 0.61).reshape(n, c, pix)  # fixed, varied, deterministic
    at = (1, min(2, c - 1), 0)
    nudged = base.copy()
    nudged[at] += 1e-3
    out: Arrays = {"batch_axis": _index(n), "entry": np.asarray(at)}
    for name, axes, groups in (("batch", (0, 2), 1), ("layer", (1, 2), 1),
                               ("instance", (2,), 1), ("group", (1, 2), p.groups)):
        moved = np.abs(_norm_outputs(nudged, axes, groups) - _norm_outputs(base, axes, groups)) > 1e-9
        codes = moved.astype(int)
        codes[at] = 2
        out[f"{name}_regions"] = codes.reshape(n, c * pix)
        out[f"{name}_shared"] = float(moved.sum())
    out.update({"N": n, "C": c, "HW": pix, "G": p.groups})
    return out


def _hashed(token: str, dim: int) -> np.ndarray:
    gen = np.random.default_rng(zlib.crc32(token.encode("utf-8")))
    v = gen.normal(size=dim)
    return v / np.linalg.norm(v)


def _multi_head(p: MatrixParams) -> Arrays:
    """Four heads wired by hand on [word code | one-hot position]: previous token, first
    token (a sink), an earlier copy of the same word, and a local band.  Each head's score
    matrix is x W_QK x^T with its own W_QK; the softmax is causal."""
    tokens = p.sentence.split()
    n = len(tokens)
    dt = 32
    words = np.stack([_hashed(t, dt) for t in tokens])
    x = np.concatenate([words, np.eye(n)], axis=1)
    d = dt + n
    pos = slice(dt, d)
    shift = np.eye(n, k=-1)  # query position i reads key position i-1
    w_prev = np.zeros((d, d))
    w_prev[pos, pos] = p.gain * shift
    w_first = np.zeros((d, d))
    w_first[pos, dt] = p.gain  # every query's position row points at key position 0
    w_same = np.zeros((d, d))
    w_same[:dt, :dt] = p.gain * np.eye(dt)
    w_same[pos, pos] = -p.gain * np.eye(n)  # not my own position
    i = _index(n)
    w_band = np.zeros((d, d))
    w_band[pos, pos] = p.gain * (np.abs(i[:, None] - i[None, :]) <= 2)
    mask = causal_mask(n)
    out: Arrays = {"tokens": tokens, "n": n}
    for name, w in (("previous", w_prev), ("first", w_first), ("same", w_same), ("band", w_band)):
        scores = x @ w @ x.T
        out[f"{name}_scores"] = scores
        out[f"{name}_attention"] = masked_softmax(scores, mask)
    same_word = np.array([[float(tokens[a] == tokens[b] and b < a) for b in range(n)]
                          for a in range(n)])
    out["same_word_earlier"] = same_word
    out["has_earlier_copy"] = same_word.max(axis=1)
    out["previous_position"] = np.eye(n, k=-1)
    out["later"] = 1.0 - mask
    out["within_two"] = (np.abs(i[:, None] - i[None, :]) <= 2).astype(float)
    return out


def rope_rotate(x: np.ndarray, position: int, base: float) -> np.ndarray:
    """Su et al. (2024): rotate each pair (x_2k, x_2k+1) by position * base^(-2k/d)."""
    d = x.shape[-1]
    theta = base ** (-2.0 * np.arange(d // 2) / d) * position
    c, s = np.cos(theta), np.sin(theta)
    out = np.empty_like(x)
    out[0::2] = x[0::2] * c - x[1::2] * s
    out[1::2] = x[0::2] * s + x[1::2] * c
    return out


def _rope(p: MatrixParams) -> Arrays:
    """Rotary position embedding: the score of a rotated query and key depends only on their
    offset, and the paper's bound (1/(d/2)) sum_j |S_j|, S_j = sum_{k<j} e^{i r theta_k},
    decays with the offset r (their section 3.4.3).  Also the score of an all-ones query and
    key, 2 sum_k cos(r theta_k) / d, which oscillates under the bound's trend."""
    d = p.head_dim - p.head_dim % 2
    theta = p.base ** (-2.0 * np.arange(d // 2) / d)
    r = np.arange(p.max_offset + 1, dtype=float)
    s_j = np.cumsum(np.exp(1j * np.outer(r, theta)), axis=1)
    bound = np.abs(s_j).mean(axis=1)
    ones = 2.0 * np.cos(np.outer(r, theta)).sum(axis=1) / d
    q = np.cos(np.arange(d) * 0.37)  # two fixed, unrelated vectors
    k = np.sin(np.arange(d) * 0.91 + 0.3)
    pos = np.arange(12)
    scores = np.array([[rope_rotate(q, int(m), p.base) @ rope_rotate(k, int(n), p.base)
                        for n in pos] for m in pos])
    return {"offset": r, "bound": bound / bound[0], "ones_score": ones,
            "scores": scores, "head_dim": float(d),
            "toeplitz_error": float(max(np.abs(np.diag(scores, o) - np.diag(scores, o)[0]).max()
                                        for o in range(-11, 12))),
            "norm_change": float(abs(np.linalg.norm(rope_rotate(q, 7, p.base)) - np.linalg.norm(q)))}


def _gcn(p: MatrixParams) -> Arrays:
    """Kipf & Welling (2017): one step mixes each node with its neighbours,
    X <- D^-1/2 (A + I) D^-1/2 X.  On two cliques of five joined by one edge, with +1 on one
    clique and 0 on the other, a few steps smooth each clique; many steps wash the contrast
    out until every node is proportional to sqrt(degree + 1) (the top eigenvector)."""
    a = np.zeros((10, 10))
    for block in (range(0, 5), range(5, 10)):
        for i in block:
            for j in block:
                if i != j:
                    a[i, j] = 1.0
    a[4, 5] = a[5, 4] = 1.0
    a_hat = a + np.eye(10)
    dinv = 1.0 / np.sqrt(a_hat.sum(axis=1))
    prop = dinv[:, None] * a_hat * dinv[None, :]
    x = np.where(np.arange(10) < 5, 1.0, 0.0)
    hist = [x]
    for _ in range(p.hops):
        x = prop @ x
        hist.append(x)
    h = np.asarray(hist).T  # (nodes, hops + 1)
    top = np.sqrt(a_hat.sum(axis=1))
    top /= np.linalg.norm(top)
    final = h[:, -1] / np.linalg.norm(h[:, -1])
    contrast = h[:5].mean(axis=0) - h[5:].mean(axis=0)
    return {"features": h, "hop": np.arange(p.hops + 1, dtype=float), "contrast": contrast,
            "alignment_with_top": float(abs(final @ top)), "propagation": prop,
            "degree": a_hat.sum(axis=1), "bridge_nodes": np.array([4.0, 5.0])}


def _scaling(p: MatrixParams, rng: np.random.Generator) -> Arrays:
    """Vaswani et al. (2017), section 3.2.1: for random unit-variance queries and keys the dot
    product has variance d, so without the 1/sqrt(d) factor the softmax sharpens towards one
    key as d grows (its entropy falls to 0); with it the scores keep unit variance and the
    entropy stays put.  Medians over 256 queries, n keys each."""
    dims = 2 ** np.arange(1, 11)
    ent_scaled: list[float] = []
    ent_raw: list[float] = []
    top_scaled: list[float] = []
    top_raw: list[float] = []
    for d in dims:
        q = rng.normal(size=(256, int(d)))
        k = rng.normal(size=(p.n, int(d)))
        raw = q @ k.T
        for scores, ent, top in ((raw / math.sqrt(d), ent_scaled, top_scaled), (raw, ent_raw, top_raw)):
            a = masked_softmax(scores, np.ones_like(scores))
            ent.append(float(np.median(-np.sum(a * np.log(np.maximum(a, 1e-300)), axis=1))))
            top.append(float(np.median(a.max(axis=1))))
    return {"dim": dims.astype(float), "entropy_scaled": np.asarray(ent_scaled),
            "entropy_raw": np.asarray(ent_raw), "top_weight_scaled": np.asarray(top_scaled),
            "top_weight_raw": np.asarray(top_raw), "uniform_entropy": np.full(dims.size, math.log(p.n)),
            "n": p.n, "log_n": math.log(p.n)}


_KINDS: dict[str, Callable[..., Arrays]] = {
    "causal": _causal, "t5-masks": _t5_masks, "sliding-window": _sliding_window,
    "strided": _strided, "alibi": _alibi, "t5-buckets": _t5_buckets,
    "normalisation-axes": _normalisation_axes, "multi-head": _multi_head, "rope": _rope,
    "gcn": _gcn,
}


@recipe("matrix", MatrixParams)
def matrix(p: MatrixParams, rng: np.random.Generator) -> Arrays:
    """A mask, bias, pattern or group matrix named by ``kind`` (see the module docstring)."""
    if p.kind == "linear-attention":
        return _linear_attention(p, rng)
    if p.kind == "scaling":
        return _scaling(p, rng)
    return _KINDS[p.kind](p)
