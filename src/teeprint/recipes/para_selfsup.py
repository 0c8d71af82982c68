"""Paradigms in a small numpy lab: causal adjustment and semi-supervised consistency.

One recipe, ``paradigm-lab``; ``experiment`` names the study:

- ``backdoor`` (Pearl 1995): a confounder Z (binary) raises the chance of treatment X and
  lowers the chance of recovery Y; the conditional tables ``p_z``, ``p_x`` (P(X=1 | Z=0, 1)) and
  ``p_y`` (P(Y=1 | X, Z) in the order (x, z) = 00, 01, 10, 11) define the model.  ``n``
  observational draws give the naive difference P(Y | X=1) - P(Y | X=0) and the back-door
  adjusted difference sum_z [P(Y | 1, z) - P(Y | 0, z)] P(z); ``n`` draws of a randomised trial
  (X a fair coin, cut from Z) give the interventional difference; ``exact`` is the adjusted
  difference of the tables themselves.  Arrays: ``edges_signed`` (Z->X: P(X | Z=1) - P(X | Z=0);
  Z->Y: the stratum difference in Y averaged over X by its share; X->Y: the adjusted difference)
  and ``edges`` (their sizes), ``estimates`` (1, 4: naive, adjusted, randomised, exact),
  ``estimate_names``, ``naive_mark`` (1, 4: True on the naive one), ``strata`` (2, 2: P(Y | x, z)
  estimated, rows z, columns x), ``stratum_names``, ``treatment_names``, ``treated_share`` (P(X=1 | z)
  estimated); scalars ``naive``, ``adjusted``, ``randomised``, ``exact``, ``naive_exact``, and
  over ``repeats`` fresh data sets ``adjusted_sd`` and ``naive_sd`` (standard deviations).
- ``fixmatch`` (Sohn et al. 2020): a toy set (``dataset``, ``n`` points, ``noise``) with
  ``labelled`` labels per class; the model is logistic regression without bias on Gaussian RBF
  features (``width``) centred at the ``n`` points, trained by full-batch gradient descent
  (``steps``, ``lr``).  Each step every point gets a weak jitter (sd ``weak``) and a strong one
  (sd ``strong``), drawn from ``pool`` precomputed copies per point; the labelled points give
  cross-entropy on their weak copy; an unlabelled point whose weak copy is predicted with
  confidence >= ``tau`` gives cross-entropy (weight ``lam``) between that pseudo-label and the
  prediction on its strong copy.  Panel 0 is the same model trained on the labels alone; the
  next panels are the FixMatch model after each of ``snapshots`` steps.  Arrays: ``grid_x``,
  ``grid_y``, ``score`` (P, ny, nx), ``points`` (P, n, 2), ``classes`` (P, n: the label, the
  pseudo-label where confident, else -1), ``rings`` (P, n: the labelled points), ``truth`` (n,),
  ``confident`` (P,) share of unlabelled points above ``tau``, ``pseudo_correct`` (P,) share of
  those pseudo-labels that are right, ``accuracy`` (P,) on the unlabelled points; scalars
  ``acc_supervised``, ``acc_fixmatch`` (final), ``n_labels``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.boundaries import grid_for, toy_data

Experiment = Literal["backdoor", "fixmatch"]


class LabParams(Params):
    """Knobs of the lab studies; each reads the ones it needs."""

    experiment: Experiment
    n: int = Field(4000, ge=50, le=100_000, description="draws per data set")
    repeats: int = Field(50, ge=1, le=400, description="fresh data sets for the spread of an estimate")
    p_z: float = Field(0.5, ge=0.01, le=0.99, description="backdoor: P(Z = 1)")
    p_x: tuple[float, float] = Field((0.2, 0.8), description="backdoor: P(X = 1 | Z = 0), P(X = 1 | Z = 1)")
    p_y: tuple[float, float, float, float] = Field(
        (0.7, 0.3, 0.8, 0.4), description="backdoor: P(Y = 1 | x, z) for (x, z) = 00, 01, 10, 11")

    dataset: Literal["moons", "circles", "spirals"] = "moons"
    noise: float = Field(0.06, ge=0.0, le=0.5, description="fixmatch: sd of the points' noise")
    labelled: int = Field(1, ge=1, le=20, description="fixmatch: labels per class")
    width: float = Field(0.1, ge=0.01, le=2.0, description="fixmatch: RBF width")
    weak: float = Field(0.01, ge=0.0, le=1.0, description="fixmatch: sd of the weak jitter")
    strong: float = Field(0.05, ge=0.0, le=1.0, description="fixmatch: sd of the strong jitter")
    tau: float = Field(0.8, ge=0.5, le=0.999, description="fixmatch: confidence threshold")
    lam: float = Field(1.0, ge=0.0, le=100.0, description="fixmatch: weight of the unlabelled loss")
    steps: int = Field(800, ge=1, le=5000)
    lr: float = Field(20.0, ge=1e-3, le=1000.0)
    pool: int = Field(6, ge=1, le=32, description="fixmatch: precomputed jitters per point")
    snapshots: tuple[int, ...] = Field((800,), min_length=1, max_length=3, description="fixmatch: steps drawn")
    grid: int = Field(60, ge=20, le=160)

    @model_validator(mode="after")
    def _probabilities(self) -> LabParams:
        if not all(0.0 <= v <= 1.0 for v in (*self.p_x, *self.p_y)):
            msg = "p_x and p_y are probabilities: each within 0..1"
            raise ValueError(msg)
        if not all(0.01 <= v <= 0.99 for v in self.p_x):
            msg = "p_x must leave both treatments possible in each stratum (0.01..0.99)"
            raise ValueError(msg)
        if any(not 1 <= k <= self.steps for k in self.snapshots) or list(self.snapshots) != sorted(set(self.snapshots)):
            msg = "snapshots are increasing step counts within 1..steps"
            raise ValueError(msg)
        if self.experiment == "fixmatch" and (self.n > 1000 or 2 * self.pool * self.n**2 > 8_000_000):
            msg = "fixmatch keeps two n x n feature matrices per jitter: n at most 1000 and 2 pool n^2 at most 8e6"
            raise ValueError(msg)
        return self


# -- backdoor adjustment -------------------------------------------------------------------------------------


def _draw(p: LabParams, rng: np.random.Generator, randomised: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = (rng.random(p.n) < p.p_z).astype(int)
    px = np.full(p.n, 0.5) if randomised else np.asarray(p.p_x)[z]
    x = (rng.random(p.n) < px).astype(int)
    y = (rng.random(p.n) < np.asarray(p.p_y)[2 * x + z]).astype(int)
    return z, x, y


def _cond(y: np.ndarray, mask: np.ndarray) -> float:
    """P(y = 1 | mask), 0.5 for an empty cell (only reachable with tiny n)."""
    k = int(mask.sum())
    return float(y[mask].mean()) if k else 0.5


def _estimates(z: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    naive = _cond(y, x == 1) - _cond(y, x == 0)
    strata = np.array([[_cond(y, (z == zz) & (x == xx)) for xx in (0, 1)] for zz in (0, 1)])
    pz = np.array([np.mean(z == 0), np.mean(z == 1)])
    adjusted = float(pz @ (strata[:, 1] - strata[:, 0]))
    return naive, adjusted, strata


def _backdoor(p: LabParams, rng: np.random.Generator) -> Arrays:
    z, x, y = _draw(p, rng, randomised=False)
    naive, adjusted, strata = _estimates(z, x, y)
    zr, xr, yr = _draw(p, rng, randomised=True)
    randomised = _cond(yr, xr == 1) - _cond(yr, xr == 0)
    py = np.asarray(p.p_y).reshape(2, 2)  # [x, z]
    pz = np.array([1 - p.p_z, p.p_z])
    exact = float(pz @ (py[1] - py[0]))
    px = np.asarray(p.p_x)
    joint = pz[None, :] * np.stack([1 - px, px])  # [x, z]
    naive_exact = float((joint[1] @ py[1]) / joint[1].sum() - (joint[0] @ py[0]) / joint[0].sum())
    spread = np.array([_estimates(*_draw(p, rng, randomised=False))[:2] for _ in range(p.repeats)])
    treated = np.array([_cond(x, z == 0), _cond(x, z == 1)])
    share_x = float(np.mean(x))
    z_effect = (1 - share_x) * (strata[1, 0] - strata[0, 0]) + share_x * (strata[1, 1] - strata[0, 1])
    return {
        "edges": np.array([abs(treated[1] - treated[0]), abs(z_effect), abs(adjusted)]),
        "edges_signed": np.array([treated[1] - treated[0], z_effect, adjusted]),
        "estimates": np.array([[naive, adjusted, randomised, exact]]),
        "estimate_names": np.array(["naive", "adjusted", "trial", "exact"]),
        "naive_mark": np.array([[True, False, False, False]]),
        "strata": strata, "stratum_names": np.array(["Z = 0", "Z = 1"]),
        "treatment_names": np.array(["X = 0", "X = 1"]), "treated_share": treated,
        "naive": naive, "adjusted": adjusted, "randomised": randomised, "exact": exact,
        "naive_exact": naive_exact, "naive_sd": float(spread[:, 0].std()), "adjusted_sd": float(spread[:, 1].std()),
        "n_draws": float(p.n),
    }


# -- FixMatch ---------------------------------------------------------------------------------------------------


def _rbf(x: np.ndarray, centres: np.ndarray, width: float) -> np.ndarray:
    d2 = ((x[:, None, :] - centres[None]) ** 2).sum(-1)
    return np.asarray(np.exp(-d2 / (2 * width * width)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


def _fixmatch(p: LabParams, rng: np.random.Generator) -> Arrays:
    x, y = toy_data(p.dataset, p.n, p.noise, 2, rng)
    x = x + p.noise * rng.normal(size=x.shape)
    lab = np.concatenate([rng.choice(np.flatnonzero(y == c), p.labelled, replace=False) for c in (0, 1)])
    unl = np.setdiff1d(np.arange(p.n), lab)
    weak = np.stack([_rbf(x + p.weak * rng.normal(size=x.shape), x, p.width) for _ in range(p.pool)])
    strong = np.stack([_rbf(x + p.strong * rng.normal(size=x.shape), x, p.width) for _ in range(p.pool)])
    rows = np.arange(p.n)
    gx, gy, g = grid_for(x, p.grid, pad=0.15)
    grid_feats = _rbf(g, x, p.width)
    clean = _rbf(x, x, p.width)

    def train(unlabelled: bool, stops: tuple[int, ...]) -> list[np.ndarray]:
        w = np.zeros(p.n)
        out = []
        for t in range(1, p.steps + 1):
            fw = weak[rng.integers(p.pool, size=p.n), rows]
            q = _sigmoid(fw @ w)
            g_w = np.zeros(p.n)
            g_w[lab] = (q[lab] - y[lab]) / len(lab)
            grad = fw.T @ g_w
            if unlabelled:
                fs = strong[rng.integers(p.pool, size=p.n), rows]
                mask = np.maximum(q, 1 - q) >= p.tau
                mask[lab] = False
                g_s = p.lam * mask * (_sigmoid(fs @ w) - (q > 0.5)) / len(unl)
                grad = grad + fs.T @ g_s
            w = w - p.lr * grad
            if t in stops:
                out.append(w.copy())
        return out

    weights = train(False, (p.steps,)) + train(True, p.snapshots)
    panels = len(weights)
    score = np.stack([(grid_feats @ w).reshape(len(gy), len(gx)) for w in weights])
    classes = np.full((panels, p.n), -1)
    confident, correct, accuracy = np.zeros(panels), np.zeros(panels), np.zeros(panels)
    for i, w in enumerate(weights):
        prob = _sigmoid(clean @ w)
        sure = np.maximum(prob, 1 - prob) >= p.tau
        pred = (prob > 0.5).astype(int)
        if i > 0:
            classes[i, sure] = pred[sure]
        classes[i, lab] = y[lab]
        confident[i] = float(sure[unl].mean())
        correct[i] = float((pred[unl] == y[unl])[sure[unl]].mean()) if sure[unl].any() else 1.0
        accuracy[i] = float((pred[unl] == y[unl]).mean())
    rings = np.zeros((panels, p.n), bool)
    rings[:, lab] = True
    return {
        "grid_x": gx, "grid_y": gy, "score": score, "points": np.repeat(x[None], panels, axis=0),
        "classes": classes, "rings": rings, "truth": y, "confident": confident,
        "pseudo_correct": correct, "accuracy": accuracy, "acc_supervised": float(accuracy[0]),
        "acc_fixmatch": float(accuracy[-1]), "n_labels": float(len(lab)),
    }


EXPERIMENTS: dict[str, Callable[[LabParams, np.random.Generator], Arrays]] = {"backdoor": _backdoor, "fixmatch": _fixmatch}


@recipe("paradigm-lab", LabParams)
def paradigm_lab(p: LabParams, rng: np.random.Generator) -> Arrays:
    """A small study of a learning paradigm, named by ``experiment`` (module docstring)."""
    return EXPERIMENTS[p.experiment](p, rng)
