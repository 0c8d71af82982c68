"""What the ``paradigm-run`` experiments share: the experiment names, the parameter model, the
median/percentile band of a curve over repeats, and a sigmoid with the logistic regression fitted
by it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params

Experiment = Literal["transfer", "multi-task", "hedge", "weak-to-strong", "importance-weighting",
                     "fedavg", "distillation", "transition", "map-elites", "genetic", "lora", "task-arithmetic",
                     "label-model", "zero-shot", "replay", "hypergradient", "stacking",
                     "curriculum", "successive-halving", "pbt", "reptile", "ranking"]


class RunParams(Params):
    """Knobs shared by the training experiments; each reads the ones it needs."""

    experiment: Experiment
    dim: int = Field(30, ge=2, le=200)
    n_values: tuple[int, ...] = Field((5, 10, 20, 40, 80, 160, 320), min_length=2, max_length=16)
    noise: float = Field(0.5, ge=0.0, le=5.0)
    relatedness: float = Field(0.9, ge=0.0, le=1.0, description="transfer: share of target weights from source")
    ridge: float = Field(1.0, ge=1e-6, le=1e4)
    rank: int = Field(2, ge=1, le=20)
    tasks: tuple[int, ...] = Field((1, 2, 4, 8, 16, 32), min_length=2, max_length=12)
    per_task: int = Field(15, ge=2, le=500)
    inner_lr: float = Field(0.01, ge=1e-5, le=1.0, description="hypergradient: the step size's own rate")
    meta_steps: int = Field(2000, ge=1, le=20000, description="training steps (lora, replay, hypergradient)")
    experts: int = Field(10, ge=2, le=100)
    horizon: int = Field(2000, ge=10, le=100000)
    gap: float = Field(0.1, ge=0.0, le=0.5, description="hedge: the best expert's loss advantage")
    pool: int = Field(2000, ge=50, le=20000)
    local_steps: int = Field(20, ge=1, le=500)
    rounds: int = Field(60, ge=1, le=2000)
    lr: float = Field(0.05, ge=1e-5, le=5.0)
    classes: int = Field(6, ge=2, le=12)
    temperatures: tuple[float, ...] = Field((4.0, 10.0), min_length=1, max_length=6)
    flip: float = Field(0.3, ge=0.0, le=0.45, description="transition: the largest flip probability")
    n: int = Field(200, ge=10, le=20000)
    repeats: int = Field(20, ge=1, le=400)
    rung: int = Field(3, ge=1, le=100, description="successive halving: epochs at the first rung")


def _band(runs: np.ndarray, name: str) -> Arrays:
    """Median and 10-90 % band over the first axis."""
    return {name: np.median(runs, axis=0), f"{name}_lo": np.quantile(runs, 0.1, axis=0),
            f"{name}_hi": np.quantile(runs, 0.9, axis=0)}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-2, iters: int = 30) -> np.ndarray:
    """Logistic regression on (x, 1) by Newton's method with a small ridge."""
    a = np.c_[x, np.ones(len(x))]
    w = np.zeros(a.shape[1])
    reg = ridge * np.eye(a.shape[1])
    reg[-1, -1] = 1e-9
    for _ in range(iters):
        pr = _sigmoid(a @ w)
        step = np.linalg.solve((a * (pr * (1 - pr))[:, None]).T @ a + reg, a.T @ (pr - y) + reg @ w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w
