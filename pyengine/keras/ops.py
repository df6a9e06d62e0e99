"""keras.ops: Keras 3's backend-neutral math, each an alias of pe.nn.functional (or of the
TensorFlow spellings in pyengine/tf_names.py) with Keras' argument names. Called on symbolic
KerasTensors (inside a functional model) an op records a graph node instead of computing."""

import numpy as np

from .. import creation as _creation
from .. import tf_names as _tf
from ..nn import functional as F
from ..tensor import Tensor
from . import random  # noqa: F401  (keras.ops.random.normal ...)
from .symbolic import graph_op


_op = graph_op  # every keras.ops function records a node on KerasTensors


def _t(x):
    return _tf._t(x)


def _axes(axis):
    from .ops_more import _axis_tuple  # (ops_more imports this module's names later)
    return _axis_tuple(axis)


@_op
def matmul(x1, x2): return F.matmul(x1, x2)
@_op
def mean(x, axis=None, keepdims=False): return F.mean(x, _axes(axis), keepdims)
@_op
def sum(x, axis=None, keepdims=False): return F.sum(x, _axes(axis), keepdims)
@_op
def max(x, axis=None, keepdims=False): return F.max(x, axis=_axes(axis), keepdims=keepdims)
@_op
def min(x, axis=None, keepdims=False): return F.min(x, axis=_axes(axis), keepdims=keepdims)
@_op
def argmax(x, axis=None, keepdims=False): return F.argmax(x, axis, keepdims)
@_op
def exp(x): return F.exp(x)
@_op
def log(x): return F.log(x)
@_op
def log1p(x): return F.log1p(x)
@_op
def sqrt(x): return F.sqrt(x)
@_op
def square(x): return F.square(x)
@_op
def abs(x): return F.abs(x)
@_op
def absolute(x): return F.abs(x)
@_op
def maximum(x1, x2): return F.maximum(_t(x1), x2)
@_op
def minimum(x1, x2): return F.minimum(_t(x1), x2)
@_op
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`, the variance biased (Keras' ops.moments). `synchronized`
    averages across replicas; one process is one replica, so it cannot change the result."""
    return _tf.nn_moments.__wrapped__(x, axes, keepdims=keepdims)
@_op
def clip(x, x_min, x_max): return F.clamp(x, x_min, x_max)
@_op
def concatenate(xs, axis=0): return F.cat([_t(x) for x in xs], axis)
@_op
def stack(x, axis=0): return F.stack([_t(v) for v in x], axis)
@_op
def reshape(x, newshape=None, *, new_shape=None):
    """Keras 3's reshape; the shape is `newshape` (Keras <= 3.6) or `new_shape` (later)."""
    if (newshape is None) == (new_shape is None):
        raise TypeError("[keras.ops.reshape] give the shape once, as newshape or new_shape")
    shape = newshape if new_shape is None else new_shape
    return F.reshape(x, tuple(shape) if not isinstance(shape, int) else shape)
@_op
def transpose(x, axes=None): return _t(x).permute(*(axes or range(_t(x).ndim)[::-1]))
@_op
def expand_dims(x, axis): return F.unsqueeze(x, axis)
@_op
def squeeze(x, axis=None): return F.squeeze(x, axis)
@_op
def where(condition, x1=None, x2=None):
    """x1 where condition else x2; the condition alone gives the tuple of its true elements'
    index tensors, as keras.ops.nonzero (Keras 3)."""
    if x1 is None and x2 is None:
        return _t(condition).nonzero(as_tuple=True)
    return F.where(condition, x1, x2)
@_op
def relu(x): return F.relu(_t(x))
@_op
def sigmoid(x): return F.sigmoid(_t(x))
@_op
def tanh(x): return F.tanh(_t(x))
@_op
def softmax(x, axis=-1): return F.softmax(_t(x), axis=axis)
@_op
def one_hot(x, num_classes, axis=-1, dtype=None):
    """One-hot of integer `x`: a new axis of size num_classes at `axis` (default last), float32
    unless `dtype` says otherwise."""
    out = _tf.one_hot(x, num_classes, dtype=dtype)
    if axis == -1 or axis == out.ndim - 1:
        return out
    if not -out.ndim <= axis < out.ndim:
        raise ValueError(f"[keras.ops.one_hot] axis={axis} is out of range for a "
                         f"{out.ndim}-d result")
    return Tensor._wrap(np.ascontiguousarray(np.moveaxis(out._data, -1, axis)))
@_op
def cast(x, dtype): return _tf.cast(x, dtype)


def shape(x):
    """The shape as a tuple (None for unknown dimensions of a KerasTensor)."""
    return tuple(x.shape)


def convert_to_tensor(x, dtype=None):
    return _tf.constant(x, dtype)


def convert_to_numpy(x):
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _shape_tuple(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)


def ones(shape, dtype=None): return _creation.ones(*_shape_tuple(shape), dtype=dtype)
def zeros(shape, dtype=None): return _creation.zeros(*_shape_tuple(shape), dtype=dtype)
def ones_like(x, dtype=None): return _creation.ones_like(_t(x), dtype=dtype)
def zeros_like(x, dtype=None): return _creation.zeros_like(_t(x), dtype=dtype)


from .ops_more import (add, all, any, arange, argsort, binary_crossentropy, broadcast_to, cumsum,  # noqa: E402,F401,E501
                       divide, dot, elu, equal, eye, flip, floor, full, gelu, greater,
                       greater_equal, leaky_relu, less, less_equal, linspace, log_softmax,
                       logsumexp, multiply, negative, norm, normalize, not_equal, power, repeat,
                       round, sign, silu, slice, softplus, split, std, stop_gradient,
                       subtract, swish, tile, top_k, true_divide, var)


# ---- einsum, erf, trigonometry, sorting (held-out Keras programs: attention, positional
# encodings); each over an existing op, so autograd flows through
@_op
def einsum(subscripts, *operands): return F.einsum(subscripts, *[_t(o) for o in operands])
@_op
def erf(x): return F.erf(_t(x))
@_op
def cos(x): return F.cos(x)
@_op
def sin(x): return F.sin(x)
@_op
def sort(x, axis=-1): return _t(x).sort(axis).values
@_op
def take_along_axis(x, indices, axis=None):
    """NumPy's take_along_axis (axis=None: on the flattened x); differentiable in x."""
    t = _t(x)
    idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"[keras.ops.take_along_axis] indices must be integers, got {idx.dtype}")
    if axis is None:
        t, axis = t.reshape(-1), 0
    if idx.ndim != t.ndim:
        raise ValueError(f"[keras.ops.take_along_axis] indices of rank {idx.ndim} for x of rank "
                         f"{t.ndim} (shapes {idx.shape}, {tuple(t.shape)})")
    axis %= t.ndim
    n = t.shape[axis]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"[keras.ops.take_along_axis] index out of range for axis {axis} of "
                         f"size {n}")
    other = [a for a in range(t.ndim) if a != axis]
    try:
        b = list(np.broadcast_shapes(tuple(t.shape[a] for a in other),
                                     tuple(idx.shape[a] for a in other)))
    except ValueError:
        raise ValueError(f"[keras.ops.take_along_axis] shapes {tuple(t.shape)} and {idx.shape} "
                         f"do not broadcast outside axis {axis}") from None
    t_shape, i_shape = b[:axis] + [n] + b[axis:], b[:axis] + [idx.shape[axis]] + b[axis:]
    if tuple(t.shape) != tuple(t_shape):
        t = t.expand(*t_shape)
    idx = np.broadcast_to(idx % n if n else idx, tuple(i_shape))
    return t.gather(axis, idx)


from .ops_more import tile as _tile_ints  # noqa: E402


@_op
def tile(x, repeats):  # noqa: F811
    """keras.ops.tile with `repeats` also as a tensor (keras-io's causal-mask helpers build it
    with ops.concatenate): the counts are read as ints, then ops_more.tile."""
    reps = np.asarray(repeats._data if isinstance(repeats, Tensor) else
                      [np.asarray(getattr(r, "_data", r)) for r in repeats]).reshape(-1)
    if reps.dtype.kind not in "iu" and not np.all(np.mod(reps, 1) == 0):
        raise TypeError(f"[keras.ops.tile] repeats must be integers, got {reps}")
    return _tile_ints(x, tuple(int(r) for r in reps))


from . import ops_image as image  # noqa: E402,F401  (keras.ops.image.extract_patches)
# Keras 3 ops with NumPy's names over pe's tensor functions (keras/ops_numpy_more.py)
from . import ops_numpy_more as _more  # noqa: E402
globals().update({_k: getattr(_more, _k) for _k in dir(_more)
                  if not _k.startswith("_") and callable(getattr(_more, _k))
                  and _k not in globals() and _k not in ("graph_op",)})

# Keras 3's Fourier ops on (real, imag) pairs (keras/ops_fft.py)
from .ops_fft import fft, fft2, ifft, ifft2, irfft, istft, rfft, stft  # noqa: E402,F401

# Keras 3's CTC ops (keras/ctc.py)
from .ctc import ctc_decode, ctc_loss  # noqa: E402,F401


# Keras 3's sub-namespaces keras.ops.nn (keras-io DeepLabV3+: `ops.nn.relu(x)`) and
# keras.ops.numpy: the same functions as keras.ops, under the names Keras files them
_NN_NAMES = ("relu", "relu6", "sigmoid", "softplus", "softsign", "silu", "swish", "log_sigmoid",
             "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "gelu",
             "celu", "glu", "softmax", "log_softmax", "sparsemax", "max_pool", "average_pool",
             "conv", "depthwise_conv", "separable_conv", "conv_transpose", "one_hot",
             "multi_hot", "binary_crossentropy", "categorical_crossentropy",
             "sparse_categorical_crossentropy", "moments", "batch_normalization", "ctc_loss",
             "ctc_decode", "normalize", "psnr", "dot_product_attention")


def _namespace(name, keep):
    import types
    ns = types.ModuleType(f"{__name__}.{name}", f"keras.ops.{name}: keras.ops functions")
    for k, v in list(globals().items()):
        if callable(v) and not k.startswith("_") and not isinstance(v, types.ModuleType) \
                and keep(k):
            setattr(ns, k, v)
    return ns


def __getattr__(name):
    # Keras 3's `keras.ops` namespace also reaches the backend module (keras-io's NER text calls
    # `keras.ops.backend.shape(x)`); loaded on first use: keras.backend imports this module
    if name == "backend":
        from . import backend
        return backend
    if name in ("nn", "numpy"):
        ns = _namespace(name, (lambda k: k in _NN_NAMES) if name == "nn"
                        else (lambda k: k not in _NN_NAMES))
        globals()[name] = ns
        return ns
    raise AttributeError(f"module 'pyengine.keras.ops' has no attribute '{name}'")


# Keras 3's scatter ops, TensorFlow's scatter_nd / tensor_scatter_nd_update underneath (keras-io
# Music Transformer writes each generated token with scatter_update)
@graph_op
def scatter_update(inputs, indices, updates):
    """A copy of inputs with the entries at `indices` (a list of index tuples, each of the
    leading dimensions it addresses) replaced by `updates`; gradients flow to both."""
    from ..tf_indexing import tensor_scatter_nd_update
    return tensor_scatter_nd_update(inputs, indices, updates)


@graph_op
def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (repeated indices add)."""
    from ..tf_indexing import scatter_nd
    return scatter_nd(indices, values, shape)
