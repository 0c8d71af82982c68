"""Recipes of the learning-theory family: how error depends on model size and data."""

from __future__ import annotations

import math
import os

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe


class DoubleDescentParams(Params):
    """Random-ReLU-feature regression, fitted by minimum-norm least squares."""

    n_train: int = Field(100, ge=10, le=1000)
    n_test: int = Field(500, ge=50, le=5000)
    input_dim: int = Field(20, ge=2, le=200)
    noise: float = Field(0.5, ge=0.0, le=5.0)
    n_min: int = Field(10, ge=1)
    n_max: int = Field(1000, ge=20, le=20000)
    grid: int = Field(30, ge=8, le=200)
    repeats: int = Field(3, ge=1, le=20)
    ridge: float = Field(1e-1, ge=0.0, le=100.0)


def feature_grid(n_min: int, n_max: int, points: int, n_train: int) -> np.ndarray:
    """Log-spaced model sizes, always containing the interpolation threshold N = n."""
    grid = np.unique(np.round(np.geomspace(n_min, n_max, points)).astype(int))
    return np.unique(np.concatenate([grid, [n_train]]))


@recipe("double-descent", DoubleDescentParams)
def double_descent(p: DoubleDescentParams, rng: np.random.Generator) -> Arrays:
    """Test error of min-norm least squares on N random ReLU features, for N across n.

    The classical U for N < n, a spike where the fit is forced to interpolate (N = n, the
    feature matrix is square and badly conditioned), then a second descent as the minimum-norm
    solution among many interpolants becomes smoother (Belkin et al. 2019).  A ridge-regularised
    fit is computed alongside: optimal regularisation flattens the spike (Nakkiran et al. 2020).
    """
    sizes = feature_grid(p.n_min, p.n_max, p.grid, p.n_train)
    # Every draw is made first, in a fixed order; the fits are then independent and run side
    # by side (LAPACK and BLAS release the GIL), with the same numbers as in sequence.
    draws = []
    for _ in range(p.repeats):
        beta = rng.normal(0.0, 1.0 / np.sqrt(p.input_dim), p.input_dim)
        x_tr = rng.normal(size=(p.n_train, p.input_dim))
        x_te = rng.normal(size=(p.n_test, p.input_dim))
        y_tr = x_tr @ beta + p.noise * rng.normal(size=p.n_train)
        y_te = x_te @ beta
        w_all = rng.normal(0.0, 1.0 / np.sqrt(p.input_dim), (p.input_dim, int(sizes.max())))
        draws.append((x_tr, x_te, y_tr, y_te, w_all))

    lam = p.ridge * p.n_train

    def fit(task: tuple[int, int]) -> tuple[float, float, float]:
        """Test, train and ridge test error of one draw at one model size."""
        x_tr, x_te, y_tr, y_te, w_all = draws[task[0]]
        n_feat = int(sizes[task[1]])
        w = w_all[:, :n_feat]
        f_tr = np.maximum(x_tr @ w, 0.0)
        f_te = np.maximum(x_te @ w, 0.0)
        # LAPACK gelsd (SVD): the minimum-norm solution when N > n; cut-off at machine
        # precision, as LAPACK's default.
        coef = np.linalg.lstsq(f_tr, y_tr, rcond=-1)[0]
        if n_feat <= p.n_train:
            c_r = np.linalg.solve(f_tr.T @ f_tr + lam * np.eye(n_feat), f_tr.T @ y_tr)
        else:
            c_r = f_tr.T @ np.linalg.solve(f_tr @ f_tr.T + lam * np.eye(p.n_train), y_tr)
        return (float(np.mean((f_te @ coef - y_te) ** 2)), float(np.mean((f_tr @ coef - y_tr) ** 2)),
                float(np.mean((f_te @ c_r - y_te) ** 2)))

    from concurrent.futures import ThreadPoolExecutor

    # One task per (draw, size), so the cores stay evenly busy to the end.
    tasks = [(i, j) for i in range(p.repeats) for j in range(sizes.size)]
    with ThreadPoolExecutor(max(1, os.cpu_count() or 1)) as pool:
        runs = np.array(list(pool.map(fit, tasks))).reshape(p.repeats, sizes.size, 3)
    runs = runs.transpose(0, 2, 1)  # (draw, measure, size)
    errs, train_errs, ridge_errs = runs[:, 0], runs[:, 1], runs[:, 2]
    return {
        "n_train": p.n_train,
        "n_features": sizes,
        "test_error": np.median(errs, axis=0),
        "test_error_runs": errs,
        "train_error": np.median(train_errs, axis=0),
        "ridge_test_error": np.median(ridge_errs, axis=0),
        "noise_floor": p.noise**2,
    }


