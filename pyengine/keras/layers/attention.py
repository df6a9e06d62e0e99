"""Keras attention layers: MultiHeadAttention (Keras' weight layout and names), Attention (Luong,
dot or concat scores) and AdditiveAttention (Bahdanau). The attention itself is
pyengine/ops/attention.py's `attend`, the projections F.linear on views of the Keras kernels."""
import math

import numpy as np

from ...nn import functional as F
from ...ops.attention import attend, attend_scores, bias_from_keep, causal_keep
from ...tensor import Tensor
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .base import Layer
from .masking import get_mask


def _bool_mask(m, what, who):
    if m is None:
        return None
    arr = np.asarray(getattr(m, "_data", m))
    if arr.dtype != np.bool_:
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"[{who}] {what} must be boolean or numeric, got {arr.dtype}")
        arr = arr > 0.5 if arr.dtype.kind == "f" else arr != 0
    return arr


def _and(a, b):
    return b if a is None else (a if b is None else a & b)


class _HeadDense(Layer):
    """One of MultiHeadAttention's projections, named as Keras' EinsumDense sublayers
    ('query', 'key', 'value', 'attention_output') with a `kernel` and a `bias` of Keras' shapes;
    computed as F.linear on a 2-D view of the kernel."""

    def __init__(self, kernel_shape, bias_shape, kernel_initializer, bias_initializer,
                 kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint, name):
        super().__init__(name=name)
        self.kernel = self.add_weight(kernel_shape, kernel_initializer, name="kernel",
                                      regularizer=kernel_regularizer,
                                      constraint=kernel_constraint)
        self.bias = (self.add_weight(bias_shape, bias_initializer, name="bias",
                                     regularizer=bias_regularizer, constraint=bias_constraint)
                     if bias_shape is not None else None)

    def project(self, x, n_in):
        w = self.kernel.reshape(n_in, -1)  # (in, out) view of the Keras kernel
        b = None if self.bias is None else self.bias.reshape(-1)
        return F.linear(x, w.T, b)


