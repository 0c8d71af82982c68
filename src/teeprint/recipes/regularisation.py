"""Recipes of the regularisation family."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.optimisation import Net, accuracy, init_mlp, train_mlp, two_moons

F = np.ndarray


class LotteryParams(Params):
    """Iterative magnitude pruning of a small ReLU MLP on two moons, with weight rewinding."""

    n_train: int = Field(200, ge=20, le=2000)
    n_test: int = Field(1000, ge=50, le=5000)
    noise: float = Field(0.2, ge=0.0, le=1.0)
    hidden: int = Field(24, ge=2, le=128)
    rounds: int = Field(12, ge=1, le=30)
    prune_rate: float = Field(0.25, gt=0.0, lt=1.0, description="share of surviving weights cut per round")
    output_rate: float = Field(0.5, ge=0.0, le=1.0, description="output layer is pruned at this fraction of the rate")
    train_steps: int = Field(300, ge=10, le=5000)
    rewind_step: int = Field(20, ge=0, le=1000, description="weights are rewound to this training step")
    lr: float = Field(0.02, gt=0.0, le=1.0)


def prune_layerwise(net: Net, masks: list[F], rate: float, output_rate: float) -> list[F]:
    """Cut the smallest-magnitude ``rate`` of each layer's surviving weights (Frankle & Carbin 2019).

    Layers are pruned separately, the output layer at a reduced rate as in the paper, so that
    no layer is emptied before the others.  Ties are broken by position, deterministically.
    """
    new = []
    for i, ((w, _), m) in enumerate(zip(net, masks, strict=True)):
        r = rate * (output_rate if i == len(net) - 1 else 1.0)
        alive = np.flatnonzero(m.ravel())
        cut = int(round(r * alive.size))
        flat = m.ravel().copy()
        if cut > 0:
            order = np.argsort(np.abs(w.ravel()[alive]), kind="stable")
            flat[alive[order[:cut]]] = 0.0
        new.append(flat.reshape(m.shape))
    return new


@recipe("lottery-ticket", LotteryParams)
def lottery_ticket(p: LotteryParams, rng: np.random.Generator) -> Arrays:
    """Accuracy against weights remaining for rewound tickets and for random re-initialisation.

    Each round trains the masked network from the rewound weights, prunes the smallest surviving
    weights of each layer, and rewinds the survivors to their values at ``rewind_step`` (Frankle
    et al. 2020's late rewinding; step 0 is the original lottery-ticket recipe).  The control
    trains the same sparse masks from a fresh random initialisation.  On a task this easy both
    stay accurate until the net is very sparse; the plate reports what the toy shows.
    """
    x, y = two_moons(p.n_train, p.noise, rng)
    x_te, y_te = two_moons(p.n_test, p.noise, rng)
    sizes = (2, p.hidden, p.hidden, 1)
    init = init_mlp(sizes, rng)
    rewound = train_mlp(init, x, y, p.rewind_step, p.lr) if p.rewind_step else init
    masks = [np.ones_like(w) for w, _ in init]
    total = sum(m.size for m in masks)
    remaining, acc_ticket, acc_random = [], [], []
    layer_density = []
    history = []
    for r in range(p.rounds + 1):
        trained = train_mlp(rewound, x, y, p.train_steps, p.lr, masks)
        remaining.append(sum(float(m.sum()) for m in masks) / total)
        layer_density.append([float(m.mean()) for m in masks])
        acc_ticket.append(accuracy(trained, x_te, y_te))
        fresh = init_mlp(sizes, rng)
        acc_random.append(accuracy(train_mlp(fresh, x, y, p.train_steps, p.lr, masks), x_te, y_te))
        history.append((masks, trained))
        if r < p.rounds:
            masks = prune_layerwise(trained, masks, p.prune_rate, p.output_rate)
    final_masks, final_net = history[-1]
    out: Arrays = {
        "layer_sizes": np.array(sizes),
        "remaining": np.array(remaining),
        "remaining_pct": 100 * np.array(remaining),
        "accuracy_ticket": np.array(acc_ticket),
        "accuracy_random": np.array(acc_random),
        "layer_density": np.array(layer_density),
        "round": np.arange(p.rounds + 1),
        "total_weights": total,
    }
    for i, (m, (w, _)) in enumerate(zip(final_masks, final_net, strict=True)):
        out[f"mask_{i}"] = m
        out[f"weight_{i}"] = w * m
    return out
