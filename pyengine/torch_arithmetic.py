"""torch.add / sub / mul / div (and their long names subtract, multiply, divide, true_divide),
torch.matmul with `out=`, `out=` for torch's one-input math functions (torch.sin(x, out=y): the
mutable custom-op tutorial's kernel writes its result so), and the alpha / rounding_mode
arguments of the Tensor methods: the PyTorch tutorials' tensor pages call
`torch.matmul(a, b, out=c)` and `torch.mul(a, b, out=c)`.

`out=` writes the result into an existing tensor, as torch: resized when its shape differs
(with torch's warning when it had elements), the result cast to out's dtype only where that is
a same-kind cast (float into int is refused). As in torch, out= does not take part in autograd:
it is refused when the result would require grad."""
import warnings

import numpy as np

from . import autograd as _autograd
from .tensor import Tensor

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "matmul", "write_out", "with_out"]


def write_out(result, out, op):
    """Copy `result` into the tensor `out` (torch's out= contract) and return out."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"[{op}] out must be a Tensor, got {type(out).__name__}")
    if result.requires_grad and _autograd.is_grad_enabled():
        raise RuntimeError(f"[{op}] functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad")
    if out.requires_grad and _autograd.is_grad_enabled():
        raise RuntimeError(f"[{op}] out= is a tensor that requires grad; it cannot be written "
                           "in place (wrap the call in pe.no_grad())")
    src = result._data
    if not np.can_cast(src.dtype, out._data.dtype, casting="same_kind"):
        raise RuntimeError(f"[{op}] result type {result.dtype} can't be cast to the desired "
                           f"output type {out.dtype}")
    if tuple(out.shape) != tuple(src.shape):
        if out._data.size:
            warnings.warn(f"[{op}] an output with one or more elements was resized since it had "
                          f"shape {tuple(out.shape)}, which does not match the required output "
                          f"shape {tuple(src.shape)}", UserWarning, stacklevel=3)
        out._data = np.empty(src.shape, out._data.dtype)
    np.copyto(out._data, src, casting="same_kind")
    out._mark_written()
    return out


def _scaled(other, alpha, op):
    if alpha == 1:
        return other
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)):
        raise TypeError(f"[{op}] alpha must be a number, got {type(alpha).__name__}")
    return other * alpha


def add(input, other, *, alpha=1, out=None):  # noqa: A002 (torch's argument names)
    """input + alpha * other."""
    x = input if isinstance(input, Tensor) else Tensor._from_data(input)
    return write_out(x + _scaled(other, alpha, "add"), out, "add")


def sub(input, other, *, alpha=1, out=None):  # noqa: A002
    """input - alpha * other."""
    x = input if isinstance(input, Tensor) else Tensor._from_data(input)
    return write_out(x - _scaled(other, alpha, "sub"), out, "sub")


def mul(input, other, *, out=None):  # noqa: A002
    x = input if isinstance(input, Tensor) else Tensor._from_data(input)
    return write_out(x * other, out, "mul")


def divide_rounded(a, b, rounding_mode, op="div"):
    """a / b (true division, floats for integer inputs), or rounded toward zero ('trunc') or
    down ('floor'); integer inputs keep their integer dtype when rounded, as torch."""
    a = a if isinstance(a, Tensor) else Tensor._from_data(a)
    if rounding_mode is None:
        return a / b
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"[{op}] rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    bt = b if isinstance(b, Tensor) else Tensor._from_data(b)
    if a._data.dtype.kind in "iub" and bt._data.dtype.kind in "iub":
        x, y = np.broadcast_arrays(a._data, bt._data)
        if (y == 0).any():
            raise ZeroDivisionError(f"[{op}] integer division by zero")
        q = np.floor_divide(x, y)
        if rounding_mode == "trunc":  # floor differs from trunc where the signs differ
            q = np.where((np.remainder(x, y) != 0) & ((x < 0) != (y < 0)), q + 1, q)
        return Tensor._wrap(q.astype(np.result_type(a._data, bt._data)), a._device)
    q = a / bt
    return q.trunc() if rounding_mode == "trunc" else q.floor()


def div(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    return write_out(divide_rounded(input, other, rounding_mode), out, "div")


def matmul(input, other, *, out=None, transpose_a=False, transpose_b=False,  # noqa: A002
           adjoint_a=False, adjoint_b=False, name=None):
    """torch.matmul (out=) and tf.linalg.matmul (transpose_a / transpose_b of the two
    inner-most dimensions; adjoint_* is the same for the real dtypes pyengine has; name= is a
    TensorFlow op name and cannot act, docs/hardening.md)."""
    from .nn.functional import matmul as _matmul
    if (transpose_a and adjoint_a) or (transpose_b and adjoint_b):
        raise ValueError("[matmul] only one of transpose_a and adjoint_a (transpose_b and "
                         "adjoint_b) can be True")
    a, b = input, other
    if transpose_a or adjoint_a:
        a = _inner_transpose(a, "a")
    if transpose_b or adjoint_b:
        b = _inner_transpose(b, "b")
    return write_out(_matmul(a, b), out, "matmul")


def _inner_transpose(x, which):
    x = x if isinstance(x, Tensor) else Tensor._from_data(x)
    if x.ndim < 2:
        raise ValueError(f"[matmul] transpose_{which} needs a matrix (rank >= 2); "
                         f"received shape {tuple(x.shape)}")
    return x.transpose(-2, -1)


subtract, multiply, divide = sub, mul, div


def true_divide(dividend, divisor, *, out=None):
    return div(dividend, divisor, out=out)


def with_out(fn, name):
    """fn (a one-input elementwise function such as pe.sin) that also takes torch's `out=`."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        return result if out is None else write_out(result, out, name)
    return wrapper
