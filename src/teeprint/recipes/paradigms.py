"""Learning paradigms on the plane: one recipe, ``paradigm-plane``, one seeded 2-D toy per
``experiment``, drawn by ``decision-regions`` (or ``trajectory-contour``).

Every experiment returns the grid ``grid_x``, ``grid_y`` and, for P panels, ``points`` (P, n, 2),
``classes`` (P, n; -1 marks an unlabelled point), ``score`` (P, ny, nx; the boundary is where it
crosses 0), ``rings`` (P, n; points circled in accent), plus its own arrays and scalars:

- ``label-propagation`` (Zhu & Ghahramani 2002): two moons with ``labelled`` labels per class;
  panel 0 is 1-nearest-neighbour on the labels alone, panel 1 the labels propagated over a
  symmetric k-NN graph with Gaussian weights (iterate F <- D^-1 W F, clamp the labels).  Scalars
  ``acc_supervised``, ``acc_propagated`` (on the unlabelled points).
- ``low-density``: two clusters; panel 0 the hinge-loss linear classifier on the labels alone,
  panel 1 the same plus Chapelle & Zien's (2005) unlabelled loss exp(-3 f^2) with the class
  balance constraint, by gradient descent with the unlabelled weight annealed.  Scalars
  ``acc_supervised``, ``acc_semi``, ``in_margin_supervised``, ``in_margin_semi`` (share of
  unlabelled points with /f/ < 1).
- ``active-learning``: a pool labelled by a noisy linear rule; logistic regression (Newton)
  with ``budget`` queries picked at random (panel 0) or by uncertainty sampling (panel 1).
  Scalars ``dist_random``, ``dist_uncertain`` (median distance of the queries to the true
  boundary), ``acc_random``, ``acc_uncertain`` (median test accuracy over ``repeats`` runs).
- ``pu-learning`` (Elkan & Noto 2008): positives labelled with probability ``label_freq``; a
  logistic model of labelled-vs-unlabelled g(x); c estimated as the mean of g on held-out
  labelled positives; ``score`` is the corrected rule g/c > 1/2, ``naive`` the rule g > 1/2.
  Classes 0 negative, 1 labelled positive, 2 unlabelled positive.  Scalars ``c_true``,
  ``c_hat``, ``acc_naive``, ``acc_corrected``.
- ``diverse-density`` (Maron & Lozano-Perez 1998): bags of instances, a bag positive when one
  instance falls near a hidden concept point; the noisy-or diverse density on the grid (``dd``,
  normalised to max 1, ``score`` = log10 dd + 2: the boundary is dd = max/100); ``segments`` join each instance to its bag's centre;
  ``marks`` (argmax and the true concept).  Scalars ``argmax_error``, ``negatives_inside``.
- ``prototypes`` (Snell et al. 2017): a linear embedding W learned by episodic training with the
  prototypical loss on base classes whose means differ along x1 only; on novel classes, 1-shot
  nearest-prototype regions with the Euclidean metric (panel 0) and with W (panel 1).  Scalars
  ``metric_ratio`` (learned weight of x2 over x1), ``acc_euclid``, ``acc_learned`` (median over
  ``repeats`` novel episodes).
- ``k-center``: greedy k-center (Gonzalez 1985, the coreset of Sener & Savarese 2018) against
  random picks on blobs of unequal size; ``centres``, ``circles`` (k, 64, 2) of the covering
  radius; scalars ``radius_greedy``, ``radius_random`` (median over ``repeats``), ``blobs_hit``,
  ``random_all_blobs`` (share of random draws that touch every blob).
- ``tent`` (Wang et al. 2021): a classifier behind a normalisation layer, trained on a source
  domain; the target is shifted and scaled.  Panel 0 the source model on the target, panel 1
  after Tent (test-batch statistics, then the affine parameters by gradient descent on the mean
  prediction entropy).  Scalars ``acc_source``, ``acc_tent``, ``entropy_source``, ``entropy_tent``.
- ``dataset-distillation`` (Wang et al. 2018): two synthetic points, one per class, moved by
  finite-difference gradient descent so that logistic regression trained on them alone (20 steps
  of ``lr``) fits the full set; ``synthetic``, ``start``, ``score`` (trained on the two points),
  ``reference`` (trained on all points); ``acc_synthetic``, ``acc_full``, ``acc_random_pairs``
  (median over ``repeats`` random real pairs), ``loss_synthetic``, ``loss_full``, ``loss_start``.
- ``irm`` (Arjovsky et al. 2019): two training environments in which x2 agrees with the label with
  probability ``label_freq`` and ``label_freq`` - 0.1, x1 the same in both; a test environment where
  x2 agrees with probability 1 - ``label_freq``.  Linear logistic ERM (panel 0: training points)
  and IRMv1 with penalty weight ``sigma`` (panel 1: test points), each minimised on a grid of
  directions and scales; ``angle_erm``, ``angle_irm`` (degrees from the x1 axis), ``train_*``,
  ``test_*``.
- ``domain-adversarial`` (Ganin et al. 2016): two Gaussian classes; the unlabelled target is the
  source moved by ``shift`` along x2.  A linear 1-D feature with a logistic label head and a
  logistic domain head, gradient descent with the domain gradient reversed (weight ``sigma``) into
  the feature, against the same model with weight 0 (source only).  Panels: target points with
  the source-only (0) and domain-adversarial (1) ``regions``; ``acc_source_only``, ``acc_dann``;
  medians over ``repeats`` draws ``median_acc_*``, ``median_angle_*`` (feature direction, degrees
  from the x1 axis; 0 ignores the shift).

The experiments live in :mod:`teeprint.recipes.para_semisup` and
:mod:`teeprint.recipes.para_transfer`, their parameter model and shared small models in
:mod:`teeprint.recipes.para_base`; the ``paradigm-search`` recipe in
:mod:`teeprint.recipes.para_search`.
"""

from __future__ import annotations

import numpy as np

from teeprint.recipes import Arrays, recipe
from teeprint.recipes.para_base import PlaneParams
from teeprint.recipes.para_base import logistic_newton as logistic_newton
from teeprint.recipes.para_search import SearchParams as SearchParams
from teeprint.recipes.para_search import _crosses_wall as _crosses_wall
from teeprint.recipes.para_semisup import (
    _active_learning,
    _co_training,
    _label_propagation,
    _low_density,
    _pu_learning,
)
from teeprint.recipes.para_transfer import (
    _dataset_distillation,
    _diverse_density,
    _domain_adversarial,
    _irm,
    _k_center,
    _prototypes,
    _tent,
)
from teeprint.recipes.para_transfer import _k_center_greedy as _k_center_greedy

_EXPERIMENTS = {
    "label-propagation": _label_propagation, "low-density": _low_density, "active-learning": _active_learning,
    "pu-learning": _pu_learning, "diverse-density": _diverse_density,
    "prototypes": _prototypes, "k-center": _k_center, "tent": _tent, "dataset-distillation": _dataset_distillation,
    "irm": _irm, "co-training": _co_training, "domain-adversarial": _domain_adversarial,
}


@recipe("paradigm-plane", PlaneParams)
def paradigm_plane(p: PlaneParams, rng: np.random.Generator) -> Arrays:
    """A learning paradigm on a seeded 2-D toy set, named by ``experiment`` (module docstring)."""
    return _EXPERIMENTS[p.experiment](p, rng)
