"""Reductions over an axis, several axes or everything, with keepdims."""
import numpy as np

from .. import autograd as _ag
from ..autograd import Function
from ..backend import get_backend


def _norm_axes(axis, ndim, op):
    """Axis argument as a sorted tuple of non-negative axes; ValueError when out of range."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"[{op}] axis must be an int or tuple of ints, got {a!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"[{op}] axis {a} is out of range for a {ndim}-d tensor")
        out.append(int(a) % max(ndim, 1))
    if ndim == 0:
        return ()  # a 0-d tensor reduces over nothing (PyTorch accepts dim 0 / -1 here)
    if len(set(out)) != len(out):
        raise ValueError(f"[{op}] repeated axis in {axis}")
    return tuple(sorted(out))


def _expand(g, shape, axes, keepdims):
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdims and shape:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.axes = _norm_axes(axis, a.ndim, "sum")
        ctx.shape, ctx.keepdims = a.shape, keepdims
        if len(ctx.axes) == a.ndim:  # every axis: the kernel of x.sum() (SumAll), same bits
            out = np.asarray(ctx.backend.sum_all(a))
            return out.reshape((1,) * a.ndim) if keepdims else out
        return np.asarray(ctx.backend.sum(a, axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx, g):
        return _expand(g, ctx.shape, ctx.axes, ctx.keepdims)


class SumAll(Function):
    """Sum of every element to a 0-d array: `Sum` with axis=None, keepdims=False, minus the
    axis normalisation (the full sum of a loss is the common case)."""

    @staticmethod
    def forward(ctx, a):
        if ctx.needs_input_grad is not None:  # None: nothing is recorded (apply1's shared ctx)
            ctx.shape = a.shape
        return ctx.backend.sum_all(a)

    @staticmethod
    def backward(ctx, g):
        return np.broadcast_to(g, ctx.shape)


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.axes = _norm_axes(axis, a.ndim, "mean")
        ctx.shape, ctx.keepdims = a.shape, keepdims
        ctx.count = int(np.prod([a.shape[i] for i in ctx.axes])) if a.ndim else 1
        if a.size == 0:  # NaN like PyTorch, without NumPy's "mean of empty slice" warning
            with np.errstate(invalid="ignore"):
                out = np.asarray(ctx.backend.sum(a, axis=ctx.axes, keepdims=keepdims) / 0.0)
        else:
            out = np.asarray(ctx.backend.mean(a, axis=ctx.axes, keepdims=keepdims))
        return out if a.dtype.kind == "f" else out.astype(np.float32)

    @staticmethod
    def backward(ctx, g):
        return _expand(g / max(ctx.count, 1), ctx.shape, ctx.axes, ctx.keepdims)


class Extremum(Function):
    """max / min; the gradient is shared equally among tied extrema."""

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False, largest=True):
        op = "max" if largest else "min"
        ctx.axes = _norm_axes(axis, a.ndim, op)
        if a.size == 0:
            raise ValueError(f"[{op}] cannot reduce an empty tensor of shape {a.shape}")
        fn = ctx.backend.amax if largest else ctx.backend.amin
        out = np.asarray(fn(a, axis=ctx.axes, keepdims=True))
        ctx.save_for_backward(a, out)
        ctx.keepdims = keepdims
        return out if keepdims else np.asarray(out.reshape([s for i, s in enumerate(a.shape) if i not in ctx.axes]))

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        mask = (a == out)
        share = mask / mask.sum(axis=ctx.axes, keepdims=True)
        return _expand(g, a.shape, ctx.axes, ctx.keepdims) * share


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        be = ctx.backend
        ctx.axes = _norm_axes(axis, a.ndim, "logsumexp")
        m = be.amax(a, axis=ctx.axes, keepdims=True) if a.size else be.zeros((1,) * a.ndim, a.dtype)
        m = be.where(be.isfinite(m), m, 0)  # all -inf (or inf): shift by 0, not by inf
        with np.errstate(divide="ignore"):  # log(0) = -inf for an all -inf slice, no warning
            out = be.log(be.sum(be.exp(a - m), axis=ctx.axes, keepdims=True)) + m
        ctx.save_for_backward(a, out)
        ctx.keepdims = keepdims
        return out if keepdims else out.reshape([s for i, s in enumerate(a.shape) if i not in ctx.axes])

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        return _expand(g, a.shape, ctx.axes, ctx.keepdims) * ctx.backend.exp(a - out)


def var(x, axis=None, keepdims=False, correction=1):
    """Variance, composed from primitives (no backward of its own). correction=1: unbiased."""
    axes = _norm_axes(axis, x.ndim, "var")
    n = int(np.prod([x.shape[i] for i in axes])) if x.ndim else 1
    mu = x.mean(axis=axes, keepdims=True)
    d = x - mu
    return (d * d).sum(axis=axes, keepdims=keepdims) / max(n - correction, 0)


def arg_extremum(x, axis, keepdims, largest):
    op = "argmax" if largest else "argmin"
    if x._data.size == 0:
        raise ValueError(f"[{op}] cannot reduce an empty tensor of shape {x.shape}")
    if axis is not None:
        _norm_axes(axis, x.ndim, op)
    be = get_backend(x.device)
    out = (be.argmax if largest else be.argmin)(x._data, axis=axis, keepdims=keepdims)
    return _ag.Tensor._wrap(be.asarray(out, dtype=np.int64), x.device)
