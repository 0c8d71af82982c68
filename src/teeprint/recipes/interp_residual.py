"""``interp-toy`` experiments that read a small residual MLP layer by layer.

Linear probes (and their control tasks), the logit lens, activation steering, TCAV concept
vectors and single-unit ablation, all on a residual MLP trained on concentric rings.
Registered through :mod:`teeprint.recipes.interp_circuits`, which imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from teeprint.recipes import Arrays
from teeprint.recipes.interp_base import ToyParams, _Adam

# -- a residual MLP read layer by layer: linear probes and the logit lens -------------------


def _rings(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Three classes on concentric rings (radii 0.6, 1.4, 2.2, radial noise sd 0.15)."""
    y = rng.integers(0, 3, n)
    ang = rng.uniform(0.0, 2 * np.pi, n)
    r = 0.6 + 0.8 * y + rng.normal(0.0, 0.15, n)
    return np.stack([r * np.cos(ang), r * np.sin(ang)], axis=1), y


def _train_residual(p: ToyParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A residual MLP on the rings: h0 = x E, h_{l+1} = h_l + ReLU(h_l W1_l + b_l) W2_l for
    ``depth`` blocks of ``width`` units, logits h_L U + c; full-batch Adam on ``n`` points for
    ``steps`` steps.  Returns the weights and the residual stream of fresh test points."""
    d, depth = p.width, p.depth
    x, y = _rings(rng, p.n)
    emb = rng.normal(0.0, 1.0, (2, d))
    w1 = rng.normal(0.0, math.sqrt(2.0 / d), (depth, d, d))
    b1 = np.zeros((depth, d))
    w2 = rng.normal(0.0, 0.3 / math.sqrt(d), (depth, d, d))
    u = rng.normal(0.0, 1.0 / math.sqrt(d), (d, 3))
    c = np.zeros(3)
    opt = _Adam([emb, w1, b1, w2, u, c], p.lr)
    rows = np.arange(len(x))
    for _ in range(p.steps):
        hs, acts = [x @ emb], []
        for layer in range(depth):
            a = hs[-1] @ w1[layer] + b1[layer]
            acts.append(a)
            hs.append(hs[-1] + np.maximum(a, 0.0) @ w2[layer])
        logits = hs[-1] @ u + c
        pr = np.exp(logits - logits.max(axis=1, keepdims=True))
        pr /= pr.sum(axis=1, keepdims=True)
        pr[rows, y] -= 1.0
        g = pr / len(x)
        gu, gc = hs[-1].T @ g, g.sum(axis=0)
        gh = g @ u.T
        gw1, gb1, gw2 = np.zeros_like(w1), np.zeros_like(b1), np.zeros_like(w2)
        for layer in reversed(range(depth)):
            a = acts[layer]
            gw2[layer] = np.maximum(a, 0.0).T @ gh
            ga = (gh @ w2[layer].T) * (a > 0)
            gw1[layer] = hs[layer].T @ ga
            gb1[layer] = ga.sum(axis=0)
            gh = gh + ga @ w1[layer].T
        opt.step([x.T @ gh, gw1, gb1, gw2, gu, gc])
    xt, yt = _rings(rng, 600)
    stream = [xt @ emb]
    for layer in range(depth):
        stream.append(stream[-1] + np.maximum(stream[-1] @ w1[layer] + b1[layer], 0.0) @ w2[layer])
    return {"stream": np.stack(stream), "y": yt, "u": u, "c": c, "x": xt, "w1": w1, "b1": b1,
            "w2": w2, "emb": emb}


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _probe_accuracy(h: np.ndarray, y: np.ndarray, steps: int = 150) -> float:
    """A multinomial logistic-regression probe trained on the first half of (h, y) by
    full-batch gradient descent on standardised features, scored on the second half."""
    half = len(h) // 2
    mu, sd = h[:half].mean(axis=0), h[:half].std(axis=0) + 1e-9
    z = np.column_stack([(h - mu) / sd, np.ones(len(h))])
    w = np.zeros((z.shape[1], 3))
    onehot = np.eye(3)[y[:half]]
    for _ in range(steps):
        w -= 0.5 * z[:half].T @ (_softmax(z[:half] @ w) - onehot) / half
    return float(((z[half:] @ w).argmax(axis=1) == y[half:]).mean())


def _exp_probes(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Alain & Bengio 2017: a linear probe (logistic regression) on the residual stream of a
    trained residual MLP (three classes on concentric rings), one per layer 0..depth, trained on
    300 fresh points and scored on 300 others.  The logit lens (the model's own read-out
    applied early) is measured alongside.  Arrays: ``layer``, ``probe_acc``, ``lens_acc``,
    ``chance`` (line), ``final_acc`` (the model itself), ``probe_gain`` (last - first).
    """
    m = _train_residual(p, rng)
    probe = np.array([_probe_accuracy(h, m["y"]) for h in m["stream"]])
    lens = np.array([float(((h @ m["u"] + m["c"]).argmax(axis=1) == m["y"]).mean())
                     for h in m["stream"]])
    layer = np.arange(p.depth + 1, dtype=float)
    return {
        "layer": layer, "probe_acc": probe, "lens_acc": lens, "chance": np.full(layer.shape, 1 / 3),
        "final_acc": float(lens[-1]), "probe_gain": float(probe[-1] - probe[0]),
    }


def _exp_logit_lens(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """nostalgebraist 2020: decode every layer's residual stream of the trained residual MLP
    (as ``linear-probes``) with the model's final read-out.  ``lens_prob`` (layers x 12 test
    inputs, four per class): the probability the lens gives the true class; ``lens_acc`` per
    layer; ``mean_true_prob`` per layer; ``final_acc``.
    """
    m = _train_residual(p, rng)
    probs = _softmax(np.einsum("lnd,dk->lnk", m["stream"], m["u"]) + m["c"])
    y = m["y"]
    true_p = probs[:, np.arange(len(y)), y]
    pick = np.concatenate([np.nonzero(y == k)[0][:4] for k in range(3)])
    return {
        "lens_prob": true_p[:, pick], "lens_acc": (probs.argmax(axis=2) == y).mean(axis=1),
        "lens_acc_row": (probs.argmax(axis=2) == y).mean(axis=1)[None, :],
        "mean_true_prob": true_p.mean(axis=1), "final_acc": float((probs[-1].argmax(axis=1) == y).mean()),
        "layer_labels": [f"layer {i}" for i in range(p.depth + 1)],
        "input_labels": [f"{'ABC'[k]}{j + 1}" for k in range(3) for j in range(4)],
    }


def _exp_steering(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Turner et al. 2023 (activation addition) on the trained residual MLP of
    ``linear-probes``: the steering vector is the difference of the mean residual stream of
    class C and class A test points after block ``depth // 2``; adding alpha times it there to
    class-A inputs, then running the remaining blocks, moves the model's answer.
    Arrays: ``alpha`` (``values`` or 0..1.5), ``p_a``/``p_b``/``p_c`` (mean class probabilities of
    the steered class-A inputs), ``share_c`` (share answered C), ``alpha_half`` (first alpha at
    which over half answer C), ``final_acc``.
    """
    m = _train_residual(p, rng)
    mid = p.depth // 2
    y, h = m["y"], m["stream"][mid]
    vec = h[y == 2].mean(axis=0) - h[y == 0].mean(axis=0)
    alphas = np.asarray(p.values) if p.values else np.linspace(0.0, 1.5, 31)
    base = h[y == 0]
    probs = np.empty((alphas.size, 3))
    share = np.empty(alphas.size)
    for i, a in enumerate(alphas):
        z = base + a * vec
        for layer in range(mid, p.depth):
            z = z + np.maximum(z @ m["w1"][layer] + m["b1"][layer], 0.0) @ m["w2"][layer]
        pr = _softmax(z @ m["u"] + m["c"])
        probs[i] = pr.mean(axis=0)
        share[i] = float((pr.argmax(axis=1) == 2).mean())
    over = np.nonzero(share > 0.5)[0]
    return {
        "alpha": alphas, "p_a": probs[:, 0], "p_b": probs[:, 1], "p_c": probs[:, 2],
        "share_c": share, "alpha_half": float(alphas[over[0]]) if over.size else math.nan,
        "final_acc": float((_softmax(m["stream"][-1] @ m["u"] + m["c"]).argmax(axis=1) == y).mean()),
        "layer": mid,
    }


def _stream_at(m: dict[str, np.ndarray], x: np.ndarray, layer: int) -> np.ndarray:
    """Residual stream of inputs x (n, 2) after ``layer`` blocks of the trained model."""
    h = x @ m["emb"]
    for i in range(layer):
        h = h + np.maximum(h @ m["w1"][i] + m["b1"][i], 0.0) @ m["w2"][i]
    return h


def _logit_grad(m: dict[str, np.ndarray], h: np.ndarray, layer: int, cls: int) -> np.ndarray:
    """d logit[cls] / d h for residual streams h after ``layer`` blocks (backprop by hand)."""
    hs, acts = [h], []
    for i in range(layer, len(m["w1"])):
        a = hs[-1] @ m["w1"][i] + m["b1"][i]
        acts.append(a)
        hs.append(hs[-1] + np.maximum(a, 0.0) @ m["w2"][i])
    g = np.broadcast_to(m["u"][:, cls], h.shape).copy()
    for j in reversed(range(len(acts))):
        i = layer + j
        g = g + ((g @ m["w2"][i].T) * (acts[j] > 0)) @ m["w1"][i].T
    return g


def _cav(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """A concept activation vector: the unit normal of a logistic regression separating the
    concept's activations from the contrast set (gradient descent, standardised inputs)."""
    z = np.vstack([pos, neg])
    t = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    mu, sd = z.mean(axis=0), z.std(axis=0) + 1e-9
    zs = (z - mu) / sd
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(300):
        g = 1.0 / (1.0 + np.exp(-(zs @ w + b))) - t
        w -= 0.5 * zs.T @ g / len(t)
        b -= 0.5 * float(g.mean())
    v = w / sd
    return v / np.linalg.norm(v)


def _exp_tcav(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Kim et al. 2018 on the trained residual MLP of ``linear-probes`` (rings A inside, B,
    C outside).  Two concepts are given by examples, not labels of the task: "far from the
    centre" (points at radius 1.8..2.6) and "upper half" (points with y > 0), each against
    points uniform in the disc of radius 2.6.  Their CAVs are learned on the residual stream
    after block ``depth // 2``; a class's TCAV score is the share of its test inputs whose
    logit rises along the CAV.  Each concept is learned ``panels`` times from fresh examples,
    and as many CAVs of one uniform set against another give the chance spread.
    Arrays: ``scores`` (3 * panels rows: far, upper, random CAVs x 3 classes), ``far``,
    ``upper``, ``random`` (panels x 3 each), ``tcav`` (2 x 3 means), ``random_mean``, labels,
    ``final_acc``.
    """
    m = _train_residual(p, rng)
    mid = p.depth // 2

    def disc(n: int, r_lo: float, r_hi: float) -> np.ndarray:
        r = np.sqrt(rng.uniform(r_lo**2, r_hi**2, n))
        a = rng.uniform(0.0, 2 * np.pi, n)
        return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)

    def far() -> np.ndarray:
        return _stream_at(m, disc(200, 1.8, 2.6), mid)

    def upper() -> np.ndarray:
        pts = disc(400, 0.0, 2.6)
        return _stream_at(m, pts[pts[:, 1] > 0][:200], mid)

    def rand() -> np.ndarray:
        return _stream_at(m, disc(200, 0.0, 2.6), mid)

    y, h = m["y"], m["stream"][mid]
    grads = [_logit_grad(m, h[y == k], mid, k) for k in range(3)]
    scores = np.empty((3, p.panels, 3))
    for c, concept in enumerate((far, upper, rand)):
        for r in range(p.panels):
            v = _cav(concept(), rand())
            scores[c, r] = [float((g @ v > 0).mean()) for g in grads]
    mean = scores.mean(axis=1)
    return {
        "scores": scores.reshape(-1, 3), "tcav": mean[:2], "random_mean": mean[2],
        "far": scores[0], "upper": scores[1], "random": scores[2],
        "row_labels": [f"{name} {r + 1}" for name in ("far", "upper", "random") for r in range(p.panels)],
        "row_names": ["far"] + [""] * (p.panels - 1) + ["upper"] + [""] * (p.panels - 1) + ["random"] + [""] * (p.panels - 1),
        "class_labels": ["A", "B", "C"],
        "final_acc": float((_softmax(m["stream"][-1] @ m["u"] + m["c"]).argmax(axis=1) == y).mean()),
    }


def _fit_probe(x: np.ndarray, y: np.ndarray, hidden: int, steps: int, lr: float,
               rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """A binary probe trained by Adam (full batch) on the logistic loss: logistic regression
    when ``hidden`` is 0, else a one-hidden-layer ReLU MLP of that width; returns its logit."""
    d = x.shape[1]
    if hidden == 0:
        w = [np.zeros((d, 1)), np.zeros(1)]
    else:
        w = [rng.normal(0, 1 / math.sqrt(d), (d, hidden)), np.zeros(hidden),
             rng.normal(0, 1 / math.sqrt(hidden), (hidden, 1)), np.zeros(1)]

    def logit(xs: np.ndarray) -> np.ndarray:
        if hidden == 0:
            return (xs @ w[0])[:, 0] + w[1][0]
        return (np.maximum(xs @ w[0] + w[1], 0.0) @ w[2])[:, 0] + w[3][0]

    opt = _Adam(w, lr)
    for _ in range(steps):
        g = (1.0 / (1.0 + np.exp(-logit(x))) - y) / len(y)
        if hidden == 0:
            opt.step([x.T @ g[:, None], np.array([g.sum()])])
        else:
            a = x @ w[0] + w[1]
            gr = (g[:, None] @ w[2].T) * (a > 0)
            opt.step([x.T @ gr, gr.sum(0), np.maximum(a, 0.0).T @ g[:, None], np.array([g.sum()])])
    return logit


def _exp_control_tasks(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Hewitt & Liang 2019 on a synthetic representation: ``n`` word types, each a random
    embedding in ``width`` dimensions; every type occurs ``depth`` times, each occurrence its
    embedding plus Gaussian noise (sd 0.3).  The task label of a type is the side of a fixed
    random hyperplane its embedding lies on; the control task gives each type a random label
    (a permutation of the task labels, so the class balance is the same).  Probes (hidden
    widths ``values``, 0 = logistic regression; ``steps`` of full-batch Adam at ``lr``) are
    trained on a random half of the occurrences and scored on the other half.
    Arrays: ``accuracy`` (2 x probes: task, control), ``selectivity`` (1 x probes: task minus
    control), ``sel`` (flat), ``task_acc``, ``control_acc``, ``acc_by_probe`` (probes x 2),
    ``chance`` (0.5), ``sel_first``/``sel_last`` (selectivity of the first and last probe), labels.
    """
    widths = [int(v) for v in (p.values or (0, 4, 16, 64))]
    if any(w < 0 or w > 256 for w in widths):
        msg = "control-tasks: probe widths must be in 0..256"
        raise ValueError(msg)
    emb = rng.normal(size=(p.n, p.width))
    real = (emb @ rng.normal(size=p.width) > 0).astype(float)
    ctrl = rng.permutation(real)
    types = np.repeat(np.arange(p.n), p.depth)
    x = emb[types] + 0.3 * rng.normal(size=(len(types), p.width))
    tr = rng.random(len(types)) < 0.5
    acc = np.zeros((2, len(widths)))
    for t, lab in enumerate((real, ctrl)):
        y = lab[types]
        for k, h in enumerate(widths):
            f = _fit_probe(x[tr], y[tr], h, p.steps, p.lr, rng)
            acc[t, k] = float(((f(x[~tr]) > 0) == (y[~tr] > 0.5)).mean())
    sel = acc[0] - acc[1]
    return {
        "accuracy": acc, "selectivity": sel[None, :], "sel": sel, "task_acc": acc[0],
        "control_acc": acc[1], "task_labels": ["task", "control"],
        "probe_labels": ["linear" if h == 0 else f"MLP {h}" for h in widths],
        "sel_labels": ["selectivity"],
        "acc_by_probe": acc.T, "chance": 0.5, "sel_first": float(sel[0]), "sel_last": float(sel[-1]),
    }


def _exp_unit_ablation(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Morcos et al. 2018 on a small MLP: ``n`` points of the three rings lifted to 10-d
    (tanh of a random projection), fitted by a ``width``-unit ReLU MLP (full-batch Adam,
    ``steps`` at ``lr``) once on the true labels and once on randomly permuted labels (which
    it can only memorise).  Then a fraction ``values`` of the hidden units is zeroed (10 random
    draws per fraction) and the training accuracy re-measured, relative to the unablated one.
    Arrays: ``relative`` (2 x fractions: true, random labels; ``relative_by_share`` its
    transpose), ``rel_true``, ``rel_random``,
    ``base_acc`` (true, random), ``fractions``, labels.
    """
    fr = np.asarray(p.values or (0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75))
    if np.any((fr < 0) | (fr > 1)):
        msg = "unit-ablation: fractions must be in [0, 1]"
        raise ValueError(msg)
    x2, y = _rings(rng, p.n)
    x = np.tanh(x2 @ rng.normal(size=(2, 10)))
    h, k = p.width, 3
    rel, base = np.zeros((2, len(fr))), np.zeros(2)
    for t, lab in enumerate((y, rng.permutation(y))):
        w = [rng.normal(0, 1 / math.sqrt(10), (10, h)), np.zeros(h),
             rng.normal(0, 1 / math.sqrt(h), (h, k)), np.zeros(k)]
        opt, oh = _Adam(w, p.lr), np.eye(k)[lab]
        for _ in range(p.steps):
            a = x @ w[0] + w[1]
            r = np.maximum(a, 0.0)
            g = (_softmax(r @ w[2] + w[3]) - oh) / len(lab)
            gr = (g @ w[2].T) * (a > 0)
            opt.step([x.T @ gr, gr.sum(0), r.T @ g, g.sum(0)])
        hid = np.maximum(x @ w[0] + w[1], 0.0)

        def acc(mask: np.ndarray, hid: np.ndarray = hid, w: list[np.ndarray] = w,
                lab: np.ndarray = lab) -> float:
            return float((((hid * mask) @ w[2] + w[3]).argmax(1) == lab).mean())

        base[t] = acc(np.ones(h))
        for j, f in enumerate(fr):
            draws = []
            for _ in range(10):
                m = np.ones(h)
                m[rng.permutation(h)[: int(round(f * h))]] = 0.0
                draws.append(acc(m))
            rel[t, j] = float(np.mean(draws)) / base[t]
    return {
        "relative": rel, "relative_by_share": rel.T, "rel_true": rel[0], "rel_random": rel[1],
        "base_acc": base,
        "fractions": fr, "label_rows": ["true labels", "random labels"],
        "fraction_labels": [f"{100 * f:.1f}".rstrip("0").rstrip(".") + "%" for f in fr],
    }
