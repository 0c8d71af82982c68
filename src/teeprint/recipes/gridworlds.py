"""E14 gridworlds: tabular problems on a small grid, solved exactly (values, policies, paths).

One recipe, ``gridworld``: a seeded grid (open, four rooms, random maze walls, optional terrain
costs) and a solver named for exactly what it is:

* ``value-iteration`` — Bellman optimality backups for a slippery grid MDP (reward -1 per move,
  absorbing goal, discount gamma), snapshots after chosen sweeps; where the best moves tie the
  policy is 4 (no arrow), except on the drawn route, which takes the first of them;
* ``policy-iteration`` — exact policy evaluation (a linear solve) and greedy improvement, one
  snapshot per improvement step;
* ``dijkstra`` — shortest paths to the goal with terrain costs (binary heap), the greedy move
  to the cheapest neighbour as the policy, and the cells the search settled;
* ``astar`` — A* from start to goal with the Manhattan heuristic times the cheapest step cost
  (admissible), beside Dijkstra from the start, counting the cells each expands.

Arrays are shaped for the ``policy-grid`` motif: ``value`` and ``policy`` (S, H, W), ``walls``
(H, W), ``path`` (H, W) mask, ``start`` / ``goal`` (1, 2) as (row, col).
"""

from __future__ import annotations

import heapq
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

#: Moves as (d_row, d_col): up, right, down, left; policy code 4 = no move (wall or goal).
MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])


class GridParams(Params):
    """A grid, its costs and the solver."""

    layout: Literal["open", "four-rooms", "maze"] = "four-rooms"
    height: int = Field(11, ge=4, le=16)
    width: int = Field(11, ge=4, le=16)
    wall_density: float = Field(0.25, ge=0.0, le=0.45, description="maze: share of random wall cells")
    terrain: float = Field(0.0, ge=0.0, le=9.0, description="extra step cost, uniform in [0, terrain] per cell")
    solver: Literal["value-iteration", "policy-iteration", "dijkstra", "astar"] = "value-iteration"
    gamma: float = Field(0.95, ge=0.0, le=0.999)
    slip: float = Field(0.1, ge=0.0, le=0.9, description="MDP: chance the move goes to a random other direction")
    sweeps: tuple[int, ...] = Field((1, 5, 50), min_length=1, max_length=4, description="value-iteration snapshots")
    start: tuple[int, int] = (-1, 0)
    goal: tuple[int, int] = (0, -1)


