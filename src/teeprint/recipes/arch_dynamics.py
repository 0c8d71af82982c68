"""Architectures family, second half: signals through depth and time, drawn as curves.

Two generic recipes, each with a parameter that names the experiment:

* ``sequence-model`` — ``model`` = ``lstm-latch`` (a hand-wired LSTM cell), ``echo-state`` (a
  random reservoir with a ridge read-out), ``hopfield`` (asynchronous recall), ``ssm-kernel``
  (the discretised HiPPO-LegS state-space kernel, closed form);
* ``depth-signal`` — ``experiment`` = ``residual`` (gradient norm per layer with and without
  identity shortcuts) or ``batchnorm`` (activation histograms per layer with and without batch
  normalisation).

Registered by import from :mod:`teeprint.recipes.architectures` (one module per family in the
registry; split here to keep each file under ~500 lines).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe


def _sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, float)))


class SequenceParams(Params):
    """Which sequence model, and its sizes; each model reads only the fields it needs."""

    model: Literal["lstm-latch", "echo-state", "hopfield", "ssm-kernel"]
    steps: int = Field(100, ge=20, le=2000, description="time steps shown")
    write_at: int = Field(10, ge=1, le=500, description="lstm-latch: step of the write pulse")
    read_at: int = Field(80, ge=2, le=1999, description="lstm-latch: step of the read cue")
    gate_gain: float = Field(12.0, ge=1.0, le=40.0, description="lstm-latch: gate steepness")
    reservoir: int = Field(200, ge=20, le=400, description="echo-state: units")
    spectral_radius: float = Field(0.9, ge=0.1, le=1.2)
    ridge: float = Field(1e-6, ge=1e-10, le=1.0)
    horizon: int = Field(20, ge=1, le=100, description="echo-state: steps ahead predicted")
    neurons: int = Field(64, ge=16, le=256, description="hopfield: units")
    patterns: int = Field(3, ge=1, le=20, description="hopfield: stored patterns")
    flip: float = Field(0.25, ge=0.0, le=0.45, description="hopfield: share of cue bits flipped")
    state: int = Field(8, ge=2, le=64, description="ssm-kernel: state size N")
    dt: float = Field(0.05, ge=1e-3, le=1.0, description="ssm-kernel: step Δ")
    show_states: int = Field(4, ge=1, le=8, description="ssm-kernel: impulse responses drawn")


def _lstm_latch(p: SequenceParams, rng: np.random.Generator) -> Arrays:
    """Hochreiter & Schmidhuber (1997), one cell wired by hand, in the original form without
    a forget gate: the cell is a constant error carousel, c <- c + i g.  Input: a value channel
    carrying a distractor wave at every step and +1 at the write step, a write flag and a read
    flag.  The input gate opens only on the write flag, the output gate only on the read flag.
    """
    t = np.arange(p.steps)
    value = 0.8 * np.sin(0.7 * t)
    write = (t == p.write_at).astype(float)
    read = (t == p.read_at).astype(float)
    value[p.write_at] = 1.0
    g = p.gate_gain
    c = 0.0
    rows = {k: np.zeros(p.steps) for k in ("cell", "input_gate", "output_gate", "output")}
    for k in range(p.steps):
        i = float(_sigmoid(g * write[k] - g / 2))
        o = float(_sigmoid(g * read[k] - g / 2))
        c = c + i * math.tanh(3.0 * value[k])
        rows["cell"][k], rows["input_gate"][k], rows["output_gate"][k] = c, i, o
        rows["output"][k] = o * math.tanh(c)
    out: Arrays = {"t": t.astype(float), "value": value, **rows}
    out["cell_after_write"] = float(rows["cell"][p.write_at])
    out["cell_before_read"] = float(rows["cell"][p.read_at - 1])
    out["output_at_read"] = float(rows["output"][p.read_at])
    mask = np.ones(p.steps, bool)
    mask[p.read_at] = False
    out["output_elsewhere"] = float(np.abs(rows["output"][mask]).max())
    out["write_at"], out["read_at"] = float(p.write_at), float(p.read_at)
    return out


def mackey_glass(n: int, tau: int = 17, dt: float = 1.0, sub: int = 10) -> np.ndarray:
    """The Mackey-Glass delay equation dx/dt = 0.2 x(t-tau)/(1 + x(t-tau)^10) - 0.1 x, Euler
    steps of dt/sub from a constant history 1.2, sampled every dt (deterministic)."""
    h = dt / sub
    lag = int(round(tau / h))
    total = (n + 200) * sub
    x = np.full(total + lag, 1.2)
    for k in range(lag, total + lag - 1):
        xd = x[k - lag]
        x[k + 1] = x[k] + h * (0.2 * xd / (1 + xd**10) - 0.1 * x[k])
    return x[lag::sub][200:200 + n]


def _echo_state(p: SequenceParams, rng: np.random.Generator) -> Arrays:
    """Jaeger & Haas (2004): a fixed random reservoir driven by the series, and a linear
    read-out fitted by ridge regression to predict the value ``horizon`` steps ahead; tested
    on steps it never saw, against the naive forecast "no change"."""
    n_train, n_test, hz = 1500, p.steps, p.horizon
    series = mackey_glass(n_train + n_test + hz)
    u = np.tanh(series - 1.0)  # centred input
    w = rng.normal(size=(p.reservoir, p.reservoir))
    w *= p.spectral_radius / max(abs(np.linalg.eigvals(w)))
    w_in = rng.uniform(-1, 1, p.reservoir)
    x = np.zeros(p.reservoir)
    states = np.empty((len(u) - 1, p.reservoir))
    for k in range(len(u) - 1):
        x = np.tanh(w @ x + w_in * u[k])
        states[k] = x
    washout = 100
    a, y = states[washout:n_train], u[washout + hz:n_train + hz]
    a1 = np.hstack([a, np.ones((len(a), 1))])
    w_out = np.linalg.solve(a1.T @ a1 + p.ridge * np.eye(a1.shape[1]), a1.T @ y)
    test_states = np.hstack([states[n_train:n_train + n_test], np.ones((n_test, 1))])
    pred = np.arctanh(np.clip(test_states @ w_out, -0.999999, 0.999999)) + 1.0
    target = series[n_train + hz:n_train + n_test + hz]
    nrmse = float(np.sqrt(np.mean((pred - target) ** 2)) / np.std(target))
    persistence = float(np.sqrt(np.mean((series[n_train:n_train + n_test] - target) ** 2))
                        / np.std(target))
    return {"t": np.arange(n_test, dtype=float), "target": target, "prediction": pred,
            "error": pred - target, "nrmse": nrmse, "persistence_nrmse": persistence,
            "reservoir": float(p.reservoir), "spectral_radius": float(p.spectral_radius),
            "horizon": float(hz), "now": series[n_train:n_train + n_test]}


def _hopfield(p: SequenceParams, rng: np.random.Generator) -> Arrays:
    """Hopfield (1982): Hebbian weights W = (1/N) sum_p x_p x_p^T (zero diagonal); from a cue
    with a share of bits flipped, update one unit at a time in random order, three sweeps.
    The energy -1/2 s^T W s never rises; the state settles on the stored pattern."""
    n = p.neurons
    pats = rng.choice([-1.0, 1.0], size=(p.patterns, n))
    w = pats.T @ pats / n
    np.fill_diagonal(w, 0.0)
    s = pats[0].copy()
    s[rng.choice(n, int(round(p.flip * n)), replace=False)] *= -1
    order = np.concatenate([rng.permutation(n) for _ in range(3)])
    overlaps = np.empty((len(order) + 1, p.patterns))
    energy = np.empty(len(order) + 1)
    overlaps[0], energy[0] = pats @ s / n, -0.5 * s @ w @ s
    for k, unit in enumerate(order, 1):
        h = w[unit] @ s
        if h != 0:
            s[unit] = 1.0 if h > 0 else -1.0
        overlaps[k], energy[k] = pats @ s / n, -0.5 * s @ w @ s
    out: Arrays = {"update": np.arange(len(order) + 1, dtype=float), "energy": energy,
                   "energy_scaled": energy / abs(energy).max(),
                   "overlap_target": overlaps[:, 0], "final_overlap": float(overlaps[-1, 0]),
                   "start_overlap": float(overlaps[0, 0]), "neurons": float(n),
                   "stored": float(p.patterns)}
    for j in range(1, p.patterns):
        out[f"overlap_other_{j}"] = overlaps[:, j]
    out["max_other_final"] = float(np.abs(overlaps[-1, 1:]).max()) if p.patterns > 1 else 0.0
    return out


def hippo_legs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gu et al.: HiPPO-LegS, A[n,k] = -sqrt(2n+1) sqrt(2k+1) below the diagonal, -(n+1) on it."""
    q = np.sqrt(2 * np.arange(n) + 1.0)
    a = -np.tril(np.outer(q, q), -1) - np.diag(np.arange(1, n + 1.0))
    return a, q.copy()


