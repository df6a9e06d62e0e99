"""conv2d kernels (pyengine._C) against a NumPy float64 reference: forward, input/weight/bias
gradients, every ISA path, 1 vs 2 threads bitwise, finite differences, bad input."""
import numpy as np
import pytest

from pyengine import _C

ISAS = ["generic", "avx2", "avx512"]
_RANK = {n: i for i, n in enumerate(ISAS)}


def available_isas():
    top = _RANK[_C.cpu_isa_detected()]
    return [n for n in ISAS if _RANK[n] <= top]


@pytest.fixture(params=ISAS)
def isa(request):
    if request.param not in available_isas():
        pytest.skip(f"CPU lacks {request.param}")
    prev = _C.cpu_isa()
    _C.set_cpu_isa(request.param)
    yield request.param
    _C.set_cpu_isa(prev)


def out_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _taps(xp, i, j, oh, ow, s, d):
    """View of the padded input seen by kernel tap (i, j): (N, C, OH, OW)."""
    (sh, sw), (dh, dw) = s, d
    return xp[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw]


def ref_conv(x, w, b, s, p, d, groups):
    x, w = x.astype(np.float64), w.astype(np.float64)
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    oh, ow = out_size(h, kh, s[0], p[0], d[0]), out_size(wd, kw, s[1], p[1], d[1])
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    y = np.zeros((n, oc, oh, ow))
    og = oc // groups
    for g in range(groups):
        xs, ws = xp[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                y[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", _taps(xs, i, j, oh, ow, s, d),
                                                      ws[:, :, i, j])
    return y if b is None else y + b.astype(np.float64)[None, :, None, None]


def ref_conv_grads(x, w, dy, s, p, d, groups):
    x, w, dy = x.astype(np.float64), w.astype(np.float64), dy.astype(np.float64)
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    oh, ow = dy.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    og = oc // groups
    for g in range(groups):
        xs, ws, dys = xp[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og], dy[:, g * og:(g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                dw[g * og:(g + 1) * og, :, i, j] = np.einsum("nohw,nchw->oc", dys,
                                                             _taps(xs, i, j, oh, ow, s, d))
                _taps(dxp[:, g * cg:(g + 1) * cg], i, j, oh, ow, s, d)[...] += np.einsum(
                    "nohw,oc->nchw", dys, ws[:, :, i, j])
    dx = dxp[:, :, p[0]:p[0] + h, p[1]:p[1] + wd]
    return dx, dw, dy.sum(axis=(0, 2, 3))


def run_conv(x, w, b, s, p, d, groups):
    oh = out_size(x.shape[2], w.shape[2], s[0], p[0], d[0])
    ow = out_size(x.shape[3], w.shape[3], s[1], p[1], d[1])
    y = np.empty((x.shape[0], w.shape[0], oh, ow), x.dtype)
    _C.conv2d_forward(x, w, b, y, s[0], s[1], p[0], p[1], d[0], d[1], groups)
    return y


def run_fused(x, w, dy, s, p, d, groups, want=(True, True, True)):
    """conv2d_backward: the three gradients from one call, None where not wanted."""
    dx = np.empty_like(x) if want[0] else None
    dw = np.empty_like(w) if want[1] else None
    db = np.empty(w.shape[0], x.dtype) if want[2] else None
    _C.conv2d_backward(x, dy, w, dx, dw, db, s[0], s[1], p[0], p[1], d[0], d[1], groups)
    return dx, dw, db


def run_grads(x, w, dy, s, p, d, groups):
    dx, dw, db = np.empty_like(x), np.empty_like(w), np.empty(w.shape[0], x.dtype)
    _C.conv2d_backward_input(dy, w, dx, s[0], s[1], p[0], p[1], d[0], d[1], groups)
    _C.conv2d_backward_weight(x, dy, dw, s[0], s[1], p[0], p[1], d[0], d[1], groups)
    _C.conv2d_backward_bias(dy, db)
    return dx, dw, db


# (N, C, H, W, OC, KH, KW, stride, pad, dilation, groups): covers 1x1 (no im2col), general
# im2col, groups, depthwise and the one-channel direct path, strides/dilations/asymmetry.
CONFIGS = [
    (2, 3, 9, 8, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (3, 4, 7, 7, 6, 1, 1, (1, 1), (0, 0), (1, 1), 1),
    (2, 4, 8, 9, 6, 1, 1, (2, 1), (0, 1), (1, 1), 2),
    (1, 6, 10, 11, 4, 3, 2, (2, 3), (1, 0), (2, 1), 2),
    (4, 8, 6, 6, 8, 3, 3, (1, 1), (1, 1), (1, 1), 8),
    (2, 4, 9, 7, 8, 3, 3, (2, 2), (2, 1), (1, 2), 4),
    (5, 1, 12, 10, 7, 3, 3, (1, 1), (0, 0), (1, 1), 1),
    (2, 1, 9, 9, 3, 5, 4, (2, 1), (2, 1), (1, 1), 1),
    (1, 3, 5, 5, 2, 5, 5, (1, 1), (0, 0), (1, 1), 1),
    (17, 2, 5, 4, 3, 2, 2, (1, 1), (1, 1), (1, 1), 1),
    (2, 6, 9, 8, 12, 3, 2, (1, 1), (2, 1), (2, 3), 6),
    # K * OW large enough that im2col runs in several row blocks
    (2, 64, 12, 20, 8, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (1, 64, 13, 20, 6, 3, 3, (2, 1), (1, 1), (1, 1), 2),
    # Direct kernels (one input channel per output channel), stride 1: depthwise with rows not a
    # multiple of the 4-row blocks and columns in 16-wide blocks plus a tail; a one-channel
    # first layer whose output rows are exactly one block wide; padding past the kernel's reach
    # (the row-loop fallback); dilation (runtime taps); 5x5; more images than one chunk of
    # per-image weight-gradient partials (64).
    (2, 4, 19, 37, 4, 3, 3, (1, 1), (1, 1), (1, 1), 4),
    (2, 1, 18, 18, 5, 3, 3, (1, 1), (0, 0), (1, 1), 1),
    (1, 2, 6, 7, 4, 3, 3, (1, 1), (3, 2), (1, 1), 2),
    (2, 3, 11, 20, 6, 3, 3, (1, 1), (2, 2), (2, 2), 3),
    (2, 2, 9, 10, 2, 5, 5, (1, 1), (2, 2), (1, 1), 2),
    (67, 1, 5, 6, 2, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    # Direct kernels with 2-4 input channels per group (stride 1, output rows >= 16): RGB-like,
    # grouped, 5x5 with dilation, and padding past the kernel's reach (row-loop fallback).
    (2, 3, 10, 18, 5, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (2, 4, 7, 17, 6, 3, 3, (1, 1), (0, 1), (1, 1), 2),
    (1, 4, 12, 22, 3, 5, 5, (1, 1), (2, 2), (2, 1), 1),
    (1, 3, 6, 20, 2, 3, 3, (1, 1), (3, 1), (1, 1), 1),
    # Direct forward with a column stride of 3 (three column phases), padding and dilation.
    (2, 2, 11, 25, 4, 3, 3, (1, 3), (1, 2), (1, 2), 2),
    # Stride 2 with rows long enough for the vector deinterleave, even and odd column padding.
    (2, 3, 9, 70, 3, 3, 3, (2, 2), (1, 0), (1, 1), 3),
    (1, 2, 8, 41, 4, 3, 3, (1, 2), (1, 1), (1, 1), 2),
    # Strided direct forward with 2-4 channels (backward on im2col): the 3x3 stride-2 form, and
    # a column stride of 3.
    (2, 3, 9, 36, 4, 3, 3, (2, 2), (1, 1), (1, 1), 1),
    (1, 4, 7, 52, 2, 3, 3, (1, 3), (1, 1), (1, 1), 2),
    # 3x3 weight gradient without an input gradient, 2 output channels at a time (AVX-512):
    # 7 = 3 x 2 + 1 output channels, rows of a full block and a tail, more images than one chunk
    # of per-image partials.
    (67, 2, 6, 20, 7, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    # The CIFAR-like first layer: 3 channels, padding 1, output rows of two whole vectors, an
    # even number of output channels (forward and weight gradient 2 channels at a time).
    (3, 3, 13, 32, 8, 3, 3, (1, 1), (1, 1), (1, 1), 1),
]


def make(cfg, dtype, seed=0):
    n, c, h, w_, oc, kh, kw, s, p, d, groups = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w_)).astype(dtype)
    w = rng.standard_normal((oc, c // groups, kh, kw)).astype(dtype)
    b = rng.standard_normal(oc).astype(dtype)
    return x, w, b, s, p, d, groups


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_matches_reference(cfg, dtype, isa):
    x, w, b, s, p, d, groups = make(cfg, dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    y = run_conv(x, w, b, s, p, d, groups)
    np.testing.assert_allclose(y, ref_conv(x, w, b, s, p, d, groups), **tol)
    np.testing.assert_allclose(run_conv(x, w, None, s, p, d, groups),
                               ref_conv(x, w, None, s, p, d, groups), **tol)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    for got, want in zip(run_grads(x, w, dy, s, p, d, groups),
                         ref_conv_grads(x, w, dy, s, p, d, groups)):
        np.testing.assert_allclose(got, want, **tol)


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("want", [(True, True, True), (False, True, True), (True, False, False),
                                  (False, False, True)])
def test_conv2d_backward_all_at_once(cfg, dtype, want, isa):
    """conv2d_backward (one pass over dy for the direct kernels) against the reference, with
    any subset of the gradients asked for."""
    x, w, b, s, p, d, groups = make(cfg, dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    dy = np.random.default_rng(1).standard_normal(run_conv(x, w, b, s, p, d, groups).shape)
    dy = dy.astype(dtype)
    for wanted, got, ref in zip(want, run_fused(x, w, dy, s, p, d, groups, want),
                                ref_conv_grads(x, w, dy, s, p, d, groups)):
        assert (got is None) == (not wanted)
        if wanted:
            np.testing.assert_allclose(got, ref, **tol)


@pytest.mark.parametrize("cfg", [CONFIGS[i] for i in (0, 3, 4, 6, 9, 10, 11, 12, 13, 14, 15, 16,
                                                      17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                                                      27, 28, 29)])
def test_conv2d_thread_count_independent(cfg):
    x, w, b, s, p, d, groups = make(cfg, np.float32)
    dy = np.random.default_rng(2).standard_normal(run_conv(x, w, b, s, p, d, groups).shape)
    dy = dy.astype(np.float32)
    prev = _C.get_num_threads()
    try:
        outs = []
        for nt in (1, 2):
            _C.set_num_threads(nt)
            outs.append([run_conv(x, w, b, s, p, d, groups), *run_grads(x, w, dy, s, p, d, groups),
                         *run_fused(x, w, dy, s, p, d, groups)])
    finally:
        _C.set_num_threads(prev)
    for a, c in zip(*outs):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("cg", [2, 3, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_direct_channel_blocks_match_one_channel(cg, dtype, isa):
    """The 3x3 direct forward and weight gradient with 2-4 input channels take 2 output
    channels per pass (AVX-512); each output channel alone takes the one-channel form. Both add
    the same products in the same order: bitwise equal, for a pair-sized and an odd count."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, cg, 11, 33)).astype(dtype)
    for oc in (2, 5):
        w = rng.standard_normal((oc, cg, 3, 3)).astype(dtype)
        b = rng.standard_normal(oc).astype(dtype)
        y = run_conv(x, w, b, (1, 1), (1, 1), (1, 1), 1)
        dy = rng.standard_normal(y.shape).astype(dtype)
        _, dw, db = run_fused(x, w, dy, (1, 1), (1, 1), (1, 1), 1, (False, True, True))
        for o in range(oc):
            yo = run_conv(x, w[o:o + 1], b[o:o + 1], (1, 1), (1, 1), (1, 1), 1)
            np.testing.assert_array_equal(y[:, o:o + 1], yo)
            _, dwo, dbo = run_fused(x, w[o:o + 1], np.ascontiguousarray(dy[:, o:o + 1]), (1, 1),
                                    (1, 1), (1, 1), 1, (False, True, True))
            np.testing.assert_array_equal(dw[o:o + 1], dwo)
            np.testing.assert_array_equal(db[o:o + 1], dbo)


# Winograd F(2x2, 3x3) geometries (3x3, stride 1, dilation 1, >= 16 channels per group, >= 128
# output tiles, so forward, input gradient and weight gradient all take it; conv2d.cpp): odd and
# even H/W (edge tiles cropped), padding 0 / 1 / 2 / 3 (the input gradient then has negative
# padding) and asymmetric pairs, batch 1, groups, and enough tiles for several blocks and
# several weight-gradient chunks (the last config).
WINOGRAD_CONFIGS = [
    (2, 16, 17, 16, 16, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (1, 16, 26, 25, 24, 3, 3, (1, 1), (0, 0), (1, 1), 1),
    (4, 24, 10, 11, 16, 3, 3, (1, 1), (2, 2), (1, 1), 1),
    (3, 16, 14, 13, 16, 3, 3, (1, 1), (2, 0), (1, 1), 1),
    (4, 16, 13, 14, 16, 3, 3, (1, 1), (0, 1), (1, 1), 1),
    (4, 32, 12, 12, 32, 3, 3, (1, 1), (1, 1), (1, 1), 2),
    (3, 16, 9, 9, 16, 3, 3, (1, 1), (3, 3), (1, 1), 1),
    (64, 32, 13, 13, 64, 3, 3, (1, 1), (0, 0), (1, 1), 1),
]


@pytest.mark.parametrize("cfg", WINOGRAD_CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_winograd_matches_reference(cfg, dtype, isa):
    """Winograd's transforms add up to 9 terms per element, and halve some: float64 stays within
    1e-10; float32 within the same 1e-4 as im2col (measured errors are ~1e-6 of the largest
    output)."""
    x, w, b, s, p, d, groups = make(cfg, dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    y = run_conv(x, w, b, s, p, d, groups)
    np.testing.assert_allclose(y, ref_conv(x, w, b, s, p, d, groups), **tol)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    for got, want in zip(run_grads(x, w, dy, s, p, d, groups),
                         ref_conv_grads(x, w, dy, s, p, d, groups)):
        scale = max(1.0, float(np.abs(want).max()))  # dw sums over the batch: large entries
        np.testing.assert_allclose(got, want, rtol=tol["rtol"], atol=tol["atol"] * scale)


@pytest.mark.parametrize("cfg", [WINOGRAD_CONFIGS[i] for i in (0, 2, 5, 7)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_winograd_thread_count_independent(cfg, dtype):
    x, w, b, s, p, d, groups = make(cfg, dtype)
    dy = np.random.default_rng(2).standard_normal(run_conv(x, w, b, s, p, d, groups).shape)
    dy = dy.astype(dtype)
    prev = _C.get_num_threads()
    try:
        outs = []
        for nt in (1, 2, 3):
            _C.set_num_threads(nt)
            outs.append([run_conv(x, w, b, s, p, d, groups), *run_grads(x, w, dy, s, p, d, groups)])
    finally:
        _C.set_num_threads(prev)
    for other in outs[1:]:
        for a, c in zip(outs[0], other):
            np.testing.assert_array_equal(a, c)


def test_conv2d_finite_differences():
    """Backward kernels are the gradient of the forward kernel (float64, central differences)."""
    x, w, b, s, p, d, groups = make((2, 4, 6, 5, 4, 3, 2, (2, 1), (1, 1), (1, 2), 2), np.float64)
    dy = np.random.default_rng(3).standard_normal(run_conv(x, w, b, s, p, d, groups).shape)
    dx, dw, db = run_grads(x, w, dy, s, p, d, groups)
    loss = lambda x_, w_, b_: float((run_conv(x_, w_, b_, s, p, d, groups) * dy).sum())
    eps = 1e-6
    rng = np.random.default_rng(4)
    for arr, grad in ((x, dx), (w, dw), (b, db)):
        for _ in range(6):
            k = tuple(rng.integers(0, m) for m in arr.shape)
            old = arr[k]
            arr[k] = old + eps
            up = loss(x, w, b)
            arr[k] = old - eps
            down = loss(x, w, b)
            arr[k] = old
            assert abs((up - down) / (2 * eps) - grad[k]) < 1e-6 * max(1.0, abs(grad[k]))


def test_conv2d_empty_batch():
    x = np.zeros((0, 2, 5, 5), np.float32)
    w = np.ones((3, 2, 3, 3), np.float32)
    assert run_conv(x, w, None, (1, 1), (0, 0), (1, 1), 1).shape == (0, 3, 3, 3)
    dw = np.full_like(w, 7)
    _C.conv2d_backward_weight(x, np.zeros((0, 3, 3, 3), np.float32), dw, 1, 1, 0, 0, 1, 1, 1)
    assert not dw.any()


def _fwd(x, w, b=None, s=(1, 1), p=(0, 0), d=(1, 1), groups=1, out_shape=None):
    y = np.empty(out_shape or (1,) * 4, np.float32)
    _C.conv2d_forward(x, w, b, y, s[0], s[1], p[0], p[1], d[0], d[1], groups)


@pytest.mark.parametrize("kwargs,match", [
    (dict(w=np.ones((4, 4, 3, 3), np.float32)), r"input has 3 channels but weight expects 4"),
    (dict(w=np.ones((4, 1, 3, 3), np.float32), groups=2), r"groups=2 does not divide the 3 input"),
    (dict(w=np.ones((4, 3, 9, 3), np.float32)), r"larger than the padded input"),
    (dict(w=np.ones((4, 3, 3, 3), np.float32), s=(0, 1)), r"stride must be positive"),
    (dict(w=np.ones((4, 3, 3, 3), np.float32), d=(1, -1)), r"dilation must be positive"),
    (dict(w=np.ones((4, 3, 3, 3), np.float32), p=(-1, 0)), r"padding must be non-negative"),
    (dict(w=np.ones((4, 3, 3), np.float32)), r"weight must be 4-D"),
    (dict(x=np.ones((3, 8, 8), np.float32), w=np.ones((4, 3, 3, 3), np.float32)), r"input must be 4-D"),
    (dict(w=np.ones((4, 3, 3, 3), np.float32)), r"out has shape"),
    (dict(w=np.ones((4, 3, 3, 3), np.float32), b=np.ones(5, np.float32),
          out_shape=(2, 4, 6, 6)), r"bias has shape"),
])
def test_conv2d_bad_input(kwargs, match):
    kwargs.setdefault("x", np.ones((2, 3, 8, 8), np.float32))
    with pytest.raises(ValueError, match=r"^\[conv2d\] .*" + match):
        _fwd(**kwargs)


def test_conv2d_bad_dtype():
    with pytest.raises(TypeError, match=r"^\[conv2d\]"):
        _fwd(np.ones((2, 3, 8, 8), np.float32), np.ones((4, 3, 3, 3), np.float64))


# ---- pe.nn.functional: argument forms, autograd wiring, gradcheck ----------------------------
import pyengine as pe  # noqa: E402
import pyengine.nn.functional as F  # noqa: E402
from pyengine.testing import gradcheck  # noqa: E402


def _t(a, grad=True):
    return pe.tensor(a, dtype=pe.float64, requires_grad=grad)


@pytest.mark.parametrize("padding,stride,dilation", [
    (1, 1, 1), ((2, 0), (2, 1), (1, 2)), ("valid", 2, 1), ("same", 1, 1), ("same", 1, (2, 1))])
def test_functional_conv2d(padding, stride, dilation):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 4, 3)), rng.standard_normal(6)
    y = F.conv2d(_t(x, False), _t(w, False), _t(b, False), stride=stride, padding=padding,
                 dilation=dilation, groups=2)
    s, d = F_pair(stride), F_pair(dilation)
    if padding == "same":
        tot = [dd * (k - 1) for k, dd in zip(w.shape[2:], d)]
        xp = np.pad(x, ((0, 0), (0, 0), (tot[0] // 2, tot[0] - tot[0] // 2),
                        (tot[1] // 2, tot[1] - tot[1] // 2)))
        want = ref_conv(xp, w, b, s, (0, 0), d, 2)
        assert y.shape == (2, 6, 7, 6)
    else:
        want = ref_conv(x, w, b, s, (0, 0) if padding == "valid" else F_pair(padding), d, 2)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-10, atol=1e-10)


def F_pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, dilation=(1, 2), groups=2),
                                dict(padding="same"), dict(groups=4)])
def test_conv2d_gradcheck(kw):
    rng = np.random.default_rng(1)
    x, w, b = _t(rng.standard_normal((2, 4, 5, 6))), _t(rng.standard_normal((4, 4 // kw.get("groups", 1), 2, 3))), _t(rng.standard_normal(4))
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, **kw), [x, w, b])


def test_conv2d_direct_rgb_gradcheck():
    """Through autograd on a 3-input-channel layer that takes the direct kernels (float64)."""
    rng = np.random.default_rng(8)
    x, w, b = (_t(rng.standard_normal((2, 3, 4, 17))), _t(rng.standard_normal((2, 3, 3, 3))),
               _t(rng.standard_normal(2)))
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, padding=1), [x, w, b])


def test_conv2d_winograd_gradcheck():
    """Through autograd on a geometry that takes Winograd for all three kernels (float64)."""
    rng = np.random.default_rng(5)
    x, w, b = (_t(rng.standard_normal((2, 16, 16, 15))), _t(rng.standard_normal((16, 16, 3, 3))),
               _t(rng.standard_normal(16)))
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, padding=1), [x, w, b])


def test_conv1d_matches_conv2d_and_gradcheck():
    rng = np.random.default_rng(2)
    x, w, b = _t(rng.standard_normal((2, 3, 11))), _t(rng.standard_normal((4, 3, 3))), _t(rng.standard_normal(4))
    y = F.conv1d(x, w, b, stride=2, padding=1, dilation=2)
    want = ref_conv(x.data[:, :, None], w.data[:, :, None], b.data, (1, 2), (0, 1), (1, 2), 1)
    np.testing.assert_allclose(y.detach().numpy(), want[:, :, 0], rtol=1e-10, atol=1e-10)
    assert gradcheck(lambda x_, w_, b_: F.conv1d(x_, w_, b_, padding="same"), [x, w, b])
    assert F.conv1d(x[0], w).shape == (4, 9)  # unbatched


def test_functional_conv2d_bad_input():
    x, w = pe.randn(2, 3, 8, 8), pe.randn(4, 4, 3, 3)
    with pytest.raises(ValueError, match=r"^\[conv2d\] input has 3 channels but weight expects 4"):
        F.conv2d(x, w)
    with pytest.raises(ValueError, match=r"^\[conv2d\] input must be 3-D"):
        F.conv2d(pe.randn(8, 8), w)
    with pytest.raises(ValueError, match=r"^\[conv2d\] stride must be positive"):
        F.conv2d(x, pe.randn(4, 3, 3, 3), stride=0)
    with pytest.raises(ValueError, match=r"^\[conv2d\] padding='same' is not supported"):
        F.conv2d(x, pe.randn(4, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match=r"^\[conv2d\] groups=2 does not divide"):
        F.conv2d(x, pe.randn(4, 1, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"larger than the padded input"):
        F.conv2d(x, pe.randn(4, 3, 9, 9))


@pytest.mark.parametrize("padding", [1, "same"])
def test_conv2d_leaf_grads_taken_without_copy_still_accumulate(padding):
    """Conv2d's backward hands its new gradient arrays to the leaves (no copy, ctx.grads_are_fresh);
    a second backward must still add, and 'same' with an even kernel (gx is a cropped view) must
    still leave a contiguous .grad."""
    rng = np.random.default_rng(6)
    x = pe.tensor(rng.standard_normal((2, 3, 7, 6)).astype(np.float32), requires_grad=True)
    w = pe.tensor(rng.standard_normal((3, 1, 2, 2)).astype(np.float32), requires_grad=True)
    g = rng.standard_normal((2, 3, 7, 6) if padding == "same" else (2, 3, 8, 7)).astype(np.float32)
    F.conv2d(x, w, padding=padding, groups=3).backward(pe.tensor(g))
    first = x.grad.numpy().copy(), w.grad.numpy().copy()
    assert x.grad._data.flags.c_contiguous and not np.shares_memory(x.grad._data, g)
    F.conv2d(x, w, padding=padding, groups=3).backward(pe.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), 2 * first[0], rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), 2 * first[1], rtol=1e-6)


def test_conv2d_backward_bad_input():
    x, w = np.ones((2, 3, 8, 8), np.float32), np.ones((4, 3, 3, 3), np.float32)
    dy = np.ones((2, 4, 6, 6), np.float32)
    args = (1, 1, 0, 0, 1, 1, 1)
    with pytest.raises(ValueError, match=r"^\[conv2d_backward\] grad has shape \(2, 4, 5, 6\)"):
        _C.conv2d_backward(x, np.ones((2, 4, 5, 6), np.float32), w, None, np.empty_like(w), None,
                           *args)
    with pytest.raises(ValueError, match=r"^\[conv2d_backward\] grad_weight has shape"):
        _C.conv2d_backward(x, dy, w, None, np.empty((4, 3, 3, 2), np.float32), None, *args)
    with pytest.raises(ValueError, match=r"^\[conv2d_backward\] grad_input has shape"):
        _C.conv2d_backward(x, dy, w, np.empty((2, 3, 8, 7), np.float32), None, None, *args)
    # The shape in the message is formatted only on failure (shape_text): one dimension keeps
    # Python's trailing comma.
    with pytest.raises(ValueError,
                       match=r"^\[conv2d_backward\] grad_bias has shape \(5,\), expected \(4,\)"):
        _C.conv2d_backward(x, dy, w, None, None, np.empty(5, np.float32), *args)
    with pytest.raises(TypeError, match=r"^\[conv2d_backward\]"):
        _C.conv2d_backward(x, dy.astype(np.float64), w, None, None, None, *args)
    with pytest.raises(ValueError, match=r"^\[conv2d_backward\] input has 3 channels"):
        _C.conv2d_backward(x, dy, np.ones((4, 2, 3, 3), np.float32), None, None, None, *args)
