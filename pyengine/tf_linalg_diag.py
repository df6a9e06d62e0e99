"""tf.linalg.diag_part / set_diag / diag / trace / band_part / matvec on the last two axes of a
(batch of) matrices, main diagonal (keras-io Barlow Twins zeroes the diagonal of its
cross-correlation matrix with `tf.linalg.set_diag(c, tf.zeros(c.shape[-1]))` and reads it with
`diag_part`; TensorFlow's Transformer builds its look-ahead mask with
`1 - tf.linalg.band_part(tf.ones((n, n)), -1, 0)`). All are Tensor ops (diagonal / where /
products / matmul), so gradients flow."""
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


def _int_arg(op, name, v):
    a = np.asarray(getattr(v, "_data", v))
    if a.ndim != 0 or a.dtype.kind not in "iu":
        raise TypeError(f"[tf.linalg.{op}] {name} must be an integer (a Python int or a 0-d "
                        f"integer tensor). Received: {v!r}")
    return int(a)


@symbolic_aware
def band_part(input, num_lower, num_upper, name=None):
    """input with every entry outside the band zeroed, per (..., M, N) matrix: entry (i, j)
    stays where (num_lower < 0 or i - j <= num_lower) and (num_upper < 0 or j - i <=
    num_upper). band_part(x, -1, 0) is the lower triangle, (0, 0) the diagonal.

    >>> tf.linalg.band_part(pe.ones((3, 3)), -1, 0).tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
    """
    x = _t(input)
    _matrices("band_part", x)
    lo, up = _int_arg("band_part", "num_lower", num_lower), \
        _int_arg("band_part", "num_upper", num_upper)
    i = np.arange(x.shape[-2])[:, None]
    j = np.arange(x.shape[-1])[None, :]
    keep = ((lo < 0) | (i - j <= lo)) & ((up < 0) | (j - i <= up))
    return where(_t(keep), x, _t(np.zeros((), np.asarray(x._data).dtype)))


@symbolic_aware
def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """(..., N) -> (..., N, N): matrices with `diagonal` on their main diagonal, 0 elsewhere.

    >>> tf.linalg.diag(pe.tensor([1.0, 2.0])).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    _main_only("diag", k)
    d = _t(diagonal)
    n = d.shape[-1] if d.ndim else 0
    if d.ndim < 1 or num_rows not in (-1, n) or num_cols not in (-1, n) or padding_value != 0:
        raise NotImplementedError(f"[tf.linalg.diag] square matrices from a (..., N) diagonal "
                                  f"with zero padding only. Received: shape "
                                  f"{tuple(d.shape)}, num_rows={num_rows}, num_cols={num_cols}, "
                                  f"padding_value={padding_value}")
    from .torch_functions_extra import diag_embed
    return diag_embed(d)


@symbolic_aware
def trace(x, name=None):
    """(..., M, N) -> (...): the sum of each matrix's main diagonal.

    >>> float(tf.linalg.trace(pe.tensor([[1.0, 2.0], [3.0, 4.0]])))
    5.0
    """
    return diag_part(x).sum(axis=-1)


@symbolic_aware
def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """(..., M, N) x (..., N) -> (..., M): each matrix of `a` (transposed with transpose_a or
    adjoint_a, the same for real tensors) times the vector of `b`. The *_is_sparse flags are
    TensorFlow's algorithm hints; they do not change the result.

    >>> tf.linalg.matvec(pe.tensor([[1.0, 2.0], [3.0, 4.0]]), pe.tensor([1.0, 1.0])).tolist()
    [3.0, 7.0]
    """
    if transpose_a and adjoint_a:
        raise ValueError("[tf.linalg.matvec] give transpose_a or adjoint_a, not both")
    at, bt = _t(a), _t(b)
    _matrices("matvec", at)
    if transpose_a or adjoint_a:
        at = at.transpose(-1, -2)
    if bt.ndim < 1 or bt.shape[-1] != at.shape[-1]:
        raise ValueError(f"[tf.linalg.matvec] b's last dimension must be {at.shape[-1]} (a's "
                         f"columns). Received: a {tuple(at.shape)}, b {tuple(bt.shape)}")
    return (at @ bt.unsqueeze(-1)).squeeze(-1)
