"""The XLA slicing operations TensorFlow programs import from
`tensorflow.compiler.tf2xla.python.xla` (keras-io Forward-Forward writes a one-hot label into
an image with `dynamic_update_slice`). XLA's rule: start indices are clamped so that the slice
lies inside the operand, operand and update share a dtype and a rank. Both are built from
slicing / padding Tensor ops, so gradients flow to operand and update."""
import numpy as np

from ....nn import functional as F
from ....ops.elementwise import where
from ....tf_names import _t


def _starts(op, start_indices, shape, sizes):
    starts = [int(np.asarray(getattr(s, "_data", s))) for s in
              np.asarray(getattr(start_indices, "_data", start_indices), dtype=object).reshape(-1)]
    if len(starts) != len(shape):
        raise ValueError(f"[xla.{op}] {len(starts)} start indices for an operand of rank "
                         f"{len(shape)} (shape {tuple(shape)})")
    # XLA clamps each start into [0, dim - size] instead of failing
    return [min(max(s, 0), n - k) for s, n, k in zip(starts, shape, sizes)]


def dynamic_slice(x, starts, size_indices, name=None):
    """x[starts[0]:starts[0] + size[0], ...] with the starts clamped to keep the slice inside.

    >>> xla.dynamic_slice(pe.arange(6.0), [4], [3]).tolist()
    [3.0, 4.0, 5.0]
    """
    op = "dynamic_slice"
    x = _t(x)
    sizes = [int(s) for s in np.asarray(getattr(size_indices, "_data", size_indices)).reshape(-1)]
    if len(sizes) != x.ndim or any(not 0 <= k <= n for k, n in zip(sizes, x.shape)):
        raise ValueError(f"[xla.{op}] slice sizes {sizes} do not fit operand shape "
                         f"{tuple(x.shape)}")
    lo = _starts(op, starts, x.shape, sizes)
    return x[tuple(slice(s, s + k) for s, k in zip(lo, sizes))]


def dynamic_update_slice(operand, update, indices, name=None):
    """operand with the block at `indices` (clamped so the update fits) replaced by update.

    >>> xla.dynamic_update_slice(pe.zeros(5), pe.ones(2), [1]).tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0]
    """
    op = "dynamic_update_slice"
    x, u = _t(operand), _t(update)
    if x.dtype != u.dtype:
        raise TypeError(f"[xla.{op}] operand and update must have the same dtype. Received: "
                        f"{x.dtype} and {u.dtype}")
    if u.ndim != x.ndim or any(k > n for k, n in zip(u.shape, x.shape)):
        raise ValueError(f"[xla.{op}] update of shape {tuple(u.shape)} does not fit operand of "
                         f"shape {tuple(x.shape)}")
    lo = _starts(op, indices, x.shape, u.shape)
    pads = []
    for s, k, n in reversed(list(zip(lo, u.shape, x.shape))):
        pads += [s, n - s - k]
    inside = np.zeros(tuple(x.shape), dtype=bool)
    inside[tuple(slice(s, s + k) for s, k in zip(lo, u.shape))] = True
    return where(_t(inside), F.pad(u, tuple(pads)), x)
