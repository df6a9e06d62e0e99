"""F.adaptive_max_pool2d / F.adaptive_max_pool1d: the maximum over adaptive bins, output bin i
covering [floor(i H / OH), ceil((i + 1) H / OH)) as in F.adaptive_avg_pool2d (ops/pool.py).

The argmax of each bin is found in NumPy (first maximal element in row-major order, NaN wins,
as PyTorch's CPU kernel) and the values are picked by a differentiable gather from the
(N, C, H * W) view, so the gradient goes to that one element and autograd supplies it.
Imported at the end of nn/functional.py; nn.AdaptiveMaxPool1d / 2d call these."""
import numpy as _np

from ..ops.pool import adaptive_size
from ..tensor import Tensor

__all__ = ["adaptive_max_pool2d", "adaptive_max_pool1d", "adaptive_avg_pool1d"]


def _bins(n, out):
    """Start and end of each of the `out` adaptive bins over n positions."""
    i = _np.arange(out)
    return (i * n) // out, -((-(i + 1) * n) // out)


def _argmax_bins(x, oh, ow):
    """(N, C, oh, ow) flat indices h * W + w of each bin's maximum in the (N, C, H, W) array."""
    h, w = x.shape[-2:]
    hs, he = _bins(h, oh)
    ws, we = _bins(w, ow)
    idx = _np.empty(x.shape[:2] + (oh, ow), _np.int64)
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, hs[i]:he[i], ws[j]:we[j]]
            k = win.reshape(win.shape[:2] + (-1,)).argmax(-1)
            bw = we[j] - ws[j]
            idx[:, :, i, j] = (hs[i] + k // bw) * w + ws[j] + k % bw
    return idx


def _adaptive_max(input, size, return_indices, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"[{op}] input must be a pe.Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4):
        raise ValueError(f"[{op}] input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    x = input if input.ndim == 4 else input.unsqueeze(0)
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"[{op}] the spatial dims of input must be non-empty, got shape "
                         f"{tuple(input.shape)}")
    oh, ow = adaptive_size(op, size, x.shape)
    n, c, h, w = x.shape
    idx = _argmax_bins(x._data, oh, ow)  # NumPy's argmax: the first NaN wins, as PyTorch
    out = x.reshape(n, c, h * w).gather(2, idx.reshape(n, c, oh * ow)).reshape(n, c, oh, ow)
    if input.ndim == 3:
        out, idx = out.squeeze(0), idx[0]
    return (out, Tensor._wrap(idx)) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maximum over adaptive bins of (N, C, H, W) or (C, H, W) input; output_size an int or a
    pair (None keeps that input size). return_indices=True also returns the argmax as
    h * W + w within each plane (int64), as PyTorch.

    >>> F.adaptive_max_pool2d(pe.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    return _adaptive_max(input, output_size, return_indices, "adaptive_max_pool2d")


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Maximum over adaptive bins of (N, C, L) or (C, L) input; output_size an int (or a
    1-tuple). return_indices=True also returns the argmax positions along L (int64).

    >>> F.adaptive_max_pool1d(pe.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2)
    tensor([[[3., 5.]]])
    """
    op = "adaptive_max_pool1d"
    out = _adaptive_max(input.unsqueeze(-2), (1, _size_1d(input, output_size, op)),
                        return_indices, op)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def _size_1d(input, output_size, op):
    """The checked (N, C, L) / (C, L) input's 1-D output size (an int or a 1-tuple)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"[{op}] input must be a pe.Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise ValueError(f"[{op}] input must be 2-D (C, L) or 3-D (N, C, L), got shape "
                         f"{tuple(input.shape)}")
    size = output_size
    if isinstance(size, (tuple, list)):
        if len(size) != 1:
            raise ValueError(f"[{op}] output_size must be an int or a 1-tuple, got {size!r}")
        size = size[0]
    return size


def adaptive_avg_pool1d(input, output_size):
    """Average over adaptive bins of (N, C, L) or (C, L) input (bin i covers
    [floor(i L / out), ceil((i + 1) L / out))): adaptive_avg_pool2d over a height of 1.

    >>> F.adaptive_avg_pool1d(pe.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2)
    tensor([[[2.       , 2.3333333]]])
    """
    from ..ops.pool import adaptive_avg_pool2d
    op = "adaptive_avg_pool1d"
    size = adaptive_size(op, (1, _size_1d(input, output_size, op)), input.shape)
    return adaptive_avg_pool2d(input.unsqueeze(-2), size).squeeze(-2)
