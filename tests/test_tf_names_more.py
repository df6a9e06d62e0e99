"""More TensorFlow names under `import pyengine as tf` (tf_names_more.py, tf_random.py,
tf_indexing.py, tf_control_flow.py, tf_debugging.py, tf_nn_more.py, tf_image_adjust.py) against
NumPy float64 references: values, shapes, dtypes, gradients (gradcheck), edge cases and the
errors TensorFlow raises."""
import io
import sys

import numpy as np
import pytest

import pyengine as tf
from pyengine.testing import gradcheck

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _keep_pyengine_generator():
    # these tests reseed and draw from pyengine's generator (tf.random.set_seed(None) unseeds
    # it): later test files see the generator as it was, so their draws stay reproducible
    from pyengine import random as pe_random
    gen = pe_random._generator
    state = gen.bit_generator.state
    yield
    pe_random._generator = gen
    gen.bit_generator.state = state


def T(a, grad=False):
    return tf.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ---- tf.random ------------------------------------------------------------------------------
def test_random_set_seed_repeats_draws_and_keras_init():
    tf.random.set_seed(7)
    a = tf.random.normal([3]).numpy()
    tf.random.set_seed(7)
    assert np.array_equal(a, tf.random.normal([3]).numpy())
    tf.random.set_seed(-3)  # any int64, as TensorFlow
    with pytest.raises(TypeError, match=r"\[tf.random.set_seed\]"):
        tf.random.set_seed(1.5)
    tf.random.set_seed(None)


def test_truncated_normal_within_two_stddev():
    x = tf.random.truncated_normal([200, 50], mean=1.0, stddev=0.5, seed=3)
    a = x.numpy()
    assert a.dtype == np.float32 and a.shape == (200, 50)
    assert a.min() >= 0.0 and a.max() <= 2.0 and abs(a.mean() - 1.0) < 0.01
    assert np.array_equal(a, tf.random.truncated_normal([200, 50], 1.0, 0.5, seed=3).numpy())
    assert tf.random.truncated_normal([2], dtype=tf.float64).numpy().dtype == np.float64
    assert tf.random.truncated_normal([0, 3]).shape == (0, 3)
    with pytest.raises(ValueError, match=r"dtype"):
        tf.random.truncated_normal([2], dtype=tf.int32)


def test_categorical_frequencies_and_dtype():
    logits = np.array([[np.log(0.1), np.log(0.6), np.log(0.3)], [0.0, -np.inf, -np.inf]],
                      np.float32)
    s = tf.random.categorical(logits, 20000, seed=1).numpy()
    assert s.shape == (2, 20000) and s.dtype == np.int64
    np.testing.assert_allclose(np.bincount(s[0], minlength=3) / 20000, [0.1, 0.6, 0.3],
                               atol=0.015)
    assert (s[1] == 0).all()  # log(0) = -inf never drawn
    assert tf.random.categorical(logits, 2, dtype=tf.int32).numpy().dtype == np.int32
    assert tf.random.categorical(logits, 0).shape == (2, 0)
    with pytest.raises(ValueError, match=r"2-D"):
        tf.random.categorical(np.zeros(3), 1)
    with pytest.raises(ValueError, match=r"int32 or int64"):
        tf.random.categorical(logits, 1, dtype=tf.float32)


def test_shuffle_permutes_rows_and_passes_gradient():
    x = T(np.arange(12).reshape(6, 2), grad=True)
    y = tf.random.shuffle(x, seed=5)
    assert sorted(map(tuple, y.numpy())) == sorted(map(tuple, x.numpy()))
    assert np.array_equal(y.numpy()[:, 1] - y.numpy()[:, 0], np.ones(6))  # rows move together
    assert gradcheck(lambda a: tf.random.shuffle(a, seed=5), [x])
    with pytest.raises(ValueError, match=r"at least one dimension"):
        tf.random.shuffle(tf.constant(1.0))


def test_stateless_uniform_depends_only_on_seed():
    a = tf.random.stateless_uniform([4, 3], seed=[1, 2]).numpy()
    assert a.dtype == np.float32 and ((a >= 0) & (a < 1)).all()
    assert np.array_equal(a, tf.random.stateless_uniform([4, 3], seed=(1, 2)).numpy())
    assert not np.array_equal(a, tf.random.stateless_uniform([4, 3], seed=[1, 3]).numpy())
    b = tf.random.stateless_uniform([1000], seed=[0, 0], minval=-2, maxval=5,
                                    dtype=tf.int32).numpy()
    assert b.dtype == np.int32 and b.min() == -2 and b.max() == 4
    full = tf.random.stateless_uniform([10], [3, 4], minval=None, maxval=None, dtype=tf.int64)
    assert full.numpy().dtype == np.int64
    with pytest.raises(ValueError, match=r"both minval"):
        tf.random.stateless_uniform([2], [1, 2], dtype=tf.int32)
    with pytest.raises(ValueError, match=r"shape \[2\]"):
        tf.random.stateless_uniform([2], seed=3)
    with pytest.raises(ValueError, match=r"threefry"):
        tf.random.stateless_uniform([2], [1, 2], alg="threefry")
    n = tf.random.stateless_normal([3], seed=[4, 4])
    assert np.array_equal(n.numpy(), tf.random.stateless_normal([3], seed=[4, 4]).numpy())


# ---- clipping ------------------------------------------------------------------------------
def test_clip_by_value_values_broadcast_dtype_gradient():
    a = RNG.standard_normal((3, 4))
    lo = np.array([-0.5, -1.0, 0.0, -0.2])
    got = tf.clip_by_value(T(a), lo, 0.5).numpy()
    np.testing.assert_array_equal(got, np.clip(a, lo, 0.5))
    ints = tf.clip_by_value(tf.constant([1, 5, 9]), 2, 6)
    assert ints.numpy().tolist() == [2, 5, 6] and ints.numpy().dtype == np.int32
    x = T(np.array([-2.0, -0.3, 0.2, 3.0]), grad=True)
    assert gradcheck(lambda v: tf.clip_by_value(v, -1.0, 1.0), [x])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[tf.clip_by_value\]"):
        tf.clip_by_value(T([1.0, 2.0]), np.zeros((3, 2)), 1.0)


def test_clip_by_norm_matches_numpy_and_gradient():
    a = RNG.standard_normal((3, 4))
    got = tf.clip_by_norm(T(a), 1.5).numpy()
    np.testing.assert_allclose(got, a * 1.5 / max(np.linalg.norm(a), 1.5), rtol=1e-12)
    rows = tf.clip_by_norm(T(a), 1.0, axes=[-1]).numpy()
    n = np.linalg.norm(a, axis=1, keepdims=True)
    np.testing.assert_allclose(rows, a / np.maximum(n, 1.0), rtol=1e-12)
    np.testing.assert_array_equal(tf.clip_by_norm(T(np.zeros(3)), 1.0).numpy(), np.zeros(3))
    small = T(np.array([0.1, 0.2]))
    np.testing.assert_allclose(tf.clip_by_norm(small, 5.0).numpy(), [0.1, 0.2])
    x = T(a, grad=True)
    assert gradcheck(lambda v: tf.clip_by_norm(v, 1.0, axes=1), [x])
    z = T(np.zeros(3), grad=True)
    tf.clip_by_norm(z, 1.0).sum().backward()
    assert np.isfinite(z.grad.numpy()).all()


