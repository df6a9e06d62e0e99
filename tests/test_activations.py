"""Activation and softmax kernels (csrc/eltwise) through the pe API and through _C directly:
NumPy float64 references, every ISA path, 1 vs 2 threads bitwise, NaN / inf / huge inputs."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import _C
from helpers import check_op, values

_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _softplus(x, beta=1.0, threshold=20.0):
    z = beta * x
    return np.where(z > threshold, x, (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta)


# name -> (pe function, float64 reference, _C name, params)
ACTS = {
    "relu": (F.relu, lambda x: np.maximum(x, 0), "relu", ()),
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.1), lambda x: np.where(x > 0, x, 0.1 * x),
                   "leaky_relu", (0.1,)),
    "elu": (lambda t: F.elu(t, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x)), "elu", (1.5,)),
    "gelu": (F.gelu, lambda x: np.where(x == -np.inf, 0.0, 0.5 * x * _erfc(-x / np.sqrt(2))),
             "gelu", ()),
    "sigmoid": (F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), "sigmoid", ()),
    "tanh": (F.tanh, np.tanh, "tanh", ()),
    "softplus": (lambda t: F.softplus(t, 2.0, 5.0), lambda x: _softplus(x, 2.0, 5.0), "softplus",
                 (2.0, 5.0)),
}
SOFTMAX = {
    "softmax": (lambda x, axis: np.exp(x - _lse(x, axis))),
    "log_softmax": (lambda x, axis: x - _lse(x, axis)),
}


def _lse(x, axis):
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m


def _away_from_kinks(x, kinks=(0.0, 2.5)):
    """Finite differences are wrong at a kink: 0 for the relu family, threshold / beta = 2.5 for
    the softplus case below."""
    for k in kinks:
        x = np.where(np.abs(x - k) < 1e-3, k + 0.5, x)
    return x


@pytest.mark.parametrize("name", sorted(ACTS))
@settings(max_examples=10, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
def test_activation(name, data, shape):
    fn, ref, _, _ = ACTS[name]
    x = np.asarray(_away_from_kinks(data.draw(values(shape, -6, 6))))
    check_op(fn, ref, x)


@pytest.mark.parametrize("log", [False, True])
@settings(max_examples=12, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
def test_softmax(log, data, shape):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(values(shape, -10, 10))
    name = "log_softmax" if log else "softmax"
    op = (lambda t: F.log_softmax(t, dim=axis)) if log else (lambda t: t.softmax(axis))
    check_op(op, lambda a: SOFTMAX[name](a, axis), x)


def test_tensor_methods_and_int_input():
    t = pe.tensor([-1, 0, 2])
    assert t.relu().dtype == pe.float32
    np.testing.assert_allclose(t.relu().numpy(), [0, 0, 2])
    np.testing.assert_allclose(pe.softmax(pe.tensor(3.0)).numpy(), 1.0)
    assert pe.softmax(pe.tensor(3.0)).shape == ()


# ---- kernels directly, per ISA and thread count -------------------------------------------
BIG = 3 * (1 << 15) + 7  # above the parallel grain, not a multiple of any vector width


def _act(name, x, params=()):
    out = np.empty_like(x)
    _C.act_forward(name, x, out, *params)
    return out


def _act_back(name, x, g, params=()):
    y = _act(name, x, params)
    out = np.empty_like(x)
    _C.act_backward(name, x, y, g, out, *params)
    return out


def _derivative(name, x, params):
    """d act / dx in float64, the reference for the backward kernels."""
    if name == "relu":
        return (x > 0).astype(float)
    if name == "leaky_relu":
        return np.where(x > 0, 1.0, params[0])
    if name == "elu":
        return np.where(x > 0, 1.0, params[0] * np.exp(x))
    if name == "gelu":
        return 0.5 * _erfc(-x / np.sqrt(2)) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(x) ** 2
    z = params[0] * x
    return np.where(z > params[1], 1.0, 1 / (1 + np.exp(-z)))


@pytest.mark.parametrize("name", sorted(ACTS))
def test_kernel_accuracy_float32(isa, name):
    """float32 kernels within ~1e-6 relative (a few ulp) of float64 over a wide range."""
    _, ref, cname, params = ACTS[name]
    x64 = np.concatenate([np.linspace(-30, 30, 20001), np.linspace(-3, 3, 20001)])
    x = x64.astype(np.float32)
    want = ref(x.astype(np.float64))
    got = _act(cname, x, params).astype(np.float64)
    scale = np.maximum(np.abs(want), 1e-30)
    err = np.max(np.abs(got - want) / scale)
    assert err < 2e-6, f"{name} [{isa}] max rel err {err:.3g}"
    dwant = _derivative(cname, x.astype(np.float64), params)
    dgot = _act_back(cname, x, np.ones_like(x), params).astype(np.float64)
    np.testing.assert_allclose(dgot, dwant, rtol=1e-5, atol=2e-6, err_msg=f"{name} [{isa}]")


@pytest.mark.parametrize("name", sorted(ACTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_threads_bitwise(isa, threads, name, dtype):
    _, _, cname, params = ACTS[name]
    x = np.random.default_rng(0).standard_normal(BIG).astype(dtype) * 5
    g = np.random.default_rng(1).standard_normal(BIG).astype(dtype)
    threads(1)
    y1, d1 = _act(cname, x, params), _act_back(cname, x, g, params)
    threads(2)
    y2, d2 = _act(cname, x, params), _act_back(cname, x, g, params)
    assert np.array_equal(y1, y2) and np.array_equal(d1, d2)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape,axis", [((70000, 3), 1), ((3, 70000), 1), ((40, 50, 40), 1),
                                        ((2, 5, 9000), 1), ((8, 9001), -1), ((300, 257), 0)])
def test_softmax_kernel_isa_threads(isa, threads, log, shape, axis):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32) * 4
    g = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    ref = SOFTMAX["log_softmax" if log else "softmax"](x.astype(np.float64), axis)
    outs = []
    for n in (1, 2):
        threads(n)
        y = np.empty_like(x)
        _C.softmax(x, y, axis, log)
        dx = np.empty_like(x)
        _C.softmax_backward(y, g, dx, axis, log)
        outs.append((y, dx))
    assert np.array_equal(outs[0][0], outs[1][0]) and np.array_equal(outs[0][1], outs[1][1])
    np.testing.assert_allclose(outs[0][0], ref, rtol=2e-5, atol=1e-6)
    y64 = ref
    g64 = g.astype(np.float64)
    if log:
        dref = g64 - np.exp(y64) * g64.sum(axis=axis, keepdims=True)
    else:
        dref = y64 * (g64 - (g64 * y64).sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(outs[0][1], dref, rtol=1e-4, atol=2e-5)


def test_all_isas_agree_with_reference(isa):
    """Each ISA path gives the float64 reference within tolerance on odd sizes (vector tails)."""
    for n in (0, 1, 7, 15, 16, 17, 33, 1023):
        x = np.linspace(-5, 5, n).astype(np.float32)
        for name, (_, ref, cname, params) in ACTS.items():
            np.testing.assert_allclose(_act(cname, x, params), ref(x.astype(np.float64)),
                                       rtol=2e-6, atol=1e-6, err_msg=f"{name} n={n} [{isa}]")


SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 1e-40, -1e-40, 88.0,
                    89.0, -88.0, -104.0, 1e30, -1e30, 3.4e38, -3.4e38], np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTS))
def test_special_values(isa, name, dtype):
    _, ref, cname, params = ACTS[name]
    x = SPECIAL.astype(dtype)
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    got = _act(cname, x, params)
    assert np.isnan(got[0]), f"{name} does not propagate NaN"
    np.testing.assert_allclose(got[1:].astype(np.float64), want[1:], rtol=1e-5, atol=1e-30,
                               err_msg=f"{name} [{isa}]")
    d = _act_back(cname, x, np.ones_like(x), params)
    assert np.isnan(d[0]) or name in ("relu", "leaky_relu", "elu", "softplus"), name
    assert not np.isnan(d[1:]).any(), f"{name} backward gives NaN for finite/inf input: {d}"


def test_softmax_special_values(isa):
    x = np.array([[0.0, 1.0, 2.0], [1000.0, 1000.0, -1000.0], [-np.inf, 0.0, -np.inf],
                  [-np.inf, -np.inf, -np.inf], [np.nan, 0.0, 1.0], [np.inf, 0.0, 1.0]], np.float32)
    y = np.empty_like(x)
    _C.softmax(x, y, 1, False)
    np.testing.assert_allclose(y[0], np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum(), rtol=1e-6)
    np.testing.assert_allclose(y[1], [0.5, 0.5, 0.0], atol=1e-7)
    np.testing.assert_array_equal(y[2], [0.0, 1.0, 0.0])
    assert np.isnan(y[3]).all()  # 0/0, as NumPy / PyTorch give
    assert np.isnan(y[4]).all() and np.isnan(y[5]).any()
    _C.softmax(x, y, 1, True)
    np.testing.assert_allclose(y[1], [-np.log(2), -np.log(2), -2000 - np.log(2)], rtol=1e-6)
    np.testing.assert_array_equal(y[2], [-np.inf, 0.0, -np.inf])


@pytest.mark.parametrize("fn", [F.relu, F.gelu, F.sigmoid, F.tanh, F.softplus,
                                lambda t: F.softmax(t, dim=1), lambda t: F.log_softmax(t, dim=0)])
def test_api_threads_bitwise_with_grads(threads, fn):
    """Through the public API, forward and backward: 1 and 2 threads give the same bits."""
    x = np.random.default_rng(3).standard_normal((300, 400)).astype(np.float32) * 3
    outs = []
    for n in (1, 2):
        threads(n)
        t = pe.tensor(x, requires_grad=True)
        y = fn(t)
        (y * y).sum().backward()
        outs.append((y.detach().numpy(), t.grad.numpy()))
    assert np.array_equal(outs[0][0], outs[1][0]) and np.array_equal(outs[0][1], outs[1][1])


def test_functional_docstring_examples():
    import doctest
    result = doctest.testmod(F, extraglobs={"pe": pe, "F": F})
    assert result.failed == 0 and result.attempted >= 9
