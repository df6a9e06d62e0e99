"""Padding (F.pad, Keras ZeroPadding2D / ZeroPadding1D, nn.*Pad* modules).

mode='constant': the forward writes the input into a block of the fill value, the backward slices
the gradient back out. mode='reflect' / 'replicate' / 'circular': each output position reads one
input position (an index gather per padded dimension); the backward scatter-adds the gradient
back (np.add.at), so edge elements read several times get all their contributions.

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


class PadGather(Function):
    """y = x[np.ix_(*index)]: one index array per dimension (reflect / replicate / circular)."""

    @staticmethod
    def forward(ctx, x, index=()):
        ctx.index, ctx.shape = index, x.shape
        return x[np.ix_(*index)]

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, g.dtype)
        np.add.at(gx, np.ix_(*ctx.index), g)
        return (gx,)


_MODES = ("constant", "reflect", "replicate", "circular")


def _gather_index(s, b, a, mode):
    """Input positions read by the s + b + a output positions of one padded dimension."""
    if mode == "circular":  # PyTorch crops first (negative amounts), then wraps what remains
        lo, hi = max(0, -b), s - max(0, -a)
        return lo + np.mod(np.arange(-max(b, 0), hi - lo + max(a, 0)), hi - lo)
    i = np.arange(-b, s + a)
    if mode == "reflect":
        i = np.abs(i)
        i = np.where(i >= s, 2 * (s - 1) - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, s - 1)
    return i


def _pad_gather(input, pad, mode, op):
    k = len(pad) // 2
    if k not in (1, 2, 3):
        raise NotImplementedError(f"[{op}] mode={mode!r} pads the last 1, 2 or 3 dimensions "
                                  f"(pad of length 2, 4 or 6), got pad {pad!r}")
    if input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"[{op}] mode={mode!r} with a pad of length {len(pad)} expects a "
                         f"{k + 1}-D or {k + 2}-D (batched) input, got shape {tuple(input.shape)}")
    index = [np.arange(s) for s in input.shape]
    for j in range(k):
        d = input.ndim - 1 - j
        b, a = int(pad[2 * j]), int(pad[2 * j + 1])
        s = input.shape[d]
        if s == 0:
            raise ValueError(f"[{op}] mode={mode!r} cannot pad the empty dimension {d} of input "
                             f"{tuple(input.shape)}")
        if mode == "reflect" and (b >= s or a >= s):
            raise ValueError(f"[{op}] reflect padding must be less than the dimension it pads: "
                             f"padding ({b}, {a}) at dimension {d} of input {tuple(input.shape)}")
        if mode == "circular" and (b > s or a > s):
            raise ValueError(f"[{op}] circular padding must be at most the dimension it pads: "
                             f"padding ({b}, {a}) at dimension {d} of input {tuple(input.shape)}")
        if s + b + a <= 0:
            raise ValueError(f"[{op}] padding ({b}, {a}) at dimension {d} leaves nothing of "
                             f"input {tuple(input.shape)}")
        index[d] = _gather_index(s, b, a, mode)
    return PadGather.apply(input, index=tuple(index))


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) the last len(pad) // 2 dimensions.

    mode 'constant' fills with `value` (0); 'reflect' mirrors without repeating the edge (each
    amount < that dimension); 'replicate' repeats the edge; 'circular' wraps around (each amount
    <= that dimension). The non-constant modes pad the last 1, 2 or 3 dimensions of a batched or
    unbatched input, as PyTorch's.

    >>> F.pad(pe.ones(1, 2, 3), (1, 1, 2, 0)).shape
    (1, 4, 5)
    >>> F.pad(pe.arange(4.0).reshape(1, 1, 4), (2, 1), mode="reflect")
    tensor([[[2., 1., 0., 1., 2., 3., 2.]]])
    """
    op = "pad"
    if mode not in _MODES:
        raise ValueError(f"[{op}] mode must be one of {_MODES}, got mode={mode!r}")
    pad = tuple(pad)
    if len(pad) % 2 or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool)
                               for p in pad):
        raise ValueError(f"[{op}] pad must be an even-length sequence of ints, got {pad!r}")
    if mode != "constant":
        if value not in (None, 0, 0.0):
            raise ValueError(f"[{op}] padding mode {mode!r} does not take a fill value, got "
                             f"value={value!r}")
        return _pad_gather(input, pad, mode, op)
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
