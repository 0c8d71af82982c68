"""Learning paradigms that need a training loop: one recipe, ``paradigm-run``, one seeded numpy
experiment per ``experiment``, returning arrays for curve-vs-scale, token-bars, matrix-heatmap or
trajectory-contour.  Curves over repeats come as ``<name>`` (median), ``<name>_lo`` and
``<name>_hi`` (10th and 90th percentiles).

- ``transfer``: linear regression on a target task related to a source task; target error
  against target samples ``n`` for ridge toward zero (``scratch``) and ridge toward the weights
  fitted on the source (``finetune``).  Error is the exact expected test MSE.
- ``multi-task``: tasks whose weights share a rank-``rank`` subspace; error per task against the
  number of tasks ``tasks`` (mean over draws of about ``repeats`` x 16 tasks, band: 10-90 % of
  draws) for independent ridge fits (``independent``) and a shared linear trunk (top
  singular directions of the tasks' ridge fits) with least-squares heads (``shared``).
- ``hedge``: the Hedge (exponential weights) forecaster over ``experts`` experts with Bernoulli
  losses; ``t``, ``regret`` (+ band), ``bound`` sqrt(t ln N / 2), ``weights`` (experts x
  snapshots, one run), ``best_expert``.
- ``weak-to-strong``: a 1-nearest-neighbour teacher on ``n`` gold labels labels a pool; a linear
  logistic student learns from the teacher's labels; ``teacher``, ``student``, ``ceiling``
  (student on gold labels) accuracies against ``n``; ``pgr`` (performance gap recovered).
- ``importance-weighting``: Shimodaira's covariate-shift example; a line fitted by least squares
  and by least squares weighted with p_test/p_train; ``x``, ``truth``, ``fit_ols``, ``fit_iw``,
  ``train_x``, ``train_y``, ``test_density``; ``mse_ols``, ``mse_iw`` (medians over repeats).
- ``fedavg``: two clients' least-squares losses on the plane; FedAvg with 1 and ``local_steps``
  local gradient steps per round; ``grid_x``, ``grid_y``, ``loss`` (global), ``path_1``,
  ``path_e``, ``local_paths`` (each client's local steps in the first round), ``marks`` (global
  optimum, client optima), ``end_e``; ``drift_1``, ``drift_e`` (final distance
  to the global optimum).
- ``distillation``: a softmax-regression teacher trained on ``classes`` Gaussian classes; its
  soft targets for one input at temperatures ``temperatures``: ``vocab``, ``base`` (T = 1),
  ``after``, ``entropy``; ``runner_up`` and ``nearest_class`` (class whose mean is nearest the
  input's class).
- ``map-elites``: MAP-Elites on a planar arm of ``dim`` joints (cells: end point on a
  2``classes`` x 2``classes`` grid, quality: 1 - std of the angles / pi) against random sampling with
  the same ``n`` evaluations: ``elites``, ``random`` (NaN: empty), ``coverage``, ``coverage_random``,
  ``mean_quality``, ``mean_quality_random``.
- ``genetic``: a generational genetic algorithm on OneMax (``dim`` bits, ``per_task`` genomes,
  binary tournaments, uniform crossover, mutation 1/L); fitness histograms ``density`` at the
  generations ``tasks``; ``mean_fitness``, ``best_fitness``.
- ``lora``: a pretrained linear map plus a rank-``rank`` shift; LoRA updates B A of each rank in
  ``tasks`` trained by gradient descent from B = 0: ``delta``, ``ba_<r>``, ``rel_error``,
  ``params_lora``, ``params_full``.
- ``task-arithmetic``: logistic models; tasks A, B, C add their own block of inputs to shared ones;
  task vectors (fine-tuned minus pretrained) added and negated: ``accuracy`` (models x tasks).
- ``label-model``: ``classes`` labelling functions vote (or abstain) on ``n`` items; the one-coin
  Dawid-Skene model fitted by EM without labels: ``votes``, ``accuracies`` (true, estimated),
  ``acc_error``, ``model_acc``, ``majority_acc``.
- ``zero-shot``: direct attribute prediction; 8 classes described by 5 binary attributes, attribute
  classifiers trained on classes 1-5 only, classes 6-8 recognised from their descriptions:
  ``attributes``, ``confusion``, ``unseen_acc``.
- ``replay``: class-incremental learning with a softmax head: task 1 (classes 0, 1) then task 2
  (classes 2, 3), full-batch gradient descent; task 2 trained with a replay buffer of each size in
  ``n_values`` task-1 examples: ``buffer``, ``old`` and ``new`` test accuracy (+ bands).
- ``hypergradient``: logistic regression by gradient descent at step ``lr``, and with the step
  adapted by its hypergradient (rate ``inner_lr``): ``step``, ``loss_gd``, ``loss_hd``,
  ``alpha_hd``.
- ``stacking``: a line, a cubic and 15-nearest-neighbour regression on ``n`` noisy points of
  sin 3x + x/2, stacked by non-negative least squares on 5-fold out-of-fold predictions: ``x``,
  ``truth``, ``fit_line``, ``fit_cubic``, ``fit_knn``, ``fit_stack``, ``data_x``, ``data_y``,
  ``weights``; test MSE medians over ``repeats`` draws ``mse_*``.
- ``curriculum``: one pass of SGD for logistic regression in random order or easiest first:
  ``seen``, ``random``, ``curriculum`` (+ bands).
- ``successive-halving``: one bracket (eta = 3) over ``n`` synthetic learning curves of
  ``horizon`` epochs: ``epoch``, ``curves`` (NaN after a configuration is stopped), ``winner``,
  ``stop``, ``winner_rank`` (configurations with a better final loss), ``median_rank`` and
  ``top3_share`` over ``repeats`` brackets, ``budget_spent``, ``budget_full``.
- ``pbt``: population-based training of ``n`` members on a noisy quadratic (exploit every
  ``local_steps`` steps, explore by x0.8 or x1.25) against the same members never exploiting:
  ``step``, ``lr_paths``, ``best_lr``, ``best_pbt``, ``best_fixed``, ``lr_start``, ``lr_end``.
- ``transition``: labels flipped by a noise matrix T; a softmax regression on quadratic features
  fitted to the noisy labels; T estimated from anchor points (Patrini et al.): ``t_true``,
  ``t_hat``, ``t_error`` (largest absolute error).
- ``reptile`` (Nichol et al. 2018): linear regression tasks scattered around a hidden centre;
  Reptile meta-learns an initialisation; ``step``, ``reptile`` and ``scratch`` (+ bands: exact
  test error of new tasks after each gradient step from the learned init or from zero),
  ``noise_floor``, ``dist_init`` (distance of the init to the centre over the centre's norm).
- ``ranking`` (Burges et al. 2005): queries whose relevance carries a per-query offset; pointwise
  least squares against pairwise linear RankNet: ``offset``, ``pointwise``, ``pairwise`` (+ bands:
  share of test pairs ordered correctly), ``chance``.

The experiments live by theme in :mod:`teeprint.recipes.para_tasks`,
:mod:`teeprint.recipes.para_labels` and :mod:`teeprint.recipes.para_meta`; their parameter
model and shared pieces in :mod:`teeprint.recipes.para_run_base`.
"""

