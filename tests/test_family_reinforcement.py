"""Engine properties of the reinforcement family's recipes (rl-curves)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.recipes.reinforcement import RLCurveParams, rl_curves


@given(episodes=st.integers(-10, 1000), runs=st.integers(-10, 1000), alpha=st.floats(-1.0, 3.0))
@settings(max_examples=60, deadline=None)
def test_params_bounds(episodes: int, runs: int, alpha: float) -> None:
    ok = 5 <= episodes <= 500 and 5 <= runs <= 300 and 0.0 < alpha <= 1.0
    if ok:
        RLCurveParams(episodes=episodes, runs=runs, alpha_td=alpha, alpha_mc=alpha)
    else:
        with pytest.raises(ValidationError):
            RLCurveParams(episodes=episodes, runs=runs, alpha_td=alpha, alpha_mc=alpha)


def test_random_walk_shapes_and_start() -> None:
    p = RLCurveParams(episodes=20, runs=10, alpha_td=0.1, alpha_mc=0.02)
    out = rl_curves(p, np.random.default_rng(0))
    assert out["td_rms"].shape == out["mc_rms"].shape == (21,)
    np.testing.assert_allclose(out["truth"], np.arange(1, 6) / 6)
    start = np.sqrt(np.mean((out["truth"] - 0.5) ** 2))
    assert out["td_rms"][0] == pytest.approx(start) and out["mc_rms"][0] == pytest.approx(start)
    assert np.all(out["td_lo"] <= out["td_hi"])


def test_random_walk_deterministic_and_seeded() -> None:
    p = RLCurveParams(episodes=15, runs=8, alpha_td=0.1, alpha_mc=0.02)
    a = rl_curves(p, np.random.default_rng(3))
    b = rl_curves(p, np.random.default_rng(3))
    c = rl_curves(p, np.random.default_rng(4))
    np.testing.assert_array_equal(a["td_rms"], b["td_rms"])
    assert not np.array_equal(a["td_rms"], c["td_rms"])


def test_alpha_one_mc_copies_last_outcome() -> None:
    """With alpha = 1 every visited state of constant-alpha MC holds the last walk's outcome."""
    out = rl_curves(RLCurveParams(episodes=5, runs=5, alpha_td=0.1, alpha_mc=1.0), np.random.default_rng(0))
    assert np.all(np.isfinite(out["mc_rms"]))
    # the middle state is visited every walk, so it holds 0 or 1 against a true 1/2: RMS >= sqrt(0.25 / 5)
    assert out["mc_rms"][-1] >= np.sqrt(0.25 / 5) - 1e-12
