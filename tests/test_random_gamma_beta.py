"""tf.random.gamma, keras.random.gamma / beta (keras-io's mixup draws its lambda from Beta
through two gammas) and the GlobalAvgPool2D / GlobalMaxPool2D aliases it uses: shapes in
TensorFlow's layout, moments against the distributions' formulas, seeds, clear errors."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras


def test_tf_gamma_shape_layout_and_moments():
    tf.manual_seed(0)
    g = tf.random.gamma(shape=[20000], alpha=[0.5, 3.0], beta=[1.0, 2.0])
    assert g.shape == (20000, 2) and g.dtype == tf.float32
    # mean alpha / beta, variance alpha / beta^2 (beta is a rate)
    np.testing.assert_allclose(g.numpy().mean(0), [0.5, 1.5], rtol=0.05)
    np.testing.assert_allclose(g.numpy().var(0), [0.5, 0.75], rtol=0.1)
    assert tf.random.gamma([3, 4], 2.0).shape == (3, 4)
    a = tf.random.gamma([5], 0.2, seed=7, dtype="float64").numpy()
    np.testing.assert_array_equal(a, tf.random.gamma([5], 0.2, seed=7, dtype="float64").numpy())
    assert (a > 0).all()
    with pytest.raises(ValueError, match=r"\[gamma\] alpha and beta must be positive"):
        tf.random.gamma([2], -1.0)


def test_keras_gamma_and_beta():
    b = keras.random.beta((20000,), 0.2, 0.6, seed=keras.random.SeedGenerator(1)).numpy()
    assert ((b >= 0) & (b <= 1)).all()
    np.testing.assert_allclose(b.mean(), 0.2 / 0.8, rtol=0.05)
    g = keras.random.gamma((20000,), 4.0, seed=3).numpy()
    np.testing.assert_allclose([g.mean(), g.var()], [4.0, 4.0], rtol=0.08)
    with pytest.raises(ValueError, match=r"\[keras.random.beta\]"):
        keras.random.beta((2,), 0.0, 1.0)


def test_global_pool_aliases():
    L = keras.layers
    assert L.GlobalAvgPool2D is L.GlobalAveragePooling2D
    assert L.GlobalMaxPool2D is L.GlobalMaxPooling2D
