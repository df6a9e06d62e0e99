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


def tf_gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """tf.gather: slices of params along `axis` at `indices` (any shape, a scalar too), out shape
    params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis + 1:], the first
    `batch_dims` dimensions shared by params and indices. An index out of range raises
    InvalidArgumentError (TensorFlow on the CPU). Tensor indexing: the gradient flows to params.

    >>> tf.gather(tf.constant([10., 20., 30.]), [2, 0])    # [30., 10.]
    """
    op = "tf.gather"
    x = _t(params)
    idx = np.asarray(getattr(indices, "_data", indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"[{op}] indices must be int32 or int64, got {idx.dtype}")
    idx = idx.astype(np.int64)
    b = int(batch_dims)
    if b < 0:
        b += idx.ndim
    a = b if axis is None else int(getattr(axis, "_data", axis))
    if a < 0:
        a += x.ndim
    if not 0 <= b <= idx.ndim or not b <= a < x.ndim:
        raise ValueError(f"[{op}] need 0 <= batch_dims <= axis < params.ndim and batch_dims <= "
                         f"indices.ndim; got batch_dims={batch_dims}, axis={axis} for params "
                         f"{tuple(x.shape)} and indices {idx.shape}")
    if tuple(idx.shape[:b]) != tuple(x.shape[:b]):
        raise ValueError(f"[{op}] the first batch_dims={b} dimensions of params "
                         f"{tuple(x.shape)} and indices {idx.shape} must match")
    _check_range(op, idx[..., None], (x.shape[a],))
    if a > b:  # bring the gathered axis next to the batch dims
        x = x.permute(*range(b), a, *range(b, a), *range(a + 1, x.ndim))
    lead = idx.shape
    grids = [np.broadcast_to(np.arange(n).reshape((1,) * i + (n,) + (1,) * (len(lead) - i - 1)),
                             lead) for i, n in enumerate(lead[:b])]
    out = x[tuple(Tensor._wrap(k) for k in grids + [idx])]  # B..., I..., params[b:a], rest
    if a > b:
        ni, nm = idx.ndim - b, a - b
        out = out.permute(*range(b), *range(b + ni, b + ni + nm), *range(b, b + ni),
                          *range(b + ni + nm, out.ndim))
    return out


@symbolic_aware
def torch_or_tf_gather(input, *args, index=None, dim=None, sparse_grad=False, indices=None,
                       validate_indices=None, axis=None, batch_dims=0, name=None):
    """pe.gather in both spellings: torch.gather(input, dim, index) with three positional
    arguments or `dim=` / `index=`; otherwise tf.gather(params, indices, axis=None,
    batch_dims=0) (`indices=` / `axis=` / `batch_dims=`, or just (params, indices), which
    torch.gather refuses)."""
    torch_form = index is not None or dim is not None or len(args) == 2
    if torch_form:
        if indices is not None or axis is not None or batch_dims:
            raise TypeError("[gather] torch.gather's dim / index mixed with TensorFlow's "
                            "indices / axis / batch_dims")
        if sparse_grad:
            raise NotImplementedError("[gather] sparse_grad=True is not supported (dense "
                                      "gradients only)")
        given = dict(zip(("dim", "index"), args))
        for key, v in (("dim", dim), ("index", index)):
            if v is not None:
                if key in given:
                    raise TypeError(f"[gather] {key} given twice")
                given[key] = v
        if set(given) != {"dim", "index"}:
            raise TypeError("[gather] torch.gather(input, dim, index) needs dim and index")
        return _t(input).gather(given["dim"], given["index"])
    if len(args) > 1:
        raise TypeError(f"[gather] tf.gather takes params and indices by position, got "
                        f"{len(args) + 1} positional arguments")
    if args:
        if indices is not None:
            raise TypeError("[gather] indices given twice")
        indices = args[0]
    if indices is None:
        raise TypeError("[gather] missing indices (tf.gather(params, indices)) or dim and "
                        "index (torch.gather(input, dim, index))")
    return tf_gather(input, indices, validate_indices, axis, batch_dims, name)
