"""Systems and efficiency: the arithmetic of running models, from exact counts and formulas.

Two recipes share one table-driven design: a parameter ``experiment`` names a row of
:data:`FORMULAS` (``sys-formula``, curves on a shared axis for ``curve-vs-scale``) or of
:data:`COUNTS` (``sys-counts``, exact counts per group and part for ``stacked-bars``).  Every
setting is a bounded field of :class:`SysParams`; an experiment lists the settings it reads and
naming another one is an error.  Nothing here uses the generator except ``winograd`` (one random
input to check the fast algorithm against direct convolution).

``sys-formula`` experiments and their arrays:

* ``roofline`` -- ``intensity`` (FLOP/byte), ``attainable`` = min(peak, bandwidth x intensity)
  in TFLOP/s, ``ridge`` = peak / bandwidth; kernels counted at minimum traffic (each operand read
  once, fp16): ``kernel_intensity``, ``kernel_attainable``, ``kernel_bound`` (1 = compute-bound),
  and ``vecadd_i``, ``gemv_i``, ``gemm_batch_i``, ``gemm_i`` one by one.
* ``kv-cache`` -- ``context``; ``cache_i`` (GB) = 2 x layers x kv_heads[i] x head_dim x context x
  bytes x batch; ``weights_gb`` = params x bytes; ``cross_i`` the context where cache_i equals the
  weights; ``per_token_i`` (MB per token); ``bars`` (contexts in ``context_list`` x configs, GB)
  and ``bar_labels``.
* ``amdahl`` -- ``processors``; ``speedup`` (rows, one per parallel fraction) = 1 / ((1-f) + f/N);
  ``limit`` = 1/(1-f); ``speedup_i`` row by row; ``fractions``.
* ``attention-share`` -- ``seq``; ``share`` (rows, one per width) = 4 n d / (4 n d + 24 d^2), the
  share of a layer's forward FLOPs per token spent on the attention scores and weighted sum;
  ``half_at`` = 6 d (where the share is one half); ``widths``; ``quarter`` (the share's quarter,
  0-3, for a regions map), ``log2_seq``, ``log2_width``.
* ``checkpointing`` -- ``segments`` k = 1..layers; ``memory`` = k + layers / k (stored
  checkpoints plus one segment's activations, in layer activations); ``recompute`` = layers - k
  (extra layer forwards); ``best_k``, ``best_memory``, ``sqrt_layers``, ``layers``.
* ``speculative`` -- ``alpha``; ``speedup`` rows = (1 - a^(g+1)) / ((1 - a)(g c + 1)), one per draft
  length g (Leviathan et al. 2023, eq. 1 and theorem 3.8); ``speedup_i``; ``tokens_i`` (expected
  tokens per target call); ``gammas``; ``break_even_i`` (the acceptance rate above which draft
  length i is faster than plain decoding).
* ``formats`` -- exact value grids of fp32, bf16, fp16, fp8 E4M3 and E5M2 decoded from their bit
  fields: per format f, ``x_f`` (binade end points of the positive finite values) and ``gap_f``
  (distance to the next representable value divided by the value, exact between end points since
  both are linear in log-log within a binade), ``max_f``, ``min_normal_f``, ``min_sub_f``,
  ``eps_f`` (spacing at 1), ``count_f`` (positive finite values).
* ``affine-quant`` -- ``x``; ``dequant`` = s (clamp(round(x/s) + z, 0, 2^b - 1) - z); ``error`` =
  dequant - x; ``scale`` s = (hi - lo)/(2^b - 1), ``zero_point`` z = round(-lo/s), ``half_step`` s/2,
  ``inside`` (x within [lo, hi]), ``lo``, ``hi``, ``levels``.
* ``decode-batch`` -- ``batch``; a decode step of a dense model of ``params_billion`` fp16
  weights on the stated peak and bandwidth takes max(weight bytes / bandwidth, 2 N b / peak):
  ``latency_ms``, ``throughput`` (tokens/s), ``per_sequence`` (tokens/s each sequence sees), ``knee`` (batch where both terms are equal).

* ``flash-io`` -- ``seq``; HBM element reads and writes of one attention head: ``standard``
  (Dao et al. 2022, algorithm 0: 4 N d + 4 N^2) and ``flash`` (algorithm 1 with block sizes
  B_c = ceil(M / 4d), B_r = min(B_c, d): 3 N d + 2 N + (N / B_c) N (3 d + 4)), ``ratio``.
* ``blocked-matmul`` -- ``tile`` b up to sqrt(M / 3) (three b x b tiles in fast memory);
  ``traffic`` = 2 n^3 / b + 2 n^2 words for an n x n product, ``untiled`` = 2 n^3 + 2 n^2
  (no reuse), ``reuse``, ``b_max``.

* ``allreduce-time`` -- ``bytes``; all-reduce time on ``devices`` in the latency-bandwidth model
  (Thakur et al. 2005): ring 2(p-1) alpha + 2(p-1)/p n beta (``ring_ms``), recursive doubling
  log2 p (alpha + n beta) (``doubling_ms``); ``crossover`` (bytes where they cost the same).

``sys-counts`` experiments (``values`` (groups, parts), ``groups`` labels, ``totals``):

* ``zero`` -- bytes per device of mixed-precision Adam under ZeRO stages (Rajbhandari et al.
  2020): parts fp16 parameters (2 psi), fp16 gradients (2 psi), optimizer states (K psi, K = 12);
  groups: data parallel, P_os, P_os+g, P_os+g+p with ``devices`` data-parallel ranks.
* ``train-flops`` -- training FLOPs per token divided by the parameter count N = 12 layers d^2 for
  model shapes ``layer_list`` x ``width_list``: forward 2, backward 4, attention 6 layers ctx d / N.
* ``lora`` -- trainable parameters of adapting W_q and W_v in every layer: full fine-tuning of those
  matrices (2 layers d^2) against LoRA r (d + d) for each rank in ``ranks``.
* ``winograd`` -- multiplications per output of a 2-D r x r convolution: direct r^2 against
  Winograd F(m x m, r x r), (m + r - 1)^2 / m^2, for each m in ``tiles``; the 1-D F(2, 3)
  algorithm is run on a random input (``winograd_error`` against direct correlation).
* ``activation-memory`` -- GiB of one transformer layer's stored activations per context in
  ``context_list`` (Korthikanti et al. 2023, eq. 1, 16-bit): parts 34 s b h (linear layers, norms,
  dropout masks) and 5 a s^2 b (attention scores, softmax, its dropout); ``equal_at`` = 34 h / 5 a.
* ``optimizer-memory`` -- bytes per parameter (weights, gradients, fp32 master, first and second
  moment) of fp32 Adam, mixed-precision Adam, 8-bit Adam and Adafactor without momentum (second
  moment factored for a ``d_model`` x ``d_model`` matrix).
* ``fusion`` -- tensor passes over memory (reads, writes) of bias add, GeLU, dropout, residual add
  and layer norm run one kernel each, and of the same chain fused into one kernel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe


class SysParams(Params):
    """Which experiment, and the settings (each bounded) it reads."""

    experiment: str = Field(max_length=40)
    points: int = Field(400, ge=20, le=4000, description="grid points of the shared axis")
    peak_tflops: float = Field(312.0, ge=0.1, le=10000.0, description="peak dense FLOP/s, in TFLOP/s")
    bandwidth_gbs: float = Field(1555.0, ge=1.0, le=100000.0, description="memory bandwidth, GB/s")
    layers: int = Field(80, ge=1, le=512)
    d_model: int = Field(8192, ge=16, le=65536)
    head_dim: int = Field(128, ge=8, le=1024)
    kv_heads: tuple[int, ...] = Field((64, 8, 1), min_length=1, max_length=6)
    bytes_per_value: float = Field(2.0, ge=0.5, le=8.0)
    batch: int = Field(1, ge=1, le=4096)
    params_billion: float = Field(70.0, gt=0.0, le=10000.0)
    context_min: int = Field(128, ge=1, le=10**7)
    context_max: int = Field(1_048_576, ge=2, le=10**8)
    fractions: tuple[float, ...] = Field((0.5, 0.9, 0.95, 0.99), min_length=1, max_length=6)
    processors_max: int = Field(4096, ge=2, le=10**7)
    widths: tuple[int, ...] = Field((768, 4096, 12288), min_length=1, max_length=12)
    gammas: tuple[int, ...] = Field((1, 3, 7), min_length=1, max_length=6)
    cost_ratio: float = Field(0.1, ge=0.0, le=1.0, description="draft cost over target cost")
    bits: int = Field(3, ge=1, le=16)
    lo: float = Field(-1.0, ge=-1000.0, le=0.0)
    hi: float = Field(2.0, ge=0.0, le=1000.0)
    batch_max: int = Field(4096, ge=2, le=10**6)
    devices: int = Field(64, ge=1, le=100000)
    optimizer_bytes: float = Field(12.0, ge=0.0, le=64.0, description="K: optimizer bytes per parameter")
    layer_list: tuple[int, ...] = Field((12, 24, 40, 96), min_length=1, max_length=8)
    width_list: tuple[int, ...] = Field((768, 2048, 5120, 12288), min_length=1, max_length=8)
    context: int = Field(2048, ge=1, le=10**7)
    ranks: tuple[int, ...] = Field((1, 8, 64), min_length=1, max_length=8)
    tiles: tuple[int, ...] = Field((2, 4, 6), min_length=1, max_length=6)
    kernel: int = Field(3, ge=2, le=7)
    sram_elements: int = Field(98304, ge=256, le=10**8, description="fast memory, in elements")
    heads: int = Field(64, ge=1, le=256)
    latency_us: float = Field(5.0, ge=0.01, le=10000.0, description="per-message latency alpha, microseconds")
    link_gbs: float = Field(25.0, ge=0.01, le=10000.0, description="link bandwidth 1/beta, GB/s")
    context_list: tuple[int, ...] = Field((1024, 2048, 4096, 8192), min_length=1, max_length=8)


Fn = Callable[[SysParams, np.random.Generator], Arrays]


@dataclass(frozen=True)
class Experiment:
    """One row of a table: the function and the settings it reads."""

    fn: Fn
    reads: frozenset[str]


FORMULAS: dict[str, Experiment] = {}
COUNTS: dict[str, Experiment] = {}


def formula(table: dict[str, Experiment], name: str, reads: str = "") -> Callable[[Fn], Fn]:
    """Record ``fn`` as experiment ``name`` of ``table``, reading the named settings."""

    def record(fn: Fn) -> Fn:
        table[name] = Experiment(fn, frozenset(reads.split()))
        return fn

    return record


def run_table(table: dict[str, Experiment], recipe_name: str, p: SysParams,
              rng: np.random.Generator) -> Arrays:
    """Run the experiment ``p`` names, refusing settings it does not read."""
    if p.experiment not in table:
        msg = f"{recipe_name}: unknown experiment {p.experiment!r}; known: {', '.join(sorted(table))}"
        raise ValueError(msg)
    exp = table[p.experiment]
    stray = sorted(p.model_fields_set - {"experiment"} - exp.reads)
    if stray:
        msg = (f"{recipe_name}: experiment {p.experiment!r} does not read {', '.join(stray)}; "
               f"it reads: {', '.join(sorted(exp.reads)) or 'no settings'}")
        raise ValueError(msg)
    return exp.fn(p, rng)


# ----------------------------------------------------------------------------- formulas


@formula(FORMULAS, "roofline", "points peak_tflops bandwidth_gbs d_model batch")
def _roofline(p: SysParams, rng: np.random.Generator) -> Arrays:
    intensity = np.logspace(-1, 4, p.points)
    peak = p.peak_tflops * 1e12
    bw = p.bandwidth_gbs * 1e9
    attainable = np.minimum(peak, bw * intensity) / 1e12
    n = float(p.d_model)
    b = float(p.batch)
    # minimum-traffic counts, fp16 operands (2 bytes), multiply-add = 2 FLOPs
    vecadd = n / (3 * 2 * n)                                  # z = x + y
    gemv = 2 * n * n / (2 * (n * n + 2 * n))                  # y = W x, one token
    gemm_batch = 2 * b * n * n / (2 * (n * n + 2 * b * n))    # Y = W X, b tokens
    gemm = 2 * n**3 / (2 * 3 * n * n)                         # C = A B, square
    ki = np.array([vecadd, gemv, gemm_batch, gemm])
    ka = np.minimum(peak, bw * ki) / 1e12
    return {"intensity": intensity, "attainable": attainable, "ridge": peak / bw,
            "peak": p.peak_tflops, "kernel_intensity": ki, "kernel_attainable": ka,
            "kernel_bound": (ki >= peak / bw).astype(float), "vecadd_i": vecadd, "gemv_i": gemv,
            "gemm_batch_i": gemm_batch, "gemm_i": gemm, "batch": b, "n": n}


@formula(FORMULAS, "kv-cache", "points layers head_dim kv_heads bytes_per_value batch params_billion "
                               "context_min context_max context_list")
def _kv_cache(p: SysParams, rng: np.random.Generator) -> Arrays:
    context = np.geomspace(p.context_min, p.context_max, p.points)
    weights = p.params_billion * 1e9 * p.bytes_per_value / 1e9
    out: Arrays = {"context": context, "weights_gb": weights, "weights_line": np.full(p.points, weights),
                   "kv_heads": np.array(p.kv_heads, float)}
    for i, h in enumerate(p.kv_heads):
        per_token = 2 * p.layers * h * p.head_dim * p.bytes_per_value * p.batch
        out[f"cache_{i}"] = per_token * context / 1e9
        out[f"per_token_{i}"] = per_token / 1e6
        out[f"cross_{i}"] = weights * 1e9 / per_token
    ctx = np.array(p.context_list, float)
    per = np.array([2 * p.layers * h * p.head_dim * p.bytes_per_value * p.batch for h in p.kv_heads])
    out["bars"] = ctx[:, None] * per[None, :] / 1e9
    out["bar_labels"] = np.array([f"{int(c) // 1024}K" if c >= 1024 else f"{int(c)}" for c in ctx])
    return out


@formula(FORMULAS, "amdahl", "points fractions processors_max")
def _amdahl(p: SysParams, rng: np.random.Generator) -> Arrays:
    n = np.geomspace(1, p.processors_max, p.points)
    f = np.array(p.fractions)
    speedup = 1.0 / ((1 - f[:, None]) + f[:, None] / n[None, :])
    out: Arrays = {"processors": n, "speedup": speedup, "fractions": f,
                   "limit": 1.0 / np.maximum(1 - f, 1e-12)}
    for i in range(f.size):
        out[f"speedup_{i}"] = speedup[i]
        out[f"limit_{i}"] = float(out["limit"][i])
    return out


@formula(FORMULAS, "attention-share", "points widths context_min context_max")
def _attention_share(p: SysParams, rng: np.random.Generator) -> Arrays:
    n = np.geomspace(p.context_min, p.context_max, p.points)
    d = np.array(p.widths, float)
    attn = 4 * n[None, :] * d[:, None]          # QK^T and AV, per token, multiply-add = 2
    dense = 24 * d[:, None] ** 2 * np.ones_like(n)[None, :]   # Q, K, V, O (8 d^2) + MLP 4d (16 d^2)
    share = attn / (attn + dense)
    out: Arrays = {"seq": n, "share": share, "widths": d, "half_at": 6 * d,
                   "quarter": np.clip(np.floor(share * 4), 0, 3), "log2_seq": np.log2(n),
                   "log2_width": np.log2(d)}
    for i in range(d.size):
        out[f"share_{i}"] = share[i]
        out[f"half_at_{i}"] = 6 * d[i]
    return out


@formula(FORMULAS, "checkpointing", "layers")
def _checkpointing(p: SysParams, rng: np.random.Generator) -> Arrays:
    k = np.arange(1, p.layers + 1, dtype=float)
    memory = k + p.layers / k
    best = int(np.argmin(memory))
    return {"segments": k, "memory": memory, "recompute": p.layers - k, "best_k": k[best],
            "best_memory": memory[best], "sqrt_layers": math.sqrt(p.layers), "layers": float(p.layers),
            "store_all": float(p.layers)}


@formula(FORMULAS, "speculative", "points gammas cost_ratio")
def _speculative(p: SysParams, rng: np.random.Generator) -> Arrays:
    a = np.linspace(0.0, 0.99, p.points)
    c = p.cost_ratio
    g = np.array(p.gammas, float)
    tokens = (1 - a[None, :] ** (g[:, None] + 1)) / (1 - a[None, :])
    speed = tokens / (g[:, None] * c + 1)
    out: Arrays = {"alpha": a, "speedup": speed, "tokens": tokens, "gammas": g, "cost_ratio": c,
                   "one": np.ones_like(a)}
    for i in range(g.size):
        out[f"speedup_{i}"] = speed[i]
        out[f"tokens_{i}"] = tokens[i]
        above = np.nonzero(speed[i] > 1)[0]
        out[f"break_even_{i}"] = float(a[above[0]]) if above.size else float("nan")
        out[f"best_{i}"] = float(speed[i, -1])
    return out


#: (exponent bits, mantissa bits, bias, kind): "ieee" reserves the top exponent for inf/NaN,
#: "fn" (E4M3) keeps it for numbers except the all-ones pattern, which is NaN.
FORMATS: dict[str, tuple[int, int, int, str]] = {
    "fp32": (8, 23, 127, "ieee"),
    "bf16": (8, 7, 127, "ieee"),
    "fp16": (5, 10, 15, "ieee"),
    "e5m2": (5, 2, 15, "ieee"),
    "e4m3": (4, 3, 7, "fn"),
}


def decode(ebits: int, mbits: int, bias: int, kind: str, e: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Positive values of exponent field ``e`` and mantissa field ``m``; NaN for non-numbers."""
    e = np.asarray(e, np.int64)
    m = np.asarray(m, np.int64)
    frac = m.astype(float) / 2.0**mbits
    val = np.where(e == 0, frac * 2.0 ** (1 - bias), (1 + frac) * np.exp2((e - bias).astype(float)))
    top = 2**ebits - 1
    bad = (e == top) if kind == "ieee" else ((e == top) & (m == 2**mbits - 1))
    return np.where(bad, np.nan, val)


