"""The small-K conv2d kernels (csrc/conv/conv_small_k_impl.h: groups 1, C * KH * KW <= 32 — the
1-channel first layers, DCGAN's 4x4 stride-2 pair) against the NumPy float64 reference, against
the general im2col path, on every ISA, 1 vs 2 threads bitwise, and through gradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import _C
from pyengine.testing import gradcheck
from test_conv import out_size, ref_conv, ref_conv_grads


def conv(x, w, b, s, p, d):
    oh = out_size(x.shape[2], w.shape[2], s[0], p[0], d[0])
    ow = out_size(x.shape[3], w.shape[3], s[1], p[1], d[1])
    y = np.empty((x.shape[0], w.shape[0], oh, ow), x.dtype)
    _C.conv2d_forward(x, w, b, y, s[0], s[1], p[0], p[1], d[0], d[1], 1)
    return y


def grads(x, w, dy, s, p, d, want=(True, True, True)):
    """conv2d_backward with the wanted gradients (None elsewhere) and the three single kernels."""
    dx = np.empty_like(x) if want[0] else None
    dw = np.empty_like(w) if want[1] else None
    db = np.empty(w.shape[0], x.dtype) if want[2] else None
    _C.conv2d_backward(x, dy, w, dx, dw, db, s[0], s[1], p[0], p[1], d[0], d[1], 1)
    dx1, dw1, db1 = np.empty_like(x), np.empty_like(w), np.empty(w.shape[0], x.dtype)
    _C.conv2d_backward_input(dy, w, dx1, s[0], s[1], p[0], p[1], d[0], d[1], 1)
    _C.conv2d_backward_weight(x, dy, dw1, s[0], s[1], p[0], p[1], d[0], d[1], 1)
    _C.conv2d_backward_bias(dy, db1)
    return (dx, dw, db), (dx1, dw1, db1)


def make(n, c, h, w_, oc, kh, kw, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, c, h, w_)).astype(dtype),
            rng.standard_normal((oc, c, kh, kw)).astype(dtype),
            rng.standard_normal(oc).astype(dtype))


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


def check_against_reference(x, w, b, s, p, d, forward_scale=0.0, input_grad_scale=0.0,
                            weight_grad_scale=0.0):
    """forward_scale, input_grad_scale, weight_grad_scale: an absolute tolerance for the
    forward / the input gradient / the weight gradient of that fraction of its largest value on
    top of tol(dtype) (Winograd's transforms round differently from a direct sum)."""
    t = tol(x.dtype)

    def scaled(scale, ref):
        return dict(t, atol=t["atol"] + scale * np.abs(ref).max())

    y = conv(x, w, b, s, p, d)
    ref_y = ref_conv(x, w, b, s, p, d, 1)
    np.testing.assert_allclose(y, ref_y, **scaled(forward_scale, ref_y))
    ref_y0 = ref_conv(x, w, None, s, p, d, 1)
    np.testing.assert_allclose(conv(x, w, None, s, p, d), ref_y0, **scaled(forward_scale, ref_y0))
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    ref = ref_conv_grads(x, w, dy, s, p, d, 1)
    tols = [scaled(input_grad_scale, ref[0]), scaled(weight_grad_scale, ref[1]), t]
    fused, single = grads(x, w, dy, s, p, d)
    for got_f, got_s, want, tl in zip(fused, single, ref, tols):
        np.testing.assert_allclose(got_f, want, **tl)
        np.testing.assert_allclose(got_s, want, **tl)
    for want in [(False, True, True), (True, False, False), (False, False, True)]:
        for wanted, got, r, tl in zip(want, grads(x, w, dy, s, p, d, want)[0], ref, tols):
            assert (got is None) == (not wanted)
            if wanted:
                np.testing.assert_allclose(got, r, **tl)


# (N, C, H, W, OC, KH, KW, stride, pad, dilation): MNIST conv1, DCGAN's discriminator stem and
# the geometry of its generator's last transposed conv (a conv with 32 output channels whose
# input gradient is the transposed conv's output), output channels not a multiple of the
# register tile (8 on AVX-512), 1x1 outputs, a single output channel, column stride 3, K = 32
# exactly, dilation, padding wider than the kernel, a 3-channel stride-2 stem, and planes of
# more positions than one block (several blocks per image, the last partial).
CASES = [
    (3, 1, 28, 28, 32, 3, 3, (1, 1), (0, 0), (1, 1)),
    (2, 1, 28, 28, 32, 4, 4, (2, 2), (1, 1), (1, 1)),
    (2, 1, 9, 11, 13, 3, 3, (1, 1), (1, 1), (1, 1)),
    (1, 1, 1, 1, 1, 1, 1, (1, 1), (0, 0), (1, 1)),
    (2, 1, 3, 3, 9, 3, 3, (1, 1), (0, 0), (1, 1)),
    (2, 2, 7, 13, 5, 2, 3, (2, 3), (1, 2), (1, 1)),
    (1, 2, 9, 9, 17, 4, 4, (1, 1), (1, 1), (1, 1)),
    (2, 1, 12, 10, 7, 3, 3, (1, 2), (2, 1), (2, 2)),
    (1, 1, 5, 6, 3, 2, 2, (1, 1), (3, 3), (1, 1)),
    (2, 3, 15, 17, 8, 3, 3, (2, 2), (1, 1), (1, 1)),
    (1, 1, 70, 75, 10, 5, 5, (1, 1), (2, 2), (1, 1)),
    (1, 2, 48, 50, 3, 4, 4, (1, 1), (0, 1), (1, 1)),
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_k_matches_reference(case, dtype, isa):
    n, c, h, w_, oc, kh, kw, s, p, d = case
    x, w, b = make(n, c, h, w_, oc, kh, kw, dtype)
    check_against_reference(x, w, b, s, p, d)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), kh=st.integers(1, 4), kw=st.integers(1, 4),
       h=st.integers(1, 19), w_=st.integers(1, 37), oc=st.integers(1, 19),
       sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2),
       dh=st.integers(1, 2), dw=st.integers(1, 2), double=st.booleans())
