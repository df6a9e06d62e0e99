"""tril / triu (torch.tril, torch.triu): the lower / upper triangle of the last two dims, the
rest zero. Causal attention masks are built with them (`torch.log(torch.tril(ones))`,
`torch.triu(ones, diagonal=1).bool()`); differentiable through `where`."""
import numpy as np

from ..tensor import Tensor
from . import elementwise as _ew


def _triangle(x, diagonal, lower, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected a Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"[{op}] input must have at least 2 dims, got shape {x.shape}")
    n, m = x.shape[-2:]
    keep = (np.tril if lower else np.triu)(np.ones((n, m), bool), int(diagonal))
    zero = Tensor._wrap(np.zeros((), x._data.dtype))
    return _ew.where(Tensor._wrap(keep), x, zero)


def tril(input, diagonal=0):
    """Elements on and below the `diagonal`-th diagonal of the last two dims; others 0.

    >>> pe.tril(pe.ones(2, 2))
    tensor([[1., 0.],
            [1., 1.]])
    """
    return _triangle(input, diagonal, True, "tril")


def triu(input, diagonal=0):
    """Elements on and above the `diagonal`-th diagonal of the last two dims; others 0."""
    return _triangle(input, diagonal, False, "triu")