def format_grid(name: str) -> dict[str, Any]:
    """Binade end points of a format's positive finite values with their relative gaps."""
    ebits, mbits, bias, kind = FORMATS[name]
    top_m = 2**mbits - 1
    es, ms = [], []
    for e in range(2**ebits):
        # end points suffice (value and gap are log-linear within a binade), except the top
        # binade of an "fn" format, whose last pattern is NaN: there every pattern is listed
        whole = kind == "fn" and e == 2**ebits - 1
        for m in (range(top_m + 1) if whole else (1, top_m) if e == 0 else (0, top_m)):
            es.append(e)
            ms.append(m)
    e_a, m_a = np.array(es), np.array(ms)
    val = decode(ebits, mbits, bias, kind, e_a, m_a)
    # the next value: same exponent, mantissa + 1 (a carry moves to the next binade exactly)
    nxt = np.where(m_a == top_m, decode(ebits, mbits, bias, kind, e_a + 1, np.zeros_like(m_a)),
                   decode(ebits, mbits, bias, kind, e_a, m_a + 1))
    ok = np.isfinite(val) & np.isfinite(nxt)
    x, gap = val[ok], (nxt[ok] - val[ok]) / val[ok]
    finite = val[np.isfinite(val)]
    n_nan = 1 if kind == "fn" else 0
    count = (2**ebits - (1 if kind == "ieee" else 0)) * 2**mbits - 1 - n_nan
    return {"x": x, "gap": gap, "max": float(finite.max()), "min_sub": 2.0 ** (1 - bias - mbits),
            "min_normal": 2.0 ** (1 - bias), "eps": 2.0**-mbits, "count": float(count)}


