"""tf.sparse.SparseTensor for `import pyengine as tf` programs: a (indices, values, dense_shape)
triple as TensorFlow stores sparse data (TensorFlow's tensor guide builds one and converts it
with tf.sparse.to_dense). indices are int64 (N, rank), values (N,), dense_shape int64 (rank,).
`to_dense` scatters the values (duplicate indices raise, as TensorFlow's validate_indices does);
`from_dense` keeps the non-zero entries in row-major order. The arithmetic of pe.sparse's COO
tensors (torch.sparse.mm) is separate: tf.sparse's other ops are not provided."""
import numpy as np

from .tensor import Tensor
from .tf_names import _t, constant


class SparseTensor:
    def __init__(self, indices, values, dense_shape):
        idx = np.asarray(getattr(indices, "_data", indices), dtype=np.int64)
        vals = values if isinstance(values, Tensor) else constant(values)
        shape = np.asarray(getattr(dense_shape, "_data", dense_shape), dtype=np.int64)
        if shape.ndim != 1:
            raise ValueError(f"[SparseTensor] dense_shape must be 1-D, got shape {shape.shape}")
        if idx.size == 0:
            idx = idx.reshape(0, shape.size)
        if idx.ndim != 2 or idx.shape[1] != shape.size:
            raise ValueError(f"[SparseTensor] indices must have shape (N, {shape.size}) for "
                             f"dense_shape {shape.tolist()}, got {idx.shape}")
        if vals.ndim != 1 or vals.shape[0] != idx.shape[0]:
            raise ValueError(f"[SparseTensor] values must have shape ({idx.shape[0]},), one per "
                             f"index, got {tuple(vals.shape)}")
        if idx.size and ((idx < 0).any() or (idx >= shape).any()):
            raise ValueError(f"[SparseTensor] an index is outside dense_shape {shape.tolist()}")
        self.indices = Tensor._wrap(idx)
        self.values = vals
        self.dense_shape = Tensor._wrap(shape)

    @property
    def shape(self):
        return tuple(int(d) for d in self.dense_shape._data)

    @property
    def dtype(self):
        return self.values.dtype

    def __repr__(self):
        return (f"SparseTensor(indices={self.indices}, values={self.values}, "
                f"dense_shape={self.dense_shape})")


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """tf.sparse.to_dense: a dense tensor of dense_shape, default_value (0) where no index is."""
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"[sparse.to_dense] expects a SparseTensor, got {type(sp_input).__name__}")
    idx = sp_input.indices._data
    if validate_indices and len(np.unique(idx, axis=0)) != len(idx):
        raise ValueError("[sparse.to_dense] indices repeat an entry")
    vals = sp_input.values
    out = Tensor._wrap(np.full(sp_input.shape, 0 if default_value is None else default_value,
                               dtype=vals._data.dtype))
    out[tuple(Tensor._wrap(i) for i in idx.T)] = vals  # differentiable in the values
    return out


def from_dense(tensor, name=None):
    """tf.sparse.from_dense: the non-zero entries of a dense tensor, row-major."""
    a = _t(tensor)._data
    idx = np.argwhere(a != 0)
    return SparseTensor(idx, Tensor._wrap(a[tuple(idx.T)].copy()), a.shape)
