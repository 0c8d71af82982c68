"""Pathologies: what continual training does to a network's ability to keep learning.

One recipe, ``plasticity``: a one-hidden-layer ReLU network (``width`` units, He init) meets a
sequence of ``tasks`` tasks on the same ``n`` Gaussian inputs (dimension ``dim``): each task draws
fresh random +/-1 labels, and the network is trained on it for ``steps`` full-batch Adam steps
(squared loss, step ``lr``) starting from wherever the previous task left it.  Each entry of
``methods`` is one run from the same initial weights and the same label sequence:

- ``backprop``: plain training, nothing else;
- ``shrink-perturb`` (Ash & Adams 2020): at each task switch every weight becomes
  ``shrink`` * w + ``perturb`` * N(0, 1);
- ``continual-backprop`` (Dohare et al. 2024): after every step, hidden units older than
  ``maturity`` steps are candidates; ``replacement`` units per step (accumulated) with the
  lowest contribution utility (running mean of /activation/ * /outgoing weight/, decay 0.99)
  get fresh He-initialised input weights, a zero outgoing weight and fresh Adam moments.

Arrays, for M methods, T tasks, H units: ``error`` (M, T) share of the task's labels still wrong
at its end; ``dormant`` (M, T) share of units that fire on none of the inputs at the task's end;
``activity`` (M, H, T) share of inputs each unit fires on at each task's end, units sorted by how
long they stayed active (``sort_units``), also per method as ``activity_<key>`` (H, T) with
``silent_<key>`` (True where a unit fires on no input); ``error_blocks`` (M, T / ``block``) the
error averaged over each ``block`` consecutive tasks, labelled by the block's last task in
``block_labels``, ``error_marked`` (block error above ``mark``); ``weight_norm`` (M, T) root-mean-square weight; per-method
scalars ``error_first_<key>``, ``error_last_<key>`` (mean over the first and last ``window``
tasks), ``dormant_last_<key>``, ``dormant_max_<key>``; ``method_names``, ``task_labels``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

Method = Literal["backprop", "shrink-perturb", "continual-backprop"]
_NAMES = {"backprop": "backprop", "shrink-perturb": "shrink and perturb", "continual-backprop": "continual backprop"}


class PlasticityParams(Params):
    """The task sequence, the network, the optimiser and the remedies."""

    methods: tuple[Method, ...] = Field(("backprop", "shrink-perturb"), min_length=1, max_length=3)
    tasks: int = Field(60, ge=4, le=200)
    steps: int = Field(60, ge=5, le=1000, description="Adam steps per task")
    n: int = Field(128, ge=8, le=1000, description="inputs (shared by all tasks)")
    dim: int = Field(16, ge=2, le=256)
    width: int = Field(24, ge=2, le=256)
    lr: float = Field(0.03, ge=1e-5, le=1.0)
    shrink: float = Field(0.8, ge=0.0, le=1.0)
    perturb: float = Field(0.01, ge=0.0, le=1.0)
    replacement: float = Field(0.01, ge=0.0, le=1.0, description="continual backprop: units per step")
    maturity: int = Field(50, ge=1, le=10_000)
    window: int = Field(10, ge=1, le=100, description="tasks averaged for the first/last scalars")
    sort_units: bool = True
    block: int = Field(1, ge=1, le=20, description="tasks averaged per column of error_blocks")
    mark: float = Field(0.05, ge=0.0, le=1.0, description="errors above this are marked (error_marked)")

    @model_validator(mode="after")
    def _window(self) -> PlasticityParams:
        if 2 * self.window > self.tasks:
            msg = "window must be at most half the number of tasks"
            raise ValueError(msg)
        if self.tasks % self.block:
            msg = f"block ({self.block}) must divide the number of tasks ({self.tasks})"
            raise ValueError(msg)
        if len(set(self.methods)) != len(self.methods):
            msg = f"methods must be distinct, got {self.methods}"
            raise ValueError(msg)
        return self


def _train(p: PlasticityParams, x: np.ndarray, labels: np.ndarray, init: list[np.ndarray],
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train every method side by side (a leading method axis on each weight) through the tasks.

    Returns per method and task: error, dormant share, unit activity (M, H, T), rms weight."""
    nm = len(p.methods)
    d, h = p.dim, p.width
    cuts = np.cumsum([0, d * h, h, h, 1])

    def views(flat: np.ndarray) -> list[np.ndarray]:
        """The weights (M,d,H), biases (M,H), read-out (M,H) and its bias (M,) inside one flat row."""
        return [flat[:, cuts[0]:cuts[1]].reshape(nm, d, h), flat[:, cuts[1]:cuts[2]],
                flat[:, cuts[2]:cuts[3]], flat[:, cuts[3]]]

    flat = np.concatenate([np.repeat(a.reshape(1, -1), nm, axis=0) for a in init], axis=1)
    m, v, grad = np.zeros_like(flat), np.zeros_like(flat), np.zeros_like(flat)
    th, mv, vv = views(flat), views(m), views(v)
    b1, b2, eps = 0.9, 0.999, 1e-8
    sp = np.array([mm == "shrink-perturb" for mm in p.methods])
    cb = [j for j, mm in enumerate(p.methods) if mm == "continual-backprop"]
    util = np.zeros((nm, p.width))
    age = np.zeros((nm, p.width))
    owed = np.zeros(nm)
    err, dormant, rms = np.zeros((nm, p.tasks)), np.zeros((nm, p.tasks)), np.zeros((nm, p.tasks))
    activity = np.zeros((nm, p.width, p.tasks))
    t = 0
    xt = np.ascontiguousarray(x.T)
    for k in range(p.tasks):
        y = labels[k]
        if k > 0 and sp.any():
            flat[sp] = p.shrink * flat[sp] + p.perturb * rng.normal(size=flat[sp].shape)
        for _ in range(p.steps):
            z = x @ th[0] + th[1][:, None, :]
            a = np.maximum(z, 0.0)
            f = (a @ th[2][:, :, None])[..., 0] + th[3][:, None]
            g = (f - y[None]) / p.n
            da = g[:, :, None] * th[2][:, None, :] * (z > 0)
            grad[:, cuts[0]:cuts[1]] = (xt @ da).reshape(nm, -1)
            grad[:, cuts[1]:cuts[2]] = da.sum(1)
            grad[:, cuts[2]:cuts[3]] = (g[:, None, :] @ a)[:, 0]
            grad[:, cuts[3]] = g.sum(1)
            t += 1
            m *= b1
            m += (1 - b1) * grad
            v *= b2
            v += (1 - b2) * grad * grad
            flat -= (p.lr / (1 - b1**t)) * m / (np.sqrt(v / (1 - b2**t)) + eps)
            for j in cb:
                util[j] = 0.99 * util[j] + 0.01 * np.abs(a[j]).mean(0) * np.abs(th[2][j])
                age[j] += 1
                mature = np.flatnonzero(age[j] > p.maturity)
                owed[j] += p.replacement * len(mature)
                n_new = int(owed[j])
                if n_new > 0 and len(mature):
                    owed[j] -= n_new
                    worst = mature[np.argsort(util[j][mature])[:n_new]]
                    th[0][j][:, worst] = rng.normal(0.0, np.sqrt(2.0 / p.dim), (p.dim, len(worst)))
                    for i in (1, 2):
                        th[i][j][worst] = 0.0
                    for arr in (mv, vv):
                        arr[0][j][:, worst] = 0.0
                        arr[1][j][worst] = 0.0
                        arr[2][j][worst] = 0.0
                    util[j][worst] = 0.0
                    age[j][worst] = 0
        z = x @ th[0] + th[1][:, None, :]
        a = np.maximum(z, 0.0)
        f = (a @ th[2][:, :, None])[..., 0] + th[3][:, None]
        err[:, k] = np.mean(np.sign(f) != y[None], axis=1)
        fires = (a > 0).mean(1)
        activity[:, :, k] = fires
        dormant[:, k] = np.mean(fires == 0, axis=1)
        rms[:, k] = np.sqrt((np.sum(th[0] ** 2, axis=(1, 2)) + np.sum(th[2] ** 2, axis=1)) / (p.width * (p.dim + 1)))
    return err, dormant, activity, rms