# -- spectral bias ------------------------------------------------------------------------------


class SpectralBiasParams(Params):
    """Kernel gradient descent on random ReLU features fitting a sum of sines."""

    points: int = Field(256, ge=32, le=1024)
    frequencies: tuple[int, ...] = (1, 3, 5, 7, 9)
    features: int = Field(2000, ge=100, le=8000)
    weight_sd: float = Field(8.0, gt=0.0, le=100.0)
    bias_range: float = Field(8.0, gt=0.0, le=100.0)
    t_max: float = Field(1e6, ge=10.0, le=1e12)
    times: int = Field(80, ge=8, le=400)


@recipe("spectral-bias", SpectralBiasParams)
def spectral_bias(p: SpectralBiasParams, rng: np.random.Generator) -> Arrays:
    """How much of each frequency gradient descent has learned after t steps.

    For squared loss, gradient descent with step 1/lambda_max on the kernel K = F F^T / m is
    exact in the kernel's eigenbasis: f_t = U (1 - (1 - eta lambda)^t) U^T y.  Smooth
    eigenvectors carry large eigenvalues, so low frequencies are fitted orders of magnitude
    sooner (Rahaman et al. 2019).  "Learned" is the amplitude of f_t at frequency k over the
    target's amplitude there.
    """
    ks = np.asarray(p.frequencies, int)
    if ks.size == 0 or ks.min() < 1 or ks.max() >= p.points // 2:
        msg = f"frequencies must lie in 1..{p.points // 2 - 1}"
        raise ValueError(msg)
    x = np.arange(p.points) / p.points
    phase = rng.uniform(0.0, 2 * np.pi, ks.size)
    y = np.sin(2 * np.pi * ks[:, None] * x[None, :] + phase[:, None]).sum(axis=0)
    w = rng.normal(0.0, p.weight_sd, p.features)
    b = rng.uniform(-p.bias_range, p.bias_range, p.features)
    feats = np.maximum(np.outer(x, w) + b, 0.0)
    lam, u = np.linalg.eigh(feats @ feats.T / p.features)
    lam = np.clip(lam, 0.0, None)
    eta = 1.0 / lam.max()
    t = np.geomspace(1.0, p.t_max, p.times)
    gain = 1.0 - (1.0 - eta * lam[None, :]) ** t[:, None]
    fits = (gain * (u.T @ y)) @ u.T
    # The in-phase share of each target component: energy leaked to frequency k with the wrong
    # phase (the kernel is not exactly translation-invariant) does not count as learning it.
    learned = np.real(np.fft.rfft(fits, axis=1)[:, ks] / np.fft.rfft(y)[ks])
    gap = learned[:, 0] - learned[:, -1]
    i_gap = int(np.argmax(gap))
    # First time each frequency is half learned (inf if never within t_max).
    half = learned >= 0.5
    t_half = np.where(half.any(axis=0), t[np.argmax(half, axis=0)], np.inf)
    return {
        "t": t,
        "frequencies": ks,
        "learned": learned.T,
        "learned_slowest": learned[:, -1],
        "learned_total": np.mean(learned, axis=1),
        "t_gap": float(t[i_gap]),
        "t_half": t_half,
        "learned_at_gap": learned[i_gap],
        "x": x,
        "target": y,
    }


# -- bias and variance --------------------------------------------------------------------------


class BiasVarianceParams(Params):
    """Polynomial least squares on ten noisy samples of sin(2 pi x)."""

    n_train: int = Field(10, ge=3, le=200)
    noise: float = Field(0.3, ge=0.0, le=3.0)
    degrees: tuple[int, ...] = (0, 1, 3, 9)
    max_degree: int = Field(9, ge=1, le=30)
    n_test: int = Field(1000, ge=20, le=100000)
    grid: int = Field(401, ge=50, le=4001)


