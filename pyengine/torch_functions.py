"""PyTorch's top-level tensor functions (torch.flip(x, dims), torch.sort(x), torch.randperm(n)
...): each function form calls the tensor method of the same name (tensor_habits.py,
tensor_math_habits.py), so there is one implementation; the few without a method are here."""
import builtins
import contextlib
import functools

import numpy as np

from . import autograd as _autograd
from . import random as _random
from .tensor import Tensor
from .tensor_math_habits import math_tensor_functions

# methods that existed before as Tensor methods and that PyTorch also offers as functions
_EXISTING = ("sort", "argsort", "topk", "gather", "index_select", "norm", "narrow", "masked_fill",
             "sign", "floor", "ceil", "round", "clone", "mm", "t", "neg", "bmm", "all", "any",
             "select", "logical_not", "as_strided")


def _method_function(name):
    def f(input, *args, **kwargs):
        x = input if isinstance(input, Tensor) else Tensor._from_data(input)
        return getattr(x, name)(*args, **kwargs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"pe.{name}(input, ...) is input.{name}(...) (torch.{name})."
    return f


FUNCTIONS = {n: _method_function(n) for n in math_tensor_functions() + _EXISTING
             if hasattr(Tensor, n)}
# module attributes too, so a Keras graph node recording one (tf.tile(keras_tensor, ...)) is
# saved by reference, {"__function__": ["pyengine.torch_functions", name]}; Python's builtins
# (any, all, round) keep their meaning in this module
for _n, _f in FUNCTIONS.items():
    if not hasattr(builtins, _n):
        globals().setdefault(_n, _f)


def real(input):
    """torch.real: the tensor itself (tensors are real here)."""
    return input.real


def imag(input):
    return input.imag


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input._data.dtype.kind == "f"


def numel(input):
    return int(input._data.size)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0 .. n - 1 (int64), from pe's generator (pe.manual_seed)."""
    from .creation import tensor
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"[randperm] n must be a non-negative int, got {n!r}")
    perm = _random.get_generator(generator).permutation(int(n)).astype(np.int64)
    return tensor(perm, dtype=dtype or "int64", device=device, requires_grad=requires_grad)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids (differentiable: expands of the inputs); indexing 'ij' (PyTorch's
    default) or 'xy'."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"[meshgrid] indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [t if isinstance(t, Tensor) else Tensor._from_data(t) for t in tensors]
    if any(t.ndim > 1 for t in ts):
        raise RuntimeError("[meshgrid] expects 0-D or 1-D tensors")
    ts = [t.reshape(-1) for t in ts]
    shape = tuple(t.shape[0] for t in ts)
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        grids.append(t.reshape(tuple(view)).expand(shape))
    if indexing == "xy" and len(ts) >= 2:  # NumPy's default: the first two axes swapped
        grids = [g.transpose(0, 1) for g in grids]
    return tuple(grids)


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M):
    (..., P, R); differentiable (p = 2: through the squared distances, clamped at 0)."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"[cdist] expects (..., P, M) and (..., R, M), got {x1.shape} and "
                           f"{x2.shape}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 2:
        return (diff * diff).sum(-1).clamp(min=0).sqrt()
    if p == 1:
        return diff.abs().sum(-1)
    if p == float("inf"):
        return diff.abs().max(axis=-1)
    return (diff.abs() ** p).sum(-1) ** (1.0 / p)


def searchsorted(sorted_sequence, values, out_int32=False, right=False, side=None, sorter=None):
    """Insertion indices of values into sorted_sequence (1-D, or rows matching values')."""
    seq = sorted_sequence._data if isinstance(sorted_sequence, Tensor) else \
        np.asarray(sorted_sequence)
    v = values._data if isinstance(values, Tensor) else np.asarray(values)
    side = side or ("right" if right else "left")
    if sorter is not None:
        seq = np.take_along_axis(seq, np.asarray(getattr(sorter, "_data", sorter)), -1)
    if seq.ndim == 1:
        out = np.searchsorted(seq, v, side=side)
    else:
        if seq.shape[:-1] != v.shape[:-1]:
            raise RuntimeError(f"[searchsorted] leading dims of the sequence {seq.shape} and "
                               f"values {v.shape} must match")
        flat_s, flat_v = seq.reshape(-1, seq.shape[-1]), v.reshape(-1, v.shape[-1])
        out = np.stack([np.searchsorted(s, x, side=side) for s, x in zip(flat_s, flat_v)])
        out = out.reshape(v.shape)
    return Tensor._wrap(np.asarray(out, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, out_int32=False, right=False):
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _stat_mean(stat, input, dim, unbiased, keepdim, correction):
    from .nn.functional import mean, std, var
    f = std if stat == "std" else var
    return (f(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim=dim, keepdim=keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _stat_mean("std", input, dim, unbiased, keepdim, correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _stat_mean("var", input, dim, unbiased, keepdim, correction)


def vstack(tensors):
    from .nn.functional import cat
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def hstack(tensors):
    from .nn.functional import cat
    return cat(list(tensors), 0 if all(t.ndim == 1 for t in tensors) else 1)


class inference_mode(contextlib.ContextDecorator):
    """torch.inference_mode: no autograd recording inside (pyengine's no_grad; there are no
    version counters to skip), as a context manager or a decorator; mode=False records."""

    def __init__(self, mode=True):
        if callable(mode):  # used as @inference_mode without parentheses
            self.mode, self._func = True, mode
            functools.update_wrapper(self, mode)
        else:
            self.mode, self._func = bool(mode), None

    def __call__(self, *args, **kwargs):
        if self._func is not None:
            with inference_mode(True):
                return self._func(*args, **kwargs)
        return super().__call__(*args, **kwargs)

    def __enter__(self):
        self._prev = _autograd.is_grad_enabled()
        _autograd._set_grad_mode(not self.mode and self._prev)
        return self

    def __exit__(self, *exc):
        _autograd._set_grad_mode(self._prev)
        return False


def inverse(input):
    """torch.inverse: pe.linalg.inv."""
    from .linalg import inv
    return inv(input)


def det(input):
    from .linalg import det as _det
    return _det(input)


def matrix_exp(input):
    """torch.matrix_exp: pe.linalg.matrix_exp."""
    from .linalg import matrix_exp as _matrix_exp
    return _matrix_exp(input)


def logdet(input):
    """log det A (NaN where det A < 0, as torch.logdet)."""
    from .linalg import slogdet
    sign, logabs = slogdet(input)
    from .creation import full_like, zeros_like
    from .nn.functional import where
    # a constant NaN where det < 0 (not `mask * nan`: 0 * nan would poison det > 0, and its
    # gradient too)
    return logabs + where(sign < 0, full_like(logabs.detach(), float("nan")),
                          zeros_like(logabs.detach()))
