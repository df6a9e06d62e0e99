"""Channels-last conv2d / pooling / batch norm (F.conv2d_nhwc, F.max_pool2d_nhwc,
F.avg_pool2d_nhwc, F.batch_norm(channel_axis=-1)) against NumPy float64 references written
directly in NHWC: forward and gradients, every ISA path, 1 vs 2 threads bitwise, gradcheck,
asymmetric padding, groups / depthwise, stride, dilation, empty and size-1 batches, bad input."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.testing import gradcheck


def _padded(x, pads, value=0.0):
    t, b, l, r = pads
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def _tap(xp, i, j, oh, ow, s, d):
    """(N, OH, OW, C) view of the padded input under kernel tap (i, j)."""
    return xp[:, i * d[0]: i * d[0] + s[0] * (oh - 1) + 1: s[0],
              j * d[1]: j * d[1] + s[1] * (ow - 1) + 1: s[1]]


def _out(n, k, s, before, after, d=1):
    return (n + before + after - d * (k - 1) - 1) // s + 1


def ref_conv(x, w, b, s, pads, d, groups):
    x, w = x.astype(np.float64), w.astype(np.float64)
    kh, kw, cg, oc = w.shape
    oh = _out(x.shape[1], kh, s[0], pads[0], pads[1], d[0])
    ow = _out(x.shape[2], kw, s[1], pads[2], pads[3], d[1])
    xp = _padded(x, pads)
    y = np.zeros((x.shape[0], oh, ow, oc))
    og = oc // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                y[..., g * og:(g + 1) * og] += _tap(xp, i, j, oh, ow, s, d)[
                    ..., g * cg:(g + 1) * cg] @ w[i, j, :, g * og:(g + 1) * og]
    return y if b is None else y + b.astype(np.float64)


def ref_conv_grads(x, w, dy, s, pads, d, groups):
    x, w, dy = x.astype(np.float64), w.astype(np.float64), dy.astype(np.float64)
    kh, kw, cg, oc = w.shape
    oh, ow = dy.shape[1:3]
    xp = _padded(x, pads)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    og = oc // groups
    for g in range(groups):
        cs, os_ = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for i in range(kh):
            for j in range(kw):
                tap = _tap(xp, i, j, oh, ow, s, d)[..., cs]
                dw[i, j, :, os_] = np.einsum("nhwc,nhwo->co", tap, dy[..., os_])
                _tap(dxp, i, j, oh, ow, s, d)[..., cs] += dy[..., os_] @ w[i, j, :, os_].T
    t, b, l, r = pads
    dx = dxp[:, t:dxp.shape[1] - b, l:dxp.shape[2] - r]
    return dx, dw, dy.sum(axis=(0, 1, 2))


# (N, H, W, C, KH, KW, OC, stride, pads (t, b, l, r), dilation, groups)
CONV_CASES = [
    (2, 7, 6, 3, 3, 3, 4, (1, 1), (1, 1, 1, 1), (1, 1), 1),
    (2, 7, 6, 3, 3, 3, 4, (1, 1), (0, 1, 0, 1), (1, 1), 1),   # Keras 'same' for even input
    (1, 9, 8, 4, 3, 2, 6, (2, 1), (1, 0, 0, 2), (1, 2), 2),   # asymmetric, groups, dilation
    (3, 6, 6, 8, 3, 3, 8, (1, 1), (1, 1, 1, 1), (1, 1), 8),   # depthwise
    (2, 5, 5, 6, 1, 1, 5, (1, 1), (0, 0, 0, 0), (1, 1), 1),   # 1x1: a plain GEMM
    (2, 8, 8, 5, 1, 1, 7, (2, 2), (0, 0, 0, 0), (1, 1), 1),   # strided 1x1
    (2, 11, 10, 2, 5, 5, 3, (2, 3), (2, 1, 0, 3), (1, 1), 1),
    (2, 28, 28, 1, 3, 3, 32, (1, 1), (0, 0, 0, 0), (1, 1), 1),  # MNIST conv1
    (2, 13, 13, 32, 3, 3, 64, (1, 1), (0, 0, 0, 0), (1, 1), 1),  # MNIST conv2
    (1, 1, 1, 3, 1, 1, 2, (1, 1), (0, 0, 0, 0), (1, 1), 1),   # size-1 everything
    (0, 5, 5, 3, 3, 3, 2, (1, 1), (1, 1, 1, 1), (1, 1), 1),   # empty batch
]
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


def _conv_inputs(case, dtype, seed=0):
    n, h, w, c, kh, kw, oc, s, pads, d, groups = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    wt = rng.standard_normal((kh, kw, c // groups, oc)).astype(dtype)
    b = rng.standard_normal(oc).astype(dtype)
    return x, wt, b


def _conv(x, w, b, case):
    s, pads, d, groups = case[7:]
    return F.conv2d_nhwc(x, w, b, stride=s, padding=(pads[:2], pads[2:]), dilation=d,
                         groups=groups)


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_nhwc_matches_reference(case, dtype, isa, scaled=False):
    """scaled: float32 absolute error up to 2e-5 of the largest reference value (Winograd
    F(4x4, 3x3) rounds its transforms' +-4, 5, 8 coefficients: about 5e-6 of it measured)."""
    x, w, b = _conv_inputs(case, dtype)
    tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (x, w, b))
    y = _conv(tx, tw, tb, case)
    s, pads, d, groups = case[7:]

    def close(got, want):
        tol = dict(TOL[dtype])
        if scaled and dtype == np.float32 and want.size:
            tol["atol"] = max(tol["atol"], 2e-5 * float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, **tol)

    close(y.detach().numpy(), ref_conv(x, w, b, s, pads, d, groups))
    assert y.dtype == dtype
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    y.backward(pe.tensor(dy))
    for got, want in zip((tx.grad, tw.grad, tb.grad), ref_conv_grads(x, w, dy, s, pads, d, groups)):
        close(got.numpy(), want)


