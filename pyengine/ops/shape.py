"""Shape ops: reshape, permute, broadcast, indexing, cat / stack / split. Views stay views."""
import numpy as np

from .. import autograd as _ag
from ..autograd import Function
from .shape_errors import ShapeError


class Reshape(Function):
    makes_view = True

    @staticmethod
    def forward(ctx, a, shape=()):
        ctx.in_shape = a.shape
        try:
            return ctx.backend.reshape(a, shape)
        except ValueError:
            raise ShapeError(f"[reshape] cannot reshape tensor of shape {a.shape} "
                             f"({a.size} elements) into shape {tuple(shape)}") from None

    @staticmethod
    def backward(ctx, g):
        return np.reshape(g, ctx.in_shape)


class Permute(Function):
    makes_view = True

    @staticmethod
    def forward(ctx, a, axes=()):
        if sorted(int(x) % max(a.ndim, 1) for x in axes) != list(range(a.ndim)) or len(axes) != a.ndim:
            raise ValueError(f"[permute] axes {tuple(axes)} are not a permutation of the "
                             f"{a.ndim} dimensions of a tensor of shape {a.shape}")
        ctx.axes = tuple(int(x) % a.ndim for x in axes) if a.ndim else ()
        return ctx.backend.transpose(a, ctx.axes)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.axes))


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, a, shape=()):
        shape = tuple(a.shape[i - (len(shape) - a.ndim)] if s == -1 else s
                      for i, s in enumerate(shape))
        try:
            return ctx.backend.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"[expand] cannot broadcast shape {a.shape} to {shape}") from None

    @staticmethod
    def backward(ctx, g):
        return g  # the engine sums it back to the input's shape


def _is_advanced(key):
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, (np.ndarray, list)) for k in parts)


class Index(Function):
    makes_view = True

    @staticmethod
    def forward(ctx, a, key=None):
        ctx.key, ctx.shape, ctx.dtype = key, a.shape, a.dtype
        try:
            out = a[key]
            if isinstance(out, np.generic):
                # Every axis taken by an int: NumPy returns a scalar (a copy), PyTorch a 0-d
                # view, so that x[1].add_(1) changes x. A trailing None keeps NumPy's view.
                out = a[(key if isinstance(key, tuple) else (key,)) + (None,)].reshape(())
            return out
        except IndexError as e:
            raise IndexError(f"[index] {e} (tensor of shape {a.shape})") from None

    @staticmethod
    def backward(ctx, g):
        out = ctx.backend.zeros(ctx.shape, dtype=g.dtype)
        if _is_advanced(ctx.key):
            ctx.backend.add_at(out, ctx.key, g)  # repeated indices accumulate
        else:
            out[ctx.key] = g
        return out


def index_key(key):
    """Turn Tensors inside an indexing key into NumPy arrays."""
    if isinstance(key, _ag.Tensor):
        return key._data
    if isinstance(key, tuple):
        return tuple(k._data if isinstance(k, _ag.Tensor) else k for k in key)
    return key


class Cat(Function):
    reads_inputs = False  # backward uses only g (autograd.Function.reads_inputs)

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        try:
            out = ctx.backend.concatenate(arrays, axis=axis)
        except (ValueError, IndexError) as e:  # AxisError is both
            raise ShapeError(f"[cat] {e}; shapes: {[a.shape for a in arrays]}") from None
        ctx.sizes = [a.shape[axis] for a in arrays]
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        bounds = np.cumsum(ctx.sizes)[:-1]
        return tuple(ctx.backend.split(g, bounds, axis=ctx.axis))


class Stack(Function):
    reads_inputs = False  # backward uses only g (autograd.Function.reads_inputs)

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis, ctx.n = axis, len(arrays)
        try:
            return ctx.backend.stack(arrays, axis=axis)
        except (ValueError, IndexError) as e:
            raise ValueError(f"[stack] {e}; shapes: {[a.shape for a in arrays]}") from None

    @staticmethod
    def backward(ctx, g):
        return tuple(ctx.backend.take(g, i, axis=ctx.axis) for i in range(ctx.n))


