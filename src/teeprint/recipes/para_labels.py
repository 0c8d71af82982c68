"""``paradigm-run`` experiments on where the labels come from: distillation's soft targets,
label noise through a transition matrix, weak supervision by a label model, zero-shot
classification and learning to rank.  Registered through :mod:`teeprint.recipes.para_training`,
which imports this module.
"""

from __future__ import annotations

import numpy as np

from teeprint.recipes import Arrays
from teeprint.recipes.para_run_base import RunParams, _band, _logistic, _sigmoid

# -- distillation and label noise --------------------------------------------------------------------------


def _softmax_fit(x: np.ndarray, y: np.ndarray, k: int, steps: int, lr: float, l2: float = 1e-3) -> np.ndarray:
    a = np.c_[x, np.ones(len(x))]
    w = np.zeros((a.shape[1], k))
    onehot = np.eye(k)[y]
    for _ in range(steps):
        lg = a @ w
        pr = np.exp(lg - lg.max(1, keepdims=True))
        pr /= pr.sum(1, keepdims=True)
        w -= lr * (a.T @ (pr - onehot) / len(x) + l2 * w)
    return w


def _distillation(p: RunParams, rng: np.random.Generator) -> Arrays:
    k = p.classes
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    means = 3.0 * np.c_[np.cos(ang), np.sin(ang)] + rng.normal(size=(k, 2)) * 0.3
    y = np.arange(p.n) % k
    x = means[y] + rng.normal(size=(p.n, 2)) * 0.6
    w = _softmax_fit(x, y, k, 800, 0.5)
    query = means[0]
    logits = np.r_[query, 1.0] @ w

    def soft(t: float) -> np.ndarray:
        z = logits / t
        e = np.exp(z - z.max())
        return np.asarray(e / e.sum())

    base = soft(1.0)
    after = np.array([soft(t) for t in p.temperatures])
    ent = np.array([float(-(q * np.log(q)).sum()) for q in np.r_[base[None], after]])
    dist = np.linalg.norm(means - means[0], axis=1)
    dist[0] = np.inf
    order = np.argsort(-after[0])
    return {"vocab": np.array([f"class {i + 1}" for i in range(k)]), "base": base, "after": after,
            "values": np.array(p.temperatures), "entropy": ent, "runner_up": float(order[1]),
            "nearest_class": float(np.argmin(dist)), "top_t1": float(base.max()), "teacher_class": float(np.argmax(base)),
            "train_acc": float(np.mean(np.argmax(np.c_[x, np.ones(len(x))] @ w, 1) == y))}


def _transition(p: RunParams, rng: np.random.Generator) -> Arrays:
    k = p.classes
    t_true = np.eye(k) * 1.0
    for i in range(k):  # each class flips to the next with its own probability
        f = p.flip * (1 - 0.5 * i / max(k - 1, 1))
        t_true[i, i] = 1 - f
        t_true[i, (i + 1) % k] = f
    ang = 2 * np.pi * np.arange(k) / k
    means = 2.5 * np.c_[np.cos(ang), np.sin(ang)]
    y = np.arange(p.n) % k
    x = means[y] + rng.normal(size=(p.n, 2)) * 0.7
    noisy = np.array([rng.choice(k, p=t_true[c]) for c in y])
    feats = np.c_[x, x ** 2, x[:, :1] * x[:, 1:]]
    mu, sd = feats.mean(0), feats.std(0)
    z = (feats - mu) / sd
    w = _softmax_fit(z, noisy, k, 500, 1.0, l2=1e-4)
    lg = np.c_[z, np.ones(len(z))] @ w
    pr = np.exp(lg - lg.max(1, keepdims=True))
    pr /= pr.sum(1, keepdims=True)
    t_hat = np.zeros((k, k))
    for i in range(k):  # anchor: the point at the 97th percentile of p(noisy = i | x)
        cut = np.quantile(pr[:, i], 0.97)
        idx = int(np.argmin(np.abs(pr[:, i] - cut)))
        t_hat[i] = pr[idx]
    return {"t_true": t_true, "t_hat": t_hat, "t_diff": t_hat - t_true, "t_error": float(np.abs(t_hat - t_true).max()),
            "diag_true": np.diag(t_true).copy(), "diag_hat": np.diag(t_hat).copy(),
            "noisy_share": float(np.mean(noisy != y)), "labels": np.array([f"{i + 1}" for i in range(k)])}


# -- weak supervision and zero-shot ------------------------------------------------------------------------