@pytest.mark.parametrize("case", [CONV_CASES[2], CONV_CASES[3], CONV_CASES[6]])
def test_conv2d_nhwc_gradcheck(case):
    x, w, b = _conv_inputs(case, np.float64)
    x, w, b = x[:1, :6, :6], w, b
    args = [pe.tensor(a, requires_grad=True) for a in (x, w, b)]
    assert gradcheck(lambda x, w, b: _conv(x, w, b, case), args)


@pytest.mark.parametrize("case", CONV_CASES[:9])
def test_conv2d_nhwc_threads_bitwise(case, threads):
    x, w, b = _conv_inputs(case, np.float32)
    outs = []
    for nt in (1, 2):
        threads(nt)
        tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (x, w, b))
        y = _conv(tx, tw, tb, case)
        (y * y).sum().backward()
        outs.append([y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()])
    for a, b2 in zip(*outs):
        assert np.array_equal(a, b2)


def test_conv2d_nhwc_same_padding_is_keras():
    x, w, b = _conv_inputs((1, 8, 7, 2, 3, 3, 3, (2, 2), (0,) * 4, (1, 1), 1), np.float64)
    y = F.conv2d_nhwc(pe.tensor(x), pe.tensor(w), pe.tensor(b), stride=(2, 2), padding="same")
    # TensorFlow: total pad = max((ceil(H / s) - 1) s + k - H, 0), the odd pixel after.
    np.testing.assert_allclose(y.detach().numpy(), ref_conv(x, w, b, (2, 2), (0, 1, 1, 1), (1, 1), 1))


def test_conv2d_nhwc_without_bias_and_no_grad():
    x, w, _ = _conv_inputs(CONV_CASES[0], np.float32)
    with pe.no_grad():
        y = _conv(pe.tensor(x), pe.tensor(w), None, CONV_CASES[0])
    s, pads, d, groups = CONV_CASES[0][7:]
    np.testing.assert_allclose(y.detach().numpy(), ref_conv(x, w, None, s, pads, d, groups), **TOL[np.float32])


@pytest.mark.parametrize("kwargs, match", [
    (dict(x=(2, 5, 5), w=(3, 3, 3, 4)), r"\[conv2d_nhwc\] input must be 4-D"),
    (dict(w=(3, 3, 4)), r"\[conv2d_nhwc\] weight must be 4-D"),
    (dict(w=(3, 3, 2, 4)), r"\[conv2d_nhwc\] input has 3 channels"),
    (dict(b=(5,)), r"\[conv2d_nhwc\] bias has shape"),
    (dict(stride=(0, 1)), r"\[conv2d_nhwc\] stride must be positive"),
    (dict(padding=((1, -1), (0, 0))), r"\[conv2d_nhwc\] padding must be non-negative"),
    (dict(padding="full"), r"\[conv2d_nhwc\] padding must be"),
    (dict(w=(7, 3, 3, 4)), r"\[conv2d_nhwc\] kernel 7x3"),
    (dict(groups=0), r"\[conv2d_nhwc\] groups must be a positive int"),
    (dict(x=(2, 5, 5, 4), w=(3, 3, 2, 3), groups=2), r"\[conv2d_nhwc\] out channels 3"),
])
def test_conv2d_nhwc_bad_input(kwargs, match):
    x = pe.zeros(*kwargs.pop("x", (2, 5, 5, 3)))
    w = pe.zeros(*kwargs.pop("w", (3, 3, 3, 4)))
    b = pe.zeros(*kwargs.pop("b", (4,)))
    with pytest.raises(ValueError, match=match):
        F.conv2d_nhwc(x, w, b, **kwargs)


