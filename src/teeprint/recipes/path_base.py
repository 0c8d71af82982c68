"""What the pathologies modules share: the array alias ``F`` and the parameter model of the
``path-matrix`` experiments (the comment above it lists each experiment's arrays).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Params

F = np.ndarray


# == path-matrix: pathologies drawn as matrices ======================================================================
#
# ``attention-entropy``: attention maps ``attn_<i>`` of random tokens at growing query-key scales
#   (``values``), their mean row entropies ``entropy`` and, with QK-norm, ``entropy_qknorm``.
# ``symmetry``: hidden-unit cosine-similarity matrices after training from a constant and from a
#   random initialisation (``sim_constant``, ``sim_random``).
# ``oversquashing``: log10 of the influence matrix (A_hat^L)_ij of a barbell graph (``influence``).
# ``order-chaos``: the mean-field slope chi over (sigma_w^2, sigma_b^2) for tanh nets and its
#   ordered/chaotic ``phase`` regions.
# ``aliasing``: max-pooled and blur-pooled feature rows under one-pixel input shifts.
# ``saturation``: share of saturated sigmoid units per layer and weight gain.
# ``layer-collapse``: share of each layer kept by magnitude pruning and by SynFlow.
# ``untrained-tokens``: unembedding rows of a bigram model, tokens never seen in training apart.


class MatrixExpParams(Params):
    """Which matrix experiment, and its knobs (each experiment's docstring says its use)."""

    experiment: Literal["attention-entropy", "symmetry", "oversquashing", "order-chaos", "aliasing",
                        "saturation", "layer-collapse", "untrained-tokens", "post-ln",
                        "bn-explosion"]
    size: int = Field(16, ge=4, le=128, description="tokens / units / nodes / grid cells")
    dim: int = Field(32, ge=2, le=256, description="feature dimension / signal length")
    steps: int = Field(500, ge=1, le=20000, description="training steps / hops")
    lr: float = Field(0.1, gt=0.0, le=10.0)
    values: tuple[Annotated[float, Field(ge=-100.0, le=100.0)], ...] = Field(
        (1.0, 4.0, 16.0), min_length=1, max_length=16, description="swept scales")
    repeats: int = Field(5, ge=1, le=64)
