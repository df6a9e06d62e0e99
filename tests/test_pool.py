"""Pooling kernels (pyengine._C) against NumPy float64 references written with PyTorch's window
rules: max (argmax, NaN), avg (count_include_pad, divisor_override, ceil_mode), adaptive avg;
backward, every ISA path, 1 vs 2 threads bitwise, bad input."""
import math

import numpy as np
import pytest

from pyengine import _C
from test_conv import isa  # noqa: F401  (fixture: runs a test once per available ISA)


def pool_out(n, k, s, p, d, ceil):
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = num // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def ref_max(x, k, s, p, d, ceil):
    n, c, h, w = x.shape
    oh, ow = pool_out(h, k[0], s[0], p[0], d[0], ceil), pool_out(w, k[1], s[1], p[1], d[1], ceil)
    y = np.full((n, c, oh, ow), -np.inf)
    idx = np.zeros((n, c, oh, ow), np.int64)
    for a in range(oh):
        for b in range(ow):
            for i in range(k[0]):
                for j in range(k[1]):
                    hh, ww = a * s[0] - p[0] + i * d[0], b * s[1] - p[1] + j * d[1]
                    if 0 <= hh < h and 0 <= ww < w:
                        v = x[:, :, hh, ww]
                        better = v > y[:, :, a, b]
                        y[:, :, a, b] = np.where(better, v, y[:, :, a, b])
                        idx[:, :, a, b] = np.where(better, hh * w + ww, idx[:, :, a, b])
    return y, idx


def ref_avg(x, k, s, p, ceil, include_pad, divisor):
    n, c, h, w = x.shape
    oh, ow = pool_out(h, k[0], s[0], p[0], 1, ceil), pool_out(w, k[1], s[1], p[1], 1, ceil)
    y = np.zeros((n, c, oh, ow))
    for a in range(oh):
        for b in range(ow):
            hs, ws = a * s[0] - p[0], b * s[1] - p[1]
            he, we = min(hs + k[0], h + p[0]), min(ws + k[1], w + p[1])
            size = (he - hs) * (we - ws)
            hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            div = divisor or (size if include_pad else (he - hs) * (we - ws))
            y[:, :, a, b] = x[:, :, hs:he, ws:we].sum(axis=(2, 3)) / div
    return y


def ref_adaptive(x, oh, ow):
    n, c, h, w = x.shape
    y = np.zeros((n, c, oh, ow))
    for a in range(oh):
        for b in range(ow):
            h0, h1 = a * h // oh, math.ceil((a + 1) * h / oh)
            w0, w1 = b * w // ow, math.ceil((b + 1) * w / ow)
            y[:, :, a, b] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return y


def vjp(f, x, dy):
    """Gradient of sum(f(x) * dy) w.r.t. x for a function linear in x (avg pools): exact by
    applying f to the basis, fine for the small shapes here."""
    g = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        g[i] = (f(e.reshape(x.shape)) * dy).sum()
    return g.reshape(x.shape)


MAX_CONFIGS = [  # (shape, kernel, stride, padding, dilation, ceil_mode)
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((2, 2, 9, 7), (3, 2), (1, 2), (1, 0), (2, 1), False),
    ((1, 3, 5, 6), (2, 3), (3, 2), (1, 1), (1, 1), True),
]