def test_clip_by_global_norm_keeps_none_and_returns_norm():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal(4)
    g = np.sqrt((a ** 2).sum() + (b ** 2).sum())
    out, norm = tf.clip_by_global_norm([T(a), None, T(b)], 1.0)
    assert out[1] is None and isinstance(out, list)
    np.testing.assert_allclose(float(norm), g, rtol=1e-12)
    np.testing.assert_allclose(out[0].numpy(), a / g, rtol=1e-12)
    np.testing.assert_allclose(out[2].numpy(), b / g, rtol=1e-12)
    kept, _ = tf.clip_by_global_norm([T(a)], 100.0)
    np.testing.assert_allclose(kept[0].numpy(), a, rtol=1e-12)
    nan, _ = tf.clip_by_global_norm([T([np.inf, 1.0])], 1.0)
    assert np.isnan(nan[0].numpy()).all()
    x, y = T(a, grad=True), T(b, grad=True)
    assert gradcheck(lambda u, v: tuple(tf.clip_by_global_norm([u, v], 1.0)[0]), [x, y])
    np.testing.assert_allclose(float(tf.linalg.global_norm([T(a), T(b)])), g, rtol=1e-12)
    with pytest.raises(TypeError, match=r"sequence"):
        tf.clip_by_global_norm(T(a), 1.0)


# ---- identity / rank / fill / pad / unstack ------------------------------------------------
def test_identity_rank_fill():
    x = T(RNG.standard_normal((2, 3)), grad=True)
    y = tf.identity(x)
    assert y is not x and np.array_equal(y.numpy(), x.numpy())
    assert gradcheck(tf.identity, [x])
    r = tf.rank(np.zeros((2, 3, 4)))
    assert int(r) == 3 and r.numpy().dtype == np.int32 and r.shape == ()
    assert int(tf.rank(5.0)) == 0
    f = tf.fill([2, 3], 9)
    assert f.numpy().dtype == np.int32 and (f.numpy() == 9).all() and f.shape == (2, 3)
    assert tf.fill([2], 1.5).numpy().dtype == np.float32
    assert tf.fill([0, 4], 1.0).shape == (0, 4)
    v = T(2.0, grad=True)
    assert gradcheck(lambda s: tf.fill([2, 2], s), [v])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"scalar"):
        tf.fill([2], [1.0, 2.0])


def _np_pad(a, p, mode, cv=0):
    return np.pad(a, p, mode="constant", constant_values=cv) if mode == "CONSTANT" else \
        np.pad(a, p, mode={"REFLECT": "reflect", "SYMMETRIC": "symmetric"}[mode])


@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "symmetric"])
def test_pad_modes_match_numpy_and_gradient(mode):
    a = RNG.standard_normal((3, 4))
    p = [[1, 2], [3, 0]] if mode != "REFLECT" else [[2, 1], [3, 2]]
    got = tf.pad(T(a), p, mode).numpy()
    np.testing.assert_array_equal(got, _np_pad(a, p, mode.upper()))
    x = T(a, grad=True)
    assert gradcheck(lambda v: tf.pad(v, p, mode), [x])


def test_pad_constant_values_dtype_and_errors():
    x = tf.constant([[1, 2], [3, 4]])
    got = tf.pad(x, tf.constant([[0, 1], [1, 0]]), constant_values=7)
    assert got.numpy().dtype == np.int32
    np.testing.assert_array_equal(got.numpy(), np.pad(x.numpy(), [[0, 1], [1, 0]],
                                                      constant_values=7))
    assert tf.pad(tf.zeros((0, 2)), [[1, 1], [0, 0]]).shape == (2, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[tf.pad\] paddings must be of"):
        tf.pad(x, [[1, 1]])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"at most 1 for mode REFLECT"):
        tf.pad(x, [[2, 0], [0, 0]], "REFLECT")
    np.testing.assert_array_equal(tf.pad(x, [[2, 2], [0, 0]], "SYMMETRIC").numpy(),
                                  np.pad(x.numpy(), [[2, 2], [0, 0]], mode="symmetric"))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"at most 2 for mode SYMMETRIC"):
        tf.pad(x, [[3, 0], [0, 0]], "SYMMETRIC")
    with pytest.raises(ValueError, match=r"mode must be"):
        tf.pad(x, [[0, 0], [0, 0]], "EDGE")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"non-negative"):
        tf.pad(x, [[-1, 0], [0, 0]])


def test_unstack():
    a = RNG.standard_normal((2, 3, 4))
    parts = tf.unstack(T(a), axis=-2)
    assert isinstance(parts, list) and len(parts) == 3
    for i, p in enumerate(parts):
        np.testing.assert_array_equal(p.numpy(), a[:, i, :])
    assert len(tf.unstack(T(a), num=2)) == 2
    with pytest.raises(ValueError, match=r"num=3"):
        tf.unstack(T(a), num=3)
    assert tf.unstack(tf.zeros((0, 2))) == []
    x = T(a, grad=True)
    assert gradcheck(lambda v: tuple(tf.unstack(v, axis=1)), [x])


# ---- reductions, cumsum, elementwise tests ---------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, -1, [0, 2], []])
def test_reduce_prod_matches_numpy_and_gradient(axis, keep=False):
    a = RNG.uniform(0.5, 1.5, (2, 3, 4))
    ax = None if axis is None else tuple(axis) if isinstance(axis, list) else axis
    for keep in (False, True):
        got = tf.reduce_prod(T(a), axis, keepdims=keep).numpy()
        np.testing.assert_allclose(got, np.prod(a, axis=ax, keepdims=keep), rtol=1e-12)
    x = T(a, grad=True)
    assert gradcheck(lambda v: tf.math.reduce_prod(v, axis), [x])


