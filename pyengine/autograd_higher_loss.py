"""Differentiable backward rules (see autograd_higher.py) of the fused losses whose gradient is
a simple formula: NLLLoss (what Keras' sparse categorical cross-entropy on probabilities runs)
and MSELoss. Each rule is the Function's backward written once more on Tensors, so a gradient
taken inside another GradientTape (a second-order step) goes through them."""
import numpy as np


def _scaled(ctx, g, flat_n):
    """The upstream gradient as the per-element factor the loss's backward uses (_scale):
    a 'mean' loss divides by its denominator; a scalar g is broadcast to flat_n elements."""
    from .autograd_higher import _broadcast, _reshape
    if ctx.reduction == "mean":
        g = g / float(ctx.denom)
    return _broadcast(_reshape(g, (1,)), (flat_n,)) if ctx.reduction != "none" else \
        _reshape(g, (flat_n,))


def register(rule):
    from .autograd import Tensor
    from .autograd_higher import Scatter, _const, _permute, _reshape
    from .ops.loss import MSELoss, NLLLoss

    @rule(NLLLoss)
    def _nll(ctx, inputs, out, g):
        w, safe = ctx.saved_tensors
        n, shape = safe.size, tuple(ctx.shape)
        c = shape[1] if len(shape) >= 2 else shape[0]
        vals = _scaled(ctx, g, n) * _const(-w)
        g2 = Scatter.apply(vals, key=(np.arange(n), safe), shape=(n, c))
        if len(shape) <= 2:
            gx = _reshape(g2, shape)
        else:  # (N * d..., C) back to (N, C, d...)
            moved = _reshape(g2, (shape[0],) + shape[2:] + (c,))
            k = len(shape) - 2
            gx = _permute(moved, (0, k + 1) + tuple(range(1, k + 1)))
        return (gx,) + (None,) * (len(inputs) - 1)

    @rule(MSELoss)
    def _mse(ctx, inputs, out, g):
        (d,) = ctx.saved_tensors  # x - y; an operand that is no tensor is a constant
        x, y = (t if isinstance(t, Tensor) else None for t in inputs[:2])
        if x is not None and y is not None:
            d = x - y
        elif x is not None:
            d = x - _const(x._data - d)
        else:
            d = _const(d + y._data) - y
        if ctx.reduction == "none":
            s = g
        else:
            s = g / float(ctx.denom) if ctx.reduction == "mean" else g
        gx = 2.0 * s * d
        return gx, -gx
