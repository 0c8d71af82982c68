"""Recipes of the architectures family: building blocks computed exactly.

Sinusoidal positions are a closed form; the attention head is wired by hand from two facts
about its inputs (hashed token vectors are nearly orthogonal, and a sinusoidal code of position
i - 1 is a fixed rotation of the code of position i), so every cell of its pattern can be
explained, and the plate says it was not trained.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable

import numpy as np
from pydantic import Field, field_validator, model_validator

from teeprint.recipes import Arrays, Params, recipe


def sinusoidal_frequencies(dim: int, base: float = 10000.0) -> np.ndarray:
    """The angular frequencies of the sinusoidal code: base^(-2k/dim) for k < dim/2."""
    return base ** (-2.0 * np.arange(dim // 2) / dim)


def sinusoidal_encoding(positions: int, dim: int, base: float = 10000.0) -> np.ndarray:
    """Vaswani et al. (2017): PE[p, 2k] = sin(p w_k), PE[p, 2k+1] = cos(p w_k)."""
    omega = sinusoidal_frequencies(dim, base)
    angle = np.arange(positions)[:, None] * omega[None, :]
    pe = np.empty((positions, dim))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle)
    return pe


def shift_rotation(dim: int, shift: int, base: float = 10000.0) -> np.ndarray:
    """The linear map R with R @ PE[p] = PE[p + shift] for every position p.

    Each (sin, cos) pair is a point on a circle turning at its own frequency, so moving by a
    fixed number of positions is a fixed block rotation: the property that lets attention
    address relative positions with a linear query.
    """
    rot = np.zeros((dim, dim))
    for k, w in enumerate(sinusoidal_frequencies(dim, base)):
        c, s = math.cos(shift * w), math.sin(shift * w)
        i = 2 * k
        # sin(a + d) = sin a cos d + cos a sin d ; cos(a + d) = cos a cos d - sin a sin d
        rot[i, i], rot[i, i + 1] = c, s
        rot[i + 1, i], rot[i + 1, i + 1] = -s, c
    return rot


class PositionalEncodingParams(Params):
    """Size of the sinusoidal table."""

    positions: int = Field(48, ge=4, le=256)
    dim: int = Field(64, ge=4, le=256)
    base: float = Field(10000.0, ge=10.0, le=1e6)

    @field_validator("dim")
    @classmethod
    def _even(cls, v: int) -> int:
        if v % 2:
            msg = "dim must be even (sin and cos come in pairs)"
            raise ValueError(msg)
        return v


@recipe("positional-encoding", PositionalEncodingParams)
def positional_encoding(p: PositionalEncodingParams, rng: np.random.Generator) -> Arrays:
    """The sinusoidal position table (exact; the generator is unused).

    Fast dimensions on the left flicker from row to row; slow ones on the right barely move, so
    every row is a distinct code and nearby rows look alike.
    """
    pe = sinusoidal_encoding(p.positions, p.dim, p.base)
    omega = sinusoidal_frequencies(p.dim, p.base)
    return {
        "pe": pe,
        "position": np.arange(p.positions),
        "dimension": np.arange(p.dim),
        "wavelength": 2 * math.pi / omega,
        "similarity": pe @ pe.T,
    }


class AttentionParams(Params):
    """A short sentence and the strengths of the two hand-wired behaviours of one head."""

    sentence: str = Field("the cat sat on the mat and the cat slept", min_length=3, max_length=120)
    token_dim: int = Field(24, ge=4, le=64, description="dimensions for the hashed token vectors")
    position_dim: int = Field(8, ge=2, le=64)
    position_base: float = Field(10.0, ge=2.0, le=10000.0)
    head_dim: int = Field(32, ge=6, le=128, description="at least token_dim + position_dim")
    same_token: float = Field(16.0, ge=0.0, le=40.0, description="gain of 'attend to the same word'")
    avoid_self: float = Field(4.0, ge=0.0, le=40.0, description="gain of 'not my own position'")
    causal: bool = True

    @model_validator(mode="after")
    def _fits(self) -> AttentionParams:
        if self.head_dim < self.token_dim + self.position_dim:
            msg = "head_dim must be at least token_dim + position_dim (the wiring must fit)"
            raise ValueError(msg)
        return self

    @field_validator("sentence")
    @classmethod
    def _length(cls, v: str) -> str:
        n = len(v.split())
        if not 2 <= n <= 16:
            msg = f"the sentence needs 2 to 16 words separated by spaces, has {n}"
            raise ValueError(msg)
        return v

    @field_validator("position_dim")
    @classmethod
    def _even(cls, v: int) -> int:
        if v % 2:
            msg = "position_dim must be even (sin and cos come in pairs)"
            raise ValueError(msg)
        return v


def token_vector(token: str, dim: int, salt: int) -> np.ndarray:
    """A unit-variance vector from a seeded hash of the token string: same word, same vector."""
    gen = np.random.default_rng([salt, zlib.crc32(token.encode("utf-8"))])
    return gen.normal(size=dim)


def softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax that treats -inf as 'masked' (weight exactly 0)."""
    top = scores.max(axis=1, keepdims=True)
    e = np.exp(scores - top)
    return e / e.sum(axis=1, keepdims=True)