def test_reduce_prod_int_and_reduce_any_all():
    assert tf.reduce_prod(tf.constant([[1, 2], [3, 4]]), 1).numpy().tolist() == [2, 12]
    assert tf.reduce_prod(tf.constant([[1, 2], [3, 4]])).numpy().dtype == np.int32
    b = np.array([[True, False, True], [True, True, True]])
    assert bool(tf.reduce_any(b)) and not bool(tf.reduce_all(b))
    np.testing.assert_array_equal(tf.reduce_all(b, axis=1).numpy(), [False, True])
    np.testing.assert_array_equal(tf.math.reduce_any(b, 0, keepdims=True).numpy(),
                                  b.any(0, keepdims=True))
    assert bool(tf.reduce_all(np.zeros(0, bool))) and not bool(tf.reduce_any(np.zeros(0, bool)))
    with pytest.raises(TypeError, match=r"\[tf.reduce_any\] input_tensor must be bool"):
        tf.reduce_any(tf.constant([1.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"axis 2 out of range"):
        tf.reduce_all(b, axis=2)


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_exclusive_reverse(exclusive, reverse):
    a = RNG.standard_normal((3, 4))
    ref = np.flip(a, 1) if reverse else a
    ref = np.cumsum(ref, 1)
    if exclusive:
        ref = np.concatenate([np.zeros((3, 1)), ref[:, :-1]], 1)
    ref = np.flip(ref, 1) if reverse else ref
    np.testing.assert_allclose(tf.math.cumsum(T(a), axis=-1, exclusive=exclusive,
                                              reverse=reverse).numpy(), ref, rtol=1e-12)
    x = T(a, grad=True)
    assert gradcheck(lambda v: tf.math.cumsum(v, 1, exclusive, reverse), [x])


def test_cumsum_dtype_default_axis_empty():
    c = tf.math.cumsum(tf.constant([[1, 2], [3, 4]]))
    assert c.numpy().tolist() == [[1, 2], [4, 6]] and c.numpy().dtype == np.int32
    assert tf.math.cumsum(tf.zeros((0,)), exclusive=True).shape == (0,)


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumprod_exclusive_reverse(exclusive, reverse):
    a = RNG.uniform(0.5, 2.0, (3, 4))
    ref = np.flip(a, 0) if reverse else a
    ref = np.cumprod(ref, 0)
    if exclusive:
        ref = np.concatenate([np.ones((1, 4)), ref[:-1]], 0)
    ref = np.flip(ref, 0) if reverse else ref
    np.testing.assert_allclose(tf.math.cumprod(T(a), exclusive=exclusive,
                                               reverse=reverse).numpy(), ref, rtol=1e-12)
    assert gradcheck(lambda v: tf.math.cumprod(v, 0, exclusive, reverse), [T(a, grad=True)])


def test_cumprod_keeps_int_dtype_and_exclusive_starts_clean():
    c = tf.math.cumprod(tf.constant([[1, 2], [3, 4]], dtype=tf.int32), axis=1, exclusive=True)
    assert c.numpy().tolist() == [[1, 1], [1, 3]] and c.numpy().dtype == np.int32
    # the exclusive run starts from the identity, not from x[0] * 0 (inf * 0 is NaN)
    v = np.array([np.inf, 1.0, 2.0])
    np.testing.assert_array_equal(tf.math.cumsum(v, exclusive=True).numpy(), [0, np.inf, np.inf])
    np.testing.assert_array_equal(tf.math.cumprod(v, exclusive=True, reverse=True).numpy(),
                                  [2, 2, 1])
    with pytest.raises(ValueError, match=r"tf.math.cumprod"):
        tf.math.cumprod(tf.constant(2.0))


def test_rsqrt_and_float_tests():
    a = RNG.uniform(0.5, 2.0, (3, 2))
    np.testing.assert_allclose(tf.math.rsqrt(T(a)).numpy(), 1 / np.sqrt(a), rtol=1e-12)
    assert gradcheck(tf.math.rsqrt, [T(a, grad=True)])
    v = np.array([1.0, np.nan, np.inf, -np.inf], np.float32)
    np.testing.assert_array_equal(tf.math.is_nan(v).numpy(), np.isnan(v))
    np.testing.assert_array_equal(tf.math.is_inf(v).numpy(), np.isinf(v))
    np.testing.assert_array_equal(tf.math.is_finite(v).numpy(), np.isfinite(v))
    assert tf.math.is_nan(v).numpy().dtype == np.bool_
    with pytest.raises(TypeError, match=r"\[tf.math.is_nan\] x must be floating"):
        tf.math.is_nan(tf.constant([1]))


def test_l2_normalize_in_nn():
    a = RNG.standard_normal((3, 4))
    got = tf.nn.l2_normalize(T(a), axis=-1).numpy()
    np.testing.assert_allclose(got, a / np.linalg.norm(a, axis=-1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(tf.nn.l2_normalize(T(np.zeros(2)), epsilon=1e-4).numpy(), 0)
    assert gradcheck(lambda v: tf.nn.l2_normalize(v, 0), [T(a, grad=True)])


def test_top_k_values_indices_ties_and_gradient():
    a = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 4.0, 6.0, 0.0]])
    r = tf.math.top_k(T(a), k=3)
    values, indices = r
    np.testing.assert_array_equal(r.values.numpy(), [[3, 3, 2], [6, 5, 4]])
    np.testing.assert_array_equal(indices.numpy(), [[1, 2, 3], [2, 0, 1]])  # ties: lower first
    assert r.indices.numpy().dtype == np.int32 and values is r.values
    assert tf.nn.top_k(T(a), 2, index_type=tf.int64).indices.numpy().dtype == np.int64
    assert tf.nn.top_k(T(a), 0).values.shape == (2, 0)
    assert gradcheck(lambda v: tf.math.top_k(v, 2).values, [T(RNG.standard_normal((3, 5)),
                                                               grad=True)])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"at least k=5"):
        tf.math.top_k(T(a), 5)


# ---- masks, counting ------------------------------------------------------------------------
def test_boolean_mask_axis_and_gradient():
    a = RNG.standard_normal((2, 3, 4))
    m = np.array([True, False, True])
    np.testing.assert_array_equal(tf.boolean_mask(T(a), m, axis=1).numpy(), a[:, m])
    m2 = RNG.uniform(size=(2, 3)) > 0.4
    np.testing.assert_array_equal(tf.boolean_mask(T(a), m2).numpy(), a[m2])
    assert tf.boolean_mask(T(a), np.zeros(2, bool)).shape == (0, 3, 4)
    assert gradcheck(lambda v: tf.boolean_mask(v, m, axis=-2), [T(a, grad=True)])
    with pytest.raises(ValueError, match=r"mask cannot be scalar"):
        tf.boolean_mask(T(a), True)
    with pytest.raises(ValueError, match=r"must match"):
        tf.boolean_mask(T(a), np.ones(3, bool))


def test_sequence_mask():
    got = tf.sequence_mask([1, 3, 2], 5)
    np.testing.assert_array_equal(got.numpy(), np.arange(5) < np.array([1, 3, 2])[:, None])
    assert got.numpy().dtype == np.bool_
    m = tf.sequence_mask(tf.constant([[1, 3], [2, 0]]))
    assert m.shape == (2, 2, 3)
    assert tf.sequence_mask([2], 3, dtype=tf.float32).numpy().tolist() == [[1.0, 1.0, 0.0]]
    with pytest.raises(TypeError, match=r"integers"):
        tf.sequence_mask([1.5])


def test_confusion_matrix():
    lab, pred = np.array([1, 2, 4]), np.array([2, 2, 4])
    got = tf.math.confusion_matrix(lab, pred)
    ref = np.zeros((5, 5), np.int32)
    np.add.at(ref, (lab, pred), 1)
    np.testing.assert_array_equal(got.numpy(), ref)
    assert got.numpy().dtype == np.int32
    w = tf.math.confusion_matrix(lab, pred, num_classes=6, weights=[0.5, 1.0, 2.0],
                                 dtype=tf.float32)
    assert w.shape == (6, 6) and w.numpy()[1, 2] == 0.5 and w.numpy().dtype == np.float32
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"< num_classes=3"):
        tf.math.confusion_matrix(lab, pred, num_classes=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"non-negative"):
        tf.math.confusion_matrix([-1], [0])


