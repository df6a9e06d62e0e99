"""F.pad reflect / replicate / circular and the nn.*Pad* modules, pixel (un)shuffle, instance norm
(issue 11: names pytorch/examples fast_neural_style and super_resolution import). Forward
against NumPy float64 references (np.pad, reshape/transpose, per-plane statistics), backward by
gradcheck, and against torch where installed."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import functional as F
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:  # CI has no torch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def t64(a, grad=True):
    return pe.tensor(a, dtype=pe.float64, requires_grad=grad)


def np_pad(x, pad, mode):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return np.pad(x, widths, mode=NP_MODE[mode])


CASES = [((2, 3, 5), (2, 1)), ((3, 6), (0, 4)), ((2, 3, 4, 5), (1, 2, 3, 1)),
         ((3, 4, 5), (3, 0, 0, 2)), ((1, 2, 3, 4, 5), (1, 1, 2, 0, 0, 2))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", CASES)
def test_pad_modes_numpy_reference_and_gradcheck(mode, shape, pad):
    x = rnd(*shape)
    y = F.pad(t64(x, False), pad, mode=mode)
    np.testing.assert_allclose(y.numpy(), np_pad(x, pad, mode), rtol=0, atol=0)
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode), [t64(x)])


@needs_torch
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(2, 1, 3, 0), (-1, 2, 1, -2), (-2, -1, 0, -3), (4, 1, 0, 4)])
def test_pad_modes_vs_torch(mode, pad):
    x = rnd(2, 3, 5, 6)
    if mode == "reflect" and max(pad) >= 5:
        return
    y = F.pad(t64(x, False), pad, mode=mode).numpy()
    ref = torch.nn.functional.pad(torch.tensor(x), pad, mode=mode).numpy()
    np.testing.assert_array_equal(y, ref)


def test_pad_mode_errors():
    x = t64(rnd(1, 2, 3), False)
    with pytest.raises(ValueError, match="less than the dimension"):
        F.pad(x, (3, 0), mode="reflect")
    F.pad(x, (2, 2), mode="reflect")  # < 3: fine
    with pytest.raises(ValueError, match="at most the dimension"):
        F.pad(x, (0, 4), mode="circular")
    F.pad(x, (3, 3), mode="circular")
    with pytest.raises(NotImplementedError, match="4-D"):
        F.pad(x, (1, 1, 1, 1, 1, 1), mode="replicate")  # 6 pads need a 4-D or 5-D input
    with pytest.raises(NotImplementedError, match="2-D or 3-D"):
        F.pad(t64(rnd(1, 1, 2, 3), False), (1, 1), mode="reflect")
    with pytest.raises(NotImplementedError):
        F.pad(x, (1, 1, 1, 1, 1, 1, 1, 1), mode="replicate")
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), mode="symmetric")
    with pytest.raises(ValueError, match="fill value"):
        F.pad(x, (1, 1), mode="reflect", value=2.0)


@pytest.mark.parametrize("cls,mode,padding,shape", [
    (nn.ReflectionPad1d, "reflect", 2, (2, 3, 5)), (nn.ReflectionPad2d, "reflect", (1, 2, 0, 3),
                                                    (2, 3, 4, 5)),
    (nn.ReplicationPad1d, "replicate", (3, 1), (3, 4)),
    (nn.ReplicationPad2d, "replicate", 2, (1, 2, 3, 3))])
def test_pad_modules(cls, mode, padding, shape):
    x = rnd(*shape)
    pad = (padding,) * (2 if "1d" in cls.__name__ else 4) if isinstance(padding, int) else padding
    m = cls(padding)
    np.testing.assert_array_equal(m(t64(x, False)).numpy(), np_pad(x, pad, mode))
    assert gradcheck(m, [t64(x)])
    if torch is not None:
        ref = getattr(torch.nn, cls.__name__)(padding)(torch.tensor(x)).numpy()
        np.testing.assert_array_equal(m(t64(x, False)).numpy(), ref)


def test_constant_and_zero_pad_modules():
    x = rnd(2, 3, 4)
    np.testing.assert_array_equal(nn.ConstantPad1d((1, 2), 3.5)(t64(x, False)).numpy(),
                                  np.pad(x, ((0, 0), (0, 0), (1, 2)), constant_values=3.5))
    np.testing.assert_array_equal(nn.ConstantPad2d(1, -1.0)(t64(x, False)).numpy(),
                                  np.pad(x, ((0, 0), (1, 1), (1, 1)), constant_values=-1.0))
    np.testing.assert_array_equal(nn.ZeroPad2d((0, 1, 2, 0))(t64(x, False)).numpy(),
                                  np.pad(x, ((0, 0), (2, 0), (0, 1))))
    assert gradcheck(nn.ZeroPad2d(1), [t64(x)])
    with pytest.raises(ValueError, match="tuple of 4 ints"):
        nn.ZeroPad2d((1, 2))


def np_pixel_shuffle(x, r):
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    y = np.moveaxis(y, (n + 1, n + 2), (n + 2, n + 4))  # (.., c, h, r, w, r)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 5), 2), ((9, 2, 2), 3), ((1, 2, 4, 1, 3), 2)])
def test_pixel_shuffle_numpy_reference_roundtrip_and_gradcheck(shape, r):
    x = rnd(*shape)
    y = nn.PixelShuffle(r)(t64(x, False))
    np.testing.assert_array_equal(y.numpy(), np_pixel_shuffle(x, r))
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(y).numpy(), x)
    assert gradcheck(lambda t: F.pixel_shuffle(t, r), [t64(x)])
    assert gradcheck(lambda t: F.pixel_unshuffle(t, r), [t64(y.numpy())])
    if torch is not None:
        np.testing.assert_array_equal(
            y.numpy(), torch.nn.functional.pixel_shuffle(torch.tensor(x), r).numpy())
        np.testing.assert_array_equal(
            F.pixel_unshuffle(t64(x, False), 1).numpy(), x)


def test_pixel_shuffle_errors():
    with pytest.raises(ValueError, match="divisible by upscale_factor squared"):
        F.pixel_shuffle(t64(rnd(1, 6, 2, 2), False), 2)
    with pytest.raises(ValueError, match="divisible by downscale_factor"):
        F.pixel_unshuffle(t64(rnd(1, 1, 3, 4), False), 2)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        F.pixel_shuffle(t64(rnd(4, 4), False), 2)


def np_instance_norm(x, w=None, b=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 3, 4, 5)])
def test_instance_norm_numpy_reference_and_gradcheck(shape):
    x, w, b = rnd(*shape), rnd(shape[1], seed=1), rnd(shape[1], seed=2)
    y = F.instance_norm(t64(x, False), weight=t64(w, False), bias=t64(b, False))
    np.testing.assert_allclose(y.numpy(), np_instance_norm(x, w, b), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda t, u, v: F.instance_norm(t, weight=u, bias=v),
                     [t64(x), t64(w), t64(b)])
    assert gradcheck(lambda t: F.instance_norm(t), [t64(x)])


@pytest.mark.parametrize("cls,shape", [(nn.InstanceNorm1d, (2, 3, 6)),
                                       (nn.InstanceNorm1d, (3, 6)),
                                       (nn.InstanceNorm2d, (2, 3, 4, 5)),
                                       (nn.InstanceNorm2d, (3, 4, 5))])
@pytest.mark.parametrize("affine", [False, True])
def test_instance_norm_modules(cls, shape, affine):
    x = rnd(*shape)
    m = cls(3, affine=affine, dtype=pe.float64)
    assert (len(list(m.parameters())) == 2) == affine
    batched = x if len(shape) == (3 if cls is nn.InstanceNorm1d else 4) else x[None]
    ref = np_instance_norm(batched)
    ref = ref if batched is x else ref[0]
    y = m(t64(x, False))
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    assert gradcheck(m, [t64(x)])
    if torch is not None:
        tm = getattr(torch.nn, cls.__name__)(3, affine=affine).double()
        np.testing.assert_allclose(y.detach().numpy(), tm(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-9, atol=1e-9)


def test_instance_norm_errors():
    with pytest.raises(ValueError, match="both running_mean and running_var"):
        F.instance_norm(t64(rnd(1, 2, 3), False), running_mean=pe.zeros(2))
    with pytest.raises(ValueError, match="4-D input"):
        nn.InstanceNorm2d(3)(t64(rnd(2, 3), False))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(t64(rnd(2, 3, 1), False))
    with pytest.raises(ValueError, match="expected 3 channels"):
        nn.InstanceNorm1d(3, affine=True)(t64(rnd(2, 4, 5), False))


def test_fast_neural_style_blocks_train():
    """fast_neural_style's ConvLayer (ReflectionPad2d + Conv2d) + InstanceNorm2d(affine=True) +
    super_resolution's PixelShuffle: a few optimiser steps reduce the loss."""
    pe.manual_seed(0)
    model = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(3, 8, 3),
                          nn.InstanceNorm2d(8, affine=True), nn.ReLU(),
                          nn.Conv2d(8, 12, 1), nn.PixelShuffle(2))
    x, target = pe.randn(2, 3, 6, 6), pe.randn(2, 3, 12, 12)
    opt = pe.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = F.mse_loss(model(x), target)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert model(x).shape == (2, 3, 12, 12)
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name,mode,dims", [
    ("ReflectionPad3d", "reflect", 3), ("ReplicationPad3d", "replicate", 3),
    ("CircularPad1d", "circular", 1), ("CircularPad2d", "circular", 2),
    ("CircularPad3d", "circular", 3), ("ZeroPad1d", "constant", 1), ("ZeroPad3d", "constant", 3)])
def test_more_pad_modules(name, mode, dims):
    shape = (2, 2, 3, 4, 5)[-(dims + 2):]
    pad = (1, 2, 2, 0, 0, 1)[:2 * dims]
    x = rnd(*shape)
    m = getattr(nn, name)(pad)
    y = m(t64(x, False)).numpy()
    if mode == "constant":
        widths = [(0, 0)] * x.ndim
        for k in range(dims):
            widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
        np.testing.assert_array_equal(y, np.pad(x, widths))
    else:
        np.testing.assert_array_equal(y, np_pad(x, pad, mode))
    assert gradcheck(m, [t64(x)])
    if torch is not None and hasattr(torch.nn, name):
        np.testing.assert_array_equal(y, getattr(torch.nn, name)(pad)(torch.tensor(x)).numpy())
    c = nn.ConstantPad3d(1, 2.0)(t64(rnd(1, 2, 2, 2), False)).numpy()
    np.testing.assert_array_equal(c, np.pad(rnd(1, 2, 2, 2), ((0, 0), (1, 1), (1, 1), (1, 1)),
                                            constant_values=2.0))
