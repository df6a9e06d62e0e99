"""Fused dense layer: y = act(x @ weight^T + bias) as one autograd Function on one kernel call
forward (GEMM, bias and activation epilogue) and one backward (the activation derivative and the
bias gradient in one pass, then the two GEMMs). The arithmetic is that of the composition
``matmul``, ``+ bias``, activation, so results are bitwise identical to it (tests/test_linear_fused.py).
"""
import numpy as np

from .. import autograd as _ag
from ..autograd import Function

# Activations the kernel fuses: their derivative needs the output y only.
FUSED_ACTIVATIONS = ("relu", "sigmoid", "tanh")
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class Linear(Function):
    """x (..., K), weight (O, K), bias (O,) or absent -> (..., O)."""

    @staticmethod
    def forward(ctx, x, weight, bias=None, activation="none"):
        k = x.shape[-1]
        x2 = x if x.ndim == 2 else x.reshape(-1, k)
        y = ctx.backend.linear(x2, weight, bias, activation)
        if ctx.needs_input_grad is not None:
            ctx.save_for_backward(x2, weight, None if activation == "none" else y)
            ctx.act, ctx.x_shape = activation, x.shape
            ctx.grads_are_fresh = True  # the kernel's outputs are new arrays, shared with nothing
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x2, weight, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, weight.shape[0])
        gx, gw, gb = ctx.backend.linear_backward(
            x2, weight, y, g2, need[0], need[1], len(need) > 2 and need[2], ctx.act)
        if gx is not None and len(ctx.x_shape) != 2:
            gx = gx.reshape(ctx.x_shape)
        return (gx, gw, gb) if len(need) > 2 else (gx, gw)


def linear(x, weight, bias=None, activation=None):
    """act(x @ weight.T + bias): the fused op when x, weight and bias are CPU tensors of one
    float dtype with weight (O, K) and bias (O,); otherwise the same composition unfused
    (mixed dtypes promote as `@` and `+` do)."""
    act = "none" if activation is None else activation
    if act != "none" and act not in FUSED_ACTIVATIONS:
        raise ValueError(f"[linear] activation must be None or one of {FUSED_ACTIVATIONS}, "
                         f"got {activation!r}")
    T = _ag.Tensor
    if (isinstance(x, T) and isinstance(weight, T) and x._device.type == "cpu"
            and weight._device.type == "cpu" and x._data.dtype in _FLOATS
            and weight._data.dtype is x._data.dtype and weight._data.ndim == 2 and x._data.ndim >= 1):
        if bias is None:
            return _ag.apply_tensors(Linear, (x, weight), {"activation": act})
        if (isinstance(bias, T) and bias._data.dtype is x._data.dtype and bias._device.type == "cpu"
                and bias._data.shape == weight._data.shape[:1]):
            return _ag.apply_tensors(Linear, (x, weight, bias), {"activation": act})
    y = x @ weight.T
    if bias is not None:
        y = y + bias
    return y if act == "none" else getattr(y, act)()