class MultiHeadAttention(Layer):
    """Keras' MultiHeadAttention: query (B, T, dim), value (B, S, vdim), key (B, S, kdim)
    (default value) -> (B, T, output_shape or dim).

    Weights as Keras: query/kernel (dim, num_heads, key_dim), query/bias (num_heads, key_dim),
    key/... (kdim, num_heads, key_dim), value/... (vdim, num_heads, value_dim),
    attention_output/kernel (num_heads, value_dim, out), attention_output/bias (out,). Scores
    softmax(q k^T / sqrt(key_dim)) with masked positions set to -1e9 (Keras' masked softmax),
    dropout on the scores while training. Masks: attention_mask (B, T, S) (True = attend),
    query_mask / value_mask / key_mask (or the Keras masks the inputs carry), use_causal_mask.
    return_attention_scores=True also returns the (B, num_heads, T, S) scores.

    Inputs of a higher rank (B, T1, T2, ..., dim), all three of one rank, attend over all
    their middle axes jointly, Keras' default attention_axes (scores (B, heads, T..., S...)).
    Not supported (rejected): attention_axes other than None, output_shape with more than
    one dimension, flash_attention=True.

    >>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> mha(pe.randn(3, 5, 8), pe.randn(3, 7, 6)).shape
    (3, 5, 8)
    """
    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = "MultiHeadAttention"
        for n, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"[{who}] {n} must be a positive integer. Received: {n}={v!r}")
        if attention_axes is not None:
            raise ValueError(f"[{who}] only attention_axes=None (attention over axis 1 of "
                             f"rank-3 inputs) is supported. Received: attention_axes="
                             f"{attention_axes!r}")
        if flash_attention:
            raise ValueError(f"[{who}] flash_attention=True is not supported")
        if seed is not None:
            raise ValueError(f"[{who}] seed is not supported; seed the global generator with "
                             "pe.manual_seed")
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"[{who}] dropout must be in [0, 1]. Received: dropout={dropout}")
        if isinstance(output_shape, (list, tuple)):
            if len(output_shape) != 1:
                raise ValueError(f"[{who}] output_shape must be an int or a 1-tuple. "
                                 f"Received: output_shape={output_shape!r}")
            output_shape = output_shape[0]
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim is not None else self.key_dim
        self.dropout, self.use_bias = float(dropout), bool(use_bias)
        self._output_dim = None if output_shape is None else int(output_shape)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.kernel_constraint = _con.get(kernel_constraint)
        self.bias_constraint = _con.get(bias_constraint)
        self._dims = None

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the weights; the base Layer calls it with the query's shape alone, then the
        first call (which knows the value's and key's shapes) finishes it."""
        if value_shape is None:
            return
        key_shape = value_shape if key_shape is None else key_shape
        dims = (query_shape[-1], key_shape[-1], value_shape[-1])
        if any(d is None for d in dims):
            raise ValueError(f"[{self.name}] the last dimension of query, key and value must be "
                             f"known. Received: {query_shape}, {key_shape}, {value_shape}")
        dq, dk, dv = (int(d) for d in dims)
        H, kd, vd = self.num_heads, self.key_dim, self.value_dim
        out = self._output_dim or dq
        b = self.use_bias
        args = (self.kernel_initializer, self.bias_initializer, self.kernel_regularizer,
                self.bias_regularizer, self.kernel_constraint, self.bias_constraint)
        self._query_dense = _HeadDense((dq, H, kd), (H, kd) if b else None, *args, name="query")
        self._key_dense = _HeadDense((dk, H, kd), (H, kd) if b else None, *args, name="key")
        self._value_dense = _HeadDense((dv, H, vd), (H, vd) if b else None, *args, name="value")
        self._output_dense = _HeadDense((H, vd, out), (out,) if b else None, *args,
                                        name="attention_output")
        self._dims = (dq, dk, dv)

    def _attention_keep(self, query, value, key, query_mask, value_mask, key_mask,
                        attention_mask, use_causal_mask):
        """(B, T, S) bool: Keras' _compute_attention_mask."""
        who = self.name
        keep = None
        qm = _bool_mask(query_mask, "query_mask", who)
        if qm is not None:
            keep = qm[:, :, None]
        for what, m in (("value_mask", value_mask), ("key_mask", key_mask)):
            m = _bool_mask(m, what, who)
            if m is not None:
                keep = _and(keep, m[:, None, :])
        if use_causal_mask:
            keep = _and(keep, causal_keep(query.shape[1], value.shape[1])[None])
        am = _bool_mask(attention_mask, "attention_mask", who)
        if am is not None:
            keep = _and(am, keep)
        if keep is not None:
            B, T, S = query.shape[0], query.shape[1], key.shape[1]
            try:
                keep = np.broadcast_to(keep, (B, T, S))
            except ValueError:
                raise ValueError(f"[{who}] the attention mask of shape {keep.shape} does not "
                                 f"broadcast to (batch, query steps, key steps) = "
                                 f"{(B, T, S)}") from None
            keep = keep[:, None]  # over the heads
        return keep

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key = value if key is None else key
        if not query.ndim >= 3 or not query.ndim == value.ndim == key.ndim:
            raise ValueError(f"[{self.name}] query, value and key must be of one rank >= 3 "
                             f"(batch, steps..., features). Received: query "
                             f"{tuple(query.shape)}, value {tuple(value.shape)}, key "
                             f"{tuple(key.shape)}")
        # Keras fixes the rank when the layer is built (its projections' einsum equations)
        rank = self.__dict__.setdefault("_built_rank", query.ndim)
        if query.ndim != rank:
            raise ValueError(f"[{self.name}] the layer was built for rank {rank} inputs; "
                             f"received rank {query.ndim}: query {tuple(query.shape)}")
        if query.ndim > 3:
            return self._call_flattened(query, value, key, query_mask, value_mask, key_mask,
                                        attention_mask, return_attention_scores, training,
                                        use_causal_mask)
        return self._call_rank3(query, value, key, query_mask, value_mask, key_mask,
                                attention_mask, return_attention_scores, training,
                                use_causal_mask)

    def _call_rank3(self, query, value, key, query_mask, value_mask, key_mask, attention_mask,
                    return_attention_scores, training, use_causal_mask):
        if self._dims is None:
            self.build(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        dq, dk, dv = self._dims
        if (query.shape[-1], key.shape[-1], value.shape[-1]) != (dq, dk, dv):
            raise ValueError(f"[{self.name}] built for query/key/value features {(dq, dk, dv)}, "
                             f"received shapes {tuple(query.shape)}, {tuple(key.shape)}, "
                             f"{tuple(value.shape)}")
        if key.shape[:2] != value.shape[:2] or query.shape[0] != value.shape[0]:
            raise ValueError(f"[{self.name}] key and value must share (batch, steps) and the "
                             f"query the batch. Received: query {tuple(query.shape)}, key "
                             f"{tuple(key.shape)}, value {tuple(value.shape)}")
        query_mask = get_mask(query) if query_mask is None else query_mask
        value_mask = get_mask(value) if value_mask is None else value_mask
        key_mask = (get_mask(key) if key is not value else None) if key_mask is None else key_mask
        keep = self._attention_keep(query, value, key, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        B, T, S = query.shape[0], query.shape[1], key.shape[1]
        H, kd, vd = self.num_heads, self.key_dim, self.value_dim
        q = self._query_dense.project(query, dq).reshape(B, T, H, kd)  # Keras' (B, T, N, H)
        k = self._key_dense.project(key, dk).reshape(B, S, H, kd)
        v = self._value_dense.project(value, dv).reshape(B, S, H, vd)
        if type(self)._compute_attention is not MultiHeadAttention._compute_attention:
            mask = None if keep is None else Tensor._wrap(np.ascontiguousarray(keep[:, 0]))  # (B, T, S), Keras' form
            out, scores = self._compute_attention(q, k, v, attention_mask=mask,
                                                  training=bool(training))
        else:  # the fused path: the same math as _compute_attention
            out, scores = attend(q.permute(0, 2, 1, 3), k.permute(0, 2, 1, 3),
                                 v.permute(0, 2, 1, 3), None, self.dropout, 1.0 / math.sqrt(kd),
                                 keep=keep, fill=-1e9, training=bool(training))
            out = out.permute(0, 2, 1, 3)
        out = self._output_dense.project(out.reshape(B, T, H * vd), H * vd)
        if return_attention_scores:
            return out, scores
        return out

    def _call_flattened(self, query, value, key, query_mask, value_mask, key_mask,
                        attention_mask, return_attention_scores, training, use_causal_mask):
        """Rank > 3 inputs with attention_axes=None: Keras attends over all the axes between
        the batch and the features jointly (its default attention_axes = range(1, rank - 1)),
        which is rank-3 attention over those axes flattened into one; masks are flattened
        the same way and the output / scores get the axes back (keras-io MobileViT's
        (batch, patch, patches, dim) tokens)."""
        if use_causal_mask:
            raise ValueError(f"[{self.name}] use_causal_mask=True needs rank-3 inputs (one "
                             f"sequence axis). Received: query {tuple(query.shape)}")
        B, qa, ka = query.shape[0], tuple(query.shape[1:-1]), tuple(key.shape[1:-1])
        if tuple(value.shape[1:-1]) != ka:
            raise ValueError(f"[{self.name}] key and value must share their middle axes. "
                             f"Received: key {tuple(key.shape)}, value {tuple(value.shape)}")
        T, S = int(np.prod(qa)), int(np.prod(ka))
        query_mask = get_mask(query) if query_mask is None else query_mask
        value_mask = get_mask(value) if value_mask is None else value_mask
        key_mask = (get_mask(key) if key is not value else None) if key_mask is None \
            else key_mask

        def flat_mask(m, n):
            return None if m is None else _bool_mask(m, "mask", self.name).reshape(B, n)
        am = _bool_mask(attention_mask, "attention_mask", self.name)
        if am is not None:
            am = np.broadcast_to(am, (B,) + qa + ka).reshape(B, T, S)
        out = self._call_rank3(query.reshape(B, T, query.shape[-1]),
                               value.reshape(B, S, value.shape[-1]),
                               key.reshape(B, S, key.shape[-1]), flat_mask(query_mask, T),
                               flat_mask(value_mask, S), flat_mask(key_mask, S), am,
                               return_attention_scores, training, use_causal_mask)
        out, scores = out if return_attention_scores else (out, None)
        out = out.reshape((B,) + qa + (out.shape[-1],))
        if return_attention_scores:
            return out, scores.reshape((B, self.num_heads) + qa + ka)
        return out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape[:-1]) + (self._output_dim or query_shape[-1],)

    # Keras' internal protocol, for subclasses that override _compute_attention (keras-io
    # vit_small_ds's locality self-attention scales by a learned temperature): projected
    # query (B, T, N, key_dim), key (B, S, N, key_dim), value (B, S, N, value_dim), a (B, T, S)
    # boolean attention_mask (True = attend) or None; returns ((B, T, N, value_dim) output,
    # (B, N, T, S) scores). Overriding it routes rank-3 calls through it.
    _dot_product_equation = "aecd,abcd->acbe"
    _combine_equation = "acbe,aecd->abcd"
    _attention_axes = (1,)
    _key_dim = property(lambda self: self.key_dim)
    _value_dim = property(lambda self: self.value_dim)
    _num_heads = property(lambda self: self.num_heads)
    _inverse_sqrt_key_dim = property(lambda self: 1.0 / math.sqrt(self.key_dim))

    def _compute_attention(self, query, key, value, attention_mask=None, training=None):
        query = query * self._inverse_sqrt_key_dim
        scores = F.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        out = F.einsum(self._combine_equation, self._dropout_layer(scores, training=training),
                       value)
        return out, scores

    def _masked_softmax(self, attention_scores, attention_mask=None):
        """Keras' masked softmax over the last axis: -1e9 added where the mask is False, the
        weights multiplied by the mask after; a mask of fewer dims is expanded at the heads."""
        if attention_mask is None:
            return F.softmax(attention_scores, -1)
        keep = _bool_mask(attention_mask, "attention_mask", self.name)
        while keep.ndim < attention_scores.ndim:
            keep = np.expand_dims(keep, -len(self._attention_axes) * 2 - 1)
        keep = keep.astype(attention_scores._data.dtype)
        weights = F.softmax(attention_scores + Tensor._wrap((1.0 - keep) * -1e9), -1)
        return weights * Tensor._wrap(keep)

    def _dropout_layer(self, x, training=None):
        """Keras' dropout on the attention weights (a callable, as Keras' Dropout sublayer)."""
        return F.dropout(x, self.dropout, bool(training)) if self.dropout else x


class _BaseDenseAttention(Layer):
    """Keras' Attention / AdditiveAttention: inputs [query (B, Tq, dim), value (B, Tv, dim),
    key (optional, default value)], mask [query_mask, value_mask]; padded values get -1e9 added
    to their scores; the output rows of masked queries are zeroed."""
    supports_masking = True

    def __init__(self, use_scale=False, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None:
            raise ValueError(f"[{type(self).__name__}] seed is not supported; seed the global "
                             "generator with pe.manual_seed")
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"[{type(self).__name__}] dropout must be in [0, 1]. Received: "
                             f"dropout={dropout}")
        self.use_scale, self.dropout = bool(use_scale), float(dropout)

    def _unpack(self, inputs, mask):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError(f"[{self.name}] inputs must be a list [query, value] or [query, "
                             f"value, key]. Received: {type(inputs).__name__}")
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) == 3 else v
        if q.ndim != 3 or v.ndim != 3 or k.ndim != 3:
            raise ValueError(f"[{self.name}] query, value and key must be rank 3. Received: "
                             f"{tuple(q.shape)}, {tuple(v.shape)}, {tuple(k.shape)}")
        if k.shape[:2] != v.shape[:2]:
            raise ValueError(f"[{self.name}] key and value must share (batch, steps). "
                             f"Received: {tuple(k.shape)}, {tuple(v.shape)}")
        q_mask = v_mask = None
        if mask is not None:
            if not isinstance(mask, (list, tuple)) or len(mask) not in (2, 3):
                raise ValueError(f"[{self.name}] mask must be a list [query_mask, value_mask]")
            q_mask, v_mask = mask[0], mask[1]
        return q, v, k, _bool_mask(q_mask, "query_mask", self.name), \
            _bool_mask(v_mask, "value_mask", self.name)

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        q, v, k, q_mask, v_mask = self._unpack(inputs, mask)
        if q.shape[-1] != k.shape[-1]:
            raise ValueError(f"[{self.name}] query and key feature sizes differ: "
                             f"{tuple(q.shape)} vs {tuple(k.shape)}")
        scores = self._scores(q, k)
        keep = None if v_mask is None else v_mask[:, None, :]
        if use_causal_mask:
            keep = _and(keep, causal_keep(q.shape[1], v.shape[1])[None])
        bias = None if keep is None else bias_from_keep(keep, np.dtype(q._data.dtype), -1e9)
        out, weights = attend_scores(scores, v, bias, self.dropout, training=bool(training))
        if q_mask is not None:
            out = out * q_mask[..., None].astype(out._data.dtype)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else mask[0]


