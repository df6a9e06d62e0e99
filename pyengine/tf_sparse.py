"""tf.SparseTensor and tf.sparse.to_dense for `import pyengine as tf`: a sparse tensor is its
COO parts, `indices` (int64 (N, rank)), `values` ((N,)) and `dense_shape` (int64 (rank,));
to_dense scatters the values into a tensor of default_value (0 / ""). TF's text_generation
tutorial builds a -inf mask this way:

    mask = tf.sparse.to_dense(tf.SparseTensor(values=[-float('inf')], indices=[[1]],
                                              dense_shape=[vocab_size]))
"""
import numpy as np

from .tensor import Tensor


class SparseTensor:
    def __init__(self, indices, values, dense_shape):
        op = "SparseTensor"
        idx = np.asarray(getattr(indices, "_data", indices))
        vals = np.asarray(getattr(values, "_data", values))
        shape = np.asarray(getattr(dense_shape, "_data", dense_shape)).astype(np.int64).reshape(-1)
        if idx.size == 0:
            idx = idx.reshape(0, len(shape))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"[{op}] indices must be an integer (N, rank) array, got shape "
                             f"{idx.shape} dtype {idx.dtype}")
        if vals.ndim != 1 or len(vals) != len(idx):
            raise ValueError(f"[{op}] values must be 1-D with one value per index row: "
                             f"{len(idx)} indices, values of shape {vals.shape}")
        if idx.shape[1] != len(shape):
            raise ValueError(f"[{op}] indices have rank {idx.shape[1]} but dense_shape "
                             f"{tuple(shape)} has rank {len(shape)}")
        if len(idx) and ((idx < 0).any() or (idx >= shape).any()):
            raise ValueError(f"[{op}] an index lies outside dense_shape {tuple(shape)}")
        if vals.dtype == np.float64 and not isinstance(values, np.ndarray):
            vals = vals.astype(np.float32)  # Python floats: TensorFlow's float32
        if vals.dtype == np.int64 and not isinstance(values, np.ndarray) and (
                not len(vals) or np.abs(vals).max() < 2 ** 31):
            vals = vals.astype(np.int32)  # Python ints: int32
        self.indices = Tensor._wrap(idx.astype(np.int64))
        self.values = vals if vals.dtype.kind in "SUO" else Tensor._wrap(vals)
        self.dense_shape = Tensor._wrap(shape)

    @property
    def shape(self):
        return tuple(int(d) for d in self.dense_shape._data)

    @property
    def dtype(self):
        return getattr(self.values, "dtype", None)

    def __repr__(self):
        return (f"SparseTensor(indices={self.indices._data.tolist()}, values="
                f"{np.asarray(getattr(self.values, '_data', self.values)).tolist()}, "
                f"dense_shape={self.shape})")


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """tf.sparse.to_dense: a dense tensor of sp_input.dense_shape holding its values at its
    indices and default_value (0, or "" for strings) elsewhere. A repeated index raises when
    validate_indices."""
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"[sparse.to_dense] expects a SparseTensor, got "
                        f"{type(sp_input).__name__}")
    idx = sp_input.indices._data
    vals = np.asarray(getattr(sp_input.values, "_data", sp_input.values))
    if validate_indices and len(idx) and len(np.unique(idx, axis=0)) != len(idx):
        raise ValueError("[sparse.to_dense] sp_input has repeated indices")
    fill = ("" if vals.dtype.kind in "SUO" else 0) if default_value is None else default_value
    out = np.full(sp_input.shape, fill, dtype=vals.dtype if vals.dtype.kind not in "O"
                  else np.str_)
    if len(idx):
        out[tuple(idx.T)] = vals
    if out.dtype.kind in "SU":
        from .string_dtype import as_string_array
        return as_string_array(out)
    return Tensor._wrap(out)
