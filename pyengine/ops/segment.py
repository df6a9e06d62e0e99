"""Segment reductions (TensorFlow's tf.math.segment_* / unsorted_segment_*): rows of `data`
(n, *rest) reduced into `num_segments` rows by an id per row; a negative id drops its row.
Forward and backward side by side:
    sum:  out[s] = sum_{ids[i]=s} x[i]                 dx[i] = g[ids[i]]
    max / min: out[s] = max / min of the rows of s      dx[i] = g[ids[i]] / ties[ids[i]] where
          x[i] equals out[ids[i]] (the gradient split evenly between ties, as TensorFlow), else 0
    prod: out[s] = prod of the rows of s                dx[i] = g[ids[i]] * prod of the others
An empty segment gives `empty`: a number, or "lowest" / "highest" (the dtype's extreme value,
TensorFlow's unsorted max / min)."""
import numpy as np

from ..autograd import Function

_UFUNC = {"sum": np.add, "max": np.maximum, "min": np.minimum, "prod": np.multiply}


def _scatter(kind, x, ids, num_segments, init):
    """Rows of x reduced per id into (num_segments, *rest), `init` where no row lands. Sorted
    by id, each segment is one ufunc.reduceat run (ufunc.at is an order of magnitude slower on
    the (edges, features) messages of a graph network)."""
    out = np.full((num_segments,) + x.shape[1:], init, dtype=x.dtype)
    keep = ids >= 0
    if not keep.all():
        x, ids = x[keep], ids[keep]
    if ids.size:
        order = np.argsort(ids, kind="stable")
        present, starts = np.unique(ids[order], return_index=True)
        out[present] = _UFUNC[kind].reduceat(x[order], starts, axis=0)
    return out


def _rows(values, ids):
    """values[ids[i]] per row, zero where the id is negative (a dropped row)."""
    out = values[np.maximum(ids, 0)]
    out[ids < 0] = 0
    return out


class SegmentReduce(Function):
    """out = reduce over the rows of x sharing an id, one of sum / max / min / prod."""

    @staticmethod
    def forward(ctx, x, ids=None, num_segments=0, kind="sum", empty=0):
        init = {"sum": 0, "prod": 1}.get(kind)
        if init is None:  # max / min: start from the identity, then mark empty segments
            info = np.finfo(x.dtype) if x.dtype.kind == "f" else np.iinfo(x.dtype)
            init = info.min if kind == "max" else info.max
        out = _scatter(kind, x, ids, num_segments, init)
        counts = np.bincount(ids[ids >= 0], minlength=num_segments)
        empty_rows = counts == 0
        if empty_rows.any() and empty not in ("lowest", "highest"):  # those are `init` already
            out[empty_rows] = empty
        ctx.kind, ctx.ids, ctx.num_segments = kind, ids, num_segments
        if kind in ("max", "min", "prod"):
            ctx.x, ctx.out = x, out
        return out

    @staticmethod
    def backward(ctx, g):
        kind, ids, x = ctx.kind, ctx.ids, getattr(ctx, "x", None)
        if kind == "sum":
            return (_rows(g, ids),)
        if kind in ("max", "min"):
            chosen = (x == _rows(ctx.out, ids)) & (ids >= 0).reshape((-1,) + (1,) * (x.ndim - 1))
            ties = _scatter("sum", chosen.astype(g.dtype), ids, ctx.num_segments, 0)
            return (np.where(chosen, _rows(g / np.maximum(ties, 1), ids), 0).astype(g.dtype),)
        # prod: the product of the other rows, exact with zeros (no division by a zero entry)
        zero = x == 0
        zeros = _scatter("sum", zero.astype(np.int64), ids, ctx.num_segments, 0)
        nonzero_prod = _scatter("prod", np.where(zero, 1, x), ids, ctx.num_segments, 1)
        n_zero = _rows(zeros, ids)
        others = np.where(n_zero == 0, _rows(ctx.out, ids) / np.where(zero, 1, x),
                          np.where((n_zero == 1) & zero, _rows(nonzero_prod, ids), 0))
        return ((_rows(g, ids) * others).astype(g.dtype),)
