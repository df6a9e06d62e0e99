"""Small dense channels-last conv2d (groups 1, K = KH*KW*C <= 27: the RGB first layer), the
paths of csrc/conv/small_k_nhwc_impl.h — the 3x3 stride-1 forward as Winograd F(4, 3) along the
rows (1-3 input channels, whole and partial 4-pixel tiles, 16-48 output channels), the weight
and bias gradient through a zero-padded copy of each image (window rows of KW*C == 9
contiguous values) — against the NumPy float64
reference, against the general path (the same layer with zero input channels appended, which
takes it off the small-K kernels), on every ISA, both dtypes, 1 vs 2 threads bitwise, each
gradient asked for alone, and through gradcheck."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.backend import cpu as backend
from pyengine.testing import gradcheck
from test_conv_nhwc import ref_conv, ref_conv_grads

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}

# (N, H, W, C, KH, KW, OC, stride, pads (t, b, l, r)): CIFAR's layer on fewer images, no
# padding, Keras 'same' on an even size (asymmetric), padding wider than the kernel reach, stride
# 2, odd widths, a 1x9 kernel on one channel and a 1x1 kernel on 9 channels (both KW*C == 9),
# a 1x1 image, 16 output channels.
CASES = [
    (2, 32, 32, 3, 3, 3, 32, (1, 1), (1, 1, 1, 1)),
    (3, 7, 10, 3, 3, 3, 16, (1, 1), (0, 0, 0, 0)),
    (2, 9, 14, 3, 3, 3, 32, (1, 1), (0, 1, 0, 1)),
    (1, 6, 5, 3, 3, 3, 32, (1, 1), (2, 1, 3, 2)),
    (2, 11, 9, 3, 3, 3, 16, (2, 2), (1, 1, 1, 1)),
    (1, 5, 17, 3, 3, 3, 32, (1, 1), (1, 1, 1, 1)),
    (2, 8, 12, 1, 1, 9, 32, (1, 1), (0, 0, 4, 4)),
    (2, 7, 7, 9, 1, 1, 16, (2, 1), (0, 0, 0, 0)),
    (1, 1, 1, 3, 3, 3, 32, (1, 1), (1, 1, 1, 1)),
    (2, 6, 9, 2, 3, 3, 48, (1, 1), (1, 1, 1, 1)),
    (2, 5, 11, 1, 3, 3, 16, (1, 1), (0, 2, 1, 0)),
]


def inputs(case, dtype, seed=0):
    n, h, w, c, kh, kw, oc, s, pads = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    wt = rng.standard_normal((kh, kw, c, oc)).astype(dtype)
    b = rng.standard_normal(oc).astype(dtype)
    oh = (h + pads[0] + pads[1] - kh) // s[0] + 1
    ow = (w + pads[2] + pads[3] - kw) // s[1] + 1
    dy = rng.standard_normal((n, oh, ow, oc)).astype(dtype)
    return x, wt, b, dy


def run(x, w, b, dy, s, pads):
    """Forward and the three gradients through autograd, as NumPy arrays."""
    tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d_nhwc(tx, tw, tb, stride=s, padding=(pads[:2], pads[2:]))
    y.backward(pe.tensor(dy))
    return [y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_nhwc_matches_reference(case, dtype, isa):
    x, w, b, dy = inputs(case, dtype)
    s, pads = case[7], case[8]
    got = run(x, w, b, dy, s, pads)
    want = [ref_conv(x, w, b, s, pads, (1, 1), 1), *ref_conv_grads(x, w, dy, s, pads, (1, 1), 1)]
    for g, r in zip(got, want):
        np.testing.assert_allclose(g, r, **TOL[dtype])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_nhwc_matches_general_path(case, dtype, isa):
    """Zero input channels appended (K > 27: im2col + GEMM) give the same layer."""
    x, w, b, dy = inputs(case, dtype)
    s, pads = case[7], case[8]
    kh, kw, c = w.shape[:3]
    extra = -(-28 // (kh * kw)) - c if kh * kw * c <= 27 else 0
    x2 = np.concatenate([x, np.zeros(x.shape[:3] + (extra,), dtype)], axis=3)
    w2 = np.concatenate([w, np.zeros((kh, kw, extra, w.shape[3]), dtype)], axis=2)
    got, gen = run(x, w, b, dy, s, pads), run(x2, w2, b, dy, s, pads)
    eps = 1e-5 if dtype == np.float32 else 1e-12  # sums of 2000 products in another order
    for g, r in zip(got, [gen[0], gen[1][..., :c], gen[2][:, :, :c], gen[3]]):
        np.testing.assert_allclose(g, r, rtol=eps, atol=eps * max(1.0, float(np.abs(r).max())))


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 2, 4, 6)])
def test_small_nhwc_single_gradients(case, isa):
    """dw alone, db alone, both: the same values as all three together."""
    x, w, b, dy = inputs(case, np.float32)
    s, pads = case[7], case[8]
    args = (s, pads, (1, 1), 1)
    _, dw, db = backend.conv2d_nhwc_backward(x, dy, w, True, True, True, *args)
    for need in [(False, True, False), (False, False, True), (False, True, True)]:
        got = backend.conv2d_nhwc_backward(x, dy, w, *need, *args)
        assert got[0] is None
        for g, want, wanted in zip(got[1:], (dw, db), need[1:]):
            if wanted:
                np.testing.assert_array_equal(g, want)
            else:
                assert g is None


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 2, 4, 6, 7)])
def test_small_nhwc_thread_count_independent(case, isa, threads):
    n = case[0] + 37  # several items and weight-gradient chunks
    x, w, b, dy = inputs((n,) + case[1:], np.float32)
    outs = []
    for nt in (1, 2):
        threads(nt)
        outs.append(run(x, w, b, dy, case[7], case[8]))
    for a, c in zip(*outs):
        np.testing.assert_array_equal(a, c)


def test_small_nhwc_gradcheck():
    rng = np.random.default_rng(5)
    x, w, b = (pe.tensor(rng.standard_normal(sh), requires_grad=True)
               for sh in ((2, 6, 7, 3), (3, 3, 3, 16), (16,)))
    assert gradcheck(lambda x_, w_, b_: F.conv2d_nhwc(x_, w_, b_, padding=((1, 0), (1, 1))),
                     [x, w, b])