# ---- pooling ------------------------------------------------------------------------------------
def ref_pool(x, k, s, pads, kind, count_include_pad=False):
    x = x.astype(np.float64)
    oh = _out(x.shape[1], k[0], s[0], pads[0], pads[1])
    ow = _out(x.shape[2], k[1], s[1], pads[2], pads[3])
    fill = -np.inf if kind == "max" else 0.0
    xp = _padded(x, pads, fill)
    taps = np.stack([_tap(xp, i, j, oh, ow, s, (1, 1)) for i in range(k[0]) for j in range(k[1])])
    if kind == "max":
        return taps.max(axis=0)
    if count_include_pad:
        return taps.mean(axis=0)
    ones = _padded(np.ones((1,) + x.shape[1:3] + (1,)), pads)
    count = sum(_tap(ones, i, j, oh, ow, s, (1, 1)) for i in range(k[0]) for j in range(k[1]))
    return taps.sum(axis=0) / count


# (N, H, W, C, kernel, stride, pads)
POOL_CASES = [
    (2, 6, 6, 3, (2, 2), (2, 2), (0, 0, 0, 0)),
    (2, 26, 26, 32, (2, 2), (2, 2), (0, 0, 0, 0)),   # MNIST pool1
    (2, 7, 5, 4, (3, 3), (2, 2), (1, 1, 1, 1)),
    (1, 7, 7, 5, (3, 2), (2, 1), (1, 0, 0, 1)),      # asymmetric
    (3, 5, 5, 17, (2, 2), (1, 1), (0, 1, 0, 1)),     # Keras 'same', stride 1
    (1, 1, 1, 2, (1, 1), (1, 1), (0, 0, 0, 0)),
    (0, 4, 4, 3, (2, 2), (2, 2), (0, 0, 0, 0)),
    (2, 11, 11, 64, (2, 2), (2, 2), (0, 0, 0, 0)),   # MNIST pool2: the last row / column uncovered
    (1, 8, 7, 3, (2, 2), (3, 2), (1, 0, 0, 1)),      # disjoint windows with gaps and padding
]