@pytest.mark.parametrize("cfg", MAX_CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool2d(cfg, dtype, isa):
    shape, k, s, p, d, ceil = cfg
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    want, want_idx = ref_max(x.astype(np.float64), k, s, p, d, ceil)
    y = np.empty(want.shape, dtype)
    idx = np.empty(want.shape, np.int64)
    _C.max_pool2d_forward(x, y, idx, *k, *s, *p, *d, ceil)
    np.testing.assert_array_equal(y, want.astype(dtype))
    np.testing.assert_array_equal(idx, want_idx)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    dx = np.empty_like(x)
    _C.max_pool2d_backward(dy, idx, dx)
    want_dx = np.zeros(x.shape).reshape(shape[0] * shape[1], -1)
    for pl in range(want_dx.shape[0]):
        np.add.at(want_dx[pl], want_idx.reshape(want_dx.shape[0], -1)[pl],
                  dy.reshape(want_dx.shape[0], -1)[pl])
    np.testing.assert_allclose(dx, want_dx.reshape(shape), rtol=1e-6)


def test_max_pool2d_nan_propagates():
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 1, 1] = np.nan
    y, idx = np.empty((1, 1, 2, 2), np.float32), np.empty((1, 1, 2, 2), np.int64)
    _C.max_pool2d_forward(x, y, idx, 2, 2, 2, 2, 0, 0, 1, 1)
    assert np.isnan(y[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 5 and y[0, 0, 1, 1] == 0


AVG_CONFIGS = [  # (shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), False, True, 0),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), True, True, 0),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), True, False, 0),
    ((2, 1, 6, 5), (3, 2), (1, 2), (1, 1), False, False, 0),
    ((1, 2, 5, 5), (2, 2), (2, 1), (1, 0), False, True, 3),
]


@pytest.mark.parametrize("cfg", AVG_CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool2d(cfg, dtype, isa):
    shape, k, s, p, ceil, inc, div = cfg
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    want = ref_avg(x.astype(np.float64), k, s, p, ceil, inc, div)
    y = np.empty(want.shape, dtype)
    _C.avg_pool2d_forward(x, y, *k, *s, *p, ceil, inc, div)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, want, rtol=tol, atol=tol)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    dx = np.empty_like(x)
    _C.avg_pool2d_backward(dy, dx, *k, *s, *p, ceil, inc, div)
    want_dx = vjp(lambda e: ref_avg(e, k, s, p, ceil, inc, div), x, dy.astype(np.float64))
    np.testing.assert_allclose(dx, want_dx, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape,out", [((2, 3, 7, 9), (3, 4)), ((1, 2, 5, 5), (1, 1)),
                                       ((1, 1, 4, 6), (4, 6)), ((1, 2, 3, 4), (5, 7))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adaptive_avg_pool2d(shape, out, dtype, isa):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    want = ref_adaptive(x.astype(np.float64), *out)
    y = np.empty(want.shape, dtype)
    _C.adaptive_avg_pool2d_forward(x, y)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, want, rtol=tol, atol=tol)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    dx = np.empty_like(x)
    _C.adaptive_avg_pool2d_backward(dy, dx)
    np.testing.assert_allclose(dx, vjp(lambda e: ref_adaptive(e, *out), x, dy.astype(np.float64)),
                               rtol=tol, atol=tol)


def test_pool_thread_count_independent():
    x = np.random.default_rng(0).standard_normal((16, 32, 26, 26)).astype(np.float32)
    prev = _C.get_num_threads()
    res = []
    try:
        for nt in (1, 2):
            _C.set_num_threads(nt)
            y, idx = np.empty((16, 32, 13, 13), np.float32), np.empty((16, 32, 13, 13), np.int64)
            _C.max_pool2d_forward(x, y, idx, 2, 2, 2, 2, 0, 0, 1, 1)
            dx = np.empty_like(x)
            _C.max_pool2d_backward(y, idx, dx)
            a = np.empty((16, 32, 9, 9), np.float32)
            _C.avg_pool2d_forward(x, a, 3, 3, 3, 3, 1, 1, False, False, 0)
            da = np.empty_like(x)
            _C.avg_pool2d_backward(a, da, 3, 3, 3, 3, 1, 1, False, False, 0)
            g = np.empty((16, 32, 1, 1), np.float32)
            _C.adaptive_avg_pool2d_forward(x, g)
            res.append((y, idx, dx, a, da, g))
    finally:
        _C.set_num_threads(prev)
    for u, v in zip(*res):
        np.testing.assert_array_equal(u, v)


def test_pool_bad_input():
    x = np.ones((1, 1, 4, 4), np.float32)
    y = np.empty((1, 1, 2, 2), np.float32)
    with pytest.raises(ValueError, match=r"^\[max_pool2d\] stride must be positive"):
        _C.max_pool2d_forward(x, y, None, 2, 2, 0, 2, 0, 0, 1, 1)
    with pytest.raises(ValueError, match=r"^\[max_pool2d\] .*larger than the padded input"):
        _C.max_pool2d_forward(x, y, None, 5, 5, 1, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match=r"^\[max_pool2d\] padding .* at most half"):
        _C.max_pool2d_forward(x, y, None, 2, 2, 2, 2, 2, 0, 1, 1)
    with pytest.raises(ValueError, match=r"^\[max_pool2d\] input must be 4-D"):
        _C.max_pool2d_forward(x[0], y, None, 2, 2, 2, 2, 0, 0, 1, 1)
    with pytest.raises(ValueError, match=r"^\[avg_pool2d\] out has shape"):
        _C.avg_pool2d_forward(x, np.empty((1, 1, 3, 3), np.float32), 2, 2, 2, 2, 0, 0)
    with pytest.raises(ValueError, match=r"^\[max_pool2d_backward\] indices out of range"):
        _C.max_pool2d_backward(y, np.full((1, 1, 2, 2), 16, np.int64), np.empty_like(x))


# ---- pe.nn.functional: argument forms, autograd wiring, gradcheck ----------------------------
import pyengine as pe  # noqa: E402
import pyengine.nn.functional as F  # noqa: E402
from pyengine.testing import gradcheck  # noqa: E402


def _t(a):
    return pe.tensor(a, dtype=pe.float64, requires_grad=True)


def test_functional_pools_match_reference():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 9))
    y, idx = F.max_pool2d(_t(x), 3, stride=2, padding=1, ceil_mode=True, return_indices=True)
    want, want_idx = ref_max(x, (3, 3), (2, 2), (1, 1), (1, 1), True)
    np.testing.assert_array_equal(y.detach().detach().numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    np.testing.assert_allclose(F.avg_pool2d(_t(x), (2, 3), padding=1, count_include_pad=False).detach().numpy(),
                               ref_avg(x, (2, 3), (2, 3), (1, 1), False, False, 0), rtol=1e-12)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(_t(x), (3, None)).detach().numpy(),
                               ref_adaptive(x, 3, 9), rtol=1e-12)
    assert F.max_pool2d(_t(x[0]), 2).shape == (3, 3, 4)  # unbatched


