"""Embedding lookup: out = weight[indices]; the gradient scatter-adds rows back (repeated
indices accumulate; the padding row gets none)."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor


class Embedding(Function):
    @staticmethod
    def forward(ctx, weight, indices=None, padding_idx=None):
        ctx.indices, ctx.shape, ctx.padding_idx = indices, weight.shape, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        gw = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(gw, ctx.indices.reshape(-1), g.reshape(-1, ctx.shape[1]))
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return gw


def embedding(input, weight, padding_idx=None):
    """Rows of `weight` (num_embeddings, dim) picked by integer `input` of any shape; the
    result has shape input.shape + (dim,). Rows at padding_idx receive no gradient."""
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"[embedding] indices must be integers, got {idx.dtype}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"[embedding] index out of range: indices span [{idx.min()}, "
                         f"{idx.max()}] but the table has {n} rows")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx)
