"""Original tests of the PyTorch patterns used by pytorch/examples word_language_model
(TransformerModel: a subclass of nn.Transformer that keeps its encoder, replaces its decoder by
a Linear, registers a sinusoidal position buffer and runs a causal float mask; corpus columns,
NLLLoss, clip_grad_norm_) and by the tutorial "Language Translation with nn.Transformer" (a full
nn.Transformer with bool src mask, float causal tgt mask, key-padding masks,
CrossEntropyLoss(ignore_index), xavier_uniform_, encoder / decoder called separately for greedy
decoding). Also pe.tril / pe.triu. No program text of those examples is used."""
import math

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine.testing import gradcheck


def _sinusoids(length, width):
    """(length, 1, width) table: even columns sin(pos * f), odd columns cos(pos * f)."""
    table = pe.zeros(length, width)
    pos = pe.arange(0, length, dtype=pe.float).unsqueeze(1)
    freq = pe.exp(pe.arange(0, width, 2).float() * (-math.log(10000.0) / width))
    table[:, 0::2] = pe.sin(pos * freq)
    table[:, 1::2] = pe.cos(pos * freq)
    return table.unsqueeze(1)


def _future_blocked(n):
    """Additive float mask: 0 on and below the diagonal, -inf above."""
    return pe.zeros(n, n).masked_fill(pe.triu(pe.ones(n, n), 1) == 1, float("-inf"))


class _EncoderOnlyLM(nn.Transformer):
    def __init__(self, vocab, width, heads, ff, depth):
        super().__init__(d_model=width, nhead=heads, dim_feedforward=ff,
                         num_encoder_layers=depth, dropout=0.1)
        self.register_buffer("table", _sinusoids(64, width))
        self.tok = nn.Embedding(vocab, width)
        self.decoder = nn.Linear(width, vocab)  # replaces nn.Transformer's decoder stack
        self.width = width

    def forward(self, ids):
        h = self.tok(ids) * math.sqrt(self.width) + self.table[:ids.size(0)]
        return F.log_softmax(self.decoder(self.encoder(h, mask=_future_blocked(len(ids)))), -1)


def test_causal_float_mask_matches_numpy():
    np.testing.assert_array_equal(_future_blocked(4).numpy(),
                                  np.where(np.triu(np.ones((4, 4)), 1) == 1, -np.inf, 0.0))


def test_nn_transformer_subclass_language_model_learns_and_is_causal():
    pe.manual_seed(2)
    vocab, window = 10, 6
    stream = pe.tensor((np.arange(480) * 3) % vocab)  # next token = this + 3 (mod 10)
    cols = stream.narrow(0, 0, 480).view(6, -1).t().contiguous()  # (80, 6)
    lm = _EncoderOnlyLM(vocab, 16, 2, 32, 2)
    opt = pe.optim.Adam(lm.parameters(), lr=3e-3)
    nll = nn.NLLLoss()
    curve = []
    lm.train()
    for _ in range(4):
        for at in range(0, cols.size(0) - 1, window):
            n = min(window, cols.size(0) - 1 - at)
            lm.zero_grad()
            loss = nll(lm(cols[at:at + n]).view(-1, vocab), cols[at + 1:at + 1 + n].reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(lm.parameters(), 0.25)
            opt.step()
            curve.append(loss.item())
    assert np.mean(curve[-3:]) < 0.7 * np.mean(curve[:3]), curve
    keys = lm.state_dict()
    assert "encoder.layers.1.self_attn.in_proj_weight" in keys and "decoder.weight" in keys
    lm.eval()
    probe = cols[:5, :2].clone()
    changed = probe.clone()
    changed[4] = (changed[4] + 1) % vocab
    np.testing.assert_allclose(lm(changed)[:4].detach().numpy(), lm(probe)[:4].detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_tril_triu():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    for d in (-1, 0, 2):
        np.testing.assert_array_equal(pe.tril(pe.tensor(x), d).numpy(), np.tril(x, d))
        np.testing.assert_array_equal(pe.triu(pe.tensor(x), diagonal=d).numpy(),
                                      np.triu(x, d))
    assert gradcheck(lambda t: pe.triu(t, 1), [pe.tensor(x, requires_grad=True)])
    with pytest.raises(ValueError, match=r"\[tril\] input must have at least 2 dims"):
        pe.tril(pe.ones(3))


PAD, BOS, EOS = 0, 1, 2


class _Seq2Seq(nn.Module):
    def __init__(self, vocab, width):
        super().__init__()
        self.core = nn.Transformer(d_model=width, nhead=2, num_encoder_layers=1,
                                   num_decoder_layers=1, dim_feedforward=2 * width, dropout=0.1)
        self.src_emb, self.tgt_emb = nn.Embedding(vocab, width), nn.Embedding(vocab, width)
        self.register_buffer("table", _sinusoids(32, width))
        self.head = nn.Linear(width, vocab)
        self.scale = math.sqrt(width)

    def embed(self, emb, ids):
        return emb(ids.long()) * self.scale + self.table[:ids.size(0)]

    def forward(self, src, tgt, src_pad, tgt_pad):
        src_mask = pe.zeros((src.size(0), src.size(0))).type(pe.bool)
        out = self.core(self.embed(self.src_emb, src), self.embed(self.tgt_emb, tgt), src_mask,
                        _future_blocked(tgt.size(0)), None, src_pad, tgt_pad, src_pad)
        return self.head(out)

    def greedy(self, src, steps):
        memory = self.core.encoder(self.embed(self.src_emb, src))
        out = pe.full((1, src.size(1)), BOS, dtype=pe.long)
        for _ in range(steps):
            h = self.core.decoder(self.embed(self.tgt_emb, out), memory,
                                  _future_blocked(out.size(0)))
            nxt = self.head(h[-1]).argmax(-1, keepdim=True).t()
            out = pe.cat([out, nxt], 0)
        return out


def _copy_batches(rng, vocab, count, longest):
    """(seq, batch) source and BOS/target/EOS pairs with PAD tails; target = source + 1."""
    src = np.full((longest + 1, count), PAD)
    tgt = np.full((longest + 2, count), PAD)
    for b in range(count):
        n = rng.integers(2, longest + 1)
        body = rng.integers(3, vocab - 1, n)
        src[:n, b], src[n, b] = body, EOS
        tgt[0, b], tgt[1:n + 1, b], tgt[n + 1, b] = BOS, body + 1, EOS
    return pe.tensor(src), pe.tensor(tgt)


def test_padded_seq2seq_transformer_learns_with_ignore_index():
    pe.manual_seed(4)
    vocab = 11
    model = _Seq2Seq(vocab, 16)
    for p in model.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)
    ce = nn.CrossEntropyLoss(ignore_index=PAD)
    opt = pe.optim.Adam(model.parameters(), lr=2e-3, betas=(0.9, 0.98), eps=1e-9)
    rng = np.random.default_rng(4)
    curve = []
    model.train()
    for _ in range(50):
        src, tgt = _copy_batches(rng, vocab, 12, 5)
        logits = model(src, tgt[:-1], (src == PAD).transpose(0, 1),
                       (tgt[:-1] == PAD).transpose(0, 1))
        opt.zero_grad()
        loss = ce(logits.reshape(-1, vocab), tgt[1:].reshape(-1))
        loss.backward()
        opt.step()
        curve.append(loss.item())
    assert np.mean(curve[-5:]) < 0.85 * np.mean(curve[:5]), curve
    model.eval()
    decoded = model.greedy(src[:, :3], 4)
    assert decoded.shape == (5, 3) and (decoded[0].numpy() == BOS).all()
