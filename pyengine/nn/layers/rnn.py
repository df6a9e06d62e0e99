"""RNN, LSTM, GRU (multi-layer, batch_first, bidirectional) and their single-step cells.

Composed from differentiable ops (matmul, sigmoid, tanh, stack, cat, indexing), one time step
at a time, so autograd derives backpropagation through time. Steps pass a list of (B, H)
tensors between layers and the sequence is stacked once at the end. Parameter names,
shapes and gate order are PyTorch's, so a torch state_dict loads unchanged:
    weight_ih_l{k}[_reverse] (G*H, in), weight_hh_l{k}[_reverse] (G*H, H), bias_ih/hh (G*H,)
    LSTM gates i, f, g, o (G = 4); GRU gates r, z, n (G = 3); RNN G = 1.
"""
import math

import numpy as np

from ... import functions as _pe
from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ...tensor import Tensor
from .linear import _dtype


def _rnn_tanh_cell(xp, h, c, w_hh_t, b_hh):
    hp = h @ w_hh_t
    return F.tanh(xp + (hp if b_hh is None else hp + b_hh)), None


def _rnn_relu_cell(xp, h, c, w_hh_t, b_hh):
    hp = h @ w_hh_t
    return F.relu(xp + (hp if b_hh is None else hp + b_hh)), None


def _lstm_cell(xp, h, c, w_hh_t, b_hh):
    """gates = xp + h W_hh^T + b_hh = [i f g o]; c' = f c + i g; h' = o tanh(c')."""
    hp = h @ w_hh_t
    gates = xp + (hp if b_hh is None else hp + b_hh)
    n = h.shape[-1]
    i = F.sigmoid(gates[..., :n])
    f = F.sigmoid(gates[..., n:2 * n])
    g = F.tanh(gates[..., 2 * n:3 * n])
    o = F.sigmoid(gates[..., 3 * n:])
    c = f * c + i * g
    return o * F.tanh(c), c


def _gru_cell(xp, h, c, w_hh_t, b_hh):
    """r = s(x_r + h_r), z = s(x_z + h_z), n = tanh(x_n + r * h_n), h' = (1 - z) n + z h,
    where x_* include b_ih and h_* = h W_hh^T + b_hh."""
    hp = h @ w_hh_t
    if b_hh is not None:
        hp = hp + b_hh
    n = h.shape[-1]
    r = F.sigmoid(xp[..., :n] + hp[..., :n])
    z = F.sigmoid(xp[..., n:2 * n] + hp[..., n:2 * n])
    cand = F.tanh(xp[..., 2 * n:] + r * hp[..., 2 * n:])
    return (1.0 - z) * cand + z * h, None


def _unbind_steps(x):
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


_CELLS = {"RNN_TANH": (_rnn_tanh_cell, 1), "RNN_RELU": (_rnn_relu_cell, 1),
          "LSTM": (_lstm_cell, 4), "GRU": (_gru_cell, 3)}


def _check_size(name, v, cls):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
        raise ValueError(f"[{cls}] {name} must be a positive int, received {name}={v!r}")


