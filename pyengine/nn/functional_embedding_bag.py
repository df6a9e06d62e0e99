"""F.embedding_bag: sums, means or maxima of bags of embedding rows, without the (bags, length,
dim) intermediate. Composed of differentiable pe ops, so autograd supplies the gradients:

    sum / mean: out = zeros(B, D).index_add(0, bag_of_entry, weight[idx] * per_sample_weights)
                (mean divides by the bag's entry count)
    max:        out[b, d] = weight[idx[argmax over the bag], d], the argmax found in NumPy and
                picked by indexing, so the gradient reaches the first maximal entry only, as
                PyTorch's does.

Entries equal to padding_idx are left out of their bag (and of a mean's count); an empty bag
gives a zero row. Imported at the end of nn/functional.py (`F.embedding_bag`); nn.EmbeddingBag
(nn/layers/embedding_bag.py) calls it."""
import numpy as _np

from ..tensor import Tensor

__all__ = ["embedding_bag"]

_MODES = ("sum", "mean", "max")


def _int_array(x, op, name):
    a = x._data if isinstance(x, Tensor) else _np.asarray(x)
    if a.dtype.kind not in "iu" and not (a.size == 0 and a.dtype.kind == "f"):
        raise TypeError(f"[{op}] {name} must hold integers, got dtype {a.dtype}")
    return a.astype(_np.int64, copy=False)


def _bags(input, offsets, include_last_offset, op):
    """(flat indices, bag id of each entry, number of bags, entry shape) for the 2-D form
    (B, N) or the 1-D form with offsets."""
    idx = _int_array(input, op, "input")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"[{op}] a 2-D input holds one bag per row, so offsets must be "
                             f"None; got offsets of shape {tuple(_np.shape(offsets))}")
        b, n = idx.shape
        return idx.reshape(-1), _np.repeat(_np.arange(b), n), b
    if idx.ndim != 1:
        raise ValueError(f"[{op}] input must be 1-D (with offsets) or 2-D (bags, length), got "
                         f"shape {idx.shape}")
    if offsets is None:
        raise ValueError(f"[{op}] a 1-D input needs offsets (the start of each bag)")
    off = _int_array(offsets, op, "offsets")
    if off.ndim != 1:
        raise ValueError(f"[{op}] offsets must be 1-D, got shape {off.shape}")
    if include_last_offset and off.size == 0:
        raise ValueError(f"[{op}] include_last_offset=True needs at least one offset")
    if off.size:
        if off[0] != 0:
            raise ValueError(f"[{op}] offsets[0] must be 0 (the first bag starts at the first "
                             f"index), got {off[0]}")
        if (_np.diff(off) < 0).any():
            raise ValueError(f"[{op}] offsets must be non-decreasing, got {off.tolist()}")
        if off[-1] > idx.size:
            raise ValueError(f"[{op}] offsets[-1] = {off[-1]} is past the end of the input "
                             f"({idx.size} indices)")
    if include_last_offset and off[-1] != idx.size:
        # PyTorch's CSR form; torch's kernels disagree on what a shorter last offset means
        raise ValueError(f"[{op}] with include_last_offset=True the last offset must equal the "
                         f"number of indices ({idx.size}), got {off[-1]}")
    nbags = off.size - 1 if include_last_offset else off.size
    bag = _np.searchsorted(off[:nbags], _np.arange(idx.size), side="right") - 1
    return idx, bag, nbags


def _zeros(shape, like):
    return Tensor._wrap(_np.zeros(shape, like._data.dtype))


