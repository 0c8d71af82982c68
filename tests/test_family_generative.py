"""The generative family's engines: parameter bounds (hypothesis), the properties each engine
must have whatever its parameters (exact scores, invertible flows, decoding rules), and the
token-bars motif drawing inside its panel.  Per-plate claims live in the design files and are
checked by ``teeprint verify``; nothing here repeats them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teeprint import motifs, pipeline, recipes
from teeprint.artwork import Box
from teeprint.errors import TeeprintError
from teeprint.motifs import MotifContext
from teeprint.motifs.style import HAIR_PT, TICK_PT
from teeprint.plate import FIGURE_BOX
from teeprint.recipes import FigureData, Provenance, rng_for, validate_params
from teeprint.recipes.gen_curves import GenCurveParams
from teeprint.recipes.tokens import apply_rule, entropy, softmax
from teeprint.recipes.warps import (
    Mixture,
    WarpParams,
    _coupling,
    _planar_forward,
    _planar_inverse,
    _planar_layers,
)

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(name: str, params: dict, seed: int = 0) -> dict:
    info = recipes.get(name)
    p = validate_params(info.params, params, "test")
    return info.func(p, rng_for(seed, name))


# -- parameter bounds ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, params, key", [
    ("warp", {"experiment": "score-field", "noise": 0.0}, "noise"),
    ("warp", {"experiment": "pf-ode", "steps": 5}, "steps"),
    ("warp", {"experiment": "pf-ode", "n_particles": 10**6}, "n_particles"),
    ("warp", {"experiment": "pf-ode", "sds": [0.3]}, "same length"),
    ("warp", {"experiment": "pf-ode", "beta_min": 4.0, "beta_max": 2.0}, "beta_max"),
    ("warp", {"experiment": "nope"}, "experiment"),
    ("token-bars", {"vocab": ["a", "b"], "logits": [1.0, 0.0, 2.0], "rule": "top-k"}, "one value per"),
    ("token-bars", {"vocab": ["a", "b"], "logits": [1.0, 0.0], "rule": "top-k", "values": [3]}, "within"),
    ("token-bars", {"vocab": ["a", "b"], "logits": [1.0, 0.0], "rule": "top-k", "values": [1.5]}, "whole"),
    ("token-bars", {"vocab": ["a", "b"], "logits": [1.0, 0.0], "rule": "rejection"}, "logits_b"),
    ("token-bars", {"vocab": ["a", "b"], "logits": [1.0, 0.0], "rule": "temperature", "values": [0.0]}, "within"),
    ("gen-curves", {"curve": "tweedie", "noise_sd": -1.0}, "noise_sd"),
    ("gen-matrix", {"experiment": "sinkhorn", "bins": 1000}, "bins"),
    ("gen-sweep", {"experiment": "iwae", "repeats": 1}, "repeats"),
    ("gan-1d", {"lr_generator": 5.0}, "lr_generator"),
])
def test_out_of_bounds_params_are_one_line_errors(name, params, key):
    info = recipes.get(name)
    with pytest.raises(TeeprintError, match=key) as err:
        validate_params(info.params, params, "designs/t.toml [recipe.params]")
    assert "\n" not in str(err.value)


@FAST
@given(experiment=st.sampled_from(["score-field", "pf-ode", "guidance", "flow-matching",
                                   "coupling-flow", "box-muller", "consistency", "dirac-gan",
                                   "annealed-langevin", "memorisation", "gumbel-softmax",
                                   "vq-codebook", "planar-flow"]),
       steps=st.integers(10, 40), particles=st.integers(10, 60), seed=st.integers(0, 2**16))
def test_warp_any_valid_setting_gives_finite_arrays(experiment, steps, particles, seed):
    out = _run("warp", {"experiment": experiment, "steps": steps, "n_particles": particles,
                        "n_paths": 3, "grid": 21, "path_points": 5, "n_fit": 100}, seed)
    for name, value in out.items():
        arr = np.asarray(value)
        if arr.dtype.kind in "fc":
            assert np.all(np.isfinite(arr)), name


# -- warp: exact objects ------------------------------------------------------------------------


@FAST
@given(k=st.integers(1, 5), seed=st.integers(0, 1000))
def test_mixture_score_is_the_gradient_of_its_log_density(k, seed):
    rng = np.random.default_rng(seed)
    mix = Mixture(rng.normal(0, 2, (k, 2)), rng.uniform(0.1, 1.0, k), rng.uniform(0.2, 1.0, k))
    x = rng.normal(0, 2, (7, 2))
    h = 1e-5
    num = np.stack([(mix.logpdf(x + h * e) - mix.logpdf(x - h * e)) / (2 * h) for e in np.eye(2)], -1)
    np.testing.assert_allclose(mix.score(x), num, atol=1e-5)


def test_vp_noising_keeps_unit_variance_at_pure_noise():
    mix = Mixture(np.array([[3.0, 0.0]]), np.array([0.2]), np.array([1.0]))
    far = mix.vp(1e-8)
    assert np.allclose(far.means, 0.0, atol=1e-3) and np.allclose(far.var, 1.0, atol=1e-6)


@FAST
@given(layers=st.integers(1, 4), strength=st.floats(0.0, 2.0), seed=st.integers(0, 1000))
def test_coupling_layers_invert_exactly(layers, strength, seed):
    p = WarpParams(experiment="coupling-flow", layers=layers, strength=strength)
    forward, inverse = _coupling(p, layers, strength)
    z = np.random.default_rng(seed).normal(0, 2, (50, 2))
    np.testing.assert_allclose(inverse(forward(z)[0]), z, atol=1e-9)


@FAST
@given(layers=st.integers(1, 3), strength=st.floats(0.05, 1.0), seed=st.integers(0, 1000))
def test_planar_layers_invert_and_log_det_matches(layers, strength, seed):
    p = WarpParams(experiment="planar-flow", layers=layers, strength=strength)
    ls = _planar_layers(p)
    assert all(w @ u >= -1 for u, w, _ in ls), "every layer must be invertible"
    z = np.random.default_rng(seed).normal(0, 1.5, (40, 2))
    x, logdet = _planar_forward(z, ls)
    np.testing.assert_allclose(_planar_inverse(x, ls), z, atol=1e-8)
    h = 1e-6
    jac = np.stack([(_planar_forward(z + h * e, ls)[0] - _planar_forward(z - h * e, ls)[0]) / (2 * h)
                    for e in np.eye(2)], -1)
    np.testing.assert_allclose(np.log(np.abs(np.linalg.det(jac))), logdet, atol=1e-5)


def test_consistency_paths_never_cross():
    out = _run("warp", {"experiment": "consistency", "n_paths": 9, "steps": 80})
    ends = out["paths"][:, -1, 1]
    assert np.all(np.diff(ends) > 0) and out["map_spread"] < 1e-3


# -- token rules -------------------------------------------------------------------------------


logits_st = st.lists(st.floats(-8, 8), min_size=2, max_size=12).map(np.asarray)


@FAST
@given(z=logits_st, k=st.integers(1, 12))
def test_top_k_keeps_k_tokens(z, k):
    k = min(k, z.size)
    q = apply_rule("top-k", z, k)
    assert np.count_nonzero(q) == k and abs(q.sum() - 1) < 1e-12


@FAST
@given(z=logits_st, mass=st.floats(0.01, 1.0))
def test_top_p_is_the_smallest_set_with_enough_mass(z, mass):
    p = softmax(z)
    q = apply_rule("top-p", z, mass)
    kept = q > 0
    assert p[kept].sum() >= mass - 1e-9
    smallest = p[kept].min()
    assert p[kept].sum() - smallest < mass + 1e-9 or kept.sum() == 1


@FAST
@given(z=logits_st, t=st.floats(0.05, 20.0))
def test_temperature_keeps_the_order_and_cooling_sharpens(z, t):
    q = apply_rule("temperature", z, t)
    assert abs(q.sum() - 1) < 1e-9
    cold = apply_rule("temperature", z, t / 2)
    assert entropy(cold) <= entropy(q) + 1e-9


@FAST
@given(z=st.lists(st.floats(0.1, 6), min_size=3, max_size=8).map(np.asarray), theta=st.floats(1.0, 5.0))
def test_repetition_penalty_lowers_repeated_tokens(z, theta):
    q = apply_rule("repetition-penalty", z, theta, (0,))
    assert q[0] <= softmax(z)[0] + 1e-12


def test_min_p_threshold_is_relative_to_the_top():
    z = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    q = apply_rule("min-p", z, 0.2)
    assert np.count_nonzero(q) == 3


def test_gumbel_max_frequencies_converge():
    out = _run("token-bars", {"vocab": list("abcd"), "logits": [1.0, 0.0, -1.0, 0.5],
                              "rule": "gumbel-max", "values": [100, 20000]})
    assert out["max_error"][1] < 0.02


# -- closed-form curves, matrices, sweeps -------------------------------------------------------


@pytest.mark.parametrize("curve", GenCurveParams.model_fields["curve"].annotation.__args__)
def test_every_curve_is_finite_and_ignores_the_rng(curve):
    a, b = _run("gen-curves", {"curve": curve}, 0), _run("gen-curves", {"curve": curve}, 7)
    for name, value in a.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiub":
            assert np.array_equal(arr, np.asarray(b[name])), name
            continue
        assert np.array_equal(arr.astype(float), np.asarray(b[name], float), equal_nan=True), name
        assert np.all(np.isfinite(arr.astype(float)) | (name == "rate_total_all")), name


def test_tweedie_equals_quadrature_for_any_prior():
    out = _run("gen-curves", {"curve": "tweedie", "means": [-1.0, 0.5, 3.0], "sds": [0.3, 0.8, 0.5],
                              "weights": [0.2, 0.5, 0.3], "noise_sd": 0.7})
    assert out["max_gap"] < 1e-6


@FAST
@given(inputs=st.integers(3, 12), hidden=st.integers(3, 24), seed=st.integers(0, 10**6))
def test_made_masks_are_autoregressive(inputs, hidden, seed):
    out = _run("gen-matrix", {"experiment": "made", "inputs": inputs, "hidden": hidden}, seed)
    assert out["upper_zero"] == 1


@FAST
@given(size=st.integers(7, 19), layers=st.integers(1, 6))
def test_pixelcnn_fields_never_see_the_future(size, layers):
    out = _run("gen-matrix", {"experiment": "pixelcnn", "size": size, "layers": layers})
    assert out["plain_future"] == 0 and out["gated_future"] == 0 and out["plain_extra"] == 0


def test_d3pm_product_equals_closed_form():
    out = _run("gen-matrix", {"experiment": "d3pm", "categories": 5, "steps": 40})
    assert out["closed_form_error"] < 1e-12 and out["row_sum_error"] < 1e-12


def test_sinkhorn_marginals_hold():
    out = _run("gen-matrix", {"experiment": "sinkhorn", "bins": 12, "epsilons": [0.05], "iterations": 400})
    assert out["marginal_errors"][0] < 1e-6


def test_gan_1d_is_deterministic_per_seed():
    a, b = _run("gan-1d", {"steps": 200, "rows": 5}), _run("gan-1d", {"steps": 200, "rows": 5})
    assert np.array_equal(a["mean_path"], b["mean_path"])


# -- the token-bars motif -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def ts(catalog):
    return pipeline.typesetter(catalog)


def _figure(arrays: dict) -> FigureData:
    return FigureData(arrays, Provenance("test", "test", 0, {}, "Nobody 2000, Nowhere", "computed", "test"))


def _draw(arrays: dict, params: dict, ts, box: Box = FIGURE_BOX):
    info = motifs.get("token-bars")
    p = validate_params(info.params, params, "test")
    return info.func(_figure(arrays), p, MotifContext(box, ts, np.random.default_rng(0)))


def _inside(shapes, box: Box) -> None:
    assert shapes
    for s in shapes:
        x0, y0, x1, y1 = s.bbox
        assert x0 >= box.x - 0.5 and y0 >= box.y - 0.5, s.bbox
        assert x1 <= box.right + 0.5 and y1 <= box.bottom + 0.5, s.bbox
        if s.paint == "stroke":
            assert s.width_pt >= HAIR_PT - 1e-9
        if s.text_pt is not None:
            assert s.text_pt >= TICK_PT - 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v=st.integers(2, 12), rows=st.integers(1, 5), seed=st.integers(0, 1000),
       values=st.booleans(), ghost=st.booleans(), overlay=st.booleans(), kept=st.booleans())
def test_token_bars_draw_inside_the_box(ts, v, rows, seed, values, ghost, overlay, kept):
    rng = np.random.default_rng(seed)
    after = rng.dirichlet(np.ones(v), rows)
    after[:, 0] = 0.0
    arrays = {"vocab": np.array([f"t{i}" for i in range(v)]), "base": rng.dirichlet(np.ones(v)),
              "after": after / after.sum(1, keepdims=True), "k": after > 0.1,
              "o": rng.dirichlet(np.ones(v), rows), "s": np.arange(rows + 1, dtype=float)}
    params = {"values": values, "ghost_before": ghost, "row_format": "r {:.0f}",
              "right_values": "s", "note": "a note"}
    if overlay:
        params |= {"overlay": "o", "overlay_label": "target"}
    if kept:
        params["kept"] = "k"
    _inside(_draw(arrays, params, ts), FIGURE_BOX)


@pytest.mark.parametrize("arrays, params, match", [
    ({"after": np.ones((2, 3))}, {}, "must be"),
    ({"base": np.ones(5)}, {}, "5 values"),
    ({}, {"row_titles": ["only one"]}, "row_titles"),
    ({}, {"kept": "missing"}, "does not make"),
    ({}, {"row_format": "{} {}"}, "one number"),
])
def test_token_bars_bad_input_is_one_line_error(ts, arrays, params, match):
    base = {"vocab": np.array(["a", "b", "c", "d"]), "base": np.full(4, 0.25),
            "after": np.full((2, 4), 0.25)}
    with pytest.raises(TeeprintError, match=match) as err:
        _draw(base | arrays, params, ts)
    assert "\n" not in str(err.value)
