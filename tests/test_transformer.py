"""nn.TransformerEncoderLayer / Encoder / DecoderLayer / Decoder / Transformer: PyTorch names,
a NumPy float64 reference of the encoder layer, gradcheck, torch on the same state_dict (where
installed), and a TransformerEncoder-based model whose loss falls."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:  # CI has no torch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def T(a, grad=False):
    return pe.tensor(np.asarray(a), requires_grad=grad)


def _to64(module):
    for p in module.parameters():
        p._data = p._data.astype(np.float64)
    return module


def _np_layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(-1, keepdims=True) + eps) * w + b


def _np_mha(sd, prefix, x, kv, H, bias=None):
    wq, wk, wv = np.split(sd[prefix + "in_proj_weight"], 3)
    bq, bk, bv = np.split(sd[prefix + "in_proj_bias"], 3)
    N, L, E = x.shape
    S, hd = kv.shape[1], E // H
    split = lambda t, n: t.reshape(N, n, H, hd).transpose(0, 2, 1, 3)  # noqa: E731
    q, k, v = split(x @ wq.T + bq, L), split(kv @ wk.T + bk, S), split(kv @ wv.T + bv, S)
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd) + (0 if bias is None else bias)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    o = (w @ v).transpose(0, 2, 1, 3).reshape(N, L, E)
    return o @ sd[prefix + "out_proj.weight"].T + sd[prefix + "out_proj.bias"]


def ref_encoder_layer(layer, x, H, norm_first, bias=None):
    sd = {k: v.detach().numpy() for k, v in layer.state_dict().items()}
    ln = lambda t, i: _np_layer_norm(t, sd[f"norm{i}.weight"], sd[f"norm{i}.bias"], 1e-5)  # noqa
    ff = lambda t: np.maximum(t @ sd["linear1.weight"].T + sd["linear1.bias"], 0) \
        @ sd["linear2.weight"].T + sd["linear2.bias"]  # noqa: E731
    if norm_first:
        h = ln(x, 1)
        x = x + _np_mha(sd, "self_attn.", h, h, H, bias)
        return x + ff(ln(x, 2))
    x = ln(x + _np_mha(sd, "self_attn.", x, x, H, bias), 1)
    return ln(x + ff(x), 2)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_matches_numpy(norm_first):
    pe.manual_seed(0)
    layer = _to64(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True,
                                             norm_first=norm_first))
    for p in layer.parameters():  # non-trivial norms and biases
        p._data += 0.1 * rand(*p.shape, seed=p.numel())
    layer.eval()
    x = rand(3, 5, 8, seed=1)
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=pe.float64)
    out = layer(T(x), src_mask=mask, is_causal=True)
    ref = ref_encoder_layer(layer, x, 2, norm_first, mask.numpy())
    np.testing.assert_allclose(out.detach().numpy(), ref, atol=1e-10)


def test_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m, [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


def test_encoder_layer_gradcheck():
    pe.manual_seed(1)
    layer = _to64(nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu",
                                             batch_first=True)).eval()
    x = T(rand(2, 3, 4), grad=True)
    kpm = T(np.array([[False, False, True], [False, False, False]]))
    assert gradcheck(lambda a: layer(a, src_key_padding_mask=kpm), [x])


def test_decoder_and_transformer_shapes_and_names():
    pe.manual_seed(2)
    t = nn.Transformer(8, 2, 2, 1, 16, dropout=0.0)
    names = set(t.state_dict())
    for n in ("encoder.layers.1.self_attn.in_proj_weight", "encoder.norm.weight",
              "decoder.layers.0.multihead_attn.out_proj.bias", "decoder.layers.0.norm3.bias",
              "decoder.norm.bias", "encoder.layers.0.linear2.weight"):
        assert n in names
    src, tgt = pe.randn(6, 2, 8), pe.randn(4, 2, 8)
    out = t(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4))
    assert out.shape == (4, 2, 8)
    with pytest.raises(ValueError, match="batch number"):
        t(pe.randn(6, 3, 8), tgt)
    with pytest.raises(ValueError, match="d_model=8"):
        t(pe.randn(6, 2, 4), tgt)
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    with pytest.raises(ValueError, match="num_layers"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 0)


def test_encoder_layers_are_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    enc = nn.TransformerEncoder(layer, 2)
    a, b = enc.layers[0].self_attn.in_proj_weight, enc.layers[1].self_attn.in_proj_weight
    assert a is not b and np.array_equal(a.detach().numpy(), b.detach().numpy())
    assert len(list(enc.parameters())) == 2 * len(list(layer.parameters()))


def _torch_copy(ours, theirs):
    sd = {k: pe.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    assert sorted(sd) == sorted(ours.state_dict())
    ours.load_state_dict(sd)
    _to64(ours)
    ours.eval()
    theirs.eval()


@needs_torch
@pytest.mark.parametrize("norm_first,activation,batch_first",
                         [(False, "relu", False), (True, "gelu", True)])
def test_encoder_matches_torch(norm_first, activation, batch_first):
    torch.manual_seed(0)
    kw = dict(dim_feedforward=32, dropout=0.1, activation=activation, batch_first=batch_first,
              norm_first=norm_first)
    te = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(16, 4, **kw), 2,
                                     torch.nn.LayerNorm(16), enable_nested_tensor=False).double()
    pe_ = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, **kw), 2, nn.LayerNorm(16))
    _torch_copy(pe_, te)
    x = rand(2, 5, 16, seed=1) if batch_first else rand(5, 2, 16, seed=1)
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    with torch.no_grad():
        ref = te(torch.tensor(x), mask=mask, src_key_padding_mask=torch.tensor(kpm)).numpy()
    out = pe_(T(x), mask=T(mask.numpy()), src_key_padding_mask=T(kpm))
    np.testing.assert_allclose(out.detach().numpy(), ref, atol=1e-10)


@needs_torch
def test_transformer_matches_torch():
    torch.manual_seed(1)
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
              dim_feedforward=16, dropout=0.1, batch_first=True)
    tt = torch.nn.Transformer(**kw).double()
    pt = nn.Transformer(**kw)
    _torch_copy(pt, tt)
    src, tgt = rand(2, 6, 8, seed=1), rand(2, 4, 8, seed=2)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    mkpm = np.zeros((2, 6), bool)
    mkpm[0, 4:] = True
    with torch.no_grad():
        ref = tt(torch.tensor(src), torch.tensor(tgt), tgt_mask=tmask,
                 memory_key_padding_mask=torch.tensor(mkpm)).numpy()
    out = pt(T(src), T(tgt), tgt_mask=T(tmask.numpy()), memory_key_padding_mask=T(mkpm))
    np.testing.assert_allclose(out.detach().numpy(), ref, atol=1e-10)


class _TextClassifier(nn.Module):
    """The shape of PyTorch's TransformerEncoder text-classification examples: embedding +
    learned positions, encoder, mean over time, linear head."""

    def __init__(self, vocab, d_model, nhead, nlayers, classes, seq_len):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(pe.zeros(1, seq_len, d_model))
        layer = nn.TransformerEncoderLayer(d_model, nhead, 2 * d_model, dropout=0.1,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, nlayers)
        self.head = nn.Linear(d_model, classes)

    def forward(self, tokens, pad_mask=None):
        h = self.encoder(self.embed(tokens) + self.pos, src_key_padding_mask=pad_mask)
        return self.head(h.mean(axis=1))


def test_transformer_encoder_model_learns():
    """Synthetic task: is token 1 present in the sequence? Needs attention over positions."""
    pe.manual_seed(0)
    rng = np.random.default_rng(0)
    n, L, V = 128, 8, 12
    tokens = rng.integers(2, V, (n, L))
    y = rng.integers(0, 2, n)
    for i in np.nonzero(y)[0]:
        tokens[i, rng.integers(0, L)] = 1
    model = _TextClassifier(V, 16, 2, 1, 2, L)
    opt = pe.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    model.train()
    for epoch in range(12):
        for b in range(0, n, 32):
            opt.zero_grad()
            loss = F.cross_entropy(model(pe.tensor(tokens[b:b + 32])), pe.tensor(y[b:b + 32]))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert np.mean(losses[-4:]) < 0.6 * np.mean(losses[:4]), losses
