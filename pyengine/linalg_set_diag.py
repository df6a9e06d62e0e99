"""tf.linalg.set_diag: the main diagonal of the last two axes replaced, differentiable in both
inputs (keras-io wgan-graphs clears self-loops with `set_diag(adjacency, zeros)`)."""
import numpy as np

from .tensor import Tensor


def set_diag(input, diagonal, name=None, k=0, align="RIGHT_LEFT"):
    """out[..., i, i] = diagonal[..., i] for i < min(M, N), every other entry of `input` kept.
    `diagonal` has shape input.shape[:-2] + (min(M, N),). Only k=0 (the main diagonal)."""
    from .tf_names import _t
    x, d = _t(input), _t(diagonal)
    if k != 0:
        raise NotImplementedError(f"[tf.linalg.set_diag] only the main diagonal (k=0) is "
                                  f"supported. Received: k={k!r}")
    if x.ndim < 2:
        raise ValueError(f"[tf.linalg.set_diag] input must be at least 2-D, got {tuple(x.shape)}")
    m, n = x.shape[-2:]
    want = tuple(x.shape[:-2]) + (min(m, n),)
    if tuple(d.shape) != want:
        raise ValueError(f"[tf.linalg.set_diag] diagonal must have shape {want} for input "
                         f"{tuple(x.shape)}, got {tuple(d.shape)}")
    eye = np.eye(m, n, dtype=x._data.dtype)
    place = np.zeros((min(m, n), m * n), x._data.dtype)  # diagonal entry i -> position (i, i)
    place[np.arange(min(m, n)), np.arange(min(m, n)) * (n + 1)] = 1
    placed = (d.astype(x.dtype) @ Tensor._wrap(place)).reshape(tuple(x.shape))
    return x * Tensor._wrap(1 - eye) + placed
