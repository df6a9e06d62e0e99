"""tf.math.segment_* / unsorted_segment_* (tf_segment.py, ops/segment.py) against NumPy
float64 references: values, empty segments, dropped (negative) ids, multi-dimensional ids,
gradients (gradcheck, ties split evenly for max / min), and TensorFlow's errors."""
import numpy as np
import pytest

import pyengine as tf
from pyengine.testing import gradcheck

RNG = np.random.default_rng(0)
REDUCE = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "mean": np.mean,
          "sqrt_n": lambda r, axis: r.sum(axis) / np.sqrt(len(r))}


def T(a, grad=False):
    return tf.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def reference(kind, data, ids, n, empty):
    out = np.full((n,) + data.shape[1:], empty, dtype=np.float64)
    for s in range(n):
        rows = data[ids == s]
        if len(rows):
            out[s] = REDUCE[kind](rows, axis=0)
    return out


@pytest.mark.parametrize("kind", ["sum", "prod", "max", "min", "mean", "sqrt_n"])
def test_unsorted_segment_matches_numpy_and_gradient(kind):
    data = RNG.standard_normal((7, 3))
    ids = np.array([2, 0, 2, -1, 4, 0, 2])  # segment 1 and 3 empty, row 3 dropped
    empty = {"prod": 1.0, "max": np.finfo(np.float64).min,
             "min": np.finfo(np.float64).max}.get(kind, 0.0)
    fn = getattr(tf.math, f"unsorted_segment_{kind}")
    got = fn(T(data), ids, num_segments=5)
    assert got.shape == (5, 3) and got.dtype == tf.float64
    np.testing.assert_allclose(got.numpy(), reference(kind, data, ids, 5, empty), rtol=1e-12)
    x = T(data, grad=True)
    if kind in ("max", "min"):  # only non-empty segments: the empty ones hold the dtype's limit
        assert gradcheck(lambda v: fn(v, ids, 5)[tf.tensor([0, 2, 4])], [x])
    else:
        assert gradcheck(lambda v: fn(v, ids, 5), [x])


@pytest.mark.parametrize("kind", ["sum", "prod", "max", "min", "mean"])
def test_sorted_segment_matches_numpy(kind):
    data = RNG.standard_normal((6, 2))
    ids = np.array([0, 0, 1, 3, 3, 3])  # segment 2 empty: 0 (1 for prod), as TensorFlow
    got = getattr(tf.math, f"segment_{kind}")(T(data), tf.constant(ids))
    ref = reference(kind, data, ids, 4, 1.0 if kind == "prod" else 0.0)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12)
    x = T(data, grad=True)
    assert gradcheck(lambda v: getattr(tf.math, f"segment_{kind}")(v, ids), [x])


def test_max_ties_split_gradient_and_prod_with_zeros():
    x = T([[1.0], [3.0], [3.0], [2.0]], grad=True)
    tf.math.unsorted_segment_max(x, [0, 0, 0, 1], 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [0, 0.5, 0.5, 1])
    z = T([2.0, 0.0, 5.0, 0.0, 0.0, 3.0], grad=True)  # one zero in segment 0, two in segment 1
    tf.math.unsorted_segment_prod(z, [0, 0, 0, 1, 1, 1], 2).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0, 10, 0, 0, 0, 0])
    w = T([2.0, 0.0, 5.0], grad=True)
    assert gradcheck(lambda v: tf.math.unsorted_segment_prod(v, [0, 0, 1], 2), [w])


def test_multidimensional_ids_int_data_and_float32():
    data = np.arange(24).reshape(2, 3, 4)
    ids = np.array([[0, 1, 0], [2, 2, 1]])
    got = tf.math.unsorted_segment_sum(tf.constant(data), ids, 3)
    ref = np.zeros((3, 4), np.int64)
    np.add.at(ref, ids.reshape(-1), data.reshape(6, 4))
    np.testing.assert_array_equal(got.numpy(), ref)
    f32 = tf.math.unsorted_segment_max(tf.constant(np.ones((2, 2), np.float32)), [1, 1], 3)
    assert f32.dtype == tf.float32 and f32.numpy()[0, 0] == np.finfo(np.float32).min


def test_segment_errors_name_the_op():
    x = T(np.ones((3, 2)))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"\[tf.math.unsorted_segment_sum\] segment id 3 is out of range"):
        tf.math.unsorted_segment_sum(x, [0, 3, 1], 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[tf.math.segment_sum\] .*sorted"):
        tf.math.segment_sum(x, [1, 0, 1])
    with pytest.raises(ValueError, match=r"prefix of data's \(3, 2\)"):
        tf.math.unsorted_segment_mean(x, [0, 1], 2)
    with pytest.raises(TypeError, match=r"segment_ids must be int32"):
        tf.math.unsorted_segment_sum(x, [0.5, 1, 1], 2)
    with pytest.raises(ValueError, match=r"num_segments must be a non-negative integer"):
        tf.math.unsorted_segment_sum(x, [0, 1, 1], 2.0)
