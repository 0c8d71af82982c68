"""E17 graphs: nodes and weighted edges from a computation (Bayes nets, trellises, factor trees).

One recipe, ``prob-graph``, whose ``experiment`` names the model.  Every experiment returns
``edges`` (one weight per edge of the design's graph, in the order the recipe documents) and the
matrices its panels draw, all computed exactly by enumeration or dynamic programming.
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe


class GraphParams(Params):
    """Which probabilistic graph, and its numbers."""

    experiment: Literal["sprinkler", "casino-hmm", "tree-bp"]
    # sprinkler: P(cloudy), P(sprinkler | cloudy), P(rain | cloudy), P(wet | sprinkler, rain)
    p_cloudy: float = Field(0.5, gt=0.0, lt=1.0)
    p_sprinkler: tuple[float, float] = (0.5, 0.1)
    p_rain: tuple[float, float] = (0.2, 0.8)
    p_wet: tuple[float, float, float, float] = (0.0, 0.9, 0.9, 0.99)
    # casino-hmm: fair / loaded die, switching probabilities, the observed rolls
    p_to_loaded: float = Field(0.05, gt=0.0, lt=1.0)
    p_to_fair: float = Field(0.1, gt=0.0, lt=1.0)
    loaded_six: float = Field(0.5, gt=1 / 6, lt=1.0)
    rolls: tuple[int, ...] = Field((3, 6, 6, 6, 2, 6), min_length=2, max_length=400)
    window: int = Field(6, ge=2, le=6, description="casino-hmm: time steps drawn as a trellis")
    n_rolls: int = Field(0, ge=0, le=2000, description="casino-hmm: simulate this many rolls (0: use rolls)")
    # tree-bp: spins s_i in {-1, +1} on a tree, p(s) ~ exp(sum_i h_i s_i + sum_(ij) J_ij s_i s_j)
    tree: tuple[tuple[int, int], ...] = Field(((0, 1), (0, 2), (1, 3), (1, 4), (2, 5)), min_length=1,
                                             max_length=11, description="tree-bp: (parent, child) pairs")
    couplings: tuple[float, ...] = Field((0.8, -0.6, 0.5, 1.0, 0.7), max_length=11)
    fields: tuple[float, ...] = Field((0.0, 0.0, 0.0, 0.9, -0.4, 0.6), max_length=12)

    @model_validator(mode="after")
    def _check(self) -> GraphParams:
        for v in (*self.p_sprinkler, *self.p_rain, *self.p_wet):
            if not 0.0 <= v <= 1.0:
                msg = "conditional probabilities lie within 0..1"
                raise ValueError(msg)
        if any(not 1 <= r <= 6 for r in self.rolls):
            msg = "rolls are die faces 1..6"
            raise ValueError(msg)
        if self.experiment == "tree-bp":
            n = len(self.fields)
            if len(self.couplings) != len(self.tree) or len(self.tree) != n - 1:
                msg = "tree-bp: one coupling per tree edge, and n - 1 edges for n fields"
                raise ValueError(msg)
            if any(not (0 <= a < n and 0 <= b < n) or a == b for a, b in self.tree):
                msg = "tree-bp: edges join two different nodes 0..n-1"
                raise ValueError(msg)
            if any(abs(v) > 5 for v in (*self.couplings, *self.fields)):
                msg = "tree-bp: couplings and fields lie within -5..5"
                raise ValueError(msg)
        if self.window > len(self.rolls):
            msg = "window cannot exceed the number of rolls"
            raise ValueError(msg)
        return self


def _sprinkler(p: GraphParams) -> Arrays:
    """Pearl's sprinkler network by exact enumeration of its 16 joint states.

    Edges, in order: cloudy->sprinkler, cloudy->rain, sprinkler->wet, rain->wet; each weight is
    |P(child | parent on) - P(child | parent off)| under the joint (the parent's pull on the
    child).  ``posterior`` rows: no evidence, wet grass seen, wet grass and sprinkler on;
    columns: cloudy, sprinkler, rain, wet."""
    states = np.array(list(itertools.product([0, 1], repeat=4)), float)  # c, s, r, w
    c, s, r, w = states.T
    ps = np.where(c == 1, p.p_sprinkler[1], p.p_sprinkler[0])
    pr = np.where(c == 1, p.p_rain[1], p.p_rain[0])
    pw = np.array(p.p_wet)[(2 * s + r).astype(int)]
    joint = ((p.p_cloudy * c + (1 - p.p_cloudy) * (1 - c)) * (ps * s + (1 - ps) * (1 - s))
             * (pr * r + (1 - pr) * (1 - r)) * (pw * w + (1 - pw) * (1 - w)))

    def prob(event: np.ndarray, given: np.ndarray) -> float:
        return float(joint[event & given].sum() / joint[given].sum())

    on = states.astype(bool)
    every = np.ones(16, bool)

    def pull(child: int, parent: int) -> float:
        return abs(prob(on[:, child], on[:, parent]) - prob(on[:, child], ~on[:, parent]))

    queries = [every, on[:, 3], on[:, 3] & on[:, 1]]
    post = np.array([[prob(on[:, v], q) for v in range(4)] for q in queries])
    return {
        "edges": np.array([pull(1, 0), pull(2, 0), pull(3, 1), pull(3, 2)]),
        "posterior": post,
        "query_names": np.array(["no evidence", "wet grass", "wet + sprinkler"]),
        "variable_names": np.array(["cloudy", "sprinkler", "rain", "wet"]),
        "p_rain": float(post[0, 2]),
        "p_rain_given_wet": float(post[1, 2]),
        "p_rain_given_wet_sprinkler": float(post[2, 2]),
        "joint_total": float(joint.sum()),
    }


def _casino(p: GraphParams, rng: np.random.Generator) -> Arrays:
    """The occasionally dishonest casino (Durbin et al. 1998): forward-backward posteriors and the
    Viterbi path; states 0 = fair, 1 = loaded.  With ``n_rolls`` the rolls (and the true states)
    are simulated from the model, else ``rolls`` are used.

    The trellis window is ``window`` steps starting two before the first switch of the Viterbi
    path (or at the start).  Edges, in order, for each step of the window and (from, to) in
    (F,F), (F,L), (L,F), (L,L): P(z_t = from, z_t+1 = to | all rolls)."""
    a = np.array([[1 - p.p_to_loaded, p.p_to_loaded], [p.p_to_fair, 1 - p.p_to_fair]])
    emit = np.vstack([np.full(6, 1 / 6), np.r_[np.full(5, (1 - p.loaded_six) / 5), p.loaded_six]])
    start = np.array([0.5, 0.5])
    if p.n_rolls:
        z = np.zeros(p.n_rolls, int)
        z[0] = int(rng.random() < start[1])
        for t in range(1, p.n_rolls):
            z[t] = int(rng.random() < a[z[t - 1], 1])
        u = rng.random(p.n_rolls)
        x = np.array([int(np.searchsorted(np.cumsum(emit[k]), v)) for k, v in zip(z, u, strict=True)])
        x = np.minimum(x, 5)
    else:
        x = np.array(p.rolls) - 1
        z = np.full(x.size, -1)
    n = x.size
    alpha = np.zeros((n, 2))
    scale = np.zeros(n)
    alpha[0] = start * emit[:, x[0]]
    scale[0] = alpha[0].sum()
    alpha[0] /= scale[0]
    for t in range(1, n):
        alpha[t] = (alpha[t - 1] @ a) * emit[:, x[t]]
        scale[t] = alpha[t].sum()
        alpha[t] /= scale[t]
    beta = np.ones((n, 2))
    for t in range(n - 2, -1, -1):
        beta[t] = a @ (emit[:, x[t + 1]] * beta[t + 1]) / scale[t + 1]
    gamma = alpha * beta
    gamma /= gamma.sum(1, keepdims=True)
    xi = np.array([alpha[t][:, None] * a * (emit[:, x[t + 1]] * beta[t + 1])[None, :] / scale[t + 1]
                   for t in range(n - 1)])
    # Viterbi in log space.
    la, le = np.log(a), np.log(emit)
    delta = np.log(start) + le[:, x[0]]
    back = np.zeros((n, 2), int)
    for t in range(1, n):
        cand = delta[:, None] + la
        back[t] = np.argmax(cand, 0)
        delta = cand[back[t], [0, 1]] + le[:, x[t]]
    path = np.zeros(n, int)
    path[-1] = int(np.argmax(delta))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    wdw = p.window
    switches = np.flatnonzero(np.diff(path) != 0)
    t0 = int(np.clip((switches[0] - 1) if switches.size else 0, 0, n - wdw))
    win = slice(t0, t0 + wdw)
    edges = xi[t0:t0 + wdw - 1].reshape(wdw - 1, 4).ravel()
    on_path = np.array([[path[t] * 2 + path[t + 1] == k for k in range(4)]
                        for t in range(t0, t0 + wdw - 1)])
    known = z >= 0
    return {
        "window_start": float(t0),
        "window_posterior": gamma[win].T,
        "window_rolls": np.array([str(v) for v in x[win] + 1]),
        "window_switch": float(np.any(np.diff(path[win]) != 0)),
        "edge_on_viterbi": on_path.ravel().astype(float),
        "true_state": z.astype(float),
        "traces": np.vstack([np.where(known, z, 0), gamma[:, 1], path]).astype(float),
        "trace_names": np.array(["true die", "P(loaded)", "Viterbi"]),
        "viterbi_accuracy": float(np.mean(path[known] == z[known])) if known.any() else float("nan"),
        "posterior_accuracy": (float(np.mean((gamma[known, 1] > 0.5) == z[known]))
                               if known.any() else float("nan")),
        "loaded_share": float(np.mean(z[known])) if known.any() else float("nan"),
        "edges": edges,
        "viterbi": path.astype(float),
        "posterior_loaded": gamma[:, 1],
        "posterior": gamma.T,  # rows: fair, loaded
        "rolls": x + 1.0,
        "state_names": np.array(["fair", "loaded"]),
        "roll_labels": np.array([str(v) for v in x + 1]),
        "strongest_edges": np.array([int(np.argmax(xi[t].ravel())) for t in range(t0, t0 + wdw - 1)], float),
        "log_likelihood": float(np.log(scale).sum()),
    }


def _tree_bp(p: GraphParams) -> Arrays:
    """Sum-product belief propagation on a tree of binary spins (Pearl 1982), leaves to root and
    back, against brute-force marginals over all 2^n states.

    Edges, in the order of ``tree``: the upward message child -> parent, as the probability it
    gives to the parent being up (+1)."""
    n = len(p.fields)
    h = np.array(p.fields)
    spin = np.array([-1.0, 1.0])
    nbrs: dict[int, list[tuple[int, float]]] = {i: [] for i in range(n)}
    for (a, b), j in zip(p.tree, p.couplings, strict=True):
        nbrs[a].append((b, j))
        nbrs[b].append((a, j))
    msgs: dict[tuple[int, int], np.ndarray] = {}

    def message(src: int, dst: int, coupling: float) -> np.ndarray:
        if (src, dst) not in msgs:
            local = np.exp(h[src] * spin)
            for k, jk in nbrs[src]:
                if k != dst:
                    local = local * message(k, src, jk)
            pair = np.exp(coupling * np.outer(spin, spin))  # [s_src, s_dst]
            m = local @ pair
            msgs[(src, dst)] = m / m.sum()
        return msgs[(src, dst)]

    bp = np.zeros(n)
    for i in range(n):
        b = np.exp(h[i] * spin)
        for k, jk in nbrs[i]:
            b = b * message(k, i, jk)
        bp[i] = b[1] / b.sum()
    states = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    energy = states @ h + sum(j * states[:, a] * states[:, b] for (a, b), j in zip(p.tree, p.couplings, strict=True))
    w = np.exp(energy - energy.max())
    brute = (w[:, None] * (states > 0)).sum(0) / w.sum()
    up = np.array([message(b, a, j)[1] for (a, b), j in zip(p.tree, p.couplings, strict=True)])
    return {"edges": up, "marginals": np.vstack([bp, brute]), "bp": bp, "brute": brute,
            "max_error": float(np.max(np.abs(bp - brute))), "messages": float(len(msgs)),
            "method_names": np.array(["belief propagation", "brute force"]),
            "node_names": np.array([f"x{i + 1}" for i in range(n)]), "fields": h}


@recipe("prob-graph", GraphParams)
def prob_graph(p: GraphParams, rng: np.random.Generator) -> Arrays:
    """A probabilistic graphical model solved exactly: edge weights and panel matrices."""
    if p.experiment == "sprinkler":
        return _sprinkler(p)
    if p.experiment == "tree-bp":
        return _tree_bp(p)
    return _casino(p, rng)