def test_bincount():
    v = np.array([1, 1, 2, 3, 2, 4, 4, 5])
    got = tf.math.bincount(v)
    assert got.numpy().tolist() == [0, 2, 2, 1, 2, 1] and got.numpy().dtype == np.int32
    w = np.array([1, 5, 0, 1, 0, 5, 4, 5])
    assert tf.math.bincount(v, weights=w).numpy().tolist() == [0, 6, 0, 1, 9, 5]
    wf = tf.math.bincount(v, weights=w.astype(np.float32))
    assert wf.numpy().dtype == np.float32
    assert tf.math.bincount(v, minlength=8).shape == (8,)
    assert tf.math.bincount(v, maxlength=3).numpy().tolist() == [0, 2, 2]
    data = np.array([[1, 2, 3, 0], [0, 0, 1, 2]])
    np.testing.assert_array_equal(tf.math.bincount(data, axis=-1).numpy(),
                                  [[1, 1, 1, 1], [2, 1, 1, 0]])
    np.testing.assert_array_equal(tf.math.bincount(data, axis=-1, binary_output=True).numpy(),
                                  [[1, 1, 1, 1], [1, 1, 1, 0]])
    assert tf.math.bincount(np.zeros(0, np.int32)).shape == (0,)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"non-negative"):
        tf.math.bincount([-1, 2])


def test_executing_eagerly_and_get_static_value():
    assert tf.executing_eagerly() is True
    v = tf.get_static_value(tf.constant([1, 2]))
    assert isinstance(v, np.ndarray) and v.tolist() == [1, 2]
    assert tf.get_static_value(3) == 3
    from pyengine import keras
    assert tf.get_static_value(keras.Input((3,))) is None


# ---- gather_nd / scatter_nd ---------------------------------------------------------------
def test_gather_nd_matches_numpy_and_gradient():
    a = RNG.standard_normal((3, 4, 2))
    idx = np.array([[0, 1], [2, 3], [0, 1]])
    np.testing.assert_array_equal(tf.gather_nd(T(a), idx).numpy(), a[idx[:, 0], idx[:, 1]])
    np.testing.assert_array_equal(tf.gather_nd(T(a), [[1]]).numpy(), a[[1]])
    bidx = np.array([[[1], [0]], [[3], [3]], [[2], [0]]])  # batch_dims=1: (3, 2, 1)
    got = tf.gather_nd(T(a), bidx, batch_dims=1).numpy()
    ref = np.stack([a[b][bidx[b, :, 0]] for b in range(3)])
    np.testing.assert_array_equal(got, ref)
    x = T(a, grad=True)
    assert gradcheck(lambda v: tf.gather_nd(v, idx), [x])
    assert gradcheck(lambda v: tf.gather_nd(v, bidx, batch_dims=1), [x])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"index 4 in column 1"):
        tf.gather_nd(T(a), [[0, 4]])
    with pytest.raises(TypeError, match=r"int32 or int64"):
        tf.gather_nd(T(a), [[0.5]])  # whole-number floats are ids (fit's float32 inputs)


def test_gather_tf_form_matches_numpy_take_and_gradient():
    a = RNG.standard_normal((4, 3, 2))
    idx = np.array([[3, 0], [1, 1]])
    np.testing.assert_array_equal(tf.gather(T(a), idx).numpy(), np.take(a, idx, axis=0))
    np.testing.assert_array_equal(tf.gather(T(a), [2, 0], axis=1).numpy(),
                                  np.take(a, [2, 0], axis=1))
    np.testing.assert_array_equal(tf.gather(T(a), indices=[1], axis=-1).numpy(), a[..., [1]])
    bidx = np.array([[2, 0], [1, 1], [0, 2], [2, 2]])  # batch_dims=1: one row of ids per batch
    ref = np.stack([a[b][bidx[b]] for b in range(4)])
    np.testing.assert_array_equal(tf.gather(T(a), bidx, batch_dims=1).numpy(), ref)
    ref2 = np.stack([a[b][:, [1, 0]] for b in range(4)])
    got2 = tf.gather(T(a), np.tile([[1, 0]], (4, 1)), axis=2, batch_dims=1).numpy()
    np.testing.assert_array_equal(got2, ref2)
    x = T(a, grad=True)
    assert gradcheck(lambda v: tf.gather(v, idx), [x])  # repeated rows add their gradients
    assert gradcheck(lambda v: tf.gather(v, bidx, batch_dims=1), [x])
    # NumPy ids reach a Keras layer's call as float32 (whole numbers): taken as the ids
    np.testing.assert_array_equal(tf.gather(T(a), np.array([1.0, 3.0])).numpy(), a[[1, 3]])
    with pytest.raises(TypeError, match=r"\[tf.gather\] indices must be int32"):
        tf.gather(T(a), [0.5])
    with pytest.raises(TypeError, match=r"\[tf.gather\] indices must be int32"):
        tf.gather(T(a), [np.inf])  # floor(inf) == inf, but it is no index
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"= 4 is not in \[0, "):
        tf.gather(T(a), [0, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"= -1 is not in \[0, "):
        tf.gather(T(a), [-1])  # TensorFlow does not wrap negative indices
    with pytest.raises(ValueError, match=r"batch_dims"):
        tf.gather(T(a), idx, axis=0, batch_dims=1)


def test_gather_torch_form_unchanged():
    a = RNG.standard_normal((3, 4))
    index = np.array([[0, 3], [1, 1], [2, 0]])
    ref = np.take_along_axis(a, index, axis=1)
    np.testing.assert_array_equal(tf.gather(T(a), 1, tf.tensor(index)).numpy(), ref)
    np.testing.assert_array_equal(tf.gather(T(a), dim=1, index=tf.tensor(index)).numpy(), ref)
    with pytest.raises(TypeError, match=r"mixed"):
        tf.gather(T(a), 1, tf.tensor(index), axis=0)
    with pytest.raises(TypeError, match=r"missing the indices"):
        tf.gather(T(a))


def test_scatter_nd_and_tensor_scatter():
    idx = np.array([[4], [3], [1], [7], [1]])
    upd = np.array([9.0, 10, 11, 12, 5])
    got = tf.scatter_nd(idx, T(upd), [8]).numpy()
    ref = np.zeros(8)
    np.add.at(ref, idx[:, 0], upd)
    np.testing.assert_array_equal(got, ref)
    slices = tf.scatter_nd([[0], [2]], T(np.ones((2, 3))), tf.constant([4, 3]))
    assert slices.shape == (4, 3) and slices.numpy()[2].tolist() == [1, 1, 1]
    u = T(upd, grad=True)
    assert gradcheck(lambda v: tf.scatter_nd(idx, v, [8]), [u])
    base = RNG.standard_normal((3, 3))
    i2 = np.array([[0, 1], [2, 2], [0, 1]])
    u2 = np.array([1.0, 2.0, 3.0])
    add = tf.tensor_scatter_nd_add(T(base), i2, T(u2)).numpy()
    ref = base.copy()
    np.add.at(ref, (i2[:, 0], i2[:, 1]), u2)
    np.testing.assert_allclose(add, ref, rtol=1e-12)
    upd2 = tf.tensor_scatter_nd_update(T(base), i2, T(u2)).numpy()
    ref = base.copy()
    ref[0, 1], ref[2, 2] = 3.0, 2.0  # the last update of a repeated index
    np.testing.assert_array_equal(upd2, ref)
    x, v = T(base, grad=True), T(u2, grad=True)
    assert gradcheck(lambda a, b: tf.tensor_scatter_nd_add(a, i2, b), [x, v])
    assert gradcheck(lambda a, b: tf.tensor_scatter_nd_update(a, i2[:2], b[:2]), [x, v])
    ints = tf.tensor_scatter_nd_update(tf.constant([1, 2, 3]), [[1]], [9])
    assert ints.numpy().tolist() == [1, 9, 3] and ints.numpy().dtype == np.int32
    with pytest.raises(ValueError, match=r"updates must have shape \(2,\)"):
        tf.scatter_nd([[0], [1]], T(np.ones(3)), [4])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"index 5"):
        tf.tensor_scatter_nd_add(T(np.zeros(4)), [[5]], T([1.0]))


