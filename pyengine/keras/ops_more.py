"""More of Keras 3's keras.ops (re-exported by keras/ops.py): arithmetic by name, comparisons,
reductions, shape and creation ops. Each composes Tensor methods / pe.nn.functional (so autograd
flows through the existing Functions); called on KerasTensors each records a graph node."""
import builtins

import numpy as np

from .. import creation as _creation
from .. import tf_names as _tf
from ..nn import functional as F
from .symbolic import graph_op


_op = graph_op  # every keras.ops function records a node on KerasTensors


_py_slice = builtins.slice


def _t(x):
    return _tf._t(x)


def _axis_tuple(axis):
    """Keras' axis argument as F takes it: a list, an array or a tensor of axes (StyleGAN's
    `axis=ops.arange(1, ops.size(ops.shape(x)))`) becomes a tuple of ints."""
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    if axis is not None and not isinstance(axis, (int, np.integer)):
        a = np.asarray(getattr(axis, "_data", axis))
        return int(a) if a.ndim == 0 else tuple(int(v) for v in a.reshape(-1))
    return axis


@_op
def add(x1, x2): return _t(x1) + x2
@_op
def subtract(x1, x2): return _t(x1) - x2
@_op
def multiply(x1, x2): return _t(x1) * x2
@_op
def divide(x1, x2): return _t(x1) / x2
true_divide = divide
@_op
def power(x1, x2): return _t(x1) ** x2
@_op
def negative(x): return -_t(x)
@_op
def sign(x): return _t(x).sign()
@_op
def floor(x): return _t(x).floor()
@_op
def round(x, decimals=0):  # noqa: A001  (Keras' name)
    if decimals:
        raise ValueError(f"[keras.ops.round] decimals must be 0. Received: decimals={decimals}")
    return _t(x).round()
@_op
def greater(x1, x2): return _t(x1) > x2
@_op
def greater_equal(x1, x2): return _t(x1) >= x2
@_op
def less(x1, x2): return _t(x1) < x2
@_op
def less_equal(x1, x2): return _t(x1) <= x2
@_op
def equal(x1, x2): return _t(x1) == x2
@_op
def not_equal(x1, x2): return _t(x1) != x2
@_op
def any(x, axis=None, keepdims=False):  # noqa: A001
    t = _t(x) != 0
    return t.any() if axis is None else t.sum(_axis_tuple(axis), keepdims) > 0
@_op
def all(x, axis=None, keepdims=False):  # noqa: A001
    t = _t(x) != 0
    n = int(np.prod([t.shape[a] for a in np.atleast_1d(axis)])) if axis is not None else 0
    return t.all() if axis is None else t.sum(_axis_tuple(axis), keepdims) == n
@_op
def var(x, axis=None, keepdims=False): return F.var(_t(x), axis=_axis_tuple(axis), keepdims=keepdims, correction=0)
@_op
def std(x, axis=None, keepdims=False): return F.std(_t(x), axis=_axis_tuple(axis), keepdims=keepdims, correction=0)
@_op
def logsumexp(x, axis=None, keepdims=False): return F.logsumexp(_t(x), _axis_tuple(axis), keepdims)
@_op
def log_softmax(x, axis=-1): return F.log_softmax(_t(x), axis=axis)
@_op
def leaky_relu(x, negative_slope=0.2): return F.leaky_relu(_t(x), negative_slope)
@_op
def gelu(x, approximate=True):
    """Keras' default is the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    (composed here); approximate=False is the exact erf form, F.gelu."""
    t = _t(x)
    if not approximate:
        return F.gelu(t)
    return 0.5 * t * (1.0 + F.tanh(0.7978845608028654 * (t + 0.044715 * t * t * t)))
@_op
def silu(x): return _t(x) * F.sigmoid(_t(x))
swish = silu
@_op
def softplus(x): return F.softplus(_t(x))
@_op
def elu(x, alpha=1.0): return F.elu(_t(x), alpha)
@_op
def norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro", "euclidean"):
        raise ValueError(f"[keras.ops.norm] only the 2-norm is supported. Received: ord={ord!r}")
    t = _t(x)
    return (t * t).sum(_axis_tuple(axis), keepdims).sqrt() if axis is not None else \
        (t * t).sum().sqrt()
@_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """x / max(||x||_2, epsilon) along `axis` (Keras' ops.normalize, tf.math.l2_normalize)."""
    if order != 2:
        raise ValueError(f"[keras.ops.normalize] only order=2 is supported. Received: {order}")
    t = _t(x)
    n = (t * t).sum(_axis_tuple(axis), True).sqrt()
    return t / n.clamp(min=1e-12 if epsilon is None else epsilon)
