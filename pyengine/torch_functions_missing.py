"""torch.tensordot and torch.histc (docs/tensor.md)."""
import numbers

import numpy as np

from .tensor import Tensor


def _dims_pair(dims, a, b):
    if isinstance(dims, Tensor):
        dims = dims._data.tolist()
    if isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        n = int(dims)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise RuntimeError(f"[tensordot] dims={n} must be between 0 and the smaller rank "
                               f"({a.ndim}, {b.ndim})")
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    if isinstance(dims, (list, tuple)) and len(dims) == 2:
        da, db = ([d] if isinstance(d, numbers.Integral) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError(f"[tensordot] both dimension lists must have the same length, got "
                               f"{da} and {db}")
        return _checked_dims(da, a, "a"), _checked_dims(db, b, "b")
    raise TypeError(f"[tensordot] dims must be an int or a pair of lists of dims, got {dims!r}")


def _checked_dims(ds, t, name):
    """Dims of t, each in range (negatives from the end) and named once."""
    out = []
    for d in ds:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or not -t.ndim <= d < t.ndim:
            raise RuntimeError(f"[tensordot] dim {d!r} of {name} is out of range for its "
                               f"{t.ndim} dimensions")
        out.append(int(d) % t.ndim)
    if len(set(out)) != len(out):
        raise RuntimeError(f"[tensordot] {name}'s dims {list(ds)} name a dimension twice")
    return out


def tensordot(a, b, dims=None, out=None, *, axes=None, name=None):
    """Contract a's dims_a with b's dims_b: dims=n pairs a's last n with b's first n; dims=([..],
    [..]) names them. The result has a's free dims then b's, by permute, reshape and matmul.
    TensorFlow's spelling tf.tensordot(a, b, axes) is the same (axes= a keyword alias of dims;
    name= its op label); the default is 2 as in torch.

    >>> pe.tensordot(pe.ones(3, 4, 5), pe.ones(4, 5, 2)).shape
    (3, 2)
    """
    if out is not None:
        raise NotImplementedError("[tensordot] out= is not supported; use the returned tensor")
    if axes is not None and dims is not None:
        raise TypeError("[tensordot] dims and axes given together (axes is TensorFlow's name)")
    dims = 2 if dims is None and axes is None else (axes if dims is None else dims)
    a = a if isinstance(a, Tensor) else Tensor._from_data(a)
    b = b if isinstance(b, Tensor) else Tensor._from_data(b)
    da, db = _dims_pair(dims, a, b)
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"[tensordot] contracted dimensions differ: a dim {i} has size "
                               f"{a.shape[i]}, b dim {j} has size {b.shape[j]} (a {tuple(a.shape)},"
                               f" b {tuple(b.shape)})")
    free_a = [i for i in range(a.ndim) if i not in da]
    free_b = [j for j in range(b.ndim) if j not in db]
    k = int(np.prod([a.shape[i] for i in da], dtype=np.int64))
    out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b)
    am = a.permute(*(free_a + da)).reshape(-1, k)
    bm = b.permute(*(db + free_b)).reshape(k, -1)
    return (am @ bm).reshape(out_shape)


def histc(input, bins=100, min=0, max=0, out=None):  # noqa: A002  (torch's argument names)
    """Counts of input's values in `bins` equal bins over [min, max] (min == max: the data's own
    range); values outside are ignored. Not differentiable, as torch; input's float dtype.

    >>> pe.histc(pe.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
    tensor([0., 2., 1., 0.])
    """
    if out is not None:
        raise NotImplementedError("[histc] out= is not supported; use the returned tensor")
    x = input._data if isinstance(input, Tensor) else np.asarray(input)
    if x.dtype.kind != "f":
        raise TypeError(f"[histc] input must be a floating tensor, got {x.dtype}")
    if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins <= 0:
        raise ValueError(f"[histc] bins must be a positive int, got {bins!r}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise ValueError(f"[histc] max must be larger than min, got min={min}, max={max}")
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"[histc] range of [{lo}, {hi}] is not finite")
    v = x[(x >= lo) & (x <= hi)].astype(np.float64)
    idx = np.minimum(((v - lo) * bins / (hi - lo)).astype(np.int64), bins - 1)
    return Tensor._wrap(np.bincount(idx, minlength=bins).astype(x.dtype))