# ---- control flow ---------------------------------------------------------------------------
def test_cond_runs_one_branch_and_passes_gradient():
    calls = []
    x = T(3.0, grad=True)
    y = tf.cond(x > 2, lambda: (calls.append("t"), x * x)[1], lambda: calls.append("f"))
    assert calls == ["t"] and float(y) == 9.0
    assert gradcheck(lambda v: tf.cond(tf.constant(False), lambda: v, lambda: v * 2), [x])
    assert float(tf.cond(True, lambda a: a + 1, lambda a: a, (T(1.0),))) == 2.0  # torch.cond
    with pytest.raises(TypeError, match=r"callables"):
        tf.cond(True, 1, 2)
    with pytest.raises(ValueError, match=r"scalar"):
        tf.cond(np.array([True, False]), lambda: 1, lambda: 2)


def test_while_loop_structures_and_maximum_iterations():
    i, s = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i),
                         (tf.constant(0), tf.constant(0)))
    assert int(i) == 5 and int(s) == 10
    r = tf.while_loop(lambda i: i < 10, lambda i: (i + 1,), [tf.constant(0)])
    assert isinstance(r, list) and int(r[0]) == 10
    assert int(tf.while_loop(lambda i: True, lambda i: i + 1, tf.constant(0),
                             maximum_iterations=4)) == 4
    d = tf.while_loop(lambda v: v["n"] < 3, lambda v: {"n": v["n"] + 1, "x": v["x"] * 2},
                      [{"n": 0, "x": tf.constant(1.0)}])
    assert float(d[0]["x"]) == 8.0 and int(d[0]["n"]) == 3
    x = T(1.5, grad=True)
    assert gradcheck(lambda v: tf.while_loop(lambda k, a: k < 3, lambda k, a: (k + 1, a * v),
                                             (0, v))[1], [x])
    with pytest.raises(ValueError, match=r"structure"):
        tf.while_loop(lambda a, b: a < 1, lambda a, b: (a + 1,), (0, 0))
    with pytest.raises(ValueError, match=r"shape invariant"):
        tf.while_loop(lambda a: a.shape[0] < 3, lambda a: tf.concat([a, a], 0), [tf.ones(1)],
                      shape_invariants=[tf.TensorSpec([1])])
    grown = tf.while_loop(lambda a: a.shape[0] < 3, lambda a: tf.concat([a, a], 0),
                          [tf.ones(1)], shape_invariants=[tf.TensorSpec([None])])
    assert grown[0].shape == (4,)
    assert not tf.while_loop(lambda a: False, lambda a: a, [x], back_prop=False)[0].requires_grad


def test_map_fn_structures_signature_and_gradient():
    a = RNG.standard_normal((4, 3))
    got = tf.map_fn(lambda r: (r * r).sum(), T(a))
    np.testing.assert_allclose(got.numpy(), (a * a).sum(1), rtol=1e-12)
    pair = tf.map_fn(lambda t: (t[0] + t[1], t[0] * 2), (T(a), T(a)),
                     fn_output_signature=(tf.float32, tf.float64))
    assert pair[0].numpy().dtype == np.float32 and pair[1].numpy().dtype == np.float64
    ints = tf.map_fn(lambda r: tf.reduce_sum(r), tf.constant([[1, 2], [3, 4]]),
                     fn_output_signature=tf.int64)
    assert ints.numpy().tolist() == [3, 7] and ints.numpy().dtype == np.int64
    spec = tf.map_fn(lambda r: r, T(a), fn_output_signature=tf.TensorSpec([3], tf.float32))
    assert spec.numpy().dtype == np.float32
    empty = tf.map_fn(lambda r: r, tf.zeros((0, 3)),
                      fn_output_signature=tf.TensorSpec([3], tf.float32))
    assert empty.shape == (0, 3)
    x = T(a, grad=True)
    assert gradcheck(lambda v: tf.map_fn(lambda r: r * r.sum(), v), [x])
    with pytest.raises(ValueError, match=r"first dimension"):
        tf.map_fn(lambda t: t[0], (T(a), T(a[:2])))
    with pytest.raises(ValueError, match=r"zero elements"):
        tf.map_fn(lambda r: r, tf.zeros((0, 3)))


def test_print_formats_as_tensorflow():
    buf = io.StringIO()
    assert tf.print("loss:", tf.range(10), tf.constant(2.5), output_stream=buf) is None
    assert buf.getvalue() == "loss: [0 1 2 ... 7 8 9] 2.5\n"
    buf = io.StringIO()  # TensorFlow's documented example
    tf.print("tensors:", tf.range(10), {2: tf.range(10) * 2}, output_stream=buf)
    assert buf.getvalue() == "tensors: [0 1 2 ... 7 8 9] {2: [0 2 4 ... 14 16 18]}\n"
    buf = io.StringIO()
    tf.print(tf.range(2), tf.range(2) * 2, output_stream=buf, sep=",")
    assert buf.getvalue() == "[0 1],[0 2]\n"
    buf = io.StringIO()
    tf.print(tf.constant([[1.0, 2.5], [3.0, 4.0]]), [tf.constant(True)], summarize=-1,
             sep="|", end="!", output_stream=buf)
    assert buf.getvalue() == "[[1 2.5]\n [3 4]]|[1]!"
    buf = io.StringIO()
    tf.print(tf.range(10), summarize=-1, output_stream=buf)
    assert buf.getvalue() == "[0 1 2 3 4 5 6 7 8 9]\n"
    old, sys.stderr = sys.stderr, io.StringIO()
    try:
        tf.print("to stderr")
        assert sys.stderr.getvalue() == "to stderr\n"
    finally:
        sys.stderr = old
    with pytest.raises(ValueError, match=r"output_stream"):
        tf.print(1, output_stream="stdout")


def test_py_function_and_numpy_function():
    x = T([1.0, 2.0], grad=True)
    y = tf.py_function(lambda a: a * a, [x], Tout=tf.float64)
    assert gradcheck(lambda v: tf.py_function(lambda a: a * a, [v], tf.float64), [x])
    assert y.numpy().tolist() == [1.0, 4.0]
    two = tf.py_function(lambda a, b: (a + b, a - b), [x, x], Tout=[tf.float32, tf.int32])
    assert isinstance(two, list) and two[0].numpy().dtype == np.float32 and \
        two[1].numpy().dtype == np.int32
    assert tf.py_function(lambda a: None, [x], Tout=None) is None
    seen = []
    z = tf.numpy_function(lambda a: (seen.append(type(a)), a * 3)[1], [x], tf.float32)
    assert seen == [np.ndarray] and z.numpy().dtype == np.float32 and not z.requires_grad
    with pytest.raises(ValueError, match=r"returned 1 values, Tout has 2"):
        tf.numpy_function(lambda a: a, [x], [tf.float32, tf.float32])


