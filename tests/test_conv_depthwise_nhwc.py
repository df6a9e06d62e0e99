"""Depthwise channels-last conv2d (csrc/conv/depthwise_nhwc_impl.h: channels vectorised, register
blocks of output pixels, the stride-1 input gradient as a flipped forward, 3x3 weight gradient
sums per row segment) against the NumPy float64 reference of test_conv_nhwc.py: channel counts
with and without a partial vector, borders, strides, dilation, asymmetric and wide padding, on
every ISA, 1 vs 2 threads bitwise, gradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import _C
from pyengine.testing import gradcheck
from test_conv_nhwc import ref_conv, ref_conv_grads

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


def run(x, w, b, s, pads, d, dy):
    """Forward and the three gradients through autograd, as NumPy arrays."""
    tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d_nhwc(tx, tw, tb, stride=s, padding=(pads[:2], pads[2:]), dilation=d,
                      groups=x.shape[3])
    y.backward(pe.tensor(dy))
    return [y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()]


def inputs(n, h, w, c, kh, kw, s, pads, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    wt = rng.standard_normal((kh, kw, 1, c)).astype(dtype)
    b = rng.standard_normal(c).astype(dtype)
    oh = (h + pads[0] + pads[1] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (w + pads[2] + pads[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    dy = np.random.default_rng(seed + 1).standard_normal((n, oh, ow, c)).astype(dtype)
    return x, wt, b, dy


def check(n, h, w, c, kh, kw, s, pads, d, dtype):
    x, wt, b, dy = inputs(n, h, w, c, kh, kw, s, pads, d, dtype)
    got = run(x, wt, b, s, pads, d, dy)
    want = [ref_conv(x, wt, b, s, pads, d, c), *ref_conv_grads(x, wt, dy, s, pads, d, c)]
    for g, r in zip(got, want):
        np.testing.assert_allclose(g, r, **TOL[dtype])


# (N, H, W, C, KH, KW, stride, pads (t, b, l, r), dilation): whole vectors of channels (16, 64),
# a partial one after whole ones (37), fewer than one (5); rows of fewer pixels than a register
# block; padding past the kernel (the flipped forward's negative padding); asymmetric 'same'
# padding; stride 2 (the scattered input gradient); dilation; 5x5 and 1x3 kernels (weight
# gradient on the general loop); a 1x1 image.
CASES = [
    (2, 9, 11, 16, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1)),
    (1, 7, 20, 37, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1)),
    (2, 6, 3, 5, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1)),
    (1, 5, 9, 32, 3, 3, (1, 1), (3, 2, 2, 3), (1, 1)),
    (2, 8, 8, 64, 3, 3, (1, 1), (0, 1, 0, 1), (1, 1)),
    (2, 8, 9, 48, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1)),
    (1, 12, 13, 21, 3, 3, (1, 1), (2, 2, 2, 2), (2, 2)),
    (2, 7, 10, 32, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1)),
    (1, 4, 9, 17, 1, 3, (1, 2), (0, 0, 1, 1), (1, 1)),
    (3, 1, 1, 16, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1)),
    (1, 3, 3, 16, 3, 3, (1, 1), (0, 0, 0, 0), (1, 1)),
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_nhwc_matches_reference(case, dtype, isa):
    check(*case, dtype)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 2), h=st.integers(1, 9), w=st.integers(1, 23), c=st.integers(1, 40),
       k=st.integers(1, 3), s=st.integers(1, 2), p=st.integers(0, 3), d=st.integers(1, 2),
       double=st.booleans())
def test_depthwise_nhwc_hypothesis_shapes(n, h, w, c, k, s, p, d, double):
    """Any depthwise geometry (size-1 and odd sizes, strides, padding, dilation) on every ISA."""
    if h + 2 * p < d * (k - 1) + 1 or w + 2 * p < d * (k - 1) + 1:
        return
    order = ("generic", "avx2", "avx512")
    before = _C.cpu_isa()
    try:
        for isa in order[:order.index(_C.cpu_isa_detected()) + 1]:
            _C.set_cpu_isa(isa)
            check(n, h, w, c, k, k, (s, s), (p, p, p, p), (d, d),
                  np.float64 if double else np.float32)
    finally:
        _C.set_cpu_isa(before)


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 1, 4, 5)])
def test_depthwise_nhwc_thread_count_independent(case, isa, threads):
    n, h, w, c, kh, kw, s, pads, d = case
    x, wt, b, dy = inputs(n + 40, h, w, c, kh, kw, s, pads, d, np.float32)  # several items
    outs = []
    for nt in (1, 2):
        threads(nt)
        outs.append(run(x, wt, b, s, pads, d, dy))
    for a, c_ in zip(*outs):
        np.testing.assert_array_equal(a, c_)


def test_depthwise_nhwc_gradcheck():
    rng = np.random.default_rng(3)
    x, w, b = (pe.tensor(rng.standard_normal(sh), requires_grad=True)
               for sh in ((2, 5, 6, 17), (3, 3, 1, 17), (17,)))
    assert gradcheck(lambda x_, w_, b_: F.conv2d_nhwc(x_, w_, b_, padding=((1, 1), (1, 1)),
                                                      groups=17), [x, w, b])
