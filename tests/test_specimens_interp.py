"""The ten interpretability, architecture and representation specimens and their four engines.

Each specimen's defining property is checked on the recipe's own output (pentagon at 72 degrees,
rows of attention summing to one, a real grokking delay...), every recipe must repeat exactly
for a seed, and the engines are driven with random in-bounds parameters (they must draw inside
the figure box) and with out-of-bounds ones (they must refuse with a clear message).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from teeprint import motifs, recipes
from teeprint.errors import TeeprintError
from teeprint.plate import FIGURE_BOX
from teeprint.recipes import FigureData, Provenance, validate_params

SLUGS = ("superposition", "attention-qkv", "superposition-phase-diagram", "induction-heads",
         "qk-ov-circuits", "positional-encoding", "grokking", "grokking-fourier-features",
         "neural-collapse", "t-sne")


@pytest.fixture(scope="module")
def figure(catalog):
    cache: dict[str, FigureData] = {}

    def get(slug: str) -> FigureData:
        if slug not in cache:
            cache[slug] = recipes.run(catalog.specimen(slug))
        return cache[slug]

    return get


@pytest.fixture(scope="module")
def ts(catalog):
    from teeprint import pipeline

    return pipeline.typesetter(catalog)


# -- defining properties ------------------------------------------------------------------------


def test_superposition_is_a_pentagon(catalog, figure):
    spec = catalog.specimen("superposition")
    assert spec.recipe.params["sparsity"] >= 0.9
    w = np.asarray(figure("superposition")["W"])
    assert w.shape == (2, 5)
    norms = np.linalg.norm(w, axis=0)
    assert norms.min() > 0.5, "every feature must get a direction"
    angles = np.sort(np.degrees(np.arctan2(w[1], w[0])) % 360)
    gaps = np.diff(np.concatenate([angles, [angles[0] + 360]]))
    assert np.all(np.abs(gaps - 72.0) < 5.0), gaps
    # The dense model of the sweep keeps only two features, at right angles.
    data = figure("superposition")
    dense = np.asarray(data["sweep_W"])[list(data["sweep_sparsity"]).index(0.0)]
    kept = dense[:, np.linalg.norm(dense, axis=0) > 0.5]
    assert kept.shape[1] == 2
    cos = kept[:, 0] @ kept[:, 1] / np.prod(np.linalg.norm(kept, axis=0))
    assert abs(cos) < 0.1


def test_attention_rows_sum_to_one_and_match_qk(figure):
    d = figure("attention-qkv")
    pattern, q, k, v = (np.asarray(d[n]) for n in ("pattern", "Q", "K", "V"))
    n = len(d["tokens"])
    assert 8 <= n <= 12 and pattern.shape == (n, n) and q.shape[0] == k.shape[0] == v.shape[0] == n
    np.testing.assert_allclose(pattern.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(pattern[np.triu_indices(n, 1)] == 0.0), "causal: no weight on later words"
    # The pattern is softmax(Q K^T / sqrt(d)) of the plate's own Q and K.
    scores = q @ k.T / math.sqrt(q.shape[1])
    scores = np.where(np.tril(np.ones((n, n), bool)), scores, -np.inf)
    expected = np.exp(scores - scores.max(axis=1, keepdims=True))
    np.testing.assert_allclose(pattern, expected / expected.sum(axis=1, keepdims=True), atol=1e-10)
    # The hand-wired behaviour: a repeated word looks back at an earlier copy of itself.
    tokens = d["tokens"]
    for i in range(n):
        earlier = [j for j in range(i) if tokens[j] == tokens[i]]
        if earlier:
            assert pattern[i, earlier].sum() > 0.5, (tokens[i], i)


def test_phase_diagram_has_all_regions(figure):
    d = figure("superposition-phase-diagram")
    phase = np.asarray(d["phase"])
    density, importance = np.asarray(d["density"]), np.asarray(d["importance"])
    assert set(np.unique(phase)) == {0, 1, 2}
    assert np.all(phase[:, 0] == 2), "sparse features: superposition everywhere"
    dense = phase[:, -1]
    assert np.all(dense[importance > 1.05] == 1) and np.all(dense[importance < 0.95] == 0)
    # The superposed wedge narrows as features get denser.
    share = (phase == 2).mean(axis=0)
    assert np.all(np.diff(share) <= 1e-12) and share[-1] < share[0]
    assert density[0] < density[-1]


def test_induction_head_attends_to_the_token_after_the_last_copy(figure):
    d = figure("induction-heads")
    att, period = np.asarray(d["attention"]), int(d["period"])
    n = att.shape[0]
    assert n == 2 * period + 1
    np.testing.assert_allclose(att.sum(axis=1), 1.0, atol=1e-12)
    rows = np.arange(period + 1, n)
    mass = att[rows, rows - period + 1]
    assert mass.mean() > 0.8, mass
    # The previous-token head looks exactly one back.
    prev = np.asarray(d["previous_token_attention"])
    assert np.all(prev[np.arange(2, n), np.arange(1, n - 1)] > 0.95)


def test_positional_encoding_is_the_closed_form(figure):
    from teeprint.recipes.architectures import shift_rotation

    d = figure("positional-encoding")
    pe = np.asarray(d["pe"])
    positions, dim = pe.shape
    p = np.arange(positions)[:, None]
    k = np.arange(dim // 2)[None, :]
    np.testing.assert_allclose(pe[:, 0::2], np.sin(p / 10000 ** (2 * k / dim)), atol=1e-12)
    np.testing.assert_allclose(pe[:, 1::2], np.cos(p / 10000 ** (2 * k / dim)), atol=1e-12)
    # A fixed rotation moves every position one step on.
    np.testing.assert_allclose(pe[:-1] @ shift_rotation(dim, 1).T, pe[1:], atol=1e-9)


def test_grokking_generalises_ten_times_later(figure):
    d = figure("grokking")
    step, train, test = (np.asarray(d[n]) for n in ("step", "train_acc", "test_acc"))
    assert np.all(np.diff(step) > 0)
    s_train = step[np.argmax(train >= 0.99)]
    s_test = step[np.argmax(test >= 0.90)]
    assert train.max() >= 0.99 and test.max() >= 0.90
    assert s_test >= 10 * s_train, (s_train, s_test)
    assert test[step <= s_train].max() < 0.2, "test accuracy idles near chance while memorising"


def test_grokked_neurons_are_single_frequencies(figure):
    d = figure("grokking-fourier-features")
    u = np.asarray(d["U"])
    power = np.abs(np.fft.rfft(u, axis=0))[1:] ** 2
    share = power.max(axis=0) / power.sum(axis=0)
    assert np.median(share) > 0.6, np.median(share)
    # The plate's model is the grokking plate's model.
    np.testing.assert_array_equal(u, np.asarray(figure("grokking")["U"]))


def test_neural_collapse_reaches_a_simplex(figure):
    d = figure("neural-collapse")
    means = np.asarray(d["class_means"])
    k = means.shape[0]
    centred = means - means.mean(axis=0)
    unit = centred / np.linalg.norm(centred, axis=1, keepdims=True)
    cos = (unit @ unit.T)[~np.eye(k, dtype=bool)]
    assert np.all(np.abs(cos + 1 / (k - 1)) < 0.05), cos
    h, y = np.asarray(d["features"])[-1], np.asarray(d["labels"])
    within = np.mean(np.sum((h - means[y]) ** 2, axis=1))
    between = np.mean(np.sum(centred**2, axis=1))
    assert within / between < 0.01
    assert np.asarray(d["within_between_history"])[0] > 1.0, "it starts uncollapsed"


def test_tsne_separates_the_clusters(figure):
    d = figure("t-sne")
    y, labels = np.asarray(d["embedding"]), np.asarray(d["labels"])
    d2 = np.sum((y[:, None] - y[None]) ** 2, axis=-1)
    np.fill_diagonal(d2, np.inf)
    nn = np.argsort(d2, axis=1)[:, :10]
    assert np.mean(labels[nn] == labels[:, None]) > 0.95
    assert 200 <= y.shape[0] <= 300


@pytest.mark.parametrize("slug", SLUGS)
def test_same_seed_same_arrays(catalog, figure, slug):
    again = recipes.run(catalog.specimen(slug))
    assert again.to_json() == figure(slug).to_json()


@pytest.mark.parametrize("slug", ["superposition", "attention-qkv", "induction-heads", "grokking",
                                  "neural-collapse", "t-sne"])
def test_other_seed_other_arrays(catalog, figure, slug):
    spec = catalog.specimen(slug)
    assert recipes.run(spec, seed=spec.seed + 1).to_json() != figure(slug).to_json()


@pytest.mark.parametrize("slug", SLUGS)
def test_design_names_only_known_arrays(catalog, figure, ts, slug):
    spec = catalog.specimen(slug)
    shapes = motifs.draw(spec, figure(slug), FIGURE_BOX, ts)
    _inside(shapes)


def test_data_contracts(figure):
    contract = {
        "superposition": ("W",),
        "grokking": ("step", "train_acc", "test_acc"),
        "induction-heads": ("attention", "period"),
        "neural-collapse": ("class_means",),
        "attention-qkv": ("pattern", "Q", "K", "V", "tokens"),
    }
    for slug, names in contract.items():
        assert set(names) <= set(figure(slug).arrays), slug
    assert np.asarray(figure("superposition")["W"]).shape == (2, 5)
    assert np.asarray(figure("neural-collapse")["class_means"]).shape == (3, 2)


def test_recipe_bounds_fail_clearly():
    info = recipes.get("superposition")
    with pytest.raises(TeeprintError, match="sparsity"):
        validate_params(info.params, {"sparsity": 1.5}, "designs/x.toml [recipe.params]")
    with pytest.raises(TeeprintError, match="sentence"):
        validate_params(recipes.get("attention-qkv").params, {"sentence": "one"}, "x")
    with pytest.raises(TeeprintError, match="dim"):
        validate_params(recipes.get("positional-encoding").params, {"dim": 63}, "x")
    with pytest.raises(TeeprintError, match="snapshot"):
        validate_params(recipes.get("neural-collapse").params, {"steps": 100}, "x")


def test_missing_array_is_a_one_line_error(catalog, figure, ts):
    spec = catalog.specimen("superposition")
    bad = spec.model_copy(update={"motif": spec.motif.model_copy(
        update={"params": {**spec.motif.params, "vectors": "nope"}})})
    with pytest.raises(TeeprintError, match="'nope'.*it has: "):
        motifs.draw(bad, figure("superposition"), FIGURE_BOX, ts)


# -- engines over their parameter bounds -------------------------------------------------------


def _inside(shapes) -> None:
    assert shapes, "drew nothing"
    for s in shapes:
        x0, y0, x1, y1 = s.bbox
        assert x0 >= FIGURE_BOX.x - 0.5 and y0 >= FIGURE_BOX.y - 0.5, (s.label, s.bbox)
        assert x1 <= FIGURE_BOX.right + 0.5 and y1 <= FIGURE_BOX.bottom + 0.5, (s.label, s.bbox)
        if s.paint == "stroke":
            assert s.width_pt >= 1.5 - 1e-9
        if s.text_pt is not None:
            assert s.text_pt >= 13.0 - 1e-9


def _fake(arrays: dict) -> FigureData:
    return FigureData(arrays, Provenance("test", "test", 0, {}, "", "computed", ""))


def _draw(name: str, params: dict, data: FigureData, ts):
    info = motifs.get(name)
    p = validate_params(info.params, params, "test")
    ctx = motifs.MotifContext(FIGURE_BOX, ts, np.random.default_rng(0))
    return info.func(data, p, ctx)


ENGINE_SETTINGS = settings(max_examples=25, deadline=None,
                           suppress_health_check=[HealthCheck.function_scoped_fixture])


@ENGINE_SETTINGS
@given(n=st.integers(2, 10), seed=st.integers(0, 2**16), scale=st.floats(0.05, 5.0),
       min_norm=st.floats(0.0, 1.0), polygon=st.booleans(), angle=st.booleans(),
       side=st.floats(0.2, 0.45), sweep=st.integers(0, 3), inset=st.booleans(),
       unit=st.booleans())
def test_vector_star_stays_in_its_box(ts, n, seed, scale, min_norm, polygon, angle, side, sweep,
                                      inset, unit):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(2, n)) * scale
    arrays = {"W": w, "G": w.T @ w, "S": rng.normal(size=(sweep, 2, n)),
              "v": np.linspace(0, 0.9, sweep), "s": 0.5}
    params = {"vectors": "W", "min_norm": min_norm, "polygon": polygon, "measure_angle": angle,
              "side_width": side, "unit_circle": unit, "title": "sparsity {s:.2f}"}
    if sweep:
        params |= {"sweep": "S", "sweep_values": "v", "sweep_label": "S = {value:.1f}\n{kept}/{n}"}
    if inset:
        params["inset"] = {"array": "G", "title": "gram", "key": False}
    _inside(_draw("vector-star", params, _fake(arrays), ts))


@ENGINE_SETTINGS
@given(snaps=st.integers(1, 6), n=st.integers(3, 80), k=st.integers(1, 6), seed=st.integers(0, 999),
       layout=st.sampled_from(["single", "row", "feature"]), glyph=st.floats(2.5, 10.0),
       side=st.floats(0.15, 0.4), means=st.booleans(), align=st.booleans())
def test_point_geometry_stays_in_its_box(ts, snaps, n, k, seed, layout, glyph, side, means, align):
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(snaps, n, 2)) * rng.uniform(0.01, 100)
    labels = np.arange(n) % k  # some classes may be empty when k > n
    arrays = {"P": pts, "y": labels, "t": np.arange(snaps) * 10.0,
              "M": np.stack([[pts[s][labels == c].mean(axis=0) if np.any(labels == c) else [np.nan] * 2
                              for c in range(k)] for s in range(snaps)]),
              "purity": 0.97}
    params = {"points": "P", "classes": "y", "layout": layout, "glyph_pt": glyph, "side_width": side,
              "snapshot_values": "t", "snapshot_label": "step {value:g}", "align": align,
              "note": "purity {purity:.2f}", "title": "points",
              "class_names": [f"class {c}" for c in range(k)]}
    if means:
        params |= {"means": "M", "rays": "M"}
    _inside(_draw("point-geometry", params, _fake(arrays), ts))


panel_kinds = st.sampled_from(["dots", "bars", "rows"])


@ENGINE_SETTINGS
@given(rows=st.integers(1, 40), cols=st.integers(1, 64), kind=panel_kinds, signed=st.booleans(),
       labels=st.booleans(), x=st.floats(0.0, 0.88), w=st.floats(0.12, 1.0), y=st.floats(0.0, 0.88),
       h=st.floats(0.12, 1.0), seed=st.integers(0, 999), transpose=st.booleans(),
       dot_scale=st.floats(0.3, 1.0), accent=st.booleans())
# A narrow panel at the right: the last upright column label is wider than its cell.
@example(rows=1, cols=11, kind="dots", signed=False, labels=True, x=0.78125, w=1.0, y=0.0, h=1.0,
         seed=0, transpose=False, dot_scale=1.0, accent=False)
def test_matrix_panels_stay_in_their_box(ts, rows, cols, kind, signed, labels, x, w, y, h, seed,
                                         transpose, dot_scale, accent):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(rows, cols))
    m = m if signed else np.abs(m)
    arrays = {"M": m, "r": [f"r{i}" for i in range(rows)], "c": [f"word{i}" for i in range(cols)],
              "A": rng.random((rows, cols)) > 0.8, "O": rng.normal(size=(rows, 7))}
    panel = {"array": "M", "kind": kind, "at": [x, y, min(w, 1 - x), min(h, 1 - y)],
             "title": "panel", "transpose": transpose, "dot_scale": dot_scale}
    if labels:
        panel |= {"row_labels": "r", "col_labels": "c", "row_title": "rows", "col_title": "cols"}
    if accent and kind != "rows":
        panel["accent"] = "A"
    if kind == "rows" and not transpose:
        panel["overlay"] = "O"
    _inside(_draw("matrix-heatmap", {"panels": [panel]}, _fake(arrays), ts))


@ENGINE_SETTINGS
@given(rows=st.integers(2, 40), cols=st.integers(2, 40), classes=st.integers(1, 6),
       seed=st.integers(0, 999), accent=st.integers(0, 5), log=st.booleans())
def test_matrix_regions_stay_in_their_box(ts, rows, cols, classes, seed, accent, log):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, classes, (rows, cols))
    arrays = {"C": codes, "x": np.geomspace(0.01, 1, cols), "y": np.geomspace(10, 0.1, rows)}
    panel = {"array": "C", "kind": "regions", "x": "x", "y": "y", "x_log": log, "y_log": log,
             "col_title": "density", "row_title": "importance", "accent_class": accent,
             "classes": [f"c{i}" for i in range(classes)]}
    _inside(_draw("matrix-heatmap", {"panels": [panel]}, _fake(arrays), ts))


def test_matrix_regions_key_false_draws_no_legend_and_gives_the_plot_its_room(ts):
    codes = np.array([[0, 1], [1, 2]])
    arrays = {"C": codes, "x": np.array([1.0, 2.0]), "y": np.array([1.0, 2.0])}
    names = ("alpha-class", "beta-class", "gamma-class")
    panel = {"array": "C", "kind": "regions", "x": "x", "y": "y", "col_title": "across",
             "classes": list(names)}
    with_key = _draw("matrix-heatmap", {"panels": [panel]}, _fake(arrays), ts)
    without = _draw("matrix-heatmap", {"panels": [panel | {"key": False}]}, _fake(arrays), ts)
    assert {s.label for s in with_key} >= set(names)
    assert not {s.label for s in without} & set(names)
    # the plot takes the legend's band: the axis title under it moves down by the band
    def title_y(shapes):
        return next(s.bbox[3] for s in shapes if s.label and s.label.lower() == "across")

    assert title_y(without) - title_y(with_key) > 25.0


@ENGINE_SETTINGS
@given(nodes=st.integers(2, 8), seed=st.integers(0, 999), node_pt=st.floats(16, 60),
       gh=st.floats(0.3, 1.0), panel=st.booleans())
def test_circuit_graph_stays_in_its_box(ts, nodes, seed, node_pt, gh, panel):
    rng = np.random.default_rng(seed)
    ids = [f"n{i}" for i in range(nodes)]
    node_list = [{"id": i, "tag": "H", "label": f"node {i}", "at": rng.random(2).tolist(),
                  "shape": "circle" if j % 2 else "square"} for j, i in enumerate(ids)]
    edges = []
    for e in range(rng.integers(1, 10)):
        a, b = rng.choice(nodes, 2, replace=False)
        edges.append({"source": ids[a], "target": ids[b], "weight": int(e),
                      "label": "w", "bend": float(rng.uniform(-1, 1))})
    params = {"nodes": node_list, "edges": edges, "weights": "w", "node_pt": node_pt,
              "graph_at": [0.0, 0.0, 1.0, gh if panel else 1.0], "accent_edges": [0]}
    if panel and gh < 0.85:
        params["panels"] = [{"array": "M", "at": [0.0, gh, 1.0, 1.0 - gh]}]
    arrays = {"w": rng.random(12), "M": rng.normal(size=(6, 6))}
    _inside(_draw("circuit-graph", params, _fake(arrays), ts))


@pytest.mark.parametrize(("engine", "params"), [
    ("vector-star", {"vectors": "W", "side_width": 0.9}),
    ("vector-star", {"vectors": "W", "min_norm": -1}),
    ("vector-star", {"vectors": "W", "colour": "red"}),
    ("point-geometry", {"points": "P", "glyph_pt": 40}),
    ("point-geometry", {"points": "P", "layout": "spiral"}),
    ("matrix-heatmap", {"panels": []}),
    ("matrix-heatmap", {"panels": [{"array": "M", "at": [0.5, 0.0, 0.6, 1.0]}]}),
    ("matrix-heatmap", {"panels": [{"array": "M", "kind": "pixels"}]}),
    ("matrix-heatmap", {"panels": [{"array": "M", "dot_scale": 2.0}]}),
    ("circuit-graph", {"weights": "w", "nodes": [{"id": "a"}, {"id": "b"}],
                       "edges": [{"source": "a", "target": "z", "weight": 0}]}),
    ("circuit-graph", {"weights": "w", "nodes": [{"id": "a"}, {"id": "a"}],
                       "edges": [{"source": "a", "target": "a", "weight": 0}]}),
])
def test_engines_refuse_out_of_bounds(engine, params):
    with pytest.raises(TeeprintError, match="key '"):
        validate_params(motifs.get(engine).params, params, "designs/x.toml [motif.params]")


def test_bad_shapes_are_one_line_errors(ts):
    with pytest.raises(TeeprintError, match="2 x n"):
        _draw("vector-star", {"vectors": "W"}, _fake({"W": np.ones((3, 4))}), ts)
    with pytest.raises(TeeprintError, match="2-D"):
        _draw("matrix-heatmap", {"panels": [{"array": "M"}]}, _fake({"M": np.ones(5)}), ts)
    with pytest.raises(TeeprintError, match="weight"):
        _draw("circuit-graph", {"weights": "w", "nodes": [{"id": "a"}, {"id": "b"}],
                                "edges": [{"source": "a", "target": "b", "weight": 3}]},
              _fake({"w": np.ones(2)}), ts)