@formula(FORMULAS, "formats", "")
def _formats(p: SysParams, rng: np.random.Generator) -> Arrays:
    out: Arrays = {}
    for name in FORMATS:
        for key, v in format_grid(name).items():
            out[f"{key}_{name}"] = v
    return out


@formula(FORMULAS, "affine-quant", "points bits lo hi")
def _affine_quant(p: SysParams, rng: np.random.Generator) -> Arrays:
    span = p.hi - p.lo
    x = np.linspace(p.lo - 0.25 * span, p.hi + 0.25 * span, p.points)
    x = np.unique(np.concatenate([x, [0.0]]))
    levels = 2**p.bits
    s = span / (levels - 1)
    z = round(-p.lo / s)
    q = np.clip(np.round(x / s) + z, 0, levels - 1)
    deq = s * (q - z)
    inside = (x >= p.lo) & (x <= p.hi)
    return {"x": x, "dequant": deq, "error": deq - x, "scale": s, "zero_point": float(z),
            "half_step": s / 2, "inside": inside.astype(float), "lo": p.lo, "hi": p.hi,
            "levels": float(levels), "grid_lo": s * (0 - z), "grid_hi": s * (levels - 1 - z),
            "identity": x}


@formula(FORMULAS, "decode-batch", "points params_billion peak_tflops bandwidth_gbs bytes_per_value batch_max")
def _decode_batch(p: SysParams, rng: np.random.Generator) -> Arrays:
    b = np.unique(np.round(np.geomspace(1, p.batch_max, p.points)))
    n = p.params_billion * 1e9
    t_mem = n * p.bytes_per_value / (p.bandwidth_gbs * 1e9)
    t_cmp = 2 * n * b / (p.peak_tflops * 1e12)
    t = np.maximum(t_mem, t_cmp)
    knee = t_mem * p.peak_tflops * 1e12 / (2 * n)
    return {"batch": b, "latency_ms": t * 1e3, "throughput": b / t, "knee": knee, "per_sequence": 1 / t,
            "floor_ms": t_mem * 1e3, "max_throughput": p.peak_tflops * 1e12 / (2 * n)}


