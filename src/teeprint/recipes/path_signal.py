"""``path-matrix`` experiments on signal propagation through depth: the order-to-chaos phase of
tanh nets, saturated sigmoid units, layer collapse under pruning, Post-LN gradients and batch-norm
gradient explosion.  Registered through :mod:`teeprint.recipes.path_matrices`.
"""

from __future__ import annotations

import math

import numpy as np

from teeprint.errors import TeeprintError
from teeprint.recipes import Arrays
from teeprint.recipes.path_base import F, MatrixExpParams


def _qstar_chi(sw2: F, sb2: F, nodes: F, weights: F) -> tuple[F, F]:
    """Fixed points q* of the tanh mean-field length map q -> sw2 E[tanh(sqrt(q) z)^2] + sb2
    (iterated from q = 1 on the whole grid at once) and the slope chi at q*."""
    q = np.ones_like(sw2)
    for _ in range(200):
        qn = sw2 * np.tensordot(np.tanh(np.sqrt(q)[..., None] * nodes) ** 2, weights, axes=1) + sb2
        done = float(np.max(np.abs(qn - q))) < 1e-13
        q = qn
        if done:
            break
    chi = sw2 * np.tensordot((1 - np.tanh(np.sqrt(q)[..., None] * nodes) ** 2) ** 2, weights, axes=1)
    return q, chi