class Attention(_BaseDenseAttention):
    """Dot-product (Luong) attention: scores = scale * q k^T (score_mode='dot'), or
    concat_score_weight * sum(tanh(scale * (q_i + k_j))) (score_mode='concat'); `scale` a
    trainable scalar (init 1) when use_scale=True.

    >>> keras.layers.Attention()([pe.randn(2, 3, 4), pe.randn(2, 5, 4)]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(use_scale, dropout, seed, **kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"[Attention] score_mode must be 'dot' or 'concat'. Received: "
                             f"score_mode={score_mode!r}")
        self.score_mode = score_mode

    def build(self, input_shape):
        self.scale = self.add_weight((), "ones", name="scale") if self.use_scale else None
        self.concat_score_weight = (self.add_weight((), "ones", name="concat_score_weight")
                                    if self.score_mode == "concat" else None)

    def _scores(self, q, k):
        if self.score_mode == "dot":
            s = q @ k.transpose(-2, -1)
            return s * self.scale if self.scale is not None else s
        z = q.unsqueeze(-2) + k.unsqueeze(-3)  # (B, Tq, Tv, dim)
        if self.scale is not None:
            z = z * self.scale
        return self.concat_score_weight * F.tanh(z).sum(axis=-1)


class AdditiveAttention(_BaseDenseAttention):
    """Additive (Bahdanau) attention: scores = sum(scale * tanh(q_i + k_j)) over features,
    `scale` a trainable (dim,) vector (glorot_uniform) when use_scale=True (the default).

    >>> keras.layers.AdditiveAttention()([pe.randn(2, 3, 4), pe.randn(2, 5, 4)]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale, dropout, **kwargs)

    def build(self, input_shape):
        dim = input_shape[0][-1] if isinstance(input_shape, (list, tuple)) and \
            isinstance(input_shape[0], (list, tuple)) else None
        if dim is None:
            raise ValueError(f"[{self.name}] the query's last dimension must be known")
        self.scale = self.add_weight((int(dim),), "glorot_uniform", name="scale") \
            if self.use_scale else None

    def _scores(self, q, k):
        z = F.tanh(q.unsqueeze(-2) + k.unsqueeze(-3))  # (B, Tq, Tv, dim)
        return (z * self.scale if self.scale is not None else z).sum(axis=-1)
