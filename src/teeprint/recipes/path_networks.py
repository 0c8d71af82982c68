"""``path-dynamics`` experiments on pathologies of an architecture: exploding and vanishing
gradients through time, rank collapse in pure attention, over-smoothing in graph convolutions,
the LSTM forget gate's bias, the cliff of a one-unit recurrent network, plateaus of the soft
committee machine, batch-norm noise at small batches, dropout's variance shift before batch
norm, and ReLU units killed by a large learning rate.  Registered through
:mod:`teeprint.recipes.path_dynamics`, which imports this module.
"""

from __future__ import annotations

import math

import numpy as np

from teeprint.errors import TeeprintError
from teeprint.recipes import Arrays
from teeprint.recipes.path_dyn_base import DynParams, F, _median, _sig, _softmax_rows

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
