"""tf.norm (TensorFlow's vector and matrix norms) and pe.norm, which answers both spellings:
torch.norm(input, p='fro', dim=None, keepdim=False) and tf.norm(tensor, ord='euclidean',
axis=None, keepdims=None) (keras-io Forward-Forward normalises rows with
`tf.norm(x, ord=2, axis=1, keepdims=True)`). Built from differentiable reductions."""
import numpy as np

from .tf_names import _t, symbolic_aware

_MATRIX = ("euclidean", "fro", 1, 2, np.inf)


def _is_p(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _vector(x, ord, axis, keep):
    a = x.abs()
    if ord in ("euclidean", 2):
        return (x * x).sum(axis, keep).sqrt()
    if ord == 1:
        return a.sum(axis, keep)
    if ord == np.inf:
        return a.max(axis=axis, keepdims=keep)
    return (a ** float(ord)).sum(axis, keep) ** (1.0 / float(ord))


def tf_norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """TensorFlow's norm. axis None: the whole tensor as one vector; an int: vector norms
    along it; a pair: matrix norms over those two axes. Vector ord: 'euclidean' (= 2), 1,
    np.inf or any p > 0 ((sum |x|^p)^(1/p)); matrix ord: 'euclidean' / 'fro' (sqrt of the sum
    of squares), 1 (largest column sum of |x|), np.inf (largest row sum). keepdims keeps the
    reduced axes as 1.

    >>> tf.norm(pe.tensor([[3.0, 4.0], [6.0, 8.0]]), ord=2, axis=1).tolist()
    [5.0, 10.0]
    """
    op = "tf.norm"
    x = _t(tensor)
    keep = bool(keepdims)
    if isinstance(axis, (list, tuple)) and len(axis) == 2:
        if not (ord in ("euclidean", "fro") if isinstance(ord, str)
                else _is_p(ord) and ord in (1, 2, np.inf)):
            raise ValueError(f"[{op}] 'ord' must be a supported matrix norm in {list(_MATRIX)}"
                             f", got {ord!r}")
        rows, cols = (int(a) % x.ndim for a in axis)
        if rows == cols:
            raise ValueError(f"[{op}] the two axes of a matrix norm must differ, got {axis}")
        if ord in ("euclidean", "fro"):
            return (x * x).sum((rows, cols), keep).sqrt()
        if ord == 2:  # the largest singular value (pe.linalg's, differentiable)
            from .linalg import matrix_norm
            return matrix_norm(x, 2, dim=(rows, cols), keepdim=keep)
        over, then = (rows, cols) if ord == 1 else (cols, rows)
        sums = x.abs().sum(over, True)
        out = sums.max(axis=then, keepdims=True)
        return out if keep else out.squeeze((rows, cols))
    if axis is not None and not isinstance(axis, (int, np.integer)) and not (
            isinstance(axis, (list, tuple)) and len(axis) == 1):
        raise ValueError(f"[{op}] axis must be None, an int or a pair of ints, got {axis!r}")
    if isinstance(axis, (list, tuple)):
        axis = axis[0]
    if isinstance(ord, str) and ord != "euclidean" or not isinstance(ord, str) and (
            not _is_p(ord) or ord <= 0):
        raise ValueError(f"[{op}] 'ord' must be a supported vector norm ('euclidean', 1, 2, "
                         f"np.inf or any p > 0), got {ord!r}")
    if axis is None:
        out = _vector(x.reshape(-1), ord, None, False)
        return out.reshape((1,) * x.ndim) if keep else out
    return _vector(x, ord, int(axis), keep)


@symbolic_aware
def torch_or_tf_norm(input, *args, ord=None, axis=None, keepdims=None, name=None,
                     **torch_kwargs):
    """pe.norm in both spellings: TensorFlow's when called with ord= / axis= / keepdims= /
    name= or ord='euclidean'; otherwise torch.norm(input, p='fro', dim=None, keepdim=False).
    Positional (p / ord, dim / axis, keepdim / keepdims) mean the same in both for vector
    norms."""
    tf_form = any(v is not None for v in (ord, axis, keepdims, name)) or (
        args and isinstance(args[0], str) and args[0] == "euclidean")
    if not tf_form:
        return _t(input).norm(*args, **torch_kwargs)
    if torch_kwargs:
        raise TypeError(f"[norm] torch.norm's {sorted(torch_kwargs)} mixed with TensorFlow's "
                        "ord / axis / keepdims")
    if len(args) > 3:
        raise TypeError(f"[norm] at most 4 positional arguments, got {len(args) + 1}")
    given = dict(zip(("ord", "axis", "keepdims"), args))
    for key, v in (("ord", ord), ("axis", axis), ("keepdims", keepdims)):
        if v is not None:
            if key in given:
                raise TypeError(f"[norm] {key} given twice")
            given[key] = v
    return tf_norm(input, given.get("ord", "euclidean"), given.get("axis"),
                   given.get("keepdims"))
