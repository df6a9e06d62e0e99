"""F.unfold (im2col) and F.fold (col2im), PyTorch's layout: unfold turns (N, C, H, W) into
(N, C * kh * kw, L) columns, one per sliding block (L blocks, row-major), the C * kh * kw axis
ordered channel-major then kernel row then kernel column; fold sums such columns back into an
image, so fold is unfold's adjoint (overlaps add up).

Both are one differentiable op on the padded (N, C, Hp * Wp) view with the same flat position
table: unfold gathers with index_select, fold accumulates with index_add, so autograd supplies
the gradients (each is the other's backward). nn.Unfold / nn.Fold call these."""
import numpy as _np

from ..ops.conv import _pair
from ..tensor import Tensor
from .functional import pad

__all__ = ["unfold", "fold"]


def _blocks(op, size, kernel, dilation, padding, stride):
    """Number of sliding blocks per axis (oh, ow); errors name op."""
    for name, v, least in (("kernel_size", kernel, 1), ("dilation", dilation, 1),
                           ("padding", padding, 0), ("stride", stride, 1)):
        if min(v) < least:
            raise ValueError(f"[{op}] {name} must be {'>= 0' if least == 0 else 'positive'}, "
                             f"got {name}={v}")
    out = tuple((size[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                for i in range(2))
    if min(out) < 1:
        raise ValueError(f"[{op}] no sliding block fits: spatial size {tuple(size)} with "
                         f"kernel_size={kernel}, dilation={dilation}, padding={padding}, "
                         f"stride={stride} gives {out} blocks")
    return out


def _positions(kernel, dilation, stride, blocks, padded_w):
    """Flat positions in the padded plane, ordered (ki, kj, block row, block column)."""
    ki = _np.arange(kernel[0])[:, None, None, None] * dilation[0]
    kj = _np.arange(kernel[1])[None, :, None, None] * dilation[1]
    oi = _np.arange(blocks[0])[None, None, :, None] * stride[0]
    oj = _np.arange(blocks[1])[None, None, None, :] * stride[1]
    return ((ki + oi) * padded_w + kj + oj).reshape(-1)


def _args(op, kernel_size, dilation, padding, stride):
    return (_pair(kernel_size, "kernel_size", op), _pair(dilation, "dilation", op),
            _pair(padding, "padding", op), _pair(stride, "stride", op))


def _batched(op, input, ndim):
    if not isinstance(input, Tensor):
        raise TypeError(f"[{op}] input must be a pe.Tensor, got {type(input).__name__}")
    if input.ndim not in (ndim - 1, ndim):
        raise ValueError(f"[{op}] input must be {ndim - 1}-D (unbatched) or {ndim}-D (batched), "
                         f"got shape {tuple(input.shape)}")
    return input if input.ndim == ndim else input.unsqueeze(0)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) (or (C, H, W)) input as columns: (N, C * kh * kw, L),
    L = oh * ow, oh = (H + 2 ph - dh (kh - 1) - 1) // sh + 1 (likewise ow); zero padding.

    >>> F.unfold(pe.arange(9.0).reshape(1, 1, 3, 3), 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    op = "unfold"
    x = _batched(op, input, 4)
    k, d, p, s = _args(op, kernel_size, dilation, padding, stride)
    n, c, h, w = x.shape
    blocks = _blocks(op, (h, w), k, d, p, s)
    if p != (0, 0):
        x = pad(x, (p[1], p[1], p[0], p[0]))
    pos = _positions(k, d, s, blocks, w + 2 * p[1])
    cols = x.reshape(n, c, -1).index_select(2, Tensor._wrap(pos))
    cols = cols.reshape(n, c * k[0] * k[1], blocks[0] * blocks[1])
    return cols if input.ndim == 4 else cols.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums columns (N, C * kh * kw, L) (or (C * kh * kw, L)) into an image (N, C, H, W),
    (H, W) = output_size: the adjoint of unfold, overlapping entries added.

    >>> F.fold(pe.ones(1, 4, 4), (3, 3), 2)
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    op = "fold"
    cols = _batched(op, input, 3)
    k, d, p, s = _args(op, kernel_size, dilation, padding, stride)
    size = _pair(output_size, "output_size", op)
    if min(size) < 1:
        raise ValueError(f"[{op}] output_size must be positive, got {output_size!r}")
    blocks = _blocks(op, size, k, d, p, s)
    n, ckk, length = cols.shape
    if ckk % (k[0] * k[1]):
        raise ValueError(f"[{op}] input's dim -2 ({ckk}) must be divisible by "
                         f"kh * kw = {k[0] * k[1]}")
    if length != blocks[0] * blocks[1]:
        raise ValueError(f"[{op}] input has {length} blocks (dim -1) but output_size={size} "
                         f"with kernel_size={k}, dilation={d}, padding={p}, stride={s} gives "
                         f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}")
    c = ckk // (k[0] * k[1])
    hp, wp = size[0] + 2 * p[0], size[1] + 2 * p[1]
    pos = _positions(k, d, s, blocks, wp)
    plane = Tensor._wrap(_np.zeros((n, c, hp * wp), cols._data.dtype))
    out = plane.index_add(2, Tensor._wrap(pos), cols.reshape(n, c, -1)).reshape(n, c, hp, wp)
    out = out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]
    return out if input.ndim == 3 else out.squeeze(0)
