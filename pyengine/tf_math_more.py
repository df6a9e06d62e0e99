"""More of tf.math for `import pyengine as tf`: the elementwise functions whose TensorFlow and
PyTorch meanings agree, as aliases of pyengine's (round is half-to-even in both: keras-io
GAN-ADA's `tf.math.round` of a bounding box), plus squared_difference and divide_no_nan.
Arguments may be tensors, arrays or numbers; a Keras symbolic tensor records a graph node."""
import functools

import numpy as np

from .tensor import Tensor
from .tf_names import _t, math, symbolic_aware


def _alias(fn, name, arity):
    @functools.wraps(fn)
    def f(*args, name=None):
        if len(args) != arity:
            raise TypeError(f"[tf.math.{op}] takes {arity} argument(s), got {len(args)}")
        return fn(*_operands(args))
    op = name
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"tf.math.{name}: elementwise, as pe.{fn.__name__}."
    return symbolic_aware(f)


def _operands(args):
    """The first operand as a Tensor; a later plain number stays a number (the tensor's dtype
    decides, as TensorFlow converts a Python scalar to the other operand's dtype)."""
    first = _t(args[0])
    rest = [a if isinstance(a, (Tensor, int, float, bool, np.number)) else _t(a)
            for a in args[1:]]
    return [first] + rest


@symbolic_aware
def squared_difference(x, y, name=None):
    """tf.math.squared_difference: (x - y) ** 2 elementwise."""
    d = _t(x) - y
    return d * d


@symbolic_aware
def divide_no_nan(x, y, name=None):
    """tf.math.divide_no_nan: x / y, and 0 where y == 0 (its gradient there is 0 too)."""
    x, y = _t(x), _t(y)
    zero = y == 0
    safe = y + zero.to(y.dtype)  # 1 where y is 0: no inf / nan enters the graph
    return (x / safe) * (~zero).to(x.dtype)


def install():
    import pyengine as pe
    unary = ("round", "floor", "ceil", "sign", "reciprocal", "tan", "atan", "acos", "asin",
             "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "expm1", "lgamma",
             "logical_not")
    binary = ("pow", "add", "subtract", "multiply", "atan2", "xlogy", "logical_and",
              "logical_or", "logical_xor")
    for n in unary:
        if not hasattr(math, n):
            setattr(math, n, _alias(getattr(pe, n), n, 1))
    for n in binary:
        if not hasattr(math, n):
            setattr(math, n, _alias(getattr(pe, n), n, 2))
    math.squared_difference = squared_difference
    math.divide_no_nan = divide_no_nan
