"""Recipes of the architectures family: building blocks computed exactly.

Sinusoidal positions are a closed form; the attention head is wired by hand from two facts
about its inputs (hashed token vectors are nearly orthogonal, and a sinusoidal code of position
i - 1 is a fixed rotation of the code of position i), so every cell of its pattern can be
explained, and the plate says it was not trained.
"""

from __future__ import annotations

import math
import zlib

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
    }
