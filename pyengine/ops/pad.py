"""Constant padding (F.pad, Keras ZeroPadding2D / ZeroPadding1D): the forward writes the input into
a block of the fill value, the backward slices the gradient back out.

pad = (left_last, right_last, left_second_last, right_second_last, ...) as PyTorch's F.pad: pairs
from the last dimension backwards. Negative amounts crop, as in PyTorch.
"""
import numpy as np

from ..autograd import Function


class Pad(Function):
    @staticmethod
    def forward(ctx, x, widths=(), value=0.0):
        # widths: one (before, after) per dimension, all non-negative (crops are done by slicing)
        ctx.params = widths
        y = np.full(tuple(s + b + a for s, (b, a) in zip(x.shape, widths)), value, x.dtype)
        y[tuple(slice(b, b + s) for s, (b, _) in zip(x.shape, widths))] = x
        return y

    @staticmethod
    def backward(ctx, g):
        widths = ctx.params
        return (g[tuple(slice(b, g.shape[i] - a) for i, (b, a) in enumerate(widths))],)


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) the last len(pad) // 2 dimensions with `value`.

    >>> F.pad(pe.ones(1, 2, 3), (1, 1, 2, 0)).shape
    (1, 4, 5)
    """
    op = "pad"
    if mode != "constant":
        raise ValueError(f"[{op}] only mode='constant' is implemented, got mode={mode!r}")
    pad = tuple(pad)
    if len(pad) % 2 or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool)
                               for p in pad):
        raise ValueError(f"[{op}] pad must be an even-length sequence of ints, got {pad!r}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"[{op}] pad {pad} covers {len(pad) // 2} dimensions but the input has "
                         f"{input.ndim}")
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    if any(b < 0 or a < 0 for b, a in widths):  # crop first, then pad what remains
        key = []
        for s, (b, a) in zip(input.shape, widths):
            lo, hi = max(0, -b), s - max(0, -a)
            if hi < lo:
                raise ValueError(f"[{op}] pad {pad} crops more than the input {tuple(input.shape)}")
            key.append(slice(lo, hi))
        input = input[tuple(key)]
        widths = [(max(0, b), max(0, a)) for b, a in widths]
    return Pad.apply(input, widths=tuple(widths), value=0.0 if value is None else float(value))
