"""Engines of the interpretability family's attribution plates (integrated gradients, Shapley).

The per-plate contract (renders, claims hold at the verify seeds) is run over the whole archive
elsewhere; here: the attribution axioms hold for any in-bounds setting, exact Shapley values
match a hand-computable game, and out-of-bounds parameters are refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.recipes.interp_attribution import (
    IntegratedGradientsParams,
    ShapleyParams,
    SoluParams,
    exact_shapley,
    integrated_gradients,
    shapley_exact,
    solu_selectivity,
)

FAST = {"n_train": 60, "steps": 100, "hidden": 4}


def test_exact_shapley_of_a_known_game() -> None:
    """f = 2 x0 + x1 x2: φ = (2 x0, x1 x2 / 2, x1 x2 / 2, 0) from a zero baseline."""
    def f(z: np.ndarray) -> np.ndarray:
        return 2 * z[..., 0] + z[..., 1] * z[..., 2]

    x = np.array([[1.5, 2.0, -3.0, 7.0]])
    phi = exact_shapley(f, x, np.zeros(4))
    assert np.allclose(phi, [[3.0, -3.0, -3.0, 0.0]])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point=st.tuples(*[st.floats(-2, 2)] * 4), seed=st.integers(0, 2**16),
       steps=st.integers(50, 400))
def test_integrated_gradients_completeness(point: tuple[float, ...], seed: int, steps: int) -> None:
    d = integrated_gradients(IntegratedGradientsParams(point=point, path_steps=steps, **FAST),
                             np.random.default_rng(seed))
    assert abs(d["ig_sum"] - d["delta"]) < 0.05 * (1 + abs(d["delta"]))
    assert d["cumulative"].shape == (4, steps + 1)
    assert np.all(d["cumulative"][:, 0] == 0)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 24), seed=st.integers(0, 2**16))
def test_shapley_efficiency(n: int, seed: int) -> None:
    d = shapley_exact(ShapleyParams(n_points=n, **FAST), np.random.default_rng(seed))
    assert d["phi"].shape == (n, 4)
    assert np.max(d["efficiency_error"]) < 1e-9


@pytest.mark.parametrize("bad", [{"hidden": 1000}, {"steps": 0}, {"lr": 5.0}, {"n_points": 1000}])
def test_out_of_bounds_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        ShapleyParams(**bad)


def test_recipes_are_deterministic() -> None:
    a = integrated_gradients(IntegratedGradientsParams(**FAST), np.random.default_rng(3))
    b = integrated_gradients(IntegratedGradientsParams(**FAST), np.random.default_rng(3))
    assert np.array_equal(a["cumulative"], b["cumulative"])


@settings(max_examples=20, deadline=None)
@given(radius=st.floats(0.5, 10.0), points=st.integers(11, 401))
def test_solu_never_exceeds_its_input_and_sharpens(radius: float, points: int) -> None:
    d = solu_selectivity(SoluParams(radius=radius, points=points), np.random.default_rng(0))
    assert np.all(d["solu"] <= d["relu"] + 1e-12)
    assert np.all(d["ratio_out"] <= d["ratio_in"] + 1e-12)


def test_solu_bounds_refused() -> None:
    with pytest.raises(ValidationError):
        SoluParams(radius=100.0)
