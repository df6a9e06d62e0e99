"""keras.Model(inputs=<intermediate tensor>, ...) cuts the graph there, as Keras 3's
clone_graph_nodes: the layers before the cut are not part of the model, the data fed is what
the intermediate tensor would hold. Dict inputs are matched by key, not by order."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras


def _cut_model():
    pe.manual_seed(3)
    raw = keras.Input((1,), name="age")
    mid = keras.layers.Normalization(mean=5.0, variance=4.0, name="norm")(raw)
    onehot = keras.Input((3,), name="sex")
    joined = keras.layers.concatenate([mid, onehot])
    head = keras.layers.Dense(1, activation="sigmoid", name="head")
    return keras.Model({"age": mid, "sex": onehot}, head(joined)), head


def _data(n=12):
    rng = np.random.default_rng(0)
    return {"sex": np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)],
            "age": rng.normal(size=(n, 1)).astype(np.float32)}


def test_intermediate_input_cuts_the_graph():
    model, head = _cut_model()
    assert "norm" not in [lyr.name for lyr in model.layers]
    assert model.input_shape == [(None, 1), (None, 3)]
    x = _data()
    got = model.predict(x, verbose=0)
    # the normalization before the cut is not applied: the fed ages reach the Dense as given
    w, b = (v.numpy().astype(np.float64) for v in head.weights)
    feats = np.concatenate([x["age"], x["sex"]], 1).astype(np.float64)
    want = 1.0 / (1.0 + np.exp(-(feats @ w + b)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_cut_model_trains_and_round_trips(tmp_path):
    model, _ = _cut_model()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    x = _data(32)
    y = (x["age"][:, 0] > 0).astype(np.float32)
    hist = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    model.save(tmp_path / "cut.keras")
    back = keras.models.load_model(tmp_path / "cut.keras")
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


def test_output_not_reachable_from_given_inputs_names_the_missing_one():
    a = keras.Input((2,), name="given_a")
    b = keras.Input((2,), name="forgotten_b")
    mid = keras.layers.Dense(2)(a)
    out = keras.layers.Add()([mid, b])
    with pytest.raises(ValueError, match="forgotten_b"):
        keras.Model(mid, out)


def test_cut_input_keeps_shape_checks():
    inp = keras.Input((4,))
    mid = keras.layers.Dense(3)(inp)
    model = keras.Model(mid, keras.layers.Dense(2)(mid))
    assert model.input_shape == (None, 3)
    assert model.predict(np.ones((5, 3), np.float32), verbose=0).shape == (5, 2)
    with pytest.raises(ValueError, match=r"expected shape \(None, 3\), received \(5, 4\)"):
        model.predict(np.ones((5, 4), np.float32), verbose=0)


def test_the_uncut_graph_still_works():
    inp = keras.Input((4,))
    mid = keras.layers.Dense(3)(inp)
    out = keras.layers.Dense(2)(mid)
    full, tail = keras.Model(inp, out), keras.Model(mid, out)
    x = np.random.default_rng(1).normal(size=(6, 4)).astype(np.float32)
    inner = keras.Model(inp, mid).predict(x, verbose=0)
    np.testing.assert_allclose(tail.predict(inner, verbose=0), full.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_dict_inputs_are_matched_by_key_not_order():
    a, b = keras.Input((1,), name="a"), keras.Input((2,), name="b")
    model = keras.Model({"a": a, "b": b}, keras.layers.concatenate([a, b]))
    x = {"b": np.full((2, 2), 7.0, np.float32), "a": np.ones((2, 1), np.float32)}
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[1, 7, 7], [1, 7, 7]])
    with pytest.raises(ValueError, match=r"lacks \['a'\]"):
        model.predict({"b": x["b"]}, verbose=0)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model.predict(dict(x, c=np.zeros((2, 1), np.float32)), verbose=0)
    assert any("['c']" in str(w.message) for w in seen)
