"""Resampling (F.interpolate), projective warp (F.affine_warp) and transposed convolution
(F.conv_transpose2d) against NumPy float64 references written here; gradcheck; every ISA path;
1 vs 2 threads bitwise; PyTorch cross-checks when it is installed; bad input."""
import math

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine.testing import gradcheck

from helpers import check_op

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the cross-checks skip
    torch = None

RNG = np.random.default_rng(0)


# ---- references ------------------------------------------------------------------------------
def ref_axis(n_in, n_out, mode, align, scale):
    """(i0, i1, l) per output index: the definition of each mode, written independently."""
    taps = []
    for o in range(n_out):
        if mode == "nearest":
            i = min(int(math.floor(o * scale)), n_in - 1)
            taps.append((i, i, 0.0))
        elif mode == "nearest-exact":
            i = min(int(math.floor((o + 0.5) * scale)), n_in - 1)
            taps.append((i, i, 0.0))
        else:
            if align:
                src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            else:
                src = max(0.0, (o + 0.5) * scale - 0.5)
            i0 = min(int(math.floor(src)), n_in - 1)
            i1 = min(i0 + 1, n_in - 1)
            taps.append((i0, i1, 0.0 if i1 == i0 else src - i0))
    return taps


def ref_interpolate(x, size, mode, align=False, scales=None):
    n, c, h, w = x.shape
    sh, sw = scales if scales else (h / size[0], w / size[1])
    th, tw = ref_axis(h, size[0], mode, align, sh), ref_axis(w, size[1], mode, align, sw)
    y = np.zeros((n, c) + tuple(size))
    for i, (a0, a1, ly) in enumerate(th):
        for j, (b0, b1, lx) in enumerate(tw):
            y[:, :, i, j] = ((1 - ly) * ((1 - lx) * x[:, :, a0, b0] + lx * x[:, :, a0, b1])
                             + ly * ((1 - lx) * x[:, :, a1, b0] + lx * x[:, :, a1, b1]))
    return y


def ref_map(v, n, mode):
    if mode == "constant":
        return v
    if mode == "nearest":
        return min(max(v, 0.0), n - 1.0)
    if n <= 1:
        return 0.0
    if mode == "reflect":  # period 2n, edge pixel repeated: (d c b a | a b c d | d c b a)
        v = v % (2 * n)
        if v >= n:
            v = 2 * n - v - 1
    else:  # wrap
        v = v % n
    return min(max(v, 0.0), n - 1.0)


def ref_warp(x, t, out_hw, interpolation, fill_mode, fill_value):
    n, h, w, c = x.shape
    y = np.zeros((n,) + tuple(out_hw) + (c,))

    def read(img, r, q):
        if 0 <= r <= h - 1 and 0 <= q <= w - 1:
            return img[int(r), int(q)]
        return np.full(c, fill_value)

    for b in range(n):
        a0, a1, a2, b0, b1, b2, c0, c1 = [float(v) for v in t[b]]
        for i in range(out_hw[0]):
            for j in range(out_hw[1]):
                k = c0 * j + c1 * i + 1.0
                if k == 0:
                    y[b, i, j] = fill_value
                    continue
                xi = ref_map((a0 * j + a1 * i + a2) / k, w, fill_mode)
                yi = ref_map((b0 * j + b1 * i + b2) / k, h, fill_mode)
                if interpolation == "nearest":
                    rnd = lambda v: math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)
                    y[b, i, j] = read(x[b], rnd(yi), rnd(xi))
                    continue
                fy, fx = math.floor(yi), math.floor(xi)
                ly, lx = yi - fy, xi - fx
                y[b, i, j] = ((1 - ly) * ((1 - lx) * read(x[b], fy, fx) + lx * read(x[b], fy, fx + 1))
                              + ly * ((1 - lx) * read(x[b], fy + 1, fx)
                                      + lx * read(x[b], fy + 1, fx + 1)))
    return y


