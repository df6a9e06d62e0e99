"""Scaled dot-product attention, composed of existing autograd ops (batched matmul, softmax,
dropout, where): its backward is theirs, nothing new to differentiate.

    attend(q, k, v) = dropout(softmax(q @ k^T * scale + bias)) @ v

q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev); the leading dims broadcast.
`bias` is an additive (..., L, S) term: 0 where a query may see a key, -inf (PyTorch) or a large
negative number (Keras) where it may not. Every attention layer of pe.nn and pe.keras
(MultiheadAttention, the Transformer layers, keras MultiHeadAttention / Attention) calls
`attend`; they differ only in how they build `bias` from their masks."""
import math

import numpy as np

from ..tensor import Tensor
from . import elementwise as _ew
from .activation import Softmax
from .dropout import dropout as _dropout
from .sdp_backends import check_available


def _check_qkv(q, k, v, op):
    for name, t in (("query", q), ("key", k), ("value", v)):
        if not isinstance(t, Tensor):
            raise TypeError(f"[{op}] {name} must be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise ValueError(f"[{op}] {name} must have at least 2 dims (..., seq, features), "
                             f"got shape {t.shape}")
        if t._data.dtype.kind != "f":
            raise TypeError(f"[{op}] {name} must be floating point, got {t.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"[{op}] query and key feature sizes differ: query {q.shape}, "
                         f"key {k.shape}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"[{op}] key and value sequence lengths differ: key {k.shape}, "
                         f"value {v.shape}")
    if not (q._data.dtype == k._data.dtype == v._data.dtype):
        raise TypeError(f"[{op}] query, key and value dtypes differ: {q.dtype}, {k.dtype}, "
                        f"{v.dtype}")


def causal_keep(L, S):
    """(L, S) bool, True where query i may see key j: j <= i (lower triangle, top-left aligned as
    PyTorch's is_causal and Keras' use_causal_mask)."""
    return np.tril(np.ones((L, S), bool))


def bias_from_keep(keep, dtype, fill=-np.inf):
    """Additive bias from a bool `keep` mask: 0 where True, `fill` where False."""
    return np.where(np.asarray(keep, bool), dtype.type(0), dtype.type(fill))


def _as_bias(mask, dtype, op):
    """A mask as an additive bias. PyTorch SDPA: bool True = attend (else -inf); float is added."""
    if isinstance(mask, Tensor):
        if mask._data.dtype == np.bool_:
            return bias_from_keep(mask._data, dtype)
        if mask._data.dtype.kind != "f":
            raise TypeError(f"[{op}] attn_mask must be bool or floating point, got {mask.dtype}")
        return mask if mask._data.dtype == dtype else mask.astype(dtype)
    m = np.asarray(mask)
    if m.dtype == np.bool_:
        return bias_from_keep(m, dtype)
    if m.dtype.kind not in "fiu":
        raise TypeError(f"[{op}] attn_mask must be bool or floating point, got {m.dtype}")
    return m.astype(dtype)


def add_bias(bias, more):
    """Sum of two additive biases (either may be None, a NumPy array or a Tensor)."""
    if bias is None:
        return more
    if more is None:
        return bias
    if isinstance(bias, Tensor) or isinstance(more, Tensor):
        return (bias if isinstance(bias, Tensor) else Tensor._wrap(bias)) + more
    return bias + more


