"""Original test of the PyTorch pattern of the tutorial "NLP From Scratch: Translation with a
Sequence to Sequence Network and Attention": a batch_first GRU encoder, additive (Bahdanau)
attention whose softmax weights are applied to the encoder states with pe.bmm, a GRU decoder
fed [embedding, context] with teacher forcing or greedy topk feedback (pe.empty(...).fill_,
permute, cat). No program text of the tutorial is used."""
import numpy as np

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F

START = 0


class _AdditiveAttention(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(width, width), nn.Linear(width, width), \
            nn.Linear(width, 1)

    def forward(self, query, states):
        """query (B, 1, W), states (B, T, W) -> context (B, 1, W), weights (B, 1, T)."""
        energy = self.v(pe.tanh(self.q(query) + self.k(states)))  # (B, T, 1)
        weights = F.softmax(energy.permute(0, 2, 1), dim=-1)
        return pe.bmm(weights, states), weights


class _Translator(nn.Module):
    def __init__(self, vocab, width):
        super().__init__()
        self.src_emb, self.tgt_emb = nn.Embedding(vocab, width), nn.Embedding(vocab, width)
        self.enc = nn.GRU(width, width, batch_first=True)
        self.dec = nn.GRU(2 * width, width, batch_first=True)
        self.attn = _AdditiveAttention(width)
        self.out = nn.Linear(width, vocab)

    def forward(self, src, steps, teacher=None):
        states, h = self.enc(self.src_emb(src))
        token = pe.empty(src.size(0), 1, dtype=pe.long).fill_(START)
        scores, maps = [], []
        for t in range(steps):
            ctx, w = self.attn(h.permute(1, 0, 2), states)
            step_out, h = self.dec(pe.cat((self.tgt_emb(token), ctx), dim=2), h)
            logits = self.out(step_out)
            scores.append(logits)
            maps.append(w)
            if teacher is not None:
                token = teacher[:, t:t + 1]
            else:
                token = logits.topk(1)[1].squeeze(-1).detach()
        return F.log_softmax(pe.cat(scores, dim=1), dim=-1), pe.cat(maps, dim=1)


def test_additive_attention_seq2seq_learns_with_teacher_forcing():
    pe.manual_seed(9)
    span, vocab = 7, 10
    model = _Translator(vocab, 16)
    opt = pe.optim.Adam(model.parameters(), lr=0.01)
    nll = nn.NLLLoss()
    rng = np.random.default_rng(9)
    curve = []
    for _ in range(40):
        src = rng.integers(1, vocab, (8, span))
        tgt = pe.tensor(np.roll(src, 2, axis=1))  # rotate by two places
        opt.zero_grad()
        logp, maps = model(pe.tensor(src), span, teacher=tgt)
        loss = nll(logp.reshape(-1, vocab), tgt.reshape(-1))
        loss.backward()
        opt.step()
        curve.append(loss.item())
    assert maps.shape == (8, span, span)
    np.testing.assert_allclose(maps.detach().numpy().sum(-1), 1.0, rtol=1e-5)
    assert np.mean(curve[-5:]) < 0.95 * np.mean(curve[:5]), curve
    greedy, _ = model(pe.tensor(src[:3]), span)
    assert greedy.shape == (3, span, vocab)
