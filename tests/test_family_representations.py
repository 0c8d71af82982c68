"""Engines of the representations family: embedding, persistence, rep-curves, rep-matrix, vectors.

The per-plate contract (renders, claims hold at the verification seeds, legible) is run over the
whole archive elsewhere; here the engines' own properties are checked against exact answers,
and every parameter model is shown to refuse absurd values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from teeprint.recipes import rng_for
from teeprint.recipes.directions import VectorsParams, vectors
from teeprint.recipes.embeddings import (
    EmbeddingParams,
    PersistenceParams,
    classical_mds,
    embedding,
    panel_name,
    persistence,
    rips_persistence,
    sq_dists,
    whiten,
)
from teeprint.recipes.rep_matrix import RepMatrixParams, rep_matrix
from teeprint.recipes.representations import (
    RepCurvesParams,
    mle_intrinsic_dimension,
    principal_angles_deg,
    rep_curves,
)

# -- parameter bounds --------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(points=st.integers(-10, 2000), dim=st.integers(-5, 100), noise=st.floats(-1.0, 5.0),
       method=st.sampled_from(["pca", "isomap@8", "kpca@0.5", "bogus", "lle@x", "tsne@0", "diffusion@300"]))
def test_embedding_params_refuse_absurd_values(points: int, dim: int, noise: float, method: str) -> None:
    ok = (30 <= points <= 700 and 2 <= dim <= 50 and 0.0 <= noise <= 2.0
          and method in ("pca", "isomap@8", "kpca@0.5"))
    data = {"points": points, "ambient_dim": dim, "noise": noise, "methods": [method]}
    if ok:
        assert EmbeddingParams.model_validate(data).points == points
    else:
        with pytest.raises(ValidationError):
            EmbeddingParams.model_validate(data)


@settings(max_examples=30, deadline=None)
@given(samples=st.integers(-5, 5000), steps=st.integers(-5, 50000), lr=st.floats(-1.0, 3.0))
def test_rep_engines_refuse_absurd_values(samples: int, steps: int, lr: float) -> None:
    matrix_ok = 32 <= samples <= 2000 and 10 <= steps <= 5000 and 0.0 < lr <= 2.0
    data = {"experiment": "barlow", "samples": samples, "steps": steps, "lr": lr}
    if matrix_ok:
        RepMatrixParams.model_validate(data)
    else:
        with pytest.raises(ValidationError):
            RepMatrixParams.model_validate(data)
    curves_ok = 20 <= samples <= 2000 and 10 <= steps <= 20000 and 0.0 < lr <= 1.0
    data = {"experiment": "linear-ae", "samples": samples, "steps": steps, "lr": lr}
    if curves_ok:
        RepCurvesParams.model_validate(data)
    else:
        with pytest.raises(ValidationError):
            RepCurvesParams.model_validate(data)


@settings(max_examples=30, deadline=None)
@given(lo=st.floats(0.0, 100.0), hi=st.floats(0.0, 200.0), samples=st.integers(0, 6000))
def test_vectors_params_refuse_absurd_values(lo: float, hi: float, samples: int) -> None:
    ok = 5.0 <= lo <= 85.0 and 5.0 <= hi <= 175.0 and hi >= lo and 20 <= samples <= 5000
    data = {"experiment": "ica", "min_angle_deg": lo, "max_angle_deg": hi, "samples": samples}
    if ok:
        VectorsParams.model_validate(data)
    else:
        with pytest.raises(ValidationError):
            VectorsParams.model_validate(data)


def test_persistence_and_curves_cross_field_rules() -> None:
    with pytest.raises(ValidationError):
        PersistenceParams.model_validate({"points": 100})
    with pytest.raises(ValidationError):  # projected dimension above the ambient one
        RepCurvesParams.model_validate({"experiment": "jl-distortion", "dim": 10, "ks": [5, 20]})
    with pytest.raises(ValidationError):  # neighbour range beyond the sample
        RepCurvesParams.model_validate({"experiment": "intrinsic-dimension", "samples": 30,
                                        "neighbours": [5, 40]})


# -- exact answers -------------------------------------------------------------------------------


def test_classical_mds_recovers_a_plane_up_to_rotation() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(25, 2))
    y = classical_mds(sq_dists(x))
    np.testing.assert_allclose(sq_dists(y), sq_dists(x), atol=1e-9)


def test_whitening_gives_identity_covariance_and_zca_moves_least() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(400, 2)) @ np.array([[3.0, 1.0], [0.0, 0.5]])
    for zca in (False, True):
        np.testing.assert_allclose(np.cov(whiten(x, zca).T, bias=True), np.eye(2), atol=1e-9)
    xc = x - x.mean(axis=0)
    assert np.linalg.norm(whiten(x, True) - xc) < np.linalg.norm(whiten(x, False) - xc)


@pytest.mark.parametrize("n", [7, 12])
def test_rips_persistence_of_a_regular_polygon(n: int) -> None:
    """One loop, born at the side length, dying when the inscribed near-equilateral triangles
    appear (the longest side of the best triangle on n equally spaced points)."""
    a = np.arange(n) * 2 * math.pi / n
    h0, h1 = rips_persistence(np.column_stack([np.cos(a), np.sin(a)]), 2.5)
    bars = h1[h1[:, 1] - h1[:, 0] > 1e-9]
    assert len(bars) == 1
    assert bars[0, 0] == pytest.approx(2 * math.sin(math.pi / n))
    steps = math.ceil(n / 3)
    assert bars[0, 1] == pytest.approx(2 * math.sin(steps * math.pi / n))
    assert np.sum(np.isinf(h0[:, 1])) == 1 and len(h0) == n


def test_principal_angles_and_intrinsic_dimension() -> None:
    rng = np.random.default_rng(6)
    basis = rng.normal(size=(8, 2))
    assert principal_angles_deg(basis, basis @ np.array([[2.0, 1.0], [0.0, 1.0]])).max() < 1e-6
    plane = rng.uniform(-1, 1, (600, 2)) @ rng.normal(size=(2, 6))
    est = mle_intrinsic_dimension(plane, np.array([10, 20]))
    assert np.all(np.abs(est - 2.0) < 0.3)


def test_panel_names() -> None:
    assert panel_name("isomap@8") == "Isomap, k = 8"
    assert panel_name("tsne@30") == "t-SNE, perplexity 30"
    assert panel_name("pca") == "PCA"


# -- engines run, repeat, and keep their promises ------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(data=st.sampled_from(["swiss-roll", "rings", "clusters", "trefoil", "cities", "ellipse", "uneven"]),
       method=st.sampled_from(["pca", "mds", "isomap@8", "laplacian@10", "kpca@2", "diffusion@2",
                               "zca-whiten"]),
       seed=st.integers(0, 1000))
def test_embedding_runs_and_repeats(data: str, method: str, seed: int) -> None:
    if method.endswith("whiten"):
        data = "ellipse"  # whitening maps the plane to itself
    dim = 2 if method.endswith("whiten") else 3
    p = EmbeddingParams(data=data, points=60, ambient_dim=dim, methods=(method,))  # type: ignore[arg-type]
    a = embedding(p, rng_for(seed, "embedding"))
    b = embedding(p, rng_for(seed, "embedding"))
    assert a["embedding"].shape == (60, 2)
    assert np.all(np.isfinite(a["embedding"]))
    np.testing.assert_array_equal(a["embedding"], b["embedding"])


def test_minkowski_tokens_stay_in_the_sum_polytope() -> None:
    for seed in range(3):
        d = vectors(VectorsParams(experiment="minkowski", samples=200, heads=2, archetypes=4),
                    rng_for(seed, "vectors"))
        assert d["inside_share"] == 1.0 and bool(np.all(d["head_inside"]))


def test_ica_recovers_the_mixing_directions() -> None:
    d = vectors(VectorsParams(experiment="ica"), rng_for(0, "vectors"))
    assert float(np.max(d["ica_error_deg"])) < 3.0


def test_word_vectors_answer_the_planted_analogies() -> None:
    d = vectors(VectorsParams(experiment="word-vectors", sentences=2000), rng_for(1, "vectors"))
    assert d["analogy_accuracy"] == 1.0 and d["king_man_woman_is_queen"] == 1.0


def test_infonce_never_passes_log_n() -> None:
    d = rep_curves(RepCurvesParams(experiment="infonce-bound", repeats=1), rng_for(2, "rep-curves"))
    assert np.all(d["estimate"] <= d["log_batch"] + 1e-9)


def test_slow_features_find_the_slow_sine() -> None:
    d = rep_curves(RepCurvesParams(experiment="slow-features", samples=256), rng_for(0, "rep-curves"))
    assert d["corr_sin"] > 0.99


def test_rsa_tables_are_symmetric_with_zero_diagonal() -> None:
    d = rep_matrix(RepMatrixParams(experiment="rsa", dim=6), rng_for(0, "rep-matrix"))
    for name in ("rdm_a", "rdm_b"):
        m = d[name]
        np.testing.assert_allclose(m, m.T, atol=1e-12)
        np.testing.assert_allclose(np.diag(m), 0.0, atol=1e-12)


def test_persistence_of_a_circle_has_one_long_loop() -> None:
    d = persistence(PersistenceParams(points=24, noise=0.02), rng_for(0, "persistence"))
    assert d["long_h1"] == 1 and d["infinite_h0"] == 1


# -- plates 196-200: dictionary, concept direction, teacher targets, CKA, stitching ---------------


@settings(max_examples=30, deadline=None)
@given(atoms=st.integers(-2, 9), active=st.floats(-0.5, 1.5), penalty=st.floats(-1.0, 4.0),
       ambient=st.integers(-4, 1000))
def test_new_vectors_knobs_refuse_absurd_values(atoms: int, active: float, penalty: float,
                                                ambient: int) -> None:
    ok = 2 <= atoms <= 5 and 0.0 < active <= 0.5 and 0.0 < penalty <= 2.0 and 4 <= ambient <= 512
    try:
        VectorsParams(experiment="dictionary", atoms=atoms, active=active, penalty=penalty, ambient=ambient)
    except ValidationError:
        assert not ok
    else:
        assert ok


@settings(max_examples=30, deadline=None)
@given(dims=st.integers(-2, 20), tau=st.floats(-1.0, 2.0), momentum=st.floats(-0.5, 1.5))
def test_teacher_targets_params_refuse_absurd_values(dims: int, tau: float, momentum: float) -> None:
    from teeprint.recipes.rep_matrix import TeacherTargetsParams

    ok = 3 <= dims <= 12 and 0.0 < tau <= 1.0 and 0.0 <= momentum < 1.0
    try:
        TeacherTargetsParams(dims=dims, sharp_temperature=tau, centre_momentum=momentum)
    except ValidationError:
        assert not ok
    else:
        assert ok


def test_ista_solves_the_lasso_in_one_dimension() -> None:
    """With one unit atom, the lasso solution is soft thresholding of the data."""
    from teeprint.recipes.directions import _ista

    d = np.array([[1.0], [0.0]])
    x = np.array([[2.0, 0.1, -1.0], [0.0, 0.0, 0.0]])
    a = _ista(d, x, 0.3, 50)
    assert np.allclose(a[0], [1.7, 0.0, -0.7])


def test_dictionary_learning_recovers_three_atoms_in_the_plane() -> None:
    out = vectors(VectorsParams(experiment="dictionary", samples=500), rng_for(0, "vectors"))
    assert out["vectors"].shape == (2, 3)
    assert np.max(out["atom_error_deg"]) < 6.0


def test_concept_direction_is_the_difference_of_means() -> None:
    out = vectors(VectorsParams(experiment="concept-direction", samples=600, concept_shift=1.5), rng_for(0, "vectors"))
    assert out["cos_diff_u"] > 0.95 and out["cos_pc1_u"] < 0.1


def test_teacher_targets_are_distributions_and_centring_evens_the_average() -> None:
    from teeprint.recipes.rep_matrix import TeacherTargetsParams, teacher_targets

    out = teacher_targets(TeacherTargetsParams(), rng_for(0, "teacher-targets"))
    assert np.allclose(out["average"].sum(axis=1), 1.0)
    assert np.all(out["per_input_entropy"] <= 1.0 + 1e-9)
    assert out["average_entropy"][1] > out["average_entropy"][0]


def test_linear_cka_is_invariant_to_rotation_and_scale() -> None:
    from teeprint.recipes.rep_matrix import linear_cka

    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 6))
    q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    assert math.isclose(linear_cka(x, 3.0 * x @ q), 1.0, rel_tol=1e-9)
    assert linear_cka(x, rng.normal(size=(50, 6))) < 0.5


def test_stitching_matrix_shape_and_bounds() -> None:
    out = rep_matrix(RepMatrixParams(experiment="stitching", samples=200, width=16, depth=3, steps=100,
                                     lr=0.5), rng_for(0, "rep-matrix"))
    assert out["stitched"].shape == (3, 3)
    assert np.all((out["stitched"] >= 0.0) & (out["stitched"] <= 1.0))
