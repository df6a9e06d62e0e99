"""Original tests of the patterns of keras-io's guide "Making new layers and models via
subclassing" (TF 2 form, run as `import pyengine as tf`): a model made only of a pass-through
layer that adds a loss, trained by fit (with and without a compiled loss); a layer that calls
`tf.nn.dropout` in training. No program text of the guide is used."""
import warnings

import numpy as np
import pytest

import pyengine as tf
from pyengine import keras


class ActivityRegularization(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * tf.reduce_mean(inputs))
        return inputs


def test_fit_of_a_model_without_trainable_weights_warns_and_reports_its_loss():
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 3)).astype("float32"), rng.random((8, 3)).astype("float32")
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, ActivityRegularization()(inputs))
    model.compile(optimizer="adam", loss="mse")
    with pytest.warns(UserWarning, match="trainable weights"):
        hist = model.fit(x, y, batch_size=8, verbose=0)
    np.testing.assert_allclose(hist.history["loss"][0],
                               np.mean((x - y) ** 2) + 1e-2 * x.mean(), rtol=1e-5)
    model.compile(optimizer="adam")  # the added loss alone
    with pytest.warns(UserWarning, match="trainable weights"):
        hist = model.fit(x, y, batch_size=8, verbose=0)
    np.testing.assert_allclose(hist.history["loss"][0], 1e-2 * x.mean(), rtol=1e-5)


def test_fit_when_the_loss_reaches_no_trainable_weight():
    class Detached(keras.Model):
        def __init__(self):
            super().__init__()
            self.unused = keras.layers.Dense(2)

        def call(self, inputs):
            self.unused(inputs)  # built and trainable, but not on the output's path
            return inputs * 2.0

    model = Detached()
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), "float32")
    model(x)
    before = [w.copy() for w in model.get_weights()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # it has weights: no warning, no update, no error
        hist = model.fit(x, x, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(1.0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_tf_nn_dropout():
    x = tf.ones((200, 50), requires_grad=True)
    y = tf.nn.dropout(x, rate=0.4)
    v = y.detach().numpy()
    kept = v != 0
    assert abs(kept.mean() - 0.6) < 0.03
    np.testing.assert_allclose(v[kept], 1 / 0.6, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), v)  # d(sum)/dx is the scaled mask
    a = tf.nn.dropout(tf.ones((30, 4)), rate=0.5, seed=7).numpy()
    b = tf.nn.dropout(tf.ones((30, 4)), rate=0.5, seed=7).numpy()
    np.testing.assert_array_equal(a, b)
    rows = tf.nn.dropout(tf.ones((30, 4)), rate=0.5, noise_shape=(None, 1)).numpy()
    assert all(len(set(r)) == 1 for r in rows)  # one flag per row, broadcast along it
    with pytest.raises(ValueError, match="rate"):
        tf.nn.dropout(tf.ones(3), rate=1.0)
    with pytest.raises(ValueError, match="noise_shape"):
        tf.nn.dropout(tf.ones((3, 4)), rate=0.5, noise_shape=(3, 2))
