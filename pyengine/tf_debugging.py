"""tf.errors and tf.debugging for programs run as `import pyengine as tf`. pyengine runs eagerly,
so each assertion checks its values when called and returns None (TensorFlow's eager
behaviour), raising tf.errors.InvalidArgumentError (a ValueError, so `except ValueError` catches
it too) with the message first, as TensorFlow words it."""
import types

import numpy as np

from .tensor import Tensor
from .tf_names import _t


from .op_errors import InvalidArgumentError, OpError  # noqa: E402  (raised by kernels too)


class NotFoundError(OpError, FileNotFoundError):
    """tf.errors.NotFoundError: a file or directory does not exist (tf.io.gfile)."""

    def __init__(self, node_def=None, op=None, message="", *args):
        OpError.__init__(self, node_def, op, message, *args)


class AlreadyExistsError(OpError, FileExistsError):
    """tf.errors.AlreadyExistsError: the file or directory to create exists (tf.io.gfile)."""

    def __init__(self, node_def=None, op=None, message="", *args):
        OpError.__init__(self, node_def, op, message, *args)


errors = types.ModuleType("pyengine.errors", "tf.errors: TensorFlow's exception classes.")
errors.OpError, errors.InvalidArgumentError = OpError, InvalidArgumentError
errors.NotFoundError, errors.AlreadyExistsError = NotFoundError, AlreadyExistsError


def invalid(op, message):
    return InvalidArgumentError(None, op, f"[{op}] {message}")


def _np(x):
    return np.asarray(x._data if isinstance(x, Tensor) else getattr(x, "numpy", lambda: x)())


def _compare(op, test, word, x, y, message, summarize):
    a, b = _np(x), _np(y)
    try:
        ok = test(a, b)
    except ValueError:
        raise ValueError(f"[tf.debugging.{op}] x {a.shape} and y {b.shape} do not "
                         f"broadcast") from None
    if np.all(ok):
        return None
    n = None if summarize is None else int(summarize)
    first = "" if message is None else f"{message}\n"
    raise invalid(f"tf.debugging.{op}",
                  f"{first}Condition x {word} y did not hold element-wise: x = "
                  f"{a.reshape(-1)[:n]} y = {b.reshape(-1)[:n]}")


def assert_equal(x, y, message=None, summarize=None, name=None):
    """tf.debugging.assert_equal: raises InvalidArgumentError unless x == y everywhere
    (broadcast); returns None."""
    return _compare("assert_equal", np.equal, "==", x, y, message, summarize)


def assert_less(x, y, message=None, summarize=None, name=None):
    """tf.debugging.assert_less: x < y everywhere, else InvalidArgumentError."""
    return _compare("assert_less", np.less, "<", x, y, message, summarize)


def assert_greater(x, y, message=None, summarize=None, name=None):
    """tf.debugging.assert_greater: x > y everywhere, else InvalidArgumentError."""
    return _compare("assert_greater", np.greater, ">", x, y, message, summarize)


def assert_less_equal(x, y, message=None, summarize=None, name=None):
    """tf.debugging.assert_less_equal: x <= y everywhere, else InvalidArgumentError."""
    return _compare("assert_less_equal", np.less_equal, "<=", x, y, message, summarize)


def assert_greater_equal(x, y, message=None, summarize=None, name=None):
    """tf.debugging.assert_greater_equal: x >= y everywhere, else InvalidArgumentError."""
    return _compare("assert_greater_equal", np.greater_equal, ">=", x, y, message, summarize)


def assert_rank(x, rank, message=None, name=None):
    """tf.debugging.assert_rank: x has rank `rank`; the rank is known here, so a wrong one
    raises ValueError (TensorFlow's static check)."""
    r = int(_np(rank))
    have = _np(x).ndim
    if have != r:
        first = "" if message is None else f"{message} "
        raise ValueError(f"[tf.debugging.assert_rank] {first}Tensor must have rank {r}. "
                         f"Received rank {have}, shape {_np(x).shape}")
    return None


def check_numerics(tensor, message, name=None):
    """tf.debugging.check_numerics: `tensor` itself (the gradient flows) if it holds no NaN or
    Inf, else InvalidArgumentError '<message> : Tensor had NaN values'."""
    t = _t(tensor)
    if t._data.dtype.kind != "f":
        raise TypeError(f"[tf.debugging.check_numerics] tensor must be floating, got {t.dtype}")
    if np.isnan(t._data).any():
        raise invalid("tf.debugging.check_numerics", f"{message} : Tensor had NaN values")
    if np.isinf(t._data).any():
        raise invalid("tf.debugging.check_numerics", f"{message} : Tensor had Inf values")
    return t


debugging = types.ModuleType("pyengine.debugging", "tf.debugging: eager assertions.")
for _f in (assert_equal, assert_less, assert_greater, assert_less_equal, assert_greater_equal,
           assert_rank, check_numerics):
    setattr(debugging, _f.__name__, _f)