def _poly_fit(x: np.ndarray, y: np.ndarray, degree: int) -> np.ndarray:
    """Least-squares coefficients in the Legendre basis on [0, 1] (well conditioned)."""
    basis = np.polynomial.legendre.legvander(2 * x - 1, degree)
    return np.linalg.lstsq(basis, y, rcond=None)[0]


def _poly_eval(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.polynomial.legendre.legval(2 * x - 1, coef)


@recipe("bias-variance", BiasVarianceParams)
def bias_variance(p: BiasVarianceParams, rng: np.random.Generator) -> Arrays:
    """Fits of growing degree to the same ten points, and their train and test errors.

    Degree 0 and 1 cannot bend (bias); degree 3 follows the sine; degree 9 has as many
    coefficients as points, interpolates the noise exactly and swings between the samples
    (variance), which shows as the largest test error (Bishop 2006, Figs. 1.4-1.5).
    """
    if max(p.degrees) > p.max_degree:
        msg = "degrees must not exceed max_degree"
        raise ValueError(msg)
    x = (np.arange(p.n_train) + 0.5) / p.n_train + rng.uniform(-0.3, 0.3, p.n_train) / p.n_train
    y = np.sin(2 * np.pi * x) + p.noise * rng.normal(size=p.n_train)
    x_test = rng.uniform(0.0, 1.0, p.n_test)
    y_test = np.sin(2 * np.pi * x_test) + p.noise * rng.normal(size=p.n_test)
    grid = np.linspace(0.0, 1.0, p.grid)
    all_deg = np.arange(p.max_degree + 1)
    train_rms = np.empty(all_deg.size)
    test_rms = np.empty(all_deg.size)
    curves = {}
    for d in range(p.max_degree + 1):
        coef = _poly_fit(x, y, d)
        train_rms[d] = np.sqrt(np.mean((_poly_eval(coef, x) - y) ** 2))
        test_rms[d] = np.sqrt(np.mean((_poly_eval(coef, x_test) - y_test) ** 2))
        curves[int(d)] = _poly_eval(coef, grid)
    out: dict[str, object] = {
        "x": grid,
        "truth": np.sin(2 * np.pi * grid),
        "x_train": x,
        "y_train": y,
        "degree": all_deg,
        "train_rms": train_rms,
        "test_rms": test_rms,
        "fits": np.stack([curves[d] for d in p.degrees]),
        "fit_degrees": np.asarray(p.degrees),
    }
    for d in p.degrees:
        out[f"fit_{d}"] = curves[d]
        out[f"test_rms_{d}"] = float(test_rms[d])
        out[f"train_rms_{d}"] = float(train_rms[d])
    return out


# -- curse of dimensionality --------------------------------------------------------------------


class CurseParams(Params):
    """Pairwise distances between uniform points in the unit cube, for growing dimension."""

    dims: tuple[int, ...] = (2, 3, 5, 10, 20, 50, 100, 200, 500, 1000)
    points: int = Field(200, ge=10, le=2000)
    bins: int = Field(160, ge=10, le=2000)
    r_max: float = Field(2.4, gt=1.0, le=10.0)


@recipe("curse-of-dimensionality", CurseParams)
def curse_of_dimensionality(p: CurseParams, rng: np.random.Generator) -> Arrays:
    """Histograms of pairwise distance / mean distance as the dimension grows.

    Each squared distance is a sum of d independent terms, so its relative spread falls like
    1/sqrt(d): in high dimension every point is about as far from every other, and "nearest"
    stops meaning much (Beyer et al. 1999).
    """
    if not p.dims or min(p.dims) < 1 or max(p.dims) > 10000:
        msg = "dims must lie in 1..10000"
        raise ValueError(msg)
    edges = np.linspace(0.0, p.r_max, p.bins + 1)
    iu = np.triu_indices(p.points, 1)
    hist = np.empty((len(p.dims), p.bins))
    rel_sd = np.empty(len(p.dims))
    mean_dist = np.empty(len(p.dims))
    for i, d in enumerate(p.dims):
        pts = rng.uniform(size=(p.points, d))
        sq = np.sum(pts**2, axis=1)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * pts @ pts.T, 0.0)
        dist = np.sqrt(d2[iu])
        mean_dist[i] = dist.mean()
        rel = dist / mean_dist[i]
        rel_sd[i] = rel.std()
        hist[i] = np.histogram(rel, bins=edges, density=True)[0]
    return {
        "r": (edges[:-1] + edges[1:]) / 2,
        "density": hist,
        "dims": np.asarray(p.dims),
        "relative_sd": rel_sd,
        "mean_distance": mean_dist,
        # Delta method: |u - v|^2 per axis has mean 1/6 and variance 7/180.
        "theory_relative_sd": np.sqrt(7.0 / 20.0 / np.asarray(p.dims, float)),
    }


