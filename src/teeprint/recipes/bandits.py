"""E15 online curves: regret of sequential decision rules, mean and band over seeded runs.

One recipe, ``bandit``: an environment (``bernoulli`` arms, or ``forrester``, a 1-D function
observed with noise on a grid of candidate points) and a list of policies, each run ``runs``
times side by side.  Per policy ``key`` the arrays are ``<key>_regret`` (median over runs),
``<key>_lo`` / ``<key>_hi`` (10th / 90th percentiles) and ``<key>_final`` (median final regret);
``t`` is the step axis.  Bernoulli arms report cumulative regret; ``forrester`` reports simple
regret (gap between the best value found so far and the optimum), the measure for optimisation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

Policy = Literal["eps-greedy", "ucb1", "thompson", "random", "gp-ei", "gp-ucb"]


class PolicySpec(Params):
    """One decision rule and its setting."""

    key: str = Field(pattern=r"^[a-z][a-z0-9]*$", max_length=12)
    policy: Policy
    epsilon: float = Field(0.1, ge=0.0, le=1.0, description="eps-greedy: exploration rate")
    kappa: float = Field(2.0, ge=0.0, le=10.0, description="gp-ucb: mean + kappa sd")


class BanditParams(Params):
    """The environment, its horizon, the runs and the policies."""

    env: Literal["bernoulli", "forrester"] = "bernoulli"
    means: tuple[float, ...] = Field((0.3, 0.5, 0.6, 0.7), min_length=2, max_length=50)
    horizon: int = Field(1000, ge=5, le=20000)
    runs: int = Field(20, ge=2, le=500)
    noise_sd: float = Field(0.05, ge=0.0, le=5.0, description="forrester: observation noise")
    grid: int = Field(101, ge=10, le=1001, description="forrester: candidate points on [0, 1]")
    length_scale: float = Field(0.1, gt=0.005, le=2.0, description="gp policies: RBF length scale")
    init: int = Field(2, ge=1, le=20, description="forrester: random evaluations before the model")
    policies: tuple[PolicySpec, ...] = Field(min_length=1, max_length=5)

    @model_validator(mode="after")
    def _check(self) -> BanditParams:
        keys = [p.key for p in self.policies]
        if len(set(keys)) != len(keys):
            msg = f"policy keys must be unique, got {keys}"
            raise ValueError(msg)
        gp = {"gp-ei", "gp-ucb"}
        for spec in self.policies:
            if self.env == "bernoulli" and spec.policy in gp:
                msg = f"{spec.policy} needs env 'forrester'"
                raise ValueError(msg)
            if self.env == "forrester" and spec.policy not in gp | {"random"}:
                msg = f"{spec.policy} needs env 'bernoulli'"
                raise ValueError(msg)
        if any(not 0.0 <= m <= 1.0 for m in self.means):
            msg = "Bernoulli means lie within 0..1"
            raise ValueError(msg)
        if self.env == "forrester" and self.init >= self.horizon:
            msg = "init must be below horizon"
            raise ValueError(msg)
        return self


def _bernoulli(p: BanditParams, spec: PolicySpec, rng: np.random.Generator) -> np.ndarray:
    """Cumulative (pseudo-)regret of one policy, runs x horizon, all runs side by side."""
    mu = np.array(p.means)
    k, r = mu.size, p.runs
    pulls = np.zeros((r, k))
    wins = np.zeros((r, k))
    regret = np.zeros((r, p.horizon))
    rows = np.arange(r)
    gap = mu.max() - mu
    total = np.zeros(r)
    for t in range(p.horizon):
        if spec.policy == "random":
            arm = rng.integers(0, k, r)
        elif spec.policy == "eps-greedy":
            est = np.where(pulls > 0, wins / np.maximum(pulls, 1), np.inf)
            greedy = np.argmax(est + 1e-9 * rng.random((r, k)), 1)
            arm = np.where(rng.random(r) < spec.epsilon, rng.integers(0, k, r), greedy)
        elif spec.policy == "ucb1":
            bonus = np.sqrt(2 * np.log(t + 1) / np.maximum(pulls, 1))
            score = np.where(pulls > 0, wins / np.maximum(pulls, 1) + bonus, np.inf)
            arm = np.argmax(score, 1)
        else:  # thompson: Beta(1 + wins, 1 + losses) posterior draws
            arm = np.argmax(rng.beta(1 + wins, 1 + pulls - wins), 1)
        reward = rng.random(r) < mu[arm]
        pulls[rows, arm] += 1
        wins[rows, arm] += reward
        total += gap[arm]
        regret[:, t] = total
    return regret


def forrester(x: np.ndarray) -> np.ndarray:
    """Forrester, Sobester & Keane's test function (6x - 2)^2 sin(12x - 4) on [0, 1], to minimise."""
    return (6 * x - 2) ** 2 * np.sin(12 * x - 4)


