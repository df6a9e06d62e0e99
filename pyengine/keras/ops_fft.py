"""keras.ops.rfft / irfft: the real-input discrete Fourier transform over the last axis as
Keras 3 returns it, a (real, imag) pair. Computed as products with the DFT's cosine / sine
matrices, so both are differentiable (keras-io eeg_bci_ssvepformer puts rfft first in its
model). Intended for the modest lengths of spectral features (a few thousand points)."""
import numpy as np

from ..tensor import Tensor
from .symbolic import graph_op as _op


def _t(x):
    from ..tf_names import _t as t
    return t(x)


def _length(n, what):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"[keras.ops.{what}] fft_length must be a positive int. Received: "
                         f"fft_length={n!r}")
    return int(n)


def _fit(x, n):
    """x's last axis cut or zero-padded to n points (as NumPy's fft does)."""
    m = x.shape[-1]
    if m > n:
        return x[..., :n]
    if m < n:
        from .ops_numpy_more import pad
        return pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n - m)])
    return x


@_op
def rfft(x, fft_length=None):
    """(real, imag) of NumPy's rfft of x over its last axis: fft_length // 2 + 1 points, x cut
    or zero-padded to fft_length (default: its length)."""
    t = _t(x)
    if t._data.dtype.kind != "f":
        t = t.float()
    n = _length(t.shape[-1] if fft_length is None else fft_length, "rfft")
    t = _fit(t, n)
    k = np.arange(n // 2 + 1)
    angle = 2.0 * np.pi * np.outer(np.arange(n), k) / n
    dt = t._data.dtype
    real = t @ Tensor._wrap(np.cos(angle).astype(dt))
    imag = t @ Tensor._wrap((-np.sin(angle)).astype(dt))
    return real, imag


@_op
def irfft(x, fft_length=None):
    """The inverse of rfft: x a (real, imag) pair of (..., n // 2 + 1) spectra, the result n
    real points (fft_length, default 2 * (points - 1))."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError("[keras.ops.irfft] x must be a (real, imag) pair of tensors")
    re, im = _t(x[0]), _t(x[1])
    m = re.shape[-1]
    n = _length(2 * (m - 1) if fft_length is None else fft_length, "irfft")
    k = np.arange(n // 2 + 1)
    re, im = _fit(re, len(k)), _fit(im, len(k))
    w = np.full(len(k), 2.0)  # each interior frequency stands for itself and its mirror
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    angle = 2.0 * np.pi * np.outer(k, np.arange(n)) / n
    dt = re._data.dtype
    c = Tensor._wrap((w[:, None] * np.cos(angle) / n).astype(dt))
    s = Tensor._wrap((-w[:, None] * np.sin(angle) / n).astype(dt))
    return re @ c + im @ s
