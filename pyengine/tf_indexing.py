"""tf.gather_nd, tf.scatter_nd and tf.tensor_scatter_nd_update / add for `import pyengine as
tf`: `indices` (..., depth) address the leading `depth` dimensions of the tensor (after
batch_dims in gather_nd); an index out of range raises InvalidArgumentError, as TensorFlow on
the CPU. Gathers are Tensor indexing and scatters Tensor.index_add over the flattened leading
dimensions, so gradients flow to params / updates / tensor."""
import numpy as np

from .creation import zeros
from .tensor import Tensor
from .tf_debugging import invalid
from .tf_names import _t, symbolic_aware


def _indices(op, indices):
    idx = np.asarray(getattr(indices, "_data", indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"[{op}] indices must be int32 or int64, got {idx.dtype}")
    if idx.ndim == 0:
        raise ValueError(f"[{op}] indices must be at least 1-D, got a scalar")
    return idx.astype(np.int64)


def int_ids(op, values, what="indices"):
    """values as an int64 array: integer input, or whole-number floats (a Keras layer's call
    receives NumPy ids as float32: keras/layers/base.py to_tensor); other floats are refused,
    as TensorFlow refuses float indices."""
    a = np.asarray(getattr(values, "_data", values))
    if a.dtype.kind == "f" and np.array_equal(np.floor(a), a):
        return a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"[{op}] {what} must be int32 or int64, got {a.dtype}")
    return a.astype(np.int64)


def _check_range(op, idx, dims):
    for j, n in enumerate(dims):
        col = idx[..., j]
        if col.size and (col.min() < 0 or col.max() >= n):
            bad = col[(col < 0) | (col >= n)].reshape(-1)[0]
            raise invalid(op, f"index {int(bad)} in column {j} of indices does not index a "
                          f"dimension of size {n}")


@symbolic_aware
def gather_nd(params, indices, batch_dims=0, name=None):
    """tf.gather_nd: out[i...] = params[b..., *indices[b..., i..., :]] with the first
    `batch_dims` dimensions shared by params and indices; out shape indices.shape[:-1] +
    params.shape[batch_dims + depth:]."""
    op = "tf.gather_nd"
    x, idx, b = _t(params), _indices(op, indices), int(batch_dims)
    depth = idx.shape[-1]
    if not 0 <= b < idx.ndim or b > x.ndim:
        raise ValueError(f"[{op}] batch_dims={b} must be in [0, {min(idx.ndim - 1, x.ndim)}]")
    if tuple(idx.shape[:b]) != tuple(x.shape[:b]):
        raise ValueError(f"[{op}] the first batch_dims={b} dimensions of params "
                         f"{tuple(x.shape)} and indices {idx.shape} must match")
    if depth > x.ndim - b:
        raise ValueError(f"[{op}] index depth {depth} exceeds the {x.ndim - b} dimensions of "
                         f"params after batch_dims")
    _check_range(op, idx, x.shape[b:b + depth])
    lead = idx.shape[:-1]
    grids = [np.arange(n).reshape((1,) * i + (n,) + (1,) * (len(lead) - i - 1))
             for i, n in enumerate(lead[:b])]
    key = [np.broadcast_to(g, lead) for g in grids] + [idx[..., j] for j in range(depth)]
    if not key:  # depth 0, no batch dims: each index picks the whole params
        return x.unsqueeze(0).expand(*((int(np.prod(lead)),) + tuple(x.shape))).reshape(
            tuple(lead) + tuple(x.shape))
    return x[tuple(Tensor._wrap(k) for k in key)]


def _flat_rows(op, idx, shape, updates):
    """The row of the (prod(shape[:depth]), rest) view each index addresses, and updates as
    (n, rest) rows, after TensorFlow's shape checks."""
    depth = idx.shape[-1]
    if depth > len(shape):
        raise ValueError(f"[{op}] index depth {depth} exceeds the rank of shape {shape}")
    want = tuple(idx.shape[:-1]) + tuple(shape[depth:])
    if tuple(updates.shape) != want:
        raise ValueError(f"[{op}] updates must have shape {want} (indices.shape[:-1] + "
                         f"shape[{depth}:]), got {tuple(updates.shape)}")
    _check_range(op, idx, shape[:depth])
    rows = np.ravel_multi_index(tuple(idx.reshape(-1, depth).T), shape[:depth]) if depth \
        else np.zeros(int(np.prod(idx.shape[:-1])), np.int64)
    rest = tuple(shape[depth:])
    return rows.astype(np.int64), updates.reshape((-1,) + rest), int(np.prod(shape[:depth])), rest


def _scatter_rows(base, rows, upd, shape):
    if not base.shape[0]:
        return base.reshape(tuple(shape))
    return base.index_add(0, Tensor._wrap(rows), upd).reshape(tuple(shape))


@symbolic_aware
def scatter_nd(indices, updates, shape, name=None):
    """tf.scatter_nd: zeros of `shape` with updates[i...] added at indices[i...] (duplicates
    sum); differentiable in updates."""
    op = "tf.scatter_nd"
    idx, upd = _indices(op, indices), _t(updates)
    shape = tuple(int(s) for s in np.asarray(getattr(shape, "_data", shape)).reshape(-1))
    rows, u, n, rest = _flat_rows(op, idx, shape, upd)
    return _scatter_rows(zeros((n,) + rest, dtype=upd.dtype), rows, u, shape)


