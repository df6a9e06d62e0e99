"""Differential fuzz (issue 13 item 4), recurrent kernels (csrc/rnn): RNN tanh / relu, LSTM,
GRU (reset after and before the matmul) over random sequence geometry, direction, masks and
biases, against a NumPy float64 reference written here from the equations of rnn.h, on a random
ISA path. The forward is compared directly (float32 and float64); the float64 gradients of
every input are compared with central differences of the reference along a random direction."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyengine.backend import cpu as backend
from test_conv import available_isas
from test_hardening_fuzz import with_isa

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ISA = st.sampled_from(available_isas())
GATES = (1, 1, 4, 3, 3)  # per mode: rnn_tanh, rnn_relu, lstm, gru, gru with the reset before


def _sig(z):
    return 1 / (1 + np.exp(-z))


def ref_rnn(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask):
    """(y (T, B, H), h_n, c_n) in float64: the recurrence of rnn.h, one step at a time."""
    steps, hid = x.shape[0], w_hh.shape[1]
    b_ih = np.zeros(w_ih.shape[0]) if b_ih is None else b_ih
    b_hh = np.zeros(w_hh.shape[0]) if b_hh is None else b_hh
    h, c = h0, c0
    y = np.zeros((steps, x.shape[1], hid))
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        gi, gh = x[t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        c_new = c
        if mode == 0:
            h_new = np.tanh(gi + gh)
        elif mode == 1:
            h_new = np.maximum(gi + gh, 0)
        elif mode == 2:
            i, f, g, o = np.split(gi + gh, 4, axis=1)
            c_new = _sig(f) * c + _sig(i) * np.tanh(g)
            h_new = _sig(o) * np.tanh(c_new)
        else:
            xr, xz, xn = np.split(gi, 3, axis=1)
            hr, hz, hn = np.split(gh, 3, axis=1)
            r, z = _sig(xr + hr), _sig(xz + hz)
            if mode == 3:
                n = np.tanh(xn + r * hn)
            else:  # the reset gate scales h before the hidden matmul
                n = np.tanh(xn + (r * h) @ w_hh[2 * hid:].T + b_hh[2 * hid:])
            h_new = (1 - z) * n + z * h
        if mask is not None:
            keep = mask[t][:, None] != 0
            h_new = np.where(keep, h_new, h)
            c_new = np.where(keep, c_new, c) if mode == 2 else c_new
        h, c = h_new, c_new
        y[t] = h
    return y, h, c


@st.composite
def rnn_case(draw):
    mode = draw(st.integers(0, 4))
    steps, batch = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    inp, hid = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    return (mode, draw(st.booleans()), steps, batch, inp, hid, draw(st.booleans()),
            draw(st.booleans()))


def _inputs(case, dtype, seed):
    mode, reverse, steps, batch, inp, hid, bias, masked = case
    rng = np.random.default_rng(seed)
    g = GATES[mode] * hid
    arr = lambda *s: (rng.standard_normal(s) * 0.7).astype(dtype)  # noqa: E731
    mask = (rng.random((steps, batch)) < 0.7).astype(dtype) if masked else None
    return dict(x=arr(steps, batch, inp), w_ih=arr(g, inp), w_hh=arr(g, hid),
                b_ih=arr(g) if bias else None, b_hh=arr(g) if bias else None,
                h0=arr(batch, hid), c0=arr(batch, hid) if mode == 2 else None, mask=mask)


def _kernel_forward(mode, reverse, a):
    out, ws = backend.rnn_forward(mode, reverse, a["x"], a["w_ih"], a["w_hh"], a["b_ih"],
                                  a["b_hh"], a["h0"], a["c0"], a["mask"], mode == 2)
    steps = a["x"].shape[0]
    y = out[:steps]
    h_n = y[0] if reverse else y[steps - 1]
    return out, ws, y, h_n, (out[steps] if mode == 2 else None)


@FUZZ
@given(case=rnn_case(), isa=ISA, dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2 ** 31))
def test_rnn_forward_matches_float64(case, isa, dtype, seed):
    mode, reverse = case[:2]
    a = _inputs(case, dtype, seed)
    _, _, y, h_n, c_n = with_isa(isa, lambda: _kernel_forward(mode, reverse, a))
    a64 = {k: None if v is None else v.astype(np.float64) for k, v in a.items()}
    ry, rh, rc = ref_rnn(mode, reverse, **a64)
    t = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(y, ry, **t)
    np.testing.assert_allclose(h_n, rh, **t)
    if mode == 2:
        np.testing.assert_allclose(c_n, rc, **t)


NAMES = ("x", "w_ih", "w_hh", "b_ih", "b_hh", "h0", "c0")


@FUZZ
@given(case=rnn_case(), isa=ISA, seed=st.integers(0, 2 ** 31))
def test_rnn_gradients_match_float64_differences(case, isa, seed):
    """Loss L = <y, dy> + <h_n, dh_n> (+ <c_n, dc_n>): each kernel gradient, projected on a
    random direction v, equals (L(p + e v) - L(p - e v)) / 2e computed on the reference."""
    mode, reverse = case[:2]
    a = _inputs(case, np.float64, seed)
    rng = np.random.default_rng(seed + 1)
    steps, batch, hid = a["x"].shape[0], a["x"].shape[1], a["w_hh"].shape[1]
    dy, dh_n = rng.standard_normal((steps, batch, hid)), rng.standard_normal((batch, hid))
    dc_n = rng.standard_normal((batch, hid)) if mode == 2 else None

    def run():
        _, ws, y, _, _ = _kernel_forward(mode, reverse, a)
        needs = [a[n] is not None for n in NAMES]
        return backend.rnn_backward(mode, reverse, a["x"], a["w_ih"], a["w_hh"], a["b_ih"],
                                    a["b_hh"], a["h0"], a["c0"], a["mask"], y, ws, dy, dh_n,
                                    dc_n, needs)

    grads = with_isa(isa, run)

    def loss(args):
        y, h, c = ref_rnn(mode, reverse, **args)
        return (y * dy).sum() + (h * dh_n).sum() + ((c * dc_n).sum() if mode == 2 else 0.0)

    eps = 1e-6
    for name, grad in zip(NAMES, grads):
        if a[name] is None:
            assert grad is None
            continue
        v = rng.standard_normal(a[name].shape)
        plus, minus = dict(a), dict(a)
        plus[name], minus[name] = a[name] + eps * v, a[name] - eps * v
        fd = (loss(plus) - loss(minus)) / (2 * eps)
        got = float((grad * v).sum())
        assert abs(got - fd) <= 1e-6 * (1 + abs(fd)), (name, got, fd)