def _pool(kind, x, case, cip=False):
    k, s, pads = case[4:]
    if kind == "max":
        return F.max_pool2d_nhwc(x, k, s, (pads[:2], pads[2:]))
    return F.avg_pool2d_nhwc(x, k, s, (pads[:2], pads[2:]), count_include_pad=cip)


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("kind, cip", [("max", False), ("avg", False), ("avg", True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_nhwc_matches_reference(case, kind, cip, dtype, isa):
    x = np.random.default_rng(2).standard_normal(case[:4]).astype(dtype)
    tx = pe.tensor(x, requires_grad=True)
    y = _pool(kind, tx, case, cip)
    np.testing.assert_allclose(y.detach().numpy(), ref_pool(x, *case[4:], kind, cip), **TOL[dtype])
    # Gradient: pooling is linear given the argmax (max, no ties here) or always (avg).
    dy = np.random.default_rng(3).standard_normal(y.shape)
    y.backward(pe.tensor(dy.astype(dtype)))
    if x.size:
        x64 = pe.tensor(x.astype(np.float64), requires_grad=True)
        _pool(kind, x64, case, cip).backward(pe.tensor(dy))
        np.testing.assert_allclose(tx.grad.numpy(), x64.grad.numpy(), **TOL[dtype])


def test_max_pool_nhwc_nan_and_ties_follow_pytorch_rule():
    # Ties: the first maximum in window order gets the gradient; a NaN always wins (the last).
    x = np.array([[[[1.0], [1.0]], [[0.0], [np.nan]]]])
    tx = pe.tensor(x, requires_grad=True)
    y = F.max_pool2d_nhwc(tx, (2, 2))
    assert np.isnan(y.detach().numpy()).all()
    y.backward(pe.tensor(np.ones((1, 1, 1, 1))))
    np.testing.assert_array_equal(tx.grad.numpy().ravel(), [0, 0, 0, 1])
    tx = pe.tensor(np.array([[[[2.0], [2.0]], [[1.0], [2.0]]]]), requires_grad=True)
    F.max_pool2d_nhwc(tx, (2, 2)).backward(pe.tensor(np.ones((1, 1, 1, 1))))
    np.testing.assert_array_equal(tx.grad.numpy().ravel(), [1, 0, 0, 0])


def ref_max_pool_grad(x, dy, k, s):
    """NumPy scan of each window in order: a value wins when greater or NaN (PyTorch's rule);
    dy goes to the winner. No padding."""
    dx = np.zeros(x.shape)
    n, oh, ow, c = dy.shape
    for i in range(oh):
        for j in range(ow):
            best = x[:, i * s[0], j * s[1]].astype(np.float64)
            at = np.zeros((n, c, 2), int) + [i * s[0], j * s[1]]
            for a in range(k[0]):
                for b in range(k[1]):
                    v = x[:, i * s[0] + a, j * s[1] + b]
                    take = (v > best) | np.isnan(v)
                    best = np.where(take, v, best)
                    at[take] = [i * s[0] + a, j * s[1] + b]
            for q in range(n):
                for ch in range(c):
                    dx[q, at[q, ch, 0], at[q, ch, 1], ch] += dy[q, i, j, ch]
    return dx


# 2x2 / stride 2 windows (each window's winner kept as a uint8 by the forward), with ties and
# NaNs, channels that fill whole lane vectors and a tail, odd planes with an uncovered last row /
# column; then a 3x3 window for the general scan.
@pytest.mark.parametrize("shape, k, s", [((2, 6, 8, 35), (2, 2), (2, 2)),
                                         ((3, 7, 5, 16), (2, 2), (2, 2)),
                                         ((1, 2, 2, 1), (2, 2), (2, 2)),
                                         ((2, 7, 7, 19), (3, 3), (2, 2))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_nhwc_grad_matches_numpy_scan(shape, k, s, dtype, isa):
    rng = np.random.default_rng(9)
    x = rng.integers(-2, 3, shape).astype(dtype)  # many ties
    x[rng.random(shape) < 0.05] = np.nan
    tx = pe.tensor(x, requires_grad=True)
    y = F.max_pool2d_nhwc(tx, k, s)
    dy = rng.standard_normal(y.shape).astype(dtype)
    y.backward(pe.tensor(dy))
    # (overlapping 3x3 windows add two gradients into a pixel: float32 rounding of the sum)
    np.testing.assert_allclose(tx.grad.numpy(), ref_max_pool_grad(x, dy, k, s), rtol=1e-6,
                               atol=0)
    want = ref_pool(x, k, s, (0, 0, 0, 0), "max", False)
    np.testing.assert_array_equal(np.isnan(y.detach().numpy()), np.isnan(want))


def test_max_pool_nhwc_index_bad_input():
    from pyengine import _C
    x = np.ones((1, 4, 4, 3), np.float32)
    y = np.empty((1, 2, 2, 3), np.float32)
    with pytest.raises(ValueError, match=r"\[max_pool2d_nhwc\] index must be uint8"):
        _C.max_pool2d_nhwc_forward(x, y, 2, 2, 2, 2, 0, 0, 0, 0, np.empty(y.shape, np.int8))
    with pytest.raises(ValueError, match=r"index has shape"):
        _C.max_pool2d_nhwc_forward(x, y, 2, 2, 2, 2, 0, 0, 0, 0, np.empty((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match=r"index is only for 2x2 windows at stride 2"):
        _C.max_pool2d_nhwc_forward(x, np.empty((1, 3, 3, 3), np.float32), 2, 2, 1, 1, 0, 0, 0,
                                   0, np.empty((1, 3, 3, 3), np.uint8))
    with pytest.raises(ValueError, match=r"\[max_pool2d_nhwc_backward\] grad has shape"):
        _C.max_pool2d_nhwc_backward_index(np.zeros(y.shape, np.uint8), np.ones((1, 2, 3, 3),
                                          np.float32), np.empty_like(x), 2, 2, 2, 2, 0, 0, 0, 0)


@pytest.mark.parametrize("case", [POOL_CASES[2], POOL_CASES[3]])
@pytest.mark.parametrize("kind, cip", [("max", False), ("avg", False), ("avg", True)])
def test_pool_nhwc_gradcheck(case, kind, cip):
    x = pe.tensor(np.random.default_rng(4).standard_normal(case[:4]), requires_grad=True)
    assert gradcheck(lambda x: _pool(kind, x, case, cip), (x,))


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_nhwc_threads_bitwise(kind, threads):
    case = POOL_CASES[1]
    x = np.random.default_rng(5).standard_normal(case[:4]).astype(np.float32)
    outs = []
    for nt in (1, 2):
        threads(nt)
        tx = pe.tensor(x, requires_grad=True)
        y = _pool(kind, tx, case)
        (y * y).sum().backward()
        outs.append((y.detach().numpy(), tx.grad.numpy()))
    assert all(np.array_equal(a, b) for a, b in zip(*outs))


@pytest.mark.parametrize("fn", [F.max_pool2d_nhwc, F.avg_pool2d_nhwc])
def test_pool_nhwc_bad_input(fn):
    op = fn.__name__
    with pytest.raises(ValueError, match=rf"\[{op}\] input must be 4-D"):
        fn(pe.zeros(4, 4, 3), (2, 2))
    with pytest.raises(ValueError, match=rf"\[{op}\] padding .* smaller than the kernel"):
        fn(pe.zeros(1, 4, 4, 3), (2, 2), padding=((2, 0), (0, 0)))
    with pytest.raises(ValueError, match=rf"\[{op}\] kernel .* larger than the padded input"):
        fn(pe.zeros(1, 4, 4, 3), (5, 2))
    with pytest.raises(ValueError, match=rf"\[{op}\] stride must be positive"):
        fn(pe.zeros(1, 4, 4, 3), (2, 2), (0, 1))


# ---- batch norm over the last axis ------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_channels_last_matches_channels_first(training, dtype):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 5, 3, 6)).astype(dtype)
    w, b = rng.standard_normal(6).astype(dtype), rng.standard_normal(6).astype(dtype)
    grads = []
    for layout, axis in (("nhwc", -1), ("nchw", 1)):
        xa = x if layout == "nhwc" else np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (xa, w, b))
        rm, rv = pe.tensor(np.full(6, 0.5, dtype)), pe.tensor(np.full(6, 2.0, dtype))
        y = F.batch_norm(tx, rm, rv, tw, tb, training=training, channel_axis=axis)
        gy = np.arange(x.size, dtype=dtype).reshape(x.shape) % 7
        y.backward(pe.tensor(gy if layout == "nhwc" else gy.transpose(0, 3, 1, 2)))
        gx = tx.grad.numpy()
        yv = y.detach().numpy()
        if layout == "nchw":
            gx, yv = gx.transpose(0, 2, 3, 1), yv.transpose(0, 2, 3, 1)
        grads.append((yv, gx, tw.grad.numpy(), tb.grad.numpy(), rm.numpy(), rv.numpy()))
    for a, c in zip(*grads):
        np.testing.assert_allclose(a, c, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-4)


def test_batch_norm_channels_last_gradcheck_and_errors():
    x = pe.tensor(np.random.default_rng(7).standard_normal((3, 2, 2, 4)), requires_grad=True)
    w = pe.tensor(np.linspace(0.5, 2, 4), requires_grad=True)
    b = pe.tensor(np.zeros(4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True,
                                                  channel_axis=-1), (x, w, b))
    with pytest.raises(ValueError, match=r"\[batch_norm\] channel_axis"):
        F.batch_norm(x, None, None, training=True, channel_axis=0)
    with pytest.raises(ValueError, match=r"\[batch_norm\] weight has shape"):
        F.batch_norm(x, None, None, pe.ones(2), training=True, channel_axis=-1)


# ---- conv2d + bias + activation as one op -----------------------------------------------------
ACTS = [("relu", None), ("leaky_relu", 0.2), ("elu", None), ("sigmoid", None), ("tanh", None)]


def _act(name, p):
    return {"relu": lambda t: F.relu(t), "leaky_relu": lambda t: F.leaky_relu(t, p),
            "elu": lambda t: F.elu(t), "sigmoid": F.sigmoid, "tanh": F.tanh}[name]


@pytest.mark.parametrize("act, p", ACTS)
@pytest.mark.parametrize("case", [CONV_CASES[0], CONV_CASES[2], CONV_CASES[4]])
def test_conv2d_nhwc_fused_activation_matches_composition(act, p, case, isa):
    x, w, b = _conv_inputs(case, np.float64)
    s, pads, d, groups = case[7:]
    outs = []
    for fused in (True, False):
        tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (x, w, b))
        kw = dict(stride=s, padding=(pads[:2], pads[2:]), dilation=d, groups=groups)
        y = (F.conv2d_nhwc(tx, tw, tb, activation=act, activation_param=p, **kw) if fused
             else _act(act, p)(F.conv2d_nhwc(tx, tw, tb, **kw)))
        (y * y).sum().backward()
        outs.append([y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()])
    for a, c in zip(*outs):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


# First layers (K = KH*KW*C <= 27, direct kernels) whose input needs no gradient: the weight and
# bias gradients of relu(conv + b) form relu' block by block (K = 9 with 16 or 32 output
# channels: in registers, one pass), or take the general direct kernel (K = 27, 48 channels).
FIRST_LAYER_CASES = [
    (3, 28, 28, 1, 3, 3, 32, (1, 1), (0, 0, 0, 0), (1, 1), 1),   # MNIST conv1
    (2, 9, 10, 1, 3, 3, 16, (1, 1), (1, 1, 0, 2), (1, 1), 1),     # padded, asymmetric
    (2, 9, 8, 3, 3, 3, 48, (1, 1), (1, 1, 1, 1), (1, 1), 1),      # RGB: K = 27
]


@pytest.mark.parametrize("case", FIRST_LAYER_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("need", [(True, True), (True, False), (False, True)])
def test_conv2d_nhwc_first_layer_relu_weight_grad(case, dtype, need, isa):
    from pyengine.backend import cpu as backend
    x, w, b = _conv_inputs(case, dtype)
    s, pads, d, groups = case[7:]
    y_ref = np.maximum(ref_conv(x, w, b, s, pads, d, groups), 0)
    y = backend.conv2d_nhwc(x, w, b, s, pads, d, groups, "relu")
    np.testing.assert_allclose(y, y_ref, **TOL[dtype])
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    _, gw, gb = backend.conv2d_nhwc_backward(x, dy, w, False, *need, s, pads, d, groups, y, "relu")
    _, want_w, want_b = ref_conv_grads(x, w, dy * (y > 0), s, pads, d, groups)
    tol = dict(TOL[dtype], atol=TOL[dtype]["atol"] * 10)  # sums over up to 2028 positions
    if need[0]:
        np.testing.assert_allclose(gw, want_w, **tol)
    else:
        assert gw is None
    if need[1]:
        np.testing.assert_allclose(gb, want_b, **tol)
    else:
        assert gb is None


@pytest.mark.parametrize("case", FIRST_LAYER_CASES[:1])
def test_conv2d_nhwc_first_layer_relu_threads_bitwise(case, threads):
    from pyengine.backend import cpu as backend
    x, w, b = _conv_inputs(case, np.float32)
    s, pads, d, groups = case[7:]
    outs = []
    for nt in (1, 2, 3):
        threads(nt)
        y = backend.conv2d_nhwc(x, w, b, s, pads, d, groups, "relu")
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
        outs.append(backend.conv2d_nhwc_backward(x, dy, w, False, True, True, s, pads, d, groups,
                                                 y, "relu")[1:])
    for other in outs[1:]:
        assert all(np.array_equal(a, c) for a, c in zip(outs[0], other))


@pytest.mark.parametrize("act, p", ACTS)
def test_conv2d_nhwc_fused_activation_gradcheck(act, p):
    x, w, b = _conv_inputs(CONV_CASES[2], np.float64)
    args = [pe.tensor(a, requires_grad=True) for a in (x[:, :5, :5], w, b)]
    s, pads, d, groups = CONV_CASES[2][7:]
    assert gradcheck(lambda x, w, b: F.conv2d_nhwc(
        x, w, b, stride=s, padding=(pads[:2], pads[2:]), dilation=d, groups=groups,
        activation=act, activation_param=p), args)


@pytest.mark.parametrize("act, p", ACTS)
def test_conv2d_nchw_fused_activation(act, p):
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    outs = []
    for fused in (True, False):
        tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (x, w, b))
        y = (F.conv2d(tx, tw, tb, padding=1, activation=act, activation_param=p) if fused
             else _act(act, p)(F.conv2d(tx, tw, tb, padding=1)))
        (y * y).sum().backward()
        outs.append([y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()])
    for a, c in zip(*outs):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)
    args = [pe.tensor(a[:1] if a.ndim == 4 and a is x else a, requires_grad=True) for a in (x, w, b)]
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=1, activation=act,
                                              activation_param=p), args)


@pytest.mark.parametrize("fn", [F.conv2d_nhwc, F.conv2d])
def test_fused_activation_bad_input(fn):
    op = fn.__name__
    x, w = pe.zeros(1, 4, 4, 3), pe.zeros(3, 3, 3, 2)
    if fn is F.conv2d:
        x, w = pe.zeros(1, 3, 4, 4), pe.zeros(2, 3, 3, 3)
    with pytest.raises(ValueError, match=rf"\[{op}\] activation must be None or one of"):
        fn(x, w, activation="gelu")
    with pytest.raises(ValueError, match=rf"\[{op}\] activation_param of leaky_relu must be >= 0"):
        fn(x, w, activation="leaky_relu", activation_param=-0.1)
    with pytest.raises(ValueError, match=rf"\[{op}\] activation_param=0.2 needs an activation"):
        fn(x, w, activation_param=0.2)  # not silently dropped


def test_kernels_check_their_arguments():
    from pyengine import _C
    x, w = np.zeros((1, 4, 4, 3), np.float32), np.zeros((3, 3, 3, 2), np.float32)
    with pytest.raises(ValueError, match=r"\[conv2d_nhwc\] out has shape"):
        _C.conv2d_nhwc_forward(x, w, None, np.zeros((1, 3, 3, 2), np.float32), 1, 1, 0, 0, 0, 0,
                               1, 1, 1)
    with pytest.raises(TypeError, match=r"\[conv2d_nhwc\] input and weight dtypes differ"):
        _C.conv2d_nhwc_forward(x, w.astype(np.float64), None, np.zeros((1, 2, 2, 2), np.float32),
                               1, 1, 0, 0, 0, 0, 1, 1, 1)
    with pytest.raises(ValueError, match=r"\[conv2d_nhwc\] activation must be"):
        _C.conv2d_nhwc_forward(x, w, None, np.zeros((1, 2, 2, 2), np.float32), 1, 1, 0, 0, 0, 0,
                               1, 1, 1, "gelu")
    with pytest.raises(ValueError, match=r"\[max_pool2d_nhwc_backward\] grad has shape"):
        _C.max_pool2d_nhwc_backward(np.ones((1, 4, 4, 3), np.float32),
                                    np.ones((1, 3, 2, 3), np.float32),
                                    np.zeros((1, 4, 4, 3), np.float32), 2, 2, 2, 2, 0, 0, 0, 0)
    with pytest.raises(ValueError, match=r"\[avg_pool2d_nhwc\] padding .* smaller than the kernel"):
        _C.avg_pool2d_nhwc_forward(x, np.zeros((1, 3, 3, 3), np.float32), 2, 2, 1, 1, 2, 0, 0, 0,
                                   False)


@pytest.mark.parametrize("act, p", ACTS)
@pytest.mark.parametrize("case", [CONV_CASES[0], CONV_CASES[3], CONV_CASES[7]])
def test_conv2d_nhwc_fused_activation_without_input_grad(act, p, case, isa):
    # A first layer (no input gradient) on the direct paths forms act'(y) * dy block by block.
    x, w, b = _conv_inputs(case, np.float64)
    s, pads, d, groups = case[7:]
    kw = dict(stride=s, padding=(pads[:2], pads[2:]), dilation=d, groups=groups)
    outs = []
    for fused in (True, False):
        tw, tb = (pe.tensor(a, requires_grad=True) for a in (w, b))
        y = (F.conv2d_nhwc(pe.tensor(x), tw, tb, activation=act, activation_param=p, **kw)
             if fused else _act(act, p)(F.conv2d_nhwc(pe.tensor(x), tw, tb, **kw)))
        (y * y).sum().backward()
        outs.append([tw.grad.numpy(), tb.grad.numpy()])
    for a, c in zip(*outs):
        np.testing.assert_allclose(a, c, rtol=1e-11, atol=1e-11)


def test_conv2d_nhwc_random_geometries_match_reference(isa):
    # Random layers across the three paths (GEMM, small-K direct, depthwise direct), float64.
    rng = np.random.default_rng(9)
    for _ in range(40):
        kh, kw = rng.integers(1, 4, 2)
        s, d = tuple(rng.integers(1, 3, 2)), tuple(rng.integers(1, 3, 2))
        pads = tuple(int(v) for v in rng.integers(0, 3, 4))
        kind = rng.integers(3)
        if kind == 2:  # depthwise
            c = int(rng.integers(1, 20)); groups, oc = c, c
        else:
            groups = 1 if kind == 1 else int(rng.integers(1, 3))
            c = groups * int(rng.integers(1, 4 if kind == 1 else 9))
            oc = groups * int(rng.choice([1, 3, 16, 32, 48]))
        h = int((kh - 1) * d[0] + rng.integers(1, 8))
        w_ = int((kw - 1) * d[1] + rng.integers(1, 8))
        case = (int(rng.integers(1, 4)), h, w_, c, int(kh), int(kw), oc, s, pads, d, groups)
        x, w, b = _conv_inputs(case, np.float64, seed=int(rng.integers(1 << 30)))
        tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (x, w, b))
        y = _conv(tx, tw, tb, case)
        np.testing.assert_allclose(y.detach().numpy(), ref_conv(x, w, b, s, pads, d, groups),
                                   rtol=1e-10, atol=1e-10, err_msg=str(case))
        dy = rng.standard_normal(y.shape)
        y.backward(pe.tensor(dy))
        for got, want in zip((tx.grad, tw.grad, tb.grad),
                             ref_conv_grads(x, w, dy, s, pads, d, groups)):
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-9, err_msg=str(case))