@recipe("plasticity", PlasticityParams)
def plasticity(p: PlasticityParams, rng: np.random.Generator) -> Arrays:
    """A ReLU network trained on a sequence of random-label tasks, one run per method (module docstring)."""
    x = rng.normal(size=(p.n, p.dim))
    labels = rng.choice(np.array([-1.0, 1.0]), size=(p.tasks, p.n))
    init = [rng.normal(0.0, np.sqrt(2.0 / p.dim), (p.dim, p.width)), np.zeros(p.width),
            rng.normal(0.0, np.sqrt(1.0 / p.width), p.width), np.zeros(())]
    out: Arrays = {}
    errs, dorms, acts, norms = [], [], [], []
    err, dorm, activity, rms = _train(p, x, labels, init, rng)
    for j, method in enumerate(p.methods):
        e, d, act, w = err[j], dorm[j], activity[j], rms[j]
        if p.sort_units:  # units that stayed active longest on top; ties by total activity
            alive = (act > 0).sum(1)
            act = act[np.lexsort((-act.sum(1), -alive))]
        key = method.replace("-", "_")
        out[f"error_first_{key}"] = float(e[: p.window].mean())
        out[f"error_last_{key}"] = float(e[-p.window:].mean())
        out[f"dormant_last_{key}"] = float(d[-1])
        out[f"dormant_max_{key}"] = float(d.max())
        out[f"rms_first_{key}"] = float(w[0])
        out[f"rms_last_{key}"] = float(w[-1])
        out[f"activity_{key}"] = act
        out[f"silent_{key}"] = act == 0
        errs.append(e)
        dorms.append(d)
        acts.append(act)
        norms.append(w)
    blocks = np.array(errs).reshape(len(p.methods), p.tasks // p.block, p.block).mean(axis=2)
    out.update({
        "error": np.array(errs), "error_blocks": blocks, "error_marked": blocks > p.mark,
        "block_labels": np.array([str(p.block * (b + 1)) for b in range(p.tasks // p.block)]), "dormant": np.array(dorms), "activity": np.array(acts),
        "weight_norm": np.array(norms), "method_names": np.array([_NAMES[m] for m in p.methods]),
        "task_labels": np.array([str(k + 1) for k in range(p.tasks)]),
        "unit_labels": np.array([str(i + 1) for i in range(p.width)]),
    })
    return out
