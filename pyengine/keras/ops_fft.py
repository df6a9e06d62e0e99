"""Keras 3's Fourier ops on (real, imaginary) pairs of float tensors, as keras.ops spells them
(no complex dtype is needed): fft / ifft along the last axis, fft2 / ifft2 along the last two,
rfft / irfft of real signals. Each is a product with the DFT's cosine and sine matrices,

    fft:  Re = xr C + xi S,  Im = xi C - xr S,   C[j, k] = cos(2 pi j k / n), S = sin(...)

(O(n^2) per transform, exact in the input's precision), so gradients flow through autograd
(keras-io's FNet mixes tokens with `keras.ops.fft2((x, zeros))[0]`).

    >>> re, im = keras.ops.fft((pe.tensor([1., 2.]), pe.tensor([0., 1.])))   # [3, -1], [1, -1]
"""
import numpy as np

from ..tensor import Tensor
from .symbolic import graph_op
from ..tf_names import _t


def _pair(x, op):
    if not (isinstance(x, (tuple, list)) and len(x) == 2):
        raise ValueError(f"[keras.ops.{op}] x must be a tuple (real, imag) of two float tensors. "
                         f"Received: {type(x).__name__}")
    re, im = _t(x[0]), _t(x[1])
    if tuple(re.shape) != tuple(im.shape):
        raise ValueError(f"[keras.ops.{op}] real and imaginary parts must have one shape. "
                         f"Received: {tuple(re.shape)} and {tuple(im.shape)}")
    for part in (re, im):
        if part._data.dtype.kind != "f":
            raise TypeError(f"[keras.ops.{op}] both parts must be floating. Received: "
                            f"{part._data.dtype}")
    return re, im


def _cs(n, dtype, rows=None):
    """cos / sin matrices (n inputs -> rows outputs) of the DFT, as Tensors of dtype."""
    j = np.arange(n)[:, None]
    k = np.arange(n if rows is None else rows)[None, :]
    angle = 2.0 * np.pi * (j * k % n) / n
    return (Tensor._wrap(np.cos(angle).astype(dtype)), Tensor._wrap(np.sin(angle).astype(dtype)))


def _fft_last(re, im, inverse=False):
    n = re.shape[-1]
    c, s = _cs(n, re._data.dtype)
    if not inverse:
        return re @ c + im @ s, im @ c - re @ s
    return (re @ c - im @ s) * (1.0 / n), (im @ c + re @ s) * (1.0 / n)


def _on_axis(fn, re, im, axis):
    """fn along `axis` (moved last and back)."""
    re, im = re.transpose(axis, -1), im.transpose(axis, -1)
    re, im = fn(re, im)
    return re.transpose(axis, -1), im.transpose(axis, -1)


@graph_op
def fft(x):
    """The DFT along the last axis: (real, imag) -> (real, imag)."""
    return _fft_last(*_pair(x, "fft"))


@graph_op
def ifft(x):
    """The inverse DFT along the last axis (divided by n, as NumPy)."""
    return _fft_last(*_pair(x, "ifft"), inverse=True)


def _2d(x, op, inverse):
    re, im = _pair(x, op)
    if re.ndim < 2:
        raise ValueError(f"[keras.ops.{op}] needs at least 2-D input. Received: shape "
                         f"{tuple(re.shape)}")
    re, im = _fft_last(re, im, inverse)
    return _on_axis(lambda a, b: _fft_last(a, b, inverse), re, im, re.ndim - 2)


@graph_op
def fft2(x):
    """The 2-D DFT along the last two axes."""
    return _2d(x, "fft2", False)


@graph_op
def ifft2(x):
    """The inverse 2-D DFT along the last two axes."""
    return _2d(x, "ifft2", True)


def _length(x, fft_length, op):
    n = x.shape[-1] if fft_length is None else int(fft_length)
    if n < 1:
        raise ValueError(f"[keras.ops.{op}] fft_length must be a positive int. Received: {fft_length}")
    if n == x.shape[-1]:
        return x, n
    if n < x.shape[-1]:
        return x[..., :n], n
    pad = [(0, 0)] * (x.ndim - 1) + [(0, n - x.shape[-1])]
    from ..tf_names_more import pad as _pad
    return _pad(x, pad), n


@graph_op
def rfft(x, fft_length=None):
    """The DFT of a real signal along the last axis (cropped / zero-padded to fft_length): the
    n // 2 + 1 non-negative frequencies as (real, imag)."""
    x = _t(x)
    if x._data.dtype.kind != "f":
        x = x.astype("float32")
    x, n = _length(x, fft_length, "rfft")
    c, s = _cs(n, x._data.dtype, n // 2 + 1)
    return x @ c, -(x @ s)


@graph_op
def irfft(x, fft_length=None):
    """The real signal whose rfft is (real, imag): n = fft_length or 2 * (bins - 1) samples
    (the imaginary parts of the zero and Nyquist bins are ignored, as NumPy's)."""
    re, im = _pair(x, "irfft")
    bins = re.shape[-1]
    n = 2 * (bins - 1) if fft_length is None else int(fft_length)
    if n < 1:
        raise ValueError(f"[keras.ops.irfft] fft_length must be a positive int. Received: {n}")
    keep = n // 2 + 1
    if bins < keep:  # missing bins are zeros
        from ..tf_names_more import pad as _pad
        widths = [(0, 0)] * (re.ndim - 1) + [(0, keep - bins)]
        re, im = _pad(re, widths), _pad(im, widths)
    re, im = re[..., :keep], im[..., :keep]
    k = np.arange(keep)[:, None]
    j = np.arange(n)[None, :]
    angle = 2.0 * np.pi * (k * j % n) / n
    weight = np.full((keep, 1), 2.0)  # each bin and its mirror image k -> n - k
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    dt = re._data.dtype
    c = Tensor._wrap((weight * np.cos(angle) / n).astype(dt))
    s = Tensor._wrap((weight * np.sin(angle) / n).astype(dt))
    return re @ c - im @ s
