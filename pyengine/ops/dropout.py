"""Dropout: inverted scaling (kept values are divided by 1 - p, so eval mode is the identity).
The mask comes from pyengine's generator, so `pe.manual_seed` makes it reproducible."""
import numpy as np

from .. import random as _random
from ..autograd import Function


class MaskMul(Function):
    """y = x * mask, mask already scaled by 1 / (1 - p); dy/dx = mask."""

    @staticmethod
    def forward(ctx, x, mask=None):
        ctx.mask = mask
        return x * mask

    @staticmethod
    def backward(ctx, g):
        return g * ctx.mask


def dropout(x, p=0.5, training=True, mask_shape=None, generator=None):
    """Zero each element (or each slice broadcast from `mask_shape`) with probability p and scale
    the rest by 1 / (1 - p). Identity when not training or p == 0.

    >>> pe.manual_seed(0); y = dropout(pe.ones(4, 4), p=0.5)   # entries are 0 or 2
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"[dropout] probability has to be between 0 and 1, got p={p}")
    if not training or p == 0.0:
        return x
    dtype = x._data.dtype if x._data.dtype.kind == "f" else np.float32
    shape = x.shape if mask_shape is None else mask_shape
    if p == 1.0:
        mask = np.zeros(shape, dtype)
    else:
        keep = _random.get_generator(generator).random(shape) >= p
        mask = keep.astype(dtype) * dtype.type(1.0 / (1.0 - p))
    return MaskMul.apply(x, mask=mask)
