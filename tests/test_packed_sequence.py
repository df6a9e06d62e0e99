"""PackedSequence (pyengine/nn/utils/rnn.py) and nn.RNN / LSTM / GRU on packed batches
(nn/layers/rnn.py): every sequence of a packed batch gives what it gives run alone, in any batch
order, with and without hx; the packing round trip and its options; gradcheck through
pack -> GRU -> pad; PyTorch's results on the same packed batches when torch is installed."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
from pyengine.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence,
                                   pad_packed_sequence)
from pyengine.testing import gradcheck

T, I, H = 6, 3, 4
LENGTHS = [6, 2, 5, 3, 1]  # unsorted, with a length-1 sequence and a full one


def vals(t):
    """A result's values (results of parametrised modules require grad)."""
    return t.detach().numpy()


def padded(rng, lengths=LENGTHS, t=T):
    x = rng.standard_normal((t, len(lengths), I))
    for b, n in enumerate(lengths):
        x[n:, b] = 7.0  # junk in the padding: it must not leak into any result
    return x


def layer(mode, bidirectional, num_layers, seed=0):
    pe.manual_seed(seed)
    return getattr(nn, mode)(I, H, num_layers=num_layers, bidirectional=bidirectional,
                             dtype=pe.float64)


CONFIGS = [("RNN", False, 1), ("LSTM", False, 2), ("GRU", True, 1), ("LSTM", True, 2),
           ("RNN", True, 2)]


@pytest.mark.parametrize("mode, bidirectional, num_layers", CONFIGS)
@pytest.mark.parametrize("with_hx", [False, True])
def test_packed_batch_matches_each_sequence_alone(mode, bidirectional, num_layers, with_hx):
    rng = np.random.default_rng(1)
    m = layer(mode, bidirectional, num_layers)
    x = padded(rng)
    dirs = 2 if bidirectional else 1
    hx = None
    if with_hx:
        h0 = rng.standard_normal((num_layers * dirs, len(LENGTHS), H))
        c0 = rng.standard_normal((num_layers * dirs, len(LENGTHS), H))
        hx = (pe.tensor(h0), pe.tensor(c0)) if mode == "LSTM" else pe.tensor(h0)
    out, state = m(pack_padded_sequence(pe.tensor(x), LENGTHS, enforce_sorted=False), hx)
    assert isinstance(out, PackedSequence)
    y, lens = pad_packed_sequence(out)
    assert lens.numpy().tolist() == LENGTHS
    h_n = state[0] if mode == "LSTM" else state
    for b, n in enumerate(LENGTHS):
        hb = None
        if with_hx:
            hb = ((pe.tensor(h0[:, b:b + 1]), pe.tensor(c0[:, b:b + 1])) if mode == "LSTM"
                  else pe.tensor(h0[:, b:b + 1]))
        y1, s1 = m(pe.tensor(x[:n, b:b + 1]), hb)
        np.testing.assert_allclose(vals(y)[:n, b], vals(y1)[:, 0], rtol=1e-12, atol=1e-13)
        assert np.all(vals(y)[n:, b] == 0)
        h1 = s1[0] if mode == "LSTM" else s1
        np.testing.assert_allclose(vals(h_n)[:, b], vals(h1)[:, 0], rtol=1e-12, atol=1e-13)
        if mode == "LSTM":
            np.testing.assert_allclose(vals(state[1])[:, b], vals(s1[1])[:, 0], rtol=1e-12,
                                       atol=1e-13)


def test_batch_first_sorted_input_and_pack_sequence():
    rng = np.random.default_rng(2)
    m = layer("GRU", True, 1)
    lengths = sorted(LENGTHS, reverse=True)
    x = padded(rng, lengths)
    p = pack_padded_sequence(pe.tensor(x.transpose(1, 0, 2)), lengths, batch_first=True)
    assert p.sorted_indices is None and p.unsorted_indices is None
    assert p.batch_sizes.numpy().tolist() == [5, 4, 3, 2, 2, 1]
    out, h = m(p)
    y, lens = pad_packed_sequence(out, batch_first=True, padding_value=-1.0, total_length=8)
    assert y.shape == (5, 8, 2 * H) and lens.numpy().tolist() == lengths
    y2, _ = pad_packed_sequence(m(pack_sequence([pe.tensor(x[:n, b])
                                                 for b, n in enumerate(lengths)]))[0])
    np.testing.assert_array_equal(vals(y)[:, :T].transpose(1, 0, 2)[vals(y2) != 0],
                                  vals(y2)[vals(y2) != 0])
    for b, n in enumerate(lengths):
        assert np.all(vals(y)[b, n:] == -1.0)


