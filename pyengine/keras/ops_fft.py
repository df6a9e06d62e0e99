"""Keras 3's Fourier ops on (real, imaginary) pairs of float tensors, as keras.ops spells them
(no complex dtype is needed): fft / ifft along the last axis, fft2 / ifft2 along the last two,
rfft / irfft of real signals, and stft / istft (short-time transforms built on them). Each is a product with the DFT's cosine and sine matrices,

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


def _stft_window(window, sequence_length, fft_length, op):
    """Keras 3's window of stft / istft: 'hann' or 'hamming' (periodic, as scipy's
    get_window(name, n) gives them), the values of an array of sequence_length, or None (a
    rectangle); zero-padded on both sides to fft_length."""
    if window is None:
        w = np.ones(sequence_length)
    elif isinstance(window, str):
        k = np.arange(sequence_length)
        if window == "hann":
            w = 0.5 - 0.5 * np.cos(2.0 * np.pi * k / sequence_length)
        elif window == "hamming":
            w = 0.54 - 0.46 * np.cos(2.0 * np.pi * k / sequence_length)
        else:
            raise ValueError(f"[keras.ops.{op}] window must be 'hann', 'hamming', an array of "
                             f"sequence_length values or None. Received: window={window!r}")
    else:
        w = np.asarray(getattr(window, "_data", window), np.float64)
        if w.shape != (sequence_length,):
            raise ValueError(f"[keras.ops.{op}] the window must have shape "
                             f"({sequence_length},) (sequence_length). Received: {w.shape}")
    left = (fft_length - sequence_length) // 2
    return np.pad(w, (left, fft_length - sequence_length - left))


def _stft_sizes(sequence_length, sequence_stride, fft_length, op):
    for name, v in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride),
                    ("fft_length", fft_length)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"[keras.ops.{op}] {name} must be a positive int. Received: "
                             f"{name}={v!r}")
    if fft_length < sequence_length:
        raise ValueError(f"[keras.ops.{op}] fft_length ({fft_length}) must be at least "
                         f"sequence_length ({sequence_length})")
    return int(sequence_length), int(sequence_stride), int(fft_length)


@graph_op
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Keras 3's short-time Fourier transform of real signals along the last axis: frames of
    fft_length samples every sequence_stride (center=True first pads fft_length // 2 samples
    on each side by reflection), each multiplied by the window (sequence_length values,
    centred in fft_length) and rfft-ed. Returns (real, imag), each (..., frames,
    fft_length // 2 + 1) with frames = 1 + (padded length - fft_length) // sequence_stride;
    unscaled, as Keras' backends return it. Differentiable in x."""
    n_seq, stride, n = _stft_sizes(sequence_length, sequence_stride, fft_length, "stft")
    x = _t(x)
    if x._data.dtype.kind != "f":
        x = x.astype("float32")
    if x.ndim < 1:
        raise ValueError("[keras.ops.stft] x must have at least one (time) axis")
    if center:
        half = n // 2
        if x.shape[-1] <= half:
            raise ValueError(f"[keras.ops.stft] center=True reflects fft_length // 2 = {half} "
                             f"samples, so the signal needs more than that. Received: "
                             f"{x.shape[-1]} samples")
        from ..tf_names_more import pad as _pad
        x = _pad(x, [(0, 0)] * (x.ndim - 1) + [(half, half)], mode="REFLECT")
    frames = 1 + (x.shape[-1] - n) // stride
    if frames < 1:
        raise ValueError(f"[keras.ops.stft] the signal ({x.shape[-1]} samples after padding) "
                         f"is shorter than fft_length={n}")
    idx = np.arange(frames)[:, None] * stride + np.arange(n)[None, :]
    w = Tensor._wrap(_stft_window(window, n_seq, n, "stft").astype(x._data.dtype))
    return rfft(x[..., idx] * w)


@graph_op
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The inverse of keras.ops.stft (Keras 3's, as its NumPy / JAX backends compute it): each
    frame's irfft times the window, overlap-added and divided by the overlap-added squared
    window (where that is above 1e-10); center=True drops the fft_length // 2 samples of
    padding at each end, and `length` (if given) keeps that many samples. x is (real, imag)
    of shape (..., frames, fft_length // 2 + 1). Differentiable in x."""
    n_seq, stride, n = _stft_sizes(sequence_length, sequence_stride, fft_length, "istft")
    re, im = _pair(x, "istft")
    if re.ndim < 2:
        raise ValueError(f"[keras.ops.istft] x must be (..., frames, bins). Received: shape "
                         f"{tuple(re.shape)}")
    if length is not None and (isinstance(length, bool) or
                               not isinstance(length, (int, np.integer)) or length < 1):
        raise ValueError(f"[keras.ops.istft] length must be a positive int or None. "
                         f"Received: length={length!r}")
    frames = re.shape[-2]
    wv = _stft_window(window, n_seq, n, "istft")
    w = Tensor._wrap(wv.astype(re._data.dtype))
    pieces = irfft((re, im), fft_length=n) * w  # (..., frames, n)
    total = n + stride * (frames - 1)
    from ..tf_names_more import pad as _pad
    lead = [(0, 0)] * (re.ndim - 2)
    out = None
    for f in range(frames):
        piece = _pad(pieces[..., f, :], lead + [(f * stride, total - n - f * stride)])
        out = piece if out is None else out + piece
    norm = np.zeros(total)
    for f in range(frames):
        norm[f * stride:f * stride + n] += wv * wv
    out = out * Tensor._wrap((1.0 / np.where(norm > 1e-10, norm, 1.0)).astype(re._data.dtype))
    start = n // 2 if center else 0
    if length is not None:
        end = start + int(length)
    else:
        end = total - n // 2 if center else total
    return out[..., start:end]
