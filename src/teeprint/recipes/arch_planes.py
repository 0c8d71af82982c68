"""Architectures family, third part: small networks seen on a plane.

* ``plane-model`` — ``model`` = ``perceptron`` (Rosenblatt's rule on separable points),
  ``xor`` (a 2-2-1 network trained on XOR) or ``linear-regions`` (the folds of a random ReLU
  network), drawn by ``trajectory-contour``;
* ``point-map`` — ``map`` = ``norms`` (LayerNorm and RMSNorm of 3-D points) or
  ``recurrent-gain`` (a random recurrent network's orbit at three gains), drawn by
  ``point-geometry``.

Registered by import from :mod:`teeprint.recipes.architectures`.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from teeprint.recipes import Arrays, Params, recipe


class PlaneParams(Params):
    """Which plane model, and its sizes; each model reads only the fields it needs."""

    model: Literal["perceptron", "xor", "linear-regions", "mixture-of-experts"]
    points: int = Field(40, ge=8, le=400, description="perceptron: training points")
    margin: float = Field(0.3, ge=0.05, le=1.0, description="perceptron: half-gap between classes")
    epochs: int = Field(20, ge=1, le=200)
    steps: int = Field(400, ge=100, le=20000, description="xor: gradient steps")
    restarts: int = Field(3, ge=1, le=10, description="xor: random starts; the lowest final loss is kept")
    lr: float = Field(1.0, ge=1e-3, le=10.0)
    widths: tuple[int, ...] = Field((6, 4), min_length=1, max_length=3, description="linear-regions: hidden widths")
    grid: int = Field(201, ge=41, le=401)
    extent: float = Field(2.0, ge=0.5, le=10.0)

    @field_validator("widths")
    @classmethod
    def _widths(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= w <= 16 for w in v):
            msg = "every hidden width must lie in 1..16"
            raise ValueError(msg)
        return v

    experts: int = Field(3, ge=2, le=6, description="mixture-of-experts: experts (and true sectors)")


def _segment(w: np.ndarray, b: float, extent: float) -> np.ndarray:
    """The line w.x + b = 0 clipped to the square [-extent, extent]^2, as two points."""
    if abs(w[1]) >= abs(w[0]):
        xs = np.array([-extent, extent])
        ys = -(w[0] * xs + b) / w[1]
    else:
        ys = np.array([-extent, extent])
        xs = -(w[1] * ys + b) / w[0]
    pts = np.column_stack([xs, ys])
    # Clip to the box along the segment.
    d = pts[1] - pts[0]
    t0, t1 = 0.0, 1.0
    for k in range(2):
        if abs(d[k]) < 1e-12:
            continue
        lo, hi = sorted(((-extent - pts[0, k]) / d[k], (extent - pts[0, k]) / d[k]))
        t0, t1 = max(t0, lo), min(t1, hi)
    return np.array([pts[0] + t0 * d, pts[0] + t1 * d]) if t1 > t0 else np.full((2, 2), np.nan)


def _perceptron(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Rosenblatt (1958): w <- w + y x on every mistake, cycling through the points; the
    boundary is drawn after each mistake.  Novikoff: at most (R / gamma)^2 mistakes."""
    n = p.points
    direction = rng.normal(size=2)
    direction /= np.linalg.norm(direction)
    y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    along = rng.uniform(-1.6, 1.6, n)
    across = y * (p.margin + rng.uniform(0.0, 0.9, n))
    x = np.outer(along, [-direction[1], direction[0]]) + np.outer(across, direction)
    xa = np.column_stack([x, np.ones(n)])  # bias as a constant input
    w = np.array([rng.normal(), rng.normal(), 0.0])
    lines = [_segment(w[:2], w[2], p.extent)]
    mistakes = 0
    for _ in range(p.epochs):
        clean = True
        for i in rng.permutation(n):
            if y[i] * (xa[i] @ w) <= 0:
                w = w + y[i] * xa[i]
                mistakes += 1
                clean = False
                lines.append(_segment(w[:2], w[2], p.extent))
        if clean:
            break
    r = float(np.max(np.linalg.norm(xa, axis=1)))
    gamma = float(np.min(y * (xa @ np.append(direction, 0.0))))  # the true separator's margin
    final_errors = int(np.sum(y * (xa @ w) <= 0))
    return {"grid_x": np.linspace(-p.extent, p.extent, 3), "grid_y": np.linspace(-p.extent, p.extent, 3),
            "positive": x[y > 0], "negative": x[y < 0], "boundaries": np.asarray(lines),
            "final_boundary": lines[-1], "mistakes": float(mistakes), "final_errors": float(final_errors),
            "novikoff_bound": (r / gamma) ** 2, "margin": gamma}


