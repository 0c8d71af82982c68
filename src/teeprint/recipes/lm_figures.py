"""The language-model recipe ``lm-figure``: one table of experiments picked by ``experiment``.

``lm-figure`` - exact or simulated structures of language models:

* ``mlm-masking`` - BERT's corruption of ``sequences`` x ``length`` tokens: each position is
  chosen with probability ``mask_rate``; a chosen one becomes [MASK] (share ``p_mask``), a random
  token (``p_random``) or stays (the rest). ``codes`` 0 untouched, 1 [MASK], 2 random, 3 kept;
  ``chosen_frac``, ``mask_share``, ``random_share``, ``keep_share`` (shares of the chosen).
* ``position-interpolation`` - rotary angles m theta_i, theta_i = base^(-2i/dim), for positions
  0..L-1 seen in training (L = ``train_len``), positions L..sL-1 (extrapolated, s = ``scale``)
  and sL positions squeezed into 0..L by m/s (position interpolation). ``cos_train``,
  ``cos_extra``, ``cos_interp`` (pairs x ``columns`` positions sampled evenly),
  ``unseen_extra`` / ``unseen_interp`` (angle beyond the trained window [0, L theta_i), for pairs
  whose training angles stay under one turn), ``n_unseen_extra``, ``n_unseen_interp``,
  ``unseen_pairs`` (pairs with any unseen extrapolated angle), ``first_unseen_pair``; ``pos_train`` / ``pos_extra`` / ``pos_interp`` (the positions drawn,
  the last before squeezing).
* ``perplexity-simplex`` - perplexity 2^H of (p_a, p_b, 1 - p_a - p_b) on a grid (nan outside
  the simplex) and the path of softmax(``logits`` / T) for T from 0.05 to 50: ``grid_x``,
  ``grid_y``, ``ppl``, ``temp_path``, ``temp_ppl``, ``marks`` (uniform, edge midpoint),
  ``mark_ppl``.
* ``parity-scratchpad`` - parity of n-bit strings (n in ``bits``), learned from at most
  ``n_train`` random strings (half of all when fewer) by a ``hidden``-unit tanh network
  (full-batch gradient descent, ``steps``, ``lr``): directly (n bits -> parity) or with a
  scratchpad (the same network learns one step, parity so far and next bit -> parity, from
  every step of the training strings, and is chained on its own outputs at test).
  ``train_acc_direct``, ``test_acc_direct``, ``test_acc_scratchpad`` (held-out strings),
  ``step_acc_scratchpad``, ``n_train_strings``, ``chance``; ``accuracy`` (those three rows x
  lengths) with ``accuracy_names`` and ``accuracy_lit`` (the scratchpad row).
* ``speculative-speedup`` - Leviathan et al.'s closed forms for acceptance rate alpha (``alphas``),
  gamma drafted tokens (``gammas``) and draft cost c (``cost``, relative to the target):
  ``tokens`` = (1 - alpha^(gamma+1)) / (1 - alpha) per target run, ``speedup`` = tokens /
  (gamma c + 1) in walltime, ``excess`` = speedup - 1; ``best`` (each alpha's best gamma), ``best_gamma``,
  ``best_speedup``, ``gamma1_bound`` = (1 + alpha) / (1 + c).
* ``attention-dilution`` - softmax weight on one key whose logit is ``margins`` m above n - 1
  equal others (n in ``lengths``): ``plain`` = e^m / (e^m + n - 1) and, with the logits scaled
  by log n, ``scaled`` = n^m / (n^m + n - 1); ``plain_major`` / ``scaled_major`` (over one half).
* ``exposure-bias`` - a random source over ``symbols`` tokens whose next token depends on the
  last two (each pair allows ``allowed`` tokens, uniformly); an add-``smoothing`` count model of
  the next token after the last three, trained on ``train_seqs`` sequences of ``horizon``
  tokens (teacher forcing); ``rollouts`` runs fed the source's tokens (teacher forcing) or the
  model's own samples (free running). Per position: ``error_teacher`` / ``error_free`` (the
  model's mass on tokens the source forbids), ``unseen_teacher`` / ``unseen_free`` (share of
  contexts never met in training); means over positions 11 on (``error_teacher_mean``,
  ``error_free_mean``, ``unseen_free_mean``), ``contexts_seen``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

# -- lm-figure ------------------------------------------------------------------------------------


class FigureParams(Params):
    """Which structure, and its settings (each experiment reads the ones it names)."""

    experiment: Literal["mlm-masking", "position-interpolation", "perplexity-simplex",
                        "parity-scratchpad", "speculative-speedup", "attention-dilution",
                        "exposure-bias"]
    sequences: int = Field(16, ge=2, le=64, description="mlm-masking: rows")
    length: int = Field(32, ge=4, le=128, description="mlm-masking: tokens per row")
    mask_rate: float = Field(0.15, ge=0.01, le=0.5, description="mlm-masking: share chosen")
    p_mask: float = Field(0.8, ge=0.0, le=1.0, description="mlm-masking: chosen -> [MASK]")
    p_random: float = Field(0.1, ge=0.0, le=1.0, description="mlm-masking: chosen -> random token")
    dim: int = Field(32, ge=4, le=128, description="position-interpolation: head dimension (even)")
    base: float = Field(10000.0, ge=10.0, le=1e6, description="position-interpolation: RoPE base")
    train_len: int = Field(512, ge=16, le=8192, description="position-interpolation: L")
    scale: float = Field(2.0, gt=1.0, le=16.0, description="position-interpolation: s")
    columns: int = Field(48, ge=8, le=128, description="position-interpolation: positions drawn")
    bits: tuple[int, ...] = Field((4, 6, 8, 10, 12, 14), min_length=2, max_length=10,
                                  description="parity-scratchpad: string lengths")
    n_train: int = Field(256, ge=8, le=1024, description="parity-scratchpad: training strings at most")
    hidden: int = Field(32, ge=4, le=128, description="parity-scratchpad: tanh units")
    steps: int = Field(1000, ge=50, le=5000, description="parity-scratchpad: gradient steps")
    lr: float = Field(0.5, gt=0.0, le=5.0, description="parity-scratchpad: step size")
    alphas: tuple[float, ...] = Field((0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), min_length=2,
                                      max_length=12, description="speculative-speedup: acceptance rates")
    gammas: tuple[int, ...] = Field((1, 2, 3, 4, 5, 6, 7, 8, 10), min_length=2, max_length=12,
                                    description="speculative-speedup: tokens drafted per step")
    cost: float = Field(0.2, gt=0.0, le=1.0, description="speculative-speedup: draft / target time")
    lengths: tuple[int, ...] = Field((4, 16, 64, 256, 1024, 4096, 16384), min_length=2, max_length=12,
                                     description="attention-dilution: keys n")
    margins: tuple[float, ...] = Field((0.5, 0.75, 1.0, 1.5, 2.0, 3.0), min_length=2, max_length=10,
                                       description="attention-dilution: logit margin of the one key")
    symbols: int = Field(6, ge=3, le=12, description="exposure-bias: alphabet size")
    allowed: int = Field(2, ge=1, le=8, description="exposure-bias: successors a context allows")
    train_seqs: int = Field(100, ge=10, le=5000, description="exposure-bias: training sequences")
    horizon: int = Field(40, ge=5, le=200, description="exposure-bias: tokens generated")
    smoothing: float = Field(0.5, gt=0.0, le=5.0, description="exposure-bias: add-alpha counts")
    rollouts: int = Field(1000, ge=20, le=5000, description="exposure-bias: sampled sequences")
    grid: int = Field(121, ge=21, le=301, description="perplexity-simplex: grid points per axis")
    logits: tuple[float, float, float] = Field((2.0, 1.0, -0.5), description="perplexity-simplex")


def _mlm_masking(p: FigureParams, rng: np.random.Generator) -> Arrays:
    if p.p_mask + p.p_random > 1.0:
        msg = "p_mask + p_random must not exceed 1"
        raise ValueError(msg)
    chosen = rng.random((p.sequences, p.length)) < p.mask_rate
    u = rng.random((p.sequences, p.length))
    codes = np.where(u < p.p_mask, 1, np.where(u < p.p_mask + p.p_random, 2, 3))
    codes = np.where(chosen, codes, 0)
    k = max(int(chosen.sum()), 1)
    return {
        "codes": codes,
        "chosen_frac": float(chosen.mean()),
        "n_chosen": int(chosen.sum()),
        "mask_share": float(np.sum(codes == 1) / k),
        "random_share": float(np.sum(codes == 2) / k),
        "keep_share": float(np.sum(codes == 3) / k),
        "mask_rate": p.mask_rate,
        "p_mask": p.p_mask,
        "p_random": p.p_random,
    }


def _position_interpolation(p: FigureParams, rng: np.random.Generator) -> Arrays:
    if p.dim % 2:
        msg = "dim must be even"
        raise ValueError(msg)
    pairs = p.dim // 2
    theta = p.base ** (-2.0 * np.arange(pairs) / p.dim)
    L = p.train_len  # noqa: N806 - the paper's name
    longest = int(round(p.scale * L))
    train_pos = np.linspace(0, L - 1, p.columns)
    extra_pos = np.linspace(L, longest - 1, p.columns)
    interp_pos = np.linspace(0, longest - 1, p.columns) / p.scale
    seen_max = L * theta  # the trained window [0, L) in angle, per pair
    slow = seen_max < 2 * math.pi  # pairs whose training angles never wrap

    def unseen(pos: np.ndarray) -> np.ndarray:
        return slow[:, None] & (pos[None, :] * theta[:, None] > seen_max[:, None] + 1e-9)

    ue, ui = unseen(extra_pos), unseen(interp_pos)
    rows = np.flatnonzero(ue.any(axis=1))
    return {
        "cos_train": np.cos(train_pos[None, :] * theta[:, None]),
        "cos_extra": np.cos(extra_pos[None, :] * theta[:, None]),
        "cos_interp": np.cos(interp_pos[None, :] * theta[:, None]),
        "unseen_train": unseen(train_pos),
        "unseen_extra": ue,
        "unseen_interp": ui,
        "n_unseen_extra": int(ue.sum()),
        "n_unseen_interp": int(ui.sum()),
        "unseen_pairs": int(rows.size),
        "first_unseen_pair": int(rows[0]) if rows.size else -1,
        "slow_pairs": int(slow.sum()),
        "theta": theta,
        "pair": np.arange(pairs),
        "pos_train": np.round(train_pos).astype(int),
        "pos_extra": np.round(extra_pos).astype(int),
        "pos_interp": np.round(interp_pos * p.scale).astype(int),
        "max_interp_pos": float(interp_pos.max()),
        "train_len": L,
        "longest": longest,
    }


def _entropy_bits(q: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q > 0, -q * np.log2(np.where(q > 0, q, 1.0)), 0.0)
    return terms.sum(axis=-1)


def _perplexity_simplex(p: FigureParams, rng: np.random.Generator) -> Arrays:
    g = np.linspace(0.0, 1.0, p.grid)
    a, b = np.meshgrid(g, g)  # a along x, b along y
    c = 1.0 - a - b
    q = np.stack([a, b, np.clip(c, 0.0, 1.0)], axis=-1)
    ppl = np.where(c >= -1e-12, 2.0 ** _entropy_bits(q), np.nan)
    temps = np.geomspace(0.05, 50.0, 120)
    z = np.array(p.logits)[None, :] / temps[:, None]
    z -= z.max(axis=1, keepdims=True)
    path = np.exp(z)
    path /= path.sum(axis=1, keepdims=True)
    marks = np.array([[1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    return {
        "grid_x": g,
        "grid_y": g,
        "ppl": ppl,
        "temp": temps,
        "temp_path": path[:, :2],
        "temp_ppl": 2.0 ** _entropy_bits(path),
        "marks": marks[:, :2],
        "mark_ppl": 2.0 ** _entropy_bits(marks),
        "ppl_max": float(np.nanmax(ppl)),
        "ppl_min": float(np.nanmin(ppl)),
        "edge": np.array([[0.0, 1.0], [1.0, 0.0]]),
    }


def _train_mlp(x: np.ndarray, y: np.ndarray, w: np.ndarray, p: FigureParams,
               rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """One tanh hidden layer, logistic output, full-batch gradient descent on the weighted
    cross-entropy (weights ``w`` sum to one); returns the 0/1 classifier."""
    d = x.shape[1]
    w1 = rng.standard_normal((d, p.hidden)) / math.sqrt(d)
    b1 = np.zeros(p.hidden)
    w2 = rng.standard_normal(p.hidden) / math.sqrt(p.hidden)
    b2 = 0.0
    for _ in range(p.steps):
        h = np.tanh(x @ w1 + b1)
        g = (1.0 / (1.0 + np.exp(-(h @ w2 + b2))) - y) * w
        gh = np.outer(g, w2) * (1.0 - h**2)
        w2 = w2 - p.lr * (h.T @ g)
        b2 = b2 - p.lr * float(g.sum())
        w1 = w1 - p.lr * (x.T @ gh)
        b1 = b1 - p.lr * gh.sum(axis=0)

    def predict(z: np.ndarray) -> np.ndarray:
        return ((np.tanh(z @ w1 + b1) @ w2 + b2) > 0).astype(int)

    return predict


def _parity_scratchpad(p: FigureParams, rng: np.random.Generator) -> Arrays:
    bits = sorted(set(p.bits))
    tr_direct, te_direct, te_scratch, step_acc, n_tr = [], [], [], [], []
    for n in bits:
        total = 2**n
        k = min(p.n_train, total // 2)
        codes = rng.permutation(total)
        table = (np.arange(total)[:, None] >> np.arange(n)) & 1
        train, test = table[codes[:k]], table[codes[k:k + 2048]]
        y_train, y_test = train.sum(axis=1) % 2, test.sum(axis=1) % 2
        direct = _train_mlp(2.0 * train - 1, y_train, np.full(k, 1.0 / k), p, rng)
        tr_direct.append(float(np.mean(direct(2.0 * train - 1) == y_train)))
        te_direct.append(float(np.mean(direct(2.0 * test - 1) == y_test)))
        # Scratchpad: the same network learns one step (parity so far, next bit) -> parity,
        # from every step of the training strings; the steps' four inputs carry their counts.
        running = np.cumsum(train, axis=1) % 2
        before = np.concatenate([np.zeros((k, 1), int), running[:, :-1]], axis=1)
        pairs = np.stack([before.ravel(), train.ravel()], axis=1)
        seen, counts = np.unique(pairs, axis=0, return_counts=True)
        step = _train_mlp(2.0 * seen - 1, seen.sum(axis=1) % 2, counts / counts.sum(), p, rng)
        step_acc.append(float(np.mean(step(2.0 * pairs - 1) == running.ravel())))
        par = np.zeros(len(test), int)
        for i in range(n):  # the model reads its own previous step, never the true one
            par = step(2.0 * np.stack([par, test[:, i]], axis=1) - 1)
        te_scratch.append(float(np.mean(par == y_test)))
        n_tr.append(k)
    return {
        "bits": np.array(bits),
        "n_train_strings": np.array(n_tr),
        "train_acc_direct": np.array(tr_direct),
        "test_acc_direct": np.array(te_direct),
        "test_acc_scratchpad": np.array(te_scratch),
        "step_acc_scratchpad": np.array(step_acc),
        "chance": np.full(len(bits), 0.5),
        "accuracy": np.array([tr_direct, te_direct, te_scratch]),
        "accuracy_names": np.array(["direct, trained strings", "direct, new strings",
                                    "scratchpad, new strings"]),
        "accuracy_lit": np.array([[False] * len(bits), [False] * len(bits), [True] * len(bits)]),
    }


def _speculative_speedup(p: FigureParams, rng: np.random.Generator) -> Arrays:
    alphas = np.array(sorted(set(p.alphas)))
    gammas = np.array(sorted(set(p.gammas)))
    if alphas.min() <= 0.0 or alphas.max() >= 1.0:
        msg = "alphas must lie strictly between 0 and 1"
        raise ValueError(msg)
    a, g = alphas[:, None], gammas[None, :].astype(float)
    tokens = (1.0 - a ** (g + 1.0)) / (1.0 - a)  # expected tokens per target run
    speedup = tokens / (g * p.cost + 1.0)  # walltime improvement factor
    best = speedup == speedup.max(axis=1, keepdims=True)
    return {
        "speedup": speedup,
        "excess": speedup - 1.0,
        "tokens": tokens,
        "best": best,
        "alphas": alphas,
        "gammas": gammas,
        "alpha_labels": np.array([f"{v:.1f}" for v in alphas]),
        "best_gamma": gammas[np.argmax(speedup, axis=1)],
        "best_speedup": speedup.max(axis=1),
        "gamma1_bound": (1.0 + alphas) / (1.0 + p.cost),
        "cost": p.cost,
        "speedup_max": float(speedup.max()),
    }


def _attention_dilution(p: FigureParams, rng: np.random.Generator) -> Arrays:
    n = np.array(sorted(set(p.lengths)), float)[:, None]
    m = np.array(sorted(set(p.margins)), float)[None, :]
    plain = np.exp(m) / (np.exp(m) + n - 1.0)  # one key m above n - 1 equal others
    scaled = n**m / (n**m + n - 1.0)  # the same logits multiplied by log n
    return {
        "plain": plain,
        "scaled": scaled,
        "plain_major": plain > 0.5,
        "scaled_major": scaled > 0.5,
        "lengths": n.ravel().astype(int),
        "margins": m.ravel(),
        "margin_labels": np.array([f"{v:g}" for v in m.ravel()]),
    }


def _exposure_bias(p: FigureParams, rng: np.random.Generator) -> Arrays:
    if p.allowed >= p.symbols:
        msg = "allowed must be below symbols"
        raise ValueError(msg)
    v = p.symbols
    # The source: the next token depends on the last two; each pair allows ``allowed`` tokens.
    allow = np.zeros((v, v, v), bool)
    for a in range(v):
        for b in range(v):
            allow[a, b, rng.choice(v, p.allowed, replace=False)] = True
    cum_true = np.cumsum(allow / allow.sum(axis=2, keepdims=True), axis=2)

    def draw(cum: np.ndarray) -> np.ndarray:
        return np.minimum((cum < rng.random((cum.shape[0], 1))).sum(axis=1), v - 1)

    # The model: counts of the next token after the last three, from teacher-forced sequences.
    counts = np.zeros((v, v, v, v))
    x = np.zeros((p.train_seqs, 3), int)
    for t in range(p.horizon + 1):
        c = draw(cum_true[x[:, 1], x[:, 2]])
        if t >= 1:
            np.add.at(counts, (x[:, 0], x[:, 1], x[:, 2], c), 1.0)
        x = np.stack([x[:, 1], x[:, 2], c], axis=1)
    model = (counts + p.smoothing) / (counts + p.smoothing).sum(axis=3, keepdims=True)
    seen = counts.sum(axis=3) > 0
    forbidden_mass = 1.0 - (model * allow[None]).sum(axis=3)
    cum_model = np.cumsum(model, axis=3)

    def run(teacher: bool) -> tuple[np.ndarray, np.ndarray]:
        x = np.zeros((p.rollouts, 3), int)
        for _ in range(3):  # a start drawn from the source, as in training
            x = np.stack([x[:, 1], x[:, 2], draw(cum_true[x[:, 1], x[:, 2]])], axis=1)
        err, unseen = np.zeros(p.horizon), np.zeros(p.horizon)
        for t in range(p.horizon):
            ctx = (x[:, 0], x[:, 1], x[:, 2])
            err[t] = forbidden_mass[ctx].mean()
            unseen[t] = 1.0 - seen[ctx].mean()
            c = draw(cum_true[x[:, 1], x[:, 2]] if teacher else cum_model[ctx])
            x = np.stack([x[:, 1], x[:, 2], c], axis=1)
        return err, unseen

    tf_err, tf_unseen = run(teacher=True)
    fr_err, fr_unseen = run(teacher=False)
    return {
        "position": np.arange(1, p.horizon + 1),
        "error_teacher": tf_err,
        "error_free": fr_err,
        "unseen_teacher": tf_unseen,
        "unseen_free": fr_unseen,
        "error_teacher_mean": float(tf_err[10:].mean()),
        "error_free_mean": float(fr_err[10:].mean()),
        "unseen_free_mean": float(fr_unseen[10:].mean()),
        "contexts_seen": float(seen.mean()),
    }


FIGURE_EXPERIMENTS: dict[str, Callable[[FigureParams, np.random.Generator], Arrays]] = {
    "mlm-masking": _mlm_masking,
    "position-interpolation": _position_interpolation,
    "perplexity-simplex": _perplexity_simplex,
    "parity-scratchpad": _parity_scratchpad,
    "speculative-speedup": _speculative_speedup,
    "attention-dilution": _attention_dilution,
    "exposure-bias": _exposure_bias,
}


@recipe("lm-figure", FigureParams)
def lm_figure(p: FigureParams, rng: np.random.Generator) -> Arrays:
    """Exact or simulated structures of language models (see the module docstring)."""
    return FIGURE_EXPERIMENTS[p.experiment](p, rng)
