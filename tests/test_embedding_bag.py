"""F.embedding_bag and nn.EmbeddingBag (nn/functional_embedding_bag.py): every mode against a
NumPy float64 loop over the bags and against torch when it imports, gradients by gradcheck,
empty bags, padding_idx, per_sample_weights, include_last_offset, the module, and the errors."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import functional as F
from pyengine.testing import gradcheck

W = np.random.default_rng(0).standard_normal((7, 3))

# (input, offsets, include_last_offset, padding_idx, per_sample_weights)
CASES = [
    (np.array([1, 2, 4, 5, 4, 3, 2, 6]), np.array([0, 4]), False, None),
    (np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2, 2, 5]), False, None),       # an empty bag
    (np.array([[1, 2, 3], [4, 4, 0], [3, 3, 3]]), None, False, 3),              # padding row
    (np.array([0, 6, 2, 5]), np.array([0, 1, 4]), True, None),
    (np.array([], np.int64), np.array([0, 0]), False, None),                    # all empty
    (np.array([2]), np.array([0]), False, 2),                                   # only padding
]


def t64(a, grad=False):
    return pe.tensor(np.asarray(a, np.float64), dtype=pe.float64, requires_grad=grad)


def reference(inp, w, off, last, pad, mode, psw=None):
    """One loop over the bags in float64."""
    if inp.ndim == 2:
        bags = [list(range(i * inp.shape[1], (i + 1) * inp.shape[1])) for i in range(len(inp))]
        flat = inp.reshape(-1)
    else:
        ends = list(off[1:]) + ([] if last else [len(inp)])
        bags = [list(range(s, e)) for s, e in zip(off, ends)]
        flat = inp
    psw = np.ones(flat.size) if psw is None else np.asarray(psw).reshape(-1)
    out = np.zeros((len(bags), w.shape[1]))
    for b, entries in enumerate(bags):
        rows = [w[flat[k]] * psw[k] for k in entries if flat[k] != pad]
        if rows:
            out[b] = {"sum": np.sum, "mean": np.mean, "max": np.max}[mode](rows, axis=0)
    return out


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_modes_against_numpy(mode, case):
    inp, off, last, pad = CASES[case]
    out = F.embedding_bag(pe.tensor(inp), t64(W), None if off is None else pe.tensor(off),
                          mode=mode, include_last_offset=last, padding_idx=pad)
    np.testing.assert_allclose(out.numpy(), reference(inp, W, off, last, pad, mode),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", [0, 1, 2, 3])
def test_gradcheck(mode, case):
    inp, off, last, pad = CASES[case]
    w = t64(W, grad=True)
    assert gradcheck(lambda w: F.embedding_bag(pe.tensor(inp), w, None if off is None else
                                               pe.tensor(off), mode=mode,
                                               include_last_offset=last, padding_idx=pad), [w])


def test_per_sample_weights_forward_and_gradients():
    inp, off = np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2, 2, 5])
    psw = np.random.default_rng(1).standard_normal(inp.shape)
    out = F.embedding_bag(pe.tensor(inp), t64(W), pe.tensor(off), mode="sum",
                          per_sample_weights=t64(psw), padding_idx=4)
    np.testing.assert_allclose(out.numpy(), reference(inp, W, off, False, 4, "sum", psw),
                               rtol=1e-12, atol=1e-12)
    w, p = t64(W, True), t64(psw, True)
    assert gradcheck(lambda w, p: F.embedding_bag(pe.tensor(inp), w, pe.tensor(off), mode="sum",
                                                  per_sample_weights=p, padding_idx=4), [w, p])
    p.grad = None
    F.embedding_bag(pe.tensor(inp), w, pe.tensor(off), mode="sum", per_sample_weights=p,
                    padding_idx=4).sum().backward()
    assert p.grad.numpy()[2] == 0 and p.grad.numpy()[4] == 0  # padding entries: no gradient


def test_max_ties_send_the_gradient_to_one_entry():
    w = t64([[1.0, 5.0], [1.0, 0.0]], grad=True)
    F.embedding_bag(pe.tensor([[0, 1, 0]]), w, mode="max").sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_against_torch(mode):
    torch = pytest.importorskip("torch")
    for inp, off, last, pad in CASES:
        w, tw = t64(W, True), torch.tensor(W, requires_grad=True)
        out = F.embedding_bag(pe.tensor(inp), w, None if off is None else pe.tensor(off),
                              mode=mode, include_last_offset=last, padding_idx=pad)
        ref = torch.nn.functional.embedding_bag(
            torch.tensor(inp), tw, None if off is None else torch.tensor(off), mode=mode,
            include_last_offset=last, padding_idx=pad)
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
        v = np.random.default_rng(3).standard_normal(ref.shape)
        (out * t64(v)).sum().backward()
        (ref * torch.tensor(v)).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_module_matches_functional_and_from_pretrained():
    pe.manual_seed(0)
    m = nn.EmbeddingBag(7, 3, mode="sum", padding_idx=0)
    assert np.all(m.weight.detach().numpy()[0] == 0) and m.weight.requires_grad
    inp, off = pe.tensor([1, 0, 2, 3]), pe.tensor([0, 2])
    np.testing.assert_array_equal(m(inp, off).detach().numpy(),
                                  F.embedding_bag(inp, m.weight, off, mode="sum",
                                                  padding_idx=0).detach().numpy())
    f = nn.EmbeddingBag.from_pretrained(t64(W), mode="max")
    assert not f.weight.requires_grad and f.mode == "max"
    np.testing.assert_allclose(f(pe.tensor([[1, 2]])).numpy(), [np.maximum(W[1], W[2])])
    g = nn.EmbeddingBag.from_pretrained(t64(W), freeze=False, include_last_offset=True)
    assert g.weight.requires_grad
    np.testing.assert_allclose(g(pe.tensor([1, 2, 3]), pe.tensor([0, 1, 3])).detach().numpy(),
                               [W[1], (W[2] + W[3]) / 2], rtol=1e-12)
    w = pe.zeros(7, 3)
    assert nn.EmbeddingBag(7, 3, _weight=w).weight.shape == (7, 3)
    assert "mode='sum'" in repr(m)
    # As in PyTorch, neither class is a subclass of the other (code that inits layers by type).
    assert not isinstance(m, nn.Embedding) and not isinstance(nn.Embedding(3, 2), nn.EmbeddingBag)


@pytest.mark.parametrize("kwargs, inputs, exc, text", [
    (dict(mode="min"), ([[1]],), ValueError, "mode must be"),
    (dict(), ([1, 2],), ValueError, "needs offsets"),
    (dict(), ([[1, 2]], [0]), ValueError, "offsets must be None"),
    (dict(), ([1, 2], [1]), ValueError, "offsets[0] must be 0"),
    (dict(), ([1, 2, 3], [0, 2, 1]), ValueError, "non-decreasing"),
    (dict(), ([1, 2], [0, 3]), ValueError, "past the end"),
    (dict(include_last_offset=True), ([1, 2], [0, 1]), ValueError, "last offset must equal"),
    (dict(), ([[1, 9]],), IndexError, "out of range"),
    (dict(), ([[1, -1]],), IndexError, "out of range"),
    (dict(), ([[1.5]],), TypeError, "must hold integers"),
    (dict(), ([[[1]]],), ValueError, "input must be 1-D"),
    (dict(padding_idx=7), ([[1]],), ValueError, "padding_idx"),
    (dict(mode="mean", per_sample_weights=pe.ones(1, 1)), ([[1]],), ValueError,
     "only supported for mode='sum'"),
    (dict(mode="sum", per_sample_weights=pe.ones(2)), ([[1]],), ValueError, "input's shape"),
    (dict(max_norm=1.0), ([[1]],), NotImplementedError, "max_norm"),
    (dict(sparse=True), ([[1]],), NotImplementedError, "sparse"),
    (dict(scale_grad_by_freq=True), ([[1]],), NotImplementedError, "scale_grad_by_freq"),
])
def test_errors(kwargs, inputs, exc, text):
    args = [pe.tensor(inputs[0])] + ([pe.tensor(inputs[1])] if len(inputs) > 1 else [None])
    with pytest.raises(exc, match=r"\[embedding_bag\] .*" + text.replace("[", r"\[")
                       .replace("]", r"\]")):
        F.embedding_bag(args[0], pe.zeros(7, 3), args[1], **kwargs)


def test_module_errors():
    with pytest.raises(ValueError, match=r"\[EmbeddingBag\] mode"):
        nn.EmbeddingBag(3, 2, mode="prod")
    with pytest.raises(NotImplementedError, match=r"\[EmbeddingBag\] max_norm"):
        nn.EmbeddingBag(3, 2, max_norm=1.0)
    with pytest.raises(ValueError, match=r"from_pretrained\] embeddings must be 2-D"):
        nn.EmbeddingBag.from_pretrained(pe.zeros(3))


def test_text_classification_tutorial_pattern_trains():
    """The PyTorch text-classification tutorial's model and loop (EmbeddingBag over a flat token
    list with offsets, a Linear head, init_weights with uniform_, CrossEntropyLoss, SGD lr 5,
    clip_grad_norm_, StepLR) on synthetic two-topic bags: accuracy rises from chance to ~all."""
    pe.manual_seed(0)
    rng = np.random.default_rng(0)
    vocab, classes = 50, 2

    class TextClassificationModel(nn.Module):
        def __init__(self, vocab_size, embed_dim, num_class):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = nn.Linear(embed_dim, num_class)
            self.init_weights()

        def init_weights(self):
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):
            return self.fc(self.embedding(text, offsets))

    def batch(n=32):
        labels = rng.integers(0, classes, n)
        texts = [rng.integers(0, vocab // 2, rng.integers(3, 9)) + (vocab // 2) * y
                 for y in labels]  # topic y draws its tokens from its half of the vocabulary
        offsets = np.cumsum([0] + [len(t) for t in texts[:-1]])
        return pe.tensor(np.concatenate(texts)), pe.tensor(offsets), pe.tensor(labels)

    model = TextClassificationModel(vocab, 16, classes)
    criterion = nn.CrossEntropyLoss()
    optimizer = pe.optim.SGD(model.parameters(), lr=5)
    scheduler = pe.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)

    def accuracy():
        text, offsets, label = batch(256)
        with pe.no_grad():
            return float((model(text, offsets).argmax(1) == label).float().mean())

    before = accuracy()
    for _ in range(40):
        text, offsets, label = batch()
        optimizer.zero_grad()
        loss = criterion(model(text, offsets), label)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
    scheduler.step()
    assert before < 0.8 and accuracy() > 0.95
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5)
