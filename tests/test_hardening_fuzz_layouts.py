"""Differential fuzz (issue 13 item 4), second part: the channels-last kernels (conv2d_nhwc with
its fused activations, max / avg pooling NHWC, forward and backward) and the transposed
convolution (F.conv_transpose2d, forward and both gradients) on random geometry against NumPy
float64 references, on a random ISA path. Geometry includes empty batches, size-1 planes,
asymmetric padding, groups, dilation and strides past the input (one output window)."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.backend import cpu as backend
from test_conv import available_isas
from test_conv import ref_conv as ref_conv_nchw
from test_conv import ref_conv_grads as ref_conv_grads_nchw
from test_conv_nhwc import _out, ref_conv, ref_conv_grads, ref_pool
from test_hardening_fuzz import STRIDE, tol, with_isa
from test_image_ops import ref_conv_transpose

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ISA = st.sampled_from(available_isas())
ACTS = {None: (lambda z: z, lambda y: np.ones_like(y)),
        "relu": (lambda z: np.maximum(z, 0), lambda y: (y > 0).astype(np.float64)),
        "tanh": (np.tanh, lambda y: 1 - y * y),
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda y: y * (1 - y))}


@st.composite
def nhwc_conv_case(draw):
    groups = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(STRIDE), draw(STRIDE))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = tuple(draw(st.integers(0, 3)) for _ in range(4))  # (top, bottom, left, right)
    h = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - pads[0] - pads[1]), 9))
    w = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - pads[2] - pads[3]), 9))
    n = draw(st.integers(0, 2))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    act = draw(st.sampled_from(sorted(ACTS, key=str)))
    return n, h, w, groups * cg, kh, kw, groups * og, s, pads, d, groups, dtype, act


@FUZZ
@given(case=nhwc_conv_case(), isa=ISA, bias=st.booleans(), seed=st.integers(0, 2 ** 31))
def test_conv2d_nhwc_matches_float64(case, isa, bias, seed):
    n, h, w, c, kh, kw, oc, s, pads, d, groups, dtype, act = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    wt = rng.standard_normal((kh, kw, c // groups, oc)).astype(dtype)
    b = rng.standard_normal(oc).astype(dtype) if bias else None
    oh, ow = _out(h, kh, s[0], *pads[:2], d[0]), _out(w, kw, s[1], *pads[2:], d[1])
    dy = rng.standard_normal((n, oh, ow, oc)).astype(dtype)

    def run():
        y = backend.conv2d_nhwc(x, wt, b, s, pads, d, groups, act)
        return (y,) + tuple(backend.conv2d_nhwc_backward(x, dy, wt, True, True, bias, s, pads, d,
                                                         groups, y if act else None, act))

    y, dx, dw, db = with_isa(isa, run)
    f, fprime = ACTS[act]
    ry = f(ref_conv(x, wt, b, s, pads, d, groups))
    k = c // groups * kh * kw
    np.testing.assert_allclose(y, ry, **tol(dtype, k))
    dz = dy * fprime(y.astype(np.float64))  # the kernel's rule: act' from its own output
    rdx, rdw, rdb = ref_conv_grads(x, wt, dz, s, pads, d, groups)
    np.testing.assert_allclose(dx, rdx, **tol(dtype, k * 4))
    np.testing.assert_allclose(dw, rdw, **tol(dtype, 4 * (n * oh * ow + 1)))
    if bias:
        np.testing.assert_allclose(db, rdb, **tol(dtype, 4 * (n * oh * ow + 1)))


def ref_pool_backward(x, dy, k, s, pads, kind, count_include_pad):
    """Adjoint of ref_pool by loops: max sends each dy to the first maximum of its window (scan
    order), avg spreads it over the window's pixels by the divisor."""
    x, dy = x.astype(np.float64), dy.astype(np.float64)
    n, h, w, c = x.shape
    dx = np.zeros_like(x)
    for oi in range(dy.shape[1]):
        for oj in range(dy.shape[2]):
            rows = [oi * s[0] - pads[0] + i for i in range(k[0])]
            cols = [oj * s[1] - pads[2] + j for j in range(k[1])]
            inside = [(r, q) for r in rows for q in cols if 0 <= r < h and 0 <= q < w]
            if kind == "max":
                vals = np.stack([x[:, r, q] for r, q in inside])  # (taps, n, c)
                first = vals.argmax(axis=0)
                for t, (r, q) in enumerate(inside):
                    dx[:, r, q] += np.where(first == t, dy[:, oi, oj], 0.0)
            else:
                div = k[0] * k[1] if count_include_pad else len(inside)
                for r, q in inside:
                    dx[:, r, q] += dy[:, oi, oj] / div
    return dx


@st.composite
def nhwc_pool_case(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(STRIDE), draw(STRIDE))
    pads = (draw(st.integers(0, k[0] - 1)), draw(st.integers(0, k[0] - 1)),
            draw(st.integers(0, k[1] - 1)), draw(st.integers(0, k[1] - 1)))
    h = draw(st.integers(max(1, k[0] - pads[0] - pads[1]), 8))
    w = draw(st.integers(max(1, k[1] - pads[2] - pads[3]), 8))
    return draw(st.integers(0, 2)), h, w, draw(st.integers(1, 5)), k, s, pads


