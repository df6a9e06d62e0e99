"""F.adaptive_max_pool1d / 2d, F.local_response_norm, F.unfold / F.fold and their nn modules
(nn/functional_pool_more.py, functional_norm_more.py, functional_fold.py): forward against NumPy
float64 loops and against torch when it imports, gradcheck, return_indices, non-divisible
adaptive sizes, padding / dilation / stride combinations, fold as unfold's adjoint, errors."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import functional as F
from pyengine.testing import gradcheck

TOL = dict(rtol=1e-12, atol=1e-12)


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def t64(a, grad=False):
    return pe.tensor(np.asarray(a, np.float64), dtype=pe.float64, requires_grad=grad)


# ---- adaptive max pooling ----------------------------------------------------------------------
def adaptive_max_ref(x, oh, ow):
    n, c, h, w = x.shape
    out, idx = np.empty((n, c, oh, ow)), np.empty((n, c, oh, ow), np.int64)
    for i in range(oh):
        h0, h1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
        for j in range(ow):
            w0, w1 = (j * w) // ow, math.ceil((j + 1) * w / ow)
            for a in range(n):
                for b in range(c):
                    win = x[a, b, h0:h1, w0:w1]
                    r, s = np.unravel_index(np.argmax(win), win.shape)
                    out[a, b, i, j], idx[a, b, i, j] = win[r, s], (h0 + r) * w + w0 + s
    return out, idx


@pytest.mark.parametrize("shape, size", [((2, 3, 7, 5), (3, 2)), ((1, 2, 4, 4), 2),
                                         ((2, 1, 5, 6), (None, 4)), ((1, 1, 1, 1), 1),
                                         ((1, 2, 3, 3), (5, 4)), ((3, 4, 6), 4)])
def test_adaptive_max_pool2d(shape, size):
    x = rnd(*shape)
    out, idx = F.adaptive_max_pool2d(t64(x), size, return_indices=True)
    x4 = x if x.ndim == 4 else x[None]
    sz = size if isinstance(size, tuple) else (size, size)
    sz = tuple(x4.shape[2 + i] if v is None else v for i, v in enumerate(sz))
    ref, ridx = adaptive_max_ref(x4, *sz)
    ref, ridx = (ref, ridx) if x.ndim == 4 else (ref[0], ridx[0])
    np.testing.assert_allclose(out.numpy(), ref, **TOL)
    np.testing.assert_array_equal(idx.numpy(), ridx)
    assert idx.dtype == pe.int64
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, size), [t64(x, True)])
    np.testing.assert_array_equal(nn.AdaptiveMaxPool2d(size)(t64(x)).numpy(), out.numpy())


@pytest.mark.parametrize("shape, size", [((2, 3, 7), 3), ((2, 5), (2,)), ((1, 1, 4), 4),
                                         ((1, 2, 3), 5)])
def test_adaptive_max_pool1d(shape, size):
    x = rnd(*shape, seed=1)
    out, idx = F.adaptive_max_pool1d(t64(x), size, return_indices=True)
    o = size[0] if isinstance(size, tuple) else size
    ref, ridx = adaptive_max_ref(x.reshape(-1, 1, 1, shape[-1]), 1, o)
    np.testing.assert_allclose(out.numpy(), ref.reshape(shape[:-1] + (o,)), **TOL)
    np.testing.assert_array_equal(idx.numpy(), ridx.reshape(shape[:-1] + (o,)))
    assert gradcheck(lambda t: F.adaptive_max_pool1d(t, size), [t64(x, True)])
    m_out, m_idx = nn.AdaptiveMaxPool1d(size, return_indices=True)(t64(x))
    np.testing.assert_array_equal(m_idx.numpy(), idx.numpy())


def test_adaptive_max_pool_against_torch():
    torch = pytest.importorskip("torch")
    x = rnd(2, 3, 9, 7, seed=2)
    x[0, 0, 1:3, 1:3] = 5.0  # ties: the first maximum, as torch
    for size in [(4, 3), 2, (9, 7), (None, 2)]:
        xt, tt = t64(x, True), torch.tensor(x, requires_grad=True)
        out, idx = F.adaptive_max_pool2d(xt, size, True)
        ref, ridx = torch.nn.functional.adaptive_max_pool2d(tt, size, True)
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
        np.testing.assert_array_equal(idx.numpy(), ridx.numpy())
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), **TOL)
    out, idx = F.adaptive_max_pool1d(t64(x[0]), 3, True)
    ref, ridx = torch.nn.functional.adaptive_max_pool1d(torch.tensor(x[0]), 3, True)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), **TOL)
    np.testing.assert_array_equal(idx.numpy(), ridx.numpy())


@pytest.mark.parametrize("fn, shape, size, text", [
    (F.adaptive_max_pool2d, (2, 3), 1, "must be 3-D"),
    (F.adaptive_max_pool2d, (1, 2, 3, 3), 0, "positive"),
    (F.adaptive_max_pool2d, (1, 2, 3, 3), (1, 2, 3), "int or a pair"),
    (F.adaptive_max_pool2d, (1, 2, 0, 3), 1, "non-empty"),
    (F.adaptive_max_pool1d, (1, 2, 3, 3), 1, "must be 2-D"),
    (F.adaptive_max_pool1d, (1, 2, 3), (1, 2), "1-tuple"),
    (F.adaptive_max_pool1d, (1, 2, 3), -1, "positive"),
])
def test_adaptive_max_pool_errors(fn, shape, size, text):
    with pytest.raises(ValueError, match=rf"\[{fn.__name__}\] .*{text}"):
        fn(pe.zeros(*shape), size)


# ---- local response norm ----------------------------------------------------------------------
def lrn_ref(x, size, alpha, beta, k):
    c = x.shape[1]
    out = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        s = (x[:, lo:hi] ** 2).sum(1)
        out[:, ch] = x[:, ch] * (k + alpha / size * s) ** -beta
    return out


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 6, 3, 4), (1, 4, 2, 2, 3), (1, 1, 4)])
@pytest.mark.parametrize("size", [1, 2, 5, 8])
def test_local_response_norm(shape, size):
    x = rnd(*shape, seed=3)
    out = F.local_response_norm(t64(x), size, alpha=0.3, beta=0.7, k=1.5)
    np.testing.assert_allclose(out.numpy(), lrn_ref(x, size, 0.3, 0.7, 1.5), **TOL)
    m = nn.LocalResponseNorm(size, alpha=0.3, beta=0.7, k=1.5)
    np.testing.assert_array_equal(m(t64(x)).numpy(), out.numpy())


@pytest.mark.parametrize("shape, size", [((2, 5, 3), 3), ((1, 4, 2, 3), 2), ((1, 3, 2, 1, 2), 4)])
def test_local_response_norm_gradcheck(shape, size):
    x = t64(rnd(*shape, seed=4), True)
    assert gradcheck(lambda t: F.local_response_norm(t, size, alpha=0.5, beta=0.75, k=1.0), [x])


def test_local_response_norm_against_torch():
    torch = pytest.importorskip("torch")
    x = rnd(2, 7, 3, 4, seed=5)
    xt, tt = t64(x, True), torch.tensor(x, requires_grad=True)
    out = F.local_response_norm(xt, 3)
    ref = torch.nn.functional.local_response_norm(tt, 3)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_local_response_norm_errors():
    with pytest.raises(ValueError, match=r"\[local_response_norm\] input must be 3-D or more"):
        F.local_response_norm(pe.zeros(2, 3), 2)
    with pytest.raises(ValueError, match=r"\[local_response_norm\] size must be a positive int"):
        F.local_response_norm(pe.zeros(2, 3, 4), 0)
    with pytest.raises(ValueError, match=r"\[LocalResponseNorm\] size"):
        nn.LocalResponseNorm(-1)
    assert "alpha=0.0001" in repr(nn.LocalResponseNorm(2))


# ---- unfold / fold ----------------------------------------------------------------------------
def unfold_ref(x, k, d, p, s):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.empty((n, c, k[0], k[1], oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            for a in range(oh):
                for b in range(ow):
                    out[:, :, i, j, a, b] = xp[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow)


FOLD_CASES = [  # (shape, kernel_size, dilation, padding, stride)
    ((2, 3, 5, 6), 2, 1, 0, 1),
    ((1, 2, 7, 6), (2, 3), (2, 1), (1, 2), (2, 3)),
    ((2, 1, 4, 4), 3, 1, 1, 1),
    ((1, 2, 5, 5), 1, 1, 0, 2),
    ((1, 1, 6, 3), (3, 1), (2, 1), (2, 0), (1, 1)),
    ((1, 2, 3, 3), 3, 1, 0, 1),          # one block
]


def _pairs(*vs):
    return [v if isinstance(v, tuple) else (v, v) for v in vs]


@pytest.mark.parametrize("case", FOLD_CASES)
def test_unfold_and_fold_forward(case):
    shape, k, d, p, s = case
    x = rnd(*shape, seed=6)
    cols = F.unfold(t64(x), k, d, p, s)
    ref = unfold_ref(x, *_pairs(k, d, p, s))
    np.testing.assert_allclose(cols.numpy(), ref, **TOL)
    np.testing.assert_array_equal(nn.Unfold(k, d, p, s)(t64(x)).numpy(), cols.numpy())
    y = rnd(*ref.shape, seed=7)
    img = F.fold(t64(y), shape[-2:], k, d, p, s)
    assert img.shape == shape
    # fold is unfold's adjoint: <unfold(x), y> == <x, fold(y)>
    np.testing.assert_allclose((ref * y).sum(), (x * img.numpy()).sum(), rtol=1e-12)
    np.testing.assert_array_equal(nn.Fold(shape[-2:], k, d, p, s)(t64(y)).numpy(), img.numpy())


def test_unbatched_and_overlap_counts():
    x = rnd(3, 4, 5, seed=8)
    np.testing.assert_array_equal(F.unfold(t64(x), 2).numpy(), F.unfold(t64(x[None]), 2)[0].numpy())
    # fold(unfold(ones)) counts how many blocks cover each pixel
    counts = F.fold(F.unfold(pe.ones(1, 1, 3, 4, dtype=pe.float64), 2), (3, 4), 2)
    np.testing.assert_array_equal(counts.numpy()[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [1, 2, 2, 1]])
    assert F.fold(pe.ones(4, 6), (3, 4), 2).shape == (1, 3, 4)


@pytest.mark.parametrize("case", [FOLD_CASES[1], FOLD_CASES[2]])
def test_unfold_fold_gradcheck(case):
    shape, k, d, p, s = case
    x = t64(rnd(*shape, seed=9), True)
    assert gradcheck(lambda t: F.unfold(t, k, d, p, s), [x])
    cols_shape = unfold_ref(np.zeros(shape), *_pairs(k, d, p, s)).shape
    y = t64(rnd(*cols_shape, seed=10), True)
    assert gradcheck(lambda t: F.fold(t, shape[-2:], k, d, p, s), [y])


def test_unfold_fold_against_torch():
    torch = pytest.importorskip("torch")
    for shape, k, d, p, s in FOLD_CASES:
        x = rnd(*shape, seed=11)
        cols = F.unfold(t64(x), k, d, p, s)
        ref = torch.nn.functional.unfold(torch.tensor(x), k, d, p, s)
        np.testing.assert_allclose(cols.numpy(), ref.numpy(), **TOL)
        y = rnd(*ref.shape, seed=12)
        np.testing.assert_allclose(
            F.fold(t64(y), shape[-2:], k, d, p, s).numpy(),
            torch.nn.functional.fold(torch.tensor(y), shape[-2:], k, d, p, s).numpy(), **TOL)


@pytest.mark.parametrize("call, exc, text", [
    (lambda: F.unfold(pe.zeros(2, 3), 2), ValueError, r"\[unfold\] input must be 3-D"),
    (lambda: F.unfold(pe.zeros(1, 1, 2, 2), 3), ValueError, r"\[unfold\] no sliding block"),
    (lambda: F.unfold(pe.zeros(1, 1, 4, 4), 0), ValueError, r"\[unfold\] kernel_size must be"),
    (lambda: F.unfold(pe.zeros(1, 1, 4, 4), 2, padding=-1), ValueError, r"padding must be >= 0"),
    (lambda: F.unfold(pe.zeros(1, 1, 4, 4), 2, stride=0), ValueError, r"stride must be positive"),
    (lambda: F.unfold(pe.zeros(1, 1, 4, 4), (1, 2, 3)), ValueError, r"int or a pair"),
    (lambda: F.unfold(np.zeros((1, 1, 4, 4)), 2), TypeError, r"\[unfold\] input must be a pe"),
    (lambda: F.fold(pe.zeros(1, 5, 4), (3, 3), 2), ValueError, r"\[fold\] .*divisible"),
    (lambda: F.fold(pe.zeros(1, 4, 5), (3, 3), 2), ValueError, r"\[fold\] input has 5 blocks"),
    (lambda: F.fold(pe.zeros(4, 4), (0, 3), 2), ValueError, r"\[fold\] output_size must be"),
    (lambda: F.fold(pe.zeros(1, 1, 4, 4), (3, 3), 2), ValueError, r"\[fold\] input must be 2-D"),
])
def test_unfold_fold_errors(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


@pytest.mark.parametrize("length, out", [(10, 3), (5, 2), (7, 7), (4, 1), (3, 5)])
def test_adaptive_avg_pool1d_against_numpy(length, out):
    x = np.random.default_rng(length).standard_normal((2, 3, length))
    ref = np.stack([x[..., (i * length) // out:-((-(i + 1) * length) // out)].mean(-1)
                    for i in range(out)], -1)
    y = F.adaptive_avg_pool1d(pe.tensor(x), out)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(nn.AdaptiveAvgPool1d((out,))(pe.tensor(x[0])).numpy(), ref[0],
                               rtol=1e-12)
    assert gradcheck(lambda t: F.adaptive_avg_pool1d(t, out), (pe.tensor(x, requires_grad=True),))
    with pytest.raises(ValueError, match=r"\[adaptive_avg_pool1d\] input must be 2-D"):
        F.adaptive_avg_pool1d(pe.tensor(x[None]), out)
    with pytest.raises(ValueError, match=r"\[adaptive_avg_pool1d\] output_size must be positive"):
        F.adaptive_avg_pool1d(pe.tensor(x), 0)


@pytest.mark.parametrize("stride, padding, output_padding, dilation, groups", [
    (1, 0, 0, 1, 1), (2, 1, 1, 1, 2), (3, 2, 0, 2, 1), (2, 0, 1, 3, 4)])
def test_conv_transpose1d_is_the_height_one_conv_transpose2d(stride, padding, output_padding,
                                                              dilation, groups):
    rng = np.random.default_rng(stride + 10 * dilation)
    x = rng.standard_normal((2, 8, 9))
    w = rng.standard_normal((8, 12 // groups, 4))
    b = rng.standard_normal(12)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
              dilation=dilation)
    y = F.conv_transpose1d(pe.tensor(x), pe.tensor(w), pe.tensor(b), **kw)
    y2 = F.conv_transpose2d(pe.tensor(x[:, :, None]), pe.tensor(w[:, :, None]), pe.tensor(b),
                            stride=(1, stride), padding=(0, padding),
                            output_padding=(0, output_padding), groups=groups,
                            dilation=(1, dilation))
    np.testing.assert_array_equal(y.numpy(), y2.numpy()[:, :, 0])
    # the definition: x[n, c, l] * w[c, o, j] lands on l stride - padding + j dilation
    L = (9 - 1) * stride - 2 * padding + dilation * 3 + output_padding + 1
    ref = np.zeros((2, 12, L + 2 * padding + 8 * dilation))
    og = 12 // groups
    for c in range(8):
        g = c // (8 // groups)
        for j in range(4):
            for l_ in range(9):
                ref[:, g * og:(g + 1) * og, l_ * stride + j * dilation] += \
                    x[:, c, l_, None] * w[c, :, j][None]
    ref = ref[:, :, padding:padding + L] + b[None, :, None]
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)
    m = nn.ConvTranspose1d(8, 12, 4, groups=groups, dtype=pe.float64, **{
        k: v for k, v in kw.items() if k != "groups"})
    assert m.weight.shape == (8, 12 // groups, 4)
    xs = pe.tensor(x, requires_grad=True)
    assert gradcheck(lambda t: m(t), (xs,))
    assert m(pe.tensor(x), output_size=[L]).shape == (2, 12, L)
    with pytest.raises(ValueError, match=r"\[conv_transpose1d\] weight must be 3-D"):
        F.conv_transpose1d(pe.tensor(x), pe.tensor(w[..., None]))
