"""Reinforcement learning in tables and graphs: exact solutions and small simulations, drawn as
matrices, bars and graphs.

``rl-tables``: the experiments are listed on :class:`RLTableParams` and :func:`rl_tables`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe


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
