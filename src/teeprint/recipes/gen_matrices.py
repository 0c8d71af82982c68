"""E9 matrices of the generative family: one recipe, ``gen-matrix``, whose ``experiment`` names

* ``d3pm`` — cumulative transition matrices Q-bar_t of discrete diffusion, uniform and absorbing
  (Austin et al. 2021), as products of the per-step matrices and against their closed forms;
* ``sinkhorn`` — entropic optimal-transport plans between two histograms for several epsilon,
  by log-domain Sinkhorn iterations (Cuturi 2013), against the exact 1-D monotone plan's cost;
* ``made`` — the masks of a MADE (Germain et al. 2015) with random hidden degrees, and their
  product, the input-output connectivity;
* ``cppn`` — the image a compositional pattern-producing network with random weights paints
  from the coordinates (|x|, y, r) of each pixel (Stanley 2007);
* ``pixelcnn`` — the receptive field of stacked masked 3x3 convolutions (van den Oord et al.
  2016) against the gated vertical + horizontal stacks, propagated pixel by pixel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

Experiment = Literal["d3pm", "sinkhorn", "made", "pixelcnn", "cppn"]


class GenMatrixParams(Params):
    """Which matrices to compute, and their sizes."""

    experiment: Experiment
    categories: int = Field(6, ge=2, le=16, description="d3pm: K (the last is the mask)")
    steps: int = Field(100, ge=4, le=1000, description="d3pm: T")
    shown: tuple[float, ...] = Field((0.25, 0.5, 1.0), min_length=1, max_length=3,
                                     description="d3pm: t/T of the panels")
    bins: int = Field(24, ge=6, le=64, description="sinkhorn: histogram bins")
    epsilons: tuple[float, ...] = Field((0.1, 0.01, 0.001), min_length=1, max_length=4)
    iterations: int = Field(1000, ge=10, le=5000)
    inputs: int = Field(6, ge=3, le=12, description="made: D")
    hidden: int = Field(10, ge=3, le=24, description="made: units per hidden layer")
    size: int = Field(13, ge=7, le=64, description="pixelcnn / cppn: image side")
    layers: int = Field(5, ge=1, le=10, description="pixelcnn: masked conv layers / cppn: hidden")
    width: int = Field(16, ge=2, le=64, description="cppn: units per hidden layer")
    weight_scale: float = Field(1.5, gt=0.0, le=10.0, description="cppn: weight sd times sqrt(fan-in)")


def _d3pm(p: GenMatrixParams, rng: np.random.Generator) -> Arrays:
    k, t_max = p.categories, p.steps
    eye, ones = np.eye(k), np.ones((k, k)) / k
    mask = np.zeros((k, k))
    mask[:, -1] = 1.0
    out: Arrays = {"labels": np.array([f"{i}" for i in range(k - 1)] + ["M"])}
    q_uni, q_abs = eye.copy(), eye.copy()
    want = {max(1, round(f * t_max)) for f in p.shown}
    err = 0.0
    panels_u, panels_a, times = [], [], []
    for t in range(1, t_max + 1):
        beta = 1.0 / (t_max - t + 1)  # alpha-bar_t = 1 - t/T for both kernels
        q_uni = q_uni @ ((1 - beta) * eye + beta * ones)
        q_abs = q_abs @ ((1 - beta) * eye + beta * mask)
        abar = 1 - t / t_max
        err = max(err, np.abs(q_uni - (abar * eye + (1 - abar) * ones)).max(),
                  np.abs(q_abs - (abar * eye + (1 - abar) * mask)).max())
        if t in want:
            panels_u.append(q_uni.copy())
            panels_a.append(q_abs.copy())
            times.append(t)
    for i in range(len(times)):
        out[f"uniform_{i}"] = panels_u[i]
        out[f"absorbing_{i}"] = panels_a[i]
        out[f"absorbed_{i}"] = panels_a[i] > 1e-12
    out.update(times=np.asarray(times, float), closed_form_error=float(err),
               row_sum_error=float(max(np.abs(q.sum(axis=1) - 1).max() for q in panels_u + panels_a)),
               uniform_end_spread=float(np.ptp(panels_u[-1])), absorbing_end_mask=float(panels_a[-1][:, -1].min()),
               steps=t_max)
    return out


def _sinkhorn(p: GenMatrixParams, rng: np.random.Generator) -> Arrays:
    n = p.bins
    x = (np.arange(n) + 0.5) / n

    def bumps(centres: list[float], widths: list[float], w: list[float]) -> np.ndarray:
        h = np.zeros_like(x)
        for c, s, wi in zip(centres, widths, w, strict=True):
            h = h + wi * np.exp(-0.5 * ((x - c) / s) ** 2)
        return h / h.sum()

    a = bumps([0.2, 0.55], [0.07, 0.1], [0.6, 0.4])
    b = bumps([0.4, 0.8], [0.12, 0.06], [0.5, 0.5])
    cost = (x[:, None] - x[None, :]) ** 2
    # The exact 1-D optimal plan: the monotone (north-west corner) coupling of the two CDFs.
    exact = np.zeros((n, n))
    i = j = 0
    ra, rb = a.copy(), b.copy()
    while i < n and j < n:
        m = min(ra[i], rb[j])
        exact[i, j] += m
        ra[i] -= m
        rb[j] -= m
        if ra[i] <= 1e-15:
            i += 1
        if j < n and rb[j] <= 1e-15:
            j += 1
    exact_cost = float(np.sum(exact * cost))
    out: Arrays = {"x": x, "a": a, "b": b, "exact_plan": exact, "exact_cost": exact_cost,
                   "exact_support": exact > 1e-12,
                   "epsilons": np.asarray(p.epsilons)}
    costs, ents, errs = [], [], []
    la, lb = np.log(a), np.log(b)
    for k, eps in enumerate(p.epsilons):
        f, g = np.zeros(n), np.zeros(n)
        for it in range(p.iterations):
            z = (g[None, :] - cost) / eps + lb[None, :]
            f = -eps * (np.max(z, axis=1) + np.log(np.sum(np.exp(z - z.max(axis=1, keepdims=True)), axis=1)))
            z = (f[:, None] - cost) / eps + la[:, None]
            g = -eps * (np.max(z, axis=0) + np.log(np.sum(np.exp(z - z.max(axis=0, keepdims=True)), axis=0)))
            if it % 25 == 24:  # stop once the row marginals hold (the columns hold after each g step)
                rows = np.exp((f[:, None] + g[None, :] - cost) / eps + la[:, None] + lb[None, :]).sum(axis=1)
                if np.max(np.abs(rows - a)) < 1e-9:
                    break
        plan = np.exp((f[:, None] + g[None, :] - cost) / eps + la[:, None] + lb[None, :])
        out[f"plan_{k}"] = plan
        costs.append(float(np.sum(plan * cost)))
        ents.append(float(-np.sum(plan[plan > 0] * np.log(plan[plan > 0]))))
        errs.append(float(max(np.abs(plan.sum(axis=1) - a).max(), np.abs(plan.sum(axis=0) - b).max())))
    out.update(costs=np.asarray(costs), entropies=np.asarray(ents), marginal_errors=np.asarray(errs),
               tick_labels=np.array([f"{v:.1f}" for v in x]))
    return out


def _made(p: GenMatrixParams, rng: np.random.Generator) -> Arrays:
    d, h = p.inputs, p.hidden
    deg_in = np.arange(1, d + 1)
    m1 = rng.integers(1, d, size=h)
    m2 = rng.integers(int(m1.min()), d, size=h)
    w1 = (m1[:, None] >= deg_in[None, :]).astype(float)          # hidden1 x input
    w2 = (m2[:, None] >= m1[None, :]).astype(float)              # hidden2 x hidden1
    wo = (deg_in[:, None] > m2[None, :]).astype(float)           # output x hidden2
    conn = wo @ w2 @ w1
    return {
        "mask_1": w1, "mask_2": w2, "mask_out": wo, "connectivity": conn, "linked": conn > 0,
        "input_labels": np.array([f"x{i + 1}" for i in range(d)]),
        "upper_zero": float(np.all(np.triu(conn) == 0)),
        "paths_to_last": float(np.count_nonzero(conn[-1])),
        "first_output_inputs": float(np.count_nonzero(conn[0])),
        "deg_1": m1.astype(float), "deg_2": m2.astype(float),
    }


def _pixelcnn(p: GenMatrixParams, rng: np.random.Generator) -> Arrays:
    n = p.size
    cells = n * n
    dep0 = np.eye(cells, dtype=bool).reshape(n, n, cells)

    def shift(dep: np.ndarray, dr: int, dc: int) -> np.ndarray:
        """Dependencies of the pixel at (r + dr, c + dc), placed at (r, c) (False off the edge)."""
        out = np.zeros_like(dep)
        r0, r1 = max(0, -dr), min(n, n - dr)
        c0, c1 = max(0, -dc), min(n, n - dc)
        out[r0:r1, c0:c1] = dep[r0 + dr:r1 + dr, c0 + dc:c1 + dc]
        return out

    def conv(dep: np.ndarray, offsets: list[tuple[int, int]]) -> np.ndarray:
        acc = np.zeros_like(dep)
        for dr, dc in offsets:
            acc |= shift(dep, dr, dc)
        return acc

    mask_a = [(-1, -1), (-1, 0), (-1, 1), (0, -1)]
    mask_b = [*mask_a, (0, 0)]
    plain = conv(dep0, mask_a)
    for _ in range(p.layers - 1):
        plain = conv(plain, mask_b)
    vert_k = [(dr, dc) for dr in (-1, 0) for dc in (-1, 0, 1)]
    v = conv(dep0, [(0, -1), (0, 0), (0, 1)])  # first layer: the row itself, moved down below
    hz = conv(dep0, [(0, -1)]) | shift(v, -1, 0)
    for _ in range(p.layers - 1):
        v = conv(v, vert_k)
        hz = conv(hz, [(0, -1), (0, 0)]) | shift(v, -1, 0)
    tr, tc = n - 2, n // 2
    target = tr * n + tc
    seen_plain = plain[tr, tc].reshape(n, n)
    seen_gated = hz[tr, tc].reshape(n, n)
    order = np.arange(cells).reshape(n, n)
    future = order >= target

    def regions(seen: np.ndarray) -> np.ndarray:
        reg = np.where(seen, 1, 0)
        reg = np.where(seen_gated & ~seen, 2, reg)
        reg[tr, tc] = 3
        return reg.astype(float)

    return {
        "plain": regions(seen_plain), "gated": regions(seen_gated),
        "blind_pixels": float(np.count_nonzero(seen_gated & ~seen_plain)),
        "plain_extra": float(np.count_nonzero(seen_plain & ~seen_gated)),
        "plain_future": float(np.count_nonzero(seen_plain & future)),
        "gated_future": float(np.count_nonzero(seen_gated & future)),
        "plain_seen": float(seen_plain.sum()), "gated_seen": float(seen_gated.sum()),
        "layers": p.layers,
    }


def _cppn(p: GenMatrixParams, rng: np.random.Generator) -> Arrays:
    n = p.size
    c = np.linspace(-1.0, 1.0, n)
    gx, gy = np.meshgrid(c, c)
    h = np.stack([np.abs(gx), gy, np.sqrt(gx**2 + gy**2)], axis=-1).reshape(-1, 3)
    for layer in range(p.layers):
        w = rng.normal(0.0, p.weight_scale / np.sqrt(h.shape[1]), size=(h.shape[1], p.width))
        b = rng.normal(0.0, 0.5, size=p.width)
        h = np.tanh(h @ w + b) if layer % 2 == 0 else np.sin(h @ w + b)
    w = rng.normal(0.0, p.weight_scale / np.sqrt(h.shape[1]), size=(h.shape[1], 1))
    img = (1 / (1 + np.exp(-(h @ w)[:, 0] * 2.0))).reshape(n, n)
    step = np.concatenate([np.abs(np.diff(img, axis=0)).ravel(), np.abs(np.diff(img, axis=1)).ravel()])
    shuffled = rng.permutation(img.ravel()).reshape(n, n)
    noise_step = np.abs(np.diff(shuffled, axis=1)).mean()
    return {
        "image": img, "mirror_error": float(np.max(np.abs(img - img[:, ::-1]))),
        "value_range": float(np.ptp(img)), "mean_step": float(step.mean()),
        "shuffled_step": float(noise_step), "size": n,
    }


_EXPERIMENTS: dict[str, Callable[[GenMatrixParams, np.random.Generator], Arrays]] = {
    "d3pm": _d3pm, "sinkhorn": _sinkhorn, "made": _made, "pixelcnn": _pixelcnn, "cppn": _cppn,
}


@recipe("gen-matrix", GenMatrixParams)
def gen_matrix(p: GenMatrixParams, rng: np.random.Generator) -> Arrays:
    """The matrices the ``experiment`` names (module docstring); only ``made`` and ``cppn`` use
    the rng."""
    return _EXPERIMENTS[p.experiment](p, rng)
