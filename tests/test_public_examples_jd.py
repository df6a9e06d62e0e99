"""Original tests of the API patterns TensorFlow's own tutorials (tensorflow/docs
site/en/tutorials, the "jd" rows of docs/public_examples.md) need: tiny sizes, synthetic data."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


# ---- Keras' rank adjustment of a Sequential's input (a (N,) column into input_shape=[1]) -----

def test_sequential_takes_a_column_one_rank_short_of_its_declared_input():
    rng = np.random.default_rng(0)
    x = rng.normal(size=64).astype(np.float32)
    y = 3.0 * x + 1.0
    norm = layers.Normalization(input_shape=[1], axis=None)
    norm.adapt(x)
    model = keras.Sequential([norm, layers.Dense(1)])
    np.testing.assert_allclose(model.predict(x[:5], verbose=0), model.predict(x[:5, None], verbose=0))
    assert model(x[:5]).shape == (5, 1)
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mean_absolute_error")
    h = model.fit(x, y, epochs=15, verbose=0, validation_split=0.2)
    assert h.history["loss"][-1] < h.history["loss"][0] / 2
    assert model.evaluate(x, y, verbose=0) < h.history["loss"][0]


def test_sequential_drops_an_extra_trailing_axis_of_one_and_rejects_other_ranks():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    x = np.ones((4, 3), np.float32)
    np.testing.assert_allclose(model.predict(x[..., None], verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match=r"expected input of shape \(None,\) \+ \(3,\)"):
        model.predict(np.ones(4, np.float32), verbose=0)  # last input dim is 3, not 1
    with pytest.raises(ValueError, match="expected input of shape"):
        model.predict(np.ones((4, 3, 2), np.float32), verbose=0)


# ---- tf.keras 2's lists of scalars as one array ---------------------------------------------

def test_lists_of_scalars_are_one_array_in_fit_and_predict():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit([[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0], verbose=0)
    a = model.predict([[1.0, 2.0], [3.0, 4.0]], verbose=0)
    np.testing.assert_allclose(a, model.predict(np.array([[1, 2], [3, 4]], np.float32), verbose=0))
    col = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    assert col.predict([1.0, 2.0, 3.0], verbose=0).shape == (3, 1)


def test_a_list_of_strings_feeds_a_text_vectorization_model():
    texts = ["good fun film", "bad dull film", "good good", "dull bad bad"]
    vec = layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vec.adapt(texts)
    model = keras.Sequential([layers.Embedding(20, 4), layers.GlobalAveragePooling1D(),
                              layers.Dense(1)])
    export = keras.Sequential([vec, model, layers.Activation("sigmoid")])
    p_list = export.predict(texts, verbose=0)
    p_const = export.predict(tf.constant(texts), verbose=0)
    assert p_list.shape == (4, 1)
    np.testing.assert_allclose(p_list, p_const)
    assert ((p_list > 0) & (p_list < 1)).all()
