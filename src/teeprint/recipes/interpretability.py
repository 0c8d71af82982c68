"""Recipes of the interpretability family: toy models whose internals can be read off exactly.

Every recipe here either trains a model small enough to finish in well under two seconds with
analytic gradients (superposition, grokking) or wires a mechanism by hand and says so
(induction heads, QK/OV circuits).  Grokking belongs to the learning-theory family on its plate
but lives here because its Fourier plate reads the same trained weights.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field, field_validator

from teeprint.recipes import Arrays, Params, recipe

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

# -- superposition ---------------------------------------------------------------------------


class SuperpositionParams(Params):
    """Toy model of superposition: n sparse features squeezed through a 2-D bottleneck."""

    n_features: int = Field(5, ge=2, le=12)
    sparsity: float = Field(0.95, ge=0.0, le=0.999, description="P(feature is zero) on the plate")
    sweep: tuple[float, ...] = Field((0.0, 0.7), max_length=4,
                                     description="lower sparsities trained alongside, for context")
    importance_decay: float = Field(0.9, ge=0.5, le=1.0)
    steps: int = Field(2000, ge=100, le=10000)
    batch: int = Field(512, ge=32, le=4096)
    lr: float = Field(0.01, gt=0.0, le=0.1)

    @field_validator("sweep")
    @classmethod
    def _sweep_range(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not all(0.0 <= s <= 0.999 for s in v):
            msg = "every sweep sparsity must be within 0..0.999"
            raise ValueError(msg)
        return v


def train_toy_model(n: int, m: int, sparsity: float, importance: np.ndarray, steps: int,
                    batch: int, lr: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Train x_hat = ReLU(W^T W x + b) on sparse uniform features with Adam; return (W, b).

    The loss is the importance-weighted squared error, averaged over the batch.  Gradients are
    analytic: with dz the gradient at the pre-activation and A = x^T dz, the gradient of W is
    W (A + A^T) (W appears twice, once encoding and once decoding) and the gradient of b is the
    column sum of dz.
    """
    w = rng.normal(0.0, math.sqrt(2.0 / (m + n)), (m, n))
    b = np.zeros(n)
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    scale = -2.0 / batch * importance
    for t in range(1, steps + 1):
        u = rng.random((2, batch, n))
        x = np.where(u[1] >= sparsity, u[0], 0.0)
        z = (x @ w.T) @ w + b
        dz = np.where(z > 0.0, scale * (x - z), 0.0)
        a = x.T @ dz
        g_w = w @ (a + a.T)
        g_b = dz.sum(axis=0)
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        w -= lr * (m_w / c1) / (np.sqrt(v_w / c2) + eps)
        b -= lr * (m_b / c1) / (np.sqrt(v_b / c2) + eps)
    return w, b


def angular_gaps_deg(w: np.ndarray) -> np.ndarray:
    """Angles between angularly adjacent columns of a 2 x n matrix, in degrees (sum 360)."""
    ang = np.sort(np.degrees(np.arctan2(w[1], w[0])) % 360.0)
    return np.diff(np.concatenate([ang, [ang[0] + 360.0]]))


@recipe("superposition", SuperpositionParams)
def superposition(p: SuperpositionParams, rng: np.random.Generator) -> Arrays:
    """Elhage et al. (2022): with sparse enough features a 2-D model stores all five.

    Dense features: the model keeps the two most important, orthogonal, and drops the rest.
    Middling sparsity: antipodal pairs.  High sparsity: every feature gets a direction and the
    five directions settle at 72 degrees, a regular pentagon, paying for the interference with a
    negative bias that the ReLU turns into a filter.
    """
    importance = p.importance_decay ** np.arange(p.n_features)
    children = rng.spawn(1 + len(p.sweep))
    w, b = train_toy_model(p.n_features, 2, p.sparsity, importance, p.steps, p.batch, p.lr,
                           children[0])
    sweep_w = np.empty((len(p.sweep), 2, p.n_features))
    sweep_b = np.empty((len(p.sweep), p.n_features))
    for i, (s, child) in enumerate(zip(p.sweep, children[1:], strict=True)):
        sweep_w[i], sweep_b[i] = train_toy_model(p.n_features, 2, s, importance, p.steps,
                                                 p.batch, p.lr, child)
    return {
        "W": w,
        "b": b,
        "WtW": w.T @ w,
        "importance": importance,
        "sparsity": p.sparsity,
        "feature_norm": np.linalg.norm(w, axis=0),
        "gaps_deg": angular_gaps_deg(w),
        "sweep_W": sweep_w,
        "sweep_b": sweep_b,
        "sweep_sparsity": np.asarray(p.sweep, float),
        "feature_labels": [f"x{str(i + 1).translate(_SUBSCRIPT)}" for i in range(p.n_features)],
    }


