"""remainder (Python's %: the result takes the divisor's sign) and fmod (C's fmod: the
dividend's sign), broadcasting. Forward and backward side by side; the engine reduces the
gradients of broadcast operands.

    remainder(x, y) = x - floor(x / y) * y:  d/dx = 1, d/dy = -floor(x / y)
    fmod(x, y)      = x - trunc(x / y) * y:  d/dx = 1, d/dy = -trunc(x / y)
(PyTorch's gradients; the quotient is piecewise constant)."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor

_KINDS = {"remainder": (np.remainder, np.floor), "fmod": (np.fmod, np.trunc)}


class Remainder(Function):
    @staticmethod
    def forward(ctx, x, y, op="remainder"):
        ctx.op = op
        if ctx.needs_input_grad and ctx.needs_input_grad[1]:
            ctx.save_for_backward(x, y)
        with np.errstate(all="ignore"):  # x % 0 is nan for floats, as PyTorch
            return _KINDS[op][0](x, y)

    @staticmethod
    def backward(ctx, g):
        if not ctx.needs_input_grad[1]:
            return g, None
        x, y = ctx.saved_tensors
        with np.errstate(all="ignore"):
            return g, -g * _KINDS[ctx.op][1](x / y)


def _operands(input, other, op):
    """Both operands as Tensors of one dtype: a float operand makes the result float (a Python
    float or an int tensor joins the other float tensor's dtype; float32 for int (op) float),
    as PyTorch's promotion."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"[{op}] expects at least one pe.Tensor, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    arrays = [t._data if isinstance(t, Tensor) else np.asarray(t) for t in (input, other)]
    for a in arrays:
        if a.dtype.kind not in "iuf":
            raise TypeError(f"[{op}] expects numbers, got dtype {a.dtype}")
    tensors = [a.dtype for t, a in zip((input, other), arrays) if isinstance(t, Tensor)]
    floats = [d for d in tensors if d.kind == "f"]
    if floats:
        dtype = np.result_type(*floats)
    elif any(a.dtype.kind == "f" for a in arrays):
        dtype = np.dtype(np.float32)
    else:
        dtype = np.result_type(*tensors)
        if (np.asarray(arrays[1]) == 0).any():
            raise ZeroDivisionError(f"[{op}] integer division by zero")
    try:
        np.broadcast_shapes(arrays[0].shape, arrays[1].shape)
    except ValueError:
        raise ValueError(f"[{op}] shapes {arrays[0].shape} and {arrays[1].shape} do not "
                         f"broadcast") from None
    return [t.to(dtype) if isinstance(t, Tensor) else Tensor._wrap(a.astype(dtype))
            for t, a in zip((input, other), arrays)]


def remainder(input, other):
    """input - floor(input / other) * other: the sign of `other`, like Python's %.

    >>> pe.remainder(pe.tensor([-3.0, 3.0]), 2)
    tensor([1., 1.])
    """
    x, y = _operands(input, other, "remainder")
    return Remainder.apply(x, y, op="remainder")


def fmod(input, other):
    """input - trunc(input / other) * other: the sign of `input`, like C's fmod.

    >>> pe.fmod(pe.tensor([-3.0, 3.0]), 2)
    tensor([-1.,  1.])
    """
    x, y = _operands(input, other, "fmod")
    return Remainder.apply(x, y, op="fmod")