def ref_conv_transpose(x, w, b, stride, padding, output_padding, groups, dilation):
    n, cin, h, wd = x.shape
    cout_g, kh, kw = w.shape[1:]
    oh = (h - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1
    ow = (wd - 1) * stride - 2 * padding + dilation * (kw - 1) + output_padding + 1
    full = np.zeros((n, cout_g * groups, oh + 2 * padding + stride, ow + 2 * padding + stride))
    cin_g = cin // groups
    for ci in range(cin):
        g = ci // cin_g
        for i in range(h):
            for j in range(wd):
                for p in range(kh):
                    for q in range(kw):
                        full[:, g * cout_g:(g + 1) * cout_g, i * stride + p * dilation,
                             j * stride + q * dilation] += x[:, ci, i, j][:, None] * w[ci, :, p, q]
    y = full[:, :, padding:padding + oh, padding:padding + ow]
    return y + (0 if b is None else b.reshape(1, -1, 1, 1))


# ---- Keras Conv2DTranspose on the NHWC kernels -----------------------------------------------
# kernel, strides, padding, output_padding, dilation; (2, 1, "same", None, 4) pads past the
# kernel: the NCHW fallback.
KERAS_CT_CASES = [
    (3, 2, "same", None, 1), (4, 2, "same", None, 1), (3, 2, "valid", None, 1),
    (4, 2, "valid", 1, 1), (3, 2, "same", 1, 1), (3, 1, "same", None, 2), (1, 3, "same", None, 1),
    (5, 3, "valid", 2, 1), (2, 1, "same", None, 4), (3, 3, "same", 0, 1)]


@pytest.mark.parametrize("k,s,padding,op,d", KERAS_CT_CASES)
def test_keras_conv2d_transpose_matches_reference_forward_and_backward(k, s, padding, op, d, isa):
    """Conv2DTranspose (NHWC kernels, Keras kernel layout, no layout copies) against the float64
    transposed convolution cropped as Keras does; its gradients against those of the NCHW
    F.conv_transpose2d (itself checked against the reference and gradcheck above)."""
    from pyengine.keras import layers as L
    layer = L.Conv2DTranspose(3, k, strides=s, padding=padding, output_padding=op,
                              dilation_rate=d, bias_initializer="random_normal")
    x = RNG.standard_normal((2, 5, 6, 4)).astype(np.float32)
    y = layer(pe.tensor(x))
    kernel, bias = layer.kernel.numpy().astype(np.float64), layer.bias.numpy().astype(np.float64)
    full = ref_conv_transpose(x.transpose(0, 3, 1, 2).astype(np.float64),
                              kernel.transpose(3, 2, 0, 1), None, s, 0, s - 1, 1, d)
    (oh, ow), (top, left) = layer._geometry(5, 6)
    full = np.pad(full, ((0, 0), (0, 0), (0, s), (0, s)))  # rows output_padding adds are zeros
    ref = full[:, :, top:top + oh, left:left + ow].transpose(0, 2, 3, 1) + bias
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-4)

    g = RNG.standard_normal(y.shape).astype(np.float32)
    xt = pe.tensor(x, requires_grad=True)
    (layer(xt) * pe.tensor(g)).sum().backward()
    xr = pe.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    wr = pe.tensor(layer.kernel.numpy().transpose(3, 2, 0, 1), requires_grad=True)
    full_t = F.conv_transpose2d(xr, wr, None, s, 0, s - 1, 1, d)
    gr = np.zeros(full_t.shape, np.float32)
    kept = g.transpose(0, 3, 1, 2)[:, :, :full_t.shape[2] - top, :full_t.shape[3] - left]
    gr[:, :, top:top + oh, left:left + ow] = kept
    (full_t * pe.tensor(gr)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy().transpose(0, 2, 3, 1),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.kernel.grad.numpy(), wr.grad.numpy().transpose(2, 3, 1, 0),
                               rtol=1e-4, atol=1e-3)


def test_conv_transpose2d_nhwc_gradcheck_and_bad_geometry():
    from pyengine.ops.conv_transpose_nhwc import conv_transpose2d_nhwc
    x = pe.tensor(RNG.standard_normal((2, 3, 4, 2)), requires_grad=True)
    w = pe.tensor(RNG.standard_normal((3, 3, 3, 2)), requires_grad=True)
    assert gradcheck(lambda a, ww: conv_transpose2d_nhwc(a, ww, (2, 2), (1, 1, 0, 1), (1, 1),
                                                         (6, 8)), (x, w))
    with pytest.raises(ValueError, match=r"\[conv_transpose2d_nhwc\] output size"):
        conv_transpose2d_nhwc(x, w, (2, 2), (1, 1, 0, 1), (1, 1), (9, 8))