def _ssm_kernel(p: SequenceParams, rng: np.random.Generator) -> Arrays:
    """Gu, Goel & Ré (2022): the continuous system x' = Ax + Bu discretised by the bilinear
    rule, Ā = (I - Δ/2 A)^-1 (I + Δ/2 A), B̄ = (I - Δ/2 A)^-1 Δ B; the convolution kernel of
    state n is K̄_n[l] = (Ā^l B̄)_n.  Rows: the first ``show_states`` states' impulse responses."""
    a, b = hippo_legs(p.state)
    eye = np.eye(p.state)
    inv = np.linalg.inv(eye - p.dt / 2 * a)
    a_bar, b_bar = inv @ (eye + p.dt / 2 * a), inv @ (p.dt * b)
    resp = np.empty((p.steps, p.state))
    x = b_bar.copy()
    for ell in range(p.steps):
        resp[ell] = x
        x = a_bar @ x
    eig = np.abs(np.linalg.eigvals(a_bar))
    rows = resp[:, : p.show_states].T
    crossings = [int(np.count_nonzero(np.diff(np.sign(r[np.abs(r) > 1e-9])) != 0)) for r in rows]
    out: Arrays = {"lag": np.arange(p.steps, dtype=float), "kernels": rows,
                   "max_eigenvalue": float(eig.max()), "zero_crossings": np.asarray(crossings, float),
                   "dt": float(p.dt), "state": float(p.state)}
    for i, r in enumerate(rows):
        out[f"kernel_{i}"] = r
    return out


