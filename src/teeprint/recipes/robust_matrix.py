"""Robustness on images and tables: attacks, backdoors, shifts and unlearning, computed on small models.

``robust-matrix`` — images and tables, shaped for ``matrix-heatmap`` and ``token-bars``:

* ``fgsm`` — 12 x 12 images of two glyphs (a ring and a cross, shifted by up to a pixel, pixel
  noise sd ``noise``) and logistic regression on the pixels by gradient descent; the fast
  gradient sign step x + eps sign(grad_x loss) on a test image, and the test accuracy under that
  step and under a random-sign step of the same size;
* ``backdoor`` — the same images with a ``share`` of the training set stamped with a 3 x 3
  trigger in a corner and relabelled as the target class; clean accuracy and the share of
  stamped test images of the other class sent to the target, against a model trained clean;
* ``label-shift`` — black-box shift estimation: three Gaussian classes, a nearest-mean classifier
  trained on uniform priors, its confusion matrix on held-out source data inverted against its
  prediction frequencies on a target sample with priors ``priors``;
* ``corruptions`` — the glyph classifier's test accuracy under pixel noise, blur and lowered
  contrast at five severities (``accuracy`` 3 x 5), with one test image at severity 3 of each;
* ``inversion`` — model inversion: gradient ascent on a blank image (pixels kept in [0, 1]) to
  maximise the model's probability of each class, beside the class's mean training image;
* ``gcg`` — greedy coordinate gradient on a seeded random next-token model (position-weighted
  sum of token embeddings, tanh, linear read-out; 10 words): a ``suffix``-token suffix after a
  fixed prompt, each step taking the top-4 tokens per position by the one-hot gradient of
  -log P(target) (the word least likely after the prompt), trying 32 random single swaps among them and moving to the best (the lowest loss seen is kept); the next-word
  distribution before and after, for ``token-bars``;
* ``sisa`` — SISA unlearning: ``n`` points split into S shards of R slices each (S = 1..16,
  R = 1..8); deleting a point retrains its shard from the slice that held it. The share of the
  data retrained per deletion, averaged over 2000 random deletions, and the test accuracy of
  the shards' averaged logistic regressions (gradient descent, 30 features) against S.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe

MatrixExperiment = Literal["fgsm", "backdoor", "label-shift", "corruptions", "inversion", "gcg", "sisa"]


class RobustMatrixParams(Params):
    """Which experiment and its knobs (each experiment reads the ones its docstring names)."""

    experiment: MatrixExperiment
    n: int = Field(400, ge=50, le=5000)
    noise: float = Field(0.35, ge=0.0, le=2.0)
    eps: float = Field(0.1, ge=0.0, le=1.0)
    share: float = Field(0.05, ge=0.0, le=0.5, description="backdoor: poisoned share of training")
    steps: int = Field(300, ge=10, le=5000)
    lr: float = Field(0.5, gt=0.0, le=10.0)
    priors: tuple[float, float, float] = Field((0.6, 0.3, 0.1))
    spread: float = Field(1.0, gt=0.0, le=5.0, description="label-shift: class sd")
    suffix: int = Field(4, ge=1, le=12, description="gcg: suffix length")
    rounds: int = Field(20, ge=1, le=200, description="gcg: search steps")


def _glyphs() -> np.ndarray:
    size = 12
    r, c = np.mgrid[0:size, 0:size] - (size - 1) / 2
    ring = (np.abs(np.hypot(r, c) - 3.6) < 0.9).astype(float)
    cross = ((np.abs(r - c) < 0.9) | (np.abs(r + c) < 0.9)).astype(float) * (np.abs(r) < 4.6)
    return np.array([ring, cross])


def _images(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    g = _glyphs()
    y = rng.integers(0, 2, n)
    out = np.empty((n, 12, 12))
    for i in range(n):
        out[i] = np.roll(g[y[i]], (rng.integers(-1, 2), rng.integers(-1, 2)), (0, 1))
    out += noise * rng.normal(size=out.shape)
    return np.clip(out, 0.0, 1.0), y


def _fit_pixels(x: np.ndarray, y: np.ndarray, steps: int, lr: float) -> tuple[np.ndarray, float]:
    xf = x.reshape(len(x), -1)
    w, b = np.zeros(xf.shape[1]), 0.0
    for _ in range(steps):
        pr = 1 / (1 + np.exp(-np.clip(xf @ w + b, -50, 50)))
        g = pr - y
        w -= lr * (xf.T @ g / len(x) + 1e-3 * w)
        b -= lr * float(g.mean())
    return w, b


def _predict(w: np.ndarray, b: float, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(x.reshape(len(x), -1) @ w + b, -50, 50)))


def _fgsm(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    x, y = _images(p.n, p.noise, rng)
    xt, yt = _images(1000, p.noise, rng)
    w, b = _fit_pixels(x, y, p.steps, p.lr)
    pr = _predict(w, b, xt)
    # grad_x of the logistic loss is (p - y) w: the attack steps along its sign
    step = np.sign((pr - yt)[:, None] * w[None, :]).reshape(xt.shape)
    adv = np.clip(xt + p.eps * step, 0.0, 1.0)
    rand = np.clip(xt + p.eps * rng.choice([-1.0, 1.0], size=xt.shape), 0.0, 1.0)
    i = int(np.flatnonzero((yt == 0) & (pr < 0.5))[0])
    pa = _predict(w, b, adv[i:i + 1])[0]
    return {"image": xt[i], "perturbation": adv[i] - xt[i], "adversarial": adv[i],
            "weights": w.reshape(12, 12), "p_before": float(pr[i]), "p_after": float(pa),
            "linf": float(np.abs(adv[i] - xt[i]).max()), "eps": p.eps,
            "acc_clean": float(np.mean((pr > 0.5) == yt)),
            "acc_fgsm": float(np.mean((_predict(w, b, adv) > 0.5) == yt)),
            "acc_random": float(np.mean((_predict(w, b, rand) > 0.5) == yt)),
            "w_l1": float(np.abs(w).sum())}


def _stamp(x: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[:, 9:12, 9:12] = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    return out


def _backdoor(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    x, y = _images(p.n, p.noise, rng)
    xt, yt = _images(1000, p.noise, rng)
    k = int(round(p.share * p.n))
    xp, yp = x.copy(), y.copy()
    idx = rng.choice(p.n, k, replace=False)
    xp[idx] = _stamp(x[idx])
    yp[idx] = 1
    w0, b0 = _fit_pixels(x, y, p.steps, p.lr)
    w1, b1 = _fit_pixels(xp, yp, p.steps, p.lr)
    other = xt[yt == 0]
    trig = _stamp(other)
    i = int(np.flatnonzero(yt == 0)[0])
    return {"image": xt[i], "triggered": _stamp(xt[i:i + 1])[0], "weights": w1.reshape(12, 12),
            "weights_clean": w0.reshape(12, 12),
            "acc_clean_model": float(np.mean((_predict(w0, b0, xt) > 0.5) == yt)),
            "acc_backdoored": float(np.mean((_predict(w1, b1, xt) > 0.5) == yt)),
            "success": float(np.mean(_predict(w1, b1, trig) > 0.5)),
            "success_clean_model": float(np.mean(_predict(w0, b0, trig) > 0.5)),
            "poisoned": float(k), "share": p.share,
            "p_image": float(_predict(w1, b1, xt[i:i + 1])[0]),
            "p_triggered": float(_predict(w1, b1, _stamp(xt[i:i + 1]))[0]),
            "trigger_weight": float(w1.reshape(12, 12)[9:12, 9:12].mean()),
            "rest_weight": float(np.abs(w1).mean())}


def _label_shift(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    centres = np.array([[0.0, 1.2], [-1.0, -0.6], [1.0, -0.6]])
    q = np.array(p.priors) / sum(p.priors)

    def draw(n: int, pri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = rng.choice(3, n, p=pri)
        return centres[y] + p.spread * rng.normal(size=(n, 2)), y

    src = np.full(3, 1 / 3)
    x, y = draw(p.n, src)
    means = np.array([x[y == k].mean(0) for k in range(3)])

    def clf(z: np.ndarray) -> np.ndarray:
        return np.argmin(((z[:, None, :] - means[None]) ** 2).sum(-1), 1)

    xh, yh = draw(p.n, src)
    conf = np.zeros((3, 3))
    np.add.at(conf, (clf(xh), yh), 1.0)
    conf /= len(yh)
    xq, _ = draw(p.n, q)
    mu = np.bincount(clf(xq), minlength=3) / p.n
    wts = np.linalg.solve(conf, mu)
    est = np.clip(wts * src, 0.0, None)
    est /= est.sum()
    return {"vocab": np.array(["A", "B", "C"]), "base": src, "after": np.array([mu, est]),
            "overlay": np.array([q, q]), "truth": q, "naive": mu, "bbse": est, "confusion": conf,
            "weights": wts, "err_naive": float(np.abs(mu - q).sum()), "err_bbse": float(np.abs(est - q).sum()),
            "src_acc": float(np.trace(conf)), "right": np.array([math.nan, float(np.abs(mu - q).sum()),
                                                                  float(np.abs(est - q).sum())])}


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    r = np.arange(-4, 5)
    k = np.exp(-0.5 * (r / sigma) ** 2)
    k /= k.sum()
    pad = np.pad(x, ((0, 0), (4, 4), (4, 4)), mode="edge")
    rows = sum(k[i] * pad[:, i:i + 12, :] for i in range(9))
    return sum(k[i] * rows[:, :, i:i + 12] for i in range(9))


def _corruptions(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    x, y = _images(p.n, p.noise, rng)
    xt, yt = _images(1000, p.noise, rng)
    w, b = _fit_pixels(x, y, p.steps, p.lr)
    sev = np.arange(1, 6)
    acc = np.empty((3, 5))
    examples = []
    for j, s in enumerate(sev):
        noisy = np.clip(xt + 0.25 * s * rng.normal(size=xt.shape), 0, 1)
        blurred = _blur(xt, 0.4 * s)
        faded = 0.5 + (xt - 0.5) * (1 - 0.18 * s)
        for i, z in enumerate((noisy, blurred, faded)):
            acc[i, j] = float(np.mean((_predict(w, b, z) > 0.5) == yt))
        if s == 3:
            examples = [noisy[0], blurred[0], faded[0]]
    clean = float(np.mean((_predict(w, b, xt) > 0.5) == yt))
    return {"accuracy": acc, "clean": clean, "severity": sev.astype(float), "image": xt[0],
            "noise_3": examples[0], "blur_3": examples[1], "contrast_3": examples[2],
            "names": np.array(["noise", "blur", "contrast"]), "sev_labels": np.array([str(s) for s in sev]),
            "worst": float(acc[:, -1].min()), "best_at_5": float(acc[:, -1].max())}


def _inversion(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    x, y = _images(p.n, p.noise, rng)
    w, b = _fit_pixels(x, y, p.steps, p.lr)
    out: Arrays = {}
    for k in (0, 1):
        z = np.zeros(144)
        s = 1.0 if k == 1 else -1.0
        for _ in range(200):  # ascend log P(class k) = log sigmoid(s (w.z + b))
            pr = 1 / (1 + np.exp(-np.clip(s * (w @ z + b), -50, 50)))
            z = np.clip(z + 0.05 * s * (1 - pr) * w, 0.0, 1.0)
        mean = x[y == k].mean(0)
        out[f"inverted_{k}"] = z.reshape(12, 12)
        out[f"mean_{k}"] = mean
        out[f"corr_{k}"] = float(np.corrcoef(z, mean.ravel())[0, 1])
        out[f"conf_{k}"] = float(1 / (1 + np.exp(-s * (w @ z + b))))
    out["weights"] = w.reshape(12, 12)
    return out


_WORDS = ("sure", "no", "sorry", "the", "a", "it", "is", "and", "of", "to")


def _gcg(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    v, d = len(_WORDS), 16
    emb = rng.normal(size=(v, d))
    read = rng.normal(size=(d, v)) * 0.7
    prompt = [3, 5, 6]  # "the it is"
    n = len(prompt) + p.suffix
    decay = 0.8 ** np.arange(n)[::-1]  # recent tokens weigh more

    def logits(tokens: np.ndarray) -> np.ndarray:
        h = np.tanh((decay[-len(tokens):, None] * emb[tokens]).sum(0))
        return h @ read

    def loss(tokens: np.ndarray) -> float:
        z = logits(tokens)
        return float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[target])

    def probs(tokens: np.ndarray) -> np.ndarray:
        z = logits(tokens)
        e = np.exp(z - z.max())
        return e / e.sum()

    target = int(np.argmin(probs(np.array(prompt))))  # the word the model least expects next
    suffix = np.full(p.suffix, int(np.argmax(probs(np.array(prompt)))))  # start from the likeliest word
    seq = np.array(prompt + list(suffix))
    kept_seq = seq.copy()
    history = [loss(seq)]
    for _ in range(p.rounds):
        # gradient of the loss with respect to the one-hot suffix tokens
        w = decay[:, None] * emb[seq]
        pre = w.sum(0)
        h = np.tanh(pre)
        pr = probs(seq)
        g_h = read @ (pr - np.eye(v)[target])
        g_pre = g_h * (1 - h**2)
        grad = decay[len(prompt):, None] * (emb @ g_pre)[None, :]  # (suffix, vocab)
        top = np.argsort(grad, axis=1)[:, :4]
        best, best_loss = seq, math.inf
        for _ in range(32):
            pos = int(rng.integers(p.suffix))
            cand = seq.copy()
            cand[len(prompt) + pos] = top[pos, int(rng.integers(4))]
            if np.array_equal(cand, seq):
                continue
            c_loss = loss(cand)
            if c_loss < best_loss:
                best, best_loss = cand, c_loss
        seq = best  # GCG moves to the batch's best swap, even when it is worse than the current suffix
        history.append(best_loss)
        if best_loss <= min(history[:-1]):
            kept_seq = seq.copy()
    seq = kept_seq if min(history[1:]) <= history[0] else np.array(prompt + list(suffix))
    base = probs(np.array(prompt))
    after = probs(seq)
    kept = np.zeros((1, v), bool)
    kept[0, target] = True
    return {"vocab": np.array(_WORDS), "base": base, "after": after[None, :], "kept": kept,
            "p_before": float(base[target]), "p_after": float(after[target]), "target": _WORDS[target],
            "min_before": float(base.min()),
            "loss": np.array(history), "suffix_words": " ".join(_WORDS[t] for t in seq[len(prompt):]),
            "rounds": float(p.rounds), "argmax_after": float(np.argmax(after)),
            "right": np.array([base[target], after[target]])}


def _sisa(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    shards, slices = np.array([1, 2, 4, 8, 16]), np.array([1, 2, 4, 8])
    cost = np.empty((shards.size, slices.size))
    pos = rng.integers(0, p.n, 2000)
    for i, sh in enumerate(shards):
        per = p.n // sh
        for j, sl in enumerate(slices):
            within = pos % per  # place of the deleted point in its shard's training order
            first = within // (per // sl)  # the slice that held it: retrain from there
            cost[i, j] = float(np.mean((per - first * (per // sl)) / p.n))
    d = 30
    w_true = rng.normal(size=d)
    x = rng.normal(size=(p.n, d))
    y = (x @ w_true + 2.0 * rng.normal(size=p.n) > 0).astype(float)
    xt = rng.normal(size=(4000, d))
    yt = (xt @ w_true > 0).astype(float)
    acc = np.empty(shards.size)
    for i, sh in enumerate(shards):
        per = p.n // sh
        prob = np.zeros(len(xt))
        for k in range(sh):
            w = np.zeros(d)
            xs, ys = x[k * per:(k + 1) * per], y[k * per:(k + 1) * per]
            for _ in range(p.steps):
                w -= p.lr * xs.T @ (1 / (1 + np.exp(-np.clip(xs @ w, -50, 50))) - ys) / per
            prob += 1 / (1 + np.exp(-np.clip(xt @ w, -50, 50))) / sh
        acc[i] = float(np.mean((prob > 0.5) == (yt > 0.5)))
    exact = np.array([[(sl + 1) / (2 * sl * sh) for sl in slices] for sh in shards])
    return {"cost": cost, "exact_cost": exact, "accuracy": acc[None, :], "shards": shards.astype(float),
            "slices": slices.astype(float), "shard_labels": np.array([str(v) for v in shards]),
            "slice_labels": np.array([str(v) for v in slices]), "n": float(p.n),
            "max_gap": float(np.abs(cost - exact).max())}


_MATRICES = {"sisa": _sisa, "gcg": _gcg, "fgsm": _fgsm, "backdoor": _backdoor, "label-shift": _label_shift, "corruptions": _corruptions,
             "inversion": _inversion}


@recipe("robust-matrix", RobustMatrixParams)
def robust_matrix(p: RobustMatrixParams, rng: np.random.Generator) -> Arrays:
    """Images under attack and a label-shift table (experiments: module docstring)."""
    return _MATRICES[p.experiment](p, rng)