# -- Marchenko-Pastur law -----------------------------------------------------------------------


class MarchenkoPasturParams(Params):
    """Eigenvalues of sample covariance matrices X'X/n of white Gaussian data."""

    n: int = Field(800, ge=50, le=3000, description="samples")
    ratios: tuple[float, ...] = Field((0.05, 0.2, 0.5, 0.8), min_length=1, max_length=8)
    bins: int = Field(120, ge=20, le=600)
    x_max: float = Field(3.6, gt=0.5, le=20.0)


def marchenko_pastur_density(x: np.ndarray, ratio: float) -> np.ndarray:
    """The Marchenko-Pastur density of the eigenvalues of X'X/n for p/n = ratio <= 1, unit variance."""
    lo, hi = (1 - math.sqrt(ratio)) ** 2, (1 + math.sqrt(ratio)) ** 2
    inside = (x > lo) & (x < hi)
    out = np.zeros_like(x, dtype=float)
    out[inside] = np.sqrt((hi - x[inside]) * (x[inside] - lo)) / (2 * math.pi * ratio * x[inside])
    return out


@recipe("marchenko-pastur", MarchenkoPasturParams)
def marchenko_pastur(p: MarchenkoPasturParams, rng: np.random.Generator) -> Arrays:
    """Histograms of the eigenvalues of X'X/n (X: n x p standard Gaussian) for several p/n,
    with the exact limiting density of Marchenko & Pastur (1967): the spectrum of pure noise
    spreads over [(1 - sqrt(p/n))^2, (1 + sqrt(p/n))^2] although every true variance is 1."""
    if max(p.ratios) > 1.0 or min(p.ratios) <= 0.0:
        msg = "ratios must lie in (0, 1]"
        raise ValueError(msg)
    edges = np.linspace(0.0, p.x_max, p.bins + 1)
    mids = (edges[:-1] + edges[1:]) / 2
    hist, dens, top, bottom, l1 = [], [], [], [], []
    for r in p.ratios:
        d = max(2, int(round(r * p.n)))
        x = rng.normal(size=(p.n, d))
        ev = np.linalg.eigvalsh(x.T @ x / p.n)
        h = np.histogram(ev, bins=edges, density=True)[0]
        f = marchenko_pastur_density(mids, d / p.n)
        hist.append(h)
        dens.append(f)
        top.append(ev.max())
        bottom.append(ev.min())
        l1.append(float(np.sum(np.abs(h - f)) * (edges[1] - edges[0])))
    ratios = np.asarray(p.ratios, float)
    return {"lam": mids, "hist": np.array(hist), "mp_density": np.array(dens), "ratios": ratios,
            "top_eigenvalue": np.array(top), "bottom_eigenvalue": np.array(bottom),
            "top_edge": (1 + np.sqrt(ratios)) ** 2, "bottom_edge": (1 - np.sqrt(ratios)) ** 2,
            "l1_distance": np.array(l1)}


# -- the Gaussian-process limit of wide random networks -----------------------------------------


class WideNetParams(Params):
    """Outputs of random one-hidden-layer tanh networks at one input, for growing width."""

    widths: tuple[int, ...] = Field((1, 2, 4, 8, 16, 64, 256), min_length=2, max_length=12)
    nets: int = Field(10000, ge=500, le=200000, description="random networks per width")
    bins: int = Field(90, ge=20, le=400)
    x_max: float = Field(2.6, gt=0.5, le=10.0)