@recipe("sequence-model", SequenceParams)
def sequence_model(p: SequenceParams, rng: np.random.Generator) -> Arrays:
    """A recurrent or state-space model run over time, named by ``model``."""
    if p.model == "lstm-latch" and not p.write_at < p.read_at < p.steps:
        msg = "lstm-latch needs write_at < read_at < steps"
        raise ValueError(msg)
    return {"lstm-latch": _lstm_latch, "echo-state": _echo_state, "hopfield": _hopfield,
            "ssm-kernel": _ssm_kernel}[p.model](p, rng)


class DepthParams(Params):
    """Which signal-through-depth experiment, and the network's sizes."""

    experiment: Literal["residual", "batchnorm"]
    depth: int = Field(50, ge=4, le=100)
    width: int = Field(64, ge=8, le=256)
    batch: int = Field(256, ge=16, le=1024)
    draws: int = Field(5, ge=1, le=20, description="residual: networks drawn, median shown")
    weight_scale: float = Field(1.0, ge=0.1, le=4.0, description="weights N(0, scale^2 / fan_in)")
    branch_scale: float | None = Field(None, ge=0.0, le=2.0, description="residual: branch factor (default 1/sqrt(depth))")
    bins: int = Field(61, ge=11, le=201, description="batchnorm: histogram bins")


