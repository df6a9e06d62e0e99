"""tf.TensorArray with TensorFlow 2's eager semantics (pyengine always runs eagerly): a list of
tensors of one dtype, written by index (write returns the array, as tf code reassigns it),
read once by default (clear_after_read), unwritten elements read as zeros of the element
shape, stack / gather / concat / unstack / scatter / split / size / close. The values stay
pe Tensors, so gradients flow through write -> stack as through pe.stack."""
import numpy as np

from . import dtypes as _dt
from .tensor import Tensor


def _index(i, op):
    if isinstance(i, Tensor):
        if i.numel() != 1:
            raise ValueError(f"[TensorArray.{op}] the index must be a scalar, got shape "
                             f"{tuple(i.shape)}")
        i = i.item()
    if isinstance(i, (float, np.floating)) or isinstance(i, bool):
        raise TypeError(f"[TensorArray.{op}] the index must be an integer, got {i!r}")
    i = int(i)
    if i < 0:
        raise IndexError(f"[TensorArray.{op}] negative index {i} is not allowed")
    return i


def _indices(indices, op):
    a = indices.numpy() if isinstance(indices, Tensor) else np.asarray(indices)
    if a.ndim != 1:
        raise ValueError(f"[TensorArray.{op}] indices must be a vector, got shape {a.shape}")
    return [_index(int(i), op) for i in a]