def _mx_order_chaos(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """The mean-field theory of deep tanh networks (Poole et al. 2016; Schoenholz et al. 2017)
    on a ``size`` x ``size`` grid of weight variance sigma_w^2 in [0.5, 4] and
    bias variance sigma_b^2 in [0, 0.3]: the fixed point q* of the length map and the slope
    chi = sigma_w^2 E[tanh'(sqrt(q*) z)^2] of the correlation map at 1, by 40-point
    Gauss-Hermite quadrature.  chi < 1: ordered (nearby inputs converge); chi > 1: chaotic
    (they diverge); ``depth_scale`` = -1/ln chi.  Exact; the generator is unused."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()
    sw = np.linspace(0.5, 4.0, p.size)
    sb = np.linspace(0.0, 0.3, p.size)
    ww, bb = np.meshgrid(sw, sb)
    chi = _qstar_chi(ww, bb, nodes, weights)[1]
    phase = (chi > 1.0).astype(int)
    phase3 = np.where(chi < 0.9, 0, np.where(chi <= 1.1, 1, 2))
    crit = np.array([sw[int(np.argmax(row > 1.0))] if (row > 1.0).any() else np.nan for row in chi])
    return {"sigma_w2": sw, "sigma_b2": sb, "chi": chi, "phase": phase, "phase3": phase3, "critical_sw2": crit,
            "log_chi": np.log(chi), "critical_at_zero_bias": float(crit[0]),
            "depth_scale": 1.0 / np.maximum(np.abs(np.log(chi)), 1e-12)}


def _mx_saturation(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """A deep sigmoid MLP (``size`` layers of width ``dim``) at initialisation, weights
    N(0, g^2 / fan-in) for each gain g in ``values``, zero biases, 200 standard Gaussian inputs:
    the share of units per layer whose output is pinned near 0 or 1 (below 0.02 or above 0.98),
    where the sigmoid's slope is under 0.02 and gradients through the unit all but stop
    (LeCun et al. 1998).  Rows: layers, first at the top; columns: gains."""
    gains = np.array(p.values)
    sat = np.empty((p.size, gains.size))
    slope = np.empty((p.size, gains.size))
    x0 = rng.normal(size=(200, p.dim))
    for j, g in enumerate(gains):
        h = x0
        for layer in range(p.size):
            w = rng.normal(size=(p.dim, p.dim)) * (g / math.sqrt(p.dim))
            h = 1.0 / (1.0 + np.exp(-(h @ w)))
            sat[layer, j] = float(np.mean((h < 0.02) | (h > 0.98)))
            slope[layer, j] = float(np.mean(h * (1 - h)))
    return {"saturated": sat, "mean_slope": slope, "gains": gains,
            "gain_labels": np.array([f"{g:g}" for g in gains]),
            "layer_labels": np.array([f"{i + 1}" for i in range(p.size)]),
            "max_saturated": sat.max(axis=0), "mean_saturated": sat.mean(axis=0),
            "saturated_mask": sat > 0.5}


def _mx_layer_collapse(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """Pruning at initialisation: an MLP with layer widths 16-``dim``-``dim``-16 (He-normal
    weights, so the wide middle layer's weights are the smallest) pruned to each compression
    ratio 10^(values) by (a) global magnitude pruning and (b) iterative SynFlow (Tanaka et al.
    2020), ``steps`` rounds on an exponential schedule, scores |theta * dR/dtheta| with
    R = 1' |W_L| ... |W_1| 1.  ``kept_*``: share of each layer's weights kept (rows: layers,
    columns: compressions); ``collapsed_*``: whether some layer is pruned away entirely,
    which disconnects the network."""
    widths = [16, p.dim, p.dim, 16]
    shapes = list(zip(widths[:-1], widths[1:], strict=True))
    ws = [np.abs(rng.normal(size=s) * math.sqrt(2.0 / s[0])) for s in shapes]
    sizes = np.array([w.size for w in ws])
    total = int(sizes.sum())
    comps = 10.0 ** np.array(p.values)
    out: Arrays = {"log_compression": np.array(p.values), "layer_labels": np.array(["1", "2", "3"]),
                   "comp_labels": np.array([f"10^{v:g}" for v in p.values])}

    def synflow_scores(masks: list[F]) -> list[F]:
        a = [w * m for w, m in zip(ws, masks, strict=True)]
        right = [np.ones(widths[0])]
        for w in a:
            right.append(right[-1] @ w)
        left = [np.ones(widths[-1])]
        for w in reversed(a):
            left.append(w @ left[-1])
        left = left[::-1]  # left[l + 1] is the vector arriving from the output side of layer l
        return [w * np.outer(right[i], left[i + 1]) for i, w in enumerate(a)]

    kept_mag = np.empty((3, comps.size))
    kept_syn = np.empty((3, comps.size))
    for j, c in enumerate(comps):
        keep_n = max(1, int(round(total / c)))
        flat = np.concatenate([w.ravel() for w in ws])
        thr = np.sort(flat)[::-1][keep_n - 1]
        kept_mag[:, j] = [float(np.mean(w >= thr)) for w in ws]
        masks = [np.ones_like(w) for w in ws]
        for k in range(1, p.steps + 1):
            target = max(1, int(round(total * c ** (-k / p.steps))))
            sc = synflow_scores(masks)
            flat_s = np.concatenate([(s_ * m).ravel() for s_, m in zip(sc, masks, strict=True)])
            order = np.argsort(-flat_s, kind="stable")
            keep = np.zeros(total, bool)
            keep[order[:target]] = True
            keep &= np.concatenate([m.ravel() for m in masks]) > 0
            parts = np.split(keep, np.cumsum(sizes)[:-1])
            masks = [q.reshape(w.shape).astype(float) for q, w in zip(parts, ws, strict=True)]
        kept_syn[:, j] = [float(m.mean()) for m in masks]
    out.update({"kept_magnitude": kept_mag, "kept_synflow": kept_syn,
                "collapsed_magnitude": np.any(kept_mag == 0, axis=0),
                "collapsed_synflow": np.any(kept_syn == 0, axis=0),
                "dead_mag_mask": kept_mag == 0, "dead_syn_mask": kept_syn == 0,
                "compression": comps, "average_kept": 1.0 / comps,
                "min_kept_magnitude": kept_mag.min(axis=0), "min_kept_synflow": kept_syn.min(axis=0),
                "min_kept_magnitude_plot": np.maximum(kept_mag.min(axis=0), 1e-6),
                "min_kept_synflow_plot": np.maximum(kept_syn.min(axis=0), 1e-6),
                "first_collapse_magnitude": float(p.values[int(np.argmax(np.any(kept_mag == 0, axis=0)))])
                if np.any(kept_mag == 0) else math.inf})
    return out


def _layer_norm(u: F) -> tuple[F, F]:
    sd = np.sqrt(u.var(axis=1, keepdims=True) + 1e-5)
    return (u - u.mean(axis=1, keepdims=True)) / sd, sd


def _layer_norm_back(g: F, y: F, sd: F) -> F:
    return (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True)) / sd


def _ln_stack_grads(post: bool, depth: int, p: MatrixExpParams, rng: np.random.Generator) -> F:
    """Frobenius norm of the loss gradient for each block's second weight matrix at init."""
    n, d = p.size, p.dim
    x = rng.normal(size=(n, d))
    target = rng.normal(size=(n, d))
    w1 = [rng.normal(size=(d, d)) * math.sqrt(2.0 / d) for _ in range(depth)]
    w2 = [rng.normal(size=(d, d)) * math.sqrt(1.0 / d) for _ in range(depth)]
    cache = []
    h = x
    for k in range(depth):
        if post:
            z = h @ w1[k]
            a = np.maximum(z, 0.0)
            y, sd = _layer_norm(h + a @ w2[k])
            cache.append((z, a, y, sd))
            h = y
        else:
            xin, sd = _layer_norm(h)
            z = xin @ w1[k]
            a = np.maximum(z, 0.0)
            cache.append((z, a, xin, sd))
            h = h + a @ w2[k]
    if post:
        g = (h - target) / n
    else:
        y_out, sd_out = _layer_norm(h)
        g = _layer_norm_back((y_out - target) / n, y_out, sd_out)
    norms = np.zeros(depth)
    for k in reversed(range(depth)):
        z, a, y, sd = cache[k]
        if post:
            gu = _layer_norm_back(g, y, sd)
            norms[k] = np.linalg.norm(a.T @ gu)
            g = gu + ((gu @ w2[k].T) * (z > 0)) @ w1[k].T
        else:
            norms[k] = np.linalg.norm(a.T @ g)
            g = g + _layer_norm_back(((g @ w2[k].T) * (z > 0)) @ w1[k].T, y, sd)
    return norms


def _mx_post_ln(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """Post-LN against Pre-LN at initialisation (Xiong et al. 2020).  A stack of residual
    feed-forward blocks F(x) = relu(x W1) W2 (width ``dim``, W1 ~ N(0, 2/d), W2 ~ N(0, 1/d), no
    biases, layer norm without gain or bias) on ``size`` Gaussian tokens with Gaussian regression
    targets, squared loss.  Post-LN: x <- LN(x + F(x)); Pre-LN: x <- x + F(LN(x)), with a final
    LN.  Each depth in ``values``: the gradient norm of the last block's W2 (median over
    ``repeats`` draws), which Xiong et al. bound independently of the depth for Post-LN and
    shrinking like 1/sqrt(depth) for Pre-LN; and, at the middle depth of ``values``, the gradient
    norm of every block's W2.  Rows: Post-LN, Pre-LN."""
    depths = [int(round(v)) for v in p.values]
    if any(not 1 <= dd <= 128 for dd in depths):
        msg = "path-matrix post-ln: every depth in 'values' must lie in 1..128"
        raise TeeprintError(msg)
    last = np.zeros((2, len(depths)))
    for j, depth in enumerate(depths):
        for i, post in enumerate((True, False)):
            last[i, j] = float(np.median([_ln_stack_grads(post, depth, p, rng)[-1] for _ in range(p.repeats)]))
    mid = depths[len(depths) // 2]
    profile = np.array([np.median([_ln_stack_grads(post, mid, p, rng) for _ in range(p.repeats)], axis=0)
                        for post in (True, False)])
    logd = np.log(np.array(depths, float))
    slopes = [float(np.polyfit(logd, np.log(last[i]), 1)[0]) if len(depths) > 1 else 0.0 for i in range(2)]
    return {"last_grad": last, "depths": np.array(depths), "layer_grad": profile, "profile_depth": mid,
            "depth_labels": np.array([str(dd) for dd in depths]),
            "layer_labels": np.array([str(k + 1) for k in range(mid)]),
            "norm_labels": np.array(["Post-LN", "Pre-LN"]),
            "slope_post": slopes[0], "slope_pre": slopes[1],
            "ratio_deepest": float(last[0, -1] / last[1, -1]), "ratio_shallowest": float(last[0, 0] / last[1, 0]),
            "post_spread": float(last[0].max() / last[0].min())}


def _bn_stack_grads(batch: int, use_bn: bool, p: MatrixExpParams, rng: np.random.Generator) -> F:
    """Frobenius norm of a random linear loss's gradient for each layer's weights at init."""
    d, depth = p.dim, p.size
    h = rng.normal(size=(batch, d))
    ws = [rng.normal(size=(d, d)) * math.sqrt(2.0 / d) for _ in range(depth)]
    cache = []
    for w in ws:
        z = h @ w
        if use_bn:
            sd = np.sqrt(z.var(axis=0, keepdims=True) + 1e-5)
            y = (z - z.mean(axis=0, keepdims=True)) / sd
        else:
            sd, y = np.ones((1, d)), z
        cache.append((h, y, sd))
        h = np.maximum(y, 0.0)
    g = rng.normal(size=h.shape) / batch
    norms = np.zeros(depth)
    for k in reversed(range(depth)):
        h_in, y, sd = cache[k]
        gy = g * (y > 0)
        gz = (gy - gy.mean(axis=0, keepdims=True) - y * (gy * y).mean(axis=0, keepdims=True)) / sd if use_bn else gy
        norms[k] = np.linalg.norm(h_in.T @ gz)
        g = gz @ ws[k].T
    return norms


def _mx_bn_explosion(p: MatrixExpParams, rng: np.random.Generator) -> Arrays:
    """Gradient explosion in deep batch-normalised networks at initialisation (Yang et al.
    2019).  A plain ReLU network of ``size`` layers of width ``dim`` (weights N(0, 2/d), no
    skips), each linear layer followed by batch normalisation over the batch (no gain or bias),
    on a batch of Gaussian inputs; the loss is a fixed random linear read-out of the last layer.
    The gradient norm of every layer's weights, median over ``repeats`` draws, for each batch
    size in ``values`` with batch norm, and, in the last row, the same network without batch
    norm at the largest batch.  ``log_grad`` is log10 of the norms, ``log_rel`` log10 of the norms
    over the smallest; ``growth_*``: ratio of the
    first layer's norm to the last's."""
    batches = [int(round(v)) for v in p.values]
    if any(not 4 <= b <= 512 for b in batches):
        msg = "path-matrix bn-explosion: every batch size in 'values' must lie in 4..512"
        raise TeeprintError(msg)
    if p.dim < 16:
        msg = "path-matrix bn-explosion: 'dim' must be at least 16 (narrower plain layers can die whole)"
        raise TeeprintError(msg)
    rows = [np.median([_bn_stack_grads(b, True, p, rng) for _ in range(p.repeats)], axis=0) for b in batches]
    rows.append(np.median([_bn_stack_grads(max(batches), False, p, rng) for _ in range(p.repeats)], axis=0))
    norms = np.array(rows)
    growth = norms[:, 0] / norms[:, -1]
    return {"grad": norms, "log_grad": np.log10(norms), "log_rel": np.log10(norms / norms.min()), "growth": growth, "growth_bn": growth[:-1],
            "growth_plain": float(growth[-1]), "batches": np.array(batches),
            "rate_per_layer": np.array([float(np.polyfit(np.arange(p.size), np.log(r), 1)[0]) for r in norms]),
            "layer": np.arange(1, p.size + 1),
            "row_labels": np.array([f"batch {b}" for b in batches] + [f"no norm, {max(batches)}"]),
            "layer_labels": np.array([str(k + 1) for k in range(p.size)])}
