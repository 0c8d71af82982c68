"""Recipes of the interpretability family: toy models whose internals can be read off exactly.

Every recipe here either trains a model small enough to finish in well under two seconds with
analytic gradients (superposition, grokking) or wires a mechanism by hand and says so
(induction heads, QK/OV circuits).  Grokking belongs to the learning-theory family on its plate
but lives here because its Fourier plate reads the same trained weights.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field, field_validator

from teeprint.recipes import Arrays, Params, recipe

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

# -- superposition ---------------------------------------------------------------------------


class SuperpositionParams(Params):
    """Toy model of superposition: n sparse features squeezed through a 2-D bottleneck."""

    n_features: int = Field(5, ge=2, le=12)
    sparsity: float = Field(0.95, ge=0.0, le=0.999, description="P(feature is zero) on the plate")
    sweep: tuple[float, ...] = Field((0.0, 0.7), max_length=4,
                                     description="lower sparsities trained alongside, for context")
    importance_decay: float = Field(0.9, ge=0.5, le=1.0)
    steps: int = Field(2000, ge=100, le=10000)
    batch: int = Field(512, ge=32, le=4096)
    lr: float = Field(0.01, gt=0.0, le=0.1)

    @field_validator("sweep")
    @classmethod
    def _sweep_range(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not all(0.0 <= s <= 0.999 for s in v):
            msg = "every sweep sparsity must be within 0..0.999"
            raise ValueError(msg)
        return v


def train_toy_model(n: int, m: int, sparsity: float, importance: np.ndarray, steps: int,
                    batch: int, lr: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Train x_hat = ReLU(W^T W x + b) on sparse uniform features with Adam; return (W, b).

    The loss is the importance-weighted squared error, averaged over the batch.  Gradients are
    analytic: with dz the gradient at the pre-activation and A = x^T dz, the gradient of W is
    W (A + A^T) (W appears twice, once encoding and once decoding) and the gradient of b is the
    column sum of dz.
    """
    w = rng.normal(0.0, math.sqrt(2.0 / (m + n)), (m, n))
    b = np.zeros(n)
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    scale = -2.0 / batch * importance
    for t in range(1, steps + 1):
        u = rng.random((2, batch, n))
        x = np.where(u[1] >= sparsity, u[0], 0.0)
        z = (x @ w.T) @ w + b
        dz = np.where(z > 0.0, scale * (x - z), 0.0)
        a = x.T @ dz
        g_w = w @ (a + a.T)
        g_b = dz.sum(axis=0)
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        w -= lr * (m_w / c1) / (np.sqrt(v_w / c2) + eps)
        b -= lr * (m_b / c1) / (np.sqrt(v_b / c2) + eps)
    return w, b


def angular_gaps_deg(w: np.ndarray) -> np.ndarray:
    """Angles between angularly adjacent columns of a 2 x n matrix, in degrees (sum 360)."""
    ang = np.sort(np.degrees(np.arctan2(w[1], w[0])) % 360.0)
    return np.diff(np.concatenate([ang, [ang[0] + 360.0]]))


@recipe("superposition", SuperpositionParams)
def superposition(p: SuperpositionParams, rng: np.random.Generator) -> Arrays:
    """Elhage et al. (2022): with sparse enough features a 2-D model stores all five.

    Dense features: the model keeps the two most important, orthogonal, and drops the rest.
    Middling sparsity: antipodal pairs.  High sparsity: every feature gets a direction and the
    five directions settle at 72 degrees, a regular pentagon, paying for the interference with a
    negative bias that the ReLU turns into a filter.
    """
    importance = p.importance_decay ** np.arange(p.n_features)
    children = rng.spawn(1 + len(p.sweep))
    w, b = train_toy_model(p.n_features, 2, p.sparsity, importance, p.steps, p.batch, p.lr,
                           children[0])
    sweep_w = np.empty((len(p.sweep), 2, p.n_features))
    sweep_b = np.empty((len(p.sweep), p.n_features))
    for i, (s, child) in enumerate(zip(p.sweep, children[1:], strict=True)):
        sweep_w[i], sweep_b[i] = train_toy_model(p.n_features, 2, s, importance, p.steps,
                                                 p.batch, p.lr, child)
    return {
        "W": w,
        "b": b,
        "WtW": w.T @ w,
        "importance": importance,
        "sparsity": p.sparsity,
        "feature_norm": np.linalg.norm(w, axis=0),
        "gaps_deg": angular_gaps_deg(w),
        "sweep_W": sweep_w,
        "sweep_b": sweep_b,
        "sweep_sparsity": np.asarray(p.sweep, float),
        "feature_labels": [f"x{str(i + 1).translate(_SUBSCRIPT)}" for i in range(p.n_features)],
    }
