"""erf(x) = 2 / sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise, with its gradient
2 / sqrt(pi) * exp(-x^2). Needed by Keras programs (keras.ops.erf, the exact GELU written by
hand). There is no erf kernel in the backend: the forward evaluates Python's math.erf per
element (exact to float64 rounding, ~0.1 us per element), good for the sizes these programs use;
a vectorised kernel would belong in csrc/eltwise."""
import math

import numpy as np

from ..autograd import Function

_erf = np.frompyfunc(math.erf, 1, 1)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        dtype = x.dtype if x.dtype.kind == "f" else np.float32
        return _erf(x).astype(dtype)

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
