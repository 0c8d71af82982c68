"""Engines of the architectures family (and the attention plates of interpretability).

The per-plate contract (renders, deterministic, claims hold) runs over the whole archive
elsewhere; here each engine is checked against an independent computation of what it claims
to compute (a loop where the recipe vectorises, a finite difference where it differentiates,
the published reference formula where it tabulates) and over its parameter bounds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint import recipes
from teeprint.errors import TeeprintError
from teeprint.recipes import validate_params
from teeprint.recipes.architectures import (
    ACTIVATIONS,
    ActivationParams,
    MaxoutParams,
    MomentMapParams,
    activations,
    maxout,
    moment_map,
)
from teeprint.recipes.interpretability import (
    CircuitParams,
    _skip_trigrams,
    circuit_loss_and_grads,
    init_circuit_model,
)
from teeprint.recipes.matrices import MatrixParams, alibi_slopes, matrix, t5_bucket
from teeprint.recipes.pixels import (
    PixelParams,
    conv_output_size,
    correlate2d,
    pixels,
    transposed_conv,
)

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RNG = np.random.default_rng(7)


def _finite(arrays: dict) -> None:
    for name, v in arrays.items():
        a = np.asarray(v)
        if a.dtype.kind in "fiub":
            assert np.all(np.isfinite(a)), name


# -- matrix ---------------------------------------------------------------------------------


@FAST
@given(kind=st.sampled_from(["causal", "t5-masks", "sliding-window", "strided", "alibi",
                             "t5-buckets", "linear-attention", "normalisation-axes", "multi-head",
                             "rope", "gcn", "scaling"]),
       n=st.integers(8, 40), window=st.integers(1, 6), seed=st.integers(0, 1000))
def test_matrix_kinds_run_in_bounds(kind, n, window, seed):
    p = MatrixParams(kind=kind, n=n, window=window, prefix=min(6, n - 1), layers=3,
                     dim=4, groups=2)
    out = matrix(p, np.random.default_rng(seed))
    _finite(out)
    for name, v in out.items():  # every attention pattern is a distribution over keys
        if "attention" in name and np.ndim(v) == 2:
            np.testing.assert_allclose(np.sum(v, axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("bad", [{"kind": "causal", "n": 3}, {"kind": "causal", "n": 65},
                                 {"kind": "nope"}, {"kind": "t5-masks", "n": 8, "prefix": 8},
                                 {"kind": "alibi", "heads": 4, "show_heads": [5]},
                                 {"kind": "normalisation-axes", "channels": 6, "groups": 4}])
def test_matrix_rejects_out_of_bounds(bad):
    with pytest.raises(TeeprintError):
        validate_params(recipes.get("matrix").params, bad, "x")


@FAST
@given(n=st.integers(8, 48), ell=st.integers(2, 8))
def test_factorised_patterns_reach_every_earlier_position_in_two_hops(n, ell):
    out = matrix(MatrixParams(kind="strided", n=n, window=ell), RNG)
    causal = np.tril(np.ones((n, n)))
    assert np.all(out["strided_two_hop"] >= causal) and np.all(out["fixed_two_hop"] >= causal)
    assert np.all(out["strided_union"] <= causal) and np.all(out["fixed_union"] <= causal)
    # Brute force: is j reachable from i via some k with i -> k (local), k -> j (stride)?
    i, j = n - 1, 0
    assert any(out["local"][i, k] and out["stride"][k, j] for k in range(n))


@FAST
@given(n=st.integers(12, 64), w=st.integers(1, 4), layers=st.integers(1, 4))
def test_sliding_window_reach_grows_by_two_windows_a_layer(n, w, layers):
    out = matrix(MatrixParams(kind="sliding-window", n=n, window=w, layers=layers), RNG)
    # Count directly: positions within w*(l+1) of the centre, clipped to the sequence.
    direct = [np.sum(np.abs(np.arange(n) - n // 2) <= w * (layer + 1)) for layer in range(layers)]
    np.testing.assert_array_equal(out["reach_width"], direct)
    for layer in range(layers):
        if n // 2 - w * (layer + 1) >= 0 and n // 2 + w * (layer + 1) < n:
            assert out["reach_width"][layer] == 2 * w * (layer + 1) + 1


def test_alibi_slopes_are_the_published_sequence():
    np.testing.assert_allclose(alibi_slopes(8), [1 / 2 ** k for k in range(1, 9)])
    np.testing.assert_allclose(alibi_slopes(4), [1 / 4, 1 / 16, 1 / 64, 1 / 256])


def _t5_reference(rel: int, num_buckets: int = 32, max_distance: int = 128) -> int:
    """The reference implementation (Mesh TensorFlow / HF T5), one offset at a time."""
    ret = 0
    n = -rel
    num_buckets //= 2
    ret += int(n < 0) * num_buckets
    n = abs(n)
    max_exact = num_buckets // 2
    if n < max_exact:
        return ret + n
    large = max_exact + int(math.log(n / max_exact) / math.log(max_distance / max_exact)
                            * (num_buckets - max_exact))
    return ret + min(large, num_buckets - 1)


def test_t5_buckets_match_the_reference_implementation():
    offsets = np.arange(-300, 301)
    got = t5_bucket(offsets, 32, 128)
    assert list(got) == [_t5_reference(int(o)) for o in offsets]


@FAST
@given(n=st.integers(6, 32), d=st.integers(2, 5), seed=st.integers(0, 1000))
def test_linear_attention_has_rank_at_most_its_feature_count(n, d, seed):
    out = matrix(MatrixParams(kind="linear-attention", n=n, dim=d), np.random.default_rng(seed))
    s = np.linalg.svd(out["linear_attention"], compute_uv=False)
    assert np.sum(s > 1e-9 * s[0]) <= d


@FAST
@given(n=st.integers(2, 6), g=st.sampled_from([1, 2, 3]), per=st.integers(2, 3), hw=st.integers(2, 5))
def test_normalisers_share_statistics_over_their_published_axes(n, g, per, hw):
    c = g * per
    out = matrix(MatrixParams(kind="normalisation-axes", batch=n, channels=c, pixels=hw, groups=g),
                 RNG)
    assert out["batch_shared"] == n * hw
    assert out["layer_shared"] == c * hw
    assert out["instance_shared"] == hw
    assert out["group_shared"] == per * hw


# -- pixels ---------------------------------------------------------------------------------


def _correlate_loop(img, ker, s, pad, d):
    img = np.pad(img, pad)
    k = ker.shape[0]
    o = (img.shape[0] - d * (k - 1) - 1) // s + 1
    out = np.zeros((o, o))
    for r in range(o):
        for c in range(o):
            out[r, c] = sum(ker[a, b] * img[r * s + a * d, c * s + b * d]
                            for a in range(k) for b in range(k))
    return out


@FAST
@given(i=st.integers(5, 14), k=st.integers(1, 4), s=st.integers(1, 3), pad=st.integers(0, 2),
       d=st.integers(1, 3), seed=st.integers(0, 100))
def test_correlation_matches_a_loop_and_the_size_formula(i, k, s, pad, d, seed):
    if d * (k - 1) + 1 > i + 2 * pad:
        return
    gen = np.random.default_rng(seed)
    img, ker = gen.normal(size=(i, i)), gen.normal(size=(k, k))
    got = correlate2d(img, ker, s, pad, d)
    np.testing.assert_allclose(got, _correlate_loop(img, ker, s, pad, d), atol=1e-12)
    assert got.shape[0] == conv_output_size(i, k, s, pad, d)


@FAST
@given(n=st.integers(4, 10), k=st.integers(2, 6))
def test_transposed_conv_is_even_iff_the_kernel_is_a_multiple_of_the_stride(n, k):
    out = transposed_conv(np.ones((n, n)), np.ones((k, k)), 2)
    inner = out[k:-k, k:-k]
    if inner.shape[0] >= 2:  # at least one full period of the stride
        assert (inner.max() == inner.min()) == (k % 2 == 0)


@FAST
@given(patch=st.sampled_from([2, 4, 8]), g=st.integers(2, 4))
def test_patches_round_trip(patch, g):
    out = pixels(PixelParams(kind="patches", size=patch * g, patch=patch), RNG)
    assert out["reconstruction_error"] == 0 and out["num_tokens"] == g * g
    assert out["tokens"].shape == (g * g, patch * patch)


@pytest.mark.parametrize("layers", [1, 2, 3, 4, 5])
def test_dilated_causal_field_doubles_per_layer(layers):
    out = pixels(PixelParams(kind="dilated-causal", layers=layers), RNG)
    assert out["field"] == 2 ** layers and out["plain_field"] == layers + 1


def test_erf_grows_slower_than_the_theoretical_field():
    out = pixels(PixelParams(kind="erf", depths=(2, 4, 8), draws=8), np.random.default_rng(3))
    r = out["erf_radius"]
    assert np.all(np.diff(r) > 0) and r[-1] / r[0] < 4  # depth x4, width well under x4


@FAST
@given(kind=st.sampled_from(["convolution", "pooling", "conv-arithmetic", "transposed-conv",
                             "patches", "dilated-causal", "separable-cost"]),
       size=st.sampled_from([8, 12, 16]), layers=st.integers(1, 6))
def test_pixel_kinds_run_in_bounds(kind, size, layers):
    p = PixelParams(kind=kind, size=size, patch=4, layers=layers, kernel=3)
    _finite(pixels(p, RNG))


@pytest.mark.parametrize("bad", [{"kind": "patches", "size": 10, "patch": 4},
                                 {"kind": "pooling", "size": 9},
                                 {"kind": "convolution", "size": 4, "kernel": 9},
                                 {"kind": "erf", "depths": [2, 99]}])
def test_pixels_rejects_out_of_bounds(bad):
    with pytest.raises(TeeprintError):
        validate_params(recipes.get("pixels").params, bad, "x")


# -- activations, maxout, moment map ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivatives_match_finite_differences(name):
    f, df = ACTIVATIONS[name]
    x = np.linspace(-4, 4, 401)
    x = x[np.abs(x) > 1e-3]  # the kinks of relu-like functions sit at 0
    h = 1e-6
    np.testing.assert_allclose(df(x), (f(x + h) - f(x - h)) / (2 * h), atol=1e-5)


def test_gelu_and_silu_dip_where_published():
    out = activations(ActivationParams(functions=("gelu", "silu"), points=4001), RNG)
    assert abs(out["gelu_min"] + 0.170) < 1e-3 and abs(out["gelu_argmin"] + 0.752) < 5e-3
    assert abs(out["silu_min"] + 0.278) < 1e-3 and abs(out["silu_argmin"] + 1.278) < 5e-3


def test_selu_maps_standard_normal_to_standard_normal():
    out = activations(ActivationParams(functions=("selu",)), RNG)
    assert abs(out["selu_mean_gauss"]) < 1e-6 and abs(out["selu_var_gauss"] - 1) < 1e-6
    m = moment_map(MomentMapParams(functions=("selu",), starts=(0.1, 9.0), layers=64), RNG)
    assert abs(m["var_selu_0"][-1] - 1) < 0.01 and abs(m["var_selu_1"][-1] - 1) < 0.01


@FAST
@given(k=st.integers(2, 12), x_max=st.floats(0.5, 5.0))
def test_maxout_gap_is_a_quarter_spacing_squared(k, x_max):
    out = maxout(MaxoutParams(pieces=(k,), x_max=x_max, points=4001), RNG)
    spacing = 2 * x_max / (k - 1)
    assert abs(out[f"error_{k}"] - (spacing / 2) ** 2) < 1e-2 * max(1.0, spacing**2)


@pytest.mark.parametrize("bad", [{"functions": ["nope"]}, {"x_min": 1.0}, {"points": 10}])
def test_activations_reject_out_of_bounds(bad):
    with pytest.raises(TeeprintError):
        validate_params(recipes.get("activations").params, bad, "x")


# -- the trained circuit model ----------------------------------------------------------------


def test_circuit_gradients_match_finite_differences():
    p = CircuitParams(d_model=8, d_head=4, context=4)
    gen = np.random.default_rng(0)
    seq, target = _skip_trigrams(p, gen, 16)
    params = init_circuit_model(p, gen)
    _, grads = circuit_loss_and_grads(params, seq, target)
    h = 1e-6
    for name, w in params.items():
        for idx in [(0, 0), (1, 2), (w.shape[0] - 1, w.shape[1] - 1)]:
            old = w[idx]
            w[idx] = old + h
            up, _ = circuit_loss_and_grads(params, seq, target)
            w[idx] = old - h
            down, _ = circuit_loss_and_grads(params, seq, target)
            w[idx] = old
            assert abs((up - down) / (2 * h) - grads[name][idx]) < 1e-6, (name, idx)


def test_skip_trigram_sequences_hold_exactly_one_member_of_the_cue_class():
    p = CircuitParams()
    seq, target = _skip_trigrams(p, np.random.default_rng(1), 500)
    cls = (seq[:, :-1] - p.classes) // p.per_class
    assert np.all(np.sum(cls == seq[:, -1:], axis=1) == 1)
    member = seq[np.arange(500), np.argmax(cls == seq[:, -1:], axis=1)] - p.classes
    assert np.all(target == (member // p.per_class) * p.per_class + (member % p.per_class + 1) % p.per_class)


# -- sequence models, signals through depth, planes, point maps -------------------------------

from teeprint.recipes.arch_dynamics import (  # noqa: E402
    DepthParams,
    SequenceParams,
    depth_signal,
    hippo_legs,
    mackey_glass,
    sequence_model,
)
from teeprint.recipes.arch_planes import PlaneParams, PointMapParams, plane_model, point_map  # noqa: E402
from teeprint.recipes.matrices import rope_rotate  # noqa: E402


@FAST
@given(seed=st.integers(0, 10_000), n=st.integers(16, 96), k=st.integers(1, 4),
       flip=st.floats(0.0, 0.45))
def test_hopfield_energy_never_rises(seed, n, k, flip):
    out = sequence_model(SequenceParams(model="hopfield", neurons=n, patterns=k, flip=flip),
                         np.random.default_rng(seed))
    assert np.all(np.diff(out["energy"]) <= 1e-9)


@FAST
@given(write=st.integers(1, 40), gap=st.integers(5, 50))
def test_lstm_latch_holds_and_reads_out(write, gap):
    p = SequenceParams(model="lstm-latch", steps=max(20, write + gap + 5), write_at=write,
                       read_at=write + gap)
    out = sequence_model(p, RNG)
    assert abs(out["cell_before_read"] - out["cell_after_write"]) < 0.02
    assert int(np.argmax(out["output"])) == write + gap


def test_lstm_latch_rejects_read_before_write():
    with pytest.raises(ValueError, match="write_at < read_at"):
        sequence_model(SequenceParams(model="lstm-latch", write_at=50, read_at=40), RNG)


@pytest.mark.parametrize("n", [4, 8, 16])
def test_hippo_legs_is_stable_and_lower_triangular(n):
    a, b = hippo_legs(n)
    assert np.all(np.triu(a, 1) == 0) and np.all(np.linalg.eigvals(a).real < 0)
    assert a[1, 0] == -math.sqrt(3) and b[2] == math.sqrt(5)


def test_mackey_glass_is_bounded_and_not_periodic_looking():
    x = mackey_glass(600)
    assert 0.2 < x.min() < x.max() < 1.6
    assert np.std(x[:300]) > 0.1


def test_residual_shortcuts_keep_the_gradient():
    out = depth_signal(DepthParams(experiment="residual", depth=20, batch=32, draws=2),
                       np.random.default_rng(0))
    assert out["residual_min"] >= 1.0 and out["plain_first"] < 1e-2


@pytest.mark.parametrize("bad", [{"experiment": "nope"}, {"experiment": "residual", "depth": 2},
                                 {"experiment": "batchnorm", "weight_scale": 9.0}])
def test_depth_signal_rejects_out_of_bounds(bad):
    with pytest.raises(TeeprintError):
        validate_params(recipes.get("depth-signal").params, bad, "x")


@FAST
@given(seed=st.integers(0, 10_000), margin=st.floats(0.1, 0.8))
def test_perceptron_separates_within_novikoff(seed, margin):
    out = plane_model(PlaneParams(model="perceptron", margin=margin, epochs=200),
                      np.random.default_rng(seed))
    assert out["final_errors"] == 0 and out["mistakes"] <= out["novikoff_bound"]


def test_xor_is_not_linearly_separable():
    out = plane_model(PlaneParams(model="xor", steps=100, restarts=1, grid=41), RNG)
    assert out["best_single_line"] == 3


@FAST
@given(seed=st.integers(0, 10_000), w=st.integers(2, 8))
def test_first_layer_cells_respect_zaslavsky(seed, w):
    out = plane_model(PlaneParams(model="linear-regions", widths=(w, 3), grid=61),
                      np.random.default_rng(seed))
    assert out["first_layer_regions"] <= 1 + w + w * (w - 1) // 2
    assert out["regions"] >= out["first_layer_regions"]


@FAST
@given(seed=st.integers(0, 10_000), offset=st.floats(0.0, 4.0))
def test_layernorm_is_rmsnorm_of_the_centred_vector(seed, offset):
    out = point_map(PointMapParams(map="norms", points=50, offset=offset), np.random.default_rng(seed))
    assert np.allclose(out["ln_radius_in_plane"], math.sqrt(3)) and np.allclose(out["rms_norm"], math.sqrt(3))
    assert np.all(out["rms_radius_in_plane"] <= math.sqrt(3) + 1e-12)


@FAST
@given(seed=st.integers(0, 10_000))
def test_ode_flow_is_invertible_and_keeps_nesting(seed):
    out = point_map(PointMapParams(map="ode-flow", points=60, steps=50), np.random.default_rng(seed))
    assert out["round_trip_error"] < 1e-5
    # The inside test uses a polygon through finitely many carried points, so a ring squeezed
    # into a thin sliver can put an inner point a hair outside it; nesting holds for the
    # great majority whatever the field.
    assert out["inner_inside"][0] == 1 and np.all(out["inner_inside"] >= 0.9)


@FAST
@given(d=st.sampled_from([4, 8, 32, 64]), m=st.integers(0, 50), n=st.integers(0, 50),
       seed=st.integers(0, 100))
def test_rope_scores_depend_only_on_the_offset(d, m, n, seed):
    gen = np.random.default_rng(seed)
    q, k = gen.normal(size=d), gen.normal(size=d)
    a = rope_rotate(q, m, 10000.0) @ rope_rotate(k, n, 10000.0)
    b = rope_rotate(q, m + 7, 10000.0) @ rope_rotate(k, n + 7, 10000.0)
    assert abs(a - b) < 1e-9 * max(1.0, abs(a))


def test_gcn_propagation_is_symmetric_with_top_eigenvalue_one():
    out = matrix(MatrixParams(kind="gcn", hops=5), RNG)
    prop = out["propagation"]
    assert np.allclose(prop, prop.T) and abs(np.linalg.eigvalsh(prop).max() - 1) < 1e-12


def test_unscaled_attention_collapses_with_width():
    out = matrix(MatrixParams(kind="scaling", n=16), np.random.default_rng(1))
    assert out["entropy_raw"][-1] < 0.1 < out["entropy_scaled"].min()


def test_separable_cost_matches_the_count():
    out = pixels(PixelParams(kind="separable-cost"), RNG)
    n = out["channels"]
    np.testing.assert_allclose(out["ratio_k5"], (25 * 64 + 64 * n) / (25 * 64 * n))
