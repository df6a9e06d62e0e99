"""Blockers of held-out public programs outside the attention layers: a Sequential built by its
first call takes another sequence length; sparse labels of shape (n, steps); loss=[fn, None]
with one y; Tensor.type; tf.range; a vectorised erf; log(0) without a NumPy warning."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers


def test_sequential_built_by_call_takes_another_sequence_length():
    """keras-io English-to-Spanish: dense_proj = Sequential([Dense, Dense]) is built by its first
    call on (b, 8, 16) and then called on (b, 9, 16); Keras checks only the dims layers need."""
    seq = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(3)])
    assert seq(pe.randn(2, 8, 16)).shape == (2, 8, 3)
    assert seq(pe.randn(5, 9, 16)).shape == (5, 9, 3)
    with pytest.raises(ValueError, match="16"):  # the Dense kernel still checks the last dim
        seq(pe.randn(2, 9, 15))
    with pytest.raises(ValueError, match="expected input"):  # and the rank
        seq(pe.randn(2, 9, 16, 1))


def test_sequential_declared_input_is_still_checked():
    seq = keras.Sequential([keras.Input(shape=(8, 16)), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"expected input of shape \(None,\) \+ \(8, 16\)"):
        seq(pe.randn(2, 9, 16))


def test_sequential_fit_built_by_data_takes_other_lengths():
    seq = keras.Sequential([layers.Dense(3)])
    seq.compile("sgd", "mse")
    seq.fit(np.ones((4, 5, 2), np.float32), np.zeros((4, 5, 3), np.float32), verbose=0)
    assert seq.predict(np.ones((3, 7, 2), np.float32), verbose=0).shape == (3, 7, 3)


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy",
                                  keras.losses.SparseCategoricalCrossentropy()])
def test_sparse_sequence_labels(loss):
    """(n, steps) integer labels with (n, steps, classes) predictions, as Keras; the sparse
    accuracy follows. The value equals the mean over every step of -log p[label]."""
    pe.manual_seed(0)
    model = keras.Sequential([keras.Input(shape=(6, 4)), layers.Dense(5, activation="softmax")])
    model.compile("adam", loss=loss, metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 4)).astype(np.float32)
    y = rng.integers(0, 5, (32, 6))
    p = model.predict(x, verbose=0).astype(np.float64)
    want = -np.log(np.take_along_axis(p, y[..., None], -1)).mean()
    acc = (p.argmax(-1) == y).mean()
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    assert res["loss"] == pytest.approx(want, rel=1e-5)
    assert res["accuracy"] == pytest.approx(acc, abs=1e-6)
    assert model.evaluate(x, y[..., None], verbose=0, return_dict=True)["loss"] == \
        pytest.approx(want, rel=1e-5)
    h = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_sparse_labels_wrong_shape_rejected():
    model = keras.Sequential([keras.Input(shape=(6, 4)), layers.Dense(5, activation="softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    x = np.zeros((8, 6, 4), np.float32)
    with pytest.raises(ValueError, match=r"shape \(n, 6\)"):
        model.fit(x, np.zeros((8, 5), int), verbose=0)
    with pytest.raises(ValueError, match=r"shape \(n, 6\)"):
        model.fit(x, np.zeros((8,), int), verbose=0)