@formula(FORMULAS, "flash-io", "points head_dim sram_elements context_min context_max")
def _flash_io(p: SysParams, rng: np.random.Generator) -> Arrays:
    n = np.geomspace(p.context_min, p.context_max, p.points)
    d = float(p.head_dim)
    # Dao et al. 2022, Algorithm 0: S = QK^T written, read, P written, read, O written
    standard = 4 * n * d + 4 * n**2
    # Algorithm 1: K_j, V_j loaded once; per (i, j) block Q_i, O_i, l_i, m_i read and O_i, l_i, m_i written
    bc = math.ceil(p.sram_elements / (4 * d))
    br = min(bc, int(d))
    flash = n * d + 2 * n + 2 * n * d + (n / bc) * n * (3 * d + 4)
    return {"seq": n, "standard": standard, "flash": flash, "ratio": standard / flash,
            "block_c": float(bc), "block_r": float(br), "ratio_end": float(standard[-1] / flash[-1])}


@formula(FORMULAS, "blocked-matmul", "d_model sram_elements")
def _blocked(p: SysParams, rng: np.random.Generator) -> Arrays:
    n = float(p.d_model)
    b_max = int(math.isqrt(p.sram_elements // 3))
    b = np.unique(np.round(np.geomspace(1, b_max, 40)))
    tiled = 2 * n**3 / b + 2 * n**2  # (n/b)^3 tile products, each loading a b x b tile of A and of B
    return {"tile": b, "traffic": tiled, "untiled": np.full(b.size, 2 * n**3 + 2 * n**2),
            "b_max": float(b_max), "reuse": (2 * n**3 + 2 * n**2) / tiled, "n": n,
            "minimum": float(tiled[-1])}


@formula(FORMULAS, "allreduce-time", "points devices latency_us link_gbs")
def _allreduce_time(p: SysParams, rng: np.random.Generator) -> Arrays:
    size = np.geomspace(1e3, 1e10, p.points)  # bytes
    n, a, beta = float(p.devices), p.latency_us * 1e-6, 1.0 / (p.link_gbs * 1e9)
    ring = 2 * (n - 1) * a + 2 * (n - 1) / n * size * beta
    doubling = math.log2(n) * (a + size * beta)
    cross = (2 * (n - 1) - math.log2(n)) * a / ((math.log2(n) - 2 * (n - 1) / n) * beta)
    return {"bytes": size, "ring_ms": ring * 1e3, "doubling_ms": doubling * 1e3, "crossover": cross,
            "ring_latency_ms": 2 * (n - 1) * a * 1e3, "bandwidth_ratio": math.log2(n) / (2 * (n - 1) / n),
            "devices": n}


@recipe("sys-formula", SysParams)
def sys_formula(p: SysParams, rng: np.random.Generator) -> Arrays:
    """Closed-form systems curves on a shared axis; the experiment names the formula (module docstring)."""
    return run_table(FORMULAS, "sys-formula", p, rng)


# ----------------------------------------------------------------------------- counts


@formula(COUNTS, "zero", "params_billion devices optimizer_bytes")
def _zero(p: SysParams, rng: np.random.Generator) -> Arrays:
    psi = p.params_billion  # billions of parameters -> GB at one byte each
    nd, k = float(p.devices), p.optimizer_bytes
    values = np.array([
        [2 * psi, 2 * psi, k * psi],
        [2 * psi, 2 * psi, k * psi / nd],
        [2 * psi, 2 * psi / nd, k * psi / nd],
        [2 * psi / nd, 2 * psi / nd, k * psi / nd],
    ])
    totals = values.sum(axis=1)
    return {"values": values, "groups": np.array(["baseline", "P_os", "P_os+g", "P_os+g+p"]),
            "totals": totals, "reduction": totals[0] / totals, "devices": nd}


@formula(COUNTS, "train-flops", "layer_list width_list context")
def _train_flops(p: SysParams, rng: np.random.Generator) -> Arrays:
    if len(p.layer_list) != len(p.width_list):
        msg = "train-flops: layer_list and width_list need the same length"
        raise ValueError(msg)
    layers = np.array(p.layer_list, float)
    d = np.array(p.width_list, float)
    n = 12 * layers * d**2
    attn = 6 * layers * p.context * d / n
    values = np.stack([np.full_like(n, 2.0), np.full_like(n, 4.0), attn], axis=1)
    labels = [f"{v / 1e9:.3g}B" if v >= 1e9 else f"{v / 1e6:.3g}M" for v in n]
    return {"values": values, "groups": np.array(labels), "totals": values.sum(axis=1),
            "params": n, "attention": attn, "context": float(p.context)}


@formula(COUNTS, "lora", "layers d_model ranks")
def _lora(p: SysParams, rng: np.random.Generator) -> Arrays:
    d = float(p.d_model)
    full = 2 * p.layers * d * d
    ranks = np.array(p.ranks, float)
    lora = 2 * p.layers * ranks * (d + d)
    values = np.concatenate([[full], lora])[:, None]
    groups = ["full W_q, W_v"] + [f"LoRA r = {int(r)}" for r in ranks]
    return {"values": values, "groups": np.array(groups), "totals": values[:, 0],
            "ratio": full / lora, "full": full, "lora": lora, "ranks": ranks}


def winograd_f23(d: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Lavin and Gray's F(2, 3): two outputs of a 3-tap correlation with four multiplications."""
    bt = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], float)
    gm = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], float)
    at = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], float)
    return at @ ((gm @ g) * (bt @ d))


