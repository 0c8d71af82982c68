"""Recipes of the representations family drawn as matrices: similarity, correlation and gradient
matrices of small trained models (``rep-matrix``), and DINO's centring and sharpening of a
teacher's outputs (``teacher-targets``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe
from teeprint.recipes.representations import _SUB, _normalise_rows, _softmax, _unit_backward

# -- rep-matrix: similarity, correlation and gradient matrices of small trained models -------------

MatrixExperiment = Literal["agop", "clip", "barlow", "rsa", "group-conv", "cka", "stitching"]


class RepMatrixParams(Params):
    """Which experiment and its knobs (each experiment reads the ones it needs)."""

    experiment: MatrixExperiment = "agop"
    samples: int = Field(400, ge=32, le=2000)
    dim: int = Field(10, ge=2, le=64, description="input dimension")
    width: int = Field(32, ge=4, le=128, description="hidden width / embedding size")
    steps: int = Field(800, ge=10, le=5000)
    lr: float = Field(0.05, gt=0.0, le=2.0)
    temperature: float = Field(0.1, gt=0.0, le=2.0, description="clip: InfoNCE temperature")
    off_weight: float = Field(0.05, ge=0.0, le=1.0, description="barlow: weight of off-diagonal terms")
    noise: float = Field(0.3, ge=0.0, le=3.0, description="view / pair noise")
    shown: int = Field(12, ge=4, le=24, description="clip: pairs shown in the similarity matrix")
    depth: int = Field(4, ge=2, le=8, description="cka: hidden layers of each network")


def _agop(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Radhakrishnan et al. (2024): a two-layer ReLU network trained on a target that depends
    on two of the input coordinates; its average gradient outer product E[grad f grad f^T]
    (over the training inputs) puts its mass on those two coordinates."""
    x = rng.normal(size=(p.samples, p.dim))
    y = x[:, 0] * x[:, 1] + np.sin(x[:, 0])
    w1 = rng.normal(0.0, 1.0 / math.sqrt(p.dim), (p.dim, p.width))
    b1 = np.zeros(p.width)
    w2 = rng.normal(0.0, 1.0 / math.sqrt(p.width), p.width)
    for _ in range(p.steps):
        h = x @ w1 + b1
        a = np.maximum(h, 0.0)
        err = 2.0 * (a @ w2 - y) / len(x)
        gw2 = a.T @ err
        gh = np.outer(err, w2) * (h > 0)
        w1 -= p.lr * x.T @ gh
        b1 -= p.lr * gh.sum(axis=0)
        w2 -= p.lr * gw2
    grads = ((x @ w1 + b1) > 0) * w2 @ w1.T  # (n, dim): gradient of f at each input
    agop = grads.T @ grads / len(x)
    vals, vecs = np.linalg.eigh(agop)
    top = vecs[:, -1]
    mse = float(np.mean((np.maximum(x @ w1 + b1, 0.0) @ w2 - y) ** 2))
    return {"agop": agop, "coord_names": [f"x{str(i + 1).translate(_SUB)}" for i in range(p.dim)],
            "block_share": float(agop[:2, :2].trace() / agop.trace()),
            "top_in_block": float(np.linalg.norm(top[:2])),
            "eigenvalues": vals[::-1], "final_mse": mse, "target_var": float(np.var(y))}


