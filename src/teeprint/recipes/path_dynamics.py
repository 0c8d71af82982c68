"""Pathologies of training dynamics, each reproduced on a toy where it happens at most seeds.

One recipe, ``path-dynamics``, runs the experiment named by ``experiment``; every experiment is a
seeded numpy simulation (or, for the floating-point ones, exact arithmetic in the named format)
that takes well under a second.  The shared knobs (``width``, ``depth``, ``steps``, ``lr``, ``n``,
``repeats``, ``values``) mean what each experiment's docstring says.  Arrays returned:

- ``rnn-gradient``: ``lag``, ``grad`` (rows: one spectral radius each, median over repeats of the
  spectral norm of W^k), ``grad_<i>`` per radius, ``radii``.
- ``attention-rank``: ``layer``, ``res_attention``, ``res_skip``, ``res_mlp`` (relative distance of
  the token matrix to rank one, median over repeats).
- ``gcn-smoothing``: ``hops``, ``energy`` (relative Dirichlet energy), ``accuracy`` (nearest class
  mean on held-out nodes), ``best_hops``.
- ``lstm-forget``: ``step``, ``grad`` (rows per forget bias), ``grad_<i>``, ``biases``.
- ``committee-plateau``: ``alpha`` (examples / input dim), ``error`` (median), ``error_lo``,
  ``error_hi``, ``overlap`` (student-teacher specialisation), ``plateau_error``.
- ``softmax-overflow``: ``scale``, ``err_naive16``, ``err_naive32``, ``err_shift16``, flags.
- ``variance-cancellation``: ``offset``, ``err_naive``, ``err_welford``, ``err_twopass``.
- ``gradient-starvation``: a loss grid and two gradient-descent paths in the (w1, w2) plane.
- ``policy-entropy``: ``step``, ``entropy_plain``, ``entropy_bonus`` (medians), regrets.
- ``bn-noise``: ``x`` grid, ``density`` (one row per batch size), ``batch``, ``sd``.
- ``feedback-loop``: ``item`` grid, ``density`` (interest at rounds), ``entropy_greedy``,
  ``entropy_random``.

The experiments live in :mod:`teeprint.recipes.path_networks` (pathologies of an
architecture) and :mod:`teeprint.recipes.path_training` (of the training process and its
arithmetic); the parameter model and shared pieces in :mod:`teeprint.recipes.path_dyn_base`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from teeprint.recipes import Arrays, recipe
from teeprint.recipes.path_dyn_base import DynParams
from teeprint.recipes.path_dyn_base import Experiment as Experiment
from teeprint.recipes.path_networks import (
    _attention_rank,
    _bn_noise,
    _committee_plateau,
    _dropout_shift,
    _gcn_smoothing,
    _lr_dead,
    _lstm_forget,
    _rnn_cliff,
    _rnn_gradient,
)
from teeprint.recipes.path_training import (
    _competitive,
    _feedback_loop,
    _gradient_starvation,
    _long_tail,
    _policy_entropy,
    _softmax_overflow,
    _stagnation,
    _variance_cancellation,
)

EXPERIMENTS: dict[str, Callable[[DynParams, np.random.Generator], Arrays]] = {
    "rnn-gradient": _rnn_gradient,
    "attention-rank": _attention_rank,
    "gcn-smoothing": _gcn_smoothing,
    "lstm-forget": _lstm_forget,
    "committee-plateau": _committee_plateau,
    "softmax-overflow": _softmax_overflow,
    "variance-cancellation": _variance_cancellation,
    "gradient-starvation": _gradient_starvation,
    "policy-entropy": _policy_entropy,
    "bn-noise": _bn_noise,
    "feedback-loop": _feedback_loop,
    "rnn-cliff": _rnn_cliff,
    "long-tail": _long_tail,
    "stagnation": _stagnation,
    "competitive": _competitive,
    "dropout-shift": _dropout_shift,
    "lr-dead": _lr_dead,
}


@recipe("path-dynamics", DynParams)
def path_dynamics(p: DynParams, rng: np.random.Generator) -> Arrays:
    """Run the pathology experiment named by ``experiment`` (module docstring)."""
    return EXPERIMENTS[p.experiment](p, rng)
