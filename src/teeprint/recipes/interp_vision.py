"""``interp-toy`` experiments on a tiny numpy CNN trained to read the orientation of bars.

Feature visualisation, input-gradient saliency, occlusion, integrated-gradient baselines,
SmoothGrad and deletion curves, each checked against the bar that truly carries the label.
Registered through :mod:`teeprint.recipes.interp_circuits`, which imports this module.
"""

from __future__ import annotations

import math

import numpy as np

from teeprint.recipes import Arrays
from teeprint.recipes.interp_base import ToyParams, _Adam

# -- a tiny numpy CNN on oriented bars: feature visualisation, saliency, baselines ----------

_ANGLES = (0.0, 45.0, 90.0, 135.0)


def _cnn_bars(rng: np.random.Generator, n: int, size: int = 16, noise: float = 0.3,
              fixed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n images of one bar each: class k = orientation _ANGLES[k] (counter-clockwise, y up),
    random centre and half-length 4..7, width 1.8 px, plus Gaussian pixel noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    cls = rng.integers(0, len(_ANGLES), n) if fixed is None else np.full(n, fixed)
    th = np.radians(np.asarray(_ANGLES)[cls])[:, None, None]
    cx = rng.uniform(5, size - 6, n)[:, None, None]
    cy = rng.uniform(5, size - 6, n)[:, None, None]
    length = rng.uniform(4, 7, n)[:, None, None]
    dx, dy = xx[None] - cx, -(yy[None] - cy)
    along = dx * np.cos(th) + dy * np.sin(th)
    across = -dx * np.sin(th) + dy * np.cos(th)
    img = ((np.abs(across) < 0.9) & (np.abs(along) < length)).astype(float)
    return img + rng.normal(0.0, noise, img.shape), cls


def _cnn_patches(x: np.ndarray, k: int) -> np.ndarray:
    """All k x k patches of images (n, s, s): (n, (s-k+1)^2, k*k)."""
    n, s, _ = x.shape
    o = s - k + 1
    idx = np.arange(o)[:, None] + np.arange(k)[None, :]
    return x[:, idx[:, None, :, None], idx[None, :, None, :]].reshape(n, o * o, k * k)


def _cnn_forward(params: list[np.ndarray], x: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """(patches, pre-activations, argmax position per filter, pooled, logits)."""
    w, b, v, c = params
    pt = _cnn_patches(x, k)
    a = pt @ w + b
    r = np.maximum(a, 0.0)
    am = r.argmax(axis=1)
    pooled = np.take_along_axis(r, am[:, None, :], 1)[:, 0]
    return pt, a, am, pooled, pooled @ v + c


def _cnn_train(rng: np.random.Generator, n: int, steps: int, batch: int, lr: float,
               k: int = 5, filters: int = 8) -> tuple[list[np.ndarray], float]:
    """Conv (``filters`` k x k, valid) -> ReLU -> global max-pool -> linear to 4 classes,
    softmax cross-entropy, Adam; returns the parameters and the accuracy on 500 fresh images."""
    x, y = _cnn_bars(rng, n)
    params = [rng.normal(0.0, 1.0 / k, (k * k, filters)), np.zeros(filters),
              rng.normal(0.0, 0.5, (filters, 4)), np.zeros(4)]
    opt = _Adam(params, lr)
    rows = np.arange(batch)
    for _ in range(steps):
        idx = rng.integers(0, n, batch)
        pt, a, am, pooled, logits = _cnn_forward(params, x[idx], k)
        pr = np.exp(logits - logits.max(axis=1, keepdims=True))
        pr /= pr.sum(axis=1, keepdims=True)
        pr[rows, y[idx]] -= 1.0
        g = pr / batch
        gpool = (g @ params[2].T) * (np.take_along_axis(a, am[:, None, :], 1)[:, 0] > 0)
        sel = np.take_along_axis(pt, am[:, :, None], 1)  # the patch each filter's max came from
        opt.step([np.einsum("bf,bfk->kf", gpool, sel), gpool.sum(axis=0), pooled.T @ g,
                  g.sum(axis=0)])
    xt, yt = _cnn_bars(rng, 500)
    return params, float((_cnn_forward(params, xt, k)[4].argmax(axis=1) == yt).mean())


def _cnn_input_grad(params: list[np.ndarray], x: np.ndarray, k: int,
                    cls: int) -> tuple[np.ndarray, np.ndarray]:
    """d logit[cls] / d x for images x (n, s, s), and the logits."""
    w, _, v, _ = params
    n, s, _ = x.shape
    o = s - k + 1
    _, a, am, _, logits = _cnn_forward(params, x, k)
    gpool = v[:, cls][None, :] * (np.take_along_axis(a, am[:, None, :], 1)[:, 0] > 0)
    gx = np.zeros_like(x)
    for f in range(w.shape[1]):
        kern = w[:, f].reshape(k, k)
        for i in range(n):
            r, c = divmod(int(am[i, f]), o)
            gx[i, r:r + k, c:c + k] += gpool[i, f] * kern
    return gx, logits


def _cnn_blur(img: np.ndarray) -> np.ndarray:
    """A separable 1-2-1 blur with edge padding."""
    p = np.pad(img, 1, mode="edge")
    p = (p[:-2] + 2 * p[1:-1] + p[2:]) / 4
    return (p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]) / 4


def _cnn_visualise(params: list[np.ndarray], k: int, cls: int, rng: np.random.Generator,
                   steps: int = 80, lr: float = 0.2, decay: float = 0.02) -> np.ndarray:
    """Regularised gradient ascent on the input for one class logit: random jitter of up to
    2 px each step, L2 decay, a blur every 4th step."""
    x = rng.normal(0.0, 0.1, (16, 16))
    for t in range(steps):
        sh = tuple(int(v) for v in rng.integers(-2, 3, 2))
        g, _ = _cnn_input_grad(params, np.roll(x, sh, (0, 1))[None], k, cls)
        x += lr * np.roll(g[0], (-sh[0], -sh[1]), (0, 1)) - decay * x
        if t % 4 == 0:
            x = _cnn_blur(x)
    return x


def _cnn_orientation(img: np.ndarray) -> float:
    """Dominant orientation (degrees in [0, 180), counter-clockwise from x, y up) of bar-like
    structure: the direction of least intensity change, from the structure tensor."""
    gy, gx = np.gradient(img)
    gy = -gy
    jxx, jyy, jxy = (gx * gx).sum(), (gy * gy).sum(), (gx * gy).sum()
    return (0.5 * math.degrees(math.atan2(2 * jxy, jxx - jyy)) + 90.0) % 180.0


def _mosaic(images: np.ndarray, gap: int = 1) -> np.ndarray:
    """Images (n, h, w) side by side with zero gaps (drawn empty)."""
    n, h, w = images.shape
    out = np.zeros((h, n * w + (n - 1) * gap))
    for i in range(n):
        out[:, i * (w + gap): i * (w + gap) + w] = images[i]
    return out


def _angle_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.abs(np.asarray(a) - np.asarray(b)) % 180.0
    return np.minimum(d, 180.0 - d)


def _exp_feature_vis(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Olah et al. 2017 on a tiny CNN: 8 filters 5 x 5 (valid), ReLU, global max-pool, linear
    read-out to 4 classes, trained with Adam (``steps`` of ``batch``, lr ``lr``) on ``n``
    16 x 16 images of one bar at 0, 45, 90 or 135 degrees in Gaussian noise.  Then, per class,
    gradient ascent on the input from faint noise (80 steps, step 0.2, L2 decay 0.02, random
    jitter of up to 2 px every step, a 3 x 3 blur every 4th: Olah et al.'s transformation
    robustness).  ``orientation_deg``: each result's dominant orientation from its structure
    tensor; ``orientation_error`` against the class angle.
    Arrays: ``vis_0`` .. ``vis_3`` (16 x 16), ``examples`` (mosaic of one input per class),
    ``filters`` (mosaic of the 8 filters), ``orientation_deg``, ``class_deg``,
    ``orientation_error``, ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    vis = np.stack([_cnn_visualise(params, 5, c, rng) for c in range(4)])
    ors = np.array([_cnn_orientation(v) for v in vis])
    ex, cls = _cnn_bars(rng, 64)
    pick = np.array([int(np.nonzero(cls == c)[0][0]) for c in range(4)])
    out: Arrays = {f"vis_{c}": vis[c] for c in range(4)}
    out.update(
        examples=_mosaic(ex[pick]), filters=_mosaic(params[0].T.reshape(-1, 5, 5)),
        orientation_deg=ors, class_deg=np.asarray(_ANGLES),
        orientation_error=_angle_error(ors, np.asarray(_ANGLES)), test_acc=float(acc),
    )
    return out


def _test_bars(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One noisy test image per class and the mask of its bar pixels."""
    imgs, masks = [], []
    for c in range(4):
        clean, _ = _cnn_bars(np.random.default_rng(int(rng.integers(2**31))), 1, noise=0.0,
                             fixed=c)
        masks.append(clean[0] > 0.5)
        imgs.append(clean[0] + rng.normal(0.0, 0.3, clean[0].shape))
    return np.stack(imgs), np.stack(masks), np.arange(4)


def _exp_saliency(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Simonyan et al. 2014 on the bar CNN (trained as in ``feature-vis``): for one noisy test
    image per class, the gradient of its class logit with respect to the input pixels.
    Arrays: ``inputs`` and ``saliency`` (mosaics, |gradient| scaled per image to its maximum),
    ``bar_share`` (share of |gradient| on the bar's pixels, per image), ``pixel_share`` (share
    of pixels that are bar), ``lift`` (bar_share / pixel_share), ``correct`` (the CNN's answers
    right), ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, masks, cls = _test_bars(rng)
    sal = np.empty_like(imgs)
    logits = np.empty((4, 4))
    for i in range(4):
        g, lg = _cnn_input_grad(params, imgs[i:i + 1], 5, int(cls[i]))
        sal[i] = np.abs(g[0])
        logits[i] = lg[0]
    share = np.array([sal[i][masks[i]].sum() / sal[i].sum() for i in range(4)])
    pix = masks.reshape(4, -1).mean(axis=1)
    sal_scaled = sal / sal.reshape(4, -1).max(axis=1)[:, None, None]
    return {
        "inputs": _mosaic(imgs), "saliency": _mosaic(sal_scaled), "bar_share": share,
        "pixel_share": pix, "lift": share / pix, "correct": int((logits.argmax(axis=1) == cls).sum()),
        "test_acc": float(acc),
    }


def _bar_lift(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per image: share of a non-negative map on the bar's pixels over the bar's pixel share."""
    flat, m = maps.reshape(len(maps), -1), masks.reshape(len(masks), -1)
    return (flat * m).sum(axis=1) / flat.sum(axis=1) / m.mean(axis=1)


def _exp_occlusion(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Zeiler & Fergus 2014 on the bar CNN (trained as in ``feature-vis``): for one noisy test
    image per class, a ``width`` x ``width`` square of zeros is slid over every position
    (stride 1); each pixel's sensitivity is the mean drop of the class logit over the squares
    covering it, clipped at zero.
    Arrays: ``inputs``, ``occlusion`` (the 4 images / maps stacked top to bottom, each map
    scaled to its maximum), ``lift``
    (share of the map on bar pixels / their pixel share), ``correct``, ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, masks, cls = _test_bars(rng)
    s, w = imgs.shape[1], min(p.width, 8)
    o = s - w + 1
    base = _cnn_forward(params, imgs, 5)[4]
    occ = np.empty((4, s, s))
    for i in range(4):
        batch = np.repeat(imgs[i:i + 1], o * o, axis=0)
        for j in range(o * o):
            r, c = divmod(j, o)
            batch[j, r:r + w, c:c + w] = 0.0
        drop = base[i, cls[i]] - _cnn_forward(params, batch, 5)[4][:, cls[i]]
        tot, cnt = np.zeros((s, s)), np.zeros((s, s))
        for j in range(o * o):
            r, c = divmod(j, o)
            tot[r:r + w, c:c + w] += drop[j]
            cnt[r:r + w, c:c + w] += 1
        occ[i] = np.maximum(tot / cnt, 0.0)
    occ_s = occ / occ.reshape(4, -1).max(axis=1)[:, None, None]
    return {
        "inputs": _mosaic(imgs.transpose(0, 2, 1)).T, "occlusion": _mosaic(occ_s.transpose(0, 2, 1)).T,
        "lift": _bar_lift(occ, masks), "correct": int((base.argmax(axis=1) == cls).sum()),
        "test_acc": float(acc),
    }


def _exp_baselines(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Sturmfels et al. 2020: integrated gradients of the bar CNN's class logit on one test
    image (a 45-degree bar), from three baselines: black (zeros), the image blurred (3 x 3,
    eight passes) and uniform noise; 64-step midpoint sums.  Arrays: ``image``, ``baseline_k``
    and ``ig_k`` (k = 0 black, 1 blurred, 2 noise), ``completeness_error`` (|sum IG - (f(x) -
    f(x'))| / |f(x) - f(x')|, per baseline), ``delta`` (f(x) - f(x')), ``bar_share`` (share of
    |IG| on the bar), ``map_corr`` (correlation of the black and blurred maps, of the black and
    noise maps), ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, masks, _ = _test_bars(rng)
    x, mask, cls = imgs[1], masks[1], 1
    blurred = x.copy()
    for _ in range(8):
        blurred = _cnn_blur(blurred)
    bases = [np.zeros_like(x), blurred, rng.uniform(x.min(), x.max(), x.shape)]
    steps = 64
    alphas = (np.arange(steps) + 0.5) / steps
    out: Arrays = {"image": x}
    err, delta, share, maps = [], [], [], []
    for k, base in enumerate(bases):
        path = base[None] + alphas[:, None, None] * (x - base)[None]
        g, _ = _cnn_input_grad(params, path, 5, cls)
        ig = (x - base) * g.mean(axis=0)
        f = _cnn_forward(params, np.stack([x, base]), 5)[4][:, cls]
        d = float(f[0] - f[1])
        err.append(abs(ig.sum() - d) / abs(d))
        delta.append(d)
        share.append(float(np.abs(ig)[mask].sum() / np.abs(ig).sum()))
        maps.append(ig)
        out[f"baseline_{k}"], out[f"ig_{k}"] = base, ig
    out.update(
        completeness_error=np.asarray(err), delta=np.asarray(delta), bar_share=np.asarray(share),
        bar_share_row=np.asarray(share)[None, :], baseline_labels=["black", "blurred", "noise"],
        pixel_share=float(mask.mean()),
        map_corr=np.array([np.corrcoef(maps[0].ravel(), maps[1].ravel())[0, 1],
                           np.corrcoef(maps[0].ravel(), maps[2].ravel())[0, 1]]),
        test_acc=float(acc),
    )
    return out


def _exp_smoothgrad(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Smilkov et al. 2017 on the bar CNN (trained as in ``feature-vis``): for one noisy test
    image per class, the plain |gradient| of its class logit and SmoothGrad, the mean |gradient|
    over ``width`` x 8 copies with Gaussian noise of sd ``l1`` x (max - min of the image).
    Arrays: ``inputs``, ``saliency`` and ``smooth`` (mosaics, each map scaled to its maximum),
    ``lift_plain`` / ``lift_smooth`` (share of the map on bar pixels / their pixel share),
    ``stable_plain`` / ``stable_smooth`` (per image, the correlation of the map computed at two
    copies of the image each perturbed by fresh noise of sd 0.1 x its range), ``rough_plain`` /
    ``rough_smooth`` (mean |difference of neighbouring pixels| / mean of the map), ``correct``,
    ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, masks, cls = _test_bars(rng)
    reps = p.width * 8
    plain, smooth = np.empty_like(imgs), np.empty_like(imgs)
    logits, stable = np.empty((4, 4)), np.empty((2, 4))
    pj, sj = np.empty((2, *imgs.shape[1:])), np.empty((2, *imgs.shape[1:]))
    for i in range(4):
        g, lg = _cnn_input_grad(params, imgs[i:i + 1], 5, int(cls[i]))
        plain[i], logits[i] = np.abs(g[0]), lg[0]
        sd = p.l1 * float(imgs[i].max() - imgs[i].min())
        noisy = imgs[i][None] + rng.normal(0.0, sd, (reps, *imgs[i].shape))
        gs, _ = _cnn_input_grad(params, noisy, 5, int(cls[i]))
        smooth[i] = np.abs(gs).mean(axis=0)
        for j in range(2):
            xj = imgs[i] + rng.normal(0.0, 0.1 * float(imgs[i].max() - imgs[i].min()), imgs[i].shape)
            pj[j] = np.abs(_cnn_input_grad(params, xj[None], 5, int(cls[i]))[0][0])
            nj = xj[None] + rng.normal(0.0, sd, (reps, *xj.shape))
            sj[j] = np.abs(_cnn_input_grad(params, nj, 5, int(cls[i]))[0]).mean(axis=0)
        stable[0, i] = np.corrcoef(pj[0].ravel(), pj[1].ravel())[0, 1]
        stable[1, i] = np.corrcoef(sj[0].ravel(), sj[1].ravel())[0, 1]

    def rough(m: np.ndarray) -> np.ndarray:
        d = np.abs(np.diff(m, axis=1)).mean(axis=(1, 2)) + np.abs(np.diff(m, axis=2)).mean(axis=(1, 2))
        return d / m.mean(axis=(1, 2))

    def scaled(m: np.ndarray) -> np.ndarray:
        return m / m.reshape(4, -1).max(axis=1)[:, None, None]

    return {
        "inputs": _mosaic(imgs), "saliency": _mosaic(scaled(plain)), "smooth": _mosaic(scaled(smooth)),
        "lift_plain": _bar_lift(plain, masks), "lift_smooth": _bar_lift(smooth, masks),
        "stable_plain": stable[0], "stable_smooth": stable[1],
        "rough_plain": rough(plain), "rough_smooth": rough(smooth),
        "correct": int((logits.argmax(axis=1) == cls).sum()), "test_acc": float(acc),
    }


def _exp_deletion(p: ToyParams, rng: np.random.Generator) -> Arrays:
    """Petsiuk et al. 2018's deletion metric on the bar CNN (trained as in ``feature-vis``): for
    one noisy test image per class, pixels are set to zero in order of decreasing |gradient| of
    the class logit (the saliency map), or in a random order, 8 pixels at a time; the class
    probability (softmax over the 4 classes) is recorded after each step.
    Arrays: ``fraction`` (share of pixels deleted), ``prob_saliency`` / ``prob_random`` (mean
    over the four images), ``auc_saliency`` / ``auc_random`` (per image, mean probability
    over the curve), ``correct``, ``test_acc``.
    """
    params, acc = _cnn_train(rng, n=p.n, steps=p.steps, batch=p.batch, lr=p.lr)
    imgs, _, cls = _test_bars(rng)
    npx = imgs[0].size
    chunk = 8
    stops = np.arange(0, npx // 2 + 1, chunk)
    curves = np.empty((2, 4, len(stops)))
    logits0 = _cnn_forward(params, imgs, 5)[4]
    for i in range(4):
        g, _ = _cnn_input_grad(params, imgs[i:i + 1], 5, int(cls[i]))
        orders = (np.argsort(-np.abs(g[0]).ravel(), kind="stable"), rng.permutation(npx))
        for r, order in enumerate(orders):
            batch = np.repeat(imgs[i].ravel()[None], len(stops), axis=0)
            for j, st in enumerate(stops):
                batch[j, order[:st]] = 0.0
            lg = _cnn_forward(params, batch.reshape(len(stops), *imgs[i].shape), 5)[4]
            pr = np.exp(lg - lg.max(axis=1, keepdims=True))
            curves[r, i] = (pr / pr.sum(axis=1, keepdims=True))[:, int(cls[i])]
    return {
        "fraction": stops / npx, "prob_saliency": curves[0].mean(axis=0),
        "prob_random": curves[1].mean(axis=0), "auc_saliency": curves[0].mean(axis=1),
        "auc_random": curves[1].mean(axis=1), "auc_mean_saliency": float(curves[0].mean()),
        "auc_mean_random": float(curves[1].mean()),
        "correct": int((logits0.argmax(axis=1) == cls).sum()), "test_acc": float(acc),
    }