def _clip(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Radford et al. (2021), with two linear encoders: paired 'images' and 'captions' are two
    noisy linear views of one latent; the symmetric InfoNCE loss over all pairs of the batch
    (full batch, gradient descent) pulls matching pairs together on the unit sphere."""
    latent = 8
    dx, dy = p.dim, p.dim + 4
    a = rng.normal(size=(latent, dx))
    b = rng.normal(size=(latent, dy))

    def pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
        z = rng.normal(size=(n, latent))
        return (z @ a + p.noise * rng.normal(size=(n, dx)),
                z @ b + p.noise * rng.normal(size=(n, dy)))

    x, y = pairs(p.samples)
    tx, ty = pairs(p.shown)
    hx, hy = pairs(200)
    wx = rng.normal(0.0, 1.0 / math.sqrt(dx), (dx, p.width))
    wy = rng.normal(0.0, 1.0 / math.sqrt(dy), (dy, p.width))

    def sims(xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
        return _normalise_rows(xx @ wx)[0] @ _normalise_rows(yy @ wy)[0].T

    before = sims(tx, ty)
    acc_before = float(np.mean(sims(hx, hy).argmax(axis=1) == np.arange(200)))
    n = len(x)
    eye = np.eye(n)
    track_steps, align, uniform = [], [], []
    for step in range(p.steps + 1):
        ux, nx = _normalise_rows(x @ wx)
        uy, ny = _normalise_rows(y @ wy)
        if step % 10 == 0 or step == p.steps:
            # Wang & Isola's two properties, on held-out pairs: alignment E|f(x) - g(y)|^2 of
            # positives, uniformity log E exp(-2 |f(x) - f(x')|^2) over all pairs of one view.
            hx_u, hy_u = _normalise_rows(hx @ wx)[0], _normalise_rows(hy @ wy)[0]
            track_steps.append(step)
            align.append(float(np.mean(np.sum((hx_u - hy_u) ** 2, axis=1))))
            sq = np.maximum(2.0 - 2.0 * hx_u @ hx_u.T, 0.0)[np.triu_indices(len(hx_u), 1)]
            uniform.append(float(np.log(np.mean(np.exp(-2.0 * sq)))))
        if step == p.steps:
            break
        logits = ux @ uy.T / p.temperature
        g = ((_softmax(logits, 1) - eye) + (_softmax(logits, 0) - eye)) / (2 * n)
        dux, duy = g @ uy / p.temperature, g.T @ ux / p.temperature
        wx -= p.lr * x.T @ _unit_backward(dux, ux, nx)
        wy -= p.lr * y.T @ _unit_backward(duy, uy, ny)
    after = sims(tx, ty)
    held = sims(hx, hy)
    acc_after = float(np.mean(held.argmax(axis=1) == np.arange(200)))
    k = p.shown
    diag_mask = np.eye(k, dtype=bool)
    return {"sim_before": before, "sim_after": after, "diag_mask": diag_mask,
            "pair_names": [str(i + 1) for i in range(k)],
            "retrieval_before": acc_before, "retrieval_after": acc_after,
            "shown_diag_is_max": float(np.mean(after.argmax(axis=1) == np.arange(k))),
            "mean_diag_after": float(after[diag_mask].mean()),
            "mean_off_after": float(after[~diag_mask].mean()),
            "chance": 1.0 / 200, "track_step": np.asarray(track_steps, float),
            "alignment": np.asarray(align), "uniformity": np.asarray(uniform),
            "uniformity_floor": float(_uniform_floor(p.width)),
            "uniformity_floor_line": np.full(len(track_steps), _uniform_floor(p.width)),
            **_align_uniform_plane(np.asarray(align), np.asarray(uniform), _uniform_floor(p.width))}


def _align_uniform_plane(align: np.ndarray, uniform: np.ndarray, floor: float) -> Arrays:
    """The training run as a path in the (alignment, uniformity) plane, with its extent and
    the uniformity floor as a line across it."""
    x0, x1 = 0.0, float(align.max()) * 1.08
    y0, y1 = floor - 0.08, float(uniform.max()) + 0.08
    return {"au_path": np.column_stack([align, uniform]), "au_x": np.linspace(x0, x1, 3),
            "au_y": np.linspace(y0, y1, 3),
            "au_floor": np.array([[[x0, floor], [x1, floor]]]),
            "au_ends": np.array([[align[0], uniform[0]], [align[-1], uniform[-1]]])}


def _uniform_floor(dim: int, samples: int = 20000) -> float:
    """log E exp(-2 |u - v|^2) for u, v independent and uniform on the sphere in ``dim``
    dimensions: the best uniformity, estimated once with a fixed generator."""
    g = np.random.default_rng(12345)
    u = g.normal(size=(samples, dim))
    v = g.normal(size=(samples, dim))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return float(np.log(np.mean(np.exp(-2.0 * np.sum((u - v) ** 2, axis=1)))))


def _standardise(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sd = u.std(axis=0) + 1e-8
    return (u - u.mean(axis=0)) / sd, sd


def _standardise_backward(dz: np.ndarray, z: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Gradient through z = (u - mean u) / std u, per column."""
    return (dz - dz.mean(axis=0) - z * np.mean(dz * z, axis=0)) / sd


def _barlow(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Zbontar et al. (2021), with a linear encoder: two noisy views of each input, embeddings
    standardised over the batch, and the loss sum (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2 on
    their cross-correlation C, minimised by full-batch gradient descent."""
    latent = p.width
    mix = rng.normal(size=(latent, p.dim))
    z0 = rng.normal(size=(p.samples, latent))
    x = z0 @ mix
    w = rng.normal(0.0, 1.0 / math.sqrt(p.dim), (p.dim, p.width))
    va = x + p.noise * rng.normal(size=x.shape)
    vb = x + p.noise * rng.normal(size=x.shape)
    n = len(x)

    def corr() -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        za, sa = _standardise(va @ w)
        zb, sb = _standardise(vb @ w)
        return za.T @ zb / n, (za, sa, zb, sb)

    before, _ = corr()
    off = ~np.eye(p.width, dtype=bool)
    losses = []
    for _ in range(p.steps):
        c, (za, sa, zb, sb) = corr()
        losses.append(float(np.sum((1 - np.diag(c)) ** 2) + p.off_weight * np.sum(c[off] ** 2)))
        dc = np.where(off, 2 * p.off_weight * c, -2 * (1 - c))
        dza, dzb = zb @ dc.T / n, za @ dc / n
        w -= p.lr * (va.T @ _standardise_backward(dza, za, sa) + vb.T @ _standardise_backward(dzb, zb, sb))
    after, _ = corr()
    return {"corr_before": before, "corr_after": after, "dim_names": [str(i + 1) for i in range(p.width)],
            "diag_before": float(np.diag(before).mean()), "diag_after": float(np.diag(after).mean()),
            "off_before": float(np.abs(before[off]).max()), "off_after": float(np.abs(after[off]).max()),
            "loss": np.asarray(losses), "diag_mask": np.eye(p.width, dtype=bool)}


def rdm(patterns: np.ndarray) -> np.ndarray:
    """Representational dissimilarity matrix: 1 - Pearson correlation between the rows."""
    return 1.0 - np.corrcoef(patterns)


def _rank(v: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(v)).astype(float)


def _rsa(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Kriegeskorte et al. (2008): two systems that share no units are compared through their
    dissimilarity matrices over the same stimuli.  Stimuli: 4 categories x 6 exemplars of a
    latent in ``dim`` dimensions.  System A: a random ReLU network of the latent; system B: tanh
    of a different random projection plus measurement noise; control: the same stimuli
    shuffled before B sees them."""
    cats, per = 4, 6
    labels = np.repeat(np.arange(cats), per)
    centres = rng.normal(0.0, 1.0, (cats, p.dim))
    z = centres[labels] + 0.5 * rng.normal(size=(cats * per, p.dim))
    a = np.maximum(z @ rng.normal(size=(p.dim, 100)) / math.sqrt(p.dim), 0.0)
    b = np.tanh(z @ rng.normal(size=(p.dim, 80)) / math.sqrt(p.dim)) + p.noise * rng.normal(size=(cats * per, 80))
    shuffled = b[rng.permutation(cats * per)]
    ra, rb, rc = rdm(a), rdm(b), rdm(shuffled)
    iu = np.triu_indices(cats * per, 1)

    def spearman(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.corrcoef(_rank(x[iu]), _rank(y[iu]))[0, 1])

    same = (labels[:, None] == labels[None, :])[iu]
    return {"rdm_a": ra, "rdm_b": rb, "rdm_control": rc,
            "stimulus_names": [f"{'ABCD'[c]}{i + 1}" for c in range(cats) for i in range(per)],
            "rsa_ab": spearman(ra, rb), "rsa_control": spearman(ra, rc),
            "within_a": float(ra[iu][same].mean()), "between_a": float(ra[iu][~same].mean()),
            "within_b": float(rb[iu][same].mean()), "between_b": float(rb[iu][~same].mean())}


def _correlate_same(x: np.ndarray, f: np.ndarray) -> np.ndarray:
    """2-D cross-correlation with zero padding, output the size of x (odd square filter)."""
    k = f.shape[0] // 2
    xp = np.pad(x, k)
    out = np.zeros_like(x)
    for i in range(f.shape[0]):
        for j in range(f.shape[1]):
            out += f[i, j] * xp[i : i + x.shape[0], j : j + x.shape[1]]
    return out


def _group_conv(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Cohen & Welling (2016), the lifting layer of a p4 group convolution: one filter
    correlated with the image at each of four rotations.  Turning the input a quarter turn turns
    every output map a quarter turn and shifts the rotation channels by one, exactly; an
    ordinary convolution (one rotation only) has no such rule."""
    size = p.dim + (1 - p.dim % 2)  # odd, so the centre pixel is the centre of rotation
    yy, xx = np.mgrid[0:size, 0:size]
    img = np.zeros((size, size))
    for _ in range(4):
        cy, cx = rng.uniform(1, size - 2, 2)
        img += rng.uniform(0.5, 1.0) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 3.0)
    f = rng.normal(size=(3, 3))
    lift = np.stack([_correlate_same(img, np.rot90(f, r)) for r in range(4)])
    turned = np.rot90(img)
    lift_turned = np.stack([_correlate_same(turned, np.rot90(f, r)) for r in range(4)])
    # Rule: lift(rot x)[r] = rot(lift(x)[r - 1]).
    err = max(float(np.max(np.abs(lift_turned[r] - np.rot90(lift[(r - 1) % 4])))) for r in range(4))
    plain = float(np.linalg.norm(lift_turned[0] - np.rot90(lift[0])) / np.linalg.norm(lift[0]))
    return {"image": img, "image_turned": turned, "lift_0": lift[0], "lift_1": lift[1],
            "lift_turned_1": lift_turned[1], "lift_turned_2": lift_turned[2],
            "equivariance_error": err, "plain_conv_mismatch": plain,
            "scale": float(np.max(np.abs(lift)))}


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Kornblith et al. (2019), linear CKA: ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on centred columns."""
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    cross = float(np.sum((y.T @ x) ** 2))
    return cross / float(np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def _tanh_forward(ws: list[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    """Input, each tanh hidden layer, then the logits."""
    acts = [x]
    for w in ws[:-1]:
        acts.append(np.tanh(acts[-1] @ w))
    acts.append(acts[-1] @ ws[-1])
    return acts


def _two_networks(p: RepMatrixParams, rng: np.random.Generator
                  ) -> tuple[int, np.ndarray, np.ndarray, int, list[list[np.ndarray]]]:
    """Four Gaussian blobs (``samples`` points in ``dim`` dimensions) and two tanh networks
    trained on the first half from different initialisations: (k, x, y, half, nets)."""
    k = 4
    centres = rng.normal(0.0, 1.0, (k, p.dim))
    y = rng.integers(0, k, p.samples)
    x = centres[y] + rng.normal(size=(p.samples, p.dim))
    half = p.samples // 2
    nets = [_train_tanh_mlp(x[:half], y[:half], k, p, rng) for _ in range(2)]
    return k, x, y, half, nets


def _train_tanh_mlp(x: np.ndarray, y: np.ndarray, k: int, p: RepMatrixParams,
                    rng: np.random.Generator) -> list[np.ndarray]:
    """A tanh MLP (``depth`` hidden layers of ``width`` units) trained by full-batch gradient
    descent on softmax cross-entropy; returns its weights."""
    sizes = [x.shape[1]] + [p.width] * p.depth + [k]
    ws = [rng.normal(0.0, 1.0 / math.sqrt(a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    onehot = np.eye(k)[y]
    for _ in range(p.steps):
        acts = _tanh_forward(ws, x)
        grad = (_softmax(acts[-1], 1) - onehot) / len(x)
        for i in range(len(ws) - 1, -1, -1):
            gw = acts[i].T @ grad
            if i > 0:
                grad = (grad @ ws[i].T) * (1.0 - acts[i] ** 2)
            ws[i] -= p.lr * gw
    return ws


def _cka(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Kornblith et al. (2019): two copies of one architecture trained from different random
    initialisations on the same data; linear CKA between every layer of one and every layer of
    the other, measured on held-out inputs."""
    k, x, y, half, nets = _two_networks(p, rng)
    acts = [_tanh_forward(ws, x[half:])[1:] for ws in nets]
    n = len(acts[0])
    m = np.array([[linear_cka(acts[0][i], acts[1][j]) for j in range(n)] for i in range(n)])
    accuracy = [float(np.mean(np.argmax(a[-1], axis=1) == y[half:])) for a in acts]
    names = [f"h{i + 1}".translate(_SUB) for i in range(n - 1)] + ["out"]
    off = m[~np.eye(n, dtype=bool)]
    return {"cka": m, "layer_names": names, "diagonal": np.diag(m).copy(), "matching": np.eye(n, dtype=bool),
            "row_best": np.argmax(m, axis=1).astype(float), "layers": float(n),
            "mean_diagonal": float(np.mean(np.diag(m))), "mean_off_diagonal": float(np.mean(off)),
            "first_last": float(m[0, -1]), "accuracy": np.array(accuracy),
            "same_init_check": float(linear_cka(acts[0][0], acts[0][0]))}


def _stitching(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Bansal, Nakkiran & Barak (2021): net A's layers up to cut i, one affine stitching layer,
    then net B's layers after its cut j.  Here the stitch is fitted by least squares from A's
    layer i to B's layer j on the training inputs (not trained on the task loss); held-out
    accuracy for every (i, j), against B alone and against a stitch fitted on shuffled pairs."""
    k, x, y, half, nets = _two_networks(p, rng)
    train = [_tanh_forward(ws, x[:half]) for ws in nets]
    test = [_tanh_forward(ws, x[half:]) for ws in nets]
    wb = nets[1]
    yt = y[half:]

    def finish(h: np.ndarray, j: int) -> float:
        """Run B from its hidden layer j (1-based) to the logits."""
        for w in wb[j:-1]:
            h = np.tanh(h @ w)
        return float(np.mean(np.argmax(h @ wb[-1], axis=1) == yt))

    def fit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a1 = np.hstack([a, np.ones((len(a), 1))])
        return np.linalg.lstsq(a1, b, rcond=None)[0]

    def apply(m: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.hstack([a, np.ones((len(a), 1))]) @ m

    n = p.depth
    acc = np.zeros((n, n))
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            acc[i - 1, j - 1] = finish(apply(fit(train[0][i], train[1][j]), test[0][i]), j)
    perm = rng.permutation(half)
    shuffled = np.array([finish(apply(fit(train[0][i][perm], train[1][i]), test[0][i]), i)
                         for i in range(1, n + 1)])
    own = [float(np.mean(np.argmax(t[-1], axis=1) == yt)) for t in test]
    names = [f"h{i + 1}".translate(_SUB) for i in range(n)]
    return {"stitched": acc, "diagonal": np.diag(acc).copy(), "shuffled": shuffled,
            "accuracy_a": own[0], "accuracy_b": own[1], "layer_names": names,
            "matching": np.eye(n, dtype=bool), "chance": 1.0 / k,
            "diag_gap": float(np.max(own[1] - np.diag(acc))), "cut": np.arange(1.0, n + 1),
            "b_line": np.full(n, own[1]), "a_line": np.full(n, own[0]), "chance_line": np.full(n, 1.0 / k)}


@recipe("rep-matrix", RepMatrixParams)
def rep_matrix(p: RepMatrixParams, rng: np.random.Generator) -> Arrays:
    """Representation experiments drawn as matrices: the average gradient outer product, a
    contrastive image-text similarity matrix, the Barlow Twins cross-correlation, and the
    dissimilarity matrices of representational similarity analysis."""
    run = {"agop": _agop, "clip": _clip, "barlow": _barlow, "rsa": _rsa, "cka": _cka, "stitching": _stitching,
           "group-conv": _group_conv}[p.experiment]
    return run(p, rng)


# -- teacher-targets: DINO's centring and sharpening of a teacher's outputs ------------------------


class TeacherTargetsParams(Params):
    """A teacher's logits over K output dimensions, one dimension favoured for every input."""

    dims: int = Field(8, ge=3, le=12, description="output dimensions K")
    bias: float = Field(2.0, ge=0.0, le=6.0, description="logit lead of the favoured dimension")
    spread: float = Field(1.0, gt=0.0, le=4.0, description="std of the input-specific logits")
    sharp_temperature: float = Field(0.04, gt=0.0, le=1.0, description="teacher temperature τ_t")
    centre_momentum: float = Field(0.9, ge=0.0, lt=1.0, description="EMA momentum m of the centre")
    batches: int = Field(50, ge=1, le=500, description="batches the centre is averaged over")
    batch: int = Field(64, ge=8, le=1024)
    shown: int = Field(512, ge=32, le=4096, description="fresh inputs the drawn averages use")


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _entropy_rows(q: np.ndarray) -> np.ndarray:
    return -np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0), axis=-1)


@recipe("teacher-targets", TeacherTargetsParams)
def teacher_targets(p: TeacherTargetsParams, rng: np.random.Generator) -> Arrays:
    """Caron et al. (2021): the teacher's target is softmax((g − c) / τ_t), c an EMA of batch
    means of g.  On logits g = b + ε with one favoured dimension in b, four targets are measured:
    plain (τ = 1), sharpened only, centred only, centred and sharpened.  Drawn: the target
    averaged over fresh inputs; beside it, the mean entropy of a single input's target."""
    k = p.dims
    b = rng.normal(0.0, 0.3, k)
    b[0] += p.bias

    def logits(n: int) -> np.ndarray:
        return b + rng.normal(0.0, p.spread, (n, k))

    c = np.zeros(k)
    for _ in range(p.batches):
        c = p.centre_momentum * c + (1.0 - p.centre_momentum) * logits(p.batch).mean(axis=0)
    g = logits(p.shown)
    settings = [(False, 1.0), (True, 1.0), (False, p.sharp_temperature), (True, p.sharp_temperature)]
    targets = [_softmax_rows(((g - c) if centred else g) / tau) for centred, tau in settings]
    average = np.stack([t.mean(axis=0) for t in targets])
    per_input = np.array([float(np.mean(_entropy_rows(t))) for t in targets])
    uniform = math.log(k)
    return {
        "vocab": np.array([f"z{i + 1}".translate(_SUB) for i in range(k)]),
        "base": average[0], "after": average[1:], "average": average,
        "per_input_entropy": per_input / uniform,
        "average_entropy": _entropy_rows(average) / uniform,
        "top_mass": average.max(axis=1), "top_dim": np.argmax(average, axis=1).astype(float),
        "dims": float(k), "tau_sharp": p.sharp_temperature,
    }
