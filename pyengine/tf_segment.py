"""tf.math.segment_* and tf.math.unsorted_segment_* for `import pyengine as tf` (graph
networks aggregate neighbour messages with them): `segment_ids` has the shape of a prefix of
`data`'s; out[s] reduces the slices data[i] with segment_ids[i] == s, out shape
(num_segments,) + data.shape[segment_ids.ndim:]. The unsorted forms take num_segments, drop
rows with a negative id and give an empty segment 0 (sum, mean, sqrt_n), 1 (prod) or the
dtype's lowest / highest value (max / min); the sorted forms need non-decreasing,
non-negative ids, have ids[-1] + 1 segments and give an empty segment 0 (1 for prod).
An id out of range raises InvalidArgumentError, as TensorFlow on the CPU. Differentiable
(ops/segment.py); max / min split the gradient evenly between tied rows, as TensorFlow."""
import numpy as np

from .ops.segment import SegmentReduce
from .tensor import Tensor
from .tf_debugging import invalid
from .tf_indexing import int_ids
from .tf_names import _t, symbolic_aware

__all__ = ["unsorted_segment_sum", "unsorted_segment_prod", "unsorted_segment_max",
           "unsorted_segment_min", "unsorted_segment_mean", "unsorted_segment_sqrt_n",
           "segment_sum", "segment_prod", "segment_max", "segment_min", "segment_mean"]


def _prepare(op, data, segment_ids):
    """data as (rows, *rest) and the ids flattened to one per row."""
    x, ids = _t(data), int_ids(op, segment_ids, "segment_ids")
    if ids.ndim == 0 or tuple(x.shape[:ids.ndim]) != ids.shape:
        raise ValueError(f"[{op}] segment_ids of shape {ids.shape} must have the shape of a "
                         f"prefix of data's {tuple(x.shape)}")
    rest = tuple(x.shape[ids.ndim:])
    return x.reshape((ids.size,) + rest), ids.reshape(-1)


def _num_segments(op, num_segments):
    n = np.asarray(getattr(num_segments, "_data", num_segments))
    if n.ndim != 0 or n.dtype.kind not in "iu" or int(n) < 0:
        raise ValueError(f"[{op}] num_segments must be a non-negative integer scalar, got "
                         f"{num_segments!r}")
    return int(n)


def _reduce(op, kind, x, ids, num_segments, empty):
    if ids.size and ids.max() >= num_segments:
        raise invalid(op, f"segment id {int(ids.max())} is out of range [0, {num_segments})")
    return SegmentReduce.apply(x, ids=ids, num_segments=num_segments, kind=kind, empty=empty)


def _counts(ids, num_segments, like):
    """Rows per segment (at least 1: an empty segment's mean is 0), shaped to broadcast
    against a (num_segments, *rest) result."""
    c = np.maximum(np.bincount(ids[ids >= 0], minlength=num_segments), 1)
    return Tensor._wrap(c.astype(like._data.dtype).reshape((num_segments,) + (1,) * (like.ndim - 1)))


def _unsorted(kind, empty=None):
    op = f"tf.math.unsorted_segment_{kind}"

    def fn(data, segment_ids, num_segments, name=None):
        x, ids = _prepare(op, data, segment_ids)
        n = _num_segments(op, num_segments)
        if kind in ("mean", "sqrt_n"):
            total = _reduce(op, "sum", x, ids, n, 0)
            c = _counts(ids, n, total)
            return total / (c if kind == "mean" else c.sqrt())
        return _reduce(op, kind, x, ids, n, empty)
    fn.__name__ = fn.__qualname__ = f"unsorted_segment_{kind}"
    fn.__doc__ = f"{op}(data, segment_ids, num_segments): see the module docstring."
    return symbolic_aware(fn)


def _sorted(kind):
    op = f"tf.math.segment_{kind}"

    def fn(data, segment_ids, name=None):
        x, ids = _prepare(op, data, segment_ids)
        if ids.size and (ids[0] < 0 or (np.diff(ids) < 0).any()):
            raise invalid(op, "segment_ids must be sorted in non-decreasing order and "
                              "non-negative")
        n = int(ids[-1]) + 1 if ids.size else 0
        if kind == "mean":
            total = _reduce(op, "sum", x, ids, n, 0)
            return total / _counts(ids, n, total)
        return _reduce(op, kind, x, ids, n, 1 if kind == "prod" else 0)
    fn.__name__ = fn.__qualname__ = f"segment_{kind}"
    fn.__doc__ = f"{op}(data, segment_ids): see the module docstring."
    return symbolic_aware(fn)


unsorted_segment_sum = _unsorted("sum", 0)
unsorted_segment_prod = _unsorted("prod", 1)
unsorted_segment_max = _unsorted("max", "lowest")
unsorted_segment_min = _unsorted("min", "highest")
unsorted_segment_mean = _unsorted("mean")
unsorted_segment_sqrt_n = _unsorted("sqrt_n")
segment_sum, segment_prod, segment_max, segment_min, segment_mean = (
    _sorted(k) for k in ("sum", "prod", "max", "min", "mean"))
