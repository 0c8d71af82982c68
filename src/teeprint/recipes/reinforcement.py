"""Reinforcement learning: bandits, tabular value and policy methods, exploration, on environments small enough to solve exactly.

``rl-curves`` (the tables and graphs, ``rl-tables``, are in :mod:`teeprint.recipes.rl_tables`): learning curves of tabular prediction methods, averaged over
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

    experiment: Literal["random-walk", "td-lambda", "max-bias", "baird", "imitation", "gambler",
                        "testbed", "gradient-bandit"] = "random-walk"
    episodes: int = Field(100, ge=5, le=2000)
    runs: int = Field(100, ge=5, le=2000)
    alpha_td: float = Field(0.1, gt=0.0, le=1.0, description="TD(0) step size")
    alpha_mc: float = Field(0.02, gt=0.0, le=1.0, description="constant-alpha Monte Carlo step size")
    alphas: tuple[float, ...] = Field((0.1,), min_length=1, max_length=24, description="step sizes swept or used")
    lambdas: tuple[float, ...] = Field((0.0,), min_length=1, max_length=8, description="trace decays")
    epsilons: tuple[float, ...] = Field((0.1,), min_length=1, max_length=4, description="exploration rates")
    actions: int = Field(10, ge=2, le=20, description="max-bias: actions from B; testbed: arms")
    gamma: float = Field(1.0, ge=0.0, le=1.0)
    alpha_w: float = Field(0.1, gt=0.0, le=1.0, description="critic / baseline step size")
    offset: float = Field(0.0, ge=-10.0, le=10.0, description="testbed: mean of the arms' true values")
    inits: tuple[float, ...] = Field((), max_length=4, description="testbed: initial estimate per epsilon (default 0)")
    constant_step: bool = Field(False, description="testbed: step alphas[0] instead of sample averages")


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


def _band(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over runs (axis 0) and the mean +/- 2 standard errors."""
    m = x.mean(0)
    se = x.std(0, ddof=1) / np.sqrt(x.shape[0])
    return m, m - 2 * se, m + 2 * se


