"""Interpretability: circuits, dictionaries and edits found in small trained or hand-wired models.

One recipe, ``interp-toy``; its ``experiment`` names one of the table :data:`EXPERIMENTS`.
Every model is a numpy toy trained with analytic gradients (Adam or full-batch gradient
descent), small enough to finish well under a second, so its internals can be read off exactly
and every claim on a plate is checked at other seeds.  The experiments and the arrays each
returns are listed in :func:`interp_toy`'s docstring.

The experiments live by theme: :mod:`~teeprint.recipes.interp_features` (sparse dictionaries,
superposition, circuits, patching, edits and concept bottlenecks),
:mod:`~teeprint.recipes.interp_vision` (a small CNN on oriented bars: feature visualisation and
attribution) and :mod:`~teeprint.recipes.interp_residual` (a residual MLP read by probes, the
logit lens, steering, TCAV and unit ablation); their shared parameter model, optimiser and sparse
autoencoder are in :mod:`~teeprint.recipes.interp_base`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from teeprint.recipes import Arrays, recipe
from teeprint.recipes.interp_base import ToyParams
from teeprint.recipes.interp_base import _Adam as _Adam
from teeprint.recipes.interp_base import sparse_features as sparse_features
from teeprint.recipes.interp_base import train_sae as train_sae
from teeprint.recipes.interp_features import (
    _exp_bottleneck,
    _exp_circuit,
    _exp_frontier,
    _exp_patching,
    _exp_polysemanticity,
    _exp_rome,
    _exp_sae,
)
from teeprint.recipes.interp_residual import (
    _exp_control_tasks,
    _exp_logit_lens,
    _exp_probes,
    _exp_steering,
    _exp_tcav,
    _exp_unit_ablation,
)
from teeprint.recipes.interp_residual import _logit_grad as _logit_grad
from teeprint.recipes.interp_residual import _stream_at as _stream_at
from teeprint.recipes.interp_residual import _train_residual as _train_residual
from teeprint.recipes.interp_vision import _cnn_input_grad as _cnn_input_grad
from teeprint.recipes.interp_vision import (
    _exp_baselines,
    _exp_deletion,
    _exp_feature_vis,
    _exp_occlusion,
    _exp_saliency,
    _exp_smoothgrad,
)

EXPERIMENTS: dict[str, Callable[[ToyParams, np.random.Generator], Arrays]] = {
    "sae-dictionary": _exp_sae,
    "circuit-prune": _exp_circuit,
    "polysemanticity": _exp_polysemanticity,
    "activation-patching": _exp_patching,
    "feature-vis": _exp_feature_vis,
    "saliency": _exp_saliency,
    "ig-baselines": _exp_baselines,
    "linear-probes": _exp_probes,
    "logit-lens": _exp_logit_lens,
    "rome-edit": _exp_rome,
    "steering": _exp_steering,
    "tcav": _exp_tcav,
    "concept-bottleneck": _exp_bottleneck,
    "sae-frontier": _exp_frontier,
    "occlusion": _exp_occlusion,
    "smoothgrad": _exp_smoothgrad,
    "deletion": _exp_deletion,
    "control-tasks": _exp_control_tasks,
    "unit-ablation": _exp_unit_ablation,
}


@recipe("interp-toy", ToyParams)
def interp_toy(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Small interpretability experiments on numpy toys, one per ``experiment``:

    * ``sae-dictionary`` (Bricken et al. 2023): ``W``, ``D``, ``star``, ``cos``, ``best_cos``,
      ``n_alive``, ``l0``, ``rel_mse``, ``cloud``; uses n_features, sparsity, width, l1, steps,
      batch, lr, n;
    * ``circuit-prune`` (Olah et al. 2020): ``edges``, ``kept``, ``accuracy``,
      ``ablation_accuracy``, ``distractor_edges``; uses width (hidden units), steps, lr;
    * ``polysemanticity`` (Elhage et al. 2022): ``response`` (neuron x feature), ``n_poly``;
      uses n_features, width (neurons), sparsity, values[0] (dense sparsity), steps, batch, lr;
    * ``activation-patching`` (Meng et al. 2022): ``effect`` (input pair x unit); uses width,
      steps, lr;

    and the further entries of :data:`EXPERIMENTS` (each documented on its function).
    """
    if p.experiment not in EXPERIMENTS:
        msg = f"experiment {p.experiment!r} is not built"
        raise ValueError(msg)
    return EXPERIMENTS[p.experiment](p, rng)
