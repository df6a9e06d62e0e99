"""More of Keras 3's keras.ops (re-exported by keras/ops.py), with Keras' (NumPy's) argument
names: the math, tests and shape ops that pe's tensor functions now provide
(tensor_math_habits.py), NumPy-rule reductions (median averages the two middle values), the
neural-network ops on channels-last data (conv, depthwise_conv, max_pool, average_pool,
batch_normalization) and the control-flow ops run eagerly (cond, fori_loop, while_loop, scan).
Each composes differentiable pe ops; called on KerasTensors each records a graph node."""
import numpy as np

from .. import creation as _creation
from .. import tf_names as _tf
from .. import torch_functions as _tfn
from ..nn import functional as F
from .symbolic import graph_op as _op


def _t(x):
    return _tf._t(x)


def _axes(axis, ndim):
    if axis is None:
        return None
    return tuple(a % ndim for a in (axis if isinstance(axis, (list, tuple)) else (axis,)))


# ---- elementwise ----------------------------------------------------------------------------
def _unary(name):
    @_op
    def f(x):
        return getattr(_t(x), name)()
    f.__name__ = name
    return f


arccos, arccosh, arcsin, arcsinh, arctan, arctanh = map(
    _unary, ("acos", "acosh", "asin", "asinh", "atan", "atanh"))
cosh, sinh, tan, expm1, log10, log2, reciprocal, rsqrt = map(
    _unary, ("cosh", "sinh", "tan", "expm1", "log10", "log2", "reciprocal", "rsqrt"))
isfinite, isinf, isnan, logical_not = map(_unary, ("isfinite", "isinf", "isnan", "logical_not"))
for _f, _n in ((arccos, "arccos"), (arccosh, "arccosh"), (arcsin, "arcsin"),
               (arcsinh, "arcsinh"), (arctan, "arctan"), (arctanh, "arctanh")):
    _f.__name__ = _n


@_op
def arctan2(x1, x2): return _t(x1).atan2(x2)
@_op
def logical_and(x1, x2): return _t(x1).logical_and(x2)
@_op
def logical_or(x1, x2): return _t(x1).logical_or(x2)
@_op
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return _t(x1).isclose(x2, rtol, atol, equal_nan)
@_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None): return _t(x).nan_to_num(nan, posinf, neginf)
@_op
def mod(x1, x2):
    """x1 - floor(x1 / x2) * x2: the sign of x2, as NumPy's mod."""
    a = _t(x1)
    return a - (a / x2).floor() * x2
@_op
def logaddexp(x1, x2):
    a, b = _t(x1), _t(x2)
    hi = F.maximum(a, b)
    return hi + (-(a - b).abs()).exp().log1p()
# the activations are nn.functional's (one implementation for both faces)
@_op
def relu6(x): return F.relu6(_t(x))
@_op
def softsign(x): return F.softsign(_t(x))
@_op
def log_sigmoid(x): return F.logsigmoid(_t(x))
@_op
def hard_sigmoid(x): return F.hardsigmoid(_t(x))  # Keras 3's relu6(x + 3) / 6
@_op
def hard_silu(x): return F.hardswish(_t(x))  # x * hard_sigmoid(x)
hard_swish = hard_silu
@_op
def selu(x): return F.selu(_t(x))


# ---- reductions and statistics -----------------------------------------------------------
def _reduce_over(x, axis, keepdims, method):
    t = _t(x)
    axes = _axes(axis, t.ndim)
    if axes is None:
        out = getattr(t.reshape(-1), method)(0)
        return out.reshape((1,) * t.ndim) if keepdims else out
    for a in sorted(axes, reverse=True):
        t = getattr(t, method)(a, keepdim=True)
    return t if keepdims else t.squeeze(axes)


@_op
def prod(x, axis=None, keepdims=False, dtype=None):
    t = _t(x) if dtype is None else _t(x).to(dtype)
    return _reduce_over(t, axis, keepdims, "prod")
@_op
def amax(x, axis=None, keepdims=False): return _t(x).amax(() if axis is None else axis, keepdims)
@_op
def amin(x, axis=None, keepdims=False): return _t(x).amin(() if axis is None else axis, keepdims)
@_op
def argmin(x, axis=None, keepdims=False): return _t(x).argmin(axis, keepdims)
@_op
def count_nonzero(x, axis=None): return _t(x).count_nonzero(_axes(axis, _t(x).ndim))
@_op
def cumprod(x, axis=None, dtype=None):
    t = _t(x) if dtype is None else _t(x).to(dtype)
    return t.reshape(-1).cumprod(0) if axis is None else t.cumprod(axis)
