"""More regularisation recipes (imported by :mod:`teeprint.recipes.regularisation`, which
registers them): boundaries under mixup, gate densities, dropout masks, the modified loss of
gradient descent, spectral normalisation, total-variation denoising, CutMix and confidence."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.optimisation import accuracy, init_mlp, mlp_logits, train_mlp, two_moons

F = np.ndarray


# -- mixup: decision boundaries with and without mixed training pairs --------------------------------------


class MixupParams(Params):
    """Two moons, an MLP trained on the data and one trained on mixup pairs."""

    n_train: int = Field(80, ge=10, le=2000)
    noise: float = Field(0.2, ge=0.0, le=1.0)
    hidden: int = Field(32, ge=4, le=128)
    steps: int = Field(600, ge=10, le=5000)
    lr: float = Field(0.01, gt=0.0, le=1.0)
    alpha: float = Field(1.0, gt=0.0, le=10.0, description="mixing weights ~ Beta(alpha, alpha)")
    pool: int = Field(2000, ge=10, le=20000, description="mixed pairs drawn once")
    grid: int = Field(81, ge=21, le=201)
    extent: tuple[float, float, float, float] = (-1.6, 2.6, -1.3, 1.8)


@recipe("mixup-boundary", MixupParams)
def mixup_boundary(p: MixupParams, rng: np.random.Generator) -> Arrays:
    """Mixup (Zhang et al. 2018): train on convex combinations of pairs and of their labels.

    The same initial network is trained by full-batch Adam on the data and on a pool of mixed
    pairs (drawn once, lambda ~ Beta(alpha, alpha)); ``soft_share`` is the share of the plane
    where the predicted probability lies between 0.1 and 0.9.
    """
    x, y = two_moons(p.n_train, p.noise, rng)
    x_te, y_te = two_moons(1000, p.noise, rng)
    i, j = rng.integers(0, len(x), p.pool), rng.integers(0, len(x), p.pool)
    lam = rng.beta(p.alpha, p.alpha, p.pool)
    xm = lam[:, None] * x[i] + (1 - lam[:, None]) * x[j]
    ym = lam * y[i] + (1 - lam) * y[j]
    net0 = init_mlp((2, p.hidden, p.hidden, 1), rng)
    plain = train_mlp(net0, x, y, p.steps, p.lr)
    mixed = train_mlp(net0, xm, ym, p.steps, p.lr)
    x0, x1, y0, y1 = p.extent
    gx, gy = np.linspace(x0, x1, p.grid), np.linspace(y0, y1, p.grid)
    pts = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)

    def prob(net: list[tuple[F, F]]) -> F:
        return (1 / (1 + np.exp(-mlp_logits(net, pts)))).reshape(p.grid, p.grid)

    pp, pm = prob(plain), prob(mixed)
    return {
        "grid_x": gx, "grid_y": gy, "prob_plain": pp, "prob_mixup": pm,
        "class0": x[y == 0], "class1": x[y == 1],
        "soft_share_plain": float(np.mean((pp > 0.1) & (pp < 0.9))),
        "soft_share_mixup": float(np.mean((pm > 0.1) & (pm < 0.9))),
        "accuracy_plain": accuracy(plain, x_te, y_te), "accuracy_mixup": accuracy(mixed, x_te, y_te),
        "train_accuracy_mixup": accuracy(mixed, x, y),
    }


# -- L0 gates: the hard-concrete distribution --------------------------------------------------------------


class HardConcreteParams(Params):
    """Hard-concrete gate densities (Louizos, Welling & Kingma 2018) for several log alpha."""

    log_alphas: tuple[float, ...] = Field((-3.0, -1.5, 0.0, 1.5, 3.0), min_length=2, max_length=12)
    beta: float = Field(2 / 3, gt=0.0, le=5.0, description="temperature")
    gamma: float = Field(-0.1, ge=-1.0, lt=0.0, description="stretch below 0")
    zeta: float = Field(1.1, gt=1.0, le=2.0, description="stretch above 1")
    points: int = Field(400, ge=50, le=4000)
    samples: int = Field(20000, ge=100, le=200000, description="Monte Carlo check")


@recipe("hard-concrete", HardConcreteParams)
def hard_concrete(p: HardConcreteParams, rng: np.random.Generator) -> Arrays:
    """The density of a hard-concrete gate on (0, 1) and its point masses at exactly 0 and 1.

    s ~ BinaryConcrete(alpha, beta), stretched to (gamma, zeta) and clipped to [0, 1]; the mass
    at 0 is Q_s(-gamma / (zeta - gamma)) with Q_s(u) = sigmoid(beta logit(u) - log alpha).
    A Monte Carlo draw of the gate checks the masses.
    """
    z = np.linspace(0.0, 1.0, p.points)[1:-1]
    span = p.zeta - p.gamma
    s = (z - p.gamma) / span
    rows, m0, m1, mc0, mc1 = [], [], [], [], []
    for la in p.log_alphas:
        a = math.exp(la)
        dens = (p.beta * a * s ** (-p.beta - 1) * (1 - s) ** (-p.beta - 1)
                / (a * s ** (-p.beta) + (1 - s) ** (-p.beta)) ** 2) / span

        def cdf(u: float, la: float = la) -> float:
            return 1 / (1 + math.exp(-(p.beta * math.log(u / (1 - u)) - la)))

        mass0 = cdf(-p.gamma / span)
        mass1 = 1 - cdf((1 - p.gamma) / span)
        u = rng.uniform(1e-12, 1 - 1e-12, p.samples)
        sv = 1 / (1 + np.exp(-(np.log(u) - np.log1p(-u) + la) / p.beta))
        gate = np.clip(sv * span + p.gamma, 0.0, 1.0)
        rows.append(dens)
        m0.append(mass0)
        m1.append(mass1)
        mc0.append(float(np.mean(gate == 0.0)))
        mc1.append(float(np.mean(gate == 1.0)))
    dens_arr = np.array(rows)
    cont = (0.5 * (dens_arr[:, 1:] + dens_arr[:, :-1]) * np.diff(z)).sum(1)  # trapezoid rule
    m0a, m1a = np.array(m0), np.array(m1)
    return {"z": z, "density": dens_arr, "log_alpha": np.array(p.log_alphas), "mass_zero": m0a,
            "mass_one": m1a, "mass_zero_mc": np.array(mc0), "mass_one_mc": np.array(mc1),
            "continuous_mass": cont, "total_mass": cont + m0a + m1a,
            "mass_zero_pct": 100 * m0a, "mass_one_pct": 100 * m1a}


# -- dropout: one thinned network drawn from real Bernoulli masks -----------------------------------------------


class DropoutMaskParams(Params):
    """Layer widths and drop probabilities; a seeded mask thins the network."""

    layers: tuple[int, ...] = Field((4, 10, 10, 2), min_length=3, max_length=8)
    drop_input: float = Field(0.2, ge=0.0, lt=1.0)
    drop_hidden: float = Field(0.5, ge=0.0, lt=1.0)


@recipe("dropout-mask", DropoutMaskParams)
def dropout_mask(p: DropoutMaskParams, rng: np.random.Generator) -> Arrays:
    """A thinned network: each input unit kept with 1 - drop_input, each hidden unit with
    1 - drop_hidden (Srivastava et al. 2014); a dropped unit loses all its edges.  The weights
    are all one: the figure is a diagram of one mask, not a trained model."""
    sizes = list(p.layers)
    keep = [rng.uniform(size=sizes[0]) >= p.drop_input]
    keep += [rng.uniform(size=s) >= p.drop_hidden for s in sizes[1:-1]]
    keep.append(np.ones(sizes[-1], bool))
    out: Arrays = {"layer_sizes": np.array(sizes)}
    for i in range(len(sizes) - 1):
        out[f"weight_{i}"] = np.outer(keep[i], keep[i + 1]).astype(float)
    hidden = np.concatenate(keep[1:-1])
    out.update({"kept_inputs": float(keep[0].sum()), "kept_hidden": float(hidden.sum()),
                "hidden_units": float(hidden.size), "input_units": float(sizes[0]),
                "thinned_networks": float(2.0 ** (sizes[0] + hidden.size)),
                "edges_kept": float(sum(out[f"weight_{i}"].sum() for i in range(len(sizes) - 1))),
                "edges_total": float(sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)))})
    return out


# -- the modified loss that gradient descent follows ------------------------------------------------------------------


class ModifiedLossParams(Params):
    """f(x, y) = a/2 (x - 1)^2 + b/2 (y - c x^2)^2, gradient descent with a finite step."""

    a: float = Field(1.0, gt=0.0, le=100.0)
    b: float = Field(8.0, gt=0.0, le=100.0)
    c: float = Field(0.5, ge=-5.0, le=5.0)
    lr: float = Field(0.1, gt=0.0, le=1.0)
    steps: int = Field(40, ge=2, le=2000)
    start: tuple[float, float] = (-1.0, 1.4)
    substeps: int = Field(20, ge=5, le=5000, description="Runge-Kutta steps per GD step")
    grid: int = Field(161, ge=41, le=401)
    extent: tuple[float, float, float, float] = (-1.6, 1.6, -0.8, 1.8)


def _mgrad(p: ModifiedLossParams, q: F) -> tuple[F, F]:
    x, y = q[..., 0], q[..., 1]
    r = y - p.c * x**2
    g = np.stack([p.a * (x - 1) - 2 * p.b * p.c * x * r, p.b * r], -1)
    hxx = p.a - 2 * p.b * p.c * r + 4 * p.b * p.c**2 * x**2
    hxy = -2 * p.b * p.c * x
    hyy = np.full_like(x, p.b)
    h = np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)
    return g, h


@recipe("modified-loss", ModifiedLossParams)
def modified_loss(p: ModifiedLossParams, rng: np.random.Generator) -> Arrays:
    """Gradient descent with step eta follows, to second order, the gradient flow of
    f + (eta / 4) |grad f|^2, not of f (Barrett & Dherin 2021; Smith et al. 2021).  Both flows are
    integrated with classical Runge-Kutta from the same start and compared with the GD iterates
    at matching times t = k eta."""
    def flow(modified: bool) -> F:
        def field(q: F) -> F:
            g, h = _mgrad(p, q)
            return -(g + 0.5 * p.lr * h @ g) if modified else -g

        q = np.array(p.start, float)
        out = [q.copy()]
        dt = p.lr / p.substeps
        for _ in range(p.steps):
            for _ in range(p.substeps):
                k1 = field(q)
                k2 = field(q + 0.5 * dt * k1)
                k3 = field(q + 0.5 * dt * k2)
                k4 = field(q + dt * k3)
                q = q + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            out.append(q.copy())
        return np.array(out)

    q = np.array(p.start, float)
    gd = [q.copy()]
    for _ in range(p.steps):
        q = q - p.lr * _mgrad(p, q)[0]
        gd.append(q.copy())
    gd_arr = np.array(gd)
    plain, mod = flow(False), flow(True)
    x0, x1, y0, y1 = p.extent
    gx, gy = np.linspace(x0, x1, p.grid), np.linspace(y0, y1, p.grid)
    pts = np.stack(np.meshgrid(gx, gy), -1)
    r = pts[..., 1] - p.c * pts[..., 0] ** 2
    f = 0.5 * p.a * (pts[..., 0] - 1) ** 2 + 0.5 * p.b * r**2
    g, _ = _mgrad(p, pts)
    ft = f + 0.25 * p.lr * (g**2).sum(-1)
    return {"grid_x": gx, "grid_y": gy, "loss": f, "modified": ft, "penalty": ft - f,
            "path_gd": gd_arr, "path_flow": plain, "path_modified_flow": mod,
            "gap_flow": float(np.max(np.linalg.norm(gd_arr - plain, axis=1))),
            "gap_modified": float(np.max(np.linalg.norm(gd_arr - mod, axis=1))),
            "minimum": np.array([[1.0, p.c]])}


# -- spectral normalisation ----------------------------------------------------------------------------------------------


class SpectralParams(Params):
    """A fixed 2 x 2 weight matrix, its image of the unit circle, and power iteration."""

    matrix: tuple[float, float, float, float] = (1.6, 0.9, -0.4, 0.7)
    iterations: int = Field(8, ge=1, le=100)
    start_angle_deg: float = Field(100.0, ge=-180.0, le=180.0)
    points: int = Field(361, ge=24, le=4000)


@recipe("spectral-norm", SpectralParams)
def spectral_norm(p: SpectralParams, rng: np.random.Generator) -> Arrays:
    """W maps the unit circle to an ellipse whose longest radius is sigma_max(W); W / sigma_max
    maps it inside the circle, touching it once (Miyato et al. 2018).  sigma_max is found by
    power iteration on W'W, as in the paper; its iterates are drawn on the circle."""
    w = np.array(p.matrix, float).reshape(2, 2)
    th = np.linspace(0, 2 * np.pi, p.points)
    circle = np.stack([np.cos(th), np.sin(th)], 1)
    sig = np.linalg.svd(w, compute_uv=False)
    a0 = math.radians(p.start_angle_deg)
    v = np.array([math.cos(a0), math.sin(a0)])
    its, ests = [v.copy()], []
    for _ in range(p.iterations):
        u = w @ v
        u /= np.linalg.norm(u)
        v = w.T @ u
        ests.append(float(np.linalg.norm(v)))
        v /= np.linalg.norm(v)
        its.append(v.copy())
    _, _, vt = np.linalg.svd(w)
    top = vt[0] * np.sign(vt[0] @ its[-1])
    img = circle @ w.T
    img_sn = img / sig[0]
    return {"grid_x": np.array([-2.2, 2.2]), "grid_y": np.array([-2.2, 2.2]),
            "circle": circle, "image": img, "image_normalised": img_sn,
            "power_iterates": np.array(its), "estimates": np.array(ests), "sigma_max": float(sig[0]),
            "sigma_min": float(sig[1]), "top_direction": top[None], "top_image": (w @ top / sig[0])[None],
            "max_radius_normalised": float(max(np.linalg.norm(img_sn, axis=1).max(),
                                               np.linalg.norm(w @ top) / sig[0])),
            "estimate_error": float(abs(ests[-1] - sig[0]) / sig[0])}