def test_nhwc_kernels_reject_outputs_overlapping_inputs():
    """Output arrays that share memory with an input would be read while written: refused."""
    from pyengine import _C
    x = np.ones((1, 4, 4, 2), np.float32)
    w = np.ones((3, 3, 2, 2), np.float32)
    alias = x.reshape(-1)[:8].reshape(1, 2, 2, 2)
    with pytest.raises(ValueError, match=r"\[conv2d_nhwc\] out and input overlap|overlap"):
        _C.conv2d_nhwc_forward(x, w, None, alias, 1, 1, 0, 0, 0, 0, 1, 1, 1, None, 0.0)
    with pytest.raises(ValueError, match="overlap"):
        _C.max_pool2d_nhwc_forward(x, alias, 2, 2, 2, 2, 0, 0, 0, 0)
    with pytest.raises(ValueError, match="overlap"):
        _C.avg_pool2d_nhwc_forward(x, alias, 2, 2, 2, 2, 0, 0, 0, 0, False)
    dy = np.ones((1, 2, 2, 2), np.float32)
    with pytest.raises(ValueError, match="overlap"):
        _C.conv2d_nhwc_backward(x, dy, w, None, x, None, None, 1, 1, 0, 0, 0, 0, 1, 1, 1,
                                None, 0.0)