# ---- tf.debugging / tf.errors ---------------------------------------------------------------
def test_debugging_assertions():
    assert tf.debugging.assert_equal(tf.constant([1, 2]), [1, 2]) is None
    assert tf.debugging.assert_less(tf.constant([1, 2]), 3) is None
    assert tf.debugging.assert_greater(tf.constant([1, 2]), 0) is None
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"shapes differ\nCondition x == y"):
        tf.debugging.assert_equal(tf.constant([1, 2]), [1, 3], message="shapes differ")
    with pytest.raises(ValueError):  # InvalidArgumentError is a ValueError here
        tf.debugging.assert_less(tf.constant([1, 5]), 3)
    with pytest.raises(tf.errors.OpError):
        tf.assert_greater(tf.constant([1, 5]), 3)
    assert tf.debugging.assert_rank(tf.zeros((2, 3)), 2) is None
    with pytest.raises(ValueError, match=r"must have rank 3"):
        tf.debugging.assert_rank(tf.zeros((2, 3)), 3)
    x = T([1.0, 2.0], grad=True)
    assert gradcheck(lambda v: tf.debugging.check_numerics(v, "ok"), [x])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"bad : Tensor had NaN values"):
        tf.debugging.check_numerics(T([np.nan]), "bad")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Tensor had Inf values"):
        tf.debugging.check_numerics(T([np.inf]), "bad")
    e = tf.errors.InvalidArgumentError(None, None, "msg")
    assert e.message == "msg" and isinstance(e, tf.errors.OpError)