# ---- interpolate -----------------------------------------------------------------------------
INTERP_CASES = [
    ("nearest", None, dict(scale_factor=2)), ("nearest", None, dict(size=(7, 3))),
    ("nearest", None, dict(scale_factor=(0.5, 1.7))), ("nearest-exact", None, dict(size=(9, 4))),
    ("bilinear", False, dict(scale_factor=2)), ("bilinear", False, dict(size=(3, 11))),
    ("bilinear", True, dict(size=(8, 9))), ("bilinear", True, dict(size=(1, 1))),
    ("bilinear", False, dict(size=(1, 5))),
]


@pytest.mark.parametrize("mode,align,kw", INTERP_CASES)
def test_interpolate_matches_reference(mode, align, kw, isa):
    x = RNG.standard_normal((2, 3, 5, 6))
    size = kw.get("size")
    scales = None
    if size is None:
        sf = kw["scale_factor"]
        sf = sf if isinstance(sf, tuple) else (sf, sf)
        size = (int(math.floor(5 * sf[0])), int(math.floor(6 * sf[1])))
        scales = (1 / sf[0], 1 / sf[1])
    check_op(lambda t: F.interpolate(t, mode=mode, align_corners=align, **kw),
             lambda a: ref_interpolate(a, size, mode, bool(align), scales), x,
             kinds=("contiguous", "sliced"), grad=isa == "generic")


@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_interpolate_threads_bitwise(mode, align, threads):
    x = pe.tensor(RNG.standard_normal((16, 8, 20, 20)).astype(np.float32), requires_grad=True)
    out = []
    for n in (1, 2):
        threads(n)
        x.grad = None
        y = F.interpolate(x, scale_factor=1.5, mode=mode, align_corners=align)
        (y * y).sum().backward()
        out.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1])


def test_upsample_module_and_aliases():
    x = pe.randn(1, 2, 3, 4)
    assert nn.Upsample(scale_factor=2)(x).shape == (1, 2, 6, 8)
    assert nn.UpsamplingNearest2d(size=(5, 5))(x).shape == (1, 2, 5, 5)
    y = nn.UpsamplingBilinear2d(scale_factor=2)(x)
    np.testing.assert_allclose(y.numpy(), ref_interpolate(x.numpy().astype(np.float64), (6, 8),
                                                          "bilinear", True), rtol=1e-5, atol=1e-6)
    assert F.upsample(x, scale_factor=3).shape == (1, 2, 9, 12)


def test_interpolate_bad_input():
    x = pe.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r"\[interpolate\] give exactly one"):
        F.interpolate(x)
    with pytest.raises(ValueError, match=r"\[interpolate\] mode must be"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match=r"\[interpolate\] align_corners"):
        F.interpolate(x, scale_factor=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match=r"\[interpolate\] input must be 4-D"):
        F.interpolate(pe.randn(4, 4), size=2)
    with pytest.raises(ValueError, match=r"\[interpolate\] scale_factor"):
        F.interpolate(x, scale_factor=-1)
    with pytest.raises(ValueError, match=r"empty output"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match=r"\[interpolate\] size"):
        F.interpolate(x, size=(0, 2))
    with pytest.raises(ValueError):
        nn.Upsample()


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("mode,align,kw", INTERP_CASES)
def test_interpolate_matches_torch(mode, align, kw):
    x = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)
    g = None
    px, tx = pe.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = (F.interpolate(px, mode=mode, align_corners=align, **kw),
             TF.interpolate(tx, mode=mode, align_corners=align, **kw))
    g = RNG.standard_normal(tuple(ty.shape)).astype(np.float32)
    (y * pe.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)


