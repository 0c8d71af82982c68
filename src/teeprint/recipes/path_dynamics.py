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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from teeprint.errors import TeeprintError
from teeprint.recipes import Arrays, Params, recipe

F = np.ndarray

Experiment = Literal["rnn-gradient", "attention-rank", "gcn-smoothing", "lstm-forget",
                     "committee-plateau", "softmax-overflow", "variance-cancellation",
                     "gradient-starvation", "policy-entropy", "bn-noise", "feedback-loop",
                     "rnn-cliff", "long-tail", "stagnation", "competitive", "dropout-shift",
                     "lr-dead"]


class DynParams(Params):
    """Which experiment, and the knobs the experiments share (each docstring says its use)."""

    experiment: Experiment
    width: int = Field(32, ge=2, le=4096, description="units / dimension / tokens / subpopulations")
    depth: int = Field(24, ge=1, le=256, description="layers / horizon / propagation steps")
    steps: int = Field(100, ge=2, le=20000, description="time steps / training steps")
    lr: float = Field(0.1, gt=0.0, le=100.0, description="learning rate or step size")
    n: int = Field(64, ge=2, le=50000, description="data points / nodes / items / runs")
    repeats: int = Field(5, ge=1, le=64, description="independent draws; medians are shown")
    values: tuple[Annotated[float, Field(ge=-100.0, le=1000.0)], ...] = Field(
        (0.9, 1.0, 1.1), min_length=1, max_length=8,
        description="the experiment's swept values (radii, biases, batch sizes, drop rates ...)")
    noise: float = Field(0.5, ge=0.0, le=10.0, description="noise level of the data")


def _median(rows: list[F]) -> F:
    return np.median(np.array(rows), axis=0)


# -- exploding and vanishing gradients through time ------------------------------------------------------


def _rnn_gradient(p: DynParams, rng: np.random.Generator) -> Arrays:
    """Linear recurrence h_t = W h_(t-1): the gradient from step t back to step t-k is
    multiplied by W^k, whose norm grows or shrinks like rho^k with the spectral radius rho of
    W (Pascanu et al. 2013).  W is Gaussian, rescaled to each radius in ``values``; the norm is
    the spectral norm of W^k, median over ``repeats`` draws; lags 0..``steps``."""
    n, lags = p.width, p.steps
    out_rows = []
    for rho in p.values:
        runs = []
        for _ in range(p.repeats):
            g = rng.normal(size=(n, n)) / math.sqrt(n)
            w = g * (rho / float(np.max(np.abs(np.linalg.eigvals(g)))))
            m = np.eye(n)
            norms = np.empty(lags + 1)
            norms[0] = 1.0
            for k in range(1, lags + 1):
                m = m @ w
                norms[k] = np.linalg.norm(m, 2)
            runs.append(norms)
        out_rows.append(_median(runs))
    grad = np.array(out_rows)
    out: Arrays = {"lag": np.arange(lags + 1), "grad": grad, "radii": np.array(p.values),
                   "log_grad": np.log10(grad)}
    for i in range(len(p.values)):
        out[f"grad_{i}"] = grad[i]
    return out


# -- rank collapse in pure attention -------------------------------------------------------------------------


def _softmax_rows(z: F) -> F:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _rank_residual(x: F) -> float:
    """||X - 1 x_bar'|| / ||X||: how far the token matrix is from having identical rows."""
    return float(np.linalg.norm(x - x.mean(axis=0)) / np.linalg.norm(x))


def _attention_rank(p: DynParams, rng: np.random.Generator) -> Arrays:
    """A stack of single-head self-attention layers with random Gaussian query, key and value
    maps (variance 1/d), at initialisation: without skip connections the tokens become
    identical doubly exponentially fast (Dong et al. 2021); with skips they do not.  ``width``
    = d, ``n`` tokens, ``depth`` layers; ``res_mlp`` adds a ReLU MLP (width 2d) to the pure
    stack.  Values are medians over ``repeats`` draws."""
    d, n, depth = p.width, p.n, p.depth
    res: dict[str, list[F]] = {"attention": [], "skip": [], "mlp": []}
    for _ in range(p.repeats):
        x0 = rng.normal(size=(n, d))
        layers = [(rng.normal(size=(d, d)) / math.sqrt(d), rng.normal(size=(d, d)) / math.sqrt(d),
                   rng.normal(size=(d, d)) / math.sqrt(d), rng.normal(size=(d, 2 * d)) * math.sqrt(2 / d),
                   rng.normal(size=(2 * d, d)) / math.sqrt(2 * d)) for _ in range(depth)]
        for kind in res:
            x = x0.copy()
            r = [_rank_residual(x)]
            for wq, wk, wv, w1, w2 in layers:
                a = _softmax_rows((x @ wq) @ (x @ wk).T / math.sqrt(d))
                sa = a @ x @ wv
                if kind == "skip":
                    x = x + sa
                elif kind == "mlp":
                    x = np.maximum(sa @ w1, 0.0) @ w2
                else:
                    x = sa
                x = x / np.linalg.norm(x) * math.sqrt(n * d)
                r.append(max(_rank_residual(x), 1e-17))
            res[kind].append(np.array(r))
    return {"layer": np.arange(depth + 1), "res_attention": _median(res["attention"]),
            "res_skip": _median(res["skip"]), "res_mlp": _median(res["mlp"])}


# -- over-smoothing in graph convolutions --------------------------------------------------------------------


