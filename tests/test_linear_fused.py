"""The fused dense op (ops/linear.py, csrc/gemm/linear.cpp) against the unfused composition
matmul + bias + activation: bitwise equal forward and backward on every ISA and 1 or 2 threads,
gradcheck, the paths F.linear takes for other inputs, and its argument errors."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import _C
from pyengine.ops.linear import Linear
from pyengine.testing import gradcheck

ACTS = [None, "relu", "sigmoid", "tanh"]


def _composed(x, w, b, act):
    y = x @ w.T
    if b is not None:
        y = y + b
    return y if act is None else getattr(y, act)()


def _grads(fn, x, w, b, g):
    for t in (x, w, b):
        if t is not None:
            t.grad = None
    y = fn(x, w, b)
    y.backward(g)
    return y._data.copy(), [None if t is None else t.grad._data.copy() for t in (x, w, b)]


def _leaves(rng, n, k, o, dtype, bias=True):
    x = pe.tensor(rng.standard_normal((n, k)).astype(dtype), requires_grad=True)
    w = pe.tensor(rng.standard_normal((o, k)).astype(dtype), requires_grad=True)
    b = pe.tensor(rng.standard_normal(o).astype(dtype), requires_grad=True) if bias else None
    return x, w, b


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("shape", [(1, 1, 1), (10, 11, 6), (64, 64, 10), (33, 70, 129),
                                   (300, 40, 200), (5, 0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_equals_composition_bitwise(isa, threads, act, shape, bias):
    n, k, o = shape
    rng = np.random.default_rng(n * 1000 + k * 10 + o)
    x, w, b = _leaves(rng, n, k, o, np.float32, bias)
    g = rng.standard_normal((n, o)).astype(np.float32)
    for nt in (1, 2):
        threads(nt)
        y1, g1 = _grads(lambda x, w, b: F.linear(x, w, b, activation=act), x, w, b, g)
        y0, g0 = _grads(lambda x, w, b: _composed(x, w, b, act), x, w, b, g)
        np.testing.assert_array_equal(y1, y0)
        for a1, a0 in zip(g1, g0):
            if a0 is None:
                assert a1 is None
            else:
                np.testing.assert_array_equal(a1, a0)
        if nt == 1:
            ref = (y1, g1)
        else:  # 1 and 2 threads agree bitwise
            np.testing.assert_array_equal(ref[0], y1)
            for a, c in zip(ref[1], g1):
                if a is not None:
                    np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("act", ACTS)
def test_fused_gradcheck(act):
    rng = np.random.default_rng(1)
    x, w, b = (pe.tensor(t._data.astype(np.float64), requires_grad=True)
               for t in _leaves(rng, 4, 5, 3, np.float64))
    assert gradcheck(lambda x, w, b: F.linear(x, w, b, activation=act), [x, w, b])
    assert gradcheck(lambda x, w: F.linear(x, w, activation=act), [x, w])


def test_fused_op_is_used_and_its_node_is_one():
    rng = np.random.default_rng(2)
    x, w, b = _leaves(rng, 4, 5, 3, np.float32)
    y = F.linear(x, w, b, activation="relu")
    assert y.grad_fn.fn is Linear
    assert pe.nn.Linear(5, 3)(x).grad_fn.fn is Linear


@pytest.mark.parametrize("xshape", [(7,), (2, 3, 7), (2, 1, 4, 7)])
def test_fused_batch_and_1d_input(xshape):
    """N-D and 1-D inputs: the fused op flattens the leading dims; same as the composition."""
    rng = np.random.default_rng(3)
    x = pe.tensor(rng.standard_normal(xshape).astype(np.float64), requires_grad=True)
    w = pe.tensor(rng.standard_normal((4, 7)), requires_grad=True)
    b = pe.tensor(rng.standard_normal(4), requires_grad=True)
    g = rng.standard_normal(xshape[:-1] + (4,))
    y1, g1 = _grads(lambda x, w, b: F.linear(x, w, b, activation="tanh"), x, w, b, g)
    y0, g0 = _grads(lambda x, w, b: _composed(x, w, b, "tanh"), x, w, b, g)
    np.testing.assert_allclose(y1, y0, rtol=1e-12, atol=1e-12)
    for a1, a0 in zip(g1, g0):
        np.testing.assert_allclose(a1, a0, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b, activation="sigmoid"), [x, w, b])


def test_fused_non_contiguous_operands():
    """Transposed / sliced x and weight are read through their strides."""
    rng = np.random.default_rng(4)
    x = pe.tensor(rng.standard_normal((9, 12)).astype(np.float32)).T[1:11]  # (10, 9) view
    w = pe.tensor(rng.standard_normal((9, 8)).astype(np.float32)).T  # (8, 9) transposed view
    b = pe.tensor(rng.standard_normal(16).astype(np.float32))[::2]   # strided bias
    assert not x._data.flags.c_contiguous and not w._data.flags.c_contiguous
    y1 = F.linear(x, w, b, activation="relu")
    y0 = _composed(x, w, b, "relu")
    np.testing.assert_array_equal(y1.data, y0.data)


def test_other_dtypes_take_the_composition():
    """Mixed or integer dtypes are promoted as `@` and `+` do (not the fused op)."""
    x = pe.tensor(np.ones((2, 3), np.float64))
    w = pe.tensor(np.ones((4, 3), np.float32))
    y = F.linear(x, w, pe.zeros(4))
    assert y.dtype == pe.float64 and y.grad_fn is None
    np.testing.assert_array_equal(y.data, np.full((2, 4), 3.0))


def test_fused_errors():
    x, w = pe.randn(2, 3), pe.randn(4, 3)
    with pytest.raises(ValueError, match=r"\[linear\] activation"):
        F.linear(x, w, activation="gelu")
    with pytest.raises(ValueError, match=r"\[linear\] input has 5 features"):
        F.linear(pe.randn(2, 5), w)
    with pytest.raises(ValueError, match=r"\[linear\] unsupported fused activation"):
        _C.linear_forward(x._data, w._data, None, np.empty((2, 4), np.float32), "elu")
    with pytest.raises(ValueError, match=r"\[linear\] out has shape"):
        _C.linear_forward(x._data, w._data, None, np.empty((2, 5), np.float32), "none")
    with pytest.raises(ValueError, match=r"\[linear\] bias has shape"):
        _C.linear_forward(x._data, w._data, np.zeros(3, np.float32), np.empty((2, 4), np.float32),
                          "none")
    with pytest.raises(TypeError, match=r"\[linear\]"):
        _C.linear_forward(x._data.astype(np.float64), w._data, None, np.empty((2, 4), np.float32),
                          "none")
    buf = np.zeros((4, 4), np.float32)
    with pytest.raises(ValueError, match=r"overlaps"):
        _C.linear_forward(buf[:2, :3], w._data, None, buf[1:3], "none")  # out overlaps x
    with pytest.raises(ValueError, match=r"\[linear\] the activation's backward needs y"):
        _C.linear_backward(x._data, w._data, None, np.ones((2, 4), np.float32), None, None, None,
                           "relu")


def _net_pair(act_cls):
    """Two Sequentials with equal weights: the first fuses, the second is kept unfused by a
    no-op forward hook on each activation (hooks disable the fusion)."""
    pe.manual_seed(5)
    a = pe.nn.Sequential(pe.nn.Linear(6, 9), act_cls(), pe.nn.Linear(9, 4), act_cls(),
                         pe.nn.Linear(4, 3))
    b = pe.nn.Sequential(pe.nn.Linear(6, 9), act_cls(), pe.nn.Linear(9, 4), act_cls(),
                         pe.nn.Linear(4, 3))
    b.load_state_dict(a.state_dict())
    for i in (1, 3):
        b[i].register_forward_hook(lambda m, inp, out: None)
    return a, b


@pytest.mark.parametrize("act_cls", [pe.nn.ReLU, pe.nn.Sigmoid, pe.nn.Tanh])
def test_sequential_linear_activation_fusion_is_identical(act_cls):
    fused, plain = _net_pair(act_cls)
    x = pe.randn(7, 6)
    y1, y0 = fused(x), plain(x)
    assert y1.grad_fn.inputs[0].grad_fn.fn is Linear  # the fused node: Linear + activation
    assert y1.grad_fn.inputs[0].grad_fn.ctx.act == act_cls.__name__.lower()
    assert y0.grad_fn.inputs[0].grad_fn.fn is not Linear  # the hooked path is unfused
    np.testing.assert_array_equal(y1.data, y0.data)
    y1.sum().backward()
    y0.sum().backward()
    for p1, p0 in zip(fused.parameters(), plain.parameters()):
        np.testing.assert_array_equal(p1.grad.data, p0.grad.data)


def test_sequential_fusion_conditions():
    from pyengine.nn.layers.linear import fusable_activation

    class MyLinear(pe.nn.Linear):
        pass

    lin, relu = pe.nn.Linear(2, 2), pe.nn.ReLU()
    assert fusable_activation(lin, relu) == "relu"
    assert fusable_activation(MyLinear(2, 2), relu) is None        # subclass: may override
    assert fusable_activation(lin, pe.nn.GELU()) is None            # not fusable
    h = lin.register_forward_pre_hook(lambda m, a: None)
    assert fusable_activation(lin, relu) is None                    # hooks see the intermediate
    h.remove()
    assert fusable_activation(lin, relu) == "relu"