# -- grokking --------------------------------------------------------------------------------


class GrokkingParams(Params):
    """Modular addition a + b mod p learned by a two-layer quadratic network (after Gromov 2023)."""

    modulus: int = Field(23, ge=5, le=37)
    width: int = Field(128, ge=16, le=256)
    train_fraction: float = Field(0.4, ge=0.1, le=0.9)
    lr: float = Field(0.01, gt=0.0, le=0.1)
    weight_decay: float = Field(0.3, ge=0.0, le=2.0)
    steps: int = Field(3000, ge=100, le=10000)
    evaluations: int = Field(90, ge=10, le=400, description="log-spaced evaluation points")
    first_evaluation: int = Field(10, ge=1, le=1000)
    neurons_shown: int = Field(6, ge=1, le=12)


def first_step(steps: np.ndarray, acc: np.ndarray, level: float) -> float:
    """The first evaluated step at which the accuracy reaches ``level`` (NaN if never)."""
    hit = np.nonzero(acc >= level)[0]
    return float(steps[hit[0]]) if hit.size else math.nan


def train_modular_addition(p: GrokkingParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Full-batch AdamW on MSE against one-hot targets; returns curves and the embeddings.

    The network: h = (U[a] + V[b]) / sqrt(2p), output (h * h) W / N, no biases, every weight
    N(0, 1) (mean-field scaling).  U and V are stored as one (2p x N) matrix E so the forward
    pass is one product with a two-hot input, and all three weights share one flat buffer so an
    Adam step is a handful of array operations.  float32 halves the time; with one BLAS thread
    the numbers still repeat exactly.
    """
    q, n_hidden = p.modulus, p.width
    a, b = np.divmod(np.arange(q * q), q)
    target = (a + b) % q
    perm = rng.permutation(q * q)
    n_train = int(round(p.train_fraction * q * q))
    train, test = perm[:n_train], perm[n_train:]
    f32 = np.float32
    flat = rng.normal(size=3 * q * n_hidden).astype(f32)
    emb = flat[: 2 * q * n_hidden].reshape(2 * q, n_hidden)
    w_out = flat[2 * q * n_hidden:].reshape(n_hidden, q)
    scale = 1.0 / math.sqrt(2 * q)
    rows = np.arange(n_train)
    x = np.zeros((n_train, 2 * q), f32)
    x[rows, a[train]] = scale
    x[rows, q + b[train]] = scale
    x_all = np.zeros((q * q, 2 * q), f32)
    x_all[np.arange(q * q), a] = scale
    x_all[np.arange(q * q), q + b] = scale
    y = np.eye(q, dtype=f32)[target[train]]
    grad = np.zeros_like(flat)
    g_emb = grad[: 2 * q * n_hidden].reshape(2 * q, n_hidden)
    g_out = grad[2 * q * n_hidden:].reshape(n_hidden, q)
    m1, m2 = np.zeros_like(flat), np.zeros_like(flat)
    beta1, beta2, eps = 0.9, 0.99, 1e-8
    decay = f32(1.0 - p.lr * p.weight_decay)
    first = min(p.first_evaluation, p.steps)
    checkpoints = set(np.unique(np.round(np.geomspace(first, p.steps, p.evaluations))).astype(int).tolist())
    evals: list[tuple[int, float, float]] = []
    for t in range(1, p.steps + 1):
        h = x @ emb
        act = h * h
        dz = (act @ w_out) * f32(2.0 / (n_train * n_hidden)) - y * f32(2.0 / n_train)
        np.matmul(act.T, dz, out=g_out)
        g_out *= f32(1.0 / n_hidden)
        dh = (dz @ w_out.T) * (f32(2.0 / n_hidden) * h)
        np.matmul(x.T, dh, out=g_emb)
        m1 *= f32(beta1)
        m1 += f32(1 - beta1) * grad
        m2 *= f32(beta2)
        m2 += f32(1 - beta2) * grad * grad
        flat *= decay  # decoupled weight decay (AdamW)
        flat -= f32(p.lr / (1 - beta1**t)) * m1 / (np.sqrt(m2 / f32(1 - beta2**t)) + f32(eps))
        if t in checkpoints:
            h_all = x_all @ emb
            right = ((h_all * h_all) @ w_out).argmax(axis=1) == target
            evals.append((t, float(right[train].mean()), float(right[test].mean())))
    curve = np.array(evals)
    return {"step": curve[:, 0], "train_acc": curve[:, 1], "test_acc": curve[:, 2],
            "U": emb[:q].astype(float), "V": emb[q:].astype(float)}


_GROK_CACHE: dict[tuple[GrokkingParams, str], dict[str, np.ndarray]] = {}


def grokked_model(p: GrokkingParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Train once per (params, generator state) in this process; later calls get copies.

    Both grokking plates read the same trained network, and a batch render draws both.
    """
    key = (p, repr(rng.bit_generator.state))
    if key not in _GROK_CACHE:
        if len(_GROK_CACHE) >= 4:
            _GROK_CACHE.pop(next(iter(_GROK_CACHE)))
        _GROK_CACHE[key] = train_modular_addition(p, rng)
    return {k: v.copy() for k, v in _GROK_CACHE[key].items()}


def fourier_power(u: np.ndarray) -> np.ndarray:
    """Share of each column's non-constant power at each frequency 1..p//2 (rows: frequencies)."""
    spectrum = np.abs(np.fft.rfft(u, axis=0)) ** 2
    ac = spectrum[1:]
    return ac / np.maximum(ac.sum(axis=0, keepdims=True), 1e-300)


@recipe("grokking", GrokkingParams)
def grokking(p: GrokkingParams, rng: np.random.Generator) -> Arrays:
    """Power et al. (2022), at toy scale: memorise first, generalise much later.

    Training accuracy reaches 99 % within a couple of hundred steps; test accuracy idles near
    chance and rises only after weight decay has slowly traded the memorising solution for one
    built from sinusoids of a + b.  The same trained network's embeddings are analysed in
    Fourier space: each neuron's input weights over a = 0..p-1 are close to a single sinusoid.
    """
    model = grokked_model(p, rng)
    step, train_acc, test_acc = model["step"], model["train_acc"], model["test_acc"]
    s_train = first_step(step, train_acc, 0.99)
    s_test = first_step(step, test_acc, 0.90)
    power = fourier_power(model["U"])  # (p//2, N)
    dominant = power.argmax(axis=0)  # frequency index - 1
    concentration = power.max(axis=0)
    order = np.lexsort((-concentration, dominant))
    shown = _spread_neurons(dominant, concentration, p.neurons_shown)
    fine = np.linspace(0.0, p.modulus - 1, 240)
    waves = np.empty((shown.size, fine.size))
    coeffs = np.fft.rfft(model["U"][:, shown], axis=0)
    for i, j in enumerate(shown):
        k = int(dominant[j]) + 1
        c = coeffs[k, i]
        mean = coeffs[0, i].real / p.modulus
        waves[i] = mean + 2.0 / p.modulus * np.abs(c) * np.cos(2 * np.pi * k * fine / p.modulus + np.angle(c))
    power_sorted = power[:, order]
    highlight = np.zeros_like(power_sorted, bool)
    cols = np.nonzero(np.isin(order, shown))[0]  # where the shown neurons sit after sorting
    highlight[dominant[order[cols]], cols] = True
    return {
        "step": step,
        "train_acc": train_acc,
        "test_acc": test_acc,
        "train_99_step": s_train,
        "test_90_step": s_test,
        "delay": s_test / s_train,
        "chance": 1.0 / p.modulus,
        "chance_line": np.full(step.shape, 1.0 / p.modulus),
        "final_test_acc": float(test_acc[-1]),
        "U": model["U"],
        "power": power,
        "power_sorted": power_sorted,
        "power_highlight": highlight,
        "frequency": np.arange(1, power.shape[0] + 1),
        "dominant_frequency": dominant + 1,
        "median_concentration": float(np.median(concentration)),
        "neuron_count_by_frequency": np.bincount(dominant + 1, minlength=power.shape[0] + 1),
        "neurons_shown": shown,
        "neuron_weights": model["U"][:, shown].T,
        "neuron_waves": waves,
        "neuron_labels": [f"k = {int(dominant[j]) + 1}" for j in shown],
    }


def _spread_neurons(dominant: np.ndarray, concentration: np.ndarray, count: int) -> np.ndarray:
    """The clearest neuron of each of ``count`` different frequencies, spread across the range."""
    freqs = np.unique(dominant)
    pick = freqs[np.round(np.linspace(0, freqs.size - 1, min(count, freqs.size))).astype(int)]
    return np.array([int(np.argmax(np.where(dominant == f, concentration, -1.0))) for f in pick])


# -- superposition phase diagram ---------------------------------------------------------------


class PhaseDiagramParams(Params):
    """Two features, one dimension: which solution has the lowest expected loss where."""

    density_min: float = Field(0.03, gt=0.0, lt=1.0)
    importance_min: float = Field(0.1, gt=0.0, lt=1.0)
    importance_max: float = Field(10.0, gt=1.0, le=100.0)
    cells: int = Field(40, ge=6, le=80)
    quadrature: int = Field(100, ge=20, le=300, description="midpoints per unit interval")


#: Region codes of the phase diagram, in the order of the plate's legend.
PHASES = ("feature 2 dropped", "feature 1 dropped", "superposed")


@recipe("superposition-phase-diagram", PhaseDiagramParams)
def superposition_phase_diagram(p: PhaseDiagramParams, rng: np.random.Generator) -> Arrays:
    """Elhage et al. (2022), n = 2 features in m = 1 dimension, by comparing solutions.

    Features are x_i = 0 with probability 1 - d, else uniform on [0, 1]; feature 1 has importance
    1 and feature 2 importance r.  Three candidate solutions of ReLU(W^T W x + b):
    keep feature 1 (W = [1, 0]; the best constant for x_2 costs r Var(x_2)), keep feature 2 (the
    mirror image), or store both antipodally (W = [w, -w], shared bias b <= 0, w^2 and b chosen
    by a grid).  The antipodal loss splits exactly by which features are active:
    d(1 - d) A(w, b) + d^2 B(w, b), with A and B integrals over the unit interval and square
    evaluated by midpoint quadrature, so the diagram is deterministic and needs no training
    (the generator is unused).  Each cell shows the candidate with the lowest expected loss.
    """
    density = np.geomspace(p.density_min, 1.0, p.cells)
    importance = np.geomspace(p.importance_max, p.importance_min, p.cells)  # top row: large r
    u = (np.arange(p.quadrature) + 0.5) / p.quadrature
    w2_grid = np.linspace(0.5, 1.5, 21)
    bias = np.linspace(-0.8, 0.0, 33)[:, None, None]
    diff = u[:, None] - u[None, :]
    one = np.empty((w2_grid.size, bias.shape[0]))
    both = np.empty_like(one)
    for i, w2 in enumerate(w2_grid):
        # One feature active (x1 = u, x2 = 0): an inactive x2 sees ReLU(-w^2 u + b) = 0 (b <= 0).
        one[i] = np.mean((u - np.maximum(w2 * u + bias[:, :, 0], 0.0)) ** 2, axis=-1)
        # Both active: the error on x1 (x2's is the same by symmetry).
        both[i] = np.mean((u[:, None] - np.maximum(w2 * diff + bias, 0.0)) ** 2, axis=(-2, -1))
    d = density[:, None, None]
    # Per-feature error of the antipodal pair, minimised over (w^2, b) for every density.
    per_feature = (d * (1 - d) * one[None] + d**2 * both[None]).reshape(density.size, -1).min(axis=1)
    var = density / 3 - density**2 / 4  # Var(x_i): the cost of a dropped feature
    r = importance[:, None]
    losses = np.stack([
        r * var[None, :],  # keep feature 1, drop feature 2
        np.ones_like(r) * var[None, :],  # keep feature 2, drop feature 1
        (1 + r) * per_feature[None, :],  # superposed
    ])
    phase = losses.argmin(axis=0)
    return {
        "phase": phase,
        "density": density,
        "importance": importance,
        "losses": losses,
        "antipodal_error": per_feature,
        "phase_names": list(PHASES),
        "superposed_share": float(np.mean(phase == 2)),
        "frac_superposed": np.mean(phase == 2, axis=0),
        "count_phase": np.array([np.count_nonzero(phase == k) for k in range(len(PHASES))]),
    }


# -- induction heads and their circuits --------------------------------------------------------


class InductionParams(Params):
    """A repeated random sequence read by a hand-wired two-layer attention-only model."""

    vocab: int = Field(50, ge=8, le=200)
    period: int = Field(16, ge=4, le=48, description="length of the repeated block")
    token_dim: int = Field(48, ge=16, le=256)
    gain: float = Field(12.0, ge=1.0, le=50.0, description="attention sharpness beta")
    bos_bias: float = Field(0.5, ge=0.0, le=1.0, description="BOS sink bias, as a share of beta")


def orthonormal_rows(rng: np.random.Generator, rows: int, dim: int) -> np.ndarray:
    """``rows`` orthonormal vectors in R^dim (rows <= dim), uniformly oriented."""
    q, r = np.linalg.qr(rng.normal(size=(dim, rows)))
    return (q * np.sign(np.diag(r))).T


def _attend(scores: np.ndarray) -> np.ndarray:
    n = scores.shape[0]
    masked = np.where(np.tril(np.ones((n, n), bool)), scores, -np.inf)
    top = masked.max(axis=1, keepdims=True)
    e = np.exp(masked - top)
    return e / e.sum(axis=1, keepdims=True)


def composition(a: np.ndarray, b: np.ndarray) -> float:
    """How much of what B writes, A reads: ||A B||_F over its tightest bound, in [0, 1].

    ||A B||_F <= min(||A||_2 ||B||_F, ||A||_F ||B||_2), so the ratio is 1 when B's output lies
    where A reads at full strength and 0 when they live in different subspaces.  (Elhage et
    al.'s score divides by ||A||_F ||B||_F, which caps an exact rank-r identity at 1/sqrt(r).)
    """
    bound = min(float(np.linalg.norm(a, 2) * np.linalg.norm(b)),
                float(np.linalg.norm(a) * np.linalg.norm(b, 2)))
    return float(np.linalg.norm(a @ b) / bound) if bound > 0 else 0.0


def induction_model(p: InductionParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Build the residual stream, the two heads and run them on BOS + block + block.

    The residual stream has four subspaces: the current token (random unit vectors, nearly
    orthogonal), the position (exactly orthonormal), the previous token (written by head 1) and
    the output (written by head 2, the only one the unembedding reads).  Head 1's query at
    position i is the code of position i - 1, so it attends one step back, and its OV copies the
    token subspace into the previous-token subspace.  Head 2 queries with the current token and
    keys on the previous-token subspace: it finds the position just after the last occurrence of
    the current token and copies that position's token to the output.  BOS carries a fixed bias
    so that a query with no match rests there.
    """
    v, t, dt = p.vocab, p.period, p.token_dim
    n = 2 * t + 1
    block = rng.integers(0, v, t)
    tokens = np.concatenate([[v], block, block])  # id v is BOS
    emb = rng.normal(size=(v + 1, dt)) / math.sqrt(dt)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    pos = orthonormal_rows(rng, n, n)
    d_model = 3 * dt + n
    sl_tok, sl_pos = slice(0, dt), slice(dt, dt + n)
    sl_prev, sl_out = slice(dt + n, 2 * dt + n), slice(2 * dt + n, 3 * dt + n)
    w_e = np.zeros((d_model, v + 1))  # embedding, columns are tokens
    w_e[sl_tok] = emb.T
    w_p = np.zeros((d_model, n))
    w_p[sl_pos] = pos.T
    x0 = (w_e[:, tokens] + w_p).T  # (n, d_model)
    beta = p.gain
    bos = np.zeros(n)
    bos[0] = p.bos_bias * beta
    # Head 1: previous token.  W_QK1 = beta * sum_i P[i-1] P[i]^T on the position subspace.
    shift = np.zeros((n, n))
    shift[np.arange(1, n), np.arange(n - 1)] = 1.0  # row i selects position i - 1
    w_qk1 = np.zeros((d_model, d_model))
    w_qk1[sl_pos, sl_pos] = beta * pos.T @ shift @ pos  # q_i . k_j = beta [j == i - 1]
    a1 = _attend(x0 @ w_qk1 @ x0.T + bos)
    w_ov1 = np.zeros((d_model, d_model))
    w_ov1[sl_prev, sl_tok] = np.eye(dt)  # token -> previous-token subspace
    x1 = x0 + a1 @ (x0 @ w_ov1.T)
    # Head 2: induction.  Query: current token; key: previous-token subspace.
    w_qk2 = np.zeros((d_model, d_model))
    w_qk2[sl_tok, sl_prev] = beta * np.eye(dt)
    a2 = _attend(x1 @ w_qk2 @ x1.T + bos)
    w_ov2 = np.zeros((d_model, d_model))
    w_ov2[sl_out, sl_tok] = np.eye(dt)  # copy the attended token to the output subspace
    x2 = x1 + a2 @ (x1 @ w_ov2.T)
    w_u = np.zeros((v + 1, d_model))
    w_u[:, sl_out] = emb  # unembedding reads only the output subspace
    logits = x2 @ w_u.T
    return {"tokens": tokens, "pattern_prev": a1, "pattern_induction": a2, "logits": logits,
            "w_e": w_e, "w_p": w_p, "w_qk1": w_qk1, "w_ov1": w_ov1, "w_qk2": w_qk2,
            "w_ov2": w_ov2, "w_u": w_u}


@recipe("induction-heads", InductionParams)
def induction_heads(p: InductionParams, rng: np.random.Generator) -> Arrays:
    """Olsson et al. (2022): a previous-token head and an induction head, wired by hand.

    On a random block repeated twice, the induction head at position i of the second copy
    looks at j = i - period + 1 (the token that followed this one last time) and copies it,
    so the second copy is predicted while the first cannot be.

    The same weights read as token-to-token circuits (Elhage et al. 2021) make the QK/OV
    plate: the QK circuit of the induction head through head 1 (K-composition) says which
    current token attends to a position whose *previous* token is which, a diagonal of
    matches on the noise of nearly orthogonal embeddings; the OV circuit says which token it
    writes when it attends to which, a diagonal too (copying).  Edge weights of the circuit
    graph are composition norms between the maps.
    """
    m = induction_model(p, rng)
    t = p.period
    n = 2 * t + 1
    rows = np.arange(t + 1, n)  # the repeated half
    target = np.zeros((n, n), bool)
    target[rows, rows - t + 1] = True
    mass = m["pattern_induction"][rows, rows - t + 1]
    tokens = m["tokens"]
    correct = m["logits"][:-1].argmax(axis=1) == tokens[1:]
    w_e = m["w_e"][:, : p.vocab]  # without BOS
    qk = w_e.T @ m["w_qk2"] @ m["w_ov1"] @ w_e
    ov = m["w_u"][: p.vocab] @ m["w_ov2"] @ w_e
    edges = np.array([
        composition(m["w_qk1"], m["w_p"]),  # positions -> previous-token head (query and key)
        composition(m["w_ov1"], w_e),  # tokens -> previous-token head (value)
        composition(m["w_qk2"], m["w_ov1"]),  # previous-token head -> induction head (K-comp)
        composition(m["w_qk2"].T, w_e),  # tokens -> induction head (query)
        composition(m["w_u"], m["w_ov2"]),  # induction head -> unembedding
        composition(m["w_u"], m["w_ov1"]),  # previous-token head -> unembedding (unused)
        composition(m["w_u"], w_e),  # direct path, embedding -> unembedding (unused)
    ])
    return {
        "tokens": ["BOS", *[str(int(k)) for k in tokens[1:]]],
        "token_ids": tokens,
        "period": t,
        "attention": m["pattern_induction"],
        "previous_token_attention": m["pattern_prev"],
        "induction_target": target,
        "causal_mask": np.tril(np.ones((n, n))),
        "induction_mass": float(mass.mean()),
        "induction_mass_by_position": mass,
        "target_mass": mass[None, :],
        "repeat_tokens": [str(int(k)) for k in tokens[t + 1:]],
        "second_half_accuracy": float(correct[t:].mean()),
        "first_half_accuracy": float(correct[:t].mean()),
        "vocab_ids": np.arange(p.vocab),
        "qk_circuit": qk,
        "ov_circuit": ov,
        "circuit_edges": edges,
        "qk_diagonal_share": float(np.trace(qk) / np.abs(qk).sum()),
        "ov_diagonal_share": float(np.trace(ov) / np.abs(ov).sum()),
    }


# -- QK and OV circuits of a trained one-layer attention model ----------------------------------


class CircuitParams(Params):
    """A skip-trigram task learned by a one-layer, one-head attention-only model."""

    classes: int = Field(4, ge=2, le=6, description="cue tokens, one per class of content tokens")
    per_class: int = Field(4, ge=2, le=6, description="content tokens in each class")
    context: int = Field(6, ge=3, le=12, description="content tokens before the cue")
    d_model: int = Field(16, ge=8, le=64)
    d_head: int = Field(8, ge=4, le=32)
    train: int = Field(512, ge=128, le=4096, description="training sequences (full batch)")
    steps: int = Field(120, ge=20, le=2000)
    lr: float = Field(0.05, ge=1e-4, le=0.3)


def _skip_trigrams(p: CircuitParams, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of content tokens then a cue; exactly one content token is of the cue's class.

    Token ids: cues 0..classes-1, content classes*(1 + c) ... (class c holds per_class ids).
    The answer is the *next* member of that class (cyclically): the head must find the member
    (QK: cue -> class) and write a different token than it read (OV: a shift within the class).
    """
    k, m, L = p.classes, p.per_class, p.context
    cue = rng.integers(0, k, count)
    member = rng.integers(0, m, count)
    seq = np.empty((count, L + 1), int)
    others = (cue[:, None] + rng.integers(1, k, (count, L))) % k  # classes other than the cue's
    seq[:, :L] = k + others * m + rng.integers(0, m, (count, L))
    slot = rng.integers(0, L, count)
    seq[np.arange(count), slot] = k + cue * m + member
    seq[:, L] = cue
    target = cue * m + (member + 1) % m  # index into the content vocabulary
    return seq, target


def circuit_loss_and_grads(params: dict[str, np.ndarray], seq: np.ndarray,
                           target: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Cross-entropy at the cue (last) position and its exact hand-written gradients.

    h = E[cue] + sum_j a_j E[x_j] W_V W_O ;  logits = h U ;  a = softmax(q K^T / sqrt(d_head)),
    q = E[cue] W_Q, K = E[x] W_K over every position (the cue included).
    """
    e, wq, wk, wv, wo, u = (params[n] for n in ("E", "WQ", "WK", "WV", "WO", "U"))
    b, n_pos = seq.shape
    d, dh = wq.shape
    scale = 1.0 / math.sqrt(dh)
    rows = np.arange(b)
    x = e[seq]  # (b, n, d)
    xc = x[:, -1]
    q = xc @ wq
    kk = x @ wk
    v = x @ wv
    s = (kk * q[:, None, :]).sum(axis=2) * scale
    s -= s.max(axis=1, keepdims=True)
    a = np.exp(s)
    a /= a.sum(axis=1, keepdims=True)
    z = (a[:, :, None] * v).sum(axis=1)
    h = xc + z @ wo
    logits = h @ u
    logits -= logits.max(axis=1, keepdims=True)
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    loss = float(-np.mean(np.log(prob[rows, target] + 1e-300)))
    dlog = prob.copy()
    dlog[rows, target] -= 1.0
    dlog /= b
    grads = {"U": h.T @ dlog}
    dh_ = dlog @ u.T
    grads["WO"] = z.T @ dh_
    dz = dh_ @ wo.T
    dv = a[:, :, None] * dz[:, None, :]
    da = (v * dz[:, None, :]).sum(axis=2)
    ds = a * (da - np.sum(a * da, axis=1, keepdims=True)) * scale
    dq = (ds[:, :, None] * kk).sum(axis=1)
    dk = ds[:, :, None] * q[:, None, :]
    grads["WQ"] = xc.T @ dq
    xf = x.reshape(b * n_pos, d)
    grads["WK"] = xf.T @ dk.reshape(b * n_pos, dh)
    grads["WV"] = xf.T @ dv.reshape(b * n_pos, dh)
    dx = dk @ wk.T + dv @ wv.T
    dx[:, -1] += dh_ + dq @ wq.T
    flat = np.zeros((b * n_pos, e.shape[0]))  # token one-hots scatter the embedding gradient
    flat[np.arange(b * n_pos), seq.ravel()] = 1.0
    grads["E"] = flat.T @ dx.reshape(b * n_pos, d)
    return loss, grads


def init_circuit_model(p: CircuitParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Gaussian weights scaled by fan-in."""
    k, m = p.classes, p.per_class
    d, dh = p.d_model, p.d_head
    return {
        "E": rng.normal(size=(k + k * m, d)) / math.sqrt(d),
        "WQ": rng.normal(size=(d, dh)) / math.sqrt(d),
        "WK": rng.normal(size=(d, dh)) / math.sqrt(d),
        "WV": rng.normal(size=(d, dh)) / math.sqrt(d),
        "WO": rng.normal(size=(dh, d)) / math.sqrt(dh),
        "U": rng.normal(size=(d, k * m)) / math.sqrt(d),
    }


def train_circuit_model(p: CircuitParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Full-batch Adam (betas 0.9, 0.999) on :func:`circuit_loss_and_grads`."""
    seq, target = _skip_trigrams(p, rng, p.train)
    params = init_circuit_model(p, rng)
    moments = {n: (np.zeros_like(v), np.zeros_like(v)) for n, v in params.items()}
    losses = []
    for step in range(1, p.steps + 1):
        loss, grads = circuit_loss_and_grads(params, seq, target)
        losses.append(loss)
        for n, g in grads.items():
            m1, m2 = moments[n]
            m1 *= 0.9
            m1 += 0.1 * g
            m2 *= 0.999
            m2 += 0.001 * g * g
            params[n] -= p.lr * (m1 / (1 - 0.9**step)) / (np.sqrt(m2 / (1 - 0.999**step)) + 1e-8)
    params["losses"] = np.asarray(losses)
    return params


@recipe("qk-ov-circuits", CircuitParams)
def qk_ov_circuits(p: CircuitParams, rng: np.random.Generator) -> Arrays:
    """Elhage et al. (2021): a one-layer attention-only model read as two token-by-token maps.

    The full QK circuit E W_Q W_K^T E^T (cue rows, content columns) says which token each cue
    attends to; the full OV circuit E W_V W_O U (content rows, output columns) says which logit
    a token raises when it is attended to.  Trained here on a skip-trigram task whose answer is
    the *next* member of the cue's class, so the two maps must differ: QK selects a class, OV
    shifts within it.  Edge weights of the graph are measured on fresh sequences: attention on
    the class member, the share of the answer's logit written by the head versus the direct
    path, and the share of content tokens whose OV row raises the right answer most.
    """
    k, m = p.classes, p.per_class
    w = train_circuit_model(p, rng)
    e, wq, wk, wv, wo, u = (w[n] for n in ("E", "WQ", "WK", "WV", "WO", "U"))
    cues, content = e[:k], e[k:]
    qk = cues @ wq @ wk.T @ content.T / math.sqrt(p.d_head)
    ov = content @ wv @ wo @ u
    shift = (np.arange(k * m) // m) * m + (np.arange(k * m) % m + 1) % m  # the right answer
    seq, target = _skip_trigrams(p, rng, 2048)
    x = e[seq]
    q = x[:, -1] @ wq
    s = np.einsum("bnh,bh->bn", x @ wk, q) / math.sqrt(p.d_head)
    a = np.exp(s - s.max(axis=1, keepdims=True))
    a /= a.sum(axis=1, keepdims=True)
    member_pos = np.argmax((seq[:, :-1] - k) // m == seq[:, -1:], axis=1)
    on_member = a[np.arange(len(seq)), member_pos]
    head = np.einsum("bn,bnh->bh", a, x @ wv) @ wo @ u
    direct = x[:, -1] @ u
    logits = head + direct
    rows = np.arange(len(seq))

    def margin(lg: np.ndarray) -> np.ndarray:
        return lg[rows, target] - lg.mean(axis=1)

    head_part, direct_part = np.abs(margin(head)).mean(), np.abs(margin(direct)).mean()
    ov_right = ov.argmax(axis=1) == shift
    qk_class = np.argsort(-qk, axis=1)[:, :m] // m == np.arange(k)[:, None]
    edges = np.array([
        float(on_member.mean()),  # cue -> head: the QK circuit finds the class member
        float(ov_right.mean()),  # context -> head: OV rows that raise the right answer
        float(head_part / (head_part + direct_part)),  # head -> unembedding
        float(direct_part / (head_part + direct_part)),  # cue -> unembedding, direct path
    ])
    cls = np.arange(k * m) // m
    return {
        "qk_circuit": qk, "ov_circuit": ov, "circuit_edges": edges,
        "cue_labels": [f"cue {c}" for c in range(k)],
        "content_labels": [f"{'ABCDEF'[c]}{i}" for c in range(k) for i in range(m)],
        "answer": shift.astype(float), "ov_argmax": ov.argmax(axis=1).astype(float),
        "ov_correct": ov_right.astype(float), "ov_identity_hits": float(np.mean(ov.argmax(axis=1) == np.arange(k * m))),
        "qk_class_hits": qk_class.astype(float), "qk_own_class_mean": float(np.mean(qk[cls[None, :] == np.arange(k)[:, None]])),
        "qk_other_class_mean": float(np.mean(qk[cls[None, :] != np.arange(k)[:, None]])),
        "ov_accent": (np.arange(k * m)[None, :] == shift[:, None]).astype(float),
        "qk_accent": (cls[None, :] == np.arange(k)[:, None]).astype(float),
        "attention_on_member": float(on_member.mean()),
        "test_accuracy": float(np.mean(logits.argmax(axis=1) == target)),
        "direct_accuracy": float(np.mean(direct.argmax(axis=1) == target)),
        "head_share": float(edges[2]), "direct_share": float(edges[3]),
        "final_loss": float(w["losses"][-1]), "losses": w["losses"],
        "qk_ov_correlation": float(np.corrcoef(np.abs(qk).ravel()[: k * m], np.abs(ov[:k]).ravel()[: k * m])[0, 1]),
    }
