"""RNN / LSTM / GRU: a NumPy float64 reference of each recurrence, PyTorch with the same weights
(multi-layer, batch_first, bidirectional, given initial state), gradcheck, shapes, cells."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:  # optional cross-check
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def sig(x):
    return 1 / (1 + np.exp(-x))


def np_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One time step in float64, written from the equations in PyTorch's documentation."""
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    n = h.shape[-1]
    if mode == "RNN":
        return np.tanh(gi + gh), None
    if mode == "LSTM":
        g = gi + gh
        i, f, gg, o = sig(g[:, :n]), sig(g[:, n:2 * n]), np.tanh(g[:, 2 * n:3 * n]), sig(g[:, 3 * n:])
        c = f * c + i * gg
        return o * np.tanh(c), c
    r, z = sig(gi[:, :n] + gh[:, :n]), sig(gi[:, n:2 * n] + gh[:, n:2 * n])
    cand = np.tanh(gi[:, 2 * n:] + r * gh[:, 2 * n:])
    return (1 - z) * cand + z * h, None


def np_rnn(mode, m, x):
    """Multi-layer unidirectional reference over (T, B, I) input, zero initial state."""
    sd = {k: v.data.astype(np.float64) for k, v in m.state_dict().items()}
    T, B = x.shape[:2]
    hs, cs = [], []
    for layer in range(m.num_layers):
        w = [sd[f"{k}_l{layer}"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        h = np.zeros((B, m.hidden_size))
        c = np.zeros((B, m.hidden_size))
        out = []
        for t in range(T):
            h, c = np_step(mode, x[t], h, c, *w)
            out.append(h)
        x = np.stack(out)
        hs.append(h)
        cs.append(c)
    return x, np.stack(hs), (np.stack(cs) if mode == "LSTM" else None)


CLASSES = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_numpy_reference_two_layers(mode):
    pe.manual_seed(0)
    m = CLASSES[mode](3, 4, num_layers=2)
    x = rnd(5, 2, 3).astype(np.float32)
    res = m(pe.tensor(x))
    out, h_n = res[0], (res[1][0] if mode == "LSTM" else res[1])
    ref_out, ref_h, ref_c = np_rnn(mode, m, x.astype(np.float64))
    assert out.shape == (5, 2, 4) and h_n.shape == (2, 2, 4)
    np.testing.assert_allclose(out.data, ref_out, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h_n.data, ref_h, rtol=1e-4, atol=1e-5)
    if mode == "LSTM":
        np.testing.assert_allclose(res[1][1].data, ref_c, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_gradcheck_all_parameters(mode):
    pe.manual_seed(1)
    m = CLASSES[mode](2, 3, num_layers=2, bidirectional=True, batch_first=True).double()
    x = pe.tensor(rnd(2, 3, 2), dtype=pe.float64, requires_grad=True)

    def fn(inp, *params):
        res = m(inp)
        return res[0], (res[1][0] if mode == "LSTM" else res[1])
    assert gradcheck(fn, [x] + list(m.parameters()))


def test_gradcheck_initial_state_lstm():
    m = nn.LSTM(2, 3).double()
    x = pe.tensor(rnd(3, 2, 2), dtype=pe.float64, requires_grad=True)
    h0 = pe.tensor(rnd(1, 2, 3, seed=1), dtype=pe.float64, requires_grad=True)
    c0 = pe.tensor(rnd(1, 2, 3, seed=2), dtype=pe.float64, requires_grad=True)
    assert gradcheck(lambda a, h, c: m(a, (h, c))[1][1], [x, h0, c0])


def test_parameter_names_shapes_counts():
    m = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    shapes = {k: v.shape for k, v in m.named_parameters()}
    assert shapes["weight_ih_l0"] == (80, 10) and shapes["weight_hh_l0"] == (80, 20)
    assert shapes["weight_ih_l1_reverse"] == (80, 40) and shapes["bias_hh_l1_reverse"] == (80,)
    assert len(shapes) == 16
    g = nn.GRU(10, 20, bias=False)
    assert [k for k, _ in g.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert sum(p.numel() for p in nn.RNN(10, 20).parameters()) == 20 * 10 + 20 * 20 + 40
    bound = 1 / np.sqrt(20)
    assert all(np.abs(p.data).max() <= bound for p in m.parameters())


def test_batch_first_unbatched_and_errors():
    pe.manual_seed(0)
    m = nn.GRU(3, 4, batch_first=True)
    x = pe.randn(2, 5, 3)
    out, h = m(x)
    assert out.shape == (2, 5, 4) and h.shape == (1, 2, 4)
    np.testing.assert_allclose(out.data[:, -1], h.data[0], rtol=1e-6)
    out1, h1 = m(x[0])  # unbatched (T, I)
    assert out1.shape == (5, 4) and h1.shape == (1, 4)
    np.testing.assert_allclose(out1.data, out.data[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"\[GRU\] input has 2 features"):
        m(pe.randn(2, 5, 2))
    with pytest.raises(ValueError, match=r"\[GRU\] expected hidden state of shape \(1, 2, 4\)"):
        m(x, pe.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="hx must be a tuple"):
        nn.LSTM(3, 4)(pe.randn(5, 2, 3), pe.zeros(1, 2, 4))


def test_dropout_between_layers_only_in_training():
    pe.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = pe.randn(4, 2, 3)
    m.eval()
    a, b = m(x)[0].data, m(x)[0].data
    np.testing.assert_array_equal(a, b)
    m.train()
    assert not np.allclose(m(x)[0].data, a)


def test_cells_match_one_step_of_the_layer():
    pe.manual_seed(0)
    for layer_cls, cell_cls in ((nn.RNN, nn.RNNCell), (nn.LSTM, nn.LSTMCell),
                                (nn.GRU, nn.GRUCell)):
        layer, cell = layer_cls(3, 4), cell_cls(3, 4)
        cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
        x = pe.randn(1, 2, 3)
        res = layer(x)
        h = res[1][0] if layer_cls is nn.LSTM else res[1]
        step = cell(x[0])
        step_h = step[0] if layer_cls is nn.LSTM else step
        np.testing.assert_allclose(step_h.data, h.data[0], rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2, batch_first=True),
                                dict(num_layers=2, bidirectional=True),
                                dict(bias=False, batch_first=True, bidirectional=True)])
def test_vs_torch_same_weights(mode, kw):
    pe.manual_seed(0)
    ours = CLASSES[mode](3, 5, **kw).double()
    theirs = getattr(torch.nn, mode)(3, 5, **kw).double()
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.data)) for k, v in
                            ours.state_dict().items()})
    x = rnd(2, 4, 3)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h0 = rnd(layers, 2 if kw.get("batch_first") else 4, 5, seed=3)
    xp = pe.tensor(x, dtype=pe.float64, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    if mode == "LSTM":
        c0 = rnd(*h0.shape, seed=4)
        (op, (hp, cp)), (ot, (ht, ct)) = (ours(xp, (pe.tensor(h0, dtype=pe.float64),
                                                    pe.tensor(c0, dtype=pe.float64))),
                                          theirs(xt, (torch.tensor(h0), torch.tensor(c0))))
        np.testing.assert_allclose(cp.data, ct.detach().numpy(), atol=1e-10)
    else:
        (op, hp), (ot, ht) = ours(xp, pe.tensor(h0, dtype=pe.float64)), theirs(xt, torch.tensor(h0))
    np.testing.assert_allclose(op.data, ot.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(hp.data, ht.detach().numpy(), atol=1e-10)
    g = rnd(*op.shape, seed=5)
    ((op * pe.tensor(g, dtype=pe.float64)).sum() + hp.sum()).backward()
    ((ot * torch.tensor(g)).sum() + ht.sum()).backward()
    np.testing.assert_allclose(xp.grad.data, xt.grad.numpy(), atol=1e-10)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, tp[name].grad.numpy(), atol=1e-10, err_msg=name)


def test_repr():
    assert repr(nn.LSTM(3, 4, 2, batch_first=True)) == "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity='relu')"


def test_long_sequence_input_gradient():
    # T > 16 takes the blocked per-step slicing path; check the input gradient end to end.
    pe.manual_seed(0)
    m = nn.GRU(2, 2, batch_first=True).double()
    x = pe.tensor(rnd(1, 21, 2), dtype=pe.float64, requires_grad=True)
    assert gradcheck(lambda a: m(a)[0], [x])


def masked_stack(m, x, mask):
    """m's layers and directions run through ops.rnn.recurrence with a (T, B) mask (Keras'
    masking: masked steps carry the state). Returns (output (T, B, D*H), h_n (L*D, B, H))."""
    from pyengine.ops.rnn import recurrence
    dirs = 2 if m.bidirectional else 1
    h_n = []
    for layer in range(m.num_layers):
        outs = []
        for d in range(dirs):
            y, h, _ = recurrence(x, *m._weights(layer, d), mode=m.mode, reverse=d == 1, mask=mask)
            outs.append(y)
            h_n.append(h)
        x = outs[0] if dirs == 1 else pe.cat(outs, -1)
    return x, pe.stack(h_n, 0)


@needs_torch
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
def test_masked_vs_torch_packed_sequences(mode, layers, bidirectional):
    """A (T, B) mask of post-padded sequences gives what PyTorch gives for the same sequences
    packed (pack_padded_sequence): outputs at the valid steps, the final states (the state at
    each sequence's last valid step, and for the reverse direction after step 0), and the
    gradients of every weight and of the input (zero at the padded steps)."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    pe.manual_seed(1)
    ours = CLASSES[mode](3, 4, num_layers=layers, bidirectional=bidirectional).double()
    theirs = getattr(torch.nn, mode)(3, 4, num_layers=layers, bidirectional=bidirectional).double()
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.data)) for k, v in
                            ours.state_dict().items()})
    lengths = [5, 2, 4, 1]
    T, B = 5, len(lengths)
    valid = (np.arange(T)[:, None] < np.array(lengths)[None, :])
    x = rnd(T, B, 3, seed=7)
    g = rnd(T, B, 4 * (2 if bidirectional else 1), seed=8) * valid[:, :, None]
    xp = pe.tensor(x, dtype=pe.float64, requires_grad=True)
    out_p, h_p = masked_stack(ours, xp, valid.astype(np.float64))
    xt = torch.tensor(x, requires_grad=True)
    packed_out, state = theirs(pack_padded_sequence(xt, lengths, enforce_sorted=False))
    out_t, _ = pad_packed_sequence(packed_out, total_length=T)
    h_t = state[0] if mode == "LSTM" else state
    np.testing.assert_allclose(out_p.data * valid[:, :, None], out_t.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(h_p.data, h_t.detach().numpy(), atol=1e-10)
    ((out_p * pe.tensor(g, dtype=pe.float64)).sum() + (h_p * h_p).sum()).backward()
    ((out_t * torch.tensor(g)).sum() + (h_t * h_t).sum()).backward()
    np.testing.assert_allclose(xp.grad.data, xt.grad.numpy(), atol=1e-10)
    assert not xp.grad.data[~valid].any()
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, tp[name].grad.numpy(), atol=1e-10, err_msg=name)
