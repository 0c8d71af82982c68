"""Systems and efficiency: parallelism, memory and scheduling computed from exact counts, and
seeded numerical experiments (``sys-experiment``, listed further down).

One recipe, ``sys-schedule``, lays out who does what when: the ``experiment`` names a schedule
or an allocator, which is simulated step by step (and, where it computes something, checked
against the direct computation).  Matrices hold integer codes for ``matrix-heatmap``'s regions
panels; the generator draws only the numbers a schedule moves (and, for ``paged-kv`` and
``continuous-batching``, the request lengths, which makes those two computed figures).

Experiments and their arrays:

* ``pipeline`` -- GPipe (all forwards, then all backwards) and 1F1B (PipeDream-Flush) schedules of
  ``micro_batches`` over ``stages``, one time slot per forward or backward: ``gpipe``, ``one_f_one_b``
  (stages x slots; 0 idle, 1 forward, 2 backward), ``bubble_gpipe``, ``bubble_1f1b`` (idle share),
  ``bubble_formula`` = (p - 1)/(m + p - 1), ``inflight_gpipe``, ``inflight_1f1b`` (most
  activations any stage holds at once), ``makespan_gpipe``, ``makespan_1f1b``.
* ``ring-allreduce`` -- reduce-scatter then all-gather on a ring of ``devices``, each vector cut into
  as many chunks: ``sent`` (devices x steps: the chunk each device sends), ``held`` (devices x chunks:
  how many devices' numbers each chunk sums after reduce-scatter), ``error`` (max |result - sum| over
  every device), ``sent_share`` (values sent per device / vector length), ``bound`` = 2(N-1)/N,
  ``steps``.
* ``tensor-parallel`` -- a two-layer MLP Y = relu(X A) B with A split by columns and B by rows over
  ``devices``: ``owner_a`` (d x 4d), ``owner_b`` (4d x d) device codes; ``a_abs``, ``b_abs_t`` (|A|, |B| transposed, d x 4d) with
  ``lit_a``, ``lit_b_t`` (device 1's share); ``error`` (max |sum of the
  devices' partial outputs - Y|); ``share`` (parameters per device / total); ``all_reduces`` = 1.
* ``ring-attention`` -- query blocks stay, key/value blocks rotate around ``devices``: ``step``
  (query block x key block: the step at which the pair is computed), ``error`` (blockwise online-
  softmax attention against full softmax attention), ``steps``.
* ``systolic`` -- an output-stationary ``size`` x ``size`` array computing C = A B: ``cycle_<t>`` for
  t in ``cycles`` (PE grid; 0 idle, k + 1 while multiplying a_ik b_kj), ``busy`` (cycles x PEs),
  ``total_cycles`` = 3n - 2, ``error`` against A @ B.
* ``sparsity-24`` -- 2:4 magnitude pruning of a seeded Gaussian ``rows`` x ``cols`` matrix: ``weights``
  (|w|), ``kept`` (mask), ``compressed`` (rows x cols/2 kept magnitudes), ``index`` (rows x cols/2
  position inside the group), ``per_group`` (kept per group of four), ``energy`` (kept share of
  the squared weights), ``min_kept_over_max_dropped`` per group.
* ``paged-kv`` -- ``requests`` requests with seeded prompt + output lengths share a pool of
  ``pool`` token slots: ``contiguous`` (requests x max_len slots: 1 used, 2 reserved and wasted) and
  ``paged`` (blocks of ``block`` tokens: 1 used, 2 allocated but empty); ``waste_contiguous``,
  ``waste_paged`` (share of allocated slots unused), ``max_tail`` (most empty slots of any
  request under paging).
* ``im2col`` -- a seeded ``size`` x ``size`` integer image and 3 x 3 kernel: ``unrolled`` (one row per
  output position, one column per kernel tap), ``copies`` (how many rows hold each pixel),
  ``error`` of unrolled @ kernel against direct correlation, ``entries``, ``pixels``.
* ``continuous-batching`` -- ``requests`` requests with seeded output lengths through ``slots``
  batch slots: ``static`` and ``continuous`` (slots x steps; 0 idle, 1 and 2 alternate between
  the successive requests a slot serves), ``steps_static``, ``steps_continuous``, ``busy_static``,
  ``busy_continuous`` (share of slot-steps doing work).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from teeprint.recipes import Arrays, Params, recipe


class ScheduleParams(Params):
    """Which schedule, and its (bounded) sizes."""

    experiment: Literal["pipeline", "ring-allreduce", "tensor-parallel", "ring-attention", "systolic",
                        "sparsity-24", "paged-kv", "continuous-batching", "im2col"]
    stages: int = Field(4, ge=2, le=16)
    micro_batches: int = Field(8, ge=1, le=64)
    devices: int = Field(4, ge=2, le=6)
    d: int = Field(8, ge=2, le=64, description="model width")
    size: int = Field(4, ge=2, le=8)
    cycles: tuple[int, ...] = Field((1, 3, 5, 7), min_length=1, max_length=6)
    rows: int = Field(8, ge=1, le=64)
    cols: int = Field(16, ge=4, le=64)
    requests: int = Field(8, ge=1, le=64)
    pool: int = Field(512, ge=16, le=8192)
    block: int = Field(16, ge=1, le=256)
    max_len: int = Field(96, ge=4, le=4096)
    slots: int = Field(4, ge=1, le=32)
    min_len: int = Field(2, ge=1, le=4096)


Sim = Callable[[ScheduleParams, np.random.Generator], Arrays]
SCHEDULES: dict[str, Sim] = {}


def schedule(name: str) -> Callable[[Sim], Sim]:
    """Record a schedule under ``name``."""

    def record(fn: Sim) -> Sim:
        SCHEDULES[name] = fn
        return fn

    return record


def pipeline_schedule(p: int, m: int, kind: Literal["gpipe", "1f1b"]) -> np.ndarray:
    """Stages x slots codes (0 idle, 1 forward, 2 backward), every op one slot, as early as allowed."""
    orders: list[list[tuple[str, int]]] = []
    for s in range(p):
        if kind == "gpipe":
            ops = [("F", j) for j in range(m)] + [("B", j) for j in range(m)]
        else:
            warm = min(p - 1 - s, m)
            ops = [("F", j) for j in range(warm)]
            f, b = warm, 0
            while b < m:
                if f < m:
                    ops.append(("F", f))
                    f += 1
                ops.append(("B", b))
                b += 1
        orders.append(ops)
    done: dict[tuple[str, int, int], int] = {}
    free = [0] * p
    pos = [0] * p
    while any(pos[s] < len(orders[s]) for s in range(p)):
        progressed = False
        for s in range(p):
            if pos[s] >= len(orders[s]):
                continue
            op, j = orders[s][pos[s]]
            if op == "F":
                dep = done.get(("F", s - 1, j)) if s > 0 else 0
            else:
                dep = done.get(("B", s + 1, j)) if s < p - 1 else done.get(("F", s, j))
            if dep is None:
                continue
            start = max(free[s], dep)
            done[(op, s, j)] = start + 1
            free[s] = start + 1
            pos[s] += 1
            progressed = True
        if not progressed:  # pragma: no cover - the orders above never deadlock
            msg = "pipeline schedule deadlocked"
            raise RuntimeError(msg)
    span = max(free)
    grid = np.zeros((p, span), int)
    for (op, s, _j), end in done.items():
        grid[s, end - 1] = 1 if op == "F" else 2
    return grid


def _inflight(grid: np.ndarray) -> int:
    """Most micro-batches whose activations a stage holds (forwards done, backwards not yet)."""
    held = np.cumsum(grid == 1, axis=1) - np.cumsum(grid == 2, axis=1)
    return int(held.max())


@schedule("pipeline")
def _pipeline(q: ScheduleParams, rng: np.random.Generator) -> Arrays:
    p, m = q.stages, q.micro_batches
    g = pipeline_schedule(p, m, "gpipe")
    o = pipeline_schedule(p, m, "1f1b")
    return {"gpipe": g, "one_f_one_b": o, "bubble_gpipe": float(np.mean(g == 0)),
            "bubble_1f1b": float(np.mean(o == 0)), "bubble_formula": (p - 1) / (m + p - 1),
            "inflight_gpipe": float(_inflight(g)), "inflight_1f1b": float(_inflight(o)),
            "makespan_gpipe": float(g.shape[1]), "makespan_1f1b": float(o.shape[1]),
            "stages": float(p), "micro_batches": float(m), "stage": np.arange(p), "slot": np.arange(g.shape[1])}


@schedule("ring-allreduce")
def _ring_allreduce(q: ScheduleParams, rng: np.random.Generator) -> Arrays:
    n = q.devices
    chunk = 3
    data = rng.integers(-9, 10, size=(n, n, chunk)).astype(float)  # device, chunk, values
    buf = data.copy()
    held = np.ones((n, n), int)  # devices x chunks: how many devices' numbers are summed
    steps = 2 * (n - 1)
    sent = np.zeros((n, steps), int)
    values_sent = np.zeros(n)
    for t in range(n - 1):  # reduce-scatter
        out = [(i, (i - t) % n, buf[i, (i - t) % n].copy(), held[i, (i - t) % n]) for i in range(n)]
        for i, c, v, h in out:
            dst = (i + 1) % n
            buf[dst, c] += v
            held[dst, c] += h
            sent[i, t] = c
            values_sent[i] += v.size
    after_scatter = held.copy()
    for t in range(n - 1):  # all-gather
        gather = [(i, (i + 1 - t) % n, buf[i, (i + 1 - t) % n].copy()) for i in range(n)]
        for i, c, v in gather:
            buf[(i + 1) % n, c] = v
            sent[i, n - 1 + t] = c
            values_sent[i] += v.size
    total = data.sum(axis=0)
    err = float(np.max(np.abs(buf - total[None])))
    return {"sent": sent, "held": after_scatter.astype(float), "error": err,
            "sent_share": values_sent / (n * chunk), "bound": 2 * (n - 1) / n, "steps": float(steps),
            "devices": float(n), "device": np.arange(n), "step": np.arange(1, steps + 1)}


@schedule("tensor-parallel")
def _tensor_parallel(q: ScheduleParams, rng: np.random.Generator) -> Arrays:
    n, d = q.devices, q.d
    h = 4 * d
    if h % n:
        msg = "tensor-parallel: 4 d must divide among the devices"
        raise ValueError(msg)
    x = rng.standard_normal((5, d))
    a = rng.standard_normal((d, h)) / math.sqrt(d)
    b = rng.standard_normal((h, d)) / math.sqrt(h)
    y = np.maximum(x @ a, 0) @ b
    cols = np.array_split(np.arange(h), n)
    partial = [np.maximum(x @ a[:, c], 0) @ b[c, :] for c in cols]
    owner = np.zeros(h, int)
    for k, c in enumerate(cols):
        owner[c] = k
    return {"owner_a": np.tile(owner, (d, 1)), "owner_b": np.tile(owner[:, None], (1, d)),
            "a_abs": np.abs(a), "b_abs_t": np.abs(b.T), "hidden": np.arange(h),
            "lit_a": np.tile(owner == 1, (d, 1)), "lit_b_t": np.tile(owner == 1, (d, 1)),
            "error": float(np.max(np.abs(sum(partial) - y))), "share": 1.0 / n,
            "params_per_device": float(a[:, cols[0]].size + b[cols[0], :].size),
            "params_total": float(a.size + b.size), "all_reduces": 1.0, "devices": float(n)}


@schedule("ring-attention")
def _ring_attention(q: ScheduleParams, rng: np.random.Generator) -> Arrays:
    n, d, blk = q.devices, q.d, 4
    qm, km, vm = (rng.standard_normal((n * blk, d)) for _ in range(3))
    full_s = qm @ km.T / math.sqrt(d)
    full_p = np.exp(full_s - full_s.max(axis=1, keepdims=True))
    full = (full_p / full_p.sum(axis=1, keepdims=True)) @ vm
    step = np.zeros((n, n), int)
    out = np.zeros_like(qm)
    for i in range(n):  # device i keeps query block i
        qi = qm[i * blk:(i + 1) * blk]
        mx = np.full(blk, -np.inf)
        den = np.zeros(blk)
        acc = np.zeros((blk, d))
        for t in range(n):
            j = (i - t) % n  # the key/value block device i holds at step t
            s = qi @ km[j * blk:(j + 1) * blk].T / math.sqrt(d)
            new = np.maximum(mx, s.max(axis=1))
            scale = np.exp(mx - new)
            e = np.exp(s - new[:, None])
            den = den * scale + e.sum(axis=1)
            acc = acc * scale[:, None] + e @ vm[j * blk:(j + 1) * blk]
            mx = new
            step[i, j] = t
        out[i * blk:(i + 1) * blk] = acc / den[:, None]
    return {"step": step, "error": float(np.max(np.abs(out - full))), "steps": float(n),
            "devices": float(n), "block": np.arange(n)}


@schedule("systolic")
def _systolic(q: ScheduleParams, rng: np.random.Generator) -> Arrays:
    n = q.size
    a = rng.integers(-3, 4, size=(n, n)).astype(float)
    b = rng.integers(-3, 4, size=(n, n)).astype(float)
    total = 3 * n - 2
    c = np.zeros((n, n))
    busy = np.zeros((total, n * n), int)
    frames = np.zeros((total, n, n), int)
    for t in range(total):
        for i in range(n):
            for j in range(n):
                k = t - i - j  # a_ik arrives from the left and b_kj from above at cycle i + j + k
                if 0 <= k < n:
                    c[i, j] += a[i, k] * b[k, j]
                    frames[t, i, j] = k + 1
                    busy[t, i * n + j] = 1
    out: Arrays = {"busy": busy, "total_cycles": float(total), "error": float(np.max(np.abs(c - a @ b))),
                   "size": float(n), "active": busy.sum(axis=1).astype(float), "pe": np.arange(n)}
    for t in q.cycles:
        if not 0 <= t < total:
            msg = f"systolic: cycle {t} is outside 0..{total - 1}"
            raise ValueError(msg)
        out[f"cycle_{t}"] = frames[t]
    return out


@schedule("sparsity-24")
def _sparsity(q: ScheduleParams, rng: np.random.Generator) -> Arrays:
    if q.cols % 4:
        msg = "sparsity-24: cols must be a multiple of 4"
        raise ValueError(msg)
    w = rng.standard_normal((q.rows, q.cols))
    groups = np.abs(w).reshape(q.rows, q.cols // 4, 4)
    order = np.argsort(-groups, axis=2, kind="stable")
    keep_idx = np.sort(order[:, :, :2], axis=2)
    mask = np.zeros_like(groups, bool)
    np.put_along_axis(mask, keep_idx, True, axis=2)
    kept_vals = np.take_along_axis(groups, keep_idx, axis=2)
    dropped_max = np.where(mask, -np.inf, groups).max(axis=2)
    ratio = kept_vals.min(axis=2) / dropped_max
    return {"weights": np.abs(w), "kept": mask.reshape(q.rows, q.cols),
            "compressed": kept_vals.reshape(q.rows, q.cols // 2),
            "index": keep_idx.reshape(q.rows, q.cols // 2).astype(float),
            "per_group": mask.sum(axis=2).astype(float), "energy": float((w**2)[mask.reshape(w.shape)].sum() / (w**2).sum()),
            "min_kept_over_max_dropped": ratio, "col": np.arange(q.cols), "row": np.arange(q.rows)}


@schedule("paged-kv")
def _paged(q: ScheduleParams, rng: np.random.Generator) -> Arrays:
    lengths = rng.integers(q.min_len, q.max_len + 1, size=q.requests)
    contiguous = np.zeros((q.requests, q.max_len), int)
    for r, n in enumerate(lengths):
        contiguous[r, :n] = 1
        contiguous[r, n:] = 2
    blocks = np.ceil(lengths / q.block).astype(int)
    width = int(math.ceil(q.max_len / q.block)) * q.block
    paged = np.zeros((q.requests, width), int)
    for r, n in enumerate(lengths):
        paged[r, :n] = 1
        paged[r, n:blocks[r] * q.block] = 2
    tails = blocks * q.block - lengths
    return {"contiguous": contiguous, "paged": paged, "lengths": lengths.astype(float),
            "waste_contiguous": float(np.mean(contiguous == 2)),
            "waste_paged": float(tails.sum() / (blocks.sum() * q.block)),
            "max_tail": float(tails.max()), "block": float(q.block), "max_len": float(q.max_len),
            "request": np.arange(q.requests), "token": np.arange(q.max_len)}


@schedule("continuous-batching")
def _continuous(q: ScheduleParams, rng: np.random.Generator) -> Arrays:
    lengths = rng.integers(q.min_len, q.max_len + 1, size=q.requests)
    s = q.slots
    # static: batches of `slots` requests, each batch runs until its longest request ends
    static_cols = []
    for start in range(0, q.requests, s):
        batch = lengths[start:start + s]
        block = np.zeros((s, int(batch.max())), int)
        for k, n in enumerate(batch):
            block[k, :n] = 1 + (start // s) % 2
        static_cols.append(block)
    static = np.concatenate(static_cols, axis=1)
    # continuous: a finished request's slot takes the next waiting request at the next step
    free_at = np.zeros(s, int)
    served = np.zeros(s, int)
    spans: list[tuple[int, int, int, int]] = []
    for n in lengths:
        k = int(np.argmin(free_at))
        spans.append((k, int(free_at[k]), int(n), 1 + served[k] % 2))
        free_at[k] += n
        served[k] += 1
    cont = np.zeros((s, int(free_at.max())), int)
    for k, t0, n, code in spans:
        cont[k, t0:t0 + n] = code
    return {"static": static, "continuous": cont, "steps_static": float(static.shape[1]),
            "steps_continuous": float(cont.shape[1]), "busy_static": float(np.mean(static > 0)),
            "busy_continuous": float(np.sum(cont > 0) / (s * cont.shape[1])),
            "work": float(lengths.sum()), "lengths": lengths.astype(float)}


@schedule("im2col")
def _im2col(q: ScheduleParams, rng: np.random.Generator) -> Arrays:
    n, k = q.size, 3
    img = rng.integers(1, 10, size=(n, n)).astype(float)
    ker = rng.integers(-2, 3, size=(k, k)).astype(float)
    out = n - k + 1
    cols = np.zeros((out * out, k * k))
    copies = np.zeros((n, n))
    for i in range(out):
        for j in range(out):
            cols[i * out + j] = img[i:i + k, j:j + k].ravel()
            copies[i:i + k, j:j + k] += 1
    direct = np.array([[np.sum(img[i:i + k, j:j + k] * ker) for j in range(out)] for i in range(out)])
    return {"image": img, "kernel": ker, "unrolled": cols, "copies": copies,
            "error": float(np.max(np.abs((cols @ ker.ravel()).reshape(out, out) - direct))),
            "entries": float(cols.size), "pixels": float(img.size), "tap": np.arange(k * k),
            "patch": np.arange(out * out), "pixel_row": np.arange(n)}


@recipe("sys-schedule", ScheduleParams)
def sys_schedule(p: ScheduleParams, rng: np.random.Generator) -> Arrays:
    """Who does what when: pipeline, ring, tensor, systolic schedules and KV allocators (module docstring)."""
    return SCHEDULES[p.experiment](p, rng)


# ============================================================================ seeded experiments
#
# ``sys-experiment``: small seeded numerical experiments of the arithmetic of running models.
# Each returns curves for ``curve-vs-scale``, densities (``x``, ``density`` rows) for
# ``density-ridges`` or ``bars`` / ``bar_labels`` for ``stacked-bars``:
#
# * stochastic-rounding: ``step``, ``exact``, ``nearest``, ``stochastic`` (+ ``_lo``/``_hi`` band),
#   ``error_nearest``, ``error_stochastic`` (+ ``error_lo``/``error_hi``), ``zero``,
#   ``increment``, ``half_ulp``, ``final_error_stochastic``.
# * summation-order: ``x`` (ulps), ``density`` (one row per count in ``rows``), ``spread_ulp``,
#   ``distinct``, ``worst_ulp``.
# * loss-scaling: ``x`` (log2 magnitude), ``density`` (fp32, then one row per scale), ``lost``,
#   ``overflow``, ``min_sub``.
# * int8-outliers: ``magnitude``, ``per_tensor``, ``vector_wise``, ``mixed``, ``bars``.
# * gptq: ``bits``, ``rtn``, ``gptq``, ``ratio`` (and ``ratio_<b>``), ``bars``.
# * cache-replacement: ``size``, ``lru``, ``fifo``, ``optimal``, ``bars``.
# * moe-balance: ``values`` (experts x before/after), ``groups``, ``before``, ``after``,
#   ``capacity``, ``dropped_before``, ``dropped_after``, ``aux_first``, ``aux_last``.
# * random-reshuffling: ``epoch``, ``with_replacement``, ``reshuffled``, ``slope_with``,
#   ``slope_reshuffled`` (log-log slope over the second half).
# * feature-hashing: ``width``, ``signed``, ``unsigned``, ``slope_signed``.
# * online-softmax: ``position``, ``logit``, ``running_max``, ``running_sum``, ``log_sum``,
#   ``log_sum_exact``, ``error``, ``rescales``.
# * quantisation-noise: ``bits``, ``uniform``, ``gaussian`` (SQNR, dB), ``bars``, ``noise_bars``,
#   ``slope_uniform``, ``slope_gaussian``, ``gap_db``, ``six_db``.
# * tail-latency: ``x`` (log10 ms), ``density`` (one row per fan-out), ``median_ms``,
#   ``single_p99``, ``log_p99``, ``above_p99``.


class ExperimentParams(Params):
    """Which experiment, and its bounded settings (each experiment reads the ones it names)."""

    experiment: Literal["stochastic-rounding", "summation-order", "loss-scaling", "int8-outliers",
                        "gptq", "cache-replacement", "moe-balance", "random-reshuffling",
                        "feature-hashing", "online-softmax", "quantisation-noise", "tail-latency"]
    steps: int = Field(4000, ge=10, le=20000)
    increment: float = Field(1e-4, gt=0.0, le=1.0)
    start: float = Field(1.0, ge=0.0, le=1000.0)
    repeats: int = Field(20, ge=1, le=200)
    n: int = Field(2000, ge=2, le=20000)
    orders: int = Field(500, ge=10, le=4000)
    rows: tuple[int, ...] = Field((100, 1000, 10000), min_length=1, max_length=8)
    bins: int = Field(60, ge=10, le=400)
    log_median: float = Field(-20.0, ge=-60.0, le=10.0, description="log2 of the median gradient")
    log_sd: float = Field(3.0, gt=0.0, le=20.0, description="sd of log2 gradient magnitudes")
    scales: tuple[int, ...] = Field((0, 8, 16), min_length=1, max_length=6, description="log2 loss scales")
    dim: int = Field(64, ge=4, le=1024)
    tokens: int = Field(64, ge=4, le=4096)
    magnitudes: tuple[float, ...] = Field((1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0), min_length=2, max_length=20)
    threshold: float = Field(6.0, gt=0.0, le=1000.0, description="LLM.int8 outlier threshold")
    bits_list: tuple[int, ...] = Field((2, 3, 4, 5, 6, 8), min_length=2, max_length=10)
    out_dim: int = Field(32, ge=2, le=512)
    correlation: float = Field(0.9, ge=0.0, lt=1.0)
    items: int = Field(500, ge=10, le=100000)
    zipf: float = Field(1.0, gt=0.0, le=3.0)
    sizes: tuple[int, ...] = Field((5, 10, 20, 40, 80, 160), min_length=2, max_length=12)
    experts: int = Field(8, ge=2, le=64)
    capacity: float = Field(1.25, ge=1.0, le=4.0)
    lr: float = Field(0.5, gt=0.0, le=100.0)
    epochs: int = Field(200, ge=2, le=5000)
    widths: tuple[int, ...] = Field((16, 64, 256, 1024, 4096), min_length=2, max_length=12)


def _fp16_stochastic(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Round float64 values to float16, up with probability equal to the distance from below."""
    down = v.astype(np.float16)
    down = np.where(down.astype(float) > v, np.nextafter(down, np.float16(-np.inf)), down)
    up = np.nextafter(down, np.float16(np.inf))
    gap = up.astype(float) - down.astype(float)
    p_up = np.where(gap > 0, (v - down.astype(float)) / np.where(gap > 0, gap, 1.0), 0.0)
    return np.where(rng.random(v.shape) < p_up, up, down)


