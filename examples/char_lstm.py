"""Character-level language model (pe.nn, PyTorch style): Embedding -> 2-layer LSTM -> Linear,
trained on next-character prediction, then sampling text from it.

    python examples/char_lstm.py                      # generated corpus (a small grammar)
    python examples/char_lstm.py --data input.txt     # any text file (e.g. tiny-shakespeare)
    python examples/char_lstm.py --quick              # a few seconds (the test runs this)

Prints the validation loss in bits per character next to the unigram baseline (what a model
that ignores context gets), the training time, and a sample.
"""
import argparse
import math
import time

import numpy as np

import pyengine as pe
from pyengine import nn
import pyengine.nn.functional as F


def generated_corpus(n_sentences, rng):
    """Sentences from a small grammar: enough structure for an LSTM to learn words, spacing,
    capitals and punctuation."""
    subj = ["the cat", "a dog", "my friend", "the old man", "a small bird", "the teacher"]
    verb = ["sees", "likes", "follows", "finds", "watches", "calls"]
    obj = ["the river", "a red ball", "the moon", "her brother", "the garden", "a long road"]
    tail = ["today", "at night", "again", "slowly", "in the rain", "every morning"]
    out = []
    for _ in range(n_sentences):
        s = f"{rng.choice(subj)} {rng.choice(verb)} {rng.choice(obj)} {rng.choice(tail)}"
        out.append(s[0].upper() + s[1:] + rng.choice([".", ".", "!", "?"]) + " ")
    return "".join(out)


class CharLM(nn.Module):
    def __init__(self, vocab, embed, hidden, layers, dropout):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx, state=None):
        out, state = self.lstm(self.embed(idx), state)
        return self.head(out), state


def batches(data, seq_len, batch, rng):
    starts = rng.integers(0, len(data) - seq_len - 1, batch)
    x = np.stack([data[s:s + seq_len] for s in starts])
    y = np.stack([data[s + 1:s + seq_len + 1] for s in starts])
    return x, y


def evaluate(model, data, seq_len, vocab):
    model.eval()
    n = (len(data) - 1) // seq_len
    x = data[:n * seq_len].reshape(n, seq_len)
    y = data[1:n * seq_len + 1].reshape(n, seq_len)
    with pe.no_grad():
        logits, _ = model(pe.tensor(x))
        loss = F.cross_entropy(logits.reshape(-1, vocab), pe.tensor(y.reshape(-1)))
    model.train()
    return loss.item()


def sample(model, stoi, itos, prompt, length, temperature, rng):
    model.eval()
    state, out = None, list(prompt)
    idx = np.array([[stoi[c] for c in prompt]])
    with pe.no_grad():
        for _ in range(length):
            logits, state = model(pe.tensor(idx), state)
            p = logits.numpy()[0, -1].astype(np.float64) / temperature
            p = np.exp(p - p.max())
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            out.append(itos[nxt])
            idx = np.array([[nxt]])
    model.train()
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="a text file to learn (default: a generated corpus)")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--sample-len", type=int, default=200)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="tiny run (tests)")
    args = ap.parse_args()
    if args.quick:
        args.steps, args.hidden, args.seq_len, args.sample_len = 30, 32, 32, 60
    rng = np.random.default_rng(args.seed)
    pe.manual_seed(args.seed)
    if args.data:
        with open(args.data, encoding="utf-8", errors="replace") as f:
            text = f.read()
    else:
        text = generated_corpus(400 if args.quick else 4000, rng)
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.array([stoi[c] for c in text], np.int64)
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]
    vocab = len(chars)
    counts = np.bincount(train, minlength=vocab) + 1
    unigram_bits = -(counts / counts.sum() * np.log2(counts / counts.sum())).sum()

    model = CharLM(vocab, 32, args.hidden, args.layers, dropout=0.1 if args.layers > 1 else 0.0)
    opt = pe.optim.Adam(model.parameters(), lr=args.lr)
    print(f"{len(text):,} characters, vocabulary {vocab}, LSTM {args.layers} x {args.hidden}, "
          f"{args.steps} steps of {args.batch} x {args.seq_len}")
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = batches(train, args.seq_len, args.batch, rng)
        logits, _ = model(pe.tensor(x))
        loss = F.cross_entropy(logits.reshape(-1, vocab), pe.tensor(y.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % max(1, args.steps // 5) == 0:
            print(f"step {step:4d}  train loss {loss.item():.3f} nats/char")
    train_time = time.perf_counter() - t0
    val_bits = evaluate(model, val, args.seq_len, vocab) / math.log(2)
    print(f"validation: {val_bits:.3f} bits/char (unigram baseline {unigram_bits:.3f}); "
          f"trained in {train_time:.1f} s ({args.steps / train_time:.1f} steps/s)")
    prompt = text[:1] if text[:1] in stoi else chars[0]
    print("sample:", repr(sample(model, stoi, chars, prompt, args.sample_len, args.temperature,
                                 rng)))


if __name__ == "__main__":
    main()