@recipe("wide-net-outputs", WideNetParams)
def wide_net_outputs(p: WideNetParams, rng: np.random.Generator) -> Arrays:
    """f(x) = sum_j a_j tanh(w_j . x) / sqrt(m) at one unit-norm input, over many random nets
    (a_j, w_j standard normal, so w_j . x is standard normal exactly).  A sum of m independent
    terms: as the width grows the histogram becomes the Gaussian N(0, E tanh(z)^2) and the
    excess kurtosis falls as 1/m (Neal 1996: the Gaussian-process limit)."""
    if max(p.widths) > 4096 or min(p.widths) < 1:
        msg = "widths must lie in 1..4096"
        raise ValueError(msg)
    z, wq = np.polynomial.hermite_e.hermegauss(80)
    var = float(np.sum(wq * np.tanh(z) ** 2) / np.sum(wq))
    edges = np.linspace(-p.x_max, p.x_max, p.bins + 1)
    mids = (edges[:-1] + edges[1:]) / 2
    gauss = np.exp(-mids**2 / (2 * var)) / math.sqrt(2 * math.pi * var)
    hist, kurt, l1 = [], [], []
    for m in p.widths:
        out = np.zeros(p.nets)
        for start in range(0, m, 64):  # in slices, to bound memory
            k = min(64, m - start)
            out += np.sum(rng.normal(size=(p.nets, k)) * np.tanh(rng.normal(size=(p.nets, k))), axis=1)
        out /= math.sqrt(m)
        h = np.histogram(out, bins=edges, density=True)[0]
        hist.append(h)
        c = out - out.mean()
        kurt.append(float(np.mean(c**4) / np.mean(c**2) ** 2 - 3.0))
        l1.append(float(np.sum(np.abs(h - gauss)) * (edges[1] - edges[0])))
    return {"f": mids, "hist": np.array(hist), "gaussian": gauss, "widths": np.asarray(p.widths),
            "excess_kurtosis": np.array(kurt), "l1_distance": np.array(l1), "limit_variance": var}


# -- no free lunch (exact enumeration) ----------------------------------------------------------


class NoFreeLunchParams(Params):
    """Every boolean target on n-bit inputs; a training set of half the inputs."""

    bits: int = Field(4, ge=2, le=4)
    train: int = Field(8, ge=1, le=15)


@recipe("no-free-lunch", NoFreeLunchParams)
def no_free_lunch(p: NoFreeLunchParams, rng: np.random.Generator) -> Arrays:
    """Off-training-set accuracy of three learners over all 2^(2^bits) boolean targets, exactly:
    a majority vote, 1-nearest neighbour in Hamming distance, and its opposite (predict the
    nearest neighbour's label flipped).  Averaged uniformly over targets each scores exactly
    1/2, and each has the same binomial spread of accuracies (Wolpert 1996).  The training
    inputs are drawn by the generator."""
    n_in = 2**p.bits
    if p.train >= n_in:
        msg = f"train must be below {n_in}"
        raise ValueError(msg)
    inputs = (np.arange(n_in)[:, None] >> np.arange(p.bits)) & 1
    order = rng.permutation(n_in)
    tr, te = np.sort(order[: p.train]), np.sort(order[p.train:])
    targets = (np.arange(2**n_in)[:, None] >> np.arange(n_in)) & 1  # (targets, inputs)
    y_tr, y_te = targets[:, tr], targets[:, te]
    ham = np.sum(inputs[te][:, None, :] != inputs[tr][None, :, :], axis=2)  # (test, train)
    nearest = np.argmin(ham, axis=1)
    majority = (2 * y_tr.sum(1) >= p.train).astype(int)[:, None] * np.ones(te.size, int)
    nn = y_tr[:, nearest]
    preds = {"majority vote": majority, "nearest neighbour": nn, "anti nearest neighbour": 1 - nn}
    levels = te.size + 1
    counts, means = [], []
    for pred in preds.values():
        right = np.sum(pred == y_te, axis=1)
        counts.append(np.bincount(right, minlength=levels))
        means.append(float(right.mean() / te.size))
    binom = np.array([math.comb(te.size, k) for k in range(levels)], float) * 2.0**p.train
    return {"counts": np.array(counts, float), "mean_accuracy": np.array(means),
            "binomial_counts": binom, "learners": list(preds), "targets": float(2**n_in),
            "accuracy_labels": [f"{k}/{te.size}" for k in range(levels)], "test_points": te.size}


