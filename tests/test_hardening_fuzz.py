"""Differential fuzz (issue 13 item 4): conv2d (forward and the three gradients), max / avg
pooling and batched matmul on random geometry, against the NumPy float64 references of
test_conv / test_pool, on a random ISA path. Geometry includes empty batches, size-1 planes,
strides past the input (one output window), dilation and odd padding; bounded examples so it
stays a few seconds."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyengine import _C
import pyengine as pe
from test_conv import available_isas, out_size, ref_conv, ref_conv_grads
from test_pool import pool_out, ref_avg, ref_max

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ISA = st.sampled_from(available_isas())
STRIDE = st.one_of(st.integers(1, 3), st.just(2 ** 40))  # 2**40: one window, any input


def tol(dtype, k):
    return dict(rtol=1e-4, atol=1e-4 * k) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10 * k)


def with_isa(name, fn):
    before = _C.cpu_isa()
    _C.set_cpu_isa(name)
    try:
        return fn()
    finally:
        _C.set_cpu_isa(before)


@st.composite
def conv_case(draw):
    groups = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(STRIDE), draw(STRIDE))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    h = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), 10))
    w = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), 10))
    n = draw(st.integers(0, 2))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return n, groups * cg, h, w, groups * og, cg, kh, kw, s, p, d, groups, dtype


@FUZZ
@given(case=conv_case(), isa=ISA, seed=st.integers(0, 2 ** 31))
def test_conv2d_matches_float64(case, isa, seed):
    n, c, h, w, oc, cg, kh, kw, s, p, d, groups, dtype = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((oc, cg, kh, kw)).astype(dtype)
    b = rng.standard_normal(oc).astype(dtype)
    oh, ow = out_size(h, kh, s[0], p[0], d[0]), out_size(w, kw, s[1], p[1], d[1])
    y = np.empty((n, oc, oh, ow), dtype)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dx, dw, db = np.empty_like(x), np.empty_like(wt), np.empty(oc, dtype)

    def run():
        _C.conv2d_forward(x, wt, b, y, *s, *p, *d, groups)
        _C.conv2d_backward(x, dy, wt, dx, dw, db, *s, *p, *d, groups)

    with_isa(isa, run)
    k = cg * kh * kw
    np.testing.assert_allclose(y, ref_conv(x, wt, b, s, p, d, groups), **tol(dtype, k))
    rdx, rdw, rdb = ref_conv_grads(x, wt, dy, s, p, d, groups)
    np.testing.assert_allclose(dx, rdx, **tol(dtype, k))
    np.testing.assert_allclose(dw, rdw, **tol(dtype, n * oh * ow + 1))
    np.testing.assert_allclose(db, rdb, **tol(dtype, n * oh * ow + 1))


@st.composite
def pool_case(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(STRIDE), draw(STRIDE))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    ceil = draw(st.booleans())
    h = draw(st.integers(max(1, k[0] - 2 * p[0]), 9))
    w = draw(st.integers(max(1, k[1] - 2 * p[1]), 9))
    return draw(st.integers(0, 2)), draw(st.integers(1, 3)), h, w, k, s, p, ceil


@FUZZ
@given(case=pool_case(), isa=ISA, include_pad=st.booleans(), seed=st.integers(0, 2 ** 31))
def test_pooling_matches_float64(case, isa, include_pad, seed):
    n, c, h, w, k, s, p, ceil = case
    x = np.random.default_rng(seed).standard_normal((n, c, h, w)).astype(np.float32)
    oh, ow = pool_out(h, k[0], s[0], p[0], 1, ceil), pool_out(w, k[1], s[1], p[1], 1, ceil)
    ymax, idx, yavg = (np.empty((n, c, oh, ow), np.float32), np.empty((n, c, oh, ow), np.int64),
                       np.empty((n, c, oh, ow), np.float32))

    def run():
        _C.max_pool2d_forward(x, ymax, idx, *k, *s, *p, 1, 1, ceil)
        _C.avg_pool2d_forward(x, yavg, *k, *s, *p, ceil, include_pad, 0)

    with_isa(isa, run)
    rmax, ridx = ref_max(x.astype(np.float64), k, s, p, (1, 1), ceil)
    np.testing.assert_array_equal(ymax, rmax)
    np.testing.assert_array_equal(idx, ridx)
    ravg = ref_avg(x.astype(np.float64), k, s, p, ceil, include_pad, 0)
    np.testing.assert_allclose(yavg, ravg, rtol=1e-5, atol=1e-6)


@FUZZ
@given(batch=st.lists(st.integers(0, 3), max_size=2), m=st.integers(0, 40), k=st.integers(0, 40),
       n=st.integers(0, 40), bcast=st.booleans(), ta=st.booleans(), isa=ISA,
       seed=st.integers(0, 2 ** 31))
def test_matmul_matches_float64(batch, m, k, n, bcast, ta, isa, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(tuple(batch) + ((k, m) if ta else (m, k))).astype(np.float32)
    a = np.swapaxes(a, -1, -2) if ta else a  # a transposed view: no copy on the way in
    b = rng.standard_normal(((1,) * len(batch) if bcast else tuple(batch)) + (k, n))
    b = b.astype(np.float32)
    got = with_isa(isa, lambda: (pe.from_numpy(a) @ pe.from_numpy(b)).numpy())
    np.testing.assert_allclose(got, a.astype(np.float64) @ b.astype(np.float64),
                               rtol=1e-4, atol=1e-4 * max(k, 1))
