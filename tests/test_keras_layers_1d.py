"""Keras 1-D layers SpatialDropout1D, UpSampling1D, ZeroPadding1D, Cropping1D (issue 11: names
held-out Keras programs import): NumPy float64 references, gradcheck, shapes in a model."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.testing import gradcheck

L = keras.layers


def rnd(*shape, seed=0):  # float32 values (Keras layers take NumPy input as float32)
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32).astype(
        np.float64)


def t64(a):
    return pe.tensor(a, dtype=pe.float64, requires_grad=True)


def test_upsampling1d():
    x = rnd(2, 4, 3)
    np.testing.assert_array_equal(L.UpSampling1D(3)(x).numpy(), np.repeat(x, 3, axis=1))
    np.testing.assert_array_equal(L.UpSampling1D()(x).numpy(), np.repeat(x, 2, axis=1))
    assert gradcheck(L.UpSampling1D(2, autocast=False), [t64(x)])  # float64 kept
    with pytest.raises(ValueError, match="size must be a positive int"):
        L.UpSampling1D(0)
    with pytest.raises(ValueError, match=r"\(batch, steps, channels\)"):
        L.UpSampling1D(2)(rnd(2, 3))


def test_zero_padding1d():
    x = rnd(2, 4, 3)
    np.testing.assert_array_equal(L.ZeroPadding1D()(x).numpy(),
                                  np.pad(x, ((0, 0), (1, 1), (0, 0))))
    np.testing.assert_array_equal(L.ZeroPadding1D((2, 0))(x).numpy(),
                                  np.pad(x, ((0, 0), (2, 0), (0, 0))))
    assert gradcheck(L.ZeroPadding1D((1, 3), autocast=False), [t64(x)])
    with pytest.raises(ValueError, match="non-negative"):
        L.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match="an int or a pair"):
        L.ZeroPadding1D((1, 2, 3))


def test_cropping1d():
    x = rnd(2, 6, 3)
    np.testing.assert_array_equal(L.Cropping1D()(x).numpy(), x[:, 1:5])
    np.testing.assert_array_equal(L.Cropping1D((2, 0))(x).numpy(), x[:, 2:])
    np.testing.assert_array_equal(L.Cropping1D(0)(x).numpy(), x)
    assert gradcheck(L.Cropping1D((1, 2), autocast=False), [t64(x)])
    with pytest.raises(ValueError, match="removes the whole input"):
        L.Cropping1D(3)(x)


def test_spatial_dropout1d():
    x = np.ones((64, 10, 8), np.float32)
    layer = L.SpatialDropout1D(0.5, seed=3)
    np.testing.assert_array_equal(layer(x).numpy(), x)  # identity at inference
    y = layer(x, training=True).numpy()
    assert np.all(y == y[:, :1, :])  # whole channels kept or dropped across the steps
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.3 < (y == 0).mean() < 0.7
    np.testing.assert_array_equal(L.SpatialDropout1D(0.5, seed=3)(x, training=True).numpy(), y)
    np.testing.assert_array_equal(L.SpatialDropout1D(0.0)(x, training=True).numpy(), x)
    with pytest.raises(ValueError, match="rate must be"):
        L.SpatialDropout1D(1.5)
    with pytest.raises(ValueError, match=r"\(batch, steps, channels\)"):
        L.SpatialDropout1D(0.5)(np.ones((2, 3, 4, 5), np.float32), training=True)


def test_1d_layers_in_a_model_train():
    pe.manual_seed(0)
    model = keras.Sequential([keras.Input((8, 3)), L.ZeroPadding1D(2), L.Conv1D(4, 3),
                              L.UpSampling1D(2), L.Cropping1D((1, 1)), L.SpatialDropout1D(0.2),
                              L.Flatten(), L.Dense(1)])
    assert model.output_shape == (None, 1)
    assert [lay.output.shape[1] for lay in model.layers[:4]] == [12, 10, 20, 18]
    x = np.random.default_rng(0).standard_normal((16, 8, 3)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None]
    model.compile("adam", "mse")
    h = model.fit(x, y, epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
