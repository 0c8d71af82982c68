"""What the ``paradigm-plane`` experiments share: the experiment names, the parameter model and
the small models they all fit (a logistic sigmoid, logistic regression by Newton's method, a
linear score on the grid, the evaluation grid, two Gaussian classes).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Params
from teeprint.recipes.boundaries import grid_for

Experiment = Literal["label-propagation", "low-density", "active-learning", "pu-learning", "diverse-density", "prototypes", "k-center", "tent",
                     "dataset-distillation", "irm", "co-training", "domain-adversarial"]


class PlaneParams(Params):
    """Knobs shared by the plane experiments; each reads the ones it needs."""

    experiment: Experiment
    n: int = Field(200, ge=20, le=1000, description="points in the toy set (or pool)")
    noise: float = Field(0.1, ge=0.0, le=1.0)
    labelled: int = Field(1, ge=1, le=50, description="labels per class")
    k: int = Field(10, ge=2, le=40, description="graph neighbours, centres or classes")
    sigma: float = Field(0.2, ge=0.01, le=1e4, description="kernel width (IRM: penalty weight)")
    steps: int = Field(400, ge=1, le=5000)
    lr: float = Field(0.1, ge=1e-4, le=10.0)
    budget: int = Field(20, ge=1, le=200, description="queries (active learning)")
    rounds: int = Field(10, ge=1, le=100)
    label_freq: float = Field(0.3, ge=0.05, le=0.95, description="PU: chance a positive is labelled")
    shift: float = Field(1.0, ge=0.0, le=5.0)
    bags: int = Field(20, ge=4, le=100)
    bag_size: int = Field(6, ge=2, le=30)
    repeats: int = Field(20, ge=1, le=400)
    grid: int = Field(60, ge=20, le=160)


# -- small shared models ------------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def logistic_newton(x: np.ndarray, y: np.ndarray, ridge: float = 1e-2, iters: int = 25,
                    weights: np.ndarray | None = None) -> np.ndarray:
    """Logistic regression on (x, 1) by Newton's method with a small ridge; returns (d+1,)."""
    a = np.c_[x, np.ones(len(x))]
    w = np.zeros(a.shape[1])
    sw = np.ones(len(x)) if weights is None else weights
    reg = ridge * np.eye(a.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(iters):
        pr = _sigmoid(a @ w)
        g = a.T @ (sw * (pr - y)) + reg @ w
        h = (a * (sw * pr * (1 - pr))[:, None]).T @ a + reg + 1e-9 * np.eye(a.shape[1])
        step = np.linalg.solve(h, g)
        w = w - step
        if np.abs(step).max() < 1e-9:
            break
    return w


def _lin(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return x @ w[:-1] + w[-1]


def _grid(x: np.ndarray, n: int, pad: float = 0.2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return grid_for(x, n, pad=pad, square=False)


def _two_gauss(n: int, rng: np.random.Generator, gap: float, spread: float,
               angle: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % 2
    c = np.array([np.cos(angle), np.sin(angle)]) * gap / 2
    x = np.where(y[:, None] == 1, c, -c) + rng.normal(size=(n, 2)) * spread
    return x, y
