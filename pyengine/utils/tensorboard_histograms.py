"""Histogram summaries in TensorBoard event files, written without TensorFlow or protobuf:
`tf.summary.histogram`, torch's `SummaryWriter.add_histogram`, and Keras' `TensorBoard(
histogram_freq=N)` weight histograms all go through `histogram_value`.

Each is a `Summary.Value` (tag: field 1) holding a `HistogramProto` (field 5; summary.proto):
min (1), max (2), num (3), sum (4), sum_squares (5) as doubles, then bucket_limit (6) and bucket
(7) as packed doubles: bucket i counts the values in (bucket_limit[i-1], bucket_limit[i]], the
first bucket's left edge being min. TensorBoard's histogram and distribution dashboards read
this legacy form (the data_compat layer converts it). Buckets are NumPy's (`np.histogram` with
`bins`: an int gives equal-width buckets over [min, max], as tf.summary.histogram's default of
30; a NumPy rule name or an edge array as torch's `bins`), or torch's default
bins="tensorflow": TensorFlow's exponential bucket edges (1e-12 growing by 10 %, mirrored at
0). Empty buckets at both ends are dropped, as torch and TensorFlow do."""
import struct

import numpy as np

from .tensorboard_events import _field, _parse


def _values(data, op):
    if hasattr(data, "detach") and hasattr(data, "numpy"):  # a Tensor (maybe in a graph)
        data = data.detach().numpy()
    elif hasattr(data, "numpy") and not isinstance(data, np.ndarray):  # a Keras Variable
        data = data.numpy()
    try:
        arr = np.asarray(data, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"[{op}] values must be numbers, an array or a tensor, got "
                        f"{type(data).__name__}") from None
    if arr.size == 0:
        raise ValueError(f"[{op}] the values are empty: a histogram needs at least one value")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"[{op}] the values hold NaN or infinity")
    return arr


_TF_EDGES = None


def tensorflow_bucket_edges():
    """TensorFlow's default histogram bucket edges (histogram.cc): -DBL_MAX, the negated
    positive edges, 0, the positive edges 1e-12 * 1.1**k below 1e20, DBL_MAX."""
    global _TF_EDGES
    if _TF_EDGES is None:
        pos, v = [], 1e-12
        while v < 1e20:
            pos.append(v)
            v *= 1.1
        pos.append(np.finfo(np.float64).max)
        _TF_EDGES = np.array([-x for x in reversed(pos)] + [0.0] + pos)
    return _TF_EDGES


def histogram_value(tag, data, bins=30, op="summary.histogram", max_bins=None):
    """One serialized Summary.Value holding the histogram of `data` under `tag`."""
    arr = _values(data, op)
    if isinstance(bins, str) and bins == "tensorflow":
        edges = tensorflow_bucket_edges()
    elif isinstance(bins, bool) or (isinstance(bins, (int, np.integer)) and bins < 1):
        raise ValueError(f"[{op}] bins must be a positive int, a NumPy bin rule name, "
                         f"'tensorflow' or an array of edges. Received: {bins!r}")
    else:
        edges = bins
    lo, hi = float(arr.min()), float(arr.max())
    if isinstance(edges, (int, np.integer)) and lo == hi:
        lo, hi = lo - 0.5, hi + 0.5  # one distinct value: buckets of width 1 / bins around it
    try:
        if isinstance(edges, (int, np.integer)):
            counts, limits = np.histogram(arr, bins=int(edges), range=(lo, hi))
        else:
            counts, limits = np.histogram(arr, bins=edges)
    except (TypeError, ValueError) as e:
        raise ValueError(f"[{op}] bins={bins!r}: {e}") from None
    if max_bins is not None and len(counts) > max_bins:
        raise NotImplementedError(f"[{op}] max_bins={max_bins!r} (re-bucketing to fewer bins) "
                                  "is not supported")
    nonzero = np.nonzero(counts)[0]
    if nonzero.size:  # drop the empty buckets at both ends
        counts = counts[nonzero[0]:nonzero[-1] + 1]
        limits = limits[nonzero[0]:nonzero[-1] + 2]
    histo = b"".join([
        _field(1, 1, struct.pack("<d", float(arr.min()))),
        _field(2, 1, struct.pack("<d", float(arr.max()))),
        _field(3, 1, struct.pack("<d", float(arr.size))),
        _field(4, 1, struct.pack("<d", float(arr.sum()))),
        _field(5, 1, struct.pack("<d", float(np.dot(arr, arr)))),
        _field(6, 2, np.asarray(limits[1:], "<f8").tobytes()),
        _field(7, 2, np.asarray(counts, "<f8").tobytes()),
    ])
    return _field(1, 2, str(tag).encode()) + _field(5, 2, histo)


def read_histograms(path):
    """[(step, tag, {min, max, num, sum, sum_squares, bucket_limit, bucket})] of an event file
    (for tests and for reading logs back without TensorBoard)."""
    from .tensorboard_events import summary_values
    out = []
    for step, v in summary_values(path):
        if 5 not in v:
            continue
        h = _parse(v[5][0])
        d = {k: struct.unpack("<d", h[n][0])[0] if n in h else 0.0
             for n, k in enumerate(("min", "max", "num", "sum", "sum_squares"), 1)}
        d["bucket_limit"] = np.frombuffer(h.get(6, [b""])[0], "<f8").copy()
        d["bucket"] = np.frombuffer(h.get(7, [b""])[0], "<f8").copy()
        out.append((step, v[1][0].decode(), d))
    return out