@_op
def median(x, axis=None, keepdims=False):
    """NumPy's median: the mean of the two middle values when the count is even."""
    t = _t(x)
    if axis is None:
        t, ax = t.reshape(-1), 0
    else:
        ax = axis % t.ndim
    s = t.sort(ax).values
    n = s.shape[ax]
    lo = s.narrow(ax, (n - 1) // 2, 1)
    hi = s.narrow(ax, n // 2, 1)
    out = (lo + hi) / 2
    if axis is None:
        return out.reshape((1,) * _t(x).ndim) if keepdims else out.reshape(())
    return out if keepdims else out.squeeze(ax)
@_op
def average(x, axis=None, weights=None):
    t = _t(x)
    if weights is None:
        return F.mean(t, axis)
    w = _t(weights)
    if axis is not None and w.ndim == 1 and t.ndim > 1:
        shape = [1] * t.ndim
        shape[axis % t.ndim] = w.shape[0]
        w = w.reshape(tuple(shape))
    return F.sum(t * w, axis) / F.sum(w * _creation.ones_like(t), axis)
@_op
def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ValueError("[keras.ops.bincount] sparse=True is not supported")
    return _t(x).bincount(weights, minlength)
@_op
def digitize(x, bins): return _tfn.searchsorted(bins, x, right=True)


# ---- shape and creation ----------------------------------------------------------------------
@_op
def diag(x, k=0): return _t(x).diag(k)
@_op
def diagonal(x, offset=0, axis1=0, axis2=1): return _t(x).diagonal(offset, axis1, axis2)
@_op
def trace(x, offset=0, axis1=0, axis2=1): return _t(x).diagonal(offset, axis1, axis2).sum(-1)
@_op
def diff(a, n=1, axis=-1): return _t(a).diff(n, axis)
@_op
def roll(x, shift, axis=None): return _t(x).roll(shift, axis)
@_op
def moveaxis(x, source, destination): return _t(x).movedim(source, destination)
@_op
def swapaxes(x, axis1, axis2): return _t(x).transpose(axis1, axis2)
@_op
def ravel(x): return _t(x).reshape(-1)
@_op
def outer(x1, x2): return _t(x1).reshape(-1).outer(_t(x2).reshape(-1))
@_op
def vdot(x1, x2): return (_t(x1).reshape(-1) * _t(x2).reshape(-1)).sum()
@_op
def tril(x, k=0): return _t(x).tril(k)
@_op
def triu(x, k=0): return _t(x).triu(k)
@_op
def vstack(xs): return _tfn.vstack([_t(v) for v in xs])
@_op
def hstack(xs): return _tfn.hstack([_t(v) for v in xs])
@_op
def append(x1, x2, axis=None):
    a, b = _t(x1), _t(x2)
    if axis is None:
        return F.cat([a.reshape(-1), b.reshape(-1)], 0)
    return F.cat([a, b], axis)
@_op
def take(x, indices, axis=None):
    """NumPy's take (negative indices count from the end); indices int, or whole-number floats
    (NumPy ids reach a layer's call as float32: keras/layers/base.py to_tensor)."""
    from ..tf_indexing import int_ids
    t, idx = _t(x), _t(int_ids("keras.ops.take", indices))
    if axis is None:
        return t.reshape(-1)[idx]
    ax = axis % t.ndim
    return t[(slice(None),) * ax + (idx,)]
@_op
def nonzero(x): return _t(x).nonzero(as_tuple=True)
@_op
def meshgrid(*x, indexing="xy"): return _tfn.meshgrid(*[_t(v) for v in x], indexing=indexing)
@_op
def tensordot(x1, x2, axes=2):
    """NumPy's tensordot: contract the last `axes` axes of x1 with the first of x2 (or the
    listed pairs), as one matmul of two reshaped operands (differentiable)."""
    a, b = _t(x1), _t(x2)
    if isinstance(axes, int):
        ax_a, ax_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        ax_a, ax_b = ([v] if isinstance(v, int) else list(v) for v in axes)
    ax_a, ax_b = [v % a.ndim for v in ax_a], [v % b.ndim for v in ax_b]
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [i for i in range(b.ndim) if i not in ax_b]
    k = int(np.prod([a.shape[i] for i in ax_a]))
    am = a.permute(*free_a, *ax_a).reshape(-1, k)
    bm = b.permute(*ax_b, *free_b).reshape(k, -1)
    return (am @ bm).reshape(tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b))
@_op
def copy(x): return _t(x).clone()
@_op
def array(x, dtype=None): return _creation.tensor(np.asarray(getattr(x, "_data", x)), dtype=dtype)
def empty(shape, dtype=None): return _creation.zeros(*shape, dtype=dtype or "float32")
def identity(n, dtype=None): return _creation.eye(n, dtype=dtype or "float32")
@_op
def full_like(x, fill_value, dtype=None): return _creation.full_like(_t(x), fill_value,
                                                                       dtype=dtype)
def tri(N, M=None, k=0, dtype=None):
    return _creation.tensor(np.tri(N, M, k), dtype=dtype or "float32")
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return _creation.tensor(np.logspace(start, stop, num, endpoint, base), dtype=dtype or "float32")
def ndim(x): return int(np.ndim(getattr(x, "_data", x))) if not hasattr(x, "ndim") else x.ndim
def size(x):
    """The number of elements of x: a tensor, or anything keras.ops converts (a shape tuple has
    ndim elements: StyleGAN's `ops.size(ops.shape(loss))`)."""
    shape = getattr(x, "shape", None)
    return int(np.prod(tuple(shape))) if shape is not None else int(np.size(np.asarray(x)))


# ---- losses and neural-network ops -----------------------------------------------------------
@_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    t, o = _t(target), _t(output)
    logp = F.log_softmax(o, dim=axis) if from_logits else \
        (o / o.sum(axis, keepdims=True)).clamp(1e-7, 1.0).log()
    return -(t * logp).sum(axis)
@_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    o = _t(output)
    classes = o.shape[axis]
    return categorical_crossentropy(F.one_hot(_t(target).long(), classes).to(o.dtype), o,
                                    from_logits, axis)
@_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    t = _t(x)
    shape = [1] * t.ndim
    shape[axis % t.ndim] = t.shape[axis % t.ndim]
    view = (lambda v: _t(v).reshape(tuple(shape)))
    out = (t - view(mean)) / (view(variance) + epsilon).sqrt()
    if scale is not None:
        out = out * view(scale)
    if offset is not None:
        out = out + view(offset)
    return out
@_op
def in_top_k(targets, predictions, k):
    p, t = _t(predictions), _t(targets).long()
    picked = p.gather(1, t.reshape(-1, 1))
    return ((p > picked).sum(1) < k)


def _pair(v, n=2):
    return (int(v),) * n if np.isscalar(v) else tuple(int(u) for u in v)


def _channels_last(op, data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"[keras.ops.{op}] only data_format='channels_last' is supported. "
                         f"Received: {data_format!r}")


@_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """2-D (N, H, W, C) with a (kh, kw, C, OC) kernel; 1-D (N, L, C) with (k, C, OC)."""
    _channels_last("conv", data_format)
    x, w = _t(inputs), _t(kernel)
    if x.ndim == 3:
        return conv(x.unsqueeze(1), w.unsqueeze(0), (1, _pair(strides, 1)[0]), padding,
                    data_format, (1, _pair(dilation_rate, 1)[0])).squeeze(1)
    if x.ndim != 4:
        raise ValueError(f"[keras.ops.conv] inputs must be 3-D or 4-D, got shape {x.shape}")
    groups = x.shape[-1] // w.shape[2]
    return F.conv2d_nhwc(x, w, None, _pair(strides), padding, _pair(dilation_rate), groups)
@_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """(N, H, W, C) with a (kh, kw, C, multiplier) kernel: each channel its own filters."""
    _channels_last("depthwise_conv", data_format)
    x, w = _t(inputs), _t(kernel)
    kh, kw, c, m = w.shape
    return F.conv2d_nhwc(x, w.reshape(kh, kw, 1, c * m), None, _pair(strides), padding,
                         _pair(dilation_rate), c)
@_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    _channels_last("max_pool", data_format)
    k = _pair(pool_size)
    return F.max_pool2d_nhwc(_t(inputs), k, None if strides is None else _pair(strides), padding)
@_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    _channels_last("average_pool", data_format)
    k = _pair(pool_size)
    return F.avg_pool2d_nhwc(_t(inputs), k, None if strides is None else _pair(strides), padding)
def _segment(kind, data, segment_ids, num_segments, sorted):  # noqa: A002
    """Keras' segment_sum / segment_max: tf.math.unsorted_segment_* (negative ids dropped,
    an empty segment of max the dtype's lowest value), num_segments max(id) + 1 by default;
    sorted=True is a speed hint of the ids' order, the result is the same."""
    from .. import tf_segment
    from ..tf_indexing import int_ids
    ids = int_ids(f"segment_{kind}", segment_ids, "segment_ids")
    n = int(ids.max()) + 1 if num_segments is None else num_segments
    return getattr(tf_segment, f"unsorted_segment_{kind}")(data, ids, n)
@_op
def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    return _segment("sum", data, segment_ids, num_segments, sorted)
@_op
def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    return _segment("max", data, segment_ids, num_segments, sorted)


# ---- control flow, run eagerly -------------------------------------------------------------
def cond(pred, true_fn, false_fn):
    return true_fn() if bool(getattr(pred, "item", lambda: pred)()) else false_fn()


def fori_loop(lower, upper, body_fun, init_val):
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):  # noqa: A002
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = (loop_vars,) if single else tuple(loop_vars)
    i = 0
    while (maximum_iterations is None or i < maximum_iterations) and bool(cond(*vars_)):
        out = body(*vars_)
        vars_ = (out,) if single else tuple(out)
        i += 1
    return vars_[0] if single else vars_


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """carry, y = f(carry, x) over the leading axis of xs; returns (carry, stacked ys)."""
    n = length if xs is None else _t(xs).shape[0]
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, []
    for i in order:
        carry, y = f(carry, None if xs is None else _t(xs)[i])
        ys.append(y)
    if reverse:
        ys = ys[::-1]
    return carry, (F.stack([_t(y) for y in ys], 0) if ys and ys[0] is not None else None)


