"""tf.slice, tf.gather_nd, tf.scatter_nd and tf.tensor_scatter_nd_update / add for `import
pyengine as tf`. tf.slice takes `size` elements from `begin` in each dimension (-1: to the
end). For the nd ops, `indices` (..., depth) address the leading `depth` dimensions of the tensor (after
batch_dims in gather_nd); an index out of range raises InvalidArgumentError, as TensorFlow on
the CPU. Gathers are Tensor indexing and scatters Tensor.index_add over the flattened leading
dimensions, so gradients flow to params / updates / tensor."""
import builtins

import numpy as np

from .creation import zeros
from .tensor import Tensor
from .tf_debugging import invalid
from .tf_names import _t, symbolic_aware


def int_ids(op, values, what="indices"):
    """values as an int64 array: integer input, or finite whole-number floats (a Keras layer's
    call receives NumPy ids as float32: keras/layers/base.py to_tensor); other floats (0.5,
    inf, NaN) are refused, as TensorFlow refuses float indices."""
    a = np.asarray(getattr(values, "_data", values))
    if a.dtype.kind == "f" and np.isfinite(a).all() and np.array_equal(np.floor(a), a):
        return a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"[{op}] {what} must be int32 or int64, got {a.dtype}")
    return a.astype(np.int64)


def _indices(op, indices):
    idx = int_ids(op, indices)
    if idx.ndim == 0:
        raise ValueError(f"[{op}] indices must be at least 1-D, got a scalar")
    return idx


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


@symbolic_aware
def slice(input_, begin, size, name=None):  # noqa: A001  (tf.slice)
    """input_[begin[0]:begin[0] + size[0], ...]; a size of -1 takes the rest of that
    dimension. begin / size are ints, lists or 1-D tensors with one entry per dimension.

    >>> tf.slice(pe.arange(12).reshape(3, 4), [1, 1], [2, -1]).tolist()
    [[5, 6, 7], [9, 10, 11]]
    """
    op = "slice"
    x = _t(input_)
    lo = [int(v) for v in np.asarray(getattr(begin, "_data", begin)).reshape(-1)]
    n = [int(v) for v in np.asarray(getattr(size, "_data", size)).reshape(-1)]
    if len(lo) != x.ndim or len(n) != x.ndim:
        raise invalid(op, f"begin {lo} and size {n} must have one entry per dimension of the "
                          f"input, shape {tuple(x.shape)}")
    key = []
    for b, k, d in zip(lo, n, x.shape):
        k = d - b if k == -1 else k
        if b < 0 or k < 0 or b + k > d:
            raise invalid(op, f"begin {lo} + size {n} do not fit the input shape "
                              f"{tuple(x.shape)}")
        key.append(builtins.slice(b, b + k))
    return x[tuple(key)]
def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """tf.gather: slices of params along `axis` picked by indices, sharing the first
    `batch_dims` dimensions; out shape params.shape[:axis] + indices.shape[batch_dims:] +
    params.shape[axis + 1:]. axis defaults to batch_dims; an index out of [0, n) raises
    InvalidArgumentError (TensorFlow on the CPU). validate_indices is deprecated in TensorFlow
    and ignored there too: indices are always validated. Differentiable in params."""
    op = "tf.gather"
    x = _t(params)
    idx = int_ids(op, indices)
    b = int(batch_dims) + (idx.ndim if int(batch_dims) < 0 else 0)
    a = b if axis is None else int(getattr(axis, "_data", axis))
    a += x.ndim if a < 0 else 0
    if not 0 <= b <= min(idx.ndim, x.ndim - 1) or not b <= a < x.ndim:
        raise ValueError(f"[{op}] need 0 <= batch_dims ({batch_dims}) <= axis ({axis}) < "
                         f"params rank {x.ndim} and batch_dims <= indices rank {idx.ndim}")
    if tuple(idx.shape[:b]) != tuple(x.shape[:b]):
        raise ValueError(f"[{op}] the first batch_dims={b} dimensions of params "
                         f"{tuple(x.shape)} and indices {idx.shape} must match")
    n = x.shape[a]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].reshape(-1)[0]
        raise invalid(op, f"indices[...] = {int(bad)} is not in [0, {n}) (axis {a} of params "
                      f"{tuple(x.shape)})")
    if b == 0:
        return x[(builtins.slice(None),) * a + (Tensor._wrap(idx) if idx.ndim else int(idx),)]
    order = list(range(b)) + [a] + [d for d in range(b, x.ndim) if d != a]
    xt = x.permute(*order) if a != b else x  # the gathered axis right after the batch axes
    grids = [np.broadcast_to(np.arange(n).reshape((1,) * i + (n,) + (1,) * (idx.ndim - i - 1)),
                             idx.shape) for i, n in enumerate(idx.shape[:b])]
    out = xt[tuple(Tensor._wrap(k) for k in grids + [idx])]  # B + I + M + R
    k, m = idx.ndim - b, a - b
    if not m:
        return out
    back = list(range(b)) + list(range(b + k, b + k + m)) + list(range(b, b + k)) + \
        list(range(b + k + m, out.ndim))
    return out.permute(*back)  # B + M + I + R, TensorFlow's order


_TORCH_GATHER_KW, _TF_GATHER_KW = {"dim", "index", "sparse_grad"}, \
    {"indices", "validate_indices", "axis", "batch_dims", "name"}


def torch_or_tf_gather(input, *args, **kwargs):
    """pe.gather in both spellings: torch.gather(input, dim, index) when called with a dim and
    an index (by position or dim= / index=), tf.gather(params, indices, validate_indices=None,
    axis=None, batch_dims=0) when called with one positional after params, with TensorFlow's
    keywords, or with a None / bool third (validate_indices)."""
    if not args and not kwargs.keys() & {"dim", "index", "indices"}:
        raise TypeError("[gather] missing the indices (tf.gather(params, indices)) or the dim "
                        "and index (torch.gather(input, dim, index))")
    torch_kw, tf_kw = kwargs.keys() & _TORCH_GATHER_KW, kwargs.keys() & _TF_GATHER_KW
    if torch_kw and tf_kw:
        raise TypeError(f"[gather] torch.gather's {sorted(torch_kw)} mixed with tf.gather's "
                        f"{sorted(tf_kw)}")
    unknown = kwargs.keys() - _TORCH_GATHER_KW - _TF_GATHER_KW
    if unknown:
        raise TypeError(f"[gather] unexpected keyword arguments {sorted(unknown)}")
    torch_positional = len(args) >= 2 and not (args[1] is None or isinstance(args[1], bool))
    if tf_kw and torch_positional:  # gather(x, dim, index, axis=...): torch's form + tf's keyword
        raise TypeError(f"[gather] torch.gather's (dim, index) mixed with tf.gather's "
                        f"{sorted(tf_kw)}")
    tf_form = bool(tf_kw) or (not torch_kw and (len(args) == 1 or (len(args) >= 2 and
                                                                  not torch_positional)))
    if tf_form:
        return gather(input, *args, **kwargs)
    if kwargs.pop("sparse_grad", False):
        raise NotImplementedError("[gather] sparse_grad=True: pyengine has no sparse gradients")
    x = input if isinstance(input, Tensor) else _t(input)
    return x.gather(*args, **kwargs)