@symbolic_aware
def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """tf.tensor_scatter_nd_add: `tensor` with updates added at indices (duplicates sum);
    differentiable in tensor and updates."""
    op = "tf.tensor_scatter_nd_add"
    x, idx = _t(tensor), _indices(op, indices)
    rows, u, n, rest = _flat_rows(op, idx, tuple(x.shape), _t(updates).astype(x.dtype))
    return _scatter_rows(x.reshape((n,) + rest), rows, u, x.shape)


@symbolic_aware
def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """tf.tensor_scatter_nd_update: `tensor` with the entries at indices replaced by updates
    (of a repeated index the last update is kept); the gradient reaches the updates and the
    entries of tensor that were kept."""
    op = "tf.tensor_scatter_nd_update"
    x, idx = _t(tensor), _indices(op, indices)
    rows, u, n, rest = _flat_rows(op, idx, tuple(x.shape), _t(updates).astype(x.dtype))
    last = len(rows) - 1 - np.unique(rows[::-1], return_index=True)[1]  # last of each index
    keep = np.ones((n,) + (1,) * len(rest), x._data.dtype)
    keep[rows] = 0
    base = x.reshape((n,) + rest) * Tensor._wrap(keep)
    return _scatter_rows(base, rows[last], u[Tensor._wrap(last.astype(np.int64))], x.shape)


def _tf_gather(params, indices, axis=None, batch_dims=0):
    """tf.gather: out = params[b..., (slices up to axis), indices[b..., i...], ...], the first
    batch_dims dimensions shared by params and indices; out shape params.shape[:axis] +
    indices.shape[batch_dims:] + params.shape[axis + 1:]."""
    op = "tf.gather"
    x, idx = _t(params), int_ids(op, indices)
    b = int(batch_dims)
    b = b + idx.ndim if b < 0 else b
    ax = b if axis is None else int(np.asarray(getattr(axis, "_data", axis)))
    ax = ax + x.ndim if ax < 0 else ax
    if not 0 <= b <= min(idx.ndim, ax) or not ax < x.ndim:
        raise ValueError(f"[{op}] need 0 <= batch_dims ({batch_dims}) <= axis ({axis}) < "
                         f"rank of params ({x.ndim}) and batch_dims <= rank of indices "
                         f"({idx.ndim})")
    if tuple(idx.shape[:b]) != tuple(x.shape[:b]):
        raise ValueError(f"[{op}] the first batch_dims={b} dimensions of params "
                         f"{tuple(x.shape)} and indices {idx.shape} must match")
    _check_range(op, idx.reshape(idx.shape + (1,)), (x.shape[ax],))
    if b == 0:
        return x[(slice(None),) * ax + (Tensor._wrap(idx),)]
    # batch dims: one gather per batch element, stacked back (each keeps its own gradient path)
    lead = tuple(x.shape[:b])
    xs = x.reshape((-1,) + tuple(x.shape[b:]))
    flat = idx.reshape((-1,) + idx.shape[b:])
    key = (slice(None),) * (ax - b)
    rows = [xs[i][key + (Tensor._wrap(flat[i]),)] for i in range(flat.shape[0])]
    from .ops.shape import stack
    out = stack(rows, 0)
    return out.reshape(lead + tuple(out.shape[1:]))


@symbolic_aware
def gather(input, dim=None, index=None, *, sparse_grad=False, out=None, indices=None,
           axis=None, batch_dims=0, validate_indices=None, params=None, name=None):
    """pe.gather in both its spellings: torch.gather(input, dim, index) (values along dim at
    index, index the same rank as input) and tf.gather(params, indices, axis=None,
    batch_dims=0) (whole slices at the indices). A call with an `index` (third positional or
    index=) is PyTorch's; one with two positional arguments, or naming indices= / axis= /
    batch_dims= / params=, TensorFlow's."""
    if params is not None:
        if input is not None:
            raise TypeError("[gather] params given twice (params= and by position)")
        input = params
    if index is None and not sparse_grad and out is None:
        if dim is not None and indices is not None:
            raise TypeError("[tf.gather] indices given twice (indices= and by position)")
        tf_indices = indices if indices is not None else dim
        if tf_indices is None:
            raise TypeError("[gather] missing the indices (tf.gather(params, indices)) or "
                            "dim and index (torch.gather(input, dim, index))")
        return _tf_gather(input, tf_indices, axis, batch_dims)
    if indices is not None or axis is not None or batch_dims:
        raise TypeError("[gather] torch.gather(input, dim, index) takes no indices= / axis= / "
                        "batch_dims= (TensorFlow's tf.gather(params, indices, axis=))")
    if out is not None:
        raise NotImplementedError("[gather] out= is not supported; use the returned tensor")
    # sparse_grad only picks PyTorch's gradient storage; the values and gradient are the same
    return _t(input).gather(dim, index)
