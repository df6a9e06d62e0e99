"""Recurrent layers over a whole sequence: simple RNN (tanh / relu), LSTM, GRU.

`recurrence` runs one layer in one direction through the backend's kernel (csrc/rnn on the CPU):
forward over all T steps in one call, backpropagation through time in one call. PyTorch's
layout and gate order (nn.RNN / LSTM / GRU and the Keras layers map their weights onto it):

    w_ih (G*H, I), w_hh (G*H, H), b_ih, b_hh (G*H,); x (T, B, I) -> y (T, B, H)
    RNN:  h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)                      (or relu; G = 1)
    LSTM: i, f, g, o = s, s, tanh, s of (x W_ih^T + b_ih + h W_hh^T + b_hh)  (G = 4)
          c' = f c + i g;  h' = o tanh(c')
    GRU:  r, z = s(x W_ir^T + b_ir + h W_hr^T + b_hr), s(... z ...)          (G = 3)
          n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn));  h' = (1 - z) n + z h
    GRU_RESET_BEFORE (Keras reset_after=False): n = tanh(x W_in^T + b_in + (r h) W_hn^T + b_hn)

A `mask` (T, B) of 0 / 1 leaves a row's state unchanged at its masked steps (Keras masking):
y[t] is then the carried state. `reverse` runs t = T-1 ... 0 (y stays in time order).

`recurrence_composed` is the same recurrence written with differentiable ops one step at a
time, so autograd derives the gradients: the reference the kernel is tested against, and the
path for what the kernel does not fuse (Keras' recurrent_dropout, which masks h before W_hh).

>>> x = pe.randn(5, 3, 10); w_ih, w_hh = pe.randn(80, 10), pe.randn(80, 20)
>>> y, h_n, c_n = recurrence(x, w_ih, w_hh, mode="LSTM")
>>> y.shape, h_n.shape, c_n.shape
((5, 3, 20), (3, 20), (3, 20))
"""
import math

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .shape import Index

MODES = {"RNN_TANH": 0, "RNN_RELU": 1, "LSTM": 2, "GRU": 3, "GRU_RESET_BEFORE": 4}
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3, "GRU_RESET_BEFORE": 3}


def _float_dtype(arrays):
    return np.float64 if any(a is not None and a.dtype == np.float64 for a in arrays) \
        else np.float32


class Recurrence(Function):
    """One layer, one direction. Output: y (T, B, H); for LSTM (T + 1, B, H), y then c_n, so
    that one node carries both (h_n is y at the last step processed)."""

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, c0=None, mode=0,
                reverse=False, mask=None):
        dt = _float_dtype((x, w_ih, w_hh, b_ih, b_hh, h0, c0))
        x, w_ih, w_hh, b_ih, b_hh, h0, c0 = [
            None if a is None else np.ascontiguousarray(a, dtype=dt)
            for a in (x, w_ih, w_hh, b_ih, b_hh, h0, c0)]
        lstm = mode == MODES["LSTM"]
        if x.ndim == 3 and w_hh.ndim == 2:
            if h0 is None:
                h0 = np.zeros((x.shape[1], w_hh.shape[1]), dt)
            if c0 is None and lstm:
                c0 = np.zeros_like(h0)
        if mask is not None:
            mask = np.ascontiguousarray(mask, dtype=dt)
        training = ctx.needs_input_grad is not None
        out, ws = ctx.backend.rnn_forward(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0,
                                          mask, lstm, keep_gates=training)
        if training:
            ctx.save_for_backward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, out[:x.shape[0]], ws)
            ctx.params = (mode, reverse, mask)
            # dh_n / dc_n / dy (LSTM) handed over by the _Part nodes (see there), and the
            # zero gradient they give this node in place of a zero-filled array of out's shape
            ctx.pending = [None, None, None]
            ctx.zero_out = np.broadcast_to(np.zeros((), dt), out.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w_ih, w_hh, b_ih, b_hh, h0, c0, y, ws = ctx.saved_tensors
        mode, reverse, mask = ctx.params
        steps = x.shape[0]
        dh_n, dc_side, dy_side = ctx.pending
        ctx.pending = [None, None, None]
        if g is ctx.zero_out:  # only the _Part nodes were used
            dy = dc_n = None
        else:
            g = np.ascontiguousarray(g, dtype=x.dtype)
            dy, dc_n = (g[:steps], g[steps]) if mode == MODES["LSTM"] else (g, None)
        if dc_side is not None:
            dc_n = dc_side if dc_n is None else dc_n + dc_side
        if dy_side is not None:
            dy = dy_side if dy is None else dy + dy_side
        dh_n, dc_n, dy = [None if a is None else np.ascontiguousarray(a, dtype=x.dtype)
                          for a in (dh_n, dc_n, dy)]
        needs = tuple(ctx.needs_input_grad) + (False,) * (7 - len(ctx.needs_input_grad))
        grads = ctx.backend.rnn_backward(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask,
                                         y, ws, dy, dh_n, dc_n, needs)
        ctx.grads_are_fresh = True
        return tuple(grads)


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"[rnn] unknown mode {mode!r}; expected one of {sorted(MODES)}")