@_op
def dot(x1, x2): return F.matmul(_t(x1), _t(x2))
@_op
def split(x, indices_or_sections, axis=0):
    t = _t(x)
    if isinstance(indices_or_sections, int):
        n = t.shape[axis]
        if n % indices_or_sections:
            raise ValueError(f"[keras.ops.split] axis {axis} of size {n} does not split into "
                             f"{indices_or_sections} equal parts")
        return list(F.split(t, n // indices_or_sections, axis))
    bounds = [0, *indices_or_sections, t.shape[axis]]
    return list(F.split(t, [b - a for a, b in zip(bounds, bounds[1:])], axis))
@_op
def broadcast_to(x, shape): return F.broadcast_to(_t(x), tuple(int(d) for d in shape))
@_op
def tile(x, repeats):
    t = _t(x)
    reps = (1,) * (t.ndim - len(repeats)) + tuple(repeats)
    return t.repeat(*reps)
@_op
def repeat(x, repeats, axis=None):
    t = _t(x)
    if axis is None:
        t, axis = t.reshape(-1), 0
    axis %= t.ndim
    u = t.unsqueeze(axis + 1)
    reps = [1] * u.ndim
    reps[axis + 1] = int(repeats)
    shape = list(t.shape)
    shape[axis] *= int(repeats)
    return u.repeat(*reps).reshape(tuple(shape))
@_op
def flip(x, axis=None):
    t = _t(x)
    axes = range(t.ndim) if axis is None else [a % t.ndim for a in np.atleast_1d(axis)]
    key = tuple(_py_slice(None, None, -1) if i in axes else _py_slice(None)
                for i in range(t.ndim))
    return t[key]
@_op
def slice(inputs, start_indices, shape):  # noqa: A001
    key = tuple(_py_slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, shape))
    return _t(inputs)[key]
@_op
def cumsum(x, axis=None):
    """Running sum along `axis`: a product with a triangular matrix of ones (the matmul op's
    gradient gives the reversed running sum)."""
    t = _t(x)
    if axis is None:
        t, axis = t.reshape(-1), 0
    moved = t.transpose(axis, -1) if axis % t.ndim != t.ndim - 1 else t
    n = moved.shape[-1]
    tri = _creation.tensor(np.triu(np.ones((n, n), np.asarray(moved).dtype)))
    out = F.matmul(moved, tri)
    return out.transpose(axis, -1) if axis % t.ndim != t.ndim - 1 else out
@_op
def argsort(x, axis=-1): return _t(x).argsort(axis)
@_op
def top_k(x, k, sorted=True):  # noqa: A002
    values, indices = _t(x).topk(k, -1, True, sorted)
    return values, indices
@_op
def stop_gradient(variable): return _t(variable).detach()
@_op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise, as Keras' ops.binary_crossentropy (no reduction)."""
    if from_logits:
        return F.binary_cross_entropy_with_logits(_t(output), _t(target), reduction="none")
    p = _t(output).clamp(1e-7, 1 - 1e-7)
    return F.binary_cross_entropy(p, _t(target), reduction="none")


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    return _creation.arange(start, stop, step, dtype=dtype)


def _np_dtype(dtype):
    from ..dtypes import as_dtype
    return np.dtype(np.float32) if dtype is None else as_dtype(dtype).np


def linspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` evenly spaced values from start to stop (stop left out when endpoint=False);
    array start / stop give one sequence per element, laid along `axis`."""
    if endpoint and axis == 0 and np.ndim(start) == 0 and np.ndim(stop) == 0:
        return _creation.linspace(start, stop, num, dtype=dtype)  # size-guarded
    try:
        arr = np.linspace(np.asarray(start, np.float64), np.asarray(stop, np.float64), int(num),
                          endpoint=bool(endpoint), axis=axis)
    except ValueError as e:  # numpy's AxisError is a ValueError too
        raise ValueError(f"[keras.ops.linspace] {e} (start={start!r}, stop={stop!r}, num={num}, "
                         f"axis={axis})") from None
    return _creation.tensor(arr.astype(_np_dtype(dtype)))


def full(shape, fill_value, dtype=None):
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _creation.full(shape, fill_value, dtype=dtype)


def eye(N, M=None, k=0, dtype=None):
    """Ones on diagonal k (0: the main one, > 0 above, < 0 below) of an N x M matrix."""
    out = _creation.zeros(int(N), int(N if M is None else M), dtype=_np_dtype(dtype))
    k = int(k)
    np.fill_diagonal(out._data[:, k:] if k >= 0 else out._data[-k:, :], 1)
    return out


