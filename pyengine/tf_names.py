"""TensorFlow's spellings, so programs written `import tensorflow as tf` run as
`import pyengine as tf`: each is a one-line alias of pe.nn.functional / creation, named as
TensorFlow names it (reduce_* over `axis`, concat, cast ...). tf.random.normal / uniform live in
pyengine/random.py, tf.GradientTape in pyengine/gradient_tape.py, tf.keras is pe.keras."""
import numpy as np

from . import dtypes as _dt
from .creation import tensor as _tensor
from .nn import functional as F
from .tensor import Tensor


def _t(x):
    return x if isinstance(x, Tensor) else _tensor(x)


def shape(x):
    """The shape as a tuple of ints (tf.shape(x)[0] is the batch size)."""
    return tuple(getattr(x, "shape", np.shape(x)))


def reduce_mean(x, axis=None, keepdims=False): return F.mean(x, axis, keepdims)
def reduce_sum(x, axis=None, keepdims=False): return F.sum(x, axis, keepdims)
def reduce_max(x, axis=None, keepdims=False): return F.max(x, axis=axis, keepdims=keepdims)
def reduce_min(x, axis=None, keepdims=False): return F.min(x, axis=axis, keepdims=keepdims)
def square(x): return F.square(x)
def concat(values, axis): return F.cat([_t(v) for v in values], axis)


def one_hot(indices, depth, on_value=1.0, off_value=0.0, dtype=None):
    """float32 one-hot of integer `indices`: (...) -> (..., depth)."""
    out = F.one_hot(indices, depth)._data.astype(np.float32)
    if on_value != 1.0 or off_value != 0.0:
        out = np.where(out > 0, np.float32(on_value), np.float32(off_value))
    return cast(Tensor._wrap(out), dtype) if dtype is not None else Tensor._wrap(out)


def cast(x, dtype):
    return _t(x).astype(_dt.as_dtype(dtype))


def constant(value, dtype=None):
    return _tensor(value, dtype=None if dtype is None else _dt.as_dtype(dtype))


convert_to_tensor = constant