def recurrence(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, c0=None, mode="LSTM",
               reverse=False, mask=None):
    """One recurrent layer over x (T, B, I) in one kernel call each way.
    Returns (y (T, B, H), h_n (B, H), c_n (B, H) for LSTM else None)."""
    _check_mode(mode)
    if mask is not None:
        mask = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    out = Recurrence.apply(x, w_ih, w_hh, b_ih, b_hh, h0, c0, mode=MODES[mode],
                           reverse=bool(reverse), mask=mask)
    steps = x.shape[0]
    last = 0 if reverse else steps - 1
    h_n = _part(out, last, 0)
    if mode == "LSTM":
        return _part(out, slice(0, steps), 2), h_n, _part(out, steps, 1)
    return out, h_n, None


class _Part(Index):
    """h_n, c_n or (LSTM) y: a part of Recurrence's output, the forward of Index. Its backward
    hands the gradient to the Recurrence node as the kernel's dh_n / dc_n / dy argument and
    gives that node a broadcast zero (no memory) in place of Index's zero-filled (T(+1), B, H)
    array with the part set: a Keras LSTM(64) training step at B = 32, which reads only the
    final state, spent ~0.35 ms of CPU per batch there (two such arrays, the engine's sum).
    Named Index, so that graph walkers (the ONNX exporter) see the index it is."""

    @staticmethod
    def backward(ctx, g):
        rec = ctx.recurrence
        first = all(p is None for p in rec.pending)
        prev = rec.pending[ctx.slot]
        rec.pending[ctx.slot] = g if prev is None else prev + g
        # the first one of this backward pass makes the engine visit the Recurrence node; a
        # second zero would only be added to it
        return rec.zero_out if first else None


_Part.__name__ = _Part.__qualname__ = "Index"


def _part(out, key, slot):
    """out[key] through _Part; slot 0: h_n, 1: c_n, 2: y."""
    t = _Part.apply(out, key=key)
    if t._node is not None:
        t._node.ctx.recurrence, t._node.ctx.slot = out._node.ctx, slot
    return t


# ---- the same recurrence from differentiable ops, one step at a time --------------------------

def lstm_update(gates, c, act, rec_act):
    """(h, c) of one LSTM step from the gate pre-activations (..., 4n), gate order i, f, g, o
    along the last axis: c' = f * c + i * act(g), h = o * act(c') with i, f, o = rec_act(.).
    Shared by the composed recurrence below and keras ConvLSTM2D (whose gates come from
    convolutions)."""
    n = gates.shape[-1] // 4
    i, f = rec_act(gates[..., :n]), rec_act(gates[..., n:2 * n])
    g, o = act(gates[..., 2 * n:3 * n]), rec_act(gates[..., 3 * n:])
    c = f * c + i * g
    return o * act(c), c


