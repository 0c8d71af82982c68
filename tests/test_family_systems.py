"""Engines of the systems family: each is checked against an independent computation of what it
claims to compute (numpy's own float16 and float32 against the bit-field decoder, a direct
convolution against Winograd, a plain matrix product against the systolic array, hand counts
against the schedules) and over its parameter bounds.  The per-plate contract runs elsewhere.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint.errors import TeeprintError
from teeprint.recipes import validate_params
from teeprint.recipes.sys_parallel import (
    EXPERIMENTS,
    SCHEDULES,
    ExperimentParams,
    ScheduleParams,
    gptq,
    pipeline_schedule,
    sys_experiment,
    sys_schedule,
)
from teeprint.recipes.systems import (
    COUNTS,
    FORMULAS,
    SysParams,
    decode,
    format_grid,
    sys_counts,
    sys_formula,
    winograd_f23,
)

RNG = np.random.default_rng(0)


def test_fp16_decoder_matches_numpy_bit_patterns() -> None:
    bits = np.arange(0, 0x7C00, dtype=np.uint16)  # every positive finite float16
    e, m = bits >> 10, bits & 0x3FF
    ours = decode(5, 10, 15, "ieee", e, m)
    assert np.array_equal(ours, bits.view(np.float16).astype(float))


def test_bf16_decoder_matches_upper_half_of_float32() -> None:
    bits = np.arange(0, 0x7F80, 7, dtype=np.uint32)
    e, m = bits >> 7, bits & 0x7F
    ours = decode(8, 7, 127, "ieee", e, m)
    assert np.array_equal(ours, (bits << 16).view(np.float32).astype(float))


def test_format_extremes_are_the_published_ones() -> None:
    assert format_grid("fp16")["max"] == 65504.0
    assert format_grid("e4m3")["max"] == 448.0
    assert format_grid("e5m2")["max"] == 57344.0
    assert format_grid("fp32")["max"] == float(np.finfo(np.float32).max)
    assert format_grid("fp32")["min_sub"] == float(np.finfo(np.float32).smallest_subnormal)
    assert format_grid("fp16")["eps"] == float(np.finfo(np.float16).eps)


def test_format_gaps_match_numpy_spacing() -> None:
    g = format_grid("fp16")
    x = g["x"]
    spacing = np.spacing(x.astype(np.float16)).astype(float)
    assert np.allclose(g["gap"], spacing / x)


def test_winograd_f23_is_a_correlation() -> None:
    d, k = RNG.standard_normal(4), RNG.standard_normal(3)
    assert np.allclose(winograd_f23(d, k), [d[0:3] @ k, d[1:4] @ k])


@pytest.mark.parametrize("p,m", [(2, 1), (4, 8), (8, 3), (5, 16)])
def test_pipeline_bubble_is_the_textbook_fraction(p: int, m: int) -> None:
    for kind in ("gpipe", "1f1b"):
        g = pipeline_schedule(p, m, kind)  # type: ignore[arg-type]
        assert np.all((g == 1).sum(axis=1) == m) and np.all((g == 2).sum(axis=1) == m)
        assert math.isclose(float(np.mean(g == 0)), (p - 1) / (m + p - 1))


def test_one_f_one_b_holds_at_most_the_stage_count() -> None:
    a = sys_schedule(ScheduleParams(experiment="pipeline", stages=4, micro_batches=16), RNG)
    assert a["inflight_gpipe"] == 16 and a["inflight_1f1b"] == 4


@pytest.mark.parametrize("n", [2, 3, 5, 6])
def test_ring_allreduce_sums_exactly_with_optimal_traffic(n: int) -> None:
    a = sys_schedule(ScheduleParams(experiment="ring-allreduce", devices=n), RNG)
    assert a["error"] == 0 and np.allclose(a["sent_share"], 2 * (n - 1) / n)


def test_systolic_array_multiplies() -> None:
    for size in (2, 3, 5):
        a = sys_schedule(ScheduleParams(experiment="systolic", size=size, cycles=(0,)), RNG)
        assert a["error"] == 0 and a["total_cycles"] == 3 * size - 2


def test_ring_attention_and_tensor_parallel_match_the_unsplit_computation() -> None:
    ra = sys_schedule(ScheduleParams(experiment="ring-attention", devices=5, d=4), RNG)
    tp = sys_schedule(ScheduleParams(experiment="tensor-parallel", devices=4, d=16), RNG)
    assert ra["error"] < 1e-12 and tp["error"] < 1e-12


def test_sparsity_keeps_the_two_largest_of_four() -> None:
    a = sys_schedule(ScheduleParams(experiment="sparsity-24", rows=5, cols=12), RNG)
    w, kept = a["weights"].reshape(5, 3, 4), a["kept"].reshape(5, 3, 4)
    for row, mask in zip(w.reshape(-1, 4), kept.reshape(-1, 4), strict=True):
        assert set(np.argsort(-row)[:2]) == set(np.nonzero(mask)[0])


def test_paged_allocation_wastes_less_than_a_block_per_request() -> None:
    a = sys_schedule(ScheduleParams(experiment="paged-kv", requests=20, block=8, max_len=64), RNG)
    assert a["max_tail"] < 8 and a["waste_paged"] <= a["waste_contiguous"]


def test_continuous_batching_never_loses_work() -> None:
    a = sys_schedule(ScheduleParams(experiment="continuous-batching", requests=12, slots=3), RNG)
    assert np.sum(a["static"] > 0) == np.sum(a["continuous"] > 0) == a["work"]
    assert a["steps_continuous"] <= a["steps_static"]


def test_gptq_beats_round_to_nearest_on_correlated_inputs() -> None:
    rng = np.random.default_rng(3)
    w = rng.standard_normal((8, 16))
    cov = 0.9 ** np.abs(np.subtract.outer(np.arange(16), np.arange(16)))
    x = np.linalg.cholesky(cov) @ rng.standard_normal((16, 200))
    scale = np.max(np.abs(w), axis=1, keepdims=True) / 7
    rtn = np.clip(np.round(w / scale), -8, 7) * scale
    q = gptq(w, x, 4)
    assert np.all(np.isin(np.round(q / scale), np.arange(-8, 8)))  # on the same grid
    assert np.sum(((q - w) @ x) ** 2) < np.sum(((rtn - w) @ x) ** 2)


def test_optimal_replacement_bounds_lru() -> None:
    a = sys_experiment(ExperimentParams(experiment="cache-replacement", n=3000, items=200,
                                        sizes=(4, 16, 64)), RNG)
    assert np.all(a["optimal"] >= a["lru"]) and np.all(np.diff(a["optimal"]) >= 0)


def test_online_softmax_is_exact() -> None:
    a = sys_experiment(ExperimentParams(experiment="online-softmax", n=50), RNG)
    assert a["error"] < 1e-12


def test_closed_forms_of_the_formula_table() -> None:
    am = sys_formula(SysParams(experiment="amdahl", fractions=(0.9,), processors_max=8, points=20), RNG)
    assert math.isclose(float(am["speedup"][0, -1]), 1 / (0.1 + 0.9 / 8))
    ck = sys_formula(SysParams(experiment="checkpointing", layers=100), RNG)
    assert ck["best_k"] == 10 and ck["best_memory"] == 20
    aq = sys_formula(SysParams(experiment="affine-quant", bits=8, lo=-3.0, hi=5.0), RNG)
    assert np.unique(aq["dequant"]).size <= 256 and aq["dequant"][np.argmin(np.abs(aq["x"]))] == 0
    z = sys_counts(SysParams(experiment="zero", params_billion=7.5, devices=64), RNG)
    assert np.allclose(z["totals"], [120, 31.40625, 16.640625, 1.875])


def test_every_table_entry_runs_at_its_defaults() -> None:
    for name in FORMULAS:
        sys_formula(SysParams(experiment=name), RNG)
    for name in COUNTS:
        sys_counts(SysParams(experiment=name), RNG)
    for name in SCHEDULES:
        sys_schedule(ScheduleParams(experiment=name), RNG)  # type: ignore[arg-type]
    for name in ("online-softmax", "loss-scaling", "feature-hashing"):
        sys_experiment(ExperimentParams(experiment=name), RNG)  # type: ignore[arg-type]
    assert set(EXPERIMENTS) >= {"gptq", "moe-balance", "summation-order"}


def test_a_setting_an_experiment_does_not_read_is_refused() -> None:
    with pytest.raises(ValueError, match="does not read"):
        sys_formula(SysParams(experiment="amdahl", layers=3), RNG)
    with pytest.raises(ValueError, match="unknown experiment"):
        sys_counts(SysParams(experiment="no-such"), RNG)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bits=st.integers(-5, 40), devices=st.integers(-3, 200000), peak=st.floats(-1.0, 2e4))
def test_sys_params_bounds(bits: int, devices: int, peak: float) -> None:
    data = {"experiment": "zero", "bits": bits, "devices": devices, "peak_tflops": peak}
    ok = 1 <= bits <= 16 and 1 <= devices <= 100000 and 0.1 <= peak <= 10000.0
    if ok:
        validate_params(SysParams, data, "test")
    else:
        with pytest.raises(TeeprintError):
            validate_params(SysParams, data, "test")


@settings(max_examples=40, deadline=None)
@given(stages=st.integers(-2, 40), devices=st.integers(0, 10), steps=st.integers(0, 30000))
def test_schedule_and_experiment_bounds(stages: int, devices: int, steps: int) -> None:
    sched = {"experiment": "pipeline", "stages": stages, "devices": devices}
    if 2 <= stages <= 16 and 2 <= devices <= 6:
        validate_params(ScheduleParams, sched, "test")
    else:
        with pytest.raises(TeeprintError):
            validate_params(ScheduleParams, sched, "test")
    exp = {"experiment": "gptq", "steps": steps}
    if 10 <= steps <= 20000:
        validate_params(ExperimentParams, exp, "test")
    else:
        with pytest.raises(TeeprintError):
            validate_params(ExperimentParams, exp, "test")


def _flash_attention_counted(q: np.ndarray, k: np.ndarray, v: np.ndarray, sram: int) -> tuple[np.ndarray, int]:
    """Dao et al.'s algorithm 1 in numpy, counting every element read from or written to HBM."""
    n, d = q.shape
    bc = math.ceil(sram / (4 * d))
    br = min(bc, d)
    o, ell, m = np.zeros((n, d)), np.zeros(n), np.full(n, -np.inf)
    io = n * d + 2 * n  # O, l, m initialised in HBM
    for j in range(0, n, bc):
        kj, vj = k[j:j + bc], v[j:j + bc]
        io += kj.size + vj.size
        for i in range(0, n, br):
            qi, oi, li, mi = q[i:i + br], o[i:i + br], ell[i:i + br], m[i:i + br]
            io += qi.size + oi.size + li.size + mi.size
            s = qi @ kj.T
            mt = s.max(axis=1)
            p = np.exp(s - mt[:, None])
            lt = p.sum(axis=1)
            mn = np.maximum(mi, mt)
            ln = np.exp(mi - mn) * li + np.exp(mt - mn) * lt
            o[i:i + br] = ((li * np.exp(mi - mn))[:, None] * oi + np.exp(mt - mn)[:, None] * (p @ vj)) / ln[:, None]
            ell[i:i + br], m[i:i + br] = ln, mn
            io += br * d + 2 * br
    return o, io