def _tensors(seq, op):
    """The sequence's items as Tensors. A number is a value (as tf.stack converts it):
    `tf.stack([tf.shape(x)[0], 6])` packs the number 6, not a new tensor of 6 elements (the
    legacy `Tensor(6)` constructor), in the dtype of the tensors given, as TensorFlow converts
    it. Arrays and lists go through the Tensor constructor, as before."""
    seq = list(seq)
    if not seq:
        raise ValueError(f"[{op}] expected a non-empty sequence of tensors")
    like = next((t for t in seq if isinstance(t, _ag.Tensor)), None)
    numbers = (bool, int, float, np.number, np.bool_)
    if like is not None and like._data.dtype.kind in "biuf":
        dtype = like._data.dtype
    else:  # numbers only: their common dtype, a float one as float32 (pe.tensor's default)
        dtype = np.asarray([t for t in seq if isinstance(t, numbers)]).dtype
        dtype = np.float32 if dtype == np.float64 else dtype
    out = []
    for t in seq:
        if isinstance(t, numbers):
            a = np.asarray(t).astype(dtype)
            if a != t:  # 2.5 into int32, 2 into bool: TensorFlow refuses the conversion too
                raise TypeError(f"[{op}] the number {t!r} cannot be packed with tensors of "
                                f"dtype {np.dtype(dtype).name} without changing its value")
            t = _ag.Tensor._wrap(a, like.device if like is not None else None)
        elif not isinstance(t, _ag.Tensor):
            t = _ag.Tensor(t)
        out.append(t)
    return out


def cat(tensors, axis=0, dim=None):
    """Join tensors along an existing axis."""
    return Cat.apply(*_tensors(tensors, "cat"), axis=axis if dim is None else dim)


concatenate = cat


def stack(tensors, axis=0, dim=None):
    """Join tensors along a new axis."""
    return Stack.apply(*_tensors(tensors, "stack"), axis=axis if dim is None else dim)


def _check_axis(x, axis, op):
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"[{op}] axis {axis} is out of range for a {x.ndim}-d tensor")
    return axis % x.ndim


def split(x, split_size_or_sections, axis=0):
    """Split into chunks of a given size (last may be smaller) or of the listed sizes."""
    axis = _check_axis(x, axis, "split")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"[split] split size must be positive, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, n - i) for i in range(0, n, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"[split] sections {sizes} do not add up to {n} along axis {axis}")
    out, start = [], 0
    for s in sizes:
        key = (slice(None),) * axis + (slice(start, start + s),)
        out.append(x[key])
        start += s
    return tuple(out)


def chunk(x, chunks, axis=0):
    axis = _check_axis(x, axis, "chunk")
    size = -(-x.shape[axis] // chunks) if x.shape[axis] else 1
    return split(x, max(size, 1), axis)


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s = _check_axis(x, start_dim, "flatten")
    e = _check_axis(x, end_dim, "flatten")
    if s > e:
        raise ValueError(f"[flatten] start_dim {start_dim} comes after end_dim {end_dim}")
    shape = x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:]
    return x.reshape(shape)


def squeeze(x, axis=None):
    if axis is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        axes = axis if isinstance(axis, tuple) else (axis,)
        axes = {_check_axis(x, a, "squeeze") for a in axes}
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in axes and s == 1))
    return x.reshape(shape)


def unsqueeze(x, axis):
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError(f"[unsqueeze] axis {axis} is out of range for a {x.ndim}-d tensor")
    axis = axis % (x.ndim + 1)
    return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])


def transpose(x, axes):
    """transpose(d0, d1) swaps two axes (PyTorch); transpose() or transpose(perm) permutes."""
    if len(axes) == 2 and all(isinstance(a, int) for a in axes):
        perm = list(range(x.ndim))
        i, j = _check_axis(x, axes[0], "transpose"), _check_axis(x, axes[1], "transpose")
        perm[i], perm[j] = perm[j], perm[i]
        return Permute.apply(x, axes=tuple(perm))
    if len(axes) == 0:
        return Permute.apply(x, axes=tuple(reversed(range(x.ndim))))
    perm = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
    return Permute.apply(x, axes=tuple(perm))
