"""data_format='channels_first' (keras/layers/data_format.py): each spatial layer given
(N, C, ...) input computes what its channels-last form computes on the transposed input, with
the same weights (Keras' layout either way); Flatten flattens in channels-last order; the
global default (keras.config.set_image_data_format) applies to layers given None; a
channels_first MNIST-style model trains, saves and loads."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras

L = keras.layers
RNG = np.random.default_rng(0)


def last(a):
    return np.moveaxis(a, 1, -1)


def first(a):
    return np.moveaxis(a, -1, 1)


CASES = [
    ("Conv2D", lambda f: L.Conv2D(4, 3, strides=2, padding="same", data_format=f), (2, 3, 7, 6)),
    ("Conv1D", lambda f: L.Conv1D(4, 3, padding="causal", data_format=f), (2, 3, 9)),
    ("Conv3D", lambda f: L.Conv3D(2, 2, data_format=f), (2, 3, 4, 5, 4)),
    ("Conv2DTranspose", lambda f: L.Conv2DTranspose(3, 3, strides=2, data_format=f), (2, 2, 4, 5)),
    ("DepthwiseConv2D", lambda f: L.DepthwiseConv2D(3, depth_multiplier=2, data_format=f),
     (2, 3, 6, 6)),
    ("SeparableConv2D", lambda f: L.SeparableConv2D(4, 3, padding="same", data_format=f),
     (2, 3, 6, 6)),
    ("MaxPooling2D", lambda f: L.MaxPooling2D(3, 2, padding="same", data_format=f), (2, 3, 7, 7)),
    ("AveragePooling2D", lambda f: L.AveragePooling2D(2, data_format=f), (2, 3, 6, 4)),
    ("GlobalAveragePooling2D", lambda f: L.GlobalAveragePooling2D(data_format=f, keepdims=True),
     (2, 3, 5, 4)),
    ("GlobalMaxPooling2D", lambda f: L.GlobalMaxPooling2D(data_format=f), (2, 3, 5, 4)),
    ("MaxPooling1D", lambda f: L.MaxPooling1D(2, data_format=f), (2, 3, 8)),
    ("GlobalAveragePooling1D", lambda f: L.GlobalAveragePooling1D(data_format=f), (2, 3, 8)),
    ("MaxPooling3D", lambda f: L.MaxPooling3D(2, data_format=f), (1, 2, 4, 4, 4)),
    ("UpSampling2D", lambda f: L.UpSampling2D(2, data_format=f), (2, 3, 3, 2)),
    ("ZeroPadding2D", lambda f: L.ZeroPadding2D(((1, 2), (0, 1)), data_format=f), (2, 3, 3, 2)),
    ("Cropping2D", lambda f: L.Cropping2D(((1, 0), (1, 1)), data_format=f), (2, 3, 4, 5)),
    ("SpatialDropout2D", lambda f: L.SpatialDropout2D(0.5, data_format=f), (2, 3, 4, 5)),
]


@pytest.mark.parametrize("name, make, shape", CASES, ids=[c[0] for c in CASES])
def test_channels_first_is_the_transposed_channels_last(name, make, shape):
    x = RNG.standard_normal(shape).astype(np.float32)
    cf, cl = make("channels_first"), make("channels_last")
    y = cf(x).numpy()
    cl(last(x))
    cl.set_weights(cf.get_weights())
    want = cl(last(x)).numpy()
    want = first(want) if want.ndim >= 3 else want
    np.testing.assert_allclose(y, want, rtol=1e-6, atol=1e-6)


def test_flatten_orders_as_channels_last():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(L.Flatten(data_format="channels_first")(x).numpy(),
                                  last(x).reshape(2, -1))


def test_global_default_and_errors():
    try:
        keras.config.set_image_data_format("channels_first")
        assert keras.backend.image_data_format() == "channels_first"
        assert L.Conv2D(2, 3).data_format == "channels_first"
        assert L.Conv2D(2, 3, data_format="channels_last").data_format == "channels_last"
    finally:
        keras.config.set_image_data_format("channels_last")
    assert L.MaxPooling2D().data_format == "channels_last"
    with pytest.raises(ValueError, match=r"\[Conv2D\] data_format must be"):
        L.Conv2D(2, 3, data_format="NCHW")
    with pytest.raises(ValueError, match=r"set_image_data_format"):
        keras.config.set_image_data_format("th")


def test_channels_first_mnist_model_trains_and_reloads(tmp_path):
    """The classic Theano-ordered MNIST CNN: input (1, 28, 28), BatchNormalization(axis=1)."""
    pe.manual_seed(0)
    m = keras.Sequential([
        keras.Input((1, 12, 12)),
        L.Conv2D(6, (3, 3), activation="relu", data_format="channels_first"),
        L.BatchNormalization(axis=1),
        L.MaxPooling2D((2, 2), data_format="channels_first"),
        L.Flatten(data_format="channels_first"),
        L.Dense(3, activation="softmax"),
    ])
    assert m.output_shape == (None, 3) and m.layers[0].output.shape == (None, 6, 10, 10)
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = RNG.standard_normal((48, 1, 12, 12)).astype(np.float32)
    y = (x[:, 0, :6].mean((1, 2)) > 0).astype(np.int64) + (x[:, 0, 6:].mean((1, 2)) > 0)
    hist = m.fit(x, y, epochs=6, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    m.save(tmp_path / "cf.keras")
    back = keras.models.load_model(tmp_path / "cf.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-5)