def _max_rows(weight, idx, bag, nbags):
    """out[b, d] = weight[idx[k], d] for the first entry k of bag b maximal at d; empty bags 0."""
    dim = weight.shape[1]
    counts = _np.bincount(bag, minlength=nbags)
    length = int(counts.max()) if counts.size else 0
    if length == 0:
        return weight[:0].sum(0, keepdims=True) * _zeros((nbags, dim), weight)
    starts = _np.concatenate([[0], _np.cumsum(counts)[:-1]])
    slot = _np.arange(idx.size) - starts[bag]           # position of each entry in its bag
    table = _np.full((nbags, length), -1, _np.int64)     # entry number, -1 where a bag is short
    table[bag, slot] = _np.arange(idx.size)
    values = _np.full((nbags, length, dim), -_np.inf)
    values[bag, slot] = weight._data[idx]
    arg = values.argmax(1)                               # (nbags, dim): first maximal slot
    entry = _np.take_along_axis(table, arg, 1)           # -1 only in empty bags
    rows = idx[_np.maximum(entry, 0)] if idx.size else _np.zeros_like(entry)
    cols = _np.broadcast_to(_np.arange(dim), rows.shape)
    picked = weight[Tensor._wrap(rows), Tensor._wrap(_np.ascontiguousarray(cols))]
    empty = Tensor._wrap((counts == 0)[:, None])
    return picked.masked_fill(empty, 0.0) if (counts == 0).any() else picked


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Reduces bags of rows of `weight` (num_embeddings, D) to one row per bag: (B, D).

    input (B, N): B bags of N indices; or input (M,) with `offsets` (B,) giving each bag's start
    (with include_last_offset=True, offsets has B + 1 entries and the last ends the last bag).
    mode 'sum' | 'mean' | 'max'; per_sample_weights (input's shape) scales each row, 'sum' only.
    Entries equal to padding_idx are left out; an empty bag gives zeros.

    >>> w = pe.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    >>> F.embedding_bag(pe.tensor([0, 1, 2]), w, pe.tensor([0, 2]), mode="sum")
    tensor([[1., 2.],
            [3., 3.]])
    """
    op = "embedding_bag"
    if max_norm is not None:
        raise NotImplementedError(f"[{op}] max_norm is not supported (nor by F.embedding)")
    if scale_grad_by_freq:
        raise NotImplementedError(f"[{op}] scale_grad_by_freq=True is not supported")
    if sparse:
        raise NotImplementedError(f"[{op}] sparse=True is not supported (gradients are dense)")
    if mode not in _MODES:
        raise ValueError(f"[{op}] mode must be one of {_MODES}, got mode={mode!r}")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"[{op}] weight must be a 2-D pe.Tensor (num_embeddings, dim), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    n = weight.shape[0]
    idx, bag, nbags = _bags(input, offsets, include_last_offset, op)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"[{op}] index out of range: indices span [{idx.min()}, {idx.max()}] "
                         f"but weight has {n} rows")
    entries = _np.arange(idx.size)  # the entries (flat input positions) that fill the bags
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"[{op}] padding_idx must be within num_embeddings ({n}), got "
                             f"padding_idx={padding_idx}")
        entries = _np.flatnonzero(idx != padding_idx % n)
        idx, bag = idx[entries], bag[entries]
    psw = None if per_sample_weights is None else \
        _sample_weights(per_sample_weights, input, mode, op)
    if mode == "max":
        return _max_rows(weight, idx, bag, nbags)
    rows = weight[Tensor._wrap(idx)]
    if psw is not None:
        rows = rows * psw[Tensor._wrap(entries)]
    out = _zeros((nbags, weight.shape[1]), weight).index_add(0, Tensor._wrap(bag), rows)
    if mode == "mean":
        counts = _np.maximum(_np.bincount(bag, minlength=nbags), 1)
        out = out / Tensor._wrap(counts[:, None].astype(weight._data.dtype))
    return out


def _sample_weights(per_sample_weights, input, mode, op):
    """per_sample_weights as a column (entries, 1), checked against mode and input's shape."""
    if mode != "sum":
        raise ValueError(f"[{op}] per_sample_weights is only supported for mode='sum', got "
                         f"mode={mode!r}")
    if not isinstance(per_sample_weights, Tensor):
        raise TypeError(f"[{op}] per_sample_weights must be a pe.Tensor, got "
                        f"{type(per_sample_weights).__name__}")
    shape = tuple(_np.shape(input._data if isinstance(input, Tensor) else input))
    if tuple(per_sample_weights.shape) != shape:
        raise ValueError(f"[{op}] per_sample_weights must have input's shape {shape}, got "
                         f"{tuple(per_sample_weights.shape)}")
    return per_sample_weights.reshape(-1, 1)
