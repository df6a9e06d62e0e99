"""nn.MultiheadAttention with PyTorch's parameters, names and masks (a PyTorch state_dict loads
unchanged); the attention itself is pyengine/ops/attention.py's `attend`."""
import numpy as np

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ...ops.attention import add_bias, attend, bias_from_keep
from ...tensor import Tensor
from .linear import Linear, _dtype


def _mask_bias(mask, dtype, what):
    """PyTorch MHA masks as an additive bias: bool True = NOT allowed (-inf); float is added."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        arr = mask._data
        if arr.dtype != np.bool_ and arr.dtype.kind == "f":
            return mask if arr.dtype == dtype else mask.astype(dtype)
    else:
        arr = np.asarray(mask)
    if arr.dtype == np.bool_:
        return bias_from_keep(~arr, dtype)
    if arr.dtype.kind != "f":
        raise TypeError(f"[MultiheadAttention] {what} must be bool or floating point, got "
                        f"{arr.dtype}")
    return arr.astype(dtype)


class MultiheadAttention(Module):
    """PyTorch's nn.MultiheadAttention: out = out_proj(concat_h attention(q W_q^h, k W_k^h,
    v W_v^h)), num_heads heads of size embed_dim // num_heads.

    Parameters (PyTorch names and layout): in_proj_weight (3E, E) and in_proj_bias (3E,) when
    kdim == vdim == embed_dim, else q_proj_weight (E, E), k_proj_weight (E, kdim),
    v_proj_weight (E, vdim) and in_proj_bias; out_proj.weight (E, E), out_proj.bias (E,).
    Inputs (L, N, E) (or (N, L, E) with batch_first=True, or unbatched (L, E)).

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (out, weights). key_padding_mask (N, S) and
    attn_mask (L, S) or (N * num_heads, L, S): bool True = that position is NOT attended, float
    is added to the scores. weights (N, L, S) averaged over heads, or (N, H, L, S), or None when
    need_weights=False. is_causal is PyTorch's hint that attn_mask is the causal mask; as in
    PyTorch the mask must be given with it and is what is applied.

    >>> mha = pe.nn.MultiheadAttention(16, 4, batch_first=True)
    >>> x = pe.randn(2, 5, 16); out, w = mha(x, x, x); out.shape, w.shape
    ((2, 5, 16), (2, 5, 5))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        for name, v in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"[MultiheadAttention] {name} must be a positive int, got {v!r}")
        if embed_dim % num_heads:
            raise ValueError(f"[MultiheadAttention] embed_dim ({embed_dim}) must be divisible "
                             f"by num_heads ({num_heads})")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("[MultiheadAttention] add_bias_kv=True and "
                                      "add_zero_attn=True are not supported")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"[MultiheadAttention] dropout must be in [0, 1], got {dropout}")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.head_dim = self.embed_dim // self.num_heads
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        E, dt = self.embed_dim, _dtype(dtype, device)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dt))
            for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(n, None)
        else:
            self.q_proj_weight = Parameter(np.empty((E, E), dt))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dt))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dt))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * E, dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        """As PyTorch: xavier_uniform projections, zero biases (out_proj.weight keeps Linear's)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _projections(self):
        E = self.embed_dim
        b = self.in_proj_bias
        bs = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            ws = (w[:E], w[E:2 * E], w[2 * E:])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return ws, bs

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        batched = query.ndim == 3
        same_input = query is key and key is value  # self-attention: one projection GEMM
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"[MultiheadAttention] query, key and value must all be 3-D "
                             f"(batched) or 2-D (unbatched); got {query.shape}, {key.shape}, "
                             f"{value.shape}")
        if is_causal and attn_mask is None:
            raise ValueError("[MultiheadAttention] is_causal=True is a hint that attn_mask is "
                             "the causal mask: pass attn_mask too (e.g. "
                             "nn.Transformer.generate_square_subsequent_mask(L))")
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = (key_padding_mask.unsqueeze(0) if isinstance(
                    key_padding_mask, Tensor) else np.asarray(key_padding_mask)[None])
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        # (L, N, E) from here on
        L, N, E = query.shape
        S = key.shape[0]
        if E != self.embed_dim:
            raise ValueError(f"[MultiheadAttention] query has {E} features, expected "
                             f"embed_dim={self.embed_dim} (query shape {query.shape})")
        for name, t, d in (("key", key, self.kdim), ("value", value, self.vdim)):
            if t.shape[2] != d or t.shape[1] != N:
                raise ValueError(f"[MultiheadAttention] {name} must be (S, {N}, {d}) like the "
                                 f"query's batch, got {t.shape} (query {query.shape})")
        if value.shape[0] != S:
            raise ValueError(f"[MultiheadAttention] key and value lengths differ: {key.shape} "
                             f"vs {value.shape}")
        H, hd = self.num_heads, self.head_dim

        def heads(x, w, b, n):  # (n, N, E_in) -> (N, H, n, hd)
            return F.linear(x, w, b).reshape(n, N, H, hd).permute(1, 2, 0, 3)

        if same_input and self._qkv_same_embed_dim:
            # self-attention: one GEMM against the whole in_proj_weight (3E, E), the same linear
            # op as the three below on its row blocks (tests/test_attention.py compares them)
            qkv = F.linear(query, self.in_proj_weight, self.in_proj_bias)
            qkv = qkv.reshape(L, N, 3, H, hd).permute(2, 1, 3, 0, 4)  # (3, N, H, L, hd)
            q, k, v = qkv[0], qkv[1], qkv[2]
        else:
            (wq, wk, wv), (bq, bk, bv) = self._projections()
            q, k, v = heads(query, wq, bq, L), heads(key, wk, bk, S), heads(value, wv, bv, S)
        dtype = q._data.dtype
        bias = _mask_bias(attn_mask, dtype, "attn_mask")
        if bias is not None:
            if tuple(bias.shape) == (L, S):
                pass
            elif tuple(bias.shape) == (N * H, L, S):
                bias = bias.reshape(N, H, L, S)
            else:
                raise ValueError(f"[MultiheadAttention] attn_mask must be ({L}, {S}) or "
                                 f"({N * H}, {L}, {S}), got {tuple(bias.shape)}")
        kpm = _mask_bias(key_padding_mask, dtype, "key_padding_mask")
        if kpm is not None:
            if tuple(kpm.shape) != (N, S):
                raise ValueError(f"[MultiheadAttention] key_padding_mask must be ({N}, {S}), "
                                 f"got {tuple(kpm.shape)}")
            bias = add_bias(bias, kpm.reshape(N, 1, 1, S))
        out, weights = attend(q, k, v, bias, self.dropout, None, training=self.training)
        out = self.out_proj(out.permute(2, 0, 1, 3).reshape(L, N, E))  # (L, N, E)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return out, (weights if batched else weights.squeeze(0))

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")
