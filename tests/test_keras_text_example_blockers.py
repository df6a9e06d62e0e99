"""What keras-io's "Text classification from scratch" needed beyond text_dataset_from_directory
(tests/test_text_dataset_from_directory.py runs its code path): a graph with a None length
whose layers need more steps than the 8 / 9 of the first example batches (Conv1D, kernel 7,
stride 3, twice), keras.Input(dtype="string") feeding TextVectorization, fit / evaluate /
predict on text, a compiled model nested in another without its metrics shadowing the
outer ones, tf.expand_dims on a text batch and `.numpy()` of one."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def test_none_length_graph_is_retried_on_longer_examples():
    ids = keras.Input(shape=(None,), dtype="int64")
    h = layers.Embedding(20, 4)(ids)
    first = layers.Conv1D(5, 7, strides=3, activation="relu")(h)
    second = layers.Conv1D(3, 7, strides=3)(first)  # 8 steps -> 1 step: too short for 7
    model = keras.Model(ids, layers.GlobalMaxPooling1D()(second))
    assert second.shape == (None, None, 3)
    assert first.shape == (None, None, 5)  # the replay found this length varies too
    x = np.random.default_rng(0).integers(0, 20, (4, 40))
    out = model.predict(x, verbose=0)
    assert out.shape == (4, 3)
    full = keras.Model(ids, second).predict(x, verbose=0)
    assert full.shape == (4, 2, 3)  # (40 - 7) // 3 + 1 = 12, (12 - 7) // 3 + 1 = 2
    np.testing.assert_allclose(out, full.max(axis=1), rtol=1e-6)


def test_a_layer_that_fails_at_every_length_names_its_input():
    seq = keras.Input(shape=(None, 3))
    # a kernel longer than the first example lengths: the replay retries with 4,096 steps
    assert layers.Conv1D(2, 1000)(seq).shape == (None, None, 2)
    with pytest.raises(ValueError, match=r"cannot be called on input of shape \(None, None, 3\)"):
        layers.Conv1D(2, 50000)(seq)  # longer than every example length
    fixed = keras.Input(shape=(5, 3))  # no None length: no retry, the same error
    with pytest.raises(ValueError, match=r"cannot be called on input of shape \(None, 5, 3\)"):
        layers.Conv1D(2, 7)(fixed)


@pytest.mark.parametrize("dtype", ["string", tf.string, np.str_])
def test_string_input_dtype(dtype):
    t = keras.Input(shape=(1,), dtype=dtype)
    assert t.dtype == "string" and t.shape == (None, 1)
    with pytest.raises(ValueError, match="numeric or 'string'"):
        keras.Input(shape=(1,), dtype=object)


def _text_model():
    vectorizer = layers.TextVectorization(max_tokens=12, output_sequence_length=5)
    vectorizer.adapt(["good fine nice", "bad poor sad", "good nice", "bad sad"])
    raw = keras.Input(shape=(1,), dtype="string")
    ids = vectorizer(raw)
    h = layers.GlobalAveragePooling1D()(layers.Embedding(12, 8)(ids))
    return vectorizer, keras.Model(raw, layers.Dense(1, activation="sigmoid")(h)), ids


def test_text_vectorization_on_a_string_input_is_a_graph_node():
    vectorizer, model, ids = _text_model()
    assert ids.shape == (None, 5) and str(ids.dtype) == "int64"
    texts = np.array(["good nice", "sad bad poor", "unknown words"])
    out = model.predict(texts, verbose=0)  # (n,) text into the (1,) input
    assert out.shape == (3, 1)
    np.testing.assert_array_equal(model.predict(texts[:, None], verbose=0), out)
    embed, pool, dense = model.layers[2:]  # the layers after the vectorizer, by hand
    by_hand = dense(pool(embed(vectorizer(texts[:, None])))).numpy()
    np.testing.assert_allclose(by_hand, out, rtol=1e-6)


def test_fit_and_evaluate_take_text():
    keras.utils.set_random_seed(1)
    _, model, _ = _text_model()
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.05),
                  metrics=["accuracy"])
    texts = np.array(["good fine", "nice good", "fine nice good", "bad poor", "sad bad",
                      "poor sad bad"] * 4)
    labels = np.array([1, 1, 1, 0, 0, 0] * 4)
    hist = model.fit(texts, labels, epochs=10, batch_size=6, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert model.evaluate(texts, labels, verbose=0)[1] == 1.0


def test_text_into_a_numeric_model_is_still_refused():
    inp = keras.Input(shape=(2,))
    model = keras.Model(inp, layers.Dense(1)(inp))
    model.compile(loss="mse")
    texts = np.array([["a", "b"], ["c", "d"]])
    with pytest.raises(TypeError, match=r"\[fit\] expected numeric data"):
        model.fit(texts, np.zeros(2), verbose=0)
    with pytest.raises(TypeError, match=r"\[predict\] expected numeric data"):
        model.predict(tf.data.Dataset.from_tensor_slices(texts).batch(2), verbose=0)


def test_nested_compiled_model_does_not_shadow_the_outer_metrics():
    keras.utils.set_random_seed(2)
    x = np.random.default_rng(2).normal(size=(12, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    inp = keras.Input(shape=(3,))
    inner = keras.Model(inp, layers.Dense(1, activation="sigmoid")(inp))
    inner.compile(loss="binary_crossentropy", metrics=["accuracy"])
    inner_loss, inner_acc = inner.evaluate(x, y, verbose=0)
    raw = keras.Input(shape=(3,))
    outer = keras.Model(raw, inner(layers.Identity()(raw)))
    outer.compile(loss="binary_crossentropy", metrics=["accuracy"])
    inner.reset_metrics()  # its trackers at 0 must not replace the outer model's logs
    logs = outer.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    np.testing.assert_allclose([logs["loss"], logs["accuracy"]], [inner_loss, inner_acc],
                               rtol=1e-6)


def test_expand_dims_and_numpy_of_a_text_batch():
    ds = tf.data.Dataset.from_tensor_slices(np.array(["a b", "c"])).batch(2)
    batch = next(iter(ds))
    assert batch.dtype == tf.string and batch.numpy().tolist() == ["a b", "c"]
    assert type(batch.numpy()) is np.ndarray
    column = tf.expand_dims(batch, -1)
    assert column.shape == (2, 1) and column.dtype == tf.string
    assert column.numpy()[1, 0] == "c"
    np.testing.assert_array_equal(tf.expand_dims(np.ones(2, np.float32), 0).numpy(),
                                  np.ones((1, 2)))