def test_small_k_hypothesis_shapes(n, c, kh, kw, h, w_, oc, sh, sw, ph, pw, dh, dw, double):
    """Any small-K geometry (size-1 and odd sizes, strides, paddings, dilations) on every ISA."""
    if c * kh * kw > 32 or out_size(h, kh, sh, ph, dh) < 1 or out_size(w_, kw, sw, pw, dw) < 1:
        return
    x, w, b = make(n, c, h, w_, oc, kh, kw, np.float64 if double else np.float32)
    before = _C.cpu_isa()
    try:
        for isa in ("generic", "avx2", "avx512"):
            if ("generic", "avx2", "avx512").index(isa) <= \
                    ("generic", "avx2", "avx512").index(_C.cpu_isa_detected()):
                _C.set_cpu_isa(isa)
                check_against_reference(x, w, b, (sh, sw), (ph, pw), (dh, dw))
    finally:
        _C.set_cpu_isa(before)


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 1, 5, 9, 10)])
def test_small_k_matches_general_path(case, isa):
    """The same convolution with zero input channels appended (K > 32: im2col + GEMM, the
    general path) gives the same values up to summation order."""
    n, c, h, w_, oc, kh, kw, s, p, d = case
    x, w, b = make(n, c, h, w_, oc, kh, kw, np.float32)
    extra = 33 // (kh * kw) + 1 - c  # enough zero channels to pass K = 32
    xz = np.concatenate([x, np.zeros((n, extra, h, w_), np.float32)], axis=1)
    wz = np.concatenate([w, np.zeros((oc, extra, kh, kw), np.float32)], axis=1)
    assert xz.shape[1] * kh * kw > 32
    y = conv(x, w, b, s, p, d)
    np.testing.assert_allclose(y, conv(xz, wz, b, s, p, d), rtol=1e-5, atol=1e-4)
    dy = np.random.default_rng(3).standard_normal(y.shape).astype(np.float32)
    (dx, dw, db), _ = grads(x, w, dy, s, p, d)
    (dxz, dwz, dbz), _ = grads(xz, wz, dy, s, p, d)
    np.testing.assert_allclose(dx, dxz[:, :c], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(dw, dwz[:, :c], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, dbz, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 1, 2, 9, 10, 11)])
def test_small_k_thread_count_independent(case, isa, threads):
    n, c, h, w_, oc, kh, kw, s, p, d = case
    x, w, b = make(n + 2, c, h, w_, oc, kh, kw, np.float32)  # more tasks than threads
    dy = np.random.default_rng(2).standard_normal(conv(x, w, b, s, p, d).shape).astype(np.float32)
    outs = []
    for nt in (1, 2):
        threads(nt)
        fused, single = grads(x, w, dy, s, p, d)
        outs.append([conv(x, w, b, s, p, d), *fused, *single])
    for a, c_ in zip(*outs):
        np.testing.assert_array_equal(a, c_)


def _t(a):
    return pe.tensor(a, requires_grad=True)


def test_small_k_gradcheck_dcgan_pair():
    """Through autograd (float64): the discriminator's Conv2d(1, C, 4, 2, 1) and the generator's
    ConvTranspose2d(C, 1, 4, 2, 1), both on the small-K kernels."""
    rng = np.random.default_rng(4)
    x, w, b = _t(rng.standard_normal((2, 1, 6, 7))), _t(rng.standard_normal((3, 1, 4, 4))), \
        _t(rng.standard_normal(3))
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, stride=2, padding=1), [x, w, b])
    z, wt, bt = _t(rng.standard_normal((2, 3, 3, 4))), _t(rng.standard_normal((3, 1, 4, 4))), \
        _t(rng.standard_normal(1))
    assert gradcheck(lambda z_, w_, b_: F.conv_transpose2d(z_, w_, b_, stride=2, padding=1),
                     [z, wt, bt])


def test_small_k_conv_transpose_one_channel_matches_reference(isa):
    """DCGAN's last generator layer (32 -> 1, 4x4, stride 2, padding 1) is conv2d's input
    gradient: against the float64 reference, forward and the gradients of x, w and b."""
    rng = np.random.default_rng(6)
    z = rng.standard_normal((3, 32, 7, 7)).astype(np.float32)
    w = rng.standard_normal((32, 1, 4, 4)).astype(np.float32)
    b = rng.standard_normal(1).astype(np.float32)
    Z, W, B = _t(z), _t(w), _t(b)
    y = F.conv_transpose2d(Z, W, B, stride=2, padding=1)
    assert tuple(y.shape) == (3, 1, 14, 14)
    gy = rng.standard_normal((3, 1, 14, 14))
    # y is conv2d's input gradient for dy = z; z's gradient is conv2d(gy, w).
    ref_y, _, _ = ref_conv_grads(np.zeros((3, 1, 14, 14)), w, z, (2, 2), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(y.detach().numpy(), ref_y + b[0], rtol=1e-4, atol=1e-4)
    y.backward(pe.tensor(gy.astype(np.float32)))
    np.testing.assert_allclose(Z.grad.numpy(), ref_conv(gy, w, None, (2, 2), (1, 1), (1, 1), 1),
                               rtol=1e-4, atol=1e-4)
    _, ref_w, _ = ref_conv_grads(gy, w, z, (2, 2), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(W.grad.numpy(), ref_w, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(B.grad.numpy(), [gy.sum()], rtol=1e-4, atol=1e-4)
