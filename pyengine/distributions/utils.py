"""Helpers shared by the distributions: turning parameters into tensors of one dtype and shape,
and converting between probabilities and logits."""
import numbers

import numpy as np

from ..tensor import Tensor


def _float_dtype(values):
    """The dtype the parameters share: float64 if any tensor/array is float64, else float32
    (Python floats follow the tensors, as in PyTorch)."""
    import pyengine as pe
    for v in values:
        if isinstance(v, Tensor) and v._data.dtype == np.float64:
            return pe.float64
        if isinstance(v, np.ndarray) and v.dtype == np.float64:
            return pe.float64
    return pe.float32


def as_param(value, dtype, name, op):
    """`value` (Python number, NumPy array or Tensor) as a float Tensor of `dtype`. Tensors that
    already have the dtype are kept as they are, so gradients flow back to them."""
    import pyengine as pe
    if isinstance(value, Tensor):
        if value._data.dtype.kind != "f" or value.dtype != dtype:
            return value.to(dtype=dtype)
        return value
    if isinstance(value, (numbers.Number, np.ndarray, np.generic, list, tuple)):
        return pe.tensor(np.asarray(value, dtype=np.float64), dtype=dtype)
    raise TypeError(f"[{op}] {name} must be a float, NumPy array or Tensor, got "
                    f"{type(value).__name__}")


def broadcast_all(values, names, op):
    """The parameters as float Tensors of one dtype, broadcast to their common shape (PyTorch's
    broadcast_all). Broadcasting goes through Tensor.expand, which is differentiable."""
    dtype = _float_dtype(values)
    tensors = [as_param(v, dtype, n, op) for v, n in zip(values, names)]
    try:
        shape = np.broadcast_shapes(*[t.shape for t in tensors])
    except ValueError:
        shapes = ", ".join(f"{n}: {tuple(t.shape)}" for n, t in zip(names, tensors))
        raise ValueError(f"[{op}] parameter shapes do not broadcast ({shapes})") from None
    return [t if tuple(t.shape) == shape else t.expand(*shape) for t in tensors]


def finfo(dtype):
    return np.finfo(np.float64 if str(dtype).endswith("float64") else np.float32)


def clamp_probs(probs):
    """Probabilities kept inside [eps, 1 - eps] so that their logs stay finite."""
    eps = float(finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1.0 - eps)


def probs_to_logits(probs, is_binary=False):
    """log(p) for categorical probabilities, log(p / (1 - p)) for binary ones."""
    p = clamp_probs(probs)
    return (p.log() - (-p).log1p()) if is_binary else p.log()


def logits_to_probs(logits, is_binary=False):
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def as_shape(sample_shape, op):
    """A sample_shape as a tuple of ints: (), an int, a tuple/list, or a pe.Size-like shape."""
    if isinstance(sample_shape, (int, np.integer)):
        return (int(sample_shape),)
    try:
        shape = tuple(int(s) for s in sample_shape)
    except TypeError:
        raise TypeError(f"[{op}] sample_shape must be a tuple of ints, got "
                        f"{sample_shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"[{op}] sample_shape must be non-negative, got {shape}")
    return shape
