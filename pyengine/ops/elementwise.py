"""Elementwise arithmetic and math. Broadcasting gradients are reduced by the autograd engine."""
import numpy as np

from .. import autograd as _ag
from .. import dtypes as _dt
from ..autograd import Function
from ..backend import get_backend
from .shape_errors import ShapeError


_F64, _F32 = np.dtype(np.float64), np.dtype(np.float32)


def _broadcast_error(op, a, b):
    return ShapeError(f"[{op}] shapes {np.shape(a)} and {np.shape(b)} do not broadcast")


def _float_result(out, a, b):
    """The float dtype PyTorch gives where NumPy says float64: a float64 operand keeps float64,
    a float32 one makes float32 (int (op) float32), and int / int or int (op) Python float give
    the default dtype (pe.get_default_dtype(): float32 unless changed). Callers test
    `out.dtype is _F64` first, so the common float32 path pays one identity check."""
    da, db = getattr(a, "dtype", None), getattr(b, "dtype", None)
    if da is _F64 or db is _F64:
        return out
    if da is _F32 or db is _F32:
        return out.astype(np.float32)
    return out.astype(_dt.default_float_np(), copy=False)


class Add(Function):
    reads_inputs = False  # backward uses only g (autograd.Function.reads_inputs)

    @staticmethod
    def forward(ctx, a, b):
        try:
            out = ctx.backend.add(a, b)
        except ValueError:
            raise _broadcast_error("add", a, b) from None
        return out if out.dtype is not _F64 else _float_result(out, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    reads_inputs = False  # backward uses only g (autograd.Function.reads_inputs)

    @staticmethod
    def forward(ctx, a, b):
        try:
            out = ctx.backend.sub(a, b)
        except ValueError:
            raise _broadcast_error("sub", a, b) from None
        return out if out.dtype is not _F64 else _float_result(out, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad is not None:  # None: nothing is recorded
            ctx.save_for_backward(a, b)
        try:
            out = ctx.backend.mul(a, b)
        except ValueError:
            raise _broadcast_error("mul", a, b) from None
        return out if out.dtype is not _F64 else _float_result(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = ctx.backend.div(a, b)
        except ValueError:
            raise _broadcast_error("div", a, b) from None
        return out if out.dtype is not _F64 else _float_result(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g / b if need_a else None), (-g * a / (b * b) if need_b else None)


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        try:
            out = ctx.backend.power(a, b)
        except ValueError:
            raise _broadcast_error("pow", a, b) from None
        out = out if out.dtype is not _F64 else _float_result(out, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g * b * ctx.backend.power(a, b - 1) if need_a else None
        gb = None
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * out * np.where(np.asarray(a) > 0, ctx.backend.log(np.where(np.asarray(a) > 0, a, 1)), 0)
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return ctx.backend.neg(a)

    @staticmethod
    def backward(ctx, g):
        return -g


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.backend.abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * ctx.backend.sign(a)


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = ctx.backend.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0]


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.backend.log(a)

    @staticmethod
    def backward(ctx, g):
        return g / ctx.saved_tensors[0]


class Log1p(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.backend.log1p(a)

    @staticmethod
    def backward(ctx, g):
        return g / (1 + ctx.saved_tensors[0])


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = ctx.backend.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g / (2 * ctx.saved_tensors[0])


class Sin(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.backend.sin(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.backend.cos(ctx.saved_tensors[0])


class Cos(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.backend.cos(a)

    @staticmethod
    def backward(ctx, g):
        return -g * ctx.backend.sin(ctx.saved_tensors[0])


class Clamp(Function):
    @staticmethod
    def forward(ctx, a, min=None, max=None):
        if min is None and max is None:
            raise ValueError("[clamp] at least one of min and max must be given")
        ctx.save_for_backward(a)
        ctx.bounds = (min, max)
        return ctx.backend.clip(a, min, max)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        mask = ctx.backend.ones(a.shape, dtype=bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        return g * mask


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = ctx.backend.maximum(a, b)
        except ValueError:
            raise _broadcast_error("maximum", a, b) from None
        return out if out.dtype is not _F64 else _float_result(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a > b) + 0.5 * (a == b)  # ties share the gradient, as in PyTorch
        return g * wa, g * (1 - wa)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = ctx.backend.minimum(a, b)
        except ValueError:
            raise _broadcast_error("minimum", a, b) from None
        return out if out.dtype is not _F64 else _float_result(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a < b) + 0.5 * (a == b)
        return g * wa, g * (1 - wa)


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        cond = ctx.backend.asarray(cond, dtype=bool)
        ctx.save_for_backward(cond)
        try:
            return ctx.backend.where(cond, a, b)
        except ValueError:
            raise ValueError(f"[where] shapes {cond.shape}, {np.shape(a)} and {np.shape(b)} do "
                             "not broadcast") from None

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        where = ctx.backend.where
        return None, where(cond, g, 0), where(cond, 0, g)


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype=None):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g  # the engine casts back to the input's dtype


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return ctx.backend.copy(a)

    @staticmethod
    def backward(ctx, g):
        return g


def compare(name, a, b=None):
    """Non-differentiable elementwise ops (comparisons, logic, rounding): no graph recorded."""
    device = a.device if isinstance(a, _ag.Tensor) else b.device
    be = get_backend(device)
    fn = getattr(be, name)
    fa = a._data if isinstance(a, _ag.Tensor) else a
    if b is None:
        return _ag.Tensor._wrap(be.asarray(fn(fa)), device)
    fb = b._data if isinstance(b, _ag.Tensor) else b
    return _ag.Tensor._wrap(be.asarray(fn(fa, fb)), device)


def where(condition, x, y):
    """Elementwise ``x if condition else y`` with broadcasting; differentiable in x and y."""
    cond = condition if isinstance(condition, _ag.Tensor) else _ag.Tensor._wrap(np.asarray(condition, bool))
    if not isinstance(x, _ag.Tensor) and not isinstance(y, _ag.Tensor):
        x = _ag.Tensor._wrap(np.asarray(x, dtype=np.float32))
    return Where.apply(cond, x, y)
