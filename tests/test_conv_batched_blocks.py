"""NCHW im2col + GEMM convolutions on small planes, where one block of output positions spans
several images (csrc/conv/conv2d.cpp, image_blocks): forward, input, weight and bias gradients
against the NumPy float64 reference on every ISA path, bitwise equal for 1, 2 and 3 threads, and
gradcheck through F.conv2d / F.conv_transpose2d."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import _C
from pyengine.testing import gradcheck
from test_conv import (isa, make, ref_conv, ref_conv_grads, run_conv,  # noqa: F401
                       run_fused, run_grads)

# (N, C, H, W, OC, KH, KW, stride, pad, dilation, groups). Every case takes the im2col + GEMM
# path (groups > 1 or C * KH * KW > 32, more than 4 channels per group, not Winograd) with at
# least two whole images per column block, so blocks hold several images; batch sizes that do
# not divide into the blocks evenly. With groups 1, fewer than 8 channels on one side: with 8 or
# more on both, batches like these run on the batch-lane kernels instead (test_conv_batch_lanes).
CONFIGS = [
    # DCGAN's discriminator shapes, scaled down: 4x4 stride 2 to 7x7, 3x3 stride 2 to 4x4
    (10, 32, 14, 14, 7, 4, 4, (2, 2), (1, 1), (1, 1), 1),
    (13, 7, 7, 7, 24, 3, 3, (2, 2), (1, 1), (1, 1), 1),
    (7, 65, 7, 7, 7, 3, 3, (2, 2), (1, 1), (1, 1), 1),
    # more blocks (20) than weight-gradient chunks (16): a chunk runs several blocks of images
    (130, 32, 14, 14, 7, 4, 4, (2, 2), (1, 1), (1, 1), 1),
    # groups, asymmetric kernel and padding
    (9, 12, 6, 6, 8, 2, 3, (1, 1), (1, 0), (1, 1), 2),
    (5, 24, 5, 6, 9, 3, 3, (2, 1), (1, 1), (1, 1), 3),
    # stride / padding / dilation
    (7, 8, 9, 8, 6, 3, 3, (1, 2), (2, 1), (2, 1), 1),
    (6, 10, 8, 8, 5, 2, 2, (3, 3), (0, 1), (2, 2), 1),
    # 1x1: pointwise (no im2col per image any more when blocks span images) and strided
    (11, 40, 5, 5, 7, 1, 1, (1, 1), (0, 0), (1, 1), 1),
    (9, 36, 6, 7, 10, 1, 1, (2, 2), (0, 0), (1, 1), 2),
    # batch 1 (one image per block, the per-image path) and batch 2
    (1, 32, 7, 7, 16, 3, 3, (2, 2), (1, 1), (1, 1), 1),
    (2, 32, 7, 7, 16, 4, 4, (2, 2), (1, 1), (1, 1), 1),
    # one output position per image
    (6, 20, 3, 3, 7, 3, 3, (1, 1), (0, 0), (1, 1), 1),
]


def _tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batched_blocks_match_reference(cfg, dtype, isa):  # noqa: F811
    x, w, b, s, p, d, groups = make(cfg, dtype)
    assert set(_C.conv2d_algorithms(x, w, *s, *p, *d, groups)) <= {"im2col_image_blocks",
                                                                   "im2col"}
    y = run_conv(x, w, b, s, p, d, groups)
    np.testing.assert_allclose(y, ref_conv(x, w, b, s, p, d, groups), **_tol(dtype))
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    want = ref_conv_grads(x, w, dy, s, p, d, groups)
    for got, ref in zip(run_grads(x, w, dy, s, p, d, groups), want):
        np.testing.assert_allclose(got, ref, **_tol(dtype))
    for got, ref in zip(run_fused(x, w, dy, s, p, d, groups), want):
        np.testing.assert_allclose(got, ref, **_tol(dtype))


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batched_blocks_thread_count_independent(cfg, dtype):
    x, w, b, s, p, d, groups = make(cfg, dtype)
    dy = np.random.default_rng(2).standard_normal(run_conv(x, w, b, s, p, d, groups).shape)
    dy = dy.astype(dtype)
    prev = _C.get_num_threads()
    try:
        outs = []
        for nt in (1, 2, 3):
            _C.set_num_threads(nt)
            outs.append([run_conv(x, w, b, s, p, d, groups), *run_grads(x, w, dy, s, p, d, groups),
                         *run_fused(x, w, dy, s, p, d, groups)])
    finally:
        _C.set_num_threads(prev)
    for other in outs[1:]:
        for a, c in zip(outs[0], other):
            np.testing.assert_array_equal(a, c)


def _t(a):
    return pe.tensor(a, dtype=pe.float64, requires_grad=True)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1), dict(stride=2, padding=1, groups=2),
                                dict(dilation=2, padding=1)])
def test_batched_blocks_gradcheck(kw):
    """9 images in 4 blocks of 2-3 (float64, K = 54 or 27 per group)."""
    rng = np.random.default_rng(3)
    x = _t(rng.standard_normal((9, 6, 4, 4)))
    w = _t(rng.standard_normal((4, 6 // kw.get("groups", 1), 3, 3)))
    b = _t(rng.standard_normal(4))
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, **kw), [x, w, b])


def test_batched_blocks_conv_transpose_gradcheck():
    """The DCGAN generator's form: a transposed conv's forward is conv2d's input gradient."""
    rng = np.random.default_rng(4)
    x = _t(rng.standard_normal((9, 6, 3, 3)))
    w = _t(rng.standard_normal((6, 5, 4, 4)))
    b = _t(rng.standard_normal(5))
    assert gradcheck(lambda x_, w_, b_: F.conv_transpose2d(x_, w_, b_, stride=2, padding=1),
                     [x, w, b])
