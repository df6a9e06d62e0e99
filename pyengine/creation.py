"""Tensor creation: from data, from NumPy (zero-copy), constant fills, ranges and random."""
import numbers

import numpy as np

from . import dtypes as _dt
from . import random as _random
from .backend import checked_device
from .tensor import Tensor, _to_array

_MAX_BYTES = 1 << 48  # 256 TiB: anything larger is a mistake, not a request


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of `data` (nested lists, scalars, arrays, tensors).

    >>> pe.tensor([[1.0, 2.0], [3.0, 4.0]]).shape
    (2, 2)
    """
    return Tensor._from_data(data, dtype=dtype, requires_grad=requires_grad, device=device)


def from_numpy(array):
    """A tensor that shares memory with `array` (no copy): writes show through both ways."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"[from_numpy] expected a numpy.ndarray, got {type(array).__name__}")
    _dt.from_numpy_dtype(array.dtype)
    return Tensor._wrap(array)


as_tensor = tensor


def _size(size, op):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    elif len(size) == 1 and isinstance(size[0], (Tensor, np.ndarray)) and np.ndim(size[0]) == 1:
        # a 1-D shape tensor: tf.zeros(tf.shape(x)[:-1]), torch.zeros(torch.Size-like tensor)
        a = np.asarray(getattr(size[0], "_data", size[0]))
        if a.dtype.kind not in "iu":
            raise TypeError(f"[{op}] a shape tensor must hold integers, got {a.dtype}")
        size = tuple(int(v) for v in a)
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"[{op}] size must be ints, got {s!r} in {tuple(size)}")
        if s < 0:
            raise ValueError(f"[{op}] negative dimension {s} in size {tuple(size)}")
        out.append(int(s))
    n = 1
    for s in out:
        n *= s
    if n * 8 > _MAX_BYTES:
        raise ValueError(f"[{op}] size {tuple(out)} has {n} elements: too large to allocate")
    return tuple(out)


def _np_dtype(dtype, default=None):
    """dtype's NumPy dtype; `default` (or the default float dtype, pe.get_default_dtype) if None."""
    if dtype is not None:
        return _dt.as_dtype(dtype).np
    return np.dtype(default) if default is not None else _dt.default_float_np()


def _finish(arr, requires_grad, op):
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _guarded(op, size, dtype, make):
    """make(), with an out-of-memory error that names the op and the size."""
    try:
        return make()
    except MemoryError:
        raise MemoryError(f"[{op}] cannot allocate a tensor of size {tuple(size)} "
                          f"({np.prod(size, dtype=np.float64) * dtype.itemsize:.3g} bytes)") from None


def _alloc(fn, size, dtype, op, *args):
    return _guarded(op, size, dtype, lambda: fn(size, *args, dtype=dtype))


_RANDOM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _sample(method, size, npd, op):
    """Draw in the target float dtype directly (no float64 temporary for float32)."""
    draw = npd if npd in _RANDOM_DTYPES else np.dtype(np.float64)
    return _guarded(op, size, draw, lambda: method(size, dtype=draw).astype(npd, copy=False))


def _check(device):
    """Check `device=` first, before any work (a 4 GB buffer is not allocated only to raise)."""
    if device is not None:
        checked_device(device)


def zeros(*size, dtype=None, requires_grad=False, device=None, shape=None, name=None):
    _check(device)
    size, dtype = _size_and_dtype(size, shape, dtype, "zeros")
    return _finish(_alloc(np.zeros, size, _np_dtype(dtype), "zeros"), requires_grad, "zeros")


def ones(*size, dtype=None, requires_grad=False, device=None, shape=None, name=None):
    _check(device)
    size, dtype = _size_and_dtype(size, shape, dtype, "ones")
    return _finish(_alloc(np.ones, size, _np_dtype(dtype), "ones"), requires_grad, "ones")


def empty(*size, dtype=None, requires_grad=False, device=None, shape=None, name=None,
          memory_format=None):
    _check(device)
    size, dtype = _size_and_dtype(size, shape, dtype, "empty")
    arr = _alloc(np.empty, size, _np_dtype(dtype), "empty")
    if memory_format is not None:
        from . import memory_formats as _mf
        if _mf.check(memory_format, "empty") is _mf.preserve_format:
            raise RuntimeError("[empty] preserve_format is only for *_like / clone")
        arr = _mf.laid_out(arr, memory_format, "empty")
    return _finish(arr, requires_grad, "empty")


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """An uninitialised tensor of `size` whose elements sit `stride` elements apart per
    dimension (torch.empty_strided: `empty_strided((3, 2), (1, 3))` is laid out as the
    transpose of a contiguous (2, 3) tensor). Its array views a buffer just large enough,
    so stride() reports the given strides; overlapping strides (0) alias, as in torch."""
    op = "empty_strided"
    _check(device)
    if layout is not None:
        from .sparse_coo import strided
        if layout is not strided:
            raise ValueError(f"[{op}] only the strided layout exists, got layout={layout!r}")
    if not isinstance(pin_memory, bool):
        raise TypeError(f"[{op}] pin_memory must be a bool, got {pin_memory!r}")
    size = _size((size,), op)
    stride = tuple(stride) if isinstance(stride, (tuple, list)) else None
    if stride is None or len(stride) != len(size) or not all(
            isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool) and v >= 0
            for v in stride):
        raise ValueError(f"[{op}] stride must be a sequence of {len(size)} non-negative ints "
                         f"(one per dimension of size {tuple(size)}), got {stride!r}")
    npd = _np_dtype(dtype)
    numel = int(np.prod(size, dtype=np.int64)) if size else 1
    extent = 0 if numel == 0 else 1 + sum((n - 1) * int(st) for n, st in zip(size, stride))
    buf = _alloc(np.empty, (extent,), npd, op)
    arr = np.lib.stride_tricks.as_strided(buf, shape=tuple(size),
                                          strides=tuple(int(st) * npd.itemsize for st in stride))
    return _finish(arr, requires_grad, op)


