"""Recipes of the optimisation family: optimiser paths on closed-form 2-D losses, sharpness
dynamics, and a real small network's loss landscape.

This module holds the small network (two moons, a numpy MLP trained by full-batch gradient
descent, also used by the regularisation recipes) and the ``loss-landscape`` recipe.  The
closed-form losses live in :mod:`teeprint.recipes.optim_losses`, the optimisers with the
``loss-trajectories`` and ``gd-sharpness`` recipes in :mod:`teeprint.recipes.optim_paths`, and
``optim-experiment`` in :mod:`teeprint.recipes.optim_experiments`; this module imports all three.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.optim_losses import LOSSES as LOSSES
from teeprint.recipes.optim_losses import F
from teeprint.recipes.optim_losses import Surface as Surface
from teeprint.recipes.optim_losses import sharpness as sharpness
from teeprint.recipes.optim_paths import TrajectoryParams as TrajectoryParams
from teeprint.recipes.optim_paths import loss_trajectories as loss_trajectories

# -- a small network's loss landscape ---------------------------------------------------------------


def two_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[F, F]:
    """The two interleaved half-circles of scikit-learn's classic toy set, drawn in numpy."""
    n0 = n // 2
    n1 = n - n0
    t0 = rng.uniform(0, math.pi, n0)
    t1 = rng.uniform(0, math.pi, n1)
    a = np.stack([np.cos(t0), np.sin(t0)], -1)
    b = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], -1)
    x = np.concatenate([a, b]) + noise * rng.normal(size=(n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    order = rng.permutation(n)
    return x[order], y[order]


Net = list[tuple[F, F]]  # (W, b) per layer; W has shape (fan_in, fan_out)


def init_mlp(sizes: tuple[int, ...], rng: np.random.Generator) -> Net:
    """He-normal weights and zero biases for a ReLU MLP with the given layer widths."""
    return [(rng.normal(0.0, math.sqrt(2.0 / a), (a, b)), np.zeros(b))
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)]


def mlp_logits(net: Net, x: F) -> F:
    """Forward pass (ReLU hidden layers, linear output) returning the output logit per row."""
    h = x
    for i, (w, b) in enumerate(net):
        h = h @ w + b
        if i < len(net) - 1:
            h = np.maximum(h, 0.0)
    return h[..., 0]


def bce(logits: F, y: F) -> F:
    """Mean binary cross-entropy from logits along the last axis, computed stably."""
    return np.mean(np.logaddexp(0.0, logits) - y * logits, axis=-1)


def train_mlp(net: Net, x: F, y: F, steps: int, lr: float,
              masks: list[F] | None = None) -> Net:
    """Full-batch Adam on binary cross-entropy; masked weights stay exactly zero."""
    net = [(w.copy(), b.copy()) for w, b in net]
    m = [(np.zeros_like(w), np.zeros_like(b)) for w, b in net]
    v = [(np.zeros_like(w), np.zeros_like(b)) for w, b in net]
    b1, b2, eps = 0.9, 0.999, 1e-8
    if masks is not None:
        net = [(w * mk, b) for (w, b), mk in zip(net, masks, strict=True)]
    for t in range(1, steps + 1):
        acts = [x]
        h = x
        for i, (w, b) in enumerate(net):
            h = h @ w + b
            if i < len(net) - 1:
                h = np.maximum(h, 0.0)
            acts.append(h)
        prob = 1.0 / (1.0 + np.exp(-acts[-1][:, 0]))
        delta = ((prob - y) / len(y))[:, None]
        grads: list[tuple[F, F]] = []
        for i in range(len(net) - 1, -1, -1):
            w, _ = net[i]
            gw = acts[i].T @ delta
            gb = delta.sum(0)
            grads.append((gw, gb))
            if i > 0:
                delta = (delta @ w.T) * (acts[i] > 0)
        grads.reverse()
        new = []
        for i, ((w, b), (gw, gb)) in enumerate(zip(net, grads, strict=True)):
            if masks is not None:
                gw = gw * masks[i]
            mw, mb = m[i]
            vw, vb = v[i]
            mw = b1 * mw + (1 - b1) * gw
            mb = b1 * mb + (1 - b1) * gb
            vw = b2 * vw + (1 - b2) * gw**2
            vb = b2 * vb + (1 - b2) * gb**2
            m[i], v[i] = (mw, mb), (vw, vb)
            c1, c2 = 1 - b1**t, 1 - b2**t
            w = w - lr * (mw / c1) / (np.sqrt(vw / c2) + eps)
            b = b - lr * (mb / c1) / (np.sqrt(vb / c2) + eps)
            new.append((w, b))
        net = new
    return net


def accuracy(net: Net, x: F, y: F) -> float:
    """Share of points on the right side of the decision boundary."""
    return float(np.mean((mlp_logits(net, x) > 0) == (y > 0.5)))


class LandscapeParams(Params):
    """Train a small ReLU MLP on two moons, then slice its loss along two random directions."""

    n_train: int = Field(200, ge=20, le=2000)
    noise: float = Field(0.15, ge=0.0, le=1.0)
    hidden: int = Field(32, ge=2, le=128)
    depth: int = Field(2, ge=1, le=4, description="hidden layers")
    train_steps: int = Field(1500, ge=10, le=10000)
    lr: float = Field(0.01, gt=0.0, le=1.0)
    span: float = Field(1.0, gt=0.0, le=5.0, description="alpha and beta range over [-span, span]")
    grid: int = Field(61, ge=11, le=121)


def filter_normalised_direction(net: Net, rng: np.random.Generator) -> Net:
    """A Gaussian direction rescaled unit by unit to the norms of the trained weights.

    Li et al. (2018) normalise each convolutional filter; for a dense layer the analogue is each
    output unit's incoming weight vector (a column of W).  Bias directions are zero, as in their
    code, so the slice moves only the weights.
    """
    out: Net = []
    for w, b in net:
        d = rng.normal(size=w.shape)
        d *= np.linalg.norm(w, axis=0, keepdims=True) / (np.linalg.norm(d, axis=0, keepdims=True) + 1e-12)
        out.append((d, np.zeros_like(b)))
    return out


_LANDSCAPE_CHUNK = 256


@recipe("loss-landscape", LandscapeParams)
def loss_landscape(p: LandscapeParams, rng: np.random.Generator) -> Arrays:
    """The training loss of a trained MLP on the plane theta* + a d1 + b d2 (Li et al. 2018).

    All grid points are evaluated in one batched forward pass: the weights of every (a, b) are
    stacked along a leading axis, so the 41 x 41 slice costs a few matrix products.
    """
    x, y = two_moons(p.n_train, p.noise, rng)
    sizes = (2,) + (p.hidden,) * p.depth + (1,)
    net = train_mlp(init_mlp(sizes, rng), x, y, p.train_steps, p.lr)
    d1 = filter_normalised_direction(net, rng)
    d2 = filter_normalised_direction(net, rng)
    ab = np.linspace(-p.span, p.span, p.grid)
    aa, bb = np.meshgrid(ab, ab)
    surface = np.empty(aa.size)
    for lo in range(0, aa.size, _LANDSCAPE_CHUNK):  # bounded memory: chunks of grid points
        a_c = aa.ravel()[lo:lo + _LANDSCAPE_CHUNK, None, None]
        b_c = bb.ravel()[lo:lo + _LANDSCAPE_CHUNK, None, None]
        h = np.broadcast_to(x, (a_c.shape[0], *x.shape))
        for i, ((w, b), (u, _), (v, _)) in enumerate(zip(net, d1, d2, strict=True)):
            h = h @ (w[None] + a_c * u[None] + b_c * v[None]) + b
            if i < len(net) - 1:
                h = np.maximum(h, 0.0)
        surface[lo:lo + _LANDSCAPE_CHUNK] = bce(h[..., 0], y)
    surface = surface.reshape(aa.shape)
    centre = p.grid // 2
    return {
        "grid_x": ab,
        "grid_y": ab,
        "loss_grid": surface,
        "trained": np.array([[0.0, 0.0]]),
        "trained_loss": float(surface[centre, centre]),
        "train_accuracy": accuracy(net, x, y),
        "points": x,
        "labels": y,
    }


# The optim-experiment recipe lives in its own module; importing it here registers it with the
# recipes of this family (recipes/__init__.py lists only this module).
from teeprint.recipes import optim_experiments as _optim_experiments  # noqa: E402, F401