# -- universal approximation (hand-wired) -------------------------------------------------------


class UniversalParams(Params):
    """Steep sigmoid pairs placed by hand so that each pair is a bump."""

    units: tuple[int, ...] = Field((4, 8, 16, 32, 64, 128, 256), min_length=2, max_length=12)
    shown: tuple[int, ...] = Field((4, 16), min_length=1, max_length=3)
    steepness: float = Field(40.0, gt=1.0, le=1e4, description="sigmoid slope times bump width")
    grid: int = Field(2001, ge=200, le=20001)


def _universal_target(x: np.ndarray) -> np.ndarray:
    return np.sin(3 * np.pi * x) * np.exp(-x) + 0.5 * x


def _bumps(x: np.ndarray, units: int, steep: float) -> np.ndarray:
    """units/2 bumps: sigmoid(s(x - l)) - sigmoid(s(x - r)) on equal cells, each scaled by the
    target at the cell centre (weights set by hand, no training)."""
    k = units // 2
    edges = np.linspace(0.0, 1.0, k + 1)
    centre = (edges[:-1] + edges[1:]) / 2
    s = steep * k
    up = 0.5 * (1 + np.tanh(0.5 * s * (x[:, None] - edges[None, :-1])))
    down = 0.5 * (1 + np.tanh(0.5 * s * (x[:, None] - edges[None, 1:])))
    return (up - down) @ _universal_target(centre)


@recipe("universal-approximation", UniversalParams)
def universal_approximation(p: UniversalParams, rng: np.random.Generator) -> Arrays:
    """A one-hidden-layer sigmoid network with hand-set weights: pairs of steep sigmoids make
    bumps on equal cells, each bump as tall as the target at its cell's centre.  The sup
    error falls as one over the number of units for this smooth target (Cybenko 1989 proves
    that such sums are dense; the construction here is the textbook one)."""
    del rng
    x = np.linspace(0.0, 1.0, p.grid)
    target = _universal_target(x)
    inner = (x > 0.02) & (x < 0.98)
    sup = np.array([np.max(np.abs(_bumps(x, u, p.steepness) - target)[inner]) for u in p.units])
    out: dict[str, object] = {"x": x, "target": target, "units": np.asarray(p.units, float),
                              "sup_error": sup}
    for u in p.shown:
        out[f"fit_{u}"] = _bumps(x, u, p.steepness)
    for u, e in zip(p.units, sup, strict=True):
        out[f"sup_{u}"] = float(e)
    return out


# -- the conservation law of learnability (eigenlearning) ---------------------------------------


class EigenlearningParams(Params):
    """Ridgeless regression in a kernel's eigenbasis: how much of each mode n samples learn."""

    features: int = Field(400, ge=20, le=2000)
    decay: float = Field(1.5, ge=0.2, le=4.0, description="eigenvalues lambda_k = k^-decay")
    samples: tuple[int, ...] = Field((10, 40, 160), min_length=1, max_length=6)
    draws: int = Field(20, ge=1, le=200)


@recipe("eigenlearning", EigenlearningParams)
def eigenlearning(p: EigenlearningParams, rng: np.random.Generator) -> Arrays:
    """The learnability of eigenmode k, the share of a target e_k that minimum-norm regression
    on n samples recovers, is the k-th diagonal entry of the projector onto the row space of
    the n x features design matrix; so on every draw the learnabilities sum to exactly n.
    Modes with large eigenvalues take most of that budget (Simon et al. 2023).  ``learnability``
    is (samples, features), the mean over ``draws`` draws; ``budget`` its row sums."""
    if max(p.samples) >= p.features:
        msg = "samples must stay below features"
        raise ValueError(msg)
    k = np.arange(1, p.features + 1, dtype=float)
    scale = np.sqrt(k**-p.decay)
    rows, sums = [], []
    for n in p.samples:
        acc = np.zeros(p.features)
        draw_sums = []
        for _ in range(p.draws):
            x = rng.normal(size=(n, p.features)) * scale
            proj = np.einsum("ij,ji->i", x.T, np.linalg.solve(x @ x.T, x))  # diag of X^+ X
            acc += proj
            draw_sums.append(proj.sum())
        rows.append(acc / p.draws)
        sums.append(min(draw_sums))
    learn = np.array(rows)
    half = np.array([float(k[np.argmax(r < 0.5)]) for r in learn])
    out: dict[str, object] = {"mode": k, "learnability": learn, "budget": learn.sum(axis=1),
                              "worst_draw_budget": np.array(sums), "samples": np.asarray(p.samples, float),
                              "half_mode": half, "eigenvalue": k**-p.decay}
    for i, row in enumerate(learn):
        out[f"learnability_{i}"] = row
        out[f"budget_{i}"] = float(row.sum())
    return out