def test_packing_round_trip_and_namedtuple_unpacking():
    rng = np.random.default_rng(3)
    x = padded(rng)
    p = pack_padded_sequence(pe.tensor(x), pe.tensor(np.array(LENGTHS)), enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert data.shape == (sum(LENGTHS), I) and p[1] is batch_sizes and len(p) == 4
    assert sorted_indices.numpy().tolist() == [0, 2, 3, 1, 4]
    assert unsorted_indices.numpy().tolist() == [0, 3, 1, 2, 4]
    # step t of the sorted batch's still-running sequences, in order
    np.testing.assert_array_equal(data.numpy()[:5], x[0, [0, 2, 3, 1, 4]])
    np.testing.assert_array_equal(data.numpy()[5:9], x[1, [0, 2, 3, 1]])
    back, lens = pad_packed_sequence(p)
    mask = np.arange(T)[:, None] < np.array(LENGTHS)[None, :]
    np.testing.assert_array_equal(back.numpy()[mask], x[mask])
    assert np.all(back.numpy()[~mask] == 0) and lens.numpy().tolist() == LENGTHS
    assert "PackedSequence(" in repr(p) and p.to(pe.float32).data.dtype == pe.float32


def test_gradcheck_through_packing():
    rng = np.random.default_rng(4)
    m = layer("GRU", True, 1)
    lengths = [3, 1, 2]
    x = pe.tensor(padded(rng, lengths, 3), requires_grad=True)

    def f(x):
        out, h = m(pack_padded_sequence(x, lengths, enforce_sorted=False))
        return (pad_packed_sequence(out)[0] ** 2).sum() + (h * h).sum()

    assert gradcheck(f, (x,))
    f(x).backward()
    g = x.grad.numpy()
    for b, n in enumerate(lengths):
        assert np.all(g[n:, b] == 0)  # the padding reaches no result
        assert np.all(g[:n, b] != 0)


def test_packing_errors():
    x = pe.zeros(4, 3, I)
    with pytest.raises(ValueError, match="decreasing order with enforce_sorted=True"):
        pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(ValueError, match="every length must be positive"):
        pack_padded_sequence(x, [4, 0, 1])
    with pytest.raises(ValueError, match=r"a length \(5\) exceeds the 4 padded steps"):
        pack_padded_sequence(x, [5, 1, 1])
    with pytest.raises(ValueError, match="got 2 lengths for a batch of 3"):
        pack_padded_sequence(x, [4, 1])
    with pytest.raises(TypeError, match="expected a PackedSequence"):
        pad_packed_sequence(x)
    p = pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=3 is below the longest sequence"):
        pad_packed_sequence(p, total_length=3)
    with pytest.raises(ValueError, match=r"packed data must be \(steps, input_size=3\)"):
        nn.GRU(3, 2)(pack_padded_sequence(pe.zeros(4, 3, 5), [4, 2, 1]))


@pytest.mark.parametrize("mode, bidirectional, num_layers", CONFIGS)
def test_against_torch(mode, bidirectional, num_layers):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    m = layer(mode, bidirectional, num_layers)
    ours = getattr(torch.nn, mode)(I, H, num_layers=num_layers,
                                   bidirectional=bidirectional).double()
    ours.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    x = padded(rng)
    X, TX = pe.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, s = m(pack_padded_sequence(X, LENGTHS, enforce_sorted=False))
    tout, ts = ours(torch.nn.utils.rnn.pack_padded_sequence(TX, LENGTHS, enforce_sorted=False))
    np.testing.assert_array_equal(out.batch_sizes.numpy(), tout.batch_sizes.numpy())
    np.testing.assert_allclose(vals(out.data), tout.data.detach().numpy(), rtol=1e-12,
                               atol=1e-13)
    h, th = (s[0], ts[0]) if mode == "LSTM" else (s, ts)
    np.testing.assert_allclose(vals(h), th.detach().numpy(), rtol=1e-12, atol=1e-13)
    (out.data.sum() + (h * h).sum()).backward()
    (tout.data.sum() + (th * th).sum()).backward()
    np.testing.assert_allclose(X.grad.numpy(), TX.grad.numpy(), rtol=1e-11, atol=1e-12)
    for (name, p), tp in zip(m.named_parameters(), ours.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-11, atol=1e-12,
                                   err_msg=name)
