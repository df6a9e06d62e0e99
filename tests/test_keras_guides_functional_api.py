"""Original tests of the patterns of keras-io's guide "The Functional API" (TF 2 form, run as
`import pyengine as tf`): `keras.applications.VGG19` as a feature extractor (every layer's
output), a custom layer whose get_config returns only its constructor arguments rebuilt by
`keras.Model.from_config(config, custom_objects=)`, and `tf.zeros(shape=...)` inside a custom
RNN layer. No program text of the guide is used."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


class ScaledDense(layers.Layer):
    """A Keras-guide style layer: get_config returns its arguments only (no super() call)."""

    def __init__(self, units=32, scale=1.0):
        super().__init__()
        self.units, self.scale = units, scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal")

    def call(self, inputs):
        return (tf.matmul(inputs, self.w) + self.b) * self.scale

    def get_config(self):
        return {"units": self.units, "scale": self.scale}


def _model():
    inputs = keras.Input((4,))
    x = ScaledDense(6, scale=0.5)(inputs)
    return keras.Model(inputs, layers.Dense(2)(x))


def test_model_from_config_with_a_keras_style_custom_layer(tmp_path):
    model = _model()
    config = model.get_config()
    new = keras.Model.from_config(config, custom_objects={"ScaledDense": ScaledDense})
    assert [type(lyr).__name__ for lyr in new.layers] == ["InputLayer", "ScaledDense", "Dense"]
    assert new.layers[1].units == 6 and new.layers[1].scale == 0.5
    new.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    np.testing.assert_allclose(new.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    # the same config through a file, and the layer's own from_config
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"ScaledDense": ScaledDense})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    again = ScaledDense.from_config(model.layers[1].get_config())
    assert (again.units, again.scale) == (6, 0.5)
    dense = layers.Dense.from_config(layers.Dense(3, activation="relu").get_config())
    assert dense.units == 3
    with pytest.raises(ValueError, match="ScaledDense"):
        keras.Model.from_config(config)  # the custom class must be given or registered


def test_vgg19_architecture_and_feature_extraction():
    vgg19 = keras.applications.VGG19(weights=None, input_shape=(32, 32, 3), include_top=False)
    names = [lyr.name for lyr in vgg19.layers]
    assert names[1:4] == ["block1_conv1", "block1_conv2", "block1_pool"]
    assert "block5_conv4" in names and len(vgg19.layers) == 22
    assert vgg19.count_params() == 20024384  # Keras' VGG19 without the top
    features = keras.Model(vgg19.input, [lyr.output for lyr in vgg19.layers])
    img = np.random.default_rng(1).random((1, 32, 32, 3)).astype("float32")
    out = features(img)
    assert len(out) == 22 and tuple(out[-1].shape) == (1, 1, 1, 512)
    np.testing.assert_allclose(out[-1].numpy(), vgg19.predict(img, verbose=0), rtol=1e-5)
    with pytest.raises(ValueError, match="vgg19_weights_tf_dim_ordering_tf_kernels"):
        keras.applications.VGG19()  # no ImageNet weights offline: the error names the file


def test_tf_zeros_and_ones_take_tensorflows_arguments():
    assert tf.zeros(shape=(2, 3)).shape == (2, 3)
    assert tf.ones((2, 3), tf.int32).dtype == tf.int32
    assert tf.zeros((2,), name="z").shape == (2,)
    with pytest.raises(TypeError, match="both"):
        tf.zeros(2, shape=(3,))

    class StepRNN(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units
            self.proj = layers.Dense(units, activation="tanh")

        def call(self, inputs):
            state = tf.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                state = self.proj(inputs[:, t, :]) + state
            return state

    inputs = keras.Input(batch_shape=(4, 5, 3))
    model = keras.Model(inputs, StepRNN(2)(inputs))
    x = np.random.default_rng(2).standard_normal((4, 5, 3)).astype("float32")
    w, b = (a.astype(np.float64) for a in model.get_weights())
    want = sum(np.tanh(x[:, t] @ w + b) for t in range(5))
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
