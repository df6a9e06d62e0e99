"""Original tests of the PyTorch API patterns used by public pytorch/examples programs
word_language_model (an Embedding -> LSTM / GRU / RNN -> tied Linear language model; the
corpus laid out as columns by narrow / view / t / contiguous, truncated backprop with
detached hidden state, clip_grad_norm_, a manual SGD update p.data.add_(grad, alpha=))
and vae (a continuous-Bernoulli VAE: le / gt / max / where / pow / clamp, randn_like,
binary_cross_entropy(reduction='sum')); also torch.eq / ne / lt / le / gt / ge / pow.
No program text of those examples is used."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
import pyengine.utils.data
from pyengine import optim


class _TiedRecurrentLM(nn.Module):
    def __init__(self, cell, vocab, width, depth):
        super().__init__()
        self.vocab, self.width, self.depth, self.cell = vocab, width, depth, cell
        self.embed = nn.Embedding(vocab, width)
        self.core = {"LSTM": nn.LSTM, "GRU": nn.GRU}.get(cell, nn.RNN)(
            width, width, depth, dropout=0.1)
        self.proj = nn.Linear(width, vocab)
        self.proj.weight = self.embed.weight  # weight tying
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        nn.init.zeros_(self.proj.bias)

    def fresh_state(self, columns):
        ref = next(self.parameters())
        z = lambda: ref.new_zeros(self.depth, columns, self.width)
        return (z(), z()) if self.cell == "LSTM" else z()

    def forward(self, tokens, state):
        seq, state = self.core(self.embed(tokens), state)
        return F.log_softmax(self.proj(seq).view(-1, self.vocab), dim=1), state


def _detach_state(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def _as_columns(ids, columns):
    usable = ids.size(0) // columns * columns
    return ids.narrow(0, 0, usable).view(columns, -1).t().contiguous()


@pytest.mark.parametrize("cell, lr, epochs", [("LSTM", 20.0, 10), ("GRU", 5.0, 4),
                                              ("RNN", 5.0, 4)])
def test_tied_recurrent_lm_truncated_bptt(cell, lr, epochs):
    pe.manual_seed(3)
    stream = _as_columns(pe.tensor(np.tile(np.arange(8), 45), dtype=pe.long), 3)
    assert stream.shape == (120, 3)
    lm = _TiedRecurrentLM(cell, 8, 12, 2)
    assert lm.proj.weight is lm.embed.weight
    nll = nn.NLLLoss()
    window, curve = 6, []
    for _ in range(epochs):
        lm.train()
        state = lm.fresh_state(3)
        for start in range(0, stream.size(0) - 1, window):
            n = min(window, stream.size(0) - 1 - start)
            state = _detach_state(state)
            lm.zero_grad()
            logp, state = lm(stream[start:start + n], state)
            loss = nll(logp, stream[start + 1:start + 1 + n].reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(lm.parameters(), 0.25)
            for p in lm.parameters():
                p.data.add_(p.grad, alpha=-lr)
            curve.append(loss.item())
    assert curve[0] > 1.8 and curve[-1] < 1.0  # ln 8 = 2.08 at the start


def _cb_log_norm(lam, lo=0.49, hi=0.51):
    """log C(lam) of the continuous Bernoulli; a Taylor series near lam = 1/2."""
    away = pe.max(pe.le(lam, lo), pe.gt(lam, hi))
    safe = pe.where(away, lam, lo * pe.ones_like(lam))
    u = 1 - 2.0 * safe
    exact = pe.log(pe.abs(pe.log(1.0 + u) - pe.log(1.0 - u))) - pe.log(pe.abs(u))  # 2 atanh u
    series = np.log(2.0) + 4.0 / 3.0 * pe.pow(lam - 0.5, 2) + 104.0 / 45.0 * pe.pow(lam - 0.5, 4)
    return pe.where(away, exact, series)


class _SmallVAE(nn.Module):
    def __init__(self, pixels, latent):
        super().__init__()
        self.pixels = pixels
        self.enc = nn.Linear(pixels, 64)
        self.mean, self.logvar = nn.Linear(64, latent), nn.Linear(64, latent)
        self.dec = nn.Sequential(nn.Linear(latent, 64), nn.ReLU(), nn.Linear(64, pixels))

    def decode(self, z):
        return pe.clamp(pe.sigmoid(self.dec(z)), min=1e-4, max=1 - 1e-4)

    def forward(self, img):
        h = F.relu(self.enc(img.view(-1, self.pixels)))
        mu, lv = self.mean(h), self.logvar(h)
        z = mu + pe.randn_like(mu) * pe.exp(0.5 * lv)
        return self.decode(z), mu, lv


def test_continuous_bernoulli_vae_trains():
    pe.manual_seed(6)
    rng = np.random.default_rng(6)
    fill = np.arange(12)[None, None, :, None] < rng.integers(3, 10, (48, 1, 1, 1))
    img = np.clip(rng.random((48, 1, 12, 12)) * 0.3 + fill * 0.6, 0, 1).astype("float32")
    loader = pe.utils.data.DataLoader(
        pe.utils.data.TensorDataset(pe.tensor(img), pe.zeros(48)), batch_size=16, shuffle=True)
    vae = _SmallVAE(144, 4)
    opt = optim.Adam(vae.parameters(), lr=3e-3)

    def objective(x, rec, mu, lv):
        recon = F.binary_cross_entropy(rec, x.view(-1, 144), reduction="sum")
        kl = -0.5 * pe.sum(1 + lv - mu.pow(2) - lv.exp())
        return recon - pe.sum(_cb_log_norm(rec)) + kl

    per_epoch = []
    for _ in range(4):
        total = 0.0
        for xb, _ in loader:
            opt.zero_grad()
            loss = objective(xb, *vae(xb))
            loss.backward()
            opt.step()
            total += loss.item()
        per_epoch.append(total / 48)
    assert per_epoch[-1] < per_epoch[0] - 5
    with pe.no_grad():
        assert vae.decode(pe.randn(5, 4)).shape == (5, 144)
    lam = np.array([1e-4, 0.2, 0.495, 0.5, 0.505, 0.8, 1 - 1e-4])
    c = np.where((lam <= 0.49) | (lam > 0.51), lam, 0.49)
    ref = np.where((lam <= 0.49) | (lam > 0.51),
                   np.log(np.abs(2 * np.arctanh(1 - 2 * c))) - np.log(np.abs(1 - 2 * c)),
                   np.log(2) + 4 / 3 * (lam - 0.5) ** 2 + 104 / 45 * (lam - 0.5) ** 4)
    np.testing.assert_allclose(_cb_log_norm(pe.tensor(lam)).numpy(), ref, rtol=1e-5)


def test_comparison_and_pow_functions():
    a = pe.tensor([1.0, 2.0, 3.0])
    b = pe.tensor([2.0, 2.0, 2.0])
    for fn, ref in ((pe.eq, [0, 1, 0]), (pe.ne, [1, 0, 1]), (pe.lt, [1, 0, 0]),
                    (pe.le, [1, 1, 0]), (pe.gt, [0, 0, 1]), (pe.ge, [0, 1, 1])):
        np.testing.assert_array_equal(fn(a, b).numpy(), np.array(ref, bool))
        np.testing.assert_array_equal(fn(a, 2.0).numpy(), np.array(ref, bool))
    x = pe.tensor([0.5, 1.5, 2.0], requires_grad=True)
    y = pe.pow(x, 3)
    np.testing.assert_allclose(y.detach().numpy(), [0.125, 3.375, 8.0], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([0.5, 1.5, 2.0]) ** 2, rtol=1e-6)
    np.testing.assert_allclose(pe.pow(x, x).detach().numpy(),
                               np.array([0.5, 1.5, 2.0]) ** np.array([0.5, 1.5, 2.0]), rtol=1e-6)