def _label_model(p: RunParams, rng: np.random.Generator) -> Arrays:
    m, n = p.classes, p.n
    acc_true = np.sort(rng.uniform(0.55, 0.95, m))[::-1]
    cover = rng.uniform(0.3, 0.9, m)
    y = np.where(rng.random(n) < 0.5, 1, -1)
    right = rng.random((n, m)) < acc_true
    votes = np.where(right, y[:, None], -y[:, None]) * (rng.random((n, m)) < cover)
    acc = np.full(m, 0.7)
    for _ in range(50):  # one-coin Dawid-Skene EM, no labels used
        logit = (votes * np.log(acc / (1 - acc))).sum(1)
        post = 1 / (1 + np.exp(-logit))  # P(y = +1 | votes)
        agree = np.where(votes > 0, post[:, None], np.where(votes < 0, 1 - post[:, None], 0.0))
        acc = np.clip(agree.sum(0) / np.maximum((votes != 0).sum(0), 1), 0.01, 0.99)
    logit = (votes * np.log(acc / (1 - acc))).sum(1)
    model_pred = np.where(logit >= 0, 1, -1)
    mv = np.sign(votes.sum(1))
    mv_pred = np.where(mv == 0, np.where(rng.random(n) < 0.5, 1, -1), mv)
    show = votes[:40].T.astype(float)
    return {"votes": show, "accuracies": np.stack([acc_true, acc]), "acc_error": float(np.abs(acc - acc_true).max()),
            "model_acc": float(np.mean(model_pred == y)), "majority_acc": float(np.mean(mv_pred == y)),
            "lf_names": np.array([f"LF {i + 1}" for i in range(m)]), "row_names": np.array(["true", "estimated"]),
            "abstain_share": float(np.mean(votes == 0))}


def _zero_shot(p: RunParams, rng: np.random.Generator) -> Arrays:
    attrs = np.array([[1, 0, 1, 0, 1], [1, 1, 0, 0, 0], [0, 1, 1, 1, 0], [0, 0, 0, 1, 1], [1, 0, 0, 1, 0],
                      [0, 1, 0, 0, 1], [1, 1, 1, 0, 0], [0, 0, 1, 1, 1]], float)
    seen, unseen = np.arange(5), np.arange(5, 8)
    d = p.dim
    protos = rng.normal(size=(5, d))

    def draw(classes: np.ndarray, per: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.repeat(classes, per)
        return attrs[y] @ protos + p.noise * rng.normal(size=(len(y), d)), y

    x, y = draw(seen, p.per_task)
    clfs = [_logistic(x, attrs[y, a], ridge=1.0) for a in range(5)]
    xt, yt = draw(unseen, 100)
    pa = np.stack([1 / (1 + np.exp(-(np.c_[xt, np.ones(len(xt))] @ w))) for w in clfs], 1)
    pa = np.clip(pa, 1e-6, 1 - 1e-6)
    score = np.log(pa) @ attrs[unseen].T + np.log(1 - pa) @ (1 - attrs[unseen]).T
    pred = unseen[np.argmax(score, 1)]
    conf = np.array([[np.mean(pred[yt == c] == k) for k in unseen] for c in unseen])
    return {"attributes": attrs, "confusion": conf, "unseen_acc": float(np.mean(pred == yt)),
            "class_names": np.array([f"class {i + 1}" for i in range(8)]), "unseen_names": np.array(["class 6", "class 7", "class 8"]),
            "attr_names": np.array(["a1", "a2", "a3", "a4", "a5"]), "seen_mask": np.r_[np.zeros((5, 5), bool), np.ones((3, 5), bool)] & (attrs > 0)}


def _ranking(p: RunParams, rng: np.random.Generator) -> Arrays:
    """Pointwise against pairwise learning to rank.  ``n`` training queries of ``per_task`` documents;
    a query's documents scatter around its own centre mu_q in ``dim`` dimensions; their graded
    relevance is x w + c (mu_q u) + noise, u orthogonal to w, so the offset c (mu_q u) is shared by
    a query's documents.  Pointwise: least squares on the relevance of every document.  Pairwise:
    linear RankNet (logistic loss on score differences of within-query pairs, ``meta_steps``
    gradient steps of ``lr``).  ``offset`` (c from 0 to 4), ``pointwise``, ``pairwise`` (+ bands
    over ``repeats``): share of within-query pairs of 200 test queries ordered as x w orders them."""
    d, q, m = p.dim, p.n, p.per_task
    cs = np.linspace(0.0, 4.0, 9)
    ii, jj = np.triu_indices(m, 1)
    acc = np.zeros((2, p.repeats, cs.size))
    for r in range(p.repeats):
        w = rng.normal(size=d)
        w /= np.linalg.norm(w)
        u = rng.normal(size=d)
        u -= (u @ w) * w
        u /= np.linalg.norm(u)
        mu = 1.5 * rng.normal(size=(q, d))
        x = mu[:, None, :] + rng.normal(size=(q, m, d))
        xt = 1.5 * rng.normal(size=(200, 1, d)) + rng.normal(size=(200, m, d))
        st = xt @ w
        truth = np.sign(st[:, ii] - st[:, jj])
        eps = 0.3 * rng.normal(size=(q, m))
        dx = (x[:, ii] - x[:, jj]).reshape(-1, d)
        design = np.concatenate([x.reshape(-1, d), np.ones((q * m, 1))], axis=1)
        for ci, c in enumerate(cs):
            y = x @ w + c * (mu @ u)[:, None] + eps
            point = np.linalg.lstsq(design, y.reshape(-1), rcond=None)[0][:d]
            lab = (y[:, ii] > y[:, jj]).reshape(-1).astype(float)
            pair = np.zeros(d)
            for _ in range(p.meta_steps):
                pair -= p.lr * dx.T @ (_sigmoid(dx @ pair) - lab) / lab.size
            for o, vec in enumerate((point, pair)):
                s = xt @ vec
                acc[o, r, ci] = np.mean(np.sign(s[:, ii] - s[:, jj]) == truth)
    return {"offset": cs, **_band(acc[0], "pointwise"), **_band(acc[1], "pairwise"),
            "chance": np.full(cs.size, 0.5)}