def _stochastic_rounding(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Adding a small increment ``steps`` times to ``start`` in fp16: round-to-nearest vs stochastic."""
    nearest = np.float16(q.start)
    inc16 = np.float16(q.increment)
    near = np.empty(q.steps)
    sto = np.empty((q.repeats, q.steps))
    s = np.full(q.repeats, q.start, np.float16)
    for t in range(q.steps):
        nearest = np.float16(nearest + inc16)
        near[t] = float(nearest)
        s = _fp16_stochastic(s.astype(float) + float(inc16), rng)
        sto[:, t] = s.astype(float)
    step = np.arange(1, q.steps + 1, dtype=float)
    exact = q.start + step * float(inc16)
    err = sto - exact
    return {"step": step, "exact": exact, "nearest": near, "stochastic": np.median(sto, axis=0),
            "error_nearest": near - exact, "error_stochastic": np.median(err, axis=0),
            "error_lo": np.quantile(err, 0.1, axis=0), "error_hi": np.quantile(err, 0.9, axis=0),
            "zero": np.zeros_like(step),
            "stochastic_lo": np.quantile(sto, 0.1, axis=0), "stochastic_hi": np.quantile(sto, 0.9, axis=0),
            "increment": float(inc16), "half_ulp": float(np.spacing(np.float16(q.start))) / 2,
            "final_error_stochastic": float(np.median(np.abs(sto[:, -1] - exact[-1])) / (exact[-1] - q.start))}


def _summation_order(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """float32 sums of the same numbers in many random orders: error in units in the last place."""
    errs, spread, distinct = [], [], []
    for n in q.rows:
        x = rng.standard_normal(n).astype(np.float32) + np.float32(1.0)
        exact = math.fsum(x.astype(float))
        shuffled = rng.permuted(np.broadcast_to(x, (q.orders, n)), axis=1)
        sums = np.cumsum(shuffled, axis=1, dtype=np.float32)[:, -1].astype(float)
        err = (sums - exact) / float(np.spacing(np.float32(exact)))
        errs.append(err)
        spread.append(float(np.std(err)))
        distinct.append(float(np.unique(sums).size))
    reach = max(float(np.max(np.abs(e))) for e in errs) * 1.05
    edges = np.linspace(-reach, reach, q.bins + 1)
    density = np.array([np.histogram(e, bins=edges)[0] / e.size for e in errs])
    return {"x": (edges[:-1] + edges[1:]) / 2, "density": density, "rows": np.array(q.rows, float),
            "spread_ulp": np.array(spread), "distinct": np.array(distinct), "orders": float(q.orders),
            "worst_ulp": np.array([float(np.max(np.abs(e))) for e in errs])}


def _loss_scaling(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Log-normal gradient magnitudes cast to fp16 after multiplying by 2^k: what survives."""
    g = np.exp2(rng.normal(q.log_median, q.log_sd, q.n))
    edges = np.linspace(-40, 20, q.bins + 1)
    dens, lost, overflow = [], [], []
    h, _ = np.histogram(np.log2(g), bins=edges)
    dens.append(h / q.n)
    lost.append(0.0)
    overflow.append(0.0)
    with np.errstate(over="ignore"):
        for k in q.scales:
            c = (g * 2.0**k).astype(np.float16).astype(float)
            ok = np.isfinite(c) & (c > 0)
            back = c[ok] / 2.0**k
            h, _ = np.histogram(np.log2(back), bins=edges)
            dens.append(h / q.n)
            lost.append(float(np.mean(c == 0)))
            overflow.append(float(np.mean(~np.isfinite(c))))
    return {"x": (edges[:-1] + edges[1:]) / 2, "density": np.array(dens), "lost": np.array(lost),
            "overflow": np.array(overflow), "scales": np.array(q.scales, float),
            "min_sub": math.log2(2.0**-24), "max_fp16": math.log2(65504.0), "fp32_row": np.full(1, np.nan)}


def _absmax_int8(m: np.ndarray, axis: int | None) -> np.ndarray:
    s = np.max(np.abs(m), axis=axis, keepdims=True) / 127.0 if axis is not None else np.max(np.abs(m)) / 127.0
    s = np.where(s == 0, 1.0, s)
    return np.round(m / s) * s


def _int8_outliers(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Relative error of an int8 matmul as one feature's magnitude grows (median over repeats)."""
    mags = np.array(q.magnitudes)
    errs = np.zeros((3, q.repeats, mags.size))
    for r in range(q.repeats):
        x0 = rng.standard_normal((q.tokens, q.dim))
        w = rng.standard_normal((q.dim, q.out_dim)) / math.sqrt(q.dim)
        col = int(rng.integers(q.dim))
        for k, m in enumerate(mags):
            x = x0.copy()
            x[:, col] *= m
            y = x @ w
            norm = np.linalg.norm(y)
            tensor = _absmax_int8(x, None) @ _absmax_int8(w, None)
            vector = _absmax_int8(x, 1) @ _absmax_int8(w, 0)
            out = np.max(np.abs(x), axis=0) > q.threshold
            mixed = x[:, out] @ w[out] + _absmax_int8(x[:, ~out], 1) @ _absmax_int8(w[~out], 0)
            for i, approx in enumerate((tensor, vector, mixed)):
                errs[i, r, k] = np.linalg.norm(approx - y) / norm
    med = np.median(errs, axis=1)
    return {"magnitude": mags, "per_tensor": med[0], "vector_wise": med[1], "mixed": med[2],
            "threshold": q.threshold, "bars": med.T, "bar_labels": np.array([f"{m:g}" for m in mags])}


def _quant_rows(w: np.ndarray, scale: np.ndarray, bits: int) -> np.ndarray:
    top = 2 ** (bits - 1) - 1
    return np.clip(np.round(w / scale), -top - 1, top) * scale


def gptq(w: np.ndarray, x: np.ndarray, bits: int, damp: float = 0.01) -> np.ndarray:
    """GPTQ (Frantar et al. 2023) on one layer: columns quantised in order, each column's error
    spread over the columns not yet quantised through the Cholesky factor of the inverse Hessian."""
    h = 2 * x @ x.T
    h += damp * np.mean(np.diag(h)) * np.eye(h.shape[0])
    hinv = np.linalg.cholesky(np.linalg.inv(h)).T  # upper triangular
    scale = np.max(np.abs(w), axis=1, keepdims=True) / (2 ** (bits - 1) - 1)
    w = w.copy()
    qw = np.zeros_like(w)
    for i in range(w.shape[1]):
        qw[:, i] = _quant_rows(w[:, i:i + 1], scale, bits)[:, 0]
        err = (w[:, i] - qw[:, i]) / hinv[i, i]
        w[:, i + 1:] -= np.outer(err, hinv[i, i + 1:])
    return qw


def _gptq(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Layer output error of round-to-nearest vs GPTQ against bits (median over repeats)."""
    bits = np.array(q.bits_list)
    rtn = np.zeros((q.repeats, bits.size))
    opt = np.zeros_like(rtn)
    cov = q.correlation ** np.abs(np.subtract.outer(np.arange(q.dim), np.arange(q.dim)))
    chol = np.linalg.cholesky(cov)
    for r in range(q.repeats):
        w = rng.standard_normal((q.out_dim, q.dim))
        x = chol @ rng.standard_normal((q.dim, q.tokens))
        y = w @ x
        norm = np.sum(y**2)
        scale = np.max(np.abs(w), axis=1, keepdims=True)
        for k, b in enumerate(bits):
            rtn[r, k] = np.sum((_quant_rows(w, scale / (2 ** (b - 1) - 1), int(b)) @ x - y) ** 2) / norm
            opt[r, k] = np.sum((gptq(w, x, int(b)) @ x - y) ** 2) / norm
    ratio = np.median(rtn / opt, axis=0)
    return {"bits": bits.astype(float), "rtn": np.median(rtn, axis=0), "gptq": np.median(opt, axis=0),
            "ratio": ratio, **{f"ratio_{int(b)}": float(r) for b, r in zip(bits, ratio, strict=True)},
            "bars": np.stack([np.median(rtn, axis=0), np.median(opt, axis=0)], axis=1),
            "bar_labels": np.array([f"{int(b)} bits" for b in bits])}


def _cache(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Hit rates of LRU, FIFO and Belady's optimal replacement on a Zipf request trace."""
    ranks = np.arange(1, q.items + 1, dtype=float)
    p = ranks ** -q.zipf
    trace = rng.choice(q.items, size=q.n, p=p / p.sum())
    nxt = np.full(q.n, q.n)
    last: dict[int, int] = {}
    for t in range(q.n - 1, -1, -1):
        nxt[t] = last.get(int(trace[t]), q.n)
        last[int(trace[t])] = t
    out: dict[str, list[float]] = {"lru": [], "fifo": [], "optimal": []}
    for size in q.sizes:
        from collections import OrderedDict
        lru: OrderedDict[int, None] = OrderedDict()
        fifo: OrderedDict[int, None] = OrderedDict()
        opt: dict[int, int] = {}
        hits = {"lru": 0, "fifo": 0, "optimal": 0}
        for t, item in enumerate(trace.tolist()):
            if item in lru:
                hits["lru"] += 1
                lru.move_to_end(item)
            else:
                if len(lru) >= size:
                    lru.popitem(last=False)
                lru[item] = None
            if item in fifo:
                hits["fifo"] += 1
            else:
                if len(fifo) >= size:
                    fifo.popitem(last=False)
                fifo[item] = None
            if item in opt:
                hits["optimal"] += 1
            elif len(opt) >= size:
                victim = max(opt, key=opt.__getitem__)
                if opt[victim] > nxt[t]:
                    del opt[victim]
                    opt[item] = int(nxt[t])
                continue
            opt[item] = int(nxt[t])
        for k in out:
            out[k].append(hits[k] / q.n)
    return {"size": np.array(q.sizes, float), **{k: np.array(v) for k, v in out.items()},
            "items": float(q.items), "bars": np.stack([out["optimal"], out["lru"], out["fifo"]], axis=1),
            "bar_labels": np.array([str(s) for s in q.sizes])}


def _moe(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Top-1 routing of clustered tokens before and after gradient steps on the Switch auxiliary loss."""
    centres = rng.standard_normal((q.experts, q.dim)) * 2.0
    weights = 0.5 ** np.arange(q.experts)
    cluster = rng.choice(q.experts, size=q.tokens, p=weights / weights.sum())
    x = centres[cluster] + rng.standard_normal((q.tokens, q.dim))
    w = centres.T / q.dim + rng.standard_normal((q.dim, q.experts)) * 0.01
    capacity = int(math.ceil(q.capacity * q.tokens / q.experts))

    def route(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = x @ w
        pr = np.exp(z - z.max(axis=1, keepdims=True))
        return pr / pr.sum(axis=1, keepdims=True), np.argmax(z, axis=1)

    pr, choice = route(w)
    before = np.bincount(choice, minlength=q.experts).astype(float)
    aux = []
    for _ in range(q.steps):
        pr, choice = route(w)
        f = np.bincount(choice, minlength=q.experts) / q.tokens
        aux.append(q.experts * float(f @ pr.mean(axis=0)))
        # d aux / d logits for the differentiable part (P), f held fixed as in Switch
        g_p = q.experts * f[None, :] / q.tokens
        g_z = pr * (g_p - np.sum(g_p * pr, axis=1, keepdims=True))
        w -= q.lr * x.T @ g_z
    pr, choice = route(w)
    after = np.bincount(choice, minlength=q.experts).astype(float)
    dropped = [float(np.maximum(c - capacity, 0).sum() / q.tokens) for c in (before, after)]
    return {"values": np.stack([before, after], axis=1), "groups": np.array([f"E{i}" for i in range(q.experts)]),
            "before": before, "after": after, "capacity": float(capacity), "dropped_before": dropped[0],
            "dropped_after": dropped[1], "aux_first": aux[0], "aux_last": aux[-1], "fair": q.tokens / q.experts}


def _reshuffling(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Least squares: SGD sampling with replacement vs random reshuffling, step lr / epoch."""
    errs = np.zeros((2, q.repeats, q.epochs))
    a = rng.standard_normal((q.repeats, q.n, q.dim))
    b = np.einsum("rnd,rd->rn", a, rng.standard_normal((q.repeats, q.dim))) + 0.5 * rng.standard_normal((q.repeats, q.n))
    x_star = np.stack([np.linalg.lstsq(a[r], b[r], rcond=None)[0] for r in range(q.repeats)])
    rows = np.arange(q.repeats)
    for mode in range(2):  # 0: with replacement, 1: a fresh permutation every epoch
        x = np.zeros((q.repeats, q.dim))
        for k in range(q.epochs):
            order = (np.argsort(rng.random((q.repeats, q.n)), axis=1) if mode == 1
                     else rng.integers(q.n, size=(q.repeats, q.n)))
            step = q.lr / (k + 1) / q.dim
            for t in range(q.n):
                ai = a[rows, order[:, t]]
                x -= step * (np.sum(ai * x, axis=1) - b[rows, order[:, t]])[:, None] * ai
            errs[mode, :, k] = np.sum((x - x_star) ** 2, axis=1)
    med = np.median(errs, axis=1)
    epoch = np.arange(1, q.epochs + 1, dtype=float)
    half = q.epochs // 2
    return {"epoch": epoch, "with_replacement": med[0], "reshuffled": med[1],
            "slope_with": float(np.polyfit(np.log(epoch[half:]), np.log(med[0, half:]), 1)[0]),
            "slope_reshuffled": float(np.polyfit(np.log(epoch[half:]), np.log(med[1, half:]), 1)[0])}


def _hashing(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Relative error of inner products of non-negative sparse vectors hashed into m buckets, signed vs not."""
    m = np.array(q.widths)
    signed = np.zeros((q.repeats, m.size))
    plain = np.zeros_like(signed)
    for r in range(q.repeats):
        idx = rng.choice(q.items, size=(2, q.n), replace=True)
        val = np.abs(rng.standard_normal((2, q.n)))  # non-negative, like counts
        u = np.zeros(q.items)
        v = np.zeros(q.items)
        np.add.at(u, idx[0], val[0])
        np.add.at(v, idx[1], val[1])
        v += 0.5 * u
        exact = u @ v
        scale = np.linalg.norm(u) * np.linalg.norm(v)
        for k, width in enumerate(m):
            h = rng.integers(width, size=q.items)
            s = rng.choice([-1.0, 1.0], size=q.items)
            hs = np.bincount(h, weights=s * u, minlength=width) @ np.bincount(h, weights=s * v, minlength=width)
            hp = np.bincount(h, weights=u, minlength=width) @ np.bincount(h, weights=v, minlength=width)
            signed[r, k] = abs(hs - exact) / scale
            plain[r, k] = abs(hp - exact) / scale
    return {"width": m.astype(float), "signed": np.median(signed, axis=0), "unsigned": np.median(plain, axis=0),
            "slope_signed": float(np.polyfit(np.log(m), np.log(np.median(signed, axis=0)), 1)[0])}


def _online_softmax(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """One pass over logits keeping a running max m and a sum d rescaled whenever m grows."""
    z = rng.standard_normal(q.n) * 3.0 + np.linspace(0, 6, q.n)
    m = np.empty(q.n)
    d = np.empty(q.n)
    run_m, run_d = -np.inf, 0.0
    for i, v in enumerate(z):
        new = max(run_m, v)
        run_d = run_d * math.exp(run_m - new) + math.exp(v - new)
        run_m = new
        m[i], d[i] = run_m, run_d
    exact = np.exp(z - z.max())
    softmax = exact / exact.sum()
    online = np.exp(z - m[-1]) / d[-1]
    rescales = np.count_nonzero(np.diff(m) > 0)
    return {"position": np.arange(1, q.n + 1, dtype=float), "logit": z, "running_max": m, "running_sum": d,
            "error": float(np.max(np.abs(online - softmax))), "rescales": float(rescales),
            "log_sum": np.log(d) + m, "log_sum_exact": np.log(np.cumsum(np.exp(z - z.max()))) + z.max()}


def _quantisation_noise(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Signal-to-quantisation-noise ratio (dB) of b-bit round-to-nearest with an absmax scale."""
    bits = np.array(q.bits_list)
    data = {"uniform": rng.uniform(-1, 1, q.n), "gaussian": rng.standard_normal(q.n)}
    sqnr = np.zeros((bits.size, 2))
    for k, b in enumerate(bits):
        for j, x in enumerate(data.values()):
            top = 2 ** (int(b) - 1) - 1
            s = np.max(np.abs(x)) / top
            err = np.round(x / s) * s - x
            sqnr[k, j] = 10 * np.log10(np.mean(x**2) / np.mean(err**2))
    slope = [float(np.polyfit(bits, sqnr[:, j], 1)[0]) for j in range(2)]
    return {"bits": bits.astype(float), "bars": sqnr, "bar_labels": np.array([f"{int(b)}" for b in bits]),
            "noise_bars": 10 ** (-sqnr / 10),
            "uniform": sqnr[:, 0], "gaussian": sqnr[:, 1], "slope_uniform": slope[0], "slope_gaussian": slope[1],
            "gap_db": float(np.mean(sqnr[:, 0] - sqnr[:, 1])), "six_db": 20 * math.log10(2)}


def _tail_latency(q: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """A request waits for the slowest of N servers, each log-normal: densities of log10 latency."""
    edges = np.linspace(0.0, 3.0, q.bins + 1)
    dens, med, above = [], [], []
    single = np.exp(rng.normal(math.log(10.0), q.log_sd, q.n))
    p99 = float(np.quantile(single, 0.99))
    for fan in q.rows:
        lat = np.exp(rng.normal(math.log(10.0), q.log_sd, (q.n, fan))).max(axis=1)
        h, _ = np.histogram(np.log10(lat), bins=edges)
        dens.append(h / q.n)
        med.append(float(np.median(lat)))
        above.append(float(np.mean(lat > p99)))
    return {"x": (edges[:-1] + edges[1:]) / 2, "density": np.array(dens), "rows": np.array(q.rows, float),
            "median_ms": np.array(med), "single_p99": p99, "log_p99": math.log10(p99),
            "above_p99": np.array(above)}


Exp = Callable[[ExperimentParams, np.random.Generator], Arrays]
EXPERIMENTS: dict[str, Exp] = {
    "stochastic-rounding": _stochastic_rounding, "summation-order": _summation_order,
    "loss-scaling": _loss_scaling, "int8-outliers": _int8_outliers, "gptq": _gptq,
    "cache-replacement": _cache, "moe-balance": _moe, "random-reshuffling": _reshuffling,
    "feature-hashing": _hashing, "online-softmax": _online_softmax,
    "quantisation-noise": _quantisation_noise, "tail-latency": _tail_latency,
}


@recipe("sys-experiment", ExperimentParams)
def sys_experiment(p: ExperimentParams, rng: np.random.Generator) -> Arrays:
    """Seeded numerical experiments: rounding, summation order, loss scaling, int8 outliers,
    GPTQ, cache replacement, MoE load balancing, random reshuffling, feature hashing, online
    softmax, quantisation noise, tail latency.  Each experiment's docstring says what it
    computes; the comment above :data:`EXPERIMENTS`' functions lists the arrays."""
    return EXPERIMENTS[p.experiment](p, rng)