def _layout(p: GridParams, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int], tuple[int, int]]:
    h, w = p.height, p.width
    walls = np.zeros((h, w), bool)
    if p.layout == "four-rooms":
        walls[h // 2, :] = True
        walls[:, w // 2] = True
        for r, c in ((h // 2, w // 4), (h // 2, 3 * w // 4), (h // 4, w // 2), (3 * h // 4, w // 2)):
            walls[r, c] = False
    elif p.layout == "maze":
        walls = rng.random((h, w)) < p.wall_density
    start = (p.start[0] % h, p.start[1] % w)
    goal = (p.goal[0] % h, p.goal[1] % w)
    walls[start] = walls[goal] = False
    if p.layout == "maze":  # carve a guaranteed corridor so the goal is reachable
        r, c = start
        while (r, c) != goal:
            if r != goal[0] and (c == goal[1] or rng.random() < 0.5):
                r += 1 if goal[0] > r else -1
            else:
                c += 1 if goal[1] > c else -1
            walls[r, c] = False
    return walls, start, goal


def _step(walls: np.ndarray, r: int, c: int, a: int) -> tuple[int, int]:
    nr, nc = r + MOVES[a, 0], c + MOVES[a, 1]
    h, w = walls.shape
    if 0 <= nr < h and 0 <= nc < w and not walls[nr, nc]:
        return int(nr), int(nc)
    return r, c


def _transitions(walls: np.ndarray, goal: tuple[int, int], slip: float) -> tuple[np.ndarray, np.ndarray]:
    """P (A, S, S) and expected reward R (A, S): -1 per move, goal absorbing with reward 0."""
    h, w = walls.shape
    n = h * w
    pm = np.zeros((4, n, n))
    rw = np.full((4, n), -1.0)
    for r in range(h):
        for c in range(w):
            s = r * w + c
            if walls[r, c] or (r, c) == goal:
                pm[:, s, s] = 1.0
                rw[:, s] = 0.0
                continue
            for a in range(4):
                for b in range(4):
                    prob = (1 - slip) if b == a else slip / 3
                    nr, nc = _step(walls, r, c, b)
                    pm[a, s, nr * w + nc] += prob
    return pm, rw


def _dijkstra(cost: np.ndarray, walls: np.ndarray, source: tuple[int, int],
              target: tuple[int, int] | None = None, heur: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Cheapest cost from ``source`` to every cell entering a cell costs ``cost[cell]``; with a
    heuristic it is A* and stops at ``target``.  Returns distances, settled mask, expansions."""
    h, w = walls.shape
    dist = np.full((h, w), np.inf)
    dist[source] = 0.0
    settled = np.zeros((h, w), bool)
    hv = np.zeros((h, w)) if heur is None else heur
    heap = [(hv[source], -0.0, source)]  # ties in f go to the deeper cell
    expanded = 0
    while heap:
        _, neg_d, (r, c) = heapq.heappop(heap)
        d = -neg_d
        if settled[r, c]:
            continue
        settled[r, c] = True
        expanded += 1
        if target is not None and (r, c) == target:
            break
        for a in range(4):
            nr, nc = _step(walls, r, c, a)
            if (nr, nc) == (r, c):
                continue
            nd = d + cost[nr, nc]
            if nd < dist[nr, nc] - 1e-12:
                dist[nr, nc] = nd
                heapq.heappush(heap, (nd + hv[nr, nc], -nd, (nr, nc)))
    return dist, settled, expanded


def _greedy(values: np.ndarray, walls: np.ndarray, goal: tuple[int, int], lower: bool) -> np.ndarray:
    """The move to the best neighbour (lowest distance or highest value); 4 where none."""
    h, w = walls.shape
    pol = np.full((h, w), 4)
    for r in range(h):
        for c in range(w):
            if walls[r, c] or (r, c) == goal:
                continue
            best, arg = None, 4
            for a in range(4):
                nr, nc = _step(walls, r, c, a)
                if (nr, nc) == (r, c) or not np.isfinite(values[nr, nc]):
                    continue
                v = values[nr, nc]
                if best is None or (v < best - 1e-12 if lower else v > best + 1e-12):
                    best, arg = v, a
            pol[r, c] = arg
    return pol


def _trace(pol: np.ndarray, start: tuple[int, int], goal: tuple[int, int], walls: np.ndarray) -> np.ndarray:
    mask = np.zeros(pol.shape, bool)
    r, c = start
    for _ in range(pol.size):
        mask[r, c] = True
        if (r, c) == goal or pol[r, c] == 4:
            break
        r, c = _step(walls, r, c, int(pol[r, c]))
    return mask


@recipe("gridworld", GridParams)
def gridworld(p: GridParams, rng: np.random.Generator) -> Arrays:
    """Values, greedy policies and paths on a seeded grid (see the module docstring)."""
    walls, start, goal = _layout(p, rng)
    h, w = walls.shape
    cost = 1.0 + rng.uniform(0.0, p.terrain, (h, w))
    out: Arrays = {"walls": walls.astype(float), "start": np.array([start], float),
                   "goal": np.array([goal], float), "terrain": np.where(walls, np.nan, cost)}
    if p.solver in ("value-iteration", "policy-iteration"):
        pm, rw = _transitions(walls, goal, p.slip)
        n = h * w
        values, policies, deltas = [], [], []
        tied: list[np.ndarray] = []  # value iteration: cells whose best moves tie
        if p.solver == "value-iteration":
            v = np.zeros(n)
            for k in range(1, max(p.sweeps) + 1):
                q = rw + p.gamma * pm @ v
                new = q.max(0)
                deltas.append(float(np.abs(new - v).max()))
                v = new
                if k in p.sweeps:
                    values.append(v.reshape(h, w).copy())
                    policies.append(np.where(walls | (np.arange(n).reshape(h, w) == goal[0] * w + goal[1]),
                                             4, q.argmax(0).reshape(h, w)))
                    tied.append(((q >= q.max(0) - 1e-9).sum(0) > 1).reshape(h, w))
            out["delta"] = np.array(deltas)
            out["sweep"] = np.array(p.sweeps, float)
        else:
            pol = np.zeros(n, int)
            for _ in range(50):
                pp = pm[pol, np.arange(n)]
                rr = rw[pol, np.arange(n)]
                v = np.linalg.solve(np.eye(n) - p.gamma * pp, rr)
                values.append(v.reshape(h, w))
                q = rw + p.gamma * pm @ v
                new = q.argmax(0)
                keep = q[pol, np.arange(n)] >= q.max(0) - 1e-10  # keep ties: stop when stable
                new = np.where(keep, pol, new)
                shown = np.where(walls.ravel() | (np.arange(n) == goal[0] * w + goal[1]), 4, pol)
                policies.append(shown.reshape(h, w))
                if np.all(new == pol):
                    break
                pol = new
            out["improvements"] = np.array(float(len(values) - 1))
        masked = [np.where(walls, np.nan, v) for v in values]
        out["value"] = np.array(masked)
        out["path"] = _trace(np.array(policies[-1]), start, goal, walls).astype(float)
        if tied:  # a tie has no single greedy move: no arrow, except where the route takes one
            policies = [np.where(t & (out["path"] < 0.5), 4, pol) for t, pol in zip(tied, policies, strict=True)]
        out["policy"] = np.array(policies, float)
        out["start_value"] = np.array(float(values[-1][start]))
        return out
    # shortest paths: distance from every cell to the goal (costs of entering cells, reversed)
    to_goal, settled_all, _ = _dijkstra(cost, walls, goal)
    # entering-cost distances from the goal equal cell-to-goal costs shifted by the end cells
    dist = to_goal - cost + cost[goal]
    dist[goal] = 0.0
    dist = np.where(walls, np.nan, dist)
    pol = _greedy(np.where(np.isnan(dist), np.inf, dist + cost), walls, goal, lower=True)
    out["value"] = dist[None]
    out["policy"] = pol[None].astype(float)
    out["path"] = _trace(pol, start, goal, walls).astype(float)
    out["path_cost"] = np.array(float(dist[start]))
    pmask = out["path"] > 0.5
    out["path_sum"] = np.array(float(cost[pmask].sum() - cost[start]))
    out["reaches_goal"] = np.array(float(pmask[goal]))
    resid = 0.0
    for r in range(h):
        for c in range(w):
            if walls[r, c] or (r, c) == goal:
                continue
            best = min((cost[nb] + dist[nb] for nb in (_step(walls, r, c, a) for a in range(4))
                        if nb != (r, c) and np.isfinite(dist[nb])), default=np.inf)
            if np.isfinite(dist[r, c]):
                resid = max(resid, abs(float(dist[r, c] - best)))
    out["bellman_residual"] = np.array(resid)
    if p.solver == "astar":
        cheapest = float(cost[~walls].min())
        rows, cols = np.mgrid[0:h, 0:w]
        heur = cheapest * (np.abs(rows - goal[0]) + np.abs(cols - goal[1]))
        d_plain, set_plain, n_plain = _dijkstra(cost, walls, start, goal)
        d_star, set_star, n_star = _dijkstra(cost, walls, start, goal, heur)
        out["expanded_dijkstra"] = set_plain.astype(float)
        out["expanded_astar"] = set_star.astype(float)
        out["n_dijkstra"] = np.array(float(n_plain))
        out["n_astar"] = np.array(float(n_star))
        out["cost_dijkstra"] = np.array(float(d_plain[goal]))
        out["cost_astar"] = np.array(float(d_star[goal]))
        out["value"] = np.array([np.where(set_plain, d_plain, np.nan), np.where(set_star, d_star, np.nan)])
        route = np.where(out["path"] > 0.5, pol, 4)
        out["policy"] = np.array([route, route], float)
    return out