@formula(COUNTS, "winograd", "kernel tiles")
def _winograd(p: SysParams, rng: np.random.Generator) -> Arrays:
    r = p.kernel
    m = np.array(p.tiles, float)
    fast = (m + r - 1) ** 2 / m**2
    values = np.concatenate([[r * r], fast])[:, None]
    groups = ["direct"] + [f"F({int(t)}x{int(t)}, {r}x{r})" for t in m]
    signal, taps = rng.standard_normal(16), rng.standard_normal(3)
    direct = np.array([signal[i:i + 3] @ taps for i in range(14)])
    fast_out = np.concatenate([winograd_f23(signal[i:i + 4], taps) for i in range(0, 14, 2)])
    return {"values": values, "groups": np.array(groups), "totals": values[:, 0],
            "saving": r * r / fast, "winograd_error": float(np.max(np.abs(direct - fast_out))),
            "f23_mults": 4.0, "direct_mults": 6.0}


@formula(COUNTS, "fusion", "")
def _fusion(p: SysParams, rng: np.random.Generator) -> Arrays:
    # tensor passes (reads, writes) over HBM of bias add, GeLU, dropout, residual add, layer norm
    unfused = np.array([[1, 1], [1, 1], [1, 1], [2, 1], [1, 1]], float)
    fused = np.array([[2, 1]], float)  # x and the residual read once, the result written once
    values = np.concatenate([unfused, fused])
    return {"values": values, "groups": np.array(["bias", "GeLU", "dropout", "residual", "layernorm", "fused"]),
            "totals": values.sum(axis=1), "unfused_total": float(unfused.sum()),
            "fused_total": float(fused.sum()), "saving": float(unfused.sum() / fused.sum())}


