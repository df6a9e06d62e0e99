"""Patterns of further public PyTorch programs run with only their imports changed
(docs/public_examples.md): pytorch/examples vision_transformer (Tensor.unfold patches,
torch.hub.tqdm, transforms.Resize), the spatial transformer tutorial (F.affine_grid,
F.grid_sample). Tiny sizes; values against NumPy float64, and torch when installed."""
import io

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:  # the cross-checks are optional
    torch = None


def _np_unfold(a, dim, size, step):
    n = (a.shape[dim] - size) // step + 1
    pieces = [np.take(a, range(i * step, i * step + size), axis=dim) for i in range(n)]
    return np.moveaxis(np.stack(pieces, axis=dim), dim + 1, -1)


@pytest.mark.parametrize("dim,size,step", [(2, 4, 4), (3, 3, 2), (-1, 6, 1), (0, 1, 1)])
def test_tensor_unfold_windows_and_gradient(dim, size, step):
    a = np.random.default_rng(0).standard_normal((2, 3, 8, 6))
    out = pe.tensor(a).unfold(dim, size, step)
    np.testing.assert_array_equal(out.numpy(), _np_unfold(a, dim % 4, size, step))
    # overlapping windows accumulate: each element's gradient is how many windows hold it
    x = pe.tensor(a, requires_grad=True)
    x.unfold(dim, size, step).sum().backward()
    counts = _np_unfold(np.zeros_like(a), dim % 4, size, step)
    ones = np.zeros_like(a)
    idx = np.arange(a.shape[dim % 4])
    n = (a.shape[dim % 4] - size) // step + 1
    per = np.array([sum(i * step <= j < i * step + size for i in range(n)) for j in idx], float)
    shape = [1] * 4
    shape[dim % 4] = -1
    np.testing.assert_array_equal(x.grad.numpy(), ones + per.reshape(shape))
    assert counts.shape == out.shape


def test_tensor_unfold_vit_patches_and_errors():
    img = pe.tensor(np.arange(2 * 3 * 4 * 4, dtype=np.float32).reshape(2, 3, 4, 4))
    p = img.unfold(2, 2, 2).unfold(3, 2, 2).permute(0, 2, 3, 1, 4, 5).contiguous().view(2, 4, -1)
    assert p.shape == (2, 4, 12)
    np.testing.assert_array_equal(p.numpy()[0, 1, :4], [2, 3, 6, 7])  # patch (0, 1), channel 0
    with pytest.raises(RuntimeError, match="unfold"):
        img.unfold(2, 5, 1)
    with pytest.raises(RuntimeError, match="unfold"):
        img.unfold(2, 2, 0)
    assert pe.tensor(5.0).unfold(0, 1, 1).shape == (1,)
    x = pe.tensor(np.random.default_rng(1).standard_normal((2, 7)), requires_grad=True)
    assert gradcheck(lambda t: t.unfold(1, 3, 2) * 1.5, (x,))


def test_hub_tqdm_wraps_a_loader():
    from pyengine.hub import tqdm
    assert pe.hub.tqdm is tqdm
    stream = io.StringIO()
    bar = tqdm([1, 2, 3], desc="EPOCH", file=stream)
    assert len(bar) == 3
    seen = []
    for t, item in enumerate(bar):
        seen.append(item)
        bar.set_postfix({"Loss": "%6f" % (1.0 / (t + 1))})
    assert seen == [1, 2, 3]


def _np_resize_bilinear(a, out, antialias=True):
    """Pillow's separable triangle filter, written out independently in float64."""
    def axis_weights(n_in, n_out):
        scale = n_in / n_out
        sup = scale if antialias and scale > 1 else 1.0
        w = np.zeros((n_out, n_in))
        for i in range(n_out):
            c = (i + 0.5) * scale
            for j in range(n_in):
                w[i, j] = max(0.0, 1 - abs((j + 0.5 - c) / sup))
            w[i] /= w[i].sum()
        return w
    wh, ww = axis_weights(a.shape[-2], out[0]), axis_weights(a.shape[-1], out[1])
    return np.einsum("ih,...hw,jw->...ij", wh, a, ww)


@pytest.mark.parametrize("size,antialias", [((5, 7), True), ((13, 20), True), ((5, 7), False)])
def test_resize_bilinear_matches_the_filter(size, antialias):
    from pyengine.vision.transforms import Resize
    a = np.random.default_rng(2).random((2, 3, 9, 11))
    got = Resize(size, antialias=antialias)(pe.tensor(a)).numpy()
    np.testing.assert_allclose(got, _np_resize_bilinear(a, size, antialias), atol=1e-12)
    if torch is not None:
        want = torch.nn.functional.interpolate(torch.tensor(a), size=size, mode="bilinear",
                                               align_corners=False, antialias=antialias)
        np.testing.assert_allclose(got, want.numpy(), atol=1e-12)


def test_resize_compose_uint8_and_short_edge():
    from pyengine.vision.transforms import Compose, Resize, ToTensor
    img = np.random.default_rng(3).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    out = Compose([Resize((16, 16)), ToTensor()])(img)
    assert out.shape == (3, 16, 16) and out.dtype == pe.float32
    assert Resize(10)(np.zeros((20, 40, 3), np.uint8)).shape == (10, 20, 3)
    with pytest.raises(NotImplementedError, match="Resize"):
        Resize(4, interpolation="bicubic")