def _gcn_smoothing(p: DynParams, rng: np.random.Generator) -> Arrays:
    """Repeated graph-convolution propagation X <- D^-1/2 (A + I) D^-1/2 X on a two-community
    stochastic block graph (``n`` nodes, edge probability ``lr`` inside and ``lr``/10 across),
    node features = a community mean (+-1 on ``width`` dims) + Gaussian noise (sd ``noise``).
    Relative Dirichlet energy tr(X' L X)/tr(X'X) falls to 0 (Oono & Suzuki 2020); the
    accuracy of a nearest-class-mean rule (means from half the nodes, scored on the other
    half) first rises as neighbours average out the noise, then falls as everything blurs
    (Li et al. 2018).  Hops 0..``depth`` on a log grid; medians over ``repeats`` graphs."""
    n, d = p.n, p.width
    hops = np.unique(np.r_[0, np.round(np.geomspace(1, p.depth, 24)).astype(int)])
    energies, accs = [], []
    for _ in range(p.repeats):
        y = np.arange(n) % 2
        same = y[:, None] == y[None, :]
        prob = np.where(same, p.lr, p.lr / 10)
        a = np.triu((rng.random((n, n)) < prob).astype(float), 1)
        a = a + a.T + np.eye(n)
        deg = a.sum(1)
        ahat = a / np.sqrt(deg[:, None] * deg[None, :])
        lap = np.eye(n) - ahat
        x = np.where(y[:, None] == 1, 1.0, -1.0) * np.ones((n, d)) + p.noise * rng.normal(size=(n, d))
        train = rng.permutation(n)[: n // 2]
        test = np.setdiff1d(np.arange(n), train)
        e_row, a_row = [], []
        k_done = 0
        for k in hops:
            while k_done < k:
                x = ahat @ x
                k_done += 1
            e_row.append(float(np.trace(x.T @ lap @ x) / np.trace(x.T @ x)))
            m0 = x[train][y[train] == 0].mean(0)
            m1 = x[train][y[train] == 1].mean(0)
            pred = (np.linalg.norm(x[test] - m1, axis=1) < np.linalg.norm(x[test] - m0, axis=1))
            a_row.append(float(np.mean(pred == (y[test] == 1))))
        energies.append(np.array(e_row))
        accs.append(np.array(a_row))
    energy = np.maximum(_median(energies), 1e-18)
    acc = _median(accs)
    return {"hops": hops, "hops_plot": np.maximum(hops, 0.5), "energy": energy, "accuracy": acc,
            "best_hops": float(hops[int(np.argmax(acc))]), "best_accuracy": float(acc.max()),
            "final_accuracy": float(acc[-1]), "start_accuracy": float(acc[0]),
            "energy_start": float(energy[0]), "energy_end": float(energy[-1])}


# -- the forget gate's bias ----------------------------------------------------------------------------------


def _sig(z: F) -> F:
    return 1.0 / (1.0 + np.exp(-z))


def _lstm_forget(p: DynParams, rng: np.random.Generator) -> Arrays:
    """An LSTM of ``width`` cells (weights N(0, 1/fan-in), Gaussian inputs) run for ``steps``
    steps; the norm of the exact Jacobian d c_t / d c_0 (through both the cell and the hidden
    path), one curve per forget-gate bias in ``values``, median over ``repeats`` draws.  A zero
    bias opens the forget gate only halfway, so the memory halves at every step; a bias of 1
    (Jozefowicz et al. 2015) keeps it far longer."""
    n, steps = p.width, p.steps
    rows = []
    for bias in p.values:
        runs = []
        for _ in range(p.repeats):
            wx = rng.normal(size=(4 * n, n)) / math.sqrt(n)
            wh = rng.normal(size=(4 * n, n)) / math.sqrt(n)
            b = np.zeros(4 * n)
            b[n: 2 * n] = bias
            h = np.zeros(n)
            c = np.zeros(n)
            jc = np.eye(n)  # d c_t / d c_0
            jh = np.zeros((n, n))  # d h_t / d c_0
            norms = np.empty(steps + 1)
            norms[0] = 1.0
            for t in range(1, steps + 1):
                z = wx @ rng.normal(size=n) + wh @ h + b
                ig, f, o, g = _sig(z[:n]), _sig(z[n:2 * n]), _sig(z[2 * n:3 * n]), np.tanh(z[3 * n:])
                c_new = f * c + ig * g
                tc = np.tanh(c_new)
                dz = wh @ jh  # d z / d c_0 through h
                dc = (f[:, None] * jc + (c * f * (1 - f))[:, None] * dz[n:2 * n]
                      + (g * ig * (1 - ig))[:, None] * dz[:n] + (ig * (1 - g**2))[:, None] * dz[3 * n:])
                jh = (tc * o * (1 - o))[:, None] * dz[2 * n:3 * n] + (o * (1 - tc**2))[:, None] * dc
                jc = dc
                c, h = c_new, o * tc
                norms[t] = np.linalg.norm(jc, 2)
            runs.append(norms)
        rows.append(np.exp(np.median(np.log(np.maximum(np.array(runs), 1e-300)), axis=0)))
    grad = np.array(rows)
    out: Arrays = {"step": np.arange(steps + 1), "grad": grad, "biases": np.array(p.values),
                   "log_grad": np.log10(grad)}
    for i in range(len(p.values)):
        out[f"grad_{i}"] = grad[i]
    return out


# -- plateaus of the soft committee machine ---------------------------------------------------------------


def _committee_error(q: F, r: F, t: F) -> float:
    """Exact generalisation error of a soft committee machine with g(x) = erf(x / sqrt 2)
    (Saad & Solla 1995): from the order parameters Q = JJ'/N, R = JB'/N, T = BB'/N."""
    def block(a: F, da: F, db: F) -> float:
        return float(np.sum(np.arcsin(a / np.sqrt(np.outer(1 + da, 1 + db)))))
    dq, dt = np.diag(q), np.diag(t)
    return (block(q, dq, dq) + block(t, dt, dt) - 2 * block(r, dq, dt)) / math.pi


def _committee_plateau(p: DynParams, rng: np.random.Generator) -> Arrays:
    """On-line gradient descent of a soft committee student (``depth`` hidden units, erf) on the
    examples of a teacher of the same shape, input dimension ``width``, step ``lr``/N per
    example, ``steps`` x N examples, tiny random student weights (sd ``noise`` / sqrt N).  The
    error falls to a plateau where every student unit imitates the teachers' average (the
    symmetric fixed point) and stays there until the symmetry breaks and the units specialise
    (Saad & Solla 1995).  Median and 10-90 % band over ``repeats`` runs; ``overlap`` is the
    median specialisation: mean over student units of max_m R_im / sqrt(Q_ii T_mm) minus the
    same for the second-best teacher."""
    n, k, reps = p.width, p.depth, p.repeats
    total = p.steps * n
    evals = np.unique(np.round(np.linspace(0, total, 61)).astype(int))
    b = rng.normal(size=(reps, k, n))
    b = b / np.linalg.norm(b, axis=2, keepdims=True) * math.sqrt(n)
    j = rng.normal(size=(reps, k, n)) * p.noise
    xs = rng.normal(size=(total, reps, n))
    errs = np.empty((len(evals), reps))
    specs = np.empty((len(evals), reps))
    ei = 0
    for step in range(total + 1):
        if step == evals[ei]:
            for rr in range(reps):
                q, r, t = j[rr] @ j[rr].T / n, j[rr] @ b[rr].T / n, b[rr] @ b[rr].T / n
                errs[ei, rr] = _committee_error(q, r, t)
                cos = np.abs(r) / np.maximum(np.sqrt(np.outer(np.diag(q), np.diag(t))), 1e-300)  # q = 0: no overlap
                srt = np.sort(cos, axis=1)
                specs[ei, rr] = float(np.mean(srt[:, -1] - srt[:, -2]))
            ei += 1
            if step == total:
                break
        x = xs[step]
        hj = np.einsum("rkn,rn->rk", j, x) / math.sqrt(n)
        hb = np.einsum("rkn,rn->rk", b, x) / math.sqrt(n)
        err = _erf(hj / math.sqrt(2)).sum(1) - _erf(hb / math.sqrt(2)).sum(1)
        gprime = math.sqrt(2 / math.pi) * np.exp(-hj**2 / 2)
        j -= (p.lr / math.sqrt(n)) * (err[:, None] * gprime)[:, :, None] * x[:, None, :]
    errs_t, specs_t = errs.T, specs.T
    e = errs_t
    alpha = evals / n
    med = np.median(e, axis=0)
    mid = (alpha > 0.15 * alpha[-1]) & (alpha < 0.35 * alpha[-1])
    return {"alpha": alpha, "error": med, "error_lo": np.quantile(e, 0.1, axis=0),
            "error_hi": np.quantile(e, 0.9, axis=0), "overlap": np.median(specs_t, axis=0),
            "plateau_error": float(np.median(med[mid])), "final_error": float(med[-1]),
            "start_error": float(med[0])}


def _erf(x: F) -> F:
    """The error function, elementwise (scipy's, exact to double precision)."""
    from scipy.special import erf

    return np.asarray(erf(x), float)


# -- floating point: softmax overflow and the variance's cancellation ------------------------------------------


def _softmax_overflow(p: DynParams, rng: np.random.Generator) -> Arrays:
    """Softmax of the logits s * u (u = ``width`` evenly spaced values in [-1, 1]) computed
    naively, exp(z) / sum exp(z), in float16 and float32, and max-shifted in float16, against
    float64; the error is the largest absolute error over the outputs, 1 where the result is
    not finite (exp overflows past ln 65504 = 11.09 in float16 and 88.72 in float32).  Exact
    arithmetic in each format; the generator is unused."""
    scales = np.geomspace(0.1, 1000.0, p.n)
    u = np.linspace(-1.0, 1.0, p.width)
    exact = np.array([_softmax_rows((s * u)[None].astype(np.float64))[0] for s in scales])

    def naive(z: F, dt: type) -> F:
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(z.astype(dt))
            return (e / e.sum(dtype=dt)).astype(np.float64)

    def shifted(z: F, dt: type) -> F:
        zz: F = z.astype(dt)
        e = np.exp(zz - zz.max())
        return (e / e.sum(dtype=dt)).astype(np.float64)

    out: Arrays = {"scale": scales, "max_logit": scales * u.max()}
    for key, fn, dt in (("naive16", naive, np.float16), ("naive32", naive, np.float32),
                        ("shift16", shifted, np.float16)):
        res = np.array([fn(s * u, dt) for s in scales])
        ok = np.all(np.isfinite(res), axis=1)
        err = np.where(ok, np.nanmax(np.abs(np.where(np.isfinite(res), res, 0.0) - exact), axis=1), 1.0)
        out[f"err_{key}"] = np.maximum(err, 1e-9)
        out[f"ok_{key}"] = ok
        out[f"fail_{key}"] = float(scales[~ok].min()) if (~ok).any() else math.inf
    return out


def _variance_cancellation(p: DynParams, rng: np.random.Generator) -> Arrays:
    """The sample variance of ``n`` draws of N(offset, 1) in float32 by the one-pass textbook
    formula (sum x^2 - (sum x)^2 / n) / (n - 1), by Welford's update (Welford 1962) and by two
    passes (mean first), against float64; relative error, median over ``repeats`` draws, for
    offsets 1 .. 10^``depth`` (``steps`` of them, log grid)."""
    offsets = np.geomspace(1.0, 10.0 ** min(p.depth, 8), p.steps)
    m = p.repeats
    z = rng.normal(size=(m, p.n))
    data = (offsets[:, None, None] + z[None]).astype(np.float32)  # (offsets, repeats, n)
    truth = np.var(data.astype(np.float64), axis=2, ddof=1)
    nn = np.float32(p.n)
    s1 = np.zeros(data.shape[:2], np.float32)
    s2 = np.zeros(data.shape[:2], np.float32)
    mean = np.zeros(data.shape[:2], np.float32)
    m2 = np.zeros(data.shape[:2], np.float32)
    for i in range(p.n):
        x = data[:, :, i]
        s1 += x
        s2 += x * x
        delta = x - mean
        mean += delta / np.float32(i + 1)
        m2 += delta * (x - mean)
    naive = (s2 - s1 * s1 / nn) / np.float32(p.n - 1)
    welford = m2 / np.float32(p.n - 1)
    mu = s1 / nn
    twopass = np.sum((data - mu[:, :, None]) ** 2, axis=2, dtype=np.float32) / np.float32(p.n - 1)

    def rel(v: F) -> F:
        return np.maximum(np.median(np.abs(v.astype(np.float64) - truth) / truth, axis=1), 1e-9)

    return {"offset": offsets, "err_naive": rel(naive), "err_welford": rel(welford),
            "err_twopass": rel(np.asarray(twopass)), "negative_naive": np.mean(naive < 0, axis=1)}


# -- gradient starvation --------------------------------------------------------------------------------------


def _gradient_starvation(p: DynParams, rng: np.random.Generator) -> Arrays:
    """Logistic regression (no bias) by full-batch gradient descent, step ``lr``, ``steps``
    steps, from zero, on ``n`` points with two features: x1 = 2y (1 + N(0, 0.01)), a clean,
    large-margin feature, and x2 = 0.5 y + N(0, ``noise``^2), predictive but noisy.  Once x1 fits
    the data, the loss and so the gradient vanish, and the weight on x2 stops growing
    (Pezeshki et al. 2021); the same descent on x2 alone gives it a far larger weight.
    Returns the loss surface on a grid, both paths in (w1, w2) and the accuracy of each
    model's x2 weight used on its own."""
    n = p.n
    y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    x1 = 2.0 * y * (1.0 + 0.1 * rng.normal(size=n))
    x2 = 0.5 * y + p.noise * rng.normal(size=n)
    x = np.c_[x1, x2]

    def descend(mask: F) -> F:
        w = np.zeros(2)
        path = [w.copy()]
        for _ in range(p.steps):
            m = y * (x @ w)
            g = -(x * (y * _sig(-m))[:, None]).mean(0) * mask
            w = w - p.lr * g
            path.append(w.copy())
        return np.array(path)

    both = descend(np.array([1.0, 1.0]))
    alone = descend(np.array([0.0, 1.0]))
    gx = np.linspace(-0.5, max(4.0, float(both[-1, 0]) * 1.15), 81)
    top = max(float(alone[-1, 1]), float(both[-1, 1])) * 1.2 + 0.2
    gy = np.linspace(-0.3, top, 81)
    ww = np.stack(np.meshgrid(gx, gy), -1)
    loss = np.mean(np.logaddexp(0.0, -(y[None, None] * (ww @ x.T))), axis=-1)
    return {"grid_x": gx, "grid_y": gy, "loss": loss, "path_both": both, "path_alone": alone,
            "end_both": both[-1:], "end_alone": alone[-1:],
            "w2_both": float(both[-1, 1]), "w2_alone": float(alone[-1, 1]), "w1_both": float(both[-1, 0]),
            "acc_x2": float(np.mean(np.sign(x2) == y)),
            "train_acc_both": float(np.mean(np.sign(x @ both[-1]) == y)),
            "ratio": float(both[-1, 1] / alone[-1, 1])}


# -- policy entropy collapse ------------------------------------------------------------------------------------


def _policy_entropy(p: DynParams, rng: np.random.Generator) -> Arrays:
    """REINFORCE (Williams 1992) with a running-mean baseline on a ``width``-armed Bernoulli
    bandit whose arm means are evenly spaced in [0.2, 0.8], softmax policy from uniform,
    step ``lr``, ``steps`` pulls, ``n`` runs in parallel; once without and once with an
    entropy bonus of weight ``noise`` (Williams & Peng 1991).  Medians over runs of the
    policy entropy (nats), the share of runs whose policy puts > 0.9 on one arm, the share
    committed to a wrong arm, and the final probability of the best arm."""
    k, runs = p.width, p.n
    means = np.linspace(0.2, 0.8, k)
    out: Arrays = {"step": np.arange(p.steps + 1), "max_entropy": math.log(k)}
    u = rng.random((p.steps, runs))
    uu = rng.random((p.steps, runs))
    for key, beta in (("plain", 0.0), ("bonus", p.noise)):
        theta = np.zeros((runs, k))
        base = np.zeros(runs)
        ent = np.empty((p.steps + 1, runs))
        for t in range(p.steps + 1):
            pi = _softmax_rows(theta)
            h = -np.sum(pi * np.log(np.maximum(pi, 1e-300)), axis=1)
            ent[t] = h
            if t == p.steps:
                break
            a = (np.cumsum(pi, axis=1) < u[t][:, None]).sum(1).clip(0, k - 1)
            r = (uu[t] < means[a]).astype(float)
            grad = -pi
            grad[np.arange(runs), a] += 1.0
            # exact gradient of the entropy: -pi_j (log pi_j + H)
            gent = -pi * (np.log(np.maximum(pi, 1e-300)) + h[:, None])
            theta = theta + p.lr * ((r - base)[:, None] * grad + beta * gent)
            base = base + 0.05 * (r - base)
        pi = _softmax_rows(theta)
        out[f"entropy_{key}"] = np.median(ent, axis=1)
        out[f"entropy_{key}_lo"] = np.quantile(ent, 0.1, axis=1)
        out[f"entropy_{key}_hi"] = np.quantile(ent, 0.9, axis=1)
        committed = pi.max(1) > 0.9
        out[f"committed_{key}"] = float(np.mean(committed))
        out[f"wrong_{key}"] = float(np.mean(committed & (pi.argmax(1) != k - 1)))
        out[f"best_prob_{key}"] = float(np.median(pi[:, -1]))
    return out


# -- batch-norm noise at small batches --------------------------------------------------------------------------


def _bn_noise(p: DynParams, rng: np.random.Generator) -> Arrays:
    """One example whose feature sits one population standard deviation above the mean,
    batch-normalised together with B - 1 random batch-mates from N(0, 1), for each batch size
    B in ``values``; ``n`` batches each.  Its normalised value is 1 at test time (population
    statistics) but at training time it depends on the batch-mates (Ioffe 2017): density of
    the training-time value per batch size on a grid, its standard deviation and mean."""
    if not all(float(b).is_integer() and b >= 2 for b in p.values):
        msg = "path-dynamics bn-noise: every batch size in 'values' must be a whole number, at least 2"
        raise TeeprintError(msg)
    grid = np.linspace(-2.0, 4.0, 241)
    dens, sds, means, frac_unit = [], [], [], []
    for bsz in p.values:
        b = int(bsz)
        mates = rng.normal(size=(p.n, b - 1))
        batch = np.c_[np.ones(p.n), mates]
        mu = batch.mean(1)
        sd = batch.std(1)
        v = (1.0 - mu) / sd
        h, _ = np.histogram(v, bins=grid.size - 1, range=(grid[0], grid[-1]))
        c = np.convolve(h.astype(float), np.ones(5) / 5, mode="same")
        dens.append(np.r_[c, c[-1]] / (p.n * (grid[1] - grid[0])))
        sds.append(float(v.std()))
        means.append(float(v.mean()))
        frac_unit.append(float(np.mean(np.abs(np.abs(v) - 1) < 1e-9)))
    return {"x": grid, "density": np.array(dens), "batch": np.array([int(b) for b in p.values]),
            "sd": np.array(sds), "mean": np.array(means), "frac_unit": np.array(frac_unit),
            "test_value": 1.0}


# -- degenerate feedback loops ---------------------------------------------------------------------------------------


def _feedback_loop(p: DynParams, rng: np.random.Generator) -> Arrays:
    """A user's interest over ``n`` items on a line (smooth, broad at the start) and a system
    that each round recommends the ``width`` items it believes the user likes best (its belief
    = click counts with a prior), against one that recommends at random.  A shown item is
    clicked with probability equal to the user's interest in it relative to the most liked
    item, and each click raises the interest in that item and its neighbours (step ``lr``)
    before renormalising (Jiang et al. 2019).  Rows of ``density``: the greedy user's interest
    at ``depth`` evenly spaced rounds up to ``steps``; entropies (nats) per round, median
    over ``repeats`` users."""
    n = p.n
    items = np.arange(n, dtype=float)
    kern = np.exp(-0.5 * ((items[:, None] - items[None, :]) / 2.0) ** 2)
    snaps = np.unique(np.round(np.linspace(0, p.steps, p.depth)).astype(int))
    ent: dict[str, list[F]] = {"greedy": [], "random": []}
    shown_rows: list[F] = []
    for rep in range(p.repeats):
        phase = rng.uniform(0, 2 * np.pi)
        base = 1.0 + 0.5 * np.sin(4 * np.pi * items / n + phase) + 0.3 * rng.random(n)
        for key in ("greedy", "random"):
            interest = base / base.sum()
            clicks = np.ones(n)
            shows = np.ones(n)
            e_row = np.empty(p.steps + 1)
            for t in range(p.steps + 1):
                e_row[t] = -np.sum(interest * np.log(interest))
                if rep == 0 and key == "greedy" and t in snaps:
                    shown_rows.append(interest.copy())
                if t == p.steps:
                    break
                if key == "greedy":
                    score = clicks / shows + 1e-9 * rng.random(n)
                    show = np.argsort(-score)[: p.width]
                else:
                    show = rng.choice(n, p.width, replace=False)
                hit = rng.random(p.width) < interest[show] / interest.max()
                shows[show] += 1
                clicks[show] += hit
                for it in show[hit]:
                    interest = interest + p.lr * interest.max() * kern[it] / kern[it].sum()
                interest = interest / interest.sum()
            ent[key].append(e_row)
    dens = np.array(shown_rows)
    eg, er = _median(ent["greedy"]), _median(ent["random"])
    return {"item": items, "density": dens, "round": snaps,
            "entropy_rows": -np.sum(dens * np.log(dens), axis=1), "entropy_greedy": eg, "entropy_random": er,
            "rounds": np.arange(p.steps + 1), "max_entropy": math.log(n),
            "entropy_drop_greedy": float(eg[0] - eg[-1]), "entropy_drop_random": float(er[0] - er[-1]),
            "entropy_end_greedy": float(eg[-1]), "entropy_end_random": float(er[-1])}


# -- the cliff of a one-unit recurrent network -----------------------------------------------------------------


def _rnn_unit(w: F, b: F, steps: int) -> tuple[F, F, F]:
    """x(t) = w sigmoid(x(t-1)) + b from x(0) = 0.5: the final state and its exact derivatives
    with respect to w and b (forward-mode through time); works on arrays of (w, b)."""
    x = np.full(np.broadcast(w, b).shape, 0.5)
    dw = np.zeros_like(x)
    db = np.zeros_like(x)
    for _ in range(steps):
        s = _sig(x)
        ds = s * (1 - s)
        dw = s + w * ds * dw
        db = 1 + w * ds * db
        x = w * s + b
    return x, dw, db


def _rnn_cliff(p: DynParams, rng: np.random.Generator) -> Arrays:
    """A one-unit recurrent network x(t) = w sigmoid(x(t-1)) + b run ``depth`` steps from 0.5,
    loss (x(T) - 0.7)^2, over the plane of (w, b).  Past w = 4 the map has two stable fixed
    points, and which one the run ends in flips across a curve in the plane: the loss jumps
    there, a cliff (Doya 1993; Pascanu et al. 2013).  Gradient descent (step ``lr``,
    ``steps`` steps) from (w, b) = ``values`` (jittered by N(0, ``noise``^2)) reaches the
    cliff, where its gradient explodes and one step throws it far across the plane.  The
    generator only jitters the start."""
    w0, b0 = (p.values + (8.0, -5.5))[:2] if len(p.values) < 2 else p.values[:2]
    start = np.array([w0, b0]) + p.noise * rng.normal(size=2)
    gw = np.linspace(1.0, 11.0, 121)
    gb = np.linspace(-7.0, 3.0, 121)
    ww, bb = np.meshgrid(gw, gb)
    xt = _rnn_unit(ww, bb, p.depth)[0]
    loss = (xt - 0.7) ** 2
    th = start.copy()
    path = [th.copy()]
    gnorm, losses = [], []
    for _ in range(p.steps):
        x, dw, db = _rnn_unit(np.array(th[0]), np.array(th[1]), p.depth)
        g = 2 * (float(x) - 0.7) * np.array([float(dw), float(db)])
        gnorm.append(float(np.linalg.norm(g)))
        losses.append((float(x) - 0.7) ** 2)
        th = th - p.lr * g
        path.append(th.copy())
    pa = np.array(path)
    jumps = np.linalg.norm(np.diff(pa, axis=0), axis=1)
    gn = np.array(gnorm)
    k = int(np.argmax(gn))
    return {"grid_x": gw, "grid_y": gb, "loss": loss, "log_loss": np.log10(loss + 1e-4),
            "path": pa, "start": pa[:1], "end": pa[-1:], "cliff_step": pa[k: k + 2],
            "grad_norm": gn, "path_loss": np.array(losses), "step_length": jumps,
            "max_grad": float(gn.max()), "first_grad": float(gn[0]), "max_jump": float(jumps.max()),
            "median_jump": float(np.median(jumps)), "final_loss": float(losses[-1]),
            "max_cell_jump": float(np.abs(np.diff(loss, axis=1)).max())}


# -- memorisation of the long tail ------------------------------------------------------------------------------


def _long_tail(p: DynParams, rng: np.random.Generator) -> Arrays:
    """``width`` subpopulations with Zipf frequencies (exponent 1), each a tight cluster (sd
    ``noise``) around a random point in 20 dimensions with its own random binary label; ``n``
    training draws and 5000 test draws; the learner is 1-nearest-neighbour, which memorises
    every training point.  Test accuracy by how many training examples the test point's
    subpopulation had (0 .. 6, and 7 or more; NaN where no test point falls), with the full
    training set and with the
    subpopulations seen exactly once removed from it (Feldman 2020): the accuracy lost
    overall is what memorising the singletons bought, and it matches half the test mass of
    those subpopulations (half, because a forgotten subpopulation is guessed at chance)."""
    k = p.width
    freq = 1.0 / np.arange(1, k + 1)
    freq /= freq.sum()
    centres = rng.normal(size=(k, 20))
    labels = rng.integers(0, 2, k)
    tr = rng.choice(k, p.n, p=freq)
    te = rng.choice(k, 5000, p=freq)
    xtr = centres[tr] + p.noise * rng.normal(size=(p.n, 20))
    xte = centres[te] + p.noise * rng.normal(size=(5000, 20))
    counts = np.bincount(tr, minlength=k)

    def nn_predict(xs: F, keep: F) -> F:
        ref, lab = xtr[keep], labels[tr[keep]]
        d2 = (xs**2).sum(1)[:, None] - 2 * xs @ ref.T + (ref**2).sum(1)[None, :]
        return lab[np.argmin(d2, axis=1)]

    full = nn_predict(xte, np.ones(p.n, bool)) == labels[te]
    kept = counts[tr] != 1
    cut = nn_predict(xte, kept) == labels[te]
    c = np.minimum(counts[te], 7)
    buckets = np.arange(8)
    acc_full = np.array([float(full[c == b].mean()) if np.any(c == b) else np.nan for b in buckets])
    acc_cut = np.array([float(cut[c == b].mean()) if np.any(c == b) else np.nan for b in buckets])
    share = np.array([float(np.mean(c == b)) for b in buckets])
    single_mass = float(np.mean(counts[te] == 1))
    return {"count": buckets, "acc_full": acc_full, "acc_no_singletons": acc_cut, "test_share": share,
            "accuracy_full": float(full.mean()), "accuracy_no_singletons": float(cut.mean()),
            "accuracy_lost": float(full.mean() - cut.mean()), "singleton_mass": single_mass,
            "half_singleton_mass": single_mass / 2,
            "acc_matrix": np.nan_to_num(np.vstack([acc_full, acc_cut]), nan=0.0),
            "share_matrix": share[None, :],
            "set_names": np.array(["all kept", "singletons out"]),
            "count_names": np.array(["0", "1", "2", "3", "4", "5", "6", "7+"]),
            "singleton_column": np.arange(8)[None, :].repeat(2, axis=0) == 1,
            "singleton_share_of_train": float(np.mean(counts[tr] == 1))}


# -- stagnation of low-precision accumulation --------------------------------------------------------------------


def _stagnation(p: DynParams, rng: np.random.Generator) -> Arrays:
    """A weight starting at 1 receives ``steps`` small positive updates lr * |g| (g standard
    Gaussian, lr = ``lr``), accumulated in float16 as written (w <- w + u), in float16 with
    Kahan's compensated summation, and in float32, against float64.  In float16 every update
    smaller than half the spacing of numbers near w (2^-11 for w in [1, 2)) rounds away and the
    weight stagnates (Higham 1993).  ``share_lost``: updates that left the float16 weight
    unchanged."""
    u = p.lr * np.abs(rng.normal(size=p.steps))
    exact = 1.0 + np.concatenate([[0.0], np.cumsum(u)])
    w16 = np.float16(1.0)
    k16 = np.float16(1.0)
    comp = np.float16(0.0)
    w32 = np.float32(1.0)
    t16, tk, t32 = [float(w16)], [float(k16)], [float(w32)]
    lost = 0
    for step in u:
        s16 = np.float16(step)
        new = np.float16(w16 + s16)
        lost += int(new == w16)
        w16 = new
        y = np.float16(s16 - comp)
        t = np.float16(k16 + y)
        comp = np.float16(np.float16(t - k16) - y)
        k16 = t
        w32 = np.float32(w32 + np.float32(step))
        t16.append(float(w16))
        tk.append(float(k16))
        t32.append(float(w32))
    a16, ak, a32 = np.array(t16), np.array(tk), np.array(t32)
    gain = exact - 1.0
    return {"step": np.arange(p.steps + 1), "exact": exact, "fp16": a16, "fp16_kahan": ak, "fp32": a32,
            "share_lost": lost / p.steps, "half_spacing": 2.0**-11, "max_update": float(u.max()),
            "share_small": float(np.mean(u < 2.0**-11)),
            "gain_exact": float(gain[-1]), "gain_fp16": float(a16[-1] - 1.0),
            "gain_kahan": float(ak[-1] - 1.0), "gain_fp32": float(a32[-1] - 1.0),
            "kahan_error": float(np.max(np.abs(ak - exact))), "fp32_error": float(np.max(np.abs(a32 - exact)))}


# -- dead units in competitive learning -------------------------------------------------------------------------


def _competitive(p: DynParams, rng: np.random.Generator) -> Arrays:
    """Online competitive learning (winner-take-all, the online k-means update) of ``width``
    codes on ``n`` points from six Gaussian clusters (sd ``noise``) on a ring of radius 2, the
    codes started in a huddle near one cluster (N((2.6, 0), 0.05^2)); ``steps`` presentations,
    the winner moving a fraction ``lr`` of the way to the point.  Codes that never win never
    move: dead units (Rumelhart & Zipser 1985).  With a conscience (DeSieno 1988) the
    winner is the code minimising distance^2 - 10 (1/k - f), f its running win frequency
    (rate 0.01), so codes that win too rarely get to win.  Paths are the codes' positions
    every 50 presentations; ``dead_*`` counts codes that won less than 1 % of the last half."""
    k = p.width
    ang = 2 * np.pi * np.arange(6) / 6
    centres = 2.0 * np.c_[np.cos(ang), np.sin(ang)]
    data = centres[rng.integers(0, 6, p.n)] + p.noise * rng.normal(size=(p.n, 2))
    start = np.array([2.6, 0.0]) + 0.05 * rng.normal(size=(k, 2))
    order = rng.integers(0, p.n, p.steps)
    out: Arrays = {"data": data, "centres": centres, "start": start,
                   "grid_x": np.linspace(-3.2, 3.2, 2), "grid_y": np.linspace(-3.2, 3.2, 2)}
    for key, gamma in (("plain", 0.0), ("conscience", 10.0)):
        codes = start.copy()
        wins = np.zeros(k)
        freq = np.full(k, 1.0 / k)
        path = [codes.copy()]
        for t, i in enumerate(order):
            x = data[i]
            dist = ((codes - x) ** 2).sum(1)
            j = int(np.argmin(dist - gamma * (1.0 / k - freq)))
            freq += 0.01 * ((np.arange(k) == j) - freq)
            codes[j] += p.lr * (x - codes[j])
            if t >= p.steps // 2:
                wins[j] += 1
            if (t + 1) % 50 == 0:
                path.append(codes.copy())
        d2 = ((data[:, None, :] - codes[None, :, :]) ** 2).sum(2)
        out[f"paths_{key}"] = np.transpose(np.array(path), (1, 0, 2))
        out[f"codes_{key}"] = codes
        out[f"dead_{key}"] = int(np.sum(wins < 0.01 * (p.steps - p.steps // 2)))
        out[f"error_{key}"] = float(d2.min(1).mean())
        out[f"clusters_covered_{key}"] = int(np.sum(
            np.min(((centres[:, None, :] - codes[None, :, :]) ** 2).sum(2), axis=1) < 0.25))
    return out


# -- dropout before batch norm: the variance shift --------------------------------------------------------------


def _dropout_shift(p: DynParams, rng: np.random.Generator) -> Arrays:
    """A unit x ~ N(0, 1) passed through dropout with each drop rate in ``values`` (kept values
    scaled by 1/(1 - rate)) and then batch normalisation, whose running mean and variance are
    measured over ``n`` training draws.  At test time dropout is off, so the unit's variance
    is 1 instead of 1/(1 - rate), and normalising with the training statistics shrinks it to
    1 - rate: the variance shift (Li et al. 2019).  Densities of the normalised unit in
    training (rows; the kept values only, so each row's area is the keep rate - the dropped
    values all sit at one point) and at test (layer) on a grid; standard deviations over all
    values."""
    grid = np.linspace(-4.0, 4.0, 241)
    width = grid[1] - grid[0]
    if not all(0.0 <= r <= 0.95 for r in p.values):
        msg = "path-dynamics dropout-shift: every drop rate in 'values' must lie in [0, 0.95]"
        raise TeeprintError(msg)
    rows_tr: list[F] = []
    rows_te: list[F] = []
    sd_tr: list[float] = []
    sd_te: list[float] = []
    for rate in p.values:
        x = rng.normal(size=p.n)
        keep = rng.random(p.n) >= rate
        xd = np.where(keep, x / (1 - rate), 0.0)
        mu, var = xd.mean(), xd.var()
        tr = (xd - mu) / math.sqrt(var)
        xt = rng.normal(size=p.n)
        te = (xt - mu) / math.sqrt(var)
        for vals, rows in ((tr[keep], rows_tr), (te, rows_te)):  # dropped values: one point, not drawn
            h, _ = np.histogram(vals, bins=grid.size - 1, range=(grid[0], grid[-1]))
            c = np.convolve(h.astype(float), np.ones(3) / 3, mode="same")
            rows.append(np.r_[c, c[-1]] / (p.n * width))
        sd_tr.append(float(tr.std()))
        sd_te.append(float(te.std()))
    rates = np.array(p.values)
    return {"x": grid, "density_train": np.array(rows_tr), "density_test": np.array(rows_te),
            "rate": rates, "sd_train": np.array(sd_tr), "sd_test": np.array(sd_te),
            "predicted_sd_test": np.sqrt(1 - rates), "rate_labels": np.array([f"{r:g}" for r in rates])}


# -- ReLU units killed by a large learning rate ----------------------------------------------------------------


def _lr_dead(p: DynParams, rng: np.random.Generator) -> Arrays:
    """A one-hidden-layer ReLU network (``width`` units, He-normal weights, zero biases) fitted
    by full-batch gradient descent on the squared error to y = sin(2 x1) + x2^2 / 2 on ``n``
    standard Gaussian points in the plane, ``steps`` steps, once for each learning rate in
    ``values``; median over ``repeats`` draws.  A unit is dead when it is inactive on every
    training point: its gradient is then zero for good.  ``dead``: share of dead units (rows:
    learning rates) at up to 16 log-spaced checkpoints (``step``); ``final_dead``, ``final_loss`` (training mean squared
    error), ``diverged`` (runs whose loss stopped being finite)."""
    h, n = p.width, p.n
    checks = np.unique(np.geomspace(1, p.steps, 16).astype(int))
    dead_rows, fin_dead, fin_loss = [], [], []
    diverged = 0
    for lr in p.values:
        runs, losses = [], []
        for _ in range(p.repeats):
            x = rng.normal(size=(n, 2))
            y = np.sin(2 * x[:, 0]) + 0.5 * x[:, 1] ** 2
            w1 = rng.normal(size=(2, h))
            b1 = np.zeros(h)
            w2 = rng.normal(size=h) / math.sqrt(h)
            b2 = 0.0
            trace = []
            with np.errstate(all="ignore"):
                for step in range(1, p.steps + 1):
                    z = x @ w1 + b1
                    a = np.maximum(z, 0.0)
                    g = (a @ w2 + b2 - y) / n
                    ga = np.outer(g, w2) * (z > 0)
                    w2 = w2 - lr * a.T @ g
                    b2 = b2 - lr * float(g.sum())
                    w1 = w1 - lr * x.T @ ga
                    b1 = b1 - lr * ga.sum(0)
                    if step in checks:
                        trace.append(float(np.mean(np.all(x @ w1 + b1 <= 0, axis=0))))
                loss = float(np.mean((np.maximum(x @ w1 + b1, 0.0) @ w2 + b2 - y) ** 2))
            if not math.isfinite(loss):  # overflowed: the run's loss is infinite
                diverged += 1
                loss = math.inf
            runs.append(trace)
            losses.append(loss)
        dead_rows.append(np.median(np.array(runs), axis=0))
        fin_dead.append(float(np.median(np.array(runs)[:, -1])))
        fin_loss.append(float(np.median(losses)))
    dead = np.array(dead_rows)
    return {"dead": dead, "final_dead": np.array(fin_dead), "final_loss": np.array(fin_loss),
            "lr": np.array(p.values), "diverged": diverged, "step": checks,
            "lr_labels": np.array([f"{v:g}" for v in p.values]),
            "step_labels": np.array([str(c) for c in checks]), "dead_mask": dead > 0.5}


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
