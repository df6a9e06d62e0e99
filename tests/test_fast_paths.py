"""Every per-op fast path against the general path it short-cuts (issue 12 items 1 and 6):
the 2-D matmul of backend/cpu.py and MatMul.backward, the parameter-free relu/sigmoid/tanh,
the full sum. Non-contiguous, broadcast, 1-D and integer operands must still take the general
path and give its answer."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.backend import cpu
from pyengine.ops.activation import Activation, ReLU, Sigmoid, Tanh
from pyengine.ops.reduce import Sum, SumAll

RNG = np.random.default_rng(0)


def _arr(shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _views():
    """(a, b) pairs for a 2-D @ 2-D product: contiguous, transposed, sliced, size 0 and 1."""
    a, b = _arr((10, 11)), _arr((11, 6))
    yield a, b
    yield _arr((11, 10)).T, b                      # transposed A
    yield a, _arr((6, 11)).T                        # transposed B (a backward's g @ W^T)
    yield _arr((20, 22))[::2, ::2], _arr((11, 12))[:, ::2]   # strided views
    yield _arr((32, 784)), _arr((784, 128))
    yield _arr((0, 5)), _arr((5, 3))
    yield _arr((4, 0)), _arr((0, 3))
    yield _arr((1, 1)), _arr((1, 1))
    yield _arr((10, 11), np.float64), _arr((11, 6), np.float64)


@pytest.mark.parametrize("pair", list(_views()), ids=lambda p: f"{p[0].shape}@{p[1].shape}")
def test_matmul_2d_fast_path_equals_general(isa, pair):
    a, b = pair
    fast = cpu.matmul(a, b)
    general = cpu._matmul_general(a, b)
    np.testing.assert_array_equal(fast, general)
    assert fast.dtype == a.dtype and fast.flags.c_contiguous
    ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(fast, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shapes", [((7,), (7, 3)), ((4, 7), (7,)), ((7,), (7,)),
                                    ((2, 4, 7), (7, 3)), ((4, 7), (3, 7, 2)),
                                    ((1, 4, 7), (5, 7, 2))])
def test_matmul_other_ranks_take_the_general_path(shapes):
    a, b = _arr(shapes[0], np.float64), _arr(shapes[1], np.float64)
    np.testing.assert_allclose(cpu.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)


def test_matmul_other_dtypes_take_the_general_path():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    np.testing.assert_array_equal(cpu.matmul(a, a.T), a @ a.T)
    f32, f64 = _arr((2, 3)), _arr((3, 2), np.float64)
    np.testing.assert_allclose(cpu.matmul(f32, f64), f32 @ f64, rtol=1e-6)
    big = _arr((3, 4)).astype(">f4")                 # non-native byte order
    np.testing.assert_allclose(cpu.matmul(big, big.T), big.astype(np.float64) @ big.T, rtol=1e-5)


def test_matmul_fast_path_errors():
    with pytest.raises(ValueError, match=r"\[matmul\] inner dimensions differ: \(2, 3\) @ \(4, 5\)"):
        cpu.matmul(_arr((2, 3)), _arr((4, 5)))
    with pytest.raises(ValueError, match=r"\[matmul\] inner dimensions differ"):
        pe.randn(2, 3) @ pe.randn(4, 5)


@pytest.mark.parametrize("sa,sb", [((5, 4), (4, 3)), ((4,), (4, 3)), ((5, 4), (4,)),
                                   ((2, 5, 4), (4, 3)), ((5, 4), (2, 4, 3))])
def test_matmul_backward_fast_and_general(sa, sb):
    """2-D products use MatMul.backward's direct path, the others the general one; both must
    match the float64 reference gradients."""
    a = pe.tensor(_arr(sa, np.float64), requires_grad=True)
    b = pe.tensor(_arr(sb, np.float64), requires_grad=True)
    y = a @ b
    g = _arr(y.shape, np.float64)
    y.backward(g)
    A = a.data if a.ndim > 1 else a.data[None]
    B = b.data if b.ndim > 1 else b.data[:, None]
    G = g.reshape(np.broadcast_shapes(A.shape[:-2], B.shape[:-2]) + (A.shape[-2], B.shape[-1]))
    ga = (G @ np.swapaxes(B, -1, -2))
    gb = (np.swapaxes(A, -1, -2) @ G)
    ga = ga.reshape((-1,) + A.shape[-2:]).sum(0) if ga.ndim > A.ndim else ga
    gb = gb.reshape((-1,) + B.shape[-2:]).sum(0) if gb.ndim > B.ndim else gb
    np.testing.assert_allclose(a.grad.data, ga.reshape(sa), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.data, gb.reshape(sb), rtol=1e-12, atol=1e-12)
    assert pe.testing.gradcheck(lambda a, b: a @ b, [a, b])


@pytest.mark.parametrize("cls,name", [(ReLU, "relu"), (Sigmoid, "sigmoid"), (Tanh, "tanh")])
@pytest.mark.parametrize("make", [lambda: _arr((10, 10)), lambda: _arr((10, 12))[:, ::2],
                                  lambda: _arr((6, 5)).T, lambda: _arr(()),
                                  lambda: _arr((3, 4), np.float64),
                                  lambda: np.arange(-3, 3, dtype=np.int64)])
def test_fixed_activations_equal_activation(isa, cls, name, make):
    a = make()
    rg = a.dtype.kind == "f"
    x1, x0 = pe.tensor(a, requires_grad=rg), pe.tensor(a, requires_grad=rg)
    y1, y0 = cls.apply(x1), Activation.apply(x0, name=name)
    np.testing.assert_array_equal(y1.data, y0.data)
    assert y1.dtype == y0.dtype
    assert getattr(pe.tensor(a), name)()._data.tobytes() == y0._data.tobytes()
    assert getattr(F, name)(pe.tensor(a))._data.tobytes() == y0._data.tobytes()
    if rg:
        g = _arr(y0.shape, a.dtype)
        y1.backward(g)
        y0.backward(g)
        np.testing.assert_array_equal(x1.grad.data, x0.grad.data)


@pytest.mark.parametrize("make", [lambda: _arr((10, 10)), lambda: _arr((4, 6))[:, ::3],
                                  lambda: _arr(()), lambda: _arr((0, 3)),
                                  lambda: np.arange(5, dtype=np.int64)])
def test_sum_all_equals_sum(make):
    a = make()
    rg = a.dtype.kind == "f"
    x1, x0 = pe.tensor(a, requires_grad=rg), pe.tensor(a, requires_grad=rg)
    y1, y0 = x1.sum(), Sum.apply(x0, axis=None, keepdims=False)
    assert y1.grad_fn is None or y1.grad_fn.fn is SumAll
    np.testing.assert_array_equal(y1.data, y0.data)
    assert y1.shape == () and y1.dtype == y0.dtype
    if rg:
        y1.backward()
        y0.backward()
        np.testing.assert_array_equal(x1.grad.data, x0.grad.data)
    # axis / keepdims forms still go through Sum
    assert pe.tensor(a).sum(keepdims=True).shape == (1,) * a.ndim
    assert pe.tensor(a).sum(dim=None, keepdim=True).shape == (1,) * a.ndim