@recipe("attention-qkv", AttentionParams)
def attention_qkv(p: AttentionParams, rng: np.random.Generator) -> Arrays:
    """softmax(Q K^T / sqrt(d)) V for one hand-wired head over a short sentence.

    The residual stream of each token is its hashed word vector and its sinusoidal position in
    separate subspaces.  Keys read both halves as they are; queries read the word half as it is
    (so a word matches earlier copies of itself) and the position half rotated one step back
    (so position i matches position i - 1).  A random orthogonal map carries both into the head
    dimension, so Q and K look like any head's while their dot products keep the wiring.
    Values are the word half, projected the same way.
    """
    tokens = p.sentence.split()
    n = len(tokens)
    salt = int(rng.integers(2**32))
    d_tok, d_pos = p.token_dim, p.position_dim
    emb = np.stack([token_vector(t, d_tok, salt) for t in tokens]) / math.sqrt(d_tok)
    pe = sinusoidal_encoding(n, d_pos, p.position_base) / math.sqrt(d_pos / 2)
    x = np.concatenate([emb, pe], axis=1)  # both halves have norm about 1
    d_model = d_tok + d_pos
    wire_q = np.zeros((d_model, d_model))
    wire_q[:d_tok, :d_tok] = p.same_token * np.eye(d_tok)
    wire_q[d_tok:, d_tok:] = -p.avoid_self * np.eye(d_pos)
    wire_k = np.eye(d_model)
    # One orthogonal map into the head (orthonormal columns) keeps every Q.K dot product.
    basis, _ = np.linalg.qr(rng.normal(size=(p.head_dim, d_model)))
    gain = p.head_dim ** 0.25  # so that Q K^T / sqrt(d_head) equals the wired scores
    q = x @ wire_q.T @ basis.T * gain
    k = x @ wire_k.T @ basis.T * gain
    v = np.concatenate([emb, np.zeros((n, d_pos))], axis=1) @ basis.T
    scores = q @ k.T / math.sqrt(p.head_dim)
    if p.causal:
        scores = np.where(np.tril(np.ones((n, n), bool)), scores, -np.inf)
    pattern = softmax_rows(scores)
    same = np.array([[tokens[i] == tokens[j] and j < i for j in range(n)] for i in range(n)])
    return {
        "tokens": tokens,
        "Q": q,
        "K": k,
        "V": v,
        "scores": np.where(np.isfinite(scores), scores, np.nan),
        "pattern": pattern,
        "output": pattern @ v,
        "same_word_earlier": same,
        "previous_position": np.eye(n, k=-1, dtype=bool),
        "causal_mask": np.tril(np.ones((n, n))) if p.causal else np.ones((n, n)),
    }


# -- activation functions (closed form) ----------------------------------------------------------


