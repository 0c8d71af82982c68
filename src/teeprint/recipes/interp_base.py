"""Pieces the ``interp-toy`` experiments share: the parameter model, an Adam optimiser, sparse
toy features and an L1 sparse autoencoder trained on them (also used by ``interp-sparse``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Params

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


class ToyParams(Params):
    """Which experiment, and the knobs the experiments share (each documents its own use)."""

    experiment: Literal["sae-dictionary", "circuit-prune", "polysemanticity", "activation-patching",
                        "feature-vis", "saliency", "ig-baselines", "linear-probes", "logit-lens",
                        "rome-edit", "steering", "tcav", "concept-bottleneck", "sae-frontier",
                        "occlusion", "control-tasks", "unit-ablation", "smoothgrad",
                        "deletion"]
    n_features: int = Field(5, ge=2, le=16, description="number of true sparse features")
    sparsity: float = Field(0.95, ge=0.0, le=0.999, description="P(a feature is zero)")
    width: int = Field(8, ge=2, le=64, description="dictionary size / hidden units")
    l1: float = Field(0.15, ge=0.0, le=10.0, description="L1 coefficient of a sparse code")
    steps: int = Field(1000, ge=10, le=20000, description="optimisation steps")
    batch: int = Field(128, ge=8, le=4096)
    lr: float = Field(0.01, gt=0.0, le=10.0)
    n: int = Field(2000, ge=16, le=50000, description="data points")
    depth: int = Field(6, ge=1, le=16, description="layers")
    values: tuple[float, ...] = Field((), max_length=12, description="a swept knob (see each)")
    panels: int = Field(4, ge=1, le=10, description="tcav: repeats per concept; sae-frontier: max k")


# -- shared pieces ---------------------------------------------------------------------------


class _Adam:
    """Adam over a list of arrays updated in place (optionally with a cosine learning-rate decay)."""

    def __init__(self, params: list[np.ndarray], lr: float, steps: int = 0,
                 betas: tuple[float, float] = (0.9, 0.999)) -> None:
        self.params, self.lr, self.steps = params, lr, steps
        self.m = [np.zeros_like(q) for q in params]
        self.v = [np.zeros_like(q) for q in params]
        self.b1, self.b2, self.t = betas[0], betas[1], 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        t, b1, b2 = self.t, self.b1, self.b2
        lr = self.lr * (0.5 * (1 + math.cos(math.pi * t / self.steps)) if self.steps else 1.0)
        for q, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            q -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)


def sparse_features(rng: np.random.Generator, n: int, k: int, sparsity: float) -> np.ndarray:
    """n samples of k features, each zero with probability ``sparsity``, else U(0, 1)."""
    u = rng.random((2, n, k))
    return np.where(u[1] >= sparsity, u[0], 0.0)


def train_sae(h: np.ndarray, k: int, l1: float, steps: int, batch: int, lr: float,
              rng: np.random.Generator, topk: int = 0, resample: int = 200) -> dict[str, np.ndarray]:
    """A sparse autoencoder z = ReLU(E h + b), h_hat = D z with unit-norm decoder columns.

    Loss: mean squared error + l1 * mean |z|_1 (or, with ``topk`` > 0, no penalty and only the
    k largest codes kept, Gao et al. 2024).  Adam with cosine decay; latents that never fired
    in the last ``resample`` steps are re-initialised (during the first half of training) on
    data points drawn in proportion to their reconstruction error, as in Bricken et al. 2023.
    """
    d = h.shape[1]
    dec = rng.normal(size=(d, k))
    dec /= np.linalg.norm(dec, axis=0)
    enc = dec.T.copy()
    be = np.zeros(k)
    opt = _Adam([enc, be, dec], lr, steps)
    fired = np.zeros(k, bool)
    for t in range(1, steps + 1):
        x = h[rng.integers(0, len(h), batch)]
        z = _encode(x, enc, be, topk)
        fired |= (z > 0).any(axis=0)
        g_xh = 2.0 * (z @ dec.T - x) / batch
        g_dec = g_xh.T @ z
        g_pre = (g_xh @ dec + (0.0 if topk else l1 / batch)) * (z > 0)
        g_dec -= dec * (g_dec * dec).sum(axis=0)
        opt.step([g_pre.T @ x, g_pre.sum(axis=0), g_dec])
        dec /= np.linalg.norm(dec, axis=0)
        if resample and t % resample == 0 and t <= steps // 2:
            dead = np.nonzero(~fired)[0]
            if dead.size:
                xs = h[rng.integers(0, len(h), 2048)]
                err = ((_encode(xs, enc, be, topk) @ dec.T - xs) ** 2).sum(axis=1) + 1e-12
                pick = rng.choice(len(xs), dead.size, replace=False, p=err / err.sum())
                new = xs[pick] / np.maximum(np.linalg.norm(xs[pick], axis=1, keepdims=True), 1e-12)
                dec[:, dead], enc[dead], be[dead] = new.T, 0.2 * new, 0.0
                for store in (opt.m, opt.v):
                    store[0][dead], store[1][dead], store[2][:, dead] = 0.0, 0.0, 0.0
            fired[:] = False
    return {"enc": enc, "be": be, "dec": dec}


def _encode(x: np.ndarray, enc: np.ndarray, be: np.ndarray, topk: int = 0) -> np.ndarray:
    z = np.maximum(x @ enc.T + be, 0.0)
    if topk and topk < z.shape[1]:
        thr = -np.partition(-z, topk - 1, axis=1)[:, topk - 1:topk]
        z = np.where(z >= thr, z, 0.0)
    return z


def _labels(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{_sub(i + 1)}" for i in range(count)]