@formula(COUNTS, "activation-memory", "d_model heads batch context_list")
def _activation_memory(p: SysParams, rng: np.random.Generator) -> Arrays:
    # Korthikanti et al. 2023, eq. 1: bytes of one layer's stored activations, 16-bit values,
    # s b h (34 + 5 a s / h): 34 s b h for the linear parts, 5 a s^2 b for scores, softmax, dropout
    h, a, b = float(p.d_model), float(p.heads), float(p.batch)
    s = np.array(p.context_list, float)
    linear = 34 * s * b * h / 2**30
    attention = 5 * a * s**2 * b / 2**30
    values = np.stack([linear, attention], axis=1)
    return {"values": values, "groups": np.array([f"{int(v)}" for v in s]), "totals": values.sum(axis=1),
            "attention_share": attention / (linear + attention), "equal_at": 34 * h / (5 * a),
            "selective_saving": values.sum(axis=1) / linear}


@formula(COUNTS, "optimizer-memory", "d_model")
def _optimizer_memory(p: SysParams, rng: np.random.Generator) -> Arrays:
    # bytes per parameter: weights, gradients, fp32 master copy, first moment, second moment
    d = float(p.d_model)
    factored = (d + d) * 4 / (d * d)  # Adafactor keeps row and column sums of v for a d x d matrix
    values = np.array([
        [4, 4, 0, 4, 4],          # fp32 Adam
        [2, 2, 4, 4, 4],          # mixed-precision Adam (fp16/bf16 weights and gradients)
        [2, 2, 4, 1, 1],          # 8-bit Adam: block-wise quantised moments
        [2, 2, 4, 0, factored],   # Adafactor without momentum, factored second moment
    ], float)
    return {"values": values, "groups": np.array(["fp32 Adam", "mixed Adam", "8-bit Adam", "Adafactor"]),
            "totals": values.sum(axis=1), "factored": factored}


@recipe("sys-counts", SysParams)
def sys_counts(p: SysParams, rng: np.random.Generator) -> Arrays:
    """Exact counts (bytes, FLOPs, parameters, multiplications) per group and part (module docstring)."""
    return run_table(COUNTS, "sys-counts", p, rng)

