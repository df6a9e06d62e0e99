"""Element structures of pe.data pipelines: a leaf is a NumPy array, a structure is a tuple
or dict of structures (a list given to from_tensor_slices is data, one array, as in tf.data).
TensorSpec describes one leaf (shape with None for any size, dtype)."""
import numpy as np

from .. import dtypes as _dt
from .. import string_dtype as _sd
from ..tensor import Tensor


class TensorSpec:
    """tf.TensorSpec: ``TensorSpec(shape=(None, 28), dtype=pe.float32, name=None)``."""

    def __init__(self, shape, dtype=_dt.float32, name=None):
        self.shape = None if shape is None else tuple(None if d is None else int(d) for d in shape)
        self.dtype = _sd.string if _sd.is_string(dtype) else _dt.as_dtype(dtype)
        self.name = name

    def matches(self, array):
        if self.shape is None:
            return True
        return array.ndim == len(self.shape) and all(
            s is None or s == d for s, d in zip(self.shape, array.shape))

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and (self.shape, str(self.dtype)) == \
            (other.shape, str(other.dtype))

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype}, name={self.name!r})"


def to_array(x, op):
    """A leaf as a NumPy array (pe's default dtypes for Python data: float32, int64)."""
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, _sd.StringArray):
        return x.view(np.ndarray)  # text handed to user code comes back as the plain array
    arr = np.asarray(x)
    if arr.dtype == object and arr.size and all(isinstance(v, str) for v in arr.flat):
        arr = arr.astype(np.str_)  # text from tf.strings.* (object arrays of str)
    if isinstance(x, np.ndarray):
        return arr
    if arr.dtype == object:
        raise TypeError(f"[{op}] can't make an array from {type(x).__name__} (ragged or "
                        f"non-numeric data)")
    if arr.dtype == np.float64 and not isinstance(x, np.generic):
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iu" and arr.dtype != np.uint8 and not isinstance(x, np.generic):
        arr = arr.astype(np.int64)
    return arr


def normalize(x, op):
    """A structure with every leaf made an array (tuples and dicts kept, lists are data)."""
    if isinstance(x, dict):
        return {k: normalize(v, op) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(normalize(v, op) for v in x)
    return to_array(x, op)


def map_leaves(fn, x):
    if isinstance(x, dict):
        return {k: map_leaves(fn, v) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(map_leaves(fn, v) for v in x)
    return fn(x)


def leaves(x):
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in leaves(v)]
    if isinstance(x, tuple):
        return [leaf for v in x for leaf in leaves(v)]
    return [x]


def zip_leaves(fn, elements, op):
    """fn(list of corresponding leaves) over elements of one structure; mismatches raise."""
    first = elements[0]
    if isinstance(first, dict):
        for e in elements:
            if not isinstance(e, dict) or e.keys() != first.keys():
                raise ValueError(f"[{op}] elements have different structures: {_desc(first)} "
                                 f"vs {_desc(e)}")
        return {k: zip_leaves(fn, [e[k] for e in elements], op) for k in first}
    if isinstance(first, tuple):
        for e in elements:
            if not isinstance(e, tuple) or len(e) != len(first):
                raise ValueError(f"[{op}] elements have different structures: {_desc(first)} "
                                 f"vs {_desc(e)}")
        return tuple(zip_leaves(fn, [e[i] for e in elements], op) for i in range(len(first)))
    for e in elements:
        if isinstance(e, (tuple, dict)):
            raise ValueError(f"[{op}] elements have different structures: {_desc(first)} vs "
                             f"{_desc(e)}")
    return fn(elements)


def _desc(x):
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_desc(v)}" for k, v in x.items()) + "}"
    if isinstance(x, tuple):
        return "(" + ", ".join(_desc(v) for v in x) + ")"
    return f"array{tuple(x.shape)}"


def stack(arrays, op):
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"[{op}] can't batch elements of different shapes "
                         f"{sorted(shapes, key=str)}; use padded_batch or make them equal")
    return np.stack(arrays)


def spec_of(x):
    return map_leaves(lambda a: TensorSpec(a.shape, _dt.from_numpy_dtype(a.dtype)
                                           if a.dtype.kind not in "SUO" else _sd.string), x)


def to_tensors(x):
    """For user functions and plain iteration: numeric leaves as pe Tensors (sharing memory),
    text as StringArray views (dtype pe.string, as tf.string)."""
    return map_leaves(lambda a: Tensor._wrap(a) if a.dtype.kind in "biuf" else
                      _sd.as_string_array(a) if a.dtype.kind in "SU" else a, x)