@FUZZ
@given(case=nhwc_pool_case(), isa=ISA, kind=st.sampled_from(["max", "avg"]),
       include_pad=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2 ** 31))
def test_pool_nhwc_matches_float64(case, isa, kind, include_pad, dtype, seed):
    n, h, w, c, k, s, pads = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    oh, ow = _out(h, k[0], s[0], *pads[:2]), _out(w, k[1], s[1], *pads[2:])
    dy = rng.standard_normal((n, oh, ow, c)).astype(dtype)

    def run():
        if kind == "max":
            return (backend.max_pool2d_nhwc(x, k, s, pads),
                    backend.max_pool2d_nhwc_backward(x, dy, k, s, pads))
        return (backend.avg_pool2d_nhwc(x, k, s, pads, include_pad),
                backend.avg_pool2d_nhwc_backward(dy, x.shape, dtype, k, s, pads, include_pad))

    y, dx = with_isa(isa, run)
    ry = ref_pool(x, k, s, pads, kind, include_pad)
    rdx = ref_pool_backward(x, dy, k, s, pads, kind, include_pad)
    t = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    if kind == "max":
        np.testing.assert_array_equal(y, ry.astype(dtype))
    else:
        np.testing.assert_allclose(y, ry, **t)
    np.testing.assert_allclose(dx, rdx, **t)


@st.composite
def transpose_case(draw):
    groups = draw(st.integers(1, 2))
    cin_g, cout_g = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    stride, dil = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    opad = draw(st.integers(0, max(stride, dil) - 1))
    pad = draw(st.integers(0, 2))
    h = draw(st.integers(1, 6))
    w = draw(st.integers(1, 6))
    # the output must keep at least one pixel
    need = lambda n: (n - 1) * stride - 2 * pad + dil * (k - 1) + opad + 1  # noqa: E731
    if need(h) < 1 or need(w) < 1:
        pad = 0
    return (draw(st.integers(0, 2)), groups * cin_g, h, w, groups * cout_g, cout_g, k, stride,
            pad, opad, dil, groups)


@FUZZ
@given(case=transpose_case(), isa=ISA, bias=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2 ** 31))
def test_conv_transpose2d_matches_float64(case, isa, bias, dtype, seed):
    n, cin, h, w, cout, cout_g, k, stride, pad, opad, dil, groups = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin, h, w)).astype(dtype)
    wt = rng.standard_normal((cin, cout_g, k, k)).astype(dtype)
    b = rng.standard_normal(cout).astype(dtype) if bias else None

    def run():
        xt = pe.tensor(x, requires_grad=True)
        wtt = pe.tensor(wt, requires_grad=True)
        bt = pe.tensor(b, requires_grad=True) if bias else None
        y = F.conv_transpose2d(xt, wtt, bt, stride, pad, opad, groups, dil)
        g = np.random.default_rng(seed + 1).standard_normal(y.shape).astype(dtype)
        (y * pe.tensor(g)).sum().backward()
        return y.detach().numpy(), g, xt.grad.numpy(), wtt.grad.numpy(), bt.grad.numpy() if bias else None

    y, g, gx, gw, gb = with_isa(isa, run)
    ry = ref_conv_transpose(x.astype(np.float64), wt.astype(np.float64), b, stride, pad, opad,
                            groups, dil)
    kk = cin * k * k
    np.testing.assert_allclose(y, ry, **tol(dtype, kk))
    # y is linear in x and in w: its gradients are the conv2d (whose adjoint it is) of g, and
    # conv2d's weight gradient with x as the output gradient. conv2d of the (OH, OW) output may
    # have more rows than x (output_padding >= stride): x is zero there.
    s2, p2, d2 = (stride, stride), (pad, pad), (dil, dil)
    conv_g = ref_conv_nchw(g, wt, None, s2, p2, d2, groups)
    np.testing.assert_allclose(gx, conv_g[:, :, :h, :w], **tol(dtype, cout_g * k * k * 4))
    xz = np.zeros(conv_g.shape)
    xz[:, :, :h, :w] = x
    _, rgw, _ = ref_conv_grads_nchw(g, wt, xz, s2, p2, d2, groups)
    np.testing.assert_allclose(gw, rgw, **tol(dtype, 4 * (n * y.shape[2] * y.shape[3] + 1)))
    if bias:
        np.testing.assert_allclose(gb, g.astype(np.float64).sum(axis=(0, 2, 3)),
                                   **tol(dtype, n * y.shape[2] * y.shape[3] + 1))


def test_reference_pool_backward_is_the_adjoint():
    """The loop reference above against the identity <pool(x), dy> = <x, pool^T(dy)> of avg
    pooling (linear), so that a wrong reference cannot hide a kernel bug."""
    rng = np.random.default_rng(0)
    x, k, s, pads = rng.standard_normal((2, 5, 6, 3)), (3, 2), (2, 1), (1, 0, 1, 1)
    for cip in (False, True):
        y = ref_pool(x, k, s, pads, "avg", cip)
        dy = rng.standard_normal(y.shape)
        dx = ref_pool_backward(x, dy, k, s, pads, "avg", cip)
        assert np.isclose((y * dy).sum(), (x * dx).sum())