# ---- pad ---------------------------------------------------------------------------------------
def _pad_widths(pad_width, ndim):
    p = np.asarray(getattr(pad_width, "_data", pad_width), dtype=np.int64)
    if p.ndim == 0:
        p = np.full((ndim, 2), int(p))
    elif p.shape == (2,) or p.shape == (1, 2):
        p = np.tile(p.reshape(1, 2), (ndim, 1))
    if p.shape != (ndim, 2) or (p < 0).any():
        raise ValueError(f"[keras.ops.pad] pad_width must be non-negative (before, after) pairs, "
                         f"one per axis of the {ndim}-D input. Received: {pad_width!r}")
    return p


@_op
def pad(x, pad_width, mode="constant", constant_values=None):
    """NumPy's pad: `pad_width` an int, one (before, after) pair for every axis, or a pair per
    axis; mode 'constant' (constant_values, 0 by default), 'reflect', 'symmetric', 'edge' or
    'wrap'. Differentiable in x."""
    from ..tensor import Tensor
    from ..tf_names_more import pad as _tf_pad
    t = _t(x)
    p = _pad_widths(pad_width, t.ndim)
    if mode != "constant" and constant_values is not None:
        raise ValueError(f"[keras.ops.pad] constant_values can only be given with "
                         f"mode='constant'. Received: mode={mode!r}")
    if mode in ("constant", "reflect", "symmetric"):
        return _tf_pad(t, p, mode.upper(), 0 if constant_values is None else constant_values)
    if mode not in ("edge", "wrap"):
        raise NotImplementedError(f"[keras.ops.pad] mode {mode!r} is not supported; use "
                                  "'constant', 'reflect', 'symmetric', 'edge' or 'wrap'")
    out = t
    for d, (b, a) in enumerate(p.tolist()):
        n = t.shape[d]
        if not (b or a):
            continue
        if n == 0:
            raise ValueError(f"[keras.ops.pad] cannot pad the empty axis {d} with mode={mode!r}")
        idx = np.arange(-b, n + a)
        idx = np.clip(idx, 0, n - 1) if mode == "edge" else idx % n
        out = out[(slice(None),) * d + (Tensor._wrap(idx),)]
    return out
