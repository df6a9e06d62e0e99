"""pe.norm in both spellings: torch.norm(input, p='fro', dim=None, keepdim=False) (the tensor
method) and tf.norm(tensor, ord='euclidean', axis=None, keepdims=None) -- a call naming ord= /
axis= / keepdims= (or ord 'euclidean') is TensorFlow's. TensorFlow's: axis None or an int is a
vector norm (None: over all entries), ord 'euclidean' / 2, 1, inf or any p > 0; a 2-tuple axis
is a matrix norm, ord 'euclidean' / 'fro', 1, 2 or inf. The math is pe.linalg's vector_norm /
matrix_norm (differentiable)."""
import numpy as np

from .tf_names import _t, symbolic_aware


def _tf_norm(x, ord, axis, keepdims):
    from .linalg import matrix_norm, vector_norm
    keep = bool(keepdims)
    if isinstance(axis, (list, tuple)) and len(axis) == 2:
        if ord not in ("euclidean", "fro", 1, 2, np.inf):
            raise ValueError(f"[tf.norm] a matrix norm's ord must be 'euclidean', 'fro', 1, 2 or "
                             f"inf. Received: ord={ord!r}")
        return matrix_norm(x, "fro" if ord == "euclidean" else ord, tuple(axis), keep)
    if isinstance(axis, (list, tuple)) or ord == "fro":
        raise ValueError(f"[tf.norm] axis must be None or an int for a vector norm, a pair of "
                         f"ints for a matrix norm ('fro'). Received: axis={axis}, ord={ord!r}")
    if ord != "euclidean" and not (isinstance(ord, (int, float, np.integer, np.floating))
                                   and not isinstance(ord, bool) and ord > 0):
        raise ValueError(f"[tf.norm] ord must be 'euclidean', 'fro', inf or a number > 0. "
                         f"Received: ord={ord!r}")
    p = 2 if ord == "euclidean" else ord
    if axis is None:  # over every entry; TensorFlow's keepdims keeps each reduced axis
        out = vector_norm(x.reshape(-1), p, 0, False)
        return out.reshape((1,) * x.ndim) if keep else out
    return vector_norm(x, p, int(axis), keep)


@symbolic_aware
def norm(input=None, p="fro", dim=None, keepdim=False, out=None, dtype=None, *, tensor=None,
         ord=None, axis=None, keepdims=None, name=None):
    """See the module docstring."""
    x = _t(tensor if tensor is not None else input)
    if ord is not None or axis is not None or keepdims is not None or p == "euclidean":
        if dim is not None or keepdim:
            raise TypeError("[norm] give torch's p / dim / keepdim or TensorFlow's ord / axis / "
                            "keepdims, not both")
        return _tf_norm(x, ord if ord is not None else "euclidean", axis, keepdims)
    if out is not None or dtype is not None:
        raise NotImplementedError("[norm] out= and dtype= are not supported")
    return x.norm(p, dim, keepdim)
