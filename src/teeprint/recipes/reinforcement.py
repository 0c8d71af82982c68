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


class RLTableParams(Params):
    """Which table or graph, and its settings."""

    experiment: Literal["thompson", "c51", "gittins", "gae", "mdp", "mcts", "tiger", "blackjack",
                        "tile-coding"] = "thompson"
    means: tuple[float, ...] = Field((0.45, 0.55, 0.7), min_length=2, max_length=6)
    snapshots: tuple[int, ...] = Field((0, 10, 30, 100, 300, 1000), min_length=2, max_length=10)
    runs: int = Field(40, ge=1, le=500)
    gamma: float = Field(0.9, ge=0.0, le=0.999)
    lambdas: tuple[float, ...] = Field((0.0, 0.5, 0.9, 0.95, 1.0), min_length=1, max_length=8)
    horizon: int = Field(20, ge=1, le=400)
    size: int = Field(10, ge=2, le=40, description="gittins: successes and failures shown; c51: chain length")
    atoms: int = Field(51, ge=5, le=201)
    iterations: int = Field(200, ge=1, le=20000)
    alpha: float = Field(0.1, gt=0.0, le=1.0)
    listen_accuracy: float = Field(0.85, ge=0.5, le=1.0)
    rewards: tuple[float, float, float] = Field((-1.0, 10.0, -100.0), description="tiger: listen, right door, wrong door")


def _beta_pdf(x: np.ndarray, a: float, b: float) -> np.ndarray:
    from scipy.special import betaln  # noqa: PLC0415

    return np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - betaln(a, b))