def test_pools_gradcheck():
    # distinct values so that the max is not at a tie (finite differences would straddle it)
    x = _t(np.random.default_rng(1).permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) / 7.0)
    assert gradcheck(lambda t: F.max_pool2d(t, 2, stride=1, padding=1), [x])
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, stride=2, padding=1, ceil_mode=True,
                                            count_include_pad=False), [x])
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (2, 4)), [x])


def test_functional_pool_bad_input():
    with pytest.raises(ValueError, match=r"^\[max_pool2d\] input must be 3-D"):
        F.max_pool2d(pe.randn(4, 4), 2)
    with pytest.raises(ValueError, match=r"^\[avg_pool2d\] stride must be positive"):
        F.avg_pool2d(pe.randn(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(ValueError, match=r"^\[adaptive_avg_pool2d\] output_size must be positive"):
        F.adaptive_avg_pool2d(pe.randn(1, 1, 4, 4), 0)


def test_max_pool2d_random_configs_with_ties_and_nan(isa):
    """Fast interior path and border path agree with the reference, including ties (first max
    wins) and NaN (last NaN wins, as in PyTorch)."""
    rng = np.random.default_rng(5)
    for _ in range(30):
        k = tuple(rng.integers(1, 4, 2))
        s = tuple(rng.integers(1, 4, 2))
        p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
        d = tuple(rng.integers(1, 3, 2))
        shape = (1, 2, int(rng.integers(7, 12)), int(rng.integers(7, 12)))
        x = rng.integers(-3, 3, shape).astype(np.float32)
        x[x == 2] = np.nan
        ceil = bool(rng.integers(0, 2))
        want, want_idx = ref_max_nan(x.astype(np.float64), k, s, p, d, ceil)
        y, idx = np.empty(want.shape, np.float32), np.empty(want.shape, np.int64)
        _C.max_pool2d_forward(x, y, idx, *k, *s, *p, *d, ceil)
        np.testing.assert_array_equal(y, want.astype(np.float32))
        np.testing.assert_array_equal(idx, want_idx)
        y2 = np.empty_like(y)
        _C.max_pool2d_forward(x, y2, None, *k, *s, *p, *d, ceil)
        np.testing.assert_array_equal(y2, y)


def ref_max_nan(x, k, s, p, d, ceil):
    """PyTorch's scalar loop: take v when v > best or v is NaN."""
    n, c, h, w = x.shape
    oh, ow = pool_out(h, k[0], s[0], p[0], d[0], ceil), pool_out(w, k[1], s[1], p[1], d[1], ceil)
    y, idx = np.full((n, c, oh, ow), -np.inf), np.zeros((n, c, oh, ow), np.int64)
    for pl in np.ndindex(n, c):
        for a in range(oh):
            for b in range(ow):
                first = True
                for i in range(k[0]):
                    for j in range(k[1]):
                        hh, ww = a * s[0] - p[0] + i * d[0], b * s[1] - p[1] + j * d[1]
                        if 0 <= hh < h and 0 <= ww < w:
                            v = x[pl][hh, ww]
                            if first:
                                idx[pl][a, b], first = hh * w + ww, False
                            if v > y[pl][a, b] or np.isnan(v):
                                y[pl][a, b], idx[pl][a, b] = v, hh * w + ww
    return y, idx
