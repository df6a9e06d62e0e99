"""Dropout: inverted scaling (kept values are divided by 1 - p, so eval mode is the identity).

The mask is a counter-based random stream (csrc/dropout/dropout.h): element i of a call is kept
when bits(seed, i) >= p * 2^32, bits = 32 bits of splitmix64(seed, i), and each call's seed is
drawn from pyengine's generator, so `pe.manual_seed` makes it reproducible and every thread
count and ISA draws the same mask. The backward regenerates the mask from the seed: nothing of
the input's size is stored."""
import numpy as np

from .. import random as _random
from ..autograd import Function
from ..backend import get_backend

_TWO32 = 1 << 32


class Dropout(Function):
    """y = x * keep_i / (1 - p); dy/dx = keep_i / (1 - p), keep_i from (seed, i) alone."""

    @staticmethod
    def forward(ctx, x, seed=0, threshold=0, scale=1.0):
        ctx.params = (seed, threshold, scale)
        return ctx.backend.dropout(x, seed, threshold, scale)

    @staticmethod
    def backward(ctx, g):
        ctx.grads_are_fresh = True  # a new array
        return ctx.backend.dropout(g, *ctx.params)


class MaskMul(Function):
    """y = x * mask, mask already scaled by 1 / (1 - p); dy/dx = mask. For masks broadcast
    over some dimensions (mask_shape), drawn by the same stream."""

    @staticmethod
    def forward(ctx, x, mask=None):
        ctx.mask = mask
        return x * mask

    @staticmethod
    def backward(ctx, g):
        return g * ctx.mask


def _draw_seed(generator):
    """A 63-bit seed from the generator (numpy Generator or RandomState, or pe.Generator)."""
    gen = _random.get_generator(generator)
    draw = getattr(gen, "integers", None)
    if draw is None:  # numpy RandomState
        return int(gen.randint(0, 2 ** 63 - 1, dtype=np.int64))
    return int(draw(0, 2 ** 63))


def dropout(x, p=0.5, training=True, mask_shape=None, generator=None):
    """Zero each element (or each slice broadcast from `mask_shape`) with probability p and scale
    the rest by 1 / (1 - p). Identity when not training or p == 0.

    keep_i = bits(seed, i) >= round(p * 2^32), bits: 32 random bits of element i (row-major)
    from a counter-based stream whose seed is drawn from `generator` (default: pyengine's, so
    `pe.manual_seed` reproduces it); y = x * keep / (1 - p), shape of x.

    >>> pe.manual_seed(0); y = dropout(pe.ones(4, 4), p=0.5)   # entries are 0 or 2
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"[dropout] probability has to be between 0 and 1, got p={p}")
    if not training or p == 0.0:
        return x
    dtype = x._data.dtype if x._data.dtype.kind == "f" else np.dtype(np.float32)
    shape = tuple(x.shape) if mask_shape is None else tuple(mask_shape)
    if p == 1.0:
        return MaskMul.apply(x, mask=np.zeros(shape, dtype))
    threshold = min(_TWO32, int(round(p * _TWO32)))
    seed = _draw_seed(generator)
    scale = 1.0 / (1.0 - p)
    kernel_dtype = x._data.dtype in (np.float32, np.float64)  # what the kernel applies to
    if shape == tuple(x.shape) and kernel_dtype:
        return Dropout.apply(x, seed=seed, threshold=threshold, scale=scale)
    # A broadcast mask (or float16 / integer x): the same stream over the mask's shape.
    ones = np.ones(shape, dtype if dtype in (np.float32, np.float64) else np.float32)
    mask = get_backend(x._device).dropout(ones, seed, threshold, scale).astype(dtype, copy=False)
    return MaskMul.apply(x, mask=mask)
