"""``path-dynamics`` experiments on pathologies of the training process and its arithmetic:
softmax overflow and the variance's cancellation in floating point, stagnation of low-precision
accumulation, gradient starvation, policy entropy collapse, degenerate feedback loops,
memorisation of the long tail and dead units in competitive learning.  Registered through
:mod:`teeprint.recipes.path_dynamics`, which imports this module.
"""

from __future__ import annotations

import math

import numpy as np

from teeprint.recipes import Arrays
from teeprint.recipes.path_dyn_base import DynParams, F, _median, _sig, _softmax_rows

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
