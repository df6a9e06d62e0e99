"""The one-input-channel conv2d forward (csrc/conv/conv_direct_one_channel.h: groups 1, C == 1,
16 taps or more — DCGAN's 1 -> 32 4x4 stride-2 stem, LeNet's 5x5) against the NumPy float64
reference, against the small-K path on the same values, on every ISA and 1 vs 2 threads bitwise.
Each case first checks that conv2d chooses that kernel (_C.conv2d_algorithms)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pyengine import _C
from test_conv import out_size, ref_conv
from test_conv_batch_lanes import each_isa
from test_conv_small_k import conv, make, tol


def forward_algorithm(x, w, s, p, d):
    return _C.conv2d_algorithms(x, w, s[0], s[1], p[0], p[1], d[0], d[1], 1)[0]


def check_forward(x, w, b, s, p, d):
    assert forward_algorithm(x, w, s, p, d) == "direct"
    for bias in (b, None):
        np.testing.assert_allclose(conv(x, w, bias, s, p, d), ref_conv(x, w, bias, s, p, d, 1),
                                   **tol(x.dtype))


# (N, H, W, OC, KH, KW, stride, pad, dilation): DCGAN's stem, output channels past a block of
# 16 (33: a block of one) and fewer than one (5), LeNet's 5x5 pad 2, 7x7 (49 taps: K above
# small-K's 32), rows of several column blocks (40 wide: 2 + a partial), planes smaller than one
# vector (1x1 and 2x3 outputs: every store masked), a 2x8 kernel, unequal strides and paddings,
# dilation, and column stride 3 (three phase planes).
CASES = [
    (2, 28, 28, 32, 4, 4, (2, 2), (1, 1), (1, 1)),
    (3, 14, 14, 33, 4, 4, (2, 2), (1, 1), (1, 1)),
    (2, 9, 9, 5, 4, 4, (1, 1), (0, 0), (1, 1)),
    (2, 28, 28, 6, 5, 5, (1, 1), (2, 2), (1, 1)),
    (1, 14, 14, 20, 7, 7, (1, 1), (3, 3), (1, 1)),
    (2, 20, 83, 17, 4, 4, (1, 2), (1, 2), (1, 1)),
    (2, 4, 4, 18, 4, 4, (1, 1), (0, 0), (1, 1)),
    (1, 5, 7, 3, 4, 4, (1, 2), (0, 0), (1, 1)),
    (2, 11, 30, 16, 2, 8, (1, 1), (0, 3), (1, 1)),
    (2, 17, 23, 9, 4, 5, (2, 3), (2, 1), (2, 1)),
    (2, 19, 47, 12, 4, 4, (3, 3), (0, 2), (1, 2)),
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_channel_matches_reference(case, dtype, isa):
    n, h, w_, oc, kh, kw, s, p, d = case
    x, w, b = make(n, 1, h, w_, oc, kh, kw, dtype)
    check_forward(x, w, b, s, p, d)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), kh=st.integers(2, 7), kw=st.integers(2, 7), h=st.integers(1, 30),
       w_=st.integers(1, 45), oc=st.integers(1, 40), sh=st.integers(1, 3), sw=st.integers(1, 3),
       ph=st.integers(0, 3), pw=st.integers(0, 3), dh=st.integers(1, 2), dw=st.integers(1, 2),
       double=st.booleans())
def test_one_channel_hypothesis_shapes(n, kh, kw, h, w_, oc, sh, sw, ph, pw, dh, dw, double):
    """Any geometry with 16 taps or more (odd and size-1 planes, strides, paddings, dilations)
    on every ISA."""
    if kh * kw < 16 or out_size(h, kh, sh, ph, dh) < 1 or out_size(w_, kw, sw, pw, dw) < 1:
        return
    x, w, b = make(n, 1, h, w_, oc, kh, kw, np.float64 if double else np.float32)
    for _ in each_isa():
        check_forward(x, w, b, (sh, sw), (ph, pw), (dh, dw))


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 1, 5, 9)])
def test_one_channel_matches_small_k(case, isa):
    """The same convolution with a zero second input channel (2 x 16 taps: the small-K im2col
    path, im2col past 32) gives the same values up to summation order."""
    n, h, w_, oc, kh, kw, s, p, d = case
    x, w, b = make(n, 1, h, w_, oc, kh, kw, np.float32)
    xz = np.concatenate([x, np.zeros_like(x)], axis=1)
    wz = np.concatenate([w, np.zeros_like(w)], axis=1)
    assert _C.conv2d_algorithms(xz, wz, *s, *p, *d, 1)[0] in ("small_k", "im2col_image_blocks")
    np.testing.assert_allclose(conv(x, w, b, s, p, d), conv(xz, wz, b, s, p, d),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 1, 5)])
def test_one_channel_thread_count_independent(case, isa, threads):
    n, h, w_, oc, kh, kw, s, p, d = case
    x, w, b = make(n + 3, 1, h, w_, oc, kh, kw, np.float32)  # more images than threads
    outs = []
    for nt in (1, 2):
        threads(nt)
        outs.append(conv(x, w, b, s, p, d))
    np.testing.assert_array_equal(*outs)


def test_one_channel_dispatch_bounds():
    """16 taps or more; 3x3 (9 taps) stays on small-K."""
    x = np.zeros((2, 1, 28, 28), np.float32)
    for k, want in ((3, "small_k"), (4, "direct"), (5, "direct")):
        assert forward_algorithm(x, np.zeros((8, 1, k, k), np.float32), (1, 1), (0, 0),
                                 (1, 1)) == want
