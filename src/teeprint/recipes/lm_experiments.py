"""Small language-model experiments: ``lm-experiment`` (in-context learning as gradient descent,
the softmax bottleneck, reward over-optimisation, drawn as curves) and ``lm-matrix`` (smoothed
bigram tables, Bradley-Terry preferences, attention sinks, the reversal curse, drawn as matrices).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.lm_text import corpus_clauses, split_clauses

# -- small language-model experiments drawn as curves -------------------------------------------


class LMExperimentParams(Params):
    """Which experiment, and its sizes (each experiment reads the fields it names)."""

    experiment: Literal["icl-gd", "softmax-bottleneck", "overoptimisation"]
    dim: int = Field(6, ge=2, le=32, description="icl-gd: input dimension d")
    max_context: int = Field(40, ge=4, le=200, description="icl-gd: longest context N")
    tasks: int = Field(1000, ge=100, le=20000, description="icl-gd: regression tasks per N")
    lr: float = Field(1.0, gt=0.0, le=10.0, description="icl-gd: the GD step size eta")
    contexts: int = Field(64, ge=8, le=256, description="softmax-bottleneck: contexts (rows)")
    vocab: int = Field(32, ge=4, le=128, description="softmax-bottleneck: vocabulary (columns)")
    concentration: float = Field(0.5, gt=0.0, le=10.0, description="softmax-bottleneck: Dirichlet alpha")
    spurious: float = Field(0.35, ge=0.0, le=5.0, description="overoptimisation: gold penalty on s^2")
    trials: int = Field(1000, ge=100, le=20000, description="overoptimisation: repeats per n")
    max_log2_n: int = Field(12, ge=2, le=14, description="overoptimisation: n = 1, 2, 4 .. 2^max")


def _icl_gd(p: LMExperimentParams, rng: np.random.Generator) -> Arrays:
    """A hand-wired linear self-attention layer against one gradient-descent step (von Oswald et al.).

    Tokens are e_i = (x_i, y_i) and the query e_q = (x_q, 0).  With W_K = W_Q = [[I, 0], [0, 0]]
    and W_V = [[0, 0], [0, eta]], the layer's update to the query's last coordinate is
    (1/N) sum_i (W_V e_i)(W_K e_i)^T (W_Q e_q) = (eta/N) sum_i y_i x_i . x_q, the prediction of
    w_1 = w_0 - eta grad L(w_0) from w_0 = 0 with L = (1/2N) sum (w.x_i - y_i)^2.  Both are
    computed separately on the same tasks, with least squares for comparison.
    """
    d, t = p.dim, p.tasks
    ns = np.arange(1, p.max_context + 1)
    wk = np.zeros((d + 1, d + 1))
    wk[:d, :d] = np.eye(d)
    wq = wk.copy()
    wv = np.zeros((d + 1, d + 1))
    wv[d, d] = p.lr
    lsa, gd, ols = [], [], []
    w = rng.standard_normal((t, d))
    xq = rng.standard_normal((t, d))
    yq = np.einsum("td,td->t", w, xq)
    x_all = rng.standard_normal((t, p.max_context, d))
    y_all = np.einsum("tnd,td->tn", x_all, w)
    for n in ns:
        x, y = x_all[:, :n], y_all[:, :n]
        e = np.concatenate([x, y[..., None]], axis=2)
        eq = np.concatenate([xq, np.zeros((t, 1))], axis=1)
        keys = e @ wk.T
        vals = e @ wv.T
        query = eq @ wq.T
        upd = np.einsum("tnv,tn->tv", vals, np.einsum("tnk,tk->tn", keys, query)) / n
        lsa.append(upd[:, d])
        step = p.lr * np.einsum("tn,tnd->td", y, x) / n
        gd.append(np.einsum("td,td->t", step, xq))
        m = min(t, 500)
        sol = np.einsum("tdn,tn->td", np.linalg.pinv(x[:m]), y[:m])
        ols.append(np.einsum("td,td->t", sol, xq[:m]))
    scale = float(np.mean(yq**2))
    lsa_err = np.array([np.mean((a - yq) ** 2) for a in lsa]) / scale
    gd_err = np.array([np.mean((g - yq) ** 2) for g in gd]) / scale
    ols_err = np.array([np.mean((o - yq[: o.size]) ** 2) / np.mean(yq[: o.size] ** 2) for o in ols])
    return {"context": ns.astype(float), "lsa_error": lsa_err, "gd_error": gd_err,
            "ls_error": np.maximum(ols_err, 1e-12),
            "max_gap": float(max(np.max(np.abs(a - g)) for a, g in zip(lsa, gd, strict=True))),
            "dim": float(d), "lr": p.lr, "zero_error": 1.0}


def _softmax_bottleneck(p: LMExperimentParams, rng: np.random.Generator) -> Arrays:
    """How well logits of rank d can match a full-rank table of next-token distributions.

    P: one Dirichlet draw per context.  A softmax over logits H W^T with d-dimensional H, W makes
    log P - row shift of rank <= d; the row-centred log P has rank V - 1, so no d < V - 1 is
    exact (Yang et al. 2018).  Each d is fitted by the truncated SVD of the centred log P (the
    best rank-d log-probabilities in squared error): ``residual`` is the fraction of the squared
    centred log-probabilities it leaves, ``kl`` the mean KL(P || softmax of the fit).
    """
    probs = rng.dirichlet(np.full(p.vocab, p.concentration), size=p.contexts)
    probs = np.maximum(probs, 1e-12)
    probs /= probs.sum(axis=1, keepdims=True)
    logp = np.log(probs)
    centred = logp - logp.mean(axis=1, keepdims=True)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    dims = np.arange(1, p.vocab + 1)
    kl = []
    for d in dims:
        z = (u[:, :d] * s[:d]) @ vt[:d]
        q = np.exp(z - z.max(axis=1, keepdims=True))
        q /= q.sum(axis=1, keepdims=True)
        kl.append(float(np.mean(np.sum(probs * (logp - np.log(q)), axis=1))))
    rank = int(np.sum(s > s[0] * 1e-10))
    energy = s**2
    left = np.array([energy[d:].sum() for d in dims]) / energy.sum()
    return {"dims": dims.astype(float), "kl": np.asarray(kl), "singular": s,
            "residual": np.maximum(left, 1e-16), "rank": float(rank), "vocab": float(p.vocab),
            "contexts": float(p.contexts), "kl_half": float(kl[p.vocab // 2 - 1]),
            "residual_half": float(left[p.vocab // 2 - 1])}


def _overoptimisation(p: LMExperimentParams, rng: np.random.Generator) -> Arrays:
    """Best-of-n against a proxy reward that also pays for a spurious feature (Goodhart).

    Each answer has a quality q and a spurious feature s, both N(0, 1); the proxy reward is
    q + s, the gold reward q - spurious s^2.  Best-of-n picks the proxy's favourite of n draws;
    its KL to the sampler is log n - (n - 1)/n exactly (continuous rewards, no ties).
    """
    n_max = 2**p.max_log2_n
    q = rng.standard_normal((p.trials, n_max))
    s = rng.standard_normal((p.trials, n_max))
    proxy = q + s
    gold = q - p.spurious * s**2
    ns = 2 ** np.arange(p.max_log2_n + 1)
    rows = np.arange(p.trials)
    g, pr = [], []
    for n in ns:
        pick = np.argmax(proxy[:, :n], axis=1)
        g.append(float(gold[rows, pick].mean()))
        pr.append(float(proxy[rows, pick].mean()))
    kl = np.log(ns) - (ns - 1) / ns
    gold_arr = np.asarray(g)
    best = int(np.argmax(gold_arr))
    return {"n": ns.astype(float), "kl": kl, "gold": gold_arr, "proxy": np.asarray(pr),
            "best_n": float(ns[best]), "best_kl": float(kl[best]), "gold_peak": float(gold_arr[best]),
            "gold_start": float(gold_arr[0]), "gold_end": float(gold_arr[-1])}


@recipe("lm-experiment", LMExperimentParams)
def lm_experiment(p: LMExperimentParams, rng: np.random.Generator) -> Arrays:
    """Small language-model experiments drawn as curves (see each experiment's docstring):
    ``icl-gd`` (hand-wired), ``softmax-bottleneck`` and ``overoptimisation`` (computed)."""
    if p.experiment == "icl-gd":
        return _icl_gd(p, rng)
    if p.experiment == "softmax-bottleneck":
        return _softmax_bottleneck(p, rng)
    return _overoptimisation(p, rng)


# -- matrices: smoothed bigram tables, pairwise preferences ---------------------------------------


class LMMatrixParams(Params):
    """Which matrix experiment, and its sizes."""

    experiment: Literal["bigram-smoothing", "bradley-terry", "attention-sink", "reversal-curse"]
    held_out: float = Field(0.2, ge=0.05, le=0.5, description="bigram-smoothing: clauses held out")
    shown: int = Field(10, ge=4, le=27, description="bigram-smoothing: most frequent symbols drawn")
    discount: float = Field(0.75, gt=0.0, lt=1.0, description="bigram-smoothing: Kneser-Ney discount D")
    items: int = Field(8, ge=3, le=16, description="bradley-terry: players / models")
    spread: float = Field(3.0, gt=0.0, le=10.0, description="bradley-terry: range of true scores")
    games: int = Field(20, ge=1, le=500, description="bradley-terry: comparisons per pair")
    length: int = Field(24, ge=8, le=64, description="attention-sink: tokens")
    window: int = Field(6, ge=2, le=32, description="attention-sink: most recent keys kept in the cache")
    sink_score: float = Field(4.0, ge=0.0, le=20.0, description="attention-sink: hand-set score of token 0")
    content_scale: float = Field(0.5, ge=0.0, le=5.0, description="attention-sink: spread of other scores")
    pairs: int = Field(8, ge=2, le=24, description="reversal-curse: facts 'A_i is B_i'")
    width: int = Field(16, ge=2, le=128, description="reversal-curse: embedding width")
    steps: int = Field(300, ge=10, le=5000, description="reversal-curse: gradient steps")


def _bigram_tables(train: list[str], symbols: list[str], discount: float) -> dict[str, np.ndarray]:
    index = {c: i for i, c in enumerate(symbols)}
    v = len(symbols)
    counts = np.zeros((v, v))
    for s in train:
        s = " " + s + " "
        for a, b in zip(s, s[1:], strict=False):
            counts[index[a], index[b]] += 1
    row = counts.sum(axis=1, keepdims=True)
    safe = np.maximum(row, 1)
    mle = counts / safe
    add_one = (counts + 1) / (row + v)
    cont = ((counts > 0).sum(axis=0) + 1) / ((counts > 0).sum() + v)
    followers = (counts > 0).sum(axis=1, keepdims=True)
    kn = np.maximum(counts - discount, 0) / safe + discount * followers / safe * cont[None, :]
    kn = np.where(row > 0, kn, cont[None, :])
    return {"counts": counts, "mle": mle, "add_one": add_one, "kn": kn}


def _bits(table: np.ndarray, test: list[str], symbols: list[str]) -> float:
    index = {c: i for i, c in enumerate(symbols)}
    total, n = 0.0, 0
    for s in test:
        s = " " + s + " "
        for a, b in zip(s, s[1:], strict=False):
            q = table[index[a], index[b]]
            total += -math.log2(q) if q > 0 else math.inf
            n += 1
    return total / n


def _bigram_smoothing(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """Character bigram tables of the embedded text: maximum likelihood, add-one, Kneser-Ney.

    Counted on a random 4/5 of the clauses; Kneser-Ney is the interpolated form with discount D,
    P(b|a) = max(c(ab) - D, 0)/c(a) + D N1+(a.)/c(a) * P_cont(b), with the continuation
    probability P_cont(b) = (N1+(.b) + 1) / (N1+(..) + V) add-one smoothed so that a symbol
    never seen as a follower keeps some mass (an unseen context falls back to P_cont).  The tables cover all 27
    symbols; the figure shows the ``shown`` most frequent.  ``unseen`` marks the shown bigrams
    never counted, which maximum likelihood gives probability zero.
    """
    symbols = sorted(set(" ".join(corpus_clauses())))
    train, test = split_clauses(rng, p.held_out)
    t = _bigram_tables(train, symbols, p.discount)
    freq = t["counts"].sum(axis=1)
    top = np.sort(np.argsort(-freq, kind="stable")[: p.shown])
    sub = np.ix_(top, top)
    labels = np.asarray(["_" if symbols[i] == " " else symbols[i] for i in top])
    held = {k: _bits(t[k], test, symbols) for k in ("mle", "add_one", "kn")}
    index = {c: i for i, c in enumerate(symbols)}
    pairs = [(index[a], index[b]) for s in test for a, b in zip(" " + s, s + " ", strict=False)]
    unseen_test = float(np.mean([t["counts"][a, b] == 0 for a, b in pairs]))
    return {"mle": t["mle"][sub], "add_one": t["add_one"][sub], "kn": t["kn"][sub], "symbols": labels,
            "unseen": t["counts"][sub] == 0, "unseen_count": float(np.sum(t["counts"][sub] == 0)),
            "row_sums_kn": t["kn"].sum(axis=1), "row_sums_add_one": t["add_one"].sum(axis=1),
            "bits_add_one": held["add_one"], "bits_kn": held["kn"],
            "mle_finite": float(math.isfinite(held["mle"])), "unseen_held_out": unseen_test,
            "kn_unseen_mass": float(np.mean(np.where(t["counts"] == 0, t["kn"], 0).sum(axis=1)))}


def _bradley_terry(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """Pairwise comparisons drawn from a Bradley-Terry model, and its maximum-likelihood fit.

    Item i beats j with probability sigma(s_i - s_j); every pair plays ``games`` times.  The
    scores are fitted by Zermelo's / Hunter's minorise-maximise iteration (2000 steps), centred.
    """
    k = p.items
    true = np.linspace(-p.spread / 2, p.spread / 2, k)
    prob = 1 / (1 + np.exp(-(true[:, None] - true[None, :])))
    upper = np.triu(np.ones((k, k), bool), 1)
    wins = np.zeros((k, k))
    wins[upper] = rng.binomial(p.games, prob[upper])
    wins.T[upper] = p.games - wins[upper]
    games = np.where(np.eye(k, dtype=bool), 0, p.games)
    strength = np.ones(k)
    total = wins.sum(axis=1)
    for _ in range(2000):
        denom = (games / (strength[:, None] + strength[None, :])).sum(axis=1)
        strength = np.maximum(total, 1e-3) / denom
        strength /= np.exp(np.mean(np.log(strength)))
    fit = np.log(strength)
    fitted = 1 / (1 + np.exp(-(fit[:, None] - fit[None, :])))
    rate = np.where(games > 0, wins / np.maximum(games, 1), np.nan)
    np.fill_diagonal(fitted, np.nan)
    names = np.asarray([f"m{i + 1}" for i in range(k)])
    off = ~np.eye(k, dtype=bool)
    far = (np.abs(np.nan_to_num(rate) - prob) > 0.15) & off
    return {"win_rate": np.nan_to_num(rate, nan=0.0), "fitted": np.nan_to_num(fitted, nan=0.0),
            "true_prob": np.where(off, prob, 0.0), "true_score": true, "fit_score": fit - fit.mean(),
            "names": names, "score_corr": float(np.corrcoef(true, fit)[0, 1]),
            "fit_error": float(np.abs(fitted - prob)[off].mean()),
            "raw_error": float(np.abs(rate - prob)[off].mean()),
            "far": far, "far_count": float(far.sum()),
            "far_raw_error": float(np.abs(rate - prob)[far].mean()) if far.any() else 0.0,
            "far_fit_error": float(np.abs(fitted - prob)[far].mean()) if far.any() else 0.0}


def _attention_sink(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """A hand-wired head that parks its spare attention on the first token, and two KV caches.

    Scores: every query gives token 0 the score ``sink_score`` and other earlier keys a random
    content score N(0, content_scale^2).  Full causal attention is compared with a cache that
    keeps only the last ``window`` keys and with one that keeps token 0 as well (StreamingLLM);
    ``tv_window`` / ``tv_sink`` are each row's total-variation distance from full attention.
    """
    n, w = p.length, p.window
    scores = p.content_scale * rng.standard_normal((n, n))
    scores[:, 0] = p.sink_score
    q = np.arange(n)[:, None]
    k = np.arange(n)[None, :]
    causal = k <= q
    recent = causal & (k > q - w)
    masks = {"full": causal, "window": recent, "sink": recent | (causal & (k == 0))}
    att = {}
    for name, m in masks.items():
        z = np.where(m, scores, -np.inf)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        att[name] = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(n) >= w
    tv_w = 0.5 * np.abs(att["window"] - att["full"]).sum(axis=1)
    tv_s = 0.5 * np.abs(att["sink"] - att["full"]).sum(axis=1)
    return {"full": att["full"], "window": att["window"], "sink": att["sink"],
            "position": np.asarray([str(i) for i in range(n)]), "evicted": causal & ~masks["sink"],
            "sink_column": causal & (k == 0),
            "sink_mass": float(att["full"][rows, 0].mean()), "tv_window": tv_w, "tv_sink": tv_s,
            "tv_window_mean": float(tv_w[rows].mean()), "tv_sink_mean": float(tv_s[rows].mean()),
            "window_keys": float(w)}


def _reversal_curse(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """A next-token model trained on 'A_i -> B_i' only, then asked 'B_i -> ?'.

    Tokens are the 2k names; the model is logits = E[x] U (embedding and unembedding of width
    ``width``, small random init), trained by full-batch gradient descent on cross-entropy for
    the k forward facts.  ``forward`` is P(B_j | A_i), ``backward`` P(A_j | B_i), both k x k.
    """
    k, v = p.pairs, 2 * p.pairs
    emb = 0.1 * rng.standard_normal((v, p.width))
    unemb = 0.1 * rng.standard_normal((p.width, v))
    x = np.arange(k)
    y = np.arange(k, v)
    lr = 1.0
    for _ in range(p.steps):
        h = emb[x]
        z = h @ unemb
        prob = np.exp(z - z.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        g = prob.copy()
        g[np.arange(k), y] -= 1
        g /= k
        d_unemb = h.T @ g
        d_h = g @ unemb.T
        unemb -= lr * d_unemb
        np.add.at(emb, x, -lr * d_h)

    def law(rows: np.ndarray) -> np.ndarray:
        z = emb[rows] @ unemb
        q = np.exp(z - z.max(axis=1, keepdims=True))
        return q / q.sum(axis=1, keepdims=True)

    fwd = law(x)[:, k:]
    bwd = law(y)[:, :k]
    return {"forward": fwd, "backward": bwd, "names_a": np.asarray([f"A{i + 1}" for i in range(k)]),
            "names_b": np.asarray([f"B{i + 1}" for i in range(k)]), "truth": np.eye(k, dtype=bool),
            "forward_correct": float(np.mean(np.diag(fwd))), "backward_correct": float(np.mean(np.diag(bwd))),
            "forward_accuracy": float(np.mean(np.argmax(fwd, axis=1) == x)),
            "backward_accuracy": float(np.mean(np.argmax(bwd, axis=1) == x)),
            "chance": 1.0 / v, "backward_max": float(bwd.max())}


@recipe("lm-matrix", LMMatrixParams)
def lm_matrix(p: LMMatrixParams, rng: np.random.Generator) -> Arrays:
    """Matrices of counting language models, preference models (computed) and a hand-wired
    attention sink; see each experiment's docstring."""
    if p.experiment == "bigram-smoothing":
        return _bigram_smoothing(p, rng)
    if p.experiment == "attention-sink":
        return _attention_sink(p, rng)
    if p.experiment == "reversal-curse":
        return _reversal_curse(p, rng)
    return _bradley_terry(p, rng)
