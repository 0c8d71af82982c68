"""Recipes of the learning-theory family: how error depends on model size and data."""

from __future__ import annotations

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
    return {
        "t": t,
        "frequencies": ks,
        "learned": learned.T,
        "learned_slowest": learned[:, -1],
        "learned_total": np.mean(learned, axis=1),
        "t_gap": float(t[int(np.argmax(gap))]),
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