def attend(q, k, v, bias=None, dropout_p=0.0, scale=None, keep=None, fill=-1e9,
           training=True):
    """(out, weights): weights = softmax(scores) dropped out with dropout_p while training,
    out = weights @ v, where scores = q @ k^T * scale + bias, and where a bool `keep` array is
    given, scores replaced by `fill` where keep is False (Keras' masked softmax). scale defaults
    to 1 / sqrt(E). Rows of a constant bias that are all -inf get weights 0 (so output 0)
    instead of NaN. Shapes as in the module doc; weights (..., L, S)."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = q @ k.transpose(-2, -1)
    if scale != 1.0:
        scores = scores * scale
    return attend_scores(scores, v, bias, dropout_p, keep, fill, training)


def attend_scores(scores, v, bias=None, dropout_p=0.0, keep=None, fill=-1e9, training=True):
    """attend() from already computed (..., L, S) scores (Keras' Attention and
    AdditiveAttention compute theirs their own way)."""
    dtype = scores._data.dtype
    dead = None
    if bias is not None:
        if not isinstance(bias, Tensor):
            bias = np.asarray(bias, dtype)
            dead = np.isneginf(bias).all(axis=-1, keepdims=True)
            if dead.any():  # rows with every key masked: zeros, not 0/0 = NaN
                bias = np.where(dead, dtype.type(0), bias)
            else:
                dead = None
            bias = Tensor._wrap(bias)
        scores = scores + bias
    if keep is not None:
        scores = _ew.where(Tensor._wrap(np.asarray(keep, bool)), scores,
                           Tensor._wrap(np.asarray(fill, dtype)))
    weights = Softmax.apply(scores, axis=-1, log=False)
    if dead is not None:
        weights = weights * Tensor._wrap((~dead).astype(dtype))
    if training and dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, True)
    return weights @ v, weights


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """PyTorch's F.scaled_dot_product_attention:
    softmax(query @ key^T * scale + bias) @ value, dropout (p=dropout_p, always applied when
    dropout_p > 0, as PyTorch) on the attention weights.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). attn_mask broadcasts
    to (..., L, S): bool (True = take part in attention, False = masked out with -inf) or float
    (added to the scores). is_causal: query i sees keys j <= i (attn_mask must then be None).
    scale defaults to 1 / sqrt(E). A query row whose keys are all masked gives zeros (PyTorch
    2.13's CPU kernel does the same; its math formula would give NaN).

    >>> q = pe.randn(2, 4, 5, 8); F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
    (2, 4, 5, 8)
    """
    op = "scaled_dot_product_attention"
    check_available(op)
    _check_qkv(query, key, value, op)
    if enable_gqa:
        raise NotImplementedError(f"[{op}] enable_gqa=True (grouped-query attention) is not "
                                  "supported: repeat the key/value heads to the query's count")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"[{op}] dropout_p must be in [0, 1], got {dropout_p}")
    L, S = query.shape[-2], key.shape[-2]
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"[{op}] give either attn_mask or is_causal=True, not both")
        bias = bias_from_keep(causal_keep(L, S), query._data.dtype)
    elif attn_mask is not None:
        bias = _as_bias(attn_mask, query._data.dtype, op)
        try:
            np.broadcast_shapes(tuple(bias.shape), query.shape[:-2] + (L, S))
        except ValueError:
            raise ValueError(f"[{op}] attn_mask of shape {tuple(bias.shape)} does not broadcast "
                             f"to the scores' shape {query.shape[:-2] + (L, S)}") from None
    out, _ = attend(query, key, value, bias, dropout_p, scale)
    return out



def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) -> (b, n, p) (torch.bmm: no broadcasting;
    hand-written attention computes its scores and context with it).

    >>> pe.bmm(pe.ones(2, 3, 4), pe.ones(2, 4, 5)).shape
    (2, 3, 5)
    """
    for name, t in (("input", input), ("mat2", mat2)):
        if not isinstance(t, Tensor) or t.ndim != 3:
            raise ValueError(f"[bmm] {name} must be a 3-D Tensor, got "
                             f"{getattr(t, 'shape', type(t).__name__)}")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise ValueError(f"[bmm] shapes {input.shape} and {mat2.shape} do not multiply: need "
                         f"(b, n, m) @ (b, m, p)")
    return input @ mat2


def baddbmm(input, batch1, batch2, beta=1.0, alpha=1.0):
    """beta * input + alpha * bmm(batch1, batch2), input broadcast to (b, n, p) (torch.baddbmm)."""
    out = bmm(batch1, batch2)
    if alpha != 1.0:
        out = out * alpha
    if beta == 0.0:
        return out
    return out + (input if beta == 1.0 else input * beta)