# ---- tf.nn ----------------------------------------------------------------------------------
def _np_pool(a, k, s, padding, fn):
    n, h, w, c = a.shape
    if padding == "SAME":
        oh, ow = -(-h // s), -(-w // s)
        ph, pw = max((oh - 1) * s + k - h, 0), max((ow - 1) * s + k - w, 0)
        top, left = ph // 2, pw // 2
    else:
        oh, ow, top, left = (h - k) // s + 1, (w - k) // s + 1, 0, 0
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - top, j * s - left
            win = a[:, max(r0, 0):r0 + k, max(c0, 0):c0 + k, :]
            out[:, i, j, :] = fn(win, axis=(1, 2))
    return out


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_pools_match_numpy(padding):
    a = RNG.standard_normal((2, 5, 6, 3))
    for f, ref in ((tf.nn.max_pool2d, np.max), (tf.nn.avg_pool2d, np.mean)):
        got = f(T(a), ksize=3, strides=[1, 2, 2, 1], padding=padding).numpy()
        np.testing.assert_allclose(got, _np_pool(a, 3, 2, padding, ref), rtol=1e-12)
        assert gradcheck(lambda v: f(v, 2, 2, padding), [T(a[:1, :3, :4, :2], grad=True)])
    with pytest.raises(ValueError, match=r"\[tf.nn.max_pool2d\] padding"):
        tf.nn.max_pool2d(T(a), 2, 2, "FULL")
    with pytest.raises(ValueError, match=r"NHWC"):
        tf.nn.avg_pool2d(T(a), 2, 2, "SAME", data_format="NCHW")


def _np_conv_transpose(x, w, out_hw, s, padding):
    n, h, wd, _ = x.shape
    kh, kw, co, _ = w.shape
    full = np.zeros((n, (h - 1) * s + kh, (wd - 1) * s + kw, co))
    for i in range(h):
        for j in range(wd):
            full[:, i * s:i * s + kh, j * s:j * s + kw, :] += np.einsum("nc,hwoc->nhwo",
                                                                        x[:, i, j, :], w)
    oh, ow = out_hw
    if padding == "SAME":
        top = max((-(-oh // s) - 1) * s + kh - oh, 0) // 2
        left = max((-(-ow // s) - 1) * s + kw - ow, 0) // 2
    else:
        top = left = 0
    full = np.pad(full, [(0, 0), (0, max(0, top + oh - full.shape[1])),
                         (0, max(0, left + ow - full.shape[2])), (0, 0)])
    return full[:, top:top + oh, left:left + ow, :]


@pytest.mark.parametrize("padding,out_hw", [("SAME", (6, 6)), ("SAME", (5, 6)),
                                            ("VALID", (7, 8))])
def test_conv2d_transpose_matches_numpy(padding, out_hw):
    x, w = RNG.standard_normal((2, 3, 3, 2)), RNG.standard_normal((3, 3, 4, 2))
    got = tf.nn.conv2d_transpose(T(x), T(w), [2, *out_hw, 4], 2, padding).numpy()
    np.testing.assert_allclose(got, _np_conv_transpose(x, w, out_hw, 2, padding), rtol=1e-10,
                               atol=1e-12)
    assert gradcheck(lambda a, b: tf.nn.conv2d_transpose(a, b, [1, *out_hw, 4], 2, padding),
                     [T(x[:1], grad=True), T(w, grad=True)])
    with pytest.raises(ValueError, match=r"does not map back"):
        tf.nn.conv2d_transpose(T(x), T(w), [2, 9, 9, 4], 2, padding)


def test_depthwise_conv2d_matches_numpy():
    x, w = RNG.standard_normal((2, 5, 6, 3)), RNG.standard_normal((3, 3, 3, 2))
    for padding in ("SAME", "VALID"):
        got = tf.nn.depthwise_conv2d(T(x), T(w), [1, 1, 1, 1], padding).numpy()
        xp = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)]) if padding == "SAME" else x
        oh, ow = xp.shape[1] - 2, xp.shape[2] - 2
        ref = np.zeros((2, oh, ow, 3, 2))
        for i in range(oh):
            for j in range(ow):
                ref[:, i, j] = np.einsum("nhwc,hwcm->ncm", xp[:, i:i + 3, j:j + 3, :], w)
        np.testing.assert_allclose(got, ref.reshape(2, oh, ow, 6), rtol=1e-10, atol=1e-12)
    s2 = tf.nn.depthwise_conv2d(T(x), T(w), [1, 2, 2, 1], "SAME")
    assert s2.shape == (2, 3, 3, 6)
    assert gradcheck(lambda a, b: tf.nn.depthwise_conv2d(a, b, [1, 2, 2, 1], "SAME"),
                     [T(x[:1, :4, :4, :2], grad=True), T(w[:2, :2, :2, :], grad=True)])
    with pytest.raises(ValueError, match=r"do not match"):
        tf.nn.depthwise_conv2d(T(x), T(w[:, :, :2]), 1, "SAME")


def test_batch_normalization_and_weighted_cross_entropy():
    x, m, v = RNG.standard_normal((4, 3)), RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    off, sc = RNG.standard_normal(3), RNG.standard_normal(3)
    got = tf.nn.batch_normalization(T(x), T(m), T(v), T(off), T(sc), 1e-3).numpy()
    np.testing.assert_allclose(got, (x - m) / np.sqrt(v + 1e-3) * sc + off, rtol=1e-12)
    bare = tf.nn.batch_normalization(T(x), m, v, None, None, 1e-3).numpy()
    np.testing.assert_allclose(bare, (x - m) / np.sqrt(v + 1e-3), rtol=1e-12)
    assert gradcheck(lambda a, b, c: tf.nn.batch_normalization(a, b, c, None, 2.0, 1e-3),
                     [T(x, grad=True), T(m, grad=True), T(v, grad=True)])
    z, lg = RNG.uniform(size=(3, 4)), RNG.standard_normal((3, 4)) * 3
    p = 1 / (1 + np.exp(-lg))
    ref = -(2.5 * z * np.log(p) + (1 - z) * np.log(1 - p))
    got = tf.nn.weighted_cross_entropy_with_logits(T(z), T(lg), 2.5).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-10)
    assert gradcheck(lambda a: tf.nn.weighted_cross_entropy_with_logits(z, a, 2.5),
                     [T(lg, grad=True)])
    with pytest.raises(ValueError, match=r"same shape"):
        tf.nn.weighted_cross_entropy_with_logits(z, lg[:2], 1.0)


def test_linalg_matmul_transpose_adjoint_output_type():
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 5, 4))
    np.testing.assert_allclose(tf.linalg.matmul(T(a), T(b), transpose_b=True).numpy(),
                               a @ b.transpose(0, 2, 1), rtol=1e-12)
    np.testing.assert_allclose(tf.linalg.matmul(T(b), T(b), adjoint_a=True,
                                                b_is_sparse=True).numpy(),
                               b.transpose(0, 2, 1) @ b, rtol=1e-12)
    np.testing.assert_allclose(tf.linalg.matmul(T(a), T(b[0]), transpose_b=True).numpy(),
                               a @ b[0].T, rtol=1e-12)  # batch broadcast
    i8 = np.array([[100, 100]], np.int8)
    out = tf.linalg.matmul(i8, i8.T, output_type=tf.int32)
    assert out.numpy().dtype == np.int32 and int(out.numpy()[0, 0]) == 20000
    assert gradcheck(lambda u, v: tf.linalg.matmul(u, v, transpose_a=True, adjoint_b=True),
                     [T(a[0].T, grad=True), T(b[0], grad=True)])
    with pytest.raises(ValueError, match=r"only one of transpose and adjoint"):
        tf.linalg.matmul(T(a), T(b), transpose_a=True, adjoint_a=True)
    with pytest.raises(ValueError, match=r"inner dimensions"):
        tf.linalg.matmul(T(a), T(b))
    with pytest.raises(ValueError, match=r"output_type"):
        tf.linalg.matmul(T(a), T(a), transpose_b=True, output_type=tf.int32)


# ---- tf.image -------------------------------------------------------------------------------
def test_convert_image_dtype_scaling_and_saturation():
    u8 = np.array([[[0], [128], [255]]], np.uint8)
    f = tf.image.convert_image_dtype(u8, tf.float32)
    assert f.numpy().dtype == np.float32
    np.testing.assert_allclose(f.numpy(), u8 / 255.0, rtol=1e-6)
    back = tf.image.convert_image_dtype(np.array([0.0, 0.5, 0.999, 1.2], np.float32), tf.uint8)
    assert back.numpy().tolist() == [0, 127, 255, (int(1.2 * 255.5)) % 256]
    sat = tf.image.convert_image_dtype(np.array([1.2, -0.1], np.float32), tf.uint8,
                                       saturate=True)
    assert sat.numpy().tolist() == [255, 0]
    assert tf.image.convert_image_dtype(u8, tf.int32).numpy().ravel().tolist() == \
        [0, 128 << 23, 255 << 23]
    assert tf.image.convert_image_dtype(np.array([2 ** 30], np.int32), tf.uint8).numpy() \
        .tolist() == [128]
    x = T(RNG.uniform(size=(2, 2, 1)), grad=True)
    assert tf.image.convert_image_dtype(x, tf.float64) is x
    assert gradcheck(lambda v: tf.image.convert_image_dtype(v, tf.float64) * 2, [x])


def test_per_image_standardization():
    from pyengine.tf_image_adjust import standardize
    a = RNG.uniform(0, 255, (2, 4, 5, 3))
    got = tf.image.per_image_standardization(T(a))
    assert got.numpy().dtype == np.float32  # TensorFlow 2: float32 for any input
    m = a.mean(axis=(1, 2, 3), keepdims=True)
    s = np.maximum(a.std(axis=(1, 2, 3), keepdims=True), 1 / np.sqrt(60))
    np.testing.assert_allclose(got.numpy(), (a - m) / s, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(standardize(T(a)).numpy(), (a - m) / s, rtol=1e-10)
    flat = tf.image.per_image_standardization(np.full((2, 2, 1), 7, np.uint8))
    assert flat.numpy().dtype == np.float32 and np.allclose(flat.numpy(), 0)
    doc = tf.image.per_image_standardization(np.arange(1, 13, dtype=np.int32).reshape(2, 2, 3))
    np.testing.assert_allclose(doc.numpy()[0, 0], [-1.593255, -1.3035723, -1.0138896],
                               rtol=1e-6)  # TensorFlow's documented example
    assert gradcheck(standardize, [T(a[0, :2, :2], grad=True)])
    x = tf.tensor(a[0].astype(np.float32), requires_grad=True)
    tf.image.per_image_standardization(x)[0, 0, 0].backward()
    assert x.grad is not None and x.grad.shape == x.shape
    with pytest.raises(ValueError, match=r"at least 3-D"):
        tf.image.per_image_standardization(T(np.ones((2, 2))))


def test_central_crop_brightness_resize_with_pad():
    a = RNG.uniform(size=(2, 10, 7, 3))
    c = tf.image.central_crop(T(a), 0.5).numpy()
    top, left = int((10 - 5.0) / 2), int((7 - 3.5) / 2)
    np.testing.assert_array_equal(c, a[:, top:10 - top, left:7 - left])
    assert tf.image.central_crop(T(a[0]), 1.0).shape == (10, 7, 3)
    with pytest.raises(ValueError, match=r"central_fraction must be in \(0, 1\]"):
        tf.image.central_crop(T(a), 0.0)
    np.testing.assert_allclose(tf.image.adjust_brightness(T(a), 0.2).numpy(), a + 0.2)
    u8 = np.array([[[250], [10]]], np.uint8)
    assert tf.image.adjust_brightness(u8, 0.1).numpy().ravel().tolist() == [255, 35]
    r = tf.image.random_brightness(T(a), 0.3, seed=4).numpy() - a
    assert np.allclose(r, r.flat[0]) and abs(r.flat[0]) <= 0.3
    with pytest.raises(ValueError, match=r"non-negative"):
        tf.image.random_brightness(T(a), -0.1)
    p = tf.image.resize_with_pad(T(a[0]), 8, 8)
    assert p.shape == (8, 8, 3) and p.numpy().dtype == np.float32
    ref = tf.image.resize(T(a[0]), (8, 5)).numpy()
    np.testing.assert_allclose(p.numpy()[:, 1:6], ref, rtol=1e-6)
    assert np.all(p.numpy()[:, [0, 6, 7]] == 0)
    assert tf.image.resize_with_pad(T(a), 5, 14).shape == (2, 5, 14, 3)


# ---- symbolic Keras tensors, namespaces -----------------------------------------------------
def test_functional_graph_records_the_new_ops():
    from pyengine import keras
    inp = keras.Input((4,))
    out = tf.clip_by_value(tf.math.cumsum(inp, axis=1), -1.0, 1.0)
    model = keras.Model(inp, tf.reduce_prod(out, axis=1, keepdims=True))
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    ref = np.prod(np.clip(np.cumsum(a, 1), -1, 1), 1, keepdims=True)
    np.testing.assert_allclose(model.predict(a, verbose=0), ref, rtol=1e-5)


def test_tf_name_argument_names_the_graph_node():
    from pyengine import keras
    inp = keras.Input((4,))
    out = tf.stop_gradient(tf.pad(inp, [[0, 0], [1, 1]], name="padded"), name="frozen")
    model = keras.Model(inp, out)
    assert [layer.name for layer in model.layers][1:] == ["padded", "frozen"]
    assert model.predict(np.ones((2, 4), np.float32), verbose=0).shape == (2, 6)
    from pyengine.tf_names import symbolic_aware

    @symbolic_aware
    def twice(x):
        return x * 2
    with pytest.raises(TypeError, match=r"\[twice\] unexpected keyword argument 'name'"):
        twice(inp, name="t")  # a function without name= refuses it on symbolic tensors too


def test_cumsum_serves_torch_and_tensorflow():
    x = tf.tensor([[1, 2], [3, 4]])  # int64, torch's default
    assert tf.cumsum(x, 1).numpy().tolist() == [[1, 3], [3, 7]]  # torch.cumsum(input, dim)
    assert tf.cumsum(x, dim=0).numpy().tolist() == [[1, 2], [4, 6]]
    assert tf.cumsum(x, 1, dtype=tf.float64).numpy().dtype == np.float64
    assert tf.cumsum(x).numpy().tolist() == [[1, 2], [4, 6]]  # tf.cumsum: axis 0
    assert tf.cumsum(x, 1, True).numpy().tolist() == [[0, 1], [0, 3]]  # exclusive
    assert tf.cumsum(x, axis=1, reverse=True).numpy().tolist() == [[3, 2], [7, 4]]
    i32 = tf.cumsum(tf.constant([1, 2]), axis=0)
    assert i32.numpy().dtype == np.int32
    with pytest.raises(TypeError, match=r"axis given twice"):
        tf.cumsum(x, 1, axis=0)
    with pytest.raises(TypeError, match=r"mixed with"):
        tf.cumsum(x, axis=0, dtype=tf.float64)


def test_torch_names_keep_their_meaning():
    x = tf.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert float(tf.linalg.matmul(x, x)[0, 0]) == 7.0  # torch.linalg.matmul(input, other)
    assert "print" not in tf.__all__ and "pad" in tf.__all__  # a star import keeps print()


def test_stack_packs_python_numbers_as_values_in_the_tensors_dtype():
    """tf.stack([tf.shape(x)[0], 6]) (an output_shape built at run time): the number 6 is a
    value; it was taken for the legacy Tensor(6) constructor, a tensor of 6 elements."""
    x = tf.zeros((3, 4))
    s = tf.stack([tf.shape(x)[0], 6, tf.shape(x)[1]])
    assert s.numpy().tolist() == [3, 6, 4] and s.dtype == tf.shape(x).dtype
    f = tf.stack([tf.constant(1.5), 2, 3.0])
    assert f.numpy().tolist() == [1.5, 2.0, 3.0] and f.dtype == tf.float32
    assert tf.stack([2.0, 3]).numpy().tolist() == [2.0, 3.0]
    with pytest.raises(TypeError, match=r"\[stack\] the number 2.5 cannot be packed"):
        tf.stack([tf.shape(x)[0], 2.5])  # not silently truncated to 2
    with pytest.raises(TypeError, match=r"\[stack\] the number 2 cannot be packed"):
        tf.stack([tf.constant(True), 2])
    assert tf.concat([tf.constant([1, 2]), tf.constant([3])], 0).numpy().tolist() == [1, 2, 3]
    w = tf.constant(2.0)
    w.requires_grad = True
    (tf.stack([w, 1.0]) * tf.constant([3.0, 5.0])).sum().backward()
    assert w.grad.numpy() == 3.0


def test_concat_of_text_arrays():
    a, b = np.array([b"good film", b"bad"]), np.array([b"ok"])
    out = tf.concat((a, b), 0)
    assert out.dtype == tf.string and out.tolist() == [b"good film", b"bad", b"ok"]
    assert tf.concat([np.array([["x"]]), np.array([["y"]])], 1).tolist() == [["x", "y"]]
    with pytest.raises(TypeError, match=r"\[tf.concat\] cannot concatenate text with numbers"):
        tf.concat([a, np.array([1.0])], 0)


def test_tf_norm_forms_match_numpy_and_torch_form_unchanged():
    a = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(tf.norm(T(a)).numpy(), np.linalg.norm(a.ravel()), rtol=1e-12)
    np.testing.assert_allclose(tf.norm(T(a), axis=1).numpy(), np.linalg.norm(a, axis=1))
    np.testing.assert_allclose(tf.norm(T(a), ord=1, axis=-1).numpy(), np.abs(a).sum(-1))
    np.testing.assert_allclose(tf.norm(T(a), ord=3, axis=2).numpy(),
                               (np.abs(a) ** 3).sum(2) ** (1 / 3), rtol=1e-12)
    for o in (1, 2, np.inf, "fro"):
        np.testing.assert_allclose(tf.norm(T(a), ord=o, axis=(1, 2)).numpy(),
                                   np.linalg.norm(a, ord=o, axis=(1, 2)), rtol=1e-10)
    assert tf.norm(T(a), keepdims=True).shape == (1, 1, 1)
    assert tf.norm(T(a), axis=1, keepdims=True).shape == (2, 1, 4)
    x = T(a, grad=True)
    assert gradcheck(lambda v: tf.norm(v, axis=1), [x])
    np.testing.assert_allclose(tf.norm(T(a), 1, dim=2).numpy(), np.abs(a).sum(2))  # torch's
    with pytest.raises(ValueError, match=r"\[tf.norm\] 'ord' must be a supported matrix norm"):
        tf.norm(T(a), ord="nuc", axis=(1, 2))
    with pytest.raises(TypeError, match=r"mixed with TensorFlow's"):
        tf.norm(T(a), dim=1, axis=1)


def test_set_diag_one_hot_axis_and_shape_tensor_sizes():
    a = RNG.standard_normal((2, 3, 4))
    d = RNG.standard_normal((2, 3))
    ref = a.copy()
    ref[:, np.arange(3), np.arange(3)] = d
    np.testing.assert_allclose(tf.linalg.set_diag(T(a), T(d)).numpy(), ref)
    x, dd = T(a, grad=True), T(d, grad=True)
    assert gradcheck(lambda u, v: tf.linalg.set_diag(u, v), [x, dd])
    with pytest.raises(ValueError, match=r"diagonal must have shape \(2, 3\)"):
        tf.linalg.set_diag(T(a), T(np.zeros((2, 4))))
    idx = np.array([[0, 2], [1, 1]])
    oh = tf.one_hot(idx, depth=3, axis=1).numpy()
    assert oh.shape == (2, 3, 2)
    np.testing.assert_array_equal(oh, np.moveaxis(np.eye(3)[idx], -1, 1))
    shape = tf.shape(T(a))
    assert tf.zeros(shape[:-1]).shape == (2, 3)
    with pytest.raises(TypeError, match=r"must hold integers"):
        tf.zeros(np.array([2.0, 3.0]))