class TensorArray:
    """tf.TensorArray(dtype, size, dynamic_size=False, clear_after_read=True,
    infer_shape=True, element_shape=None)."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        if handle is not None or flow is not None:
            raise NotImplementedError("[TensorArray] handle= / flow= belong to TensorFlow "
                                      "graphs; pyengine runs eagerly")
        if size is None:
            raise ValueError("[TensorArray] size is required (0 with dynamic_size=True to "
                             "grow from empty)")
        self._dtype = _dt.as_dtype(dtype)
        size = _index(size, "__init__")
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = bool(infer_shape)
        self._element_shape = None if element_shape is None else tuple(
            None if d is None else int(d) for d in element_shape)
        self._items = [None] * size
        self._read = set()

    @property
    def dtype(self):
        return self._dtype

    @property
    def element_shape(self):
        from .tensor_shape import TensorShape
        return TensorShape(self._element_shape)

    @property
    def dynamic_size(self):
        return self._dynamic_size

    def identity(self):
        return self

    def _value(self, value, op):
        from .tf_names import convert_to_tensor
        if isinstance(value, Tensor):
            t = value
        elif isinstance(value, np.ndarray) or np.ndim(value) and np.asarray(value).dtype.kind \
                not in "biuf":
            t = convert_to_tensor(value)
        else:  # Python numbers / lists take the array's dtype, as tf's preferred_dtype
            t = convert_to_tensor(value, dtype=self._dtype)
        if t.dtype != self._dtype:
            raise TypeError(f"[TensorArray.{op}] the array's dtype is {self._dtype.name} but "
                            f"the value's is {t.dtype.name}")
        shape = tuple(t.shape)
        if self._element_shape is not None:
            want = self._element_shape
            if len(want) != len(shape) or any(w is not None and w != s
                                               for w, s in zip(want, shape)):
                raise ValueError(f"[TensorArray.{op}] incompatible shape for value {shape}, "
                                 f"expected {want}")
        if self._infer_shape and (self._element_shape is None
                                  or None in self._element_shape):
            self._element_shape = shape
        return t

    def _write(self, index, value, op):
        index = _index(index, op)
        if index >= len(self._items):
            if not self._dynamic_size:
                raise IndexError(f"[TensorArray.{op}] tried to write to index {index} but the "
                                 f"array is not resizeable and its size is {len(self._items)}")
            self._items.extend([None] * (index - len(self._items) + 1))
        self._items[index] = self._value(value, op)
        self._read.discard(index)

    def write(self, index, value, name=None):
        self._write(index, value, "write")
        return self

    def _zero(self, i, op):
        if self._items[i] is None:
            if self._element_shape is None or None in self._element_shape:
                raise ValueError(f"[TensorArray.{op}] element {i} was never written and the "
                                 "element shape is unknown, so it cannot be read as zeros")
            import pyengine as pe
            self._items[i] = pe.zeros(self._element_shape, dtype=self._dtype)
        return self._items[i]

    def read(self, index, name=None):
        index = _index(index, "read")
        if index >= len(self._items):
            raise IndexError(f"[TensorArray.read] tried to read from index {index} but the "
                             f"array size is {len(self._items)}")
        if self._items[index] is None and index in self._read:
            raise ValueError(f"[TensorArray.read] could not read index {index} twice because "
                             "it was cleared after a previous read (clear_after_read=False "
                             "keeps it)")
        t = self._zero(index, "read")
        if self._clear_after_read:
            self._items[index] = None
            self._read.add(index)
        return t

    def stack(self, name=None):
        import pyengine as pe
        if not self._items:
            shape = (0,) + tuple(self._element_shape or ())
            if None in shape:
                raise ValueError("[TensorArray.stack] the array is empty and its element "
                                 "shape is unknown")
            return pe.zeros(shape, dtype=self._dtype)
        return pe.stack([self._zero(i, "stack") for i in range(len(self._items))], axis=0)

    def gather(self, indices, name=None):
        import pyengine as pe
        idx = _indices(indices, "gather")
        for i in idx:
            if i >= len(self._items):
                raise IndexError(f"[TensorArray.gather] index {i} is out of range for size "
                                 f"{len(self._items)}")
        return pe.stack([self._zero(i, "gather") for i in idx], axis=0)

    def concat(self, name=None):
        from .tf_names import concat
        items = [self._zero(i, "concat") for i in range(len(self._items))]
        for i, t in enumerate(items):
            if t.ndim == 0:
                raise ValueError(f"[TensorArray.concat] element {i} is a scalar; concat needs "
                                 "at least vectors")
        return concat(items, axis=0)

    def unstack(self, value, name=None):
        from .tf_names import convert_to_tensor
        t = value if isinstance(value, Tensor) else convert_to_tensor(value, dtype=self._dtype)
        if t.ndim == 0:
            raise ValueError("[TensorArray.unstack] needs a value of rank 1 or more")
        n = t.shape[0]
        if n > len(self._items) and not self._dynamic_size:
            raise ValueError(f"[TensorArray.unstack] cannot unstack {n} tensors into an array "
                             f"of static size {len(self._items)}")
        self._items = [None] * n
        for i in range(n):
            self._write(i, t[i], "unstack")
        return self

    def scatter(self, indices, value, name=None):
        from .tf_names import convert_to_tensor
        idx = _indices(indices, "scatter")
        t = value if isinstance(value, Tensor) else convert_to_tensor(value, dtype=self._dtype)
        if t.ndim == 0 or t.shape[0] != len(idx):
            raise ValueError(f"[TensorArray.scatter] {len(idx)} indices for a value of shape "
                             f"{tuple(t.shape)}")
        for k, i in enumerate(idx):
            self._write(i, t[k], "scatter")
        return self

    def split(self, value, lengths, name=None):
        from .tf_names import convert_to_tensor
        t = value if isinstance(value, Tensor) else convert_to_tensor(value, dtype=self._dtype)
        lens = [int(v) for v in (lengths.numpy() if isinstance(lengths, Tensor)
                                 else np.asarray(lengths)).reshape(-1)]
        if t.ndim == 0 or sum(lens) != t.shape[0] or any(v < 0 for v in lens):
            raise ValueError(f"[TensorArray.split] lengths {lens} do not split a value of "
                             f"shape {tuple(t.shape)} along its first dimension")
        if not self._dynamic_size and len(lens) != len(self._items):
            raise ValueError(f"[TensorArray.split] {len(lens)} lengths for an array of static "
                             f"size {len(self._items)}")
        saved, self._infer_shape = self._infer_shape, False  # pieces differ in length
        self._items, start = [None] * len(lens), 0
        for i, n in enumerate(lens):
            self._write(i, t[start:start + n], "split")
            start += n
        self._infer_shape = saved
        return self

    def size(self, name=None):
        from .tf_names import constant
        return constant(len(self._items), dtype=_dt.int32)

    def close(self, name=None):
        self._items = []
        self._read = set()

    def __repr__(self):
        return f"<TensorArray dtype={self._dtype.name} size={len(self._items)}>"