class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        cls = type(self).__name__
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)):
            _check_size(name, v, cls)
        if not 0 <= dropout <= 1:
            raise ValueError(f"[{cls}] dropout must be in [0, 1], received dropout={dropout}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        gates = _CELLS[mode][1] * hidden_size
        dirs = 2 if bidirectional else 1
        dt = _dtype(dtype)
        self._names = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"]
                setattr(self, names[0], Parameter(np.empty((gates, in_size), dt)))
                setattr(self, names[1], Parameter(np.empty((gates, hidden_size), dt)))
                if bias:
                    names += [f"bias_ih{sfx}", f"bias_hh{sfx}"]
                    setattr(self, names[2], Parameter(np.empty((gates,), dt)))
                    setattr(self, names[3], Parameter(np.empty((gates,), dt)))
                self._names.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _weights(self, layer, d):
        ps = [getattr(self, n) for n in self._names[layer * (2 if self.bidirectional else 1) + d]]
        return ps if self.bias else ps + [None, None]

    def forward(self, input, hx=None):
        cls = type(self).__name__
        cell = _CELLS[self.mode][0]
        is_lstm = self.mode == "LSTM"
        batched = input.ndim == 3
        if input.ndim not in (2, 3):
            raise ValueError(f"[{cls}] expected a 2-D (unbatched) or 3-D input, got {input.shape}")
        x = input if not batched else (input.transpose(0, 1) if self.batch_first else input)
        if not batched:
            x = x.unsqueeze(1)
        if x.shape[-1] != self.input_size:
            raise ValueError(f"[{cls}] input has {x.shape[-1]} features, expected "
                             f"input_size={self.input_size} (input {input.shape})")
        steps, batch = x.shape[0], x.shape[1]
        dirs = 2 if self.bidirectional else 1
        h0, c0 = self._initial_state(hx, batch, batched, x, cls)
        # Per-step inputs as a list: slicing a stacked sequence at every step would make each
        # step's backward fill a zero gradient of the whole sequence (O(T^2) work).
        xs = _unbind_steps(x)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                w_ih_t, w_hh_t = w_ih.T, w_hh.T  # one transpose node per sequence, not per step
                k = layer * dirs + d
                h, c = h0[k], (c0[k] if is_lstm else None)
                ys = [None] * steps
                for t in (range(steps - 1, -1, -1) if d else range(steps)):
                    xp = xs[t] @ w_ih_t
                    h, c = cell(xp if b_ih is None else xp + b_ih, h, c, w_hh_t, b_hh)
                    ys[t] = h
                outs.append(ys)
                h_n.append(h)
                c_n.append(c)
            xs = outs[0] if dirs == 1 else [_pe.cat(pair, -1) for pair in zip(*outs)]
            if self.dropout and self.training and layer < self.num_layers - 1:
                xs = [F.dropout(v, self.dropout, True) for v in xs]
        out = _pe.stack(xs, 0) if steps else \
            Tensor._wrap(np.zeros((0, batch, self.hidden_size * dirs), x.data.dtype), x.device)
        h_n = _pe.stack(h_n, 0)
        c_n = _pe.stack(c_n, 0) if is_lstm else None
        if not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if is_lstm else None
        elif self.batch_first:
            out = out.transpose(0, 1)
        return (out, (h_n, c_n)) if is_lstm else (out, h_n)

    def _initial_state(self, hx, batch, batched, x, cls):
        n = self.num_layers * (2 if self.bidirectional else 1)
        want = (n, batch, self.hidden_size)
        zeros = Tensor._wrap(np.zeros(want, x.data.dtype), x.device)
        if hx is None:
            return zeros, zeros
        states = hx if self.mode == "LSTM" else (hx, None)
        if self.mode == "LSTM" and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError(f"[{cls}] hx must be a tuple (h_0, c_0)")
        out = []
        for s in states:
            if s is None:
                out.append(zeros)
                continue
            s = s if batched else s.unsqueeze(1)
            if tuple(s.shape) != want:
                raise ValueError(f"[{cls}] expected hidden state of shape {want}, got {tuple(s.shape)}")
            out.append(s)
        return out[0], out[1]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
    Returns (output, h_n): output (T, B, D*H) (batch_first: (B, T, D*H)), h_n (L*D, B, H).

    >>> out, h = pe.nn.RNN(10, 20, num_layers=2)(pe.randn(5, 3, 10))
    >>> out.shape, h.shape
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"[RNN] unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device, dtype)

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + ", nonlinearity='relu'"


class LSTM(RNNBase):
    """Long short-term memory; gates i, f, g, o. Returns (output, (h_n, c_n))."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit; gates r, z, n. Returns (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class _CellBase(Module):
    _mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        cls = type(self).__name__
        _check_size("input_size", input_size, cls)
        _check_size("hidden_size", hidden_size, cls)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        g = _CELLS[self._mode][1] * hidden_size
        dt = _dtype(dtype)
        self.weight_ih = Parameter(np.empty((g, input_size), dt))
        self.weight_hh = Parameter(np.empty((g, hidden_size), dt))
        self.bias_ih = Parameter(np.empty((g,), dt)) if bias else None
        self.bias_hh = Parameter(np.empty((g,), dt)) if bias else None
        k = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _step(self, x, h, c):
        xp = x @ self.weight_ih.T
        if self.bias_ih is not None:
            xp = xp + self.bias_ih
        return _CELLS[self._mode][0](xp, h, c, self.weight_hh.T, self.bias_hh)

    def _zeros(self, x):
        return Tensor._wrap(np.zeros(x.shape[:-1] + (self.hidden_size,), x.data.dtype), x.device)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """One step of RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"[RNNCell] unknown nonlinearity {nonlinearity!r}")
        self._mode = "RNN_" + nonlinearity.upper()
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, x, hx=None):
        return self._step(x, self._zeros(x) if hx is None else hx, None)[0]


class LSTMCell(_CellBase):
    """One step of LSTM; returns (h', c')."""
    _mode = "LSTM"

    def forward(self, x, hx=None):
        h, c = (self._zeros(x), self._zeros(x)) if hx is None else hx
        return self._step(x, h, c)


class GRUCell(_CellBase):
    """One step of GRU; returns h'."""
    _mode = "GRU"

    def forward(self, x, hx=None):
        return self._step(x, self._zeros(x) if hx is None else hx, None)[0]
