"""tf.function / torch.compile (eager: the same function or module, input_signature checked)
and tf.nn's dropout, cross-entropies on logits, bias_add, l2_loss, embedding_lookup against
NumPy float64 formulas (keras-io's "Introduction to Keras for researchers" uses @tf.function
and tf.nn.dropout)."""
import numpy as np
import pytest

import pyengine as tf
from pyengine.testing import gradcheck

RNG = np.random.default_rng(0)


def test_tf_function_runs_the_function_and_checks_its_signature():
    @tf.function
    def f(x, y):
        return x * y + 1.0
    assert float(f(tf.constant(2.0), tf.constant(3.0))) == 7.0

    @tf.function(input_signature=[tf.TensorSpec(shape=(None, 2), dtype=tf.float32)],
                 jit_compile=True)
    def g(x):
        return x.sum()
    assert float(g(tf.ones((3, 2)))) == 6.0
    with pytest.raises(TypeError, match=r"\[tf.function g argument 0\] shape \(3, 3\)"):
        g(tf.ones((3, 3)))
    with pytest.raises(TypeError, match=r"\[tf.function\] jit_compile"):
        tf.function(lambda x: x, jit_compile="yes")


def test_torch_compile_returns_the_module():
    m = tf.nn.Linear(3, 2)
    assert tf.compile(m) is m and tf.compile(mode="max-autotune")(m) is m
    with pytest.raises(ValueError, match=r"\[compile\] unknown mode"):
        tf.compile(m, mode="fastest")
    with pytest.raises(RuntimeError, match=r"either mode or options"):
        tf.compile(m, mode="default", options={})


def test_nn_cross_entropies_match_numpy_and_differentiate():
    x = RNG.standard_normal((4, 5))
    z = RNG.uniform(size=(4, 5))
    got = tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x).numpy()
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(got, -(z * np.log(p) + (1 - z) * np.log(1 - p)), rtol=1e-10)
    xt = tf.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=a), [xt])
    q = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    soft = z / z.sum(1, keepdims=True)
    np.testing.assert_allclose(tf.nn.softmax_cross_entropy_with_logits(soft, x).numpy(),
                               -(soft * np.log(q)).sum(1), rtol=1e-10)
    lab = np.array([0, 4, 2, 1])
    np.testing.assert_allclose(tf.nn.sparse_softmax_cross_entropy_with_logits(lab, x).numpy(),
                               -np.log(q[np.arange(4), lab]), rtol=1e-10)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 5\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(np.array([0, 5, 1, 1]), x)


def test_nn_dropout_bias_add_l2_loss_embedding_lookup():
    x = tf.ones((4, 3, 6))
    y = tf.nn.dropout(x, rate=0.5, noise_shape=[4, 1, 6], seed=1).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and (y == y[:, :1]).all()
    np.testing.assert_array_equal(tf.nn.dropout(x, 0.5, seed=3).numpy(),
                                  tf.nn.dropout(x, 0.5, seed=3).numpy())
    with pytest.raises(ValueError, match=r"\[tf.nn.dropout\] rate"):
        tf.nn.dropout(x, 1.5)
    b = np.arange(6.0)
    np.testing.assert_array_equal(tf.nn.bias_add(x, b).numpy(), 1 + b + np.zeros((4, 3, 6)))
    a = RNG.standard_normal((3, 2))
    assert float(tf.nn.l2_loss(a)) == pytest.approx((a ** 2).sum() / 2)
    table = RNG.standard_normal((5, 2))
    np.testing.assert_array_equal(tf.nn.embedding_lookup(table, np.array([[4, 0], [1, 1]])).numpy(),
                                  table[[[4, 0], [1, 1]]])
