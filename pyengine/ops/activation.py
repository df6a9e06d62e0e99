"""Activations and softmax on the C++ kernels (csrc/eltwise). Float tensors only; integer
inputs are computed in float32, as PyTorch promotes them."""
import numpy as np

from ..autograd import Function

# What each activation's backward needs: x (input), y (output) or both.
_NEEDS = {"relu": "x", "leaky_relu": "x", "elu": "xy", "gelu": "x", "sigmoid": "y", "tanh": "y",
          "softplus": "x"}


def _as_float(ctx, a):
    return a if ctx.backend.is_float_kernel_dtype(a.dtype) else a.astype(np.float32)


class Activation(Function):
    """y = act(x) for relu, leaky_relu(p0=slope), elu(p0=alpha), gelu, sigmoid, tanh,
    softplus(p0=beta, p1=threshold)."""

    @staticmethod
    def forward(ctx, a, name="relu", p0=0.0, p1=0.0):
        a = _as_float(ctx, a)
        y = ctx.backend.activation(name, a, p0, p1)
        need = _NEEDS[name]
        ctx.save_for_backward(a if "x" in need else None, y if "y" in need else None)
        ctx.params = (name, p0, p1)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        name, p0, p1 = ctx.params
        return ctx.backend.activation_backward(name, x, y, g, p0, p1)


def _fixed(name):
    """`Activation` with `name` fixed and no parameters: Tensor.relu() etc. call it through
    Function.apply's one-input fast path (no keyword packing). Same forward and backward."""

    class Fixed(Function):
        @staticmethod
        def forward(ctx, a):
            if a.dtype is not _F32 and a.dtype is not _F64:
                a = _as_float(ctx, a)
            y = ctx.backend.activation(name, a)
            if ctx.needs_input_grad is not None:
                ctx.save_for_backward(a if need_x else None, y if need_y else None)
                ctx.params = params
            return y

        backward = staticmethod(Activation.backward)

    need = _NEEDS[name]
    need_x, need_y, params = "x" in need, "y" in need, (name, 0.0, 0.0)
    Fixed.__name__ = Fixed.__qualname__ = name.capitalize()
    return Fixed


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
ReLU, Sigmoid, Tanh = _fixed("relu"), _fixed("sigmoid"), _fixed("tanh")


class Softmax(Function):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along `axis`; log=True gives log_softmax."""

    @staticmethod
    def forward(ctx, a, axis=-1, log=False):
        a = _as_float(ctx, a)
        if a.ndim == 0:
            a = a.reshape(1)
            ctx.scalar = True
        else:
            ctx.scalar = False
        y = ctx.backend.softmax(a, axis, log)
        ctx.save_for_backward(y)
        ctx.params = (axis, log)
        return y.reshape(()) if ctx.scalar else y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        axis, log = ctx.params
        gx = ctx.backend.softmax_backward(y, np.reshape(g, y.shape), axis, log)
        return gx.reshape(()) if ctx.scalar else gx