# -- the representer theorem --------------------------------------------------------------------


class RepresenterParams(Params):
    """Gaussian-kernel ridge regression on a few noisy samples, drawn as its kernel sum."""

    n: int = Field(8, ge=3, le=40)
    bandwidth: float = Field(0.1, gt=0.005, le=1.0)
    ridge: float = Field(0.1, ge=1e-6, le=10.0)
    noise: float = Field(0.15, ge=0.0, le=2.0)
    grid: int = Field(600, ge=100, le=4000)


@recipe("representer", RepresenterParams)
def representer(p: RepresenterParams, rng: np.random.Generator) -> Arrays:
    """Kernel ridge regression, min sum (f(x_i) - y_i)^2 + lambda |f|_H^2 over a Gaussian RKHS.
    The representer theorem says the minimiser is f = sum_i c_i k(x_i, .): here
    c = (K + lambda I)^-1 y, and each weighted kernel c_i k(x_i, .) is drawn; their sum is
    the fit (Scholkopf, Herbrich & Smola 2001)."""
    x = np.sort(rng.uniform(0.05, 0.95, p.n))
    y = np.sin(2 * np.pi * x) + p.noise * rng.normal(size=p.n)
    kern = np.exp(-((x[:, None] - x[None, :]) ** 2) / (2 * p.bandwidth**2))
    c = np.linalg.solve(kern + p.ridge * np.eye(p.n), y)
    grid = np.linspace(0.0, 1.0, p.grid)
    parts = c[:, None] * np.exp(-((x[:, None] - grid[None, :]) ** 2) / (2 * p.bandwidth**2))
    fit = parts.sum(axis=0)
    fit_train = kern @ c
    # Optimality: the gradient of the objective over the coefficients vanishes at c.
    grad = kern @ (fit_train - y) + p.ridge * kern @ c
    return {"x": grid, "parts": parts, "fit": fit, "x_train": x, "y_train": y, "coef": c,
            "fit_at_train": fit_train, "stationarity": float(np.max(np.abs(grad))),
            "train_rms": float(np.sqrt(np.mean((fit_train - y) ** 2))),
            "truth": np.sin(2 * np.pi * grid), "largest_part": float(np.max(np.abs(parts)))}


# -- uniform convergence of the empirical distribution ------------------------------------------


class UniformDeviationParams(Params):
    """The largest gap between an empirical and the true distribution function, scaled by sqrt(n)."""

    sizes: tuple[int, ...] = Field((4, 16, 64, 256, 1024), min_length=2, max_length=10)
    trials: int = Field(4000, ge=200, le=50000)
    bins: int = Field(70, ge=20, le=400)
    x_max: float = Field(2.2, gt=0.5, le=5.0)


def kolmogorov_cdf(x: np.ndarray) -> np.ndarray:
    """Kolmogorov's limiting distribution of sqrt(n) sup |F_n - F|, by whichever series
    converges fast at x (the theta-function form below x = 1)."""
    x = np.asarray(x, float)
    out = np.zeros_like(x)
    k = np.arange(1, 60)[:, None]
    small = (x > 0) & (x < 1.0)
    xs = x[small]
    out[small] = math.sqrt(2 * math.pi) / xs * np.sum(np.exp(-((2 * k - 1) ** 2) * math.pi**2 / (8 * xs**2)), axis=0)
    big = x >= 1.0
    xb = x[big]
    out[big] = 1 - 2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k**2 * xb**2), axis=0)
    return out