def test_flash_io_formula_counts_the_algorithm() -> None:
    rng = np.random.default_rng(1)
    n, d, sram = 256, 16, 1024
    q, k, v = (rng.standard_normal((n, d)) for _ in range(3))
    out, io = _flash_attention_counted(q, k, v, sram)
    s = q @ k.T
    p = np.exp(s - s.max(axis=1, keepdims=True))
    assert np.allclose(out, (p / p.sum(axis=1, keepdims=True)) @ v)
    f = sys_formula(SysParams(experiment="flash-io", head_dim=d, sram_elements=sram,
                              context_min=n, context_max=2 * n, points=20), RNG)
    assert math.isclose(float(f["flash"][0]), io)
    assert math.isclose(float(f["standard"][0]), 4 * n * d + 4 * n * n)


def test_allreduce_crossover_is_where_the_two_costs_meet() -> None:
    a = sys_formula(SysParams(experiment="allreduce-time", devices=16, latency_us=2.0, link_gbs=50.0), RNG)
    c = float(a["crossover"])
    ring = np.interp(c, a["bytes"], a["ring_ms"])
    doubling = np.interp(c, a["bytes"], a["doubling_ms"])
    assert abs(ring - doubling) / ring < 0.01


def test_each_bit_buys_about_six_decibels() -> None:
    a = sys_experiment(ExperimentParams(experiment="quantisation-noise", n=20000, bits_list=(6, 7, 8, 9)), RNG)
    assert np.allclose(np.diff(a["uniform"]), 20 * math.log10(2), atol=0.3)


def test_tail_latency_grows_with_fan_out() -> None:
    a = sys_experiment(ExperimentParams(experiment="tail-latency", n=1000, rows=(1, 10, 100)), RNG)
    assert np.all(np.diff(a["median_ms"]) > 0) and a["median_ms"][2] > a["single_p99"]
