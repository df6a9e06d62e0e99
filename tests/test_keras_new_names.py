"""Names held-out Keras / PyTorch programs import: keras.layers Permute, GroupNormalization,
UnitNormalization; keras.ops einsum, erf, sort, cos, sin, take_along_axis; pe.einsum / pe.erf
(NumPy float64 references, gradcheck)."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers, ops
from pyengine.testing import gradcheck


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("abc,cde->abde", [(2, 3, 4), (4, 5, 6)]),
    ("aecd,abcd->acbe", [(2, 5, 3, 4), (2, 6, 3, 4)]), ("abcd,cde->abe", [(2, 3, 4, 5), (4, 5, 6)]),
    ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij,ij->i", [(2, 3), (2, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4, 5), (2, 3, 5, 2)]), ("ij,kl->ijkl", [(2, 3), (4, 5)]),
    ("ijk,j->ik", [(2, 3, 4), (3,)]), ("ij,jk", [(2, 3), (3, 4)]), ("bi,bj->bij", [(2, 3), (2, 4)]),
    ("ij,j", [(2, 3), (3,)]), ("i,i->", [(0,), (0,)]), ("ij,jk->ik", [(1, 1), (1, 1)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum_matches_numpy_and_gradcheck(eq, shapes):
    arrs = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    got = pe.einsum(eq, *[pe.tensor(a) for a in arrs])
    np.testing.assert_allclose(got.numpy(), np.einsum(eq, *arrs), atol=1e-12)
    if all(a.size for a in arrs):
        ts = [pe.tensor(a, requires_grad=True) for a in arrs]
        assert gradcheck(lambda *t: pe.einsum(eq, *t), ts)


def test_einsum_non_contiguous_and_errors():
    a = rand(4, 3)
    t = pe.tensor(a).transpose(0, 1)  # a view
    np.testing.assert_allclose(pe.einsum("ij,jk->ik", t, pe.tensor(a)).numpy(), a.T @ a)
    with pytest.raises(ValueError, match=r"\[einsum\] index repeated"):
        pe.einsum("ii->i", pe.tensor(rand(3, 3)))
    with pytest.raises(ValueError, match="has size 3 in one operand and 4"):
        pe.einsum("ij,jk->ik", pe.tensor(rand(2, 3)), pe.tensor(rand(4, 2)))
    with pytest.raises(ValueError, match="names 2 operands"):
        pe.einsum("ij,jk->ik", pe.tensor(rand(2, 3)))
    with pytest.raises(ValueError, match="one or two operands"):
        pe.einsum("i,i,i->", *[pe.tensor(rand(2))] * 3)
    with pytest.raises(ValueError, match="has 2 indices"):
        pe.einsum("ij->i", pe.tensor(rand(2, 3, 4)))


def test_erf():
    x = rand(3, 4) * 2
    ref = np.vectorize(math.erf)(x)
    np.testing.assert_allclose(pe.erf(pe.tensor(x)).numpy(), ref, atol=1e-15)
    np.testing.assert_allclose(ops.erf(pe.tensor(x.astype(np.float32))).numpy(), ref, atol=1e-6)
    assert gradcheck(pe.erf, [pe.tensor(x, requires_grad=True)])


def test_keras_ops_trig_sort_take_along_axis():
    x = rand(3, 5)
    t = pe.tensor(x)
    np.testing.assert_allclose(ops.cos(t).numpy(), np.cos(x), atol=1e-12)
    np.testing.assert_allclose(ops.sin(t).numpy(), np.sin(x), atol=1e-12)
    np.testing.assert_array_equal(ops.sort(t).numpy(), np.sort(x, -1))
    np.testing.assert_array_equal(ops.sort(t, axis=0).numpy(), np.sort(x, 0))
    idx = np.argsort(x, axis=1)
    np.testing.assert_array_equal(ops.take_along_axis(t, idx, axis=1).numpy(),
                                  np.take_along_axis(x, idx, 1))
    idx1 = np.array([[0], [2], [4]])
    np.testing.assert_array_equal(ops.take_along_axis(t, idx1, axis=1).numpy(),
                                  np.take_along_axis(x, idx1, 1))
    row = np.array([[1, 0, 2]])  # broadcasts over axis 0... of indices against x
    np.testing.assert_array_equal(ops.take_along_axis(pe.tensor(x[:1]), row, axis=1).numpy(),
                                  np.take_along_axis(x[:1], row, 1))
    flat = np.array([0, 7, 14])
    np.testing.assert_array_equal(ops.take_along_axis(t, flat).numpy(),
                                  np.take_along_axis(x, flat, None))
    assert gradcheck(lambda a: ops.take_along_axis(a, idx, axis=1),
                     [pe.tensor(x, requires_grad=True)])
    with pytest.raises(IndexError, match="out of range"):
        ops.take_along_axis(t, np.array([[9]]), axis=1)
    with pytest.raises(TypeError, match="integers"):
        ops.take_along_axis(t, np.array([[0.5]]), axis=1)


def test_keras_ops_record_on_symbolic_inputs():
    inp = keras.Input(shape=(4, 3))
    out = ops.einsum("btc,cd->btd", inp, np.ones((3, 2), np.float32))
    out = ops.sin(out) + ops.cos(out) + ops.erf(out)
    model = keras.Model(inp, out)
    x = rand(2, 4, 3, dtype=np.float32)
    y = x.astype(np.float64) @ np.ones((3, 2))
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               np.sin(y) + np.cos(y) + np.vectorize(math.erf)(y), atol=1e-5)


def test_permute():
    x = rand(2, 3, 4, 5, dtype=np.float32)
    out = layers.Permute((3, 1, 2))(pe.tensor(x))
    np.testing.assert_array_equal(out.numpy(), x.transpose(0, 3, 1, 2))
    inp = keras.Input(shape=(3, 4))
    assert layers.Permute((2, 1))(inp).shape == (None, 4, 3)
    with pytest.raises(ValueError, match="permutation of 1..2"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match="needs inputs of rank 3"):
        layers.Permute((2, 1))(pe.tensor(x))


@pytest.mark.parametrize("groups,shape", [(2, (2, 5, 4)), (-1, (2, 3, 3, 6)), (1, (3, 6)),
                                          (3, (2, 2, 2, 6))])
def test_group_normalization(groups, shape):
    x = rand(*shape, dtype=np.float32) * 3 + 1
    layer = layers.GroupNormalization(groups=groups, epsilon=1e-3)
    layer(pe.tensor(x))
    layer.gamma._data[:] = rand(shape[-1], seed=1)
    layer.beta._data[:] = rand(shape[-1], seed=2)
    out = layer(pe.tensor(x)).detach().numpy()
    c = shape[-1]
    g = c if groups == -1 else groups
    x64 = x.astype(np.float64).reshape(shape[0], -1, g, c // g)
    mu = x64.mean(axis=(1, 3), keepdims=True)
    var = x64.var(axis=(1, 3), keepdims=True)
    ref = ((x64 - mu) / np.sqrt(var + 1e-3)).reshape(shape) * W(layer.gamma) + W(layer.beta)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


def W(w):
    return w.detach().numpy().astype(np.float64)


def test_group_normalization_errors_and_training():
    with pytest.raises(ValueError, match="multiple of"):
        layers.GroupNormalization(groups=4)(pe.randn(2, 3, 6))
    with pytest.raises(ValueError, match="axis=-1"):
        layers.GroupNormalization(groups=2, axis=1)
    inp = keras.Input(shape=(4, 4, 8))
    x = layers.GroupNormalization(groups=4)(layers.Conv2D(8, 3, padding="same")(inp))
    model = keras.Model(inp, layers.Dense(1)(layers.GlobalAveragePooling2D()(x)))
    model.compile(optimizer="adam", loss="mse")
    xs = rand(16, 4, 4, 8, dtype=np.float32)
    ys = xs.mean(axis=(1, 2, 3))[:, None] * 5
    h = model.fit(xs, ys, epochs=15, batch_size=8, verbose=0).history["loss"]
    assert h[-1] < h[0]


def test_unit_normalization():
    x = rand(3, 4, dtype=np.float32)
    out = layers.UnitNormalization()(pe.tensor(x)).numpy()
    np.testing.assert_allclose(out, x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5)
    out = layers.UnitNormalization(axis=(0, 1))(pe.tensor(x)).numpy()
    np.testing.assert_allclose(out, x / np.linalg.norm(x), rtol=1e-5)
    assert np.all(layers.UnitNormalization()(pe.zeros(2, 3)).numpy() == 0)


def test_einsum_dense():
    x = rand(3, 5, 8, dtype=np.float32)
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4), bias_axes="de")
    out = layer(pe.tensor(x))
    assert [w.shape for w in layer.weights] == [(8, 2, 4), (2, 4)]
    layer.bias._data[:] = rand(2, 4, seed=1)
    ref = np.einsum("abc,cde->abde", x.astype(np.float64), W(layer.kernel)) + W(layer.bias)
    np.testing.assert_allclose(layer(pe.tensor(x)).detach().numpy(), ref, rtol=1e-5, atol=1e-5)
    assert out.shape == (3, 5, 2, 4)
    dense_like = layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c",
                                    activation="relu")
    y = dense_like(pe.tensor(x[:, 0]))
    ref = np.maximum(x[:, 0].astype(np.float64) @ W(dense_like.kernel) + W(dense_like.bias), 0)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    inp = keras.Input(shape=(5, 8))
    sym = layers.EinsumDense("abc,cd->abd", output_shape=(None, 6))(inp)
    assert sym.shape == (None, 5, 6)
    with pytest.raises(ValueError, match="not supported"):
        layers.EinsumDense("...b,bc->...c", output_shape=4)
    with pytest.raises(ValueError, match="bias_axes"):
        layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="z")(pe.tensor(x[:, 0]))