@recipe("uniform-deviation", UniformDeviationParams)
def uniform_deviation(p: UniformDeviationParams, rng: np.random.Generator) -> Arrays:
    """sqrt(n) sup_x |F_n(x) - F(x)| for n uniform samples, exactly from the sorted sample, over
    ``trials`` samples per n: the empirical risk of every threshold classifier converges to its
    risk uniformly, at rate 1/sqrt(n) (Glivenko-Cantelli), and the scaled gap settles onto
    Kolmogorov's distribution (Kolmogorov 1933)."""
    if max(p.sizes) > 20000:
        msg = "sizes must be at most 20000"
        raise ValueError(msg)
    edges = np.linspace(0.0, p.x_max, p.bins + 1)
    mids = (edges[:-1] + edges[1:]) / 2
    kol = np.diff(kolmogorov_cdf(edges)) / np.diff(edges)
    hist, med, raw_med, l1 = [], [], [], []
    for n in p.sizes:
        gaps = np.empty(p.trials)
        step = max(1, 2_000_000 // n)
        for start in range(0, p.trials, step):
            m = min(step, p.trials - start)
            u = np.sort(rng.uniform(size=(m, n)), axis=1)
            k = np.arange(1, n + 1)
            gaps[start:start + m] = np.maximum(np.max(k / n - u, axis=1), np.max(u - (k - 1) / n, axis=1))
        scaled = math.sqrt(n) * gaps
        h = np.histogram(scaled, bins=edges, density=True)[0]
        hist.append(h)
        med.append(float(np.median(scaled)))
        raw_med.append(float(np.median(gaps)))
        l1.append(float(np.sum(np.abs(h - kol)) * (edges[1] - edges[0])))
    return {"d": mids, "hist": np.array(hist), "kolmogorov": kol, "sizes": np.asarray(p.sizes, float),
            "scaled_median": np.array(med), "raw_median": np.array(raw_med), "l1_distance": np.array(l1),
            "kolmogorov_median": float(np.interp(0.5, kolmogorov_cdf(mids), mids))}


# -- one parameter, infinite VC dimension -------------------------------------------------------


class SineShatterParams(Params):
    """The classifiers sign(sin(omega x)) on the points x_i = 10^-i."""

    points: int = Field(5, ge=2, le=6, description="points in the drawn table (2^points rows)")
    max_points: int = Field(8, ge=2, le=9, description="largest n checked exhaustively")


def sine_frequency(y: np.ndarray) -> float:
    """omega = pi (1 + sum_i (1 - y_i)/2 10^i): then sign(sin(omega 10^-i)) = y_i for every i."""
    i = np.arange(1, y.size + 1)
    return float(math.pi * (1 + np.sum((1 - y) / 2 * 10.0**i)))


@recipe("sine-shattering", SineShatterParams)
def sine_shattering(p: SineShatterParams, rng: np.random.Generator) -> Arrays:
    """A single parameter omega, yet sign(sin(omega x)) realises every labelling of the points
    x_i = 10^-i, i = 1..n: each labelling is checked for n up to ``max_points`` with its own
    omega from the closed formula, so the VC dimension is not the parameter count (Vapnik
    1995).  The drawn table is sign(sin(omega x_i)) for every labelling of ``points`` points,
    each row with its own omega."""
    del rng
    ns = np.arange(1, p.max_points + 1)
    realised = []
    for n in ns:
        x = 10.0 ** -np.arange(1, n + 1)
        ys = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
        ok = [np.all(np.sign(np.sin(sine_frequency(y) * x)) == y) for y in ys]
        realised.append(float(np.sum(ok)))
    xs = 10.0 ** -np.arange(1, p.points + 1)
    table = 1 - 2 * ((np.arange(2**p.points)[:, None] >> np.arange(p.points)) & 1)
    omegas = np.array([sine_frequency(y) for y in table])
    values = np.sin(omegas[:, None] * xs[None, :])
    return {"labellings": table.astype(float), "sin_values": values, "signs": np.sign(values), "signs_by_point": np.sign(values).T,
            "matches": np.sign(values) == table, "omegas": omegas, "x_points": xs,
            "point_labels": ["10⁻" + "⁰¹²³⁴⁵⁶⁷⁸⁹"[i] for i in range(1, p.points + 1)],
            "n": ns.astype(float), "realised": np.array(realised), "all_labellings": 2.0**ns,
            "largest_omega": float(omegas.max())}
