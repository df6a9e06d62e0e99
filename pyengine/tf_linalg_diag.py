"""tf.linalg.diag_part / set_diag on the last two axes of a (batch of) matrices, main diagonal
(keras-io Barlow Twins zeroes the diagonal of its cross-correlation matrix with
`tf.linalg.set_diag(c, tf.zeros(c.shape[-1]))` and reads it with `diag_part`). Both are
Tensor ops (diagonal / where), so gradients flow to the input and to the new diagonal."""
import numpy as np

from .ops.elementwise import where
from .tf_names import _t, symbolic_aware


def _main_only(op, k):
    if k != 0:
        raise NotImplementedError(f"[tf.linalg.{op}] only the main diagonal (k=0) is "
                                  f"supported. Received: k={k!r}")


def _matrices(op, x):
    if x.ndim < 2:
        raise ValueError(f"[tf.linalg.{op}] input must be at least 2-D. Received: shape "
                         f"{tuple(x.shape)}")


@symbolic_aware
def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):
    """(..., M, N) -> (..., min(M, N)): the main diagonal of each matrix.

    >>> tf.linalg.diag_part(pe.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [1.0, 4.0]
    """
    _main_only("diag_part", k)
    x = _t(input)
    _matrices("diag_part", x)
    return x.diagonal(0, -2, -1)


@symbolic_aware
def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):
    """input with the main diagonal of each (..., M, N) matrix replaced by `diagonal`
    (..., min(M, N)).

    >>> tf.linalg.set_diag(pe.ones((2, 2)), pe.zeros(2)).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    _main_only("set_diag", k)
    x, d = _t(input), _t(diagonal)
    _matrices("set_diag", x)
    m, n = x.shape[-2], x.shape[-1]
    if tuple(d.shape) != tuple(x.shape[:-2]) + (min(m, n),):
        raise ValueError(f"[tf.linalg.set_diag] diagonal must have shape "
                         f"{tuple(x.shape[:-2]) + (min(m, n),)} for input {tuple(x.shape)}. "
                         f"Received: {tuple(d.shape)}")
    from .torch_functions_extra import diag_embed
    from .nn import functional as F
    full = diag_embed(d.astype(x.dtype) if d.dtype != x.dtype else d)
    full = F.pad(full, (0, n - min(m, n), 0, m - min(m, n)))
    return where(_t(np.eye(m, n, dtype=bool)), full, x)
