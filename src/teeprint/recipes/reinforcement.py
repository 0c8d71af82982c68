"""Reinforcement learning: bandits, tabular value and policy methods, exploration, on environments small enough to solve exactly.

One recipe so far, ``rl-curves``: learning curves of tabular prediction methods, averaged over
seeded runs.  ``experiment`` names the setting:

* ``random-walk`` — Sutton & Barto's five-state random walk (Example 6.2): start in the middle
  state C, step left or right with equal chance, reward 1 only on leaving at the right end,
  undiscounted, so the true values are 1/6 .. 5/6.  Values start at 0.5; TD(0) and constant-α
  every-visit Monte Carlo learn them from the same episodes.  Arrays: ``episode`` (0..episodes),
  ``td_rms`` / ``mc_rms`` (RMS error over the five states, mean over runs), ``td_lo`` / ``td_hi``
  (10th / 90th percentiles over runs), ``td_final`` / ``mc_final`` (mean RMS at the last episode).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe


class RLCurveParams(Params):
    """The experiment, its length, the runs and the step sizes."""

    experiment: Literal["random-walk"] = "random-walk"
    episodes: int = Field(100, ge=5, le=500)
    runs: int = Field(100, ge=5, le=300)
    alpha_td: float = Field(0.1, gt=0.0, le=1.0, description="TD(0) step size")
    alpha_mc: float = Field(0.02, gt=0.0, le=1.0, description="constant-alpha Monte Carlo step size")


def _random_walk(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    n = 5
    truth = np.arange(1, n + 1) / (n + 1)
    r = p.runs
    rows = np.arange(r)
    v_td = np.full((r, n), 0.5)
    v_mc = np.full((r, n), 0.5)
    td_err = np.zeros((r, p.episodes + 1))
    mc_err = np.zeros((r, p.episodes + 1))
    td_err[:, 0] = mc_err[:, 0] = np.sqrt(np.mean((v_td - truth) ** 2, 1))
    for ep in range(1, p.episodes + 1):
        s = np.full(r, n // 2)
        active = np.ones(r, bool)
        visits = np.zeros((r, n))
        ret = np.zeros(r)
        while active.any():  # all runs step side by side; a finished run stands still
            a = rows[active]
            sa = s[a]
            visits[a, sa] += 1
            nxt = sa + np.where(rng.random(a.size) < 0.5, 1, -1)
            done = (nxt < 0) | (nxt >= n)
            target = np.where(done, (nxt >= n).astype(float), v_td[a, np.clip(nxt, 0, n - 1)])
            v_td[a, sa] += p.alpha_td * (target - v_td[a, sa])
            ret[a[done]] = (nxt[done] >= n).astype(float)
            s[a] = np.clip(nxt, 0, n - 1)
            active[a[done]] = False
        # every-visit constant-alpha MC, undiscounted: each visit's return is the final reward,
        # so k sequential updates toward the same target move v by 1 - (1 - alpha)^k of the gap
        v_mc += (1.0 - (1.0 - p.alpha_mc) ** visits) * (ret[:, None] - v_mc)
        td_err[:, ep] = np.sqrt(np.mean((v_td - truth) ** 2, 1))
        mc_err[:, ep] = np.sqrt(np.mean((v_mc - truth) ** 2, 1))
    return {
        "episode": np.arange(p.episodes + 1, dtype=float),
        "td_rms": td_err.mean(0), "mc_rms": mc_err.mean(0),
        "td_lo": np.quantile(td_err, 0.1, 0), "td_hi": np.quantile(td_err, 0.9, 0),
        "td_final": float(td_err[:, -1].mean()), "mc_final": float(mc_err[:, -1].mean()),
        "truth": truth,
    }


@recipe("rl-curves", RLCurveParams)
def rl_curves(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    """Learning curves of tabular RL methods, averaged over seeded runs (see the module docstring)."""
    return _random_walk(p, rng)
