"""Reinforcement learning on grids: tabular control drawn cell by cell.

``rl-grid`` (drawn by ``policy-grid``): a small grid (``open``, ``four-rooms``, ``maze`` from the
gridworld engine, or ``cliff``, Sutton & Barto's 4 x 12 cliff walk) and a ``method``:

* ``discount`` — value iteration to convergence (sup change < 1e-10) once per discount in
  ``gammas``, rewards only on entering one of ``goals`` (row, col, reward; absorbing), optional
  ``step_reward``.  Arrays per gamma: ``value``, ``policy``, ``path`` (S, H, W); ``goal_reached``
  (S,) the index of the goal the greedy route from the start ends on (-1: none);
  ``start_value`` (S,) and the scalars ``start_value_<i>``.
* ``evaluation`` — iterative policy evaluation of the uniform random policy (Bellman
  expectation backups, in place of the maximum the mean over moves), terminal cells
  ``goals``; snapshots after the sweeps in ``snapshots`` with the greedy policy of each
  snapshot's values (ties: none); ``delta`` the largest change per sweep.
* ``td-control`` — tabular Q-learning, SARSA and expected SARSA (``learners`` q, s, e),
  epsilon-greedy, ``runs`` runs
  side by side, ``episodes`` episodes each.  On ``cliff`` a step into the cliff costs -100 and
  sends the agent back to the start.  Per learner k (``q``, ``s``, ``e``): ``value`` / ``policy`` /
  ``path`` slices (greedy in the Q table averaged over runs), ``<k>_return`` (mean return per
  episode over runs), ``<k>_lo`` / ``<k>_hi`` (10 / 90 % of runs), ``<k>_smooth`` (trailing 10-episode mean, mean
  over runs) with ``<k>_slo`` / ``<k>_shi`` (+/- 2 s.e.), ``<k>_late`` (mean return over
  the last fifth of episodes), ``<k>_edge`` (share of the route on the row next to the cliff),
  ``<k>_path_len``.  ``optimal_len`` is the shortest route length.
* ``successor`` — the successor representation M = (I - gamma P)^-1 of the uniform random
  walk (walls bounce); ``value`` slices are the rows of M for the states in ``sources``,
  ``source`` (S, H, W) marks each row's state;
  ``row_sum`` (S,), ``room_share`` (S,) the share of a row's mass inside the source's room.
* ``soft`` — soft value iteration, V = tau log sum exp(Q / tau), for each temperature in
  ``temperatures``; ``value`` (soft V), ``entropy`` (entropy of the Boltzmann policy, nats),
  ``policy`` (most probable move; ties none), ``path``; ``hard_value`` (ordinary V*),
  ``mean_entropy`` (S,), ``soft_gap`` (S,) the least of V_soft - V*.
* ``options`` — the four-rooms hallway options of Sutton, Precup & Singh: for each hallway
  next to the room of the start, the shortest-route policy to it inside the room (``value`` =
  steps to the hallway, NaN outside the room); then value iteration with primitive moves only
  and with primitive moves plus all eight hallway options (option models solved exactly), and
  ``sweeps_primitive`` / ``sweeps_options``, the sweeps until the start's value is within 1 %
  of its limit.
* ``explore`` — Q-learning with a sparse goal reward, epsilon-greedy against a count bonus
  beta / sqrt(N(s, a)) added to the reward, with unvisited moves valued at the bonus's ceiling
  beta / (1 - gamma) and no random moves (optimism under counts); ``value`` slices are
  log(1 + visits) maps, ``<k>_cover`` the share of open cells visited (median over runs),
  ``<k>_first`` the median step the goal was first reached (steps + 1 when never).
* ``shaping`` — Q-learning with and without potential-based shaping F = gamma Phi(s') - Phi(s),
  Phi = -(shortest distance to the goal); ``value`` slices: Phi, then visits in the first
  ``episodes`` episodes for each learner; ``same_policy`` is 1 when the greedy policies of the
  exact optimal Q of the two rewards agree everywhere; ``<k>_steps`` (mean steps per episode).

Policy code: 0 up, 1 right, 2 down, 3 left, 4 none (wall, goal, or a tie between best moves).

``rl-plane``, policies as points of a plane, is in :mod:`teeprint.recipes.rl_plane`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.gridworlds import MOVES, GridParams, _layout

_TIE = 1e-9


class RLGridParams(Params):
    """The grid, the method and its settings."""

    layout: Literal["open", "four-rooms", "maze", "cliff"] = "four-rooms"
    height: int = Field(11, ge=4, le=16)
    width: int = Field(11, ge=4, le=16)
    wall_density: float = Field(0.2, ge=0.0, le=0.45)
    start: tuple[int, int] = (-1, 0)
    goal: tuple[int, int] = (0, -1)
    method: Literal["discount", "evaluation", "td-control", "successor", "soft", "options", "explore",
                    "shaping"] = "discount"
    gammas: tuple[float, ...] = Field((0.9,), min_length=1, max_length=3)
    goals: tuple[tuple[int, int, float], ...] = Field((), max_length=4, description="discount: (row, col, reward)")
    step_reward: float = Field(-1.0, ge=-10.0, le=10.0)
    slip: float = Field(0.0, ge=0.0, le=0.5)
    learners: tuple[Literal["q", "s", "e"], ...] = Field(("q", "s"), min_length=1, max_length=3)
    episodes: int = Field(200, ge=1, le=1000)
    runs: int = Field(20, ge=1, le=100)
    alpha: float = Field(0.5, gt=0.0, le=1.0)
    epsilon: float = Field(0.1, ge=0.0, le=1.0)
    steps: int = Field(2000, ge=10, le=20000, description="explore: steps per run")
    bonus: float = Field(0.1, ge=0.0, le=10.0, description="explore: beta of the count bonus")
    sources: tuple[tuple[int, int], ...] = Field(((0, 0),), min_length=1, max_length=3)
    temperatures: tuple[float, ...] = Field((0.1, 1.0), min_length=1, max_length=3)
    sweeps: int = Field(3, ge=1, le=200, description="options: sweeps shown")
    snapshots: tuple[int, ...] = Field((1, 3, 1000), min_length=1, max_length=3, description="evaluation: sweeps shown")

    @model_validator(mode="after")
    def _check(self) -> RLGridParams:
        top = 1.0 if self.method in ("td-control", "explore", "evaluation") else 0.999
        if any(not 0.0 <= g <= top for g in self.gammas):
            msg = f"gammas lie within 0..{top} for method {self.method!r}"
            raise ValueError(msg)
        if any(not 0.001 <= t <= 100.0 for t in self.temperatures):
            msg = "temperatures lie within 0.001..100"
            raise ValueError(msg)
        if any(abs(r) > 100 for *_, r in self.goals):
            msg = "goal rewards lie within -100..100"
            raise ValueError(msg)
        return self


def _grid(p: RLGridParams, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int], tuple[int, int], np.ndarray]:
    """Walls, start, goal and the cliff mask."""
    if p.layout == "cliff":
        h, w = 4, 12
        walls = np.zeros((h, w), bool)
        cliff = np.zeros((h, w), bool)
        cliff[3, 1:11] = True
        return walls, (3, 0), (3, 11), cliff
    gp = GridParams.model_validate({"layout": p.layout, "height": p.height, "width": p.width,
                                    "wall_density": p.wall_density, "start": p.start, "goal": p.goal})
    walls, start, goal = _layout(gp, rng)
    return walls, start, goal, np.zeros_like(walls)


def _next_table(walls: np.ndarray) -> np.ndarray:
    """next[s, a]: the state a move leads to (walls and edges bounce)."""
    h, w = walls.shape
    r, c = np.divmod(np.arange(h * w), w)
    nr = r[:, None] + MOVES[None, :, 0]
    nc = c[:, None] + MOVES[None, :, 1]
    ok = (nr >= 0) & (nr < h) & (nc >= 0) & (nc < w)
    nr, nc = np.where(ok, nr, r[:, None]), np.where(ok, nc, c[:, None])
    blocked = walls[nr, nc]
    return np.where(blocked, np.arange(h * w)[:, None], nr * w + nc)


def _greedy(q: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """Best move per state from Q (S, 4); 4 where the best moves tie or the state is dead."""
    best = q.max(1)
    ties = (q >= best[:, None] - _TIE * np.maximum(1.0, np.abs(best[:, None]))).sum(1)
    return np.where(dead | (ties > 1), 4, q.argmax(1))


def _route(pol: np.ndarray, nxt: np.ndarray, start: int, stops: set[int], shape: tuple[int, int],
           q: np.ndarray | None = None) -> tuple[np.ndarray, int, int]:
    """Cells of the greedy route, its number of moves and the state it ends on.  Where the best
    moves tie (policy 4) and ``q`` is given, the route takes the first of them in the order up,
    right, down, left, and ``pol`` is updated in place so the drawn route has its arrows."""
    mask = np.zeros(shape[0] * shape[1], bool)
    s, moves = start, 0
    for _ in range(mask.size):
        mask[s] = True
        if s in stops:
            break
        if pol[s] == 4 and q is not None and np.isfinite(q[s]).all() and q[s].max() > q[s].min():
            pol[s] = int(q[s].argmax())
        if pol[s] == 4:
            break
        s = int(nxt[s, pol[s]])
        moves += 1
        if mask[s]:
            break
    return mask.reshape(shape), moves, s


def _mdp(nxt: np.ndarray, slip: float) -> np.ndarray:
    """P (4, S, S): the intended move with 1 - slip, each other move with slip / 3."""
    n = nxt.shape[0]
    pm = np.zeros((4, n, n))
    for a in range(4):
        for b in range(4):
            prob = (1 - slip) if a == b else slip / 3
            np.add.at(pm[a], (np.arange(n), nxt[:, b]), prob)
    return pm


def _value_iteration(pm: np.ndarray, rw: np.ndarray, gamma: float, absorbing: np.ndarray,
                     tau: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """V and Q of the (soft, when tau > 0) Bellman optimality equation, iterated to 1e-10."""
    n = pm.shape[1]
    v = np.zeros(n)
    for _ in range(20000):
        q = rw + gamma * pm @ v
        q[:, absorbing] = 0.0
        if tau > 0:
            m = q.max(0)
            new = m + tau * np.log(np.exp((q - m) / tau).sum(0))
            new[absorbing] = 0.0
        else:
            new = q.max(0)
        done = np.abs(new - v).max() < 1e-10
        v = new
        if done:
            break
    q = rw + gamma * pm @ v
    q[:, absorbing] = 0.0
    return v, q.T


def _shortest(nxt: np.ndarray, target: int, allowed: np.ndarray) -> np.ndarray:
    """Moves to ``target`` from every allowed state (breadth-first on reversed moves); inf if none."""
    dist = np.full(nxt.shape[0], np.inf)
    dist[target] = 0
    frontier = [target]
    while frontier:
        nxt_frontier = []
        for t in frontier:
            for s in np.flatnonzero(((nxt == t).any(1)) & allowed & ~np.isfinite(dist)):
                dist[s] = dist[t] + 1
                nxt_frontier.append(int(s))
        frontier = nxt_frontier
    return dist


def _pack(out: Arrays, values: list[np.ndarray], policies: list[np.ndarray], paths: list[np.ndarray],
          walls: np.ndarray) -> None:
    h, w = walls.shape
    out["value"] = np.array([np.where(walls, np.nan, v.reshape(h, w)) for v in values])
    out["policy"] = np.array([pp.reshape(h, w) for pp in policies], float)
    out["path"] = np.array(paths, float)


def _td_control(p: RLGridParams, rng: np.random.Generator, nxt: np.ndarray, reward: np.ndarray,
                reset: np.ndarray, start: int, goal: int, learner: str | tuple[str, ...], bonus: float = 0.0,
                shaping: np.ndarray | None = None, steps: int | None = None) -> dict[str, np.ndarray]:
    """Tabular Q-learning ('q'), SARSA ('s') or expected SARSA ('e') with epsilon-greedy moves,
    runs side by side (each learner its own ``runs``).

    Each run has its own episode counter; a run that has finished its episodes (or its
    ``steps``) stands still.  With ``bonus`` > 0 the reward gets beta / sqrt(N(s, a)) (count
    after the visit).  With ``shaping`` (a potential Phi) it gets gamma Phi(s') - Phi(s)."""
    n = nxt.shape[0]
    kinds = (learner,) if isinstance(learner, str) else learner
    r = p.runs * len(kinds)
    is_q = np.repeat([k == "q" for k in kinds], p.runs)
    is_e = np.repeat([k == "e" for k in kinds], p.runs)
    gamma = p.gammas[0]
    rows = np.arange(r)
    # flat: run * n * 4 + state * 4 + action; with a bonus, an unvisited move is worth the
    # bonus's ceiling beta / (1 - gamma) (optimism for what has not been tried)
    q = np.full(r * n * 4, bonus / (1 - gamma) if bonus > 0 else 0.0)
    counts = np.zeros(r * n * 4)
    visits = np.zeros(r * n)
    base = rows * n * 4
    s = np.full(r, start)
    ep = np.zeros(r, int)
    ret = np.zeros(r)
    returns = np.zeros((r, p.episodes))
    lengths = np.zeros((r, p.episodes))
    ep_len = np.zeros(r, int)
    first = np.full(r, -1)
    four = np.arange(4)
    nxt_f, rew_f, reset_f = nxt.ravel(), reward.ravel(), reset.ravel()
    pot = np.zeros(n) if shaping is None else shaping
    block = 256
    noise = rng.random((block, r, 4))
    coins = rng.random((block, r))
    randa = rng.integers(0, 4, (block, r))
    k = 0

    def choose(states: np.ndarray) -> np.ndarray:
        qs = q[(base + states * 4)[:, None] + four] + 1e-9 * noise[k]
        return np.where(coins[k] < p.epsilon, randa[k], qs.argmax(1))

    a = choose(s)
    limit = steps if steps is not None else 10**7
    t = 0
    while t < limit:
        live = ep < p.episodes
        if not live.any():
            break
        sa = s * 4 + a
        cell = base + sa
        visits[rows * n + s] += live
        counts[cell] += live
        s2 = nxt_f[sa]
        rwd = rew_f[sa]
        ret += rwd
        if bonus > 0:
            rwd = rwd + bonus / np.sqrt(np.maximum(counts[cell], 1.0))
        fell = reset_f[sa]
        s2 = np.where(fell, start, s2)
        done = s2 == goal
        if shaping is not None:
            rwd = rwd + gamma * np.where(done, 0.0, pot[s2]) - pot[s]
        ep_len += 1
        k += 1
        if k == block:
            noise = rng.random((block, r, 4))
            coins = rng.random((block, r))
            randa = rng.integers(0, 4, (block, r))
            k = 0
        nq = q[(base + s2 * 4)[:, None] + four]
        a2 = np.where(coins[k] < p.epsilon, randa[k], (nq + 1e-9 * noise[k]).argmax(1))
        # expected SARSA: the epsilon-greedy policy's mean of the next values
        expected = (1 - p.epsilon) * nq.max(1) + p.epsilon * nq.mean(1)
        target = np.where(is_q, nq.max(1), np.where(is_e, expected, nq[rows, a2]))
        target = rwd + gamma * np.where(done, 0.0, target)
        q[cell] += np.where(live, p.alpha * (target - q[cell]), 0.0)
        newly = done & (first < 0) & live
        first[newly] = t
        fin = np.flatnonzero(done & live)
        if fin.size:
            returns[fin, ep[fin]] = ret[fin]
            lengths[fin, ep[fin]] = ep_len[fin]
            ep[fin] += 1
        if done.any():
            ret[done] = 0.0
            ep_len[done] = 0
            s2 = np.where(done, start, s2)
            a2 = np.where(done, choose(np.full(r, start)), a2)
        s, a = s2, a2
        t += 1
    return {"q": q.reshape(r, n, 4), "returns": returns, "lengths": lengths,
            "visits": visits.reshape(r, n), "first": first, "episodes_done": ep.astype(float)}


@recipe("rl-grid", RLGridParams)
def rl_grid(p: RLGridParams, rng: np.random.Generator) -> Arrays:
    """Tabular control on a small grid: values, policies, routes (see the module docstring)."""
    walls, start_rc, goal_rc, cliff = _grid(p, rng)
    h, w = walls.shape
    n = h * w
    nxt = _next_table(walls)
    s0, g0 = start_rc[0] * w + start_rc[1], goal_rc[0] * w + goal_rc[1]
    wall_flat = walls.ravel()
    out: Arrays = {"walls": walls.astype(float), "start": np.array([start_rc], float),
                   "goal": np.array([goal_rc], float), "cliff": cliff.astype(float)}
    values: list[np.ndarray] = []
    policies: list[np.ndarray] = []
    paths: list[np.ndarray] = []
    if p.method == "discount":
        goals = p.goals or ((goal_rc[0], goal_rc[1], 1.0),)
        gidx = [(gr % h) * w + (gc % w) for gr, gc, _ in goals]
        absorbing = wall_flat.copy()
        absorbing[gidx] = True
        pm = _mdp(nxt, p.slip)
        rw = np.full((4, n), p.step_reward)
        for gi, (_, _, rew) in zip(gidx, goals, strict=True):
            rw += rew * pm[:, :, gi]
        reached, starts = [], []
        for gamma in p.gammas:
            v, q = _value_iteration(pm, rw, gamma, absorbing)
            pol = _greedy(q, absorbing)
            mask, _, end = _route(pol, nxt, s0, set(gidx), (h, w), q)
            values.append(v)
            policies.append(pol)
            paths.append(mask)
            reached.append(float(gidx.index(end)) if end in gidx else -1.0)
            starts.append(float(v[s0]))
        out["goal"] = np.array([[gr % h, gc % w] for gr, gc, _ in goals], float)
        out["goal_reached"] = np.array(reached)
        out["start_value"] = np.array(starts)
        for i, v0 in enumerate(starts):
            out[f"start_value_{i}"] = v0
        out["gamma"] = np.array(p.gammas)
    elif p.method == "evaluation":
        goals = p.goals or ((goal_rc[0], goal_rc[1], 0.0),)
        gidx = [(gr % h) * w + (gc % w) for gr, gc, _ in goals]
        absorbing = wall_flat.copy()
        absorbing[gidx] = True
        pm = _mdp(nxt, p.slip)
        rw = np.full((4, n), p.step_reward)
        rw[:, absorbing] = 0.0
        gamma = p.gammas[0]
        v = np.zeros(n)
        deltas = []
        for k in range(1, max(p.snapshots) + 1):
            q = rw + gamma * pm @ v
            q[:, absorbing] = 0.0
            new = q.mean(0)  # the uniform random policy: Bellman expectation backup
            deltas.append(float(np.abs(new - v).max()))
            v = new
            if k in p.snapshots:
                qn = (rw + gamma * pm @ v)
                qn[:, absorbing] = 0.0
                values.append(v.copy())
                policies.append(_greedy(qn.T, absorbing))
                paths.append(np.zeros((h, w), bool))
        out["goal"] = np.array([[gr % h, gc % w] for gr, gc, _ in goals], float)
        out["delta"] = np.array(deltas)
        out["sweep"] = np.array(p.snapshots, float)
        out["start"] = np.zeros((0, 2))
        live = v[~absorbing]
        out["v_near"], out["v_far"] = float(live.max()), float(live.min())
    elif p.method == "td-control":
        reward = np.full((n, 4), -1.0)
        reset = cliff.ravel()[nxt]
        reward[reset] = -100.0
        dist = _shortest(nxt, g0, ~wall_flat & ~cliff.ravel())
        out["optimal_len"] = float(dist[s0])
        edge_row = goal_rc[0] - 1
        both = _td_control(p, rng, nxt, reward, reset, s0, g0, p.learners)
        for i, lk in enumerate(p.learners):
            res = {key: val[i * p.runs:(i + 1) * p.runs] for key, val in both.items()}
            qm = res["q"].mean(0)
            dead = wall_flat | cliff.ravel() | (np.arange(n) == g0)
            pol = _greedy(qm, dead)
            mask, moves, _ = _route(pol, nxt, s0, {g0}, (h, w), qm)
            values.append(np.where(dead & (np.arange(n) != g0), np.nan, np.where(np.arange(n) == g0, 0.0, qm.max(1))))
            policies.append(pol)
            paths.append(mask)
            ret = res["returns"]
            out[f"{lk}_return"] = ret.mean(0)
            out[f"{lk}_lo"] = np.quantile(ret, 0.1, 0)
            out[f"{lk}_hi"] = np.quantile(ret, 0.9, 0)
            out[f"{lk}_late"] = float(ret[:, -max(1, p.episodes // 5):].mean())
            win = min(10, p.episodes)
            kern = np.ones(win) / win
            smooth = np.array([np.convolve(row, kern, mode="full")[:p.episodes] for row in ret])
            smooth /= np.minimum(np.arange(1, p.episodes + 1), win) / win  # trailing mean
            sm = smooth.mean(0)
            se = smooth.std(0, ddof=1) / np.sqrt(max(p.runs, 2)) if p.runs > 1 else np.zeros(p.episodes)
            out[f"{lk}_smooth"], out[f"{lk}_slo"], out[f"{lk}_shi"] = sm, sm - 2 * se, sm + 2 * se
            out[f"{lk}_path_len"] = float(moves)
            inner = mask.copy()
            inner[start_rc] = inner[goal_rc] = False
            out[f"{lk}_edge"] = float(inner[edge_row].sum() / max(inner.sum(), 1))
            out[f"{lk}_top"] = float(min(np.flatnonzero(mask.any(1))))
        out["episode"] = np.arange(1, p.episodes + 1, dtype=float)
    elif p.method == "successor":
        pm = _mdp(nxt, 0.0).mean(0)
        gamma = p.gammas[0]
        m = np.linalg.inv(np.eye(n) - gamma * pm)
        rooms = _rooms(walls)
        sums, shares = [], []
        for sr, sc in p.sources:
            src = (sr % h) * w + (sc % w)
            row = m[src].copy()
            values.append(row)
            policies.append(np.full(n, 4))
            paths.append(np.zeros((h, w), bool))
            sums.append(float(row.sum()))
            shares.append(float(row[rooms == rooms[src]].sum() / row.sum()))
        out["row_sum"] = np.array(sums)
        out["room_share"] = np.array(shares)
        for i, (sm, sh) in enumerate(zip(sums, shares, strict=True)):
            out[f"row_sum_{i}"], out[f"room_share_{i}"] = sm, sh
        out["start"] = np.array([[sr % h, sc % w] for sr, sc in p.sources], float)
        out["goal"] = np.zeros((0, 2))
        marks = np.zeros((len(p.sources), h, w))
        for i, (sr, sc) in enumerate(p.sources):
            marks[i, sr % h, sc % w] = 1.0
        out["source"] = marks
    elif p.method == "soft":
        absorbing = wall_flat.copy()
        absorbing[g0] = True
        pm = _mdp(nxt, p.slip)
        rw = np.full((4, n), p.step_reward)
        gamma = p.gammas[0]
        v_hard, _ = _value_iteration(pm, rw, gamma, absorbing)
        ents, gaps, entropy_maps = [], [], []
        for tau in p.temperatures:
            v, q = _value_iteration(pm, rw, gamma, absorbing, tau)
            z = (q - q.max(1, keepdims=True)) / tau
            prob = np.exp(z) / np.exp(z).sum(1, keepdims=True)
            ent = -(prob * np.log(np.clip(prob, 1e-300, None))).sum(1)
            ent[absorbing] = np.nan
            pol = _greedy(q, absorbing)
            mask, _, _ = _route(pol, nxt, s0, {g0}, (h, w), q)
            values.append(v)
            policies.append(pol)
            paths.append(mask)
            entropy_maps.append(ent.reshape(h, w))
            ents.append(float(np.nanmean(ent)))
            gaps.append(float((v - v_hard)[~absorbing].min()))
        out["entropy"] = np.array(entropy_maps)
        out["hard_value"] = np.where(walls, np.nan, v_hard.reshape(h, w))
        out["mean_entropy"] = np.array(ents)
        for i, e_ in enumerate(ents):
            out[f"mean_entropy_{i}"] = e_
        out["soft_gap"] = np.array(gaps)
        out["temperature"] = np.array(p.temperatures)
    elif p.method == "options":
        _options(p, walls, nxt, s0, g0, values, policies, paths, out)
    else:  # explore / shaping
        reward = np.zeros((n, 4))
        reward[nxt == g0] = 1.0 if p.method == "explore" else 0.0
        if p.method == "shaping":
            reward[:] = -1.0
        reset = np.zeros((n, 4), bool)
        dist = _shortest(nxt, g0, ~wall_flat)
        phi = -np.where(np.isfinite(dist), dist, dist[np.isfinite(dist)].max())
        if p.method == "explore":
            for ek, beta in (("eps", 0.0), ("bonus", p.bonus)):
                pk = _unbounded(p) if beta == 0 else _unbounded(p).model_copy(update={"epsilon": 0.0})
                res = _td_control(pk, rng, nxt, reward, reset, s0, g0, "q", bonus=beta, steps=p.steps)
                vis = res["visits"]
                cover = ((vis > 0) | wall_flat[None]).mean(1) - wall_flat.mean()
                cover = cover / (1 - wall_flat.mean())
                values.append(np.log1p(np.median(vis, 0)))
                policies.append(np.full(n, 4))
                paths.append(np.zeros((h, w), bool))
                out[f"{ek}_cover"] = float(np.median(cover))
                out[f"{ek}_first"] = float(np.median(np.where(res["first"] < 0, p.steps + 1, res["first"])))
                out[f"{ek}_visits"] = np.median(vis, 0).reshape(h, w)
        else:
            values.append(phi)
            absorbing = wall_flat.copy()
            absorbing[g0] = True
            pm = _mdp(nxt, 0.0)
            gamma = p.gammas[0]
            rw = np.full((4, n), -1.0)
            _, q_plain = _value_iteration(pm, rw, gamma, absorbing)
            shaped = rw + gamma * np.einsum("asj,j->as", pm, np.where(absorbing, 0.0, phi)) - phi[None]
            shaped[:, g0] = 0.0
            _, q_shaped = _value_iteration(pm, shaped, gamma, absorbing)
            pol_plain, pol_shaped = _greedy(q_plain, absorbing), _greedy(q_shaped, absorbing)
            out["same_policy"] = float(np.all(pol_plain == pol_shaped))
            mask, moves, _ = _route(pol_plain, nxt, s0, {g0}, (h, w), q_plain)
            policies.append(pol_plain)
            paths.append(mask)
            out["optimal_len"] = float(moves)
            for sk, pot in (("plain", None), ("shaped", phi)):
                res = _td_control(p, rng, nxt, reward, reset, s0, g0, "q", shaping=pot)
                values.append(np.log1p(np.median(res["visits"], 0)))
                policies.append(np.full(n, 4))
                paths.append(np.zeros((h, w), bool))
                out[f"{sk}_steps"] = float(res["lengths"].mean())
                out[f"{sk}_first"] = float(np.median(res["lengths"][:, 0]))
                out[f"{sk}_cover"] = float(np.median((res["visits"] > 0).sum(1)) / (~wall_flat).sum())
    _pack(out, values, policies, paths, walls)
    return out


def _unbounded(p: RLGridParams) -> RLGridParams:
    """The same settings with an episode budget no step budget reaches (explore runs by steps)."""
    return p.model_copy(update={"episodes": 1000})


def _rooms(walls: np.ndarray) -> np.ndarray:
    """Room label per state: connected open cells, with doorway cells (open, walls on two opposite
    sides) counted as rooms of their own."""
    h, w = walls.shape
    label = np.full(h * w, -1)
    door = np.zeros((h, w), bool)
    for r in range(h):
        for c in range(w):
            if walls[r, c]:
                continue
            ud = (r == 0 or walls[r - 1, c]) and (r == h - 1 or walls[r + 1, c])
            lr = (c == 0 or walls[r, c - 1]) and (c == w - 1 or walls[r, c + 1])
            door[r, c] = ud or lr
    nxt = _next_table(walls | door)
    k = 0
    for s in range(h * w):
        if walls.ravel()[s] or door.ravel()[s] or label[s] >= 0:
            continue
        stack = [s]
        label[s] = k
        while stack:
            t = stack.pop()
            for u in nxt[t]:
                if label[u] < 0 and u != t:
                    label[u] = k
                    stack.append(int(u))
        k += 1
    for d in np.flatnonzero(door.ravel()):
        label[d] = k
        k += 1
    return label


def _options(p: RLGridParams, walls: np.ndarray, nxt: np.ndarray, s0: int, g0: int,
             values: list[np.ndarray], policies: list[np.ndarray], paths: list[np.ndarray], out: Arrays) -> None:
    """Hallway options in four rooms, and value iteration with and without them."""
    h, w = walls.shape
    n = h * w
    gamma = p.gammas[0]
    rooms = _rooms(walls)
    doors = [s for s in range(n) if not walls.ravel()[s] and np.sum(rooms == rooms[s]) == 1]
    wall_flat = walls.ravel()
    # each option: a room and one of its hallways; policy = shortest route inside room + hallway
    models_p, models_r, inits = [], [], []
    shown = []
    for room in sorted(set(rooms[~wall_flat]) - {rooms[d] for d in doors}):
        cells = (rooms == room) & (np.arange(n) != g0)
        for d in doors:
            if not cells[nxt[d]].any():
                continue
            allowed = cells.copy()
            allowed[d] = True
            dist = _shortest(nxt, d, allowed)
            pol = np.full(n, 4)
            for s in np.flatnonzero(cells):
                pol[s] = int(np.argmin([dist[t] if allowed[t] and t != s else np.inf for t in nxt[s]]))
            # option model: the goal's +1 if the hallway is the goal, discounted arrival at it
            steps = dist[cells]
            r_o = np.zeros(n)
            p_o = np.zeros((n, n))
            if d == g0:
                r_o[cells] = gamma ** (steps - 1)
            else:
                p_o[np.flatnonzero(cells), d] = gamma ** steps
            models_p.append(p_o)
            models_r.append(r_o)
            inits.append(cells)
            if cells[s0]:
                shown.append((np.where(allowed, dist, np.nan), pol, d))
    absorbing = wall_flat.copy()
    absorbing[g0] = True
    pm = _mdp(nxt, 0.0)
    rw = pm[:, :, g0].copy()
    v_star, _ = _value_iteration(pm, rw, gamma, absorbing)

    def sweeps(with_options: bool, count: int) -> tuple[np.ndarray, list[float]]:
        v = np.zeros(n)
        starts = []
        for _ in range(count):
            q = rw + gamma * pm @ v
            best = q.max(0)
            if with_options:
                for p_o, r_o, cells in zip(models_p, models_r, inits, strict=True):
                    best = np.where(cells, np.maximum(best, r_o + p_o @ v), best)
            best[absorbing] = 0.0
            v = best
            starts.append(float(v[s0]))
        return v, starts

    for dist, pol, d in shown[:2]:
        values.append(dist)
        policies.append(pol)
        route = np.zeros((h, w), bool)
        route.ravel()[d] = True
        paths.append(route)
    count = 400
    v_prim, st_prim = sweeps(False, count)
    v_opt, st_opt = sweeps(True, count)
    for v in (sweeps(False, p.sweeps)[0], sweeps(True, p.sweeps)[0]):
        values.append(np.where(v > 0, v, np.nan))
        policies.append(np.full(n, 4))
        paths.append(np.zeros((h, w), bool))

    def reach(starts: list[float]) -> float:
        lim = v_star[s0]
        ok = np.abs(np.array(starts) - lim) <= 0.01 * abs(lim)
        bad = np.flatnonzero(~ok)
        return float(bad[-1] + 2 if bad.size else 1)

    out["sweeps_primitive"] = reach(st_prim)
    out["sweeps_options"] = reach(st_opt)
    out["options_limit_gap"] = float(np.abs(v_opt - v_star)[~absorbing].max())
    out["primitive_limit_gap"] = float(np.abs(v_prim - v_star)[~absorbing].max())
    out["n_options"] = float(len(models_p))
    out["hallways"] = np.array([[d // w, d % w] for _, _, d in shown[:2]], float)
    out["option_steps"] = np.array([float(np.nanmax(dist)) for dist, _, _ in shown[:2]])
    out["start_value_primitive"] = float(sweeps(False, p.sweeps)[1][-1])
    out["start_value_options"] = float(sweeps(True, p.sweeps)[1][-1])
    out["start_value"] = float(v_star[s0])