def _sig(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _xor(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Minsky & Papert's XOR, solved by a hidden layer (Rumelhart, Hinton & Williams 1986):
    two tanh units and a sigmoid output, trained by full-batch gradient descent on the four
    points (cross-entropy) from ``restarts`` random starts, keeping the lowest final loss
    (a 2-2-1 net can stall in a local minimum from an unlucky start).  No single line separates the classes; the two hidden units'
    lines cut the plane so the output can."""
    x = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    best: tuple[float, np.ndarray, np.ndarray, np.ndarray, float, list[float]] | None = None
    for _ in range(p.restarts):
        w1 = rng.normal(size=(2, 2))
        b1 = rng.normal(size=2) * 0.1
        w2 = rng.normal(size=2)
        b2 = 0.0
        losses: list[float] = []
        for _ in range(p.steps):
            h = np.tanh(x @ w1 + b1)
            out = _sig(h @ w2 + b2)
            losses.append(float(-np.mean(y * np.log(out + 1e-12) + (1 - y) * np.log(1 - out + 1e-12))))
            d_out = (out - y) / 4
            g_w2, g_b2 = h.T @ d_out, d_out.sum()
            d_h = np.outer(d_out, w2) * (1 - h * h)
            g_w1, g_b1 = x.T @ d_h, d_h.sum(axis=0)
            w1 -= p.lr * g_w1
            b1 -= p.lr * g_b1
            w2 -= p.lr * g_w2
            b2 -= p.lr * g_b2
        if best is None or losses[-1] < best[0]:
            best = (losses[-1], w1, b1, w2, b2, losses)
    assert best is not None
    _, w1, b1, w2, b2, losses = best
    g = np.linspace(-p.extent, p.extent, p.grid)
    gx, gy = np.meshgrid(g, g)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    hid = np.tanh(pts @ w1 + b1)
    surface = _sig(hid @ w2 + b2).reshape(gx.shape)
    out = _sig(np.tanh(x @ w1 + b1) @ w2 + b2)
    # Best single line: no line gets all four right (checked over a fine fan of directions).
    ang = np.linspace(0, np.pi, 360, endpoint=False)
    proj = x @ np.stack([np.cos(ang), np.sin(ang)])  # (4, 360)
    cuts = np.concatenate([proj - 1e-6, proj + 1e-6])  # (8, 360) thresholds per direction
    pred = proj[None, :, :] > cuts[:, None, :]  # (8, 4, 360)
    hits = np.sum(pred == (y[None, :, None] > 0.5), axis=1)
    best_linear = int(max(hits.max(), (4 - hits).max()))
    return {"grid_x": g, "grid_y": g, "output": surface,
            "hidden_0": (pts @ w1[:, 0] + b1[0]).reshape(gx.shape),
            "hidden_1": (pts @ w1[:, 1] + b1[1]).reshape(gx.shape),
            "class_one": x[y == 1], "class_zero": x[y == 0], "predictions": out,
            "correct": float(np.sum((out > 0.5) == (y > 0.5))), "final_loss": losses[-1],
            "losses": np.asarray(losses), "best_single_line": float(best_linear)}


def _linear_regions(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Montúfar et al. (2014): a ReLU network is linear on each cell of the partition cut by
    its units' zero sets; first-layer units cut straight lines, deeper units bend along them.
    Random Gaussian weights (He scale), biases N(0, 0.5^2); cells counted by distinct
    activation patterns on the grid."""
    g = np.linspace(-p.extent, p.extent, p.grid)
    gx, gy = np.meshgrid(g, g)
    h = np.column_stack([gx.ravel(), gy.ravel()])
    patterns = []
    zero_sets = []
    fan = 2
    for width in p.widths:
        w = rng.normal(size=(fan, width)) * math.sqrt(2.0 / fan)
        b = rng.normal(size=width) * 0.5
        pre = h @ w + b
        patterns.append(pre > 0)
        zero_sets.append(pre)
        h = np.maximum(pre, 0.0)
        fan = width
    code = np.concatenate(patterns, axis=1).astype(np.int64) @ (1 << np.arange(sum(p.widths), dtype=np.int64))
    _, region = np.unique(code, return_inverse=True)
    n1 = p.widths[0]
    out: Arrays = {"grid_x": g, "grid_y": g, "regions": float(region.max() + 1),
                   "first_layer_regions": float(np.unique(patterns[0].astype(np.int64)
                                                          @ (1 << np.arange(n1, dtype=np.int64))).size),
                   "zaslavsky_bound": float(1 + n1 + n1 * (n1 - 1) // 2),
                   "first_width": float(n1)}
    # The zero set of a layer is where any of its units is zero: the sign of the product.
    for k, pre in enumerate(zero_sets):
        s = np.sign(pre).prod(axis=1) * np.min(np.abs(pre), axis=1)
        out[f"folds_{k}"] = s.reshape(gx.shape)
    return out


def _moe(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """Shazeer et al. (2017), densely gated: y = sum_i g_i(x) (a_i . x + c_i), g = softmax(W x),
    trained by full-batch gradient descent (Adam) on squared error.  The target is a different
    linear function in each of ``experts`` equal angular sectors around the origin, so a gate
    linear in x can carve the plane exactly; a single linear model cannot fit it."""
    k = p.experts
    n = p.points * 10
    x = rng.uniform(-p.extent, p.extent, size=(n, 2))
    sector = (np.floor((np.arctan2(x[:, 1], x[:, 0]) + math.pi) / (2 * math.pi / k)).astype(int)) % k
    slopes = np.stack([[math.cos(2 * math.pi * i / k + 1.0), math.sin(2 * math.pi * i / k + 1.0)]
                       for i in range(k)]) * 1.5
    y = np.sum(x * slopes[sector], axis=1)
    theta = {"W": rng.normal(size=(2, k)) * 0.1, "A": rng.normal(size=(2, k)) * 0.1,
             "c": np.zeros(k)}
    mom = {key: (np.zeros_like(v), np.zeros_like(v)) for key, v in theta.items()}
    losses = []
    for step in range(1, p.steps + 1):
        logits = x @ theta["W"]
        g = np.exp(logits - logits.max(axis=1, keepdims=True))
        g /= g.sum(axis=1, keepdims=True)
        e = x @ theta["A"] + theta["c"]
        pred = np.sum(g * e, axis=1)
        r = pred - y
        losses.append(float(np.mean(r * r)))
        dr = 2 * r / n
        de = dr[:, None] * g
        dg = dr[:, None] * e
        dlogit = g * (dg - np.sum(g * dg, axis=1, keepdims=True))
        grads = {"W": x.T @ dlogit, "A": x.T @ de, "c": de.sum(axis=0)}
        for key, grad in grads.items():
            m1, m2 = mom[key]
            m1 *= 0.9
            m1 += 0.1 * grad
            m2 *= 0.999
            m2 += 0.001 * grad * grad
            theta[key] -= 0.05 * (m1 / (1 - 0.9**step)) / (np.sqrt(m2 / (1 - 0.999**step)) + 1e-8)
    gridv = np.linspace(-p.extent, p.extent, p.grid)
    gx, gy = np.meshgrid(gridv, gridv)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    lg = pts @ theta["W"]
    gate = np.exp(lg - lg.max(axis=1, keepdims=True))
    gate /= gate.sum(axis=1, keepdims=True)
    owner = gate.argmax(axis=1)
    # Match each expert to the sector it owns most, then score agreement on the data.
    data_owner = (x @ theta["W"]).argmax(axis=1)
    agree = 0.0
    from itertools import permutations

    for perm in permutations(range(k)):
        agree = max(agree, float(np.mean(np.asarray(perm)[data_owner] == sector)))
    x1 = np.column_stack([x, np.ones(n)])
    coef, *_ = np.linalg.lstsq(x1, y, rcond=None)
    linear_mse = float(np.mean((x1 @ coef - y) ** 2))
    out: Arrays = {"grid_x": gridv, "grid_y": gridv, "final_mse": losses[-1],
                   "linear_mse": linear_mse, "target_variance": float(np.var(y)),
                   "gate_agreement": agree, "losses": np.asarray(losses),
                   "gate_max": gate.max(axis=1).reshape(gx.shape),
                   "sharp_share": float(np.mean(gate.max(axis=1) > 0.9))}
    for i in range(k):
        out[f"points_{i}"] = x[sector == i][: p.points]
    out["owned_share"] = np.bincount(owner, minlength=k) / owner.size
    return out


@recipe("plane-model", PlaneParams)
def plane_model(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """A small network on a plane, named by ``model``."""
    return {"perceptron": _perceptron, "xor": _xor, "linear-regions": _linear_regions,
            "mixture-of-experts": _moe}[p.model](p, rng)


class PointMapParams(Params):
    """Which map of a point cloud, and its sizes."""

    map: Literal["norms", "recurrent-gain", "ode-flow"]
    points: int = Field(120, ge=10, le=600)
    offset: float = Field(1.0, ge=0.0, le=5.0, description="norms: mean of the inputs along (1,1,1)")
    units: int = Field(200, ge=20, le=500, description="recurrent-gain: units")
    gains: tuple[float, ...] = Field((0.8, 1.5, 3.0), min_length=1, max_length=4)
    steps: int = Field(300, ge=50, le=2000)
    hidden: int = Field(16, ge=2, le=64, description="ode-flow: hidden units of the vector field")
    field_scale: float = Field(2.0, ge=0.1, le=5.0, description="ode-flow: weight scale of the field")


def _plane_basis() -> np.ndarray:
    """An orthonormal basis of the plane x1 + x2 + x3 = 0 (rows)."""
    u1 = np.array([1.0, -1.0, 0.0]) / math.sqrt(2)
    u2 = np.array([1.0, 1.0, -2.0]) / math.sqrt(6)
    return np.stack([u1, u2])


def _norms(p: PointMapParams, rng: np.random.Generator) -> Arrays:
    """Ba et al. (2016) LayerNorm: (x - mean) / rms(x - mean); Zhang & Sennrich (2019)
    RMSNorm: x / rms(x) (no learned gain).  In three dimensions LayerNorm lands every input on
    the circle where the sphere of radius sqrt(3) meets the plane of zero mean; RMSNorm only on
    the sphere.  Drawn in the zero-mean plane (coordinates on an orthonormal basis of it)."""
    x = rng.normal(size=(p.points, 3)) + p.offset / math.sqrt(3) * np.ones(3)
    rms = np.sqrt(np.mean(x * x, axis=1, keepdims=True))
    rmsn = x / rms
    c = x - x.mean(axis=1, keepdims=True)
    ln = c / np.sqrt(np.mean(c * c, axis=1, keepdims=True))
    basis = _plane_basis()
    pts = np.concatenate([x @ basis.T, rmsn @ basis.T, ln @ basis.T])
    classes = np.repeat([0, 1, 2], p.points)
    ln_plane = ln @ basis.T
    rms_plane = rmsn @ basis.T
    return {"points": pts, "classes": classes,
            "ln_norm": np.linalg.norm(ln, axis=1), "rms_norm": np.linalg.norm(rmsn, axis=1),
            "ln_mean": ln.mean(axis=1), "ln_radius_in_plane": np.linalg.norm(ln_plane, axis=1),
            "rms_radius_in_plane": np.linalg.norm(rms_plane, axis=1),
            "ln_equals_rms_of_centred": float(np.abs(ln - c / np.sqrt(np.mean(c * c, axis=1, keepdims=True))).max()),
            "rms_mean_abs": float(np.mean(np.abs(rmsn.mean(axis=1)))), "radius": math.sqrt(3.0)}


def _recurrent_gain(p: PointMapParams, rng: np.random.Generator) -> Arrays:
    """Sompolinsky, Crisanti & Sommers (1988): h <- tanh(g J h) with J ~ N(0, 1/N).  Below
    g = 1 activity dies away to the fixed point 0; above it the network keeps itself going.
    Each orbit, from the same start, is projected on its own top two principal components."""
    j = rng.normal(size=(p.units, p.units)) / math.sqrt(p.units)
    h0 = rng.normal(size=p.units)
    snaps, activity = [], []
    keep = min(p.points, p.steps // 2)
    for g in p.gains:
        h = h0.copy()
        traj = np.empty((p.steps, p.units))
        for t in range(p.steps):
            h = np.tanh(g * j @ h)
            traj[t] = h
        centred = traj - traj.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        proj = traj @ vt[:2].T
        idx = np.linspace(0, len(proj) - 1, keep).astype(int)
        snaps.append(proj[idx])
        activity.append(float(np.sqrt(np.mean(traj[-50:] ** 2))))
    return {"orbits": np.asarray(snaps), "gains": np.asarray(p.gains, float),
            "activity": np.asarray(activity), "classes": np.zeros(keep, int)}


def _inside(poly: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Even-odd rule: which points lie inside the closed polygon."""
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    px, py = pts[:, 0:1], pts[:, 1:2]
    crosses = ((y0 > py) != (y1 > py)) & (px < (x1 - x0) * (py - y0) / (y1 - y0 + 1e-300) + x0)
    return np.count_nonzero(crosses, axis=1) % 2 == 1


def _ode_flow(p: PointMapParams, rng: np.random.Generator) -> Arrays:
    """Chen et al. (2018): a network defines a velocity field f(x) = W2 tanh(W1 x + b1) and
    depth becomes time: points are carried by dx/dt = f(x) from t = 0 to 1 (RK4, ``steps``
    steps; random weights, not trained).  A flow is invertible and cannot tear the plane, so
    a ring of points inside another ring stays inside it however the field twists them."""
    w1 = rng.normal(size=(2, p.hidden)) * p.field_scale / math.sqrt(2)
    b1 = rng.normal(size=p.hidden)
    w2 = rng.normal(size=(p.hidden, 2)) * p.field_scale / math.sqrt(p.hidden)

    def f(x: np.ndarray) -> np.ndarray:
        return np.tanh(x @ w1 + b1) @ w2

    def integrate(x: np.ndarray, dt: float, n: int, keep: tuple[int, ...] = ()) -> tuple[np.ndarray, list[np.ndarray]]:
        snaps = []
        for i in range(n):
            if i in keep:
                snaps.append(x.copy())
            k1 = f(x)
            k2 = f(x + dt / 2 * k1)
            k3 = f(x + dt / 2 * k2)
            k4 = f(x + dt * k3)
            x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return x, snaps

    m = p.points // 2
    ang = np.linspace(0, 2 * math.pi, m, endpoint=False)
    ring = np.column_stack([np.cos(ang), np.sin(ang)])
    x0 = np.concatenate([0.5 * ring, 1.2 * ring])
    classes = np.repeat([0, 1], m)
    n = p.steps
    # A dense copy of the outer ring (8 points per drawn point) is carried too, so the
    # inside test uses a polygon that follows the stretched curve closely.
    dense_ang = np.linspace(0, 2 * math.pi, 8 * m, endpoint=False)
    dense = 1.2 * np.column_stack([np.cos(dense_ang), np.sin(dense_ang)])
    both, snaps_both = integrate(np.concatenate([x0, dense]), 1.0 / n, n, keep=(0, n // 2))
    x1 = both[: 2 * m]
    snaps = [sn[: 2 * m] for sn in snaps_both]
    dense_snaps = [sn[2 * m:] for sn in snaps_both] + [both[2 * m:]]
    back, _ = integrate(x1, -1.0 / n, n)
    euler = x0.copy()
    for _ in range(10 * n):
        euler = euler + f(euler) / (10 * n)
    inner_inside = [float(np.mean(_inside(ring_d, sn[:m])))
                    for ring_d, sn in zip(dense_snaps, (*snaps, x1), strict=True)]
    moved = float(np.median(np.linalg.norm(x1 - x0, axis=1)))
    return {"snapshots": np.asarray([*snaps, x1]), "time": np.array([0.0, 0.5, 1.0]),
            "classes": classes, "inner_inside": np.asarray(inner_inside),
            "round_trip_error": float(np.abs(back - x0).max()),
            "rk4_vs_fine_euler": float(np.abs(euler - x1).max()), "median_displacement": moved}


@recipe("point-map", PointMapParams)
def point_map(p: PointMapParams, rng: np.random.Generator) -> Arrays:
    """A point cloud pushed through a normaliser or a recurrent map, named by ``map``."""
    return {"norms": _norms, "recurrent-gain": _recurrent_gain, "ode-flow": _ode_flow}[p.map](p, rng)