def _thompson(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """Thompson sampling on Bernoulli arms with Beta(1, 1) priors: the Beta posteriors of one
    run at each snapshot round (``density`` the best arm's, ``arm_<i>`` the others, each round
    scaled so its tallest curve has height 1; ``mean_shown`` their means), plus, over
    ``runs`` runs, the median share of pulls on the best arm up to each snapshot
    (``best_share``) and the posterior sd of the best arm (``best_sd``, median over runs)."""
    mu = np.array(p.means)
    k = mu.size
    best = int(np.argmax(mu))
    x = np.linspace(0.0005, 0.9995, 400)
    t_max = max(p.snapshots)
    r = p.runs
    rows = np.arange(r)
    wins = np.zeros((r, k))
    pulls = np.zeros((r, k))
    snaps_w, snaps_p = [], []
    for t in range(t_max + 1):
        if t in p.snapshots:
            snaps_w.append(wins.copy())
            snaps_p.append(pulls.copy())
        if t == t_max:
            break
        arm = np.argmax(rng.beta(1 + wins, 1 + pulls - wins), 1)
        reward = rng.random(r) < mu[arm]
        pulls[rows, arm] += 1
        wins[rows, arm] += reward
    out: Arrays = {"x": x, "round": np.array(sorted(p.snapshots), float), "means": mu}
    dens: dict[int, list[np.ndarray]] = {i: [] for i in range(k)}
    shares, sds = [], []
    for w_, n_ in zip(snaps_w, snaps_p, strict=True):
        for i in range(k):
            dens[i].append(_beta_pdf(x, 1 + w_[0, i], 1 + n_[0, i] - w_[0, i]))
        tot = n_.sum(1)
        shares.append(float(np.median(np.where(tot > 0, n_[:, best] / np.maximum(tot, 1), 1 / k))))
        a_, b_ = 1 + w_[:, best], 1 + n_[:, best] - w_[:, best]
        sds.append(float(np.median(np.sqrt(a_ * b_ / ((a_ + b_) ** 2 * (a_ + b_ + 1))))))
    top = np.max([np.array(dens[i]) for i in range(k)], axis=(0, 2))[:, None]  # per round, all arms
    out["density"] = np.array(dens[best]) / top
    others = [i for i in range(k) if i != best]
    for j, i in enumerate(others):
        out[f"arm_{j}"] = np.array(dens[i]) / top
    out["mean_shown"] = np.array([(1 + w_[0]) / (2 + n_[0]) for w_, n_ in zip(snaps_w, snaps_p, strict=True)])
    out["best_share"] = np.array(shares)
    out["best_sd"] = np.array(sds)
    out["pulls_shown"] = np.array(snaps_p[-1][0])
    return out


def _c51(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """A chain of ``size`` states walked left to right: every step pays -1, the last pays +10
    with chance 0.3 (else 0) and ends the episode.  The distributional Bellman operator with
    C51's categorical projection onto ``atoms`` evenly spaced atoms on [-12, 12], applied
    exactly (expectation over the reward) ``iterations`` times (at least the chain's length,
    after which it has reached its fixed point); the rng is not used.  ``density`` (states x atoms) learned; ``truth`` the exact return law of each
    state projected on the same atoms; ``mean_learned`` / ``mean_true`` per state."""
    n, m = p.size, p.atoms
    z = np.linspace(-12.0, 12.0, m)
    dz = z[1] - z[0]

    def project(values: np.ndarray, probs: np.ndarray) -> np.ndarray:
        v = np.clip(values, z[0], z[-1])
        b = (v - z[0]) / dz
        lo = np.floor(b).astype(int)
        hi = np.minimum(lo + 1, m - 1)
        w_hi = b - lo
        out = np.zeros(values.shape[:-1] + (m,))
        for idx, wt in ((lo, 1 - w_hi), (hi, w_hi)):
            np.add.at(out, (*np.indices(idx.shape)[:-1], idx), probs * wt)
        return out

    dist = np.zeros((n, m))
    dist[:, np.argmin(np.abs(z))] = 1.0
    g = p.gamma
    last = 0.3 * project(np.array([[10.0]]), np.ones((1, 1)))[0] + 0.7 * project(np.array([[0.0]]), np.ones((1, 1)))[0]
    for _ in range(max(p.iterations, n)):
        targets = np.zeros((n, m))
        # states 0..n-2: reward -1 then the next state's distribution, discounted, projected
        targets[:-1] = project(-1.0 + g * np.broadcast_to(z, (n - 1, m)), dist[1:])
        targets[-1] = last
        dist = targets
    # exact law: from state i, return = -sum_{k<n-1-i} g^k + g^(n-1-i) * (10 w.p. 0.3 else 0)
    truth = np.zeros((n, m))
    mean_true = np.zeros(n)
    for i in range(n):
        steps = n - 1 - i
        base = -sum(g**k for k in range(steps))
        vals = np.array([[base + g**steps * 10.0, base]])
        truth[i] = project(vals, np.array([[0.3, 0.7]]))[0]
        mean_true[i] = base + g**steps * 3.0
    return {"z": z, "density": dist, "truth": truth, "mean_learned": dist @ z, "mean_true": mean_true,
            "state": np.arange(n, dtype=float), "mass_top": np.array([d[z > mean_true[i]].sum() for i, d in enumerate(dist)])}


def _gittins(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """Gittins index of a Bernoulli arm with a Beta(1 + s, 1 + f) posterior and discount
    ``gamma``, by calibration: the retirement reward lambda at which stopping and playing on
    are worth the same, found by bisection on a dynamic programme truncated at ``horizon``
    further pulls (tail valued at retirement).  ``index`` (size x size, successes by failures),
    ``mean`` the posterior means, ``bonus`` index - mean."""
    k, hz, g = p.size, p.horizon, p.gamma

    ss, ff = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    s0, f0 = ss.ravel()[:, None], ff.ravel()[:, None]

    def play_minus_retire(lam: np.ndarray) -> np.ndarray:
        """Value of pulling once more (then acting optimally) minus retiring, every cell at once."""
        retire = (lam / (1 - g))[:, None]
        v = np.broadcast_to(retire, (lam.size, hz + 1))  # tail: valued at retirement
        for d in range(hz - 1, -1, -1):
            j = np.arange(d + 1)[None]
            mean = (1 + s0 + j) / (2 + s0 + f0 + d)
            cont = mean * (1 + g * v[:, 1:d + 2]) + (1 - mean) * g * v[:, 0:d + 1]
            if d == 0:
                return cont[:, 0] - retire[:, 0]
            v = np.maximum(retire, cont)
        return np.zeros(lam.size)

    lo, hi = np.zeros(k * k), np.ones(k * k)
    for _ in range(40):
        mid = (lo + hi) / 2
        better = play_minus_retire(mid) > 0
        lo = np.where(better, mid, lo)
        hi = np.where(better, hi, mid)
    index = ((lo + hi) / 2).reshape(k, k)
    ss, ff = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    mean = (1 + ss) / (2 + ss + ff)
    return {"index": index, "mean": mean, "bonus": index - mean,
            "successes": np.array([str(i) for i in range(k)]), "failures": np.array([str(i) for i in range(k)])}


def _gae(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """Generalised advantage estimation: the weight (gamma lambda)^k that the estimate puts on
    the TD error k steps ahead, for each lambda (rows) and k = 0 .. horizon - 1 (columns);
    ``total`` the sum of each row, ``horizon_eff`` 1 / (1 - gamma lambda)."""
    k = np.arange(p.horizon)
    lam = np.array(p.lambdas)[:, None]
    w = (p.gamma * lam) ** k[None]
    return {"weights": w, "lambda": lam.ravel(), "k": k.astype(float), "total": w.sum(1),
            "horizon_eff": 1 / (1 - p.gamma * lam.ravel() + 1e-300),
            "lambda_names": np.array([f"λ = {v:g}" for v in p.lambdas]),
            "k_names": np.array([str(i) for i in k])}


def _mdp(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """Sutton & Barto's recycling robot (Example 3.3) solved exactly by value iteration.
    ``means`` = (alpha, beta, r_search, r_wait): chance the battery stays high while searching,
    chance it stays low while searching, the rewards; running flat costs -3 and returns to high.
    Arrays: ``edges`` in the order high->search, high->wait, low->search, low->wait,
    low->recharge (1 for the optimal action, else 0), then search@high->high, ->low,
    wait@high->high, search@low->low, ->high (rescued), wait@low->low, recharge->high (the
    transition probabilities); ``values`` (1 x 2) V*, ``q`` (2 x 3) Q* (NaN where no action),
    ``residual`` the Bellman residual."""
    if len(p.means) < 4:
        msg = "mdp needs means = (alpha, beta, r_search, r_wait)"
        raise ValueError(msg)
    al, be, rs, rw = p.means[:4]
    g = p.gamma
    v = np.zeros(2)  # high, low
    for _ in range(20000):
        qh = np.array([rs + g * (al * v[0] + (1 - al) * v[1]), rw + g * v[0], np.nan])
        ql = np.array([be * (rs + g * v[1]) + (1 - be) * (-3.0 + g * v[0]), rw + g * v[1], g * v[0]])
        new = np.array([np.nanmax(qh), np.nanmax(ql)])
        done = np.abs(new - v).max() < 1e-12
        v = new
        if done:
            break
    qh = np.array([rs + g * (al * v[0] + (1 - al) * v[1]), rw + g * v[0], np.nan])
    ql = np.array([be * (rs + g * v[1]) + (1 - be) * (-3.0 + g * v[0]), rw + g * v[1], g * v[0]])
    q = np.array([qh, ql])
    best_h, best_l = int(np.nanargmax(qh)), int(np.nanargmax(ql))
    choice = [float(best_h == 0), float(best_h == 1), float(best_l == 0), float(best_l == 1), float(best_l == 2)]
    probs = [al, 1 - al, 1.0, be, 1 - be, 1.0, 1.0]
    resid = float(np.abs(np.array([np.nanmax(qh), np.nanmax(ql)]) - v).max())
    return {"edges": np.array(choice + probs), "values": v[None], "q": q, "residual": resid,
            "q_low": ql[None], "q_high": qh[None, :2],
            "best_high": float(best_h), "best_low": float(best_l),
            "state_names": np.array(["high", "low"]), "action_names": np.array(["search", "wait", "recharge"]),
            "value_names": np.array(["V*"])}


def _mcts(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """UCT (UCB1 on every node, c = sqrt 2) on a two-move game tree: the first player picks one
    of three moves, the opponent one of two replies, and the game ends in a win for the first
    player with the leaf's chance (``means``: six leaf chances, reply pairs in order).  Each of
    ``runs`` searches runs ``iterations`` playouts; node values are the first player's win rate,
    the opponent's choice maximises the opponent's.  ``edges``: mean visit share of the three
    root moves, then of the six replies within their move; ``pick_share`` the share of searches
    whose most-visited root move is the minimax move ``minimax_move``; ``minimax`` the leaf
    value of that line."""
    leaves = np.array(p.means)
    if leaves.size != 6:
        msg = "mcts needs six leaf chances in means"
        raise ValueError(msg)
    pairs = leaves.reshape(3, 2)
    minimax_move = int(np.argmax(pairs.min(1)))
    c = np.sqrt(2.0)
    r = p.runs
    rows = np.arange(r)
    n1 = np.zeros((r, 3))
    w1 = np.zeros((r, 3))
    n2 = np.zeros((r, 3, 2))
    w2 = np.zeros((r, 3, 2))  # wins of the first player
    for it in range(p.iterations):  # all searches side by side; untried moves first, in order
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(n1 == 0, np.inf - np.arange(3), w1 / n1 + c * np.sqrt(np.log(max(it, 1)) / n1))
        a = np.argmax(score, 1)
        na, wa = n2[rows, a], w2[rows, a]
        with np.errstate(divide="ignore", invalid="ignore"):
            sb = np.where(na == 0, np.inf - np.arange(2),  # the opponent scores its own wins
                          (na - wa) / na + c * np.sqrt(np.log(np.maximum(n1[rows, a], 1))[:, None] / na))
        b_ = np.argmax(sb, 1)
        win = (rng.random(r) < pairs[a, b_]).astype(float)
        n1[rows, a] += 1
        w1[rows, a] += win
        n2[rows, a, b_] += 1
        w2[rows, a, b_] += win
    root_share = (n1 / n1.sum(1, keepdims=True)).mean(0)
    reply_share = (n2 / np.maximum(n2.sum(2, keepdims=True), 1)).mean(0)
    picks = int(np.sum(np.argmax(n1, 1) == minimax_move))
    return {"edges": np.concatenate([root_share, reply_share.ravel()]), "pick_share": picks / p.runs,
            "minimax_move": float(minimax_move), "minimax": float(pairs.min(1).max()),
            "leaves": leaves, "root_share": root_share, "reply_share": reply_share}


def _tiger(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """The tiger problem (Kaelbling, Littman & Cassandra): belief b = P(tiger behind the left
    door); 'listen' costs ``rewards[0]`` and is right with chance ``listen_accuracy``; opening
    the tiger-free door pays ``rewards[1]``, the other ``rewards[2]``, and either resets the
    problem.  Exact finite-horizon value iteration over alpha-vectors (``horizon`` steps,
    discount ``gamma``), pruned to the vectors that are best somewhere on a grid of 2001
    beliefs.  Arrays: ``b``; ``value`` (upper envelope); ``vectors`` (each kept vector's line
    over b); ``action`` (0 listen, 1 open left, 2 open right) of the best vector at each b;
    ``listen_from`` / ``listen_to`` the belief interval where listening is best."""
    acc, g = p.listen_accuracy, p.gamma
    r_listen, r_good, r_bad = p.rewards
    # states: 0 tiger left, 1 tiger right; actions: listen, open-left, open-right
    reward = np.array([[r_listen, r_listen], [r_bad, r_good], [r_good, r_bad]])
    b = np.linspace(0, 1, 2001)
    beliefs = np.stack([b, 1 - b], 1)
    vecs = np.zeros((1, 2))
    acts = np.array([0])
    for _ in range(p.horizon):
        new, new_acts = [], []
        for a in range(3):
            if a == 0:
                # g_o(s) = P(o | s) alpha(s) for observation o in (hear-left, hear-right)
                obs = np.array([[acc, 1 - acc], [1 - acc, acc]])  # [s, o]
                parts = [obs[:, o][None, :] * vecs for o in range(2)]
            else:
                # the problem resets: the next state is either with chance 1/2, observations uninformative
                parts = [0.5 * np.repeat((0.5 * vecs.sum(1))[:, None], 2, 1) for _ in range(2)]
            # cross-sum over the two observations, pruned on the grid
            cand = (parts[0][:, None, :] + parts[1][None, :, :]).reshape(-1, 2)
            keep = np.unique(np.argmax(beliefs @ cand.T, 1))
            new.append(reward[a][None] + g * cand[keep])
            new_acts += [a] * keep.size
        allv = np.concatenate(new)
        all_a = np.array(new_acts)
        keep = np.unique(np.argmax(beliefs @ allv.T, 1))
        vecs, acts = allv[keep], all_a[keep]
    lines = beliefs @ vecs.T
    best = np.argmax(lines, 1)
    action = acts[best]
    listen = b[action == 0]
    return {"b": b, "value": lines.max(1), "vectors": lines.T, "action": action.astype(float),
            "listen_from": float(listen.min()) if listen.size else np.nan,
            "listen_to": float(listen.max()) if listen.size else np.nan,
            "n_vectors": float(vecs.shape[0]), "value_mid": float(lines.max(1)[1000])}


def _blackjack(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """Sutton & Barto's blackjack (Example 5.1): an infinite deck, the player sticks on 20 or 21
    and hits otherwise, the dealer sticks on 17 or more; a natural wins unless the dealer has
    one too.  First-visit Monte Carlo prediction over ``iterations`` x 1000 episodes (every
    state of an episode is a first visit: the sum only grows).  ``value`` (2, 10, 10): usable
    ace or not, player sum 12..21, dealer's card ace..10; ``visits`` the same shape."""
    n = p.iterations * 1000

    def draw(k: int) -> np.ndarray:
        return np.minimum(rng.integers(1, 14, k), 10)

    def total(raw: np.ndarray, aces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        usable = (aces > 0) & (raw + 10 <= 21)
        return raw + 10 * usable, usable

    d_show = draw(n)
    d_hidden = draw(n)
    c1, c2 = draw(n), draw(n)
    p_raw = c1 + c2
    p_aces = (c1 == 1).astype(int) + (c2 == 1)
    sums = np.zeros((2, 10, 10))
    visits = np.zeros((2, 10, 10))
    states: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    tot, usable = total(p_raw, p_aces)
    natural = tot == 21
    playing = np.ones(n, bool)
    bust = np.zeros(n, bool)
    while playing.any():
        tot, usable = total(p_raw, p_aces)
        rec = playing & (tot >= 12) & (tot <= 21)
        states.append((rec, tot.copy(), usable.copy()))
        hit = playing & (tot < 20)
        card = draw(n)
        p_raw = np.where(hit, p_raw + card, p_raw)
        p_aces = np.where(hit, p_aces + (card == 1), p_aces)
        tot, _ = total(p_raw, p_aces)
        bust |= hit & (tot > 21)
        playing = hit & (tot <= 21)
    p_final, _ = total(p_raw, p_aces)
    d_raw = d_show + d_hidden
    d_aces = (d_show == 1).astype(int) + (d_hidden == 1)
    d_tot, _ = total(d_raw, d_aces)
    d_natural = d_tot == 21
    going = ~bust & (d_tot < 17)
    while going.any():
        card = draw(n)
        d_raw = np.where(going, d_raw + card, d_raw)
        d_aces = np.where(going, d_aces + (card == 1), d_aces)
        d_tot, _ = total(d_raw, d_aces)
        going &= d_tot < 17
    ret = np.where(bust, -1.0, np.where(d_tot > 21, 1.0, np.sign(p_final - d_tot)))
    ret = np.where(natural, np.where(d_natural, 0.0, 1.0), ret)
    for rec, t_, u_ in states:
        idx = (u_[rec].astype(int), t_[rec] - 12, d_show[rec] - 1)
        np.add.at(sums, idx, ret[rec])
        np.add.at(visits, idx, 1.0)
    value = sums / np.maximum(visits, 1)
    names = ["A"] + [str(i) for i in range(2, 11)]
    return {"value": value, "no_ace": value[0], "ace": value[1], "visits": visits,
            "player": np.array([str(i) for i in range(12, 22)]), "dealer": np.array(names),
            "episodes": float(n), "min_visits": float(visits.min())}


def _tile_coding(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """Tile coding (CMAC): a 2-D target f(x, y) = sin(2 pi x) cos(2 pi y) on the unit square,
    learned by least-mean-squares from ``iterations`` x 100 noisy samples (noise sd 0.1), with
    1 tiling and with ``size`` tilings of 4 x 4 tiles, tiling t offset by (t, 3t) mod tilings, in
    units of a tile / tilings (asymmetric offsets), step alpha / tilings.  On a 16 x 16 grid: ``target``,
    ``fit_one`` and ``fit_many``; ``rmse_one`` / ``rmse_many`` against the target there;
    ``active`` the tiles active per point (one per tiling)."""
    k, g = 4, 16
    n_samples = p.iterations * 100
    pts = rng.random((n_samples, 2))
    ys = np.sin(2 * np.pi * pts[:, 0]) * np.cos(2 * np.pi * pts[:, 1]) + 0.1 * rng.normal(size=n_samples)
    centres = (np.arange(g) + 0.5) / g
    gx, gy = np.meshgrid(centres, centres, indexing="ij")
    target = np.sin(2 * np.pi * gx) * np.cos(2 * np.pi * gy)

    def tiles(xy: np.ndarray, n_tilings: int) -> np.ndarray:
        t = np.arange(n_tilings)
        off = np.stack([t % n_tilings, (3 * t) % n_tilings], 1) / (n_tilings * k)  # (T, 2), < one tile
        cell = np.floor((xy[:, None, :] + off[None]) * k).astype(int)  # (N, T, 2), 0..k
        return t[None] * (k + 1) ** 2 + cell[..., 0] * (k + 1) + cell[..., 1]

    out: Arrays = {"target": target, "x_names": np.array([f"{v:.2f}" for v in centres])}
    for key, n_tilings in (("one", 1), ("many", p.size)):
        w = np.zeros(n_tilings * (k + 1) ** 2)
        act = tiles(pts, n_tilings)
        step = p.alpha / n_tilings
        for i in range(n_samples):
            a = act[i]
            w[a] += step * (ys[i] - w[a].sum())
        grid_act = tiles(np.stack([gx.ravel(), gy.ravel()], 1), n_tilings)
        fit = w[grid_act].sum(1).reshape(g, g)
        out[f"fit_{key}"] = fit
        out[f"rmse_{key}"] = float(np.sqrt(np.mean((fit - target) ** 2)))
        out[f"active_{key}"] = float(grid_act.shape[1])
    return out


TABLES = {"tile-coding": _tile_coding, "blackjack": _blackjack, "thompson": _thompson, "c51": _c51, "gittins": _gittins, "gae": _gae, "mdp": _mdp,
          "mcts": _mcts, "tiger": _tiger}


@recipe("rl-tables", RLTableParams)
def rl_tables(p: RLTableParams, rng: np.random.Generator) -> Arrays:
    """Posteriors, return distributions, index tables, weights, small graphs and belief values
    of reinforcement learning (each experiment's docstring says what it computes)."""
    return TABLES[p.experiment](p, rng)


# Closed forms of policy optimisation, added to the ``curves`` engine's table (E1).
from teeprint.recipes import closed_forms as _cf  # noqa: E402


def _ppo_clip(x: np.ndarray, adv: float, eps: float) -> np.ndarray:
    return np.minimum(x * adv, np.clip(x, 1 - eps, 1 + eps) * adv)


def _ppo_surrogate(x: np.ndarray, adv: float) -> np.ndarray:
    return x * adv


_cf.FUNCTIONS["ppo-clip"] = _cf.Fn(
    _ppo_clip, {"adv": (1.0, -10.0, 10.0), "eps": (0.2, 0.0, 1.0)},
    "PPO's clipped surrogate min(r A, clip(r, 1 - eps, 1 + eps) A); x = probability ratio r, adv = advantage A")
_cf.FUNCTIONS["ppo-surrogate"] = _cf.Fn(
    _ppo_surrogate, {"adv": (1.0, -10.0, 10.0)},
    "the unclipped importance-sampled surrogate r A; x = probability ratio r")
