"""tf.SparseTensor, tf.sparse.from_dense / to_dense and tf.edit_distance, for `import pyengine
as tf` programs that score sequence predictions (keras-io's OCR examples: labels and CTC-decoded
predictions go through tf.sparse.from_dense, then tf.edit_distance). TensorFlow's layout:
`indices` (N, rank) int64 in row-major order, `values` (N,), `dense_shape` (rank,) int64.
Values may be numbers or text. These are containers and metrics, not differentiable ops.
(torch's sparse COO tensors are pe.sparse_coo_tensor / pe.sparse, a different layout.)

    >>> sp = tf.sparse.from_dense(tf.constant([[1, 0, 2], [0, 0, 3]]))
    >>> sp.indices.numpy().tolist(), sp.values.numpy().tolist()
    ([[0, 0], [0, 2], [1, 2]], [1, 2, 3])
"""
import numpy as np

from . import dtypes as _dt
from .string_dtype import as_string_array
from .tensor import Tensor


def _array(x):
    return np.asarray(getattr(x, "_data", x))


def _out(a):
    return as_string_array(a) if a.dtype.kind in "SU" else Tensor._wrap(np.ascontiguousarray(a))


class SparseTensor:
    """tf.SparseTensor(indices, values, dense_shape)."""

    def __init__(self, indices, values, dense_shape):
        idx = _array(indices).astype(np.int64)
        vals, shape = _array(values), _array(dense_shape).astype(np.int64)
        if not isinstance(values, (np.ndarray, np.generic, Tensor)):
            # Python numbers as tf.constant makes them: ints int32 (when they fit), floats float32
            if vals.dtype == np.int64 and (not vals.size or np.abs(vals).max() < 2 ** 31):
                vals = vals.astype(np.int32)
            elif vals.dtype == np.float64:
                vals = vals.astype(np.float32)
        if idx.ndim != 2 or vals.ndim != 1 or shape.ndim != 1 or idx.shape != (len(vals),
                                                                              len(shape)):
            raise ValueError(f"[SparseTensor] indices must be (N, rank), values (N,) and "
                             f"dense_shape (rank,); got {idx.shape}, {vals.shape}, "
                             f"{shape.shape}")
        if len(idx) and ((idx < 0).any() or (idx >= shape).any()):
            raise ValueError(f"[SparseTensor] an index is outside dense_shape "
                             f"{shape.tolist()}")
        self._indices, self._values, self._shape = idx, vals, shape
        # values in a recorded graph (a tf.Variable): to_dense passes their gradient on
        self._graph_values = values if isinstance(values, Tensor) and values.requires_grad \
            else None

    indices = property(lambda self: Tensor._wrap(self._indices))
    values = property(lambda self: _out(self._values))
    dense_shape = property(lambda self: Tensor._wrap(self._shape))
    shape = property(lambda self: tuple(int(d) for d in self._shape))

    @property
    def dtype(self):
        return _out(self._values[:0]).dtype

    def with_values(self, new_values):
        """The same indices and shape with other values (tf.SparseTensor.with_values)."""
        return SparseTensor(self._indices, new_values, self._shape)

    def __repr__(self):
        return (f"SparseTensor(indices={self._indices.tolist()}, values={self._values.tolist()}, "
                f"dense_shape={self._shape.tolist()})")


def from_dense(tensor, name=None):
    """The entries of `tensor` that are not zero (not the empty string, for text), row-major."""
    a = _array(tensor)
    keep = a != ("" if a.dtype.kind == "U" else b"" if a.dtype.kind == "S" else 0)
    idx = np.argwhere(keep).astype(np.int64).reshape(-1, a.ndim)
    return SparseTensor(idx, a[keep], np.array(a.shape, np.int64))


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor of dense_shape: the values at their indices, default_value (0, or the
    empty string for text) elsewhere. validate_indices refuses repeated indices."""
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"[sparse.to_dense] expects a SparseTensor, got "
                        f"{type(sp_input).__name__}")
    vals = sp_input._values
    fill = default_value if default_value is not None else ("" if vals.dtype.kind in "SU"
                                                            else 0)
    out = np.full(tuple(sp_input._shape), fill, dtype=vals.dtype)
    if validate_indices and len(np.unique(sp_input._indices, axis=0)) != len(vals):
        raise ValueError("[sparse.to_dense] indices repeat")
    if sp_input._graph_values is not None:  # a recorded write: differentiable in the values
        dense = Tensor._wrap(out)
        dense[tuple(Tensor._wrap(i) for i in sp_input._indices.T)] = sp_input._graph_values
        return dense
    out[tuple(sp_input._indices.T)] = vals
    return _out(out)


def cast(sp_input, dtype):
    """tf.cast of a SparseTensor: its values cast, indices and shape kept."""
    return sp_input.with_values(_array(sp_input.values).astype(_dt.as_dtype(dtype).np))


def _levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _sequences(sp):
    """{index prefix: values in the order of the last index} of a SparseTensor."""
    order = np.lexsort(sp._indices.T[::-1])
    out = {}
    for k in order:
        out.setdefault(tuple(sp._indices[k, :-1].tolist()), []).append(sp._values[k].item())
    return out


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """Levenshtein distance between the sequences of two SparseTensors of rank R (the last
    dimension runs along each sequence): a float32 tensor of rank R - 1, its shape the larger
    of the two leading shapes. With normalize, each distance is divided by the truth's length;
    a missing truth gives inf (0 when the hypothesis is missing too), a missing hypothesis 1."""
    for what, sp in (("hypothesis", hypothesis), ("truth", truth)):
        if not isinstance(sp, SparseTensor):
            raise TypeError(f"[edit_distance] {what} must be a SparseTensor, got "
                            f"{type(sp).__name__}")
    if len(hypothesis._shape) != len(truth._shape):
        raise ValueError(f"[edit_distance] hypothesis and truth must have the same rank; got "
                         f"{len(hypothesis._shape)} and {len(truth._shape)}")
    shape = tuple(np.maximum(hypothesis._shape[:-1], truth._shape[:-1]).tolist())
    out = np.zeros(shape, np.float32)
    hyp, tru = _sequences(hypothesis), _sequences(truth)
    for loc in set(hyp) | set(tru):
        h, t = hyp.get(loc, []), tru.get(loc, [])
        d = float(_levenshtein(h, t))
        if normalize:
            d = d / len(t) if t else (np.inf if h else 0.0)
        out[loc] = d
    return Tensor._wrap(out)