# -- CutMix ------------------------------------------------------------------------------------------------------------------


class CutMixParams(Params):
    """Two synthetic images and one box pasted from the second into the first."""

    size: int = Field(20, ge=8, le=64)
    box: tuple[int, int, int, int] = Field((4, 9, 10, 8), description="row, column, height, width")


def _ring(n: int) -> F:
    yy, xx = np.mgrid[0:n, 0:n] - (n - 1) / 2
    r = np.hypot(xx, yy) / (n / 2)
    return np.clip(1 - np.abs(r - 0.62) / 0.16, 0, 1)


def _cross(n: int) -> F:
    yy, xx = np.mgrid[0:n, 0:n] - (n - 1) / 2
    d = np.minimum(np.abs(xx - yy), np.abs(xx + yy)) / (n / 2)
    return np.clip(1 - d / 0.14, 0, 1) * (np.maximum(np.abs(xx), np.abs(yy)) < 0.8 * n / 2)


@recipe("cutmix", CutMixParams)
def cutmix(p: CutMixParams, rng: np.random.Generator) -> Arrays:
    """CutMix (Yun et al. 2019): paste a box of image B into image A and mix the labels by the
    box's area, lambda = 1 - box area / image area.  Cutout (DeVries & Taylor 2017) is the same
    box filled with zeros and the label left alone."""
    n = p.size
    a, b = _ring(n), _cross(n)
    r0, c0, h, w = p.box
    m = np.zeros((n, n), bool)
    m[r0:r0 + h, c0:c0 + w] = True
    mixed = np.where(m, b, a)
    cut = np.where(m, 0.0, a)
    lam = 1 - m.sum() / m.size
    return {"image_a": a, "image_b": b, "mixed": mixed, "cutout": cut, "box_mask": m,
            "label_a": float(lam), "label_b": float(1 - lam),
            "box_share": float(m.mean()),
            "mixed_from_b": float(np.mean(mixed[m] == b[m])), "mixed_from_a": float(np.mean(mixed[~m] == a[~m]))}


