"""Recipes of the learning-theory family: how error depends on model size and data."""

from __future__ import annotations

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
    errs = np.empty((p.repeats, sizes.size))
    train_errs = np.empty((p.repeats, sizes.size))
    ridge_errs = np.empty((p.repeats, sizes.size))
    for r in range(p.repeats):
        beta = rng.normal(0.0, 1.0 / np.sqrt(p.input_dim), p.input_dim)
        x_tr = rng.normal(size=(p.n_train, p.input_dim))
        x_te = rng.normal(size=(p.n_test, p.input_dim))
        y_tr = x_tr @ beta + p.noise * rng.normal(size=p.n_train)
        y_te = x_te @ beta
        w_all = rng.normal(0.0, 1.0 / np.sqrt(p.input_dim), (p.input_dim, int(sizes.max())))
        for j, n_feat in enumerate(sizes):
            w = w_all[:, :n_feat]
            f_tr = np.maximum(x_tr @ w, 0.0)
            f_te = np.maximum(x_te @ w, 0.0)
            coef = np.linalg.lstsq(f_tr, y_tr, rcond=None)[0]  # minimum-norm when N > n
            errs[r, j] = np.mean((f_te @ coef - y_te) ** 2)
            train_errs[r, j] = np.mean((f_tr @ coef - y_tr) ** 2)
            gram = f_tr.T @ f_tr if n_feat <= p.n_train else f_tr @ f_tr.T
            lam = p.ridge * p.n_train
            if n_feat <= p.n_train:
                c_r = np.linalg.solve(gram + lam * np.eye(n_feat), f_tr.T @ y_tr)
            else:
                c_r = f_tr.T @ np.linalg.solve(gram + lam * np.eye(p.n_train), y_tr)
            ridge_errs[r, j] = np.mean((f_te @ c_r - y_te) ** 2)
    return {
        "n_train": p.n_train,
        "n_features": sizes,
        "test_error": np.median(errs, axis=0),
        "test_error_runs": errs,
        "train_error": np.median(train_errs, axis=0),
        "ridge_test_error": np.median(ridge_errs, axis=0),
        "noise_floor": p.noise**2,
    }
