"""pytorch/examples word_language_model's TransformerModel (model.py, verbatim but for the
imports: `import pyengine as torch`) and its training step (batchify, get_batch, NLLLoss,
clip_grad_norm_) on a tiny synthetic corpus: the loss falls. Also pe.tril / pe.triu."""
import math

import numpy as np
import pytest

import pyengine as torch
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine.testing import gradcheck


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer('pe', pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Transformer):
    """Container module with an encoder, a recurrent or transformer module, and a decoder."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
        super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                                               num_encoder_layers=nlayers)
        self.model_type = 'Transformer'
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.init_weights()

    def _generate_square_subsequent_mask(self, sz):
        return torch.log(torch.tril(torch.ones(sz, sz)))

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, has_mask=True):
        if has_mask:
            device = src.device
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                mask = self._generate_square_subsequent_mask(len(src)).to(device)
                self.src_mask = mask
        else:
            self.src_mask = None

        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    data = data.view(bsz, -1).t().contiguous()
    return data


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # log(0) = -inf: the mask
def test_word_language_model_transformer_learns():
    torch.manual_seed(0)
    ntokens, bptt = 12, 8
    corpus = torch.tensor(np.arange(600) % ntokens)  # a predictable "text": next = this + 1
    train_data = batchify(corpus, 8)
    model = TransformerModel(ntokens, 16, 2, 32, 2, dropout=0.1)
    criterion = nn.NLLLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    losses = []
    for epoch in range(6):
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            data, targets = get_batch(train_data, i, bptt)
            model.zero_grad()
            output = model(data)
            output = output.view(-1, ntokens)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            optimizer.step()
            losses.append(loss.item())
    assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:3]), losses
    assert "encoder.layers.1.self_attn.in_proj_weight" in model.state_dict()
    assert "decoder.weight" in model.state_dict()  # the Linear replaced nn.Transformer's decoder


def test_tril_triu():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    for d in (-1, 0, 2):
        np.testing.assert_array_equal(torch.tril(torch.tensor(x), d).numpy(), np.tril(x, d))
        np.testing.assert_array_equal(torch.triu(torch.tensor(x), diagonal=d).numpy(),
                                      np.triu(x, d))
    assert gradcheck(lambda t: torch.triu(t, 1), [torch.tensor(x, requires_grad=True)])
    with pytest.raises(ValueError, match=r"\[tril\] input must have at least 2 dims"):
        torch.tril(torch.ones(3))