# ---- affine warp -----------------------------------------------------------------------------
def _transforms(n, h, w):
    """Rotation about the centre, zoom, shear and shift: the Keras layers' transforms."""
    ts = []
    for k in range(n):
        ang, zoom, dx, dy = 0.4 * k - 0.3, 0.8 + 0.15 * k, 1.3 * k - 1.0, 0.7 - 0.9 * k
        ca, sa = math.cos(ang) / zoom, math.sin(ang) / zoom
        cx, cy = (w - 1) / 2, (h - 1) / 2
        ts.append([ca, -sa, cx - ca * cx + sa * cy + dx, sa, ca, cy - sa * cx - ca * cy + dy,
                   0.01 * k, -0.005 * k])
    return np.array(ts, np.float32)


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_affine_warp_matches_reference(fill_mode, interpolation, isa):
    x = RNG.standard_normal((3, 6, 7, 2))
    t = _transforms(3, 6, 7)
    check_op(lambda a: F.affine_warp(a, t, interpolation=interpolation, fill_mode=fill_mode,
                                     fill_value=0.5),
             lambda a: ref_warp(a, t, (6, 7), interpolation, fill_mode, 0.5), x,
             kinds=("contiguous",), grad=interpolation == "bilinear" and isa == "generic",
             tol={np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-10)})


def test_affine_warp_identity_and_output_shape():
    x = pe.tensor(RNG.standard_normal((2, 4, 5, 3)).astype(np.float32))
    ident = [1, 0, 0, 0, 1, 0, 0, 0]
    assert np.array_equal(F.affine_warp(x, ident).numpy(), x.numpy())
    assert F.affine_warp(x, ident, output_shape=(2, 3)).shape == (2, 2, 3, 3)
    assert np.array_equal(F.affine_warp(x, ident, output_shape=(2, 3)).numpy(),
                          x.numpy()[:, :2, :3])


def test_affine_warp_threads_bitwise(threads):
    x = pe.tensor(RNG.standard_normal((8, 28, 28, 3)).astype(np.float32), requires_grad=True)
    t = _transforms(8, 28, 28)
    out = []
    for n in (1, 2):
        threads(n)
        x.grad = None
        y = F.affine_warp(x, t, fill_mode="reflect")
        (y * y).sum().backward()
        out.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1])


def test_affine_warp_bad_input():
    x = pe.randn(2, 4, 4, 1)
    with pytest.raises(ValueError, match=r"\[affine_warp\] transforms must have shape \(2, 8\)"):
        F.affine_warp(x, np.zeros((3, 8)))
    with pytest.raises(ValueError, match=r"\[affine_warp\] fill_mode"):
        F.affine_warp(x, [1, 0, 0, 0, 1, 0, 0, 0], fill_mode="mirror")
    with pytest.raises(ValueError, match=r"\[affine_warp\] interpolation"):
        F.affine_warp(x, [1, 0, 0, 0, 1, 0, 0, 0], interpolation="bicubic")
    with pytest.raises(ValueError, match=r"\[affine_warp\] images must be 4-D"):
        F.affine_warp(pe.randn(4, 4), [1, 0, 0, 0, 1, 0, 0, 0])
    # a degenerate projective transform (k = 0 everywhere at the origin) fills, never divides by 0
    y = F.affine_warp(pe.ones(1, 2, 2, 1), [1, 0, 0, 0, 1, 0, 0, -0.5], fill_value=7.0)
    assert np.isfinite(y.numpy()).all()


def test_image_kernels_reject_overlap_and_bad_shapes():
    from pyengine import _C
    x = np.zeros((1, 4, 4, 1), np.float32)
    with pytest.raises(ValueError, match="overlap"):
        _C.resize_forward(x, x, 1.0, 1.0, 0)
    with pytest.raises(ValueError, match="transforms"):
        _C.affine_warp_forward(x, np.zeros((2, 8), np.float32), np.zeros_like(x), True, 2, 0.0)
    with pytest.raises(ValueError, match="mode"):
        _C.resize_forward(x, np.zeros((1, 8, 8, 1), np.float32), 0.5, 0.5, 9)
    with pytest.raises(TypeError):
        _C.resize_forward(x.astype(np.int32), np.zeros((1, 8, 8, 1), np.float32), 0.5, 0.5, 0)