def _size_and_dtype(size, shape, dtype, op):
    """The size of zeros / ones / empty from torch's `*size` / `size=` or TensorFlow's
    `shape=` (and `tf.zeros(shape, dtype)`, the dtype second; `name=` is TensorFlow's op label,
    which pyengine has no use for)."""
    if shape is not None:
        if size:
            raise TypeError(f"[{op}] the size given both by position and as shape=")
        size = (shape,)
    if len(size) == 2 and isinstance(size[0], (tuple, list)) and dtype is None and \
            not isinstance(size[1], (numbers.Integral, Tensor)):
        size, dtype = size[:1], size[1]
    return _size(size, op), dtype


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    _check(device)
    size = _size((size,) if isinstance(size, numbers.Integral) else (size,), "full")
    if dtype is None:
        dtype = _dt.bool_ if isinstance(fill_value, bool) else (
            _dt.int64 if isinstance(fill_value, numbers.Integral) else _dt.get_default_dtype())
    arr = _alloc(np.full, size, _np_dtype(dtype), "full", fill_value)
    return _finish(arr, requires_grad, "full")


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Values from start (default 0) up to, not including, end, spaced by step."""
    _check(device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("[arange] step must be non-zero")
    ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    npd = _np_dtype(dtype, np.int64 if ints else None)
    n = max(0, int(np.ceil((end - start) / step)))
    _size((n,), "arange")
    arr = _guarded("arange", (n,), npd, lambda: np.arange(start, end, step).astype(npd))
    return _finish(arr, requires_grad, "arange")


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    _check(device)
    _size((steps,), "linspace")
    npd = _np_dtype(dtype)
    arr = _guarded("linspace", (steps,), npd, lambda: np.linspace(start, end, steps).astype(npd))
    return _finish(arr, requires_grad, "linspace")


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    _check(device)
    size = _size((n, n if m is None else m), "eye")
    npd = _np_dtype(dtype)
    return _finish(_guarded("eye", size, npd, lambda: np.eye(n, m, dtype=npd)), requires_grad, "eye")


def rand(*size, dtype=None, requires_grad=False, generator=None, device=None):
    """Uniform [0, 1) samples from pyengine's generator (see manual_seed)."""
    _check(device)
    size = _size(size, "rand")
    npd = _np_dtype(dtype)
    arr = _sample(_random.get_generator(generator).random, size, npd, "rand")
    return _finish(arr, requires_grad, "rand")


def randn(*size, dtype=None, requires_grad=False, generator=None, device=None):
    """Standard normal samples from pyengine's generator (see manual_seed)."""
    _check(device)
    size = _size(size, "randn")
    npd = _np_dtype(dtype)
    arr = _sample(_random.get_generator(generator).standard_normal, size, npd, "randn")
    return _finish(arr, requires_grad, "randn")


def randint(low, high=None, size=(), dtype=None, generator=None, device=None,
            requires_grad=False):
    """Integers uniformly from [low, high) (or [0, low) when high is omitted); torch's
    randint(high, size) form is accepted too (a sequence in the second place is the size)."""
    _check(device)
    if isinstance(high, (tuple, list)):  # torch.randint(10, (64,))
        if size != ():
            raise TypeError("[randint] got the size twice: randint(high, size) or "
                            "randint(low, high, size)")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"[randint] high ({high}) must be greater than low ({low})")
    size = _size((size,) if isinstance(size, numbers.Integral) else (tuple(size),), "randint")
    npd = _np_dtype(dtype, np.int64)
    gen = _random.get_generator(generator)
    arr = _guarded("randint", size, npd, lambda: gen.integers(low, high, size=size).astype(npd))
    return _finish(arr, requires_grad, "randint")  # int dtypes refuse requires_grad, as torch


def _like(fn):
    def like(t, dtype=None, requires_grad=False, memory_format=None, **kw):
        d = t.dtype if dtype is None else dtype
        out = fn(*t.shape, dtype=d, requires_grad=requires_grad, **kw)
        if memory_format is not None or (t.ndim in (4, 5) and not t._data.flags.c_contiguous):
            from . import memory_formats as _mf  # torch's *_like keep the layout by default
            fmt = _mf.preserve_format if memory_format is None else \
                _mf.check(memory_format, like.__name__)
            out._data = _mf.laid_out(out._data, _mf.suggested(t._data)
                                     if fmt is _mf.preserve_format else fmt, like.__name__)
        return out
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"{fn.__name__} with the shape (and by default dtype) of another tensor."
    return like


zeros_like, ones_like, empty_like, rand_like, randn_like = (
    _like(zeros), _like(ones), _like(empty), _like(rand), _like(randn))


def full_like(t, fill_value, dtype=None, requires_grad=False, device=None):
    return full(t.shape, fill_value, dtype=t.dtype if dtype is None else dtype,
                requires_grad=requires_grad, device=device)


def randint_like(t, low, high=None, dtype=None, device=None):
    return randint(low, high, t.shape, dtype=t.dtype if dtype is None else dtype, device=device)
