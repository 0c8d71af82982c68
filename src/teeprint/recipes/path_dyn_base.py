"""What the ``path-dynamics`` experiments share: the experiment names, the parameter model, a
median over repeats, a row-wise softmax and a logistic sigmoid.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Params

F = np.ndarray


Experiment = Literal["rnn-gradient", "attention-rank", "gcn-smoothing", "lstm-forget",
                     "committee-plateau", "softmax-overflow", "variance-cancellation",
                     "gradient-starvation", "policy-entropy", "bn-noise", "feedback-loop",
                     "rnn-cliff", "long-tail", "stagnation", "competitive", "dropout-shift",
                     "lr-dead"]


class DynParams(Params):
    """Which experiment, and the knobs the experiments share (each docstring says its use)."""

    experiment: Experiment
    width: int = Field(32, ge=2, le=4096, description="units / dimension / tokens / subpopulations")
    depth: int = Field(24, ge=1, le=256, description="layers / horizon / propagation steps")
    steps: int = Field(100, ge=2, le=20000, description="time steps / training steps")
    lr: float = Field(0.1, gt=0.0, le=100.0, description="learning rate or step size")
    n: int = Field(64, ge=2, le=50000, description="data points / nodes / items / runs")
    repeats: int = Field(5, ge=1, le=64, description="independent draws; medians are shown")
    values: tuple[Annotated[float, Field(ge=-100.0, le=1000.0)], ...] = Field(
        (0.9, 1.0, 1.1), min_length=1, max_length=8,
        description="the experiment's swept values (radii, biases, batch sizes, drop rates ...)")
    noise: float = Field(0.5, ge=0.0, le=10.0, description="noise level of the data")


def _median(rows: list[F]) -> F:
    return np.median(np.array(rows), axis=0)


# -- rank collapse in pure attention -------------------------------------------------------------------------


def _softmax_rows(z: F) -> F:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# -- the forget gate's bias ----------------------------------------------------------------------------------


def _sig(z: F) -> F:
    return 1.0 / (1.0 + np.exp(-z))