# ---- transposed convolution ------------------------------------------------------------------
CT_CASES = [  # cin, cout, groups, stride, padding, output_padding, dilation, k
    (4, 6, 1, 2, 1, 1, 1, 3), (4, 4, 2, 1, 0, 0, 1, 3), (3, 2, 1, 3, 2, 2, 2, 4),
    (2, 3, 1, 2, 0, 0, 1, 1), (4, 4, 4, 2, 1, 1, 1, 3), (1, 1, 1, 1, 0, 0, 1, 2),
]


@pytest.mark.parametrize("cin,cout,groups,stride,padding,opad,dil,k", CT_CASES)
def test_conv_transpose2d_matches_reference(cin, cout, groups, stride, padding, opad, dil, k, isa):
    x = RNG.standard_normal((2, cin, 4, 5))
    w = RNG.standard_normal((cin, cout // groups, k, k))
    b = RNG.standard_normal(cout)
    check_op(lambda a, ww, bb: F.conv_transpose2d(a, ww, bb, stride, padding, opad, groups, dil),
             lambda a, ww, bb: ref_conv_transpose(a, ww, bb, stride, padding, opad, groups, dil),
             x, w, b, kinds=("contiguous", "transposed"), grad=False,
             tol={np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-9, atol=1e-9)})


@pytest.mark.parametrize("case", [CT_CASES[0], CT_CASES[1], CT_CASES[2]])
def test_conv_transpose2d_gradcheck(case):
    cin, cout, groups, stride, padding, opad, dil, k = case
    x = pe.tensor(RNG.standard_normal((1, cin, 3, 3)), requires_grad=True)
    w = pe.tensor(RNG.standard_normal((cin, cout // groups, k, k)), requires_grad=True)
    b = pe.tensor(RNG.standard_normal(cout), requires_grad=True)
    assert gradcheck(lambda a, ww, bb: F.conv_transpose2d(a, ww, bb, stride, padding, opad,
                                                          groups, dil), (x, w, b))


def test_conv_transpose2d_module_output_size_and_unbatched():
    m = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1)
    x = pe.randn(2, 8, 7, 7)
    assert m(x).shape == (2, 4, 13, 13)
    assert m(x, output_size=(14, 14)).shape == (2, 4, 14, 14)
    assert m(pe.randn(8, 7, 7)).shape == (4, 13, 13)
    with pytest.raises(ValueError, match="not reachable"):
        m(x, output_size=(20, 20))
    assert sum(p.numel() for p in m.parameters()) == 8 * 4 * 9 + 4


def test_conv_transpose2d_bad_input():
    x = pe.randn(1, 4, 5, 5)
    with pytest.raises(ValueError, match=r"\[conv_transpose2d\] output_padding must be smaller"):
        F.conv_transpose2d(x, pe.randn(4, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"\[conv_transpose2d\] input has 4 channels"):
        F.conv_transpose2d(x, pe.randn(3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"\[conv_transpose2d\] output height would be"):
        F.conv_transpose2d(pe.randn(1, 4, 1, 1), pe.randn(4, 2, 1, 1), padding=3)
    with pytest.raises(ValueError, match=r"\[ConvTranspose2d\] output_padding"):
        nn.ConvTranspose2d(4, 2, 3, stride=1, output_padding=1)
    with pytest.raises(ValueError, match=r"\[conv_transpose2d\] bias must have shape"):
        F.conv_transpose2d(x, pe.randn(4, 2, 3, 3), pe.randn(3))


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_conv_transpose2d_loads_torch_state_dict():
    tm = torch.nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
    m = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
    m.load_state_dict({k: pe.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = RNG.standard_normal((2, 6, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(m(pe.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


# ---- PReLU -----------------------------------------------------------------------------------
def test_prelu_reference_and_grad():
    x = RNG.standard_normal((2, 3, 4))
    w = np.array([0.1, 0.25, -0.3])
    ref = lambda a, ww: np.where(a > 0, a, ww.reshape(1, 3, 1) * a)
    check_op(F.prelu, ref, x, w)
    m = nn.PReLU(3)
    assert m(pe.randn(2, 3, 4)).shape == (2, 3, 4) and m.weight.shape == (3,)
    with pytest.raises(ValueError, match=r"\[prelu\] weight has 3 slopes"):
        F.prelu(pe.randn(2, 4), pe.ones(3))