def _td_lambda(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    """19-state random walk (rewards -1 / +1 at the ends, values from 0): online TD(lambda) with
    accumulating traces, RMS error over the states averaged over the first ``episodes``
    episodes and over ``runs`` runs, for every (lambda, alpha).  Every (lambda, alpha) sees the
    same walks (common random numbers).  ``rms`` (lambdas x alphas), ``rms_<i>`` its rows,
    ``best_alpha`` / ``best_rms`` per lambda."""
    n = 19
    truth = np.arange(-(n - 1), n, 2) / (n + 1)
    lam = np.array(p.lambdas)[:, None, None, None]
    al = np.array(p.alphas)[None, :, None, None]
    r = p.runs
    shape = (len(p.lambdas), len(p.alphas), r, n)
    v = np.zeros(shape)
    err = np.zeros(shape[:3])
    rows = np.arange(r)
    for _ in range(p.episodes):
        e = np.zeros(shape)
        s = np.full(r, n // 2)
        active = np.ones(r, bool)
        while active.any():
            nxt = s + np.where(rng.random(r) < 0.5, 1, -1)
            done = (nxt < 0) | (nxt >= n)
            rew = np.where(nxt >= n, 1.0, np.where(nxt < 0, -1.0, 0.0))
            vn = np.where(done, 0.0, v[:, :, rows, np.clip(nxt, 0, n - 1)])
            delta = (rew + p.gamma * vn - v[:, :, rows, s]) * active
            e *= p.gamma * lam
            e[:, :, rows, s] += active
            v += al * delta[..., None] * e
            v = np.clip(v, -1e6, 1e6)
            active &= ~done
            s = np.where(done, s, nxt)
        err += np.sqrt(np.mean((v - truth) ** 2, -1))
    err = err / p.episodes
    mean = err.mean(-1)
    best = np.nanargmin(mean, 1)
    out: Arrays = {"alpha": np.array(p.alphas), "lambda": np.array(p.lambdas), "rms": mean,
                   "best_alpha": np.array(p.alphas)[best], "best_rms": mean.min(1), "truth": truth}
    for i in range(len(p.lambdas)):
        out[f"rms_{i}"] = mean[i]
    return out


def _max_bias(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    """Sutton & Barto's Example 6.7: from A, 'right' ends (reward 0), 'left' goes to B (reward 0),
    from which each of ``actions`` moves ends with reward N(-0.1, 1).  Q-learning and double
    Q-learning, epsilon-greedy, step alpha, undiscounted.  ``<k>_left`` is the share of runs
    taking 'left' from A in each episode, with +/- 2 s.e. band ``<k>_lo`` / ``<k>_hi``."""
    r, m, eps, a = p.runs, p.actions, p.epsilons[0], p.alphas[0]
    rows = np.arange(r)
    out: Arrays = {"episode": np.arange(1, p.episodes + 1, dtype=float), "optimal_left": eps / 2}
    for key in ("q", "dq"):
        qa = np.zeros((2, r, 2))  # two tables (double Q uses both; Q uses the first)
        qb = np.zeros((2, r, m))
        left = np.zeros((r, p.episodes))
        for ep in range(p.episodes):
            est_a = qa.sum(0) if key == "dq" else qa[0]
            greedy = np.argmax(est_a + 1e-9 * rng.random((r, 2)), 1)
            act = np.where(rng.random(r) < eps, rng.integers(0, 2, r), greedy)
            left[:, ep] = act == 0
            which = rng.integers(0, 2, r) if key == "dq" else np.zeros(r, int)
            est_b = qb.sum(0) if key == "dq" else qb[0]
            gb = np.argmax(est_b + 1e-9 * rng.random((r, m)), 1)
            ab = np.where(rng.random(r) < eps, rng.integers(0, m, r), gb)
            reward = rng.normal(-0.1, 1.0, r)
            go = act == 0
            # update at A: target is the value of B (max of the same table, or the other table's
            # estimate of this table's argmax for double Q); right ends with 0
            if key == "dq":
                own = qb[which, rows]
                other = qb[1 - which, rows]
                vb = other[rows, np.argmax(own + 1e-9 * rng.random((r, m)), 1)]
            else:
                vb = qb[0].max(1)
            target_a = np.where(go, p.gamma * vb, 0.0)
            qa[which, rows, act] += a * (target_a - qa[which, rows, act])
            qb[which[go], rows[go], ab[go]] += a * (reward[go] - qb[which[go], rows[go], ab[go]])
        m_, lo, hi = _band(left)
        out[f"{key}_left"], out[f"{key}_lo"], out[f"{key}_hi"] = 100 * m_, 100 * lo, 100 * hi
        out[f"{key}_late"] = float(100 * left[:, -p.episodes // 5:].mean())
        out[f"{key}_peak"] = float(100 * m_.max())
    out["optimal_left"] = 100 * eps / 2
    return out


def _baird(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    """Baird's counterexample (Sutton & Barto, Example 11.1): seven states, eight weights,
    features 2 e_i + e_8 (states 1-6) and e_7 + 2 e_8 (state 7), reward 0, so the true values
    are 0.  The behaviour policy takes 'dashed' (to one of states 1-6) with chance 6/7 and
    'solid' (to state 7) with 1/7; the target policy always takes 'solid'.  Semi-gradient
    off-policy TD(0) with importance ratios (7 or 0), w from (1, 1, 1, 1, 1, 1, 10, 1).
    ``w`` (8, steps + 1) mean over runs, ``w_norm`` mean norm with 10 / 90 % band."""
    feats = np.zeros((7, 8))
    for i in range(6):
        feats[i, i] = 2.0
        feats[i, 7] = 1.0
    feats[6, 6] = 1.0
    feats[6, 7] = 2.0
    r, a, g = p.runs, p.alphas[0], p.gamma
    steps = p.episodes
    w = np.tile(np.array([1, 1, 1, 1, 1, 1, 10, 1], float), (r, 1))
    s = rng.integers(0, 7, r)
    solid = rng.random((steps, r)) < 1 / 7
    nxt = np.where(solid, 6, rng.integers(0, 6, (steps, r)))
    hist = np.zeros((steps + 1, r, 8))
    hist[0] = w
    v = feats @ w.T  # (7, r): every state's value under each run's weights
    rows = np.arange(r)
    for t in range(steps):
        s2 = nxt[t]
        # importance ratio pi/b: 7 for 'solid' (target prob 1, behaviour 1/7), 0 for 'dashed'
        delta = np.where(solid[t], 7.0 * (g * v[s2, rows] - v[s, rows]), 0.0)
        w = w + (a * delta)[:, None] * feats[s]
        v = feats @ w.T
        hist[t + 1] = w
        s = s2
    norms = np.linalg.norm(hist, axis=2)
    return {"step": np.arange(steps + 1, dtype=float), "w": hist.mean(1).T,
            "w_norm": norms.mean(1), "w_lo": np.quantile(norms, 0.1, 1), "w_hi": np.quantile(norms, 0.9, 1),
            "w7": hist[:, :, 6].mean(1), "w8": hist[:, :, 7].mean(1), "w1": hist[:, :, 0].mean(1),
            "w_final": float(norms[-1].mean()), "w_start": float(norms[0].mean())}


def _testbed(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    """The 10-armed testbed (Sutton & Barto, Section 2.3): true values N(offset, 1), rewards
    N(value, 1), epsilon-greedy for each epsilon (random tie-breaks) with sample averages, or a
    constant step ``alphas[0]``, from initial estimates ``inits`` (optimism), ``runs``
    runs of ``episodes`` steps.  ``reward_<i>`` mean reward per step over runs (i indexes
    ``epsilons``), ``lo_<i>`` / ``hi_<i>`` +/- 2 s.e., ``optimal_<i>`` % of runs pulling the
    best arm (``opt_lo_<i>`` / ``opt_hi_<i>`` +/- 2 s.e.), ``late_reward_<i>`` mean over the last fifth, ``late_optimal_<i>``."""
    k, r = p.actions, p.runs
    e = len(p.epsilons)
    eps = np.repeat(np.array(p.epsilons), r)
    truth = rng.normal(p.offset, 1.0, (r, k))
    truth = np.tile(truth, (e, 1))
    best = truth.argmax(1)
    init = np.repeat(np.array(p.inits if p.inits else (0.0,) * e, float), r)
    if init.size != e * r:
        msg = "testbed: give one initial estimate per epsilon"
        raise ValueError(msg)
    est = np.tile(init[:, None], (1, k))
    cnt = np.zeros((e * r, k))
    rows = np.arange(e * r)
    rew = np.zeros((e * r, p.episodes))
    opt = np.zeros((e * r, p.episodes))
    for t in range(p.episodes):
        greedy = np.argmax(est + 1e-9 * rng.random((e * r, k)), 1)
        act = np.where(rng.random(e * r) < eps, rng.integers(0, k, e * r), greedy)
        reward = truth[rows, act] + rng.normal(size=e * r)
        cnt[rows, act] += 1
        step = p.alphas[0] if p.constant_step else 1.0 / cnt[rows, act]
        est[rows, act] += (reward - est[rows, act]) * step
        rew[:, t] = reward
        opt[:, t] = act == best
    out: Arrays = {"step": np.arange(1, p.episodes + 1, dtype=float), "best_mean": float(truth[:r].max(1).mean())}
    for i in range(e):
        sl = slice(i * r, (i + 1) * r)
        m_, lo, hi = _band(rew[sl])
        out[f"reward_{i}"], out[f"lo_{i}"], out[f"hi_{i}"] = m_, lo, hi
        mo, lo_o, hi_o = _band(opt[sl])
        out[f"optimal_{i}"], out[f"opt_lo_{i}"], out[f"opt_hi_{i}"] = 100 * mo, 100 * lo_o, 100 * hi_o
        out[f"late_reward_{i}"] = float(rew[sl, -p.episodes // 5:].mean())
        out[f"late_optimal_{i}"] = float(100 * opt[sl, -p.episodes // 5:].mean())
    return out


def _gradient_bandit(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    """Sutton & Barto's gradient bandit (Section 2.8) on the testbed with true values
    N(offset, 1): softmax preferences H, H += alpha (R - baseline)(1{a} - pi), the baseline the
    running mean reward or 0.  Arrays for ``token-bars``: ``vocab`` (arms ranked by true value,
    best first), ``base`` (the uniform start), ``after`` (rows: without, with baseline) the
    policy after ``episodes`` steps averaged over runs, arms ranked per run; ``kept`` marks the
    best arm; ``best_share`` (2,) the chance on the best arm; ``optimal`` (2,) % of the last
    fifth of pulls on the best arm."""
    k, r = p.actions, p.runs
    truth = rng.normal(p.offset, 1.0, (r, k))
    order = np.argsort(-truth, 1)
    rows = np.arange(r)
    after, share, optimal = [], [], []
    for use_base in (False, True):
        hpref = np.zeros((r, k))
        mean_r = np.zeros(r)
        hits = 0.0
        for t in range(p.episodes):
            z = np.exp(hpref - hpref.max(1, keepdims=True))
            pi = z / z.sum(1, keepdims=True)
            act = (rng.random(r)[:, None] > np.cumsum(pi, 1)).sum(1).clip(0, k - 1)
            reward = truth[rows, act] + rng.normal(size=r)
            base = mean_r if use_base else 0.0
            onehot = np.zeros((r, k))
            onehot[rows, act] = 1.0
            hpref += p.alphas[0] * (reward - base)[:, None] * (onehot - pi)
            mean_r += (reward - mean_r) / (t + 1)
            if t >= p.episodes - p.episodes // 5:
                hits += float(np.mean(act == order[:, 0]))
        z = np.exp(hpref - hpref.max(1, keepdims=True))
        pi = z / z.sum(1, keepdims=True)
        ranked = pi[rows[:, None], order].mean(0)
        after.append(ranked)
        share.append(float(ranked[0]))
        optimal.append(100 * hits / (p.episodes // 5))
    names = ["best", "2nd", "3rd"] + [f"{i}th" for i in range(4, k + 1)]
    kept = np.zeros((2, k), bool)
    kept[:, 0] = True
    return {"vocab": np.array(names[:k]), "base": np.full(k, 1 / k), "after": np.array(after),
            "kept": kept, "best_share": np.array(share), "optimal": np.array(optimal),
            "best_right": np.array([1 / k, *share])}


def _imitation(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    """Compounding errors in imitation (a tightrope): a walker on the integers, the expert
    always steps toward 0 (and stays at 0); a step costs 1 when off 0.  The learner copies the
    expert's move in every state it was trained on, except that with chance ``epsilons[0]``
    it steps to a random side; in a state it never saw it moves at random (left, stay,
    right).  Behaviour cloning trains on the expert's own states (only 0); DAgger trains on
    the states its own policy visits, over ``actions`` rounds of ``runs`` roll-outs, labelled
    by the expert.  Over ``episodes`` steps and ``runs`` evaluation roll-outs: ``bc_cost`` /
    ``dagger_cost`` (mean cumulative cost by step), ``<k>_lo`` / ``<k>_hi`` (+/- 2 s.e.),
    ``bc_slope`` / ``dagger_slope`` (log-log slope over the second half), ``eps_t2`` = eps t^2 / 2
    and ``eps_t`` = eps t."""
    eps, t_max, r = p.epsilons[0], p.episodes, p.runs
    size = 2 * t_max + 3
    centre = t_max + 1

    def rollout(known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.full(r, centre)
        cost = np.zeros((r, t_max))
        seen = np.zeros(size, bool)
        for t in range(t_max):
            seen[x] = True
            expert = -np.sign(x - centre)
            slip = np.where(rng.random(r) < 0.5, -1, 1)
            wander = rng.integers(-1, 2, r)
            act = np.where(known[x], np.where(rng.random(r) < eps, slip, expert), wander)
            x = np.clip(x + act, 0, size - 1)
            cost[:, t] = x != centre
        return np.cumsum(cost, 1), seen

    bc_known = np.zeros(size, bool)
    bc_known[centre] = True  # the expert only ever stands at 0
    dagger_known = bc_known.copy()
    for _ in range(p.actions):  # DAgger rounds: label the states the current learner reaches
        _, seen = rollout(dagger_known)
        dagger_known |= seen
    t = np.arange(1, t_max + 1, dtype=float)
    out: Arrays = {"t": t, "eps_t2": eps * t**2 / 2, "eps_t": eps * t}
    half = t >= t_max / 2
    for key, known in (("bc", bc_known), ("dagger", dagger_known)):
        cost, _ = rollout(known)
        m_, lo, hi = _band(cost)
        out[f"{key}_cost"], out[f"{key}_lo"], out[f"{key}_hi"] = m_, lo, hi
        out[f"{key}_slope"] = float(np.polyfit(np.log(t[half]), np.log(np.maximum(m_[half], 1e-12)), 1)[0])
        out[f"{key}_final"] = float(m_[-1])
    out["known_dagger"] = float(dagger_known.sum())
    return out


def _gambler(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    """Sutton & Barto's gambler's problem (Example 4.3): capital 1..99, a stake s wins s with
    chance ``alphas[0]`` (the coin's heads probability) and loses it otherwise; reaching 100
    pays 1.  Value iteration (sweeps in place over states in order, as in the book) to a change
    below 1e-12; ``value_<i>`` after sweep i for the sweep counts given as ``lambdas``, ``value``
    at convergence (``value_25`` / ``_50`` / ``_75`` at those capitals), ``stake`` the smallest
    of the best stakes (to 1e-9), ``sweeps`` until convergence; the rng is not used."""
    ph = p.alphas[0]
    v = np.zeros(101)
    v[100] = 1.0
    shown = sorted({int(k) for k in p.lambdas})
    out: Arrays = {"capital": np.arange(1, 100, dtype=float)}
    sweep = 0
    while True:
        sweep += 1
        delta = 0.0
        for cap in range(1, 100):
            stakes = np.arange(1, min(cap, 100 - cap) + 1)
            best = float(np.max(ph * v[cap + stakes] + (1 - ph) * v[cap - stakes]))
            delta = max(delta, abs(best - v[cap]))
            v[cap] = best
        if sweep in shown:
            out[f"value_{sweep}"] = v[1:100].copy()
        if delta < 1e-12 or sweep > 10000:
            break
    stake = np.zeros(99)
    for cap in range(1, 100):
        stakes = np.arange(1, min(cap, 100 - cap) + 1)
        q = ph * v[cap + stakes] + (1 - ph) * v[cap - stakes]
        stake[cap - 1] = stakes[np.flatnonzero(q >= q.max() - 1e-9)[0]]
    out["value"] = v[1:100].copy()
    out["stake"] = stake
    out["sweeps"] = float(sweep)
    out["value_25"], out["value_50"], out["value_75"] = float(v[25]), float(v[50]), float(v[75])
    return out


EXPERIMENTS = {
    "random-walk": _random_walk, "td-lambda": _td_lambda, "max-bias": _max_bias,
    "baird": _baird, "testbed": _testbed, "gradient-bandit": _gradient_bandit, "imitation": _imitation,
    "gambler": _gambler,
}


@recipe("rl-curves", RLCurveParams)
def rl_curves(p: RLCurveParams, rng: np.random.Generator) -> Arrays:
    """Learning curves of tabular RL methods, averaged over seeded runs (see the module docstring)."""
    return EXPERIMENTS[p.experiment](p, rng)