def _residual(p: DepthParams, rng: np.random.Generator) -> Arrays:
    """He et al. (2016): backpropagate a random unit gradient from the top of a ReLU network at
    initialisation (LeCun-normal weights) and measure the gradient norm reaching each layer,
    for a plain stack h' = relu(W h) and a residual one h' = h + a W relu(h), the branch
    scaled by a = 1/sqrt(depth) unless ``branch_scale`` says otherwise (unscaled branches make
    the variance grow by 3/2 a layer)."""
    alpha = p.branch_scale if p.branch_scale is not None else 1.0 / math.sqrt(p.depth)
    grads: dict[str, list[np.ndarray]] = {"plain": [], "residual": []}
    for _ in range(p.draws):
        x0 = rng.normal(size=(p.batch, p.width))
        ws = [rng.normal(size=(p.width, p.width)) * p.weight_scale / math.sqrt(p.width)
              for _ in range(p.depth)]
        top = rng.normal(size=(p.batch, p.width))
        for kind in ("plain", "residual"):
            h, cache = x0, []
            for w in ws:
                pre = h @ w if kind == "plain" else np.maximum(h, 0.0)
                cache.append(pre)
                h = np.maximum(pre, 0.0) if kind == "plain" else h + alpha * (pre @ w)
            g, norms = top, [float(np.linalg.norm(top))]
            for w, pre in zip(ws[::-1], cache[::-1], strict=True):
                if kind == "plain":
                    g = (g * (pre > 0)) @ w.T
                else:
                    g = g + alpha * ((g @ w.T) * (pre > 0))
                norms.append(float(np.linalg.norm(g)))
            grads[kind].append(np.asarray(norms[::-1]) / norms[0])
    plain = np.median(np.asarray(grads["plain"]), axis=0)
    resid = np.median(np.asarray(grads["residual"]), axis=0)
    return {"layer": np.arange(p.depth + 1, dtype=float), "grad_plain": plain,
            "grad_residual": resid, "plain_first": float(plain[0]),
            "residual_first": float(resid[0]), "depth": float(p.depth),
            "plain_decay_per_layer": float(plain[0] ** (1 / p.depth)),
            "residual_min": float(resid.min()), "residual_max": float(resid.max()),
            "branch_scale": float(alpha)}


def _batchnorm(p: DepthParams, rng: np.random.Generator) -> Arrays:
    """Ioffe & Szegedy (2015): activations of a deep tanh MLP at initialisation with weights
    too large, layer by layer, without and with batch normalisation of each pre-activation
    (mean 0, variance 1 over the batch, no learned scale)."""
    edges = np.linspace(-1.0, 1.0, p.bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    dens: dict[str, list[np.ndarray]] = {"plain": [], "bn": []}
    sat: dict[str, list[float]] = {"plain": [], "bn": []}
    x0 = rng.normal(size=(p.batch, p.width))
    ws = [rng.normal(size=(p.width, p.width)) * p.weight_scale / math.sqrt(p.width)
          for _ in range(p.depth)]
    for kind in ("plain", "bn"):
        h = x0
        for w in ws:
            pre = h @ w
            if kind == "bn":
                pre = (pre - pre.mean(axis=0)) / (pre.std(axis=0) + 1e-5)
            h = np.tanh(pre)
            hist, _ = np.histogram(h, edges)
            dens[kind].append(hist / hist.sum())
            sat[kind].append(float(np.mean(np.abs(h) > 0.95)))
    return {"x": centres, "density_plain": np.asarray(dens["plain"]),
            "density_bn": np.asarray(dens["bn"]), "layer": np.arange(1, p.depth + 1),
            "saturated_plain": np.asarray(sat["plain"]), "saturated_bn": np.asarray(sat["bn"]),
            "weight_scale": float(p.weight_scale)}


@recipe("depth-signal", DepthParams)
def depth_signal(p: DepthParams, rng: np.random.Generator) -> Arrays:
    """A signal measured layer by layer through a network at initialisation."""
    return {"residual": _residual, "batchnorm": _batchnorm}[p.experiment](p, rng)