# ---- Winograd F(2x2, 3x3) / F(4x4, 3x3) on NHWC (3x3 stride 1, groups 1, >= 128 2x2 tiles) ----
# (N, H, W, C, KH, KW, OC, stride, pads, dilation, groups); comments: which kernels take Winograd.
# F(4x4) where its products are <= 85 % of F(2x2)'s (winograd_nhwc.cpp): output planes of 7 or
# more take it; the 6x6 ones stay on F(2x2).
WINOGRAD_CASES = [
    (4, 13, 13, 16, 3, 3, 16, (1, 1), (0, 0, 0, 0), (1, 1), 1),   # odd plane, all three
    (2, 16, 15, 16, 3, 3, 24, (1, 1), (1, 1, 1, 1), (1, 1), 1),   # odd width, all three
    (2, 17, 18, 8, 3, 3, 16, (1, 1), (0, 1, 2, 0), (1, 1), 1),    # asymmetric; dw on GEMM
    (2, 12, 12, 16, 3, 3, 16, (1, 1), (3, 3, 3, 3), (1, 1), 1),   # pad 3: dx with padding -1
    (2, 16, 16, 20, 3, 3, 24, (1, 1), (1, 1, 1, 1), (1, 1), 1),   # channels not a vector multiple
    (8, 32, 32, 16, 3, 3, 16, (1, 1), (1, 1, 1, 1), (1, 1), 1),   # many blocks, 2 dw chunks
    (3, 22, 21, 9, 3, 3, 8, (1, 1), (2, 0, 1, 1), (1, 1), 1),     # forward only
    (16, 6, 6, 16, 3, 3, 16, (1, 1), (1, 1, 1, 1), (1, 1), 1),    # 6x6 planes: F(2x2), all three
    (16, 8, 8, 16, 3, 3, 16, (1, 1), (0, 0, 0, 0), (1, 1), 1),    # F(2x2) fwd / dw, F(4x4) dx
]


