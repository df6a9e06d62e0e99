"""The whole-sequence recurrent kernel (ops.rnn.recurrence, csrc/rnn) against the same
recurrence composed from per-step ops (ops.rnn.recurrence_composed, autograd gradients): every
mode, direction, masked / unmasked, float32 / float64, every ISA path; gradcheck in float64;
1 vs 2 threads bitwise; bad input."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import _C
from pyengine.ops.rnn import GATES, MODES, recurrence, recurrence_composed
from pyengine.testing import gradcheck

ALL_MODES = sorted(MODES)


def make(mode, T=5, B=6, I=3, H=4, dtype=np.float64, seed=0, bias=True):
    rng = np.random.default_rng(seed)
    G = GATES[mode] * H

    def t(*shape):
        return pe.tensor(rng.standard_normal(shape) * 0.6, dtype=pe.float64 if dtype == np.float64
                         else pe.float32, requires_grad=True)
    x, w_ih, w_hh = t(T, B, I), t(G, I), t(G, H)
    b_ih, b_hh = (t(G), t(G)) if bias else (None, None)
    h0, c0 = t(B, H), (t(B, H) if mode == "LSTM" else None)
    return [x, w_ih, w_hh, b_ih, b_hh, h0, c0]


def run_both(mode, args, reverse, mask):
    results = []
    for fn in (recurrence, recurrence_composed):
        for a in args:
            if a is not None:
                a.grad = None
        y, h, c = fn(*args, mode=mode, reverse=reverse, mask=mask)
        rng = np.random.default_rng(1)
        loss = (y * pe.tensor(rng.standard_normal(y.shape), dtype=y.dtype)).sum() + (h * h).sum()
        if c is not None:
            loss = loss + (c * 3.0).sum()
        loss.backward()
        results.append(([v._data.copy() for v in (y, h, c) if v is not None],
                        [None if a is None else a.grad._data.copy() for a in args]))
    return results


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_matches_composed_ops(mode, reverse, masked, dtype, isa):
    args = make(mode, dtype=dtype, bias=not (masked and reverse))
    mask = (np.random.default_rng(2).random((5, 6)) > 0.3).astype(dtype) if masked else None
    (out_k, g_k), (out_r, g_r) = run_both(mode, args, reverse, mask)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for a, b in zip(out_k, out_r):
        np.testing.assert_allclose(a, b, **tol)
    for a, b in zip(g_k, g_r):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("reverse", [False, True])
def test_gradcheck_float64(mode, reverse):
    args = make(mode, T=3, B=2, I=2, H=3, seed=3)
    mask = np.array([[1, 0], [0, 1], [1, 1]], np.float64)

    def fn(*a):
        y, h, c = recurrence(*a, mode=mode, reverse=reverse, mask=mask)
        return y.sum() + (h * 2.0).sum() + ((c * 3.0).sum() if c is not None else 0.0)
    assert gradcheck(fn, [a for a in args])


def test_masked_steps_carry_the_state():
    args = make("LSTM", T=4, B=2)
    mask = np.array([[1, 1], [0, 1], [0, 1], [1, 1]], np.float64)
    y, h, c = recurrence(*args, mode="LSTM", mask=mask)
    np.testing.assert_array_equal(y.data[1, 0], y.data[0, 0])
    np.testing.assert_array_equal(y.data[2, 0], y.data[0, 0])
    assert not np.array_equal(y.data[3, 0], y.data[2, 0])


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("batch", [70, 131])  # row blocks of 32 and of 64 (and a partial one)
def test_one_vs_two_threads_bitwise(mode, batch, threads):
    results = []
    for nt in (1, 2):
        threads(nt)
        args = make(mode, T=7, B=batch, I=9, H=33, dtype=np.float32, seed=4)
        mask = (np.random.default_rng(5).random((7, batch)) > 0.2).astype(np.float32)
        results.append(run_both(mode, args, True, mask)[0])
    (o1, g1), (o2, g2) = results
    for a, b in zip(o1 + g1, o2 + g2):
        if a is not None:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("batch", [3, 70])  # a partial row tile; row blocks of 32
def test_inference_without_gate_workspace_is_bitwise_the_same(mode, batch, isa):
    """gates=None (no backward follows: the kernel keeps the gate activations in per-step
    scratch) gives the same bits as the training forward, masked and reversed."""
    rng = np.random.default_rng(6)
    T, I, H = 6, 9, 33
    G = GATES[mode] * H

    def r(*shape):
        return (rng.standard_normal(shape) * 0.5).astype(np.float32)
    args = [MODES[mode], True, r(T, batch, I), r(G, I), r(G, H), r(G), r(G), r(batch, H),
            r(batch, H) if mode == "LSTM" else None,
            (rng.random((T, batch)) > 0.3).astype(np.float32)]
    outs = []
    for keep in (True, False):
        y, hn = np.empty((T, batch, H), np.float32), np.empty((batch, H), np.float32)
        gates = np.empty((T, batch, G), np.float32) if keep else None
        extra = np.empty((T, batch, H), np.float32) if mode in ("LSTM", "GRU",
                                                                 "GRU_RESET_BEFORE") else None
        _C.rnn_forward(*args, y, hn, None, gates, extra)
        outs.append((y, hn))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def kernel_args(mode="LSTM", T=3, B=2, I=4, H=5):
    G = GATES[mode] * H
    z = np.zeros
    return dict(mode=MODES[mode], reverse=False, x=z((T, B, I), np.float32),
                w_ih=z((G, I), np.float32), w_hh=z((G, H), np.float32), b_ih=None, b_hh=None,
                h0=z((B, H), np.float32), c0=z((B, H), np.float32) if mode == "LSTM" else None,
                mask=None, y=z((T, B, H), np.float32), h_n=None, c_n=None,
                gates=z((T, B, G), np.float32), extra=z((T, B, H), np.float32))


@pytest.mark.parametrize("change, message", [
    (dict(x=np.zeros((0, 2, 4), np.float32)), "empty sequence"),
    (dict(x=np.zeros((3, 0, 4), np.float32)), "zero batch"),
    (dict(x=np.zeros((3, 2, 7), np.float32)), "input has 7 features but weight_ih expects 4"),
    (dict(h0=np.zeros((2, 6), np.float32)), "h0 must have shape (2, 5)"),
    (dict(c0=None), "c0 is required"),
    (dict(c0=np.zeros((3, 5), np.float32)), "c0 must have shape (2, 5)"),
    (dict(mask=np.zeros((3, 3), np.float32)), "mask must have shape (3, 2)"),
    (dict(b_ih=np.zeros(19, np.float32)), "bias_ih must have shape (20,)"),
    (dict(mode=9), "unknown mode"),
    (dict(y=np.zeros((3, 2, 5), np.float32)[:, :, ::-1]), "y must be C-contiguous"),
])
def test_kernel_rejects_bad_arguments(change, message):
    kw = kernel_args()
    kw.update(change)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _C.rnn_forward(**kw)


def test_kernel_rejects_overlap_and_dtype():
    kw = kernel_args()
    kw["extra"] = kw["y"]
    with pytest.raises(ValueError, match="overlaps"):
        _C.rnn_forward(**kw)
    kw = kernel_args()
    kw["w_hh"] = kw["w_hh"].astype(np.float64)
    with pytest.raises(TypeError, match="weight_hh must be float32"):
        _C.rnn_forward(**kw)


def test_unknown_mode_name():
    args = make("GRU")
    with pytest.raises(ValueError, match=r"\[rnn\] unknown mode"):
        recurrence(*args, mode="gru")


@pytest.mark.parametrize("cls", [pe.nn.RNN, pe.nn.LSTM, pe.nn.GRU])
def test_layers_reject_bad_input(cls):
    m = cls(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="empty sequence"):
        m(pe.zeros(0, 2, 3))
    with pytest.raises(ValueError, match="zero batch"):
        m(pe.zeros(5, 0, 3))
    with pytest.raises(ValueError, match="input has 5 features, expected input_size=3"):
        m(pe.zeros(5, 2, 5))
    h = pe.zeros(2, 3, 4)
    with pytest.raises(ValueError, match=r"expected hidden state of shape \(2, 2, 4\)"):
        m(pe.zeros(5, 2, 3), (h, h) if cls is pe.nn.LSTM else h)


@pytest.mark.parametrize("cls", [pe.nn.RNNCell, pe.nn.LSTMCell, pe.nn.GRUCell])
def test_cells_run_the_kernel_and_reject_bad_input(cls):
    cell = cls(3, 4)
    x = pe.randn(2, 3)
    out = cell(x)
    h = out[0] if isinstance(out, tuple) else out
    assert h.shape == (2, 4)
    assert (cell(pe.randn(3))[0] if isinstance(out, tuple) else cell(pe.randn(3))).shape == (4,)
    with pytest.raises(ValueError, match="input has 5 features"):
        cell(pe.randn(2, 5))
    with pytest.raises(ValueError, match=r"expected h of shape \(2, 4\)"):
        cell(x, (pe.zeros(3, 4), pe.zeros(3, 4)) if cls is pe.nn.LSTMCell else pe.zeros(3, 4))


@pytest.mark.parametrize("cls, kw", [("RNN", dict(nonlinearity="relu")), ("RNN", {}),
                                     ("LSTM", {}), ("GRU", {})])
def test_float32_layers_vs_torch(cls, kw):
    torch = pytest.importorskip("torch")
    pe.manual_seed(0)
    ours = getattr(pe.nn, cls)(3, 6, num_layers=2, bidirectional=True, batch_first=True, **kw)
    theirs = getattr(torch.nn, cls)(3, 6, num_layers=2, bidirectional=True, batch_first=True,
                                    **kw)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.data)) for k, v in
                            ours.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((4, 9, 3)).astype(np.float32)
    xp, xt = pe.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    op, ot = ours(xp)[0], theirs(xt)[0]
    np.testing.assert_allclose(op.data, ot.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(7).standard_normal(op.shape).astype(np.float32)
    (op * pe.tensor(g)).sum().backward()
    (ot * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xp.grad.data, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, tp[name].grad.numpy(), rtol=1e-3, atol=1e-4,
                                   err_msg=name)


def test_workspace_reuse_between_live_and_finished_calls():
    # backend.cpu reuses a call's workspace once nothing refers to it: calls whose backward is
    # still pending keep theirs, no_grad calls and finished backwards hand theirs back.
    args = [make("GRU", seed=s) for s in (6, 7)]
    expect = [run_both("GRU", a, False, None)[1] for a in args]
    with pe.no_grad():
        recurrence(*args[0], mode="GRU")  # its workspace is free again at once
    for a in args[0] + args[1]:
        if a is not None:
            a.grad = None
    ys = [recurrence(*a, mode="GRU") for a in args]  # two live workspaces of the same shape
    with pe.no_grad():
        recurrence(*args[1], mode="GRU")  # must not take either of them
    for (y, h, _), a, (out_r, g_r) in zip(ys[::-1], args[::-1], expect[::-1]):
        rng = np.random.default_rng(1)
        ((y * pe.tensor(rng.standard_normal(y.shape), dtype=y.dtype)).sum() + (h * h).sum()).backward()
        np.testing.assert_allclose(y.data, out_r[0], rtol=1e-10, atol=1e-12)
        for p, g in zip(a, g_r):
            if p is not None:
                np.testing.assert_allclose(p.grad.data, g, rtol=1e-10, atol=1e-12)


def test_output_kept_by_a_view_is_not_reused():
    args = make("LSTM", seed=8)
    with pe.no_grad():
        y, _, _ = recurrence(*args, mode="LSTM")
        view = y.numpy()[1:3]
        first = view.copy()
        del y
        recurrence(*make("LSTM", seed=9), mode="LSTM")
    np.testing.assert_array_equal(view, first)


@pytest.mark.parametrize("mode,used", [(m, u) for m in ("LSTM", "GRU", "RNN_TANH")
                                        for u in ("y", "h", "yh", "h twice", "c", "hc", "yhc")
                                        if m == "LSTM" or "c" not in u])
@pytest.mark.parametrize("reverse", [False, True])
def test_final_states_gradients_reach_the_kernel(mode, used, reverse):
    """h_n / c_n hand their gradients to the kernel as dh_n / dc_n (ops.rnn._Part; LSTM's y too):
    every subset of the outputs, and a graph run backward twice (retain_graph), gives the
    composed path's gradients."""
    args = make(mode, seed=5)
    grads = []
    for fn in (recurrence, recurrence_composed):
        for a in args:
            if a is not None:
                a.grad = None
        y, h, c = fn(*args, mode=mode, reverse=reverse)
        terms = {"y": lambda: (y * y).sum(), "h": lambda: (h * 2.0).sum(),
                 "c": lambda: (c * c).sum()}
        loss = sum(terms[k]() for k in used if k in terms)
        loss.backward(retain_graph=used == "h twice")
        if used == "h twice":
            loss.backward()
        grads.append([None if a is None else a.grad._data.copy() for a in args])
    for a, b in zip(*grads):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_final_state_alone_passes_no_dy(monkeypatch):
    """Only h_n used: the kernel gets dh_n and no dy (no zero-filled (T, B, H) gradient)."""
    from pyengine.backend import cpu
    seen = []
    orig = cpu.rnn_backward

    def spy(*a):
        seen.append((a[12] is None, a[13] is not None, a[14] is not None))
        return orig(*a)
    monkeypatch.setattr(cpu, "rnn_backward", spy)
    args = make("LSTM", seed=6)
    _, h, c = recurrence(*args, mode="LSTM")
    (h.sum() + c.sum()).backward()
    assert seen == [(True, True, True)]
