"""PyTorch tutorial "NLP From Scratch: Translation with a Sequence to Sequence Network and
Attention": EncoderRNN, BahdanauAttention (torch.bmm of softmax weights and keys) and
AttnDecoderRNN verbatim but for the imports, trained with teacher forcing on a toy reversal task
(the tutorial reads an English-French corpus): the loss falls."""
import numpy as np

import pyengine as torch
import pyengine.nn as nn
import pyengine.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
SOS_token = 0
MAX_LENGTH = 10

class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        output, hidden = self.gru(embedded)
        return output, hidden

class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super(BahdanauAttention, self).__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return context, weights

class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super(AttnDecoderRNN, self).__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long, device=device).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs = []
        attentions = []
        for i in range(MAX_LENGTH):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(decoder_input, decoder_hidden, encoder_outputs)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1) # Teacher forcing
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()  # detach from history as input
        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        attentions = torch.cat(attentions, dim=1)
        return decoder_outputs, decoder_hidden, attentions

    def forward_step(self, input, hidden, encoder_outputs):
        embedded =  self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)
        output, hidden = self.gru(input_gru, hidden)
        output = self.out(output)
        return output, hidden, attn_weights



def test_bahdanau_attention_seq2seq_learns():
    torch.manual_seed(0)
    enc, dec = EncoderRNN(12, 16), AttnDecoderRNN(16, 12)
    eo = torch.optim.Adam(enc.parameters(), lr=0.01)
    do = torch.optim.Adam(dec.parameters(), lr=0.01)
    crit = nn.NLLLoss()
    rng = np.random.default_rng(0)
    losses = []
    for step in range(40):
        x = rng.integers(1, 12, (8, MAX_LENGTH))
        input_tensor, target_tensor = torch.tensor(x), torch.tensor(x[:, ::-1].copy())
        eo.zero_grad()
        do.zero_grad()
        encoder_outputs, encoder_hidden = enc(input_tensor)
        decoder_outputs, _, attentions = dec(encoder_outputs, encoder_hidden, target_tensor)
        loss = crit(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
        loss.backward()
        eo.step()
        do.step()
        losses.append(loss.item())
    assert attentions.shape == (8, MAX_LENGTH, MAX_LENGTH)
    np.testing.assert_allclose(attentions.detach().numpy().sum(-1), 1.0, rtol=1e-5)
    assert np.mean(losses[-5:]) < 0.95 * np.mean(losses[:5]), losses
    # greedy decoding (topk feeds back the predictions) runs too
    out, _, _ = dec(*enc(torch.tensor(x[:2])))
    assert out.shape == (2, MAX_LENGTH, 12)