@pytest.mark.parametrize("case", WINOGRAD_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_nhwc_winograd_matches_reference(case, dtype, isa):
    test_conv2d_nhwc_matches_reference(case, dtype, isa, scaled=True)


@pytest.mark.parametrize("case", WINOGRAD_CASES[:2] + WINOGRAD_CASES[3:4])
def test_conv2d_nhwc_winograd_matches_general_path(case):
    # Image by image, each plane has < 128 tiles and takes im2col + GEMM; the whole batch
    # takes Winograd. Same answer up to rounding.
    x, w, b = _conv_inputs(case, np.float64, seed=3)
    dy = np.random.default_rng(4).standard_normal(
        (case[0],) + ref_conv(x[:1], w, b, *case[7:9], case[9], 1).shape[1:])
    got, want = [], []
    for parts in ([x], [x[i:i + 1] for i in range(len(x))]):
        outs = []
        for i, xi in enumerate(parts):
            tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (xi, w, b))
            y = _conv(tx, tw, tb, case)
            y.backward(pe.tensor(dy[i:i + len(xi)]))
            outs.append([y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()])
        (got if len(parts) == 1 else want).append(outs)
    whole = got[0][0]
    per = [np.concatenate([o[k] for o in want[0]]) for k in (0, 1)] + \
          [sum(o[k] for o in want[0]) for k in (2, 3)]
    for a, c in zip(whole, per):
        np.testing.assert_allclose(a, c, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("act, p", ACTS)
def test_conv2d_nhwc_winograd_fused_activation(act, p, isa):
    case = WINOGRAD_CASES[1]
    x, w, b = _conv_inputs(case, np.float64)
    outs = []
    for fused in (True, False):
        tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (x, w, b))
        kw = dict(padding=((1, 1), (1, 1)))
        y = (F.conv2d_nhwc(tx, tw, tb, activation=act, activation_param=p, **kw) if fused
             else _act(act, p)(F.conv2d_nhwc(tx, tw, tb, **kw)))
        (y * y).sum().backward()
        outs.append([y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()])
    for a, c in zip(*outs):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", WINOGRAD_CASES[1:2] + WINOGRAD_CASES[5:6] + WINOGRAD_CASES[7:8])
def test_conv2d_nhwc_winograd_threads_bitwise(case, threads):
    x, w, b = _conv_inputs(case, np.float32)
    outs = []
    for nt in (1, 2, 3):
        threads(nt)
        tx, tw, tb = (pe.tensor(a, requires_grad=True) for a in (x, w, b))
        y = _conv(tx, tw, tb, case)
        (y * y).sum().backward()
        outs.append([y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()])
    for other in outs[1:]:
        for a, b2 in zip(outs[0], other):
            assert np.array_equal(a, b2)


def test_conv2d_nhwc_winograd_gradcheck():
    # 8 images of 8x8 (128 tiles: Winograd for all three kernels); x's gradient is held to the
    # reference above, gradcheck takes the weights (one forward per element and direction).
    case = (8, 8, 8, 16, 3, 3, 16, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    x, w, b = _conv_inputs(case, np.float64)
    args = [pe.tensor(x)] + [pe.tensor(a, requires_grad=True) for a in (w, b)]
    assert gradcheck(lambda x, w, b: _conv(x, w, b, case), args)
