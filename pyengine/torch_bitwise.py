"""Bitwise operators and torch.bitwise_and / or / xor / not, with torch's semantics: on integer
tensors they act on the bits (`a & b` of int64 tensors was a logical and before: tensor([5]) &
tensor([3]) gave True instead of 1), on bool tensors they are the logical operations, and float
tensors are refused as in torch. Not differentiable (integer results)."""
import numpy as np

from .tensor import Tensor

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"]

_UFUNCS = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}


def _operand(x, op):
    if isinstance(x, Tensor):
        arr = x._data
    elif isinstance(x, (bool, int, np.integer, np.bool_)):
        return x  # a Python scalar: NumPy's weak promotion keeps the tensor's dtype
    else:
        arr = np.asarray(x)
    if arr.dtype.kind not in "biu":
        raise TypeError(f"[bitwise_{op}] is not implemented for {arr.dtype} tensors (integer "
                        f"or bool only); use logical_{op} for truth values")
    return arr


def _device(*xs):
    for x in xs:
        if isinstance(x, Tensor):
            return x._device
    return None


def _binary(op, a, b):
    x, y = _operand(a, op), _operand(b, op)
    return Tensor._wrap(np.asarray(_UFUNCS[op](x, y)), _device(a, b))


def bitwise_and(input, other):  # noqa: A002 (torch's argument names)
    return _binary("and", input, other)


def bitwise_or(input, other):  # noqa: A002
    return _binary("or", input, other)


def bitwise_xor(input, other):  # noqa: A002
    return _binary("xor", input, other)


def bitwise_not(input):  # noqa: A002
    x = _operand(input, "not")
    return Tensor._wrap(np.asarray(np.invert(x)), _device(input))