from __future__ import annotations

import numpy as np

from teeprint.recipes import Arrays, recipe
from teeprint.recipes.para_labels import (
    _distillation,
    _label_model,
    _ranking,
    _transition,
    _zero_shot,
)
from teeprint.recipes.para_meta import _arm as _arm
from teeprint.recipes.para_meta import (
    _curriculum,
    _genetic,
    _hedge,
    _hypergradient,
    _map_elites,
    _pbt,
    _replay,
    _reptile,
    _stacking,
    _successive_halving,
)
from teeprint.recipes.para_run_base import RunParams
from teeprint.recipes.para_tasks import (
    _fedavg,
    _importance_weighting,
    _lora,
    _multi_task,
    _task_arithmetic,
    _transfer,
    _weak_to_strong,
)

_EXPERIMENTS = {
    "transfer": _transfer, "multi-task": _multi_task, "hedge": _hedge,
    "weak-to-strong": _weak_to_strong, "importance-weighting": _importance_weighting, "fedavg": _fedavg,
    "distillation": _distillation, "transition": _transition, "map-elites": _map_elites, "genetic": _genetic,
    "lora": _lora, "task-arithmetic": _task_arithmetic, "label-model": _label_model, "zero-shot": _zero_shot,
    "replay": _replay, "hypergradient": _hypergradient, "stacking": _stacking,
    "curriculum": _curriculum, "successive-halving": _successive_halving, "pbt": _pbt,
    "reptile": _reptile, "ranking": _ranking,
}


@recipe("paradigm-run", RunParams)
def paradigm_run(p: RunParams, rng: np.random.Generator) -> Arrays:
    """A small training experiment of a learning paradigm, named by ``experiment`` (module docstring)."""
    return _EXPERIMENTS[p.experiment](p, rng)