def _step(mode, xp, h, c, w_hh_t, b_hh, h_rec, act, rec_act):
    """One step from the input projection xp = x W_ih^T + b_ih; h_rec is the state the
    recurrent matmul reads (h, or h times a recurrent-dropout mask); act / rec_act replace
    tanh / sigmoid."""
    n = h.shape[-1]
    hp = h_rec @ w_hh_t
    if mode in ("RNN_TANH", "RNN_RELU"):
        pre = xp + (hp if b_hh is None else hp + b_hh)
        return act(pre), None
    if mode == "LSTM":
        return lstm_update(xp + (hp if b_hh is None else hp + b_hh), c, act, rec_act)
    if mode == "GRU":
        if b_hh is not None:
            hp = hp + b_hh
        r = rec_act(xp[..., :n] + hp[..., :n])
        z = rec_act(xp[..., n:2 * n] + hp[..., n:2 * n])
        cand = act(xp[..., 2 * n:] + r * hp[..., 2 * n:])
        return (1.0 - z) * cand + z * h, None
    # GRU_RESET_BEFORE: the candidate's matmul reads r * h
    hrz = h_rec @ w_hh_t[:, :2 * n]
    if b_hh is not None:
        hrz = hrz + b_hh[:2 * n]
    r = rec_act(xp[..., :n] + hrz[..., :n])
    z = rec_act(xp[..., n:2 * n] + hrz[..., n:])
    hn = (r * h_rec) @ w_hh_t[:, 2 * n:]
    if b_hh is not None:
        hn = hn + b_hh[2 * n:]
    cand = act(xp[..., 2 * n:] + hn)
    return (1.0 - z) * cand + z * h, None


def unbind_steps(x):
    """[x[0], x[1], ...]. Each slice's gradient is as large as its source, so T slices of a
    sequence that requires grad cost O(T^2) in backward; slicing blocks of ~sqrt(T) steps first,
    then steps out of the blocks, costs O(T^1.5)."""
    steps = x.shape[0]
    if not x.requires_grad or steps <= 16:
        return [x[t] for t in range(steps)]
    k = math.isqrt(steps - 1) + 1
    out = []
    for start in range(0, steps, k):
        block = x[start:start + k]
        out.extend(block[i] for i in range(block.shape[0]))
    return out


def recurrence_composed(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, c0=None, mode="LSTM",
                        reverse=False, mask=None, recurrent_mask=None, activation=None,
                        recurrent_activation=None):
    """`recurrence` from per-step ops (same arguments and results). recurrent_mask (B, H), if
    given, multiplies the state that enters the recurrent matmul (Keras recurrent_dropout);
    activation / recurrent_activation (callables on Tensors) replace tanh (relu for RNN_RELU)
    and sigmoid."""
    from ..nn import functional as F
    _check_mode(mode)
    act = activation or (F.relu if mode == "RNN_RELU" else F.tanh)
    rec_act = recurrent_activation or F.sigmoid
    steps, batch = x.shape[0], x.shape[1]
    hid = w_hh.shape[1]
    dt = x._data.dtype

    def zeros():
        return Tensor._wrap(np.zeros((batch, hid), dt), x.device)

    h = zeros() if h0 is None else h0
    c = (zeros() if c0 is None else c0) if mode == "LSTM" else None
    xp = x @ w_ih.T
    if b_ih is not None:
        xp = xp + b_ih
    xps = unbind_steps(xp)
    w_hh_t = w_hh.T
    m = None if mask is None else np.asarray(mask._data if isinstance(mask, Tensor) else mask)
    ys = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        h_rec = h if recurrent_mask is None else h * recurrent_mask
        h_new, c_new = _step(mode, xps[t], h, c, w_hh_t, b_hh, h_rec, act, rec_act)
        if m is not None:
            keep = Tensor._wrap(m[t].astype(dt)[:, None], x.device)
            h_new = keep * h_new + (1.0 - keep) * h
            c_new = None if c is None else keep * c_new + (1.0 - keep) * c
        h, c = h_new, c_new
        ys[t] = h
    return F.stack(ys, 0), h, c