# -- confidence penalty -------------------------------------------------------------------------------------------------------


class ConfidenceParams(Params):
    """Optimal confidence under cross-entropy minus beta times the output entropy."""

    classes: tuple[int, ...] = Field((2, 10, 100), min_length=1, max_length=5)
    beta_max: float = Field(3.0, gt=0.0, le=50.0)
    points: int = Field(80, ge=5, le=1000)


@recipe("confidence-penalty", ConfidenceParams)
def confidence_penalty(p: ConfidenceParams, rng: np.random.Generator) -> Arrays:
    """Pereyra et al. (2017) subtract beta H(p) from the loss.  At the optimum the other K - 1
    classes share 1 - q equally, and q solves -1/q - beta (log((1-q)/(K-1)) - log q) = 0, found
    by bisection; a numerical check minimises the full loss over a fine grid of q."""
    betas = np.linspace(0.0, p.beta_max, p.points)
    out: Arrays = {"beta": betas}
    check = 0.0
    for kk in p.classes:
        qs = []
        for bt in betas:
            lo, hi = 1.0 / kk, 1.0 - 1e-15
            for _ in range(200):
                q = 0.5 * (lo + hi)
                grad = -1.0 / q - bt * (math.log((1 - q) / (kk - 1)) - math.log(q))
                lo, hi = (q, hi) if grad < 0 else (lo, q)
            qs.append(q)
        qa = np.array(qs)
        out[f"confidence_k{kk}"] = qa
        grid = np.linspace(1.0 / kk, 1 - 1e-9, 200001)
        h = -(grid * np.log(grid) + (1 - grid) * np.log((1 - grid) / (kk - 1)))
        for idx in (len(betas) // 4, len(betas) // 2, len(betas) - 1):
            obj = -np.log(grid) - betas[idx] * h
            check = max(check, abs(float(grid[np.argmin(obj)]) - qa[idx]))
        out[f"uniform_k{kk}"] = 1.0 / kk
    out["grid_check"] = check
    return out


# -- SpecAugment ------------------------------------------------------------------------------------------------------------------


class SpecAugmentParams(Params):
    """A synthetic chirp's log spectrogram with time and frequency masks."""

    samples: int = Field(4096, ge=512, le=65536)
    window: int = Field(128, ge=16, le=2048)
    hop: int = Field(96, ge=4, le=2048)
    f_start: float = Field(0.02, gt=0.0, lt=0.5, description="cycles per sample")
    f_end: float = Field(0.3, gt=0.0, lt=0.5)
    freq_masks: tuple[tuple[int, int], ...] = Field(((20, 8),), max_length=4, description="(first bin, width)")
    time_masks: tuple[tuple[int, int], ...] = Field(((14, 6),), max_length=4, description="(first frame, width)")
    bins: int = Field(48, ge=8, le=512, description="frequency bins kept (lowest)")


@recipe("spec-augment", SpecAugmentParams)
def spec_augment(p: SpecAugmentParams, rng: np.random.Generator) -> Arrays:
    """SpecAugment (Park et al. 2019) without time warping: whole frequency bands and whole time
    spans of the log-mel... here log-magnitude STFT of a linear chirp are set to the mean."""
    t = np.arange(p.samples)
    phase = 2 * np.pi * (p.f_start * t + 0.5 * (p.f_end - p.f_start) * t**2 / p.samples)
    sig = np.sin(phase)
    win = np.hanning(p.window)
    starts = np.arange(0, p.samples - p.window + 1, p.hop)
    frames = np.stack([sig[s:s + p.window] * win for s in starts])
    spec = np.log1p(np.abs(np.fft.rfft(frames, axis=1)))[:, : p.bins].T  # (bins, frames)
    mask = np.zeros_like(spec, bool)
    for f0, w in p.freq_masks:
        mask[f0:f0 + w, :] = True
    for t0, w in p.time_masks:
        mask[:, t0:t0 + w] = True
    aug = np.where(mask, spec.mean(), spec)
    peak = np.argmax(spec, axis=0)
    expected = (p.f_start + (p.f_end - p.f_start) * (starts + p.window / 2) / p.samples) * p.window
    return {"spectrogram": spec[::-1], "augmented": aug[::-1], "mask": mask[::-1],
            "masked_share": float(mask.mean()),
            "peak_track_error": float(np.max(np.abs(peak - expected)[expected < p.bins - 1])),
            "masked_equal_mean": float(np.all(aug[mask] == spec.mean())),
            "unmasked_unchanged": float(np.all(aug[~mask] == spec[~mask])),
            "frames": float(len(starts))}


# -- shrinkage rules and spectral filters (closed forms) -----------------------------------------------------------


class ShrinkRuleParams(Params):
    """Closed-form shrinkage functions on a shared axis; ``figure`` picks the family."""

    figure: Literal["thresholding", "filter-factors"]
    threshold: float = Field(1.0, gt=0.0, le=10.0, description="thresholding: lambda")
    ridge: float = Field(1.0, gt=0.0, le=100.0, description="ridge penalty")
    steps: int = Field(20, ge=1, le=10000, description="filter-factors: gradient-descent steps")
    lr: float = Field(0.05, gt=0.0, le=2.0)
    points: int = Field(401, ge=20, le=4000)


@recipe("shrink-rules", ShrinkRuleParams)
def shrink_rules(p: ShrinkRuleParams, rng: np.random.Generator) -> Arrays:
    """Thresholding: with an orthonormal design each penalty acts coefficient by coefficient on
    the least-squares value b: ridge b/(1+lambda), lasso sign(b)(|b|-lambda)+, best subset b 1{|b| >
    sqrt(2 lambda')} (hard threshold at the same lambda here).  Filter factors: how much of each
    singular direction (singular value s) a regulariser keeps: ridge s^2/(s^2+lambda), truncated
    SVD 1{s^2 > lambda}, t steps of gradient descent 1-(1-lr s^2)^t."""
    if p.figure == "thresholding":
        b = np.linspace(-3.0, 3.0, p.points)
        lam = p.threshold
        return {"b": b, "identity": b, "ridge_rule": b / (1 + p.ridge),
                "soft": np.sign(b) * np.maximum(np.abs(b) - lam, 0.0),
                "hard": np.where(np.abs(b) > lam, b, 0.0), "threshold": lam,
                "soft_zero_width": float(np.ptp(b[np.abs(np.sign(b) * np.maximum(np.abs(b) - lam, 0)) == 0])),
                "ridge_slope": 1 / (1 + p.ridge)}
    s = np.geomspace(1e-2, 10 ** 0.5, p.points)
    ridge = s**2 / (s**2 + p.ridge)
    tsvd = (s**2 > p.ridge).astype(float)
    gd = 1 - (1 - p.lr * s**2) ** p.steps
    # gradient descent's filter matches ridge's where lambda ~ 1/(lr t)
    return {"s": s, "ridge_filter": ridge, "tsvd_filter": tsvd, "gd_filter": gd,
            "half_ridge": float(math.sqrt(p.ridge)),
            "gd_at_half": float(np.interp(math.sqrt(p.ridge), s, gd)),
            "lam_equiv": 1 / (p.lr * p.steps), "stable": float(p.lr * s.max() ** 2 < 2)}


# -- weight distributions under L1 and L2 --------------------------------------------------------------------------------


class WeightHistParams(Params):
    """Many coefficients fitted with no penalty, L2 and L1; their histograms."""

    n: int = Field(150, ge=20, le=2000)
    features: int = Field(100, ge=10, le=1000)
    active: int = Field(10, ge=1, le=500)
    noise: float = Field(1.0, ge=0.0, le=10.0)
    l2: float = Field(20.0, gt=0.0, le=1e4)
    l1: float = Field(0.1, gt=0.0, le=100.0)
    bins: int = Field(61, ge=11, le=401)
    span: float = Field(1.5, gt=0.0, le=20.0)


@recipe("weight-histograms", WeightHistParams)
def weight_histograms(p: WeightHistParams, rng: np.random.Generator) -> Arrays:
    """Least squares, ridge and lasso (coordinate descent) on one sparse regression; the
    coefficient histograms show the Gaussian prior's bell and the Laplace prior's spike at zero."""
    from teeprint.recipes.regularisation import lasso_cd

    x = rng.normal(size=(p.n, p.features))
    beta = np.zeros(p.features)
    beta[: p.active] = rng.choice([-1.0, 1.0], p.active) * rng.uniform(1.0, 2.0, p.active)
    y = x @ beta + p.noise * rng.normal(size=p.n)
    ols = np.linalg.lstsq(x, y, rcond=None)[0]
    ridge = np.linalg.solve(x.T @ x + p.l2 * np.eye(p.features), x.T @ y)
    lasso = lasso_cd(x, y, p.l1, np.zeros(p.features))
    edges = np.linspace(-p.span, p.span, p.bins + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    hist = np.array([np.histogram(np.clip(c, -p.span, p.span), edges)[0] for c in (ols, ridge, lasso)], float)
    return {"w": centres, "density": hist, "ols": ols, "ridge": ridge, "lasso": lasso,
            "exact_zeros_lasso": float(np.sum(lasso == 0)), "exact_zeros_ridge": float(np.sum(ridge == 0)),
            "exact_zeros_ols": float(np.sum(ols == 0)), "features": float(p.features),
            "active_kept_lasso": float(np.mean(lasso[: p.active] != 0)),
            "row_names": np.array(["least squares", "ridge", "lasso"]),
            "zeros_pct": np.array([np.mean(ols == 0), np.mean(ridge == 0), np.mean(lasso == 0)]) * 100}


# -- label noise drives gradient descent to the flattest minimum ------------------------------------------------------


class LabelNoiseParams(Params):
    """f(w) = w1 w2 fitted to a target 1 with fresh label noise at every step."""

    start: tuple[float, float] = (3.0, 0.34)
    lr: float = Field(0.02, gt=0.0, le=0.5)
    steps: int = Field(6000, ge=10, le=100000)
    label_noise: float = Field(0.8, ge=0.0, le=5.0)
    runs: int = Field(8, ge=1, le=64)
    grid: int = Field(161, ge=41, le=401)
    extent: tuple[float, float, float, float] = (0.0, 3.4, 0.0, 3.4)


@recipe("label-noise-drift", LabelNoiseParams)
def label_noise_drift(p: LabelNoiseParams, rng: np.random.Generator) -> Arrays:
    """Every point of the hyperbola w1 w2 = 1 fits the target exactly; its sharpness (the
    Hessian's top eigenvalue there) is w1^2 + w2^2, least at (1, 1).  Gradient descent with
    fresh label noise (y = 1 + noise) drifts along the valley towards that flattest point
    (Blanc et al. 2020); without noise it stops where it first lands.  Median over runs."""
    def run(noise: float, runs: int) -> F:
        w = np.tile(np.array(p.start, float), (runs, 1))
        path = np.empty((p.steps + 1, runs, 2))
        path[0] = w
        eps = rng.normal(size=(p.steps, runs)) * noise
        for t in range(p.steps):
            r = w[:, 0] * w[:, 1] - (1.0 + eps[t])
            w = w - p.lr * r[:, None] * w[:, ::-1]
            path[t + 1] = w
        return path

    clean = run(0.0, 1)[:, 0]
    noisy_all = run(p.label_noise, p.runs)
    noisy = [noisy_all[:, i] for i in range(p.runs)]
    ends = noisy_all[-1]
    keep = np.unique(np.geomspace(1, p.steps, 300).round().astype(int))
    x0, x1, y0, y1 = p.extent
    gx, gy = np.linspace(x0, x1, p.grid), np.linspace(y0, y1, p.grid)
    xx, yy = np.meshgrid(gx, gy)
    sharp_clean = float((clean[-1] ** 2).sum())
    sharp_noisy = (ends**2).sum(1)
    return {"grid_x": gx, "grid_y": gy, "loss": 0.5 * (xx * yy - 1) ** 2,
            "path_clean": clean[np.r_[0, keep]], "path_noisy": noisy[0][np.r_[0, keep]],
            "ends_noisy": ends, "end_clean": clean[-1][None], "flattest": np.array([[1.0, 1.0]]),
            "sharpness_clean": sharp_clean, "sharpness_noisy_median": float(np.median(sharp_noisy)),
            "balance_clean": float(abs(clean[-1][0] - clean[-1][1])),
            "balance_noisy_median": float(np.median(np.abs(ends[:, 0] - ends[:, 1]))),
            "product_noisy_median": float(np.median(ends[:, 0] * ends[:, 1]))}


# -- network slimming: L1 on per-unit scale factors, then prune the units ---------------------------------------------


class SlimmingParams(Params):
    """A 2-h-h-1 ReLU net with a learnable scale per hidden unit and an L1 penalty on the scales."""

    hidden: int = Field(16, ge=4, le=64)
    n_train: int = Field(200, ge=20, le=2000)
    noise: float = Field(0.2, ge=0.0, le=1.0)
    l1: float = Field(0.01, ge=0.0, le=1.0, description="penalty on the unit scales")
    steps: int = Field(1500, ge=10, le=20000)
    lr: float = Field(0.02, gt=0.0, le=1.0)
    prune_below: float = Field(0.05, gt=0.0, lt=1.0, description="share of the largest scale")
    finetune_steps: int = Field(200, ge=0, le=5000)


def _slim_train(ws: list[F], x: F, y: F, l1: float, steps: int, lr: float,
                keep: list[F] | None = None) -> list[F]:
    """Full-batch Adam on BCE + l1 (|g1|_1 + |g2|_1); ``keep`` masks pruned units to zero."""
    ws = [w.copy() for w in ws]
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    for t in range(1, steps + 1):
        w1, b1, g1, w2, b2, g2, w3, b3 = ws
        if keep is not None:
            g1, g2 = g1 * keep[0], g2 * keep[1]
        z1 = x @ w1 + b1
        a1 = np.maximum(z1, 0) * g1
        z2 = a1 @ w2 + b2
        a2 = np.maximum(z2, 0) * g2
        out = a2 @ w3 + b3
        d = (1 / (1 + np.exp(-out[:, 0])) - y)[:, None] / len(y)
        gw3, gb3 = a2.T @ d, d.sum(0)
        da2 = d @ w3.T
        gg2 = (da2 * np.maximum(z2, 0)).sum(0) + l1 * np.sign(g2)
        dz2 = da2 * g2 * (z2 > 0)
        gw2, gb2 = a1.T @ dz2, dz2.sum(0)
        da1 = dz2 @ w2.T
        gg1 = (da1 * np.maximum(z1, 0)).sum(0) + l1 * np.sign(g1)
        dz1 = da1 * g1 * (z1 > 0)
        gw1, gb1 = x.T @ dz1, dz1.sum(0)
        grads = [gw1, gb1, gg1, gw2, gb2, gg2, gw3, gb3]
        for i, gq in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * gq
            v[i] = 0.999 * v[i] + 0.001 * gq**2
            ws[i] = ws[i] - lr * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8)
    if keep is not None:
        ws[2], ws[5] = ws[2] * keep[0], ws[5] * keep[1]
    return ws


def _slim_acc(ws: list[F], x: F, y: F) -> float:
    w1, b1, g1, w2, b2, g2, w3, b3 = ws
    a2 = np.maximum(np.maximum(x @ w1 + b1, 0) * g1 @ w2 + b2, 0) * g2
    return float(np.mean(((a2 @ w3 + b3)[:, 0] > 0) == (y > 0.5)))


@recipe("network-slimming", SlimmingParams)
def network_slimming(p: SlimmingParams, rng: np.random.Generator) -> Arrays:
    """Network slimming (Liu et al. 2017): an L1 penalty on each unit's scale factor (there the
    batch-norm gamma, here a plain learnable scale) drives many scales to near zero; units whose
    scale is below ``prune_below`` of the largest are removed and the slim net is fine-tuned.
    The same net trained without the penalty is the control for the scale distribution."""
    x, y = two_moons(p.n_train, p.noise, rng)
    x_te, y_te = two_moons(1000, p.noise, rng)
    h = p.hidden
    init = [rng.normal(0, math.sqrt(2 / 2), (2, h)), np.zeros(h), np.ones(h),
            rng.normal(0, math.sqrt(2 / h), (h, h)), np.zeros(h), np.ones(h),
            rng.normal(0, math.sqrt(2 / h), (h, 1)), np.zeros(1)]
    slim = _slim_train(init, x, y, p.l1, p.steps, p.lr)
    plain = _slim_train(init, x, y, 0.0, p.steps, p.lr)
    scales = np.abs(np.concatenate([slim[2], slim[5]]))
    cut = p.prune_below * scales.max()
    keep = [(np.abs(slim[2]) >= cut).astype(float), (np.abs(slim[5]) >= cut).astype(float)]
    tuned = _slim_train(slim, x, y, 0.0, p.finetune_steps, p.lr, keep) if p.finetune_steps else slim
    w1e = tuned[0] * keep[0][None, :]
    w2e = tuned[3] * keep[0][:, None] * keep[1][None, :]
    w3e = tuned[6] * keep[1][:, None]
    plain_scales = np.abs(np.concatenate([plain[2], plain[5]]))
    rank = np.arange(1, 2 * h + 1, dtype=float)
    return {
        "layer_sizes": np.array([2, h, h, 1]), "weight_0": w1e, "weight_1": w2e, "weight_2": w3e,
        "unit_rank": rank, "scales_l1": np.sort(scales)[::-1] / scales.max(),
        "scales_plain": np.sort(plain_scales)[::-1] / plain_scales.max(),
        "units_kept": float(keep[0].sum() + keep[1].sum()), "units_total": float(2 * h),
        "accuracy_slim": _slim_acc(tuned, x_te, y_te), "accuracy_full": _slim_acc(slim, x_te, y_te),
        "accuracy_plain": _slim_acc(plain, x_te, y_te),
        "small_share_l1": float(np.mean(scales < cut)),
        "small_share_plain": float(np.mean(plain_scales < p.prune_below * plain_scales.max())),
    }