def _phi(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF, via erf (exact to float precision)."""
    from scipy.special import erf

    return 0.5 * (1.0 + erf(x / math.sqrt(2.0)))


_SELU_ALPHA = 1.6732632423543772
_SELU_LAMBDA = 1.0507009873554805


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


#: name -> (f, f') for the activation table; derivatives are exact, not finite differences.
ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1.0, 0.01)),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
            lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))),
    "selu": (lambda x: _SELU_LAMBDA * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
             lambda x: _SELU_LAMBDA * np.where(x > 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(x, 0.0)))),
    "gelu": (lambda x: x * _phi(x),
             lambda x: _phi(x) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
    "silu": (lambda x: x * _sigmoid(x),
             lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    "softplus": (lambda x: np.logaddexp(0.0, x), _sigmoid),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
}


class ActivationParams(Params):
    """Which activations to tabulate, on which interval."""

    functions: tuple[str, ...] = Field(("relu",), min_length=1, max_length=6)
    x_min: float = Field(-4.0, ge=-20.0, le=0.0)
    x_max: float = Field(4.0, ge=0.5, le=20.0)
    points: int = Field(801, ge=51, le=4001)

    @field_validator("functions")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [f for f in v if f not in ACTIVATIONS]
        if bad:
            msg = f"unknown activation {bad[0]!r}; known: {', '.join(ACTIVATIONS)}"
            raise ValueError(msg)
        return v


@recipe("activations", ActivationParams)
def activations(p: ActivationParams, rng: np.random.Generator) -> Arrays:
    """Activation functions and their exact derivatives on a grid (the generator is unused).

    For each function ``f`` the arrays are ``f`` and ``d_f``, and the scalars ``f_min`` /
    ``f_argmin`` (the lowest point on the grid: the dip of GELU and SiLU), ``f_zero_share``
    (the share of N(0, 1) inputs the function maps to exactly zero or below 1e-12 in
    magnitude, by quadrature on a fine grid) and ``f_at_minus_3``/``f_at_3``.
    """
    x = np.linspace(p.x_min, p.x_max, p.points)
    out: Arrays = {"x": x}
    z = np.linspace(-8.0, 8.0, 32001)
    density = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    dz = z[1] - z[0]
    for name in p.functions:
        f, df = ACTIVATIONS[name]
        y = f(x)
        out[name] = y
        out[f"d_{name}"] = df(x)
        k = int(np.argmin(y))
        out[f"{name}_min"] = float(y[k])
        out[f"{name}_argmin"] = float(x[k])
        out[f"{name}_zero_share"] = float(np.sum(density * (np.abs(f(z)) < 1e-12)) * dz)
        fz = f(z)
        out[f"{name}_mean_gauss"] = float(np.sum(density * fz) * dz)
        out[f"{name}_var_gauss"] = float(np.sum(density * fz * fz) * dz - out[f"{name}_mean_gauss"] ** 2)
    return out


class MaxoutParams(Params):
    """Maxout units approximating a convex target by the max of k tangent lines."""

    pieces: tuple[int, ...] = Field((2, 3, 6), min_length=1, max_length=4)
    x_max: float = Field(2.0, ge=0.5, le=10.0)
    points: int = Field(801, ge=51, le=4001)

    @field_validator("pieces")
    @classmethod
    def _range(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= k <= 64 for k in v):
            msg = "pieces must be between 1 and 64"
            raise ValueError(msg)
        return v


@recipe("maxout", MaxoutParams)
def maxout(p: MaxoutParams, rng: np.random.Generator) -> Arrays:
    """Goodfellow et al. (2013): a maxout unit max_k (w_k x + b_k) is convex and piecewise
    linear, so k tangents of x^2 at evenly spaced points approximate it from below; the worst
    gap between neighbouring tangents is (spacing / 2)^2, shrinking as 1/k^2."""
    x = np.linspace(-p.x_max, p.x_max, p.points)
    out: Arrays = {"x": x, "target": x * x}
    errors = []
    for k in p.pieces:
        t = np.linspace(-p.x_max, p.x_max, k) if k > 1 else np.zeros(1)
        lines = 2 * t[None, :] * x[:, None] - (t * t)[None, :]  # tangent of x^2 at t
        y = lines.max(axis=1)
        out[f"maxout_{k}"] = y
        err = float(np.max(x * x - y))
        out[f"error_{k}"] = err
        errors.append(err)
    out["pieces"] = np.asarray(p.pieces, float)
    out["max_error"] = np.asarray(errors)
    return out


class GateSurfaceParams(Params):
    """A gated unit over a two-dimensional input (a, b)."""

    gate: str = Field("silu", description="activation applied to a (see the activations table)")
    extent: float = Field(3.0, ge=0.5, le=10.0)
    grid: int = Field(121, ge=21, le=401)

    @field_validator("gate")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in ACTIVATIONS:
            msg = f"unknown activation {v!r}; known: {', '.join(ACTIVATIONS)}"
            raise ValueError(msg)
        return v


@recipe("gated-unit", GateSurfaceParams)
def gated_unit(p: GateSurfaceParams, rng: np.random.Generator) -> Arrays:
    """Dauphin et al. (2017), Shazeer (2020): GLU-style units multiply a gated branch by a
    linear one, out = act(a) * b.  The surface over (a, b) is a saddle-like sheet whose zero
    set is the line b = 0 plus where act(a) = 0; its sign flips with b."""
    g = np.linspace(-p.extent, p.extent, p.grid)
    a, b = np.meshgrid(g, g)  # rows: b, columns: a
    f, _ = ACTIVATIONS[p.gate]
    out = f(a) * b
    zero_b = np.column_stack([g, np.zeros_like(g)])
    return {"grid_x": g, "grid_y": g, "glu": out, "zero_line": zero_b, "gate_on_a": f(g), "extent": p.extent,
            "glu_max": float(out.max()), "glu_min": float(out.min()),
            "corner_ratio": float(abs(out[0, 0]) / abs(out[0, -1]))}


class MomentMapParams(Params):
    """Iterate the mean and variance of one layer's units through depth (closed form)."""

    functions: tuple[str, ...] = Field(("selu", "relu", "tanh"), min_length=1, max_length=4)
    starts: tuple[float, ...] = Field((0.25, 4.0), min_length=1, max_length=4, description="input variances")
    layers: int = Field(12, ge=2, le=64)

    @field_validator("functions")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return ActivationParams._known(v)

    @field_validator("starts")
    @classmethod
    def _positive(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 1e-3 <= s <= 100.0 for s in v):
            msg = "starting variances must lie in 0.001..100"
            raise ValueError(msg)
        return v


@recipe("moment-map", MomentMapParams)
def moment_map(p: MomentMapParams, rng: np.random.Generator) -> Arrays:
    """Klambauer et al. (2017): with weights of zero sum and unit sum of squares, a unit's
    pre-activation is N(0, v) when its inputs have variance v, so the next layer's variance is
    Var f(z), z ~ N(0, v).  Iterated by exact quadrature; SELU's map has the fixed point 1.

    Arrays: ``layer`` (0..layers) and ``var_<f>_<i>`` for start i, ``mean_<f>_<i>`` alike.
    """
    z = np.linspace(-10.0, 10.0, 20001)
    w = np.exp(-z * z / 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
    out: Arrays = {"layer": np.arange(p.layers + 1), "starts": np.asarray(p.starts)}
    for name in p.functions:
        f, _ = ACTIVATIONS[name]
        for i, v0 in enumerate(p.starts):
            v = v0
            means, vars_ = [0.0], [v0]
            for _ in range(p.layers):
                y = f(math.sqrt(v) * z)
                m = float(np.sum(w * y))
                v = float(np.sum(w * y * y) - m * m)
                means.append(m)
                vars_.append(v)
            out[f"var_{name}_{i}"] = np.asarray(vars_)
            out[f"mean_{name}_{i}"] = np.asarray(means)
    return out
