"""Elementwise arithmetic, math, comparisons and matmul against NumPy float64, with broadcasting,
empty / size-1 shapes, non-contiguous views and reflected scalar forms."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pyengine as pe
from helpers import check_op, values

FAST = settings(max_examples=12, deadline=None)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                          max_side=3)

BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "maximum": (lambda a, b: a.maximum(b), np.maximum),
    "minimum": (lambda a, b: a.minimum(b), np.minimum),
    "pe.maximum": (pe.maximum, np.maximum),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(data=st.data(), shapes=pairs)
def test_binary_broadcast(name, data, shapes):
    op, ref = BINARY[name]
    sa, sb = shapes.input_shapes
    a = np.asarray(data.draw(values(sa)) + 0.1234567)  # no ties with b (max / min kinks)
    b = data.draw(values(sb, 0.5, 3.0))  # divisor away from 0; distinct from a for max/min ties
    check_op(op, ref, a, b)


@FAST
@given(data=st.data(), shapes=pairs)
def test_pow_broadcast(data, shapes):
    sa, sb = shapes.input_shapes
    a = data.draw(values(sa, 0.5, 2.0))
    b = data.draw(values(sb, -2.0, 2.0))
    check_op(lambda x, y: x ** y, np.power, a, b)


UNARY = {
    "neg": (lambda x: -x, np.negative, -3, 3),
    "abs": (lambda x: abs(x), np.abs, 0.1, 3),
    "exp": (pe.exp, np.exp, -3, 3),
    "log": (pe.log, np.log, 0.1, 5),
    "log1p": (pe.log1p, np.log1p, -0.5, 5),
    "sqrt": (pe.sqrt, np.sqrt, 0.1, 5),
    "sin": (pe.sin, np.sin, -3, 3),
    "cos": (pe.cos, np.cos, -3, 3),
    "square": (lambda x: x.square(), np.square, -3, 3),
    "rsqrt": (lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), 0.1, 5),
    "reciprocal": (lambda x: x.reciprocal(), np.reciprocal, 0.5, 5),
    "tanh": (pe.tanh, np.tanh, -4, 4),
    "sigmoid": (pe.sigmoid, lambda x: 1 / (1 + np.exp(-x)), -6, 6),
    "relu": (pe.relu, lambda x: np.maximum(x, 0), 0.1, 3),
    "clamp": (lambda x: x.clamp(-1.0, 1.5), lambda x: np.clip(x, -1.0, 1.5), 1.6, 3),
    "clamp_min": (lambda x: pe.clamp(x, min=0.5), lambda x: np.maximum(x, 0.5), 0.6, 3),
    "pow2": (lambda x: x ** 2, np.square, -3, 3),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, -3, 3),
    "radd": (lambda x: 1.5 + x, lambda x: 1.5 + x, -3, 3),
    "rsub": (lambda x: 1.5 - x, lambda x: 1.5 - x, -3, 3),
    "rmul": (lambda x: 1.5 * x, lambda x: 1.5 * x, -3, 3),
    "rdiv": (lambda x: 1.5 / x, lambda x: 1.5 / x, 0.5, 3),
    "sub_scalar": (lambda x: x - 2, lambda x: x - 2, -3, 3),
    "div_scalar": (lambda x: x / 4, lambda x: x / 4, -3, 3),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=8, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
def test_unary(name, data, shape):
    op, ref, lo, hi = UNARY[name]
    x = data.draw(values(shape, lo, hi))
    if name in ("abs", "relu", "clamp"):  # keep away from the kinks: random sign
        x = np.asarray(x * data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))))
    check_op(op, ref, x)


def test_where_and_grads():
    rng = np.random.default_rng(0)
    c = rng.random((3, 1)) > 0.5
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    check_op(lambda x, y: pe.where(pe.tensor(c), x, y), lambda x, y: np.where(c, x, y), a, b)
    check_op(lambda x: pe.where(x > 0, x, 0.0), lambda x: np.where(x > 0, x, 0.0), a)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons(op):
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    b = np.array([2.0, 2.0, 7.0], np.float32)
    fn = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
          "gt": np.greater, "ge": np.greater_equal}[op]
    pyop = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__",
            "ge": "__ge__"}[op]
    got = getattr(pe.tensor(a), pyop)(pe.tensor(b))
    assert got.dtype == pe.bool
    np.testing.assert_array_equal(got.numpy(), fn(a, b))
    np.testing.assert_array_equal(getattr(pe.tensor(a), pyop)(2.0).numpy(), fn(a, 2.0))


def test_reflected_with_numpy_array_on_the_left():
    a = np.arange(3.0, dtype=np.float32)
    t = pe.tensor([1.0, 2.0, 4.0])
    for res, ref in [(a + t, a + t.numpy()), (a - t, a - t.numpy()), (a * t, a * t.numpy()),
                     (a / t, a / t.numpy())]:
        assert isinstance(res, pe.Tensor)
        np.testing.assert_allclose(res.numpy(), ref)


@pytest.mark.parametrize("a,b,want", [
    (pe.float32, pe.float32, pe.float32), (pe.float32, pe.float64, pe.float64),
    (pe.int64, pe.int64, pe.int64), (pe.int64, pe.float32, pe.float32),
    (pe.bool, pe.int64, pe.int64), (pe.bool, pe.float32, pe.float32),
])
def test_promotion(a, b, want):
    x, y = pe.ones(2, dtype=a), pe.ones(2, dtype=b)
    assert (x + y).dtype == want and (y * x).dtype == want


def test_scalar_promotion():
    f, i = pe.ones(2), pe.ones(2, dtype=pe.int64)
    assert (f + 1).dtype == pe.float32 and (f * 2.5).dtype == pe.float32
    assert (i + 1).dtype == pe.int64
    assert (i * 2.5).dtype == pe.float32          # int tensor with a float scalar: default float
    assert (i / 2).dtype == pe.float32            # true division of ints: default float
    assert (pe.ones(2, dtype=pe.float64) * 2.5).dtype == pe.float64


def test_inplace_ops():
    t = pe.tensor([1.0, 2.0])
    t += 1
    t *= 2
    t -= 1
    t /= 2
    np.testing.assert_allclose(t.numpy(), [1.5, 2.5])
    w = pe.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in place"):
        w += 1
    with pe.no_grad():
        w -= 0.5
    np.testing.assert_allclose(w.detach().numpy(), [0.5])


MM_SHAPES = [((3, 4), (4, 5)), ((4,), (4, 2)), ((2, 4), (4,)), ((4,), (4,)),
             ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
             ((0, 4), (4, 3)), ((3, 0), (0, 2)), ((1, 1), (1, 1))]


@pytest.mark.parametrize("sa,sb", MM_SHAPES)
def test_matmul(sa, sb):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    check_op(lambda x, y: x @ y, np.matmul, a, b, tol={np.float32: dict(rtol=1e-5, atol=1e-5)})
    check_op(pe.matmul, np.matmul, a, b, grad=False, kinds=("contiguous",))


def test_matmul_non_tensor_right():
    a = pe.tensor([[1.0, 2.0]])
    np.testing.assert_allclose((a @ np.array([[1.0], [1.0]], np.float32)).numpy(), [[3.0]])
    np.testing.assert_allclose((np.array([[1.0, 1.0]], np.float32) @ a.T).numpy(), [[3.0]])


def test_matmul_int():
    a = pe.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal((a @ a).numpy(), [[7, 10], [15, 22]])


def test_matmul_threads_bitwise(threads):
    rng = np.random.default_rng(2)
    a = pe.tensor(rng.standard_normal((3, 130, 257)).astype(np.float32))
    b = pe.tensor(rng.standard_normal((257, 190)).astype(np.float32))
    threads(1)
    one = (a @ b).numpy().copy()
    threads(2)
    assert np.array_equal(one, (a @ b).numpy())
