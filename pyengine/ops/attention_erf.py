"""erf(x) = 2 / sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise, with its gradient
2 / sqrt(pi) * exp(-x^2). Needed by Keras programs (keras.ops.erf, the exact GELU written by
hand). The forward is the backend's erf (vectorised NumPy, Cody's rational approximations,
within 4 ulp of math.erf in float64: backend/cpu_erf.py)."""
import math

import numpy as np

from ..autograd import Function

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        dtype = x.dtype if x.dtype.kind == "f" else np.float32
        return ctx.backend.erf(x).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x = ctx.x
        return g * (_TWO_OVER_SQRT_PI * np.exp(-(x * x))).astype(g.dtype, copy=False)


def erf(x):
    """erf(x) elementwise (float output), differentiable.

    >>> pe.erf(pe.tensor([0.0, 10.0]))
    tensor([0., 1.])
    """
    return Erf.apply(x)