def _forrester(p: BanditParams, spec: PolicySpec, rng: np.random.Generator) -> np.ndarray:
    """Simple regret (best true value among the points evaluated so far, minus the minimum) of one
    policy, runs x horizon.  GP policies fit an RBF GP to the noisy values seen, standardised."""
    from scipy.special import ndtr  # noqa: PLC0415  (scipy is a dependency; imported when used)

    grid = np.linspace(0.0, 1.0, p.grid)
    f = forrester(grid)
    f_min = f.min()
    out = np.zeros((p.runs, p.horizon))
    for run in range(p.runs):
        idx = list(rng.choice(p.grid, p.init, replace=False))
        ys = list(f[idx] + p.noise_sd * rng.normal(size=p.init))
        while len(idx) < p.horizon:
            if spec.policy == "random":
                nxt = int(rng.integers(0, p.grid))
            else:
                y = np.array(ys)
                mu_y, sd_y = y.mean(), y.std() or 1.0
                z = (y - mu_y) / sd_y
                xo = grid[idx]
                k_oo = np.exp(-0.5 * (xo[:, None] - xo[None, :]) ** 2 / p.length_scale**2)
                k_go = np.exp(-0.5 * (grid[:, None] - xo[None, :]) ** 2 / p.length_scale**2)
                noise = max(p.noise_sd / sd_y, 1e-3) ** 2
                chol = np.linalg.cholesky(k_oo + noise * np.eye(len(idx)))
                alpha = np.linalg.solve(chol.T, np.linalg.solve(chol, z))
                m = k_go @ alpha
                v = np.linalg.solve(chol, k_go.T)
                s = np.sqrt(np.clip(1.0 - np.sum(v * v, 0), 1e-12, None))
                if spec.policy == "gp-ucb":
                    score = -(m - spec.kappa * s)  # minimising: lower confidence bound
                else:  # expected improvement over the best mean seen (Jones et al. 1998)
                    best = np.min(m[idx])
                    u = (best - m) / s
                    score = s * (u * ndtr(u) + np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi))
                nxt = int(np.argmax(score + 1e-12 * rng.random(p.grid)))
            idx.append(nxt)
            ys.append(float(f[nxt] + p.noise_sd * rng.normal()))
        out[run] = np.minimum.accumulate(f[idx]) - f_min
    return out


@recipe("bandit", BanditParams)
def bandit(p: BanditParams, rng: np.random.Generator) -> Arrays:
    """Regret curves of sequential decision rules, median and 10-90 % band over seeded runs."""
    t = np.arange(1, p.horizon + 1, dtype=float)
    out: Arrays = {"t": t, "runs": float(p.runs)}
    if p.env == "forrester":
        grid = np.linspace(0.0, 1.0, p.grid)
        out["best_x"] = float(grid[np.argmin(forrester(grid))])
    else:
        mu = np.array(p.means)
        gaps = mu.max() - mu[mu < mu.max()]
        # Lai & Robbins (1985): regret >= sum over suboptimal arms of gap / KL(mu_i, mu*) log t.
        star = mu.max()
        kl = mu * np.log(np.clip(mu / star, 1e-12, None)) + (1 - mu) * np.log(
            np.clip((1 - mu) / max(1 - star, 1e-12), 1e-12, None))
        sub = mu < star
        out["lai_robbins"] = np.sum((star - mu[sub]) / kl[sub]) * np.log(t)
        out["min_gap"] = float(gaps.min()) if gaps.size else 0.0
    for spec in p.policies:
        reg = _bernoulli(p, spec, rng) if p.env == "bernoulli" else _forrester(p, spec, rng)
        out[f"{spec.key}_regret"] = np.median(reg, 0)
        out[f"{spec.key}_mean"] = reg.mean(0)
        out[f"{spec.key}_lo"] = np.quantile(reg, 0.1, 0)
        out[f"{spec.key}_hi"] = np.quantile(reg, 0.9, 0)
        out[f"{spec.key}_final"] = float(np.median(reg[:, -1]))
    return out
