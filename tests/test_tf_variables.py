"""tf.Variable / keras.Variable, the tf.*_initializer names, tf.zeros / ones(shape=),
tf.constant's int32 for Python ints and Metric.reset_states (keras-io's "Introduction to Keras
for researchers": variables set as layer attributes are the layer's weights; nested tapes give
second derivatives)."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras


def test_tf_variable_assign_and_layer_tracking():
    a = tf.Variable(tf.random.normal(shape=(2, 2)))
    v = tf.random.normal(shape=(2, 2))
    a.assign(v)
    np.testing.assert_array_equal(a.numpy(), v.numpy())
    a.assign_add(v)
    np.testing.assert_allclose(a.numpy(), 2 * v.numpy())
    a.assign_sub(v)
    np.testing.assert_allclose(a.numpy(), v.numpy())
    assert a.trainable and a.dtype == tf.float32

    class ComputeSum(keras.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = tf.Variable(initial_value=tf.zeros((input_dim,)), trainable=False)

        def call(self, inputs):
            self.total.assign_add(tf.reduce_sum(inputs, axis=0))
            return self.total

    s = ComputeSum(2)
    s(tf.ones((2, 2)))
    np.testing.assert_array_equal(s(tf.ones((2, 2))).numpy(), [4.0, 4.0])
    assert s.weights == [s.total] and s.non_trainable_weights == [s.total]
    assert s.trainable_weights == []

    class Linear(keras.layers.Layer):
        def __init__(self, units, input_dim):
            super().__init__()
            self.w = tf.Variable(tf.random_normal_initializer()(shape=(input_dim, units),
                                                                dtype="float32"))
            self.b = tf.Variable(tf.zeros_initializer()(shape=(units,), dtype="float32"))

        def call(self, x):
            return tf.matmul(x, self.w) + self.b

    lin = Linear(4, 2)
    assert lin(tf.ones((3, 2))).shape == (3, 4) and lin.trainable_weights == [lin.w, lin.b]
    with pytest.raises(ValueError, match=r"\[Variable\] only floating variables"):
        tf.Variable([1, 2], trainable=True)
    assert not tf.Variable([1, 2]).trainable


def test_keras_variable_from_initializer_or_value():
    v = keras.Variable("ones", shape=(2, 3), name="w")
    assert v.shape == (2, 3) and v.name == "w" and float(v.numpy().sum()) == 6.0
    u = keras.Variable(np.arange(3.0), trainable=False)
    assert not u.trainable and u.dtype == tf.float64
    with pytest.raises(ValueError, match="needs shape"):
        keras.Variable("zeros")


def test_nested_tapes_give_second_derivatives():
    # fixed values away from 0: unseeded normals gave a near-zero b now and then, where the
    # float32 second derivative b^2 / (a^2 + b^2)^1.5 has no 1e-4 relative accuracy left
    a = tf.Variable(np.array([[0.5, -1.2], [2.0, 0.8]], np.float32))
    b = tf.constant(np.array([[1.1, 0.7], [-0.9, -1.6]], np.float32))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            c = tf.sqrt(tf.square(a) + tf.square(b))
            dc_da = inner.gradient(c, a)
        d2 = outer.gradient(dc_da, a)
    an, bn = a.numpy().astype(np.float64), b.numpy().astype(np.float64)
    np.testing.assert_allclose(d2.numpy(), bn ** 2 / (an ** 2 + bn ** 2) ** 1.5, rtol=1e-4)


def test_creation_shape_keyword_constant_int32_reset_states():
    assert tf.ones(shape=(2, 1)).shape == (2, 1) and tf.zeros(shape=(3,)).shape == (3,)
    assert tf.empty(shape=4).shape == (4,)
    with pytest.raises(TypeError, match=r"\[zeros\] the size given both"):
        tf.zeros(2, shape=(3,))
    assert tf.constant([[5, 2], [1, 3]]).dtype == tf.int32
    assert tf.constant(np.array([1, 2])).dtype == tf.int64
    m = keras.metrics.SparseCategoricalAccuracy()
    m.update_state([1], [[0.1, 0.9]])
    m.reset_states()
    assert m.result() == 0.0
